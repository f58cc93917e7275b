package interop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"
)

// keySpec is one key the test generates on the card.
type keySpec struct {
	slot      string // yubico-piv-tool slot name
	alg       string // yubico-piv-tool algorithm name
	showAlg   string // pivcard show's algorithm name
	cn        string // subject common name of its certificate
	pinPolicy string // the slot's default PIN policy, as pivcard show names it
	id        string // OpenSC's PKCS#11 / PKCS#15 id of the slot
	label     string // OpenSC's certificate label
	keyLabel  string // OpenSC's private key label
	mechanism string // pkcs11-tool signature mechanism
	ec        bool
}

// The RSA key goes to PIV Authentication (9A, PIN once); the ECC key to Digital Signature (9C),
// whose PIN must be given again for every signature (OpenSC asks for it as CKU_CONTEXT_SPECIFIC).
var testKeys = []keySpec{
	{slot: "9a", alg: "RSA2048", showAlg: "RSA-2048", cn: "interop rsa", pinPolicy: "once", id: "01",
		label: "Certificate for PIV Authentication", keyLabel: "PIV AUTH key", mechanism: "SHA256-RSA-PKCS"},
	{slot: "9c", alg: "ECCP256", showAlg: "ECC P-256", cn: "interop ecc", pinPolicy: "always", id: "02",
		label: "Certificate for Digital Signature", keyLabel: "SIGN key", mechanism: "ECDSA-SHA256", ec: true},
}

// readPEM decodes the first PEM block of type typ in a file.
func readPEM(t *testing.T, file, typ string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			t.Fatalf("%s: no PEM %s block", file, typ)
		}
		if b.Type == typ {
			return b.Bytes
		}
	}
}

func readPublicKey(t *testing.T, file string) (crypto.PublicKey, []byte) {
	t.Helper()
	der := readPEM(t, file, "PUBLIC KEY")
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return pub, der
}

func readCertificate(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	cert, err := x509.ParseCertificate(readPEM(t, file, "CERTIFICATE"))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return cert
}

func samePublicKey(a, b crypto.PublicKey) bool {
	x, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && x.Equal(b)
}

// TestKeysAndOpenSC generates an RSA and an ECC key with yubico-piv-tool, makes and imports their
// self-signed certificates, then has OpenSC find them and sign with them; openssl checks every
// signature with the public key of the certificate read back from the card.
func TestKeysAndOpenSC(t *testing.T) {
	c := startCard(t)
	pubs := map[string]crypto.PublicKey{}
	for _, k := range testKeys {
		step(t, "generate "+k.slot, func(t *testing.T) {
			pubFile := c.path("pub" + k.slot + ".pem")
			out := c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "generate", "-s", k.slot, "-A", k.alg, "-o", pubFile))
			expect(t, "generate", out, "Successfully generated a new private key.")
			pub, der := readPublicKey(t, pubFile)
			pubs[k.slot] = pub
			sum := sha256.Sum256(der)
			found := false
			for _, key := range c.show(t).Keys {
				if key.Slot != k.slot {
					continue
				}
				found = true
				if key.Alg != k.showAlg || key.Origin != "generated" || key.PINPolicy != k.pinPolicy {
					t.Errorf("pivcard show: slot %s holds %s, origin %s, PIN policy %s; want %s, generated, %s",
						k.slot, key.Alg, key.Origin, key.PINPolicy, k.showAlg, k.pinPolicy)
				}
				if key.PublicKeySHA256 != hex.EncodeToString(sum[:]) {
					t.Errorf("pivcard show: public key of slot %s differs from the one yubico-piv-tool wrote", k.slot)
				}
			}
			if !found {
				t.Errorf("pivcard show: no key in slot %s", k.slot)
			}
		})
		step(t, "certificate "+k.slot, func(t *testing.T) {
			certFile := c.path("cert" + k.slot + ".pem")
			c.selfSign(t, k, c.path("pub"+k.slot+".pem"), pubs[k.slot], certFile)
			out := c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "import-certificate", "-s", k.slot, "-i", certFile))
			expect(t, "import-certificate", out, "Successfully imported a new certificate.")

			back := c.path("back" + k.slot + ".pem")
			c.ok(t, c.ykpiv("-a", "read-certificate", "-s", k.slot, "-o", back))
			if !readCertificate(t, back).Equal(readCertificate(t, certFile)) {
				t.Errorf("read-certificate -s %s returned another certificate than the one imported", k.slot)
			}
			// The tool signs random data with the card and checks it with the certificate.
			out = c.ok(t, c.ykpiv("-a", "verify-pin", "-P", defaultPIN, "-a", "test-signature", "-s", k.slot, "-i", certFile))
			expect(t, "test-signature", out, "Successful ", " verification.")
			// RSA decryption, or ECDH for an ECC key.
			out = c.ok(t, c.ykpiv("-a", "verify-pin", "-P", defaultPIN, "-a", "test-decipher", "-s", k.slot, "-i", certFile))
			expect(t, "test-decipher", out, "Successfully performed ")
		})
	}

	step(t, "attest 9a", func(t *testing.T) {
		att, f9 := c.path("attest9a.pem"), c.path("f9.pem")
		c.ok(t, c.ykpiv("-a", "attest", "-s", "9a", "-o", att))
		c.ok(t, c.ykpiv("-a", "read-certificate", "-s", "f9", "-o", f9))
		out := c.ok(t, []string{"openssl", "verify", "-partial_chain", "-CAfile", f9, att})
		expect(t, "openssl verify of the attestation", out, att+": OK")
		cert := readCertificate(t, att)
		if !samePublicKey(cert.PublicKey, pubs["9a"]) {
			t.Errorf("the attestation certificate of 9a holds another key than the one generated")
		}
		var serial int64
		for _, e := range cert.Extensions {
			if e.Id.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 7}) {
				if _, err := asn1.Unmarshal(e.Value, &serial); err != nil {
					t.Errorf("attestation serial extension: %v", err)
				}
			}
		}
		if serial != int64(c.info.Serial) {
			t.Errorf("attestation certificate names serial %d, card serial is %d", serial, c.info.Serial)
		}
	})

	step(t, "status lists certificates", func(t *testing.T) {
		out := c.ok(t, c.ykpiv("-a", "status"))
		for _, k := range testKeys {
			block := slotBlock(out, k.slot)
			if block == "" {
				t.Errorf("status: no slot %s\n%s", k.slot, out)
				continue
			}
			expect(t, "status slot "+k.slot, block, "Algorithm:\t"+k.alg, "Subject DN:\tCN="+k.cn)
		}
		objects := map[string]string{}
		for _, o := range c.show(t).Objects {
			objects[o.Tag] = o.Certificate
		}
		for tag, k := range map[string]keySpec{"5FC105": testKeys[0], "5FC10A": testKeys[1]} {
			if objects[tag] != "CN="+k.cn {
				t.Errorf("pivcard show: object %s holds certificate %q, want CN=%s", tag, objects[tag], k.cn)
			}
		}
	})

	step(t, "pkcs15-tool", func(t *testing.T) {
		out := c.ok(t, c.p15("--list-certificates"))
		for _, k := range testKeys {
			expect(t, "pkcs15-tool --list-certificates", out, "X.509 Certificate ["+k.label+"]")
			expect(t, "pkcs15-tool --list-certificates", out, "ID             : "+k.id)
			file := c.path("p15-" + k.id + ".pem")
			pemOut := c.ok(t, c.p15("--read-certificate", k.id))
			if err := os.WriteFile(file, []byte(pemOut), 0o600); err != nil {
				t.Fatal(err)
			}
			cert := readCertificate(t, file)
			if cert.Subject.CommonName != k.cn || !samePublicKey(cert.PublicKey, pubs[k.slot]) {
				t.Errorf("pkcs15-tool --read-certificate %s: subject %s, same key %v; want CN=%s and the key of slot %s",
					k.id, cert.Subject, samePublicKey(cert.PublicKey, pubs[k.slot]), k.cn, k.slot)
			}
		}
	})

	step(t, "pkcs11-tool objects", func(t *testing.T) {
		out := c.ok(t, c.p11("--login", "--pin", defaultPIN, "--list-objects", "--type", "privkey"))
		for _, k := range testKeys {
			kind := "RSA"
			if k.ec {
				kind = "EC"
			}
			block := objectBlock(out, k.keyLabel)
			if !strings.Contains(block, "Private Key Object; "+kind) || !strings.Contains(block, "ID:         "+k.id) {
				t.Errorf("pkcs11-tool --list-objects: no %s private key %q with ID %s:\n%s", kind, k.keyLabel, k.id, out)
			}
		}
	})

	data := c.path("data.txt")
	if err := os.WriteFile(data, []byte("cardmod interop: data signed through OpenSC\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range testKeys {
		step(t, "pkcs11-tool sign "+k.mechanism, func(t *testing.T) {
			sig := c.path("sig" + k.id + ".bin")
			args := []string{"--login", "--pin", defaultPIN, "--sign", "--mechanism", k.mechanism, "--id", k.id, "-i", data, "-o", sig}
			if k.ec {
				args = append(args, "--signature-format", "openssl")
			}
			c.ok(t, c.p11(args...))

			der := c.path("cert" + k.id + ".der")
			c.ok(t, c.p11("--read-object", "--type", "cert", "--id", k.id, "-o", der))
			pubFile := c.path("certpub" + k.id + ".pem")
			c.ok(t, []string{"openssl", "x509", "-inform", "DER", "-in", der, "-noout", "-pubkey", "-out", pubFile})
			if pub, _ := readPublicKey(t, pubFile); !samePublicKey(pub, pubs[k.slot]) {
				t.Fatalf("the certificate read back with pkcs11-tool holds another key than slot %s", k.slot)
			}
			out := c.ok(t, []string{"openssl", "dgst", "-sha256", "-verify", pubFile, "-signature", sig, data})
			expect(t, "openssl dgst -verify", out, "Verified OK")

			// The same signature must not verify other data.
			other := c.path("other.txt")
			if err := os.WriteFile(other, []byte("other data\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out = c.fails(t, []string{"openssl", "dgst", "-sha256", "-verify", pubFile, "-signature", sig, other})
			expect(t, "openssl dgst -verify of other data", out, "Verification failure")
		})
	}

	secret := c.path("secret.txt")
	if err := os.WriteFile(secret, []byte("a secret for the card"), 0o600); err != nil {
		t.Fatal(err)
	}
	step(t, "pkcs11-tool decrypt RSA", func(t *testing.T) {
		pub9a := c.path("pub9a.pem")
		for _, m := range []struct {
			mechanism string
			openssl   []string
		}{
			{"RSA-PKCS", nil},
			// pkcs11-tool's OAEP defaults are SHA-256 and MGF1-SHA256.
			{"RSA-PKCS-OAEP", []string{"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
				"-pkeyopt", "rsa_mgf1_md:sha256"}},
		} {
			enc, dec := c.path("enc-"+m.mechanism), c.path("dec-"+m.mechanism)
			c.ok(t, append([]string{"openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pub9a, "-in", secret, "-out", enc}, m.openssl...))
			c.ok(t, c.p11("--login", "--pin", defaultPIN, "--decrypt", "--mechanism", m.mechanism, "--id", "01", "-i", enc, "-o", dec))
			if got, _ := os.ReadFile(dec); string(got) != "a secret for the card" {
				t.Errorf("pkcs11-tool --decrypt --mechanism %s: got %q", m.mechanism, got)
			}
		}
	})

	// An ECC key made by openssl, imported into Key Management (9D) with its certificate.
	step(t, "import-key 9d", func(t *testing.T) {
		key, cert := c.path("imported.key"), c.path("imported.pem")
		c.ok(t, []string{"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key})
		c.ok(t, []string{"openssl", "req", "-new", "-x509", "-key", key, "-subj", "/CN=interop imported/", "-days", "30", "-out", cert})
		out := c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "import-key", "-s", "9d", "-i", key))
		expect(t, "import-key", out, "Successfully imported a new private key.")
		c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "import-certificate", "-s", "9d", "-i", cert))
		pubDER, err := x509.MarshalPKIXPublicKey(readCertificate(t, cert).PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pubDER)
		ok := false
		for _, k := range c.show(t).Keys {
			if k.Slot == "9d" {
				ok = k.Origin == "imported" && k.Alg == "ECC P-256" && k.PublicKeySHA256 == hex.EncodeToString(sum[:])
			}
		}
		if !ok {
			t.Errorf("pivcard show: slot 9d does not hold the imported ECC P-256 key: %+v", c.show(t).Keys)
		}
		// Only keys generated on the card can be attested.
		c.fails(t, c.ykpiv("-a", "attest", "-s", "9d", "-o", c.path("attest9d.pem")))
	})

	step(t, "pkcs11-tool derive ECDH", func(t *testing.T) {
		peer, peerDER := c.path("peer.key"), c.path("peer.der")
		certPub := c.path("imported-pub.pem")
		c.ok(t, []string{"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", peer})
		c.ok(t, []string{"openssl", "pkey", "-in", peer, "-pubout", "-outform", "DER", "-out", peerDER})
		c.ok(t, []string{"openssl", "x509", "-in", c.path("imported.pem"), "-noout", "-pubkey", "-out", certPub})
		card, host := c.path("shared-card.bin"), c.path("shared-host.bin")
		c.ok(t, c.p11("--login", "--pin", defaultPIN, "--derive", "--mechanism", "ECDH1-DERIVE", "--id", "03", "-i", peerDER, "-o", card))
		c.ok(t, []string{"openssl", "pkeyutl", "-derive", "-inkey", peer, "-peerkey", certPub, "-out", host})
		a, _ := os.ReadFile(card)
		b, _ := os.ReadFile(host)
		if len(a) != 32 || string(a) != string(b) {
			t.Errorf("ECDH secret from the card (%x) differs from openssl's (%x)", a, b)
		}
	})

	step(t, "delete-certificate 9d", func(t *testing.T) {
		c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "delete-certificate", "-s", "9d"))
		for _, o := range c.show(t).Objects {
			if o.Tag == "5FC10B" {
				t.Errorf("pivcard show: the 9D certificate object is still there")
			}
		}
		out := c.ok(t, c.p15("--list-certificates"))
		if strings.Contains(out, "ID             : 03") || !strings.Contains(out, "ID             : 01") {
			t.Errorf("pkcs15-tool --list-certificates after deleting the 9D certificate:\n%s", out)
		}
	})
}

// slotBlock returns the lines of `yubico-piv-tool -a status` about one slot.
func slotBlock(out, slot string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "Slot "+slot+":"):
			in = true
		case in && !strings.HasPrefix(l, "\t"):
			return b.String()
		}
		if in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// objectBlock returns the lines of `pkcs11-tool --list-objects` about the object with a label:
// an object starts with an unindented line, its attributes are indented.
func objectBlock(out, label string) string {
	var blocks [][]string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, " ") || len(blocks) == 0 {
			blocks = append(blocks, nil)
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], l)
	}
	for _, b := range blocks {
		for _, l := range b {
			if f := strings.TrimSpace(l); strings.HasPrefix(f, "label:") && strings.TrimSpace(strings.TrimPrefix(f, "label:")) == label {
				return strings.Join(b, "\n")
			}
		}
	}
	return ""
}

// selfSign makes the self-signed certificate of the key in slot k.slot and writes it (PEM) to
// certFile. It asks yubico-piv-tool's selfsign-certificate first. yubico-piv-tool 2.2.0 built
// with OpenSSL 3 fails there without ever asking the card to sign (its RSA/EC method hooks are
// bypassed by OpenSSL 3: Yubico/yubico-piv-tool#388); then the certificate is assembled here and
// its signature made by the card through `yubico-piv-tool --sign`. Either way the result must be
// a certificate for the slot's public key whose signature verifies with that key.
func (c *card) selfSign(t *testing.T, k keySpec, pubFile string, pub crypto.PublicKey, certFile string) {
	t.Helper()
	off := c.traceSize()
	out, err := c.run(c.ykpiv("-a", "verify-pin", "-P", defaultPIN, "-a", "selfsign-certificate", "-s", k.slot,
		"-S", "/CN="+k.cn+"/", "-i", pubFile, "-o", certFile))
	if err != nil {
		asked := false
		for _, cmd := range c.traceSince(off) {
			if h := strings.Fields(cmd); len(h) > 0 && len(h[0]) >= 8 && h[0][2:4] == "87" && strings.EqualFold(h[0][6:8], k.slot) {
				asked = true
			}
		}
		if asked || !strings.Contains(out, "Failed signing certificate.") {
			t.Fatalf("yubico-piv-tool selfsign-certificate -s %s failed (the card was asked to sign: %v): %v\n%s\n%s",
				k.slot, asked, err, out, c.traceNote())
		}
		t.Logf("yubico-piv-tool selfsign-certificate failed without asking the card to sign (yubico-piv-tool "+
			"2.2.0 with OpenSSL 3, Yubico/yubico-piv-tool#388); signing the certificate with yubico-piv-tool --sign:\n%s", out)
		c.signCertificate(t, k, pub, certFile)
	}
	cert := readCertificate(t, certFile)
	if cert.Subject.CommonName != k.cn || cert.Issuer.CommonName != k.cn {
		t.Errorf("certificate subject %s, issuer %s; want CN=%s for both", cert.Subject, cert.Issuer, k.cn)
	}
	if !samePublicKey(cert.PublicKey, pub) {
		t.Fatalf("the certificate holds another public key than slot %s", k.slot)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Fatalf("the self-signed certificate of slot %s does not verify with its own key: %v", k.slot, err)
	}
}

// signCertificate builds a self-signed certificate for pub whose signature the card makes:
// the to-be-signed part comes from crypto/x509 (signed there with a scratch key of the same type,
// which only fixes the algorithm identifier), and yubico-piv-tool --sign hashes and signs it
// with the slot's key.
func (c *card) signCertificate(t *testing.T, k keySpec, pub crypto.PublicKey, certFile string) {
	t.Helper()
	var scratch crypto.Signer
	var err error
	if k.ec {
		scratch, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		scratch, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		t.Fatal(err)
	}
	// Whole hours, so that no time in the certificate reads like a PIN the trace check looks for.
	notBefore := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          serial.Add(serial, big.NewInt(1)),
		Subject:               pkix.Name{CommonName: k.cn},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	draft, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, scratch)
	if err != nil {
		t.Fatalf("draft certificate: %v", err)
	}
	var outer struct {
		TBS       asn1.RawValue
		Algorithm asn1.RawValue
		Signature asn1.BitString
	}
	if rest, err := asn1.Unmarshal(draft, &outer); err != nil || len(rest) > 0 {
		t.Fatalf("draft certificate: %v (%d trailing bytes)", err, len(rest))
	}
	tbs, sig := c.path("tbs"+k.slot+".der"), c.path("tbs"+k.slot+".sig")
	if err := os.WriteFile(tbs, outer.TBS.FullBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	out := c.ok(t, c.ykpiv("-a", "verify-pin", "-P", defaultPIN, "--sign", "-s", k.slot, "-H", "SHA256", "-A", k.alg,
		"-i", tbs, "-o", sig))
	expect(t, "yubico-piv-tool --sign", out, "Signature successful!")
	signature, err := os.ReadFile(sig)
	if err != nil {
		t.Fatal(err)
	}
	outer.Signature = asn1.BitString{Bytes: signature, BitLength: 8 * len(signature)}
	der, err := asn1.Marshal(outer)
	if err != nil {
		t.Fatal(err)
	}
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatalf("assembled certificate: %v", err)
	}
}
