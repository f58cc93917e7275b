package mdflow

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/cardmod/cardmod/spec"
)

// T is what a flow reports to: *testing.T implements it, and so does cmd/mdhost's runner.
// Fatalf must not return (testing.T.Fatalf exits the goroutine; Runner panics and recovers).
type T interface {
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Helper()
}

// Flow is one named flow of the suite.
type Flow struct {
	Name string
	Run  func(t T, md Minidriver, env Env)
}

// Flows is the suite, in the order it runs. Every flow acquires its own contexts, leaves the card
// as it found it (PIN, PUK and management key unchanged, logged out) and deletes its contexts,
// checking that no caller-allocated buffer is left.
var Flows = []Flow{
	{"acquire/version", flowVersion},
	{"acquire/errors", flowAcquireErrors},
	{"acquire/no-card-mode", flowNoCardMode},
	{"properties", flowProperties},
	{"properties/container", flowContainerProperties},
	{"files", flowFiles},
	{"containers", flowContainers},
	{"pin", flowPIN},
	{"pin/change-unblock", flowPINChangeUnblock},
	{"sign/rsa", flowSignRSA},
	{"sign/ecdsa", flowSignECDSA},
	{"sign/errors", flowSignErrors},
	{"decrypt", flowDecrypt},
	{"dh/agree-derive", flowDHAgreeDerive},
	{"dh/key-handle", flowDHKeyHandle},
	{"dh/get-agreement-callback", flowDHGetAgreement},
	{"session-pin", flowSessionPIN},
	{"admin", flowAdmin},
	{"deauthenticate", flowDeauthenticate},
	{"bad-parameters", flowBadParameters},
	{"bad-parameters/null-pointers", flowNullPointers},
	{"stubs", flowStubs},
	{"enroll/rsa", flowEnrollRSA},
	{"enroll/ecc", flowEnrollECC},
	{"enroll/import", flowEnrollImport},
	{"enroll/files", flowEnrollFiles},
	{"enroll/errors", flowEnrollErrors},
	{"delete", flowDelete},
}

// Run runs one flow and then the minidriver's audit (Auditor), reporting each ABI violation as
// an error.
func Run(t T, md Minidriver, env Env, f Flow) {
	t.Helper()
	defer Audit(t, md)
	f.Run(t, md, env)
}

// Audit reports the violations an Auditor minidriver collected.
func Audit(t T, md Minidriver) {
	t.Helper()
	if a, ok := md.(Auditor); ok {
		for _, v := range a.Audit() {
			t.Errorf("ABI violation: %s", v)
		}
	}
}

// ContainerInfoSize is sizeof(CONTAINER_INFO) in this process (40 on 64-bit, 24 on 32-bit).
var ContainerInfoSize = uint32(16 + 3*unsafe.Sizeof(uintptr(0)))

// PtrSize is the pointer size of this process (and of the library it loads).
const PtrSize = int(unsafe.Sizeof(uintptr(0)))

// want checks that err carries st (spec.Success: err is nil).
func want(t T, err error, st spec.Status, what string, args ...any) bool {
	t.Helper()
	got := spec.StatusOf(err)
	if got != st {
		t.Errorf("%s: got %s, want %s", fmt.Sprintf(what, args...), describe(err), st)
		return false
	}
	return true
}

// must fails the flow when err is not nil.
func must(t T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// open acquires a normal version 7 context.
func open(t T, md Minidriver, env Env) Context {
	t.Helper()
	c, err := md.Acquire(env.Params())
	if err != nil {
		t.Fatalf("CardAcquireContext: %v", err)
	}
	if c.Version() != 7 {
		t.Errorf("CardAcquireContext: dwVersion %d, want 7", c.Version())
	}
	return c
}

// done deletes a context and checks that every buffer allocated through it was freed.
func done(t T, c Context) {
	t.Helper()
	if err := c.Delete(); err != nil {
		t.Errorf("CardDeleteContext: %v", err)
	}
	if n := c.LiveAllocations(); n != 0 {
		t.Errorf("%d buffers allocated with pfnCspAlloc are still live after CardDeleteContext", n)
	}
}

// logout leaves the card without a verified PIN.
func logout(t T, c Context) {
	t.Helper()
	if err := c.DeauthenticateEx(spec.PINSetAllRoles, 0); err != nil {
		t.Errorf("CardDeauthenticateEx(PIN_SET_ALL_ROLES): %v", err)
	}
}

// authState reads CP_CARD_AUTHENTICATED_STATE.
func authState(t T, c Context) spec.PINSet {
	t.Helper()
	v, err := c.GetProperty(spec.CPCardAuthenticatedState, 0)
	if err != nil || len(v) != 4 {
		t.Errorf("CP_CARD_AUTHENTICATED_STATE: %x %v", v, err)
		return 0
	}
	return spec.PINSet(leU32(v))
}

func leU32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// isNotFilled reports an ABI slot left NULL.
func isNotFilled(err error) bool { return errors.Is(err, ErrNotFilled) }
