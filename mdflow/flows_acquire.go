package mdflow

import (
	"bytes"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// flowVersion: CARD_DATA versions 4 to 8 are served as min(v, 7); below 4 is
// ERROR_REVISION_MISMATCH. Every negotiated version can read cardid; a version 6 context accepts
// a version 1 CARD_SIGNING_INFO and CARD_RSA_DECRYPT_INFO structure.
func flowVersion(t T, md Minidriver, env Env) {
	for v := uint32(4); v <= 8; v++ {
		p := env.Params()
		p.Version = v
		c, err := md.Acquire(p)
		if err != nil {
			t.Errorf("CardAcquireContext(dwVersion %d): %v", v, err)
			continue
		}
		if got := c.Version(); got != min(v, 7) {
			t.Errorf("CardAcquireContext(dwVersion %d): negotiated %d, want %d", v, got, min(v, 7))
		}
		id, err := c.ReadFile("", spec.FileCardIdentifier, 0)
		if err != nil || !bytes.Equal(id, env.GUID) {
			t.Errorf("version %d: cardid %X, %v (want %X)", v, id, err, env.GUID)
		}
		if v == 6 {
			// Before v7 the basic structure versions are accepted: only the size query, which
			// needs no PIN.
			si := &engine.SigningInfo{Version: 1, ContainerIndex: 0, KeySpec: spec.ATKeyExchange,
				SigningFlags: spec.CardBufferSizeOnly, HashAlg: spec.CALGSHA256, Data: make([]byte, 32)}
			if err := c.SignData(si); err != nil || si.SignedSize != 256 {
				t.Errorf("version 6: CARD_SIGNING_INFO v1 size query: %d, %v", si.SignedSize, err)
			}
		}
		if v == 7 {
			si := &engine.SigningInfo{Version: 1, ContainerIndex: 0, KeySpec: spec.ATKeyExchange,
				SigningFlags: spec.CardBufferSizeOnly, HashAlg: spec.CALGSHA256, Data: make([]byte, 32)}
			want(t, c.SignData(si), spec.ErrorRevisionMismatch, "version 7: CARD_SIGNING_INFO v1")
		}
		done(t, c)
	}
	for _, v := range []uint32{0, 1, 2, 3} {
		p := env.Params()
		p.Version = v
		c, err := md.Acquire(p)
		if want(t, err, spec.ErrorRevisionMismatch, "CardAcquireContext(dwVersion %d)", v) {
			continue
		}
		if c != nil {
			done(t, c)
		}
	}
}

// flowAcquireErrors: the CardAcquireContext error table. Each case changes one thing of a
// correct call.
func flowAcquireErrors(t T, md Minidriver, env Env) {
	unknown := []byte{0x3B, 0x88, 0x80, 0x01, 'o', 't', 'h', 'e', 'r', 'c', 'r', 'd', 0x00}
	cases := []struct {
		name string
		edit func(p *AcquireParams)
		want spec.Status
	}{
		{"NULL pbAtr", func(p *AcquireParams) { p.ATR = nil }, spec.SCardEInvalidParameter},
		{"NULL pwszCardName", func(p *AcquireParams) { p.NullCardName = true }, spec.SCardEInvalidParameter},
		{"NULL allocation callbacks", func(p *AcquireParams) { p.NullAlloc = true }, spec.SCardEInvalidParameter},
		{"NULL hSCardCtx/hScard", func(p *AcquireParams) { p.NullCard = true }, spec.SCardEInvalidHandle},
		{"unknown ATR", func(p *AcquireParams) { p.ATR = unknown }, spec.SCardEUnknownCard},
		{"ATR starting 00", func(p *AcquireParams) { p.ATR = append([]byte{0x00}, p.ATR[1:]...) }, spec.SCardEUnknownCard},
		{"ATR of 1 byte", func(p *AcquireParams) { p.ATR = p.ATR[:1] }, spec.SCardEInvalidParameter},
		{"ATR of 34 bytes", func(p *AcquireParams) { p.ATR = append(bytes.Clone(p.ATR), make([]byte, 34-len(p.ATR))...) }, spec.SCardEInvalidParameter},
		{"unknown flag 0x2", func(p *AcquireParams) { p.Flags = 2 }, spec.SCardEInvalidParameter},
		{"unknown flag 0x80000000", func(p *AcquireParams) { p.Flags = 0x80000000 }, spec.SCardEInvalidParameter},
		{"dwVersion 3", func(p *AcquireParams) { p.Version = 3 }, spec.ErrorRevisionMismatch},
		{"NULL ATR with NULL handles", func(p *AcquireParams) { p.ATR, p.NullCard = nil, true }, spec.SCardEInvalidHandle},
	}
	for _, tc := range cases {
		p := env.Params()
		tc.edit(&p)
		c, err := md.Acquire(p)
		if !want(t, err, tc.want, "CardAcquireContext with %s", tc.name) && c != nil {
			done(t, c)
		}
	}
	// The empty card name is a name (not NULL); the cache callbacks are optional.
	p := env.Params()
	p.CardName = ""
	if c, err := md.Acquire(p); want(t, err, spec.Success, "CardAcquireContext with an empty card name") {
		done(t, c)
	}
	p = env.Params()
	p.NullCache = true
	if c, err := md.Acquire(p); want(t, err, spec.Success, "CardAcquireContext with NULL cache callbacks") {
		for _, slot := range StandardSlots {
			name := certFile(slot)
			der, err := c.ReadFile(spec.DirBaseCSP, name, 0)
			if err != nil || !bytes.Equal(der, env.Cert(slot)) {
				t.Errorf("without cache callbacks: %s: %v", name, err)
			}
		}
		done(t, c)
	}
}

// flowNoCardMode: CARD_SECURE_KEY_INJECTION_NO_CARD_MODE needs neither ATR nor card name nor
// handles; only the secure key injection functions answer: the key handle functions
// (SCARD_E_INVALID_HANDLE for a handle the context never made), CardGetAlgorithmProperty, and
// SCARD_E_UNSUPPORTED_FEATURE from those not offered yet. Every other function is
// SCARD_E_INVALID_PARAMETER.
func flowNoCardMode(t T, md Minidriver, env Env) {
	c, err := md.Acquire(AcquireParams{Version: 7, NullCardName: true, NullCard: true, Flags: spec.CardSecureKeyInjectionNoCardMode})
	if err != nil {
		t.Fatalf("CardAcquireContext(NO_CARD_MODE): %v", err)
	}
	if c.Version() != 7 {
		t.Errorf("no-card mode: dwVersion %d", c.Version())
	}
	ski := map[string]error{}
	_, ski["MDImportSessionKey"] = c.MDImportSessionKey(spec.BCryptKeyDataBlob, spec.CardAESAlgorithm, spec.MarshalKeyDataBlob(make([]byte, 16)))
	_, ski["MDEncryptData"] = c.MDEncryptData(1, spec.CSFAuthenticate, []byte("data"), 0)
	_, _, ski["CardGetSharedKeyHandle"] = c.GetSharedKeyHandle([]byte{1, 2, 3, 4}, true)
	_, ski["CardProcessEncryptedData"] = c.ProcessEncryptedData(1, spec.CSFAuthenticate, [][]byte{make([]byte, 16)}, 0)
	for name, err := range ski {
		want(t, err, spec.SCardEUnsupportedFeature, "no-card mode: %s", name)
	}
	handles := map[string]error{}
	handles["CardDestroyKey"] = c.DestroyKey(1)
	_, handles["CardGetKeyProperty"] = c.GetKeyProperty(1, spec.CKPBlockLength, 0)
	handles["CardSetKeyProperty"] = c.SetKeyProperty(1, spec.CKPChainingMode, spec.UTF16LEBytes(spec.CardChainModeCBC), 0)
	for name, err := range handles {
		want(t, err, spec.SCardEInvalidHandle, "no-card mode: %s of an unknown handle", name)
	}
	ks, err := c.GetAlgorithmProperty(spec.CardAESAlgorithm, spec.CPCardKeySizes, 0)
	if k, perr := spec.ParseKeySizes(ks); err != nil || perr != nil || k != symAlgs[0].sizes {
		t.Errorf("no-card mode: CardGetAlgorithmProperty(AES, CP_CARD_KEYSIZES): %X, %v", ks, err)
	}
	_, err = c.GetAlgorithmProperty("RC4", spec.CPCardKeySizes, 0)
	want(t, err, spec.SCardEInvalidParameter, "no-card mode: CardGetAlgorithmProperty(RC4)")
	for name, err := range allCardFunctions(c) {
		want(t, err, spec.SCardEInvalidParameter, "no-card mode: %s", name)
	}
	done(t, c)
}

// allCardFunctions calls every function that needs a card, with valid arguments (they must all
// fail in no-card mode before looking at the card).
func allCardFunctions(c Context) map[string]error {
	r := map[string]error{}
	_, r["CardReadFile"] = c.ReadFile("", spec.FileCardIdentifier, 0)
	_, r["CardEnumFiles"] = c.EnumFiles("", 0)
	_, r["CardGetFileInfo"] = c.GetFileInfo("", spec.FileCardIdentifier)
	_, r["CardQueryFreeSpace"] = c.QueryFreeSpace(0)
	_, r["CardQueryCapabilities"] = c.QueryCapabilities(1)
	r["CardGetContainerInfo"] = c.GetContainerInfo(0, 0, &engine.ContainerInfo{Version: 1})
	_, r["CardGetContainerProperty"] = c.GetContainerProperty(0, spec.CCPPINIdentifier, 0, 0)
	r["CardSetContainerProperty"] = c.SetContainerProperty(0, spec.CCPPINIdentifier, le32(1), 0)
	_, r["CardQueryKeySizes"] = c.QueryKeySizes(spec.ATKeyExchange, 0, 1)
	_, r["CardGetProperty"] = c.GetProperty(spec.CPCardCapabilities, 0)
	r["CardSetProperty"] = c.SetProperty(spec.CPPINContextString, spec.UTF16LEBytes("x\x00"), 0)
	_, r["CardAuthenticatePin"] = c.AuthenticatePin(spec.CardUserUser, []byte("123456"))
	_, _, r["CardAuthenticateEx"] = c.AuthenticateEx(spec.RoleUser, 0, []byte("123456"), false)
	_, r["CardGetChallenge"] = c.GetChallenge()
	_, r["CardGetChallengeEx"] = c.GetChallengeEx(spec.RoleAdmin, 0)
	_, r["CardAuthenticateChallenge"] = c.AuthenticateChallenge(make([]byte, 8))
	_, r["CardChangeAuthenticator"] = c.ChangeAuthenticator(spec.CardUserUser, []byte("123456"), []byte("654321"), 0, spec.CardAuthenticatePinPIN)
	_, r["CardChangeAuthenticatorEx"] = c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 1, []byte("123456"), 1, []byte("654321"), 0)
	r["CardUnblockPin"] = c.UnblockPin(spec.CardUserUser, []byte("12345678"), []byte("123456"), 0, spec.CardAuthenticatePinPIN)
	r["CardDeauthenticate"] = c.Deauthenticate(spec.CardUserUser, 0)
	r["CardDeauthenticateEx"] = c.DeauthenticateEx(spec.PINSetAllRoles, 0)
	r["CardSignData"] = c.SignData(&engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: make([]byte, 32)})
	r["CardRSADecrypt"] = c.RSADecrypt(&engine.RSADecryptInfo{Version: 2, KeySpec: spec.ATKeyExchange, Data: make([]byte, 256), PaddingType: engine.PaddingPKCS1})
	r["CardConstructDHAgreement"] = c.ConstructDHAgreement(&engine.DHAgreementInfo{Version: 2, ContainerIndex: 1, PublicKey: make([]byte, 72)})
	r["CardDeriveKey"] = c.DeriveKey(&engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true})
	r["CardDestroyDHAgreement"] = c.DestroyDHAgreement(0, 0)
	_, r["CardImportSessionKey"] = c.ImportSessionKey(0, nil, spec.BCryptKeyDataBlob, spec.CardAESAlgorithm, make([]byte, 28), 0)
	r["CardCreateDirectory"] = c.CreateDirectory("dir", spec.UserCreateDeleteDirAc)
	r["CardDeleteDirectory"] = c.DeleteDirectory("dir")
	r["CardCreateFile"] = c.CreateFile(spec.DirBaseCSP, "file", 10, spec.EveryoneReadUserWriteAc)
	r["CardWriteFile"] = c.WriteFile(spec.DirBaseCSP, "file", 0, []byte("x"))
	r["CardDeleteFile"] = c.DeleteFile(spec.DirBaseCSP, "file", 0)
	r["CardCreateContainer"] = c.CreateContainer(5, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil)
	r["CardCreateContainerEx"] = c.CreateContainerEx(5, spec.CardCreateContainerKeyGen, spec.ATKeyExchange, 2048, nil, 1)
	r["CardDeleteContainer"] = c.DeleteContainer(5, 0)
	return r
}
