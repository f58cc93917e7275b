package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
)

// apduLog is a transport that remembers what each command was (instruction, key reference or data
// object, status word), never its data, so that the demo can say which APDUs a step cost.
type apduLog struct {
	t       apdu.Transport
	mu      sync.Mutex
	entries []string
}

// Transmit forwards cmd and records a description of the exchange.
func (l *apduLog) Transmit(cmd []byte) ([]byte, error) {
	rsp, err := l.t.Transmit(cmd)
	l.mu.Lock()
	l.entries = append(l.entries, describeAPDU(cmd, rsp, err))
	l.mu.Unlock()
	return rsp, err
}

// take returns the descriptions recorded since the last call.
func (l *apduLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries
	l.entries = nil
	return e
}

// describeAPDU names an exchange: "GET DATA 5FC102", "VERIFY PIN -> 63C2", "GENERAL AUTHENTICATE 9A".
func describeAPDU(raw, rsp []byte, err error) string {
	c, perr := apdu.ParseCommand(raw)
	if perr != nil {
		return "malformed command"
	}
	var s string
	switch c.INS {
	case piv.InsSelect:
		s = "SELECT"
	case piv.InsGetData, piv.InsPutData:
		s = "GET DATA"
		if c.INS == piv.InsPutData {
			s = "PUT DATA"
		}
		if len(c.Data) >= 2 && c.Data[0] == piv.TagTagList && int(c.Data[1])+2 <= len(c.Data) {
			s += fmt.Sprintf(" %X", c.Data[2:2+int(c.Data[1])])
		}
	case piv.InsVerify:
		switch {
		case c.P1 == 0xFF:
			s = "VERIFY P1=FF (log out)"
		case len(c.Data) == 0:
			s = "VERIFY (status)"
		default:
			s = "VERIFY PIN"
		}
	case piv.InsChangeReference:
		s = "CHANGE REFERENCE DATA"
	case piv.InsResetRetryCounter:
		s = "RESET RETRY COUNTER"
	case piv.InsGeneralAuth:
		s = fmt.Sprintf("GENERAL AUTHENTICATE %02X", c.P2)
	case piv.InsGenerateAsymmetric:
		s = fmt.Sprintf("GENERATE %02X", c.P2)
	case piv.InsGetResponse:
		s = "GET RESPONSE"
	case piv.InsGetVersion:
		s = "GET VERSION"
	case piv.InsGetSerial:
		s = "GET SERIAL"
	case piv.InsGetMetadata:
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

// summarizeAPDUs joins descriptions, folding repeats: "GET DATA 5FC105, GET RESPONSE x4".
func summarizeAPDUs(entries []string) string {
	var parts []string
	for i := 0; i < len(entries); {
		j := i
		for j < len(entries) && entries[j] == entries[i] {
			j++
		}
		if n := j - i; n > 1 {
			parts = append(parts, fmt.Sprintf("%s x%d", entries[i], n))
		} else {
			parts = append(parts, entries[i])
		}
		i = j
	}
	return strings.Join(parts, ", ")
}
