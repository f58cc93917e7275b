// Package ctest is the native test tier of the C ABI: a C program (host.c) loads
// build/libcardmod.so with dlopen, fills CARD_DATA as the Windows Base CSP does and drives the
// minidriver through its function table against a virtual card that pcscd serves through the
// vpcd reader. This file builds and runs that host (plainly and under valgrind), verifies what
// it cannot verify itself (signatures, decryptions, certificates, key blobs) and runs its
// benchmarks. See README.md.
package ctest

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/pcsc"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard/vpcd"
)

const (
	skipMessage = "needs pcscd with the vpcd driver (CARDMOD_PCSCD=1), gcc and libpcsclite-dev: run 'make ctest' " +
		"(or scripts/with-pcscd.sh go test -count=1 -v ./cabi/ctest/)"

	// reader is the PC/SC name of vpcd's slot 0.
	reader = "Virtual PCD 00 00"

	presenceTimeout = 20 * time.Second
	hostTimeout     = 2 * time.Minute
	valgrindTimeout = 10 * time.Minute

	// benchIterations is how many CardGetProperty calls the host times (at least 100,000).
	benchIterations = 200000

	// Targets of the benchmarks (logged, not enforced: timings depend on the machine).
	targetOverheadNS = 2000
	targetLoadMS     = 50
	targetRSSKB      = 20 * 1024
)

// vpcdAddr is where vpcd listens: vpcd.DefaultAddr, or $CARDMOD_VPCD_ADDR (as in ./pcsc's tests).
func vpcdAddr() string {
	if a := os.Getenv("CARDMOD_VPCD_ADDR"); a != "" {
		return a
	}
	return vpcd.DefaultAddr
}

// env is what the tests need: the library, the compiled host and the module root.
type env struct {
	root, lib, host, supp string
}

var (
	envOnce sync.Once
	envVal  *env
	envErr  error
	envSkip string
	tmpDir  string // holds the compiled host; removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	os.Exit(code)
}

// setup skips the test unless pcscd, gcc and pcsc-lite's header are there; it builds the
// library (make build/libcardmod.so, which does nothing when it is up to date) and compiles the
// host once per test binary.
func setup(tb testing.TB) *env {
	tb.Helper()
	if os.Getenv("CARDMOD_PCSCD") != "1" {
		tb.Skip(skipMessage)
	}
	envOnce.Do(func() { envVal, envSkip, envErr = prepare() })
	if envSkip != "" {
		tb.Skip(envSkip)
	}
	if envErr != nil {
		tb.Fatal(envErr)
	}
	return envVal
}

func prepare() (*env, string, error) {
	if _, err := exec.LookPath("gcc"); err != nil {
		return nil, "gcc not found: " + skipMessage, nil
	}
	if _, err := os.Stat("/usr/include/PCSC/winscard.h"); err != nil {
		return nil, "/usr/include/PCSC/winscard.h not found (install libpcsclite-dev): " + skipMessage, nil
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil, "", fmt.Errorf("module root not found at %s: %v", root, err)
	}
	e := &env{root: root, lib: filepath.Join(root, "build", "libcardmod.so"), supp: filepath.Join(root, "cabi", "ctest", "go-runtime.supp")}
	_, errGo := exec.LookPath("go")
	_, errMake := exec.LookPath("make")
	switch {
	case errGo == nil && errMake == nil:
		if out, err := run(root, 5*time.Minute, "make", "--no-print-directory", "build/libcardmod.so"); err != nil {
			return nil, "", fmt.Errorf("make build/libcardmod.so: %v\n%s", err, out)
		}
	case errGo == nil:
		if _, err := os.Stat(e.lib); err != nil {
			if out, err := run(root, 5*time.Minute, "go", "build", "-buildmode=c-shared", "-o", e.lib, "./cabi/dll"); err != nil {
				return nil, "", fmt.Errorf("go build -buildmode=c-shared: %v\n%s", err, out)
			}
		}
	}
	if _, err := os.Stat(e.lib); err != nil {
		return nil, "build/libcardmod.so missing and cannot be built here (needs go and make): " + skipMessage, nil
	}
	dir, err := os.MkdirTemp("", "cardmod-ctest-")
	if err != nil {
		return nil, "", err
	}
	tmpDir = dir
	e.host = filepath.Join(dir, "host")
	src := filepath.Join(root, "cabi", "ctest")
	args := []string{"-std=gnu11", "-O2", "-g", "-Wall", "-Wextra", "-Werror",
		"-I", filepath.Join(root, "cabi", "include"), "-I", "/usr/include/PCSC",
		filepath.Join(src, "host.c"), filepath.Join(src, "pcsc.c"), filepath.Join(src, "sha256.c"), filepath.Join(src, "des.c"),
		"-o", e.host, "-ldl", "-lpcsclite"}
	if out, err := run(src, time.Minute, "gcc", args...); err != nil {
		return nil, "", fmt.Errorf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return e, "", nil
}

var (
	vgOnce sync.Once
	vgLib  string
	vgErr  error
)

// valgrindLib builds the library for the valgrind run: cabi/dll with the Go runtime's valgrind
// build tag (go build -tags valgrind), which changes no cardmod code and adds the runtime's
// valgrind client requests: they register every goroutine stack with memcheck and describe the
// Go heap. Without them memcheck takes switches between goroutine stacks (a few kB apart in the
// Go heap) for stack frames, and depending on where the heap lands reports hundreds of invalid
// accesses to goroutine stacks, in any Go code, cardmod's included (README.md, "valgrind").
func (e *env) valgrindLib(t *testing.T) string {
	t.Helper()
	vgOnce.Do(func() {
		lib := filepath.Join(tmpDir, "libcardmod-valgrind.so")
		out, err := run(e.root, 5*time.Minute, "go", "build", "-tags", "valgrind", "-buildmode=c-shared", "-o", lib, "./cabi/dll")
		if err != nil {
			vgErr = fmt.Errorf("go build -tags valgrind -buildmode=c-shared ./cabi/dll: %v\n%s", err, out)
			return
		}
		vgLib = lib
	})
	if vgErr != nil {
		t.Fatal(vgErr)
	}
	return vgLib
}

// run runs a command with a timeout and returns its combined output.
func run(dir string, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, err)
	}
	return string(out), err
}

// card is the provisioned virtual card, served to pcscd through vpcd while the test runs.
type card struct {
	p    *enginetest.Provisioned
	guid []byte // the CHUID GUID, which cardid must equal
}

// serveCard provisions a card with the standard keys (RSA-2048 in 9A and 9D, P-256 in 9C, P-384
// in 9E, each with a certificate), plugs it into vpcd and waits until pcscd shows it. The card
// is removed when the test ends.
func serveCard(tb testing.TB) *card {
	tb.Helper()
	c, stop := startCard(tb)
	tb.Cleanup(stop)
	return c
}

// startCard is serveCard without the cleanup: stop removes the card.
func startCard(tb testing.TB) (*card, func()) {
	tb.Helper()
	p := enginetest.Provision(tb, enginetest.StandardKeys)
	// A map object, as enrollment through the minidriver leaves it.
	enginetest.WriteMap(tb, p, enginetest.StandardKeys)
	c := &card{p: p}
	pc := piv.NewClient(p.Card, piv.ClientOptions{ExtendedLength: true})
	if _, err := pc.Select(); err != nil {
		tb.Fatal(err)
	}
	chuid, err := pc.GetData(piv.ObjCHUID)
	if err != nil {
		tb.Fatalf("read the CHUID: %v", err)
	}
	g, ok, _ := tlv.Find(chuid, 0x34)
	if !ok || len(g) != 16 {
		tb.Fatalf("the provisioned CHUID has no GUID")
	}
	c.guid = bytes.Clone(g)
	p.Card.Reset()

	if err := checkFree(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cl := &vpcd.Client{Addr: vpcdAddr(), Card: p.Card, Logger: slog.New(slog.DiscardHandler), MaxBackoff: 250 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- cl.Serve(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			tb.Errorf("vpcd client: %v", err)
		}
		waitAbsent(tb)
	}
	c.waitPresent(tb)
	return c, stop
}

// checkFree fails early when pcscd lists no vpcd reader, or another program's card sits in it
// (another test run using vpcd's slot at the same time).
func checkFree() error {
	pctx, err := pcsc.EstablishContext()
	if err != nil {
		return fmt.Errorf("SCardEstablishContext: %v (is pcscd running?)", err)
	}
	defer func() { _ = pctx.Release() }()
	readers, err := pctx.ListReaders()
	if err != nil || !slices.Contains(readers, reader) {
		return fmt.Errorf("pcscd lists no reader %q (readers %q, %v): is the vsmartcard-vpcd driver installed?", reader, readers, err)
	}
	deadline := time.Now().Add(presenceTimeout)
	for {
		k, err := pctx.Connect(reader, pcsc.ShareShared, pcsc.ProtocolAny)
		if err != nil {
			return nil
		}
		_ = k.Disconnect(pcsc.LeaveCard)
		if time.Now().After(deadline) {
			return fmt.Errorf("another card has been in %q for %v: is another test using vpcd (port %s)? Retry when it is done", reader, presenceTimeout, vpcdAddr())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitPresent polls the reader until the card answers with this card's CHUID GUID.
func (c *card) waitPresent(tb testing.TB) {
	tb.Helper()
	pctx, err := pcsc.EstablishContext()
	if err != nil {
		tb.Fatalf("SCardEstablishContext: %v", err)
	}
	defer func() { _ = pctx.Release() }()
	deadline := time.Now().Add(presenceTimeout)
	var last error
	for time.Now().Before(deadline) {
		k, err := pctx.Connect(reader, pcsc.ShareShared, pcsc.ProtocolAny)
		if err != nil {
			last = err
			time.Sleep(50 * time.Millisecond)
			continue
		}
		pc := piv.NewClient(k, piv.ClientOptions{ExtendedLength: true})
		_, err = pc.Select()
		var chuid []byte
		if err == nil {
			chuid, err = pc.GetData(piv.ObjCHUID)
		}
		_ = k.Disconnect(pcsc.LeaveCard)
		if err == nil {
			if g, ok, _ := tlv.Find(chuid, 0x34); ok && bytes.Equal(g, c.guid) {
				return
			}
			err = errors.New("a different card is in the reader")
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("the virtual card did not appear in %q within %v: %v", reader, presenceTimeout, last)
}

// waitAbsent waits until pcscd has noticed the card's removal, so that the next test does not
// connect to a card pcscd still believes present.
func waitAbsent(tb testing.TB) {
	pctx, err := pcsc.EstablishContext()
	if err != nil {
		return
	}
	defer func() { _ = pctx.Release() }()
	deadline := time.Now().Add(presenceTimeout)
	for time.Now().Before(deadline) {
		k, err := pctx.Connect(reader, pcsc.ShareShared, pcsc.ProtocolAny)
		if err != nil {
			return
		}
		_ = k.Disconnect(pcsc.LeaveCard)
		time.Sleep(50 * time.Millisecond)
	}
	tb.Errorf("pcscd still sees a card in %q %v after its removal", reader, presenceTimeout)
}

// inputs are the ciphertexts the host decrypts (for the 9D key, container 2) and what they hold,
// and the peer key of its ECDH agreement with the 9E key (container 3) and the key it derives.
type inputs struct {
	oaep, pkcs1 []byte // plaintexts
	raw         []byte // the raw block, modulus length, big-endian
	dhSHA256    []byte // SHA-256 of the secret, as the peer computes it
}

// writeDHInput writes the peer's public key (a P-384 BCRYPT_ECCPUBLIC_BLOB with the ECDH magic,
// dh_peer.blob) for the host's CardConstructDHAgreement with container 3 (9E), and returns what
// CardDeriveKey(HASH, SHA256) must give: SHA-256 of the x coordinate the peer computes with the
// 9E key.
func writeDHInput(t *testing.T, dir string, card *ecdsa.PublicKey) []byte {
	t.Helper()
	peer, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cardKey, err := card.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	z, err := peer.ECDH(cardKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dh_peer.blob"), spec.MarshalECDHPublicKeyBlob(peer.PublicKey(), spec.ECDHPublicP384Magic), 0o600); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(z)
	return want[:]
}

// verifyDH compares the key the host derived (written to dh_sha256.bin, never printed) with the
// peer's computation.
func verifyDH(t *testing.T, dir, stdout string, in *inputs) {
	t.Helper()
	if strings.Contains(stdout, fmt.Sprintf("%x", in.dhSHA256)) || strings.Contains(stdout, fmt.Sprintf("%X", in.dhSHA256)) {
		t.Error("the host printed the derived key")
	}
	got, err := os.ReadFile(filepath.Join(dir, "dh_sha256.bin"))
	if err != nil || !bytes.Equal(got, in.dhSHA256) {
		t.Errorf("dh_sha256.bin: %d bytes (%v), not the SHA-256 of the peer's secret", len(got), err)
	}
}

// writeInputs writes the ciphertexts, little-endian as CardRSADecrypt takes them.
func writeInputs(t *testing.T, dir string, pub *rsa.PublicKey) *inputs {
	t.Helper()
	in := &inputs{oaep: []byte("OAEP-SHA256 secret for container 2"), pkcs1: []byte("PKCS#1 v1.5 secret for container 2")}
	ctOAEP, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, in.oaep, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctPKCS1, err := rsa.EncryptPKCS1v15(rand.Reader, pub, in.pkcs1)
	if err != nil {
		t.Fatal(err)
	}
	k := pub.Size()
	m, err := rand.Int(rand.Reader, pub.N)
	if err != nil {
		t.Fatal(err)
	}
	in.raw = m.FillBytes(make([]byte, k))
	ctRaw := new(big.Int).Exp(m, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	// The certificate template of the enrollment: a P-256 certificate whose public key the host
	// replaces by the key the card generates.
	tk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "cardmod ctest enrollment"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	certTmpl, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, tk.Public(), tk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert_template.der"), certTmpl, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, ct := range map[string][]byte{"ct_oaep.bin": ctOAEP, "ct_pkcs1.bin": ctPKCS1, "ct_raw.bin": ctRaw} {
		if err := os.WriteFile(filepath.Join(dir, name), reversed(ct), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func reversed(b []byte) []byte {
	r := bytes.Clone(b)
	slices.Reverse(r)
	return r
}

// result is the parsed output of a host run.
type result struct {
	passed, failed int
	passes         []string
	fails          []string
	infos          []string
	allocations    string
	summary        bool
	bench          map[string]float64
}

func parse(out string) *result {
	r := &result{bench: map[string]float64{}}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "PASS "):
			r.passes = append(r.passes, strings.TrimPrefix(line, "PASS "))
		case strings.HasPrefix(line, "FAIL "):
			r.fails = append(r.fails, strings.TrimPrefix(line, "FAIL "))
		case strings.HasPrefix(line, "INFO "):
			r.infos = append(r.infos, strings.TrimPrefix(line, "INFO "))
		case strings.HasPrefix(line, "allocations: "):
			r.allocations = line
		case strings.HasPrefix(line, "BENCH "):
			f := strings.Fields(line)
			if len(f) >= 3 {
				if v, err := strconv.ParseFloat(f[2], 64); err == nil {
					r.bench[f[1]] = v
				}
			}
		default:
			if _, err := fmt.Sscanf(line, "%d passed, %d failed", &r.passed, &r.failed); err == nil {
				r.summary = true
			}
		}
	}
	return r
}

// check fails t for every FAIL line, a missing summary or allocation line, or a summary that
// does not match the lines.
func (r *result) check(t *testing.T, what string) {
	t.Helper()
	for _, f := range r.fails {
		t.Errorf("%s: FAIL %s", what, f)
	}
	if !r.summary {
		t.Errorf("%s: no \"N passed, N failed\" line (the host crashed?)", what)
	} else if r.failed != 0 || r.passed != len(r.passes) {
		t.Errorf("%s: summary %d passed, %d failed; %d PASS lines, %d FAIL lines", what, r.passed, r.failed, len(r.passes), len(r.fails))
	}
	if r.allocations == "" {
		t.Errorf("%s: no allocations line", what)
	} else if !strings.HasSuffix(r.allocations, " 0 live") {
		t.Errorf("%s: %s", what, r.allocations)
	}
	if r.summary && r.passed < 40 {
		t.Errorf("%s: only %d checks passed; the host stopped early?", what, r.passed)
	}
	var adds, hits int
	for _, l := range r.infos {
		if _, err := fmt.Sscanf(l, "cache: %d adds, %d hits", &adds, &hits); err == nil {
			break
		}
	}
	// The engine reads the certificate objects at every inventory (docs/enrollment.md,
	// "Freshness"), so the caller's cache may see no traffic: reported, not required. Every call
	// the minidriver makes to it is still checked by the host (context, flags, tags).
	t.Logf("%s: the cache callbacks saw %d adds and %d hits", what, adds, hits)
}

// hostEnv is added to the environment of the test runs: the DLL's management key policy
// setting, which the host checks (a write with the PIN only is refused; its enrollment
// authenticates the admin by challenge/response and never needs the default key).
var hostEnv = []string{"CARDMOD_MGM_POLICY=refuse"}

// hostArgs is the command line of a test run of the host.
func (e *env) hostArgs(dir string) []string {
	return []string{e.host, "--lib", e.lib, "--reader", reader, "--in-dir", dir, "--out-dir", dir, "--pin", string(enginetest.PIN)}
}

// runHost runs argv and returns stdout and stderr; a non-zero exit is returned as err.
func runHost(t *testing.T, timeout time.Duration, argv []string, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, err)
	}
	return o.String(), e.String(), err
}

// TestCHost runs the C host against the virtual card: once plainly, once under valgrind, and
// once in bench mode.
func TestCHost(t *testing.T) {
	e := setup(t)
	c := serveCard(t)

	t.Run("plain", func(t *testing.T) {
		dir := t.TempDir()
		in := writeInputs(t, dir, c.p.Pub[piv.SlotKeyMgmt].(*rsa.PublicKey))
		in.dhSHA256 = writeDHInput(t, dir, c.p.Pub[piv.SlotCardAuth].(*ecdsa.PublicKey))
		stdout, stderr, err := runHost(t, hostTimeout, e.hostArgs(dir), hostEnv...)
		t.Logf("host output:\n%s", stdout)
		if stderr != "" {
			t.Logf("host stderr:\n%s", stderr)
		}
		r := parse(stdout)
		r.check(t, "host")
		if err != nil {
			t.Errorf("host: %v", err)
		}
		verifyOutputs(t, dir, c, in)
		verifyDH(t, dir, stdout, in)
	})

	t.Run("valgrind", func(t *testing.T) {
		if _, err := exec.LookPath("valgrind"); err != nil {
			t.Skip("valgrind not installed")
		}
		if _, err := exec.LookPath("go"); err != nil {
			t.Skip("go not found: the valgrind run needs a build of cabi/dll with -tags valgrind")
		}
		lib := e.valgrindLib(t)
		dir := t.TempDir()
		in := writeInputs(t, dir, c.p.Pub[piv.SlotKeyMgmt].(*rsa.PublicKey))
		in.dhSHA256 = writeDHInput(t, dir, c.p.Pub[piv.SlotCardAuth].(*ecdsa.PublicKey))
		args := e.hostArgs(dir)
		args[2] = lib // --lib
		argv := append([]string{"valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite,possible",
			"--track-origins=yes", "--num-callers=30", "--suppressions=" + e.supp}, args...)
		stdout, stderr, err := runHost(t, valgrindTimeout, argv, hostEnv...)
		r := parse(stdout)
		r.check(t, "host under valgrind")
		if err != nil {
			t.Errorf("valgrind host: %v", err)
		}
		summary := ""
		for _, l := range strings.Split(stderr, "\n") {
			if i := strings.Index(l, "ERROR SUMMARY:"); i >= 0 {
				summary = l[i:]
			}
		}
		if !strings.HasPrefix(summary, "ERROR SUMMARY: 0 errors") {
			t.Errorf("valgrind: %q, want \"ERROR SUMMARY: 0 errors\"; its report:\n%s", summary, stderr)
		} else {
			t.Logf("valgrind: %s (%d checks passed, %s)", summary, r.passed, r.allocations)
			t.Logf("valgrind report (tail):\n%s", tail(stderr, 25))
		}
		verifyOutputs(t, dir, c, in)
		verifyDH(t, dir, stdout, in)
	})

	t.Run("bench", func(t *testing.T) {
		stdout, stderr, err := runHost(t, hostTimeout, []string{e.host, "--bench", "--iterations", strconv.Itoa(benchIterations), "--lib", e.lib, "--reader", reader})
		if err != nil {
			t.Fatalf("host --bench: %v\n%s\n%s", err, stdout, stderr)
		}
		b := parse(stdout).bench
		for _, k := range []string{"abi_get_property_guid", "abi_null_call", "load", "dlopen", "first_acquire", "rss_before_dlopen", "rss_after_acquire", "rss_added", "call_errors", "live_allocations"} {
			if _, ok := b[k]; !ok {
				t.Fatalf("host --bench printed no %s:\n%s", k, stdout)
			}
		}
		if b["call_errors"] != 0 || b["live_allocations"] != 0 {
			t.Errorf("bench: %v call errors, %v live allocations", b["call_errors"], b["live_allocations"])
		}
		goRes := testing.Benchmark(BenchmarkEngineGetPropertyGUID)
		goNS := float64(goRes.T.Nanoseconds()) / float64(goRes.N)
		abi := b["abi_get_property_guid"]
		t.Logf("CardGetProperty(CP_CARD_GUID), warm, %d calls: %.1f ns/call through the C ABI; %.1f ns/op on the Go engine (%s); "+
			"ABI overhead %.1f ns/call (target < %d ns: %s)", benchIterations, abi, goNS, goRes.MemString(), abi-goNS, targetOverheadNS, verdict(abi-goNS < targetOverheadNS))
		t.Logf("cheapest ABI call (NULL pCardData, rejected in Go): %.1f ns/call", b["abi_null_call"])
		t.Logf("load: dlopen %.2f ms + first CardAcquireContext %.2f ms = %.2f ms (target < %d ms: %s)",
			b["dlopen"], b["first_acquire"], b["load"], targetLoadMS, verdict(b["load"] < targetLoadMS))
		t.Logf("RSS: %.0f kB before dlopen, %.0f kB after the first acquire: +%.0f kB (target < %d kB: %s)",
			b["rss_before_dlopen"], b["rss_after_acquire"], b["rss_added"], targetRSSKB, verdict(b["rss_added"] < targetRSSKB))
	})
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// verifyOutputs checks the files the host wrote: the signatures against the certificates, the
// decryptions against the plaintexts, cardid, the certificates and the public key blobs.
func verifyOutputs(t *testing.T, dir string, c *card, in *inputs) {
	t.Helper()
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("the host wrote no %s: %v", name, err)
		}
		return b
	}
	msg := read("message.bin")
	digest := sha256.Sum256(msg)

	if got := read("cardid.bin"); !bytes.Equal(got, c.guid) {
		t.Errorf("cardid %X, want the CHUID GUID %X", got, c.guid)
	}

	certAuth := parseCert(t, read("kxc00.der"), c.p.Certs[piv.SlotAuth], "kxc00")
	certSign := parseCert(t, read("ksc01.der"), c.p.Certs[piv.SlotSign], "ksc01")

	if certAuth != nil {
		pub, ok := certAuth.PublicKey.(*rsa.PublicKey)
		if !ok || !pub.Equal(c.p.Pub[piv.SlotAuth]) {
			t.Errorf("kxc00's key is not the 9A key")
		} else {
			if sig := read("sig_rsa_pkcs1.bin"); sig != nil {
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], reversed(sig)); err != nil {
					t.Errorf("the PKCS#1 v1.5 SHA-256 signature (little-endian, reversed) does not verify against kxc00: %v", err)
				}
			}
			if sig := read("sig_rsa_pss.bin"); sig != nil {
				if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], reversed(sig), &rsa.PSSOptions{SaltLength: 32, Hash: crypto.SHA256}); err != nil {
					t.Errorf("the PSS signature does not verify against kxc00: %v", err)
				}
			}
			checkRSABlob(t, read("container0.blob"), pub, "container 0")
		}
	}
	if certSign != nil {
		pub, ok := certSign.PublicKey.(*ecdsa.PublicKey)
		if !ok || !pub.Equal(c.p.Pub[piv.SlotSign]) {
			t.Errorf("ksc01's key is not the 9C key")
		} else {
			if rs := read("sig_ecdsa.bin"); len(rs) == 64 {
				if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])) {
					t.Errorf("the ECDSA r||s signature does not verify against ksc01")
				}
			} else if rs != nil {
				t.Errorf("sig_ecdsa.bin: %d bytes, want 64", len(rs))
			}
			if blob := read("container1.blob"); len(blob) == 72 {
				x, y := blob[8:40], blob[40:72]
				want, _ := pub.Bytes() // 04 || X || Y
				if !bytes.Equal(append([]byte{4}, blob[8:]...), want) {
					t.Errorf("container 1's ECC blob X %X Y %X is not the 9C key", x, y)
				}
			} else if blob != nil {
				t.Errorf("container1.blob: %d bytes, want 72", len(blob))
			}
		}
	}
	kx := c.p.Pub[piv.SlotKeyMgmt].(*rsa.PublicKey)
	checkRSABlob(t, read("container2.blob"), kx, "container 2")

	verifyEnrollment(t, read("enroll_container.blob"), read("enroll_cert.der"), read("sig_enroll.bin"), digest[:])

	if got := read("pt_oaep.bin"); !bytes.Equal(got, in.oaep) {
		t.Errorf("RSA-OAEP-SHA256 decryption gave %q, want %q", got, in.oaep)
	}
	if got := read("pt_pkcs1.bin"); !bytes.Equal(got, in.pkcs1) {
		t.Errorf("PKCS#1 v1.5 decryption gave %q, want %q", got, in.pkcs1)
	}
	if got := read("pt_raw.bin"); !bytes.Equal(reversed(got), in.raw) {
		t.Errorf("raw decryption (CARD_PADDING_NONE) gave %X (little-endian), want the reverse of %X", got, in.raw)
	}
}

// verifyEnrollment checks what the host's enrollment wrote: the certificate it wrote to the card
// (and read back unchanged) carries the key of the container's BCRYPT_ECCPUBLIC_BLOB, and the
// signature the new container made verifies with the certificate's key.
func verifyEnrollment(t *testing.T, blob, der, sig, digest []byte) {
	t.Helper()
	if blob == nil || der == nil || sig == nil {
		return
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Errorf("enrollment: the certificate written: %v", err)
		return
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		t.Errorf("enrollment: the certificate holds a %T", cert.PublicKey)
		return
	}
	point, _ := pub.Bytes()
	if len(blob) != 72 || !bytes.Equal(point, append([]byte{4}, blob[8:]...)) {
		t.Errorf("enrollment: the certificate's key is not the container's (blob %X)", blob)
	}
	if len(sig) != 64 || !ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Errorf("enrollment: the new container's r||s signature (%d bytes) does not verify with the certificate's key", len(sig))
	}
}

func parseCert(t *testing.T, der, want []byte, name string) *x509.Certificate {
	t.Helper()
	if der == nil {
		return nil
	}
	if !bytes.Equal(der, want) {
		t.Errorf("%s differs from the certificate stored on the card", name)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return nil
	}
	return cert
}

// checkRSABlob compares a PUBLICKEYBLOB's modulus (little-endian) and exponent with pub.
func checkRSABlob(t *testing.T, blob []byte, pub *rsa.PublicKey, what string) {
	t.Helper()
	if blob == nil {
		return
	}
	if len(blob) != 20+pub.Size() {
		t.Errorf("%s: %d-byte blob, want %d", what, len(blob), 20+pub.Size())
		return
	}
	if n := new(big.Int).SetBytes(reversed(blob[20:])); n.Cmp(pub.N) != 0 {
		t.Errorf("%s: the blob's modulus is not the key's", what)
	}
	if e := int(blob[16]) | int(blob[17])<<8 | int(blob[18])<<16 | int(blob[19])<<24; e != pub.E {
		t.Errorf("%s: exponent %d, want %d", what, e, pub.E)
	}
}

// BenchmarkEngineGetPropertyGUID is CP_CARD_GUID on a warm engine context, called from Go on an
// in-process card: the baseline for the cost of the C ABI.
func BenchmarkEngineGetPropertyGUID(b *testing.B) {
	p := enginetest.Provision(b, enginetest.StandardKeys)
	ctx, _ := enginetest.Acquire(b, engine.NewModule(), p.Card, true)
	if _, err := ctx.GetProperty(spec.CPCardGUID, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ctx.GetProperty(spec.CPCardGUID, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCABIGetPropertyGUID is the same call made by the C host through the function table
// of libcardmod.so (b.N calls in one host process, in one card transaction; the host's own
// clock_gettime figure replaces ns/op). It also reports the load time and the memory the Go
// runtime adds to the host.
func BenchmarkCABIGetPropertyGUID(b *testing.B) {
	e := setup(b)
	serveOnce.Do(func() { benchCard, _ = startCard(b) })
	if benchCard == nil {
		b.Skip("no card")
	}
	b.ResetTimer() // the first round provisions and serves the card
	out, err := exec.Command(e.host, "--bench", "--iterations", strconv.Itoa(max(b.N, 1)), "--lib", e.lib, "--reader", reader).CombinedOutput()
	if err != nil {
		b.Fatalf("host --bench: %v\n%s", err, out)
	}
	r := parse(string(out)).bench
	b.ReportMetric(r["abi_get_property_guid"], "ns/op")
	b.ReportMetric(r["load"], "load-ms")
	b.ReportMetric(r["rss_added"], "rss-added-kB")
}

// The card of the C ABI benchmark, served for all the benchmark's rounds (the testing package
// runs a round's cleanups when the round ends, too early): vpcd's connection closes, and the card
// leaves the reader, when the test binary exits.
var (
	serveOnce sync.Once
	benchCard *card
)
