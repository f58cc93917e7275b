package csp_test

import (
	"testing"

	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/spec"
)

// TestRenewKeyRepeatedly: deleting a container and creating one again, as a user who renews a
// key does, works any number of times. PIV cannot erase a key, so CardDeleteContainer leaves the
// old key in its slot; an engine that took such a key for "a key another tool put there" (on cards
// that answer GET METADATA) never reused the slot, and after 21 rounds answered SCARD_E_NO_MEMORY
// "every PIV key slot is in use" on a card holding a single container (engine 99b0b8e).
func TestRenewKeyRepeatedly(t *testing.T) {
	p := enginetest.Provision(t, nil)
	c := open(t, engine.NewModule(), p.Card)
	c.login(t)
	for round := range 30 {
		idx, _, err := c.s.CreateKey(csp.KeyOptions{KeySpec: spec.ATECDSAP256})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := c.s.DeleteKey(idx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
