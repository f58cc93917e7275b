package engine

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"math/big"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// Enrollment: containers are created in a PIV key slot chosen by key spec and PIN, and recorded
// in the map object. The order of the card writes of each flow is such that a flow cut after any
// command leaves, as seen through the map, the old state or the new one (docs/enrollment.md).

// CreateContainer is CardCreateContainer: the container is guarded by ROLE_USER.
func (c *Context) CreateContainer(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte) error {
	const fn = "CardCreateContainer"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	return c.createContainer(fn, idx, flags, ks, bits, keyData, spec.RoleUser)
}

// CreateContainerEx is CardCreateContainerEx: the container is guarded by pin (ROLE_USER, or 3 for
// a key that needs the PIN before every use; such keys go to the 9C slot when it is free).
func (c *Context) CreateContainerEx(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte, pin spec.PINID) error {
	const fn = "CardCreateContainerEx"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	return c.createContainer(fn, idx, flags, ks, bits, keyData, pin)
}

// newKey is the key a container creation puts on the card.
type newKey struct {
	alg  byte
	bits int
	priv crypto.PrivateKey // import only
}

// wipe clears the private key (best effort: big.Int values are overwritten).
func (k *newKey) wipe() {
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		for _, v := range append([]*big.Int{p.D, p.Precomputed.Dp, p.Precomputed.Dq, p.Precomputed.Qinv}, p.Primes...) {
			if v != nil {
				v.SetInt64(0)
			}
		}
	case *ecdsa.PrivateKey:
		if p.D != nil {
			p.D.SetInt64(0)
		}
	}
	k.priv = nil
}

// rsaAlgs are the PIV algorithms of the RSA sizes.
var rsaAlgs = map[int]byte{1024: piv.AlgRSA1024, 2048: piv.AlgRSA2048, 3072: piv.AlgRSA3072, 4096: piv.AlgRSA4096}

// rsaSupported reports whether the card makes and holds RSA keys of bits: 1024 and 2048 on every
// PIV card, 3072 and 4096 on YubiKey 5.7 and later (and the virtual card, which reports 5.7).
func (c *Context) rsaSupported(bits int) bool {
	switch bits {
	case 1024, 2048:
		return true
	case 3072, 4096:
		v := c.cardVersion()
		return v[0] > 5 || (v[0] == 5 && v[1] >= 7)
	}
	return false
}

// checkNewKey validates the request: UNSUPPORTED_FEATURE conditions first, then the parameters.
func (c *Context) checkNewKey(fn string, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte, pin spec.PINID) (*newKey, error) {
	if flags != spec.CardCreateContainerKeyGen && flags != spec.CardCreateContainerKeyImport {
		return nil, errf(spec.SCardEInvalidParameter, "%s: flags %#x (one of KEY_GEN and KEY_IMPORT)", fn, flags)
	}
	if !ks.Valid() {
		return nil, errf(spec.SCardEInvalidParameter, "%s: unknown key spec %d", fn, ks)
	}
	if ks == spec.ATECDSAP521 || ks == spec.ATECDHEP521 {
		return nil, errf(spec.SCardEUnsupportedFeature, "%s: PIV has no P-521 keys", fn)
	}
	k := &newKey{}
	if ks.IsRSA() && flags == spec.CardCreateContainerKeyGen {
		b := int(bits)
		if b == 0 {
			b = 2048
		}
		if _, ok := rsaAlgs[b]; !ok {
			return nil, errf(spec.SCardEInvalidParameter, "%s: RSA keys of %d bits", fn, bits)
		}
		if !c.rsaSupported(b) {
			return nil, errf(spec.SCardEUnsupportedFeature, "%s: this card has no RSA-%d keys", fn, b)
		}
		k.alg, k.bits = rsaAlgs[b], b
	} else if ks.IsECC() {
		k.bits = ks.CurveBits()
		k.alg = piv.AlgECCP256
		if k.bits == 384 {
			k.alg = piv.AlgECCP384
		}
		if bits != 0 && int(bits) != k.bits {
			return nil, errf(spec.SCardEInvalidParameter, "%s: key size %d for a %d-bit curve", fn, bits, k.bits)
		}
	}
	switch pin {
	case spec.RoleUser, pinSign:
	case spec.RoleAdmin:
		return nil, errf(spec.SCardEInvalidParameter, "%s: the admin PIN cannot guard a container", fn)
	default:
		return nil, errf(spec.SCardEInvalidParameter, "%s: PIN %d cannot guard a container", fn, pin)
	}
	if flags == spec.CardCreateContainerKeyImport {
		if keyData == nil {
			return nil, errf(spec.SCardEInvalidParameter, "%s: NULL key blob", fn)
		}
		priv, kind, err := spec.ParsePrivateKeyBlob(keyData)
		if err != nil {
			return nil, errf(spec.SCardEInvalidParameter, "%s: key blob: %v", fn, err)
		}
		if (kind == spec.BlobBCryptECDSAPrivate && !ks.IsECDSA()) || (kind == spec.BlobBCryptECDHPrivate && !ks.IsECDH()) {
			k.priv = priv
			k.wipe()
			return nil, errf(spec.SCardEInvalidParameter, "%s: a %v for key spec %d (the blob's magic must match the key spec)", fn, kind, ks)
		}
		k.priv = priv
		switch p := priv.(type) {
		case *rsa.PrivateKey:
			b := p.N.BitLen()
			if !ks.IsRSA() {
				k.wipe()
				return nil, errf(spec.SCardEInvalidParameter, "%s: an RSA key blob for key spec %d", fn, ks)
			}
			if _, ok := rsaAlgs[b]; !ok || (bits != 0 && int(bits) != b) {
				k.wipe()
				return nil, errf(spec.SCardEInvalidParameter, "%s: RSA key of %d bits (size given %d)", fn, b, bits)
			}
			if !c.rsaSupported(b) {
				k.wipe()
				return nil, errf(spec.SCardEUnsupportedFeature, "%s: this card has no RSA-%d keys", fn, b)
			}
			k.alg, k.bits = rsaAlgs[b], b
		case *ecdsa.PrivateKey:
			if !ks.IsECC() || p.Curve.Params().BitSize != k.bits {
				k.wipe()
				return nil, errf(spec.SCardEInvalidParameter, "%s: a %d-bit ECC key blob for key spec %d", fn,
					p.Curve.Params().BitSize, ks)
			}
		default:
			k.wipe()
			return nil, errf(spec.SCardEInvalidParameter, "%s: key blob of type %T", fn, priv)
		}
	}
	return k, nil
}

// slotCandidates lists the slots a new container may take, in order of preference: 9C for keys
// that need the PIN before every use, 9A (PIV Authentication, the logon key) for the others, 9D
// (Key Management) for key exchange keys, then the retired key management slots. 9E (Card
// Authentication, usable without PIN) is never chosen, and 9C only for keys that need the PIN
// before every use (the card asks for it there); 9D is the last resort of any key.
func slotCandidates(ks spec.KeySpec, pin spec.PINID) []byte {
	var s []byte
	switch {
	case pin == pinSign:
		s = []byte{piv.SlotSign}
	case ks.IsECDH():
		s = []byte{piv.SlotKeyMgmt}
	case ks == spec.ATKeyExchange:
		s = []byte{piv.SlotAuth, piv.SlotKeyMgmt}
	default:
		s = []byte{piv.SlotAuth}
	}
	for r := piv.SlotRetired1; r <= piv.SlotRetired20; r++ {
		s = append(s, r)
	}
	if !bytes.Contains(s, []byte{piv.SlotKeyMgmt}) {
		s = append(s, piv.SlotKeyMgmt) // the last resort of any key
	}
	return s
}

// slotFree reports whether a slot holds nothing anybody uses: no map entry, no certificate and,
// on cards that tell (YubiKey GET METADATA), no key.
func (c *Context) slotFree(m *mapObject, slot byte, mine byte) (bool, error) {
	if slot == mine {
		return true, nil
	}
	if bytes.Contains(m.keySlots(), []byte{slot}) {
		return false, nil
	}
	sd, err := c.readSlot(slot)
	if err != nil {
		return false, err
	}
	if m.released(slot) != nil {
		return m.ignores(slot, sd.certObj), nil // a key the minidriver left behind
	}
	if sd.certObj != nil {
		return false, nil
	}
	if _, err := c.piv.Metadata(slot); err == nil {
		return false, nil // a key without certificate, put there by another tool
	} else if !isCardAnswer(err) {
		return false, cardError("read slot metadata", err)
	}
	return true, nil
}

// chooseSlot picks the slot of a new container; mine is the slot the index had (0 if none). A
// container that is overwritten gets another free slot when there is one, so that its old key
// stays in use until the map switches to the new one; its own slot is the last resort.
func (c *Context) chooseSlot(fn string, m *mapObject, ks spec.KeySpec, pin spec.PINID, mine byte) (byte, error) {
	cands := slotCandidates(ks, pin)
	for _, s := range cands {
		if s == mine {
			continue
		}
		ok, err := c.slotFree(m, s, 0)
		if err != nil {
			return 0, err
		}
		if ok {
			return s, nil
		}
	}
	if mine != 0 && bytes.Contains(cands, []byte{mine}) {
		return mine, nil
	}
	return 0, errf(spec.SCardENoMemory, "%s: every PIV key slot is in use", fn)
}

// createContainer creates (or overwrites) container idx. The writes, in order:
//
//  1. when idx is a container already: the map without it (so nothing points at the old key
//     while it is replaced);
//  2. the certificate objects of the old slot and of the chosen slot are deleted (a certificate
//     must never describe a key it does not belong to);
//  3. GENERATE or IMPORT into the slot;
//  4. the map with the new container (its public key kept until a certificate is written).
//
// A cut after 1, 2 or 3 leaves no container at idx; a key without container is harmless.
func (c *Context) createContainer(fn string, idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte, pin spec.PINID) error {
	k, err := c.checkNewKey(fn, flags, ks, bits, keyData, pin)
	if err != nil {
		return err
	}
	defer k.wipe()
	if idx >= maxContainers {
		return errf(spec.SCardENoKeyContainer, "%s: container index %d (at most %d)", fn, idx, maxContainers-1)
	}
	if !c.auth.user {
		return errf(spec.SCardWSecurityViolation, "%s: only the user (PIN) may create containers", fn)
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	old := m.container(idx)
	var mine byte
	var name string
	var oldFlags byte
	if old != nil {
		name, oldFlags = old.Name, old.Flags
		if old.hasKey() {
			mine = old.slot()
		}
	}
	slot, err := c.chooseSlot(fn, m, ks, pin, mine)
	if err != nil {
		return err
	}
	// Will the final map fit? Check before the first write.
	final := m.clone()
	entry := mapContainer{Index: idx, Flags: spec.ContainerMapValidContainer, Name: name, KeySpec: uint32(ks),
		PIN: byte(pin), Slot: slot}
	if entry.Name == "" {
		entry.Name = containerName(m.GUID, slot)
	}
	if oldFlags&spec.ContainerMapDefaultContainer != 0 || !hasDefault(m, idx) {
		entry.Flags |= spec.ContainerMapDefaultContainer
	}
	setBits(&entry, ks, k.bits)
	if !c.metadataKeys() {
		entry.PubKey = make([]byte, pubKeyDERSize(k))
	}
	final.setContainer(entry)
	if n := len(final.marshal()); n > maxObjectBytes {
		return errMapFull(fn, spec.SCardENoMemory, n)
	}

	if err := c.ensureMgm(fn); err != nil {
		return err
	}
	inPlace := mine != 0 && slot == mine
	if inPlace {
		// No other slot is free: the old container must disappear before its key is replaced
		// (the one case where a cut leaves no container at idx).
		sd, err := c.readSlot(mine)
		if err != nil {
			return err
		}
		m.removeContainer(idx)
		m.release(mine, sd.certObj)
		bumpCardcf(m, true, false)
		if err := c.putMap(fn, m, spec.SCardENoMemory); err != nil {
			return err
		}
		m = m.clone()
	}
	// The new slot holds no certificate that could describe the new key.
	sd, err := c.readSlot(slot)
	if err != nil {
		return err
	}
	if sd.certObj != nil {
		if err := c.putObject(fn, piv.CertObject(slot), nil); err != nil {
			return err
		}
		c.setSlotObject(slot, nil)
	}
	// The key.
	var pub crypto.PublicKey
	pinPolicy := byte(0)
	if pin == pinSign && slot != piv.SlotSign && c.yubiExtensions() {
		pinPolicy = piv.PINPolicyAlways
	}
	if k.priv != nil {
		err = c.cardWrite(fn, func() error {
			_, err := c.piv.ImportKey(slot, k.priv, pinPolicy, 0)
			return err
		})
		pub = publicOf(k.priv)
	} else {
		err = c.cardWrite(fn, func() error {
			var err error
			pub, err = c.piv.Generate(slot, k.alg, pinPolicy, 0)
			return err
		})
	}
	if err != nil {
		return err
	}
	if sd := c.card.slots[slot]; sd != nil {
		sd.metaRead, sd.metaPub = true, pub // what GET METADATA would tell now
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return errf(spec.SCardEUnexpected, "%s: public key: %v", fn, err)
	}
	// 4. The new container.
	entry.PubKey = nil
	if !c.metadataKeys() {
		entry.PubKey = der // PIV has no other place for it until a certificate is written
	}
	m.setContainer(entry)
	if entry.Flags&spec.ContainerMapDefaultContainer != 0 {
		for i := range m.Containers {
			if m.Containers[i].Index != idx {
				m.Containers[i].Flags &^= spec.ContainerMapDefaultContainer
			}
		}
	}
	m.unrelease(slot)
	var oldObj []byte
	if mine != 0 && !inPlace {
		// The old key is given up in the same map write that switches to the new one.
		sd, err := c.readSlot(mine)
		if err != nil {
			return err
		}
		oldObj = sd.certObj
		m.release(mine, oldObj)
	}
	bumpCardcf(m, true, false)
	if err := c.putMap(fn, m, spec.SCardENoMemory); err != nil {
		return err
	}
	if oldObj != nil {
		// The old certificate describes a key nobody uses any more (the map already ignores it).
		if err := c.putObject(fn, piv.CertObject(mine), nil); err != nil {
			return err
		}
		c.setSlotObject(mine, nil)
	}
	return nil
}

// hasDefault reports whether a container other than idx is the default.
func hasDefault(m *mapObject, idx byte) bool {
	for _, mc := range m.Containers {
		if mc.Index != idx && mc.visible() && mc.Flags&spec.ContainerMapDefaultContainer != 0 {
			return true
		}
	}
	return false
}

// pubKeyDERSize is an upper bound of the PKIX encoding of the new key's public key.
func pubKeyDERSize(k *newKey) int {
	if piv.RSABits(k.alg) != 0 {
		return k.bits/8 + 40
	}
	return 2*(k.bits/8) + 30
}

// publicOf returns the public key of a private key.
func publicOf(priv crypto.PrivateKey) crypto.PublicKey {
	if s, ok := priv.(crypto.Signer); ok {
		return s.Public()
	}
	return nil
}

// yubiExtensions reports whether the card takes the YubiKey key policies (it answers GET VERSION).
func (c *Context) yubiExtensions() bool {
	return c.cardVersion() != [3]byte{}
}

// DeleteContainer is CardDeleteContainer. A container that does not exist is not an error. The
// map loses the container first, then the certificate object is deleted; PIV cannot erase a key,
// so the key stays in its slot, referenced by nothing, until a new container takes the slot.
func (c *Context) DeleteContainer(idx byte, reserved uint32) error {
	const fn = "CardDeleteContainer"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if reserved != 0 {
		return errf(spec.SCardEInvalidParameter, "%s: dwReserved %#x", fn, reserved)
	}
	if idx >= maxContainers {
		return nil
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	old := m.container(idx)
	if old == nil {
		return nil
	}
	if err := c.requireWriter(fn, false); err != nil {
		return err
	}
	slot, hadKey := old.slot(), old.hasKey()
	m.removeContainer(idx)
	if hadKey {
		sd, err := c.readSlot(slot)
		if err != nil {
			return err
		}
		m.release(slot, sd.certObj) // its certificate, until deleted, shows no container
	}
	bumpCardcf(m, true, false)
	if err := c.putMap(fn, m, spec.SCardENoMemory); err != nil {
		return err
	}
	if !hadKey {
		return nil
	}
	sd, err := c.readSlot(slot)
	if err != nil {
		return err
	}
	if sd.certObj != nil {
		if err := c.putObject(fn, piv.CertObject(slot), nil); err != nil {
			return err
		}
		c.setSlotObject(slot, nil)
		// The map records the state after the deletion, so that the cardcf the caller sees
		// stays the map's.
		m = m.clone()
		return c.putMap(fn, m, spec.SCardENoMemory)
	}
	return nil
}

// SetContainerProperty is CardSetContainerProperty: CCP_PIN_IDENTIFIER (ROLE_USER or PIN 3) and
// CCP_ASSOCIATED_ECDH_KEY.
func (c *Context) SetContainerProperty(idx byte, name string, data []byte, flags uint32) error {
	const fn = "CardSetContainerProperty"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return err
	}
	switch name {
	case spec.CCPPINIdentifier:
		if len(data) != 4 {
			return errf(spec.SCardEInvalidParameter, "%s: PIN identifier of %d bytes", fn, len(data))
		}
		pin := spec.PINID(binary.LittleEndian.Uint32(data))
		switch pin {
		case spec.RoleUser, pinSign:
		case spec.RoleAdmin:
			return errf(spec.SCardEInvalidParameter, "%s: the admin PIN cannot guard a container", fn)
		default:
			return errf(spec.SCardEInvalidParameter, "%s: PIN %d cannot guard a container", fn, pin)
		}
		ct, err := c.container(fn, idx)
		if err != nil {
			return err
		}
		if ct.slot == piv.SlotSign && pin != pinSign {
			return errf(spec.SCardEInvalidParameter, "%s: the card asks for the PIN before every use of the key in 9C", fn)
		}
		if pin == ct.pin {
			return nil
		}
		return c.updateEntry(fn, idx, func(mc *mapContainer) { mc.PIN = byte(pin) })
	case spec.CCPAssociatedECDHKey:
		if len(data) != 1 {
			return errf(spec.SCardEInvalidParameter, "%s: ECDH container index of %d bytes", fn, len(data))
		}
		ct, err := c.container(fn, idx)
		if err != nil {
			return err
		}
		if !ct.keySpec.IsECDSA() {
			return errf(spec.SCardEInvalidParameter, "%s: container %d is not an ECDSA key", fn, idx)
		}
		peer, err := c.container(fn, data[0])
		if err != nil {
			return err
		}
		if !peer.keySpec.IsECC() || peer.keySpec.CurveBits() != ct.keySpec.CurveBits() {
			return errf(spec.SCardEInvalidParameter, "%s: container %d is not an ECDH key on the same curve", fn, data[0])
		}
		return c.updateEntry(fn, idx, func(mc *mapContainer) { mc.ECDH = data[0] + 1 })
	}
	return errf(spec.SCardEInvalidParameter, "%s: unknown or read-only property %q", fn, name)
}

// updateEntry changes one container's map entry (one map write).
func (c *Context) updateEntry(fn string, idx byte, change func(*mapContainer)) error {
	if err := c.requireWriter(fn, false); err != nil {
		return err
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	mc := m.container(idx)
	if mc == nil {
		return errf(spec.SCardENoKeyContainer, "%s: no container %d", fn, idx)
	}
	change(mc)
	bumpCardcf(m, true, false)
	return c.putMap(fn, m, spec.SCardENoMemory)
}

// keepPublicKey records a container's public key in the map (adopting the container when the
// map does not have it yet), before its certificate, the only other place for it, is deleted.
func (c *Context) keepPublicKey(fn string, ct *container) error {
	der, err := x509.MarshalPKIXPublicKey(ct.pub)
	if err != nil {
		return errf(spec.SCardEUnexpected, "%s: public key: %v", fn, err)
	}
	m, err := c.baseMap()
	if err != nil {
		return err
	}
	mc := m.container(ct.index)
	if mc == nil {
		return errf(spec.SCardENoKeyContainer, "%s: no container %d", fn, ct.index)
	}
	if mc.PubKey != nil {
		return nil
	}
	mc.PubKey, mc.keepPub = der, true
	return c.putMap(fn, m, spec.SCardENoMemory)
}

// errSlotBusy reports a certificate write for a container whose key is not the certificate's.
var errSlotBusy = errors.New("the certificate's public key is not the container's")

// keysEqual compares two public keys.
func keysEqual(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	if x, ok := a.(eq); ok {
		return x.Equal(b)
	}
	return false
}
