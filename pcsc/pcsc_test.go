package pcsc

import (
	"errors"
	"os"
	"testing"

	"github.com/cardmod/cardmod/apdu"
)

// Card is used as the project's APDU transport.
var _ apdu.Transport = (*Card)(nil)

// TestLoadMissingLibrary simulates a machine without PC/SC: loading a
// library that does not exist must fail with an error wrapping ErrNoPCSC.
func TestLoadMissingLibrary(t *testing.T) {
	lib, err := loadLibrary("libcardmod-no-such-pcsclite.so.7", "cardmod-no-such-winscard.dll")
	if err == nil {
		t.Fatalf("loadLibrary of a bogus name succeeded: %+v", lib)
	}
	if !errors.Is(err, ErrNoPCSC) {
		t.Errorf("loadLibrary error %v does not wrap ErrNoPCSC", err)
	}
	t.Logf("loadLibrary(bogus): %v", err)
}

// TestDefaultLibraryLoadsOnce checks that the default loader is stable: both
// calls give the same library or the same error.
func TestDefaultLibraryLoadsOnce(t *testing.T) {
	l1, err1 := defaultLibrary()
	l2, err2 := defaultLibrary()
	if l1 != l2 || !errors.Is(err2, err1) && err1 != err2 {
		t.Fatalf("defaultLibrary differs between calls: (%p, %v) then (%p, %v)", l1, err1, l2, err2)
	}
	if err1 != nil {
		if !errors.Is(err1, ErrNoPCSC) {
			t.Errorf("defaultLibrary error %v does not wrap ErrNoPCSC", err1)
		}
		t.Logf("no PC/SC library here: %v", err1)
	}
}

// TestEstablishContextWithoutService checks EstablishContext's error when
// pcscd is not running (the usual state outside scripts/with-pcscd.sh).
func TestEstablishContextWithoutService(t *testing.T) {
	ctx, err := EstablishContext()
	if err == nil {
		t.Logf("a PC/SC service is running (context 0x%x); nothing to check", ctx.Handle())
		if err := ctx.Release(); err != nil {
			t.Errorf("Release: %v", err)
		}
		if err := ctx.Release(); err == nil {
			t.Errorf("second Release succeeded")
		}
		return
	}
	if !errors.Is(err, ErrNoPCSC) {
		t.Fatalf("EstablishContext without a service: %v, want an error wrapping ErrNoPCSC", err)
	}
	if os.Getenv("CARDMOD_PCSCD") == "1" {
		t.Errorf("CARDMOD_PCSCD=1 but EstablishContext failed: %v", err)
	}
	t.Logf("EstablishContext: %v", err)
}

// TestBorrowedHandle checks FromHandle's rules without a card: a bogus
// handle is refused by the library (pcsc-lite checks handles locally, so
// this also exercises the SCardTransmit and SCardStatus bindings without
// pcscd), and Disconnect never disconnects a borrowed handle.
func TestBorrowedHandle(t *testing.T) {
	k := FromHandle(0x5eed, ProtocolT1)
	if k.Handle() != 0x5eed || k.Protocol() != ProtocolT1 {
		t.Errorf("FromHandle: handle 0x%x protocol %v", k.Handle(), k.Protocol())
	}
	if _, err := k.Transmit(nil); err == nil {
		t.Errorf("Transmit(empty) succeeded")
	}
	if _, err := k.Transmit(make([]byte, maxSendSize+1)); err == nil {
		t.Errorf("Transmit(too long) succeeded")
	}
	if _, err := defaultLibrary(); err == nil {
		_, err := k.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x00})
		if !errors.Is(err, SCardEInvalidHandle) {
			t.Errorf("Transmit on a bogus handle: %v, want SCardEInvalidHandle", err)
		}
		_, _, err = k.Status()
		if !errors.Is(err, SCardEInvalidHandle) {
			t.Errorf("Status on a bogus handle: %v, want SCardEInvalidHandle", err)
		}
		if err := k.Transact(func() error { return nil }); !errors.Is(err, SCardEInvalidHandle) {
			t.Errorf("Transact on a bogus handle: %v, want SCardEInvalidHandle", err)
		}
		if err := k.Disconnect(LeaveCard); !errors.Is(err, errBorrowed) {
			t.Errorf("Disconnect of a borrowed handle: %v, want errBorrowed", err)
		}
		if _, err := k.Transmit([]byte{0x00, 0xA4, 0x04, 0x00, 0x00}); !errors.Is(err, errDisconnected) {
			t.Errorf("Transmit after Disconnect: %v, want errDisconnected", err)
		}
		if k.Handle() != 0 {
			t.Errorf("Handle after Disconnect = 0x%x, want 0", k.Handle())
		}
	}
	// A card whose library failed to load reports that failure.
	noLib := &Card{libErr: errors.Join(ErrNoPCSC, errors.New("test"))}
	if _, err := noLib.Transmit([]byte{0, 0xA4, 4, 0}); !errors.Is(err, ErrNoPCSC) {
		t.Errorf("Transmit without library: %v, want ErrNoPCSC", err)
	}
	if err := noLib.BeginTransaction(); !errors.Is(err, ErrNoPCSC) {
		t.Errorf("BeginTransaction without library: %v, want ErrNoPCSC", err)
	}
	if err := noLib.Disconnect(LeaveCard); !errors.Is(err, ErrNoPCSC) {
		t.Errorf("Disconnect without library: %v, want ErrNoPCSC", err)
	}
}

func TestProtocolOfFromHandle(t *testing.T) {
	for _, p := range []Protocol{ProtocolUndefined, ProtocolAny, 0x80} {
		if got := FromHandle(1, p).Protocol(); got != ProtocolUndefined {
			t.Errorf("FromHandle(1, %v).Protocol() = %v, want undefined (look up on first Transmit)", p, got)
		}
	}
}

func TestConnectRejectsNUL(t *testing.T) {
	c := &Context{h: 1}
	if _, err := c.Connect("a\x00b", ShareShared, ProtocolAny); err == nil {
		t.Errorf("Connect with a NUL in the reader name succeeded")
	}
	c.released = true
	if _, err := c.ListReaders(); !errors.Is(err, errReleased) {
		t.Errorf("ListReaders after release: %v", err)
	}
	if c.Handle() != 0 {
		t.Errorf("Handle after release = 0x%x", c.Handle())
	}
}
