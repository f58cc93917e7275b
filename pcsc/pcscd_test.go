package pcsc

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/cardmod/cardmod/vcard"
	"github.com/cardmod/cardmod/vcard/vpcd"
)

// vpcdReader is the PC/SC name of vpcd's slot 0, served on vpcd.DefaultAddr.
const vpcdReader = "Virtual PCD 00 00"

// vpcdAddr is where vpcd listens for the card: vpcd.DefaultAddr, or
// $CARDMOD_VPCD_ADDR for a pcscd whose vpcd reader is configured on another
// port (for example an isolated pcscd beside a shared one).
func vpcdAddr() string {
	if a := os.Getenv("CARDMOD_VPCD_ADDR"); a != "" {
		return a
	}
	return vpcd.DefaultAddr
}

// presenceTimeout bounds the wait for pcscd to notice a card vpcd inserted
// or removed.
const presenceTimeout = 15 * time.Second

var (
	selectPIV = []byte{0x00, 0xA4, 0x04, 0x00, 0x0B,
		0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00}
	// GET DATA of the CHUID (5FC102), short form.
	getCHUIDShort = []byte{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x00}
	// The same in extended-length form: Lc = 00 0005, Le = 0000.
	getCHUIDExtended = []byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x00, 0x00}
)

// needPcscd skips tb unless scripts/with-pcscd.sh runs it.
func needPcscd(tb testing.TB) {
	tb.Helper()
	if os.Getenv("CARDMOD_PCSCD") != "1" {
		tb.Skip("needs pcscd with the vpcd driver: run make interop / scripts/with-pcscd.sh")
	}
}

// virtualCard is the project's virtual PIV card plugged into pcscd through
// vpcd; insert and remove it with serve and stop.
type virtualCard struct {
	tb     testing.TB
	card   *vcard.Card
	cancel context.CancelFunc
	done   chan error
}

func newVirtualCard(tb testing.TB) *virtualCard {
	tb.Helper()
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		tb.Fatalf("vcard.New: %v", err)
	}
	v := &virtualCard{tb: tb, card: card}
	tb.Cleanup(func() {
		if v.cancel != nil {
			v.stop()
			waitAbsent(tb)
		}
	})
	return v
}

// waitAbsent waits until pcscd has noticed that the card is gone, so that
// the next test does not connect to a card pcscd still believes present.
func waitAbsent(tb testing.TB) {
	tb.Helper()
	ctx, err := EstablishContext()
	if err != nil {
		tb.Errorf("EstablishContext: %v", err)
		return
	}
	defer func() { _ = ctx.Release() }()
	deadline := time.Now().Add(presenceTimeout)
	for time.Now().Before(deadline) {
		card, err := ctx.Connect(vpcdReader, ShareShared, ProtocolAny)
		if err != nil {
			return
		}
		_ = card.Disconnect(LeaveCard)
		time.Sleep(50 * time.Millisecond)
	}
	tb.Errorf("pcscd still sees a card in %q %v after its removal", vpcdReader, presenceTimeout)
}

// serve connects the card to vpcd (inserts it) in the background.
func (v *virtualCard) serve() {
	v.stop()
	ctx, cancel := context.WithCancel(context.Background())
	cl := &vpcd.Client{
		Addr:       vpcdAddr(),
		Card:       v.card,
		Logger:     slog.New(slog.DiscardHandler),
		MaxBackoff: 250 * time.Millisecond,
	}
	v.cancel, v.done = cancel, make(chan error, 1)
	go func(done chan<- error) { done <- cl.Serve(ctx) }(v.done)
}

// stop disconnects the card from vpcd (removes it) and waits for the
// client to finish.
func (v *virtualCard) stop() {
	if v.cancel == nil {
		return
	}
	v.cancel()
	if err := <-v.done; err != nil && !errors.Is(err, context.Canceled) {
		v.tb.Errorf("vpcd client: %v", err)
	}
	v.cancel, v.done = nil, nil
}

// connectWhenPresent polls Connect until pcscd sees the card.
func connectWhenPresent(tb testing.TB, ctx *Context, mode ShareMode) *Card {
	tb.Helper()
	deadline := time.Now().Add(presenceTimeout)
	for {
		card, err := ctx.Connect(vpcdReader, mode, ProtocolAny)
		if err == nil {
			return card
		}
		if !errors.Is(err, SCardENoSmartcard) && !errors.Is(err, SCardWRemovedCard) &&
			!errors.Is(err, SCardEUnknownReader) && !errors.Is(err, SCardEReaderUnavailable) &&
			!errors.Is(err, SCardWUnresponsiveCard) && !errors.Is(err, SCardWUnpoweredCard) {
			tb.Fatalf("Connect: %v", err)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the virtual card did not appear in %q within %v: %v", vpcdReader, presenceTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func establish(tb testing.TB) *Context {
	tb.Helper()
	ctx, err := EstablishContext()
	if err != nil {
		tb.Fatalf("EstablishContext: %v", err)
	}
	tb.Cleanup(func() { _ = ctx.Release() })
	return ctx
}

// transmitOK sends cmd and checks that the response ends with 90 00.
func transmitOK(tb testing.TB, k *Card, cmd []byte) []byte {
	tb.Helper()
	resp, err := k.Transmit(cmd)
	if err != nil {
		tb.Fatalf("Transmit(% X): %v", cmd, err)
	}
	if len(resp) < 2 || !bytes.Equal(resp[len(resp)-2:], []byte{0x90, 0x00}) {
		tb.Fatalf("Transmit(% X) = % X, want ... 90 00", cmd, resp)
	}
	return resp
}

// TestPcscdVirtualCard runs the whole API against pcscd with the vpcd reader
// and the project's virtual card.
func TestPcscdVirtualCard(t *testing.T) {
	needPcscd(t)
	vc := newVirtualCard(t)
	vc.serve()
	ctx := establish(t)

	readers, err := ctx.ListReaders()
	if err != nil {
		t.Fatalf("ListReaders: %v", err)
	}
	t.Logf("readers: %q", readers)
	if !slices.Contains(readers, vpcdReader) {
		t.Fatalf("ListReaders = %q, want it to contain %q", readers, vpcdReader)
	}

	card := connectWhenPresent(t, ctx, ShareShared)
	t.Logf("connected: handle 0x%x, protocol %v", card.Handle(), card.Protocol())
	if p := card.Protocol(); p != ProtocolT0 && p != ProtocolT1 {
		t.Errorf("active protocol %v, want T=0 or T=1", p)
	}

	reader, atr, err := card.Status()
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if reader != vpcdReader {
		t.Errorf("Status reader %q, want %q", reader, vpcdReader)
	}
	if !bytes.Equal(atr, vcard.ATR()) {
		t.Errorf("Status ATR % X, want % X", atr, vcard.ATR())
	}
	if got, err := card.GetAttrib(AttrATRString); err != nil {
		t.Logf("GetAttrib(ATR string): %v", err)
	} else if !bytes.Equal(got, vcard.ATR()) {
		t.Errorf("GetAttrib(ATR string) = % X, want % X", got, vcard.ATR())
	}

	resp := transmitOK(t, card, selectPIV)
	t.Logf("SELECT PIV: % X", resp)

	short := transmitOK(t, card, getCHUIDShort)
	t.Logf("GET DATA CHUID (short): %d bytes", len(short))
	if ext, err := card.Transmit(getCHUIDExtended); err != nil {
		t.Errorf("extended-length GET DATA does not pass through pcscd+vpcd: %v", err)
	} else {
		t.Logf("extended-length GET DATA passes through pcscd+vpcd: % X", ext[len(ext)-2:])
		if !bytes.Equal(ext, short) {
			t.Errorf("extended GET DATA = %s, short one = %s", hex.EncodeToString(ext), hex.EncodeToString(short))
		}
	}

	// Transact with two APDUs.
	var inside [][]byte
	err = card.Transact(func() error {
		for _, cmd := range [][]byte{selectPIV, getCHUIDShort} {
			r, err := card.Transmit(cmd)
			if err != nil {
				return err
			}
			inside = append(inside, r)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Transact: %v", err)
	}
	if len(inside) != 2 || !bytes.Equal(inside[1], short) {
		t.Errorf("Transact responses %x, want the CHUID second", inside)
	}
	fnErr := errors.New("fn failed")
	if err := card.Transact(func() error { return fnErr }); !errors.Is(err, fnErr) {
		t.Errorf("Transact returned %v, want fn's error", err)
	}

	testTransactionBlocks(t, card)

	if err := card.Disconnect(LeaveCard); err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if err := card.Disconnect(LeaveCard); err == nil {
		t.Errorf("second Disconnect succeeded")
	}
	if _, err := card.Transmit(selectPIV); err == nil {
		t.Errorf("Transmit after Disconnect succeeded")
	}

	testRemoval(t, ctx, vc)

	if err := ctx.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
}

// testTransactionBlocks checks that a transaction on card keeps a second
// connection's BeginTransaction waiting until EndTransaction. The second
// connection has its own Context, as another PC/SC client would.
func testTransactionBlocks(t *testing.T, card *Card) {
	ctx2 := establish(t)
	card2 := connectWhenPresent(t, ctx2, ShareShared)
	defer func() { _ = card2.Disconnect(LeaveCard) }()

	if err := card.BeginTransaction(); err != nil {
		t.Fatalf("BeginTransaction: %v", err)
	}
	began := make(chan error, 1)
	go func() { began <- card2.BeginTransaction() }()
	select {
	case err := <-began:
		_ = card.EndTransaction(LeaveCard)
		t.Fatalf("second BeginTransaction returned (%v) while the first transaction was held", err)
	case <-time.After(500 * time.Millisecond):
	}
	// The second connection must not get at the card meanwhile either.
	transmitOK(t, card, getCHUIDShort)
	ended := time.Now()
	if err := card.EndTransaction(LeaveCard); err != nil {
		t.Fatalf("EndTransaction: %v", err)
	}
	select {
	case err := <-began:
		if err != nil {
			t.Fatalf("second BeginTransaction: %v", err)
		}
		t.Logf("second BeginTransaction got the card %v after EndTransaction", time.Since(ended).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatalf("second BeginTransaction still blocked 5s after EndTransaction")
	}
	transmitOK(t, card2, selectPIV)
	if err := card2.EndTransaction(LeaveCard); err != nil {
		t.Errorf("second EndTransaction: %v", err)
	}
	if err := card2.EndTransaction(LeaveCard); !errors.Is(err, SCardENotTransacted) {
		t.Logf("EndTransaction without a transaction: %v", err)
	}
}

// testRemoval removes the card under a connection, checks that Transmit
// fails, then inserts it again and connects anew.
func testRemoval(t *testing.T, ctx *Context, vc *virtualCard) {
	card := connectWhenPresent(t, ctx, ShareShared)
	transmitOK(t, card, selectPIV)
	vc.stop()

	// Until pcscd's presence poll notices the removal, the reader driver
	// fails the exchange (pcscd reports SCARD_E_NOT_TRANSACTED); after it,
	// the handle reports SCARD_W_REMOVED_CARD.
	_, err := card.Transmit(selectPIV)
	if err == nil {
		t.Fatalf("Transmit right after the card was removed succeeded")
	}
	t.Logf("Transmit right after removal: %v", err)
	var code Error
	if !errors.As(err, &code) {
		t.Errorf("Transmit after removal: %v carries no PC/SC status", err)
	}
	deadline := time.Now().Add(presenceTimeout)
	for !errors.Is(err, SCardWRemovedCard) {
		if time.Now().After(deadline) {
			t.Fatalf("Transmit still reports %v, not SCARD_W_REMOVED_CARD, %v after the removal", err, presenceTimeout)
		}
		time.Sleep(50 * time.Millisecond)
		_, err = card.Transmit(selectPIV)
	}
	t.Logf("Transmit once pcscd noticed the removal: %v", err)
	if _, _, err := card.Status(); !errors.Is(err, SCardWRemovedCard) {
		t.Errorf("Status after removal: %v, want SCARD_W_REMOVED_CARD", err)
	}
	if err := card.Reconnect(ShareShared, ProtocolAny, LeaveCard); err == nil {
		t.Errorf("Reconnect without a card succeeded")
	} else {
		t.Logf("Reconnect without a card: %v", err)
	}
	_ = card.Disconnect(LeaveCard)
	if _, err := ctx.Connect(vpcdReader, ShareShared, ProtocolAny); !errors.Is(err, SCardENoSmartcard) {
		t.Errorf("Connect without a card: %v, want SCARD_E_NO_SMARTCARD", err)
	}

	vc.serve()
	card = connectWhenPresent(t, ctx, ShareShared)
	transmitOK(t, card, selectPIV)
	reader, atr, err := card.Status()
	if err != nil || reader != vpcdReader || !bytes.Equal(atr, vcard.ATR()) {
		t.Errorf("Status after re-insertion: %q % X %v", reader, atr, err)
	}
	if err := card.Disconnect(UnpowerCard); err != nil {
		t.Errorf("Disconnect: %v", err)
	}
}

// TestPcscdFromHandle wraps a connection's handle the way the minidriver
// wraps the Base CSP's hScard, with the protocol unknown.
func TestPcscdFromHandle(t *testing.T) {
	needPcscd(t)
	vc := newVirtualCard(t)
	vc.serve()
	ctx := establish(t)
	owner := connectWhenPresent(t, ctx, ShareShared)
	defer func() { _ = owner.Disconnect(LeaveCard) }()

	borrowed := FromHandle(owner.Handle(), ProtocolUndefined)
	transmitOK(t, borrowed, selectPIV)
	if borrowed.Protocol() != owner.Protocol() {
		t.Errorf("borrowed protocol %v, owner's %v", borrowed.Protocol(), owner.Protocol())
	}
	if err := borrowed.Disconnect(LeaveCard); err == nil {
		t.Errorf("Disconnect of a borrowed handle succeeded")
	}
	// The owner's connection is still there.
	transmitOK(t, owner, selectPIV)
}

// TestPcscdTransactAfterReset checks Transact's reconnect: another
// connection resets the card, so BeginTransaction reports SCARD_W_RESET_CARD.
func TestPcscdTransactAfterReset(t *testing.T) {
	needPcscd(t)
	vc := newVirtualCard(t)
	vc.serve()
	ctx := establish(t)
	card := connectWhenPresent(t, ctx, ShareShared)
	defer func() { _ = card.Disconnect(LeaveCard) }()
	transmitOK(t, card, selectPIV)

	other := connectWhenPresent(t, ctx, ShareShared)
	if err := other.Reconnect(ShareShared, ProtocolAny, ResetCard); err != nil {
		t.Fatalf("Reconnect(ResetCard): %v", err)
	}
	_ = other.Disconnect(LeaveCard)

	if err := card.BeginTransaction(); !errors.Is(err, SCardWResetCard) {
		t.Logf("BeginTransaction after another connection's reset: %v (expected SCARD_W_RESET_CARD)", err)
		if err == nil {
			_ = card.EndTransaction(LeaveCard)
		}
	}
	if err := card.Transact(func() error { transmitOK(t, card, selectPIV); return nil }); err != nil {
		t.Fatalf("Transact after a reset: %v", err)
	}
}

// BenchmarkTransmitVpcd measures one short APDU's round trip through
// pcsc-lite, pcscd, vpcd and the vpcd client to the virtual card.
func BenchmarkTransmitVpcd(b *testing.B) {
	needPcscd(b)
	vc := newVirtualCard(b)
	vc.serve()
	ctx := establish(b)
	card := connectWhenPresent(b, ctx, ShareShared)
	defer func() { _ = card.Disconnect(LeaveCard) }()
	transmitOK(b, card, selectPIV)
	cmd := []byte{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x00}
	for b.Loop() {
		if _, err := card.Transmit(cmd); err != nil {
			b.Fatalf("Transmit: %v", err)
		}
	}
}
