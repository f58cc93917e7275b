//go:build windows

package abi

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/windows"
)

// On Windows the library is cardmod.dll: every function and callback is WINAPI (stdcall on x86,
// the x64 convention on amd64), which syscall.SyscallN and windows.NewCallback implement. C memory
// comes from the process heap.

var (
	kernel32      = windows.NewLazySystemDLL("kernel32.dll")
	procGetHeap   = kernel32.NewProc("GetProcessHeap")
	procHeapAlloc = kernel32.NewProc("HeapAlloc")
	procHeapFree  = kernel32.NewProc("HeapFree")
)

const heapZeroMemory = 0x00000008

func processHeap() uintptr {
	h, _, _ := procGetHeap.Call()
	return h
}

// rawAlloc returns n zeroed bytes of the process heap, 0 on failure.
func rawAlloc(n uintptr) uintptr {
	p, _, _ := procHeapAlloc.Call(processHeap(), heapZeroMemory, n)
	return p
}

// rawFree releases rawAlloc memory.
func rawFree(p uintptr) {
	if p != 0 {
		procHeapFree.Call(processHeap(), 0, p)
	}
}

// loadLibrary loads the DLL and returns the address of CardAcquireContext (exported undecorated).
func loadLibrary(path string) (handle, acquire uintptr, err error) {
	h, err := windows.LoadLibrary(path)
	if err != nil {
		return 0, 0, fmt.Errorf("LoadLibrary %s: %w", path, err)
	}
	sym, err := windows.GetProcAddress(h, "CardAcquireContext")
	if err != nil {
		return uintptr(h), 0, fmt.Errorf("%s exports no CardAcquireContext: %w", path, err)
	}
	return uintptr(h), sym, nil
}

// callC calls a WINAPI function pointer and returns its DWORD.
func callC(fn uintptr, args ...uintptr) uint32 {
	r, _, _ := syscall.SyscallN(fn, args...)
	return uint32(r)
}

// newCallback makes a WINAPI function pointer of fn (once per process: never freed).
func newCallback(fn any) uintptr { return windows.NewCallback(fn) }
