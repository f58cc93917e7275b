package spec

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"runtime"
	"sync"
	"testing"
	"time"
)

var (
	testCertOnce sync.Once
	testCertDER  []byte
)

// testCert returns a self-signed DER certificate.
func testCert(t testing.TB) []byte {
	testCertOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "certcompress test"},
			NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1900000000, 0)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			panic(err)
		}
		testCertDER = der
	})
	return testCertDER
}

// windowsABC is "abc" in the Windows compressed certificate format, built by hand: version 01 00,
// length 3 (little-endian), zlib header 78 01, one final stored deflate block (01, LEN 0003,
// NLEN FFFC, the bytes), and the Adler-32 of "abc" (0x024D0127, big-endian).
var windowsABC = []byte{
	0x01, 0x00, 0x03, 0x00,
	0x78, 0x01,
	0x01, 0x03, 0x00, 0xFC, 0xFF, 'a', 'b', 'c',
	0x02, 0x4D, 0x01, 0x27,
}

func TestWindowsCertKnownBytes(t *testing.T) {
	if !IsWindowsCompressedCert(windowsABC) {
		t.Fatal("hand-built blob not recognized")
	}
	got, err := DecompressWindowsCert(windowsABC, 0)
	if err != nil || string(got) != "abc" {
		t.Fatalf("decompress = %q, %v", got, err)
	}
	c := CompressWindowsCert([]byte("abc"))
	if !bytes.Equal(c[:4], []byte{0x01, 0x00, 0x03, 0x00}) || c[4] != 0x78 || c[5] != 0xDA {
		t.Errorf("header % X, want 01 00 03 00 78 DA (best compression)", c[:6])
	}
	if got, err := DecompressWindowsCert(c, 3); err != nil || string(got) != "abc" {
		t.Errorf("round trip = %q, %v", got, err)
	}
	// The zlib part is an ordinary RFC 1950 stream.
	zr, err := zlib.NewReader(bytes.NewReader(c[4:]))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil || out.String() != "abc" {
		t.Errorf("zlib.NewReader: %q %v", out.String(), err)
	}
}

func TestWindowsCertRoundTrip(t *testing.T) {
	der := testCert(t)
	if IsWindowsCompressedCert(der) {
		t.Fatal("a DER certificate is taken for a compressed one")
	}
	c := CompressWindowsCert(der)
	if !IsWindowsCompressedCert(c) || int(c[2])|int(c[3])<<8 != len(der) {
		t.Fatalf("compressed header % X for %d bytes", c[:6], len(der))
	}
	for _, limit := range []int{0, -1, len(der), MaxWindowsCertSize, 1 << 20} {
		if got, err := DecompressWindowsCert(c, limit); err != nil || !bytes.Equal(got, der) {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
	if _, err := DecompressWindowsCert(c, len(der)-1); !errors.Is(err, ErrCertTooLarge) {
		t.Errorf("limit below the size: %v", err)
	}
	// Bytes after the zlib stream are ignored.
	if got, err := DecompressWindowsCert(append(bytes.Clone(c), 0, 0, 0xFF), 0); err != nil || !bytes.Equal(got, der) {
		t.Errorf("trailing bytes: %v", err)
	}
	// The largest size the length field holds, and one byte more.
	largest := bytes.Repeat([]byte{0x5A}, MaxWindowsCertSize)
	if got, err := DecompressWindowsCert(CompressWindowsCert(largest), 0); err != nil || !bytes.Equal(got, largest) {
		t.Errorf("65535 bytes: %v", err)
	}
	if CompressWindowsCert(append(largest, 0)) != nil || CompressWindowsCert(nil) != nil {
		t.Error("uncompressible size accepted")
	}
}

func TestWindowsCertErrors(t *testing.T) {
	der := testCert(t)
	c := CompressWindowsCert(der)
	for n := range len(c) {
		if _, err := DecompressWindowsCert(c[:n], 0); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(c))
		}
	}
	withLen := func(n int) []byte {
		b := bytes.Clone(c)
		b[2], b[3] = byte(n), byte(n>>8)
		return b
	}
	// A stream whose content is longer than its header says, and corrupt after a valid header.
	var zbuf bytes.Buffer
	zw := zlib.NewWriter(&zbuf)
	zw.Write(bytes.Repeat([]byte{1}, 1000))
	zw.Close()
	long := append([]byte{0x01, 0x00, 0x10, 0x00}, zbuf.Bytes()...)
	tests := map[string][]byte{
		"DER":               der,
		"version 01 01":     mutate(c, 1, 0x01),
		"version 02 00":     mutate(c, 0, 0x03),
		"length + 1":        withLen(len(der) + 1),
		"length - 1":        withLen(len(der) - 1),
		"length 0":          withLen(0),
		"content too long":  long,
		"not zlib (CM 7)":   mutate(c, 4, 0x0F),
		"zlib check":        mutate(c, 5, 0x01),
		"preset dictionary": append([]byte{0x01, 0x00, 0x03, 0x00, 0x78, 0xBB}, windowsABC[6:]...),
		"window 64K":        append([]byte{0x01, 0x00, 0x03, 0x00, 0x88, 0x1C}, windowsABC[6:]...),
		"adler wrong":       mutate(windowsABC, len(windowsABC)-1, 0x01),
		"stored NLEN wrong": mutate(windowsABC, 9, 0x01),
		"block type 3":      mutate(windowsABC, 6, 0x06),
		"data corrupt":      mutate(c, len(c)/2, 0xFF),
	}
	for name, b := range tests {
		if _, err := DecompressWindowsCert(b, 0); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if IsWindowsCompressedCert(tests["preset dictionary"]) || IsWindowsCompressedCert(tests["window 64K"]) {
		t.Error("invalid zlib header recognized")
	}
	// A length above the limit is refused before the (here corrupt) stream is read.
	if _, err := DecompressWindowsCert(mutate(c, len(c)/2, 0xFF), len(der)-1); !errors.Is(err, ErrCertTooLarge) {
		t.Errorf("length above limit: %v", err)
	}
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestCertDecompressionBombs(t *testing.T) {
	const bomb = 16 << 20 // 16 MiB of zeros, about 16 KiB compressed
	zeros := make([]byte, bomb)
	var zbuf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&zbuf, zlib.BestCompression)
	zw.Write(zeros)
	zw.Close()
	var gbuf bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&gbuf, gzip.BestCompression)
	gw.Write(zeros)
	gw.Close()
	const limit = 4096
	// The decompressors' own state (window, Huffman tables) is below 256 KiB; reading the bomb
	// would allocate megabytes.
	const budget = 2*limit + 256<<10

	for _, announced := range []int{limit, 100} {
		b := append([]byte{0x01, 0x00, byte(announced), byte(announced >> 8)}, zbuf.Bytes()...)
		var err error
		if n := allocated(func() { _, err = DecompressWindowsCert(b, limit) }); n > budget {
			t.Errorf("Windows bomb (announces %d): %d bytes allocated", announced, n)
		}
		if err == nil || errors.Is(err, ErrCertTooLarge) {
			t.Errorf("Windows bomb (announces %d): %v, want a length mismatch", announced, err)
		}
	}
	// A header that announces 65535 bytes with a limit of 4096 is refused before decompressing.
	b := append([]byte{0x01, 0x00, 0xFF, 0xFF}, zbuf.Bytes()...)
	if _, err := DecompressWindowsCert(b, limit); !errors.Is(err, ErrCertTooLarge) {
		t.Errorf("announced 65535: %v", err)
	}
	// Without a limit the 16-bit length still bounds the work.
	var err error
	if n := allocated(func() { _, err = DecompressWindowsCert(b, 0) }); n > 2*MaxWindowsCertSize+256<<10 || err == nil {
		t.Errorf("announced 65535, no limit: %d bytes allocated, %v", n, err)
	}

	// gzip: the ISIZE trailer says 16 MiB, which must not be trusted for the allocation either.
	if n := allocated(func() { _, err = GunzipCert(gbuf.Bytes(), limit) }); n > budget || !errors.Is(err, ErrCertTooLarge) {
		t.Errorf("gzip bomb: %d bytes allocated, %v", n, err)
	}
	// A lying ISIZE (small) only sizes the first buffer.
	lying := bytes.Clone(gbuf.Bytes())
	copy(lying[len(lying)-4:], []byte{10, 0, 0, 0})
	if n := allocated(func() { _, err = GunzipCert(lying, limit) }); n > budget || !errors.Is(err, ErrCertTooLarge) {
		t.Errorf("gzip bomb with small ISIZE: %d bytes allocated, %v", n, err)
	}
}

func TestGzipCert(t *testing.T) {
	der := testCert(t)
	g := GzipCert(der)
	if !bytes.Equal(g, GzipCert(der)) {
		t.Error("GzipCert is not deterministic")
	}
	// RFC 1952 header: ID1 ID2 1F 8B, CM 08, FLG 0 (no name), MTIME 0, XFL 02 (best compression).
	if !bytes.Equal(g[:9], []byte{0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x02}) {
		t.Errorf("gzip header % X", g[:10])
	}
	// What the engine does with a CertInfo 01 object today: a plain gzip reader.
	zr, err := gzip.NewReader(bytes.NewReader(g))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil || !bytes.Equal(out.Bytes(), der) {
		t.Fatalf("gzip.NewReader: %v", err)
	}
	for _, limit := range []int{len(der), 1 << 20} {
		if got, err := GunzipCert(g, limit); err != nil || !bytes.Equal(got, der) {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
	if _, err := GunzipCert(g, len(der)-1); !errors.Is(err, ErrCertTooLarge) {
		t.Errorf("limit below the size: %v", err)
	}
	// Only the first member counts; what follows is ignored.
	two := append(bytes.Clone(g), GzipCert([]byte("second member"))...)
	if got, err := GunzipCert(two, 1<<20); err != nil || !bytes.Equal(got, der) {
		t.Errorf("two members: %v", err)
	}
	if got, err := GunzipCert(append(bytes.Clone(g), 0xFF, 0x00), 1<<20); err != nil || !bytes.Equal(got, der) {
		t.Errorf("trailing bytes: %v", err)
	}
	if got, err := GunzipCert(GzipCert(nil), 1); err != nil || len(got) != 0 {
		t.Errorf("empty: %q %v", got, err)
	}

	for n := range len(g) {
		if _, err := GunzipCert(g[:n], 1<<20); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(g))
		}
	}
	tests := map[string][]byte{
		"DER":          der,
		"windows":      CompressWindowsCert(der),
		"bad magic":    mutate(g, 0, 0x01),
		"bad method":   mutate(g, 2, 0x01),
		"crc wrong":    mutate(g, len(g)-5, 0x01),
		"isize wrong":  mutate(g, len(g)-4, 0x01),
		"data corrupt": mutate(g, len(g)/2, 0xFF),
	}
	for name, b := range tests {
		if _, err := GunzipCert(b, 1<<20); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for _, limit := range []int{0, -1} {
		if _, err := GunzipCert(g, limit); err == nil {
			t.Errorf("limit %d accepted", limit)
		}
	}
}

func FuzzCertCompression(f *testing.F) {
	der := testCert(f)
	f.Add(windowsABC)
	f.Add(CompressWindowsCert(der))
	f.Add(GzipCert(der))
	f.Add(der)
	f.Add([]byte{0x01, 0x00, 0xFF, 0xFF, 0x78, 0x9C, 0x03, 0x00})
	f.Add([]byte{})
	const limit = 4096
	f.Fuzz(func(t *testing.T, b []byte) {
		if out, err := DecompressWindowsCert(b, limit); err == nil {
			if !IsWindowsCompressedCert(b) || len(out) != int(le.Uint16(b[2:])) || len(out) > limit {
				t.Fatalf("decompressed %d bytes from a header announcing % X", len(out), b[2:4])
			}
		} else if IsWindowsCompressedCert(b) && int(le.Uint16(b[2:])) > limit && !errors.Is(err, ErrCertTooLarge) {
			t.Fatalf("announced size above the limit: %v", err)
		}
		if out, err := GunzipCert(b, limit); err == nil && len(out) > limit {
			t.Fatalf("gunzip returned %d bytes, limit %d", len(out), limit)
		}
		// Any input compresses and decompresses back to itself.
		if len(b) > 0 && len(b) <= MaxWindowsCertSize {
			if got, err := DecompressWindowsCert(CompressWindowsCert(b), len(b)); err != nil || !bytes.Equal(got, b) {
				t.Fatalf("Windows round trip: %v", err)
			}
		}
		if got, err := GunzipCert(GzipCert(b), len(b)+1); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("gzip round trip: %v", err)
		}
	})
}
