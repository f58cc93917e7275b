package apdu

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestSWString(t *testing.T) {
	tests := []struct {
		sw   SW
		want string
	}{
		{SWOK, "9000 (success)"},
		{SWFileNotFound, "6A82 (file or application not found)"},
		{SWSecurityStatusNotSatisfied, "6982 (security status not satisfied)"},
		{0x6110, "6110 (16 bytes remaining)"},
		{0x6100, "6100 (256 or more bytes remaining)"},
		{0x63C2, "63C2 (verification failed, 2 retries left)"},
		{0x63C0, "63C0 (verification failed, 0 retries left)"},
		{0x6C20, "6C20 (wrong Le, exact length is 32)"},
		{0x6C00, "6C00 (wrong Le, exact length is 256)"},
		{0x6A99, "6A99 (wrong parameters P1-P2)"},
		{0x1234, "1234"},
		{SWWrongLength, "6700 (wrong length)"},
		{SWINSNotSupported, "6D00 (instruction not supported)"},
	}
	for _, tt := range tests {
		if got := tt.sw.String(); got != tt.want {
			t.Errorf("SW(%04X).String() = %q, want %q", uint16(tt.sw), got, tt.want)
		}
		if got := fmt.Sprint(tt.sw); got != tt.want {
			t.Errorf("fmt.Sprint(SW(%04X)) = %q, want %q", uint16(tt.sw), got, tt.want)
		}
	}
}

func TestSWDescriptions(t *testing.T) {
	all := []SW{SWOK, SWBytesRemaining, SWWarningNVMUnchanged, SWWarningCorrupted, SWWarningEOF,
		SWWarningDeactivated, SWWarningNVMChanged, SWWarningFileFilled, SWVerificationFailed,
		SWExecutionError, SWMemoryFailure, SWWrongLength, SWFunctionsInCLANotSupported,
		SWLogicalChannelNotSupported, SWSecureMessagingNotSupported, SWLastCommandExpected,
		SWChainingNotSupported, SWCommandNotAllowedGeneric, SWIncompatibleFileStructure,
		SWSecurityStatusNotSatisfied, SWAuthMethodBlocked, SWReferenceDataNotUsable,
		SWConditionsNotSatisfied, SWCommandNotAllowed, SWWrongParameters, SWWrongData,
		SWFuncNotSupported, SWFileNotFound, SWRecordNotFound, SWNotEnoughMemory,
		SWLcInconsistentWithTLV, SWIncorrectP1P2, SWLcInconsistentWithP1P2,
		SWReferencedDataNotFound, SWFileExists, SWWrongP1P2, SWWrongLe, SWINSNotSupported,
		SWCLANotSupported, SWUnknown}
	seen := map[SW]bool{}
	for _, sw := range all {
		if seen[sw] {
			t.Errorf("duplicate constant %04X", uint16(sw))
		}
		seen[sw] = true
		if sw.Description() == "" || sw.Error() != sw.String() {
			t.Errorf("%04X: description %q, Error %q", uint16(sw), sw.Description(), sw.Error())
		}
	}
	for sw1 := 0x62; sw1 <= 0x6F; sw1++ {
		if sw1 == 0x6C || sw1 == 0x63 {
			continue
		}
		if SW(sw1<<8|0x7E).Description() == "" {
			t.Errorf("no generic description for SW1 %02X", sw1)
		}
	}
}

func TestSWHelpers(t *testing.T) {
	if !SWOK.OK() || SWFileNotFound.OK() {
		t.Error("OK() wrong")
	}
	if sw := NewSW(0x6A, 0x82); sw != SWFileNotFound || sw.SW1() != 0x6A || sw.SW2() != 0x82 {
		t.Errorf("NewSW/SW1/SW2 wrong: %v", sw)
	}
	for _, tt := range []struct {
		sw SW
		n  int
		ok bool
	}{{0x63C3, 3, true}, {0x63CF, 15, true}, {0x63C0, 0, true}, {0x6300, 0, false}, {0x6983, 0, false}, {0x9000, 0, false}} {
		n, ok := tt.sw.Retries()
		if n != tt.n || ok != tt.ok {
			t.Errorf("%04X.Retries() = %d, %v; want %d, %v", uint16(tt.sw), n, ok, tt.n, tt.ok)
		}
	}
	if n, ok := SW(0x6100).Remaining(); n != 256 || !ok {
		t.Errorf("6100.Remaining() = %d, %v", n, ok)
	}
	if n, ok := SW(0x6C05).ExactLength(); n != 5 || !ok {
		t.Errorf("6C05.ExactLength() = %d, %v", n, ok)
	}
	if _, ok := SWOK.Remaining(); ok {
		t.Error("9000.Remaining() ok")
	}
	if _, ok := SWOK.ExactLength(); ok {
		t.Error("9000.ExactLength() ok")
	}
}

func TestResponse(t *testing.T) {
	r, err := ParseResponse([]byte{0x01, 0x02, 0x90, 0x00})
	if err != nil || !bytes.Equal(r.Data, []byte{1, 2}) || r.SW != SWOK {
		t.Fatalf("ParseResponse = %+v, %v", r, err)
	}
	if got := r.Bytes(); !bytes.Equal(got, []byte{0x01, 0x02, 0x90, 0x00}) {
		t.Errorf("Bytes() = %X", got)
	}
	if r.Err(0xCB) != nil {
		t.Error("Err for 9000 not nil")
	}
	r, err = ParseResponse([]byte{0x6A, 0x82})
	if err != nil || r.Data != nil || r.SW != SWFileNotFound {
		t.Fatalf("ParseResponse(6A82) = %+v, %v", r, err)
	}
	for _, in := range [][]byte{nil, {0x90}} {
		if _, err := ParseResponse(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseResponse(%X) error = %v, want ErrMalformed", in, err)
		}
	}
}

func TestError(t *testing.T) {
	err := Response{SW: SWSecurityStatusNotSatisfied}.Err(0x87)
	if err == nil {
		t.Fatal("nil error for 6982")
	}
	if got, want := err.Error(), "card returned 6982 (security status not satisfied) to INS 87"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("general authenticate: %w", err)

	if !errors.Is(wrapped, SW(0x6982)) || !errors.Is(wrapped, SWSecurityStatusNotSatisfied) {
		t.Error("errors.Is(err, SW 6982) = false")
	}
	if errors.Is(wrapped, SWFileNotFound) {
		t.Error("errors.Is(err, 6A82) = true")
	}
	if !errors.Is(wrapped, &Error{SW: 0x6982, INS: 0x87}) || errors.Is(wrapped, &Error{SW: 0x6982, INS: 0x20}) {
		t.Error("errors.Is with *Error target wrong")
	}

	var pe *Error
	if !errors.As(wrapped, &pe) || pe.SW != 0x6982 || pe.INS != 0x87 {
		t.Errorf("errors.As(*Error) = %v", pe)
	}
	var ve Error
	if !errors.As(wrapped, &ve) || ve.SW != 0x6982 || ve.INS != 0x87 {
		t.Errorf("errors.As(Error) = %v", ve)
	}
	target := &Error{}
	if !errors.As(wrapped, target) || target.SW != 0x6982 {
		t.Errorf("errors.As(&Error{}) = %v", target)
	}
	// A value Error also works with a **Error target.
	var pe2 *Error
	if !errors.As(fmt.Errorf("x: %w", Error{SW: 0x6A82, INS: 0xCB}), &pe2) || pe2.SW != 0x6A82 {
		t.Errorf("errors.As from value Error = %v", pe2)
	}
	var sw SW
	if !errors.As(wrapped, &sw) || sw != SWSecurityStatusNotSatisfied {
		t.Errorf("errors.As(*SW) = %v", sw)
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{0x01, 0x02, 0x61, 0x10})
	f.Add([]byte{0x63})
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := ParseResponse(in)
		if err != nil {
			if len(in) >= 2 || !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseResponse(%X): %v", in, err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), in) {
			t.Fatalf("Bytes() = %X, want %X", r.Bytes(), in)
		}
		_ = r.SW.String()
		if e := r.Err(0); (e == nil) != r.SW.OK() {
			t.Fatalf("Err() = %v for %v", e, r.SW)
		}
	})
}
