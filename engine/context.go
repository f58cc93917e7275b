package engine

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// Context is one minidriver context (CARD_DATA.pvVendorSpecific): the state of one card
// connection. Its methods are safe for concurrent use; calls are serialized, as the Base CSP's
// transactions serialize them.
type Context struct {
	module  *Module
	version uint32
	noCard  bool
	host    Host
	atr     []byte
	name    string
	piv     *piv.Client

	mu      sync.Mutex
	deleted bool
	card    cardModel // what this context knows of the card
	auth    authState // volatile authentication state
	props   propState // properties set by the caller
	// pending names the certificate files created (CardCreateFile) and not yet written.
	pending map[string]bool
	// agreements are the ECDH secrets (CardConstructDHAgreement), keys the symmetric key
	// handles (CardDeriveKey with CARD_RETURN_KEY_HANDLE).
	agreements map[byte]*agreement
	keys       map[uintptr]*symKey
	// cardGone is set by the transport watcher when the card was reset or removed: the next
	// call drops what did not survive (agreements, key handles, authentication state).
	cardGone atomic.Bool
}

// Version returns the negotiated CARD_DATA version (dwVersion out).
func (c *Context) Version() uint32 { return c.version }

// NoCardMode reports whether the context was acquired with CARD_SECURE_KEY_INJECTION_NO_CARD_MODE.
func (c *Context) NoCardMode() bool { return c.noCard }

// Stats returns the APDU traffic of this context.
func (c *Context) Stats() apdu.Stats {
	if c.piv == nil {
		return apdu.Stats{}
	}
	return c.piv.Stats()
}

// ResetStats zeroes the APDU counters.
func (c *Context) ResetStats() {
	if c.piv != nil {
		c.piv.ResetStats()
	}
}

// enter locks the context for one call and checks that the call is allowed: the context must not
// be deleted, and in no-card mode only the secure key injection functions may run.
func (c *Context) enter(fn string, allowedNoCard bool) (func(), error) {
	c.mu.Lock()
	if c.deleted {
		c.mu.Unlock()
		return nil, spec.Errorf(spec.SCardEInvalidParameter, "%s: context deleted", fn)
	}
	if c.noCard && !allowedNoCard {
		c.mu.Unlock()
		return nil, spec.Errorf(spec.SCardEInvalidParameter, "%s: not allowed in no-card mode", fn)
	}
	if c.cardGone.Swap(false) {
		c.dropVolatile()
	}
	return c.mu.Unlock, nil
}

// dropVolatile forgets what does not survive a card reset or removal: agreements, key handles,
// the authentication state and what the context knows of the card's objects.
func (c *Context) dropVolatile() {
	c.wipeAgreements()
	c.wipeKeys()
	c.auth.wipe()
	c.card.loaded = false
	c.card.discovered = nil
	clear(c.pending)
}

// watcher is the context's transport: it notices a card reset or removal reported by PC/SC.
type watcher struct {
	t    apdu.Transport
	gone *atomic.Bool
}

// Transmit forwards and flags a reset or removed card.
func (w watcher) Transmit(cmd []byte) ([]byte, error) {
	rsp, err := w.t.Transmit(cmd)
	if err != nil {
		var sc statusCoder
		if errors.As(err, &sc) {
			switch spec.Status(sc.PCSCStatus()) {
			case spec.SCardWResetCard, spec.SCardWRemovedCard, spec.SCardENoSmartcard:
				w.gone.Store(true)
			}
		}
	}
	return rsp, err
}

// DeleteContext is CardDeleteContext: it wipes every secret the context holds. It works with the
// card removed; the context cannot be used afterwards.
func (c *Context) DeleteContext() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deleted {
		return spec.Errorf(spec.SCardEInvalidParameter, "CardDeleteContext: context already deleted")
	}
	c.deleted = true
	c.dropVolatile()
	c.card = cardModel{}
	return nil
}

// unsupported is the answer of the functions that later work will implement.
func unsupported(fn string) error {
	return spec.Errorf(spec.SCardEUnsupportedFeature, "%s is not supported", fn)
}

// swOf extracts the status word of a card error.
func swOf(err error) (apdu.SW, bool) {
	var sw apdu.SW
	if errors.As(err, &sw) {
		return sw, true
	}
	return 0, false
}

// statusCoder is implemented by transport errors that carry a PC/SC status (pcsc.Error).
type statusCoder interface {
	error
	PCSCStatus() uint32
}

// cardError turns an error from the card or the transport into a minidriver error: a status word
// the caller did not expect becomes SCARD_E_UNEXPECTED, a transport failure keeps its PC/SC code
// (card removed, reset) or becomes SCARD_E_COMM_DATA_LOST.
func cardError(fn string, err error) error {
	if err == nil {
		return nil
	}
	var st spec.Status
	if errors.As(err, &st) {
		return err
	}
	if sw, ok := swOf(err); ok {
		switch sw {
		case apdu.SWSecurityStatusNotSatisfied:
			return spec.Errorf(spec.SCardWSecurityViolation, "%s: %v", fn, err)
		case apdu.SWAuthMethodBlocked:
			return spec.Errorf(spec.SCardWCHVBlocked, "%s: %v", fn, err)
		}
		return spec.Errorf(spec.SCardEUnexpected, "%s: %v", fn, err)
	}
	var sc statusCoder
	if errors.As(err, &sc) {
		return spec.Errorf(spec.Status(sc.PCSCStatus()), "%s: %v", fn, err)
	}
	return spec.Errorf(spec.SCardECommDataLost, "%s: %v", fn, err)
}

// alloc copies data into a buffer from the caller's allocator.
func (c *Context) alloc(data []byte) ([]byte, error) {
	buf := c.host.Alloc(len(data))
	if buf == nil {
		return nil, spec.Errorf(spec.ErrorNotEnoughMemory, "the caller's allocator failed")
	}
	copy(buf, data)
	return buf, nil
}

// checkFlagsZero rejects reserved flags.
func checkFlagsZero(fn string, flags uint32) error {
	if flags != 0 {
		return spec.Errorf(spec.SCardEInvalidParameter, "%s: flags %#x must be 0", fn, flags)
	}
	return nil
}

func errf(st spec.Status, format string, args ...any) error {
	return spec.Errorf(st, format, args...)
}
