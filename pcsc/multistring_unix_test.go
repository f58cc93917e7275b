//go:build ((linux && !android) || ((freebsd || netbsd) && cgo) || (darwin && !ios)) && (amd64 || arm64 || 386 || arm || loong64 || ppc64le || riscv64 || s390x)

package pcsc

import (
	"slices"
	"testing"
	"unsafe"
)

func TestSplitMultiString(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"\x00", []string{}},
		{"\x00\x00", []string{}},
		{"Virtual PCD 00 00\x00\x00", []string{"Virtual PCD 00 00"}},
		{"A\x00B C\x00\x00", []string{"A", "B C"}},
		{"A\x00B", []string{"A", "B"}}, // missing terminators
		{"A\x00\x00junk\x00", []string{"A"}},
	}
	for _, tt := range tests {
		if got := splitMultiString([]byte(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("splitMultiString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestABISizes pins the C type sizes this package assumes for pcsc-lite:
// DWORD/LONG/handles are pointer-sized, SCARD_IO_REQUEST is two of them.
func TestABISizes(t *testing.T) {
	var d dword
	if unsafe.Sizeof(d) != unsafe.Sizeof(uintptr(0)) && unsafe.Sizeof(d) != 4 {
		t.Errorf("sizeof(DWORD) = %d", unsafe.Sizeof(d))
	}
	if got, want := unsafe.Sizeof(ioRequest{}), 2*unsafe.Sizeof(d); got != want {
		t.Errorf("sizeof(SCARD_IO_REQUEST) = %d, want %d", got, want)
	}
}
