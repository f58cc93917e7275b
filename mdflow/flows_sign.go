package mdflow

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	"slices"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// rsaSign is a CARD_SIGNING_INFO v2 for PKCS#1 v1.5 with SHA-256 (aiHashAlg) on container idx.
func rsaSign(idx byte, env Env) *engine.SigningInfo {
	d := sha256.Sum256([]byte("mdflow"))
	return &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d[:]}
}

// ecdsaSign is a CARD_SIGNING_INFO v2 for ECDSA on container idx (the key spec from env).
func ecdsaSign(idx byte, env Env) *engine.SigningInfo {
	ks := spec.ATECDSAP256
	d := sha256.Sum256([]byte("mdflow"))
	data := d[:]
	if k, ok := env.Pub(StandardSlots[idx]).(*ecdsa.PublicKey); ok && k.Curve.Params().BitSize == 384 {
		ks = spec.ATECDSAP384
		h := sha512.Sum384([]byte("mdflow"))
		data = h[:]
	}
	return &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: ks, Data: data}
}

// digest hashes msg with h (crypto.MD5SHA1: MD5 then SHA-1).
func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.MD5SHA1:
		a, b := md5.Sum(msg), sha1.Sum(msg)
		return append(a[:], b[:]...)
	case crypto.MD5:
		a := md5.Sum(msg)
		return a[:]
	}
	hh := h.New()
	hh.Write(msg)
	return hh.Sum(nil)
}

// leSig returns the big-endian form of a little-endian (CryptoAPI) RSA signature.
func leSig(sig []byte) []byte {
	out := slices.Clone(sig)
	slices.Reverse(out)
	return out
}

// flowSignRSA: PKCS#1 v1.5 with every aiHashAlg and every BCrypt hash name, without OID
// (CRYPT_NOHASHOID and a NULL pszAlgId), PSS, raw; CARD_BUFFER_SIZE_ONLY; both RSA containers.
func flowSignRSA(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	msg := []byte("sign me")
	for _, slot := range []byte{piv.SlotAuth, piv.SlotKeyMgmt} {
		idx := containerOf(slot)
		pub, ok := env.Pub(slot).(*rsa.PublicKey)
		if !ok {
			t.Fatalf("slot %02X holds no RSA key", slot)
		}
		k := (pub.N.BitLen() + 7) / 8
		si := rsaSign(idx, env)
		want(t, c.SignData(si), spec.SCardWSecurityViolation, "container %d without the PIN", idx)
		// The size query needs no PIN.
		si = rsaSign(idx, env)
		si.SigningFlags = spec.CardBufferSizeOnly
		if err := c.SignData(si); err != nil || si.SignedSize != k || si.SignedData != nil {
			t.Errorf("container %d CARD_BUFFER_SIZE_ONLY: size %d data %d bytes, %v; want %d", idx, si.SignedSize, len(si.SignedData), err, k)
		}
		if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
			t.Fatalf("CardAuthenticatePin: %v", err)
		}
		check := func(what string, si *engine.SigningInfo, verify func(sig []byte) error) {
			t.Helper()
			if err := c.SignData(si); err != nil {
				t.Errorf("container %d %s: %v", idx, what, err)
				return
			}
			if len(si.SignedData) != k || si.SignedSize != k {
				t.Errorf("container %d %s: %d-byte signature (cbSignedData %d), want %d", idx, what, len(si.SignedData), si.SignedSize, k)
				return
			}
			if err := verify(leSig(si.SignedData)); err != nil {
				t.Errorf("container %d %s: the signature does not verify: %v", idx, what, err)
			}
		}
		for alg, h := range map[spec.ALGID]crypto.Hash{spec.CALGMD5: crypto.MD5, spec.CALGSHA1: crypto.SHA1,
			spec.CALGSHA256: crypto.SHA256, spec.CALGSHA384: crypto.SHA384, spec.CALGSHA512: crypto.SHA512,
			spec.CALGSSL3SHAMD5: crypto.MD5SHA1} {
			d := digest(h, msg)
			si := &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, HashAlg: alg, Data: d}
			check(alg.String(), si, func(sig []byte) error { return rsa.VerifyPKCS1v15(pub, h, d, sig) })
		}
		for name, h := range map[string]crypto.Hash{"MD5": crypto.MD5, "SHA1": crypto.SHA1, "SHA256": crypto.SHA256,
			"SHA384": crypto.SHA384, "SHA512": crypto.SHA512} {
			d := digest(h, msg)
			si := &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange,
				SigningFlags: spec.CardPaddingInfoPresent, PaddingType: engine.PaddingPKCS1,
				Padding: &engine.PaddingInfo{AlgID: name, HasAlgID: true}, Data: d}
			check("BCRYPT_PKCS1_PADDING_INFO "+name, si, func(sig []byte) error { return rsa.VerifyPKCS1v15(pub, h, d, sig) })
		}
		// Without DigestInfo: the data is signed as given.
		raw := digest(crypto.SHA256, msg)
		si = &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange,
			SigningFlags: spec.CardPaddingInfoPresent, PaddingType: engine.PaddingPKCS1, Padding: &engine.PaddingInfo{}, Data: raw}
		check("PKCS#1 with a NULL pszAlgId", si, func(sig []byte) error { return rsa.VerifyPKCS1v15(pub, 0, raw, sig) })
		si = &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange,
			SigningFlags: spec.CryptNoHashOID, HashAlg: spec.CALGSHA256, Data: raw}
		check("CRYPT_NOHASHOID", si, func(sig []byte) error { return rsa.VerifyPKCS1v15(pub, 0, raw, sig) })
		tls := digest(crypto.MD5SHA1, msg)
		si = &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: tls}
		check("no hash algorithm (aiHashAlg 0)", si, func(sig []byte) error { return rsa.VerifyPKCS1v15(pub, 0, tls, sig) })
		for name, h := range map[string]crypto.Hash{"SHA256": crypto.SHA256, "SHA384": crypto.SHA384, "SHA1": crypto.SHA1} {
			d := digest(h, msg)
			si := &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange,
				SigningFlags: spec.CardPaddingInfoPresent, PaddingType: engine.PaddingPSS,
				Padding: &engine.PaddingInfo{AlgID: name, HasAlgID: true, SaltLen: uint32(h.Size())}, Data: d}
			check("PSS "+name, si, func(sig []byte) error {
				return rsa.VerifyPSS(pub, h, d, sig, &rsa.PSSOptions{SaltLength: h.Size()})
			})
		}
		// Raw RSA (CARD_PADDING_NONE): a full block below the modulus.
		block := make([]byte, k)
		block[1] = 0x42
		rand.Read(block[2:])
		si = &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange,
			SigningFlags: spec.CardPaddingInfoPresent, PaddingType: engine.PaddingNone, Data: block}
		check("CARD_PADDING_NONE", si, func(sig []byte) error {
			m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(pub.E)), pub.N)
			if !bytes.Equal(m.FillBytes(make([]byte, k)), block) {
				return errMismatch
			}
			return nil
		})
		// AT_SIGNATURE addresses the same RSA key.
		d := digest(crypto.SHA256, msg)
		si = &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATSignature, HashAlg: spec.CALGSHA256, Data: d}
		check("AT_SIGNATURE", si, func(sig []byte) error { return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, sig) })
		logout(t, c)
	}
}

var errMismatch = spec.Errorf(spec.SCardEUnexpected, "mismatch")

// flowSignECDSA: ECDSA P-256 (9C, PIN 3 before every use) and P-384 (9E), signatures as r||s;
// CARD_BUFFER_SIZE_ONLY.
func flowSignECDSA(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	for _, slot := range []byte{piv.SlotSign, piv.SlotCardAuth} {
		idx := containerOf(slot)
		pub, ok := env.Pub(slot).(*ecdsa.PublicKey)
		if !ok {
			t.Fatalf("slot %02X holds no ECC key", slot)
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		si := ecdsaSign(idx, env)
		si.SigningFlags = spec.CardBufferSizeOnly
		if err := c.SignData(si); err != nil || si.SignedSize != 2*size || si.SignedData != nil {
			t.Errorf("container %d CARD_BUFFER_SIZE_ONLY: %d, %v; want %d", idx, si.SignedSize, err, 2*size)
		}
		pin := spec.PINID(1)
		if slot == piv.SlotSign {
			pin = 3
			// PIN 1 is not enough for the 9C key.
			if _, _, err := c.AuthenticateEx(1, 0, env.PIN, false); err != nil {
				t.Fatalf("CardAuthenticateEx(1): %v", err)
			}
			want(t, c.SignData(ecdsaSign(idx, env)), spec.SCardWSecurityViolation, "9C after PIN 1 only")
		}
		for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
			if _, _, err := c.AuthenticateEx(pin, 0, env.PIN, false); err != nil {
				t.Fatalf("CardAuthenticateEx(%d): %v", pin, err)
			}
			d := digest(h, []byte("ecdsa"))
			si := ecdsaSign(idx, env)
			si.Data = d
			if err := c.SignData(si); err != nil {
				t.Errorf("container %d ECDSA %v: %v", idx, h, err)
				continue
			}
			if len(si.SignedData) != 2*size || si.SignedSize != 2*size {
				t.Errorf("container %d: %d-byte signature, want r||s of %d", idx, len(si.SignedData), 2*size)
				continue
			}
			r, s := new(big.Int).SetBytes(si.SignedData[:size]), new(big.Int).SetBytes(si.SignedData[size:])
			hd := d
			if len(hd) > size {
				hd = hd[:size]
			}
			if !ecdsa.Verify(pub, hd, r, s) {
				t.Errorf("container %d ECDSA %v: r||s does not verify", idx, h)
			}
			if slot == piv.SlotSign {
				// Used: the next signature needs PIN 3 again.
				want(t, c.SignData(ecdsaSign(idx, env)), spec.SCardWSecurityViolation, "9C twice after one PIN 3")
			}
		}
		logout(t, c)
	}
}

// flowSignErrors: CARD_SIGNING_INFO checks, before any card I/O.
func flowSignErrors(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	cases := []struct {
		name string
		edit func(si *engine.SigningInfo)
		want spec.Status
	}{
		{"dwVersion 3", func(si *engine.SigningInfo) { si.Version = 3 }, spec.ErrorRevisionMismatch},
		{"dwVersion 1 on a v7 context", func(si *engine.SigningInfo) { si.Version = 1 }, spec.ErrorRevisionMismatch},
		{"dwVersion 0 (= 1) on a v7 context", func(si *engine.SigningInfo) { si.Version = 0 }, spec.ErrorRevisionMismatch},
		{"unknown flag 0x100", func(si *engine.SigningInfo) { si.SigningFlags = 0x100 }, spec.SCardEInvalidParameter},
		{"key spec 0", func(si *engine.SigningInfo) { si.KeySpec = 0 }, spec.SCardEInvalidParameter},
		{"key spec 9", func(si *engine.SigningInfo) { si.KeySpec = 9 }, spec.SCardEInvalidParameter},
		{"AT_ECDSA_P521", func(si *engine.SigningInfo) { si.KeySpec = spec.ATECDSAP521 }, spec.SCardEUnsupportedFeature},
		{"ECDSA key spec on an RSA key", func(si *engine.SigningInfo) { si.KeySpec = spec.ATECDSAP256 }, spec.SCardEInvalidParameter},
		{"empty container 4", func(si *engine.SigningInfo) { si.ContainerIndex = 4 }, spec.SCardENoKeyContainer},
		{"container 200", func(si *engine.SigningInfo) { si.ContainerIndex = 200 }, spec.SCardENoKeyContainer},
		{"31-byte SHA-256 hash", func(si *engine.SigningInfo) { si.Data = si.Data[:31] }, spec.SCardEInvalidParameter},
		{"NULL pbData", func(si *engine.SigningInfo) { si.Data = nil }, spec.SCardEInvalidParameter},
		{"unknown aiHashAlg", func(si *engine.SigningInfo) { si.HashAlg = spec.CALGHMAC }, spec.SCardEUnsupportedFeature},
		{"padding info present but NULL", func(si *engine.SigningInfo) {
			si.SigningFlags, si.PaddingType = spec.CardPaddingInfoPresent, engine.PaddingPKCS1
		}, spec.SCardEInvalidParameter},
		{"PSS without a hash", func(si *engine.SigningInfo) {
			si.SigningFlags, si.PaddingType, si.Padding = spec.CardPaddingInfoPresent, engine.PaddingPSS, &engine.PaddingInfo{SaltLen: 32}
		}, spec.SCardEInvalidParameter},
		{"padding type OAEP", func(si *engine.SigningInfo) {
			si.SigningFlags, si.PaddingType, si.Padding = spec.CardPaddingInfoPresent, engine.PaddingOAEP, &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true}
		}, spec.SCardEInvalidParameter},
		{"unknown hash name", func(si *engine.SigningInfo) {
			si.SigningFlags, si.PaddingType, si.Padding = spec.CardPaddingInfoPresent, engine.PaddingPKCS1, &engine.PaddingInfo{AlgID: "SHA3-256", HasAlgID: true}
		}, spec.SCardEUnsupportedFeature},
		{"raw block of the wrong size", func(si *engine.SigningInfo) {
			si.SigningFlags, si.PaddingType = spec.CardPaddingInfoPresent, engine.PaddingNone
		}, spec.SCardEInvalidParameter},
	}
	for _, tc := range cases {
		si := rsaSign(0, env)
		tc.edit(si)
		want(t, c.SignData(si), tc.want, "CardSignData with %s", tc.name)
	}
	want(t, c.SignData(nil), spec.SCardEInvalidParameter, "CardSignData(NULL)")
	// An ECDSA signature of an empty hash.
	if _, _, err := c.AuthenticateEx(1, 0, env.PIN, false); err != nil {
		t.Fatalf("CardAuthenticateEx: %v", err)
	}
	es := ecdsaSign(containerOf(piv.SlotCardAuth), env)
	es.Data = []byte{}
	want(t, c.SignData(es), spec.SCardEInvalidParameter, "ECDSA of an empty hash")
	es = ecdsaSign(containerOf(piv.SlotCardAuth), env)
	es.KeySpec = spec.ATECDSAP256
	want(t, c.SignData(es), spec.SCardEInvalidParameter, "AT_ECDSA_P256 on the P-384 key")
	logout(t, c)
}

// flowDecrypt: CardRSADecrypt with PKCS#1 v1.5, OAEP (SHA-256 with a label, SHA-1 by default)
// and no padding, in place on the little-endian ciphertext; its errors.
func flowDecrypt(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	for _, slot := range []byte{piv.SlotKeyMgmt, piv.SlotAuth} {
		idx := containerOf(slot)
		pub := env.Pub(slot).(*rsa.PublicKey)
		k := (pub.N.BitLen() + 7) / 8
		le := func(ct []byte) []byte { return leSig(ct) }
		ct, _ := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte("session key"))
		di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingPKCS1}
		want(t, c.RSADecrypt(di), spec.SCardWSecurityViolation, "container %d: decrypt without the PIN", idx)
		if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
			t.Fatalf("CardAuthenticatePin: %v", err)
		}
		di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingPKCS1}
		if err := c.RSADecrypt(di); err != nil || string(di.Data) != "session key" {
			t.Errorf("container %d PKCS#1: %q, %v", idx, di.Data, err)
		}
		ct, _ = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("oaep key"), []byte("label"))
		di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingOAEP,
			OAEP: &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true, Label: []byte("label")}}
		if err := c.RSADecrypt(di); err != nil || string(di.Data) != "oaep key" {
			t.Errorf("container %d OAEP SHA-256 with a label: %q, %v", idx, di.Data, err)
		}
		ct, _ = rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, []byte("sha1 default"), nil)
		di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingOAEP,
			OAEP: &engine.OAEPInfo{}}
		if err := c.RSADecrypt(di); err != nil || string(di.Data) != "sha1 default" {
			t.Errorf("container %d OAEP with a NULL pszAlgId (SHA-1): %q, %v", idx, di.Data, err)
		}
		ct, _ = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte("oaep key"), []byte("other"))
		di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingOAEP,
			OAEP: &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true, Label: []byte("label")}}
		want(t, c.RSADecrypt(di), spec.SCardEInvalidValue, "container %d OAEP with the wrong label", idx)
		// No padding: the raw block comes back little-endian.
		m := make([]byte, k)
		m[2] = 0x77
		rand.Read(m[3:])
		raw := new(big.Int).Exp(new(big.Int).SetBytes(m), big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
		di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(raw), PaddingType: engine.PaddingNone}
		if err := c.RSADecrypt(di); err != nil || !bytes.Equal(di.Data, le(m)) {
			t.Errorf("container %d CARD_PADDING_NONE: %v", idx, err)
		}
		// Errors.
		ct, _ = rsa.EncryptPKCS1v15(rand.Reader, pub, []byte("x"))
		for _, tc := range []struct {
			name string
			di   *engine.RSADecryptInfo
			want spec.Status
		}{
			{"dwVersion 1 on a v7 context", &engine.RSADecryptInfo{Version: 1, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct)}, spec.ErrorRevisionMismatch},
			{"dwVersion 3", &engine.RSADecryptInfo{Version: 3, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingPKCS1}, spec.ErrorRevisionMismatch},
			{"ECC key spec", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATECDHEP256, Data: le(ct), PaddingType: engine.PaddingPKCS1}, spec.SCardEInvalidParameter},
			{"padding PSS", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingPSS}, spec.SCardEInvalidParameter},
			{"OAEP with NULL padding info", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingOAEP}, spec.SCardEInvalidParameter},
			{"OAEP with MD2", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingOAEP,
				OAEP: &engine.OAEPInfo{AlgID: "MD2", HasAlgID: true}}, spec.SCardEUnsupportedFeature},
			{"short buffer", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(ct)[:k-1], PaddingType: engine.PaddingPKCS1}, spec.SCardEInsufficientBuffer},
			{"long buffer", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: append(le(ct), 0), PaddingType: engine.PaddingPKCS1}, spec.SCardEInvalidParameter},
			{"ciphertext above the modulus", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: bytes.Repeat([]byte{0xFF}, k), PaddingType: engine.PaddingPKCS1}, spec.SCardEInvalidParameter},
			{"empty container 4", &engine.RSADecryptInfo{Version: 2, ContainerIndex: 4, KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingPKCS1}, spec.SCardENoKeyContainer},
			{"ECC container", &engine.RSADecryptInfo{Version: 2, ContainerIndex: containerOf(piv.SlotCardAuth), KeySpec: spec.ATKeyExchange, Data: le(ct), PaddingType: engine.PaddingPKCS1}, spec.SCardEInvalidParameter},
			{"NULL pbData", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, PaddingType: engine.PaddingPKCS1}, spec.SCardEInvalidParameter},
			{"bad PKCS#1 padding", &engine.RSADecryptInfo{Version: 2, ContainerIndex: idx, KeySpec: spec.ATKeyExchange, Data: le(raw), PaddingType: engine.PaddingPKCS1}, spec.SCardEInvalidValue},
		} {
			want(t, c.RSADecrypt(tc.di), tc.want, "container %d CardRSADecrypt with %s", idx, tc.name)
		}
		want(t, c.RSADecrypt(nil), spec.SCardEInvalidParameter, "CardRSADecrypt(NULL)")
		logout(t, c)
	}
}
