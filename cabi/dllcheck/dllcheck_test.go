// Package dllcheck checks the built Windows DLLs (make dll): exactly one undecorated export,
// CardAcquireContext; a stdcall CardAcquireContext on x86; a version resource.
package dllcheck

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"unicode/utf16"
)

func dllPath(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "build", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not built: run 'make dll' (needs gcc-mingw-w64)", name)
	}
	return p
}

// exports returns the exported names and their function RVAs.
func exports(t *testing.T, f *pe.File, data []byte) map[string]uint32 {
	t.Helper()
	var dir pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	case *pe.OptionalHeader32:
		dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	}
	read := func(rva, n uint32) []byte {
		for _, s := range f.Sections {
			if rva >= s.VirtualAddress && rva+n <= s.VirtualAddress+s.Size {
				o := s.Offset + rva - s.VirtualAddress
				return data[o : o+n]
			}
		}
		t.Fatalf("RVA %#x outside the sections", rva)
		return nil
	}
	u32 := func(rva uint32) uint32 { return binary.LittleEndian.Uint32(read(rva, 4)) }
	ed := dir.VirtualAddress
	nFuncs, nNames := u32(ed+20), u32(ed+24)
	funcs, names, ords := u32(ed+28), u32(ed+32), u32(ed+36)
	out := map[string]uint32{}
	for i := uint32(0); i < nNames; i++ {
		nameRVA := u32(names + 4*i)
		var name []byte
		for j := uint32(0); ; j++ {
			c := read(nameRVA+j, 1)[0]
			if c == 0 {
				break
			}
			name = append(name, c)
		}
		ord := uint32(binary.LittleEndian.Uint16(read(ords+2*i, 2)))
		if ord >= nFuncs {
			t.Fatalf("export %s: ordinal %d of %d", name, ord, nFuncs)
		}
		out[string(name)] = u32(funcs + 4*ord)
	}
	if nFuncs != uint32(len(out)) {
		t.Errorf("%d exported functions, %d names: exports by ordinal only exist", nFuncs, len(out))
	}
	return out
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func check(t *testing.T, name string, x86 bool) {
	path := dllPath(t, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	wantMachine := uint16(pe.IMAGE_FILE_MACHINE_AMD64)
	if x86 {
		wantMachine = pe.IMAGE_FILE_MACHINE_I386
	}
	if f.Machine != wantMachine {
		t.Errorf("machine %#x, want %#x", f.Machine, wantMachine)
	}
	if f.Characteristics&pe.IMAGE_FILE_DLL == 0 {
		t.Error("not a DLL")
	}
	ex := exports(t, f, data)
	if len(ex) != 1 || ex["CardAcquireContext"] == 0 {
		t.Fatalf("exports %v, want exactly CardAcquireContext", ex)
	}
	if x86 {
		// stdcall: the callee pops its 8 bytes of arguments (ret 8 = C2 08 00).
		rva := ex["CardAcquireContext"]
		for _, s := range f.Sections {
			if rva >= s.VirtualAddress && rva < s.VirtualAddress+s.Size {
				o := s.Offset + rva - s.VirtualAddress
				body := data[o:min(int(o)+128, len(data))]
				if !bytes.Contains(body, []byte{0xC2, 0x08, 0x00}) {
					t.Errorf("CardAcquireContext does not end with ret 8: not stdcall (% X)", body[:32])
				}
			}
		}
	}
	// Version resource: VS_VERSION_INFO with our product name, UTF-16 in the .rsrc section.
	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		t.Fatal("no resource section")
	}
	rd, _ := rsrc.Data()
	for _, s := range []string{"VS_VERSION_INFO", "ProductName", "cardmod", "FileVersion"} {
		if !bytes.Contains(rd, utf16le(s)) {
			t.Errorf("version resource lacks %q", s)
		}
	}
}

func TestDLL64(t *testing.T) { check(t, "cardmod64.dll", false) }
func TestDLL32(t *testing.T) { check(t, "cardmod32.dll", true) }
