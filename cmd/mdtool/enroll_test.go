package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/vcard"
)

// writePEM writes one PEM block to a new file of dir and returns its path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testCA makes a throwaway CA and writes its certificate and key (PKCS#8) as PEM files.
func testCA(t *testing.T, dir string) (cert *x509.Certificate, key *ecdsa.PrivateKey, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mdtool test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, writePEM(t, dir, "ca.pem", "CERTIFICATE", der), writePEM(t, dir, "ca.key", "PRIVATE KEY", p8)
}

// containerByIndex finds a container in mdtool containers --json.
func containerByIndex(t *testing.T, card string, idx int) (containerJSON, bool) {
	t.Helper()
	for _, c := range containersOf(t, card) {
		if c.Index == idx {
			return c, true
		}
	}
	return containerJSON{}, false
}

// signVerify signs with a container through mdtool sign and verifies the result with pub.
func signVerify(t *testing.T, card string, idx int, pub crypto.PublicKey) {
	t.Helper()
	in := filepath.Join(t.TempDir(), "data")
	data := []byte("signed by an enrolled key")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var r signResult
	mustJSON(t, &r, "--state", card, "sign", "--container", fmt.Sprint(idx), "--pin", testPIN, "--in", in)
	sig, _ := hex.DecodeString(r.Signature)
	d := sha256.Sum256(data)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig); err != nil {
			t.Errorf("container %d: %v", idx, err)
		}
	case *ecdsa.PublicKey:
		n := len(sig) / 2
		if !ecdsa.Verify(k, d[:], new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
			t.Errorf("container %d: the ECDSA signature does not verify", idx)
		}
	}
}

func TestKeygen(t *testing.T) {
	card := newCard(t)
	// The template card has the four provisioned containers, 0 to 3.
	var r keygenResult
	mustJSON(t, &r, "--state", card, "keygen", "--type", "p256", "--pin", testPIN)
	if r.Container != 4 || r.KeySpec != "AT_ECDSA_P256" || r.Algorithm != "ECC P-256" || r.PINID != 1 || r.Default ||
		r.Slot != "82" || len(r.Name) != 38 || r.CertFile != "mscp/ksc04" || r.Imported {
		t.Errorf("keygen: %+v", r)
	}
	c, ok := containerByIndex(t, card, 4)
	if !ok || c.Name != r.Name || c.PublicKeyPEM != r.PublicKeyPEM || c.Slot != "82" || c.Certificate != nil || c.SigKeyBits != 256 {
		t.Fatalf("containers: %+v", c)
	}
	signVerify(t, card, 4, publicKey(t, c))

	// RSA AT_SIGNATURE, named, the default container; text output.
	out := must(t, "--state", card, "keygen", "--type", "rsa2048", "--keyspec", "sig", "--name", "my signing key", "--default", "--pin", testPIN)
	if !strings.HasPrefix(out, `container 5 "my signing key" (default container): AT_SIGNATURE RSA-2048 generated on the card, PIN 1, PIV slot 83`) ||
		!strings.Contains(out, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("keygen:\n%s", out)
	}
	cs := containersOf(t, card)
	for _, c := range cs {
		if c.Default != (c.Index == 5) {
			t.Errorf("container %d: default %v", c.Index, c.Default)
		}
	}
	c5, _ := containerByIndex(t, card, 5)
	signVerify(t, card, 5, publicKey(t, c5))

	// PIN 3: mdtool sign presents PIN 3 itself.
	mustJSON(t, &r, "--state", card, "keygen", "--type", "p384", "--pin-id", "3", "--pin", testPIN)
	c6, _ := containerByIndex(t, card, 6)
	if r.Container != 6 || c6.PINID != 3 || c6.KeySpec != "AT_ECDSA_P384" {
		t.Errorf("PIN 3 key: %+v / %+v", r, c6)
	}
	signVerify(t, card, 6, publicKey(t, c6))

	// Import a PEM key.
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	p8, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := writePEM(t, t.TempDir(), "key.pem", "PRIVATE KEY", p8)
	mustJSON(t, &r, "--state", card, "keygen", "--import", keyFile, "--pin", testPIN)
	c7, _ := containerByIndex(t, card, 7)
	if !r.Imported || r.Algorithm != "RSA-2048" || !key.PublicKey.Equal(publicKey(t, c7)) {
		t.Errorf("import: %+v", r)
	}
	signVerify(t, card, 7, &key.PublicKey)
	if _, errOut, err := mdtool(t, "--state", card, "keygen", "--import", keyFile, "--type", "p256", "--pin", testPIN); exitCode(err) != 2 ||
		!strings.Contains(errOut, "the key of --import is rsa2048") {
		t.Errorf("--import with another --type: %v %s", err, errOut)
	}
}

func TestEnroll(t *testing.T) {
	card := newCard(t)
	dir := t.TempDir()
	caCert, caKey, caFile, caKeyFile := testCA(t, dir)

	// Issued by the CA, the certificate to --out.
	out := filepath.Join(dir, "user.pem")
	var r enrollResult
	mustJSON(t, &r, "--state", card, "enroll", "--type", "p256", "--subject", "CN=Alice Example,OU=IT,O=Example Corp,C=US",
		"--ca-cert", caFile, "--ca-key", caKeyFile, "--out", out, "--pin", testPIN)
	if r.Mode != "ca" || r.Container != 4 || r.Certificate == nil || !r.Certificate.KeyMatches ||
		r.Certificate.Subject != "CN=Alice Example,OU=IT,O=Example Corp,C=US" || r.Certificate.Issuer != "CN=mdtool test CA" {
		t.Fatalf("enroll: %+v", r)
	}
	cert, err := readCertificate(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(caCert); err != nil {
		t.Error(err)
	}
	if onCard := must(t, "--state", card, "files", "cat", r.CertFile); onCard != string(cert.Raw) {
		t.Errorf("%s is not the certificate of --out", r.CertFile)
	}
	c, _ := containerByIndex(t, card, 4)
	if c.Certificate == nil || !c.Certificate.KeyMatches || c.Certificate.Issuer != "CN=mdtool test CA" {
		t.Errorf("containers: %+v", c)
	}
	signVerify(t, card, 4, cert.PublicKey)

	// A key guarded by PIN 3, RSA, issued by the CA, compressed on the card; the certificate PEM
	// goes to stdout.
	stdout := must(t, "--state", card, "enroll", "--type", "rsa2048", "--pin-id", "3", "--subject", "/C=US/O=Example/CN=Bob",
		"--ca-cert", caFile, "--ca-key", caKeyFile, "--compress", "--pin", testPIN)
	if !strings.Contains(stdout, "certificate CN=Bob,O=Example,C=US, issued by CN=mdtool test CA, written to mscp/kxc05") ||
		!strings.Contains(stdout, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("enroll:\n%s", stdout)
	}
	c5, _ := containerByIndex(t, card, 5)
	if c5.PINID != 3 || c5.Certificate == nil || !c5.Certificate.KeyMatches {
		t.Errorf("container 5: %+v", c5)
	}

	// Self-signed through the card.
	r = enrollResult{}
	mustJSON(t, &r, "--state", card, "enroll", "--type", "rsa2048", "--subject", "CN=self", "--self-signed", "--days", "30",
		"--pin", testPIN)
	self, err := x509.ParseCertificate([]byte(must(t, "--state", card, "files", "cat", r.CertFile)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Mode != "self-signed" || self.Subject.String() != "CN=self" ||
		self.CheckSignature(self.SignatureAlgorithm, self.RawTBSCertificate, self.Signature) != nil ||
		self.NotAfter.Sub(self.NotBefore) > 31*24*time.Hour {
		t.Errorf("self-signed: %+v", r)
	}

	// An external CA: the request now, the certificate later.
	csrFile := filepath.Join(dir, "req.pem")
	r = enrollResult{}
	mustJSON(t, &r, "--state", card, "enroll", "--type", "p384", "--subject", "CN=later", "--csr-out", csrFile, "--pin", testPIN)
	if r.Mode != "csr" || r.Certificate != nil {
		t.Errorf("csr: %+v", r)
	}
	raw, _ := os.ReadFile(csrFile)
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("request file %q", raw)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil || csr.CheckSignature() != nil || csr.Subject.CommonName != "later" {
		t.Fatalf("request: %v", err)
	}
	idx := r.Container
	if c, _ := containerByIndex(t, card, idx); c.Certificate != nil || c.PublicKeyPEM != r.PublicKeyPEM {
		t.Errorf("container %d before import-cert: %+v", idx, c)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: csr.Subject, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, csr.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	derFile := filepath.Join(dir, "later.der")
	if err := os.WriteFile(derFile, der, 0o600); err != nil {
		t.Fatal(err)
	}
	// The CA certificate is not the container's.
	if _, errOut, err := mdtool(t, "--state", card, "import-cert", "--container", fmt.Sprint(idx), "--in", caFile, "--pin", testPIN); exitCode(err) != 1 ||
		!strings.Contains(errOut, "not the container's") {
		t.Errorf("import of another key's certificate: %v %s", err, errOut)
	}
	var ir struct {
		Container int       `json:"container"`
		CertFile  string    `json:"cert_file"`
		Cert      *certJSON `json:"certificate"`
	}
	mustJSON(t, &ir, "--state", card, "import-cert", "--container", fmt.Sprint(idx), "--in", derFile, "--pin", testPIN)
	if ir.Container != idx || ir.CertFile != fmt.Sprintf("mscp/ksc%02x", idx) || ir.Cert.Subject != "CN=later" {
		t.Errorf("import-cert: %+v", ir)
	}
	if c, _ := containerByIndex(t, card, idx); c.Certificate == nil || !c.Certificate.KeyMatches || c.Certificate.Subject != "CN=later" {
		t.Errorf("container %d after import-cert: %+v", idx, c)
	}

	// Usage errors.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"enroll", "--self-signed"}, "--subject"},
		{[]string{"enroll", "--subject", "CN=x"}, "one of --ca-cert"},
		{[]string{"enroll", "--subject", "CN=x", "--self-signed", "--csr-out", "f"}, "one of --ca-cert"},
		{[]string{"enroll", "--subject", "CN=x", "--ca-cert", caFile}, "go together"},
		{[]string{"enroll", "--subject", "XX=x", "--self-signed"}, "known attribute"},
		{[]string{"enroll", "--subject", "CN=x", "--self-signed", "--type", "p256", "--keyspec", "ecdh"}, "ECDH"},
		{[]string{"keygen", "--type", "rsa1024"}, "--type rsa1024"},
		{[]string{"keygen", "--type", "p256", "--keyspec", "sig"}, "ecdsa or ecdh"},
		{[]string{"keygen", "--keyspec", "ecdsa"}, "keyx or sig"},
		{[]string{"keygen", "--pin-id", "2"}, "--pin-id 2"},
		{[]string{"import-cert", "--in", derFile}, "--container N is required"},
		{[]string{"import-cert", "--container", "4"}, "--in FILE is required"},
		{[]string{"rm"}, "--container N is required"},
		{[]string{"files", "put", "x"}, "--in FILE is required"},
		{[]string{"files", "put", "x", "--in", derFile, "--ac", "bogus"}, "--ac"},
		{[]string{"--mgm-policy", "sometimes", "keygen", "--pin", testPIN}, "--mgm-policy"},
		{[]string{"--admin-key", "zz", "keygen", "--pin", testPIN}, "--admin-key"},
	} {
		_, errOut, err := mdtool(t, append([]string{"--state", card}, tc.args...)...)
		if exitCode(err) != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d (%v), stderr %q; want 2 and %q", tc.args, exitCode(err), err, errOut, tc.want)
		}
	}
}

func TestRm(t *testing.T) {
	card := newCard(t)
	var r keygenResult
	mustJSON(t, &r, "--state", card, "keygen", "--type", "p256", "--pin", testPIN)
	var rm struct {
		Container int  `json:"container"`
		Deleted   bool `json:"deleted"`
	}
	mustJSON(t, &rm, "--state", card, "rm", "--container", fmt.Sprint(r.Container), "--pin", testPIN)
	if !rm.Deleted || rm.Container != r.Container {
		t.Errorf("rm: %+v", rm)
	}
	if _, ok := containerByIndex(t, card, r.Container); ok {
		t.Errorf("container %d is still listed", r.Container)
	}
	// A provisioned container, with its certificate.
	out := must(t, "--state", card, "rm", "--container", "2", "--pin", testPIN)
	if !strings.Contains(out, "container 2 deleted") {
		t.Errorf("rm: %s", out)
	}
	if _, _, err := mdtool(t, "--state", card, "files", "cat", "mscp/kxc02"); spec.StatusOf(err) != spec.SCardEFileNotFound {
		t.Errorf("kxc02 after rm: %v", err)
	}
	_, errOut, err := mdtool(t, "--state", card, "rm", "--container", "2", "--pin", testPIN)
	if spec.StatusOf(err) != spec.SCardENoKeyContainer || exitCode(err) != 1 || !strings.Contains(errOut, "SCARD_E_NO_KEY_CONTAINER") {
		t.Errorf("rm twice: %v %s", err, errOut)
	}
	if _, _, err := mdtool(t, "--state", card, "rm", "--container", "0", "--pin", "00000000"); exitCode(err) != 3 {
		t.Errorf("rm with a wrong PIN: %v", err)
	}
	if len(containersOf(t, card)) != 3 {
		t.Errorf("containers after the rm: %+v", containersOf(t, card))
	}
}

func TestFilesPutRm(t *testing.T) {
	card := newCard(t)
	dir := t.TempDir()
	roots := bytes.Repeat([]byte("root certificates "), 300)
	in := filepath.Join(dir, "roots")
	if err := os.WriteFile(in, roots, 0o600); err != nil {
		t.Fatal(err)
	}
	var put struct {
		Path   string `json:"path"`
		Size   int    `json:"size"`
		Access string `json:"access"`
	}
	mustJSON(t, &put, "--state", card, "files", "put", "mscp/msroots", "--in", in, "--pin", testPIN)
	if put.Path != "mscp/msroots" || put.Size != len(roots) || put.Access != "EveryoneReadUserWriteAc" {
		t.Errorf("files put: %+v", put)
	}
	if got := must(t, "--state", card, "files", "cat", "mscp/msroots"); got != string(roots) {
		t.Errorf("files cat: %d bytes", len(got))
	}
	// A new directory, a user-only file, the content on stdin.
	if _, errOut, err := mdtoolIO(t, "a=1\n", map[string]string{envPIN: testPIN}, "--state", card, "files", "put", "myapp/config",
		"--in", "-", "--ac", "UserReadWrite"); err != nil {
		t.Fatalf("files put from stdin: %v %s", err, errOut)
	}
	var ls struct {
		Files []fileJSON `json:"files"`
	}
	mustJSON(t, &ls, "--state", card, "files", "ls", "myapp")
	// CardGetFileInfo of a user-only file needs the PIN too: files ls says so.
	if len(ls.Files) != 1 || ls.Files[0].Name != "config" || !strings.Contains(ls.Files[0].Access, "after the PIN") {
		t.Errorf("files ls myapp: %+v", ls)
	}
	if _, _, err := mdtool(t, "--state", card, "files", "cat", "myapp/config"); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Errorf("a user-only file without the PIN: %v", err)
	}
	out := must(t, "--state", card, "files", "rm", "mscp/msroots", "--pin", testPIN)
	if !strings.Contains(out, "mscp/msroots deleted") {
		t.Errorf("files rm: %s", out)
	}
	if _, _, err := mdtool(t, "--state", card, "files", "cat", "mscp/msroots"); spec.StatusOf(err) != spec.SCardEFileNotFound {
		t.Errorf("msroots after files rm: %v", err)
	}
	if _, _, err := mdtool(t, "--state", card, "files", "rm", "mscp/msroots", "--pin", testPIN); spec.StatusOf(err) != spec.SCardEFileNotFound || exitCode(err) != 1 {
		t.Errorf("files rm twice: %v", err)
	}
	if _, _, err := mdtool(t, "--state", card, "files", "put", "cardid", "--in", in, "--pin", testPIN); err == nil {
		t.Error("cardid was overwritten")
	}
}

// hexKey is the PIV default management key in hex.
var hexKey = hex.EncodeToString(vcard.DefaultMgmKey)

func TestMgmKeyPolicy(t *testing.T) {
	card := newCard(t)
	// refuse on a card with the default management key: the clear error, exit status 3.
	_, errOut, err := mdtool(t, "--state", card, "--mgm-policy", "refuse", "keygen", "--type", "p256", "--pin", testPIN)
	if spec.StatusOf(err) != spec.SCardWSecurityViolation || exitCode(err) != 3 || !strings.Contains(errOut, "--admin-key HEX") ||
		!strings.Contains(errOut, "ykman piv access change-management-key") {
		t.Errorf("refuse: exit %d (%v)\n%s", exitCode(err), err, errOut)
	}
	out, _, err := mdtool(t, "--state", card, "--mgm-policy", "refuse", "--json", "keygen", "--type", "p256", "--pin", testPIN)
	var je jsonError
	if jerr := json.Unmarshal([]byte(out), &je); jerr != nil || err == nil || je.Status != "SCARD_W_SECURITY_VIOLATION" ||
		!strings.Contains(je.Error, "--admin-key") {
		t.Errorf("JSON error %q (%v)", out, jerr)
	}
	if len(containersOf(t, card)) != 4 {
		t.Error("the refused keygen changed the containers")
	}
	// A wrong admin key, then the right one (from the environment).
	if _, _, err := mdtool(t, "--state", card, "--mgm-policy", "refuse", "--admin-key", strings.Repeat("11", 24), "keygen",
		"--type", "p256", "--pin", testPIN); spec.StatusOf(err) != spec.SCardWWrongCHV || exitCode(err) != 3 {
		t.Errorf("a wrong admin key: %v", err)
	}
	var r keygenResult
	if out, errOut, err := mdtoolIO(t, "", map[string]string{envAdminKey: hexKey}, "--state", card, "--mgm-policy", "refuse",
		"--json", "keygen", "--type", "p256", "--pin", testPIN); err != nil || json.Unmarshal([]byte(out), &r) != nil || r.Container != 4 {
		t.Fatalf("keygen with the admin key: %v %s", err, errOut)
	}
	// keep writes with the default key and leaves it; protect (the default) then replaces it
	// by a PIN-protected one, after which refuse writes with the PIN alone.
	must(t, "--state", card, "--mgm-policy", "keep", "keygen", "--type", "p256", "--pin", testPIN)
	must(t, "--state", card, "keygen", "--type", "p256", "--pin", testPIN)
	must(t, "--state", card, "--mgm-policy", "refuse", "keygen", "--type", "p256", "--pin", testPIN)
	if _, _, err := mdtool(t, "--state", card, "--admin-key", hexKey, "keygen", "--type", "p256", "--pin", testPIN); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("the default key after protect: %v", err)
	}
	if n := len(containersOf(t, card)); n != 8 {
		t.Errorf("%d containers, want 8", n)
	}
}

func TestParseSubject(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"CN=Alice", "CN=Alice"},
		{"CN=Alice,O=Example,C=US", "CN=Alice,O=Example,C=US"},
		{"/C=US/O=Example/CN=Alice", "CN=Alice,O=Example,C=US"},
		{`CN=Smith\, John,OU=A,OU=B`, `CN=Smith\, John,OU=A,OU=B`},
		// DC and E are IA5Strings, which pkix.RDNSequence.String writes in hex.
		{"CN = spaced , DC=example,DC=com", "CN=spaced,0.9.2342.19200300.100.1.25=#16076578616d706c65,0.9.2342.19200300.100.1.25=#1603636f6d"},
		{"E=a@example.com,CN=x", "1.2.840.113549.1.9.1=#160d61406578616d706c652e636f6d,CN=x"},
	} {
		n, err := parseSubject(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		rdn := n.ToRDNSequence()
		got := rdn.String()
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "CN", "CN=", "FOO=bar", "CN=x,,O=y"} {
		if _, err := parseSubject(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
