package spec

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// UTF16FromString encodes s as UTF-16 code units, without a terminating NUL (unlike
// syscall.UTF16FromString). Invalid UTF-8 is encoded as U+FFFD.
func UTF16FromString(s string) []uint16 {
	return utf16.Encode([]rune(s))
}

// StringFromUTF16 decodes UTF-16 code units up to the first NUL (or the end of u). Unpaired
// surrogates decode as U+FFFD.
func StringFromUTF16(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}

// UTF16LEBytes encodes s as little-endian UTF-16 bytes followed by a NUL code unit (an LPWSTR's
// bytes).
func UTF16LEBytes(s string) []byte {
	u := UTF16FromString(s)
	b := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

// StringFromUTF16LE decodes little-endian UTF-16 bytes up to the first NUL code unit (or the end
// of b). An odd trailing byte is an error.
func StringFromUTF16LE(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("spec: UTF-16LE string of odd length %d", len(b))
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return StringFromUTF16(u), nil
}

// MultiStringUTF16 returns list as a little-endian UTF-16 multi-string: every string followed by
// a NUL, and one more NUL at the end ("a\0b\0\0"), as bytes. It is the value of CP_ENUM_ALGORITHMS
// and CP_CHAINING_MODES.
//
// A multi-string cannot hold an empty string or a NUL inside a string: empty strings are
// skipped and a string is cut at its first NUL. An empty list gives two NULs ("\0\0", 4 bytes),
// which every multi-string reader sees as empty.
func MultiStringUTF16(list []string) []byte {
	var b []byte
	n := 0
	for _, s := range list {
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		if s == "" {
			continue
		}
		for _, c := range UTF16FromString(s) {
			b = binary.LittleEndian.AppendUint16(b, c)
		}
		b = append(b, 0, 0)
		n++
	}
	if n == 0 {
		b = append(b, 0, 0)
	}
	return append(b, 0, 0)
}

// MultiStringANSI returns list as an ANSI multi-string ("a\0b\0\0"), the format CardEnumFiles
// returns. Strings are copied byte for byte; as in MultiStringUTF16, empty strings are skipped, a
// string is cut at its first NUL, and an empty list gives "\0\0".
func MultiStringANSI(list []string) []byte {
	var b []byte
	n := 0
	for _, s := range list {
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		if s == "" {
			continue
		}
		b = append(b, s...)
		b = append(b, 0)
		n++
	}
	if n == 0 {
		b = append(b, 0)
	}
	return append(b, 0)
}

// ParseMultiStringANSI splits an ANSI multi-string into its strings. It stops at the first empty
// string (the double NUL) or at the end of b; a last string without its NUL is still returned.
func ParseMultiStringANSI(b []byte) []string {
	var list []string
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		if i == 0 {
			break
		}
		list = append(list, string(b[:i]))
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return list
}

// ParseMultiStringUTF16 splits a little-endian UTF-16 multi-string into its strings, with the
// same rules as ParseMultiStringANSI. An odd number of bytes is an error.
func ParseMultiStringUTF16(b []byte) ([]string, error) {
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("spec: UTF-16LE multi-string of odd length %d", len(b))
	}
	var list []string
	var cur []uint16
	for i := 0; i < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c != 0 {
			cur = append(cur, c)
			continue
		}
		if len(cur) == 0 {
			return list, nil
		}
		list = append(list, string(utf16.Decode(cur)))
		cur = cur[:0]
	}
	if len(cur) > 0 {
		list = append(list, string(utf16.Decode(cur)))
	}
	return list, nil
}
