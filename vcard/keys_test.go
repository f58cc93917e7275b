package vcard

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"testing"
)

// TestRSARawPaths checks both ways the card computes c^d mod n (crypto/rsa for signature blocks,
// blinded CRT otherwise) against the textbook formula.
func TestRSARawPaths(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	key.Precompute()
	signature := pkcs1Block(128, digestOf("x"))
	other := bytes.Clone(signature)
	other[1] = 0x02 // an encryption block: not a signature, takes the CRT path
	random := make([]byte, 128)
	rand.Read(random)
	random[0] = 0
	for name, in := range map[string][]byte{"signature block": signature, "encryption block": other, "random": random} {
		got, err := rsaRaw(key, in, rand.Reader)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := new(big.Int).Exp(new(big.Int).SetBytes(in), key.D, key.N).FillBytes(make([]byte, 128))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: wrong result", name)
		}
	}
	if _, err := rsaRaw(key, random[1:], rand.Reader); err == nil {
		t.Error("short input accepted")
	}
	if _, ok := pkcs1SignaturePayload(append([]byte{0, 1, 0xFF, 0xFF, 0}, make([]byte, 20)...)); ok {
		t.Error("padding shorter than 8 bytes accepted")
	}
}
