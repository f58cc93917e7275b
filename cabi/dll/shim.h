/* shim.h: the C side of cardmod's ABI layer, shared by the cgo preamble and shim.c. */
#ifndef CARDMOD_SHIM_H
#define CARDMOD_SHIM_H

#define CARDMOD_BUILD_DLL 1
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif
#include "cardmod.h"

/* Fills the minidriver slots of CARD_DATA for the negotiated version (never the two slots the
 * caller owns: pfnCspGetDHAgreement and pfnCspUnpadData). */
void cm_fill_table(PCARD_DATA p, DWORD version);

/* pvVendorSpecific holds the context id (never a Go pointer). */
static inline void cm_set_vendor(PCARD_DATA p, uintptr_t id) { p->pvVendorSpecific = (PVOID)id; }
static inline uintptr_t cm_get_vendor(PCARD_DATA p) { return (uintptr_t)p->pvVendorSpecific; }

/* Callers of the CSP's function pointers (Go cannot call C function pointers itself). */
static inline int cm_has_alloc(PCARD_DATA p) {
	return p->pfnCspAlloc != NULL && p->pfnCspReAlloc != NULL && p->pfnCspFree != NULL;
}
static inline LPVOID cm_alloc(PCARD_DATA p, SIZE_T n) { return p->pfnCspAlloc(n); }
static inline LPVOID cm_realloc(PCARD_DATA p, LPVOID a, SIZE_T n) { return p->pfnCspReAlloc(a, n); }
static inline void cm_free(PCARD_DATA p, LPVOID a) { p->pfnCspFree(a); }
static inline int cm_has_cache(PCARD_DATA p) {
	return p->pfnCspCacheAddFile != NULL && p->pfnCspCacheLookupFile != NULL && p->pfnCspCacheDeleteFile != NULL;
}
static inline DWORD cm_cache_add(PCARD_DATA p, LPWSTR tag, PBYTE data, DWORD n) {
	return p->pfnCspCacheAddFile(p->pvCacheContext, tag, 0, data, n);
}
static inline DWORD cm_cache_lookup(PCARD_DATA p, LPWSTR tag, PBYTE *data, PDWORD n) {
	return p->pfnCspCacheLookupFile(p->pvCacheContext, tag, 0, data, n);
}
static inline DWORD cm_cache_delete(PCARD_DATA p, LPWSTR tag) {
	return p->pfnCspCacheDeleteFile(p->pvCacheContext, tag, 0);
}
static inline int cm_has_pad(PCARD_DATA p) { return p->pfnCspPadData != NULL; }
static inline DWORD cm_pad(PCARD_DATA p, PCARD_SIGNING_INFO info, DWORD width, DWORD *cb, PBYTE *pb) {
	return p->pfnCspPadData(info, width, cb, pb);
}
static inline int cm_has_unpad(PCARD_DATA p) { return p->dwVersion >= 7 && p->pfnCspUnpadData != NULL; }
static inline DWORD cm_unpad(PCARD_DATA p, PCARD_RSA_DECRYPT_INFO info, DWORD *cb, PBYTE *pb) {
	return p->pfnCspUnpadData(info, cb, pb);
}
static inline int cm_has_dh(PCARD_DATA p) { return p->dwVersion >= 5 && p->pfnCspGetDHAgreement != NULL; }
static inline DWORD cm_get_dh(PCARD_DATA p, uintptr_t h, BYTE *idx) { return p->pfnCspGetDHAgreement(p, (PVOID)h, idx, 0); }

/* Pins the module in memory: a Go DLL cannot be unloaded. */
void cm_pin_module(void);

#endif
