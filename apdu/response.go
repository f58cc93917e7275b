package apdu

import (
	"fmt"
)

// SW is a status word (SW1 SW2) of a response APDU. SW implements error so
// that errors.Is(err, apdu.SWSecurityStatusNotSatisfied) works on errors
// returned by [Response.Err].
type SW uint16

// Common status words of ISO/IEC 7816-4 and NIST SP 800-73-4.
const (
	SWOK                          SW = 0x9000 // normal processing
	SWBytesRemaining              SW = 0x6100 // 61xx: xx more bytes available (base value)
	SWWarningNVMUnchanged         SW = 0x6200 // warning, non-volatile memory unchanged
	SWWarningCorrupted            SW = 0x6281 // part of returned data may be corrupted
	SWWarningEOF                  SW = 0x6282 // end of file or record reached before Ne bytes
	SWWarningDeactivated          SW = 0x6283 // selected file deactivated
	SWWarningNVMChanged           SW = 0x6300 // warning, non-volatile memory changed
	SWWarningFileFilled           SW = 0x6381 // file filled up by the last write
	SWVerificationFailed          SW = 0x63C0 // 63Cx: verification failed, x retries left (base value)
	SWExecutionError              SW = 0x6400 // execution error, non-volatile memory unchanged
	SWMemoryFailure               SW = 0x6581 // memory failure
	SWWrongLength                 SW = 0x6700 // wrong length
	SWFunctionsInCLANotSupported  SW = 0x6800 // functions in CLA not supported
	SWLogicalChannelNotSupported  SW = 0x6881 // logical channel not supported
	SWSecureMessagingNotSupported SW = 0x6882 // secure messaging not supported
	SWLastCommandExpected         SW = 0x6883 // last command of the chain expected
	SWChainingNotSupported        SW = 0x6884 // command chaining not supported
	SWCommandNotAllowedGeneric    SW = 0x6900 // command not allowed
	SWIncompatibleFileStructure   SW = 0x6981 // command incompatible with file structure
	SWSecurityStatusNotSatisfied  SW = 0x6982 // security status not satisfied
	SWAuthMethodBlocked           SW = 0x6983 // authentication method blocked
	SWReferenceDataNotUsable      SW = 0x6984 // reference data not usable
	SWConditionsNotSatisfied      SW = 0x6985 // conditions of use not satisfied
	SWCommandNotAllowed           SW = 0x6986 // command not allowed (no current EF)
	SWWrongParameters             SW = 0x6A00 // wrong parameters P1-P2
	SWWrongData                   SW = 0x6A80 // incorrect parameters in the data field
	SWFuncNotSupported            SW = 0x6A81 // function not supported
	SWFileNotFound                SW = 0x6A82 // file or application not found
	SWRecordNotFound              SW = 0x6A83 // record not found
	SWNotEnoughMemory             SW = 0x6A84 // not enough memory space in the file
	SWLcInconsistentWithTLV       SW = 0x6A85 // Nc inconsistent with TLV structure
	SWIncorrectP1P2               SW = 0x6A86 // incorrect parameters P1-P2
	SWLcInconsistentWithP1P2      SW = 0x6A87 // Nc inconsistent with parameters P1-P2
	SWReferencedDataNotFound      SW = 0x6A88 // referenced data or reference data not found
	SWFileExists                  SW = 0x6A89 // file already exists
	SWWrongP1P2                   SW = 0x6B00 // wrong parameters P1-P2
	SWWrongLe                     SW = 0x6C00 // 6Cxx: wrong Le, xx available (base value)
	SWINSNotSupported             SW = 0x6D00 // instruction not supported or invalid
	SWCLANotSupported             SW = 0x6E00 // class not supported
	SWUnknown                     SW = 0x6F00 // no precise diagnosis
)

// NewSW returns the status word made of sw1 and sw2.
func NewSW(sw1, sw2 byte) SW {
	return SW(sw1)<<8 | SW(sw2)
}

// SW1 returns the first status byte.
func (s SW) SW1() byte { return byte(s >> 8) }

// SW2 returns the second status byte.
func (s SW) SW2() byte { return byte(s) }

// OK reports whether s is 9000 (normal processing).
func (s SW) OK() bool { return s == SWOK }

// Retries returns the retry counter x of a 63Cx status word (verification
// failed, x retries left). ok is false for any other status word.
func (s SW) Retries() (n int, ok bool) {
	if s&0xFFF0 != SWVerificationFailed {
		return 0, false
	}
	return int(s & 0x0F), true
}

// Remaining returns the number of response bytes still available as
// announced by a 61xx status word (xx=00 gives 256). ok is false for any
// other status word.
func (s SW) Remaining() (n int, ok bool) {
	if s.SW1() != 0x61 {
		return 0, false
	}
	return shortNe(s.SW2()), true
}

// ExactLength returns the exact Ne announced by a 6Cxx status word (xx=00
// gives 256). ok is false for any other status word.
func (s SW) ExactLength() (n int, ok bool) {
	if s.SW1() != 0x6C {
		return 0, false
	}
	return shortNe(s.SW2()), true
}

// swText returns the description of an individual status word, or "".
func swText(s SW) string {
	switch s {
	case SWOK:
		return "success"
	case SWWarningNVMUnchanged:
		return "warning, memory unchanged"
	case SWWarningCorrupted:
		return "warning, returned data may be corrupted"
	case SWWarningEOF:
		return "warning, end of file reached before Ne bytes"
	case SWWarningDeactivated:
		return "warning, selected file deactivated"
	case SWWarningNVMChanged:
		return "warning, memory changed"
	case SWWarningFileFilled:
		return "warning, file filled up"
	case SWExecutionError:
		return "execution error, memory unchanged"
	case SWMemoryFailure:
		return "memory failure"
	case SWWrongLength:
		return "wrong length"
	case SWFunctionsInCLANotSupported:
		return "functions in CLA not supported"
	case SWLogicalChannelNotSupported:
		return "logical channel not supported"
	case SWSecureMessagingNotSupported:
		return "secure messaging not supported"
	case SWLastCommandExpected:
		return "last command of the chain expected"
	case SWChainingNotSupported:
		return "command chaining not supported"
	case SWCommandNotAllowedGeneric:
		return "command not allowed"
	case SWIncompatibleFileStructure:
		return "command incompatible with file structure"
	case SWSecurityStatusNotSatisfied:
		return "security status not satisfied"
	case SWAuthMethodBlocked:
		return "authentication method blocked"
	case SWReferenceDataNotUsable:
		return "reference data not usable"
	case SWConditionsNotSatisfied:
		return "conditions of use not satisfied"
	case SWCommandNotAllowed:
		return "command not allowed, no current EF"
	case SWWrongParameters:
		return "wrong parameters P1-P2"
	case SWWrongData:
		return "incorrect data field"
	case SWFuncNotSupported:
		return "function not supported"
	case SWFileNotFound:
		return "file or application not found"
	case SWRecordNotFound:
		return "record not found"
	case SWNotEnoughMemory:
		return "not enough memory"
	case SWLcInconsistentWithTLV:
		return "Lc inconsistent with TLV structure"
	case SWIncorrectP1P2:
		return "incorrect parameters P1-P2"
	case SWLcInconsistentWithP1P2:
		return "Lc inconsistent with P1-P2"
	case SWReferencedDataNotFound:
		return "referenced data not found"
	case SWFileExists:
		return "file already exists"
	case SWWrongP1P2:
		return "wrong parameters P1-P2"
	case SWINSNotSupported:
		return "instruction not supported"
	case SWCLANotSupported:
		return "class not supported"
	case SWUnknown:
		return "unknown error"
	}
	return ""
}

// sw1Text returns a generic description by SW1 for status words without a
// specific description in swText, or "".
func sw1Text(sw1 byte) string {
	switch sw1 {
	case 0x62:
		return "warning, memory unchanged"
	case 0x63:
		return "warning, memory changed"
	case 0x64:
		return "execution error, memory unchanged"
	case 0x65:
		return "execution error, memory changed"
	case 0x66:
		return "security error"
	case 0x67:
		return "wrong length"
	case 0x68:
		return "functions in CLA not supported"
	case 0x69:
		return "command not allowed"
	case 0x6A:
		return "wrong parameters P1-P2"
	case 0x6B:
		return "wrong parameters P1-P2"
	case 0x6D:
		return "instruction not supported"
	case 0x6E:
		return "class not supported"
	case 0x6F:
		return "unknown error"
	}
	return ""
}

// Description returns a short English description of the status word, or
// "" if none is known.
func (s SW) Description() string {
	switch s.SW1() {
	case 0x61:
		if s.SW2() == 0 {
			return "256 or more bytes remaining"
		}
		return fmt.Sprintf("%d bytes remaining", s.SW2())
	case 0x6C:
		n, _ := s.ExactLength()
		return fmt.Sprintf("wrong Le, exact length is %d", n)
	}
	if n, ok := s.Retries(); ok {
		return fmt.Sprintf("verification failed, %d retries left", n)
	}
	if t := swText(s); t != "" {
		return t
	}
	return sw1Text(s.SW1())
}

// String returns the status word in hexadecimal followed by its
// description, e.g. "6A82 (file or application not found)",
// "6110 (16 bytes remaining)" or "63C2 (verification failed, 2 retries
// left)". Unknown status words are just the hexadecimal digits.
func (s SW) String() string {
	if d := s.Description(); d != "" {
		return fmt.Sprintf("%04X (%s)", uint16(s), d)
	}
	return fmt.Sprintf("%04X", uint16(s))
}

// Error implements error; it returns the same text as [SW.String]. It lets
// a status word be used as an errors.Is target for [Error] values.
func (s SW) Error() string {
	return s.String()
}

// Error is the typed error for a non-9000 status word returned by a card.
// errors.As works with both *Error and Error targets, and
// errors.Is(err, apdu.SW(0x6982)) matches an Error with that status word.
type Error struct {
	// SW is the status word the card returned.
	SW SW
	// INS is the instruction of the command that failed.
	INS byte
}

// Error returns a message like "card returned 6982 (security status not
// satisfied) to INS 87".
func (e Error) Error() string {
	return fmt.Sprintf("card returned %s to INS %02X", e.SW, e.INS)
}

// Is reports whether target is the status word e.SW, or an Error with the
// same status word and instruction.
func (e Error) Is(target error) bool {
	switch t := target.(type) {
	case SW:
		return t == e.SW
	case Error:
		return t == e
	case *Error:
		return t != nil && *t == e
	}
	return false
}

// As lets errors.As fill an Error value target, a **Error target (from an
// Error value) or an SW target (with the status word), in addition to the
// default *Error behaviour.
func (e Error) As(target any) bool {
	switch t := target.(type) {
	case *Error:
		if t == nil {
			return false
		}
		*t = e
		return true
	case **Error:
		if t == nil {
			return false
		}
		c := e
		*t = &c
		return true
	case *SW:
		if t == nil {
			return false
		}
		*t = e.SW
		return true
	}
	return false
}

// Response is a response APDU.
type Response struct {
	// Data is the response data field (without the status word).
	Data []byte
	// SW is the status word.
	SW SW
}

// ParseResponse decodes a response APDU: optional data followed by SW1
// SW2. It needs at least 2 bytes; otherwise it returns an error wrapping
// [ErrMalformed]. Data is a copy (nil if empty) and does not alias b.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: response of %d bytes has no status word", ErrMalformed, len(b))
	}
	n := len(b) - 2
	r := Response{SW: NewSW(b[n], b[n+1])}
	if n > 0 {
		r.Data = clone(b[:n])
	}
	return r, nil
}

// Bytes encodes the response: data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	out := make([]byte, 0, len(r.Data)+2)
	out = append(out, r.Data...)
	return append(out, r.SW.SW1(), r.SW.SW2())
}

// Err returns nil if the status word is 9000 and an *[Error] carrying the
// status word and ins otherwise.
func (r Response) Err(ins byte) error {
	if r.SW.OK() {
		return nil
	}
	return &Error{SW: r.SW, INS: ins}
}
