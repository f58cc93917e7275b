package pcsc

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{SCardENoSmartcard, "SCARD_E_NO_SMARTCARD (0x8010000C)"},
		{SCardWRemovedCard, "SCARD_W_REMOVED_CARD (0x80100069)"},
		{SCardWResetCard, "SCARD_W_RESET_CARD (0x80100068)"},
		{SCardENoService, "SCARD_E_NO_SERVICE (0x8010001D)"},
		{SCardENoReadersAvailable, "SCARD_E_NO_READERS_AVAILABLE (0x8010002E)"},
		{SCardEInsufficientBuffer, "SCARD_E_INSUFFICIENT_BUFFER (0x80100008)"},
		{SCardETimeout, "SCARD_E_TIMEOUT (0x8010000A)"},
		{SCardEUnknownReader, "SCARD_E_UNKNOWN_READER (0x80100009)"},
		{SCardESharingViolation, "SCARD_E_SHARING_VIOLATION (0x8010000B)"},
		{SCardENotTransacted, "SCARD_E_NOT_TRANSACTED (0x80100016)"},
		{SCardEInvalidHandle, "SCARD_E_INVALID_HANDLE (0x80100003)"},
		{SCardEReaderUnavailable, "SCARD_E_READER_UNAVAILABLE (0x80100017)"},
		{0x80100022, "SCARD_E_UNSUPPORTED_FEATURE (0x80100022)"},
		{SCardEUnexpected, unexpectedName + " (0x8010001F)"},
		{0, "SCARD_S_SUCCESS (0x00000000)"},
		{0x12345678, "PC/SC error 0x12345678"},
		{0x80100099, "PC/SC error 0x80100099"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error(0x%08X).Error() = %q, want %q", uint32(tt.e), got, tt.want)
		}
		if got := tt.e.String(); got != tt.want {
			t.Errorf("Error(0x%08X).String() = %q, want %q", uint32(tt.e), got, tt.want)
		}
		if got := fmt.Sprint(tt.e); got != tt.want {
			t.Errorf("fmt.Sprint(Error(0x%08X)) = %q, want %q", uint32(tt.e), got, tt.want)
		}
	}
}

func TestUnsupportedFeature(t *testing.T) {
	if got := SCardEUnsupportedFeature.Name(); got != "SCARD_E_UNSUPPORTED_FEATURE" {
		t.Errorf("SCardEUnsupportedFeature (0x%08X) is named %q", uint32(SCardEUnsupportedFeature), got)
	}
}

// TestErrorNames checks the name table: every name is an SCARD_* name that
// no other code has, and matches its code's class (E, W, F, P).
func TestErrorNames(t *testing.T) {
	seen := map[string]Error{}
	for code, name := range errorNames {
		if !strings.HasPrefix(name, "SCARD_") {
			t.Errorf("0x%08X: name %q lacks the SCARD_ prefix", uint32(code), name)
		}
		// pcsc-lite names 0x8010001F SCARD_E_UNSUPPORTED_FEATURE as
		// well as Windows' 0x80100022.
		if prev, dup := seen[name]; dup && name != "SCARD_E_UNSUPPORTED_FEATURE" {
			t.Errorf("name %q used for 0x%08X and 0x%08X", name, uint32(prev), uint32(code))
		}
		seen[name] = code
		if uint32(code)&0xFFFFFF00 != 0x80100000 {
			t.Errorf("%s: 0x%08X is not an SCARD facility code", name, uint32(code))
		}
		if uint32(code)&0xFF >= 0x65 && !strings.HasPrefix(name, "SCARD_W_") {
			t.Errorf("%s: 0x%08X is a warning code", name, uint32(code))
		}
	}
}

func TestCallErrorWraps(t *testing.T) {
	if err := callError("SCardTransmit", scardSuccess); err != nil {
		t.Fatalf("callError(success) = %v, want nil", err)
	}
	err := callError("SCardTransmit", SCardWRemovedCard)
	if !errors.Is(err, SCardWRemovedCard) {
		t.Errorf("errors.Is(%v, SCardWRemovedCard) = false", err)
	}
	if errors.Is(err, SCardWResetCard) {
		t.Errorf("errors.Is(%v, SCardWResetCard) = true", err)
	}
	var e Error
	if !errors.As(err, &e) || e != SCardWRemovedCard {
		t.Errorf("errors.As(%v) gave %v", err, e)
	}
	want := "pcsc: SCardTransmit: SCARD_W_REMOVED_CARD (0x80100069)"
	if err.Error() != want {
		t.Errorf("error text %q, want %q", err.Error(), want)
	}
}

func TestEnumStrings(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{ShareShared, "SCARD_SHARE_SHARED"},
		{ShareExclusive, "SCARD_SHARE_EXCLUSIVE"},
		{ShareDirect, "SCARD_SHARE_DIRECT"},
		{ShareMode(9), "ShareMode(9)"},
		{ProtocolT0, "T=0"},
		{ProtocolT1, "T=1"},
		{ProtocolAny, "T=0|T=1"},
		{ProtocolUndefined, "undefined"},
		{ProtocolRaw | 0x100, "raw|0x100"},
		{LeaveCard, "SCARD_LEAVE_CARD"},
		{ResetCard, "SCARD_RESET_CARD"},
		{UnpowerCard, "SCARD_UNPOWER_CARD"},
		{EjectCard, "SCARD_EJECT_CARD"},
		{Disposition(7), "Disposition(7)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
}
