//go:build !windows && !(((linux && !android) || ((freebsd || netbsd) && cgo) || (darwin && !ios)) && (amd64 || arm64 || 386 || arm || loong64 || ppc64le || riscv64 || s390x))

package pcsc

import "fmt"

// SCardEUnsupportedFeature is SCARD_E_UNSUPPORTED_FEATURE as pcsc-lite
// numbers it (0x8010001F; 0x80100022 on Windows).
const SCardEUnsupportedFeature Error = 0x8010001F

// unexpectedName names 0x8010001F as pcsc-lite does.
const unexpectedName = "SCARD_E_UNSUPPORTED_FEATURE"

// defaultLibraryNames: there is no supported PC/SC library on this platform.
var defaultLibraryNames = []string{"libpcsclite.so.1"}

// library is never created on this platform: this package cannot load a
// PC/SC library here, so every operation fails with ErrNoPCSC.
type library struct{}

// loadLibrary reports that PC/SC is not supported on this platform.
func loadLibrary(names ...string) (*library, error) {
	return nil, fmt.Errorf("%w: PC/SC is not supported on this platform by package pcsc (wanted %v)", ErrNoPCSC, names)
}

func (l *library) establishContext(uint32) (uintptr, Error) { return 0, SCardENoService }
func (l *library) releaseContext(uintptr) Error             { return SCardENoService }
func (l *library) listReaders(uintptr) ([]string, Error)    { return nil, SCardENoService }
func (l *library) connect(uintptr, string, uint32, uint32) (uintptr, uint32, Error) {
	return 0, 0, SCardENoService
}
func (l *library) reconnect(uintptr, uint32, uint32, uint32) (uint32, Error) {
	return 0, SCardENoService
}
func (l *library) disconnect(uintptr, uint32) Error     { return SCardENoService }
func (l *library) beginTransaction(uintptr) Error       { return SCardENoService }
func (l *library) endTransaction(uintptr, uint32) Error { return SCardENoService }
func (l *library) transmit(uintptr, uint32, []byte, []byte) (int, Error) {
	return 0, SCardENoService
}
func (l *library) status(uintptr) (string, uint32, uint32, []byte, Error) {
	return "", 0, 0, nil, SCardENoService
}
func (l *library) getAttrib(uintptr, uint32) ([]byte, Error) { return nil, SCardENoService }
