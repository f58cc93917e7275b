// Command exportfix trims the export table of a Windows DLL to the names given. Go's linker
// exports every //export function of a c-shared library; cardmod.dll must export exactly
// CardAcquireContext (the CARD_DATA table reaches everything else), so the build runs
//
//	go run ./cabi/exportfix -keep CardAcquireContext build/cardmod64.dll
//
// after linking (and before signing). The export directory is rewritten in place: the kept
// names and their functions move to the front of the tables and the counts shrink.
package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	keep := flag.String("keep", "CardAcquireContext", "comma-separated names to keep exported")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: exportfix [-keep NAME,...] FILE.dll...")
		os.Exit(2)
	}
	for _, path := range flag.Args() {
		if err := fixFile(path, strings.Split(*keep, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "exportfix:", err)
			os.Exit(1)
		}
	}
}

func fixFile(path string, keep []string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := Fix(data, keep)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

// image gives access to a PE file's bytes by RVA.
type image struct {
	data     []byte
	sections []*pe.Section
}

func (im *image) off(rva uint32, n uint32) (int, error) {
	for _, s := range im.sections {
		if rva >= s.VirtualAddress && rva+n <= s.VirtualAddress+max(s.VirtualSize, s.Size) && rva-s.VirtualAddress+n <= s.Size {
			return int(s.Offset + rva - s.VirtualAddress), nil
		}
	}
	return 0, fmt.Errorf("RVA %#x not in the file", rva)
}

func (im *image) u32(rva uint32) (uint32, error) {
	o, err := im.off(rva, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(im.data[o:]), nil
}

func (im *image) put32(rva, v uint32) error {
	o, err := im.off(rva, 4)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(im.data[o:], v)
	return nil
}

func (im *image) cstring(rva uint32) (string, error) {
	o, err := im.off(rva, 1)
	if err != nil {
		return "", err
	}
	end := bytes.IndexByte(im.data[o:], 0)
	if end < 0 || end > 512 {
		return "", errors.New("unterminated export name")
	}
	return string(im.data[o : o+end]), nil
}

// Fix returns a copy of the DLL whose export table holds only the names in keep.
func Fix(dll []byte, keep []string) ([]byte, error) {
	f, err := pe.NewFile(bytes.NewReader(dll))
	if err != nil {
		return nil, err
	}
	var dir pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	case *pe.OptionalHeader32:
		dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	default:
		return nil, errors.New("no optional header")
	}
	if dir.VirtualAddress == 0 {
		return nil, errors.New("no export directory")
	}
	im := &image{data: bytes.Clone(dll), sections: f.Sections}
	ed := dir.VirtualAddress
	nFuncs, err := im.u32(ed + 20)
	if err != nil {
		return nil, err
	}
	nNames, _ := im.u32(ed + 24)
	addrFuncs, _ := im.u32(ed + 28)
	addrNames, _ := im.u32(ed + 32)
	addrOrds, _ := im.u32(ed + 36)
	if nNames > 4096 || nFuncs > 4096 {
		return nil, errors.New("implausible export table")
	}
	var kept []export
	want := map[string]bool{}
	for _, k := range keep {
		want[k] = true
	}
	for i := uint32(0); i < nNames; i++ {
		nameRVA, err := im.u32(addrNames + 4*i)
		if err != nil {
			return nil, err
		}
		name, err := im.cstring(nameRVA)
		if err != nil {
			return nil, err
		}
		if !want[name] {
			continue
		}
		o, err := im.off(addrOrds+2*i, 2)
		if err != nil {
			return nil, err
		}
		ord := uint32(binary.LittleEndian.Uint16(im.data[o:]))
		if ord >= nFuncs {
			return nil, fmt.Errorf("ordinal %d of %s out of range", ord, name)
		}
		fn, err := im.u32(addrFuncs + 4*ord)
		if err != nil {
			return nil, err
		}
		kept = append(kept, export{nameRVA, fn, name})
	}
	if len(kept) != len(want) {
		return nil, fmt.Errorf("kept %d of the %d names asked for", len(kept), len(want))
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].name < kept[j].name })
	for i, e := range kept {
		if err := im.put32(addrFuncs+4*uint32(i), e.funcRVA); err != nil {
			return nil, err
		}
		if err := im.put32(addrNames+4*uint32(i), e.nameRVA); err != nil {
			return nil, err
		}
		o, _ := im.off(addrOrds+2*uint32(i), 2)
		binary.LittleEndian.PutUint16(im.data[o:], uint16(i))
	}
	// Clear the dropped entries and their names.
	for i := uint32(len(kept)); i < nFuncs; i++ {
		_ = im.put32(addrFuncs+4*i, 0)
	}
	for i := uint32(len(kept)); i < nNames; i++ {
		nameRVA, _ := im.u32(addrNames + 4*i)
		if o, err := im.off(nameRVA, 1); err == nil && !keptName(kept, nameRVA) {
			if end := bytes.IndexByte(im.data[o:], 0); end > 0 && end <= 512 {
				clear(im.data[o : o+end])
			}
		}
		_ = im.put32(addrNames+4*i, 0)
		if o, err := im.off(addrOrds+2*i, 2); err == nil {
			binary.LittleEndian.PutUint16(im.data[o:], 0)
		}
	}
	if err := im.put32(ed+20, uint32(len(kept))); err != nil {
		return nil, err
	}
	if err := im.put32(ed+24, uint32(len(kept))); err != nil {
		return nil, err
	}
	return im.data, nil
}

// export is one kept entry of the export table.
type export struct {
	nameRVA, funcRVA uint32
	name             string
}

func keptName(kept []export, rva uint32) bool {
	for _, k := range kept {
		if k.nameRVA == rva {
			return true
		}
	}
	return false
}
