package piv

import (
	"strings"
	"testing"
)

func TestRedactor(t *testing.T) {
	pinHex := "313233343536FFFF"
	cases := []struct {
		name       string
		cmd, rsp   string
		wantCmd    string
		wantRsp    string
		notInTrace []string
	}{
		{"verify", "0020008008" + pinHex, "9000", "0020008008 [8 bytes redacted] ", "9000", []string{"313233343536"}},
		{"verify status", "00200080", "63C3", "00200080", "63C3", nil},
		{"change PIN", "0024008010" + pinHex + "363534333231FFFF", "9000", "0024008010 [16 bytes redacted] ", "9000", []string{"313233343536", "363534333231"}},
		{"unblock", "002C008010" + "3132333435363738" + pinHex, "9000", "002C008010 [16 bytes redacted] ", "9000", []string{"3132333435363738"}},
		{"set management key", "00FFFFFF1B039B18" + strings.Repeat("0102030405060708", 3), "9000", "00FFFFFF1B [27 bytes redacted] ", "9000", []string{"0102030405060708"}},
		{"management witness", "008703 9B04 7C028000", "7C0A8008AABBCCDDEEFF00119000", "0087039B04 [4 bytes redacted] ", "[12 bytes redacted] 9000", []string{"AABBCCDDEEFF0011"}},
		{"ECDH result", "0087119A0A7C0882008504AABBCCDD00", "7C06820411223344" + "9000", "0087119A0A7C0882008504AABBCCDD00", "[8 bytes redacted] 9000", []string{"11223344"}},
		{"printed info read", "00CB3FFF055C035FC10900", "5303AABBCC9000", "00CB3FFF055C035FC10900", "[5 bytes redacted] 9000", []string{"AABBCC"}},
		{"CHUID read shown", "00CB3FFF055C035FC10200", "5303AABBCC9000", "00CB3FFF055C035FC10200", "5303AABBCC9000", nil},
		{"printed info write", "00DB3FFF0A5C035FC109530388AABB", "9000", "00DB3FFF0A [10 bytes redacted] ", "9000", []string{"88AABB"}},
		{"certificate write shown", "00DB3FFF085C035FC1055301AA", "9000", "00DB3FFF085C035FC1055301AA", "9000", nil},
		{"malformed verify", "00200080FF31", "6700", "00200080 [2 bytes redacted] ", "6700", []string{"FF31"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r Redactor
			c, rs := r.Format(hexBytes(t, tc.cmd), hexBytes(t, tc.rsp))
			if c != tc.wantCmd || rs != tc.wantRsp {
				t.Errorf("got %q / %q, want %q / %q", c, rs, tc.wantCmd, tc.wantRsp)
			}
			for _, s := range tc.notInTrace {
				if strings.Contains(c+rs, s) {
					t.Errorf("%s leaked", s)
				}
			}
		})
	}
}

func TestRedactorFollowsChainsAndGetResponse(t *testing.T) {
	var r Redactor
	// A secret response continued with GET RESPONSE stays redacted.
	r.Format(hexBytes(t, "00CB3FFF055C035FC10900"), hexBytes(t, "AABB6105"))
	if _, rs := r.Format(hexBytes(t, "00C0000005"), hexBytes(t, "CCDDEEFF119000")); strings.Contains(rs, "CCDD") {
		t.Errorf("GET RESPONSE continuation leaked: %s", rs)
	}
	// A public response continued is shown.
	r.Format(hexBytes(t, "00CB3FFF055C035FC10500"), hexBytes(t, "AABB6105"))
	if _, rs := r.Format(hexBytes(t, "00C0000005"), hexBytes(t, "CCDDEEFF119000")); !strings.Contains(rs, "CCDD") {
		t.Errorf("public continuation hidden: %s", rs)
	}
	// The parts of a chained write to a protected object are all redacted.
	r.Format(hexBytes(t, "10DB3FFF085C035FC1095381FF"), hexBytes(t, "9000"))
	if c, _ := r.Format(hexBytes(t, "10DB3FFF03112233"), hexBytes(t, "9000")); strings.Contains(c, "112233") {
		t.Errorf("chained part leaked: %s", c)
	}
	if c, _ := r.Format(hexBytes(t, "00DB3FFF03445566"), hexBytes(t, "9000")); strings.Contains(c, "445566") {
		t.Errorf("last chained part leaked: %s", c)
	}
	if c, _ := r.Format(hexBytes(t, "00DB3FFF085C035FC1055301AA"), hexBytes(t, "9000")); !strings.Contains(c, "5301AA") {
		t.Errorf("chain state not cleared: %s", c)
	}
}

func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	s = strings.ReplaceAll(s, " ", "")
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, ch := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case ch >= '0' && ch <= '9':
				v |= byte(ch - '0')
			case ch >= 'A' && ch <= 'F':
				v |= byte(ch - 'A' + 10)
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b[i] = v
	}
	return b
}

func FuzzRedactor(f *testing.F) {
	f.Add([]byte{0x00, 0x20, 0x00, 0x80, 0x08, 1, 2, 3, 4, 5, 6, 7, 8}, []byte{0x90, 0x00})
	f.Add([]byte{0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x00, 0x03, 0x5C, 0x01}, []byte{0x61})
	f.Fuzz(func(t *testing.T, cmd, rsp []byte) {
		var r Redactor
		r.Format(cmd, rsp)
		r.Format(cmd, nil)
	})
}

func TestObjects(t *testing.T) {
	seen := map[uint32]bool{}
	for _, tag := range Objects() {
		if seen[tag] {
			t.Errorf("duplicate %06X", tag)
		}
		seen[tag] = true
		if _, ok := LookupObject(tag); !ok {
			t.Errorf("%06X not found", tag)
		}
	}
	for _, slot := range KeySlots() {
		tag := CertObject(slot)
		obj, ok := LookupObject(tag)
		if !ok || obj.Slot != slot {
			t.Errorf("slot %02X: object %06X %+v", slot, tag, obj)
		}
	}
	if CertObject(SlotAuth) != 0x5FC105 || CertObject(SlotSign) != 0x5FC10A || CertObject(SlotKeyMgmt) != 0x5FC10B ||
		CertObject(SlotCardAuth) != 0x5FC101 || CertObject(0x82) != 0x5FC10D || CertObject(0x95) != 0x5FC120 {
		t.Error("certificate object tags differ from SP 800-73-4 table 3")
	}
	if _, ok := LookupObject(0x5FC1FF); ok {
		t.Error("unknown tag accepted")
	}
	if DefaultPINPolicy(SlotSign) != PINPolicyAlways || DefaultPINPolicy(SlotCardAuth) != PINPolicyNever || DefaultPINPolicy(0x85) != PINPolicyOnce {
		t.Error("default PIN policies")
	}
}
