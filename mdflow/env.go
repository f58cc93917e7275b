package mdflow

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

// Hex is a byte string that JSON encodes as hexadecimal.
type Hex []byte

// MarshalJSON encodes h as a hex string (null for nil).
func (h Hex) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("null"), nil
	}
	return json.Marshal(hex.EncodeToString(h))
}

// UnmarshalJSON decodes a hex string.
func (h *Hex) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*h = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// Env is what the flows need to check results: the card's ATR and name for CardAcquireContext,
// its secrets, and what it holds. Tests build it from the provisioning; cmd/mdhost reads it from
// the JSON file its launcher wrote (ReadEnvFile) and completes it from the card (FillFromCard).
type Env struct {
	ATR      Hex    `json:"atr"`
	CardName string `json:"card_name"`
	PIN      Hex    `json:"pin"`
	PUK      Hex    `json:"puk"`
	MgmKey   Hex    `json:"mgm_key"`
	MgmAlg   byte   `json:"mgm_alg"` // piv.Alg3DES or an AES algorithm
	// GUID is the CHUID GUID (= cardid).
	GUID Hex `json:"guid"`
	// Certs maps a key slot ("9a", "9c", "9d", "9e") to the DER certificate in its object.
	Certs map[string]Hex `json:"certs"`
	// PINRetries is the number of PIN attempts the card allows (0: 3).
	PINRetries int `json:"pin_retries"`
}

// DefaultCardName is the card name the flows give CardAcquireContext.
const DefaultCardName = "cardmod virtual PIV"

// NewEnv returns an Env with the virtual card's defaults: its ATR and the default PIN, PUK and
// management key. GUID and Certs are left for the caller (or FillFromCard).
func NewEnv() Env {
	return Env{ATR: vcard.ATR(), CardName: DefaultCardName, PIN: bytes.Clone(vcard.DefaultPIN),
		PUK: bytes.Clone(vcard.DefaultPUK), MgmKey: bytes.Clone(vcard.DefaultMgmKey), MgmAlg: piv.Alg3DES,
		Certs: map[string]Hex{}}
}

// SlotKey names a slot in Env.Certs.
func SlotKey(slot byte) string { return fmt.Sprintf("%02x", slot) }

// SetCert records the certificate of a slot.
func (e *Env) SetCert(slot byte, der []byte) {
	if e.Certs == nil {
		e.Certs = map[string]Hex{}
	}
	e.Certs[SlotKey(slot)] = bytes.Clone(der)
}

// Cert returns the DER certificate of a slot, or nil.
func (e Env) Cert(slot byte) []byte { return e.Certs[SlotKey(slot)] }

// Pub returns the public key of a slot's certificate, or nil.
func (e Env) Pub(slot byte) crypto.PublicKey {
	der := e.Cert(slot)
	if der == nil {
		return nil
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil
	}
	return c.PublicKey
}

// Slots returns the slots with a certificate, sorted.
func (e Env) Slots() []byte {
	var out []byte
	for _, s := range piv.KeySlots() {
		if e.Cert(s) != nil {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Retries is the PIN retry count of the card.
func (e Env) Retries() int {
	if e.PINRetries <= 0 {
		return 3
	}
	return e.PINRetries
}

// Params returns the acquire parameters of a normal context: version 7, the card's ATR and name.
func (e Env) Params() AcquireParams {
	return AcquireParams{Version: 7, ATR: bytes.Clone(e.ATR), CardName: e.CardName}
}

// Check reports what the flows need and the Env lacks.
func (e Env) Check() error {
	var missing []string
	if len(e.ATR) == 0 {
		missing = append(missing, "atr")
	}
	if len(e.PIN) == 0 {
		missing = append(missing, "pin")
	}
	if len(e.PUK) == 0 {
		missing = append(missing, "puk")
	}
	if len(e.MgmKey) == 0 {
		missing = append(missing, "mgm_key")
	}
	if len(e.GUID) != 16 {
		missing = append(missing, "guid (16 bytes)")
	}
	for _, s := range StandardSlots {
		if e.Cert(s) == nil {
			missing = append(missing, "certs."+SlotKey(s))
		}
	}
	if missing != nil {
		return fmt.Errorf("mdflow: the environment lacks %v", missing)
	}
	return nil
}

// StandardSlots are the slots the flows expect keys and certificates in (the provisioning of
// enginetest.StandardKeys): 9A RSA-2048, 9C ECC P-256, 9D RSA-2048, 9E ECC P-384.
var StandardSlots = []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth}

// ReadEnvFile reads an Env written as JSON (cmd/mdhost --env).
func ReadEnvFile(path string) (Env, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Env{}, err
	}
	var e Env
	if err := json.Unmarshal(b, &e); err != nil {
		return Env{}, fmt.Errorf("%s: %w", path, err)
	}
	if e.MgmAlg == 0 {
		e.MgmAlg = piv.Alg3DES
	}
	if e.CardName == "" {
		e.CardName = DefaultCardName
	}
	return e, nil
}

// WriteEnvFile writes e as JSON.
func WriteEnvFile(path string, e Env) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// FillFromCard completes e from the card: the CHUID GUID and the certificates of the standard
// slots, read with a PIV client (nothing is changed on the card; the PIV application stays
// selected). Values e already has are kept.
func (e *Env) FillFromCard(card apdu.Transport) error {
	c := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
	if _, err := c.Select(); err != nil {
		return fmt.Errorf("select PIV: %w", err)
	}
	if len(e.GUID) == 0 {
		chuid, err := c.GetData(piv.ObjCHUID)
		if err != nil {
			return fmt.Errorf("read CHUID: %w", err)
		}
		g, ok, _ := tlv.Find(chuid, 0x34)
		if !ok || len(g) != 16 {
			return errors.New("the CHUID has no 16-byte GUID")
		}
		e.GUID = bytes.Clone(g)
	}
	for _, slot := range StandardSlots {
		if e.Cert(slot) != nil {
			continue
		}
		obj, err := c.GetData(piv.CertObject(slot))
		if errors.Is(err, apdu.SWFileNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read certificate %02X: %w", slot, err)
		}
		der, err := CertFromObject(obj)
		if err != nil {
			return fmt.Errorf("certificate %02X: %w", slot, err)
		}
		e.SetCert(slot, der)
	}
	return nil
}

// CertFromObject extracts the DER certificate of a PIV certificate object (tag 70, inflated when
// CertInfo 71 says gzip).
func CertFromObject(obj []byte) ([]byte, error) {
	der, ok, err := tlv.Find(obj, piv.TagCertificate)
	if err != nil || !ok {
		return nil, fmt.Errorf("no certificate in the object (%v)", err)
	}
	if info, ok, _ := tlv.Find(obj, piv.TagCertInfo); ok && len(info) == 1 && info[0]&1 != 0 {
		zr, err := gzip.NewReader(bytes.NewReader(der))
		if err != nil {
			return nil, err
		}
		der, err = io.ReadAll(io.LimitReader(zr, 1<<16))
		if err != nil {
			return nil, err
		}
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		return nil, err
	}
	return bytes.Clone(der), nil
}
