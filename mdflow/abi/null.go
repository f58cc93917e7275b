package abi

import (
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/cardmod/cardmod/spec"
)

// narg is one argument of a function (after pCardData), by its C name.
type narg struct {
	name string
	v    uintptr
	// out marks a pointer to a pointer the minidriver may fill with a pfnCspAlloc buffer.
	out bool
}

// nullCall is one function call with valid arguments, built for the case where only arg will be
// NULL.
type nullCall struct {
	slot string
	args []narg
	// after frees what a successful call returned inside structures.
	after func()
	// fields are pointer fields of a structure argument that the builder already left NULL
	// when asked to.
	fields []string
}

// CallWithNull implements mdflow.NullCaller: fn with valid arguments (pin and puk for the PIN
// functions), except arg, which is NULL. "pCardData" passes a NULL CARD_DATA; "pvVendorSpecific"
// a copy of this context's CARD_DATA whose pvVendorSpecific is NULL.
func (c *Context) CallWithNull(fn, arg string, pin, puk []byte) (error, bool) {
	var a arena
	defer a.free()
	nc, err := c.nullCase(&a, fn, arg, pin, puk)
	if err != nil {
		return err, false
	}
	cd := c.cd
	switch arg {
	case "pCardData":
		cd = 0
	case "pvVendorSpecific":
		size := sizeofCardData.at()
		cd = a.alloc(size)
		copy(view(cd, size), view(c.cd, size))
		putPtrAt(cd, fieldOff("pvVendorSpecific"), 0)
	default:
		found := slices.Contains(nc.fields, arg)
		for i := range nc.args {
			if nc.args[i].name == arg {
				nc.args[i].v, found = 0, true
			}
		}
		if !found {
			return fmt.Errorf("%s has no pointer parameter %s", fn, arg), false
		}
	}
	vals := make([]uintptr, len(nc.args))
	for i, x := range nc.args {
		vals[i] = x.v
	}
	err = c.call(fn, nc.slot, cd, vals...)
	for _, x := range nc.args {
		if x.out && x.v != 0 {
			if p := readPtr(x.v); p != 0 {
				if err != nil {
					outNull(fn, "*"+x.name, p)
				} else {
					take(fn, p, 0)
				}
			}
		}
	}
	if err == nil && nc.after != nil {
		nc.after()
	}
	return err, true
}

func (c *Context) nullCase(a *arena, fn, arg string, pin, puk []byte) (nullCall, error) {
	newPIN := []byte("13572468")
	switch fn {
	case "CardDeleteContext":
		return nullCall{slot: "pfnCardDeleteContext"}, nil
	case "CardQueryCapabilities":
		p := a.alloc(sizeofCaps.at())
		put32(p, capVersion, 1)
		return nullCall{slot: "pfnCardQueryCapabilities", args: []narg{{name: "pCardCapabilities", v: p}}}, nil
	case "CardGetContainerInfo":
		p := a.alloc(sizeofCI.at())
		put32(p, ciVersion, 1)
		return nullCall{slot: "pfnCardGetContainerInfo", args: []narg{{name: "bContainerIndex"}, {name: "dwFlags"}, {name: "pContainerInfo", v: p}},
			after: func() {
				take(fn, getPtr(p, ciPbSig), 0)
				take(fn, getPtr(p, ciPbKeyEx), 0)
			}}, nil
	case "CardAuthenticatePin":
		return nullCall{slot: "pfnCardAuthenticatePin", args: []narg{{name: "pwszUserId", v: a.wstr(spec.CardUserUser)},
			{name: "pbPin", v: a.bytes(pin)}, {name: "cbPin", v: uintptr(len(pin))}, {name: "pcAttemptsRemaining", v: a.dword(0)}}}, nil
	case "CardGetChallenge":
		return nullCall{slot: "pfnCardGetChallenge", args: []narg{{name: "ppbChallengeData", v: a.ptr(), out: true}, {name: "pcbChallengeData", v: a.dword(0)}}}, nil
	case "CardAuthenticateChallenge":
		return nullCall{slot: "pfnCardAuthenticateChallenge", args: []narg{{name: "pbResponseData", v: a.bytes(make([]byte, 8))},
			{name: "cbResponseData", v: 8}, {name: "pcAttemptsRemaining", v: a.dword(0)}}}, nil
	case "CardUnblockPin":
		return nullCall{slot: "pfnCardUnblockPin", args: []narg{{name: "pwszUserId", v: a.wstr(spec.CardUserUser)},
			{name: "pbAuthenticationData", v: a.bytes(puk)}, {name: "cbAuthenticationData", v: uintptr(len(puk))},
			{name: "pbNewPinData", v: a.bytes(pin)}, {name: "cbNewPinData", v: uintptr(len(pin))},
			{name: "cRetryCount"}, {name: "dwFlags", v: uintptr(spec.CardAuthenticatePinPIN)}}}, nil
	case "CardChangeAuthenticator":
		return nullCall{slot: "pfnCardChangeAuthenticator", args: []narg{{name: "pwszUserId", v: a.wstr(spec.CardUserUser)},
			{name: "pbCurrentAuthenticator", v: a.bytes(pin)}, {name: "cbCurrentAuthenticator", v: uintptr(len(pin))},
			{name: "pbNewAuthenticator", v: a.bytes(newPIN)}, {name: "cbNewAuthenticator", v: uintptr(len(newPIN))},
			{name: "cRetryCount"}, {name: "dwFlags", v: uintptr(spec.CardAuthenticatePinPIN)}, {name: "pcAttemptsRemaining", v: a.dword(0)}}}, nil
	case "CardDeauthenticate":
		return nullCall{slot: "pfnCardDeauthenticate", args: []narg{{name: "pwszUserId", v: a.wstr(spec.CardUserUser)}, {name: "dwFlags"}}}, nil
	case "CardGetChallengeEx":
		return nullCall{slot: "pfnCardGetChallengeEx", args: []narg{{name: "PinId", v: uintptr(spec.RoleAdmin)},
			{name: "ppbChallengeData", v: a.ptr(), out: true}, {name: "pcbChallengeData", v: a.dword(0)}, {name: "dwFlags"}}}, nil
	case "CardAuthenticateEx":
		flags, pp, pcb := uintptr(0), uintptr(0), uintptr(0)
		if arg == "ppbSessionPin" || arg == "pcbSessionPin" {
			flags, pp, pcb = uintptr(spec.CardAuthenticateGenerateSessionPIN), a.ptr(), a.dword(0)
		}
		return nullCall{slot: "pfnCardAuthenticateEx", args: []narg{{name: "PinId", v: uintptr(spec.RoleUser)}, {name: "dwFlags", v: flags},
			{name: "pbPinData", v: a.bytes(pin)}, {name: "cbPinData", v: uintptr(len(pin))},
			{name: "ppbSessionPin", v: pp, out: true}, {name: "pcbSessionPin", v: pcb}, {name: "pcAttemptsRemaining", v: a.dword(0)}}}, nil
	case "CardChangeAuthenticatorEx":
		return nullCall{slot: "pfnCardChangeAuthenticatorEx", args: []narg{{name: "dwFlags", v: uintptr(spec.PINChangeFlagChangePIN)},
			{name: "dwAuthenticatingPinId", v: 1}, {name: "pbAuthenticatingPinData", v: a.bytes(pin)}, {name: "cbAuthenticatingPinData", v: uintptr(len(pin))},
			{name: "dwTargetPinId", v: 1}, {name: "pbTargetData", v: a.bytes(newPIN)}, {name: "cbTargetData", v: uintptr(len(newPIN))},
			{name: "cRetryCount"}, {name: "pcAttemptsRemaining", v: a.dword(0)}}}, nil
	case "CardDeauthenticateEx":
		return nullCall{slot: "pfnCardDeauthenticateEx", args: []narg{{name: "PinId"}, {name: "dwFlags"}}}, nil
	case "CardReadFile", "CardGetFileInfo":
		dir, name := a.astr(spec.DirBaseCSP), a.astr(spec.FileContainerMap)
		if arg == "pszDirectoryName" {
			name = a.astr(spec.FileCardIdentifier)
		}
		if fn == "CardGetFileInfo" {
			p := a.alloc(sizeofFileInfo.at())
			put32(p, off{0, 0}, 1)
			return nullCall{slot: "pfnCardGetFileInfo", args: []narg{{name: "pszDirectoryName", v: dir}, {name: "pszFileName", v: name},
				{name: "pCardFileInfo", v: p}}}, nil
		}
		return nullCall{slot: "pfnCardReadFile", args: []narg{{name: "pszDirectoryName", v: dir}, {name: "pszFileName", v: name},
			{name: "dwFlags"}, {name: "ppbData", v: a.ptr(), out: true}, {name: "pcbData", v: a.dword(0)}}}, nil
	case "CardEnumFiles":
		return nullCall{slot: "pfnCardEnumFiles", args: []narg{{name: "pszDirectoryName", v: a.astr(spec.DirBaseCSP)},
			{name: "pmszFileNames", v: a.ptr(), out: true}, {name: "pdwcbFileName", v: a.dword(0)}, {name: "dwFlags"}}}, nil
	case "CardQueryFreeSpace":
		p := a.alloc(sizeofFreeSpace.at())
		put32(p, off{0, 0}, 1)
		return nullCall{slot: "pfnCardQueryFreeSpace", args: []narg{{name: "dwFlags"}, {name: "pCardFreeSpaceInfo", v: p}}}, nil
	case "CardQueryKeySizes":
		p := a.alloc(sizeofKeySizes.at())
		put32(p, off{0, 0}, 1)
		return nullCall{slot: "pfnCardQueryKeySizes", args: []narg{{name: "dwKeySpec", v: uintptr(spec.ATKeyExchange)}, {name: "dwFlags"},
			{name: "pKeySizes", v: p}}}, nil
	case "CardSignData":
		// A size query: no PIN and no card I/O even if the NULL were wrongly accepted.
		p := a.alloc(sizeofSI.at())
		put32(p, siVersion, 2)
		put32(p, siKeySpec, uint32(spec.ATKeyExchange))
		put32(p, siFlags, spec.CardBufferSizeOnly)
		put32(p, siHashAlg, uint32(spec.CALGSHA256))
		if arg != "pbData" {
			putPtr(p, siPbData, a.alloc(32))
		}
		put32(p, siCbData, 32)
		return nullCall{slot: "pfnCardSignData", args: []narg{{name: "pInfo", v: p}}, fields: []string{"pbData"},
			after: func() { take(fn, getPtr(p, siPbSigned), 0) }}, nil
	case "CardRSADecrypt":
		p := a.alloc(sizeofDIv2.at())
		put32(p, diVersion, 2)
		put8(p, diContainer, 2)
		put32(p, diKeySpec, uint32(spec.ATKeyExchange))
		if arg != "pbData" {
			putPtr(p, diPbData, a.alloc(256))
		}
		put32(p, diCbData, 256)
		put32(p, diPadType, spec.CardPaddingPKCS1)
		if arg == "pPaddingInfo" {
			put32(p, diPadType, spec.CardPaddingOAEP)
		}
		return nullCall{slot: "pfnCardRSADecrypt", args: []narg{{name: "pInfo", v: p}}, fields: []string{"pbData", "pPaddingInfo"}}, nil
	case "CardGetContainerProperty":
		return nullCall{slot: "pfnCardGetContainerProperty", args: []narg{{name: "bContainerIndex"}, {name: "wszProperty", v: a.wstr(spec.CCPPINIdentifier)},
			{name: "pbData", v: a.alloc(4)}, {name: "cbData", v: 4}, {name: "pdwDataLen", v: a.dword(0)}, {name: "dwFlags"}}}, nil
	case "CardSetContainerProperty":
		return nullCall{slot: "pfnCardSetContainerProperty", args: []narg{{name: "bContainerIndex"}, {name: "wszProperty", v: a.wstr(spec.CCPPINIdentifier)},
			{name: "pbData", v: a.bytes(le32(1))}, {name: "cbDataLen", v: 4}, {name: "dwFlags"}}}, nil
	case "CardGetProperty":
		buf := a.alloc(12)
		put32(buf, off{0, 0}, 1)
		return nullCall{slot: "pfnCardGetProperty", args: []narg{{name: "wszProperty", v: a.wstr(spec.CPCardCapabilities)},
			{name: "pbData", v: buf}, {name: "cbData", v: 12}, {name: "pdwDataLen", v: a.dword(0)}, {name: "dwFlags"}}}, nil
	case "CardSetProperty":
		data, cb := a.wstr("mdflow"), uintptr(14)
		if arg == "pbData" {
			cb = 0
		}
		return nullCall{slot: "pfnCardSetProperty", args: []narg{{name: "wszProperty", v: a.wstr(spec.CPPINContextString)},
			{name: "pbData", v: data}, {name: "cbDataLen", v: cb}, {name: "dwFlags"}}}, nil
	case "CardConstructDHAgreement":
		// A valid peer key for container 3 (P-384): only the NULL makes the call fail.
		p := a.alloc(sizeofDH.at())
		put32(p, dhVersion, spec.CardDHAgreementInfoVersion)
		put8(p, dhContainer, 3)
		blob := nullPeerBlob()
		put32(p, dhCbPub, uint32(len(blob)))
		if arg != "pbPublicKey" {
			putPtr(p, dhPbPub, a.bytes(blob))
		}
		return nullCall{slot: "pfnCardConstructDHAgreement", args: []narg{{name: "pAgreementInfo", v: p}}, fields: []string{"pbPublicKey"},
			after: func() {
				// Not reached unless the NULL was accepted: the agreement is destroyed.
				c.call("CardDestroyDHAgreement", "pfnCardDestroyDHAgreement", c.cd, uintptr(get8(p, dhIndex)), 0)
			}}, nil
	case "CardDeriveKey":
		p := a.alloc(sizeofDKv2.at())
		put32(p, dkVersion, spec.CardDeriveKeyVersionTwo)
		put32(p, dkFlags, spec.CardBufferSizeOnly)
		if arg != "pwszKDF" {
			putPtr(p, dkKDF, a.wstr(spec.BCryptKDFHash))
		}
		return nullCall{slot: "pfnCardDeriveKey", args: []narg{{name: "pAgreementInfo", v: p}}, fields: []string{"pwszKDF"}}, nil
	case "CardDestroyDHAgreement":
		return nullCall{slot: "pfnCardDestroyDHAgreement", args: []narg{{name: "bSecretAgreementIndex"}, {name: "dwFlags"}}}, nil
	case "CardGetAlgorithmProperty":
		return nullCall{slot: "pfnCardGetAlgorithmProperty", args: []narg{{name: "pwszAlgId", v: a.wstr(spec.CardAESAlgorithm)},
			{name: "pwszProperty", v: a.wstr(spec.CPCardKeySizes)}, {name: "pbData", v: a.alloc(20)}, {name: "cbData", v: 20},
			{name: "pdwDataLen", v: a.dword(0)}, {name: "dwFlags"}}}, nil
	case "CardGetKeyProperty":
		// Handle 1 is no key: a valid call answers SCARD_E_INVALID_HANDLE, a NULL must be found first.
		return nullCall{slot: "pfnCardGetKeyProperty", args: []narg{{name: "hKey", v: 1}, {name: "pwszProperty", v: a.wstr(spec.CKPBlockLength)},
			{name: "pbData", v: a.alloc(4)}, {name: "cbData", v: 4}, {name: "pdwDataLen", v: a.dword(0)}, {name: "dwFlags"}}}, nil
	case "CardSetKeyProperty":
		return nullCall{slot: "pfnCardSetKeyProperty", args: []narg{{name: "hKey", v: 1}, {name: "pwszProperty", v: a.wstr(spec.CKPInitializationVector)},
			{name: "pbInput", v: a.alloc(16)}, {name: "cbInput", v: 16}, {name: "dwFlags"}}}, nil
	case "CardDestroyKey":
		return nullCall{slot: "pfnCardDestroyKey", args: []narg{{name: "hKey", v: 1}}}, nil
	}
	return nullCall{}, fmt.Errorf("no NULL cases for %s", fn)
}

// nullPeerBlob is a peer public key for the P-384 container of the NULL cases.
func nullPeerBlob() []byte {
	k, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return spec.MarshalECDHPublicKeyBlob(k.PublicKey(), spec.ECDHPublicP384Magic)
}
