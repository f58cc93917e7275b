//go:build darwin && !ios && (amd64 || arm64)

package pcsc

// Apple's PCSC framework declares DWORD as uint32_t and LONG (and so
// SCARDCONTEXT and SCARDHANDLE) as int32_t, on every architecture.
type dword = uint32

// defaultLibraryNames is the PCSC framework.
var defaultLibraryNames = []string{"/System/Library/Frameworks/PCSC.framework/PCSC"}
