package vcard

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
)

// benchTransmit measures the card's processing of one raw command.
func benchTransmit(b *testing.B, c *Card, cmd []byte) {
	b.Helper()
	rsp, _ := c.Transmit(cmd)
	if len(rsp) < 2 || rsp[len(rsp)-2] != 0x90 {
		b.Fatalf("command %X answered %X", cmd, rsp)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Transmit(cmd)
	}
}

// BenchmarkDispatch is the per-command overhead of the card without cryptography: parsing,
// dispatch, the handler and response encoding.
func BenchmarkDispatch(b *testing.B) {
	c, err := New(Options{Serial: 1, Now: fixedNow})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("GetVersion", func(b *testing.B) { benchTransmit(b, c, []byte{0x00, 0xFD, 0x00, 0x00, 0x00}) })
	b.Run("Select", func(b *testing.B) {
		benchTransmit(b, c, append([]byte{0x00, 0xA4, 0x04, 0x00, 0x0B}, piv.AID...))
	})
	b.Run("GetDataCHUID", func(b *testing.B) {
		benchTransmit(b, c, []byte{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x00})
	})
	b.Run("VerifyStatus", func(b *testing.B) {
		c.pinVerified = true
		benchTransmit(b, c, []byte{0x00, 0x20, 0x00, 0x80})
	})
	c.st.Objects[piv.ObjCertAuth] = certObject(make([]byte, 1500))
	b.Run("GetDataCert1500Extended", func(b *testing.B) {
		benchTransmit(b, c, []byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00, 0x00})
	})
}

// BenchmarkRSA2048Sign compares a PKCS#1 v1.5 signature made through the card (GENERAL
// AUTHENTICATE with the padded block built by the host, as PIV hosts do) with crypto/rsa alone.
func BenchmarkRSA2048Sign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	digest := digestOf("benchmark")
	b.Run("crypto-rsa", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("card", func(b *testing.B) {
		c, err := New(Options{Serial: 1, Now: fixedNow})
		if err != nil {
			b.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		c.st.Keys[piv.SlotCardAuth] = &Key{Alg: piv.AlgRSA2048, PKCS8: der, Origin: piv.OriginImported}
		c.loadKeys()
		cmd, err := apdu.Command{INS: piv.InsGeneralAuth, P1: piv.AlgRSA2048, P2: piv.SlotCardAuth,
			Data: gaTemplate(piv.TagChallenge, pkcs1Block(256, digest)), Ne: 65536}.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			rsp, _ := c.Transmit(cmd)
			if rsp[len(rsp)-2] != 0x90 {
				b.Fatalf("sign: %X", rsp[len(rsp)-2:])
			}
		}
	})
}

// BenchmarkStateSave is the cost of persisting a card with keys and certificates (encode,
// write, fsync, rename).
func BenchmarkStateSave(b *testing.B) {
	path := filepath.Join(b.TempDir(), "card.json")
	c, err := Create(path, Options{Serial: 1, Now: fixedNow})
	if err != nil {
		b.Fatal(err)
	}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	for _, slot := range []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth} {
		c.st.Keys[slot] = &Key{Alg: piv.AlgRSA2048, PKCS8: der, Origin: piv.OriginImported}
		c.st.Objects[piv.CertObject(slot)] = certObject(make([]byte, 1200))
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.update(func(*State) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
