package vcard

import (
	"crypto"
	"crypto/x509"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// validPolicies checks optional PIN (AA) and touch (AB) policy bytes.
func validPolicies(pin, touch []byte) (p, t byte, ok bool) {
	if pin != nil {
		if len(pin) != 1 || pin[0] > piv.PINPolicyAlways {
			return 0, 0, false
		}
		p = pin[0]
	}
	if touch != nil {
		if len(touch) != 1 || touch[0] > piv.TouchPolicyCached {
			return 0, 0, false
		}
		t = touch[0]
	}
	return p, t, true
}

// storeKey saves a new key in a slot (replacing any key there) and returns the public key
// elements for the response.
func (c *Card) storeKey(slot, alg byte, key crypto.Signer, pinPolicy, touchPolicy, origin byte) ([]byte, apdu.SW) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, apdu.SWUnknown
	}
	defer clear(der)
	pub, err := publicKeyTLVs(key.Public())
	if err != nil {
		return nil, apdu.SWUnknown
	}
	err = c.update(func(s *State) error {
		s.Keys[slot] = &Key{Alg: alg, PKCS8: append([]byte(nil), der...), PINPolicy: pinPolicy,
			TouchPolicy: touchPolicy, Origin: origin}
		return nil
	})
	if err != nil {
		return nil, swFor(err)
	}
	return pub, apdu.SWOK
}

// cmdGenerate answers GENERATE ASYMMETRIC KEY PAIR (P1=00, P2=slot, data AC{80 alg [AA pin policy]
// [AB touch policy]}) with the public key template 7F49. It needs the management key.
func (c *Card) cmdGenerate(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0x00 || !piv.IsKeySlot(cmd.P2) {
		return nil, apdu.SWIncorrectP1P2
	}
	els, err := tlv.ParseAll(cmd.Data)
	if err != nil || len(els) != 1 || els[0].Tag != piv.TagKeyGenTemplate {
		return nil, apdu.SWWrongData
	}
	inner, err := tlv.ParseAll(els[0].Value)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	var alg, pinP, touchP []byte
	for _, e := range inner {
		switch e.Tag {
		case 0x80:
			alg = e.Value
		case 0xAA:
			pinP = e.Value
		case 0xAB:
			touchP = e.Value
		default:
			return nil, apdu.SWWrongData
		}
	}
	if len(alg) != 1 || !piv.IsAsymmetric(alg[0]) {
		return nil, apdu.SWWrongData
	}
	p, t, ok := validPolicies(pinP, touchP)
	if !ok {
		return nil, apdu.SWWrongData
	}
	if !c.mgmAuthed {
		return nil, apdu.SWSecurityStatusNotSatisfied
	}
	key, err := generateKey(alg[0], c.rand)
	if err != nil {
		return nil, apdu.SWUnknown
	}
	pub, sw := c.storeKey(cmd.P2, alg[0], key, p, t, piv.OriginGenerated)
	if sw != apdu.SWOK {
		return nil, sw
	}
	return tlv.Encode(piv.TagPublicKey, pub), apdu.SWOK
}

// cmdImportKey answers the YubiKey IMPORT ASYMMETRIC KEY (P1=algorithm, P2=slot): RSA keys as
// 01 p, 02 q, 03 dP, 04 dQ, 05 qInv; ECC keys as 06 private scalar; optional AA / AB policies.
func (c *Card) cmdImportKey(cmd apdu.Command) ([]byte, apdu.SW) {
	if !piv.IsKeySlot(cmd.P2) || !piv.IsAsymmetric(cmd.P1) {
		return nil, apdu.SWIncorrectP1P2
	}
	els, err := tlv.ParseAll(cmd.Data)
	if err != nil {
		return nil, apdu.SWWrongData
	}
	parts := map[tlv.Tag][]byte{}
	for _, e := range els {
		if e.Tag < 0x01 || (e.Tag > 0x06 && e.Tag != 0xAA && e.Tag != 0xAB) {
			return nil, apdu.SWWrongData
		}
		if _, dup := parts[e.Tag]; dup {
			return nil, apdu.SWWrongData
		}
		parts[e.Tag] = e.Value
	}
	p, t, ok := validPolicies(parts[0xAA], parts[0xAB])
	if !ok {
		return nil, apdu.SWWrongData
	}
	if !c.mgmAuthed {
		return nil, apdu.SWSecurityStatusNotSatisfied
	}
	var key crypto.Signer
	if bits := piv.RSABits(cmd.P1); bits != 0 {
		if _, bad := parts[0x06]; bad {
			return nil, apdu.SWWrongData
		}
		k, err := importRSA(bits, parts[0x01], parts[0x02], parts[0x03], parts[0x04], parts[0x05])
		if err != nil {
			return nil, apdu.SWWrongData
		}
		key = k
	} else {
		for tag := tlv.Tag(1); tag <= 5; tag++ {
			if _, bad := parts[tag]; bad {
				return nil, apdu.SWWrongData
			}
		}
		k, err := importEC(cmd.P1, parts[0x06])
		if err != nil {
			return nil, apdu.SWWrongData
		}
		key = k
	}
	if _, sw := c.storeKey(cmd.P2, cmd.P1, key, p, t, piv.OriginImported); sw != apdu.SWOK {
		return nil, sw
	}
	return nil, apdu.SWOK
}
