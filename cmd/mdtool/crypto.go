package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"

	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// signRequest is what to sign and how.
type signRequest struct {
	hash   hashAlg
	pss    bool
	digest []byte
}

// sign is CardSignData the way the KSP calls it (csp.Session.SignDigest): RSA PKCS#1 v1.5 with
// the hash's ALG_ID (as the Base CSP does at logon), RSA-PSS with BCRYPT_PSS_PADDING_INFO (salt =
// hash length), ECDSA with the bare hash. It returns the signature in big-endian (RSA, reversed
// from the little-endian form the minidriver returns) or r||s (ECDSA).
func (s *session) sign(ct container, req signRequest) ([]byte, error) {
	var opts crypto.SignerOpts = req.hash.hash
	if req.pss {
		opts = &rsa.PSSOptions{Hash: req.hash.hash, SaltLength: req.hash.hash.Size()}
	}
	return s.csp.SignDigest(ct.Index, ct.KeySpec, ct.Pub, req.digest, opts)
}

// verifySignature checks a signature made by sign with the container's public key.
func verifySignature(pub crypto.PublicKey, req signRequest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if req.pss {
			return rsa.VerifyPSS(k, req.hash.hash, req.digest, sig, &rsa.PSSOptions{SaltLength: req.hash.hash.Size()})
		}
		return rsa.VerifyPKCS1v15(k, req.hash.hash, req.digest, sig)
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n {
			return fmt.Errorf("ECDSA signature of %d bytes, want %d", len(sig), 2*n)
		}
		r, ss := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		if !ecdsa.Verify(k, req.digest, r, ss) {
			return errors.New("ECDSA verification failed")
		}
		return nil
	}
	return fmt.Errorf("unsupported key %T", pub)
}

// readInput reads --in FILE, or stdin when path is "" or "-".
func (a *app) readInput(path string) ([]byte, error) {
	if path == "" || path == "-" {
		data, err := io.ReadAll(a.stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	return data, nil
}

// writeOutput writes data to --out FILE (mode 0600) or stdout.
func (a *app) writeOutput(path string, data []byte) error {
	if path == "" || path == "-" {
		if _, err := a.stdout.Write(data); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// signResult is the JSON answer of sign.
type signResult struct {
	Container int    `json:"container"`
	KeySpec   string `json:"key_spec"`
	Key       string `json:"key"`
	PINID     uint32 `json:"pin_id"`
	Hash      string `json:"hash"`
	Padding   string `json:"padding"`
	Digest    string `json:"digest"`
	Format    string `json:"format"`
	Signature string `json:"signature"`
	Verified  bool   `json:"verified"`
	Out       string `json:"out,omitempty"`
	APDUs     int    `json:"apdus"`
}

func (a *app) cmdSign(args []string) error {
	fs := a.newFlagSet("sign")
	idx := fs.Int("container", -1, "container index (see mdtool containers)")
	hashName := fs.String("hash", "sha256", "hash: sha1, sha256, sha384, sha512")
	pss := fs.Bool("pss", false, "RSA-PSS (salt length = hash length) instead of PKCS#1 v1.5")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+", or stdin when --in is given)")
	in := fs.String("in", "", "file to sign (default stdin)")
	out := fs.String("out", "", "write the raw signature to this file instead of hex to stdout")
	der := fs.Bool("der", false, "ECDSA: DER-encode the signature instead of r||s")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *idx < 0 {
		return usageError{"sign: --container N is required (see mdtool containers)"}
	}
	h, err := hashByFlag(*hashName)
	if err != nil {
		return err
	}
	if (*in == "" || *in == "-") && *pinFlag == "" && a.getenv(envPIN) == "" {
		return usageError{"sign: the data comes from stdin, so give the PIN with --pin or $" + envPIN}
	}
	data, err := a.readInput(*in)
	if err != nil {
		return err
	}
	hh := h.hash.New()
	hh.Write(data)
	req := signRequest{hash: h, pss: *pss, digest: hh.Sum(nil)}
	pin, err := a.secret(*pinFlag, envPIN, "PIN")
	if err != nil {
		return err
	}
	defer clear(pin)

	s, err := a.open()
	if err != nil {
		return err
	}
	ct, err := s.findContainer(*idx, false)
	if err != nil {
		return s.finish(err)
	}
	_, isRSA := ct.Pub.(*rsa.PublicKey)
	switch {
	case ct.KeySpec.IsECDH():
		return s.finish(fmt.Errorf("container %d holds an ECDH key (%v): it agrees on keys, it does not sign", ct.Index, ct.KeySpec))
	case *pss && !isRSA:
		return s.finish(usageError{"--pss needs an RSA container"})
	case *der && isRSA:
		return s.finish(usageError{"--der is for ECDSA signatures"})
	}
	// The PIN the container names (CCP_PIN_IDENTIFIER): 3 for the 9C key, 1 otherwise.
	if err := s.authenticate(ct.PIN, pin); err != nil {
		return s.finish(err)
	}
	sig, err := s.sign(ct, req)
	if err != nil {
		_ = s.logout() // best effort: the signing error is what matters
		return s.finish(err)
	}
	if err := s.logout(); err != nil {
		return s.finish(err)
	}
	if err := verifySignature(ct.Pub, req, sig); err != nil {
		return s.finish(fmt.Errorf("the card's signature does not verify with container %d's public key: %w", ct.Index, err))
	}
	apdus := s.stats().Commands
	if err := s.close(); err != nil {
		return err
	}
	format, padding := "big-endian RSA signature", "PKCS#1 v1.5"
	switch {
	case !isRSA && *der:
		format, padding = "DER ECDSA-Sig-Value", "none (ECDSA)"
		if sig, err = csp.ECDSASignatureDER(sig); err != nil {
			return fmt.Errorf("encode the signature: %w", err)
		}
	case !isRSA:
		format, padding = "r||s", "none (ECDSA)"
	case *pss:
		padding = fmt.Sprintf("PSS, salt %d", h.hash.Size())
	}
	if *out != "" {
		if err := a.writeOutput(*out, sig); err != nil {
			return err
		}
	}
	if a.opts.json {
		return a.writeJSON(signResult{Container: int(ct.Index), KeySpec: ct.KeySpec.String(), Key: keyAlg(ct.Pub),
			PINID: uint32(ct.PIN), Hash: h.name, Padding: padding, Digest: hex.EncodeToString(req.digest), Format: format,
			Signature: hex.EncodeToString(sig), Verified: true, Out: *out, APDUs: apdus})
	}
	if *out != "" {
		fmt.Fprintf(a.stderr, "mdtool: %s signature (%s, %s) verified and written to %s\n", keyAlg(ct.Pub), h.name, padding, *out)
		return nil
	}
	fmt.Fprintln(a.stdout, hex.EncodeToString(sig))
	fmt.Fprintf(a.stderr, "mdtool: %s signature (%s, %s, %s) verified with container %d's public key\n", keyAlg(ct.Pub),
		h.name, padding, format, ct.Index)
	return nil
}

// decrypt is CardRSADecrypt with a version 2 CARD_RSA_DECRYPT_INFO: the minidriver removes the
// padding. ciphertext is big-endian; the minidriver takes it little-endian.
func (s *session) decrypt(ct container, ciphertext []byte, oaep *engine.OAEPInfo) ([]byte, error) {
	data := slices.Clone(ciphertext)
	slices.Reverse(data)
	di := &engine.RSADecryptInfo{Version: spec.CardRSAKeyDecryptInfoCurrentVersion, ContainerIndex: ct.Index,
		KeySpec: ct.KeySpec, Data: data, PaddingType: engine.PaddingPKCS1}
	if oaep != nil {
		di.PaddingType, di.OAEP = engine.PaddingOAEP, oaep
	}
	if err := s.call("CardRSADecrypt", func() error { return s.ctx.RSADecrypt(di) }); err != nil {
		return nil, fmt.Errorf("decrypt with container %d: %w", ct.Index, err)
	}
	return di.Data, nil
}

func (a *app) cmdDecrypt(args []string) error {
	fs := a.newFlagSet("decrypt")
	idx := fs.Int("container", -1, "container index (an RSA key; see mdtool containers)")
	in := fs.String("in", "", "ciphertext file, big-endian as openssl pkeyutl writes it (required)")
	out := fs.String("out", "", "write the plaintext to this file instead of stdout")
	oaep := fs.Bool("oaep", false, "OAEP padding instead of PKCS#1 v1.5")
	hashName := fs.String("hash", "sha1", "OAEP hash (openssl's default is sha1)")
	label := fs.String("label", "", "OAEP label")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *idx < 0 {
		return usageError{"decrypt: --container N is required"}
	}
	if *in == "" {
		return usageError{"decrypt: --in FILE is required"}
	}
	var oaepInfo *engine.OAEPInfo
	hashSet, labelSet := false, false
	fs.Visit(func(f *flag.Flag) {
		hashSet = hashSet || f.Name == "hash"
		labelSet = labelSet || f.Name == "label"
	})
	if !*oaep && (hashSet || labelSet) {
		return usageError{"decrypt: --hash and --label need --oaep"}
	}
	if *oaep {
		h, err := hashByFlag(*hashName)
		if err != nil {
			return err
		}
		oaepInfo = &engine.OAEPInfo{AlgID: h.bcrypt, HasAlgID: true}
		if *label != "" {
			oaepInfo.Label = []byte(*label)
		}
	}
	ciphertext, err := a.readInput(*in)
	if err != nil {
		return err
	}
	pin, err := a.secret(*pinFlag, envPIN, "PIN")
	if err != nil {
		return err
	}
	defer clear(pin)

	s, err := a.open()
	if err != nil {
		return err
	}
	ct, err := s.findContainer(*idx, false)
	if err != nil {
		return s.finish(err)
	}
	pub, ok := ct.Pub.(*rsa.PublicKey)
	if !ok {
		return s.finish(fmt.Errorf("container %d holds an %s key: only RSA keys decrypt", ct.Index, keyAlg(ct.Pub)))
	}
	if k := (pub.N.BitLen() + 7) / 8; len(ciphertext) != k {
		return s.finish(fmt.Errorf("the ciphertext has %d bytes; container %d's %s key needs exactly %d", len(ciphertext),
			ct.Index, keyAlg(pub), k))
	}
	if err := s.authenticate(ct.PIN, pin); err != nil {
		return s.finish(err)
	}
	plain, err := s.decrypt(ct, ciphertext, oaepInfo)
	if err != nil {
		_ = s.logout() // best effort: the decryption error is what matters
		return s.finish(err)
	}
	if err := s.logout(); err != nil {
		return s.finish(err)
	}
	defer clear(plain)
	apdus := s.stats().Commands
	if err := s.close(); err != nil {
		return err
	}
	if *out != "" {
		if err := a.writeOutput(*out, plain); err != nil {
			return err
		}
	}
	if a.opts.json {
		padding := "PKCS#1 v1.5"
		if oaepInfo != nil {
			padding = "OAEP " + oaepInfo.AlgID
		}
		return a.writeJSON(struct {
			Container int    `json:"container"`
			Padding   string `json:"padding"`
			Plaintext string `json:"plaintext_hex"`
			Out       string `json:"out,omitempty"`
			APDUs     int    `json:"apdus"`
		}{int(ct.Index), padding, hex.EncodeToString(plain), *out, apdus})
	}
	if *out != "" {
		return nil
	}
	return a.writeOutput("", plain)
}
