package main

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
	"github.com/cardmod/cardmod/vcard"
)

// cmdDemo walks through what a PIV host does with a card, on a fresh in-memory virtual card,
// printing each step with the APDUs it cost.
func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pivcard demo", flag.ContinueOnError)
	trace := fs.Bool("trace", false, "print every APDU exchange (secrets redacted)")
	ext := fs.Bool("extended", true, "use extended-length APDUs (false: command chaining and GET RESPONSE)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	card, err := vcard.New(vcard.Options{})
	if err != nil {
		return err
	}
	var t apdu.Transport = card
	if *trace {
		red := new(piv.Redactor)
		t = apdu.NewTraceTransport(card, red.Format, stdout)
	}
	c := piv.NewClient(t, piv.ClientOptions{ExtendedLength: *ext})
	d := &demo{c: c, w: stdout}

	pin := []byte("123456")
	var serial uint32
	var ver [3]byte
	var guid []byte
	var pub9a, pub9d crypto.PublicKey
	var certDER []byte
	steps := []struct {
		name string
		run  func() (string, error)
	}{
		{"select the PIV application", func() (string, error) {
			apt, err := c.Select()
			if err != nil {
				return "", err
			}
			label, _, _ := tlv.Find(apt, 0x50)
			return fmt.Sprintf("%q", label), nil
		}},
		{"read serial number and version", func() (string, error) {
			if serial, err = c.Serial(); err != nil {
				return "", err
			}
			ver, err = c.Version()
			return fmt.Sprintf("serial %d, version %d.%d.%d", serial, ver[0], ver[1], ver[2]), err
		}},
		{"read the CHUID", func() (string, error) {
			chuid, err := c.GetData(piv.ObjCHUID)
			if err != nil {
				return "", err
			}
			guid, _, err = tlv.Find(chuid, 0x34)
			return fmt.Sprintf("card GUID %X", guid), err
		}},
		{"authenticate with the management key (mutual)", func() (string, error) {
			return "3DES default key", c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey)
		}},
		{"generate an ECC P-256 key in slot 9A", func() (string, error) {
			pub9a, err = c.Generate(piv.SlotAuth, piv.AlgECCP256, 0, 0)
			return "public key returned; the private key never leaves the card", err
		}},
		{"generate an RSA-2048 key in slot 9D", func() (string, error) {
			pub9d, err = c.Generate(piv.SlotKeyMgmt, piv.AlgRSA2048, 0, 0)
			return "", err
		}},
		{"try to sign without the PIN", func() (string, error) {
			d := sha256.Sum256([]byte("no PIN"))
			_, err := (&piv.Signer{C: c, Slot: piv.SlotAuth, Alg: piv.AlgECCP256, Pub: pub9a}).Sign(nil, d[:], crypto.SHA256)
			if !errors.Is(err, apdu.SWSecurityStatusNotSatisfied) {
				return "", fmt.Errorf("expected 6982, got %v", err)
			}
			return "refused with 6982 (security status not satisfied), as it must be", nil
		}},
		{"verify the PIN", func() (string, error) {
			return "PIN accepted", c.VerifyPIN(pin)
		}},
		{"self-sign a certificate with the 9A key and store it", func() (string, error) {
			s := &piv.Signer{C: c, Slot: piv.SlotAuth, Alg: piv.AlgECCP256, Pub: pub9a}
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cardmod demo"},
				NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().AddDate(1, 0, 0)}
			certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub9a, s)
			if err != nil {
				return "", err
			}
			var b tlv.Builder
			b.Add(piv.TagCertificate, certDER)
			b.Add(piv.TagCertInfo, []byte{piv.CertInfoUncompressed})
			b.Add(piv.TagErrorDetection, nil)
			return fmt.Sprintf("%d-byte certificate", len(certDER)), c.PutData(piv.ObjCertAuth, b.Bytes())
		}},
		{"read the certificate back and check it", func() (string, error) {
			obj, err := c.GetData(piv.ObjCertAuth)
			if err != nil {
				return "", err
			}
			der, _, err := tlv.Find(obj, piv.TagCertificate)
			if err != nil || !bytes.Equal(der, certDER) {
				return "", errors.New("certificate differs")
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return "", err
			}
			return cert.Subject.String(), cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature)
		}},
		{"sign a message with 9A (ECDSA) and verify it", func() (string, error) {
			digest := sha256.Sum256([]byte("hello from cardmod"))
			sig, err := (&piv.Signer{C: c, Slot: piv.SlotAuth, Alg: piv.AlgECCP256, Pub: pub9a}).Sign(nil, digest[:], crypto.SHA256)
			if err != nil {
				return "", err
			}
			if !ecdsa.VerifyASN1(pub9a.(*ecdsa.PublicKey), digest[:], sig) {
				return "", errors.New("signature does not verify")
			}
			return "signature verified with the public key", nil
		}},
		{"decrypt with 9D (RSA PKCS#1 v1.5)", func() (string, error) {
			ct, err := rsa.EncryptPKCS1v15(rand.Reader, pub9d.(*rsa.PublicKey), []byte("secret session key"))
			if err != nil {
				return "", err
			}
			block, err := c.PrivateOp(piv.SlotKeyMgmt, piv.AlgRSA2048, ct)
			if err != nil {
				return "", err
			}
			i := bytes.IndexByte(block[2:], 0)
			if block[0] != 0 || block[1] != 2 || i < 0 || string(block[2+i+1:]) != "secret session key" {
				return "", errors.New("wrong plaintext")
			}
			return "plaintext recovered", nil
		}},
		{"ECDH between 9A and a peer key", func() (string, error) {
			peer, err := ecdh.P256().GenerateKey(rand.Reader)
			if err != nil {
				return "", err
			}
			secret, err := c.ECDH(piv.SlotAuth, piv.AlgECCP256, peer.PublicKey().Bytes())
			if err != nil {
				return "", err
			}
			cardPub, _ := pub9a.(*ecdsa.PublicKey).ECDH()
			want, _ := peer.ECDH(cardPub)
			if !bytes.Equal(secret, want) {
				return "", errors.New("secrets differ")
			}
			return "card and peer computed the same secret", nil
		}},
		{"log out (the card is not reset)", func() (string, error) {
			if err := c.Logout(); err != nil {
				return "", err
			}
			verified, retries, err := c.PINStatus()
			if err != nil || verified {
				return "", fmt.Errorf("still verified (%v)", err)
			}
			return fmt.Sprintf("PIN no longer verified, %d tries left", retries), nil
		}},
	}
	fmt.Fprintf(stdout, "cardmod virtual PIV card demo (extended APDUs: %v)\n\n", *ext)
	for i, s := range steps {
		if err := d.step(i+1, s.name, s.run); err != nil {
			return err
		}
	}
	st := c.Stats()
	fmt.Fprintf(stdout, "\n%d APDUs, %d bytes sent, %d bytes received in all.\n", st.Commands, st.BytesSent, st.BytesReceived)
	return nil
}

type demo struct {
	c *piv.Client
	w io.Writer
}

func (d *demo) step(n int, name string, run func() (string, error)) error {
	before := d.c.Stats()
	detail, err := run()
	after := d.c.Stats()
	if err != nil {
		fmt.Fprintf(d.w, "%2d. %-50s FAILED: %v\n", n, name, err)
		return fmt.Errorf("demo step %d (%s): %w", n, name, err)
	}
	fmt.Fprintf(d.w, "%2d. %-50s [%d APDU]  %s\n", n, name, after.Commands-before.Commands, detail)
	return nil
}
