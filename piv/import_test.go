package piv_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

var (
	importKeysMu sync.Mutex
	importKeys   = map[int]*rsa.PrivateKey{}
)

// importRSAKey returns an RSA key of the given size, generated once per test binary.
func importRSAKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	importKeysMu.Lock()
	defer importKeysMu.Unlock()
	if k, ok := importKeys[bits]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	importKeys[bits] = k
	return k
}

// recorder is a transport that keeps every command APDU it passes to the card.
type recorder struct {
	card *vcard.Card
	mu   sync.Mutex
	cmds [][]byte
}

func (r *recorder) Transmit(cmd []byte) ([]byte, error) {
	r.mu.Lock()
	r.cmds = append(r.cmds, bytes.Clone(cmd))
	r.mu.Unlock()
	return r.card.Transmit(cmd)
}

// importData joins the data fields of the recorded IMPORT commands (a chain, or one extended APDU).
func (r *recorder) importData(t *testing.T) []byte {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var data []byte
	for _, raw := range r.cmds {
		c, err := apdu.ParseCommand(raw)
		if err != nil {
			t.Fatal(err)
		}
		if c.INS == piv.InsImportKey {
			data = append(data, c.Data...)
		}
	}
	return data
}

func newImportClient(t *testing.T, ext bool) (*vcard.Card, *recorder, *piv.Client) {
	t.Helper()
	card, err := vcard.New(vcard.Options{Serial: 4343})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{card: card}
	c := piv.NewClient(rec, piv.ClientOptions{ExtendedLength: ext})
	_, err = c.Select()
	mustOK(t, err)
	return card, rec, c
}

func digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func TestImportKeyRSA(t *testing.T) {
	bitsList := []int{1024, 2048, 3072, 4096}
	if testing.Short() {
		bitsList = []int{2048}
	}
	for _, ext := range []bool{false, true} {
		for _, bits := range bitsList {
			k := importRSAKey(t, bits)
			_, rec, c := newImportClient(t, ext)

			// Without the management key the card refuses (6982) and keeps the slot empty.
			if _, err := c.ImportKey(piv.SlotAuth, k, 0, 0); !errors.Is(err, apdu.SWSecurityStatusNotSatisfied) {
				t.Fatalf("%d bits: import without the management key: %v", bits, err)
			}
			if _, err := c.Metadata(piv.SlotAuth); !errors.Is(err, apdu.SWReferencedDataNotFound) {
				t.Fatalf("%d bits: slot not empty after a refused import: %v", bits, err)
			}
			rec.cmds = nil

			mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
			rec.cmds = nil
			alg, err := c.ImportKey(piv.SlotAuth, k, piv.PINPolicyOnce, piv.TouchPolicyNever)
			if err != nil {
				t.Fatalf("%d bits: %v", bits, err)
			}
			if piv.RSABits(alg) != bits {
				t.Fatalf("%d bits: algorithm %s", bits, piv.AlgName(alg))
			}

			// The data is 01 p, 02 q, 03 dP, 04 dQ, 05 qInv, each bits/16 bytes, then AA and AB.
			half := bits / 16
			be := func(v *big.Int) []byte { return v.FillBytes(make([]byte, half)) }
			var want tlv.Builder
			want.Add(0x01, be(k.Primes[0]))
			want.Add(0x02, be(k.Primes[1]))
			want.Add(0x03, be(k.Precomputed.Dp))
			want.Add(0x04, be(k.Precomputed.Dq))
			want.Add(0x05, be(k.Precomputed.Qinv))
			want.Add(0xAA, []byte{piv.PINPolicyOnce})
			want.Add(0xAB, []byte{piv.TouchPolicyNever})
			if got := rec.importData(t); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("%d bits: command data differs from the expected layout", bits)
			}
			chained := 0
			for _, raw := range rec.cmds {
				if raw[1] == piv.InsImportKey && raw[0]&0x10 != 0 {
					chained++
				}
				if raw[1] == piv.InsImportKey && (raw[2] != alg || raw[3] != piv.SlotAuth) {
					t.Fatalf("P1 P2 = %02X %02X", raw[2], raw[3])
				}
			}
			if ext == (chained > 0) {
				t.Errorf("%d bits, extended %v: %d chained parts", bits, ext, chained)
			}

			md, err := c.Metadata(piv.SlotAuth)
			mustOK(t, err)
			if !bytes.Equal(md[0x01], []byte{alg}) || !bytes.Equal(md[0x03], []byte{piv.OriginImported}) ||
				!bytes.Equal(md[0x02], []byte{piv.PINPolicyOnce, piv.TouchPolicyNever}) {
				t.Errorf("%d bits: metadata %X", bits, md)
			}
			// The imported key signs through the card, and the signature verifies with its public key.
			mustOK(t, c.VerifyPIN(vcard.DefaultPIN))
			s := &piv.Signer{C: c, Slot: piv.SlotAuth, Alg: alg, Pub: &k.PublicKey}
			d := digest("imported RSA key")
			sig, err := s.Sign(nil, d, crypto.SHA256)
			mustOK(t, err)
			if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, d, sig); err != nil {
				t.Errorf("%d bits: signature through the card: %v", bits, err)
			}
			// A raw private operation gives m^d mod n.
			m := new(big.Int).SetBytes(digest("raw"))
			out, err := c.PrivateOp(piv.SlotAuth, alg, m.FillBytes(make([]byte, bits/8)))
			mustOK(t, err)
			if new(big.Int).SetBytes(out).Cmp(new(big.Int).Exp(m, k.D, k.N)) != 0 {
				t.Errorf("%d bits: raw private operation differs", bits)
			}
		}
	}
}

func TestImportKeyECC(t *testing.T) {
	_, rec, c := newImportClient(t, false)
	mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	mustOK(t, c.VerifyPIN(vcard.DefaultPIN))
	for _, tc := range []struct {
		curve elliptic.Curve
		slot  byte
		alg   byte
		size  int
	}{
		{elliptic.P256(), piv.SlotSign, piv.AlgECCP256, 32},
		{elliptic.P384(), piv.SlotCardAuth, piv.AlgECCP384, 48},
		{elliptic.P256(), piv.SlotRetired1, piv.AlgECCP256, 32},
	} {
		k, err := ecdsa.GenerateKey(tc.curve, rand.Reader)
		mustOK(t, err)
		rec.cmds = nil
		alg, err := c.ImportKey(tc.slot, k, piv.PINPolicyNever, 0)
		if err != nil || alg != tc.alg {
			t.Fatalf("%s: %s %v", tc.curve.Params().Name, piv.AlgName(alg), err)
		}
		scalar, _ := k.Bytes()
		want := append(append([]byte{0x06, byte(tc.size)}, scalar...), 0xAA, 0x01, piv.PINPolicyNever)
		if !bytes.Equal(rec.importData(t), want) {
			t.Fatalf("%s: command data differs", tc.curve.Params().Name)
		}
		s := &piv.Signer{C: c, Slot: tc.slot, Alg: alg, Pub: &k.PublicKey}
		d := digest("imported EC key")
		sig, err := s.Sign(nil, d, crypto.SHA256)
		mustOK(t, err)
		if !ecdsa.VerifyASN1(&k.PublicKey, d, sig) {
			t.Errorf("%s: signature through the card does not verify", tc.curve.Params().Name)
		}
	}

	// A crypto/ecdh key is imported too, and the card's ECDH agrees with Go's.
	ek, err := ecdh.P384().GenerateKey(rand.Reader)
	mustOK(t, err)
	alg, err := c.ImportKey(piv.SlotKeyMgmt, ek, 0, 0)
	if err != nil || alg != piv.AlgECCP384 {
		t.Fatalf("ecdh key: %s %v", piv.AlgName(alg), err)
	}
	peer, err := ecdh.P384().GenerateKey(rand.Reader)
	mustOK(t, err)
	got, err := c.ECDH(piv.SlotKeyMgmt, alg, peer.PublicKey().Bytes())
	mustOK(t, err)
	want, err := peer.ECDH(ek.PublicKey())
	mustOK(t, err)
	if !bytes.Equal(got, want) {
		t.Error("ECDH with the imported key differs")
	}
}

func TestImportKeyRefused(t *testing.T) {
	_, rec, c := newImportClient(t, false)
	mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	k := importRSAKey(t, 2048)
	e3, err := rsa.GenerateKey(rand.Reader, 1024)
	mustOK(t, err)
	e3 = &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: e3.N, E: 3}, D: e3.D, Primes: e3.Primes}
	k1536, err := rsa.GenerateKey(rand.Reader, 1536)
	mustOK(t, err)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	mustOK(t, err)
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	mustOK(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	mustOK(t, err)
	unsupported := map[string]crypto.PrivateKey{
		"nil":            nil,
		"RSA 1536":       k1536,
		"RSA exponent 3": e3,
		"RSA one prime":  &rsa.PrivateKey{PublicKey: k.PublicKey, D: k.D, Primes: k.Primes[:1]},
		"RSA value":      *k,
		"nil RSA":        (*rsa.PrivateKey)(nil),
		"P-521":          p521,
		"nil ECDSA":      (*ecdsa.PrivateKey)(nil),
		"X25519":         x25519,
		"Ed25519":        edKey,
	}
	rec.cmds = nil
	for name, key := range unsupported {
		if _, err := c.ImportKey(piv.SlotAuth, key, 0, 0); !errors.Is(err, piv.ErrImportUnsupported) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An inconsistent key is refused too, not sent.
	broken := &rsa.PrivateKey{PublicKey: k.PublicKey, D: new(big.Int).Add(k.D, big.NewInt(2)), Primes: k.Primes}
	if _, err := c.ImportKey(piv.SlotAuth, broken, 0, 0); err == nil {
		t.Error("inconsistent RSA key accepted")
	}
	for _, slot := range []byte{piv.RefPIN, piv.RefMgmKey, 0x00, 0x96} {
		if _, err := c.ImportKey(slot, k, 0, 0); err == nil {
			t.Errorf("slot %02X accepted", slot)
		}
	}
	if len(rec.cmds) != 0 {
		t.Errorf("%d commands sent for refused imports", len(rec.cmds))
	}
	// A policy the card does not know is the card's to refuse.
	if _, err := c.ImportKey(piv.SlotAuth, k, 0x09, 0); !errors.Is(err, apdu.SWWrongData) {
		t.Errorf("bad PIN policy: %v", err)
	}
}

// TestImportKeyTraceRedacted checks that a trace through the Redactor holds no byte of the key.
func TestImportKeyTraceRedacted(t *testing.T) {
	card, err := vcard.New(vcard.Options{Serial: 4344})
	mustOK(t, err)
	var trace strings.Builder
	var r piv.Redactor
	c := piv.NewClient(apdu.NewTraceTransport(card, r.Format, &trace), piv.ClientOptions{})
	adminSession(t, c)
	k := importRSAKey(t, 2048)
	_, err = c.ImportKey(piv.SlotAuth, k, 0, 0)
	mustOK(t, err)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustOK(t, err)
	_, err = c.ImportKey(piv.SlotSign, ek, 0, 0)
	mustOK(t, err)
	scalar, _ := ek.Bytes()
	text := strings.ToUpper(trace.String())
	for name, secret := range map[string][]byte{
		"p": k.Primes[0].Bytes()[:16], "q": k.Primes[1].Bytes()[:16], "qInv": k.Precomputed.Qinv.Bytes()[:16],
		"EC scalar": scalar[:16],
	} {
		if strings.Contains(text, strings.ToUpper(hex.EncodeToString(secret))) {
			t.Errorf("the trace shows %s", name)
		}
	}
	if !strings.Contains(text, "REDACTED") || !strings.Contains(text, "10FE079A") {
		t.Errorf("trace does not show the redacted import chain:\n%s", text)
	}
}
