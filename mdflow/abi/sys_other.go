//go:build !linux && !windows

package abi

import (
	"errors"
	"runtime"
)

var errNoLoader = errors.New("abi: loading the minidriver is supported on Linux and Windows only, not " + runtime.GOOS)

func rawAlloc(n uintptr) uintptr { return 0 }
func rawFree(p uintptr)          {}
func loadLibrary(path string) (handle, acquire uintptr, err error) {
	return 0, 0, errNoLoader
}
func callC(fn uintptr, args ...uintptr) uint32 { return 0x8010001F }
func newCallback(fn any) uintptr               { return 0 }
