package engine_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/spec"
)

func TestEnrollSmoke(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	ctx, h := enginetest.Acquire(t, m, p.Card, true)
	cf0, err := ctx.ReadFile("", "cardcf", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	if err := ctx.CreateContainerEx(0, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil, spec.RoleUser); err != nil {
		t.Fatal(err)
	}
	var info engine.ContainerInfo
	info.Version = 1
	if err := ctx.GetContainerInfo(0, 0, &info); err != nil {
		t.Fatal(err)
	}
	pub, _, err := spec.ParseRSAPublicKeyBlob(info.KeyExPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	h.Free(info.KeyExPublicKey)
	ca, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "u"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, ca)
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.CreateFile("mscp", "kxc00", 0, spec.EveryoneReadUserWriteAc); err != nil {
		t.Fatal(err)
	}
	if err := ctx.WriteFile("mscp", "kxc00", 0, der); err != nil {
		t.Fatal(err)
	}
	cf1, _ := ctx.ReadFile("", "cardcf", 0)
	t.Logf("cardcf %X -> %X", cf0, cf1)
	if err := ctx.CreateFile("mscp", "msroots", 0, spec.EveryoneReadUserWriteAc); err != nil {
		t.Fatal(err)
	}
	if err := ctx.WriteFile("mscp", "msroots", 0, make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	st := ctx.Stats()
	t.Logf("stats %+v", st)
	ctx2, h2 := enginetest.Acquire(t, m, p.Card, true)
	got, err := ctx2.ReadFile("mscp", "kxc00", 0)
	if err != nil || string(got) != string(der) {
		t.Fatalf("cert: %v", err)
	}
	h2.Free(got)
	r, err := ctx2.ReadFile("mscp", "msroots", 0)
	if err != nil || len(r) != 5000 {
		t.Fatalf("msroots: %v %d", err, len(r))
	}
	if _, err := ctx2.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("x"))
	si := &engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d[:]}
	if err := ctx2.SignData(si); err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, len(si.SignedData))
	for i := range sig {
		sig[i] = si.SignedData[len(sig)-1-i]
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
		t.Fatal(err)
	}
}
