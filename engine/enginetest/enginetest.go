// Package enginetest provides what tests of the minidriver engine share: virtual cards provisioned
// the way PIV tools provision them (keys generated on the card, self-signed certificates in the
// certificate objects) and contexts acquired on them with the reference host.
package enginetest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

// PIN and PUK of the test cards.
var (
	PIN = []byte("123456")
	PUK = []byte("12345678")
)

// Key is a key to provision: a slot, an algorithm and whether to store a certificate.
type Key struct {
	Slot byte
	Alg  byte
	Cert bool
}

// Provisioned is what Provision made.
type Provisioned struct {
	Card  *vcard.Card
	Pub   map[byte]crypto.PublicKey
	Certs map[byte][]byte // DER
}

// StandardKeys is a card as an administrator's PIV tool leaves it: RSA-2048 in 9A, ECC P-256 in
// 9C, RSA-2048 in 9D and ECC P-384 in 9E, each with a certificate.
var StandardKeys = []Key{
	{piv.SlotAuth, piv.AlgRSA2048, true},
	{piv.SlotSign, piv.AlgECCP256, true},
	{piv.SlotKeyMgmt, piv.AlgRSA2048, true},
	{piv.SlotCardAuth, piv.AlgECCP384, true},
}

// Provision makes an in-memory virtual card with the given keys, generated on the card through
// the PIV commands, and self-signed certificates written to the certificate objects.
func Provision(t testing.TB, keys []Key) *Provisioned {
	t.Helper()
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &Provisioned{Card: card, Pub: map[byte]crypto.PublicKey{}, Certs: map[byte][]byte{}}
	c := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
	if _, err := c.Select(); err != nil {
		t.Fatal(err)
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		pub, err := c.Generate(k.Slot, k.Alg, 0, 0)
		if err != nil {
			t.Fatalf("generate %02X: %v", k.Slot, err)
		}
		p.Pub[k.Slot] = pub
		if !k.Cert {
			continue
		}
		if err := c.VerifyPIN(PIN); err != nil {
			t.Fatal(err)
		}
		der := SelfSigned(t, &piv.Signer{C: c, Slot: k.Slot, Alg: k.Alg, Pub: pub}, fmt.Sprintf("slot %02X", k.Slot))
		p.Certs[k.Slot] = der
		if err := c.PutData(piv.CertObject(k.Slot), CertObject(der)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Logout(); err != nil {
		t.Fatal(err)
	}
	card.Reset()
	return p
}

// CertObject wraps a certificate as a PIV certificate object.
func CertObject(der []byte) []byte {
	var b tlv.Builder
	b.Add(piv.TagCertificate, der)
	b.Add(piv.TagCertInfo, []byte{0})
	b.Add(piv.TagErrorDetection, nil)
	return b.Bytes()
}

// SelfSigned returns a self-signed certificate for the signer's key.
func SelfSigned(t testing.TB, s crypto.Signer, cn string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s)
	if err != nil {
		t.Fatalf("self-signed certificate: %v", err)
	}
	return der
}

// Counter is an apdu.Transport that counts the commands it carries to the card.
type Counter struct {
	T        apdu.Transport
	Commands int
}

// Transmit counts and forwards.
func (c *Counter) Transmit(cmd []byte) ([]byte, error) {
	c.Commands++
	return c.T.Transmit(cmd)
}

// Acquire acquires a version 7 context on card with a fresh reference host.
func Acquire(t testing.TB, m *engine.Module, card apdu.Transport, ext bool) (*engine.Context, *refhost.Host) {
	t.Helper()
	h := refhost.New()
	ctx, err := m.AcquireContext(engine.AcquireParams{Version: 7, ATR: vcard.ATR(), CardName: "cardmod virtual PIV",
		HasCardName: true, Host: h, Card: card, ExtendedLength: ext})
	if err != nil {
		t.Fatalf("AcquireContext: %v", err)
	}
	return ctx, h
}
