package engine

import (
	"bytes"
	"slices"
	"strings"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// cardapps is the content of the root file cardapps: one 8-byte record naming mscp.
var cardapps = []byte{'m', 's', 'c', 'p', 0, 0, 0, 0}

// fileKind says where a file lives.
type fileKind int

const (
	kindFixed  fileKind = iota // cardid, cardapps: derived from the card, not writable
	kindCardcf                 // cardcf: in the map object
	kindCmap                   // mscp/cmapfile: in the map object
	kindCert                   // mscp/kxcNN, kscNN: the slot's PIV certificate object
	kindStored                 // any other file: the file store objects, indexed by the map
)

// file is one file of the minidriver's file system.
type file struct {
	name  string
	ac    spec.FileAccessCondition
	kind  fileKind
	index byte // kindCert: the container
	data  func() ([]byte, error)
}

// chunkBytes is the content of one file store object.
const chunkBytes = maxObjectBytes

// storeTags are the low bytes of the file store objects.
var storeTags = func() []byte {
	var t []byte
	for tag := FileStoreFirst; tag <= FileStoreLast; tag++ {
		t = append(t, byte(tag))
	}
	return t
}()

// checkPath validates a directory and file name and returns them in lower case. dir "" is the
// root.
func (c *Context) checkPath(fn, dir, name string, needName bool) (string, string, error) {
	if dir != "" && !spec.ValidFileName(dir) {
		return "", "", errf(spec.SCardEInvalidParameter, "%s: invalid directory name %q", fn, dir)
	}
	if needName && !spec.ValidFileName(name) {
		return "", "", errf(spec.SCardEInvalidParameter, "%s: invalid file name %q", fn, name)
	}
	dir, name = strings.ToLower(dir), strings.ToLower(name)
	if dir != "" && dir != spec.DirBaseCSP {
		if err := c.ensureInventory(); err != nil {
			return "", "", err
		}
		if m := c.card.mapObj; m == nil || m.dir(dir) == nil {
			return "", "", errf(spec.SCardEDirNotFound, "%s: no directory %q", fn, dir)
		}
	}
	return dir, name, nil
}

// certPrefix is the file name prefix of a container's certificate.
func certPrefix(ks spec.KeySpec) string {
	if ks == spec.ATSignature || ks.IsECDSA() {
		return spec.UserSignatureCertPrefix
	}
	return spec.UserKeyExchangeCertPrefix
}

// files lists the files of a directory ("" = root, "mscp", or a directory Windows created).
func (c *Context) files(dir string) ([]file, error) {
	var fs []file
	switch dir {
	case "":
		fs = c.rootFiles()
	case spec.DirBaseCSP:
		fs = []file{{spec.FileContainerMap, spec.EveryoneReadUserWriteAc, kindCmap, 0, c.cmapfile}}
		cs, err := c.containers()
		if err != nil {
			return nil, err
		}
		for _, ct := range cs {
			name := spec.CertFileName(certPrefix(ct.keySpec), ct.index)
			sd, err := c.readSlot(ct.slot)
			if err != nil {
				return nil, err
			}
			if sd.certDER == nil && !c.pending[name] {
				continue
			}
			f, err := c.certFile(name, ct.index)
			if err != nil {
				return nil, err
			}
			fs = append(fs, *f)
		}
	}
	if err := c.ensureInventory(); err != nil {
		return nil, err
	}
	if m := c.card.mapObj; m != nil {
		for _, mf := range m.Files {
			if mf.Dir == dir {
				fs = append(fs, c.storedFile(mf))
			}
		}
	}
	return fs, nil
}

// rootFiles are the fixed files of the root directory; reading them never touches the
// certificate objects.
func (c *Context) rootFiles() []file {
	return []file{
		{spec.FileCardIdentifier, spec.EveryoneReadAdminWriteAc, kindFixed, 0, func() ([]byte, error) { return c.ensureGUID() }},
		{spec.FileCache, spec.EveryoneReadUserWriteAc, kindCardcf, 0, func() ([]byte, error) {
			if err := c.refresh(); err != nil {
				return nil, err
			}
			return c.card.cardcf, nil
		}},
		{spec.FileCardApps, spec.EveryoneReadAdminWriteAc, kindFixed, 0, func() ([]byte, error) { return cardapps, nil }},
	}
}

// certFile is the file of a container's certificate (empty while created and not yet written).
func (c *Context) certFile(name string, idx byte) (*file, error) {
	return &file{name, spec.EveryoneReadUserWriteAc, kindCert, idx, func() ([]byte, error) {
		ct, err := c.container("read certificate", idx)
		if err != nil {
			return nil, err
		}
		if ct.cert == nil {
			return []byte{}, nil
		}
		return ct.cert, nil
	}}, nil
}

// storedFile is the file of a map entry; its content is read from the file store objects.
func (c *Context) storedFile(mf mapFile) file {
	return file{mf.Name, spec.FileAccessCondition(mf.AC), kindStored, 0, func() ([]byte, error) {
		out := make([]byte, 0, mf.Size)
		for _, ch := range mf.Chunks {
			b, err := c.piv.GetData(0x5FFF00 | uint32(ch))
			if err != nil {
				return nil, cardError("read file "+mf.Name, err)
			}
			out = append(out, b...)
		}
		if len(out) < int(mf.Size) {
			return nil, errf(spec.SCardECommDataLost, "file %s: %d of %d bytes on the card", mf.Name, len(out), mf.Size)
		}
		return out[:mf.Size], nil
	}}
}

// lookup finds one file. Reading cardid, cardcf or cardapps never touches the certificate
// objects.
func (c *Context) lookup(fn, dir, name string) (*file, error) {
	if dir == spec.DirBaseCSP {
		if name == spec.FileContainerMap {
			return &file{spec.FileContainerMap, spec.EveryoneReadUserWriteAc, kindCmap, 0, c.cmapfile}, nil
		}
		if prefix, idx, ok := spec.ParseCertFileName(name); ok {
			ct, err := c.container(fn, idx)
			if err != nil {
				if spec.StatusOf(err) == spec.SCardENoKeyContainer {
					return nil, errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
				}
				return nil, err
			}
			canonical := spec.CertFileName(certPrefix(ct.keySpec), idx)
			if prefix != certPrefix(ct.keySpec) || (ct.cert == nil && !c.pending[canonical]) {
				return nil, errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
			}
			return c.certFile(canonical, idx)
		}
	}
	if dir == "" {
		fs := c.rootFiles()
		for i := range fs {
			if fs[i].name == name {
				return &fs[i], nil
			}
		}
	}
	if err := c.ensureInventory(); err != nil {
		return nil, err
	}
	if m := c.card.mapObj; m != nil {
		if mf := m.file(dir, name); mf != nil {
			f := c.storedFile(*mf)
			return &f, nil
		}
	}
	return nil, errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
}

// canRead checks the read right of an access condition.
func (c *Context) canRead(fn string, ac spec.FileAccessCondition) error {
	switch ac {
	case spec.EveryoneReadUserWriteAc, spec.EveryoneReadAdminWriteAc:
		return nil
	case spec.UserReadWriteAc:
		if c.auth.user || c.auth.admin {
			return nil
		}
		return errf(spec.SCardWSecurityViolation, "%s: the file is readable by the user only", fn)
	case spec.AdminReadWriteAc:
		if c.auth.admin {
			return nil
		}
		return errf(spec.SCardWSecurityViolation, "%s: the file is readable by the admin only", fn)
	}
	return errf(spec.SCardWSecurityViolation, "%s: the file cannot be read", fn)
}

// canWrite checks the write right of an access condition.
func (c *Context) canWrite(fn string, ac spec.FileAccessCondition) error {
	switch ac {
	case spec.EveryoneReadUserWriteAc, spec.UserWriteExecuteAc, spec.UserReadWriteAc:
		return c.requireWriter(fn, false)
	}
	return c.requireWriter(fn, true)
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
	dir, name, err = c.checkPath(fn, dir, name, true)
	if err != nil {
		return nil, err
	}
	f, err := c.lookup(fn, dir, name)
	if err != nil {
		return nil, err
	}
	if err := c.canRead(fn, f.ac); err != nil {
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
	dir, _, err = c.checkPath(fn, dir, "", false)
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
	dir, name, err = c.checkPath(fn, dir, name, true)
	if err != nil {
		return spec.FileInfo{}, err
	}
	f, err := c.lookup(fn, dir, name)
	if err != nil {
		return spec.FileInfo{}, err
	}
	if err := c.canRead(fn, f.ac); err != nil {
		return spec.FileInfo{}, err
	}
	var size int
	if f.kind == kindStored {
		size = int(c.card.mapObj.file(dir, name).Size) // no need to read the content
	} else {
		data, err := f.data()
		if err != nil {
			return spec.FileInfo{}, err
		}
		size = len(data)
	}
	return spec.FileInfo{Version: spec.CardFileInfoCurrentVersion, FileSize: uint32(size), AccessCondition: f.ac}, nil
}

// QueryFreeSpace is CardQueryFreeSpace: the bytes left in the file store and the container
// indexes left.
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
	return c.freeSpace()
}

// freeChunks lists the file store objects no file uses.
func freeChunks(m *mapObject) []byte {
	var free []byte
	for _, t := range storeTags {
		used := false
		if m != nil {
			for _, f := range m.Files {
				used = used || bytes.Contains(f.Chunks, []byte{t})
			}
		}
		if !used {
			free = append(free, t)
		}
	}
	return free
}

func (c *Context) freeSpace() (spec.FreeSpaceInfo, error) {
	cs, err := c.containers()
	if err != nil {
		return spec.FreeSpaceInfo{}, err
	}
	used := len(cs)
	if m := c.card.mapObj; m != nil {
		used = 0
		idx := map[byte]bool{}
		for _, mc := range m.Containers {
			idx[mc.Index] = true
		}
		for _, ct := range cs {
			idx[ct.index] = true
		}
		used = len(idx)
	}
	// Container slots: 9A, 9C, 9D and the 20 retired slots, less those in use as far as the map
	// and the inventory tell (a key without certificate put by another tool is only found when
	// a creation probes the slot).
	slotSet := map[byte]bool{}
	for _, ct := range cs {
		slotSet[ct.slot] = true
	}
	if m := c.card.mapObj; m != nil {
		for _, s := range m.keySlots() {
			slotSet[s] = true
		}
	}
	delete(slotSet, piv.SlotCardAuth) // never chosen, so not counted among the 23 usable slots
	slotsFree := maxContainers - 1 - len(slotSet)
	return spec.FreeSpaceInfo{Version: spec.CardFreeSpaceInfoCurrentVersion,
		BytesAvailable:         uint32(storeAvailable(c.card.mapObj)),
		KeyContainersAvailable: uint32(max(0, min(maxContainers-used, slotsFree))), MaxKeyContainers: maxContainers}, nil
}

// dirAC returns the access condition of a directory that exists.
func (c *Context) dirAC(dir string) spec.DirAccessCondition {
	if m := c.card.mapObj; m != nil && dir != "" && dir != spec.DirBaseCSP {
		if d := m.dir(dir); d != nil {
			return spec.DirAccessCondition(d.AC)
		}
	}
	return spec.UserCreateDeleteDirAc
}

// requireDirWriter checks the right to create or delete in a directory.
func (c *Context) requireDirWriter(fn, dir string) error {
	return c.requireWriter(fn, c.dirAC(dir) == spec.AdminCreateDeleteDirAc)
}

// CreateDirectory is CardCreateDirectory. The directory is recorded in the map object.
func (c *Context) CreateDirectory(dir string, ac spec.DirAccessCondition) error {
	const fn = "CardCreateDirectory"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if !spec.ValidFileName(dir) {
		return errf(spec.SCardEInvalidParameter, "%s: invalid directory name %q", fn, dir)
	}
	if ac != spec.UserCreateDeleteDirAc && ac != spec.AdminCreateDeleteDirAc {
		return errf(spec.SCardEInvalidParameter, "%s: access condition %d", fn, ac)
	}
	dir = strings.ToLower(dir)
	if err := c.ensureInventory(); err != nil {
		return err
	}
	if dir == spec.DirBaseCSP || (c.card.mapObj != nil && c.card.mapObj.dir(dir) != nil) {
		return errf(spec.ErrorFileExists, "%s: directory %q exists", fn, dir)
	}
	if _, err := c.lookup(fn, "", dir); err == nil {
		return errf(spec.ErrorFileExists, "%s: a file %q exists", fn, dir)
	}
	if err := c.requireWriter(fn, false); err != nil {
		return err
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	m.Dirs = append(m.Dirs, mapDir{Name: dir, AC: byte(ac)})
	bumpCardcf(m, false, true)
	return c.putMap(fn, m, spec.SCardENoMemory)
}

// DeleteDirectory is CardDeleteDirectory.
func (c *Context) DeleteDirectory(dir string) error {
	const fn = "CardDeleteDirectory"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if !spec.ValidFileName(dir) {
		return errf(spec.SCardEInvalidParameter, "%s: invalid directory name %q", fn, dir)
	}
	dir = strings.ToLower(dir)
	if err := c.ensureInventory(); err != nil {
		return err
	}
	if dir != spec.DirBaseCSP && (c.card.mapObj == nil || c.card.mapObj.dir(dir) == nil) {
		return errf(spec.SCardEDirNotFound, "%s: no directory %q", fn, dir)
	}
	if err := c.requireDirWriter(fn, dir); err != nil {
		return err
	}
	if dir == spec.DirBaseCSP {
		return errf(spec.ErrorDirNotEmpty, "%s: %q holds the container map", fn, dir)
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	for _, f := range m.Files {
		if f.Dir == dir {
			return errf(spec.ErrorDirNotEmpty, "%s: %q is not empty", fn, dir)
		}
	}
	m.Dirs = slices.DeleteFunc(m.Dirs, func(d mapDir) bool { return d.Name == dir })
	bumpCardcf(m, false, true)
	return c.putMap(fn, m, spec.SCardENoMemory)
}

// validFileAC reports whether ac is an access condition a file can be created with.
func validFileAC(ac spec.FileAccessCondition) bool {
	switch ac {
	case spec.EveryoneReadUserWriteAc, spec.UserWriteExecuteAc, spec.EveryoneReadAdminWriteAc, spec.UserReadWriteAc,
		spec.AdminReadWriteAc:
		return true
	}
	return false
}

// CreateFile is CardCreateFile. A certificate file (mscp/kxcNN, kscNN) exists, empty, in this
// context until it is written; any other file is recorded in the map object.
func (c *Context) CreateFile(dir, name string, size uint32, ac spec.FileAccessCondition) error {
	const fn = "CardCreateFile"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if !validFileAC(ac) {
		return errf(spec.SCardEInvalidParameter, "%s: access condition %d", fn, ac)
	}
	dir, name, err = c.checkPath(fn, dir, name, true)
	if err != nil {
		return err
	}
	if _, err := c.lookup(fn, dir, name); err == nil {
		return errf(spec.ErrorFileExists, "%s: %q exists", fn, name)
	} else if spec.StatusOf(err) != spec.SCardEFileNotFound {
		return err
	}
	if dir == "" && (name == spec.DirBaseCSP || (c.card.mapObj != nil && c.card.mapObj.dir(name) != nil)) {
		return errf(spec.ErrorFileExists, "%s: a directory %q exists", fn, name)
	}
	if err := c.requireDirWriter(fn, dir); err != nil {
		return err
	}
	if dir == spec.DirBaseCSP {
		if prefix, idx, ok := spec.ParseCertFileName(name); ok {
			if size > maxObjectBytes {
				return errf(spec.SCardEInvalidParameter, "%s: a certificate of %d bytes does not fit a PIV object", fn, size)
			}
			ct, err := c.container(fn, idx)
			if err != nil {
				return err
			}
			if prefix != certPrefix(ct.keySpec) {
				return errf(spec.SCardEInvalidParameter, "%s: container %d takes %s%02x", fn, idx, certPrefix(ct.keySpec), idx)
			}
			c.pending[spec.CertFileName(prefix, idx)] = true
			return nil
		}
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	if int(size) > storeAvailable(m) {
		return errf(spec.SCardEInvalidParameter, "%s: %d bytes asked, %d free", fn, size, storeAvailable(m))
	}
	m.Files = append(m.Files, mapFile{Dir: dir, Name: name, AC: byte(ac)})
	bumpCardcf(m, false, true)
	return c.putMap(fn, m, spec.SCardENoMemory)
}

// WriteFile is CardWriteFile: the whole content of a file that exists.
func (c *Context) WriteFile(dir, name string, flags uint32, data []byte) error {
	const fn = "CardWriteFile"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return err
	}
	dir, name, err = c.checkPath(fn, dir, name, true)
	if err != nil {
		return err
	}
	f, err := c.lookup(fn, dir, name)
	if err != nil && spec.StatusOf(err) == spec.SCardEFileNotFound {
		// The certificate file of a container exists logically even when no context created it
		// (Windows may create it in one context and write it in another).
		f = c.uncreatedCertFile(dir, name)
	}
	if f == nil {
		return err
	}
	if err := c.canWrite(fn, f.ac); err != nil {
		return err
	}
	switch f.kind {
	case kindFixed:
		cur, err := f.data()
		if err != nil {
			return err
		}
		if bytes.Equal(cur, data) {
			return nil
		}
		return errf(spec.SCardEUnsupportedFeature, "%s: %s is fixed by the card", fn, name)
	case kindCardcf:
		if len(data) < spec.CacheFileSize {
			return errf(spec.SCardEInvalidParameter, "%s: cardcf of %d bytes", fn, len(data))
		}
		m, err := c.baseMap()
		if err != nil {
			return err
		}
		m.Cardcf = bytes.Clone(data)
		return c.putMap(fn, m, spec.SCardEWriteTooMany)
	case kindCmap:
		return c.writeCmapfile(fn, data)
	case kindCert:
		return c.writeCert(fn, f.index, name, data)
	}
	return c.writeStored(fn, dir, name, data)
}

// uncreatedCertFile returns the certificate file of an existing container whose certificate
// object is empty, or nil.
func (c *Context) uncreatedCertFile(dir, name string) *file {
	if dir != spec.DirBaseCSP {
		return nil
	}
	prefix, idx, ok := spec.ParseCertFileName(name)
	if !ok {
		return nil
	}
	ct, err := c.container("CardWriteFile", idx)
	if err != nil || prefix != certPrefix(ct.keySpec) {
		return nil
	}
	f, _ := c.certFile(spec.CertFileName(prefix, idx), idx)
	return f
}

// writeCmapfile applies the container map the caller wrote to the map object: names, flags and
// key sizes of the records. A record for an index that holds no key is kept (Windows owns
// cmapfile) but is no container.
func (c *Context) writeCmapfile(fn string, data []byte) error {
	if len(data)%spec.ContainerMapRecordSize != 0 {
		return errf(spec.SCardEInvalidParameter, "%s: cmapfile of %d bytes", fn, len(data))
	}
	recs, err := spec.ParseContainerMap(data)
	if err != nil {
		return errf(spec.SCardEInvalidParameter, "%s: cmapfile: %v", fn, err)
	}
	for i := maxContainers; i < len(recs); i++ {
		if recs[i].Flags != 0 || recs[i].Name() != "" {
			return errf(spec.SCardEWriteTooMany, "%s: container %d (the card has %d)", fn, i, maxContainers)
		}
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	for i := 0; i < maxContainers; i++ {
		var r spec.ContainerMapRecord
		if i < len(recs) {
			r = recs[i]
		}
		name := r.Name()
		if len(name) > 39 {
			return errf(spec.SCardEInvalidParameter, "%s: container %d name too long", fn, i)
		}
		mc := m.container(byte(i))
		empty := r.Flags == 0 && name == ""
		switch {
		case mc == nil && empty:
		case mc == nil:
			m.setContainer(mapContainer{Index: byte(i), Flags: r.Flags, Name: name, NoKey: true,
				SigBits: r.SigKeySizeBits, KxBits: r.KeyExchangeKeySizeBits})
		case empty && mc.NoKey:
			m.removeContainer(byte(i))
		default:
			mc.Flags, mc.Name = r.Flags, name
			if mc.NoKey {
				mc.SigBits, mc.KxBits = r.SigKeySizeBits, r.KeyExchangeKeySizeBits
			}
		}
	}
	bumpCardcf(m, true, false)
	return c.putMap(fn, m, spec.SCardEWriteTooMany)
}

// writeCert stores a container's certificate in its slot's PIV certificate object (one PUT
// DATA). The certificate must be one (a Windows-compressed one is accepted) and carry the
// container's public key. It is stored gzip-compressed (CertInfo 01) when the caller handed it
// compressed or when it would not fit otherwise.
func (c *Context) writeCert(fn string, idx byte, name string, data []byte) error {
	ct, err := c.container(fn, idx)
	if err != nil {
		return err
	}
	der, compressed := data, false
	if spec.IsWindowsCompressedCert(data) {
		if der, err = spec.DecompressWindowsCert(data, maxCertSize); err != nil {
			return errf(spec.SCardEInvalidParameter, "%s: compressed certificate: %v", fn, err)
		}
		compressed = true
	}
	obj, err := encodeCertObject(der, compressed)
	if err != nil {
		return errf(spec.SCardEInvalidParameter, "%s: %v", fn, err)
	}
	_, pub, err := decodeCertObject(obj)
	if err != nil {
		return errf(spec.SCardEInvalidParameter, "%s: %v", fn, err)
	}
	if !keysEqual(pub, ct.pub) {
		return errf(spec.SCardEInvalidParameter, "%s: %v", fn, errSlotBusy)
	}
	if len(obj) > maxObjectBytes {
		return errf(spec.SCardEWriteTooMany, "%s: a certificate object of %d bytes (at most %d)", fn, len(obj), maxObjectBytes)
	}
	if err := c.putObject(fn, piv.CertObject(ct.slot), obj); err != nil {
		return err
	}
	delete(c.pending, name)
	c.setSlotObject(ct.slot, obj)
	return nil
}

// encodeCertObject builds a PIV certificate object: 70 certificate, 71 CertInfo, FE error
// detection code.
func encodeCertObject(der []byte, compress bool) ([]byte, error) {
	plain := certObjectBytes(der, 0)
	if !compress && len(plain) <= maxObjectBytes {
		return plain, nil
	}
	return certObjectBytes(spec.GzipCert(der), 1), nil
}

func certObjectBytes(cert []byte, info byte) []byte {
	var b []byte
	b = appendTLV(b, piv.TagCertificate, cert)
	b = appendTLV(b, piv.TagCertInfo, []byte{info})
	return appendTLV(b, 0xFE, nil)
}

// appendTLV appends a one-byte tag and its BER length and value.
func appendTLV(b []byte, tag byte, v []byte) []byte {
	b = append(b, tag)
	switch n := len(v); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	default:
		b = append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, v...)
}

// writeStored writes a file of the file store: the content goes to objects no file uses, then
// the map points the file at them (one PUT DATA), then the old objects are emptied. A cut
// before the map write leaves the old content.
func (c *Context) writeStored(fn, dir, name string, data []byte) error {
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	mf := m.file(dir, name)
	if mf == nil {
		return errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
	}
	need := (len(data) + chunkBytes - 1) / chunkBytes
	free := freeChunks(m)
	old := mf.Chunks
	// The new content goes to free objects; afterwards one object must stay free (the spare
	// that lets any file of one object be rewritten atomically), counting the old objects the
	// write frees.
	if need > len(free) || len(free)-need+len(old) < spareChunks {
		return errf(spec.SCardEWriteTooMany, "%s: %d bytes (%d objects of %d bytes) do not fit: %d objects free, one kept spare, %d freed by the rewrite",
			fn, len(data), need, chunkBytes, len(free), len(old))
	}
	var chunks []byte
	for i := 0; i < need; i++ {
		part := data[i*chunkBytes : min(len(data), (i+1)*chunkBytes)]
		if err := c.putObject(fn, 0x5FFF00|uint32(free[i]), part); err != nil {
			c.emptyChunks(chunks) // best effort: nothing references them
			return err
		}
		chunks = append(chunks, free[i])
	}
	mf.Chunks, mf.Size = chunks, uint32(len(data))
	bumpCardcf(m, false, true)
	if err := c.putMap(fn, m, spec.SCardEWriteTooMany); err != nil {
		c.emptyChunks(chunks)
		return err
	}
	if err := c.emptyChunks(old); err != nil {
		return cardError(fn+": the file is written; emptying its old objects failed", err)
	}
	return nil
}

// spareChunks is the number of file store objects kept free, so that a file of up to one
// object can always be rewritten without ever losing its old content.
const spareChunks = 1

// storeAvailable is the number of bytes new file content may take: the free objects but the
// spare.
func storeAvailable(m *mapObject) int {
	return max(0, len(freeChunks(m))-spareChunks) * chunkBytes
}

// emptyChunks deletes file store objects nothing references any more (an object left behind
// is unreferenced and overwritten by a later write).
func (c *Context) emptyChunks(chunks []byte) error {
	var first error
	for _, ch := range chunks {
		if err := c.piv.PutData(0x5FFF00|uint32(ch), nil); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// DeleteFile is CardDeleteFile.
func (c *Context) DeleteFile(dir, name string, flags uint32) error {
	const fn = "CardDeleteFile"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return err
	}
	dir, name, err = c.checkPath(fn, dir, name, true)
	if err != nil {
		return err
	}
	f, err := c.lookup(fn, dir, name)
	if err != nil {
		return err
	}
	if err := c.canWrite(fn, f.ac); err != nil {
		return err
	}
	switch f.kind {
	case kindFixed, kindCardcf, kindCmap:
		return errf(spec.SCardWSecurityViolation, "%s: %s cannot be deleted", fn, name)
	case kindCert:
		delete(c.pending, name)
		ct, err := c.container(fn, f.index)
		if err != nil {
			return err
		}
		if ct.cert == nil {
			return nil
		}
		if !c.metadataKeys() {
			// Without its certificate, the key's public part must come from the map.
			if err := c.keepPublicKey(fn, ct); err != nil {
				return err
			}
		}
		if err := c.putObject(fn, piv.CertObject(ct.slot), nil); err != nil {
			return err
		}
		c.setSlotObject(ct.slot, nil)
		return nil
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	mf := m.file(dir, name)
	if mf == nil {
		return errf(spec.SCardEFileNotFound, "%s: no file %q", fn, name)
	}
	old := mf.Chunks
	m.Files = slices.DeleteFunc(m.Files, func(f mapFile) bool { return f.Dir == dir && f.Name == name })
	bumpCardcf(m, false, true)
	if err := c.putMap(fn, m, spec.SCardENoMemory); err != nil {
		return err
	}
	if err := c.emptyChunks(old); err != nil {
		return cardError(fn+": the file is deleted; emptying its objects failed", err)
	}
	return nil
}
