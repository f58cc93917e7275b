package spec

import (
	"bytes"
	"crypto/rsa"
	"math/big"
	"testing"
)

// Every fuzz target checks that parsing never panics and that, when parsing succeeds,
// marshalling the result gives back the input (all these formats are canonical once parsed).

func FuzzParseContainerMap(f *testing.F) {
	recs := make([]ContainerMapRecord, 2)
	_ = recs[0].SetName("{11111111-2222-3333-4444-555555555555}")
	recs[0].Flags = 3
	recs[0].KeyExchangeKeySizeBits = 2048
	f.Add(MarshalContainerMap(recs))
	f.Add([]byte{})
	f.Add(make([]byte, 87))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseContainerMap(b)
		if err != nil {
			if len(b)%ContainerMapRecordSize == 0 {
				t.Fatalf("valid length rejected: %v", err)
			}
			return
		}
		if !bytes.Equal(MarshalContainerMap(got), b) {
			t.Fatal("re-marshal differs")
		}
		for i := range got {
			_ = got[i].Name()
			_, _ = got[i].Valid(), got[i].Default()
		}
	})
}

func FuzzParseCacheFile(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCacheFile(b)
		if err != nil {
			if len(b) >= CacheFileSize {
				t.Fatalf("valid length rejected: %v", err)
			}
			return
		}
		if !bytes.Equal(c.MarshalBinary(), b) {
			t.Fatal("re-marshal differs")
		}
		c.BumpPINs()
		c.BumpContainers()
		c.BumpFiles()
		if len(c.MarshalBinary()) != len(b) {
			t.Fatal("bump changed the length")
		}
	})
}

func FuzzParseECCPublicKeyBlob(f *testing.F) {
	for _, tc := range eccCases {
		k := testECKey(f, tc.curve)
		f.Add(MarshalECCPublicKeyBlob(&k.PublicKey, tc.dsaPub))
		f.Add(MarshalECCPublicKeyBlob(&k.PublicKey, tc.dhPub))
	}
	f.Add([]byte{0x45, 0x43, 0x53, 0x31, 0x20, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, magic, err := ParseECCPublicKeyBlob(b)
		if err != nil {
			return
		}
		if !pub.Curve.IsOnCurve(pub.X, pub.Y) { //nolint:staticcheck // independent on-curve check
			t.Fatal("accepted a point off the curve")
		}
		if !bytes.Equal(MarshalECCPublicKeyBlob(pub, magic), b) {
			t.Fatal("re-marshal differs")
		}
	})
}

func FuzzParseECCPrivateKeyBlob(f *testing.F) {
	for _, tc := range eccCases {
		k := testECKey(f, tc.curve)
		f.Add(MarshalECCPrivateKeyBlob(k, tc.dsaPr))
		f.Add(MarshalECCPrivateKeyBlob(k, tc.dhPr))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		priv, magic, err := ParseECCPrivateKeyBlob(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalECCPrivateKeyBlob(priv, magic), b) {
			t.Fatal("re-marshal differs")
		}
	})
}

func FuzzParseRSAPublicKeyBlob(f *testing.F) {
	n, _ := new(big.Int).SetString("C5A1B3D7E9F10203", 16)
	f.Add(MarshalRSAPublicKeyBlob(&rsa.PublicKey{N: n, E: 65537}, CALGRSAKeyX))
	f.Add(MarshalRSAPublicKeyBlob(&testRSAKey(f).PublicKey, CALGRSASign))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, alg, err := ParseRSAPublicKeyBlob(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalRSAPublicKeyBlob(pub, alg), b) {
			t.Fatal("re-marshal differs")
		}
	})
}

func FuzzParseRSAPrivateKeyBlob(f *testing.F) {
	f.Add(smallRSABlob)
	f.Add(MarshalRSAPrivateKeyBlob(testRSAKey(f), CALGRSAKeyX))
	// p = 3, q = 5: a degenerate but consistent key.
	tiny := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: big.NewInt(15), E: 3}, D: big.NewInt(3),
		Primes: []*big.Int{big.NewInt(5), big.NewInt(3)}}
	if b := MarshalRSAPrivateKeyBlob(tiny, CALGRSASign); b != nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		priv, alg, err := ParseRSAPrivateKeyBlob(b)
		if err != nil {
			return
		}
		if err := priv.Validate(); err != nil {
			t.Fatalf("returned key does not validate: %v", err)
		}
		if !bytes.Equal(MarshalRSAPrivateKeyBlob(priv, alg), b) {
			t.Fatal("re-marshal differs")
		}
	})
}
