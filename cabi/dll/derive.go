package main

/*
#include "shim.h"
*/
import "C"

import (
	"unsafe"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// The conversion of CARD_DH_AGREEMENT_INFO, CARD_DERIVE_KEY and its NCryptBufferDesc from caller
// memory. These functions take unsafe.Pointer values so that the fuzz tests (derive_fuzz_test.go,
// which cannot use cgo) can call them on structures laid out in guarded memory. They read only
// what the caller describes: the structure (a version 1 CARD_DERIVE_KEY only up to cbDerivedKey),
// the strings up to their NUL (at most maxWideString units), cBuffers BCryptBuffer entries and
// cbBuffer bytes of each pvBuffer; limits are checked before anything they bound is read. They
// copy what they keep (nothing points into caller memory afterwards), and report a malformed
// structure with ok false, which the export answers with SCARD_E_INVALID_PARAMETER.

const (
	// maxKDFParams bounds NCryptBufferDesc.cBuffers.
	maxKDFParams = 64
	// maxKDFParamSize bounds one NCryptBuffer.cbBuffer.
	maxKDFParamSize = 1 << 16
	// maxPublicKey bounds CARD_DH_AGREEMENT_INFO.dwPublicKey (a P-521 BCRYPT_ECCPUBLIC_BLOB is
	// 140 bytes).
	maxPublicKey = 1024
)

// alignedTo reports whether p is non-NULL and a multiple of align. Structures holding pointers
// need their natural alignment (8 on x64, 4 on x86): every C compiler gives it to them.
func alignedTo(p unsafe.Pointer, align uintptr) bool {
	return p != nil && uintptr(p)%align == 0
}

// cLayout is the layout of the structures in this build (cardmod.h through cgo), for the fuzz
// tests, which build the structures in memory themselves.
var cLayout = struct {
	dkVersion, dkFlags, dkKDF, dkIndex, dkParams, dkPbKey, dkCbKey, dkAlgID, dkKeyLen, dkHKey, dkSize, dkSizeV1, dkAlign uintptr
	bdVersion, bdCount, bdBuffers, bdSize, bdAlign                                                                       uintptr
	bbCb, bbType, bbPv, bbSize, bbAlign                                                                                  uintptr
	dhVersion, dhContainer, dhFlags, dhCbPub, dhPbPub, dhIndex, dhSize, dhAlign                                          uintptr
}{
	dkVersion: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.dwVersion), dkFlags: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.dwFlags),
	dkKDF: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.pwszKDF), dkIndex: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.bSecretAgreementIndex),
	dkParams: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.pParameterList), dkPbKey: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.pbDerivedKey),
	dkCbKey: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.cbDerivedKey), dkAlgID: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.pwszAlgId),
	dkKeyLen: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.dwKeyLen), dkHKey: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.hKey),
	dkSize: unsafe.Sizeof(C.CARD_DERIVE_KEY{}), dkSizeV1: unsafe.Offsetof(C.CARD_DERIVE_KEY{}.pwszAlgId),
	dkAlign:   unsafe.Alignof(C.CARD_DERIVE_KEY{}),
	bdVersion: unsafe.Offsetof(C.BCryptBufferDesc{}.ulVersion), bdCount: unsafe.Offsetof(C.BCryptBufferDesc{}.cBuffers),
	bdBuffers: unsafe.Offsetof(C.BCryptBufferDesc{}.pBuffers), bdSize: unsafe.Sizeof(C.BCryptBufferDesc{}),
	bdAlign: unsafe.Alignof(C.BCryptBufferDesc{}),
	bbCb:    unsafe.Offsetof(C.BCryptBuffer{}.cbBuffer), bbType: unsafe.Offsetof(C.BCryptBuffer{}.BufferType),
	bbPv: unsafe.Offsetof(C.BCryptBuffer{}.pvBuffer), bbSize: unsafe.Sizeof(C.BCryptBuffer{}), bbAlign: unsafe.Alignof(C.BCryptBuffer{}),
	dhVersion: unsafe.Offsetof(C.CARD_DH_AGREEMENT_INFO{}.dwVersion), dhContainer: unsafe.Offsetof(C.CARD_DH_AGREEMENT_INFO{}.bContainerIndex),
	dhFlags: unsafe.Offsetof(C.CARD_DH_AGREEMENT_INFO{}.dwFlags), dhCbPub: unsafe.Offsetof(C.CARD_DH_AGREEMENT_INFO{}.dwPublicKey),
	dhPbPub: unsafe.Offsetof(C.CARD_DH_AGREEMENT_INFO{}.pbPublicKey), dhIndex: unsafe.Offsetof(C.CARD_DH_AGREEMENT_INFO{}.bSecretAgreementIndex),
	dhSize: unsafe.Sizeof(C.CARD_DH_AGREEMENT_INFO{}), dhAlign: unsafe.Alignof(C.CARD_DH_AGREEMENT_INFO{}),
}

// dhAgreementInfo reads a CARD_DH_AGREEMENT_INFO. A NULL pbPublicKey is a nil PublicKey (the
// engine answers it); a dwPublicKey over maxPublicKey is refused without reading the key.
func dhAgreementInfo(p unsafe.Pointer) (*engine.DHAgreementInfo, bool) {
	if !alignedTo(p, unsafe.Alignof(C.CARD_DH_AGREEMENT_INFO{})) {
		return nil, false
	}
	info := (*C.CARD_DH_AGREEMENT_INFO)(p)
	n := info.dwPublicKey
	if n > maxPublicKey {
		return nil, false
	}
	return &engine.DHAgreementInfo{
		Version:        uint32(info.dwVersion),
		ContainerIndex: byte(info.bContainerIndex),
		Flags:          uint32(info.dwFlags),
		PublicKey:      goBytes(info.pbPublicKey, n),
	}, true
}

// deriveKeyInfo reads a CARD_DERIVE_KEY: pwszKDF (nil: HasKDF false), the parameter list
// (kdfParamList), and for version 2 and later pwszAlgId and dwKeyLen. The out fields are the
// caller's (goCardDeriveKey writes them).
func deriveKeyInfo(p unsafe.Pointer) (*engine.DeriveKeyInfo, bool) {
	if !alignedTo(p, unsafe.Alignof(C.CARD_DERIVE_KEY{})) {
		return nil, false
	}
	info := (*C.CARD_DERIVE_KEY)(p)
	di := &engine.DeriveKeyInfo{
		Version:        uint32(info.dwVersion),
		Flags:          uint32(info.dwFlags),
		AgreementIndex: byte(info.bSecretAgreementIndex),
	}
	if info.pwszKDF != nil {
		kdf, ok := wideString((*C.WCHAR)(unsafe.Pointer(info.pwszKDF)))
		if !ok {
			return nil, false
		}
		di.KDF, di.HasKDF = kdf, true
	}
	if info.pParameterList != nil {
		params, version, ok := kdfParamList(unsafe.Pointer(info.pParameterList))
		if !ok {
			return nil, false
		}
		di.Params, di.HasParams, di.ParamsVersion = params, true, version
	}
	// A version 1 structure ends at cbDerivedKey: the fields after it are not the caller's.
	if di.Version >= spec.CardDeriveKeyVersionTwo {
		if info.pwszAlgId != nil {
			alg, ok := wideString((*C.WCHAR)(unsafe.Pointer(info.pwszAlgId)))
			if !ok {
				return nil, false
			}
			di.AlgID, di.HasAlgID = alg, true
		}
		di.KeyLen = uint32(info.dwKeyLen)
	}
	return di, true
}

// kdfParamList reads an NCryptBufferDesc (non-NULL): ulVersion and the cBuffers buffers, each
// copied (a NULL pvBuffer with cbBuffer 0 is nil Data). Refused: a misaligned descriptor or
// array, more than maxKDFParams buffers, a NULL pBuffers with buffers, a buffer over
// maxKDFParamSize, a NULL pvBuffer with a length.
func kdfParamList(p unsafe.Pointer) ([]engine.KDFParam, uint32, bool) {
	if !alignedTo(p, unsafe.Alignof(C.BCryptBufferDesc{})) {
		return nil, 0, false
	}
	desc := (*C.BCryptBufferDesc)(p)
	version, n := uint32(desc.ulVersion), uint32(desc.cBuffers)
	if n > maxKDFParams {
		return nil, 0, false
	}
	if n == 0 {
		return nil, version, true
	}
	if !alignedTo(unsafe.Pointer(desc.pBuffers), unsafe.Alignof(C.BCryptBuffer{})) {
		return nil, 0, false
	}
	params := make([]engine.KDFParam, 0, n)
	for _, b := range unsafe.Slice(desc.pBuffers, n) {
		cb := uint32(b.cbBuffer)
		if cb > maxKDFParamSize || (b.pvBuffer == nil && cb != 0) {
			return nil, 0, false
		}
		params = append(params, engine.KDFParam{Type: uint32(b.BufferType), Data: goBytes((*C.BYTE)(b.pvBuffer), C.DWORD(cb))})
	}
	return params, version, true
}
