package engine_test

import (
	"bytes"
	"crypto"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/vcard"
)

// row is one case of an error table: a call and the status it must give (spec.Success for a
// call that must succeed).
type row struct {
	name string
	call func() error
	want spec.Status
}

func runRows(t *testing.T, rows []row) {
	t.Helper()
	for _, r := range rows {
		err := r.call()
		if got := spec.StatusOf(err); got != r.want {
			t.Errorf("%s: got %v (%v), want %v", r.name, got, err, r.want)
		}
	}
}

// fixture is a provisioned virtual card with one context on it; the APDUs are counted.
type fixture struct {
	p    *enginetest.Provisioned
	m    *engine.Module
	cnt  *enginetest.Counter
	ctx  *engine.Context
	host *refhost.Host
}

// newFixture provisions a card with keys (StandardKeys when nil) and acquires a context. At the
// end of the test every buffer the context handed out must have been freed.
func newFixture(t *testing.T, keys []enginetest.Key) *fixture {
	t.Helper()
	if keys == nil {
		keys = enginetest.StandardKeys
	}
	f := &fixture{p: enginetest.Provision(t, keys), m: engine.NewModule()}
	f.cnt = &enginetest.Counter{T: f.p.Card}
	f.ctx, f.host = enginetest.Acquire(t, f.m, f.cnt, true)
	t.Cleanup(func() {
		if n := f.host.Live(); n != 0 {
			t.Errorf("%d buffers not freed", n)
		}
	})
	return f
}

// load reads the container map, so that the context knows the card's inventory (later calls
// then need the card only for what they do).
func (f *fixture) load(t *testing.T) {
	t.Helper()
	b, err := f.ctx.ReadFile("mscp", "cmapfile", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.host.Free(b)
	// The management key algorithm (GET METADATA) is read with the first challenge.
	ch, err := f.ctx.GetChallenge()
	if err != nil {
		t.Fatal(err)
	}
	f.host.Free(ch)
	if _, err := f.ctx.AuthenticateChallenge(make([]byte, 8)); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Fatalf("wrong admin response: %v", err)
	}
}

// another acquires a second context of the same module on the same card.
func (f *fixture) another(t *testing.T) (*engine.Context, *refhost.Host) {
	t.Helper()
	ctx, h := enginetest.Acquire(t, f.m, f.p.Card, true)
	t.Cleanup(func() {
		if n := h.Live(); n != 0 {
			t.Errorf("second context: %d buffers not freed", n)
		}
	})
	return ctx, h
}

func (f *fixture) pinRetries() int { return f.p.Card.Info().PINRetries[0] }
func (f *fixture) pukRetries() int { return f.p.Card.Info().PUKRetries[0] }

// freeErr frees buf (when allocated) and passes err on: for table rows of allocating calls.
func freeErr(h *refhost.Host, buf []byte, err error) error {
	if buf != nil {
		h.Free(buf)
	}
	return err
}

func freeInfo(h *refhost.Host, info *engine.ContainerInfo) {
	if info == nil {
		return
	}
	if info.SigPublicKey != nil {
		h.Free(info.SigPublicKey)
	}
	if info.KeyExPublicKey != nil {
		h.Free(info.KeyExPublicKey)
	}
}

// authState reads CP_CARD_AUTHENTICATED_STATE.
func authState(t *testing.T, ctx *engine.Context) spec.PINSet {
	t.Helper()
	b, err := ctx.GetProperty(spec.CPCardAuthenticatedState, 0)
	if err != nil || len(b) != 4 {
		t.Fatalf("authenticated state: %X %v", b, err)
	}
	return spec.PINSet(binary.LittleEndian.Uint32(b))
}

// ---------------------------------------------------------------------------------------------
// CardAcquireContext

// fakeCard is a transport with a scripted answer to every command.
type fakeCard func(cmd []byte) ([]byte, error)

func (f fakeCard) Transmit(cmd []byte) ([]byte, error) { return f(cmd) }

// pcscError is a transport error carrying a PC/SC status, as pcsc.Error does.
type pcscError uint32

func (e pcscError) Error() string      { return fmt.Sprintf("pcsc %#x", uint32(e)) }
func (e pcscError) PCSCStatus() uint32 { return uint32(e) }

func TestAcquireContextErrors(t *testing.T) {
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := engine.NewModule()
	good := func() engine.AcquireParams {
		return engine.AcquireParams{Version: 7, ATR: vcard.ATR(), CardName: "cardmod virtual PIV", HasCardName: true,
			Host: refhost.New(), Card: card}
	}
	with := func(mod func(p *engine.AcquireParams)) func() error {
		return func() error {
			p := good()
			mod(&p)
			ctx, err := m.AcquireContext(p)
			if err == nil {
				if ctx == nil {
					return errors.New("nil context without error")
				}
				return ctx.DeleteContext()
			}
			if ctx != nil {
				return errors.New("context returned with an error")
			}
			return err
		}
	}
	atr33 := append([]byte{0x3B, 0x0F}, make([]byte, 31)...)
	rows := []row{
		{"valid", with(func(p *engine.AcquireParams) {}), spec.Success},
		{"nil card", with(func(p *engine.AcquireParams) { p.Card = nil }), spec.SCardEInvalidHandle},
		{"nil ATR", with(func(p *engine.AcquireParams) { p.ATR = nil }), spec.SCardEInvalidParameter},
		{"no card name", with(func(p *engine.AcquireParams) { p.HasCardName = false }), spec.SCardEInvalidParameter},
		{"empty card name accepted", with(func(p *engine.AcquireParams) { p.CardName = "" }), spec.Success},
		{"ATR of 0 bytes", with(func(p *engine.AcquireParams) { p.ATR = []byte{} }), spec.SCardEInvalidParameter},
		{"ATR of 1 byte", with(func(p *engine.AcquireParams) { p.ATR = []byte{0x3B} }), spec.SCardEInvalidParameter},
		{"ATR of 34 bytes", with(func(p *engine.AcquireParams) { p.ATR = append([]byte{0x3B}, make([]byte, 33)...) }), spec.SCardEInvalidParameter},
		{"ATR of 33 bytes, unknown", with(func(p *engine.AcquireParams) { p.ATR = atr33 }), spec.SCardEUnknownCard},
		{"ATR starting 00", with(func(p *engine.AcquireParams) { p.ATR = append([]byte{0x00}, vcard.ATR()[1:]...) }), spec.SCardEUnknownCard},
		{"ATR starting FF", with(func(p *engine.AcquireParams) { p.ATR = append([]byte{0xFF}, vcard.ATR()[1:]...) }), spec.SCardEUnknownCard},
		{"unknown ATR", with(func(p *engine.AcquireParams) { p.ATR = []byte{0x3B, 0x02, 0x14, 0x50} }), spec.SCardEUnknownCard},
		{"nil host", with(func(p *engine.AcquireParams) { p.Host = nil }), spec.SCardEInvalidParameter},
		{"version 0", with(func(p *engine.AcquireParams) { p.Version = 0 }), spec.ErrorRevisionMismatch},
		{"version 0", with(func(p *engine.AcquireParams) { p.Version = 0 }), spec.ErrorRevisionMismatch},
		{"version 3", with(func(p *engine.AcquireParams) { p.Version = 3 }), spec.ErrorRevisionMismatch},
		{"version 6", with(func(p *engine.AcquireParams) { p.Version = 6 }), spec.Success},
		{"version 8", with(func(p *engine.AcquireParams) { p.Version = 8 }), spec.Success},
		{"flags 2", with(func(p *engine.AcquireParams) { p.Flags = 2 }), spec.SCardEInvalidParameter},
		{"flags 0x80000001", with(func(p *engine.AcquireParams) { p.Flags = 0x80000001 }), spec.SCardEInvalidParameter},
		// Check order.
		{"order: flags before handle", with(func(p *engine.AcquireParams) { p.Flags, p.Card = 2, nil }), spec.SCardEInvalidParameter},
		{"order: handle before ATR", with(func(p *engine.AcquireParams) { p.Card, p.ATR = nil, nil }), spec.SCardEInvalidHandle},
		{"order: ATR before name", with(func(p *engine.AcquireParams) { p.ATR, p.HasCardName = []byte{0}, false }), spec.SCardEInvalidParameter},
		{"order: ATR length before content", with(func(p *engine.AcquireParams) { p.ATR = []byte{0} }), spec.SCardEInvalidParameter},
		{"order: ATR content before host", with(func(p *engine.AcquireParams) { p.ATR, p.Host = []byte{0, 0, 0}, nil }), spec.SCardEUnknownCard},
		{"order: host before version", with(func(p *engine.AcquireParams) { p.Host, p.Version = nil, 5 }), spec.SCardEInvalidParameter},
		{"order: version before ATR lookup", with(func(p *engine.AcquireParams) { p.Version, p.ATR = 3, []byte{0x3B, 0x02, 0x14, 0x50} }), spec.ErrorRevisionMismatch},
		// No-card mode.
		{"no-card mode", with(func(p *engine.AcquireParams) { p.Flags, p.Card, p.ATR, p.HasCardName = 1, nil, nil, false }), spec.Success},
		{"no-card mode, nil host", with(func(p *engine.AcquireParams) { p.Flags, p.Card, p.ATR, p.Host = 1, nil, nil, nil }), spec.SCardEInvalidParameter},
		{"no-card mode, version 3", with(func(p *engine.AcquireParams) { p.Flags, p.Card, p.ATR, p.Version = 1, nil, nil, 3 }), spec.ErrorRevisionMismatch},
		// The card.
		{"no PIV application", with(func(p *engine.AcquireParams) {
			p.Card = fakeCard(func([]byte) ([]byte, error) { return []byte{0x6A, 0x82}, nil })
		}), spec.SCardEUnknownCard},
		{"SELECT answered 6D00", with(func(p *engine.AcquireParams) {
			p.Card = fakeCard(func([]byte) ([]byte, error) { return []byte{0x6D, 0x00}, nil })
		}), spec.SCardEUnknownCard},
		{"transport error", with(func(p *engine.AcquireParams) {
			p.Card = fakeCard(func([]byte) ([]byte, error) { return nil, errors.New("reader unplugged") })
		}), spec.SCardECommDataLost},
		{"card removed", with(func(p *engine.AcquireParams) {
			p.Card = fakeCard(func([]byte) ([]byte, error) { return nil, pcscError(spec.SCardWRemovedCard) })
		}), spec.SCardWRemovedCard},
		{"malformed SELECT answer", with(func(p *engine.AcquireParams) {
			p.Card = fakeCard(func([]byte) ([]byte, error) { return []byte{0x01, 0x90, 0x00}, nil })
		}), spec.SCardECommDataLost},
	}
	runRows(t, rows)

	// Version negotiation: the context's version is min(requested, 7).
	for _, v := range []uint32{4, 5, 6, 7, 8, 100, 0xFFFFFFFF} {
		p := good()
		p.Version = v
		ctx, err := m.AcquireContext(p)
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		if want := min(v, 7); ctx.Version() != want {
			t.Errorf("version %d negotiated to %d, want %d", v, ctx.Version(), want)
		}
		if ctx.NoCardMode() {
			t.Errorf("version %d: no-card mode", v)
		}
		ctx.DeleteContext()
	}
	// The only APDU of an acquire is the SELECT.
	cnt := &enginetest.Counter{T: card}
	p := good()
	p.Card = cnt
	ctx, err := m.AcquireContext(p)
	if err != nil {
		t.Fatal(err)
	}
	if cnt.Commands != 1 {
		t.Errorf("acquire sent %d commands", cnt.Commands)
	}
	ctx.DeleteContext()
}

// cardCalls returns one valid-looking call of every card function (all but the secure key
// injection ones), freeing whatever they return.
func cardCalls(ctx *engine.Context, h *refhost.Host) []row {
	digest := sha256.Sum256([]byte("x"))
	return []row{
		{"ReadFile", func() error { b, err := ctx.ReadFile("", "cardid", 0); return freeErr(h, b, err) }, 0},
		{"EnumFiles", func() error { b, err := ctx.EnumFiles("", 0); return freeErr(h, b, err) }, 0},
		{"GetFileInfo", func() error { _, err := ctx.GetFileInfo("", "cardid"); return err }, 0},
		{"QueryFreeSpace", func() error { _, err := ctx.QueryFreeSpace(0); return err }, 0},
		{"QueryCapabilities", func() error { _, err := ctx.QueryCapabilities(1); return err }, 0},
		{"QueryKeySizes", func() error { _, err := ctx.QueryKeySizes(spec.ATKeyExchange, 0, 1); return err }, 0},
		{"CreateDirectory", func() error { return ctx.CreateDirectory("dir", spec.UserCreateDeleteDirAc) }, 0},
		{"DeleteDirectory", func() error { return ctx.DeleteDirectory("dir") }, 0},
		{"CreateFile", func() error { return ctx.CreateFile("mscp", "f", 0, spec.EveryoneReadUserWriteAc) }, 0},
		{"WriteFile", func() error { return ctx.WriteFile("mscp", "f", 0, []byte{1}) }, 0},
		{"DeleteFile", func() error { return ctx.DeleteFile("mscp", "f", 0) }, 0},
		{"GetContainerInfo", func() error {
			info := &engine.ContainerInfo{Version: 1}
			err := ctx.GetContainerInfo(0, 0, info)
			freeInfo(h, info)
			return err
		}, 0},
		{"GetContainerProperty", func() error { _, err := ctx.GetContainerProperty(0, spec.CCPPINIdentifier, 0, 0); return err }, 0},
		{"SetContainerProperty", func() error { return ctx.SetContainerProperty(0, spec.CCPPINIdentifier, []byte{1, 0, 0, 0}, 0) }, 0},
		{"CreateContainer", func() error {
			return ctx.CreateContainer(5, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil)
		}, 0},
		{"CreateContainerEx", func() error {
			return ctx.CreateContainerEx(5, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil, spec.RoleUser)
		}, 0},
		{"DeleteContainer", func() error { return ctx.DeleteContainer(5, 0) }, 0},
		{"SignData", func() error {
			si := &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: digest[:]}
			err := ctx.SignData(si)
			return freeErr(h, si.SignedData, err)
		}, 0},
		{"RSADecrypt", func() error {
			return ctx.RSADecrypt(&engine.RSADecryptInfo{Version: 2, KeySpec: spec.ATKeyExchange, Data: make([]byte, 256), PaddingType: engine.PaddingPKCS1})
		}, 0},
		{"AuthenticatePin", func() error { _, err := ctx.AuthenticatePin("user", enginetest.PIN); return err }, 0},
		{"AuthenticateEx", func() error {
			s, _, err := ctx.AuthenticateEx(spec.RoleUser, 0, enginetest.PIN, false)
			return freeErr(h, s, err)
		}, 0},
		{"Deauthenticate", func() error { return ctx.Deauthenticate("user", 0) }, 0},
		{"DeauthenticateEx", func() error { return ctx.DeauthenticateEx(spec.PINSetAllRoles, 0) }, 0},
		{"GetChallenge", func() error { b, err := ctx.GetChallenge(); return freeErr(h, b, err) }, 0},
		{"GetChallengeEx", func() error { b, err := ctx.GetChallengeEx(spec.RoleAdmin, 0); return freeErr(h, b, err) }, 0},
		{"AuthenticateChallenge", func() error { _, err := ctx.AuthenticateChallenge(make([]byte, 8)); return err }, 0},
		{"UnblockPin", func() error {
			return ctx.UnblockPin("user", enginetest.PUK, enginetest.PIN, 0, spec.CardAuthenticatePinPIN)
		}, 0},
		{"ChangeAuthenticator", func() error {
			_, err := ctx.ChangeAuthenticator("user", enginetest.PIN, enginetest.PIN, 0, spec.CardAuthenticatePinPIN)
			return err
		}, 0},
		{"ChangeAuthenticatorEx", func() error {
			_, err := ctx.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 1, enginetest.PIN, 1, enginetest.PIN, 0)
			return err
		}, 0},
		{"GetProperty", func() error { _, err := ctx.GetProperty(spec.CPCardListPINs, 0); return err }, 0},
		{"SetProperty", func() error { return ctx.SetProperty(spec.CPParentWindow, make([]byte, 8), 0) }, 0},
		{"ConstructDHAgreement", func() error { return ctx.ConstructDHAgreement(&engine.DHAgreementInfo{Version: 2}) }, 0},
		{"DeriveKey", func() error { return ctx.DeriveKey(&engine.DeriveKeyInfo{Version: 2}) }, 0},
		{"DestroyDHAgreement", func() error { return ctx.DestroyDHAgreement(0, 0) }, 0},
		{"ImportSessionKey", func() error { _, err := ctx.ImportSessionKey(0, nil, "KeyDataBlob", "AES", nil, 0); return err }, 0},
	}
}

// skiCalls returns the secure key injection functions allowed in no-card mode.
// skiCalls are the secure key injection functions the minidriver does not offer.
func skiCalls(ctx *engine.Context) []row {
	return []row{
		{"MDImportSessionKey", func() error { _, err := ctx.MDImportSessionKey("KeyDataBlob", "AES", nil); return err }, 0},
		{"MDEncryptData", func() error { _, err := ctx.MDEncryptData(1, "Authenticate", nil, 0); return err }, 0},
		{"GetSharedKeyHandle", func() error { _, _, err := ctx.GetSharedKeyHandle(nil, false); return err }, 0},
		{"ProcessEncryptedData", func() error { _, err := ctx.ProcessEncryptedData(1, "Authenticate", nil, 0); return err }, 0},
	}
}

// keyHandleCalls are the key handle functions, which also work in no-card mode: with a handle
// that does not exist they answer SCARD_E_INVALID_HANDLE; the algorithm property is there.
func keyHandleCalls(ctx *engine.Context) []row {
	return []row{
		{"DestroyKey", func() error { return ctx.DestroyKey(1) }, spec.SCardEInvalidHandle},
		{"GetAlgorithmProperty", func() error { _, err := ctx.GetAlgorithmProperty("AES", "Key Sizes", 0); return err }, 0},
		{"GetKeyProperty", func() error { _, err := ctx.GetKeyProperty(1, "BlockLength", 0); return err }, spec.SCardEInvalidHandle},
		{"SetKeyProperty", func() error { return ctx.SetKeyProperty(1, "IV", nil, 0) }, spec.SCardEInvalidHandle},
	}
}

func expect(rows []row, st spec.Status) []row {
	for i := range rows {
		rows[i].want = st
	}
	return rows
}

func TestNoCardMode(t *testing.T) {
	m := engine.NewModule()
	h := refhost.New()
	ctx, err := m.AcquireContext(engine.AcquireParams{Version: 7, Flags: spec.CardSecureKeyInjectionNoCardMode, Host: h})
	if err != nil {
		t.Fatal(err)
	}
	if !ctx.NoCardMode() || ctx.Version() != 7 {
		t.Fatalf("no-card mode %v, version %d", ctx.NoCardMode(), ctx.Version())
	}
	runRows(t, expect(cardCalls(ctx, h), spec.SCardEInvalidParameter))
	runRows(t, expect(skiCalls(ctx), spec.SCardEUnsupportedFeature))
	runRows(t, keyHandleCalls(ctx))
	if st := ctx.Stats(); st.Commands != 0 {
		t.Errorf("no-card mode sent %d commands", st.Commands)
	}
	if err := ctx.DeleteContext(); err != nil {
		t.Fatal(err)
	}
	runRows(t, expect(skiCalls(ctx), spec.SCardEInvalidParameter))
	if h.Live() != 0 {
		t.Errorf("%d buffers live", h.Live())
	}
}

func TestDeleteContext(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	if err := f.ctx.DeleteContext(); err != nil {
		t.Fatal(err)
	}
	if err := f.ctx.DeleteContext(); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("second DeleteContext: %v", err)
	}
	f.cnt.Commands = 0
	runRows(t, expect(cardCalls(f.ctx, f.host), spec.SCardEInvalidParameter))
	runRows(t, expect(skiCalls(f.ctx), spec.SCardEInvalidParameter))
	if f.cnt.Commands != 0 {
		t.Errorf("a deleted context sent %d commands", f.cnt.Commands)
	}
	// Another context of the module is unaffected.
	ctx2, h2 := f.another(t)
	b, err := ctx2.ReadFile("", "cardid", 0)
	if err != nil {
		t.Fatal(err)
	}
	h2.Free(b)
	ctx2.DeleteContext()
}

// ---------------------------------------------------------------------------------------------
// Files

func TestFileErrors(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	read := func(dir, name string, flags uint32) func() error {
		return func() error { b, err := ctx.ReadFile(dir, name, flags); return freeErr(h, b, err) }
	}
	enum := func(dir string, flags uint32) func() error {
		return func() error { b, err := ctx.EnumFiles(dir, flags); return freeErr(h, b, err) }
	}
	info := func(dir, name string) func() error {
		return func() error { _, err := ctx.GetFileInfo(dir, name); return err }
	}
	rows := []row{
		{"read cardid", read("", "cardid", 0), 0},
		{"read CARDID", read("", "CARDID", 0), 0},
		{"read CardCF", read("", "CardCF", 0), 0},
		{"read cardapps", read("", "cardapps", 0), 0},
		{"read MSCP/CMAPFILE", read("MSCP", "CMAPFILE", 0), 0},
		{"read mscp/KXC00", read("mscp", "KXC00", 0), 0},
		{"read mscp/kxc0 (one digit)", read("mscp", "kxc0", 0), 0},
		{"read flags 1", read("", "cardid", 1), spec.SCardEInvalidParameter},
		{"read flags 0x80000000", read("mscp", "cmapfile", 0x80000000), spec.SCardEInvalidParameter},
		{"read empty name", read("", "", 0), spec.SCardEInvalidParameter},
		{"read 9-char name", read("", "cardid123", 0), spec.SCardEInvalidParameter},
		{"read 9-char dir", read("mscpmscpm", "cmapfile", 0), spec.SCardEInvalidParameter},
		{"read name with *", read("", "card*", 0), spec.SCardEInvalidParameter},
		{"read name with ?", read("", "card?", 0), spec.SCardEInvalidParameter},
		{"read name with /", read("mscp", "a/b", 0), spec.SCardEInvalidParameter},
		{"read name with \\", read("", "a\\b", 0), spec.SCardEInvalidParameter},
		{"read name with control char", read("", "a\x01b", 0), spec.SCardEInvalidParameter},
		{"read name with NUL", read("", "a\x00b", 0), spec.SCardEInvalidParameter},
		{"read dir with :", read("ms:p", "cmapfile", 0), spec.SCardEInvalidParameter},
		{"read missing dir", read("nodir", "cmapfile", 0), spec.SCardEDirNotFound},
		{"read mscerts (not present)", read("mscerts", "x", 0), spec.SCardEDirNotFound},
		{"read missing root file", read("", "nofile", 0), spec.SCardEFileNotFound},
		{"read a directory as a file", read("", "mscp", 0), spec.SCardEFileNotFound},
		{"read root file in mscp", read("mscp", "cardid", 0), spec.SCardEFileNotFound},
		{"read msroots (absent)", read("mscp", "msroots", 0), spec.SCardEFileNotFound},
		{"read missing file in mscp", read("mscp", "nofile", 0), spec.SCardEFileNotFound},
		{"read ksc00 (9A is kxc)", read("mscp", "ksc00", 0), spec.SCardEFileNotFound},
		{"read kxc04 (no container)", read("mscp", "kxc04", 0), spec.SCardEFileNotFound},
		{"read kxc18 (index 24)", read("mscp", "kxc18", 0), spec.SCardEFileNotFound},
		{"read kxcff", read("mscp", "kxcff", 0), spec.SCardEFileNotFound},
		{"enum root", enum("", 0), 0},
		{"enum MSCP", enum("MSCP", 0), 0},
		{"enum flags", enum("", 1), spec.SCardEInvalidParameter},
		{"enum missing dir", enum("nodir", 0), spec.SCardEDirNotFound},
		{"enum invalid dir", enum("a|b", 0), spec.SCardEInvalidParameter},
		{"enum 9-char dir", enum("abcdefghi", 0), spec.SCardEInvalidParameter},
		{"info cardid", info("", "cardid"), 0},
		{"info empty name", info("", ""), spec.SCardEInvalidParameter},
		{"info 9-char name", info("", "123456789"), spec.SCardEInvalidParameter},
		{"info forbidden char", info("mscp", "a<b"), spec.SCardEInvalidParameter},
		{"info missing dir", info("nodir", "cmapfile"), spec.SCardEDirNotFound},
		{"info missing file", info("mscp", "nofile"), spec.SCardEFileNotFound},
		{"info msroots", info("mscp", "msroots"), spec.SCardEFileNotFound},
		{"info CMAPFILE", info("MsCp", "CMAPFILE"), 0},
	}
	runRows(t, rows)

	// Directory listings.
	b, err := ctx.EnumFiles("", 0)
	if err != nil {
		t.Fatal(err)
	}
	root := spec.ParseMultiStringANSI(b)
	h.Free(b)
	slices.Sort(root)
	if !slices.Equal(root, []string{"cardapps", "cardcf", "cardid"}) {
		t.Errorf("root: %q", root)
	}
	b, err = ctx.EnumFiles("mscp", 0)
	if err != nil {
		t.Fatal(err)
	}
	mscp := spec.ParseMultiStringANSI(b)
	h.Free(b)
	slices.Sort(mscp)
	if !slices.Equal(mscp, []string{"cmapfile", "ksc01", "ksc03", "kxc00", "kxc02"}) {
		t.Errorf("mscp: %q", mscp)
	}

	// GetFileInfo agrees with ReadFile for every file.
	for _, d := range []struct {
		dir   string
		names []string
	}{{"", root}, {"mscp", mscp}} {
		for _, name := range d.names {
			data, err := ctx.ReadFile(d.dir, name, 0)
			if err != nil {
				t.Fatalf("%s/%s: %v", d.dir, name, err)
			}
			fi, err := ctx.GetFileInfo(d.dir, name)
			if err != nil {
				t.Fatalf("info %s/%s: %v", d.dir, name, err)
			}
			if int(fi.FileSize) != len(data) || fi.Version != 1 {
				t.Errorf("%s/%s: info %+v, read %d bytes", d.dir, name, fi, len(data))
			}
			want := spec.EveryoneReadUserWriteAc
			if name == "cardid" || name == "cardapps" {
				want = spec.EveryoneReadAdminWriteAc
			}
			if fi.AccessCondition != want {
				t.Errorf("%s/%s: access condition %v, want %v", d.dir, name, fi.AccessCondition, want)
			}
			switch name {
			case "cardid":
				if len(data) != 16 {
					t.Errorf("cardid of %d bytes", len(data))
				}
				g, _ := ctx.GetProperty(spec.CPCardGUID, 0)
				if !bytes.Equal(g, data) {
					t.Errorf("CP_CARD_GUID %X, cardid %X", g, data)
				}
			case "cardapps":
				if !bytes.Equal(data, spec.CardAppsInitial()) {
					t.Errorf("cardapps %q", data)
				}
			case "cardcf":
				if len(data) < 6 {
					t.Errorf("cardcf %X", data)
				}
			case "cmapfile":
				if len(data) != 4*spec.ContainerMapRecordSize {
					t.Errorf("cmapfile of %d bytes", len(data))
				}
			}
			h.Free(data)
		}
	}

	// The case of a name does not matter.
	a, err := ctx.ReadFile("MSCP", "CMAPFILE", 0)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := ctx.ReadFile("mscp", "cmapfile", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b2) {
		t.Error("MSCP/CMAPFILE differs from mscp/cmapfile")
	}
	h.Free(a)
	h.Free(b2)
}

func TestEnumFilesEmptyCard(t *testing.T) {
	// A card with no certificate: mscp holds only the (empty) container map.
	f := newFixture(t, []enginetest.Key{})
	b, err := f.ctx.EnumFiles("mscp", 0)
	if err != nil {
		t.Fatal(err)
	}
	if names := spec.ParseMultiStringANSI(b); !slices.Equal(names, []string{"cmapfile"}) {
		t.Errorf("mscp: %q", names)
	}
	f.host.Free(b)
	b, err = f.ctx.ReadFile("mscp", "cmapfile", 0)
	if err != nil || len(b) != 0 {
		t.Errorf("cmapfile %X %v", b, err)
	}
	f.host.Free(b)
	info := &engine.ContainerInfo{Version: 1}
	if err := f.ctx.GetContainerInfo(0, 0, info); spec.StatusOf(err) != spec.SCardENoKeyContainer {
		t.Errorf("container 0 on an empty card: %v", err)
	}
}

// TestWritesNeedPIN: without the PIN every write is refused before any card write, and the card
// is unchanged; the DH, KDF and key injection functions are not implemented yet.
func TestWritesNeedPIN(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	before := f.p.Card.Snapshot()
	rows := []row{
		{"CreateFile", func() error { return ctx.CreateFile("mscp", "newfile", 10, spec.EveryoneReadUserWriteAc) }, 0},
		{"WriteFile", func() error { return ctx.WriteFile("mscp", "cmapfile", 0, nil) }, 0},
		{"WriteFile cardcf", func() error { return ctx.WriteFile("", "cardcf", 0, make([]byte, 6)) }, 0},
		{"DeleteFile", func() error { return ctx.DeleteFile("mscp", "kxc00", 0) }, 0},
		{"CreateDirectory", func() error { return ctx.CreateDirectory("newdir", spec.UserCreateDeleteDirAc) }, 0},
		{"DeleteDirectory", func() error { return ctx.DeleteDirectory("mscp") }, 0},
		{"CreateContainer", func() error {
			return ctx.CreateContainer(4, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil)
		}, 0},
		{"CreateContainerEx", func() error {
			return ctx.CreateContainerEx(4, spec.CardCreateContainerKeyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser)
		}, 0},
		{"DeleteContainer", func() error { return ctx.DeleteContainer(0, 0) }, 0},
		{"SetContainerProperty PIN", func() error { return ctx.SetContainerProperty(0, spec.CCPPINIdentifier, []byte{3, 0, 0, 0}, 0) }, 0},
		{"SetContainerProperty ECDH", func() error { return ctx.SetContainerProperty(1, spec.CCPAssociatedECDHKey, []byte{1}, 0) }, 0},
	}
	runRows(t, expect(rows, spec.SCardWSecurityViolation))
	if after := f.p.Card.Snapshot(); !vcard.SameState(before, after) {
		t.Error("a refused write changed the card")
	}
	rows = []row{
		{"ImportSessionKey", func() error { _, err := ctx.ImportSessionKey(0, nil, "KeyDataBlob", "AES", nil, 0); return err }, 0},
	}
	runRows(t, expect(rows, spec.SCardEUnsupportedFeature))
	runRows(t, expect(skiCalls(ctx), spec.SCardEUnsupportedFeature))
	runRows(t, keyHandleCalls(ctx))
	runRows(t, []row{
		{"SetContainerProperty flags", func() error { return ctx.SetContainerProperty(0, spec.CCPPINIdentifier, []byte{1, 0, 0, 0}, 1) }, spec.SCardEInvalidParameter},
		{"SetContainerProperty unknown", func() error { return ctx.SetContainerProperty(0, "Bogus", []byte{1}, 0) }, spec.SCardEInvalidParameter},
		{"SetContainerProperty CONTAINER_INFO", func() error { return ctx.SetContainerProperty(0, spec.CCPContainerInfo, []byte{1}, 0) }, spec.SCardEInvalidParameter},
	})
	// Free space: the file store is empty, four of the 24 container indexes are used.
	fs, err := ctx.QueryFreeSpace(0)
	if err != nil || fs.BytesAvailable != 4*3052 || fs.KeyContainersAvailable != 20 || fs.Version != 1 {
		t.Errorf("free space %+v %v", fs, err)
	}
	if _, err := ctx.QueryFreeSpace(1); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("free space flags: %v", err)
	}
	if _, err := ctx.QueryCapabilities(2); spec.StatusOf(err) != spec.ErrorRevisionMismatch {
		t.Errorf("capabilities v2: %v", err)
	}
	for _, v := range []uint32{0, 1} {
		c, err := ctx.QueryCapabilities(v)
		if err != nil || c.Version != 1 || !c.CertificateCompression {
			t.Errorf("capabilities v%d: %+v %v", v, c, err)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Containers

func TestContainerErrors(t *testing.T) {
	f := newFixture(t, []enginetest.Key{{Slot: piv.SlotAuth, Alg: piv.AlgRSA2048, Cert: true}})
	ctx, h := f.ctx, f.host
	gci := func(idx byte, flags uint32, version uint32) func() error {
		return func() error {
			info := &engine.ContainerInfo{Version: version}
			err := ctx.GetContainerInfo(idx, flags, info)
			freeInfo(h, info)
			return err
		}
	}
	runRows(t, []row{
		{"container 0", gci(0, 0, 1), 0},
		{"container 0, version 0", gci(0, 0, 0), 0},
		{"container 1 (no key)", gci(1, 0, 1), spec.SCardENoKeyContainer},
		{"container 4", gci(4, 0, 1), spec.SCardENoKeyContainer},
		{"container 24", gci(24, 0, 1), spec.SCardENoKeyContainer},
		{"container 255", gci(255, 0, 1), spec.SCardENoKeyContainer},
		{"version 2", gci(0, 0, 2), spec.ErrorRevisionMismatch},
		{"flags", gci(0, 1, 1), spec.SCardEInvalidParameter},
		{"order: version before flags", gci(0, 1, 2), spec.ErrorRevisionMismatch},
		{"order: flags before index", gci(200, 1, 1), spec.SCardEInvalidParameter},
		{"nil info", func() error { return ctx.GetContainerInfo(0, 0, nil) }, spec.SCardEInvalidParameter},
	})
}

func TestContainerProperties(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	gcp := func(idx byte, name string, flags, v uint32) func() error {
		return func() error {
			p, err := ctx.GetContainerProperty(idx, name, flags, v)
			freeInfo(h, p.Info)
			return err
		}
	}
	runRows(t, []row{
		{"CONTAINER_INFO 0", gcp(0, spec.CCPContainerInfo, 0, 1), 0},
		{"CONTAINER_INFO version 0", gcp(0, spec.CCPContainerInfo, 0, 0), 0},
		{"CONTAINER_INFO version 2", gcp(0, spec.CCPContainerInfo, 0, 2), spec.ErrorRevisionMismatch},
		{"CONTAINER_INFO bad index", gcp(9, spec.CCPContainerInfo, 0, 1), spec.SCardENoKeyContainer},
		{"PIN_IDENTIFIER bad index", gcp(4, spec.CCPPINIdentifier, 0, 0), spec.SCardENoKeyContainer},
		{"ECDH bad index", gcp(255, spec.CCPAssociatedECDHKey, 0, 0), spec.SCardENoKeyContainer},
		{"ECDH on RSA", gcp(0, spec.CCPAssociatedECDHKey, 0, 0), spec.SCardEInvalidParameter},
		{"ECDH on RSA 9D", gcp(2, spec.CCPAssociatedECDHKey, 0, 0), spec.SCardEInvalidParameter},
		{"unknown property", gcp(0, "Bogus", 0, 0), spec.SCardEInvalidParameter},
		{"card property as container property", gcp(0, spec.CPCardGUID, 0, 0), spec.SCardEInvalidParameter},
		{"flags", gcp(0, spec.CCPPINIdentifier, 1, 0), spec.SCardEInvalidParameter},
		{"flags on CONTAINER_INFO", gcp(0, spec.CCPContainerInfo, 1, 1), spec.SCardEInvalidParameter},
	})
	for idx, want := range map[byte]uint32{0: 1, 1: 3, 2: 1, 3: 1} {
		p, err := ctx.GetContainerProperty(idx, spec.CCPPINIdentifier, 0, 0)
		if err != nil || len(p.Data) != 4 || binary.LittleEndian.Uint32(p.Data) != want {
			t.Errorf("PIN identifier of %d: %X %v, want %d", idx, p.Data, err, want)
		}
	}
	for _, idx := range []byte{1, 3} {
		p, err := ctx.GetContainerProperty(idx, spec.CCPAssociatedECDHKey, 0, 0)
		if err != nil || !bytes.Equal(p.Data, []byte{idx}) {
			t.Errorf("ECDH key of %d: %X %v", idx, p.Data, err)
		}
	}
	// CCP_CONTAINER_INFO equals GetContainerInfo.
	for idx := byte(0); idx < 4; idx++ {
		p, err := ctx.GetContainerProperty(idx, spec.CCPContainerInfo, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		info := &engine.ContainerInfo{Version: 1}
		if err := ctx.GetContainerInfo(idx, 0, info); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.Info.SigPublicKey, info.SigPublicKey) || !bytes.Equal(p.Info.KeyExPublicKey, info.KeyExPublicKey) {
			t.Errorf("container %d: property and info differ", idx)
		}
		slot := []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth}[idx]
		switch pub := f.p.Pub[slot].(type) {
		case *rsa.PublicKey:
			k, _, err := spec.ParseRSAPublicKeyBlob(info.KeyExPublicKey)
			if err != nil || !k.Equal(pub) || info.SigPublicKey != nil {
				t.Errorf("container %d: RSA blob %v", idx, err)
			}
		case *ecdsa.PublicKey:
			k, _, err := spec.ParseECCPublicKeyBlob(info.SigPublicKey)
			if err != nil || !k.Equal(pub) || info.KeyExPublicKey != nil {
				t.Errorf("container %d: ECC blob %v", idx, err)
			}
		}
		freeInfo(h, p.Info)
		freeInfo(h, info)
	}
}

func TestUnrepresentableKey(t *testing.T) {
	// A certificate whose RSA key Windows cannot represent (an even public exponent): the
	// container must not be reported with an empty key blob.
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	issuer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "even exponent"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsa.PublicKey{N: rk.N, E: 2}, issuer)
	if err != nil {
		t.Fatal(err)
	}
	c := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
	if _, err := c.Select(); err != nil {
		t.Fatal(err)
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		t.Fatal(err)
	}
	if err := c.PutData(piv.CertObject(piv.SlotAuth), enginetest.CertObject(der)); err != nil {
		t.Fatal(err)
	}
	card.Reset()
	ctx, h := enginetest.Acquire(t, engine.NewModule(), card, true)
	defer ctx.DeleteContext()
	info := &engine.ContainerInfo{Version: 1}
	err = ctx.GetContainerInfo(0, 0, info)
	if err == nil && len(info.SigPublicKey) == 0 && len(info.KeyExPublicKey) == 0 {
		t.Error("GetContainerInfo succeeded with no key blob")
	}
	freeInfo(h, info)
	p, err := ctx.GetContainerProperty(0, spec.CCPContainerInfo, 0, 1)
	if err == nil && len(p.Info.SigPublicKey) == 0 && len(p.Info.KeyExPublicKey) == 0 {
		t.Error("CCP_CONTAINER_INFO succeeded with no key blob")
	}
	if err == nil {
		freeInfo(h, p.Info)
	}
	if h.Live() != 0 {
		t.Errorf("%d buffers live", h.Live())
	}
}

func TestKeySizes(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	want := map[spec.KeySpec]spec.KeySizes{
		spec.ATKeyExchange: {Version: 1, Minimum: 1024, Default: 2048, Maximum: 4096, Incremental: 1024},
		spec.ATSignature:   {Version: 1, Minimum: 1024, Default: 2048, Maximum: 4096, Incremental: 1024},
		spec.ATECDSAP256:   {Version: 1, Minimum: 256, Default: 256, Maximum: 256, Incremental: 1},
		spec.ATECDSAP384:   {Version: 1, Minimum: 384, Default: 384, Maximum: 384, Incremental: 1},
		spec.ATECDHEP256:   {Version: 1, Minimum: 256, Default: 256, Maximum: 256, Incremental: 1},
		spec.ATECDHEP384:   {Version: 1, Minimum: 384, Default: 384, Maximum: 384, Incremental: 1},
	}
	for ks := spec.KeySpec(0); ks <= 10; ks++ {
		wantSt := spec.Success
		switch {
		case ks == spec.ATECDSAP521 || ks == spec.ATECDHEP521:
			wantSt = spec.SCardEUnsupportedFeature
		case ks == 0 || ks > 8:
			wantSt = spec.SCardEInvalidParameter
		}
		got, err := ctx.QueryKeySizes(ks, 0, 1)
		if spec.StatusOf(err) != wantSt {
			t.Errorf("QueryKeySizes(%d): %v, want %v", ks, err, wantSt)
		}
		b, perr := ctx.GetProperty(spec.CPCardKeySizes, uint32(ks))
		if spec.StatusOf(perr) != wantSt {
			t.Errorf("CP_CARD_KEYSIZES(%d): %v, want %v", ks, perr, wantSt)
		}
		if wantSt != spec.Success {
			continue
		}
		if got != want[ks] {
			t.Errorf("QueryKeySizes(%d) = %+v", ks, got)
		}
		pk, err := spec.ParseKeySizes(b)
		if err != nil || pk != want[ks] {
			t.Errorf("CP_CARD_KEYSIZES(%d) = %+v %v", ks, pk, err)
		}
	}
	runRows(t, []row{
		{"version 0", func() error { _, err := ctx.QueryKeySizes(spec.ATKeyExchange, 0, 0); return err }, 0},
		{"version 2", func() error { _, err := ctx.QueryKeySizes(spec.ATKeyExchange, 0, 2); return err }, spec.ErrorRevisionMismatch},
		{"flags", func() error { _, err := ctx.QueryKeySizes(spec.ATKeyExchange, 1, 1); return err }, spec.SCardEInvalidParameter},
		{"order: flags before key spec", func() error { _, err := ctx.QueryKeySizes(0, 1, 1); return err }, spec.SCardEInvalidParameter},
	})
}

// ---------------------------------------------------------------------------------------------
// Properties

func TestGetPropertyEveryName(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	get := func(name string, flags uint32) ([]byte, error) { return ctx.GetProperty(name, flags) }
	dwordOf := func(name string, flags uint32) uint32 {
		t.Helper()
		b, err := get(name, flags)
		if err != nil || len(b) != 4 {
			t.Fatalf("%s(%#x): %X %v", name, flags, b, err)
		}
		return binary.LittleEndian.Uint32(b)
	}
	covered := map[string]bool{}
	check := func(name string) { covered[name] = true }

	check(spec.CPCardFreeSpace)
	if b, err := get(spec.CPCardFreeSpace, 0); err != nil {
		t.Error(err)
	} else if fs, err := spec.ParseFreeSpaceInfo(b); err != nil || fs.BytesAvailable != 4*3052 || fs.KeyContainersAvailable != 20 || fs.MaxKeyContainers != 24 {
		t.Errorf("free space %+v %v", fs, err)
	}
	check(spec.CPCardCapabilities)
	if b, err := get(spec.CPCardCapabilities, 0); err != nil {
		t.Error(err)
	} else if c, err := spec.ParseCardCapabilities(b); err != nil || c.Version != 1 || !c.CertificateCompression || !c.KeyGen {
		t.Errorf("capabilities %+v %v", c, err)
	}
	check(spec.CPCardKeySizes) // TestKeySizes
	check(spec.CPCardReadOnly)
	if v := dwordOf(spec.CPCardReadOnly, 0); v != 0 {
		t.Errorf("read only %d", v)
	}
	check(spec.CPCardCacheMode)
	if v := dwordOf(spec.CPCardCacheMode, 0); v < spec.CPCacheModeGlobalCache || v > spec.CPCacheModeNoCache {
		t.Errorf("cache mode %d", v)
	}
	check(spec.CPSupportsWinX509Enrollment)
	if v := dwordOf(spec.CPSupportsWinX509Enrollment, 0); v != 1 {
		t.Errorf("x509 enrollment %d on a writable card", v)
	}
	check(spec.CPCardGUID)
	g, err := get(spec.CPCardGUID, 0)
	if err != nil || len(g) != 16 {
		t.Fatalf("GUID %X %v", g, err)
	}
	id, err := ctx.ReadFile("", "cardid", 0)
	if err != nil || !bytes.Equal(id, g) {
		t.Errorf("cardid %X, GUID %X", id, g)
	}
	f.host.Free(id)
	check(spec.CPCardSerialNo)
	if b, err := get(spec.CPCardSerialNo, 0); err != nil || len(b) == 0 {
		t.Errorf("serial %q %v", b, err)
	} else if want := fmt.Sprint(f.p.Card.Info().Serial); string(b) != want {
		t.Errorf("serial %q, card %s", b, want)
	}
	check(spec.CPCardPINInfo)
	for pid := spec.PINID(0); pid <= 9; pid++ {
		b, err := get(spec.CPCardPINInfo, uint32(pid))
		if pid < 1 || pid > 4 {
			if spec.StatusOf(err) != spec.SCardEInvalidParameter {
				t.Errorf("PIN info %d: %v", pid, err)
			}
			continue
		}
		pi, err := spec.ParsePINInfo(b)
		if err != nil || pi.Version != 6 || pi.CachePolicy.Version != 6 {
			t.Fatalf("PIN info %d: %+v %v", pid, pi, err)
		}
		type want struct {
			typ     spec.SecretType
			purpose spec.SecretPurpose
			change  spec.PINSet
			unblock spec.PINSet
			cache   spec.PINCachePolicyType
		}
		w := map[spec.PINID]want{
			1: {spec.AlphaNumericPinType, spec.AuthenticationPin, 0x02, 0x10, spec.PinCacheNormal},
			2: {spec.ChallengeResponsePinType, spec.AdministratorPin, 0x04, 0, spec.PinCacheNormal},
			3: {spec.AlphaNumericPinType, spec.DigitalSignaturePin, 0x08, 0x10, spec.PinCacheAlwaysPrompt},
			4: {spec.AlphaNumericPinType, spec.UnblockOnlyPin, 0x10, 0, spec.PinCacheNormal},
		}[pid]
		if pi.PinType != w.typ || pi.PinPurpose != w.purpose || pi.ChangePermission != w.change ||
			pi.UnblockPermission != w.unblock || pi.CachePolicy.Type != w.cache {
			t.Errorf("PIN info %d: %+v", pid, pi)
		}
	}
	check(spec.CPCardListPINs)
	if v := dwordOf(spec.CPCardListPINs, 0); v != 0x1E {
		t.Errorf("PIN list %#x", v)
	}
	check(spec.CPCardAuthenticatedState)
	if s := authState(t, ctx); s != 0 {
		t.Errorf("authenticated state before login %#x", s)
	}
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0x02 {
		t.Errorf("authenticated state after login %#x", s)
	}
	if err := ctx.DeauthenticateEx(spec.CreatePINSet(spec.RoleUser), 0); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0 {
		t.Errorf("authenticated state after logout %#x", s)
	}
	if _, _, err := ctx.AuthenticateEx(3, 0, enginetest.PIN, false); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0x0A {
		t.Errorf("authenticated state after PIN 3 %#x", s)
	}
	if err := ctx.DeauthenticateEx(spec.PINSetAllRoles, 0); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{spec.CPCardPINStrengthVerify, spec.CPCardPINStrengthChange, spec.CPCardPINStrengthUnblock} {
		check(name)
		for pid := spec.PINID(0); pid <= 5; pid++ {
			b, err := get(name, uint32(pid))
			if pid < 1 || pid > 4 {
				if spec.StatusOf(err) != spec.SCardEInvalidParameter {
					t.Errorf("%s(%d): %v", name, pid, err)
				}
				continue
			}
			if err != nil || len(b) != 4 {
				t.Fatalf("%s(%d): %v", name, pid, err)
			}
			v := binary.LittleEndian.Uint32(b)
			want := spec.CardPINStrengthPlaintext
			if name == spec.CPCardPINStrengthVerify && (pid == 1 || pid == 3) {
				want |= spec.CardPINStrengthSessionPIN
			}
			if v != want {
				t.Errorf("%s(%d) = %#x, want %#x", name, pid, v, want)
			}
		}
	}
	check(spec.CPKeyImportSupport)
	if v := dwordOf(spec.CPKeyImportSupport, 0); v != 0 {
		t.Errorf("key import %#x", v)
	}
	check(spec.CPEnumAlgorithms)
	if b, err := get(spec.CPEnumAlgorithms, spec.CardAsymmetricOperation); err != nil {
		t.Error(err)
	} else if l, err := spec.ParseMultiStringUTF16(b); err != nil || !slices.Contains(l, "RSA") || !slices.Contains(l, "ECDSA_P256") {
		t.Errorf("asymmetric algorithms %q %v", l, err)
	}
	if b, err := get(spec.CPEnumAlgorithms, spec.CardCipherOperation); err != nil {
		t.Error(err)
	} else if l, err := spec.ParseMultiStringUTF16(b); err != nil || len(l) != 0 {
		t.Errorf("cipher algorithms %q %v", l, err)
	}
	check(spec.CPPaddingSchemes)
	if v := dwordOf(spec.CPPaddingSchemes, spec.CardAsymmetricOperation); v != spec.CardPaddingPKCS1|spec.CardPaddingPSS|spec.CardPaddingOAEP {
		t.Errorf("asymmetric paddings %#x", v)
	}
	if v := dwordOf(spec.CPPaddingSchemes, spec.CardCipherOperation); v != 0 {
		t.Errorf("cipher paddings %#x", v)
	}
	check(spec.CPChainingModes)
	for _, fl := range []uint32{0, spec.CardCipherOperation} {
		if b, err := get(spec.CPChainingModes, fl); err != nil {
			t.Error(err)
		} else if l, err := spec.ParseMultiStringUTF16(b); err != nil || len(l) != 0 {
			t.Errorf("chaining modes %q %v", l, err)
		}
	}
	check(spec.CPParentWindow)
	check(spec.CPPINContextString)

	g0 := func(name string, flags uint32) func() error {
		return func() error { _, err := get(name, flags); return err }
	}
	rows := []row{
		{"parent window is write-only", g0(spec.CPParentWindow, 0), spec.SCardEInvalidParameter},
		{"PIN context is write-only", g0(spec.CPPINContextString, 0), spec.SCardEInvalidParameter},
		{"unknown", g0("Bogus", 0), spec.SCardEInvalidParameter},
		{"empty name", g0("", 0), spec.SCardEInvalidParameter},
		{"case matters", g0("free space", 0), spec.SCardEInvalidParameter},
		{"container property", g0(spec.CCPContainerInfo, 0), spec.SCardEInvalidParameter},
		{"key property", g0(spec.CKPBlockLength, 0), spec.SCardEInvalidParameter},
		{"algorithms flags 0", g0(spec.CPEnumAlgorithms, 0), spec.SCardEInvalidParameter},
		{"algorithms flags 3", g0(spec.CPEnumAlgorithms, 3), spec.SCardEInvalidParameter},
		{"paddings flags 0", g0(spec.CPPaddingSchemes, 0), spec.SCardEInvalidParameter},
		{"paddings flags 4", g0(spec.CPPaddingSchemes, 4), spec.SCardEInvalidParameter},
		{"chaining flags 2", g0(spec.CPChainingModes, 2), spec.SCardEInvalidParameter},
		{"key sizes flags 0", g0(spec.CPCardKeySizes, 0), spec.SCardEInvalidParameter},
		{"key sizes P-521", g0(spec.CPCardKeySizes, uint32(spec.ATECDSAP521)), spec.SCardEUnsupportedFeature},
		{"PIN info 0", g0(spec.CPCardPINInfo, 0), spec.SCardEInvalidParameter},
	}
	for _, name := range []string{spec.CPCardFreeSpace, spec.CPCardCapabilities, spec.CPCardReadOnly, spec.CPCardCacheMode,
		spec.CPSupportsWinX509Enrollment, spec.CPCardGUID, spec.CPCardSerialNo, spec.CPCardListPINs,
		spec.CPCardAuthenticatedState, spec.CPKeyImportSupport} {
		check(name)
		rows = append(rows, row{name + " with flags", g0(name, 1), spec.SCardEInvalidParameter},
			row{name + " with flags 0x80000000", g0(name, 0x80000000), spec.SCardEInvalidParameter})
	}
	runRows(t, rows)

	// Every CP_* name of the spec package was checked.
	for _, name := range []string{spec.CPCardFreeSpace, spec.CPCardCapabilities, spec.CPCardKeySizes, spec.CPCardReadOnly,
		spec.CPCardCacheMode, spec.CPSupportsWinX509Enrollment, spec.CPCardGUID, spec.CPCardSerialNo, spec.CPCardPINInfo,
		spec.CPCardListPINs, spec.CPCardAuthenticatedState, spec.CPCardPINStrengthVerify, spec.CPCardPINStrengthChange,
		spec.CPCardPINStrengthUnblock, spec.CPParentWindow, spec.CPPINContextString, spec.CPKeyImportSupport,
		spec.CPEnumAlgorithms, spec.CPPaddingSchemes, spec.CPChainingModes} {
		if !covered[name] {
			t.Errorf("property %q not covered", name)
		}
	}
}

func TestSetProperty(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	set := func(name string, data []byte, flags uint32) func() error {
		return func() error { return ctx.SetProperty(name, data, flags) }
	}
	rows := []row{
		{"parent window 8 bytes", set(spec.CPParentWindow, make([]byte, 8), 0), 0},
		{"parent window 4 bytes", set(spec.CPParentWindow, []byte{1, 2, 3, 4}, 0), 0},
		{"parent window 5 bytes", set(spec.CPParentWindow, make([]byte, 5), 0), spec.SCardEInvalidParameter},
		{"parent window nil", set(spec.CPParentWindow, nil, 0), spec.SCardEInvalidParameter},
		{"parent window flags", set(spec.CPParentWindow, make([]byte, 8), 1), spec.SCardEInvalidParameter},
		{"PIN context string", set(spec.CPPINContextString, spec.UTF16LEBytes("Sign the document"), 0), 0},
		{"PIN context string NULL", set(spec.CPPINContextString, nil, 0), 0},
		{"PIN context string flags", set(spec.CPPINContextString, spec.UTF16LEBytes("x"), 2), spec.SCardEInvalidParameter},
		{"unknown", set("Bogus", []byte{1}, 0), spec.SCardEUnsupportedFeature},
	}
	for _, name := range []string{spec.CPCardFreeSpace, spec.CPCardCapabilities, spec.CPCardKeySizes, spec.CPCardListPINs,
		spec.CPCardAuthenticatedState, spec.CPKeyImportSupport, spec.CPEnumAlgorithms, spec.CPPaddingSchemes,
		spec.CPChainingModes, spec.CPCardPINStrengthChange, spec.CPCardPINStrengthUnblock, spec.CPCardReadOnly,
		spec.CPCardCacheMode, spec.CPSupportsWinX509Enrollment, spec.CPCardGUID, spec.CPCardSerialNo, spec.CPCardPINInfo,
		spec.CPCardPINStrengthVerify} {
		rows = append(rows, row{"read-only " + name, set(name, make([]byte, 4), 0), spec.SCardEUnsupportedFeature})
	}
	runRows(t, rows)
	// Nothing changed on the card.
	if g, err := ctx.GetProperty(spec.CPCardReadOnly, 0); err != nil || binary.LittleEndian.Uint32(g) != 0 {
		t.Errorf("read only after set: %X %v", g, err)
	}
}

// ---------------------------------------------------------------------------------------------
// Signing

type hashCase struct {
	name string
	alg  spec.ALGID
	h    crypto.Hash
	new  func() hash.Hash
}

var hashCases = []hashCase{
	{"MD5", spec.CALGMD5, crypto.MD5, md5.New},
	{"SHA1", spec.CALGSHA1, crypto.SHA1, sha1.New},
	{"SHA256", spec.CALGSHA256, crypto.SHA256, sha256.New},
	{"SHA384", spec.CALGSHA384, crypto.SHA384, sha512.New384},
	{"SHA512", spec.CALGSHA512, crypto.SHA512, sha512.New},
}

func digestOf(hc hashCase, msg string) []byte {
	h := hc.new()
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// signRSA signs with info and returns the big-endian signature.
func signRSA(t *testing.T, f *fixture, si *engine.SigningInfo) []byte {
	t.Helper()
	if err := f.ctx.SignData(si); err != nil {
		t.Fatalf("sign: %v", err)
	}
	if si.SignedSize != len(si.SignedData) {
		t.Fatalf("SignedSize %d, %d bytes", si.SignedSize, len(si.SignedData))
	}
	sig := slices.Clone(si.SignedData)
	f.host.Free(si.SignedData)
	slices.Reverse(sig)
	return sig
}

func TestSignDataErrors(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	d256 := sha256.Sum256([]byte("m"))
	sign := func(mod func(si *engine.SigningInfo)) func() error {
		return func() error {
			si := &engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d256[:]}
			mod(si)
			err := ctx.SignData(si)
			return freeErr(h, si.SignedData, err)
		}
	}
	pad := func(typ uint32, pi *engine.PaddingInfo) func(si *engine.SigningInfo) {
		return func(si *engine.SigningInfo) {
			si.SigningFlags |= spec.CardPaddingInfoPresent
			si.PaddingType, si.Padding = typ, pi
		}
	}
	// Parameter checks come before the card: they hold with no PIN presented.
	f.load(t)
	f.cnt.Commands = 0
	rows := []row{
		{"nil info", func() error { return ctx.SignData(nil) }, spec.SCardEInvalidParameter},
		{"nil data", sign(func(si *engine.SigningInfo) { si.Data = nil }), spec.SCardEInvalidParameter},
		{"version 1 with CARD_DATA v7", sign(func(si *engine.SigningInfo) { si.Version = 1 }), spec.ErrorRevisionMismatch},
		{"version 0 with CARD_DATA v7", sign(func(si *engine.SigningInfo) { si.Version = 0 }), spec.ErrorRevisionMismatch},
		{"version 3", sign(func(si *engine.SigningInfo) { si.Version = 3 }), spec.ErrorRevisionMismatch},
		{"unknown flags", sign(func(si *engine.SigningInfo) { si.SigningFlags = 0x2 }), spec.SCardEInvalidParameter},
		{"unknown flags high", sign(func(si *engine.SigningInfo) { si.SigningFlags = 0x80000000 }), spec.SCardEInvalidParameter},
		{"key spec 0", sign(func(si *engine.SigningInfo) { si.KeySpec = 0 }), spec.SCardEInvalidParameter},
		{"key spec 9", sign(func(si *engine.SigningInfo) { si.KeySpec = 9 }), spec.SCardEInvalidParameter},
		{"P-521 ECDSA", sign(func(si *engine.SigningInfo) { si.KeySpec = spec.ATECDSAP521 }), spec.SCardEUnsupportedFeature},
		{"P-521 ECDH", sign(func(si *engine.SigningInfo) { si.KeySpec = spec.ATECDHEP521 }), spec.SCardEUnsupportedFeature},
		{"container 4", sign(func(si *engine.SigningInfo) { si.ContainerIndex = 4 }), spec.SCardENoKeyContainer},
		{"container 255", sign(func(si *engine.SigningInfo) { si.ContainerIndex = 255 }), spec.SCardENoKeyContainer},
		{"ECDSA P-256 on RSA", sign(func(si *engine.SigningInfo) { si.KeySpec = spec.ATECDSAP256 }), spec.SCardEInvalidParameter},
		{"ECDH P-384 on RSA", sign(func(si *engine.SigningInfo) { si.KeySpec = spec.ATECDHEP384 }), spec.SCardEInvalidParameter},
		{"RSA on ECDSA", sign(func(si *engine.SigningInfo) { si.ContainerIndex = 1 }), spec.SCardEInvalidParameter},
		{"P-384 on P-256", sign(func(si *engine.SigningInfo) { si.ContainerIndex, si.KeySpec = 1, spec.ATECDSAP384 }), spec.SCardEInvalidParameter},
		{"hash length mismatch", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGSHA1 }), spec.SCardEInvalidParameter},
		{"hash length mismatch SHA384", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGSHA384 }), spec.SCardEInvalidParameter},
		{"CALG_MD2", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGMD2 }), spec.SCardEUnsupportedFeature},
		{"CALG_MD4", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGMD4 }), spec.SCardEUnsupportedFeature},
		{"CALG_HMAC", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGHMAC }), spec.SCardEUnsupportedFeature},
		{"padding info NULL", sign(pad(engine.PaddingPKCS1, nil)), spec.SCardEInvalidParameter},
		{"PSS info NULL", sign(pad(engine.PaddingPSS, nil)), spec.SCardEInvalidParameter},
		{"PSS without hash", sign(pad(engine.PaddingPSS, &engine.PaddingInfo{SaltLen: 32})), spec.SCardEInvalidParameter},
		{"OAEP padding", sign(pad(engine.PaddingOAEP, &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true})), spec.SCardEInvalidParameter},
		{"padding type 0", sign(pad(0, &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true})), spec.SCardEInvalidParameter},
		{"padding type 3", sign(pad(3, &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true})), spec.SCardEInvalidParameter},
		{"PKCS1 hash MD2", sign(pad(engine.PaddingPKCS1, &engine.PaddingInfo{AlgID: "MD2", HasAlgID: true})), spec.SCardEUnsupportedFeature},
		{"PKCS1 hash unknown", sign(pad(engine.PaddingPKCS1, &engine.PaddingInfo{AlgID: "WHIRLPOOL", HasAlgID: true})), spec.SCardEUnsupportedFeature},
		{"PKCS1 hash length", sign(pad(engine.PaddingPKCS1, &engine.PaddingInfo{AlgID: "SHA512", HasAlgID: true})), spec.SCardEInvalidParameter},
		{"PSS hash length", sign(pad(engine.PaddingPSS, &engine.PaddingInfo{AlgID: "SHA1", HasAlgID: true, SaltLen: 20})), spec.SCardEInvalidParameter},
		{"raw of 32 bytes", sign(pad(engine.PaddingNone, nil)), spec.SCardEInvalidParameter},
		{"raw above the modulus", sign(func(si *engine.SigningInfo) {
			pad(engine.PaddingNone, nil)(si)
			si.Data = bytes.Repeat([]byte{0xFF}, 256)
		}), spec.SCardEInvalidParameter},
		{"SSL3_SHAMD5 of 32 bytes", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGSSL3SHAMD5 }), spec.SCardEInvalidParameter},
		{"ECDSA empty hash", sign(func(si *engine.SigningInfo) { si.ContainerIndex, si.KeySpec, si.Data = 3, spec.ATECDSAP384, []byte{} }), spec.SCardEInvalidParameter},
		// The 9C key needs a fresh PIN, but an invalid request is still an invalid request.
		{"9C: CALG_MD2 before the PIN check", sign(func(si *engine.SigningInfo) {
			si.ContainerIndex, si.KeySpec, si.HashAlg = 1, spec.ATECDSAP256, spec.CALGMD2
		}), spec.SCardWSecurityViolation}, // ECDSA ignores aiHashAlg: only the PIN is missing
	}
	runRows(t, rows)
	if f.cnt.Commands != 0 {
		t.Errorf("invalid signing requests sent %d commands", f.cnt.Commands)
	}
	// Without the PIN the card refuses.
	runRows(t, []row{
		{"9A without PIN", sign(func(si *engine.SigningInfo) {}), spec.SCardWSecurityViolation},
		{"9C without PIN", sign(func(si *engine.SigningInfo) { si.ContainerIndex, si.KeySpec = 1, spec.ATECDSAP256 }), spec.SCardWSecurityViolation},
	})
	if f.pinRetries() != 3 {
		t.Errorf("PIN retries %d", f.pinRetries())
	}
}

func TestSignDataRSASignatureSlot(t *testing.T) {
	// An RSA key in 9C (AT_SIGNATURE, PIN 3 before each use): an invalid request is reported as
	// such, not as a missing PIN.
	f := newFixture(t, []enginetest.Key{{Slot: piv.SlotSign, Alg: piv.AlgRSA2048, Cert: true}})
	ctx, h := f.ctx, f.host
	d := sha256.Sum256([]byte("9c"))
	sign := func(mod func(si *engine.SigningInfo)) func() error {
		return func() error {
			si := &engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATSignature, HashAlg: spec.CALGSHA256, Data: d[:]}
			mod(si)
			err := ctx.SignData(si)
			return freeErr(h, si.SignedData, err)
		}
	}
	pub := f.p.Pub[piv.SlotSign].(*rsa.PublicKey)
	ct := rsaCipher(t, pub, func() ([]byte, error) { return rsa.EncryptPKCS1v15(rand.Reader, pub, []byte("9c")) })
	dec := func(mod func(di *engine.RSADecryptInfo)) func() error {
		return func() error {
			di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATSignature, Data: slices.Clone(ct), PaddingType: engine.PaddingPKCS1}
			mod(di)
			return ctx.RSADecrypt(di)
		}
	}
	runRows(t, []row{
		{"CALG_MD2", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGMD2 }), spec.SCardEUnsupportedFeature},
		{"hash length", sign(func(si *engine.SigningInfo) { si.HashAlg = spec.CALGSHA1 }), spec.SCardEInvalidParameter},
		{"PSS without hash", sign(func(si *engine.SigningInfo) {
			si.SigningFlags, si.PaddingType, si.Padding = spec.CardPaddingInfoPresent, engine.PaddingPSS, &engine.PaddingInfo{}
		}), spec.SCardEInvalidParameter},
		{"size only", sign(func(si *engine.SigningInfo) { si.SigningFlags = spec.CardBufferSizeOnly }), spec.Success},
		{"no fresh PIN", sign(func(si *engine.SigningInfo) {}), spec.SCardWSecurityViolation},
		{"decrypt short buffer", dec(func(di *engine.RSADecryptInfo) { di.Data = di.Data[:100] }), spec.SCardEInsufficientBuffer},
		{"decrypt above modulus", dec(func(di *engine.RSADecryptInfo) { di.Data = bytes.Repeat([]byte{0xFF}, 256) }), spec.SCardEInvalidParameter},
		{"decrypt no fresh PIN", dec(func(di *engine.RSADecryptInfo) {}), spec.SCardWSecurityViolation},
		{"PIN 3", func() error { _, _, err := ctx.AuthenticateEx(3, 0, enginetest.PIN, false); return err }, 0},
		{"sign with a fresh PIN", sign(func(si *engine.SigningInfo) {}), 0},
		{"second sign", sign(func(si *engine.SigningInfo) {}), spec.SCardWSecurityViolation},
		{"PIN 3 again", func() error { _, _, err := ctx.AuthenticateEx(3, 0, enginetest.PIN, false); return err }, 0},
		{"decrypt with a fresh PIN", dec(func(di *engine.RSADecryptInfo) {}), 0},
		{"second decrypt", dec(func(di *engine.RSADecryptInfo) {}), spec.SCardWSecurityViolation},
	})
}

func TestSignDataBufferSizeOnly(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	// Load the inventory first; size queries then need nothing from the card.
	b, err := ctx.ReadFile("mscp", "cmapfile", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.host.Free(b)
	d := sha256.Sum256([]byte("size"))
	for _, c := range []struct {
		idx  byte
		ks   spec.KeySpec
		want int
	}{{0, spec.ATKeyExchange, 256}, {0, spec.ATSignature, 256}, {2, spec.ATKeyExchange, 256}, {1, spec.ATECDSAP256, 64}, {3, spec.ATECDSAP384, 96}} {
		f.cnt.Commands = 0
		a0, _ := f.host.Counts()
		si := &engine.SigningInfo{Version: 2, ContainerIndex: c.idx, KeySpec: c.ks, SigningFlags: spec.CardBufferSizeOnly,
			HashAlg: spec.CALGSHA256, Data: d[:]}
		if err := ctx.SignData(si); err != nil {
			t.Fatalf("container %d: %v", c.idx, err)
		}
		a1, _ := f.host.Counts()
		if si.SignedSize != c.want || si.SignedData != nil {
			t.Errorf("container %d: size %d, data %d bytes, want %d", c.idx, si.SignedSize, len(si.SignedData), c.want)
		}
		if f.cnt.Commands != 0 || a1 != a0 {
			t.Errorf("container %d: size only sent %d commands, made %d allocations", c.idx, f.cnt.Commands, a1-a0)
		}
	}
	// Size-only with padding info, and errors still reported.
	si := &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardBufferSizeOnly | spec.CardPaddingInfoPresent,
		PaddingType: engine.PaddingPSS, Padding: &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true, SaltLen: 32}, Data: d[:]}
	if err := ctx.SignData(si); err != nil || si.SignedSize != 256 {
		t.Errorf("PSS size only: %d %v", si.SignedSize, err)
	}
	si = &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardBufferSizeOnly, HashAlg: spec.CALGMD2, Data: d[:]}
	if err := ctx.SignData(si); spec.StatusOf(err) != spec.SCardEUnsupportedFeature {
		t.Errorf("size only with MD2: %v", err)
	}
}

func TestSignDataEveryHash(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	pub := f.p.Pub[piv.SlotAuth].(*rsa.PublicKey)
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	for _, hc := range hashCases {
		d := digestOf(hc, "every hash")
		// aiHashAlg.
		sig := signRSA(t, f, &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: hc.alg, Data: d})
		if err := rsa.VerifyPKCS1v15(pub, hc.h, d, sig); err != nil {
			t.Errorf("%s via aiHashAlg: %v", hc.name, err)
		}
		// AT_SIGNATURE on the same RSA key.
		sig = signRSA(t, f, &engine.SigningInfo{Version: 2, KeySpec: spec.ATSignature, HashAlg: hc.alg, Data: d})
		if err := rsa.VerifyPKCS1v15(pub, hc.h, d, sig); err != nil {
			t.Errorf("%s with AT_SIGNATURE: %v", hc.name, err)
		}
		// PKCS1 padding info; aiHashAlg is ignored.
		sig = signRSA(t, f, &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGMD2,
			SigningFlags: spec.CardPaddingInfoPresent, PaddingType: engine.PaddingPKCS1,
			Padding: &engine.PaddingInfo{AlgID: hc.name, HasAlgID: true}, Data: d})
		if err := rsa.VerifyPKCS1v15(pub, hc.h, d, sig); err != nil {
			t.Errorf("%s via pszAlgId: %v", hc.name, err)
		}
		// PSS with salt = hash length, and with no salt.
		for _, salt := range []int{hc.h.Size(), 0} {
			sig = signRSA(t, f, &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange,
				SigningFlags: spec.CardPaddingInfoPresent, PaddingType: engine.PaddingPSS,
				Padding: &engine.PaddingInfo{AlgID: hc.name, HasAlgID: true, SaltLen: uint32(salt)}, Data: d})
			if err := rsa.VerifyPSS(pub, hc.h, d, sig, &rsa.PSSOptions{SaltLength: salt, Hash: hc.h}); err != nil {
				t.Errorf("%s PSS salt %d: %v", hc.name, salt, err)
			}
		}
		// No OID: aiHashAlg 0, CRYPT_NOHASHOID, PKCS1 info without pszAlgId.
		for name, si := range map[string]*engine.SigningInfo{
			"aiHashAlg 0":     {Version: 2, KeySpec: spec.ATKeyExchange, Data: d},
			"CRYPT_NOHASHOID": {Version: 2, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CryptNoHashOID, HashAlg: hc.alg, Data: d},
			"PKCS1 no AlgID": {Version: 2, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardPaddingInfoPresent,
				PaddingType: engine.PaddingPKCS1, Padding: &engine.PaddingInfo{}, Data: d},
		} {
			sig := signRSA(t, f, si)
			if err := rsa.VerifyPKCS1v15(pub, crypto.Hash(0), d, sig); err != nil {
				t.Errorf("%s %s: %v", hc.name, name, err)
			}
		}
	}
	// CALG_SSL3_SHAMD5: 36 bytes MD5‖SHA-1 without a DigestInfo.
	m5, s1 := md5.Sum([]byte("tls")), sha1.Sum([]byte("tls"))
	d36 := append(m5[:], s1[:]...)
	sig := signRSA(t, f, &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSSL3SHAMD5, Data: d36})
	if err := rsa.VerifyPKCS1v15(pub, crypto.MD5SHA1, d36, sig); err != nil {
		t.Errorf("SSL3_SHAMD5: %v", err)
	}
	// Raw: the data is the block itself.
	block, _ := engine.PKCS1v15SignBlock(256, crypto.SHA256, digestOf(hashCases[2], "raw"))
	sig = signRSA(t, f, &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardPaddingInfoPresent,
		PaddingType: engine.PaddingNone, Data: block})
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digestOf(hashCases[2], "raw"), sig); err != nil {
		t.Errorf("raw: %v", err)
	}
	raw := make([]byte, 256)
	rand.Read(raw[1:])
	sig = signRSA(t, f, &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardPaddingInfoPresent,
		PaddingType: engine.PaddingNone, Data: raw})
	if new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(pub.E)), pub.N).Cmp(new(big.Int).SetBytes(raw)) != 0 {
		t.Error("raw random block")
	}

	// ECDSA P-256 (9C, its PIN before each use) and P-384 (9E, no PIN), every hash; ECDSA
	// uses the leftmost bits of a longer hash.
	for _, c := range []struct {
		idx  byte
		ks   spec.KeySpec
		slot byte
		size int
	}{{1, spec.ATECDSAP256, piv.SlotSign, 32}, {3, spec.ATECDSAP384, piv.SlotCardAuth, 48}} {
		epub := f.p.Pub[c.slot].(*ecdsa.PublicKey)
		for _, hc := range hashCases {
			d := digestOf(hc, "ecdsa")
			if c.idx == 1 {
				if _, _, err := ctx.AuthenticateEx(3, 0, enginetest.PIN, false); err != nil {
					t.Fatal(err)
				}
			}
			si := &engine.SigningInfo{Version: 2, ContainerIndex: c.idx, KeySpec: c.ks, HashAlg: hc.alg, Data: d}
			if err := ctx.SignData(si); err != nil {
				t.Fatalf("ECDSA %d %s: %v", c.idx, hc.name, err)
			}
			if len(si.SignedData) != 2*c.size {
				t.Fatalf("ECDSA signature of %d bytes", len(si.SignedData))
			}
			r, s := new(big.Int).SetBytes(si.SignedData[:c.size]), new(big.Int).SetBytes(si.SignedData[c.size:])
			f.host.Free(si.SignedData)
			if !ecdsa.Verify(epub, d, r, s) {
				t.Errorf("ECDSA %d %s does not verify", c.idx, hc.name)
			}
		}
	}
	// A second use of 9C needs the PIN again.
	d := sha256.Sum256([]byte("again"))
	if err := ctx.SignData(&engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: d[:]}); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Errorf("second use of 9C: %v", err)
	}
}

func TestSignDataVersion6(t *testing.T) {
	f := newFixture(t, nil)
	ctx6, err := f.m.AcquireContext(engine.AcquireParams{Version: 6, ATR: vcard.ATR(), CardName: "x", HasCardName: true,
		Host: f.host, Card: f.p.Card})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx6.DeleteContext()
	if _, err := ctx6.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("v6"))
	for _, v := range []uint32{0, 1, 2} {
		si := &engine.SigningInfo{Version: v, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d[:]}
		if err := ctx6.SignData(si); err != nil {
			t.Errorf("v6 context, signing info v%d: %v", v, err)
			continue
		}
		sig := slices.Clone(si.SignedData)
		f.host.Free(si.SignedData)
		slices.Reverse(sig)
		if err := rsa.VerifyPKCS1v15(f.p.Pub[piv.SlotAuth].(*rsa.PublicKey), crypto.SHA256, d[:], sig); err != nil {
			t.Errorf("v%d: %v", v, err)
		}
	}
	si := &engine.SigningInfo{Version: 3, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d[:]}
	if err := ctx6.SignData(si); spec.StatusOf(err) != spec.ErrorRevisionMismatch {
		t.Errorf("v6 context, v3: %v", err)
	}
}

// ---------------------------------------------------------------------------------------------
// Decryption

func rsaCipher(t *testing.T, pub *rsa.PublicKey, enc func() ([]byte, error)) []byte {
	t.Helper()
	ct, err := enc()
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(ct) // Windows passes it little-endian
	return ct
}

func TestRSADecrypt(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	pub := f.p.Pub[piv.SlotKeyMgmt].(*rsa.PublicKey)
	pkcs := func(msg string) []byte {
		return rsaCipher(t, pub, func() ([]byte, error) { return rsa.EncryptPKCS1v15(rand.Reader, pub, []byte(msg)) })
	}
	dec := func(mod func(di *engine.RSADecryptInfo)) func() error {
		return func() error {
			di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: pkcs("k"), PaddingType: engine.PaddingPKCS1}
			mod(di)
			return ctx.RSADecrypt(di)
		}
	}
	f.load(t)
	f.cnt.Commands = 0
	runRows(t, []row{
		{"nil info", func() error { return ctx.RSADecrypt(nil) }, spec.SCardEInvalidParameter},
		{"nil data", dec(func(di *engine.RSADecryptInfo) { di.Data = nil }), spec.SCardEInvalidParameter},
		{"version 1 with v7", dec(func(di *engine.RSADecryptInfo) { di.Version = 1 }), spec.ErrorRevisionMismatch},
		{"version 0 with v7", dec(func(di *engine.RSADecryptInfo) { di.Version = 0 }), spec.ErrorRevisionMismatch},
		{"version 3", dec(func(di *engine.RSADecryptInfo) { di.Version = 3 }), spec.ErrorRevisionMismatch},
		{"ECC key spec", dec(func(di *engine.RSADecryptInfo) { di.KeySpec = spec.ATECDHEP256 }), spec.SCardEInvalidParameter},
		{"ECDSA key spec", dec(func(di *engine.RSADecryptInfo) { di.KeySpec = spec.ATECDSAP384 }), spec.SCardEInvalidParameter},
		{"key spec 0", dec(func(di *engine.RSADecryptInfo) { di.KeySpec = 0 }), spec.SCardEInvalidParameter},
		{"ECC container", dec(func(di *engine.RSADecryptInfo) { di.ContainerIndex = 1 }), spec.SCardEInvalidParameter},
		{"ECC container 3", dec(func(di *engine.RSADecryptInfo) { di.ContainerIndex = 3 }), spec.SCardEInvalidParameter},
		{"no container", dec(func(di *engine.RSADecryptInfo) { di.ContainerIndex = 7 }), spec.SCardENoKeyContainer},
		{"short buffer", dec(func(di *engine.RSADecryptInfo) { di.Data = di.Data[:255] }), spec.SCardEInsufficientBuffer},
		{"long buffer", dec(func(di *engine.RSADecryptInfo) { di.Data = append(di.Data, 0) }), spec.SCardEInvalidParameter},
		{"ciphertext = modulus", dec(func(di *engine.RSADecryptInfo) {
			di.Data = pub.N.FillBytes(make([]byte, 256))
			slices.Reverse(di.Data)
		}), spec.SCardEInvalidParameter},
		{"ciphertext above modulus", dec(func(di *engine.RSADecryptInfo) { di.Data = bytes.Repeat([]byte{0xFF}, 256) }), spec.SCardEInvalidParameter},
		{"padding PSS", dec(func(di *engine.RSADecryptInfo) { di.PaddingType = engine.PaddingPSS }), spec.SCardEInvalidParameter},
		{"padding 0", dec(func(di *engine.RSADecryptInfo) { di.PaddingType = 0 }), spec.SCardEInvalidParameter},
		{"OAEP nil info", dec(func(di *engine.RSADecryptInfo) { di.PaddingType = engine.PaddingOAEP }), spec.SCardEInvalidParameter},
		{"OAEP unknown hash", dec(func(di *engine.RSADecryptInfo) {
			di.PaddingType, di.OAEP = engine.PaddingOAEP, &engine.OAEPInfo{AlgID: "SHA3-256", HasAlgID: true}
		}), spec.SCardEUnsupportedFeature},
		{"OAEP MD2", dec(func(di *engine.RSADecryptInfo) {
			di.PaddingType, di.OAEP = engine.PaddingOAEP, &engine.OAEPInfo{AlgID: "MD2", HasAlgID: true}
		}), spec.SCardEUnsupportedFeature},
	})
	if f.cnt.Commands != 0 {
		t.Errorf("invalid decryption requests sent %d commands", f.cnt.Commands)
	}
	runRows(t, []row{{"without PIN", dec(func(di *engine.RSADecryptInfo) {}), spec.SCardWSecurityViolation}})

	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	// PKCS#1 v1.5.
	di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: pkcs("session key"), PaddingType: engine.PaddingPKCS1}
	if err := ctx.RSADecrypt(di); err != nil || string(di.Data) != "session key" {
		t.Errorf("PKCS1: %q %v", di.Data, err)
	}
	// The 9A key decrypts too (AT_KEYEXCHANGE).
	pub9a := f.p.Pub[piv.SlotAuth].(*rsa.PublicKey)
	ct := rsaCipher(t, pub9a, func() ([]byte, error) { return rsa.EncryptPKCS1v15(rand.Reader, pub9a, []byte("9a")) })
	di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingPKCS1}
	if err := ctx.RSADecrypt(di); err != nil || string(di.Data) != "9a" {
		t.Errorf("9A PKCS1: %q %v", di.Data, err)
	}
	// OAEP with every hash, with and without a label; the default hash is SHA-1.
	for _, hc := range []hashCase{hashCases[1], hashCases[2], hashCases[3], hashCases[4]} {
		for _, label := range [][]byte{nil, []byte("label")} {
			msg := "oaep " + hc.name
			ct := rsaCipher(t, pub, func() ([]byte, error) { return rsa.EncryptOAEP(hc.new(), rand.Reader, pub, []byte(msg), label) })
			di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingOAEP,
				OAEP: &engine.OAEPInfo{AlgID: hc.name, HasAlgID: true, Label: label}}
			if err := ctx.RSADecrypt(di); err != nil || string(di.Data) != msg {
				t.Errorf("OAEP %s label %q: %q %v", hc.name, label, di.Data, err)
			}
			// The wrong label fails with the one decryption error.
			ct = rsaCipher(t, pub, func() ([]byte, error) { return rsa.EncryptOAEP(hc.new(), rand.Reader, pub, []byte(msg), label) })
			di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingOAEP,
				OAEP: &engine.OAEPInfo{AlgID: hc.name, HasAlgID: true, Label: append(label, 'x')}}
			if err := ctx.RSADecrypt(di); spec.StatusOf(err) != spec.SCardEInvalidValue {
				t.Errorf("OAEP %s wrong label: %v", hc.name, err)
			}
		}
	}
	ct = rsaCipher(t, pub, func() ([]byte, error) { return rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, []byte("default"), nil) })
	di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingOAEP, OAEP: &engine.OAEPInfo{}}
	if err := ctx.RSADecrypt(di); err != nil || string(di.Data) != "default" {
		t.Errorf("OAEP default hash: %q %v", di.Data, err)
	}
	// Corrupted ciphertexts: SCARD_E_INVALID_VALUE for both paddings.
	for _, typ := range []uint32{engine.PaddingPKCS1, engine.PaddingOAEP} {
		ct := pkcs("x")
		if typ == engine.PaddingOAEP {
			ct = rsaCipher(t, pub, func() ([]byte, error) { return rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("x"), nil) })
		}
		ct[100] ^= 0x40
		di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: typ,
			OAEP: &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true}}
		if err := ctx.RSADecrypt(di); spec.StatusOf(err) != spec.SCardEInvalidValue {
			t.Errorf("corrupted, padding %d: %v", typ, err)
		}
	}
	// OAEP ciphertext given as PKCS1 and the other way round.
	ct = rsaCipher(t, pub, func() ([]byte, error) { return rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("x"), nil) })
	di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingPKCS1}
	if err := ctx.RSADecrypt(di); spec.StatusOf(err) != spec.SCardEInvalidValue {
		t.Errorf("OAEP as PKCS1: %v", err)
	}
	// Raw (CARD_PADDING_NONE): the block, little-endian.
	block := make([]byte, 256)
	rand.Read(block[1:])
	c := new(big.Int).Exp(new(big.Int).SetBytes(block), big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, 256))
	slices.Reverse(c)
	di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: c, PaddingType: engine.PaddingNone}
	if err := ctx.RSADecrypt(di); err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(di.Data)
	slices.Reverse(got)
	if !bytes.Equal(got, block) {
		t.Error("raw decryption")
	}

	// A version 6 context accepts version 1 structures and returns the raw block reversed.
	ctx6, err := f.m.AcquireContext(engine.AcquireParams{Version: 6, ATR: vcard.ATR(), CardName: "x", HasCardName: true,
		Host: f.host, Card: f.p.Card})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx6.DeleteContext()
	for _, v := range []uint32{0, 1} {
		ct := pkcs("v1")
		di := &engine.RSADecryptInfo{Version: v, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingPKCS1}
		if err := ctx6.RSADecrypt(di); err != nil {
			t.Fatalf("v6 context, version %d: %v", v, err)
		}
		raw := slices.Clone(di.Data)
		slices.Reverse(raw)
		if len(raw) != 256 || raw[0] != 0 || raw[1] != 2 || !bytes.HasSuffix(raw, []byte("\x00v1")) {
			t.Errorf("v6 context, version %d: raw block %X", v, raw)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// PINs

func TestAuthenticatePinErrors(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	auth := func(user string, pin []byte) func() error {
		return func() error { _, err := ctx.AuthenticatePin(user, pin); return err }
	}
	f.load(t)
	f.cnt.Commands = 0
	runRows(t, []row{
		{"admin", auth("admin", enginetest.PIN), spec.SCardEInvalidParameter},
		{"anonymous", auth("anonymous", enginetest.PIN), spec.SCardEInvalidParameter},
		{"unknown user", auth("root", enginetest.PIN), spec.SCardEInvalidParameter},
		{"USER (case matters)", auth("User", enginetest.PIN), spec.SCardEInvalidParameter},
		{"nil PIN", auth("user", nil), spec.SCardEInvalidParameter},
		{"9-byte PIN", auth("user", []byte("123456789")), spec.SCardWWrongCHV},
		{"empty PIN", auth("user", []byte{}), spec.SCardWWrongCHV},
	})
	if f.cnt.Commands != 0 || f.pinRetries() != 3 {
		t.Errorf("rejected PINs sent %d commands, retries %d", f.cnt.Commands, f.pinRetries())
	}
	// Wrong PINs: 2, 1, then blocked.
	for i, want := range []struct {
		st       spec.Status
		attempts uint32
	}{{spec.SCardWWrongCHV, 2}, {spec.SCardWWrongCHV, 1}, {spec.SCardWCHVBlocked, 0}, {spec.SCardWCHVBlocked, 0}} {
		n, err := ctx.AuthenticatePin("user", []byte("000000"))
		if spec.StatusOf(err) != want.st || n != want.attempts {
			t.Errorf("wrong PIN %d: %v attempts %d, want %v %d", i+1, err, n, want.st, want.attempts)
		}
	}
	if n, err := ctx.AuthenticatePin("user", enginetest.PIN); spec.StatusOf(err) != spec.SCardWCHVBlocked || n != 0 {
		t.Errorf("right PIN when blocked: %v %d", err, n)
	}
	if s := authState(t, ctx); s != 0 {
		t.Errorf("authenticated state when blocked %#x", s)
	}
	// Unblock with the PUK (ids 4 → 1): the PIN works again and both end logged out.
	if _, err := ctx.ChangeAuthenticatorEx(spec.PINChangeFlagUnblock, 4, enginetest.PUK, 1, []byte("654321"), 0); err != nil {
		t.Fatal(err)
	}
	if f.pinRetries() != 3 || authState(t, ctx) != 0 {
		t.Errorf("after unblock: retries %d", f.pinRetries())
	}
	if _, err := ctx.AuthenticatePin("user", []byte("654321")); err != nil {
		t.Fatal(err)
	}
	// A wrong PIN logs the user out.
	if _, err := ctx.AuthenticatePin("user", []byte("000000")); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0 {
		t.Errorf("authenticated state after a wrong PIN %#x", s)
	}
}

// lastTryCard answers VERIFY with 63C0 (the last try failed, as some cards report it) and passes
// everything else to the card.
type lastTryCard struct{ t apdu.Transport }

func (c lastTryCard) Transmit(cmd []byte) ([]byte, error) {
	if len(cmd) > 5 && cmd[1] == piv.InsVerify {
		return []byte{0x63, 0xC0}, nil
	}
	return c.t.Transmit(cmd)
}

func TestAuthenticatePinLastAttempt(t *testing.T) {
	// Reference §4.13: on the last allowed attempt, WRONG_CHV and 0 attempts; beyond the limit,
	// CHV_BLOCKED.
	f := newFixture(t, nil)
	ctx, _ := enginetest.Acquire(t, f.m, lastTryCard{f.p.Card}, true)
	defer ctx.DeleteContext()
	n, err := ctx.AuthenticatePin("user", []byte("000000"))
	if spec.StatusOf(err) != spec.SCardWWrongCHV || n != 0 {
		t.Errorf("63C0: %v, %d attempts", err, n)
	}
}

func TestAuthenticateExErrors(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	ax := func(id spec.PINID, flags uint32, data []byte, want bool) func() error {
		return func() error {
			s, _, err := ctx.AuthenticateEx(id, flags, data, want)
			return freeErr(h, s, err)
		}
	}
	f.load(t)
	f.cnt.Commands = 0
	rows := []row{
		{"PIN 0", ax(0, 0, enginetest.PIN, false), spec.SCardEInvalidParameter},
		{"PIN 4 (PUK)", ax(4, 0, enginetest.PUK, false), spec.SCardEInvalidParameter},
		{"PIN 8", ax(8, 0, enginetest.PIN, false), spec.SCardEInvalidParameter},
		{"PIN 0xFFFFFFFF", ax(0xFFFFFFFF, 0, enginetest.PIN, false), spec.SCardEInvalidParameter},
		{"unknown flags", ax(1, 0x1, enginetest.PIN, false), spec.SCardEInvalidParameter},
		{"unknown flags high", ax(1, 0x80000000, enginetest.PIN, false), spec.SCardEInvalidParameter},
		{"both session flags", ax(1, spec.CardAuthenticateGenerateSessionPIN|spec.CardAuthenticateSessionPIN, enginetest.PIN, true), spec.SCardEInvalidParameter},
		{"nil PIN", ax(1, 0, nil, false), spec.SCardEInvalidParameter},
		{"nil PIN silent", ax(1, spec.CardPINSilentContext, nil, false), spec.SCardEInvalidParameter},
		{"generate without a place", ax(1, spec.CardAuthenticateGenerateSessionPIN, enginetest.PIN, false), spec.SCardEInvalidParameter},
		{"admin session PIN", ax(2, spec.CardAuthenticateGenerateSessionPIN, make([]byte, 8), true), spec.SCardEInvalidParameter},
		{"admin nil response", ax(2, 0, nil, false), spec.SCardEInvalidParameter},
		{"admin without challenge", ax(2, 0, make([]byte, 8), false), spec.SCardWWrongCHV},
		{"9-byte PIN", ax(1, 0, []byte("123456789"), false), spec.SCardWWrongCHV},
		{"unknown session PIN", ax(1, spec.CardAuthenticateSessionPIN, make([]byte, 32), false), spec.SCardWWrongCHV},
	}
	for id := spec.PINID(5); id <= 7; id++ {
		rows = append(rows, row{fmt.Sprintf("PIN %d", id), ax(id, 0, enginetest.PIN, false), spec.SCardEInvalidParameter})
	}
	runRows(t, rows)
	if f.cnt.Commands != 0 || f.pinRetries() != 3 {
		t.Errorf("rejected calls sent %d commands, PIN retries %d", f.cnt.Commands, f.pinRetries())
	}
	runRows(t, []row{
		{"PIN 1", ax(1, 0, enginetest.PIN, false), 0},
		{"PIN 3 silent", ax(3, spec.CardPINSilentContext, enginetest.PIN, false), 0},
		{"wrong PIN 1", ax(1, 0, []byte("999999"), false), spec.SCardWWrongCHV},
	})
	if n, _, err := ctx.AuthenticateEx(3, 0, []byte("999999"), false); spec.StatusOf(err) != spec.SCardWWrongCHV || n != nil {
		t.Errorf("wrong PIN 3: %v", err)
	}
	if f.pinRetries() != 1 {
		t.Errorf("PIN retries %d", f.pinRetries())
	}
	if _, _, err := ctx.AuthenticateEx(1, 0, enginetest.PIN, false); err != nil {
		t.Fatal(err)
	}
}

func TestSessionPIN(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	session, _, err := ctx.AuthenticateEx(1, spec.CardAuthenticateGenerateSessionPIN, enginetest.PIN, true)
	if err != nil {
		t.Fatal(err)
	}
	sp := slices.Clone(session)
	h.Free(session)
	if len(sp) == 0 || bytes.Contains(sp, enginetest.PIN) {
		t.Fatalf("session PIN %X", sp)
	}
	// Generating a session PIN does not unlock the card.
	if s := authState(t, ctx); s != 0 {
		t.Errorf("authenticated state after generating %#x", s)
	}
	d := sha256.Sum256([]byte("session"))
	sign := func(c *engine.Context, hh *refhost.Host) error {
		si := &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d[:]}
		err := c.SignData(si)
		return freeErr(hh, si.SignedData, err)
	}
	if err := sign(ctx, h); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Errorf("sign after generating: %v", err)
	}
	// The same context.
	if _, _, err := ctx.AuthenticateEx(1, spec.CardAuthenticateSessionPIN, sp, false); err != nil {
		t.Fatal(err)
	}
	if err := sign(ctx, h); err != nil {
		t.Fatal(err)
	}
	ctx.DeauthenticateEx(spec.PINSetAllRoles, 0)
	// Another context of the same module.
	ctx2, h2 := f.another(t)
	defer ctx2.DeleteContext()
	if _, _, err := ctx2.AuthenticateEx(1, spec.CardAuthenticateSessionPIN, sp, false); err != nil {
		t.Fatalf("session PIN in another context: %v", err)
	}
	if err := sign(ctx2, h2); err != nil {
		t.Fatal(err)
	}
	// The 9C key with the session PIN as PIN 3.
	if _, _, err := ctx2.AuthenticateEx(3, spec.CardAuthenticateSessionPIN, sp, false); err != nil {
		t.Fatal(err)
	}
	ctx2.DeauthenticateEx(spec.PINSetAllRoles, 0)
	// A context of another module does not know it.
	other := engine.NewModule()
	ctx3, _ := enginetest.Acquire(t, other, f.p.Card, true)
	defer ctx3.DeleteContext()
	if _, _, err := ctx3.AuthenticateEx(1, spec.CardAuthenticateSessionPIN, sp, false); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("session PIN in another module: %v", err)
	}
	// A tampered session PIN: WRONG_CHV, the card's counter does not move.
	before := f.pinRetries()
	bad := slices.Clone(sp)
	bad[0] ^= 1
	for _, b := range [][]byte{bad, sp[:len(sp)-1], append(slices.Clone(sp), 0), {}, enginetest.PIN} {
		if _, _, err := ctx.AuthenticateEx(1, spec.CardAuthenticateSessionPIN, b, false); spec.StatusOf(err) != spec.SCardWWrongCHV {
			t.Errorf("tampered session PIN %X: %v", b, err)
		}
	}
	if f.pinRetries() != before || before != 3 {
		t.Errorf("PIN retries %d → %d", before, f.pinRetries())
	}
	// A wrong PIN does not produce a session PIN.
	if s, n, err := ctx.AuthenticateEx(1, spec.CardAuthenticateGenerateSessionPIN, []byte("999999"), true); spec.StatusOf(err) != spec.SCardWWrongCHV || s != nil || n != 2 {
		t.Errorf("generate with a wrong PIN: %X %d %v", s, n, err)
	}
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	// Changing the PIN revokes every session PIN.
	if _, err := ctx.ChangeAuthenticator("user", enginetest.PIN, []byte("2468024"), 0, spec.CardAuthenticatePinPIN); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ctx2.AuthenticateEx(1, spec.CardAuthenticateSessionPIN, sp, false); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("session PIN after a PIN change: %v", err)
	}
	if _, err := ctx.ChangeAuthenticator("user", []byte("2468024"), enginetest.PIN, 0, spec.CardAuthenticatePinPIN); err != nil {
		t.Fatal(err)
	}
	if f.pinRetries() != 3 {
		t.Errorf("PIN retries %d", f.pinRetries())
	}
}

func TestChangeAuthenticator(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.ctx
	ca := func(user string, cur, next []byte, retry, flags uint32) func() error {
		return func() error { _, err := ctx.ChangeAuthenticator(user, cur, next, retry, flags); return err }
	}
	cax := func(flags uint32, aid spec.PINID, ad []byte, tid spec.PINID, td []byte, retry uint32) func() error {
		return func() error { _, err := ctx.ChangeAuthenticatorEx(flags, aid, ad, tid, td, retry); return err }
	}
	ub := func(user string, auth, next []byte, retry, flags uint32) func() error {
		return func() error { return ctx.UnblockPin(user, auth, next, retry, flags) }
	}
	pin, puk, newPIN := enginetest.PIN, enginetest.PUK, []byte("7654321")
	const pp, cr = spec.CardAuthenticatePinPIN, spec.CardAuthenticatePinChallengeResponse
	const chg, unb = spec.PINChangeFlagChangePIN, spec.PINChangeFlagUnblock
	f.load(t)
	f.cnt.Commands = 0
	runRows(t, []row{
		{"CA nil current", ca("user", nil, newPIN, 0, pp), spec.SCardEInvalidParameter},
		{"CA nil new", ca("user", pin, nil, 0, pp), spec.SCardEInvalidParameter},
		{"CA retry count", ca("user", pin, newPIN, 3, pp), spec.SCardEInvalidParameter},
		{"CA new PIN of 5", ca("user", pin, []byte("12345"), 0, pp), spec.SCardEInvalidParameter},
		{"CA new PIN of 9", ca("user", pin, []byte("123456789"), 0, pp), spec.SCardEInvalidParameter},
		{"CA new PIN with FF", ca("user", pin, []byte("12345\xff"), 0, pp), spec.SCardEInvalidParameter},
		{"CA flags 0", ca("user", pin, newPIN, 0, 0), spec.SCardEInvalidParameter},
		{"CA flags 3", ca("user", pin, newPIN, 0, 3), spec.SCardEInvalidParameter},
		{"CA user with challenge/response", ca("user", pin, newPIN, 0, cr), spec.SCardEInvalidParameter},
		{"CA admin with PIN", ca("admin", pin, newPIN, 0, pp), spec.SCardEInvalidParameter},
		{"CA unknown user", ca("everyone", pin, newPIN, 0, pp), spec.SCardEInvalidParameter},
		{"CA admin key of 8 bytes", ca("admin", make([]byte, 8), make([]byte, 8), 0, cr), spec.SCardEInvalidParameter},
		{"CA admin without challenge", ca("admin", make([]byte, 8), make([]byte, 24), 0, cr), spec.SCardWWrongCHV},
		{"CAX flags 0", cax(0, 1, pin, 1, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX flags 3", cax(3, 1, pin, 1, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX flags 4", cax(4, 1, pin, 1, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX PIN 0", cax(chg, 0, pin, 0, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX PIN 5", cax(chg, 5, pin, 5, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX PIN 8", cax(chg, 8, pin, 8, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX target 9", cax(chg, 1, pin, 9, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX retry count", cax(chg, 1, pin, 1, newPIN, 5), spec.SCardEInvalidParameter},
		{"CAX nil auth", cax(chg, 1, nil, 1, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX nil target", cax(chg, 1, pin, 1, nil, 0), spec.SCardEInvalidParameter},
		{"CAX new PIN of 5", cax(chg, 1, pin, 1, []byte("12345"), 0), spec.SCardEInvalidParameter},
		{"CAX PUK changes PIN", cax(chg, 4, puk, 1, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX PIN changes PUK", cax(chg, 1, pin, 4, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX admin changes PIN", cax(chg, 2, make([]byte, 8), 1, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX unblock with admin", cax(unb, 2, make([]byte, 8), 1, newPIN, 0), spec.SCardEUnsupportedFeature},
		{"CAX unblock PUK with PIN", cax(unb, 1, pin, 4, newPIN, 0), spec.SCardEInvalidParameter},
		{"CAX unblock PIN with PIN", cax(unb, 1, pin, 1, newPIN, 0), spec.SCardEInvalidParameter},
		{"UB admin", ub("admin", puk, newPIN, 0, pp), spec.SCardEInvalidParameter},
		{"UB unknown", ub("root", puk, newPIN, 0, pp), spec.SCardEInvalidParameter},
		{"UB nil PUK", ub("user", nil, newPIN, 0, pp), spec.SCardEInvalidParameter},
		{"UB nil new", ub("user", puk, nil, 0, pp), spec.SCardEInvalidParameter},
		{"UB challenge/response", ub("user", make([]byte, 8), newPIN, 0, cr), spec.SCardEUnsupportedFeature},
		{"UB flags 0", ub("user", puk, newPIN, 0, 0), spec.SCardEInvalidParameter},
		{"UB flags 4", ub("user", puk, newPIN, 0, 4), spec.SCardEInvalidParameter},
		{"UB retry count", ub("user", puk, newPIN, 1, pp), spec.SCardEInvalidParameter},
		{"UB new PIN of 5", ub("user", puk, []byte("12345"), 0, pp), spec.SCardEInvalidParameter},
	})
	if f.cnt.Commands != 0 || f.pinRetries() != 3 || f.pukRetries() != 3 {
		t.Errorf("rejected calls: %d commands, retries %d/%d", f.cnt.Commands, f.pinRetries(), f.pukRetries())
	}
	// Change the PIN and back; the target ends authenticated.
	runRows(t, []row{
		{"CA change", ca("user", pin, newPIN, 0, pp), 0},
		{"CA old PIN now wrong", ca("user", pin, newPIN, 0, pp), spec.SCardWWrongCHV},
	})
	if s := authState(t, ctx); s != 0 {
		t.Errorf("state after a failed change %#x", s)
	}
	runRows(t, []row{{"CA back", ca("user", newPIN, pin, 0, pp), 0}})
	if s := authState(t, ctx); !s.Has(spec.RoleUser) {
		t.Errorf("state after a change %#x", s)
	}
	runRows(t, []row{
		{"CAX change PIN", cax(chg, 1, pin, 1, newPIN, 0), 0},
		{"CAX change PIN 3 back", cax(chg, 3, newPIN, 3, pin, 0), 0},
		{"CAX change PUK", cax(chg, 4, puk, 4, []byte("87654321"), 0), 0},
		{"CAX change PUK back", cax(chg, 4, []byte("87654321"), 4, puk, 0), 0},
		{"CAX wrong PUK", cax(chg, 4, []byte("00000000"), 4, puk, 0), spec.SCardWWrongCHV},
	})
	if f.pukRetries() != 2 {
		t.Errorf("PUK retries %d", f.pukRetries())
	}
	runRows(t, []row{{"CAX PUK right again", cax(chg, 4, puk, 4, puk, 0), 0}})
	// Block the PIN, then unblock it with the PUK.
	for range 3 {
		ctx.AuthenticatePin("user", []byte("000000"))
	}
	if f.pinRetries() != 0 {
		t.Fatalf("PIN not blocked: %d", f.pinRetries())
	}
	runRows(t, []row{
		{"CA blocked", ca("user", pin, newPIN, 0, pp), spec.SCardWCHVBlocked},
		{"UB wrong PUK", ub("user", []byte("00000000"), newPIN, 0, pp), spec.SCardWWrongCHV},
		{"CAX unblock", cax(unb, 4, puk, 1, newPIN, 0), 0},
	})
	if s := authState(t, ctx); s != 0 || f.pinRetries() != 3 || f.pukRetries() != 3 {
		t.Errorf("after unblock: state %#x, retries %d/%d", s, f.pinRetries(), f.pukRetries())
	}
	for range 3 {
		ctx.AuthenticatePin("user", []byte("000000"))
	}
	runRows(t, []row{
		{"UB user with PUK", ub("user", puk, pin, 0, pp), 0},
		{"PIN after unblock", func() error { _, err := ctx.AuthenticatePin("user", pin); return err }, 0},
	})
	if f.pinRetries() != 3 {
		t.Errorf("PIN retries %d", f.pinRetries())
	}
}

// mgmResponse is the answer to an admin challenge: the challenge encrypted with the management
// key (3DES, one ECB block).
func mgmResponse(t *testing.T, key, challenge []byte) []byte {
	t.Helper()
	blk, err := des.NewTripleDESCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	if len(challenge) != 8 {
		t.Fatalf("challenge of %d bytes", len(challenge))
	}
	out := make([]byte, 8)
	blk.Encrypt(out, challenge)
	return out
}

func TestAdminChallenge(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	challenge := func() []byte {
		t.Helper()
		ch, err := ctx.GetChallenge()
		if err != nil {
			t.Fatal(err)
		}
		c := slices.Clone(ch)
		h.Free(ch)
		return c
	}
	// Without a challenge: WRONG_CHV and nothing sent.
	f.load(t)
	f.cnt.Commands = 0
	if _, err := ctx.AuthenticateChallenge(make([]byte, 8)); spec.StatusOf(err) != spec.SCardWWrongCHV || f.cnt.Commands != 0 {
		t.Errorf("response without challenge: %v, %d commands", err, f.cnt.Commands)
	}
	runRows(t, []row{
		{"nil response", func() error { _, err := ctx.AuthenticateChallenge(nil); return err }, spec.SCardEInvalidParameter},
		{"GetChallengeEx(1)", func() error { b, err := ctx.GetChallengeEx(1, 0); return freeErr(h, b, err) }, spec.SCardEInvalidParameter},
		{"GetChallengeEx(3)", func() error { b, err := ctx.GetChallengeEx(3, 0); return freeErr(h, b, err) }, spec.SCardEInvalidParameter},
		{"GetChallengeEx(4)", func() error { b, err := ctx.GetChallengeEx(4, 0); return freeErr(h, b, err) }, spec.SCardEInvalidParameter},
		{"GetChallengeEx flags", func() error { b, err := ctx.GetChallengeEx(2, 1); return freeErr(h, b, err) }, spec.SCardEInvalidParameter},
	})
	// The right response.
	ch := challenge()
	if _, err := ctx.AuthenticateChallenge(mgmResponse(t, vcard.DefaultMgmKey, ch)); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); !s.Has(spec.RoleAdmin) || s.Has(spec.RoleUser) {
		t.Errorf("state after admin login %#x", s)
	}
	// A response is good once.
	if _, err := ctx.AuthenticateChallenge(mgmResponse(t, vcard.DefaultMgmKey, ch)); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("replayed response: %v", err)
	}
	if s := authState(t, ctx); s.Has(spec.RoleAdmin) {
		t.Errorf("state after a failed admin login %#x", s)
	}
	// ... and the card agrees: the management key is no longer authenticated there.
	obj := piv.CertObject(piv.SlotRetired1 + 7)
	if err := piv.NewClient(f.p.Card, piv.ClientOptions{}).PutData(obj, []byte{1}); err == nil {
		t.Error("the card still accepts admin commands after a failed admin login")
	}
	// A wrong response, and one of a wrong length.
	challenge()
	if _, err := ctx.AuthenticateChallenge(make([]byte, 8)); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("wrong response: %v", err)
	}
	ch = challenge()
	if _, err := ctx.AuthenticateChallenge(mgmResponse(t, vcard.DefaultMgmKey, ch)[:7]); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("short response: %v", err)
	}
	// GetChallengeEx(ROLE_ADMIN) and AuthenticateEx(ROLE_ADMIN).
	b, err := ctx.GetChallengeEx(spec.RoleAdmin, 0)
	if err != nil || len(b) != 8 {
		t.Fatalf("GetChallengeEx: %X %v", b, err)
	}
	resp := mgmResponse(t, vcard.DefaultMgmKey, b)
	h.Free(b)
	if _, _, err := ctx.AuthenticateEx(spec.RoleAdmin, 0, resp, false); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); !s.Has(spec.RoleAdmin) {
		t.Errorf("state after AuthenticateEx(admin) %#x", s)
	}
	// 300 challenges, all distinct.
	seen := map[string]bool{}
	for i := range 300 {
		c := challenge()
		if seen[string(c)] {
			t.Fatalf("challenge %d repeats", i)
		}
		seen[string(c)] = true
	}
	// Change the management key with the response to a challenge.
	newKey := bytes.Repeat([]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, 3)
	ch = challenge()
	if _, err := ctx.ChangeAuthenticator("admin", mgmResponse(t, vcard.DefaultMgmKey, ch), newKey, 0, spec.CardAuthenticatePinChallengeResponse); err != nil {
		t.Fatal(err)
	}
	c := piv.NewClient(f.p.Card, piv.ClientOptions{})
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err == nil {
		t.Error("the old management key still works")
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, newKey); err != nil {
		t.Errorf("the new management key: %v", err)
	}
	// And back, through ChangeAuthenticatorEx(2 → 2).
	ch = challenge()
	if _, err := ctx.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 2, mgmResponse(t, newKey, ch), 2, vcard.DefaultMgmKey, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		t.Errorf("the default management key again: %v", err)
	}
	// A wrong response does not change the key.
	challenge()
	if _, err := ctx.ChangeAuthenticator("admin", make([]byte, 8), newKey, 0, spec.CardAuthenticatePinChallengeResponse); spec.StatusOf(err) != spec.SCardWWrongCHV {
		t.Errorf("change with a wrong response: %v", err)
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		t.Errorf("the management key changed: %v", err)
	}
}

func TestDeauthenticate(t *testing.T) {
	f := newFixture(t, nil)
	ctx, h := f.ctx, f.host
	runRows(t, []row{
		{"unknown user", func() error { return ctx.Deauthenticate("root", 0) }, spec.SCardEInvalidParameter},
		{"anonymous", func() error { return ctx.Deauthenticate("anonymous", 0) }, spec.SCardEInvalidParameter},
		{"flags", func() error { return ctx.Deauthenticate("user", 1) }, spec.SCardEInvalidParameter},
		{"Ex flags", func() error { return ctx.DeauthenticateEx(spec.PINSetAllRoles, 1) }, spec.SCardEInvalidParameter},
		{"Ex empty set", func() error { return ctx.DeauthenticateEx(0, 0) }, 0},
		{"Ex everyone only", func() error { return ctx.DeauthenticateEx(1, 0) }, 0},
		{"user when logged out", func() error { return ctx.Deauthenticate("user", 0) }, 0},
	})
	// Log in as admin and user, then log the user out only.
	ch, err := ctx.GetChallenge()
	if err != nil {
		t.Fatal(err)
	}
	resp := mgmResponse(t, vcard.DefaultMgmKey, ch)
	h.Free(ch)
	if _, err := ctx.AuthenticateChallenge(resp); err != nil {
		t.Fatal(err)
	}
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0x06 {
		t.Errorf("state %#x", s)
	}
	if err := ctx.Deauthenticate("user", 0); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0x04 {
		t.Errorf("state after user logout %#x", s)
	}
	d := sha256.Sum256([]byte("d"))
	si := &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d[:]}
	if err := ctx.SignData(si); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Errorf("sign after logout: %v", err)
	}
	// The card was not reset: the management key is still authenticated there (PUT DATA works
	// on the same card connection state).
	c := piv.NewClient(f.p.Card, piv.ClientOptions{})
	obj := piv.CertObject(piv.SlotRetired1 + 5)
	if err := c.PutData(obj, []byte{1}); err != nil {
		t.Errorf("management key status lost by the user logout: %v", err)
	}
	c.PutData(obj, nil)
	// Admin logout.
	if err := ctx.Deauthenticate("admin", 0); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0 {
		t.Errorf("state after admin logout %#x", s)
	}
	if err := c.PutData(obj, []byte{1}); err == nil {
		t.Error("management key still authenticated after Deauthenticate(admin)")
	}
	// DeauthenticateEx of the user keeps the admin, and the other way round.
	ch, _ = ctx.GetChallenge()
	resp = mgmResponse(t, vcard.DefaultMgmKey, ch)
	h.Free(ch)
	if _, err := ctx.AuthenticateChallenge(resp); err != nil {
		t.Fatal(err)
	}
	ctx.AuthenticatePin("user", enginetest.PIN)
	if err := ctx.DeauthenticateEx(spec.CreatePINSet(spec.RoleAdmin), 0); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0x02 {
		t.Errorf("state after DeauthenticateEx(admin) %#x", s)
	}
	if err := ctx.DeauthenticateEx(spec.CreatePINSet(3), 0); err != nil {
		t.Fatal(err)
	}
	if s := authState(t, ctx); s != 0 {
		t.Errorf("state after DeauthenticateEx(3) %#x", s)
	}
	if f.pinRetries() != 3 {
		t.Errorf("PIN retries %d", f.pinRetries())
	}
}
