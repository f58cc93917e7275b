package engine

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// sameMap compares two decoded map objects (nil and empty byte strings are the same).
func sameMap(a, b *mapObject) bool {
	if !bytes.Equal(a.Cardcf, b.Cardcf) || !bytes.Equal(a.GUID, b.GUID) || !bytes.Equal(a.Digest, b.Digest) ||
		len(a.Containers) != len(b.Containers) || len(a.Dirs) != len(b.Dirs) || len(a.Files) != len(b.Files) {
		return false
	}
	for i := range a.Containers {
		x, y := a.Containers[i], b.Containers[i]
		if x.Index != y.Index || x.Flags != y.Flags || x.Name != y.Name || x.KeySpec != y.KeySpec ||
			x.SigBits != y.SigBits || x.KxBits != y.KxBits || x.PIN != y.PIN || x.Slot != y.Slot ||
			!bytes.Equal(x.PubKey, y.PubKey) || x.NoKey != y.NoKey || x.ECDH != y.ECDH {
			return false
		}
	}
	for i := range a.Dirs {
		if a.Dirs[i] != b.Dirs[i] {
			return false
		}
	}
	for i := range a.Files {
		x, y := a.Files[i], b.Files[i]
		if x.Dir != y.Dir || x.Name != y.Name || x.AC != y.AC || x.Size != y.Size || !bytes.Equal(x.Chunks, y.Chunks) {
			return false
		}
	}
	return true
}

func FuzzParseMapObject(f *testing.F) {
	m := &mapObject{Cardcf: []byte{1, 2, 0, 3, 0, 4}, GUID: bytes.Repeat([]byte{0xA5}, 16), Containers: []mapContainer{
		{Index: 0, Flags: 3, Name: "{6A2F4C11-0000-4000-8000-000000000001}", KeySpec: 1, KxBits: 2048, PIN: 1, Slot: 0x82,
			PubKey: []byte{0x30, 0x03, 1, 2, 3}, ECDH: 3},
		{Index: 2, Flags: 1, Name: "pending", NoKey: true},
		{Index: 1, Flags: 1, Name: "sign", KeySpec: 3, SigBits: 256, PIN: 3},
		{Index: 23, Flags: 1, Name: "", KeySpec: 6, KxBits: 384},
	}}
	f.Add(m.marshal())
	m.Digest = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	m.Dirs = []mapDir{{Name: "app", AC: 1}}
	m.Files = []mapFile{{Dir: "mscp", Name: "msroots", AC: 1, Size: 4000, Chunks: []byte{0x11, 0x12}}, {Name: "x", AC: 6}}
	f.Add(m.marshal())
	f.Add((&mapObject{Cardcf: make([]byte, 6)}).marshal())
	f.Add(append(m.marshal(), 0xDF, 0x20, 0x01, 0xFF)) // an unknown tag of a later version
	f.Add([]byte{0xC0, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := parseMapObject(b)
		if err != nil {
			return
		}
		enc := m1.marshal()
		m2, err := parseMapObject(enc)
		if err != nil {
			t.Fatalf("the encoding of a parsed map does not parse: %v\n%X", err, enc)
		}
		if !sameMap(m1, m2) {
			t.Fatalf("round trip changed the map:\n%+v\n%+v", m1, m2)
		}
		if !bytes.Equal(m2.marshal(), enc) {
			t.Fatal("marshal is not stable")
		}
	})
}

func testCert(t testing.TB, key crypto.Signer) []byte {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func certObject(der []byte, compressed bool) []byte {
	info := byte(0)
	if compressed {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(der)
		zw.Close()
		der, info = zb.Bytes(), 1
	}
	var b tlv.Builder
	b.Add(piv.TagCertificate, der)
	b.Add(piv.TagCertInfo, []byte{info})
	b.Add(piv.TagErrorDetection, nil)
	return b.Bytes()
}

func FuzzDecodeCertObject(f *testing.F) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, k := range []crypto.Signer{ek, rk} {
		der := testCert(f, k)
		f.Add(certObject(der, false))
		f.Add(certObject(der, true))
	}
	f.Add([]byte{0x70, 0x00, 0x71, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, obj []byte) {
		der, pub, err := decodeCertObject(obj)
		if err != nil {
			if der != nil || pub != nil {
				t.Fatal("results with an error")
			}
			return
		}
		if len(der) == 0 || len(der) > maxCertSize {
			t.Fatalf("certificate of %d bytes", len(der))
		}
		switch pub.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
		default:
			t.Fatalf("key %T", pub)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("returned certificate does not parse: %v", err)
		}
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(cert.PublicKey) {
			t.Fatal("key differs from the certificate's")
		}
		// What keySpecFor makes of it must be consistent.
		for _, slot := range []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth, piv.SlotRetired1} {
			ks, bits, _ := keySpecFor(slot, pub)
			if ks != 0 && (bits <= 0 || !ks.Valid()) {
				t.Fatalf("key spec %v with %d bits", ks, bits)
			}
		}
	})
}

func FuzzRawECDSA(f *testing.F) {
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		k, _ := ecdsa.GenerateKey(c, rand.Reader)
		d := sha256.Sum256([]byte("x"))
		sig, _ := ecdsa.SignASN1(rand.Reader, k, d[:])
		f.Add(sig, (c.Params().BitSize+7)/8)
	}
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, 32)
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0xFF, 0x02, 0x01, 0x01}, 1)
	f.Fuzz(func(t *testing.T, der []byte, size int) {
		if size < 0 || size > 200 {
			return
		}
		out, err := rawECDSA(der, size)
		if err != nil {
			return
		}
		if len(out) != 2*size {
			t.Fatalf("%d bytes for size %d", len(out), size)
		}
		var sig struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &sig); err != nil {
			t.Fatalf("accepted a signature that does not parse: %v", err)
		}
		r, s := new(big.Int).SetBytes(out[:size]), new(big.Int).SetBytes(out[size:])
		if r.Cmp(sig.R) != 0 || s.Cmp(sig.S) != 0 || r.Sign() <= 0 || s.Sign() <= 0 {
			t.Fatal("r or s changed")
		}
	})
}

func FuzzHistorical(f *testing.F) {
	f.Add([]byte{0x3B, 0x8B, 0x80, 0x01, 'c', 'a', 'r', 'd', 'm', 'o', 'd', '-', 'p', 'i', 'v', 0x00})
	f.Add([]byte{0x3B, 0xF8, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 'Y', 'u', 'b', 'i', 'k', 'e', 'y', '4', 0xE9})
	f.Add([]byte{0x3B, 0x02, 0x14, 0x50})
	m := NewModule()
	f.Fuzz(func(t *testing.T, atr []byte) {
		h := historical(atr)
		if h != nil && len(h) != int(atr[1]&0x0F) {
			t.Fatalf("%d historical bytes, T0 says %d", len(h), atr[1]&0x0F)
		}
		m.KnownATR(atr)
	})
}
