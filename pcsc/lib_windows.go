//go:build windows

package pcsc

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// SCardEUnsupportedFeature is SCARD_E_UNSUPPORTED_FEATURE, 0x80100022 on
// Windows (pcsc-lite uses 0x8010001F, Windows' SCARD_E_UNEXPECTED).
const SCardEUnsupportedFeature Error = 0x80100022

// unexpectedName names 0x8010001F, which is SCARD_E_UNEXPECTED on Windows.
const unexpectedName = "SCARD_E_UNEXPECTED"

// defaultLibraryNames is the system's winscard.dll (loaded from System32
// only).
var defaultLibraryNames = []string{"winscard.dll"}

// ioRequest is SCARD_IO_REQUEST: {DWORD dwProtocol; DWORD cbPciLength}, with
// the 32-bit DWORD of Windows on every architecture (8 bytes in all).
type ioRequest struct {
	protocol  uint32
	pciLength uint32
}

// Buffer sizes for SCardStatusW (in WCHARs and bytes); a larger answer is
// handled by asking again.
const (
	statusReaderLen = 256
	statusATRLen    = 64
)

// library holds the winscard.dll procedures. SCARDCONTEXT and SCARDHANDLE
// are ULONG_PTR (uintptr); DWORD and LONG are 32-bit on both 386 and amd64;
// strings are UTF-16 (the W functions).
type library struct {
	establishContextP *windows.LazyProc
	releaseContextP   *windows.LazyProc
	listReadersW      *windows.LazyProc
	connectW          *windows.LazyProc
	reconnectP        *windows.LazyProc
	disconnectP       *windows.LazyProc
	beginTransactionP *windows.LazyProc
	endTransactionP   *windows.LazyProc
	transmitP         *windows.LazyProc
	statusW           *windows.LazyProc
	getAttribP        *windows.LazyProc
}

// loadLibrary loads names[0] from the system directory and looks up the
// PC/SC procedures. Any failure is returned wrapped together with ErrNoPCSC.
func loadLibrary(names ...string) (*library, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no library name", ErrNoPCSC)
	}
	dll := windows.NewLazySystemDLL(names[0])
	if err := dll.Load(); err != nil {
		return nil, fmt.Errorf("%w: cannot load %s: %w", ErrNoPCSC, names[0], err)
	}
	lib := &library{
		establishContextP: dll.NewProc("SCardEstablishContext"),
		releaseContextP:   dll.NewProc("SCardReleaseContext"),
		listReadersW:      dll.NewProc("SCardListReadersW"),
		connectW:          dll.NewProc("SCardConnectW"),
		reconnectP:        dll.NewProc("SCardReconnect"),
		disconnectP:       dll.NewProc("SCardDisconnect"),
		beginTransactionP: dll.NewProc("SCardBeginTransaction"),
		endTransactionP:   dll.NewProc("SCardEndTransaction"),
		transmitP:         dll.NewProc("SCardTransmit"),
		statusW:           dll.NewProc("SCardStatusW"),
		getAttribP:        dll.NewProc("SCardGetAttrib"),
	}
	for _, p := range []*windows.LazyProc{
		lib.establishContextP, lib.releaseContextP, lib.listReadersW, lib.connectW,
		lib.reconnectP, lib.disconnectP, lib.beginTransactionP, lib.endTransactionP,
		lib.transmitP, lib.statusW, lib.getAttribP,
	} {
		if err := p.Find(); err != nil {
			return nil, fmt.Errorf("%w: %s has no %s: %w", ErrNoPCSC, names[0], p.Name, err)
		}
	}
	return lib, nil
}

// code converts a returned LONG to an Error.
func code(r1 uintptr) Error { return Error(uint32(r1)) }

func (l *library) establishContext(scope uint32) (uintptr, Error) {
	var h uintptr
	r1, _, _ := l.establishContextP.Call(uintptr(scope), 0, 0, uintptr(unsafe.Pointer(&h)))
	return h, code(r1)
}

func (l *library) releaseContext(ctx uintptr) Error {
	r1, _, _ := l.releaseContextP.Call(ctx)
	return code(r1)
}

func (l *library) listReaders(ctx uintptr) ([]string, Error) {
	// The list can grow between the two calls: ask again then.
	for range 3 {
		var n uint32
		r1, _, _ := l.listReadersW.Call(ctx, 0, 0, uintptr(unsafe.Pointer(&n)))
		if rc := code(r1); rc != scardSuccess {
			return nil, rc
		}
		if n == 0 {
			return []string{}, scardSuccess
		}
		buf := make([]uint16, n)
		r1, _, _ = l.listReadersW.Call(ctx, 0, uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
		rc := code(r1)
		if rc == SCardEInsufficientBuffer {
			continue
		}
		if rc != scardSuccess {
			return nil, rc
		}
		return splitMultiString16(buf[:min(int(n), len(buf))]), scardSuccess
	}
	return nil, SCardEInsufficientBuffer
}

// splitMultiString16 splits a UTF-16 multi-string (NUL-terminated strings
// followed by an empty one) into its strings.
func splitMultiString16(buf []uint16) []string {
	out := []string{}
	for len(buf) > 0 {
		i := 0
		for i < len(buf) && buf[i] != 0 {
			i++
		}
		if i == 0 {
			break
		}
		out = append(out, windows.UTF16ToString(buf[:i]))
		buf = buf[min(i+1, len(buf)):]
	}
	return out
}

func (l *library) connect(ctx uintptr, reader string, mode, protocols uint32) (uintptr, uint32, Error) {
	name, err := windows.UTF16PtrFromString(reader)
	if err != nil {
		return 0, 0, SCardEInvalidParameter
	}
	var h uintptr
	var active uint32
	r1, _, _ := l.connectW.Call(ctx, uintptr(unsafe.Pointer(name)), uintptr(mode), uintptr(protocols),
		uintptr(unsafe.Pointer(&h)), uintptr(unsafe.Pointer(&active)))
	return h, active, code(r1)
}

func (l *library) reconnect(card uintptr, mode, protocols, init uint32) (uint32, Error) {
	var active uint32
	r1, _, _ := l.reconnectP.Call(card, uintptr(mode), uintptr(protocols), uintptr(init), uintptr(unsafe.Pointer(&active)))
	return active, code(r1)
}

func (l *library) disconnect(card uintptr, disposition uint32) Error {
	r1, _, _ := l.disconnectP.Call(card, uintptr(disposition))
	return code(r1)
}

func (l *library) beginTransaction(card uintptr) Error {
	r1, _, _ := l.beginTransactionP.Call(card)
	return code(r1)
}

func (l *library) endTransaction(card uintptr, disposition uint32) Error {
	r1, _, _ := l.endTransactionP.Call(card, uintptr(disposition))
	return code(r1)
}

func (l *library) transmit(card uintptr, protocol uint32, cmd, recv []byte) (int, Error) {
	pci := ioRequest{protocol: protocol, pciLength: uint32(unsafe.Sizeof(ioRequest{}))}
	n := uint32(len(recv))
	r1, _, _ := l.transmitP.Call(card, uintptr(unsafe.Pointer(&pci)),
		uintptr(unsafe.Pointer(&cmd[0])), uintptr(len(cmd)), 0,
		uintptr(unsafe.Pointer(&recv[0])), uintptr(unsafe.Pointer(&n)))
	return int(n), code(r1)
}

func (l *library) status(card uintptr) (reader string, state, protocol uint32, atr []byte, rc Error) {
	readerBuf := make([]uint16, statusReaderLen)
	atrBuf := make([]byte, statusATRLen)
	for range 2 {
		readerLen, atrLen := uint32(len(readerBuf)), uint32(len(atrBuf))
		var st, proto uint32
		r1, _, _ := l.statusW.Call(card, uintptr(unsafe.Pointer(&readerBuf[0])), uintptr(unsafe.Pointer(&readerLen)),
			uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&proto)),
			uintptr(unsafe.Pointer(&atrBuf[0])), uintptr(unsafe.Pointer(&atrLen)))
		rc = code(r1)
		if rc == SCardEInsufficientBuffer {
			// The lengths now hold what is needed.
			readerBuf = make([]uint16, max(int(readerLen), len(readerBuf)))
			atrBuf = make([]byte, max(int(atrLen), len(atrBuf)))
			continue
		}
		if rc != scardSuccess {
			return "", 0, 0, nil, rc
		}
		names := splitMultiString16(readerBuf[:min(int(readerLen), len(readerBuf))])
		if len(names) > 0 {
			reader = names[0]
		}
		atr = append([]byte(nil), atrBuf[:min(int(atrLen), len(atrBuf))]...)
		return reader, st, proto, atr, scardSuccess
	}
	return "", 0, 0, nil, rc
}

func (l *library) getAttrib(card uintptr, id uint32) ([]byte, Error) {
	for range 3 {
		var n uint32
		r1, _, _ := l.getAttribP.Call(card, uintptr(id), 0, uintptr(unsafe.Pointer(&n)))
		if rc := code(r1); rc != scardSuccess {
			return nil, rc
		}
		if n == 0 {
			return []byte{}, scardSuccess
		}
		buf := make([]byte, n)
		r1, _, _ = l.getAttribP.Call(card, uintptr(id), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
		rc := code(r1)
		if rc == SCardEInsufficientBuffer {
			continue
		}
		if rc != scardSuccess {
			return nil, rc
		}
		return buf[:min(int(n), len(buf))], scardSuccess
	}
	return nil, SCardEInsufficientBuffer
}
