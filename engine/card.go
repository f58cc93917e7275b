package engine

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/tlv"
)

// The PIV mapping. Container index i is a fixed PIV key slot: 0 = 9A (PIV Authentication),
// 1 = 9C (Digital Signature), 2 = 9D (Key Management), 3 = 9E (Card Authentication),
// 4..23 = the retired key management slots 82..95.
const maxContainers = 24

var containerSlots = func() [maxContainers]byte {
	var s [maxContainers]byte
	copy(s[:], []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth})
	for i := 4; i < maxContainers; i++ {
		s[i] = piv.SlotRetired1 + byte(i-4)
	}
	return s
}()

// slotOf returns the PIV slot of a container index.
func slotOf(idx byte) (byte, bool) {
	if int(idx) >= maxContainers {
		return 0, false
	}
	return containerSlots[idx], true
}

// PIN ids of the PIV mapping.
const (
	// pinSign is the PIV PIN presented for the 9C key: the same PIN, with an always-prompt cache
	// policy, because SP 800-73-4 demands a PIN right before every use of that key.
	pinSign spec.PINID = 3
)

// cardModel is what a context knows of its card. Everything here is re-read when the caller reads
// cardcf (the start of each Base CSP transaction).
type cardModel struct {
	guid   []byte     // cardid: the CHUID GUID (or a stable substitute)
	loaded bool       // inventory below is current
	mapObj *mapObject // the map object, nil when the card has none
	cardcf []byte     // current cardcf
	slots  map[byte]*slotData
	// version and serial from the YubiKey extensions, when the card has them.
	infoRead    bool // serial read
	versionRead bool
	version     [3]byte
	serial      uint32
	mgmAlg      byte // management key algorithm; 0 until known
	// mgmNotDefault: GET METADATA said the management key is not the default one.
	mgmNotDefault bool
	// discovered lists the standard slots outside the map that held a certificate at the first
	// inventory of this context; nil until then.
	discovered []byte
}

// slotData is what a context read of one key slot.
type slotData struct {
	metaRead bool             // metaPub was read (GET METADATA), for a slot without certificate
	metaPub  crypto.PublicKey // the slot's public key as GET METADATA tells it
	read     bool             // certificate object read (present or not)
	certObj  []byte
	certDER  []byte
	pub      crypto.PublicKey
}

// ensureGUID reads the CHUID once per context and derives cardid: the GUID (tag 34) when present
// and not zero, otherwise a SHA-256 digest of the whole CHUID, otherwise of the serial number.
func (c *Context) ensureGUID() ([]byte, error) {
	if c.card.guid != nil {
		return c.card.guid, nil
	}
	chuid, err := c.piv.GetData(piv.ObjCHUID)
	var id []byte
	switch {
	case err == nil:
		if g, ok, _ := tlv.Find(chuid, 0x34); ok && len(g) == 16 && !bytes.Equal(g, make([]byte, 16)) {
			id = bytes.Clone(g)
		} else {
			sum := sha256.Sum256(append([]byte("cardmod cardid chuid"), chuid...))
			id = sum[:16]
		}
	case errors.Is(err, apdu.SWFileNotFound):
		c.ensureInfo()
		sum := sha256.Sum256(binary.BigEndian.AppendUint32([]byte("cardmod cardid serial"), c.card.serial))
		id = sum[:16]
	default:
		return nil, cardError("read CHUID", err)
	}
	c.card.guid = id
	return id, nil
}

// ensureInfo reads the YubiKey version and serial once (cards without them answer 6D00).
func (c *Context) ensureInfo() {
	c.ensureVersion()
	if c.card.infoRead {
		return
	}
	c.card.infoRead = true
	if s, err := c.piv.Serial(); err == nil {
		c.card.serial = s
	}
}

// ensureVersion reads the YubiKey firmware version once.
func (c *Context) ensureVersion() {
	if c.card.versionRead {
		return
	}
	c.card.versionRead = true
	if v, err := c.piv.Version(); err == nil {
		c.card.version = v
	}
}

// refresh drops what the context knows of the card's objects and reads the inventory again:
// called when the caller reads cardcf.
func (c *Context) refresh() error {
	c.card.loaded = false
	return c.ensureInventory()
}

// standardSlots are the key slots every inventory looks at.
var standardSlots = []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth}

// isContainerSlot reports whether a PIV slot can hold a container.
func isContainerSlot(s byte) bool {
	for _, c := range containerSlots {
		if c == s {
			return true
		}
	}
	return false
}

// ensureInventory loads the map object and the certificate objects of the slots that matter, and
// derives cardcf.
//
// With a map object, the certificate objects of every slot the map references are read at each
// inventory (that is, each time the caller reads cardcf), and their digest is compared with the
// one the map recorded when it was written: a certificate replaced, added or removed by another
// PIV tool changes the cardcf reported, so no cache serves a stale certificate. The first
// inventory of a context also reads the standard slots the map does not reference, so that keys
// another tool put there appear as containers.
//
// Without a map object, the containers are the slots holding a certificate: the standard slots
// and the retired slots the key history object counts; cardcf is a digest of them.
func (c *Context) ensureInventory() error {
	if c.card.loaded {
		return nil
	}
	c.card.slots = map[byte]*slotData{}
	c.card.mapObj = nil
	raw, err := c.piv.GetData(MapObjectTag)
	switch {
	case err == nil:
		m, perr := parseMapObject(raw)
		if perr != nil {
			return errf(spec.SCardECommDataLost, "map object: %v", perr)
		}
		c.card.mapObj = m
	case errors.Is(err, apdu.SWFileNotFound):
	default:
		return cardError("read map object", err)
	}
	var slots []byte
	if m := c.card.mapObj; m != nil {
		slots = m.keySlots()
		if c.card.discovered == nil {
			c.card.discovered = []byte{}
			for _, s := range standardSlots {
				if !bytes.Contains(slots, []byte{s}) {
					sd, err := c.readSlot(s)
					if err != nil {
						return err
					}
					if sd.certObj != nil && !m.ignores(s, sd.certObj) {
						c.card.discovered = append(c.card.discovered, s)
					}
				}
			}
		}
	} else {
		slots = append([]byte(nil), standardSlots...)
		if kh, err := c.piv.GetData(piv.ObjKeyHistory); err == nil {
			if n, ok, _ := tlv.Find(kh, 0xC1); ok && len(n) == 1 {
				for i := 0; i < int(n[0]) && i < 20; i++ {
					slots = append(slots, piv.SlotRetired1+byte(i))
				}
			}
		} else if !errors.Is(err, apdu.SWFileNotFound) {
			return cardError("read key history", err)
		}
	}
	for _, s := range slots {
		if _, err := c.readSlot(s); err != nil {
			return err
		}
	}
	if m := c.card.mapObj; m != nil {
		var extra []byte
		for _, s := range c.card.discovered {
			if !bytes.Contains(slots, []byte{s}) {
				sd, err := c.readSlot(s)
				if err != nil {
					return err
				}
				if !m.ignores(s, sd.certObj) {
					extra = append(extra, s)
				}
			}
		}
		c.card.cardcf = reportedCardcf(m, c.slotDigest(slots), c.slotDigest(extra), len(extra) > 0)
	} else {
		sum := c.slotDigest(slots)
		// A virtual cardcf that changes whenever a certificate changes, by us or anyone else.
		c.card.cardcf = []byte{0, 0, sum[0], sum[1], sum[2], sum[3]}
	}
	c.card.loaded = true
	return nil
}

// keySlots returns the slots of the map's entries that stand for keys, in map order.
func (m *mapObject) keySlots() []byte {
	var out []byte
	for i := range m.Containers {
		if m.Containers[i].hasKey() {
			out = append(out, m.Containers[i].slot())
		}
	}
	return out
}

// slotDigest is the digest of the certificate objects of slots (as read by this context), in the
// given order: 8 bytes of SHA-256 over each slot and its object's hash (or nothing when absent).
func (c *Context) slotDigest(slots []byte) []byte {
	h := sha256.New()
	for _, s := range slots {
		h.Write([]byte{s})
		if sd := c.card.slots[s]; sd != nil && sd.certObj != nil {
			sum := sha256.Sum256(sd.certObj)
			h.Write([]byte{1})
			h.Write(sum[:])
		} else {
			h.Write([]byte{0})
		}
	}
	return h.Sum(nil)[:8]
}

// reportedCardcf is the cardcf of a card with a map object: the map's own when the certificate
// objects are as the map recorded them, otherwise the map's with both counters moved by an amount
// derived from the certificates, so that each state of the certificates gives its own value.
func reportedCardcf(m *mapObject, digest, extraDigest []byte, extra bool) []byte {
	if bytes.Equal(m.Digest, digest) && !extra {
		return bytes.Clone(m.Cardcf)
	}
	cf, err := spec.ParseCacheFile(m.Cardcf)
	if err != nil {
		return bytes.Clone(m.Cardcf) // parseMapObject checked the length
	}
	h := sha256.New()
	h.Write(digest)
	if extra {
		h.Write(extraDigest)
	}
	sum := h.Sum(nil)
	delta := binary.BigEndian.Uint16(sum) | 1
	cf.ContainersFreshness += delta
	cf.FilesFreshness += delta
	return cf.MarshalBinary()
}

// readSlot returns the certificate of a slot, reading its object at most once per inventory.
func (c *Context) readSlot(slot byte) (*slotData, error) {
	if sd, ok := c.card.slots[slot]; ok && sd.read {
		return sd, nil
	}
	sd := &slotData{}
	obj, err := c.piv.GetData(piv.CertObject(slot))
	switch {
	case err == nil:
		sd.setObject(obj)
	case errors.Is(err, apdu.SWFileNotFound):
		sd.setObject(nil)
	default:
		return nil, cardError("read certificate", err)
	}
	c.card.slots[slot] = sd
	return sd, nil
}

// setObject records the certificate object of a slot (nil: none).
func (sd *slotData) setObject(obj []byte) {
	sd.read = true
	sd.certObj, sd.certDER, sd.pub = obj, nil, nil
	if obj == nil {
		return
	}
	if der, pub, err := decodeCertObject(obj); err == nil {
		sd.certDER, sd.pub = der, pub
	}
}

// maxCertSize bounds a decompressed certificate.
const maxCertSize = 64 << 10

// decodeCertObject extracts the certificate of a PIV certificate object (70 certificate,
// 71 CertInfo with bit 0 = gzip compressed) and its public key.
func decodeCertObject(obj []byte) ([]byte, crypto.PublicKey, error) {
	der, ok, err := tlv.Find(obj, piv.TagCertificate)
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("certificate object without certificate")
	}
	if info, ok, _ := tlv.Find(obj, piv.TagCertInfo); ok && len(info) == 1 && info[0]&1 != 0 {
		zr, err := gzip.NewReader(bytes.NewReader(der))
		if err != nil {
			return nil, nil, fmt.Errorf("compressed certificate: %w", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxCertSize+1))
		if err != nil || len(plain) > maxCertSize {
			return nil, nil, fmt.Errorf("compressed certificate: %v", err)
		}
		der = plain
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate: %w", err)
	}
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return nil, nil, fmt.Errorf("certificate with a %T key", cert.PublicKey)
	}
	return der, cert.PublicKey, nil
}

// container is the Windows view of one key slot.
type container struct {
	index   byte
	slot    byte
	keySpec spec.KeySpec
	bits    int
	name    string
	flags   byte
	pin     spec.PINID
	pub     crypto.PublicKey // nil when unknown (map entry without certificate)
	keptPub crypto.PublicKey // the public key the map keeps for an uncertified key
	ecdh    byte             // CCP_ASSOCIATED_ECDH_KEY + 1 as set; 0: the container itself
	cert    []byte
	alg     byte // PIV algorithm of the key
}

// keySpecFor chooses how Windows sees a PIV key: RSA keys are AT_KEYEXCHANGE (which also signs)
// except in 9C, the signature slot; ECC keys are ECDSA in 9A, 9C and 9E and ECDH in 9D and the
// retired key management slots.
func keySpecFor(slot byte, pub crypto.PublicKey) (spec.KeySpec, int, byte) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		bits := k.N.BitLen()
		alg := map[int]byte{1024: piv.AlgRSA1024, 2048: piv.AlgRSA2048, 3072: piv.AlgRSA3072, 4096: piv.AlgRSA4096}[bits]
		if alg == 0 || k.E < 3 || k.E&1 == 0 {
			return 0, 0, 0 // not a key a PIV card holds: no container
		}
		if slot == piv.SlotSign {
			return spec.ATSignature, bits, alg
		}
		return spec.ATKeyExchange, bits, alg
	case *ecdsa.PublicKey:
		bits := k.Curve.Params().BitSize
		ecdh := slot == piv.SlotKeyMgmt || (slot >= piv.SlotRetired1 && slot <= piv.SlotRetired20)
		switch bits {
		case 256:
			if ecdh {
				return spec.ATECDHEP256, bits, piv.AlgECCP256
			}
			return spec.ATECDSAP256, bits, piv.AlgECCP256
		case 384:
			if ecdh {
				return spec.ATECDHEP384, bits, piv.AlgECCP384
			}
			return spec.ATECDSAP384, bits, piv.AlgECCP384
		}
	}
	return 0, 0, 0
}

// keySpecFits reports whether a recorded key spec describes a key whose natural key spec is
// actual: the same key family and size (an RSA key may be AT_KEYEXCHANGE or AT_SIGNATURE, an ECC
// key ECDSA or ECDH).
func keySpecFits(recorded, actual spec.KeySpec) bool {
	switch {
	case recorded.IsRSA():
		return actual.IsRSA()
	case recorded.IsECC():
		return actual.IsECC() && recorded.CurveBits() == actual.CurveBits()
	}
	return false
}

// containerName is the name of a container Windows did not name: stable for the card and slot.
func containerName(guid []byte, slot byte) string {
	return fmt.Sprintf("PIV-%02X-%X", slot, guid[:8])
}

// pinForSlot is the PIN that guards a slot's key.
func pinForSlot(slot byte) spec.PINID {
	if slot == piv.SlotSign {
		return pinSign
	}
	return spec.RoleUser
}

// metadataKeys reports whether the card tells the public key of a slot (YubiKey 5.3 and later:
// GET METADATA), so that an uncertified key's public key need not be kept in the map.
func (c *Context) metadataKeys() bool {
	v := c.cardVersion()
	return v[0] > 5 || (v[0] == 5 && v[1] >= 3)
}

// slotPublicKey reads the public key of a slot with GET METADATA (nil when the slot is empty).
func (c *Context) slotPublicKey(slot byte) (crypto.PublicKey, error) {
	md, err := c.piv.Metadata(slot)
	if err != nil {
		if isCardAnswer(err) {
			return nil, nil
		}
		return nil, cardError("read slot metadata", err)
	}
	alg, elems := md[0x01], md[0x04]
	if len(alg) != 1 || elems == nil {
		return nil, nil
	}
	pub, err := piv.ParsePublicKey(alg[0], elems)
	if err != nil {
		return nil, nil
	}
	return pub, nil
}

// containers returns every container of the card, in index order.
func (c *Context) containers() ([]container, error) {
	if err := c.ensureInventory(); err != nil {
		return nil, err
	}
	var out []container
	if m := c.card.mapObj; m != nil {
		for _, mc := range m.Containers {
			if mc.visible() {
				out = append(out, c.mapContainerView(mc))
			}
		}
		disc, err := c.discoveredContainers()
		if err != nil {
			return nil, err
		}
		out = append(out, disc...)
		sortContainers(out)
		return out, nil
	}
	guid, err := c.ensureGUID()
	if err != nil {
		return nil, err
	}
	for idx := byte(0); idx < maxContainers; idx++ {
		slot := containerSlots[idx]
		if ct, ok := slotContainer(guid, idx, slot, c.card.slots[slot]); ok {
			out = append(out, ct)
		}
	}
	markDefault(out)
	return out, nil
}

// slotContainer is the container of a slot holding a certificate, as the minidriver shows it on
// a card it did not enroll.
func slotContainer(guid []byte, idx, slot byte, sd *slotData) (container, bool) {
	if sd == nil || sd.pub == nil {
		return container{}, false
	}
	ks, bits, alg := keySpecFor(slot, sd.pub)
	if ks == 0 {
		return container{}, false
	}
	return container{index: idx, slot: slot, keySpec: ks, bits: bits, name: containerName(guid, slot),
		flags: spec.ContainerMapValidContainer, pin: pinForSlot(slot), pub: sd.pub, cert: sd.certDER, alg: alg}, true
}

// markDefault makes 9A, or else the first container, the default when none is.
func markDefault(cs []container) {
	for i := range cs {
		if cs[i].flags&spec.ContainerMapDefaultContainer != 0 {
			return
		}
	}
	for i := range cs {
		if cs[i].slot == piv.SlotAuth {
			cs[i].flags |= spec.ContainerMapDefaultContainer
			return
		}
	}
	if len(cs) > 0 {
		cs[0].flags |= spec.ContainerMapDefaultContainer
	}
}

// discoveredContainers returns the containers of standard slots that the map does not reference
// but that held a certificate when this context first looked: keys another PIV tool put on the
// card. Each takes the fixed index of its slot when the map leaves it free, otherwise the first
// free index.
func (c *Context) discoveredContainers() ([]container, error) {
	m := c.card.mapObj
	if m == nil || len(c.card.discovered) == 0 {
		return nil, nil
	}
	guid := m.GUID
	if len(guid) != 16 {
		var err error
		if guid, err = c.ensureGUID(); err != nil {
			return nil, err
		}
	}
	used := map[byte]bool{}
	for _, mc := range m.Containers {
		used[mc.Index] = true
	}
	mapped := m.keySlots()
	var out []container
	for _, s := range c.card.discovered {
		if bytes.Contains(mapped, []byte{s}) || (c.card.slots[s] != nil && m.ignores(s, c.card.slots[s].certObj)) {
			continue
		}
		idx := fixedIndex(s)
		if used[idx] {
			for idx = 0; idx < maxContainers && used[idx]; idx++ {
			}
			if idx == maxContainers {
				break
			}
		}
		if ct, ok := slotContainer(guid, idx, s, c.card.slots[s]); ok {
			used[idx] = true
			out = append(out, ct)
		}
	}
	hasDefault := false
	for _, mc := range m.Containers {
		hasDefault = hasDefault || (mc.visible() && mc.Flags&spec.ContainerMapDefaultContainer != 0)
	}
	if !hasDefault {
		markDefault(out)
	}
	return out, nil
}

// fixedIndex is the container index of a slot on cards the minidriver did not enroll.
func fixedIndex(slot byte) byte {
	for i, s := range containerSlots {
		if s == slot {
			return byte(i)
		}
	}
	return 0xFF
}

// mapContainerView builds the container of a map entry; its public key is read when asked for.
func (c *Context) mapContainerView(mc mapContainer) container {
	slot := mc.slot()
	ct := container{index: mc.Index, slot: slot, keySpec: spec.KeySpec(mc.KeySpec), name: mc.Name, flags: mc.Flags,
		pin: spec.PINID(mc.PIN), keptPub: mc.publicKey(), ecdh: mc.ECDH}
	if ct.pin == 0 {
		ct.pin = pinForSlot(slot)
	}
	ct.bits = int(mc.SigBits)
	if mc.KxBits != 0 {
		ct.bits = int(mc.KxBits)
	}
	return ct
}

func sortContainers(cs []container) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].index < cs[j-1].index; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// container returns container idx with its public key and certificate loaded, or
// SCARD_E_NO_KEY_CONTAINER.
func (c *Context) container(fn string, idx byte) (*container, error) {
	cs, err := c.containers()
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if cs[i].index != idx {
			continue
		}
		ct := &cs[i]
		if ct.pub == nil {
			sd, err := c.readSlot(ct.slot)
			if err != nil {
				return nil, err
			}
			pub, cert := sd.pub, sd.certDER
			if pub == nil {
				pub = ct.keptPub // a key enrolled through the minidriver, not certified yet
			}
			if pub == nil && c.metadataKeys() {
				if !sd.metaRead {
					if sd.metaPub, err = c.slotPublicKey(ct.slot); err != nil {
						return nil, err
					}
					sd.metaRead = true
				}
				pub = sd.metaPub
			}
			if pub == nil {
				return nil, errf(spec.SCardENoKeyContainer, "%s: container %d has no readable public key", fn, idx)
			}
			ks, bits, alg := keySpecFor(ct.slot, pub)
			if ks == 0 {
				return nil, errf(spec.SCardENoKeyContainer, "%s: container %d holds a key PIV cards do not have", fn, idx)
			}
			ct.pub, ct.cert = pub, cert
			if !keySpecFits(ct.keySpec, ks) {
				ct.keySpec = ks // the map disagrees with the card's key: the key wins
			}
			ct.bits, ct.alg = bits, alg
		} else if ct.alg == 0 {
			_, _, ct.alg = keySpecFor(ct.slot, ct.pub)
		}
		return ct, nil
	}
	return nil, errf(spec.SCardENoKeyContainer, "%s: no container %d", fn, idx)
}

// cmapfile renders the container map file: one 86-byte record per index up to the highest
// used, empty records for free indexes. With a map object, the records Windows wrote come back
// as written.
func (c *Context) cmapfile() ([]byte, error) {
	cs, err := c.containers()
	if err != nil {
		return nil, err
	}
	n := 0
	if len(cs) > 0 {
		n = int(cs[len(cs)-1].index) + 1
	}
	if m := c.card.mapObj; m != nil {
		for _, mc := range m.Containers {
			n = max(n, int(mc.Index)+1)
		}
	}
	recs := make([]spec.ContainerMapRecord, n)
	if m := c.card.mapObj; m != nil {
		for _, mc := range m.Containers {
			if mc.Flags == 0 && mc.Name == "" {
				continue
			}
			r := &recs[mc.Index]
			if err := r.SetName(mc.Name); err != nil {
				return nil, errf(spec.SCardECommDataLost, "container %d name: %v", mc.Index, err)
			}
			r.Flags = mc.Flags
			r.SigKeySizeBits, r.KeyExchangeKeySizeBits = mc.SigBits, mc.KxBits
		}
	}
	for _, ct := range cs {
		if m := c.card.mapObj; m != nil && m.container(ct.index) != nil {
			continue
		}
		r := &recs[ct.index]
		if err := r.SetName(ct.name); err != nil {
			return nil, errf(spec.SCardECommDataLost, "container %d name: %v", ct.index, err)
		}
		r.Flags = ct.flags
		if ct.keySpec == spec.ATSignature || ct.keySpec.IsECDSA() {
			r.SigKeySizeBits = uint16(ct.bits)
		} else {
			r.KeyExchangeKeySizeBits = uint16(ct.bits)
		}
	}
	return spec.MarshalContainerMap(recs), nil
}
