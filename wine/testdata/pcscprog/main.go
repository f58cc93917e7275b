// Command pcscprog drives a card through the project's pcsc package. Built
// for Windows and run under Wine (scripts/wine-env.sh), it goes through
// winscard.dll, which in the test prefix is wine/winscard.c talking to a
// virtual card over TCP. It prints "key: value" lines that wine_test.go
// checks, and exits non-zero on an unexpected error.
//
//	pcscprog full [N]   list, connect, status, attributes, transaction with
//	                    SELECT and an extended GET DATA, reset, N timed SELECTs
//	pcscprog nocard     list, then a connect that must fail (no card server)
//	pcscprog removal    connect, then an APDU on which the card server drops
//	                    the connection; reconnect
//	pcscprog raw        winscard.dll called directly: SCardGetStatusChangeW,
//	                    A functions with SCARD_AUTOALLOCATE, g_rgSCardT1Pci,
//	                    a transaction that keeps another handle waiting
package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cardmod/cardmod/pcsc"
)

// Commands. getData asks for the object in extendedTag with an extended
// Lc and Le (Le = 0000: up to 65536 bytes).
var (
	selectPIV   = []byte{0x00, 0xA4, 0x04, 0x00, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00}
	getDataExt  = []byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00, 0x00}
	dropCommand = []byte{0x80, 0xEE, 0x00, 0x00}
)

var errRawWindowsOnly = errors.New("raw mode needs Windows")

func say(key string, format string, args ...any) {
	fmt.Printf("%s: %s\n", key, fmt.Sprintf(format, args...))
}

func fail(what string, err error) {
	fmt.Printf("fatal: %s: %s\n", what, errName(err))
	fmt.Fprintf(os.Stderr, "pcscprog: %s: %v\n", what, err)
	os.Exit(1)
}

// errName returns the SCARD_* name of a PC/SC error, or the error text.
func errName(err error) string {
	var e pcsc.Error
	if errors.As(err, &e) {
		return e.Name()
	}
	return err.Error()
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: pcscprog full [N] | nocard | removal | raw")
		os.Exit(2)
	}
	ctx, err := pcsc.EstablishContext()
	if err != nil {
		fail("EstablishContext", err)
	}
	defer ctx.Release()
	readers, err := ctx.ListReaders()
	if err != nil {
		fail("ListReaders", err)
	}
	say("readers", "%s", strings.Join(readers, "|"))
	if len(readers) == 0 {
		fail("ListReaders", errors.New("no reader"))
	}
	switch os.Args[1] {
	case "full":
		n := 100
		if len(os.Args) > 2 {
			if n, err = strconv.Atoi(os.Args[2]); err != nil {
				fail("N", err)
			}
		}
		full(ctx, readers[0], n)
	case "nocard":
		_, err := ctx.Connect(readers[0], pcsc.ShareShared, pcsc.ProtocolAny)
		if err == nil {
			fail("Connect", errors.New("succeeded without a card"))
		}
		say("connect", "%s", errName(err))
	case "removal":
		removal(ctx, readers[0])
	case "raw":
		raw(readers[0])
	default:
		fmt.Fprintln(os.Stderr, "pcscprog: unknown mode", os.Args[1])
		os.Exit(2)
	}
}

func transmit(card *pcsc.Card, key string, cmd []byte) []byte {
	resp, err := card.Transmit(cmd)
	if err != nil {
		fail(key, err)
	}
	say(key, "%s", strings.ToUpper(hex.EncodeToString(resp)))
	return resp
}

func full(ctx *pcsc.Context, reader string, n int) {
	start := time.Now()
	card, err := ctx.Connect(reader, pcsc.ShareShared, pcsc.ProtocolAny)
	if err != nil {
		fail("Connect", err)
	}
	say("connect-us", "%d", time.Since(start).Microseconds())
	say("protocol", "%v", card.Protocol())
	name, atr, err := card.Status()
	if err != nil {
		fail("Status", err)
	}
	say("status-reader", "%s", name)
	say("atr", "%X", atr)
	attr, err := card.GetAttrib(pcsc.AttrATRString)
	if err != nil {
		fail("GetAttrib(ATR)", err)
	}
	say("attr-atr", "%X", attr)
	if _, err := card.GetAttrib(0x7FFF0001); err != nil {
		say("attr-unknown", "%s", errName(err))
	}
	err = card.Transact(func() error {
		transmit(card, "select", selectPIV)
		transmit(card, "getdata", getDataExt)
		return nil
	})
	if err != nil {
		fail("Transact", err)
	}
	if err := card.EndTransaction(pcsc.LeaveCard); err != nil {
		say("end-twice", "%s", errName(err))
	}
	if err := card.Reconnect(pcsc.ShareShared, pcsc.ProtocolT1, pcsc.ResetCard); err != nil {
		fail("Reconnect", err)
	}
	say("reconnect", "%v", card.Protocol())
	transmit(card, "select-after-reset", selectPIV)

	start = time.Now()
	for range n {
		if _, err := card.Transmit(selectPIV); err != nil {
			fail("Transmit (timed)", err)
		}
	}
	if n > 0 {
		say("roundtrip-us", "%.1f", float64(time.Since(start).Microseconds())/float64(n))
	}
	if err := card.Disconnect(pcsc.LeaveCard); err != nil {
		fail("Disconnect", err)
	}
	say("done", "ok")
}

func removal(ctx *pcsc.Context, reader string) {
	card, err := ctx.Connect(reader, pcsc.ShareShared, pcsc.ProtocolAny)
	if err != nil {
		fail("Connect", err)
	}
	transmit(card, "select", selectPIV)
	_, err = card.Transmit(dropCommand)
	say("drop", "%s", errName(err))
	_, err = card.Transmit(selectPIV)
	say("after-drop", "%s", errName(err))
	_, _, err = card.Status()
	say("status-after-drop", "%s", errName(err))
	if err := card.Reconnect(pcsc.ShareShared, pcsc.ProtocolAny, pcsc.LeaveCard); err != nil {
		fail("Reconnect", err)
	}
	transmit(card, "select-after-reconnect", selectPIV)
	if err := card.Disconnect(pcsc.LeaveCard); err != nil {
		fail("Disconnect", err)
	}
	say("done", "ok")
}
