package main

/*
#include "shim.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/pcsc"
	"github.com/cardmod/cardmod/spec"
)

// invalid is SCARD_E_INVALID_PARAMETER as a return value.
const invalid = C.DWORD(spec.SCardEInvalidParameter)

// ctxOf finds the context of a call; a NULL, misaligned or unknown CARD_DATA is an invalid
// parameter.
func ctxOf(p C.PCARD_DATA) (*abiContext, bool) {
	if !aligned(unsafe.Pointer(p)) {
		return nil, false
	}
	return lookup(p)
}

//export goCardAcquireContext
func goCardAcquireContext(p C.PCARD_DATA, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardAcquireContext")
	initDLL()
	if !aligned(unsafe.Pointer(p)) {
		return invalid
	}
	params := engine.AcquireParams{Version: uint32(p.dwVersion), Flags: uint32(flags)}
	if uint32(flags)&spec.CardSecureKeyInjectionNoCardMode == 0 {
		if p.pbAtr != nil {
			params.ATR = goBytes(p.pbAtr, min(p.cbAtr, 34))
		}
		if p.pwszCardName != nil {
			name, ok := wideString(p.pwszCardName)
			if !ok {
				return invalid
			}
			params.CardName, params.HasCardName = name, true
		}
		if p.hSCardCtx != 0 && p.hScard != 0 {
			params.Card = pcsc.FromHandle(uintptr(p.hScard), pcsc.ProtocolAny)
		}
		params.ExtendedLength = dll.module.ExtendedLength(params.ATR)
	}
	host := &cHost{p: p}
	if C.cm_has_alloc(p) != 0 {
		params.Host = host
	}
	ctx, err := dll.module.AcquireContext(params)
	if err != nil {
		return status("CardAcquireContext", err)
	}
	id := register(&abiContext{ctx: ctx, host: host})
	C.cm_set_vendor(p, C.uintptr_t(id))
	p.dwVersion = C.DWORD(ctx.Version())
	C.cm_fill_table(p, p.dwVersion)
	dll.log.Debug("context acquired", "version", ctx.Version(), "no_card", ctx.NoCardMode())
	return 0
}

//export goCardDeleteContext
func goCardDeleteContext(p C.PCARD_DATA) (ret C.DWORD) {
	defer guard(&ret, "CardDeleteContext")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	err := c.ctx.DeleteContext()
	unregister(uintptr(C.cm_get_vendor(p)))
	C.cm_set_vendor(p, 0)
	return status("CardDeleteContext", err)
}

//export goCardQueryCapabilities
func goCardQueryCapabilities(p C.PCARD_DATA, caps C.PCARD_CAPABILITIES) (ret C.DWORD) {
	defer guard(&ret, "CardQueryCapabilities")
	c, ok := ctxOf(p)
	if !ok || !aligned(unsafe.Pointer(caps)) {
		return invalid
	}
	v, err := c.ctx.QueryCapabilities(uint32(caps.dwVersion))
	if err != nil {
		return status("CardQueryCapabilities", err)
	}
	caps.dwVersion = C.DWORD(v.Version)
	caps.fCertificateCompression = cBool(v.CertificateCompression)
	caps.fKeyGen = cBool(v.KeyGen)
	return 0
}

func cBool(b bool) C.BOOL {
	if b {
		return 1
	}
	return 0
}

//export goCardDeleteContainer
func goCardDeleteContainer(p C.PCARD_DATA, idx C.BYTE, reserved C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardDeleteContainer")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	return status("CardDeleteContainer", c.ctx.DeleteContainer(byte(idx), uint32(reserved)))
}

// keyBlobLength returns the size of a key import blob from its header (the API passes no
// length): a CAPI PRIVATEKEYBLOB or a BCRYPT_ECCPRIVATE_BLOB. ok is false for anything else.
func keyBlobLength(pb *C.BYTE) (int, bool) {
	if pb == nil {
		return 0, false
	}
	head := unsafe.Slice((*byte)(unsafe.Pointer(pb)), 16)
	le32 := func(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24 }
	if head[0] == 0x07 && head[1] == 0x02 && le32(head[8:]) == spec.RSA2Magic {
		bits := int(le32(head[12:]))
		if bits <= 0 || bits > 16384 || bits%16 != 0 {
			return 0, false
		}
		return 20 + 2*(bits/8) + 5*(bits/16), true
	}
	if _, private, ok := spec.ECCMagicInfo(le32(head[0:])); ok && private {
		n := int(le32(head[4:]))
		if n != 32 && n != 48 && n != 66 {
			return 0, false
		}
		return 8 + 3*n, true
	}
	return 0, false
}

func createContainer(fn string, p C.PCARD_DATA, idx C.BYTE, flags, keySpec, keySize C.DWORD, pbKey *C.BYTE, pin C.PIN_ID, ex bool) C.DWORD {
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	var key []byte
	if uint32(flags)&spec.CardCreateContainerKeyImport != 0 && pbKey != nil {
		n, ok := keyBlobLength(pbKey)
		if !ok {
			return invalid
		}
		key = goBytes(pbKey, C.DWORD(n))
		defer clear(key)
	}
	if ex {
		return status(fn, c.ctx.CreateContainerEx(byte(idx), uint32(flags), spec.KeySpec(keySpec), uint32(keySize), key, spec.PINID(pin)))
	}
	return status(fn, c.ctx.CreateContainer(byte(idx), uint32(flags), spec.KeySpec(keySpec), uint32(keySize), key))
}

//export goCardCreateContainer
func goCardCreateContainer(p C.PCARD_DATA, idx C.BYTE, flags, keySpec, keySize C.DWORD, pbKey C.PBYTE) (ret C.DWORD) {
	defer guard(&ret, "CardCreateContainer")
	return createContainer("CardCreateContainer", p, idx, flags, keySpec, keySize, pbKey, 0, false)
}

//export goCardCreateContainerEx
func goCardCreateContainerEx(p C.PCARD_DATA, idx C.BYTE, flags, keySpec, keySize C.DWORD, pbKey C.PBYTE, pin C.PIN_ID) (ret C.DWORD) {
	defer guard(&ret, "CardCreateContainerEx")
	return createContainer("CardCreateContainerEx", p, idx, flags, keySpec, keySize, pbKey, pin, true)
}

//export goCardGetContainerInfo
func goCardGetContainerInfo(p C.PCARD_DATA, idx C.BYTE, flags C.DWORD, info C.PCONTAINER_INFO) (ret C.DWORD) {
	defer guard(&ret, "CardGetContainerInfo")
	c, ok := ctxOf(p)
	if !ok || !aligned(unsafe.Pointer(info)) {
		return invalid
	}
	ci := engine.ContainerInfo{Version: uint32(info.dwVersion)}
	if err := c.ctx.GetContainerInfo(byte(idx), uint32(flags), &ci); err != nil {
		return status("CardGetContainerInfo", err)
	}
	fillContainerInfo(info, &ci)
	return 0
}

func fillContainerInfo(info C.PCONTAINER_INFO, ci *engine.ContainerInfo) {
	info.pbSigPublicKey, info.cbSigPublicKey = bufPtr(ci.SigPublicKey), C.DWORD(len(ci.SigPublicKey))
	info.pbKeyExPublicKey, info.cbKeyExPublicKey = bufPtr(ci.KeyExPublicKey), C.DWORD(len(ci.KeyExPublicKey))
}

//export goCardAuthenticatePin
func goCardAuthenticatePin(p C.PCARD_DATA, user C.LPWSTR, pb C.PBYTE, cb C.DWORD, attempts C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "CardAuthenticatePin")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	u, ok := wideString(user)
	if !ok {
		return invalid
	}
	pin := goBytes(pb, cb)
	defer clear(pin)
	n, err := c.ctx.AuthenticatePin(u, pin)
	if err != nil {
		setDWORD(attempts, n)
	}
	return status("CardAuthenticatePin", err)
}

// returnBuffer hands an engine buffer (pfnCspAlloc memory) to the caller through PBYTE* and
// PDWORD out parameters.
func returnBuffer(buf []byte, pp *C.PBYTE, pcb *C.DWORD) {
	*pp = bufPtr(buf)
	*pcb = C.DWORD(len(buf))
}

//export goCardGetChallenge
func goCardGetChallenge(p C.PCARD_DATA, pp *C.PBYTE, pcb C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "CardGetChallenge")
	c, ok := ctxOf(p)
	if !ok || pp == nil || pcb == nil {
		return invalid
	}
	*pp = nil
	buf, err := c.ctx.GetChallenge()
	if err != nil {
		return status("CardGetChallenge", err)
	}
	returnBuffer(buf, pp, pcb)
	return 0
}

//export goCardAuthenticateChallenge
func goCardAuthenticateChallenge(p C.PCARD_DATA, pb C.PBYTE, cb C.DWORD, attempts C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "CardAuthenticateChallenge")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	resp := goBytes(pb, cb)
	defer clear(resp)
	n, err := c.ctx.AuthenticateChallenge(resp)
	if err != nil {
		setDWORD(attempts, n)
	}
	return status("CardAuthenticateChallenge", err)
}

//export goCardUnblockPin
func goCardUnblockPin(p C.PCARD_DATA, user C.LPWSTR, pbAuth C.PBYTE, cbAuth C.DWORD, pbNew C.PBYTE, cbNew C.DWORD, retry, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardUnblockPin")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	u, ok := wideString(user)
	if !ok {
		return invalid
	}
	auth, next := goBytes(pbAuth, cbAuth), goBytes(pbNew, cbNew)
	defer clear(auth)
	defer clear(next)
	return status("CardUnblockPin", c.ctx.UnblockPin(u, auth, next, uint32(retry), uint32(flags)))
}

//export goCardChangeAuthenticator
func goCardChangeAuthenticator(p C.PCARD_DATA, user C.LPWSTR, pbCur C.PBYTE, cbCur C.DWORD, pbNew C.PBYTE, cbNew C.DWORD, retry, flags C.DWORD, attempts C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "CardChangeAuthenticator")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	u, ok := wideString(user)
	if !ok {
		return invalid
	}
	cur, next := goBytes(pbCur, cbCur), goBytes(pbNew, cbNew)
	defer clear(cur)
	defer clear(next)
	n, err := c.ctx.ChangeAuthenticator(u, cur, next, uint32(retry), uint32(flags))
	if err != nil {
		setDWORD(attempts, n)
	}
	return status("CardChangeAuthenticator", err)
}

//export goCardDeauthenticate
func goCardDeauthenticate(p C.PCARD_DATA, user C.LPWSTR, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardDeauthenticate")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	u, ok := wideString(user)
	if !ok {
		return invalid
	}
	return status("CardDeauthenticate", c.ctx.Deauthenticate(u, uint32(flags)))
}

//export goCardCreateDirectory
func goCardCreateDirectory(p C.PCARD_DATA, dir C.LPSTR, ac C.CARD_DIRECTORY_ACCESS_CONDITION) (ret C.DWORD) {
	defer guard(&ret, "CardCreateDirectory")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	d, ok := ansiString(dir)
	if !ok {
		return invalid
	}
	return status("CardCreateDirectory", c.ctx.CreateDirectory(d, spec.DirAccessCondition(ac)))
}

//export goCardDeleteDirectory
func goCardDeleteDirectory(p C.PCARD_DATA, dir C.LPSTR) (ret C.DWORD) {
	defer guard(&ret, "CardDeleteDirectory")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	d, ok := ansiString(dir)
	if !ok {
		return invalid
	}
	return status("CardDeleteDirectory", c.ctx.DeleteDirectory(d))
}

// path reads an optional directory and a file name.
func path(dir, file C.LPSTR) (string, string, bool) {
	d, ok := optionalANSI(dir)
	if !ok {
		return "", "", false
	}
	f, ok := ansiString(file)
	return d, f, ok
}

//export goCardCreateFile
func goCardCreateFile(p C.PCARD_DATA, dir, file C.LPSTR, size C.DWORD, ac C.CARD_FILE_ACCESS_CONDITION) (ret C.DWORD) {
	defer guard(&ret, "CardCreateFile")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	d, f, ok := path(dir, file)
	if !ok {
		return invalid
	}
	return status("CardCreateFile", c.ctx.CreateFile(d, f, uint32(size), spec.FileAccessCondition(ac)))
}

//export goCardReadFile
func goCardReadFile(p C.PCARD_DATA, dir, file C.LPSTR, flags C.DWORD, pp *C.PBYTE, pcb C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "CardReadFile")
	c, ok := ctxOf(p)
	if !ok || pp == nil || pcb == nil {
		return invalid
	}
	*pp = nil
	d, f, ok := path(dir, file)
	if !ok {
		return invalid
	}
	buf, err := c.ctx.ReadFile(d, f, uint32(flags))
	if err != nil {
		return status("CardReadFile", err)
	}
	returnBuffer(buf, pp, pcb)
	return 0
}

//export goCardWriteFile
func goCardWriteFile(p C.PCARD_DATA, dir, file C.LPSTR, flags C.DWORD, pb C.PBYTE, cb C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardWriteFile")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	d, f, ok := path(dir, file)
	if !ok || (pb == nil && cb != 0) {
		return invalid
	}
	return status("CardWriteFile", c.ctx.WriteFile(d, f, uint32(flags), goBytes(pb, cb)))
}

//export goCardDeleteFile
func goCardDeleteFile(p C.PCARD_DATA, dir, file C.LPSTR, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardDeleteFile")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	d, f, ok := path(dir, file)
	if !ok {
		return invalid
	}
	return status("CardDeleteFile", c.ctx.DeleteFile(d, f, uint32(flags)))
}

//export goCardEnumFiles
func goCardEnumFiles(p C.PCARD_DATA, dir C.LPSTR, pmsz *C.LPSTR, pcb C.LPDWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardEnumFiles")
	c, ok := ctxOf(p)
	if !ok || pmsz == nil || pcb == nil {
		return invalid
	}
	*pmsz = nil
	d, ok := optionalANSI(dir)
	if !ok {
		return invalid
	}
	buf, err := c.ctx.EnumFiles(d, uint32(flags))
	if err != nil {
		return status("CardEnumFiles", err)
	}
	*pmsz = (C.LPSTR)(unsafe.Pointer(bufPtr(buf)))
	*pcb = C.DWORD(len(buf))
	return 0
}

//export goCardGetFileInfo
func goCardGetFileInfo(p C.PCARD_DATA, dir, file C.LPSTR, info C.PCARD_FILE_INFO) (ret C.DWORD) {
	defer guard(&ret, "CardGetFileInfo")
	c, ok := ctxOf(p)
	if !ok || !aligned(unsafe.Pointer(info)) {
		return invalid
	}
	if info.dwVersion > C.DWORD(spec.CardFileInfoCurrentVersion) {
		return C.DWORD(spec.ErrorRevisionMismatch)
	}
	d, f, ok := path(dir, file)
	if !ok {
		return invalid
	}
	fi, err := c.ctx.GetFileInfo(d, f)
	if err != nil {
		return status("CardGetFileInfo", err)
	}
	info.dwVersion = C.DWORD(fi.Version)
	info.cbFileSize = C.DWORD(fi.FileSize)
	info.AccessCondition = C.CARD_FILE_ACCESS_CONDITION(fi.AccessCondition)
	return 0
}

//export goCardQueryFreeSpace
func goCardQueryFreeSpace(p C.PCARD_DATA, flags C.DWORD, info C.PCARD_FREE_SPACE_INFO) (ret C.DWORD) {
	defer guard(&ret, "CardQueryFreeSpace")
	c, ok := ctxOf(p)
	if !ok || !aligned(unsafe.Pointer(info)) {
		return invalid
	}
	if info.dwVersion > C.DWORD(spec.CardFreeSpaceInfoCurrentVersion) {
		return C.DWORD(spec.ErrorRevisionMismatch)
	}
	fs, err := c.ctx.QueryFreeSpace(uint32(flags))
	if err != nil {
		return status("CardQueryFreeSpace", err)
	}
	info.dwVersion = C.DWORD(fs.Version)
	info.dwBytesAvailable = C.DWORD(fs.BytesAvailable)
	info.dwKeyContainersAvailable = C.DWORD(fs.KeyContainersAvailable)
	info.dwMaxKeyContainers = C.DWORD(fs.MaxKeyContainers)
	return 0
}

//export goCardQueryKeySizes
func goCardQueryKeySizes(p C.PCARD_DATA, keySpec, flags C.DWORD, ks C.PCARD_KEY_SIZES) (ret C.DWORD) {
	defer guard(&ret, "CardQueryKeySizes")
	c, ok := ctxOf(p)
	if !ok || !aligned(unsafe.Pointer(ks)) {
		return invalid
	}
	v, err := c.ctx.QueryKeySizes(spec.KeySpec(keySpec), uint32(flags), uint32(ks.dwVersion))
	if err != nil {
		return status("CardQueryKeySizes", err)
	}
	ks.dwVersion = C.DWORD(v.Version)
	ks.dwMinimumBitlen = C.DWORD(v.Minimum)
	ks.dwDefaultBitlen = C.DWORD(v.Default)
	ks.dwMaximumBitlen = C.DWORD(v.Maximum)
	ks.dwIncrementalBitlen = C.DWORD(v.Incremental)
	return 0
}

//export goCardSignData
func goCardSignData(p C.PCARD_DATA, info C.PCARD_SIGNING_INFO) (ret C.DWORD) {
	defer guard(&ret, "CardSignData")
	c, ok := ctxOf(p)
	if !ok || !aligned(unsafe.Pointer(info)) {
		return invalid
	}
	si := &engine.SigningInfo{
		Version:        uint32(info.dwVersion),
		ContainerIndex: byte(info.bContainerIndex),
		KeySpec:        spec.KeySpec(info.dwKeySpec),
		SigningFlags:   uint32(info.dwSigningFlags),
		HashAlg:        spec.ALGID(info.aiHashAlg),
		Data:           goBytes(info.pbData, info.cbData),
	}
	// A version 1 structure ends before the padding fields: read them only from version 2 on.
	if info.dwVersion >= 2 {
		si.PaddingType = uint32(info.dwPaddingType)
		if info.pPaddingInfo != nil && si.SigningFlags&spec.CardPaddingInfoPresent != 0 {
			if !aligned(unsafe.Pointer(info.pPaddingInfo)) {
				return invalid
			}
			pi := &engine.PaddingInfo{}
			// BCRYPT_PKCS1_PADDING_INFO and BCRYPT_PSS_PADDING_INFO both start with pszAlgId.
			pss := (*C.BCRYPT_PSS_PADDING_INFO)(info.pPaddingInfo)
			if pss.pszAlgId != nil {
				alg, ok := wideString((*C.WCHAR)(unsafe.Pointer(pss.pszAlgId)))
				if !ok {
					return invalid
				}
				pi.AlgID, pi.HasAlgID = alg, true
			}
			if si.PaddingType == spec.CardPaddingPSS {
				pi.SaltLen = uint32(pss.cbSalt)
			}
			si.Padding = pi
		}
	}
	info.pbSignedData, info.cbSignedData = nil, 0
	if err := c.ctx.SignData(si); err != nil {
		return status("CardSignData", err)
	}
	if si.SignedData != nil {
		info.pbSignedData = bufPtr(si.SignedData)
	}
	info.cbSignedData = C.DWORD(si.SignedSize)
	return 0
}

//export goCardRSADecrypt
func goCardRSADecrypt(p C.PCARD_DATA, info C.PCARD_RSA_DECRYPT_INFO) (ret C.DWORD) {
	defer guard(&ret, "CardRSADecrypt")
	c, ok := ctxOf(p)
	if !ok || !aligned(unsafe.Pointer(info)) {
		return invalid
	}
	di := &engine.RSADecryptInfo{
		Version:        uint32(info.dwVersion),
		ContainerIndex: byte(info.bContainerIndex),
		KeySpec:        spec.KeySpec(info.dwKeySpec),
		Data:           cSlice(info.pbData, info.cbData), // decrypted in place, as the API requires
	}
	if info.dwVersion >= 2 {
		di.PaddingType = uint32(info.dwPaddingType)
		if info.pPaddingInfo != nil && di.PaddingType == spec.CardPaddingOAEP {
			if di.OAEP, ok = oaepInfo(info.pPaddingInfo); !ok {
				return invalid
			}
		}
	}
	if err := c.ctx.RSADecrypt(di); err != nil {
		return status("CardRSADecrypt", err)
	}
	info.cbData = C.DWORD(len(di.Data))
	return 0
}

// oaepInfo reads a BCRYPT_OAEP_PADDING_INFO; ok is false for a misaligned structure or an
// unreadable hash name.
func oaepInfo(p C.LPVOID) (*engine.OAEPInfo, bool) {
	if !aligned(unsafe.Pointer(p)) {
		return nil, false
	}
	oaep := (*C.BCRYPT_OAEP_PADDING_INFO)(p)
	oi := &engine.OAEPInfo{Label: goBytes((*C.BYTE)(unsafe.Pointer(oaep.pbLabel)), C.DWORD(oaep.cbLabel))}
	if oaep.pszAlgId != nil {
		alg, ok := wideString((*C.WCHAR)(unsafe.Pointer(oaep.pszAlgId)))
		if !ok {
			return nil, false
		}
		oi.AlgID, oi.HasAlgID = alg, true
	}
	return oi, true
}

//export goCardConstructDHAgreement
func goCardConstructDHAgreement(p C.PCARD_DATA, info C.PCARD_DH_AGREEMENT_INFO) (ret C.DWORD) {
	defer guard(&ret, "CardConstructDHAgreement")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	ai, ok := dhAgreementInfo(unsafe.Pointer(info))
	if !ok {
		return invalid
	}
	if err := c.ctx.ConstructDHAgreement(ai); err != nil {
		return status("CardConstructDHAgreement", err)
	}
	info.bSecretAgreementIndex = C.BYTE(ai.AgreementIndex)
	return 0
}

//export goCardDeriveKey
func goCardDeriveKey(p C.PCARD_DATA, info C.PCARD_DERIVE_KEY) (ret C.DWORD) {
	defer guard(&ret, "CardDeriveKey")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	di, ok := deriveKeyInfo(unsafe.Pointer(info))
	if !ok {
		return invalid
	}
	if err := c.ctx.DeriveKey(di); err != nil {
		return status("CardDeriveKey", err)
	}
	if di.DerivedKey != nil {
		info.pbDerivedKey = bufPtr(di.DerivedKey)
	}
	info.cbDerivedKey = C.DWORD(di.DerivedSize)
	if di.Version >= spec.CardDeriveKeyVersionTwo {
		info.hKey = C.CARD_KEY_HANDLE(di.Key)
	}
	return 0
}

//export goCardDestroyDHAgreement
func goCardDestroyDHAgreement(p C.PCARD_DATA, idx C.BYTE, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardDestroyDHAgreement")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	return status("CardDestroyDHAgreement", c.ctx.DestroyDHAgreement(byte(idx), uint32(flags)))
}

//export goCardGetChallengeEx
func goCardGetChallengeEx(p C.PCARD_DATA, pin C.PIN_ID, pp *C.PBYTE, pcb C.PDWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardGetChallengeEx")
	c, ok := ctxOf(p)
	if !ok || pp == nil || pcb == nil {
		return invalid
	}
	*pp = nil
	buf, err := c.ctx.GetChallengeEx(spec.PINID(pin), uint32(flags))
	if err != nil {
		return status("CardGetChallengeEx", err)
	}
	returnBuffer(buf, pp, pcb)
	return 0
}

//export goCardAuthenticateEx
func goCardAuthenticateEx(p C.PCARD_DATA, pin C.PIN_ID, flags C.DWORD, pb C.PBYTE, cb C.DWORD, ppSession *C.PBYTE, pcbSession C.PDWORD, attempts C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "CardAuthenticateEx")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	data := goBytes(pb, cb)
	defer clear(data)
	wantSession := ppSession != nil && pcbSession != nil
	if ppSession != nil {
		*ppSession = nil
	}
	session, n, err := c.ctx.AuthenticateEx(spec.PINID(pin), uint32(flags), data, wantSession)
	if err != nil {
		setDWORD(attempts, n)
		return status("CardAuthenticateEx", err)
	}
	if session != nil && wantSession {
		returnBuffer(session, ppSession, pcbSession)
	} else if pcbSession != nil {
		*pcbSession = 0
	}
	return 0
}

//export goCardChangeAuthenticatorEx
func goCardChangeAuthenticatorEx(p C.PCARD_DATA, flags C.DWORD, authID C.PIN_ID, pbAuth C.PBYTE, cbAuth C.DWORD, targetID C.PIN_ID, pbTarget C.PBYTE, cbTarget C.DWORD, retry C.DWORD, attempts C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "CardChangeAuthenticatorEx")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	auth, target := goBytes(pbAuth, cbAuth), goBytes(pbTarget, cbTarget)
	defer clear(auth)
	defer clear(target)
	n, err := c.ctx.ChangeAuthenticatorEx(uint32(flags), spec.PINID(authID), auth, spec.PINID(targetID), target, uint32(retry))
	if err != nil {
		setDWORD(attempts, n)
	}
	return status("CardChangeAuthenticatorEx", err)
}

//export goCardDeauthenticateEx
func goCardDeauthenticateEx(p C.PCARD_DATA, set C.PIN_SET, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardDeauthenticateEx")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	return status("CardDeauthenticateEx", c.ctx.DeauthenticateEx(spec.PINSet(set), uint32(flags)))
}

//export goCardGetContainerProperty
func goCardGetContainerProperty(p C.PCARD_DATA, idx C.BYTE, name C.LPCWSTR, pb C.PBYTE, cb C.DWORD, pdwLen C.PDWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardGetContainerProperty")
	c, ok := ctxOf(p)
	if !ok || pdwLen == nil {
		return invalid
	}
	prop, ok := wideString((*C.WCHAR)(unsafe.Pointer(name)))
	if !ok {
		return invalid
	}
	var infoVersion uint32
	if prop == spec.CCPContainerInfo {
		// The value is a CONTAINER_INFO the caller provides.
		*pdwLen = C.DWORD(unsafe.Sizeof(C.CONTAINER_INFO{}))
		if pb == nil || cb < C.DWORD(unsafe.Sizeof(C.CONTAINER_INFO{})) {
			return C.DWORD(spec.ErrorInsufficientBuffer)
		}
		if !aligned(unsafe.Pointer(pb)) {
			return invalid
		}
		infoVersion = uint32((*C.CONTAINER_INFO)(unsafe.Pointer(pb)).dwVersion)
	}
	v, err := c.ctx.GetContainerProperty(byte(idx), prop, uint32(flags), infoVersion)
	if err != nil {
		return status("CardGetContainerProperty", err)
	}
	if v.Info != nil {
		fillContainerInfo((*C.CONTAINER_INFO)(unsafe.Pointer(pb)), v.Info)
		return 0
	}
	return copyOut(v.Data, pb, cb, pdwLen)
}

//export goCardSetContainerProperty
func goCardSetContainerProperty(p C.PCARD_DATA, idx C.BYTE, name C.LPCWSTR, pb C.PBYTE, cb C.DWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardSetContainerProperty")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	prop, ok := wideString((*C.WCHAR)(unsafe.Pointer(name)))
	if !ok {
		return invalid
	}
	return status("CardSetContainerProperty", c.ctx.SetContainerProperty(byte(idx), prop, goBytes(pb, cb), uint32(flags)))
}

//export goCardGetProperty
func goCardGetProperty(p C.PCARD_DATA, name C.LPCWSTR, pb C.PBYTE, cb C.DWORD, pdwLen C.PDWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardGetProperty")
	c, ok := ctxOf(p)
	if !ok || pdwLen == nil {
		return invalid
	}
	prop, ok := wideString((*C.WCHAR)(unsafe.Pointer(name)))
	if !ok {
		return invalid
	}
	data, err := c.ctx.GetProperty(prop, uint32(flags))
	if err != nil {
		return status("CardGetProperty", err)
	}
	return copyOut(data, pb, cb, pdwLen)
}

//export goCardSetProperty
func goCardSetProperty(p C.PCARD_DATA, name C.LPCWSTR, pb C.PBYTE, cb C.DWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardSetProperty")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	prop, ok := wideString((*C.WCHAR)(unsafe.Pointer(name)))
	if !ok {
		return invalid
	}
	data := goBytes(pb, cb)
	if prop == spec.CPPINContextString && pb != nil {
		// The value is the wide string itself: read it up to its NUL when no length is given.
		if s, ok := wideString((*C.WCHAR)(unsafe.Pointer(pb))); ok {
			data = append(spec.UTF16LEBytes(s), 0, 0)
		}
	}
	return status("CardSetProperty", c.ctx.SetProperty(prop, data, uint32(flags)))
}

//export goMDImportSessionKey
func goMDImportSessionKey(p C.PCARD_DATA, blobType, algID C.LPCWSTR, phKey C.PCARD_KEY_HANDLE, pb C.PBYTE, cb C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "MDImportSessionKey")
	c, ok := ctxOf(p)
	if !ok || phKey == nil {
		return invalid
	}
	bt, ok1 := wideString((*C.WCHAR)(unsafe.Pointer(blobType)))
	alg, ok2 := wideString((*C.WCHAR)(unsafe.Pointer(algID)))
	if !ok1 || !ok2 {
		return invalid
	}
	input := goBytes(pb, cb)
	defer clear(input)
	h, err := c.ctx.MDImportSessionKey(bt, alg, input)
	if err != nil {
		return status("MDImportSessionKey", err)
	}
	*phKey = C.CARD_KEY_HANDLE(h)
	return 0
}

//export goMDEncryptData
func goMDEncryptData(p C.PCARD_DATA, hKey C.CARD_KEY_HANDLE, fn C.LPCWSTR, pb C.PBYTE, cb C.DWORD, flags C.DWORD, pp *C.PCARD_ENCRYPTED_DATA, pc C.PDWORD) (ret C.DWORD) {
	defer guard(&ret, "MDEncryptData")
	c, ok := ctxOf(p)
	if !ok || pp == nil || pc == nil {
		return invalid
	}
	*pp = nil
	f, ok := wideString((*C.WCHAR)(unsafe.Pointer(fn)))
	if !ok {
		return invalid
	}
	input := goBytes(pb, cb)
	defer clear(input)
	blocks, err := c.ctx.MDEncryptData(uintptr(hKey), f, input, uint32(flags))
	if err != nil {
		return status("MDEncryptData", err)
	}
	// One allocation holds the CARD_ENCRYPTED_DATA array and every payload, so the caller's one
	// pfnCspFree releases everything.
	head := int(unsafe.Sizeof(C.CARD_ENCRYPTED_DATA{})) * len(blocks)
	total := head
	for _, b := range blocks {
		total += len(b)
	}
	all := c.host.Alloc(total)
	if all == nil {
		for _, b := range blocks {
			c.host.Free(b)
		}
		return C.DWORD(spec.ErrorNotEnoughMemory)
	}
	arr := unsafe.Slice((*C.CARD_ENCRYPTED_DATA)(unsafe.Pointer(unsafe.SliceData(all))), len(blocks))
	off := head
	for i, b := range blocks {
		n := copy(all[off:], b)
		arr[i].pbEncryptedData = (*C.BYTE)(unsafe.Pointer(&all[off]))
		arr[i].cbEncryptedData = C.DWORD(n)
		off += n
		c.host.Free(b)
	}
	*pp = (C.PCARD_ENCRYPTED_DATA)(unsafe.Pointer(unsafe.SliceData(all)))
	*pc = C.DWORD(len(blocks))
	return 0
}

//export goCardImportSessionKey
func goCardImportSessionKey(p C.PCARD_DATA, idx C.BYTE, padding C.LPVOID, blobType, algID C.LPCWSTR, phKey C.PCARD_KEY_HANDLE, pb C.PBYTE, cb C.DWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardImportSessionKey")
	c, ok := ctxOf(p)
	if !ok || phKey == nil {
		return invalid
	}
	bt, ok1 := wideString((*C.WCHAR)(unsafe.Pointer(blobType)))
	alg, ok2 := wideString((*C.WCHAR)(unsafe.Pointer(algID)))
	if !ok1 || !ok2 {
		return invalid
	}
	var oi *engine.OAEPInfo
	if padding != nil && uint32(flags)&spec.CardPaddingOAEP != 0 {
		if oi, ok = oaepInfo(padding); !ok {
			return invalid
		}
	}
	input := goBytes(pb, cb)
	defer clear(input)
	h, err := c.ctx.ImportSessionKey(byte(idx), oi, bt, alg, input, uint32(flags))
	if err != nil {
		return status("CardImportSessionKey", err)
	}
	*phKey = C.CARD_KEY_HANDLE(h)
	return 0
}

//export goCardGetSharedKeyHandle
func goCardGetSharedKeyHandle(p C.PCARD_DATA, pb C.PBYTE, cb C.DWORD, ppOut *C.PBYTE, pcbOut C.PDWORD, phKey C.PCARD_KEY_HANDLE) (ret C.DWORD) {
	defer guard(&ret, "CardGetSharedKeyHandle")
	c, ok := ctxOf(p)
	if !ok || phKey == nil {
		return invalid
	}
	wantOutput := ppOut != nil && pcbOut != nil
	if ppOut != nil {
		*ppOut = nil
	}
	out, h, err := c.ctx.GetSharedKeyHandle(goBytes(pb, cb), wantOutput)
	if err != nil {
		return status("CardGetSharedKeyHandle", err)
	}
	if wantOutput {
		returnBuffer(out, ppOut, pcbOut)
	}
	*phKey = C.CARD_KEY_HANDLE(h)
	return 0
}

//export goCardGetAlgorithmProperty
func goCardGetAlgorithmProperty(p C.PCARD_DATA, algID, name C.LPCWSTR, pb C.PBYTE, cb C.DWORD, pdwLen C.PDWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardGetAlgorithmProperty")
	c, ok := ctxOf(p)
	if !ok || pdwLen == nil {
		return invalid
	}
	alg, ok1 := wideString((*C.WCHAR)(unsafe.Pointer(algID)))
	prop, ok2 := wideString((*C.WCHAR)(unsafe.Pointer(name)))
	if !ok1 || !ok2 {
		return invalid
	}
	data, err := c.ctx.GetAlgorithmProperty(alg, prop, uint32(flags))
	if err != nil {
		return status("CardGetAlgorithmProperty", err)
	}
	return copyOut(data, pb, cb, pdwLen)
}

//export goCardGetKeyProperty
func goCardGetKeyProperty(p C.PCARD_DATA, hKey C.CARD_KEY_HANDLE, name C.LPCWSTR, pb C.PBYTE, cb C.DWORD, pdwLen C.PDWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardGetKeyProperty")
	c, ok := ctxOf(p)
	if !ok || pdwLen == nil {
		return invalid
	}
	prop, ok := wideString((*C.WCHAR)(unsafe.Pointer(name)))
	if !ok {
		return invalid
	}
	data, err := c.ctx.GetKeyProperty(uintptr(hKey), prop, uint32(flags))
	if err != nil {
		return status("CardGetKeyProperty", err)
	}
	return copyOut(data, pb, cb, pdwLen)
}

//export goCardSetKeyProperty
func goCardSetKeyProperty(p C.PCARD_DATA, hKey C.CARD_KEY_HANDLE, name C.LPCWSTR, pb C.PBYTE, cb C.DWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardSetKeyProperty")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	prop, ok := wideString((*C.WCHAR)(unsafe.Pointer(name)))
	if !ok || (pb == nil && cb != 0) {
		return invalid
	}
	return status("CardSetKeyProperty", c.ctx.SetKeyProperty(uintptr(hKey), prop, goBytes(pb, cb), uint32(flags)))
}

//export goCardDestroyKey
func goCardDestroyKey(p C.PCARD_DATA, hKey C.CARD_KEY_HANDLE) (ret C.DWORD) {
	defer guard(&ret, "CardDestroyKey")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	return status("CardDestroyKey", c.ctx.DestroyKey(uintptr(hKey)))
}

//export goCardProcessEncryptedData
func goCardProcessEncryptedData(p C.PCARD_DATA, hKey C.CARD_KEY_HANDLE, fn C.LPCWSTR, pEnc C.PCARD_ENCRYPTED_DATA, cEnc C.DWORD, pbOut C.PBYTE, cbOut C.DWORD, pdwOutLen C.PDWORD, flags C.DWORD) (ret C.DWORD) {
	defer guard(&ret, "CardProcessEncryptedData")
	c, ok := ctxOf(p)
	if !ok {
		return invalid
	}
	f, ok := wideString((*C.WCHAR)(unsafe.Pointer(fn)))
	if !ok || (pEnc == nil && cEnc != 0) || cEnc > 1024 {
		return invalid
	}
	var blocks [][]byte
	if cEnc > 0 {
		for _, e := range unsafe.Slice(pEnc, int(cEnc)) {
			blocks = append(blocks, goBytes(e.pbEncryptedData, e.cbEncryptedData))
		}
	}
	out, err := c.ctx.ProcessEncryptedData(uintptr(hKey), f, blocks, uint32(flags))
	if err != nil {
		return status("CardProcessEncryptedData", err)
	}
	defer clear(out)
	if pdwOutLen != nil {
		*pdwOutLen = C.DWORD(len(out))
	}
	if pbOut == nil {
		return 0 // size probe
	}
	if int(cbOut) < len(out) {
		return C.DWORD(spec.SCardEInsufficientBuffer)
	}
	copy(cSlice(pbOut, cbOut), out)
	return 0
}
