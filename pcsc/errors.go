package pcsc

import (
	"errors"
	"fmt"
)

// ErrNoPCSC reports that PC/SC is not available on this machine: the PC/SC
// library (libpcsclite.so.1, the PCSC framework or winscard.dll) cannot be
// loaded, lacks a required function, or the resource manager service (pcscd,
// SCardSvr) is not running. Errors returned by EstablishContext in these
// cases wrap it, so callers (and tests) can test for it with errors.Is.
var ErrNoPCSC = errors.New("pcsc: PC/SC is not available")

// Error is a PC/SC status code as returned by the SCard* functions
// (SCARD_S_SUCCESS is never returned as an error). Its Error method gives the
// symbolic SCARD_* name and the hexadecimal value, for example
// "SCARD_E_NO_SMARTCARD (0x8010000C)". Errors returned by this package wrap
// an Error whenever the PC/SC library reported one, so that
//
//	errors.Is(err, pcsc.SCardWRemovedCard)
//
// tells a removed card apart from other failures.
type Error uint32

// PC/SC status codes. The values are those of pcsc-lite's pcsclite.h and of
// Windows' winerror.h, which agree except for SCARD_E_UNSUPPORTED_FEATURE
// (see SCardEUnsupportedFeature).
const (
	SCardFInternalError          Error = 0x80100001 // SCARD_F_INTERNAL_ERROR
	SCardECancelled              Error = 0x80100002 // SCARD_E_CANCELLED
	SCardEInvalidHandle          Error = 0x80100003 // SCARD_E_INVALID_HANDLE
	SCardEInvalidParameter       Error = 0x80100004 // SCARD_E_INVALID_PARAMETER
	SCardEInvalidTarget          Error = 0x80100005 // SCARD_E_INVALID_TARGET
	SCardENoMemory               Error = 0x80100006 // SCARD_E_NO_MEMORY
	SCardFWaitedTooLong          Error = 0x80100007 // SCARD_F_WAITED_TOO_LONG
	SCardEInsufficientBuffer     Error = 0x80100008 // SCARD_E_INSUFFICIENT_BUFFER
	SCardEUnknownReader          Error = 0x80100009 // SCARD_E_UNKNOWN_READER
	SCardETimeout                Error = 0x8010000A // SCARD_E_TIMEOUT
	SCardESharingViolation       Error = 0x8010000B // SCARD_E_SHARING_VIOLATION
	SCardENoSmartcard            Error = 0x8010000C // SCARD_E_NO_SMARTCARD
	SCardEUnknownCard            Error = 0x8010000D // SCARD_E_UNKNOWN_CARD
	SCardECantDispose            Error = 0x8010000E // SCARD_E_CANT_DISPOSE
	SCardEProtoMismatch          Error = 0x8010000F // SCARD_E_PROTO_MISMATCH
	SCardENotReady               Error = 0x80100010 // SCARD_E_NOT_READY
	SCardEInvalidValue           Error = 0x80100011 // SCARD_E_INVALID_VALUE
	SCardESystemCancelled        Error = 0x80100012 // SCARD_E_SYSTEM_CANCELLED
	SCardFCommError              Error = 0x80100013 // SCARD_F_COMM_ERROR
	SCardFUnknownError           Error = 0x80100014 // SCARD_F_UNKNOWN_ERROR
	SCardEInvalidATR             Error = 0x80100015 // SCARD_E_INVALID_ATR
	SCardENotTransacted          Error = 0x80100016 // SCARD_E_NOT_TRANSACTED
	SCardEReaderUnavailable      Error = 0x80100017 // SCARD_E_READER_UNAVAILABLE
	SCardPShutdown               Error = 0x80100018 // SCARD_P_SHUTDOWN
	SCardEPCITooSmall            Error = 0x80100019 // SCARD_E_PCI_TOO_SMALL
	SCardEReaderUnsupported      Error = 0x8010001A // SCARD_E_READER_UNSUPPORTED
	SCardEDuplicateReader        Error = 0x8010001B // SCARD_E_DUPLICATE_READER
	SCardECardUnsupported        Error = 0x8010001C // SCARD_E_CARD_UNSUPPORTED
	SCardENoService              Error = 0x8010001D // SCARD_E_NO_SERVICE
	SCardEServiceStopped         Error = 0x8010001E // SCARD_E_SERVICE_STOPPED
	SCardEUnexpected             Error = 0x8010001F // SCARD_E_UNEXPECTED (Windows); SCARD_E_UNSUPPORTED_FEATURE on pcsc-lite
	SCardEICCInstallation        Error = 0x80100020 // SCARD_E_ICC_INSTALLATION
	SCardEICCCreateOrder         Error = 0x80100021 // SCARD_E_ICC_CREATEORDER
	SCardEDirNotFound            Error = 0x80100023 // SCARD_E_DIR_NOT_FOUND
	SCardEFileNotFound           Error = 0x80100024 // SCARD_E_FILE_NOT_FOUND
	SCardENoDir                  Error = 0x80100025 // SCARD_E_NO_DIR
	SCardENoFile                 Error = 0x80100026 // SCARD_E_NO_FILE
	SCardENoAccess               Error = 0x80100027 // SCARD_E_NO_ACCESS
	SCardEWriteTooMany           Error = 0x80100028 // SCARD_E_WRITE_TOO_MANY
	SCardEBadSeek                Error = 0x80100029 // SCARD_E_BAD_SEEK
	SCardEInvalidCHV             Error = 0x8010002A // SCARD_E_INVALID_CHV
	SCardEUnknownResMng          Error = 0x8010002B // SCARD_E_UNKNOWN_RES_MNG
	SCardENoSuchCertificate      Error = 0x8010002C // SCARD_E_NO_SUCH_CERTIFICATE
	SCardECertificateUnavailable Error = 0x8010002D // SCARD_E_CERTIFICATE_UNAVAILABLE
	SCardENoReadersAvailable     Error = 0x8010002E // SCARD_E_NO_READERS_AVAILABLE
	SCardECommDataLost           Error = 0x8010002F // SCARD_E_COMM_DATA_LOST
	SCardENoKeyContainer         Error = 0x80100030 // SCARD_E_NO_KEY_CONTAINER
	SCardEServerTooBusy          Error = 0x80100031 // SCARD_E_SERVER_TOO_BUSY
	SCardEPINCacheExpected       Error = 0x80100032 // SCARD_E_PIN_CACHE_EXPECTED (Windows)
	SCardENoPINCache             Error = 0x80100033 // SCARD_E_NO_PIN_CACHE (Windows)
	SCardEReadOnlyCard           Error = 0x80100034 // SCARD_E_READ_ONLY_CARD (Windows)
	SCardWUnsupportedCard        Error = 0x80100065 // SCARD_W_UNSUPPORTED_CARD
	SCardWUnresponsiveCard       Error = 0x80100066 // SCARD_W_UNRESPONSIVE_CARD
	SCardWUnpoweredCard          Error = 0x80100067 // SCARD_W_UNPOWERED_CARD
	SCardWResetCard              Error = 0x80100068 // SCARD_W_RESET_CARD
	SCardWRemovedCard            Error = 0x80100069 // SCARD_W_REMOVED_CARD
	SCardWSecurityViolation      Error = 0x8010006A // SCARD_W_SECURITY_VIOLATION
	SCardWWrongCHV               Error = 0x8010006B // SCARD_W_WRONG_CHV
	SCardWCHVBlocked             Error = 0x8010006C // SCARD_W_CHV_BLOCKED
	SCardWEOF                    Error = 0x8010006D // SCARD_W_EOF
	SCardWCancelledByUser        Error = 0x8010006E // SCARD_W_CANCELLED_BY_USER
	SCardWCardNotAuthenticated   Error = 0x8010006F // SCARD_W_CARD_NOT_AUTHENTICATED
	SCardWCacheItemNotFound      Error = 0x80100070 // SCARD_W_CACHE_ITEM_NOT_FOUND (Windows)
	SCardWCacheItemStale         Error = 0x80100071 // SCARD_W_CACHE_ITEM_STALE (Windows)
	SCardWCacheItemTooBig        Error = 0x80100072 // SCARD_W_CACHE_ITEM_TOO_BIG (Windows)
)

// scardSuccess is SCARD_S_SUCCESS, the status of a call that worked.
const scardSuccess Error = 0

// errorNames maps the status codes to their SCARD_* names. SCardEUnexpected
// is named by unexpectedName, which depends on the platform.
var errorNames = map[Error]string{
	SCardFInternalError:          "SCARD_F_INTERNAL_ERROR",
	SCardECancelled:              "SCARD_E_CANCELLED",
	SCardEInvalidHandle:          "SCARD_E_INVALID_HANDLE",
	SCardEInvalidParameter:       "SCARD_E_INVALID_PARAMETER",
	SCardEInvalidTarget:          "SCARD_E_INVALID_TARGET",
	SCardENoMemory:               "SCARD_E_NO_MEMORY",
	SCardFWaitedTooLong:          "SCARD_F_WAITED_TOO_LONG",
	SCardEInsufficientBuffer:     "SCARD_E_INSUFFICIENT_BUFFER",
	SCardEUnknownReader:          "SCARD_E_UNKNOWN_READER",
	SCardETimeout:                "SCARD_E_TIMEOUT",
	SCardESharingViolation:       "SCARD_E_SHARING_VIOLATION",
	SCardENoSmartcard:            "SCARD_E_NO_SMARTCARD",
	SCardEUnknownCard:            "SCARD_E_UNKNOWN_CARD",
	SCardECantDispose:            "SCARD_E_CANT_DISPOSE",
	SCardEProtoMismatch:          "SCARD_E_PROTO_MISMATCH",
	SCardENotReady:               "SCARD_E_NOT_READY",
	SCardEInvalidValue:           "SCARD_E_INVALID_VALUE",
	SCardESystemCancelled:        "SCARD_E_SYSTEM_CANCELLED",
	SCardFCommError:              "SCARD_F_COMM_ERROR",
	SCardFUnknownError:           "SCARD_F_UNKNOWN_ERROR",
	SCardEInvalidATR:             "SCARD_E_INVALID_ATR",
	SCardENotTransacted:          "SCARD_E_NOT_TRANSACTED",
	SCardEReaderUnavailable:      "SCARD_E_READER_UNAVAILABLE",
	SCardPShutdown:               "SCARD_P_SHUTDOWN",
	SCardEPCITooSmall:            "SCARD_E_PCI_TOO_SMALL",
	SCardEReaderUnsupported:      "SCARD_E_READER_UNSUPPORTED",
	SCardEDuplicateReader:        "SCARD_E_DUPLICATE_READER",
	SCardECardUnsupported:        "SCARD_E_CARD_UNSUPPORTED",
	SCardENoService:              "SCARD_E_NO_SERVICE",
	SCardEServiceStopped:         "SCARD_E_SERVICE_STOPPED",
	SCardEUnexpected:             unexpectedName,
	SCardEICCInstallation:        "SCARD_E_ICC_INSTALLATION",
	SCardEICCCreateOrder:         "SCARD_E_ICC_CREATEORDER",
	0x80100022:                   "SCARD_E_UNSUPPORTED_FEATURE",
	SCardEDirNotFound:            "SCARD_E_DIR_NOT_FOUND",
	SCardEFileNotFound:           "SCARD_E_FILE_NOT_FOUND",
	SCardENoDir:                  "SCARD_E_NO_DIR",
	SCardENoFile:                 "SCARD_E_NO_FILE",
	SCardENoAccess:               "SCARD_E_NO_ACCESS",
	SCardEWriteTooMany:           "SCARD_E_WRITE_TOO_MANY",
	SCardEBadSeek:                "SCARD_E_BAD_SEEK",
	SCardEInvalidCHV:             "SCARD_E_INVALID_CHV",
	SCardEUnknownResMng:          "SCARD_E_UNKNOWN_RES_MNG",
	SCardENoSuchCertificate:      "SCARD_E_NO_SUCH_CERTIFICATE",
	SCardECertificateUnavailable: "SCARD_E_CERTIFICATE_UNAVAILABLE",
	SCardENoReadersAvailable:     "SCARD_E_NO_READERS_AVAILABLE",
	SCardECommDataLost:           "SCARD_E_COMM_DATA_LOST",
	SCardENoKeyContainer:         "SCARD_E_NO_KEY_CONTAINER",
	SCardEServerTooBusy:          "SCARD_E_SERVER_TOO_BUSY",
	SCardEPINCacheExpected:       "SCARD_E_PIN_CACHE_EXPECTED",
	SCardENoPINCache:             "SCARD_E_NO_PIN_CACHE",
	SCardEReadOnlyCard:           "SCARD_E_READ_ONLY_CARD",
	SCardWUnsupportedCard:        "SCARD_W_UNSUPPORTED_CARD",
	SCardWUnresponsiveCard:       "SCARD_W_UNRESPONSIVE_CARD",
	SCardWUnpoweredCard:          "SCARD_W_UNPOWERED_CARD",
	SCardWResetCard:              "SCARD_W_RESET_CARD",
	SCardWRemovedCard:            "SCARD_W_REMOVED_CARD",
	SCardWSecurityViolation:      "SCARD_W_SECURITY_VIOLATION",
	SCardWWrongCHV:               "SCARD_W_WRONG_CHV",
	SCardWCHVBlocked:             "SCARD_W_CHV_BLOCKED",
	SCardWEOF:                    "SCARD_W_EOF",
	SCardWCancelledByUser:        "SCARD_W_CANCELLED_BY_USER",
	SCardWCardNotAuthenticated:   "SCARD_W_CARD_NOT_AUTHENTICATED",
	SCardWCacheItemNotFound:      "SCARD_W_CACHE_ITEM_NOT_FOUND",
	SCardWCacheItemStale:         "SCARD_W_CACHE_ITEM_STALE",
	SCardWCacheItemTooBig:        "SCARD_W_CACHE_ITEM_TOO_BIG",
}

// Name returns the symbolic SCARD_* name of the code, "SCARD_S_SUCCESS" for
// zero, or "" when the code is not a known PC/SC status.
func (e Error) Name() string {
	if e == scardSuccess {
		return "SCARD_S_SUCCESS"
	}
	return errorNames[e]
}

// String returns the symbolic name and the value, for example
// "SCARD_W_REMOVED_CARD (0x80100069)"; an unknown code is shown as
// "PC/SC error 0x%08X".
func (e Error) String() string {
	if name := e.Name(); name != "" {
		return fmt.Sprintf("%s (0x%08X)", name, uint32(e))
	}
	return fmt.Sprintf("PC/SC error 0x%08X", uint32(e))
}

// Error implements the error interface; it returns the same text as String.
func (e Error) Error() string { return e.String() }

// PCSCStatus returns the code; through it the minidriver engine passes PC/SC codes on as they are.
func (e Error) PCSCStatus() uint32 { return uint32(e) }

// callError wraps a failed PC/SC call's status with the operation that
// failed, or returns nil when rc is SCARD_S_SUCCESS.
func callError(op string, rc Error) error {
	if rc == scardSuccess {
		return nil
	}
	return fmt.Errorf("pcsc: %s: %w", op, rc)
}
