package piv

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/tlv"
)

// The PIN-protected management key convention of the YubiKey tools (ykman
// `piv access change-management-key --protect`, yubico-piv-tool): the management key is kept on
// the card in the PIN-protected Printed Information object, and the always-readable "admin data"
// object says so, so that a holder of the PIN alone can administer the card.
//
//	5FFF00 (admin data):          80 { 81 01 flags, [82 10 salt], [83 04 timestamp] }
//	5FC109 (printed information): 88 { 89 LL management key }
//
// An older scheme (the "PIN-derived" key) stores no key: the management key is
// PBKDF2-HMAC-SHA1(PIN, salt, 10000 iterations, 24 bytes), used as a 3DES key, with the salt in
// admin data tag 82.
const (
	TagAdminData          = 0x80 // admin data template (object 5FFF00)
	TagAdminFlags         = 0x81 // one flags byte (AdminFlag*)
	TagAdminSalt          = 0x82 // salt of the PIN-derived management key
	TagAdminPINTimestamp  = 0x83 // time of the last PIN change (4 bytes, kept opaque)
	TagProtectedData      = 0x88 // protected data template (object 5FC109)
	TagProtectedMgmKey    = 0x89 // the management key, inside 88
	AdminFlagPUKBlocked   = 0x01 // the PUK was blocked on purpose (PIN-only cards)
	AdminFlagMgmKeyStored = 0x02 // the management key is stored in printed information
	DerivedKeySaltLen     = 16   // length of the PIN-derived key salt
	DerivedKeyIterations  = 10000
	derivedKeyLen         = 24 // a 3DES key
	adminTimestampLen     = 4
)

// ErrNotProtected is returned by ProtectedMgmKey when the card holds no PIN-protected management
// key (no printed information object, or one without 88{89}).
var ErrNotProtected = errors.New("no PIN-protected management key on the card")

// ErrNoMgmKeyAccess is returned by AuthenticateWithPIN (and DerivedMgmKey) when the management
// key can be had neither from the PIN-protected store nor by derivation from the PIN.
var ErrNoMgmKeyAccess = errors.New("the management key is neither stored PIN-protected nor derived from the PIN")

// MgmKeyStatus describes how a card's management key can be had.
type MgmKeyStatus struct {
	// Protected: admin data flags the management key as stored in printed information.
	Protected bool
	// Derived: admin data holds a salt, the management key is PBKDF2(PIN, Salt).
	Derived bool
	// Salt is the salt of the PIN-derived key (a copy), nil when not Derived.
	Salt []byte
	// PUKBlocked: admin data flags the PUK as blocked on purpose.
	PUKBlocked bool
	// Default: the card reports (GET METADATA) that the management key is the factory default.
	// False also when the card cannot say.
	Default bool
}

// AdminInfo is the decoded content of the admin data object 5FFF00. Elements of the 80 template
// this package does not know are kept in Other so that a rewrite preserves them.
type AdminInfo struct {
	Flags     byte // 81, meaningful when HasFlags
	HasFlags  bool
	Salt      []byte    // 82, nil when absent, otherwise DerivedKeySaltLen bytes
	Timestamp []byte    // 83, nil when absent, otherwise 4 bytes
	Other     []tlv.TLV // other elements, in card order
}

// ParseAdminData decodes the content of the admin data object (the value inside 53). An empty
// content gives the zero AdminInfo. The content must be exactly one 80 template; 81 must be one
// byte, 82 sixteen bytes, 83 four bytes, and none may occur twice.
func ParseAdminData(content []byte) (AdminInfo, error) {
	var a AdminInfo
	if len(content) == 0 {
		return a, nil
	}
	els, err := tlv.ParseAll(content)
	if err != nil {
		return AdminInfo{}, fmt.Errorf("admin data: %w", err)
	}
	if len(els) != 1 || els[0].Tag != TagAdminData {
		return AdminInfo{}, errors.New("admin data: not one 80 template")
	}
	items, err := els[0].Children()
	if err != nil {
		return AdminInfo{}, fmt.Errorf("admin data: %w", err)
	}
	seen := map[tlv.Tag]bool{}
	for _, it := range items {
		if seen[it.Tag] {
			return AdminInfo{}, fmt.Errorf("admin data: tag %s twice", it.Tag)
		}
		seen[it.Tag] = true
		switch it.Tag {
		case TagAdminFlags:
			if len(it.Value) != 1 {
				return AdminInfo{}, fmt.Errorf("admin data: flags of %d bytes", len(it.Value))
			}
			a.Flags, a.HasFlags = it.Value[0], true
		case TagAdminSalt:
			if len(it.Value) != DerivedKeySaltLen {
				return AdminInfo{}, fmt.Errorf("admin data: salt of %d bytes", len(it.Value))
			}
			a.Salt = bytes.Clone(it.Value)
		case TagAdminPINTimestamp:
			if len(it.Value) != adminTimestampLen {
				return AdminInfo{}, fmt.Errorf("admin data: PIN timestamp of %d bytes", len(it.Value))
			}
			a.Timestamp = bytes.Clone(it.Value)
		default:
			a.Other = append(a.Other, tlv.TLV{Tag: it.Tag, Value: bytes.Clone(it.Value)})
		}
	}
	return a, nil
}

// Encode returns the content of the admin data object for a: 80 { 81, 82, 83, others }.
func (a AdminInfo) Encode() []byte {
	var b tlv.Builder
	b.AddNested(TagAdminData, func(b *tlv.Builder) {
		if a.HasFlags {
			b.Add(TagAdminFlags, []byte{a.Flags})
		}
		if a.Salt != nil {
			b.Add(TagAdminSalt, a.Salt)
		}
		if a.Timestamp != nil {
			b.Add(TagAdminPINTimestamp, a.Timestamp)
		}
		for _, e := range a.Other {
			b.AddTLV(e)
		}
	})
	return b.Bytes()
}

// Status returns the management key status a describes (Default is left false).
func (a AdminInfo) Status() MgmKeyStatus {
	return MgmKeyStatus{
		Protected:  a.HasFlags && a.Flags&AdminFlagMgmKeyStored != 0,
		Derived:    a.Salt != nil,
		Salt:       bytes.Clone(a.Salt),
		PUKBlocked: a.HasFlags && a.Flags&AdminFlagPUKBlocked != 0,
	}
}

// Errors of ParsePrintedInfo. They never carry bytes of the object, which may be key material.
var (
	errPrintedMalformed = errors.New("printed information: malformed")
	errPrintedTwice     = errors.New("printed information: protected data or key element twice")
)

// ParsePrintedInfo extracts the PIN-protected management key from the content of the printed
// information object (the value inside 53). ok is false when the content holds no 88{89} (an
// empty object, or ordinary printed information). The key is a copy, which the caller wipes; an
// accepted key is 16, 24 or 32 bytes long. Errors never contain bytes of the content.
func ParsePrintedInfo(content []byte) (key []byte, ok bool, err error) {
	if len(content) == 0 {
		return nil, false, nil
	}
	els, err := tlv.ParseAll(content)
	if err != nil {
		return nil, false, errPrintedMalformed
	}
	var prot []byte
	found := false
	for _, e := range els {
		if e.Tag == TagProtectedData {
			if found {
				return nil, false, errPrintedTwice
			}
			prot, found = e.Value, true
		}
	}
	if !found {
		return nil, false, nil
	}
	items, err := tlv.ParseAll(prot)
	if err != nil {
		return nil, false, errPrintedMalformed
	}
	var k []byte
	found = false
	for _, it := range items {
		if it.Tag == TagProtectedMgmKey {
			if found {
				return nil, false, errPrintedTwice
			}
			k, found = it.Value, true
		}
	}
	if !found {
		return nil, false, nil
	}
	switch len(k) {
	case 16, 24, 32:
	default:
		return nil, false, fmt.Errorf("printed information: management key of %d bytes", len(k))
	}
	return bytes.Clone(k), true, nil
}

// EncodePrintedInfo returns the printed information content storing key: 88 { 89 key }. The
// caller wipes the result.
func EncodePrintedInfo(key []byte) []byte {
	inner := 1 + tlv.LenSize(len(key)) + len(key)
	out := make([]byte, 0, 1+tlv.LenSize(inner)+inner) // exact: no reallocation leaves a copy behind
	out = append(out, TagProtectedData)
	out = tlv.AppendLength(out, inner)
	out = append(out, TagProtectedMgmKey)
	out = tlv.AppendLength(out, len(key))
	return append(out, key...)
}

// DeriveMgmKey computes the PIN-derived management key of the older YubiKey scheme:
// PBKDF2-HMAC-SHA1(PIN, salt, 10000 iterations, 24 bytes), a 3DES key. The PIN is used as given
// (not padded). The caller wipes the result.
func DeriveMgmKey(pin, salt []byte) ([]byte, error) {
	if len(pin) == 0 || len(pin) > 8 {
		return nil, fmt.Errorf("derive management key: PIN of %d bytes: must be 1 to 8", len(pin))
	}
	if len(salt) == 0 {
		return nil, errors.New("derive management key: empty salt")
	}
	return pbkdf2SHA1(pin, salt, DerivedKeyIterations, derivedKeyLen), nil
}

// pbkdf2SHA1 is PBKDF2 (RFC 8018) with HMAC-SHA1. It is written out rather than taken from
// crypto/pbkdf2, whose password is a string that could not be wiped.
func pbkdf2SHA1(password, salt []byte, iter, keyLen int) []byte {
	prf := hmac.New(sha1.New, password)
	hLen := prf.Size()
	blocks := (keyLen + hLen - 1) / hLen
	buf := make([]byte, 0, blocks*hLen)
	u := make([]byte, 0, hLen)
	t := make([]byte, hLen)
	defer clear(t)
	defer func() { clear(u[:cap(u)]) }()
	var ctr [4]byte
	for i := 1; i <= blocks; i++ {
		prf.Reset()
		prf.Write(salt)
		binary.BigEndian.PutUint32(ctr[:], uint32(i))
		prf.Write(ctr[:])
		u = prf.Sum(u[:0])
		copy(t, u)
		for range iter - 1 {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			subtle.XORBytes(t, t, u)
		}
		buf = append(buf, t...)
	}
	prf.Reset()
	key := bytes.Clone(buf[:keyLen])
	clear(buf)
	return key
}

// readAdminData reads and decodes the admin data object; an absent object gives the zero value.
func (c *Client) readAdminData() (AdminInfo, error) {
	content, err := c.GetData(ObjYubiAdminData)
	if errors.Is(err, apdu.SWFileNotFound) {
		return AdminInfo{}, nil
	}
	if err != nil {
		return AdminInfo{}, err
	}
	return ParseAdminData(content)
}

// isCardStatus reports whether err is a status word answered by the card (as opposed to a
// transport failure).
func isCardStatus(err error) bool {
	var e *apdu.Error
	return errors.As(err, &e)
}

// AdminData reads the admin data object 5FFF00 and reports how the management key can be had. An
// absent object gives the zero status and no error. Default is filled from GET METADATA of 9B when
// the card has it.
func (c *Client) AdminData() (MgmKeyStatus, error) {
	a, err := c.readAdminData()
	if err != nil {
		return MgmKeyStatus{}, err
	}
	st := a.Status()
	if md, err := c.Metadata(RefMgmKey); err == nil {
		if v := md[0x05]; len(v) == 1 && v[0] == 0x01 {
			st.Default = true
		}
	} else if !isCardStatus(err) {
		return MgmKeyStatus{}, err
	}
	return st, nil
}

// mgmAlgFor returns the algorithm of the card's management key, whose value is key: the one GET
// METADATA reports when the card has it (checked against the key length), otherwise guessed from
// the length (24 bytes: 3DES, as cards without metadata have no AES management key).
func (c *Client) mgmAlgFor(key []byte) (byte, error) {
	md, err := c.Metadata(RefMgmKey)
	if err != nil && !isCardStatus(err) {
		return 0, err
	}
	if err == nil {
		if v := md[0x01]; len(v) == 1 {
			alg := v[0]
			if MgmKeyLen(alg) != len(key) {
				return 0, fmt.Errorf("management key of %d bytes, but the card's is %s", len(key), AlgName(alg))
			}
			return alg, nil
		}
	}
	switch len(key) {
	case 16:
		return AlgAES128, nil
	case 24:
		return Alg3DES, nil
	case 32:
		return AlgAES256, nil
	}
	return 0, fmt.Errorf("management key of %d bytes", len(key))
}

// ProtectedMgmKey reads the PIN-protected management key from the printed information object and
// returns it with its algorithm (from GET METADATA of 9B when the card has it, else by length: 16
// AES-128, 24 3DES, 32 AES-256). The PIN must have been verified. It gives ErrNotProtected when the
// object holds no key; it does not consult the admin data flag. The caller wipes the key.
func (c *Client) ProtectedMgmKey() (alg byte, key []byte, err error) {
	content, err := c.GetData(ObjPrintedInfo)
	if errors.Is(err, apdu.SWFileNotFound) {
		return 0, nil, ErrNotProtected
	}
	if err != nil {
		return 0, nil, fmt.Errorf("PIN-protected management key: %w", err)
	}
	key, ok, err := ParsePrintedInfo(content)
	clear(content)
	if err != nil {
		return 0, nil, fmt.Errorf("PIN-protected management key: %w", err)
	}
	if !ok {
		return 0, nil, ErrNotProtected
	}
	alg, err = c.mgmAlgFor(key)
	if err != nil {
		clear(key)
		return 0, nil, fmt.Errorf("PIN-protected management key: %w", err)
	}
	return alg, key, nil
}

// DerivedMgmKey computes the PIN-derived management key with the salt of the card's admin data
// (see DeriveMgmKey). It needs no PIN verification, but the key is only right for the right PIN.
// Without a salt it gives an error matching ErrNoMgmKeyAccess. The caller wipes the key.
func (c *Client) DerivedMgmKey(pin []byte) ([]byte, error) {
	a, err := c.readAdminData()
	if err != nil {
		return nil, err
	}
	if a.Salt == nil {
		return nil, fmt.Errorf("%w: admin data holds no salt", ErrNoMgmKeyAccess)
	}
	return DeriveMgmKey(pin, a.Salt)
}

// putSecretData is PutData for content holding a secret: the command buffer is wiped afterwards.
func (c *Client) putSecretData(tag uint32, content []byte) error {
	data := tlv.Append(tlv.Encode(TagTagList, objectTagBytes(tag)), TagData, content)
	defer clear(data)
	if _, err := c.do(InsPutData, 0x3F, 0xFF, data); err != nil {
		return fmt.Errorf("write data object %06X: %w", tag, err)
	}
	return nil
}

// ProtectMgmKey replaces the management key with a random key of alg and stores it PIN-protected,
// as ykman `piv access change-management-key --protect` does. The current management key must be
// authenticated and the PIN verified. random is the source of the key (crypto/rand when nil).
//
// Steps: the printed information object is overwritten with 88{89 key} (anything else it held is
// dropped, like ykman), then SET MANAGEMENT KEY (without touch), then admin data gets flag 02; its
// other flags, timestamp and unknown elements are preserved, but a PIN-derived key salt is
// removed, since the key is no longer derived. If SET MANAGEMENT KEY fails, the old printed
// information is written back. If only the admin data update fails, the card already uses the new
// key: it is returned together with the error so that it is not lost. Malformed admin data is not
// overwritten: the call fails before changing anything. The caller wipes the key.
func (c *Client) ProtectMgmKey(alg byte, random io.Reader) ([]byte, error) {
	n := MgmKeyLen(alg)
	if n == 0 {
		return nil, fmt.Errorf("protect management key: %s is not a management key algorithm", AlgName(alg))
	}
	if random == nil {
		random = rand.Reader
	}
	verified, _, err := c.PINStatus()
	if err != nil {
		return nil, fmt.Errorf("protect management key: %w", err)
	}
	if !verified {
		return nil, errors.New("protect management key: the PIN must be verified first")
	}
	admin, err := c.readAdminData()
	if err != nil {
		return nil, fmt.Errorf("protect management key: %w", err)
	}
	old, err := c.GetData(ObjPrintedInfo)
	if err != nil && !errors.Is(err, apdu.SWFileNotFound) {
		return nil, fmt.Errorf("protect management key: %w", err)
	}
	defer clear(old)

	key := make([]byte, n)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("protect management key: random key: %w", err)
	}
	obj := EncodePrintedInfo(key)
	err = c.putSecretData(ObjPrintedInfo, obj)
	clear(obj)
	if err != nil {
		clear(key)
		return nil, fmt.Errorf("protect management key: %w", err)
	}
	if err := c.SetMgmKey(alg, key, false); err != nil {
		clear(key)
		err = fmt.Errorf("protect management key: %w", err)
		if rerr := c.putSecretData(ObjPrintedInfo, old); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore printed information: %w", rerr))
		}
		return nil, err
	}
	admin.HasFlags = true
	admin.Flags |= AdminFlagMgmKeyStored
	admin.Salt = nil
	if err := c.PutData(ObjYubiAdminData, admin.Encode()); err != nil {
		return key, fmt.Errorf("protect management key: the new key is set and stored, but admin data was not updated: %w", err)
	}
	return key, nil
}

// AuthenticateWithPIN authenticates the management key knowing only the PIN: it verifies the PIN
// (a wrong PIN costs a try and gives the VERIFY error), reads admin data, then takes the key from
// printed information when admin data flags it stored, or derives it from the PIN when admin data
// holds a salt, and runs the mutual authentication with it. The key is wiped afterwards. When the
// card offers neither, the error matches ErrNoMgmKeyAccess (the PIN stays verified).
func (c *Client) AuthenticateWithPIN(pin []byte) error {
	if err := c.VerifyPIN(pin); err != nil {
		return err
	}
	admin, err := c.readAdminData()
	if err != nil {
		return err
	}
	st := admin.Status()
	if st.Protected {
		alg, key, err := c.ProtectedMgmKey()
		if err == nil {
			defer clear(key)
			if err := c.AuthenticateMgm(alg, key); err != nil {
				return fmt.Errorf("authenticate with the PIN-protected management key: %w", err)
			}
			return nil
		}
		if !errors.Is(err, ErrNotProtected) {
			return err
		}
		if !st.Derived {
			return fmt.Errorf("%w: admin data marks the key stored, but printed information holds none", ErrNoMgmKeyAccess)
		}
	}
	if st.Derived {
		key, err := DeriveMgmKey(pin, admin.Salt)
		if err != nil {
			return err
		}
		defer clear(key)
		alg, err := c.mgmAlgFor(key)
		if err != nil {
			return fmt.Errorf("PIN-derived management key: %w", err)
		}
		if err := c.AuthenticateMgm(alg, key); err != nil {
			return fmt.Errorf("authenticate with the PIN-derived management key: %w", err)
		}
		return nil
	}
	return ErrNoMgmKeyAccess
}
