package piv_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/vcard"
)

func newClient(t *testing.T, ext bool) (*vcard.Card, *piv.Client) {
	t.Helper()
	card, err := vcard.New(vcard.Options{Serial: 4242})
	if err != nil {
		t.Fatal(err)
	}
	return card, piv.NewClient(card, piv.ClientOptions{ExtendedLength: ext})
}

func TestClientAgainstVirtualCard(t *testing.T) {
	for _, ext := range []bool{false, true} {
		_, c := newClient(t, ext)
		if _, err := c.Select(); err != nil {
			t.Fatal(err)
		}
		if s, err := c.Serial(); err != nil || s != 4242 {
			t.Fatalf("serial %d %v", s, err)
		}
		if v, err := c.Version(); err != nil || v != vcard.DefaultVersion {
			t.Fatalf("version %v %v", v, err)
		}
		if _, err := c.GetData(piv.ObjCertAuth); !errors.Is(err, apdu.SWFileNotFound) {
			t.Fatalf("missing certificate: %v", err)
		}
		if err := c.AuthenticateMgm(piv.AlgAES128, make([]byte, 16)); err == nil {
			t.Fatal("wrong management key algorithm accepted")
		}
		if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
			t.Fatal(err)
		}
		for _, alg := range []byte{piv.AlgRSA2048, piv.AlgECCP384} {
			pub, err := c.Generate(piv.SlotAuth, alg, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if verified, retries, err := c.PINStatus(); err != nil || verified || retries != 3 {
				t.Fatalf("PIN status %v %d %v", verified, retries, err)
			}
			if err := c.VerifyPIN([]byte("123456")); err != nil {
				t.Fatal(err)
			}
			s := &piv.Signer{C: c, Slot: piv.SlotAuth, Alg: alg, Pub: pub}
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client test"},
				NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, s)
			if err != nil {
				t.Fatalf("%s: self-signed certificate through the card: %v", piv.AlgName(alg), err)
			}
			cert, _ := x509.ParseCertificate(der)
			if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
				t.Fatal(err)
			}
			obj := append(append([]byte{0x70, 0x82, byte(len(der) >> 8), byte(len(der))}, der...), 0x71, 0x01, 0x00, 0xFE, 0x00)
			if err := c.PutData(piv.ObjCertAuth, obj); err != nil {
				t.Fatal(err)
			}
			got, err := c.GetData(piv.ObjCertAuth)
			if err != nil || !bytes.Equal(got, obj) {
				t.Fatalf("certificate object read back: %v", err)
			}
			if err := c.Logout(); err != nil {
				t.Fatal(err)
			}
			d := sha256.Sum256([]byte("x"))
			if _, err := s.Sign(nil, d[:], crypto.SHA256); !errors.Is(err, apdu.SWSecurityStatusNotSatisfied) {
				t.Fatalf("sign after logout: %v", err)
			}
			md, err := c.Metadata(piv.SlotAuth)
			if err != nil || md[0x01][0] != alg {
				t.Fatalf("metadata %v %v", md, err)
			}
			switch p := pub.(type) {
			case *rsa.PublicKey:
				if p.N.BitLen() != 2048 {
					t.Error("modulus size")
				}
			case *ecdsa.PublicKey:
				if p.Curve.Params().BitSize != 384 {
					t.Error("curve")
				}
			}
		}
		if err := c.VerifyPIN([]byte("000000")); !errors.Is(err, apdu.SW(0x63C2)) {
			t.Fatalf("wrong PIN: %v", err)
		}
		if err := c.ChangeReference(piv.RefPIN, []byte("123456"), []byte("24681357")); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			c.VerifyPIN([]byte("000000"))
		}
		if err := c.VerifyPIN([]byte("24681357")); !errors.Is(err, apdu.SWAuthMethodBlocked) {
			t.Fatalf("blocked: %v", err)
		}
		if err := c.UnblockPIN([]byte("12345678"), []byte("123456")); err != nil {
			t.Fatal(err)
		}
		if err := c.VerifyPIN([]byte("123456")); err != nil {
			t.Fatal(err)
		}
		if _, err := piv.PadPIN(make([]byte, 9)); err == nil {
			t.Error("9-byte PIN padded")
		}
		if c.Stats().Commands == 0 {
			t.Error("no commands counted")
		}
	}
}

// FuzzParsePublicKey feeds hostile public key templates (the 7F49 content of GENERATE and
// GET METADATA) to the parser: no panic, and an accepted key has the size of its algorithm.
func FuzzParsePublicKey(f *testing.F) {
	f.Add(byte(piv.AlgRSA2048), []byte{0x81, 0x01, 0x01, 0x82, 0x03, 0x01, 0x00, 0x01})
	f.Add(byte(piv.AlgECCP256), []byte{0x86, 0x01, 0x04})
	f.Fuzz(func(t *testing.T, alg byte, elems []byte) {
		pub, err := piv.ParsePublicKey(alg, elems)
		if err != nil {
			return
		}
		switch k := pub.(type) {
		case *rsa.PublicKey:
			if k.N.BitLen() != piv.RSABits(alg) {
				t.Fatalf("RSA key of %d bits accepted for %s", k.N.BitLen(), piv.AlgName(alg))
			}
		case *ecdsa.PublicKey:
			if k.Curve.Params().BitSize != piv.ECCBits(alg) {
				t.Fatalf("EC key on the wrong curve accepted")
			}
		}
	})
}
