package abi

import (
	"bytes"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/spec"
)

// Each method converts its arguments into C memory (an arena freed on return), calls the
// CARD_DATA function, converts the results back to Go memory and frees what the minidriver
// allocated with the caller's free.

const unknownAttempts = spec.CardDataValueUnknown

// guard bytes after caller buffers, to catch writes past cbData.
const guardLen = 16

func (c *Context) Delete() error {
	err := c.call("CardDeleteContext", "pfnCardDeleteContext", c.cd)
	if err == nil {
		c.deleted = true
		mu.Lock()
		delete(dhTables, c.cd)
		mu.Unlock()
	}
	// CardDeleteContext may clear pvVendorSpecific; later calls compare with that.
	o := fieldOff("pvVendorSpecific")
	copy(c.snapshot[o:o+ptrSize], view(c.cd+uintptr(o), ptrSize))
	return err
}

func (c *Context) ReadFile(dir, name string, flags uint32) ([]byte, error) {
	var a arena
	defer a.free()
	pp, pcb := a.ptr(), a.dword(0)
	err := c.call("CardReadFile", "pfnCardReadFile", c.cd, a.dir(dir), a.astr(name), uintptr(flags), pp, pcb)
	if err != nil {
		outNull("CardReadFile", "*ppbData", readPtr(pp))
		return nil, err
	}
	b := take("CardReadFile", readPtr(pp), int(readDword(pcb)))
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func (c *Context) EnumFiles(dir string, flags uint32) ([]byte, error) {
	var a arena
	defer a.free()
	pp, pcb := a.ptr(), a.dword(0)
	err := c.call("CardEnumFiles", "pfnCardEnumFiles", c.cd, a.dir(dir), pp, pcb, uintptr(flags))
	if err != nil {
		outNull("CardEnumFiles", "*pmszFileNames", readPtr(pp))
		return nil, err
	}
	return take("CardEnumFiles", readPtr(pp), int(readDword(pcb))), nil
}

func (c *Context) GetFileInfo(dir, name string) (spec.FileInfo, error) {
	var a arena
	defer a.free()
	p := a.alloc(sizeofFileInfo.at())
	put32(p, off{0, 0}, spec.CardFileInfoCurrentVersion)
	if err := c.call("CardGetFileInfo", "pfnCardGetFileInfo", c.cd, a.dir(dir), a.astr(name), p); err != nil {
		return spec.FileInfo{}, err
	}
	return spec.ParseFileInfo(copyOut(p, sizeofFileInfo.at()))
}

func (c *Context) QueryFreeSpace(flags uint32) (spec.FreeSpaceInfo, error) {
	var a arena
	defer a.free()
	p := a.alloc(sizeofFreeSpace.at())
	put32(p, off{0, 0}, spec.CardFreeSpaceInfoCurrentVersion)
	if err := c.call("CardQueryFreeSpace", "pfnCardQueryFreeSpace", c.cd, uintptr(flags), p); err != nil {
		return spec.FreeSpaceInfo{}, err
	}
	return spec.ParseFreeSpaceInfo(copyOut(p, sizeofFreeSpace.at()))
}

func (c *Context) CreateDirectory(dir string, ac spec.DirAccessCondition) error {
	var a arena
	defer a.free()
	return c.call("CardCreateDirectory", "pfnCardCreateDirectory", c.cd, a.astr(dir), uintptr(uint32(ac)))
}

func (c *Context) DeleteDirectory(dir string) error {
	var a arena
	defer a.free()
	return c.call("CardDeleteDirectory", "pfnCardDeleteDirectory", c.cd, a.astr(dir))
}

func (c *Context) CreateFile(dir, name string, size uint32, ac spec.FileAccessCondition) error {
	var a arena
	defer a.free()
	return c.call("CardCreateFile", "pfnCardCreateFile", c.cd, a.dir(dir), a.astr(name), uintptr(size), uintptr(uint32(ac)))
}

func (c *Context) WriteFile(dir, name string, flags uint32, data []byte) error {
	var a arena
	defer a.free()
	return c.call("CardWriteFile", "pfnCardWriteFile", c.cd, a.dir(dir), a.astr(name), uintptr(flags), a.bytes(data), uintptr(len(data)))
}

func (c *Context) DeleteFile(dir, name string, flags uint32) error {
	var a arena
	defer a.free()
	return c.call("CardDeleteFile", "pfnCardDeleteFile", c.cd, a.dir(dir), a.astr(name), uintptr(flags))
}

func (c *Context) QueryCapabilities(version uint32) (spec.CardCapabilities, error) {
	var a arena
	defer a.free()
	p := a.alloc(sizeofCaps.at())
	put32(p, capVersion, version)
	if err := c.call("CardQueryCapabilities", "pfnCardQueryCapabilities", c.cd, p); err != nil {
		return spec.CardCapabilities{}, err
	}
	return spec.ParseCardCapabilities(copyOut(p, sizeofCaps.at()))
}

// readContainerInfo takes the blobs of a CONTAINER_INFO the minidriver filled.
func readContainerInfo(fn string, p uintptr, info *engine.ContainerInfo) {
	info.SigPublicKey = take(fn, getPtr(p, ciPbSig), int(get32(p, ciCbSig)))
	info.KeyExPublicKey = take(fn, getPtr(p, ciPbKeyEx), int(get32(p, ciCbKeyEx)))
}

func (c *Context) GetContainerInfo(idx byte, flags uint32, info *engine.ContainerInfo) error {
	var a arena
	defer a.free()
	var p uintptr
	if info != nil {
		p = a.alloc(sizeofCI.at())
		put32(p, ciVersion, info.Version)
	}
	err := c.call("CardGetContainerInfo", "pfnCardGetContainerInfo", c.cd, uintptr(idx), uintptr(flags), p)
	if err != nil {
		if p != 0 {
			outNull("CardGetContainerInfo", "pbSigPublicKey", getPtr(p, ciPbSig))
			outNull("CardGetContainerInfo", "pbKeyExPublicKey", getPtr(p, ciPbKeyEx))
		}
		return err
	}
	if info != nil {
		readContainerInfo("CardGetContainerInfo", p, info)
	}
	return nil
}

// getSized calls a Get*Property function with a cbData-byte buffer (plus guard bytes) and
// returns the buffer's first *pdwDataLen bytes. pre prepares the buffer.
func (c *Context) getSized(fn, slot string, cbData uint32, pre func(buf uintptr), args func(pb, pdw uintptr) []uintptr) (Sized, uintptr, *arena, error) {
	a := &arena{}
	buf := a.alloc(int(cbData) + guardLen)
	for i := range view(buf+uintptr(cbData), guardLen) {
		view(buf+uintptr(cbData), guardLen)[i] = 0xA5
	}
	if pre != nil && cbData >= 4 {
		pre(buf)
	}
	pdw := a.dword(0)
	err := c.call(fn, slot, c.cd, args(buf, pdw)...)
	if !bytes.Equal(view(buf+uintptr(cbData), guardLen), bytes.Repeat([]byte{0xA5}, guardLen)) {
		violation("%s wrote past the %d-byte pbData buffer", fn, cbData)
	}
	n := readDword(pdw)
	if err != nil {
		return Sized{DataLen: n}, buf, a, err
	}
	if n > cbData {
		violation("%s succeeded with *pdwDataLen %d > cbData %d", fn, n, cbData)
		n = cbData
	}
	return Sized{Data: copyOut(buf, int(n)), DataLen: readDword(pdw)}, buf, a, nil
}

// Sized is mdflow.Sized.
type Sized = mdflow.Sized

func (c *Context) GetContainerProperty(idx byte, name string, flags uint32, infoVersion uint32) (engine.ContainerProperty, error) {
	cb := uint32(4096)
	if name == spec.CCPContainerInfo {
		cb = uint32(sizeofCI.at())
	}
	s, buf, a, err := c.containerProp(idx, name, cb, flags, infoVersion)
	defer a.free()
	if err != nil {
		return engine.ContainerProperty{}, err
	}
	if name == spec.CCPContainerInfo {
		info := &engine.ContainerInfo{Version: get32(buf, ciVersion)}
		readContainerInfo("CardGetContainerProperty", buf, info)
		return engine.ContainerProperty{Info: info}, nil
	}
	return engine.ContainerProperty{Data: s.Data}, nil
}

func (c *Context) containerProp(idx byte, name string, cbData, flags, infoVersion uint32) (Sized, uintptr, *arena, error) {
	var pre func(uintptr)
	if name == spec.CCPContainerInfo {
		pre = func(b uintptr) { put32(b, ciVersion, infoVersion) }
	}
	var names arena
	wname := names.wstr(name)
	s, buf, a, err := c.getSized("CardGetContainerProperty", "pfnCardGetContainerProperty", cbData, pre, func(pb, pdw uintptr) []uintptr {
		return []uintptr{uintptr(idx), wname, pb, uintptr(cbData), pdw, uintptr(flags)}
	})
	a.ptrs = append(a.ptrs, names.ptrs...)
	if err != nil && name == spec.CCPContainerInfo && cbData >= uint32(sizeofCI.at()) {
		outNull("CardGetContainerProperty", "pbSigPublicKey", getPtr(buf, ciPbSig))
		outNull("CardGetContainerProperty", "pbKeyExPublicKey", getPtr(buf, ciPbKeyEx))
	}
	return s, buf, a, err
}

func (c *Context) GetContainerPropertySized(idx byte, name string, cbData uint32, flags uint32, infoVersion uint32) (Sized, error) {
	s, buf, a, err := c.containerProp(idx, name, cbData, flags, infoVersion)
	defer a.free()
	if err == nil && name == spec.CCPContainerInfo && len(s.Data) >= sizeofCI.at() {
		var info engine.ContainerInfo
		readContainerInfo("CardGetContainerProperty", buf, &info)
		for _, o := range []off{ciPbSig, ciPbKeyEx} {
			clear(s.Data[o.at() : o.at()+ptrSize])
		}
	}
	return s, err
}

func (c *Context) SetContainerProperty(idx byte, name string, data []byte, flags uint32) error {
	var a arena
	defer a.free()
	return c.call("CardSetContainerProperty", "pfnCardSetContainerProperty", c.cd, uintptr(idx), a.wstr(name), a.bytes(data), uintptr(len(data)), uintptr(flags))
}

func (c *Context) QueryKeySizes(ks spec.KeySpec, flags uint32, version uint32) (spec.KeySizes, error) {
	var a arena
	defer a.free()
	p := a.alloc(sizeofKeySizes.at())
	put32(p, off{0, 0}, version)
	if err := c.call("CardQueryKeySizes", "pfnCardQueryKeySizes", c.cd, uintptr(ks), uintptr(flags), p); err != nil {
		return spec.KeySizes{}, err
	}
	return spec.ParseKeySizes(copyOut(p, sizeofKeySizes.at()))
}

func (c *Context) CreateContainer(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte) error {
	var a arena
	defer a.free()
	return c.call("CardCreateContainer", "pfnCardCreateContainer", c.cd, uintptr(idx), uintptr(flags), uintptr(ks), uintptr(bits), a.bytes(keyData))
}

func (c *Context) CreateContainerEx(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte, pin spec.PINID) error {
	var a arena
	defer a.free()
	return c.call("CardCreateContainerEx", "pfnCardCreateContainerEx", c.cd, uintptr(idx), uintptr(flags), uintptr(ks), uintptr(bits), a.bytes(keyData), uintptr(pin))
}

func (c *Context) DeleteContainer(idx byte, reserved uint32) error {
	return c.call("CardDeleteContainer", "pfnCardDeleteContainer", c.cd, uintptr(idx), uintptr(reserved))
}

// presetVersion writes the structure version the Base CSP puts in a property buffer.
func presetVersion(name string) func(uintptr) {
	v := map[string]uint32{spec.CPCardFreeSpace: 1, spec.CPCardCapabilities: 1, spec.CPCardKeySizes: 1, spec.CPCardPINInfo: 6}[name]
	if v == 0 {
		return nil
	}
	return func(b uintptr) { put32(b, off{0, 0}, v) }
}

func (c *Context) getProp(name string, cbData, flags uint32) (Sized, error) {
	var names arena
	defer names.free()
	wname := names.wstr(name)
	s, _, a, err := c.getSized("CardGetProperty", "pfnCardGetProperty", cbData, presetVersion(name), func(pb, pdw uintptr) []uintptr {
		return []uintptr{wname, pb, uintptr(cbData), pdw, uintptr(flags)}
	})
	a.free()
	return s, err
}

func (c *Context) GetProperty(name string, flags uint32) ([]byte, error) {
	s, err := c.getProp(name, 4096, flags)
	if spec.StatusOf(err) == spec.ErrorInsufficientBuffer && s.DataLen > 4096 {
		s, err = c.getProp(name, s.DataLen, flags)
	}
	if err != nil {
		return nil, err
	}
	return s.Data, nil
}

func (c *Context) GetPropertySized(name string, cbData uint32, flags uint32) (Sized, error) {
	return c.getProp(name, cbData, flags)
}

func (c *Context) SetProperty(name string, data []byte, flags uint32) error {
	var a arena
	defer a.free()
	return c.call("CardSetProperty", "pfnCardSetProperty", c.cd, a.wstr(name), a.bytes(data), uintptr(len(data)), uintptr(flags))
}

func (c *Context) AuthenticatePin(userID string, pin []byte) (uint32, error) {
	var a arena
	defer a.free()
	left := a.dword(unknownAttempts)
	err := c.call("CardAuthenticatePin", "pfnCardAuthenticatePin", c.cd, a.wstr(userID), a.bytes(pin), uintptr(len(pin)), left)
	return readDword(left), err
}

func (c *Context) AuthenticateEx(id spec.PINID, flags uint32, pinData []byte, wantSession bool) ([]byte, uint32, error) {
	var a arena
	defer a.free()
	var pp, pcb uintptr
	if wantSession {
		pp, pcb = a.ptr(), a.dword(0)
	}
	left := a.dword(unknownAttempts)
	err := c.call("CardAuthenticateEx", "pfnCardAuthenticateEx", c.cd, uintptr(id), uintptr(flags), a.bytes(pinData), uintptr(len(pinData)), pp, pcb, left)
	if !wantSession {
		return nil, readDword(left), err
	}
	if err != nil {
		outNull("CardAuthenticateEx", "*ppbSessionPin", readPtr(pp))
		return nil, readDword(left), err
	}
	return take("CardAuthenticateEx", readPtr(pp), int(readDword(pcb))), readDword(left), nil
}

func (c *Context) challenge(fn, slot string, args func(pp, pcb uintptr) []uintptr) ([]byte, error) {
	var a arena
	defer a.free()
	pp, pcb := a.ptr(), a.dword(0)
	if err := c.call(fn, slot, c.cd, args(pp, pcb)...); err != nil {
		outNull(fn, "*ppbChallengeData", readPtr(pp))
		return nil, err
	}
	return take(fn, readPtr(pp), int(readDword(pcb))), nil
}

func (c *Context) GetChallenge() ([]byte, error) {
	return c.challenge("CardGetChallenge", "pfnCardGetChallenge", func(pp, pcb uintptr) []uintptr { return []uintptr{pp, pcb} })
}

func (c *Context) GetChallengeEx(id spec.PINID, flags uint32) ([]byte, error) {
	return c.challenge("CardGetChallengeEx", "pfnCardGetChallengeEx", func(pp, pcb uintptr) []uintptr {
		return []uintptr{uintptr(id), pp, pcb, uintptr(flags)}
	})
}

func (c *Context) AuthenticateChallenge(resp []byte) (uint32, error) {
	var a arena
	defer a.free()
	left := a.dword(unknownAttempts)
	err := c.call("CardAuthenticateChallenge", "pfnCardAuthenticateChallenge", c.cd, a.bytes(resp), uintptr(len(resp)), left)
	return readDword(left), err
}

func (c *Context) ChangeAuthenticator(userID string, cur, next []byte, retryCount, flags uint32) (uint32, error) {
	var a arena
	defer a.free()
	left := a.dword(unknownAttempts)
	err := c.call("CardChangeAuthenticator", "pfnCardChangeAuthenticator", c.cd, a.wstr(userID), a.bytes(cur), uintptr(len(cur)),
		a.bytes(next), uintptr(len(next)), uintptr(retryCount), uintptr(flags), left)
	return readDword(left), err
}

func (c *Context) ChangeAuthenticatorEx(flags uint32, authID spec.PINID, authData []byte, target spec.PINID, targetData []byte, retryCount uint32) (uint32, error) {
	var a arena
	defer a.free()
	left := a.dword(unknownAttempts)
	err := c.call("CardChangeAuthenticatorEx", "pfnCardChangeAuthenticatorEx", c.cd, uintptr(flags), uintptr(authID), a.bytes(authData),
		uintptr(len(authData)), uintptr(target), a.bytes(targetData), uintptr(len(targetData)), uintptr(retryCount), left)
	return readDword(left), err
}

func (c *Context) UnblockPin(userID string, auth, newPIN []byte, retryCount, flags uint32) error {
	var a arena
	defer a.free()
	return c.call("CardUnblockPin", "pfnCardUnblockPin", c.cd, a.wstr(userID), a.bytes(auth), uintptr(len(auth)),
		a.bytes(newPIN), uintptr(len(newPIN)), uintptr(retryCount), uintptr(flags))
}

func (c *Context) Deauthenticate(userID string, flags uint32) error {
	var a arena
	defer a.free()
	return c.call("CardDeauthenticate", "pfnCardDeauthenticate", c.cd, a.wstr(userID), uintptr(flags))
}

func (c *Context) DeauthenticateEx(set spec.PINSet, flags uint32) error {
	return c.call("CardDeauthenticateEx", "pfnCardDeauthenticateEx", c.cd, uintptr(set), uintptr(flags))
}

// signingInfo lays out a CARD_SIGNING_INFO (v2 layout) with its padding info.
func signingInfo(a *arena, info *engine.SigningInfo) uintptr {
	p := a.alloc(sizeofSI.at())
	put32(p, siVersion, info.Version)
	put8(p, siContainer, info.ContainerIndex)
	put32(p, siKeySpec, uint32(info.KeySpec))
	put32(p, siFlags, info.SigningFlags)
	put32(p, siHashAlg, uint32(info.HashAlg))
	putPtr(p, siPbData, a.bytes(info.Data))
	put32(p, siCbData, uint32(len(info.Data)))
	put32(p, siPadType, info.PaddingType)
	if info.Padding != nil {
		var alg uintptr
		if info.Padding.HasAlgID {
			alg = a.wstr(info.Padding.AlgID)
		}
		var pi uintptr
		if info.PaddingType == engine.PaddingPSS {
			pi = a.alloc(sizeofPSS.at())
			putPtr(pi, pssAlgID, alg)
			put32(pi, pssSalt, info.Padding.SaltLen)
		} else {
			pi = a.alloc(sizeofPKCS1.at())
			putPtr(pi, pkcs1AlgID, alg)
		}
		putPtr(p, siPadInfo, pi)
	}
	return p
}

func (c *Context) SignData(info *engine.SigningInfo) error {
	var a arena
	defer a.free()
	var p uintptr
	if info != nil {
		p = signingInfo(&a, info)
	}
	err := c.call("CardSignData", "pfnCardSignData", c.cd, p)
	if info == nil {
		return err
	}
	pb, cb := getPtr(p, siPbSigned), int(get32(p, siCbSigned))
	if err != nil {
		outNull("CardSignData", "pbSignedData", pb)
		return err
	}
	info.SignedSize = cb
	if info.SigningFlags&spec.CardBufferSizeOnly != 0 {
		if pb != 0 {
			violation("CardSignData with CARD_BUFFER_SIZE_ONLY returned a buffer")
			take("CardSignData", pb, cb)
		}
		info.SignedData = nil
		return nil
	}
	info.SignedData = take("CardSignData", pb, cb)
	return nil
}

func (c *Context) RSADecrypt(info *engine.RSADecryptInfo) error {
	var a arena
	defer a.free()
	var p, pb uintptr
	if info != nil {
		size := sizeofDIv2.at()
		if info.Version < 2 {
			size = sizeofDIv1.at()
		}
		p = a.alloc(size)
		put32(p, diVersion, info.Version)
		put8(p, diContainer, info.ContainerIndex)
		put32(p, diKeySpec, uint32(info.KeySpec))
		pb = a.bytes(info.Data)
		putPtr(p, diPbData, pb)
		put32(p, diCbData, uint32(len(info.Data)))
		if info.Version >= 2 {
			put32(p, diPadType, info.PaddingType)
			if info.OAEP != nil {
				pi := a.alloc(sizeofOAEP.at())
				if info.OAEP.HasAlgID {
					putPtr(pi, oaepAlgID, a.wstr(info.OAEP.AlgID))
				}
				putPtr(pi, oaepLabel, a.bytes(info.OAEP.Label))
				put32(pi, oaepCbLabel, uint32(len(info.OAEP.Label)))
				putPtr(p, diPadInfo, pi)
			}
		}
	}
	err := c.call("CardRSADecrypt", "pfnCardRSADecrypt", c.cd, p)
	if err != nil || info == nil {
		return err
	}
	if got := getPtr(p, diPbData); got != pb {
		violation("CardRSADecrypt replaced pbData (%#x -> %#x) instead of decrypting in place", pb, got)
	}
	n := int(get32(p, diCbData))
	if n > len(info.Data) {
		violation("CardRSADecrypt: cbData grew from %d to %d", len(info.Data), n)
		n = len(info.Data)
	}
	copy(info.Data, view(pb, n))
	clear(info.Data[n:])
	info.Data = info.Data[:n]
	return nil
}

func (c *Context) ConstructDHAgreement(info *engine.DHAgreementInfo) error {
	var a arena
	defer a.free()
	var p uintptr
	if info != nil {
		p = a.alloc(sizeofDH.at())
		put32(p, dhVersion, info.Version)
		put8(p, dhContainer, info.ContainerIndex)
		put32(p, dhFlags, info.Flags)
		put32(p, dhCbPub, uint32(len(info.PublicKey)))
		putPtr(p, dhPbPub, a.bytes(info.PublicKey))
	}
	err := c.call("CardConstructDHAgreement", "pfnCardConstructDHAgreement", c.cd, p)
	if err == nil && info != nil {
		info.AgreementIndex = get8(p, dhIndex)
	}
	return err
}

func (c *Context) DeriveKey(info *engine.DeriveKeyInfo) error {
	var a arena
	defer a.free()
	var p uintptr
	if info != nil {
		size := sizeofDKv2.at()
		if info.Version < 2 {
			size = sizeofDKv1.at()
		}
		p = a.alloc(size)
		put32(p, dkVersion, info.Version)
		put32(p, dkFlags, info.Flags)
		if info.HasKDF {
			putPtr(p, dkKDF, a.wstr(info.KDF))
		}
		put8(p, dkIndex, info.AgreementIndex)
		if info.HasParams {
			desc := a.alloc(sizeofBD.at())
			put32(desc, bdVersion, info.ParamsVersion)
			put32(desc, bdCount, uint32(len(info.Params)))
			if len(info.Params) > 0 {
				arr := a.alloc(sizeofBB.at() * len(info.Params))
				for i, prm := range info.Params {
					b := arr + uintptr(i*sizeofBB.at())
					put32(b, bbCb, uint32(len(prm.Data)))
					put32(b, bbType, prm.Type)
					putPtr(b, bbPv, a.bytes(prm.Data))
				}
				putPtr(desc, bdBuffers, arr)
			}
			putPtr(p, dkParams, desc)
		}
		put32(p, dkCbKey, uint32(info.DerivedSize))
		if info.Version >= 2 {
			if info.HasAlgID {
				putPtr(p, dkAlgID, a.wstr(info.AlgID))
			}
			put32(p, dkKeyLen, info.KeyLen)
		}
	}
	err := c.call("CardDeriveKey", "pfnCardDeriveKey", c.cd, p)
	if info == nil {
		return err
	}
	pb := getPtr(p, dkPbKey)
	if err != nil {
		outNull("CardDeriveKey", "pbDerivedKey", pb)
		return err
	}
	info.DerivedSize = int(get32(p, dkCbKey))
	info.DerivedKey = take("CardDeriveKey", pb, info.DerivedSize)
	if info.Version >= 2 {
		info.Key = getPtr(p, dkHKey)
	}
	return nil
}

// RegisterDHAgreement makes pfnCspGetDHAgreement answer idx for handle when the library calls it
// with this context's CARD_DATA.
func (c *Context) RegisterDHAgreement(handle uintptr, idx byte) {
	mu.Lock()
	defer mu.Unlock()
	if dhTables[c.cd] == nil {
		dhTables[c.cd] = map[uintptr]byte{}
	}
	dhTables[c.cd][handle] = idx
}

func (c *Context) DestroyDHAgreement(index byte, flags uint32) error {
	return c.call("CardDestroyDHAgreement", "pfnCardDestroyDHAgreement", c.cd, uintptr(index), uintptr(flags))
}

func (c *Context) ImportSessionKey(idx byte, padding *engine.OAEPInfo, blobType, algID string, input []byte, flags uint32) (uintptr, error) {
	var a arena
	defer a.free()
	var pi uintptr
	if padding != nil {
		pi = a.alloc(sizeofOAEP.at())
		if padding.HasAlgID {
			putPtr(pi, oaepAlgID, a.wstr(padding.AlgID))
		}
		putPtr(pi, oaepLabel, a.bytes(padding.Label))
		put32(pi, oaepCbLabel, uint32(len(padding.Label)))
	}
	ph := a.ptr()
	err := c.call("CardImportSessionKey", "pfnCardImportSessionKey", c.cd, uintptr(idx), pi, a.wstr(blobType), a.wstr(algID), ph,
		a.bytes(input), uintptr(len(input)), uintptr(flags))
	return readPtr(ph), err
}

func (c *Context) MDImportSessionKey(blobType, algID string, input []byte) (uintptr, error) {
	var a arena
	defer a.free()
	ph := a.ptr()
	err := c.call("MDImportSessionKey", "pfnMDImportSessionKey", c.cd, a.wstr(blobType), a.wstr(algID), ph, a.bytes(input), uintptr(len(input)))
	return readPtr(ph), err
}

func (c *Context) MDEncryptData(key uintptr, secureFunction string, input []byte, flags uint32) ([][]byte, error) {
	var a arena
	defer a.free()
	pp, pc := a.ptr(), a.dword(0)
	err := c.call("MDEncryptData", "pfnMDEncryptData", c.cd, key, a.wstr(secureFunction), a.bytes(input), uintptr(len(input)), uintptr(flags), pp, pc)
	arr := readPtr(pp)
	if err != nil {
		outNull("MDEncryptData", "*ppEncryptedData", arr)
		return nil, err
	}
	n := int(readDword(pc))
	out := make([][]byte, n)
	for i := range n {
		e := arr + uintptr(i*sizeofED.at())
		pb, cb := getPtr(e, edPb), int(get32(e, edCb))
		out[i] = copyOut(pb, cb)
		mu.Lock()
		_, separate := allocs[pb]
		mu.Unlock()
		if separate && pb != arr {
			acctFree(pb)
		}
	}
	take("MDEncryptData", arr, 0)
	return out, nil
}

func (c *Context) GetSharedKeyHandle(input []byte, wantOutput bool) ([]byte, uintptr, error) {
	var a arena
	defer a.free()
	var pp, pcb uintptr
	if wantOutput {
		pp, pcb = a.ptr(), a.dword(0)
	}
	ph := a.ptr()
	err := c.call("CardGetSharedKeyHandle", "pfnCardGetSharedKeyHandle", c.cd, a.bytes(input), uintptr(len(input)), pp, pcb, ph)
	if err != nil {
		if pp != 0 {
			outNull("CardGetSharedKeyHandle", "*ppbOutput", readPtr(pp))
		}
		return nil, readPtr(ph), err
	}
	var out []byte
	if pp != 0 {
		out = take("CardGetSharedKeyHandle", readPtr(pp), int(readDword(pcb)))
	}
	return out, readPtr(ph), nil
}

func (c *Context) DestroyKey(key uintptr) error {
	return c.call("CardDestroyKey", "pfnCardDestroyKey", c.cd, key)
}

func (c *Context) GetAlgorithmProperty(algID, property string, flags uint32) ([]byte, error) {
	var names arena
	defer names.free()
	walg, wprop := names.wstr(algID), names.wstr(property)
	s, _, a, err := c.getSized("CardGetAlgorithmProperty", "pfnCardGetAlgorithmProperty", 4096, nil, func(pb, pdw uintptr) []uintptr {
		return []uintptr{walg, wprop, pb, 4096, pdw, uintptr(flags)}
	})
	a.free()
	return s.Data, err
}

func (c *Context) GetKeyProperty(key uintptr, property string, flags uint32) ([]byte, error) {
	var names arena
	defer names.free()
	wprop := names.wstr(property)
	s, _, a, err := c.getSized("CardGetKeyProperty", "pfnCardGetKeyProperty", 4096, nil, func(pb, pdw uintptr) []uintptr {
		return []uintptr{key, wprop, pb, 4096, pdw, uintptr(flags)}
	})
	a.free()
	return s.Data, err
}

func (c *Context) SetKeyProperty(key uintptr, property string, input []byte, flags uint32) error {
	var a arena
	defer a.free()
	return c.call("CardSetKeyProperty", "pfnCardSetKeyProperty", c.cd, key, a.wstr(property), a.bytes(input), uintptr(len(input)), uintptr(flags))
}

func (c *Context) ProcessEncryptedData(key uintptr, secureFunction string, data [][]byte, flags uint32) ([]byte, error) {
	var a arena
	defer a.free()
	var arr uintptr
	if len(data) > 0 {
		arr = a.alloc(sizeofED.at() * len(data))
		for i, d := range data {
			e := arr + uintptr(i*sizeofED.at())
			putPtr(e, edPb, a.bytes(d))
			put32(e, edCb, uint32(len(d)))
		}
	}
	const cbOut = 4096
	out, pdw := a.alloc(cbOut), a.dword(0)
	err := c.call("CardProcessEncryptedData", "pfnCardProcessEncryptedData", c.cd, key, a.wstr(secureFunction), arr, uintptr(len(data)),
		out, cbOut, pdw, uintptr(flags))
	if err != nil {
		return nil, err
	}
	return copyOut(out, int(min(readDword(pdw), cbOut))), nil
}
