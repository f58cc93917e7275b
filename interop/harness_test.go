package interop

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	skipMessage = "needs pcscd with the vpcd driver, yubico-piv-tool, OpenSC and openssl: run 'make interop' " +
		"(or scripts/with-pcscd.sh go test ./interop/)"

	// reader is the PC/SC name of vpcd's slot 0, which listens on vpcdAddr.
	reader   = "Virtual PCD 00 00"
	vpcdAddr = "127.0.0.1:35963"

	// Defaults of a new card (see vcard.DefaultPIN, DefaultPUK, DefaultMgmKey).
	defaultPIN    = "123456"
	defaultPUK    = "12345678"
	defaultMgmKey = "010203040506070801020304050607080102030405060708"

	// Values the tests change the secrets to.
	otherPIN    = "654321"
	otherPUK    = "87654321"
	otherMgmKey = "0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021"

	commandTimeout = 60 * time.Second
	readyTimeout   = 20 * time.Second
	stopTimeout    = 10 * time.Second
)

// secrets lists every secret value the tests hand to a tool, as the hex the card's trace would show
// if it leaked them. The trace must contain none.
var secrets = map[string]string{
	"default PIN":            hex.EncodeToString([]byte(defaultPIN)),
	"default PUK":            hex.EncodeToString([]byte(defaultPUK)),
	"changed PIN":            hex.EncodeToString([]byte(otherPIN)),
	"changed PUK":            hex.EncodeToString([]byte(otherPUK)),
	"default management key": defaultMgmKey,
	"changed management key": otherMgmKey,
}

// tools are the programs the tests run; all must be installed when CARDMOD_PCSCD=1.
var tools = []string{"yubico-piv-tool", "pkcs15-tool", "pkcs11-tool", "piv-tool", "opensc-tool", "openssl"}

// pkcs11Modules are the places OpenSC's PKCS#11 module is looked for.
var pkcs11Modules = []string{
	"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
	"/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
	"/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
	"/usr/lib64/opensc-pkcs11.so",
	"/usr/lib64/pkcs11/opensc-pkcs11.so",
	"/usr/lib/opensc-pkcs11.so",
	"/usr/lib/pkcs11/opensc-pkcs11.so",
	"/usr/local/lib/opensc-pkcs11.so",
	"/usr/local/lib/pkcs11/opensc-pkcs11.so",
}

// binDir holds the pivcard binary built for this test run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cardmod-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is what every test needs: the pivcard binary and OpenSC's PKCS#11 module.
type env struct {
	pivcard string
	module  string
}

var (
	buildOnce sync.Once
	buildEnv  *env
	buildErr  error

	readerOnce sync.Once
	readerErr  error
)

// checkReader makes sure that the pcscd this process reaches lists vpcd's reader, so that a
// broken setup fails at once rather than after every test's wait for the card.
func checkReader() error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, "opensc-tool", "-l").CombinedOutput()
		cancel()
		if err == nil && strings.Contains(string(out), reader) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the pcscd reachable from here lists no reader %q (opensc-tool -l: %v):\n%s\n"+
				"Is pcscd running in this mount namespace with the vsmartcard-vpcd driver? Note that "+
				"scripts/with-pcscd.sh uses any running pcscd process, even one in another mount namespace "+
				"(an isolated 'unshare -m' pcscd) whose socket is not the one this test reaches.", reader, err, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// setup skips the test unless pcscd is there, fails it if a tool is missing, and builds pivcard
// (once per test binary).
func setup(t *testing.T) *env {
	t.Helper()
	if os.Getenv("CARDMOD_PCSCD") != "1" {
		t.Skip(skipMessage)
	}
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	module := findModule()
	if module == "" {
		missing = append(missing, "opensc-pkcs11.so")
	}
	if len(missing) > 0 {
		t.Fatalf("CARDMOD_PCSCD=1 but %s not found: install pcscd, vsmartcard-vpcd, opensc, opensc-pkcs11, "+
			"yubico-piv-tool and openssl (scripts/deps.sh)", strings.Join(missing, ", "))
	}
	readerOnce.Do(func() { readerErr = checkReader() })
	if readerErr != nil {
		t.Fatal(readerErr)
	}
	buildOnce.Do(func() {
		bin := filepath.Join(binDir, "pivcard")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/cardmod/cardmod/cmd/pivcard").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/pivcard: %v\n%s", err, out)
			return
		}
		buildEnv = &env{pivcard: bin, module: module}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildEnv
}

func findModule() string {
	for _, p := range pkcs11Modules {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if m, _ := filepath.Glob("/usr/lib/*/opensc-pkcs11.so"); len(m) > 0 {
		return m[0]
	}
	return ""
}

// card is one pivcard serve process plugged into vpcd's slot 0.
type card struct {
	env   *env
	dir   string // scratch directory of the test (files the tools read and write)
	state string
	trace string // the serve process's stdout and stderr: the APDU trace and its log

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	stopped bool

	info cardInfo // as created
}

// cardInfo is the part of `pivcard show --json` the tests read.
type cardInfo struct {
	Serial     uint32 `json:"serial"`
	Version    string `json:"version"`
	ATR        string `json:"atr"`
	CHUIDGUID  string `json:"chuid_guid"`
	PINRetries [2]int `json:"pin_retries"`
	PUKRetries [2]int `json:"puk_retries"`
	PINDefault bool   `json:"pin_default"`
	PUKDefault bool   `json:"puk_default"`
	MgmAlg     string `json:"mgm_alg"`
	MgmDefault bool   `json:"mgm_default"`
	Keys       []struct {
		Slot            string `json:"slot"`
		Alg             string `json:"alg"`
		PINPolicy       string `json:"pin_policy"`
		Origin          string `json:"origin"`
		PublicKeySHA256 string `json:"public_key_sha256"`
	} `json:"keys"`
	Objects []struct {
		Tag         string `json:"tag"`
		Name        string `json:"name"`
		Size        int    `json:"size"`
		Certificate string `json:"certificate"`
	} `json:"objects"`
}

// startCard creates a new card state, serves it with --trace and waits until a PC/SC client sees
// it in the reader. The card is stopped (SIGTERM) and its trace checked when the test ends.
func startCard(t *testing.T) *card {
	t.Helper()
	e := setup(t)
	dir := t.TempDir()
	c := &card{env: e, dir: dir, state: filepath.Join(dir, "card.json"), trace: filepath.Join(dir, "serve.log")}
	c.ok(t, []string{e.pivcard, "init", "--state", c.state})
	c.info = c.show(t)
	c.serve(t)
	t.Cleanup(func() { c.stop(t) })
	return c
}

// serve starts `pivcard serve --trace` on the card's state file (appending to its trace) and waits
// until a PC/SC client sees the card. After stop, it serves the same card again, as if it were
// inserted again; the test's cleanup stops the new process.
func (c *card) serve(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(c.trace, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(c.env.pivcard, "serve", "--state", c.state, "--vpcd", vpcdAddr, "--trace")
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start pivcard serve: %v", err)
	}
	c.stopped, c.waitErr = false, nil
	done := make(chan struct{})
	c.done = done
	cmd := c.cmd
	go func() {
		err := cmd.Wait()
		logf.Close()
		c.waitErr = err
		close(done)
	}()
	c.waitReady(t)
}

// waitReady polls the reader until the card answers with its ATR and its own serial number (a card
// of an earlier test has the same ATR).
func (c *card) waitReady(t *testing.T) {
	t.Helper()
	wantATR := strings.ToLower(colonHex(c.info.ATR))
	wantSerial := fmt.Sprintf("% X", binary.BigEndian.AppendUint32(nil, c.info.Serial))
	deadline := time.Now().Add(readyTimeout)
	var out string
	var err error
	for {
		select {
		case <-c.done:
			t.Fatalf("pivcard serve exited early (%v)\n%s", c.waitErr, c.traceTail(40))
		default:
		}
		out, err = c.run([]string{"opensc-tool", "-r", reader, "-c", "default", "-a"})
		if err == nil && strings.Contains(out, wantATR) {
			out, err = c.run([]string{"opensc-tool", "-r", reader, "-c", "default",
				"-s", "00A4040005A000000308", "-s", "00F8000000"})
			if err == nil && strings.Contains(out, wantSerial) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the card (ATR %s, serial %s) did not appear in %q within %v; last output (err %v):\n%s\n%s",
				wantATR, wantSerial, reader, readyTimeout, err, out, c.traceTail(40))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// colonHex turns "3B8B80" into "3B:8B:80".
func colonHex(h string) string {
	var parts []string
	for i := 0; i+1 < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// stop ends the serve process with SIGTERM (SIGKILL if it hangs), then checks that it exited
// cleanly and that its trace leaked no secret. On failure it prints the end of the trace.
func (c *card) stop(t *testing.T) {
	if c.stopped {
		return
	}
	c.stopped = true
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.waitErr != nil {
			t.Errorf("pivcard serve did not exit cleanly on SIGTERM: %v", c.waitErr)
		}
	case <-time.After(stopTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		t.Errorf("pivcard serve ignored SIGTERM for %v; killed", stopTimeout)
	}
	data, err := os.ReadFile(c.trace)
	if err != nil {
		t.Errorf("read the card trace: %v", err)
		return
	}
	upper := strings.ToUpper(string(data))
	for name, h := range secrets {
		if strings.Contains(upper, strings.ToUpper(h)) {
			t.Errorf("the card trace %s shows the %s (%s)", c.trace, name, h)
		}
	}
	if !strings.Contains(upper, "> 00A40400") {
		t.Errorf("the card trace shows no SELECT: was --trace on?")
	}
	if t.Failed() {
		t.Logf("card trace (%s), last lines:\n%s", c.trace, c.traceTail(60))
	}
}

// traceTail returns the last n lines of the card's trace.
func (c *card) traceTail(n int) string {
	data, err := os.ReadFile(c.trace)
	if err != nil {
		return fmt.Sprintf("(trace unreadable: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// traceSize is the current length of the trace, to find what one command sent (traceSince).
func (c *card) traceSize() int64 {
	fi, err := os.Stat(c.trace)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// traceSince returns the command lines ("> ...") the card received after the trace had size off.
func (c *card) traceSince(off int64) []string {
	data, err := os.ReadFile(c.trace)
	if err != nil || int64(len(data)) < off {
		return nil
	}
	var cmds []string
	sc := bufio.NewScanner(strings.NewReader(string(data[off:])))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "> ") {
			cmds = append(cmds, strings.TrimPrefix(line, "> "))
		}
	}
	return cmds
}

// path names a file in the test's scratch directory.
func (c *card) path(name string) string { return filepath.Join(c.dir, name) }

// ykpiv builds a yubico-piv-tool command line for the vpcd reader.
func (c *card) ykpiv(args ...string) []string {
	return append([]string{"yubico-piv-tool", "-r", reader}, args...)
}

// p11 builds a pkcs11-tool command line with OpenSC's module.
func (c *card) p11(args ...string) []string {
	return append([]string{"pkcs11-tool", "--module", c.env.module}, args...)
}

// p15 builds a pkcs15-tool command line for the vpcd reader.
func (c *card) p15(args ...string) []string {
	return append([]string{"pkcs15-tool", "--reader", reader}, args...)
}

// run runs a command (with a timeout) in the scratch directory and returns its combined output.
func (c *card) run(argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", commandTimeout, err)
	}
	return string(out), err
}

// ok runs a command that must succeed and returns its output.
func (c *card) ok(t *testing.T, argv []string) string {
	t.Helper()
	out, err := c.run(argv)
	if err != nil {
		t.Fatalf("%s\nfailed: %v\noutput:\n%s\n%s", quote(argv), err, out, c.traceNote())
	}
	return out
}

// fails runs a command that must fail (exit status not 0) and returns its output.
func (c *card) fails(t *testing.T, argv []string) string {
	t.Helper()
	out, err := c.run(argv)
	var ee *exec.ExitError
	if err == nil {
		t.Fatalf("%s\nsucceeded, want a failure; output:\n%s\n%s", quote(argv), out, c.traceNote())
	}
	if !errors.As(err, &ee) {
		t.Fatalf("%s\ndid not run: %v\noutput:\n%s", quote(argv), err, out)
	}
	return out
}

// traceNote is the end of the card trace for failure messages (empty for commands run before
// the card serves).
func (c *card) traceNote() string {
	if c.cmd == nil {
		return ""
	}
	return "card trace, last lines:\n" + c.traceTail(30)
}

// show runs `pivcard show --json` on the card's state file (safe while serving: it only reads).
func (c *card) show(t *testing.T) cardInfo {
	t.Helper()
	out, err := c.run([]string{c.env.pivcard, "show", "--json", "--state", c.state})
	if err != nil {
		t.Fatalf("pivcard show: %v\n%s", err, out)
	}
	var info cardInfo
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("pivcard show --json: %v\n%s", err, out)
	}
	return info
}

// expect fails the test unless out contains every one of want.
func expect(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: output lacks %q; output:\n%s", what, w, out)
		}
	}
}

// quote renders a command line for messages.
func quote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}
