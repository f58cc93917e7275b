package main

/*
#include "shim.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cardmod/cardmod/spec"
)

// Longest strings read from the caller: a property or algorithm name, a user id, a file name.
const (
	maxWideString = 256
	maxANSIString = 64
)

var errInvalid = spec.SCardEInvalidParameter

// wideString reads a NUL-terminated UTF-16 string of at most maxWideString units. ok is false
// for NULL, a misaligned pointer or a string without NUL within the bound.
func wideString(p *C.WCHAR) (string, bool) {
	if p == nil || uintptr(unsafe.Pointer(p))%2 != 0 {
		return "", false
	}
	units := make([]uint16, 0, 32)
	for i := 0; i < maxWideString; i++ {
		u := *(*uint16)(unsafe.Add(unsafe.Pointer(p), 2*i))
		if u == 0 {
			return spec.StringFromUTF16(units), true
		}
		units = append(units, u)
	}
	return "", false
}

// ansiString reads a NUL-terminated ANSI string of at most maxANSIString bytes.
func ansiString(p *C.char) (string, bool) {
	if p == nil {
		return "", false
	}
	b := make([]byte, 0, 16)
	for i := 0; i < maxANSIString; i++ {
		c := *(*byte)(unsafe.Add(unsafe.Pointer(p), i))
		if c == 0 {
			return string(b), true
		}
		b = append(b, c)
	}
	return "", false
}

// optionalANSI reads a directory name: NULL is the root.
func optionalANSI(p *C.char) (string, bool) {
	if p == nil {
		return "", true
	}
	return ansiString(p)
}

// goBytes copies n bytes from C memory; nil for a NULL pointer.
func goBytes(p *C.BYTE, n C.DWORD) []byte {
	if p == nil {
		return nil
	}
	if n == 0 {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

// cSlice is the caller's buffer itself (for in-place results); nil for NULL.
func cSlice(p *C.BYTE, n C.DWORD) []byte {
	if p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// aligned reports whether a structure pointer is non-NULL and aligned for its DWORD fields.
func aligned(p unsafe.Pointer) bool {
	return p != nil && uintptr(p)%4 == 0
}

// setDWORD writes an optional out DWORD.
func setDWORD(p *C.DWORD, v uint32) {
	if p != nil && uintptr(unsafe.Pointer(p))%4 == 0 {
		*p = C.DWORD(v)
	}
}

// bufPtr is the address of a buffer from the caller's allocator (nil for none).
func bufPtr(b []byte) *C.BYTE {
	if b == nil {
		return nil
	}
	return (*C.BYTE)(unsafe.Pointer(unsafe.SliceData(b)))
}

// copyOut implements the Get*Property convention: the needed size always goes to *pdwDataLen,
// the data to pbData when cbData is large enough, ERROR_INSUFFICIENT_BUFFER otherwise.
func copyOut(data []byte, pb *C.BYTE, cb C.DWORD, pdwLen *C.DWORD) C.DWORD {
	*pdwLen = C.DWORD(len(data))
	if int(cb) < len(data) || (pb == nil && len(data) > 0) {
		return C.DWORD(spec.ErrorInsufficientBuffer)
	}
	copy(cSlice(pb, cb), data)
	return 0
}
