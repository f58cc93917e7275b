package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/spec"
)

// The write commands: keygen, enroll, import-cert, rm, files put and files rm. Each is one
// minidriver context in which mdtool presents the PIN (and, with --admin-key, authenticates
// ROLE_ADMIN), makes the calls the Base CSP makes for the operation (package csp), and logs out.

// hintError adds advice to an error without changing its status.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + "\n" + e.hint }
func (e *hintError) Unwrap() error { return e.err }

// mgmKeyHint explains a write refused because the card's management key cannot be had.
const mgmKeyHint = `the card's PIV management key is needed for writes, and the PIN does not give it on this card
with this policy. Either give it to mdtool: --admin-key HEX (or $` + envAdminKey + `), which authenticates
ROLE_ADMIN (CardGetChallengeEx / CardAuthenticateChallenge); or store the management key PIN-protected
once, so that the PIN alone allows writes as Windows needs: ykman piv access change-management-key
--generate --protect (on a card still on the default key, one mdtool write with --mgm-policy protect,
the default, does the same).`

// withMgmHint adds mgmKeyHint to a SCARD_W_SECURITY_VIOLATION about the management key.
func withMgmHint(err error) error {
	if err != nil && spec.StatusOf(err) == spec.SCardWSecurityViolation && strings.Contains(err.Error(), "management key") {
		return &hintError{err: err, hint: mgmKeyHint}
	}
	return err
}

// adminKey returns the management key of --admin-key or $MDTOOL_ADMIN_KEY (hex; spaces and
// colons allowed), nil when neither is set.
func (a *app) adminKey() ([]byte, error) {
	v := a.opts.adminKey
	if v == "" {
		v = a.getenv(envAdminKey)
	}
	if v == "" {
		return nil, nil
	}
	v = strings.NewReplacer(" ", "", ":", "").Replace(v)
	key, err := hex.DecodeString(v)
	if err != nil || (len(key) != 16 && len(key) != 24 && len(key) != 32) {
		return nil, usageError{"--admin-key: the management key in hex, 16, 24 or 32 bytes (3DES: 24)"}
	}
	return key, nil
}

// writer is a session for a write: the user PIN presented (CardAuthenticateEx, PIN 1) and, with
// an admin key, ROLE_ADMIN authenticated.
type writer struct {
	*session
	admin bool
}

// openWriter opens a session and authenticates for writing; pin is cleared.
func (a *app) openWriter(pin []byte) (*writer, error) {
	key, err := a.adminKey()
	if err != nil {
		clear(pin)
		return nil, err
	}
	defer clear(key)
	s, err := a.open()
	if err != nil {
		clear(pin)
		return nil, err
	}
	w := &writer{session: s}
	if err := s.authenticate(spec.RoleUser, pin); err != nil {
		return nil, s.finish(err)
	}
	if key != nil {
		if err := s.csp.AuthenticateAdmin(key); err != nil {
			return nil, w.done(err)
		}
		w.admin = true
	}
	return w, nil
}

// done logs out (the PIN, and the admin when it was authenticated) and closes the session; it
// returns err (with the management key hint when it applies) or the first error of closing.
func (w *writer) done(err error) error {
	set := spec.CreatePINSet(spec.RoleUser).Add(3)
	if w.admin {
		set = set.Add(spec.RoleAdmin)
	}
	lerr := w.call("CardDeauthenticateEx", func() error { return w.ctx.DeauthenticateEx(set, 0) })
	if err == nil {
		err = lerr
	}
	return w.finish(withMgmHint(err))
}

// write runs one write operation: the PIN of pinFlag (else $MDTOOL_PIN or stdin), openWriter,
// op, the logout. It returns the APDUs the context cost.
func (a *app) write(pinFlag string, op func(w *writer) error) (int, error) {
	pin, err := a.secret(pinFlag, envPIN, "PIN")
	if err != nil {
		return 0, err
	}
	w, err := a.openWriter(pin)
	if err != nil {
		return 0, err
	}
	err = op(w)
	apdus := w.stats().Commands
	return apdus, w.done(err)
}

// keyFlags are the flags that describe a new key (keygen and enroll).
type keyFlags struct {
	typ, keySpec, name, imp *string
	pinID                   *uint
	def                     *bool
	fs                      *flag.FlagSet
}

func addKeyFlags(fs *flag.FlagSet) *keyFlags {
	return &keyFlags{fs: fs,
		typ:     fs.String("type", "rsa2048", "key type: rsa2048, rsa3072, rsa4096, p256 or p384"),
		keySpec: fs.String("keyspec", "", "key spec: keyx or sig (RSA; default keyx), ecdsa or ecdh (ECC; default ecdsa)"),
		pinID:   fs.Uint("pin-id", 1, "PIN that guards the key: 1, or 3 (the PIN before every use, as the 9C key)"),
		name:    fs.String("name", "", "container name (default: a new {GUID}, as Windows names containers)"),
		def:     fs.Bool("default", false, "make the container the card's default container"),
		imp:     fs.String("import", "", "import this PEM private key (PKCS#8, PKCS#1 or SEC 1) instead of generating one"),
	}
}

// set reports whether the flag was given.
func (k *keyFlags) set(name string) bool {
	found := false
	k.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// options turns the flags into csp.KeyOptions (reading --import).
func (k *keyFlags) options() (csp.KeyOptions, error) {
	opts := csp.KeyOptions{Name: *k.name, Default: *k.def}
	if *k.pinID != 1 && *k.pinID != 3 {
		return opts, usageError{fmt.Sprintf("--pin-id %d: a key is guarded by PIN 1, or 3 for a PIN before every use", *k.pinID)}
	}
	opts.PIN = spec.PINID(*k.pinID)
	typ := strings.ToLower(*k.typ)
	var priv crypto.Signer
	if *k.imp != "" {
		var err error
		if priv, err = readPrivateKey(*k.imp); err != nil {
			return opts, err
		}
		var t string
		switch p := priv.(type) {
		case *rsa.PrivateKey:
			t = fmt.Sprintf("rsa%d", p.N.BitLen())
		case *ecdsa.PrivateKey:
			t = "p" + strconv.Itoa(p.Curve.Params().BitSize)
		}
		if k.set("type") && t != typ {
			return opts, usageError{fmt.Sprintf("--type %s, but the key of --import is %s", typ, t)}
		}
		typ = t
	}
	ks := strings.ToLower(*k.keySpec)
	switch typ {
	case "rsa2048", "rsa3072", "rsa4096":
		bits, _ := strconv.Atoi(typ[3:])
		opts.Bits = uint32(bits)
		switch ks {
		case "", "keyx", "keyexchange", "at_keyexchange":
			opts.KeySpec = spec.ATKeyExchange
		case "sig", "signature", "at_signature":
			opts.KeySpec = spec.ATSignature
		default:
			return opts, usageError{fmt.Sprintf("--keyspec %s: an RSA key is keyx or sig", ks)}
		}
	case "p256", "p384":
		ecdh := false
		switch ks {
		case "", "ecdsa":
		case "ecdh", "ecdhe":
			ecdh = true
		default:
			return opts, usageError{fmt.Sprintf("--keyspec %s: an ECC key is ecdsa or ecdh", ks)}
		}
		opts.KeySpec = map[[2]bool]spec.KeySpec{{false, false}: spec.ATECDSAP256, {false, true}: spec.ATECDHEP256,
			{true, false}: spec.ATECDSAP384, {true, true}: spec.ATECDHEP384}[[2]bool{typ == "p384", ecdh}]
	default:
		return opts, usageError{fmt.Sprintf("--type %s: use rsa2048, rsa3072, rsa4096, p256 or p384", typ)}
	}
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		alg := spec.CALGRSAKeyX
		if opts.KeySpec == spec.ATSignature {
			alg = spec.CALGRSASign
		}
		opts.Import = spec.MarshalRSAPrivateKeyBlob(p, alg)
	case *ecdsa.PrivateKey:
		opts.Import = spec.MarshalECCPrivateKeyBlob(p, spec.ECCPrivateMagic(opts.KeySpec))
	}
	if priv != nil && opts.Import == nil {
		return opts, fmt.Errorf("--import: the key cannot be expressed as a Windows key blob")
	}
	return opts, nil
}

// readPrivateKey reads a PEM private key: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC).
func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the key: %w", err)
	}
	defer clear(data)
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: no PEM private key", path)
	}
	defer clear(b.Bytes)
	var key any
	switch b.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%s: a %T key; RSA and ECDSA keys only", path, key)
}

// readCertificate reads a certificate, PEM or DER.
func readCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the certificate: %w", err)
	}
	if b, _ := pem.Decode(data); b != nil {
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: a PEM %q, not a CERTIFICATE", path, b.Type)
		}
		data = b.Bytes
	}
	cert, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cert, nil
}

// keygenResult is the JSON answer of keygen.
type keygenResult struct {
	Container       int    `json:"container"`
	Name            string `json:"name"`
	Default         bool   `json:"default"`
	KeySpec         string `json:"key_spec"`
	Algorithm       string `json:"algorithm"`
	PINID           uint32 `json:"pin_id"`
	Slot            string `json:"slot,omitempty"` // the PIV slot (virtual card only)
	Imported        bool   `json:"imported"`
	CertFile        string `json:"cert_file"`
	PublicKeySHA256 string `json:"public_key_sha256"`
	PublicKeyPEM    string `json:"public_key_pem"`
	APDUs           int    `json:"apdus"`
}

// newKey creates the key of opts and describes it.
func (w *writer) newKey(opts csp.KeyOptions) (keygenResult, crypto.PublicKey, error) {
	idx, pub, err := w.csp.CreateKey(opts)
	if err != nil {
		return keygenResult{}, nil, err
	}
	recs, err := w.csp.ReadContainerMap()
	if err != nil {
		return keygenResult{}, nil, &csp.IncompleteError{Index: idx, Err: err}
	}
	r := recs[idx]
	return keygenResult{Container: int(idx), Name: r.Name(), Default: r.Default(), KeySpec: opts.KeySpec.String(),
		Algorithm: keyAlg(pub), PINID: uint32(opts.PIN), Imported: opts.Import != nil,
		CertFile: filePath(spec.DirBaseCSP, csp.CertFile(opts.KeySpec, idx)), PublicKeySHA256: fingerprint(pub),
		PublicKeyPEM: publicPEM(pub), Slot: w.slotOf(pub)}, pub, nil
}

// slotOf names the PIV slot of a key on the virtual card ("" with a reader: the minidriver does
// not say).
func (s *session) slotOf(pub crypto.PublicKey) string {
	if s.conn.vcard == nil {
		return ""
	}
	return slotOfKey(s.conn.vcard, pub)
}

func (kr keygenResult) describe() string {
	def := ""
	if kr.Default {
		def = " (default container)"
	}
	how := "generated on the card"
	if kr.Imported {
		how = "imported"
	}
	slot := ""
	if kr.Slot != "" {
		slot = ", PIV slot " + strings.ToUpper(kr.Slot)
	}
	return fmt.Sprintf("container %d %q%s: %s %s %s, PIN %d%s", kr.Container, kr.Name, def, kr.KeySpec, kr.Algorithm, how, kr.PINID, slot)
}

func (a *app) cmdKeygen(args []string) error {
	fs := a.newFlagSet("keygen")
	kf := addKeyFlags(fs)
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	opts, err := kf.options()
	if err != nil {
		return err
	}
	defer clear(opts.Import)
	var res keygenResult
	res.APDUs, err = a.write(*pinFlag, func(w *writer) error {
		kr, _, err := w.newKey(opts)
		res = kr
		return err
	})
	if err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(res)
	}
	fmt.Fprintln(a.stdout, res.describe())
	fmt.Fprint(a.stdout, res.PublicKeyPEM)
	return nil
}

// enrollResult is the JSON answer of enroll.
type enrollResult struct {
	keygenResult
	Mode           string    `json:"mode"` // "ca", "self-signed" or "csr"
	CSROut         string    `json:"csr_out,omitempty"`
	Certificate    *certJSON `json:"certificate,omitempty"`
	CertificatePEM string    `json:"certificate_pem,omitempty"`
	Compressed     bool      `json:"compressed,omitempty"`
	Out            string    `json:"out,omitempty"`
}

// smartcardLogon is the extended key usage of Windows smart card logon.
var smartcardLogon = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}

// certTemplate is the certificate mdtool issues for a key: client authentication and smart card
// logon, valid from an hour ago for days days.
func certTemplate(subject pkix.Name, pub crypto.PublicKey, days int) (*x509.Certificate, error) {
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := pub.(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageKeyEncipherment
	}
	// Whole minutes: no seconds field that could spell a PIN in a trace (12:34:56 is "123456").
	now := time.Now().Truncate(time.Minute)
	return &x509.Certificate{SerialNumber: sn, Subject: subject, NotBefore: now.Add(-time.Hour).UTC(),
		NotAfter: now.AddDate(0, 0, days).UTC(), KeyUsage: usage, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{smartcardLogon}}, nil
}

// caIssuer issues certificates for requests with a CA certificate and key.
func caIssuer(caCert *x509.Certificate, caKey crypto.Signer, days int) func([]byte) ([]byte, error) {
	return func(csrDER []byte) ([]byte, error) {
		csr, err := x509.ParseCertificateRequest(csrDER)
		if err != nil {
			return nil, err
		}
		if err := csr.CheckSignature(); err != nil {
			return nil, fmt.Errorf("the card's signature of the request does not verify: %w", err)
		}
		tmpl, err := certTemplate(csr.Subject, csr.PublicKey, days)
		if err != nil {
			return nil, err
		}
		tmpl.RawSubject = csr.RawSubject // the subject exactly as requested
		return x509.CreateCertificate(rand.Reader, tmpl, caCert, csr.PublicKey, caKey)
	}
}

func (a *app) cmdEnroll(args []string) error {
	fs := a.newFlagSet("enroll")
	kf := addKeyFlags(fs)
	subjectFlag := fs.String("subject", "", `certificate subject, "CN=name,O=org,OU=unit,C=US" (required)`)
	caCertFlag := fs.String("ca-cert", "", "CA certificate (PEM or DER) that issues the certificate")
	caKeyFlag := fs.String("ca-key", "", "the CA's private key (PEM)")
	selfSigned := fs.Bool("self-signed", false, "sign the certificate with the new card key itself")
	csrOut := fs.String("csr-out", "", "write the PKCS#10 request (PEM) to this file and stop; mdtool import-cert adds the certificate later")
	days := fs.Int("days", 365, "validity of the certificate in days (--ca-cert and --self-signed)")
	out := fs.String("out", "", "write the certificate (PEM) to this file (default stdout)")
	compress := fs.Bool("compress", false, "write the certificate to the card in Windows' compressed format")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *subjectFlag == "" {
		return usageError{`enroll: --subject "CN=..." is required`}
	}
	subject, err := parseSubject(*subjectFlag)
	if err != nil {
		return err
	}
	modes := 0
	for _, on := range []bool{*caCertFlag != "" || *caKeyFlag != "", *selfSigned, *csrOut != ""} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return usageError{"enroll: one of --ca-cert F --ca-key F, --self-signed or --csr-out F"}
	}
	if (*caCertFlag == "") != (*caKeyFlag == "") {
		return usageError{"enroll: --ca-cert and --ca-key go together"}
	}
	if *days < 1 {
		return usageError{"enroll: --days must be at least 1"}
	}
	opts, err := kf.options()
	if err != nil {
		return err
	}
	defer clear(opts.Import)
	opts.Compress = *compress
	if opts.KeySpec.IsECDH() {
		return usageError{"enroll: an ECDH key cannot sign its certificate request; use keygen, then import-cert"}
	}
	var issue func([]byte) ([]byte, error)
	mode := "ca"
	switch {
	case *caCertFlag != "":
		caCert, err := readCertificate(*caCertFlag)
		if err != nil {
			return err
		}
		caKey, err := readPrivateKey(*caKeyFlag)
		if err != nil {
			return err
		}
		if !keysEqual(caKey.Public(), caCert.PublicKey) {
			return fmt.Errorf("--ca-key is not the key of --ca-cert")
		}
		issue = caIssuer(caCert, caKey, *days)
	case *selfSigned:
		mode = "self-signed"
	default:
		mode = "csr"
	}
	pin, err := a.secret(*pinFlag, envPIN, "PIN")
	if err != nil {
		return err
	}
	defer clear(pin)
	w, err := a.openWriter(bytes.Clone(pin))
	if err != nil {
		return err
	}
	if opts.PIN == 3 {
		// PIN 3 is asked for before every use of the key: each signature presents it again.
		w.csp.BeforeSign = func(byte) error { return w.authenticate(3, bytes.Clone(pin)) }
	}
	res := enrollResult{Mode: mode, CSROut: *csrOut, Compressed: *compress, Out: *out}
	var cert *x509.Certificate
	var csrDER []byte
	err = func() error {
		kr, pub, err := w.newKey(opts)
		if err != nil {
			return err
		}
		res.keygenResult = kr
		idx := byte(kr.Container)
		incomplete := func(err error) error { return &csp.IncompleteError{Index: idx, Err: err} }
		switch mode {
		case "csr":
			if csrDER, err = w.csp.CSR(idx, subject); err != nil {
				return incomplete(err)
			}
			return nil
		case "self-signed":
			signer, err := w.csp.Signer(idx)
			if err != nil {
				return incomplete(err)
			}
			tmpl, err := certTemplate(subject, pub, *days)
			if err != nil {
				return incomplete(err)
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
			if err != nil {
				return incomplete(fmt.Errorf("self-signed certificate: %w", err))
			}
			if cert, err = x509.ParseCertificate(der); err != nil {
				return incomplete(err)
			}
			if err := w.csp.WriteCertificate(idx, der, *compress); err != nil {
				return incomplete(err)
			}
			return nil
		}
		// The CA: csp.Enroll would create another key; here the key exists, so the same steps
		// follow CreateKey: the request, the CA, the certificate file.
		csrDER, err = w.csp.CSR(idx, subject)
		if err != nil {
			return incomplete(err)
		}
		der, err := issue(csrDER)
		if err != nil {
			return incomplete(fmt.Errorf("issue the certificate: %w", err))
		}
		if cert, err = x509.ParseCertificate(der); err != nil {
			return incomplete(err)
		}
		if err := w.csp.WriteCertificate(idx, der, *compress); err != nil {
			return incomplete(err)
		}
		return nil
	}()
	res.APDUs = w.stats().Commands
	if err := w.done(err); err != nil {
		var ie *csp.IncompleteError
		if errors.As(err, &ie) {
			fmt.Fprintf(a.stderr, "mdtool: container %d keeps the new key: mdtool import-cert --container %d adds its certificate, mdtool rm --container %d deletes it\n",
				ie.Index, ie.Index, ie.Index)
		}
		return err
	}
	if mode == "csr" {
		if err := os.WriteFile(*csrOut, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}), 0o644); err != nil {
			return fmt.Errorf("write the request: %w (the new key is in container %d)", err, res.Container)
		}
	} else {
		res.Certificate = describeCert(cert, res.PublicKeySHA256 == fingerprint(cert.PublicKey))
		res.CertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
		if *out != "" {
			if err := os.WriteFile(*out, []byte(res.CertificatePEM), 0o644); err != nil {
				return fmt.Errorf("write the certificate: %w (it is on the card, in %s)", err, res.CertFile)
			}
		}
	}
	if a.opts.json {
		return a.writeJSON(res)
	}
	fmt.Fprintln(a.stdout, res.describe())
	switch mode {
	case "csr":
		fmt.Fprintf(a.stdout, "certificate request (signed by the card) written to %s; once the CA issued it:\n", *csrOut)
		fmt.Fprintf(a.stdout, "  mdtool import-cert --container %d --in CERT.pem\n", res.Container)
		return nil
	}
	fmt.Fprintf(a.stdout, "certificate %s, issued by %s, written to %s\n", res.Certificate.Subject, res.Certificate.Issuer, res.CertFile)
	if *out != "" {
		fmt.Fprintf(a.stdout, "and to %s\n", *out)
		return nil
	}
	fmt.Fprint(a.stdout, res.CertificatePEM)
	return nil
}

// describeCert is the JSON form of a certificate.
func describeCert(c *x509.Certificate, keyMatches bool) *certJSON {
	return &certJSON{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: hex.EncodeToString(c.SerialNumber.Bytes()),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), SHA256: sha256Hex(c.Raw), KeyMatches: keyMatches}
}

// keysEqual compares two public keys.
func keysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// containerFlag validates --container.
func containerFlag(cmd string, idx int) (byte, error) {
	if idx < 0 {
		return 0, usageError{cmd + ": --container N is required (see mdtool containers)"}
	}
	if idx > 255 {
		return 0, usageError{fmt.Sprintf("--container %d: a container index is 0 to 255", idx)}
	}
	return byte(idx), nil
}

func (a *app) cmdImportCert(args []string) error {
	fs := a.newFlagSet("import-cert")
	idxFlag := fs.Int("container", -1, "container index (see mdtool containers)")
	in := fs.String("in", "", "the certificate, PEM or DER (required)")
	compress := fs.Bool("compress", false, "write it in Windows' compressed format")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	idx, err := containerFlag("import-cert", *idxFlag)
	if err != nil {
		return err
	}
	if *in == "" {
		return usageError{"import-cert: --in FILE is required"}
	}
	cert, err := readCertificate(*in)
	if err != nil {
		return err
	}
	var ks spec.KeySpec
	apdus, err := a.write(*pinFlag, func(w *writer) error {
		var err error
		if _, ks, err = w.csp.ContainerKey(idx); err != nil {
			return err
		}
		return w.csp.WriteCertificate(idx, cert.Raw, *compress)
	})
	if err != nil {
		return err
	}
	file := filePath(spec.DirBaseCSP, csp.CertFile(ks, idx))
	if a.opts.json {
		return a.writeJSON(struct {
			Container   int       `json:"container"`
			CertFile    string    `json:"cert_file"`
			Certificate *certJSON `json:"certificate"`
			Compressed  bool      `json:"compressed"`
			APDUs       int       `json:"apdus"`
		}{int(idx), file, describeCert(cert, true), *compress, apdus})
	}
	fmt.Fprintf(a.stdout, "certificate %s (issued by %s) written to %s, container %d\n", cert.Subject, cert.Issuer, file, idx)
	return nil
}

func (a *app) cmdRm(args []string) error {
	fs := a.newFlagSet("rm")
	idxFlag := fs.Int("container", -1, "container index (see mdtool containers)")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	idx, err := containerFlag("rm", *idxFlag)
	if err != nil {
		return err
	}
	apdus, err := a.write(*pinFlag, func(w *writer) error { return w.csp.DeleteKey(idx) })
	if err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(struct {
			Container int  `json:"container"`
			Deleted   bool `json:"deleted"`
			APDUs     int  `json:"apdus"`
		}{int(idx), true, apdus})
	}
	fmt.Fprintf(a.stdout, "container %d deleted with its certificate (PIV cannot erase keys: the key stays in its slot, unused)\n", idx)
	return nil
}

// parseAC parses --ac: a CARD_FILE_ACCESS_CONDITION name ("UserReadWriteAc", any case, the "Ac"
// optional) or number.
func parseAC(s string) (spec.FileAccessCondition, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if ac := spec.FileAccessCondition(n); ac.Valid() && ac != spec.UnknownAc {
			return ac, nil
		}
	}
	for ac := spec.EveryoneReadUserWriteAc; ac <= spec.AdminReadWriteAc; ac++ {
		name := ac.String()
		if ac != spec.UnknownAc && (strings.EqualFold(s, name) || strings.EqualFold(s, strings.TrimSuffix(name, "Ac"))) {
			return ac, nil
		}
	}
	return 0, usageError{fmt.Sprintf("--ac %q: EveryoneReadUserWriteAc, UserWriteExecuteAc, EveryoneReadAdminWriteAc, UserReadWriteAc or AdminReadWriteAc", s)}
}

func (a *app) filesPut(args []string) error {
	fs := a.newFlagSet("files put")
	in := fs.String("in", "", "the content (a file; - for stdin)")
	acFlag := fs.String("ac", "EveryoneReadUserWriteAc", "access condition of a new file")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *in == "" {
		return usageError{"files put: --in FILE is required"}
	}
	if *in == "-" && *pinFlag == "" && a.getenv(envPIN) == "" {
		return usageError{"files put: the content comes from stdin, so give the PIN with --pin or $" + envPIN}
	}
	ac, err := parseAC(*acFlag)
	if err != nil {
		return err
	}
	dir, name := splitPath(strings.TrimPrefix(pos[0], "/"))
	data, err := a.readInput(*in)
	if err != nil {
		return err
	}
	apdus, err := a.write(*pinFlag, func(w *writer) error { return w.csp.PutFile(dir, name, data, ac) })
	if err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(struct {
			Path   string `json:"path"`
			Size   int    `json:"size"`
			Access string `json:"access"`
			APDUs  int    `json:"apdus"`
		}{filePath(dir, name), len(data), ac.String(), apdus})
	}
	fmt.Fprintf(a.stdout, "%s: %d bytes written (a new file gets %s)\n", filePath(dir, name), len(data), ac)
	return nil
}

func (a *app) filesRm(args []string) error {
	fs := a.newFlagSet("files rm")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	dir, name := splitPath(strings.TrimPrefix(pos[0], "/"))
	apdus, err := a.write(*pinFlag, func(w *writer) error { return w.csp.RemoveFile(dir, name) })
	if err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(struct {
			Path    string `json:"path"`
			Deleted bool   `json:"deleted"`
			APDUs   int    `json:"apdus"`
		}{filePath(dir, name), true, apdus})
	}
	fmt.Fprintf(a.stdout, "%s deleted\n", filePath(dir, name))
	return nil
}

// subjectAttrs are the attribute names parseSubject knows.
var subjectAttrs = map[string]asn1.ObjectIdentifier{
	"CN": {2, 5, 4, 3}, "SERIALNUMBER": {2, 5, 4, 5}, "C": {2, 5, 4, 6}, "L": {2, 5, 4, 7}, "ST": {2, 5, 4, 8},
	"STREET": {2, 5, 4, 9}, "O": {2, 5, 4, 10}, "OU": {2, 5, 4, 11}, "POSTALCODE": {2, 5, 4, 17},
	"DC": {0, 9, 2342, 19200300, 100, 1, 25}, "UID": {0, 9, 2342, 19200300, 100, 1, 1},
	"E": {1, 2, 840, 113549, 1, 9, 1}, "EMAIL": {1, 2, 840, 113549, 1, 9, 1}, "EMAILADDRESS": {1, 2, 840, 113549, 1, 9, 1},
}

// parseSubject parses a distinguished name written "CN=Alice,O=Example,C=US" (most significant
// last, as RFC 4514 writes it; "\," escapes a comma) or "/C=US/O=Example/CN=Alice" (openssl's
// form, most significant first).
func parseSubject(s string) (pkix.Name, error) {
	var parts []string
	slash := strings.HasPrefix(s, "/")
	sep := byte(',')
	if slash {
		sep, s = '/', s[1:]
	}
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case s[i] == sep:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	parts = append(parts, cur.String())
	if !slash {
		// RFC 4514 lists the most significant RDN last; the RDN sequence starts with it.
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	var rdns pkix.RDNSequence
	for _, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.ToUpper(strings.TrimSpace(k)), strings.TrimSpace(v)
		oid, known := subjectAttrs[k]
		if !ok || !known || v == "" {
			return pkix.Name{}, usageError{fmt.Sprintf("--subject: %q is not ATTR=value with a known attribute (CN, O, OU, C, L, ST, STREET, POSTALCODE, SERIALNUMBER, DC, UID, E)", p)}
		}
		var val any = v
		if k == "E" || k == "EMAIL" || k == "EMAILADDRESS" || k == "DC" {
			val = asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(v)}
		}
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: val}})
	}
	var name pkix.Name
	name.FillFromRDNSequence(&rdns)
	name.ExtraNames = nil
	for _, rdn := range rdns {
		name.ExtraNames = append(name.ExtraNames, rdn...)
	}
	return name, nil
}
