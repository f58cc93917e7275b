package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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

// Targets of the load cost (--measure): loading the library and acquiring a first context under
// 50 ms, adding under 20 MB to the process.
const (
	targetLoadMs = 50
	targetMemMB  = 20
)

var measureRe = regexp.MustCompile(`(?m)^measure: load\+acquire ([0-9.]+) ms, memory ([+-][0-9.]+) MB \(working set ([0-9.]+) -> ([0-9.]+) MB\)\r?$`)

// logMeasure logs the --measure line of out and whether the targets are met; it fails only
// when the line is missing or unparsable.
func logMeasure(t *testing.T, out []byte) {
	t.Helper()
	m := measureRe.FindSubmatch(out)
	if m == nil {
		t.Errorf("no --measure line")
		return
	}
	var v [4]float64
	for i := range v {
		var err error
		if v[i], err = strconv.ParseFloat(string(m[i+1]), 64); err != nil {
			t.Errorf("--measure line %q: %v", m[0], err)
			return
		}
	}
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	t.Logf("%s", bytes.TrimRight(m[0], "\r"))
	t.Logf("targets: load+acquire %.1f ms < %d ms: %s; memory %+.1f MB < %d MB: %s",
		v[0], targetLoadMs, met(v[0] < targetLoadMs), v[1], targetMemMB, met(v[1] < targetMemMB))
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
			cmd := exec.Command(bin, "--lib", lib, "--reader", mdflowtest.Reader, "--env", envFile, "--measure")
			out, err := cmd.CombinedOutput()
			t.Logf("mdhost output:\n%s", out)
			logMeasure(t, out)
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
			cmd = exec.Command(bin, "--lib", lib, "--reader", mdflowtest.Reader, "--env", envFile, "--json", "--run", "^files$", "--measure")
			out, err = cmd.Output()
			var rep report
			if jerr := json.Unmarshal(out, &rep); jerr != nil || len(rep.Flows) != 1 || rep.Flows[0].Name != "files" {
				t.Errorf("--json: %v %v\n%s", err, jerr, out)
			} else if !rep.Flows[0].Pass || err != nil {
				t.Errorf("--json files: %+v, %v", rep.Flows[0], err)
			} else if m := rep.Measure; m == nil || m.LoadAcquireMs <= 0 || m.AfterBytes == 0 {
				t.Errorf("--json --measure: measure %+v", m)
			}
		})
	}
}
