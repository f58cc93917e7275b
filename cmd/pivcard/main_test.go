package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/vcard"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestInitShow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	if _, _, err := runCLI(t, "init", "--state", path, "--serial", "777", "--pin", "24682468", "--mgm-alg", "aes128",
		"--mgm-key", "00112233445566778899aabbccddeeff"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "init", "--state", path); err == nil {
		t.Fatal("init over an existing card succeeded")
	}
	out, _, err := runCLI(t, "show", "--state", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var info vcard.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.Serial != 777 || info.MgmAlg != "AES-128" || info.PINDefault || !info.PUKDefault || info.PINRetries != [2]int{3, 3} {
		t.Errorf("info %+v", info)
	}
	out, _, err = runCLI(t, "show", "--state", path)
	if err != nil || !strings.Contains(out, "Serial:          777") || !strings.Contains(out, "Card Holder Unique Identifier") {
		t.Errorf("human output:\n%s (%v)", out, err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("24682468")) {
		t.Error("PIN stored in clear in the state file")
	}
	if strings.Contains(out, "24682468") {
		t.Error("show printed the PIN")
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{broken"), 0o600)
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"init"},
		{"init", "--state", filepath.Join(dir, "x.json"), "--pin", "123"},
		{"init", "--state", filepath.Join(dir, "y.json"), "--mgm-alg", "rc4"},
		{"init", "--state", filepath.Join(dir, "z.json"), "--mgm-key", "zz"},
		{"show", "--state", filepath.Join(dir, "missing.json")},
		{"show", "--state", bad},
		{"serve", "--state", bad},
		{"show", "--state", bad, "extra"},
	} {
		if _, _, err := runCLI(t, args...); err == nil {
			t.Errorf("pivcard %v succeeded", args)
		}
	}
	if data, _ := os.ReadFile(bad); string(data) != "{broken" {
		t.Error("a damaged state file was overwritten")
	}
}

func TestDemo(t *testing.T) {
	for _, ext := range []string{"--extended=true", "--extended=false"} {
		out, _, err := runCLI(t, "demo", ext, "--trace")
		if err != nil {
			t.Fatalf("demo %s: %v\n%s", ext, err, out)
		}
		if !strings.Contains(out, "APDUs,") || strings.Contains(out, "FAILED") {
			t.Errorf("demo output:\n%s", out)
		}
		// The PIN (313233343536 in hex) and the default management key never appear in the trace.
		if strings.Contains(out, "313233343536") || strings.Contains(out, "0102030405060708") {
			t.Error("secret in the demo trace")
		}
	}
}
