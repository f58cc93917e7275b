// Package pcsc is a thin PC/SC client: it talks to smart cards through the
// platform's resource manager, pcsc-lite (libpcsclite.so.1, loaded at run
// time with purego, so neither cgo nor the -dev package is needed) on Linux
// and the BSDs, the PCSC framework on macOS, and winscard.dll on Windows.
//
// The API is the same everywhere:
//
//	ctx, err := pcsc.EstablishContext()
//	if errors.Is(err, pcsc.ErrNoPCSC) { ... } // no library or no service
//	defer ctx.Release()
//	readers, err := ctx.ListReaders()
//	card, err := ctx.Connect(readers[0], pcsc.ShareShared, pcsc.ProtocolAny)
//	defer card.Disconnect(pcsc.LeaveCard)
//	resp, err := card.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x00})
//
// A *Card implements the apdu.Transport interface (Transmit). Errors reported
// by the PC/SC library wrap an Error, so errors.Is(err, pcsc.SCardWRemovedCard)
// and the like work.
//
// # Global state
//
// The only package-level mutable state is the PC/SC library handle, loaded
// once on first use (EstablishContext or FromHandle) under a sync.Once and
// never unloaded. If loading fails, the failure is remembered and every later
// attempt reports it (as an error wrapping ErrNoPCSC).
//
// # Concurrency
//
// The methods of Context and Card are safe for concurrent use. Card.Transmit
// calls are serialized by a mutex per Card (an APDU exchange is never
// interleaved with another on the same handle, and the receive buffer is
// reused). BeginTransaction is called without holding that mutex, since it
// may block until another PC/SC client ends its transaction; nothing in this
// package then keeps other Cards or the Context from being used (with
// pcsc-lite 1.9.9 even a Card of the same Context can end its transaction
// while another one waits in BeginTransaction).
package pcsc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// RecvBufferSize is the size of the receive buffer Card.Transmit offers the
// PC/SC library: 65536 bytes of response data plus SW1 SW2, the largest
// response an extended-length APDU (Le = 0000) can ask for.
const RecvBufferSize = 65536 + 2

// maxSendSize bounds the length of a command APDU: header, 3-byte Lc,
// 65535 data bytes and a 3-byte Le (pcsc-lite's MAX_BUFFER_SIZE_EXTENDED
// allows a little more, this is what ISO 7816-4 allows).
const maxSendSize = 4 + 3 + 65535 + 3

// scopeSystem is SCARD_SCOPE_SYSTEM.
const scopeSystem = 2

// ShareMode is the dwShareMode of SCardConnect and SCardReconnect.
type ShareMode uint32

// Share modes.
const (
	// ShareExclusive (SCARD_SHARE_EXCLUSIVE) keeps other applications from
	// connecting to the card.
	ShareExclusive ShareMode = 1
	// ShareShared (SCARD_SHARE_SHARED) lets other applications connect;
	// use transactions to keep a sequence of APDUs atomic.
	ShareShared ShareMode = 2
	// ShareDirect (SCARD_SHARE_DIRECT) connects to the reader even without
	// a card, for direct control of the reader.
	ShareDirect ShareMode = 3
)

// String returns the SCARD_SHARE_* name of the mode.
func (m ShareMode) String() string {
	switch m {
	case ShareExclusive:
		return "SCARD_SHARE_EXCLUSIVE"
	case ShareShared:
		return "SCARD_SHARE_SHARED"
	case ShareDirect:
		return "SCARD_SHARE_DIRECT"
	}
	return fmt.Sprintf("ShareMode(%d)", uint32(m))
}

// Protocol is a set of SCARD_PROTOCOL_* bits: the preferred protocols given to
// Connect, or the single active protocol of a connection.
type Protocol uint32

// Protocols.
const (
	// ProtocolUndefined (SCARD_PROTOCOL_UNDEFINED) is no protocol: the active
	// protocol of a ShareDirect connection without a card, or "unknown" for
	// FromHandle.
	ProtocolUndefined Protocol = 0
	// ProtocolT0 is SCARD_PROTOCOL_T0.
	ProtocolT0 Protocol = 1
	// ProtocolT1 is SCARD_PROTOCOL_T1.
	ProtocolT1 Protocol = 2
	// ProtocolRaw is SCARD_PROTOCOL_RAW (pcsc-lite: 4; Windows' 0x10000 is
	// not supported by this package).
	ProtocolRaw Protocol = 4
	// ProtocolAny (SCARD_PROTOCOL_T0|SCARD_PROTOCOL_T1) lets the reader pick.
	ProtocolAny = ProtocolT0 | ProtocolT1
)

// String returns a readable form such as "T=1" or "T=0|T=1".
func (p Protocol) String() string {
	if p == ProtocolUndefined {
		return "undefined"
	}
	var parts []string
	rest := p
	for _, b := range []struct {
		bit  Protocol
		name string
	}{{ProtocolT0, "T=0"}, {ProtocolT1, "T=1"}, {ProtocolRaw, "raw"}} {
		if rest&b.bit != 0 {
			parts = append(parts, b.name)
			rest &^= b.bit
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%X", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// Disposition says what to do with the card when a connection or a
// transaction ends (SCARD_LEAVE_CARD etc.), or how to initialize it on
// Reconnect.
type Disposition uint32

// Dispositions.
const (
	// LeaveCard (SCARD_LEAVE_CARD) does nothing to the card.
	LeaveCard Disposition = 0
	// ResetCard (SCARD_RESET_CARD) warm-resets the card.
	ResetCard Disposition = 1
	// UnpowerCard (SCARD_UNPOWER_CARD) powers the card down (a cold reset on
	// Reconnect).
	UnpowerCard Disposition = 2
	// EjectCard (SCARD_EJECT_CARD) ejects the card, if the reader can.
	EjectCard Disposition = 3
)

// String returns the SCARD_* name of the disposition.
func (d Disposition) String() string {
	switch d {
	case LeaveCard:
		return "SCARD_LEAVE_CARD"
	case ResetCard:
		return "SCARD_RESET_CARD"
	case UnpowerCard:
		return "SCARD_UNPOWER_CARD"
	case EjectCard:
		return "SCARD_EJECT_CARD"
	}
	return fmt.Sprintf("Disposition(%d)", uint32(d))
}

// Attribute identifiers for Card.GetAttrib (SCARD_ATTR_*; the same values on
// pcsc-lite and Windows).
const (
	AttrVendorName         uint32 = 0x00010100 // SCARD_ATTR_VENDOR_NAME
	AttrVendorIFDType      uint32 = 0x00010101 // SCARD_ATTR_VENDOR_IFD_TYPE
	AttrVendorIFDVersion   uint32 = 0x00010102 // SCARD_ATTR_VENDOR_IFD_VERSION
	AttrVendorIFDSerialNo  uint32 = 0x00010103 // SCARD_ATTR_VENDOR_IFD_SERIAL_NO
	AttrChannelID          uint32 = 0x00020110 // SCARD_ATTR_CHANNEL_ID
	AttrMaxInput           uint32 = 0x0007A007 // SCARD_ATTR_MAXINPUT
	AttrATRString          uint32 = 0x00090303 // SCARD_ATTR_ATR_STRING
	AttrCurrentProtocol    uint32 = 0x00080201 // SCARD_ATTR_CURRENT_PROTOCOL_TYPE
	AttrDeviceFriendlyName uint32 = 0x7FFF0003 // SCARD_ATTR_DEVICE_FRIENDLY_NAME_A
)

var (
	errReleased     = errors.New("pcsc: context already released")
	errDisconnected = errors.New("pcsc: card already disconnected")
	errBorrowed     = errors.New("pcsc: the card handle belongs to its creator (FromHandle): not disconnecting it")
)

// library state: loaded once, see the package documentation.
var (
	libOnce sync.Once
	libVal  *library
	libErr  error
)

// defaultLibrary loads the platform's PC/SC library on first use and returns
// it, or the error (wrapping ErrNoPCSC) that loading gave.
func defaultLibrary() (*library, error) {
	libOnce.Do(func() {
		libVal, libErr = loadLibrary(defaultLibraryNames...)
	})
	return libVal, libErr
}

// Context is a PC/SC resource manager context (SCARDCONTEXT). Its methods are
// safe for concurrent use.
type Context struct {
	lib      *library
	mu       sync.Mutex
	h        uintptr
	released bool
}

// EstablishContext connects to the PC/SC resource manager with
// SCARD_SCOPE_SYSTEM. When the PC/SC library cannot be loaded or the service
// is not running (SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED), the error
// wraps ErrNoPCSC (and, for the latter, the Error as well).
func EstablishContext() (*Context, error) {
	lib, err := defaultLibrary()
	if err != nil {
		return nil, err
	}
	return establishContext(lib)
}

// establishContext is EstablishContext with a given library.
func establishContext(lib *library) (*Context, error) {
	h, rc := lib.establishContext(scopeSystem)
	switch rc {
	case scardSuccess:
		return &Context{lib: lib, h: h}, nil
	case SCardENoService, SCardEServiceStopped:
		return nil, fmt.Errorf("pcsc: SCardEstablishContext: %w: %w", ErrNoPCSC, rc)
	}
	return nil, callError("SCardEstablishContext", rc)
}

// Handle returns the raw SCARDCONTEXT, or 0 after Release.
func (c *Context) Handle() uintptr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return 0
	}
	return c.h
}

// handle returns the context handle, or errReleased.
func (c *Context) handle() (uintptr, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return 0, errReleased
	}
	return c.h, nil
}

// Release releases the context (SCardReleaseContext). Cards connected
// through it should be disconnected first. Releasing twice is an error.
func (c *Context) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.released {
		return errReleased
	}
	c.released = true
	return callError("SCardReleaseContext", c.lib.releaseContext(c.h))
}

// ListReaders returns the names of the readers known to the resource
// manager. No readers is not an error: the list is then empty.
func (c *Context) ListReaders() ([]string, error) {
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	readers, rc := c.lib.listReaders(h)
	if rc == SCardENoReadersAvailable {
		return []string{}, nil
	}
	if err := callError("SCardListReaders", rc); err != nil {
		return nil, err
	}
	return readers, nil
}

// Connect connects to the card in the named reader (SCardConnect), with the
// given share mode and preferred protocols. Without a card it fails with
// SCardENoSmartcard (or SCardWRemovedCard while a card is being removed).
func (c *Context) Connect(reader string, mode ShareMode, proto Protocol) (*Card, error) {
	if strings.IndexByte(reader, 0) >= 0 {
		return nil, fmt.Errorf("pcsc: SCardConnect: reader name %q contains a NUL byte", reader)
	}
	h, err := c.handle()
	if err != nil {
		return nil, err
	}
	card, active, rc := c.lib.connect(h, reader, uint32(mode), uint32(proto))
	if err := callError(fmt.Sprintf("SCardConnect(%q, %v, %v)", reader, mode, proto), rc); err != nil {
		return nil, err
	}
	return &Card{lib: c.lib, h: card, proto: Protocol(active), mode: mode, pref: proto, owned: true}, nil
}

// Card is a connection to a card (SCARDHANDLE), made by Context.Connect or
// wrapped by FromHandle. Its methods are safe for concurrent use; Transmit
// calls are serialized by a mutex.
type Card struct {
	lib    *library
	libErr error // FromHandle when the library could not be loaded

	mu     sync.Mutex
	h      uintptr
	proto  Protocol  // active protocol; ProtocolUndefined: ask SCardStatus
	mode   ShareMode // share mode of Connect, for Transact's reconnect
	pref   Protocol  // preferred protocols of Connect
	owned  bool      // false for FromHandle: never disconnect
	closed bool
	recv   []byte // receive buffer, allocated on first Transmit
}

// FromHandle wraps a SCARDHANDLE that someone else connected and owns, such
// as the hScard that the Windows Base CSP passes to a minidriver in
// CARD_DATA. proto is the connection's active protocol (ProtocolT0 or
// ProtocolT1); ProtocolUndefined or ProtocolAny make the first Transmit ask
// SCardStatus for it.
//
// Transmit, Status, GetAttrib and the transaction methods work on the
// borrowed handle. Disconnect does not disconnect it (the owner does): it
// only makes the Card unusable and returns an error saying so. Transact does
// not reconnect a borrowed handle after a reset; it returns the
// SCardWResetCard error instead. If the PC/SC library cannot be loaded, every
// method reports that error.
func FromHandle(h uintptr, proto Protocol) *Card {
	lib, err := defaultLibrary()
	if proto != ProtocolT0 && proto != ProtocolT1 && proto != ProtocolRaw {
		proto = ProtocolUndefined
	}
	return &Card{lib: lib, libErr: err, h: h, proto: proto}
}

// Handle returns the raw SCARDHANDLE (0 after Disconnect).
func (k *Card) Handle() uintptr {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return 0
	}
	return k.h
}

// Protocol returns the active protocol of the connection as last reported by
// Connect or Reconnect (ProtocolUndefined for a FromHandle card whose
// protocol has not been looked up yet).
func (k *Card) Protocol() Protocol {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.proto
}

// handle returns the card handle, or why the card cannot be used.
func (k *Card) handle() (uintptr, error) {
	if k.libErr != nil {
		return 0, k.libErr
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return 0, errDisconnected
	}
	return k.h, nil
}

// Transmit sends one command APDU and returns the response APDU, including
// SW1 SW2 (SCardTransmit). It implements apdu.Transport. The receive buffer
// holds RecvBufferSize bytes, enough for extended-length responses; whether
// extended APDUs get through depends on the reader and its driver. The
// returned slice is a fresh copy owned by the caller.
func (k *Card) Transmit(cmd []byte) ([]byte, error) {
	if k.libErr != nil {
		return nil, k.libErr
	}
	if len(cmd) == 0 {
		return nil, errors.New("pcsc: SCardTransmit: empty command APDU")
	}
	if len(cmd) > maxSendSize {
		return nil, fmt.Errorf("pcsc: SCardTransmit: command APDU of %d bytes is longer than %d", len(cmd), maxSendSize)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, errDisconnected
	}
	if k.proto == ProtocolUndefined {
		_, _, proto, _, rc := k.lib.status(k.h)
		if err := callError("SCardStatus (protocol of the borrowed handle)", rc); err != nil {
			return nil, err
		}
		k.proto = Protocol(proto)
	}
	if k.recv == nil {
		k.recv = make([]byte, RecvBufferSize)
	}
	n, rc := k.lib.transmit(k.h, uint32(k.proto), cmd, k.recv)
	if err := callError("SCardTransmit", rc); err != nil {
		return nil, err
	}
	if n < 0 || n > len(k.recv) {
		return nil, fmt.Errorf("pcsc: SCardTransmit: library reported %d response bytes for a %d-byte buffer", n, len(k.recv))
	}
	return append([]byte(nil), k.recv[:n]...), nil
}

// BeginTransaction starts a transaction (SCardBeginTransaction): until
// EndTransaction, other PC/SC clients cannot use the card. It blocks while
// another client holds a transaction on the card. If the card was reset by
// someone else since the last call, it fails with SCardWResetCard and the
// connection needs a Reconnect (Transact does that).
func (k *Card) BeginTransaction() error {
	h, err := k.handle()
	if err != nil {
		return err
	}
	return callError("SCardBeginTransaction", k.lib.beginTransaction(h))
}

// EndTransaction ends the transaction started by BeginTransaction
// (SCardEndTransaction), doing d to the card.
func (k *Card) EndTransaction(d Disposition) error {
	h, err := k.handle()
	if err != nil {
		return err
	}
	return callError(fmt.Sprintf("SCardEndTransaction(%v)", d), k.lib.endTransaction(h, uint32(d)))
}

// Transact runs fn inside BeginTransaction and EndTransaction(LeaveCard), so
// that the APDUs fn sends are atomic with respect to other PC/SC clients. If
// BeginTransaction reports SCardWResetCard (the card was reset by another
// client), Transact reconnects once with the Connect parameters and retries;
// fn then runs on a freshly reset card, so it must not rely on earlier state
// such as a selected application or a verified PIN. The transaction is ended
// even when fn fails; fn's error is returned as is (joined with the
// EndTransaction error if both fail).
func (k *Card) Transact(fn func() error) error {
	err := k.BeginTransaction()
	if errors.Is(err, SCardWResetCard) && k.owned {
		k.mu.Lock()
		mode, pref := k.mode, k.pref
		k.mu.Unlock()
		if rerr := k.Reconnect(mode, pref, LeaveCard); rerr != nil {
			return fmt.Errorf("pcsc: transact: reconnecting after a reset: %w", rerr)
		}
		err = k.BeginTransaction()
	}
	if err != nil {
		return fmt.Errorf("pcsc: transact: %w", err)
	}
	fnErr := fn()
	endErr := k.EndTransaction(LeaveCard)
	if fnErr != nil {
		if endErr != nil {
			return errors.Join(fnErr, endErr)
		}
		return fnErr
	}
	return endErr
}

// Status returns the name of the reader and the card's ATR (SCardStatus).
func (k *Card) Status() (reader string, atr []byte, err error) {
	h, err := k.handle()
	if err != nil {
		return "", nil, err
	}
	reader, _, _, atr, rc := k.lib.status(h)
	if err := callError("SCardStatus", rc); err != nil {
		return "", nil, err
	}
	return reader, atr, nil
}

// GetAttrib returns a reader or card attribute (SCardGetAttrib), such as
// AttrVendorName or AttrATRString. Which attributes exist depends on the
// reader driver; a missing one usually gives SCardEUnsupportedFeature.
func (k *Card) GetAttrib(id uint32) ([]byte, error) {
	h, err := k.handle()
	if err != nil {
		return nil, err
	}
	val, rc := k.lib.getAttrib(h, id)
	if err := callError(fmt.Sprintf("SCardGetAttrib(0x%08X)", id), rc); err != nil {
		return nil, err
	}
	return val, nil
}

// Reconnect re-establishes the connection (SCardReconnect) with a new share
// mode and preferred protocols, doing init to the card first (LeaveCard
// after someone else reset it; ResetCard or UnpowerCard to reset it). The
// new parameters are also the ones Transact reconnects with.
func (k *Card) Reconnect(mode ShareMode, proto Protocol, init Disposition) error {
	if k.libErr != nil {
		return k.libErr
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return errDisconnected
	}
	active, rc := k.lib.reconnect(k.h, uint32(mode), uint32(proto), uint32(init))
	if err := callError(fmt.Sprintf("SCardReconnect(%v, %v, %v)", mode, proto, init), rc); err != nil {
		return err
	}
	k.proto, k.mode, k.pref = Protocol(active), mode, proto
	return nil
}

// Disconnect closes the connection (SCardDisconnect), doing d to the card.
// The Card cannot be used afterwards. For a card made by FromHandle it only
// marks the Card closed and returns an error: the handle's owner disconnects
// it.
func (k *Card) Disconnect(d Disposition) error {
	if k.libErr != nil {
		return k.libErr
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return errDisconnected
	}
	k.closed = true
	k.recv = nil
	if !k.owned {
		return errBorrowed
	}
	return callError(fmt.Sprintf("SCardDisconnect(%v)", d), k.lib.disconnect(k.h, uint32(d)))
}
