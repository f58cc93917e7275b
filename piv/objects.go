package piv

import "fmt"

// Access says who may read a data object with GET DATA. Writing (PUT DATA) always needs the
// management key.
type Access int

const (
	// Always readable.
	Always Access = iota
	// PIN must have been verified in this session.
	PIN
)

// Object describes one PIV data object of the SP 800-73-4 data model (or a YubiKey vendor object).
type Object struct {
	Tag  uint32 // BER-TLV tag named in the GET DATA tag list (5FC1xx, 7E, 7F61, 5FFFxx)
	Name string
	Read Access
	Slot byte // key slot whose certificate this object holds, 0 if none
}

// Data object tags.
const (
	ObjCHUID           uint32 = 0x5FC102
	ObjCCC             uint32 = 0x5FC107
	ObjDiscovery       uint32 = 0x7E
	ObjKeyHistory      uint32 = 0x5FC10C
	ObjPrintedInfo     uint32 = 0x5FC109
	ObjSecurity        uint32 = 0x5FC106
	ObjFacialImage     uint32 = 0x5FC108
	ObjFingerprints    uint32 = 0x5FC103
	ObjIris            uint32 = 0x5FC121
	ObjBITGroup        uint32 = 0x7F61
	ObjSMCertSigner    uint32 = 0x5FC122
	ObjPairingCode     uint32 = 0x5FC123
	ObjCertAuth        uint32 = 0x5FC105 // 9A
	ObjCertSign        uint32 = 0x5FC10A // 9C
	ObjCertKeyMgmt     uint32 = 0x5FC10B // 9D
	ObjCertCardAuth    uint32 = 0x5FC101 // 9E
	ObjRetiredCert1    uint32 = 0x5FC10D // 82; 83..95 follow up to 5FC120
	ObjYubiAdminData   uint32 = 0x5FFF00 // YubiKey PIV "admin data" (PIN-protected management key flags)
	ObjYubiAttestCert  uint32 = 0x5FFF01 // YubiKey attestation certificate (slot F9)
	ObjYubiVendorFirst uint32 = 0x5FFF00
	ObjYubiVendorLast  uint32 = 0x5FFF15
)

// CertObject returns the data object tag holding the certificate of a key slot, or 0 when slot is
// not an asymmetric key slot.
func CertObject(slot byte) uint32 {
	switch slot {
	case SlotAuth:
		return ObjCertAuth
	case SlotSign:
		return ObjCertSign
	case SlotKeyMgmt:
		return ObjCertKeyMgmt
	case SlotCardAuth:
		return ObjCertCardAuth
	case SlotAttestation:
		return ObjYubiAttestCert
	}
	if slot >= SlotRetired1 && slot <= SlotRetired20 {
		return ObjRetiredCert1 + uint32(slot-SlotRetired1)
	}
	return 0
}

// LookupObject returns the description of the data object with the given tag; ok is false for a
// tag outside the data model.
func LookupObject(tag uint32) (Object, bool) {
	switch tag {
	case ObjCHUID:
		return Object{Tag: tag, Name: "Card Holder Unique Identifier"}, true
	case ObjCCC:
		return Object{Tag: tag, Name: "Card Capability Container"}, true
	case ObjDiscovery:
		return Object{Tag: tag, Name: "Discovery Object"}, true
	case ObjKeyHistory:
		return Object{Tag: tag, Name: "Key History Object"}, true
	case ObjPrintedInfo:
		return Object{Tag: tag, Name: "Printed Information", Read: PIN}, true
	case ObjSecurity:
		return Object{Tag: tag, Name: "Security Object"}, true
	case ObjFacialImage:
		return Object{Tag: tag, Name: "Cardholder Facial Image", Read: PIN}, true
	case ObjFingerprints:
		return Object{Tag: tag, Name: "Cardholder Fingerprints", Read: PIN}, true
	case ObjIris:
		return Object{Tag: tag, Name: "Cardholder Iris Images", Read: PIN}, true
	case ObjBITGroup:
		return Object{Tag: tag, Name: "Biometric Information Templates Group Template"}, true
	case ObjSMCertSigner:
		return Object{Tag: tag, Name: "Secure Messaging Certificate Signer"}, true
	case ObjPairingCode:
		return Object{Tag: tag, Name: "Pairing Code Reference Data Container", Read: PIN}, true
	case ObjYubiAdminData:
		return Object{Tag: tag, Name: "YubiKey Admin Data"}, true
	case ObjYubiAttestCert:
		return Object{Tag: tag, Name: "Attestation Certificate", Slot: SlotAttestation}, true
	}
	for _, s := range []byte{SlotAuth, SlotSign, SlotKeyMgmt, SlotCardAuth} {
		if CertObject(s) == tag {
			return Object{Tag: tag, Name: "X.509 Certificate for " + SlotName(s), Slot: s}, true
		}
	}
	if tag >= ObjRetiredCert1 && tag <= ObjRetiredCert1+uint32(SlotRetired20-SlotRetired1) {
		s := SlotRetired1 + byte(tag-ObjRetiredCert1)
		return Object{Tag: tag, Name: "X.509 Certificate for " + SlotName(s), Slot: s}, true
	}
	if tag >= ObjYubiVendorFirst && tag <= ObjYubiVendorLast {
		return Object{Tag: tag, Name: fmt.Sprintf("Vendor Object %06X", tag)}, true
	}
	return Object{}, false
}

// Objects returns every data object tag of the data model in a stable order (standard objects,
// retired certificates, then vendor objects).
func Objects() []uint32 {
	tags := []uint32{ObjCCC, ObjCHUID, ObjDiscovery, ObjCertAuth, ObjCertSign, ObjCertKeyMgmt, ObjCertCardAuth,
		ObjSecurity, ObjKeyHistory, ObjPrintedInfo, ObjFacialImage, ObjFingerprints, ObjIris, ObjBITGroup,
		ObjSMCertSigner, ObjPairingCode}
	for s := SlotRetired1; s <= SlotRetired20; s++ {
		tags = append(tags, CertObject(s))
	}
	for t := ObjYubiVendorFirst; t <= ObjYubiVendorLast; t++ {
		tags = append(tags, t)
	}
	return tags
}

// KeySlots returns every asymmetric key slot in a stable order.
func KeySlots() []byte {
	s := []byte{SlotAuth, SlotSign, SlotKeyMgmt, SlotCardAuth}
	for r := SlotRetired1; r <= SlotRetired20; r++ {
		s = append(s, r)
	}
	return s
}
