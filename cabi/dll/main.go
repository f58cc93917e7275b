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
		dll.module = engine.NewModule()
		dll.contexts = map[uintptr]*abiContext{}
		var seed [4]byte
		_, _ = rand.Read(seed[:])
		// Context ids start at a random odd value, so a stale or forged pvVendorSpecific is
		// unlikely to name a live context.
		dll.next = uintptr(binary.LittleEndian.Uint32(seed[:])|1) << 4
		dll.log = slog.New(slog.DiscardHandler)
		if path := os.Getenv("CARDMOD_LOG"); path != "" {
			if f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
				dll.log = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
		}
	})
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
