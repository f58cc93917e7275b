package engine

import "errors"

// Host is the caller's side of CARD_DATA: the callbacks the Base CSP/KSP passes to the minidriver.
// The C ABI implements it over the function pointers; refhost.Host is a reference implementation
// for Go programs and tests.
//
// Buffers the engine hands back to its caller (file contents, public key blobs, signatures,
// challenges, session PINs) are allocated with Alloc and owned by the caller, who frees them with
// Free, exactly as the minidriver specification requires of pfnCspAlloc memory.
type Host interface {
	// Alloc returns a zeroed buffer of n bytes, or nil when the allocator fails (the engine then
	// answers ERROR_NOT_ENOUGH_MEMORY).
	Alloc(n int) []byte
	// ReAlloc resizes a buffer returned by Alloc; nil on failure (the old buffer stays valid).
	ReAlloc(buf []byte, n int) []byte
	// Free releases a buffer returned by Alloc or ReAlloc.
	Free(buf []byte)

	// CacheAdd stores data under tag in the caller's data cache (pfnCspCacheAddFile).
	CacheAdd(tag string, data []byte) error
	// CacheLookup returns a copy of the data stored under tag (pfnCspCacheLookupFile); an error
	// wrapping ErrCacheMiss when absent.
	CacheLookup(tag string) ([]byte, error)
	// CacheDelete removes tag from the cache (pfnCspCacheDeleteFile).
	CacheDelete(tag string) error

	// PadData is pfnCspPadData: the caller's PKCS#1 padding of a signing request for a
	// maxWidth-byte modulus. The engine pads by itself and never needs it; it is part of the
	// interface so that the C ABI can offer and tests can exercise the whole callback set.
	PadData(info *SigningInfo, maxWidth int) ([]byte, error)
	// UnpadData is pfnCspUnpadData (v7): the caller's removal of decryption padding. Like PadData,
	// the engine removes padding itself.
	UnpadData(info *RSADecryptInfo) ([]byte, error)
	// GetDHAgreement is pfnCspGetDHAgreement: it turns an NCrypt secret handle into the index of
	// an agreement held by this minidriver.
	GetDHAgreement(handle uintptr) (byte, error)
}

// ErrNoCallback is wrapped by Host methods whose callback the caller did not provide (a NULL
// function pointer).
var ErrNoCallback = errors.New("the caller provided no such callback")

// ErrCacheMiss is wrapped by Host.CacheLookup when the tag is not cached.
var ErrCacheMiss = errors.New("not in the cache")
