package rsapad

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
)

var (
	keysOnce sync.Once
	keys     map[int]*rsa.PrivateKey
	keysErr  error
)

// testKey returns a cached RSA key of the given size (1024, 1025 or 2048).
func testKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		keys = make(map[int]*rsa.PrivateKey)
		for _, b := range []int{1024, 1025, 2048} {
			k, err := rsa.GenerateKey(rand.Reader, b)
			if err != nil {
				keysErr = err
				return
			}
			if k.N.BitLen() != b {
				keysErr = fmt.Errorf("generated %d-bit key, want %d", k.N.BitLen(), b)
				return
			}
			keys[b] = k
		}
	})
	if keysErr != nil {
		t.Fatalf("generating test keys: %v", keysErr)
	}
	k, ok := keys[bits]
	if !ok {
		t.Fatalf("no %d-bit test key", bits)
	}
	return k
}

// modLen returns k, the modulus length in bytes.
func modLen(pub *rsa.PublicKey) int { return (pub.N.BitLen() + 7) / 8 }

// rawExp computes in^exp mod n as a k-byte big-endian string, failing if
// the input is not smaller than n.
func rawExp(t testing.TB, in []byte, exp, n *big.Int) []byte {
	t.Helper()
	k := (n.BitLen() + 7) / 8
	if len(in) != k {
		t.Fatalf("raw RSA input is %d bytes, want %d", len(in), k)
	}
	x := new(big.Int).SetBytes(in)
	if x.Cmp(n) >= 0 {
		t.Fatalf("raw RSA input is not smaller than the modulus")
	}
	return new(big.Int).Exp(x, exp, n).FillBytes(make([]byte, k))
}

// rawSign performs the card's raw private-key operation.
func rawSign(t testing.TB, key *rsa.PrivateKey, block []byte) []byte {
	t.Helper()
	return rawExp(t, block, key.D, key.N)
}

// rawDecrypt performs the card's raw private-key operation on a ciphertext.
func rawDecrypt(t testing.TB, key *rsa.PrivateKey, c []byte) []byte {
	t.Helper()
	return rawExp(t, c, key.D, key.N)
}

// rawEncrypt performs the raw public-key operation.
func rawEncrypt(t testing.TB, pub *rsa.PublicKey, m []byte) []byte {
	t.Helper()
	return rawExp(t, m, big.NewInt(int64(pub.E)), pub.N)
}

// unhex decodes hex ignoring all white space.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func hashOf(h crypto.Hash, data []byte) []byte {
	x := h.New()
	x.Write(data)
	return x.Sum(nil)
}

// oaepBlock builds an OAEP-encoded block from an explicit first byte y,
// data block db (lHash || PS || 0x01 || M, or something malformed) and
// seed, following RFC 8017 section 7.1.1 step 2 independently of the
// decoder (only MGF1 is shared).
func oaepBlock(h crypto.Hash, y byte, db, seed []byte) []byte {
	dbMask := MGF1(h, seed, len(db))
	maskedDB := make([]byte, len(db))
	for i := range db {
		maskedDB[i] = db[i] ^ dbMask[i]
	}
	seedMask := MGF1(h, maskedDB, len(seed))
	maskedSeed := make([]byte, len(seed))
	for i := range seed {
		maskedSeed[i] = seed[i] ^ seedMask[i]
	}
	em := []byte{y}
	em = append(em, maskedSeed...)
	return append(em, maskedDB...)
}

// oaepDB builds a well-formed data block for a k-byte modulus.
func oaepDB(h crypto.Hash, k int, msg, label []byte) []byte {
	hLen := h.Size()
	db := hashOf(h, label)
	db = append(db, make([]byte, k-len(msg)-2*hLen-2)...)
	db = append(db, 0x01)
	return append(db, msg...)
}

// refUnpadOAEP is a straightforward, variable-time reference decoder used
// to cross-check the constant-time implementation in fuzzing.
func refUnpadOAEP(h crypto.Hash, em, label []byte) ([]byte, bool) {
	hLen := h.Size()
	if len(em) < 2*hLen+2 || len(em) > maxModulusBytes {
		return nil, false
	}
	seedMask := MGF1(h, em[1+hLen:], hLen)
	seed := make([]byte, hLen)
	for i := range seed {
		seed[i] = em[1+i] ^ seedMask[i]
	}
	maskedDB := em[1+hLen:]
	dbMask := MGF1(h, seed, len(maskedDB))
	db := make([]byte, len(maskedDB))
	for i := range db {
		db[i] = maskedDB[i] ^ dbMask[i]
	}
	if em[0] != 0 || !bytes.Equal(db[:hLen], hashOf(h, label)) {
		return nil, false
	}
	for i := hLen; i < len(db); i++ {
		switch db[i] {
		case 0:
			continue
		case 1:
			return db[i+1:], true
		default:
			return nil, false
		}
	}
	return nil, false
}

// refUnpadPKCS1v15 is a straightforward, variable-time reference decoder.
func refUnpadPKCS1v15(em []byte) ([]byte, bool) {
	if len(em) < 11 || len(em) > maxModulusBytes || em[0] != 0 || em[1] != 2 {
		return nil, false
	}
	i := bytes.IndexByte(em[2:], 0)
	if i < 8 {
		return nil, false
	}
	return em[2+i+1:], true
}
