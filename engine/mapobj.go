package engine

import (
	"errors"
	"fmt"

	"github.com/cardmod/cardmod/tlv"
)

// The map object is the one small data object in which the minidriver keeps, on the card, what
// Windows needs and PIV has no place for: the cache freshness file (cardcf) and, for each
// container, the name Windows chose, its flags, its key spec and PIN, and a fingerprint of the
// certificate it saw last. Keys and certificates stay in their standard PIV slots and objects, so
// every PIV tool keeps working with them. It lives in the YubiKey vendor object range.
const (
	// MapObjectTag is the PIV data object holding the map.
	MapObjectTag uint32 = 0x5FFF10
	// RootsObjectTag holds mscp/msroots.
	RootsObjectTag uint32 = 0x5FFF11
)

// Tags of the map object (a BER-TLV structure of our own; unknown tags are kept and ignored, so
// later versions can add fields).
const (
	mapTagVersion   = 0xC0
	mapTagCardcf    = 0xC1
	mapTagContainer = 0xE2 // constructed, one per container
	mapTagGUID      = 0xC3 // the CHUID GUID when the map was written

	ctrTagIndex    = 0x80
	ctrTagFlags    = 0x81
	ctrTagName     = 0x82
	ctrTagKeySpec  = 0x83
	ctrTagSigBits  = 0x84
	ctrTagKxBits   = 0x85
	ctrTagCertHash = 0x86
	ctrTagPIN      = 0x87
)

const mapObjectVersion = 1

// mapObject is the decoded map object.
type mapObject struct {
	Cardcf     []byte
	GUID       []byte
	Containers []mapContainer
}

// mapContainer is what the map keeps about one container.
type mapContainer struct {
	Index    byte
	Flags    byte // CONTAINER_MAP_VALID_CONTAINER | CONTAINER_MAP_DEFAULT_CONTAINER
	Name     string
	KeySpec  uint32
	SigBits  uint16
	KxBits   uint16
	CertHash []byte // first 8 bytes of SHA-256 of the certificate object content, nil when none
	PIN      byte
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
		}
	}
	if m.Cardcf == nil {
		return nil, fmt.Errorf("%w: no cardcf", errMapObject)
	}
	return m, nil
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
			if len(v) != 1 {
				return c, fmt.Errorf("%w: container index", errMapObject)
			}
			c.Index, hasIndex = v[0], true
		case ctrTagFlags:
			if len(v) != 1 {
				return c, fmt.Errorf("%w: container flags", errMapObject)
			}
			c.Flags = v[0]
		case ctrTagName:
			if len(v) > 39 {
				return c, fmt.Errorf("%w: container name too long", errMapObject)
			}
			c.Name = string(v)
		case ctrTagKeySpec:
			if len(v) != 1 {
				return c, fmt.Errorf("%w: key spec", errMapObject)
			}
			c.KeySpec = uint32(v[0])
		case ctrTagSigBits, ctrTagKxBits:
			if len(v) != 2 {
				return c, fmt.Errorf("%w: key size", errMapObject)
			}
			n := uint16(v[0])<<8 | uint16(v[1])
			if e.Tag == ctrTagSigBits {
				c.SigBits = n
			} else {
				c.KxBits = n
			}
		case ctrTagCertHash:
			c.CertHash = v
		case ctrTagPIN:
			if len(v) != 1 {
				return c, fmt.Errorf("%w: PIN", errMapObject)
			}
			c.PIN = v[0]
		}
	}
	if !hasIndex {
		return c, fmt.Errorf("%w: container without index", errMapObject)
	}
	return c, nil
}

// marshal encodes the map object.
func (m *mapObject) marshal() []byte {
	var b tlv.Builder
	b.Add(mapTagVersion, []byte{mapObjectVersion})
	b.Add(mapTagCardcf, m.Cardcf)
	if m.GUID != nil {
		b.Add(mapTagGUID, m.GUID)
	}
	for _, c := range m.Containers {
		b.AddNested(mapTagContainer, func(b *tlv.Builder) {
			b.Add(ctrTagIndex, []byte{c.Index})
			b.Add(ctrTagFlags, []byte{c.Flags})
			b.Add(ctrTagName, []byte(c.Name))
			b.Add(ctrTagKeySpec, []byte{byte(c.KeySpec)})
			b.Add(ctrTagSigBits, []byte{byte(c.SigBits >> 8), byte(c.SigBits)})
			b.Add(ctrTagKxBits, []byte{byte(c.KxBits >> 8), byte(c.KxBits)})
			if c.CertHash != nil {
				b.Add(ctrTagCertHash, c.CertHash)
			}
			b.Add(ctrTagPIN, []byte{c.PIN})
		})
	}
	return b.Bytes()
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
// the given cardcf and CHUID GUID. Enrollment writes it; tools and tests use it to prepare cards.
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
