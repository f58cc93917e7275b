package piv

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/cardmod/cardmod/tlv"
)

// Tags of the YubiKey IMPORT ASYMMETRIC KEY command data.
const (
	TagImportP        = 0x01 // RSA prime p
	TagImportQ        = 0x02 // RSA prime q
	TagImportDP       = 0x03 // RSA d mod (p-1)
	TagImportDQ       = 0x04 // RSA d mod (q-1)
	TagImportQInv     = 0x05 // RSA q⁻¹ mod p
	TagImportECScalar = 0x06 // ECC private scalar
	TagPINPolicy      = 0xAA // PIN policy (GENERATE and IMPORT)
	TagTouchPolicy    = 0xAB // touch policy (GENERATE and IMPORT)
)

// ImportRSAExponent is the only public exponent a YubiKey accepts for imported RSA keys: the
// command carries no exponent, the card assumes 65537.
const ImportRSAExponent = 65537

// ErrImportUnsupported is wrapped by the error of ImportKey for a key the command cannot carry
// (another type, size, curve or exponent); nothing is sent then.
var ErrImportUnsupported = errors.New("key not supported by PIV import")

// ImportKey puts a private key into slot with the YubiKey IMPORT ASYMMETRIC KEY command (INS FE,
// P1 the algorithm, P2 the slot) and returns the algorithm used. It needs the management key.
// slot is a key slot (IsKeySlot) or the YubiKey attestation slot F9; other references are refused
// before anything is sent.
//
// key is an *rsa.PrivateKey of 1024, 2048, 3072 or 4096 bits with two primes and exponent 65537
// (sent as 01 p, 02 q, 03 dP, 04 dQ, 05 qInv, each left-padded to half the modulus length; the
// CRT values are computed from D), or an *ecdsa.PrivateKey or *ecdh.PrivateKey on P-256 or P-384
// (sent as 06 and the private scalar, padded to the field size). Other keys give an error wrapping
// ErrImportUnsupported before anything is sent. Zero policies leave the card's defaults; others
// are sent as AA (PIN policy) and AB (touch policy) and checked by the card.
//
// The command data holds the private key: it is built in one buffer that is wiped after the
// exchange, and Redactor leaves INS FE data out of traces.
func (c *Client) ImportKey(slot byte, key crypto.PrivateKey, pinPolicy, touchPolicy byte) (alg byte, err error) {
	if !IsKeySlot(slot) && slot != SlotAttestation {
		return 0, fmt.Errorf("import key: %02X is not a key slot", slot)
	}
	var data []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		alg, data, err = rsaImportData(k, pinPolicy, touchPolicy)
	case *ecdsa.PrivateKey:
		alg, data, err = ecdsaImportData(k, pinPolicy, touchPolicy)
	case *ecdh.PrivateKey:
		alg, data, err = ecdhImportData(k, pinPolicy, touchPolicy)
	default:
		err = fmt.Errorf("%w: %T", ErrImportUnsupported, key)
	}
	if err != nil {
		return 0, fmt.Errorf("import key into slot %02X: %w", slot, err)
	}
	defer clear(data)
	if _, err := c.do(InsImportKey, alg, slot, data); err != nil {
		return 0, fmt.Errorf("import %s key into slot %02X: %w", AlgName(alg), slot, err)
	}
	return alg, nil
}

// policyLen is the size of the optional policy elements.
func policyLen(pinPolicy, touchPolicy byte) int {
	n := 0
	if pinPolicy != 0 {
		n += 3
	}
	if touchPolicy != 0 {
		n += 3
	}
	return n
}

func appendPolicies(b []byte, pinPolicy, touchPolicy byte) []byte {
	if pinPolicy != 0 {
		b = append(b, TagPINPolicy, 1, pinPolicy)
	}
	if touchPolicy != 0 {
		b = append(b, TagTouchPolicy, 1, touchPolicy)
	}
	return b
}

// rsaImportData builds the IMPORT data of an RSA key in one exactly-sized buffer: the values are
// written in place with FillBytes, so no other copy of them is made.
func rsaImportData(k *rsa.PrivateKey, pinPolicy, touchPolicy byte) (byte, []byte, error) {
	if k == nil || k.N == nil || k.D == nil || len(k.Primes) != 2 || k.Primes[0] == nil || k.Primes[1] == nil {
		return 0, nil, fmt.Errorf("%w: RSA key without two primes and a private exponent", ErrImportUnsupported)
	}
	bits := k.N.BitLen()
	var alg byte
	switch bits {
	case 1024:
		alg = AlgRSA1024
	case 2048:
		alg = AlgRSA2048
	case 3072:
		alg = AlgRSA3072
	case 4096:
		alg = AlgRSA4096
	default:
		return 0, nil, fmt.Errorf("%w: RSA key of %d bits (1024, 2048, 3072 or 4096)", ErrImportUnsupported, bits)
	}
	if k.E != ImportRSAExponent {
		return 0, nil, fmt.Errorf("%w: RSA public exponent %d (the card assumes %d)", ErrImportUnsupported, k.E, ImportRSAExponent)
	}
	if err := k.Validate(); err != nil {
		return 0, nil, fmt.Errorf("invalid RSA key: %w", err)
	}
	p, q := k.Primes[0], k.Primes[1]
	half := bits / 16
	if (p.BitLen()+7)/8 > half || (q.BitLen()+7)/8 > half {
		return 0, nil, fmt.Errorf("%w: RSA primes longer than half the modulus", ErrImportUnsupported)
	}
	one := big.NewInt(1)
	pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
	dp, dq := new(big.Int).Mod(k.D, pm1), new(big.Int).Mod(k.D, qm1)
	qinv := new(big.Int).ModInverse(q, p)
	if qinv == nil {
		return 0, nil, errors.New("invalid RSA key: q has no inverse mod p")
	}
	values := []*big.Int{p, q, dp, dq, qinv}
	elem := 1 + tlv.LenSize(half) + half
	data := make([]byte, 0, len(values)*elem+policyLen(pinPolicy, touchPolicy))
	for i, v := range values {
		data = append(data, byte(TagImportP+i))
		data = tlv.AppendLength(data, half)
		data = data[:len(data)+half]
		v.FillBytes(data[len(data)-half:])
	}
	// The values computed here are secret too: overwrite their words (big.Int has no wipe).
	for _, v := range []*big.Int{pm1, qm1, dp, dq, qinv} {
		wipeInt(v)
	}
	return alg, appendPolicies(data, pinPolicy, touchPolicy), nil
}

// wipeInt overwrites the words of v (a temporary holding a secret) with zeros.
func wipeInt(v *big.Int) {
	w := v.Bits()
	clear(w[:cap(w)])
	v.SetInt64(0)
}

func eccAlg(curve elliptic.Curve) (byte, int, error) {
	switch curve {
	case elliptic.P256():
		return AlgECCP256, 32, nil
	case elliptic.P384():
		return AlgECCP384, 48, nil
	}
	name := "unknown"
	if curve != nil {
		name = curve.Params().Name
	}
	return 0, 0, fmt.Errorf("%w: curve %s (P-256 or P-384)", ErrImportUnsupported, name)
}

func ecdsaImportData(k *ecdsa.PrivateKey, pinPolicy, touchPolicy byte) (byte, []byte, error) {
	if k == nil {
		return 0, nil, fmt.Errorf("%w: nil ECDSA key", ErrImportUnsupported)
	}
	alg, size, err := eccAlg(k.Curve)
	if err != nil {
		return 0, nil, err
	}
	scalar, err := k.Bytes()
	if err != nil {
		return 0, nil, fmt.Errorf("invalid EC key: %w", err)
	}
	defer clear(scalar)
	if len(scalar) != size {
		return 0, nil, fmt.Errorf("invalid EC key: private scalar of %d bytes", len(scalar))
	}
	return alg, scalarImportData(scalar, size, pinPolicy, touchPolicy), nil
}

func ecdhImportData(k *ecdh.PrivateKey, pinPolicy, touchPolicy byte) (byte, []byte, error) {
	if k == nil {
		return 0, nil, fmt.Errorf("%w: nil ECDH key", ErrImportUnsupported)
	}
	var curve elliptic.Curve
	switch k.Curve() {
	case ecdh.P256():
		curve = elliptic.P256()
	case ecdh.P384():
		curve = elliptic.P384()
	}
	alg, size, err := eccAlg(curve)
	if err != nil {
		return 0, nil, err
	}
	scalar := k.Bytes()
	defer clear(scalar)
	if len(scalar) != size {
		return 0, nil, fmt.Errorf("invalid EC key: private scalar of %d bytes", len(scalar))
	}
	return alg, scalarImportData(scalar, size, pinPolicy, touchPolicy), nil
}

// scalarImportData returns 06 L scalar and the policies, in one buffer. The scalar is exactly size
// bytes long (the Bytes methods of both key types return the fixed-size encoding).
func scalarImportData(scalar []byte, size int, pinPolicy, touchPolicy byte) []byte {
	data := make([]byte, 0, 2+size+policyLen(pinPolicy, touchPolicy))
	data = append(data, TagImportECScalar, byte(size))
	data = append(data, scalar...)
	return appendPolicies(data, pinPolicy, touchPolicy)
}
