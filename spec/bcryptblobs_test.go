package spec

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/big"
	"testing"
)

// hdr returns a BCRYPT_RSAKEY_BLOB header (six little-endian ULONGs).
func hdr(magic, bits, cbExp, cbMod, cbP1, cbP2 uint32) []byte {
	return cat(le32(magic), le32(bits), le32(cbExp), le32(cbMod), le32(cbP1), le32(cbP2))
}

// The small key of smallRSABlob (blobs_test.go): p = 251, q = 241, n = 60491 = 0xEC4B, e = 65537,
// d = 3473 = 0x0D91 (= e⁻¹ mod lcm(250, 240)), dp = 0xDF, dq = 0x71, qinv = 0x19, written by hand in
// the bcrypt.h layout: header, then big-endian values.
var (
	smallBCryptRSA2 = []byte{
		'R', 'S', 'A', '2', // BCRYPT_RSAPRIVATE_MAGIC 0x32415352
		0x10, 0x00, 0x00, 0x00, // BitLength 16
		0x03, 0x00, 0x00, 0x00, // cbPublicExp 3
		0x02, 0x00, 0x00, 0x00, // cbModulus 2
		0x01, 0x00, 0x00, 0x00, // cbPrime1 1
		0x01, 0x00, 0x00, 0x00, // cbPrime2 1
		0x01, 0x00, 0x01, // PublicExponent 65537, big-endian
		0xEC, 0x4B, // Modulus
		0xFB, // Prime1 251
		0xF1, // Prime2 241
	}
	smallBCryptRSA3 = []byte{
		'R', 'S', 'A', '3', // BCRYPT_RSAFULLPRIVATE_MAGIC 0x33415352
		0x10, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x01, // PublicExponent
		0xEC, 0x4B, // Modulus
		0xFB,       // Prime1
		0xF1,       // Prime2
		0xDF,       // Exponent1 = d mod (p-1)
		0x71,       // Exponent2 = d mod (q-1)
		0x19,       // Coefficient = q⁻¹ mod p
		0x0D, 0x91, // PrivateExponent
	}
	smallBCryptRSA1 = []byte{
		'R', 'S', 'A', '1', 0x10, 0, 0, 0, 0x03, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0x00, 0x01, 0xEC, 0x4B,
	}
)

func checkSmallKey(t *testing.T, name string, k *rsa.PrivateKey) {
	t.Helper()
	if k.N.Int64() != 60491 || k.E != 65537 || k.D.Int64() != 3473 || len(k.Primes) != 2 ||
		k.Primes[0].Int64() != 251 || k.Primes[1].Int64() != 241 {
		t.Errorf("%s: parsed key wrong: N=%v E=%d D=%v primes=%v", name, k.N, k.E, k.D, k.Primes)
	}
}

func TestBCryptRSABlobsKnownBytes(t *testing.T) {
	if got := []byte{'R', 'S', 'A', '3'}; binary.LittleEndian.Uint32(got) != RSA3Magic {
		t.Fatal("RSA3Magic is not \"RSA3\"")
	}
	for name, b := range map[string][]byte{"RSA2": smallBCryptRSA2, "RSA3": smallBCryptRSA3} {
		k, err := ParseBCryptRSAPrivateBlob(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkSmallKey(t, name, k)
		if got := MarshalBCryptRSAPrivateBlob(k, name == "RSA3"); !bytes.Equal(got, b) {
			t.Errorf("%s: marshal = % X\nwant          % X", name, got, b)
		}
	}
	// Built from the numbers alone (no precomputed values) it gives the same bytes.
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: big.NewInt(60491), E: 65537}, D: big.NewInt(3473),
		Primes: []*big.Int{big.NewInt(251), big.NewInt(241)}}
	if got := MarshalBCryptRSAPrivateBlob(k, true); !bytes.Equal(got, smallBCryptRSA3) {
		t.Errorf("marshal from numbers = % X", got)
	}
	if got := MarshalBCryptRSAPrivateBlob(k, false); !bytes.Equal(got, smallBCryptRSA2) {
		t.Errorf("marshal RSA2 from numbers = % X", got)
	}
	if got := MarshalBCryptRSAPublicBlob(&k.PublicKey); !bytes.Equal(got, smallBCryptRSA1) {
		t.Errorf("public blob = % X\nwant          % X", got, smallBCryptRSA1)
	}
	pub, err := ParseBCryptRSAPublicBlob(smallBCryptRSA1)
	if err != nil || !pub.Equal(&k.PublicKey) {
		t.Errorf("parse public blob: %v %v", pub, err)
	}
	// The same key in the CryptoAPI format is recognized as well, and all three give one key.
	for _, b := range [][]byte{smallRSABlob, smallBCryptRSA2, smallBCryptRSA3} {
		got, _, err := ParsePrivateKeyBlob(b)
		if err != nil {
			t.Fatal(err)
		}
		checkSmallKey(t, "ParsePrivateKeyBlob", got.(*rsa.PrivateKey))
	}
}

func TestBCryptRSABlobs2048(t *testing.T) {
	k := testRSAKey(t)
	be := func(v *big.Int, n int) []byte { return v.FillBytes(make([]byte, n)) }
	p, q := k.Primes[0], k.Primes[1]
	rsa2 := cat(hdr(RSA2Magic, 2048, 3, 256, 128, 128), []byte{1, 0, 1}, be(k.N, 256), be(p, 128), be(q, 128))
	if k.E != 65537 {
		t.Fatalf("test key exponent %d", k.E)
	}
	if got := MarshalBCryptRSAPrivateBlob(k, false); !bytes.Equal(got, rsa2) {
		t.Fatal("RSA2 blob differs from the hand-built one")
	}
	rsa3 := cat(rsa2, be(k.Precomputed.Dp, 128), be(k.Precomputed.Dq, 128), be(k.Precomputed.Qinv, 128), be(k.D, 256))
	copy(rsa3, le32(RSA3Magic))
	if got := MarshalBCryptRSAPrivateBlob(k, true); !bytes.Equal(got, rsa3) || len(got) != 24+3+256*2+128*5 {
		t.Fatal("RSA3 blob differs from the hand-built one")
	}
	rsa1 := cat(hdr(RSA1Magic, 2048, 3, 256, 0, 0), []byte{1, 0, 1}, be(k.N, 256))
	if got := MarshalBCryptRSAPublicBlob(&k.PublicKey); !bytes.Equal(got, rsa1) {
		t.Fatal("RSA1 blob differs from the hand-built one")
	}
	if pub, err := ParseBCryptRSAPublicBlob(rsa1); err != nil || !pub.Equal(&k.PublicKey) {
		t.Fatalf("public: %v", err)
	}

	k3, err := ParseBCryptRSAPrivateBlob(rsa3)
	if err != nil || !k3.Equal(k) {
		t.Fatalf("RSA3 round trip: %v", err)
	}
	k2, err := ParseBCryptRSAPrivateBlob(rsa2)
	if err != nil {
		t.Fatal(err)
	}
	// RSA2 carries no private exponent: the recomputed one may differ from k.D (mod λ or φ), but the
	// CRT values, which define the private operation, must not.
	if !k2.PublicKey.Equal(&k.PublicKey) || k2.Primes[0].Cmp(p) != 0 || k2.Primes[1].Cmp(q) != 0 ||
		k2.Precomputed.Dp.Cmp(k.Precomputed.Dp) != 0 || k2.Precomputed.Dq.Cmp(k.Precomputed.Dq) != 0 ||
		k2.Precomputed.Qinv.Cmp(k.Precomputed.Qinv) != 0 {
		t.Fatal("RSA2 round trip: different key")
	}
	if got := MarshalBCryptRSAPrivateBlob(k2, false); !bytes.Equal(got, rsa2) {
		t.Error("RSA2 re-marshal differs")
	}
	digest := sha256.Sum256([]byte("bcrypt blob"))
	for name, key := range map[string]*rsa.PrivateKey{"RSA2": k2, "RSA3": k3} {
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatalf("%s: sign: %v", name, err)
		}
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			t.Errorf("%s: signature does not verify: %v", name, err)
		}
	}

	// Values padded with leading zeros within larger fields are accepted (other producers may pad
	// the exponent to 4 bytes or the primes beyond half the modulus).
	padded := cat(hdr(RSA3Magic, 2048, 4, 256, 129, 130), []byte{0, 1, 0, 1}, be(k.N, 256), be(p, 129), be(q, 130),
		be(k.Precomputed.Dp, 129), be(k.Precomputed.Dq, 130), be(k.Precomputed.Qinv, 129), be(k.D, 256))
	if kp, err := ParseBCryptRSAPrivateBlob(padded); err != nil || !kp.Equal(k) {
		t.Errorf("padded RSA3: %v", err)
	}

	for _, tc := range []struct {
		b    []byte
		kind BlobKind
	}{
		{rsa2, BlobBCryptRSAPrivate},
		{rsa3, BlobBCryptRSAFullPrivate},
		{MarshalRSAPrivateKeyBlob(k, CALGRSAKeyX), BlobCAPIRSAPrivate},
	} {
		key, kind, err := ParsePrivateKeyBlob(tc.b)
		if err != nil || kind != tc.kind {
			t.Fatalf("%v: kind %v, %v", tc.kind, kind, err)
		}
		rk, ok := key.(*rsa.PrivateKey)
		if !ok || !rk.PublicKey.Equal(&k.PublicKey) {
			t.Errorf("%v: wrong key %T", tc.kind, key)
		}
	}
}

func TestBCryptRSABlobsOtherSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("key generation")
	}
	for _, bits := range []int{1024, 1536, 3072} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		for _, full := range []bool{false, true} {
			b := MarshalBCryptRSAPrivateBlob(k, full)
			got, err := ParseBCryptRSAPrivateBlob(b)
			if err != nil || !got.PublicKey.Equal(&k.PublicKey) || got.Precomputed.Dp.Cmp(k.Precomputed.Dp) != 0 {
				t.Errorf("%d bits, full %v: %v", bits, full, err)
			}
		}
	}
}

// setField returns a copy of b with the header ULONG at off set to v.
func setField(b []byte, off int, v uint32) []byte {
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c[off:], v)
	return c
}

func TestBCryptRSAPrivateBlobErrors(t *testing.T) {
	k := testRSAKey(t)
	big2 := MarshalBCryptRSAPrivateBlob(k, false)
	big3 := MarshalBCryptRSAPrivateBlob(k, true)
	// Truncations at every length, and one byte more.
	for _, good := range [][]byte{smallBCryptRSA2, smallBCryptRSA3, big2, big3} {
		for n := range len(good) {
			if _, err := ParseBCryptRSAPrivateBlob(good[:n]); err == nil {
				t.Fatalf("truncated to %d of %d bytes: accepted", n, len(good))
			}
			if _, _, err := ParsePrivateKeyBlob(good[:n]); err == nil {
				t.Fatalf("ParsePrivateKeyBlob: truncated to %d of %d bytes: accepted", n, len(good))
			}
		}
		if _, err := ParseBCryptRSAPrivateBlob(append(bytes.Clone(good), 0)); err == nil {
			t.Fatal("trailing byte accepted")
		}
	}

	// A key whose "primes" are 15 = 3·5 and 7: n = 105, e = 5, d = 17 = 5⁻¹ mod lcm(14, 6), and
	// every CRT relation holds; only the primality check rejects it.
	composite := cat(hdr(RSA3Magic, 7, 1, 1, 1, 1), []byte{5, 105, 15, 7, 17 % 14, 17 % 6, 13, 17})
	composite2 := cat(hdr(RSA2Magic, 7, 1, 1, 1, 1), []byte{5, 105, 15, 7})

	s2, s3 := smallBCryptRSA2, smallBCryptRSA3
	tests := map[string][]byte{
		"empty":              nil,
		"header only":        s3[:24],
		"RSA1 magic":         setField(s2, 0, RSA1Magic),
		"RSA4 magic":         setField(s3, 0, 0x34415352),
		"ECC magic":          setField(s3, 0, ECDSAPrivateP256Magic),
		"CAPI blob":          smallRSABlob,
		"BitLength 0":        setField(s3, 4, 0),
		"BitLength 15":       setField(s3, 4, 15),
		"BitLength 17":       setField(s3, 4, 17),
		"BitLength 8":        setField(s3, 4, 8),
		"BitLength huge":     setField(s3, 4, 0xFFFFFFF0),
		"BitLength max+8":    setField(s3, 4, MaxRSABits+8),
		"cbPublicExp 0":      setField(s3, 8, 0),
		"cbPublicExp 2":      setField(s3, 8, 2),
		"cbPublicExp 5":      setField(s3, 8, 5),
		"cbPublicExp huge":   setField(s3, 8, 0xFFFFFFFF),
		"cbModulus 1":        setField(s3, 12, 1),
		"cbModulus 3":        setField(s3, 12, 3),
		"cbModulus huge":     setField(s3, 12, 0x80000000),
		"cbPrime1 0":         setField(s3, 16, 0),
		"cbPrime2 0":         setField(s2, 20, 0),
		"cbPrime1 2":         setField(s3, 16, 2),
		"cbPrime2 3":         setField(s2, 20, 3),
		"cbPrime huge":       setField(s3, 16, 0xFFFFFFFF),
		"cbPrime > cbMod":    cat(hdr(RSA2Magic, 16, 3, 2, 3, 0), []byte{1, 0, 1, 0xEC, 0x4B, 0, 0, 0xFB}),
		"exponent even":      mutate(s3, 26, 0x01),
		"exponent 1":         cat(hdr(RSA2Magic, 16, 1, 2, 1, 1), []byte{1, 0xEC, 0x4B, 0xFB, 0xF1}),
		"exponent 3 RSA2":    cat(hdr(RSA2Magic, 16, 1, 2, 1, 1), []byte{3, 0xEC, 0x4B, 0xFB, 0xF1}),
		"exponent 3 RSA3":    cat(hdr(RSA3Magic, 16, 1, 2, 1, 1), []byte{3}, s3[27:]),
		"exponent 2^31":      cat(hdr(RSA2Magic, 16, 4, 2, 1, 1), []byte{0x80, 0, 0, 1, 0xEC, 0x4B, 0xFB, 0xF1}),
		"modulus changed":    mutate(s3, 28, 0x02),
		"modulus even":       mutate(s3, 28, 0x01),
		"modulus short":      cat(hdr(RSA2Magic, 17, 3, 3, 1, 1), []byte{1, 0, 1, 0, 0xEC, 0x4B, 0xFB, 0xF1}),
		"prime1 changed":     mutate(s2, 29, 0x04),
		"prime2 changed":     mutate(s3, 30, 0x04),
		"primes zero":        cat(s2[:29], []byte{0, 0}),
		"prime 1":            cat(hdr(RSA2Magic, 16, 3, 2, 2, 1), []byte{1, 0, 1, 0xEC, 0x4B, 0, 1, 0xEC}),
		"exponent1 wrong":    mutate(s3, 31, 0x01),
		"exponent2 wrong":    mutate(s3, 32, 0x01),
		"coefficient wrong":  mutate(s3, 33, 0x01),
		"private exp wrong":  mutate(s3, 35, 0x02),
		"private exp ≥ n":    cat(s3[:34], []byte{0xEC, 0x4B}),
		"composite RSA3":     composite,
		"composite RSA2":     composite2,
		"all zero after hdr": cat(s3[:24], make([]byte, len(s3)-24)),
		"2048 prime swapped": func() []byte {
			b := bytes.Clone(big3)
			copy(b[24+3+256:], k.Primes[1].FillBytes(make([]byte, 128)))
			return b
		}(),
		"2048 d off by one": func() []byte {
			b := bytes.Clone(big3)
			b[len(b)-1] ^= 0x02
			return b
		}(),
	}
	for name, b := range tests {
		if _, err := ParseBCryptRSAPrivateBlob(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// In the full blob every single-bit change of any byte is detected.
	for i := range s3 {
		for _, x := range []byte{0x01, 0x80} {
			if _, err := ParseBCryptRSAPrivateBlob(mutate(s3, i, x)); err == nil {
				t.Errorf("byte %d ^ %02X accepted", i, x)
			}
		}
	}

	three := &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: []*big.Int{k.Primes[0], k.Primes[1], big.NewInt(3)}}
	for name, bad := range map[string]*rsa.PrivateKey{
		"nil":          nil,
		"three primes": three,
		"no D":         {PublicKey: k.PublicKey, Primes: k.Primes},
		"no primes":    {PublicKey: k.PublicKey, D: k.D},
		"even E":       {PublicKey: rsa.PublicKey{N: k.N, E: 4}, D: k.D, Primes: k.Primes},
		"nil prime":    {PublicKey: k.PublicKey, D: k.D, Primes: []*big.Int{k.Primes[0], nil}},
		"huge prime":   {PublicKey: k.PublicKey, D: k.D, Primes: []*big.Int{new(big.Int).Lsh(k.N, 8), big.NewInt(3)}},
	} {
		for _, full := range []bool{false, true} {
			if MarshalBCryptRSAPrivateBlob(bad, full) != nil {
				t.Errorf("%s (full %v): marshalled", name, full)
			}
		}
	}
}

func TestBCryptRSAPublicBlobErrors(t *testing.T) {
	good := smallBCryptRSA1
	for n := range len(good) {
		if _, err := ParseBCryptRSAPublicBlob(good[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
	tests := map[string][]byte{
		"extra byte":     append(bytes.Clone(good), 0),
		"RSA2 magic":     setField(good, 0, RSA2Magic),
		"cbPrime1 set":   cat(setField(good, 16, 1), []byte{0}),
		"cbPrime2 set":   setField(good, 20, 1),
		"BitLength 17":   setField(good, 4, 17),
		"BitLength 15":   setField(good, 4, 15),
		"cbPublicExp 0":  setField(good, 8, 0),
		"cbModulus 3":    setField(good, 12, 3),
		"even modulus":   mutate(good, 28, 0x01),
		"even exponent":  mutate(good, 26, 0x01),
		"zero exponent":  cat(hdr(RSA1Magic, 16, 1, 2, 0, 0), []byte{0, 0xEC, 0x4B}),
		"private blob":   smallBCryptRSA2,
		"CAPI PUBLICKEY": MarshalRSAPublicKeyBlob(&rsa.PublicKey{N: big.NewInt(60491), E: 65537}, CALGRSASign),
	}
	for name, b := range tests {
		if _, err := ParseBCryptRSAPublicBlob(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if MarshalBCryptRSAPublicBlob(nil) != nil || MarshalBCryptRSAPublicBlob(&rsa.PublicKey{N: big.NewInt(60491), E: 2}) != nil ||
		MarshalBCryptRSAPublicBlob(&rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), MaxRSABits), E: 3}) != nil {
		t.Error("invalid public key marshalled")
	}
}

func TestParsePrivateKeyBlobKinds(t *testing.T) {
	for _, tc := range []struct {
		curve elliptic.Curve
		magic uint32
		kind  BlobKind
	}{
		{elliptic.P256(), ECDSAPrivateP256Magic, BlobBCryptECDSAPrivate},
		{elliptic.P384(), ECDSAPrivateP384Magic, BlobBCryptECDSAPrivate},
		{elliptic.P521(), ECDSAPrivateP521Magic, BlobBCryptECDSAPrivate},
		{elliptic.P256(), ECDHPrivateP256Magic, BlobBCryptECDHPrivate},
		{elliptic.P384(), ECDHPrivateP384Magic, BlobBCryptECDHPrivate},
		{elliptic.P521(), ECDHPrivateP521Magic, BlobBCryptECDHPrivate},
	} {
		ek := testECKey(t, tc.curve)
		b := MarshalECCPrivateKeyBlob(ek, tc.magic)
		key, kind, err := ParsePrivateKeyBlob(b)
		if err != nil || kind != tc.kind || !kind.IsECC() {
			t.Fatalf("%08X: kind %v, %v", tc.magic, kind, err)
		}
		if got, ok := key.(*ecdsa.PrivateKey); !ok || !got.Equal(ek) {
			t.Errorf("%08X: wrong key", tc.magic)
		}
		// A damaged blob of a known kind reports the kind and the parser's error.
		if _, kind, err := ParsePrivateKeyBlob(b[:len(b)-1]); err == nil || kind != tc.kind || errors.Is(err, ErrUnknownBlob) {
			t.Errorf("%08X truncated: kind %v, %v", tc.magic, kind, err)
		}
		pub := MarshalECCPublicKeyBlob(&ek.PublicKey, ECCPublicMagic(eccMagicSpec(tc.magic)))
		if _, kind, err := ParsePrivateKeyBlob(pub); !errors.Is(err, ErrUnknownBlob) || kind != BlobUnknown {
			t.Errorf("ECC public blob: kind %v, %v", kind, err)
		}
	}
	if _, kind, err := ParsePrivateKeyBlob(mutate(smallRSABlob, 27, 1)); err == nil || kind != BlobCAPIRSAPrivate {
		t.Errorf("damaged CAPI blob: kind %v, %v", kind, err)
	}
	if _, kind, err := ParsePrivateKeyBlob(setField(smallBCryptRSA3, 4, 17)); err == nil || kind != BlobBCryptRSAFullPrivate {
		t.Errorf("damaged RSA3 blob: kind %v, %v", kind, err)
	}
	unknown := map[string][]byte{
		"empty":           nil,
		"one byte":        {0x07},
		"three bytes":     {'R', 'S', 'A'},
		"CAPI version 3":  mutate(smallRSABlob, 1, 0x01),
		"PUBLICKEYBLOB":   MarshalRSAPublicKeyBlob(&rsa.PublicKey{N: big.NewInt(60491), E: 65537}, CALGRSASign),
		"RSA1":            smallBCryptRSA1,
		"KDBM":            le32(BCryptKeyDataBlobMagic),
		"DER certificate": {0x30, 0x82, 0x01, 0x00},
	}
	for name, b := range unknown {
		if k, kind, err := ParsePrivateKeyBlob(b); !errors.Is(err, ErrUnknownBlob) || kind != BlobUnknown || k != nil {
			t.Errorf("%s: kind %v, %v", name, kind, err)
		}
	}
	for k := BlobUnknown; k <= BlobBCryptECDHPrivate+1; k++ {
		if k.String() == "" {
			t.Errorf("BlobKind(%d) has no name", int(k))
		}
	}
}

// eccMagicSpec returns the key spec of an ECC magic.
func eccMagicSpec(magic uint32) KeySpec {
	s, _, _ := ECCMagicInfo(magic)
	return s
}

func FuzzParsePrivateKeyBlob(f *testing.F) {
	f.Add(smallRSABlob)
	f.Add(smallBCryptRSA2)
	f.Add(smallBCryptRSA3)
	f.Add(smallBCryptRSA1)
	f.Add(cat(hdr(RSA3Magic, 7, 1, 1, 1, 1), []byte{5, 105, 15, 7, 3, 5, 13, 17}))
	f.Add(MarshalECCPrivateKeyBlob(testECKey(f, elliptic.P256()), ECDSAPrivateP256Magic))
	f.Add(MarshalECCPrivateKeyBlob(testECKey(f, elliptic.P384()), ECDHPrivateP384Magic))
	f.Add(MarshalBCryptRSAPrivateBlob(testRSAKey(f), true))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		key, kind, err := ParsePrivateKeyBlob(b)
		if err != nil {
			if key != nil {
				t.Fatal("key returned with an error")
			}
			return
		}
		// A parsed key validates and survives a round trip through its own format.
		switch k := key.(type) {
		case *rsa.PrivateKey:
			if err := k.Validate(); err != nil {
				t.Fatalf("%v: parsed key does not validate: %v", kind, err)
			}
			var again *rsa.PrivateKey
			switch kind {
			case BlobCAPIRSAPrivate:
				_, alg, _ := ParseRSAPrivateKeyBlob(b)
				if !bytes.Equal(MarshalRSAPrivateKeyBlob(k, alg), b) {
					t.Fatal("CAPI re-marshal differs")
				}
				return
			case BlobBCryptRSAPrivate, BlobBCryptRSAFullPrivate:
				again, err = ParseBCryptRSAPrivateBlob(MarshalBCryptRSAPrivateBlob(k, kind == BlobBCryptRSAFullPrivate))
			default:
				t.Fatalf("RSA key of kind %v", kind)
			}
			if err != nil || !again.PublicKey.Equal(&k.PublicKey) || again.Precomputed.Dp.Cmp(k.Precomputed.Dp) != 0 {
				t.Fatalf("%v: round trip: %v", kind, err)
			}
		case *ecdsa.PrivateKey:
			if !kind.IsECC() || !bytes.Equal(MarshalECCPrivateKeyBlob(k, le.Uint32(b)), b) {
				t.Fatalf("%v: re-marshal differs", kind)
			}
		default:
			t.Fatalf("key of type %T", key)
		}
	})
}
