//go:build ((linux && !android) || ((freebsd || netbsd) && cgo) || (darwin && !ios)) && (amd64 || arm64 || 386 || arm || loong64 || ppc64le || riscv64 || s390x)

package pcsc

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
)

// SCardEUnsupportedFeature is SCARD_E_UNSUPPORTED_FEATURE, which pcsc-lite
// (and Apple's framework) number 0x8010001F, the value Windows uses for
// SCARD_E_UNEXPECTED. On Windows it is 0x80100022.
const SCardEUnsupportedFeature Error = 0x8010001F

// unexpectedName names 0x8010001F: pcsc-lite only ever means
// SCARD_E_UNSUPPORTED_FEATURE by it.
const unexpectedName = "SCARD_E_UNSUPPORTED_FEATURE"

// ioRequest is SCARD_IO_REQUEST: {DWORD dwProtocol; DWORD cbPciLength}.
type ioRequest struct {
	protocol  dword
	pciLength dword
}

// Buffer sizes for SCardStatus: pcsc-lite's MAX_READERNAME is 128 and
// MAX_ATR_SIZE 33; a larger answer is handled by asking again.
const (
	statusReaderLen = 256
	statusATRLen    = 64
)

// library holds the PC/SC functions of a dlopen'ed libpcsclite (or PCSC
// framework), bound with purego. Handles are passed as dword (the C LONG and
// unsigned long types have the same size) and status codes come back as
// dword, of which the low 32 bits are the LONG code.
type library struct {
	handle uintptr

	establishContextFn func(scope dword, reserved1, reserved2 unsafe.Pointer, ctx *dword) dword
	releaseContextFn   func(ctx dword) dword
	listReadersFn      func(ctx dword, groups *byte, readers *byte, readersLen *dword) dword
	connectFn          func(ctx dword, reader *byte, mode, protocols dword, card *dword, active *dword) dword
	reconnectFn        func(card, mode, protocols, init dword, active *dword) dword
	disconnectFn       func(card, disposition dword) dword
	beginTransactionFn func(card dword) dword
	endTransactionFn   func(card, disposition dword) dword
	transmitFn         func(card dword, sendPCI *ioRequest, send *byte, sendLen dword, recvPCI *ioRequest, recv *byte, recvLen *dword) dword
	statusFn           func(card dword, reader *byte, readerLen *dword, state, protocol *dword, atr *byte, atrLen *dword) dword
	getAttribFn        func(card, id dword, attr *byte, attrLen *dword) dword
}

// loadLibrary dlopens the first of names that loads and binds the PC/SC
// functions. Any failure is returned wrapped together with ErrNoPCSC.
func loadLibrary(names ...string) (lib *library, err error) {
	var errs []string
	var h uintptr
	for _, name := range names {
		var derr error
		h, derr = purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if derr == nil {
			break
		}
		errs = append(errs, derr.Error())
	}
	if h == 0 {
		return nil, fmt.Errorf("%w: cannot load the PC/SC library (%s)", ErrNoPCSC, strings.Join(errs, "; "))
	}
	lib = &library{handle: h}
	// purego.RegisterFunc panics only on a function type it cannot
	// handle, which would be a bug here; turn that into an error rather
	// than crash the host program (this package may run inside a DLL).
	defer func() {
		if r := recover(); r != nil {
			_ = purego.Dlclose(h)
			lib, err = nil, fmt.Errorf("%w: binding PC/SC functions: %v", ErrNoPCSC, r)
		}
	}()
	funcs := []struct {
		name string
		fptr any
	}{
		{"SCardEstablishContext", &lib.establishContextFn},
		{"SCardReleaseContext", &lib.releaseContextFn},
		{"SCardListReaders", &lib.listReadersFn},
		{"SCardConnect", &lib.connectFn},
		{"SCardReconnect", &lib.reconnectFn},
		{"SCardDisconnect", &lib.disconnectFn},
		{"SCardBeginTransaction", &lib.beginTransactionFn},
		{"SCardEndTransaction", &lib.endTransactionFn},
		{"SCardTransmit", &lib.transmitFn},
		{"SCardStatus", &lib.statusFn},
		{"SCardGetAttrib", &lib.getAttribFn},
	}
	for _, f := range funcs {
		sym, serr := purego.Dlsym(h, f.name)
		if serr != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("%w: %s has no %s: %w", ErrNoPCSC, names[0], f.name, serr)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	return lib, nil
}

// code converts a returned LONG to an Error.
func code(rc dword) Error { return Error(uint32(rc)) }

func (l *library) establishContext(scope uint32) (uintptr, Error) {
	var h dword
	rc := l.establishContextFn(dword(scope), nil, nil, &h)
	return uintptr(h), code(rc)
}

func (l *library) releaseContext(ctx uintptr) Error {
	return code(l.releaseContextFn(dword(ctx)))
}

func (l *library) listReaders(ctx uintptr) ([]string, Error) {
	// The list can grow between the two calls: ask again then.
	for range 3 {
		var n dword
		if rc := code(l.listReadersFn(dword(ctx), nil, nil, &n)); rc != scardSuccess {
			return nil, rc
		}
		if n == 0 {
			return []string{}, scardSuccess
		}
		buf := make([]byte, n)
		rc := code(l.listReadersFn(dword(ctx), nil, &buf[0], &n))
		if rc == SCardEInsufficientBuffer {
			continue
		}
		if rc != scardSuccess {
			return nil, rc
		}
		return splitMultiString(buf[:min(int(n), len(buf))]), scardSuccess
	}
	return nil, SCardEInsufficientBuffer
}

// splitMultiString splits a multi-string (NUL-terminated strings followed by
// an empty one) into its strings.
func splitMultiString(buf []byte) []string {
	out := []string{}
	for len(buf) > 0 {
		i := 0
		for i < len(buf) && buf[i] != 0 {
			i++
		}
		if i == 0 {
			break
		}
		out = append(out, string(buf[:i]))
		buf = buf[min(i+1, len(buf)):]
	}
	return out
}

func (l *library) connect(ctx uintptr, reader string, mode, protocols uint32) (uintptr, uint32, Error) {
	name := append([]byte(reader), 0)
	var h, active dword
	rc := l.connectFn(dword(ctx), &name[0], dword(mode), dword(protocols), &h, &active)
	return uintptr(h), uint32(active), code(rc)
}

func (l *library) reconnect(card uintptr, mode, protocols, init uint32) (uint32, Error) {
	var active dword
	rc := l.reconnectFn(dword(card), dword(mode), dword(protocols), dword(init), &active)
	return uint32(active), code(rc)
}

func (l *library) disconnect(card uintptr, disposition uint32) Error {
	return code(l.disconnectFn(dword(card), dword(disposition)))
}

func (l *library) beginTransaction(card uintptr) Error {
	return code(l.beginTransactionFn(dword(card)))
}

func (l *library) endTransaction(card uintptr, disposition uint32) Error {
	return code(l.endTransactionFn(dword(card), dword(disposition)))
}

func (l *library) transmit(card uintptr, protocol uint32, cmd, recv []byte) (int, Error) {
	pci := ioRequest{protocol: dword(protocol), pciLength: dword(unsafe.Sizeof(ioRequest{}))}
	n := dword(len(recv))
	rc := l.transmitFn(dword(card), &pci, &cmd[0], dword(len(cmd)), nil, &recv[0], &n)
	return int(n), code(rc)
}

func (l *library) status(card uintptr) (reader string, state, protocol uint32, atr []byte, rc Error) {
	readerBuf := make([]byte, statusReaderLen)
	atrBuf := make([]byte, statusATRLen)
	for range 2 {
		readerLen, atrLen := dword(len(readerBuf)), dword(len(atrBuf))
		var st, proto dword
		rc = code(l.statusFn(dword(card), &readerBuf[0], &readerLen, &st, &proto, &atrBuf[0], &atrLen))
		if rc == SCardEInsufficientBuffer {
			// The lengths now hold what is needed.
			readerBuf = make([]byte, max(int(readerLen), len(readerBuf)))
			atrBuf = make([]byte, max(int(atrLen), len(atrBuf)))
			continue
		}
		if rc != scardSuccess {
			return "", 0, 0, nil, rc
		}
		names := splitMultiString(readerBuf[:min(int(readerLen), len(readerBuf))])
		if len(names) > 0 {
			reader = names[0]
		}
		atr = append([]byte(nil), atrBuf[:min(int(atrLen), len(atrBuf))]...)
		return reader, uint32(st), uint32(proto), atr, scardSuccess
	}
	return "", 0, 0, nil, rc
}

func (l *library) getAttrib(card uintptr, id uint32) ([]byte, Error) {
	for range 3 {
		var n dword
		if rc := code(l.getAttribFn(dword(card), dword(id), nil, &n)); rc != scardSuccess {
			return nil, rc
		}
		if n == 0 {
			return []byte{}, scardSuccess
		}
		buf := make([]byte, n)
		rc := code(l.getAttribFn(dword(card), dword(id), &buf[0], &n))
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
