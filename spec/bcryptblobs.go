package spec

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"
)

// BCrypt RSA key blobs (bcrypt.h): a BCRYPT_RSAKEY_BLOB header of six little-endian ULONGs
//
//	Magic, BitLength, cbPublicExp, cbModulus, cbPrime1, cbPrime2
//
// followed by big-endian integers: PublicExponent[cbPublicExp] and Modulus[cbModulus] for all three
// kinds; then Prime1[cbPrime1] and Prime2[cbPrime2] for BCRYPT_RSAPRIVATE_BLOB ("RSA2"); then
// Exponent1[cbPrime1], Exponent2[cbPrime2], Coefficient[cbPrime1] and PrivateExponent[cbModulus]
// as well for BCRYPT_RSAFULLPRIVATE_BLOB ("RSA3").
//
// BCRYPT_RSAPUBLIC_MAGIC and BCRYPT_RSAPRIVATE_MAGIC have the values of RSA1Magic and RSA2Magic
// (the CryptoAPI RSAPUBKEY magics are the same four characters), so only the "RSA3" magic is added.
const (
	// RSA3Magic is BCRYPT_RSAFULLPRIVATE_MAGIC ("RSA3"), the magic of a BCRYPT_RSAFULLPRIVATE_BLOB.
	RSA3Magic uint32 = 0x33415352
	// BCryptRSABlobHeaderSize is sizeof(BCRYPT_RSAKEY_BLOB).
	BCryptRSABlobHeaderSize = 24
	// maxBCryptRSAExpBytes bounds cbPublicExp: the exponent must fit in 31 bits.
	maxBCryptRSAExpBytes = 4
	// primeRounds is the number of Miller-Rabin rounds of the primality check, on top of the
	// Baillie-PSW test big.Int.ProbablyPrime always runs: it catches a damaged key, and a key
	// holder who forges a composite only harms his own key.
	primeRounds = 4
)

// bcryptRSAHeader is a decoded BCRYPT_RSAKEY_BLOB.
type bcryptRSAHeader struct {
	magic                            uint32
	bitLen                           int
	cbExp, cbMod, cbPrime1, cbPrime2 int
}

// parseBCryptRSAHeader checks the header of a BCrypt RSA blob of one of the magics and the total
// length. Every size is checked before it is added, so that no sum can overflow: BitLength in
// 1..MaxRSABits, cbModulus = ⌈BitLength/8⌉, cbPublicExp in 1..4, and for the private kinds
// cbPrime1 and cbPrime2 in 1..cbModulus (0 for the public kind).
func parseBCryptRSAHeader(what string, b []byte, magics ...uint32) (bcryptRSAHeader, error) {
	var h bcryptRSAHeader
	if len(b) < BCryptRSABlobHeaderSize {
		return h, fmt.Errorf("spec: %s: %d bytes, want at least %d", what, len(b), BCryptRSABlobHeaderSize)
	}
	h.magic = le.Uint32(b[0:])
	known := false
	for _, m := range magics {
		known = known || h.magic == m
	}
	if !known {
		return h, fmt.Errorf("spec: %s: magic 0x%08X", what, h.magic)
	}
	bitLen, cbExp, cbMod := le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:])
	cbP1, cbP2 := le.Uint32(b[16:]), le.Uint32(b[20:])
	if bitLen == 0 || bitLen > MaxRSABits {
		return h, fmt.Errorf("spec: %s: BitLength %d out of range 1..%d", what, bitLen, MaxRSABits)
	}
	if want := (bitLen + 7) / 8; cbMod != want {
		return h, fmt.Errorf("spec: %s: cbModulus %d, want %d for BitLength %d", what, cbMod, want, bitLen)
	}
	if cbExp == 0 || cbExp > maxBCryptRSAExpBytes {
		return h, fmt.Errorf("spec: %s: cbPublicExp %d out of range 1..%d", what, cbExp, maxBCryptRSAExpBytes)
	}
	if h.magic == RSA1Magic {
		if cbP1 != 0 || cbP2 != 0 {
			return h, fmt.Errorf("spec: %s: cbPrime1 %d and cbPrime2 %d, want 0 in a public blob", what, cbP1, cbP2)
		}
	} else if cbP1 == 0 || cbP2 == 0 || cbP1 > cbMod || cbP2 > cbMod {
		return h, fmt.Errorf("spec: %s: cbPrime1 %d and cbPrime2 %d, want 1..%d", what, cbP1, cbP2, cbMod)
	}
	h.bitLen, h.cbExp, h.cbMod, h.cbPrime1, h.cbPrime2 = int(bitLen), int(cbExp), int(cbMod), int(cbP1), int(cbP2)
	want := BCryptRSABlobHeaderSize + h.cbExp + h.cbMod
	switch h.magic {
	case RSA2Magic:
		want += h.cbPrime1 + h.cbPrime2
	case RSA3Magic:
		want += 3*h.cbPrime1 + 2*h.cbPrime2 + h.cbMod
	}
	if len(b) != want {
		return h, fmt.Errorf("spec: %s: %d bytes, want %d for the sizes in the header", what, len(b), want)
	}
	return h, nil
}

// parseBCryptPublic reads the exponent and the modulus after the header and checks them: the
// exponent odd in 3..2^31-1, the modulus exactly BitLength bits long and odd.
func parseBCryptPublic(what string, b []byte, h bcryptRSAHeader) (*rsa.PublicKey, int, error) {
	off := BCryptRSABlobHeaderSize
	e := new(big.Int).SetBytes(b[off : off+h.cbExp])
	off += h.cbExp
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > maxRSAExponent || e.Bit(0) == 0 {
		return nil, 0, fmt.Errorf("spec: %s: public exponent is not an odd value in 3..2^31-1", what)
	}
	n := new(big.Int).SetBytes(b[off : off+h.cbMod])
	off += h.cbMod
	if n.BitLen() != h.bitLen {
		return nil, 0, fmt.Errorf("spec: %s: modulus of %d bits, BitLength says %d", what, n.BitLen(), h.bitLen)
	}
	if n.Bit(0) == 0 {
		return nil, 0, fmt.Errorf("spec: %s: modulus is even", what)
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, off, nil
}

func putBCryptRSAHeader(b []byte, magic uint32, bitLen, cbExp, cbMod, cbP1, cbP2 int) {
	le.PutUint32(b[0:], magic)
	le.PutUint32(b[4:], uint32(bitLen))
	le.PutUint32(b[8:], uint32(cbExp))
	le.PutUint32(b[12:], uint32(cbMod))
	le.PutUint32(b[16:], uint32(cbP1))
	le.PutUint32(b[20:], uint32(cbP2))
}

// expBytes returns the public exponent big-endian without leading zeros (65537 → 01 00 01).
func expBytes(e int) []byte {
	return big.NewInt(int64(e)).Bytes()
}

// MarshalBCryptRSAPublicBlob returns a BCRYPT_RSAPUBLIC_BLOB: the header {"RSA1", BitLength,
// cbPublicExp, cbModulus, 0, 0}, the exponent without leading zeros and the modulus in
// ⌈BitLength/8⌉ bytes, big-endian. It returns nil for a nil key, a modulus above MaxRSABits, or
// an exponent that is not odd and within 3..2^31-1.
func MarshalBCryptRSAPublicBlob(pub *rsa.PublicKey) []byte {
	if !validRSAPublic(pub) {
		return nil
	}
	bits := pub.N.BitLen()
	e := expBytes(pub.E)
	cbMod := (bits + 7) / 8
	b := make([]byte, BCryptRSABlobHeaderSize, BCryptRSABlobHeaderSize+len(e)+cbMod)
	putBCryptRSAHeader(b, RSA1Magic, bits, len(e), cbMod, 0, 0)
	b = append(b, e...)
	return append(b, pub.N.FillBytes(make([]byte, cbMod))...)
}

// ParseBCryptRSAPublicBlob parses a BCRYPT_RSAPUBLIC_BLOB. It checks the magic ("RSA1"), that
// BitLength is in 1..MaxRSABits and the modulus is exactly that long and odd, that cbModulus is
// ⌈BitLength/8⌉, cbPublicExp 1 to 4 bytes holding an odd exponent in 3..2^31-1 (leading zero bytes
// are allowed), cbPrime1 and cbPrime2 zero, and that no byte follows the modulus.
func ParseBCryptRSAPublicBlob(b []byte) (*rsa.PublicKey, error) {
	const what = "BCRYPT_RSAPUBLIC_BLOB"
	h, err := parseBCryptRSAHeader(what, b, RSA1Magic)
	if err != nil {
		return nil, err
	}
	pub, _, err := parseBCryptPublic(what, b, h)
	if err != nil {
		return nil, err
	}
	return pub, nil
}

// MarshalBCryptRSAPrivateBlob returns a BCRYPT_RSAPRIVATE_BLOB ("RSA2": exponent, modulus, prime1,
// prime2) or, with full, a BCRYPT_RSAFULLPRIVATE_BLOB ("RSA3": the same followed by exponent1,
// exponent2, coefficient and the private exponent). BitLength is the modulus bit length; the
// modulus and the private exponent take ⌈BitLength/8⌉ bytes; each prime and its CRT values take
// ⌈BitLength/16⌉ bytes, half the modulus (more if the prime is longer); the exponent has no leading
// zeros. The CRT values are computed from D and the primes.
//
// It is meant for tests and tools. It returns nil for a key that is not a two-prime key with valid
// public values, or whose primes or private exponent do not fit their fields.
func MarshalBCryptRSAPrivateBlob(priv *rsa.PrivateKey, full bool) []byte {
	if priv == nil || !validRSAPublic(&priv.PublicKey) || len(priv.Primes) != 2 || priv.D == nil {
		return nil
	}
	p, q, d := priv.Primes[0], priv.Primes[1], priv.D
	three := big.NewInt(3)
	if p == nil || q == nil || p.Cmp(three) < 0 || q.Cmp(three) < 0 || d.Sign() <= 0 {
		return nil
	}
	bits := priv.N.BitLen()
	cbMod, cbHalf := (bits+7)/8, (bits+15)/16
	cbP1, cbP2 := max(cbHalf, (p.BitLen()+7)/8), max(cbHalf, (q.BitLen()+7)/8)
	if cbP1 > cbMod || cbP2 > cbMod || !fitsLE(d, cbMod) {
		return nil
	}
	e := expBytes(priv.E)
	magic, size := RSA2Magic, BCryptRSABlobHeaderSize+len(e)+cbMod+cbP1+cbP2
	fields := []struct {
		v *big.Int
		n int
	}{{priv.N, cbMod}, {p, cbP1}, {q, cbP2}}
	if full {
		one := big.NewInt(1)
		dp := new(big.Int).Mod(d, new(big.Int).Sub(p, one))
		dq := new(big.Int).Mod(d, new(big.Int).Sub(q, one))
		qinv := new(big.Int).ModInverse(q, p)
		if qinv == nil {
			return nil
		}
		magic, size = RSA3Magic, size+2*cbP1+cbP2+cbMod
		fields = append(fields, []struct {
			v *big.Int
			n int
		}{{dp, cbP1}, {dq, cbP2}, {qinv, cbP1}, {d, cbMod}}...)
	}
	b := make([]byte, size)
	putBCryptRSAHeader(b, magic, bits, len(e), cbMod, cbP1, cbP2)
	off := BCryptRSABlobHeaderSize + copy(b[BCryptRSABlobHeaderSize:], e)
	for _, f := range fields {
		f.v.FillBytes(b[off : off+f.n])
		off += f.n
	}
	if full {
		wipeInts(fields[3].v, fields[4].v, fields[5].v) // dp, dq, qinv: computed here
	}
	return b
}

// ParseBCryptRSAPrivateBlob parses a BCRYPT_RSAPRIVATE_BLOB ("RSA2") or a
// BCRYPT_RSAFULLPRIVATE_BLOB ("RSA3"), the RSA key-import formats of the CNG key storage provider,
// and returns the validated key. It checks:
//
//   - the header: BitLength in 1..MaxRSABits, cbModulus = ⌈BitLength/8⌉, cbPublicExp 1 to 4,
//     cbPrime1 and cbPrime2 in 1..cbModulus, and a total length that leaves no byte over;
//   - the exponent (odd, 3..2^31-1) and the modulus (odd, exactly BitLength bits);
//   - both primes at least 3, probably prime, with prime1 × prime2 = modulus;
//   - for RSA3, exponent1 = d mod (prime1−1), exponent2 = d mod (prime2−1) and coefficient =
//     prime2⁻¹ mod prime1; for RSA2 the private exponent is computed as e⁻¹ mod
//     lcm(prime1−1, prime2−1);
//   - that rsa.PrivateKey.Validate accepts the key.
//
// Values may carry leading zero bytes within their fields. Errors never contain key bytes.
func ParseBCryptRSAPrivateBlob(b []byte) (key *rsa.PrivateKey, err error) {
	const what = "BCrypt RSA private key blob"
	h, err := parseBCryptRSAHeader(what, b, RSA2Magic, RSA3Magic)
	if err != nil {
		return nil, err
	}
	pub, off, err := parseBCryptPublic(what, b, h)
	if err != nil {
		return nil, err
	}
	// Every secret value read or computed here but not kept in the key is wiped on return, and on
	// failure the key's values too.
	var temps, kept []*big.Int
	defer func() {
		wipeInts(temps...)
		if err != nil {
			wipeInts(kept...)
		}
	}()
	next := func(n int) *big.Int {
		v := new(big.Int).SetBytes(b[off : off+n])
		off += n
		return v
	}
	p, q := next(h.cbPrime1), next(h.cbPrime2)
	kept = append(kept, p, q)
	three := big.NewInt(3)
	if p.Cmp(three) < 0 || q.Cmp(three) < 0 {
		return nil, fmt.Errorf("spec: %s: prime too small", what)
	}
	if new(big.Int).Mul(p, q).Cmp(pub.N) != 0 {
		return nil, fmt.Errorf("spec: %s: modulus is not prime1 × prime2", what)
	}
	if !p.ProbablyPrime(primeRounds) || !q.ProbablyPrime(primeRounds) {
		return nil, fmt.Errorf("spec: %s: a factor of the modulus is not prime", what)
	}
	one := big.NewInt(1)
	pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
	temps = append(temps, pm1, qm1)
	var d *big.Int
	if h.magic == RSA3Magic {
		dp, dq, qinv := next(h.cbPrime1), next(h.cbPrime2), next(h.cbPrime1)
		d = next(h.cbMod)
		kept = append(kept, d)
		dp2, dq2, qinv2 := new(big.Int).Mod(d, pm1), new(big.Int).Mod(d, qm1), new(big.Int).ModInverse(q, p)
		temps = append(temps, dp, dq, qinv, dp2, dq2, qinv2)
		if dp2.Cmp(dp) != 0 || dq2.Cmp(dq) != 0 {
			return nil, fmt.Errorf("spec: %s: CRT exponents do not match the private exponent", what)
		}
		if qinv2 == nil || qinv2.Cmp(qinv) != 0 {
			return nil, fmt.Errorf("spec: %s: coefficient is not prime2⁻¹ mod prime1", what)
		}
	} else {
		g := new(big.Int).GCD(nil, nil, pm1, qm1)
		lambda := new(big.Int).Mul(pm1, qm1)
		temps = append(temps, g, lambda)
		lambda.Quo(lambda, g)
		d = new(big.Int).ModInverse(big.NewInt(int64(pub.E)), lambda)
		if d == nil {
			return nil, fmt.Errorf("spec: %s: public exponent is not invertible", what)
		}
		kept = append(kept, d)
	}
	key = &rsa.PrivateKey{PublicKey: *pub, D: d, Primes: []*big.Int{p, q}}
	key.Precompute()
	if err := key.Validate(); err != nil {
		if key.Precomputed.Dp != nil {
			kept = append(kept, key.Precomputed.Dp, key.Precomputed.Dq, key.Precomputed.Qinv)
		}
		return nil, fmt.Errorf("spec: %s: invalid key: %w", what, err)
	}
	return key, nil
}

// wipeInts overwrites the words of secret temporaries with zeros (big.Int has no wipe of its own;
// copies made inside math/big operations are out of reach). nil values are skipped.
func wipeInts(vs ...*big.Int) {
	for _, v := range vs {
		if v == nil {
			continue
		}
		w := v.Bits()
		clear(w[:cap(w)])
		v.SetInt64(0)
	}
}

// BlobKind names the format of a private key blob recognized by ParsePrivateKeyBlob.
type BlobKind int

// The private key blob formats CardCreateContainer(Ex) may hand over in pbKeyData.
const (
	// BlobUnknown is returned with an error when the format is not recognized.
	BlobUnknown BlobKind = iota
	// BlobCAPIRSAPrivate is a CryptoAPI PRIVATEKEYBLOB (BLOBHEADER bType 0x07, bVersion 2, "RSA2").
	BlobCAPIRSAPrivate
	// BlobBCryptRSAPrivate is a BCRYPT_RSAPRIVATE_BLOB ("RSA2").
	BlobBCryptRSAPrivate
	// BlobBCryptRSAFullPrivate is a BCRYPT_RSAFULLPRIVATE_BLOB ("RSA3").
	BlobBCryptRSAFullPrivate
	// BlobBCryptECDSAPrivate is a BCRYPT_ECCPRIVATE_BLOB with an ECDSA private magic.
	BlobBCryptECDSAPrivate
	// BlobBCryptECDHPrivate is a BCRYPT_ECCPRIVATE_BLOB with an ECDH private magic.
	BlobBCryptECDHPrivate
)

// String returns the Windows name of the blob format.
func (k BlobKind) String() string {
	switch k {
	case BlobCAPIRSAPrivate:
		return "PRIVATEKEYBLOB"
	case BlobBCryptRSAPrivate:
		return "BCRYPT_RSAPRIVATE_BLOB"
	case BlobBCryptRSAFullPrivate:
		return "BCRYPT_RSAFULLPRIVATE_BLOB"
	case BlobBCryptECDSAPrivate:
		return "BCRYPT_ECCPRIVATE_BLOB (ECDSA)"
	case BlobBCryptECDHPrivate:
		return "BCRYPT_ECCPRIVATE_BLOB (ECDH)"
	}
	return fmt.Sprintf("BlobKind(%d)", int(k))
}

// IsECC reports whether k is one of the BCRYPT_ECCPRIVATE_BLOB kinds.
func (k BlobKind) IsECC() bool { return k == BlobBCryptECDSAPrivate || k == BlobBCryptECDHPrivate }

// ErrUnknownBlob is wrapped by the error of ParsePrivateKeyBlob when the bytes are not one of the
// private key blob formats it knows (including public key blobs, which it names).
var ErrUnknownBlob = errors.New("spec: not a known private key blob")

// ParsePrivateKeyBlob recognizes the private key blob of CardCreateContainer's pbKeyData and parses
// it with the matching parser:
//
//   - BLOBHEADER bType 0x07 (PRIVATEKEYBLOB) with bVersion 2: ParseRSAPrivateKeyBlob (its aiKeyAlg is
//     not checked here; call that parser to get it);
//   - magic "RSA2" or "RSA3" in the first four bytes: ParseBCryptRSAPrivateBlob;
//   - an ECDSA or ECDH private magic (P-256, P-384, P-521): ParseECCPrivateKeyBlob (ECDH keys come
//     back as *ecdsa.PrivateKey too; the kind tells them apart).
//
// The key is an *rsa.PrivateKey or an *ecdsa.PrivateKey. Anything else, public key blobs included,
// gives BlobUnknown and an error wrapping ErrUnknownBlob; a recognized but malformed blob gives
// its kind and the parser's error. The detection is unambiguous: BCrypt magics start with 'R'
// (0x52) or 'E' (0x45), never with 0x07.
func ParsePrivateKeyBlob(b []byte) (crypto.PrivateKey, BlobKind, error) {
	if len(b) >= 2 && b[0] == PrivateKeyBlob && b[1] == CurBlobVersion {
		k, _, err := ParseRSAPrivateKeyBlob(b)
		if err != nil {
			return nil, BlobCAPIRSAPrivate, err
		}
		return k, BlobCAPIRSAPrivate, nil
	}
	if len(b) >= 1 && b[0] == PublicKeyBlob {
		return nil, BlobUnknown, fmt.Errorf("%w: a PUBLICKEYBLOB holds no private key", ErrUnknownBlob)
	}
	if len(b) < 4 {
		return nil, BlobUnknown, fmt.Errorf("%w: %d bytes", ErrUnknownBlob, len(b))
	}
	magic := le.Uint32(b)
	switch magic {
	case RSA2Magic, RSA3Magic:
		kind := BlobBCryptRSAPrivate
		if magic == RSA3Magic {
			kind = BlobBCryptRSAFullPrivate
		}
		k, err := ParseBCryptRSAPrivateBlob(b)
		if err != nil {
			return nil, kind, err
		}
		return k, kind, nil
	case RSA1Magic:
		return nil, BlobUnknown, fmt.Errorf("%w: a BCRYPT_RSAPUBLIC_BLOB holds no private key", ErrUnknownBlob)
	}
	if spec, private, ok := ECCMagicInfo(magic); ok {
		if !private {
			return nil, BlobUnknown, fmt.Errorf("%w: a BCRYPT_ECCPUBLIC_BLOB holds no private key", ErrUnknownBlob)
		}
		kind := BlobBCryptECDSAPrivate
		if spec == ATECDHEP256 || spec == ATECDHEP384 || spec == ATECDHEP521 {
			kind = BlobBCryptECDHPrivate
		}
		k, _, err := ParseECCPrivateKeyBlob(b)
		if err != nil {
			return nil, kind, err
		}
		return k, kind, nil
	}
	return nil, BlobUnknown, fmt.Errorf("%w: magic 0x%08X", ErrUnknownBlob, magic)
}
