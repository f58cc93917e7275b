package abi

import (
	"crypto"
	"encoding/binary"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// padData is pfnCspPadData as the Base CSP implements it: PKCS#1 v1.5 signature padding of
// CARD_SIGNING_INFO.pbData for a cbMaxWidth-byte modulus (DigestInfo from aiHashAlg unless
// CRYPT_NOHASHOID), in a pfnCspAlloc buffer the minidriver frees.
func padData(info uintptr, width uint32, pcb, ppb uintptr) uintptr {
	if info == 0 || pcb == 0 || ppb == 0 || width == 0 {
		violation("pfnCspPadData: bad arguments")
		return errInvalidArg
	}
	data := copyOut(getPtr(info, siPbData), int(get32(info, siCbData)))
	alg := spec.ALGID(get32(info, siHashAlg))
	var h crypto.Hash
	if get32(info, siFlags)&spec.CryptNoHashOID == 0 && alg != 0 {
		if alg == spec.CALGSSL3SHAMD5 {
			h = crypto.MD5SHA1
		} else if h = alg.Hash(); h == 0 {
			return errUnsupported
		}
	}
	em, err := engine.PKCS1v15SignBlock(int(width), h, data)
	if err != nil {
		return errInvalidArg
	}
	p := acctAlloc(uintptr(len(em)))
	if p == 0 {
		return errNoMemory
	}
	copy(view(p, len(em)), em)
	*(*uintptr)(ptrOf(ppb)) = p
	copy(view(pcb, 4), le32(uint32(len(em))))
	return okStatus
}

// unpadData is pfnCspUnpadData (v7): PKCS#1 v1.5 or OAEP decryption padding removed from the
// big-endian block in CARD_RSA_DECRYPT_INFO.pbData, in a pfnCspAlloc buffer.
func unpadData(info, pcb, ppb uintptr) uintptr {
	if info == 0 || pcb == 0 || ppb == 0 {
		violation("pfnCspUnpadData: bad arguments")
		return errInvalidArg
	}
	if get32(info, diVersion) < 2 {
		return errInvalidArg
	}
	block := copyOut(getPtr(info, diPbData), int(get32(info, diCbData)))
	var msg []byte
	var err error
	switch get32(info, diPadType) {
	case spec.CardPaddingPKCS1:
		msg, err = engine.UnpadPKCS1v15(block)
	case spec.CardPaddingOAEP:
		h := crypto.SHA1
		var label []byte
		if pi := getPtr(info, diPadInfo); pi != 0 {
			if a := getPtr(pi, oaepAlgID); a != 0 {
				var ok bool
				if h, ok = engine.HashByName(wstring(a)); !ok {
					return errUnsupported
				}
			}
			label = copyOut(getPtr(pi, oaepLabel), int(get32(pi, oaepCbLabel)))
		}
		msg, err = engine.UnpadOAEP(h, block, label)
	default:
		return errInvalidArg
	}
	if err != nil {
		return uintptr(spec.SCardEInvalidValue)
	}
	p := acctAlloc(uintptr(len(msg)))
	if p == 0 {
		return errNoMemory
	}
	copy(view(p, len(msg)), msg)
	*(*uintptr)(ptrOf(ppb)) = p
	copy(view(pcb, 4), le32(uint32(len(msg))))
	return okStatus
}
