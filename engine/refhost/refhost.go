// Package refhost is a reference implementation of engine.Host, the caller's side of CARD_DATA: an
// allocator that accounts for every buffer (so tests prove the engine and its callers free what
// they allocate), a real data cache like the Base CSP's, and the pad, unpad and DH-agreement
// callbacks.
package refhost

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/cardmod/cardmod/engine"
)

// Host implements engine.Host. The zero value is not usable; call New.
type Host struct {
	mu      sync.Mutex
	live    map[*byte]int // buffer start -> size
	allocs  int
	frees   int
	cache   map[string][]byte
	lookups int
	hits    int

	// FailAlloc makes Alloc and ReAlloc fail (return nil), to test out-of-memory handling.
	FailAlloc bool
	// NoCache makes the cache callbacks behave as if the caller passed NULL pointers.
	NoCache bool
	// DHAgreements maps NCrypt secret handles to agreement indexes for GetDHAgreement.
	DHAgreements map[uintptr]byte
}

// New returns a host with an empty cache.
func New() *Host {
	return &Host{live: map[*byte]int{}, cache: map[string][]byte{}, DHAgreements: map[uintptr]byte{}}
}

// Alloc returns a zeroed buffer of n bytes and records it as live.
func (h *Host) Alloc(n int) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.FailAlloc || n < 0 {
		return nil
	}
	buf := make([]byte, n, n+1) // capacity of at least one byte so every buffer has an address
	h.live[unsafe.SliceData(buf[:1])] = n
	h.allocs++
	return buf
}

// ReAlloc returns a buffer of n bytes holding the start of buf.
func (h *Host) ReAlloc(buf []byte, n int) []byte {
	if h.FailAlloc {
		return nil
	}
	nb := h.Alloc(n)
	if nb == nil {
		return nil
	}
	copy(nb, buf)
	if buf != nil {
		h.Free(buf)
	}
	return nb
}

// Free releases a buffer. Freeing a buffer that is not live (twice, or never allocated here)
// panics, so that tests catch it.
func (h *Host) Free(buf []byte) {
	if buf == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	p := unsafe.SliceData(buf[:1])
	if _, ok := h.live[p]; !ok {
		panic("refhost: Free of a buffer that is not live")
	}
	clear(buf[:cap(buf)])
	delete(h.live, p)
	h.frees++
}

// Live returns the number of buffers allocated and not yet freed.
func (h *Host) Live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.live)
}

// Counts returns the number of allocations and frees so far.
func (h *Host) Counts() (allocs, frees int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.allocs, h.frees
}

// CacheAdd stores a copy of data under tag.
func (h *Host) CacheAdd(tag string, data []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.NoCache {
		return engine.ErrNoCallback
	}
	h.cache[tag] = bytes.Clone(data)
	return nil
}

// CacheLookup returns a copy of the data stored under tag.
func (h *Host) CacheLookup(tag string) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.NoCache {
		return nil, engine.ErrNoCallback
	}
	h.lookups++
	v, ok := h.cache[tag]
	if !ok {
		return nil, fmt.Errorf("cache lookup %q: %w", tag, engine.ErrCacheMiss)
	}
	h.hits++
	return bytes.Clone(v), nil
}

// CacheDelete removes tag.
func (h *Host) CacheDelete(tag string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.NoCache {
		return engine.ErrNoCallback
	}
	delete(h.cache, tag)
	return nil
}

// CacheStats returns the number of lookups and hits so far, and the number of entries.
func (h *Host) CacheStats() (lookups, hits, entries int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lookups, h.hits, len(h.cache)
}

// CacheTags returns the tags currently cached.
func (h *Host) CacheTags() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	tags := make([]string, 0, len(h.cache))
	for t := range h.cache {
		tags = append(tags, t)
	}
	return tags
}

// PadData pads a PKCS#1 v1.5 signing request as the Base CSP does (DigestInfo from the hash
// algorithm, or none).
func (h *Host) PadData(info *engine.SigningInfo, maxWidth int) ([]byte, error) {
	hash := info.HashAlg.Hash()
	if info.HashAlg == 0 {
		hash = 0
	}
	em, err := engine.PKCS1v15SignBlock(maxWidth, hash, info.Data)
	if err != nil {
		return nil, err
	}
	out := h.Alloc(len(em))
	if out == nil {
		return nil, errors.New("refhost: out of memory")
	}
	copy(out, em)
	return out, nil
}

// UnpadData removes PKCS#1 v1.5 or OAEP padding from a decrypted block (given big-endian in
// info.Data).
func (h *Host) UnpadData(info *engine.RSADecryptInfo) ([]byte, error) {
	var msg []byte
	var err error
	switch info.PaddingType {
	case engine.PaddingPKCS1:
		msg, err = engine.UnpadPKCS1v15(info.Data)
	case engine.PaddingOAEP:
		hash := crypto.SHA1
		if info.OAEP != nil && info.OAEP.HasAlgID {
			var ok bool
			if hash, ok = engine.HashByName(info.OAEP.AlgID); !ok {
				return nil, fmt.Errorf("refhost: unknown OAEP hash %q", info.OAEP.AlgID)
			}
		}
		var label []byte
		if info.OAEP != nil {
			label = info.OAEP.Label
		}
		msg, err = engine.UnpadOAEP(hash, info.Data, label)
	default:
		return nil, fmt.Errorf("refhost: padding type %d", info.PaddingType)
	}
	if err != nil {
		return nil, err
	}
	out := h.Alloc(len(msg))
	if out == nil {
		return nil, errors.New("refhost: out of memory")
	}
	copy(out, msg)
	return out, nil
}

// GetDHAgreement looks the handle up in DHAgreements.
func (h *Host) GetDHAgreement(handle uintptr) (byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx, ok := h.DHAgreements[handle]
	if !ok {
		return 0, fmt.Errorf("refhost: handle %#x is not a card agreement", handle)
	}
	return idx, nil
}

var _ engine.Host = (*Host)(nil)
