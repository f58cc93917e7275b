package spec

import (
	"errors"
	"fmt"
)

// Status is a Windows status code as returned by every minidriver entry point (a DWORD). 0 is
// success; every other value is an error, so Status implements error.
type Status uint32

// Success and the error codes the specification tells a minidriver to return (reference §3.10,
// first table).
const (
	Success                  Status = 0x00000000 // SCARD_S_SUCCESS / NO_ERROR
	SCardFInternalError      Status = 0x80100001 // SCARD_F_INTERNAL_ERROR
	SCardEInvalidHandle      Status = 0x80100003 // SCARD_E_INVALID_HANDLE
	SCardEInvalidParameter   Status = 0x80100004 // SCARD_E_INVALID_PARAMETER
	SCardENoMemory           Status = 0x80100006 // SCARD_E_NO_MEMORY
	SCardEInsufficientBuffer Status = 0x80100008 // SCARD_E_INSUFFICIENT_BUFFER
	SCardEUnknownCard        Status = 0x8010000D // SCARD_E_UNKNOWN_CARD
	SCardEUnexpected         Status = 0x8010001F // SCARD_E_UNEXPECTED
	SCardEUnsupportedFeature Status = 0x80100022 // SCARD_E_UNSUPPORTED_FEATURE
	SCardEDirNotFound        Status = 0x80100023 // SCARD_E_DIR_NOT_FOUND
	SCardEFileNotFound       Status = 0x80100024 // SCARD_E_FILE_NOT_FOUND (cached by the CSP: means "does not exist")
	SCardEWriteTooMany       Status = 0x80100028 // SCARD_E_WRITE_TOO_MANY
	SCardECommDataLost       Status = 0x8010002F // SCARD_E_COMM_DATA_LOST
	SCardENoKeyContainer     Status = 0x80100030 // SCARD_E_NO_KEY_CONTAINER
	SCardWSecurityViolation  Status = 0x8010006A // SCARD_W_SECURITY_VIOLATION
	SCardWWrongCHV           Status = 0x8010006B // SCARD_W_WRONG_CHV
	SCardWCHVBlocked         Status = 0x8010006C // SCARD_W_CHV_BLOCKED
	ErrorNotEnoughMemory     Status = 8          // ERROR_NOT_ENOUGH_MEMORY
	ErrorFileExists          Status = 80         // ERROR_FILE_EXISTS
	ErrorInsufficientBuffer  Status = 122        // ERROR_INSUFFICIENT_BUFFER
	ErrorDirNotEmpty         Status = 145        // ERROR_DIR_NOT_EMPTY
	ErrorRevisionMismatch    Status = 1306       // ERROR_REVISION_MISMATCH
)

// Related codes seen in practice (reference §3.10, second table).
const (
	SCardEInvalidValue         Status = 0x80100011 // SCARD_E_INVALID_VALUE
	SCardFUnknownError         Status = 0x80100014 // SCARD_F_UNKNOWN_ERROR
	SCardENoSmartcard          Status = 0x8010000C // SCARD_E_NO_SMARTCARD
	SCardWResetCard            Status = 0x80100068 // SCARD_W_RESET_CARD
	SCardWRemovedCard          Status = 0x80100069 // SCARD_W_REMOVED_CARD
	SCardWCardNotAuthenticated Status = 0x8010006F // SCARD_W_CARD_NOT_AUTHENTICATED
	SCardENoAccess             Status = 0x80100027 // SCARD_E_NO_ACCESS
	SCardEInvalidCHV           Status = 0x8010002A // SCARD_E_INVALID_CHV
	SCardEPINCacheExpired      Status = 0x80100032 // SCARD_E_PIN_CACHE_EXPIRED
	SCardENoPINCache           Status = 0x80100033 // SCARD_E_NO_PIN_CACHE
	SCardEReadOnlyCard         Status = 0x80100034 // SCARD_E_READ_ONLY_CARD
	ErrorOutOfMemory           Status = 14         // ERROR_OUTOFMEMORY
)

// NTE_* codes (reference §3.10). A minidriver never returns these (the specification asks for
// SCARD_* codes); they are what the CSP/KSP returns to its own callers, listed for tools and tests.
const (
	NTEBadKey           Status = 0x80090003 // NTE_BAD_KEY
	NTEBadLen           Status = 0x80090004 // NTE_BAD_LEN
	NTEBadData          Status = 0x80090005 // NTE_BAD_DATA
	NTEBadSignature     Status = 0x80090006 // NTE_BAD_SIGNATURE
	NTEBadFlags         Status = 0x80090009 // NTE_BAD_FLAGS
	NTENoMemory         Status = 0x8009000E // NTE_NO_MEMORY
	NTEPerm             Status = 0x80090010 // NTE_PERM
	NTEBadKeyset        Status = 0x80090016 // NTE_BAD_KEYSET
	NTEFail             Status = 0x80090020 // NTE_FAIL
	NTESilentContext    Status = 0x80090022 // NTE_SILENT_CONTEXT
	NTEInvalidHandle    Status = 0x80090026 // NTE_INVALID_HANDLE (named in the §3.10 prose)
	NTEInvalidParameter Status = 0x80090027 // NTE_INVALID_PARAMETER (named in the §3.10 prose)
	NTEBufferTooSmall   Status = 0x80090028 // NTE_BUFFER_TOO_SMALL
	NTENotSupported     Status = 0x80090029 // NTE_NOT_SUPPORTED
)

var statusNames = map[Status]string{
	Success:                    "SCARD_S_SUCCESS",
	SCardFInternalError:        "SCARD_F_INTERNAL_ERROR",
	SCardEInvalidHandle:        "SCARD_E_INVALID_HANDLE",
	SCardEInvalidParameter:     "SCARD_E_INVALID_PARAMETER",
	SCardENoMemory:             "SCARD_E_NO_MEMORY",
	SCardEInsufficientBuffer:   "SCARD_E_INSUFFICIENT_BUFFER",
	SCardEUnknownCard:          "SCARD_E_UNKNOWN_CARD",
	SCardEUnexpected:           "SCARD_E_UNEXPECTED",
	SCardEUnsupportedFeature:   "SCARD_E_UNSUPPORTED_FEATURE",
	SCardEDirNotFound:          "SCARD_E_DIR_NOT_FOUND",
	SCardEFileNotFound:         "SCARD_E_FILE_NOT_FOUND",
	SCardEWriteTooMany:         "SCARD_E_WRITE_TOO_MANY",
	SCardECommDataLost:         "SCARD_E_COMM_DATA_LOST",
	SCardENoKeyContainer:       "SCARD_E_NO_KEY_CONTAINER",
	SCardWSecurityViolation:    "SCARD_W_SECURITY_VIOLATION",
	SCardWWrongCHV:             "SCARD_W_WRONG_CHV",
	SCardWCHVBlocked:           "SCARD_W_CHV_BLOCKED",
	ErrorNotEnoughMemory:       "ERROR_NOT_ENOUGH_MEMORY",
	ErrorFileExists:            "ERROR_FILE_EXISTS",
	ErrorInsufficientBuffer:    "ERROR_INSUFFICIENT_BUFFER",
	ErrorDirNotEmpty:           "ERROR_DIR_NOT_EMPTY",
	ErrorRevisionMismatch:      "ERROR_REVISION_MISMATCH",
	SCardEInvalidValue:         "SCARD_E_INVALID_VALUE",
	SCardFUnknownError:         "SCARD_F_UNKNOWN_ERROR",
	SCardENoSmartcard:          "SCARD_E_NO_SMARTCARD",
	SCardWResetCard:            "SCARD_W_RESET_CARD",
	SCardWRemovedCard:          "SCARD_W_REMOVED_CARD",
	SCardWCardNotAuthenticated: "SCARD_W_CARD_NOT_AUTHENTICATED",
	SCardENoAccess:             "SCARD_E_NO_ACCESS",
	SCardEInvalidCHV:           "SCARD_E_INVALID_CHV",
	SCardEPINCacheExpired:      "SCARD_E_PIN_CACHE_EXPIRED",
	SCardENoPINCache:           "SCARD_E_NO_PIN_CACHE",
	SCardEReadOnlyCard:         "SCARD_E_READ_ONLY_CARD",
	ErrorOutOfMemory:           "ERROR_OUTOFMEMORY",
	NTEBadKey:                  "NTE_BAD_KEY",
	NTEBadLen:                  "NTE_BAD_LEN",
	NTEBadData:                 "NTE_BAD_DATA",
	NTEBadSignature:            "NTE_BAD_SIGNATURE",
	NTEBadFlags:                "NTE_BAD_FLAGS",
	NTENoMemory:                "NTE_NO_MEMORY",
	NTEPerm:                    "NTE_PERM",
	NTEBadKeyset:               "NTE_BAD_KEYSET",
	NTEFail:                    "NTE_FAIL",
	NTESilentContext:           "NTE_SILENT_CONTEXT",
	NTEInvalidHandle:           "NTE_INVALID_HANDLE",
	NTEInvalidParameter:        "NTE_INVALID_PARAMETER",
	NTEBufferTooSmall:          "NTE_BUFFER_TOO_SMALL",
	NTENotSupported:            "NTE_NOT_SUPPORTED",
}

// Name returns the Windows name of the code ("SCARD_W_WRONG_CHV"), or "" when this package does
// not know the code.
func (s Status) Name() string { return statusNames[s] }

// Error returns the Windows name and the hexadecimal value, e.g.
// "SCARD_E_INVALID_PARAMETER (0x80100004)"; an unknown code gives "status 0x12345678".
func (s Status) Error() string {
	if n, ok := statusNames[s]; ok {
		return fmt.Sprintf("%s (0x%08X)", n, uint32(s))
	}
	return fmt.Sprintf("status 0x%08X", uint32(s))
}

// StatusOf maps an error to the status an entry point returns: 0 for nil, the first Status found
// in err's chain (errors.As), and SCardEUnexpected (the specification's "generic failure") for
// any other error.
//
// A non-nil error is never reported as success: an error whose chain yields Success is mapped to
// SCardEUnexpected, except the bare value Success itself, which stays 0.
func StatusOf(err error) Status {
	if err == nil {
		return Success
	}
	var st Status
	if !errors.As(err, &st) {
		return SCardEUnexpected
	}
	if st == Success {
		if s, ok := err.(Status); ok && s == Success {
			return Success
		}
		return SCardEUnexpected
	}
	return st
}

// statusError is an error carrying a Status and a context message.
type statusError struct {
	st  Status
	err error // the formatted context, possibly wrapping further errors with %w
}

// Error returns the context followed by the status, e.g. "read cmapfile: SCARD_E_COMM_DATA_LOST (0x8010002F)".
func (e *statusError) Error() string { return e.err.Error() + ": " + e.st.Error() }

// Unwrap returns the status first, so that errors.As finds it before any status the context
// might wrap.
func (e *statusError) Unwrap() []error { return []error{e.st, e.err} }

// Errorf returns an error that carries st and a context message formatted as fmt.Errorf does
// (%w is honoured, so other errors may be wrapped too). errors.Is(err, st) holds and StatusOf
// returns st. Errorf(Success, ...) is a programming error and yields SCardEUnexpected, because a
// failure must never be reported as success.
func Errorf(st Status, format string, args ...any) error {
	if st == Success {
		st = SCardEUnexpected
	}
	return &statusError{st: st, err: fmt.Errorf(format, args...)}
}
