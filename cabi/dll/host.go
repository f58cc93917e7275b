package main

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// cHost is engine.Host over the callbacks the caller put in CARD_DATA.
type cHost struct {
	p C.PCARD_DATA
}

// Alloc returns n bytes of pfnCspAlloc memory (at least one byte is requested, so every buffer
// has an address to free).
func (h *cHost) Alloc(n int) []byte {
	if n < 0 {
		return nil
	}
	ptr := C.cm_alloc(h.p, C.SIZE_T(max(n, 1)))
	if ptr == nil {
		return nil
	}
	buf := unsafe.Slice((*byte)(ptr), max(n, 1))[:n]
	clear(buf)
	return buf
}

// ReAlloc resizes a buffer with pfnCspReAlloc.
func (h *cHost) ReAlloc(buf []byte, n int) []byte {
	if n < 0 {
		return nil
	}
	ptr := C.cm_realloc(h.p, C.LPVOID(unsafe.Pointer(unsafe.SliceData(buf))), C.SIZE_T(max(n, 1)))
	if ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(ptr), max(n, 1))[:n]
}

// Free releases a buffer with pfnCspFree.
func (h *cHost) Free(buf []byte) {
	if buf == nil {
		return
	}
	C.cm_free(h.p, C.LPVOID(unsafe.Pointer(unsafe.SliceData(buf))))
}

// cWideString returns tag as a NUL-terminated UTF-16 string in C memory; the caller frees it.
func cWideString(s string) *C.WCHAR {
	u := spec.UTF16FromString(s)
	p := (*C.WCHAR)(C.calloc(C.size_t(len(u)+1), 2))
	copy(unsafe.Slice((*uint16)(unsafe.Pointer(p)), len(u)+1), u)
	return p
}

func (h *cHost) noCache() error {
	if C.cm_has_cache(h.p) == 0 {
		return fmt.Errorf("cache callbacks: %w", engine.ErrNoCallback)
	}
	return nil
}

// CacheAdd is pfnCspCacheAddFile (the caller copies the data).
func (h *cHost) CacheAdd(tag string, data []byte) error {
	if err := h.noCache(); err != nil {
		return err
	}
	t := cWideString(tag)
	defer C.free(unsafe.Pointer(t))
	var pb *C.BYTE
	if len(data) > 0 {
		pb = (*C.BYTE)(C.CBytes(data))
		defer C.free(unsafe.Pointer(pb))
	}
	if rc := C.cm_cache_add(h.p, t, pb, C.DWORD(len(data))); rc != 0 {
		return fmt.Errorf("pfnCspCacheAddFile: %w", spec.Status(rc))
	}
	return nil
}

// CacheLookup is pfnCspCacheLookupFile; the caller's buffer is copied and freed.
func (h *cHost) CacheLookup(tag string) ([]byte, error) {
	if err := h.noCache(); err != nil {
		return nil, err
	}
	t := cWideString(tag)
	defer C.free(unsafe.Pointer(t))
	var pb C.PBYTE
	var cb C.DWORD
	if rc := C.cm_cache_lookup(h.p, t, &pb, &cb); rc != 0 {
		return nil, fmt.Errorf("pfnCspCacheLookupFile: %w (%w)", engine.ErrCacheMiss, spec.Status(rc))
	}
	if pb == nil {
		return []byte{}, nil
	}
	out := C.GoBytes(unsafe.Pointer(pb), C.int(cb))
	C.cm_free(h.p, C.LPVOID(unsafe.Pointer(pb)))
	return out, nil
}

// CacheDelete is pfnCspCacheDeleteFile.
func (h *cHost) CacheDelete(tag string) error {
	if err := h.noCache(); err != nil {
		return err
	}
	t := cWideString(tag)
	defer C.free(unsafe.Pointer(t))
	if rc := C.cm_cache_delete(h.p, t); rc != 0 {
		return fmt.Errorf("pfnCspCacheDeleteFile: %w", spec.Status(rc))
	}
	return nil
}

// PadData is pfnCspPadData with a CARD_SIGNING_INFO built in C memory from info.
func (h *cHost) PadData(info *engine.SigningInfo, maxWidth int) ([]byte, error) {
	if C.cm_has_pad(h.p) == 0 {
		return nil, fmt.Errorf("pfnCspPadData: %w", engine.ErrNoCallback)
	}
	si := (*C.CARD_SIGNING_INFO)(C.calloc(1, C.size_t(unsafe.Sizeof(C.CARD_SIGNING_INFO{}))))
	defer C.free(unsafe.Pointer(si))
	si.dwVersion = C.DWORD(info.Version)
	si.bContainerIndex = C.BYTE(info.ContainerIndex)
	si.dwKeySpec = C.DWORD(info.KeySpec)
	si.dwSigningFlags = C.DWORD(info.SigningFlags)
	si.aiHashAlg = C.ALG_ID(info.HashAlg)
	if len(info.Data) > 0 {
		si.pbData = (*C.BYTE)(C.CBytes(info.Data))
		defer C.free(unsafe.Pointer(si.pbData))
	}
	si.cbData = C.DWORD(len(info.Data))
	var cb C.DWORD
	var pb C.PBYTE
	if rc := C.cm_pad(h.p, si, C.DWORD(maxWidth), &cb, &pb); rc != 0 {
		return nil, fmt.Errorf("pfnCspPadData: %w", spec.Status(rc))
	}
	if pb == nil {
		return nil, errors.New("pfnCspPadData returned no buffer")
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(pb)), int(cb)), nil
}

// UnpadData is pfnCspUnpadData with a version 2 CARD_RSA_DECRYPT_INFO built in C memory.
func (h *cHost) UnpadData(info *engine.RSADecryptInfo) ([]byte, error) {
	if C.cm_has_unpad(h.p) == 0 {
		return nil, fmt.Errorf("pfnCspUnpadData: %w", engine.ErrNoCallback)
	}
	di := (*C.CARD_RSA_DECRYPT_INFO)(C.calloc(1, C.size_t(unsafe.Sizeof(C.CARD_RSA_DECRYPT_INFO{}))))
	defer C.free(unsafe.Pointer(di))
	di.dwVersion = 2
	di.bContainerIndex = C.BYTE(info.ContainerIndex)
	di.dwKeySpec = C.DWORD(info.KeySpec)
	if len(info.Data) > 0 {
		di.pbData = (*C.BYTE)(C.CBytes(info.Data))
		defer C.free(unsafe.Pointer(di.pbData))
	}
	di.cbData = C.DWORD(len(info.Data))
	di.dwPaddingType = C.DWORD(info.PaddingType)
	var oaep *C.BCRYPT_OAEP_PADDING_INFO
	if info.OAEP != nil {
		oaep = (*C.BCRYPT_OAEP_PADDING_INFO)(C.calloc(1, C.size_t(unsafe.Sizeof(C.BCRYPT_OAEP_PADDING_INFO{}))))
		defer C.free(unsafe.Pointer(oaep))
		if info.OAEP.HasAlgID {
			alg := cWideString(info.OAEP.AlgID)
			defer C.free(unsafe.Pointer(alg))
			oaep.pszAlgId = C.LPCWSTR(alg)
		}
		if len(info.OAEP.Label) > 0 {
			oaep.pbLabel = (*C.UCHAR)(C.CBytes(info.OAEP.Label))
			defer C.free(unsafe.Pointer(oaep.pbLabel))
		}
		oaep.cbLabel = C.ULONG(len(info.OAEP.Label))
		di.pPaddingInfo = C.LPVOID(unsafe.Pointer(oaep))
	}
	var cb C.DWORD
	var pb C.PBYTE
	if rc := C.cm_unpad(h.p, di, &cb, &pb); rc != 0 {
		return nil, fmt.Errorf("pfnCspUnpadData: %w", spec.Status(rc))
	}
	if pb == nil {
		return nil, errors.New("pfnCspUnpadData returned no buffer")
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(pb)), int(cb)), nil
}

// GetDHAgreement is pfnCspGetDHAgreement.
func (h *cHost) GetDHAgreement(handle uintptr) (byte, error) {
	if C.cm_has_dh(h.p) == 0 {
		return 0, fmt.Errorf("pfnCspGetDHAgreement: %w", engine.ErrNoCallback)
	}
	var idx C.BYTE
	if rc := C.cm_get_dh(h.p, C.uintptr_t(handle), &idx); rc != 0 {
		return 0, fmt.Errorf("pfnCspGetDHAgreement: %w", spec.Status(rc))
	}
	return byte(idx), nil
}

var _ engine.Host = (*cHost)(nil)
