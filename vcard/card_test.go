package vcard

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

func TestATR(t *testing.T) {
	atr := ATR()
	if atr[0] != 0x3B {
		t.Fatalf("TS = %02X", atr[0])
	}
	k := int(atr[1] & 0x0F)
	hist := atr[4 : 4+k]
	if string(hist) != History || !strings.Contains(string(hist), "cardmod") {
		t.Errorf("historical bytes %q", hist)
	}
	if len(atr) != 4+k+1 {
		t.Fatalf("ATR length %d", len(atr))
	}
	var x byte
	for _, b := range atr[1:] {
		x ^= b
	}
	if x != 0 {
		t.Errorf("TCK does not check: XOR = %02X", x)
	}
}

func TestSelect(t *testing.T) {
	_, h := newTestCard(t)
	for _, aid := range [][]byte{piv.AID, piv.AID[:9], piv.RID} {
		out := h.must(piv.InsSelect, 0x04, 0x00, aid)
		apt := mustFind(t, out, piv.TagAPT)
		if pix := mustFind(t, apt, 0x4F); !bytes.Equal(pix, piv.PIX) {
			t.Errorf("PIX %X", pix)
		}
		if rid := mustFind(t, mustFind(t, apt, 0x79), 0x4F); !bytes.Equal(rid, piv.RID) {
			t.Errorf("RID %X", rid)
		}
		algs, err := tlv.ParseAll(mustFind(t, apt, 0xAC))
		if err != nil || len(algs) < 5 {
			t.Errorf("algorithms %v %v", algs, err)
		}
	}
	h.expect(apdu.SWFileNotFound, piv.InsSelect, 0x04, 0x00, piv.RID[:4])
	h.expect(apdu.SWFileNotFound, piv.InsSelect, 0x04, 0x00, []byte{0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17})
	h.expect(apdu.SWFileNotFound, piv.InsSelect, 0x04, 0x00, append(bytes.Clone(piv.AID), 0x00))
	h.expect(apdu.SWIncorrectP1P2, piv.InsSelect, 0x00, 0x00, []byte{0x3F, 0x00})
}

func getData(tag uint32) []byte {
	b := []byte{byte(tag >> 16), byte(tag >> 8), byte(tag)}
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return tlv.Encode(piv.TagTagList, b)
}

func putData(tag uint32, content []byte) []byte {
	return append(getData(tag), tlv.Encode(piv.TagData, content)...)
}

func TestGetDataDefaults(t *testing.T) {
	_, h := newTestCard(t)
	chuid := mustFind(t, h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjCHUID)), piv.TagData)
	if guid := mustFind(t, chuid, 0x34); len(guid) != 16 {
		t.Errorf("GUID %X", guid)
	}
	if fasc := mustFind(t, chuid, 0x30); len(fasc) != 25 {
		t.Errorf("FASC-N %X", fasc)
	}
	ccc := mustFind(t, h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjCCC)), piv.TagData)
	if id := mustFind(t, ccc, 0xF0); len(id) != 21 {
		t.Errorf("CCC card identifier %X", id)
	}
	disc := h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjDiscovery))
	if aid := mustFind(t, mustFind(t, disc, 0x7E), 0x4F); !bytes.Equal(aid, piv.AID) {
		t.Errorf("discovery AID %X", aid)
	}
	att := mustFind(t, h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjYubiAttestCert)), piv.TagData)
	if _, err := x509.ParseCertificate(mustFind(t, att, piv.TagCertificate)); err != nil {
		t.Errorf("attestation certificate: %v", err)
	}

	// Two cards get different GUIDs.
	_, h2 := newTestCard(t)
	chuid2 := mustFind(t, h2.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjCHUID)), piv.TagData)
	if bytes.Equal(mustFind(t, chuid, 0x34), mustFind(t, chuid2, 0x34)) {
		t.Error("two cards share a CHUID GUID")
	}
}

func TestDataObjects(t *testing.T) {
	_, h := newTestCard(t)
	cert := bytes.Repeat([]byte{0xAB}, 1500)
	obj := certObject(cert)

	// Writing needs the management key.
	h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, obj))
	h.auth()
	h.must(piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, obj)) // chained: 1500 bytes > 255
	got := mustFind(t, h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjCertAuth)), piv.TagData)
	if !bytes.Equal(got, obj) {
		t.Fatalf("certificate object read back differs")
	}
	// Every retired certificate object works.
	for s := piv.SlotRetired1; s <= piv.SlotRetired20; s++ {
		h.must(piv.InsPutData, 0x3F, 0xFF, putData(piv.CertObject(s), []byte{s}))
		if got := mustFind(t, h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.CertObject(s))), piv.TagData); !bytes.Equal(got, []byte{s}) {
			t.Errorf("retired %02X: %X", s, got)
		}
	}
	// Opaque biometric objects and the security object.
	for _, tag := range []uint32{piv.ObjFacialImage, piv.ObjFingerprints, piv.ObjSecurity, piv.ObjKeyHistory, piv.ObjPrintedInfo, piv.ObjIris} {
		h.must(piv.InsPutData, 0x3F, 0xFF, putData(tag, []byte{1, 2, 3}))
	}
	// PIN-protected objects need the PIN.
	for _, tag := range []uint32{piv.ObjFacialImage, piv.ObjFingerprints, piv.ObjPrintedInfo, piv.ObjIris} {
		h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsGetData, 0x3F, 0xFF, getData(tag))
	}
	h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjSecurity))
	if sw := h.verify("123456"); sw != apdu.SWOK {
		t.Fatal(sw)
	}
	for _, tag := range []uint32{piv.ObjFacialImage, piv.ObjFingerprints, piv.ObjPrintedInfo, piv.ObjIris} {
		h.must(piv.InsGetData, 0x3F, 0xFF, getData(tag))
	}
	// Discovery object written in its own form.
	h.must(piv.InsPutData, 0x3F, 0xFF, tlv.Encode(0x7E, tlv.Encode(0x4F, piv.AID)))
	if d := h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjDiscovery)); !bytes.Equal(d, tlv.Encode(0x7E, tlv.Encode(0x4F, piv.AID))) {
		t.Errorf("discovery %X", d)
	}
	// Empty content deletes.
	h.must(piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, nil))
	h.expect(apdu.SWFileNotFound, piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjCertAuth))
	// Too large for one object.
	h.expect(apdu.SWNotEnoughMemory, piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, make([]byte, MaxObjectSize+1)))
	// Capacity: fill until full.
	full := false
	for s := piv.SlotRetired1; s <= piv.SlotRetired20; s++ {
		if _, sw := h.send(piv.InsPutData, 0x3F, 0xFF, putData(piv.CertObject(s), make([]byte, MaxObjectSize))); sw == apdu.SWNotEnoughMemory {
			full = true
			break
		} else if sw != apdu.SWOK {
			t.Fatalf("filling: %v", sw)
		}
	}
	if !full {
		t.Error("the card never reported that it is full")
	}
}

func TestDataObjectErrors(t *testing.T) {
	_, h := newTestCard(t)
	h.auth()
	cases := []struct {
		name string
		ins  byte
		p1   byte
		p2   byte
		data []byte
		want apdu.SW
	}{
		{"get: wrong P1P2", piv.InsGetData, 0x3F, 0x00, getData(piv.ObjCHUID), apdu.SWIncorrectP1P2},
		{"get: no tag list", piv.InsGetData, 0x3F, 0xFF, []byte{0x53, 0x00}, apdu.SWWrongData},
		{"get: bad TLV", piv.InsGetData, 0x3F, 0xFF, []byte{0x5C, 0x05, 0x5F}, apdu.SWWrongData},
		{"get: empty tag", piv.InsGetData, 0x3F, 0xFF, []byte{0x5C, 0x00}, apdu.SWWrongData},
		{"get: 4-byte tag", piv.InsGetData, 0x3F, 0xFF, []byte{0x5C, 0x04, 0x5F, 0xC1, 0x02, 0x00}, apdu.SWWrongData},
		{"get: trailing element", piv.InsGetData, 0x3F, 0xFF, append(getData(piv.ObjCHUID), 0x53, 0x00), apdu.SWWrongData},
		{"get: unknown object", piv.InsGetData, 0x3F, 0xFF, getData(0x5FC1FF), apdu.SWFileNotFound},
		{"get: absent object", piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjCertSign), apdu.SWFileNotFound},
		{"put: wrong P1P2", piv.InsPutData, 0x3F, 0x00, putData(piv.ObjCHUID, []byte{1}), apdu.SWIncorrectP1P2},
		{"put: no 53", piv.InsPutData, 0x3F, 0xFF, getData(piv.ObjCHUID), apdu.SWWrongData},
		{"put: wrong nesting", piv.InsPutData, 0x3F, 0xFF, tlv.Encode(0x53, getData(piv.ObjCHUID)), apdu.SWWrongData},
		{"put: unknown object", piv.InsPutData, 0x3F, 0xFF, putData(0x5FC1FF, []byte{1}), apdu.SWFileNotFound},
		{"put: discovery wrapped in 53", piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjDiscovery, []byte{1}), apdu.SWWrongData},
		{"put: truncated", piv.InsPutData, 0x3F, 0xFF, []byte{0x5C, 0x03, 0x5F, 0xC1, 0x05, 0x53, 0x82, 0x01}, apdu.SWWrongData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.card.Snapshot()
			h.expect(tc.want, tc.ins, tc.p1, tc.p2, tc.data)
			if !SameState(before, h.card.Snapshot()) {
				t.Error("state changed")
			}
		})
	}
}

func TestVerify(t *testing.T) {
	_, h := newTestCard(t)
	h.expect(apdu.SW(0x63C3), piv.InsVerify, 0, piv.RefPIN, nil)
	if sw := h.verify("654321"); sw != apdu.SW(0x63C2) {
		t.Fatalf("wrong PIN: %v", sw)
	}
	h.expect(apdu.SW(0x63C2), piv.InsVerify, 0, piv.RefPIN, nil)
	if sw := h.verify("123456"); sw != apdu.SWOK {
		t.Fatalf("right PIN: %v", sw)
	}
	h.expect(apdu.SWOK, piv.InsVerify, 0, piv.RefPIN, nil)                   // verified, counter refilled
	h.expect(apdu.SWOK, piv.InsVerify, 0xFF, piv.RefPIN, nil)                // log out
	h.expect(apdu.SW(0x63C3), piv.InsVerify, 0, piv.RefPIN, nil)             // no longer verified
	h.expect(apdu.SWWrongData, piv.InsVerify, 0, piv.RefPIN, []byte("1234")) // not 8 bytes
	h.expect(apdu.SWReferencedDataNotFound, piv.InsVerify, 0, piv.RefPUK, pad8("12345678"))
	h.expect(apdu.SWReferencedDataNotFound, piv.InsVerify, 0, piv.RefGlobalPIN, pad8("123456"))
	h.expect(apdu.SWIncorrectP1P2, piv.InsVerify, 0x01, piv.RefPIN, pad8("123456"))
	h.expect(apdu.SWWrongLength, piv.InsVerify, 0xFF, piv.RefPIN, pad8("123456"))

	// A wrong PIN clears the security status; three block the PIN; the right one is refused then.
	h.verify("123456")
	h.verify("000000")
	h.expect(apdu.SW(0x63C2), piv.InsVerify, 0, piv.RefPIN, nil)
	h.verify("000000")
	if sw := h.verify("000000"); sw != apdu.SWAuthMethodBlocked {
		t.Fatalf("third wrong PIN: %v", sw)
	}
	if sw := h.verify("123456"); sw != apdu.SWAuthMethodBlocked {
		t.Fatalf("right PIN on a blocked card: %v", sw)
	}
	h.expect(apdu.SWAuthMethodBlocked, piv.InsVerify, 0, piv.RefPIN, nil)
	if got := h.card.Snapshot().PIN.Remaining; got != 0 {
		t.Errorf("remaining %d", got)
	}
}

func TestChangeAndUnblock(t *testing.T) {
	_, h := newTestCard(t)
	both := func(a, b string) []byte { return append(pad8(a), pad8(b)...) }
	h.expect(apdu.SW(0x63C2), piv.InsChangeReference, 0, piv.RefPIN, both("111111", "222222"))
	h.must(piv.InsChangeReference, 0, piv.RefPIN, both("123456", "87654321"))
	if sw := h.verify("123456"); sw != apdu.SW(0x63C2) {
		t.Fatalf("old PIN after change: %v", sw)
	}
	if sw := h.verify("87654321"); sw != apdu.SWOK {
		t.Fatalf("new PIN: %v", sw)
	}
	// An invalid new value costs nothing.
	h.expect(apdu.SWWrongData, piv.InsChangeReference, 0, piv.RefPIN, append(pad8("87654321"), pad8("12345")...))
	h.expect(apdu.SWWrongData, piv.InsChangeReference, 0, piv.RefPIN, append(pad8("87654321"), 0x31, 0xFF, 0x31, 0x31, 0x31, 0x31, 0x31, 0x31))
	h.expect(apdu.SWWrongData, piv.InsChangeReference, 0, piv.RefPIN, pad8("87654321"))
	h.expect(apdu.SWReferencedDataNotFound, piv.InsChangeReference, 0, piv.RefMgmKey, both("87654321", "123456"))
	if rem := h.card.Snapshot().PIN.Remaining; rem != 3 {
		t.Errorf("remaining after rejected changes %d", rem)
	}
	// PUK change.
	h.must(piv.InsChangeReference, 0, piv.RefPUK, both("12345678", "abcdefgh"))
	// Block the PIN, unblock with the PUK.
	for range 3 {
		h.verify("000000")
	}
	h.expect(apdu.SW(0x63C2), piv.InsResetRetryCounter, 0, piv.RefPIN, both("12345678", "111111"))
	h.expect(apdu.SWReferencedDataNotFound, piv.InsResetRetryCounter, 0, piv.RefPUK, both("abcdefgh", "111111"))
	h.expect(apdu.SWWrongData, piv.InsResetRetryCounter, 0, piv.RefPIN, both("abcdefgh", "11"))
	h.must(piv.InsResetRetryCounter, 0, piv.RefPIN, both("abcdefgh", "111111"))
	if sw := h.verify("111111"); sw != apdu.SWOK {
		t.Fatalf("PIN after unblock: %v", sw)
	}
	st := h.card.Snapshot()
	if st.PUK.Remaining != 3 || st.PIN.Remaining != 3 || st.PIN.IsDefault || st.PUK.IsDefault {
		t.Errorf("counters after unblock: PIN %d PUK %d", st.PIN.Remaining, st.PUK.Remaining)
	}
	// Block the PUK: unblocking is impossible then.
	for range 3 {
		h.send(piv.InsResetRetryCounter, 0, piv.RefPIN, both("00000000", "111111"))
	}
	h.expect(apdu.SWAuthMethodBlocked, piv.InsResetRetryCounter, 0, piv.RefPIN, both("abcdefgh", "111111"))
	h.expect(apdu.SWAuthMethodBlocked, piv.InsChangeReference, 0, piv.RefPUK, both("abcdefgh", "111111"))
}

func TestManagementKey(t *testing.T) {
	for _, tc := range []struct {
		alg byte
		key []byte
	}{
		{piv.Alg3DES, bytes.Repeat([]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, 3)},
		{piv.AlgAES128, bytes.Repeat([]byte{0x42}, 16)},
		{piv.AlgAES192, bytes.Repeat([]byte{0x43}, 24)},
		{piv.AlgAES256, bytes.Repeat([]byte{0x44}, 32)},
	} {
		t.Run(piv.AlgName(tc.alg), func(t *testing.T) {
			c, err := New(Options{MgmAlg: tc.alg, MgmKey: tc.key, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			h := newHost(t, c)
			wrong := bytes.Clone(tc.key)
			wrong[0] ^= 0x02 // not the DES parity bit
			if sw := h.mgmAuth(tc.alg, wrong); sw != apdu.SWSecurityStatusNotSatisfied {
				t.Fatalf("wrong key: %v", sw)
			}
			h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjSecurity, []byte{1}))
			if sw := h.mgmAuth(tc.alg, tc.key); sw != apdu.SWOK {
				t.Fatalf("right key: %v", sw)
			}
			h.must(piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjSecurity, []byte{1}))
			other := piv.AlgAES128
			if tc.alg == piv.AlgAES128 {
				other = piv.Alg3DES
			}
			h.expect(apdu.SWIncorrectP1P2, piv.InsGeneralAuth, other, piv.RefMgmKey, []byte{0x7C, 0x02, 0x80, 0x00})

			// External authentication: the card sends a challenge, the host returns it encrypted.
			blk := cipherFor(t, tc.alg, tc.key)
			out := h.must(piv.InsGeneralAuth, tc.alg, piv.RefMgmKey, []byte{0x7C, 0x02, 0x81, 0x00})
			ch := mustFind(t, mustFind(t, out, piv.TagDynAuth), piv.TagChallenge)
			resp := make([]byte, blk.BlockSize())
			blk.Encrypt(resp, ch)
			h.must(piv.InsGeneralAuth, tc.alg, piv.RefMgmKey, tlv.Encode(piv.TagDynAuth, tlv.Encode(piv.TagResponse, resp)))
			// A response without a challenge, or with another command in between, is refused.
			h.expect(apdu.SWConditionsNotSatisfied, piv.InsGeneralAuth, tc.alg, piv.RefMgmKey, tlv.Encode(piv.TagDynAuth, tlv.Encode(piv.TagResponse, resp)))
			out = h.must(piv.InsGeneralAuth, tc.alg, piv.RefMgmKey, []byte{0x7C, 0x02, 0x81, 0x00})
			ch = mustFind(t, mustFind(t, out, piv.TagDynAuth), piv.TagChallenge)
			blk.Encrypt(resp, ch)
			h.must(piv.InsGetVersion, 0, 0, nil)
			h.expect(apdu.SWConditionsNotSatisfied, piv.InsGeneralAuth, tc.alg, piv.RefMgmKey, tlv.Encode(piv.TagDynAuth, tlv.Encode(piv.TagResponse, resp)))
			h.expect(apdu.SWWrongData, piv.InsGeneralAuth, tc.alg, piv.RefMgmKey, []byte{0x7C, 0x00})
			h.expect(apdu.SWWrongData, piv.InsGeneralAuth, tc.alg, piv.RefMgmKey, []byte{0x7D, 0x02, 0x80, 0x00})
		})
	}
}

// keyCase is one algorithm of the private-key tests.
type keyCase struct {
	alg  byte
	slow bool
}

var keyCases = []keyCase{{piv.AlgRSA1024, false}, {piv.AlgRSA2048, false}, {piv.AlgRSA3072, true}, {piv.AlgRSA4096, true},
	{piv.AlgECCP256, false}, {piv.AlgECCP384, false}}

func TestGenerateSignDecryptECDH(t *testing.T) {
	for _, kc := range keyCases {
		t.Run(piv.AlgName(kc.alg), func(t *testing.T) {
			if kc.slow && testing.Short() {
				t.Skip("slow key generation skipped with -short")
			}
			t.Parallel()
			c, h := newTestCard(t)
			h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsGenerateAsymmetric, 0, piv.SlotAuth,
				tlv.Encode(piv.TagKeyGenTemplate, []byte{0x80, 0x01, kc.alg}))
			h.auth()
			pub := h.generate(piv.SlotAuth, kc.alg)
			digest := digestOf("hello")
			h.verify("123456")
			sig, sw := h.sign(piv.SlotAuth, kc.alg, digest)
			if sw != apdu.SWOK {
				t.Fatalf("sign: %v", sw)
			}
			switch p := pub.(type) {
			case *rsa.PublicKey:
				if err := rsa.VerifyPKCS1v15(p, crypto.SHA256, digest, sig); err != nil {
					t.Fatalf("RSA signature: %v", err)
				}
				// Decryption: a PKCS#1 v1.5 ciphertext comes back as the padded block.
				ct, err := rsa.EncryptPKCS1v15(rand.Reader, p, []byte("session key"))
				if err != nil {
					t.Fatal(err)
				}
				out := h.must(piv.InsGeneralAuth, kc.alg, piv.SlotAuth, gaTemplate(piv.TagChallenge, ct))
				plain := mustFind(t, mustFind(t, out, piv.TagDynAuth), piv.TagResponse)
				if len(plain) != len(ct) || !bytes.HasSuffix(plain, []byte("\x00session key")) || plain[1] != 2 {
					t.Fatalf("decrypted block %X", plain)
				}
				// Input of the wrong length, or not below the modulus.
				h.expect(apdu.SWWrongData, piv.InsGeneralAuth, kc.alg, piv.SlotAuth, gaTemplate(piv.TagChallenge, ct[1:]))
				h.expect(apdu.SWWrongData, piv.InsGeneralAuth, kc.alg, piv.SlotAuth, gaTemplate(piv.TagChallenge, bytes.Repeat([]byte{0xFF}, len(ct))))
				h.expect(apdu.SWWrongData, piv.InsGeneralAuth, kc.alg, piv.SlotAuth, gaTemplate(piv.TagExponentiate, ct))
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(p, digest, sig) {
					t.Fatal("ECDSA signature does not verify")
				}
				// ECDH with a peer key: both sides compute the same secret.
				ek, _ := p.ECDH()
				peer, err := ek.Curve().GenerateKey(rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				out := h.must(piv.InsGeneralAuth, kc.alg, piv.SlotAuth, gaTemplate(piv.TagExponentiate, peer.PublicKey().Bytes()))
				got := mustFind(t, mustFind(t, out, piv.TagDynAuth), piv.TagResponse)
				want, _ := peer.ECDH(ek)
				if !bytes.Equal(got, want) {
					t.Fatal("ECDH secrets differ")
				}
				bad := bytes.Clone(peer.PublicKey().Bytes())
				bad[len(bad)-1] ^= 1 // off the curve
				h.expect(apdu.SWWrongData, piv.InsGeneralAuth, kc.alg, piv.SlotAuth, gaTemplate(piv.TagExponentiate, bad))
				h.expect(apdu.SWWrongData, piv.InsGeneralAuth, kc.alg, piv.SlotAuth, gaTemplate(piv.TagExponentiate, bad[:10]))
			}
			// Wrong algorithm in P1, empty slot, malformed template.
			other := piv.AlgECCP256
			if kc.alg == piv.AlgECCP256 {
				other = piv.AlgRSA2048
			}
			h.expect(apdu.SWIncorrectP1P2, piv.InsGeneralAuth, other, piv.SlotAuth, gaTemplate(piv.TagChallenge, digest))
			h.expect(apdu.SWReferencedDataNotFound, piv.InsGeneralAuth, kc.alg, piv.SlotKeyMgmt, gaTemplate(piv.TagChallenge, digest))
			h.expect(apdu.SWWrongData, piv.InsGeneralAuth, kc.alg, piv.SlotAuth, tlv.Encode(piv.TagDynAuth, tlv.Encode(piv.TagChallenge, digest)))
			h.expect(apdu.SWIncorrectP1P2, piv.InsGeneralAuth, kc.alg, 0x42, gaTemplate(piv.TagChallenge, digest))
			checkNoPrivateKeyLeak(t, h, c)
		})
	}
}

func TestPINPolicies(t *testing.T) {
	_, h := newTestCard(t)
	h.auth()
	h.generate(piv.SlotAuth, piv.AlgECCP256)
	h.generate(piv.SlotSign, piv.AlgECCP256)
	h.generate(piv.SlotCardAuth, piv.AlgECCP256)
	h.generate(piv.SlotRetired1, piv.AlgECCP256)
	h.generate(0x83, piv.AlgECCP256, 0xAA, 0x01, piv.PINPolicyNever) // explicit policy
	d := digestOf("x")
	sign := func(slot byte) apdu.SW { _, sw := h.sign(slot, piv.AlgECCP256, d); return sw }

	// Without a PIN only 9E and the never-policy key work.
	for slot, want := range map[byte]apdu.SW{piv.SlotAuth: apdu.SWSecurityStatusNotSatisfied, piv.SlotSign: apdu.SWSecurityStatusNotSatisfied,
		piv.SlotRetired1: apdu.SWSecurityStatusNotSatisfied, piv.SlotCardAuth: apdu.SWOK, 0x83: apdu.SWOK} {
		if sw := sign(slot); sw != want {
			t.Errorf("slot %02X without PIN: %v, want %v", slot, sw, want)
		}
	}
	h.verify("123456")
	if sw := sign(piv.SlotSign); sw != apdu.SWOK {
		t.Fatalf("9C right after VERIFY: %v", sw)
	}
	if sw := sign(piv.SlotSign); sw != apdu.SWSecurityStatusNotSatisfied {
		t.Fatalf("9C a second time: %v", sw)
	}
	for _, slot := range []byte{piv.SlotAuth, piv.SlotAuth, piv.SlotRetired1} {
		if sw := sign(slot); sw != apdu.SWOK {
			t.Errorf("slot %02X after VERIFY: %v", slot, sw)
		}
	}
	h.verify("123456")
	if sw := sign(piv.SlotSign); sw != apdu.SWOK {
		t.Fatalf("9C after a new VERIFY: %v", sw)
	}
	// Reset and power cycles clear the security status.
	h.card.Reset()
	if sw := sign(piv.SlotAuth); sw != apdu.SWSecurityStatusNotSatisfied {
		t.Errorf("after reset: %v", sw)
	}
	h.verify("123456")
	h.card.PowerOff()
	h.card.PowerOn()
	if sw := sign(piv.SlotAuth); sw != apdu.SWSecurityStatusNotSatisfied {
		t.Errorf("after power cycle: %v", sw)
	}
}

func TestGenerateErrors(t *testing.T) {
	_, h := newTestCard(t)
	h.auth()
	tmpl := func(b ...byte) []byte { return tlv.Encode(piv.TagKeyGenTemplate, b) }
	cases := []struct {
		name   string
		p1, p2 byte
		data   []byte
		want   apdu.SW
	}{
		{"management key slot", 0, piv.RefMgmKey, tmpl(0x80, 1, piv.AlgECCP256), apdu.SWIncorrectP1P2},
		{"P1 not zero", 1, piv.SlotAuth, tmpl(0x80, 1, piv.AlgECCP256), apdu.SWIncorrectP1P2},
		{"symmetric algorithm", 0, piv.SlotAuth, tmpl(0x80, 1, piv.AlgAES128), apdu.SWWrongData},
		{"unknown algorithm", 0, piv.SlotAuth, tmpl(0x80, 1, 0x42), apdu.SWWrongData},
		{"no algorithm", 0, piv.SlotAuth, tmpl(), apdu.SWWrongData},
		{"bad PIN policy", 0, piv.SlotAuth, tmpl(0x80, 1, piv.AlgECCP256, 0xAA, 1, 9), apdu.SWWrongData},
		{"bad touch policy", 0, piv.SlotAuth, tmpl(0x80, 1, piv.AlgECCP256, 0xAB, 1, 9), apdu.SWWrongData},
		{"unknown element", 0, piv.SlotAuth, tmpl(0x80, 1, piv.AlgECCP256, 0x99, 0), apdu.SWWrongData},
		{"no template", 0, piv.SlotAuth, []byte{0x80, 1, piv.AlgECCP256}, apdu.SWWrongData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.card.Snapshot()
			h.expect(tc.want, piv.InsGenerateAsymmetric, tc.p1, tc.p2, tc.data)
			if !SameState(before, h.card.Snapshot()) {
				t.Error("state changed")
			}
		})
	}
}

func rsaImportData(k *rsa.PrivateKey, half int) []byte {
	fill := func(x []byte) []byte { // left-pad to half the modulus size, as yubico-piv-tool does
		out := make([]byte, half)
		copy(out[half-len(x):], x)
		return out
	}
	var b tlv.Builder
	b.Add(0x01, fill(k.Primes[0].Bytes()))
	b.Add(0x02, fill(k.Primes[1].Bytes()))
	b.Add(0x03, fill(k.Precomputed.Dp.Bytes()))
	b.Add(0x04, fill(k.Precomputed.Dq.Bytes()))
	b.Add(0x05, fill(k.Precomputed.Qinv.Bytes()))
	return b.Bytes()
}

func TestImportKey(t *testing.T) {
	c, h := newTestCard(t)
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	data := rsaImportData(rk, 128)
	h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsImportKey, piv.AlgRSA2048, piv.SlotKeyMgmt, data)
	h.auth()
	h.must(piv.InsImportKey, piv.AlgRSA2048, piv.SlotKeyMgmt, append(data, 0xAA, 0x01, piv.PINPolicyNever)) // chained
	d := digestOf("import")
	sig, sw := h.sign(piv.SlotKeyMgmt, piv.AlgRSA2048, d)
	if sw != apdu.SWOK {
		t.Fatalf("sign with imported key: %v", sw)
	}
	if err := rsa.VerifyPKCS1v15(&rk.PublicKey, crypto.SHA256, d, sig); err != nil {
		t.Fatal(err)
	}
	// Same with one extended APDU.
	h.ex.ExtendedLength = true
	h.must(piv.InsImportKey, piv.AlgRSA2048, piv.SlotRetired1, data)
	h.ex.ExtendedLength = false

	ek, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	scalar, _ := ek.Bytes()
	h.must(piv.InsImportKey, piv.AlgECCP384, piv.SlotCardAuth, tlv.Encode(0x06, scalar))
	sig, sw = h.sign(piv.SlotCardAuth, piv.AlgECCP384, d)
	if sw != apdu.SWOK || !ecdsa.VerifyASN1(&ek.PublicKey, d, sig) {
		t.Fatalf("sign with imported EC key: %v", sw)
	}
	md := h.must(piv.InsGetMetadata, 0, piv.SlotCardAuth, nil)
	if o := mustFind(t, md, 0x03); !bytes.Equal(o, []byte{piv.OriginImported}) {
		t.Errorf("origin %X", o)
	}

	badQ := rsaImportData(rk, 128)
	badQ[len(badQ)-1] ^= 1 // qInv no longer matches
	cases := []struct {
		name   string
		p1, p2 byte
		data   []byte
		want   apdu.SW
	}{
		{"RSA components inconsistent", piv.AlgRSA2048, piv.SlotAuth, badQ, apdu.SWWrongData},
		{"RSA size mismatch", piv.AlgRSA3072, piv.SlotAuth, data, apdu.SWWrongData},
		{"RSA missing component", piv.AlgRSA2048, piv.SlotAuth, data[:len(data)-131], apdu.SWWrongData},
		{"EC scalar too long", piv.AlgECCP256, piv.SlotAuth, tlv.Encode(0x06, scalar), apdu.SWWrongData},
		{"EC scalar zero", piv.AlgECCP256, piv.SlotAuth, tlv.Encode(0x06, make([]byte, 32)), apdu.SWWrongData},
		{"EC with RSA parts", piv.AlgECCP256, piv.SlotAuth, append(tlv.Encode(0x06, scalar[:32]), 0x01, 0x01, 0x05), apdu.SWWrongData},
		{"symmetric algorithm", piv.AlgAES128, piv.SlotAuth, tlv.Encode(0x06, scalar[:32]), apdu.SWIncorrectP1P2},
		{"not a key slot", piv.AlgECCP256, 0x80, tlv.Encode(0x06, scalar[:32]), apdu.SWIncorrectP1P2},
		{"garbage", piv.AlgECCP256, piv.SlotAuth, []byte{0x06, 0x40, 0x01}, apdu.SWWrongData},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.card.Snapshot()
			h.expect(tc.want, piv.InsImportKey, tc.p1, tc.p2, tc.data)
			if !SameState(before, h.card.Snapshot()) {
				t.Error("state changed")
			}
		})
	}
	checkNoPrivateKeyLeak(t, h, c)
}

func TestSetManagementKey(t *testing.T) {
	_, h := newTestCard(t)
	aes256 := bytes.Repeat([]byte{0x77}, 32)
	set := append([]byte{piv.AlgAES256, piv.RefMgmKey, 32}, aes256...)
	h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsSetMgmKey, 0xFF, 0xFF, set)
	h.auth()
	for _, bad := range [][]byte{
		{piv.AlgAES256, piv.RefMgmKey, 16},
		append([]byte{piv.AlgAES256, piv.RefMgmKey, 16}, aes256[:16]...),
		append([]byte{piv.AlgRSA2048, piv.RefMgmKey, 32}, aes256...),
		append([]byte{piv.AlgAES256, 0x9A, 32}, aes256...),
	} {
		h.expect(apdu.SWWrongData, piv.InsSetMgmKey, 0xFF, 0xFF, bad)
	}
	h.expect(apdu.SWIncorrectP1P2, piv.InsSetMgmKey, 0x00, 0xFF, set)
	h.must(piv.InsSetMgmKey, 0xFF, 0xFF, set)
	if sw := h.mgmAuth(piv.Alg3DES, DefaultMgmKey); sw != apdu.SWIncorrectP1P2 {
		t.Errorf("old key algorithm: %v", sw)
	}
	if sw := h.mgmAuth(piv.AlgAES256, aes256); sw != apdu.SWOK {
		t.Errorf("new key: %v", sw)
	}
	md := h.must(piv.InsGetMetadata, 0, piv.RefMgmKey, nil)
	if !bytes.Equal(mustFind(t, md, 0x01), []byte{piv.AlgAES256}) || !bytes.Equal(mustFind(t, md, 0x05), []byte{0}) {
		t.Errorf("metadata %X", md)
	}
}

func TestResetCard(t *testing.T) {
	_, h := newTestCard(t)
	h.auth()
	h.generate(piv.SlotAuth, piv.AlgECCP256)
	h.must(piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, []byte{1, 2, 3}))
	oldGUID := mustFind(t, h.card.Snapshot().Objects[piv.ObjCHUID], 0x34)
	h.expect(apdu.SWConditionsNotSatisfied, piv.InsReset, 0, 0, nil)
	for range 3 {
		h.verify("000000")
	}
	h.expect(apdu.SWConditionsNotSatisfied, piv.InsReset, 0, 0, nil)
	for range 3 {
		h.send(piv.InsResetRetryCounter, 0, piv.RefPIN, append(pad8("00000000"), pad8("123456")...))
	}
	h.expect(apdu.SWIncorrectP1P2, piv.InsReset, 1, 0, nil)
	h.must(piv.InsReset, 0, 0, nil)
	st := h.card.Snapshot()
	if len(st.Keys) != 0 || st.Objects[piv.ObjCertAuth] != nil {
		t.Error("keys or certificates survived the reset")
	}
	if bytes.Equal(mustFind(t, st.Objects[piv.ObjCHUID], 0x34), oldGUID) {
		t.Error("CHUID GUID unchanged by reset")
	}
	if st.Objects[piv.ObjYubiAttestCert] == nil || st.Serial != 12345678 {
		t.Error("attestation certificate or serial lost")
	}
	if sw := h.verify("123456"); sw != apdu.SWOK {
		t.Errorf("default PIN after reset: %v", sw)
	}
	h.auth()
}

func TestSetPINRetries(t *testing.T) {
	_, h := newTestCard(t)
	h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsSetPINRetries, 5, 6, nil)
	h.auth()
	h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsSetPINRetries, 5, 6, nil)
	h.verify("123456")
	h.expect(apdu.SWIncorrectP1P2, piv.InsSetPINRetries, 0, 6, nil)
	h.must(piv.InsSetPINRetries, 5, 6, nil)
	md := h.must(piv.InsGetMetadata, 0, piv.RefPIN, nil)
	if got := mustFind(t, md, 0x06); !bytes.Equal(got, []byte{5, 5}) {
		t.Errorf("PIN retries %X", got)
	}
	md = h.must(piv.InsGetMetadata, 0, piv.RefPUK, nil)
	if got := mustFind(t, md, 0x06); !bytes.Equal(got, []byte{6, 6}) {
		t.Errorf("PUK retries %X", got)
	}
	h.expect(apdu.SW(0x63C5), piv.InsVerify, 0, piv.RefPIN, nil)
}

func TestMetadataVersionSerial(t *testing.T) {
	_, h := newTestCard(t)
	if v := h.must(piv.InsGetVersion, 0, 0, nil); !bytes.Equal(v, DefaultVersion[:]) {
		t.Errorf("version %X", v)
	}
	if s := h.must(piv.InsGetSerial, 0, 0, nil); binary.BigEndian.Uint32(s) != 12345678 {
		t.Errorf("serial %X", s)
	}
	h.expect(apdu.SWIncorrectP1P2, piv.InsGetSerial, 1, 0, nil)
	md := h.must(piv.InsGetMetadata, 0, piv.RefPIN, nil)
	if !bytes.Equal(mustFind(t, md, 0x05), []byte{1}) || !bytes.Equal(mustFind(t, md, 0x06), []byte{3, 3}) {
		t.Errorf("PIN metadata %X", md)
	}
	md = h.must(piv.InsGetMetadata, 0, piv.RefMgmKey, nil)
	if !bytes.Equal(mustFind(t, md, 0x01), []byte{piv.Alg3DES}) || !bytes.Equal(mustFind(t, md, 0x05), []byte{1}) {
		t.Errorf("management key metadata %X", md)
	}
	h.expect(apdu.SWReferencedDataNotFound, piv.InsGetMetadata, 0, piv.SlotAuth, nil)
	h.expect(apdu.SWReferencedDataNotFound, piv.InsGetMetadata, 0, 0x42, nil)
	h.auth()
	pub := h.generate(piv.SlotSign, piv.AlgECCP256, 0xAB, 0x01, piv.TouchPolicyAlways)
	md = h.must(piv.InsGetMetadata, 0, piv.SlotSign, nil)
	if !bytes.Equal(mustFind(t, md, 0x02), []byte{piv.PINPolicyAlways, piv.TouchPolicyAlways}) ||
		!bytes.Equal(mustFind(t, md, 0x03), []byte{piv.OriginGenerated}) {
		t.Errorf("key metadata %X", md)
	}
	if got := parsePublic(t, piv.AlgECCP256, mustFind(t, md, 0x04)); !got.(*ecdsa.PublicKey).Equal(pub) {
		t.Error("metadata public key differs from the generated one")
	}
	h.must(piv.InsGetMetadata, 0, piv.SlotAttestation, nil)
	// A PIN change clears the default flag.
	h.must(piv.InsChangeReference, 0, piv.RefPIN, append(pad8("123456"), pad8("999999")...))
	md = h.must(piv.InsGetMetadata, 0, piv.RefPIN, nil)
	if !bytes.Equal(mustFind(t, md, 0x05), []byte{0}) {
		t.Errorf("PIN default flag after change %X", md)
	}
}

func TestAttest(t *testing.T) {
	_, h := newTestCard(t)
	h.auth()
	pub := h.generate(piv.SlotAuth, piv.AlgRSA2048)
	der := h.must(piv.InsAttest, piv.SlotAuth, 0, nil) // longer than 256 bytes: 61xx + GET RESPONSE
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("attestation: %v", err)
	}
	att := mustFind(t, mustFind(t, h.must(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjYubiAttestCert)), piv.TagData), piv.TagCertificate)
	issuer, err := x509.ParseCertificate(att)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(issuer); err != nil {
		t.Fatalf("attestation signature: %v", err)
	}
	if !cert.PublicKey.(*rsa.PublicKey).Equal(pub) {
		t.Error("attested key differs")
	}
	found := false
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidSerial) {
			found = true
		}
	}
	if !found {
		t.Error("no serial extension")
	}
	h.expect(apdu.SWReferencedDataNotFound, piv.InsAttest, piv.SlotSign, 0, nil)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	scalar, _ := ek.Bytes()
	h.must(piv.InsImportKey, piv.AlgECCP256, piv.SlotSign, tlv.Encode(0x06, scalar))
	h.expect(apdu.SWWrongData, piv.InsAttest, piv.SlotSign, 0, nil)
	h.expect(apdu.SWIncorrectP1P2, piv.InsAttest, piv.RefMgmKey, 0, nil)
}

func TestISOTransport(t *testing.T) {
	_, h := newTestCard(t)
	cases := []struct {
		name string
		cmd  []byte
		want apdu.SW
	}{
		{"unknown INS", []byte{0x00, 0x42, 0x00, 0x00}, apdu.SWINSNotSupported},
		{"proprietary CLA", []byte{0x80, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x00}, apdu.SWCLANotSupported},
		{"secure messaging CLA", []byte{0x0C, 0xCB, 0x3F, 0xFF, 0x00}, apdu.SWCLANotSupported},
		{"too short", []byte{0x00, 0xCB, 0x3F}, apdu.SWWrongLength},
		{"Lc larger than data", []byte{0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F}, apdu.SWWrongLength},
		{"Lc smaller than data", []byte{0x00, 0xCB, 0x3F, 0xFF, 0x01, 0x5C, 0x03, 0x5F, 0xC1, 0x02, 0x00, 0x00}, apdu.SWWrongLength},
		{"bad extended length", []byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05, 0x5C}, apdu.SWWrongLength},
		{"GET RESPONSE with nothing pending", []byte{0x00, 0xC0, 0x00, 0x00, 0x00}, apdu.SWConditionsNotSatisfied},
		{"GET RESPONSE wrong P1", []byte{0x00, 0xC0, 0x01, 0x00, 0x00}, apdu.SWIncorrectP1P2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.card.Snapshot()
			if _, sw := h.raw(tc.cmd); sw != tc.want {
				t.Errorf("got %v, want %v", sw, tc.want)
			}
			if !SameState(before, h.card.Snapshot()) {
				t.Error("state changed")
			}
		})
	}

	// Response chaining by hand: a 2000-byte object read with Le=00 comes in 256-byte chunks.
	h.auth()
	content := bytes.Repeat([]byte{0xC5}, 2000)
	h.must(piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, content))
	get := append([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x05}, append(getData(piv.ObjCertAuth), 0x00)...)
	data, sw := h.raw(get)
	var all []byte
	rounds := 0
	for sw&0xFF00 == 0x6100 {
		all = append(all, data...)
		if len(data) != 256 {
			t.Fatalf("chunk of %d bytes", len(data))
		}
		data, sw = h.raw([]byte{0x00, 0xC0, 0x00, 0x00, byte(sw)})
		rounds++
	}
	all = append(all, data...)
	if sw != apdu.SWOK || rounds != 7 || !bytes.Equal(mustFind(t, all, piv.TagData), content) {
		t.Fatalf("chained read: %v after %d rounds, %d bytes", sw, rounds, len(all))
	}
	// Another command discards the rest of a pending response.
	_, sw = h.raw(get)
	h.raw([]byte{0x00, 0xFD, 0x00, 0x00, 0x00})
	if _, sw = h.raw([]byte{0x00, 0xC0, 0x00, 0x00, 0x00}); sw != apdu.SWConditionsNotSatisfied {
		t.Errorf("GET RESPONSE after another command: %v", sw)
	}
	// Extended Le returns everything at once.
	ext := append([]byte{0x00, 0xCB, 0x3F, 0xFF, 0x00, 0x00, 0x05}, append(getData(piv.ObjCertAuth), 0x00, 0x00)...)
	if data, sw = h.raw(ext); sw != apdu.SWOK || len(data) != 2004 {
		t.Errorf("extended read: %v, %d bytes", sw, len(data))
	}
	// A chain aborted by a different command does not complete.
	part := append([]byte{0x10, 0xDB, 0x3F, 0xFF, 0x05}, getData(piv.ObjSecurity)...)
	if _, sw = h.raw(part); sw != apdu.SWOK {
		t.Fatalf("chained part: %v", sw)
	}
	h.raw([]byte{0x00, 0xFD, 0x00, 0x00, 0x00})
	if _, sw = h.raw([]byte{0x00, 0xDB, 0x3F, 0xFF, 0x03, 0x53, 0x01, 0x01}); sw != apdu.SWWrongData {
		t.Errorf("tail of an aborted chain: %v", sw)
	}
	// A chain longer than the card accepts.
	big := bytes.Repeat([]byte{0}, 255)
	for i := 0; i < maxCommandData/255; i++ {
		h.raw(append([]byte{0x10, 0xDB, 0x3F, 0xFF, 0xFF}, big...))
	}
	if _, sw = h.raw(append([]byte{0x10, 0xDB, 0x3F, 0xFF, 0xFF}, big...)); sw != apdu.SWWrongLength {
		t.Errorf("oversized chain: %v", sw)
	}
}

// checkNoPrivateKeyLeak looks for any private key material in every response the card gave.
func checkNoPrivateKeyLeak(t *testing.T, h *host, c *Card) {
	t.Helper()
	var secrets [][]byte
	for _, k := range c.keys {
		switch key := k.(type) {
		case *rsa.PrivateKey:
			secrets = append(secrets, key.D.Bytes()[:16], key.Primes[0].Bytes()[:16], key.Primes[1].Bytes()[:16])
		case *ecdsa.PrivateKey:
			b, _ := key.Bytes()
			secrets = append(secrets, b[:16])
		}
	}
	if len(secrets) == 0 {
		t.Fatal("no keys to look for")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, rsp := range h.seen {
		for _, s := range secrets {
			if bytes.Contains(rsp, s) {
				t.Fatalf("a response contains private key material")
			}
		}
	}
}

// TestConcurrentUse drives one card from many goroutines (run with -race): every command is
// processed whole, one at a time.
func TestConcurrentUse(t *testing.T) {
	c, _ := newTestCard(t)
	done := make(chan error, 8)
	for g := range 8 {
		go func() {
			h := newHost(t, c)
			for i := range 50 {
				if out, sw := h.send(piv.InsGetData, 0x3F, 0xFF, getData(piv.ObjCHUID)); sw != apdu.SWOK || len(out) < 20 {
					done <- fmt.Errorf("goroutine %d read %d: %v", g, i, sw)
					return
				}
				h.send(piv.InsVerify, 0, piv.RefPIN, nil)
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
