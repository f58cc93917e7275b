// Package vcard is a software PIV card: the PIV card application of NIST SP 800-73-4 part 2 with the
// YubiKey PIV extensions that provisioning tools rely on. It answers command APDUs exactly as a
// card would (status words included), keeps its state in a file replaced atomically after every
// change, and is plugged in-process (Card implements apdu.Transport) or into pcscd through the
// vpcd driver (package vcard/vpcd).
package vcard

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
)

// Defaults of a new card.
var (
	DefaultPIN    = []byte("123456")
	DefaultPUK    = []byte("12345678")
	DefaultMgmKey = []byte{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}
	// DefaultVersion is the YubiKey firmware version the card reports (GET VERSION); tools enable
	// features (metadata, AES management keys, attestation) from it.
	DefaultVersion = [3]byte{5, 7, 1}
)

// History is the text in the card's historical bytes: it names this project so that a host (for
// example Windows' smart card registry) can map the card to our minidriver.
const History = "cardmod-piv"

// ATR returns the answer-to-reset of every cardmod virtual card: T=0 and T=1 offered, the
// historical bytes spelling History, and the check byte TCK.
func ATR() []byte {
	atr := []byte{0x3B, 0x80 | byte(len(History)), 0x80, 0x01}
	atr = append(atr, History...)
	var tck byte
	for _, b := range atr[1:] {
		tck ^= b
	}
	return append(atr, tck)
}

// Limits of the card's memory, close to what a YubiKey 5 holds.
const (
	// MaxObjectSize is the largest data object content PUT DATA accepts.
	MaxObjectSize = 3052
	// Capacity is the total number of bytes all data objects may occupy.
	Capacity = 51200
	// maxCommandData bounds the data of one (chained) command.
	maxCommandData = 8192
)

// Options configure a new card. Zero values select the defaults.
type Options struct {
	PIN, PUK   []byte // 6 to 8 bytes; default 123456 and 12345678
	PINRetries int    // default 3
	PUKRetries int    // default 3
	MgmAlg     byte   // piv.Alg3DES (default), AlgAES128, AlgAES192 or AlgAES256
	MgmKey     []byte // default 0102030405060708 three times (3DES)
	Serial     uint32 // default random
	Version    [3]byte
	// Rand is the source of randomness; crypto/rand when nil.
	Rand io.Reader
	// Now gives the time for certificates and the CHUID expiry; time.Now when nil.
	Now func() time.Time
}

// Card is one virtual PIV card. It is safe for concurrent use: commands are processed one at a
// time, as a card does.
type Card struct {
	mu    sync.Mutex
	st    *State
	store Store // nil: memory only
	rand  io.Reader
	now   func() time.Time

	// Volatile state, cleared on power-on and reset.
	pinVerified bool
	pinFresh    bool // PIN verified and not yet used by a PIN-always key
	mgmAuthed   bool
	mgmPending  mgmChallenge
	chain       apdu.ChainAssembler
	resp        apdu.ResponseQueue
	keys        map[byte]crypto.Signer // parsed keys, rebuilt after each state change
}

type mgmKind int

const (
	mgmNone mgmKind = iota
	mgmWitness
	mgmChallengeSent
)

type mgmChallenge struct {
	kind  mgmKind
	value []byte // witness (plain) or the challenge sent
}

// New creates a card in memory with a fresh state.
func New(opts Options) (*Card, error) {
	st, err := newState(&opts)
	if err != nil {
		return nil, err
	}
	return newCard(st, nil, opts.Rand, opts.Now), nil
}

// Create creates a new card whose state lives in the file at path. It fails if the file exists.
func Create(path string, opts Options) (*Card, error) {
	fs := FileStore{Path: path}
	exists, err := fs.Exists()
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, fmt.Errorf("create card: %s already exists", path)
	}
	st, err := newState(&opts)
	if err != nil {
		return nil, err
	}
	data, err := st.Marshal()
	if err != nil {
		return nil, err
	}
	if err := fs.Save(data); err != nil {
		return nil, err
	}
	return newCard(st, fs, opts.Rand, opts.Now), nil
}

// Open loads the card whose state is in the file at path. A damaged file gives an error wrapping
// ErrCorrupt and is left untouched.
func Open(path string) (*Card, error) {
	fs := FileStore{Path: path}
	st, err := fs.Load()
	if err != nil {
		return nil, err
	}
	return newCard(st, fs, nil, nil), nil
}

// OpenOrCreate opens the card in path, or creates it with opts when the file does not exist.
// created tells which happened. A damaged file is never replaced.
func OpenOrCreate(path string, opts Options) (c *Card, created bool, err error) {
	exists, err := FileStore{Path: path}.Exists()
	if err != nil {
		return nil, false, err
	}
	if exists {
		c, err = Open(path)
		return c, false, err
	}
	c, err = Create(path, opts)
	return c, err == nil, err
}

func newCard(st *State, store Store, rnd io.Reader, now func() time.Time) *Card {
	if rnd == nil {
		rnd = rand.Reader
	}
	if now == nil {
		now = time.Now
	}
	c := &Card{st: st, store: store, rand: rnd, now: now}
	c.chain.MaxData = maxCommandData
	c.loadKeys()
	return c
}

// loadKeys parses the slot keys of the current state. Keys were validated when the state was
// loaded or built, so a failure here means a bug; such a slot is left out and answers as empty.
func (c *Card) loadKeys() {
	c.keys = make(map[byte]crypto.Signer, len(c.st.Keys))
	for slot, k := range c.st.Keys {
		if s, err := parseKey(k); err == nil {
			c.keys[slot] = s
		}
	}
}

// ATR returns the card's answer-to-reset.
func (c *Card) ATR() []byte { return ATR() }

// PowerOn is a cold start: the security status and any pending exchange are cleared.
func (c *Card) PowerOn() { c.Reset() }

// PowerOff removes power; the next command starts from a cleared security status.
func (c *Card) PowerOff() { c.Reset() }

// Reset is a warm reset: the security status and any pending exchange are cleared.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetVolatile()
}

func (c *Card) resetVolatile() {
	c.pinVerified, c.pinFresh, c.mgmAuthed = false, false, false
	c.clearPending()
	c.chain.Reset()
	c.resp.Reset()
}

func (c *Card) clearPending() {
	clear(c.mgmPending.value)
	c.mgmPending = mgmChallenge{}
}

// Transmit processes one command APDU and returns the response APDU. It never fails: every
// problem is answered with a status word, as a card does. The error result exists so that Card
// satisfies apdu.Transport.
func (c *Card) Transmit(raw []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, sw := c.process(raw)
	out := make([]byte, len(data)+2)
	copy(out, data)
	out[len(data)], out[len(data)+1] = byte(sw>>8), byte(sw)
	return out, nil
}

// process is the command dispatcher: ISO transport (parsing, CLA, chaining, GET RESPONSE) first,
// then the PIV instruction.
func (c *Card) process(raw []byte) ([]byte, apdu.SW) {
	cmd, err := apdu.ParseCommand(raw)
	if err != nil {
		c.chain.Reset()
		c.resp.Reset()
		return nil, apdu.SWWrongLength
	}
	if cmd.CLA&^0x10 != 0 {
		c.chain.Reset()
		c.resp.Reset()
		return nil, apdu.SWCLANotSupported
	}
	if cmd.INS == piv.InsGetResponse && !cmd.Chained() {
		if cmd.P1 != 0 || cmd.P2 != 0 {
			return nil, apdu.SWIncorrectP1P2
		}
		if !c.resp.Pending() {
			return nil, apdu.SWConditionsNotSatisfied
		}
		return c.resp.Next(cmd.Ne)
	}
	c.resp.Reset()
	full, done, sw := c.chain.Add(cmd)
	if !done {
		return nil, sw
	}
	if full.INS != piv.InsGeneralAuth {
		// A management key challenge is only good for the command right after it.
		c.clearPending()
	}
	data, sw := c.dispatch(full)
	if sw != apdu.SWOK {
		return nil, sw
	}
	ne := full.Ne
	if ne == 0 {
		// No Le: answer as if Le were 00, so that hosts that omit Le still get their data.
		ne = 256
	}
	return c.resp.Split(data, ne)
}

// dispatch runs one complete command.
func (c *Card) dispatch(cmd apdu.Command) ([]byte, apdu.SW) {
	switch cmd.INS {
	case piv.InsSelect:
		return c.cmdSelect(cmd)
	case piv.InsGetData:
		return c.cmdGetData(cmd)
	case piv.InsPutData:
		return c.cmdPutData(cmd)
	case piv.InsVerify:
		return c.cmdVerify(cmd)
	case piv.InsChangeReference:
		return c.cmdChangeReference(cmd)
	case piv.InsResetRetryCounter:
		return c.cmdResetRetryCounter(cmd)
	case piv.InsGeneralAuth:
		return c.cmdGeneralAuthenticate(cmd)
	case piv.InsGenerateAsymmetric:
		return c.cmdGenerate(cmd)
	case piv.InsGetVersion:
		return c.cmdGetVersion(cmd)
	case piv.InsGetSerial:
		return c.cmdGetSerial(cmd)
	case piv.InsImportKey:
		return c.cmdImportKey(cmd)
	case piv.InsSetMgmKey:
		return c.cmdSetMgmKey(cmd)
	case piv.InsReset:
		return c.cmdReset(cmd)
	case piv.InsSetPINRetries:
		return c.cmdSetPINRetries(cmd)
	case piv.InsGetMetadata:
		return c.cmdGetMetadata(cmd)
	case piv.InsAttest:
		return c.cmdAttest(cmd)
	}
	return nil, apdu.SWINSNotSupported
}

// errSave marks a failure to persist the state; the command answers 6581 (memory failure).
var errSave = errors.New("state not saved")

// update applies fn to a copy of the state, saves the copy and only then makes it current. If fn
// or the save fails, the card keeps its previous state.
func (c *Card) update(fn func(s *State) error) error {
	ns := c.st.clone()
	if err := fn(ns); err != nil {
		return err
	}
	if c.store != nil {
		data, err := ns.Marshal()
		if err != nil {
			return fmt.Errorf("%w: %v", errSave, err)
		}
		if err := c.store.Save(data); err != nil {
			return fmt.Errorf("%w: %v", errSave, err)
		}
	}
	c.st = ns
	c.loadKeys()
	return nil
}

// swFor maps an update error to a status word: a save failure is a memory failure, a status word
// returned by fn is passed on.
func swFor(err error) apdu.SW {
	var sw swError
	if errors.As(err, &sw) {
		return apdu.SW(sw)
	}
	return apdu.SWMemoryFailure
}

// swError lets a state-changing function reject the command with a status word.
type swError apdu.SW

func (e swError) Error() string { return apdu.SW(e).String() }

// Snapshot returns a deep copy of the card's current state (for inspection and tests).
func (c *Card) Snapshot() *State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.clone()
}

// SameState reports whether two states are identical (used by tests to prove a rejected command
// changed nothing).
func SameState(a, b *State) bool {
	x, err1 := a.Marshal()
	y, err2 := b.Marshal()
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
