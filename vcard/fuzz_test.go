package vcard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"sync"
	"testing"

	"github.com/cardmod/cardmod/piv"
)

var (
	fuzzStateOnce sync.Once
	fuzzState     *State
)

// fuzzBaseState is a card with keys in several slots and a certificate, built once: the fuzzer
// then reaches the key operations without paying for key generation.
func fuzzBaseState(t testing.TB) *State {
	fuzzStateOnce.Do(func() {
		c, err := New(Options{Serial: 1, Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		rk, _ := rsa.GenerateKey(rand.Reader, 1024)
		ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		e3, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		for slot, k := range map[byte]struct {
			alg byte
			key any
		}{piv.SlotAuth: {piv.AlgRSA1024, rk}, piv.SlotSign: {piv.AlgECCP256, ek}, piv.SlotCardAuth: {piv.AlgECCP384, e3}} {
			der, _ := x509.MarshalPKCS8PrivateKey(k.key)
			c.st.Keys[slot] = &Key{Alg: k.alg, PKCS8: der, Origin: piv.OriginGenerated}
		}
		c.st.Objects[piv.ObjCertAuth] = certObject([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
		fuzzState = c.st
	})
	return fuzzState.clone()
}

// FuzzTransmit feeds sequences of APDUs to a card (the input is split into commands by a leading
// length byte each) with the PIN verified and the management key authenticated, so that the
// fuzzer reaches every handler. No input may panic the card, every answer must carry a status
// word, and the state must always stay valid.
func FuzzTransmit(f *testing.F) {
	seeds := [][]byte{
		{0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08},
		{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00},
		{0x00, 0xDB, 0x3F, 0xFF, 0x08, 0x5C, 0x03, 0x5F, 0xC1, 0x06, 0x53, 0x01, 0x01},
		{0x00, 0x20, 0x00, 0x80, 0x08, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0xFF, 0xFF},
		{0x00, 0x87, 0x11, 0x9C, 0x08, 0x7C, 0x06, 0x82, 0x00, 0x81, 0x02, 0x01, 0x02},
		{0x00, 0x87, 0x14, 0x9E, 0x08, 0x7C, 0x06, 0x82, 0x00, 0x85, 0x02, 0x04, 0x01},
		{0x00, 0x87, 0x03, 0x9B, 0x04, 0x7C, 0x02, 0x80, 0x00},
		{0x00, 0xF7, 0x00, 0x9A, 0x00},
		{0x00, 0xFE, 0x11, 0x82, 0x03, 0x06, 0x01, 0x01},
		{0x10, 0xDB, 0x3F, 0xFF, 0x02, 0x5C, 0x03},
		{0x00, 0xC0, 0x00, 0x00, 0x00},
	}
	for _, s := range seeds {
		f.Add(append([]byte{byte(len(s))}, s...))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		c := newCard(fuzzBaseState(t), nil, nil, fixedNow)
		c.pinVerified, c.pinFresh, c.mgmAuthed = true, true, true
		for len(input) > 0 {
			n := int(input[0])
			input = input[1:]
			if n > len(input) {
				n = len(input)
			}
			cmd := input[:n]
			input = input[n:]
			// Key generation is covered by unit tests; RSA generation would make the fuzzer crawl.
			if len(cmd) > 1 && cmd[1] == piv.InsGenerateAsymmetric {
				continue
			}
			rsp, err := c.Transmit(cmd)
			if err != nil || len(rsp) < 2 {
				t.Fatalf("Transmit(%X) = %X, %v", cmd, rsp, err)
			}
		}
		if err := c.st.validate(); err != nil {
			t.Fatalf("state invalid after the sequence: %v", err)
		}
	})
}

// FuzzUnmarshalState checks that no state file, however damaged, crashes the loader.
func FuzzUnmarshalState(f *testing.F) {
	c, err := New(Options{Serial: 1, Now: fixedNow})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := c.st.Marshal()
	f.Add(good)
	f.Add([]byte(`{"format":"cardmod-pivcard-state/1","sha256":"00","state":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := UnmarshalState(data)
		if err == nil {
			if verr := s.validate(); verr != nil {
				t.Fatalf("accepted an invalid state: %v", verr)
			}
		}
	})
}
