package spec

import (
	"bytes"
	"reflect"
	"testing"
)

func TestValidFileName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"cardcf", true},
		{"cmapfile", true}, // exactly 8
		{"mscp", true},
		{"kxc00", true},
		{"a", true},
		{"CARDID", true},
		{"a.b-c_d", true},
		{"\x7F", true},
		{"caf\xE9", true},        // ANSI (code page) byte
		{"\x80\xFF", true},       // high bytes
		{"", false},              // empty
		{"cmapfile1", false},     // 9 characters
		{"a\"b", false},          // each forbidden character
		{"a*b", false},           //
		{"a/b", false},           //
		{"a:b", false},           //
		{"a<b", false},           //
		{"a>b", false},           //
		{"a?b", false},           //
		{"a\\b", false},          //
		{"a|b", false},           //
		{"a\x00b", false},        // NUL
		{"a\x01b", false},        // control code 1
		{"a\x1Fb", false},        // control code 31
		{"\tx", false},           // control code 9
		{"caf\u00e9xyzw", false}, // 9 bytes in UTF-8
	}
	for _, tc := range tests {
		if got := ValidFileName(tc.name); got != tc.ok {
			t.Errorf("ValidFileName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
	for c := 0; c < 256; c++ {
		bad := c < 32 || bytes.IndexByte([]byte(`"*/:<>?\|`), byte(c)) >= 0
		if ValidFileName(string([]byte{byte(c)})) == bad {
			t.Errorf("ValidFileName(0x%02X) = %v", c, !bad)
		}
	}
}

func TestFoldFileName(t *testing.T) {
	if got := FoldFileName("KXC0A\xC9"); got != "kxc0a\xC9" {
		t.Errorf("FoldFileName = %q", got)
	}
}

func TestCertFileName(t *testing.T) {
	tests := []struct {
		prefix string
		index  byte
		want   string
	}{
		{"kxc", 0, "kxc00"},
		{"ksc", 1, "ksc01"},
		{"ksc", 9, "ksc09"},
		{"ksc", 10, "ksc0a"},
		{"kxc", 0x1F, "kxc1f"},
		{"kxc", 255, "kxcff"},
	}
	for _, tc := range tests {
		if got := CertFileName(tc.prefix, tc.index); got != tc.want {
			t.Errorf("CertFileName(%q, %d) = %q, want %q", tc.prefix, tc.index, got, tc.want)
		}
	}
	for i := 0; i < 256; i++ {
		for _, p := range []string{"ksc", "kxc"} {
			name := CertFileName(p, byte(i))
			gp, gi, ok := ParseCertFileName(name)
			if !ok || gp != p || gi != byte(i) || !ValidFileName(name) {
				t.Fatalf("round trip %q: %q %d %v", name, gp, gi, ok)
			}
		}
	}
}

func TestParseCertFileName(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		index  byte
		ok     bool
	}{
		{"kxc00", "kxc", 0, true},
		{"ksc01", "ksc", 1, true},
		{"kxc2", "kxc", 2, true},   // [HDR] comment example, single digit
		{"KXC0A", "kxc", 10, true}, // case-insensitive
		{"Ksc0b", "ksc", 11, true},
		{"kxcFF", "kxc", 255, true},
		{"kxc10", "kxc", 16, true}, // hexadecimal, not decimal
		{"kxc09", "kxc", 9, true},
		{"kxc", "", 0, false},
		{"kxc000", "", 0, false},
		{"kxcg0", "", 0, false},
		{"kxc-1", "", 0, false},
		{"kss00", "", 0, false},
		{"cmapfile", "", 0, false},
		{"", "", 0, false},
		{"k\x00c00", "", 0, false},
	}
	for _, tc := range tests {
		p, i, ok := ParseCertFileName(tc.name)
		if p != tc.prefix || i != tc.index || ok != tc.ok {
			t.Errorf("ParseCertFileName(%q) = %q %d %v, want %q %d %v", tc.name, p, i, ok, tc.prefix, tc.index, tc.ok)
		}
	}
}

func TestCardAppsInitial(t *testing.T) {
	if got := CardAppsInitial(); !bytes.Equal(got, []byte("mscp\x00\x00\x00\x00")) {
		t.Errorf("CardAppsInitial = %q", got)
	}
}

func TestUTF16(t *testing.T) {
	if got := UTF16FromString("aé€😀"); !reflect.DeepEqual(got, []uint16{0x61, 0xE9, 0x20AC, 0xD83D, 0xDE00}) {
		t.Errorf("UTF16FromString = %X", got)
	}
	if got := StringFromUTF16([]uint16{0x61, 0xD83D, 0xDE00, 0, 0x62}); got != "a😀" {
		t.Errorf("StringFromUTF16 = %q", got)
	}
	if got := StringFromUTF16(nil); got != "" {
		t.Errorf("StringFromUTF16(nil) = %q", got)
	}
	if got := UTF16LEBytes("Ab"); !bytes.Equal(got, []byte{'A', 0, 'b', 0, 0, 0}) {
		t.Errorf("UTF16LEBytes = %X", got)
	}
	s, err := StringFromUTF16LE([]byte{'A', 0, 0xAC, 0x20, 0, 0, 'x', 0})
	if err != nil || s != "A€" {
		t.Errorf("StringFromUTF16LE = %q %v", s, err)
	}
	if _, err := StringFromUTF16LE([]byte{'A'}); err == nil {
		t.Error("odd length accepted")
	}
}

func TestMultiStrings(t *testing.T) {
	// CP_ENUM_ALGORITHMS example: L"3DES\0AES\0\0".
	want := []byte{'3', 0, 'D', 0, 'E', 0, 'S', 0, 0, 0, 'A', 0, 'E', 0, 'S', 0, 0, 0, 0, 0}
	if got := MultiStringUTF16([]string{"3DES", "AES"}); !bytes.Equal(got, want) {
		t.Errorf("MultiStringUTF16 = %X", got)
	}
	if got := MultiStringUTF16(nil); !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Errorf("empty MultiStringUTF16 = %X", got)
	}
	if got := MultiStringUTF16([]string{"", "a\x00b"}); !bytes.Equal(got, []byte{'a', 0, 0, 0, 0, 0}) {
		t.Errorf("MultiStringUTF16 with empty/NUL = %X", got)
	}
	if got := MultiStringANSI([]string{"cardid", "cardcf"}); string(got) != "cardid\x00cardcf\x00\x00" {
		t.Errorf("MultiStringANSI = %q", got)
	}
	if got := MultiStringANSI(nil); string(got) != "\x00\x00" {
		t.Errorf("empty MultiStringANSI = %q", got)
	}
	if got := MultiStringANSI([]string{"x", "", "y\x00z"}); string(got) != "x\x00y\x00\x00" {
		t.Errorf("MultiStringANSI with empty/NUL = %q", got)
	}

	lists := [][]string{{"3DES", "3DES_112", "AES"}, {"ChainingModeCBC"}, {"é😀"}}
	for _, l := range lists {
		got, err := ParseMultiStringUTF16(MultiStringUTF16(l))
		if err != nil || !reflect.DeepEqual(got, l) {
			t.Errorf("UTF-16 round trip %q: %q %v", l, got, err)
		}
		if got := ParseMultiStringANSI(MultiStringANSI(l)); !reflect.DeepEqual(got, l) {
			t.Errorf("ANSI round trip %q: %q", l, got)
		}
	}
	if got := ParseMultiStringANSI([]byte("a\x00bc")); !reflect.DeepEqual(got, []string{"a", "bc"}) {
		t.Errorf("unterminated ANSI: %q", got)
	}
	if got := ParseMultiStringANSI(nil); got != nil {
		t.Errorf("nil ANSI: %q", got)
	}
	if got, err := ParseMultiStringUTF16([]byte{'a', 0, 0, 0, 'b', 0}); err != nil || !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("unterminated UTF-16: %q %v", got, err)
	}
	if _, err := ParseMultiStringUTF16([]byte{'a'}); err == nil {
		t.Error("odd UTF-16 multi-string accepted")
	}
}
