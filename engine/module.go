// Package engine is the cardmod minidriver: the functions of the CARD_DATA v7 table that the
// Windows Base CSP / Smart Card KSP calls, implemented in Go for PIV cards (NIST SP 800-73-4,
// YubiKeys and compatible cards). The C ABI (cardmod.dll) is a thin layer over it; Go programs,
// the mdtool CLI and the tests drive it directly.
//
// A Module is the loaded minidriver (one per process in the DLL); a Context is what
// CardAcquireContext creates for one card connection. Every Context method is the Go form of one
// CARD_DATA function, with the same checks and the same error codes (spec.Status values wrapped
// in the returned error; spec.StatusOf extracts them).
package engine

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// Version range of CARD_DATA this minidriver serves.
const (
	MinimumVersion = 4
	CurrentVersion = 7
)

// ATREntry names a card by its ATR: the ATR matches when (atr AND Mask) == (ATR AND Mask), or,
// for entries with a Match function, when Match says so.
type ATREntry struct {
	Name  string
	ATR   []byte
	Mask  []byte
	Match func(atr []byte) bool
	// Extended says the card takes extended-length APDUs (fewer round trips); cards not known
	// to are driven with short APDUs, command chaining and GET RESPONSE, which every PIV card
	// supports.
	Extended bool
}

func (e ATREntry) matches(atr []byte) bool {
	if e.Match != nil {
		return e.Match(atr)
	}
	if len(atr) != len(e.ATR) {
		return false
	}
	for i := range atr {
		m := byte(0xFF)
		if i < len(e.Mask) {
			m = e.Mask[i]
		}
		if atr[i]&m != e.ATR[i]&m {
			return false
		}
	}
	return true
}

// historical returns the historical bytes of an ATR (ISO 7816-3), or nil when the ATR cannot be
// parsed.
func historical(atr []byte) []byte {
	if len(atr) < 2 {
		return nil
	}
	k := int(atr[1] & 0x0F)
	i := 1
	y := atr[1] >> 4
	for {
		for bit := 0; bit < 4; bit++ {
			if y&(1<<bit) != 0 {
				i++
			}
		}
		if y&0x8 == 0 {
			break
		}
		if i >= len(atr) {
			return nil
		}
		y = atr[i] >> 4
	}
	i++
	if i+k > len(atr) {
		return nil
	}
	return atr[i : i+k]
}

// KnownCards is the built-in table of supported cards: the cardmod virtual PIV card, YubiKeys
// (every model whose historical bytes name it) and the ATRs of PIV cards commonly deployed.
var KnownCards = []ATREntry{
	{Name: "cardmod virtual PIV", Extended: true, Match: func(atr []byte) bool { return string(historical(atr)) == "cardmod-piv" }},
	{Name: "YubiKey", Extended: true, Match: func(atr []byte) bool {
		return strings.Contains(strings.ToLower(string(historical(atr))), "yubikey")
	}},
}

// Module is the loaded minidriver. It holds what all contexts of a process share: the table of
// supported cards and the session PINs (which Windows may present in a context other than the
// one that issued them).
type Module struct {
	cards    []ATREntry
	sessions sessionStore
	policy   MgmKeyPolicy
	random   io.Reader
}

// Options configure a Module.
type Options struct {
	// Cards are accepted in addition to KnownCards.
	Cards []ATREntry
	// MgmKeyPolicy is what writes do on a card that still has the default management key.
	MgmKeyPolicy MgmKeyPolicy
	// Random is the source of new management keys (crypto/rand when nil).
	Random io.Reader
}

// NewModule returns a module that accepts KnownCards and the extra entries given, with the
// default options.
func NewModule(extra ...ATREntry) *Module {
	return NewModuleWith(Options{Cards: extra})
}

// NewModuleWith returns a module configured by opts.
func NewModuleWith(opts Options) *Module {
	m := &Module{cards: append(append([]ATREntry(nil), KnownCards...), opts.Cards...), policy: opts.MgmKeyPolicy,
		random: opts.Random}
	if m.random == nil {
		m.random = rand.Reader
	}
	m.sessions.init()
	return m
}

// MgmKeyPolicy returns the module's management key policy.
func (m *Module) MgmKeyPolicy() MgmKeyPolicy { return m.policy }

// ExtendedLength reports whether the card with this ATR is known to take extended-length APDUs.
func (m *Module) ExtendedLength(atr []byte) bool {
	for _, e := range m.cards {
		if e.matches(atr) {
			return e.Extended
		}
	}
	return false
}

// KnownATR reports whether the module supports a card with this ATR.
func (m *Module) KnownATR(atr []byte) (string, bool) {
	for _, e := range m.cards {
		if e.matches(atr) {
			return e.Name, true
		}
	}
	return "", false
}

// AcquireParams is what the caller put in CARD_DATA before calling CardAcquireContext.
type AcquireParams struct {
	// Version is the requested CARD_DATA version (dwVersion in).
	Version uint32
	// ATR is pbAtr/cbAtr; nil stands for a NULL pbAtr.
	ATR []byte
	// CardName is pwszCardName; HasCardName false stands for NULL.
	CardName    string
	HasCardName bool
	// Flags is dwFlags: 0 or spec.CardSecureKeyInjectionNoCardMode.
	Flags uint32
	// Host is the caller's callbacks; nil stands for NULL allocation callbacks.
	Host Host
	// Card carries APDUs to the card (SCardTransmit on hScard); nil stands for NULL hSCardCtx or
	// hScard.
	Card apdu.Transport
	// ExtendedLength sends long commands and reads long responses in one extended APDU.
	ExtendedLength bool
}

// AcquireContext is CardAcquireContext. It checks the parameters in the order the specification
// and real callers expect, negotiates the version (the context's Version is what the caller reads
// back in dwVersion) and, with a card, selects the PIV application.
func (m *Module) AcquireContext(p AcquireParams) (*Context, error) {
	if p.Flags&^spec.CardSecureKeyInjectionNoCardMode != 0 {
		return nil, spec.Errorf(spec.SCardEInvalidParameter, "CardAcquireContext: unknown flags %#x", p.Flags)
	}
	noCard := p.Flags&spec.CardSecureKeyInjectionNoCardMode != 0
	if !noCard {
		if p.Card == nil {
			return nil, spec.Errorf(spec.SCardEInvalidHandle, "CardAcquireContext: no card handle")
		}
		if p.ATR == nil {
			return nil, spec.Errorf(spec.SCardEInvalidParameter, "CardAcquireContext: NULL ATR")
		}
		if !p.HasCardName {
			return nil, spec.Errorf(spec.SCardEInvalidParameter, "CardAcquireContext: NULL card name")
		}
		if len(p.ATR) < 2 || len(p.ATR) > 33 {
			return nil, spec.Errorf(spec.SCardEInvalidParameter, "CardAcquireContext: ATR of %d bytes", len(p.ATR))
		}
		if p.ATR[0] != 0x3B && p.ATR[0] != 0x3F {
			return nil, spec.Errorf(spec.SCardEUnknownCard, "CardAcquireContext: invalid ATR")
		}
	}
	if p.Host == nil {
		return nil, spec.Errorf(spec.SCardEInvalidParameter, "CardAcquireContext: NULL allocation callbacks")
	}
	if p.Version < MinimumVersion {
		return nil, spec.Errorf(spec.ErrorRevisionMismatch, "CardAcquireContext: version %d below %d", p.Version, MinimumVersion)
	}
	if !noCard {
		if _, ok := m.KnownATR(p.ATR); !ok {
			return nil, spec.Errorf(spec.SCardEUnknownCard, "CardAcquireContext: ATR %X is not a supported card", p.ATR)
		}
	}
	c := &Context{
		module:     m,
		version:    min(p.Version, CurrentVersion),
		noCard:     noCard,
		host:       p.Host,
		atr:        bytes.Clone(p.ATR),
		name:       p.CardName,
		pending:    map[string]bool{},
		agreements: map[byte]*agreement{},
		keys:       map[uintptr]*symKey{},
	}
	if noCard {
		return c, nil
	}
	c.piv = piv.NewClient(watcher{t: p.Card, gone: &c.cardGone}, piv.ClientOptions{ExtendedLength: p.ExtendedLength})
	if _, err := c.piv.Select(); err != nil {
		if _, isSW := swOf(err); isSW {
			return nil, spec.Errorf(spec.SCardEUnknownCard, "CardAcquireContext: no PIV application: %v", err)
		}
		return nil, cardError("CardAcquireContext", err)
	}
	return c, nil
}

// sessionStore keeps the session PINs of a module: each maps to the PIN it stands for, kept
// encrypted under a key derived from the session PIN itself, so that the store alone never
// reveals a PIN.
type sessionStore struct {
	mu      sync.Mutex
	entries map[string]sessionEntry // key: hex of SHA-256(session PIN)
}

func (s *sessionStore) init() { s.entries = map[string]sessionEntry{} }

func (m *Module) String() string {
	return fmt.Sprintf("cardmod minidriver (%d card types)", len(m.cards))
}
