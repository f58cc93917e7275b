// Package tlv encodes and decodes BER-TLV data objects as used by
// ISO/IEC 7816-4 and NIST SP 800-73-4 (PIV).
//
// The package supports the subset of BER that smart cards use in practice:
//
//   - tags of one to three bytes (for example 0x53, 0x7F49, 0x5FC105),
//     kept as their raw big-endian bytes in a [Tag];
//   - definite lengths in short form (0x00-0x7F) or long form with one to
//     three length bytes (0x81 xx, 0x82 xxxx, 0x83 xxxxxx).
//
// The indefinite length form (0x80) and lengths with more than three length
// bytes are rejected with [ErrBadLength]. Non-minimal lengths such as
// 81 05 are accepted on input; the encoder always produces the shortest form.
// Tag bytes 0x00 and 0xFF are treated as ordinary one-byte tags: PIV does not
// use BER padding, so nothing is skipped.
//
// Decoded values alias the input buffer; nothing is copied.
package tlv

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by the decoding functions. Use
// [errors.Is] to test for them.
var (
	// ErrTruncated reports that a tag, length or value runs past the end of
	// the input.
	ErrTruncated = errors.New("tlv: truncated")
	// ErrBadLength reports an unsupported length field: the indefinite form
	// 0x80 or a long form with more than three length bytes (0x84-0xFF).
	ErrBadLength = errors.New("tlv: bad length")
	// ErrBadTag reports a tag longer than three bytes, or an attempt to read
	// a tag from empty input.
	ErrBadTag = errors.New("tlv: bad tag")
)

// MaxTagBytes is the maximum number of tag bytes accepted by the decoder.
const MaxTagBytes = 3

// MaxLength is the largest value length the decoder accepts (three length
// bytes after 0x83).
const MaxLength = 0xFFFFFF

// Tag is a BER-TLV tag number as its raw big-endian bytes packed into a
// uint32 (1 to 3 bytes, e.g. 0x53, 0x5FC105, 0x7F49).
//
// A multi-byte tag always has a non-zero first byte (its low five bits are
// 0x1F), so the number of tag bytes follows from the value: values up to
// 0xFF are one byte (including 0x00), up to 0xFFFF two bytes, and so on.
type Tag uint32

// Len returns the number of bytes of the tag's encoding (1 to 4).
func (t Tag) Len() int {
	switch {
	case t <= 0xFF:
		return 1
	case t <= 0xFFFF:
		return 2
	case t <= 0xFFFFFF:
		return 3
	default:
		return 4
	}
}

// Bytes returns the raw tag bytes (1 to 4 bytes).
func (t Tag) Bytes() []byte {
	return t.appendTo(make([]byte, 0, 4))
}

// appendTo appends the raw tag bytes to dst.
func (t Tag) appendTo(dst []byte) []byte {
	for i := t.Len() - 1; i >= 0; i-- {
		dst = append(dst, byte(t>>(8*uint(i))))
	}
	return dst
}

// firstByte returns the first (most significant) byte of the tag encoding.
func (t Tag) firstByte() byte {
	return byte(t >> (8 * uint(t.Len()-1)))
}

// Constructed reports whether the tag denotes a constructed data object,
// i.e. whether bit 6 (0x20) of the first tag byte is set.
func (t Tag) Constructed() bool {
	return t.firstByte()&0x20 != 0
}

// String returns the tag bytes in upper-case hexadecimal, e.g. "5FC105".
func (t Tag) String() string {
	switch t.Len() {
	case 1:
		return fmt.Sprintf("%02X", uint32(t))
	case 2:
		return fmt.Sprintf("%04X", uint32(t))
	case 3:
		return fmt.Sprintf("%06X", uint32(t))
	default:
		return fmt.Sprintf("%08X", uint32(t))
	}
}

// TLV is one decoded element. Value aliases the input buffer (no copy).
type TLV struct {
	// Tag is the element's tag.
	Tag Tag
	// Value is the element's value field.
	Value []byte
}

// Bytes returns the encoding of the element (minimal length form).
func (e TLV) Bytes() []byte {
	return Encode(e.Tag, e.Value)
}

// Children decodes the value of a constructed element as a sequence of
// TLVs (see [ParseAll]).
func (e TLV) Children() ([]TLV, error) {
	children, err := ParseAll(e.Value)
	if err != nil {
		return nil, fmt.Errorf("children of tag %s: %w", e.Tag, err)
	}
	return children, nil
}

// ParseTag decodes a tag from the front of b and returns it and the
// remaining bytes. Empty input and tags longer than [MaxTagBytes] give
// [ErrBadTag]; input that ends inside a multi-byte tag gives [ErrTruncated].
func ParseTag(b []byte) (Tag, []byte, error) {
	return parseTag(b, 0)
}

func parseTag(b []byte, off int) (Tag, []byte, error) {
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("%w: no tag at offset %d: empty input", ErrBadTag, off)
	}
	t := Tag(b[0])
	n := 1
	if b[0]&0x1F == 0x1F {
		for {
			if n >= MaxTagBytes {
				return 0, nil, fmt.Errorf("%w: tag at offset %d is longer than %d bytes", ErrBadTag, off, MaxTagBytes)
			}
			if n >= len(b) {
				return 0, nil, fmt.Errorf("%w: multi-byte tag at offset %d ends after %d bytes", ErrTruncated, off, n)
			}
			c := b[n]
			t = t<<8 | Tag(c)
			n++
			if c&0x80 == 0 {
				break
			}
		}
	}
	return t, b[n:], nil
}

// ParseLength decodes a length field from the front of b and returns the
// length and the remaining bytes. It does not check that the value fits in
// the remaining bytes.
func ParseLength(b []byte) (int, []byte, error) {
	return parseLength(b, 0)
}

func parseLength(b []byte, off int) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("%w: missing length at offset %d", ErrTruncated, off)
	}
	first := b[0]
	if first < 0x80 {
		return int(first), b[1:], nil
	}
	if first == 0x80 {
		return 0, nil, fmt.Errorf("%w: indefinite length form 80 at offset %d", ErrBadLength, off)
	}
	n := int(first & 0x7F)
	if n > 3 {
		return 0, nil, fmt.Errorf("%w: length form %02X at offset %d uses more than 3 length bytes", ErrBadLength, first, off)
	}
	if len(b) < 1+n {
		return 0, nil, fmt.Errorf("%w: length at offset %d needs %d bytes, have %d", ErrTruncated, off, 1+n, len(b))
	}
	l := 0
	for _, c := range b[1 : 1+n] {
		l = l<<8 | int(c)
	}
	return l, b[1+n:], nil
}

// Parse decodes one TLV from the front of b and returns it and the
// remaining bytes. The returned Value aliases b.
func Parse(b []byte) (TLV, []byte, error) {
	return parse(b, 0)
}

// parse is Parse with the offset of b within the caller's buffer, used in
// error messages.
func parse(b []byte, off int) (TLV, []byte, error) {
	tag, rest, err := parseTag(b, off)
	if err != nil {
		return TLV{}, nil, err
	}
	lenOff := off + len(b) - len(rest)
	l, rest, err := parseLength(rest, lenOff)
	if err != nil {
		return TLV{}, nil, fmt.Errorf("tag %s: %w", tag, err)
	}
	if l > len(rest) {
		return TLV{}, nil, fmt.Errorf("%w: tag %s at offset %d has length %d but only %d bytes remain",
			ErrTruncated, tag, off, l, len(rest))
	}
	return TLV{Tag: tag, Value: rest[:l:l]}, rest[l:], nil
}

// ParseAll decodes a sequence of TLVs that must consume b exactly. Empty
// input yields an empty (nil) slice and no error.
func ParseAll(b []byte) ([]TLV, error) {
	var out []TLV
	err := walk(b, func(e TLV) bool {
		out = append(out, e)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// walk calls f for each top-level element of b until f returns false. It
// returns the first decoding error; when f stops the walk early the rest of
// b is still validated.
func walk(b []byte, f func(TLV) bool) error {
	rest := b
	more := true
	for len(rest) > 0 {
		e, next, err := parse(rest, len(b)-len(rest))
		if err != nil {
			return err
		}
		if more {
			more = f(e)
		}
		rest = next
	}
	return nil
}

// Find returns the value of the first element with tag t among the
// top-level elements of b. The whole of b must be well formed (as for
// [ParseAll]): if it is not, Find returns an error even when the tag occurs
// before the malformed part. ok is false if the tag is absent.
func Find(b []byte, t Tag) (value []byte, ok bool, err error) {
	err = walk(b, func(e TLV) bool {
		if e.Tag == t {
			value, ok = e.Value, true
			return false
		}
		return true
	})
	if err != nil {
		return nil, false, fmt.Errorf("find tag %s: %w", t, err)
	}
	return value, ok, nil
}

// LenSize returns the number of bytes [AppendLength] uses to encode n.
// Negative n is treated as 0.
func LenSize(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n <= 0xFF:
		return 2
	case n <= 0xFFFF:
		return 3
	case n <= 0xFFFFFF:
		return 4
	}
	size := 1
	for v := uint64(n); v > 0; v >>= 8 {
		size++
	}
	return size
}

// AppendLength appends the shortest definite-form encoding of the length n
// to dst and returns the extended slice: 00-7F, 81 xx, 82 xxxx or
// 83 xxxxxx. Lengths above [MaxLength] are encoded in the general DER long
// form (84 and beyond), which [Parse] does not accept. Negative n is
// treated as 0.
func AppendLength(dst []byte, n int) []byte {
	if n < 0x80 {
		if n < 0 {
			n = 0
		}
		return append(dst, byte(n))
	}
	size := LenSize(n) - 1
	dst = append(dst, 0x80|byte(size))
	for i := size - 1; i >= 0; i-- {
		dst = append(dst, byte(uint64(n)>>(8*uint(i))))
	}
	return dst
}

// EncodeLength returns the shortest definite-form encoding of n (see
// [AppendLength]).
func EncodeLength(n int) []byte {
	return AppendLength(nil, n)
}

// Append appends the encoding of tag t and value to dst and returns the
// extended slice. The length uses the shortest DER form (00-7F, 81 xx,
// 82 xxxx, 83 xxxxxx). The tag is written as its raw bytes and is not
// validated.
func Append(dst []byte, t Tag, value []byte) []byte {
	dst = t.appendTo(dst)
	dst = AppendLength(dst, len(value))
	return append(dst, value...)
}

// Encode returns the encoding of tag t and value (see [Append]).
func Encode(t Tag, value []byte) []byte {
	return Append(make([]byte, 0, t.Len()+LenSize(len(value))+len(value)), t, value)
}

// Builder accumulates a sequence of encoded TLVs, including nested
// (constructed) ones. The zero value is an empty builder ready to use.
//
//	var b tlv.Builder
//	b.AddNested(0x7C, func(b *tlv.Builder) {
//		b.Add(0x81, challenge)
//		b.Add(0x82, nil)
//	})
//	out := b.Bytes()
type Builder struct {
	buf []byte
}

// Add appends an element with tag t and the given value.
func (b *Builder) Add(t Tag, value []byte) {
	b.buf = Append(b.buf, t, value)
}

// AddTLV appends the element e.
func (b *Builder) AddTLV(e TLV) {
	b.Add(e.Tag, e.Value)
}

// AddRaw appends already encoded bytes unchanged.
func (b *Builder) AddRaw(encoded []byte) {
	b.buf = append(b.buf, encoded...)
}

// AddNested appends a constructed element with tag t whose value is
// everything f adds to the builder it is given. f receives b itself; the
// tag and length are inserted in front of f's output when it returns.
func (b *Builder) AddNested(t Tag, f func(*Builder)) {
	start := len(b.buf)
	if f != nil {
		f(b)
	}
	if len(b.buf) < start {
		// f shrank the buffer (e.g. via Reset); nothing sensible to wrap.
		start = len(b.buf)
	}
	n := len(b.buf) - start
	var hdrBuf [4 + 9]byte
	hdr := AppendLength(t.appendTo(hdrBuf[:0]), n)
	b.buf = append(b.buf, hdr...)
	copy(b.buf[start+len(hdr):], b.buf[start:start+n])
	copy(b.buf[start:], hdr)
}

// Len returns the number of bytes encoded so far.
func (b *Builder) Len() int {
	return len(b.buf)
}

// Reset discards everything added so far, keeping the allocated buffer.
func (b *Builder) Reset() {
	b.buf = b.buf[:0]
}

// Bytes returns the encoded bytes. The slice aliases the builder's buffer
// and is valid until the next modification of the builder.
func (b *Builder) Bytes() []byte {
	return b.buf
}
