// Command dll is cardmod's C ABI: built with -buildmode=c-shared it is cardmod.dll (Windows x64 and
// x86) and libcardmod.so (Linux, for native tests). Its one export, CardAcquireContext, fills the
// CARD_DATA function table with WINAPI thunks (shim.c) that call the Go functions of exports.go,
// which convert C arguments to Go values, call the engine and convert the results back.
//
// Rules this layer keeps:
//   - the context is found through pvVendorSpecific holding an id, never a Go pointer;
//   - NULL or misaligned pointers and wrong structure versions get the specification's error
//     codes before anything else happens;
//   - nothing panics across the boundary: a recovered panic becomes SCARD_F_INTERNAL_ERROR and is
//     logged;
//   - buffers handed to the caller come from pfnCspAlloc; the caller-owned slots
//     pfnCspGetDHAgreement and pfnCspUnpadData are never written;
//   - card I/O is SCardTransmit on the caller's hScard.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -std=gnu11 -Wall
#cgo windows LDFLAGS: -lwinscard
#include "shim.h"
*/
import "C"

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

func main() {}

// dll is the state of the loaded library. A DLL is a process-wide object, so this is the one
// place in the project with package-level state: the module (ATR table, session PINs), the
// table of live contexts, and the log.
var dll = struct {
	once     sync.Once
	module   *engine.Module
	log      *slog.Logger
	mu       sync.Mutex
	contexts map[uintptr]*abiContext
	next     uintptr
}{}

func initDLL() {
	dll.once.Do(func() {
		dll.log = slog.New(slog.DiscardHandler)
		if path := os.Getenv("CARDMOD_LOG"); path != "" {
			if f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
				dll.log = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
		}
		dll.module = engine.NewModuleWith(engine.Options{MgmKeyPolicy: loadMgmKeyPolicy(dll.log)})
		dll.contexts = map[uintptr]*abiContext{}
		var seed [4]byte
		_, _ = rand.Read(seed[:])
		// Context ids start at a random odd value, so a stale or forged pvVendorSpecific is
		// unlikely to name a live context.
		dll.next = uintptr(binary.LittleEndian.Uint32(seed[:])|1) << 4
	})
}

// The management key policy setting (packaging/README.md): what a write does on a card whose PIV
// management key is still the default. The environment variable wins over the registry value
// (Windows only: REG_SZ MgmKeyPolicy under HKLM\SOFTWARE\cardmod, read in the 64-bit view by
// both DLLs); a source that is absent or empty does not count. The values are those of
// engine.ParseMgmKeyPolicy (protect, refuse, keep; case-insensitive); an invalid value is logged
// and the safe default, protect, is used.
const (
	mgmPolicyEnv      = "CARDMOD_MGM_POLICY"
	mgmPolicyRegKey   = `SOFTWARE\cardmod`
	mgmPolicyRegValue = "MgmKeyPolicy"
)

// policySource is one place the policy can come from.
type policySource struct {
	name  string // for the log: "environment CARDMOD_MGM_POLICY", "registry HKLM\..."
	value string
	set   bool  // the source holds a value (non-empty)
	err   error // the source could not be read (logged; the next source counts)
}

// loadMgmKeyPolicy reads the policy from the environment, then the registry.
func loadMgmKeyPolicy(log *slog.Logger) engine.MgmKeyPolicy {
	v, ok := os.LookupEnv(mgmPolicyEnv)
	env := policySource{name: "environment " + mgmPolicyEnv, value: v, set: ok && strings.TrimSpace(v) != ""}
	return chooseMgmKeyPolicy(log, env, registryMgmKeyPolicy())
}

// chooseMgmKeyPolicy applies the rules to the sources, in order: the first one that is set
// decides.
func chooseMgmKeyPolicy(log *slog.Logger, sources ...policySource) engine.MgmKeyPolicy {
	for _, s := range sources {
		if s.err != nil {
			log.Warn("management key policy: cannot read the setting", "source", s.name, "err", s.err.Error())
			continue
		}
		if !s.set {
			continue
		}
		p, err := engine.ParseMgmKeyPolicy(s.value)
		if err != nil {
			log.Warn("management key policy: invalid setting ignored; using the default",
				"source", s.name, "value", s.value, "policy", engine.MgmKeyProtect.String())
			return engine.MgmKeyProtect
		}
		log.Info("management key policy", "source", s.name, "policy", p.String())
		return p
	}
	log.Info("management key policy", "source", "default", "policy", engine.MgmKeyProtect.String())
	return engine.MgmKeyProtect
}

// abiContext is one context: the engine's and the CARD_DATA it belongs to.
type abiContext struct {
	ctx  *engine.Context
	host *cHost
}

func register(c *abiContext) uintptr {
	dll.mu.Lock()
	defer dll.mu.Unlock()
	dll.next += 16
	id := dll.next
	dll.contexts[id] = c
	return id
}

func unregister(id uintptr) {
	dll.mu.Lock()
	defer dll.mu.Unlock()
	delete(dll.contexts, id)
}

// lookup finds the context of a CARD_DATA.
func lookup(p C.PCARD_DATA) (*abiContext, bool) {
	if p == nil {
		return nil, false
	}
	id := uintptr(C.cm_get_vendor(p))
	dll.mu.Lock()
	defer dll.mu.Unlock()
	c, ok := dll.contexts[id]
	if !ok || c.host.p != p {
		return nil, false
	}
	return c, true
}

// guard turns a panic into SCARD_F_INTERNAL_ERROR, logged with its stack.
func guard(ret *C.DWORD, fn string) {
	if r := recover(); r != nil {
		initDLL()
		dll.log.Error("panic in the minidriver", "function", fn, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*ret = C.DWORD(spec.SCardFInternalError)
	}
}

// status converts an engine error to the DWORD the caller gets, logging failures (the errors
// carry no secrets: the engine never puts a PIN or key in one).
func status(fn string, err error) C.DWORD {
	st := spec.StatusOf(err)
	if err != nil {
		dll.log.Debug("call failed", "function", fn, "status", st.Error(), "err", err.Error())
	}
	return C.DWORD(st)
}
