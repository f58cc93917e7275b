package spec

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/subtle"
	"fmt"
	"math/big"
)

// Sizes of the key blob headers (reference §2.13).
const (
	// RSABlobHeaderSize is BLOBHEADER (8 bytes) + RSAPUBKEY (12 bytes).
	RSABlobHeaderSize = 20
	// ECCBlobHeaderSize is sizeof(BCRYPT_ECCKEY_BLOB).
	ECCBlobHeaderSize = 8
	// MaxRSABits is the largest RSA key size the blob parsers accept (the CryptoAPI maximum).
	MaxRSABits = 16384
	// maxRSAExponent keeps E within a 32-bit int, as crypto/rsa requires.
	maxRSAExponent = 1<<31 - 1
)

// reversed returns a reversed copy of b (big-endian ↔ little-endian).
func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i, c := range b {
		r[len(b)-1-i] = c
	}
	return r
}

// putLE writes v little-endian into b, which must be large enough (checked by the caller).
func putLE(b []byte, v *big.Int) {
	be := v.FillBytes(make([]byte, len(b)))
	for i, c := range be {
		b[len(b)-1-i] = c
	}
}

// fitsLE reports whether v is non-negative and fits in n bytes.
func fitsLE(v *big.Int, n int) bool { return v != nil && v.Sign() >= 0 && (v.BitLen()+7)/8 <= n }

// getLE reads a little-endian unsigned integer.
func getLE(b []byte) *big.Int { return new(big.Int).SetBytes(reversed(b)) }

func putRSAHeader(b []byte, bType byte, alg ALGID, magic uint32, bitlen int, e int) {
	b[0] = bType
	b[1] = CurBlobVersion
	le.PutUint16(b[2:], 0)
	le.PutUint32(b[4:], uint32(alg))
	le.PutUint32(b[8:], magic)
	le.PutUint32(b[12:], uint32(bitlen))
	le.PutUint32(b[16:], uint32(e))
}

// parseRSAHeader checks BLOBHEADER and RSAPUBKEY and returns aiKeyAlg, bitlen and pubexp.
func parseRSAHeader(what string, b []byte, bType byte, magic uint32) (ALGID, int, int, error) {
	if len(b) < RSABlobHeaderSize {
		return 0, 0, 0, fmt.Errorf("spec: %s: %d bytes, want at least %d", what, len(b), RSABlobHeaderSize)
	}
	if b[0] != bType {
		return 0, 0, 0, fmt.Errorf("spec: %s: bType 0x%02X, want 0x%02X", what, b[0], bType)
	}
	if b[1] != CurBlobVersion {
		return 0, 0, 0, fmt.Errorf("spec: %s: bVersion %d, want %d", what, b[1], CurBlobVersion)
	}
	if r := le.Uint16(b[2:]); r != 0 {
		return 0, 0, 0, fmt.Errorf("spec: %s: reserved field 0x%04X, want 0", what, r)
	}
	if m := le.Uint32(b[8:]); m != magic {
		return 0, 0, 0, fmt.Errorf("spec: %s: magic 0x%08X, want 0x%08X", what, m, magic)
	}
	bitlen := le.Uint32(b[12:])
	if bitlen == 0 || bitlen > MaxRSABits {
		return 0, 0, 0, fmt.Errorf("spec: %s: bitlen %d out of range 1..%d", what, bitlen, MaxRSABits)
	}
	e := le.Uint32(b[16:])
	if e < 3 || e%2 == 0 || e > maxRSAExponent {
		return 0, 0, 0, fmt.Errorf("spec: %s: public exponent %d is not an odd value in 3..2^31-1", what, e)
	}
	return ALGID(le.Uint32(b[4:])), int(bitlen), int(e), nil
}

func validRSAPublic(pub *rsa.PublicKey) bool {
	return pub != nil && pub.N != nil && pub.N.Sign() > 0 && pub.N.BitLen() <= MaxRSABits &&
		pub.E >= 3 && pub.E%2 == 1 && pub.E <= maxRSAExponent
}

// MarshalRSAPublicKeyBlob returns a CryptoAPI PUBLICKEYBLOB, the RSA format of CONTAINER_INFO
// (reference §2.2): BLOBHEADER{bType 0x06, bVersion 2, reserved 0, aiKeyAlg},
// RSAPUBKEY{magic "RSA1", bitlen, pubexp}, then the modulus little-endian in bitlen/8 bytes.
// aiKeyAlg is CALGRSASign for a signature key and CALGRSAKeyX for a key-exchange key.
//
// bitlen is the modulus bit length rounded up to a whole byte. It returns nil for a nil key, a
// modulus above MaxRSABits, or an exponent that is not odd and within 3..2^31-1.
func MarshalRSAPublicKeyBlob(pub *rsa.PublicKey, aiKeyAlg ALGID) []byte {
	if !validRSAPublic(pub) {
		return nil
	}
	cbMod := (pub.N.BitLen() + 7) / 8
	b := make([]byte, RSABlobHeaderSize+cbMod)
	putRSAHeader(b, PublicKeyBlob, aiKeyAlg, RSA1Magic, 8*cbMod, pub.E)
	putLE(b[RSABlobHeaderSize:], pub.N)
	return b
}

// ParseRSAPublicKeyBlob parses a PUBLICKEYBLOB as written by MarshalRSAPublicKeyBlob and returns
// the key and aiKeyAlg (not checked: the caller decides which ALG_IDs it accepts). It rejects a
// wrong bType, bVersion, reserved field or magic, a bitlen that is zero, above MaxRSABits or not
// a multiple of 8, a length other than 20 + bitlen/8, an even or out-of-range exponent, and a
// modulus that is even or whose most significant byte is zero (bitlen must describe it).
func ParseRSAPublicKeyBlob(b []byte) (*rsa.PublicKey, ALGID, error) {
	const what = "RSA PUBLICKEYBLOB"
	alg, bitlen, e, err := parseRSAHeader(what, b, PublicKeyBlob, RSA1Magic)
	if err != nil {
		return nil, 0, err
	}
	if bitlen%8 != 0 {
		return nil, 0, fmt.Errorf("spec: %s: bitlen %d is not a multiple of 8", what, bitlen)
	}
	if want := RSABlobHeaderSize + bitlen/8; len(b) != want {
		return nil, 0, fmt.Errorf("spec: %s: %d bytes, want %d for bitlen %d", what, len(b), want, bitlen)
	}
	n := getLE(b[RSABlobHeaderSize:])
	if n.BitLen() <= bitlen-8 {
		return nil, 0, fmt.Errorf("spec: %s: modulus of %d bits does not match bitlen %d", what, n.BitLen(), bitlen)
	}
	if n.Bit(0) == 0 {
		return nil, 0, fmt.Errorf("spec: %s: modulus is even", what)
	}
	return &rsa.PublicKey{N: n, E: e}, alg, nil
}

// MarshalRSAPrivateKeyBlob returns a CryptoAPI PRIVATEKEYBLOB (reference §4.10):
// BLOBHEADER{0x07, 2, 0, aiKeyAlg}, RSAPUBKEY{"RSA2", bitlen, pubexp}, then modulus[bitlen/8],
// prime1[bitlen/16], prime2[bitlen/16], exponent1[bitlen/16], exponent2[bitlen/16],
// coefficient[bitlen/16] and privateExponent[bitlen/8], all little-endian. bitlen is the modulus
// bit length rounded up to a multiple of 16. The CRT values are computed from D and the primes.
//
// It is meant for tests and tools. It returns nil for a key that is not a two-prime key with
// valid public values, or whose primes or private exponent do not fit their fields.
func MarshalRSAPrivateKeyBlob(priv *rsa.PrivateKey, aiKeyAlg ALGID) []byte {
	if priv == nil || !validRSAPublic(&priv.PublicKey) || len(priv.Primes) != 2 || priv.D == nil {
		return nil
	}
	p, q, d := priv.Primes[0], priv.Primes[1], priv.D
	if p == nil || q == nil || p.Cmp(big.NewInt(3)) < 0 || q.Cmp(big.NewInt(3)) < 0 {
		return nil
	}
	cbHalf := (priv.N.BitLen() + 15) / 16
	cbMod := 2 * cbHalf
	one := big.NewInt(1)
	dp := new(big.Int).Mod(d, new(big.Int).Sub(p, one))
	dq := new(big.Int).Mod(d, new(big.Int).Sub(q, one))
	qinv := new(big.Int).ModInverse(q, p)
	if qinv == nil || !fitsLE(p, cbHalf) || !fitsLE(q, cbHalf) || !fitsLE(d, cbMod) {
		return nil
	}
	b := make([]byte, RSABlobHeaderSize+cbMod*2+cbHalf*5)
	putRSAHeader(b, PrivateKeyBlob, aiKeyAlg, RSA2Magic, 8*cbMod, priv.E)
	off := RSABlobHeaderSize
	for _, f := range []struct {
		v *big.Int
		n int
	}{{priv.N, cbMod}, {p, cbHalf}, {q, cbHalf}, {dp, cbHalf}, {dq, cbHalf}, {qinv, cbHalf}, {d, cbMod}} {
		putLE(b[off:off+f.n], f.v)
		off += f.n
	}
	return b
}

// ParseRSAPrivateKeyBlob parses a PRIVATEKEYBLOB (the RSA key-import format of
// CardCreateContainer, reference §4.10) and returns the validated key and aiKeyAlg (not
// checked). Besides the header checks of ParseRSAPublicKeyBlob (magic "RSA2", bType 0x07), bitlen
// must be a multiple of 16, the length must be exactly 20 + 9·bitlen/16, the modulus must equal
// prime1·prime2, the CRT values must match the private exponent and primes, and
// rsa.PrivateKey.Validate must accept the key.
func ParseRSAPrivateKeyBlob(b []byte) (*rsa.PrivateKey, ALGID, error) {
	const what = "RSA PRIVATEKEYBLOB"
	alg, bitlen, e, err := parseRSAHeader(what, b, PrivateKeyBlob, RSA2Magic)
	if err != nil {
		return nil, 0, err
	}
	if bitlen%16 != 0 {
		return nil, 0, fmt.Errorf("spec: %s: bitlen %d is not a multiple of 16", what, bitlen)
	}
	cbMod, cbHalf := bitlen/8, bitlen/16
	if want := RSABlobHeaderSize + 2*cbMod + 5*cbHalf; len(b) != want {
		return nil, 0, fmt.Errorf("spec: %s: %d bytes, want %d for bitlen %d", what, len(b), want, bitlen)
	}
	off := RSABlobHeaderSize
	next := func(n int) *big.Int {
		v := getLE(b[off : off+n])
		off += n
		return v
	}
	n, p, q := next(cbMod), next(cbHalf), next(cbHalf)
	dp, dq, qinv, d := next(cbHalf), next(cbHalf), next(cbHalf), next(cbMod)

	if n.BitLen() <= bitlen-16 {
		return nil, 0, fmt.Errorf("spec: %s: modulus of %d bits does not match bitlen %d", what, n.BitLen(), bitlen)
	}
	three := big.NewInt(3)
	if p.Cmp(three) < 0 || q.Cmp(three) < 0 {
		return nil, 0, fmt.Errorf("spec: %s: prime too small", what)
	}
	if new(big.Int).Mul(p, q).Cmp(n) != 0 {
		return nil, 0, fmt.Errorf("spec: %s: modulus is not prime1 × prime2", what)
	}
	one := big.NewInt(1)
	if new(big.Int).Mod(d, new(big.Int).Sub(p, one)).Cmp(dp) != 0 ||
		new(big.Int).Mod(d, new(big.Int).Sub(q, one)).Cmp(dq) != 0 {
		return nil, 0, fmt.Errorf("spec: %s: CRT exponents do not match the private exponent", what)
	}
	if want := new(big.Int).ModInverse(q, p); want == nil || want.Cmp(qinv) != 0 {
		return nil, 0, fmt.Errorf("spec: %s: coefficient is not prime2⁻¹ mod prime1", what)
	}
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: e},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	key.Precompute()
	if err := key.Validate(); err != nil {
		return nil, 0, fmt.Errorf("spec: %s: invalid key: %w", what, err)
	}
	return key, alg, nil
}

// curveForBits returns the NIST curve of a curve size in bits (256, 384, 521).
func curveForBits(bits int) elliptic.Curve {
	switch bits {
	case 256:
		return elliptic.P256()
	case 384:
		return elliptic.P384()
	case 521:
		return elliptic.P521()
	}
	return nil
}

// eccMagicCurve checks an ECC magic and returns its curve and cbKey.
func eccMagicCurve(magic uint32, private bool) (elliptic.Curve, int, bool) {
	spec, priv, ok := ECCMagicInfo(magic)
	if !ok || priv != private {
		return nil, 0, false
	}
	return curveForBits(spec.CurveBits()), ECCKeyBytes(spec.CurveBits()), true
}

// MarshalECCPublicKeyBlob returns a BCRYPT_ECCPUBLIC_BLOB, the ECC format of CONTAINER_INFO:
// BCRYPT_ECCKEY_BLOB{dwMagic, cbKey} then X and Y big-endian, cbKey (32/48/66) bytes each.
// magic must be an ECDSA or ECDH public magic whose curve is the key's curve (for example
// ECCPublicMagic(ATECDSAP256) for a P-256 key); otherwise, and for a nil or invalid key, it
// returns nil.
func MarshalECCPublicKeyBlob(pub *ecdsa.PublicKey, magic uint32) []byte {
	curve, cbKey, ok := eccMagicCurve(magic, false)
	if !ok || pub == nil || pub.Curve != curve {
		return nil
	}
	pt, err := pub.Bytes() // 0x04 ‖ X ‖ Y
	if err != nil {
		return nil
	}
	return eccPublicBlob(magic, cbKey, pt)
}

func eccPublicBlob(magic uint32, cbKey int, pt []byte) []byte {
	if len(pt) != 1+2*cbKey || pt[0] != 4 {
		return nil
	}
	b := make([]byte, ECCBlobHeaderSize, ECCBlobHeaderSize+2*cbKey)
	le.PutUint32(b[0:], magic)
	le.PutUint32(b[4:], uint32(cbKey))
	return append(b, pt[1:]...)
}

// MarshalECDHPublicKeyBlob is MarshalECCPublicKeyBlob for a crypto/ecdh key (P-256, P-384 or
// P-521). magic must be a public magic of the key's curve, usually an ECDH one; otherwise, and for
// a nil key or another curve (X25519), it returns nil.
func MarshalECDHPublicKeyBlob(pub *ecdh.PublicKey, magic uint32) []byte {
	curve, cbKey, ok := eccMagicCurve(magic, false)
	if !ok || pub == nil {
		return nil
	}
	var want ecdh.Curve
	switch curve {
	case elliptic.P256():
		want = ecdh.P256()
	case elliptic.P384():
		want = ecdh.P384()
	case elliptic.P521():
		want = ecdh.P521()
	}
	if pub.Curve() != want {
		return nil
	}
	return eccPublicBlob(magic, cbKey, pub.Bytes())
}

// parseECCHeader checks the magic, cbKey and total length (8 + n·cbKey).
func parseECCHeader(what string, b []byte, private bool, parts int) (elliptic.Curve, uint32, int, error) {
	if len(b) < ECCBlobHeaderSize {
		return nil, 0, 0, fmt.Errorf("spec: %s: %d bytes, want at least %d", what, len(b), ECCBlobHeaderSize)
	}
	magic := le.Uint32(b[0:])
	curve, cbKey, ok := eccMagicCurve(magic, private)
	if !ok {
		return nil, 0, 0, fmt.Errorf("spec: %s: unknown magic 0x%08X", what, magic)
	}
	if got := le.Uint32(b[4:]); got != uint32(cbKey) {
		return nil, 0, 0, fmt.Errorf("spec: %s: cbKey %d, want %d for magic 0x%08X", what, got, cbKey, magic)
	}
	if want := ECCBlobHeaderSize + parts*cbKey; len(b) != want {
		return nil, 0, 0, fmt.Errorf("spec: %s: %d bytes, want %d", what, len(b), want)
	}
	return curve, magic, cbKey, nil
}

// ParseECCPublicKeyBlob parses a BCRYPT_ECCPUBLIC_BLOB (ECDSA or ECDH, P-256/P-384/P-521) and
// returns the key and the magic. It checks that the magic is a public magic, that cbKey matches
// the magic's curve, that the length is exactly 8 + 2·cbKey, and that (X, Y) is a point on the
// curve other than the point at infinity. ECDH keys are returned as *ecdsa.PublicKey too; use
// its ECDH method for crypto/ecdh, and ECCMagicInfo to tell the two apart.
func ParseECCPublicKeyBlob(b []byte) (*ecdsa.PublicKey, uint32, error) {
	const what = "ECC public key blob"
	curve, magic, _, err := parseECCHeader(what, b, false, 2)
	if err != nil {
		return nil, 0, err
	}
	pt := append([]byte{4}, b[ECCBlobHeaderSize:]...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, pt)
	if err != nil {
		return nil, 0, fmt.Errorf("spec: %s: invalid point: %w", what, err)
	}
	return pub, magic, nil
}

// MarshalECCPrivateKeyBlob returns a BCRYPT_ECCPRIVATE_BLOB (the ECC key-import format, reference
// §4.10): BCRYPT_ECCKEY_BLOB{dwMagic, cbKey}, X, Y and d, big-endian, cbKey bytes each. magic
// must be an ECDSA or ECDH private magic of the key's curve; otherwise, and for a nil or invalid
// key, it returns nil. It is meant for tests and tools.
func MarshalECCPrivateKeyBlob(priv *ecdsa.PrivateKey, magic uint32) []byte {
	curve, cbKey, ok := eccMagicCurve(magic, true)
	if !ok || priv == nil || priv.Curve != curve {
		return nil
	}
	pt, err := priv.PublicKey.Bytes()
	if err != nil || len(pt) != 1+2*cbKey {
		return nil
	}
	d, err := priv.Bytes()
	if err != nil || len(d) != cbKey {
		return nil
	}
	b := make([]byte, ECCBlobHeaderSize, ECCBlobHeaderSize+3*cbKey)
	le.PutUint32(b[0:], magic)
	le.PutUint32(b[4:], uint32(cbKey))
	b = append(b, pt[1:]...)
	return append(b, d...)
}

// ParseECCPrivateKeyBlob parses a BCRYPT_ECCPRIVATE_BLOB and returns the key and the magic. It
// checks the magic (a private magic), cbKey, the length (exactly 8 + 3·cbKey), that d is in
// 1..n-1, and that (X, Y) is d·G.
func ParseECCPrivateKeyBlob(b []byte) (*ecdsa.PrivateKey, uint32, error) {
	const what = "ECC private key blob"
	curve, magic, cbKey, err := parseECCHeader(what, b, true, 3)
	if err != nil {
		return nil, 0, err
	}
	xy := b[ECCBlobHeaderSize : ECCBlobHeaderSize+2*cbKey]
	priv, err := ecdsa.ParseRawPrivateKey(curve, b[ECCBlobHeaderSize+2*cbKey:])
	if err != nil {
		return nil, 0, fmt.Errorf("spec: %s: invalid private value: %w", what, err)
	}
	pt, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, 0, fmt.Errorf("spec: %s: %w", what, err)
	}
	if len(pt) != 1+2*cbKey || subtle.ConstantTimeCompare(pt[1:], xy) != 1 {
		return nil, 0, fmt.Errorf("spec: %s: public point does not match the private value", what)
	}
	return priv, magic, nil
}
