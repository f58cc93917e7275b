package spec

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"math/big"
	"sync"
	"testing"
)

// le32 returns v as 4 little-endian bytes, for building expected blobs by hand.
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func rev(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[i] = b[len(b)-1-i]
	}
	return r
}

// mutate returns a copy of b with b[i] ^= x.
func mutate(b []byte, i int, x byte) []byte {
	c := append([]byte{}, b...)
	c[i] ^= x
	return c
}

func TestRSAPublicKeyBlobKnownBytes(t *testing.T) {
	// A 64-bit modulus 0xC5A1B3D7E9F10203, e = 65537, written per reference §2.2 byte by byte.
	n, _ := new(big.Int).SetString("C5A1B3D7E9F10203", 16)
	pub := &rsa.PublicKey{N: n, E: 65537}
	want := []byte{
		0x06, 0x02, 0x00, 0x00, // PUBLICKEYBLOB, CUR_BLOB_VERSION, reserved
		0x00, 0xA4, 0x00, 0x00, // CALG_RSA_KEYX
		'R', 'S', 'A', '1', // magic 0x31415352
		0x40, 0x00, 0x00, 0x00, // bitlen 64
		0x01, 0x00, 0x01, 0x00, // pubexp 65537
		0x03, 0x02, 0xF1, 0xE9, 0xD7, 0xB3, 0xA1, 0xC5, // modulus little-endian
	}
	got := MarshalRSAPublicKeyBlob(pub, CALGRSAKeyX)
	if !bytes.Equal(got, want) {
		t.Fatalf("blob = % X\nwant   % X", got, want)
	}
	p, alg, err := ParseRSAPublicKeyBlob(want)
	if err != nil || alg != CALGRSAKeyX || p.N.Cmp(n) != 0 || p.E != 65537 {
		t.Errorf("parse = %v %v %v", p, alg, err)
	}
}

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func TestRSAPublicKeyBlob2048(t *testing.T) {
	k := testRSAKey(t)
	b := MarshalRSAPublicKeyBlob(&k.PublicKey, CALGRSASign)
	want := cat([]byte{6, 2, 0, 0}, le32(0x2400), le32(0x31415352), le32(2048), le32(uint32(k.E)), rev(k.N.FillBytes(make([]byte, 256))))
	if !bytes.Equal(b, want) || len(b) != 20+256 {
		t.Fatalf("2048-bit blob differs from the hand-built one")
	}
	p, alg, err := ParseRSAPublicKeyBlob(b)
	if err != nil || alg != CALGRSASign || !p.Equal(&k.PublicKey) {
		t.Fatalf("parse: %v", err)
	}
}

func TestRSAPublicKeyBlobErrors(t *testing.T) {
	k := testRSAKey(t)
	good := MarshalRSAPublicKeyBlob(&k.PublicKey, CALGRSAKeyX)
	withBitlen := func(bits uint32) []byte {
		c := append([]byte{}, good...)
		binary.LittleEndian.PutUint32(c[12:], bits)
		return c
	}
	withExp := func(e uint32) []byte {
		c := append([]byte{}, good...)
		binary.LittleEndian.PutUint32(c[16:], e)
		return c
	}
	evenMod := mutate(good, 20, 0x01)
	zeroTop := append([]byte{}, good...)
	zeroTop[len(zeroTop)-1] = 0
	tests := map[string][]byte{
		"empty":          nil,
		"short header":   good[:19],
		"header only":    good[:20],
		"truncated":      good[:len(good)-1],
		"extra byte":     append(append([]byte{}, good...), 0),
		"private type":   mutate(good, 0, 0x06^0x07),
		"bad version":    mutate(good, 1, 0x01),
		"reserved":       mutate(good, 2, 0x01),
		"RSA2 magic":     mutate(good, 11, 0x31^0x32),
		"wrong magic":    mutate(good, 8, 0xFF),
		"bitlen 0":       withBitlen(0),
		"bitlen 2047":    withBitlen(2047),
		"bitlen 2056":    withBitlen(2056),
		"bitlen huge":    withBitlen(0xFFFFFFF8),
		"exponent 0":     withExp(0),
		"exponent 1":     withExp(1),
		"exponent even":  withExp(65536),
		"exponent 2^31":  withExp(1 << 31),
		"even modulus":   evenMod,
		"zero top byte":  zeroTop,
		"ECC blob":       MarshalECCPublicKeyBlob(testECKey(t, elliptic.P256()).Public().(*ecdsa.PublicKey), ECDSAPublicP256Magic),
		"private blob":   MarshalRSAPrivateKeyBlob(k, CALGRSAKeyX),
		"bitlen 8 short": cat([]byte{6, 2, 0, 0}, le32(0xA400), le32(0x31415352), le32(8), le32(3)),
	}
	for name, b := range tests {
		if _, _, err := ParseRSAPublicKeyBlob(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if MarshalRSAPublicKeyBlob(nil, CALGRSAKeyX) != nil ||
		MarshalRSAPublicKeyBlob(&rsa.PublicKey{N: big.NewInt(0), E: 3}, CALGRSAKeyX) != nil ||
		MarshalRSAPublicKeyBlob(&rsa.PublicKey{N: k.N, E: 2}, CALGRSAKeyX) != nil ||
		MarshalRSAPublicKeyBlob(&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), MaxRSABits), E: 3}, CALGRSAKeyX) != nil {
		t.Error("invalid public key marshalled")
	}
}

// smallRSABlob is a PRIVATEKEYBLOB built by hand for p = 251, q = 241 (n = 60491 = 0xEC4B),
// e = 65537, d = 3473 = 0x0D91, dp = d mod 250 = 0xDF, dq = d mod 240 = 0x71,
// qinv = 241⁻¹ mod 251 = 0x19: the layout of reference §4.10.
var smallRSABlob = []byte{
	0x07, 0x02, 0x00, 0x00, // PRIVATEKEYBLOB, CUR_BLOB_VERSION, reserved
	0x00, 0x24, 0x00, 0x00, // CALG_RSA_SIGN
	'R', 'S', 'A', '2', // magic 0x32415352
	0x10, 0x00, 0x00, 0x00, // bitlen 16
	0x01, 0x00, 0x01, 0x00, // pubexp 65537
	0x4B, 0xEC, // modulus (bitlen/8)
	0xFB,       // prime1 (bitlen/16)
	0xF1,       // prime2
	0xDF,       // exponent1
	0x71,       // exponent2
	0x19,       // coefficient
	0x91, 0x0D, // privateExponent (bitlen/8)
}

func TestRSAPrivateKeyBlobKnownBytes(t *testing.T) {
	k, alg, err := ParseRSAPrivateKeyBlob(smallRSABlob)
	if err != nil {
		t.Fatal(err)
	}
	if alg != CALGRSASign || k.N.Int64() != 60491 || k.E != 65537 || k.D.Int64() != 3473 ||
		k.Primes[0].Int64() != 251 || k.Primes[1].Int64() != 241 {
		t.Errorf("parsed key wrong: %v", k)
	}
	if got := MarshalRSAPrivateKeyBlob(k, CALGRSASign); !bytes.Equal(got, smallRSABlob) {
		t.Errorf("marshal = % X\nwant     % X", got, smallRSABlob)
	}
	// Built from the numbers alone (no precomputed values) it gives the same bytes.
	k2 := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: big.NewInt(60491), E: 65537}, D: big.NewInt(3473),
		Primes: []*big.Int{big.NewInt(251), big.NewInt(241)}}
	if got := MarshalRSAPrivateKeyBlob(k2, CALGRSASign); !bytes.Equal(got, smallRSABlob) {
		t.Errorf("marshal from numbers = % X", got)
	}
}

func TestRSAPrivateKeyBlob2048(t *testing.T) {
	k := testRSAKey(t)
	b := MarshalRSAPrivateKeyBlob(k, CALGRSAKeyX)
	half := func(v *big.Int) []byte { return rev(v.FillBytes(make([]byte, 128))) }
	full := func(v *big.Int) []byte { return rev(v.FillBytes(make([]byte, 256))) }
	want := cat([]byte{7, 2, 0, 0}, le32(0xA400), le32(0x32415352), le32(2048), le32(uint32(k.E)),
		full(k.N), half(k.Primes[0]), half(k.Primes[1]), half(k.Precomputed.Dp), half(k.Precomputed.Dq),
		half(k.Precomputed.Qinv), full(k.D))
	if !bytes.Equal(b, want) || len(b) != 20+9*2048/16 {
		t.Fatalf("2048-bit private blob differs from the hand-built one (len %d)", len(b))
	}
	p, alg, err := ParseRSAPrivateKeyBlob(b)
	if err != nil || alg != CALGRSAKeyX || !p.Equal(k) {
		t.Fatalf("parse: %v", err)
	}
	// The parsed key works.
	msg := []byte("hello")
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, &k.PublicKey, msg)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := rsa.DecryptPKCS1v15(nil, p, ct); err != nil || !bytes.Equal(pt, msg) {
		t.Errorf("decrypt with parsed key: %v", err)
	}
}

func TestRSAPrivateKeyBlobErrors(t *testing.T) {
	good := smallRSABlob
	withField := func(off int, v uint32) []byte {
		c := append([]byte{}, good...)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	tests := map[string][]byte{
		"empty":              nil,
		"header only":        good[:20],
		"truncated":          good[:len(good)-1],
		"extra byte":         append(append([]byte{}, good...), 0),
		"public type":        mutate(good, 0, 0x07^0x06),
		"RSA1 magic":         mutate(good, 11, 0x32^0x31),
		"bitlen 24":          withField(12, 24),
		"bitlen 8":           withField(12, 8),
		"exponent 3":         withField(16, 3), // not the exponent of d
		"exponent even":      withField(16, 4),
		"modulus changed":    mutate(good, 20, 0x02),
		"prime1 changed":     mutate(good, 22, 0x04),
		"prime2 changed":     mutate(good, 23, 0x04),
		"exponent1 changed":  mutate(good, 24, 0x01),
		"exponent2 changed":  mutate(good, 25, 0x01),
		"coefficient wrong":  mutate(good, 26, 0x01),
		"private exp wrong":  mutate(good, 27, 0x01),
		"public blob":        MarshalRSAPublicKeyBlob(&rsa.PublicKey{N: big.NewInt(60491), E: 65537}, CALGRSASign),
		"zero primes":        cat(good[:20], []byte{0x4B, 0xEC, 0, 0, 0, 0, 0, 0x91, 0x0D}),
		"all zero after hdr": cat(good[:20], make([]byte, 9)),
	}
	for name, b := range tests {
		if _, _, err := ParseRSAPrivateKeyBlob(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	k := testRSAKey(t)
	three := &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: []*big.Int{k.Primes[0], k.Primes[1], big.NewInt(3)}}
	if MarshalRSAPrivateKeyBlob(nil, 0) != nil || MarshalRSAPrivateKeyBlob(three, 0) != nil ||
		MarshalRSAPrivateKeyBlob(&rsa.PrivateKey{PublicKey: k.PublicKey}, 0) != nil {
		t.Error("invalid private key marshalled")
	}
}

var ecKeys sync.Map // elliptic.Curve → *ecdsa.PrivateKey

func testECKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	if k, ok := ecKeys.Load(c); ok {
		return k.(*ecdsa.PrivateKey)
	}
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKeys.Store(c, k)
	return k
}

var eccCases = []struct {
	name          string
	curve         elliptic.Curve
	cbKey         int
	dsaPub, dsaPr uint32
	dhPub, dhPr   uint32
	dsaSpec       KeySpec
}{
	{"P-256", elliptic.P256(), 32, 0x31534345, 0x32534345, 0x314B4345, 0x324B4345, ATECDSAP256},
	{"P-384", elliptic.P384(), 48, 0x33534345, 0x34534345, 0x334B4345, 0x344B4345, ATECDSAP384},
	{"P-521", elliptic.P521(), 66, 0x35534345, 0x36534345, 0x354B4345, 0x364B4345, ATECDSAP521},
}

// TestECCBlobsGenerator uses d = 1, whose public point is the curve's generator as published in
// the curve parameters: the expected bytes do not depend on this package's code.
func TestECCBlobsGenerator(t *testing.T) {
	for _, tc := range eccCases {
		p := tc.curve.Params()
		gx, gy := p.Gx.FillBytes(make([]byte, tc.cbKey)), p.Gy.FillBytes(make([]byte, tc.cbKey))
		one := make([]byte, tc.cbKey)
		one[tc.cbKey-1] = 1
		wantPub := cat(le32(tc.dsaPub), le32(uint32(tc.cbKey)), gx, gy)
		wantPriv := cat(le32(tc.dhPr), le32(uint32(tc.cbKey)), gx, gy, one)

		pub, magic, err := ParseECCPublicKeyBlob(wantPub)
		if err != nil || magic != tc.dsaPub || pub.Curve != tc.curve {
			t.Fatalf("%s: parse generator: %v", tc.name, err)
		}
		if got := MarshalECCPublicKeyBlob(pub, tc.dsaPub); !bytes.Equal(got, wantPub) {
			t.Errorf("%s: public marshal differs", tc.name)
		}
		priv, magic, err := ParseECCPrivateKeyBlob(wantPriv)
		if err != nil || magic != tc.dhPr {
			t.Fatalf("%s: parse d = 1: %v", tc.name, err)
		}
		if !priv.PublicKey.Equal(pub) {
			t.Errorf("%s: d = 1 does not give G", tc.name)
		}
		if got := MarshalECCPrivateKeyBlob(priv, tc.dhPr); !bytes.Equal(got, wantPriv) {
			t.Errorf("%s: private marshal differs", tc.name)
		}
	}
}

func TestECCBlobsRandomKeys(t *testing.T) {
	for _, tc := range eccCases {
		k := testECKey(t, tc.curve)
		x := k.X.FillBytes(make([]byte, tc.cbKey)) //nolint:staticcheck // independent source of the coordinates
		y := k.Y.FillBytes(make([]byte, tc.cbKey)) //nolint:staticcheck
		d := k.D.FillBytes(make([]byte, tc.cbKey)) //nolint:staticcheck

		for _, m := range []uint32{tc.dsaPub, tc.dhPub} {
			want := cat(le32(m), le32(uint32(tc.cbKey)), x, y)
			got := MarshalECCPublicKeyBlob(&k.PublicKey, m)
			if !bytes.Equal(got, want) || len(got) != 8+2*tc.cbKey {
				t.Errorf("%s magic %08X: public blob differs", tc.name, m)
			}
			pub, magic, err := ParseECCPublicKeyBlob(got)
			if err != nil || magic != m || !pub.Equal(&k.PublicKey) {
				t.Errorf("%s: public round trip: %v", tc.name, err)
			}
		}
		for _, m := range []uint32{tc.dsaPr, tc.dhPr} {
			want := cat(le32(m), le32(uint32(tc.cbKey)), x, y, d)
			got := MarshalECCPrivateKeyBlob(k, m)
			if !bytes.Equal(got, want) || len(got) != 8+3*tc.cbKey {
				t.Errorf("%s magic %08X: private blob differs", tc.name, m)
			}
			priv, magic, err := ParseECCPrivateKeyBlob(got)
			if err != nil || magic != m || !priv.Equal(k) {
				t.Errorf("%s: private round trip: %v", tc.name, err)
			}
		}
		// crypto/ecdh form.
		ek, err := k.PublicKey.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		if got := MarshalECDHPublicKeyBlob(ek, tc.dhPub); !bytes.Equal(got, cat(le32(tc.dhPub), le32(uint32(tc.cbKey)), x, y)) {
			t.Errorf("%s: ECDH public blob differs", tc.name)
		}
		// Magic helpers agree with the table.
		if ECCPublicMagic(tc.dsaSpec) != tc.dsaPub || ECCPrivateMagic(tc.dsaSpec+3) != tc.dhPr {
			t.Errorf("%s: magic helpers", tc.name)
		}
	}
}

func TestECCPublicKeyBlobErrors(t *testing.T) {
	for _, tc := range eccCases {
		k := testECKey(t, tc.curve)
		good := MarshalECCPublicKeyBlob(&k.PublicKey, tc.dsaPub)
		cb := tc.cbKey
		offCurve := mutate(good, 8+2*cb-1, 0x01) // last byte of Y
		infinity := cat(good[:8], make([]byte, 2*cb))
		// X = p (not reduced), Y from the key: out of range.
		unreduced := cat(good[:8], tc.curve.Params().P.FillBytes(make([]byte, cb)), good[8+cb:])
		wrongCb := append([]byte{}, good...)
		binary.LittleEndian.PutUint32(wrongCb[4:], uint32(cb+1))
		otherCurve := eccCases[(indexOf(tc.name)+1)%3]
		mixed := append([]byte{}, good...)
		binary.LittleEndian.PutUint32(mixed[0:], otherCurve.dsaPub) // magic of another curve, same length
		tests := map[string][]byte{
			"empty":          nil,
			"header only":    good[:8],
			"short":          good[:len(good)-1],
			"long":           append(append([]byte{}, good...), 0),
			"private magic":  cat(le32(tc.dsaPr), good[4:]),
			"RSA magic":      cat(le32(RSA1Magic), good[4:]),
			"zero magic":     cat(le32(0), good[4:]),
			"wrong cbKey":    wrongCb,
			"off curve":      offCurve,
			"infinity":       infinity,
			"unreduced X":    unreduced,
			"other curve":    mixed,
			"private blob":   MarshalECCPrivateKeyBlob(k, tc.dsaPr),
			"with 04 prefix": cat(good[:8], []byte{4}, good[8:len(good)-1]),
		}
		for name, b := range tests {
			if _, _, err := ParseECCPublicKeyBlob(b); err == nil {
				t.Errorf("%s %s: accepted", tc.name, name)
			}
		}
		// Marshal refuses a magic of the wrong curve or a private magic.
		if MarshalECCPublicKeyBlob(&k.PublicKey, otherCurve.dsaPub) != nil ||
			MarshalECCPublicKeyBlob(&k.PublicKey, tc.dsaPr) != nil ||
			MarshalECCPublicKeyBlob(nil, tc.dsaPub) != nil ||
			MarshalECCPrivateKeyBlob(k, tc.dsaPub) != nil ||
			MarshalECCPrivateKeyBlob(k, otherCurve.dsaPr) != nil ||
			MarshalECCPrivateKeyBlob(nil, tc.dsaPr) != nil {
			t.Errorf("%s: marshal accepted a wrong magic", tc.name)
		}
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if MarshalECCPublicKeyBlob(&p224.PublicKey, ECDSAPublicP256Magic) != nil {
		t.Error("P-224 key marshalled")
	}
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if MarshalECDHPublicKeyBlob(x.PublicKey(), ECDHPublicP256Magic) != nil || MarshalECDHPublicKeyBlob(nil, ECDHPublicP256Magic) != nil {
		t.Error("X25519 or nil ECDH key marshalled")
	}
	e384, _ := ecdh.P384().GenerateKey(rand.Reader)
	if MarshalECDHPublicKeyBlob(e384.PublicKey(), ECDHPublicP256Magic) != nil {
		t.Error("P-384 ECDH key marshalled with a P-256 magic")
	}
}

func indexOf(name string) int {
	for i, c := range eccCases {
		if c.name == name {
			return i
		}
	}
	return -1
}

func TestECCPrivateKeyBlobErrors(t *testing.T) {
	for _, tc := range eccCases {
		k := testECKey(t, tc.curve)
		good := MarshalECCPrivateKeyBlob(k, tc.dhPr)
		cb := tc.cbKey
		n := tc.curve.Params().N
		tests := map[string][]byte{
			"empty":         nil,
			"short":         good[:len(good)-1],
			"long":          append(append([]byte{}, good...), 0),
			"public blob":   MarshalECCPublicKeyBlob(&k.PublicKey, tc.dhPub),
			"public magic":  cat(le32(tc.dhPub), good[4:]),
			"d = 0":         cat(good[:8+2*cb], make([]byte, cb)),
			"d = n":         cat(good[:8+2*cb], n.FillBytes(make([]byte, cb))),
			"d changed":     mutate(good, len(good)-1, 0x01),
			"X changed":     mutate(good, 8, 0x01),
			"Y changed":     mutate(good, 8+2*cb-1, 0x01),
			"point is zero": cat(good[:8], make([]byte, 2*cb), good[8+2*cb:]),
		}
		for name, b := range tests {
			if _, _, err := ParseECCPrivateKeyBlob(b); err == nil {
				t.Errorf("%s %s: accepted", tc.name, name)
			}
		}
	}
}
