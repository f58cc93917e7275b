// Package abi drives the cardmod minidriver library (cardmod.dll on Windows, libcardmod.so on
// Linux) through its C ABI, as the Windows Base CSP does: it loads the library, fills a
// CARD_DATA in C memory with the caller's side (version, ATR, UTF-16 card name, allocation,
// cache and padding callbacks, a pfnCspGetDHAgreement answering from the table the flows fill with
// Context.RegisterDHAgreement, the PC/SC handles of a real connection), calls the exported
// CardAcquireContext and then the function pointers it wrote, each call inside a PC/SC
// transaction. Arguments and results are converted to and from the C structures at the offsets
// of the reference (x64 and x86). It implements mdflow.Minidriver, so that the flow suite runs
// unchanged against the engine and the library.
//
// Around every call the adapter checks the ABI contract and records violations (mdflow.Auditor):
// the caller-owned CARD_DATA slots (pfnCspGetDHAgreement, pfnCspUnpadData) and the fields the
// caller set are unchanged, dwVersion stays the negotiated version, the function table holds
// exactly the slots of the negotiated version, out-pointers stay NULL on failure, returned
// buffers come from pfnCspAlloc, frees are of live buffers, and a failed CardAcquireContext
// leaves nothing allocated.
package abi

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/pcsc"
	"github.com/cardmod/cardmod/spec"
)

// Options configure Open.
type Options struct {
	// Reader is the PC/SC reader whose card the contexts use; empty opens no connection (only
	// contexts with NullCard or no-card mode can then be acquired).
	Reader string
}

// Minidriver is a loaded minidriver library with one PC/SC connection. It implements
// mdflow.Minidriver and mdflow.Auditor. Calls are serialized (one at a time per process, as the
// allocation accounting attributes each allocation to the context being called).
type Minidriver struct {
	path    string
	acquire uintptr
	pctx    *pcsc.Context
	card    *pcsc.Card
	atr     []byte
	cacheID uintptr
	closed  bool
	cds     []uintptr // CARD_DATA blocks, freed by Close
}

// process-wide state: the callbacks (made once; they cannot be freed), the allocation
// accounting and the caches they serve, and the violations they saw.
var (
	cbOnce sync.Once
	cbs    struct {
		alloc, realloc, free, cacheAdd, cacheLookup, cacheDelete, pad, unpad, getDH uintptr
	}

	callMu sync.Mutex // serializes minidriver calls

	mu         sync.Mutex // guards what follows
	allocs     = map[uintptr]allocRec{}
	owner      int // the context id allocations are attributed to
	nextID     = 1
	caches     = map[uintptr]map[string][]byte{}
	violations []string
	// dhTables is what pfnCspGetDHAgreement answers: per CARD_DATA (the pCardData it is called
	// with), the agreement index registered for each NCrypt secret handle.
	dhTables = map[uintptr]map[uintptr]byte{}
	dhCalls  int
)

type allocRec struct {
	size  uintptr
	owner int
}

func violation(format string, args ...any) {
	mu.Lock()
	defer mu.Unlock()
	violations = append(violations, fmt.Sprintf(format, args...))
}

// Open loads the library at path and, with opts.Reader, connects to the card in that reader
// (shared mode) and reads its ATR.
func Open(path string, opts Options) (*Minidriver, error) {
	_, acq, err := loadLibrary(path)
	if err != nil {
		return nil, err
	}
	cbOnce.Do(makeCallbacks)
	m := &Minidriver{path: path, acquire: acq}
	mu.Lock()
	m.cacheID = uintptr(0x5CAC0000 + nextID)
	nextID++
	caches[m.cacheID] = map[string][]byte{}
	mu.Unlock()
	if opts.Reader == "" {
		return m, nil
	}
	m.pctx, err = pcsc.EstablishContext()
	if err != nil {
		return nil, err
	}
	m.card, err = m.pctx.Connect(opts.Reader, pcsc.ShareShared, pcsc.ProtocolAny)
	if err != nil {
		m.pctx.Release()
		return nil, fmt.Errorf("connect to %q: %w", opts.Reader, err)
	}
	if _, m.atr, err = m.card.Status(); err != nil {
		m.Close()
		return nil, fmt.Errorf("SCardStatus: %w", err)
	}
	return m, nil
}

// ATR is the card's ATR (SCardStatus), nil without a reader.
func (m *Minidriver) ATR() []byte { return bytes.Clone(m.atr) }

// Card is the PC/SC connection (nil without a reader), for reading the card with other tools
// inside Transact.
func (m *Minidriver) Card() *pcsc.Card { return m.card }

// Transact runs fn inside a PC/SC transaction on the connection, as the Base CSP wraps every
// minidriver call; after a reset by another client it reconnects and retries once.
func (m *Minidriver) Transact(fn func() error) error {
	if m.card == nil {
		return fn()
	}
	err := m.card.BeginTransaction()
	if errors.Is(err, pcsc.SCardWResetCard) {
		if rerr := m.card.Reconnect(pcsc.ShareShared, pcsc.ProtocolAny, pcsc.LeaveCard); rerr != nil {
			return fmt.Errorf("reconnect after a reset: %w", rerr)
		}
		err = m.card.BeginTransaction()
	}
	if err != nil {
		return fmt.Errorf("SCardBeginTransaction: %w", err)
	}
	ferr := fn()
	if err := m.card.EndTransaction(pcsc.LeaveCard); err != nil && ferr == nil {
		return fmt.Errorf("SCardEndTransaction: %w", err)
	}
	return ferr
}

// Close disconnects and frees the CARD_DATA blocks (the library stays loaded: a Go library
// cannot be unloaded).
func (m *Minidriver) Close() error {
	callMu.Lock()
	defer callMu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	for _, cd := range m.cds {
		rawFree(cd)
	}
	m.cds = nil
	var err error
	if m.card != nil {
		err = m.card.Disconnect(pcsc.LeaveCard)
	}
	if m.pctx != nil {
		if rerr := m.pctx.Release(); err == nil {
			err = rerr
		}
	}
	return err
}

// Audit returns the ABI violations seen since the last Audit (mdflow.Auditor).
func (m *Minidriver) Audit() []string {
	mu.Lock()
	defer mu.Unlock()
	v := violations
	violations = nil
	return v
}

// Acquire is CardAcquireContext with a new CARD_DATA filled as the Base CSP fills it.
func (m *Minidriver) Acquire(p mdflow.AcquireParams) (mdflow.Context, error) {
	callMu.Lock()
	defer callMu.Unlock()
	if m.closed {
		return nil, errors.New("abi: minidriver closed")
	}
	size := sizeofCardData.at()
	cd := rawAlloc(uintptr(size))
	if cd == 0 {
		return nil, errors.New("abi: out of C memory")
	}
	m.cds = append(m.cds, cd)
	put := func(name string, v uintptr) { putPtrAt(cd, fieldOff(name), v) }
	put32(cd, off{0, 0}, p.Version)
	if p.ATR != nil {
		atr := rawAlloc(uintptr(max(len(p.ATR), 1)))
		copy(view(atr, len(p.ATR)), p.ATR)
		m.cds = append(m.cds, atr)
		put("pbAtr", atr)
		put32(cd, off{fieldOff("cbAtr"), fieldOff("cbAtr")}, uint32(len(p.ATR)))
	}
	if !p.NullCardName {
		var a arena
		name := a.wstr(p.CardName)
		m.cds = append(m.cds, a.ptrs...) // lives as long as the CARD_DATA
		put("pwszCardName", name)
	}
	if !p.NullAlloc {
		put("pfnCspAlloc", cbs.alloc)
		put("pfnCspReAlloc", cbs.realloc)
		put("pfnCspFree", cbs.free)
	}
	if !p.NullCache {
		put("pfnCspCacheAddFile", cbs.cacheAdd)
		put("pfnCspCacheLookupFile", cbs.cacheLookup)
		put("pfnCspCacheDeleteFile", cbs.cacheDelete)
	}
	put("pvCacheContext", m.cacheID)
	put("pfnCspPadData", cbs.pad)
	if !p.NullCard && m.card != nil {
		put("hSCardCtx", m.pctx.Handle())
		put("hScard", m.card.Handle())
	}
	if !p.NullGetDHAgreement {
		put("pfnCspGetDHAgreement", cbs.getDH)
	}
	put("pfnCspUnpadData", cbs.unpad)
	before := bytes.Clone(view(cd, size))

	mu.Lock()
	id := nextID
	nextID++
	owner = id
	mu.Unlock()
	var rc uint32
	terr := m.Transact(func() error {
		rc = callC(m.acquire, cd, uintptr(p.Flags))
		return nil
	})
	mu.Lock()
	owner = 0
	mu.Unlock()
	if terr != nil {
		return nil, terr
	}
	c := &Context{md: m, id: id, cd: cd}
	if rc != 0 {
		if v := getPtrAt(cd, fieldOff("pvVendorSpecific")); v != 0 {
			violation("CardAcquireContext failed (%s) but set pvVendorSpecific", spec.Status(rc))
		}
		if n := c.LiveAllocations(); n != 0 {
			violation("CardAcquireContext failed (%s) and left %d pfnCspAlloc buffers", spec.Status(rc), n)
		}
		c.checkCallerFields(before, "CardAcquireContext (failed)", true)
		return nil, spec.Errorf(spec.Status(rc), "CardAcquireContext")
	}
	c.version = get32(cd, off{0, 0})
	if c.version < 4 || c.version > min(p.Version, 7) {
		violation("CardAcquireContext(dwVersion %d): negotiated %d", p.Version, c.version)
	}
	if getPtrAt(cd, fieldOff("pvVendorSpecific")) == 0 {
		violation("CardAcquireContext succeeded with a NULL pvVendorSpecific")
	}
	c.checkCallerFields(before, "CardAcquireContext", true)
	for _, f := range cardData {
		if f.version < 0 {
			continue
		}
		v := getPtrAt(cd, f.off.at())
		switch {
		case f.version == 0 && v != 0:
			violation("CardAcquireContext: %s is not NULL", f.name)
		case f.version > 0 && int(c.version) >= f.version && v == 0:
			violation("CardAcquireContext (version %d): %s left NULL", c.version, f.name)
		case f.version > 0 && int(c.version) < f.version && v != 0:
			violation("CardAcquireContext (version %d): %s (a version %d slot) filled", c.version, f.name, f.version)
		}
	}
	c.snapshot = bytes.Clone(view(cd, size))
	return c, nil
}

// checkCallerFields compares the caller's fields (0-13 and the caller-owned slots, and
// dwVersion unless acquiring) with before.
func (c *Context) checkCallerFields(before []byte, fn string, acquiring bool) {
	now := view(c.cd, len(before))
	for _, f := range cardData {
		if !f.csp || (acquiring && f.name == "dwVersion") {
			continue
		}
		o := f.off.at()
		n := ptrSize
		if f.name == "dwVersion" || f.name == "cbAtr" {
			n = 4
		}
		if !bytes.Equal(now[o:o+n], before[o:o+n]) {
			violation("%s overwrote the caller's CARD_DATA.%s (%X -> %X)", fn, f.name, before[o:o+n], now[o:o+n])
		}
	}
}

// Context is one context of the library (a CARD_DATA after CardAcquireContext).
type Context struct {
	md       *Minidriver
	id       int
	cd       uintptr
	version  uint32
	snapshot []byte // CARD_DATA after acquire
	deleted  bool
}

// Version is the negotiated dwVersion.
func (c *Context) Version() uint32 { return c.version }

// LiveAllocations counts the pfnCspAlloc buffers made during this context's calls and not
// freed.
func (c *Context) LiveAllocations() int {
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, r := range allocs {
		if r.owner == c.id {
			n++
		}
	}
	return n
}

// slot returns the function pointer of a CARD_DATA slot.
func (c *Context) slot(name string) uintptr { return getPtrAt(c.cd, fieldOff(name)) }

// call calls the function of slot with pCardData (cd) first, inside a transaction, with the
// allocations attributed to c, then checks that CARD_DATA is as after acquire.
func (c *Context) call(fn, slot string, cd uintptr, args ...uintptr) error {
	callMu.Lock()
	defer callMu.Unlock()
	p := c.slot(slot)
	if p == 0 {
		return fmt.Errorf("%s: %w", fn, mdflow.ErrNotFilled)
	}
	mu.Lock()
	owner = c.id
	mu.Unlock()
	var rc uint32
	terr := c.md.Transact(func() error {
		rc = callC(p, append([]uintptr{cd}, args...)...)
		return nil
	})
	mu.Lock()
	owner = 0
	mu.Unlock()
	c.checkTable(fn)
	if terr != nil {
		return terr
	}
	if rc != 0 {
		return spec.Errorf(spec.Status(rc), "%s", fn)
	}
	return nil
}

// checkTable reports changes of CARD_DATA since acquire (pvVendorSpecific may change only in
// CardDeleteContext).
func (c *Context) checkTable(fn string) {
	now := view(c.cd, len(c.snapshot))
	if v := get32(c.cd, off{0, 0}); v != c.version {
		violation("%s changed dwVersion from %d to %d", fn, c.version, v)
	}
	for _, f := range cardData {
		if f.name == "dwVersion" || (f.name == "pvVendorSpecific" && fn == "CardDeleteContext") {
			continue
		}
		o := f.off.at()
		n := ptrSize
		if f.name == "cbAtr" {
			n = 4
		}
		if !bytes.Equal(now[o:o+n], c.snapshot[o:o+n]) {
			who := "the minidriver's"
			if f.csp {
				who = "the caller's"
			}
			violation("%s overwrote %s CARD_DATA.%s (%X -> %X)", fn, who, f.name, c.snapshot[o:o+n], now[o:o+n])
			copy(c.snapshot[o:o+n], now[o:o+n]) // report once
		}
	}
}

// take copies a buffer the minidriver returned and frees it with the caller's free; a buffer
// that pfnCspAlloc did not return is a violation (and not freed).
func take(fn string, p uintptr, n int) []byte {
	if p == 0 {
		return nil
	}
	out := copyOut(p, n)
	mu.Lock()
	_, ok := allocs[p]
	mu.Unlock()
	if !ok {
		violation("%s returned a buffer %#x that pfnCspAlloc did not allocate", fn, p)
		return out
	}
	acctFree(p)
	return out
}

// outNull checks an out-pointer after a failed call: it must be NULL; a buffer is freed.
func outNull(fn, what string, p uintptr) {
	if p == 0 {
		return
	}
	violation("%s failed but set %s", fn, what)
	mu.Lock()
	_, ok := allocs[p]
	mu.Unlock()
	if ok {
		acctFree(p)
	}
}

// acctAlloc is pfnCspAlloc: zeroed memory, recorded for the current context.
func acctAlloc(n uintptr) uintptr {
	p := rawAlloc(max(n, 1))
	if p == 0 {
		return 0
	}
	mu.Lock()
	allocs[p] = allocRec{size: n, owner: owner}
	mu.Unlock()
	return p
}

// acctFree is pfnCspFree.
func acctFree(p uintptr) {
	if p == 0 {
		return
	}
	mu.Lock()
	_, ok := allocs[p]
	if ok {
		delete(allocs, p)
	} else {
		violations = append(violations, fmt.Sprintf("pfnCspFree(%#x) of a buffer pfnCspAlloc did not return (or freed twice)", p))
	}
	mu.Unlock()
	if ok {
		rawFree(p)
	}
}

// acctReAlloc is pfnCspReAlloc.
func acctReAlloc(p, n uintptr) uintptr {
	if p == 0 {
		return acctAlloc(n)
	}
	mu.Lock()
	r, ok := allocs[p]
	mu.Unlock()
	if !ok {
		violation("pfnCspReAlloc(%#x) of a buffer pfnCspAlloc did not return", p)
		return 0
	}
	np := acctAlloc(n)
	if np == 0 {
		return 0
	}
	copy(view(np, int(n)), view(p, int(min(n, r.size))))
	acctFree(p)
	return np
}

// Caller-side statuses of the callbacks.
const (
	okStatus       = 0
	errInvalidArg  = uintptr(spec.SCardEInvalidParameter)
	errNotFound    = uintptr(spec.SCardEFileNotFound)
	errNoMemory    = uintptr(spec.ErrorNotEnoughMemory)
	errUnsupported = uintptr(spec.SCardEUnsupportedFeature)
)

// cacheFor returns the cache of a pvCacheContext.
func cacheFor(ctx uintptr) (map[string][]byte, bool) {
	mu.Lock()
	defer mu.Unlock()
	c, ok := caches[ctx]
	return c, ok
}

func makeCallbacks() {
	cbs.alloc = newCallback(func(size uintptr) uintptr { return acctAlloc(size) })
	cbs.realloc = newCallback(func(p, size uintptr) uintptr { return acctReAlloc(p, size) })
	cbs.free = newCallback(func(p uintptr) uintptr { acctFree(p); return 0 })
	cbs.cacheAdd = newCallback(func(ctx, tag, flags, data, cb uintptr) uintptr {
		c, ok := cacheFor(ctx)
		if !ok || tag == 0 || (data == 0 && uint32(cb) != 0) {
			violation("pfnCspCacheAddFile(%#x, %#x, %d, %#x, %d): bad arguments", ctx, tag, uint32(flags), data, uint32(cb))
			return errInvalidArg
		}
		if uint32(flags) != 0 {
			violation("pfnCspCacheAddFile: dwFlags %#x (reserved)", uint32(flags))
		}
		v := copyOut(data, int(uint32(cb)))
		mu.Lock()
		c[wstring(tag)] = v
		mu.Unlock()
		return okStatus
	})
	cbs.cacheLookup = newCallback(func(ctx, tag, flags, ppData, pcbData uintptr) uintptr {
		c, ok := cacheFor(ctx)
		if !ok || tag == 0 || ppData == 0 || pcbData == 0 {
			violation("pfnCspCacheLookupFile: bad arguments")
			return errInvalidArg
		}
		mu.Lock()
		v, hit := c[wstring(tag)]
		mu.Unlock()
		if !hit {
			return errNotFound
		}
		p := acctAlloc(uintptr(len(v)))
		if p == 0 {
			return errNoMemory
		}
		copy(view(p, len(v)), v)
		*(*uintptr)(ptrOf(ppData)) = p
		copy(view(pcbData, 4), le32(uint32(len(v))))
		return okStatus
	})
	cbs.cacheDelete = newCallback(func(ctx, tag, flags uintptr) uintptr {
		c, ok := cacheFor(ctx)
		if !ok || tag == 0 {
			violation("pfnCspCacheDeleteFile: bad arguments")
			return errInvalidArg
		}
		mu.Lock()
		delete(c, wstring(tag))
		mu.Unlock()
		return okStatus
	})
	cbs.pad = newCallback(func(info, width, pcb, ppb uintptr) uintptr { return padData(info, uint32(width), pcb, ppb) })
	cbs.unpad = newCallback(func(info, pcb, ppb uintptr) uintptr { return unpadData(info, pcb, ppb) })
	cbs.getDH = newCallback(func(cd, secret, pIndex, flags uintptr) uintptr {
		mu.Lock()
		dhCalls++
		idx, ok := dhTables[cd][secret]
		mu.Unlock()
		if cd == 0 || pIndex == 0 {
			violation("pfnCspGetDHAgreement(%#x, %#x, %#x, %d): bad arguments", cd, secret, pIndex, uint32(flags))
			return errInvalidArg
		}
		if uint32(flags) != 0 {
			violation("pfnCspGetDHAgreement: dwFlags %#x (reserved)", uint32(flags))
		}
		if !ok {
			// A secret this caller does not know as a card agreement.
			return errInvalidArg
		}
		put8(pIndex, off{0, 0}, idx)
		return okStatus
	})
}

// CacheTags returns the tags in the caller's cache of this minidriver (sorted).
func (m *Minidriver) CacheTags() []string {
	mu.Lock()
	defer mu.Unlock()
	var tags []string
	for t := range caches[m.cacheID] {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	return tags
}

var _ mdflow.Minidriver = (*Minidriver)(nil)
var _ mdflow.Auditor = (*Minidriver)(nil)
var _ mdflow.Context = (*Context)(nil)
var _ mdflow.NullCaller = (*Context)(nil)
