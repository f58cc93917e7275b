package main

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
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

// demoStep is one step of the demo, as printed and as JSON.
type demoStep struct {
	N             int      `json:"n"`
	Title         string   `json:"title"`
	APDUs         int      `json:"apdus"`
	BytesSent     int      `json:"bytes_sent"`
	BytesReceived int      `json:"bytes_received"`
	Card          []string `json:"card_commands"`
	Details       []string `json:"details"`
	Checks        int      `json:"checks"`
	// Minidriver is false for the one step in which mdtool itself, not the minidriver, talks to
	// the card; its APDUs are not in the totals.
	Minidriver bool   `json:"minidriver"`
	OK         bool   `json:"ok"`
	Failure    string `json:"failure,omitempty"`
}

// demoReport is the JSON form of the whole demo.
type demoReport struct {
	Card     demoCard   `json:"card"`
	Extended bool       `json:"extended_length"`
	Steps    []demoStep `json:"steps"`
	Totals   demoTotals `json:"totals"`
	OK       bool       `json:"ok"`
}

type demoCard struct {
	Description   string `json:"description"`
	ATR           string `json:"atr"`
	Serial        uint32 `json:"serial"`
	CHUIDGUID     string `json:"chuid_guid"`
	ProvisionTime string `json:"provisioning_time"`
}

type demoTotals struct {
	Steps         int    `json:"steps"`
	Calls         int    `json:"minidriver_calls"`
	APDUs         int    `json:"apdus"`
	BytesSent     int    `json:"bytes_sent"`
	BytesReceived int    `json:"bytes_received"`
	Checks        int    `json:"checks"`
	Elapsed       string `json:"elapsed"`
}

// reportedError is a failure the command already reported on stdout (the demo's JSON report).
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

// demo runs the Base CSP's conversation with a fresh card.
type demo struct {
	a       *app
	card    *vcard.Card
	log     *piv.CommandLog
	t       apdu.Transport // log, traced with --trace
	module  *engine.Module
	s       *session // the main context
	calls   int      // minidriver calls of finished sessions
	pubs    map[byte]crypto.PublicKey
	report  demoReport
	current *demoStep
	// The Base CSP cache and APDU count of the last cold logon, for the warm one.
	coldHost  *refhost.Host
	coldAPDUs int
	// The container the enrollment steps made, its public key and certificate.
	enrolled     byte
	enrolledPub  crypto.PublicKey
	enrolledCert *x509.Certificate
}

// stepFailure is a check that did not hold.
type stepFailure struct{ msg string }

func (e stepFailure) Error() string { return e.msg }

// say adds a line of output to the current step.
func (d *demo) say(format string, args ...any) {
	d.current.Details = append(d.current.Details, fmt.Sprintf(format, args...))
}

// expect records a check; a false one fails the step with the message.
func (d *demo) expect(ok bool, format string, args ...any) error {
	d.current.Checks++
	if ok {
		return nil
	}
	return stepFailure{fmt.Sprintf(format, args...)}
}

// expectStatus checks that err carries the minidriver status want.
func (d *demo) expectStatus(err error, want spec.Status, what string) error {
	if err == nil {
		return d.expect(false, "%s succeeded; expected %v", what, want)
	}
	return d.expect(spec.StatusOf(err) == want, "%s: %v; expected %v", what, err, want)
}

// step runs one step: fn's APDUs are those of the main context (the Stats delta) plus what fn
// reports in extra for contexts of its own.
func (d *demo) step(title string, minidriver bool, fn func(extra *apdu.Stats) error) error {
	st := &demoStep{N: len(d.report.Steps) + 1, Title: title, Minidriver: minidriver, Details: []string{}}
	d.current = st
	if d.a.opts.trace {
		fmt.Fprintf(d.a.stderr, "# step %d: %s\n", st.N, title)
	}
	var ctx0 *engine.Context
	var before apdu.Stats
	if d.s != nil && d.s.ctx != nil {
		ctx0, before = d.s.ctx, d.s.stats()
	}
	var extra apdu.Stats
	err := fn(&extra)
	var after apdu.Stats
	switch {
	case ctx0 != nil:
		after = ctx0.Stats() // also after CardDeleteContext
	case d.s != nil && d.s.ctx != nil:
		after = d.s.stats() // acquired by this step
	}
	st.APDUs = after.Commands - before.Commands + extra.Commands
	st.BytesSent = after.BytesSent - before.BytesSent + extra.BytesSent
	st.BytesReceived = after.BytesReceived - before.BytesReceived + extra.BytesReceived
	st.Card = d.log.Take()
	if st.Card == nil {
		st.Card = []string{}
	}
	if err == nil && len(st.Card) != st.APDUs {
		err = stepFailure{fmt.Sprintf("the context counted %d APDUs but %d reached the card", st.APDUs, len(st.Card))}
	}
	st.OK = err == nil
	if err != nil {
		st.Failure = err.Error()
	}
	d.report.Steps = append(d.report.Steps, *st)
	if !d.a.opts.json {
		d.printStep(*st)
	}
	if err != nil {
		return fmt.Errorf("demo failed at step %d (%s): %w", st.N, title, err)
	}
	return nil
}

func (d *demo) printStep(st demoStep) {
	w := d.a.stdout
	count := fmt.Sprintf("%d APDU", st.APDUs)
	if st.APDUs != 1 {
		count += "s"
	}
	fmt.Fprintf(w, "%2d. %-66s %9s\n", st.N, st.Title, count)
	if len(st.Card) > 0 {
		fmt.Fprintf(w, "      card: %s\n", summarizeAPDUs(st.Card))
	}
	for _, l := range st.Details {
		fmt.Fprintf(w, "      %s\n", l)
	}
	if !st.OK {
		fmt.Fprintf(w, "      FAILED: %s\n", st.Failure)
	}
}

// statusLine renders a minidriver error as the demo shows it.
func statusLine(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		if se.detail != "" {
			return fmt.Sprintf("%v: %s", se.st, se.detail)
		}
		return se.st.Error()
	}
	return err.Error()
}

func (a *app) cmdDemo(args []string) error {
	fs := a.newFlagSet("demo")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if a.opts.reader != "" {
		return usageError{"demo always uses a fresh in-memory virtual card; drop --reader (try mdtool info --reader ...)"}
	}
	start := time.Now()
	d := &demo{a: a, module: engine.NewModule()}
	d.report.Extended = a.opts.extended
	err := d.run()
	d.report.OK = err == nil
	var calls int
	if d.s != nil {
		calls = d.s.calls
		if d.s.ctx != nil {
			_ = d.s.close()
		}
	}
	t := &d.report.Totals
	t.Calls += d.calls + calls
	for _, st := range d.report.Steps {
		t.Steps++
		t.Checks += st.Checks
		if st.Minidriver {
			t.APDUs += st.APDUs
			t.BytesSent += st.BytesSent
			t.BytesReceived += st.BytesReceived
		}
	}
	t.Elapsed = time.Since(start).Round(time.Millisecond).String()
	if a.opts.json {
		if jerr := a.writeJSON(d.report); jerr != nil {
			return jerr
		}
		if err != nil {
			return reportedError{err}
		}
		return nil
	}
	w := a.stdout
	if err != nil {
		fmt.Fprintf(w, "\nDEMO FAILED: %v\n", err)
		return err
	}
	fmt.Fprintf(w, "\nAll %d steps passed their %d checks: %d minidriver calls cost %d APDUs (%d bytes sent, %d received); %s in all.\n",
		t.Steps, t.Checks, t.Calls, t.APDUs, t.BytesSent, t.BytesReceived, t.Elapsed)
	return nil
}

// run provisions the card and runs the steps; it stops at the first failing step.
func (d *demo) run() error {
	a := d.a
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		return fmt.Errorf("create the virtual card: %w", err)
	}
	d.card = card
	pstart := time.Now()
	pubs, err := provision(card, time.Now())
	if err != nil {
		return err
	}
	d.pubs = pubs
	info := card.Info()
	d.report.Card = demoCard{Description: "fresh in-memory virtual PIV card (vcard.New)", ATR: info.ATR, Serial: info.Serial,
		CHUIDGUID: strings.ToUpper(info.CHUIDGUID), ProvisionTime: time.Since(pstart).Round(time.Millisecond).String()}
	d.log = &piv.CommandLog{T: card}
	d.t = a.traced(d.log)
	if !a.opts.json {
		w := a.stdout
		mode := "extended-length APDUs"
		if !a.opts.extended {
			mode = "short APDUs (command chaining and GET RESPONSE)"
		}
		fmt.Fprintf(w, "mdtool demo: the Windows Base CSP / Smart Card KSP driving the cardmod minidriver, call by call.\n\n")
		fmt.Fprintf(w, "Card: a fresh in-memory virtual PIV card, provisioned in %s the way a PIV tool issues one: keys\n", d.report.Card.ProvisionTime)
		fmt.Fprintf(w, "      generated on the card (9A RSA-2048, 9C ECC P-256, 9D RSA-2048, 9E ECC P-384), a self-signed\n")
		fmt.Fprintf(w, "      certificate in each certificate object, default PIN, PUK and management key, no map object.\n")
		fmt.Fprintf(w, "      Serial %d, CHUID GUID %s. Transport: %s.\n", info.Serial, d.report.Card.CHUIDGUID, mode)
		fmt.Fprintf(w, "Each step is minidriver calls as the Base CSP makes them, with the APDUs they cost (the context's Stats)\n")
		fmt.Fprintf(w, "and the commands that reached the card; every result is checked.\n\n")
	}
	for _, st := range []struct {
		title      string
		minidriver bool
		fn         func(extra *apdu.Stats) error
	}{
		{"CardAcquireContext (CARD_DATA version 7)", true, d.acquire},
		{"CardReadFile cardid", true, d.readCardID},
		{"CardReadFile cardcf", true, d.readCardcf},
		{"CardReadFile mscp/cmapfile", true, d.readCmapfile},
		{"CardGetContainerInfo + CCP_PIN_IDENTIFIER, containers 0-3", true, d.containerInfo},
		{"CardReadFile mscp/kxc00, ksc01, kxc02, ksc03 (certificates)", true, d.readCerts},
		{"CardGetProperty GUID, serial number, PIN 1 info, cache mode", true, d.properties},
		{"CardSignData container 0 before any PIN", true, d.signWithoutPIN},
		{"CardAuthenticatePin(\"user\"), CP_CARD_AUTHENTICATED_STATE", true, d.authenticate},
		{"CardSignData container 0: SHA-256, PKCS#1 v1.5", true, d.signPKCS1},
		{"CardSignData container 0: SHA-256, RSA-PSS", true, d.signPSS},
		{"CardAuthenticateEx(PIN 3) + CardSignData container 1 (9C, ECDSA)", true, d.signECDSA},
		{"CardRSADecrypt container 2: RSA-OAEP (SHA-256)", true, d.decryptOAEP},
		{"ECDH: PIN 3, CardConstructDHAgreement(1), CardDeriveKey x2", true, d.ecdhAgreement},
		{"CardAuthenticatePin with a wrong PIN", true, d.wrongPIN},
		{"CardAuthenticatePin with the right PIN", true, d.rightPIN},
		{"CardDeauthenticateEx(PIN_SET_ALL_ROLES), state, signature attempt", true, d.deauthenticate},
		{"CardDeleteContext", true, d.deleteContext},
		{"Logon flow, cold: new context, empty Base CSP cache", true, d.logonCold},
		{"Logon flow, warm: new context, same Base CSP cache", true, d.logonWarm},
		{"(mdtool, not the minidriver) write the map object 5FFF10", false, d.writeMap},
		{"Logon flow with the map object, cold: new context, empty cache", true, d.mapLogonCold},
		{"Logon flow with the map object, warm: new context, same cache", true, d.mapLogonWarm},
		{"Enroll: CardCreateContainerEx (P-256 made on the card), cmapfile", true, d.enrollKey},
		{"Enroll: request signed by CardSignData, throwaway CA, mscp/ksc04", true, d.enrollCert},
		{"New context: the enrolled container, its certificate, a signature", true, d.enrolledSign},
	} {
		if err := d.step(st.title, st.minidriver, st.fn); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) acquire(*apdu.Stats) error {
	d.s = &session{conn: &conn{t: d.t, atr: vcard.ATR(), cardName: virtualCardName, desc: "demo card",
		transact: func(fn func() error) error { return fn() }, close: func() error { return nil }, vcard: d.card},
		module: d.module, host: refhost.New()}
	if err := d.s.acquire(d.a.opts.extended); err != nil {
		return err
	}
	name, known := d.module.KnownATR(vcard.ATR())
	if err := d.expect(d.s.ctx.Version() == 7, "negotiated version %d, want 7", d.s.ctx.Version()); err != nil {
		return err
	}
	if err := d.expect(known, "the minidriver does not know the ATR %X", vcard.ATR()); err != nil {
		return err
	}
	d.say("version 7 negotiated; the ATR %X is a %q card; the PIV application is selected", vcard.ATR(), name)
	return nil
}

func (d *demo) readCardID(*apdu.Stats) error {
	id, err := d.s.readFile("", spec.FileCardIdentifier)
	if err != nil {
		return err
	}
	guid := d.report.Card.CHUIDGUID
	if err := d.expect(hexUpper(id) == guid, "cardid %X is not the CHUID GUID %s", id, guid); err != nil {
		return err
	}
	d.say("cardid %X (16 bytes) = the GUID in the card's CHUID", id)
	return nil
}

func (d *demo) readCardcf(*apdu.Stats) error {
	cf, err := d.s.readFile("", spec.FileCache)
	if err != nil {
		return err
	}
	c, err := spec.ParseCacheFile(cf)
	if err := d.expect(err == nil, "cardcf: %v", err); err != nil {
		return err
	}
	d.say("cardcf %X: version %d, PINs %d, containers %d, files %d", cf, c.Version, c.PinsFreshness,
		c.ContainersFreshness, c.FilesFreshness)
	d.say("no map object (GET DATA 5FFF10 -> 6A82), so this cardcf is virtual: its \"counters\" are a digest of")
	d.say("the certificate objects, all read now, and change whenever any PIV tool changes a certificate")
	return nil
}

func (d *demo) readCmapfile(*apdu.Stats) error {
	cmap, err := d.s.readFile(spec.DirBaseCSP, spec.FileContainerMap)
	if err != nil {
		return err
	}
	recs, err := spec.ParseContainerMap(cmap)
	if err := d.expect(err == nil, "cmapfile: %v", err); err != nil {
		return err
	}
	if err := d.expect(len(recs) == 4, "cmapfile has %d records, want 4", len(recs)); err != nil {
		return err
	}
	d.say("%d records of 86 bytes:", len(recs))
	for i, r := range recs {
		def := ""
		if r.Default() {
			def = ", default"
		}
		d.say("  %d  %-26s flags %02X (valid%s)  sig key %4d bits, key exchange %4d bits", i, r.Name(), r.Flags, def,
			r.SigKeySizeBits, r.KeyExchangeKeySizeBits)
		if err := d.expect(r.Valid(), "record %d is not valid", i); err != nil {
			return err
		}
	}
	return d.expect(recs[0].Default(), "container 0 (9A) is not the default container")
}

// demoSlots maps container indexes to slots and the key specs and PINs the mapping gives them.
func demoSlots() []struct {
	slot byte
	ks   spec.KeySpec
	pin  spec.PINID
	file string
} {
	return []struct {
		slot byte
		ks   spec.KeySpec
		pin  spec.PINID
		file string
	}{
		{piv.SlotAuth, spec.ATKeyExchange, spec.RoleUser, "kxc00"},
		{piv.SlotSign, spec.ATECDSAP256, 3, "ksc01"},
		{piv.SlotKeyMgmt, spec.ATKeyExchange, spec.RoleUser, "kxc02"},
		{piv.SlotCardAuth, spec.ATECDSAP384, spec.RoleUser, "ksc03"},
	}
}

func (d *demo) containerInfo(*apdu.Stats) error {
	for i, want := range demoSlots() {
		pub, ks, err := d.s.containerKey(byte(i))
		if err != nil {
			return err
		}
		pin, err := d.s.containerPIN(byte(i))
		if err != nil {
			return err
		}
		k, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
		if err := d.expect(ok && k.Equal(d.pubs[want.slot]), "container %d: not the key generated in slot %02X", i, want.slot); err != nil {
			return err
		}
		if err := d.expect(ks == want.ks && pin == want.pin, "container %d: %v PIN %d, want %v PIN %d", i, ks, pin, want.ks, want.pin); err != nil {
			return err
		}
		d.say("container %d = slot %02X: %-14s %-9s PIN %d, public key SHA-256 %s... = the key generated in %02X", i, want.slot,
			ks, keyAlg(pub), pin, fingerprint(pub)[:16], want.slot)
	}
	return nil
}

func (d *demo) readCerts(*apdu.Stats) error {
	for i, want := range demoSlots() {
		der, err := d.s.readFile(spec.DirBaseCSP, want.file)
		if err != nil {
			return err
		}
		cert, err := x509.ParseCertificate(der)
		if err := d.expect(err == nil, "%s: %v", want.file, err); err != nil {
			return err
		}
		k, _ := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if err := d.expect(k != nil && k.Equal(d.pubs[want.slot]), "%s: the certificate is not for container %d's key", want.file, i); err != nil {
			return err
		}
		if err := d.expect(cert.Subject.CommonName == certCN(want.slot), "%s: subject %s", want.file, cert.Subject); err != nil {
			return err
		}
		d.say("mscp/%s: %4d bytes, subject %q, key = container %d's", want.file, len(der), cert.Subject.String(), i)
	}
	return nil
}

func (d *demo) properties(*apdu.Stats) error {
	s := d.s
	guid, err := s.getProperty(spec.CPCardGUID, 0)
	if err != nil {
		return err
	}
	if err := d.expect(hexUpper(guid) == d.report.Card.CHUIDGUID, "CP_CARD_GUID %X is not cardid", guid); err != nil {
		return err
	}
	d.say("CP_CARD_GUID       %X (= cardid)", guid)
	serial, err := s.getProperty(spec.CPCardSerialNo, 0)
	if err != nil {
		return err
	}
	want := strconv.FormatUint(uint64(d.report.Card.Serial), 10)
	if err := d.expect(string(serial) == want, "CP_CARD_SERIAL_NO %q, the card's serial is %s", serial, want); err != nil {
		return err
	}
	d.say("CP_CARD_SERIAL_NO  %q (the card's serial number, GET SERIAL)", serial)
	raw, err := s.getProperty(spec.CPCardPINInfo, uint32(spec.RoleUser))
	if err != nil {
		return err
	}
	pi, err := spec.ParsePINInfo(raw)
	if err := d.expect(err == nil, "PIN_INFO: %v", err); err != nil {
		return err
	}
	ok := pi.PinType == spec.AlphaNumericPinType && pi.PinPurpose == spec.AuthenticationPin &&
		pi.CachePolicy.Type == spec.PinCacheNormal && pi.UnblockPermission == spec.CreatePINSet(pinPUK)
	if err := d.expect(ok, "PIN_INFO of PIN 1: %+v", pi); err != nil {
		return err
	}
	d.say("CP_CARD_PIN_INFO   PIN 1: %s", decodePINInfo(spec.RoleUser, pi))
	mode, err := s.propertyDWORD(spec.CPCardCacheMode, 0)
	if err != nil {
		return err
	}
	if err := d.expect(mode == spec.CPCacheModeGlobalCache, "cache mode %d", mode); err != nil {
		return err
	}
	d.say("CP_CARD_CACHE_MODE %s", cacheModeName(mode))
	return nil
}

// digest is the hash the demo signs.
func demoDigest() []byte {
	sum := sha256.Sum256([]byte("cardmod mdtool demo"))
	return sum[:]
}

func (d *demo) container(i int) container {
	want := demoSlots()[i]
	return container{Index: byte(i), KeySpec: want.ks, PIN: want.pin, Pub: d.pubs[want.slot]}
}

func (d *demo) signWithoutPIN(*apdu.Stats) error {
	h, _ := hashByFlag("sha256")
	_, err := d.s.sign(d.container(0), signRequest{hash: h, digest: demoDigest()})
	if err := d.expectStatus(err, spec.SCardWSecurityViolation, "signing before the PIN"); err != nil {
		return err
	}
	d.say("refused as it must be: %s", statusLine(err))
	return nil
}

func (d *demo) authenticate(*apdu.Stats) error {
	var attempts uint32
	err := d.s.call("CardAuthenticatePin", func() error {
		var err error
		attempts, err = d.s.ctx.AuthenticatePin(spec.CardUserUser, bytes.Clone(vcard.DefaultPIN))
		return err
	})
	if err != nil {
		return withAttempts(err, attempts)
	}
	set, err := d.s.authenticatedState()
	if err != nil {
		return err
	}
	if err := d.expect(set.Has(spec.RoleUser), "CP_CARD_AUTHENTICATED_STATE %s after the PIN", pinSetString(set)); err != nil {
		return err
	}
	d.say("PIN accepted (the default PIN, not shown); CP_CARD_AUTHENTICATED_STATE = PINs %s", pinSetString(set))
	return nil
}

func (d *demo) signPKCS1(*apdu.Stats) error {
	h, _ := hashByFlag("sha256")
	req := signRequest{hash: h, digest: demoDigest()}
	ct := d.container(0)
	sig, err := d.s.sign(ct, req)
	if err != nil {
		return err
	}
	err = rsa.VerifyPKCS1v15(ct.Pub.(*rsa.PublicKey), crypto.SHA256, req.digest, sig)
	if err := d.expect(err == nil, "crypto/rsa rejects the signature: %v", err); err != nil {
		return err
	}
	d.say("%d-byte signature, returned little-endian as CryptoAPI wants it; reversed, it verifies with", len(sig))
	d.say("crypto/rsa.VerifyPKCS1v15 against container 0's public key: %s...", hex.EncodeToString(sig[:16]))
	return nil
}

func (d *demo) signPSS(*apdu.Stats) error {
	h, _ := hashByFlag("sha256")
	req := signRequest{hash: h, pss: true, digest: demoDigest()}
	ct := d.container(0)
	sig, err := d.s.sign(ct, req)
	if err != nil {
		return err
	}
	err = rsa.VerifyPSS(ct.Pub.(*rsa.PublicKey), crypto.SHA256, req.digest, sig, &rsa.PSSOptions{SaltLength: 32})
	if err := d.expect(err == nil, "crypto/rsa rejects the PSS signature: %v", err); err != nil {
		return err
	}
	d.say("BCRYPT_PSS_PADDING_INFO {SHA256, salt 32}: the minidriver encodes PSS, the card does the raw RSA;")
	d.say("verified with crypto/rsa.VerifyPSS")
	return nil
}

func (d *demo) signECDSA(*apdu.Stats) error {
	h, _ := hashByFlag("sha256")
	req := signRequest{hash: h, digest: demoDigest()}
	ct := d.container(1)
	_, err := d.s.sign(ct, req)
	if err := d.expectStatus(err, spec.SCardWSecurityViolation, "9C with only PIN 1"); err != nil {
		return err
	}
	d.say("with PIN 1 alone: %s (no APDU sent)", statusLine(err))
	pid, err := d.s.containerPIN(1)
	if err != nil {
		return err
	}
	if err := d.expect(pid == 3, "CCP_PIN_IDENTIFIER of container 1 is %d", pid); err != nil {
		return err
	}
	if err := d.s.authenticate(pid, bytes.Clone(vcard.DefaultPIN)); err != nil {
		return err
	}
	sig, err := d.s.sign(ct, req)
	if err != nil {
		return err
	}
	n := len(sig) / 2
	ok := len(sig) == 64 && ecdsa.Verify(ct.Pub.(*ecdsa.PublicKey), req.digest, bigInt(sig[:n]), bigInt(sig[n:]))
	if err := d.expect(ok, "the ECDSA signature (%d bytes) does not verify", len(sig)); err != nil {
		return err
	}
	d.say("after CardAuthenticateEx(PIN 3): 64-byte r||s, verified with crypto/ecdsa against container 1's key")
	_, err = d.s.sign(ct, req)
	if err := d.expectStatus(err, spec.SCardWSecurityViolation, "a second 9C signature with the same PIN"); err != nil {
		return err
	}
	d.say("a second signature is refused again: PIN 3 is always-prompt, one PIN per use of the 9C key")
	return nil
}

func (d *demo) decryptOAEP(*apdu.Stats) error {
	ct := d.container(2)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	ciphertext, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, ct.Pub.(*rsa.PublicKey), key, nil)
	if err != nil {
		return fmt.Errorf("encrypt for container 2: %w", err)
	}
	plain, err := d.s.decrypt(ct, ciphertext, &engine.OAEPInfo{AlgID: spec.BCryptSHA256Algorithm, HasAlgID: true})
	if err != nil {
		return err
	}
	if err := d.expect(bytes.Equal(plain, key), "the decrypted session key differs"); err != nil {
		return err
	}
	d.say("a random 32-byte session key, encrypted with crypto/rsa.EncryptOAEP to container 2's public key and")
	d.say("passed little-endian: the card's raw RSA, then the minidriver's constant-time OAEP unpadding, gives it back")
	return nil
}

func (d *demo) wrongPIN(*apdu.Stats) error {
	before := d.card.Info().PINRetries
	var attempts uint32
	err := d.s.call("CardAuthenticatePin", func() error {
		var err error
		attempts, err = d.s.ctx.AuthenticatePin(spec.CardUserUser, []byte("000000"))
		return err
	})
	err = withAttempts(err, attempts)
	if err := d.expectStatus(err, spec.SCardWWrongCHV, "a wrong PIN"); err != nil {
		return err
	}
	after := d.card.Info().PINRetries
	if err := d.expect(attempts == uint32(before[0]-1) && after[0] == before[0]-1, "attempts %d, card counter %d -> %d",
		attempts, before[0], after[0]); err != nil {
		return err
	}
	d.say("%s; the card's counter: %d of %d tries left", statusLine(err), after[0], after[1])
	return nil
}

func (d *demo) rightPIN(*apdu.Stats) error {
	err := d.s.call("CardAuthenticatePin", func() error {
		_, err := d.s.ctx.AuthenticatePin(spec.CardUserUser, bytes.Clone(vcard.DefaultPIN))
		return err
	})
	if err != nil {
		return err
	}
	r := d.card.Info().PINRetries
	if err := d.expect(r[0] == r[1], "the counter is %d of %d after the right PIN", r[0], r[1]); err != nil {
		return err
	}
	d.say("accepted; the card's counter is refilled: %d of %d tries left", r[0], r[1])
	return nil
}

func (d *demo) deauthenticate(*apdu.Stats) error {
	if err := d.s.call("CardDeauthenticateEx", func() error { return d.s.ctx.DeauthenticateEx(spec.PINSetAllRoles, 0) }); err != nil {
		return err
	}
	set, err := d.s.authenticatedState()
	if err != nil {
		return err
	}
	if err := d.expect(set == spec.PINSetNone, "still authenticated: %s", pinSetString(set)); err != nil {
		return err
	}
	h, _ := hashByFlag("sha256")
	_, err = d.s.sign(d.container(0), signRequest{hash: h, digest: demoDigest()})
	if err := d.expectStatus(err, spec.SCardWSecurityViolation, "signing after the logout"); err != nil {
		return err
	}
	d.say("the PIN is logged out with VERIFY P1=FF (an admin login would be dropped by a deliberately failed")
	d.say("management-key authentication; this context had none): no card reset, other applications keep their state")
	d.say("CP_CARD_AUTHENTICATED_STATE = none; signing is refused again: %s", statusLine(err))
	return nil
}

func (d *demo) deleteContext(*apdu.Stats) error {
	if err := d.s.call("CardDeleteContext", d.s.ctx.DeleteContext); err != nil {
		return err
	}
	d.s.ctx = nil
	allocs, frees := d.s.host.Counts()
	if err := d.expect(d.s.host.Live() == 0, "%d buffers from the minidriver were never freed", d.s.host.Live()); err != nil {
		return err
	}
	d.say("context wiped; all %d buffers the minidriver allocated with pfnCspAlloc were freed (%d frees)", allocs, frees)
	return nil
}

// logon runs Windows' smart card logon through a new context on host: acquire, cardcf, cmapfile,
// the logon certificate, the PIN, a signature, delete. It returns the APDUs the context cost.
func (d *demo) logon(host *refhost.Host) (apdu.Stats, error) {
	s := &session{conn: d.s.conn, module: d.module, host: host}
	if err := s.acquire(d.a.opts.extended); err != nil {
		return apdu.Stats{}, err
	}
	defer func() { d.calls += s.calls }()
	fail := func(err error) (apdu.Stats, error) {
		_ = s.call("CardDeleteContext", s.ctx.DeleteContext)
		return apdu.Stats{}, err
	}
	for _, f := range [][2]string{{"", spec.FileCache}, {spec.DirBaseCSP, spec.FileContainerMap}, {spec.DirBaseCSP, "kxc00"}} {
		if _, err := s.readFile(f[0], f[1]); err != nil {
			return fail(err)
		}
	}
	err := s.call("CardAuthenticatePin", func() error {
		_, err := s.ctx.AuthenticatePin(spec.CardUserUser, bytes.Clone(vcard.DefaultPIN))
		return err
	})
	if err != nil {
		return fail(err)
	}
	h, _ := hashByFlag("sha256")
	req := signRequest{hash: h, digest: demoDigest()}
	ct := d.container(0)
	sig, err := s.sign(ct, req)
	if err != nil {
		return fail(err)
	}
	if err := verifySignature(ct.Pub, req, sig); err != nil {
		return fail(fmt.Errorf("the logon signature does not verify: %w", err))
	}
	st := s.stats()
	if err := s.call("CardDeleteContext", s.ctx.DeleteContext); err != nil {
		return st, err
	}
	if host.Live() != 0 {
		return st, fmt.Errorf("%d buffers leaked", host.Live())
	}
	return st, nil
}

// logonStep runs a logon on host and describes it; cold is the APDU count of the cold logon the
// warm one compares with.
func (d *demo) logonStep(extra *apdu.Stats, host *refhost.Host, warm bool, cold int) (int, error) {
	st, err := d.logon(host)
	*extra = st
	if err != nil {
		return 0, err
	}
	_, hits, entries := host.CacheStats()
	if !warm {
		d.say("acquire, cardcf, cmapfile, kxc00, PIN, sign (verified), delete: %d APDUs; the Base CSP cache now holds %d entr%s", st.Commands,
			entries, map[bool]string{true: "y", false: "ies"}[entries == 1])
		return st.Commands, nil
	}
	d.say("the same calls: %d APDUs (cold: %d); cache hits so far: %d", st.Commands, cold, hits)
	return st.Commands, nil
}

func (d *demo) logonCold(extra *apdu.Stats) error {
	host := refhost.New()
	d.coldHost = host
	n, err := d.logonStep(extra, host, false, 0)
	d.coldAPDUs = n
	return err
}

func (d *demo) logonWarm(extra *apdu.Stats) error {
	n, err := d.logonStep(extra, d.coldHost, true, d.coldAPDUs)
	if err != nil {
		return err
	}
	if err := d.expect(n <= d.coldAPDUs, "warm %d APDUs, more than cold %d", n, d.coldAPDUs); err != nil {
		return err
	}
	if n == d.coldAPDUs {
		d.say("no saving, as expected on this card: without a map object, cardcf is computed from the certificate")
		d.say("objects, so every cardcf read fetches them all and the cache has nothing to spare (docs/piv-mapping.md)")
	} else {
		d.say("the cache saved %d APDU(s)", d.coldAPDUs-n)
	}
	return nil
}

// writeMap stores the map object as enrollment through the minidriver will leave it: mdtool does
// this itself with PIV commands (management key, PUT DATA), since the minidriver does not enroll
// yet.
func (d *demo) writeMap(extra *apdu.Stats) error {
	c := piv.NewClient(d.t, piv.ClientOptions{ExtendedLength: d.a.opts.extended})
	if _, err := c.Select(); err != nil {
		return fmt.Errorf("select: %w", err)
	}
	chuid, err := c.GetData(piv.ObjCHUID)
	if err != nil {
		return fmt.Errorf("read the CHUID: %w", err)
	}
	guid, _, _ := tlv.Find(chuid, 0x34)
	var entries []engine.MapEntry
	for i, sl := range demoSlots() {
		bits := csp.KeyBits(d.pubs[sl.slot])
		entries = append(entries, engine.MapEntry{Index: byte(i), Name: fmt.Sprintf("cardmod-demo-%02X", sl.slot),
			Default: i == 0, KeySpec: uint32(sl.ks), Bits: bits, PIN: byte(sl.pin)})
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		return fmt.Errorf("management key: %w", err)
	}
	cardcf := spec.CacheFile{Version: 0}.MarshalBinary()
	if err := c.PutData(engine.MapObjectTag, engine.EncodeMapObject(cardcf, guid, entries)); err != nil {
		return fmt.Errorf("write the map object: %w", err)
	}
	d.card.Reset()
	*extra = c.Stats()
	d.say("mdtool writes the map object itself, as a provisioning tool could (default management key, PUT DATA):")
	d.say("cardcf, the CHUID GUID and the 4 containers' names, key specs and PINs; these APDUs are not in the totals")
	return nil
}

func (d *demo) mapLogonCold(extra *apdu.Stats) error {
	host := refhost.New()
	d.coldHost = host
	n, err := d.logonStep(extra, host, false, 0)
	d.coldAPDUs = n
	return err
}

func (d *demo) mapLogonWarm(extra *apdu.Stats) error {
	n, err := d.logonStep(extra, d.coldHost, true, d.coldAPDUs)
	if err != nil {
		return err
	}
	if err := d.expect(n <= d.coldAPDUs, "warm %d APDUs, more than cold %d", n, d.coldAPDUs); err != nil {
		return err
	}
	if n == d.coldAPDUs {
		d.say("the same cost: every cardcf read (each Base CSP transaction) reads the certificate objects of the")
		d.say("map's slots and compares their digest with the map's, so that a certificate any PIV tool changed")
		d.say("moves cardcf; the certificate itself then comes with that read (docs/enrollment.md, Freshness)")
	} else {
		d.say("the cache saved %d APDU(s)", d.coldAPDUs-n)
	}
	return nil
}

func bigInt(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// enrollName is the name the demo gives the container it enrolls.
const enrollName = "cardmod-demo-enrolled"

// enrollKey opens a new context and creates a key in a new container the way CryptGenKey does
// (csp.Session.CreateKey); the context stays for enrollCert.
func (d *demo) enrollKey(*apdu.Stats) error {
	d.calls += d.s.calls
	d.s = &session{conn: d.s.conn, module: d.module, host: refhost.New()}
	if err := d.s.acquire(d.a.opts.extended); err != nil {
		return err
	}
	err := d.s.call("CardAuthenticatePin", func() error {
		_, err := d.s.ctx.AuthenticatePin(spec.CardUserUser, bytes.Clone(vcard.DefaultPIN))
		return err
	})
	if err != nil {
		return err
	}
	before := d.card.Info()
	idx, pub, err := d.s.csp.CreateKey(csp.KeyOptions{KeySpec: spec.ATECDSAP256, Name: enrollName})
	if err != nil {
		return err
	}
	if err := d.expect(idx == 4, "the new container is %d; the first free cmapfile record is 4", idx); err != nil {
		return err
	}
	recs, err := d.s.csp.ReadContainerMap()
	if err != nil {
		return err
	}
	r := recs[idx]
	ok := r.Valid() && !r.Default() && r.Name() == enrollName && int(r.SigKeySizeBits) == 256 && r.KeyExchangeKeySizeBits == 0
	if err := d.expect(ok, "cmapfile record %d: %q flags %02X sizes %d/%d", idx, r.Name(), r.Flags, r.SigKeySizeBits,
		r.KeyExchangeKeySizeBits); err != nil {
		return err
	}
	slot := slotOfKey(d.card, pub)
	if err := d.expect(slot == "82", "the key is in slot %q, want 82 (9A holds container 0's key)", slot); err != nil {
		return err
	}
	d.enrolled, d.enrolledPub = idx, pub
	d.say("cardcf, cmapfile: record 4 is the first free one; CardCreateContainerEx(4, KEY_GEN, AT_ECDSA_P256, PIN 1):")
	d.say("the card generates the key (in retired slot 82: 9A holds container 0's); CardGetContainerInfo gives it:")
	d.say("public key SHA-256 %s...; cmapfile record 4 = %q, valid, %d-bit signature key; cardcf", fingerprint(pub)[:16], r.Name(), r.SigKeySizeBits)
	d.say("written with wContainersFreshness bumped (the Base CSP's own counter)")
	if after := d.card.Info(); before.MgmDefault && !after.MgmDefault {
		d.say("first write on this card: the default management key was replaced by a random one stored PIN-protected")
		d.say("(policy %s, as ykman --protect does), so the PIN alone allows the next writes", d.module.MgmKeyPolicy())
	}
	return nil
}

// enrollCert makes the request through the card, has a throwaway CA issue it and writes the
// certificate (csp.Session.CSR and WriteCertificate), then deletes the context.
func (d *demo) enrollCert(*apdu.Stats) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cardmod demo CA (throwaway)"},
		NotBefore: time.Now().Truncate(time.Minute).Add(-time.Hour), NotAfter: time.Now().Truncate(time.Minute).Add(2 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	csrDER, err := d.s.csp.CSR(d.enrolled, pkix.Name{CommonName: "demo user", Organization: []string{"cardmod"}})
	if err != nil {
		return err
	}
	der, err := caIssuer(caCert, caKey, 1)(csrDER)
	if err != nil {
		return err
	}
	cert, _ := x509.ParseCertificate(der)
	if err := d.expect(cert.CheckSignatureFrom(caCert) == nil && keysEqual(cert.PublicKey, d.enrolledPub),
		"the issued certificate is not the CA's for the container's key"); err != nil {
		return err
	}
	if err := d.s.csp.WriteCertificate(d.enrolled, der, false); err != nil {
		return err
	}
	d.enrolledCert = cert
	if err := d.s.call("CardDeleteContext", d.s.ctx.DeleteContext); err != nil {
		return err
	}
	d.s.ctx = nil
	if err := d.expect(d.s.host.Live() == 0, "%d buffers leaked", d.s.host.Live()); err != nil {
		return err
	}
	d.say("PKCS#10 request for CN=demo user signed by the card key (CardSignData, r||s turned into DER); the")
	d.say("throwaway CA checked that signature and issued the certificate; cardcf, CardGetContainerInfo (the key")
	d.say("spec names the file), CardCreateFile + CardWriteFile mscp/ksc04 (%d bytes), cardcf files counter bumped", len(der))
	return nil
}

// enrolledSign checks the enrollment from a new context as a logon would see it.
func (d *demo) enrolledSign(extra *apdu.Stats) error {
	s := &session{conn: d.s.conn, module: d.module, host: refhost.New()}
	if err := s.acquire(d.a.opts.extended); err != nil {
		return err
	}
	defer func() { d.calls += s.calls }()
	err := func() error {
		recs, err := s.csp.ReadContainerMap()
		if err != nil {
			return err
		}
		if err := d.expect(len(recs) > int(d.enrolled) && recs[d.enrolled].Name() == enrollName, "cmapfile lacks %q", enrollName); err != nil {
			return err
		}
		got, err := s.readFile(spec.DirBaseCSP, csp.CertFile(spec.ATECDSAP256, d.enrolled))
		if err != nil {
			return err
		}
		if err := d.expect(bytes.Equal(got, d.enrolledCert.Raw), "mscp/ksc04 is not the certificate written"); err != nil {
			return err
		}
		err = s.call("CardAuthenticatePin", func() error {
			_, err := s.ctx.AuthenticatePin(spec.CardUserUser, bytes.Clone(vcard.DefaultPIN))
			return err
		})
		if err != nil {
			return err
		}
		signer, err := s.csp.Signer(d.enrolled)
		if err != nil {
			return err
		}
		digest := demoDigest()
		sig, err := signer.Sign(rand.Reader, digest, crypto.SHA256)
		if err != nil {
			return err
		}
		ok := ecdsa.VerifyASN1(d.enrolledCert.PublicKey.(*ecdsa.PublicKey), digest, sig)
		return d.expect(ok, "the signature does not verify with the certificate's key")
	}()
	*extra = s.stats()
	if derr := s.call("CardDeleteContext", s.ctx.DeleteContext); err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	if err := d.expect(s.host.Live() == 0, "%d buffers leaked", s.host.Live()); err != nil {
		return err
	}
	d.say("cmapfile lists %q as container %d; mscp/ksc04 reads back as written; after the PIN, a", enrollName, d.enrolled)
	d.say("signature through csp.Signer (a crypto.Signer over CardSignData) verifies with the certificate's key")
	return nil
}
