package abi_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/mdflow/abi"
	"github.com/cardmod/cardmod/mdflow/mdflowtest"
	"github.com/cardmod/cardmod/spec"
)

// libPath returns the library under test ($CARDMOD_LIB, or build/libcardmod.so of the module),
// or skips the test.
func libPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CARDMOD_LIB")
	if p == "" {
		p = filepath.Join("..", "..", "build", "libcardmod.so")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Skipf("no minidriver library at %s (build it with `make dll` or `go build -buildmode=c-shared -o build/libcardmod.so ./cabi/dll`, or set CARDMOD_LIB): %v", abs, err)
	}
	return abs
}

// openLib loads the library (a Go c-shared library stays loaded) with a connection to reader.
func openLib(t *testing.T, lib string, opts abi.Options) *abi.Minidriver {
	t.Helper()
	md, err := abi.Open(lib, opts)
	if err != nil {
		t.Fatalf("abi.Open: %v", err)
	}
	t.Cleanup(func() { md.Close() })
	return md
}

// TestLibraryFlows runs the whole suite through the library's C ABI on virtual cards served by
// pcscd (with and without the map object).
func TestLibraryFlows(t *testing.T) {
	lib := libPath(t)
	mdflowtest.NeedPcscd(t)
	for _, v := range mdflowtest.Variants {
		t.Run(v.Name, func(t *testing.T) {
			card, env := mdflowtest.Card(t, v)
			mdflowtest.Serve(t, card)
			md := openLib(t, lib, abi.Options{Reader: mdflowtest.Reader})
			env.ATR = md.ATR()
			for _, f := range mdflow.Flows {
				t.Run(f.Name, func(t *testing.T) { mdflow.Run(t, md, env, f) })
			}
			// The engine reads the certificate objects at every cardcf read (so that changes by
			// other PIV tools are noticed) and does not need the caller's cache.
			t.Logf("cache tags: %q", md.CacheTags())
		})
	}
}

// TestLibraryNoCard needs no reader: no-card mode and the acquire checks that fail before any
// card I/O, through the library.
func TestLibraryNoCard(t *testing.T) {
	lib := libPath(t)
	md := openLib(t, lib, abi.Options{})
	env := mdflow.NewEnv()
	for _, f := range mdflow.Flows {
		if f.Name == "acquire/no-card-mode" {
			t.Run(f.Name, func(t *testing.T) { mdflow.Run(t, md, env, f) })
		}
	}
	for _, tc := range []struct {
		name string
		p    mdflow.AcquireParams
		want spec.Status
	}{
		{"NULL handles", mdflow.AcquireParams{Version: 7, ATR: env.ATR, CardName: "x", NullCard: true}, spec.SCardEInvalidHandle},
		{"unknown flags", mdflow.AcquireParams{Version: 7, Flags: 2, NullCard: true}, spec.SCardEInvalidParameter},
		{"no-card mode without allocator", mdflow.AcquireParams{Version: 7, Flags: 1, NullCard: true, NullAlloc: true}, spec.SCardEInvalidParameter},
		{"no-card mode at version 3", mdflow.AcquireParams{Version: 3, Flags: 1, NullCard: true}, spec.ErrorRevisionMismatch},
	} {
		c, err := md.Acquire(tc.p)
		if spec.StatusOf(err) != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if c != nil {
			c.Delete()
		}
	}
	for v := uint32(4); v <= 8; v++ {
		c, err := md.Acquire(mdflow.AcquireParams{Version: v, Flags: 1, NullCard: true, NullCardName: true})
		if err != nil {
			t.Errorf("no-card mode, version %d: %v", v, err)
			continue
		}
		if c.Version() != min(v, 7) {
			t.Errorf("no-card mode, version %d: negotiated %d", v, c.Version())
		}
		if err := c.Delete(); err != nil || c.LiveAllocations() != 0 {
			t.Errorf("delete: %v, %d live", err, c.LiveAllocations())
		}
	}
	mdflow.Audit(t, md)
}

// TestLayout checks the offset table against the reference's rules: CARD_DATA fields are
// consecutive pointer-sized slots, in the order of the reference.
func TestLayout(t *testing.T) {
	names := abi.CardDataFieldNames()
	if len(names) != 63 {
		t.Fatalf("%d CARD_DATA fields, want 63", len(names))
	}
	offs := abi.CardDataOffsets()
	for i, o := range offs {
		if o[0] != 8*i || o[1] != 4*i {
			t.Errorf("field %d %s at %d/%d, want %d/%d", i, names[i], o[0], o[1], 8*i, 4*i)
		}
	}
	if !sort.SliceIsSorted(offs, func(i, j int) bool { return offs[i][0] < offs[j][0] }) {
		t.Errorf("offsets not increasing")
	}
	for _, n := range []string{"pfnCspGetDHAgreement", "pfnCspUnpadData"} {
		x64, x86 := abi.CardDataOffset(n)
		want := map[string][2]int{"pfnCspGetDHAgreement": {344, 172}, "pfnCspUnpadData": {416, 208}}[n]
		if x64 != want[0] || x86 != want[1] {
			t.Errorf("%s at %d/%d, want %d/%d", n, x64, x86, want[0], want[1])
		}
	}
}
