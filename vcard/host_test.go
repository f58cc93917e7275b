package vcard

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// fixedNow keeps certificates and the CHUID expiry reproducible.
func fixedNow() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

// host drives a card the way a PIV client does, for tests. It records every response so that
// tests can check that no private key material ever left the card.
type host struct {
	t    testing.TB
	card *Card
	ex   *apdu.Exchanger
	mu   sync.Mutex
	seen [][]byte
}

type recorder struct{ h *host }

func (r recorder) Transmit(cmd []byte) ([]byte, error) {
	rsp, err := r.h.card.Transmit(cmd)
	r.h.mu.Lock()
	r.h.seen = append(r.h.seen, bytes.Clone(rsp))
	r.h.mu.Unlock()
	return rsp, err
}

func newHost(t testing.TB, card *Card) *host {
	h := &host{t: t, card: card}
	h.ex = &apdu.Exchanger{T: recorder{h}}
	return h
}

func newTestCard(t testing.TB) (*Card, *host) {
	t.Helper()
	c, err := New(Options{Serial: 12345678, Now: fixedNow})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, newHost(t, c)
}

// send runs one command (with chaining and GET RESPONSE handled by the exchanger).
func (h *host) send(ins, p1, p2 byte, data []byte) ([]byte, apdu.SW) {
	h.t.Helper()
	r, err := h.ex.Exchange(apdu.Command{INS: ins, P1: p1, P2: p2, Data: data, Ne: 256})
	if err != nil {
		h.t.Fatalf("exchange INS %02X: %v", ins, err)
	}
	return r.Data, r.SW
}

// raw sends bytes as they are and returns the raw response.
func (h *host) raw(cmd []byte) ([]byte, apdu.SW) {
	h.t.Helper()
	rsp, err := h.card.Transmit(cmd)
	if err != nil || len(rsp) < 2 {
		h.t.Fatalf("transmit: %v (%X)", err, rsp)
	}
	return rsp[:len(rsp)-2], apdu.SW(uint16(rsp[len(rsp)-2])<<8 | uint16(rsp[len(rsp)-1]))
}

func (h *host) must(ins, p1, p2 byte, data []byte) []byte {
	h.t.Helper()
	out, sw := h.send(ins, p1, p2, data)
	if sw != apdu.SWOK {
		h.t.Fatalf("INS %02X P1 %02X P2 %02X: got %v, want 9000", ins, p1, p2, sw)
	}
	return out
}

func (h *host) expect(want apdu.SW, ins, p1, p2 byte, data []byte) []byte {
	h.t.Helper()
	out, sw := h.send(ins, p1, p2, data)
	if sw != want {
		h.t.Fatalf("INS %02X P1 %02X P2 %02X: got %v, want %v", ins, p1, p2, sw, want)
	}
	return out
}

func pad8(s string) []byte {
	b := bytes.Repeat([]byte{0xFF}, 8)
	copy(b, s)
	return b
}

func (h *host) verify(pin string) apdu.SW {
	h.t.Helper()
	_, sw := h.send(piv.InsVerify, 0, piv.RefPIN, pad8(pin))
	return sw
}

func cipherFor(t testing.TB, alg byte, key []byte) cipher.Block {
	t.Helper()
	var b cipher.Block
	var err error
	if alg == piv.Alg3DES {
		b, err = des.NewTripleDESCipher(key)
	} else {
		b, err = aes.NewCipher(key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mgmAuth performs the mutual authentication with the management key (as yubico-piv-tool does)
// and returns the status word of the second step.
func (h *host) mgmAuth(alg byte, key []byte) apdu.SW {
	h.t.Helper()
	blk := cipherFor(h.t, alg, key)
	out, sw := h.send(piv.InsGeneralAuth, alg, piv.RefMgmKey, []byte{0x7C, 0x02, 0x80, 0x00})
	if sw != apdu.SWOK {
		return sw
	}
	enc, ok, err := tlv.Find(mustFind(h.t, out, piv.TagDynAuth), piv.TagWitness)
	if err != nil || !ok || len(enc) != blk.BlockSize() {
		h.t.Fatalf("witness response %X", out)
	}
	w := make([]byte, blk.BlockSize())
	blk.Decrypt(w, enc)
	ch := bytes.Repeat([]byte{0x5A}, blk.BlockSize())
	var b tlv.Builder
	b.AddNested(piv.TagDynAuth, func(b *tlv.Builder) {
		b.Add(piv.TagWitness, w)
		b.Add(piv.TagChallenge, ch)
	})
	out, sw = h.send(piv.InsGeneralAuth, alg, piv.RefMgmKey, b.Bytes())
	if sw != apdu.SWOK {
		return sw
	}
	resp, ok, err := tlv.Find(mustFind(h.t, out, piv.TagDynAuth), piv.TagResponse)
	if err != nil || !ok {
		h.t.Fatalf("challenge response %X", out)
	}
	want := make([]byte, blk.BlockSize())
	blk.Encrypt(want, ch)
	if !bytes.Equal(resp, want) {
		h.t.Fatalf("card's response to our challenge is wrong")
	}
	return sw
}

func (h *host) auth() {
	h.t.Helper()
	if sw := h.mgmAuth(piv.Alg3DES, DefaultMgmKey); sw != apdu.SWOK {
		h.t.Fatalf("management key authentication: %v", sw)
	}
}

func mustFind(t testing.TB, b []byte, tag tlv.Tag) []byte {
	t.Helper()
	v, ok, err := tlv.Find(b, tag)
	if err != nil || !ok {
		t.Fatalf("tag %X not found in %X (%v)", tag, b, err)
	}
	return v
}

// generate creates a key in slot and returns its public key.
func (h *host) generate(slot, alg byte, extra ...byte) crypto.PublicKey {
	h.t.Helper()
	tmpl := append([]byte{0x80, 0x01, alg}, extra...)
	out := h.must(piv.InsGenerateAsymmetric, 0, slot, tlv.Encode(piv.TagKeyGenTemplate, tmpl))
	return parsePublic(h.t, alg, mustFind(h.t, out, piv.TagPublicKey))
}

func parsePublic(t testing.TB, alg byte, elems []byte) crypto.PublicKey {
	t.Helper()
	if piv.RSABits(alg) != 0 {
		n := mustFind(t, elems, 0x81)
		e := mustFind(t, elems, 0x82)
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	pt := mustFind(t, elems, 0x86)
	c := elliptic.P256()
	if alg == piv.AlgECCP384 {
		c = elliptic.P384()
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(c, pt)
	if err != nil {
		t.Fatalf("public point: %v", err)
	}
	return pub
}

// gaTemplate builds 7C{82 00, tag data}.
func gaTemplate(tag tlv.Tag, data []byte) []byte {
	var b tlv.Builder
	b.AddNested(piv.TagDynAuth, func(b *tlv.Builder) {
		b.Add(piv.TagResponse, nil)
		b.Add(tag, data)
	})
	return b.Bytes()
}

// sign asks the card to sign digest with the key in slot; for RSA the PKCS#1 v1.5 block is built
// here, as a PIV host does.
func (h *host) sign(slot, alg byte, digest []byte) ([]byte, apdu.SW) {
	h.t.Helper()
	in := digest
	if bits := piv.RSABits(alg); bits != 0 {
		in = pkcs1Block(bits/8, digest)
	}
	out, sw := h.send(piv.InsGeneralAuth, alg, slot, gaTemplate(piv.TagChallenge, in))
	if sw != apdu.SWOK {
		return nil, sw
	}
	return mustFind(h.t, mustFind(h.t, out, piv.TagDynAuth), piv.TagResponse), sw
}

var sha256Prefix = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// pkcs1Block builds the EMSA-PKCS1-v1_5 block of a SHA-256 digest.
func pkcs1Block(k int, digest []byte) []byte {
	t := append(bytes.Clone(sha256Prefix), digest...)
	em := bytes.Repeat([]byte{0xFF}, k)
	em[0], em[1] = 0, 1
	em[k-len(t)-1] = 0
	copy(em[k-len(t):], t)
	return em
}

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}
