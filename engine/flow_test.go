package engine_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"slices"
	"testing"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/tlv"
)

func TestLogonFlow(t *testing.T) {
	p := enginetest.Provision(t, enginetest.StandardKeys)
	m := engine.NewModule()
	ctx, host := enginetest.Acquire(t, m, p.Card, true)
	if ctx.Version() != 7 {
		t.Fatalf("version %d", ctx.Version())
	}

	// cardid is the CHUID GUID.
	cardid, err := ctx.ReadFile("", "cardid", 0)
	if err != nil {
		t.Fatal(err)
	}
	guid := mustGUID(t, p)
	if !bytes.Equal(cardid, guid) {
		t.Errorf("cardid %X, CHUID GUID %X", cardid, guid)
	}
	host.Free(cardid)

	cf, err := ctx.ReadFile("", "cardcf", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spec.ParseCacheFile(cf); err != nil {
		t.Fatal(err)
	}
	host.Free(cf)

	cmap, err := ctx.ReadFile("mscp", "cmapfile", 0)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := spec.ParseContainerMap(cmap)
	host.Free(cmap)
	if err != nil || len(recs) != 4 {
		t.Fatalf("cmapfile: %d records, %v", len(recs), err)
	}
	if !recs[0].Valid() || !recs[0].Default() || recs[0].KeyExchangeKeySizeBits != 2048 {
		t.Errorf("record 0: %+v", recs[0])
	}
	if !recs[1].Valid() || recs[1].Default() || recs[1].SigKeySizeBits != 256 {
		t.Errorf("record 1: %+v", recs[1])
	}
	if recs[3].SigKeySizeBits != 384 {
		t.Errorf("record 3: %+v", recs[3])
	}

	// Certificates: RSA key exchange keys as kxc, ECDSA keys as ksc.
	for name, slot := range map[string]byte{"kxc00": piv.SlotAuth, "ksc01": piv.SlotSign, "kxc02": piv.SlotKeyMgmt, "ksc03": piv.SlotCardAuth} {
		der, err := ctx.ReadFile("mscp", name, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(der, p.Certs[slot]) {
			t.Errorf("%s differs from the certificate in slot %02X", name, slot)
		}
		host.Free(der)
	}
	for _, name := range []string{"ksc00", "kxc01", "kxc04"} {
		if _, err := ctx.ReadFile("mscp", name, 0); spec.StatusOf(err) != spec.SCardEFileNotFound {
			t.Errorf("%s: %v, want FILE_NOT_FOUND", name, err)
		}
	}

	// Container info: the public keys as Windows blobs.
	var info engine.ContainerInfo
	info.Version = 1
	if err := ctx.GetContainerInfo(0, 0, &info); err != nil {
		t.Fatal(err)
	}
	pub, alg, err := spec.ParseRSAPublicKeyBlob(info.KeyExPublicKey)
	if err != nil || !pub.Equal(p.Pub[piv.SlotAuth]) || alg != spec.CALGRSAKeyX || info.SigPublicKey != nil {
		t.Fatalf("container 0 key exchange blob: %v %v", err, alg)
	}
	host.Free(info.KeyExPublicKey)
	info = engine.ContainerInfo{Version: 1}
	if err := ctx.GetContainerInfo(1, 0, &info); err != nil {
		t.Fatal(err)
	}
	epub, magic, err := spec.ParseECCPublicKeyBlob(info.SigPublicKey)
	if err != nil || !epub.Equal(p.Pub[piv.SlotSign]) || magic != spec.ECCPublicMagic(spec.ATECDSAP256) {
		t.Fatalf("container 1 signature blob: %v %#x", err, magic)
	}
	host.Free(info.SigPublicKey)

	// Sign with the logon key after the PIN.
	digest := sha256.Sum256([]byte("logon"))
	si := &engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: digest[:]}
	if err := ctx.SignData(si); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Fatalf("sign without PIN: %v", err)
	}
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	if err := ctx.SignData(si); err != nil {
		t.Fatal(err)
	}
	sig := slices.Clone(si.SignedData)
	host.Free(si.SignedData)
	slices.Reverse(sig) // Windows gets RSA signatures little-endian
	if err := rsa.VerifyPKCS1v15(p.Pub[piv.SlotAuth].(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("signature: %v", err)
	}

	// PSS with padding info.
	si = &engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, SigningFlags: spec.CardPaddingInfoPresent,
		PaddingType: engine.PaddingPSS, Padding: &engine.PaddingInfo{AlgID: "SHA256", HasAlgID: true, SaltLen: 32}, Data: digest[:]}
	if err := ctx.SignData(si); err != nil {
		t.Fatal(err)
	}
	sig = slices.Clone(si.SignedData)
	host.Free(si.SignedData)
	slices.Reverse(sig)
	if err := rsa.VerifyPSS(p.Pub[piv.SlotAuth].(*rsa.PublicKey), crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		t.Fatalf("PSS signature: %v", err)
	}

	// The 9C key needs the signature PIN (3) right before each use.
	es := &engine.SigningInfo{Version: 2, ContainerIndex: 1, KeySpec: spec.ATECDSAP256, Data: digest[:]}
	if err := ctx.SignData(es); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Fatalf("9C without a fresh PIN: %v", err)
	}
	if _, _, err := ctx.AuthenticateEx(3, 0, enginetest.PIN, false); err != nil {
		t.Fatal(err)
	}
	if err := ctx.SignData(es); err != nil {
		t.Fatal(err)
	}
	if len(es.SignedData) != 64 {
		t.Fatalf("ECDSA P-256 signature of %d bytes", len(es.SignedData))
	}
	r, s := new(big.Int).SetBytes(es.SignedData[:32]), new(big.Int).SetBytes(es.SignedData[32:])
	host.Free(es.SignedData)
	if !ecdsa.Verify(p.Pub[piv.SlotSign].(*ecdsa.PublicKey), digest[:], r, s) {
		t.Fatal("ECDSA r||s does not verify")
	}

	// Decrypt with 9D: PKCS#1 v1.5, OAEP with SHA-256 and a label, raw.
	pub9d := p.Pub[piv.SlotKeyMgmt].(*rsa.PublicKey)
	ct, _ := rsa.EncryptPKCS1v15(rand.Reader, pub9d, []byte("session key"))
	slices.Reverse(ct)
	di := &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingPKCS1}
	if err := ctx.RSADecrypt(di); err != nil || string(di.Data) != "session key" {
		t.Fatalf("PKCS#1 decrypt: %q %v", di.Data, err)
	}
	ct, _ = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub9d, []byte("oaep key"), []byte("label"))
	slices.Reverse(ct)
	di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingOAEP,
		OAEP: &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true, Label: []byte("label")}}
	if err := ctx.RSADecrypt(di); err != nil || string(di.Data) != "oaep key" {
		t.Fatalf("OAEP decrypt: %q %v", di.Data, err)
	}
	// A wrong label fails, with the one decryption error.
	ct, _ = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub9d, []byte("oaep key"), []byte("other"))
	slices.Reverse(ct)
	di = &engine.RSADecryptInfo{Version: 2, ContainerIndex: 2, KeySpec: spec.ATKeyExchange, Data: ct, PaddingType: engine.PaddingOAEP,
		OAEP: &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true, Label: []byte("label")}}
	if err := ctx.RSADecrypt(di); spec.StatusOf(err) != spec.SCardEInvalidValue {
		t.Fatalf("OAEP with a wrong label: %v", err)
	}

	if err := ctx.DeauthenticateEx(spec.PINSetAllRoles, 0); err != nil {
		t.Fatal(err)
	}
	si = &engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: digest[:]}
	if err := ctx.SignData(si); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Fatalf("sign after deauthenticate: %v", err)
	}
	if err := ctx.DeleteContext(); err != nil {
		t.Fatal(err)
	}
	if host.Live() != 0 {
		t.Errorf("%d buffers not freed", host.Live())
	}
}

func mustGUID(t *testing.T, p *enginetest.Provisioned) []byte {
	t.Helper()
	c := piv.NewClient(p.Card, piv.ClientOptions{})
	chuid, err := c.GetData(piv.ObjCHUID)
	if err != nil {
		t.Fatal(err)
	}
	g, _, _ := tlv.Find(chuid, 0x34)
	return g
}
