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

// WriteMap stores a map object on the card, as enrollment through the minidriver leaves it:
// the containers of the provisioned keys with Windows-style names, 9A as the default.
func WriteMap(t testing.TB, p *Provisioned, keys []Key) {
	t.Helper()
	c := piv.NewClient(p.Card, piv.ClientOptions{ExtendedLength: true})
	if _, err := c.Select(); err != nil {
		t.Fatal(err)
	}
	chuid, err := c.GetData(piv.ObjCHUID)
	if err != nil {
		t.Fatal(err)
	}
	guid, _, _ := tlv.Find(chuid, 0x34)
	var entries []engine.MapEntry
	for _, k := range keys {
		idx := byte(0xFF)
		for i, s := range []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth} {
			if s == k.Slot {
				idx = byte(i)
			}
		}
		if k.Slot >= piv.SlotRetired1 && k.Slot <= piv.SlotRetired20 {
			idx = 4 + k.Slot - piv.SlotRetired1
		}
		e := engine.MapEntry{Index: idx, Name: fmt.Sprintf("{5A1C0D%02X-0000-4000-8000-%012X}", idx, guid[:6]),
			Default: k.Slot == piv.SlotAuth, PIN: 1}
		switch {
		case piv.RSABits(k.Alg) != 0 && k.Slot == piv.SlotSign:
			e.KeySpec, e.Bits = 2, piv.RSABits(k.Alg)
		case piv.RSABits(k.Alg) != 0:
			e.KeySpec, e.Bits = 1, piv.RSABits(k.Alg)
		case k.Slot == piv.SlotKeyMgmt || k.Slot >= piv.SlotRetired1 && k.Slot <= piv.SlotRetired20:
			e.KeySpec, e.Bits = uint32(4+piv.ECCBits(k.Alg)/128), piv.ECCBits(k.Alg) // 6: ECDH P-256, 7: P-384
		default:
			e.KeySpec, e.Bits = uint32(1+piv.ECCBits(k.Alg)/128), piv.ECCBits(k.Alg) // 3: ECDSA P-256, 4: P-384
		}
		if k.Slot == piv.SlotSign {
			e.PIN = 3
		}
		entries = append(entries, e)
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		t.Fatal(err)
	}
	if err := c.PutData(engine.MapObjectTag, engine.EncodeMapObject(make([]byte, 6), guid, entries)); err != nil {
		t.Fatal(err)
	}
	p.Card.Reset()
}
