package vcard

import (
	"bytes"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// appLabel is the application label of the application property template.
const appLabel = "cardmod virtual PIV"

// cmdSelect answers SELECT by AID (P1=04): the full PIV AID or any right-truncation of it down to
// the RID selects the PIV application and returns the application property template.
func (c *Card) cmdSelect(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0x04 || (cmd.P2 != 0x00 && cmd.P2 != 0x0C) {
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) < len(piv.RID) || len(cmd.Data) > len(piv.AID) || !bytes.HasPrefix(piv.AID, cmd.Data) {
		return nil, apdu.SWFileNotFound
	}
	if cmd.P2 == 0x0C {
		return nil, apdu.SWOK
	}
	var apt tlv.Builder
	apt.AddNested(piv.TagAPT, func(b *tlv.Builder) {
		b.Add(0x4F, piv.PIX)
		b.AddNested(0x79, func(b *tlv.Builder) { b.Add(0x4F, piv.RID) })
		b.Add(0x50, []byte(appLabel))
		b.AddNested(0xAC, func(b *tlv.Builder) {
			for _, alg := range []byte{piv.Alg3DES, piv.AlgRSA1024, piv.AlgRSA2048, piv.AlgRSA3072, piv.AlgRSA4096,
				piv.AlgAES128, piv.AlgAES192, piv.AlgAES256, piv.AlgECCP256, piv.AlgECCP384} {
				b.Add(0x80, []byte{alg})
			}
			b.Add(0x06, []byte{0x00})
		})
	})
	return apt.Bytes(), apdu.SWOK
}

// wrapperTag returns the tag that wraps a data object's content in GET DATA responses and PUT DATA
// commands: 7E and 7F61 stand for themselves, every other object is wrapped in 53.
func wrapperTag(obj uint32) tlv.Tag {
	if obj == piv.ObjDiscovery || obj == piv.ObjBITGroup {
		return tlv.Tag(obj)
	}
	return piv.TagData
}

// parseTagList decodes the 5C element naming one data object.
func parseTagList(v []byte) (uint32, bool) {
	if len(v) == 0 || len(v) > 3 {
		return 0, false
	}
	var t uint32
	for _, b := range v {
		t = t<<8 | uint32(b)
	}
	return t, true
}

// cmdGetData answers GET DATA (P1P2 = 3FFF, data = 5C tag).
func (c *Card) cmdGetData(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0x3F || cmd.P2 != 0xFF {
		return nil, apdu.SWIncorrectP1P2
	}
	els, err := tlv.ParseAll(cmd.Data)
	if err != nil || len(els) != 1 || els[0].Tag != piv.TagTagList {
		return nil, apdu.SWWrongData
	}
	tag, ok := parseTagList(els[0].Value)
	if !ok {
		return nil, apdu.SWWrongData
	}
	obj, ok := piv.LookupObject(tag)
	if !ok {
		return nil, apdu.SWFileNotFound
	}
	if obj.Read == piv.PIN && !c.pinVerified {
		return nil, apdu.SWSecurityStatusNotSatisfied
	}
	content, ok := c.st.Objects[tag]
	if !ok {
		return nil, apdu.SWFileNotFound
	}
	return tlv.Encode(wrapperTag(tag), content), apdu.SWOK
}

// cmdPutData answers PUT DATA (P1P2 = 3FFF): 5C tag + 53 content, or a whole 7E / 7F61 element.
// An empty content deletes the object. It needs the management key.
func (c *Card) cmdPutData(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0x3F || cmd.P2 != 0xFF {
		return nil, apdu.SWIncorrectP1P2
	}
	els, err := tlv.ParseAll(cmd.Data)
	if err != nil || len(els) == 0 {
		return nil, apdu.SWWrongData
	}
	var tag uint32
	var content []byte
	switch {
	case len(els) == 1 && (els[0].Tag == tlv.Tag(piv.ObjDiscovery) || els[0].Tag == tlv.Tag(piv.ObjBITGroup)):
		tag, content = uint32(els[0].Tag), els[0].Value
	case len(els) == 2 && els[0].Tag == piv.TagTagList && els[1].Tag == piv.TagData:
		var ok bool
		if tag, ok = parseTagList(els[0].Value); !ok {
			return nil, apdu.SWWrongData
		}
		if tag == piv.ObjDiscovery || tag == piv.ObjBITGroup {
			return nil, apdu.SWWrongData
		}
		content = els[1].Value
	default:
		return nil, apdu.SWWrongData
	}
	if _, ok := piv.LookupObject(tag); !ok {
		return nil, apdu.SWFileNotFound
	}
	if !c.mgmAuthed {
		return nil, apdu.SWSecurityStatusNotSatisfied
	}
	if len(content) > MaxObjectSize {
		return nil, apdu.SWNotEnoughMemory
	}
	err = c.update(func(s *State) error {
		if len(content) == 0 {
			delete(s.Objects, tag)
			return nil
		}
		if s.objectBytes()-len(s.Objects[tag])+len(content) > Capacity {
			return swError(apdu.SWNotEnoughMemory)
		}
		s.Objects[tag] = bytes.Clone(content)
		return nil
	})
	if err != nil {
		return nil, swFor(err)
	}
	return nil, apdu.SWOK
}
