package engine

import (
	"bytes"
	"testing"
)

// TestSecretsWiped inspects a context: CardDestroyDHAgreement and CardDestroyKey clear the bytes
// of the secret and the key, and CardDeleteContext clears every secret left.
func TestSecretsWiped(t *testing.T) {
	c := &Context{agreements: map[byte]*agreement{}, keys: map[uintptr]*symKey{}, pending: map[string]bool{}}
	fill := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	zero := func(b []byte) bool { return len(b) > 0 && bytes.Count(b, []byte{0}) == len(b) }

	a1, a2 := fill(32, 0xA1), fill(48, 0xA2)
	c.agreements[1], c.agreements[2] = &agreement{secret: a1, curve: 256}, &agreement{secret: a2, curve: 384}
	alg, err := symAlgFor("test", "AES", true, 256)
	if err != nil {
		t.Fatal(err)
	}
	h1, err := c.newKey("test", alg, fill(32, 0xB1))
	if err != nil {
		t.Fatal(err)
	}
	h2, err := c.newKey("test", alg, fill(40, 0xB2))
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := c.keys[h1].key, c.keys[h2].key
	if len(k2) != 32 || k2[0] != 0xB2 {
		t.Fatalf("key material %X", k2)
	}
	if err := c.DestroyDHAgreement(1, 0); err != nil {
		t.Fatal(err)
	}
	if !zero(a1) || zero(a2) {
		t.Errorf("after destroy: agreement 1 %X, agreement 2 %X", a1, a2)
	}
	if err := c.DestroyKey(h1); err != nil {
		t.Fatal(err)
	}
	if !zero(k1) || zero(k2) {
		t.Errorf("after destroy: key 1 %X, key 2 %X", k1, k2)
	}
	if err := c.DeleteContext(); err != nil {
		t.Fatal(err)
	}
	if !zero(a2) || !zero(k2) || len(c.agreements) != 0 || len(c.keys) != 0 {
		t.Errorf("after CardDeleteContext: agreement %X, key %X, %d agreements, %d keys", a2, k2, len(c.agreements), len(c.keys))
	}
}
