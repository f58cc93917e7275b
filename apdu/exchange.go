package apdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Transport sends one raw command APDU and returns the raw response APDU
// (data followed by SW1 SW2). PC/SC readers, the vpcd bridge and the
// in-process virtual card all implement it.
// Implementations must not keep cmd after Transmit returns: the caller wipes it.
type Transport interface {
	Transmit(cmd []byte) ([]byte, error)
}

// TransportFunc adapts an ordinary function to the [Transport] interface.
type TransportFunc func(cmd []byte) ([]byte, error)

// Transmit calls f(cmd).
func (f TransportFunc) Transmit(cmd []byte) ([]byte, error) {
	return f(cmd)
}

// ErrResponseLimit is wrapped by the error [Exchanger.Exchange] returns when
// a card keeps answering 61xx beyond the configured number of GET RESPONSE
// rounds or response size.
var ErrResponseLimit = errors.New("apdu: response chaining limit exceeded")

// Defaults for the [Exchanger] limits.
const (
	// DefaultMaxGetResponses is the default maximum number of GET RESPONSE
	// commands issued for one command.
	DefaultMaxGetResponses = 64
	// DefaultMaxResponseSize is the default maximum total size in bytes of
	// the response data collected for one command.
	DefaultMaxResponseSize = 1 << 20
)

// Stats counts the traffic of an [Exchanger]: every APDU transmitted
// (including chained parts, retries and GET RESPONSE commands) and the raw
// bytes sent and received.
type Stats struct {
	// Commands is the number of command APDUs transmitted.
	Commands int
	// BytesSent is the total size of the command APDUs transmitted.
	BytesSent int
	// BytesReceived is the total size of the response APDUs received,
	// status words included.
	BytesReceived int
}

// Exchanger is the host-side helper that sends a [Command] over a
// [Transport] and handles the ISO/IEC 7816-4 transport details:
//
//   - command chaining: without ExtendedLength, data longer than
//     MaxShortData is sent as a command chain (CLA bit 0x10); every
//     intermediate part must be answered with 9000, otherwise the exchange
//     stops and that response is returned;
//   - extended length: with ExtendedLength, a command that needs it is sent
//     as one extended APDU; without it, Ne above 256 is reduced to 256 (Le
//     00) and the rest of the response is collected through 61xx;
//   - 61xx: GET RESPONSE (00 C0 00 00 xx, xx=00 meaning 256) is issued
//     repeatedly and the data is concatenated, up to MaxGetResponses rounds
//     and MaxResponseSize bytes to stay safe against hostile cards;
//   - 6Cxx: the command is sent once more with Ne=xx (00 meaning 256).
//
// The fields must not be changed while exchanges are in progress. Exchange
// and Do are safe for concurrent use; concurrent exchanges are serialized
// so that chains and GET RESPONSE sequences are not interleaved.
type Exchanger struct {
	// T is the transport commands are sent over.
	T Transport
	// ExtendedLength enables extended length APDUs. When false, long data
	// is sent with command chaining.
	ExtendedLength bool
	// MaxShortData is the maximum data size of one short command when
	// chaining; 0 (or any value outside 1..255) means 255.
	MaxShortData int
	// MaxGetResponses limits the number of GET RESPONSE commands per
	// exchange; 0 means DefaultMaxGetResponses.
	MaxGetResponses int
	// MaxResponseSize limits the response data collected per exchange; 0
	// means DefaultMaxResponseSize.
	MaxResponseSize int

	mu      sync.Mutex // serializes exchanges
	statsMu sync.Mutex // guards stats
	stats   Stats
}

// Stats returns the traffic counters accumulated so far.
func (e *Exchanger) Stats() Stats {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	return e.stats
}

// ResetStats sets the traffic counters to zero.
func (e *Exchanger) ResetStats() {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	e.stats = Stats{}
}

// Do performs [Exchanger.Exchange] and converts the status word: it
// returns the response data for 9000 and an *[Error] otherwise.
func (e *Exchanger) Do(c Command) ([]byte, error) {
	r, err := e.Exchange(c)
	if err != nil {
		return nil, err
	}
	if err := r.Err(c.INS); err != nil {
		return nil, err
	}
	return r.Data, nil
}

// Exchange sends c and returns the final response. The status word may be
// anything, including errors from the card; only transport failures,
// malformed responses, invalid commands and exceeded limits (see
// [ErrResponseLimit]) are returned as errors.
func (e *Exchanger) Exchange(c Command) (Response, error) {
	if err := c.Validate(); err != nil {
		return Response{}, err
	}
	if e.T == nil {
		return Response{}, fmt.Errorf("apdu: exchange %s: no transport", c)
	}
	e.mu.Lock()
	defer e.mu.Unlock()

	parts := e.plan(c)
	r, final, err := e.sendParts(parts)
	if err != nil || !final {
		return r, err
	}
	if n, ok := r.SW.ExactLength(); ok {
		parts[len(parts)-1].Ne = n
		r, final, err = e.sendParts(parts)
		if err != nil || !final {
			return r, err
		}
	}
	if r.SW.SW1() == 0x61 {
		return e.getResponses(c, r)
	}
	return r, nil
}

// plan returns the APDUs to send for c.
func (e *Exchanger) plan(c Command) []Command {
	if e.ExtendedLength {
		return []Command{c}
	}
	if c.Ne > MaxShortNe {
		c.Ne = MaxShortNe
	}
	maxData := e.MaxShortData
	if maxData < 1 || maxData > MaxShortData {
		maxData = MaxShortData
	}
	return c.Chain(maxData)
}

// sendParts transmits the parts of a (possibly chained) command. final
// reports whether the last part was sent; if an intermediate part is not
// answered with 9000, that response is returned with final=false.
func (e *Exchanger) sendParts(parts []Command) (r Response, final bool, err error) {
	for i, p := range parts {
		r, err = e.send(p)
		if err != nil {
			return Response{}, false, err
		}
		if i < len(parts)-1 && r.SW != SWOK {
			return r, false, nil
		}
	}
	return r, true, nil
}

// getResponses collects the remaining data announced by the 61xx status
// of first with GET RESPONSE commands.
func (e *Exchanger) getResponses(c Command, first Response) (Response, error) {
	maxRounds := e.MaxGetResponses
	if maxRounds <= 0 {
		maxRounds = DefaultMaxGetResponses
	}
	maxSize := e.MaxResponseSize
	if maxSize <= 0 {
		maxSize = DefaultMaxResponseSize
	}
	data := clone(first.Data)
	sw := first.SW
	for rounds := 0; sw.SW1() == 0x61 || (rounds > 0 && sw.SW1() == 0x6C); rounds++ {
		if rounds >= maxRounds {
			return Response{}, fmt.Errorf("%w: %s: card still answers %s after %d GET RESPONSE commands",
				ErrResponseLimit, c, sw, rounds)
		}
		r, err := e.send(Command{CLA: 0x00, INS: InsGetResponse, Ne: shortNe(sw.SW2())})
		if err != nil {
			return Response{}, fmt.Errorf("%s: %w", c, err)
		}
		if len(data)+len(r.Data) > maxSize {
			return Response{}, fmt.Errorf("%w: %s: response exceeds %d bytes", ErrResponseLimit, c, maxSize)
		}
		data = append(data, r.Data...)
		sw = r.SW
	}
	if len(data) == 0 {
		data = nil
	}
	return Response{Data: data, SW: sw}, nil
}

// send transmits one APDU, updates the counters and parses the response.
func (e *Exchanger) send(c Command) (Response, error) {
	raw, err := c.Bytes()
	if err != nil {
		return Response{}, err
	}
	// The encoded command may carry a PIN or a key: wipe it once the transport is done with it
	// (transports must not keep the slice).
	defer clear(raw)
	e.count(len(raw), 0)
	rsp, err := e.T.Transmit(raw)
	if err != nil {
		return Response{}, fmt.Errorf("apdu: transmit %s: %w", c, err)
	}
	e.count(0, len(rsp))
	r, err := ParseResponse(rsp)
	if err != nil {
		return Response{}, fmt.Errorf("response to %s: %w", c, err)
	}
	return r, nil
}

func (e *Exchanger) count(sent, received int) {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	if sent > 0 {
		e.stats.Commands++
		e.stats.BytesSent += sent
	}
	e.stats.BytesReceived += received
}

// Formatter renders a command APDU and its response (nil when the transmission failed) as text
// for a trace. An application supplies one that leaves its secrets out (see piv.Redactor); with
// none, [HexFormat] shows everything.
type Formatter func(cmd, rsp []byte) (cmdText, rspText string)

// HexFormat is the [Formatter] that shows both APDUs in upper-case hexadecimal, secrets included.
func HexFormat(cmd, rsp []byte) (string, string) {
	return strings.ToUpper(hex.EncodeToString(cmd)), strings.ToUpper(hex.EncodeToString(rsp))
}

// TraceTransport is a [Transport] wrapper that reports every exchange to Log after passing it
// through Format.
type TraceTransport struct {
	// T is the wrapped transport.
	T Transport
	// Format renders the exchange; it receives copies of the APDUs. With a nil Format everything
	// is logged verbatim in hexadecimal, secrets included.
	Format Formatter
	// Log receives the rendered command and response (the response is "" and err non-nil when
	// the transmission failed). A nil Log discards the trace.
	Log func(cmdText, rspText string, err error)
}

// NewTraceTransport returns a TraceTransport around t that writes the exchanges rendered by
// format to w as lines of the form "> 00A4040009..." and "< 6F10...9000" (see [LineLogger]).
func NewTraceTransport(t Transport, format Formatter, w io.Writer) *TraceTransport {
	return &TraceTransport{T: t, Format: format, Log: LineLogger(w)}
}

// Transmit sends cmd over the wrapped transport, logs the exchange and returns the unmodified
// response.
func (t *TraceTransport) Transmit(cmd []byte) ([]byte, error) {
	if t.T == nil {
		return nil, errors.New("apdu: trace transport has no transport")
	}
	rsp, err := t.T.Transmit(cmd)
	if t.Log != nil {
		format := t.Format
		if format == nil {
			format = HexFormat
		}
		var r []byte
		if err == nil {
			r = clone(rsp)
		}
		c, rt := format(clone(cmd), r)
		if err != nil {
			rt = ""
		}
		t.Log(c, rt, err)
	}
	return rsp, err
}

// LineLogger returns a Log function for [TraceTransport] that writes each
// exchange to w as two lines, "> " followed by the command and "< "
// followed by the response (or "< error: ..." when the transmission
// failed). Writes are serialized; write errors are ignored. A nil w
// discards the trace.
func LineLogger(w io.Writer) func(cmdHex, rspHex string, err error) {
	if w == nil {
		w = io.Discard
	}
	var mu sync.Mutex
	return func(cmdHex, rspHex string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			_, _ = fmt.Fprintf(w, "> %s\n< error: %v\n", cmdHex, err)
			return
		}
		_, _ = fmt.Fprintf(w, "> %s\n< %s\n", cmdHex, rspHex)
	}
}
