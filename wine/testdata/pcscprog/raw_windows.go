package main

import (
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// readerStateW is SCARD_READERSTATEW (64 bytes on amd64).
type readerStateW struct {
	reader       *uint16
	userData     uintptr
	currentState uint32
	eventState   uint32
	atrLen       uint32
	atr          [36]byte
}

const (
	stateChanged = 0x2
	statePresent = 0x20
	autoAllocate = 0xFFFFFFFF
	shareShared  = 2
	protoT1      = 2
)

// rcName names the few return codes raw mode expects.
func rcName(r uintptr) string {
	switch uint32(r) {
	case 0:
		return "SCARD_S_SUCCESS"
	case 0x8010000A:
		return "SCARD_E_TIMEOUT"
	}
	return fmt.Sprintf("0x%08X", uint32(r))
}

// raw calls winscard.dll directly for what the pcsc package does not use:
// SCardGetStatusChangeW, the A functions with SCARD_AUTOALLOCATE, the
// exported g_rgSCardT1Pci, and a transaction that keeps another handle
// waiting.
func raw(reader string) {
	dll := windows.NewLazySystemDLL("winscard.dll")
	proc := func(name string) *windows.LazyProc {
		p := dll.NewProc(name)
		if err := p.Find(); err != nil {
			fail(name, err)
		}
		return p
	}
	var ctx uintptr
	if r, _, _ := proc("SCardEstablishContext").Call(2, 0, 0, uintptr(unsafe.Pointer(&ctx))); r != 0 {
		fail("SCardEstablishContext", fmt.Errorf("%s", rcName(r)))
	}
	defer proc("SCardReleaseContext").Call(ctx)

	name, _ := windows.UTF16PtrFromString(reader)
	st := readerStateW{reader: name}
	r, _, _ := proc("SCardGetStatusChangeW").Call(ctx, 1000, uintptr(unsafe.Pointer(&st)), 1)
	say("gsc", "%s", rcName(r))
	say("gsc-present", "%v", st.eventState&statePresent != 0)
	say("gsc-changed", "%v", st.eventState&stateChanged != 0)
	say("gsc-atr", "%X", st.atr[:min(int(st.atrLen), len(st.atr))])
	st.currentState = st.eventState &^ stateChanged
	r, _, _ = proc("SCardGetStatusChangeW").Call(ctx, 100, uintptr(unsafe.Pointer(&st)), 1)
	say("gsc-again", "%s", rcName(r))

	var list *byte
	n := uint32(autoAllocate)
	r, _, _ = proc("SCardListReadersA").Call(ctx, 0, uintptr(unsafe.Pointer(&list)), uintptr(unsafe.Pointer(&n)))
	if r != 0 {
		fail("SCardListReadersA", fmt.Errorf("%s", rcName(r)))
	}
	say("list-a", "%q", strings.TrimRight(string(unsafe.Slice(list, n)), "\x00"))
	proc("SCardFreeMemory").Call(ctx, uintptr(unsafe.Pointer(list)))

	connect := func() uintptr {
		var h uintptr
		var active uint32
		cname := append([]byte(reader), 0)
		r, _, _ := proc("SCardConnectA").Call(ctx, uintptr(unsafe.Pointer(&cname[0])), shareShared, protoT1,
			uintptr(unsafe.Pointer(&h)), uintptr(unsafe.Pointer(&active)))
		if r != 0 {
			fail("SCardConnectA", fmt.Errorf("%s", rcName(r)))
		}
		return h
	}
	h1, h2 := connect(), connect()
	var atrBuf *byte
	atrLen := uint32(autoAllocate)
	var state, proto uint32
	r, _, _ = proc("SCardStatusA").Call(h2, 0, 0, uintptr(unsafe.Pointer(&state)), uintptr(unsafe.Pointer(&proto)),
		uintptr(unsafe.Pointer(&atrBuf)), uintptr(unsafe.Pointer(&atrLen)))
	if r != 0 {
		fail("SCardStatusA", fmt.Errorf("%s", rcName(r)))
	}
	say("status-a", "state=%d proto=%d atr=%X", state, proto, unsafe.Slice(atrBuf, atrLen))
	proc("SCardFreeMemory").Call(ctx, uintptr(unsafe.Pointer(atrBuf)))

	pci := proc("g_rgSCardT1Pci").Addr()
	var pciVal [2]uint32 // read through kernel32, pci being a DLL address
	windows.NewLazySystemDLL("kernel32.dll").NewProc("RtlMoveMemory").Call(uintptr(unsafe.Pointer(&pciVal)), pci, 8)
	say("t1pci", "%v", pciVal)
	transmit := proc("SCardTransmit")
	if r, _, _ := proc("SCardBeginTransaction").Call(h1); r != 0 {
		fail("SCardBeginTransaction", fmt.Errorf("%s", rcName(r)))
	}
	var wg sync.WaitGroup
	var waited time.Duration
	var resp [258]byte
	var respLen uint32
	start := time.Now()
	wg.Go(func() {
		respLen = uint32(len(resp))
		r, _, _ := transmit.Call(h2, pci, uintptr(unsafe.Pointer(&selectPIV[0])), uintptr(len(selectPIV)), 0,
			uintptr(unsafe.Pointer(&resp[0])), uintptr(unsafe.Pointer(&respLen)))
		waited = time.Since(start)
		say("tx-other", "%s", rcName(r))
	})
	time.Sleep(300 * time.Millisecond)
	if r, _, _ := proc("SCardEndTransaction").Call(h1, 0); r != 0 {
		fail("SCardEndTransaction", fmt.Errorf("%s", rcName(r)))
	}
	wg.Wait()
	say("tx-wait-ms", "%d", waited.Milliseconds())
	say("tx-other-sw", "%X", resp[max(int(respLen)-2, 0):respLen])
	proc("SCardDisconnect").Call(h1, 0)
	proc("SCardDisconnect").Call(h2, 0)
	say("done", "ok")
}
