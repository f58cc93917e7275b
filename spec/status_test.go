package spec

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// statusTable is transcribed from reference §3.10 (all three tables and the two NTE codes named
// in its prose).
var statusTable = []struct {
	st    Status
	name  string
	value uint32
}{
	{Success, "SCARD_S_SUCCESS", 0x00000000},
	{SCardFInternalError, "SCARD_F_INTERNAL_ERROR", 0x80100001},
	{SCardEInvalidHandle, "SCARD_E_INVALID_HANDLE", 0x80100003},
	{SCardEInvalidParameter, "SCARD_E_INVALID_PARAMETER", 0x80100004},
	{SCardENoMemory, "SCARD_E_NO_MEMORY", 0x80100006},
	{SCardEInsufficientBuffer, "SCARD_E_INSUFFICIENT_BUFFER", 0x80100008},
	{SCardEUnknownCard, "SCARD_E_UNKNOWN_CARD", 0x8010000D},
	{SCardEUnexpected, "SCARD_E_UNEXPECTED", 0x8010001F},
	{SCardEUnsupportedFeature, "SCARD_E_UNSUPPORTED_FEATURE", 0x80100022},
	{SCardEDirNotFound, "SCARD_E_DIR_NOT_FOUND", 0x80100023},
	{SCardEFileNotFound, "SCARD_E_FILE_NOT_FOUND", 0x80100024},
	{SCardEWriteTooMany, "SCARD_E_WRITE_TOO_MANY", 0x80100028},
	{SCardECommDataLost, "SCARD_E_COMM_DATA_LOST", 0x8010002F},
	{SCardENoKeyContainer, "SCARD_E_NO_KEY_CONTAINER", 0x80100030},
	{SCardWSecurityViolation, "SCARD_W_SECURITY_VIOLATION", 0x8010006A},
	{SCardWWrongCHV, "SCARD_W_WRONG_CHV", 0x8010006B},
	{SCardWCHVBlocked, "SCARD_W_CHV_BLOCKED", 0x8010006C},
	{ErrorNotEnoughMemory, "ERROR_NOT_ENOUGH_MEMORY", 8},
	{ErrorFileExists, "ERROR_FILE_EXISTS", 80},
	{ErrorInsufficientBuffer, "ERROR_INSUFFICIENT_BUFFER", 122},
	{ErrorDirNotEmpty, "ERROR_DIR_NOT_EMPTY", 145},
	{ErrorRevisionMismatch, "ERROR_REVISION_MISMATCH", 1306},

	{SCardEInvalidValue, "SCARD_E_INVALID_VALUE", 0x80100011},
	{SCardFUnknownError, "SCARD_F_UNKNOWN_ERROR", 0x80100014},
	{SCardENoSmartcard, "SCARD_E_NO_SMARTCARD", 0x8010000C},
	{SCardWResetCard, "SCARD_W_RESET_CARD", 0x80100068},
	{SCardWRemovedCard, "SCARD_W_REMOVED_CARD", 0x80100069},
	{SCardWCardNotAuthenticated, "SCARD_W_CARD_NOT_AUTHENTICATED", 0x8010006F},
	{SCardENoAccess, "SCARD_E_NO_ACCESS", 0x80100027},
	{SCardEInvalidCHV, "SCARD_E_INVALID_CHV", 0x8010002A},
	{SCardEPINCacheExpired, "SCARD_E_PIN_CACHE_EXPIRED", 0x80100032},
	{SCardENoPINCache, "SCARD_E_NO_PIN_CACHE", 0x80100033},
	{SCardEReadOnlyCard, "SCARD_E_READ_ONLY_CARD", 0x80100034},
	{ErrorOutOfMemory, "ERROR_OUTOFMEMORY", 14},

	{NTEBadKey, "NTE_BAD_KEY", 0x80090003},
	{NTEBadLen, "NTE_BAD_LEN", 0x80090004},
	{NTEBadData, "NTE_BAD_DATA", 0x80090005},
	{NTEBadSignature, "NTE_BAD_SIGNATURE", 0x80090006},
	{NTEBadFlags, "NTE_BAD_FLAGS", 0x80090009},
	{NTENoMemory, "NTE_NO_MEMORY", 0x8009000E},
	{NTEPerm, "NTE_PERM", 0x80090010},
	{NTEBadKeyset, "NTE_BAD_KEYSET", 0x80090016},
	{NTEFail, "NTE_FAIL", 0x80090020},
	{NTESilentContext, "NTE_SILENT_CONTEXT", 0x80090022},
	{NTEInvalidHandle, "NTE_INVALID_HANDLE", 0x80090026},
	{NTEInvalidParameter, "NTE_INVALID_PARAMETER", 0x80090027},
	{NTEBufferTooSmall, "NTE_BUFFER_TOO_SMALL", 0x80090028},
	{NTENotSupported, "NTE_NOT_SUPPORTED", 0x80090029},
}

func TestStatusValues(t *testing.T) {
	for _, tc := range statusTable {
		if uint32(tc.st) != tc.value {
			t.Errorf("%s = 0x%08X, want 0x%08X", tc.name, uint32(tc.st), tc.value)
		}
		if got := tc.st.Name(); got != tc.name {
			t.Errorf("Status(0x%08X).Name() = %q, want %q", tc.value, got, tc.name)
		}
		want := fmt.Sprintf("%s (0x%08X)", tc.name, tc.value)
		if got := tc.st.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
	if len(statusNames) != len(statusTable) {
		t.Errorf("package knows %d codes, the test table has %d", len(statusNames), len(statusTable))
	}
}

func TestStatusErrorString(t *testing.T) {
	if got := SCardEInvalidParameter.Error(); got != "SCARD_E_INVALID_PARAMETER (0x80100004)" {
		t.Errorf("got %q", got)
	}
	if got := ErrorRevisionMismatch.Error(); got != "ERROR_REVISION_MISMATCH (0x0000051A)" {
		t.Errorf("got %q", got)
	}
	if got := Status(0x12345678).Error(); got != "status 0x12345678" {
		t.Errorf("got %q", got)
	}
	if Status(0x12345678).Name() != "" {
		t.Error("unknown status has a name")
	}
}

func TestStatusOf(t *testing.T) {
	inner := Errorf(SCardWWrongCHV, "verify PIN %d", 1)
	tests := []struct {
		name string
		err  error
		want Status
	}{
		{"nil", nil, Success},
		{"bare success", Success, Success},
		{"bare status", SCardWCHVBlocked, SCardWCHVBlocked},
		{"Errorf", inner, SCardWWrongCHV},
		{"wrapped Errorf", fmt.Errorf("authenticate: %w", inner), SCardWWrongCHV},
		{"plain error", errors.New("boom"), SCardEUnexpected},
		{"io.EOF", io.EOF, SCardEUnexpected},
		{"wrapped success", fmt.Errorf("odd: %w", Success), SCardEUnexpected},
		{"Errorf(Success)", Errorf(Success, "misuse"), SCardEUnexpected},
		{"outer status wins", Errorf(SCardEFileNotFound, "read: %w", SCardECommDataLost), SCardEFileNotFound},
	}
	for _, tc := range tests {
		if got := StatusOf(tc.err); got != tc.want {
			t.Errorf("%s: StatusOf = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestErrorf(t *testing.T) {
	err := Errorf(SCardWWrongCHV, "PIN %s rejected", "user")
	if !errors.Is(err, SCardWWrongCHV) {
		t.Error("errors.Is(err, SCardWWrongCHV) is false")
	}
	if errors.Is(err, SCardWCHVBlocked) {
		t.Error("errors.Is matches another status")
	}
	if got, want := err.Error(), "PIN user rejected: SCARD_W_WRONG_CHV (0x8010006B)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var st Status
	if !errors.As(err, &st) || st != SCardWWrongCHV {
		t.Errorf("errors.As = %v", st)
	}
	// %w keeps the wrapped cause reachable.
	cause := errors.New("card removed")
	err = Errorf(SCardECommDataLost, "read cmapfile: %w", cause)
	if !errors.Is(err, cause) || !errors.Is(err, SCardECommDataLost) {
		t.Error("wrapped cause or status lost")
	}
	if StatusOf(err) != SCardECommDataLost {
		t.Error("StatusOf lost the status")
	}
}
