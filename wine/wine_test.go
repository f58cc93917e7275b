package wine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/vcard"
	"github.com/cardmod/cardmod/vcard/vpcd"
)

// readerName is the one reader wine/winscard.c offers.
const readerName = "cardmod Virtual Reader 0"

// The APDUs of testdata/pcscprog (kept in step with it).
var (
	selectPIV   = []byte{0x00, 0xA4, 0x04, 0x00, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00}
	getDataExt  = []byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00, 0x00}
	dropCommand = []byte{0x80, 0xEE, 0x00, 0x00}
)

// bigObjectSize is the size of the object getDataExt reads: well over the 256
// bytes a short APDU can return, so the response needs extended length.
const bigObjectSize = 3000

// wineEnv is scripts/wine-env.sh, relative to this package's directory (the
// working directory of go test).
var wineEnv = filepath.Join("..", "scripts", "wine-env.sh")

// requireWine skips the test unless Wine and the mingw-w64 compiler exist.
// With CARDMOD_WINE_REQUIRED=1 (make wine-test) their absence is a failure.
func requireWine(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"wine", "x86_64-w64-mingw32-gcc", "flock"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "Wine tests need " + strings.Join(missing, ", ") +
		" (Debian packages wine, wine64, gcc-mingw-w64-x86-64: run `make deps` as root)"
	if os.Getenv("CARDMOD_WINE_REQUIRED") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// setupOnce runs wine-env.sh once per test binary: it builds the helper DLLs
// and creates or reuses the prefix. Its duration is the first-use cost.
var setupOnce struct {
	sync.Once
	dur time.Duration
	out string
	err error
}

// setup prepares the Wine environment (once) and fails the test if that fails.
func setup(t *testing.T) {
	t.Helper()
	requireWine(t)
	setupOnce.Do(func() {
		start := time.Now()
		cmd := exec.Command("bash", wineEnv)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		setupOnce.dur = time.Since(start)
		setupOnce.out = string(out) + stderr.String()
		setupOnce.err = err
	})
	if setupOnce.err != nil {
		t.Fatalf("%s: %v\n%s", wineEnv, setupOnce.err, setupOnce.out)
	}
}

// exeCache holds the cross-compiled test programs, built once per test binary.
var exeCache struct {
	sync.Mutex
	dir  string
	exes map[string]string
}

// buildExe cross-compiles ./testdata/NAME for windows/amd64 and returns the
// path of the .exe.
func buildExe(t *testing.T, name string) string {
	t.Helper()
	exeCache.Lock()
	defer exeCache.Unlock()
	if p, ok := exeCache.exes[name]; ok {
		return p
	}
	if exeCache.dir == "" {
		dir, err := os.MkdirTemp("", "cardmod-wine-")
		if err != nil {
			t.Fatal(err)
		}
		exeCache.dir = dir
		exeCache.exes = map[string]string{}
	}
	out := filepath.Join(exeCache.dir, name+".exe")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cross-compiling %s: %v\n%s", name, err, b)
	}
	exeCache.exes[name] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exeCache.dir != "" {
		_ = os.RemoveAll(exeCache.dir)
	}
	os.Exit(code)
}

// runWine runs `wine-env.sh wine EXE ARGS...` with extra environment
// variables and returns its standard output.
func runWine(t *testing.T, env []string, exe string, args ...string) (string, time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{wineEnv, "wine", exe}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	// wineserver lingers a few seconds after the program: never wait for
	// it through an inherited pipe.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	dur := time.Since(start)
	if err != nil {
		t.Logf("wine %s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(exe), strings.Join(args, " "), err, stdout.String(), stderr.String())
	} else if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("wine %s stderr:\n%s", filepath.Base(exe), s)
	}
	return stdout.String(), dur, err
}

// parseOutput reads the "key: value" lines of a test program.
func parseOutput(out string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), ": "); ok {
			m[k] = v
		}
	}
	return m
}

// cardServer serves one virtual card to every connection made to it, as the
// card side of the vpcd protocol.
type cardServer struct {
	addr  string
	conns atomic.Int32
}

// dropCard closes the connection when it receives dropCommand, as if the
// card were pulled out while processing it.
type dropCard struct {
	vpcd.Card
	conn net.Conn
}

func (d *dropCard) Transmit(cmd []byte) ([]byte, error) {
	if bytes.Equal(cmd, dropCommand) {
		_ = d.conn.Close()
		return nil, errors.New("card pulled out")
	}
	return d.Card.Transmit(cmd)
}

// serveCard listens on a loopback port and serves card to every connection
// until the test ends.
func serveCard(t *testing.T, card vpcd.Card) *cardServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &cardServer{addr: ln.Addr().String()}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			wg.Go(func() {
				c := &vpcd.Client{Card: &dropCard{Card: card, conn: conn}, Logger: quiet}
				_ = c.ServeConn(ctx, conn)
			})
		}
	})
	t.Cleanup(func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	})
	return s
}

// newCard returns a fresh virtual PIV card holding a bigObjectSize-byte
// object in 5FC105, the object getDataExt reads.
func newCard(t *testing.T) *vcard.Card {
	t.Helper()
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := piv.NewClient(card, piv.ClientOptions{})
	if _, err := c.Select(); err != nil {
		t.Fatal(err)
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		t.Fatal(err)
	}
	obj := make([]byte, bigObjectSize)
	for i := range obj {
		obj[i] = byte(i)
	}
	if err := c.PutData(piv.ObjCertAuth, obj); err != nil {
		t.Fatal(err)
	}
	card.Reset()
	return card
}

// directAnswer sends cmd to card after a SELECT, bypassing Wine, for the
// expected response.
func directAnswer(t *testing.T, card *vcard.Card, cmd []byte) string {
	t.Helper()
	if _, err := card.Transmit(selectPIV); err != nil {
		t.Fatal(err)
	}
	resp, err := card.Transmit(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(resp))
}

// TestHelperDLLs builds the helper DLLs (make wine-helpers does the same) and
// checks their exports: undecorated names on x86 too, where WINAPI functions
// are stdcall and would otherwise be exported as _Name@N.
func TestHelperDLLs(t *testing.T) {
	requireWine(t)
	start := time.Now()
	if out, err := exec.Command("bash", wineEnv, "--build").CombinedOutput(); err != nil {
		t.Fatalf("wine-env.sh --build: %v\n%s", err, out)
	}
	t.Logf("wine-env.sh --build: %v", time.Since(start).Round(time.Millisecond))
	want := map[string][]string{
		"bcryptprimitives": {"ProcessPrng"},
		"winscard": {
			"SCardEstablishContext", "SCardReleaseContext", "SCardIsValidContext",
			"SCardListReadersW", "SCardListReadersA", "SCardFreeMemory",
			"SCardConnectW", "SCardConnectA", "SCardReconnect", "SCardDisconnect",
			"SCardBeginTransaction", "SCardEndTransaction", "SCardStatusW", "SCardStatusA",
			"SCardTransmit", "SCardGetAttrib", "SCardGetStatusChangeW",
			"g_rgSCardT0Pci", "g_rgSCardT1Pci", "g_rgSCardRawPci",
		},
	}
	build := filepath.Join("..", "build", "wine")
	if dir := os.Getenv("CARDMOD_WINE_BUILD"); dir != "" {
		build = dir
	}
	for _, arch := range []struct{ dir, objdump string }{
		{build, "x86_64-w64-mingw32-objdump"},
		{filepath.Join(build, "x86"), "i686-w64-mingw32-objdump"},
	} {
		if _, err := exec.LookPath(arch.objdump); err != nil {
			t.Logf("%s not found: not checking %s", arch.objdump, arch.dir)
			continue
		}
		for dll, names := range want {
			path := filepath.Join(arch.dir, dll+".dll")
			out, err := exec.Command(arch.objdump, "-p", path).Output()
			if err != nil {
				t.Errorf("%s -p %s: %v", arch.objdump, path, err)
				continue
			}
			exports := exportNames(string(out))
			for _, n := range names {
				if !exports[n] {
					t.Errorf("%s does not export %s (exports: %v)", path, n, exports)
				}
			}
			for n := range exports {
				if strings.ContainsAny(n, "@") {
					t.Errorf("%s exports a decorated name %s", path, n)
				}
			}
		}
	}
}

// exportNames reads the names in the "[Ordinal/Name Pointer] Table" of
// objdump -p.
func exportNames(objdump string) map[string]bool {
	names := map[string]bool{}
	_, table, ok := strings.Cut(objdump, "[Ordinal/Name Pointer] Table")
	if !ok {
		return names
	}
	re := regexp.MustCompile(`^\s*\[\s*\d+\]\s+(\S+)`)
	_, table, _ = strings.Cut(table, "\n") // the rest of the title line
	for line := range strings.Lines(table) {
		if strings.TrimSpace(line) == "" {
			break
		}
		if m := re.FindStringSubmatch(line); m != nil {
			names[m[1]] = true
		}
	}
	return names
}

// TestPrefix measures preparing the environment: the first wine-env.sh of
// this test binary (which creates the prefix on a clean machine) and a second
// one, which must reuse everything. With CARDMOD_WINE_FRESH=1 it also creates
// a prefix from scratch in a temporary directory (about 10 s and 700 MB).
func TestPrefix(t *testing.T) {
	setup(t)
	t.Logf("first wine-env.sh in this run: %v\n%s", setupOnce.dur.Round(time.Millisecond), setupOnce.out)
	start := time.Now()
	out, err := exec.Command("bash", wineEnv, "true").CombinedOutput()
	if err != nil {
		t.Fatalf("wine-env.sh true: %v\n%s", err, out)
	}
	t.Logf("wine-env.sh true (prefix reused): %v", time.Since(start).Round(time.Millisecond))
	if len(out) != 0 {
		t.Errorf("a second wine-env.sh should reuse everything silently; it said:\n%s", out)
	}
	if os.Getenv("CARDMOD_WINE_FRESH") != "1" {
		t.Log("set CARDMOD_WINE_FRESH=1 to also time a prefix created from scratch")
		return
	}
	dir := t.TempDir()
	env := append(os.Environ(), "CARDMOD_WINEPREFIX="+filepath.Join(dir, "prefix"))
	for i, want := range []string{"created Wine prefix", ""} {
		start := time.Now()
		cmd := exec.Command("bash", wineEnv, "wineserver", "-k")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("wine-env.sh (fresh prefix, run %d): %v\n%s", i+1, err, out)
		}
		t.Logf("fresh prefix, run %d: %v\n%s", i+1, time.Since(start).Round(time.Millisecond), out)
		if want != "" && !strings.Contains(string(out), want) {
			t.Errorf("run %d did not create the prefix:\n%s", i+1, out)
		}
	}
}

// TestProcessPrng runs a Go program that reads crypto/rand: it only starts
// under Wine 8.0 with our bcryptprimitives.dll in System32.
func TestProcessPrng(t *testing.T) {
	setup(t)
	exe := buildExe(t, "randprog")
	var seen []string
	for i := range 2 {
		out, dur, err := runWine(t, nil, exe)
		if err != nil {
			t.Fatalf("randprog under Wine: %v", err)
		}
		t.Logf("randprog run %d: %v", i+1, dur.Round(time.Millisecond))
		m := parseOutput(out)
		if m["goos"] != "windows/amd64" {
			t.Errorf("goos = %q, want windows/amd64\n%s", m["goos"], out)
		}
		b, err := hex.DecodeString(m["rand"])
		if err != nil || len(b) != 32 {
			t.Fatalf("rand = %q: want 32 bytes in hex\n%s", m["rand"], out)
		}
		if bytes.Equal(b, make([]byte, 32)) {
			t.Errorf("rand is all zero")
		}
		seen = append(seen, m["rand"])
	}
	if seen[0] == seen[1] {
		t.Errorf("two runs printed the same random bytes %s", seen[0])
	}
}

// TestPCSC drives a virtual card through the project's pcsc package under
// Wine: pcsc -> our winscard.dll -> TCP (vpcd protocol) -> vcard.Card.
func TestPCSC(t *testing.T) {
	setup(t)
	exe := buildExe(t, "pcscprog")
	card := newCard(t)
	srv := serveCard(t, card)
	const n = 200
	out, dur, err := runWine(t, []string{"CARDMOD_CARD_ADDR=" + srv.addr}, exe, "full", strconv.Itoa(n))
	if err != nil {
		t.Fatalf("pcscprog full under Wine: %v", err)
	}
	m := parseOutput(out)
	t.Logf("pcscprog full (%d timed SELECTs): %v in all; connect %s µs; one APDU round trip %s µs",
		n, dur.Round(time.Millisecond), m["connect-us"], m["roundtrip-us"])
	atr := strings.ToUpper(hex.EncodeToString(vcard.ATR()))
	for _, c := range []struct{ key, want string }{
		{"readers", readerName},
		{"protocol", "T=1"},
		{"status-reader", readerName},
		{"atr", atr},
		{"attr-atr", atr},
		{"attr-unknown", "SCARD_E_UNSUPPORTED_FEATURE"},
		{"end-twice", "SCARD_E_NOT_TRANSACTED"},
		{"reconnect", "T=1"},
		{"done", "ok"},
	} {
		if got := m[c.key]; got != c.want {
			t.Errorf("%s = %q, want %q", c.key, got, c.want)
		}
	}
	sel := m["select"]
	if !strings.HasSuffix(sel, "9000") || !strings.HasPrefix(sel, "61") {
		t.Errorf("SELECT of the PIV AID answered %q, want an application property template and 9000", sel)
	}
	if m["select-after-reset"] != sel {
		t.Errorf("SELECT after the reset answered %q, want %q", m["select-after-reset"], sel)
	}
	if want := directAnswer(t, card, selectPIV); sel != want {
		t.Errorf("SELECT answered %q under Wine, %q directly", sel, want)
	}
	gd := m["getdata"]
	if want := directAnswer(t, card, getDataExt); gd != want {
		t.Errorf("extended GET DATA answered %d hex digits under Wine, want the %d the card gives directly", len(gd), len(want))
	}
	if len(gd) < 2*(bigObjectSize+2) || !strings.HasSuffix(gd, "9000") {
		t.Errorf("extended GET DATA answered %d bytes, want more than %d ending in 9000", len(gd)/2, bigObjectSize)
	}
	if got := srv.conns.Load(); got != 1 {
		t.Errorf("the DLL opened %d card connections, want 1 per process", got)
	}
	if us, err := strconv.ParseFloat(m["roundtrip-us"], 64); err != nil || us <= 0 {
		t.Errorf("roundtrip-us = %q: want a positive number", m["roundtrip-us"])
	}
}

// TestNoCard: with no card server the reader is still listed, and SCardConnect
// fails with SCARD_E_NO_SMARTCARD.
func TestNoCard(t *testing.T) {
	setup(t)
	exe := buildExe(t, "pcscprog")
	// A port that was just free: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	out, _, err := runWine(t, []string{"CARDMOD_CARD_ADDR=" + addr}, exe, "nocard")
	if err != nil {
		t.Fatalf("pcscprog nocard under Wine: %v", err)
	}
	m := parseOutput(out)
	if m["readers"] != readerName {
		t.Errorf("readers = %q, want %q", m["readers"], readerName)
	}
	if m["connect"] != "SCARD_E_NO_SMARTCARD" {
		t.Errorf("connect without a card = %q, want SCARD_E_NO_SMARTCARD", m["connect"])
	}
}

// TestRemoval: when the card server drops the connection, the handle reports
// SCARD_W_REMOVED_CARD, and SCardReconnect takes up the card again (a new
// connection, like a card put back in the reader).
func TestRemoval(t *testing.T) {
	setup(t)
	exe := buildExe(t, "pcscprog")
	srv := serveCard(t, newCard(t))
	out, _, err := runWine(t, []string{"CARDMOD_CARD_ADDR=" + srv.addr}, exe, "removal")
	if err != nil {
		t.Fatalf("pcscprog removal under Wine: %v", err)
	}
	m := parseOutput(out)
	for _, c := range []struct{ key, want string }{
		{"drop", "SCARD_W_REMOVED_CARD"},
		{"after-drop", "SCARD_W_REMOVED_CARD"},
		{"status-after-drop", "SCARD_W_REMOVED_CARD"},
		{"done", "ok"},
	} {
		if got := m[c.key]; got != c.want {
			t.Errorf("%s = %q, want %q", c.key, got, c.want)
		}
	}
	if s := m["select-after-reconnect"]; !strings.HasSuffix(s, "9000") {
		t.Errorf("SELECT after the reconnect answered %q, want ...9000", s)
	}
	if got := srv.conns.Load(); got != 2 {
		t.Errorf("the card server saw %d connections, want 2 (before and after the removal)", got)
	}
}

// TestRawWinscard calls the DLL directly for what the pcsc package does not
// use: SCardGetStatusChangeW, the A functions with SCARD_AUTOALLOCATE, the
// exported g_rgSCardT1Pci, and a transaction on one handle that keeps
// SCardTransmit on another handle waiting until it ends.
func TestRawWinscard(t *testing.T) {
	setup(t)
	exe := buildExe(t, "pcscprog")
	srv := serveCard(t, newCard(t))
	out, _, err := runWine(t, []string{"CARDMOD_CARD_ADDR=" + srv.addr}, exe, "raw")
	if err != nil {
		t.Fatalf("pcscprog raw under Wine: %v", err)
	}
	m := parseOutput(out)
	atr := strings.ToUpper(hex.EncodeToString(vcard.ATR()))
	for _, c := range []struct{ key, want string }{
		{"gsc", "SCARD_S_SUCCESS"},
		{"gsc-present", "true"},
		{"gsc-changed", "true"},
		{"gsc-atr", atr},
		{"gsc-again", "SCARD_E_TIMEOUT"},
		{"list-a", strconv.Quote(readerName)},
		{"status-a", "state=6 proto=2 atr=" + atr}, // SCARD_SPECIFIC, T=1
		{"t1pci", "[2 8]"},
		{"tx-other", "SCARD_S_SUCCESS"},
		{"tx-other-sw", "9000"},
		{"done", "ok"},
	} {
		if got := m[c.key]; got != c.want {
			t.Errorf("%s = %q, want %q", c.key, got, c.want)
		}
	}
	if ms, err := strconv.Atoi(m["tx-wait-ms"]); err != nil || ms < 250 {
		t.Errorf("SCardTransmit on another handle waited %q ms during a transaction, want about 300", m["tx-wait-ms"])
	}
}
