package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/pcsc"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

// virtualCardName is the card name passed to CardAcquireContext for the virtual card (Windows
// passes the name under which the card's ATR is registered); readerCardName for reader cards.
const (
	virtualCardName = "cardmod virtual PIV"
	readerCardName  = "PIV"
)

// conn is a card connection as the Base CSP holds it: the transport the minidriver sends APDUs
// over, the ATR and card name it receives in CARD_DATA, and a way to run one minidriver call
// inside a card transaction.
type conn struct {
	t        apdu.Transport // what the engine talks to (traced with --trace)
	atr      []byte
	cardName string
	desc     string // where the card is, for messages
	// transact runs one minidriver call; with a reader inside SCardBeginTransaction /
	// SCardEndTransaction(SCARD_LEAVE_CARD), as the Base CSP does for every operation.
	transact func(fn func() error) error
	close    func() error
	vcard    *vcard.Card // the virtual card, nil with a reader
}

// traced wraps t in a redacting APDU trace on stderr when --trace is set.
func (a *app) traced(t apdu.Transport) apdu.Transport {
	if !a.opts.trace {
		return t
	}
	red := new(piv.Redactor)
	return apdu.NewTraceTransport(t, red.Format, a.stderr)
}

// openCard connects to the card the global flags name: a PC/SC reader, or the virtual card of the
// state file (created and provisioned on first use).
func (a *app) openCard() (*conn, error) {
	if a.opts.reader != "" {
		return a.openReader(a.opts.reader)
	}
	path, err := a.statePath()
	if err != nil {
		return nil, err
	}
	card, err := a.openVirtual(path)
	if err != nil {
		return nil, err
	}
	return &conn{t: a.traced(card), atr: vcard.ATR(), cardName: virtualCardName, desc: "virtual card " + path,
		transact: func(fn func() error) error { return fn() }, close: func() error { return nil }, vcard: card}, nil
}

// statePath is --state or <user config dir>/cardmod/card.json.
func (a *app) statePath() (string, error) {
	if a.opts.state != "" {
		return a.opts.state, nil
	}
	dir, err := a.configDir()
	if err != nil {
		return "", fmt.Errorf("locate the virtual card (use --state FILE): %w", err)
	}
	return filepath.Join(dir, "cardmod", "card.json"), nil
}

// openVirtual opens the virtual card in path, creating and provisioning it when the file does not
// exist (with a note on stderr). A damaged state file is refused, never replaced.
func (a *app) openVirtual(path string) (*vcard.Card, error) {
	exists, err := vcard.FileStore{Path: path}.Exists()
	if err != nil {
		return nil, err
	}
	if !exists {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create the virtual card's directory: %w", err)
		}
		start := time.Now()
		if err := createVirtualCard(path); err != nil {
			return nil, err
		}
		fmt.Fprintf(a.stderr, "mdtool: created a new virtual PIV card in %s (9A/9D RSA-2048, 9C P-256, 9E P-384 with "+
			"self-signed certificates; default PIN, PUK and management key) in %v\n", path, time.Since(start).Round(time.Millisecond))
	}
	card, err := vcard.Open(path)
	if errors.Is(err, vcard.ErrCorrupt) {
		return nil, fmt.Errorf("refusing to use the damaged virtual card (move %s away to start with a new card): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open the virtual card: %w", err)
	}
	return card, nil
}

// createVirtualCard provisions a new card in memory and saves it atomically to path, so that a
// failure never leaves a half-provisioned card behind.
func createVirtualCard(path string) error {
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		return fmt.Errorf("create a virtual card: %w", err)
	}
	if _, err := provision(card, time.Now()); err != nil {
		return err
	}
	data, err := card.Snapshot().Marshal()
	if err != nil {
		return fmt.Errorf("save the new virtual card: %w", err)
	}
	if err := (vcard.FileStore{Path: path}).Save(data); err != nil {
		return fmt.Errorf("save the new virtual card: %w", err)
	}
	return nil
}

// issuedKey is one key of a freshly issued card.
type issuedKey struct {
	slot byte
	alg  byte
}

// issuedKeys is the key layout of a freshly issued card: what an administrator's PIV tool leaves.
func issuedKeys() []issuedKey {
	return []issuedKey{
		{piv.SlotAuth, piv.AlgRSA2048},
		{piv.SlotSign, piv.AlgECCP256},
		{piv.SlotKeyMgmt, piv.AlgRSA2048},
		{piv.SlotCardAuth, piv.AlgECCP384},
	}
}

// certCN is the subject common name of the self-signed certificate of a slot.
func certCN(slot byte) string { return fmt.Sprintf("cardmod virtual card %02X", slot) }

// provision issues a virtual card as a PIV tool does, through PIV commands: it authenticates with
// the default management key, generates the keys of issuedKeys on the card and writes a
// self-signed certificate for each to its certificate object. The card is reset afterwards. It
// returns the public keys by slot.
func provision(card *vcard.Card, now time.Time) (map[byte]crypto.PublicKey, error) {
	c := piv.NewClient(card, piv.ClientOptions{ExtendedLength: true})
	if _, err := c.Select(); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	pubs := map[byte]crypto.PublicKey{}
	for _, k := range issuedKeys() {
		pub, err := c.Generate(k.slot, k.alg, piv.PINPolicyDefault, piv.TouchPolicyDefault)
		if err != nil {
			return nil, fmt.Errorf("provision: generate %s in %02X: %w", piv.AlgName(k.alg), k.slot, err)
		}
		// The PIN right before each signature: 9C wants it for every use.
		if err := c.VerifyPIN(vcard.DefaultPIN); err != nil {
			return nil, fmt.Errorf("provision: %w", err)
		}
		der, err := selfSigned(&piv.Signer{C: c, Slot: k.slot, Alg: k.alg, Pub: pub}, certCN(k.slot), now)
		if err != nil {
			return nil, fmt.Errorf("provision: certificate for %02X: %w", k.slot, err)
		}
		if err := c.PutData(piv.CertObject(k.slot), certObject(der)); err != nil {
			return nil, fmt.Errorf("provision: store the certificate of %02X: %w", k.slot, err)
		}
		pubs[k.slot] = pub
	}
	if err := c.Logout(); err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	card.Reset()
	return pubs, nil
}

// selfSigned makes a certificate for the signer's key, signed by itself, valid for ten years.
func selfSigned(s crypto.Signer, cn string, now time.Time) ([]byte, error) {
	now = now.Truncate(time.Minute) // no seconds that could spell a PIN in a trace (12:34:56)
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	switch s.Public().(type) {
	case *rsa.PublicKey:
		usage |= x509.KeyUsageKeyEncipherment
	case *ecdsa.PublicKey:
		usage |= x509.KeyUsageKeyAgreement
	}
	tmpl := &x509.Certificate{SerialNumber: sn, Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour).UTC(), NotAfter: now.AddDate(10, 0, 0).UTC(), KeyUsage: usage}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s)
}

// certObject wraps a DER certificate as a PIV certificate object (70 certificate, 71 CertInfo
// uncompressed, FE error detection code).
func certObject(der []byte) []byte {
	var b tlv.Builder
	b.Add(piv.TagCertificate, der)
	b.Add(piv.TagCertInfo, []byte{piv.CertInfoUncompressed})
	b.Add(piv.TagErrorDetection, nil)
	return b.Bytes()
}

// openReader connects to the card in the PC/SC reader whose name contains name (an exact name
// wins; otherwise the match must be unique, case-insensitively).
func (a *app) openReader(name string) (*conn, error) {
	pctx, err := pcsc.EstablishContext()
	if err != nil {
		if errors.Is(err, pcsc.ErrNoPCSC) {
			return nil, fmt.Errorf("--reader: PC/SC is not available here (without --reader mdtool uses its virtual card): %w", err)
		}
		return nil, fmt.Errorf("PC/SC: %w", err)
	}
	release := func() { _ = pctx.Release() }
	readers, err := pctx.ListReaders()
	if err != nil {
		release()
		return nil, fmt.Errorf("list PC/SC readers: %w", err)
	}
	reader, err := pickReader(readers, name)
	if err != nil {
		release()
		return nil, err
	}
	card, err := pctx.Connect(reader, pcsc.ShareShared, pcsc.ProtocolAny)
	if err != nil {
		release()
		return nil, fmt.Errorf("connect to %q: %w", reader, err)
	}
	_, atr, err := card.Status()
	if err != nil {
		_ = card.Disconnect(pcsc.LeaveCard)
		release()
		return nil, fmt.Errorf("status of %q: %w", reader, err)
	}
	return &conn{t: a.traced(card), atr: atr, cardName: readerCardName, desc: "reader " + reader,
		transact: card.Transact,
		close: func() error {
			err := card.Disconnect(pcsc.LeaveCard)
			if rerr := pctx.Release(); err == nil {
				err = rerr
			}
			return err
		}}, nil
}

// pickReader chooses the reader matching name: the one with exactly that name, else the only one
// whose name contains it (ignoring case). The error lists the readers.
func pickReader(readers []string, name string) (string, error) {
	if len(readers) == 0 {
		return "", errors.New("no PC/SC reader is connected")
	}
	if slices.Contains(readers, name) {
		return name, nil
	}
	var match []string
	for _, r := range readers {
		if strings.Contains(strings.ToLower(r), strings.ToLower(name)) {
			match = append(match, r)
		}
	}
	list := "\n  " + strings.Join(readers, "\n  ")
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return "", fmt.Errorf("no reader matches %q; the readers are:%s", name, list)
	}
	return "", fmt.Errorf("%q matches %d readers, be more specific; the readers are:%s", name, len(match), list)
}

// slotOfKey names the PIV slot of the virtual card that holds pub ("9a", "82"), or "" when no
// slot does. The minidriver interface has no notion of slots; the virtual card tells.
func slotOfKey(card *vcard.Card, pub crypto.PublicKey) string {
	fp := fingerprint(pub)
	for _, k := range card.Info().Keys {
		if k.PublicKeySHA256 == fp {
			return k.Slot
		}
	}
	return ""
}
