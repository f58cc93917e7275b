package engine_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

// Error tables of the write functions (reference §4.8-§4.10): the status of every refused call,
// the order of the checks (UNSUPPORTED_FEATURE conditions, then parameters, then card state), and
// that a refused call leaves the card exactly as it was.

const (
	keyGen    = spec.CardCreateContainerKeyGen
	keyImport = spec.CardCreateContainerKeyImport
	invParam  = spec.SCardEInvalidParameter
	unsupp    = spec.SCardEUnsupportedFeature
	noKC      = spec.SCardENoKeyContainer
	secViol   = spec.SCardWSecurityViolation
	fileNF    = spec.SCardEFileNotFound
	dirNF     = spec.SCardEDirNotFound
	fileEx    = spec.ErrorFileExists
	tooMany   = spec.SCardEWriteTooMany
	chunk     = 3052 // one file store object
	storeSize = 5 * chunk
	// storeFree is the free space of an empty file store: one of the five objects is always
	// kept spare, so that a file of one object can be rewritten atomically (new content into a
	// free object, then the map, then the old object emptied).
	storeFree = storeSize - chunk
)

// runWriteRows runs a table; after every row that must be refused, the card's non-volatile state
// must be the one it had before the call.
func runWriteRows(t *testing.T, card *vcard.Card, rows []row) {
	t.Helper()
	for _, r := range rows {
		before := card.Snapshot()
		err := r.call()
		if got := spec.StatusOf(err); got != r.want {
			t.Errorf("%s: got %v (%v), want %v", r.name, got, err, r.want)
		}
		if r.want != spec.Success && !vcard.SameState(before, card.Snapshot()) {
			t.Errorf("%s: the refused call changed the card", r.name)
		}
	}
}

// newFixtureWith is newFixture with module options.
func newFixtureWith(t *testing.T, keys []enginetest.Key, opts engine.Options) *fixture {
	t.Helper()
	if keys == nil {
		keys = enginetest.StandardKeys
	}
	f := &fixture{p: enginetest.Provision(t, keys), m: engine.NewModuleWith(opts)}
	f.cnt = &enginetest.Counter{T: f.p.Card}
	f.ctx, f.host = enginetest.Acquire(t, f.m, f.cnt, true)
	t.Cleanup(func() {
		if n := f.host.Live(); n != 0 {
			t.Errorf("%d buffers not freed", n)
		}
	})
	return f
}

var keepMgm = engine.Options{MgmKeyPolicy: engine.MgmKeyKeep}

// refresh reads cardcf, as the Base CSP does at the start of every transaction: the context then
// sees what other contexts wrote.
func refresh(t *testing.T, ctx *engine.Context, h *refhost.Host) {
	t.Helper()
	b, err := ctx.ReadFile("", "cardcf", 0)
	if err != nil {
		t.Fatalf("read cardcf: %v", err)
	}
	h.Free(b)
}

func pinLogin(t *testing.T, ctx *engine.Context) {
	t.Helper()
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
}

// adminLogin authenticates ROLE_ADMIN with a 3DES management key (CardGetChallengeEx +
// CardAuthenticateChallenge).
func adminLogin(t *testing.T, ctx *engine.Context, h *refhost.Host, key []byte) {
	t.Helper()
	ch, err := ctx.GetChallengeEx(spec.RoleAdmin, 0)
	if err != nil {
		t.Fatal(err)
	}
	resp := mgmResponse(t, key, ch)
	h.Free(ch)
	if _, err := ctx.AuthenticateChallenge(resp); err != nil {
		t.Fatal(err)
	}
}

func genRSA(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func genEC(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// certFor returns a certificate for pub, issued by a throwaway CA.
func certFor(t *testing.T, pub crypto.PublicKey, cn string) []byte {
	t.Helper()
	ca := genEC(t, elliptic.P256())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, ca)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// containerPub returns a container's public key (from CardGetContainerInfo) and whether the
// blob came in the signature field.
func containerPub(t *testing.T, ctx *engine.Context, h *refhost.Host, idx byte) (crypto.PublicKey, bool) {
	t.Helper()
	info := &engine.ContainerInfo{Version: 1}
	if err := ctx.GetContainerInfo(idx, 0, info); err != nil {
		t.Fatalf("container %d: %v", idx, err)
	}
	defer freeInfo(h, info)
	blob, sig := info.KeyExPublicKey, false
	if info.SigPublicKey != nil {
		blob, sig = info.SigPublicKey, true
	}
	if k, _, err := spec.ParseRSAPublicKeyBlob(blob); err == nil {
		return k, sig
	}
	k, _, err := spec.ParseECCPublicKeyBlob(blob)
	if err != nil {
		t.Fatalf("container %d: key blob: %v", idx, err)
	}
	return k, sig
}

func keyHash(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// slotKeys maps every key slot of the card that holds a key to the SHA-256 of its public key.
func slotKeys(card *vcard.Card) map[byte]string {
	out := map[byte]string{}
	for _, k := range card.Info().Keys {
		v, err := strconv.ParseUint(k.Slot, 16, 8)
		if err == nil {
			out[byte(v)] = k.PublicKeySHA256
		}
	}
	return out
}

// pinPolicy returns the PIN policy the card reports for a slot ("" when the slot is empty).
func pinPolicy(card *vcard.Card, slot byte) string {
	for _, k := range card.Info().Keys {
		if k.Slot == strconv.FormatUint(uint64(slot), 16) {
			return k.PINPolicy
		}
	}
	return ""
}

// slotHolding returns the slot that holds pub (0 when none does).
func slotHolding(t *testing.T, card *vcard.Card, pub crypto.PublicKey) byte {
	t.Helper()
	h := keyHash(t, pub)
	var found []byte
	for s, kh := range slotKeys(card) {
		if kh == h {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Errorf("key found in slots %X", found)
		return 0
	}
	return found[0]
}

// wantSlot checks that container idx holds its key in slot and reports it in the blob field of
// its key spec; it returns the container's public key.
func wantSlot(t *testing.T, f *fixture, ctx *engine.Context, h *refhost.Host, idx, slot byte, ks spec.KeySpec) crypto.PublicKey {
	t.Helper()
	pub, sig := containerPub(t, ctx, h, idx)
	if got := slotHolding(t, f.p.Card, pub); got != slot {
		t.Errorf("container %d (%v): key in slot %02X, want %02X", idx, ks, got, slot)
	}
	if wantSig := ks == spec.ATSignature || ks.IsECDSA(); sig != wantSig {
		t.Errorf("container %d (%v): key blob in the signature field %v", idx, ks, sig)
	}
	return pub
}

func pinIDOf(t *testing.T, ctx *engine.Context, idx byte) uint32 {
	t.Helper()
	p, err := ctx.GetContainerProperty(idx, spec.CCPPINIdentifier, 0, 0)
	if err != nil || len(p.Data) != 4 {
		t.Fatalf("PIN identifier of %d: %X %v", idx, p.Data, err)
	}
	return binary.LittleEndian.Uint32(p.Data)
}

func createEx(ctx *engine.Context, idx byte, flags uint32, ks spec.KeySpec, bits uint32, data []byte, pin spec.PINID) func() error {
	return func() error { return ctx.CreateContainerEx(idx, flags, ks, bits, data, pin) }
}

func create(ctx *engine.Context, idx byte, flags uint32, ks spec.KeySpec, bits uint32, data []byte) func() error {
	return func() error { return ctx.CreateContainer(idx, flags, ks, bits, data) }
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ---------------------------------------------------------------------------------------------
// CardCreateContainer / CardCreateContainerEx

func TestWriteCreateContainerErrors(t *testing.T) {
	f := newFixture(t, []enginetest.Key{})
	ctx := f.ctx
	anon, _ := f.another(t) // never authenticated
	adm, ah := f.another(t) // the admin role only
	adminLogin(t, adm, ah, vcard.DefaultMgmKey)
	pinLogin(t, ctx)

	r1024 := genRSA(t, 1024)
	r1536 := genRSA(t, 1536)
	p256, p384, p521 := genEC(t, elliptic.P256()), genEC(t, elliptic.P384()), genEC(t, elliptic.P521())
	capi := spec.MarshalRSAPrivateKeyBlob(r1024, spec.CALGRSAKeyX)
	bc := spec.MarshalBCryptRSAPrivateBlob(r1024, false)
	bcFull := spec.MarshalBCryptRSAPrivateBlob(r1024, true)
	ecc256 := spec.MarshalECCPrivateKeyBlob(p256, spec.ECCPrivateMagic(spec.ATECDSAP256))
	ecdh256 := spec.MarshalECCPrivateKeyBlob(p256, spec.ECCPrivateMagic(spec.ATECDHEP256))
	ecc384 := spec.MarshalECCPrivateKeyBlob(p384, spec.ECCPrivateMagic(spec.ATECDSAP384))
	ecdh384 := spec.MarshalECCPrivateKeyBlob(p384, spec.ECCPrivateMagic(spec.ATECDHEP384))
	ecc521 := spec.MarshalECCPrivateKeyBlob(p521, spec.ECCPrivateMagic(spec.ATECDSAP521))
	ecdh521 := spec.MarshalECCPrivateKeyBlob(p521, spec.ECCPrivateMagic(spec.ATECDHEP521))
	for i, b := range [][]byte{capi, bc, bcFull, ecc256, ecdh256, ecc384, ecdh384, ecc521, ecdh521} {
		if b == nil {
			t.Fatalf("blob %d not made", i)
		}
	}
	rsaPub := spec.MarshalRSAPublicKeyBlob(&r1024.PublicKey, spec.CALGRSAKeyX)
	eccPub := spec.MarshalECCPublicKeyBlob(&p256.PublicKey, spec.ECCPublicMagic(spec.ATECDSAP256))
	const kx, sg, user = spec.ATKeyExchange, spec.ATSignature, spec.RoleUser

	rows := []row{
		// dwFlags: exactly one of KEY_GEN and KEY_IMPORT.
		{"flags 0", createEx(ctx, 0, 0, kx, 2048, nil, user), invParam},
		{"flags 3", createEx(ctx, 0, 3, kx, 2048, nil, user), invParam},
		{"flags 4", createEx(ctx, 0, 4, kx, 2048, nil, user), invParam},
		{"flags 0x80000001", createEx(ctx, 0, 0x80000001, kx, 2048, nil, user), invParam},
		{"CreateContainer flags 0", create(ctx, 0, 0, kx, 2048, nil), invParam},
		{"CreateContainer flags 3", create(ctx, 0, 3, kx, 2048, nil), invParam},
		{"CreateContainer flags 4", create(ctx, 0, 4, kx, 2048, nil), invParam},
		// dwKeySpec: undefined → INVALID_PARAMETER, P-521 (defined, no PIV key) → UNSUPPORTED.
		{"key spec 0", createEx(ctx, 0, keyGen, 0, 2048, nil, user), invParam},
		{"key spec 9", createEx(ctx, 0, keyGen, 9, 2048, nil, user), invParam},
		{"key spec 100", createEx(ctx, 0, keyGen, 100, 0, nil, user), invParam},
		{"CreateContainer key spec 9", create(ctx, 0, keyGen, 9, 0, nil), invParam},
		{"import key spec 0", createEx(ctx, 0, keyImport, 0, 0, capi, user), invParam},
		{"ECDSA P-521 generate", createEx(ctx, 0, keyGen, spec.ATECDSAP521, 0, nil, user), unsupp},
		{"ECDH P-521 generate", createEx(ctx, 0, keyGen, spec.ATECDHEP521, 0, nil, user), unsupp},
		{"ECDSA P-521 import", createEx(ctx, 0, keyImport, spec.ATECDSAP521, 0, ecc521, user), unsupp},
		{"ECDH P-521 import", createEx(ctx, 0, keyImport, spec.ATECDHEP521, 0, ecdh521, user), unsupp},
		{"CreateContainer P-521", create(ctx, 0, keyGen, spec.ATECDSAP521, 0, nil), unsupp},
		// UNSUPPORTED_FEATURE is checked before the other parameters and before the card.
		{"order: P-521 before key size", createEx(ctx, 0, keyGen, spec.ATECDSAP521, 100, nil, user), unsupp},
		{"order: P-521 before index", createEx(ctx, 24, keyGen, spec.ATECDHEP521, 0, nil, user), unsupp},
		{"order: P-521 before PIN id", createEx(ctx, 0, keyGen, spec.ATECDSAP521, 0, nil, spec.RoleAdmin), unsupp},
		{"order: P-521 before NULL blob", createEx(ctx, 0, keyImport, spec.ATECDSAP521, 0, nil, user), unsupp},
		{"order: P-521 before blob type", createEx(ctx, 0, keyImport, spec.ATECDHEP521, 0, capi, user), unsupp},
		{"order: P-521 before authentication", createEx(anon, 0, keyGen, spec.ATECDSAP521, 0, nil, user), unsupp},
		{"order: P-521 before admin check", createEx(adm, 0, keyGen, spec.ATECDSAP521, 0, nil, user), unsupp},
		// §4.1's generic order puts dwFlags before the enumerated values.
		{"order: flags before P-521", createEx(ctx, 0, 0, spec.ATECDSAP521, 0, nil, user), invParam},
		// RSA sizes (PIV: 1024, 2048, 3072, 4096).
		{"RSA 512", createEx(ctx, 0, keyGen, kx, 512, nil, user), invParam},
		{"RSA 1500", createEx(ctx, 0, keyGen, kx, 1500, nil, user), invParam},
		{"RSA 1023", createEx(ctx, 0, keyGen, kx, 1023, nil, user), invParam},
		{"RSA 8192", createEx(ctx, 0, keyGen, kx, 8192, nil, user), invParam},
		{"AT_SIGNATURE 512", createEx(ctx, 0, keyGen, sg, 512, nil, user), invParam},
		{"CreateContainer RSA 1500", create(ctx, 0, keyGen, sg, 1500, nil), invParam},
		// ECC sizes: 0 or the curve's.
		{"P-256 size 255", createEx(ctx, 0, keyGen, spec.ATECDSAP256, 255, nil, user), invParam},
		{"P-256 size 384", createEx(ctx, 0, keyGen, spec.ATECDSAP256, 384, nil, user), invParam},
		{"P-384 size 256", createEx(ctx, 0, keyGen, spec.ATECDSAP384, 256, nil, user), invParam},
		{"ECDH P-256 size 2048", createEx(ctx, 0, keyGen, spec.ATECDHEP256, 2048, nil, user), invParam},
		{"ECDH P-384 size 1", createEx(ctx, 0, keyGen, spec.ATECDHEP384, 1, nil, user), invParam},
		// Container index.
		{"index 24", createEx(ctx, 24, keyGen, kx, 2048, nil, user), noKC},
		{"index 255", createEx(ctx, 255, keyGen, spec.ATECDSAP256, 0, nil, user), noKC},
		{"CreateContainer index 24", create(ctx, 24, keyGen, kx, 2048, nil), noKC},
		{"order: key size before index", createEx(ctx, 24, keyGen, kx, 1500, nil, user), invParam},
		{"order: PIN id before index", createEx(ctx, 24, keyGen, kx, 2048, nil, spec.RoleAdmin), invParam},
		{"order: NULL blob before index", createEx(ctx, 24, keyImport, kx, 0, nil, user), invParam},
		// PinId: ROLE_USER or PIN #3 (the 9C PIN).
		{"PIN 2 (admin)", createEx(ctx, 0, keyGen, kx, 2048, nil, spec.RoleAdmin), invParam},
		{"PIN 4 (PUK)", createEx(ctx, 0, keyGen, kx, 2048, nil, 4), invParam},
		{"PIN 0 (everyone)", createEx(ctx, 0, keyGen, kx, 2048, nil, 0), invParam},
		{"PIN 7", createEx(ctx, 0, keyGen, spec.ATECDSAP256, 0, nil, 7), invParam},
		{"PIN 8", createEx(ctx, 0, keyGen, kx, 2048, nil, 8), invParam},
		{"PIN 0xFFFFFFFF", createEx(ctx, 0, keyGen, kx, 2048, nil, 0xFFFFFFFF), invParam},
		// Authentication: only the user creates containers.
		{"without PIN", createEx(anon, 0, keyGen, kx, 2048, nil, user), secViol},
		{"without PIN, PIN #3", createEx(anon, 0, keyGen, spec.ATECDSAP256, 0, nil, 3), secViol},
		{"without PIN, import", createEx(anon, 0, keyImport, kx, 0, capi, user), secViol},
		{"CreateContainer without PIN", create(anon, 0, keyGen, spec.ATECDHEP256, 0, nil), secViol},
		{"admin only", createEx(adm, 0, keyGen, kx, 2048, nil, user), secViol},
		{"admin only, import", createEx(adm, 0, keyImport, spec.ATECDSAP256, 0, ecc256, user), secViol},
		{"CreateContainer admin only", create(adm, 0, keyGen, spec.ATECDSAP384, 0, nil), secViol},
		{"order: PIN id before authentication", createEx(anon, 0, keyGen, kx, 2048, nil, 2), invParam},
		{"order: key size before authentication", createEx(anon, 0, keyGen, kx, 1500, nil, user), invParam},
		{"order: index before authentication", createEx(anon, 24, keyGen, kx, 2048, nil, user), noKC},
		{"order: blob before authentication", createEx(anon, 0, keyImport, kx, 0, capi[:30], user), invParam},
		// Import blobs.
		{"import NULL blob", createEx(ctx, 0, keyImport, kx, 0, nil, user), invParam},
		{"import empty blob", createEx(ctx, 0, keyImport, kx, 0, []byte{}, user), invParam},
		{"CreateContainer import NULL blob", create(ctx, 0, keyImport, spec.ATECDSAP256, 0, nil), invParam},
		{"import truncated CAPI blob", createEx(ctx, 0, keyImport, kx, 0, capi[:len(capi)-1], user), invParam},
		{"import CAPI header only", createEx(ctx, 0, keyImport, kx, 0, capi[:20], user), invParam},
		{"import truncated BCrypt RSA blob", createEx(ctx, 0, keyImport, sg, 0, bc[:len(bc)-1], user), invParam},
		{"import truncated BCrypt full RSA blob", createEx(ctx, 0, keyImport, kx, 0, bcFull[:len(bcFull)-3], user), invParam},
		{"import truncated ECC blob", createEx(ctx, 0, keyImport, spec.ATECDSAP256, 0, ecc256[:len(ecc256)-1], user), invParam},
		{"import RSA blob for ECDSA P-256", createEx(ctx, 0, keyImport, spec.ATECDSAP256, 0, capi, user), invParam},
		{"import BCrypt RSA blob for ECDH P-384", createEx(ctx, 0, keyImport, spec.ATECDHEP384, 0, bc, user), invParam},
		{"import P-384 blob for P-256", createEx(ctx, 0, keyImport, spec.ATECDSAP256, 0, ecc384, user), invParam},
		{"import P-384 blob for ECDH P-256", createEx(ctx, 0, keyImport, spec.ATECDHEP256, 0, ecdh384, user), invParam},
		{"import P-256 blob for P-384", createEx(ctx, 0, keyImport, spec.ATECDSAP384, 0, ecc256, user), invParam},
		{"import P-521 blob for P-256", createEx(ctx, 0, keyImport, spec.ATECDSAP256, 0, ecc521, user), invParam},
		{"import ECC blob for AT_KEYEXCHANGE", createEx(ctx, 0, keyImport, kx, 0, ecc256, user), invParam},
		{"import ECC blob for AT_SIGNATURE", createEx(ctx, 0, keyImport, sg, 0, ecdh384, user), invParam},
		{"import RSA public key blob", createEx(ctx, 0, keyImport, kx, 0, rsaPub, user), invParam},
		{"import ECC public key blob", createEx(ctx, 0, keyImport, spec.ATECDSAP256, 0, eccPub, user), invParam},
		{"import size differs from the blob's", createEx(ctx, 0, keyImport, kx, 2048, capi, user), invParam},
		{"import ECC size differs from the curve", createEx(ctx, 0, keyImport, spec.ATECDSAP256, 384, ecc256, user), invParam},
		{"import RSA-1536 key", createEx(ctx, 0, keyImport, kx, 0, spec.MarshalRSAPrivateKeyBlob(r1536, spec.CALGRSAKeyX), user), invParam},
		{"import garbage", createEx(ctx, 0, keyImport, kx, 0, bytes.Repeat([]byte{0xA5}, 200), user), invParam},
	}
	runWriteRows(t, f.p.Card, rows)
	if n := len(f.p.Card.Info().Keys); n != 0 {
		t.Errorf("%d keys on the card after refused creations", n)
	}

	// Reference §4.10: the ECC import blob carries "the private magic that matches the key spec"
	// (OpenSC refuses an ECDSA blob for an ECDH spec and the other way round).
	runWriteRows(t, f.p.Card, []row{
		{"import ECDSA P-256 blob for ECDH P-256", createEx(ctx, 20, keyImport, spec.ATECDHEP256, 0, ecc256, user), invParam},
		{"import ECDH P-384 blob for ECDSA P-384", createEx(ctx, 21, keyImport, spec.ATECDSAP384, 0, ecdh384, user), invParam},
	})
}

// TestWriteCreateContainerSlots: every key spec and every import format on an empty card, and
// the slot each container takes: the first RSA key exchange key → 9A, a PIN #3 key → 9C, ECDH →
// 9D, then the retired slots 82, 83, ... in order; 9E never. An overwritten container gets
// another free slot, and the slot it leaves is free again.
func TestWriteCreateContainerSlots(t *testing.T) {
	f := newFixture(t, []enginetest.Key{})
	ctx, h := f.ctx, f.host
	pinLogin(t, ctx)
	r1, r2, r3 := genRSA(t, 1024), genRSA(t, 1024), genRSA(t, 2048)
	e256, e384, e384b := genEC(t, elliptic.P256()), genEC(t, elliptic.P384()), genEC(t, elliptic.P384())
	free := func() uint32 {
		fs, err := ctx.QueryFreeSpace(0)
		mustOK(t, "free space", err)
		return fs.KeyContainersAvailable
	}
	type step struct {
		name  string
		idx   byte
		call  func() error
		ks    spec.KeySpec
		slot  byte
		pin   uint32
		priv  crypto.Signer // imported key
		pinAl bool          // PIN policy "always" on the card
	}
	steps := []step{
		{"AT_KEYEXCHANGE generate", 0, create(ctx, 0, keyGen, spec.ATKeyExchange, 2048, nil), spec.ATKeyExchange, piv.SlotAuth, 1, nil, false},
		{"ECDSA P-256 generate, PIN #3", 1, createEx(ctx, 1, keyGen, spec.ATECDSAP256, 0, nil, 3), spec.ATECDSAP256, piv.SlotSign, 3, nil, true},
		{"ECDH P-256 generate", 2, createEx(ctx, 2, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser), spec.ATECDHEP256, piv.SlotKeyMgmt, 1, nil, false},
		{"AT_KEYEXCHANGE import CAPI PRIVATEKEYBLOB", 3, createEx(ctx, 3, keyImport, spec.ATKeyExchange, 0,
			spec.MarshalRSAPrivateKeyBlob(r1, spec.CALGRSAKeyX), spec.RoleUser), spec.ATKeyExchange, 0x82, 1, r1, false},
		{"AT_SIGNATURE generate", 4, createEx(ctx, 4, keyGen, spec.ATSignature, 1024, nil, spec.RoleUser), spec.ATSignature, 0x83, 1, nil, false},
		{"ECDSA P-384 generate", 5, create(ctx, 5, keyGen, spec.ATECDSAP384, 0, nil), spec.ATECDSAP384, 0x84, 1, nil, false},
		{"ECDH P-384 generate, size 384", 6, createEx(ctx, 6, keyGen, spec.ATECDHEP384, 384, nil, spec.RoleUser), spec.ATECDHEP384, 0x85, 1, nil, false},
		{"AT_SIGNATURE import BCRYPT_RSAPRIVATE_BLOB", 7, createEx(ctx, 7, keyImport, spec.ATSignature, 1024,
			spec.MarshalBCryptRSAPrivateBlob(r2, false), spec.RoleUser), spec.ATSignature, 0x86, 1, r2, false},
		{"AT_KEYEXCHANGE import BCRYPT_RSAFULLPRIVATE_BLOB", 8, create(ctx, 8, keyImport, spec.ATKeyExchange, 0,
			spec.MarshalBCryptRSAPrivateBlob(r3, true)), spec.ATKeyExchange, 0x87, 1, r3, false},
		{"ECDSA P-256 import BCRYPT_ECCPRIVATE_BLOB", 9, createEx(ctx, 9, keyImport, spec.ATECDSAP256, 0,
			spec.MarshalECCPrivateKeyBlob(e256, spec.ECCPrivateMagic(spec.ATECDSAP256)), spec.RoleUser), spec.ATECDSAP256, 0x88, 1, e256, false},
		{"ECDH P-384 import BCRYPT_ECCPRIVATE_BLOB", 10, createEx(ctx, 10, keyImport, spec.ATECDHEP384, 384,
			spec.MarshalECCPrivateKeyBlob(e384, spec.ECCPrivateMagic(spec.ATECDHEP384)), spec.RoleUser), spec.ATECDHEP384, 0x89, 1, e384, false},
		{"ECDSA P-384 import, PIN #3 (9C taken)", 11, createEx(ctx, 11, keyImport, spec.ATECDSAP384, 0,
			spec.MarshalECCPrivateKeyBlob(e384b, spec.ECCPrivateMagic(spec.ATECDSAP384)), 3), spec.ATECDSAP384, 0x8A, 3, e384b, true},
		{"ECDSA P-256 generate, size 256", 12, createEx(ctx, 12, keyGen, spec.ATECDSAP256, 256, nil, spec.RoleUser), spec.ATECDSAP256, 0x8B, 1, nil, false},
	}
	// Changed: KeyContainersAvailable is also bounded by the free key slots, 23 on an empty card
	// (9A, 9C, 9D and the 20 retired slots; 9E is never chosen), not only by the 24 indexes.
	avail := free()
	if avail != 23 {
		t.Errorf("empty card: %d containers available, want 23", avail)
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		pub := wantSlot(t, f, ctx, h, s.idx, s.slot, s.ks)
		if s.priv != nil && !keysMatch(pub, s.priv.Public()) {
			t.Errorf("%s: the container's key is not the imported one", s.name)
		}
		if got := pinIDOf(t, ctx, s.idx); got != s.pin {
			t.Errorf("%s: PIN identifier %d, want %d", s.name, got, s.pin)
		}
		if got := pinPolicy(f.p.Card, s.slot); (got == "always") != s.pinAl {
			t.Errorf("%s: PIN policy of %02X %q", s.name, s.slot, got)
		}
		if _, ok := slotKeys(f.p.Card)[piv.SlotCardAuth]; ok {
			t.Fatalf("%s: a key in 9E", s.name)
		}
		avail--
		if got := free(); got != avail {
			t.Errorf("%s: %d containers available, want %d", s.name, got, avail)
		}
	}
	// RSA sizes reported by the container info.
	for idx, bits := range map[byte]int{0: 2048, 4: 1024, 7: 1024, 8: 2048} {
		pub, _ := containerPub(t, ctx, h, idx)
		if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() != bits {
			t.Errorf("container %d: not RSA-%d", idx, bits)
		}
	}
	// Overwriting a container replaces its key (reference §4.10: an existing container is
	// overwritten). Changed: the new key goes to another free slot (ECDH: 9D is the old one, 82-8B
	// are taken, so 8C), so that the old key stays usable until the one map write that switches
	// to the new key; the old slot is released: its key stays on the card but no container shows
	// it, and the slot counts as free.
	old, _ := containerPub(t, ctx, h, 2)
	// Added: another context reads the old keys of containers 2 and 5 (uncertified: the card
	// tells them, GET METADATA) before the overwrites; after reading cardcf, as the Base CSP does
	// at the start of a transaction, it must see the new keys, also in a released slot taken by
	// another container.
	ctxB, hB := f.another(t)
	containerPub(t, ctxB, hB, 2)
	containerPub(t, ctxB, hB, 5)
	mustOK(t, "overwrite container 2", ctx.CreateContainerEx(2, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser))
	if pub := wantSlot(t, f, ctx, h, 2, 0x8C, spec.ATECDHEP256); keysMatch(pub, old) {
		t.Error("container 2 kept its old key")
	}
	if got := slotHolding(t, f.p.Card, old); got != piv.SlotKeyMgmt {
		t.Errorf("the replaced key of container 2 is in %02X, want it left in 9D", got)
	}
	if got := free(); got != avail {
		t.Errorf("container 2 overwritten: %d containers available, want %d (9D released, 8C taken)", got, avail)
	}
	// ... even with another key spec. Changed: 9D, released by container 2, is free again, and an
	// AT_KEYEXCHANGE key prefers it (9A, 9D, then 82..95) to 84, the container's own slot, which
	// is released in turn with its old key left in place.
	old5, _ := containerPub(t, ctx, h, 5)
	mustOK(t, "overwrite container 5", ctx.CreateContainerEx(5, keyGen, spec.ATKeyExchange, 1024, nil, spec.RoleUser))
	wantSlot(t, f, ctx, h, 5, piv.SlotKeyMgmt, spec.ATKeyExchange)
	if got := slotHolding(t, f.p.Card, old5); got != 0x84 {
		t.Errorf("the replaced key of container 5 is in %02X, want it left in 84", got)
	}
	if got := free(); got != avail {
		t.Errorf("container 5 overwritten: %d containers available, want %d (84 released, 9D taken)", got, avail)
	}
	// The released 84 is taken by the next container that gets to the retired slots (82-83 and
	// 85-8C are in use).
	mustOK(t, "container 13", ctx.CreateContainerEx(13, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	wantSlot(t, f, ctx, h, 13, 0x84, spec.ATECDSAP256)
	if got := free(); got != avail-1 {
		t.Errorf("container 13: %d containers available, want %d", got, avail-1)
	}
	refresh(t, ctxB, hB)
	wantSlot(t, f, ctxB, hB, 2, 0x8C, spec.ATECDHEP256)
	wantSlot(t, f, ctxB, hB, 5, piv.SlotKeyMgmt, spec.ATKeyExchange)
	wantSlot(t, f, ctxB, hB, 13, 0x84, spec.ATECDSAP256)
	// A second context sees the containers, in their new slots.
	ctx2, h2 := f.another(t)
	wantSlot(t, f, ctx2, h2, 11, 0x8A, spec.ATECDSAP384)
	wantSlot(t, f, ctx2, h2, 2, 0x8C, spec.ATECDHEP256)
	wantSlot(t, f, ctx2, h2, 5, piv.SlotKeyMgmt, spec.ATKeyExchange)
	wantSlot(t, f, ctx2, h2, 13, 0x84, spec.ATECDSAP256)
	if got := pinIDOf(t, ctx2, 1); got != 3 {
		t.Errorf("second context: PIN identifier of container 1: %d", got)
	}
}

// TestWriteCreateContainerLargeRSA: the virtual card reports YubiKey 5.7, which makes and imports
// RSA-3072 and RSA-4096 keys.
func TestWriteCreateContainerLargeRSA(t *testing.T) {
	f := newFixture(t, []enginetest.Key{})
	ctx, h := f.ctx, f.host
	pinLogin(t, ctx)
	r3072 := genRSA(t, 3072)
	runWriteRows(t, f.p.Card, []row{
		{"RSA 3072 generate", createEx(ctx, 0, keyGen, spec.ATKeyExchange, 3072, nil, spec.RoleUser), 0},
		{"RSA 4096 generate", create(ctx, 1, keyGen, spec.ATSignature, 4096, nil), 0},
		{"RSA 3072 import", createEx(ctx, 2, keyImport, spec.ATKeyExchange, 3072,
			spec.MarshalBCryptRSAPrivateBlob(r3072, true), spec.RoleUser), 0},
	})
	for idx, want := range []struct {
		slot byte
		ks   spec.KeySpec
		bits int
	}{{piv.SlotAuth, spec.ATKeyExchange, 3072}, {0x82, spec.ATSignature, 4096}, {piv.SlotKeyMgmt, spec.ATKeyExchange, 3072}} {
		pub := wantSlot(t, f, ctx, h, byte(idx), want.slot, want.ks)
		if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() != want.bits {
			t.Errorf("container %d: not RSA-%d", idx, want.bits)
		}
	}
	if pub, _ := containerPub(t, ctx, h, 2); !keysMatch(pub, r3072.Public()) {
		t.Error("container 2: not the imported key")
	}
}

// TestWriteCreateContainerOldFirmware: a card before YubiKey 5.7 has no RSA-3072 or RSA-4096 keys:
// UNSUPPORTED_FEATURE, checked before the index, the PIN id and the authentication.
func TestWriteCreateContainerOldFirmware(t *testing.T) {
	card, err := vcard.New(vcard.Options{Version: [3]byte{5, 4, 3}})
	if err != nil {
		t.Fatal(err)
	}
	m := engine.NewModule()
	ctx, h := enginetest.Acquire(t, m, card, true)
	anon, _ := enginetest.Acquire(t, m, card, true)
	pinLogin(t, ctx)
	blob3072 := spec.MarshalBCryptRSAPrivateBlob(genRSA(t, 3072), false)
	runWriteRows(t, card, []row{
		{"RSA 3072", createEx(ctx, 0, keyGen, spec.ATKeyExchange, 3072, nil, spec.RoleUser), unsupp},
		{"RSA 4096", create(ctx, 0, keyGen, spec.ATSignature, 4096, nil), unsupp},
		{"RSA 3072 import", createEx(ctx, 0, keyImport, spec.ATKeyExchange, 0, blob3072, spec.RoleUser), unsupp},
		{"order: RSA 4096 before index", createEx(ctx, 24, keyGen, spec.ATKeyExchange, 4096, nil, spec.RoleUser), unsupp},
		{"order: RSA 3072 import before index", createEx(ctx, 30, keyImport, spec.ATKeyExchange, 0, blob3072, spec.RoleUser), unsupp},
		{"order: RSA 3072 before PIN id", createEx(ctx, 0, keyGen, spec.ATKeyExchange, 3072, nil, spec.RoleAdmin), unsupp},
		{"order: RSA 3072 before authentication", createEx(anon, 0, keyGen, spec.ATKeyExchange, 3072, nil, spec.RoleUser), unsupp},
		{"RSA 1500 (undefined size)", createEx(ctx, 0, keyGen, spec.ATKeyExchange, 1500, nil, spec.RoleUser), invParam},
		{"RSA 2048", createEx(ctx, 0, keyGen, spec.ATKeyExchange, 2048, nil, spec.RoleUser), 0},
	})
	f := &fixture{p: &enginetest.Provisioned{Card: card}}
	wantSlot(t, f, ctx, h, 0, piv.SlotAuth, spec.ATKeyExchange)
}

func keysMatch(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	x, ok := a.(eq)
	return ok && x.Equal(b)
}

// TestWriteCreateContainerForeignKeys: keys another PIV tool put on the card, with or without a
// certificate, are never taken by a new container.
func TestWriteCreateContainerForeignKeys(t *testing.T) {
	t.Run("with certificates", func(t *testing.T) {
		f := newFixture(t, nil) // 9A RSA, 9C P-256, 9D RSA, 9E P-384, certified: containers 0-3
		ctx, h := f.ctx, f.host
		pinLogin(t, ctx)
		keys := slotKeys(f.p.Card)
		objs := f.p.Card.Snapshot().Objects
		runWriteRows(t, f.p.Card, []row{
			{"AT_KEYEXCHANGE", createEx(ctx, 4, keyGen, spec.ATKeyExchange, 1024, nil, spec.RoleUser), 0},
			{"PIN #3", createEx(ctx, 5, keyGen, spec.ATECDSAP256, 0, nil, 3), 0},
			{"ECDH", createEx(ctx, 6, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser), 0},
			{"ECDSA", createEx(ctx, 7, keyGen, spec.ATECDSAP384, 0, nil, spec.RoleUser), 0},
			{"AT_SIGNATURE", create(ctx, 8, keyGen, spec.ATSignature, 1024, nil), 0},
		})
		for i, s := range []byte{0x82, 0x83, 0x84, 0x85, 0x86} {
			ks := []spec.KeySpec{spec.ATKeyExchange, spec.ATECDSAP256, spec.ATECDHEP256, spec.ATECDSAP384, spec.ATSignature}[i]
			wantSlot(t, f, ctx, h, byte(4+i), s, ks)
		}
		after := slotKeys(f.p.Card)
		st := f.p.Card.Snapshot()
		for _, s := range standardSlots() {
			if after[s] != keys[s] {
				t.Errorf("the key in %02X was replaced", s)
			}
			if !bytes.Equal(st.Objects[piv.CertObject(s)], objs[piv.CertObject(s)]) {
				t.Errorf("the certificate of %02X changed", s)
			}
		}
		for idx, s := range standardSlots() {
			wantSlot(t, f, ctx, h, byte(idx), s, []spec.KeySpec{spec.ATKeyExchange, spec.ATECDSAP256, spec.ATKeyExchange, spec.ATECDSAP384}[idx])
		}
		// CardCreateContainer on the index of a foreign container overwrites that container
		// (reference §4.10); its certificate goes. Changed: the new key goes to another free
		// slot (AT_KEYEXCHANGE: 9A is the old one, 9D and 82-86 are taken, so 87), and 9A is
		// released: its certificate is deleted, its key is left in place but no container shows
		// it.
		mustOK(t, "overwrite container 0", ctx.CreateContainerEx(0, keyGen, spec.ATKeyExchange, 1024, nil, spec.RoleUser))
		wantSlot(t, f, ctx, h, 0, 0x87, spec.ATKeyExchange)
		if _, ok := f.p.Card.Snapshot().Objects[piv.CertObject(piv.SlotAuth)]; ok {
			t.Error("9A keeps the certificate of the replaced key")
		}
		if slotKeys(f.p.Card)[piv.SlotAuth] != keys[piv.SlotAuth] {
			t.Error("the replaced 9A key was not left in place")
		}
		// 9E's container moves. Changed: 9A, released just above, is free again and is the
		// first choice of an ECDSA key; 9E is released in turn (its certificate goes, its key
		// stays: 9E is never written).
		mustOK(t, "overwrite container 3", ctx.CreateContainerEx(3, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
		wantSlot(t, f, ctx, h, 3, piv.SlotAuth, spec.ATECDSAP256)
		if slotKeys(f.p.Card)[piv.SlotCardAuth] != keys[piv.SlotCardAuth] {
			t.Error("the 9E key was replaced")
		}
		if _, ok := f.p.Card.Snapshot().Objects[piv.CertObject(piv.SlotCardAuth)]; ok {
			t.Error("9E keeps the certificate of the replaced container")
		}
		// A fresh context sees containers 0-8 in their slots, and none for the released 9E.
		ctx2, h2 := f.another(t)
		wantSlot(t, f, ctx2, h2, 0, 0x87, spec.ATKeyExchange)
		wantSlot(t, f, ctx2, h2, 3, piv.SlotAuth, spec.ATECDSAP256)
		for idx := byte(9); idx < 24; idx++ {
			info := &engine.ContainerInfo{Version: 1}
			if err := ctx2.GetContainerInfo(idx, 0, info); spec.StatusOf(err) != noKC {
				t.Errorf("second context: container %d after the overwrites: %v", idx, err)
			}
			freeInfo(h2, info)
		}
	})
	t.Run("without certificates", func(t *testing.T) {
		f := newFixture(t, []enginetest.Key{{Slot: piv.SlotAuth, Alg: piv.AlgRSA1024}, {Slot: piv.SlotSign, Alg: piv.AlgECCP256},
			{Slot: piv.SlotKeyMgmt, Alg: piv.AlgECCP256}, {Slot: 0x82, Alg: piv.AlgECCP256}})
		ctx, h := f.ctx, f.host
		pinLogin(t, ctx)
		keys := slotKeys(f.p.Card)
		runWriteRows(t, f.p.Card, []row{
			{"AT_KEYEXCHANGE", createEx(ctx, 0, keyGen, spec.ATKeyExchange, 1024, nil, spec.RoleUser), 0},
			{"PIN #3", createEx(ctx, 1, keyGen, spec.ATECDSAP256, 0, nil, 3), 0},
			{"ECDH", createEx(ctx, 2, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser), 0},
		})
		wantSlot(t, f, ctx, h, 0, 0x83, spec.ATKeyExchange)
		wantSlot(t, f, ctx, h, 1, 0x84, spec.ATECDSAP256)
		wantSlot(t, f, ctx, h, 2, 0x85, spec.ATECDHEP256)
		after := slotKeys(f.p.Card)
		for _, s := range []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, 0x82} {
			if after[s] != keys[s] {
				t.Errorf("the key in %02X was replaced", s)
			}
		}
		if _, ok := after[piv.SlotCardAuth]; ok {
			t.Error("a key in 9E")
		}
	})
}

func standardSlots() []byte {
	return []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth}
}

// TestWriteCreateContainerCardFull: a card takes a container in each of its 23 slots other than
// 9E (9E, usable without PIN, is never chosen); then a new container is refused and the card is
// unchanged. CardQueryFreeSpace counts down to the refusal.
//
// Changed: 9C only takes keys that need the PIN before every use (PIN #3), so PIN-1 keys fill
// the 22 slots 9A, 9D and 82..95 (ECDSA and AT_SIGNATURE keys take 9D as the last resort); the
// 23rd PIN-1 container is refused while one container (the 9C slot) is still reported
// available, and a PIN #3 container then takes 9C. Added: the same with uncertified keys, whose
// public keys the map no longer keeps on a card with GET METADATA, so that the map does not
// overflow.
func TestWriteCreateContainerCardFull(t *testing.T) {
	rsaKey := genRSA(t, 2048)
	for _, c := range []struct {
		name    string
		ks      spec.KeySpec
		blob    []byte
		certify bool
	}{
		{"ECDSA P-256, certified", spec.ATECDSAP256, nil, true},
		{"RSA-2048 imported, certified", spec.ATKeyExchange, spec.MarshalRSAPrivateKeyBlob(rsaKey, spec.CALGRSAKeyX), true},
		{"ECDSA P-256, uncertified", spec.ATECDSAP256, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, []enginetest.Key{})
			ctx := f.ctx
			pinLogin(t, ctx)
			available := func() uint32 {
				fs, err := ctx.QueryFreeSpace(0)
				mustOK(t, "free space", err)
				return fs.KeyContainersAvailable
			}
			createIn := func(idx byte, pin spec.PINID) func() error {
				if c.blob != nil {
					return createEx(ctx, idx, keyImport, c.ks, 0, c.blob, pin)
				}
				return createEx(ctx, idx, keyGen, c.ks, 0, nil, pin)
			}
			certify := func(idx byte) {
				if !c.certify {
					return
				}
				// Windows writes the certificate after the creation.
				pub, _ := containerPub(t, ctx, f.host, idx)
				name := spec.CertFileName(certPrefixOf(c.ks), idx)
				mustOK(t, "create "+name, ctx.CreateFile("mscp", name, 0, spec.EveryoneReadUserWriteAc))
				mustOK(t, "write "+name, ctx.WriteFile("mscp", name, 0, certFor(t, pub, name)))
			}
			n := 0
			var last error
			var avail uint32
			for idx := byte(0); idx < 24; idx++ {
				avail = available()
				if want := uint32(23 - n); avail != want {
					t.Errorf("before container %d: %d containers reported available, want %d", idx, avail, want)
				}
				before := f.p.Card.Snapshot()
				if last = createIn(idx, spec.RoleUser)(); last != nil {
					if !vcard.SameState(before, f.p.Card.Snapshot()) {
						t.Errorf("container %d: the refused creation changed the card", idx)
					}
					break
				}
				n++
				certify(idx)
			}
			if n != 22 || spec.StatusOf(last) != spec.SCardENoMemory || avail != 1 {
				t.Fatalf("%d containers created, then %v with %d containers reported available; "+
					"want 22 (9A, 9D and 20 retired slots), then SCARD_E_NO_MEMORY with 1 available (9C)", n, last, avail)
			}
			want := map[byte]bool{piv.SlotAuth: true, piv.SlotKeyMgmt: true}
			for s := piv.SlotRetired1; s <= piv.SlotRetired20; s++ {
				want[s] = true
			}
			for s := range slotKeys(f.p.Card) {
				if !want[s] {
					t.Errorf("a PIN-1 key in %02X", s)
				}
				delete(want, s)
			}
			if len(want) != 0 {
				t.Errorf("slots without a key: %X", slices.Sorted(maps.Keys(want)))
			}
			// The 23rd container: a PIN #3 key takes 9C.
			mustOK(t, "PIN #3 container", createIn(22, pinSign3)())
			if c.blob == nil {
				wantSlot(t, f, ctx, f.host, 22, piv.SlotSign, c.ks)
			} else if _, ok := slotKeys(f.p.Card)[piv.SlotSign]; !ok {
				t.Error("PIN #3 container: no key in 9C") // the same key is imported in every slot
			}
			if got := pinIDOf(t, ctx, 22); got != uint32(pinSign3) {
				t.Errorf("PIN #3 container: PIN identifier %d", got)
			}
			certify(22)
			if got := available(); got != 0 {
				t.Errorf("23 containers: %d containers reported available", got)
			}
			noMem := spec.SCardENoMemory
			runWriteRows(t, f.p.Card, []row{
				{"24th container, PIN 1", createIn(23, spec.RoleUser), noMem},
				{"24th container, PIN #3", createIn(23, pinSign3), noMem},
			})
			if _, ok := slotKeys(f.p.Card)[piv.SlotCardAuth]; ok {
				t.Error("a key in 9E")
			}
			// A fresh context sees the 23 containers.
			ctx2, h2 := f.another(t)
			for idx := byte(0); idx < 23; idx++ {
				containerPub(t, ctx2, h2, idx)
			}
		})
	}
}

// pinSign3 is PIN #3, the PIN of keys that need it before every use (the 9C PIN).
const pinSign3 spec.PINID = 3

func certPrefixOf(ks spec.KeySpec) string {
	if ks == spec.ATSignature || ks.IsECDSA() {
		return spec.UserSignatureCertPrefix
	}
	return spec.UserKeyExchangeCertPrefix
}

// ---------------------------------------------------------------------------------------------
// CardDeleteContainer

func TestWriteDeleteContainer(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	anon, _ := f.another(t)
	del := func(c *engine.Context, idx byte, reserved uint32) func() error {
		return func() error { return c.DeleteContainer(idx, reserved) }
	}
	runWriteRows(t, f.p.Card, []row{
		{"reserved 1", del(ctx, 0, 1), invParam},
		{"reserved 0x80000000", del(ctx, 4, 0x80000000), invParam},
		{"order: reserved before index", del(ctx, 24, 1), invParam},
		{"index 24", del(ctx, 24, 0), 0},
		{"index 255", del(ctx, 255, 0), 0},
		{"nonexistent index", del(ctx, 9, 0), 0},
		{"nonexistent index without PIN", del(anon, 10, 0), 0},
		{"without PIN", del(anon, 0, 0), secViol},
		{"without PIN, 9C", del(anon, 1, 0), secViol},
	})
	pinLogin(t, ctx)
	before := slotKeys(f.p.Card)
	runWriteRows(t, f.p.Card, []row{{"container 2", del(ctx, 2, 0), 0}})
	info := &engine.ContainerInfo{Version: 1}
	if err := ctx.GetContainerInfo(2, 0, info); spec.StatusOf(err) != noKC {
		t.Errorf("deleted container: %v", err)
	}
	freeInfo(h, info)
	if b, err := ctx.ReadFile("mscp", "kxc02", 0); spec.StatusOf(err) != fileNF {
		t.Errorf("certificate of the deleted container: %v", err)
		freeErr(h, b, nil)
	}
	if _, ok := f.p.Card.Snapshot().Objects[piv.CertObject(piv.SlotKeyMgmt)]; ok {
		t.Error("the certificate object of 9D is still on the card")
	}
	// Deleting it again is no error; the other containers stay.
	runWriteRows(t, f.p.Card, []row{{"container 2 again", del(ctx, 2, 0), 0}})
	for _, idx := range []byte{0, 1, 3} {
		containerPub(t, ctx, h, idx)
	}
	if fs, err := ctx.QueryFreeSpace(0); err != nil || fs.KeyContainersAvailable != 21 {
		t.Errorf("free space %+v %v", fs, err)
	}
	// Another context sees the deletion.
	ctx2, h2 := f.another(t)
	info = &engine.ContainerInfo{Version: 1}
	if err := ctx2.GetContainerInfo(2, 0, info); spec.StatusOf(err) != noKC {
		t.Errorf("second context, deleted container: %v", err)
	}
	freeInfo(h2, info)
	// CardDeleteContainer cannot erase a PIV key; the keys of other slots are untouched.
	after := slotKeys(f.p.Card)
	for _, s := range []byte{piv.SlotAuth, piv.SlotSign, piv.SlotCardAuth} {
		if after[s] != before[s] {
			t.Errorf("key of %02X changed", s)
		}
	}
}

// TestWriteDeleteContainerSlotReuse: a slot whose container was deleted through the minidriver
// is free again. Without that, every create/delete cycle costs a slot for good, and after 23 of
// them no container can be created on a card that has none.
func TestWriteDeleteContainerSlotReuse(t *testing.T) {
	f := newFixture(t, []enginetest.Key{})
	ctx, h := f.ctx, f.host
	pinLogin(t, ctx)
	mustOK(t, "create", ctx.CreateContainer(0, keyGen, spec.ATKeyExchange, 1024, nil))
	wantSlot(t, f, ctx, h, 0, piv.SlotAuth, spec.ATKeyExchange)
	mustOK(t, "delete", ctx.DeleteContainer(0, 0))
	mustOK(t, "create again", ctx.CreateContainer(0, keyGen, spec.ATKeyExchange, 1024, nil))
	wantSlot(t, f, ctx, h, 0, piv.SlotAuth, spec.ATKeyExchange)
	for i := range 25 {
		if err := ctx.DeleteContainer(0, 0); err != nil {
			t.Fatalf("cycle %d: delete: %v", i, err)
		}
		if err := ctx.CreateContainerEx(0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser); err != nil {
			fs, _ := ctx.QueryFreeSpace(0)
			t.Fatalf("cycle %d: create on a card with %d free container indexes: %v", i, fs.KeyContainersAvailable, err)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// CardSetContainerProperty

func TestWriteSetContainerProperty(t *testing.T) {
	f := newFixture(t, nil) // 0: 9A RSA, 1: 9C P-256 (PIN #3), 2: 9D RSA, 3: 9E P-384
	ctx := f.ctx
	pinLogin(t, ctx)
	mustOK(t, "ECDH container", ctx.CreateContainerEx(4, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser))
	set := func(idx byte, name string, data []byte, flags uint32) func() error {
		return func() error { return ctx.SetContainerProperty(idx, name, data, flags) }
	}
	dw := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	runWriteRows(t, f.p.Card, []row{
		{"PIN id of 3 bytes", set(0, spec.CCPPINIdentifier, []byte{1, 0, 0}, 0), invParam},
		{"PIN id of 5 bytes", set(0, spec.CCPPINIdentifier, []byte{1, 0, 0, 0, 0}, 0), invParam},
		{"PIN id NULL", set(0, spec.CCPPINIdentifier, nil, 0), invParam},
		{"PIN id 2 (admin)", set(0, spec.CCPPINIdentifier, dw(2), 0), invParam},
		{"PIN id 4", set(0, spec.CCPPINIdentifier, dw(4), 0), invParam},
		{"PIN id 0", set(0, spec.CCPPINIdentifier, dw(0), 0), invParam},
		{"PIN id 8", set(2, spec.CCPPINIdentifier, dw(8), 0), invParam},
		{"9C container to PIN 1", set(1, spec.CCPPINIdentifier, dw(1), 0), invParam},
		{"nonexistent container", set(9, spec.CCPPINIdentifier, dw(1), 0), noKC},
		{"index 24", set(24, spec.CCPPINIdentifier, dw(3), 0), noKC},
		{"index 255", set(255, spec.CCPPINIdentifier, dw(1), 0), noKC},
		{"flags", set(0, spec.CCPPINIdentifier, dw(1), 1), invParam},
		{"order: flags before index", set(200, spec.CCPPINIdentifier, dw(1), 1), invParam},
		{"order: data size before index", set(9, spec.CCPPINIdentifier, []byte{1}, 0), invParam},
		{"unknown property", set(0, "Bogus", dw(1), 0), invParam},
		{"CCP_CONTAINER_INFO", set(0, spec.CCPContainerInfo, make([]byte, 24), 0), invParam},
		{"card property", set(0, spec.CPCardGUID, make([]byte, 16), 0), invParam},
		{"ECDH key on an RSA container", set(0, spec.CCPAssociatedECDHKey, []byte{4}, 0), invParam},
		{"ECDH key on an ECDH container", set(4, spec.CCPAssociatedECDHKey, []byte{4}, 0), invParam},
		{"ECDH key: an RSA peer", set(1, spec.CCPAssociatedECDHKey, []byte{2}, 0), invParam},
		{"ECDH key: a P-384 peer for P-256", set(1, spec.CCPAssociatedECDHKey, []byte{3}, 0), invParam},
		{"ECDH key: nonexistent peer", set(1, spec.CCPAssociatedECDHKey, []byte{9}, 0), noKC},
		{"ECDH key of 0 bytes", set(1, spec.CCPAssociatedECDHKey, nil, 0), invParam},
		{"ECDH key of 2 bytes", set(1, spec.CCPAssociatedECDHKey, []byte{4, 0}, 0), invParam},
		{"ECDH key: nonexistent container", set(9, spec.CCPAssociatedECDHKey, []byte{4}, 0), noKC},
		{"ECDH key flags", set(1, spec.CCPAssociatedECDHKey, []byte{4}, 2), invParam},
	})
	// Reference §4.1: enumerated values are checked before indexes and the card.
	runWriteRows(t, f.p.Card, []row{
		{"order: PIN id value before index", set(9, spec.CCPPINIdentifier, dw(2), 0), invParam},
	})

	// Successful changes, read back.
	runWriteRows(t, f.p.Card, []row{
		{"container 0 to PIN #3", set(0, spec.CCPPINIdentifier, dw(3), 0), 0},
		{"container 4 to PIN #3", set(4, spec.CCPPINIdentifier, dw(3), 0), 0},
		{"9C container to PIN #3 (unchanged)", set(1, spec.CCPPINIdentifier, dw(3), 0), 0},
		{"container 2 to ROLE_USER (unchanged)", set(2, spec.CCPPINIdentifier, dw(1), 0), 0},
	})
	for idx, want := range map[byte]uint32{0: 3, 1: 3, 2: 1, 3: 1, 4: 3} {
		if got := pinIDOf(t, ctx, idx); got != want {
			t.Errorf("PIN identifier of %d: %d, want %d", idx, got, want)
		}
	}
	runWriteRows(t, f.p.Card, []row{{"container 0 back to ROLE_USER", set(0, spec.CCPPINIdentifier, dw(1), 0), 0}})
	if got := pinIDOf(t, ctx, 0); got != 1 {
		t.Errorf("PIN identifier of 0 after the change back: %d", got)
	}
	ctx2, _ := f.another(t)
	if got := pinIDOf(t, ctx2, 4); got != 3 {
		t.Errorf("second context: PIN identifier of 4: %d", got)
	}
	// CCP_ASSOCIATED_ECDH_KEY: what is set is what is read.
	runWriteRows(t, f.p.Card, []row{{"ECDH key of container 1 → 4", set(1, spec.CCPAssociatedECDHKey, []byte{4}, 0), 0}})
	if p, err := ctx.GetContainerProperty(1, spec.CCPAssociatedECDHKey, 0, 0); err != nil || !bytes.Equal(p.Data, []byte{4}) {
		t.Errorf("ECDH key of container 1 after setting 4: %X %v", p.Data, err)
	}
	runWriteRows(t, f.p.Card, []row{{"ECDH key of container 1 → itself", set(1, spec.CCPAssociatedECDHKey, []byte{1}, 0), 0}})
	if p, err := ctx.GetContainerProperty(1, spec.CCPAssociatedECDHKey, 0, 0); err != nil || !bytes.Equal(p.Data, []byte{1}) {
		t.Errorf("ECDH key of container 1 after setting 1: %X %v", p.Data, err)
	}
}

// ---------------------------------------------------------------------------------------------
// Directories

func TestWriteCreateDirectory(t *testing.T) {
	f := newFixtureWith(t, nil, keepMgm)
	ctx, h := f.ctx, f.host
	anon, _ := f.another(t)
	mk := func(c *engine.Context, dir string, ac spec.DirAccessCondition) func() error {
		return func() error { return c.CreateDirectory(dir, ac) }
	}
	const u = spec.UserCreateDeleteDirAc
	runWriteRows(t, f.p.Card, []row{
		{"no PIN", mk(anon, "newdir", u), secViol},
		{"no PIN, admin dir", mk(anon, "admdir", spec.AdminCreateDeleteDirAc), secViol},
	})
	pinLogin(t, ctx)
	mustOK(t, "create dir1", ctx.CreateDirectory("dir1", u))
	runWriteRows(t, f.p.Card, []row{
		{"empty name", mk(ctx, "", u), invParam},
		{"9-char name", mk(ctx, "abcdefghi", u), invParam},
		{"name with *", mk(ctx, "dir*", u), invParam},
		{"name with \\", mk(ctx, "a\\b", u), invParam},
		{"name with control char", mk(ctx, "a\x1fb", u), invParam},
		{"AC 0", mk(ctx, "newdir", spec.InvalidDirAc), invParam},
		{"AC 3", mk(ctx, "newdir", 3), invParam},
		{"AC -1", mk(ctx, "newdir", -1), invParam},
		{"order: AC before existence", mk(ctx, "mscp", 0), invParam},
		{"order: name before AC", mk(ctx, "", 0), invParam},
		{"mscp", mk(ctx, "mscp", u), fileEx},
		{"MSCP", mk(ctx, "MSCP", spec.AdminCreateDeleteDirAc), fileEx},
		{"existing", mk(ctx, "dir1", u), fileEx},
		{"existing, other case", mk(ctx, "DIR1", spec.AdminCreateDeleteDirAc), fileEx},
		{"a root file: cardcf", mk(ctx, "cardcf", u), fileEx},
		{"a root file: cardid", mk(ctx, "CardID", u), fileEx},
		{"a root file: cardapps", mk(ctx, "cardapps", u), fileEx},
	})
	mustOK(t, "create root file", ctx.CreateFile("", "rootf", 0, spec.EveryoneReadUserWriteAc))
	runWriteRows(t, f.p.Card, []row{
		{"a created root file", mk(ctx, "rootf", u), fileEx},
		{"admin dir by the user", mk(ctx, "admdir", spec.AdminCreateDeleteDirAc), 0},
		{"mscerts", mk(ctx, "mscerts", u), 0},
	})
	// A new directory is empty: CardEnumFiles says SCARD_E_FILE_NOT_FOUND.
	for _, d := range []string{"dir1", "DIR1", "admdir", "mscerts"} {
		b, err := ctx.EnumFiles(d, 0)
		if spec.StatusOf(err) != fileNF {
			t.Errorf("enum new directory %s: %q %v", d, b, err)
		}
		freeErr(h, b, nil)
	}
	// It is there for another context.
	ctx2, h2 := f.another(t)
	b, err := ctx2.EnumFiles("dir1", 0)
	if spec.StatusOf(err) != fileNF {
		t.Errorf("second context, enum dir1: %v", err)
	}
	freeErr(h2, b, nil)
	runWriteRows(t, f.p.Card, []row{{"second context, existing", mk(ctx2, "dir1", u), fileEx}})
}

func TestWriteDeleteDirectory(t *testing.T) {
	f := newFixtureWith(t, nil, keepMgm)
	ctx, h := f.ctx, f.host
	anon, _ := f.another(t)
	adm, ah := f.another(t)
	pinLogin(t, ctx)
	mustOK(t, "dir1", ctx.CreateDirectory("dir1", spec.UserCreateDeleteDirAc))
	mustOK(t, "full", ctx.CreateDirectory("full", spec.UserCreateDeleteDirAc))
	mustOK(t, "full/f", ctx.CreateFile("full", "f", 0, spec.EveryoneReadUserWriteAc))
	mustOK(t, "admdir", ctx.CreateDirectory("admdir", spec.AdminCreateDeleteDirAc))
	rm := func(c *engine.Context, dir string) func() error {
		return func() error { return c.DeleteDirectory(dir) }
	}
	runWriteRows(t, f.p.Card, []row{
		{"empty name", rm(ctx, ""), invParam},
		{"9-char name", rm(ctx, "abcdefghi"), invParam},
		{"name with ?", rm(ctx, "dir?"), invParam},
		{"unknown", rm(ctx, "nodir"), dirNF},
		{"a root file", rm(ctx, "cardcf"), dirNF},
		{"mscp", rm(ctx, "mscp"), spec.ErrorDirNotEmpty},
		{"mscp without PIN", rm(anon, "mscp"), secViol},
		{"not empty", rm(ctx, "full"), spec.ErrorDirNotEmpty},
		{"not empty, without PIN", rm(anon, "full"), secViol},
		{"without PIN", rm(anon, "dir1"), secViol},
		{"admin dir by the user", rm(ctx, "admdir"), secViol},
		{"file in the admin dir by the user", func() error {
			return ctx.CreateFile("admdir", "f", 0, spec.EveryoneReadUserWriteAc)
		}, secViol},
	})
	runWriteRows(t, f.p.Card, []row{
		{"dir1", rm(ctx, "DIR1"), 0},
		{"dir1 again", rm(ctx, "dir1"), dirNF},
		{"emptied dir", func() error {
			if err := ctx.DeleteFile("full", "f", 0); err != nil {
				return err
			}
			return ctx.DeleteDirectory("full")
		}, 0},
	})
	adminLogin(t, adm, ah, vcard.DefaultMgmKey)
	runWriteRows(t, f.p.Card, []row{
		{"mscp by the admin", rm(adm, "mscp"), spec.ErrorDirNotEmpty},
		{"admin dir by the admin", rm(adm, "admdir"), 0},
	})
	refresh(t, ctx, h)
	for _, d := range []string{"dir1", "full", "admdir"} {
		b, err := ctx.EnumFiles(d, 0)
		if spec.StatusOf(err) != dirNF {
			t.Errorf("enum deleted %s: %v", d, err)
		}
		freeErr(h, b, nil)
	}
}

// ---------------------------------------------------------------------------------------------
// Files

func TestWriteCreateFile(t *testing.T) {
	f := newFixtureWith(t, nil, keepMgm) // containers 0-3, each with its certificate
	ctx, h := f.ctx, f.host
	anon, _ := f.another(t)
	mkf := func(c *engine.Context, dir, name string, size uint32, ac spec.FileAccessCondition) func() error {
		return func() error { return c.CreateFile(dir, name, size, ac) }
	}
	const u = spec.EveryoneReadUserWriteAc
	runWriteRows(t, f.p.Card, []row{
		{"no PIN", mkf(anon, "mscp", "newfile", 10, u), secViol},
		{"no PIN, root", mkf(anon, "", "newfile", 0, u), secViol},
		{"no PIN, certificate", mkf(anon, "mscp", "kxc04", 0, u), secViol},
	})
	pinLogin(t, ctx)
	mustOK(t, "create mscp/f1", ctx.CreateFile("mscp", "f1", 0, u))
	mustOK(t, "create admin dir", ctx.CreateDirectory("admdir", spec.AdminCreateDeleteDirAc))
	mustOK(t, "ECC container without certificate", ctx.CreateContainerEx(5, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	runWriteRows(t, f.p.Card, []row{
		{"empty name", mkf(ctx, "mscp", "", 0, u), invParam},
		{"9-char name", mkf(ctx, "mscp", "abcdefghi", 0, u), invParam},
		{"name with |", mkf(ctx, "mscp", "a|b", 0, u), invParam},
		{"9-char dir", mkf(ctx, "abcdefghi", "f", 0, u), invParam},
		{"AC 0", mkf(ctx, "mscp", "f2", 0, spec.InvalidAc), invParam},
		{"AC 4 (UnknownAc)", mkf(ctx, "mscp", "f2", 0, spec.UnknownAc), invParam},
		{"AC 7", mkf(ctx, "mscp", "f2", 0, 7), invParam},
		{"order: AC before existence", mkf(ctx, "mscp", "cmapfile", 0, 7), invParam},
		{"exists: cmapfile", mkf(ctx, "mscp", "cmapfile", 0, u), fileEx},
		{"exists: CMAPFILE", mkf(ctx, "MSCP", "CMAPFILE", 0, u), fileEx},
		{"exists: cardcf", mkf(ctx, "", "cardcf", 0, u), fileEx},
		{"exists: cardid", mkf(ctx, "", "cardid", 0, spec.EveryoneReadAdminWriteAc), fileEx},
		{"exists: a created file", mkf(ctx, "mscp", "F1", 100, u), fileEx},
		{"exists: kxc00 (certified container)", mkf(ctx, "mscp", "kxc00", 0, u), fileEx},
		{"exists: ksc01 (certified container)", mkf(ctx, "mscp", "ksc01", 0, u), fileEx},
		{"exists: a directory's name", mkf(ctx, "", "mscp", 0, u), fileEx},
		{"exists: a created directory's name", mkf(ctx, "", "ADMDIR", 0, u), fileEx},
		{"missing dir", mkf(ctx, "nodir", "f", 0, u), dirNF},
		// Changed: the free space is that of four objects (storeFree), the fifth being the spare.
		{"size above the free space", mkf(ctx, "mscp", "big", storeFree+1, u), invParam},
		{"size of the whole store (the spare object is not free space)", mkf(ctx, "mscp", "big", storeSize, u), invParam},
		{"size above the whole store", mkf(ctx, "mscp", "big", storeSize+1, u), invParam},
		{"size 0xFFFFFFFF", mkf(ctx, "", "big", 0xFFFFFFFF, u), invParam},
		{"ksc for a key exchange container", mkf(ctx, "mscp", "ksc00", 0, u), invParam},
		{"kxc for an ECDSA container", mkf(ctx, "mscp", "kxc05", 0, u), invParam},
		{"certificate larger than a PIV object", mkf(ctx, "mscp", "ksc05", 4000, u), invParam},
		{"file in an admin dir by the user", mkf(ctx, "admdir", "f", 0, u), secViol},
		// The certificate of a container that does not exist: the PIV slot of a certificate
		// comes from its container.
		{"certificate of a nonexistent container", mkf(ctx, "mscp", "kxc09", 0, u), noKC},
		{"certificate of index 24", mkf(ctx, "mscp", "ksc18", 0, u), noKC},
	})
	// Reference §4.1: parameters are checked before the card (the directory lookup).
	runWriteRows(t, f.p.Card, []row{
		{"order: AC before a missing directory", mkf(ctx, "nodir", "f", 0, 0), invParam},
	})
	runWriteRows(t, f.p.Card, []row{
		{"size = free space", mkf(ctx, "mscp", "big", storeFree, u), 0}, // changed: storeFree, see above
		{"root file", mkf(ctx, "", "rootf", 0, spec.UserReadWriteAc), 0},
		{"AdminReadWriteAc file by the user", mkf(ctx, "mscp", "adm", 0, spec.AdminReadWriteAc), 0},
		{"UserWriteExecuteAc", mkf(ctx, "mscp", "uwx", 1, spec.UserWriteExecuteAc), 0},
		{"EveryoneReadAdminWriteAc", mkf(ctx, "mscp", "era", 0, spec.EveryoneReadAdminWriteAc), 0},
		{"msroots", mkf(ctx, "mscp", "msroots", 2000, u), 0},
		{"certificate of a new container", mkf(ctx, "mscp", "ksc05", 1000, u), 0},
		{"certificate of a new container again", mkf(ctx, "mscp", "KSC05", 0, u), fileEx},
	})
	// A created file exists, empty; a created certificate file too.
	for _, p := range [][2]string{{"mscp", "f1"}, {"mscp", "msroots"}, {"", "rootf"}, {"mscp", "ksc05"}} {
		b, err := ctx.ReadFile(p[0], p[1], 0)
		if err != nil || len(b) != 0 {
			t.Errorf("read new %s/%s: %d bytes, %v", p[0], p[1], len(b), err)
		}
		freeErr(h, b, nil)
		fi, err := ctx.GetFileInfo(p[0], p[1])
		if err != nil || fi.FileSize != 0 {
			t.Errorf("info new %s/%s: %+v %v", p[0], p[1], fi, err)
		}
	}
	b, err := ctx.EnumFiles("mscp", 0)
	mustOK(t, "enum mscp", err)
	names := spec.ParseMultiStringANSI(b)
	h.Free(b)
	for _, n := range []string{"f1", "big", "adm", "uwx", "era", "msroots", "ksc05", "cmapfile", "kxc00"} {
		if !slices.Contains(names, n) {
			t.Errorf("mscp lacks %s: %q", n, names)
		}
	}
	fi, err := ctx.GetFileInfo("mscp", "uwx")
	if spec.StatusOf(err) != secViol {
		t.Errorf("info of a UserWriteExecuteAc file: %+v %v", fi, err)
	}
}

func TestWriteFileErrors(t *testing.T) {
	f := newFixtureWith(t, nil, keepMgm) // containers 0-3, each with its certificate
	ctx, h := f.ctx, f.host
	anon, _ := f.another(t)
	adm, ah := f.another(t)
	pinLogin(t, ctx)
	const u = spec.EveryoneReadUserWriteAc
	for _, c := range []struct {
		name string
		ac   spec.FileAccessCondition
	}{{"f1", u}, {"arw", spec.AdminReadWriteAc}, {"era", spec.EveryoneReadAdminWriteAc}, {"urw", spec.UserReadWriteAc}} {
		mustOK(t, "create "+c.name, ctx.CreateFile("mscp", c.name, 0, c.ac))
	}
	mustOK(t, "create dir", ctx.CreateDirectory("dir1", spec.UserCreateDeleteDirAc))
	wr := func(c *engine.Context, dir, name string, flags uint32, data []byte) func() error {
		return func() error { return c.WriteFile(dir, name, flags, data) }
	}
	cardid, err := ctx.ReadFile("", "cardid", 0)
	mustOK(t, "cardid", err)
	id := slices.Clone(cardid)
	h.Free(cardid)
	other := slices.Clone(id)
	other[0] ^= 0xFF
	cmap, err := ctx.ReadFile("mscp", "cmapfile", 0)
	mustOK(t, "cmapfile", err)
	cm := slices.Clone(cmap)
	h.Free(cmap)
	recs := make([]spec.ContainerMapRecord, 25)
	for i := range recs {
		recs[i].Flags = spec.ContainerMapValidContainer
		if err := recs[i].SetName("{00000000-0000-0000-0000-0000000000" + strconv.Itoa(10+i) + "}"); err != nil {
			t.Fatal(err)
		}
	}
	cmap25 := spec.MarshalContainerMap(recs)
	cert9A := certFor(t, f.p.Pub[piv.SlotAuth], "new 9A")
	runWriteRows(t, f.p.Card, []row{
		{"flags 1", wr(ctx, "mscp", "f1", 1, []byte{1}), invParam},
		{"flags 0x80000000", wr(ctx, "mscp", "f1", 0x80000000, []byte{1}), invParam},
		{"order: flags before a missing file", wr(ctx, "mscp", "nofile", 1, []byte{1}), invParam},
		{"order: flags before a missing dir", wr(ctx, "nodir", "f", 1, []byte{1}), invParam},
		{"empty name", wr(ctx, "mscp", "", 0, []byte{1}), invParam},
		{"9-char name", wr(ctx, "mscp", "abcdefghi", 0, []byte{1}), invParam},
		{"missing file", wr(ctx, "mscp", "nofile", 0, []byte{1}), fileNF},
		{"missing file in root", wr(ctx, "", "f1", 0, []byte{1}), fileNF},
		{"missing file in a created dir", wr(ctx, "dir1", "f1", 0, []byte{1}), fileNF},
		{"msroots (not created)", wr(ctx, "mscp", "msroots", 0, []byte{1}), fileNF},
		{"kxc of a nonexistent container", wr(ctx, "mscp", "kxc09", 0, cert9A), fileNF},
		{"ksc00 (container 0 takes kxc)", wr(ctx, "mscp", "ksc00", 0, cert9A), fileNF},
		{"missing dir", wr(ctx, "nodir", "f1", 0, []byte{1}), dirNF},
		{"no PIN", wr(anon, "mscp", "f1", 0, []byte{1}), secViol},
		{"no PIN, cmapfile", wr(anon, "mscp", "cmapfile", 0, cm), secViol},
		{"no PIN, cardcf", wr(anon, "", "cardcf", 0, make([]byte, 6)), secViol},
		{"no PIN, certificate", wr(anon, "mscp", "kxc00", 0, cert9A), secViol},
		{"no PIN, UserReadWriteAc", wr(anon, "mscp", "urw", 0, []byte{1}), secViol},
		{"AdminReadWriteAc by the user", wr(ctx, "mscp", "arw", 0, []byte{1}), secViol},
		{"EveryoneReadAdminWriteAc by the user", wr(ctx, "mscp", "era", 0, []byte{1}), secViol},
		{"cardid, other bytes, by the user", wr(ctx, "", "cardid", 0, other), secViol},
		{"cardapps, other bytes, by the user", wr(ctx, "", "cardapps", 0, []byte("mscpxxxx")), secViol},
		{"cardcf of 5 bytes", wr(ctx, "", "cardcf", 0, make([]byte, 5)), invParam},
		{"cardcf NULL", wr(ctx, "", "cardcf", 0, nil), invParam},
		{"cmapfile of 87 bytes", wr(ctx, "mscp", "cmapfile", 0, append(slices.Clone(cm[:86]), 0)), invParam},
		{"cmapfile of 85 bytes", wr(ctx, "mscp", "cmapfile", 0, cm[:85]), invParam},
		{"cmapfile of 25 records", wr(ctx, "mscp", "cmapfile", 0, cmap25), tooMany},
		{"certificate that does not parse", wr(ctx, "mscp", "kxc00", 0, []byte{0x30, 0x03, 1, 2, 3}), invParam},
		{"certificate of another key", wr(ctx, "mscp", "kxc00", 0, f.p.Certs[piv.SlotKeyMgmt]), invParam},
		{"certificate of another key type", wr(ctx, "mscp", "ksc01", 0, f.p.Certs[piv.SlotCardAuth]), invParam},
		{"compressed certificate that does not inflate", wr(ctx, "mscp", "kxc00", 0, []byte{1, 0, 0x10, 0, 0x78, 0x9C, 1, 2}), invParam},
		{"compressed certificate of another key", wr(ctx, "mscp", "kxc00", 0, spec.CompressWindowsCert(f.p.Certs[piv.SlotKeyMgmt])), invParam},
		{"file larger than the store", wr(ctx, "mscp", "f1", 0, make([]byte, storeSize+1)), tooMany},
		// Added: the spare object is not for new content: five objects' worth (the whole store)
		// and four objects and a byte do not fit an empty store.
		{"file of the whole store", wr(ctx, "mscp", "f1", 0, make([]byte, storeSize)), tooMany},
		{"file larger than the free space", wr(ctx, "mscp", "f1", 0, make([]byte, storeFree+1)), tooMany},
	})
	// The admin may write its files; cardid and cardapps are the card's.
	adminLogin(t, adm, ah, vcard.DefaultMgmKey)
	runWriteRows(t, f.p.Card, []row{
		{"AdminReadWriteAc by the admin", wr(adm, "mscp", "arw", 0, []byte("admin")), 0},
		{"EveryoneReadAdminWriteAc by the admin", wr(adm, "mscp", "era", 0, []byte("era")), 0},
		{"cardid, same bytes, by the admin", wr(adm, "", "cardid", 0, id), 0},
		{"cardid, other bytes, by the admin", wr(adm, "", "cardid", 0, other), unsupp},
	})
	// Successful writes, read back (the context first reads cardcf, as the Base CSP does at the
	// start of a transaction, and so sees the admin's writes).
	refresh(t, ctx, h)
	data := bytes.Repeat([]byte("0123456789"), 400) // 2 file store objects
	// Changed: urw is no longer written here: f1 (2 objects), arw and era (one each) take the
	// four usable objects, and the fifth stays spare. It is written below, once f1 has shrunk.
	runWriteRows(t, f.p.Card, []row{
		{"f1", wr(ctx, "mscp", "F1", 0, data), 0},
		{"cardcf of 6 bytes", wr(ctx, "", "cardcf", 0, []byte{0, 0, 1, 0, 2, 0}), 0},
		{"cmapfile as read", wr(ctx, "mscp", "cmapfile", 0, cm), 0},
		{"certificate of the container's key", wr(ctx, "mscp", "kxc00", 0, cert9A), 0},
	})
	got, err := ctx.ReadFile("mscp", "f1", 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("f1 read back: %d bytes %v", len(got), err)
	}
	freeErr(h, got, nil)
	got, err = ctx.ReadFile("mscp", "kxc00", 0)
	if err != nil || !bytes.Equal(got, cert9A) {
		t.Errorf("kxc00 read back: %v", err)
	}
	freeErr(h, got, nil)

	// A Windows-compressed certificate is accepted; the card stores it gzip-compressed (CertInfo
	// 01, as PIV tools read it), and CardReadFile returns the DER (the card reports
	// fCertificateCompression, so the Base CSP neither compresses nor inflates).
	cert2 := certFor(t, f.p.Pub[piv.SlotAuth], "compressed 9A")
	runWriteRows(t, f.p.Card, []row{{"compressed certificate", wr(ctx, "mscp", "kxc00", 0, spec.CompressWindowsCert(cert2)), 0}})
	got, err = ctx.ReadFile("mscp", "kxc00", 0)
	if err != nil || !bytes.Equal(got, cert2) {
		t.Errorf("compressed certificate read back: %d bytes (DER %d) %v", len(got), len(cert2), err)
	}
	freeErr(h, got, nil)
	if fi, err := ctx.GetFileInfo("mscp", "kxc00"); err != nil || int(fi.FileSize) != len(cert2) {
		t.Errorf("compressed certificate info: %+v %v", fi, err)
	}
	obj := f.p.Card.Snapshot().Objects[piv.CertObject(piv.SlotAuth)]
	if info, ok, _ := tlv.Find(obj, piv.TagCertInfo); !ok || !bytes.Equal(info, []byte{piv.CertInfoGzip}) {
		t.Errorf("CertInfo of the stored compressed certificate: %X", info)
	}
	ctx2, h2 := f.another(t)
	got, err = ctx2.ReadFile("mscp", "kxc00", 0)
	if err != nil || !bytes.Equal(got, cert2) {
		t.Errorf("second context: compressed certificate read back: %v", err)
	}
	freeErr(h2, got, nil)

	// The file store is full now: f1 takes 2 objects, arw and era one each, and the fifth object
	// is the spare (changed: the store was full with 5 objects in use, urw taking the fifth). A
	// file rewritten with no more bytes than it holds fits (reference §4.8: CardWriteFile
	// replaces the whole content; out of space means the card has no room for the new content),
	// a file that grows beyond the card does not. Changed: the new content goes into free
	// objects before the old ones are emptied, and one object must stay free afterwards: a file
	// of one object can always be rewritten (into the spare), a file of two objects needs two
	// free objects, and a new file cannot take the spare.
	refresh(t, ctx, h)
	if fs, err := ctx.QueryFreeSpace(0); err != nil || fs.BytesAvailable != 0 {
		t.Errorf("free space with 4 objects in use: %+v %v", fs, err)
	}
	runWriteRows(t, f.p.Card, []row{
		{"f1 grown to 3 objects on a full card", wr(ctx, "mscp", "f1", 0, make([]byte, 2*chunk+1)), tooMany},
		{"f1 (2 objects) rewritten with its size on a full card", wr(ctx, "mscp", "f1", 0, data), tooMany},
		{"urw written on a full card (the spare is for rewrites)", wr(ctx, "mscp", "urw", 0, []byte("wallet")), tooMany},
		{"f1 shrunk on a full card", wr(ctx, "mscp", "f1", 0, data[:10]), 0},
		{"urw", wr(ctx, "mscp", "urw", 0, []byte("wallet")), 0},
	})
	// Full again: f1, urw, arw and era take one object each.
	if fs, err := ctx.QueryFreeSpace(0); err != nil || fs.BytesAvailable != 0 {
		t.Errorf("free space with 4 objects in use: %+v %v", fs, err)
	}
	runWriteRows(t, f.p.Card, []row{
		{"f1 grown to 2 objects on a full card", wr(ctx, "mscp", "f1", 0, data), tooMany},
		{"urw rewritten with the same size on a full card", wr(ctx, "mscp", "urw", 0, []byte("purse!")), 0},
		{"f1 rewritten with its size on a full card", wr(ctx, "mscp", "f1", 0, data[10:20]), 0},
		{"f1 rewritten with a full object on a full card", wr(ctx, "mscp", "f1", 0, data[:chunk]), 0},
	})
	for name, want := range map[string][]byte{"f1": data[:chunk], "urw": []byte("purse!")} {
		got, err := ctx.ReadFile("mscp", name, 0)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s read back after the rewrites on a full card: %q %v", name, got, err)
		}
		freeErr(h, got, nil)
	}
}

func TestWriteDeleteFile(t *testing.T) {
	f := newFixtureWith(t, nil, keepMgm)
	ctx, h := f.ctx, f.host
	anon, _ := f.another(t)
	adm, ah := f.another(t)
	pinLogin(t, ctx)
	const u = spec.EveryoneReadUserWriteAc
	mustOK(t, "create f1", ctx.CreateFile("mscp", "f1", 0, u))
	mustOK(t, "write f1", ctx.WriteFile("mscp", "f1", 0, []byte("content")))
	mustOK(t, "create arw", ctx.CreateFile("mscp", "arw", 0, spec.AdminReadWriteAc))
	mustOK(t, "create era", ctx.CreateFile("", "era", 0, spec.EveryoneReadAdminWriteAc))
	mustOK(t, "create uwx", ctx.CreateFile("mscp", "uwx", 0, spec.UserWriteExecuteAc))
	mustOK(t, "create dir", ctx.CreateDirectory("dir1", spec.UserCreateDeleteDirAc))
	rmf := func(c *engine.Context, dir, name string, flags uint32) func() error {
		return func() error { return c.DeleteFile(dir, name, flags) }
	}
	runWriteRows(t, f.p.Card, []row{
		{"flags 1", rmf(ctx, "mscp", "f1", 1), invParam},
		{"flags 0x10", rmf(ctx, "mscp", "f1", 0x10), invParam},
		{"order: flags before a missing file", rmf(ctx, "mscp", "nofile", 1), invParam},
		{"empty name", rmf(ctx, "mscp", "", 0), invParam},
		{"9-char name", rmf(ctx, "mscp", "abcdefghi", 0), invParam},
		{"missing", rmf(ctx, "mscp", "nofile", 0), fileNF},
		{"missing in a created dir", rmf(ctx, "dir1", "f1", 0), fileNF},
		{"msroots (not created)", rmf(ctx, "mscp", "msroots", 0), fileNF},
		{"certificate of a nonexistent container", rmf(ctx, "mscp", "kxc09", 0), fileNF},
		{"missing dir", rmf(ctx, "nodir", "f1", 0), dirNF},
		{"cmapfile", rmf(ctx, "mscp", "cmapfile", 0), secViol},
		{"cardcf", rmf(ctx, "", "cardcf", 0), secViol},
		{"cardid", rmf(ctx, "", "cardid", 0), secViol},
		{"cardapps", rmf(ctx, "", "cardapps", 0), secViol},
		{"no PIN", rmf(anon, "mscp", "f1", 0), secViol},
		{"no PIN, certificate", rmf(anon, "mscp", "kxc00", 0), secViol},
		{"no PIN, UserWriteExecuteAc", rmf(anon, "mscp", "uwx", 0), secViol},
		{"AdminReadWriteAc by the user", rmf(ctx, "mscp", "arw", 0), secViol},
		{"EveryoneReadAdminWriteAc by the user", rmf(ctx, "", "era", 0), secViol},
	})
	runWriteRows(t, f.p.Card, []row{
		{"f1", rmf(ctx, "MSCP", "F1", 0), 0},
		{"f1 again", rmf(ctx, "mscp", "f1", 0), fileNF},
		{"UserWriteExecuteAc", rmf(ctx, "mscp", "uwx", 0), 0},
		{"certificate kxc00", rmf(ctx, "mscp", "kxc00", 0), 0},
		{"certificate kxc00 again", rmf(ctx, "mscp", "kxc00", 0), fileNF},
	})
	if _, ok := f.p.Card.Snapshot().Objects[piv.CertObject(piv.SlotAuth)]; ok {
		t.Error("the certificate object of 9A is still on the card")
	}
	// The container stays (Windows deletes containers with CardDeleteContainer): cmapfile still
	// lists it, and CardGetContainerInfo must describe it.
	cm, err := ctx.ReadFile("mscp", "cmapfile", 0)
	mustOK(t, "cmapfile", err)
	recs, err := spec.ParseContainerMap(cm)
	h.Free(cm)
	if err != nil || len(recs) == 0 || !recs[0].Valid() {
		t.Errorf("cmapfile after deleting kxc00: %+v %v", recs, err)
	}
	info := &engine.ContainerInfo{Version: 1}
	if err := ctx.GetContainerInfo(0, 0, info); err != nil {
		t.Errorf("container 0 (listed valid in cmapfile) after deleting its certificate: %v", err)
	}
	freeInfo(h, info)
	for _, p := range [][2]string{{"mscp", "f1"}, {"mscp", "kxc00"}, {"mscp", "uwx"}} {
		b, err := ctx.ReadFile(p[0], p[1], 0)
		if spec.StatusOf(err) != fileNF {
			t.Errorf("read deleted %s/%s: %v", p[0], p[1], err)
		}
		freeErr(h, b, nil)
	}
	adminLogin(t, adm, ah, vcard.DefaultMgmKey)
	runWriteRows(t, f.p.Card, []row{
		{"AdminReadWriteAc by the admin", rmf(adm, "mscp", "arw", 0), 0},
		{"EveryoneReadAdminWriteAc by the admin", rmf(adm, "", "era", 0), 0},
		{"cmapfile by the admin", rmf(adm, "mscp", "cmapfile", 0), secViol},
	})
	// Changed: an empty store reports four objects (storeFree); the fifth is the spare.
	if fs, err := ctx.QueryFreeSpace(0); err != nil || fs.BytesAvailable != storeFree {
		t.Errorf("free space after deleting every file: %+v %v", fs, err)
	}
}

// TestWriteDeleteCertificateNoMetadata (added): deleting a container's certificate file keeps the
// container on a card without GET METADATA (before YubiKey 5.3) too: there the public key is
// first kept in the map, its only other place, and a fresh context, which cannot ask the card,
// still reports it.
func TestWriteDeleteCertificateNoMetadata(t *testing.T) {
	card, err := vcard.New(vcard.Options{Version: [3]byte{5, 2, 7}})
	if err != nil {
		t.Fatal(err)
	}
	m := engine.NewModule()
	ctx, h := enginetest.Acquire(t, m, card, true)
	pinLogin(t, ctx)
	mustOK(t, "create container 0", ctx.CreateContainerEx(0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	pub, _ := containerPub(t, ctx, h, 0)
	mustOK(t, "create ksc00", ctx.CreateFile("mscp", "ksc00", 0, spec.EveryoneReadUserWriteAc))
	mustOK(t, "write ksc00", ctx.WriteFile("mscp", "ksc00", 0, certFor(t, pub, "ksc00")))
	// A map write after the certificate: the key the map kept since the creation is dropped
	// (the certificate now holds it), so the deletion below must keep it again.
	mustOK(t, "set PIN id (a map write)", ctx.SetContainerProperty(0, spec.CCPPINIdentifier,
		binary.LittleEndian.AppendUint32(nil, uint32(spec.RoleUser)), 0))
	mustOK(t, "delete ksc00", ctx.DeleteFile("mscp", "ksc00", 0))
	if _, ok := card.Snapshot().Objects[piv.CertObject(piv.SlotAuth)]; ok {
		t.Error("the certificate object of 9A is still on the card")
	}
	ctx2, h2 := enginetest.Acquire(t, m, card, true) // knows only what the card and the map tell
	for i, c := range []*engine.Context{ctx, ctx2} {
		hh := []*refhost.Host{h, h2}[i]
		got, _ := containerPub(t, c, hh, 0)
		if !keysMatch(got, pub) {
			t.Errorf("context %d: container 0 after its certificate was deleted: another key", i+1)
		}
		if b, err := c.ReadFile("mscp", "ksc00", 0); spec.StatusOf(err) != fileNF {
			t.Errorf("context %d: deleted ksc00: %v", i+1, err)
			freeErr(hh, b, nil)
		}
		if hh.Live() != 0 {
			t.Errorf("context %d: %d buffers not freed", i+1, hh.Live())
		}
	}
}

// TestWriteReadAccessConditions: CardReadFile and CardGetFileInfo need the read right of the
// file's access condition (reference §3.5).
func TestWriteReadAccessConditions(t *testing.T) {
	f := newFixtureWith(t, nil, keepMgm)
	ctx, h := f.ctx, f.host
	anon, anonH := f.another(t)
	adm, ah := f.another(t)
	pinLogin(t, ctx)
	adminLogin(t, adm, ah, vcard.DefaultMgmKey)
	type acFile struct {
		name string
		ac   spec.FileAccessCondition
	}
	put := func(fl acFile) {
		t.Helper()
		refresh(t, ctx, h)
		mustOK(t, "create "+fl.name, ctx.CreateFile("mscp", fl.name, 0, fl.ac))
		w, wh := ctx, h
		if fl.ac == spec.AdminReadWriteAc || fl.ac == spec.EveryoneReadAdminWriteAc {
			w, wh = adm, ah
		}
		refresh(t, w, wh)
		mustOK(t, "write "+fl.name, w.WriteFile("mscp", fl.name, 0, []byte("data of "+fl.name)))
		refresh(t, ctx, h)
		refresh(t, adm, ah)
	}
	// Changed: the file store takes four files of one object (the fifth object is kept spare),
	// so eru is written below, after uwx, whose content nobody may read, is deleted.
	for _, fl := range []acFile{{"urw", spec.UserReadWriteAc}, {"uwx", spec.UserWriteExecuteAc},
		{"arw", spec.AdminReadWriteAc}, {"era", spec.EveryoneReadAdminWriteAc}} {
		put(fl)
	}
	read := func(c *engine.Context, hh *refhost.Host, name string) func() error {
		return func() error {
			b, err := c.ReadFile("mscp", name, 0)
			if err == nil && string(b) != "data of "+name {
				t.Errorf("read %s: %q", name, b)
			}
			return freeErr(hh, b, err)
		}
	}
	info := func(c *engine.Context, name string, ac spec.FileAccessCondition) func() error {
		return func() error {
			fi, err := c.GetFileInfo("mscp", name)
			if err == nil && (int(fi.FileSize) != len("data of "+name) || fi.AccessCondition != ac) {
				t.Errorf("info %s: %+v", name, fi)
			}
			return err
		}
	}
	runWriteRows(t, f.p.Card, []row{
		{"UserReadWriteAc without PIN: read", read(anon, anonH, "urw"), secViol},
		{"UserReadWriteAc without PIN: info", info(anon, "urw", spec.UserReadWriteAc), secViol},
		{"UserReadWriteAc with PIN: read", read(ctx, h, "urw"), 0},
		{"UserReadWriteAc with PIN: info", info(ctx, "urw", spec.UserReadWriteAc), 0},
		{"UserReadWriteAc, admin: read", read(adm, ah, "urw"), 0},
		{"UserWriteExecuteAc without PIN: read", read(anon, anonH, "uwx"), secViol},
		{"UserWriteExecuteAc with PIN: read", read(ctx, h, "uwx"), secViol},
		{"UserWriteExecuteAc with PIN: info", info(ctx, "uwx", spec.UserWriteExecuteAc), secViol},
		{"UserWriteExecuteAc, admin: read", read(adm, ah, "uwx"), secViol},
		{"UserWriteExecuteAc, admin: info", info(adm, "uwx", spec.UserWriteExecuteAc), secViol},
		{"AdminReadWriteAc with PIN: read", read(ctx, h, "arw"), secViol},
		{"AdminReadWriteAc with PIN: info", info(ctx, "arw", spec.AdminReadWriteAc), secViol},
		{"AdminReadWriteAc without PIN: read", read(anon, anonH, "arw"), secViol},
		{"AdminReadWriteAc, admin: read", read(adm, ah, "arw"), 0},
		{"AdminReadWriteAc, admin: info", info(adm, "arw", spec.AdminReadWriteAc), 0},
		{"EveryoneReadAdminWriteAc without PIN: read", read(anon, anonH, "era"), 0},
		{"EveryoneReadAdminWriteAc without PIN: info", info(anon, "era", spec.EveryoneReadAdminWriteAc), 0},
	})
	mustOK(t, "delete uwx", ctx.DeleteFile("mscp", "uwx", 0))
	put(acFile{"eru", spec.EveryoneReadUserWriteAc})
	refresh(t, anon, anonH) // a new transaction: anon sees the file written since its last one
	runWriteRows(t, f.p.Card, []row{
		{"EveryoneReadUserWriteAc without PIN: read", read(anon, anonH, "eru"), 0},
	})
	// After logging out, the user's file is closed again.
	mustOK(t, "deauthenticate", ctx.DeauthenticateEx(spec.CreatePINSet(spec.RoleUser), 0))
	runWriteRows(t, f.p.Card, []row{{"UserReadWriteAc after logout: read", read(ctx, h, "urw"), secViol}})
}

// TestWriteFreeSpace: CardQueryFreeSpace counts whole file store objects and container indexes.
//
// Changed: (1) one file store object is kept spare (so that a file of one object can always be
// rewritten atomically), so the bytes reported are those of the free objects but one: storeFree
// on an empty store; (2) KeyContainersAvailable is also bounded by the key slots: 23 (9A, 9C, 9D
// and the 20 retired slots) less those in use, so 23 on an empty card, and a slot released by an
// overwritten or deleted container counts as free.
func TestWriteFreeSpace(t *testing.T) {
	f := newFixture(t, []enginetest.Key{})
	ctx := f.ctx
	pinLogin(t, ctx)
	check := func(what string, free, containers uint32) {
		t.Helper()
		fs, err := ctx.QueryFreeSpace(0)
		if err != nil || fs.BytesAvailable != free || fs.KeyContainersAvailable != containers || fs.MaxKeyContainers != 24 || fs.Version != 1 {
			t.Errorf("%s: %+v %v; want %d bytes, %d containers", what, fs, err, free, containers)
		}
	}
	check("empty card", storeFree, 23)
	mustOK(t, "create f", ctx.CreateFile("mscp", "f", 100, spec.EveryoneReadUserWriteAc))
	check("created file", storeFree, 23)
	mustOK(t, "write 1 byte", ctx.WriteFile("mscp", "f", 0, []byte{1}))
	check("1 byte", storeFree-chunk, 23)
	mustOK(t, "write one object", ctx.WriteFile("mscp", "f", 0, make([]byte, chunk)))
	check("one object", storeFree-chunk, 23)
	mustOK(t, "write 1 byte more", ctx.WriteFile("mscp", "f", 0, make([]byte, chunk+1)))
	check("one object and 1 byte", storeFree-2*chunk, 23)
	mustOK(t, "create g", ctx.CreateFile("", "g", 0, spec.UserReadWriteAc))
	mustOK(t, "write g", ctx.WriteFile("", "g", 0, make([]byte, 2*chunk)))
	check("f and g", storeFree-4*chunk, 23) // 0: only the spare is left
	mustOK(t, "container 0", ctx.CreateContainerEx(0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	check("1 container", storeFree-4*chunk, 22)
	mustOK(t, "container 7", ctx.CreateContainerEx(7, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser))
	check("2 containers", storeFree-4*chunk, 21)
	// The overwrite takes another slot (82) and releases 9D: still two slots in use.
	mustOK(t, "container 7 again", ctx.CreateContainerEx(7, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser))
	check("container 7 overwritten", storeFree-4*chunk, 21)
	mustOK(t, "write g empty", ctx.WriteFile("", "g", 0, nil))
	check("g empty", storeFree-2*chunk, 21)
	mustOK(t, "delete f", ctx.DeleteFile("mscp", "f", 0))
	check("f deleted", storeFree, 21)
	mustOK(t, "delete container 0", ctx.DeleteContainer(0, 0))
	check("container 0 deleted", storeFree, 22)
	ctx2, _ := f.another(t)
	fs, err := ctx2.QueryFreeSpace(0)
	if err != nil || fs.BytesAvailable != storeFree || fs.KeyContainersAvailable != 22 {
		t.Errorf("second context: %+v %v", fs, err)
	}
	// CardCreateFile refuses an initial size above the free space. Changed: g takes 3 objects
	// (it took 4) to leave one object of free space besides the spare.
	mustOK(t, "write g", ctx.WriteFile("", "g", 0, make([]byte, 3*chunk)))
	check("g of 3 objects", chunk, 22)
	runWriteRows(t, f.p.Card, []row{
		{"size above the free space", func() error { return ctx.CreateFile("mscp", "h", chunk+1, spec.EveryoneReadUserWriteAc) }, invParam},
		{"size = the free space", func() error { return ctx.CreateFile("mscp", "h", chunk, spec.EveryoneReadUserWriteAc) }, 0},
	})
	// Added: g cannot grow from 3 objects to 4 (its new content must fit in the 2 free objects
	// before its old ones are emptied); emptied first, it can. Then only the spare is left.
	runWriteRows(t, f.p.Card, []row{
		{"g grown from 3 objects to 4", func() error { return ctx.WriteFile("", "g", 0, make([]byte, 4*chunk)) }, tooMany},
	})
	mustOK(t, "write g empty", ctx.WriteFile("", "g", 0, nil))
	mustOK(t, "write g", ctx.WriteFile("", "g", 0, make([]byte, 4*chunk)))
	check("g of 4 objects", 0, 22)
	runWriteRows(t, f.p.Card, []row{
		{"1 byte on a full store", func() error { return ctx.CreateFile("mscp", "i", 1, spec.EveryoneReadUserWriteAc) }, invParam},
		{"size 0 = the free space on a full store", func() error { return ctx.CreateFile("mscp", "i", 0, spec.EveryoneReadUserWriteAc) }, 0},
	})
}

// ---------------------------------------------------------------------------------------------
// The PIV management key

var customMgmKey = []byte{0x5A, 0x17, 0x3C, 0x91, 0x02, 0xE4, 0x6B, 0xD8, 0x11, 0x7F, 0xA2, 0x35, 0x48, 0xC9, 0x0E, 0x63,
	0x9D, 0x21, 0x86, 0xF0, 0x4B, 0x57, 0xBE, 0x2C}

// mgmClient returns a PIV client on the card (selected).
func mgmClient(t *testing.T, card *vcard.Card) *piv.Client {
	t.Helper()
	c := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
	if _, err := c.Select(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriteMgmKeyCustom(t *testing.T) {
	p := enginetest.Provision(t, []enginetest.Key{})
	c := mgmClient(t, p.Card)
	mustOK(t, "default key", c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	mustOK(t, "set key", c.SetMgmKey(piv.Alg3DES, customMgmKey, false))
	p.Card.Reset()
	m := engine.NewModule() // protect
	ctx, h := enginetest.Acquire(t, m, p.Card, true)
	pinLogin(t, ctx)
	for _, r := range []row{
		{"CreateContainerEx", createEx(ctx, 0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser), secViol},
		{"CreateContainer import", create(ctx, 0, keyImport, spec.ATECDSAP256, 0,
			spec.MarshalECCPrivateKeyBlob(genEC(t, elliptic.P256()), spec.ECCPrivateMagic(spec.ATECDSAP256))), secViol},
		{"CreateFile", func() error { return ctx.CreateFile("mscp", "f", 0, spec.EveryoneReadUserWriteAc) }, secViol},
		{"CreateDirectory", func() error { return ctx.CreateDirectory("d", spec.UserCreateDeleteDirAc) }, secViol},
		{"WriteFile cardcf", func() error { return ctx.WriteFile("", "cardcf", 0, make([]byte, 6)) }, secViol},
	} {
		before := p.Card.Snapshot()
		err := r.call()
		if spec.StatusOf(err) != r.want || err == nil || !strings.Contains(err.Error(), "admin role") {
			t.Errorf("%s with the PIN on a card with a custom management key: %v", r.name, err)
		}
		if !vcard.SameState(before, p.Card.Snapshot()) {
			t.Errorf("%s: the refused call changed the card", r.name)
		}
	}
	adminLogin(t, ctx, h, customMgmKey)
	mustOK(t, "CreateContainerEx as user and admin", ctx.CreateContainerEx(0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	mustOK(t, "CreateFile as user and admin", ctx.CreateFile("mscp", "f", 0, spec.EveryoneReadUserWriteAc))
	mustOK(t, "WriteFile as user and admin", ctx.WriteFile("mscp", "f", 0, []byte("x")))
	f := &fixture{p: p}
	wantSlot(t, f, ctx, h, 0, piv.SlotAuth, spec.ATECDSAP256)
	// The custom key is left as it was.
	if p.Card.Info().MgmDefault {
		t.Error("management key is the default")
	}
	mustOK(t, "custom key still works", mgmClient(t, p.Card).AuthenticateMgm(piv.Alg3DES, customMgmKey))
	if h.Live() != 0 {
		t.Errorf("%d buffers not freed", h.Live())
	}
}

func TestWriteMgmKeyRefuse(t *testing.T) {
	p := enginetest.Provision(t, []enginetest.Key{})
	m := engine.NewModuleWith(engine.Options{MgmKeyPolicy: engine.MgmKeyRefuse})
	ctx, h := enginetest.Acquire(t, m, p.Card, true)
	pinLogin(t, ctx)
	runWriteRows(t, p.Card, []row{
		{"CreateContainerEx", createEx(ctx, 0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser), secViol},
		{"CreateFile", func() error { return ctx.CreateFile("mscp", "f", 0, spec.EveryoneReadUserWriteAc) }, secViol},
		{"CreateDirectory", func() error { return ctx.CreateDirectory("d", spec.UserCreateDeleteDirAc) }, secViol},
	})
	// The admin role (the default key, by challenge/response) allows the writes; the key stays.
	adminLogin(t, ctx, h, vcard.DefaultMgmKey)
	mustOK(t, "CreateContainerEx as user and admin", ctx.CreateContainerEx(0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	if !p.Card.Info().MgmDefault {
		t.Error("the refuse policy changed the management key")
	}
	if h.Live() != 0 {
		t.Errorf("%d buffers not freed", h.Live())
	}
}

func TestWriteMgmKeyKeep(t *testing.T) {
	p := enginetest.Provision(t, []enginetest.Key{})
	m := engine.NewModuleWith(engine.Options{MgmKeyPolicy: engine.MgmKeyKeep})
	ctx, _ := enginetest.Acquire(t, m, p.Card, true)
	pinLogin(t, ctx)
	mustOK(t, "CreateContainerEx", ctx.CreateContainerEx(0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	mustOK(t, "CreateFile", ctx.CreateFile("mscp", "f", 0, spec.EveryoneReadUserWriteAc))
	st := p.Card.Snapshot()
	if !p.Card.Info().MgmDefault {
		t.Error("the keep policy changed the management key")
	}
	for _, tag := range []uint32{piv.ObjYubiAdminData, piv.ObjPrintedInfo} {
		if _, ok := st.Objects[tag]; ok {
			t.Errorf("object %06X written under the keep policy", tag)
		}
	}
	mustOK(t, "default key still works", mgmClient(t, p.Card).AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
}

func TestWriteMgmKeyProtect(t *testing.T) {
	p := enginetest.Provision(t, []enginetest.Key{})
	m := engine.NewModule()
	if m.MgmKeyPolicy() != engine.MgmKeyProtect {
		t.Fatalf("default policy %v", m.MgmKeyPolicy())
	}
	ctx, h := enginetest.Acquire(t, m, p.Card, true)
	pinLogin(t, ctx)
	mustOK(t, "CreateContainerEx", ctx.CreateContainerEx(0, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
	f := &fixture{p: p}
	wantSlot(t, f, ctx, h, 0, piv.SlotAuth, spec.ATECDSAP256)
	if p.Card.Info().MgmDefault {
		t.Error("the default management key is still in place")
	}
	p.Card.Reset() // the PIN verified by the context is forgotten
	c := mgmClient(t, p.Card)
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err == nil {
		t.Error("the default management key still authenticates")
	}
	ad, err := c.GetData(piv.ObjYubiAdminData)
	mustOK(t, "admin data", err)
	a, err := piv.ParseAdminData(ad)
	if err != nil || !a.HasFlags || a.Flags&piv.AdminFlagMgmKeyStored == 0 {
		t.Errorf("admin data %X: %+v %v", ad, a, err)
	}
	if _, _, err := c.ProtectedMgmKey(); err == nil {
		t.Error("printed information readable without the PIN")
	}
	mustOK(t, "verify PIN", c.VerifyPIN(enginetest.PIN))
	alg, key, err := c.ProtectedMgmKey()
	mustOK(t, "protected key", err)
	if alg != piv.AlgAES192 || len(key) != 24 {
		t.Errorf("protected key: %s of %d bytes", piv.AlgName(alg), len(key))
	}
	mustOK(t, "protected key authenticates", c.AuthenticateMgm(alg, key))
	if p.Card.Info().MgmAlg != piv.AlgName(piv.AlgAES192) {
		t.Errorf("card management key %s", p.Card.Info().MgmAlg)
	}
	p.Card.Reset()

	// A second context, of another module, with the PIN only: it finds the stored key.
	m2 := engine.NewModule()
	ctx2, h2 := enginetest.Acquire(t, m2, p.Card, true)
	pinLogin(t, ctx2)
	mustOK(t, "second context: CreateContainerEx", ctx2.CreateContainerEx(1, keyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser))
	mustOK(t, "second context: CreateFile", ctx2.CreateFile("mscp", "f", 0, spec.EveryoneReadUserWriteAc))
	mustOK(t, "second context: WriteFile", ctx2.WriteFile("mscp", "f", 0, []byte("x")))
	wantSlot(t, f, ctx2, h2, 1, piv.SlotKeyMgmt, spec.ATECDHEP256)
	// The key was not replaced again.
	c2 := mgmClient(t, p.Card)
	mustOK(t, "protected key still authenticates", c2.AuthenticateMgm(alg, key))
	clear(key)
	// Without the PIN, the second context is refused like any.
	ctx3, _ := enginetest.Acquire(t, m2, p.Card, true)
	runWriteRows(t, p.Card, []row{
		{"no PIN", createEx(ctx3, 2, keyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser), secViol},
		{"no PIN, file", func() error { return ctx3.WriteFile("mscp", "f", 0, []byte("y")) }, secViol},
	})
	for _, hh := range []*refhost.Host{h, h2} {
		if hh.Live() != 0 {
			t.Errorf("%d buffers not freed", hh.Live())
		}
	}
}
