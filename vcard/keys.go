package vcard

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// parseKey decodes a slot's PKCS#8 key and checks that it matches the slot's algorithm.
func parseKey(k *Key) (crypto.Signer, error) {
	pk, err := x509.ParsePKCS8PrivateKey(k.PKCS8)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	switch key := pk.(type) {
	case *rsa.PrivateKey:
		if bits := piv.RSABits(k.Alg); bits == 0 || key.N.BitLen() != bits {
			return nil, fmt.Errorf("RSA-%d key stored for algorithm %02X", key.N.BitLen(), k.Alg)
		}
		key.Precompute()
		return key, nil
	case *ecdsa.PrivateKey:
		if bits := piv.ECCBits(k.Alg); bits == 0 || key.Curve.Params().BitSize != bits {
			return nil, fmt.Errorf("EC %s key stored for algorithm %02X", key.Curve.Params().Name, k.Alg)
		}
		return key, nil
	}
	return nil, fmt.Errorf("unsupported key type %T", pk)
}

// curveFor returns the curve of an ECC algorithm identifier.
func curveFor(alg byte) elliptic.Curve {
	switch alg {
	case piv.AlgECCP256:
		return elliptic.P256()
	case piv.AlgECCP384:
		return elliptic.P384()
	}
	return nil
}

// generateKey makes a new key for alg.
func generateKey(alg byte, rnd io.Reader) (crypto.Signer, error) {
	if bits := piv.RSABits(alg); bits != 0 {
		return rsa.GenerateKey(rnd, bits)
	}
	if c := curveFor(alg); c != nil {
		return ecdsa.GenerateKey(c, rnd)
	}
	return nil, fmt.Errorf("algorithm %02X cannot be generated", alg)
}

// publicKeyTLVs encodes a public key as the elements of the 7F49 template: 81 modulus, 82 exponent
// for RSA; 86 uncompressed point for ECC.
func publicKeyTLVs(pub crypto.PublicKey) ([]byte, error) {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		out := tlv.Encode(0x81, p.N.Bytes())
		return tlv.Append(out, 0x82, big.NewInt(int64(p.E)).Bytes()), nil
	case *ecdsa.PublicKey:
		ek, err := p.ECDH()
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		return tlv.Encode(0x86, ek.Bytes()), nil
	}
	return nil, fmt.Errorf("unsupported public key %T", pub)
}

// rsaRaw performs the raw RSA private-key operation c^d mod n, with blinding and a check of the
// result against the public key (so a computation fault never leaks the key).
func rsaRaw(key *rsa.PrivateKey, in []byte, rnd io.Reader) ([]byte, error) {
	k := (key.N.BitLen() + 7) / 8
	if len(in) != k {
		return nil, errors.New("input length differs from the modulus length")
	}
	c := new(big.Int).SetBytes(in)
	if c.Cmp(key.N) >= 0 {
		return nil, errors.New("input not smaller than the modulus")
	}
	if t, ok := pkcs1SignaturePayload(in); ok {
		// The usual case, a PKCS#1 v1.5 signature block built by the host: crypto/rsa computes
		// exactly in^d for it, in constant time and with its own fault check.
		return rsa.SignPKCS1v15(nil, key, crypto.Hash(0), t)
	}
	e := big.NewInt(int64(key.E))
	// Blind: c' = c * r^e mod n.
	var r, rInv *big.Int
	for {
		var err error
		r, err = randInt(rnd, key.N)
		if err != nil {
			return nil, err
		}
		rInv = new(big.Int).ModInverse(r, key.N)
		if rInv != nil {
			break
		}
	}
	cb := new(big.Int).Exp(r, e, key.N)
	cb.Mul(cb, c).Mod(cb, key.N)

	var m *big.Int
	if len(key.Primes) == 2 && key.Precomputed.Dp != nil {
		p, q := key.Primes[0], key.Primes[1]
		m1 := new(big.Int).Exp(new(big.Int).Mod(cb, p), key.Precomputed.Dp, p)
		m2 := new(big.Int).Exp(new(big.Int).Mod(cb, q), key.Precomputed.Dq, q)
		h := m1.Sub(m1, m2)
		h.Mul(h, key.Precomputed.Qinv).Mod(h, p)
		m = h.Mul(h, q).Add(h, m2)
	} else {
		m = new(big.Int).Exp(cb, key.D, key.N)
	}
	m.Mul(m, rInv).Mod(m, key.N)
	if new(big.Int).Exp(m, e, key.N).Cmp(c) != 0 {
		return nil, errors.New("RSA computation check failed")
	}
	return m.FillBytes(make([]byte, k)), nil
}

// pkcs1SignaturePayload recognises an EMSA-PKCS1-v1_5 block (00 01, at least eight FF bytes, 00,
// payload) and returns its payload.
func pkcs1SignaturePayload(em []byte) ([]byte, bool) {
	if len(em) < 11 || em[0] != 0x00 || em[1] != 0x01 {
		return nil, false
	}
	i := 2
	for i < len(em) && em[i] == 0xFF {
		i++
	}
	if i-2 < 8 || i >= len(em) || em[i] != 0x00 {
		return nil, false
	}
	return em[i+1:], true
}

// randInt returns a uniform random integer in [1, n).
func randInt(rnd io.Reader, n *big.Int) (*big.Int, error) {
	buf := make([]byte, (n.BitLen()+7)/8)
	for range 100 {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return nil, fmt.Errorf("random: %w", err)
		}
		v := new(big.Int).SetBytes(buf)
		v.Rsh(v, uint(len(buf)*8-n.BitLen()))
		if v.Sign() > 0 && v.Cmp(n) < 0 {
			return v, nil
		}
	}
	return nil, errors.New("random: no value in range")
}

// importRSA builds an RSA key from the CRT components of IMPORT ASYMMETRIC KEY (public exponent
// 65537, as YubiKeys assume).
func importRSA(bits int, p, q, dp, dq, qinv []byte) (*rsa.PrivateKey, error) {
	half := bits / 16
	for _, v := range [][]byte{p, q, dp, dq, qinv} {
		if len(v) == 0 || len(v) > half {
			return nil, fmt.Errorf("CRT component of %d bytes for RSA-%d", len(v), bits)
		}
	}
	P, Q := new(big.Int).SetBytes(p), new(big.Int).SetBytes(q)
	n := new(big.Int).Mul(P, Q)
	if n.BitLen() != bits {
		return nil, fmt.Errorf("modulus of %d bits, want %d", n.BitLen(), bits)
	}
	e := big.NewInt(65537)
	one := big.NewInt(1)
	pm1, qm1 := new(big.Int).Sub(P, one), new(big.Int).Sub(Q, one)
	phi := new(big.Int).Mul(pm1, qm1)
	d := new(big.Int).ModInverse(e, phi)
	if d == nil {
		return nil, errors.New("exponent 65537 not invertible")
	}
	key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{P, Q}}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("RSA key: %w", err)
	}
	key.Precompute()
	if key.Precomputed.Dp.Cmp(new(big.Int).SetBytes(dp)) != 0 || key.Precomputed.Dq.Cmp(new(big.Int).SetBytes(dq)) != 0 ||
		key.Precomputed.Qinv.Cmp(new(big.Int).SetBytes(qinv)) != 0 {
		return nil, errors.New("CRT components do not match the primes")
	}
	return key, nil
}

// importEC builds an EC key from its private scalar.
func importEC(alg byte, scalar []byte) (*ecdsa.PrivateKey, error) {
	c := curveFor(alg)
	size := (c.Params().BitSize + 7) / 8
	if len(scalar) == 0 || len(scalar) > size {
		return nil, fmt.Errorf("private scalar of %d bytes for a %d-byte curve", len(scalar), size)
	}
	padded := make([]byte, size)
	copy(padded[size-len(scalar):], scalar)
	key, err := ecdsa.ParseRawPrivateKey(c, padded)
	if err != nil {
		return nil, fmt.Errorf("EC key: %w", err)
	}
	return key, nil
}
