package spec

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// u32 and u16 read the value at a documented offset.
func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func u16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }

type fieldAt struct {
	off  int
	want uint32
}

func checkFields(t *testing.T, what string, b []byte, size int, fields []fieldAt) {
	t.Helper()
	if len(b) != size {
		t.Fatalf("%s: %d bytes, want sizeof %d", what, len(b), size)
	}
	for _, f := range fields {
		if got := u32(b, f.off); got != f.want {
			t.Errorf("%s: DWORD at offset %d = 0x%X, want 0x%X", what, f.off, got, f.want)
		}
	}
}

// The sizes and offsets below are those of reference §2 (x64/x86 identical for these).
func TestFixedStructLayouts(t *testing.T) {
	cc := CardCapabilities{Version: 0x11, CertificateCompression: true, KeyGen: false}
	checkFields(t, "CARD_CAPABILITIES", cc.MarshalBinary(), 12, []fieldAt{{0, 0x11}, {4, 1}, {8, 0}})
	cc.KeyGen, cc.CertificateCompression = true, false
	checkFields(t, "CARD_CAPABILITIES", cc.MarshalBinary(), 12, []fieldAt{{4, 0}, {8, 1}})

	pcp := PINCachePolicy{Version: 6, Type: PinCacheTimed, Info: 300}
	checkFields(t, "PIN_CACHE_POLICY", pcp.MarshalBinary(), 12, []fieldAt{{0, 6}, {4, 1}, {8, 300}})

	pi := PINInfo{
		Version:           6,
		PinType:           ChallengeResponsePinType,
		PinPurpose:        UnblockOnlyPin,
		ChangePermission:  0x0A0B,
		UnblockPermission: 0x0C0D,
		CachePolicy:       PINCachePolicy{Version: 0x21, Type: PinCacheAlwaysPrompt, Info: 0x23},
		Flags:             PINInfoRequireSecureEntry,
	}
	checkFields(t, "PIN_INFO", pi.MarshalBinary(), 36, []fieldAt{
		{0, 6}, {4, 2}, {8, 6}, {12, 0x0A0B}, {16, 0x0C0D}, {20, 0x21}, {24, 3}, {28, 0x23}, {32, 1},
	})

	fi := FileInfo{Version: 1, FileSize: 0x1234, AccessCondition: AdminReadWriteAc}
	checkFields(t, "CARD_FILE_INFO", fi.MarshalBinary(), 12, []fieldAt{{0, 1}, {4, 0x1234}, {8, 6}})

	fs := FreeSpaceInfo{Version: 1, BytesAvailable: 0xB1, KeyContainersAvailable: 0xC2, MaxKeyContainers: CardDataValueUnknown}
	checkFields(t, "CARD_FREE_SPACE_INFO", fs.MarshalBinary(), 16, []fieldAt{{0, 1}, {4, 0xB1}, {8, 0xC2}, {12, 0xFFFFFFFF}})

	ks := KeySizes{Version: 1, Minimum: 1024, Default: 2048, Maximum: 4096, Incremental: 1024}
	checkFields(t, "CARD_KEY_SIZES", ks.MarshalBinary(), 20, []fieldAt{{0, 1}, {4, 1024}, {8, 2048}, {12, 4096}, {16, 1024}})

	car := ChangeAuthenticatorResponse{Version: 7, AttemptsRemaining: 2}
	checkFields(t, "CARD_CHANGE_AUTHENTICATOR_RESPONSE", car.MarshalBinary(), 8, []fieldAt{{0, 7}, {4, 2}})
}

func TestFixedStructRoundTrips(t *testing.T) {
	cc := CardCapabilities{Version: 1, CertificateCompression: true, KeyGen: true}
	if got, err := ParseCardCapabilities(cc.MarshalBinary()); err != nil || got != cc {
		t.Errorf("CardCapabilities: %+v %v", got, err)
	}
	// Any nonzero BOOL is TRUE.
	if got, _ := ParseCardCapabilities([]byte{1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x80}); !got.CertificateCompression || !got.KeyGen {
		t.Error("nonzero BOOL not true")
	}
	pi := PINInfo{Version: 6, PinType: ExternalPinType, PinPurpose: DigitalSignaturePin, ChangePermission: 2,
		UnblockPermission: 4, CachePolicy: PINCachePolicy{6, PinCacheNone, 0}, Flags: 1}
	if got, err := ParsePINInfo(pi.MarshalBinary()); err != nil || got != pi {
		t.Errorf("PINInfo: %+v %v", got, err)
	}
	pcp := PINCachePolicy{6, PinCacheTimed, 60}
	if got, err := ParsePINCachePolicy(pcp.MarshalBinary()); err != nil || got != pcp {
		t.Errorf("PINCachePolicy: %+v %v", got, err)
	}
	fi := FileInfo{1, 99, EveryoneReadUserWriteAc}
	if got, err := ParseFileInfo(fi.MarshalBinary()); err != nil || got != fi {
		t.Errorf("FileInfo: %+v %v", got, err)
	}
	fs := FreeSpaceInfo{1, 2, 3, 4}
	if got, err := ParseFreeSpaceInfo(fs.MarshalBinary()); err != nil || got != fs {
		t.Errorf("FreeSpaceInfo: %+v %v", got, err)
	}
	ks := KeySizes{1, 256, 256, 256, 1}
	if got, err := ParseKeySizes(ks.MarshalBinary()); err != nil || got != ks {
		t.Errorf("KeySizes: %+v %v", got, err)
	}
	car := ChangeAuthenticatorResponse{7, 3}
	if got, err := ParseChangeAuthenticatorResponse(car.MarshalBinary()); err != nil || got != car {
		t.Errorf("ChangeAuthenticatorResponse: %+v %v", got, err)
	}

	// UnmarshalBinary methods.
	var c2 CardCapabilities
	var p2 PINInfo
	var pc2 PINCachePolicy
	var f2 FileInfo
	var s2 FreeSpaceInfo
	var k2 KeySizes
	if c2.UnmarshalBinary(cc.MarshalBinary()) != nil || c2 != cc ||
		p2.UnmarshalBinary(pi.MarshalBinary()) != nil || p2 != pi ||
		pc2.UnmarshalBinary(pcp.MarshalBinary()) != nil || pc2 != pcp ||
		f2.UnmarshalBinary(fi.MarshalBinary()) != nil || f2 != fi ||
		s2.UnmarshalBinary(fs.MarshalBinary()) != nil || s2 != fs ||
		k2.UnmarshalBinary(ks.MarshalBinary()) != nil || k2 != ks {
		t.Error("UnmarshalBinary round trip failed")
	}
	// A failed UnmarshalBinary leaves the value alone.
	if k2.UnmarshalBinary(nil) == nil || k2 != ks {
		t.Error("failed UnmarshalBinary changed the value")
	}
}

func TestFixedStructWrongLengths(t *testing.T) {
	parsers := []struct {
		name  string
		size  int
		parse func([]byte) error
	}{
		{"CARD_CAPABILITIES", 12, func(b []byte) error { _, err := ParseCardCapabilities(b); return err }},
		{"PIN_CACHE_POLICY", 12, func(b []byte) error { _, err := ParsePINCachePolicy(b); return err }},
		{"PIN_INFO", 36, func(b []byte) error { _, err := ParsePINInfo(b); return err }},
		{"CARD_FILE_INFO", 12, func(b []byte) error { _, err := ParseFileInfo(b); return err }},
		{"CARD_FREE_SPACE_INFO", 16, func(b []byte) error { _, err := ParseFreeSpaceInfo(b); return err }},
		{"CARD_KEY_SIZES", 20, func(b []byte) error { _, err := ParseKeySizes(b); return err }},
		{"CARD_CHANGE_AUTHENTICATOR_RESPONSE", 8, func(b []byte) error { _, err := ParseChangeAuthenticatorResponse(b); return err }},
	}
	for _, p := range parsers {
		for _, n := range []int{0, 1, p.size - 1, p.size + 1, p.size + 4} {
			if err := p.parse(make([]byte, n)); err == nil {
				t.Errorf("%s: %d bytes accepted", p.name, n)
			} else if !strings.Contains(err.Error(), p.name) {
				t.Errorf("%s: error lacks context: %v", p.name, err)
			}
		}
		if err := p.parse(make([]byte, p.size)); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
}

func TestContainerInfoHeader(t *testing.T) {
	ci := ContainerInfo{Version: 1, Reserved: 0, SigPublicKey: make([]byte, 0x91), KeyExPublicKey: make([]byte, 0x114)}
	h := ci.Header(0x1122334455667788, 0x0102030405060708)
	b, err := h.MarshalBinaryFor(8)
	if err != nil {
		t.Fatal(err)
	}
	// x64 offsets 0/4/8/16/24/32, sizeof 40.
	if len(b) != 40 || u32(b, 0) != 1 || u32(b, 4) != 0 || u32(b, 8) != 0x91 ||
		binary.LittleEndian.Uint64(b[16:]) != 0x1122334455667788 || u32(b, 24) != 0x114 ||
		binary.LittleEndian.Uint64(b[32:]) != 0x0102030405060708 {
		t.Errorf("x64 layout: %X", b)
	}
	if got, err := ParseContainerInfoHeader(b, 8); err != nil || got != h {
		t.Errorf("x64 round trip: %+v %v", got, err)
	}
	if _, err := h.MarshalBinaryFor(4); err == nil {
		t.Error("64-bit pointer accepted on x86")
	}
	h32 := ci.Header(0xAABBCCDD, 0x10203040)
	b, err = h32.MarshalBinaryFor(4)
	// x86 offsets 0/4/8/12/16/20, sizeof 24.
	if err != nil || len(b) != 24 || u32(b, 0) != 1 || u32(b, 8) != 0x91 || u32(b, 12) != 0xAABBCCDD ||
		u32(b, 16) != 0x114 || u32(b, 20) != 0x10203040 {
		t.Errorf("x86 layout: %X %v", b, err)
	}
	if got, err := ParseContainerInfoHeader(b, 4); err != nil || got != h32 {
		t.Errorf("x86 round trip: %+v %v", got, err)
	}
	for _, tc := range []struct{ n, ptr int }{{39, 8}, {41, 8}, {24, 8}, {23, 4}, {40, 4}, {40, 2}} {
		if _, err := ParseContainerInfoHeader(make([]byte, tc.n), tc.ptr); err == nil {
			t.Errorf("%d bytes with pointer size %d accepted", tc.n, tc.ptr)
		}
	}
	if _, err := h.MarshalBinaryFor(16); err == nil {
		t.Error("pointer size 16 accepted")
	}
	empty := ContainerInfo{Version: 1}.Header(0, 0)
	if empty.SigPublicKeyLen != 0 || empty.KeyExPublicKeyLen != 0 {
		t.Error("absent keys have a length")
	}
}

func TestCacheFile(t *testing.T) {
	c := CacheFile{Version: 1, PinsFreshness: 0x22, ContainersFreshness: 0x4433, FilesFreshness: 0x6655}
	b := c.MarshalBinary()
	if !bytes.Equal(b, []byte{0x01, 0x22, 0x33, 0x44, 0x55, 0x66}) {
		t.Errorf("cardcf = %X", b)
	}
	// Initial content: 6 zero bytes.
	if got := (CacheFile{}).MarshalBinary(); !bytes.Equal(got, make([]byte, 6)) {
		t.Errorf("zero cardcf = %X", got)
	}
	withExtra := append(append([]byte{}, b...), 1, 2, 3, 4, 5, 6, 7, 8)
	got, err := ParseCacheFile(withExtra)
	if err != nil || got.Version != 1 || got.PinsFreshness != 0x22 || got.ContainersFreshness != 0x4433 ||
		got.FilesFreshness != 0x6655 || !bytes.Equal(got.Extra, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("ParseCacheFile = %+v %v", got, err)
	}
	if !bytes.Equal(got.MarshalBinary(), withExtra) {
		t.Error("trailing application values not preserved")
	}
	withExtra[7] = 0xEE
	if got.Extra[1] == 0xEE {
		t.Error("Extra aliases the input")
	}
	if got, err := ParseCacheFile(b); err != nil || got.Extra != nil {
		t.Errorf("6-byte cardcf: %+v %v", got, err)
	}
	for n := 0; n < 6; n++ {
		if _, err := ParseCacheFile(make([]byte, n)); err == nil {
			t.Errorf("%d-byte cardcf accepted", n)
		}
	}
	var u CacheFile
	if err := u.UnmarshalBinary(b); err != nil || u.FilesFreshness != 0x6655 {
		t.Errorf("UnmarshalBinary: %+v %v", u, err)
	}

	w := CacheFile{PinsFreshness: 0xFF, ContainersFreshness: 0xFFFF, FilesFreshness: 0xFFFE}
	w.BumpPINs()
	w.BumpContainers()
	w.BumpFiles()
	if w.PinsFreshness != 0 || w.ContainersFreshness != 0 || w.FilesFreshness != 0xFFFF {
		t.Errorf("wrapping bumps: %+v", w)
	}
	w.BumpFiles()
	if w.FilesFreshness != 0 {
		t.Errorf("files counter did not wrap: %d", w.FilesFreshness)
	}
}

func TestContainerMapRecordLayout(t *testing.T) {
	var r ContainerMapRecord
	if err := r.SetName("Ab€"); err != nil {
		t.Fatal(err)
	}
	r.Flags = ContainerMapValidContainer | ContainerMapDefaultContainer
	r.Reserved = 0x5A
	r.SigKeySizeBits = 0x0100
	r.KeyExchangeKeySizeBits = 0x0800
	b := r.MarshalBinary()
	if len(b) != 86 {
		t.Fatalf("sizeof = %d, want 86", len(b))
	}
	wantName := []byte{'A', 0, 'b', 0, 0xAC, 0x20}
	if !bytes.Equal(b[:6], wantName) || !bytes.Equal(b[6:80], make([]byte, 74)) {
		t.Errorf("wszGuid bytes = %X", b[:80])
	}
	if b[80] != 0x03 || b[81] != 0x5A || u16(b, 82) != 0x0100 || u16(b, 84) != 0x0800 {
		t.Errorf("tail = %X", b[80:])
	}
	if !r.Valid() || !r.Default() || r.Name() != "Ab€" {
		t.Error("accessors")
	}
	r.Flags = ContainerMapValidContainer
	if !r.Valid() || r.Default() {
		t.Error("valid-only flags")
	}
	// Setting a shorter name clears the old one.
	if err := r.SetName("x"); err != nil || r.GUID[1] != 0 || r.GUID[2] != 0 || r.Name() != "x" {
		t.Errorf("SetName did not clear: %v %v", r.GUID[:4], err)
	}
}

func TestContainerMapRecordSetName(t *testing.T) {
	maxName := strings.Repeat("a", 39)
	tests := []struct {
		name string
		ok   bool
	}{
		{"{7C6B0B9A-3A8B-4C1E-9A2F-1B2C3D4E5F60}", true}, // 38 characters, a typical GUID name
		{maxName, true},
		{maxName + "a", false},
		{strings.Repeat("😀", 19) + "a", true}, // 39 UTF-16 units
		{strings.Repeat("😀", 20), false},      // 40 UTF-16 units
		{"a\\b", false},
		{"a\x00b", false},
		{"", false},
		{"\xff", false},
	}
	for _, tc := range tests {
		var r ContainerMapRecord
		err := r.SetName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("SetName(%q) error = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err == nil {
			if r.Name() != tc.name || r.GUID[39] != 0 {
				t.Errorf("SetName(%q): Name %q", tc.name, r.Name())
			}
		}
	}
}

func TestContainerMap(t *testing.T) {
	recs := make([]ContainerMapRecord, 3)
	_ = recs[0].SetName("first")
	recs[0].Flags = 3
	recs[0].KeyExchangeKeySizeBits = 2048
	// recs[1] is a deleted (zero) record.
	_ = recs[2].SetName("third")
	recs[2].Flags = 1
	recs[2].SigKeySizeBits = 256
	b := MarshalContainerMap(recs)
	if len(b) != 3*86 {
		t.Fatalf("cmapfile = %d bytes", len(b))
	}
	if !bytes.Equal(b[86:172], make([]byte, 86)) {
		t.Error("deleted record is not zero-filled")
	}
	if u16(b, 2*86+82) != 256 || b[2*86+80] != 1 || u16(b, 84) != 2048 {
		t.Error("record fields at wrong offsets")
	}
	got, err := ParseContainerMap(b)
	if err != nil || !reflect.DeepEqual(got, recs) {
		t.Errorf("round trip: %v", err)
	}
	if got, err := ParseContainerMap(nil); err != nil || len(got) != 0 {
		t.Errorf("empty cmapfile: %v %v", got, err)
	}
	if got := MarshalContainerMap(nil); len(got) != 0 {
		t.Errorf("empty map = %X", got)
	}
	for _, n := range []int{1, 85, 87, 171, 173} {
		if _, err := ParseContainerMap(make([]byte, n)); err == nil {
			t.Errorf("%d-byte cmapfile accepted", n)
		}
	}
	// A damaged record without a NUL still parses, round-trips, and yields 40 units.
	raw := bytes.Repeat([]byte{'z', 0}, 43)
	got, err = ParseContainerMap(raw)
	if err != nil || len(got[0].Name()) != 40 || !bytes.Equal(MarshalContainerMap(got), raw) {
		t.Errorf("damaged record: %v %q", err, got[0].Name())
	}
}

func TestImportKeypair(t *testing.T) {
	k := ImportKeypair{Version: 7, ContainerIndex: 0x05, PinID: RoleUser, KeySpec: ATKeyExchange, KeySize: 2048, Input: []byte{0xAA, 0xBB, 0xCC}}
	b := k.MarshalBinary()
	if len(b) != 24+3 || u32(b, 0) != 7 || b[4] != 5 || !bytes.Equal(b[5:8], []byte{0, 0, 0}) || u32(b, 8) != 1 ||
		u32(b, 12) != 1 || u32(b, 16) != 2048 || u32(b, 20) != 3 || !bytes.Equal(b[24:], []byte{0xAA, 0xBB, 0xCC}) {
		t.Errorf("layout: %X", b)
	}
	got, err := ParseImportKeypair(b)
	if err != nil || !reflect.DeepEqual(got, k) {
		t.Errorf("round trip: %+v %v", got, err)
	}
	for _, bad := range [][]byte{b[:23], b[:26], append(append([]byte{}, b...), 0)} {
		if _, err := ParseImportKeypair(bad); err == nil {
			t.Errorf("%d bytes accepted", len(bad))
		}
	}
	huge := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(huge[20:], 0xFFFFFFFF)
	if _, err := ParseImportKeypair(huge); err == nil {
		t.Error("huge cbInput accepted")
	}
}

func TestChangeAuthenticator(t *testing.T) {
	c := ChangeAuthenticator{Version: 7, Flags: PINChangeFlagUnblock, AuthenticatingPinID: RoleAdmin,
		AuthenticatingPinData: []byte("12345678"), TargetPinID: RoleUser, TargetData: []byte("654321"), RetryCount: 3}
	b := c.MarshalBinary()
	if len(b) != 28+8+6 || u32(b, 0) != 7 || u32(b, 4) != 1 || u32(b, 8) != 2 || u32(b, 12) != 8 ||
		u32(b, 16) != 1 || u32(b, 20) != 6 || u32(b, 24) != 3 || string(b[28:36]) != "12345678" || string(b[36:]) != "654321" {
		t.Errorf("layout: %X", b)
	}
	got, err := ParseChangeAuthenticator(b)
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("round trip: %+v %v", got, err)
	}
	for _, bad := range [][]byte{b[:27], b[:len(b)-1], append(append([]byte{}, b...), 0)} {
		if _, err := ParseChangeAuthenticator(bad); err == nil {
			t.Errorf("%d bytes accepted", len(bad))
		}
	}
	over := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(over[12:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(over[20:], 15) // sums to len in 32-bit arithmetic
	if _, err := ParseChangeAuthenticator(over); err == nil {
		t.Error("overflowing lengths accepted")
	}
}

func TestAuthenticateStructs(t *testing.T) {
	a := Authenticate{Version: 7, Flags: CardAuthenticateGenerateSessionPIN, PinID: RoleUser, PinData: []byte("1234")}
	b := a.MarshalBinary()
	if len(b) != 16+4 || u32(b, 0) != 7 || u32(b, 4) != 0x10000000 || u32(b, 8) != 1 || u32(b, 12) != 4 || string(b[16:]) != "1234" {
		t.Errorf("CARD_AUTHENTICATE layout: %X", b)
	}
	if got, err := ParseAuthenticate(b); err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("round trip: %+v %v", got, err)
	}
	for _, bad := range [][]byte{b[:15], b[:19], append(append([]byte{}, b...), 0)} {
		if _, err := ParseAuthenticate(bad); err == nil {
			t.Errorf("CARD_AUTHENTICATE %d bytes accepted", len(bad))
		}
	}

	r := AuthenticateResponse{Version: 7, SessionPin: []byte{1, 2, 3, 4, 5}, AttemptsRemaining: 0xFFFFFFFF}
	b = r.MarshalBinary()
	if len(b) != 12+5 || u32(b, 0) != 7 || u32(b, 4) != 5 || u32(b, 8) != 0xFFFFFFFF || !bytes.Equal(b[12:], []byte{1, 2, 3, 4, 5}) {
		t.Errorf("CARD_AUTHENTICATE_RESPONSE layout: %X", b)
	}
	if got, err := ParseAuthenticateResponse(b); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("round trip: %+v %v", got, err)
	}
	none := AuthenticateResponse{Version: 7, AttemptsRemaining: 3}
	if b := none.MarshalBinary(); len(b) != 12 || u32(b, 4) != 0 {
		t.Errorf("no session PIN: %X", b)
	}
	if got, err := ParseAuthenticateResponse(none.MarshalBinary()); err != nil || !reflect.DeepEqual(got, none) {
		t.Errorf("round trip without session PIN: %+v %v", got, err)
	}
	for _, bad := range [][]byte{b[:11], b[:16], append(append([]byte{}, b...), 0)} {
		if _, err := ParseAuthenticateResponse(bad); err == nil {
			t.Errorf("CARD_AUTHENTICATE_RESPONSE %d bytes accepted", len(bad))
		}
	}
}

func TestKeyDataBlob(t *testing.T) {
	key := []byte{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F}
	b := MarshalKeyDataBlob(key)
	want := append([]byte{'K', 'D', 'B', 'M', 1, 0, 0, 0, 16, 0, 0, 0}, key...)
	if !bytes.Equal(b, want) {
		t.Errorf("KeyDataBlob = %X", b)
	}
	if got, err := ParseKeyDataBlob(b); err != nil || !bytes.Equal(got, key) {
		t.Errorf("ParseKeyDataBlob = %X %v", got, err)
	}
	// Header-only parse tolerates an encrypted body of another length.
	enc := append(append([]byte{}, b[:12]...), make([]byte, 256)...)
	if cb, rest, err := ParseKeyDataBlobHeader(enc); err != nil || cb != 16 || len(rest) != 256 {
		t.Errorf("ParseKeyDataBlobHeader = %d %d %v", cb, len(rest), err)
	}
	if _, err := ParseKeyDataBlob(enc); err == nil {
		t.Error("length mismatch accepted")
	}
	badMagic := append([]byte{}, b...)
	badMagic[0] = 'X'
	badVersion := append([]byte{}, b...)
	badVersion[4] = 2
	for _, bad := range [][]byte{nil, b[:11], badMagic, badVersion} {
		if _, _, err := ParseKeyDataBlobHeader(bad); err == nil {
			t.Errorf("bad key data blob %X accepted", bad)
		}
	}
}
