package csp_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/vcard"
)

// Both minidriver shapes are Minidrivers.
var (
	_ csp.Minidriver = (*engine.Context)(nil)
	_ csp.Minidriver = mdflow.Context(nil)
)

// ctxT is one context on a test card, with its host; closing it deletes the context and checks
// that every buffer the engine allocated was freed.
type ctxT struct {
	ctx *engine.Context
	h   *refhost.Host
	s   *csp.Session
}

func open(t testing.TB, m *engine.Module, card apdu.Transport) *ctxT {
	t.Helper()
	ctx, h := enginetest.Acquire(t, m, card, true)
	c := &ctxT{ctx: ctx, h: h, s: csp.New(ctx, h.Free)}
	t.Cleanup(func() { c.close(t) })
	return c
}

func (c *ctxT) close(t testing.TB) {
	t.Helper()
	if c.ctx == nil {
		return
	}
	if err := c.ctx.DeleteContext(); err != nil {
		t.Errorf("DeleteContext: %v", err)
	}
	c.ctx = nil
	if n := c.h.Live(); n != 0 {
		t.Errorf("%d buffers from the engine were not freed", n)
	}
}

func (c *ctxT) login(t testing.TB) {
	t.Helper()
	if _, err := c.ctx.AuthenticatePin(spec.CardUserUser, bytes.Clone(enginetest.PIN)); err != nil {
		t.Fatal(err)
	}
}

// testCA is a throwaway certification authority.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "csp test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

// issue checks the request's signature (made by the card) and issues a certificate for it.
func (ca *testCA) issue(csrDER []byte) ([]byte, error) {
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the request's signature: %w", err)
	}
	sn, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{SerialNumber: sn, Subject: csr.Subject, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	return x509.CreateCertificate(rand.Reader, tmpl, ca.cert, csr.PublicKey, ca.key)
}

func readCardcf(t testing.TB, s *csp.Session) spec.CacheFile {
	t.Helper()
	b, err := s.ReadFile("", spec.FileCache)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := spec.ParseCacheFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// verify checks a crypto.Signer signature with pub.
func verify(t testing.TB, pub crypto.PublicKey, digest, sig []byte, opts crypto.SignerOpts) {
	t.Helper()
	var err error
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			err = rsa.VerifyPSS(k, opts.HashFunc(), digest, sig, pss)
		} else {
			err = rsa.VerifyPKCS1v15(k, opts.HashFunc(), digest, sig)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			err = fmt.Errorf("ECDSA signature does not verify")
		}
	}
	if err != nil {
		t.Errorf("%T %v: %v", opts, opts.HashFunc(), err)
	}
}

func TestEnroll(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	ca := newCA(t)
	type enrolled struct {
		idx  byte
		name string
		ks   spec.KeySpec
		bits int
		der  []byte
	}
	var done []enrolled
	c := open(t, m, p.Card)
	cf0 := readCardcf(t, c.s)
	c.login(t)
	for _, tc := range []struct {
		ks   spec.KeySpec
		bits uint32
		name string
	}{
		{spec.ATKeyExchange, 2048, "{8E1D0A52-1B55-4C3E-9D63-6F0C5A4E7B21}"},
		{spec.ATECDSAP256, 0, ""},
	} {
		idx, cert, err := c.s.Enroll(csp.KeyOptions{KeySpec: tc.ks, Bits: tc.bits, Name: tc.name},
			pkix.Name{CommonName: "user " + tc.ks.String(), Organization: []string{"cardmod"}}, ca.issue)
		if err != nil {
			t.Fatalf("%v: %v", tc.ks, err)
		}
		if int(idx) != len(done) {
			t.Errorf("%v: container %d, want %d", tc.ks, idx, len(done))
		}
		if err := cert.CheckSignatureFrom(ca.cert); err != nil {
			t.Error(err)
		}
		done = append(done, enrolled{idx, tc.name, tc.ks, csp.KeyBits(cert.PublicKey), cert.Raw})
	}
	// Each enrollment bumped the containers counter once (CreateKey) and the files counter once
	// (WriteCertificate); cardcf reads back as the CSP wrote it.
	want := cf0
	for range done {
		want.BumpContainers()
		want.BumpFiles()
	}
	if cf1 := readCardcf(t, c.s); !bytes.Equal(cf1.MarshalBinary(), want.MarshalBinary()) {
		t.Errorf("cardcf %+v -> %+v, want %+v", cf0, cf1, want)
	}
	c.close(t)

	// A fresh context sees what the CSP wrote.
	c = open(t, m, p.Card)
	recs, err := c.s.ReadContainerMap()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(done) {
		t.Fatalf("cmapfile has %d records", len(recs))
	}
	files, err := c.s.ListFiles(spec.DirBaseCSP)
	if err != nil {
		t.Fatal(err)
	}
	c.login(t)
	for _, e := range done {
		r := recs[e.idx]
		if !r.Valid() || r.Default() != (e.idx == 0) {
			t.Errorf("container %d: flags %02X", e.idx, r.Flags)
		}
		if e.name != "" && r.Name() != e.name {
			t.Errorf("container %d: name %q, want %q", e.idx, r.Name(), e.name)
		}
		if e.name == "" && (len(r.Name()) != 38 || r.Name()[0] != '{') {
			t.Errorf("container %d: generated name %q", e.idx, r.Name())
		}
		sigBits, kxBits := int(r.SigKeySizeBits), int(r.KeyExchangeKeySizeBits)
		if e.ks.IsECDSA() && (sigBits != e.bits || kxBits != 0) || e.ks == spec.ATKeyExchange && (kxBits != e.bits || sigBits != 0) {
			t.Errorf("container %d: key sizes sig %d kx %d", e.idx, sigBits, kxBits)
		}
		name := csp.CertFile(e.ks, e.idx)
		if !slices.Contains(files, name) {
			t.Errorf("mscp lists %v, not %s", files, name)
		}
		got, err := c.s.ReadFile(spec.DirBaseCSP, name)
		if err != nil || !bytes.Equal(got, e.der) {
			t.Errorf("%s reads back differently: %v", name, err)
		}
		cert, _ := x509.ParseCertificate(e.der)
		signer, err := c.s.Signer(e.idx)
		if err != nil {
			t.Fatal(err)
		}
		if !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(signer.Public()) {
			t.Errorf("container %d: the certificate is not for the container's key", e.idx)
		}
		d := sha256.Sum256([]byte("signed through the card"))
		sig, err := signer.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, cert.PublicKey, d[:], sig, crypto.SHA256)
	}
}

func TestSignerOptions(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	c := open(t, m, p.Card)
	c.login(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ri, _, err := c.s.CreateKey(csp.KeyOptions{KeySpec: spec.ATSignature, Import: spec.MarshalRSAPrivateKeyBlob(rsaKey, spec.CALGRSASign)})
	if err != nil {
		t.Fatal(err)
	}
	ei, _, err := c.s.CreateKey(csp.KeyOptions{KeySpec: spec.ATECDSAP384, Import: spec.MarshalECCPrivateKeyBlob(ecKey, spec.ECCPrivateMagic(spec.ATECDSAP384))})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.s.Signer(ri)
	if err != nil {
		t.Fatal(err)
	}
	es, err := c.s.Signer(ei)
	if err != nil {
		t.Fatal(err)
	}
	if rs.KeySpec() != spec.ATSignature || es.KeySpec() != spec.ATECDSAP384 {
		t.Errorf("key specs %v %v", rs.KeySpec(), es.KeySpec())
	}
	msg := []byte("options")
	for _, opts := range []crypto.SignerOpts{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512,
		&rsa.PSSOptions{Hash: crypto.SHA256}, &rsa.PSSOptions{Hash: crypto.SHA384, SaltLength: rsa.PSSSaltLengthEqualsHash},
		&rsa.PSSOptions{Hash: crypto.SHA512, SaltLength: 20}} {
		h := opts.HashFunc().New()
		h.Write(msg)
		d := h.Sum(nil)
		sig, err := rs.Sign(rand.Reader, d, opts)
		if err != nil {
			t.Fatalf("%v: %v", opts, err)
		}
		verify(t, &rsaKey.PublicKey, d, sig, opts)
	}
	d := sha512.Sum384(msg)
	sig, err := es.Sign(rand.Reader, d[:], crypto.SHA384)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, &ecKey.PublicKey, d[:], sig, crypto.SHA384)
	if _, err := es.Sign(rand.Reader, d[:], &rsa.PSSOptions{Hash: crypto.SHA384}); err == nil {
		t.Error("PSS with an ECDSA key")
	}
	if _, err := rs.Sign(rand.Reader, d[:32], crypto.SHA384); err == nil {
		t.Error("a digest of the wrong size")
	}
	// crypto.Signer for x509: a self-signed certificate through the card.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "self"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	for _, s := range []crypto.Signer{rs, es} {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s)
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(der)
		if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
			t.Errorf("self-signed through the card: %v", err)
		}
	}
}

func TestImport(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	c := open(t, m, p.Card)
	c.login(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keys := []struct {
		opts csp.KeyOptions
		priv crypto.Signer
	}{
		{csp.KeyOptions{KeySpec: spec.ATKeyExchange, Import: spec.MarshalRSAPrivateKeyBlob(rsaKey, spec.CALGRSAKeyX), Name: "imported-rsa"}, rsaKey},
		{csp.KeyOptions{KeySpec: spec.ATECDSAP256, Import: spec.MarshalECCPrivateKeyBlob(ecKey, spec.ECCPrivateMagic(spec.ATECDSAP256)),
			Name: "imported-ec", Default: true}, ecKey},
	}
	for i, k := range keys {
		idx, pub, err := c.s.CreateKey(k.opts)
		if err != nil {
			t.Fatal(err)
		}
		if int(idx) != i || !k.priv.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Errorf("import %d: container %d, key %T", i, idx, pub)
		}
	}
	c.close(t)
	c = open(t, m, p.Card)
	recs, err := c.s.ReadContainerMap()
	if err != nil {
		t.Fatal(err)
	}
	// The second asked to be the default: the first lost the flag.
	if len(recs) != 2 || recs[0].Default() || !recs[1].Default() || recs[0].Name() != "imported-rsa" || recs[1].Name() != "imported-ec" {
		t.Errorf("cmapfile %+v", recs)
	}
	c.login(t)
	for i, k := range keys {
		s, err := c.s.Signer(byte(i))
		if err != nil {
			t.Fatal(err)
		}
		d := sha256.Sum256([]byte("imported"))
		sig, err := s.Sign(nil, d[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		verify(t, k.priv.Public(), d[:], sig, crypto.SHA256)
	}
}

func TestDeleteKey(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	ca := newCA(t)
	c := open(t, m, p.Card)
	c.login(t)
	opts := csp.KeyOptions{KeySpec: spec.ATECDSAP256}
	for range 2 {
		if _, _, err := c.s.Enroll(opts, pkix.Name{CommonName: "to delete"}, ca.issue); err != nil {
			t.Fatal(err)
		}
	}
	cf0 := readCardcf(t, c.s)
	if err := c.s.DeleteKey(0); err != nil {
		t.Fatal(err)
	}
	want := cf0
	want.BumpContainers()
	if cf := readCardcf(t, c.s); !bytes.Equal(cf.MarshalBinary(), want.MarshalBinary()) {
		t.Errorf("cardcf %+v -> %+v, want %+v", cf0, cf, want)
	}
	if err := c.s.DeleteKey(0); spec.StatusOf(err) != spec.SCardENoKeyContainer {
		t.Errorf("deleting twice: %v", err)
	}
	c.close(t)

	c = open(t, m, p.Card)
	recs, err := c.s.ReadContainerMap()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0] != (spec.ContainerMapRecord{}) || !recs[1].Valid() {
		t.Errorf("cmapfile after the deletion: %+v", recs)
	}
	if _, err := c.s.ReadFile(spec.DirBaseCSP, "ksc00"); spec.StatusOf(err) != spec.SCardEFileNotFound {
		t.Errorf("ksc00 after the deletion: %v", err)
	}
	if _, _, err := c.s.ContainerKey(0); spec.StatusOf(err) != spec.SCardENoKeyContainer {
		t.Errorf("container 0 after the deletion: %v", err)
	}
	if _, err := c.s.ReadFile(spec.DirBaseCSP, "ksc01"); err != nil {
		t.Errorf("ksc01: %v", err)
	}
	// The zeroed record is the first free index again.
	c.login(t)
	idx, _, err := c.s.CreateKey(opts)
	if err != nil || idx != 0 {
		t.Errorf("CreateKey after the deletion: container %d, %v", idx, err)
	}
}

func TestWriteCertificate(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	ca := newCA(t)
	c := open(t, m, p.Card)
	c.login(t)
	idx, pub, err := c.s.CreateKey(csp.KeyOptions{KeySpec: spec.ATECDHEP256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.s.CSR(idx, pkix.Name{CommonName: "x"}); err == nil || !strings.Contains(err.Error(), "ECDH") {
		t.Errorf("CSR with an ECDH key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "ecdh"}, NotBefore: time.Now(),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageKeyAgreement}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	// Not the container's key.
	if err := c.s.WriteCertificate(idx, ca.cert.Raw, false); err == nil || !strings.Contains(err.Error(), csp.ErrKeyMismatch.Error()) {
		t.Errorf("a certificate for another key: %v", err)
	}
	// Compressed, then again (the file exists: it is replaced).
	for _, compress := range []bool{true, false} {
		cf0 := readCardcf(t, c.s)
		if err := c.s.WriteCertificate(idx, der, compress); err != nil {
			t.Fatalf("compress %v: %v", compress, err)
		}
		// cardcf reads back as the CSP wrote it: its own bump, the files counter.
		want := cf0
		want.BumpFiles()
		if cf := readCardcf(t, c.s); !bytes.Equal(cf.MarshalBinary(), want.MarshalBinary()) {
			t.Errorf("compress %v: cardcf %+v -> %+v, want %+v", compress, cf0, cf, want)
		}
		got, err := c.s.ReadFile(spec.DirBaseCSP, "kxc00")
		if err != nil || !bytes.Equal(got, der) {
			t.Errorf("compress %v: kxc00 reads back %d bytes (%v)", compress, len(got), err)
		}
	}
	c.close(t)
	c = open(t, m, p.Card)
	if got, err := c.s.ReadFile(spec.DirBaseCSP, "kxc00"); err != nil || !bytes.Equal(got, der) {
		t.Errorf("fresh context: kxc00: %v", err)
	}
}

func TestFiles(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	c := open(t, m, p.Card)
	c.login(t)
	big := bytes.Repeat([]byte("0123456789"), 500)
	cf0 := readCardcf(t, c.s)
	if err := c.s.PutFile(spec.DirBaseCSP, "msroots", []byte("roots v1"), spec.EveryoneReadUserWriteAc); err != nil {
		t.Fatal(err)
	}
	if err := c.s.PutFile(spec.DirBaseCSP, "msroots", big, spec.EveryoneReadUserWriteAc); err != nil {
		t.Fatal(err)
	}
	if err := c.s.PutFile("myapp", "config", []byte("a=1"), spec.UserReadWriteAc); err != nil {
		t.Fatal(err)
	}
	want := cf0
	for range 3 {
		want.BumpFiles()
	}
	if cf := readCardcf(t, c.s); !bytes.Equal(cf.MarshalBinary(), want.MarshalBinary()) {
		t.Errorf("cardcf %+v -> %+v, want %+v", cf0, cf, want)
	}
	c.close(t)

	c = open(t, m, p.Card)
	if got, err := c.s.ReadFile(spec.DirBaseCSP, "msroots"); err != nil || !bytes.Equal(got, big) {
		t.Errorf("msroots: %d bytes, %v", len(got), err)
	}
	names, err := c.s.ListFiles("myapp")
	if err != nil || !slices.Equal(names, []string{"config"}) {
		t.Errorf("myapp: %v %v", names, err)
	}
	if _, err := c.s.ReadFile("myapp", "config"); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Errorf("a user-only file without the PIN: %v", err)
	}
	c.login(t)
	if got, err := c.s.ReadFile("myapp", "config"); err != nil || string(got) != "a=1" {
		t.Errorf("myapp/config: %q %v", got, err)
	}
	for _, f := range [][2]string{{spec.DirBaseCSP, "msroots"}, {"myapp", "config"}} {
		if err := c.s.RemoveFile(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.s.RemoveFile("myapp", "config"); spec.StatusOf(err) != spec.SCardEFileNotFound {
		t.Errorf("removing twice: %v", err)
	}
	c.close(t)
	c = open(t, m, p.Card)
	if _, err := c.s.ReadFile(spec.DirBaseCSP, "msroots"); spec.StatusOf(err) != spec.SCardEFileNotFound {
		t.Errorf("msroots after the removal: %v", err)
	}
	free, err := c.ctx.QueryFreeSpace(0)
	if err != nil || free.BytesAvailable == 0 {
		t.Errorf("free space %+v %v", free, err)
	}
}

// TestMgmPolicyRefuse: with the refuse policy, writes on a card with the default management key
// need the admin role, which AuthenticateAdmin gives.
func TestMgmPolicyRefuse(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModuleWith(engine.Options{MgmKeyPolicy: engine.MgmKeyRefuse})
	c := open(t, m, p.Card)
	c.login(t)
	_, _, err := c.s.CreateKey(csp.KeyOptions{KeySpec: spec.ATECDSAP256})
	if spec.StatusOf(err) != spec.SCardWSecurityViolation || !strings.Contains(err.Error(), "management key") {
		t.Fatalf("CreateKey without the management key: %v", err)
	}
	if err := c.s.AuthenticateAdmin(bytes.Repeat([]byte{9}, 24)); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("a wrong management key: %v", err)
	}
	if err := c.s.AuthenticateAdmin(vcard.DefaultMgmKey); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.s.CreateKey(csp.KeyOptions{KeySpec: spec.ATECDSAP256}); err != nil {
		t.Fatalf("CreateKey as admin: %v", err)
	}
}

func TestChallengeResponse(t *testing.T) {
	for _, tc := range []struct {
		key, ch int
		ok      bool
	}{{24, 8, true}, {16, 8, true}, {8, 8, false}, {16, 16, true}, {24, 16, true}, {32, 16, true}, {20, 16, false}, {24, 4, false}} {
		r, err := csp.ChallengeResponse(make([]byte, tc.key), make([]byte, tc.ch))
		if (err == nil) != tc.ok || tc.ok && len(r) != tc.ch {
			t.Errorf("key %d challenge %d: %x %v", tc.key, tc.ch, r, err)
		}
	}
}

// TestMdflowContext runs an enrollment through the flow suite's engine adapter, whose buffers
// are Go memory (no Free).
func TestMdflowContext(t *testing.T) {
	p := enginetest.Provision(t, nil)
	md := mdflow.Engine(p.Card)
	ctx, err := md.Acquire(mdflow.AcquireParams{Version: 7, ATR: vcard.ATR(), CardName: "cardmod virtual PIV"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if n := ctx.LiveAllocations(); n != 0 {
			t.Errorf("%d live allocations", n)
		}
		_ = ctx.Delete()
	}()
	if _, err := ctx.AuthenticatePin(spec.CardUserUser, bytes.Clone(enginetest.PIN)); err != nil {
		t.Fatal(err)
	}
	s := csp.New(ctx, nil)
	idx, cert, err := s.Enroll(csp.KeyOptions{KeySpec: spec.ATECDSAP256, Name: "through mdflow"}, pkix.Name{CommonName: "mdflow"}, newCA(t).issue)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadFile(spec.DirBaseCSP, csp.CertFile(spec.ATECDSAP256, idx))
	if err != nil || !bytes.Equal(got, cert.Raw) {
		t.Errorf("certificate: %v", err)
	}
}

// TestBeforeSign: a key guarded by PIN 3 needs the PIN before every signature; the hook
// presents it.
func TestBeforeSign(t *testing.T) {
	p := enginetest.Provision(t, nil)
	m := engine.NewModule()
	c := open(t, m, p.Card)
	c.login(t)
	idx, _, err := c.s.CreateKey(csp.KeyOptions{KeySpec: spec.ATECDSAP256, PIN: 3})
	if err != nil {
		t.Fatal(err)
	}
	if pin, err := c.s.ContainerPIN(idx); err != nil || pin != 3 {
		t.Fatalf("PIN of the container: %d %v", pin, err)
	}
	if _, err := c.s.CSR(idx, pkix.Name{CommonName: "no PIN 3"}); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Errorf("signing without PIN 3: %v", err)
	}
	calls := 0
	c.s.BeforeSign = func(i byte) error {
		calls++
		_, _, err := c.ctx.AuthenticateEx(3, 0, bytes.Clone(enginetest.PIN), false)
		return err
	}
	ca := newCA(t)
	csr, err := c.s.CSR(idx, pkix.Name{CommonName: "PIN 3"})
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.issue(csr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.s.WriteCertificate(idx, der, false); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("BeforeSign ran %d times", calls)
	}
}
