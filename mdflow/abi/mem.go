package abi

import (
	"encoding/binary"
	"unicode/utf16"
	"unsafe"
)

// Access to C memory (addresses held as uintptr, never Go pointers). The conversion goes
// through a pointer to the integer so that the address is never taken for a Go heap pointer.

func ptrOf(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// view returns the n bytes at p (no copy).
func view(p uintptr, n int) []byte {
	if p == 0 || n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(ptrOf(p)), n)
}

// copyOut copies n bytes at p into Go memory.
func copyOut(p uintptr, n int) []byte {
	if p == 0 {
		return nil
	}
	out := make([]byte, n)
	copy(out, view(p, n))
	return out
}

func get32(p uintptr, o off) uint32 { return binary.LittleEndian.Uint32(view(p+uintptr(o.at()), 4)) }
func put32(p uintptr, o off, v uint32) {
	binary.LittleEndian.PutUint32(view(p+uintptr(o.at()), 4), v)
}
func getPtr(p uintptr, o off) uintptr { return *(*uintptr)(ptrOf(p + uintptr(o.at()))) }
func putPtr(p uintptr, o off, v uintptr) {
	*(*uintptr)(ptrOf(p + uintptr(o.at()))) = v
}

// getPtrAt and putPtrAt use a plain byte offset (CARD_DATA fields).
func getPtrAt(p uintptr, o int) uintptr    { return *(*uintptr)(ptrOf(p + uintptr(o))) }
func putPtrAt(p uintptr, o int, v uintptr) { *(*uintptr)(ptrOf(p + uintptr(o))) = v }
func get8(p uintptr, o off) byte           { return view(p+uintptr(o.at()), 1)[0] }
func put8(p uintptr, o off, v byte)        { view(p+uintptr(o.at()), 1)[0] = v }

// wstring reads a NUL-terminated UTF-16 string (at most 32767 units).
func wstring(p uintptr) string {
	if p == 0 {
		return ""
	}
	var u []uint16
	for i := 0; i < 32767; i++ {
		c := *(*uint16)(ptrOf(p + uintptr(2*i)))
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// arena holds the C memory of one call's arguments (the adapter's own memory, not the
// caller-callback allocator the minidriver sees).
type arena struct{ ptrs []uintptr }

// alloc returns n zeroed bytes (at least one, so that every buffer has an address).
func (a *arena) alloc(n int) uintptr {
	p := rawAlloc(uintptr(max(n, 1)))
	if p == 0 {
		panic("abi: out of C memory")
	}
	a.ptrs = append(a.ptrs, p)
	return p
}

// bytes copies b into C memory; nil gives NULL, an empty non-nil slice a valid pointer.
func (a *arena) bytes(b []byte) uintptr {
	if b == nil {
		return 0
	}
	p := a.alloc(len(b))
	copy(view(p, len(b)), b)
	return p
}

// wstr is a NUL-terminated UTF-16 copy of s.
func (a *arena) wstr(s string) uintptr {
	u := utf16.Encode([]rune(s))
	p := a.alloc(2 * (len(u) + 1))
	for i, c := range u {
		*(*uint16)(ptrOf(p + uintptr(2*i))) = c
	}
	return p
}

// astr is a NUL-terminated ANSI copy of s.
func (a *arena) astr(s string) uintptr {
	p := a.alloc(len(s) + 1)
	copy(view(p, len(s)), s)
	return p
}

// dir is pszDirectoryName: NULL for the root ("").
func (a *arena) dir(s string) uintptr {
	if s == "" {
		return 0
	}
	return a.astr(s)
}

// dword is a DWORD out-parameter initialized to v.
func (a *arena) dword(v uint32) uintptr {
	p := a.alloc(4)
	binary.LittleEndian.PutUint32(view(p, 4), v)
	return p
}

// ptr is a pointer out-parameter initialized to NULL.
func (a *arena) ptr() uintptr { return a.alloc(ptrSize) }

func (a *arena) free() {
	for _, p := range a.ptrs {
		rawFree(p)
	}
	a.ptrs = nil
}

func readDword(p uintptr) uint32 { return binary.LittleEndian.Uint32(view(p, 4)) }
func readPtr(p uintptr) uintptr  { return *(*uintptr)(ptrOf(p)) }
