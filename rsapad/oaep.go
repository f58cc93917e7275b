package rsapad

import (
	"crypto"
	"crypto/subtle"
	"fmt"
)

// UnpadOAEP performs EME-OAEP decoding (RFC 8017 section 7.1.2, step 3)
// of em, the k-byte output of the raw RSA decryption, and returns a newly
// allocated copy of the message. hash is used both for hashing label and
// as the MGF1 hash function; label may be nil (the empty label).
//
// Any decoding failure (Y != 0, wrong label hash, missing 0x01 separator
// or a nonzero byte before it, block too short for hash) yields
// ErrDecryption. An unsupported hash yields an error that wraps both
// ErrUnsupportedHash and ErrDecryption.
//
// Timing: the block is unmasked and checked in full with branch-free
// crypto/subtle operations, so the running time depends only on len(em),
// len(label) and hash until the very end, where the outcome and, on
// success, the message length (through the copy) become observable.
func UnpadOAEP(hash crypto.Hash, em []byte, label []byte) ([]byte, error) {
	info, ok := digestHash(hash)
	if !ok {
		return nil, fmt.Errorf("rsapad: OAEP decode: %v: %w (%w)", hash, ErrUnsupportedHash, ErrDecryption)
	}
	hLen := info.size
	k := len(em)
	if k < 2*hLen+2 || k > maxModulusBytes {
		return nil, ErrDecryption
	}

	h := info.newHash()
	h.Write(label)
	lHash := h.Sum(nil)

	// Work on a copy so that em is left untouched.
	buf := make([]byte, k)
	copy(buf, em)
	y := buf[0]
	seed := buf[1 : 1+hLen]
	db := buf[1+hLen:]

	mgf1XOR(seed, h, db) // seed = maskedSeed xor MGF(maskedDB, hLen)
	mgf1XOR(db, h, seed) // DB = maskedDB xor MGF(seed, k-hLen-1)

	good := subtle.ConstantTimeByteEq(y, 0)
	good &= subtle.ConstantTimeCompare(db[:hLen], lHash)

	// DB = lHash' || PS (zeros) || 0x01 || M. Locate the 0x01 and make sure
	// only zeros precede it.
	rest := db[hLen:]
	searching, sep, badPS := 1, 0, 0
	for i := range rest {
		isZero := subtle.ConstantTimeByteEq(rest[i], 0x00)
		isOne := subtle.ConstantTimeByteEq(rest[i], 0x01)
		sep = subtle.ConstantTimeSelect(searching&isOne, i, sep)
		badPS |= searching & ((isZero | isOne) ^ 1)
		searching &= isOne ^ 1
	}
	good &= searching ^ 1
	good &= badPS ^ 1

	if good != 1 {
		return nil, ErrDecryption
	}
	msg := make([]byte, len(rest)-sep-1)
	copy(msg, rest[sep+1:])
	return msg, nil
}
