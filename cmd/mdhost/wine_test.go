package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/mdflow/mdflowtest"
	"github.com/cardmod/cardmod/vcard/vpcd"
)

// TestMdhostWine runs mdhost.exe (windows/amd64, CGO_ENABLED=0) under Wine against
// build/cardmod64.dll, with the project's test winscard.dll carrying APDUs to a virtual card
// served here over the vpcd protocol (wine/README.md). Opt-in: CARDMOD_WINE=1 (the first run
// creates a Wine prefix of about 700 MB).
func TestMdhostWine(t *testing.T) {
	if os.Getenv("CARDMOD_WINE") != "1" {
		t.Skip("set CARDMOD_WINE=1 to run mdhost.exe under Wine (scripts/wine-env.sh)")
	}
	if _, err := exec.LookPath("wine"); err != nil {
		t.Skip("wine not installed")
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	dll := os.Getenv("CARDMOD_DLL64")
	if dll == "" {
		dll = filepath.Join(root, "build", "cardmod64.dll")
	}
	if _, err := os.Stat(dll); err != nil {
		t.Skipf("no %s (make dll): %v", dll, err)
	}
	exe := filepath.Join(t.TempDir(), "mdhost.exe")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, v := range mdflowtest.Variants {
		t.Run(v.Name, func(t *testing.T) {
			card, env := mdflowtest.Card(t, v)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
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
			envFile := filepath.Join(t.TempDir(), "env.json")
			if err := mdflow.WriteEnvFile(envFile, env); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", filepath.Join(root, "scripts", "wine-env.sh"), "wine", exe,
				"--lib", dll, "--reader", "cardmod Virtual Reader 0", "--env", envFile, "--measure")
			cmd.Env = append(os.Environ(), "CARDMOD_CARD_ADDR="+ln.Addr().String())
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
