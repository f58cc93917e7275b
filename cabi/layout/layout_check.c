//go:build ignore

/*
 * layout_check.c - compile-time proof that ../include/cardmod.h has the
 * Windows minidriver ABI (CARD_DATA v7) described in the project reference
 * (shared/spec/minidriver-spec.md, sections 1-3).
 *
 * Every structure of sections 1.2 and 2 has a sizeof assertion and an
 * offsetof assertion for every field, once for x64 and once for x86; the
 * numbers are the reference's, not computed from the header. Section 3
 * constants are checked by value (string constants by length and code-unit
 * width). When everything matches, this file compiles to nothing:
 *
 *   gcc                    -std=c11 -fsyntax-only -Wall -Werror -I../include layout_check.c
 *   x86_64-w64-mingw32-gcc -std=c11 -fsyntax-only -Wall -Werror -I../include layout_check.c
 *   i686-w64-mingw32-gcc   -std=c11 -fsyntax-only -Wall -Werror -I../include layout_check.c
 *   gcc -m32               -std=c11 -fsyntax-only -Wall -Werror -I../include layout_check.c
 *
 * layout_test.go runs these. The "//go:build ignore" line keeps the go
 * command from treating this file as part of a (non-cgo) Go package.
 *
 * On Windows the system headers are included BEFORE cardmod.h (and again
 * after it) to prove the header coexists with windows.h, wincrypt.h,
 * bcrypt.h, ncrypt.h and winscard.h. Define LAYOUT_CHECK_CARDMOD_FIRST to
 * include cardmod.h first instead.
 */

#if defined(_WIN32) && !defined(LAYOUT_CHECK_CARDMOD_FIRST)
#include <windows.h>
#include <wincrypt.h>
#include <bcrypt.h>
#endif

#include <stddef.h>

#include "cardmod.h"

#if defined(_WIN32)
#include <windows.h>
#include <wincrypt.h>
#include <bcrypt.h>
#include <ncrypt.h>
#include <winscard.h>
#endif

/* Including the header twice must be harmless. */
#include "cardmod.h"

/* 1 if p has type (const) WCHAR *. */
#define LAYOUT_IS_WCHAR_PTR(p) _Generic((p), WCHAR *: 1, const WCHAR *: 1, default: 0)

/* ---------------- Primitive types (section 1.1) ---------------- */

_Static_assert(sizeof(BYTE) == 1, "BYTE must be 1 byte");
_Static_assert(sizeof(WORD) == 2, "WORD must be 2 bytes");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR must be 2 bytes (UTF-16 code unit)");
_Static_assert(sizeof(DWORD) == 4, "DWORD must be 4 bytes");
_Static_assert(sizeof(ULONG) == 4, "ULONG must be 4 bytes");
_Static_assert(sizeof(BOOL) == 4, "BOOL must be 4 bytes");
_Static_assert(sizeof(ALG_ID) == 4, "ALG_ID must be 4 bytes");
_Static_assert(sizeof(PIN_ID) == 4 && sizeof(PIN_SET) == 4, "PIN_ID/PIN_SET must be 4 bytes");
_Static_assert(sizeof(SECRET_TYPE) == 4 && sizeof(SECRET_PURPOSE) == 4 &&
               sizeof(PIN_CACHE_POLICY_TYPE) == 4 &&
               sizeof(CARD_DIRECTORY_ACCESS_CONDITION) == 4 &&
               sizeof(CARD_FILE_ACCESS_CONDITION) == 4,
               "enums must be 4 bytes");
_Static_assert(sizeof(CARD_KEY_HANDLE) == sizeof(void *), "CARD_KEY_HANDLE must be pointer-sized");
_Static_assert(sizeof(SCARDCONTEXT) == sizeof(void *) && sizeof(SCARDHANDLE) == sizeof(void *),
               "SCARDCONTEXT/SCARDHANDLE must be ULONG_PTR (pcsc-lite's LONG is wrong on Windows x64)");
_Static_assert(sizeof(CARD_DATA) == 63 * sizeof(void *), "CARD_DATA must be 63 pointer-sized slots");

/* The exported entry point has exactly the PFN_CARD_ACQUIRE_CONTEXT type
 * (on x86 this includes the __stdcall calling convention). */
_Static_assert(_Generic(&CardAcquireContext, PFN_CARD_ACQUIRE_CONTEXT: 1, default: 0),
               "CardAcquireContext does not match PFN_CARD_ACQUIRE_CONTEXT");

/* ---------------- Structure sizes and field offsets (sections 1.2 and 2) ---------------- */

#if defined(_WIN64) || defined(__x86_64__) || defined(__aarch64__)
/* ---------------- x64 (LLP64 Windows / LP64 Linux: pointers are 8 bytes) ---------------- */

_Static_assert(sizeof(void *) == 8, "x64 branch with 4-byte pointers");
_Static_assert(sizeof(CARD_KEY_HANDLE) == 8 && sizeof(SCARDCONTEXT) == 8 && sizeof(SCARDHANDLE) == 8 && sizeof(SIZE_T) == 8 && sizeof(ULONG_PTR) == 8, "pointer-sized integers must be 8 bytes on x64");
_Static_assert(sizeof(PUBLICKEYSTRUC) == 8, "sizeof(PUBLICKEYSTRUC) != 8 (x64)");

/* CARD_DATA */
_Static_assert(sizeof(CARD_DATA) == 504, "sizeof(CARD_DATA) != 504 (x64)");
_Static_assert(offsetof(CARD_DATA, dwVersion) == 0, "offsetof(CARD_DATA, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_DATA, pbAtr) == 8, "offsetof(CARD_DATA, pbAtr) != 8 (x64)");
_Static_assert(offsetof(CARD_DATA, cbAtr) == 16, "offsetof(CARD_DATA, cbAtr) != 16 (x64)");
_Static_assert(offsetof(CARD_DATA, pwszCardName) == 24, "offsetof(CARD_DATA, pwszCardName) != 24 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspAlloc) == 32, "offsetof(CARD_DATA, pfnCspAlloc) != 32 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspReAlloc) == 40, "offsetof(CARD_DATA, pfnCspReAlloc) != 40 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspFree) == 48, "offsetof(CARD_DATA, pfnCspFree) != 48 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspCacheAddFile) == 56, "offsetof(CARD_DATA, pfnCspCacheAddFile) != 56 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspCacheLookupFile) == 64, "offsetof(CARD_DATA, pfnCspCacheLookupFile) != 64 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspCacheDeleteFile) == 72, "offsetof(CARD_DATA, pfnCspCacheDeleteFile) != 72 (x64)");
_Static_assert(offsetof(CARD_DATA, pvCacheContext) == 80, "offsetof(CARD_DATA, pvCacheContext) != 80 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspPadData) == 88, "offsetof(CARD_DATA, pfnCspPadData) != 88 (x64)");
_Static_assert(offsetof(CARD_DATA, hSCardCtx) == 96, "offsetof(CARD_DATA, hSCardCtx) != 96 (x64)");
_Static_assert(offsetof(CARD_DATA, hScard) == 104, "offsetof(CARD_DATA, hScard) != 104 (x64)");
_Static_assert(offsetof(CARD_DATA, pvVendorSpecific) == 112, "offsetof(CARD_DATA, pvVendorSpecific) != 112 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteContext) == 120, "offsetof(CARD_DATA, pfnCardDeleteContext) != 120 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardQueryCapabilities) == 128, "offsetof(CARD_DATA, pfnCardQueryCapabilities) != 128 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteContainer) == 136, "offsetof(CARD_DATA, pfnCardDeleteContainer) != 136 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateContainer) == 144, "offsetof(CARD_DATA, pfnCardCreateContainer) != 144 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetContainerInfo) == 152, "offsetof(CARD_DATA, pfnCardGetContainerInfo) != 152 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardAuthenticatePin) == 160, "offsetof(CARD_DATA, pfnCardAuthenticatePin) != 160 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetChallenge) == 168, "offsetof(CARD_DATA, pfnCardGetChallenge) != 168 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardAuthenticateChallenge) == 176, "offsetof(CARD_DATA, pfnCardAuthenticateChallenge) != 176 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardUnblockPin) == 184, "offsetof(CARD_DATA, pfnCardUnblockPin) != 184 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardChangeAuthenticator) == 192, "offsetof(CARD_DATA, pfnCardChangeAuthenticator) != 192 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeauthenticate) == 200, "offsetof(CARD_DATA, pfnCardDeauthenticate) != 200 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateDirectory) == 208, "offsetof(CARD_DATA, pfnCardCreateDirectory) != 208 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteDirectory) == 216, "offsetof(CARD_DATA, pfnCardDeleteDirectory) != 216 (x64)");
_Static_assert(offsetof(CARD_DATA, pvUnused3) == 224, "offsetof(CARD_DATA, pvUnused3) != 224 (x64)");
_Static_assert(offsetof(CARD_DATA, pvUnused4) == 232, "offsetof(CARD_DATA, pvUnused4) != 232 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateFile) == 240, "offsetof(CARD_DATA, pfnCardCreateFile) != 240 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardReadFile) == 248, "offsetof(CARD_DATA, pfnCardReadFile) != 248 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardWriteFile) == 256, "offsetof(CARD_DATA, pfnCardWriteFile) != 256 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteFile) == 264, "offsetof(CARD_DATA, pfnCardDeleteFile) != 264 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardEnumFiles) == 272, "offsetof(CARD_DATA, pfnCardEnumFiles) != 272 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetFileInfo) == 280, "offsetof(CARD_DATA, pfnCardGetFileInfo) != 280 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardQueryFreeSpace) == 288, "offsetof(CARD_DATA, pfnCardQueryFreeSpace) != 288 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardQueryKeySizes) == 296, "offsetof(CARD_DATA, pfnCardQueryKeySizes) != 296 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardSignData) == 304, "offsetof(CARD_DATA, pfnCardSignData) != 304 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardRSADecrypt) == 312, "offsetof(CARD_DATA, pfnCardRSADecrypt) != 312 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardConstructDHAgreement) == 320, "offsetof(CARD_DATA, pfnCardConstructDHAgreement) != 320 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeriveKey) == 328, "offsetof(CARD_DATA, pfnCardDeriveKey) != 328 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDestroyDHAgreement) == 336, "offsetof(CARD_DATA, pfnCardDestroyDHAgreement) != 336 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspGetDHAgreement) == 344, "offsetof(CARD_DATA, pfnCspGetDHAgreement) != 344 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetChallengeEx) == 352, "offsetof(CARD_DATA, pfnCardGetChallengeEx) != 352 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardAuthenticateEx) == 360, "offsetof(CARD_DATA, pfnCardAuthenticateEx) != 360 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardChangeAuthenticatorEx) == 368, "offsetof(CARD_DATA, pfnCardChangeAuthenticatorEx) != 368 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeauthenticateEx) == 376, "offsetof(CARD_DATA, pfnCardDeauthenticateEx) != 376 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetContainerProperty) == 384, "offsetof(CARD_DATA, pfnCardGetContainerProperty) != 384 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardSetContainerProperty) == 392, "offsetof(CARD_DATA, pfnCardSetContainerProperty) != 392 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetProperty) == 400, "offsetof(CARD_DATA, pfnCardGetProperty) != 400 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardSetProperty) == 408, "offsetof(CARD_DATA, pfnCardSetProperty) != 408 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCspUnpadData) == 416, "offsetof(CARD_DATA, pfnCspUnpadData) != 416 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnMDImportSessionKey) == 424, "offsetof(CARD_DATA, pfnMDImportSessionKey) != 424 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnMDEncryptData) == 432, "offsetof(CARD_DATA, pfnMDEncryptData) != 432 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardImportSessionKey) == 440, "offsetof(CARD_DATA, pfnCardImportSessionKey) != 440 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetSharedKeyHandle) == 448, "offsetof(CARD_DATA, pfnCardGetSharedKeyHandle) != 448 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetAlgorithmProperty) == 456, "offsetof(CARD_DATA, pfnCardGetAlgorithmProperty) != 456 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetKeyProperty) == 464, "offsetof(CARD_DATA, pfnCardGetKeyProperty) != 464 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardSetKeyProperty) == 472, "offsetof(CARD_DATA, pfnCardSetKeyProperty) != 472 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardDestroyKey) == 480, "offsetof(CARD_DATA, pfnCardDestroyKey) != 480 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardProcessEncryptedData) == 488, "offsetof(CARD_DATA, pfnCardProcessEncryptedData) != 488 (x64)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateContainerEx) == 496, "offsetof(CARD_DATA, pfnCardCreateContainerEx) != 496 (x64)");

/* CARD_CAPABILITIES */
_Static_assert(sizeof(CARD_CAPABILITIES) == 12, "sizeof(CARD_CAPABILITIES) != 12 (x64)");
_Static_assert(offsetof(CARD_CAPABILITIES, dwVersion) == 0, "offsetof(CARD_CAPABILITIES, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_CAPABILITIES, fCertificateCompression) == 4, "offsetof(CARD_CAPABILITIES, fCertificateCompression) != 4 (x64)");
_Static_assert(offsetof(CARD_CAPABILITIES, fKeyGen) == 8, "offsetof(CARD_CAPABILITIES, fKeyGen) != 8 (x64)");

/* CONTAINER_INFO */
_Static_assert(sizeof(CONTAINER_INFO) == 40, "sizeof(CONTAINER_INFO) != 40 (x64)");
_Static_assert(offsetof(CONTAINER_INFO, dwVersion) == 0, "offsetof(CONTAINER_INFO, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CONTAINER_INFO, dwReserved) == 4, "offsetof(CONTAINER_INFO, dwReserved) != 4 (x64)");
_Static_assert(offsetof(CONTAINER_INFO, cbSigPublicKey) == 8, "offsetof(CONTAINER_INFO, cbSigPublicKey) != 8 (x64)");
_Static_assert(offsetof(CONTAINER_INFO, pbSigPublicKey) == 16, "offsetof(CONTAINER_INFO, pbSigPublicKey) != 16 (x64)");
_Static_assert(offsetof(CONTAINER_INFO, cbKeyExPublicKey) == 24, "offsetof(CONTAINER_INFO, cbKeyExPublicKey) != 24 (x64)");
_Static_assert(offsetof(CONTAINER_INFO, pbKeyExPublicKey) == 32, "offsetof(CONTAINER_INFO, pbKeyExPublicKey) != 32 (x64)");

/* PIN_CACHE_POLICY */
_Static_assert(sizeof(PIN_CACHE_POLICY) == 12, "sizeof(PIN_CACHE_POLICY) != 12 (x64)");
_Static_assert(offsetof(PIN_CACHE_POLICY, dwVersion) == 0, "offsetof(PIN_CACHE_POLICY, dwVersion) != 0 (x64)");
_Static_assert(offsetof(PIN_CACHE_POLICY, PinCachePolicyType) == 4, "offsetof(PIN_CACHE_POLICY, PinCachePolicyType) != 4 (x64)");
_Static_assert(offsetof(PIN_CACHE_POLICY, dwPinCachePolicyInfo) == 8, "offsetof(PIN_CACHE_POLICY, dwPinCachePolicyInfo) != 8 (x64)");

/* PIN_INFO */
_Static_assert(sizeof(PIN_INFO) == 36, "sizeof(PIN_INFO) != 36 (x64)");
_Static_assert(offsetof(PIN_INFO, dwVersion) == 0, "offsetof(PIN_INFO, dwVersion) != 0 (x64)");
_Static_assert(offsetof(PIN_INFO, PinType) == 4, "offsetof(PIN_INFO, PinType) != 4 (x64)");
_Static_assert(offsetof(PIN_INFO, PinPurpose) == 8, "offsetof(PIN_INFO, PinPurpose) != 8 (x64)");
_Static_assert(offsetof(PIN_INFO, dwChangePermission) == 12, "offsetof(PIN_INFO, dwChangePermission) != 12 (x64)");
_Static_assert(offsetof(PIN_INFO, dwUnblockPermission) == 16, "offsetof(PIN_INFO, dwUnblockPermission) != 16 (x64)");
_Static_assert(offsetof(PIN_INFO, PinCachePolicy) == 20, "offsetof(PIN_INFO, PinCachePolicy) != 20 (x64)");
_Static_assert(offsetof(PIN_INFO, dwFlags) == 32, "offsetof(PIN_INFO, dwFlags) != 32 (x64)");

/* CARD_FILE_INFO */
_Static_assert(sizeof(CARD_FILE_INFO) == 12, "sizeof(CARD_FILE_INFO) != 12 (x64)");
_Static_assert(offsetof(CARD_FILE_INFO, dwVersion) == 0, "offsetof(CARD_FILE_INFO, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_FILE_INFO, cbFileSize) == 4, "offsetof(CARD_FILE_INFO, cbFileSize) != 4 (x64)");
_Static_assert(offsetof(CARD_FILE_INFO, AccessCondition) == 8, "offsetof(CARD_FILE_INFO, AccessCondition) != 8 (x64)");

/* CARD_FREE_SPACE_INFO */
_Static_assert(sizeof(CARD_FREE_SPACE_INFO) == 16, "sizeof(CARD_FREE_SPACE_INFO) != 16 (x64)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwVersion) == 0, "offsetof(CARD_FREE_SPACE_INFO, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwBytesAvailable) == 4, "offsetof(CARD_FREE_SPACE_INFO, dwBytesAvailable) != 4 (x64)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwKeyContainersAvailable) == 8, "offsetof(CARD_FREE_SPACE_INFO, dwKeyContainersAvailable) != 8 (x64)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwMaxKeyContainers) == 12, "offsetof(CARD_FREE_SPACE_INFO, dwMaxKeyContainers) != 12 (x64)");

/* CARD_KEY_SIZES */
_Static_assert(sizeof(CARD_KEY_SIZES) == 20, "sizeof(CARD_KEY_SIZES) != 20 (x64)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwVersion) == 0, "offsetof(CARD_KEY_SIZES, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwMinimumBitlen) == 4, "offsetof(CARD_KEY_SIZES, dwMinimumBitlen) != 4 (x64)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwDefaultBitlen) == 8, "offsetof(CARD_KEY_SIZES, dwDefaultBitlen) != 8 (x64)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwMaximumBitlen) == 12, "offsetof(CARD_KEY_SIZES, dwMaximumBitlen) != 12 (x64)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwIncrementalBitlen) == 16, "offsetof(CARD_KEY_SIZES, dwIncrementalBitlen) != 16 (x64)");

/* CARD_SIGNING_INFO */
_Static_assert(sizeof(CARD_SIGNING_INFO) == 72, "sizeof(CARD_SIGNING_INFO) != 72 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwVersion) == 0, "offsetof(CARD_SIGNING_INFO, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, bContainerIndex) == 4, "offsetof(CARD_SIGNING_INFO, bContainerIndex) != 4 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwKeySpec) == 8, "offsetof(CARD_SIGNING_INFO, dwKeySpec) != 8 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwSigningFlags) == 12, "offsetof(CARD_SIGNING_INFO, dwSigningFlags) != 12 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, aiHashAlg) == 16, "offsetof(CARD_SIGNING_INFO, aiHashAlg) != 16 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, pbData) == 24, "offsetof(CARD_SIGNING_INFO, pbData) != 24 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, cbData) == 32, "offsetof(CARD_SIGNING_INFO, cbData) != 32 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, pbSignedData) == 40, "offsetof(CARD_SIGNING_INFO, pbSignedData) != 40 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, cbSignedData) == 48, "offsetof(CARD_SIGNING_INFO, cbSignedData) != 48 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, pPaddingInfo) == 56, "offsetof(CARD_SIGNING_INFO, pPaddingInfo) != 56 (x64)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwPaddingType) == 64, "offsetof(CARD_SIGNING_INFO, dwPaddingType) != 64 (x64)");

/* CARD_RSA_DECRYPT_INFO */
_Static_assert(sizeof(CARD_RSA_DECRYPT_INFO) == 48, "sizeof(CARD_RSA_DECRYPT_INFO) != 48 (x64)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, dwVersion) == 0, "offsetof(CARD_RSA_DECRYPT_INFO, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, bContainerIndex) == 4, "offsetof(CARD_RSA_DECRYPT_INFO, bContainerIndex) != 4 (x64)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, dwKeySpec) == 8, "offsetof(CARD_RSA_DECRYPT_INFO, dwKeySpec) != 8 (x64)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, pbData) == 16, "offsetof(CARD_RSA_DECRYPT_INFO, pbData) != 16 (x64)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, cbData) == 24, "offsetof(CARD_RSA_DECRYPT_INFO, cbData) != 24 (x64)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, pPaddingInfo) == 32, "offsetof(CARD_RSA_DECRYPT_INFO, pPaddingInfo) != 32 (x64)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, dwPaddingType) == 40, "offsetof(CARD_RSA_DECRYPT_INFO, dwPaddingType) != 40 (x64)");

/* CARD_DH_AGREEMENT_INFO */
_Static_assert(sizeof(CARD_DH_AGREEMENT_INFO) == 40, "sizeof(CARD_DH_AGREEMENT_INFO) != 40 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, dwVersion) == 0, "offsetof(CARD_DH_AGREEMENT_INFO, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, bContainerIndex) == 4, "offsetof(CARD_DH_AGREEMENT_INFO, bContainerIndex) != 4 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, dwFlags) == 8, "offsetof(CARD_DH_AGREEMENT_INFO, dwFlags) != 8 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, dwPublicKey) == 12, "offsetof(CARD_DH_AGREEMENT_INFO, dwPublicKey) != 12 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, pbPublicKey) == 16, "offsetof(CARD_DH_AGREEMENT_INFO, pbPublicKey) != 16 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, pbReserved) == 24, "offsetof(CARD_DH_AGREEMENT_INFO, pbReserved) != 24 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, cbReserved) == 32, "offsetof(CARD_DH_AGREEMENT_INFO, cbReserved) != 32 (x64)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, bSecretAgreementIndex) == 36, "offsetof(CARD_DH_AGREEMENT_INFO, bSecretAgreementIndex) != 36 (x64)");

/* CARD_DERIVE_KEY */
_Static_assert(sizeof(CARD_DERIVE_KEY) == 72, "sizeof(CARD_DERIVE_KEY) != 72 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, dwVersion) == 0, "offsetof(CARD_DERIVE_KEY, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, dwFlags) == 4, "offsetof(CARD_DERIVE_KEY, dwFlags) != 4 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pwszKDF) == 8, "offsetof(CARD_DERIVE_KEY, pwszKDF) != 8 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, bSecretAgreementIndex) == 16, "offsetof(CARD_DERIVE_KEY, bSecretAgreementIndex) != 16 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pParameterList) == 24, "offsetof(CARD_DERIVE_KEY, pParameterList) != 24 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pbDerivedKey) == 32, "offsetof(CARD_DERIVE_KEY, pbDerivedKey) != 32 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, cbDerivedKey) == 40, "offsetof(CARD_DERIVE_KEY, cbDerivedKey) != 40 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pwszAlgId) == 48, "offsetof(CARD_DERIVE_KEY, pwszAlgId) != 48 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, dwKeyLen) == 56, "offsetof(CARD_DERIVE_KEY, dwKeyLen) != 56 (x64)");
_Static_assert(offsetof(CARD_DERIVE_KEY, hKey) == 64, "offsetof(CARD_DERIVE_KEY, hKey) != 64 (x64)");

/* CARD_ENCRYPTED_DATA */
_Static_assert(sizeof(CARD_ENCRYPTED_DATA) == 16, "sizeof(CARD_ENCRYPTED_DATA) != 16 (x64)");
_Static_assert(offsetof(CARD_ENCRYPTED_DATA, pbEncryptedData) == 0, "offsetof(CARD_ENCRYPTED_DATA, pbEncryptedData) != 0 (x64)");
_Static_assert(offsetof(CARD_ENCRYPTED_DATA, cbEncryptedData) == 8, "offsetof(CARD_ENCRYPTED_DATA, cbEncryptedData) != 8 (x64)");

/* CARD_IMPORT_KEYPAIR */
_Static_assert(sizeof(CARD_IMPORT_KEYPAIR) == 24, "sizeof(CARD_IMPORT_KEYPAIR) != 24 (x64)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, dwVersion) == 0, "offsetof(CARD_IMPORT_KEYPAIR, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, bContainerIndex) == 4, "offsetof(CARD_IMPORT_KEYPAIR, bContainerIndex) != 4 (x64)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, PinId) == 8, "offsetof(CARD_IMPORT_KEYPAIR, PinId) != 8 (x64)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, dwKeySpec) == 12, "offsetof(CARD_IMPORT_KEYPAIR, dwKeySpec) != 12 (x64)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, dwKeySize) == 16, "offsetof(CARD_IMPORT_KEYPAIR, dwKeySize) != 16 (x64)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, cbInput) == 20, "offsetof(CARD_IMPORT_KEYPAIR, cbInput) != 20 (x64)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, pbInput) == 24, "offsetof(CARD_IMPORT_KEYPAIR, pbInput) != 24 (x64)");

/* CARD_CHANGE_AUTHENTICATOR */
_Static_assert(sizeof(CARD_CHANGE_AUTHENTICATOR) == 28, "sizeof(CARD_CHANGE_AUTHENTICATOR) != 28 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwVersion) == 0, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwFlags) == 4, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwFlags) != 4 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwAuthenticatingPinId) == 8, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwAuthenticatingPinId) != 8 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, cbAuthenticatingPinData) == 12, "offsetof(CARD_CHANGE_AUTHENTICATOR, cbAuthenticatingPinData) != 12 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwTargetPinId) == 16, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwTargetPinId) != 16 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, cbTargetData) == 20, "offsetof(CARD_CHANGE_AUTHENTICATOR, cbTargetData) != 20 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, cRetryCount) == 24, "offsetof(CARD_CHANGE_AUTHENTICATOR, cRetryCount) != 24 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, pbData) == 28, "offsetof(CARD_CHANGE_AUTHENTICATOR, pbData) != 28 (x64)");

/* CARD_CHANGE_AUTHENTICATOR_RESPONSE */
_Static_assert(sizeof(CARD_CHANGE_AUTHENTICATOR_RESPONSE) == 8, "sizeof(CARD_CHANGE_AUTHENTICATOR_RESPONSE) != 8 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, dwVersion) == 0, "offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, cAttemptsRemaining) == 4, "offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, cAttemptsRemaining) != 4 (x64)");

/* CARD_AUTHENTICATE */
_Static_assert(sizeof(CARD_AUTHENTICATE) == 16, "sizeof(CARD_AUTHENTICATE) != 16 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE, dwVersion) == 0, "offsetof(CARD_AUTHENTICATE, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE, dwFlags) == 4, "offsetof(CARD_AUTHENTICATE, dwFlags) != 4 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE, PinId) == 8, "offsetof(CARD_AUTHENTICATE, PinId) != 8 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE, cbPinData) == 12, "offsetof(CARD_AUTHENTICATE, cbPinData) != 12 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE, pbPinData) == 16, "offsetof(CARD_AUTHENTICATE, pbPinData) != 16 (x64)");

/* CARD_AUTHENTICATE_RESPONSE */
_Static_assert(sizeof(CARD_AUTHENTICATE_RESPONSE) == 12, "sizeof(CARD_AUTHENTICATE_RESPONSE) != 12 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, dwVersion) == 0, "offsetof(CARD_AUTHENTICATE_RESPONSE, dwVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, cbSessionPin) == 4, "offsetof(CARD_AUTHENTICATE_RESPONSE, cbSessionPin) != 4 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, cAttemptsRemaining) == 8, "offsetof(CARD_AUTHENTICATE_RESPONSE, cAttemptsRemaining) != 8 (x64)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, pbSessionPin) == 12, "offsetof(CARD_AUTHENTICATE_RESPONSE, pbSessionPin) != 12 (x64)");

/* CARD_CACHE_FILE_FORMAT */
_Static_assert(sizeof(CARD_CACHE_FILE_FORMAT) == 6, "sizeof(CARD_CACHE_FILE_FORMAT) != 6 (x64)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, bVersion) == 0, "offsetof(CARD_CACHE_FILE_FORMAT, bVersion) != 0 (x64)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, bPinsFreshness) == 1, "offsetof(CARD_CACHE_FILE_FORMAT, bPinsFreshness) != 1 (x64)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, wContainersFreshness) == 2, "offsetof(CARD_CACHE_FILE_FORMAT, wContainersFreshness) != 2 (x64)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, wFilesFreshness) == 4, "offsetof(CARD_CACHE_FILE_FORMAT, wFilesFreshness) != 4 (x64)");

/* CONTAINER_MAP_RECORD */
_Static_assert(sizeof(CONTAINER_MAP_RECORD) == 86, "sizeof(CONTAINER_MAP_RECORD) != 86 (x64)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, wszGuid) == 0, "offsetof(CONTAINER_MAP_RECORD, wszGuid) != 0 (x64)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, bFlags) == 80, "offsetof(CONTAINER_MAP_RECORD, bFlags) != 80 (x64)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, bReserved) == 81, "offsetof(CONTAINER_MAP_RECORD, bReserved) != 81 (x64)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, wSigKeySizeBits) == 82, "offsetof(CONTAINER_MAP_RECORD, wSigKeySizeBits) != 82 (x64)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, wKeyExchangeKeySizeBits) == 84, "offsetof(CONTAINER_MAP_RECORD, wKeyExchangeKeySizeBits) != 84 (x64)");

/* BCryptBuffer */
_Static_assert(sizeof(BCryptBuffer) == 16, "sizeof(BCryptBuffer) != 16 (x64)");
_Static_assert(offsetof(BCryptBuffer, cbBuffer) == 0, "offsetof(BCryptBuffer, cbBuffer) != 0 (x64)");
_Static_assert(offsetof(BCryptBuffer, BufferType) == 4, "offsetof(BCryptBuffer, BufferType) != 4 (x64)");
_Static_assert(offsetof(BCryptBuffer, pvBuffer) == 8, "offsetof(BCryptBuffer, pvBuffer) != 8 (x64)");

/* BCryptBufferDesc */
_Static_assert(sizeof(BCryptBufferDesc) == 16, "sizeof(BCryptBufferDesc) != 16 (x64)");
_Static_assert(offsetof(BCryptBufferDesc, ulVersion) == 0, "offsetof(BCryptBufferDesc, ulVersion) != 0 (x64)");
_Static_assert(offsetof(BCryptBufferDesc, cBuffers) == 4, "offsetof(BCryptBufferDesc, cBuffers) != 4 (x64)");
_Static_assert(offsetof(BCryptBufferDesc, pBuffers) == 8, "offsetof(BCryptBufferDesc, pBuffers) != 8 (x64)");

/* BCRYPT_PKCS1_PADDING_INFO */
_Static_assert(sizeof(BCRYPT_PKCS1_PADDING_INFO) == 8, "sizeof(BCRYPT_PKCS1_PADDING_INFO) != 8 (x64)");
_Static_assert(offsetof(BCRYPT_PKCS1_PADDING_INFO, pszAlgId) == 0, "offsetof(BCRYPT_PKCS1_PADDING_INFO, pszAlgId) != 0 (x64)");

/* BCRYPT_PSS_PADDING_INFO */
_Static_assert(sizeof(BCRYPT_PSS_PADDING_INFO) == 16, "sizeof(BCRYPT_PSS_PADDING_INFO) != 16 (x64)");
_Static_assert(offsetof(BCRYPT_PSS_PADDING_INFO, pszAlgId) == 0, "offsetof(BCRYPT_PSS_PADDING_INFO, pszAlgId) != 0 (x64)");
_Static_assert(offsetof(BCRYPT_PSS_PADDING_INFO, cbSalt) == 8, "offsetof(BCRYPT_PSS_PADDING_INFO, cbSalt) != 8 (x64)");

/* BCRYPT_OAEP_PADDING_INFO */
_Static_assert(sizeof(BCRYPT_OAEP_PADDING_INFO) == 24, "sizeof(BCRYPT_OAEP_PADDING_INFO) != 24 (x64)");
_Static_assert(offsetof(BCRYPT_OAEP_PADDING_INFO, pszAlgId) == 0, "offsetof(BCRYPT_OAEP_PADDING_INFO, pszAlgId) != 0 (x64)");
_Static_assert(offsetof(BCRYPT_OAEP_PADDING_INFO, pbLabel) == 8, "offsetof(BCRYPT_OAEP_PADDING_INFO, pbLabel) != 8 (x64)");
_Static_assert(offsetof(BCRYPT_OAEP_PADDING_INFO, cbLabel) == 16, "offsetof(BCRYPT_OAEP_PADDING_INFO, cbLabel) != 16 (x64)");

/* BCRYPT_KEY_DATA_BLOB_HEADER */
_Static_assert(sizeof(BCRYPT_KEY_DATA_BLOB_HEADER) == 12, "sizeof(BCRYPT_KEY_DATA_BLOB_HEADER) != 12 (x64)");
_Static_assert(offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwMagic) == 0, "offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwMagic) != 0 (x64)");
_Static_assert(offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwVersion) == 4, "offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwVersion) != 4 (x64)");
_Static_assert(offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, cbKeyData) == 8, "offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, cbKeyData) != 8 (x64)");

/* BCRYPT_ECCKEY_BLOB */
_Static_assert(sizeof(BCRYPT_ECCKEY_BLOB) == 8, "sizeof(BCRYPT_ECCKEY_BLOB) != 8 (x64)");
_Static_assert(offsetof(BCRYPT_ECCKEY_BLOB, dwMagic) == 0, "offsetof(BCRYPT_ECCKEY_BLOB, dwMagic) != 0 (x64)");
_Static_assert(offsetof(BCRYPT_ECCKEY_BLOB, cbKey) == 4, "offsetof(BCRYPT_ECCKEY_BLOB, cbKey) != 4 (x64)");

/* BLOBHEADER */
_Static_assert(sizeof(BLOBHEADER) == 8, "sizeof(BLOBHEADER) != 8 (x64)");
_Static_assert(offsetof(BLOBHEADER, bType) == 0, "offsetof(BLOBHEADER, bType) != 0 (x64)");
_Static_assert(offsetof(BLOBHEADER, bVersion) == 1, "offsetof(BLOBHEADER, bVersion) != 1 (x64)");
_Static_assert(offsetof(BLOBHEADER, reserved) == 2, "offsetof(BLOBHEADER, reserved) != 2 (x64)");
_Static_assert(offsetof(BLOBHEADER, aiKeyAlg) == 4, "offsetof(BLOBHEADER, aiKeyAlg) != 4 (x64)");

/* RSAPUBKEY */
_Static_assert(sizeof(RSAPUBKEY) == 12, "sizeof(RSAPUBKEY) != 12 (x64)");
_Static_assert(offsetof(RSAPUBKEY, magic) == 0, "offsetof(RSAPUBKEY, magic) != 0 (x64)");
_Static_assert(offsetof(RSAPUBKEY, bitlen) == 4, "offsetof(RSAPUBKEY, bitlen) != 4 (x64)");
_Static_assert(offsetof(RSAPUBKEY, pubexp) == 8, "offsetof(RSAPUBKEY, pubexp) != 8 (x64)");

#elif defined(_WIN32) || defined(__i386__)
/* ---------------- x86 (ILP32: pointers are 4 bytes) ---------------- */

_Static_assert(sizeof(void *) == 4, "x86 branch with 8-byte pointers");
_Static_assert(sizeof(CARD_KEY_HANDLE) == 4 && sizeof(SCARDCONTEXT) == 4 && sizeof(SCARDHANDLE) == 4 && sizeof(SIZE_T) == 4 && sizeof(ULONG_PTR) == 4, "pointer-sized integers must be 4 bytes on x86");
_Static_assert(sizeof(PUBLICKEYSTRUC) == 8, "sizeof(PUBLICKEYSTRUC) != 8 (x86)");

/* CARD_DATA */
_Static_assert(sizeof(CARD_DATA) == 252, "sizeof(CARD_DATA) != 252 (x86)");
_Static_assert(offsetof(CARD_DATA, dwVersion) == 0, "offsetof(CARD_DATA, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_DATA, pbAtr) == 4, "offsetof(CARD_DATA, pbAtr) != 4 (x86)");
_Static_assert(offsetof(CARD_DATA, cbAtr) == 8, "offsetof(CARD_DATA, cbAtr) != 8 (x86)");
_Static_assert(offsetof(CARD_DATA, pwszCardName) == 12, "offsetof(CARD_DATA, pwszCardName) != 12 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspAlloc) == 16, "offsetof(CARD_DATA, pfnCspAlloc) != 16 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspReAlloc) == 20, "offsetof(CARD_DATA, pfnCspReAlloc) != 20 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspFree) == 24, "offsetof(CARD_DATA, pfnCspFree) != 24 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspCacheAddFile) == 28, "offsetof(CARD_DATA, pfnCspCacheAddFile) != 28 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspCacheLookupFile) == 32, "offsetof(CARD_DATA, pfnCspCacheLookupFile) != 32 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspCacheDeleteFile) == 36, "offsetof(CARD_DATA, pfnCspCacheDeleteFile) != 36 (x86)");
_Static_assert(offsetof(CARD_DATA, pvCacheContext) == 40, "offsetof(CARD_DATA, pvCacheContext) != 40 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspPadData) == 44, "offsetof(CARD_DATA, pfnCspPadData) != 44 (x86)");
_Static_assert(offsetof(CARD_DATA, hSCardCtx) == 48, "offsetof(CARD_DATA, hSCardCtx) != 48 (x86)");
_Static_assert(offsetof(CARD_DATA, hScard) == 52, "offsetof(CARD_DATA, hScard) != 52 (x86)");
_Static_assert(offsetof(CARD_DATA, pvVendorSpecific) == 56, "offsetof(CARD_DATA, pvVendorSpecific) != 56 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteContext) == 60, "offsetof(CARD_DATA, pfnCardDeleteContext) != 60 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardQueryCapabilities) == 64, "offsetof(CARD_DATA, pfnCardQueryCapabilities) != 64 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteContainer) == 68, "offsetof(CARD_DATA, pfnCardDeleteContainer) != 68 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateContainer) == 72, "offsetof(CARD_DATA, pfnCardCreateContainer) != 72 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetContainerInfo) == 76, "offsetof(CARD_DATA, pfnCardGetContainerInfo) != 76 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardAuthenticatePin) == 80, "offsetof(CARD_DATA, pfnCardAuthenticatePin) != 80 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetChallenge) == 84, "offsetof(CARD_DATA, pfnCardGetChallenge) != 84 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardAuthenticateChallenge) == 88, "offsetof(CARD_DATA, pfnCardAuthenticateChallenge) != 88 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardUnblockPin) == 92, "offsetof(CARD_DATA, pfnCardUnblockPin) != 92 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardChangeAuthenticator) == 96, "offsetof(CARD_DATA, pfnCardChangeAuthenticator) != 96 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeauthenticate) == 100, "offsetof(CARD_DATA, pfnCardDeauthenticate) != 100 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateDirectory) == 104, "offsetof(CARD_DATA, pfnCardCreateDirectory) != 104 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteDirectory) == 108, "offsetof(CARD_DATA, pfnCardDeleteDirectory) != 108 (x86)");
_Static_assert(offsetof(CARD_DATA, pvUnused3) == 112, "offsetof(CARD_DATA, pvUnused3) != 112 (x86)");
_Static_assert(offsetof(CARD_DATA, pvUnused4) == 116, "offsetof(CARD_DATA, pvUnused4) != 116 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateFile) == 120, "offsetof(CARD_DATA, pfnCardCreateFile) != 120 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardReadFile) == 124, "offsetof(CARD_DATA, pfnCardReadFile) != 124 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardWriteFile) == 128, "offsetof(CARD_DATA, pfnCardWriteFile) != 128 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeleteFile) == 132, "offsetof(CARD_DATA, pfnCardDeleteFile) != 132 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardEnumFiles) == 136, "offsetof(CARD_DATA, pfnCardEnumFiles) != 136 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetFileInfo) == 140, "offsetof(CARD_DATA, pfnCardGetFileInfo) != 140 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardQueryFreeSpace) == 144, "offsetof(CARD_DATA, pfnCardQueryFreeSpace) != 144 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardQueryKeySizes) == 148, "offsetof(CARD_DATA, pfnCardQueryKeySizes) != 148 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardSignData) == 152, "offsetof(CARD_DATA, pfnCardSignData) != 152 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardRSADecrypt) == 156, "offsetof(CARD_DATA, pfnCardRSADecrypt) != 156 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardConstructDHAgreement) == 160, "offsetof(CARD_DATA, pfnCardConstructDHAgreement) != 160 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeriveKey) == 164, "offsetof(CARD_DATA, pfnCardDeriveKey) != 164 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDestroyDHAgreement) == 168, "offsetof(CARD_DATA, pfnCardDestroyDHAgreement) != 168 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspGetDHAgreement) == 172, "offsetof(CARD_DATA, pfnCspGetDHAgreement) != 172 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetChallengeEx) == 176, "offsetof(CARD_DATA, pfnCardGetChallengeEx) != 176 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardAuthenticateEx) == 180, "offsetof(CARD_DATA, pfnCardAuthenticateEx) != 180 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardChangeAuthenticatorEx) == 184, "offsetof(CARD_DATA, pfnCardChangeAuthenticatorEx) != 184 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDeauthenticateEx) == 188, "offsetof(CARD_DATA, pfnCardDeauthenticateEx) != 188 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetContainerProperty) == 192, "offsetof(CARD_DATA, pfnCardGetContainerProperty) != 192 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardSetContainerProperty) == 196, "offsetof(CARD_DATA, pfnCardSetContainerProperty) != 196 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetProperty) == 200, "offsetof(CARD_DATA, pfnCardGetProperty) != 200 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardSetProperty) == 204, "offsetof(CARD_DATA, pfnCardSetProperty) != 204 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCspUnpadData) == 208, "offsetof(CARD_DATA, pfnCspUnpadData) != 208 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnMDImportSessionKey) == 212, "offsetof(CARD_DATA, pfnMDImportSessionKey) != 212 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnMDEncryptData) == 216, "offsetof(CARD_DATA, pfnMDEncryptData) != 216 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardImportSessionKey) == 220, "offsetof(CARD_DATA, pfnCardImportSessionKey) != 220 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetSharedKeyHandle) == 224, "offsetof(CARD_DATA, pfnCardGetSharedKeyHandle) != 224 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetAlgorithmProperty) == 228, "offsetof(CARD_DATA, pfnCardGetAlgorithmProperty) != 228 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardGetKeyProperty) == 232, "offsetof(CARD_DATA, pfnCardGetKeyProperty) != 232 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardSetKeyProperty) == 236, "offsetof(CARD_DATA, pfnCardSetKeyProperty) != 236 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardDestroyKey) == 240, "offsetof(CARD_DATA, pfnCardDestroyKey) != 240 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardProcessEncryptedData) == 244, "offsetof(CARD_DATA, pfnCardProcessEncryptedData) != 244 (x86)");
_Static_assert(offsetof(CARD_DATA, pfnCardCreateContainerEx) == 248, "offsetof(CARD_DATA, pfnCardCreateContainerEx) != 248 (x86)");

/* CARD_CAPABILITIES */
_Static_assert(sizeof(CARD_CAPABILITIES) == 12, "sizeof(CARD_CAPABILITIES) != 12 (x86)");
_Static_assert(offsetof(CARD_CAPABILITIES, dwVersion) == 0, "offsetof(CARD_CAPABILITIES, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_CAPABILITIES, fCertificateCompression) == 4, "offsetof(CARD_CAPABILITIES, fCertificateCompression) != 4 (x86)");
_Static_assert(offsetof(CARD_CAPABILITIES, fKeyGen) == 8, "offsetof(CARD_CAPABILITIES, fKeyGen) != 8 (x86)");

/* CONTAINER_INFO */
_Static_assert(sizeof(CONTAINER_INFO) == 24, "sizeof(CONTAINER_INFO) != 24 (x86)");
_Static_assert(offsetof(CONTAINER_INFO, dwVersion) == 0, "offsetof(CONTAINER_INFO, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CONTAINER_INFO, dwReserved) == 4, "offsetof(CONTAINER_INFO, dwReserved) != 4 (x86)");
_Static_assert(offsetof(CONTAINER_INFO, cbSigPublicKey) == 8, "offsetof(CONTAINER_INFO, cbSigPublicKey) != 8 (x86)");
_Static_assert(offsetof(CONTAINER_INFO, pbSigPublicKey) == 12, "offsetof(CONTAINER_INFO, pbSigPublicKey) != 12 (x86)");
_Static_assert(offsetof(CONTAINER_INFO, cbKeyExPublicKey) == 16, "offsetof(CONTAINER_INFO, cbKeyExPublicKey) != 16 (x86)");
_Static_assert(offsetof(CONTAINER_INFO, pbKeyExPublicKey) == 20, "offsetof(CONTAINER_INFO, pbKeyExPublicKey) != 20 (x86)");

/* PIN_CACHE_POLICY */
_Static_assert(sizeof(PIN_CACHE_POLICY) == 12, "sizeof(PIN_CACHE_POLICY) != 12 (x86)");
_Static_assert(offsetof(PIN_CACHE_POLICY, dwVersion) == 0, "offsetof(PIN_CACHE_POLICY, dwVersion) != 0 (x86)");
_Static_assert(offsetof(PIN_CACHE_POLICY, PinCachePolicyType) == 4, "offsetof(PIN_CACHE_POLICY, PinCachePolicyType) != 4 (x86)");
_Static_assert(offsetof(PIN_CACHE_POLICY, dwPinCachePolicyInfo) == 8, "offsetof(PIN_CACHE_POLICY, dwPinCachePolicyInfo) != 8 (x86)");

/* PIN_INFO */
_Static_assert(sizeof(PIN_INFO) == 36, "sizeof(PIN_INFO) != 36 (x86)");
_Static_assert(offsetof(PIN_INFO, dwVersion) == 0, "offsetof(PIN_INFO, dwVersion) != 0 (x86)");
_Static_assert(offsetof(PIN_INFO, PinType) == 4, "offsetof(PIN_INFO, PinType) != 4 (x86)");
_Static_assert(offsetof(PIN_INFO, PinPurpose) == 8, "offsetof(PIN_INFO, PinPurpose) != 8 (x86)");
_Static_assert(offsetof(PIN_INFO, dwChangePermission) == 12, "offsetof(PIN_INFO, dwChangePermission) != 12 (x86)");
_Static_assert(offsetof(PIN_INFO, dwUnblockPermission) == 16, "offsetof(PIN_INFO, dwUnblockPermission) != 16 (x86)");
_Static_assert(offsetof(PIN_INFO, PinCachePolicy) == 20, "offsetof(PIN_INFO, PinCachePolicy) != 20 (x86)");
_Static_assert(offsetof(PIN_INFO, dwFlags) == 32, "offsetof(PIN_INFO, dwFlags) != 32 (x86)");

/* CARD_FILE_INFO */
_Static_assert(sizeof(CARD_FILE_INFO) == 12, "sizeof(CARD_FILE_INFO) != 12 (x86)");
_Static_assert(offsetof(CARD_FILE_INFO, dwVersion) == 0, "offsetof(CARD_FILE_INFO, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_FILE_INFO, cbFileSize) == 4, "offsetof(CARD_FILE_INFO, cbFileSize) != 4 (x86)");
_Static_assert(offsetof(CARD_FILE_INFO, AccessCondition) == 8, "offsetof(CARD_FILE_INFO, AccessCondition) != 8 (x86)");

/* CARD_FREE_SPACE_INFO */
_Static_assert(sizeof(CARD_FREE_SPACE_INFO) == 16, "sizeof(CARD_FREE_SPACE_INFO) != 16 (x86)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwVersion) == 0, "offsetof(CARD_FREE_SPACE_INFO, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwBytesAvailable) == 4, "offsetof(CARD_FREE_SPACE_INFO, dwBytesAvailable) != 4 (x86)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwKeyContainersAvailable) == 8, "offsetof(CARD_FREE_SPACE_INFO, dwKeyContainersAvailable) != 8 (x86)");
_Static_assert(offsetof(CARD_FREE_SPACE_INFO, dwMaxKeyContainers) == 12, "offsetof(CARD_FREE_SPACE_INFO, dwMaxKeyContainers) != 12 (x86)");

/* CARD_KEY_SIZES */
_Static_assert(sizeof(CARD_KEY_SIZES) == 20, "sizeof(CARD_KEY_SIZES) != 20 (x86)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwVersion) == 0, "offsetof(CARD_KEY_SIZES, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwMinimumBitlen) == 4, "offsetof(CARD_KEY_SIZES, dwMinimumBitlen) != 4 (x86)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwDefaultBitlen) == 8, "offsetof(CARD_KEY_SIZES, dwDefaultBitlen) != 8 (x86)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwMaximumBitlen) == 12, "offsetof(CARD_KEY_SIZES, dwMaximumBitlen) != 12 (x86)");
_Static_assert(offsetof(CARD_KEY_SIZES, dwIncrementalBitlen) == 16, "offsetof(CARD_KEY_SIZES, dwIncrementalBitlen) != 16 (x86)");

/* CARD_SIGNING_INFO */
_Static_assert(sizeof(CARD_SIGNING_INFO) == 44, "sizeof(CARD_SIGNING_INFO) != 44 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwVersion) == 0, "offsetof(CARD_SIGNING_INFO, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, bContainerIndex) == 4, "offsetof(CARD_SIGNING_INFO, bContainerIndex) != 4 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwKeySpec) == 8, "offsetof(CARD_SIGNING_INFO, dwKeySpec) != 8 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwSigningFlags) == 12, "offsetof(CARD_SIGNING_INFO, dwSigningFlags) != 12 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, aiHashAlg) == 16, "offsetof(CARD_SIGNING_INFO, aiHashAlg) != 16 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, pbData) == 20, "offsetof(CARD_SIGNING_INFO, pbData) != 20 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, cbData) == 24, "offsetof(CARD_SIGNING_INFO, cbData) != 24 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, pbSignedData) == 28, "offsetof(CARD_SIGNING_INFO, pbSignedData) != 28 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, cbSignedData) == 32, "offsetof(CARD_SIGNING_INFO, cbSignedData) != 32 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, pPaddingInfo) == 36, "offsetof(CARD_SIGNING_INFO, pPaddingInfo) != 36 (x86)");
_Static_assert(offsetof(CARD_SIGNING_INFO, dwPaddingType) == 40, "offsetof(CARD_SIGNING_INFO, dwPaddingType) != 40 (x86)");

/* CARD_RSA_DECRYPT_INFO */
_Static_assert(sizeof(CARD_RSA_DECRYPT_INFO) == 28, "sizeof(CARD_RSA_DECRYPT_INFO) != 28 (x86)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, dwVersion) == 0, "offsetof(CARD_RSA_DECRYPT_INFO, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, bContainerIndex) == 4, "offsetof(CARD_RSA_DECRYPT_INFO, bContainerIndex) != 4 (x86)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, dwKeySpec) == 8, "offsetof(CARD_RSA_DECRYPT_INFO, dwKeySpec) != 8 (x86)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, pbData) == 12, "offsetof(CARD_RSA_DECRYPT_INFO, pbData) != 12 (x86)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, cbData) == 16, "offsetof(CARD_RSA_DECRYPT_INFO, cbData) != 16 (x86)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, pPaddingInfo) == 20, "offsetof(CARD_RSA_DECRYPT_INFO, pPaddingInfo) != 20 (x86)");
_Static_assert(offsetof(CARD_RSA_DECRYPT_INFO, dwPaddingType) == 24, "offsetof(CARD_RSA_DECRYPT_INFO, dwPaddingType) != 24 (x86)");

/* CARD_DH_AGREEMENT_INFO */
_Static_assert(sizeof(CARD_DH_AGREEMENT_INFO) == 32, "sizeof(CARD_DH_AGREEMENT_INFO) != 32 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, dwVersion) == 0, "offsetof(CARD_DH_AGREEMENT_INFO, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, bContainerIndex) == 4, "offsetof(CARD_DH_AGREEMENT_INFO, bContainerIndex) != 4 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, dwFlags) == 8, "offsetof(CARD_DH_AGREEMENT_INFO, dwFlags) != 8 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, dwPublicKey) == 12, "offsetof(CARD_DH_AGREEMENT_INFO, dwPublicKey) != 12 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, pbPublicKey) == 16, "offsetof(CARD_DH_AGREEMENT_INFO, pbPublicKey) != 16 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, pbReserved) == 20, "offsetof(CARD_DH_AGREEMENT_INFO, pbReserved) != 20 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, cbReserved) == 24, "offsetof(CARD_DH_AGREEMENT_INFO, cbReserved) != 24 (x86)");
_Static_assert(offsetof(CARD_DH_AGREEMENT_INFO, bSecretAgreementIndex) == 28, "offsetof(CARD_DH_AGREEMENT_INFO, bSecretAgreementIndex) != 28 (x86)");

/* CARD_DERIVE_KEY */
_Static_assert(sizeof(CARD_DERIVE_KEY) == 40, "sizeof(CARD_DERIVE_KEY) != 40 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, dwVersion) == 0, "offsetof(CARD_DERIVE_KEY, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, dwFlags) == 4, "offsetof(CARD_DERIVE_KEY, dwFlags) != 4 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pwszKDF) == 8, "offsetof(CARD_DERIVE_KEY, pwszKDF) != 8 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, bSecretAgreementIndex) == 12, "offsetof(CARD_DERIVE_KEY, bSecretAgreementIndex) != 12 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pParameterList) == 16, "offsetof(CARD_DERIVE_KEY, pParameterList) != 16 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pbDerivedKey) == 20, "offsetof(CARD_DERIVE_KEY, pbDerivedKey) != 20 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, cbDerivedKey) == 24, "offsetof(CARD_DERIVE_KEY, cbDerivedKey) != 24 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, pwszAlgId) == 28, "offsetof(CARD_DERIVE_KEY, pwszAlgId) != 28 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, dwKeyLen) == 32, "offsetof(CARD_DERIVE_KEY, dwKeyLen) != 32 (x86)");
_Static_assert(offsetof(CARD_DERIVE_KEY, hKey) == 36, "offsetof(CARD_DERIVE_KEY, hKey) != 36 (x86)");

/* CARD_ENCRYPTED_DATA */
_Static_assert(sizeof(CARD_ENCRYPTED_DATA) == 8, "sizeof(CARD_ENCRYPTED_DATA) != 8 (x86)");
_Static_assert(offsetof(CARD_ENCRYPTED_DATA, pbEncryptedData) == 0, "offsetof(CARD_ENCRYPTED_DATA, pbEncryptedData) != 0 (x86)");
_Static_assert(offsetof(CARD_ENCRYPTED_DATA, cbEncryptedData) == 4, "offsetof(CARD_ENCRYPTED_DATA, cbEncryptedData) != 4 (x86)");

/* CARD_IMPORT_KEYPAIR */
_Static_assert(sizeof(CARD_IMPORT_KEYPAIR) == 24, "sizeof(CARD_IMPORT_KEYPAIR) != 24 (x86)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, dwVersion) == 0, "offsetof(CARD_IMPORT_KEYPAIR, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, bContainerIndex) == 4, "offsetof(CARD_IMPORT_KEYPAIR, bContainerIndex) != 4 (x86)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, PinId) == 8, "offsetof(CARD_IMPORT_KEYPAIR, PinId) != 8 (x86)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, dwKeySpec) == 12, "offsetof(CARD_IMPORT_KEYPAIR, dwKeySpec) != 12 (x86)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, dwKeySize) == 16, "offsetof(CARD_IMPORT_KEYPAIR, dwKeySize) != 16 (x86)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, cbInput) == 20, "offsetof(CARD_IMPORT_KEYPAIR, cbInput) != 20 (x86)");
_Static_assert(offsetof(CARD_IMPORT_KEYPAIR, pbInput) == 24, "offsetof(CARD_IMPORT_KEYPAIR, pbInput) != 24 (x86)");

/* CARD_CHANGE_AUTHENTICATOR */
_Static_assert(sizeof(CARD_CHANGE_AUTHENTICATOR) == 28, "sizeof(CARD_CHANGE_AUTHENTICATOR) != 28 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwVersion) == 0, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwFlags) == 4, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwFlags) != 4 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwAuthenticatingPinId) == 8, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwAuthenticatingPinId) != 8 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, cbAuthenticatingPinData) == 12, "offsetof(CARD_CHANGE_AUTHENTICATOR, cbAuthenticatingPinData) != 12 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, dwTargetPinId) == 16, "offsetof(CARD_CHANGE_AUTHENTICATOR, dwTargetPinId) != 16 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, cbTargetData) == 20, "offsetof(CARD_CHANGE_AUTHENTICATOR, cbTargetData) != 20 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, cRetryCount) == 24, "offsetof(CARD_CHANGE_AUTHENTICATOR, cRetryCount) != 24 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR, pbData) == 28, "offsetof(CARD_CHANGE_AUTHENTICATOR, pbData) != 28 (x86)");

/* CARD_CHANGE_AUTHENTICATOR_RESPONSE */
_Static_assert(sizeof(CARD_CHANGE_AUTHENTICATOR_RESPONSE) == 8, "sizeof(CARD_CHANGE_AUTHENTICATOR_RESPONSE) != 8 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, dwVersion) == 0, "offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, cAttemptsRemaining) == 4, "offsetof(CARD_CHANGE_AUTHENTICATOR_RESPONSE, cAttemptsRemaining) != 4 (x86)");

/* CARD_AUTHENTICATE */
_Static_assert(sizeof(CARD_AUTHENTICATE) == 16, "sizeof(CARD_AUTHENTICATE) != 16 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE, dwVersion) == 0, "offsetof(CARD_AUTHENTICATE, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE, dwFlags) == 4, "offsetof(CARD_AUTHENTICATE, dwFlags) != 4 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE, PinId) == 8, "offsetof(CARD_AUTHENTICATE, PinId) != 8 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE, cbPinData) == 12, "offsetof(CARD_AUTHENTICATE, cbPinData) != 12 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE, pbPinData) == 16, "offsetof(CARD_AUTHENTICATE, pbPinData) != 16 (x86)");

/* CARD_AUTHENTICATE_RESPONSE */
_Static_assert(sizeof(CARD_AUTHENTICATE_RESPONSE) == 12, "sizeof(CARD_AUTHENTICATE_RESPONSE) != 12 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, dwVersion) == 0, "offsetof(CARD_AUTHENTICATE_RESPONSE, dwVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, cbSessionPin) == 4, "offsetof(CARD_AUTHENTICATE_RESPONSE, cbSessionPin) != 4 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, cAttemptsRemaining) == 8, "offsetof(CARD_AUTHENTICATE_RESPONSE, cAttemptsRemaining) != 8 (x86)");
_Static_assert(offsetof(CARD_AUTHENTICATE_RESPONSE, pbSessionPin) == 12, "offsetof(CARD_AUTHENTICATE_RESPONSE, pbSessionPin) != 12 (x86)");

/* CARD_CACHE_FILE_FORMAT */
_Static_assert(sizeof(CARD_CACHE_FILE_FORMAT) == 6, "sizeof(CARD_CACHE_FILE_FORMAT) != 6 (x86)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, bVersion) == 0, "offsetof(CARD_CACHE_FILE_FORMAT, bVersion) != 0 (x86)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, bPinsFreshness) == 1, "offsetof(CARD_CACHE_FILE_FORMAT, bPinsFreshness) != 1 (x86)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, wContainersFreshness) == 2, "offsetof(CARD_CACHE_FILE_FORMAT, wContainersFreshness) != 2 (x86)");
_Static_assert(offsetof(CARD_CACHE_FILE_FORMAT, wFilesFreshness) == 4, "offsetof(CARD_CACHE_FILE_FORMAT, wFilesFreshness) != 4 (x86)");

/* CONTAINER_MAP_RECORD */
_Static_assert(sizeof(CONTAINER_MAP_RECORD) == 86, "sizeof(CONTAINER_MAP_RECORD) != 86 (x86)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, wszGuid) == 0, "offsetof(CONTAINER_MAP_RECORD, wszGuid) != 0 (x86)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, bFlags) == 80, "offsetof(CONTAINER_MAP_RECORD, bFlags) != 80 (x86)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, bReserved) == 81, "offsetof(CONTAINER_MAP_RECORD, bReserved) != 81 (x86)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, wSigKeySizeBits) == 82, "offsetof(CONTAINER_MAP_RECORD, wSigKeySizeBits) != 82 (x86)");
_Static_assert(offsetof(CONTAINER_MAP_RECORD, wKeyExchangeKeySizeBits) == 84, "offsetof(CONTAINER_MAP_RECORD, wKeyExchangeKeySizeBits) != 84 (x86)");

/* BCryptBuffer */
_Static_assert(sizeof(BCryptBuffer) == 12, "sizeof(BCryptBuffer) != 12 (x86)");
_Static_assert(offsetof(BCryptBuffer, cbBuffer) == 0, "offsetof(BCryptBuffer, cbBuffer) != 0 (x86)");
_Static_assert(offsetof(BCryptBuffer, BufferType) == 4, "offsetof(BCryptBuffer, BufferType) != 4 (x86)");
_Static_assert(offsetof(BCryptBuffer, pvBuffer) == 8, "offsetof(BCryptBuffer, pvBuffer) != 8 (x86)");

/* BCryptBufferDesc */
_Static_assert(sizeof(BCryptBufferDesc) == 12, "sizeof(BCryptBufferDesc) != 12 (x86)");
_Static_assert(offsetof(BCryptBufferDesc, ulVersion) == 0, "offsetof(BCryptBufferDesc, ulVersion) != 0 (x86)");
_Static_assert(offsetof(BCryptBufferDesc, cBuffers) == 4, "offsetof(BCryptBufferDesc, cBuffers) != 4 (x86)");
_Static_assert(offsetof(BCryptBufferDesc, pBuffers) == 8, "offsetof(BCryptBufferDesc, pBuffers) != 8 (x86)");

/* BCRYPT_PKCS1_PADDING_INFO */
_Static_assert(sizeof(BCRYPT_PKCS1_PADDING_INFO) == 4, "sizeof(BCRYPT_PKCS1_PADDING_INFO) != 4 (x86)");
_Static_assert(offsetof(BCRYPT_PKCS1_PADDING_INFO, pszAlgId) == 0, "offsetof(BCRYPT_PKCS1_PADDING_INFO, pszAlgId) != 0 (x86)");

/* BCRYPT_PSS_PADDING_INFO */
_Static_assert(sizeof(BCRYPT_PSS_PADDING_INFO) == 8, "sizeof(BCRYPT_PSS_PADDING_INFO) != 8 (x86)");
_Static_assert(offsetof(BCRYPT_PSS_PADDING_INFO, pszAlgId) == 0, "offsetof(BCRYPT_PSS_PADDING_INFO, pszAlgId) != 0 (x86)");
_Static_assert(offsetof(BCRYPT_PSS_PADDING_INFO, cbSalt) == 4, "offsetof(BCRYPT_PSS_PADDING_INFO, cbSalt) != 4 (x86)");

/* BCRYPT_OAEP_PADDING_INFO */
_Static_assert(sizeof(BCRYPT_OAEP_PADDING_INFO) == 12, "sizeof(BCRYPT_OAEP_PADDING_INFO) != 12 (x86)");
_Static_assert(offsetof(BCRYPT_OAEP_PADDING_INFO, pszAlgId) == 0, "offsetof(BCRYPT_OAEP_PADDING_INFO, pszAlgId) != 0 (x86)");
_Static_assert(offsetof(BCRYPT_OAEP_PADDING_INFO, pbLabel) == 4, "offsetof(BCRYPT_OAEP_PADDING_INFO, pbLabel) != 4 (x86)");
_Static_assert(offsetof(BCRYPT_OAEP_PADDING_INFO, cbLabel) == 8, "offsetof(BCRYPT_OAEP_PADDING_INFO, cbLabel) != 8 (x86)");

/* BCRYPT_KEY_DATA_BLOB_HEADER */
_Static_assert(sizeof(BCRYPT_KEY_DATA_BLOB_HEADER) == 12, "sizeof(BCRYPT_KEY_DATA_BLOB_HEADER) != 12 (x86)");
_Static_assert(offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwMagic) == 0, "offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwMagic) != 0 (x86)");
_Static_assert(offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwVersion) == 4, "offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, dwVersion) != 4 (x86)");
_Static_assert(offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, cbKeyData) == 8, "offsetof(BCRYPT_KEY_DATA_BLOB_HEADER, cbKeyData) != 8 (x86)");

/* BCRYPT_ECCKEY_BLOB */
_Static_assert(sizeof(BCRYPT_ECCKEY_BLOB) == 8, "sizeof(BCRYPT_ECCKEY_BLOB) != 8 (x86)");
_Static_assert(offsetof(BCRYPT_ECCKEY_BLOB, dwMagic) == 0, "offsetof(BCRYPT_ECCKEY_BLOB, dwMagic) != 0 (x86)");
_Static_assert(offsetof(BCRYPT_ECCKEY_BLOB, cbKey) == 4, "offsetof(BCRYPT_ECCKEY_BLOB, cbKey) != 4 (x86)");

/* BLOBHEADER */
_Static_assert(sizeof(BLOBHEADER) == 8, "sizeof(BLOBHEADER) != 8 (x86)");
_Static_assert(offsetof(BLOBHEADER, bType) == 0, "offsetof(BLOBHEADER, bType) != 0 (x86)");
_Static_assert(offsetof(BLOBHEADER, bVersion) == 1, "offsetof(BLOBHEADER, bVersion) != 1 (x86)");
_Static_assert(offsetof(BLOBHEADER, reserved) == 2, "offsetof(BLOBHEADER, reserved) != 2 (x86)");
_Static_assert(offsetof(BLOBHEADER, aiKeyAlg) == 4, "offsetof(BLOBHEADER, aiKeyAlg) != 4 (x86)");

/* RSAPUBKEY */
_Static_assert(sizeof(RSAPUBKEY) == 12, "sizeof(RSAPUBKEY) != 12 (x86)");
_Static_assert(offsetof(RSAPUBKEY, magic) == 0, "offsetof(RSAPUBKEY, magic) != 0 (x86)");
_Static_assert(offsetof(RSAPUBKEY, bitlen) == 4, "offsetof(RSAPUBKEY, bitlen) != 4 (x86)");
_Static_assert(offsetof(RSAPUBKEY, pubexp) == 8, "offsetof(RSAPUBKEY, pubexp) != 8 (x86)");

#else
#error "layout_check.c: unknown target (expected x86-64 or i386)"
#endif

/* ---------------- Constants (section 3); the same on every architecture ---------------- */

_Static_assert((DWORD)(CARD_DATA_VERSION_FOUR) == 0x4u, "CARD_DATA_VERSION_FOUR != 0x4");
_Static_assert((DWORD)(CARD_DATA_VERSION_FIVE) == 0x5u, "CARD_DATA_VERSION_FIVE != 0x5");
_Static_assert((DWORD)(CARD_DATA_VERSION_SIX) == 0x6u, "CARD_DATA_VERSION_SIX != 0x6");
_Static_assert((DWORD)(CARD_DATA_VERSION_SEVEN) == 0x7u, "CARD_DATA_VERSION_SEVEN != 0x7");
_Static_assert((DWORD)(CARD_DATA_CURRENT_VERSION) == 0x7u, "CARD_DATA_CURRENT_VERSION != 0x7");
_Static_assert((DWORD)(CARD_CAPABILITIES_CURRENT_VERSION) == 0x1u, "CARD_CAPABILITIES_CURRENT_VERSION != 0x1");
_Static_assert((DWORD)(CONTAINER_INFO_CURRENT_VERSION) == 0x1u, "CONTAINER_INFO_CURRENT_VERSION != 0x1");
_Static_assert((DWORD)(CARD_FILE_INFO_CURRENT_VERSION) == 0x1u, "CARD_FILE_INFO_CURRENT_VERSION != 0x1");
_Static_assert((DWORD)(CARD_FREE_SPACE_INFO_CURRENT_VERSION) == 0x1u, "CARD_FREE_SPACE_INFO_CURRENT_VERSION != 0x1");
_Static_assert((DWORD)(CARD_KEY_SIZES_CURRENT_VERSION) == 0x1u, "CARD_KEY_SIZES_CURRENT_VERSION != 0x1");
_Static_assert((DWORD)(CARD_CACHE_FILE_CURRENT_VERSION) == 0x1u, "CARD_CACHE_FILE_CURRENT_VERSION != 0x1");
_Static_assert((DWORD)(PIN_CACHE_POLICY_CURRENT_VERSION) == 0x6u, "PIN_CACHE_POLICY_CURRENT_VERSION != 0x6");
_Static_assert((DWORD)(PIN_INFO_CURRENT_VERSION) == 0x6u, "PIN_INFO_CURRENT_VERSION != 0x6");
_Static_assert((DWORD)(CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE) == 0x1u, "CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE != 0x1");
_Static_assert((DWORD)(CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO) == 0x2u, "CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO != 0x2");
_Static_assert((DWORD)(CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION) == 0x2u, "CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION != 0x2");
_Static_assert((DWORD)(CARD_SIGNING_INFO_BASIC_VERSION) == 0x1u, "CARD_SIGNING_INFO_BASIC_VERSION != 0x1");
_Static_assert((DWORD)(CARD_SIGNING_INFO_CURRENT_VERSION) == 0x2u, "CARD_SIGNING_INFO_CURRENT_VERSION != 0x2");
_Static_assert((DWORD)(CARD_DH_AGREEMENT_INFO_VERSION) == 0x2u, "CARD_DH_AGREEMENT_INFO_VERSION != 0x2");
_Static_assert((DWORD)(CARD_DERIVE_KEY_VERSION) == 0x1u, "CARD_DERIVE_KEY_VERSION != 0x1");
_Static_assert((DWORD)(CARD_DERIVE_KEY_VERSION_TWO) == 0x2u, "CARD_DERIVE_KEY_VERSION_TWO != 0x2");
_Static_assert((DWORD)(CARD_DERIVE_KEY_CURRENT_VERSION) == 0x2u, "CARD_DERIVE_KEY_CURRENT_VERSION != 0x2");
_Static_assert((DWORD)(CARD_IMPORT_KEYPAIR_VERSION_SEVEN) == 0x7u, "CARD_IMPORT_KEYPAIR_VERSION_SEVEN != 0x7");
_Static_assert((DWORD)(CARD_IMPORT_KEYPAIR_CURRENT_VERSION) == 0x7u, "CARD_IMPORT_KEYPAIR_CURRENT_VERSION != 0x7");
_Static_assert((DWORD)(CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN) == 0x7u, "CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN != 0x7");
_Static_assert((DWORD)(CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION) == 0x7u, "CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION != 0x7");
_Static_assert((DWORD)(CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN) == 0x7u, "CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN != 0x7");
_Static_assert((DWORD)(CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION) == 0x7u, "CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION != 0x7");
_Static_assert((DWORD)(CARD_AUTHENTICATE_VERSION_SEVEN) == 0x7u, "CARD_AUTHENTICATE_VERSION_SEVEN != 0x7");
_Static_assert((DWORD)(CARD_AUTHENTICATE_CURRENT_VERSION) == 0x7u, "CARD_AUTHENTICATE_CURRENT_VERSION != 0x7");
_Static_assert((DWORD)(CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN) == 0x7u, "CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN != 0x7");
_Static_assert((DWORD)(CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION) == 0x7u, "CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION != 0x7");
_Static_assert((DWORD)(SCARD_PROVIDER_CARD_MODULE) == 0x80000001u, "SCARD_PROVIDER_CARD_MODULE != 0x80000001");
_Static_assert((DWORD)(CARD_DATA_VALUE_UNKNOWN) == 0xFFFFFFFFu, "CARD_DATA_VALUE_UNKNOWN != 0xFFFFFFFF");
_Static_assert((DWORD)(CARD_SECURE_KEY_INJECTION_NO_CARD_MODE) == 0x1u, "CARD_SECURE_KEY_INJECTION_NO_CARD_MODE != 0x1");
_Static_assert((DWORD)(CARD_RETURN_KEY_HANDLE) == 0x1000000u, "CARD_RETURN_KEY_HANDLE != 0x1000000");
_Static_assert((DWORD)(CARD_BUFFER_SIZE_ONLY) == 0x20000000u, "CARD_BUFFER_SIZE_ONLY != 0x20000000");
_Static_assert((DWORD)(CARD_PADDING_INFO_PRESENT) == 0x40000000u, "CARD_PADDING_INFO_PRESENT != 0x40000000");
_Static_assert((DWORD)(CARD_PADDING_NONE) == 0x1u, "CARD_PADDING_NONE != 0x1");
_Static_assert((DWORD)(CARD_PADDING_PKCS1) == 0x2u, "CARD_PADDING_PKCS1 != 0x2");
_Static_assert((DWORD)(CARD_PADDING_PSS) == 0x4u, "CARD_PADDING_PSS != 0x4");
_Static_assert((DWORD)(CARD_PADDING_OAEP) == 0x8u, "CARD_PADDING_OAEP != 0x8");
_Static_assert((DWORD)(CARD_CREATE_CONTAINER_KEY_GEN) == 0x1u, "CARD_CREATE_CONTAINER_KEY_GEN != 0x1");
_Static_assert((DWORD)(CARD_CREATE_CONTAINER_KEY_IMPORT) == 0x2u, "CARD_CREATE_CONTAINER_KEY_IMPORT != 0x2");
_Static_assert((DWORD)(CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE) == 0x1u, "CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE != 0x1");
_Static_assert((DWORD)(CARD_AUTHENTICATE_PIN_PIN) == 0x2u, "CARD_AUTHENTICATE_PIN_PIN != 0x2");
_Static_assert((DWORD)(PIN_CHANGE_FLAG_UNBLOCK) == 0x1u, "PIN_CHANGE_FLAG_UNBLOCK != 0x1");
_Static_assert((DWORD)(PIN_CHANGE_FLAG_CHANGEPIN) == 0x2u, "PIN_CHANGE_FLAG_CHANGEPIN != 0x2");
_Static_assert((DWORD)(CARD_AUTHENTICATE_GENERATE_SESSION_PIN) == 0x10000000u, "CARD_AUTHENTICATE_GENERATE_SESSION_PIN != 0x10000000");
_Static_assert((DWORD)(CARD_AUTHENTICATE_SESSION_PIN) == 0x20000000u, "CARD_AUTHENTICATE_SESSION_PIN != 0x20000000");
_Static_assert((DWORD)(CARD_PIN_SILENT_CONTEXT) == 0x40u, "CARD_PIN_SILENT_CONTEXT != 0x40");
_Static_assert((DWORD)(CARD_PIN_STRENGTH_PLAINTEXT) == 0x1u, "CARD_PIN_STRENGTH_PLAINTEXT != 0x1");
_Static_assert((DWORD)(CARD_PIN_STRENGTH_SESSION_PIN) == 0x2u, "CARD_PIN_STRENGTH_SESSION_PIN != 0x2");
_Static_assert((DWORD)(CP_CACHE_MODE_GLOBAL_CACHE) == 0x1u, "CP_CACHE_MODE_GLOBAL_CACHE != 0x1");
_Static_assert((DWORD)(CP_CACHE_MODE_SESSION_ONLY) == 0x2u, "CP_CACHE_MODE_SESSION_ONLY != 0x2");
_Static_assert((DWORD)(CP_CACHE_MODE_NO_CACHE) == 0x3u, "CP_CACHE_MODE_NO_CACHE != 0x3");
_Static_assert((DWORD)(PIN_INFO_REQUIRE_SECURE_ENTRY) == 0x1u, "PIN_INFO_REQUIRE_SECURE_ENTRY != 0x1");
_Static_assert((DWORD)(CARD_KEY_IMPORT_PLAIN_TEXT) == 0x1u, "CARD_KEY_IMPORT_PLAIN_TEXT != 0x1");
_Static_assert((DWORD)(CARD_KEY_IMPORT_RSA_KEYEST) == 0x2u, "CARD_KEY_IMPORT_RSA_KEYEST != 0x2");
_Static_assert((DWORD)(CARD_KEY_IMPORT_ECC_KEYEST) == 0x4u, "CARD_KEY_IMPORT_ECC_KEYEST != 0x4");
_Static_assert((DWORD)(CARD_KEY_IMPORT_SHARED_SYMMETRIC) == 0x8u, "CARD_KEY_IMPORT_SHARED_SYMMETRIC != 0x8");
_Static_assert((DWORD)(CARD_CIPHER_OPERATION) == 0x1u, "CARD_CIPHER_OPERATION != 0x1");
_Static_assert((DWORD)(CARD_ASYMMETRIC_OPERATION) == 0x2u, "CARD_ASYMMETRIC_OPERATION != 0x2");
_Static_assert((DWORD)(CARD_BLOCK_PADDING) == 0x1u, "CARD_BLOCK_PADDING != 0x1");
_Static_assert((DWORD)(BCRYPT_BLOCK_PADDING) == 0x1u, "BCRYPT_BLOCK_PADDING != 0x1");
_Static_assert((DWORD)(MAX_CONTAINER_NAME_LEN) == 0x27u, "MAX_CONTAINER_NAME_LEN != 0x27");
_Static_assert((DWORD)(CONTAINER_MAP_VALID_CONTAINER) == 0x1u, "CONTAINER_MAP_VALID_CONTAINER != 0x1");
_Static_assert((DWORD)(CONTAINER_MAP_DEFAULT_CONTAINER) == 0x2u, "CONTAINER_MAP_DEFAULT_CONTAINER != 0x2");
_Static_assert((DWORD)(MAX_PINS) == 0x8u, "MAX_PINS != 0x8");
_Static_assert((DWORD)(KDF_USE_SECRET_AS_HMAC_KEY_FLAG) == 0x1u, "KDF_USE_SECRET_AS_HMAC_KEY_FLAG != 0x1");
_Static_assert((DWORD)(BCRYPTBUFFER_VERSION) == 0x0u, "BCRYPTBUFFER_VERSION != 0x0");
_Static_assert((DWORD)(NCRYPTBUFFER_VERSION) == 0x0u, "NCRYPTBUFFER_VERSION != 0x0");
_Static_assert((DWORD)(BCRYPT_KEY_DATA_BLOB_MAGIC) == 0x4D42444Bu, "BCRYPT_KEY_DATA_BLOB_MAGIC != 0x4D42444B");
_Static_assert((DWORD)(BCRYPT_KEY_DATA_BLOB_VERSION1) == 0x1u, "BCRYPT_KEY_DATA_BLOB_VERSION1 != 0x1");
_Static_assert((DWORD)(AT_KEYEXCHANGE) == 0x1u, "AT_KEYEXCHANGE != 0x1");
_Static_assert((DWORD)(AT_SIGNATURE) == 0x2u, "AT_SIGNATURE != 0x2");
_Static_assert((DWORD)(AT_ECDSA_P256) == 0x3u, "AT_ECDSA_P256 != 0x3");
_Static_assert((DWORD)(AT_ECDSA_P384) == 0x4u, "AT_ECDSA_P384 != 0x4");
_Static_assert((DWORD)(AT_ECDSA_P521) == 0x5u, "AT_ECDSA_P521 != 0x5");
_Static_assert((DWORD)(AT_ECDHE_P256) == 0x6u, "AT_ECDHE_P256 != 0x6");
_Static_assert((DWORD)(AT_ECDHE_P384) == 0x7u, "AT_ECDHE_P384 != 0x7");
_Static_assert((DWORD)(AT_ECDHE_P521) == 0x8u, "AT_ECDHE_P521 != 0x8");
_Static_assert((DWORD)(ROLE_EVERYONE) == 0x0u, "ROLE_EVERYONE != 0x0");
_Static_assert((DWORD)(ROLE_USER) == 0x1u, "ROLE_USER != 0x1");
_Static_assert((DWORD)(ROLE_ADMIN) == 0x2u, "ROLE_ADMIN != 0x2");
_Static_assert((DWORD)(PIN_SET_NONE) == 0x0u, "PIN_SET_NONE != 0x0");
_Static_assert((DWORD)(PIN_SET_ALL_ROLES) == 0xFFu, "PIN_SET_ALL_ROLES != 0xFF");
_Static_assert((DWORD)(CREATE_PIN_SET(ROLE_EVERYONE)) == 0x1u, "CREATE_PIN_SET(ROLE_EVERYONE) != 0x1");
_Static_assert((DWORD)(CREATE_PIN_SET(ROLE_USER)) == 0x2u, "CREATE_PIN_SET(ROLE_USER) != 0x2");
_Static_assert((DWORD)(CREATE_PIN_SET(ROLE_ADMIN)) == 0x4u, "CREATE_PIN_SET(ROLE_ADMIN) != 0x4");
_Static_assert((DWORD)(CREATE_PIN_SET(3)) == 0x8u, "CREATE_PIN_SET(3) != 0x8");
_Static_assert((DWORD)(AlphaNumericPinType) == 0x0u, "AlphaNumericPinType != 0x0");
_Static_assert((DWORD)(ExternalPinType) == 0x1u, "ExternalPinType != 0x1");
_Static_assert((DWORD)(ChallengeResponsePinType) == 0x2u, "ChallengeResponsePinType != 0x2");
_Static_assert((DWORD)(EmptyPinType) == 0x3u, "EmptyPinType != 0x3");
_Static_assert((DWORD)(AuthenticationPin) == 0x0u, "AuthenticationPin != 0x0");
_Static_assert((DWORD)(DigitalSignaturePin) == 0x1u, "DigitalSignaturePin != 0x1");
_Static_assert((DWORD)(EncryptionPin) == 0x2u, "EncryptionPin != 0x2");
_Static_assert((DWORD)(NonRepudiationPin) == 0x3u, "NonRepudiationPin != 0x3");
_Static_assert((DWORD)(AdministratorPin) == 0x4u, "AdministratorPin != 0x4");
_Static_assert((DWORD)(PrimaryCardPin) == 0x5u, "PrimaryCardPin != 0x5");
_Static_assert((DWORD)(UnblockOnlyPin) == 0x6u, "UnblockOnlyPin != 0x6");
_Static_assert((DWORD)(PinCacheNormal) == 0x0u, "PinCacheNormal != 0x0");
_Static_assert((DWORD)(PinCacheTimed) == 0x1u, "PinCacheTimed != 0x1");
_Static_assert((DWORD)(PinCacheNone) == 0x2u, "PinCacheNone != 0x2");
_Static_assert((DWORD)(PinCacheAlwaysPrompt) == 0x3u, "PinCacheAlwaysPrompt != 0x3");
_Static_assert((DWORD)(InvalidDirAc) == 0x0u, "InvalidDirAc != 0x0");
_Static_assert((DWORD)(UserCreateDeleteDirAc) == 0x1u, "UserCreateDeleteDirAc != 0x1");
_Static_assert((DWORD)(AdminCreateDeleteDirAc) == 0x2u, "AdminCreateDeleteDirAc != 0x2");
_Static_assert((DWORD)(InvalidAc) == 0x0u, "InvalidAc != 0x0");
_Static_assert((DWORD)(EveryoneReadUserWriteAc) == 0x1u, "EveryoneReadUserWriteAc != 0x1");
_Static_assert((DWORD)(UserWriteExecuteAc) == 0x2u, "UserWriteExecuteAc != 0x2");
_Static_assert((DWORD)(EveryoneReadAdminWriteAc) == 0x3u, "EveryoneReadAdminWriteAc != 0x3");
_Static_assert((DWORD)(UnknownAc) == 0x4u, "UnknownAc != 0x4");
_Static_assert((DWORD)(UserReadWriteAc) == 0x5u, "UserReadWriteAc != 0x5");
_Static_assert((DWORD)(AdminReadWriteAc) == 0x6u, "AdminReadWriteAc != 0x6");
_Static_assert((DWORD)(KDF_HASH_ALGORITHM) == 0x0u, "KDF_HASH_ALGORITHM != 0x0");
_Static_assert((DWORD)(KDF_SECRET_PREPEND) == 0x1u, "KDF_SECRET_PREPEND != 0x1");
_Static_assert((DWORD)(KDF_SECRET_APPEND) == 0x2u, "KDF_SECRET_APPEND != 0x2");
_Static_assert((DWORD)(KDF_HMAC_KEY) == 0x3u, "KDF_HMAC_KEY != 0x3");
_Static_assert((DWORD)(KDF_TLS_PRF_LABEL) == 0x4u, "KDF_TLS_PRF_LABEL != 0x4");
_Static_assert((DWORD)(KDF_TLS_PRF_SEED) == 0x5u, "KDF_TLS_PRF_SEED != 0x5");
_Static_assert((DWORD)(KDF_SECRET_HANDLE) == 0x6u, "KDF_SECRET_HANDLE != 0x6");
_Static_assert((DWORD)(KDF_TLS_PRF_PROTOCOL) == 0x7u, "KDF_TLS_PRF_PROTOCOL != 0x7");
_Static_assert((DWORD)(KDF_ALGORITHMID) == 0x8u, "KDF_ALGORITHMID != 0x8");
_Static_assert((DWORD)(KDF_PARTYUINFO) == 0x9u, "KDF_PARTYUINFO != 0x9");
_Static_assert((DWORD)(KDF_PARTYVINFO) == 0xAu, "KDF_PARTYVINFO != 0xA");
_Static_assert((DWORD)(KDF_SUPPPUBINFO) == 0xBu, "KDF_SUPPPUBINFO != 0xB");
_Static_assert((DWORD)(KDF_SUPPPRIVINFO) == 0xCu, "KDF_SUPPPRIVINFO != 0xC");
_Static_assert((DWORD)(KDF_LABEL) == 0xDu, "KDF_LABEL != 0xD");
_Static_assert((DWORD)(KDF_CONTEXT) == 0xEu, "KDF_CONTEXT != 0xE");
_Static_assert((DWORD)(KDF_SALT) == 0xFu, "KDF_SALT != 0xF");
_Static_assert((DWORD)(KDF_ITERATION_COUNT) == 0x10u, "KDF_ITERATION_COUNT != 0x10");
_Static_assert((DWORD)(KDF_GENERIC_PARAMETER) == 0x11u, "KDF_GENERIC_PARAMETER != 0x11");
_Static_assert((DWORD)(KDF_KEYBITLENGTH) == 0x12u, "KDF_KEYBITLENGTH != 0x12");
_Static_assert((DWORD)(KDF_HKDF_SALT) == 0x13u, "KDF_HKDF_SALT != 0x13");
_Static_assert((DWORD)(KDF_HKDF_INFO) == 0x14u, "KDF_HKDF_INFO != 0x14");
_Static_assert((DWORD)(TLS1_0_PROTOCOL_VERSION) == 0x301u, "TLS1_0_PROTOCOL_VERSION != 0x301");
_Static_assert((DWORD)(TLS1_1_PROTOCOL_VERSION) == 0x302u, "TLS1_1_PROTOCOL_VERSION != 0x302");
_Static_assert((DWORD)(TLS1_2_PROTOCOL_VERSION) == 0x303u, "TLS1_2_PROTOCOL_VERSION != 0x303");
_Static_assert((DWORD)(CALG_MD2) == 0x8001u, "CALG_MD2 != 0x8001");
_Static_assert((DWORD)(CALG_MD4) == 0x8002u, "CALG_MD4 != 0x8002");
_Static_assert((DWORD)(CALG_MD5) == 0x8003u, "CALG_MD5 != 0x8003");
_Static_assert((DWORD)(CALG_SHA) == 0x8004u, "CALG_SHA != 0x8004");
_Static_assert((DWORD)(CALG_SHA1) == 0x8004u, "CALG_SHA1 != 0x8004");
_Static_assert((DWORD)(CALG_MAC) == 0x8005u, "CALG_MAC != 0x8005");
_Static_assert((DWORD)(CALG_SSL3_SHAMD5) == 0x8008u, "CALG_SSL3_SHAMD5 != 0x8008");
_Static_assert((DWORD)(CALG_HMAC) == 0x8009u, "CALG_HMAC != 0x8009");
_Static_assert((DWORD)(CALG_TLS1PRF) == 0x800Au, "CALG_TLS1PRF != 0x800A");
_Static_assert((DWORD)(CALG_HASH_REPLACE_OWF) == 0x800Bu, "CALG_HASH_REPLACE_OWF != 0x800B");
_Static_assert((DWORD)(CALG_SHA_256) == 0x800Cu, "CALG_SHA_256 != 0x800C");
_Static_assert((DWORD)(CALG_SHA_384) == 0x800Du, "CALG_SHA_384 != 0x800D");
_Static_assert((DWORD)(CALG_SHA_512) == 0x800Eu, "CALG_SHA_512 != 0x800E");
_Static_assert((DWORD)(CALG_HUGHES_MD5) == 0xA003u, "CALG_HUGHES_MD5 != 0xA003");
_Static_assert((DWORD)(CALG_RSA_SIGN) == 0x2400u, "CALG_RSA_SIGN != 0x2400");
_Static_assert((DWORD)(CALG_RSA_KEYX) == 0xA400u, "CALG_RSA_KEYX != 0xA400");
_Static_assert((DWORD)(CRYPT_NOHASHOID) == 0x1u, "CRYPT_NOHASHOID != 0x1");
_Static_assert((DWORD)(PUBLICKEYBLOB) == 0x6u, "PUBLICKEYBLOB != 0x6");
_Static_assert((DWORD)(PRIVATEKEYBLOB) == 0x7u, "PRIVATEKEYBLOB != 0x7");
_Static_assert((DWORD)(CUR_BLOB_VERSION) == 0x2u, "CUR_BLOB_VERSION != 0x2");
_Static_assert((DWORD)(BCRYPT_RSAPUBLIC_MAGIC) == 0x31415352u, "BCRYPT_RSAPUBLIC_MAGIC != 0x31415352");
_Static_assert((DWORD)(BCRYPT_RSAPRIVATE_MAGIC) == 0x32415352u, "BCRYPT_RSAPRIVATE_MAGIC != 0x32415352");
_Static_assert((DWORD)(BCRYPT_ECDSA_PUBLIC_P256_MAGIC) == 0x31534345u, "BCRYPT_ECDSA_PUBLIC_P256_MAGIC != 0x31534345");
_Static_assert((DWORD)(BCRYPT_ECDSA_PUBLIC_P384_MAGIC) == 0x33534345u, "BCRYPT_ECDSA_PUBLIC_P384_MAGIC != 0x33534345");
_Static_assert((DWORD)(BCRYPT_ECDSA_PUBLIC_P521_MAGIC) == 0x35534345u, "BCRYPT_ECDSA_PUBLIC_P521_MAGIC != 0x35534345");
_Static_assert((DWORD)(BCRYPT_ECDSA_PRIVATE_P256_MAGIC) == 0x32534345u, "BCRYPT_ECDSA_PRIVATE_P256_MAGIC != 0x32534345");
_Static_assert((DWORD)(BCRYPT_ECDSA_PRIVATE_P384_MAGIC) == 0x34534345u, "BCRYPT_ECDSA_PRIVATE_P384_MAGIC != 0x34534345");
_Static_assert((DWORD)(BCRYPT_ECDSA_PRIVATE_P521_MAGIC) == 0x36534345u, "BCRYPT_ECDSA_PRIVATE_P521_MAGIC != 0x36534345");
_Static_assert((DWORD)(BCRYPT_ECDH_PUBLIC_P256_MAGIC) == 0x314B4345u, "BCRYPT_ECDH_PUBLIC_P256_MAGIC != 0x314B4345");
_Static_assert((DWORD)(BCRYPT_ECDH_PUBLIC_P384_MAGIC) == 0x334B4345u, "BCRYPT_ECDH_PUBLIC_P384_MAGIC != 0x334B4345");
_Static_assert((DWORD)(BCRYPT_ECDH_PUBLIC_P521_MAGIC) == 0x354B4345u, "BCRYPT_ECDH_PUBLIC_P521_MAGIC != 0x354B4345");
_Static_assert((DWORD)(BCRYPT_ECDH_PRIVATE_P256_MAGIC) == 0x324B4345u, "BCRYPT_ECDH_PRIVATE_P256_MAGIC != 0x324B4345");
_Static_assert((DWORD)(BCRYPT_ECDH_PRIVATE_P384_MAGIC) == 0x344B4345u, "BCRYPT_ECDH_PRIVATE_P384_MAGIC != 0x344B4345");
_Static_assert((DWORD)(BCRYPT_ECDH_PRIVATE_P521_MAGIC) == 0x364B4345u, "BCRYPT_ECDH_PRIVATE_P521_MAGIC != 0x364B4345");
_Static_assert((DWORD)(SCARD_S_SUCCESS) == 0x0u, "SCARD_S_SUCCESS != 0x0");
_Static_assert((DWORD)(NO_ERROR) == 0x0u, "NO_ERROR != 0x0");
_Static_assert((DWORD)(SCARD_F_INTERNAL_ERROR) == 0x80100001u, "SCARD_F_INTERNAL_ERROR != 0x80100001");
_Static_assert((DWORD)(SCARD_E_INVALID_HANDLE) == 0x80100003u, "SCARD_E_INVALID_HANDLE != 0x80100003");
_Static_assert((DWORD)(SCARD_E_INVALID_PARAMETER) == 0x80100004u, "SCARD_E_INVALID_PARAMETER != 0x80100004");
_Static_assert((DWORD)(SCARD_E_NO_MEMORY) == 0x80100006u, "SCARD_E_NO_MEMORY != 0x80100006");
_Static_assert((DWORD)(SCARD_E_INSUFFICIENT_BUFFER) == 0x80100008u, "SCARD_E_INSUFFICIENT_BUFFER != 0x80100008");
_Static_assert((DWORD)(SCARD_E_UNKNOWN_CARD) == 0x8010000Du, "SCARD_E_UNKNOWN_CARD != 0x8010000D");
_Static_assert((DWORD)(SCARD_E_UNEXPECTED) == 0x8010001Fu, "SCARD_E_UNEXPECTED != 0x8010001F");
_Static_assert((DWORD)(SCARD_E_UNSUPPORTED_FEATURE) == 0x80100022u, "SCARD_E_UNSUPPORTED_FEATURE != 0x80100022");
_Static_assert((DWORD)(SCARD_E_DIR_NOT_FOUND) == 0x80100023u, "SCARD_E_DIR_NOT_FOUND != 0x80100023");
_Static_assert((DWORD)(SCARD_E_FILE_NOT_FOUND) == 0x80100024u, "SCARD_E_FILE_NOT_FOUND != 0x80100024");
_Static_assert((DWORD)(SCARD_E_WRITE_TOO_MANY) == 0x80100028u, "SCARD_E_WRITE_TOO_MANY != 0x80100028");
_Static_assert((DWORD)(SCARD_E_COMM_DATA_LOST) == 0x8010002Fu, "SCARD_E_COMM_DATA_LOST != 0x8010002F");
_Static_assert((DWORD)(SCARD_E_NO_KEY_CONTAINER) == 0x80100030u, "SCARD_E_NO_KEY_CONTAINER != 0x80100030");
_Static_assert((DWORD)(SCARD_W_SECURITY_VIOLATION) == 0x8010006Au, "SCARD_W_SECURITY_VIOLATION != 0x8010006A");
_Static_assert((DWORD)(SCARD_W_WRONG_CHV) == 0x8010006Bu, "SCARD_W_WRONG_CHV != 0x8010006B");
_Static_assert((DWORD)(SCARD_W_CHV_BLOCKED) == 0x8010006Cu, "SCARD_W_CHV_BLOCKED != 0x8010006C");
_Static_assert((DWORD)(ERROR_NOT_ENOUGH_MEMORY) == 0x8u, "ERROR_NOT_ENOUGH_MEMORY != 0x8");
_Static_assert((DWORD)(ERROR_FILE_EXISTS) == 0x50u, "ERROR_FILE_EXISTS != 0x50");
_Static_assert((DWORD)(ERROR_INSUFFICIENT_BUFFER) == 0x7Au, "ERROR_INSUFFICIENT_BUFFER != 0x7A");
_Static_assert((DWORD)(ERROR_DIR_NOT_EMPTY) == 0x91u, "ERROR_DIR_NOT_EMPTY != 0x91");
_Static_assert((DWORD)(ERROR_REVISION_MISMATCH) == 0x51Au, "ERROR_REVISION_MISMATCH != 0x51A");
_Static_assert((DWORD)(SCARD_E_INVALID_VALUE) == 0x80100011u, "SCARD_E_INVALID_VALUE != 0x80100011");
_Static_assert((DWORD)(SCARD_F_UNKNOWN_ERROR) == 0x80100014u, "SCARD_F_UNKNOWN_ERROR != 0x80100014");
_Static_assert((DWORD)(SCARD_E_NO_SMARTCARD) == 0x8010000Cu, "SCARD_E_NO_SMARTCARD != 0x8010000C");
_Static_assert((DWORD)(SCARD_W_RESET_CARD) == 0x80100068u, "SCARD_W_RESET_CARD != 0x80100068");
_Static_assert((DWORD)(SCARD_W_REMOVED_CARD) == 0x80100069u, "SCARD_W_REMOVED_CARD != 0x80100069");
_Static_assert((DWORD)(SCARD_W_CARD_NOT_AUTHENTICATED) == 0x8010006Fu, "SCARD_W_CARD_NOT_AUTHENTICATED != 0x8010006F");
_Static_assert((DWORD)(SCARD_E_NO_ACCESS) == 0x80100027u, "SCARD_E_NO_ACCESS != 0x80100027");
_Static_assert((DWORD)(SCARD_E_INVALID_CHV) == 0x8010002Au, "SCARD_E_INVALID_CHV != 0x8010002A");
_Static_assert((DWORD)(SCARD_E_PIN_CACHE_EXPIRED) == 0x80100032u, "SCARD_E_PIN_CACHE_EXPIRED != 0x80100032");
_Static_assert((DWORD)(SCARD_E_NO_PIN_CACHE) == 0x80100033u, "SCARD_E_NO_PIN_CACHE != 0x80100033");
_Static_assert((DWORD)(SCARD_E_READ_ONLY_CARD) == 0x80100034u, "SCARD_E_READ_ONLY_CARD != 0x80100034");
_Static_assert((DWORD)(ERROR_OUTOFMEMORY) == 0xEu, "ERROR_OUTOFMEMORY != 0xE");
_Static_assert((DWORD)(NTE_BAD_KEY) == 0x80090003u, "NTE_BAD_KEY != 0x80090003");
_Static_assert((DWORD)(NTE_BAD_LEN) == 0x80090004u, "NTE_BAD_LEN != 0x80090004");
_Static_assert((DWORD)(NTE_BAD_DATA) == 0x80090005u, "NTE_BAD_DATA != 0x80090005");
_Static_assert((DWORD)(NTE_BAD_SIGNATURE) == 0x80090006u, "NTE_BAD_SIGNATURE != 0x80090006");
_Static_assert((DWORD)(NTE_BAD_FLAGS) == 0x80090009u, "NTE_BAD_FLAGS != 0x80090009");
_Static_assert((DWORD)(NTE_NO_MEMORY) == 0x8009000Eu, "NTE_NO_MEMORY != 0x8009000E");
_Static_assert((DWORD)(NTE_PERM) == 0x80090010u, "NTE_PERM != 0x80090010");
_Static_assert((DWORD)(NTE_BAD_KEYSET) == 0x80090016u, "NTE_BAD_KEYSET != 0x80090016");
_Static_assert((DWORD)(NTE_FAIL) == 0x80090020u, "NTE_FAIL != 0x80090020");
_Static_assert((DWORD)(NTE_SILENT_CONTEXT) == 0x80090022u, "NTE_SILENT_CONTEXT != 0x80090022");
_Static_assert((DWORD)(NTE_BUFFER_TOO_SMALL) == 0x80090028u, "NTE_BUFFER_TOO_SMALL != 0x80090028");
_Static_assert((DWORD)(NTE_NOT_SUPPORTED) == 0x80090029u, "NTE_NOT_SUPPORTED != 0x80090029");
_Static_assert((DWORD)(NTE_INVALID_HANDLE) == 0x80090026u, "NTE_INVALID_HANDLE != 0x80090026");
_Static_assert((DWORD)(NTE_INVALID_PARAMETER) == 0x80090027u, "NTE_INVALID_PARAMETER != 0x80090027");

/* ANSI names: sizeof includes the terminating NUL. */
_Static_assert(sizeof(szBASE_CSP_DIR) == 5, "szBASE_CSP_DIR: expected \"mscp\"");
_Static_assert(sizeof(szINTERMEDIATE_CERTS_DIR) == 8, "szINTERMEDIATE_CERTS_DIR: expected \"mscerts\"");
_Static_assert(sizeof(szCACHE_FILE) == 7, "szCACHE_FILE: expected \"cardcf\"");
_Static_assert(sizeof(szCARD_IDENTIFIER_FILE) == 7, "szCARD_IDENTIFIER_FILE: expected \"cardid\"");
_Static_assert(sizeof(szCARD_APPS_FILE) == 9, "szCARD_APPS_FILE: expected \"cardapps\"");
_Static_assert(sizeof(szCONTAINER_MAP_FILE) == 9, "szCONTAINER_MAP_FILE: expected \"cmapfile\"");
_Static_assert(sizeof(szROOT_STORE_FILE) == 8, "szROOT_STORE_FILE: expected \"msroots\"");
_Static_assert(sizeof(szUSER_SIGNATURE_CERT_PREFIX) == 4, "szUSER_SIGNATURE_CERT_PREFIX: expected \"ksc\"");
_Static_assert(sizeof(szUSER_KEYEXCHANGE_CERT_PREFIX) == 4, "szUSER_KEYEXCHANGE_CERT_PREFIX: expected \"kxc\"");
_Static_assert(sizeof(szUSER_SIGNATURE_PRIVATE_KEY_PREFIX) == 4, "szUSER_SIGNATURE_PRIVATE_KEY_PREFIX: expected \"kss\"");
_Static_assert(sizeof(szUSER_SIGNATURE_PUBLIC_KEY_PREFIX) == 4, "szUSER_SIGNATURE_PUBLIC_KEY_PREFIX: expected \"ksp\"");
_Static_assert(sizeof(szUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX) == 4, "szUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX: expected \"kxs\"");
_Static_assert(sizeof(szUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX) == 4, "szUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX: expected \"kxp\"");

/* Wide names: 16-bit code units (never a 32-bit wchar_t), NUL included, and their
 * element type is WCHAR, so they convert to LPCWSTR without a cast. */
_Static_assert(sizeof(wszBASE_CSP_DIR) == 10 && sizeof((wszBASE_CSP_DIR)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszBASE_CSP_DIR)[0]), "wszBASE_CSP_DIR: expected 16-bit \"mscp\"");
_Static_assert(sizeof(wszINTERMEDIATE_CERTS_DIR) == 16 && sizeof((wszINTERMEDIATE_CERTS_DIR)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszINTERMEDIATE_CERTS_DIR)[0]), "wszINTERMEDIATE_CERTS_DIR: expected 16-bit \"mscerts\"");
_Static_assert(sizeof(wszCACHE_FILE) == 14 && sizeof((wszCACHE_FILE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszCACHE_FILE)[0]), "wszCACHE_FILE: expected 16-bit \"cardcf\"");
_Static_assert(sizeof(wszCARD_IDENTIFIER_FILE) == 14 && sizeof((wszCARD_IDENTIFIER_FILE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszCARD_IDENTIFIER_FILE)[0]), "wszCARD_IDENTIFIER_FILE: expected 16-bit \"cardid\"");
_Static_assert(sizeof(wszCARD_APPS_FILE) == 18 && sizeof((wszCARD_APPS_FILE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszCARD_APPS_FILE)[0]), "wszCARD_APPS_FILE: expected 16-bit \"cardapps\"");
_Static_assert(sizeof(wszCONTAINER_MAP_FILE) == 18 && sizeof((wszCONTAINER_MAP_FILE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszCONTAINER_MAP_FILE)[0]), "wszCONTAINER_MAP_FILE: expected 16-bit \"cmapfile\"");
_Static_assert(sizeof(wszROOT_STORE_FILE) == 16 && sizeof((wszROOT_STORE_FILE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszROOT_STORE_FILE)[0]), "wszROOT_STORE_FILE: expected 16-bit \"msroots\"");
_Static_assert(sizeof(wszUSER_SIGNATURE_CERT_PREFIX) == 8 && sizeof((wszUSER_SIGNATURE_CERT_PREFIX)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszUSER_SIGNATURE_CERT_PREFIX)[0]), "wszUSER_SIGNATURE_CERT_PREFIX: expected 16-bit \"ksc\"");
_Static_assert(sizeof(wszUSER_KEYEXCHANGE_CERT_PREFIX) == 8 && sizeof((wszUSER_KEYEXCHANGE_CERT_PREFIX)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszUSER_KEYEXCHANGE_CERT_PREFIX)[0]), "wszUSER_KEYEXCHANGE_CERT_PREFIX: expected 16-bit \"kxc\"");
_Static_assert(sizeof(wszUSER_SIGNATURE_PRIVATE_KEY_PREFIX) == 8 && sizeof((wszUSER_SIGNATURE_PRIVATE_KEY_PREFIX)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszUSER_SIGNATURE_PRIVATE_KEY_PREFIX)[0]), "wszUSER_SIGNATURE_PRIVATE_KEY_PREFIX: expected 16-bit \"kss\"");
_Static_assert(sizeof(wszUSER_SIGNATURE_PUBLIC_KEY_PREFIX) == 8 && sizeof((wszUSER_SIGNATURE_PUBLIC_KEY_PREFIX)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszUSER_SIGNATURE_PUBLIC_KEY_PREFIX)[0]), "wszUSER_SIGNATURE_PUBLIC_KEY_PREFIX: expected 16-bit \"ksp\"");
_Static_assert(sizeof(wszUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX) == 8 && sizeof((wszUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX)[0]), "wszUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX: expected 16-bit \"kxs\"");
_Static_assert(sizeof(wszUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX) == 8 && sizeof((wszUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX)[0]), "wszUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX: expected 16-bit \"kxp\"");
_Static_assert(sizeof(wszCARD_USER_EVERYONE) == 20 && sizeof((wszCARD_USER_EVERYONE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszCARD_USER_EVERYONE)[0]), "wszCARD_USER_EVERYONE: expected 16-bit \"anonymous\"");
_Static_assert(sizeof(wszCARD_USER_USER) == 10 && sizeof((wszCARD_USER_USER)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszCARD_USER_USER)[0]), "wszCARD_USER_USER: expected 16-bit \"user\"");
_Static_assert(sizeof(wszCARD_USER_ADMIN) == 12 && sizeof((wszCARD_USER_ADMIN)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(wszCARD_USER_ADMIN)[0]), "wszCARD_USER_ADMIN: expected 16-bit \"admin\"");
_Static_assert(sizeof(CP_CARD_FREE_SPACE) == 22 && sizeof((CP_CARD_FREE_SPACE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_FREE_SPACE)[0]), "CP_CARD_FREE_SPACE: expected 16-bit \"Free Space\"");
_Static_assert(sizeof(CP_CARD_CAPABILITIES) == 26 && sizeof((CP_CARD_CAPABILITIES)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_CAPABILITIES)[0]), "CP_CARD_CAPABILITIES: expected 16-bit \"Capabilities\"");
_Static_assert(sizeof(CP_CARD_KEYSIZES) == 20 && sizeof((CP_CARD_KEYSIZES)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_KEYSIZES)[0]), "CP_CARD_KEYSIZES: expected 16-bit \"Key Sizes\"");
_Static_assert(sizeof(CP_CARD_READ_ONLY) == 30 && sizeof((CP_CARD_READ_ONLY)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_READ_ONLY)[0]), "CP_CARD_READ_ONLY: expected 16-bit \"Read Only Mode\"");
_Static_assert(sizeof(CP_CARD_CACHE_MODE) == 22 && sizeof((CP_CARD_CACHE_MODE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_CACHE_MODE)[0]), "CP_CARD_CACHE_MODE: expected 16-bit \"Cache Mode\"");
_Static_assert(sizeof(CP_SUPPORTS_WIN_X509_ENROLLMENT) == 68 && sizeof((CP_SUPPORTS_WIN_X509_ENROLLMENT)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_SUPPORTS_WIN_X509_ENROLLMENT)[0]), "CP_SUPPORTS_WIN_X509_ENROLLMENT: expected 16-bit \"Supports Windows x.509 Enrollment\"");
_Static_assert(sizeof(CP_CARD_GUID) == 32 && sizeof((CP_CARD_GUID)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_GUID)[0]), "CP_CARD_GUID: expected 16-bit \"Card Identifier\"");
_Static_assert(sizeof(CP_CARD_SERIAL_NO) == 38 && sizeof((CP_CARD_SERIAL_NO)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_SERIAL_NO)[0]), "CP_CARD_SERIAL_NO: expected 16-bit \"Card Serial Number\"");
_Static_assert(sizeof(CP_CARD_PIN_INFO) == 32 && sizeof((CP_CARD_PIN_INFO)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_PIN_INFO)[0]), "CP_CARD_PIN_INFO: expected 16-bit \"PIN Information\"");
_Static_assert(sizeof(CP_CARD_LIST_PINS) == 18 && sizeof((CP_CARD_LIST_PINS)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_LIST_PINS)[0]), "CP_CARD_LIST_PINS: expected 16-bit \"PIN List\"");
_Static_assert(sizeof(CP_CARD_AUTHENTICATED_STATE) == 40 && sizeof((CP_CARD_AUTHENTICATED_STATE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_AUTHENTICATED_STATE)[0]), "CP_CARD_AUTHENTICATED_STATE: expected 16-bit \"Authenticated State\"");
_Static_assert(sizeof(CP_CARD_PIN_STRENGTH_VERIFY) == 40 && sizeof((CP_CARD_PIN_STRENGTH_VERIFY)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_PIN_STRENGTH_VERIFY)[0]), "CP_CARD_PIN_STRENGTH_VERIFY: expected 16-bit \"PIN Strength Verify\"");
_Static_assert(sizeof(CP_CARD_PIN_STRENGTH_CHANGE) == 40 && sizeof((CP_CARD_PIN_STRENGTH_CHANGE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_PIN_STRENGTH_CHANGE)[0]), "CP_CARD_PIN_STRENGTH_CHANGE: expected 16-bit \"PIN Strength Change\"");
_Static_assert(sizeof(CP_CARD_PIN_STRENGTH_UNBLOCK) == 42 && sizeof((CP_CARD_PIN_STRENGTH_UNBLOCK)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CARD_PIN_STRENGTH_UNBLOCK)[0]), "CP_CARD_PIN_STRENGTH_UNBLOCK: expected 16-bit \"PIN Strength Unblock\"");
_Static_assert(sizeof(CP_PARENT_WINDOW) == 28 && sizeof((CP_PARENT_WINDOW)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_PARENT_WINDOW)[0]), "CP_PARENT_WINDOW: expected 16-bit \"Parent Window\"");
_Static_assert(sizeof(CP_PIN_CONTEXT_STRING) == 38 && sizeof((CP_PIN_CONTEXT_STRING)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_PIN_CONTEXT_STRING)[0]), "CP_PIN_CONTEXT_STRING: expected 16-bit \"PIN Context String\"");
_Static_assert(sizeof(CP_KEY_IMPORT_SUPPORT) == 38 && sizeof((CP_KEY_IMPORT_SUPPORT)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_KEY_IMPORT_SUPPORT)[0]), "CP_KEY_IMPORT_SUPPORT: expected 16-bit \"Key Import Support\"");
_Static_assert(sizeof(CP_ENUM_ALGORITHMS) == 22 && sizeof((CP_ENUM_ALGORITHMS)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_ENUM_ALGORITHMS)[0]), "CP_ENUM_ALGORITHMS: expected 16-bit \"Algorithms\"");
_Static_assert(sizeof(CP_PADDING_SCHEMES) == 32 && sizeof((CP_PADDING_SCHEMES)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_PADDING_SCHEMES)[0]), "CP_PADDING_SCHEMES: expected 16-bit \"Padding Schemes\"");
_Static_assert(sizeof(CP_CHAINING_MODES) == 30 && sizeof((CP_CHAINING_MODES)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CP_CHAINING_MODES)[0]), "CP_CHAINING_MODES: expected 16-bit \"Chaining Modes\"");
_Static_assert(sizeof(CCP_CONTAINER_INFO) == 30 && sizeof((CCP_CONTAINER_INFO)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CCP_CONTAINER_INFO)[0]), "CCP_CONTAINER_INFO: expected 16-bit \"Container Info\"");
_Static_assert(sizeof(CCP_PIN_IDENTIFIER) == 30 && sizeof((CCP_PIN_IDENTIFIER)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CCP_PIN_IDENTIFIER)[0]), "CCP_PIN_IDENTIFIER: expected 16-bit \"PIN Identifier\"");
_Static_assert(sizeof(CCP_ASSOCIATED_ECDH_KEY) == 40 && sizeof((CCP_ASSOCIATED_ECDH_KEY)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CCP_ASSOCIATED_ECDH_KEY)[0]), "CCP_ASSOCIATED_ECDH_KEY: expected 16-bit \"Associated ECDH Key\"");
_Static_assert(sizeof(CSF_IMPORT_KEYPAIR) == 32 && sizeof((CSF_IMPORT_KEYPAIR)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CSF_IMPORT_KEYPAIR)[0]), "CSF_IMPORT_KEYPAIR: expected 16-bit \"Import Key Pair\"");
_Static_assert(sizeof(CSF_CHANGE_AUTHENTICATOR) == 42 && sizeof((CSF_CHANGE_AUTHENTICATOR)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CSF_CHANGE_AUTHENTICATOR)[0]), "CSF_CHANGE_AUTHENTICATOR: expected 16-bit \"Change Authenticator\"");
_Static_assert(sizeof(CSF_AUTHENTICATE) == 26 && sizeof((CSF_AUTHENTICATE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CSF_AUTHENTICATE)[0]), "CSF_AUTHENTICATE: expected 16-bit \"Authenticate\"");
_Static_assert(sizeof(CKP_CHAINING_MODE) == 26 && sizeof((CKP_CHAINING_MODE)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CKP_CHAINING_MODE)[0]), "CKP_CHAINING_MODE: expected 16-bit \"ChainingMode\"");
_Static_assert(sizeof(CKP_INITIALIZATION_VECTOR) == 6 && sizeof((CKP_INITIALIZATION_VECTOR)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CKP_INITIALIZATION_VECTOR)[0]), "CKP_INITIALIZATION_VECTOR: expected 16-bit \"IV\"");
_Static_assert(sizeof(CKP_BLOCK_LENGTH) == 24 && sizeof((CKP_BLOCK_LENGTH)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CKP_BLOCK_LENGTH)[0]), "CKP_BLOCK_LENGTH: expected 16-bit \"BlockLength\"");
_Static_assert(sizeof(BCRYPT_KDF_HASH) == 10 && sizeof((BCRYPT_KDF_HASH)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_KDF_HASH)[0]), "BCRYPT_KDF_HASH: expected 16-bit \"HASH\"");
_Static_assert(sizeof(BCRYPT_KDF_HMAC) == 10 && sizeof((BCRYPT_KDF_HMAC)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_KDF_HMAC)[0]), "BCRYPT_KDF_HMAC: expected 16-bit \"HMAC\"");
_Static_assert(sizeof(BCRYPT_KDF_TLS_PRF) == 16 && sizeof((BCRYPT_KDF_TLS_PRF)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_KDF_TLS_PRF)[0]), "BCRYPT_KDF_TLS_PRF: expected 16-bit \"TLS_PRF\"");
_Static_assert(sizeof(BCRYPT_KDF_SP80056A_CONCAT) == 34 && sizeof((BCRYPT_KDF_SP80056A_CONCAT)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_KDF_SP80056A_CONCAT)[0]), "BCRYPT_KDF_SP80056A_CONCAT: expected 16-bit \"SP800_56A_CONCAT\"");
_Static_assert(sizeof(CARD_3DES_112_ALGORITHM) == 18 && sizeof((CARD_3DES_112_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CARD_3DES_112_ALGORITHM)[0]), "CARD_3DES_112_ALGORITHM: expected 16-bit \"3DES_112\"");
_Static_assert(sizeof(CARD_3DES_ALGORITHM) == 10 && sizeof((CARD_3DES_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CARD_3DES_ALGORITHM)[0]), "CARD_3DES_ALGORITHM: expected 16-bit \"3DES\"");
_Static_assert(sizeof(CARD_AES_ALGORITHM) == 8 && sizeof((CARD_AES_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CARD_AES_ALGORITHM)[0]), "CARD_AES_ALGORITHM: expected 16-bit \"AES\"");
_Static_assert(sizeof(CARD_CHAIN_MODE_CBC) == 32 && sizeof((CARD_CHAIN_MODE_CBC)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(CARD_CHAIN_MODE_CBC)[0]), "CARD_CHAIN_MODE_CBC: expected 16-bit \"ChainingModeCBC\"");
_Static_assert(sizeof(BCRYPT_KEY_DATA_BLOB) == 24 && sizeof((BCRYPT_KEY_DATA_BLOB)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_KEY_DATA_BLOB)[0]), "BCRYPT_KEY_DATA_BLOB: expected 16-bit \"KeyDataBlob\"");
_Static_assert(sizeof(BCRYPT_MD2_ALGORITHM) == 8 && sizeof((BCRYPT_MD2_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_MD2_ALGORITHM)[0]), "BCRYPT_MD2_ALGORITHM: expected 16-bit \"MD2\"");
_Static_assert(sizeof(BCRYPT_MD4_ALGORITHM) == 8 && sizeof((BCRYPT_MD4_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_MD4_ALGORITHM)[0]), "BCRYPT_MD4_ALGORITHM: expected 16-bit \"MD4\"");
_Static_assert(sizeof(BCRYPT_MD5_ALGORITHM) == 8 && sizeof((BCRYPT_MD5_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_MD5_ALGORITHM)[0]), "BCRYPT_MD5_ALGORITHM: expected 16-bit \"MD5\"");
_Static_assert(sizeof(BCRYPT_SHA1_ALGORITHM) == 10 && sizeof((BCRYPT_SHA1_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_SHA1_ALGORITHM)[0]), "BCRYPT_SHA1_ALGORITHM: expected 16-bit \"SHA1\"");
_Static_assert(sizeof(BCRYPT_SHA256_ALGORITHM) == 14 && sizeof((BCRYPT_SHA256_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_SHA256_ALGORITHM)[0]), "BCRYPT_SHA256_ALGORITHM: expected 16-bit \"SHA256\"");
_Static_assert(sizeof(BCRYPT_SHA384_ALGORITHM) == 14 && sizeof((BCRYPT_SHA384_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_SHA384_ALGORITHM)[0]), "BCRYPT_SHA384_ALGORITHM: expected 16-bit \"SHA384\"");
_Static_assert(sizeof(BCRYPT_SHA512_ALGORITHM) == 14 && sizeof((BCRYPT_SHA512_ALGORITHM)[0]) == 2 && LAYOUT_IS_WCHAR_PTR(&(BCRYPT_SHA512_ALGORITHM)[0]), "BCRYPT_SHA512_ALGORITHM: expected 16-bit \"SHA512\"");
