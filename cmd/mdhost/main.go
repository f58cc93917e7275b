// Command mdhost runs the minidriver flow suite (package mdflow) through the C ABI of a cardmod
// library (cardmod.dll on Windows or under Wine, libcardmod.so on Linux) against the card in a
// PC/SC reader, as the Windows Base CSP would drive it.
//
//	mdhost --lib PATH --reader NAME [--env FILE] [--run REGEXP] [--json] [-v] [--measure]
//
// It provisions nothing: the card is prepared by whoever launches mdhost, which passes the
// expectations (PIN, PUK, management key, and optionally the CHUID GUID and certificates) in the
// JSON file --env (mdflow.Env). What the file lacks is read from the card (the GUID and the
// certificates); the ATR is the one SCardStatus reports.
//
// It prints one line per flow, "PASS name" or "FAIL name: reasons", then "N passed, N failed"
// (with --json, one JSON document instead), and exits 0 when every flow passed, 1 when one
// failed and 2 when it could not run.
//
// With --measure it first prints one line (before the flows; in --json, the "measure" object)
//
//	measure: load+acquire 12.3 ms, memory +4.5 MB (working set 10.0 -> 14.5 MB)
//
// the wall time from just before loading the library (which includes connecting to the reader)
// to just after the first CardAcquireContext and CardDeleteContext of a context on the card, and
// the process's resident memory (Linux: VmRSS; Windows: the working set) before and after; MB
// are MiB. Meaningful in a fresh process, which mdhost is.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/mdflow/abi"
)

// result is the outcome of one flow.
type result struct {
	Name   string   `json:"name"`
	Pass   bool     `json:"pass"`
	Errors []string `json:"errors,omitempty"`
	Logs   []string `json:"logs,omitempty"`
}

// report is the --json output.
type report struct {
	Library string       `json:"library"`
	Reader  string       `json:"reader"`
	ATR     string       `json:"atr"`
	Measure *measurement `json:"measure,omitempty"`
	Flows   []result     `json:"flows"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
}

// measurement is what --measure reports.
type measurement struct {
	LoadAcquireMs float64 `json:"load_acquire_ms"`
	BeforeBytes   uint64  `json:"working_set_before_bytes"`
	AfterBytes    uint64  `json:"working_set_after_bytes"`
}

const mib = 1 << 20

func (m measurement) String() string {
	return fmt.Sprintf("measure: load+acquire %.1f ms, memory %+.1f MB (working set %.1f -> %.1f MB)",
		m.LoadAcquireMs, (float64(m.AfterBytes)-float64(m.BeforeBytes))/mib,
		float64(m.BeforeBytes)/mib, float64(m.AfterBytes)/mib)
}

// acquireDelete acquires a normal context on the card and deletes it.
func acquireDelete(md *abi.Minidriver, env mdflow.Env) error {
	c, err := md.Acquire(env.Params())
	if err != nil {
		return err
	}
	return c.Delete()
}

// runT implements mdflow.T for one flow: errors are collected, Fatalf stops the flow.
type runT struct {
	errs []string
	logs []string
}

type fatal struct{}

func (r *runT) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *runT) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}
func (r *runT) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *runT) Helper() {}

// runFlow runs one flow, turning a Fatalf into the end of the flow and any other panic into a
// failure (so that one broken flow does not stop the suite).
func runFlow(md mdflow.Minidriver, env mdflow.Env, f mdflow.Flow) (res result) {
	t := &runT{}
	res.Name = f.Name
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(fatal); !ok {
				t.errs = append(t.errs, fmt.Sprintf("panic: %v\n%s", p, debug.Stack()))
			}
		}
		res.Errors, res.Logs, res.Pass = t.errs, t.logs, len(t.errs) == 0
	}()
	mdflow.Run(t, md, env, f)
	return
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mdhost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lib := fs.String("lib", "", "the minidriver library (cardmod.dll, libcardmod.so)")
	reader := fs.String("reader", "", "the PC/SC reader holding the card")
	envFile := fs.String("env", "", "JSON file with the expectations (mdflow.Env: pin, puk, mgm_key, ...); defaults: the virtual card's")
	runRe := fs.String("run", "", "run only the flows whose name matches this regular expression")
	asJSON := fs.Bool("json", false, "print one JSON document instead of text lines")
	verbose := fs.Bool("v", false, "print the flows' log lines too")
	list := fs.Bool("list", false, "list the flows and exit")
	measure := fs.Bool("measure", false, "first print the time and memory of loading the library and acquiring and deleting a first context")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *list {
		for _, f := range mdflow.Flows {
			fmt.Fprintln(stdout, f.Name)
		}
		return 0
	}
	if *lib == "" || *reader == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: mdhost --lib PATH --reader NAME [--env FILE] [--run REGEXP] [--json] [-v] [--measure]")
		return 2
	}
	var filter *regexp.Regexp
	if *runRe != "" {
		var err error
		if filter, err = regexp.Compile(*runRe); err != nil {
			fmt.Fprintf(stderr, "mdhost: --run: %v\n", err)
			return 2
		}
	}
	env := mdflow.NewEnv()
	if *envFile != "" {
		var err error
		if env, err = mdflow.ReadEnvFile(*envFile); err != nil {
			fmt.Fprintf(stderr, "mdhost: %v\n", err)
			return 2
		}
	}
	var meas *measurement
	var start time.Time
	if *measure {
		before, err := residentBytes()
		if err != nil {
			fmt.Fprintf(stderr, "mdhost: --measure: %v\n", err)
			return 2
		}
		meas = &measurement{BeforeBytes: before}
		start = time.Now()
	}
	md, err := abi.Open(*lib, abi.Options{Reader: *reader})
	if err != nil {
		fmt.Fprintf(stderr, "mdhost: %v\n", err)
		return 2
	}
	defer md.Close()
	if atr := md.ATR(); atr != nil {
		env.ATR = atr
	}
	var measureViolations []string
	if meas != nil {
		if err := acquireDelete(md, env); err != nil {
			fmt.Fprintf(stderr, "mdhost: --measure: %v\n", err)
			return 2
		}
		meas.LoadAcquireMs = float64(time.Since(start).Microseconds()) / 1000
		if meas.AfterBytes, err = residentBytes(); err != nil {
			fmt.Fprintf(stderr, "mdhost: --measure: %v\n", err)
			return 2
		}
		if !*asJSON {
			fmt.Fprintln(stdout, meas)
		}
		// Violations of the measuring calls are reported here, not in the first flow.
		measureViolations = md.Audit()
	}
	if err := md.Transact(func() error { return env.FillFromCard(md.Card()) }); err != nil {
		fmt.Fprintf(stderr, "mdhost: reading the card: %v\n", err)
		return 2
	}
	if err := env.Check(); err != nil {
		fmt.Fprintf(stderr, "mdhost: %v\n", err)
		return 2
	}
	rep := report{Library: *lib, Reader: *reader, ATR: fmt.Sprintf("%X", []byte(env.ATR)), Measure: meas}
	if len(measureViolations) != 0 {
		res := result{Name: "measure"}
		for _, v := range measureViolations {
			res.Errors = append(res.Errors, "ABI violation: "+v)
		}
		rep.Flows = append(rep.Flows, res)
		rep.Failed++
		if !*asJSON {
			fmt.Fprintf(stdout, "FAIL %s: %s\n", res.Name, strings.Join(res.Errors, "; "))
		}
	}
	for _, f := range mdflow.Flows {
		if filter != nil && !filter.MatchString(f.Name) {
			continue
		}
		res := runFlow(md, env, f)
		rep.Flows = append(rep.Flows, res)
		if res.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
		if *asJSON {
			continue
		}
		if res.Pass {
			fmt.Fprintf(stdout, "PASS %s\n", res.Name)
		} else {
			fmt.Fprintf(stdout, "FAIL %s: %s\n", res.Name, strings.Join(oneLine(res.Errors), "; "))
		}
		if *verbose {
			for _, l := range res.Logs {
				fmt.Fprintf(stdout, "    %s\n", l)
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "mdhost: %v\n", err)
			return 2
		}
	} else {
		fmt.Fprintf(stdout, "%d passed, %d failed\n", rep.Passed, rep.Failed)
	}
	if rep.Failed != 0 {
		return 1
	}
	if len(rep.Flows) == 0 {
		fmt.Fprintln(stderr, "mdhost: no flow matched --run")
		return 2
	}
	return 0
}

// oneLine keeps each message on one line (a panic's stack is cut to its first line).
func oneLine(msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		first, _, _ := strings.Cut(m, "\n")
		out[i] = first
	}
	return out
}
