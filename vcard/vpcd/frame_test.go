package vpcd

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5, 261, maxWireLen} {
		payload := bytes.Repeat([]byte{0xA5}, n)
		var buf bytes.Buffer
		if err := writeFrame(&buf, payload); err != nil {
			t.Fatalf("writeFrame(%d bytes): %v", n, err)
		}
		if got, want := buf.Len(), 2+n; got != want {
			t.Fatalf("frame of %d-byte payload is %d bytes, want %d", n, got, want)
		}
		got, err := readFrame(&buf, MaxMessage)
		if err != nil {
			t.Fatalf("readFrame(%d bytes): %v", n, err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("round trip of %d bytes changed the payload", n)
		}
		if _, err := readFrame(&buf, MaxMessage); err != io.EOF {
			t.Fatalf("readFrame at end of stream: got %v, want io.EOF", err)
		}
	}
}

func TestWriteFrameTooLarge(t *testing.T) {
	var buf bytes.Buffer
	err := writeFrame(&buf, make([]byte, maxWireLen+1))
	if !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("writeFrame(65536 bytes): got %v, want errFrameTooLarge", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("writeFrame wrote %d bytes for a rejected frame", buf.Len())
	}
}

func TestReadFrameErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		limit int
		want  error
	}{
		{"empty stream", nil, MaxMessage, io.EOF},
		{"half header", []byte{0x00}, MaxMessage, io.ErrUnexpectedEOF},
		{"truncated payload", []byte{0x00, 0x05, 1, 2, 3}, MaxMessage, io.ErrUnexpectedEOF},
		{"missing payload", []byte{0x00, 0x01}, MaxMessage, io.ErrUnexpectedEOF},
		{"over limit", []byte{0x00, 0x05, 1, 2, 3, 4, 5}, 4, errFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readFrame(bytes.NewReader(tt.in), tt.limit)
			if !errors.Is(err, tt.want) {
				t.Fatalf("readFrame(% x): got %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestReadFrameSequence(t *testing.T) {
	in := []byte{0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x03, 0x0A, 0x0B, 0x0C}
	r := bytes.NewReader(in)
	want := [][]byte{{0x04}, {}, {0x0A, 0x0B, 0x0C}}
	for i, w := range want {
		got, err := readFrame(r, MaxMessage)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(got, w) {
			t.Fatalf("frame %d: got % x, want % x", i, got, w)
		}
	}
}

// FuzzReadFrame checks that readFrame never panics, never returns more than
// the limit, and that every accepted frame re-encodes to the bytes consumed.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{}, uint16(0xFFFF))
	f.Add([]byte{0x00, 0x01, 0x04}, uint16(16))
	f.Add([]byte{0x00, 0x00}, uint16(16))
	f.Add([]byte{0x00, 0x05, 0x00, 0xA4, 0x04, 0x00, 0x00}, uint16(16))
	f.Add([]byte{0xFF, 0xFF, 0x01}, uint16(0xFFFF))
	f.Add([]byte{0x00}, uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, limit16 uint16) {
		limit := int(limit16)
		r := bytes.NewReader(in)
		payload, err := readFrame(r, limit)
		if err != nil {
			if payload != nil {
				t.Fatalf("readFrame returned %d bytes with error %v", len(payload), err)
			}
			return
		}
		if len(payload) > limit {
			t.Fatalf("readFrame returned %d bytes, limit %d", len(payload), limit)
		}
		consumed := len(in) - r.Len()
		var buf bytes.Buffer
		if err := writeFrame(&buf, payload); err != nil {
			t.Fatalf("writeFrame of an accepted payload: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), in[:consumed]) {
			t.Fatalf("re-encoded frame % x differs from input prefix % x", buf.Bytes(), in[:consumed])
		}
	})
}
