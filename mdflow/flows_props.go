package mdflow

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// pinInfoWant is the PIN_INFO of each PIN of the PIV mapping (docs/piv-mapping.md).
var pinInfoWant = map[spec.PINID]spec.PINInfo{
	1: {Version: 6, PinType: spec.AlphaNumericPinType, PinPurpose: spec.AuthenticationPin,
		ChangePermission: spec.CreatePINSet(1), UnblockPermission: spec.CreatePINSet(4),
		CachePolicy: spec.PINCachePolicy{Version: 6, Type: spec.PinCacheNormal}},
	2: {Version: 6, PinType: spec.ChallengeResponsePinType, PinPurpose: spec.AdministratorPin,
		ChangePermission: spec.CreatePINSet(2), CachePolicy: spec.PINCachePolicy{Version: 6, Type: spec.PinCacheNormal}},
	3: {Version: 6, PinType: spec.AlphaNumericPinType, PinPurpose: spec.DigitalSignaturePin,
		ChangePermission: spec.CreatePINSet(3), UnblockPermission: spec.CreatePINSet(4),
		CachePolicy: spec.PINCachePolicy{Version: 6, Type: spec.PinCacheAlwaysPrompt}},
	4: {Version: 6, PinType: spec.AlphaNumericPinType, PinPurpose: spec.UnblockOnlyPin,
		ChangePermission: spec.CreatePINSet(4), CachePolicy: spec.PINCachePolicy{Version: 6, Type: spec.PinCacheNormal}},
}

// flowProperties decodes every CP_* property of a writable PIV card, checks the flag rules and
// CardSetProperty.
func flowProperties(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)

	get := func(name string, flags uint32) []byte {
		t.Helper()
		v, err := c.GetProperty(name, flags)
		if err != nil {
			t.Errorf("CardGetProperty(%q, %#x): %v", name, flags, err)
		}
		return v
	}
	dword := func(name string, flags uint32, wantV uint32) {
		t.Helper()
		v := get(name, flags)
		if len(v) != 4 || binary.LittleEndian.Uint32(v) != wantV {
			t.Errorf("%q (flags %#x) = %X, want DWORD %#x", name, flags, v, wantV)
		}
	}

	// The file store has room, and the indexes the standard containers do not use are free.
	if fs, err := spec.ParseFreeSpaceInfo(get(spec.CPCardFreeSpace, 0)); err != nil || fs.Version != 1 || fs.BytesAvailable == 0 ||
		fs.KeyContainersAvailable != uint32(24-len(StandardSlots)) || fs.MaxKeyContainers != 24 {
		t.Errorf("CP_CARD_FREE_SPACE: %+v %v", fs, err)
	} else if qs, err := c.QueryFreeSpace(0); err != nil || qs != fs {
		t.Errorf("CardQueryFreeSpace = %+v, %v; CP_CARD_FREE_SPACE %+v", qs, err, fs)
	}
	if cp, err := spec.ParseCardCapabilities(get(spec.CPCardCapabilities, 0)); err != nil ||
		cp != (spec.CardCapabilities{Version: 1, CertificateCompression: true, KeyGen: true}) {
		t.Errorf("CP_CARD_CAPABILITIES: %+v %v", cp, err)
	}
	sizes := map[spec.KeySpec][4]uint32{
		spec.ATKeyExchange: {1024, 2048, 4096, 1024}, spec.ATSignature: {1024, 2048, 4096, 1024},
		spec.ATECDSAP256: {256, 256, 256, 1}, spec.ATECDHEP256: {256, 256, 256, 1},
		spec.ATECDSAP384: {384, 384, 384, 1}, spec.ATECDHEP384: {384, 384, 384, 1},
	}
	for ks, w := range sizes {
		v := get(spec.CPCardKeySizes, uint32(ks))
		k, err := spec.ParseKeySizes(v)
		if err != nil || k != (spec.KeySizes{Version: 1, Minimum: w[0], Default: w[1], Maximum: w[2], Incremental: w[3]}) {
			t.Errorf("CP_CARD_KEYSIZES(%v): %+v %v", ks, k, err)
		}
	}
	_, err := c.GetProperty(spec.CPCardKeySizes, uint32(spec.ATECDSAP521))
	want(t, err, spec.SCardEUnsupportedFeature, "CP_CARD_KEYSIZES(AT_ECDSA_P521)")
	for _, ks := range []uint32{0, 9} {
		_, err := c.GetProperty(spec.CPCardKeySizes, ks)
		want(t, err, spec.SCardEInvalidParameter, "CP_CARD_KEYSIZES(key spec %d)", ks)
	}
	dword(spec.CPCardReadOnly, 0, 0)
	dword(spec.CPCardCacheMode, 0, spec.CPCacheModeGlobalCache)
	dword(spec.CPSupportsWinX509Enrollment, 0, 1)
	if g := get(spec.CPCardGUID, 0); !bytes.Equal(g, env.GUID) {
		t.Errorf("CP_CARD_GUID %X, want the CHUID GUID %X", g, env.GUID)
	}
	if id, err := c.ReadFile("", spec.FileCardIdentifier, 0); err != nil || !bytes.Equal(id, env.GUID) {
		t.Errorf("cardid %X (%v) differs from CP_CARD_GUID", id, err)
	}
	if sn := get(spec.CPCardSerialNo, 0); len(sn) == 0 {
		t.Errorf("CP_CARD_SERIAL_NO is empty")
	}
	for id, w := range pinInfoWant {
		info, err := spec.ParsePINInfo(get(spec.CPCardPINInfo, uint32(id)))
		if err != nil || info != w {
			t.Errorf("CP_CARD_PIN_INFO(%d) = %+v (%v), want %+v", id, info, err, w)
		}
	}
	for _, id := range []uint32{0, 5, 7, 8} {
		_, err := c.GetProperty(spec.CPCardPINInfo, id)
		want(t, err, spec.SCardEInvalidParameter, "CP_CARD_PIN_INFO(PIN %d)", id)
	}
	dword(spec.CPCardListPINs, 0, 0x1E)
	dword(spec.CPCardAuthenticatedState, 0, 0)
	dword(spec.CPCardPINStrengthVerify, 1, spec.CardPINStrengthPlaintext|spec.CardPINStrengthSessionPIN)
	dword(spec.CPCardPINStrengthVerify, 3, spec.CardPINStrengthPlaintext|spec.CardPINStrengthSessionPIN)
	dword(spec.CPCardPINStrengthVerify, 2, spec.CardPINStrengthPlaintext)
	dword(spec.CPCardPINStrengthVerify, 4, spec.CardPINStrengthPlaintext)
	dword(spec.CPCardPINStrengthChange, 1, spec.CardPINStrengthPlaintext)
	dword(spec.CPCardPINStrengthUnblock, 1, spec.CardPINStrengthPlaintext)
	dword(spec.CPKeyImportSupport, 0, 0)
	algs, err := spec.ParseMultiStringUTF16(get(spec.CPEnumAlgorithms, spec.CardAsymmetricOperation))
	if err != nil || !slices.Equal(algs, []string{"RSA", "ECDSA_P256", "ECDSA_P384", "ECDH_P256", "ECDH_P384"}) {
		t.Errorf("CP_ENUM_ALGORITHMS(asymmetric) = %q, %v", algs, err)
	}
	if v := get(spec.CPEnumAlgorithms, spec.CardCipherOperation); len(v) != 2 && len(v) != 4 || bytes.ContainsFunc(v, func(r rune) bool { return r != 0 }) {
		t.Errorf("CP_ENUM_ALGORITHMS(cipher) = %X, want an empty UTF-16 multi-string", v)
	}
	dword(spec.CPPaddingSchemes, spec.CardAsymmetricOperation, spec.CardPaddingPKCS1|spec.CardPaddingPSS|spec.CardPaddingOAEP)
	dword(spec.CPPaddingSchemes, spec.CardCipherOperation, 0)
	if v := get(spec.CPChainingModes, 0); len(v) == 0 || bytes.ContainsFunc(v, func(r rune) bool { return r != 0 }) {
		t.Errorf("CP_CHAINING_MODES = %X, want an empty UTF-16 multi-string", v)
	}

	// Flags where the property has none, flags the property does not know, write-only and
	// unknown properties.
	for _, name := range []string{spec.CPCardFreeSpace, spec.CPCardCapabilities, spec.CPCardReadOnly, spec.CPCardCacheMode,
		spec.CPSupportsWinX509Enrollment, spec.CPCardGUID, spec.CPCardSerialNo, spec.CPCardListPINs,
		spec.CPCardAuthenticatedState, spec.CPKeyImportSupport} {
		_, err := c.GetProperty(name, 1)
		want(t, err, spec.SCardEInvalidParameter, "CardGetProperty(%q, flags 1)", name)
	}
	for _, name := range []string{spec.CPEnumAlgorithms, spec.CPPaddingSchemes} {
		_, err := c.GetProperty(name, 4)
		want(t, err, spec.SCardEInvalidParameter, "CardGetProperty(%q, flags 4)", name)
	}
	for _, name := range []string{spec.CPParentWindow, spec.CPPINContextString, "No Such Property", ""} {
		_, err := c.GetProperty(name, 0)
		want(t, err, spec.SCardEInvalidParameter, "CardGetProperty(%q)", name)
	}

	// CardSetProperty: everyone may set the parent window (an HWND of this process's size) and
	// the PIN context string (or NULL); the other properties cannot be set.
	hwnd := make([]byte, PtrSize)
	hwnd[0] = 0x42
	want(t, c.SetProperty(spec.CPParentWindow, hwnd, 0), spec.Success, "CP_PARENT_WINDOW")
	want(t, c.SetProperty(spec.CPParentWindow, hwnd, 1), spec.SCardEInvalidParameter, "CP_PARENT_WINDOW with flags 1")
	want(t, c.SetProperty(spec.CPParentWindow, []byte{1, 2, 3}, 0), spec.SCardEInvalidParameter, "CP_PARENT_WINDOW of 3 bytes")
	want(t, c.SetProperty(spec.CPPINContextString, spec.UTF16LEBytes("Sign in\x00"), 0), spec.Success, "CP_PIN_CONTEXT_STRING")
	want(t, c.SetProperty(spec.CPPINContextString, nil, 0), spec.Success, "CP_PIN_CONTEXT_STRING NULL")
	for _, name := range []string{spec.CPCardFreeSpace, spec.CPCardCapabilities, spec.CPCardKeySizes, spec.CPCardListPINs,
		spec.CPCardAuthenticatedState, spec.CPKeyImportSupport, spec.CPEnumAlgorithms, spec.CPPaddingSchemes, spec.CPChainingModes,
		spec.CPCardReadOnly, spec.CPCardCacheMode, spec.CPSupportsWinX509Enrollment, spec.CPCardGUID, spec.CPCardSerialNo,
		spec.CPCardPINInfo, spec.CPCardPINStrengthVerify, "No Such Property"} {
		want(t, c.SetProperty(name, le32(0), 0), spec.SCardEUnsupportedFeature, "CardSetProperty(%q)", name)
	}

	// The authenticated state follows the PIN.
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	dword(spec.CPCardAuthenticatedState, 0, uint32(spec.CreatePINSet(1)))
	logout(t, c)
	dword(spec.CPCardAuthenticatedState, 0, 0)
}

// flowContainerProperties: CCP_CONTAINER_INFO, CCP_PIN_IDENTIFIER and CCP_ASSOCIATED_ECDH_KEY
// of every container, and CardSetContainerProperty without the PIN.
func flowContainerProperties(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	for idx, slot := range StandardSlots {
		p, err := c.GetContainerProperty(byte(idx), spec.CCPContainerInfo, 0, 1)
		if err != nil || p.Info == nil {
			t.Errorf("CCP_CONTAINER_INFO(%d): %v", idx, err)
		} else {
			checkContainerInfo(t, byte(idx), slot, env, p.Info)
		}
		p, err = c.GetContainerProperty(byte(idx), spec.CCPPINIdentifier, 0, 0)
		wantPIN := uint32(1)
		if slot == 0x9C {
			wantPIN = 3
		}
		if err != nil || len(p.Data) != 4 || binary.LittleEndian.Uint32(p.Data) != wantPIN {
			t.Errorf("CCP_PIN_IDENTIFIER(%d) = %X, %v; want PIN %d", idx, p.Data, err, wantPIN)
		}
		p, err = c.GetContainerProperty(byte(idx), spec.CCPAssociatedECDHKey, 0, 0)
		if isECC(env, slot) {
			if err != nil || !bytes.Equal(p.Data, []byte{byte(idx)}) {
				t.Errorf("CCP_ASSOCIATED_ECDH_KEY(%d) = %X, %v; want the container itself", idx, p.Data, err)
			}
		} else {
			want(t, err, spec.SCardEInvalidParameter, "CCP_ASSOCIATED_ECDH_KEY of RSA container %d", idx)
		}
	}
	_, err := c.GetContainerProperty(4, spec.CCPPINIdentifier, 0, 0)
	want(t, err, spec.SCardENoKeyContainer, "CCP_PIN_IDENTIFIER of empty container 4")
	_, err = c.GetContainerProperty(30, spec.CCPContainerInfo, 0, 1)
	want(t, err, spec.SCardENoKeyContainer, "CCP_CONTAINER_INFO of container 30")
	_, err = c.GetContainerProperty(0, spec.CCPContainerInfo, 0, 2)
	want(t, err, spec.ErrorRevisionMismatch, "CCP_CONTAINER_INFO with dwVersion 2")
	_, err = c.GetContainerProperty(0, spec.CCPPINIdentifier, 1, 0)
	want(t, err, spec.SCardEInvalidParameter, "CCP_PIN_IDENTIFIER with flags 1")
	_, err = c.GetContainerProperty(0, "No Such Property", 0, 0)
	want(t, err, spec.SCardEInvalidParameter, "unknown container property")
	// Changing a container needs the PIN (this context has not verified it).
	want(t, c.SetContainerProperty(0, spec.CCPPINIdentifier, le32(3), 0), spec.SCardWSecurityViolation, "CardSetContainerProperty(CCP_PIN_IDENTIFIER) without the PIN")
	want(t, c.SetContainerProperty(1, spec.CCPAssociatedECDHKey, []byte{1}, 0), spec.SCardWSecurityViolation, "CardSetContainerProperty(CCP_ASSOCIATED_ECDH_KEY) without the PIN")
	want(t, c.SetContainerProperty(0, spec.CCPPINIdentifier, le32(3), 1), spec.SCardEInvalidParameter, "CardSetContainerProperty with flags 1")
	want(t, c.SetContainerProperty(0, spec.CCPContainerInfo, le32(0), 0), spec.SCardEInvalidParameter, "CardSetContainerProperty(CCP_CONTAINER_INFO)")
	want(t, c.SetContainerProperty(0, "No Such Property", le32(0), 0), spec.SCardEInvalidParameter, "CardSetContainerProperty(unknown)")
}

// checkContainerInfo compares a CONTAINER_INFO with the slot's certificate key.
func checkContainerInfo(t T, idx, slot byte, env Env, info *engine.ContainerInfo) {
	t.Helper()
	pub := env.Pub(slot)
	if isECC(env, slot) {
		if info.KeyExPublicKey != nil {
			t.Errorf("container %d: ECDSA container with a key exchange blob", idx)
		}
		k, magic, err := spec.ParseECCPublicKeyBlob(info.SigPublicKey)
		ks := spec.ATECDSAP256
		if k != nil && k.Curve.Params().BitSize == 384 {
			ks = spec.ATECDSAP384
		}
		if err != nil || !k.Equal(pub) || magic != spec.ECCPublicMagic(ks) {
			t.Errorf("container %d: ECC blob %v, magic %#x", idx, err, magic)
		}
		return
	}
	if info.SigPublicKey != nil {
		t.Errorf("container %d: key exchange container with a signature blob", idx)
	}
	k, alg, err := spec.ParseRSAPublicKeyBlob(info.KeyExPublicKey)
	if err != nil || !k.Equal(pub) || alg != spec.CALGRSAKeyX {
		t.Errorf("container %d: RSA blob %v, alg %v", idx, err, alg)
	}
}
