// Package mdflowtest provides what the tests of the flow suite share: virtual cards provisioned
// with the standard keys (with and without the map object), their Env, and serving a card to
// pcscd through vpcd.
package mdflowtest

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/pcsc"
	"github.com/cardmod/cardmod/vcard"
	"github.com/cardmod/cardmod/vcard/vpcd"
)

// Reader is vpcd's slot 0 in pcscd.
const Reader = "Virtual PCD 00 00"

// Variant is a way of provisioning the test card.
type Variant struct {
	Name string
	// Map writes the map object (5FFF10), as enrollment through the minidriver leaves it; the
	// engine then keeps certificates in the caller's cache.
	Map bool
}

// Variants are the cards every suite runs on.
var Variants = []Variant{{Name: "piv-tools"}, {Name: "map-object", Map: true}}

// Card provisions a virtual card with enginetest.StandardKeys and returns it with its Env.
func Card(t testing.TB, v Variant) (*vcard.Card, mdflow.Env) {
	t.Helper()
	p := enginetest.Provision(t, enginetest.StandardKeys)
	if v.Map {
		enginetest.WriteMap(t, p, enginetest.StandardKeys)
	}
	env := mdflow.NewEnv()
	for slot, der := range p.Certs {
		env.SetCert(slot, der)
	}
	if err := env.FillFromCard(p.Card); err != nil {
		t.Fatal(err)
	}
	p.Card.Reset()
	if err := env.Check(); err != nil {
		t.Fatal(err)
	}
	return p.Card, env
}

// NeedPcscd skips the test unless scripts/with-pcscd.sh runs it.
func NeedPcscd(t testing.TB) {
	t.Helper()
	if os.Getenv("CARDMOD_PCSCD") != "1" {
		t.Skip("needs pcscd with the vsmartcard-vpcd reader: run under scripts/with-pcscd.sh (make interop), which sets CARDMOD_PCSCD=1")
	}
}

// VPCDAddr is where vpcd listens: $CARDMOD_VPCD_ADDR or vpcd.DefaultAddr.
func VPCDAddr() string {
	if a := os.Getenv("CARDMOD_VPCD_ADDR"); a != "" {
		return a
	}
	return vpcd.DefaultAddr
}

// Serve plugs card into pcscd through vpcd until the test ends (then waits until pcscd sees it
// gone), and waits until pcscd sees it.
func Serve(t testing.TB, card *vcard.Card) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cl := &vpcd.Client{Addr: VPCDAddr(), Card: card, Logger: slog.New(slog.DiscardHandler), MaxBackoff: 250 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- cl.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("vpcd client: %v", err)
		}
		waitPresence(t, false)
	})
	waitPresence(t, true)
}

// waitPresence polls the reader until the card is (or is no longer) there.
func waitPresence(t testing.TB, present bool) {
	t.Helper()
	pctx, err := pcsc.EstablishContext()
	if err != nil {
		t.Fatalf("SCardEstablishContext: %v", err)
	}
	defer pctx.Release()
	deadline := time.Now().Add(15 * time.Second)
	for {
		card, err := pctx.Connect(Reader, pcsc.ShareShared, pcsc.ProtocolAny)
		if err == nil {
			card.Disconnect(pcsc.LeaveCard)
		}
		if (err == nil) == present {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("card in %q: want present=%v after 15s (%v)", Reader, present, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
