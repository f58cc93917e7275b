package engine

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"

	"github.com/cardmod/cardmod/rsapad"
	"github.com/cardmod/cardmod/spec"
)

// Padding types (CARD_PADDING_*).
const (
	PaddingNone  = spec.CardPaddingNone
	PaddingPKCS1 = spec.CardPaddingPKCS1
	PaddingPSS   = spec.CardPaddingPSS
	PaddingOAEP  = spec.CardPaddingOAEP
)

// PaddingInfo is BCRYPT_PKCS1_PADDING_INFO or BCRYPT_PSS_PADDING_INFO: the hash name (absent =
// a NULL pszAlgId) and, for PSS, the salt length.
type PaddingInfo struct {
	AlgID    string
	HasAlgID bool
	SaltLen  uint32
}

// SigningInfo is CARD_SIGNING_INFO. SignedData is the output, in a buffer from the caller's
// allocator (the caller frees it); with CARD_BUFFER_SIZE_ONLY only SignedSize is set.
type SigningInfo struct {
	Version        uint32
	ContainerIndex byte
	KeySpec        spec.KeySpec
	SigningFlags   uint32
	HashAlg        spec.ALGID
	Data           []byte
	PaddingType    uint32
	Padding        *PaddingInfo // nil stands for a NULL pPaddingInfo
	SignedData     []byte
	SignedSize     int
}

// OAEPInfo is BCRYPT_OAEP_PADDING_INFO.
type OAEPInfo struct {
	AlgID    string
	HasAlgID bool
	Label    []byte
}

// RSADecryptInfo is CARD_RSA_DECRYPT_INFO. Data holds the ciphertext (little-endian, modulus
// length) and receives the result in place: Data is resliced to the result's length.
type RSADecryptInfo struct {
	Version        uint32
	ContainerIndex byte
	KeySpec        spec.KeySpec
	Data           []byte
	PaddingType    uint32
	OAEP           *OAEPInfo // nil stands for a NULL pPaddingInfo
}

// HashByName maps a BCrypt hash name to a crypto.Hash.
func HashByName(name string) (crypto.Hash, bool) { return rsapad.HashByName(name) }

// PKCS1v15SignBlock builds a PKCS#1 v1.5 signature block (see rsapad.PKCS1v15SignBlock).
func PKCS1v15SignBlock(k int, hash crypto.Hash, digest []byte) ([]byte, error) {
	return rsapad.PKCS1v15SignBlock(k, hash, digest)
}

// UnpadPKCS1v15 removes PKCS#1 v1.5 encryption padding in constant time.
func UnpadPKCS1v15(em []byte) ([]byte, error) { return rsapad.UnpadPKCS1v15(em) }

// UnpadOAEP removes OAEP padding in constant time.
func UnpadOAEP(hash crypto.Hash, em, label []byte) ([]byte, error) {
	return rsapad.UnpadOAEP(hash, em, label)
}

const knownSigningFlags = spec.CryptNoHashOID | spec.CardBufferSizeOnly | spec.CardPaddingInfoPresent

// checkKeySpec validates a key spec against a container's key.
func checkKeySpec(fn string, ks spec.KeySpec, ct *container) error {
	if !ks.Valid() {
		return errf(spec.SCardEInvalidParameter, "%s: unknown key spec %d", fn, ks)
	}
	if ks == spec.ATECDSAP521 || ks == spec.ATECDHEP521 {
		return errf(spec.SCardEUnsupportedFeature, "%s: PIV has no P-521 keys", fn)
	}
	switch k := ct.pub.(type) {
	case *rsa.PublicKey:
		if ks.IsRSA() {
			return nil
		}
	case *ecdsa.PublicKey:
		if ks.IsECC() && ks.CurveBits() == k.Curve.Params().BitSize {
			return nil
		}
	}
	return errf(spec.SCardEInvalidParameter, "%s: container %d holds no %v key", fn, ct.index, ks)
}

// SignData is CardSignData: RSA PKCS#1 v1.5 (any hash, or no DigestInfo), PSS and raw, the
// signature returned byte-reversed as CryptoAPI expects; ECDSA with the signature as r‖s.
func (c *Context) SignData(info *SigningInfo) error {
	const fn = "CardSignData"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if info == nil || info.Data == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL signing info or data", fn)
	}
	v := max(info.Version, 1)
	if v > spec.CardSigningInfoCurrentVersion || (v < spec.CardSigningInfoCurrentVersion && c.version == spec.CardDataCurrentVersion) {
		return errf(spec.ErrorRevisionMismatch, "%s: CARD_SIGNING_INFO version %d", fn, info.Version)
	}
	if info.SigningFlags&^knownSigningFlags != 0 {
		return errf(spec.SCardEInvalidParameter, "%s: unknown flags %#x", fn, info.SigningFlags)
	}
	if !info.KeySpec.Valid() {
		return errf(spec.SCardEInvalidParameter, "%s: unknown key spec %d", fn, info.KeySpec)
	}
	if info.KeySpec == spec.ATECDSAP521 || info.KeySpec == spec.ATECDHEP521 {
		return errf(spec.SCardEUnsupportedFeature, "%s: PIV has no P-521 keys", fn)
	}
	ct, err := c.container(fn, info.ContainerIndex)
	if err != nil {
		return err
	}
	if err := checkKeySpec(fn, info.KeySpec, ct); err != nil {
		return err
	}
	sizeOnly := info.SigningFlags&spec.CardBufferSizeOnly != 0
	// The PIN state is checked after every parameter (the request must be valid first).
	switch pub := ct.pub.(type) {
	case *rsa.PublicKey:
		k := (pub.N.BitLen() + 7) / 8
		block, err := c.rsaSignBlock(fn, info, pub, sizeOnly)
		if err != nil {
			return err
		}
		if sizeOnly {
			info.SignedSize = k
			return nil
		}
		if err := c.checkFreshPIN(fn, ct); err != nil {
			return err
		}
		sig, err := c.piv.PrivateOp(ct.slot, ct.alg, block)
		if err != nil {
			return cardError(fn, err)
		}
		if len(sig) != k || new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(pub.E)), pub.N).Cmp(new(big.Int).SetBytes(block)) != 0 {
			return errf(spec.SCardEUnexpected, "%s: the card's signature does not verify", fn)
		}
		c.auth.signFresh = false
		slices.Reverse(sig)
		return c.setSigned(info, sig)
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if sizeOnly {
			info.SignedSize = 2 * size
			return nil
		}
		digest := info.Data
		if len(digest) == 0 {
			return errf(spec.SCardEInvalidParameter, "%s: empty hash", fn)
		}
		if len(digest) > size {
			digest = digest[:size] // ECDSA uses the leftmost bits of the hash
		}
		if err := c.checkFreshPIN(fn, ct); err != nil {
			return err
		}
		der, err := c.piv.PrivateOp(ct.slot, ct.alg, digest)
		if err != nil {
			return cardError(fn, err)
		}
		if !ecdsa.VerifyASN1(pub, digest, der) {
			return errf(spec.SCardEUnexpected, "%s: the card's signature does not verify", fn)
		}
		rs, err := rawECDSA(der, size)
		if err != nil {
			return errf(spec.SCardEUnexpected, "%s: %v", fn, err)
		}
		c.auth.signFresh = false
		return c.setSigned(info, rs)
	}
	return errf(spec.SCardEUnexpected, "%s: unsupported key", fn)
}

func (c *Context) setSigned(info *SigningInfo, sig []byte) error {
	buf, err := c.alloc(sig)
	if err != nil {
		return err
	}
	info.SignedData, info.SignedSize = buf, len(buf)
	return nil
}

// rsaSignBlock builds the block the card raises to the private exponent.
func (c *Context) rsaSignBlock(fn string, info *SigningInfo, pub *rsa.PublicKey, sizeOnly bool) ([]byte, error) {
	k := (pub.N.BitLen() + 7) / 8
	padType := PaddingPKCS1
	var hash crypto.Hash
	if info.SigningFlags&spec.CardPaddingInfoPresent != 0 {
		padType = info.PaddingType
		switch padType {
		case PaddingPKCS1, PaddingPSS:
			if info.Padding == nil {
				return nil, errf(spec.SCardEInvalidParameter, "%s: NULL padding info", fn)
			}
			if info.Padding.HasAlgID {
				h, ok := HashByName(info.Padding.AlgID)
				if !ok {
					return nil, errf(spec.SCardEUnsupportedFeature, "%s: hash %q", fn, info.Padding.AlgID)
				}
				hash = h
			} else if padType == PaddingPSS {
				return nil, errf(spec.SCardEInvalidParameter, "%s: PSS needs a hash algorithm", fn)
			}
		case PaddingNone:
		default:
			return nil, errf(spec.SCardEInvalidParameter, "%s: padding type %#x", fn, padType)
		}
	} else if info.HashAlg != 0 && info.SigningFlags&spec.CryptNoHashOID == 0 {
		if info.HashAlg == spec.CALGSSL3SHAMD5 {
			hash = crypto.MD5SHA1
		} else if hash = info.HashAlg.Hash(); hash == 0 {
			return nil, errf(spec.SCardEUnsupportedFeature, "%s: hash algorithm %v", fn, info.HashAlg)
		}
	}
	if hash != 0 && len(info.Data) != hash.Size() {
		return nil, errf(spec.SCardEInvalidParameter, "%s: %d-byte hash for %v", fn, len(info.Data), hash)
	}
	if sizeOnly {
		return nil, nil
	}
	switch padType {
	case PaddingNone:
		if len(info.Data) != k || new(big.Int).SetBytes(info.Data).Cmp(pub.N) >= 0 {
			return nil, errf(spec.SCardEInvalidParameter, "%s: raw data must be a %d-byte value below the modulus", fn, k)
		}
		return slices.Clone(info.Data), nil
	case PaddingPSS:
		salt := int(info.Padding.SaltLen)
		em, err := rsapad.PSSEncode(rand.Reader, pub.N.BitLen(), hash, info.Data, salt)
		if err != nil {
			return nil, errf(spec.SCardEInvalidParameter, "%s: %v", fn, err)
		}
		return em, nil
	}
	em, err := rsapad.PKCS1v15SignBlock(k, hash, info.Data)
	if err != nil {
		return nil, errf(spec.SCardEInvalidParameter, "%s: %v", fn, err)
	}
	return em, nil
}

// checkFreshPIN enforces the always-prompt PIN of the 9C key: its PIN (3) must have been presented
// since the key's last use.
func (c *Context) checkFreshPIN(fn string, ct *container) error {
	if ct.pin == pinSign && !c.auth.signFresh {
		return errf(spec.SCardWSecurityViolation, "%s: container %d needs its PIN right before each use", fn, ct.index)
	}
	return nil
}

// rawECDSA converts a DER ECDSA signature to r‖s, each size bytes.
func rawECDSA(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 ||
		sig.R.BitLen() > size*8 || sig.S.BitLen() > size*8 {
		return nil, errors.New("malformed ECDSA signature from the card")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

// RSADecrypt is CardRSADecrypt: the card's raw RSA operation on the little-endian ciphertext,
// then, for version 2 structures, the padding removed here in constant time (PKCS#1 v1.5 or OAEP
// with any hash and label) or the raw block returned little-endian (CARD_PADDING_NONE and
// version 1).
func (c *Context) RSADecrypt(info *RSADecryptInfo) error {
	const fn = "CardRSADecrypt"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if info == nil || info.Data == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL decrypt info or data", fn)
	}
	v := max(info.Version, 1)
	if v > spec.CardRSAKeyDecryptInfoCurrentVersion || (v < spec.CardRSAKeyDecryptInfoVersionTwo && c.version == spec.CardDataCurrentVersion) {
		return errf(spec.ErrorRevisionMismatch, "%s: CARD_RSA_DECRYPT_INFO version %d", fn, info.Version)
	}
	if !info.KeySpec.IsRSA() {
		return errf(spec.SCardEInvalidParameter, "%s: key spec %d is not an RSA key spec", fn, info.KeySpec)
	}
	padType := PaddingNone
	var hash crypto.Hash
	if v >= spec.CardRSAKeyDecryptInfoVersionTwo {
		padType = info.PaddingType
		switch padType {
		case PaddingNone, PaddingPKCS1:
		case PaddingOAEP:
			if info.OAEP == nil {
				return errf(spec.SCardEInvalidParameter, "%s: NULL OAEP padding info", fn)
			}
			hash = crypto.SHA1
			if info.OAEP.HasAlgID {
				h, ok := HashByName(info.OAEP.AlgID)
				if !ok {
					return errf(spec.SCardEUnsupportedFeature, "%s: OAEP hash %q", fn, info.OAEP.AlgID)
				}
				hash = h
			}
		default:
			return errf(spec.SCardEInvalidParameter, "%s: padding type %#x", fn, padType)
		}
	}
	ct, err := c.container(fn, info.ContainerIndex)
	if err != nil {
		return err
	}
	pub, ok := ct.pub.(*rsa.PublicKey)
	if !ok {
		return errf(spec.SCardEInvalidParameter, "%s: container %d holds no RSA key", fn, ct.index)
	}
	k := (pub.N.BitLen() + 7) / 8
	if len(info.Data) < k {
		return errf(spec.SCardEInsufficientBuffer, "%s: %d-byte buffer for a %d-byte modulus", fn, len(info.Data), k)
	}
	if len(info.Data) != k {
		return errf(spec.SCardEInvalidParameter, "%s: %d-byte ciphertext for a %d-byte modulus", fn, len(info.Data), k)
	}
	in := slices.Clone(info.Data)
	slices.Reverse(in)
	if new(big.Int).SetBytes(in).Cmp(pub.N) >= 0 {
		return errf(spec.SCardEInvalidParameter, "%s: ciphertext not below the modulus", fn)
	}
	if err := c.checkFreshPIN(fn, ct); err != nil {
		return err
	}
	block, err := c.piv.PrivateOp(ct.slot, ct.alg, in)
	if err != nil {
		return cardError(fn, err)
	}
	if ct.pin == pinSign {
		c.auth.signFresh = false
	}
	defer clear(block)
	if len(block) != k {
		return errf(spec.SCardEUnexpected, "%s: the card returned %d bytes", fn, len(block))
	}
	var out []byte
	switch padType {
	case PaddingNone:
		out = slices.Clone(block)
		slices.Reverse(out)
	case PaddingPKCS1:
		out, err = rsapad.UnpadPKCS1v15(block)
	case PaddingOAEP:
		out, err = rsapad.UnpadOAEP(hash, block, info.OAEP.Label)
	}
	if err != nil {
		// One error for every padding failure, whatever its cause (no padding oracle).
		return errf(spec.SCardEInvalidValue, "%s: decryption failed", fn)
	}
	n := copy(info.Data, out)
	clear(info.Data[n:])
	clear(out)
	info.Data = info.Data[:n]
	return nil
}
