package vcard

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// Info is a description of a card's state without any secret: what `pivcard show` prints.
type Info struct {
	Serial         uint32       `json:"serial"`
	Version        string       `json:"version"`
	ATR            string       `json:"atr"`
	CHUIDGUID      string       `json:"chuid_guid,omitempty"`
	PINRetries     [2]int       `json:"pin_retries"` // remaining, total
	PUKRetries     [2]int       `json:"puk_retries"`
	PINDefault     bool         `json:"pin_default"`
	PUKDefault     bool         `json:"puk_default"`
	MgmAlg         string       `json:"mgm_alg"`
	MgmDefault     bool         `json:"mgm_default"`
	Keys           []KeyInfo    `json:"keys"`
	Objects        []ObjectInfo `json:"objects"`
	ObjectBytes    int          `json:"object_bytes"`
	ObjectCapacity int          `json:"object_capacity"`
}

// KeyInfo describes the key in one slot.
type KeyInfo struct {
	Slot      string `json:"slot"`
	Name      string `json:"name"`
	Alg       string `json:"alg"`
	PINPolicy string `json:"pin_policy"`
	Touch     string `json:"touch_policy"`
	Origin    string `json:"origin"`
	// PublicKeySHA256 is the SHA-256 of the DER SubjectPublicKeyInfo.
	PublicKeySHA256 string `json:"public_key_sha256"`
}

// ObjectInfo describes one data object.
type ObjectInfo struct {
	Tag  string `json:"tag"`
	Name string `json:"name"`
	Size int    `json:"size"`
	// Certificate is the subject of the certificate a certificate object holds.
	Certificate string `json:"certificate,omitempty"`
}

var policyNames = map[byte]string{piv.PINPolicyNever: "never", piv.PINPolicyOnce: "once", piv.PINPolicyAlways: "always"}
var touchNames = map[byte]string{piv.TouchPolicyNever: "never", piv.TouchPolicyAlways: "always", piv.TouchPolicyCached: "cached"}

// Info describes the card.
func (c *Card) Info() Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	info := Info{
		Serial:         s.Serial,
		Version:        fmt.Sprintf("%d.%d.%d", s.Version[0], s.Version[1], s.Version[2]),
		ATR:            fmt.Sprintf("%X", ATR()),
		PINRetries:     [2]int{s.PIN.Remaining, s.PIN.Retries},
		PUKRetries:     [2]int{s.PUK.Remaining, s.PUK.Retries},
		PINDefault:     s.PIN.IsDefault,
		PUKDefault:     s.PUK.IsDefault,
		MgmAlg:         piv.AlgName(s.MgmAlg),
		MgmDefault:     s.MgmAlg == piv.Alg3DES && string(s.MgmKey) == string(DefaultMgmKey),
		ObjectBytes:    s.objectBytes(),
		ObjectCapacity: Capacity,
	}
	if guid, ok, _ := tlv.Find(s.Objects[piv.ObjCHUID], 0x34); ok {
		info.CHUIDGUID = hex.EncodeToString(guid)
	}
	for _, slot := range piv.KeySlots() {
		k, ok := s.Keys[slot]
		signer := c.keys[slot]
		if !ok || signer == nil {
			continue
		}
		ki := KeyInfo{
			Slot:      fmt.Sprintf("%02x", slot),
			Name:      piv.SlotName(slot),
			Alg:       piv.AlgName(k.Alg),
			PINPolicy: policyNames[effectivePINPolicy(slot, k.PINPolicy)],
			Touch:     touchNames[effectiveTouchPolicy(k.TouchPolicy)],
			Origin:    map[byte]string{piv.OriginGenerated: "generated", piv.OriginImported: "imported"}[k.Origin],
		}
		if der, err := x509.MarshalPKIXPublicKey(signer.Public()); err == nil {
			sum := sha256.Sum256(der)
			ki.PublicKeySHA256 = hex.EncodeToString(sum[:])
		}
		info.Keys = append(info.Keys, ki)
	}
	tags := make([]uint32, 0, len(s.Objects))
	for t := range s.Objects {
		tags = append(tags, t)
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i] < tags[j] })
	for _, t := range tags {
		obj, _ := piv.LookupObject(t)
		oi := ObjectInfo{Tag: fmt.Sprintf("%X", t), Name: obj.Name, Size: len(s.Objects[t])}
		if obj.Slot != 0 {
			if der, ok, _ := tlv.Find(s.Objects[t], piv.TagCertificate); ok {
				if cert, err := x509.ParseCertificate(der); err == nil {
					oi.Certificate = cert.Subject.String()
				}
			}
		}
		info.Objects = append(info.Objects, oi)
	}
	return info
}
