package packaging

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/vcard"
)

// ---------------------------------------------------------------------------
// The card table

func TestCardTable(t *testing.T) {
	if len(Cards) == 0 {
		t.Fatal("no cards")
	}
	if err := validateCards(); err != nil {
		t.Fatal(err)
	}
	m := engine.NewModule()
	for _, c := range Cards {
		// TCK: the XOR of T0..TCK is zero.
		var x byte
		for _, b := range c.ATR[1:] {
			x ^= b
		}
		if x != 0 {
			t.Errorf("%s: XOR of T0..TCK is %02X, want 00", c.Name, x)
		}
		for i, b := range c.ATRMask {
			if b != 0xFF {
				t.Errorf("%s: mask byte %d is %02X, want FF", c.Name, i, b)
			}
		}
		// The minidriver must accept every card the packages register.
		if _, ok := m.KnownATR(c.ATR); !ok {
			t.Errorf("%s: engine.KnownATR rejects ATR % X", c.Name, c.ATR)
		}
	}
	if !bytes.Equal(Cards[0].ATR, vcard.ATR()) {
		t.Errorf("virtual PIV ATR % X, vcard.ATR() % X", Cards[0].ATR, vcard.ATR())
	}
	if Cards[0].ATR[len(Cards[0].ATR)-1] != 0x3A {
		t.Errorf("virtual PIV TCK %02X, want 3A", Cards[0].ATR[len(Cards[0].ATR)-1])
	}
}

func TestCID(t *testing.T) {
	want := map[string]string{
		"cardmod virtual PIV": `SCFILTER\CID_636172646D6F642D706976`, // "cardmod-piv"
		// Seen in Device Manager for a YubiKey 5 (all 13 historical bytes).
		"YubiKey 5 (cardmod)":   `SCFILTER\CID_8073C021C057597562694B6579`,
		"YubiKey 4 (cardmod)":   `SCFILTER\CID_597562696B657934`,         // "Yubikey4"
		"YubiKey NEO (cardmod)": `SCFILTER\CID_597562696B65794E454F7233`, // "YubikeyNEOr3"
	}
	for _, c := range Cards {
		if w, ok := want[c.Name]; ok && c.CID() != w {
			t.Errorf("%s: CID %s, want %s", c.Name, c.CID(), w)
		}
	}
}

func TestParseATRRejects(t *testing.T) {
	for _, s := range []string{
		"3B",                // too short
		"3C 00",             // bad TS
		"3B 8B 80 01 63 61", // truncated historical bytes
		"3B 8B 80 01 63 61 72 64 6D 6F 64 2D 70 69 76", // T=1 without TCK
		"3B 02 11 22 33", // one byte too many
	} {
		if _, err := ParseATR(mustHex(s)); err == nil {
			t.Errorf("ParseATR(%s) accepted", s)
		}
	}
	bad := Card{Name: "x", ATR: mustHex("3B 8B 80 01 63 61 72 64 6D 6F 64 2D 70 69 76 3B"), ATRMask: allFF(16)}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "TCK") {
		t.Errorf("wrong TCK: %v", err)
	}
}

func TestOptions(t *testing.T) {
	for _, v := range []string{"", "v1", "1.2.3.4.5", "256.0.0", "1.256.0", "1.2.65536", "1..2"} {
		if err := (Options{Version: v, Date: DefaultOptions.Date}).Validate(); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
	o := Options{Version: "1.2", Date: time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC)}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := o.DriverVer(); got != "03/04/2027,1.2.0.0" {
		t.Errorf("DriverVer %q", got)
	}
}

func TestDeterministic(t *testing.T) {
	a, err := Files(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Files(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cardmod.inf", "cardmod.reg", "cardmod.wxs"} {
		if len(a[name]) == 0 || !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs (or is empty)", name)
		}
	}
	if len(a) != 3 {
		t.Errorf("%d files, want 3", len(a))
	}
}

// TestGenCommand runs `go run ./gen` (what the Makefile does) and checks it
// writes exactly what Files returns.
func TestGenCommand(t *testing.T) {
	goTool := goBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(goTool, "run", "./gen", "-out", dir, "-version", "2.3.4", "-date", "2027-01-02")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./gen: %v\n%s", err, out)
	}
	want, err := Files(Options{Version: "2.3.4", Date: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s from go run ./gen differs from Files()", name)
		}
	}
	if !bytes.Contains(want["cardmod.inf"], []byte("DriverVer=01/02/2027,2.3.4.0\r\n")) {
		t.Error("DriverVer not taken from -version/-date")
	}
	cmd = exec.Command(goTool, "run", "./gen", "-out", dir, "-version", "1.2.3.4.5")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("go run ./gen accepted a bad version:\n%s", out)
	}
}

// ---------------------------------------------------------------------------
// .reg

type regValue struct {
	typ  string // "sz" or "hex"
	str  string
	data []byte
}

// parseReg parses a REGEDIT4 file: key -> value name -> value.
func parseReg(t *testing.T, b []byte) map[string]map[string]regValue {
	t.Helper()
	text := string(b)
	if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\r") {
		t.Error(".reg has a line ending other than CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	if lines[0] != "REGEDIT4" {
		t.Fatalf(".reg starts with %q, want REGEDIT4", lines[0])
	}
	keys := map[string]map[string]regValue{}
	var cur map[string]regValue
	valueRE := regexp.MustCompile(`^"((?:[^"\\]|\\.)*)"=(.*)$`)
	unq := strings.NewReplacer(`\\`, `\`, `\"`, `"`)
	for i, l := range lines[1:] {
		switch {
		case l == "" || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			k := l[1 : len(l)-1]
			if keys[k] != nil {
				t.Errorf(".reg line %d: key %s twice", i+2, k)
			}
			cur = map[string]regValue{}
			keys[k] = cur
		default:
			m := valueRE.FindStringSubmatch(l)
			if m == nil || cur == nil {
				t.Fatalf(".reg line %d: cannot parse %q", i+2, l)
			}
			name, v := unq.Replace(m[1]), m[2]
			if _, dup := cur[name]; dup {
				t.Errorf(".reg line %d: value %q twice", i+2, name)
			}
			switch {
			case strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) && len(v) >= 2:
				cur[name] = regValue{typ: "sz", str: unq.Replace(v[1 : len(v)-1])}
			case strings.HasPrefix(v, "hex:"):
				data, err := hex.DecodeString(strings.ReplaceAll(v[4:], ",", ""))
				if err != nil {
					t.Fatalf(".reg line %d: %v", i+2, err)
				}
				cur[name] = regValue{typ: "hex", data: data}
			default:
				t.Fatalf(".reg line %d: unknown value form %q", i+2, v)
			}
		}
	}
	return keys
}

func TestReg(t *testing.T) {
	files, err := Files(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	reg := files["cardmod.reg"]
	checkASCII(t, "cardmod.reg", reg)
	keys := parseReg(t, reg)
	if len(keys) != 2*len(Cards) {
		t.Errorf(".reg has %d keys, want %d", len(keys), 2*len(Cards))
	}
	for _, root := range []string{SmartCardsKey, SmartCardsKeyWOW64} {
		for _, c := range Cards {
			k := `HKEY_LOCAL_MACHINE\` + root + `\` + c.Name
			vals := keys[k]
			if vals == nil {
				t.Errorf("no key %s", k)
				continue
			}
			if len(vals) != 5 {
				t.Errorf("%s: %d values, want 5", k, len(vals))
			}
			wantSZ := map[string]string{ValueModule: DLLName, ValueCSP: CryptoProvider, ValueKSP: KeyStorageProvider}
			for name, w := range wantSZ {
				if v := vals[name]; v.typ != "sz" || v.str != w {
					t.Errorf("%s: %q = %+v, want REG_SZ %q", k, name, v, w)
				}
			}
			if v := vals[ValueATR]; v.typ != "hex" || !bytes.Equal(v.data, c.ATR) {
				t.Errorf("%s: ATR = %+v, want hex % X", k, v, c.ATR)
			}
			if v := vals[ValueATRMask]; v.typ != "hex" || !bytes.Equal(v.data, c.ATRMask) {
				t.Errorf("%s: ATRMask = %+v, want hex % X", k, v, c.ATRMask)
			}
		}
	}
	// The management key policy is there to set, commented out (its default applies).
	for _, l := range []string{`; [HKEY_LOCAL_MACHINE\` + SettingsKey + `]`, `; "` + ValueMgmKeyPolicy + `"="` + DefaultMgmKeyPolicy + `"`} {
		if !bytes.Contains(reg, []byte(l+"\r\n")) {
			t.Errorf(".reg lacks the line %q", l)
		}
	}
}

// ---------------------------------------------------------------------------
// INF

type infLine struct {
	n          int
	key, value string // key empty for a line without "="
	raw        string
}

type infFile struct {
	order    []string
	sections map[string][]infLine // lower-cased name
	strings  map[string]string    // lower-cased key
}

func checkASCII(t *testing.T, name string, b []byte) {
	t.Helper()
	for i, c := range b {
		if c > 0x7E || (c < 0x20 && c != '\r' && c != '\n' && c != '\t') {
			t.Errorf("%s: byte %d is %#x: not plain ASCII", name, i, c)
			return
		}
	}
}

// stripComment removes a ";" comment outside double quotes.
func stripComment(s string) string {
	in := false
	for i, r := range s {
		switch {
		case r == '"':
			in = !in
		case r == ';' && !in:
			return s[:i]
		}
	}
	return s
}

func parseINF(t *testing.T, b []byte) *infFile {
	t.Helper()
	text := string(b)
	if !strings.HasSuffix(text, "\r\n") {
		t.Error("INF does not end with CRLF")
	}
	if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\r") {
		t.Error("INF has a line ending other than CRLF")
	}
	f := &infFile{sections: map[string][]infLine{}, strings: map[string]string{}}
	cur := ""
	for i, raw := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		l := strings.TrimSpace(stripComment(raw))
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "[") {
			if !strings.HasSuffix(l, "]") {
				t.Fatalf("INF line %d: bad section header %q", i+1, raw)
			}
			cur = strings.ToLower(l[1 : len(l)-1])
			if _, dup := f.sections[cur]; dup {
				t.Errorf("INF line %d: section [%s] twice", i+1, l)
			}
			f.sections[cur] = []infLine{}
			f.order = append(f.order, cur)
			continue
		}
		if cur == "" {
			t.Fatalf("INF line %d: %q outside any section", i+1, raw)
		}
		il := infLine{n: i + 1, raw: l}
		if k, v, ok := strings.Cut(l, "="); ok {
			il.key, il.value = strings.TrimSpace(k), strings.TrimSpace(v)
		}
		f.sections[cur] = append(f.sections[cur], il)
	}
	for _, l := range f.sections["strings"] {
		v := l.value
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		f.strings[strings.ToLower(l.key)] = v
	}
	return f
}

var strTokenRE = regexp.MustCompile(`%([^%]*)%`)

// expand replaces %strkey% tokens (%% is a literal percent).
func (f *infFile) expand(t *testing.T, s string) string {
	t.Helper()
	return strTokenRE.ReplaceAllStringFunc(s, func(m string) string {
		k := m[1 : len(m)-1]
		if k == "" {
			return "%"
		}
		v, ok := f.strings[strings.ToLower(k)]
		if !ok {
			t.Errorf("INF: %%%s%% is not defined in [Strings]", k)
		}
		return v
	})
}

func (f *infFile) values(section, key string) []string {
	var out []string
	for _, l := range f.sections[strings.ToLower(section)] {
		if strings.EqualFold(l.key, key) {
			for _, v := range strings.Split(l.value, ",") {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}

func (f *infFile) has(section string) bool {
	_, ok := f.sections[strings.ToLower(section)]
	return ok
}

// regEntry is an AddReg line resolved: key path, value name, flags, data.
type regEntry struct{ key, name, flags, data string }

func TestINF(t *testing.T) {
	files, err := Files(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	inf := files["cardmod.inf"]
	checkASCII(t, "cardmod.inf", inf)
	f := parseINF(t, inf)

	// No duplicate keys in key=value sections. (File-list and registry
	// sections have no keys; CopyFiles/AddReg are comma lists, never repeated.)
	for name, lines := range f.sections {
		seen := map[string]int{}
		for _, l := range lines {
			if l.key == "" {
				continue
			}
			k := strings.ToLower(l.key)
			if prev, dup := seen[k]; dup {
				t.Errorf("[%s]: key %q on lines %d and %d", name, l.key, prev, l.n)
			}
			seen[k] = l.n
		}
	}

	// [Version]
	want := map[string]string{
		"Signature": `"$Windows NT$"`, "Class": "SmartCard", "ClassGuid": SmartCardClassGUID,
		"Provider": "%ProviderName%", "CatalogFile": "cardmod.cat", "DriverVer": DefaultOptions.DriverVer(),
	}
	for k, w := range want {
		if v := f.values("Version", k); len(v) == 0 || strings.Join(v, ",") != w {
			t.Errorf("[Version] %s = %q, want %q", k, strings.Join(v, ","), w)
		}
	}

	// Manufacturer -> models sections -> install sections -> their .Services.
	man := f.sections["manufacturer"]
	if len(man) != 1 {
		t.Fatalf("[Manufacturer] has %d lines, want 1", len(man))
	}
	decs := strings.Split(man[0].value, ",")
	models := strings.TrimSpace(decs[0])
	gotDecs := map[string]bool{}
	for _, d := range decs[1:] {
		gotDecs[strings.ToLower(strings.TrimSpace(d))] = true
	}
	if !gotDecs["ntamd64"] || !gotDecs["ntx86"] {
		t.Errorf("[Manufacturer] decorations %v, want NTamd64 and NTx86", decs[1:])
	}
	installOf := map[string]string{"ntamd64": "", "ntx86": ""}
	for d := range gotDecs {
		sect := models + "." + d
		if !f.has(sect) {
			t.Errorf("models section [%s] missing", sect)
			continue
		}
		ids := map[string]bool{}
		for _, l := range f.sections[strings.ToLower(sect)] {
			parts := strings.Split(l.value, ",")
			if len(parts) < 2 {
				t.Errorf("[%s] line %d: no hardware id", sect, l.n)
				continue
			}
			install := strings.TrimSpace(parts[0])
			installOf[d] = install
			ids[strings.TrimSpace(parts[1])] = true
			f.expand(t, l.key)
			if !f.has(install+".NT") && !f.has(install) {
				t.Errorf("[%s]: install section %s(.NT) missing", sect, install)
			}
			svc := f.values(install+".NT.Services", "AddService")
			if strings.Join(svc, ",") != ",2" {
				t.Errorf("[%s.NT.Services] AddService = %q, want \",2\" (null driver)", install, strings.Join(svc, ","))
			}
		}
		for _, c := range Cards {
			if !ids[c.CID()] {
				t.Errorf("[%s] lacks %s for %s", sect, c.CID(), c.Name)
			}
		}
		if len(ids) != len(Cards) {
			t.Errorf("[%s] has %d hardware ids, want %d", sect, len(ids), len(Cards))
		}
	}

	// Install sections: every referenced section exists; what each copies and registers.
	copyLists := map[string]bool{}
	checkInstall := func(sect string, wantCopy, wantReg []string) {
		t.Helper()
		if !f.has(sect) {
			t.Errorf("section [%s] missing", sect)
			return
		}
		for _, dir := range []struct {
			key  string
			want []string
		}{{"CopyFiles", wantCopy}, {"AddReg", wantReg}} {
			got := f.values(sect, dir.key)
			if strings.Join(got, ",") != strings.Join(dir.want, ",") {
				t.Errorf("[%s] %s = %v, want %v", sect, dir.key, got, dir.want)
			}
			for _, s := range got {
				if !f.has(s) {
					t.Errorf("[%s] %s references missing [%s]", sect, dir.key, s)
				}
				if dir.key == "CopyFiles" {
					copyLists[strings.ToLower(s)] = true
				}
			}
		}
	}
	x64Copy, x64Reg := []string{"amd64_CopyFiles", "wow64_CopyFiles"}, []string{"AddReg_Native", "AddReg_WOW64"}
	x86Copy, x86Reg := []string{"x86_CopyFiles"}, []string{"AddReg_Native"}
	checkInstall(installOf["ntamd64"]+".NT", x64Copy, x64Reg)
	checkInstall(installOf["ntx86"]+".NT", x86Copy, x86Reg)
	checkInstall("DefaultInstall.NTamd64", x64Copy, x64Reg)
	checkInstall("DefaultInstall.NTx86", x86Copy, x86Reg)
	if !f.has("DefaultInstall") {
		t.Error("[DefaultInstall] missing (mandatory for minidriver INFs)")
	}
	for _, sect := range []string{"DefaultUninstall.NTamd64", "DefaultUninstall.NTx86"} {
		for _, key := range []string{"DelFiles", "DelReg"} {
			for _, s := range f.values(sect, key) {
				if !f.has(s) {
					t.Errorf("[%s] %s references missing [%s]", sect, key, s)
				}
			}
		}
	}

	// File lists: destination cardmod.dll, the right source, a destination
	// directory, a source disk.
	wantDirs := map[string]string{"amd64_copyfiles": "10,System32", "wow64_copyfiles": "10,SysWOW64", "x86_copyfiles": "10,System32"}
	wantSrc := map[string]string{"amd64_copyfiles": DLL64, "wow64_copyfiles": DLL32, "x86_copyfiles": DLL32}
	disks := map[string]bool{}
	for _, l := range f.sections["sourcedisksnames"] {
		disks[l.key] = true
	}
	srcFiles := map[string]string{}
	for _, l := range f.sections["sourcedisksfiles"] {
		srcFiles[strings.ToLower(l.key)] = l.value
		if !disks[strings.Split(l.value, ",")[0]] {
			t.Errorf("[SourceDisksFiles] %s on disk %s, not in [SourceDisksNames]", l.key, l.value)
		}
	}
	for list := range copyLists {
		if got := strings.Join(f.values("DestinationDirs", list), ","); got != wantDirs[list] {
			t.Errorf("[DestinationDirs] %s = %q, want %q", list, got, wantDirs[list])
		}
		lines := f.sections[list]
		if len(lines) != 1 {
			t.Errorf("[%s] has %d lines, want 1", list, len(lines))
			continue
		}
		parts := strings.Split(lines[0].raw, ",")
		if len(parts) < 2 || parts[0] != DLLName || parts[1] != wantSrc[list] {
			t.Errorf("[%s] = %q, want %s,%s", list, lines[0].raw, DLLName, wantSrc[list])
			continue
		}
		if _, ok := srcFiles[strings.ToLower(parts[1])]; !ok {
			t.Errorf("[%s]: %s not in [SourceDisksFiles]", list, parts[1])
		}
	}

	// AddReg: each card's five values in both views, resolved through [Strings].
	for _, view := range []struct{ sect, root string }{{"AddReg_Native", SmartCardsKey}, {"AddReg_WOW64", SmartCardsKeyWOW64}} {
		entries := map[string]regEntry{}
		for _, l := range f.sections[strings.ToLower(view.sect)] {
			parts := strings.SplitN(l.raw, ",", 5)
			if len(parts) != 5 || parts[0] != "HKLM" {
				t.Errorf("[%s] line %d: %q", view.sect, l.n, l.raw)
				continue
			}
			e := regEntry{key: f.expand(t, parts[1]), name: strings.Trim(parts[2], `"`), flags: parts[3], data: f.expand(t, parts[4])}
			id := e.key + "|" + e.name
			if _, dup := entries[id]; dup {
				t.Errorf("[%s]: %s written twice", view.sect, id)
			}
			entries[id] = e
		}
		if len(entries) != 5*len(Cards) {
			t.Errorf("[%s] has %d values, want %d", view.sect, len(entries), 5*len(Cards))
		}
		for _, c := range Cards {
			key := view.root + `\` + c.Name
			check := func(name, flags, data string) {
				e, ok := entries[key+"|"+name]
				if !ok {
					t.Errorf("[%s]: no %s\\%s", view.sect, key, name)
					return
				}
				if e.flags != flags || !strings.EqualFold(e.data, data) {
					t.Errorf("[%s] %s\\%s = %s,%s want %s,%s", view.sect, key, name, e.flags, e.data, flags, data)
				}
			}
			check(ValueModule, "0x00000000", DLLName)
			check(ValueATR, "0x00000001", infHex(c.ATR))
			check(ValueATRMask, "0x00000001", infHex(c.ATRMask))
			check(ValueCSP, "0x00000000", CryptoProvider)
			check(ValueKSP, "0x00000000", KeyStorageProvider)
		}
	}

	// Every %token% anywhere resolves.
	for _, sect := range f.order {
		if sect == "strings" {
			continue
		}
		for _, l := range f.sections[sect] {
			f.expand(t, l.raw)
		}
	}
}

// ---------------------------------------------------------------------------
// MSI (wixl, msiinfo)

// repoRoot is the module root (tests run in ./packaging). The tests take the
// real DLLs from its build/ directory when they exist; set
// CARDMOD_PACKAGING_STANDINS=1 to test with stand-ins anyway.
func repoRoot(t *testing.T) string {
	t.Helper()
	if os.Getenv("CARDMOD_PACKAGING_STANDINS") == "1" {
		return t.TempDir() // no build/ there
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP: %s not installed (Debian: apt-get install %s); this part is not tested", tool, debPackage(tool))
		}
	}
}

func debPackage(tool string) string {
	switch tool {
	case "msiinfo", "msibuild":
		return "msitools"
	}
	return tool
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// buildMSI writes cardmod.wxs and the two DLLs (the real ones from build/ when
// both exist, else stand-ins of distinct sizes) into a temporary directory
// and runs wixl. version "" leaves VERSION to the .wxs default.
func buildMSI(t *testing.T, version string) (msi string, dll64, dll32 []byte) {
	t.Helper()
	need(t, "wixl")
	files, err := Files(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	real64, err64 := os.ReadFile(filepath.Join(repoRoot(t), "build", DLL64))
	real32, err32 := os.ReadFile(filepath.Join(repoRoot(t), "build", DLL32))
	if err64 == nil && err32 == nil {
		t.Logf("using the real build/%s and build/%s", DLL64, DLL32)
		dll64, dll32 = real64, real32
	} else {
		t.Logf("build/%s or build/%s missing: using stand-in DLL files", DLL64, DLL32)
		dll64 = bytes.Repeat([]byte("cardmod x64 stand-in\n"), 300)
		dll32 = bytes.Repeat([]byte("cardmod x86 stand-in\n"), 200)
	}
	for name, data := range map[string][]byte{
		"cardmod.wxs":                 files["cardmod.wxs"],
		filepath.Join("build", DLL64): dll64,
		filepath.Join("build", DLL32): dll32,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// wixl 0.101 takes File/@Source relative to the working directory only.
	args := []string{"-a", "x64", "-D", "BUILDDIR=build", "-o", "cardmod.msi", "cardmod.wxs"}
	if version != "" {
		args = append([]string{"-D", "VERSION=" + version}, args...)
	}
	run(t, dir, "wixl", args...)
	return filepath.Join(dir, "cardmod.msi"), dll64, dll32
}

// msiTable exports a table with msiinfo: rows of columns (the three header
// lines dropped), and checks the column names.
func msiTable(t *testing.T, msi, table string, columns ...string) [][]string {
	t.Helper()
	out := run(t, filepath.Dir(msi), "msiinfo", "export", msi, table)
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(out, "\r\n", "\n"), "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("msiinfo export %s: %q", table, out)
	}
	if got := strings.Split(lines[0], "\t"); strings.Join(got, ",") != strings.Join(columns, ",") {
		t.Fatalf("table %s columns %v, want %v", table, got, columns)
	}
	var rows [][]string
	for _, l := range lines[3:] {
		rows = append(rows, strings.Split(l, "\t"))
	}
	return rows
}

func TestMSI(t *testing.T) {
	need(t, "wixl", "msiinfo")
	msi, dll64, dll32 := buildMSI(t, "1.2.3")

	tables := run(t, filepath.Dir(msi), "msiinfo", "tables", msi)
	for _, tbl := range []string{"File", "Component", "Directory", "Registry", "Feature", "FeatureComponents", "Upgrade", "Property", "Media"} {
		if !regexp.MustCompile(`(?m)^` + tbl + `$`).MatchString(tables) {
			t.Errorf("no %s table", tbl)
		}
	}

	suminfo := run(t, filepath.Dir(msi), "msiinfo", "suminfo", msi)
	if !strings.Contains(suminfo, "Template: x64;1033") {
		t.Errorf("summary Template is not x64;1033:\n%s", suminfo)
	}

	// Files: one per component, both installed as cardmod.dll.
	fileRows := msiTable(t, msi, "File", "File", "Component_", "FileName", "FileSize", "Version", "Language", "Attributes", "Sequence")
	wantFiles := map[string][2]string{
		DLL64: {"Minidriver64", fmt.Sprint(len(dll64))},
		DLL32: {"Minidriver32", fmt.Sprint(len(dll32))},
	}
	if len(fileRows) != len(wantFiles) {
		t.Errorf("File table has %d rows, want %d", len(fileRows), len(wantFiles))
	}
	for _, r := range fileRows {
		w, ok := wantFiles[r[0]]
		if !ok {
			t.Errorf("unexpected file %v", r)
			continue
		}
		if r[1] != w[0] || r[2] != DLLName || r[3] != w[1] {
			t.Errorf("file %s: component %s name %s size %s, want %s %s %s", r[0], r[1], r[2], r[3], w[0], DLLName, w[1])
		}
	}

	// Components: x64 in System64Folder and 64-bit (attribute 256); x86 in SystemFolder and 32-bit.
	compRows := msiTable(t, msi, "Component", "Component", "ComponentId", "Directory_", "Attributes", "Condition", "KeyPath")
	comps := map[string][]string{}
	for _, r := range compRows {
		comps[r[0]] = r
	}
	check := []struct {
		id, guid, dir, key string
		win64              bool
	}{
		{"Minidriver64", Component64GUID, "System64Folder", DLL64, true},
		{"Minidriver32", Component32GUID, "SystemFolder", DLL32, false},
	}
	if len(comps) != len(check) {
		t.Errorf("Component table has %d rows, want %d", len(comps), len(check))
	}
	for _, c := range check {
		r := comps[c.id]
		if r == nil {
			t.Errorf("no component %s", c.id)
			continue
		}
		var attr int
		fmt.Sscan(r[3], &attr)
		if r[1] != c.guid || r[2] != c.dir || r[5] != c.key || (attr&256 != 0) != c.win64 {
			t.Errorf("component %v, want guid %s dir %s keypath %s win64 %v", r, c.guid, c.dir, c.key, c.win64)
		}
	}

	dirRows := msiTable(t, msi, "Directory", "Directory", "Directory_Parent", "DefaultDir")
	dirs := map[string]string{}
	for _, r := range dirRows {
		dirs[r[0]] = r[1]
	}
	if dirs["System64Folder"] != "TARGETDIR" || dirs["SystemFolder"] != "TARGETDIR" {
		t.Errorf("directories %v", dirs)
	}

	fc := msiTable(t, msi, "FeatureComponents", "Feature_", "Component_")
	if len(fc) != 2 {
		t.Errorf("FeatureComponents %v", fc)
	}

	// Registry: each component writes every card's five values (the 32-bit
	// component's land in WOW6432Node). Binary values need the "#x" marker.
	regRows := msiTable(t, msi, "Registry", "Registry", "Root", "Key", "Name", "Value", "Component_")
	type rk struct{ comp, key, name string }
	reg := map[rk]string{}
	for _, r := range regRows {
		if r[1] != "2" {
			t.Errorf("registry row %v not under HKLM (2)", r)
		}
		id := rk{r[5], r[2], r[3]}
		if _, dup := reg[id]; dup {
			t.Errorf("registry value %v twice", id)
		}
		reg[id] = r[4]
	}
	if len(reg) != 2*5*len(Cards) {
		t.Errorf("Registry table has %d values, want %d", len(reg), 2*5*len(Cards))
	}
	for _, comp := range []string{"Minidriver64", "Minidriver32"} {
		for _, c := range Cards {
			key := SmartCardsKey + `\` + c.Name
			want := map[string]string{
				ValueModule:  DLLName,
				ValueATR:     "#x" + strings.ToUpper(hex.EncodeToString(c.ATR)),
				ValueATRMask: "#x" + strings.ToUpper(hex.EncodeToString(c.ATRMask)),
				ValueCSP:     CryptoProvider,
				ValueKSP:     KeyStorageProvider,
			}
			for name, w := range want {
				got, ok := reg[rk{comp, key, name}]
				if !ok {
					t.Errorf("%s: no registry value %s\\%s", comp, key, name)
				} else if got != w {
					t.Errorf("%s: %s\\%s = %q, want %q", comp, key, name, got, w)
				}
			}
		}
	}

	// Properties and MajorUpgrade.
	props := map[string]string{}
	for _, r := range msiTable(t, msi, "Property", "Property", "Value") {
		props[r[0]] = r[1]
	}
	for k, w := range map[string]string{"ProductVersion": "1.2.3", "UpgradeCode": UpgradeCode, "ALLUSERS": "1", "ProductName": ProductName, "Manufacturer": Manufacturer} {
		if props[k] != w {
			t.Errorf("property %s = %q, want %q", k, props[k], w)
		}
	}
	upRows := msiTable(t, msi, "Upgrade", "UpgradeCode", "VersionMin", "VersionMax", "Language", "Attributes", "Remove", "ActionProperty")
	var upgrade, downgrade bool
	for _, r := range upRows {
		if r[0] != UpgradeCode {
			t.Errorf("upgrade row with code %s", r[0])
		}
		upgrade = upgrade || (r[6] == "WIX_UPGRADE_DETECTED" && r[2] == "1.2.3")
		downgrade = downgrade || (r[6] == "WIX_DOWNGRADE_DETECTED" && r[1] == "1.2.3")
	}
	if !upgrade || !downgrade {
		t.Errorf("Upgrade table lacks the MajorUpgrade rows: %v", upRows)
	}
	seq := run(t, filepath.Dir(msi), "msiinfo", "export", msi, "InstallExecuteSequence")
	for _, action := range []string{"FindRelatedProducts", "RemoveExistingProducts", "InstallFiles", "WriteRegistryValues"} {
		if !strings.Contains(seq, action+"\t") {
			t.Errorf("InstallExecuteSequence lacks %s", action)
		}
	}

	// The cabinet: each File Id carries the bytes of its source DLL.
	cab := []byte(run(t, filepath.Dir(msi), "msiinfo", "extract", msi, "cardmod.cab"))
	got, err := readCab(cab)
	if err != nil {
		t.Fatalf("cardmod.cab: %v", err)
	}
	if !bytes.Equal(got[DLL64], dll64) || !bytes.Equal(got[DLL32], dll32) || len(got) != 2 {
		t.Errorf("cabinet files do not match the DLLs (have %d files)", len(got))
	}

	// Without -D VERSION the .wxs default applies.
	msi2, _, _ := buildMSI(t, "")
	props2 := map[string]string{}
	for _, r := range msiTable(t, msi2, "Property", "Property", "Value") {
		props2[r[0]] = r[1]
	}
	if props2["ProductVersion"] != DefaultOptions.Version {
		t.Errorf("default ProductVersion %q, want %q", props2["ProductVersion"], DefaultOptions.Version)
	}
}

// readCab returns the files of a single-cabinet CAB (stored or MSZIP).
func readCab(b []byte) (map[string][]byte, error) {
	le := binary.LittleEndian
	if len(b) < 36 || string(b[:4]) != "MSCF" {
		return nil, errors.New("not a cabinet")
	}
	coffFiles := le.Uint32(b[16:])
	nFolders, nFiles, flags := int(le.Uint16(b[26:])), int(le.Uint16(b[28:])), le.Uint16(b[30:])
	if flags&3 != 0 {
		return nil, errors.New("multi-cabinet sets not supported")
	}
	off := 36
	var cbFolderRes, cbDataRes int
	if flags&4 != 0 {
		cbHeaderRes := int(le.Uint16(b[36:]))
		cbFolderRes, cbDataRes = int(b[38]), int(b[39])
		off = 40 + cbHeaderRes
	}
	folders := make([][]byte, nFolders)
	for i := range folders {
		if off+8 > len(b) {
			return nil, errors.New("truncated folder table")
		}
		start, nData, comp := int(le.Uint32(b[off:])), int(le.Uint16(b[off+4:])), le.Uint16(b[off+6:])
		off += 8 + cbFolderRes
		var out []byte
		p := start
		for j := 0; j < nData; j++ {
			if p+8+cbDataRes > len(b) {
				return nil, errors.New("truncated data block")
			}
			cb, cbUn := int(le.Uint16(b[p+4:])), int(le.Uint16(b[p+6:]))
			p += 8 + cbDataRes
			if p+cb > len(b) {
				return nil, errors.New("truncated data block")
			}
			data := b[p : p+cb]
			p += cb
			switch comp & 0x0F {
			case 0:
				out = append(out, data...)
			case 1: // MSZIP: "CK" + deflate, the previous 32 KiB as dictionary
				if len(data) < 2 || string(data[:2]) != "CK" {
					return nil, errors.New("bad MSZIP block")
				}
				dict := out
				if len(dict) > 32768 {
					dict = dict[len(dict)-32768:]
				}
				blk, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(data[2:]), dict))
				if err != nil {
					return nil, err
				}
				if len(blk) != cbUn {
					return nil, fmt.Errorf("MSZIP block gave %d bytes, want %d", len(blk), cbUn)
				}
				out = append(out, blk...)
			default:
				return nil, fmt.Errorf("compression %d not supported", comp)
			}
		}
		folders[i] = out
	}
	files := map[string][]byte{}
	p := int(coffFiles)
	for i := 0; i < nFiles; i++ {
		if p+16 > len(b) {
			return nil, errors.New("truncated file table")
		}
		size, uoff, folder := int(le.Uint32(b[p:])), int(le.Uint32(b[p+4:])), int(le.Uint16(b[p+8:]))
		end := bytes.IndexByte(b[p+16:], 0)
		if end < 0 {
			return nil, errors.New("unterminated file name")
		}
		name := string(b[p+16 : p+16+end])
		p += 16 + end + 1
		if folder >= len(folders) || uoff+size > len(folders[folder]) {
			return nil, fmt.Errorf("file %s outside its folder", name)
		}
		files[name] = folders[folder][uoff : uoff+size]
	}
	return files, nil
}

// ---------------------------------------------------------------------------
// Signing (sign.sh, osslsigncode)

func goBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skip("SKIP: no go command on PATH")
	}
	return p
}

// peFile returns a Windows PE file to sign: build/cardmod64.dll when present,
// else a tiny Go program cross-compiled for windows/amd64.
func peFile(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(dir, "signme.exe")
	if real, err := os.ReadFile(filepath.Join(repoRoot(t), "build", DLL64)); err == nil {
		t.Logf("signing a copy of build/%s", DLL64)
		dst = filepath.Join(dir, DLL64)
		if err := os.WriteFile(dst, real, 0o644); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	t.Logf("build/%s missing: signing a tiny cross-compiled Go program", DLL64)
	src := filepath.Join(dir, "tiny")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module tiny\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	cmd := exec.Command(goBinary(t), "build", "-trimpath", "-ldflags=-s -w", "-o", dst, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cross-compiling a Windows program: %v\n%s", err, out)
	}
	return dst
}

func signScript(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	return filepath.Join(wd, "sign.sh")
}

// verify runs osslsigncode verify and reports whether it succeeded.
func verify(t *testing.T, ca, file string) (bool, string) {
	t.Helper()
	cmd := exec.Command("osslsigncode", "verify", "-CAfile", ca, "-in", file)
	out, err := cmd.CombinedOutput()
	ok := err == nil && strings.Contains(string(out), "Signature verification: ok") &&
		strings.Contains(string(out), "Succeeded")
	if err == nil && !ok {
		t.Errorf("osslsigncode verify exited 0 without reporting a verified signature:\n%s", out)
	}
	return ok, string(out)
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSign(t *testing.T) {
	need(t, "osslsigncode", "openssl")
	dir := t.TempDir()
	script := signScript(t)

	// A throwaway code-signing certificate.
	certDir := filepath.Join(dir, "cert")
	run(t, dir, "bash", script, "--self-signed", certDir)
	cert, key := filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")
	certPEM, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	if blk == nil {
		t.Fatal("cert.pem: no PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageCodeSigning {
		t.Errorf("certificate EKU %v, want codeSigning only", c.ExtKeyUsage)
	}

	targets := []string{peFile(t, dir)}
	if _, err := exec.LookPath("wixl"); err == nil {
		msi, _, _ := buildMSI(t, "1.2.3")
		dst := filepath.Join(dir, "cardmod.msi")
		copyFile(t, msi, dst)
		targets = append(targets, dst)
	} else {
		t.Log("SKIP (MSI signing): wixl not installed; only the PE file is signed")
	}

	for _, f := range targets {
		if ok, _ := verify(t, cert, f); ok {
			t.Fatalf("%s verifies before signing", f)
		}
	}
	out := run(t, dir, "bash", append([]string{script, cert, key}, targets...)...)
	for _, f := range targets {
		if !strings.Contains(out, "signed "+f) {
			t.Errorf("sign.sh did not report %s:\n%s", f, out)
		}
	}

	for _, f := range targets {
		name := filepath.Base(f)
		ok, vout := verify(t, cert, f)
		if !ok {
			t.Errorf("%s: signature does not verify:\n%s", name, vout)
			continue
		}
		for _, want := range []string{"Message digest algorithm  : SHA256", "Text description: cardmod", "URL description: https://github.com/cardmod/cardmod", "Number of verified signatures: 1"} {
			if !strings.Contains(strings.Join(strings.Fields(vout), " "), strings.Join(strings.Fields(want), " ")) {
				t.Errorf("%s: verify output lacks %q:\n%s", name, want, vout)
			}
		}
		t.Logf("%s: osslsigncode verify: Signature verification: ok", name)

		// Re-signing replaces the signature rather than failing or nesting.
		run(t, dir, "bash", script, cert, key, f)
		if ok, vout := verify(t, cert, f); !ok || !strings.Contains(vout, "Number of verified signatures: 1") {
			t.Errorf("%s: after re-signing:\n%s", name, vout)
		}

		// Tampered copy: must fail.
		tampered := filepath.Join(dir, "tampered-"+name)
		copyFile(t, f, tampered)
		tamper(t, tampered)
		if ok, vout := verify(t, cert, tampered); ok {
			t.Errorf("%s: tampered copy still verifies:\n%s", name, vout)
		} else if !strings.Contains(vout, "MISMATCH") && !strings.Contains(vout, "Failed") {
			t.Errorf("%s: tampered copy failed without a digest mismatch:\n%s", name, vout)
		}
	}

	// Another certificate is not a trust anchor for these signatures.
	other := filepath.Join(dir, "other")
	run(t, dir, "bash", script, "--self-signed", other)
	if ok, _ := verify(t, filepath.Join(other, "cert.pem"), targets[0]); ok {
		t.Error("signature verifies against an unrelated certificate")
	}
}

// tamper changes a signed file's content: for an MSI a property in its
// database (msibuild keeps the signature stream), else one byte in the
// middle of the file (inside the PE image, which the Authenticode hash covers).
func tamper(t *testing.T, f string) {
	t.Helper()
	if strings.HasSuffix(f, ".msi") {
		if _, err := exec.LookPath("msibuild"); err == nil {
			run(t, filepath.Dir(f), "msibuild", f, "-q", "UPDATE `Property` SET `Value` = 'tampered' WHERE `Property` = 'ProductName'")
			return
		}
	}
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
