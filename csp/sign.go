package csp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// Signer is a container's key as a crypto.Signer: every Sign is one CardSignData.
type Signer struct {
	s   *Session
	idx byte
	ks  spec.KeySpec
	pub crypto.PublicKey
}

// Signer returns container idx's key as a crypto.Signer (its public key read with
// CardGetContainerInfo). The PIN must be authenticated before Sign.
func (s *Session) Signer(idx byte) (*Signer, error) {
	pub, ks, err := s.ContainerKey(idx)
	if err != nil {
		return nil, err
	}
	return &Signer{s: s, idx: idx, ks: ks, pub: pub}, nil
}

// Public returns the container's public key.
func (k *Signer) Public() crypto.PublicKey { return k.pub }

// Index returns the container index.
func (k *Signer) Index() byte { return k.idx }

// KeySpec returns the container's key spec.
func (k *Signer) KeySpec() spec.KeySpec { return k.ks }

// Sign signs digest with CardSignData and returns the signature as crypto.Signer must: RSA
// big-endian (PKCS#1 v1.5, or PSS when opts is *rsa.PSSOptions), ECDSA as the ASN.1 DER
// ECDSA-Sig-Value. rand is not used: the minidriver draws the PSS salt.
func (k *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := k.s.SignDigest(k.idx, k.ks, k.pub, digest, opts)
	if err != nil {
		return nil, err
	}
	if _, ok := k.pub.(*ecdsa.PublicKey); ok {
		return ECDSASignatureDER(sig)
	}
	return sig, nil
}

// calgOf maps a hash to the ALG_ID the Base CSP puts in CARD_SIGNING_INFO.aiHashAlg.
func calgOf(h crypto.Hash) (spec.ALGID, bool) {
	switch h {
	case 0:
		return 0, true // no DigestInfo: the data is signed as given
	case crypto.MD5:
		return spec.CALGMD5, true
	case crypto.SHA1:
		return spec.CALGSHA1, true
	case crypto.SHA256:
		return spec.CALGSHA256, true
	case crypto.SHA384:
		return spec.CALGSHA384, true
	case crypto.SHA512:
		return spec.CALGSHA512, true
	case crypto.MD5SHA1:
		return spec.CALGSSL3SHAMD5, true
	}
	return 0, false
}

// bcryptHashName maps a hash to its BCrypt algorithm name (the KSP's padding info pszAlgId).
func bcryptHashName(h crypto.Hash) (string, bool) {
	switch h {
	case crypto.SHA1:
		return spec.BCryptSHA1Algorithm, true
	case crypto.SHA256:
		return spec.BCryptSHA256Algorithm, true
	case crypto.SHA384:
		return spec.BCryptSHA384Algorithm, true
	case crypto.SHA512:
		return spec.BCryptSHA512Algorithm, true
	}
	return "", false
}

// SignDigest is CardSignData with container idx (key spec ks, public key pub) on a digest, the
// way the CSP and the KSP call it:
//
//   - RSA, PKCS#1 v1.5: CARD_SIGNING_INFO with aiHashAlg the hash's ALG_ID (the Base CSP's
//     form; the minidriver adds the DigestInfo), no padding info;
//   - RSA-PSS (opts is *rsa.PSSOptions): CARD_PADDING_INFO_PRESENT, CARD_PADDING_PSS and
//     BCRYPT_PSS_PADDING_INFO with the hash's BCrypt name and the salt length (the hash length
//     for rsa.PSSSaltLengthAuto and rsa.PSSSaltLengthEqualsHash), as the KSP passes them;
//   - ECDSA: the bare digest.
//
// It returns RSA signatures big-endian (CardSignData returns them little-endian, CryptoAPI's
// order: they are reversed) and ECDSA signatures as r||s, big-endian, as the minidriver returns
// them. Session.BeforeSign runs first.
func (s *Session) SignDigest(idx byte, ks spec.KeySpec, pub crypto.PublicKey, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	si := &engine.SigningInfo{Version: spec.CardSigningInfoCurrentVersion, ContainerIndex: idx, KeySpec: ks, Data: digest}
	var h crypto.Hash
	if opts != nil {
		h = opts.HashFunc()
	}
	_, isRSA := pub.(*rsa.PublicKey)
	pss, isPSS := opts.(*rsa.PSSOptions)
	switch {
	case !isRSA && isPSS:
		return nil, fmt.Errorf("container %d: PSS needs an RSA key", idx)
	case isRSA && isPSS:
		name, ok := bcryptHashName(h)
		if !ok {
			return nil, fmt.Errorf("container %d: RSA-PSS with %v is not supported", idx, h)
		}
		salt := pss.SaltLength
		if salt == rsa.PSSSaltLengthAuto || salt == rsa.PSSSaltLengthEqualsHash {
			salt = h.Size()
		}
		if salt < 0 {
			return nil, fmt.Errorf("container %d: PSS salt length %d", idx, pss.SaltLength)
		}
		si.SigningFlags = spec.CardPaddingInfoPresent
		si.PaddingType = engine.PaddingPSS
		si.Padding = &engine.PaddingInfo{AlgID: name, HasAlgID: true, SaltLen: uint32(salt)}
	case isRSA:
		alg, ok := calgOf(h)
		if !ok {
			return nil, fmt.Errorf("container %d: RSA PKCS#1 v1.5 with %v is not supported", idx, h)
		}
		si.HashAlg = alg
	}
	if h != 0 && len(digest) != h.Size() {
		return nil, fmt.Errorf("container %d: a %d-byte digest for %v", idx, len(digest), h)
	}
	if s.BeforeSign != nil {
		if err := s.BeforeSign(idx); err != nil {
			return nil, err
		}
	}
	var sig []byte
	err := s.call("CardSignData", func() error {
		err := s.MD.SignData(si)
		sig = s.take(si.SignedData)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sign with container %d: %w", idx, err)
	}
	if isRSA {
		slices.Reverse(sig) // CryptoAPI's little-endian form to the usual big-endian one
	}
	return sig, nil
}

// ECDSASignatureDER converts an r||s ECDSA signature (two big-endian halves of equal length) to
// the DER SEQUENCE { r INTEGER, s INTEGER } that crypto.Signer and X.509 use.
func ECDSASignatureDER(rs []byte) ([]byte, error) {
	if len(rs) == 0 || len(rs)%2 != 0 {
		return nil, errors.New("ECDSA signature of odd or zero length")
	}
	n := len(rs) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:n]), new(big.Int).SetBytes(rs[n:])})
}
