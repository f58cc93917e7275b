package piv

import (
	"fmt"
	"sync"

	"github.com/cardmod/cardmod/apdu"
)

// Describe names one PIV exchange without its data: "GET DATA 5FC102", "VERIFY PIN -> 63C2",
// "GENERAL AUTHENTICATE 9A". Only the instruction, the key reference or data object tag and the
// status word appear, so a description never carries a PIN, a key or a secret.
func Describe(raw, rsp []byte, err error) string {
	c, perr := apdu.ParseCommand(raw)
	if perr != nil {
		return "malformed command"
	}
	var s string
	switch c.INS {
	case InsSelect:
		s = "SELECT"
	case InsGetData, InsPutData:
		s = "GET DATA"
		if c.INS == InsPutData {
			s = "PUT DATA"
		}
		if len(c.Data) >= 2 && c.Data[0] == TagTagList && int(c.Data[1])+2 <= len(c.Data) {
			s += fmt.Sprintf(" %X", c.Data[2:2+int(c.Data[1])])
		}
	case InsVerify:
		switch {
		case c.P1 == 0xFF:
			s = "VERIFY P1=FF (log out)"
		case len(c.Data) == 0:
			s = "VERIFY (status)"
		default:
			s = "VERIFY PIN"
		}
	case InsChangeReference:
		s = "CHANGE REFERENCE DATA"
	case InsResetRetryCounter:
		s = "RESET RETRY COUNTER"
	case InsGeneralAuth:
		s = fmt.Sprintf("GENERAL AUTHENTICATE %02X", c.P2)
	case InsGenerateAsymmetric:
		s = fmt.Sprintf("GENERATE %02X", c.P2)
	case InsImportKey:
		s = fmt.Sprintf("IMPORT KEY %02X", c.P2)
	case InsSetMgmKey:
		s = "SET MANAGEMENT KEY"
	case InsGetResponse:
		s = "GET RESPONSE"
	case InsGetVersion:
		s = "GET VERSION"
	case InsGetSerial:
		s = "GET SERIAL"
	case InsGetMetadata:
		s = fmt.Sprintf("GET METADATA %02X", c.P2)
	default:
		s = fmt.Sprintf("INS %02X", c.INS)
	}
	if c.Chained() {
		s += " (chained)"
	}
	switch {
	case err != nil:
		s += " -> transport error"
	case len(rsp) >= 2 && (rsp[len(rsp)-2] != 0x90 || rsp[len(rsp)-1] != 0x00):
		s += fmt.Sprintf(" -> %X", rsp[len(rsp)-2:])
	}
	return s
}

// CommandLog is a transport that records a Describe line for every exchange it carries.
type CommandLog struct {
	T       apdu.Transport
	mu      sync.Mutex
	entries []string
}

// Transmit forwards cmd and records its description.
func (l *CommandLog) Transmit(cmd []byte) ([]byte, error) {
	rsp, err := l.T.Transmit(cmd)
	d := Describe(cmd, rsp, err)
	l.mu.Lock()
	l.entries = append(l.entries, d)
	l.mu.Unlock()
	return rsp, err
}

// Take returns the descriptions recorded since the last call.
func (l *CommandLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries
	l.entries = nil
	return e
}
