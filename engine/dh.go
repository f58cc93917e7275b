package engine

import (
	"crypto/rand"
	"encoding/binary"
	"errors"

	"github.com/cardmod/cardmod/kdf"
	"github.com/cardmod/cardmod/spec"
)

// ECDH agreements and key derivation (CardConstructDHAgreement, CardDeriveKey,
// CardDestroyDHAgreement). The card computes the shared secret Z (the x coordinate, big-endian)
// with GENERAL AUTHENTICATE tag 85; the engine keeps it in the context under an opaque index, and
// derives keys from it with the KDFs of Windows CNG (package kdf), byte for byte as
// NCryptDeriveKey does. Agreements live only in the context: they are wiped by
// CardDestroyDHAgreement, CardDeleteContext, and when the card is reset or removed.

// agreement is one secret agreement held by a context.
type agreement struct {
	secret []byte // Z, big-endian
	curve  int    // bits
}

// maxAgreements bounds the agreements of one context (the index is a byte).
const maxAgreements = 256

// peerKey checks the peer's public key: a BCRYPT_ECCKEY_BLOB with the public ECDH magic of the
// container's curve, a point on the curve other than the point at infinity.
func peerKey(fn string, blob []byte, bits int) ([]byte, error) {
	pub, magic, err := spec.ParseECCPublicKeyBlob(blob)
	if err != nil {
		return nil, errf(spec.SCardEInvalidParameter, "%s: peer public key: %v", fn, err)
	}
	want := map[int]uint32{256: spec.ECDHPublicP256Magic, 384: spec.ECDHPublicP384Magic, 521: spec.ECDHPublicP521Magic}[bits]
	if magic != want {
		return nil, errf(spec.SCardEInvalidParameter, "%s: peer public key magic %#x, want the public ECDH magic %#x of P-%d",
			fn, magic, want, bits)
	}
	k, err := pub.ECDH()
	if err != nil {
		return nil, errf(spec.SCardEInvalidParameter, "%s: peer public key: %v", fn, err)
	}
	return k.Bytes(), nil // uncompressed point: 04 || X || Y
}

// ConstructDHAgreement is CardConstructDHAgreement: the card's ECDH with the container's key and
// the peer's public key; the secret stays in the context and info.AgreementIndex names it.
func (c *Context) ConstructDHAgreement(info *DHAgreementInfo) error {
	const fn = "CardConstructDHAgreement"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if info == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL agreement info", fn)
	}
	if info.Version != spec.CardDHAgreementInfoVersion {
		// Version 1 "is no longer supported and should not be implemented".
		return errf(spec.ErrorRevisionMismatch, "%s: structure version %d (want %d)", fn, info.Version, spec.CardDHAgreementInfoVersion)
	}
	if info.Flags != 0 {
		return errf(spec.SCardEInvalidParameter, "%s: flags %#x", fn, info.Flags)
	}
	if info.PublicKey == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL public key", fn)
	}
	ct, err := c.container(fn, info.ContainerIndex)
	if err != nil {
		return err
	}
	// A PIV ECC key does ECDH whether Windows sees it as ECDSA or ECDH (CCP_ASSOCIATED_ECDH_KEY
	// of an ECDSA container names the container itself).
	if !ct.keySpec.IsECC() {
		return errf(spec.SCardEInvalidParameter, "%s: container %d is not an ECC key", fn, ct.index)
	}
	point, err := peerKey(fn, info.PublicKey, ct.keySpec.CurveBits())
	if err != nil {
		return err
	}
	if len(c.agreements) >= maxAgreements {
		return errf(spec.SCardENoMemory, "%s: %d agreements are alive", fn, len(c.agreements))
	}
	if err := c.checkFreshPIN(fn, ct); err != nil {
		return err
	}
	z, err := c.piv.ECDH(ct.slot, ct.alg, point)
	if err != nil {
		return cardError(fn, err)
	}
	if ct.pin == pinSign {
		c.auth.signFresh = false
	}
	size := (ct.keySpec.CurveBits() + 7) / 8
	if len(z) != size {
		clear(z)
		return errf(spec.SCardEUnexpected, "%s: the card returned a %d-byte secret for P-%d", fn, len(z), ct.keySpec.CurveBits())
	}
	idx, err := c.freeAgreementIndex()
	if err != nil {
		clear(z)
		return err
	}
	c.agreements[idx] = &agreement{secret: z, curve: ct.keySpec.CurveBits()}
	info.AgreementIndex = idx
	return nil
}

// freeAgreementIndex picks an unused agreement index, starting at a random one.
func (c *Context) freeAgreementIndex() (byte, error) {
	var r [1]byte
	if _, err := rand.Read(r[:]); err != nil {
		return 0, errf(spec.NTEFail, "agreement index: %v", err)
	}
	for i := 0; i < maxAgreements; i++ {
		idx := r[0] + byte(i)
		if _, used := c.agreements[idx]; !used {
			return idx, nil
		}
	}
	return 0, errf(spec.SCardENoMemory, "no free agreement index")
}

// DestroyDHAgreement is CardDestroyDHAgreement: the secret is wiped.
func (c *Context) DestroyDHAgreement(index byte, flags uint32) error {
	const fn = "CardDestroyDHAgreement"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if flags != 0 {
		return errf(spec.SCardEInvalidParameter, "%s: flags %#x", fn, flags)
	}
	a, ok := c.agreements[index]
	if !ok {
		return errf(spec.SCardEInvalidParameter, "%s: no agreement %d", fn, index)
	}
	clear(a.secret)
	delete(c.agreements, index)
	return nil
}

// wipeAgreements destroys every agreement of the context.
func (c *Context) wipeAgreements() {
	for i, a := range c.agreements {
		clear(a.secret)
		delete(c.agreements, i)
	}
}

// deriveFlags are the flags CardDeriveKey knows.
const deriveFlags = spec.KDFUseSecretAsHMACKeyFlag | spec.CardReturnKeyHandle | spec.CardBufferSizeOnly

// DeriveKey is CardDeriveKey: a key derived from an agreement's secret with one of the KDFs of
// Windows CNG. The secret is the one named by info.AgreementIndex, or, when the parameter list
// carries a KDF_SECRET_HANDLE (an NCrypt secret handle), the agreement the caller's
// pfnCspGetDHAgreement turns it into. The key comes back in a buffer from the caller's allocator,
// or (version 2 with CARD_RETURN_KEY_HANDLE) as a key handle of this context; with
// CARD_BUFFER_SIZE_ONLY only its size is returned.
//
// For SP800_56A_CONCAT the length is KDF_KEYBITLENGTH, else dwKeyLen (version 2), else the length
// of the secret; HASH and HMAC give the whole hash, TLS_PRF 48 bytes, TRUNCATE the secret in
// Windows' little-endian order.
func (c *Context) DeriveKey(info *DeriveKeyInfo) error {
	const fn = "CardDeriveKey"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if info == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL derive info", fn)
	}
	if info.Version != spec.CardDeriveKeyVersion && info.Version != spec.CardDeriveKeyVersionTwo {
		return errf(spec.ErrorRevisionMismatch, "%s: structure version %d", fn, info.Version)
	}
	if info.Flags&^deriveFlags != 0 {
		return errf(spec.SCardEInvalidParameter, "%s: flags %#x", fn, info.Flags)
	}
	wantHandle := info.Flags&spec.CardReturnKeyHandle != 0
	if wantHandle && info.Version < spec.CardDeriveKeyVersionTwo {
		return errf(spec.SCardEInvalidParameter, "%s: CARD_RETURN_KEY_HANDLE needs a version 2 structure", fn)
	}
	if !info.HasKDF {
		return errf(spec.SCardEInvalidParameter, "%s: NULL KDF", fn)
	}
	if info.HasParams && info.ParamsVersion != spec.BCryptBufferVersion {
		return errf(spec.SCardEInvalidParameter, "%s: parameter list version %d", fn, info.ParamsVersion)
	}
	var sym symAlg
	if wantHandle {
		if sym, err = symAlgFor(fn, info.AlgID, info.HasAlgID, info.KeyLen); err != nil {
			return err
		}
	}
	// The secret: a KDF_SECRET_HANDLE parameter names another agreement through the caller.
	idx := info.AgreementIndex
	params := make([]kdf.Param, 0, len(info.Params))
	handles := 0
	for i, p := range info.Params {
		if p.Type != uint32(spec.KDFSecretHandle) {
			params = append(params, kdf.Param{Type: p.Type, Data: p.Data})
			continue
		}
		handles++
		if handles > 1 {
			return errf(spec.SCardEInvalidParameter, "%s: parameter %d: a second KDF_SECRET_HANDLE", fn, i)
		}
		var h uint64
		switch len(p.Data) {
		case 4:
			h = uint64(binary.LittleEndian.Uint32(p.Data))
		case 8:
			h = binary.LittleEndian.Uint64(p.Data)
		default:
			return errf(spec.SCardEInvalidParameter, "%s: parameter %d: a secret handle of %d bytes", fn, i, len(p.Data))
		}
		got, err := c.host.GetDHAgreement(uintptr(h))
		if err != nil {
			// The callback's own status when it gave one, otherwise: not a card agreement.
			st := spec.SCardEInvalidParameter
			var cs spec.Status
			if errors.As(err, &cs) && cs != spec.Success && !errors.Is(err, ErrNoCallback) {
				st = cs
			}
			return errf(st, "%s: parameter %d: pfnCspGetDHAgreement: %v", fn, i, err)
		}
		idx = got
	}
	a, ok := c.agreements[idx]
	if !ok {
		return errf(spec.SCardEInvalidParameter, "%s: no agreement %d", fn, idx)
	}
	outLen := 0
	if info.Version >= spec.CardDeriveKeyVersionTwo && info.KeyLen != 0 && info.KDF == spec.BCryptKDFSP80056AConcat {
		outLen = int((uint64(info.KeyLen) + 7) / 8)
	}
	kflags := info.Flags & spec.KDFUseSecretAsHMACKeyFlag
	if info.Flags&spec.CardBufferSizeOnly != 0 {
		n, err := kdf.Size(info.KDF, len(a.secret), params, kflags, outLen)
		if err != nil {
			return kdfError(fn, err)
		}
		if wantHandle {
			if n < sym.bits/8 {
				return errf(spec.SCardEInvalidParameter, "%s: the KDF gives %d bytes, a %d-bit %s key needs %d", fn, n, sym.bits, sym.name, sym.bits/8)
			}
			n = sym.bits / 8 // the size of the key the handle would hold; no handle is made
		}
		info.DerivedKey, info.DerivedSize = nil, n
		return nil
	}
	out, err := kdf.Derive(info.KDF, a.secret, params, kflags, outLen)
	if err != nil {
		return kdfError(fn, err)
	}
	defer clear(out)
	if wantHandle {
		h, err := c.newKey(fn, sym, out)
		if err != nil {
			return err
		}
		info.Key, info.DerivedKey, info.DerivedSize = h, nil, 0
		return nil
	}
	buf, err := c.alloc(out)
	if err != nil {
		return err
	}
	info.DerivedKey, info.DerivedSize = buf, len(buf)
	return nil
}

// kdfError maps a KDF failure: an unknown KDF, or a parameter unknown, misplaced, missing, of a
// bad length or naming an unknown hash, is an invalid parameter (reference §4.12).
func kdfError(fn string, err error) error {
	return errf(spec.SCardEInvalidParameter, "%s: %v", fn, err)
}
