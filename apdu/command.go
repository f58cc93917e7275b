// Package apdu implements ISO/IEC 7816-4 command and response APDUs.
//
// It provides encoding and decoding of command APDUs in all seven cases
// (1, 2S, 3S, 4S, 2E, 3E, 4E), response APDUs and status words, a typed
// error for non-success status words, and the transport-level machinery used
// on both sides of the card interface:
//
//   - host side: [Exchanger] sends commands over a [Transport], handling
//     command chaining, extended length, 61xx (GET RESPONSE) and 6Cxx;
//     [TraceTransport] logs exchanges with secrets redacted;
//   - card side: [ChainAssembler] reassembles chained commands and
//     [ResponseQueue] serves long responses through 61xx and GET RESPONSE.
package apdu

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error [ParseCommand] and [ParseResponse]
// return for a structurally invalid APDU. A card answers such a command
// with [SWWrongLength] (6700).
var ErrMalformed = errors.New("apdu: malformed APDU")

// ErrInvalidCommand is wrapped by errors for commands that cannot be
// encoded: more than [MaxData] data bytes or Ne outside 0..[MaxNe].
var ErrInvalidCommand = errors.New("apdu: invalid command")

// Size limits of command APDUs.
const (
	// MaxShortData is the largest data field of a short command APDU.
	MaxShortData = 255
	// MaxShortNe is the largest Ne a short command APDU can express (Le 00).
	MaxShortNe = 256
	// MaxData is the largest data field of an extended command APDU.
	MaxData = 65535
	// MaxNe is the largest Ne an extended command APDU can express
	// (Le 0000).
	MaxNe = 65536
)

// Instruction bytes the package itself uses.
const (
	// InsGetResponse is the GET RESPONSE instruction (C0).
	InsGetResponse byte = 0xC0
)

// ClaChaining is the command chaining bit of an interindustry CLA byte.
const ClaChaining byte = 0x10

// Command is a command APDU. Ne is the expected response length: 0 means no
// Le field; otherwise 1..65536.
type Command struct {
	// CLA is the class byte.
	CLA byte
	// INS is the instruction byte.
	INS byte
	// P1 is the first parameter byte.
	P1 byte
	// P2 is the second parameter byte.
	P2 byte
	// Data is the command data field (Lc bytes); nil or empty for none.
	Data []byte
	// Ne is the maximum number of response data bytes expected: 0 for no
	// Le field, 256 for short Le 00, 65536 for extended Le 0000.
	Ne int
}

// ParseCommand decodes a command APDU of case 1, 2S, 3S, 4S, 2E, 3E or 4E.
// Short Le 00 means Ne=256; extended Le 0000 means Ne=65536.
//
// Any inconsistency (fewer than 4 bytes, Lc=0 with trailing bytes, Lc not
// matching the remaining bytes, an extended length marker with wrong sizes,
// trailing garbage) returns an error wrapping [ErrMalformed]. The returned
// Data is a copy and does not alias b.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: command of %d bytes is shorter than the 4-byte header", ErrMalformed, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2S
		c.Ne = shortNe(body[0])
		return c, nil
	case body[0] != 0: // case 3S or 4S
		lc := int(body[0])
		switch len(body) - 1 - lc {
		case 0: // case 3S
			c.Data = clone(body[1:])
		case 1: // case 4S
			c.Data = clone(body[1 : 1+lc])
			c.Ne = shortNe(body[1+lc])
		default:
			return Command{}, fmt.Errorf("%w: short Lc %d does not match %d remaining bytes", ErrMalformed, lc, len(body)-1)
		}
		return c, nil
	case len(body) == 3: // case 2E: 00 Le1 Le2
		c.Ne = extendedNe(body[1], body[2])
		return c, nil
	case len(body) < 3:
		return Command{}, fmt.Errorf("%w: %d body bytes starting with 00 fit neither short nor extended form", ErrMalformed, len(body))
	}
	// Case 3E or 4E: 00 Lc1 Lc2 data [Le1 Le2].
	lc := int(body[1])<<8 | int(body[2])
	if lc == 0 {
		return Command{}, fmt.Errorf("%w: extended Lc 0000 followed by %d bytes", ErrMalformed, len(body)-3)
	}
	switch len(body) - 3 - lc {
	case 0: // case 3E
		c.Data = clone(body[3:])
	case 2: // case 4E
		c.Data = clone(body[3 : 3+lc])
		c.Ne = extendedNe(body[3+lc], body[4+lc])
	default:
		return Command{}, fmt.Errorf("%w: extended Lc %d does not match %d remaining bytes", ErrMalformed, lc, len(body)-3)
	}
	return c, nil
}

func shortNe(le byte) int {
	if le == 0 {
		return MaxShortNe
	}
	return int(le)
}

func extendedNe(hi, lo byte) int {
	n := int(hi)<<8 | int(lo)
	if n == 0 {
		return MaxNe
	}
	return n
}

func clone(b []byte) []byte {
	return append([]byte(nil), b...)
}

// Extended reports whether the command needs extended length encoding
// (len(Data) > 255 or Ne > 256).
func (c Command) Extended() bool {
	return len(c.Data) > MaxShortData || c.Ne > MaxShortNe
}

// Chained reports whether the CLA has the command chaining bit 0x10 set.
func (c Command) Chained() bool {
	return c.CLA&ClaChaining != 0
}

// Validate checks that the command can be encoded: at most [MaxData] data
// bytes and Ne within 0..[MaxNe].
func (c Command) Validate() error {
	if len(c.Data) > MaxData {
		return fmt.Errorf("%w: INS %02X has %d data bytes, maximum is %d", ErrInvalidCommand, c.INS, len(c.Data), MaxData)
	}
	if c.Ne < 0 || c.Ne > MaxNe {
		return fmt.Errorf("%w: INS %02X has Ne %d outside 0..%d", ErrInvalidCommand, c.INS, c.Ne, MaxNe)
	}
	return nil
}

// Bytes encodes the command, in short form if it fits and in extended form
// otherwise. It returns an error wrapping [ErrInvalidCommand] if Data is
// longer than 65535 bytes or Ne is outside 0..65536.
func (c Command) Bytes() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 4+3+len(c.Data)+3)
	out = append(out, c.CLA, c.INS, c.P1, c.P2)
	if !c.Extended() {
		if len(c.Data) > 0 {
			out = append(out, byte(len(c.Data)))
			out = append(out, c.Data...)
		}
		if c.Ne > 0 {
			out = append(out, byte(c.Ne)) // 256 encodes as 00
		}
		return out, nil
	}
	out = append(out, 0x00)
	if len(c.Data) > 0 {
		out = append(out, byte(len(c.Data)>>8), byte(len(c.Data)))
		out = append(out, c.Data...)
	}
	if c.Ne > 0 {
		out = append(out, byte(c.Ne>>8), byte(c.Ne)) // 65536 encodes as 0000
	}
	return out, nil
}

// Chain splits c into commands of at most maxData data bytes each for ISO
// command chaining: every part but the last has the chaining bit (0x10) set
// in CLA and no Le; the last part has the original CLA and Ne. The parts'
// Data alias c.Data. If len(Data) <= maxData, Chain returns []Command{c}.
// A maxData below 1 is treated as 255.
func (c Command) Chain(maxData int) []Command {
	if maxData < 1 {
		maxData = MaxShortData
	}
	if len(c.Data) <= maxData {
		return []Command{c}
	}
	n := (len(c.Data) + maxData - 1) / maxData
	parts := make([]Command, 0, n)
	data := c.Data
	for len(data) > maxData {
		parts = append(parts, Command{
			CLA:  c.CLA | ClaChaining,
			INS:  c.INS,
			P1:   c.P1,
			P2:   c.P2,
			Data: data[:maxData:maxData],
		})
		data = data[maxData:]
	}
	last := c
	last.Data = data
	return append(parts, last)
}

// String returns a compact human-readable description such as
// "00 A4 04 00 Lc=9 Ne=256". It does not include the data bytes.
func (c Command) String() string {
	s := fmt.Sprintf("%02X %02X %02X %02X", c.CLA, c.INS, c.P1, c.P2)
	if len(c.Data) > 0 {
		s += fmt.Sprintf(" Lc=%d", len(c.Data))
	}
	if c.Ne != 0 {
		s += fmt.Sprintf(" Ne=%d", c.Ne)
	}
	return s
}
