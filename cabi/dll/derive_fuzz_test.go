//go:build linux && cgo

package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"syscall"
	"testing"
	"unicode/utf16"
	"unsafe"

	"github.com/cardmod/cardmod/engine"
)

// Fuzzing of the conversion of CARD_DERIVE_KEY / NCryptBufferDesc (and CARD_DH_AGREEMENT_INFO) as
// they arrive through the C ABI (derive.go), without a C caller: the structures are laid out at
// the offsets of this build (cLayout) in memory mapped outside the Go heap, every block ending
// exactly at a PROT_NONE page. A read past anything the caller described faults; with
// debug.SetPanicOnFault the fault becomes a panic the test reports as an over-read. Pointers the
// conversion must not follow (pBuffers with cBuffers 0, pvBuffer with cbBuffer 0, the fields of
// a version 2 structure in a version 1 one) point into PROT_NONE memory too.

var pageSize = syscall.Getpagesize()

// guarded hands out blocks that end at an inaccessible page.
type guarded struct {
	t       testing.TB
	regions [][]byte
	noAcc   uintptr // an address in an inaccessible page
}

func newGuarded(t testing.TB) *guarded {
	g := &guarded{t: t}
	g.noAcc = g.region(0) // a block of 0 bytes: its address is the guard page
	return g
}

// region maps the pages for n bytes plus a PROT_NONE page after them and returns the address n
// bytes before the guard page.
func (g *guarded) region(n int) uintptr {
	pages := (n + pageSize - 1) / pageSize
	mem, err := syscall.Mmap(-1, 0, (pages+1)*pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		g.t.Fatalf("mmap: %v", err)
	}
	if err := syscall.Mprotect(mem[pages*pageSize:], syscall.PROT_NONE); err != nil {
		g.t.Fatalf("mprotect: %v", err)
	}
	g.regions = append(g.regions, mem)
	return uintptr(unsafe.Pointer(&mem[0])) + uintptr(pages*pageSize-n)
}

// bytes places b so that its last byte is the last readable one (at whatever alignment that
// gives its start).
func (g *guarded) bytes(b []byte) uintptr {
	p := g.region(len(b))
	copy(unsafe.Slice((*byte)(ptrAt(p)), len(b)), b)
	return p
}

// skewed returns an address whose remainder mod 8 is skew (1..7), followed by at least n
// readable zero bytes (n a multiple of 8), in a block ending at the guard page.
func (g *guarded) skewed(n, skew int) uintptr {
	return g.region(n+8) + uintptr(skew) // region(n+8) is 8-aligned when n is a multiple of 8
}

// misalign picks an offset that misaligns a structure of alignment align.
func misalign(r *reader, align uintptr) int { return 1 + int(r.byte())%int(align-1) }

func (g *guarded) free() {
	for _, m := range g.regions {
		syscall.Munmap(m)
	}
	g.regions = nil
}

// ptrAt turns an address outside the Go heap into a pointer.
func ptrAt(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

func put32(p, off uintptr, v uint32) {
	binary.LittleEndian.PutUint32(unsafe.Slice((*byte)(ptrAt(p+off)), 4), v)
}
func putPtr(p, off, v uintptr)    { *(*uintptr)(ptrAt(p + off)) = v }
func put8(p, off uintptr, v byte) { *(*byte)(ptrAt(p + off)) = v }

// reader hands out the fuzzer's bytes as choices (zeros when exhausted).
type reader struct{ b []byte }

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}
func (r *reader) u32() uint32 {
	return uint32(r.byte()) | uint32(r.byte())<<8 | uint32(r.byte())<<16 | uint32(r.byte())<<24
}
func (r *reader) take(n int) []byte {
	n = min(n, len(r.b))
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// wideOut is what a string pointer should convert to.
type wideOut struct {
	ptr   uintptr
	isNil bool   // NULL
	ok    bool   // a readable, terminated string
	s     string // its value
}

// wide lays out a UTF-16 string chosen by r: NULL, a terminated string (ending at the guard), the
// same at an odd address, or 300 units without a NUL (longer than the bound, so it is refused
// after reading maxWideString units, all of them given).
func (g *guarded) wide(r *reader, names []string) wideOut {
	switch c := r.byte(); c % 8 {
	case 0:
		return wideOut{isNil: true, ok: true}
	case 1:
		units := make([]uint16, 300)
		for i := range units {
			units[i] = 'A'
		}
		return wideOut{ptr: g.bytes(u16bytes(units))}
	case 2:
		return wideOut{ptr: g.skewed(8, 1)} // odd address
	case 3, 4:
		// Random units up to a NUL.
		var units []uint16
		for n := int(r.byte() % 40); len(units) < n; {
			u := uint16(r.byte()) | uint16(r.byte())<<8
			if u == 0 {
				break
			}
			units = append(units, u)
		}
		units = append(units, 0)
		return wideOut{ptr: g.bytes(u16bytes(units)), ok: true, s: string(utf16.Decode(units[:len(units)-1]))}
	default:
		s := names[int(c)%len(names)]
		units := append(utf16.Encode([]rune(s)), 0)
		return wideOut{ptr: g.bytes(u16bytes(units)), ok: true, s: s}
	}
}

func u16bytes(u []uint16) []byte {
	b := make([]byte, 2*len(u))
	for i, v := range u {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return b
}

// paramIn is one NCryptBuffer as laid out, and what it should convert to.
type paramIn struct {
	cb, typ uint32
	data    []byte // nil: NULL pvBuffer
}

// listIn is an NCryptBufferDesc as laid out.
type listIn struct {
	ptr     uintptr
	isNil   bool
	ok      bool
	version uint32
	params  []paramIn
}

// paramList lays out a parameter list chosen by r.
func (g *guarded) paramList(r *reader) listIn {
	L := cLayout
	mode := r.byte()
	if mode%8 == 0 {
		return listIn{isNil: true, ok: true}
	}
	in := listIn{ok: true, version: uint32(r.byte() % 3)}
	if r.byte()%8 == 0 {
		in.version = r.u32()
	}
	var desc uintptr
	switch mode % 8 {
	case 1: // misaligned descriptor
		desc, in.ok = g.skewed(int(L.bdSize), misalign(r, L.bdAlign)), false
	default:
		desc = g.region(int(L.bdSize))
	}
	in.ptr = desc
	put32(desc, L.bdVersion, in.version)
	n := int(r.byte() % 9)
	switch r.byte() % 16 {
	case 0: // more buffers than allowed: refused before pBuffers is read
		count := []uint32{maxKDFParams + 1, 1 << 16, 1 << 31, 0xFFFFFFFF}[r.byte()%4]
		put32(desc, L.bdCount, count)
		putPtr(desc, L.bdBuffers, g.noAcc)
		in.ok = false
		return in
	case 1: // NULL pBuffers
		put32(desc, L.bdCount, uint32(n))
		if n > 0 {
			in.ok = false
		}
		return in
	case 2: // misaligned pBuffers
		put32(desc, L.bdCount, uint32(n))
		if n == 0 {
			putPtr(desc, L.bdBuffers, g.noAcc+1)
			return in
		}
		putPtr(desc, L.bdBuffers, g.skewed(n*int(L.bbSize), misalign(r, L.bbAlign)))
		in.ok = false
		return in
	}
	put32(desc, L.bdCount, uint32(n))
	if n == 0 {
		putPtr(desc, L.bdBuffers, g.noAcc) // never read
		return in
	}
	arr := g.region(n * int(L.bbSize))
	putPtr(desc, L.bdBuffers, arr)
	for i := 0; i < n; i++ {
		b := arr + uintptr(i)*L.bbSize
		p := paramIn{typ: r.u32()}
		if r.byte()%2 == 0 {
			p.typ %= 0x16
		}
		switch r.byte() % 8 {
		case 0: // NULL, empty
			putPtr(b, L.bbPv, 0)
		case 1: // NULL with a length
			p.cb = 1 + uint32(r.byte())
			putPtr(b, L.bbPv, 0)
			in.ok = false
		case 2: // a length over the bound, pointing at a small block
			p.cb = []uint32{maxKDFParamSize + 1, 1 << 24, 0xFFFFFFFF}[r.byte()%3]
			putPtr(b, L.bbPv, g.bytes([]byte{1, 2, 3}))
			in.ok = false
		case 3: // empty, pointing at the guard page: not read
			p.data = []byte{}
			putPtr(b, L.bbPv, g.noAcc)
		case 4: // the largest allowed
			p.data = bytes.Repeat([]byte{r.byte()}, maxKDFParamSize)
			p.cb = maxKDFParamSize
			putPtr(b, L.bbPv, g.bytes(p.data))
		default: // fuzzer bytes, at any alignment, ending at the guard
			p.data = bytes.Clone(r.take(int(r.byte())))
			p.cb = uint32(len(p.data))
			putPtr(b, L.bbPv, g.bytes(p.data))
		}
		put32(b, L.bbCb, p.cb)
		put32(b, L.bbType, p.typ)
		in.params = append(in.params, p)
	}
	return in
}

// overRead turns a fault (a read past what the test laid out) into a test failure.
func overRead(t *testing.T, what string) {
	if r := recover(); r != nil {
		t.Fatalf("%s: %v (a read beyond the memory the caller described, or a crash)\n%s", what, r, debug.Stack())
	}
}

// checkParams compares converted parameters with what was laid out: same count, types, and
// exactly the bytes given (nil for a NULL pvBuffer).
func checkParams(t *testing.T, got []engine.KDFParam, want []paramIn) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d parameters converted, %d given", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Type != w.typ || (g.Data == nil) != (w.data == nil) || !bytes.Equal(g.Data, w.data) || len(g.Data) != int(w.cb) {
			t.Fatalf("parameter %d: type %#x, %d bytes (nil %v); given type %#x, cbBuffer %d, %d bytes (nil %v)",
				i, g.Type, len(g.Data), g.Data == nil, w.typ, w.cb, len(w.data), w.data == nil)
		}
	}
}

var kdfNames = []string{"HASH", "HMAC", "TLS_PRF", "SP800_56A_CONCAT", "TRUNCATE", ""}
var algNames = []string{"AES", "3DES", "3DES_112", "RC4"}

// FuzzDeriveKeyParams lays out a CARD_DERIVE_KEY (version 1 or 2, or any dwVersion, possibly
// misaligned) with a parameter list (random cBuffers within and beyond the bound, NULL and
// misaligned pBuffers, buffers of random lengths and alignments, NULL pvBuffer with and without
// a length, lengths beyond the bound) and random strings, and converts it: no crash, no read
// beyond what was laid out, exactly the given bytes back, and refusal (SCARD_E_INVALID_PARAMETER)
// exactly for what is malformed.
func FuzzDeriveKeyParams(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 5, 3, 0, 1, 3, 1, 0, 0, 0, 0, 7, 6, 's', 'e', 'c', 'r', 'e', 't'})
	f.Add([]byte{1, 1, 0, 0, 0, 0x20, 9, 1, 0, 8, 3, 5, 0, 0, 0, 0, 5, 64, 0x55})
	f.Add([]byte{2, 1, 0, 0, 1, 0xff, 6, 2, 1, 4, 4, 8, 3, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 2})
	f.Add(bytes.Repeat([]byte{0xA7, 0x13, 0x02, 0xFE}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		L := cLayout
		g := newGuarded(t)
		defer g.free()
		r := &reader{data}
		var version uint32
		switch c := r.byte(); c % 5 {
		case 0, 1:
			version = uint32(c%2) + 1
		default:
			version = r.u32()
		}
		size := L.dkSize
		if version < 2 {
			size = L.dkSizeV1 // what a version 1 caller allocates
		}
		wantOK := true
		var dk uintptr
		if r.byte()%8 == 1 {
			dk, wantOK = g.skewed(int(size), misalign(r, L.dkAlign)), false
		} else {
			dk = g.region(int(size))
		}
		flags, idx := r.u32(), r.byte()
		put32(dk, L.dkVersion, version)
		put32(dk, L.dkFlags, flags)
		put8(dk, L.dkIndex, idx)
		kdfName := g.wide(r, kdfNames)
		putPtr(dk, L.dkKDF, kdfName.ptr)
		wantOK = wantOK && kdfName.ok
		list := g.paramList(r)
		if !list.isNil {
			putPtr(dk, L.dkParams, list.ptr)
		}
		wantOK = wantOK && list.ok
		putPtr(dk, L.dkPbKey, g.noAcc) // out fields: not read
		put32(dk, L.dkCbKey, r.u32())
		var alg wideOut
		var keyLen uint32
		if version >= 2 {
			alg = g.wide(r, algNames)
			keyLen = r.u32()
			putPtr(dk, L.dkAlgID, alg.ptr)
			put32(dk, L.dkKeyLen, keyLen)
			putPtr(dk, L.dkHKey, g.noAcc)
			wantOK = wantOK && alg.ok
		}

		debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(false)
		var di *engine.DeriveKeyInfo
		var ok bool
		func() {
			defer overRead(t, "deriveKeyInfo")
			di, ok = deriveKeyInfo(ptrAt(dk))
		}()
		if ok != wantOK {
			t.Fatalf("deriveKeyInfo: ok %v, want %v (version %d, KDF %+v, list ok %v, alg %+v)", ok, wantOK, version, kdfName, list.ok, alg)
		}
		if !ok {
			if di != nil {
				t.Fatalf("deriveKeyInfo refused the structure but returned %+v", di)
			}
			return
		}
		if di.Version != version || di.Flags != flags || di.AgreementIndex != idx {
			t.Fatalf("header: %d %#x %d, given %d %#x %d", di.Version, di.Flags, di.AgreementIndex, version, flags, idx)
		}
		if di.HasKDF == kdfName.isNil || di.KDF != kdfName.s {
			t.Fatalf("pwszKDF: %q (has %v), given %+v", di.KDF, di.HasKDF, kdfName)
		}
		if di.HasParams == list.isNil || (!list.isNil && di.ParamsVersion != list.version) {
			t.Fatalf("pParameterList: has %v, version %d; given %+v", di.HasParams, di.ParamsVersion, list)
		}
		checkParams(t, di.Params, list.params)
		if version >= 2 {
			if di.HasAlgID == alg.isNil || di.AlgID != alg.s || di.KeyLen != keyLen {
				t.Fatalf("pwszAlgId %q (has %v), dwKeyLen %d; given %+v, %d", di.AlgID, di.HasAlgID, di.KeyLen, alg, keyLen)
			}
		} else if di.HasAlgID || di.KeyLen != 0 {
			t.Fatalf("a version %d structure gave pwszAlgId %q, dwKeyLen %d", version, di.AlgID, di.KeyLen)
		}
		// Nothing converted points into the caller's memory.
		for _, p := range di.Params {
			if len(p.Data) > 0 {
				a := uintptr(unsafe.Pointer(&p.Data[0]))
				for _, m := range g.regions {
					if lo := uintptr(unsafe.Pointer(&m[0])); a >= lo && a < lo+uintptr(len(m)) {
						t.Fatalf("a converted parameter aliases the caller's memory")
					}
				}
			}
		}
	})
}

// FuzzDHAgreementInfo lays out a CARD_DH_AGREEMENT_INFO with a public key of random length
// (NULL, beyond the bound, misaligned structure) and converts it.
func FuzzDHAgreementInfo(f *testing.F) {
	f.Add([]byte{0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 1, 8, 0x45, 0x43, 0x4B, 0x33})
	f.Add([]byte{3, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		L := cLayout
		g := newGuarded(t)
		defer g.free()
		r := &reader{data}
		mode := r.byte()
		wantOK := true
		var p uintptr
		if mode%8 == 3 {
			p, wantOK = g.skewed(int(L.dhSize), misalign(r, L.dhAlign)), false
		} else {
			p = g.region(int(L.dhSize))
		}
		version, container, flags := r.u32(), r.byte(), r.u32()
		put32(p, L.dhVersion, version)
		put8(p, L.dhContainer, container)
		put32(p, L.dhFlags, flags)
		var key []byte
		var cb uint32
		switch (mode / 8) % 4 {
		case 0: // NULL with a length: the engine refuses it
			cb = r.u32() % (maxPublicKey + 1)
		case 1: // beyond the bound
			cb = maxPublicKey + 1 + r.u32()%(1<<31)
			putPtr(p, L.dhPbPub, g.noAcc)
			wantOK = false
		default:
			key = bytes.Clone(r.take(int(r.u32() % 200)))
			cb = uint32(len(key))
			putPtr(p, L.dhPbPub, g.bytes(key))
		}
		put32(p, L.dhCbPub, cb)
		put8(p, L.dhIndex, r.byte())
		debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(false)
		var ai *engine.DHAgreementInfo
		var ok bool
		func() {
			defer overRead(t, "dhAgreementInfo")
			ai, ok = dhAgreementInfo(ptrAt(p))
		}()
		if ok != wantOK {
			t.Fatalf("dhAgreementInfo: ok %v, want %v", ok, wantOK)
		}
		if !ok {
			return
		}
		if ai.Version != version || ai.ContainerIndex != container || ai.Flags != flags || !bytes.Equal(ai.PublicKey, key) || (ai.PublicKey == nil) != (key == nil) {
			t.Fatalf("converted %+v, given version %d container %d flags %#x key %X", ai, version, container, flags, key)
		}
	})
}

// TestGuardCatchesOverRead checks the harness: a parameter whose cbBuffer claims one byte more
// than the caller laid out makes the conversion fault, and the fault is reported as a panic.
func TestGuardCatchesOverRead(t *testing.T) {
	L := cLayout
	g := newGuarded(t)
	defer g.free()
	desc := g.region(int(L.bdSize))
	arr := g.region(int(L.bbSize))
	put32(desc, L.bdCount, 1)
	putPtr(desc, L.bdBuffers, arr)
	put32(arr, L.bbCb, 11)
	putPtr(arr, L.bbPv, g.bytes(make([]byte, 10)))
	debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(false)
	faulted := func() (f bool) {
		defer func() { f = recover() != nil }()
		kdfParamList(ptrAt(desc))
		return false
	}()
	if !faulted {
		t.Fatal("reading 11 bytes of a 10-byte block before a guard page did not fault: the fuzz harness would miss over-reads")
	}
	put32(arr, L.bbCb, 10)
	params, _, ok := kdfParamList(ptrAt(desc))
	if !ok || len(params) != 1 || len(params[0].Data) != 10 {
		t.Fatalf("10 bytes: %v %v", params, ok)
	}
}

// TestDeriveKeyLayout checks the offsets the fuzz tests lay structures out with against the
// reference (shared/spec/minidriver-spec.md §2.7, §2.8) for this architecture.
func TestDeriveKeyLayout(t *testing.T) {
	L := cLayout
	got := fmt.Sprint(L.dkVersion, L.dkFlags, L.dkKDF, L.dkIndex, L.dkParams, L.dkPbKey, L.dkCbKey, L.dkAlgID, L.dkKeyLen, L.dkHKey, L.dkSize, L.dkSizeV1,
		L.bdVersion, L.bdCount, L.bdBuffers, L.bdSize, L.bbCb, L.bbType, L.bbPv, L.bbSize,
		L.dhVersion, L.dhContainer, L.dhFlags, L.dhCbPub, L.dhPbPub, L.dhIndex, L.dhSize)
	want := map[uintptr]string{
		8: "0 4 8 16 24 32 40 48 56 64 72 48 0 4 8 16 0 4 8 16 0 4 8 12 16 36 40",
		4: "0 4 8 12 16 20 24 28 32 36 40 28 0 4 8 12 0 4 8 12 0 4 8 12 16 28 32",
	}[unsafe.Sizeof(uintptr(0))]
	if got != want {
		t.Errorf("layout %s, want %s", got, want)
	}
}
