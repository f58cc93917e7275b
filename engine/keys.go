package engine

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/cardmod/cardmod/spec"
)

// Symmetric key handles (CARD_KEY_HANDLE): keys derived with CardDeriveKey and
// CARD_RETURN_KEY_HANDLE stay inside the minidriver. A handle is a random value, unique in its
// context; the key is wiped by CardDestroyKey and CardDeleteContext.

// symAlg is a symmetric algorithm of the minidriver interface.
type symAlg struct {
	name  string
	bits  int // key length
	block int // block length in bytes
}

// symKeySizes are the key lengths (bits) of each algorithm, as CNG reports them.
var symKeySizes = map[string]spec.KeySizes{
	spec.CardAESAlgorithm:     {Version: spec.CardKeySizesCurrentVersion, Minimum: 128, Default: 256, Maximum: 256, Incremental: 64},
	spec.Card3DESAlgorithm:    {Version: spec.CardKeySizesCurrentVersion, Minimum: 192, Default: 192, Maximum: 192, Incremental: 0},
	spec.Card3DES112Algorithm: {Version: spec.CardKeySizesCurrentVersion, Minimum: 128, Default: 128, Maximum: 128, Incremental: 0},
}

// symAlgFor checks pwszAlgId and dwKeyLen of a key handle request; a key length of 0 is the
// algorithm's default.
func symAlgFor(fn, name string, has bool, bits uint32) (symAlg, error) {
	if !has {
		return symAlg{}, errf(spec.SCardEInvalidParameter, "%s: NULL algorithm", fn)
	}
	ks, ok := symKeySizes[name]
	if !ok {
		return symAlg{}, errf(spec.SCardEInvalidParameter, "%s: unknown algorithm %q", fn, name)
	}
	b := int(bits)
	if b == 0 {
		b = int(ks.Default)
	}
	if b < int(ks.Minimum) || b > int(ks.Maximum) || (ks.Incremental != 0 && (b-int(ks.Minimum))%int(ks.Incremental) != 0) ||
		(ks.Incremental == 0 && b != int(ks.Minimum)) {
		return symAlg{}, errf(spec.SCardEInvalidParameter, "%s: a %d-bit %s key", fn, bits, name)
	}
	block := 8
	if name == spec.CardAESAlgorithm {
		block = 16
	}
	return symAlg{name: name, bits: b, block: block}, nil
}

// symKey is the key behind a handle.
type symKey struct {
	alg   symAlg
	key   []byte
	iv    []byte
	chain string
}

func (k *symKey) wipe() {
	clear(k.key)
	clear(k.iv)
}

// maxKeys bounds the key handles of one context.
const maxKeys = 1024

// newKey makes a key handle for the first alg.bits/8 bytes of material.
func (c *Context) newKey(fn string, alg symAlg, material []byte) (uintptr, error) {
	n := alg.bits / 8
	if len(material) < n {
		return 0, errf(spec.SCardEInvalidParameter, "%s: the KDF gives %d bytes, a %d-bit %s key needs %d", fn,
			len(material), alg.bits, alg.name, n)
	}
	if len(c.keys) >= maxKeys {
		return 0, errf(spec.SCardENoMemory, "%s: %d key handles are alive", fn, len(c.keys))
	}
	var h uintptr
	for h == 0 || c.keys[h] != nil {
		var r [4]byte
		if _, err := rand.Read(r[:]); err != nil {
			return 0, errf(spec.NTEFail, "%s: key handle: %v", fn, err)
		}
		// 31 random bits: the handle fits a 32-bit CARD_KEY_HANDLE, and 0 stays special.
		h = uintptr(binary.LittleEndian.Uint32(r[:]) & 0x7FFFFFFF)
	}
	k := &symKey{alg: alg, key: make([]byte, n), iv: make([]byte, alg.block), chain: spec.CardChainModeCBC}
	copy(k.key, material)
	c.keys[h] = k
	return h, nil
}

// wipeKeys destroys every key handle of the context.
func (c *Context) wipeKeys() {
	for h, k := range c.keys {
		k.wipe()
		delete(c.keys, h)
	}
}

// keyOf returns the key of a handle, or SCARD_E_INVALID_HANDLE.
func (c *Context) keyOf(fn string, h uintptr) (*symKey, error) {
	k, ok := c.keys[h]
	if !ok {
		return nil, errf(spec.SCardEInvalidHandle, "%s: no key handle %#x", fn, h)
	}
	return k, nil
}

// DestroyKey is CardDestroyKey: the key is wiped and the handle forgotten.
func (c *Context) DestroyKey(key uintptr) error {
	const fn = "CardDestroyKey"
	unlock, err := c.enter(fn, true)
	if err != nil {
		return err
	}
	defer unlock()
	k, err := c.keyOf(fn, key)
	if err != nil {
		return err
	}
	k.wipe()
	delete(c.keys, key)
	return nil
}

// GetAlgorithmProperty is CardGetAlgorithmProperty: CP_CARD_KEYSIZES of AES, 3DES and 3DES_112.
func (c *Context) GetAlgorithmProperty(algID, property string, flags uint32) ([]byte, error) {
	const fn = "CardGetAlgorithmProperty"
	unlock, err := c.enter(fn, true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return nil, err
	}
	ks, ok := symKeySizes[algID]
	if !ok {
		return nil, errf(spec.SCardEInvalidParameter, "%s: unknown algorithm %q", fn, algID)
	}
	if property != spec.CPCardKeySizes {
		return nil, errf(spec.SCardEInvalidParameter, "%s: unknown property %q", fn, property)
	}
	return ks.MarshalBinary(), nil
}

// GetKeyProperty is CardGetKeyProperty: CKP_BLOCK_LENGTH (DWORD), CKP_CHAINING_MODE (a UTF-16
// string) and CKP_INITIALIZATION_VECTOR.
func (c *Context) GetKeyProperty(key uintptr, property string, flags uint32) ([]byte, error) {
	const fn = "CardGetKeyProperty"
	unlock, err := c.enter(fn, true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return nil, err
	}
	k, err := c.keyOf(fn, key)
	if err != nil {
		return nil, err
	}
	switch property {
	case spec.CKPBlockLength:
		return dword(uint32(k.alg.block)), nil
	case spec.CKPChainingMode:
		return spec.UTF16LEBytes(k.chain), nil
	case spec.CKPInitializationVector:
		return append([]byte(nil), k.iv...), nil
	}
	return nil, errf(spec.SCardEInvalidParameter, "%s: unknown property %q", fn, property)
}

// SetKeyProperty is CardSetKeyProperty: CKP_CHAINING_MODE (only ChainingModeCBC) and
// CKP_INITIALIZATION_VECTOR (one block).
func (c *Context) SetKeyProperty(key uintptr, property string, input []byte, flags uint32) error {
	const fn = "CardSetKeyProperty"
	unlock, err := c.enter(fn, true)
	if err != nil {
		return err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return err
	}
	k, err := c.keyOf(fn, key)
	if err != nil {
		return err
	}
	switch property {
	case spec.CKPChainingMode:
		mode, err := spec.StringFromUTF16LE(input)
		if err != nil {
			return errf(spec.SCardEInvalidParameter, "%s: chaining mode: %v", fn, err)
		}
		if mode != spec.CardChainModeCBC {
			return errf(spec.SCardEUnsupportedFeature, "%s: chaining mode %q (only %s)", fn, mode, spec.CardChainModeCBC)
		}
		k.chain = mode
		return nil
	case spec.CKPInitializationVector:
		if len(input) != k.alg.block {
			return errf(spec.SCardEInvalidParameter, "%s: an IV of %d bytes for a %d-byte block", fn, len(input), k.alg.block)
		}
		copy(k.iv, input)
		return nil
	case spec.CKPBlockLength:
		return errf(spec.SCardEInvalidParameter, "%s: %q is read-only", fn, property)
	}
	return errf(spec.SCardEInvalidParameter, "%s: unknown property %q", fn, property)
}
