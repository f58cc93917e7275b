package engine

import (
	"errors"
	"strings"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/spec"
)

// cardapps is the content of the root file cardapps: one 8-byte record naming mscp.
var cardapps = []byte{'m', 's', 'c', 'p', 0, 0, 0, 0}

// file is one file of the virtual file system.
type file struct {
	name string
	ac   spec.FileAccessCondition
	data func() ([]byte, error)
}

// checkPath validates a directory and file name and returns them in lower case. dir "" is the
// root.
func checkPath(fn, dir, name string, needName bool) (string, string, error) {
	if dir != "" && !spec.ValidFileName(dir) {
		return "", "", errf(spec.SCardEInvalidParameter, "%s: invalid directory name %q", fn, dir)
	}
	if needName && !spec.ValidFileName(name) {
		return "", "", errf(spec.SCardEInvalidParameter, "%s: invalid file name %q", fn, name)
	}
	dir, name = strings.ToLower(dir), strings.ToLower(name)
	if dir != "" && dir != spec.DirBaseCSP {
		return "", "", errf(spec.SCardEDirNotFound, "%s: no directory %q", fn, dir)
	}
	return dir, name, nil
}

// files lists the files of a directory ("" = root, "mscp").
func (c *Context) files(dir string) ([]file, error) {
	if dir == "" {
		return []file{
			{spec.FileCardIdentifier, spec.EveryoneReadAdminWriteAc, func() ([]byte, error) { return c.ensureGUID() }},
			{spec.FileCache, spec.EveryoneReadUserWriteAc, func() ([]byte, error) {
				if err := c.refresh(); err != nil {
					return nil, err
				}
				return c.card.cardcf, nil
			}},
			{spec.FileCardApps, spec.EveryoneReadAdminWriteAc, func() ([]byte, error) { return cardapps, nil }},
		}, nil
	}
	fs := []file{{spec.FileContainerMap, spec.EveryoneReadUserWriteAc, c.cmapfile}}
	cs, err := c.containers()
	if err != nil {
		return nil, err
	}
	for _, ct := range cs {
		idx := ct.index
		prefix := spec.UserKeyExchangeCertPrefix
		if ct.keySpec == spec.ATSignature || ct.keySpec.IsECDSA() {
			prefix = spec.UserSignatureCertPrefix
		}
		sd, err := c.readSlot(ct.slot)
		if err != nil {
			return nil, err
		}
		if sd.certDER == nil {
			continue
		}
		fs = append(fs, file{spec.CertFileName(prefix, idx), spec.EveryoneReadUserWriteAc, func() ([]byte, error) {
			sd, err := c.readSlot(containerSlots[idx])
			if err != nil {
				return nil, err
			}
			return sd.certDER, nil
		}})
	}
	roots, err := c.piv.GetData(RootsObjectTag)
	switch {
	case err == nil:
		fs = append(fs, file{spec.FileRootStore, spec.EveryoneReadUserWriteAc, func() ([]byte, error) { return roots, nil }})
	case errors.Is(err, apdu.SWFileNotFound):
	default:
		return nil, cardError("read msroots", err)
	}
	return fs, nil
}

// lookup finds one file. Reading cardid, cardcf or cardapps never touches the certificate
// objects.
func (c *Context) lookup(fn, dir, name string) (*file, error) {
	if dir == "" {
		fs, _ := c.files("")
		for i := range fs {
			if fs[i].name == name {
				return &fs[i], nil
			}
		}
		return nil, errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
	}
	if name == spec.FileContainerMap {
		return &file{spec.FileContainerMap, spec.EveryoneReadUserWriteAc, c.cmapfile}, nil
	}
	if prefix, idx, ok := spec.ParseCertFileName(name); ok {
		ct, err := c.container(fn, idx)
		if err != nil {
			if spec.StatusOf(err) == spec.SCardENoKeyContainer {
				return nil, errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
			}
			return nil, err
		}
		want := spec.UserKeyExchangeCertPrefix
		if ct.keySpec == spec.ATSignature || ct.keySpec.IsECDSA() {
			want = spec.UserSignatureCertPrefix
		}
		if prefix != want || ct.cert == nil {
			return nil, errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
		}
		cert := ct.cert
		return &file{name, spec.EveryoneReadUserWriteAc, func() ([]byte, error) { return cert, nil }}, nil
	}
	fs, err := c.files(dir)
	if err != nil {
		return nil, err
	}
	for i := range fs {
		if fs[i].name == name {
			return &fs[i], nil
		}
	}
	return nil, errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
}

// ReadFile is CardReadFile: the whole file in a buffer from the caller's allocator (the caller
// frees it). dir "" is the root.
func (c *Context) ReadFile(dir, name string, flags uint32) ([]byte, error) {
	const fn = "CardReadFile"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return nil, err
	}
	dir, name, err = checkPath(fn, dir, name, true)
	if err != nil {
		return nil, err
	}
	f, err := c.lookup(fn, dir, name)
	if err != nil {
		return nil, err
	}
	data, err := f.data()
	if err != nil {
		return nil, err
	}
	return c.alloc(data)
}

// EnumFiles is CardEnumFiles: the names of a directory's files as an ANSI multi-string in a buffer
// from the caller's allocator.
func (c *Context) EnumFiles(dir string, flags uint32) ([]byte, error) {
	const fn = "CardEnumFiles"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return nil, err
	}
	dir, _, err = checkPath(fn, dir, "", false)
	if err != nil {
		return nil, err
	}
	fs, err := c.files(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(fs))
	for _, f := range fs {
		names = append(names, f.name)
	}
	if len(names) == 0 {
		return nil, errf(spec.SCardEFileNotFound, "%s: directory is empty", fn)
	}
	return c.alloc(spec.MultiStringANSI(names))
}

// GetFileInfo is CardGetFileInfo: the size and access condition of a file.
func (c *Context) GetFileInfo(dir, name string) (spec.FileInfo, error) {
	const fn = "CardGetFileInfo"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return spec.FileInfo{}, err
	}
	defer unlock()
	dir, name, err = checkPath(fn, dir, name, true)
	if err != nil {
		return spec.FileInfo{}, err
	}
	f, err := c.lookup(fn, dir, name)
	if err != nil {
		return spec.FileInfo{}, err
	}
	data, err := f.data()
	if err != nil {
		return spec.FileInfo{}, err
	}
	return spec.FileInfo{Version: spec.CardFileInfoCurrentVersion, FileSize: uint32(len(data)), AccessCondition: f.ac}, nil
}

// QueryFreeSpace is CardQueryFreeSpace. Until writes exist the card is read-only to Windows:
// no bytes and no containers are available.
func (c *Context) QueryFreeSpace(flags uint32) (spec.FreeSpaceInfo, error) {
	const fn = "CardQueryFreeSpace"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return spec.FreeSpaceInfo{}, err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return spec.FreeSpaceInfo{}, err
	}
	return c.freeSpace(), nil
}

func (c *Context) freeSpace() spec.FreeSpaceInfo {
	return spec.FreeSpaceInfo{Version: spec.CardFreeSpaceInfoCurrentVersion, BytesAvailable: 0,
		KeyContainersAvailable: 0, MaxKeyContainers: maxContainers}
}

// CreateDirectory is CardCreateDirectory (writes come with enrollment support).
func (c *Context) CreateDirectory(dir string, ac spec.DirAccessCondition) error {
	return c.stub("CardCreateDirectory")
}

// DeleteDirectory is CardDeleteDirectory.
func (c *Context) DeleteDirectory(dir string) error { return c.stub("CardDeleteDirectory") }

// CreateFile is CardCreateFile.
func (c *Context) CreateFile(dir, name string, size uint32, ac spec.FileAccessCondition) error {
	return c.stub("CardCreateFile")
}

// WriteFile is CardWriteFile.
func (c *Context) WriteFile(dir, name string, flags uint32, data []byte) error {
	return c.stub("CardWriteFile")
}

// DeleteFile is CardDeleteFile.
func (c *Context) DeleteFile(dir, name string, flags uint32) error { return c.stub("CardDeleteFile") }

// stub answers SCARD_E_UNSUPPORTED_FEATURE for functions that later work implements (and
// SCARD_E_INVALID_PARAMETER in no-card mode, as every card function must).
func (c *Context) stub(fn string) error {
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	return unsupported(fn)
}
