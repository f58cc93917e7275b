package engine

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cardmod/cardmod/tlv"
)

// The map object is the one small data object in which the minidriver keeps, on the card, what
// Windows needs and PIV has no place for: the cache freshness file (cardcf); for each container
// the name Windows chose, its cmapfile flags, its key spec, PIN and PIV slot, and (until a
// certificate carries it) its public key; the directories and files Windows created, whose
// contents live in the file store objects; and a digest of the certificate objects as they were
// when the map was written, by which changes made by other PIV tools are noticed. Keys and
// certificates stay in their standard PIV slots and objects, so every PIV tool keeps working with
// them. It lives in the YubiKey vendor object range.
//
// The map is written with one PUT DATA, which a card performs atomically: every write flow is
// ordered around it (see docs/enrollment.md).
const (
	// MapObjectTag is the PIV data object holding the map.
	MapObjectTag uint32 = 0x5FFF10
	// FileStoreFirst and FileStoreLast bound the data objects holding the contents of the files
	// Windows creates (other than cardcf, cmapfile and certificates).
	FileStoreFirst uint32 = 0x5FFF11
	FileStoreLast  uint32 = 0x5FFF15
	// RootsObjectTag is the first file store object (kept for callers of the earlier API).
	RootsObjectTag = FileStoreFirst
)

// maxObjectBytes is the largest data object content the minidriver writes: the limit of YubiKey
// 4 and 5 (and of the virtual card). The map and every file store chunk respect it.
const maxObjectBytes = 3052

// Tags of the map object (a BER-TLV structure of our own; unknown tags are ignored, so later
// versions can add fields).
const (
	mapTagVersion   = 0xC0
	mapTagCardcf    = 0xC1
	mapTagContainer = 0xE2 // constructed, one per container
	mapTagGUID      = 0xC3 // the CHUID GUID when the map was written
	mapTagDigest    = 0xC4 // digest of the certificate objects when the map was written
	mapTagDir       = 0xE5 // constructed, one per directory Windows created
	mapTagFile      = 0xE6 // constructed, one per stored file
	mapTagReleased  = 0xE7 // constructed, one per slot given up by the minidriver

	ctrTagIndex    = 0x80
	ctrTagFlags    = 0x81
	ctrTagName     = 0x82
	ctrTagKeySpec  = 0x83
	ctrTagSigBits  = 0x84
	ctrTagKxBits   = 0x85
	ctrTagCertHash = 0x86 // earlier maps; read and ignored
	ctrTagPIN      = 0x87
	ctrTagSlot     = 0x88 // PIV slot; absent: the fixed slot of the index
	ctrTagPubKey   = 0x89 // PKIX public key, kept while the slot has no certificate
	ctrTagNoKey    = 0x8A // 01: a cmapfile record without a key on the card (not a container)
	ctrTagECDH     = 0x8B // CCP_ASSOCIATED_ECDH_KEY

	dirTagName = 0x80
	dirTagAC   = 0x81

	fileTagDir    = 0x80
	fileTagName   = 0x81
	fileTagAC     = 0x82
	fileTagSize   = 0x83
	fileTagChunks = 0x84 // low bytes of the file store objects, in order

	relTagSlot = 0x80
	relTagCert = 0x81 // digest of the certificate object left in the slot; absent: none
)

const mapObjectVersion = 1

// mapObject is the decoded map object.
type mapObject struct {
	Cardcf     []byte
	GUID       []byte
	Digest     []byte // nil: not recorded (a map written by a tool)
	Containers []mapContainer
	Dirs       []mapDir
	Files      []mapFile
	// Released lists the slots whose key (and certificate, until it is deleted) a deleted or
	// replaced container left behind: they belong to nobody, the minidriver may reuse them, and
	// they are not shown as containers — unless another tool puts a different certificate there.
	Released []releasedSlot
}

// releasedSlot is a slot the minidriver gave up, with the digest of the certificate object it
// left there (nil: none).
type releasedSlot struct {
	Slot byte
	Cert []byte
}

// certDigest names a certificate object in the map (8 bytes of SHA-256; nil for none).
func certDigest(obj []byte) []byte {
	if obj == nil {
		return nil
	}
	sum := sha256.Sum256(obj)
	return sum[:8]
}

// released returns the release record of slot, or nil.
func (m *mapObject) released(slot byte) *releasedSlot {
	for i := range m.Released {
		if m.Released[i].Slot == slot {
			return &m.Released[i]
		}
	}
	return nil
}

// ignores reports whether the certificate object obj in slot is one the minidriver left behind
// (or there is none in a released slot): such a slot is free and shows no container.
func (m *mapObject) ignores(slot byte, obj []byte) bool {
	r := m.released(slot)
	return r != nil && (obj == nil || bytes.Equal(r.Cert, certDigest(obj)))
}

// release records that the minidriver gave up slot, leaving the certificate object obj.
func (m *mapObject) release(slot byte, obj []byte) {
	if r := m.released(slot); r != nil {
		r.Cert = certDigest(obj)
		return
	}
	m.Released = append(m.Released, releasedSlot{Slot: slot, Cert: certDigest(obj)})
}

// unrelease drops the release record of slot (a container takes it again).
func (m *mapObject) unrelease(slot byte) {
	for i := range m.Released {
		if m.Released[i].Slot == slot {
			m.Released = append(m.Released[:i], m.Released[i+1:]...)
			return
		}
	}
}

// mapContainer is what the map keeps about one container index.
type mapContainer struct {
	Index   byte
	Flags   byte // cmapfile flags: CONTAINER_MAP_VALID_CONTAINER | CONTAINER_MAP_DEFAULT_CONTAINER
	Name    string
	KeySpec uint32
	SigBits uint16
	KxBits  uint16
	PIN     byte
	Slot    byte   // 0: the fixed slot of Index
	PubKey  []byte // PKIX DER, nil when not kept
	NoKey   bool   // a record Windows wrote for an index that holds no key
	ECDH    byte   // associated ECDH container index + 1; 0 when not set
	// keepPub (not stored) keeps PubKey in the next map write even though a certificate of
	// the same key is in the slot: the certificate is about to be deleted.
	keepPub bool
}

// mapDir is a directory Windows created.
type mapDir struct {
	Name string
	AC   byte
}

// mapFile is a file Windows created, with the file store objects holding its content.
type mapFile struct {
	Dir    string
	Name   string
	AC     byte
	Size   uint32
	Chunks []byte // low byte of each object tag (0x11..0x15)
}

var errMapObject = errors.New("malformed map object")

// parseMapObject decodes the map object content.
func parseMapObject(b []byte) (*mapObject, error) {
	els, err := tlv.ParseAll(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMapObject, err)
	}
	m := &mapObject{}
	seen := map[byte]bool{}
	for _, e := range els {
		switch e.Tag {
		case mapTagVersion:
			if len(e.Value) != 1 || e.Value[0] != mapObjectVersion {
				return nil, fmt.Errorf("%w: version %X", errMapObject, e.Value)
			}
		case mapTagCardcf:
			if len(e.Value) < 6 {
				return nil, fmt.Errorf("%w: cardcf of %d bytes", errMapObject, len(e.Value))
			}
			m.Cardcf = e.Value
		case mapTagGUID:
			m.GUID = e.Value
		case mapTagDigest:
			m.Digest = e.Value
		case mapTagContainer:
			c, err := parseMapContainer(e.Value)
			if err != nil {
				return nil, err
			}
			if c.Index >= maxContainers || seen[c.Index] {
				return nil, fmt.Errorf("%w: container index %d", errMapObject, c.Index)
			}
			seen[c.Index] = true
			m.Containers = append(m.Containers, c)
		case mapTagDir:
			d, err := parseMapDir(e.Value)
			if err != nil {
				return nil, err
			}
			m.Dirs = append(m.Dirs, d)
		case mapTagFile:
			f, err := parseMapFile(e.Value)
			if err != nil {
				return nil, err
			}
			m.Files = append(m.Files, f)
		case mapTagReleased:
			r, err := parseReleased(e.Value)
			if err != nil {
				return nil, err
			}
			if m.released(r.Slot) != nil {
				return nil, fmt.Errorf("%w: slot %02X released twice", errMapObject, r.Slot)
			}
			m.Released = append(m.Released, r)
		}
	}
	if m.Cardcf == nil {
		return nil, fmt.Errorf("%w: no cardcf", errMapObject)
	}
	if err := m.checkStore(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkStore rejects a map whose files share file store objects or whose slots repeat.
func (m *mapObject) checkStore() error {
	used := map[byte]bool{}
	for _, f := range m.Files {
		for _, ch := range f.Chunks {
			if used[ch] {
				return fmt.Errorf("%w: file store object %02X used twice", errMapObject, ch)
			}
			used[ch] = true
		}
	}
	slots := map[byte]bool{}
	for _, c := range m.Containers {
		if c.NoKey {
			continue
		}
		s := c.slot()
		if slots[s] {
			return fmt.Errorf("%w: slot %02X used twice", errMapObject, s)
		}
		slots[s] = true
	}
	return nil
}

func oneByte(what string, v []byte) (byte, error) {
	if len(v) != 1 {
		return 0, fmt.Errorf("%w: %s", errMapObject, what)
	}
	return v[0], nil
}

func parseMapContainer(b []byte) (mapContainer, error) {
	els, err := tlv.ParseAll(b)
	if err != nil {
		return mapContainer{}, fmt.Errorf("%w: container: %v", errMapObject, err)
	}
	var c mapContainer
	hasIndex := false
	for _, e := range els {
		v := e.Value
		switch e.Tag {
		case ctrTagIndex:
			if c.Index, err = oneByte("container index", v); err != nil {
				return c, err
			}
			hasIndex = true
		case ctrTagFlags:
			if c.Flags, err = oneByte("container flags", v); err != nil {
				return c, err
			}
		case ctrTagName:
			if len(v) > 39 {
				return c, fmt.Errorf("%w: container name too long", errMapObject)
			}
			c.Name = string(v)
		case ctrTagKeySpec:
			ks, err := oneByte("key spec", v)
			if err != nil {
				return c, err
			}
			c.KeySpec = uint32(ks)
		case ctrTagSigBits, ctrTagKxBits:
			if len(v) != 2 {
				return c, fmt.Errorf("%w: key size", errMapObject)
			}
			n := binary.BigEndian.Uint16(v)
			if e.Tag == ctrTagSigBits {
				c.SigBits = n
			} else {
				c.KxBits = n
			}
		case ctrTagPIN:
			if c.PIN, err = oneByte("PIN", v); err != nil {
				return c, err
			}
		case ctrTagSlot:
			s, err := oneByte("slot", v)
			if err != nil {
				return c, err
			}
			if !isContainerSlot(s) {
				return c, fmt.Errorf("%w: slot %02X", errMapObject, s)
			}
			c.Slot = s
		case ctrTagPubKey:
			c.PubKey = v
		case ctrTagNoKey:
			nk, err := oneByte("no-key mark", v)
			if err != nil {
				return c, err
			}
			c.NoKey = nk == 1
		case ctrTagECDH:
			if c.ECDH, err = oneByte("ECDH association", v); err != nil {
				return c, err
			}
		}
	}
	if !hasIndex {
		return c, fmt.Errorf("%w: container without index", errMapObject)
	}
	return c, nil
}

func parseReleased(b []byte) (releasedSlot, error) {
	els, err := tlv.ParseAll(b)
	if err != nil {
		return releasedSlot{}, fmt.Errorf("%w: released slot: %v", errMapObject, err)
	}
	var r releasedSlot
	for _, e := range els {
		switch e.Tag {
		case relTagSlot:
			if r.Slot, err = oneByte("released slot", e.Value); err != nil {
				return r, err
			}
		case relTagCert:
			r.Cert = e.Value
		}
	}
	if !isContainerSlot(r.Slot) {
		return r, fmt.Errorf("%w: released slot %02X", errMapObject, r.Slot)
	}
	return r, nil
}

func parseMapDir(b []byte) (mapDir, error) {
	els, err := tlv.ParseAll(b)
	if err != nil {
		return mapDir{}, fmt.Errorf("%w: directory: %v", errMapObject, err)
	}
	var d mapDir
	for _, e := range els {
		switch e.Tag {
		case dirTagName:
			d.Name = string(e.Value)
		case dirTagAC:
			if d.AC, err = oneByte("directory access condition", e.Value); err != nil {
				return d, err
			}
		}
	}
	if !validStoredName(d.Name) {
		return d, fmt.Errorf("%w: directory name %q", errMapObject, d.Name)
	}
	return d, nil
}

func parseMapFile(b []byte) (mapFile, error) {
	els, err := tlv.ParseAll(b)
	if err != nil {
		return mapFile{}, fmt.Errorf("%w: file: %v", errMapObject, err)
	}
	var f mapFile
	for _, e := range els {
		v := e.Value
		switch e.Tag {
		case fileTagDir:
			f.Dir = string(v)
		case fileTagName:
			f.Name = string(v)
		case fileTagAC:
			if f.AC, err = oneByte("file access condition", v); err != nil {
				return f, err
			}
		case fileTagSize:
			if len(v) != 4 {
				return f, fmt.Errorf("%w: file size", errMapObject)
			}
			f.Size = binary.BigEndian.Uint32(v)
		case fileTagChunks:
			for _, ch := range v {
				if uint32(ch)|0x5FFF00 < FileStoreFirst || uint32(ch)|0x5FFF00 > FileStoreLast {
					return f, fmt.Errorf("%w: file store object %02X", errMapObject, ch)
				}
			}
			f.Chunks = v
		}
	}
	if !validStoredName(f.Name) || (f.Dir != "" && !validStoredName(f.Dir)) {
		return f, fmt.Errorf("%w: file name %q/%q", errMapObject, f.Dir, f.Name)
	}
	if int(f.Size) > len(f.Chunks)*chunkBytes {
		return f, fmt.Errorf("%w: file %q: %d bytes in %d objects", errMapObject, f.Name, f.Size, len(f.Chunks))
	}
	return f, nil
}

// validStoredName accepts the names the file system functions accept (lower case).
func validStoredName(s string) bool {
	if s == "" || len(s) > 8 {
		return false
	}
	return string(bytes.ToLower([]byte(s))) == s
}

// marshal encodes the map object.
func (m *mapObject) marshal() []byte {
	var b tlv.Builder
	b.Add(mapTagVersion, []byte{mapObjectVersion})
	b.Add(mapTagCardcf, m.Cardcf)
	if m.GUID != nil {
		b.Add(mapTagGUID, m.GUID)
	}
	if m.Digest != nil {
		b.Add(mapTagDigest, m.Digest)
	}
	for _, c := range m.Containers {
		b.AddNested(mapTagContainer, func(b *tlv.Builder) {
			b.Add(ctrTagIndex, []byte{c.Index})
			b.Add(ctrTagFlags, []byte{c.Flags})
			b.Add(ctrTagName, []byte(c.Name))
			b.Add(ctrTagKeySpec, []byte{byte(c.KeySpec)})
			b.Add(ctrTagSigBits, binary.BigEndian.AppendUint16(nil, c.SigBits))
			b.Add(ctrTagKxBits, binary.BigEndian.AppendUint16(nil, c.KxBits))
			b.Add(ctrTagPIN, []byte{c.PIN})
			if c.Slot != 0 {
				b.Add(ctrTagSlot, []byte{c.Slot})
			}
			if c.PubKey != nil {
				b.Add(ctrTagPubKey, c.PubKey)
			}
			if c.NoKey {
				b.Add(ctrTagNoKey, []byte{1})
			}
			if c.ECDH != 0 {
				b.Add(ctrTagECDH, []byte{c.ECDH})
			}
		})
	}
	for _, r := range m.Released {
		b.AddNested(mapTagReleased, func(b *tlv.Builder) {
			b.Add(relTagSlot, []byte{r.Slot})
			if r.Cert != nil {
				b.Add(relTagCert, r.Cert)
			}
		})
	}
	for _, d := range m.Dirs {
		b.AddNested(mapTagDir, func(b *tlv.Builder) {
			b.Add(dirTagName, []byte(d.Name))
			b.Add(dirTagAC, []byte{d.AC})
		})
	}
	for _, f := range m.Files {
		b.AddNested(mapTagFile, func(b *tlv.Builder) {
			if f.Dir != "" {
				b.Add(fileTagDir, []byte(f.Dir))
			}
			b.Add(fileTagName, []byte(f.Name))
			b.Add(fileTagAC, []byte{f.AC})
			b.Add(fileTagSize, binary.BigEndian.AppendUint32(nil, f.Size))
			b.Add(fileTagChunks, f.Chunks)
		})
	}
	return b.Bytes()
}

// clone returns a deep copy, which write flows modify before writing it.
func (m *mapObject) clone() *mapObject {
	n := &mapObject{Cardcf: bytes.Clone(m.Cardcf), GUID: bytes.Clone(m.GUID), Digest: bytes.Clone(m.Digest)}
	for _, c := range m.Containers {
		c.PubKey = bytes.Clone(c.PubKey)
		n.Containers = append(n.Containers, c)
	}
	n.Dirs = append(n.Dirs, m.Dirs...)
	for _, r := range m.Released {
		n.Released = append(n.Released, releasedSlot{Slot: r.Slot, Cert: bytes.Clone(r.Cert)})
	}
	for _, f := range m.Files {
		f.Chunks = bytes.Clone(f.Chunks)
		n.Files = append(n.Files, f)
	}
	return n
}

// container returns the map entry of index i, or nil.
func (m *mapObject) container(i byte) *mapContainer {
	for k := range m.Containers {
		if m.Containers[k].Index == i {
			return &m.Containers[k]
		}
	}
	return nil
}

// setContainer replaces or adds the entry of c.Index, keeping the entries in index order.
func (m *mapObject) setContainer(c mapContainer) {
	if e := m.container(c.Index); e != nil {
		*e = c
		return
	}
	m.Containers = append(m.Containers, c)
	for i := len(m.Containers) - 1; i > 0 && m.Containers[i].Index < m.Containers[i-1].Index; i-- {
		m.Containers[i], m.Containers[i-1] = m.Containers[i-1], m.Containers[i]
	}
}

// removeContainer drops the entry of index i.
func (m *mapObject) removeContainer(i byte) {
	for k := range m.Containers {
		if m.Containers[k].Index == i {
			m.Containers = append(m.Containers[:k], m.Containers[k+1:]...)
			return
		}
	}
}

// slot is the PIV slot of an entry.
func (c *mapContainer) slot() byte {
	if c.Slot != 0 {
		return c.Slot
	}
	s, _ := slotOf(c.Index)
	return s
}

// hasKey reports whether the entry stands for a key on the card.
func (c *mapContainer) hasKey() bool { return !c.NoKey }

// visible reports whether the entry is a container Windows sees.
func (c *mapContainer) visible() bool {
	return c.hasKey() && c.Flags&0x01 != 0
}

// publicKey decodes the kept public key, nil when there is none or it does not parse.
func (c *mapContainer) publicKey() crypto.PublicKey {
	if c.PubKey == nil {
		return nil
	}
	pub, err := x509.ParsePKIXPublicKey(c.PubKey)
	if err != nil {
		return nil
	}
	return pub
}

// file returns the stored file dir/name, or nil.
func (m *mapObject) file(dir, name string) *mapFile {
	for k := range m.Files {
		if m.Files[k].Dir == dir && m.Files[k].Name == name {
			return &m.Files[k]
		}
	}
	return nil
}

// dir returns the created directory name, or nil.
func (m *mapObject) dir(name string) *mapDir {
	for k := range m.Dirs {
		if m.Dirs[k].Name == name {
			return &m.Dirs[k]
		}
	}
	return nil
}

// MapEntry describes one container of a map object (see EncodeMapObject).
type MapEntry struct {
	Index   byte
	Name    string
	Default bool
	KeySpec uint32
	Bits    int
	PIN     byte
}

// EncodeMapObject returns the content of a map object (to store in MapObjectTag) for a card with
// the given cardcf and CHUID GUID, whose containers are in the fixed slots of their indexes. Tools
// and tests use it to prepare cards; the map records no certificate digest, so the minidriver
// reports a cardcf derived from cardcf and the certificates until it writes the map itself.
func EncodeMapObject(cardcf, guid []byte, entries []MapEntry) []byte {
	m := &mapObject{Cardcf: cardcf, GUID: guid}
	for _, e := range entries {
		mc := mapContainer{Index: e.Index, Flags: 1, Name: e.Name, KeySpec: e.KeySpec, PIN: e.PIN}
		if e.Default {
			mc.Flags |= 2
		}
		if e.KeySpec == 2 || (e.KeySpec >= 3 && e.KeySpec <= 5) {
			mc.SigBits = uint16(e.Bits)
		} else {
			mc.KxBits = uint16(e.Bits)
		}
		m.Containers = append(m.Containers, mc)
	}
	return m.marshal()
}
