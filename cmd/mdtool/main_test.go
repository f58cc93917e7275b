package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/spec"
)

// The secrets of the test cards. The template card is provisioned with the defaults and then
// given these distinctive values, so that any leak into an output is unmistakable.
const (
	defaultPIN = "123456"
	defaultPUK = "12345678"
	testPIN    = "7Zq!xK2p"
	testPUK    = "Pk9$mW4r"
)

// template is the provisioned state file every test copies (RSA key generation is the slow part
// of provisioning, so it happens once per test binary); creation is what its creation printed.
var template struct {
	path     string
	creation string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mdtool-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		// A state file in directories that do not exist yet: mdtool creates them.
		template.path = filepath.Join(dir, "not", "yet", "there", "card.json")
		var out, errOut bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errOut, func(string) string { return "" })
		for _, args := range [][]string{
			{"--state", template.path, "info"},
			{"--state", template.path, "pin", "change", "--old", defaultPIN, "--new", testPIN},
			{"--state", template.path, "pin", "change", "--pin-id", "4", "--old", defaultPUK, "--new", testPUK},
		} {
			if err := a.run(args); err != nil {
				fmt.Fprintf(os.Stderr, "preparing the template card: %v\n%s", err, errOut.String())
				return 1
			}
		}
		template.creation = errOut.String()
		return m.Run()
	}()
	os.Exit(code)
}

// newCard returns a fresh copy of the template card.
func newCard(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(template.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "card.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// secretPatterns are what must never appear in any output: the PINs and PUKs in clear and as the
// hex of their bytes (as an unredacted trace would show them).
func secretPatterns() []*regexp.Regexp {
	var ps []*regexp.Regexp
	for _, s := range []string{defaultPIN, defaultPUK, testPIN, testPUK} {
		h := hex.EncodeToString([]byte(s))
		ps = append(ps, regexp.MustCompile("(?i)"+h))
	}
	for _, s := range []string{testPIN, testPUK} {
		ps = append(ps, regexp.MustCompile(regexp.QuoteMeta(s)))
	}
	// The default PIN and PUK as text, but not inside a longer hex string or number (serial
	// numbers and hex dumps may contain those digits by chance).
	ps = append(ps, regexp.MustCompile(`(^|[^0-9A-Fa-f])(123456|12345678)($|[^0-9A-Fa-f])`))
	return ps
}

// checkNoSecrets fails when an output holds a PIN or PUK.
func checkNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range secretPatterns() {
		if loc := p.FindStringIndex(s); loc != nil {
			lo, hi := max(0, loc[0]-40), min(len(s), loc[1]+40)
			t.Errorf("%s contains a secret (%s): ...%s...", what, p, s[lo:hi])
		}
	}
}

// mdtool runs the command in-process with the given stdin and environment and checks that no
// secret appears in its output.
func mdtoolIO(t *testing.T, stdin string, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	err := a.run(args)
	checkNoSecrets(t, fmt.Sprintf("stdout of %q", args), out.String())
	checkNoSecrets(t, fmt.Sprintf("stderr of %q", args), errOut.String())
	return out.String(), errOut.String(), err
}

func mdtool(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return mdtoolIO(t, "", nil, args...)
}

// must runs a command that must succeed and returns its stdout.
func must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := mdtool(t, args...)
	if err != nil {
		t.Fatalf("mdtool %q: %v\nstderr: %s", args, err, errOut)
	}
	return out
}

func mustJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := must(t, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("mdtool %q: %v\n%s", args, err, out)
	}
}

func TestTemplateCreation(t *testing.T) {
	if !strings.Contains(template.creation, "created a new virtual PIV card in "+template.path) {
		t.Errorf("no creation note on stderr: %q", template.creation)
	}
	if st, err := os.Stat(filepath.Dir(template.path)); err != nil || !st.IsDir() {
		t.Errorf("state directory not created: %v", err)
	}
	raw, err := os.ReadFile(template.path)
	if err != nil {
		t.Fatal(err)
	}
	checkNoSecrets(t, "the state file", string(raw))
}

func TestDemo(t *testing.T) {
	out, errOut, err := mdtool(t, "--trace", "demo")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"CardAcquireContext", "= the GUID in the card's CHUID", "SCARD_W_SECURITY_VIOLATION",
		"verifies with", "crypto/ecdsa", "SCARD_W_WRONG_CHV (0x8010006B): wrong PIN, 2 tries left", "refilled: 3 of 3",
		"All 26 steps passed", "CardDeriveKey SP800_56A_CONCAT", "without PIN 3: SCARD_W_SECURITY_VIOLATION"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "FAILED") {
		t.Errorf("demo output:\n%s", out)
	}
	// The trace is on stderr and redacted.
	if !strings.Contains(errOut, "# step 9: ") || !strings.Contains(errOut, "bytes redacted]") {
		t.Errorf("trace:\n%.2000s", errOut)
	}
}

func TestDemoJSON(t *testing.T) {
	var r demoReport
	mustJSON(t, &r, "demo", "--extended=false")
	if !r.OK || len(r.Steps) != 26 || r.Extended {
		t.Fatalf("report: ok %v, %d steps, extended %v", r.OK, len(r.Steps), r.Extended)
	}
	sum := 0
	for _, st := range r.Steps {
		if !st.OK || st.Failure != "" {
			t.Errorf("step %d %s: %s", st.N, st.Title, st.Failure)
		}
		if len(st.Card) != st.APDUs {
			t.Errorf("step %d: %d APDUs, %d card commands", st.N, st.APDUs, len(st.Card))
		}
		if st.Minidriver {
			sum += st.APDUs
		}
	}
	if sum != r.Totals.APDUs || r.Totals.Checks < 50 || r.Totals.Calls < 50 {
		t.Errorf("totals %+v (sum of steps %d)", r.Totals, sum)
	}
	if r.Card.CHUIDGUID == "" || r.Card.Serial == 0 {
		t.Errorf("card %+v", r.Card)
	}
}

func TestInfo(t *testing.T) {
	card := newCard(t)
	var ci cardInfo
	mustJSON(t, &ci, "info", "--state", card)
	if ci.Version != 7 || !ci.Known || ci.CardName != "cardmod virtual PIV" || len(ci.CardID) != 32 || ci.Serial == "" ||
		ci.CacheMode != "CP_CACHE_MODE_GLOBAL_CACHE" || ci.ReadOnly || ci.Containers != 4 || len(ci.PINs) != 4 ||
		ci.FreeSpace.MaxKeyContainers != 24 || !ci.Capabilities.KeyGen {
		t.Errorf("info %+v", ci)
	}
	id := must(t, "--state", card, "files", "cat", "cardid", "--hex")
	if strings.TrimSpace(id) != strings.ToLower(ci.CardID) {
		t.Errorf("cardid %s, info %s", id, ci.CardID)
	}
	out := must(t, "info", "--state", card)
	for _, want := range []string{"CARD_DATA version: 7", "cardid (GUID):     " + ci.CardID, "UnblockOnlyPin"} {
		if !strings.Contains(out, want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
}

// containersOf returns the containers of card as mdtool containers --json reports them.
func containersOf(t *testing.T, card string) []containerJSON {
	t.Helper()
	var cs []containerJSON
	mustJSON(t, &cs, "--state", card, "containers")
	return cs
}

func publicKey(t *testing.T, c containerJSON) crypto.PublicKey {
	t.Helper()
	b, _ := pem.Decode([]byte(c.PublicKeyPEM))
	if b == nil {
		t.Fatalf("container %d: no PEM public key", c.Index)
	}
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestContainers(t *testing.T) {
	card := newCard(t)
	cs := containersOf(t, card)
	want := []struct {
		spec, alg, file string
		pin             uint32
	}{
		{"AT_KEYEXCHANGE", "RSA-2048", "mscp/kxc00", 1},
		{"AT_ECDSA_P256", "ECC P-256", "mscp/ksc01", 3},
		{"AT_KEYEXCHANGE", "RSA-2048", "mscp/kxc02", 1},
		{"AT_ECDSA_P384", "ECC P-384", "mscp/ksc03", 1},
	}
	if len(cs) != len(want) {
		t.Fatalf("%d containers", len(cs))
	}
	slots := []string{"9A", "9C", "9D", "9E"}
	for i, c := range cs {
		w := want[i]
		if c.Index != i || c.KeySpec != w.spec || c.Algorithm != w.alg || c.CertFile != w.file || c.PINID != w.pin ||
			c.Default != (i == 0) || c.Certificate == nil || !c.Certificate.KeyMatches ||
			c.Certificate.Subject != "CN=cardmod virtual card "+slots[i] || c.PublicKeySHA256 != fingerprint(publicKey(t, c)) {
			t.Errorf("container %d: %+v", i, c)
		}
	}
	out := must(t, "--state", card, "containers")
	if !strings.Contains(out, `container 1  "PIV-9C-`) || !strings.Contains(out, "CN=cardmod virtual card 9E") ||
		strings.Contains(out, "WARNING") {
		t.Errorf("containers:\n%s", out)
	}
}

func TestFiles(t *testing.T) {
	card := newCard(t)
	out := must(t, "--state", card, "files", "ls")
	for _, want := range []string{"cardid             16  EveryoneReadAdminWriteAc", "cardcf", "cardapps", "mscp/"} {
		if !strings.Contains(out, want) {
			t.Errorf("files ls lacks %q:\n%s", want, out)
		}
	}
	var ls struct {
		Files []fileJSON `json:"files"`
	}
	mustJSON(t, &ls, "--state", card, "files", "ls", "mscp")
	var names []string
	for _, f := range ls.Files {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "cmapfile,kxc00,ksc01,kxc02,ksc03" {
		t.Errorf("mscp: %v", names)
	}
	if id := must(t, "--state", card, "files", "cat", "cardid"); len(id) != 16 {
		t.Errorf("cardid of %d bytes", len(id))
	}
	cf := strings.TrimSpace(must(t, "--state", card, "files", "cat", "cardcf", "--hex"))
	if b, err := hex.DecodeString(cf); err != nil || len(b) != 6 {
		t.Errorf("cardcf --hex: %q", cf)
	}
	der := must(t, "--state", card, "files", "cat", "mscp/kxc00")
	cert, err := x509.ParseCertificate([]byte(der))
	if err != nil {
		t.Fatal(err)
	}
	cs := containersOf(t, card)
	if !cert.PublicKey.(*rsa.PublicKey).Equal(publicKey(t, cs[0])) {
		t.Error("mscp/kxc00 does not hold container 0's key")
	}
	_, _, err = mdtool(t, "--state", card, "files", "cat", "mscp/ksc00")
	if spec.StatusOf(err) != spec.SCardEFileNotFound || exitCode(err) != 1 {
		t.Errorf("cat mscp/ksc00: %v", err)
	}
}

// verifyPIN runs pin verify with pin and returns the error and stderr.
func verifyPIN(t *testing.T, card, pin string) (error, string) {
	t.Helper()
	_, errOut, err := mdtool(t, "--state", card, "pin", "verify", "--pin", pin)
	return err, errOut
}

func TestPINVerify(t *testing.T) {
	card := newCard(t)
	out := must(t, "--state", card, "pin", "verify", "--pin", testPIN)
	if !strings.Contains(out, "PIN 1 verified") || !strings.Contains(out, "PINs 1") || !strings.Contains(out, "logged out again") {
		t.Errorf("pin verify: %s", out)
	}
	for _, left := range []string{"2 tries left", "1 tries left"} {
		err, errOut := verifyPIN(t, card, "00000000")
		if exitCode(err) != 3 || spec.StatusOf(err) != spec.SCardWWrongCHV ||
			!strings.Contains(errOut, "SCARD_W_WRONG_CHV (0x8010006B): wrong PIN, "+left) {
			t.Errorf("wrong PIN: %v (exit %d), stderr %q; want %q", err, exitCode(err), errOut, left)
		}
	}
	// The right PIN refills the counter.
	if err, _ := verifyPIN(t, card, testPIN); err != nil {
		t.Fatal(err)
	}
	if err, errOut := verifyPIN(t, card, "00000000"); !strings.Contains(errOut, "2 tries left") {
		t.Errorf("after the right PIN: %v %s", err, errOut)
	}
	// JSON errors carry the status and the tries left.
	out, _, err := mdtool(t, "--state", card, "--json", "pin", "verify", "--pin", "00000000")
	var je jsonError
	if jerr := json.Unmarshal([]byte(out), &je); jerr != nil || err == nil || je.Status != "SCARD_W_WRONG_CHV" ||
		je.Code != "0x8010006B" || je.AttemptsLeft == nil || *je.AttemptsLeft != 1 {
		t.Errorf("JSON error %q (%v)", out, jerr)
	}
	// PIN 3, from the environment and from stdin.
	if _, errOut, err := mdtoolIO(t, "", map[string]string{envPIN: testPIN}, "--state", card, "pin", "verify", "--pin-id", "3"); err != nil {
		t.Errorf("PIN from the environment: %v %s", err, errOut)
	}
	if _, errOut, err := mdtoolIO(t, testPIN+"\n", nil, "--state", card, "pin", "verify"); err != nil {
		t.Errorf("PIN from stdin: %v %s", err, errOut)
	}
	if _, _, err := mdtoolIO(t, "", nil, "--state", card, "pin", "verify"); exitCode(err) != 2 {
		t.Errorf("no PIN at all: %v", err)
	}
	var st struct {
		Authenticated []uint32 `json:"authenticated"`
		PINs          []uint32 `json:"pins"`
	}
	mustJSON(t, &st, "--state", card, "pin", "status")
	if len(st.Authenticated) != 0 || len(st.PINs) != 4 {
		t.Errorf("pin status %+v", st)
	}
}

func TestPINChange(t *testing.T) {
	card := newCard(t)
	const other = "55667788"
	must(t, "--state", card, "pin", "change", "--old", testPIN, "--new", other)
	if err, _ := verifyPIN(t, card, testPIN); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("old PIN after the change: %v", err)
	}
	if err, _ := verifyPIN(t, card, other); err != nil {
		t.Errorf("new PIN: %v", err)
	}
	_, errOut, err := mdtoolIO(t, other+"\n"+testPIN+"\n", nil, "--state", card, "pin", "change")
	if err != nil {
		t.Fatalf("change back with the PINs on stdin: %v %s", err, errOut)
	}
	if err, _ := verifyPIN(t, card, testPIN); err != nil {
		t.Errorf("PIN after changing back: %v", err)
	}
	if _, _, err := mdtool(t, "--state", card, "pin", "change", "--old", testPIN, "--new", "12"); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("too short a new PIN: %v", err)
	}
}

func TestPINUnblock(t *testing.T) {
	card := newCard(t)
	for range 3 {
		verifyPIN(t, card, "00000000")
	}
	err, errOut := verifyPIN(t, card, testPIN)
	if spec.StatusOf(err) != spec.SCardWCHVBlocked || exitCode(err) != 3 || !strings.Contains(errOut, "SCARD_W_CHV_BLOCKED") {
		t.Fatalf("right PIN on a blocked card: %v %s", err, errOut)
	}
	_, errOut, err = mdtool(t, "--state", card, "pin", "unblock", "--puk", "00000000", "--new", "24682468")
	if spec.StatusOf(err) != spec.SCardWWrongCHV || !strings.Contains(errOut, "2 tries left") {
		t.Errorf("wrong PUK: %v %s", err, errOut)
	}
	_, errOut, err = mdtoolIO(t, "", map[string]string{envPUK: testPUK, envNewPIN: testPIN}, "--state", card, "pin", "unblock")
	if err != nil {
		t.Fatalf("unblock: %v %s", err, errOut)
	}
	if err, _ := verifyPIN(t, card, testPIN); err != nil {
		t.Errorf("PIN after the unblock: %v", err)
	}
}

func TestSign(t *testing.T) {
	card := newCard(t)
	cs := containersOf(t, card)
	dir := t.TempDir()
	in := filepath.Join(dir, "data")
	data := []byte("the data to sign")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	d256, d384 := sha256.Sum256(data), sha512.Sum384(data)
	for _, tc := range []struct {
		container int
		args      []string
		digest    []byte
		hash      crypto.Hash
	}{
		{0, nil, d256[:], crypto.SHA256},
		{0, []string{"--pss"}, d256[:], crypto.SHA256},
		{2, []string{"--hash", "sha384"}, d384[:], crypto.SHA384},
		{1, nil, d256[:], crypto.SHA256},
		{3, []string{"--hash", "sha384"}, d384[:], crypto.SHA384},
	} {
		var r signResult
		mustJSON(t, &r, append([]string{"--state", card, "sign", "--container", fmt.Sprint(tc.container), "--pin", testPIN,
			"--in", in}, tc.args...)...)
		sig, _ := hex.DecodeString(r.Signature)
		if !r.Verified || r.Digest != hex.EncodeToString(tc.digest) {
			t.Errorf("container %d %v: %+v", tc.container, tc.args, r)
		}
		switch pub := publicKey(t, cs[tc.container]).(type) {
		case *rsa.PublicKey:
			var err error
			if len(tc.args) > 0 && tc.args[0] == "--pss" {
				err = rsa.VerifyPSS(pub, tc.hash, tc.digest, sig, &rsa.PSSOptions{SaltLength: tc.hash.Size()})
			} else {
				err = rsa.VerifyPKCS1v15(pub, tc.hash, tc.digest, sig)
			}
			if err != nil {
				t.Errorf("container %d %v: %v", tc.container, tc.args, err)
			}
		case *ecdsa.PublicKey:
			n := len(sig) / 2
			if !ecdsa.Verify(pub, tc.digest, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
				t.Errorf("container %d: ECDSA r||s does not verify", tc.container)
			}
		}
	}
	// DER ECDSA to a file; the 9C key takes PIN 3 (CCP_PIN_IDENTIFIER), which mdtool picks itself.
	out := filepath.Join(dir, "sig.der")
	if _, errOut, err := mdtoolIO(t, "", map[string]string{envPIN: testPIN}, "--state", card, "sign", "--container", "1", "--der",
		"--in", in, "--out", out); err != nil || !strings.Contains(errOut, "verified") {
		t.Fatalf("sign --der: %v %s", err, errOut)
	}
	der, _ := os.ReadFile(out)
	if !ecdsa.VerifyASN1(publicKey(t, cs[1]).(*ecdsa.PublicKey), d256[:], der) {
		t.Error("DER signature does not verify")
	}
	// Data on stdin, PIN from the environment; text output is the hex signature.
	stdout, _, err := mdtoolIO(t, string(data), map[string]string{envPIN: testPIN}, "--state", card, "sign", "--container", "0")
	sig, herr := hex.DecodeString(strings.TrimSpace(stdout))
	if err != nil || herr != nil || rsa.VerifyPKCS1v15(publicKey(t, cs[0]).(*rsa.PublicKey), crypto.SHA256, d256[:], sig) != nil {
		t.Errorf("sign from stdin: %v %v", err, herr)
	}
	// Errors.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sign", "--container", "9", "--pin", testPIN, "--in", in}, 1, "SCARD_E_NO_KEY_CONTAINER"},
		{[]string{"sign", "--pin", testPIN, "--in", in}, 2, "--container N is required"},
		{[]string{"sign", "--container", "0", "--pin", "00000000", "--in", in}, 3, "SCARD_W_WRONG_CHV"},
		{[]string{"sign", "--container", "1", "--pss", "--pin", testPIN, "--in", in}, 2, "--pss needs an RSA container"},
		{[]string{"sign", "--container", "0", "--hash", "md4", "--pin", testPIN, "--in", in}, 2, "--hash"},
		{[]string{"sign", "--container", "0"}, 2, "give the PIN with --pin"},
	} {
		_, errOut, err := mdtool(t, append([]string{"--state", card}, tc.args...)...)
		if exitCode(err) != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d (%v), stderr %q; want exit %d and %q", tc.args, exitCode(err), err, errOut, tc.code, tc.want)
		}
	}
}

func TestDecrypt(t *testing.T) {
	card := newCard(t)
	pub := publicKey(t, containersOf(t, card)[2]).(*rsa.PublicKey)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	msg := []byte("a session key, 32 bytes long....")
	ct1, _ := rsa.EncryptPKCS1v15(rand.Reader, pub, msg)
	ct2, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, []byte("label"))
	if out := must(t, "--state", card, "decrypt", "--container", "2", "--pin", testPIN, "--in", write("ct1", ct1)); out != string(msg) {
		t.Errorf("PKCS#1 v1.5: %q", out)
	}
	outFile := filepath.Join(dir, "plain")
	must(t, "--state", card, "decrypt", "--container", "2", "--pin", testPIN, "--in", write("ct2", ct2), "--oaep", "--hash",
		"sha256", "--label", "label", "--out", outFile)
	if got, _ := os.ReadFile(outFile); !bytes.Equal(got, msg) {
		t.Errorf("OAEP: %q", got)
	}
	// A wrong label gives the one decryption error; an ECC container cannot decrypt.
	_, _, err := mdtool(t, "--state", card, "decrypt", "--container", "2", "--pin", testPIN, "--in", filepath.Join(dir, "ct2"),
		"--oaep", "--hash", "sha256", "--label", "other")
	if spec.StatusOf(err) != spec.SCardEInvalidValue {
		t.Errorf("wrong label: %v", err)
	}
	if _, _, err := mdtool(t, "--state", card, "decrypt", "--container", "1", "--pin", testPIN, "--in", filepath.Join(dir, "ct1")); err == nil ||
		!strings.Contains(err.Error(), "only RSA keys decrypt") {
		t.Errorf("ECC container: %v", err)
	}
	if _, _, err := mdtool(t, "--state", card, "decrypt", "--container", "2", "--pin", testPIN, "--in", write("short", []byte{1, 2, 3})); err == nil ||
		!strings.Contains(err.Error(), "needs exactly 256") {
		t.Errorf("short ciphertext: %v", err)
	}
}

func TestProps(t *testing.T) {
	card := newCard(t)
	var props []propValue
	mustJSON(t, &props, "--state", card, "props")
	byConst := map[string]propValue{}
	for _, p := range props {
		if p.FlagName == "" || p.Constant == "CP_CARD_PIN_INFO" && p.Flags == 1 {
			byConst[p.Constant] = p
		}
	}
	id := strings.TrimSpace(must(t, "--state", card, "files", "cat", "cardid", "--hex"))
	if g := byConst["CP_CARD_GUID"]; g.Raw != id {
		t.Errorf("CP_CARD_GUID %+v, cardid %s", g, id)
	}
	if m := byConst["CP_CARD_CACHE_MODE"]; m.Value != "CP_CACHE_MODE_GLOBAL_CACHE" {
		t.Errorf("cache mode %+v", m)
	}
	if p := byConst["CP_CARD_PIN_INFO"]; !strings.Contains(p.Text, "AuthenticationPin") {
		t.Errorf("PIN info %+v", p)
	}
	if p := byConst["CP_PARENT_WINDOW"]; p.Text != "(write-only)" {
		t.Errorf("parent window %+v", p)
	}
	if len(props) < 35 {
		t.Errorf("%d property values", len(props))
	}
	if out := must(t, "--state", card, "props", "get", "cp_card_cache_mode"); strings.TrimSpace(out) != "01000000" {
		t.Errorf("props get: %q", out)
	}
	out := must(t, "--state", card, "props", "get", "PIN Information", "--flags", "0x3")
	raw, _ := hex.DecodeString(strings.TrimSpace(out))
	if pi, err := spec.ParsePINInfo(raw); err != nil || pi.CachePolicy.Type != spec.PinCacheAlwaysPrompt {
		t.Errorf("PIN 3 info: %+v %v", pi, err)
	}
	if _, _, err := mdtool(t, "--state", card, "props", "get", "No Such Property"); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("unknown property: %v", err)
	}
}

func TestErrors(t *testing.T) {
	card := newCard(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"--state", card, "info", "extra"}, `unexpected argument "extra"`},
		{[]string{"--state", card, "info", "--bogus"}, "flag provided but not defined"},
		{[]string{"--state", card, "files"}, "ls, cat, put or rm"},
		{[]string{"--state", card, "files", "cat"}, "missing argument"},
		{[]string{"--state", card, "pin", "verify", "--pin-id", "2", "--pin", "x"}, "--pin-id 2"},
		{[]string{"--state", card, "decrypt", "--container", "2"}, "--in FILE is required"},
		{[]string{"--state", card, "decrypt", "--container", "2", "--in", "x", "--label", "l"}, "need --oaep"},
		{[]string{"demo", "--reader", "x"}, "drop --reader"},
	} {
		_, errOut, err := mdtool(t, tc.args...)
		if exitCode(err) != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d (%v), stderr %q; want 2 and %q", tc.args, exitCode(err), err, errOut, tc.want)
		}
	}
	var helpOut, helpErr bytes.Buffer
	if err := run([]string{"help"}, &helpOut, &helpErr); err != nil || !strings.Contains(helpOut.String(), "usage: mdtool") {
		t.Errorf("help: %v", err)
	}
	checkNoSecrets(t, "the usage text", helpOut.String())

	// A damaged state file is refused and left alone.
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := mdtool(t, "--state", bad, "info")
	if exitCode(err) != 1 || !strings.Contains(errOut, "refusing to use the damaged virtual card") {
		t.Errorf("corrupt state: %v %s", err, errOut)
	}
	if b, _ := os.ReadFile(bad); string(b) != "{broken" {
		t.Error("the damaged state file was changed")
	}
	// JSON mode reports errors as JSON.
	out, _, err := mdtool(t, "--json", "--state", bad, "info")
	var je jsonError
	if jerr := json.Unmarshal([]byte(out), &je); err == nil || jerr != nil || !strings.Contains(je.Error, "damaged") {
		t.Errorf("JSON error: %q %v", out, jerr)
	}
}

func TestPickReader(t *testing.T) {
	readers := []string{"Yubico YubiKey OTP+FIDO+CCID 00 00", "Virtual PCD 00 00", "Virtual PCD 00 01"}
	for _, tc := range []struct {
		name, want, err string
	}{
		{"yubikey", readers[0], ""},
		{"Virtual PCD 00 01", readers[2], ""},
		{"virtual", "", "matches 2 readers"},
		{"gemalto", "", "no reader matches"},
	} {
		got, err := pickReader(readers, tc.name)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %q %v", tc.name, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "Virtual PCD 00 01") {
			t.Errorf("the error does not list the readers: %v", err)
		}
	}
	if _, err := pickReader(nil, "x"); err == nil {
		t.Error("no readers")
	}
}

func TestWrapEngine(t *testing.T) {
	err := wrapEngine("CardAuthenticateEx", spec.Errorf(spec.SCardWWrongCHV, "CardAuthenticateEx: wrong PIN, 2 tries left"))
	if err.Error() != "CardAuthenticateEx: SCARD_W_WRONG_CHV (0x8010006B): wrong PIN, 2 tries left" {
		t.Errorf("%q", err)
	}
	if spec.StatusOf(err) != spec.SCardWWrongCHV || exitCode(err) != 3 {
		t.Errorf("status %v", spec.StatusOf(err))
	}
	plain := wrapEngine("CardReadFile", errors.New("cable cut"))
	if plain.Error() != "CardReadFile: cable cut" || exitCode(plain) != 1 {
		t.Errorf("%q", plain)
	}
}
