package mdflow

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// The enrollment flows write to the card as the Windows Base CSP does when it enrolls a
// certificate. They authenticate the admin role with the card's management key by
// challenge/response besides the PIN, so that the minidriver never needs (and never replaces) the
// default management key, whatever its management key policy: every flow leaves the card as it
// found it, as far as the minidriver shows it (PIV cannot erase a key: a generated or imported key
// stays in its slot, referenced by nothing).

// enrollLogin verifies the PIN (CardAuthenticatePin) and authenticates ROLE_ADMIN by
// challenge/response (CardGetChallengeEx(ROLE_ADMIN), CardAuthenticateChallenge) with the card's
// management key.
func enrollLogin(t T, c Context, env Env) {
	t.Helper()
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	ch, err := c.GetChallengeEx(spec.RoleAdmin, 0)
	if err != nil {
		t.Fatalf("CardGetChallengeEx(ROLE_ADMIN): %v", err)
	}
	resp, err := mgmResponse(env.MgmAlg, env.MgmKey, ch)
	if err != nil {
		t.Fatalf("admin response: %v", err)
	}
	if _, err := c.AuthenticateChallenge(resp); err != nil {
		t.Fatalf("CardAuthenticateChallenge: %v", err)
	}
	if st := authState(t, c); !st.Has(spec.RoleUser) || !st.Has(spec.RoleAdmin) {
		t.Errorf("CP_CARD_AUTHENTICATED_STATE %#x after the PIN and the challenge: want ROLE_USER and ROLE_ADMIN", uint32(st))
	}
}

// quietLogin is enrollLogin for the clean-up of a flow that failed: errors are ignored.
func quietLogin(c Context, env Env) {
	_, _ = c.AuthenticatePin(spec.CardUserUser, env.PIN)
	if ch, err := c.GetChallengeEx(spec.RoleAdmin, 0); err == nil {
		if resp, err := mgmResponse(env.MgmAlg, env.MgmKey, ch); err == nil {
			_, _ = c.AuthenticateChallenge(resp)
		}
	}
}

// enrollLogout ends both roles (CardDeauthenticate of the user and the admin, then every role).
func enrollLogout(t T, c Context) {
	t.Helper()
	want(t, c.Deauthenticate(spec.CardUserUser, 0), spec.Success, "CardDeauthenticate(user)")
	want(t, c.Deauthenticate(spec.CardUserAdmin, 0), spec.Success, "CardDeauthenticate(admin)")
	logout(t, c)
	if st := authState(t, c); st != 0 {
		t.Errorf("CP_CARD_AUTHENTICATED_STATE %#x after logging out", uint32(st))
	}
}

// readCmap reads and parses mscp/cmapfile.
func readCmap(t T, c Context) ([]byte, []spec.ContainerMapRecord) {
	t.Helper()
	b, err := c.ReadFile(spec.DirBaseCSP, spec.FileContainerMap, 0)
	if err != nil {
		t.Fatalf("CardReadFile(mscp/cmapfile): %v", err)
	}
	recs, err := spec.ParseContainerMap(b)
	if err != nil {
		t.Fatalf("cmapfile: %v", err)
	}
	return b, recs
}

// readCardcf reads cardcf.
func readCardcf(t T, c Context) []byte {
	t.Helper()
	b, err := c.ReadFile("", spec.FileCache, 0)
	if err != nil {
		t.Fatalf("CardReadFile(cardcf): %v", err)
	}
	if _, err := spec.ParseCacheFile(b); err != nil {
		t.Fatalf("cardcf: %v", err)
	}
	return b
}

// freeIndexes lists the container indexes cmapfile does not use (as the Base CSP picks them:
// a record that is neither valid nor named), checked free with CardGetContainerInfo.
func freeIndexes(t T, c Context, recs []spec.ContainerMapRecord, n int) []byte {
	t.Helper()
	var out []byte
	for i := 0; i < 24 && len(out) < n; i++ {
		if i < len(recs) && (recs[i].Valid() || recs[i].Name() != "") {
			continue
		}
		err := c.GetContainerInfo(byte(i), 0, &engine.ContainerInfo{Version: 1})
		if !want(t, err, spec.SCardENoKeyContainer, "CardGetContainerInfo(%d), free in cmapfile", i) {
			continue
		}
		out = append(out, byte(i))
	}
	if len(out) < n {
		t.Fatalf("cmapfile has %d free container indexes, want %d", len(out), n)
	}
	return out
}

// withRecord returns cmapfile with record idx set (the file grown as needed).
func withRecord(recs []spec.ContainerMapRecord, idx byte, r spec.ContainerMapRecord) []byte {
	out := slices.Clone(recs)
	for len(out) <= int(idx) {
		out = append(out, spec.ContainerMapRecord{})
	}
	out[idx] = r
	return spec.MarshalContainerMap(out)
}

// containerGUIDName is a container name as the Base CSP makes them: a GUID in braces.
func containerGUIDName() string {
	var g [16]byte
	_, _ = rand.Read(g[:])
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// bumpedCardcf is cardcf with the containers and files counters incremented, as the Base CSP
// writes it after changing containers and files.
func bumpedCardcf(t T, cf []byte) []byte {
	t.Helper()
	f, err := spec.ParseCacheFile(cf)
	if err != nil {
		t.Fatalf("cardcf: %v", err)
	}
	f.BumpContainers()
	f.BumpFiles()
	return f.MarshalBinary()
}

// containerPublicKey reads a container's public key with CardGetContainerInfo: the key exchange
// blob (PUBLICKEYBLOB) of an AT_KEYEXCHANGE container, the signature blob
// (BCRYPT_ECCPUBLIC_BLOB) of an ECDSA one.
func containerPublicKey(t T, c Context, idx byte, ks spec.KeySpec) crypto.PublicKey {
	t.Helper()
	info := &engine.ContainerInfo{Version: 1}
	if err := c.GetContainerInfo(idx, 0, info); err != nil {
		t.Fatalf("CardGetContainerInfo(%d): %v", idx, err)
	}
	if ks.IsECDSA() {
		if info.KeyExPublicKey != nil {
			t.Errorf("container %d: an ECDSA container with a key exchange blob", idx)
		}
		k, magic, err := spec.ParseECCPublicKeyBlob(info.SigPublicKey)
		if err != nil || magic != spec.ECCPublicMagic(ks) {
			t.Fatalf("container %d: ECC public key blob %X: %v (magic %#x, want %#x)", idx, info.SigPublicKey, err, magic, spec.ECCPublicMagic(ks))
		}
		return k
	}
	if info.SigPublicKey != nil {
		t.Errorf("container %d: a key exchange container with a signature blob", idx)
	}
	k, alg, err := spec.ParseRSAPublicKeyBlob(info.KeyExPublicKey)
	if err != nil || alg != spec.CALGRSAKeyX {
		t.Fatalf("container %d: RSA public key blob: %v (aiKeyAlg %v)", idx, err, alg)
	}
	return k
}

// signVerify signs a SHA-256 digest with container idx (the PIN verified) and checks the
// signature with pub: PKCS#1 v1.5 for RSA (little-endian, as CryptoAPI returns it), r||s for
// ECDSA.
func signVerify(t T, c Context, idx byte, ks spec.KeySpec, pub crypto.PublicKey) {
	t.Helper()
	d := sha256.Sum256([]byte("enrolled by mdflow"))
	si := &engine.SigningInfo{Version: 2, ContainerIndex: idx, KeySpec: ks, Data: d[:]}
	if !ks.IsECDSA() {
		si.HashAlg = spec.CALGSHA256
	}
	if err := c.SignData(si); err != nil {
		t.Errorf("CardSignData(container %d): %v", idx, err)
		return
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], leSig(si.SignedData)); err != nil {
			t.Errorf("container %d: the RSA signature (reversed from little-endian) does not verify: %v", idx, err)
		}
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().BitSize + 7) / 8
		if len(si.SignedData) != 2*n {
			t.Errorf("container %d: %d-byte ECDSA signature, want r||s of %d", idx, len(si.SignedData), 2*n)
			return
		}
		r, s := new(big.Int).SetBytes(si.SignedData[:n]), new(big.Int).SetBytes(si.SignedData[n:])
		if !ecdsa.Verify(k, d[:], r, s) {
			t.Errorf("container %d: the ECDSA r||s signature does not verify", idx)
		}
	default:
		t.Errorf("container %d: public key of type %T", idx, pub)
	}
}

// issueCert makes a certificate for pub signed by a throwaway CA (a P-256 key made here).
func issueCert(t T, pub crypto.PublicKey, cn string) []byte {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("CA key: %v", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mdflow throwaway CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatalf("CA certificate: %v", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatalf("CA certificate: %v", err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, ok := pub.(*rsa.PublicKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	return der
}

// flowEnrollRSA: enrollment of an RSA-2048 key exchange key generated on the card, with its
// certificate (mscp/kxcNN).
func flowEnrollRSA(t T, md Minidriver, env Env) {
	enrollGenerated(t, md, env, spec.ATKeyExchange, 2048)
}

// flowEnrollECC: enrollment of an ECDSA P-256 key generated on the card, with its certificate
// (mscp/kscNN).
func flowEnrollECC(t T, md Minidriver, env Env) {
	enrollGenerated(t, md, env, spec.ATECDSAP256, 256)
}

// enrollGenerated runs what the Base CSP does to enroll a certificate with a new key: PIN and
// admin; cardcf and cmapfile read; the first free index; CardCreateContainerEx(KEY_GEN, PIN 1);
// the public key from CardGetContainerInfo; the certificate (issued here) created and written to
// mscp/kxcNN or kscNN; cmapfile with the new record and cardcf bumped written. A new context then
// sees the container, its key and certificate, signs with it, and a cardcf that changed. Then
// everything is undone: the certificate file and the container deleted, the original cmapfile
// written back.
func enrollGenerated(t T, md Minidriver, env Env, ks spec.KeySpec, bits uint32) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	enrollLogin(t, c, env)
	cf0 := readCardcf(t, c)
	cmap0, recs := readCmap(t, c)
	idx := freeIndexes(t, c, recs, 1)[0]
	prefix := spec.UserKeyExchangeCertPrefix
	if ks.IsECDSA() {
		prefix = spec.UserSignatureCertPrefix
	}
	certName := spec.CertFileName(prefix, idx)

	created := false
	cleaned := false
	defer func() {
		// A flow stopped half-way still removes what it put on the card.
		if created && !cleaned {
			quietLogin(c, env)
			_ = c.DeleteFile(spec.DirBaseCSP, certName, 0)
			_ = c.DeleteContainer(idx, 0)
			_ = c.WriteFile(spec.DirBaseCSP, spec.FileContainerMap, 0, cmap0)
			logout(t, c)
		}
	}()

	if err := c.CreateContainerEx(idx, spec.CardCreateContainerKeyGen, ks, bits, nil, spec.RoleUser); err != nil {
		t.Fatalf("CardCreateContainerEx(%d, KEY_GEN, %v, %d, PIN 1): %v", idx, ks, bits, err)
	}
	created = true
	pub := containerPublicKey(t, c, idx, ks)
	if p, err := c.GetContainerProperty(idx, spec.CCPPINIdentifier, 0, 0); err != nil || !bytes.Equal(p.Data, le32(uint32(spec.RoleUser))) {
		t.Errorf("CCP_PIN_IDENTIFIER of the new container %d: %X, %v; want ROLE_USER", idx, p.Data, err)
	}
	signVerify(t, c, idx, ks, pub) // usable before it has a certificate

	der := issueCert(t, pub, fmt.Sprintf("mdflow %v container %d", ks, idx))
	if err := c.CreateFile(spec.DirBaseCSP, certName, uint32(len(der)), spec.EveryoneReadUserWriteAc); err != nil {
		t.Fatalf("CardCreateFile(mscp/%s): %v", certName, err)
	}
	if err := c.WriteFile(spec.DirBaseCSP, certName, 0, der); err != nil {
		t.Fatalf("CardWriteFile(mscp/%s, %d bytes): %v", certName, len(der), err)
	}
	var r spec.ContainerMapRecord
	name := containerGUIDName()
	if err := r.SetName(name); err != nil {
		t.Fatalf("container name: %v", err)
	}
	r.Flags = spec.ContainerMapValidContainer
	if ks.IsECDSA() {
		r.SigKeySizeBits = uint16(bits)
	} else {
		r.KeyExchangeKeySizeBits = uint16(bits)
	}
	cmap1 := withRecord(recs, idx, r)
	if err := c.WriteFile(spec.DirBaseCSP, spec.FileContainerMap, 0, cmap1); err != nil {
		t.Fatalf("CardWriteFile(mscp/cmapfile): %v", err)
	}
	// The Base CSP reads cardcf at the start of each transaction and writes it back bumped after
	// a change.
	if err := c.WriteFile("", spec.FileCache, 0, bumpedCardcf(t, readCardcf(t, c))); err != nil {
		t.Errorf("CardWriteFile(cardcf): %v", err)
	}
	enrollLogout(t, c)

	// What another process sees.
	c2 := open(t, md, env)
	defer done(t, c2)
	if cf := readCardcf(t, c2); bytes.Equal(cf, cf0) {
		t.Errorf("cardcf %X unchanged by the enrollment", cf)
	}
	_, recs2 := readCmap(t, c2)
	if int(idx) >= len(recs2) || recs2[idx].Name() != name || !recs2[idx].Valid() {
		t.Errorf("cmapfile record %d after the enrollment: %+v; want %q, valid", idx, recs2, name)
	} else if got := recs2[idx]; got.SigKeySizeBits != r.SigKeySizeBits || got.KeyExchangeKeySizeBits != r.KeyExchangeKeySizeBits {
		t.Errorf("cmapfile record %d: key sizes %d/%d, want %d/%d", idx, got.SigKeySizeBits, got.KeyExchangeKeySizeBits,
			r.SigKeySizeBits, r.KeyExchangeKeySizeBits)
	}
	if pub2 := containerPublicKey(t, c2, idx, ks); !keyEqual(pub2, pub) {
		t.Errorf("container %d: another context sees a different public key", idx)
	}
	names, err := c2.EnumFiles(spec.DirBaseCSP, 0)
	if err != nil || !slices.Contains(spec.ParseMultiStringANSI(names), certName) {
		t.Errorf("CardEnumFiles(mscp) = %q, %v; want %s listed", spec.ParseMultiStringANSI(names), err, certName)
	}
	got, err := c2.ReadFile(spec.DirBaseCSP, certName, 0)
	if err != nil || !bytes.Equal(got, der) {
		t.Errorf("CardReadFile(mscp/%s): %d bytes, %v; want the %d bytes written", certName, len(got), err, len(der))
	}
	if fi, err := c2.GetFileInfo(spec.DirBaseCSP, certName); err != nil || fi.FileSize != uint32(len(der)) {
		t.Errorf("CardGetFileInfo(mscp/%s) = %+v, %v", certName, fi, err)
	}
	cert, err := x509.ParseCertificate(got)
	if err != nil {
		t.Fatalf("the certificate read back: %v", err)
	}
	if !keyEqual(cert.PublicKey, pub) {
		t.Errorf("the certificate's key is not the container's")
	}
	if _, err := c2.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	signVerify(t, c2, idx, ks, cert.PublicKey)

	// Clean up: certificate file, container, cmapfile as it was.
	enrollLogin(t, c2, env)
	want(t, c2.DeleteFile(spec.DirBaseCSP, certName, 0), spec.Success, "CardDeleteFile(mscp/%s)", certName)
	want(t, c2.DeleteContainer(idx, 0), spec.Success, "CardDeleteContainer(%d)", idx)
	want(t, c2.DeleteContainer(idx, 0), spec.Success, "CardDeleteContainer(%d) again (no container is no error)", idx)
	want(t, c2.WriteFile(spec.DirBaseCSP, spec.FileContainerMap, 0, cmap0), spec.Success, "CardWriteFile(mscp/cmapfile) restored")
	cleaned = true
	enrollLogout(t, c2)

	c3 := open(t, md, env)
	defer done(t, c3)
	if b, _ := readCmap(t, c3); !bytes.Equal(b, cmap0) {
		t.Errorf("cmapfile after the clean-up differs from the original:\n%X\nwant\n%X", b, cmap0)
	}
	want(t, c3.GetContainerInfo(idx, 0, &engine.ContainerInfo{Version: 1}), spec.SCardENoKeyContainer, "CardGetContainerInfo(%d) after CardDeleteContainer", idx)
	_, err = c3.ReadFile(spec.DirBaseCSP, certName, 0)
	want(t, err, spec.SCardEFileNotFound, "CardReadFile(mscp/%s) after the clean-up", certName)
	for _, s := range StandardSlots {
		if got, err := c3.ReadFile(spec.DirBaseCSP, certFile(s), 0); err != nil || !bytes.Equal(got, env.Cert(s)) {
			t.Errorf("CardReadFile(mscp/%s) after the clean-up: %v (or a different certificate)", certFile(s), err)
		}
	}
}

// keyEqual compares two public keys.
func keyEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// flowEnrollImport: CardCreateContainerEx(KEY_IMPORT) of a CAPI PRIVATEKEYBLOB (RSA-2048
// AT_KEYEXCHANGE) and of a BCRYPT_ECCPRIVATE_BLOB (ECDSA P-256); the containers show the
// imported public keys and sign for them; they are deleted again.
func flowEnrollImport(t T, md Minidriver, env Env) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("RSA key: %v", err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ECC key: %v", err)
	}
	keys := []struct {
		ks   spec.KeySpec
		bits uint32
		blob []byte
		pub  crypto.PublicKey
	}{
		{spec.ATKeyExchange, 2048, spec.MarshalRSAPrivateKeyBlob(rsaKey, spec.CALGRSAKeyX), rsaKey.Public()},
		{spec.ATECDSAP256, 256, spec.MarshalECCPrivateKeyBlob(ecKey, spec.ECCPrivateMagic(spec.ATECDSAP256)), ecKey.Public()},
	}

	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	enrollLogin(t, c, env)
	cmap0, recs := readCmap(t, c)
	idxs := freeIndexes(t, c, recs, len(keys))
	var created []byte
	defer func() {
		for _, idx := range created {
			want(t, c.DeleteContainer(idx, 0), spec.Success, "CardDeleteContainer(%d)", idx)
		}
		want(t, c.WriteFile(spec.DirBaseCSP, spec.FileContainerMap, 0, cmap0), spec.Success, "CardWriteFile(mscp/cmapfile) restored")
		if b, _ := readCmap(t, c); !bytes.Equal(b, cmap0) {
			t.Errorf("cmapfile after the clean-up differs from the original")
		}
		enrollLogout(t, c)
	}()
	for i, k := range keys {
		idx := idxs[i]
		if err := c.CreateContainerEx(idx, spec.CardCreateContainerKeyImport, k.ks, k.bits, k.blob, spec.RoleUser); err != nil {
			t.Errorf("CardCreateContainerEx(%d, KEY_IMPORT, %v): %v", idx, k.ks, err)
			continue
		}
		created = append(created, idx)
		if pub := containerPublicKey(t, c, idx, k.ks); !keyEqual(pub, k.pub) {
			t.Errorf("container %d: the public key is not the imported key's", idx)
		}
		signVerify(t, c, idx, k.ks, k.pub)
	}
	// Another context sees the imported keys.
	c2 := open(t, md, env)
	defer done(t, c2)
	for i, idx := range created {
		if pub := containerPublicKey(t, c2, idx, keys[i].ks); !keyEqual(pub, keys[i].pub) {
			t.Errorf("container %d: another context sees a different public key", idx)
		}
	}
}

// flowEnrollFiles: a 5000-byte file in mscp (it spans file store objects) created, written, read
// back (in another context too), listed, described and deleted; a directory created, refused
// while it holds a file, deleted; CardQueryFreeSpace goes down and back up.
func flowEnrollFiles(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	enrollLogin(t, c, env)
	const name, dir = "mdflowf", "mdflowd"
	data := make([]byte, 5000)
	_, _ = rand.Read(data)
	fs0, err := c.QueryFreeSpace(0)
	if err != nil {
		t.Fatalf("CardQueryFreeSpace: %v", err)
	}
	if fs0.BytesAvailable < uint32(len(data)) {
		t.Fatalf("CardQueryFreeSpace: %d bytes available, the flow needs %d", fs0.BytesAvailable, len(data))
	}
	var fileMade, dirMade, dirFileMade bool
	defer func() {
		if dirFileMade {
			_ = c.DeleteFile(dir, name, 0)
		}
		if dirMade {
			_ = c.DeleteDirectory(dir)
		}
		if fileMade {
			_ = c.DeleteFile(spec.DirBaseCSP, name, 0)
		}
		enrollLogout(t, c)
	}()

	if err := c.CreateFile(spec.DirBaseCSP, name, uint32(len(data)), spec.EveryoneReadUserWriteAc); err != nil {
		t.Fatalf("CardCreateFile(mscp/%s, %d): %v", name, len(data), err)
	}
	fileMade = true
	want(t, c.CreateFile(spec.DirBaseCSP, name, 1, spec.EveryoneReadUserWriteAc), spec.ErrorFileExists, "CardCreateFile(mscp/%s) twice", name)
	if err := c.WriteFile(spec.DirBaseCSP, name, 0, data); err != nil {
		t.Fatalf("CardWriteFile(mscp/%s, %d bytes): %v", name, len(data), err)
	}
	if got, err := c.ReadFile(spec.DirBaseCSP, name, 0); err != nil || !bytes.Equal(got, data) {
		t.Errorf("CardReadFile(mscp/%s): %d bytes, %v; want the %d written", name, len(got), err, len(data))
	}
	if fi, err := c.GetFileInfo(spec.DirBaseCSP, name); err != nil ||
		fi != (spec.FileInfo{Version: 1, FileSize: uint32(len(data)), AccessCondition: spec.EveryoneReadUserWriteAc}) {
		t.Errorf("CardGetFileInfo(mscp/%s) = %+v, %v", name, fi, err)
	}
	names, err := c.EnumFiles(spec.DirBaseCSP, 0)
	if err != nil || !slices.Contains(spec.ParseMultiStringANSI(names), name) {
		t.Errorf("CardEnumFiles(mscp) = %q, %v; want %s listed", spec.ParseMultiStringANSI(names), err, name)
	}
	fs1, err := c.QueryFreeSpace(0)
	if err != nil || fs1.BytesAvailable >= fs0.BytesAvailable || fs1.BytesAvailable+uint32(len(data)) > fs0.BytesAvailable ||
		fs1.KeyContainersAvailable != fs0.KeyContainersAvailable {
		t.Errorf("CardQueryFreeSpace with the file = %+v, %v; before %+v", fs1, err, fs0)
	}
	// Shorter content replaces the old.
	short := data[:100]
	want(t, c.WriteFile(spec.DirBaseCSP, name, 0, short), spec.Success, "CardWriteFile(mscp/%s, 100 bytes)", name)
	// Another context reads it (everyone may read) and sees the new size.
	c2 := open(t, md, env)
	if got, err := c2.ReadFile(spec.DirBaseCSP, name, 0); err != nil || !bytes.Equal(got, short) {
		t.Errorf("CardReadFile(mscp/%s) in another context: %d bytes, %v", name, len(got), err)
	}
	if fi, err := c2.GetFileInfo(spec.DirBaseCSP, name); err != nil || fi.FileSize != uint32(len(short)) {
		t.Errorf("CardGetFileInfo(mscp/%s) in another context = %+v, %v", name, fi, err)
	}
	done(t, c2)
	want(t, c.WriteFile(spec.DirBaseCSP, name, 0, data), spec.Success, "CardWriteFile(mscp/%s, %d bytes) again", name, len(data))

	// A directory of our own.
	if err := c.CreateDirectory(dir, spec.UserCreateDeleteDirAc); err != nil {
		t.Fatalf("CardCreateDirectory(%s): %v", dir, err)
	}
	dirMade = true
	want(t, c.CreateDirectory(dir, spec.UserCreateDeleteDirAc), spec.ErrorFileExists, "CardCreateDirectory(%s) twice", dir)
	if err := c.CreateFile(dir, name, 16, spec.UserReadWriteAc); err != nil {
		t.Errorf("CardCreateFile(%s/%s): %v", dir, name, err)
	} else {
		dirFileMade = true
		want(t, c.WriteFile(dir, name, 0, data[:16]), spec.Success, "CardWriteFile(%s/%s)", dir, name)
		if got, err := c.ReadFile(dir, name, 0); err != nil || !bytes.Equal(got, data[:16]) {
			t.Errorf("CardReadFile(%s/%s): %X, %v", dir, name, got, err)
		}
		if names, err := c.EnumFiles(dir, 0); err != nil || !slices.Equal(spec.ParseMultiStringANSI(names), []string{name}) {
			t.Errorf("CardEnumFiles(%s) = %q, %v", dir, spec.ParseMultiStringANSI(names), err)
		}
		want(t, c.DeleteDirectory(dir), spec.ErrorDirNotEmpty, "CardDeleteDirectory(%s) holding a file", dir)
		// A user-only file: another context without the PIN cannot read it.
		c3 := open(t, md, env)
		_, err := c3.ReadFile(dir, name, 0)
		want(t, err, spec.SCardWSecurityViolation, "CardReadFile(%s/%s) (user read) without the PIN", dir, name)
		done(t, c3)
		if want(t, c.DeleteFile(dir, name, 0), spec.Success, "CardDeleteFile(%s/%s)", dir, name) {
			dirFileMade = false
		}
	}
	if want(t, c.DeleteDirectory(dir), spec.Success, "CardDeleteDirectory(%s)", dir) {
		dirMade = false
	}
	_, err = c.EnumFiles(dir, 0)
	want(t, err, spec.SCardEDirNotFound, "CardEnumFiles(%s) after CardDeleteDirectory", dir)

	if want(t, c.DeleteFile(spec.DirBaseCSP, name, 0), spec.Success, "CardDeleteFile(mscp/%s)", name) {
		fileMade = false
	}
	_, err = c.ReadFile(spec.DirBaseCSP, name, 0)
	want(t, err, spec.SCardEFileNotFound, "CardReadFile(mscp/%s) after CardDeleteFile", name)
	want(t, c.DeleteFile(spec.DirBaseCSP, name, 0), spec.SCardEFileNotFound, "CardDeleteFile(mscp/%s) twice", name)
	names, err = c.EnumFiles(spec.DirBaseCSP, 0)
	if err != nil || slices.Contains(spec.ParseMultiStringANSI(names), name) {
		t.Errorf("CardEnumFiles(mscp) after CardDeleteFile = %q, %v", spec.ParseMultiStringANSI(names), err)
	}
	if fs2, err := c.QueryFreeSpace(0); err != nil || fs2 != fs0 {
		t.Errorf("CardQueryFreeSpace after the clean-up = %+v, %v; want %+v as before", fs2, err, fs0)
	}
}

// flowEnrollErrors: writes without the PIN, bad container creation parameters, a missing file,
// a certificate that does not belong to its container, CardDeleteContainer's dwReserved. None of
// them changes cmapfile or cardcf.
func flowEnrollErrors(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	cf0 := readCardcf(t, c)
	cmap0, recs := readCmap(t, c)
	idx := freeIndexes(t, c, recs, 1)[0]
	sv := spec.SCardWSecurityViolation
	want(t, c.CreateContainerEx(idx, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil, spec.RoleUser), sv,
		"CardCreateContainerEx(%d) without the PIN", idx)
	want(t, c.CreateContainer(idx, spec.CardCreateContainerKeyGen, spec.ATECDSAP256, 256, nil), sv, "CardCreateContainer(%d) without the PIN", idx)
	want(t, c.DeleteContainer(0, 0), sv, "CardDeleteContainer(0) without the PIN")
	want(t, c.CreateFile(spec.DirBaseCSP, "mdflowe", 10, spec.EveryoneReadUserWriteAc), sv, "CardCreateFile without the PIN")
	want(t, c.WriteFile(spec.DirBaseCSP, spec.FileContainerMap, 0, cmap0), sv, "CardWriteFile(mscp/cmapfile) without the PIN")
	want(t, c.WriteFile("", spec.FileCache, 0, cf0), sv, "CardWriteFile(cardcf) without the PIN")
	want(t, c.DeleteFile(spec.DirBaseCSP, certFile(StandardSlots[0]), 0), sv, "CardDeleteFile(mscp/%s) without the PIN", certFile(StandardSlots[0]))
	want(t, c.CreateDirectory("mdflowe", spec.UserCreateDeleteDirAc), sv, "CardCreateDirectory without the PIN")
	want(t, c.SetContainerProperty(0, spec.CCPPINIdentifier, le32(3), 0), sv, "CardSetContainerProperty without the PIN")

	// With the PIN and the admin (so that a write that wrongly succeeded would not need the
	// default management key).
	enrollLogin(t, c, env)
	ip := spec.SCardEInvalidParameter
	want(t, c.CreateContainerEx(idx, 3, spec.ATKeyExchange, 2048, nil, spec.RoleUser), ip, "CardCreateContainerEx with flags 3")
	want(t, c.CreateContainerEx(idx, 0, spec.ATKeyExchange, 2048, nil, spec.RoleUser), ip, "CardCreateContainerEx with flags 0")
	want(t, c.CreateContainerEx(24, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil, spec.RoleUser), spec.SCardENoKeyContainer,
		"CardCreateContainerEx(24)")
	want(t, c.CreateContainerEx(idx, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil, spec.RoleAdmin), ip,
		"CardCreateContainerEx guarded by ROLE_ADMIN")
	want(t, c.CreateContainerEx(idx, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 1000, nil, spec.RoleUser), ip,
		"CardCreateContainerEx(RSA-1000)")
	want(t, c.CreateContainerEx(idx, spec.CardCreateContainerKeyGen, spec.ATECDSAP256, 384, nil, spec.RoleUser), ip,
		"CardCreateContainerEx(AT_ECDSA_P256, 384 bits)")
	want(t, c.CreateContainerEx(idx, spec.CardCreateContainerKeyGen, spec.ATECDSAP521, 0, nil, spec.RoleUser), spec.SCardEUnsupportedFeature,
		"CardCreateContainerEx(AT_ECDSA_P521)")
	want(t, c.CreateContainerEx(idx, spec.CardCreateContainerKeyImport, spec.ATKeyExchange, 2048, make([]byte, 64), spec.RoleUser), ip,
		"CardCreateContainerEx(KEY_IMPORT) of a blob that is none")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ECC key: %v", err)
	}
	want(t, c.CreateContainerEx(idx, spec.CardCreateContainerKeyImport, spec.ATKeyExchange, 0,
		spec.MarshalECCPrivateKeyBlob(ecKey, spec.ECCPrivateMagic(spec.ATECDSAP256)), spec.RoleUser), ip,
		"CardCreateContainerEx(KEY_IMPORT) of an ECC blob as AT_KEYEXCHANGE")
	want(t, c.WriteFile(spec.DirBaseCSP, "mdflowe", 0, []byte("x")), spec.SCardEFileNotFound, "CardWriteFile of a missing file")
	want(t, c.WriteFile("nodir", "mdflowe", 0, []byte("x")), spec.SCardEDirNotFound, "CardWriteFile in a missing directory")
	want(t, c.DeleteFile(spec.DirBaseCSP, "mdflowe", 0), spec.SCardEFileNotFound, "CardDeleteFile of a missing file")
	want(t, c.DeleteDirectory("mdflowe"), spec.SCardEDirNotFound, "CardDeleteDirectory of a missing directory")
	want(t, c.CreateFile(spec.DirBaseCSP, spec.FileContainerMap, 0, spec.EveryoneReadUserWriteAc), spec.ErrorFileExists, "CardCreateFile(mscp/cmapfile)")
	want(t, c.CreateFile(spec.DirBaseCSP, "mdflowe", 0, spec.FileAccessCondition(99)), ip, "CardCreateFile with access condition 99")
	want(t, c.CreateFile(spec.DirBaseCSP, spec.CertFileName(spec.UserKeyExchangeCertPrefix, idx), 100, spec.EveryoneReadUserWriteAc),
		spec.SCardENoKeyContainer, "CardCreateFile of the certificate file of empty container %d", idx)
	want(t, c.WriteFile(spec.DirBaseCSP, spec.FileContainerMap, 0, cmap0[:len(cmap0)-1]), ip, "CardWriteFile(mscp/cmapfile) of %d bytes", len(cmap0)-1)
	// A certificate must carry its container's key: 9D's certificate for container 0 (9A).
	first, other := StandardSlots[0], StandardSlots[2]
	want(t, c.WriteFile(spec.DirBaseCSP, certFile(first), 0, env.Cert(other)), ip, "CardWriteFile(mscp/%s) with another key's certificate", certFile(first))
	want(t, c.WriteFile(spec.DirBaseCSP, certFile(first), 0, []byte("not a certificate")), ip, "CardWriteFile(mscp/%s) of garbage", certFile(first))
	want(t, c.DeleteContainer(idx, 1), ip, "CardDeleteContainer with dwReserved 1")
	want(t, c.DeleteContainer(0, 1), ip, "CardDeleteContainer(0) with dwReserved 1")
	enrollLogout(t, c)

	// Nothing changed.
	c2 := open(t, md, env)
	defer done(t, c2)
	if b, _ := readCmap(t, c2); !bytes.Equal(b, cmap0) {
		t.Errorf("cmapfile changed by refused calls")
	}
	if cf := readCardcf(t, c2); !bytes.Equal(cf, cf0) {
		t.Errorf("cardcf changed by refused calls: %X, was %X", cf, cf0)
	}
	if got, err := c2.ReadFile(spec.DirBaseCSP, certFile(first), 0); err != nil || !bytes.Equal(got, env.Cert(first)) {
		t.Errorf("mscp/%s after the refused writes: %v (or a different certificate)", certFile(first), err)
	}
}
