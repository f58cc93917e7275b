// Package layout holds the ABI checks of the minidriver C header
// (../include/cardmod.h). It has no non-test code: layout_test.go compiles
// layout_check.c (compile-time sizeof/offsetof assertions) with every
// available C compiler, runs a generated native program that prints the
// real layout, and checks the header's CARD_DATA field list against the
// reference table.
//
// The numbers in the tables below are those of the project reference
// (shared/spec/minidriver-spec.md, sections 1.2, 2 and 3), not values
// computed from the header.
package layout

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// field is one structure member: name, C type (CARD_DATA only), offsets.
type field struct {
	Name string
	Type string
	X64  int
	X86  int
}

// layout is one structure: name, sizes, fields in declaration order.
type layout struct {
	Name   string
	X64    int
	X86    int
	Fields []field
}

// stringConst is a string macro of the header and its expected value.
type stringConst struct {
	Name  string
	Value string
}

const (
	includeDir = "../include"
	headerPath = "../include/cardmod.h"
	checkFile  = "layout_check.c"
)

// baseFlags are the flags every syntax-only compilation of layout_check.c uses.
var baseFlags = []string{"-std=c11", "-fsyntax-only", "-Wall", "-Werror", "-I" + includeDir}

// lookTool returns the path of a compiler or skips the test, naming the
// Debian package that provides it.
func lookTool(t *testing.T, name, debPkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not found in PATH: install the Debian package %s", name, debPkg)
	}
	return p
}

// compile runs cc with args and fails the test with the compiler output.
func compile(t *testing.T, cc string, args ...string) {
	t.Helper()
	cmd := exec.Command(cc, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	if len(bytes.TrimSpace(out)) != 0 {
		t.Logf("%s output:\n%s", cc, out)
	}
}

// compileCheck compiles layout_check.c syntax-only with the base flags
// plus extra ones.
func compileCheck(t *testing.T, cc string, extra ...string) {
	t.Helper()
	args := append(append([]string{}, baseFlags...), extra...)
	compile(t, cc, append(args, checkFile)...)
}

// (a) native gcc (x86-64 Linux here: LP64, layout as Windows x64 for these
// structures).
func TestLayoutCheckNativeGCC(t *testing.T) {
	cc := lookTool(t, "gcc", "gcc")
	compileCheck(t, cc)
	t.Run("pedantic", func(t *testing.T) { compileCheck(t, cc, "-Wextra", "-pedantic") })
}

// mingwVariants compile layout_check.c with system headers before cardmod.h
// (the default), after it, and with WIN32_LEAN_AND_MEAN, so the header is
// shown to coexist with windows.h, wincrypt.h, bcrypt.h, ncrypt.h and
// winscard.h in any order.
var mingwVariants = []struct {
	name  string
	flags []string
}{
	{"windows.h-first", nil},
	{"cardmod.h-first", []string{"-DLAYOUT_CHECK_CARDMOD_FIRST"}},
	{"lean-and-mean", []string{"-DWIN32_LEAN_AND_MEAN"}},
	{"dll-build", []string{"-DCARDMOD_BUILD_DLL", "-Wextra"}},
}

func testMingw(t *testing.T, cc, debPkg string) {
	path := lookTool(t, cc, debPkg)
	for _, v := range mingwVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			compileCheck(t, path, v.flags...)
		})
	}
}

// (b) Windows x64.
func TestLayoutCheckMingwX64(t *testing.T) {
	testMingw(t, "x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64")
}

// (c) Windows x86 (also checks the __stdcall type of CardAcquireContext).
func TestLayoutCheckMingwX86(t *testing.T) {
	testMingw(t, "i686-w64-mingw32-gcc", "gcc-mingw-w64-i686")
}

// probe compiles a C snippet with cc and flags; it reports whether that works.
func probe(cc string, src string, flags ...string) error {
	args := append(append([]string{}, flags...), "-x", "c", "-")
	cmd := exec.Command(cc, args...)
	cmd.Stdin = strings.NewReader(src)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

const probeSrc = "#include <stdint.h>\n#include <stddef.h>\nint x;\n"

// (d) gcc -m32 (i386 Linux, ILP32: layout as Windows x86 for these
// structures). With a 32-bit multilib (Debian gcc-multilib) the normal
// headers are used. Without it, only glibc's 32-bit headers are missing:
// cardmod.h needs nothing but <stdint.h> and <stddef.h>, which GCC itself
// provides under -ffreestanding, so the check still runs that way.
func TestLayoutCheckGCCm32(t *testing.T) {
	cc := lookTool(t, "gcc", "gcc")
	if err := probe(cc, probeSrc, "-m32", "-std=c11", "-fsyntax-only"); err == nil {
		compileCheck(t, cc, "-m32")
		return
	}
	if err := probe(cc, probeSrc, "-m32", "-ffreestanding", "-std=c11", "-fsyntax-only"); err != nil {
		t.Skipf("gcc -m32 cannot compile even freestanding code (%v): install the Debian package gcc-multilib", err)
	}
	t.Log("no 32-bit multilib (Debian gcc-multilib); checking with gcc -m32 -ffreestanding (GCC's own stdint.h/stddef.h)")
	compileCheck(t, cc, "-m32", "-ffreestanding")
}

// dumpProgram generates a C program that prints the real layout of every
// structure in layouts and the value of every string constant.
func dumpProgram() string {
	var b strings.Builder
	b.WriteString(`#include <stdio.h>
#include <stddef.h>
#include "cardmod.h"

static void wide(const char *name, const WCHAR *s)
{
    printf("W %s ", name);
    for (; *s; s++)
        printf("%04x", (unsigned)*s);
    printf("\n");
}

int main(void)
{
    printf("P %u\n", (unsigned)sizeof(void *));
`)
	for _, l := range layouts {
		fmt.Fprintf(&b, "    printf(\"S %s %%u\\n\", (unsigned)sizeof(%s));\n", l.Name, l.Name)
		for _, f := range l.Fields {
			fmt.Fprintf(&b, "    printf(\"F %s.%s %%u\\n\", (unsigned)offsetof(%s, %s));\n", l.Name, f.Name, l.Name, f.Name)
		}
	}
	for _, s := range ansiStrings {
		fmt.Fprintf(&b, "    printf(\"A %s %%s\\n\", %s);\n", s.Name, s.Name)
	}
	for _, s := range wideStrings {
		fmt.Fprintf(&b, "    wide(%q, %s);\n", s.Name, s.Name)
	}
	b.WriteString("    return 0;\n}\n")
	return b.String()
}

// dump is the parsed output of the dump program.
type dump struct {
	ptrSize int
	sizes   map[string]int // struct -> sizeof
	offsets map[string]int // struct.field -> offsetof
	ansi    map[string]string
	wide    map[string]string
}

func parseDump(out []byte) (*dump, error) {
	d := &dump{sizes: map[string]int{}, offsets: map[string]int{}, ansi: map[string]string{}, wide: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		name, val, _ := strings.Cut(rest, " ")
		switch kind {
		case "P":
			n, err := strconv.Atoi(name)
			if err != nil {
				return nil, err
			}
			d.ptrSize = n
		case "S", "F":
			n, err := strconv.Atoi(val)
			if err != nil {
				return nil, fmt.Errorf("line %q: %v", sc.Text(), err)
			}
			if kind == "S" {
				d.sizes[name] = n
			} else {
				d.offsets[name] = n
			}
		case "A":
			d.ansi[name] = val
		case "W":
			raw, err := hex.DecodeString(val)
			if err != nil || len(raw)%2 != 0 {
				return nil, fmt.Errorf("line %q: bad UTF-16 dump", sc.Text())
			}
			var units []uint16
			for i := 0; i < len(raw); i += 2 {
				units = append(units, uint16(raw[i])<<8|uint16(raw[i+1]))
			}
			d.wide[name] = string(utf16.Decode(units))
		default:
			return nil, fmt.Errorf("unexpected line %q", sc.Text())
		}
	}
	return d, sc.Err()
}

// runDump builds the dump program with cc and extra flags, runs it and
// parses its output. errNoBuild reports that the program could not be
// linked (for a missing multilib).
var errNoBuild = errors.New("cannot build")

func runDump(t *testing.T, cc string, extra ...string) (*dump, error) {
	t.Helper()
	inc, err := filepath.Abs(includeDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "dump.c")
	exe := filepath.Join(dir, "dump")
	if err := os.WriteFile(src, []byte(dumpProgram()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-std=c11", "-Wall", "-Werror", "-I" + inc}, extra...)
	args = append(args, "-o", exe, src)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%w: %s %s: %v\n%s", errNoBuild, cc, strings.Join(args, " "), err, out)
	}
	out, err := exec.Command(exe).Output()
	if err != nil {
		t.Fatalf("running the dump program: %v", err)
	}
	return parseDump(out)
}

// compareDump checks a dump against the reference tables, naming every
// mismatching structure and field.
func compareDump(t *testing.T, d *dump) {
	t.Helper()
	var arch string
	x64 := d.ptrSize == 8
	switch d.ptrSize {
	case 8:
		arch = "x64"
	case 4:
		arch = "x86"
	default:
		t.Fatalf("pointer size %d: no reference layout", d.ptrSize)
	}
	pick := func(a, b int) int {
		if x64 {
			return a
		}
		return b
	}
	checked := 0
	for _, l := range layouts {
		if got, want := d.sizes[l.Name], pick(l.X64, l.X86); got != want {
			t.Errorf("%s: sizeof(%s) = %d, reference %d", arch, l.Name, got, want)
		}
		for i, f := range l.Fields {
			key := l.Name + "." + f.Name
			got, ok := d.offsets[key]
			if want := pick(f.X64, f.X86); !ok || got != want {
				t.Errorf("%s: offsetof(%s, %s) (field #%d) = %d, reference %d", arch, l.Name, f.Name, i, got, want)
			}
			checked++
		}
	}
	for _, s := range ansiStrings {
		if got := d.ansi[s.Name]; got != s.Value {
			t.Errorf("%s = %q, reference %q", s.Name, got, s.Value)
		}
	}
	for _, s := range wideStrings {
		if got := d.wide[s.Name]; got != s.Value {
			t.Errorf("%s = %q (UTF-16), reference %q", s.Name, got, s.Value)
		}
	}
	t.Logf("%s: compared %d structures, %d field offsets, %d ANSI and %d UTF-16 strings with the reference",
		arch, len(layouts), checked, len(ansiStrings), len(wideStrings))
}

// TestLayoutRuntimeNative compiles and runs a native program that prints
// sizeof/offsetof of every structure (CARD_DATA's 63 fields included) and
// every string constant, and compares the output with the reference tables.
func TestLayoutRuntimeNative(t *testing.T) {
	cc := lookTool(t, "gcc", "gcc")
	d, err := runDump(t, cc)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.offsets) != countFields() {
		t.Errorf("dump printed %d offsets, tables have %d", len(d.offsets), countFields())
	}
	compareDump(t, d)

	t.Run("m32", func(t *testing.T) {
		d, err := runDump(t, cc, "-m32")
		if errors.Is(err, errNoBuild) {
			t.Skipf("gcc -m32 cannot link a program (install the Debian package gcc-multilib): %v", firstLine(err))
		}
		if err != nil {
			t.Fatal(err)
		}
		compareDump(t, d)
	})
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func countFields() int {
	n := 0
	for _, l := range layouts {
		n += len(l.Fields)
	}
	return n
}

// stripComments removes C comments from src.
func stripComments(src string) string {
	src = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(src, " ")
	return regexp.MustCompile(`//[^\n]*`).ReplaceAllString(src, " ")
}

// TestHeaderCardDataFields parses the CARD_DATA definition in cardmod.h and
// requires exactly the 63 reference fields, in order, with the reference
// C types; and a WINAPI typedef for every PFN_* type used there.
func TestHeaderCardDataFields(t *testing.T) {
	if len(cardDataFields) != 63 {
		t.Fatalf("reference table has %d CARD_DATA fields, want 63", len(cardDataFields))
	}
	raw, err := os.ReadFile(headerPath)
	if err != nil {
		t.Fatal(err)
	}
	src := stripComments(string(raw))
	m := regexp.MustCompile(`(?s)struct\s+_CARD_DATA\s*\{(.*?)\}\s*;`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("cardmod.h: no `struct _CARD_DATA { ... };` definition found")
	}
	declRe := regexp.MustCompile(`^(\w+)\s+(\w+)$`)
	var got []field
	for _, decl := range strings.Split(m[1], ";") {
		decl = strings.Join(strings.Fields(decl), " ")
		if decl == "" {
			continue
		}
		dm := declRe.FindStringSubmatch(decl)
		if dm == nil {
			t.Errorf("CARD_DATA: cannot parse member declaration %q (want `TYPE name`)", decl)
			continue
		}
		got = append(got, field{Name: dm[2], Type: dm[1]})
	}
	for i, want := range cardDataFields {
		if i >= len(got) {
			t.Errorf("CARD_DATA field #%d %s (%s) missing from the header", i, want.Name, want.Type)
			continue
		}
		if got[i].Name != want.Name || got[i].Type != want.Type {
			t.Errorf("CARD_DATA field #%d: header has `%s %s`, reference `%s %s`", i, got[i].Type, got[i].Name, want.Type, want.Name)
		}
	}
	for i := len(cardDataFields); i < len(got); i++ {
		t.Errorf("CARD_DATA field #%d `%s %s` is not in the reference", i, got[i].Type, got[i].Name)
	}

	pfns := []string{"PFN_CARD_ACQUIRE_CONTEXT"}
	for _, f := range cardDataFields {
		if strings.HasPrefix(f.Type, "PFN_") {
			pfns = append(pfns, f.Type)
		}
	}
	for _, p := range pfns {
		re := regexp.MustCompile(`typedef\s+\w+\s*\(\s*WINAPI\s*\*\s*` + p + `\s*\)\s*\(`)
		if !re.MatchString(src) {
			t.Errorf("cardmod.h: no `typedef RET (WINAPI *%s)(...)`", p)
		}
	}
	if !regexp.MustCompile(`CARDMOD_API\s+DWORD\s+WINAPI\s+CardAcquireContext\s*\(\s*PCARD_DATA\s+pCardData\s*,\s*DWORD\s+dwFlags\s*\)\s*;`).MatchString(src) {
		t.Error("cardmod.h: no `CARDMOD_API DWORD WINAPI CardAcquireContext(PCARD_DATA pCardData, DWORD dwFlags);`")
	}
}

// TestLayoutCheckCoversReference parses the _Static_assert lines of
// layout_check.c and requires, for x64 and for x86, one sizeof assertion per
// reference structure and one offsetof assertion per reference field, with
// the reference numbers and nothing else.
func TestLayoutCheckCoversReference(t *testing.T) {
	raw, err := os.ReadFile(checkFile)
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	x64Start := strings.Index(src, "#if defined(_WIN64) || defined(__x86_64__)")
	x86Start := strings.Index(src, "#elif defined(_WIN32) || defined(__i386__)")
	end := strings.Index(src, "#else\n#error")
	if x64Start < 0 || x86Start < x64Start || end < x86Start {
		t.Fatal("layout_check.c: cannot find the x64 / x86 sections")
	}
	sizeRe := regexp.MustCompile(`_Static_assert\(sizeof\((\w+)\) == (\d+),`)
	offRe := regexp.MustCompile(`_Static_assert\(offsetof\((\w+), (\w+)\) == (\d+),`)
	for _, sec := range []struct {
		arch string
		text string
		x64  bool
	}{{"x64", src[x64Start:x86Start], true}, {"x86", src[x86Start:end], false}} {
		sizes := map[string]int{}
		for _, m := range sizeRe.FindAllStringSubmatch(sec.text, -1) {
			n, _ := strconv.Atoi(m[2])
			sizes[m[1]] = n
		}
		offs := map[string]int{}
		for _, m := range offRe.FindAllStringSubmatch(sec.text, -1) {
			n, _ := strconv.Atoi(m[3])
			offs[m[1]+"."+m[2]] = n
		}
		want := 0
		for _, l := range layouts {
			ws := l.X86
			if sec.x64 {
				ws = l.X64
			}
			if got, ok := sizes[l.Name]; !ok || got != ws {
				t.Errorf("%s: layout_check.c sizeof(%s) assertion = %d (present %v), reference %d", sec.arch, l.Name, got, ok, ws)
			}
			for _, f := range l.Fields {
				wo := f.X86
				if sec.x64 {
					wo = f.X64
				}
				if got, ok := offs[l.Name+"."+f.Name]; !ok || got != wo {
					t.Errorf("%s: layout_check.c offsetof(%s, %s) assertion = %d (present %v), reference %d", sec.arch, l.Name, f.Name, got, ok, wo)
				}
				want++
			}
		}
		if len(offs) != want {
			t.Errorf("%s: layout_check.c has %d offsetof assertions, reference has %d fields", sec.arch, len(offs), want)
		}
		t.Logf("%s: %d sizeof and %d offsetof assertions", sec.arch, len(sizes), len(offs))
	}
}

// cardDataFields is the CARD_DATA v7 field table of the reference (section 1.2):
// field name, C type, x64 offset, x86 offset.
var cardDataFields = []field{
	{"dwVersion", "DWORD", 0, 0},
	{"pbAtr", "PBYTE", 8, 4},
	{"cbAtr", "DWORD", 16, 8},
	{"pwszCardName", "LPWSTR", 24, 12},
	{"pfnCspAlloc", "PFN_CSP_ALLOC", 32, 16},
	{"pfnCspReAlloc", "PFN_CSP_REALLOC", 40, 20},
	{"pfnCspFree", "PFN_CSP_FREE", 48, 24},
	{"pfnCspCacheAddFile", "PFN_CSP_CACHE_ADD_FILE", 56, 28},
	{"pfnCspCacheLookupFile", "PFN_CSP_CACHE_LOOKUP_FILE", 64, 32},
	{"pfnCspCacheDeleteFile", "PFN_CSP_CACHE_DELETE_FILE", 72, 36},
	{"pvCacheContext", "PVOID", 80, 40},
	{"pfnCspPadData", "PFN_CSP_PAD_DATA", 88, 44},
	{"hSCardCtx", "SCARDCONTEXT", 96, 48},
	{"hScard", "SCARDHANDLE", 104, 52},
	{"pvVendorSpecific", "PVOID", 112, 56},
	{"pfnCardDeleteContext", "PFN_CARD_DELETE_CONTEXT", 120, 60},
	{"pfnCardQueryCapabilities", "PFN_CARD_QUERY_CAPABILITIES", 128, 64},
	{"pfnCardDeleteContainer", "PFN_CARD_DELETE_CONTAINER", 136, 68},
	{"pfnCardCreateContainer", "PFN_CARD_CREATE_CONTAINER", 144, 72},
	{"pfnCardGetContainerInfo", "PFN_CARD_GET_CONTAINER_INFO", 152, 76},
	{"pfnCardAuthenticatePin", "PFN_CARD_AUTHENTICATE_PIN", 160, 80},
	{"pfnCardGetChallenge", "PFN_CARD_GET_CHALLENGE", 168, 84},
	{"pfnCardAuthenticateChallenge", "PFN_CARD_AUTHENTICATE_CHALLENGE", 176, 88},
	{"pfnCardUnblockPin", "PFN_CARD_UNBLOCK_PIN", 184, 92},
	{"pfnCardChangeAuthenticator", "PFN_CARD_CHANGE_AUTHENTICATOR", 192, 96},
	{"pfnCardDeauthenticate", "PFN_CARD_DEAUTHENTICATE", 200, 100},
	{"pfnCardCreateDirectory", "PFN_CARD_CREATE_DIRECTORY", 208, 104},
	{"pfnCardDeleteDirectory", "PFN_CARD_DELETE_DIRECTORY", 216, 108},
	{"pvUnused3", "LPVOID", 224, 112},
	{"pvUnused4", "LPVOID", 232, 116},
	{"pfnCardCreateFile", "PFN_CARD_CREATE_FILE", 240, 120},
	{"pfnCardReadFile", "PFN_CARD_READ_FILE", 248, 124},
	{"pfnCardWriteFile", "PFN_CARD_WRITE_FILE", 256, 128},
	{"pfnCardDeleteFile", "PFN_CARD_DELETE_FILE", 264, 132},
	{"pfnCardEnumFiles", "PFN_CARD_ENUM_FILES", 272, 136},
	{"pfnCardGetFileInfo", "PFN_CARD_GET_FILE_INFO", 280, 140},
	{"pfnCardQueryFreeSpace", "PFN_CARD_QUERY_FREE_SPACE", 288, 144},
	{"pfnCardQueryKeySizes", "PFN_CARD_QUERY_KEY_SIZES", 296, 148},
	{"pfnCardSignData", "PFN_CARD_SIGN_DATA", 304, 152},
	{"pfnCardRSADecrypt", "PFN_CARD_RSA_DECRYPT", 312, 156},
	{"pfnCardConstructDHAgreement", "PFN_CARD_CONSTRUCT_DH_AGREEMENT", 320, 160},
	{"pfnCardDeriveKey", "PFN_CARD_DERIVE_KEY", 328, 164},
	{"pfnCardDestroyDHAgreement", "PFN_CARD_DESTROY_DH_AGREEMENT", 336, 168},
	{"pfnCspGetDHAgreement", "PFN_CSP_GET_DH_AGREEMENT", 344, 172},
	{"pfnCardGetChallengeEx", "PFN_CARD_GET_CHALLENGE_EX", 352, 176},
	{"pfnCardAuthenticateEx", "PFN_CARD_AUTHENTICATE_EX", 360, 180},
	{"pfnCardChangeAuthenticatorEx", "PFN_CARD_CHANGE_AUTHENTICATOR_EX", 368, 184},
	{"pfnCardDeauthenticateEx", "PFN_CARD_DEAUTHENTICATE_EX", 376, 188},
	{"pfnCardGetContainerProperty", "PFN_CARD_GET_CONTAINER_PROPERTY", 384, 192},
	{"pfnCardSetContainerProperty", "PFN_CARD_SET_CONTAINER_PROPERTY", 392, 196},
	{"pfnCardGetProperty", "PFN_CARD_GET_PROPERTY", 400, 200},
	{"pfnCardSetProperty", "PFN_CARD_SET_PROPERTY", 408, 204},
	{"pfnCspUnpadData", "PFN_CSP_UNPAD_DATA", 416, 208},
	{"pfnMDImportSessionKey", "PFN_MD_IMPORT_SESSION_KEY", 424, 212},
	{"pfnMDEncryptData", "PFN_MD_ENCRYPT_DATA", 432, 216},
	{"pfnCardImportSessionKey", "PFN_CARD_IMPORT_SESSION_KEY", 440, 220},
	{"pfnCardGetSharedKeyHandle", "PFN_CARD_GET_SHARED_KEY_HANDLE", 448, 224},
	{"pfnCardGetAlgorithmProperty", "PFN_CARD_GET_ALGORITHM_PROPERTY", 456, 228},
	{"pfnCardGetKeyProperty", "PFN_CARD_GET_KEY_PROPERTY", 464, 232},
	{"pfnCardSetKeyProperty", "PFN_CARD_SET_KEY_PROPERTY", 472, 236},
	{"pfnCardDestroyKey", "PFN_CARD_DESTROY_KEY", 480, 240},
	{"pfnCardProcessEncryptedData", "PFN_CARD_PROCESS_ENCRYPTED_DATA", 488, 244},
	{"pfnCardCreateContainerEx", "PFN_CARD_CREATE_CONTAINER_EX", 496, 248},
}

// layouts lists every structure of sections 1.2 and 2 of the reference with its
// size and field offsets for x64 and x86.
var layouts = []layout{
	{"CARD_DATA", 504, 252, cardDataFields},
	{"CARD_CAPABILITIES", 12, 12, []field{
		{"dwVersion", "", 0, 0},
		{"fCertificateCompression", "", 4, 4},
		{"fKeyGen", "", 8, 8},
	}},
	{"CONTAINER_INFO", 40, 24, []field{
		{"dwVersion", "", 0, 0},
		{"dwReserved", "", 4, 4},
		{"cbSigPublicKey", "", 8, 8},
		{"pbSigPublicKey", "", 16, 12},
		{"cbKeyExPublicKey", "", 24, 16},
		{"pbKeyExPublicKey", "", 32, 20},
	}},
	{"PIN_CACHE_POLICY", 12, 12, []field{
		{"dwVersion", "", 0, 0},
		{"PinCachePolicyType", "", 4, 4},
		{"dwPinCachePolicyInfo", "", 8, 8},
	}},
	{"PIN_INFO", 36, 36, []field{
		{"dwVersion", "", 0, 0},
		{"PinType", "", 4, 4},
		{"PinPurpose", "", 8, 8},
		{"dwChangePermission", "", 12, 12},
		{"dwUnblockPermission", "", 16, 16},
		{"PinCachePolicy", "", 20, 20},
		{"dwFlags", "", 32, 32},
	}},
	{"CARD_FILE_INFO", 12, 12, []field{
		{"dwVersion", "", 0, 0},
		{"cbFileSize", "", 4, 4},
		{"AccessCondition", "", 8, 8},
	}},
	{"CARD_FREE_SPACE_INFO", 16, 16, []field{
		{"dwVersion", "", 0, 0},
		{"dwBytesAvailable", "", 4, 4},
		{"dwKeyContainersAvailable", "", 8, 8},
		{"dwMaxKeyContainers", "", 12, 12},
	}},
	{"CARD_KEY_SIZES", 20, 20, []field{
		{"dwVersion", "", 0, 0},
		{"dwMinimumBitlen", "", 4, 4},
		{"dwDefaultBitlen", "", 8, 8},
		{"dwMaximumBitlen", "", 12, 12},
		{"dwIncrementalBitlen", "", 16, 16},
	}},
	{"CARD_SIGNING_INFO", 72, 44, []field{
		{"dwVersion", "", 0, 0},
		{"bContainerIndex", "", 4, 4},
		{"dwKeySpec", "", 8, 8},
		{"dwSigningFlags", "", 12, 12},
		{"aiHashAlg", "", 16, 16},
		{"pbData", "", 24, 20},
		{"cbData", "", 32, 24},
		{"pbSignedData", "", 40, 28},
		{"cbSignedData", "", 48, 32},
		{"pPaddingInfo", "", 56, 36},
		{"dwPaddingType", "", 64, 40},
	}},
	{"CARD_RSA_DECRYPT_INFO", 48, 28, []field{
		{"dwVersion", "", 0, 0},
		{"bContainerIndex", "", 4, 4},
		{"dwKeySpec", "", 8, 8},
		{"pbData", "", 16, 12},
		{"cbData", "", 24, 16},
		{"pPaddingInfo", "", 32, 20},
		{"dwPaddingType", "", 40, 24},
	}},
	{"CARD_DH_AGREEMENT_INFO", 40, 32, []field{
		{"dwVersion", "", 0, 0},
		{"bContainerIndex", "", 4, 4},
		{"dwFlags", "", 8, 8},
		{"dwPublicKey", "", 12, 12},
		{"pbPublicKey", "", 16, 16},
		{"pbReserved", "", 24, 20},
		{"cbReserved", "", 32, 24},
		{"bSecretAgreementIndex", "", 36, 28},
	}},
	{"CARD_DERIVE_KEY", 72, 40, []field{
		{"dwVersion", "", 0, 0},
		{"dwFlags", "", 4, 4},
		{"pwszKDF", "", 8, 8},
		{"bSecretAgreementIndex", "", 16, 12},
		{"pParameterList", "", 24, 16},
		{"pbDerivedKey", "", 32, 20},
		{"cbDerivedKey", "", 40, 24},
		{"pwszAlgId", "", 48, 28},
		{"dwKeyLen", "", 56, 32},
		{"hKey", "", 64, 36},
	}},
	{"CARD_ENCRYPTED_DATA", 16, 8, []field{
		{"pbEncryptedData", "", 0, 0},
		{"cbEncryptedData", "", 8, 4},
	}},
	{"CARD_IMPORT_KEYPAIR", 24, 24, []field{
		{"dwVersion", "", 0, 0},
		{"bContainerIndex", "", 4, 4},
		{"PinId", "", 8, 8},
		{"dwKeySpec", "", 12, 12},
		{"dwKeySize", "", 16, 16},
		{"cbInput", "", 20, 20},
		{"pbInput", "", 24, 24},
	}},
	{"CARD_CHANGE_AUTHENTICATOR", 28, 28, []field{
		{"dwVersion", "", 0, 0},
		{"dwFlags", "", 4, 4},
		{"dwAuthenticatingPinId", "", 8, 8},
		{"cbAuthenticatingPinData", "", 12, 12},
		{"dwTargetPinId", "", 16, 16},
		{"cbTargetData", "", 20, 20},
		{"cRetryCount", "", 24, 24},
		{"pbData", "", 28, 28},
	}},
	{"CARD_CHANGE_AUTHENTICATOR_RESPONSE", 8, 8, []field{
		{"dwVersion", "", 0, 0},
		{"cAttemptsRemaining", "", 4, 4},
	}},
	{"CARD_AUTHENTICATE", 16, 16, []field{
		{"dwVersion", "", 0, 0},
		{"dwFlags", "", 4, 4},
		{"PinId", "", 8, 8},
		{"cbPinData", "", 12, 12},
		{"pbPinData", "", 16, 16},
	}},
	{"CARD_AUTHENTICATE_RESPONSE", 12, 12, []field{
		{"dwVersion", "", 0, 0},
		{"cbSessionPin", "", 4, 4},
		{"cAttemptsRemaining", "", 8, 8},
		{"pbSessionPin", "", 12, 12},
	}},
	{"CARD_CACHE_FILE_FORMAT", 6, 6, []field{
		{"bVersion", "", 0, 0},
		{"bPinsFreshness", "", 1, 1},
		{"wContainersFreshness", "", 2, 2},
		{"wFilesFreshness", "", 4, 4},
	}},
	{"CONTAINER_MAP_RECORD", 86, 86, []field{
		{"wszGuid", "", 0, 0},
		{"bFlags", "", 80, 80},
		{"bReserved", "", 81, 81},
		{"wSigKeySizeBits", "", 82, 82},
		{"wKeyExchangeKeySizeBits", "", 84, 84},
	}},
	{"BCryptBuffer", 16, 12, []field{
		{"cbBuffer", "", 0, 0},
		{"BufferType", "", 4, 4},
		{"pvBuffer", "", 8, 8},
	}},
	{"BCryptBufferDesc", 16, 12, []field{
		{"ulVersion", "", 0, 0},
		{"cBuffers", "", 4, 4},
		{"pBuffers", "", 8, 8},
	}},
	{"BCRYPT_PKCS1_PADDING_INFO", 8, 4, []field{
		{"pszAlgId", "", 0, 0},
	}},
	{"BCRYPT_PSS_PADDING_INFO", 16, 8, []field{
		{"pszAlgId", "", 0, 0},
		{"cbSalt", "", 8, 4},
	}},
	{"BCRYPT_OAEP_PADDING_INFO", 24, 12, []field{
		{"pszAlgId", "", 0, 0},
		{"pbLabel", "", 8, 4},
		{"cbLabel", "", 16, 8},
	}},
	{"BCRYPT_KEY_DATA_BLOB_HEADER", 12, 12, []field{
		{"dwMagic", "", 0, 0},
		{"dwVersion", "", 4, 4},
		{"cbKeyData", "", 8, 8},
	}},
	{"BCRYPT_ECCKEY_BLOB", 8, 8, []field{
		{"dwMagic", "", 0, 0},
		{"cbKey", "", 4, 4},
	}},
	{"BLOBHEADER", 8, 8, []field{
		{"bType", "", 0, 0},
		{"bVersion", "", 1, 1},
		{"reserved", "", 2, 2},
		{"aiKeyAlg", "", 4, 4},
	}},
	{"RSAPUBKEY", 12, 12, []field{
		{"magic", "", 0, 0},
		{"bitlen", "", 4, 4},
		{"pubexp", "", 8, 8},
	}},
}

// ansiStrings are the ANSI file and directory names of section 3.6.
var ansiStrings = []stringConst{
	{"szBASE_CSP_DIR", "mscp"},
	{"szINTERMEDIATE_CERTS_DIR", "mscerts"},
	{"szCACHE_FILE", "cardcf"},
	{"szCARD_IDENTIFIER_FILE", "cardid"},
	{"szCARD_APPS_FILE", "cardapps"},
	{"szCONTAINER_MAP_FILE", "cmapfile"},
	{"szROOT_STORE_FILE", "msroots"},
	{"szUSER_SIGNATURE_CERT_PREFIX", "ksc"},
	{"szUSER_KEYEXCHANGE_CERT_PREFIX", "kxc"},
	{"szUSER_SIGNATURE_PRIVATE_KEY_PREFIX", "kss"},
	{"szUSER_SIGNATURE_PUBLIC_KEY_PREFIX", "ksp"},
	{"szUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX", "kxs"},
	{"szUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX", "kxp"},
}

// wideStrings are the UTF-16 constants of sections 2.12 and 3.2-3.8.
var wideStrings = []stringConst{
	{"wszBASE_CSP_DIR", "mscp"},
	{"wszINTERMEDIATE_CERTS_DIR", "mscerts"},
	{"wszCACHE_FILE", "cardcf"},
	{"wszCARD_IDENTIFIER_FILE", "cardid"},
	{"wszCARD_APPS_FILE", "cardapps"},
	{"wszCONTAINER_MAP_FILE", "cmapfile"},
	{"wszROOT_STORE_FILE", "msroots"},
	{"wszUSER_SIGNATURE_CERT_PREFIX", "ksc"},
	{"wszUSER_KEYEXCHANGE_CERT_PREFIX", "kxc"},
	{"wszUSER_SIGNATURE_PRIVATE_KEY_PREFIX", "kss"},
	{"wszUSER_SIGNATURE_PUBLIC_KEY_PREFIX", "ksp"},
	{"wszUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX", "kxs"},
	{"wszUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX", "kxp"},
	{"wszCARD_USER_EVERYONE", "anonymous"},
	{"wszCARD_USER_USER", "user"},
	{"wszCARD_USER_ADMIN", "admin"},
	{"CP_CARD_FREE_SPACE", "Free Space"},
	{"CP_CARD_CAPABILITIES", "Capabilities"},
	{"CP_CARD_KEYSIZES", "Key Sizes"},
	{"CP_CARD_READ_ONLY", "Read Only Mode"},
	{"CP_CARD_CACHE_MODE", "Cache Mode"},
	{"CP_SUPPORTS_WIN_X509_ENROLLMENT", "Supports Windows x.509 Enrollment"},
	{"CP_CARD_GUID", "Card Identifier"},
	{"CP_CARD_SERIAL_NO", "Card Serial Number"},
	{"CP_CARD_PIN_INFO", "PIN Information"},
	{"CP_CARD_LIST_PINS", "PIN List"},
	{"CP_CARD_AUTHENTICATED_STATE", "Authenticated State"},
	{"CP_CARD_PIN_STRENGTH_VERIFY", "PIN Strength Verify"},
	{"CP_CARD_PIN_STRENGTH_CHANGE", "PIN Strength Change"},
	{"CP_CARD_PIN_STRENGTH_UNBLOCK", "PIN Strength Unblock"},
	{"CP_PARENT_WINDOW", "Parent Window"},
	{"CP_PIN_CONTEXT_STRING", "PIN Context String"},
	{"CP_KEY_IMPORT_SUPPORT", "Key Import Support"},
	{"CP_ENUM_ALGORITHMS", "Algorithms"},
	{"CP_PADDING_SCHEMES", "Padding Schemes"},
	{"CP_CHAINING_MODES", "Chaining Modes"},
	{"CCP_CONTAINER_INFO", "Container Info"},
	{"CCP_PIN_IDENTIFIER", "PIN Identifier"},
	{"CCP_ASSOCIATED_ECDH_KEY", "Associated ECDH Key"},
	{"CSF_IMPORT_KEYPAIR", "Import Key Pair"},
	{"CSF_CHANGE_AUTHENTICATOR", "Change Authenticator"},
	{"CSF_AUTHENTICATE", "Authenticate"},
	{"CKP_CHAINING_MODE", "ChainingMode"},
	{"CKP_INITIALIZATION_VECTOR", "IV"},
	{"CKP_BLOCK_LENGTH", "BlockLength"},
	{"BCRYPT_KDF_HASH", "HASH"},
	{"BCRYPT_KDF_HMAC", "HMAC"},
	{"BCRYPT_KDF_TLS_PRF", "TLS_PRF"},
	{"BCRYPT_KDF_SP80056A_CONCAT", "SP800_56A_CONCAT"},
	{"CARD_3DES_112_ALGORITHM", "3DES_112"},
	{"CARD_3DES_ALGORITHM", "3DES"},
	{"CARD_AES_ALGORITHM", "AES"},
	{"CARD_CHAIN_MODE_CBC", "ChainingModeCBC"},
	{"BCRYPT_KEY_DATA_BLOB", "KeyDataBlob"},
	{"BCRYPT_MD2_ALGORITHM", "MD2"},
	{"BCRYPT_MD4_ALGORITHM", "MD4"},
	{"BCRYPT_MD5_ALGORITHM", "MD5"},
	{"BCRYPT_SHA1_ALGORITHM", "SHA1"},
	{"BCRYPT_SHA256_ALGORITHM", "SHA256"},
	{"BCRYPT_SHA384_ALGORITHM", "SHA384"},
	{"BCRYPT_SHA512_ALGORITHM", "SHA512"},
}
