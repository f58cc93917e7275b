package interop

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// Enrollment through the minidriver engine, seen by the other PIV tools, and the other way round
// (issue 5). The engine runs on a PC/SC connection to the card in vpcd's reader, as the Base CSP
// drives a minidriver; baseCSP below plays the part of the Base CSP around it: its data cache
// (kept in the refhost.Host the contexts get, tagged with the cardcf freshness counters) and the
// cmapfile and cardcf writes that Windows makes itself during an enrollment.

// enrollCA is a throwaway certification authority that issues the certificates of the enrolled
// keys, as an enterprise CA does for a certificate request.
type enrollCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	file string // the CA certificate, PEM, for openssl verify -CAfile
}

func newEnrollCA(t *testing.T, c *card) *enrollCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := certTemplate("cardmod interop enrollment CA")
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &enrollCA{key: key, cert: cert, file: c.writePEM(t, "enroll-ca.pem", "CERTIFICATE", der)}
}

// issue returns a certificate (DER) for pub with subject CN=cn, signed by the CA.
func (ca *enrollCA) issue(t *testing.T, cn string, pub crypto.PublicKey, usage x509.KeyUsage) []byte {
	t.Helper()
	tmpl := certTemplate(cn)
	tmpl.KeyUsage = usage
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatalf("issue a certificate for %s: %v", cn, err)
	}
	return der
}

// usageFor is the key usage of a certificate for a key of key spec ks.
func usageFor(ks spec.KeySpec) x509.KeyUsage {
	switch {
	case ks.IsECDH():
		return x509.KeyUsageKeyAgreement
	case ks == spec.ATKeyExchange:
		return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	}
	return x509.KeyUsageDigitalSignature
}

// writeFile writes data to a file of the test's scratch directory and returns its path.
func (c *card) writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := c.path(name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writePEM writes one PEM block to a file of the scratch directory and returns its path.
func (c *card) writePEM(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	return c.writeFile(t, name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// opensslVerify checks with openssl that sig (PKCS#1 v1.5, or DER ECDSA) is a SHA-256 signature
// of the file data made by the key of the certificate certDER; openssl extracts the public key
// from the certificate itself.
func (c *card) opensslVerify(t *testing.T, tag string, certDER, sig []byte, data string) {
	t.Helper()
	certFile := c.writeFile(t, "verify-"+tag+".der", certDER)
	pubFile := c.path("verify-" + tag + "-pub.pem")
	c.ok(t, []string{"openssl", "x509", "-inform", "DER", "-in", certFile, "-noout", "-pubkey", "-out", pubFile})
	sigFile := c.writeFile(t, "verify-"+tag+".sig", sig)
	out := c.ok(t, []string{"openssl", "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, data})
	expect(t, "openssl dgst -verify ("+tag+")", out, "Verified OK")
}

// opensslChain checks with openssl that the certificate certDER was issued by the test CA.
func (c *card) opensslChain(t *testing.T, ca *enrollCA, tag string, certDER []byte) {
	t.Helper()
	file := c.writePEM(t, "chain-"+tag+".pem", "CERTIFICATE", certDER)
	out := c.ok(t, []string{"openssl", "verify", "-CAfile", ca.file, file})
	expect(t, "openssl verify ("+tag+")", out, file+": OK")
}

// ecdsaDER turns an r‖s signature into the DER form openssl reads.
func ecdsaDER(t *testing.T, rs []byte) []byte {
	t.Helper()
	n := len(rs) / 2
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:n]), new(big.Int).SetBytes(rs[n:])})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// sha256DigestInfo is the DER DigestInfo prefix of a SHA-256 hash (PKCS#1 v1.5 signatures).
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// pubSHA256 is the hex SHA-256 of a public key's PKIX encoding, as pivcard show reports it.
func pubSHA256(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// showKey is the key of one slot in pivcard show (ok false when the slot is empty).
type showKey struct {
	alg, pinPolicy, origin, pubSHA string
	ok                             bool
}

func keyOf(info cardInfo, slot byte) showKey {
	name := fmt.Sprintf("%02x", slot)
	for _, k := range info.Keys {
		if strings.EqualFold(k.Slot, name) {
			return showKey{k.Alg, k.PINPolicy, k.Origin, k.PublicKeySHA256, true}
		}
	}
	return showKey{}
}

// objectCert is the subject of the certificate pivcard show reports in a data object ("" if none).
func objectCert(info cardInfo, tag uint32) string {
	want := fmt.Sprintf("%06X", tag)
	for _, o := range info.Objects {
		if strings.EqualFold(o.Tag, want) {
			return o.Certificate
		}
	}
	return ""
}

// mdRead is CardReadFile through s, failing t on error.
func mdRead(t *testing.T, s *mdSession, dir, name string) []byte {
	t.Helper()
	data, err := s.readFile(dir, name)
	if err != nil {
		t.Fatalf("CardReadFile(%q, %q): %v", dir, name, err)
	}
	return data
}

// containerPub is CardGetContainerInfo of idx, checked to give one blob of the kind key spec ks
// gives (signature blob for AT_SIGNATURE and ECDSA, key exchange blob otherwise); it returns the
// public key in it.
func containerPub(t *testing.T, s *mdSession, idx byte, ks spec.KeySpec) crypto.PublicKey {
	t.Helper()
	sig, kx, err := s.containerInfo(idx)
	if err != nil {
		t.Fatalf("CardGetContainerInfo(%d): %v", idx, err)
	}
	blob, other := kx, sig
	if ks == spec.ATSignature || ks.IsECDSA() {
		blob, other = sig, kx
	}
	if blob == nil || other != nil {
		t.Fatalf("CardGetContainerInfo(%d): signature blob %X, key exchange blob %X; want only the one of %v", idx, sig, kx, ks)
	}
	if ks.IsRSA() {
		pub, alg, err := spec.ParseRSAPublicKeyBlob(blob)
		want := spec.CALGRSAKeyX
		if ks == spec.ATSignature {
			want = spec.CALGRSASign
		}
		if err != nil || alg != want {
			t.Fatalf("CardGetContainerInfo(%d): RSA blob %v, algorithm %v (want %v)", idx, err, alg, want)
		}
		return pub
	}
	pub, magic, err := spec.ParseECCPublicKeyBlob(blob)
	if err != nil || magic != spec.ECCPublicMagic(ks) {
		t.Fatalf("CardGetContainerInfo(%d): ECC blob %v, magic %#x (want %#x for %v)", idx, err, magic, spec.ECCPublicMagic(ks), ks)
	}
	return pub
}

// withPIV runs fn with a PIV client on the connection, in one transaction, the PIV application
// selected: what an administrator's tool (ykman) does on the card.
func withPIV(conn *cspConn, fn func(cl *piv.Client) error) error {
	return conn.transact(func() error {
		cl := piv.NewClient(conn.card, piv.ClientOptions{ExtendedLength: true})
		if _, err := cl.Select(); err != nil {
			return err
		}
		return fn(cl)
	})
}

// baseCSP plays the Windows Base CSP / Smart Card KSP around one minidriver context: at the start
// of each operation it reads cardcf; files come from its data cache while the freshness counter
// they were cached under (containers for cmapfile, files for the others) is unchanged; after it
// changes the card it bumps the counter in its own copy of cardcf and writes cardcf back. The
// cache lives in the context's refhost.Host, so contexts sharing a Host share it, as the
// processes of one Windows session share the card's cache.
type baseCSP struct {
	s      *mdSession
	cf     spec.CacheFile
	raw    []byte // cardcf as last read or written
	misses int    // files read from the card
}

func newBaseCSP(s *mdSession) *baseCSP { return &baseCSP{s: s} }

// begin starts an operation: cardcf is read from the card.
func (w *baseCSP) begin(t *testing.T) []byte {
	t.Helper()
	raw := mdRead(t, w.s, "", spec.FileCache)
	cf, err := spec.ParseCacheFile(raw)
	if err != nil {
		t.Fatalf("cardcf %X: %v", raw, err)
	}
	w.cf, w.raw = cf, raw
	return raw
}

func (w *baseCSP) counter(name string) uint16 {
	if name == spec.FileContainerMap {
		return w.cf.ContainersFreshness
	}
	return w.cf.FilesFreshness
}

func cspTag(dir, name string) string { return "basecsp:" + dir + "/" + name }

// cache stores a file under the current value of its counter.
func (w *baseCSP) cache(dir, name string, data []byte) {
	v := binary.LittleEndian.AppendUint16(nil, w.counter(name))
	_ = w.s.host.CacheAdd(cspTag(dir, name), append(v, data...))
}

// file returns a file as the CSP sees it: from its cache when still fresh, else from the card.
func (w *baseCSP) file(t *testing.T, dir, name string) []byte {
	t.Helper()
	if v, err := w.s.host.CacheLookup(cspTag(dir, name)); err == nil && len(v) >= 2 &&
		binary.LittleEndian.Uint16(v) == w.counter(name) {
		return v[2:]
	}
	data := mdRead(t, w.s, dir, name)
	w.cache(dir, name, data)
	w.misses++
	return data
}

// changed bumps the CSP's counters and writes cardcf, as the CSP does after changing the card.
func (w *baseCSP) changed(t *testing.T, containers, files bool) {
	t.Helper()
	if containers {
		w.cf.BumpContainers()
	}
	if files {
		w.cf.BumpFiles()
	}
	raw := w.cf.MarshalBinary()
	if err := w.s.do(func(ctx *engine.Context) error { return ctx.WriteFile("", spec.FileCache, 0, raw) }); err != nil {
		t.Fatalf("CardWriteFile(cardcf, %X): %v", raw, err)
	}
	w.raw = raw
}

// writeFile is CardWriteFile (after CardCreateFile when create), the cardcf update, and the
// CSP keeping what it wrote in its cache.
func (w *baseCSP) writeFile(t *testing.T, dir, name string, data []byte, create bool) {
	t.Helper()
	err := w.s.do(func(ctx *engine.Context) error {
		if create {
			if err := ctx.CreateFile(dir, name, uint32(len(data)), spec.EveryoneReadUserWriteAc); err != nil {
				return fmt.Errorf("CardCreateFile: %w", err)
			}
		}
		return ctx.WriteFile(dir, name, 0, data)
	})
	if err != nil {
		t.Fatalf("write %s/%s: %v", dir, name, err)
	}
	w.changed(t, name == spec.FileContainerMap, name != spec.FileContainerMap)
	w.cache(dir, name, data)
}

// validContainers returns the indexes of the valid records of a cmapfile.
func validContainers(t *testing.T, cmap []byte) ([]spec.ContainerMapRecord, []byte) {
	t.Helper()
	recs, err := spec.ParseContainerMap(cmap)
	if err != nil {
		t.Fatalf("cmapfile: %v", err)
	}
	var idx []byte
	for i, r := range recs {
		if r.Valid() {
			idx = append(idx, byte(i))
		}
	}
	return recs, idx
}

// containerGUIDName is a container name as Windows makes them: a GUID in braces. Names that would
// read like one of the test's secrets in the card trace are drawn again.
func containerGUIDName(t *testing.T) string {
	t.Helper()
	for {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			t.Fatal(err)
		}
		b[6] = b[6]&0x0F | 0x40
		b[8] = b[8]&0x3F | 0x80
		name := fmt.Sprintf("{%X-%X-%X-%X-%X}", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		if !strings.Contains(name, "123456") && !strings.Contains(name, "654321") {
			return name
		}
	}
}

// enrollKey is one container to enroll through the engine.
type enrollKey struct {
	ks   spec.KeySpec
	bits uint32
	pin  spec.PINID
	cn   string
	slot byte   // the PIV slot the engine must choose
	id   string // OpenSC's PKCS#11 / PKCS#15 id of the slot ("" for retired slots)
}

// enrolledKey is a container enrolled by baseCSP.enroll.
type enrolledKey struct {
	enrollKey
	idx  byte
	name string // the container name written to cmapfile
	file string // mscp/kxcNN or kscNN
	pub  crypto.PublicKey
	cert []byte // DER, issued by the CA
}

// enroll creates a container as Windows enrolls a certificate on a smart card: the first free
// cmapfile record, CardCreateContainerEx (key generated on the card), the public key from
// CardGetContainerInfo, the cmapfile record (GUID name, valid, default when first, key size) and
// cardcf; then the certificate the CA issued for the key, in a new certificate file, and cardcf
// again. The user's PIN must have been presented.
func (w *baseCSP) enroll(t *testing.T, ca *enrollCA, k enrollKey) *enrolledKey {
	t.Helper()
	w.begin(t)
	recs, valid := validContainers(t, w.file(t, spec.DirBaseCSP, spec.FileContainerMap))
	idx := byte(0)
	for int(idx) < len(recs) && recs[idx].Valid() {
		idx++
	}
	err := w.s.do(func(ctx *engine.Context) error {
		return ctx.CreateContainerEx(idx, spec.CardCreateContainerKeyGen, k.ks, k.bits, nil, k.pin)
	})
	if err != nil {
		t.Fatalf("CardCreateContainerEx(%d, KEY_GEN, %v, %d, PIN %d): %v", idx, k.ks, k.bits, k.pin, err)
	}
	e := &enrolledKey{enrollKey: k, idx: idx, name: containerGUIDName(t)}
	e.pub = containerPub(t, w.s, idx, k.ks)

	for len(recs) <= int(idx) {
		recs = append(recs, spec.ContainerMapRecord{})
	}
	r := spec.ContainerMapRecord{Flags: spec.ContainerMapValidContainer}
	if err := r.SetName(e.name); err != nil {
		t.Fatal(err)
	}
	if len(valid) == 0 {
		r.Flags |= spec.ContainerMapDefaultContainer
	}
	if k.ks == spec.ATSignature || k.ks.IsECDSA() {
		r.SigKeySizeBits = uint16(k.bits)
	} else {
		r.KeyExchangeKeySizeBits = uint16(k.bits)
	}
	recs[idx] = r
	w.writeFile(t, spec.DirBaseCSP, spec.FileContainerMap, spec.MarshalContainerMap(recs), false)

	e.cert = ca.issue(t, k.cn, e.pub, usageFor(k.ks))
	prefix := spec.UserKeyExchangeCertPrefix
	if k.ks == spec.ATSignature || k.ks.IsECDSA() {
		prefix = spec.UserSignatureCertPrefix
	}
	e.file = spec.CertFileName(prefix, idx)
	w.writeFile(t, spec.DirBaseCSP, e.file, e.cert, true)

	// The next operation must find cardcf as the CSP left it: its own writes must not look like
	// a change made behind its back (that would empty its cache for nothing).
	written := w.raw
	if got := w.begin(t); !bytes.Equal(got, written) {
		t.Errorf("cardcf %X after the enrollment, the CSP wrote %X", got, written)
	}
	return e
}

// checkEngineView checks what a new context shows of enrolled containers: the cmapfile records as
// Windows wrote them, the public keys and the certificate files.
func checkEngineView(t *testing.T, s *mdSession, keys []*enrolledKey) {
	t.Helper()
	recs, _ := validContainers(t, mdRead(t, s, spec.DirBaseCSP, spec.FileContainerMap))
	for _, e := range keys {
		if int(e.idx) >= len(recs) {
			t.Errorf("cmapfile has %d records, container %d missing", len(recs), e.idx)
			continue
		}
		r := recs[e.idx]
		if !r.Valid() || r.Name() != e.name {
			t.Errorf("cmapfile record %d: name %q, flags %#x; want %q, valid", e.idx, r.Name(), r.Flags, e.name)
		}
		if pub := containerPub(t, s, e.idx, e.ks); !samePublicKey(pub, e.pub) {
			t.Errorf("container %d: another public key than at enrollment", e.idx)
		}
		if got := mdRead(t, s, spec.DirBaseCSP, e.file); !bytes.Equal(got, e.cert) {
			t.Errorf("mscp/%s differs from the certificate written", e.file)
		}
		var pin []byte
		err := s.do(func(ctx *engine.Context) error {
			p, err := ctx.GetContainerProperty(e.idx, spec.CCPPINIdentifier, 0, 0)
			pin = p.Data
			return err
		})
		if err != nil || len(pin) != 4 || spec.PINID(binary.LittleEndian.Uint32(pin)) != e.pin {
			t.Errorf("CCP_PIN_IDENTIFIER of container %d: %X, %v; want PIN %d", e.idx, pin, err, e.pin)
		}
	}
}

// standardEnrollment is what TestEnrollThroughEngine and TestEnrollFreshness enroll on an empty
// card: an RSA key exchange key (to 9A), an ECDSA key guarded by PIN 3, the PIN before every use
// (to 9C), and an ECDH key (to 9D).
var standardEnrollment = []enrollKey{
	{ks: spec.ATKeyExchange, bits: 2048, pin: spec.RoleUser, cn: "enrolled rsa", slot: piv.SlotAuth, id: "01"},
	{ks: spec.ATECDSAP256, bits: 256, pin: 3, cn: "enrolled ecdsa", slot: piv.SlotSign, id: "02"},
	{ks: spec.ATECDHEP256, bits: 256, pin: spec.RoleUser, cn: "enrolled ecdh", slot: piv.SlotKeyMgmt, id: "03"},
}

// enrollStandard enrolls standardEnrollment through w (the PIN must have been presented) and
// checks where the keys went.
func enrollStandard(t *testing.T, c *card, w *baseCSP, ca *enrollCA) []*enrolledKey {
	t.Helper()
	var out []*enrolledKey
	for i, k := range standardEnrollment {
		step(t, fmt.Sprintf("enroll %v", k.ks), func(t *testing.T) {
			e := w.enroll(t, ca, k)
			if e.idx != byte(i) {
				t.Errorf("container index %d, want %d (the first free record)", e.idx, i)
			}
			sk := keyOf(c.show(t), k.slot)
			if !sk.ok || sk.origin != "generated" || sk.pubSHA != pubSHA256(t, e.pub) {
				t.Fatalf("pivcard show: slot %02X holds %+v; want the key the engine generated for container %d", k.slot, sk, e.idx)
			}
			out = append(out, e)
		})
	}
	return out
}

// TestEnrollThroughEngine enrolls three containers through the engine as Windows does, then checks
// them with every other PIV tool: pkcs15-tool lists the certificates, pkcs11-tool signs with the
// signing keys and derives with the ECDH key (openssl checks), yubico-piv-tool shows and reads the
// certificates. It also checks the management key after the engine's first write with the default
// policy (protect): default key refused, key stored PIN-protected with the admin data flag.
func TestEnrollThroughEngine(t *testing.T) {
	c := startCard(t)
	ca := newEnrollCA(t, c)
	conn := connectCSP(t)
	m := engine.NewModule()
	if m.MgmKeyPolicy() != engine.MgmKeyProtect {
		t.Fatalf("default management key policy %v, want protect", m.MgmKeyPolicy())
	}
	s := acquire(t, m, conn, refhost.New(), true)
	w := newBaseCSP(s)
	cf0 := w.begin(t)
	if _, valid := validContainers(t, w.file(t, spec.DirBaseCSP, spec.FileContainerMap)); len(valid) != 0 {
		t.Fatalf("a new card has containers %v", valid)
	}
	if _, err := s.authenticatePin(defaultPIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	keys := enrollStandard(t, c, w, ca)
	t.Logf("cardcf %X on the new card, %X after the enrollment", cf0, w.raw)
	byID := map[string]*enrolledKey{}
	for _, e := range keys {
		byID[e.id] = e
	}

	step(t, "engine view", func(t *testing.T) {
		s2 := acquire(t, m, conn, refhost.New(), true)
		if cf := mdRead(t, s2, "", spec.FileCache); !bytes.Equal(cf, w.raw) {
			t.Errorf("a new context reads cardcf %X, the CSP wrote %X", cf, w.raw)
		}
		checkEngineView(t, s2, keys)
		recs, valid := validContainers(t, mdRead(t, s2, spec.DirBaseCSP, spec.FileContainerMap))
		if len(valid) != 3 || !recs[0].Default() || recs[1].Default() || recs[2].Default() {
			t.Errorf("cmapfile: valid %v, default flags %v %v %v; want 0, 1, 2 with 0 the default", valid,
				recs[0].Default(), len(recs) > 1 && recs[1].Default(), len(recs) > 2 && recs[2].Default())
		}
		s2.end()
	})

	step(t, "pivcard show", func(t *testing.T) {
		info := c.show(t)
		for _, want := range []struct {
			slot           byte
			alg, pinPolicy string
			obj            uint32
			cn             string
		}{
			{piv.SlotAuth, "RSA-2048", "once", 0x5FC105, "enrolled rsa"},
			{piv.SlotSign, "ECC P-256", "always", 0x5FC10A, "enrolled ecdsa"},
			{piv.SlotKeyMgmt, "ECC P-256", "once", 0x5FC10B, "enrolled ecdh"},
		} {
			if k := keyOf(info, want.slot); k.alg != want.alg || k.pinPolicy != want.pinPolicy {
				t.Errorf("slot %02X: %+v; want %s, PIN policy %s", want.slot, k, want.alg, want.pinPolicy)
			}
			if got := objectCert(info, want.obj); got != "CN="+want.cn {
				t.Errorf("object %06X holds certificate %q, want CN=%s", want.obj, got, want.cn)
			}
		}
		if k := keyOf(info, piv.SlotCardAuth); k.ok {
			t.Errorf("slot 9E holds a key (%+v): the engine must never choose it", k)
		}
		if info.MgmDefault {
			t.Errorf("the management key is still the default after the engine's first write (policy protect)")
		}
		if info.CHUIDGUID != c.info.CHUIDGUID {
			t.Errorf("CHUID GUID changed from %s to %s", c.info.CHUIDGUID, info.CHUIDGUID)
		}
		t.Logf("management key after the engine's first write: %s, default %v", info.MgmAlg, info.MgmDefault)
	})

	step(t, "management key", func(t *testing.T) {
		out := c.ok(t, c.ykpiv("-a", "verify-pin", "-P", defaultPIN))
		expect(t, "verify-pin", out, "Successfully verified PIN.")
		out = c.fails(t, c.ykpiv("--key="+defaultMgmKey, "-a", "set-chuid"))
		expect(t, "set-chuid with the default management key", out, "Failed authentication with the application.")
		if guid := c.show(t).CHUIDGUID; guid != c.info.CHUIDGUID {
			t.Errorf("a refused set-chuid changed the CHUID GUID to %s", guid)
		}
		out = c.ok(t, c.ykpiv("-a", "read-object", "--id", "0x5fff00"))
		if flat := strings.ToLower(strings.Join(strings.Fields(out), "")); !strings.Contains(flat, "8003810102") {
			t.Errorf("read-object 5FFF00: want admin data 80 03 81 01 02 (management key stored, flag 02):\n%s", out)
		}
		// The PIN alone opens the management key, as ykman's --protect convention says.
		var st piv.MgmKeyStatus
		var alg byte
		var key []byte
		err := withPIV(conn, func(cl *piv.Client) error {
			var err error
			if st, err = cl.AdminData(); err != nil {
				return fmt.Errorf("admin data: %w", err)
			}
			if err := cl.AuthenticateWithPIN([]byte(defaultPIN)); err != nil {
				return fmt.Errorf("authenticate with the PIN: %w", err)
			}
			if alg, key, err = cl.ProtectedMgmKey(); err != nil {
				return err
			}
			return cl.Logout()
		})
		if err != nil {
			t.Fatalf("the PIN-protected management key: %v", err)
		}
		if !st.Protected || st.Default || st.Derived {
			t.Errorf("admin data: %+v; want protected, not default, not derived", st)
		}
		t.Logf("the engine protected a %s management key", piv.AlgName(alg))
		// Can yubico-piv-tool administer the card with the stored key? (2.2.0 knows 3DES keys only.)
		// A write of the admin data's own content, so nothing changes if it works.
		adminFile := c.writeFile(t, "admin.hex", []byte("8003810102\n"))
		out, err = c.run(c.ykpiv("--key="+hex.EncodeToString(key), "-a", "write-object", "--id", "0x5fff00", "-i", adminFile))
		if err != nil {
			t.Logf("yubico-piv-tool cannot use the %s management key the engine stored (tool limitation): %v\n%s",
				piv.AlgName(alg), err, out)
		} else {
			t.Logf("yubico-piv-tool authenticated with the stored %s management key", piv.AlgName(alg))
		}
		// And OpenSC's piv-tool (mutual authentication with the key's algorithm).
		keyFile := c.writeFile(t, "protected-mgm.key", []byte(hex.EncodeToString(key)+"\n"))
		clear(key)
		out, err = c.run([]string{"env", "PIV_EXT_AUTH_KEY=" + keyFile, "piv-tool", "--reader", reader,
			"-A", fmt.Sprintf("M:9B:%02X", alg)})
		if err != nil {
			t.Logf("OpenSC piv-tool -A M:9B:%02X cannot use the %s management key the engine stored: %v\n%s",
				alg, piv.AlgName(alg), err, out)
		} else {
			t.Logf("OpenSC piv-tool authenticated with the stored %s management key", piv.AlgName(alg))
		}
		if err := os.Remove(keyFile); err != nil {
			t.Error(err)
		}
	})

	step(t, "yubico-piv-tool", func(t *testing.T) {
		out := c.ok(t, c.ykpiv("-a", "status"))
		for _, e := range keys {
			slot := fmt.Sprintf("%02x", e.slot)
			block := slotBlock(out, slot)
			alg := "RSA2048"
			if e.ks.IsECC() {
				alg = "ECCP256"
			}
			expect(t, "status slot "+slot, block, "Algorithm:\t"+alg, "Subject DN:\tCN="+e.cn,
				"Issuer DN:\tCN="+ca.cert.Subject.CommonName)
			file := c.path("read" + slot + ".pem")
			c.ok(t, c.ykpiv("-a", "read-certificate", "-s", slot, "-o", file))
			if !bytes.Equal(readPEM(t, file, "CERTIFICATE"), e.cert) {
				t.Errorf("read-certificate -s %s: another certificate than the one the engine wrote", slot)
			}
		}
		if strings.Contains(out, "Slot 9e") {
			t.Errorf("status shows a 9E certificate:\n%s", out)
		}
	})

	step(t, "pkcs15-tool", func(t *testing.T) {
		out := c.ok(t, c.p15("--list-certificates"))
		for _, l := range []string{"PIV Authentication", "Digital Signature", "Key Management"} {
			expect(t, "pkcs15-tool --list-certificates", out, "X.509 Certificate [Certificate for "+l+"]")
		}
		for _, e := range keys {
			expect(t, "pkcs15-tool --list-certificates", out, "ID             : "+e.id)
			file := c.writeFile(t, "p15-"+e.id+".pem", []byte(c.ok(t, c.p15("--read-certificate", e.id))))
			cert := readCertificate(t, file)
			if cert.Subject.CommonName != e.cn || !samePublicKey(cert.PublicKey, e.pub) {
				t.Errorf("pkcs15-tool --read-certificate %s: subject %s; want CN=%s with the container's key", e.id, cert.Subject, e.cn)
			}
			c.opensslChain(t, ca, "p15-"+e.id, cert.Raw)
		}
	})

	data := c.writeFile(t, "enrolled-data.txt", []byte("cardmod: signed with keys enrolled through the minidriver\n"))
	digest := sha256.Sum256([]byte("cardmod: signed with keys enrolled through the minidriver\n"))
	for _, sg := range []struct {
		id, mechanism string
		input         []byte
	}{
		{"01", "RSA-PKCS", append(append([]byte(nil), sha256DigestInfo...), digest[:]...)},
		{"02", "ECDSA", digest[:]},
	} {
		step(t, "pkcs11-tool sign "+sg.id, func(t *testing.T) {
			in := c.writeFile(t, "p11-in-"+sg.id+".bin", sg.input)
			sig := c.path("p11-sig-" + sg.id + ".bin")
			args := []string{"--login", "--pin", defaultPIN, "--sign", "--mechanism", sg.mechanism, "--id", sg.id, "-i", in, "-o", sig}
			if sg.mechanism == "ECDSA" {
				args = append(args, "--signature-format", "openssl")
			}
			c.ok(t, c.p11(args...))
			certFile := c.path("p11-cert-" + sg.id + ".der")
			c.ok(t, c.p11("--read-object", "--type", "cert", "--id", sg.id, "-o", certFile))
			certDER, err := os.ReadFile(certFile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(certDER, byID[sg.id].cert) {
				t.Errorf("pkcs11-tool --read-object cert %s: another certificate than the one the engine wrote", sg.id)
			}
			signature, err := os.ReadFile(sig)
			if err != nil {
				t.Fatal(err)
			}
			c.opensslVerify(t, "p11-"+sg.id, certDER, signature, data)
		})
	}

	step(t, "pkcs11-tool derive ECDH 03", func(t *testing.T) {
		peer, peerDER := c.path("peer.key"), c.path("peer.der")
		c.ok(t, []string{"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", peer})
		c.ok(t, []string{"openssl", "pkey", "-in", peer, "-pubout", "-outform", "DER", "-out", peerDER})
		certFile := c.writeFile(t, "ecdh-cert.der", byID["03"].cert)
		certPub := c.path("ecdh-pub.pem")
		c.ok(t, []string{"openssl", "x509", "-inform", "DER", "-in", certFile, "-noout", "-pubkey", "-out", certPub})
		onCard, onHost := c.path("shared-card.bin"), c.path("shared-host.bin")
		c.ok(t, c.p11("--login", "--pin", defaultPIN, "--derive", "--mechanism", "ECDH1-DERIVE", "--id", "03", "-i", peerDER, "-o", onCard))
		c.ok(t, []string{"openssl", "pkeyutl", "-derive", "-inkey", peer, "-peerkey", certPub, "-out", onHost})
		a, _ := os.ReadFile(onCard)
		b, _ := os.ReadFile(onHost)
		if len(a) != 32 || !bytes.Equal(a, b) {
			t.Errorf("ECDH secret from the card (%x) differs from openssl's (%x)", a, b)
		}
	})

	step(t, "engine signs after the tools", func(t *testing.T) {
		s3 := acquire(t, m, conn, refhost.New(), true)
		if _, err := s3.authenticatePin(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticatePin: %v", err)
		}
		sig, err := s3.rsaSign(0, digest[:], false)
		if err != nil {
			t.Fatalf("CardSignData RSA: %v", err)
		}
		c.opensslVerify(t, "engine-01", byID["01"].cert, sig, data)
		if err := s3.signPIN(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticateEx(3): %v", err)
		}
		rs, err := s3.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest[:]})
		if err != nil || len(rs) != 64 {
			t.Fatalf("CardSignData ECDSA: %d bytes, %v", len(rs), err)
		}
		c.opensslVerify(t, "engine-02", byID["02"].cert, ecdsaDER(t, rs), data)
		s3.end()
	})
	s.end()
}

// TestEnrollAlongsideYubico provisions keys and certificates with yubico-piv-tool, uses them
// through the engine, then enrolls new containers through the engine: they must go to free slots
// (9D, then a retired slot), never over the yubico-piv-tool keys, which keep working with
// pkcs11-tool.
func TestEnrollAlongsideYubico(t *testing.T) {
	c := startCard(t)
	ca := newEnrollCA(t, c)
	yk := []keySpec{
		{slot: "9a", alg: "RSA2048", cn: "yubico rsa 9a", id: "01"},
		{slot: "9c", alg: "ECCP256", cn: "yubico ecc 9c", id: "02", ec: true},
	}
	pubs := map[string]crypto.PublicKey{}
	certs := map[string][]byte{}
	for _, k := range yk {
		step(t, "yubico-piv-tool "+k.slot, func(t *testing.T) {
			pubs[k.slot], certs[k.slot] = c.ykKey(t, k)
		})
	}
	before := c.show(t)

	conn := connectCSP(t)
	m := engine.NewModule()
	s := acquire(t, m, conn, refhost.New(), true)
	w := newBaseCSP(s)
	var names [2]string

	step(t, "containers", func(t *testing.T) {
		w.begin(t)
		recs, valid := validContainers(t, w.file(t, spec.DirBaseCSP, spec.FileContainerMap))
		if len(valid) != 2 || valid[0] != 0 || valid[1] != 1 {
			t.Fatalf("cmapfile: valid records %v, want 0 and 1", valid)
		}
		if !recs[0].Default() || recs[0].KeyExchangeKeySizeBits != 2048 || recs[1].SigKeySizeBits != 256 {
			t.Errorf("cmapfile: %+v, %+v", recs[0], recs[1])
		}
		names = [2]string{recs[0].Name(), recs[1].Name()}
		if pub := containerPub(t, s, 0, spec.ATKeyExchange); !samePublicKey(pub, pubs["9a"]) {
			t.Errorf("container 0: not the key yubico-piv-tool generated in 9A")
		}
		if pub := containerPub(t, s, 1, spec.ATECDSAP256); !samePublicKey(pub, pubs["9c"]) {
			t.Errorf("container 1: not the key yubico-piv-tool generated in 9C")
		}
		for file, slot := range map[string]string{"kxc00": "9a", "ksc01": "9c"} {
			if got := mdRead(t, s, spec.DirBaseCSP, file); !bytes.Equal(got, certs[slot]) {
				t.Errorf("mscp/%s differs from the certificate yubico-piv-tool imported into %s", file, slot)
			}
		}
	})

	data := c.writeFile(t, "yk-data.txt", []byte("cardmod: yubico-piv-tool keys through the engine\n"))
	digest := sha256.Sum256([]byte("cardmod: yubico-piv-tool keys through the engine\n"))
	step(t, "engine signs", func(t *testing.T) {
		if _, err := s.authenticatePin(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticatePin: %v", err)
		}
		sig, err := s.rsaSign(0, digest[:], false)
		if err != nil {
			t.Fatalf("CardSignData RSA: %v", err)
		}
		c.opensslVerify(t, "yk-engine-9a", certs["9a"], sig, data)
		if err := s.signPIN(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticateEx(3): %v", err)
		}
		rs, err := s.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest[:]})
		if err != nil || len(rs) != 64 {
			t.Fatalf("CardSignData ECDSA: %d bytes, %v", len(rs), err)
		}
		c.opensslVerify(t, "yk-engine-9c", certs["9c"], ecdsaDER(t, rs), data)
	})

	var added []*enrolledKey
	for _, k := range []enrollKey{
		// 9A holds yubico-piv-tool's key: a key exchange key goes to 9D.
		{ks: spec.ATKeyExchange, bits: 2048, pin: spec.RoleUser, cn: "enrolled beside rsa", slot: piv.SlotKeyMgmt, id: "03"},
		// 9C is taken: a key that needs the PIN before every use goes to the first retired slot,
		// with the PIN policy "always".
		{ks: spec.ATECDSAP256, bits: 256, pin: 3, cn: "enrolled beside ecdsa", slot: piv.SlotRetired1},
	} {
		step(t, fmt.Sprintf("enroll %v", k.ks), func(t *testing.T) {
			e := w.enroll(t, ca, k)
			if want := byte(2 + len(added)); e.idx != want {
				t.Errorf("container index %d, want %d", e.idx, want)
			}
			sk := keyOf(c.show(t), k.slot)
			if !sk.ok || sk.origin != "generated" || sk.pubSHA != pubSHA256(t, e.pub) {
				t.Fatalf("pivcard show: slot %02X holds %+v; want the key the engine generated", k.slot, sk)
			}
			added = append(added, e)
		})
	}

	step(t, "yubico-piv-tool keys untouched", func(t *testing.T) {
		after := c.show(t)
		for _, slot := range []byte{piv.SlotAuth, piv.SlotSign} {
			if b, a := keyOf(before, slot), keyOf(after, slot); a != b {
				t.Errorf("slot %02X: %+v before the enrollment, %+v after", slot, b, a)
			}
		}
		if got := objectCert(after, 0x5FC105); got != "CN=yubico rsa 9a" {
			t.Errorf("9A certificate %q after the enrollment", got)
		}
		if got := objectCert(after, 0x5FC10A); got != "CN=yubico ecc 9c" {
			t.Errorf("9C certificate %q after the enrollment", got)
		}
		if k := keyOf(after, piv.SlotRetired1); k.pinPolicy != "always" || k.alg != "ECC P-256" {
			t.Errorf("slot 82: %+v; want ECC P-256 with PIN policy always (container guarded by PIN 3)", k)
		}
		if k := keyOf(after, piv.SlotCardAuth); k.ok {
			t.Errorf("slot 9E holds a key (%+v): the engine must never choose it", k)
		}
	})

	step(t, "engine signs with the new containers", func(t *testing.T) {
		sig, err := s.rsaSign(2, digest[:], false)
		if err != nil {
			t.Fatalf("CardSignData RSA (container 2): %v", err)
		}
		c.opensslVerify(t, "enrolled-9d", added[0].cert, sig, data)
		es := &engine.SigningInfo{Version: 2, ContainerIndex: 3, KeySpec: spec.ATECDSAP256, Data: digest[:]}
		_, err = s.sign(es)
		wantStatus(t, "container 3 (PIN 3) without a fresh PIN", err, spec.SCardWSecurityViolation)
		if err := s.signPIN(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticateEx(3): %v", err)
		}
		rs, err := s.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 3, KeySpec: spec.ATECDSAP256, Data: digest[:]})
		if err != nil || len(rs) != 64 {
			t.Fatalf("CardSignData ECDSA (container 3): %d bytes, %v", len(rs), err)
		}
		c.opensslVerify(t, "enrolled-82", added[1].cert, ecdsaDER(t, rs), data)
	})

	step(t, "new context", func(t *testing.T) {
		s2 := acquire(t, m, conn, refhost.New(), true)
		recs, valid := validContainers(t, mdRead(t, s2, spec.DirBaseCSP, spec.FileContainerMap))
		if len(valid) != 4 {
			t.Fatalf("cmapfile: valid records %v, want 0 to 3", valid)
		}
		if recs[0].Name() != names[0] || recs[1].Name() != names[1] {
			t.Errorf("the containers of the yubico-piv-tool keys were renamed: %q, %q; were %q, %q",
				recs[0].Name(), recs[1].Name(), names[0], names[1])
		}
		if pub := containerPub(t, s2, 0, spec.ATKeyExchange); !samePublicKey(pub, pubs["9a"]) {
			t.Errorf("container 0: not the yubico-piv-tool key of 9A any more")
		}
		if pub := containerPub(t, s2, 1, spec.ATECDSAP256); !samePublicKey(pub, pubs["9c"]) {
			t.Errorf("container 1: not the yubico-piv-tool key of 9C any more")
		}
		for file, slot := range map[string]string{"kxc00": "9a", "ksc01": "9c"} {
			if got := mdRead(t, s2, spec.DirBaseCSP, file); !bytes.Equal(got, certs[slot]) {
				t.Errorf("mscp/%s differs from the certificate yubico-piv-tool imported into %s", file, slot)
			}
		}
		checkEngineView(t, s2, added)
		s2.end()
	})

	for _, k := range []struct {
		id, mechanism, slot string
		input               []byte
		cert                []byte
	}{
		{"01", "RSA-PKCS", "9a", append(append([]byte(nil), sha256DigestInfo...), digest[:]...), certs["9a"]},
		{"02", "ECDSA", "9c", digest[:], certs["9c"]},
		{"03", "RSA-PKCS", "9d", append(append([]byte(nil), sha256DigestInfo...), digest[:]...), added[0].cert},
	} {
		step(t, "pkcs11-tool sign "+k.id, func(t *testing.T) {
			in := c.writeFile(t, "yk-p11-in-"+k.id+".bin", k.input)
			sig := c.path("yk-p11-sig-" + k.id + ".bin")
			args := []string{"--login", "--pin", defaultPIN, "--sign", "--mechanism", k.mechanism, "--id", k.id, "-i", in, "-o", sig}
			if k.mechanism == "ECDSA" {
				args = append(args, "--signature-format", "openssl")
			}
			c.ok(t, c.p11(args...))
			signature, err := os.ReadFile(sig)
			if err != nil {
				t.Fatal(err)
			}
			c.opensslVerify(t, "yk-p11-"+k.id, k.cert, signature, data)
		})
	}

	step(t, "yubico-piv-tool", func(t *testing.T) {
		out := c.ok(t, c.ykpiv("-a", "status"))
		expect(t, "status slot 9a", slotBlock(out, "9a"), "Subject DN:\tCN=yubico rsa 9a")
		expect(t, "status slot 9c", slotBlock(out, "9c"), "Subject DN:\tCN=yubico ecc 9c")
		expect(t, "status slot 9d", slotBlock(out, "9d"), "Algorithm:\tRSA2048", "Subject DN:\tCN=enrolled beside rsa")
		for _, k := range yk {
			certFile := c.writePEM(t, "yk-cert-"+k.slot+".pem", "CERTIFICATE", certs[k.slot])
			out := c.ok(t, c.ykpiv("-a", "verify-pin", "-P", defaultPIN, "-a", "test-signature", "-s", k.slot, "-i", certFile))
			expect(t, "test-signature -s "+k.slot, out, "Successful ", " verification.")
		}
	})
	s.end()
}

// TestEnrollFreshness enrolls through the engine, then changes the card behind the engine's back
// with yubico-piv-tool: a new certificate for the 9A key, then a new key and certificate in 9A,
// then a key and certificate in the empty 9E. Each time the next cardcf read (the start of the
// Base CSP's next transaction) must differ and nothing stale may come out of a cache: the Base
// CSP's (baseCSP, in the refhost.Host shared by the contexts) or the engine's.
func TestEnrollFreshness(t *testing.T) {
	c := startCard(t)
	ca := newEnrollCA(t, c)
	conn := connectCSP(t)
	m := engine.NewModule()
	host := refhost.New() // the Base CSP's cache of this card, shared by its contexts
	s := acquire(t, m, conn, host, true)
	w := newBaseCSP(s)
	w.begin(t)
	if _, err := s.authenticatePin(defaultPIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	keys := enrollStandard(t, c, w, ca)

	// yubico-piv-tool 2.2.0 knows only 3DES management keys, and the engine protected an AES
	// key: as an administrator would with ykman (--protect -a TDES), the key is replaced by a
	// 3DES key, still stored PIN-protected, which is handed to yubico-piv-tool.
	var mgm string
	step(t, "3DES management key for yubico-piv-tool", func(t *testing.T) {
		err := withPIV(conn, func(cl *piv.Client) error {
			if err := cl.AuthenticateWithPIN([]byte(defaultPIN)); err != nil {
				return err
			}
			key, err := cl.ProtectMgmKey(piv.Alg3DES, nil)
			if err != nil {
				return err
			}
			mgm = hex.EncodeToString(key)
			clear(key)
			return cl.Logout()
		})
		if err != nil {
			t.Fatalf("protect a 3DES management key: %v", err)
		}
		if info := c.show(t); info.MgmAlg != "3DES" || info.MgmDefault {
			t.Fatalf("pivcard show: management key %s, default %v", info.MgmAlg, info.MgmDefault)
		}
	})
	ykKey := "--key=" + mgm

	// A second context on the same cache, which has read the certificate too.
	sB := acquire(t, m, conn, host, true)
	wB := newBaseCSP(sB)
	cf1 := w.begin(t)
	if got := w.file(t, spec.DirBaseCSP, "kxc00"); !bytes.Equal(got, keys[0].cert) {
		t.Fatalf("kxc00 is not the enrolled certificate")
	}
	w.misses = 0
	if got := w.file(t, spec.DirBaseCSP, "kxc00"); !bytes.Equal(got, keys[0].cert) {
		t.Fatalf("kxc00 is not the enrolled certificate")
	}
	if cfB := wB.begin(t); !bytes.Equal(cfB, cf1) {
		t.Errorf("two contexts read cardcf %X and %X", cf1, cfB)
	}
	if got := wB.file(t, spec.DirBaseCSP, "kxc00"); !bytes.Equal(got, keys[0].cert) {
		t.Fatalf("kxc00 in the second context is not the enrolled certificate")
	}
	if w.misses != 0 || wB.misses != 0 {
		// Otherwise the checks below would prove nothing about the cache.
		t.Fatalf("the Base CSP's cache did not serve kxc00 with cardcf unchanged (%d and %d reads from the card)", w.misses, wB.misses)
	}

	// checkCert checks that every view of the card serves want as mscp/kxc00 after a change, and
	// that a new context on the same cache agrees on cardcf.
	checkCert := func(t *testing.T, cf []byte, want []byte) {
		t.Helper()
		misses := w.misses
		if got := w.file(t, spec.DirBaseCSP, "kxc00"); !bytes.Equal(got, want) {
			t.Errorf("the Base CSP's view of kxc00 is stale (same context)")
		}
		if w.misses != misses+1 {
			t.Errorf("the Base CSP served kxc00 from its cache after cardcf changed")
		}
		if got := mdRead(t, s, spec.DirBaseCSP, "kxc00"); !bytes.Equal(got, want) {
			t.Errorf("CardReadFile(kxc00) is stale (same context)")
		}
		if cfB := wB.begin(t); !bytes.Equal(cfB, cf) {
			t.Errorf("the second context reads cardcf %X, the first %X", cfB, cf)
		}
		if got := wB.file(t, spec.DirBaseCSP, "kxc00"); !bytes.Equal(got, want) {
			t.Errorf("the Base CSP's view of kxc00 is stale (second context)")
		}
		sC := acquire(t, m, conn, host, true)
		wC := newBaseCSP(sC)
		if cfC := wC.begin(t); !bytes.Equal(cfC, cf) {
			t.Errorf("a new context reads cardcf %X, the first %X", cfC, cf)
		}
		if got := wC.file(t, spec.DirBaseCSP, "kxc00"); !bytes.Equal(got, want) {
			t.Errorf("the Base CSP's view of kxc00 is stale (new context)")
		}
		sC.end()
	}

	var cf2 []byte
	step(t, "certificate replaced", func(t *testing.T) {
		der := ca.issue(t, "enrolled rsa renewed", keys[0].pub, usageFor(spec.ATKeyExchange))
		file := c.writePEM(t, "renewed9a.pem", "CERTIFICATE", der)
		out := c.ok(t, c.ykpiv(ykKey, "-a", "import-certificate", "-s", "9a", "-i", file))
		expect(t, "import-certificate", out, "Successfully imported a new certificate.")
		cf2 = w.begin(t)
		t.Logf("cardcf %X before, %X after yubico-piv-tool replaced the 9A certificate (resets seen: %d)", cf1, cf2, conn.resets)
		if bytes.Equal(cf2, cf1) {
			t.Errorf("cardcf stayed %X after the 9A certificate changed", cf1)
		}
		checkCert(t, cf2, der)
		if pub := containerPub(t, s, 0, spec.ATKeyExchange); !samePublicKey(pub, keys[0].pub) {
			t.Errorf("container 0 changed key with its certificate")
		}
		recs, valid := validContainers(t, w.file(t, spec.DirBaseCSP, spec.FileContainerMap))
		if len(valid) != 3 || recs[0].Name() != keys[0].name {
			t.Errorf("cmapfile after the change: valid %v, record 0 %q", valid, recs[0].Name())
		}
	})

	var cf3 []byte
	step(t, "key and certificate replaced", func(t *testing.T) {
		pubFile := c.path("new9a.pem")
		out := c.ok(t, c.ykpiv(ykKey, "-a", "generate", "-s", "9a", "-A", "RSA2048", "-o", pubFile))
		expect(t, "generate", out, "Successfully generated a new private key.")
		pub, _ := readPublicKey(t, pubFile)
		der := ca.issue(t, "yubico new key 9a", pub, usageFor(spec.ATKeyExchange))
		file := c.writePEM(t, "new9a-cert.pem", "CERTIFICATE", der)
		c.ok(t, c.ykpiv(ykKey, "-a", "import-certificate", "-s", "9a", "-i", file))
		cf3 = w.begin(t)
		t.Logf("cardcf %X after yubico-piv-tool put a new key and certificate in 9A", cf3)
		if bytes.Equal(cf3, cf2) || bytes.Equal(cf3, cf1) {
			t.Errorf("cardcf %X after the new 9A key, was %X then %X", cf3, cf1, cf2)
		}
		checkCert(t, cf3, der)
		if got := containerPub(t, s, 0, spec.ATKeyExchange); !samePublicKey(got, pub) {
			t.Errorf("container 0 does not hold the new 9A key")
		}
		if _, err := s.authenticatePin(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticatePin: %v", err)
		}
		digest := sha256.Sum256([]byte("new key"))
		sig, err := s.rsaSign(0, digest[:], false)
		if err != nil {
			t.Fatalf("CardSignData with the new 9A key: %v", err)
		}
		if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
			t.Errorf("the signature of container 0 does not verify with the new 9A key: %v", err)
		}
	})

	var pub9e crypto.PublicKey
	var cert9e []byte
	step(t, "certificate added in 9E", func(t *testing.T) {
		pubFile := c.path("pub9e.pem")
		c.ok(t, c.ykpiv(ykKey, "-a", "generate", "-s", "9e", "-A", "ECCP256", "-o", pubFile))
		pub9e, _ = readPublicKey(t, pubFile)
		cert9e = ca.issue(t, "yubico card auth 9e", pub9e, usageFor(spec.ATECDSAP256))
		c.ok(t, c.ykpiv(ykKey, "-a", "import-certificate", "-s", "9e", "-i", c.writePEM(t, "cert9e.pem", "CERTIFICATE", cert9e)))

		if cf := w.begin(t); bytes.Equal(cf, cf3) {
			// The context keeps the list of standard slots outside the map from its first look.
			t.Logf("note: the context that was open before 9E was filled still reads cardcf %X", cf)
		} else {
			t.Logf("the context that was open before 9E was filled reads cardcf %X (was %X)", cf, cf3)
		}

		sD := acquire(t, m, conn, host, true)
		wD := newBaseCSP(sD)
		cf4 := wD.begin(t)
		t.Logf("cardcf %X in a new context after yubico-piv-tool filled 9E", cf4)
		if bytes.Equal(cf4, cf3) {
			t.Errorf("a new context reads cardcf %X as before 9E was filled: the Base CSP would serve its cached cmapfile", cf4)
		}
		recs, valid := validContainers(t, wD.file(t, spec.DirBaseCSP, spec.FileContainerMap))
		if len(valid) != 4 || valid[3] != 3 || recs[3].Default() || recs[3].SigKeySizeBits != 256 {
			t.Fatalf("cmapfile (Base CSP view) after 9E was filled: valid %v; want 0 to 3 with 3 an ECDSA P-256 container", valid)
		}
		if pub := containerPub(t, sD, 3, spec.ATECDSAP256); !samePublicKey(pub, pub9e) {
			t.Errorf("container 3 does not hold the 9E key")
		}
		if got := wD.file(t, spec.DirBaseCSP, "ksc03"); !bytes.Equal(got, cert9e) {
			t.Errorf("mscp/ksc03 is not the 9E certificate")
		}
		for _, e := range keys[1:] {
			if got := wD.file(t, spec.DirBaseCSP, e.file); !bytes.Equal(got, e.cert) {
				t.Errorf("mscp/%s changed", e.file)
			}
		}

		// The engine writes again, with the management key yubico-piv-tool's user protected.
		if _, err := sD.authenticatePin(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticatePin: %v", err)
		}
		e := wD.enroll(t, ca, enrollKey{ks: spec.ATECDSAP256, bits: 256, pin: spec.RoleUser, cn: "enrolled after 9e",
			slot: piv.SlotRetired1})
		if e.idx != 4 {
			t.Errorf("container index %d, want 4", e.idx)
		}
		info := c.show(t)
		if k := keyOf(info, piv.SlotRetired1); k.pubSHA != pubSHA256(t, e.pub) {
			t.Errorf("slot 82: %+v; want the key of container %d", k, e.idx)
		}
		if k := keyOf(info, piv.SlotCardAuth); k.pubSHA != pubSHA256(t, pub9e) {
			t.Errorf("slot 9E: %+v; want yubico-piv-tool's key", k)
		}
		if info.MgmAlg != "3DES" {
			t.Errorf("management key %s after the engine's write, want the 3DES key stored PIN-protected", info.MgmAlg)
		}
		sE := acquire(t, m, conn, refhost.New(), true)
		_, valid = validContainers(t, mdRead(t, sE, spec.DirBaseCSP, spec.FileContainerMap))
		if len(valid) != 5 {
			t.Errorf("cmapfile in a new context: valid %v, want 0 to 4", valid)
		}
		if pub := containerPub(t, sE, 3, spec.ATECDSAP256); !samePublicKey(pub, pub9e) {
			t.Errorf("container 3 does not hold the 9E key after the engine's write")
		}
		checkEngineView(t, sE, []*enrolledKey{e})
		sE.end()
		sD.end()
	})
	var engineTags []string
	for _, tag := range host.CacheTags() {
		if !strings.HasPrefix(tag, "basecsp:") {
			engineTags = append(engineTags, tag)
		}
	}
	t.Logf("the engine's own entries in the caller's cache: %q", engineTags)
	sB.end()
	s.end()
}
