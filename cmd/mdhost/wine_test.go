package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/mdflow/mdflowtest"
	"github.com/cardmod/cardmod/vcard"
	"github.com/cardmod/cardmod/vcard/vpcd"
)

// wineSetup skips the test unless Wine runs are enabled (CARDMOD_WINE=1), wine is installed and
// the DLL is built; it builds mdhost.exe and returns the module root, the DLL and the exe.
func wineSetup(t *testing.T) (root, dll, exe string) {
	t.Helper()
	if os.Getenv("CARDMOD_WINE") != "1" {
		t.Skip("set CARDMOD_WINE=1 to run mdhost.exe under Wine (scripts/wine-env.sh)")
	}
	if _, err := exec.LookPath("wine"); err != nil {
		t.Skip("wine not installed")
	}
	root, _ = filepath.Abs(filepath.Join("..", ".."))
	dll = os.Getenv("CARDMOD_DLL64")
	if dll == "" {
		dll = filepath.Join(root, "build", "cardmod64.dll")
	}
	if _, err := os.Stat(dll); err != nil {
		t.Skipf("no %s (make dll): %v", dll, err)
	}
	exe = filepath.Join(t.TempDir(), "mdhost.exe")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return root, dll, exe
}

// serveOverVPCD serves card over the vpcd protocol on a loopback port until the test ends (the
// project's test winscard.dll connects to it, CARDMOD_CARD_ADDR) and returns the address.
func serveOverVPCD(t *testing.T, card *vcard.Card) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		ln.Close()
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			cl := &vpcd.Client{Card: card, Logger: slog.New(slog.DiscardHandler)}
			go cl.ServeConn(ctx, conn)
		}
	}()
	return ln.Addr().String()
}

// wineCmd is a command run in the project's Wine environment (scripts/wine-env.sh).
func wineCmd(root string, args ...string) *exec.Cmd {
	return exec.Command("bash", append([]string{filepath.Join(root, "scripts", "wine-env.sh"), "wine"}, args...)...)
}

// TestMdhostWine runs mdhost.exe (windows/amd64, CGO_ENABLED=0) under Wine against
// build/cardmod64.dll, with the project's test winscard.dll carrying APDUs to a virtual card
// served here over the vpcd protocol (wine/README.md). Opt-in: CARDMOD_WINE=1 (the first run
// creates a Wine prefix of about 700 MB).
func TestMdhostWine(t *testing.T) {
	root, dll, exe := wineSetup(t)
	for _, v := range mdflowtest.Variants {
		t.Run(v.Name, func(t *testing.T) {
			card, env := mdflowtest.Card(t, v)
			addr := serveOverVPCD(t, card)
			envFile := filepath.Join(t.TempDir(), "env.json")
			if err := mdflow.WriteEnvFile(envFile, env); err != nil {
				t.Fatal(err)
			}
			cmd := wineCmd(root, exe, "--lib", dll, "--reader", "cardmod Virtual Reader 0", "--env", envFile, "--measure")
			cmd.Env = append(os.Environ(), "CARDMOD_CARD_ADDR="+addr)
			out, err := cmd.CombinedOutput()
			t.Logf("mdhost.exe under Wine:\n%s", out)
			logMeasure(t, out)
			m := regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("no summary (%v)", err)
			}
			if string(m[2]) != "0" || err != nil {
				t.Errorf("%s flows failed under Wine (exit %v)", m[2], err)
			}
		})
	}
}

// TestMdhostWineMgmKeyPolicy checks where cardmod64.dll reads its management key policy under
// Wine (packaging/README.md): the registry value HKLM\SOFTWARE\cardmod\MgmKeyPolicy, and the
// environment variable CARDMOD_MGM_POLICY, which wins. The DLL logs its choice to CARDMOD_LOG.
// The registry value set is "protect", the default, so that other users of the shared Wine prefix
// see no change of behaviour; it is deleted afterwards (unless it was there before).
func TestMdhostWineMgmKeyPolicy(t *testing.T) {
	root, dll, exe := wineSetup(t)
	const key, value = `HKLM\SOFTWARE\cardmod`, "MgmKeyPolicy"
	out, err := wineCmd(root, "reg", "query", key).CombinedOutput()
	keyExisted := err == nil && !strings.Contains(string(out), "Unable to find")
	if keyExisted && strings.Contains(string(out), value) {
		t.Skipf("the Wine prefix already has %s\\%s: not touched\n%s", key, value, out)
	}
	if out, err := wineCmd(root, "reg", "add", key, "/v", value, "/t", "REG_SZ", "/d", "protect", "/f").CombinedOutput(); err != nil {
		t.Fatalf("wine reg add: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		del := []string{"reg", "delete", key, "/f"}
		if keyExisted {
			del = []string{"reg", "delete", key, "/v", value, "/f"}
		}
		if out, err := wineCmd(root, del...).CombinedOutput(); err != nil {
			t.Errorf("wine %s: %v\n%s", strings.Join(del, " "), err, out)
		}
	})
	card, env := mdflowtest.Card(t, mdflowtest.Variants[1])
	addr := serveOverVPCD(t, card)
	envFile := filepath.Join(t.TempDir(), "env.json")
	if err := mdflow.WriteEnvFile(envFile, env); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, envPolicy string
		want            string // in the log
	}{
		{"registry", "", `source="registry HKLM\\SOFTWARE\\cardmod\\MgmKeyPolicy" policy=protect`},
		{"environment wins", "refuse", `source="environment CARDMOD_MGM_POLICY" policy=refuse`},
		{"invalid environment", "sometimes", `invalid setting ignored; using the default" source="environment CARDMOD_MGM_POLICY" value=sometimes policy=protect`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "cardmod.log")
			// Wine maps drive Z: to /.
			winLog := "Z:" + strings.ReplaceAll(logFile, "/", `\`)
			cmd := wineCmd(root, exe, "--lib", dll, "--reader", "cardmod Virtual Reader 0", "--env", envFile, "--run", "^acquire/version$")
			cmd.Env = append(os.Environ(), "CARDMOD_CARD_ADDR="+addr, "CARDMOD_LOG="+winLog, "CARDMOD_MGM_POLICY="+tc.envPolicy)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("mdhost.exe: %v\n%s", err, out)
			}
			log, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatalf("the DLL wrote no log: %v\n%s", err, out)
			}
			t.Logf("the DLL's log:\n%s", log)
			if !strings.Contains(string(log), tc.want) {
				t.Errorf("the DLL's log lacks %s:\n%s", tc.want, log)
			}
		})
	}
}
