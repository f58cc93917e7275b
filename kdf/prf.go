package kdf

import (
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"hash"

	// The hash constructors crypto.Hash.New needs.
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// deriveHash is BCRYPT_KDF_HASH: Hash(prepend[0] || ... || Z || append[0] || ...), cut to
// len(out).
func deriveHash(pl *plan, z, out []byte) {
	h := pl.hash.New()
	for _, b := range pl.prepend {
		h.Write(b)
	}
	h.Write(z)
	for _, b := range pl.append {
		h.Write(b)
	}
	sum := h.Sum(nil)
	copy(out, sum)
	clear(sum)
	h.Reset()
}

// deriveHMAC is BCRYPT_KDF_HMAC: HMAC-Hash(key, prepend || Z || append), where key is
// KDF_HMAC_KEY or, with KDF_USE_SECRET_AS_HMAC_KEY_FLAG, Z itself.
func deriveHMAC(pl *plan, z, out []byte) {
	key := pl.hmacKey
	if pl.useZ {
		key = z
	}
	m := hmac.New(pl.hash.New, key)
	for _, b := range pl.prepend {
		m.Write(b)
	}
	m.Write(z)
	for _, b := range pl.append {
		m.Write(b)
	}
	sum := m.Sum(nil)
	copy(out, sum)
	clear(sum)
	m.Reset()
}

// pHash fills out with P_hash(secret, label || seed) (RFC 2246 §5, RFC 5246 §5):
//
//	A(0) = label || seed, A(i) = HMAC_hash(secret, A(i-1))
//	P_hash = HMAC_hash(secret, A(1) || label || seed) || HMAC_hash(secret, A(2) || label || seed) || ...
//
// For TLS 1.2 it is the whole PRF (with SHA-256 or SHA-384).
func pHash(h crypto.Hash, secret, label, seed, out []byte) {
	pHashFunc(h.New, secret, label, seed, out)
}

func pHashFunc(newHash func() hash.Hash, secret, label, seed, out []byte) {
	m := hmac.New(newHash, secret)
	m.Write(label)
	m.Write(seed)
	a := m.Sum(nil) // A(1)
	var block []byte
	for n := 0; n < len(out); {
		m.Reset()
		m.Write(a)
		m.Write(label)
		m.Write(seed)
		block = m.Sum(block[:0])
		n += copy(out[n:], block)
		if n == len(out) {
			break
		}
		m.Reset()
		m.Write(a)
		next := m.Sum(nil)
		clear(a)
		a = next
	}
	clear(a)
	clear(block)
	m.Reset()
}

// prf10 fills out with the TLS 1.0/1.1 PRF (RFC 2246 §5, RFC 4346 §5):
//
//	PRF(secret, label, seed) = P_MD5(S1, label || seed) XOR P_SHA-1(S2, label || seed)
//
// where S1 is the first and S2 the last ceil(len/2) bytes of the secret (they share the middle
// byte when the length is odd).
func prf10(secret, label, seed, out []byte) {
	half := (len(secret) + 1) / 2
	s1 := secret[:half]
	s2 := secret[len(secret)-half:]
	pHashFunc(md5.New, s1, label, seed, out)
	tmp := make([]byte, len(out))
	pHashFunc(sha1.New, s2, label, seed, tmp)
	for i := range out {
		out[i] ^= tmp[i]
	}
	clear(tmp)
}

// concat fills out with the SP 800-56A §5.8.1 single-step (concatenation) KDF:
//
//	K(i) = Hash(counter_i || Z || AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo || SuppPrivInfo)
//
// with a 32-bit big-endian counter starting at 1; out is the leftmost len(out) bytes of
// K(1) || K(2) || .... other holds the OtherInfo fields in that order.
func concat(hf crypto.Hash, z []byte, other [][]byte, out []byte) {
	h := hf.New()
	var ctr [4]byte
	var block []byte
	for i, n := uint32(1), 0; n < len(out); i++ {
		h.Reset()
		binary.BigEndian.PutUint32(ctr[:], i)
		h.Write(ctr[:])
		h.Write(z)
		for _, f := range other {
			h.Write(f)
		}
		block = h.Sum(block[:0])
		n += copy(out[n:], block)
	}
	clear(block)
	h.Reset()
}
