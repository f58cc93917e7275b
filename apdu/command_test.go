package apdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func equalCommand(a, b Command) bool {
	return a.CLA == b.CLA && a.INS == b.INS && a.P1 == b.P1 && a.P2 == b.P2 &&
		bytes.Equal(a.Data, b.Data) && a.Ne == b.Ne
}

func TestParseCommandCases(t *testing.T) {
	hdr := "00 CB 3F FF"
	tests := []struct {
		name     string
		in       []byte
		want     Command
		extended bool
	}{
		{"case 1", mustHex(t, hdr), Command{0x00, 0xCB, 0x3F, 0xFF, nil, 0}, false},
		{"case 2S", mustHex(t, hdr+"10"), Command{0x00, 0xCB, 0x3F, 0xFF, nil, 16}, false},
		{"case 2S Le 00", mustHex(t, hdr+"00"), Command{0x00, 0xCB, 0x3F, 0xFF, nil, 256}, false},
		{"case 3S", mustHex(t, hdr+"05 5C035FC105"), Command{0x00, 0xCB, 0x3F, 0xFF, mustHex(t, "5C035FC105"), 0}, false},
		{"case 3S 255", append(mustHex(t, hdr+"FF"), seq(255)...), Command{0x00, 0xCB, 0x3F, 0xFF, seq(255), 0}, false},
		{"case 4S", mustHex(t, hdr+"05 5C035FC105 00"), Command{0x00, 0xCB, 0x3F, 0xFF, mustHex(t, "5C035FC105"), 256}, false},
		{"case 4S Le 7F", mustHex(t, hdr+"01 AA 7F"), Command{0x00, 0xCB, 0x3F, 0xFF, []byte{0xAA}, 127}, false},
		{"case 2E", mustHex(t, hdr+"00 0101"), Command{0x00, 0xCB, 0x3F, 0xFF, nil, 257}, true},
		{"case 2E Le 0000", mustHex(t, hdr+"00 0000"), Command{0x00, 0xCB, 0x3F, 0xFF, nil, 65536}, true},
		{"case 2E small Le", mustHex(t, hdr+"00 0010"), Command{0x00, 0xCB, 0x3F, 0xFF, nil, 16}, false},
		{"case 3E", append(mustHex(t, hdr+"00 0100"), seq(256)...), Command{0x00, 0xCB, 0x3F, 0xFF, seq(256), 0}, true},
		{"case 3E small", mustHex(t, hdr+"00 0002 AABB"), Command{0x00, 0xCB, 0x3F, 0xFF, []byte{0xAA, 0xBB}, 0}, false},
		{"case 4E", append(append(mustHex(t, hdr+"00 0100"), seq(256)...), 0x00, 0x00), Command{0x00, 0xCB, 0x3F, 0xFF, seq(256), 65536}, true},
		{"case 4E small", mustHex(t, hdr+"00 0001 AA 0005"), Command{0x00, 0xCB, 0x3F, 0xFF, []byte{0xAA}, 5}, false},
		{"case 4E max", append(append(mustHex(t, hdr+"00 FFFF"), seq(65535)...), 0xFF, 0xFF), Command{0x00, 0xCB, 0x3F, 0xFF, seq(65535), 65535}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand(tt.in)
			if err != nil {
				t.Fatalf("ParseCommand: %v", err)
			}
			if !equalCommand(got, tt.want) {
				t.Fatalf("ParseCommand = %v, want %v", got, tt.want)
			}
			if got.Extended() != tt.extended {
				t.Errorf("Extended() = %v, want %v", got.Extended(), tt.extended)
			}
			enc, err := got.Bytes()
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			// Inputs that are already in the canonical form reproduce exactly.
			if !strings.Contains(tt.name, "small") && !bytes.Equal(enc, tt.in) {
				t.Errorf("Bytes() = %X, want %X", enc, tt.in)
			}
			again, err := ParseCommand(enc)
			if err != nil || !equalCommand(again, got) {
				t.Errorf("re-parse = %v, %v; want %v", again, err, got)
			}
			// Data must not alias the input.
			if len(got.Data) > 0 {
				got.Data[0] ^= 0xFF
				if again, _ := ParseCommand(tt.in); !equalCommand(again, tt.want) {
					t.Errorf("Data aliases the input")
				}
			}
		})
	}
}

func TestParseCommandMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"1 byte", []byte{0x00}},
		{"3 bytes", []byte{0x00, 0xA4, 0x04}},
		{"short Lc 0 with trailing byte", mustHex(t, "00A40400 00 00")},
		{"short Lc too big", mustHex(t, "00A40400 05 AABB")},
		{"short Lc too small", mustHex(t, "00A40400 01 AABBCC")},
		{"short trailing garbage", mustHex(t, "00A40400 01 AA 00 00")},
		{"extended Lc 0", mustHex(t, "00A40400 00 0000 AA")},
		{"extended Lc 0 with Le", mustHex(t, "00A40400 00 0000 0000")},
		{"extended Lc too big", mustHex(t, "00A40400 00 0005 AABB")},
		{"extended Le 1 byte", mustHex(t, "00A40400 00 0001 AA 00")},
		{"extended Le 3 bytes", mustHex(t, "00A40400 00 0001 AA 000000")},
		{"extended marker too short", mustHex(t, "00A40400 00 01")},
		{"extended 2E trailing", mustHex(t, "00A40400 00 0000 00 00")[:9]},
		{"extended Lc FFFF truncated", append(mustHex(t, "00A40400 00 FFFF"), seq(100)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCommand(tt.in)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseCommand(%X) = %v, %v; want ErrMalformed", tt.in, c, err)
			}
		})
	}
}

func TestCommandBytes(t *testing.T) {
	tests := []struct {
		name string
		c    Command
		want string
	}{
		{"case 1", Command{CLA: 0x00, INS: 0xA4, P1: 0x04}, "00A40400"},
		{"case 2S 256", Command{INS: 0xCB, Ne: 256}, "00CB000000"},
		{"case 3S empty data slice", Command{INS: 0x20, P2: 0x80, Data: []byte{}}, "00200080"},
		{"case 4S", Command{INS: 0xA4, P1: 0x04, Data: []byte{0xA0, 0x00}, Ne: 256}, "00A4040002A00000"},
		{"case 2E 257", Command{INS: 0xCB, Ne: 257}, "00CB0000000101"},
		{"case 2E 65536", Command{INS: 0xCB, Ne: 65536}, "00CB0000000000"},
		{"case 4E via Ne", Command{INS: 0xDB, Data: []byte{0xAA}, Ne: 300}, "00DB0000000001AA012C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Bytes()
			if err != nil {
				t.Fatalf("Bytes: %v", err)
			}
			if strings.ToUpper(hex.EncodeToString(got)) != tt.want {
				t.Errorf("Bytes() = %X, want %s", got, tt.want)
			}
		})
	}
	big := Command{INS: 0xDB, Data: seq(300), Ne: 0}
	got, err := big.Bytes()
	if err != nil || !bytes.HasPrefix(got, mustHex(t, "00DB0000 00 012C 0001")) || len(got) != 7+300 {
		t.Errorf("extended Bytes() = %X..., %v", got[:9], err)
	}

	for _, c := range []Command{
		{INS: 0xDB, Data: make([]byte, 65536)},
		{INS: 0xCB, Ne: -1},
		{INS: 0xCB, Ne: 65537},
	} {
		if _, err := c.Bytes(); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("%v: Bytes() error = %v, want ErrInvalidCommand", c, err)
		}
	}
}

func TestChain(t *testing.T) {
	c := Command{CLA: 0x00, INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: seq(600), Ne: 10}
	parts := c.Chain(255)
	if len(parts) != 3 {
		t.Fatalf("got %d parts, want 3", len(parts))
	}
	var joined []byte
	for i, p := range parts {
		last := i == len(parts)-1
		if p.Chained() == last {
			t.Errorf("part %d: Chained() = %v", i, p.Chained())
		}
		if p.INS != 0xDB || p.P1 != 0x3F || p.P2 != 0xFF {
			t.Errorf("part %d header %v", i, p)
		}
		if wantNe := map[bool]int{true: 10, false: 0}[last]; p.Ne != wantNe {
			t.Errorf("part %d Ne = %d, want %d", i, p.Ne, wantNe)
		}
		if p.Extended() {
			t.Errorf("part %d needs extended length", i)
		}
		joined = append(joined, p.Data...)
	}
	if len(parts[0].Data) != 255 || len(parts[1].Data) != 255 || len(parts[2].Data) != 90 {
		t.Errorf("part sizes %d %d %d", len(parts[0].Data), len(parts[1].Data), len(parts[2].Data))
	}
	if !bytes.Equal(joined, c.Data) {
		t.Error("joined data differs")
	}
	if parts[2].CLA != 0x00 || parts[0].CLA != 0x10 {
		t.Errorf("CLA bytes %02X %02X", parts[0].CLA, parts[2].CLA)
	}

	// Exact multiple: no empty trailing part.
	if parts := (Command{Data: seq(510)}).Chain(255); len(parts) != 2 || len(parts[1].Data) != 255 {
		t.Errorf("510/255 gave %d parts", len(parts))
	}
	// Fits: unchanged.
	small := Command{CLA: 0x00, INS: 0x20, Data: seq(8)}
	if parts := small.Chain(255); len(parts) != 1 || !equalCommand(parts[0], small) {
		t.Errorf("Chain of small command = %v", parts)
	}
	// Invalid maxData defaults to 255.
	if parts := (Command{Data: seq(256)}).Chain(0); len(parts) != 2 {
		t.Errorf("Chain(0) gave %d parts, want 2", len(parts))
	}
	// Appending to a part must not clobber the next part's data.
	parts = (Command{Data: seq(20)}).Chain(10)
	_ = append(parts[0].Data, 0xEE)
	if parts[1].Data[0] != 10 {
		t.Error("part data capacity leaks into the next part")
	}
}

func TestCommandString(t *testing.T) {
	c := Command{CLA: 0x00, INS: 0xA4, P1: 0x04, Data: seq(9), Ne: 256}
	if got := c.String(); got != "00 A4 04 00 Lc=9 Ne=256" {
		t.Errorf("String() = %q", got)
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte{0x00, 0xA4, 0x04, 0x00})
	f.Add([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x00})
	f.Add([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x00})
	f.Add([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x00})
	f.Add([]byte{0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x00, 0x02, 0x53, 0x00, 0x01, 0x00})
	f.Add([]byte{0x10, 0x87, 0x07, 0x9A, 0x01, 0x7C})
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseCommand(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		enc, err := c.Bytes()
		if err != nil {
			t.Fatalf("Bytes() of parsed command %v: %v", c, err)
		}
		if len(enc) > len(in) {
			t.Fatalf("re-encoding %X is longer than input %X", enc, in)
		}
		again, err := ParseCommand(enc)
		if err != nil {
			t.Fatalf("re-parse of %X: %v", enc, err)
		}
		if !equalCommand(again, c) {
			t.Fatalf("re-parse = %v, want %v", again, c)
		}
		for _, p := range c.Chain(255) {
			if _, err := p.Bytes(); err != nil {
				t.Fatalf("chain part %v: %v", p, err)
			}
		}
	})
}

func BenchmarkParseCommand(b *testing.B) {
	inputs := map[string][]byte{
		"case4S": append(append([]byte{0x00, 0x87, 0x07, 0x9A, 0x80}, seq(128)...), 0x00),
		"case4E": append(append([]byte{0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x08, 0x00}, seq(2048)...), 0x00, 0x00),
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := ParseCommand(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
