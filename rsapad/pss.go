package rsapad

import (
	"crypto"
	"errors"
	"fmt"
	"io"
)

// pssTrailer is the trailer field 0xbc of RFC 8017 section 9.1.1.
const pssTrailer = 0xbc

// PSSEncode performs EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) for a
// modulus of modBits bits and returns a block ready for the card's raw RSA
// private-key operation.
//
// digest is the already computed message hash mHash; hash is used both for
// H and for MGF1. The encoding uses emBits = modBits-1, a salt of saltLen
// bytes read from rand (saltLen 0 is allowed and reads nothing) and the
// trailer 0xbc. The encoded message is emLen = ceil(emBits/8) bytes long;
// it is left-padded with zero bytes to k = ceil(modBits/8) bytes (one
// extra zero byte when modBits ≡ 1 mod 8).
//
// Supported hashes are MD5, SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512.
// Errors wrap ErrUnsupportedHash, ErrInvalidDigest, ErrInvalidModulusSize,
// ErrMessageTooLong (emLen < hLen + saltLen + 2, the RFC's "encoding
// error") or the error from reading rand.
func PSSEncode(rand io.Reader, modBits int, hash crypto.Hash, digest []byte, saltLen int) ([]byte, error) {
	info, ok := digestHash(hash)
	if !ok {
		return nil, fmt.Errorf("rsapad: PSS encode: %v: %w", hash, ErrUnsupportedHash)
	}
	hLen := info.size
	if len(digest) != hLen {
		return nil, fmt.Errorf("rsapad: PSS encode: %v digest is %d bytes, want %d: %w",
			hash, len(digest), hLen, ErrInvalidDigest)
	}
	if modBits < 2 || modBits > MaxModulusBits {
		return nil, fmt.Errorf("rsapad: PSS encode: modulus of %d bits: %w", modBits, ErrInvalidModulusSize)
	}
	if saltLen < 0 {
		return nil, fmt.Errorf("rsapad: PSS encode: negative salt length %d", saltLen)
	}
	k := (modBits + 7) / 8
	emBits := modBits - 1
	emLen := (emBits + 7) / 8
	if emLen < hLen+saltLen+2 {
		return nil, fmt.Errorf("rsapad: PSS encode: %d-bit modulus cannot hold %d-byte hash and %d-byte salt: %w",
			modBits, hLen, saltLen, ErrMessageTooLong)
	}

	out := make([]byte, k)
	em := out[k-emLen:]
	dbLen := emLen - hLen - 1
	db := em[:dbLen]
	hOut := em[dbLen : dbLen+hLen]

	// DB = PS (zeros) || 0x01 || salt; the salt is read straight into place.
	psLen := dbLen - saltLen - 1
	db[psLen] = 0x01
	salt := db[psLen+1:]
	if saltLen > 0 {
		if rand == nil {
			return nil, errors.New("rsapad: PSS encode: nil random source")
		}
		if _, err := io.ReadFull(rand, salt); err != nil {
			return nil, fmt.Errorf("rsapad: PSS encode: reading %d-byte salt: %w", saltLen, err)
		}
	}

	// H = Hash(M') with M' = 0x00 00 00 00 00 00 00 00 || mHash || salt.
	h := info.newHash()
	var zeros [8]byte
	h.Write(zeros[:])
	h.Write(digest)
	h.Write(salt)
	h.Sum(hOut[:0])

	// maskedDB = DB xor MGF1(H, dbLen).
	mgf1XOR(db, h, hOut)
	// Clear the leftmost 8*emLen - emBits bits of maskedDB.
	db[0] &= 0xff >> uint(8*emLen-emBits)

	em[emLen-1] = pssTrailer
	return out, nil
}
