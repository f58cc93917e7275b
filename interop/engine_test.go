package interop

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/pcsc"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// engineCardName is the card name given to CardAcquireContext (Windows passes the name under which
// the card's ATR is registered).
const engineCardName = "cardmod virtual PIV"

// cspConn is a card connection as the Windows Base CSP holds one: a PC/SC handle (shared mode) on
// vpcd's reader, and the card's ATR as SCardStatus reports it.
type cspConn struct {
	t      *testing.T
	pctx   *pcsc.Context
	card   *pcsc.Card
	atr    []byte
	resets int // SCARD_W_RESET_CARD seen by BeginTransaction (another client reset the card)
	// txErr is the error of the last SCardTransmit the engine made (nil when it worked).
	txErr error
}

// Transmit is SCardTransmit on the handle: the transport the engine gets, as the minidriver
// sends APDUs on CARD_DATA's hScard. It remembers the last error for the removal checks.
func (k *cspConn) Transmit(cmd []byte) ([]byte, error) {
	resp, err := k.card.Transmit(cmd)
	k.txErr = err
	return resp, err
}

// connectCSP connects to the card in vpcd's reader; the connection is closed when the test ends.
func connectCSP(t *testing.T) *cspConn {
	t.Helper()
	pctx, err := pcsc.EstablishContext()
	if err != nil {
		t.Fatalf("SCardEstablishContext: %v", err)
	}
	card, err := pctx.Connect(reader, pcsc.ShareShared, pcsc.ProtocolAny)
	if err != nil {
		pctx.Release()
		t.Fatalf("SCardConnect(%q): %v", reader, err)
	}
	_, atr, err := card.Status()
	if err != nil {
		card.Disconnect(pcsc.LeaveCard)
		pctx.Release()
		t.Fatalf("SCardStatus: %v", err)
	}
	k := &cspConn{t: t, pctx: pctx, card: card, atr: atr}
	t.Cleanup(k.close)
	return k
}

// close disconnects (leaving the card as it is) and releases the PC/SC context; errors of a
// connection whose card is gone are expected and ignored.
func (k *cspConn) close() {
	if k.card != nil {
		_ = k.card.Disconnect(pcsc.LeaveCard)
		k.card = nil
	}
	if k.pctx != nil {
		_ = k.pctx.Release()
		k.pctx = nil
	}
}

// transact runs one minidriver call the way the Base CSP does: inside SCardBeginTransaction and
// SCardEndTransaction(SCARD_LEAVE_CARD). When another client reset the card since the last call
// (yubico-piv-tool resets it when it disconnects), BeginTransaction reports SCARD_W_RESET_CARD;
// the connection is then re-established with SCardReconnect(SCARD_LEAVE_CARD), as the Base CSP
// does, and the transaction retried. fn's error is returned as is (an engine error carries a
// spec.Status); a transaction failure is returned wrapped (it carries a pcsc.Error). A panic in
// fn fails the test with its value rather than crashing the test binary.
func (k *cspConn) transact(fn func() error) (err error) {
	err = k.card.BeginTransaction()
	if errors.Is(err, pcsc.SCardWResetCard) {
		k.resets++
		if rerr := k.card.Reconnect(pcsc.ShareShared, pcsc.ProtocolAny, pcsc.LeaveCard); rerr != nil {
			return fmt.Errorf("reconnect after a reset: %w", rerr)
		}
		err = k.card.BeginTransaction()
	}
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			k.t.Fatalf("the engine panicked: %v", p)
		}
		if endErr := k.card.EndTransaction(pcsc.LeaveCard); endErr != nil && err == nil {
			err = fmt.Errorf("end transaction: %w", endErr)
		}
	}()
	return fn()
}

// mdSession is one minidriver context on a cspConn, with the caller's callbacks (refhost).
type mdSession struct {
	t    *testing.T
	conn *cspConn
	ctx  *engine.Context
	host *refhost.Host
}

// acquire is CardAcquireContext (version 7) on the connection, with the ATR from SCardStatus.
func acquire(t *testing.T, m *engine.Module, conn *cspConn, host *refhost.Host, ext bool) *mdSession {
	t.Helper()
	s := &mdSession{t: t, conn: conn, host: host}
	err := conn.transact(func() error {
		var err error
		s.ctx, err = m.AcquireContext(engine.AcquireParams{Version: 7, ATR: conn.atr, CardName: engineCardName,
			HasCardName: true, Host: host, Card: conn, ExtendedLength: ext})
		return err
	})
	if err != nil {
		t.Fatalf("CardAcquireContext (ATR %X): %v", conn.atr, err)
	}
	if s.ctx.Version() != engine.CurrentVersion {
		t.Fatalf("CardAcquireContext: version %d, want %d", s.ctx.Version(), engine.CurrentVersion)
	}
	return s
}

// do runs one engine call in a card transaction.
func (s *mdSession) do(fn func(ctx *engine.Context) error) error {
	return s.conn.transact(func() error { return fn(s.ctx) })
}

// readFile is CardReadFile; it returns a copy and frees the caller's buffer.
func (s *mdSession) readFile(dir, name string) ([]byte, error) {
	var data []byte
	err := s.do(func(ctx *engine.Context) error {
		buf, err := ctx.ReadFile(dir, name, 0)
		if err != nil {
			return err
		}
		data = bytes.Clone(buf)
		s.host.Free(buf)
		return nil
	})
	return data, err
}

func (s *mdSession) mustRead(dir, name string) []byte {
	s.t.Helper()
	data, err := s.readFile(dir, name)
	if err != nil {
		s.t.Fatalf("CardReadFile(%q, %q): %v", dir, name, err)
	}
	return data
}

// containerInfo is CardGetContainerInfo; it returns copies of the blobs (sig, keyex).
func (s *mdSession) containerInfo(idx byte) (sig, kx []byte, err error) {
	err = s.do(func(ctx *engine.Context) error {
		info := engine.ContainerInfo{Version: spec.ContainerInfoCurrentVersion}
		if err := ctx.GetContainerInfo(idx, 0, &info); err != nil {
			return err
		}
		sig, kx = bytes.Clone(info.SigPublicKey), bytes.Clone(info.KeyExPublicKey)
		if info.SigPublicKey != nil {
			s.host.Free(info.SigPublicKey)
		}
		if info.KeyExPublicKey != nil {
			s.host.Free(info.KeyExPublicKey)
		}
		return nil
	})
	return sig, kx, err
}

func (s *mdSession) property(name string, flags uint32) []byte {
	s.t.Helper()
	var v []byte
	if err := s.do(func(ctx *engine.Context) (err error) { v, err = ctx.GetProperty(name, flags); return err }); err != nil {
		s.t.Fatalf("CardGetProperty(%q, %d): %v", name, flags, err)
	}
	return v
}

func (s *mdSession) authenticatePin(pin string) (uint32, error) {
	var attempts uint32
	err := s.do(func(ctx *engine.Context) (err error) {
		attempts, err = ctx.AuthenticatePin(spec.CardUserUser, []byte(pin))
		return err
	})
	return attempts, err
}

// signPIN presents the PIN as PIN 3, which the 9C key needs right before each use.
func (s *mdSession) signPIN(pin string) error {
	return s.do(func(ctx *engine.Context) error {
		_, _, err := ctx.AuthenticateEx(3, 0, []byte(pin), false)
		return err
	})
}

// sign is CardSignData; it returns a copy of the signature as the engine returns it (RSA
// little-endian, ECDSA r‖s).
func (s *mdSession) sign(si *engine.SigningInfo) ([]byte, error) {
	var sig []byte
	err := s.do(func(ctx *engine.Context) error {
		if err := ctx.SignData(si); err != nil {
			return err
		}
		sig = bytes.Clone(si.SignedData)
		s.host.Free(si.SignedData)
		return nil
	})
	return sig, err
}

// rsaSign signs a SHA-256 digest with PKCS#1 v1.5 (pss false) or PSS and returns the signature
// big-endian, as openssl and crypto/rsa want it.
func (s *mdSession) rsaSign(idx byte, digest []byte, pss bool) ([]byte, error) {
	si := &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: digest}
	if pss {
		si = &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardPaddingInfoPresent,
			PaddingType: engine.PaddingPSS, Padding: &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true, SaltLen: 32}, Data: digest}
	}
	sig, err := s.sign(si)
	slices.Reverse(sig) // Windows gets RSA signatures little-endian
	return sig, err
}

// decrypt is CardRSADecrypt of a big-endian ciphertext (reversed here, as Windows passes it).
func (s *mdSession) decrypt(idx byte, ct []byte, oaep *engine.OAEPInfo) ([]byte, error) {
	data := slices.Clone(ct)
	slices.Reverse(data)
	di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: data, PaddingType: engine.PaddingPKCS1}
	if oaep != nil {
		di.PaddingType, di.OAEP = engine.PaddingOAEP, oaep
	}
	var out []byte
	err := s.do(func(ctx *engine.Context) error {
		if err := ctx.RSADecrypt(di); err != nil {
			return err
		}
		out = slices.Clone(di.Data)
		return nil
	})
	return out, err
}

// end is CardDeleteContext; every buffer the engine handed out must have been freed.
func (s *mdSession) end() {
	s.t.Helper()
	if err := s.ctx.DeleteContext(); err != nil {
		s.t.Errorf("CardDeleteContext: %v", err)
	}
	if n := s.host.Live(); n != 0 {
		s.t.Errorf("%d buffers from the caller's allocator not freed", n)
	}
}

// wantStatus fails the test unless err carries the minidriver status want.
func wantStatus(t *testing.T, what string, err error, want spec.Status) {
	t.Helper()
	if got := spec.StatusOf(err); err == nil || got != want {
		t.Errorf("%s: %v (status %v), want %v", what, err, got, want)
	}
}

// certTemplate is a self-signed certificate template whose times are whole hours, so that nothing
// in the certificate reads like a PIN that the trace check looks for.
func certTemplate(cn string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	notBefore := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)
	return &x509.Certificate{SerialNumber: serial.Add(serial, big.NewInt(1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notBefore.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
}

// provisioned is what provisionPCSC put on the card.
type provisioned struct {
	pub   map[byte]crypto.PublicKey
	certs map[byte][]byte // DER
}

// provisionPCSC generates keys on the card through PC/SC (the PIV commands an administrator's
// tool sends) and stores self-signed certificates, made by the card, in their objects.
func provisionPCSC(t *testing.T, conn *cspConn, keys []enginetest.Key) *provisioned {
	t.Helper()
	p := &provisioned{pub: map[byte]crypto.PublicKey{}, certs: map[byte][]byte{}}
	mgm, err := hex.DecodeString(defaultMgmKey)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.transact(func() error {
		c := piv.NewClient(conn.card, piv.ClientOptions{ExtendedLength: true})
		if _, err := c.Select(); err != nil {
			return err
		}
		if err := c.AuthenticateMgm(piv.Alg3DES, mgm); err != nil {
			return err
		}
		for _, k := range keys {
			pub, err := c.Generate(k.Slot, k.Alg, 0, 0)
			if err != nil {
				return fmt.Errorf("generate %02X: %w", k.Slot, err)
			}
			p.pub[k.Slot] = pub
			if err := c.VerifyPIN([]byte(defaultPIN)); err != nil {
				return err
			}
			tmpl := certTemplate(fmt.Sprintf("engine interop %02X", k.Slot))
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, &piv.Signer{C: c, Slot: k.Slot, Alg: k.Alg, Pub: pub})
			if err != nil {
				return fmt.Errorf("certificate of %02X: %w", k.Slot, err)
			}
			p.certs[k.Slot] = der
			if err := c.PutData(piv.CertObject(k.Slot), enginetest.CertObject(der)); err != nil {
				return fmt.Errorf("store the certificate of %02X: %w", k.Slot, err)
			}
		}
		return c.Logout()
	})
	if err != nil {
		t.Fatalf("provision the card through PC/SC: %v", err)
	}
	return p
}

// TestEngineOverPCSC drives the minidriver engine through pcscd as the Base CSP does, with
// extended-length and with short APDUs: files, containers, properties, PINs, signatures,
// decryption and the error cases; then measures the APDUs of the logon flow.
func TestEngineOverPCSC(t *testing.T) {
	c := startCard(t)
	conn := connectCSP(t)
	if want, _ := hex.DecodeString(c.info.ATR); !bytes.Equal(conn.atr, want) {
		t.Fatalf("SCardStatus ATR %X, pivcard show says %s", conn.atr, c.info.ATR)
	}
	p := provisionPCSC(t, conn, enginetest.StandardKeys)
	m := engine.NewModule()
	for _, ext := range []bool{true, false} {
		name := "short"
		if ext {
			name = "extended"
		}
		step(t, name, func(t *testing.T) { engineFlow(t, c, m, p, ext) })
	}

	// The logon flow: with containers derived from the certificates (no map object), then with
	// a map object, as enrollment through the minidriver leaves the card.
	for _, ext := range []bool{true, false} {
		host := refhost.New()
		cold := logonPCSC(t, m, conn, host, ext)
		warm := logonPCSC(t, m, conn, host, ext)
		t.Logf("logon without map object, extended=%v: cold %d APDUs (%d bytes out, %d in), warm %d APDUs (%d/%d)",
			ext, cold.Commands, cold.BytesSent, cold.BytesReceived, warm.Commands, warm.BytesSent, warm.BytesReceived)
	}
	writeMapPCSC(t, conn, c.info.CHUIDGUID)
	for _, ext := range []bool{true, false} {
		host := refhost.New()
		cold := logonPCSC(t, m, conn, host, ext)
		warm := logonPCSC(t, m, conn, host, ext)
		t.Logf("logon with map object, extended=%v: cold %d APDUs (%d bytes out, %d in), warm %d APDUs (%d/%d)",
			ext, cold.Commands, cold.BytesSent, cold.BytesReceived, warm.Commands, warm.BytesSent, warm.BytesReceived)
		// SELECT, map, one GET DATA per container certificate (every cardcf read checks them, so
		// that a certificate replaced by another tool is noticed), VERIFY, signature.
		if budget := 4 + 4; ext && (cold.Commands > budget || warm.Commands > budget) {
			t.Errorf("logon with map object, extended: cold %d, warm %d APDUs (budget %d)", cold.Commands, warm.Commands, budget)
		}
	}
}

// engineFlow is the whole minidriver flow on a card provisioned with enginetest.StandardKeys.
func engineFlow(t *testing.T, c *card, m *engine.Module, p *provisioned, ext bool) {
	conn := connectCSP(t)
	host := refhost.New()
	s := acquire(t, m, conn, host, ext)

	// cardid and CP_CARD_GUID are the CHUID GUID.
	guid, err := hex.DecodeString(c.info.CHUIDGUID)
	if err != nil || len(guid) != 16 {
		t.Fatalf("pivcard show: CHUID GUID %q", c.info.CHUIDGUID)
	}
	if got := s.mustRead("", "cardid"); !bytes.Equal(got, guid) {
		t.Errorf("cardid %X, CHUID GUID %X", got, guid)
	}
	if got := s.property(spec.CPCardGUID, 0); !bytes.Equal(got, guid) {
		t.Errorf("CP_CARD_GUID %X, CHUID GUID %X", got, guid)
	}
	if got := string(s.property(spec.CPCardSerialNo, 0)); got != strconv.FormatUint(uint64(c.info.Serial), 10) {
		t.Errorf("CP_CARD_SERIAL_NO %q, card serial %d", got, c.info.Serial)
	}
	if got := s.property(spec.CPCardCacheMode, 0); !bytes.Equal(got, binary.LittleEndian.AppendUint32(nil, spec.CPCacheModeGlobalCache)) {
		t.Errorf("CP_CARD_CACHE_MODE %X, want CP_CACHE_MODE_GLOBAL_CACHE", got)
	}
	for _, w := range []struct {
		id      spec.PINID
		typ     spec.SecretType
		purpose spec.SecretPurpose
		cache   spec.PINCachePolicyType
	}{
		{spec.RoleUser, spec.AlphaNumericPinType, spec.AuthenticationPin, spec.PinCacheNormal},
		{spec.RoleAdmin, spec.ChallengeResponsePinType, spec.AdministratorPin, spec.PinCacheNormal},
		{3, spec.AlphaNumericPinType, spec.DigitalSignaturePin, spec.PinCacheAlwaysPrompt},
		{4, spec.AlphaNumericPinType, spec.UnblockOnlyPin, spec.PinCacheNormal},
	} {
		info, err := spec.ParsePINInfo(s.property(spec.CPCardPINInfo, uint32(w.id)))
		if err != nil || info.PinType != w.typ || info.PinPurpose != w.purpose || info.CachePolicy.Type != w.cache {
			t.Errorf("CP_CARD_PIN_INFO of PIN %d: %+v (%v), want type %v, purpose %v, cache %v", w.id, info, err, w.typ, w.purpose, w.cache)
		}
	}

	cf := s.mustRead("", "cardcf")
	if _, err := spec.ParseCacheFile(cf); err != nil {
		t.Errorf("cardcf %X: %v", cf, err)
	}
	if again := s.mustRead("", "cardcf"); !bytes.Equal(again, cf) {
		t.Errorf("cardcf changed from %X to %X with nothing written", cf, again)
	}

	recs, err := spec.ParseContainerMap(s.mustRead("mscp", "cmapfile"))
	if err != nil || len(recs) != 4 {
		t.Fatalf("cmapfile: %d records, %v", len(recs), err)
	}
	for i, w := range []struct {
		def      bool
		sig, kex uint16
	}{{true, 0, 2048}, {false, 256, 0}, {false, 0, 2048}, {false, 384, 0}} {
		r := recs[i]
		if !r.Valid() || r.Default() != w.def || r.SigKeySizeBits != w.sig || r.KeyExchangeKeySizeBits != w.kex {
			t.Errorf("cmapfile record %d: %+v; want valid, default %v, signature %d bits, key exchange %d bits", i, r, w.def, w.sig, w.kex)
		}
	}

	for name, slot := range map[string]byte{"kxc00": piv.SlotAuth, "ksc01": piv.SlotSign, "kxc02": piv.SlotKeyMgmt, "ksc03": piv.SlotCardAuth} {
		if got := s.mustRead("mscp", name); !bytes.Equal(got, p.certs[slot]) {
			t.Errorf("mscp/%s differs from the certificate stored in slot %02X", name, slot)
		}
	}
	for _, name := range []string{"ksc00", "kxc01", "kxc04"} {
		_, err := s.readFile("mscp", name)
		wantStatus(t, "mscp/"+name, err, spec.SCardEFileNotFound)
	}

	// Container info: the public keys as Windows blobs.
	for idx, slot := range []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth} {
		sig, kx, err := s.containerInfo(byte(idx))
		if err != nil {
			t.Fatalf("CardGetContainerInfo(%d): %v", idx, err)
		}
		switch want := p.pub[slot].(type) {
		case *rsa.PublicKey:
			pub, alg, err := spec.ParseRSAPublicKeyBlob(kx)
			if err != nil || !pub.Equal(want) || alg != spec.CALGRSAKeyX || sig != nil {
				t.Errorf("container %d: key exchange blob %v %v, signature blob %X", idx, err, alg, sig)
			}
		case *ecdsa.PublicKey:
			ks := spec.ATECDSAP256
			if want.Curve.Params().BitSize == 384 {
				ks = spec.ATECDSAP384
			}
			pub, magic, err := spec.ParseECCPublicKeyBlob(sig)
			if err != nil || !pub.Equal(want) || magic != spec.ECCPublicMagic(ks) || kx != nil {
				t.Errorf("container %d: signature blob %v %#x, key exchange blob %X", idx, err, magic, kx)
			}
		}
	}
	for _, idx := range []byte{4, 23} {
		_, _, err := s.containerInfo(idx)
		wantStatus(t, fmt.Sprintf("CardGetContainerInfo(%d)", idx), err, spec.SCardENoKeyContainer)
	}

	// Signing needs the PIN.
	digest := sha256.Sum256([]byte("cardmod engine over PC/SC"))
	_, err = s.rsaSign(0, digest[:], false)
	wantStatus(t, "sign without PIN", err, spec.SCardWSecurityViolation)

	// A wrong PIN: SCARD_W_WRONG_CHV with the attempts left, which the card also counts.
	attempts, err := s.authenticatePin("000000")
	wantStatus(t, "wrong PIN", err, spec.SCardWWrongCHV)
	if attempts != 2 {
		t.Errorf("wrong PIN: %d attempts left reported, want 2", attempts)
	}
	if got := c.show(t).PINRetries; got != [2]int{2, 3} {
		t.Errorf("pivcard show after a wrong PIN: PIN tries %v, want [2 3]", got)
	}
	if _, err := s.authenticatePin(defaultPIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	if got := c.show(t).PINRetries; got != [2]int{3, 3} {
		t.Errorf("pivcard show after the right PIN: PIN tries %v, want [3 3]", got)
	}

	// RSA PKCS#1 v1.5 SHA-256 and PSS with the logon key.
	pub9a := p.pub[piv.SlotAuth].(*rsa.PublicKey)
	sig, err := s.rsaSign(0, digest[:], false)
	if err != nil {
		t.Fatalf("CardSignData PKCS#1: %v", err)
	}
	if err := rsa.VerifyPKCS1v15(pub9a, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("PKCS#1 v1.5 signature: %v", err)
	}
	sig, err = s.rsaSign(0, digest[:], true)
	if err != nil {
		t.Fatalf("CardSignData PSS: %v", err)
	}
	if err := rsa.VerifyPSS(pub9a, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		t.Errorf("PSS signature: %v", err)
	}

	// ECDSA P-256 with 9C: PIN 3 right before each use.
	es := &engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest[:]}
	_, err = s.sign(es)
	wantStatus(t, "9C without a fresh PIN", err, spec.SCardWSecurityViolation)
	if err := s.signPIN(defaultPIN); err != nil {
		t.Fatalf("CardAuthenticateEx(3): %v", err)
	}
	rs, err := s.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest[:]})
	if err != nil || len(rs) != 64 {
		t.Fatalf("CardSignData ECDSA P-256: %d bytes, %v", len(rs), err)
	}
	if !ecdsa.Verify(p.pub[piv.SlotSign].(*ecdsa.PublicKey), digest[:], new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])) {
		t.Error("ECDSA P-256 r‖s does not verify")
	}
	_, err = s.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest[:]})
	wantStatus(t, "9C a second time without PIN", err, spec.SCardWSecurityViolation)

	// ECDSA P-384 with 9E.
	d384 := sha512.Sum384([]byte("cardmod engine over PC/SC"))
	rs, err = s.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 3, KeySpec: spec.ATECDSAP384, Data: d384[:]})
	if err != nil || len(rs) != 96 {
		t.Fatalf("CardSignData ECDSA P-384: %d bytes, %v", len(rs), err)
	}
	if !ecdsa.Verify(p.pub[piv.SlotCardAuth].(*ecdsa.PublicKey), d384[:], new(big.Int).SetBytes(rs[:48]), new(big.Int).SetBytes(rs[48:])) {
		t.Error("ECDSA P-384 r‖s does not verify")
	}

	// A container without a key.
	_, err = s.rsaSign(4, digest[:], false)
	wantStatus(t, "sign with container 4", err, spec.SCardENoKeyContainer)

	// Decryption with 9D: PKCS#1 v1.5 and OAEP SHA-256 with a label.
	pub9d := p.pub[piv.SlotKeyMgmt].(*rsa.PublicKey)
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub9d, []byte("session key"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.decrypt(2, ct, nil); err != nil || string(got) != "session key" {
		t.Errorf("CardRSADecrypt PKCS#1: %q, %v", got, err)
	}
	ct, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub9d, []byte("oaep key"), []byte("label"))
	if err != nil {
		t.Fatal(err)
	}
	oaep := &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true, Label: []byte("label")}
	if got, err := s.decrypt(2, ct, oaep); err != nil || string(got) != "oaep key" {
		t.Errorf("CardRSADecrypt OAEP: %q, %v", got, err)
	}
	_, err = s.decrypt(2, ct, &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true, Label: []byte("other")})
	wantStatus(t, "OAEP with a wrong label", err, spec.SCardEInvalidValue)

	// Log out: the card no longer signs, and no PIN is authenticated.
	if err := s.do(func(ctx *engine.Context) error { return ctx.DeauthenticateEx(spec.PINSetAllRoles, 0) }); err != nil {
		t.Fatalf("CardDeauthenticateEx: %v", err)
	}
	if got := s.property(spec.CPCardAuthenticatedState, 0); !bytes.Equal(got, make([]byte, 4)) {
		t.Errorf("CP_CARD_AUTHENTICATED_STATE after logging out: %X", got)
	}
	_, err = s.rsaSign(0, digest[:], false)
	wantStatus(t, "sign after CardDeauthenticateEx", err, spec.SCardWSecurityViolation)

	st := s.ctx.Stats()
	t.Logf("extended=%v: the whole flow took %d APDUs (%d bytes out, %d in)", ext, st.Commands, st.BytesSent, st.BytesReceived)
	s.end()
}

// logonPCSC runs what Windows does at smart card logon, each call in its own transaction:
// acquire a context, read cardcf, cmapfile and the logon certificate, present the PIN, sign. It
// returns the APDUs the context sent.
func logonPCSC(t *testing.T, m *engine.Module, conn *cspConn, host *refhost.Host, ext bool) apdu.Stats {
	t.Helper()
	s := acquire(t, m, conn, host, ext)
	for _, f := range [][2]string{{"", "cardcf"}, {"mscp", "cmapfile"}, {"mscp", "kxc00"}} {
		s.mustRead(f[0], f[1])
	}
	if _, err := s.authenticatePin(defaultPIN); err != nil {
		t.Fatalf("logon: CardAuthenticatePin: %v", err)
	}
	d := sha256.Sum256([]byte("logon"))
	if _, err := s.rsaSign(0, d[:], false); err != nil {
		t.Fatalf("logon: CardSignData: %v", err)
	}
	st := s.ctx.Stats()
	s.end()
	return st
}

// writeMapPCSC stores a map object for enginetest.StandardKeys, as enrollment through the
// minidriver leaves it.
func writeMapPCSC(t *testing.T, conn *cspConn, guidHex string) {
	t.Helper()
	guid, _ := hex.DecodeString(guidHex)
	mgm, _ := hex.DecodeString(defaultMgmKey)
	entries := []engine.MapEntry{
		{Index: 0, KeySpec: uint32(spec.ATKeyExchange), Bits: 2048, PIN: 1, Default: true},
		{Index: 1, KeySpec: uint32(spec.ATECDSAP256), Bits: 256, PIN: 3},
		{Index: 2, KeySpec: uint32(spec.ATKeyExchange), Bits: 2048, PIN: 1},
		{Index: 3, KeySpec: uint32(spec.ATECDSAP384), Bits: 384, PIN: 1},
	}
	for i := range entries {
		entries[i].Name = fmt.Sprintf("{5A1C0D%02X-0000-4000-8000-%012X}", i, guid[:6])
	}
	err := conn.transact(func() error {
		c := piv.NewClient(conn.card, piv.ClientOptions{ExtendedLength: true})
		if _, err := c.Select(); err != nil {
			return err
		}
		if err := c.AuthenticateMgm(piv.Alg3DES, mgm); err != nil {
			return err
		}
		return c.PutData(engine.MapObjectTag, engine.EncodeMapObject(make([]byte, 6), guid, entries))
	})
	if err != nil {
		t.Fatalf("write the map object: %v", err)
	}
}

// ykKey generates a key with yubico-piv-tool, makes and imports its certificate (through
// selfSign, with its workaround for yubico-piv-tool 2.2.0 and OpenSSL 3) and returns the public
// key and the certificate (DER).
func (c *card) ykKey(t *testing.T, k keySpec) (crypto.PublicKey, []byte) {
	t.Helper()
	pubFile := c.path("pub" + k.slot + ".pem")
	out := c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "generate", "-s", k.slot, "-A", k.alg, "-o", pubFile))
	expect(t, "generate", out, "Successfully generated a new private key.")
	pub, _ := readPublicKey(t, pubFile)
	return pub, c.ykCert(t, k, pub)
}

// ykCert makes a new self-signed certificate for the key of slot k.slot and imports it with
// yubico-piv-tool; it returns the certificate (DER).
func (c *card) ykCert(t *testing.T, k keySpec, pub crypto.PublicKey) []byte {
	t.Helper()
	certFile := c.path("cert" + k.slot + ".pem")
	c.selfSign(t, k, c.path("pub"+k.slot+".pem"), pub, certFile)
	out := c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "import-certificate", "-s", k.slot, "-i", certFile))
	expect(t, "import-certificate", out, "Successfully imported a new certificate.")
	return readPEM(t, certFile, "CERTIFICATE")
}

// TestEngineYubicoProvisioned checks that keys and certificates provisioned by yubico-piv-tool are
// usable through the engine, and openssl checks what the engine produces.
func TestEngineYubicoProvisioned(t *testing.T) {
	c := startCard(t)
	keys := []keySpec{
		{slot: "9a", alg: "RSA2048", cn: "engine rsa 9a"},
		{slot: "9c", alg: "ECCP256", cn: "engine ecc 9c", ec: true},
		{slot: "9d", alg: "RSA2048", cn: "engine rsa 9d"},
	}
	pubs := map[string]crypto.PublicKey{}
	certs := map[string][]byte{}
	for _, k := range keys {
		step(t, "yubico-piv-tool "+k.slot, func(t *testing.T) {
			pubs[k.slot], certs[k.slot] = c.ykKey(t, k)
		})
	}
	// The public keys as openssl extracts them from the certificates.
	for _, k := range keys {
		der := c.path("cert" + k.slot + ".der")
		if err := os.WriteFile(der, certs[k.slot], 0o600); err != nil {
			t.Fatal(err)
		}
		c.ok(t, []string{"openssl", "x509", "-inform", "DER", "-in", der, "-pubkey", "-noout", "-out", c.path("certpub" + k.slot + ".pem")})
	}

	conn := connectCSP(t)
	host := refhost.New()
	s := acquire(t, engine.NewModule(), conn, host, true)

	step(t, "containers", func(t *testing.T) {
		recs, err := spec.ParseContainerMap(s.mustRead("mscp", "cmapfile"))
		if err != nil || len(recs) != 3 {
			t.Fatalf("cmapfile: %d records, %v", len(recs), err)
		}
		for i, w := range []struct {
			def      bool
			sig, kex uint16
		}{{true, 0, 2048}, {false, 256, 0}, {false, 0, 2048}} {
			r := recs[i]
			if !r.Valid() || r.Default() != w.def || r.SigKeySizeBits != w.sig || r.KeyExchangeKeySizeBits != w.kex {
				t.Errorf("cmapfile record %d: %+v; want valid, default %v, signature %d bits, key exchange %d bits", i, r, w.def, w.sig, w.kex)
			}
		}
		for i, k := range keys {
			sig, kx, err := s.containerInfo(byte(i))
			if err != nil {
				t.Fatalf("CardGetContainerInfo(%d): %v", i, err)
			}
			if k.ec {
				pub, magic, err := spec.ParseECCPublicKeyBlob(sig)
				if err != nil || !pub.Equal(pubs[k.slot]) || magic != spec.ECCPublicMagic(spec.ATECDSAP256) || kx != nil {
					t.Errorf("container %d: ECDSA P-256 blob %v %#x, key exchange blob %X", i, err, magic, kx)
				}
				continue
			}
			pub, alg, err := spec.ParseRSAPublicKeyBlob(kx)
			if err != nil || !pub.Equal(pubs[k.slot]) || pub.N.BitLen() != 2048 || alg != spec.CALGRSAKeyX || sig != nil {
				t.Errorf("container %d: RSA key exchange blob %v %v, signature blob %X", i, err, alg, sig)
			}
		}
		_, _, err = s.containerInfo(3)
		wantStatus(t, "CardGetContainerInfo(3)", err, spec.SCardENoKeyContainer)
	})

	step(t, "certificates", func(t *testing.T) {
		for name, slot := range map[string]string{"kxc00": "9a", "ksc01": "9c", "kxc02": "9d"} {
			if got := s.mustRead("mscp", name); !bytes.Equal(got, certs[slot]) {
				t.Errorf("mscp/%s differs from the certificate yubico-piv-tool imported into %s", name, slot)
			}
		}
	})

	data := c.path("data.txt")
	if err := os.WriteFile(data, []byte("cardmod: signed by the minidriver engine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("cardmod: signed by the minidriver engine\n"))
	if _, err := s.authenticatePin(defaultPIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}

	step(t, "sign RSA 9a", func(t *testing.T) {
		sig, err := s.rsaSign(0, digest[:], false)
		if err != nil {
			t.Fatalf("CardSignData: %v", err)
		}
		file := c.path("sig9a.bin")
		if err := os.WriteFile(file, sig, 0o600); err != nil {
			t.Fatal(err)
		}
		out := c.ok(t, []string{"openssl", "dgst", "-sha256", "-verify", c.path("certpub9a.pem"), "-signature", file, data})
		expect(t, "openssl dgst -verify", out, "Verified OK")
	})

	step(t, "sign ECDSA 9c", func(t *testing.T) {
		if err := s.signPIN(defaultPIN); err != nil {
			t.Fatalf("CardAuthenticateEx(3): %v", err)
		}
		rs, err := s.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest[:]})
		if err != nil || len(rs) != 64 {
			t.Fatalf("CardSignData ECDSA: %d bytes, %v", len(rs), err)
		}
		der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
		if err != nil {
			t.Fatal(err)
		}
		file := c.path("sig9c.der")
		if err := os.WriteFile(file, der, 0o600); err != nil {
			t.Fatal(err)
		}
		out := c.ok(t, []string{"openssl", "dgst", "-sha256", "-verify", c.path("certpub9c.pem"), "-signature", file, data})
		expect(t, "openssl dgst -verify", out, "Verified OK")
	})

	step(t, "decrypt RSA 9d", func(t *testing.T) {
		secret := c.path("secret.txt")
		if err := os.WriteFile(secret, []byte("a secret for the engine"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			name    string
			openssl []string
			oaep    *engine.OAEPInfo
		}{
			{"PKCS#1", nil, nil},
			{"OAEP", []string{"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"},
				&engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true}},
		} {
			enc := c.path("enc-" + strings.TrimSuffix(m.name, "#1"))
			c.ok(t, append([]string{"openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", c.path("certpub9d.pem"), "-in", secret, "-out", enc}, m.openssl...))
			ct, err := os.ReadFile(enc)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.decrypt(2, ct, m.oaep); err != nil || string(got) != "a secret for the engine" {
				t.Errorf("CardRSADecrypt %s of openssl's ciphertext: %q, %v", m.name, got, err)
			}
		}
	})

	if err := s.do(func(ctx *engine.Context) error { return ctx.DeauthenticateEx(spec.PINSetAllRoles, 0) }); err != nil {
		t.Errorf("CardDeauthenticateEx: %v", err)
	}
	s.end()
}

// TestEngineNoticesChange replaces a certificate with yubico-piv-tool behind the engine's back:
// cardcf, derived from the certificates on a card without map object, must change, and the
// certificate file must give the new certificate.
func TestEngineNoticesChange(t *testing.T) {
	c := startCard(t)
	k := keySpec{slot: "9a", alg: "RSA2048", cn: "engine before"}
	pub, before := c.ykKey(t, k)

	conn := connectCSP(t)
	s := acquire(t, engine.NewModule(), conn, refhost.New(), true)
	cf1 := s.mustRead("", "cardcf")
	if got := s.mustRead("mscp", "kxc00"); !bytes.Equal(got, before) {
		t.Fatalf("kxc00 differs from the certificate yubico-piv-tool imported")
	}
	if _, _, err := s.containerInfo(0); err != nil {
		t.Fatalf("CardGetContainerInfo(0): %v", err)
	}

	k.cn = "engine after"
	after := c.ykCert(t, k, pub)
	if bytes.Equal(after, before) {
		t.Fatal("the new certificate is the old one")
	}

	cf2 := s.mustRead("", "cardcf")
	t.Logf("cardcf %X before, %X after yubico-piv-tool replaced the certificate (card resets seen: %d)", cf1, cf2, conn.resets)
	if bytes.Equal(cf1, cf2) {
		t.Errorf("cardcf stayed %X after the 9A certificate changed", cf1)
	}
	if got := s.mustRead("mscp", "kxc00"); !bytes.Equal(got, after) {
		cert, _ := x509.ParseCertificate(got)
		subject := "unparseable"
		if cert != nil {
			subject = cert.Subject.String()
		}
		t.Errorf("kxc00 after the change is not the new certificate (subject %s)", subject)
	}
	if cf3 := s.mustRead("", "cardcf"); !bytes.Equal(cf3, cf2) {
		t.Errorf("cardcf changed again, from %X to %X, with nothing written", cf2, cf3)
	}
	s.end()
}

// TestEngineCardRemoval stops the card's server in the middle of a session: the engine reports
// a PC/SC removal code or SCARD_E_COMM_DATA_LOST (never panics), and once the card is served
// again a new context works.
func TestEngineCardRemoval(t *testing.T) {
	c := startCard(t)
	conn := connectCSP(t)
	p := provisionPCSC(t, conn, []enginetest.Key{{Slot: piv.SlotAuth, Alg: piv.AlgECCP256, Cert: true}})
	m := engine.NewModule()
	s := acquire(t, m, conn, refhost.New(), true)
	cf := s.mustRead("", "cardcf")
	if got := s.mustRead("mscp", "ksc00"); !bytes.Equal(got, p.certs[piv.SlotAuth]) {
		t.Fatal("ksc00 differs from the certificate stored in 9A")
	}
	if _, err := s.authenticatePin(defaultPIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}

	// The card goes away while the Base CSP holds a transaction.
	if err := conn.card.BeginTransaction(); err != nil {
		t.Fatalf("SCardBeginTransaction: %v", err)
	}
	c.stop(t)
	// Wait until pcscd has noticed (it polls vpcd for the card's presence); a command sent before
	// that fails in the reader driver, which pcsc-lite reports as SCARD_E_NOT_TRANSACTED.
	deadline := time.Now().Add(readyTimeout)
	for {
		_, _, err := conn.card.Status()
		if err != nil {
			t.Logf("SCardStatus once pcscd noticed the removal: %v", err)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pcscd still reports the card %v after its server stopped", readyTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	digest := sha256.Sum256([]byte("removed"))
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("the engine panicked after the card was removed: %v", p)
			}
		}()
		conn.txErr = nil
		_, err = s.ctx.ReadFile("", "cardcf", 0)
	}()
	t.Logf("CardReadFile(cardcf) after the card was removed: status %v: %v", spec.StatusOf(err), err)
	checkRemoved(t, conn, "CardReadFile(cardcf) after removal", err)
	if endErr := conn.card.EndTransaction(pcsc.LeaveCard); endErr != nil {
		t.Logf("SCardEndTransaction after the removal: %v", endErr)
	}

	// The next calls, each in its own transaction.
	for _, call := range []struct {
		name string
		fn   func(ctx *engine.Context) error
	}{
		{"CardSignData", func(ctx *engine.Context) error {
			return ctx.SignData(&engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATECDSAP256, Data: digest[:]})
		}},
		{"CardAuthenticatePin", func(ctx *engine.Context) error {
			_, err := ctx.AuthenticatePin(spec.CardUserUser, []byte(defaultPIN))
			return err
		}},
	} {
		conn.txErr = nil
		err := s.do(call.fn)
		var pe pcsc.Error
		if errors.As(err, &pe) && !errors.As(err, new(spec.Status)) {
			// The transaction could not even start: what the Base CSP sees before calling the
			// minidriver. Call the engine directly to see what it answers.
			t.Logf("%s: the transaction fails first: %v", call.name, err)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%s panicked after the card was removed: %v", call.name, p)
					}
				}()
				err = call.fn(s.ctx)
			}()
		}
		t.Logf("%s after the removal: status %v: %v", call.name, spec.StatusOf(err), err)
		checkRemoved(t, conn, call.name+" after removal", err)
	}
	s.end()
	conn.close()

	// The card is inserted again: a new connection and a new context work.
	c.serve(t)
	conn = connectCSP(t)
	s = acquire(t, m, conn, refhost.New(), true)
	if got := s.mustRead("", "cardcf"); !bytes.Equal(got, cf) {
		t.Errorf("cardcf %X after reinsertion, %X before", got, cf)
	}
	if got := s.mustRead("mscp", "ksc00"); !bytes.Equal(got, p.certs[piv.SlotAuth]) {
		t.Error("ksc00 after reinsertion differs from the certificate stored in 9A")
	}
	if _, err := s.authenticatePin(defaultPIN); err != nil {
		t.Fatalf("CardAuthenticatePin after reinsertion: %v", err)
	}
	rs, err := s.sign(&engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATECDSAP256, Data: digest[:]})
	if err != nil || len(rs) != 64 {
		t.Fatalf("CardSignData after reinsertion: %d bytes, %v", len(rs), err)
	}
	if !ecdsa.Verify(p.pub[piv.SlotAuth].(*ecdsa.PublicKey), digest[:], new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])) {
		t.Error("ECDSA signature after reinsertion does not verify")
	}
	s.end()
}

// checkRemoved fails the test unless err is what a minidriver must answer when its card is gone:
// a PC/SC removal or reset code, or SCARD_E_COMM_DATA_LOST. When SCardTransmit reported the
// removal or a reset, the engine must pass that status on (engine/context.go, cardError), so that
// the Base CSP knows what happened.
func checkRemoved(t *testing.T, conn *cspConn, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded", what)
		return
	}
	st := spec.StatusOf(err)
	switch st {
	case spec.SCardWRemovedCard, spec.SCardWResetCard, spec.SCardENoSmartcard, spec.SCardECommDataLost,
		spec.Status(pcsc.SCardWUnpoweredCard), spec.Status(pcsc.SCardWUnresponsiveCard):
	default:
		t.Errorf("%s: status %v (%v), want a removal or reset code or SCARD_E_COMM_DATA_LOST", what, st, err)
	}
	var pe pcsc.Error
	if errors.As(conn.txErr, &pe) && (pe == pcsc.SCardWRemovedCard || pe == pcsc.SCardWResetCard) && st != spec.Status(pe) {
		t.Errorf("%s: SCardTransmit failed with %v, the engine answers %v instead (engine/context.go cardError "+
			"keeps the PC/SC code only of transport errors with a PCSCStatus method)", what, pe, st)
	}
}
