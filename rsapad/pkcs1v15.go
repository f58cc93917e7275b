package rsapad

import (
	"crypto"
	"crypto/subtle"
	"fmt"
)

// PKCS1v15SignBlock builds the EMSA-PKCS1-v1_5 encoded message
//
//	EM = 0x00 || 0x01 || PS (0xFF bytes) || 0x00 || T
//
// of RFC 8017 section 9.2 for a modulus of k bytes, ready to be passed to
// the card's raw RSA private-key operation.
//
// T is the DER DigestInfo for hash followed by digest. When hash is 0
// ("no OID", BCrypt's NULL pszAlgId) T is digest itself, of any length.
// crypto.MD5SHA1 denotes the 36-byte SSL 3.0 MD5||SHA-1 concatenation,
// which is also signed without a DigestInfo. Supported hashes are MD5,
// SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 and MD5SHA1.
//
// Errors wrap ErrUnsupportedHash, ErrInvalidDigest (len(digest) differs
// from the hash size), ErrInvalidModulusSize (k > MaxModulusBits/8) or
// ErrMessageTooLong (k < len(T)+11, i.e. fewer than 8 bytes of PS).
func PKCS1v15SignBlock(k int, hash crypto.Hash, digest []byte) ([]byte, error) {
	var prefix []byte
	if hash != 0 {
		info, ok := hashes[hash]
		if !ok {
			return nil, fmt.Errorf("rsapad: PKCS#1 v1.5 signature block: %v: %w", hash, ErrUnsupportedHash)
		}
		if len(digest) != info.size {
			return nil, fmt.Errorf("rsapad: PKCS#1 v1.5 signature block: %v digest is %d bytes, want %d: %w",
				hash, len(digest), info.size, ErrInvalidDigest)
		}
		prefix = info.prefix
	}
	if k > maxModulusBytes {
		return nil, fmt.Errorf("rsapad: PKCS#1 v1.5 signature block: modulus of %d bytes: %w", k, ErrInvalidModulusSize)
	}
	tLen := len(prefix) + len(digest)
	if k < tLen+11 {
		return nil, fmt.Errorf("rsapad: PKCS#1 v1.5 signature block: %d-byte T needs a modulus of at least %d bytes, have %d: %w",
			tLen, tLen+11, k, ErrMessageTooLong)
	}
	em := make([]byte, k)
	em[1] = 0x01
	psEnd := k - tLen - 1
	for i := 2; i < psEnd; i++ {
		em[i] = 0xff
	}
	// em[psEnd] is the 0x00 separator.
	copy(em[psEnd+1:], prefix)
	copy(em[psEnd+1+len(prefix):], digest)
	return em, nil
}

// UnpadPKCS1v15 removes EME-PKCS1-v1_5 (block type 2) encryption padding
// (RFC 8017 section 7.2.2, step 3) from em, the k-byte output of the raw
// RSA decryption, and returns a newly allocated copy of the message.
//
// Any malformed block (first byte not 0x00, second byte not 0x02, fewer
// than eight nonzero padding bytes, or no 0x00 separator) yields exactly
// ErrDecryption. Blocks shorter than 11 bytes or longer than
// MaxModulusBits/8 bytes are also rejected with ErrDecryption.
//
// Timing: the whole block is always examined with branch-free
// crypto/subtle operations, so the running time depends only on len(em)
// until the very end, where the outcome (success or ErrDecryption) and,
// on success, the message length (through the copy) necessarily become
// observable. Callers that must resist Bleichenbacher-style attacks must
// also make sure the error itself is not revealed to an attacker (for
// example by substituting a random message, as TLS does).
func UnpadPKCS1v15(em []byte) ([]byte, error) {
	k := len(em)
	if k < 11 || k > maxModulusBytes {
		return nil, ErrDecryption
	}
	good := subtle.ConstantTimeByteEq(em[0], 0x00)
	good &= subtle.ConstantTimeByteEq(em[1], 0x02)

	// Find the first zero byte after the block type. searching stays 1
	// until it is found; sep then holds its index.
	searching, sep := 1, 0
	for i := 2; i < k; i++ {
		isZero := subtle.ConstantTimeByteEq(em[i], 0x00)
		sep = subtle.ConstantTimeSelect(searching&isZero, i, sep)
		searching &= isZero ^ 1
	}
	good &= searching ^ 1
	// PS occupies em[2:sep] and must be at least 8 bytes long.
	good &= subtle.ConstantTimeLessOrEq(2+8, sep)

	if good != 1 {
		return nil, ErrDecryption
	}
	msg := make([]byte, k-sep-1)
	copy(msg, em[sep+1:])
	return msg, nil
}
