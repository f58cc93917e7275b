package mdflow

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/kdf"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// ECDH agreements, key derivation and key handles: CardConstructDHAgreement, CardDeriveKey,
// CardDestroyDHAgreement, CardDestroyKey, CardGetKeyProperty, CardSetKeyProperty and
// CardGetAlgorithmProperty. The standard card's ECC keys do ECDH (a PIV ECC key agrees whether
// Windows sees its container as ECDSA or ECDH): container 3 (9E, P-384) after PIN 1, and
// container 1 (9C, P-256) after PIN 3 right before each use. The peer keys are made here with
// crypto/ecdh, and every derived key is compared with package kdf applied to the secret the peer
// computes on its side (and, for the simple KDFs, with a computation written out here).

// dhKey is an ECC container of the card, as a party of an ECDH agreement.
type dhKey struct {
	idx   byte
	slot  byte
	curve ecdh.Curve
	magic uint32     // BCRYPT_ECDH_PUBLIC_Pxxx_MAGIC of the curve
	pin   spec.PINID // the PIN that opens the key
	pub   *ecdh.PublicKey
}

// dhContainer reads the public key of the container of slot (CardGetContainerInfo) and checks it
// against the slot's certificate.
func dhContainer(t T, c Context, env Env, slot byte) dhKey {
	t.Helper()
	k := dhKey{idx: containerOf(slot), slot: slot, pin: spec.RoleUser}
	if slot == piv.SlotSign {
		k.pin = pinSignID
	}
	info := &engine.ContainerInfo{Version: 1}
	if err := c.GetContainerInfo(k.idx, 0, info); err != nil {
		t.Fatalf("CardGetContainerInfo(%d): %v", k.idx, err)
	}
	blob := info.SigPublicKey
	if blob == nil {
		blob = info.KeyExPublicKey
	}
	pub, _, err := spec.ParseECCPublicKeyBlob(blob)
	if err != nil {
		t.Fatalf("container %d: ECC public key blob %X: %v", k.idx, blob, err)
	}
	if want := env.Pub(slot); want == nil || !pub.Equal(want) {
		t.Fatalf("container %d: the key of CardGetContainerInfo is not the certificate's of slot %02X", k.idx, slot)
	}
	if k.pub, err = pub.ECDH(); err != nil {
		t.Fatalf("container %d: %v", k.idx, err)
	}
	k.curve = k.pub.Curve()
	switch k.curve {
	case ecdh.P256():
		k.magic = spec.ECDHPublicP256Magic
	case ecdh.P384():
		k.magic = spec.ECDHPublicP384Magic
	default:
		k.magic = spec.ECDHPublicP521Magic
	}
	return k
}

// pinSignID is the PIN of the 9C key (PIN 3, always prompted).
const pinSignID spec.PINID = 3

// peerKey makes a peer key on the container's curve.
func (k dhKey) peerKey(t T) *ecdh.PrivateKey {
	t.Helper()
	p, err := k.curve.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("peer key: %v", err)
	}
	return p
}

// blob is the peer's public key as CardConstructDHAgreement takes it: a BCRYPT_ECCPUBLIC_BLOB
// with the public ECDH magic.
func (k dhKey) blob(peer *ecdh.PrivateKey) []byte {
	return spec.MarshalECDHPublicKeyBlob(peer.PublicKey(), k.magic)
}

// login presents the container's PIN (PIN 3 must come right before each use of 9C).
func (k dhKey) login(t T, c Context, env Env) {
	t.Helper()
	if _, _, err := c.AuthenticateEx(k.pin, 0, env.PIN, false); err != nil {
		t.Fatalf("CardAuthenticateEx(PIN %d): %v", k.pin, err)
	}
}

// agree makes an agreement of the container with a new peer key (the PIN presented first) and
// returns its index and the secret Z as the peer computes it (the x coordinate, big-endian).
func agree(t T, c Context, env Env, k dhKey) (byte, []byte) {
	t.Helper()
	peer := k.peerKey(t)
	k.login(t, c, env)
	info := &engine.DHAgreementInfo{Version: spec.CardDHAgreementInfoVersion, ContainerIndex: k.idx, PublicKey: k.blob(peer)}
	if err := c.ConstructDHAgreement(info); err != nil {
		t.Fatalf("CardConstructDHAgreement(container %d): %v", k.idx, err)
	}
	z, err := peer.ECDH(k.pub)
	if err != nil {
		t.Fatalf("the peer's ECDH: %v", err)
	}
	return info.AgreementIndex, z
}

// KDF parameter buffers.
func hashParam(name string) engine.KDFParam {
	return engine.KDFParam{Type: uint32(spec.KDFHashAlgorithm), Data: spec.UTF16LEBytes(name)}
}
func bufParam(t spec.KDFBufferType, b []byte) engine.KDFParam {
	return engine.KDFParam{Type: uint32(t), Data: bytes.Clone(b)}
}
func dwordParam(t spec.KDFBufferType, v uint32) engine.KDFParam {
	return engine.KDFParam{Type: uint32(t), Data: le32(v)}
}

// secretHandleParam is a KDF_SECRET_HANDLE buffer: the NCRYPT_SECRET_HANDLE value, pointer-sized.
func secretHandleParam(h uintptr) engine.KDFParam {
	b := binary.LittleEndian.AppendUint64(nil, uint64(h))
	return engine.KDFParam{Type: uint32(spec.KDFSecretHandle), Data: b[:PtrSize]}
}

// deriveInfo is a version 2 CARD_DERIVE_KEY (pParameterList NULL when params is nil).
func deriveInfo(kdfName string, idx byte, flags uint32, params ...engine.KDFParam) *engine.DeriveKeyInfo {
	return &engine.DeriveKeyInfo{Version: spec.CardDeriveKeyVersionTwo, Flags: flags, KDF: kdfName, HasKDF: true,
		AgreementIndex: idx, Params: params, HasParams: params != nil}
}

// kdfParams converts a parameter list for package kdf.
func kdfParams(ps []engine.KDFParam) []kdf.Param {
	out := make([]kdf.Param, len(ps))
	for i, p := range ps {
		out[i] = kdf.Param{Type: p.Type, Data: p.Data}
	}
	return out
}

// hashOf is a hash of its input, as a function (for the written-out expectations).
func hashOf(h crypto.Hash, parts ...[]byte) []byte {
	d := h.New()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

// hmacOf is HMAC-h(key, parts...).
func hmacOf(h crypto.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// concatKDF is SP 800-56A's one-step KDF: H(counter ‖ Z ‖ otherInfo) for counter 1, 2, ...,
// cut to n bytes.
func concatKDF(h crypto.Hash, z, otherInfo []byte, n int) []byte {
	var out []byte
	for i := uint32(1); len(out) < n; i++ {
		out = append(out, hashOf(h, binary.BigEndian.AppendUint32(nil, i), z, otherInfo)...)
	}
	return out[:n]
}

// kdfCase is one derivation and what it must give.
type kdfCase struct {
	name   string
	info   func(idx byte) *engine.DeriveKeyInfo
	outLen int // outLen for kdf.Derive (the key length the structure asks for, in bytes)
	// direct, if set, computes the key from Z without package kdf.
	direct func(z []byte) []byte
}

// kdfCases are the derivations of dh/agree-derive, for a secret of zLen bytes.
func kdfCases(zLen int) []kdfCase {
	pre, app, pre2 := []byte("prepend"), []byte("append"), []byte("second prepend")
	hkey := []byte("an HMAC key of the caller")
	label := []byte("master secret")
	seed := make([]byte, kdf.TLSPRFSeedSize)
	for i := range seed {
		seed[i] = byte(i*7 + 1)
	}
	algID, partyU, partyV := []byte("A256GCM"), []byte("Alice"), []byte("Bob")
	suppPub, suppPriv := []byte{0, 0, 1, 0}, []byte("private")
	other := slices.Concat(algID, partyU, partyV)
	// The hash SP800_56A_CONCAT picks for the secret's length (kdf/README.md).
	concatHash := crypto.SHA256
	if zLen > 32 {
		concatHash = crypto.SHA384
	}
	cases := []kdfCase{
		{name: "HASH without parameters (SHA1)", info: func(i byte) *engine.DeriveKeyInfo { return deriveInfo(spec.BCryptKDFHash, i, 0) },
			direct: func(z []byte) []byte { return hashOf(crypto.SHA1, z) }},
		{name: "HASH with an empty parameter list", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFHash, i, 0, []engine.KDFParam{}...)
		}, direct: func(z []byte) []byte { return hashOf(crypto.SHA1, z) }},
	}
	for _, h := range []struct {
		name string
		hash crypto.Hash
	}{{"SHA1", crypto.SHA1}, {"SHA256", crypto.SHA256}, {"SHA384", crypto.SHA384}, {"SHA512", crypto.SHA512}} {
		cases = append(cases,
			kdfCase{name: "HASH " + h.name, info: func(i byte) *engine.DeriveKeyInfo {
				return deriveInfo(spec.BCryptKDFHash, i, 0, hashParam(h.name))
			}, direct: func(z []byte) []byte { return hashOf(h.hash, z) }},
			kdfCase{name: "HASH " + h.name + " with prepend and append", info: func(i byte) *engine.DeriveKeyInfo {
				return deriveInfo(spec.BCryptKDFHash, i, 0, bufParam(spec.KDFSecretAppend, app), hashParam(h.name), bufParam(spec.KDFSecretPrepend, pre))
			}, direct: func(z []byte) []byte { return hashOf(h.hash, pre, z, app) }},
		)
	}
	cases = append(cases,
		kdfCase{name: "HASH SHA256, two prepends", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFHash, i, 0, bufParam(spec.KDFSecretPrepend, pre), hashParam("SHA256"),
				bufParam(spec.KDFSecretAppend, app), bufParam(spec.KDFSecretPrepend, pre2))
		}, direct: func(z []byte) []byte { return hashOf(crypto.SHA256, pre, pre2, z, app) }},
		kdfCase{name: "HASH SHA256 in a version 1 structure", info: func(i byte) *engine.DeriveKeyInfo {
			d := deriveInfo(spec.BCryptKDFHash, i, 0, hashParam("SHA256"))
			d.Version = spec.CardDeriveKeyVersion
			return d
		}, direct: func(z []byte) []byte { return hashOf(crypto.SHA256, z) }},
		kdfCase{name: "HMAC SHA256 with a key", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFHMAC, i, 0, hashParam("SHA256"), bufParam(spec.KDFHMACKey, hkey))
		}, direct: func(z []byte) []byte { return hmacOf(crypto.SHA256, hkey, z) }},
		kdfCase{name: "HMAC SHA384 with a key, prepend and append", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFHMAC, i, 0, bufParam(spec.KDFHMACKey, hkey), hashParam("SHA384"),
				bufParam(spec.KDFSecretPrepend, pre), bufParam(spec.KDFSecretAppend, app))
		}, direct: func(z []byte) []byte { return hmacOf(crypto.SHA384, hkey, pre, z, app) }},
		kdfCase{name: "HMAC (SHA1) with a key", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFHMAC, i, 0, bufParam(spec.KDFHMACKey, hkey))
		}, direct: func(z []byte) []byte { return hmacOf(crypto.SHA1, hkey, z) }},
		kdfCase{name: "HMAC SHA256 with KDF_USE_SECRET_AS_HMAC_KEY_FLAG", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFHMAC, i, spec.KDFUseSecretAsHMACKeyFlag, hashParam("SHA256"))
		}, direct: func(z []byte) []byte { return hmacOf(crypto.SHA256, z, z) }},
		kdfCase{name: "HMAC SHA512 with KDF_USE_SECRET_AS_HMAC_KEY_FLAG and append", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFHMAC, i, spec.KDFUseSecretAsHMACKeyFlag, hashParam("SHA512"), bufParam(spec.KDFSecretAppend, app))
		}, direct: func(z []byte) []byte { return hmacOf(crypto.SHA512, z, z, app) }},
		kdfCase{name: "TLS_PRF TLS 1.0", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFTLSPRF, i, 0, dwordParam(spec.KDFTLSPRFProtocol, spec.TLS10ProtocolVersion),
				bufParam(spec.KDFTLSPRFLabel, label), bufParam(spec.KDFTLSPRFSeed, seed))
		}},
		kdfCase{name: "TLS_PRF without a protocol (TLS 1.0)", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFTLSPRF, i, 0, bufParam(spec.KDFTLSPRFSeed, seed), bufParam(spec.KDFTLSPRFLabel, label))
		}},
		kdfCase{name: "TLS_PRF TLS 1.2 (SHA256)", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFTLSPRF, i, 0, dwordParam(spec.KDFTLSPRFProtocol, spec.TLS12ProtocolVersion),
				bufParam(spec.KDFTLSPRFLabel, label), bufParam(spec.KDFTLSPRFSeed, seed))
		}},
		kdfCase{name: "TLS_PRF TLS 1.2 SHA384", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFTLSPRF, i, 0, dwordParam(spec.KDFTLSPRFProtocol, spec.TLS12ProtocolVersion),
				hashParam("SHA384"), bufParam(spec.KDFTLSPRFLabel, label), bufParam(spec.KDFTLSPRFSeed, seed))
		}},
		kdfCase{name: "SP800_56A_CONCAT with KDF_KEYBITLENGTH 256", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFSP80056AConcat, i, 0, bufParam(spec.KDFAlgorithmID, algID),
				bufParam(spec.KDFPartyUInfo, partyU), bufParam(spec.KDFPartyVInfo, partyV), dwordParam(spec.KDFKeyBitLength, 256))
		}, direct: func(z []byte) []byte { return concatKDF(concatHash, z, other, 32) }},
		kdfCase{name: "SP800_56A_CONCAT, PartyV before PartyU, with dwKeyLen 128", info: func(i byte) *engine.DeriveKeyInfo {
			d := deriveInfo(spec.BCryptKDFSP80056AConcat, i, 0, bufParam(spec.KDFPartyVInfo, partyV),
				bufParam(spec.KDFAlgorithmID, algID), bufParam(spec.KDFPartyUInfo, partyU))
			d.KeyLen = 128
			return d
		}, outLen: 16, direct: func(z []byte) []byte { return concatKDF(concatHash, z, other, 16) }},
		kdfCase{name: "SP800_56A_CONCAT SHA256 with SuppPubInfo, SuppPrivInfo and 640 bits", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFSP80056AConcat, i, 0, hashParam("SHA256"), bufParam(spec.KDFAlgorithmID, algID),
				bufParam(spec.KDFPartyUInfo, partyU), bufParam(spec.KDFPartyVInfo, partyV), bufParam(spec.KDFSuppPrivInfo, suppPriv),
				bufParam(spec.KDFSuppPubInfo, suppPub), dwordParam(spec.KDFKeyBitLength, 640))
		}, direct: func(z []byte) []byte { return concatKDF(crypto.SHA256, z, slices.Concat(other, suppPub, suppPriv), 80) }},
		kdfCase{name: "SP800_56A_CONCAT without a length (the secret's)", info: func(i byte) *engine.DeriveKeyInfo {
			return deriveInfo(spec.BCryptKDFSP80056AConcat, i, 0, bufParam(spec.KDFAlgorithmID, algID),
				bufParam(spec.KDFPartyUInfo, partyU), bufParam(spec.KDFPartyVInfo, partyV))
		}, direct: func(z []byte) []byte { return concatKDF(concatHash, z, other, len(z)) }},
		kdfCase{name: "TRUNCATE", info: func(i byte) *engine.DeriveKeyInfo { return deriveInfo(kdf.BCryptKDFRawSecret, i, 0) },
			direct: func(z []byte) []byte { r := bytes.Clone(z); slices.Reverse(r); return r }},
	)
	return cases
}

// checkDerive runs a derivation: first with CARD_BUFFER_SIZE_ONLY (the size only, nothing
// allocated), then for the key, which must equal package kdf's on the secret z (and the case's
// own computation). It returns the key.
func checkDerive(t T, c Context, kc kdfCase, idx byte, z []byte, what string) []byte {
	t.Helper()
	ref := kc.info(idx)
	wantKey, err := kdf.Derive(ref.KDF, z, kdfParams(ref.Params), ref.Flags&spec.KDFUseSecretAsHMACKeyFlag, kc.outLen)
	if err != nil {
		t.Errorf("%s: %s: kdf.Derive: %v", what, kc.name, err)
		return nil
	}
	if kc.direct != nil {
		if d := kc.direct(z); !bytes.Equal(d, wantKey) {
			t.Errorf("%s: %s: package kdf gives %s, the computation written out here %s", what, kc.name, fp(wantKey), fp(d))
		}
	}
	live := c.LiveAllocations()
	si := kc.info(idx)
	si.Flags |= spec.CardBufferSizeOnly
	if err := c.DeriveKey(si); err != nil {
		t.Errorf("%s: %s with CARD_BUFFER_SIZE_ONLY: %v", what, kc.name, err)
	} else if si.DerivedSize != len(wantKey) || si.DerivedKey != nil {
		t.Errorf("%s: %s with CARD_BUFFER_SIZE_ONLY: cbDerivedKey %d (want %d), pbDerivedKey %s", what, kc.name, si.DerivedSize, len(wantKey), fp(si.DerivedKey))
	}
	if n := c.LiveAllocations(); n != live {
		t.Errorf("%s: %s: CARD_BUFFER_SIZE_ONLY left %d buffers", what, kc.name, n-live)
	}
	di := kc.info(idx)
	if err := c.DeriveKey(di); err != nil {
		t.Errorf("%s: %s: %v", what, kc.name, err)
		return nil
	}
	if !bytes.Equal(di.DerivedKey, wantKey) || di.DerivedSize != len(wantKey) {
		t.Errorf("%s: %s: key %s (cbDerivedKey %d), want %s", what, kc.name, fp(di.DerivedKey), di.DerivedSize, fp(wantKey))
	}
	if di.Key != 0 {
		t.Errorf("%s: %s: hKey %#x without CARD_RETURN_KEY_HANDLE", what, kc.name, di.Key)
	}
	return di.DerivedKey
}

// wantDeriveFails checks that a derivation fails with st and returns no key and no buffer.
func wantDeriveFails(t T, c Context, di *engine.DeriveKeyInfo, st spec.Status, what string, args ...any) {
	t.Helper()
	live := c.LiveAllocations()
	err := c.DeriveKey(di)
	want(t, err, st, "CardDeriveKey with %s", fmt.Sprintf(what, args...))
	if di.DerivedKey != nil || (err != nil && di.Key != 0) {
		t.Errorf("CardDeriveKey with %s failed but returned key %s / handle %#x", fmt.Sprintf(what, args...), fp(di.DerivedKey), di.Key)
	}
	if n := c.LiveAllocations(); n != live {
		t.Errorf("CardDeriveKey with %s left %d buffers", fmt.Sprintf(what, args...), n-live)
	}
}

// unusedIndex returns an agreement index none of used names.
func unusedIndex(used ...byte) byte {
	for i := 0; i < 256; i++ {
		if !slices.Contains(used, byte(i)) {
			return byte(i)
		}
	}
	return 0
}

// flowDHAgreeDerive: agreements of the card's ECC keys with peer keys made here, and a key
// derived with every KDF and its parameters, equal to package kdf's on the peer's secret; several
// agreements at once; CardDestroyDHAgreement; the error cases of the three functions.
func flowDHAgreeDerive(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	p384 := dhContainer(t, c, env, piv.SlotCardAuth)
	p256 := dhContainer(t, c, env, piv.SlotSign)

	// The P-384 agreement and every KDF on it.
	idx, z := agree(t, c, env, p384)
	if len(z) != 48 {
		t.Fatalf("the peer's P-384 secret has %d bytes", len(z))
	}
	keys := map[string][]byte{}
	for _, kc := range kdfCases(len(z)) {
		keys[kc.name] = checkDerive(t, c, kc, idx, z, "P-384 agreement")
	}
	if a, b := keys["TLS_PRF TLS 1.0"], keys["TLS_PRF without a protocol (TLS 1.0)"]; a != nil && !bytes.Equal(a, b) {
		t.Errorf("TLS_PRF: no protocol gives %s, TLS 1.0 %s", fp(b), fp(a))
	}
	if a, b := keys["HASH SHA1"], keys["HASH without parameters (SHA1)"]; a != nil && !bytes.Equal(a, b) {
		t.Errorf("HASH: no hash gives %s, SHA1 %s", fp(b), fp(a))
	}

	// Several agreements alive at once: a second one on the same key, one on the P-256 key of
	// 9C (PIN 3 right before it; without it, SCARD_W_SECURITY_VIOLATION).
	idx2, z2 := agree(t, c, env, p384)
	if idx2 == idx {
		t.Errorf("two live agreements share index %d", idx)
	}
	peer := p256.peerKey(t)
	dh256 := &engine.DHAgreementInfo{Version: spec.CardDHAgreementInfoVersion, ContainerIndex: p256.idx, PublicKey: p256.blob(peer)}
	want(t, c.ConstructDHAgreement(dh256), spec.SCardWSecurityViolation, "CardConstructDHAgreement on 9C without PIN 3")
	idx3, z3 := agree(t, c, env, p256)
	want(t, c.ConstructDHAgreement(dh256), spec.SCardWSecurityViolation, "a second CardConstructDHAgreement on 9C after one PIN 3")
	if idx3 == idx || idx3 == idx2 {
		t.Errorf("the 9C agreement has index %d, already in use (%d, %d)", idx3, idx, idx2)
	}
	if len(z3) != 32 {
		t.Fatalf("the peer's P-256 secret has %d bytes", len(z3))
	}
	for _, kc := range kdfCases(len(z3)) {
		if kc.name == "HASH SHA256 with prepend and append" || kc.name == "SP800_56A_CONCAT with KDF_KEYBITLENGTH 256" || kc.name == "TRUNCATE" ||
			kc.name == "HMAC SHA256 with KDF_USE_SECRET_AS_HMAC_KEY_FLAG" || kc.name == "TLS_PRF TLS 1.2 SHA384" {
			checkDerive(t, c, kc, idx3, z3, "P-256 agreement (9C)")
		}
	}
	sha256Case := kdfCase{name: "HASH SHA256", info: func(i byte) *engine.DeriveKeyInfo {
		return deriveInfo(spec.BCryptKDFHash, i, 0, hashParam("SHA256"))
	}, direct: func(z []byte) []byte { return hashOf(crypto.SHA256, z) }}
	k2 := checkDerive(t, c, sha256Case, idx2, z2, "second P-384 agreement")
	k1 := checkDerive(t, c, sha256Case, idx, z, "first P-384 agreement, after the others")
	if k1 != nil && bytes.Equal(k1, k2) {
		t.Errorf("two agreements with different peers give the same key")
	}

	// CardDeriveKey's errors, on a live agreement.
	seed := make([]byte, 64)
	label := bufParam(spec.KDFTLSPRFLabel, []byte("label"))
	concat := []engine.KDFParam{bufParam(spec.KDFAlgorithmID, []byte("alg")), bufParam(spec.KDFPartyUInfo, []byte("U")), bufParam(spec.KDFPartyVInfo, []byte("V"))}
	ip := spec.SCardEInvalidParameter
	for _, tc := range []struct {
		name string
		di   *engine.DeriveKeyInfo
		want spec.Status
	}{
		{"an unknown KDF", deriveInfo("NOT_A_KDF", idx, 0), ip},
		{"a NULL KDF", &engine.DeriveKeyInfo{Version: 2, AgreementIndex: idx}, ip},
		{"an unknown parameter type 0x99", deriveInfo(spec.BCryptKDFHash, idx, 0, bufParam(0x99, []byte{1})), ip},
		{"KDF_TLS_PRF_SEED for HASH", deriveInfo(spec.BCryptKDFHash, idx, 0, bufParam(spec.KDFTLSPRFSeed, seed)), ip},
		{"a parameter for TRUNCATE", deriveInfo(kdf.BCryptKDFRawSecret, idx, 0, hashParam("SHA256")), ip},
		{"a TLS seed of 63 bytes", deriveInfo(spec.BCryptKDFTLSPRF, idx, 0, label, bufParam(spec.KDFTLSPRFSeed, seed[:63])), ip},
		{"a TLS seed of 65 bytes", deriveInfo(spec.BCryptKDFTLSPRF, idx, 0, label, bufParam(spec.KDFTLSPRFSeed, append(seed, 0))), ip},
		{"TLS_PRF without a label", deriveInfo(spec.BCryptKDFTLSPRF, idx, 0, bufParam(spec.KDFTLSPRFSeed, seed)), ip},
		{"TLS_PRF protocol 0x0200", deriveInfo(spec.BCryptKDFTLSPRF, idx, 0, label, bufParam(spec.KDFTLSPRFSeed, seed), dwordParam(spec.KDFTLSPRFProtocol, 0x0200)), ip},
		{"HMAC with neither a key nor the flag", deriveInfo(spec.BCryptKDFHMAC, idx, 0, hashParam("SHA256")), ip},
		{"HMAC with a key and the flag", deriveInfo(spec.BCryptKDFHMAC, idx, spec.KDFUseSecretAsHMACKeyFlag, bufParam(spec.KDFHMACKey, []byte("k"))), ip},
		{"SP800_56A_CONCAT without PartyVInfo", deriveInfo(spec.BCryptKDFSP80056AConcat, idx, 0, concat[:2]...), ip},
		{"two KDF_HASH_ALGORITHM buffers", deriveInfo(spec.BCryptKDFHash, idx, 0, hashParam("SHA256"), hashParam("SHA256")), ip},
		{"a hash name without its NUL", deriveInfo(spec.BCryptKDFHash, idx, 0, engine.KDFParam{Type: 0, Data: spec.UTF16LEBytes("SHA256")[:12]}), ip},
		{"the hash SHA224", deriveInfo(spec.BCryptKDFHash, idx, 0, hashParam("SHA224")), ip},
		{"dwFlags 0x2", deriveInfo(spec.BCryptKDFHash, idx, 2), ip},
		{"dwFlags 0x80000000", deriveInfo(spec.BCryptKDFHash, idx, 0x80000000), ip},
		{"dwVersion 0", &engine.DeriveKeyInfo{Version: 0, KDF: spec.BCryptKDFHash, HasKDF: true, AgreementIndex: idx}, spec.ErrorRevisionMismatch},
		{"dwVersion 3", &engine.DeriveKeyInfo{Version: 3, KDF: spec.BCryptKDFHash, HasKDF: true, AgreementIndex: idx}, spec.ErrorRevisionMismatch},
		{"an index of no agreement", deriveInfo(spec.BCryptKDFHash, unusedIndex(idx, idx2, idx3), 0), ip},
		{"a KDF_SECRET_HANDLE of 3 bytes", deriveInfo(spec.BCryptKDFHash, idx, 0, bufParam(spec.KDFSecretHandle, []byte{1, 2, 3})), ip},
	} {
		wantDeriveFails(t, c, tc.di, tc.want, "%s", tc.name)
	}

	// CardConstructDHAgreement's errors (before any card I/O: no PIN needed for them).
	peer384 := p384.peerKey(t)
	good := p384.blob(peer384)
	offCurve := bytes.Clone(good)
	offCurve[len(offCurve)-1] ^= 1
	ecdsaMagic := bytes.Clone(good)
	binary.LittleEndian.PutUint32(ecdsaMagic, spec.ECDSAPublicP384Magic)
	badCbKey := bytes.Clone(good)
	binary.LittleEndian.PutUint32(badCbKey[4:], 32)
	zeroPoint := bytes.Clone(good)
	clear(zeroPoint[8:])
	for _, tc := range []struct {
		name string
		info engine.DHAgreementInfo
		want spec.Status
	}{
		{"dwVersion 1", engine.DHAgreementInfo{Version: 1, ContainerIndex: p384.idx, PublicKey: good}, spec.ErrorRevisionMismatch},
		{"dwVersion 3", engine.DHAgreementInfo{Version: 3, ContainerIndex: p384.idx, PublicKey: good}, spec.ErrorRevisionMismatch},
		{"dwFlags 1", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, Flags: 1, PublicKey: good}, ip},
		{"a NULL public key", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx}, ip},
		{"an empty public key", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: []byte{}}, ip},
		{"a P-256 peer key for a P-384 key", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: p256.blob(p256.peerKey(t))}, ip},
		{"a peer key with the ECDSA magic", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: ecdsaMagic}, ip},
		{"a point not on the curve", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: offCurve}, ip},
		{"the point (0, 0)", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: zeroPoint}, ip},
		{"cbKey 32 in a P-384 blob", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: badCbKey}, ip},
		{"a blob one byte short", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: good[:len(good)-1]}, ip},
		{"a blob one byte long", engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: append(bytes.Clone(good), 0)}, ip},
		{"the RSA container 0", engine.DHAgreementInfo{Version: 2, ContainerIndex: 0, PublicKey: good}, ip},
		{"the empty container 4", engine.DHAgreementInfo{Version: 2, ContainerIndex: 4, PublicKey: good}, spec.SCardENoKeyContainer},
		{"container 200", engine.DHAgreementInfo{Version: 2, ContainerIndex: 200, PublicKey: good}, spec.SCardENoKeyContainer},
	} {
		info := tc.info
		want(t, c.ConstructDHAgreement(&info), tc.want, "CardConstructDHAgreement with %s", tc.name)
	}
	// The peer key itself was fine.
	p384.login(t, c, env)
	okInfo := &engine.DHAgreementInfo{Version: 2, ContainerIndex: p384.idx, PublicKey: good}
	if err := c.ConstructDHAgreement(okInfo); err != nil {
		t.Errorf("CardConstructDHAgreement with the unaltered peer key: %v", err)
	} else {
		zz, _ := peer384.ECDH(p384.pub)
		checkDerive(t, c, sha256Case, okInfo.AgreementIndex, zz, "the unaltered peer key")
		must(t, c.DestroyDHAgreement(okInfo.AgreementIndex, 0), "CardDestroyDHAgreement")
	}

	// An agreement belongs to its context.
	c2 := open(t, md, env)
	wantDeriveFails(t, c2, deriveInfo(spec.BCryptKDFHash, idx, 0), ip, "another context's agreement index")
	want(t, c2.DestroyDHAgreement(idx, 0), ip, "CardDestroyDHAgreement of another context's agreement")
	done(t, c2)

	// CardDestroyDHAgreement: the index is refused afterwards; the other agreements stay.
	want(t, c.DestroyDHAgreement(idx, 1), ip, "CardDestroyDHAgreement with dwFlags 1")
	must(t, c.DestroyDHAgreement(idx, 0), "CardDestroyDHAgreement(%d)", idx)
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx, 0, hashParam("SHA256")), ip, "a destroyed agreement")
	want(t, c.DestroyDHAgreement(idx, 0), ip, "CardDestroyDHAgreement twice")
	want(t, c.DestroyDHAgreement(unusedIndex(idx, idx2, idx3), 0), ip, "CardDestroyDHAgreement of an index never used")
	checkDerive(t, c, sha256Case, idx2, z2, "the second agreement after destroying the first")
	for _, i := range []byte{idx2, idx3} {
		must(t, c.DestroyDHAgreement(i, 0), "CardDestroyDHAgreement(%d)", i)
	}
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx3, 0), ip, "the destroyed 9C agreement")
	logout(t, c)
}

// symKeySizes are the key lengths CardGetAlgorithmProperty(CP_CARD_KEYSIZES) reports (those of
// CNG) and the block length of each algorithm.
var symAlgs = []struct {
	name  string
	sizes spec.KeySizes
	block uint32
}{
	{spec.CardAESAlgorithm, spec.KeySizes{Version: 1, Minimum: 128, Default: 256, Maximum: 256, Incremental: 64}, 16},
	{spec.Card3DESAlgorithm, spec.KeySizes{Version: 1, Minimum: 192, Default: 192, Maximum: 192}, 8},
	{spec.Card3DES112Algorithm, spec.KeySizes{Version: 1, Minimum: 128, Default: 128, Maximum: 128}, 8},
}

// handleInfo is a version 2 CARD_DERIVE_KEY asking for a key handle: HASH SHA256 (32 bytes).
func handleInfo(idx byte, alg string, bits uint32) *engine.DeriveKeyInfo {
	di := deriveInfo(spec.BCryptKDFHash, idx, spec.CardReturnKeyHandle, hashParam("SHA256"))
	di.AlgID, di.HasAlgID, di.KeyLen = alg, true, bits
	return di
}

// flowDHKeyHandle: CardDeriveKey with CARD_RETURN_KEY_HANDLE for AES and 3DES keys of every
// allowed length, the key properties (block length, chaining mode, IV), CP_CARD_KEYSIZES,
// CardDestroyKey, and the error cases.
func flowDHKeyHandle(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	k := dhContainer(t, c, env, piv.SlotCardAuth)
	idx, _ := agree(t, c, env, k)
	ip, ih := spec.SCardEInvalidParameter, spec.SCardEInvalidHandle

	for _, a := range symAlgs {
		v, err := c.GetAlgorithmProperty(a.name, spec.CPCardKeySizes, 0)
		if err != nil {
			t.Errorf("CardGetAlgorithmProperty(%s, CP_CARD_KEYSIZES): %v", a.name, err)
		} else if ks, err := spec.ParseKeySizes(v); err != nil || ks != a.sizes {
			t.Errorf("CardGetAlgorithmProperty(%s, CP_CARD_KEYSIZES): %+v, %v; want %+v", a.name, ks, err, a.sizes)
		}
	}
	_, err := c.GetAlgorithmProperty("RC4", spec.CPCardKeySizes, 0)
	want(t, err, ip, "CardGetAlgorithmProperty(RC4)")
	_, err = c.GetAlgorithmProperty(spec.CardAESAlgorithm, spec.CPChainingModes, 0)
	want(t, err, ip, "CardGetAlgorithmProperty(AES, CP_CHAINING_MODES)")
	_, err = c.GetAlgorithmProperty(spec.CardAESAlgorithm, spec.CPCardKeySizes, 1)
	want(t, err, ip, "CardGetAlgorithmProperty with dwFlags 1")

	seen := map[uintptr]bool{}
	var keep uintptr
	for _, a := range symAlgs {
		lengths := []uint32{0}
		for b := a.sizes.Minimum; b <= a.sizes.Maximum; b += max(a.sizes.Incremental, 1) {
			lengths = append(lengths, b)
		}
		for _, bits := range lengths {
			what := fmt.Sprintf("%s-%d", a.name, bits)
			live := c.LiveAllocations()
			di := handleInfo(idx, a.name, bits)
			if err := c.DeriveKey(di); err != nil {
				t.Errorf("CardDeriveKey(CARD_RETURN_KEY_HANDLE, %s): %v", what, err)
				continue
			}
			if di.Key == 0 || seen[di.Key] || di.DerivedKey != nil {
				t.Errorf("CardDeriveKey(CARD_RETURN_KEY_HANDLE, %s): hKey %#x (seen before: %v), pbDerivedKey %s", what, di.Key, seen[di.Key], fp(di.DerivedKey))
			}
			if n := c.LiveAllocations(); n != live {
				t.Errorf("CardDeriveKey(CARD_RETURN_KEY_HANDLE, %s) left %d buffers", what, n-live)
			}
			h := di.Key
			seen[h] = true
			if v, err := c.GetKeyProperty(h, spec.CKPBlockLength, 0); err != nil || !bytes.Equal(v, le32(a.block)) {
				t.Errorf("%s: CKP_BLOCK_LENGTH %X, %v; want %d", what, v, err, a.block)
			}
			if v, err := c.GetKeyProperty(h, spec.CKPChainingMode, 0); err != nil || !bytes.Equal(v, spec.UTF16LEBytes(spec.CardChainModeCBC)) {
				t.Errorf("%s: CKP_CHAINING_MODE %X, %v; want %s", what, v, err, spec.CardChainModeCBC)
			}
			if v, err := c.GetKeyProperty(h, spec.CKPInitializationVector, 0); err != nil || !bytes.Equal(v, make([]byte, a.block)) {
				t.Errorf("%s: CKP_INITIALIZATION_VECTOR %X, %v; want %d zero bytes", what, v, err, a.block)
			}
			iv := make([]byte, a.block)
			rand.Read(iv)
			must(t, c.SetKeyProperty(h, spec.CKPInitializationVector, iv, 0), "%s: CardSetKeyProperty(CKP_INITIALIZATION_VECTOR)", what)
			if v, err := c.GetKeyProperty(h, spec.CKPInitializationVector, 0); err != nil || !bytes.Equal(v, iv) {
				t.Errorf("%s: CKP_INITIALIZATION_VECTOR after setting %X: %X, %v", what, iv, v, err)
			}
			must(t, c.SetKeyProperty(h, spec.CKPChainingMode, spec.UTF16LEBytes(spec.CardChainModeCBC), 0), "%s: CardSetKeyProperty(CKP_CHAINING_MODE, CBC)", what)
			want(t, c.SetKeyProperty(h, spec.CKPInitializationVector, make([]byte, a.block+1), 0), ip, "%s: an IV of %d bytes", what, a.block+1)
			want(t, c.SetKeyProperty(h, spec.CKPChainingMode, spec.UTF16LEBytes("ChainingModeECB"), 0), spec.SCardEUnsupportedFeature, "%s: chaining mode ECB", what)
			want(t, c.SetKeyProperty(h, spec.CKPBlockLength, le32(a.block), 0), ip, "%s: setting CKP_BLOCK_LENGTH", what)
			want(t, c.SetKeyProperty(h, spec.CKPInitializationVector, iv, 1), ip, "%s: CardSetKeyProperty with dwFlags 1", what)
			_, err = c.GetKeyProperty(h, "NoSuchProperty", 0)
			want(t, err, ip, "%s: CardGetKeyProperty of an unknown property", what)
			_, err = c.GetKeyProperty(h, spec.CKPBlockLength, 1)
			want(t, err, ip, "%s: CardGetKeyProperty with dwFlags 1", what)
			if a.name == spec.CardAESAlgorithm && bits == 128 {
				keep = h // destroyed with the context
				continue
			}
			must(t, c.DestroyKey(h), "%s: CardDestroyKey", what)
			_, err = c.GetKeyProperty(h, spec.CKPBlockLength, 0)
			want(t, err, ih, "%s: CardGetKeyProperty after CardDestroyKey", what)
			want(t, c.SetKeyProperty(h, spec.CKPInitializationVector, iv, 0), ih, "%s: CardSetKeyProperty after CardDestroyKey", what)
			want(t, c.DestroyKey(h), ih, "%s: CardDestroyKey twice", what)
		}
	}

	// The key requests CardDeriveKey refuses.
	v1 := handleInfo(idx, spec.CardAESAlgorithm, 128)
	v1.Version = spec.CardDeriveKeyVersion
	noAlg := handleInfo(idx, "", 128)
	noAlg.HasAlgID = false
	sha1 := handleInfo(idx, spec.CardAESAlgorithm, 256)
	sha1.Params = []engine.KDFParam{hashParam("SHA1")}
	for _, tc := range []struct {
		name string
		di   *engine.DeriveKeyInfo
	}{
		{"an unknown algorithm", handleInfo(idx, "RC4", 128)},
		{"a NULL algorithm", noAlg},
		{"AES-100", handleInfo(idx, spec.CardAESAlgorithm, 100)},
		{"AES-512", handleInfo(idx, spec.CardAESAlgorithm, 512)},
		{"3DES-128", handleInfo(idx, spec.Card3DESAlgorithm, 128)},
		{"3DES_112-192", handleInfo(idx, spec.Card3DES112Algorithm, 192)},
		{"a version 1 structure", v1},
		{"20 bytes of key material (SHA1) for AES-256", sha1},
		{"an index of no agreement", handleInfo(unusedIndex(idx), spec.CardAESAlgorithm, 128)},
	} {
		wantDeriveFails(t, c, tc.di, ip, "CARD_RETURN_KEY_HANDLE and %s", tc.name)
	}

	// Unknown handles; a handle belongs to its context; the keys outlive their agreement.
	for _, h := range []uintptr{0, 1, 0x7FFFFFFF} {
		if seen[h] {
			continue
		}
		want(t, c.DestroyKey(h), ih, "CardDestroyKey(%#x)", h)
		_, err := c.GetKeyProperty(h, spec.CKPBlockLength, 0)
		want(t, err, ih, "CardGetKeyProperty(%#x)", h)
		want(t, c.SetKeyProperty(h, spec.CKPChainingMode, spec.UTF16LEBytes(spec.CardChainModeCBC), 0), ih, "CardSetKeyProperty(%#x)", h)
	}
	c2 := open(t, md, env)
	_, err = c2.GetKeyProperty(keep, spec.CKPBlockLength, 0)
	want(t, err, ih, "CardGetKeyProperty of another context's key handle")
	want(t, c2.DestroyKey(keep), ih, "CardDestroyKey of another context's key handle")
	done(t, c2)
	must(t, c.DestroyDHAgreement(idx, 0), "CardDestroyDHAgreement")
	if v, err := c.GetKeyProperty(keep, spec.CKPBlockLength, 0); err != nil || !bytes.Equal(v, le32(16)) {
		t.Errorf("an AES key handle after CardDestroyDHAgreement of its agreement: %X, %v", v, err)
	}
	logout(t, c)
}

// flowDHGetAgreement: a KDF_SECRET_HANDLE parameter names an agreement through the caller's
// pfnCspGetDHAgreement (which answers from RegisterDHAgreement); the key is the one of that
// agreement, whatever bSecretAgreementIndex says, and the agreement lives on. Unknown handles,
// destroyed agreements and a NULL callback fail.
func flowDHGetAgreement(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	k := dhContainer(t, c, env, piv.SlotCardAuth)
	idx, z := agree(t, c, env, k)
	idx2, z2 := agree(t, c, env, k)
	none := unusedIndex(idx, idx2)
	var r [4]byte
	rand.Read(r[:])
	h1 := uintptr(binary.LittleEndian.Uint32(r[:])|0x10000) &^ 0xF // NCrypt handles are aligned pointers
	h2, hUnknown := h1+0x40, h1+0x80
	c.RegisterDHAgreement(h1, idx)
	c.RegisterDHAgreement(h2, idx2)
	want1, want2 := hashOf(crypto.SHA256, z), hashOf(crypto.SHA256, z2)

	derive := func(what string, di *engine.DeriveKeyInfo, wantKey []byte) {
		t.Helper()
		live := c.LiveAllocations()
		if err := c.DeriveKey(di); err != nil {
			t.Errorf("CardDeriveKey with %s: %v", what, err)
			return
		}
		if !bytes.Equal(di.DerivedKey, wantKey) {
			t.Errorf("CardDeriveKey with %s: %s, want %s", what, fp(di.DerivedKey), fp(wantKey))
		}
		if n := c.LiveAllocations(); n != live {
			t.Errorf("CardDeriveKey with %s left %d buffers", what, n-live)
		}
	}
	sha := hashParam("SHA256")
	derive("the index", deriveInfo(spec.BCryptKDFHash, idx, 0, sha), want1)
	derive("the handle of the first agreement (index of none)", deriveInfo(spec.BCryptKDFHash, none, 0, sha, secretHandleParam(h1)), want1)
	derive("the handle first in the list", deriveInfo(spec.BCryptKDFHash, none, 0, secretHandleParam(h1), sha), want1)
	derive("the second agreement's handle and the first's index", deriveInfo(spec.BCryptKDFHash, idx, 0, sha, secretHandleParam(h2)), want2)
	pre := []byte("prepend")
	derive("the handle and a prepend", deriveInfo(spec.BCryptKDFHash, none, 0, bufParam(spec.KDFSecretPrepend, pre), secretHandleParam(h2), sha),
		hashOf(crypto.SHA256, pre, z2))
	si := deriveInfo(spec.BCryptKDFHash, none, spec.CardBufferSizeOnly, sha, secretHandleParam(h1))
	if err := c.DeriveKey(si); err != nil || si.DerivedSize != 32 || si.DerivedKey != nil {
		t.Errorf("CardDeriveKey with a handle and CARD_BUFFER_SIZE_ONLY: %d, %s, %v", si.DerivedSize, fp(si.DerivedKey), err)
	}
	hk := deriveInfo(spec.BCryptKDFHash, none, spec.CardReturnKeyHandle, sha, secretHandleParam(h1))
	hk.AlgID, hk.HasAlgID, hk.KeyLen = spec.CardAESAlgorithm, true, 256
	if err := c.DeriveKey(hk); err != nil || hk.Key == 0 {
		t.Errorf("CardDeriveKey with a handle and CARD_RETURN_KEY_HANDLE: %#x, %v", hk.Key, err)
	} else {
		must(t, c.DestroyKey(hk.Key), "CardDestroyKey")
	}

	// The agreements were not destroyed by the calls.
	derive("the first index after the handle calls", deriveInfo(spec.BCryptKDFHash, idx, 0, sha), want1)
	derive("the second index after the handle calls", deriveInfo(spec.BCryptKDFHash, idx2, 0, sha), want2)

	ip := spec.SCardEInvalidParameter
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx, 0, sha, secretHandleParam(hUnknown)), ip, "a handle the caller does not know")
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx, 0, sha, secretHandleParam(0)), ip, "a NULL secret handle")
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx, 0, sha, secretHandleParam(h1), secretHandleParam(h2)), ip, "two secret handles")
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx, 0, sha, bufParam(spec.KDFSecretHandle, secretHandleParam(h1).Data[:PtrSize-1])), ip,
		"a secret handle of %d bytes", PtrSize-1)
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx, 0, sha, engine.KDFParam{Type: uint32(spec.KDFSecretHandle)}), ip, "a KDF_SECRET_HANDLE without data")

	// A handle whose agreement was destroyed.
	must(t, c.DestroyDHAgreement(idx2, 0), "CardDestroyDHAgreement(%d)", idx2)
	wantDeriveFails(t, c, deriveInfo(spec.BCryptKDFHash, idx, 0, sha, secretHandleParam(h2)), ip, "the handle of a destroyed agreement")
	must(t, c.DestroyDHAgreement(idx, 0), "CardDestroyDHAgreement(%d)", idx)

	// A caller without pfnCspGetDHAgreement: handles fail, indexes work.
	p := env.Params()
	p.NullGetDHAgreement = true
	cn, err := md.Acquire(p)
	if err != nil {
		t.Fatalf("CardAcquireContext with a NULL pfnCspGetDHAgreement: %v", err)
	}
	defer done(t, cn)
	ni, nz := agree(t, cn, env, k)
	cn.RegisterDHAgreement(h1, ni) // the adapter's table: not reachable without the callback
	live := cn.LiveAllocations()
	nd := deriveInfo(spec.BCryptKDFHash, ni, 0, sha, secretHandleParam(h1))
	want(t, cn.DeriveKey(nd), ip, "CardDeriveKey with a secret handle and a NULL pfnCspGetDHAgreement")
	if nd.DerivedKey != nil || cn.LiveAllocations() != live {
		t.Errorf("a failed CardDeriveKey returned %s (%d buffers)", fp(nd.DerivedKey), cn.LiveAllocations()-live)
	}
	nd = deriveInfo(spec.BCryptKDFHash, ni, 0, sha)
	if err := cn.DeriveKey(nd); err != nil || !bytes.Equal(nd.DerivedKey, hashOf(crypto.SHA256, nz)) {
		t.Errorf("CardDeriveKey by index with a NULL pfnCspGetDHAgreement: %s, %v", fp(nd.DerivedKey), err)
	}
	must(t, cn.DestroyDHAgreement(ni, 0), "CardDestroyDHAgreement")
	logout(t, cn)
	logout(t, c)
}

// fp names secret bytes in a failure message without printing them: their length and the start
// of their SHA-256.
func fp(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, SHA-256 %x…", len(b), sum[:4])
}
