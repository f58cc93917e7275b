package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/mdflow/mdflowtest"
)

func libPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CARDMOD_LIB")
	if p == "" {
		p = filepath.Join("..", "..", "build", "libcardmod.so")
	}
	abs, _ := filepath.Abs(p)
	if _, err := os.Stat(abs); err != nil {
		t.Skipf("no minidriver library at %s (make dll, or set CARDMOD_LIB): %v", abs, err)
	}
	return abs
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage") {
		t.Errorf("no arguments: exit %d, %q", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"--list"}, &out, &errb); code != 0 || strings.Count(out.String(), "\n") != len(mdflow.Flows) {
		t.Errorf("--list: exit %d, %q", code, out.String())
	}
	if code := run([]string{"--lib", "/nonexistent.so", "--reader", "r"}, &out, &errb); code != 2 {
		t.Errorf("missing library: exit %d", code)
	}
}

// TestMdhost builds mdhost as it ships (CGO_ENABLED=0) and runs it against the library on a
// virtual card served by pcscd, once with the full expectations in --env and once with only the
// secrets (the rest read from the card), in text and JSON form.
func TestMdhost(t *testing.T) {
	lib := libPath(t)
	mdflowtest.NeedPcscd(t)
	bin := filepath.Join(t.TempDir(), "mdhost")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for i, v := range mdflowtest.Variants {
		t.Run(v.Name, func(t *testing.T) {
			card, env := mdflowtest.Card(t, v)
			mdflowtest.Serve(t, card)
			if i == 1 {
				secrets := mdflow.Env{PIN: env.PIN, PUK: env.PUK, MgmKey: env.MgmKey, MgmAlg: env.MgmAlg}
				env = secrets
			}
			envFile := filepath.Join(t.TempDir(), "env.json")
			if err := mdflow.WriteEnvFile(envFile, env); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "--lib", lib, "--reader", mdflowtest.Reader, "--env", envFile)
			out, err := cmd.CombinedOutput()
			t.Logf("mdhost output:\n%s", out)
			summary := regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed$`).FindSubmatch(out)
			if summary == nil {
				t.Fatalf("no summary line (%v)", err)
			}
			failed := string(summary[2]) != "0"
			if failed != (err != nil) {
				t.Errorf("%s failed flows but exit status %v", summary[2], err)
			}
			if bytes.Contains(out, []byte("FAIL ")) {
				t.Errorf("mdhost reported failures (exit %v)", err)
			}
			// JSON form, one flow.
			cmd = exec.Command(bin, "--lib", lib, "--reader", mdflowtest.Reader, "--env", envFile, "--json", "--run", "^files$")
			out, err = cmd.Output()
			var rep report
			if jerr := json.Unmarshal(out, &rep); jerr != nil || len(rep.Flows) != 1 || rep.Flows[0].Name != "files" {
				t.Errorf("--json: %v %v\n%s", err, jerr, out)
			} else if !rep.Flows[0].Pass || err != nil {
				t.Errorf("--json files: %+v, %v", rep.Flows[0], err)
			}
		})
	}
}
