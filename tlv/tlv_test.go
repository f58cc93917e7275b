package tlv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
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

func TestTag(t *testing.T) {
	tests := []struct {
		tag         Tag
		bytes       string
		str         string
		constructed bool
	}{
		{0x00, "00", "00", false},
		{0x53, "53", "53", false},
		{0x7C, "7C", "7C", true},
		{0xFE, "FE", "FE", true},
		{0x7F49, "7F49", "7F49", true},
		{0x7F61, "7F61", "7F61", true},
		{0x5F2F, "5F2F", "5F2F", false},
		{0x5FC105, "5FC105", "5FC105", false},
		{0xDF8101, "DF8101", "DF8101", false},
		{0x7F818102, "7F818102", "7F818102", true},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			if got := fmt.Sprintf("%X", tt.tag.Bytes()); got != tt.bytes {
				t.Errorf("Bytes() = %s, want %s", got, tt.bytes)
			}
			if got := tt.tag.String(); got != tt.str {
				t.Errorf("String() = %s, want %s", got, tt.str)
			}
			if got := tt.tag.Constructed(); got != tt.constructed {
				t.Errorf("Constructed() = %v, want %v", got, tt.constructed)
			}
			if got := tt.tag.Len(); got != len(tt.bytes)/2 {
				t.Errorf("Len() = %d, want %d", got, len(tt.bytes)/2)
			}
		})
	}
}

func TestEncodeExample(t *testing.T) {
	got := Encode(0x53, make([]byte, 300))
	if !bytes.HasPrefix(got, []byte{0x53, 0x82, 0x01, 0x2C}) {
		t.Fatalf("Encode(0x53, 300 bytes) starts with % X, want 53 82 01 2C", got[:4])
	}
	if len(got) != 304 {
		t.Fatalf("len = %d, want 304", len(got))
	}
}

func TestLength(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "00"},
		{1, "01"},
		{127, "7F"},
		{128, "8180"},
		{255, "81FF"},
		{256, "820100"},
		{65535, "82FFFF"},
		{65536, "83010000"},
		{0xFFFFFF, "83FFFFFF"},
		{0x1000000, "8401000000"},
		{-5, "00"},
	}
	for _, tt := range tests {
		got := EncodeLength(tt.n)
		if fmt.Sprintf("%X", got) != tt.want {
			t.Errorf("EncodeLength(%d) = %X, want %s", tt.n, got, tt.want)
		}
		if LenSize(tt.n) != len(got) {
			t.Errorf("LenSize(%d) = %d, want %d", tt.n, LenSize(tt.n), len(got))
		}
		if tt.n < 0 || tt.n > MaxLength {
			continue
		}
		n, rest, err := ParseLength(append(got, 0xAA))
		if err != nil || n != tt.n || !bytes.Equal(rest, []byte{0xAA}) {
			t.Errorf("ParseLength(%X) = %d, %X, %v; want %d", got, n, rest, err, tt.n)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	tags := []Tag{0x00, 0x53, 0x7F49, 0x5FC105}
	lengths := []int{0, 1, 127, 128, 255, 256, 65535, 65536}
	for _, tag := range tags {
		for _, n := range lengths {
			t.Run(fmt.Sprintf("%s/%d", tag, n), func(t *testing.T) {
				value := make([]byte, n)
				for i := range value {
					value[i] = byte(i * 7)
				}
				enc := Encode(tag, value)
				wantLen := tag.Len() + LenSize(n) + n
				if len(enc) != wantLen {
					t.Fatalf("encoded length %d, want %d", len(enc), wantLen)
				}
				trailer := []byte{0xFE, 0x00}
				e, rest, err := Parse(append(enc, trailer...))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if e.Tag != tag || !bytes.Equal(e.Value, value) {
					t.Fatalf("Parse = tag %s len %d, want tag %s len %d", e.Tag, len(e.Value), tag, n)
				}
				if !bytes.Equal(rest, trailer) {
					t.Fatalf("rest = %X, want FE00", rest)
				}
				if got := e.Bytes(); !bytes.Equal(got, enc) {
					t.Fatalf("TLV.Bytes() differs from Encode")
				}
			})
		}
	}
}

func TestParseAllAndFind(t *testing.T) {
	// A PIV data object: 53 { 30 (FASC-N-like), 34 (GUID), 35 (expiry), 3E, FE 00 }
	in := mustHex(t, "53 12 3003 010203 3402 AABB 3503 323032 3E00 FE00 5FC105 81 01 77")
	top, err := ParseAll(in)
	if err != nil {
		t.Fatalf("ParseAll: %v", err)
	}
	if len(top) != 2 || top[0].Tag != 0x53 || top[1].Tag != 0x5FC105 {
		t.Fatalf("ParseAll = %+v", top)
	}
	if !bytes.Equal(top[1].Value, []byte{0x77}) {
		t.Fatalf("non-minimal length value = %X", top[1].Value)
	}
	inner, err := top[0].Children()
	if err != nil {
		t.Fatalf("Children: %v", err)
	}
	wantTags := []Tag{0x30, 0x34, 0x35, 0x3E, 0xFE}
	if len(inner) != len(wantTags) {
		t.Fatalf("got %d children, want %d", len(inner), len(wantTags))
	}
	for i, e := range inner {
		if e.Tag != wantTags[i] {
			t.Errorf("child %d tag %s, want %s", i, e.Tag, wantTags[i])
		}
	}
	if inner[4].Value == nil || len(inner[4].Value) != 0 {
		t.Errorf("FE 00 value = %#v, want empty non-nil", inner[4].Value)
	}

	v, ok, err := Find(top[0].Value, 0x34)
	if err != nil || !ok || !bytes.Equal(v, []byte{0xAA, 0xBB}) {
		t.Errorf("Find(34) = %X, %v, %v", v, ok, err)
	}
	v, ok, err = Find(top[0].Value, 0x99)
	if err != nil || ok || v != nil {
		t.Errorf("Find(99) = %X, %v, %v; want absent", v, ok, err)
	}
	// Tag present before malformed data: still an error.
	_, ok, err = Find(mustHex(t, "3401AA 35"), 0x34)
	if !errors.Is(err, ErrTruncated) || ok {
		t.Errorf("Find on malformed input = %v, %v; want ErrTruncated", ok, err)
	}
	// Values alias the input.
	v, _, _ = Find(in, 0x5FC105)
	v[0] = 0x55
	if in[len(in)-1] != 0x55 {
		t.Errorf("Find value does not alias input")
	}

	got, err := ParseAll(nil)
	if err != nil || len(got) != 0 {
		t.Errorf("ParseAll(nil) = %v, %v", got, err)
	}
	// Tag 0x00 is an ordinary tag, not padding.
	got, err = ParseAll(mustHex(t, "0000 0001AB"))
	if err != nil || len(got) != 2 || got[0].Tag != 0 || got[1].Tag != 0 || len(got[1].Value) != 1 {
		t.Errorf("ParseAll(00 tags) = %+v, %v", got, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrBadTag},
		{"four byte tag", "5F818101 00", ErrBadTag},
		{"four byte tag truncated", "5F8181", ErrBadTag},
		{"truncated multibyte tag", "5F", ErrTruncated},
		{"truncated 3 byte tag", "5FC1", ErrTruncated},
		{"missing length", "53", ErrTruncated},
		{"indefinite length", "53 80 00 00", ErrBadLength},
		{"84 length", "53 84 00 00 00 01 AA", ErrBadLength},
		{"FF length", "53 FF", ErrBadLength},
		{"truncated 81", "53 81", ErrTruncated},
		{"truncated 82", "53 82 01", ErrTruncated},
		{"truncated 83", "53 83 01 00", ErrTruncated},
		{"short value", "53 03 AA BB", ErrTruncated},
		{"long value", "53 82 01 00 AA", ErrTruncated},
		{"huge value", "53 83 FF FF FF AA", ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustHex(t, tt.in)
			_, _, err := Parse(in)
			if !errors.Is(err, tt.want) {
				t.Errorf("Parse(%X) error = %v, want %v", in, err, tt.want)
			}
			// The same error appears through ParseAll and Find, also when
			// preceded by a valid element.
			prefixed := append([]byte{0x01, 0x01, 0x00}, in...)
			if _, err := ParseAll(prefixed); tt.in != "" && !errors.Is(err, tt.want) {
				t.Errorf("ParseAll(%X) error = %v, want %v", prefixed, err, tt.want)
			}
			if _, _, err := Find(prefixed, 0x01); tt.in != "" && !errors.Is(err, tt.want) {
				t.Errorf("Find(%X) error = %v, want %v", prefixed, err, tt.want)
			}
		})
	}
	_, _, err := ParseTag(nil)
	if !errors.Is(err, ErrBadTag) {
		t.Errorf("ParseTag(nil) = %v, want ErrBadTag", err)
	}
	_, _, err = ParseLength(nil)
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("ParseLength(nil) = %v, want ErrTruncated", err)
	}
	if _, err := ParseAll(mustHex(t, "0100 53")); err == nil || !strings.Contains(err.Error(), "offset 3") {
		t.Errorf("error %v should mention offset 3", err)
	}
}

func TestBuilder(t *testing.T) {
	var b Builder
	b.AddNested(0x7C, func(b *Builder) {
		b.Add(0x82, nil)
		b.Add(0x81, bytes.Repeat([]byte{0xAB}, 200))
		b.AddNested(0xA0, func(b *Builder) {
			b.Add(0x80, []byte{1})
		})
	})
	b.AddTLV(TLV{Tag: 0xFE})
	b.AddRaw([]byte{0x01, 0x00})

	want := Encode(0x7C, concat(
		Encode(0x82, nil),
		Encode(0x81, bytes.Repeat([]byte{0xAB}, 200)),
		Encode(0xA0, Encode(0x80, []byte{1})),
	))
	want = append(want, 0xFE, 0x00, 0x01, 0x00)
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("Builder = %X\nwant      %X", b.Bytes(), want)
	}
	if b.Len() != len(want) {
		t.Errorf("Len() = %d, want %d", b.Len(), len(want))
	}
	if !bytes.HasPrefix(want, []byte{0x7C, 0x81, 0xD2}) {
		t.Errorf("unexpected header % X", want[:3])
	}

	b.Reset()
	if b.Len() != 0 {
		t.Fatalf("Reset left %d bytes", b.Len())
	}
	b.AddNested(0x53, nil)
	b.AddNested(0x7F49, func(b *Builder) { b.Reset() })
	if got := fmt.Sprintf("%X", b.Bytes()); got != "7F4900" {
		t.Errorf("after Reset inside AddNested: %s, want 7F4900", got)
	}
	// A large nested value needs a 3-byte length header.
	b.Reset()
	b.AddNested(0x53, func(b *Builder) { b.Add(0x5FC105, make([]byte, 70000)) })
	if !bytes.HasPrefix(b.Bytes(), []byte{0x53, 0x83, 0x01, 0x11, 0x77, 0x5F, 0xC1, 0x05, 0x83, 0x01, 0x11, 0x70}) {
		t.Errorf("large nested header % X", b.Bytes()[:12])
	}
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// minimalLengths reports whether every length field in the (well-formed,
// possibly nested) encoding b uses the shortest form. It only looks at the
// top level.
func minimalLengths(b []byte) bool {
	for len(b) > 0 {
		_, rest, err := ParseTag(b)
		if err != nil {
			return false
		}
		n, after, err := ParseLength(rest)
		if err != nil {
			return false
		}
		if len(rest)-len(after) != LenSize(n) {
			return false
		}
		b = after[n:]
	}
	return true
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{0x53, 0x03, 0x01, 0x02, 0x03, 0xFE, 0x00})
	f.Add([]byte{0x7C, 0x06, 0x82, 0x00, 0x81, 0x02, 0xAA, 0xBB})
	f.Add([]byte{0x5F, 0xC1, 0x05, 0x81, 0x01, 0x00})
	f.Add([]byte{0x53, 0x82, 0x00, 0x01, 0x00})
	f.Add([]byte{0x5F, 0x81, 0x81, 0x01, 0x00})
	f.Add([]byte{0x53, 0x80})
	f.Fuzz(func(t *testing.T, in []byte) {
		e, rest, err := Parse(in)
		if err == nil && len(e.Value)+len(rest) > len(in) {
			t.Fatalf("Parse returned more bytes than the input")
		}
		elems, err := ParseAll(in)
		if err != nil {
			if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrBadLength) && !errors.Is(err, ErrBadTag) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		var enc []byte
		for _, e := range elems {
			enc = Append(enc, e.Tag, e.Value)
		}
		if minimalLengths(in) && !bytes.Equal(enc, in) {
			t.Fatalf("re-encoding differs:\n in %X\nout %X", in, enc)
		}
		again, err := ParseAll(enc)
		if err != nil {
			t.Fatalf("re-parse failed: %v", err)
		}
		if len(again) != len(elems) {
			t.Fatalf("re-parse gave %d elements, want %d", len(again), len(elems))
		}
		for i := range elems {
			if again[i].Tag != elems[i].Tag || !bytes.Equal(again[i].Value, elems[i].Value) {
				t.Fatalf("element %d differs after re-parse", i)
			}
		}
		if len(elems) > 0 {
			v, ok, err := Find(in, elems[0].Tag)
			if err != nil || !ok || !bytes.Equal(v, elems[0].Value) {
				t.Fatalf("Find(%s) = %X, %v, %v", elems[0].Tag, v, ok, err)
			}
		}
	})
}

func BenchmarkParseAll(b *testing.B) {
	var bld Builder
	bld.AddNested(0x53, func(bld *Builder) {
		bld.Add(0x70, make([]byte, 1000))
		bld.Add(0x71, []byte{0})
		bld.Add(0xFE, nil)
	})
	in := bld.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAll(in); err != nil {
			b.Fatal(err)
		}
	}
}
