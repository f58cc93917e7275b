package vpcd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxMessage is the largest message payload the client accepts from vpcd:
// an extended-length command APDU (65536 data bytes) plus header and Le.
// The 2-byte length prefix cannot announce more than 65535 bytes, so with
// this limit every well-formed frame is accepted; the check guards the
// reader against future or foreign framings and lets tests use a smaller
// limit.
const MaxMessage = 65536 + 10

// maxWireLen is the largest payload the 2-byte length prefix can describe.
const maxWireLen = 0xFFFF

// errFrameTooLarge reports a frame whose announced length exceeds the
// reader's limit, or a payload too large for the 2-byte length prefix.
var errFrameTooLarge = errors.New("vpcd: frame too large")

// readFrame reads one length-prefixed frame from r. The payload may be
// empty. A frame announcing more than limit bytes is rejected with
// errFrameTooLarge before its payload is read. A clean end of stream before
// the first header byte returns io.EOF; a stream that ends inside a frame
// returns an error wrapping io.ErrUnexpectedEOF.
func readFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("vpcd: reading frame header: %w", err)
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n > limit {
		return nil, fmt.Errorf("%w: %d bytes announced, limit %d", errFrameTooLarge, n, limit)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("vpcd: reading %d-byte frame payload: %w", n, err)
	}
	return payload, nil
}

// writeFrame writes payload to w as one length-prefixed frame, using a
// single Write call so that header and payload travel together.
func writeFrame(w io.Writer, payload []byte) error {
	if len(payload) > maxWireLen {
		return fmt.Errorf("%w: %d-byte payload exceeds %d", errFrameTooLarge, len(payload), maxWireLen)
	}
	buf := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(buf, uint16(len(payload)))
	copy(buf[2:], payload)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("vpcd: writing %d-byte frame: %w", len(payload), err)
	}
	return nil
}
