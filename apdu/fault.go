package apdu

import (
	"errors"
	"fmt"
	"sync"
)

// ErrInjectedFault is wrapped by the error a [FaultTransport] returns for every command after its
// budget: the command was not sent.
var ErrInjectedFault = errors.New("apdu: injected transport fault")

// FaultTransport is a [Transport] wrapper for fault-injection tests: it passes the first
// failAfter commands to the wrapped transport and refuses every later one with an error wrapping
// [ErrInjectedFault], without sending anything, as if the card had been pulled out after
// failAfter commands. [FaultTransport.Reset] starts a new budget and [FaultTransport.Heal] lets
// everything through again. Each Transmit call counts as one command (a chained part and a GET
// RESPONSE are commands too).
//
// A typical test runs a multi-command operation with failAfter = 0, 1, 2, ... until it succeeds,
// checking after each cut that the card is left in a consistent state.
//
// FaultTransport is safe for concurrent use; the decision to pass or refuse a command is taken
// under a lock, and the wrapped transport is called outside it.
type FaultTransport struct {
	t Transport

	mu        sync.Mutex
	failAfter int
	passed    int
	refused   int
	healed    bool
}

// NewFaultTransport returns a FaultTransport passing the first failAfter commands to t (a
// negative failAfter counts as 0: every command fails).
func NewFaultTransport(t Transport, failAfter int) *FaultTransport {
	return &FaultTransport{t: t, failAfter: max(failAfter, 0)}
}

// Transmit sends cmd over the wrapped transport while the budget lasts (or after Heal); otherwise
// it returns an error wrapping [ErrInjectedFault] and sends nothing.
func (f *FaultTransport) Transmit(cmd []byte) ([]byte, error) {
	if f.t == nil {
		return nil, errors.New("apdu: fault transport has no transport")
	}
	f.mu.Lock()
	if !f.healed && f.passed >= f.failAfter {
		f.refused++
		n := f.passed + f.refused
		f.mu.Unlock()
		return nil, fmt.Errorf("%w (command %d, after %d passed)", ErrInjectedFault, n, f.failAfter)
	}
	f.passed++
	f.mu.Unlock()
	return f.t.Transmit(cmd)
}

// Passed returns the number of commands passed to the wrapped transport since creation or the
// last Reset (whether the wrapped transport then succeeded or not).
func (f *FaultTransport) Passed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.passed
}

// Refused returns the number of commands refused with [ErrInjectedFault] since creation or the
// last Reset.
func (f *FaultTransport) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Failing reports whether the next command would be refused.
func (f *FaultTransport) Failing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.healed && f.passed >= f.failAfter
}

// Reset zeroes the counters and starts a new budget of failAfter commands (negative counts as
// 0); it also ends a Heal.
func (f *FaultTransport) Reset(failAfter int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAfter = max(failAfter, 0)
	f.passed, f.refused, f.healed = 0, 0, false
}

// Heal lets every later command through (they are still counted in Passed) until the next Reset.
func (f *FaultTransport) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.healed = true
}
