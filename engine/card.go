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
	"encoding/hex"
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
	infoRead bool
	version  [3]byte
	serial   uint32
	mgmAlg   byte // management key algorithm; 0 until known
}

// slotData is what a context read of one key slot.
type slotData struct {
	read    bool // certificate object read (present or not)
	certObj []byte
	certDER []byte
	pub     crypto.PublicKey
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
	if c.card.infoRead {
		return
	}
	c.card.infoRead = true
	if v, err := c.piv.Version(); err == nil {
		c.card.version = v
	}
	if s, err := c.piv.Serial(); err == nil {
		c.card.serial = s
	}
}

// refresh drops what the context knows of the card's objects and reads the inventory again:
// called when the caller reads cardcf.
func (c *Context) refresh() error {
	c.card.loaded = false
	return c.ensureInventory()
}

// ensureInventory loads the map object, or, on a card without one, probes the certificate
// objects of the standard slots (and of the retired slots the key history object counts), and
// derives cardcf.
func (c *Context) ensureInventory() error {
	if c.card.loaded {
		return nil
	}
	c.card.slots = map[byte]*slotData{}
	raw, err := c.piv.GetData(MapObjectTag)
	switch {
	case err == nil:
		m, perr := parseMapObject(raw)
		if perr != nil {
			return errf(spec.SCardECommDataLost, "map object: %v", perr)
		}
		c.card.mapObj = m
		c.card.cardcf = bytes.Clone(m.Cardcf)
		c.card.loaded = true
		return nil
	case errors.Is(err, apdu.SWFileNotFound):
		c.card.mapObj = nil
	default:
		return cardError("read map object", err)
	}
	// No map object: the containers are the slots holding a certificate.
	slots := []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth}
	if kh, err := c.piv.GetData(piv.ObjKeyHistory); err == nil {
		if n, ok, _ := tlv.Find(kh, 0xC1); ok && len(n) == 1 {
			for i := 0; i < int(n[0]) && i < 20; i++ {
				slots = append(slots, piv.SlotRetired1+byte(i))
			}
		}
	} else if !errors.Is(err, apdu.SWFileNotFound) {
		return cardError("read key history", err)
	}
	h := sha256.New()
	for _, s := range slots {
		sd, err := c.readSlot(s)
		if err != nil {
			return err
		}
		if sd.certObj != nil {
			h.Write([]byte{s})
			h.Write(sd.certObj)
		}
	}
	sum := h.Sum(nil)
	// A virtual cardcf that changes whenever a certificate changes, by us or anyone else.
	c.card.cardcf = []byte{0, 0, sum[0], sum[1], sum[2], sum[3]}
	c.card.loaded = true
	return nil
}

// certCacheTag names a certificate object in the caller's data cache. The tag includes cardid and
// cardcf, so a change of either (a new card, or any change to the card made through a minidriver)
// makes old entries unreachable.
func (c *Context) certCacheTag(slot byte) (string, error) {
	id := c.card.guid
	if m := c.card.mapObj; m != nil && len(m.GUID) == 16 {
		id = m.GUID // the map's copy spares reading the CHUID just to name cache entries
	}
	if id == nil {
		var err error
		if id, err = c.ensureGUID(); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("cardmod/cert/%s/%s/%02x", hex.EncodeToString(id), hex.EncodeToString(c.card.cardcf), slot), nil
}

// readSlot returns the certificate of a slot, reading its object at most once per inventory.
// With a map object, the caller's cache is consulted first (the entries are keyed by cardcf).
func (c *Context) readSlot(slot byte) (*slotData, error) {
	if sd, ok := c.card.slots[slot]; ok && sd.read {
		return sd, nil
	}
	sd := &slotData{read: true}
	useCache := c.card.mapObj != nil
	var obj []byte
	var err error
	var tag string
	if useCache {
		if tag, err = c.certCacheTag(slot); err != nil {
			return nil, err
		}
	}
	if useCache {
		if cached, cerr := c.host.CacheLookup(tag); cerr == nil {
			obj = cached
			if len(obj) == 0 {
				obj = nil
				err = apdu.SWFileNotFound
			}
		} else {
			obj, err = c.piv.GetData(piv.CertObject(slot))
			if err == nil || errors.Is(err, apdu.SWFileNotFound) {
				c.host.CacheAdd(tag, obj) // best effort: a NULL cache is fine
			}
		}
	} else {
		obj, err = c.piv.GetData(piv.CertObject(slot))
	}
	switch {
	case err == nil:
		sd.certObj = obj
		der, pub, perr := decodeCertObject(obj)
		if perr == nil {
			sd.certDER, sd.pub = der, pub
		}
	case errors.Is(err, apdu.SWFileNotFound):
	default:
		return nil, cardError("read certificate", err)
	}
	c.card.slots[slot] = sd
	return sd, nil
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

// containers returns every container of the card, in index order.
func (c *Context) containers() ([]container, error) {
	if err := c.ensureInventory(); err != nil {
		return nil, err
	}
	var out []container
	if m := c.card.mapObj; m != nil {
		for _, mc := range m.Containers {
			if mc.Flags&spec.ContainerMapValidContainer == 0 {
				continue
			}
			ct, err := c.mapContainerView(mc)
			if err != nil {
				return nil, err
			}
			out = append(out, ct)
		}
		sortContainers(out)
		return out, nil
	}
	guid, err := c.ensureGUID()
	if err != nil {
		return nil, err
	}
	for idx := byte(0); idx < maxContainers; idx++ {
		slot := containerSlots[idx]
		sd, ok := c.card.slots[slot]
		if !ok || sd.pub == nil {
			continue
		}
		ks, bits, alg := keySpecFor(slot, sd.pub)
		if ks == 0 {
			continue
		}
		out = append(out, container{index: idx, slot: slot, keySpec: ks, bits: bits, name: containerName(guid, slot),
			flags: spec.ContainerMapValidContainer, pin: pinForSlot(slot), pub: sd.pub, cert: sd.certDER, alg: alg})
	}
	// The default container: 9A when present, otherwise the first.
	for i := range out {
		if out[i].slot == piv.SlotAuth {
			out[i].flags |= spec.ContainerMapDefaultContainer
			return out, nil
		}
	}
	if len(out) > 0 {
		out[0].flags |= spec.ContainerMapDefaultContainer
	}
	return out, nil
}

// mapContainerView builds the container of a map entry; the certificate is read lazily only
// when the entry does not record key sizes (the public key is read when asked for).
func (c *Context) mapContainerView(mc mapContainer) (container, error) {
	slot, ok := slotOf(mc.Index)
	if !ok {
		return container{}, errf(spec.SCardECommDataLost, "map object: container %d", mc.Index)
	}
	ct := container{index: mc.Index, slot: slot, keySpec: spec.KeySpec(mc.KeySpec), name: mc.Name, flags: mc.Flags,
		pin: spec.PINID(mc.PIN)}
	if ct.pin == 0 {
		ct.pin = pinForSlot(slot)
	}
	ct.bits = int(mc.SigBits)
	if mc.KxBits != 0 {
		ct.bits = int(mc.KxBits)
	}
	return ct, nil
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
			if sd.pub == nil {
				return nil, errf(spec.SCardENoKeyContainer, "%s: container %d has no readable public key", fn, idx)
			}
			ks, bits, alg := keySpecFor(ct.slot, sd.pub)
			if ks == 0 {
				return nil, errf(spec.SCardENoKeyContainer, "%s: container %d holds a key PIV cards do not have", fn, idx)
			}
			ct.pub, ct.cert = sd.pub, sd.certDER
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
// container, empty records for free indexes.
func (c *Context) cmapfile() ([]byte, error) {
	cs, err := c.containers()
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return []byte{}, nil
	}
	recs := make([]spec.ContainerMapRecord, int(cs[len(cs)-1].index)+1)
	for _, ct := range cs {
		r := &recs[ct.index]
		if err := r.SetName(ct.name); err != nil {
			return nil, errf(spec.SCardECommDataLost, "container %d name: %v", ct.index, err)
		}
		r.Flags = ct.flags
		if ct.keySpec.IsRSA() && ct.keySpec == spec.ATSignature || ct.keySpec.IsECDSA() {
			r.SigKeySizeBits = uint16(ct.bits)
		} else {
			r.KeyExchangeKeySizeBits = uint16(ct.bits)
		}
	}
	return spec.MarshalContainerMap(recs), nil
}
