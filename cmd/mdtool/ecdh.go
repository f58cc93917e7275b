package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/kdf"
	"github.com/cardmod/cardmod/spec"
)

// mdtool ecdh: a secret agreement with the card's ECC key and a key derived from it, the way
// NCryptSecretAgreement + NCryptDeriveKey reach a minidriver through the Smart Card KSP:
// CardAuthenticateEx, CardConstructDHAgreement (the peer's BCRYPT_ECCPUBLIC_BLOB),
// CardDeriveKey (a CARD_DERIVE_KEY version 2 with the KDF and its NCryptBufferDesc),
// CardDestroyDHAgreement, CardDeauthenticateEx.

// kdfParams is the NCryptBufferDesc the KDF flags build, in command-line order (repeated
// --prepend and --append keep theirs; a single-valued buffer given twice goes to the minidriver
// twice, which refuses it).
type kdfParams struct{ list []engine.KDFParam }

// paramFlag is a flag.Value that appends one buffer of type typ per occurrence.
type paramFlag struct {
	ps    *kdfParams
	typ   spec.KDFBufferType
	parse func(string) ([]byte, error)
}

func (f *paramFlag) String() string { return "" }

func (f *paramFlag) Set(v string) error {
	b, err := f.parse(v)
	if err != nil {
		return err
	}
	f.ps.list = append(f.ps.list, engine.KDFParam{Type: uint32(f.typ), Data: b})
	return nil
}

func (ps *kdfParams) flag(t spec.KDFBufferType, parse func(string) ([]byte, error)) *paramFlag {
	return &paramFlag{ps: ps, typ: t, parse: parse}
}

// parseHexParam decodes a hex buffer; spaces and colons are ignored, "" is an empty buffer.
func parseHexParam(s string) ([]byte, error) {
	s = strings.NewReplacer(" ", "", ":", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %v", err)
	}
	return b, nil
}

// kdfHashNames are the KDF_HASH_ALGORITHM values mdtool offers (BCRYPT_*_ALGORITHM).
var kdfHashNames = []string{spec.BCryptSHA1Algorithm, spec.BCryptSHA256Algorithm, spec.BCryptSHA384Algorithm,
	spec.BCryptSHA512Algorithm, spec.BCryptMD5Algorithm}

// parseHashParam encodes a KDF_HASH_ALGORITHM buffer: the BCrypt name as a NUL-terminated
// UTF-16LE string, cbBuffer counting the NUL (kdf/README.md, fact 13). The name is matched
// without regard to case or a dash ("sha-256"), and sent as Windows spells it ("SHA256").
func parseHashParam(s string) ([]byte, error) {
	n := strings.ToUpper(strings.ReplaceAll(s, "-", ""))
	for _, h := range kdfHashNames {
		if n == h {
			return spec.UTF16LEBytes(h), nil
		}
	}
	return nil, fmt.Errorf("use %s", strings.Join(kdfHashNames, ", "))
}

// parseLabelParam is KDF_TLS_PRF_LABEL: the ANSI string's bytes, without a NUL (fact 8).
func parseLabelParam(s string) ([]byte, error) { return []byte(s), nil }

// tlsVersions are the KDF_TLS_PRF_PROTOCOL values of --tls.
var tlsVersions = map[string]uint32{"1.0": spec.TLS10ProtocolVersion, "1.1": spec.TLS11ProtocolVersion,
	"1.2": spec.TLS12ProtocolVersion}

// parseTLSParam is KDF_TLS_PRF_PROTOCOL, a DWORD: 1.0, 1.1, 1.2, or any 0x value (to see what
// the minidriver says to SSL3's 0x0300, say).
func parseTLSParam(s string) ([]byte, error) {
	v, ok := tlsVersions[strings.TrimPrefix(strings.ToLower(s), "tls")]
	if !ok {
		if !strings.HasPrefix(s, "0x") {
			return nil, errors.New("use 1.0, 1.1, 1.2 or a protocol value such as 0x0303")
		}
		n, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil {
			return nil, fmt.Errorf("protocol value: %v", err)
		}
		v = uint32(n)
	}
	return binary.LittleEndian.AppendUint32(nil, v), nil
}

// parseBitsParam is KDF_KEYBITLENGTH, a DWORD.
func parseBitsParam(s string) ([]byte, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("a bit count: %v", err)
	}
	return binary.LittleEndian.AppendUint32(nil, uint32(n)), nil
}

// paramJSON describes one buffer of the list.
type paramJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	Hex   string `json:"hex"`
}

// describeParam shows a buffer as its value: the hash name, the label, the protocol, the bit
// count, else the bytes in hex.
func describeParam(p engine.KDFParam) paramJSON {
	pj := paramJSON{Type: kdf.TypeName(p.Type), Hex: hex.EncodeToString(p.Data), Value: hex.EncodeToString(p.Data)}
	switch spec.KDFBufferType(p.Type) {
	case spec.KDFHashAlgorithm:
		if s, err := spec.StringFromUTF16LE(p.Data); err == nil {
			pj.Value = s
		}
	case spec.KDFTLSPRFLabel:
		pj.Value = string(p.Data)
	case spec.KDFTLSPRFProtocol:
		if len(p.Data) == 4 {
			v := binary.LittleEndian.Uint32(p.Data)
			pj.Value = fmt.Sprintf("0x%04X", v)
			for name, tv := range tlsVersions {
				if tv == v {
					pj.Value += " (TLS " + name + ")"
				}
			}
		}
	case spec.KDFKeyBitLength:
		if len(p.Data) == 4 {
			pj.Value = fmt.Sprint(binary.LittleEndian.Uint32(p.Data))
		}
	}
	return pj
}

// kdfByFlag is the KDF name of --kdf (case-insensitive), spelled as Windows does.
func kdfByFlag(name string) (string, error) {
	for _, k := range kdf.Supported() {
		if strings.EqualFold(name, k) {
			return k, nil
		}
	}
	return "", usageError{fmt.Sprintf("ecdh: --kdf %q: use %s", name, strings.Join(kdf.Supported(), ", "))}
}

// symAlgByFlag is the CARD_*_ALGORITHM of --key-handle.
func symAlgByFlag(name string) (string, error) {
	n := strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	for _, a := range []string{spec.CardAESAlgorithm, spec.Card3DESAlgorithm, spec.Card3DES112Algorithm} {
		if n == a {
			return a, nil
		}
	}
	return "", usageError{fmt.Sprintf("ecdh: --key-handle %q: use AES, 3DES or 3DES_112", name)}
}

// ecdhCurveName names a crypto/ecdh NIST curve ("P-256").
func ecdhCurveName(c ecdh.Curve) string {
	switch c {
	case ecdh.P256():
		return "P-256"
	case ecdh.P384():
		return "P-384"
	case ecdh.P521():
		return "P-521"
	}
	return fmt.Sprint(c)
}

// ecdhMagic is the public ECDH magic of a curve (BCRYPT_ECDH_PUBLIC_P*_MAGIC), 0 for others.
func ecdhMagic(c ecdh.Curve) uint32 {
	switch c {
	case ecdh.P256():
		return spec.ECDHPublicP256Magic
	case ecdh.P384():
		return spec.ECDHPublicP384Magic
	case ecdh.P521():
		return spec.ECDHPublicP521Magic
	}
	return 0
}

// peerKey is the peer's public key and where it came from.
type peerKey struct {
	pub    *ecdh.PublicKey
	format string
}

// parsePeerKey reads a peer public key: PEM (PUBLIC KEY, or a private key standing for its public
// part: PRIVATE KEY, EC PRIVATE KEY), DER SubjectPublicKeyInfo, or a BCRYPT_ECCPUBLIC_BLOB (an
// ECDSA or ECDH public magic), told apart by their first bytes.
func parsePeerKey(data []byte) (peerKey, error) {
	var ecPub *ecdsa.PublicKey
	var format string
	switch {
	case bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")):
		block, _ := pem.Decode(bytes.TrimSpace(data))
		if block == nil {
			return peerKey{}, errors.New("malformed PEM")
		}
		format = "PEM " + block.Type
		var key any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			return peerKey{}, fmt.Errorf("PEM %q: want PUBLIC KEY (or the peer's PRIVATE KEY)", block.Type)
		}
		if err != nil {
			return peerKey{}, fmt.Errorf("%s: %w", format, err)
		}
		switch k := key.(type) {
		case *ecdsa.PublicKey:
			ecPub = k
		case *ecdsa.PrivateKey:
			ecPub = &k.PublicKey
		case *ecdh.PrivateKey:
			return eccPeer(k.PublicKey(), format)
		case *ecdh.PublicKey:
			return eccPeer(k, format)
		default:
			return peerKey{}, fmt.Errorf("%s: a %T, not an ECC key", format, key)
		}
	case len(data) >= spec.ECCBlobHeaderSize && isECCPublicMagic(binary.LittleEndian.Uint32(data)):
		format = "BCRYPT_ECCPUBLIC_BLOB"
		pub, _, err := spec.ParseECCPublicKeyBlob(data)
		if err != nil {
			return peerKey{}, fmt.Errorf("%s: %w", format, err)
		}
		ecPub = pub
	default:
		format = "DER SubjectPublicKeyInfo"
		key, err := x509.ParsePKIXPublicKey(data)
		if err != nil {
			return peerKey{}, fmt.Errorf("neither PEM, nor a BCRYPT_ECCPUBLIC_BLOB, nor DER SubjectPublicKeyInfo (%v)", err)
		}
		switch k := key.(type) {
		case *ecdsa.PublicKey:
			ecPub = k
		case *ecdh.PublicKey:
			return eccPeer(k, format)
		default:
			return peerKey{}, fmt.Errorf("%s: a %T, not an ECC key", format, key)
		}
	}
	pub, err := ecPub.ECDH()
	if err != nil {
		return peerKey{}, fmt.Errorf("%s: %w", format, err)
	}
	return eccPeer(pub, format)
}

// eccPeer accepts the NIST curves only (an X25519 key has no BCRYPT_ECCPUBLIC_BLOB).
func eccPeer(pub *ecdh.PublicKey, format string) (peerKey, error) {
	if ecdhMagic(pub.Curve()) == 0 {
		return peerKey{}, fmt.Errorf("%s: a %v key; ECDH on a PIV card is P-256 or P-384", format, pub.Curve())
	}
	return peerKey{pub: pub, format: format}, nil
}

func isECCPublicMagic(m uint32) bool {
	_, private, ok := spec.ECCMagicInfo(m)
	return ok && !private
}

// keyHandleJSON is what ecdh reports about a key handle (the key itself stays in the
// minidriver).
type keyHandleJSON struct {
	Algorithm    string `json:"algorithm"`
	Bits         int    `json:"bits"`
	BlockLength  uint32 `json:"block_length"`
	ChainingMode string `json:"chaining_mode"`
	IV           string `json:"iv"`
	Destroyed    bool   `json:"destroyed"`
}

// ecdhResult is the JSON answer of ecdh.
type ecdhResult struct {
	Container          int            `json:"container"`
	ContainerKey       string         `json:"container_key"`
	PINID              uint32         `json:"pin_id"`
	CardPublicKeyPEM   string         `json:"card_public_key_pem"`
	PeerFormat         string         `json:"peer_format"`
	PeerPublicKeyPEM   string         `json:"peer_public_key_pem"`
	PeerPrivateKeyFile string         `json:"peer_private_key_file,omitempty"`
	KDF                string         `json:"kdf"`
	Params             []paramJSON    `json:"params"`
	Flags              string         `json:"flags"`
	Size               int            `json:"size"`
	SizeOnly           bool           `json:"size_only,omitempty"`
	Key                string         `json:"key,omitempty"`
	KeyHandle          *keyHandleJSON `json:"key_handle,omitempty"`
	Out                string         `json:"out,omitempty"`
	APDUs              int            `json:"apdus"`
}

// deriveRequest is a CardDeriveKey to make on an agreement.
type deriveRequest struct {
	kdf     string
	params  []engine.KDFParam
	flags   uint32 // KDF_USE_SECRET_AS_HMAC_KEY_FLAG, CARD_BUFFER_SIZE_ONLY, CARD_RETURN_KEY_HANDLE
	algID   string // with CARD_RETURN_KEY_HANDLE
	keyBits uint32 // dwKeyLen
}

// constructAgreement is CardConstructDHAgreement with the peer's public key as a
// BCRYPT_ECCPUBLIC_BLOB carrying the public ECDH magic of its curve.
func (s *session) constructAgreement(idx byte, peer *ecdh.PublicKey) (byte, error) {
	blob := spec.MarshalECDHPublicKeyBlob(peer, ecdhMagic(peer.Curve()))
	if blob == nil {
		return 0, fmt.Errorf("the peer key (%v) has no BCRYPT_ECCPUBLIC_BLOB", peer.Curve())
	}
	info := &engine.DHAgreementInfo{Version: spec.CardDHAgreementInfoVersion, ContainerIndex: idx, PublicKey: blob}
	if err := s.call("CardConstructDHAgreement", func() error { return s.ctx.ConstructDHAgreement(info) }); err != nil {
		return 0, err
	}
	return info.AgreementIndex, nil
}

// destroyAgreement is CardDestroyDHAgreement.
func (s *session) destroyAgreement(agreement byte) error {
	return s.call("CardDestroyDHAgreement", func() error { return s.ctx.DestroyDHAgreement(agreement, 0) })
}

// deriveKey is CardDeriveKey with a version 2 CARD_DERIVE_KEY (a NULL pParameterList when there
// are no parameters, as NCryptDeriveKey passes one). The key is returned in a buffer the caller
// owns, or, with CARD_RETURN_KEY_HANDLE, as the handle.
func (s *session) deriveKey(agreement byte, req deriveRequest) (*engine.DeriveKeyInfo, error) {
	di := &engine.DeriveKeyInfo{Version: spec.CardDeriveKeyVersionTwo, Flags: req.flags, KDF: req.kdf, HasKDF: true,
		AgreementIndex: agreement, Params: req.params, HasParams: len(req.params) > 0, ParamsVersion: spec.BCryptBufferVersion,
		AlgID: req.algID, HasAlgID: req.algID != "", KeyLen: req.keyBits}
	if err := s.call("CardDeriveKey", func() error { return s.ctx.DeriveKey(di) }); err != nil {
		return nil, err
	}
	if di.DerivedKey != nil {
		di.DerivedKey = s.owned(di.DerivedKey)
	}
	return di, nil
}

// describeKeyHandle reads a key handle's properties (CardGetKeyProperty) and destroys it
// (CardDestroyKey), even when a property cannot be read.
func (s *session) describeKeyHandle(h uintptr, alg string, bits int) (*keyHandleJSON, error) {
	kj := &keyHandleJSON{Algorithm: alg, Bits: bits}
	prop := func(name string) ([]byte, error) {
		var v []byte
		err := s.call("CardGetKeyProperty", func() error {
			var err error
			v, err = s.ctx.GetKeyProperty(h, name, 0)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("key property %q: %w", name, err)
		}
		return v, nil
	}
	err := func() error {
		v, err := prop(spec.CKPBlockLength)
		if err != nil {
			return err
		}
		if len(v) != 4 {
			return fmt.Errorf("CKP_BLOCK_LENGTH: %d bytes, want a DWORD", len(v))
		}
		kj.BlockLength = binary.LittleEndian.Uint32(v)
		if v, err = prop(spec.CKPChainingMode); err != nil {
			return err
		}
		if kj.ChainingMode, err = spec.StringFromUTF16LE(v); err != nil {
			return fmt.Errorf("CKP_CHAINING_MODE: %w", err)
		}
		if v, err = prop(spec.CKPInitializationVector); err != nil {
			return err
		}
		kj.IV = hex.EncodeToString(v)
		return nil
	}()
	derr := s.call("CardDestroyKey", func() error { return s.ctx.DestroyKey(h) })
	if err == nil {
		err = derr
	}
	kj.Destroyed = derr == nil
	return kj, err
}

// defaultKeyBits is the default key length of a symmetric algorithm (CardGetAlgorithmProperty
// CP_CARD_KEYSIZES), what a key handle made with dwKeyLen 0 has.
func (s *session) defaultKeyBits(alg string) (int, error) {
	var v []byte
	err := s.call("CardGetAlgorithmProperty", func() error {
		var err error
		v, err = s.ctx.GetAlgorithmProperty(alg, spec.CPCardKeySizes, 0)
		return err
	})
	if err != nil {
		return 0, err
	}
	ks, err := spec.ParseKeySizes(v)
	if err != nil {
		return 0, fmt.Errorf("CP_CARD_KEYSIZES of %s: %w", alg, err)
	}
	return int(ks.Default), nil
}

// writePeerKey writes a generated peer private key as PKCS#8 PEM, mode 0600, refusing to replace
// an existing file.
func writePeerKey(path string, priv *ecdh.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("encode the peer key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("--peer-new: %w", err)
	}
	_, err = f.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--peer-new: %w", err)
	}
	return nil
}

func (a *app) cmdECDH(args []string) error {
	fs := a.newFlagSet("ecdh")
	idx := fs.Int("container", -1, "container index of an ECC key (see mdtool containers)")
	peerFile := fs.String("peer", "", "the peer's public key: PEM, DER SubjectPublicKeyInfo or BCRYPT_ECCPUBLIC_BLOB")
	peerNew := fs.String("peer-new", "", "generate the peer's key pair and write its private key (PEM) to this new file")
	kdfFlag := fs.String("kdf", spec.BCryptKDFHash, "KDF: "+strings.Join(kdf.Supported(), ", "))
	var ps kdfParams
	fs.Var(ps.flag(spec.KDFHashAlgorithm, parseHashParam), "hash", "KDF_HASH_ALGORITHM: "+strings.Join(kdfHashNames, ", "))
	fs.Var(ps.flag(spec.KDFSecretPrepend, parseHexParam), "prepend", "KDF_SECRET_PREPEND (hex; repeatable)")
	fs.Var(ps.flag(spec.KDFSecretAppend, parseHexParam), "append", "KDF_SECRET_APPEND (hex; repeatable)")
	fs.Var(ps.flag(spec.KDFHMACKey, parseHexParam), "hmac-key", "KDF_HMAC_KEY (hex)")
	fs.Var(ps.flag(spec.KDFTLSPRFLabel, parseLabelParam), "label", "KDF_TLS_PRF_LABEL (text, e.g. \"master secret\")")
	fs.Var(ps.flag(spec.KDFTLSPRFSeed, parseHexParam), "seed", "KDF_TLS_PRF_SEED (hex, 64 bytes)")
	fs.Var(ps.flag(spec.KDFTLSPRFProtocol, parseTLSParam), "tls", "KDF_TLS_PRF_PROTOCOL: 1.0, 1.1, 1.2")
	fs.Var(ps.flag(spec.KDFAlgorithmID, parseHexParam), "algid", "KDF_ALGORITHMID (hex)")
	fs.Var(ps.flag(spec.KDFPartyUInfo, parseHexParam), "partyu", "KDF_PARTYUINFO (hex)")
	fs.Var(ps.flag(spec.KDFPartyVInfo, parseHexParam), "partyv", "KDF_PARTYVINFO (hex)")
	fs.Var(ps.flag(spec.KDFSuppPubInfo, parseHexParam), "supppub", "KDF_SUPPPUBINFO (hex)")
	fs.Var(ps.flag(spec.KDFSuppPrivInfo, parseHexParam), "supppriv", "KDF_SUPPPRIVINFO (hex)")
	fs.Var(ps.flag(spec.KDFKeyBitLength, parseBitsParam), "bits", "KDF_KEYBITLENGTH (SP800_56A_CONCAT output length in bits)")
	secretKey := fs.Bool("secret-as-hmac-key", false, "KDF_USE_SECRET_AS_HMAC_KEY_FLAG (HMAC with the secret as key)")
	sizeOnly := fs.Bool("size-only", false, "CARD_BUFFER_SIZE_ONLY: print only the derived key's size")
	keyHandle := fs.String("key-handle", "", "CARD_RETURN_KEY_HANDLE: keep the key in the minidriver as an AES, 3DES or 3DES_112 key")
	keyBits := fs.Uint("key-bits", 0, "with --key-handle: the key length in bits (dwKeyLen; default the algorithm's)")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	out := fs.String("out", "", "write the raw derived key to this file (mode 0600) instead of hex to stdout")
	cardPubOut := fs.String("card-pub-out", "", "also write the container's public key (PEM) to this file, for openssl")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *idx < 0 {
		return usageError{"ecdh: --container N is required (an ECC container; see mdtool containers)"}
	}
	if (*peerFile == "") == (*peerNew == "") {
		return usageError{"ecdh: give the peer's public key with --peer FILE, or --peer-new FILE.pem to make one"}
	}
	kdfName, err := kdfByFlag(*kdfFlag)
	if err != nil {
		return err
	}
	req := deriveRequest{kdf: kdfName, params: ps.list}
	if *secretKey {
		req.flags |= spec.KDFUseSecretAsHMACKeyFlag
	}
	if *sizeOnly {
		req.flags |= spec.CardBufferSizeOnly
	}
	keyBitsSet := false
	fs.Visit(func(f *flag.Flag) { keyBitsSet = keyBitsSet || f.Name == "key-bits" })
	switch {
	case *keyHandle != "" && *sizeOnly:
		return usageError{"ecdh: --size-only and --key-handle exclude each other"}
	case *out != "" && (*sizeOnly || *keyHandle != ""):
		return usageError{"ecdh: --out writes key bytes; with --size-only or --key-handle there are none"}
	case keyBitsSet && *keyHandle == "":
		return usageError{"ecdh: --key-bits needs --key-handle (for SP800_56A_CONCAT bytes, use --bits)"}
	case *keyBits > 1<<31:
		return usageError{fmt.Sprintf("ecdh: --key-bits %d", *keyBits)}
	}
	if *keyHandle != "" {
		if req.algID, err = symAlgByFlag(*keyHandle); err != nil {
			return err
		}
		req.flags |= spec.CardReturnKeyHandle
		req.keyBits = uint32(*keyBits)
	}
	var peer peerKey
	if *peerFile != "" {
		if *peerFile == "-" && *pinFlag == "" && a.getenv(envPIN) == "" {
			return usageError{"ecdh: the peer key comes from stdin, so give the PIN with --pin or $" + envPIN}
		}
		data, err := a.readInput(*peerFile)
		if err != nil {
			return err
		}
		if peer, err = parsePeerKey(data); err != nil {
			return fmt.Errorf("peer key %s: %w", *peerFile, err)
		}
	} else if _, err := os.Lstat(*peerNew); err == nil {
		return fmt.Errorf("--peer-new %s: the file exists; mdtool does not overwrite a key (use --peer %s to agree with it again)",
			*peerNew, *peerNew)
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
	ecPub, ok := ct.Pub.(*ecdsa.PublicKey)
	if !ok {
		return s.finish(fmt.Errorf("container %d holds an %s key: ECDH needs an ECC container (see mdtool containers)",
			ct.Index, keyAlg(ct.Pub)))
	}
	cardPub, err := ecPub.ECDH()
	if err != nil {
		return s.finish(fmt.Errorf("container %d's public key: %w", ct.Index, err))
	}
	if *peerNew != "" {
		priv, err := cardPub.Curve().GenerateKey(rand.Reader)
		if err != nil {
			return s.finish(fmt.Errorf("generate the peer key: %w", err))
		}
		if err := writePeerKey(*peerNew, priv); err != nil {
			return s.finish(err)
		}
		peer = peerKey{pub: priv.PublicKey(), format: "generated " + ecdhCurveName(cardPub.Curve())}
	}
	if peer.pub.Curve() != cardPub.Curve() {
		return s.finish(fmt.Errorf("the peer key is %s but container %d holds a %s key: both sides of ECDH need the same curve: %w",
			ecdhCurveName(peer.pub.Curve()), ct.Index, ecdhCurveName(cardPub.Curve()),
			spec.Errorf(spec.SCardEInvalidParameter, "peer key on another curve")))
	}
	handleBits := int(req.keyBits)
	if req.algID != "" && handleBits == 0 {
		if handleBits, err = s.defaultKeyBits(req.algID); err != nil {
			return s.finish(err)
		}
	}
	if *cardPubOut != "" {
		if err := a.writeOutput(*cardPubOut, []byte(publicPEM(ct.Pub))); err != nil {
			return s.finish(err)
		}
	}
	// The PIN the container names (CCP_PIN_IDENTIFIER): 3 for the 9C key, right before its use.
	if err := s.authenticate(ct.PIN, pin); err != nil {
		return s.finish(err)
	}
	agreement, err := s.constructAgreement(ct.Index, peer.pub)
	if err != nil {
		_ = s.logout() // best effort: the agreement error is what matters
		return s.finish(err)
	}
	di, err := s.deriveKey(agreement, req)
	var kh *keyHandleJSON
	if err == nil && req.algID != "" {
		kh, err = s.describeKeyHandle(di.Key, req.algID, handleBits)
	}
	if derr := s.destroyAgreement(agreement); err == nil {
		err = derr
	}
	if lerr := s.logout(); err == nil {
		err = lerr
	}
	if err != nil {
		return s.finish(err)
	}
	var key []byte
	if di.DerivedKey != nil {
		key = di.DerivedKey
		defer clear(key)
	}
	apdus := s.stats().Commands
	if err := s.close(); err != nil {
		return err
	}
	if *out != "" {
		if err := a.writeOutput(*out, key); err != nil {
			return err
		}
	}
	size := di.DerivedSize
	if kh != nil {
		size = kh.Bits / 8
	}
	if a.opts.json {
		res := ecdhResult{Container: int(ct.Index), ContainerKey: keyAlg(ct.Pub), PINID: uint32(ct.PIN),
			CardPublicKeyPEM: publicPEM(ct.Pub), PeerFormat: peer.format, PeerPublicKeyPEM: ecdhPublicPEM(peer.pub),
			PeerPrivateKeyFile: *peerNew, KDF: kdfName, Params: []paramJSON{}, Flags: fmt.Sprintf("0x%08X", req.flags),
			Size: size, SizeOnly: *sizeOnly, KeyHandle: kh, Out: *out, APDUs: apdus}
		for _, p := range req.params {
			res.Params = append(res.Params, describeParam(p))
		}
		if key != nil {
			res.Key = hex.EncodeToString(key)
		}
		return a.writeJSON(res)
	}
	what := fmt.Sprintf("%s with %d parameter(s)", kdfName, len(req.params))
	if *peerNew != "" {
		fmt.Fprintf(a.stderr, "mdtool: peer key pair generated (%s); its private key is in %s\n", ecdhCurveName(cardPub.Curve()), *peerNew)
	}
	switch {
	case *sizeOnly:
		fmt.Fprintln(a.stdout, size)
		fmt.Fprintf(a.stderr, "mdtool: ECDH with container %d (%s); %s would give %d bytes (CARD_BUFFER_SIZE_ONLY)\n",
			ct.Index, keyAlg(ct.Pub), what, size)
	case kh != nil:
		fmt.Fprintf(a.stdout, "key handle:        %s, %d bits (the key stays in the minidriver)\n", kh.Algorithm, kh.Bits)
		fmt.Fprintf(a.stdout, "CKP_BLOCK_LENGTH:  %d\n", kh.BlockLength)
		fmt.Fprintf(a.stdout, "CKP_CHAINING_MODE: %s\n", kh.ChainingMode)
		fmt.Fprintf(a.stdout, "CKP_INITIALIZATION_VECTOR: %s\n", kh.IV)
		fmt.Fprintf(a.stderr, "mdtool: ECDH with container %d (%s); %s; the key handle was destroyed (CardDestroyKey)\n",
			ct.Index, keyAlg(ct.Pub), what)
	case *out != "":
		fmt.Fprintf(a.stderr, "mdtool: ECDH with container %d (%s); %s: %d bytes written to %s\n", ct.Index, keyAlg(ct.Pub),
			what, len(key), *out)
	default:
		fmt.Fprintln(a.stdout, hex.EncodeToString(key))
		fmt.Fprintf(a.stderr, "mdtool: ECDH with container %d (%s); %s: %d bytes\n", ct.Index, keyAlg(ct.Pub), what, len(key))
	}
	return nil
}

// ecdhPublicPEM is a crypto/ecdh public key as a PEM "PUBLIC KEY" block.
func ecdhPublicPEM(pub *ecdh.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
