package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// MgmKeyPolicy says what the minidriver does when it must write to a card whose PIV management
// key is still the well-known default (Windows only ever asks for the PIN; PIV writes need the
// management key).
type MgmKeyPolicy int

const (
	// MgmKeyProtect (the default) replaces the default key, at the first write, by a random key
	// stored on the card readable only after PIN verification (YubiKey "PIN-protected management
	// key", as ykman --protect stores it): AES-192 on YubiKey 5.4 and later, 3DES on the others. From then on, the PIN alone allows writes, and nobody can
	// write with the published default key.
	MgmKeyProtect MgmKeyPolicy = iota
	// MgmKeyRefuse never uses the default key: writes need the admin role (the management key
	// by challenge/response, CardAuthenticateChallenge).
	MgmKeyRefuse
	// MgmKeyKeep writes with the default key and leaves it in place (test cards).
	MgmKeyKeep
)

// ParseMgmKeyPolicy parses "protect", "refuse" or "keep" ("" is protect).
func ParseMgmKeyPolicy(s string) (MgmKeyPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "protect":
		return MgmKeyProtect, nil
	case "refuse":
		return MgmKeyRefuse, nil
	case "keep":
		return MgmKeyKeep, nil
	}
	return 0, fmt.Errorf("unknown management key policy %q (protect, refuse or keep)", s)
}

func (p MgmKeyPolicy) String() string {
	switch p {
	case MgmKeyProtect:
		return "protect"
	case MgmKeyRefuse:
		return "refuse"
	case MgmKeyKeep:
		return "keep"
	}
	return fmt.Sprintf("MgmKeyPolicy(%d)", int(p))
}

// defaultMgmKey is the management key of a new PIV card (3DES, and AES-192 on YubiKey 5.7).
var defaultMgmKey = []byte{1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8}

// requireWriter checks the Windows role a write needs: the user (PIN verified through this
// context) or the admin; needAdmin for what only the admin may change.
func (c *Context) requireWriter(fn string, needAdmin bool) error {
	if c.auth.admin {
		return nil
	}
	if needAdmin {
		return errf(spec.SCardWSecurityViolation, "%s: needs the admin role (the PIV management key)", fn)
	}
	if !c.auth.user {
		return errf(spec.SCardWSecurityViolation, "%s: needs the user PIN", fn)
	}
	return nil
}

// errNoMgmKey is the answer when the card's management key cannot be had with the PIN.
func errNoMgmKey(fn, why string) error {
	return errf(spec.SCardWSecurityViolation, "%s: %s; writing to this card needs the admin role: authenticate the "+
		"PIV management key (CardGetChallengeEx/CardAuthenticateChallenge, mdtool --admin-key)", fn, why)
}

// ensureMgm makes sure the card's management key is authenticated, as every PIV write needs:
// through the admin role, through the PIN-protected key (the PIN is verified), or with the default
// key according to the module's policy.
func (c *Context) ensureMgm(fn string) error {
	if c.auth.mgm || c.auth.admin {
		return nil
	}
	if !c.auth.user {
		return errf(spec.SCardWSecurityViolation, "%s: needs the user PIN", fn)
	}
	alg, key, err := c.piv.ProtectedMgmKey()
	switch {
	case err == nil:
		aerr := c.piv.AuthenticateMgm(alg, key)
		clear(key)
		if aerr == nil {
			c.card.mgmAlg = alg
			c.auth.mgm = true
			return nil
		}
		if !isCardAnswer(aerr) {
			return cardError(fn, aerr)
		}
		// A stored key that does not open the card: perhaps a protection cut short before SET
		// MANAGEMENT KEY; the default key may still be in place.
	case errors.Is(err, piv.ErrNotProtected):
	case isCardAnswer(err):
		// printed information unreadable or malformed: not protected in a way we can use.
	default:
		return cardError(fn, err)
	}
	policy := c.module.policy
	if policy == MgmKeyRefuse {
		return errNoMgmKey(fn, "the management key is not stored PIN-protected and the policy forbids the default key")
	}
	alg, err = c.mgmAlg() // one GET METADATA tells the algorithm and whether the key is the default
	if err != nil {
		return err
	}
	if c.card.mgmNotDefault {
		return errNoMgmKey(fn, "the management key is neither the default nor stored PIN-protected")
	}
	if err := c.piv.AuthenticateMgm(alg, defaultMgmKey); err != nil {
		if isCardAnswer(err) {
			return errNoMgmKey(fn, "the management key is neither the default nor stored PIN-protected")
		}
		return cardError(fn, err)
	}
	if policy == MgmKeyKeep {
		c.auth.mgm = true
		return nil
	}
	newAlg := piv.Alg3DES
	if v := c.cardVersion(); v[0] > 5 || (v[0] == 5 && v[1] >= 4) {
		newAlg = piv.AlgAES192 // YubiKey 5.4 and later take AES management keys
	}
	if err := c.protectMgmKey(newAlg); err != nil {
		return cardError(fn+": protect the management key", err)
	}
	c.card.mgmAlg, c.card.mgmNotDefault = newAlg, true
	c.auth.mgm = true
	return nil
}

// protectMgmKey replaces the (default, authenticated) management key by a random key of alg
// stored PIN-protected, as ykman --protect does, in an order that never loses the key: (1) the
// admin data flag "stored", (2) printed information with the new key, (3) SET MANAGEMENT KEY. A
// cut before (3) leaves the default key in place (a stored key that does not open the card is
// ignored, and the next write protects again); after (3) the stored key is the card's.
func (c *Context) protectMgmKey(alg byte) error {
	content, err := c.piv.GetData(piv.ObjYubiAdminData)
	var a piv.AdminInfo
	switch {
	case err == nil:
		if a, err = piv.ParseAdminData(content); err != nil {
			return fmt.Errorf("admin data: %w", err) // not overwritten: it belongs to another tool
		}
	case errors.Is(err, apdu.SWFileNotFound):
	default:
		return err
	}
	if !a.HasFlags || a.Flags&piv.AdminFlagMgmKeyStored == 0 || a.Salt != nil {
		a.HasFlags = true
		a.Flags |= piv.AdminFlagMgmKeyStored
		a.Salt = nil // the key is no longer derived from the PIN
		if err := c.piv.PutData(piv.ObjYubiAdminData, a.Encode()); err != nil {
			return err
		}
	}
	key := make([]byte, piv.MgmKeyLen(alg))
	defer clear(key)
	if _, err := io.ReadFull(c.module.random, key); err != nil {
		return fmt.Errorf("random management key: %w", err)
	}
	obj := piv.EncodePrintedInfo(key)
	err = c.piv.PutData(piv.ObjPrintedInfo, obj)
	clear(obj)
	if err != nil {
		return err
	}
	return c.piv.SetMgmKey(alg, key, false)
}

// cardVersion is the YubiKey firmware version (zero on other cards).
func (c *Context) cardVersion() [3]byte {
	c.ensureVersion()
	return c.card.version
}

// isCardAnswer reports whether err is an answer of the card (a status word, or the card failing
// the management key's mutual authentication), not a transport failure.
func isCardAnswer(err error) bool {
	if _, ok := swOf(err); ok {
		return true
	}
	return errors.Is(err, piv.ErrCardNotAuthenticated)
}

// cardWrite runs one write command with the management key authenticated; if the card answers
// that security is not satisfied (another application reset it), the key is authenticated again
// and the command sent once more.
func (c *Context) cardWrite(fn string, op func() error) error {
	if err := c.ensureMgm(fn); err != nil {
		return err
	}
	err := op()
	if sw, ok := swOf(err); ok && sw == apdu.SWSecurityStatusNotSatisfied && c.auth.mgm && !c.auth.admin {
		c.auth.mgm = false
		if err := c.ensureMgm(fn); err != nil {
			return err
		}
		err = op()
	}
	if err == nil {
		return nil
	}
	if sw, ok := swOf(err); ok && sw == apdu.SWNotEnoughMemory {
		return errf(spec.SCardEWriteTooMany, "%s: the card is full: %v", fn, err)
	}
	return cardError(fn, err)
}

// putObject writes (content != nil) or deletes (nil) a data object.
func (c *Context) putObject(fn string, tag uint32, content []byte) error {
	return c.cardWrite(fn, func() error { return c.piv.PutData(tag, content) })
}

// baseMap returns a copy of the map to modify in a write flow. On a card without one, it is
// made from the containers the minidriver shows (so their indexes and names stay); the
// containers of keys other tools put on the card are adopted the same way.
func (c *Context) baseMap() (*mapObject, error) {
	if err := c.ensureInventory(); err != nil {
		return nil, err
	}
	var m *mapObject
	var adopt []container
	if c.card.mapObj != nil {
		m = c.card.mapObj.clone()
		disc, err := c.discoveredContainers()
		if err != nil {
			return nil, err
		}
		adopt = disc
	} else {
		guid, err := c.ensureGUID()
		if err != nil {
			return nil, err
		}
		m = &mapObject{Cardcf: bytes.Clone(c.card.cardcf), GUID: bytes.Clone(guid)}
		if adopt, err = c.containers(); err != nil {
			return nil, err
		}
	}
	for _, ct := range adopt {
		mc := mapContainer{Index: ct.index, Flags: ct.flags, Name: ct.name, KeySpec: uint32(ct.keySpec),
			PIN: byte(ct.pin), Slot: ct.slot}
		setBits(&mc, ct.keySpec, ct.bits)
		m.setContainer(mc)
	}
	if m.Cardcf == nil || len(m.Cardcf) < spec.CacheFileSize {
		m.Cardcf = make([]byte, spec.CacheFileSize)
	}
	if len(m.GUID) != 16 {
		guid, err := c.ensureGUID()
		if err != nil {
			return nil, err
		}
		m.GUID = bytes.Clone(guid)
	}
	// Start from the cardcf the caller sees, so that the bump is seen as one.
	m.Cardcf = bytes.Clone(c.card.cardcf)
	return m, nil
}

// setBits records a key size in the field cmapfile uses for the key spec.
func setBits(mc *mapContainer, ks spec.KeySpec, bits int) {
	mc.SigBits, mc.KxBits = 0, 0
	if ks == spec.ATSignature || ks.IsECDSA() {
		mc.SigBits = uint16(bits)
	} else {
		mc.KxBits = uint16(bits)
	}
}

// bumpCardcf increments the containers and/or files freshness counter of the map's cardcf.
func bumpCardcf(m *mapObject, containers, files bool) {
	cf, err := spec.ParseCacheFile(m.Cardcf)
	if err != nil {
		cf = spec.CacheFile{}
	}
	if containers {
		cf.BumpContainers()
	}
	if files {
		cf.BumpFiles()
	}
	m.Cardcf = cf.MarshalBinary()
}

// errMapFull is the error of a map that would not fit in its object.
func errMapFull(fn string, st spec.Status, n int) error {
	return errf(st, "%s: the card's container map would take %d bytes (at most %d)", fn, n, maxObjectBytes)
}

// encodeMap records the digest of the certificate objects of the map's slots (as this context
// knows them) and encodes the map; full is the status when it does not fit.
func (c *Context) encodeMap(fn string, m *mapObject, full spec.Status) ([]byte, error) {
	slots := m.keySlots()
	for _, s := range slots {
		if _, err := c.readSlot(s); err != nil {
			return nil, err
		}
	}
	m.Digest = c.slotDigest(slots)
	// Released slots: record that the certificate left there is gone, or forget the release when
	// another tool has put a certificate of its own there.
	kept := m.Released[:0]
	for _, r := range m.Released {
		sd, err := c.readSlot(r.Slot)
		if err != nil {
			return nil, err
		}
		switch {
		case sd.certObj == nil:
			r.Cert = nil
		case !bytes.Equal(r.Cert, certDigest(sd.certObj)):
			continue
		}
		kept = append(kept, r)
	}
	m.Released = kept
	// A kept public key is dropped once a certificate of the same key is in the slot.
	for i := range m.Containers {
		mc := &m.Containers[i]
		if mc.PubKey == nil || !mc.hasKey() || mc.keepPub {
			continue
		}
		if sd := c.card.slots[mc.slot()]; sd != nil && sd.pub != nil && keysEqual(sd.pub, mc.publicKey()) {
			mc.PubKey = nil
		}
	}
	content := m.marshal()
	if len(content) > maxObjectBytes {
		return nil, errMapFull(fn, full, len(content))
	}
	return content, nil
}

// putMap writes the map object (one PUT DATA: the step that makes a write flow's result
// visible) and updates what the context knows.
func (c *Context) putMap(fn string, m *mapObject, full spec.Status) error {
	content, err := c.encodeMap(fn, m, full)
	if err != nil {
		return err
	}
	if err := c.putObject(fn, MapObjectTag, content); err != nil {
		return err
	}
	c.card.mapObj = m
	c.recomputeCardcf()
	return nil
}

// recomputeCardcf derives cardcf again from what the context knows after a write.
func (c *Context) recomputeCardcf() {
	m := c.card.mapObj
	if m == nil {
		return
	}
	slots := m.keySlots()
	var extra []byte
	for _, s := range c.card.discovered {
		if sd := c.card.slots[s]; !bytes.Contains(slots, []byte{s}) && !(sd != nil && m.ignores(s, sd.certObj)) {
			extra = append(extra, s)
		}
	}
	c.card.cardcf = reportedCardcf(m, c.slotDigest(slots), c.slotDigest(extra), len(extra) > 0)
}

// setSlotObject records a certificate object this context wrote (nil: deleted).
func (c *Context) setSlotObject(slot byte, obj []byte) {
	sd := &slotData{}
	sd.setObject(obj)
	c.card.slots[slot] = sd
	if c.card.mapObj != nil {
		c.recomputeCardcf()
	}
}
