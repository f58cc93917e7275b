//go:build linux

package abi

import (
	"fmt"
	"sync"

	"github.com/ebitengine/purego"
)

// On Linux the library is a cgo c-shared object: the minidriver functions and the callbacks use
// the C calling convention (purego.SyscallN, purego.NewCallback), and C memory comes from libc.

var (
	libcOnce                sync.Once
	libcErr                 error
	libcCalloc, libcFreeSym uintptr
)

func loadLibc() error {
	libcOnce.Do(func() {
		var h uintptr
		for _, name := range []string{"libc.so.6", "libc.so"} {
			if h, libcErr = purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL); libcErr == nil {
				break
			}
		}
		if libcErr != nil {
			return
		}
		if libcCalloc, libcErr = purego.Dlsym(h, "calloc"); libcErr != nil {
			return
		}
		libcFreeSym, libcErr = purego.Dlsym(h, "free")
	})
	return libcErr
}

// rawAlloc returns n zeroed bytes of C memory (libc calloc), 0 on failure.
func rawAlloc(n uintptr) uintptr {
	if loadLibc() != nil {
		return 0
	}
	r, _, _ := purego.SyscallN(libcCalloc, 1, n)
	return r
}

// rawFree releases rawAlloc memory.
func rawFree(p uintptr) {
	if p == 0 || loadLibc() != nil {
		return
	}
	purego.SyscallN(libcFreeSym, p)
}

// loadLibrary dlopens the minidriver and returns the address of CardAcquireContext.
func loadLibrary(path string) (handle, acquire uintptr, err error) {
	if err := loadLibc(); err != nil {
		return 0, 0, fmt.Errorf("libc: %w", err)
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return 0, 0, fmt.Errorf("dlopen %s: %w", path, err)
	}
	sym, err := purego.Dlsym(h, "CardAcquireContext")
	if err != nil {
		return h, 0, fmt.Errorf("%s exports no CardAcquireContext: %w", path, err)
	}
	return h, sym, nil
}

// callC calls a minidriver function pointer and returns its DWORD.
func callC(fn uintptr, args ...uintptr) uint32 {
	r, _, _ := purego.SyscallN(fn, args...)
	return uint32(r)
}

// newCallback makes a C function pointer of fn (made once per process: they are never freed).
func newCallback(fn any) uintptr { return purego.NewCallback(fn) }
