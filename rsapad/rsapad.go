// Package rsapad implements the RSA padding layer of the smart card
// minidriver.
//
// The card only performs the raw RSA private-key operation
// (m = c^d mod n). The host therefore has to build complete signature
// blocks before handing them to the card (EMSA-PKCS1-v1_5 and EMSA-PSS,
// RFC 8017 sections 9.2 and 9.1) and has to strip the encryption padding
// from the raw blocks the card returns (EME-PKCS1-v1_5 and EME-OAEP,
// RFC 8017 sections 7.2.2 and 7.1.2).
//
// The decoding functions run in time that does not depend on the contents
// of the decrypted block (see UnpadPKCS1v15 and UnpadOAEP for the exact
// guarantees) and report every malformed block with the single error value
// ErrDecryption, as RFC 8017 requires, so that callers cannot be turned
// into padding oracles by distinguishable failures.
package rsapad

import (
	"crypto"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"
)

// MaxModulusBits is the largest modulus size, in bits, accepted by this
// package. Larger sizes are rejected with an error instead of allocating
// unbounded amounts of memory.
const MaxModulusBits = 16384

// maxModulusBytes is MaxModulusBits expressed in bytes.
const maxModulusBytes = MaxModulusBits / 8

// ErrDecryption is returned by UnpadPKCS1v15 and UnpadOAEP for every
// malformed or otherwise undecodable block. RFC 8017 requires that the
// different failure causes are indistinguishable, so no further detail is
// ever given for data-dependent failures.
var ErrDecryption = errors.New("rsapad: decryption error")

// ErrUnsupportedHash is returned (wrapped) when a hash function is not
// supported by the requested operation.
var ErrUnsupportedHash = errors.New("rsapad: unsupported hash function")

// ErrInvalidDigest is returned (wrapped) when a digest does not have the
// length of the selected hash function's output.
var ErrInvalidDigest = errors.New("rsapad: invalid digest length")

// ErrMessageTooLong is returned (wrapped) when the data to be encoded does
// not fit into a block of the requested size ("message too long" and
// "encoding error" in RFC 8017).
var ErrMessageTooLong = errors.New("rsapad: message too long for RSA key size")

// ErrInvalidModulusSize is returned (wrapped) when the modulus size is not
// positive or exceeds MaxModulusBits.
var ErrInvalidModulusSize = errors.New("rsapad: invalid modulus size")

// hashInfo describes one supported hash function.
type hashInfo struct {
	size int
	// newHash returns a fresh hash.Hash; nil when the hash can only be used
	// as an opaque digest (MD5SHA1).
	newHash func() hash.Hash
	// prefix is the DER encoding of the DigestInfo structure up to, and
	// including, the OCTET STRING header of the digest (RFC 8017 section
	// 9.2, note 1). nil means "no DigestInfo" (MD5SHA1).
	prefix []byte
}

// hashes is the table of hash functions understood by this package. The
// DigestInfo prefixes are the DER encodings
//
//	SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING (digest) }
//
// listed in RFC 8017 section 9.2, note 1 (SHA-224 from RFC 8017 as well).
var hashes = map[crypto.Hash]hashInfo{
	crypto.MD5: {
		size: 16, newHash: md5.New,
		prefix: []byte{0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10},
	},
	crypto.SHA1: {
		size: 20, newHash: sha1.New,
		prefix: []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	},
	crypto.SHA224: {
		size: 28, newHash: sha256.New224,
		prefix: []byte{0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	},
	crypto.SHA256: {
		size: 32, newHash: sha256.New,
		prefix: []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	},
	crypto.SHA384: {
		size: 48, newHash: sha512.New384,
		prefix: []byte{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	},
	crypto.SHA512: {
		size: 64, newHash: sha512.New,
		prefix: []byte{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
	},
	// SSL 3.0 / TLS 1.0 client authentication: MD5(m) || SHA1(m), signed
	// without any DigestInfo (BCRYPT_PAD_PKCS1 with a NULL pszAlgId and the
	// CALG_SSL3_SHAMD5 digest in the minidriver).
	crypto.MD5SHA1: {size: 36},
}

// bcryptNames maps the BCrypt algorithm identifier strings (BCRYPT_*_ALGORITHM)
// to hash functions. BCrypt compares these identifiers case-sensitively.
var bcryptNames = map[string]crypto.Hash{
	"MD5":    crypto.MD5,
	"SHA1":   crypto.SHA1,
	"SHA224": crypto.SHA224,
	"SHA256": crypto.SHA256,
	"SHA384": crypto.SHA384,
	"SHA512": crypto.SHA512,
}

// HashByName maps a Windows BCrypt hash algorithm identifier ("MD5",
// "SHA1", "SHA256", "SHA384", "SHA512", and additionally "SHA224") to the
// corresponding crypto.Hash. The comparison is exact and case-sensitive,
// as BCrypt performs it. The second result is false for unknown names.
func HashByName(name string) (crypto.Hash, bool) {
	h, ok := bcryptNames[name]
	return h, ok
}

// digestHash returns the hash.Hash constructor for hash functions usable
// inside PSS and OAEP (those that can actually be computed).
func digestHash(h crypto.Hash) (hashInfo, bool) {
	info, ok := hashes[h]
	if !ok || info.newHash == nil {
		return hashInfo{}, false
	}
	return info, true
}

// MGF1 is the mask generation function MGF1 of RFC 8017 appendix B.2.1,
// using hash as the underlying hash function. It returns length bytes of
// mask derived from seed.
//
// MGF1 returns nil if hash is not one of MD5, SHA-1, SHA-224, SHA-256,
// SHA-384 or SHA-512, if length is negative, or if length exceeds the RFC
// limit of 2^32 * hLen bytes ("mask too long"). Its running time depends
// only on len(seed) and length.
func MGF1(hash crypto.Hash, seed []byte, length int) []byte {
	info, ok := digestHash(hash)
	if !ok || length < 0 || uint64(length) > uint64(info.size)<<32 {
		return nil
	}
	out := make([]byte, length)
	mgf1XOR(out, info.newHash(), seed)
	return out
}

// mgf1XOR XORs the MGF1 mask generated from seed with h into out, filling
// len(out) bytes. h must be a freshly created (or reset) hash.
func mgf1XOR(out []byte, h hash.Hash, seed []byte) {
	var counter [4]byte
	var block []byte
	for done := 0; done < len(out); {
		h.Reset()
		h.Write(seed)
		h.Write(counter[:])
		block = h.Sum(block[:0])
		for i := 0; i < len(block) && done < len(out); i++ {
			out[done] ^= block[i]
			done++
		}
		binary.BigEndian.PutUint32(counter[:], binary.BigEndian.Uint32(counter[:])+1)
	}
}
