package engine_test

// Fault injection for the write flows (issue 5): "a card pulled out (or a connection lost)
// between any two APDUs of a write leaves the card in the old state or the new one, never a
// container that points at a missing key or a certificate that belongs to no container."
//
// TestWriteFlowsSurviveCuts runs every write flow once without faults to learn its APDU count N
// and its "before" and "after" states, then, for cut = 0..N-1, runs it on an identical card
// through an apdu.FaultTransport that passes cut commands and refuses every later one, and checks
// the card through a fresh context (new module, card reset as after a removal). A flow made of
// several minidriver calls (CreateFile + WriteFile, the Windows enrollment sequence) may also stop
// between two calls: a cut during a call must leave the state before that call or after it.
//
// Identical cards: the starting card of a flow is built once (vcard state, setup steps run
// through a normal context) and saved; every cut opens its own card from that saved state
// (vcard.Open of a state file: the vcard package has no in-memory restore). The files live in
// /dev/shm when it is writable, because a vcard backed by a file fsyncs after every change
// (~30 ms on a disk, ~0.3 ms on tmpfs).

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

// ---------------------------------------------------------------------------------------------
// Card images: one saved card state, opened as many identical cards as needed.

type faultImage struct {
	dir   string
	state []byte
}

// faultImageDir returns a directory for state files: tmpfs when available.
func faultImageDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "cardmod-fault-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func saveFaultImage(t testing.TB, dir string, card *vcard.Card) *faultImage {
	t.Helper()
	data, err := card.Snapshot().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return &faultImage{dir: dir, state: data}
}

// open returns a new card in the image's state (removed when the test ends).
func (im *faultImage) open(t testing.TB) *vcard.Card {
	t.Helper()
	f, err := os.CreateTemp(im.dir, "card-*.json")
	if err != nil {
		t.Fatal(err)
	}
	path := f.Name()
	t.Cleanup(func() { os.Remove(path) })
	if _, err := f.Write(im.state); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	card, err := vcard.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return card
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates the flows use, made once.

type faultEnv struct {
	dir      string
	rsaKey   *rsa.PrivateKey   // imported (CAPI PRIVATEKEYBLOB)
	ecdsaKey *ecdsa.PrivateKey // imported (BCrypt ECDSA P-256 private blob)
	ecdhKey  *ecdsa.PrivateKey // imported (BCrypt ECDH P-256 private blob)
	other    *ecdsa.PrivateKey // a key no card holds
	ca       ed25519.PrivateKey
	empty    *faultImage // no key, default management key
	standard *faultImage // enginetest.StandardKeys, no map, default management key
	stdPub   map[byte]crypto.PublicKey
}

// newFaultEnv builds the keys and starting cards of a test (the standard card only when asked:
// it costs two RSA key generations).
func newFaultEnv(t *testing.T, standard bool) *faultEnv {
	t.Helper()
	e := &faultEnv{dir: faultImageDir(t)}
	var err error
	if e.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	e.ecdsaKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e.ecdhKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e.other, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, e.ca, _ = ed25519.GenerateKey(rand.Reader)
	e.empty = saveFaultImage(t, e.dir, enginetest.Provision(t, nil).Card)
	if standard {
		ps := enginetest.Provision(t, enginetest.StandardKeys)
		e.standard = saveFaultImage(t, e.dir, ps.Card)
		e.stdPub = ps.Pub
	}
	return e
}

// cert returns a certificate for pub, issued by the test CA. Ed25519 signatures are
// deterministic, so the same key and name always give the same bytes.
func (e *faultEnv) cert(pub crypto.PublicKey, cn string) ([]byte, error) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	issuer := &x509.Certificate{Subject: pkix.Name{CommonName: "cardmod fault CA"}}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(len(cn)) + 7), Subject: pkix.Name{CommonName: cn},
		NotBefore: t0, NotAfter: t0.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	return x509.CreateCertificate(rand.Reader, tmpl, issuer, pub, e.ca)
}

// ---------------------------------------------------------------------------------------------
// Sessions: a context on a card through a FaultTransport (healed during the setup).

type faultSess struct {
	e    *faultEnv
	card *vcard.Card
	rec  *faultRecorder
	ft   *apdu.FaultTransport
	ctx  *engine.Context
	host *refhost.Host
	// onStep, when set, is called after each minidriver call of a flow of several calls.
	onStep func()
}

// step marks the end of one call of a flow of several calls.
func (s *faultSess) step() {
	if s.onStep != nil {
		s.onStep()
	}
}

// faultRecorder is a transport that records the instruction byte of every command it carries.
type faultRecorder struct {
	t   apdu.Transport
	mu  sync.Mutex
	ins []byte
}

func (r *faultRecorder) Transmit(cmd []byte) ([]byte, error) {
	r.mu.Lock()
	if len(cmd) >= 2 {
		r.ins = append(r.ins, cmd[1])
	}
	r.mu.Unlock()
	return r.t.Transmit(cmd)
}

func (r *faultRecorder) take() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.ins
	r.ins = nil
	return out
}

// faultWriteINS are the instructions that change a card.
var faultWriteINS = map[byte]string{piv.InsPutData: "PUT DATA", piv.InsGenerateAsymmetric: "GENERATE",
	piv.InsImportKey: "IMPORT", piv.InsSetMgmKey: "SET MGM KEY", piv.InsChangeReference: "CHANGE REFERENCE",
	piv.InsResetRetryCounter: "RESET RETRY", piv.InsReset: "RESET", piv.InsSetPINRetries: "SET PIN RETRIES",
	piv.InsMoveKey: "MOVE KEY"}

var faultINSNames = map[byte]string{piv.InsSelect: "SELECT", piv.InsGetData: "GET DATA", piv.InsVerify: "VERIFY",
	piv.InsGeneralAuth: "GENERAL AUTH", piv.InsGetResponse: "GET RESPONSE", piv.InsGetVersion: "VERSION",
	piv.InsGetSerial: "SERIAL", piv.InsGetMetadata: "METADATA"}

func faultINSName(ins byte) string {
	if n, ok := faultWriteINS[ins]; ok {
		return n
	}
	if n, ok := faultINSNames[ins]; ok {
		return n
	}
	return fmt.Sprintf("INS %02X", ins)
}

// openFaultSess acquires a context on card (through a healed FaultTransport), verifies the PIN and
// reads cardcf, as the Base CSP does at the start of a transaction.
func openFaultSess(t testing.TB, e *faultEnv, card *vcard.Card, ext bool) *faultSess {
	t.Helper()
	rec := &faultRecorder{t: card}
	ft := apdu.NewFaultTransport(rec, 0)
	ft.Heal()
	ctx, h := enginetest.Acquire(t, engine.NewModule(), ft, ext)
	if _, err := ctx.AuthenticatePin(spec.CardUserUser, enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	if _, err := ctx.ReadFile("", spec.FileCache, 0); err != nil {
		t.Fatal(err)
	}
	rec.take()
	return &faultSess{e: e, card: card, rec: rec, ft: ft, ctx: ctx, host: h}
}

// pub returns the public key and key spec of container idx.
func (s *faultSess) pub(idx byte) (crypto.PublicKey, spec.KeySpec, error) {
	info := engine.ContainerInfo{Version: spec.ContainerInfoCurrentVersion}
	if err := s.ctx.GetContainerInfo(idx, 0, &info); err != nil {
		return nil, 0, err
	}
	pub, ks, _, err := faultParseInfo(info)
	return pub, ks, err
}

func faultParseInfo(info engine.ContainerInfo) (crypto.PublicKey, spec.KeySpec, []byte, error) {
	blob, sig := info.SigPublicKey, true
	if blob == nil {
		blob, sig = info.KeyExPublicKey, false
	}
	if len(blob) == 0 {
		return nil, 0, nil, errors.New("container info without key")
	}
	if blob[0] == spec.PublicKeyBlob {
		k, _, err := spec.ParseRSAPublicKeyBlob(blob)
		if err != nil {
			return nil, 0, nil, err
		}
		if sig {
			return k, spec.ATSignature, blob, nil
		}
		return k, spec.ATKeyExchange, blob, nil
	}
	k, magic, err := spec.ParseECCPublicKeyBlob(blob)
	if err != nil {
		return nil, 0, nil, err
	}
	ks, _, _ := spec.ECCMagicInfo(magic)
	return k, ks, blob, nil
}

// certFor returns a certificate for container idx's key.
func (s *faultSess) certFor(idx byte, cn string) ([]byte, error) {
	pub, _, err := s.pub(idx)
	if err != nil {
		return nil, err
	}
	return s.e.cert(pub, cn)
}

// createWrite is CardCreateFile followed by CardWriteFile.
func (s *faultSess) createWrite(dir, name string, data []byte) error {
	if err := s.ctx.CreateFile(dir, name, 0, spec.EveryoneReadUserWriteAc); err != nil {
		return err
	}
	s.step()
	return s.ctx.WriteFile(dir, name, 0, data)
}

// bumpCardcf reads cardcf, increments a counter and writes it back, as the Base CSP does.
func (s *faultSess) bumpCardcf(containers, files bool) error {
	b, err := s.ctx.ReadFile("", spec.FileCache, 0)
	if err != nil {
		return err
	}
	cf, err := spec.ParseCacheFile(b)
	if err != nil {
		return err
	}
	if containers {
		cf.BumpContainers()
	}
	if files {
		cf.BumpFiles()
	}
	return s.ctx.WriteFile("", spec.FileCache, 0, cf.MarshalBinary())
}

// editCmapfile reads cmapfile, lets edit change the records and writes it back.
func (s *faultSess) editCmapfile(edit func(recs []spec.ContainerMapRecord) ([]spec.ContainerMapRecord, error)) error {
	b, err := s.ctx.ReadFile("mscp", spec.FileContainerMap, 0)
	if err != nil {
		return err
	}
	recs, err := spec.ParseContainerMap(b)
	if err != nil {
		return err
	}
	if recs, err = edit(recs); err != nil {
		return err
	}
	return s.ctx.WriteFile("mscp", spec.FileContainerMap, 0, spec.MarshalContainerMap(recs))
}

const (
	faultKeyGen    = spec.CardCreateContainerKeyGen
	faultKeyImport = spec.CardCreateContainerKeyImport
)

func faultDword(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// faultData is deterministic content of n bytes.
func faultData(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7) + byte(i>>8)
	}
	return b
}

// ---------------------------------------------------------------------------------------------
// What the minidriver shows of a card.

type faultContainer struct {
	idx  byte
	ks   spec.KeySpec
	pin  uint32
	blob []byte
	pub  crypto.PublicKey
	der  []byte // PKIX
}

type faultFile struct {
	dir, name string
	ac        spec.FileAccessCondition
	content   []byte
}

type faultView struct {
	cardcf   []byte
	cmap     []byte
	conts    []faultContainer
	files    []faultFile
	dirs     []string
	problems []string
}

// faultDirs are the directories the flows create.
var faultDirs = []string{"newdir"}

// readFaultView reads the card through ctx (PIN verified).
func readFaultView(ctx *engine.Context) *faultView {
	v := &faultView{}
	bad := func(format string, args ...any) { v.problems = append(v.problems, fmt.Sprintf(format, args...)) }
	var err error
	if v.cardcf, err = ctx.ReadFile("", spec.FileCache, 0); err != nil {
		bad("cardcf: %v", err)
	}
	if v.cmap, err = ctx.ReadFile("mscp", spec.FileContainerMap, 0); err != nil {
		bad("cmapfile: %v", err)
	}
	present := map[byte]bool{}
	for idx := byte(0); idx < 24; idx++ {
		info := engine.ContainerInfo{Version: spec.ContainerInfoCurrentVersion}
		err := ctx.GetContainerInfo(idx, 0, &info)
		if spec.StatusOf(err) == spec.SCardENoKeyContainer {
			continue
		}
		if err != nil {
			bad("container %d: %v", idx, err)
			continue
		}
		pub, ks, blob, err := faultParseInfo(info)
		if err != nil {
			bad("container %d: %v", idx, err)
			continue
		}
		der, _ := x509.MarshalPKIXPublicKey(pub)
		cv := faultContainer{idx: idx, ks: ks, blob: blob, pub: pub, der: der}
		if p, err := ctx.GetContainerProperty(idx, spec.CCPPINIdentifier, 0, 0); err != nil || len(p.Data) != 4 {
			bad("container %d PIN identifier: %v", idx, err)
		} else {
			cv.pin = binary.LittleEndian.Uint32(p.Data)
		}
		present[idx] = true
		v.conts = append(v.conts, cv)
	}
	if recs, err := spec.ParseContainerMap(v.cmap); err != nil {
		bad("cmapfile: %v", err)
	} else {
		for i, r := range recs {
			if r.Valid() && !present[byte(i)] {
				bad("cmapfile record %d is a valid container but CardGetContainerInfo finds no key", i)
			}
		}
		for idx := range present {
			if int(idx) >= len(recs) || !recs[idx].Valid() {
				bad("container %d has no valid cmapfile record", idx)
			}
		}
	}
	dirs := []string{"", "mscp"}
	for _, d := range faultDirs {
		_, err := ctx.EnumFiles(d, 0)
		switch spec.StatusOf(err) {
		case spec.SCardEDirNotFound:
			continue
		case 0, spec.SCardEFileNotFound:
		default:
			bad("directory %s: %v", d, err)
			continue
		}
		v.dirs = append(v.dirs, d)
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		list, err := ctx.EnumFiles(d, 0)
		if spec.StatusOf(err) == spec.SCardEFileNotFound {
			continue
		}
		if err != nil {
			bad("enum %q: %v", d, err)
			continue
		}
		for _, name := range spec.ParseMultiStringANSI(list) {
			if d == "" && name == spec.FileCache {
				continue
			}
			if d == "mscp" && name == spec.FileContainerMap {
				continue
			}
			fi, err := ctx.GetFileInfo(d, name)
			if err != nil {
				bad("file info %s/%s: %v", d, name, err)
				continue
			}
			content, err := ctx.ReadFile(d, name, 0)
			if err != nil {
				bad("read %s/%s: %v", d, name, err)
				continue
			}
			if int(fi.FileSize) != len(content) {
				bad("%s/%s: size %d, %d bytes read", d, name, fi.FileSize, len(content))
			}
			v.files = append(v.files, faultFile{d, name, fi.AccessCondition, content})
		}
	}
	return v
}

// faultKeys is the set of public keys (PKIX DER) the test knows; a key outside it was generated by
// the card during the flow and is compared as "generated".
type faultKeys map[string]bool

func (k faultKeys) add(pub crypto.PublicKey) {
	if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
		k[string(der)] = true
	}
}

func faultHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:6])
}

func (k faultKeys) label(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "unencodable"
	}
	if k[string(der)] {
		return "key " + faultHash(der)
	}
	return "generated key"
}

// norm renders a view for comparison, with keys generated on the card anonymized.
func (v *faultView) norm(k faultKeys, cardcf bool) string {
	var b strings.Builder
	if cardcf {
		fmt.Fprintf(&b, "cardcf %X\n", v.cardcf)
	}
	fmt.Fprintf(&b, "cmapfile %s\n", hex.EncodeToString(v.cmap))
	for _, c := range v.conts {
		fmt.Fprintf(&b, "container %d keyspec %d pin %d %s\n", c.idx, c.ks, c.pin, k.label(c.pub))
	}
	for _, f := range v.files {
		what := fmt.Sprintf("data %d bytes %s", len(f.content), faultHash(f.content))
		if cert, err := x509.ParseCertificate(f.content); err == nil {
			if l := k.label(cert.PublicKey); l == "generated key" {
				what = fmt.Sprintf("certificate CN=%s for a generated key", cert.Subject.CommonName)
			} else {
				what = fmt.Sprintf("certificate %s CN=%s for %s", faultHash(f.content), cert.Subject.CommonName, l)
			}
		}
		fmt.Fprintf(&b, "file %s/%s ac %d %s\n", f.dir, f.name, f.ac, what)
	}
	for _, d := range v.dirs {
		fmt.Fprintf(&b, "directory %s\n", d)
	}
	for _, p := range v.problems {
		fmt.Fprintf(&b, "PROBLEM %s\n", p)
	}
	return b.String()
}

func (v *faultView) container(idx byte) *faultContainer {
	for i := range v.conts {
		if v.conts[i].idx == idx {
			return &v.conts[i]
		}
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// The invariants.

// faultSlots are the 24 container slots.
var faultSlots = func() []byte {
	s := []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth}
	for r := piv.SlotRetired1; r <= piv.SlotRetired20; r++ {
		s = append(s, r)
	}
	return s
}()

// faultCertObjects reads the certificate objects of every container slot with a plain PIV client.
func faultCertObjects(t testing.TB, card apdu.Transport) map[byte][]byte {
	t.Helper()
	c := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
	if _, err := c.Select(); err != nil {
		t.Fatal(err)
	}
	out := map[byte][]byte{}
	for _, s := range faultSlots {
		obj, err := c.GetData(piv.CertObject(s))
		if errors.Is(err, apdu.SWFileNotFound) {
			continue
		}
		if err != nil {
			t.Errorf("GET DATA certificate %02X: %v", s, err)
			continue
		}
		out[s] = obj
	}
	return out
}

// faultSlotKey reads a slot's public key (GET METADATA); nil when the slot is empty.
func faultSlotKey(c *piv.Client, slot byte) crypto.PublicKey {
	md, err := c.Metadata(slot)
	if err != nil || len(md[0x01]) != 1 {
	}
	pub, err := piv.ParsePublicKey(md[0x01][0], md[0x04])
	if err != nil {
	}
	return pub
}

// faultCertObjectKey extracts the public key of a PIV certificate object.
func faultCertObjectKey(obj []byte) (crypto.PublicKey, error) {
	der, ok, err := tlv.Find(obj, piv.TagCertificate)
	if err != nil || !ok {
		return nil, fmt.Errorf("no certificate in the object")
	}
	if info, ok, _ := tlv.Find(obj, piv.TagCertInfo); ok && len(info) == 1 && info[0]&1 != 0 {
		zr, err := gzip.NewReader(bytes.NewReader(der))
		if err != nil {
			return nil, err
		}
		if der, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return cert.PublicKey, nil
}

func faultSameKey(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	x, ok := a.(eq)
	return ok && b != nil && x.Equal(b)
}

// checkFaultCard opens a fresh context on card (reset, as after a removal; new module), reads its
// view and checks invariants (b) keys really in their slots, (c) certificates belong to their
// containers and no stray certificate object, (d) a write with the PIN alone still works.
// beforeObjs are the certificate objects before the flow (nil for the reference states). The
// card is changed by the write check (a root file "probe").
func checkFaultCard(t testing.TB, card *vcard.Card, ext bool, beforeObjs map[byte][]byte) *faultView {
	t.Helper()
	card.Reset()
	ctx, _ := enginetest.Acquire(t, engine.NewModule(), card, ext)
	if _, err := ctx.AuthenticatePin(spec.CardUserUser, enginetest.PIN); err != nil {
		t.Fatalf("fresh context: PIN: %v", err)
	}
	v := readFaultView(ctx)
	for _, p := range v.problems {
		t.Errorf("fresh context: %s", p)
	}

	// (b) every container signs with the key it reports.
	for _, c := range v.conts {
		if c.pin == 3 {
			if _, _, err := ctx.AuthenticateEx(3, 0, enginetest.PIN, false); err != nil {
				t.Errorf("container %d: PIN 3: %v", c.idx, err)
				continue
			}
		}
		d := sha256.Sum256([]byte(fmt.Sprintf("container %d", c.idx)))
		si := &engine.SigningInfo{Version: spec.CardSigningInfoCurrentVersion, ContainerIndex: c.idx, KeySpec: c.ks,
			HashAlg: spec.CALGSHA256, Data: d[:]}
		if err := ctx.SignData(si); err != nil {
			t.Errorf("container %d: CardSignData: %v", c.idx, err)
			continue
		}
		sig := slices.Clone(si.SignedData)
		switch pub := c.pub.(type) {
		case *rsa.PublicKey:
			slices.Reverse(sig)
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
				t.Errorf("container %d: the signature does not verify with the container's public key: %v", c.idx, err)
			}
		case *ecdsa.PublicKey:
			n := len(sig) / 2
			r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
			if !ecdsa.Verify(pub, d[:], r, s) {
				t.Errorf("container %d: the signature does not verify with the container's public key", c.idx)
			}
		}
	}

	// (c) certificate files carry their container's key.
	for _, f := range v.files {
		if f.dir != "mscp" {
			continue
		}
		_, idx, ok := spec.ParseCertFileName(f.name)
		if !ok {
			continue
		}
		c := v.container(idx)
		if c == nil {
			t.Errorf("certificate file %s without container", f.name)
			continue
		}
		cert, err := x509.ParseCertificate(f.content)
		if err != nil {
			t.Errorf("certificate file %s: %v", f.name, err)
			continue
		}
		if !faultSameKey(c.pub, cert.PublicKey) {
			t.Errorf("certificate file %s: its key is not container %d's", f.name, idx)
		}
	}
	// (c) no certificate object in a slot no container uses (unless it was there before), and
	// none describing another key than the slot's.
	objs := faultCertObjects(t, card)
	pc := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
	if _, err := pc.Select(); err != nil {
		t.Fatal(err)
	}
	for _, s := range faultSlots {
		obj, ok := objs[s]
		if !ok {
			continue
		}
		if beforeObjs != nil && bytes.Equal(beforeObjs[s], obj) {
			continue
		}
		key := faultSlotKey(pc, s)
		used := false
		for _, c := range v.conts {
			used = used || faultSameKey(c.pub, key)
		}
		certKey, err := faultCertObjectKey(obj)
		switch {
		case err != nil:
			t.Errorf("certificate object %02X: %v", s, err)
		case key == nil:
			t.Errorf("certificate object %02X in a slot without key", s)
		case !faultSameKey(key, certKey):
			t.Errorf("certificate object %02X describes another key than the slot's", s)
		case !used:
			t.Errorf("certificate object %02X belongs to no container", s)
		}
	}

	// (d) the PIN alone still allows a write (the management key was not lost).
	card.Reset()
	ctx2, _ := enginetest.Acquire(t, engine.NewModule(), card, ext)
	if _, err := ctx2.AuthenticatePin(spec.CardUserUser, enginetest.PIN); err != nil {
		t.Fatalf("write check: PIN: %v", err)
	}
	if err := ctx2.CreateFile("", "probe", 0, spec.EveryoneReadUserWriteAc); err != nil {
		t.Errorf("write check: a write with the PIN alone fails: %v", err)
	}
	card.Reset()
	return v
}

// checkFaultRetries verifies that the PIN and PUK retry counters are full.
func checkFaultRetries(t testing.TB, card *vcard.Card) {
	t.Helper()
	st := card.Snapshot()
	if st.PIN.Remaining != st.PIN.Retries || st.PUK.Remaining != st.PUK.Retries {
		t.Errorf("retry counters: PIN %d/%d, PUK %d/%d", st.PIN.Remaining, st.PIN.Retries, st.PUK.Remaining, st.PUK.Retries)
	}
}

// ---------------------------------------------------------------------------------------------
// The flows.

type faultFlow struct {
	name      string
	start     func(e *faultEnv) *faultImage
	shortAPDU bool                             // short APDUs (command chaining) instead of extended length
	slow      bool                             // generates an RSA key on the card: in -short mode, only some cuts
	cardcf    bool                             // cardcf is part of the state compared (flows that only write cardcf)
	setup     func(t testing.TB, s *faultSess) // runs without faults on the starting card
	run       func(s *faultSess) error
}

func faultStartEmpty(e *faultEnv) *faultImage    { return e.empty }
func faultStartStandard(e *faultEnv) *faultImage { return e.standard }

func faultMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Setup steps.
func faultImportRSA(t testing.TB, s *faultSess, idx byte) {
	t.Helper()
	faultMust(t, s.ctx.CreateContainerEx(idx, faultKeyImport, spec.ATKeyExchange, 0,
		spec.MarshalRSAPrivateKeyBlob(s.e.rsaKey, spec.CALGRSAKeyX), spec.RoleUser))
}

func faultGenP256(t testing.TB, s *faultSess, idx byte) {
	t.Helper()
	faultMust(t, s.ctx.CreateContainerEx(idx, faultKeyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser))
}

func faultSetupCert(t testing.TB, s *faultSess, idx byte, name, cn string) {
	t.Helper()
	der, err := s.certFor(idx, cn)
	faultMust(t, err)
	faultMust(t, s.createWrite("mscp", name, der))
}

func faultWindowsEnroll(ks spec.KeySpec, bits uint32, certName string) func(s *faultSess) error {
	return func(s *faultSess) error {
		if err := s.ctx.CreateContainerEx(0, faultKeyGen, ks, bits, nil, spec.RoleUser); err != nil {
			return err
		}
		s.step()
		err := s.editCmapfile(func(recs []spec.ContainerMapRecord) ([]spec.ContainerMapRecord, error) {
			if len(recs) < 1 {
				return nil, errors.New("cmapfile without record 0")
			}
			if err := recs[0].SetName("{6F9619FF-8B86-D011-B42D-00C04FC964FF}"); err != nil {
				return nil, err
			}
			recs[0].Flags = spec.ContainerMapValidContainer | spec.ContainerMapDefaultContainer
			return recs, nil
		})
		if err != nil {
			return err
		}
		s.step()
		if err := s.bumpCardcf(true, false); err != nil {
			return err
		}
		s.step()
		der, err := s.certFor(0, "windows enrollment")
		if err != nil {
			return err
		}
		if err := s.createWrite("mscp", certName, der); err != nil {
			return err
		}
		s.step()
		return s.bumpCardcf(false, true)
	}
}

func faultFlows() []faultFlow {
	withRSA := func(t testing.TB, s *faultSess) { faultImportRSA(t, s, 0) }
	withRSACert := func(t testing.TB, s *faultSess) {
		faultImportRSA(t, s, 0)
		faultSetupCert(t, s, 0, "kxc00", "first")
	}
	withP256 := func(t testing.TB, s *faultSess) { faultGenP256(t, s, 0) }
	// A container as Windows leaves it: named by the CSP, with a certificate.
	withRenamed := func(t testing.TB, s *faultSess) {
		faultGenP256(t, s, 0)
		faultSetupCert(t, s, 0, "ksc00", "renamed")
		faultMust(t, s.editCmapfile(func(recs []spec.ContainerMapRecord) ([]spec.ContainerMapRecord, error) {
			return recs, recs[0].SetName("{1D6B3C9A-5E2F-4B7D-8C1E-3A9F0B4D2E6C}")
		}))
	}
	withBigFile := func(t testing.TB, s *faultSess) {
		faultGenP256(t, s, 0)
		faultMust(t, s.createWrite("mscp", "big", faultData(5000, 1)))
	}
	return []faultFlow{
		// First writes on a card with the default management key (policy protect).
		{name: "first-keygen-rsa2048", start: faultStartEmpty, slow: true, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyGen, spec.ATKeyExchange, 2048, nil, spec.RoleUser)
		}},
		{name: "first-keygen-p256-ecdsa", start: faultStartEmpty, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser)
		}},
		{name: "first-keygen-p256-ecdh", start: faultStartEmpty, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyGen, spec.ATECDHEP256, 0, nil, spec.RoleUser)
		}},
		{name: "first-import-rsa-capi", start: faultStartEmpty, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyImport, spec.ATKeyExchange, 0,
				spec.MarshalRSAPrivateKeyBlob(s.e.rsaKey, spec.CALGRSAKeyX), spec.RoleUser)
		}},
		{name: "first-import-ecdsa-bcrypt", start: faultStartEmpty, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyImport, spec.ATECDSAP256, 0,
				spec.MarshalECCPrivateKeyBlob(s.e.ecdsaKey, spec.ECDSAPrivateP256Magic), spec.RoleUser)
		}},
		{name: "first-import-ecdh-bcrypt-standard", start: faultStartStandard, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(4, faultKeyImport, spec.ATECDHEP256, 0,
				spec.MarshalECCPrivateKeyBlob(s.e.ecdhKey, spec.ECDHPrivateP256Magic), spec.RoleUser)
		}},
		{name: "first-cardcf-write", start: faultStartEmpty, cardcf: true, run: func(s *faultSess) error {
			return s.bumpCardcf(true, true)
		}},
		// Containers that exist.
		{name: "overwrite-enrolled", start: faultStartEmpty, setup: func(t testing.TB, s *faultSess) {
			faultGenP256(t, s, 0)
			faultSetupCert(t, s, 0, "ksc00", "old")
		}, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser)
		}},
		{name: "overwrite-enrolled-other-slot", start: faultStartEmpty, setup: func(t testing.TB, s *faultSess) {
			faultGenP256(t, s, 0)
			faultSetupCert(t, s, 0, "ksc00", "old")
		}, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyGen, spec.ATECDSAP256, 0, nil, 3) // to 9C
		}},
		{name: "overwrite-renamed", start: faultStartEmpty, setup: withRenamed, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser)
		}},
		{name: "delete-container-renamed", start: faultStartEmpty, setup: withRenamed, run: func(s *faultSess) error {
			return s.ctx.DeleteContainer(0, 0)
		}},
		{name: "overwrite-standard", start: faultStartStandard, run: func(s *faultSess) error {
			return s.ctx.CreateContainerEx(0, faultKeyGen, spec.ATECDSAP256, 0, nil, spec.RoleUser)
		}},
		{name: "delete-container", start: faultStartEmpty, setup: withRSACert, run: func(s *faultSess) error {
			return s.ctx.DeleteContainer(0, 0)
		}},
		{name: "delete-container-standard", start: faultStartStandard, run: func(s *faultSess) error {
			return s.ctx.DeleteContainer(2, 0)
		}},
		{name: "pin-identifier", start: faultStartEmpty, setup: withP256, run: func(s *faultSess) error {
			return s.ctx.SetContainerProperty(0, spec.CCPPINIdentifier, faultDword(3), 0)
		}},
		// Certificates.
		{name: "cert-write", start: faultStartEmpty, setup: withRSA, run: func(s *faultSess) error {
			der, err := s.certFor(0, "new")
			if err != nil {
				return err
			}
			return s.createWrite("mscp", "kxc00", der)
		}},
		{name: "cert-write-short-apdus", start: faultStartEmpty, shortAPDU: true, setup: withRSA, run: func(s *faultSess) error {
			der, err := s.certFor(0, "new")
			if err != nil {
				return err
			}
			return s.createWrite("mscp", "kxc00", der)
		}},
		{name: "cert-write-compressed", start: faultStartEmpty, setup: withRSA, run: func(s *faultSess) error {
			der, err := s.certFor(0, "new compressed")
			if err != nil {
				return err
			}
			return s.createWrite("mscp", "kxc00", spec.CompressWindowsCert(der))
		}},
		{name: "cert-replace", start: faultStartEmpty, setup: withRSACert, run: func(s *faultSess) error {
			der, err := s.certFor(0, "second")
			if err != nil {
				return err
			}
			return s.ctx.WriteFile("mscp", "kxc00", 0, der)
		}},
		{name: "cert-replace-standard", start: faultStartStandard, run: func(s *faultSess) error {
			der, err := s.certFor(0, "renewed")
			if err != nil {
				return err
			}
			return s.ctx.WriteFile("mscp", "kxc00", 0, der)
		}},
		{name: "cert-delete", start: faultStartEmpty, setup: withRSACert, run: func(s *faultSess) error {
			return s.ctx.DeleteFile("mscp", "kxc00", 0)
		}},
		// The container map and cardcf.
		{name: "cmapfile-write", start: faultStartEmpty, setup: func(t testing.TB, s *faultSess) {
			faultImportRSA(t, s, 0)
			faultGenP256(t, s, 1)
		}, run: func(s *faultSess) error {
			return s.editCmapfile(func(recs []spec.ContainerMapRecord) ([]spec.ContainerMapRecord, error) {
				if len(recs) < 2 {
					return nil, errors.New("cmapfile: fewer than 2 records")
				}
				if err := recs[0].SetName("renamed container"); err != nil {
					return nil, err
				}
				recs[0].Flags &^= spec.ContainerMapDefaultContainer
				recs[1].Flags |= spec.ContainerMapDefaultContainer
				return recs, nil
			})
		}},
		{name: "cmapfile-write-standard", start: faultStartStandard, run: func(s *faultSess) error {
			return s.editCmapfile(func(recs []spec.ContainerMapRecord) ([]spec.ContainerMapRecord, error) {
				if len(recs) < 3 {
					return nil, errors.New("cmapfile: fewer than 3 records")
				}
				if err := recs[2].SetName("{0B2A5B8E-0000-4000-8000-00000000000D}"); err != nil {
					return nil, err
				}
				recs[0].Flags &^= spec.ContainerMapDefaultContainer
				recs[2].Flags |= spec.ContainerMapDefaultContainer
				return recs, nil
			})
		}},
		{name: "cardcf-write", start: faultStartEmpty, cardcf: true, setup: withRSA, run: func(s *faultSess) error {
			return s.bumpCardcf(true, false)
		}},
		// Files and directories.
		{name: "file-create-5000", start: faultStartEmpty, setup: withP256, run: func(s *faultSess) error {
			return s.createWrite("mscp", "big", faultData(5000, 1))
		}},
		{name: "file-create-5000-short-apdus", start: faultStartEmpty, shortAPDU: true, setup: withP256, run: func(s *faultSess) error {
			return s.createWrite("mscp", "big", faultData(5000, 1))
		}},
		{name: "file-overwrite", start: faultStartEmpty, setup: withBigFile, run: func(s *faultSess) error {
			return s.ctx.WriteFile("mscp", "big", 0, faultData(5000, 2))
		}},
		{name: "file-delete", start: faultStartEmpty, setup: withBigFile, run: func(s *faultSess) error {
			return s.ctx.DeleteFile("mscp", "big", 0)
		}},
		{name: "dir-create", start: faultStartEmpty, setup: withP256, run: func(s *faultSess) error {
			return s.ctx.CreateDirectory("newdir", spec.UserCreateDeleteDirAc)
		}},
		{name: "dir-delete", start: faultStartEmpty, setup: func(t testing.TB, s *faultSess) {
			faultGenP256(t, s, 0)
			faultMust(t, s.ctx.CreateDirectory("newdir", spec.UserCreateDeleteDirAc))
		}, run: func(s *faultSess) error {
			return s.ctx.DeleteDirectory("newdir")
		}},
		// What Windows does to enroll a certificate, on an empty card.
		{name: "windows-enroll-p256", start: faultStartEmpty, run: faultWindowsEnroll(spec.ATECDSAP256, 0, "ksc00")},
		{name: "windows-enroll-rsa2048", start: faultStartEmpty, slow: true, run: faultWindowsEnroll(spec.ATKeyExchange, 2048, "kxc00")},
	}
}

// runFaultFlow runs a flow, turning a panic into an error.
func runFaultFlow(f faultFlow, s *faultSess) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			err, panicked = fmt.Errorf("panic: %v\n%s", r, debug.Stack()), true
		}
	}()
	return f.run(s), false
}

func TestWriteFlowsSurviveCuts(t *testing.T) {
	e := newFaultEnv(t, true)
	start := time.Now()
	var mu sync.Mutex
	var summary []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		slices.Sort(summary)
		t.Logf("flows (%s):\n%s", time.Since(start).Round(time.Millisecond), strings.Join(summary, "\n"))
	})
	for _, f := range faultFlows() {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			ext := !f.shortAPDU
			// The starting card.
			base := f.start(e).open(t)
			if f.setup != nil {
				f.setup(t, openFaultSess(t, e, base, ext))
			}
			base.Reset()
			img := saveFaultImage(t, e.dir, base)

			// Before: view, certificate objects.
			bc := img.open(t)
			beforeObjs := faultCertObjects(t, bc)
			before := checkFaultCard(t, bc, ext, nil)
			known := faultKeys{}
			for _, c := range before.conts {
				known.add(c.pub)
			}
			for _, k := range []crypto.Signer{e.rsaKey, e.ecdsaKey, e.ecdhKey, e.other} {
				known.add(k.Public())
			}
			for _, pub := range e.stdPub {
				known.add(pub)
			}

			// The flow without faults: N commands, the state after each of its calls.
			rc := img.open(t)
			s := openFaultSess(t, e, rc, ext)
			var cps []*faultImage
			var cpPassed []int
			s.onStep = func() {
				cps = append(cps, saveFaultImage(t, e.dir, rc))
				cpPassed = append(cpPassed, s.ft.Passed())
			}
			s.ft.Reset(1 << 30)
			if err, _ := runFaultFlow(f, s); err != nil {
				t.Fatalf("flow without faults: %v", err)
			}
			n := s.ft.Passed()
			cmds := s.rec.take()
			checkFaultRetries(t, rc)
			states := []faultState{{0, before, before.norm(known, f.cardcf)}}
			for i, cp := range cps {
				v := checkFaultCard(t, cp.open(t), ext, beforeObjs)
				states = append(states, faultState{cpPassed[i], v, v.norm(known, f.cardcf)})
			}
			after := checkFaultCard(t, rc, ext, beforeObjs)
			states = append(states, faultState{n, after, after.norm(known, f.cardcf)})
			if states[0].norm == states[len(states)-1].norm {
				t.Fatalf("the flow changed nothing visible:\n%s", states[0].norm)
			}
			if bytes.Equal(before.cardcf, after.cardcf) {
				t.Errorf("cardcf %X unchanged by the flow", before.cardcf)
			}
			checkFaultCardcf(t, states, states[len(states)-1])
			var names []string
			var genAt = -1
			for i, ins := range cmds {
				names = append(names, faultINSName(ins))
				if (ins == piv.InsGenerateAsymmetric) && genAt < 0 {
					genAt = i
				}
			}
			t.Logf("%d commands: %s; calls end after %v", n, strings.Join(names, ", "), append(cpPassed, n))
			mu.Lock()
			summary = append(summary, fmt.Sprintf("  %-36s %3d cuts", f.name, n))
			mu.Unlock()
			if t.Failed() {
				return
			}

			for cut := 0; cut < n; cut++ {
				if f.slow && testing.Short() && genAt >= 0 && cut > genAt+1 && cut != n-1 {
					continue // each of these cuts generates an RSA key on the card
				}
				t.Run(fmt.Sprintf("cut%02d-%s", cut, strings.ReplaceAll(names[cut], " ", "_")), func(t *testing.T) {
					t.Parallel()
					card := img.open(t)
					s := openFaultSess(t, e, card, ext)
					s.ft.Reset(cut)
					err, panicked := runFaultFlow(f, s)
					switch {
					case panicked:
						t.Errorf("cut after %d commands: %v", cut, err)
					case err == nil:
						t.Errorf("cut after %d commands: the flow reports success (%d commands refused)", cut, s.ft.Refused())
					}
					checkFaultRetries(t, card)
					v := checkFaultCard(t, card, ext, beforeObjs)
					now := faultState{cut, v, v.norm(known, f.cardcf)}
					// The call under way when the card went: the state before it or after it.
					j := 0
					for i := range states {
						if states[i].passed <= cut {
							j = i
						}
					}
					allowed := states[j:min(j+2, len(states))]
					ok := false
					for _, a := range allowed {
						ok = ok || a.norm == now.norm
					}
					if !ok {
						var b strings.Builder
						for _, a := range allowed {
							fmt.Fprintf(&b, "state after %d commands:\n%s\n", a.passed, a.norm)
						}
						t.Errorf("cut after %d commands: the card is in none of the states the call under way goes between\n%snow:\n%s",
							cut, b.String(), now.norm)
					}
					checkFaultCardcf(t, states, now)
				})
			}
		})
	}
}

// faultState is a state of the card during a flow: after passed commands.
type faultState struct {
	passed int
	view   *faultView
	norm   string
}

// checkFaultCardcf: a state that differs from a reference state must not show its cardcf (a
// cache keyed by cardcf would serve the reference state's data).
func checkFaultCardcf(t testing.TB, states []faultState, now faultState) {
	t.Helper()
	for _, r := range states {
		if r.norm != now.norm && bytes.Equal(r.view.cardcf, now.view.cardcf) {
			t.Errorf("cardcf %X is that of the state after %d commands, whose content differs", now.view.cardcf, r.passed)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Full card and bad input.

// faultWrites returns the write commands among ins.
func faultWrites(ins []byte) []string {
	var out []string
	for _, i := range ins {
		if n, ok := faultWriteINS[i]; ok {
			out = append(out, n)
		}
	}
	return out
}

// TestFullCardNoPartialWrite: a full file store, a card without memory and bad input give an
// error without a partial write.
func TestFullCardNoPartialWrite(t *testing.T) {
	e := newFaultEnv(t, true)
	t.Run("file store", func(t *testing.T) {
		card := e.empty.open(t)
		s := openFaultSess(t, e, card, true)
		faultGenP256(t, s, 0)
		var names []string
		for i := 0; ; i++ {
			name := fmt.Sprintf("f%d", i)
			if err := s.ctx.CreateFile("mscp", name, 0, spec.EveryoneReadUserWriteAc); err != nil {
				t.Fatalf("CreateFile %s: %v", name, err)
			}
			snap := card.Snapshot()
			s.rec.take()
			err := s.ctx.WriteFile("mscp", name, 0, faultData(3000, byte(i)))
			if err == nil {
				names = append(names, name)
				if i > 10 {
					t.Fatal("the file store never fills")
				}
				continue
			}
			if st := spec.StatusOf(err); st != spec.SCardEWriteTooMany {
				t.Errorf("WriteFile on a full card: %v (want SCARD_E_WRITE_TOO_MANY)", err)
			}
			if w := faultWrites(s.rec.take()); len(w) != 0 {
				t.Errorf("the failing write sent %v", w)
			}
			if !vcard.SameState(snap, card.Snapshot()) {
				t.Error("the failing write changed the card")
			}
			t.Logf("full after %d files of 3000 bytes: %v", len(names), err)
			break
		}
		// A bigger overwrite and a new file with content fail the same way.
		for _, op := range []struct {
			name string
			do   func() error
		}{
			{"overwrite f0 with 2 objects", func() error { return s.ctx.WriteFile("mscp", "f0", 0, faultData(5000, 9)) }},
			{"create with size", func() error { return s.ctx.CreateFile("mscp", "g", 4000, spec.EveryoneReadUserWriteAc) }},
		} {
			snap := card.Snapshot()
			s.rec.take()
			err := op.do()
			if err == nil {
				t.Errorf("%s on a full card succeeds", op.name)
			}
			if w := faultWrites(s.rec.take()); len(w) != 0 {
				t.Errorf("%s: sent %v", op.name, w)
			}
			if !vcard.SameState(snap, card.Snapshot()) {
				t.Errorf("%s: the card changed", op.name)
			}
		}
		// The files written are intact.
		v := checkFaultCard(t, card, true, nil)
		for i, name := range names {
			found := false
			for _, f := range v.files {
				if f.dir == "mscp" && f.name == name {
					found = bytes.Equal(f.content, faultData(3000, byte(i)))
				}
			}
			if !found {
				t.Errorf("file %s lost or changed", name)
			}
		}
	})
	t.Run("card memory", func(t *testing.T) {
		// The card's own memory runs out while the file store has room: the card answers
		// 6A84 in the middle of the write; the minidriver's view faultMust not change.
		card := e.empty.open(t)
		s := openFaultSess(t, e, card, true)
		faultGenP256(t, s, 0)
		faultMust(t, s.createWrite("mscp", "keep", faultData(100, 3)))
		faultMust(t, s.ctx.CreateFile("mscp", "big", 0, spec.EveryoneReadUserWriteAc))
		// Fill the card with junk objects until about 4000 bytes are left.
		pc := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
		if _, err := pc.Select(); err != nil {
			t.Fatal(err)
		}
		faultMust(t, pc.AuthenticateWithPIN(enginetest.PIN))
		used := func() int {
			n := 0
			for _, v := range card.Snapshot().Objects {
				n += len(v)
			}
			return n
		}
		for slot := piv.SlotRetired20; slot > piv.SlotRetired1; slot-- {
			rest := vcard.Capacity - 4000 - used()
			if rest <= 0 {
				break
			}
			faultMust(t, pc.PutData(piv.CertObject(slot), make([]byte, min(rest, vcard.MaxObjectSize))))
		}
		t.Logf("%d bytes of %d used", used(), vcard.Capacity)
		card.Reset()
		s = openFaultSess(t, e, card, true)
		before := readFaultView(s.ctx)
		snap := card.Snapshot()
		s.rec.take()
		err := s.ctx.WriteFile("mscp", "big", 0, faultData(5000, 4))
		if st := spec.StatusOf(err); st != spec.SCardEWriteTooMany {
			t.Errorf("WriteFile on a card without memory: %v (want SCARD_E_WRITE_TOO_MANY)", err)
		}
		t.Logf("commands: %v; state unchanged: %v", faultWrites(s.rec.take()), vcard.SameState(snap, card.Snapshot()))
		card.Reset()
		ctx, _ := enginetest.Acquire(t, engine.NewModule(), card, true)
		if _, err := ctx.AuthenticatePin(spec.CardUserUser, enginetest.PIN); err != nil {
			t.Fatal(err)
		}
		k := faultKeys{}
		for _, c := range before.conts {
			k.add(c.pub)
		}
		if a, b := readFaultView(ctx).norm(k, true), before.norm(k, true); a != b {
			t.Errorf("the failed write changed what the minidriver shows:\nbefore:\n%s\nafter:\n%s", b, a)
		}
	})
	t.Run("bad input", func(t *testing.T) { testFaultBadInput(t, e) })
}

// testFaultBadInput: each rejected call leaves the card byte-identical and sends no write command.
func testFaultBadInput(t *testing.T, e *faultEnv) {
	rsaBlob := spec.MarshalRSAPrivateKeyBlob(e.rsaKey, spec.CALGRSAKeyX)
	eccBlob := spec.MarshalECCPrivateKeyBlob(e.ecdsaKey, spec.ECDSAPrivateP256Magic)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	badD := slices.Clone(eccBlob)
	clear(badD[len(badD)-32:]) // d = 0
	otherPoint := slices.Clone(eccBlob)
	copy(otherPoint[8:72], spec.MarshalECCPrivateKeyBlob(e.ecdhKey, spec.ECDHPrivateP256Magic)[8:72]) // X, Y of another key
	badRSA := slices.Clone(rsaBlob)
	badRSA[len(badRSA)-1] ^= 1 // private exponent
	pubBlob := spec.MarshalRSAPublicKeyBlob(&e.rsaKey.PublicKey, spec.CALGRSAKeyX)
	otherCert, err := e.cert(e.other.Public(), "another key")
	if err != nil {
		t.Fatal(err)
	}
	create := func(ks spec.KeySpec, bits uint32, blob []byte) func(s *faultSess) error {
		return func(s *faultSess) error {
			return s.ctx.CreateContainerEx(5, faultKeyImport, ks, bits, blob, spec.RoleUser)
		}
	}
	writeCert := func(data []byte) func(s *faultSess) error {
		return func(s *faultSess) error { return s.ctx.WriteFile("mscp", "kxc00", 0, data) }
	}
	compressedJunk := append([]byte{0x01, 0x00, 0x40, 0x00}, bytes.Repeat([]byte{0x55}, 40)...)
	rows := []struct {
		name string
		do   func(s *faultSess) error
		want spec.Status
	}{
		{"RSA blob truncated", create(spec.ATKeyExchange, 0, rsaBlob[:len(rsaBlob)/2]), spec.SCardEInvalidParameter},
		{"RSA blob inconsistent", create(spec.ATKeyExchange, 0, badRSA), spec.SCardEInvalidParameter},
		{"RSA public key blob", create(spec.ATKeyExchange, 0, pubBlob), spec.SCardEInvalidParameter},
		{"RSA blob for ECDSA", create(spec.ATECDSAP256, 0, rsaBlob), spec.SCardEInvalidParameter},
		{"RSA blob with another size", create(spec.ATKeyExchange, 1024, rsaBlob), spec.SCardEInvalidParameter},
		{"ECC blob for RSA", create(spec.ATKeyExchange, 0, eccBlob), spec.SCardEInvalidParameter},
		{"P-384 blob for P-256", create(spec.ATECDSAP256, 0, spec.MarshalECCPrivateKeyBlob(p384, spec.ECDSAPrivateP384Magic)), spec.SCardEInvalidParameter},
		{"ECC blob d=0", create(spec.ATECDSAP256, 0, badD), spec.SCardEInvalidParameter},
		{"ECC blob point of another key", create(spec.ATECDSAP256, 0, otherPoint), spec.SCardEInvalidParameter},
		{"random bytes", create(spec.ATECDSAP256, 0, faultData(100, 5)), spec.SCardEInvalidParameter},
		{"no blob", create(spec.ATECDSAP256, 0, nil), spec.SCardEInvalidParameter},
		{"certificate that is not one", writeCert([]byte("not a certificate")), spec.SCardEInvalidParameter},
		{"compressed certificate that is not one", writeCert(compressedJunk), spec.SCardEInvalidParameter},
		{"certificate for another key", writeCert(otherCert), spec.SCardEInvalidParameter},
		{"compressed certificate for another key", writeCert(spec.CompressWindowsCert(otherCert)), spec.SCardEInvalidParameter},
		{"cmapfile of 87 bytes", func(s *faultSess) error {
			return s.ctx.WriteFile("mscp", spec.FileContainerMap, 0, make([]byte, 87))
		}, spec.SCardEInvalidParameter},
		{"cardcf of 5 bytes", func(s *faultSess) error { return s.ctx.WriteFile("", spec.FileCache, 0, make([]byte, 5)) }, spec.SCardEInvalidParameter},
	}
	cards := []struct {
		name  string
		start *faultImage
		setup func(t testing.TB, s *faultSess)
	}{
		{"standard", e.standard, nil},
		{"enrolled", e.empty, func(t testing.TB, s *faultSess) {
			faultImportRSA(t, s, 0)
			faultSetupCert(t, s, 0, "kxc00", "enrolled")
		}},
	}
	for _, c := range cards {
		t.Run(c.name, func(t *testing.T) {
			card := c.start.open(t)
			s := openFaultSess(t, e, card, true)
			if c.setup != nil {
				c.setup(t, s)
			}
			for _, r := range rows {
				snap := card.Snapshot()
				s.rec.take()
				err := r.do(s)
				if err == nil {
					t.Errorf("%s: accepted", r.name)
				} else if st := spec.StatusOf(err); st != r.want {
					t.Errorf("%s: %v (want %v)", r.name, err, r.want)
				}
				if w := faultWrites(s.rec.take()); len(w) != 0 {
					t.Errorf("%s: sent %v", r.name, w)
				}
				if !vcard.SameState(snap, card.Snapshot()) {
					t.Errorf("%s: the card changed", r.name)
				}
			}
		})
	}
}
