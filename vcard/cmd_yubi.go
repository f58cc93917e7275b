package vcard

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// cmdGetVersion answers the YubiKey GET VERSION: three bytes, major.minor.patch.
func (c *Card) cmdGetVersion(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	return c.st.Version[:], apdu.SWOK
}

// cmdGetSerial answers the YubiKey GET SERIAL: four bytes, big-endian.
func (c *Card) cmdGetSerial(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	return binary.BigEndian.AppendUint32(nil, c.st.Serial), apdu.SWOK
}

// cmdSetMgmKey answers the YubiKey SET MANAGEMENT KEY: P1 FF (no touch) or FE (touch), P2 FF,
// data = algorithm, 9B, length, key. It needs the management key.
func (c *Card) cmdSetMgmKey(cmd apdu.Command) ([]byte, apdu.SW) {
	if (cmd.P1 != 0xFF && cmd.P1 != 0xFE) || cmd.P2 != 0xFF {
		return nil, apdu.SWIncorrectP1P2
	}
	d := cmd.Data
	if len(d) < 3 || d[1] != piv.RefMgmKey || int(d[2]) != len(d)-3 {
		return nil, apdu.SWWrongData
	}
	alg, key := d[0], d[3:]
	if n := piv.MgmKeyLen(alg); n == 0 || n != len(key) {
		return nil, apdu.SWWrongData
	}
	if !c.mgmAuthed {
		return nil, apdu.SWSecurityStatusNotSatisfied
	}
	touch := piv.TouchPolicyNever
	if cmd.P1 == 0xFE {
		touch = piv.TouchPolicyAlways
	}
	err := c.update(func(s *State) error {
		s.MgmAlg, s.MgmKey, s.MgmTouch = alg, bytes.Clone(key), touch
		return nil
	})
	if err != nil {
		return nil, swFor(err)
	}
	return nil, apdu.SWOK
}

// cmdReset answers the YubiKey RESET: allowed only when both the PIN and the PUK are blocked; it
// erases keys and data objects and restores the default PIN, PUK and management key.
func (c *Card) cmdReset(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if c.st.PIN.Remaining != 0 || c.st.PUK.Remaining != 0 {
		return nil, apdu.SWConditionsNotSatisfied
	}
	err := c.update(func(s *State) error {
		return s.factoryReset(c.rand, c.now(), DefaultPIN, DefaultPUK, piv.Alg3DES, DefaultMgmKey)
	})
	if err != nil {
		return nil, swFor(err)
	}
	c.resetVolatile()
	return nil, apdu.SWOK
}

// cmdSetPINRetries answers the YubiKey SET PIN RETRIES (P1 = PIN tries, P2 = PUK tries). It needs
// the management key and a verified PIN, and resets PIN and PUK to their defaults.
func (c *Card) cmdSetPINRetries(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 == 0 || cmd.P2 == 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) != 0 {
		return nil, apdu.SWWrongLength
	}
	if !c.mgmAuthed || !c.pinVerified {
		return nil, apdu.SWSecurityStatusNotSatisfied
	}
	err := c.update(func(s *State) error {
		s.PIN.Retries, s.PUK.Retries = int(cmd.P1), int(cmd.P2)
		for _, x := range []struct {
			sec *Secret
			def []byte
		}{{&s.PIN, DefaultPIN}, {&s.PUK, DefaultPUK}} {
			salt, err := newSalt(c.rand)
			if err != nil {
				return err
			}
			p, _ := padPIN(x.def)
			x.sec.set(salt, p[:], true)
		}
		return nil
	})
	if err != nil {
		return nil, swFor(err)
	}
	c.pinVerified, c.pinFresh = false, false
	return nil, apdu.SWOK
}

// cmdGetMetadata answers the YubiKey GET METADATA (P2 = key reference): 01 algorithm, 02 policies,
// 03 origin, 04 public key, 05 default value, 06 retries (total, remaining).
func (c *Card) cmdGetMetadata(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	var b tlv.Builder
	switch ref := cmd.P2; {
	case ref == piv.RefPIN || ref == piv.RefPUK:
		sec := secretFor(c.st, ref)
		b.Add(0x01, []byte{0xFF})
		b.Add(0x05, []byte{boolByte(sec.IsDefault)})
		b.Add(0x06, []byte{byte(sec.Retries), byte(sec.Remaining)})
	case ref == piv.RefMgmKey:
		b.Add(0x01, []byte{c.st.MgmAlg})
		b.Add(0x02, []byte{piv.PINPolicyNever, c.st.MgmTouch})
		b.Add(0x05, []byte{boolByte(c.st.MgmAlg == piv.Alg3DES && bytes.Equal(c.st.MgmKey, DefaultMgmKey))})
	case piv.IsKeySlot(ref):
		key, ok := c.st.Keys[ref]
		signer := c.keys[ref]
		if !ok || signer == nil {
			return nil, apdu.SWReferencedDataNotFound
		}
		pub, err := publicKeyTLVs(signer.Public())
		if err != nil {
			return nil, apdu.SWUnknown
		}
		b.Add(0x01, []byte{key.Alg})
		b.Add(0x02, []byte{effectivePINPolicy(ref, key.PINPolicy), effectiveTouchPolicy(key.TouchPolicy)})
		b.Add(0x03, []byte{key.Origin})
		b.Add(0x04, pub)
	case ref == piv.SlotAttestation:
		key, err := x509.ParsePKCS8PrivateKey(c.st.AttestKey)
		if err != nil {
			return nil, apdu.SWUnknown
		}
		ek := key.(*ecdsa.PrivateKey)
		pub, err := publicKeyTLVs(&ek.PublicKey)
		if err != nil {
			return nil, apdu.SWUnknown
		}
		b.Add(0x01, []byte{piv.AlgECCP256})
		b.Add(0x02, []byte{piv.PINPolicyNever, piv.TouchPolicyNever})
		b.Add(0x03, []byte{piv.OriginImported})
		b.Add(0x04, pub)
	default:
		return nil, apdu.SWReferencedDataNotFound
	}
	return b.Bytes(), apdu.SWOK
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// Attestation certificate extensions, under Yubico's OID arc 1.3.6.1.4.1.41482.3 that attestation
// verifiers read.
var (
	oidFirmware   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 3}
	oidSerial     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 7}
	oidPolicy     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 8}
	oidFormFactor = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 9}
)

// cmdAttest answers the YubiKey ATTEST (P1 = slot): a certificate for the slot's public key,
// signed by the attestation key, stating that the key was generated on this card. Imported keys
// cannot be attested.
func (c *Card) cmdAttest(cmd apdu.Command) ([]byte, apdu.SW) {
	if !piv.IsKeySlot(cmd.P1) || cmd.P2 != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	key, ok := c.st.Keys[cmd.P1]
	signer := c.keys[cmd.P1]
	if !ok || signer == nil {
		return nil, apdu.SWReferencedDataNotFound
	}
	if key.Origin != piv.OriginGenerated {
		return nil, apdu.SWWrongData
	}
	der, err := c.attestCert(cmd.P1, key, signer.Public())
	if err != nil {
		return nil, apdu.SWUnknown
	}
	return der, apdu.SWOK
}

func (c *Card) attestCert(slot byte, key *Key, pub any) ([]byte, error) {
	ak, err := x509.ParsePKCS8PrivateKey(c.st.AttestKey)
	if err != nil {
		return nil, fmt.Errorf("attestation key: %w", err)
	}
	signer, ok := ak.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("attestation key of type %T", ak)
	}
	obj, err := tlv.ParseAll(c.st.Objects[piv.ObjYubiAttestCert])
	if err != nil || len(obj) == 0 || obj[0].Tag != piv.TagCertificate {
		return nil, fmt.Errorf("attestation certificate missing")
	}
	issuer, err := x509.ParseCertificate(obj[0].Value)
	if err != nil {
		return nil, fmt.Errorf("attestation certificate: %w", err)
	}
	serialDER, err := asn1.Marshal(int64(c.st.Serial))
	if err != nil {
		return nil, err
	}
	sn, err := randInt(c.rand, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: fmt.Sprintf("cardmod PIV Attestation %02x", slot)},
		NotBefore:    c.now().Add(-time.Hour).UTC(),
		NotAfter:     issuer.NotAfter,
		ExtraExtensions: []pkix.Extension{
			{Id: oidFirmware, Value: c.st.Version[:]},
			{Id: oidSerial, Value: serialDER},
			{Id: oidPolicy, Value: []byte{effectivePINPolicy(slot, key.PINPolicy), effectiveTouchPolicy(key.TouchPolicy)}},
			{Id: oidFormFactor, Value: []byte{0x00}},
		},
	}
	return x509.CreateCertificate(c.rand, tmpl, issuer, pub, signer)
}
