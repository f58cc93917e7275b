package mdflow

import (
	"bytes"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// flowBadParameters: Get*Property with buffers that are too short (ERROR_INSUFFICIENT_BUFFER
// and the needed size in *pdwDataLen), exact buffers, and the NULL inputs every adapter can
// express (nil slices and structures).
func flowBadParameters(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	props := []struct {
		name  string
		flags uint32
	}{
		{spec.CPCardFreeSpace, 0}, {spec.CPCardCapabilities, 0}, {spec.CPCardKeySizes, uint32(spec.ATKeyExchange)},
		{spec.CPCardReadOnly, 0}, {spec.CPCardCacheMode, 0}, {spec.CPSupportsWinX509Enrollment, 0},
		{spec.CPCardGUID, 0}, {spec.CPCardSerialNo, 0}, {spec.CPCardPINInfo, 1}, {spec.CPCardListPINs, 0},
		{spec.CPCardAuthenticatedState, 0}, {spec.CPCardPINStrengthVerify, 1}, {spec.CPKeyImportSupport, 0},
		{spec.CPEnumAlgorithms, spec.CardAsymmetricOperation}, {spec.CPPaddingSchemes, spec.CardAsymmetricOperation},
	}
	for _, p := range props {
		full, err := c.GetProperty(p.name, p.flags)
		if err != nil || len(full) == 0 {
			t.Errorf("CardGetProperty(%q): %v", p.name, err)
			continue
		}
		n := uint32(len(full))
		for _, cb := range []uint32{0, n - 1} {
			s, err := c.GetPropertySized(p.name, cb, p.flags)
			if want(t, err, spec.ErrorInsufficientBuffer, "CardGetProperty(%q) with a %d-byte buffer", p.name, cb) && s.DataLen != n {
				t.Errorf("CardGetProperty(%q) with a %d-byte buffer: *pdwDataLen %d, want %d", p.name, cb, s.DataLen, n)
			}
		}
		for _, cb := range []uint32{n, n + 100} {
			s, err := c.GetPropertySized(p.name, cb, p.flags)
			if err != nil || s.DataLen != n || !bytes.Equal(s.Data, full) {
				t.Errorf("CardGetProperty(%q) with a %d-byte buffer: %X (%d), %v; want %X", p.name, cb, s.Data, s.DataLen, err, full)
			}
		}
	}
	for _, cb := range []uint32{0, 3} {
		s, err := c.GetContainerPropertySized(0, spec.CCPPINIdentifier, cb, 0, 0)
		if want(t, err, spec.ErrorInsufficientBuffer, "CCP_PIN_IDENTIFIER with a %d-byte buffer", cb) && s.DataLen != 4 {
			t.Errorf("CCP_PIN_IDENTIFIER with a %d-byte buffer: *pdwDataLen %d, want 4", cb, s.DataLen)
		}
	}
	if s, err := c.GetContainerPropertySized(1, spec.CCPAssociatedECDHKey, 0, 0, 0); spec.StatusOf(err) != spec.ErrorInsufficientBuffer || s.DataLen == 0 {
		t.Errorf("CCP_ASSOCIATED_ECDH_KEY with an empty buffer: %d, %v", s.DataLen, err)
	}
	for _, cb := range []uint32{0, ContainerInfoSize - 1} {
		s, err := c.GetContainerPropertySized(0, spec.CCPContainerInfo, cb, 0, 1)
		if want(t, err, spec.ErrorInsufficientBuffer, "CCP_CONTAINER_INFO with a %d-byte buffer", cb) && s.DataLen != ContainerInfoSize {
			t.Errorf("CCP_CONTAINER_INFO with a %d-byte buffer: *pdwDataLen %d, want %d", cb, s.DataLen, ContainerInfoSize)
		}
	}
	if s, err := c.GetContainerPropertySized(0, spec.CCPContainerInfo, ContainerInfoSize, 0, 1); err != nil || s.DataLen != ContainerInfoSize {
		t.Errorf("CCP_CONTAINER_INFO with an exact buffer: %d, %v", s.DataLen, err)
	} else if h, err := spec.ParseContainerInfoHeader(s.Data, PtrSize); err != nil || h.Version != 1 || h.KeyExPublicKeyLen == 0 || h.SigPublicKeyLen != 0 {
		t.Errorf("CCP_CONTAINER_INFO header %+v, %v", h, err)
	}
	s, err := c.GetPropertySized(spec.CPCardKeySizes, 0, uint32(spec.ATECDSAP521))
	want(t, err, spec.SCardEUnsupportedFeature, "CP_CARD_KEYSIZES(P-521) with an empty buffer: the property error comes first (%d)", s.DataLen)

	// NULL inputs (nil) that both the engine and the ABI express.
	want(t, c.GetContainerInfo(0, 0, nil), spec.SCardEInvalidParameter, "CardGetContainerInfo(NULL)")
	_, err = c.AuthenticatePin(spec.CardUserUser, nil)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticatePin(NULL pbPin)")
	_, _, err = c.AuthenticateEx(spec.RoleUser, 0, nil, false)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticateEx(NULL pbPinData)")
	_, err = c.AuthenticateChallenge(nil)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticateChallenge(NULL)")
	_, err = c.ChangeAuthenticator(spec.CardUserUser, nil, []byte("654321"), 0, spec.CardAuthenticatePinPIN)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticator(NULL current)")
	_, err = c.ChangeAuthenticator(spec.CardUserUser, env.PIN, nil, 0, spec.CardAuthenticatePinPIN)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticator(NULL new)")
	_, err = c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 1, nil, 1, []byte("654321"), 0)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticatorEx(NULL authenticating data)")
	_, err = c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 1, env.PIN, 1, nil, 0)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticatorEx(NULL target data)")
	want(t, c.UnblockPin(spec.CardUserUser, nil, env.PIN, 0, spec.CardAuthenticatePinPIN), spec.SCardEInvalidParameter, "CardUnblockPin(NULL PUK)")
	want(t, c.UnblockPin(spec.CardUserUser, env.PUK, nil, 0, spec.CardAuthenticatePinPIN), spec.SCardEInvalidParameter, "CardUnblockPin(NULL new PIN)")
	want(t, c.SignData(nil), spec.SCardEInvalidParameter, "CardSignData(NULL)")
	want(t, c.RSADecrypt(nil), spec.SCardEInvalidParameter, "CardRSADecrypt(NULL)")
	want(t, c.SetProperty(spec.CPParentWindow, nil, 0), spec.SCardEInvalidParameter, "CP_PARENT_WINDOW with NULL pbData")
	logout(t, c)
}

// NullArg is one case of the NULL pointer table: a CARD_DATA function, the name of one of its
// pointer parameters, and the status expected when only that parameter is NULL.
type NullArg struct {
	Func string
	Arg  string
	Want spec.Status
}

// NullArgs is the NULL pointer table, run through NullCaller (the C ABI). Mandatory pointers
// give SCARD_E_INVALID_PARAMETER; optional ones (__in_opt, __out_opt) are accepted. A NULL
// pbData of Get*Property (__out_bcount_part_opt) is a size probe: ERROR_INSUFFICIENT_BUFFER
// even when cbData would be large enough. The stub functions (SCARD_E_UNSUPPORTED_FEATURE
// whatever their arguments) are left to flowStubs.
var NullArgs = func() []NullArg {
	ip := spec.SCardEInvalidParameter
	funcs := []string{"CardQueryCapabilities", "CardGetContainerInfo", "CardAuthenticatePin", "CardGetChallenge",
		"CardAuthenticateChallenge", "CardUnblockPin", "CardChangeAuthenticator", "CardDeauthenticate",
		"CardGetChallengeEx", "CardAuthenticateEx", "CardChangeAuthenticatorEx", "CardDeauthenticateEx",
		"CardReadFile", "CardEnumFiles", "CardGetFileInfo", "CardQueryFreeSpace", "CardQueryKeySizes",
		"CardSignData", "CardRSADecrypt", "CardGetContainerProperty", "CardSetContainerProperty",
		"CardGetProperty", "CardSetProperty", "CardDeleteContext", "CardConstructDHAgreement", "CardDeriveKey",
		"CardDestroyDHAgreement", "CardGetAlgorithmProperty", "CardGetKeyProperty", "CardSetKeyProperty", "CardDestroyKey"}
	var out []NullArg
	for _, f := range funcs {
		out = append(out, NullArg{f, "pCardData", ip})
	}
	for _, f := range []string{"CardReadFile", "CardGetProperty", "CardAuthenticatePin", "CardDeleteContext"} {
		out = append(out, NullArg{f, "pvVendorSpecific", ip})
	}
	return append(out, []NullArg{
		{"CardQueryCapabilities", "pCardCapabilities", ip},
		{"CardGetContainerInfo", "pContainerInfo", ip},
		{"CardAuthenticatePin", "pwszUserId", ip},
		{"CardAuthenticatePin", "pbPin", ip},
		{"CardAuthenticatePin", "pcAttemptsRemaining", spec.Success},
		{"CardGetChallenge", "ppbChallengeData", ip},
		{"CardGetChallenge", "pcbChallengeData", ip},
		{"CardAuthenticateChallenge", "pbResponseData", ip},
		{"CardAuthenticateChallenge", "pcAttemptsRemaining", spec.SCardWWrongCHV}, // no challenge pending
		{"CardUnblockPin", "pwszUserId", ip},
		{"CardUnblockPin", "pbAuthenticationData", ip},
		{"CardUnblockPin", "pbNewPinData", ip},
		{"CardChangeAuthenticator", "pwszUserId", ip},
		{"CardChangeAuthenticator", "pbCurrentAuthenticator", ip},
		{"CardChangeAuthenticator", "pbNewAuthenticator", ip},
		{"CardDeauthenticate", "pwszUserId", ip},
		{"CardGetChallengeEx", "ppbChallengeData", ip},
		{"CardGetChallengeEx", "pcbChallengeData", ip},
		{"CardAuthenticateEx", "pbPinData", ip},
		{"CardAuthenticateEx", "ppbSessionPin", ip}, // with CARD_AUTHENTICATE_GENERATE_SESSION_PIN
		{"CardAuthenticateEx", "pcbSessionPin", ip}, // idem
		{"CardAuthenticateEx", "pcAttemptsRemaining", spec.Success},
		{"CardChangeAuthenticatorEx", "pbAuthenticatingPinData", ip},
		{"CardChangeAuthenticatorEx", "pbTargetData", ip},
		{"CardReadFile", "pszDirectoryName", spec.Success}, // NULL = root (cardid)
		{"CardReadFile", "pszFileName", ip},
		{"CardReadFile", "ppbData", ip},
		{"CardReadFile", "pcbData", ip},
		{"CardEnumFiles", "pszDirectoryName", spec.Success},
		{"CardEnumFiles", "pmszFileNames", ip},
		{"CardEnumFiles", "pdwcbFileName", ip},
		{"CardGetFileInfo", "pszDirectoryName", spec.Success},
		{"CardGetFileInfo", "pszFileName", ip},
		{"CardGetFileInfo", "pCardFileInfo", ip},
		{"CardQueryFreeSpace", "pCardFreeSpaceInfo", ip},
		{"CardQueryKeySizes", "pKeySizes", ip},
		{"CardSignData", "pInfo", ip},
		{"CardSignData", "pbData", ip},
		{"CardRSADecrypt", "pInfo", ip},
		{"CardRSADecrypt", "pbData", ip},
		{"CardRSADecrypt", "pPaddingInfo", ip}, // OAEP
		{"CardGetContainerProperty", "wszProperty", ip},
		{"CardGetContainerProperty", "pbData", spec.ErrorInsufficientBuffer}, // __out_bcount_part_opt: a size probe
		{"CardGetContainerProperty", "pdwDataLen", ip},
		{"CardSetContainerProperty", "wszProperty", ip},
		{"CardGetProperty", "wszProperty", ip},
		{"CardGetProperty", "pbData", spec.ErrorInsufficientBuffer}, // idem
		{"CardGetProperty", "pdwDataLen", ip},
		{"CardSetProperty", "wszProperty", ip},
		{"CardSetProperty", "pbData", spec.Success}, // CP_PIN_CONTEXT_STRING may be NULL
		{"CardConstructDHAgreement", "pAgreementInfo", ip},
		{"CardConstructDHAgreement", "pbPublicKey", ip},
		{"CardDeriveKey", "pAgreementInfo", ip},
		{"CardDeriveKey", "pwszKDF", ip},
		{"CardGetAlgorithmProperty", "pwszAlgId", ip},
		{"CardGetAlgorithmProperty", "pwszProperty", ip},
		{"CardGetAlgorithmProperty", "pbData", spec.ErrorInsufficientBuffer}, // a size probe
		{"CardGetAlgorithmProperty", "pdwDataLen", ip},
		{"CardGetKeyProperty", "pwszProperty", ip}, // (handle 1, no key: SCARD_E_INVALID_HANDLE were the NULL missed)
		{"CardGetKeyProperty", "pdwDataLen", ip},
		{"CardSetKeyProperty", "pwszProperty", ip},
		{"CardSetKeyProperty", "pbInput", ip}, // cbInput 16
	}...)
}()

// flowNullPointers runs NullArgs through a NullCaller context (the C ABI; the engine's Go API
// has no NULL pointers beyond what flowBadParameters covers).
func flowNullPointers(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	nc, ok := c.(NullCaller)
	if !ok {
		t.Logf("this minidriver has no C ABI: NULL pointer cases skipped")
		return
	}
	logout(t, c)
	for _, a := range NullArgs {
		err, ok := nc.CallWithNull(a.Func, a.Arg, env.PIN, env.PUK)
		if !ok {
			t.Errorf("%s(%s = NULL): the adapter cannot express this case: %v", a.Func, a.Arg, err)
			continue
		}
		want(t, err, a.Want, "%s with %s = NULL", a.Func, a.Arg)
	}
	// The context still works.
	if id, err := c.ReadFile("", spec.FileCardIdentifier, 0); err != nil || !bytes.Equal(id, env.GUID) {
		t.Errorf("cardid after the NULL cases: %v", err)
	}
	logout(t, c)
}

// flowStubs: the secure key injection functions not offered yet are wired and answer
// SCARD_E_UNSUPPORTED_FEATURE (CP_KEY_IMPORT_SUPPORT is 0) and return nothing. (The DH, key
// derivation and key handle functions have their flows, dh/*.)
func flowStubs(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	r := map[string]error{}
	h, err := c.ImportSessionKey(2, &engine.OAEPInfo{AlgID: "SHA256", HasAlgID: true}, spec.BCryptKeyDataBlob,
		spec.CardAESAlgorithm, make([]byte, 256), spec.CardPaddingOAEP)
	r["CardImportSessionKey"] = err
	if h != 0 {
		t.Errorf("CardImportSessionKey failed but returned %#x", h)
	}
	h, r["MDImportSessionKey"] = c.MDImportSessionKey(spec.BCryptKeyDataBlob, spec.CardAESAlgorithm, spec.MarshalKeyDataBlob(make([]byte, 16)))
	if h != 0 {
		t.Errorf("MDImportSessionKey failed but returned %#x", h)
	}
	blocks, err := c.MDEncryptData(1, spec.CSFAuthenticate, []byte("data"), 0)
	r["MDEncryptData"] = err
	if blocks != nil {
		t.Errorf("MDEncryptData failed but returned %d blocks", len(blocks))
	}
	out, h, err := c.GetSharedKeyHandle([]byte{1, 2, 3, 4}, true)
	r["CardGetSharedKeyHandle"] = err
	if out != nil || h != 0 {
		t.Errorf("CardGetSharedKeyHandle failed but returned %X, %#x", out, h)
	}
	out, r["CardProcessEncryptedData"] = c.ProcessEncryptedData(1, spec.CSFAuthenticate, [][]byte{make([]byte, 16), make([]byte, 16)}, 0)
	if out != nil {
		t.Errorf("CardProcessEncryptedData failed but returned %X", out)
	}
	for name, err := range r {
		want(t, err, spec.SCardEUnsupportedFeature, "%s", name)
	}
}

// flowDelete: CardDeleteContext frees everything, leaves other contexts working, and a deleted
// context refuses every call.
func flowDelete(t T, md Minidriver, env Env) {
	c1 := open(t, md, env)
	c2 := open(t, md, env)
	if _, err := c1.ReadFile(spec.DirBaseCSP, spec.FileContainerMap, 0); err != nil {
		t.Errorf("cmapfile: %v", err)
	}
	if err := c1.Delete(); err != nil {
		t.Fatalf("CardDeleteContext: %v", err)
	}
	if n := c1.LiveAllocations(); n != 0 {
		t.Errorf("%d buffers live after CardDeleteContext", n)
	}
	if id, err := c2.ReadFile("", spec.FileCardIdentifier, 0); err != nil || !bytes.Equal(id, env.GUID) {
		t.Errorf("another context after CardDeleteContext: %v", err)
	}
	_, err := c1.ReadFile("", spec.FileCardIdentifier, 0)
	want(t, err, spec.SCardEInvalidParameter, "CardReadFile on a deleted context")
	_, err = c1.GetProperty(spec.CPCardGUID, 0)
	want(t, err, spec.SCardEInvalidParameter, "CardGetProperty on a deleted context")
	want(t, c1.Delete(), spec.SCardEInvalidParameter, "CardDeleteContext twice")
	if n := c1.LiveAllocations(); n != 0 {
		t.Errorf("%d buffers live after the calls on a deleted context", n)
	}
	done(t, c2)
	// A no-card context deletes as well.
	nc, err := md.Acquire(AcquireParams{Version: 7, NullCardName: true, NullCard: true, Flags: spec.CardSecureKeyInjectionNoCardMode})
	if err != nil {
		t.Fatalf("CardAcquireContext(NO_CARD_MODE): %v", err)
	}
	done(t, nc)
}
