package piv

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/rsapad"
	"github.com/cardmod/cardmod/tlv"
)

// Client speaks the PIV card application over an APDU transport: the host side of SP 800-73-4
// part 2 and of the YubiKey extensions. It holds no secrets; every PIN or key it is given is
// used for one command and the command buffer is wiped afterwards.
type Client struct {
	ex   *apdu.Exchanger
	rand io.Reader
}

// ClientOptions configure a Client.
type ClientOptions struct {
	// ExtendedLength sends long commands as one extended APDU instead of a command chain.
	ExtendedLength bool
	// Rand is the source of management key challenges; crypto/rand when nil.
	Rand io.Reader
}

// NewClient returns a client sending its commands over t.
func NewClient(t apdu.Transport, opts ClientOptions) *Client {
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	return &Client{ex: &apdu.Exchanger{T: t, ExtendedLength: opts.ExtendedLength}, rand: r}
}

// Stats returns the APDU traffic of the client so far.
func (c *Client) Stats() apdu.Stats { return c.ex.Stats() }

// ResetStats zeroes the traffic counters.
func (c *Client) ResetStats() { c.ex.ResetStats() }

func (c *Client) do(ins, p1, p2 byte, data []byte) ([]byte, error) {
	ne := 256
	if c.ex.ExtendedLength {
		ne = 65536 // the whole response in one exchange
	}
	switch ins {
	case InsVerify, InsChangeReference, InsResetRetryCounter, InsPutData, InsSetMgmKey, InsImportKey, InsReset, InsSetPINRetries:
		ne = 0 // ISO case 1 or 3: these answer no data, so no Le is sent
	}
	return c.ex.Do(apdu.Command{INS: ins, P1: p1, P2: p2, Data: data, Ne: ne})
}

// Select selects the PIV application and returns its application property template content.
func (c *Client) Select() ([]byte, error) {
	out, err := c.do(InsSelect, 0x04, 0x00, AID)
	if err != nil {
		return nil, fmt.Errorf("select PIV application: %w", err)
	}
	apt, ok, err := tlv.Find(out, TagAPT)
	if err != nil || !ok {
		return nil, fmt.Errorf("select PIV application: malformed application property template")
	}
	return apt, nil
}

func objectTagBytes(tag uint32) []byte {
	switch {
	case tag <= 0xFF:
		return []byte{byte(tag)}
	case tag <= 0xFFFF:
		return []byte{byte(tag >> 8), byte(tag)}
	}
	return []byte{byte(tag >> 16), byte(tag >> 8), byte(tag)}
}

// GetData reads a data object and returns its content (the value inside 53, or inside 7E / 7F61
// for the discovery object and the BIT group template). A missing object gives an error that
// matches apdu.SWFileNotFound with errors.Is.
func (c *Client) GetData(tag uint32) ([]byte, error) {
	out, err := c.do(InsGetData, 0x3F, 0xFF, tlv.Encode(TagTagList, objectTagBytes(tag)))
	if err != nil {
		return nil, fmt.Errorf("read data object %06X: %w", tag, err)
	}
	wrapper := tlv.Tag(TagData)
	if tag == ObjDiscovery || tag == ObjBITGroup {
		wrapper = tlv.Tag(tag)
	}
	el, rest, err := tlv.Parse(out)
	if err != nil || el.Tag != wrapper || len(rest) != 0 {
		return nil, fmt.Errorf("read data object %06X: malformed response", tag)
	}
	return el.Value, nil
}

// PutData writes a data object (an empty content deletes it). It needs the management key.
func (c *Client) PutData(tag uint32, content []byte) error {
	var data []byte
	if tag == ObjDiscovery || tag == ObjBITGroup {
		data = tlv.Encode(tlv.Tag(tag), content)
	} else {
		data = tlv.Append(tlv.Encode(TagTagList, objectTagBytes(tag)), TagData, content)
	}
	if _, err := c.do(InsPutData, 0x3F, 0xFF, data); err != nil {
		return fmt.Errorf("write data object %06X: %w", tag, err)
	}
	return nil
}

// PadPIN returns the 8-byte form of a PIN or PUK (the value then FF bytes). It fails when the
// value is not 1 to 8 bytes.
func PadPIN(pin []byte) ([]byte, error) {
	if len(pin) == 0 || len(pin) > 8 {
		return nil, fmt.Errorf("PIN or PUK of %d bytes: must be 1 to 8", len(pin))
	}
	p := bytes.Repeat([]byte{0xFF}, 8)
	copy(p, pin)
	return p, nil
}

// VerifyPIN presents the PIN. A wrong PIN gives an error matching apdu.SW 63Cx (the retries left
// via apdu.SW.Retries) or 6983 when blocked.
func (c *Client) VerifyPIN(pin []byte) error {
	p, err := PadPIN(pin)
	if err != nil {
		return err
	}
	defer clear(p)
	if _, err := c.do(InsVerify, 0x00, RefPIN, p); err != nil {
		return fmt.Errorf("verify PIN: %w", err)
	}
	return nil
}

// PINStatus asks whether the PIN is verified, without presenting it. retries is the number of
// tries left (meaningful when not verified).
func (c *Client) PINStatus() (verified bool, retries int, err error) {
	r, err := c.ex.Exchange(apdu.Command{INS: InsVerify, P2: RefPIN})
	if err != nil {
		return false, 0, fmt.Errorf("PIN status: %w", err)
	}
	switch {
	case r.SW == apdu.SWOK:
		return true, 0, nil
	case r.SW == apdu.SWAuthMethodBlocked:
		return false, 0, nil
	}
	if n, ok := r.SW.Retries(); ok {
		return false, n, nil
	}
	return false, 0, fmt.Errorf("PIN status: %w", r.Err(InsVerify))
}

// Logout resets the PIN's security status (VERIFY with P1=FF) without resetting the card.
func (c *Client) Logout() error {
	if _, err := c.ex.Do(apdu.Command{INS: InsVerify, P1: 0xFF, P2: RefPIN}); err != nil {
		return fmt.Errorf("reset PIN status: %w", err)
	}
	return nil
}

// ChangeReference changes the PIN (ref RefPIN) or the PUK (RefPUK).
func (c *Client) ChangeReference(ref byte, old, new []byte) error {
	o, err := PadPIN(old)
	if err != nil {
		return err
	}
	n, err := PadPIN(new)
	if err != nil {
		return err
	}
	data := append(o, n...)
	defer clear(data)
	defer clear(n)
	if _, err := c.do(InsChangeReference, 0x00, ref, data); err != nil {
		return fmt.Errorf("change reference data %02X: %w", ref, err)
	}
	return nil
}

// UnblockPIN sets a new PIN with the PUK (RESET RETRY COUNTER).
func (c *Client) UnblockPIN(puk, newPIN []byte) error {
	o, err := PadPIN(puk)
	if err != nil {
		return err
	}
	n, err := PadPIN(newPIN)
	if err != nil {
		return err
	}
	data := append(o, n...)
	defer clear(data)
	defer clear(n)
	if _, err := c.do(InsResetRetryCounter, 0x00, RefPIN, data); err != nil {
		return fmt.Errorf("unblock PIN: %w", err)
	}
	return nil
}

func mgmBlock(alg byte, key []byte) (cipher.Block, error) {
	if n := MgmKeyLen(alg); n == 0 || n != len(key) {
		return nil, fmt.Errorf("management key: %d bytes for %s", len(key), AlgName(alg))
	}
	if alg == Alg3DES {
		return des.NewTripleDESCipher(key)
	}
	return aes.NewCipher(key)
}

// ErrCardNotAuthenticated is returned when the card's answer to our challenge is wrong during
// mutual authentication: the card does not know the management key (or is an impostor).
var ErrCardNotAuthenticated = errors.New("card failed to prove knowledge of the management key")

// AuthenticateMgm runs the mutual authentication with the management key (2 APDUs): the card
// proves it knows the key too.
func (c *Client) AuthenticateMgm(alg byte, key []byte) error {
	blk, err := mgmBlock(alg, key)
	if err != nil {
		return err
	}
	bs := blk.BlockSize()
	out, err := c.do(InsGeneralAuth, alg, RefMgmKey, []byte{TagDynAuth, 0x02, TagWitness, 0x00})
	if err != nil {
		return fmt.Errorf("management key: request witness: %w", err)
	}
	dyn, ok, err := tlv.Find(out, TagDynAuth)
	if err != nil || !ok {
		return errors.New("management key: malformed witness response")
	}
	enc, ok, err := tlv.Find(dyn, TagWitness)
	if err != nil || !ok || len(enc) != bs {
		return errors.New("management key: malformed witness")
	}
	witness := make([]byte, bs)
	blk.Decrypt(witness, enc)
	challenge := make([]byte, bs)
	if _, err := io.ReadFull(c.rand, challenge); err != nil {
		return fmt.Errorf("management key: %w", err)
	}
	var b tlv.Builder
	b.AddNested(TagDynAuth, func(b *tlv.Builder) {
		b.Add(TagWitness, witness)
		b.Add(TagChallenge, challenge)
	})
	msg := b.Bytes()
	defer clear(msg)
	defer clear(witness)
	out, err = c.do(InsGeneralAuth, alg, RefMgmKey, msg)
	if err != nil {
		return fmt.Errorf("management key: %w", err)
	}
	dyn, ok, err = tlv.Find(out, TagDynAuth)
	if err != nil || !ok {
		return errors.New("management key: malformed response")
	}
	resp, ok, err := tlv.Find(dyn, TagResponse)
	if err != nil || !ok || len(resp) != bs {
		return errors.New("management key: malformed response")
	}
	want := make([]byte, bs)
	blk.Encrypt(want, challenge)
	if subtle.ConstantTimeCompare(want, resp) != 1 {
		return ErrCardNotAuthenticated
	}
	return nil
}

// Generate makes a new key pair in slot (GENERATE ASYMMETRIC KEY PAIR) and returns its public
// key. Zero policies leave the card's defaults. It needs the management key.
func (c *Client) Generate(slot, alg, pinPolicy, touchPolicy byte) (crypto.PublicKey, error) {
	var b tlv.Builder
	b.AddNested(TagKeyGenTemplate, func(b *tlv.Builder) {
		b.Add(0x80, []byte{alg})
		if pinPolicy != 0 {
			b.Add(0xAA, []byte{pinPolicy})
		}
		if touchPolicy != 0 {
			b.Add(0xAB, []byte{touchPolicy})
		}
	})
	out, err := c.do(InsGenerateAsymmetric, 0x00, slot, b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generate %s key in slot %02X: %w", AlgName(alg), slot, err)
	}
	tmpl, ok, err := tlv.Find(out, TagPublicKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("generate key: malformed response")
	}
	pub, err := ParsePublicKey(alg, tmpl)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return pub, nil
}

// ParsePublicKey decodes the elements of a 7F49 public key template (81 modulus and 82 exponent
// for RSA, 86 point for ECC), checking them against alg.
func ParsePublicKey(alg byte, elems []byte) (crypto.PublicKey, error) {
	if bits := RSABits(alg); bits != 0 {
		n, ok1, err1 := tlv.Find(elems, 0x81)
		e, ok2, err2 := tlv.Find(elems, 0x82)
		if err1 != nil || err2 != nil || !ok1 || !ok2 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("malformed RSA public key")
		}
		N := new(big.Int).SetBytes(n)
		E := new(big.Int).SetBytes(e)
		if N.BitLen() != bits || E.Int64() < 3 || E.Bit(0) == 0 {
			return nil, fmt.Errorf("RSA public key of %d bits for %s", N.BitLen(), AlgName(alg))
		}
		return &rsa.PublicKey{N: N, E: int(E.Int64())}, nil
	}
	var curve elliptic.Curve
	switch alg {
	case AlgECCP256:
		curve = elliptic.P256()
	case AlgECCP384:
		curve = elliptic.P384()
	default:
		return nil, fmt.Errorf("no public key format for %s", AlgName(alg))
	}
	pt, ok, err := tlv.Find(elems, 0x86)
	if err != nil || !ok {
		return nil, errors.New("malformed EC public key")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, pt)
	if err != nil {
		return nil, fmt.Errorf("EC public key: %w", err)
	}
	return pub, nil
}

// generalAuth runs a private-key GENERAL AUTHENTICATE: 7C{82 00, tag input} → 7C{82 output}.
func (c *Client) generalAuth(slot, alg byte, tag tlv.Tag, in []byte) ([]byte, error) {
	var b tlv.Builder
	b.AddNested(TagDynAuth, func(b *tlv.Builder) {
		b.Add(TagResponse, nil)
		b.Add(tag, in)
	})
	out, err := c.do(InsGeneralAuth, alg, slot, b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("private-key operation with slot %02X: %w", slot, err)
	}
	dyn, ok, err := tlv.Find(out, TagDynAuth)
	if err != nil || !ok {
		return nil, errors.New("private-key operation: malformed response")
	}
	res, ok, err := tlv.Find(dyn, TagResponse)
	if err != nil || !ok {
		return nil, errors.New("private-key operation: malformed response")
	}
	return res, nil
}

// PrivateOp runs the raw private-key operation of slot: for RSA, input^d mod n (the input is the
// full modulus-size block: a signature block or a ciphertext); for ECC, an ECDSA signature (DER)
// of the digest given as input.
func (c *Client) PrivateOp(slot, alg byte, in []byte) ([]byte, error) {
	return c.generalAuth(slot, alg, TagChallenge, in)
}

// ECDH computes the shared secret (the X coordinate) of the slot's ECC key with an uncompressed
// peer point.
func (c *Client) ECDH(slot, alg byte, peerPoint []byte) ([]byte, error) {
	return c.generalAuth(slot, alg, TagExponentiate, peerPoint)
}

// Version returns the YubiKey-compatible firmware version (GET VERSION).
func (c *Client) Version() ([3]byte, error) {
	out, err := c.do(InsGetVersion, 0, 0, nil)
	if err != nil {
		return [3]byte{}, fmt.Errorf("get version: %w", err)
	}
	if len(out) != 3 {
		return [3]byte{}, fmt.Errorf("get version: %d bytes", len(out))
	}
	return [3]byte(out), nil
}

// Serial returns the YubiKey-compatible serial number (GET SERIAL).
func (c *Client) Serial() (uint32, error) {
	out, err := c.do(InsGetSerial, 0, 0, nil)
	if err != nil {
		return 0, fmt.Errorf("get serial: %w", err)
	}
	if len(out) != 4 {
		return 0, fmt.Errorf("get serial: %d bytes", len(out))
	}
	return binary.BigEndian.Uint32(out), nil
}

// Metadata returns the elements of GET METADATA for a key reference (01 algorithm, 02 policies,
// 03 origin, 04 public key, 05 default, 06 retries) as a map from tag to value.
func (c *Client) Metadata(ref byte) (map[byte][]byte, error) {
	out, err := c.do(InsGetMetadata, 0, ref, nil)
	if err != nil {
		return nil, fmt.Errorf("metadata of %02X: %w", ref, err)
	}
	els, err := tlv.ParseAll(out)
	if err != nil {
		return nil, fmt.Errorf("metadata of %02X: %w", ref, err)
	}
	m := make(map[byte][]byte, len(els))
	for _, e := range els {
		if e.Tag <= 0xFF {
			m[byte(e.Tag)] = e.Value
		}
	}
	return m, nil
}

// Signer is a crypto.Signer whose private key lives in a card slot (PKCS#1 v1.5 for RSA, ECDSA
// for ECC). The PIN must have been verified as the slot's policy requires.
type Signer struct {
	C    *Client
	Slot byte
	Alg  byte
	Pub  crypto.PublicKey
}

// Public returns the slot's public key.
func (s *Signer) Public() crypto.PublicKey { return s.Pub }

// Sign signs a digest with the card. For RSA, opts.HashFunc() selects the DigestInfo; PSS is not
// offered here.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if bits := RSABits(s.Alg); bits != 0 {
		if _, pss := opts.(*rsa.PSSOptions); pss {
			return nil, errors.New("piv.Signer: PSS is not supported")
		}
		em, err := rsapad.PKCS1v15SignBlock(bits/8, opts.HashFunc(), digest)
		if err != nil {
			return nil, err
		}
		return s.C.PrivateOp(s.Slot, s.Alg, em)
	}
	return s.C.PrivateOp(s.Slot, s.Alg, digest)
}

// MgmChallenge asks the card for a management key challenge (external authentication, step 1):
// the host proves knowledge of the key by returning the challenge encrypted with it.
func (c *Client) MgmChallenge(alg byte) ([]byte, error) {
	out, err := c.do(InsGeneralAuth, alg, RefMgmKey, []byte{TagDynAuth, 0x02, TagChallenge, 0x00})
	if err != nil {
		return nil, fmt.Errorf("management key challenge: %w", err)
	}
	dyn, ok, err := tlv.Find(out, TagDynAuth)
	if err != nil || !ok {
		return nil, errors.New("management key challenge: malformed response")
	}
	ch, ok, err := tlv.Find(dyn, TagChallenge)
	if err != nil || !ok || len(ch) == 0 || len(ch) > 16 {
		return nil, errors.New("management key challenge: malformed challenge")
	}
	return ch, nil
}

// MgmExternalAuth answers the challenge of MgmChallenge (external authentication, step 2).
func (c *Client) MgmExternalAuth(alg byte, response []byte) error {
	data := tlv.Encode(TagDynAuth, tlv.Encode(TagResponse, response))
	if _, err := c.do(InsGeneralAuth, alg, RefMgmKey, data); err != nil {
		return fmt.Errorf("management key response: %w", err)
	}
	return nil
}

// SetMgmKey replaces the management key (YubiKey SET MANAGEMENT KEY). It needs the management key.
func (c *Client) SetMgmKey(alg byte, key []byte, touch bool) error {
	if n := MgmKeyLen(alg); n == 0 || n != len(key) {
		return fmt.Errorf("set management key: %d bytes for %s", len(key), AlgName(alg))
	}
	p1 := byte(0xFF)
	if touch {
		p1 = 0xFE
	}
	data := append([]byte{alg, RefMgmKey, byte(len(key))}, key...)
	defer clear(data)
	if _, err := c.do(InsSetMgmKey, p1, 0xFF, data); err != nil {
		return fmt.Errorf("set management key: %w", err)
	}
	return nil
}
