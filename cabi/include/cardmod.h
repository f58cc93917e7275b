/*
 * cardmod.h - Windows Smart Card Minidriver interface, CARD_DATA version 7.
 *
 * Written for github.com/cardmod/cardmod from the project's reference
 * document (shared/spec/minidriver-spec.md, sections 1-3). It is a
 * replacement for the SDK/CPDK cardmod.h; it is NOT mingw-w64's cardmod.h,
 * which is a v5-era header with wrong values and missing fields (that file
 * must not be used: see README.md next to this file).
 *
 * Layout: every structure here uses natural alignment (no #pragma pack), as
 * the SDK header does under MSVC's default /Zp8. The sizes and offsets for
 * x64 and x86 are checked by ../layout/layout_check.c.
 *
 * Platforms:
 *   Windows (mingw-w64, MSVC): <windows.h>, <wincrypt.h>, <bcrypt.h> and
 *     <winscard.h> are included and provide the Windows types, the
 *     CryptoAPI/CNG structures (BCryptBuffer, BLOBHEADER, ...) and most of
 *     the macros (CALG_*, NTE_*, SCARD_*, ...). Every macro this header can
 *     share with those headers is wrapped in #ifndef, so the include order
 *     does not matter.
 *   Everything else (Linux gcc/clang, for tests and tools): the Windows
 *     types are defined here with Windows sizes (DWORD = uint32_t,
 *     WCHAR = uint16_t, ULONG_PTR = uintptr_t, ...). Needs C11 (u"" string
 *     literals) or C++11. pcsc-lite headers must not be mixed in: pcsc-lite's
 *     DWORD/SCARDCONTEXT are `unsigned long`/`long`, which do not describe the
 *     Windows ABI.
 *
 * Wide strings: property names and the other UTF-16 constants are written
 * CARDMOD_WSTR("..."), which is L"..." on Windows (wchar_t is 16-bit there)
 * and u"..." elsewhere (char16_t, an unsigned 16-bit type that is the same
 * type as uint16_t = WCHAR in C). In C++ on non-Windows char16_t is a distinct
 * type, so there the macro adds a cast to `const WCHAR *` (and the result is
 * no longer a literal: no concatenation, sizeof gives the pointer size).
 */
#ifndef CARDMOD_CARDMOD_H_INCLUDED
#define CARDMOD_CARDMOD_H_INCLUDED

/* mingw-w64's own cardmod.h uses the guard _INC_CARDMOD. If it came first,
 * its wrong definitions are already in place: refuse to build. Defining the
 * guard here makes a later #include of that header a no-op. */
#if defined(_INC_CARDMOD)
#error "mingw-w64's cardmod.h (v5-era, wrong ABI) was included before the project's cardmod.h"
#endif
#define _INC_CARDMOD 1

/* ------------------------------------------------------------------------ */
/* Platform types                                                           */
/* ------------------------------------------------------------------------ */

#if defined(_WIN32)

#include <windows.h>
#include <wincrypt.h> /* ALG_ID, CALG_*, AT_*, BLOBHEADER, RSAPUBKEY */
#include <bcrypt.h>   /* BCryptBuffer(Desc), BCRYPT_*_PADDING_INFO, KDF_*, ... */
#include <winscard.h> /* SCARDCONTEXT, SCARDHANDLE, SCARD_* error codes */
#include <stddef.h>

#define CARDMOD_WSTR(s) L##s

#else /* !_WIN32 */

#if defined(__wintypes_h__)
#error "cardmod.h: pcsc-lite's wintypes.h is included; its DWORD/SCARDCONTEXT do not match the Windows ABI"
#endif

#include <stddef.h>
#include <stdint.h>

/* Define CARDMOD_WINTYPES_DEFINED before including this header to supply the
 * primitive Windows types yourself (they must have the Windows sizes). */
#ifndef CARDMOD_WINTYPES_DEFINED
#define CARDMOD_WINTYPES_DEFINED 1
typedef uint8_t BYTE, *PBYTE, *LPBYTE;
typedef uint8_t UCHAR, *PUCHAR;
typedef uint16_t WORD, *PWORD, *LPWORD;
typedef uint32_t DWORD, *PDWORD, *LPDWORD;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG, *PLONG;
typedef int32_t BOOL, *PBOOL, *LPBOOL;
typedef int32_t HRESULT;
typedef uint16_t WCHAR; /* UTF-16 code unit; never wchar_t (32-bit on Linux) */
typedef WCHAR *PWSTR, *LPWSTR;
typedef const WCHAR *PCWSTR, *LPCWSTR;
typedef char CHAR;
typedef CHAR *PSTR, *LPSTR;
typedef const CHAR *PCSTR, *LPCSTR;
typedef void VOID, *PVOID, *LPVOID;
typedef const void *LPCVOID;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef intptr_t LONG_PTR;
typedef ULONG_PTR SIZE_T, *PSIZE_T;
typedef void *HWND;
typedef uint32_t ALG_ID; /* wincrypt.h: unsigned int */
/* winscard.h: ULONG_PTR (pcsc-lite uses `long`, which is 4 bytes on 32-bit
 * and has a different signedness). */
typedef ULONG_PTR SCARDCONTEXT, *PSCARDCONTEXT, *LPSCARDCONTEXT;
typedef ULONG_PTR SCARDHANDLE, *PSCARDHANDLE, *LPSCARDHANDLE;
#endif /* CARDMOD_WINTYPES_DEFINED */

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* x86 Windows uses __stdcall; other targets have one calling convention. */
#ifndef WINAPI
#define WINAPI
#endif

#if defined(__cplusplus)
#define CARDMOD_WSTR(s) (reinterpret_cast<const WCHAR *>(u##s))
#else
#define CARDMOD_WSTR(s) u##s
#endif

#endif /* !_WIN32 */

/* Export decoration for CardAcquireContext, the DLL's single export. The DLL
 * build defines CARDMOD_BUILD_DLL; users get dllimport, or nothing if they
 * define CARDMOD_NO_DLLIMPORT (e.g. when they only use GetProcAddress). */
#ifndef CARDMOD_API
#if defined(_WIN32)
#if defined(CARDMOD_BUILD_DLL)
#define CARDMOD_API __declspec(dllexport)
#elif defined(CARDMOD_NO_DLLIMPORT)
#define CARDMOD_API
#else
#define CARDMOD_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define CARDMOD_API __attribute__((visibility("default")))
#else
#define CARDMOD_API
#endif
#endif /* CARDMOD_API */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* CryptoAPI / CNG structures (Windows: from wincrypt.h and bcrypt.h)        */
/* ------------------------------------------------------------------------ */

#if !defined(_WIN32) && !defined(CARDMOD_SDK_STRUCTS_DEFINED)
#define CARDMOD_SDK_STRUCTS_DEFINED 1

/* bcrypt.h; NCryptBuffer(Desc) are typedefs of these. */
typedef struct _BCryptBuffer {
    ULONG cbBuffer;   /* length of pvBuffer in bytes */
    ULONG BufferType; /* KDF_* */
    PVOID pvBuffer;
} BCryptBuffer, *PBCryptBuffer;

typedef struct _BCryptBufferDesc {
    ULONG ulVersion; /* BCRYPTBUFFER_VERSION */
    ULONG cBuffers;
    PBCryptBuffer pBuffers;
} BCryptBufferDesc, *PBCryptBufferDesc;

typedef BCryptBuffer NCryptBuffer, *PNCryptBuffer;
typedef BCryptBufferDesc NCryptBufferDesc, *PNCryptBufferDesc;

typedef struct _BCRYPT_PKCS1_PADDING_INFO {
    LPCWSTR pszAlgId; /* hash name, may be NULL (no DigestInfo) */
} BCRYPT_PKCS1_PADDING_INFO;

typedef struct _BCRYPT_PSS_PADDING_INFO {
    LPCWSTR pszAlgId;
    ULONG cbSalt;
} BCRYPT_PSS_PADDING_INFO;

typedef struct _BCRYPT_OAEP_PADDING_INFO {
    LPCWSTR pszAlgId;
    PUCHAR pbLabel;
    ULONG cbLabel;
} BCRYPT_OAEP_PADDING_INFO;

typedef struct _BCRYPT_KEY_DATA_BLOB_HEADER {
    ULONG dwMagic;   /* BCRYPT_KEY_DATA_BLOB_MAGIC */
    ULONG dwVersion; /* BCRYPT_KEY_DATA_BLOB_VERSION1 */
    ULONG cbKeyData;
} BCRYPT_KEY_DATA_BLOB_HEADER, *PBCRYPT_KEY_DATA_BLOB_HEADER;

typedef struct _BCRYPT_ECCKEY_BLOB {
    ULONG dwMagic; /* BCRYPT_ECD{SA,H}_{PUBLIC,PRIVATE}_P*_MAGIC */
    ULONG cbKey;   /* bytes per coordinate: 32 / 48 / 66 */
} BCRYPT_ECCKEY_BLOB, *PBCRYPT_ECCKEY_BLOB;

/* wincrypt.h */
typedef struct _PUBLICKEYSTRUC {
    BYTE bType;    /* PUBLICKEYBLOB, PRIVATEKEYBLOB */
    BYTE bVersion; /* CUR_BLOB_VERSION */
    WORD reserved;
    ALG_ID aiKeyAlg;
} BLOBHEADER, PUBLICKEYSTRUC;

typedef struct _RSAPUBKEY {
    DWORD magic; /* "RSA1" 0x31415352 public, "RSA2" 0x32415352 private */
    DWORD bitlen;
    DWORD pubexp;
} RSAPUBKEY;

#endif /* !_WIN32 && !CARDMOD_SDK_STRUCTS_DEFINED */

/* ------------------------------------------------------------------------ */
/* 3.1 Versions                                                             */
/* ------------------------------------------------------------------------ */

#define CARD_DATA_VERSION_FOUR 4
#define CARD_DATA_VERSION_FIVE 5
#define CARD_DATA_VERSION_SIX 6
#define CARD_DATA_VERSION_SEVEN 7
#define CARD_DATA_CURRENT_VERSION CARD_DATA_VERSION_SEVEN

#define CARD_CAPABILITIES_CURRENT_VERSION 1
#define CONTAINER_INFO_CURRENT_VERSION 1
#define PIN_CACHE_POLICY_CURRENT_VERSION 6
#define PIN_INFO_CURRENT_VERSION 6
#define CARD_FILE_INFO_CURRENT_VERSION 1
#define CARD_FREE_SPACE_INFO_CURRENT_VERSION 1
#define CARD_KEY_SIZES_CURRENT_VERSION 1
#define CARD_SIGNING_INFO_BASIC_VERSION 1
#define CARD_SIGNING_INFO_CURRENT_VERSION 2
#define CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE 1 /* no padding fields */
#define CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO 2
#define CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO
#define CARD_DH_AGREEMENT_INFO_VERSION 2 /* version 1 is no longer supported */
#define CARD_DERIVE_KEY_VERSION 1
#define CARD_DERIVE_KEY_VERSION_TWO 2
#define CARD_DERIVE_KEY_CURRENT_VERSION CARD_DERIVE_KEY_VERSION_TWO
#define CARD_IMPORT_KEYPAIR_VERSION_SEVEN 7
#define CARD_IMPORT_KEYPAIR_CURRENT_VERSION CARD_IMPORT_KEYPAIR_VERSION_SEVEN
#define CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN 7
#define CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN
#define CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN 7
#define CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN
#define CARD_AUTHENTICATE_VERSION_SEVEN 7
#define CARD_AUTHENTICATE_CURRENT_VERSION CARD_AUTHENTICATE_VERSION_SEVEN
#define CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN 7
#define CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN
#define CARD_CACHE_FILE_CURRENT_VERSION 1

/* ------------------------------------------------------------------------ */
/* 3.2 Miscellaneous flags and values                                       */
/* ------------------------------------------------------------------------ */

/* Registry value name "80000001" under the Calais\SmartCards\<card> key. */
#define SCARD_PROVIDER_CARD_MODULE 0x80000001

#define CARD_DATA_VALUE_UNKNOWN ((DWORD)-1) /* 0xFFFFFFFF */

/* CardAcquireContext dwFlags */
#define CARD_SECURE_KEY_INJECTION_NO_CARD_MODE 0x1

/* CARD_DERIVE_KEY.dwFlags, CARD_SIGNING_INFO.dwSigningFlags */
#define CARD_RETURN_KEY_HANDLE 0x01000000
#define CARD_BUFFER_SIZE_ONLY 0x20000000
#define CARD_PADDING_INFO_PRESENT 0x40000000

/* dwPaddingType, CardImportSessionKey dwFlags, CP_PADDING_SCHEMES
 * (mingw-w64's cardmod.h has NONE = 0 and PKCS1 = 1: wrong) */
#define CARD_PADDING_NONE 0x1
#define CARD_PADDING_PKCS1 0x2
#define CARD_PADDING_PSS 0x4
#define CARD_PADDING_OAEP 0x8

/* CardCreateContainer(Ex) dwFlags */
#define CARD_CREATE_CONTAINER_KEY_GEN 1
#define CARD_CREATE_CONTAINER_KEY_IMPORT 2

/* CardUnblockPin / CardChangeAuthenticator dwFlags */
#define CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE 1
#define CARD_AUTHENTICATE_PIN_PIN 2

/* CardChangeAuthenticatorEx dwFlags, CARD_CHANGE_AUTHENTICATOR.dwFlags */
#define PIN_CHANGE_FLAG_UNBLOCK 0x01
#define PIN_CHANGE_FLAG_CHANGEPIN 0x02

/* CardAuthenticateEx dwFlags */
#define CARD_AUTHENTICATE_GENERATE_SESSION_PIN 0x10000000
#define CARD_AUTHENTICATE_SESSION_PIN 0x20000000
#define CARD_PIN_SILENT_CONTEXT 0x00000040

/* CP_CARD_PIN_STRENGTH_* values */
#define CARD_PIN_STRENGTH_PLAINTEXT 0x1
#define CARD_PIN_STRENGTH_SESSION_PIN 0x2

/* CP_CARD_CACHE_MODE values */
#define CP_CACHE_MODE_GLOBAL_CACHE 1
#define CP_CACHE_MODE_SESSION_ONLY 2
#define CP_CACHE_MODE_NO_CACHE 3

/* CP_KEY_IMPORT_SUPPORT bitmask (v7) */
#define CARD_KEY_IMPORT_PLAIN_TEXT 0x1
#define CARD_KEY_IMPORT_RSA_KEYEST 0x2
#define CARD_KEY_IMPORT_ECC_KEYEST 0x4
#define CARD_KEY_IMPORT_SHARED_SYMMETRIC 0x8

/* dwFlags of CP_ENUM_ALGORITHMS / CP_PADDING_SCHEMES / CP_CHAINING_MODES */
#define CARD_CIPHER_OPERATION 0x1
#define CARD_ASYMMETRIC_OPERATION 0x2

#define MAX_CONTAINER_NAME_LEN 39

/* CONTAINER_MAP_RECORD.bFlags */
#define CONTAINER_MAP_VALID_CONTAINER 1
#define CONTAINER_MAP_DEFAULT_CONTAINER 2

/* PIN_INFO.dwFlags */
#define PIN_INFO_REQUIRE_SECURE_ENTRY 1

/* bcrypt.h / ncrypt.h values used by the minidriver interface */
#ifndef KDF_USE_SECRET_AS_HMAC_KEY_FLAG
#define KDF_USE_SECRET_AS_HMAC_KEY_FLAG 0x1
#endif
#ifndef BCRYPTBUFFER_VERSION
#define BCRYPTBUFFER_VERSION 0
#endif
#ifndef NCRYPTBUFFER_VERSION
#define NCRYPTBUFFER_VERSION 0
#endif
#ifndef BCRYPT_KEY_DATA_BLOB
#define BCRYPT_KEY_DATA_BLOB CARDMOD_WSTR("KeyDataBlob")
#endif
#ifndef BCRYPT_KEY_DATA_BLOB_MAGIC
#define BCRYPT_KEY_DATA_BLOB_MAGIC 0x4d42444b /* "KDBM" */
#endif
#ifndef BCRYPT_KEY_DATA_BLOB_VERSION1
#define BCRYPT_KEY_DATA_BLOB_VERSION1 0x1
#endif
#ifndef BCRYPT_BLOCK_PADDING
#define BCRYPT_BLOCK_PADDING 0x00000001
#endif
#ifndef BCRYPT_3DES_112_ALGORITHM
#define BCRYPT_3DES_112_ALGORITHM CARDMOD_WSTR("3DES_112")
#endif
#ifndef BCRYPT_3DES_ALGORITHM
#define BCRYPT_3DES_ALGORITHM CARDMOD_WSTR("3DES")
#endif
#ifndef BCRYPT_AES_ALGORITHM
#define BCRYPT_AES_ALGORITHM CARDMOD_WSTR("AES")
#endif
#ifndef BCRYPT_CHAIN_MODE_CBC
#define BCRYPT_CHAIN_MODE_CBC CARDMOD_WSTR("ChainingModeCBC")
#endif

/* Symmetric algorithms of CARD_DERIVE_KEY.pwszAlgId and key injection */
#define CARD_3DES_112_ALGORITHM BCRYPT_3DES_112_ALGORITHM
#define CARD_3DES_ALGORITHM BCRYPT_3DES_ALGORITHM
#define CARD_AES_ALGORITHM BCRYPT_AES_ALGORITHM
#define CARD_BLOCK_PADDING BCRYPT_BLOCK_PADDING
#define CARD_CHAIN_MODE_CBC BCRYPT_CHAIN_MODE_CBC

/* Hash names in BCRYPT_*_PADDING_INFO.pszAlgId (bcrypt.h) */
#ifndef BCRYPT_MD2_ALGORITHM
#define BCRYPT_MD2_ALGORITHM CARDMOD_WSTR("MD2")
#endif
#ifndef BCRYPT_MD4_ALGORITHM
#define BCRYPT_MD4_ALGORITHM CARDMOD_WSTR("MD4")
#endif
#ifndef BCRYPT_MD5_ALGORITHM
#define BCRYPT_MD5_ALGORITHM CARDMOD_WSTR("MD5")
#endif
#ifndef BCRYPT_SHA1_ALGORITHM
#define BCRYPT_SHA1_ALGORITHM CARDMOD_WSTR("SHA1")
#endif
#ifndef BCRYPT_SHA256_ALGORITHM
#define BCRYPT_SHA256_ALGORITHM CARDMOD_WSTR("SHA256")
#endif
#ifndef BCRYPT_SHA384_ALGORITHM
#define BCRYPT_SHA384_ALGORITHM CARDMOD_WSTR("SHA384")
#endif
#ifndef BCRYPT_SHA512_ALGORITHM
#define BCRYPT_SHA512_ALGORITHM CARDMOD_WSTR("SHA512")
#endif

/* ------------------------------------------------------------------------ */
/* 3.3 Key specs (dwKeySpec)                                                */
/* ------------------------------------------------------------------------ */

#ifndef AT_KEYEXCHANGE
#define AT_KEYEXCHANGE 1 /* wincrypt.h */
#endif
#ifndef AT_SIGNATURE
#define AT_SIGNATURE 2 /* wincrypt.h */
#endif
#define AT_ECDSA_P256 3
#define AT_ECDSA_P384 4
#define AT_ECDSA_P521 5
#define AT_ECDHE_P256 6
#define AT_ECDHE_P384 7
#define AT_ECDHE_P521 8

/* ------------------------------------------------------------------------ */
/* 3.4 PINs                                                                 */
/* ------------------------------------------------------------------------ */

typedef DWORD PIN_ID, *PPIN_ID;
typedef DWORD PIN_SET, *PPIN_SET;

#define MAX_PINS 8
#define ROLE_EVERYONE 0
#define ROLE_USER 1
#define ROLE_ADMIN 2 /* 3..7: additional PINs, for key containers only */
#define PIN_SET_NONE 0x00
#define PIN_SET_ALL_ROLES 0xFF

/* Same expansions as the SDK header (the arguments are not parenthesized
 * there either: pass simple expressions). */
#define CREATE_PIN_SET(PinId) (1 << PinId)
#define SET_PIN(PinSet, PinId) PinSet |= CREATE_PIN_SET(PinId)
#define IS_PIN_SET(PinSet, PinId) (0 != (PinSet & CREATE_PIN_SET(PinId)))
#define CLEAR_PIN(PinSet, PinId) PinSet &= ~CREATE_PIN_SET(PinId)

/* Legacy string user IDs (CardAuthenticatePin, CardUnblockPin,
 * CardChangeAuthenticator, CardDeauthenticate) */
#define wszCARD_USER_EVERYONE CARDMOD_WSTR("anonymous")
#define wszCARD_USER_USER CARDMOD_WSTR("user")
#define wszCARD_USER_ADMIN CARDMOD_WSTR("admin")

typedef enum {
    AlphaNumericPinType = 0,
    ExternalPinType = 1,
    ChallengeResponsePinType = 2,
    EmptyPinType = 3
} SECRET_TYPE;

typedef enum {
    AuthenticationPin = 0,
    DigitalSignaturePin = 1,
    EncryptionPin = 2,
    NonRepudiationPin = 3,
    AdministratorPin = 4,
    PrimaryCardPin = 5,
    UnblockOnlyPin = 6
} SECRET_PURPOSE;

typedef enum {
    PinCacheNormal = 0,
    PinCacheTimed = 1,
    PinCacheNone = 2,
    PinCacheAlwaysPrompt = 3
} PIN_CACHE_POLICY_TYPE;

/* ------------------------------------------------------------------------ */
/* 3.5 Access conditions                                                    */
/* ------------------------------------------------------------------------ */

typedef enum {
    InvalidDirAc = 0,
    UserCreateDeleteDirAc = 1,  /* user and admin create files / delete dir */
    AdminCreateDeleteDirAc = 2  /* only admin */
} CARD_DIRECTORY_ACCESS_CONDITION;

typedef enum {
    InvalidAc = 0,
    EveryoneReadUserWriteAc = 1,  /* E(R) U(RW) A(RW) */
    UserWriteExecuteAc = 2,       /* U(WX) A(W), nobody reads */
    EveryoneReadAdminWriteAc = 3, /* E(R) U(R) A(RW) */
    UnknownAc = 4,                /* card-specific */
    UserReadWriteAc = 5,          /* U(RW) A(RW) */
    AdminReadWriteAc = 6          /* A(RW) */
} CARD_FILE_ACCESS_CONDITION;

/* ------------------------------------------------------------------------ */
/* 3.6 Well-known file and directory names (ANSI, as passed to the file     */
/* functions). The wsz* forms are a project addition (the CSP cache tags    */
/* are LPWSTR); the SDK header defines only the sz* forms.                  */
/* ------------------------------------------------------------------------ */

#define szBASE_CSP_DIR "mscp"
#define szINTERMEDIATE_CERTS_DIR "mscerts"
#define szCACHE_FILE "cardcf"
#define szCARD_IDENTIFIER_FILE "cardid"
#define szCARD_APPS_FILE "cardapps" /* project addition: no SDK constant */
#define szCONTAINER_MAP_FILE "cmapfile"
#define szROOT_STORE_FILE "msroots"
#define szUSER_SIGNATURE_CERT_PREFIX "ksc"
#define szUSER_KEYEXCHANGE_CERT_PREFIX "kxc"
#define szUSER_SIGNATURE_PRIVATE_KEY_PREFIX "kss"
#define szUSER_SIGNATURE_PUBLIC_KEY_PREFIX "ksp"
#define szUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX "kxs"
#define szUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX "kxp"

#define wszBASE_CSP_DIR CARDMOD_WSTR("mscp")
#define wszINTERMEDIATE_CERTS_DIR CARDMOD_WSTR("mscerts")
#define wszCACHE_FILE CARDMOD_WSTR("cardcf")
#define wszCARD_IDENTIFIER_FILE CARDMOD_WSTR("cardid")
#define wszCARD_APPS_FILE CARDMOD_WSTR("cardapps")
#define wszCONTAINER_MAP_FILE CARDMOD_WSTR("cmapfile")
#define wszROOT_STORE_FILE CARDMOD_WSTR("msroots")
#define wszUSER_SIGNATURE_CERT_PREFIX CARDMOD_WSTR("ksc")
#define wszUSER_KEYEXCHANGE_CERT_PREFIX CARDMOD_WSTR("kxc")
#define wszUSER_SIGNATURE_PRIVATE_KEY_PREFIX CARDMOD_WSTR("kss")
#define wszUSER_SIGNATURE_PUBLIC_KEY_PREFIX CARDMOD_WSTR("ksp")
#define wszUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX CARDMOD_WSTR("kxs")
#define wszUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX CARDMOD_WSTR("kxp")

/* ------------------------------------------------------------------------ */
/* 3.7 Property names (LPCWSTR; compared exactly)                           */
/* ------------------------------------------------------------------------ */

/* Card properties: CardGetProperty / CardSetProperty */
#define CP_CARD_FREE_SPACE CARDMOD_WSTR("Free Space")
#define CP_CARD_CAPABILITIES CARDMOD_WSTR("Capabilities")
#define CP_CARD_KEYSIZES CARDMOD_WSTR("Key Sizes")
#define CP_CARD_READ_ONLY CARDMOD_WSTR("Read Only Mode")
#define CP_CARD_CACHE_MODE CARDMOD_WSTR("Cache Mode")
#define CP_SUPPORTS_WIN_X509_ENROLLMENT CARDMOD_WSTR("Supports Windows x.509 Enrollment")
#define CP_CARD_GUID CARDMOD_WSTR("Card Identifier")
#define CP_CARD_SERIAL_NO CARDMOD_WSTR("Card Serial Number")
#define CP_CARD_PIN_INFO CARDMOD_WSTR("PIN Information")
#define CP_CARD_LIST_PINS CARDMOD_WSTR("PIN List")
#define CP_CARD_AUTHENTICATED_STATE CARDMOD_WSTR("Authenticated State")
#define CP_CARD_PIN_STRENGTH_VERIFY CARDMOD_WSTR("PIN Strength Verify")
#define CP_CARD_PIN_STRENGTH_CHANGE CARDMOD_WSTR("PIN Strength Change")
#define CP_CARD_PIN_STRENGTH_UNBLOCK CARDMOD_WSTR("PIN Strength Unblock")
#define CP_PARENT_WINDOW CARDMOD_WSTR("Parent Window")
#define CP_PIN_CONTEXT_STRING CARDMOD_WSTR("PIN Context String")
#define CP_KEY_IMPORT_SUPPORT CARDMOD_WSTR("Key Import Support")
#define CP_ENUM_ALGORITHMS CARDMOD_WSTR("Algorithms")
#define CP_PADDING_SCHEMES CARDMOD_WSTR("Padding Schemes")
#define CP_CHAINING_MODES CARDMOD_WSTR("Chaining Modes")

/* Container properties: CardGetContainerProperty / CardSetContainerProperty */
#define CCP_CONTAINER_INFO CARDMOD_WSTR("Container Info")
#define CCP_PIN_IDENTIFIER CARDMOD_WSTR("PIN Identifier")
#define CCP_ASSOCIATED_ECDH_KEY CARDMOD_WSTR("Associated ECDH Key")

/* Secure functions (pwszSecureFunction of MDEncryptData and
 * CardProcessEncryptedData) */
#define CSF_IMPORT_KEYPAIR CARDMOD_WSTR("Import Key Pair")
#define CSF_CHANGE_AUTHENTICATOR CARDMOD_WSTR("Change Authenticator")
#define CSF_AUTHENTICATE CARDMOD_WSTR("Authenticate")

/* Key properties: CardGetKeyProperty / CardSetKeyProperty */
#define CKP_CHAINING_MODE CARDMOD_WSTR("ChainingMode")
#define CKP_INITIALIZATION_VECTOR CARDMOD_WSTR("IV")
#define CKP_BLOCK_LENGTH CARDMOD_WSTR("BlockLength")

/* ------------------------------------------------------------------------ */
/* 3.8 KDF names and KDF parameter (BCryptBuffer.BufferType) types          */
/* ------------------------------------------------------------------------ */

#ifndef BCRYPT_KDF_HASH
#define BCRYPT_KDF_HASH CARDMOD_WSTR("HASH")
#endif
#ifndef BCRYPT_KDF_HMAC
#define BCRYPT_KDF_HMAC CARDMOD_WSTR("HMAC")
#endif
#ifndef BCRYPT_KDF_TLS_PRF
#define BCRYPT_KDF_TLS_PRF CARDMOD_WSTR("TLS_PRF")
#endif
#ifndef BCRYPT_KDF_SP80056A_CONCAT
#define BCRYPT_KDF_SP80056A_CONCAT CARDMOD_WSTR("SP800_56A_CONCAT")
#endif

#ifndef KDF_HASH_ALGORITHM
#define KDF_HASH_ALGORITHM 0x0
#endif
#ifndef KDF_SECRET_PREPEND
#define KDF_SECRET_PREPEND 0x1
#endif
#ifndef KDF_SECRET_APPEND
#define KDF_SECRET_APPEND 0x2
#endif
#ifndef KDF_HMAC_KEY
#define KDF_HMAC_KEY 0x3
#endif
#ifndef KDF_TLS_PRF_LABEL
#define KDF_TLS_PRF_LABEL 0x4
#endif
#ifndef KDF_TLS_PRF_SEED
#define KDF_TLS_PRF_SEED 0x5
#endif
#ifndef KDF_SECRET_HANDLE
#define KDF_SECRET_HANDLE 0x6
#endif
#ifndef KDF_TLS_PRF_PROTOCOL
#define KDF_TLS_PRF_PROTOCOL 0x7
#endif
#ifndef KDF_ALGORITHMID
#define KDF_ALGORITHMID 0x8
#endif
#ifndef KDF_PARTYUINFO
#define KDF_PARTYUINFO 0x9
#endif
#ifndef KDF_PARTYVINFO
#define KDF_PARTYVINFO 0xA
#endif
#ifndef KDF_SUPPPUBINFO
#define KDF_SUPPPUBINFO 0xB
#endif
#ifndef KDF_SUPPPRIVINFO
#define KDF_SUPPPRIVINFO 0xC
#endif
#ifndef KDF_LABEL
#define KDF_LABEL 0xD
#endif
#ifndef KDF_CONTEXT
#define KDF_CONTEXT 0xE
#endif
#ifndef KDF_SALT
#define KDF_SALT 0xF
#endif
#ifndef KDF_ITERATION_COUNT
#define KDF_ITERATION_COUNT 0x10
#endif
#ifndef KDF_GENERIC_PARAMETER
#define KDF_GENERIC_PARAMETER 0x11
#endif
#ifndef KDF_KEYBITLENGTH
#define KDF_KEYBITLENGTH 0x12
#endif
#ifndef KDF_HKDF_SALT
#define KDF_HKDF_SALT 0x13
#endif
#ifndef KDF_HKDF_INFO
#define KDF_HKDF_INFO 0x14
#endif

/* KDF_TLS_PRF_PROTOCOL values (sslprovider.h; not in mingw-w64) */
#ifndef TLS1_0_PROTOCOL_VERSION
#define TLS1_0_PROTOCOL_VERSION 0x0301
#endif
#ifndef TLS1_1_PROTOCOL_VERSION
#define TLS1_1_PROTOCOL_VERSION 0x0302
#endif
#ifndef TLS1_2_PROTOCOL_VERSION
#define TLS1_2_PROTOCOL_VERSION 0x0303
#endif

/* ------------------------------------------------------------------------ */
/* 3.9 ALG_IDs, blob types and key blob magics (wincrypt.h / bcrypt.h)      */
/* ------------------------------------------------------------------------ */

#ifndef CALG_MD2
#define CALG_MD2 0x8001
#endif
#ifndef CALG_MD4
#define CALG_MD4 0x8002
#endif
#ifndef CALG_MD5
#define CALG_MD5 0x8003
#endif
#ifndef CALG_SHA
#define CALG_SHA 0x8004
#endif
#ifndef CALG_SHA1
#define CALG_SHA1 0x8004
#endif
#ifndef CALG_MAC
#define CALG_MAC 0x8005
#endif
#ifndef CALG_SSL3_SHAMD5
#define CALG_SSL3_SHAMD5 0x8008
#endif
#ifndef CALG_HMAC
#define CALG_HMAC 0x8009
#endif
#ifndef CALG_TLS1PRF
#define CALG_TLS1PRF 0x800A
#endif
#ifndef CALG_HASH_REPLACE_OWF
#define CALG_HASH_REPLACE_OWF 0x800B
#endif
#ifndef CALG_SHA_256
#define CALG_SHA_256 0x800C
#endif
#ifndef CALG_SHA_384
#define CALG_SHA_384 0x800D
#endif
#ifndef CALG_SHA_512
#define CALG_SHA_512 0x800E
#endif
#ifndef CALG_HUGHES_MD5
#define CALG_HUGHES_MD5 0xA003
#endif
#ifndef CALG_RSA_SIGN
#define CALG_RSA_SIGN 0x2400
#endif
#ifndef CALG_RSA_KEYX
#define CALG_RSA_KEYX 0xA400
#endif

#ifndef CRYPT_NOHASHOID
#define CRYPT_NOHASHOID 0x1
#endif
#ifndef PUBLICKEYBLOB
#define PUBLICKEYBLOB 0x6
#endif
#ifndef PRIVATEKEYBLOB
#define PRIVATEKEYBLOB 0x7
#endif
#ifndef CUR_BLOB_VERSION
#define CUR_BLOB_VERSION 2
#endif

#ifndef BCRYPT_RSAPUBLIC_MAGIC
#define BCRYPT_RSAPUBLIC_MAGIC 0x31415352 /* "RSA1" (also RSAPUBKEY.magic) */
#endif
#ifndef BCRYPT_RSAPRIVATE_MAGIC
#define BCRYPT_RSAPRIVATE_MAGIC 0x32415352 /* "RSA2" */
#endif
#ifndef BCRYPT_ECDSA_PUBLIC_P256_MAGIC
#define BCRYPT_ECDSA_PUBLIC_P256_MAGIC 0x31534345
#endif
#ifndef BCRYPT_ECDSA_PRIVATE_P256_MAGIC
#define BCRYPT_ECDSA_PRIVATE_P256_MAGIC 0x32534345
#endif
#ifndef BCRYPT_ECDSA_PUBLIC_P384_MAGIC
#define BCRYPT_ECDSA_PUBLIC_P384_MAGIC 0x33534345
#endif
#ifndef BCRYPT_ECDSA_PRIVATE_P384_MAGIC
#define BCRYPT_ECDSA_PRIVATE_P384_MAGIC 0x34534345
#endif
#ifndef BCRYPT_ECDSA_PUBLIC_P521_MAGIC
#define BCRYPT_ECDSA_PUBLIC_P521_MAGIC 0x35534345
#endif
#ifndef BCRYPT_ECDSA_PRIVATE_P521_MAGIC
#define BCRYPT_ECDSA_PRIVATE_P521_MAGIC 0x36534345
#endif
#ifndef BCRYPT_ECDH_PUBLIC_P256_MAGIC
#define BCRYPT_ECDH_PUBLIC_P256_MAGIC 0x314B4345
#endif
#ifndef BCRYPT_ECDH_PRIVATE_P256_MAGIC
#define BCRYPT_ECDH_PRIVATE_P256_MAGIC 0x324B4345
#endif
#ifndef BCRYPT_ECDH_PUBLIC_P384_MAGIC
#define BCRYPT_ECDH_PUBLIC_P384_MAGIC 0x334B4345
#endif
#ifndef BCRYPT_ECDH_PRIVATE_P384_MAGIC
#define BCRYPT_ECDH_PRIVATE_P384_MAGIC 0x344B4345
#endif
#ifndef BCRYPT_ECDH_PUBLIC_P521_MAGIC
#define BCRYPT_ECDH_PUBLIC_P521_MAGIC 0x354B4345
#endif
#ifndef BCRYPT_ECDH_PRIVATE_P521_MAGIC
#define BCRYPT_ECDH_PRIVATE_P521_MAGIC 0x364B4345
#endif

/* ------------------------------------------------------------------------ */
/* 3.10 Error codes (winerror.h). Windows defines these already; the        */
/* fallbacks have type DWORD, the minidriver functions' return type.        */
/* ------------------------------------------------------------------------ */

#ifndef NO_ERROR
#define NO_ERROR ((DWORD)0)
#endif
#ifndef SCARD_S_SUCCESS
#define SCARD_S_SUCCESS NO_ERROR
#endif
#ifndef SCARD_F_INTERNAL_ERROR
#define SCARD_F_INTERNAL_ERROR ((DWORD)0x80100001)
#endif
#ifndef SCARD_E_INVALID_HANDLE
#define SCARD_E_INVALID_HANDLE ((DWORD)0x80100003)
#endif
#ifndef SCARD_E_INVALID_PARAMETER
#define SCARD_E_INVALID_PARAMETER ((DWORD)0x80100004)
#endif
#ifndef SCARD_E_NO_MEMORY
#define SCARD_E_NO_MEMORY ((DWORD)0x80100006)
#endif
#ifndef SCARD_E_INSUFFICIENT_BUFFER
#define SCARD_E_INSUFFICIENT_BUFFER ((DWORD)0x80100008)
#endif
#ifndef SCARD_E_NO_SMARTCARD
#define SCARD_E_NO_SMARTCARD ((DWORD)0x8010000C)
#endif
#ifndef SCARD_E_UNKNOWN_CARD
#define SCARD_E_UNKNOWN_CARD ((DWORD)0x8010000D)
#endif
#ifndef SCARD_E_INVALID_VALUE
#define SCARD_E_INVALID_VALUE ((DWORD)0x80100011)
#endif
#ifndef SCARD_F_UNKNOWN_ERROR
#define SCARD_F_UNKNOWN_ERROR ((DWORD)0x80100014)
#endif
#ifndef SCARD_E_UNEXPECTED
#define SCARD_E_UNEXPECTED ((DWORD)0x8010001F)
#endif
#ifndef SCARD_E_UNSUPPORTED_FEATURE
#define SCARD_E_UNSUPPORTED_FEATURE ((DWORD)0x80100022)
#endif
#ifndef SCARD_E_DIR_NOT_FOUND
#define SCARD_E_DIR_NOT_FOUND ((DWORD)0x80100023)
#endif
#ifndef SCARD_E_FILE_NOT_FOUND
#define SCARD_E_FILE_NOT_FOUND ((DWORD)0x80100024)
#endif
#ifndef SCARD_E_NO_ACCESS
#define SCARD_E_NO_ACCESS ((DWORD)0x80100027)
#endif
#ifndef SCARD_E_WRITE_TOO_MANY
#define SCARD_E_WRITE_TOO_MANY ((DWORD)0x80100028)
#endif
#ifndef SCARD_E_INVALID_CHV
#define SCARD_E_INVALID_CHV ((DWORD)0x8010002A)
#endif
#ifndef SCARD_E_COMM_DATA_LOST
#define SCARD_E_COMM_DATA_LOST ((DWORD)0x8010002F)
#endif
#ifndef SCARD_E_NO_KEY_CONTAINER
#define SCARD_E_NO_KEY_CONTAINER ((DWORD)0x80100030)
#endif
#ifndef SCARD_E_PIN_CACHE_EXPIRED
#define SCARD_E_PIN_CACHE_EXPIRED ((DWORD)0x80100032)
#endif
#ifndef SCARD_E_NO_PIN_CACHE
#define SCARD_E_NO_PIN_CACHE ((DWORD)0x80100033)
#endif
#ifndef SCARD_E_READ_ONLY_CARD
#define SCARD_E_READ_ONLY_CARD ((DWORD)0x80100034)
#endif
#ifndef SCARD_W_RESET_CARD
#define SCARD_W_RESET_CARD ((DWORD)0x80100068)
#endif
#ifndef SCARD_W_REMOVED_CARD
#define SCARD_W_REMOVED_CARD ((DWORD)0x80100069)
#endif
#ifndef SCARD_W_SECURITY_VIOLATION
#define SCARD_W_SECURITY_VIOLATION ((DWORD)0x8010006A)
#endif
#ifndef SCARD_W_WRONG_CHV
#define SCARD_W_WRONG_CHV ((DWORD)0x8010006B)
#endif
#ifndef SCARD_W_CHV_BLOCKED
#define SCARD_W_CHV_BLOCKED ((DWORD)0x8010006C)
#endif
#ifndef SCARD_W_CARD_NOT_AUTHENTICATED
#define SCARD_W_CARD_NOT_AUTHENTICATED ((DWORD)0x8010006F)
#endif

#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY ((DWORD)8)
#endif
#ifndef ERROR_OUTOFMEMORY
#define ERROR_OUTOFMEMORY ((DWORD)14)
#endif
#ifndef ERROR_FILE_EXISTS
#define ERROR_FILE_EXISTS ((DWORD)80)
#endif
#ifndef ERROR_INSUFFICIENT_BUFFER
#define ERROR_INSUFFICIENT_BUFFER ((DWORD)122)
#endif
#ifndef ERROR_DIR_NOT_EMPTY
#define ERROR_DIR_NOT_EMPTY ((DWORD)145)
#endif
#ifndef ERROR_REVISION_MISMATCH
#define ERROR_REVISION_MISMATCH ((DWORD)1306)
#endif

/* NTE_* are what a CSP/KSP returns to its callers; a minidriver returns
 * SCARD_* codes. Listed for reference. */
#ifndef NTE_BAD_KEY
#define NTE_BAD_KEY ((DWORD)0x80090003)
#endif
#ifndef NTE_BAD_LEN
#define NTE_BAD_LEN ((DWORD)0x80090004)
#endif
#ifndef NTE_BAD_DATA
#define NTE_BAD_DATA ((DWORD)0x80090005)
#endif
#ifndef NTE_BAD_SIGNATURE
#define NTE_BAD_SIGNATURE ((DWORD)0x80090006)
#endif
#ifndef NTE_BAD_FLAGS
#define NTE_BAD_FLAGS ((DWORD)0x80090009)
#endif
#ifndef NTE_NO_MEMORY
#define NTE_NO_MEMORY ((DWORD)0x8009000E)
#endif
#ifndef NTE_PERM
#define NTE_PERM ((DWORD)0x80090010)
#endif
#ifndef NTE_BAD_KEYSET
#define NTE_BAD_KEYSET ((DWORD)0x80090016)
#endif
#ifndef NTE_FAIL
#define NTE_FAIL ((DWORD)0x80090020)
#endif
#ifndef NTE_SILENT_CONTEXT
#define NTE_SILENT_CONTEXT ((DWORD)0x80090022)
#endif
#ifndef NTE_INVALID_HANDLE
#define NTE_INVALID_HANDLE ((DWORD)0x80090026)
#endif
#ifndef NTE_INVALID_PARAMETER
#define NTE_INVALID_PARAMETER ((DWORD)0x80090027)
#endif
#ifndef NTE_BUFFER_TOO_SMALL
#define NTE_BUFFER_TOO_SMALL ((DWORD)0x80090028)
#endif
#ifndef NTE_NOT_SUPPORTED
#define NTE_NOT_SUPPORTED ((DWORD)0x80090029)
#endif

/* ------------------------------------------------------------------------ */
/* 2. Structures (field order is ABI; offsets x64/x86 in the comments)      */
/* ------------------------------------------------------------------------ */

/* 2.10 Opaque key handle chosen by the minidriver; 0 has a special meaning
 * in CardGetSharedKeyHandle ("key establishment not finished"). */
typedef ULONG_PTR CARD_KEY_HANDLE, *PCARD_KEY_HANDLE;

/* 2.1 */
typedef struct _CARD_CAPABILITIES {
    DWORD dwVersion;              /*  0/0  */
    BOOL fCertificateCompression; /*  4/4  */
    BOOL fKeyGen;                 /*  8/8  */
} CARD_CAPABILITIES, *PCARD_CAPABILITIES; /* 12/12 */

/* 2.2 pbSigPublicKey / pbKeyExPublicKey: RSA = BLOBHEADER + RSAPUBKEY +
 * little-endian modulus; ECC = BCRYPT_ECCKEY_BLOB + X + Y (big-endian).
 * Allocated by the minidriver with pfnCspAlloc, freed by the caller. */
typedef struct _CONTAINER_INFO {
    DWORD dwVersion;        /*  0/0  */
    DWORD dwReserved;       /*  4/4  */
    DWORD cbSigPublicKey;   /*  8/8  */
    PBYTE pbSigPublicKey;   /* 16/12 */
    DWORD cbKeyExPublicKey; /* 24/16 */
    PBYTE pbKeyExPublicKey; /* 32/20 */
} CONTAINER_INFO, *PCONTAINER_INFO; /* 40/24 */

/* 2.3 */
typedef struct _PIN_CACHE_POLICY {
    DWORD dwVersion;                          /* 0/0 */
    PIN_CACHE_POLICY_TYPE PinCachePolicyType; /* 4/4 */
    DWORD dwPinCachePolicyInfo;               /* 8/8 seconds (PinCacheTimed) */
} PIN_CACHE_POLICY, *PPIN_CACHE_POLICY; /* 12/12 */

typedef struct _PIN_INFO {
    DWORD dwVersion;                 /*  0/0  */
    SECRET_TYPE PinType;             /*  4/4  */
    SECRET_PURPOSE PinPurpose;       /*  8/8  */
    PIN_SET dwChangePermission;      /* 12/12 */
    PIN_SET dwUnblockPermission;     /* 16/16 */
    PIN_CACHE_POLICY PinCachePolicy; /* 20/20 */
    DWORD dwFlags;                   /* 32/32 PIN_INFO_REQUIRE_SECURE_ENTRY */
} PIN_INFO, *PPIN_INFO; /* 36/36 */

/* 2.4 */
typedef struct _CARD_FILE_INFO {
    DWORD dwVersion;                            /* 0/0 */
    DWORD cbFileSize;                           /* 4/4 */
    CARD_FILE_ACCESS_CONDITION AccessCondition; /* 8/8 */
} CARD_FILE_INFO, *PCARD_FILE_INFO; /* 12/12 */

typedef struct _CARD_FREE_SPACE_INFO {
    DWORD dwVersion;                /*  0/0  */
    DWORD dwBytesAvailable;         /*  4/4  CARD_DATA_VALUE_UNKNOWN if unknown */
    DWORD dwKeyContainersAvailable; /*  8/8  */
    DWORD dwMaxKeyContainers;       /* 12/12 */
} CARD_FREE_SPACE_INFO, *PCARD_FREE_SPACE_INFO; /* 16/16 */

typedef struct _CARD_KEY_SIZES {
    DWORD dwVersion;           /*  0/0  */
    DWORD dwMinimumBitlen;     /*  4/4  */
    DWORD dwDefaultBitlen;     /*  8/8  (missing from mingw-w64's header) */
    DWORD dwMaximumBitlen;     /* 12/12 */
    DWORD dwIncrementalBitlen; /* 16/16 */
} CARD_KEY_SIZES, *PCARD_KEY_SIZES; /* 20/20 */

/* 2.5 CardSignData; input of PFN_CSP_PAD_DATA */
typedef struct _CARD_SIGNING_INFO {
    DWORD dwVersion;       /*  0/0  */
    BYTE bContainerIndex;  /*  4/4  */
    DWORD dwKeySpec;       /*  8/8  AT_* */
    DWORD dwSigningFlags;  /* 12/12 CRYPT_NOHASHOID | CARD_BUFFER_SIZE_ONLY | CARD_PADDING_INFO_PRESENT */
    ALG_ID aiHashAlg;      /* 16/16 */
    PBYTE pbData;          /* 24/20 hash to sign */
    DWORD cbData;          /* 32/24 */
    PBYTE pbSignedData;    /* 40/28 out: pfnCspAlloc'd by the minidriver */
    DWORD cbSignedData;    /* 48/32 out */
    LPVOID pPaddingInfo;   /* 56/36 v2: BCRYPT_PKCS1/PSS_PADDING_INFO* */
    DWORD dwPaddingType;   /* 64/40 v2: CARD_PADDING_* */
} CARD_SIGNING_INFO, *PCARD_SIGNING_INFO; /* 72/44 */

/* 2.6 CardRSADecrypt; input of PFN_CSP_UNPAD_DATA. A version 1 structure
 * ends after cbData (32/20 bytes): do not touch the v2 fields then. */
typedef struct _CARD_RSA_DECRYPT_INFO {
    DWORD dwVersion;      /*  0/0  */
    BYTE bContainerIndex; /*  4/4  */
    DWORD dwKeySpec;      /*  8/8  */
    PBYTE pbData;         /* 16/12 in: ciphertext; out: plaintext in place */
    DWORD cbData;         /* 24/16 */
    LPVOID pPaddingInfo;  /* 32/20 v2: BCRYPT_OAEP_PADDING_INFO* */
    DWORD dwPaddingType;  /* 40/24 v2: CARD_PADDING_* */
} CARD_RSA_DECRYPT_INFO, *PCARD_RSA_DECRYPT_INFO; /* 48/28 */

/* 2.7 */
typedef struct _CARD_DH_AGREEMENT_INFO {
    DWORD dwVersion;            /*  0/0  */
    BYTE bContainerIndex;       /*  4/4  */
    DWORD dwFlags;              /*  8/8  */
    DWORD dwPublicKey;          /* 12/12 length of pbPublicKey */
    PBYTE pbPublicKey;          /* 16/16 */
    PBYTE pbReserved;           /* 24/20 */
    DWORD cbReserved;           /* 32/24 */
    BYTE bSecretAgreementIndex; /* 36/28 out */
} CARD_DH_AGREEMENT_INFO, *PCARD_DH_AGREEMENT_INFO; /* 40/32 */

/* 2.8 A version 1 structure ends after cbDerivedKey (48/28 bytes). */
typedef struct _CARD_DERIVE_KEY {
    DWORD dwVersion;            /*  0/0  */
    DWORD dwFlags;              /*  4/4  KDF_USE_SECRET_AS_HMAC_KEY_FLAG | CARD_RETURN_KEY_HANDLE | CARD_BUFFER_SIZE_ONLY */
    LPWSTR pwszKDF;             /*  8/8  BCRYPT_KDF_* */
    BYTE bSecretAgreementIndex; /* 16/12 */
    PVOID pParameterList;       /* 24/16 NCryptBufferDesc*, may be NULL */
    PBYTE pbDerivedKey;         /* 32/20 out */
    DWORD cbDerivedKey;         /* 40/24 */
    LPWSTR pwszAlgId;           /* 48/28 v2: CARD_3DES_112/3DES/AES_ALGORITHM */
    DWORD dwKeyLen;             /* 56/32 v2: bits */
    CARD_KEY_HANDLE hKey;       /* 64/36 v2: out when CARD_RETURN_KEY_HANDLE */
} CARD_DERIVE_KEY, *PCARD_DERIVE_KEY; /* 72/40 */

/* 2.9 Secure key injection (v7). The structures with a trailing array are
 * headers: sizeof excludes the appended data, and the buffer lengths passed
 * around include header and data. */
typedef struct _CARD_ENCRYPTED_DATA {
    PBYTE pbEncryptedData; /* 0/0 */
    DWORD cbEncryptedData; /* 8/4 */
} CARD_ENCRYPTED_DATA, *PCARD_ENCRYPTED_DATA; /* 16/8 */

typedef struct _CARD_IMPORT_KEYPAIR {
    DWORD dwVersion;      /*  0 */
    BYTE bContainerIndex; /*  4 */
    PIN_ID PinId;         /*  8 */
    DWORD dwKeySpec;      /* 12 */
    DWORD dwKeySize;      /* 16 bits */
    DWORD cbInput;        /* 20 */
    BYTE pbInput[];       /* 24 key blob */
} CARD_IMPORT_KEYPAIR, *PCARD_IMPORT_KEYPAIR; /* 24 */

typedef struct _CARD_CHANGE_AUTHENTICATOR {
    DWORD dwVersion;               /*  0 */
    DWORD dwFlags;                 /*  4 PIN_CHANGE_FLAG_* */
    PIN_ID dwAuthenticatingPinId;  /*  8 */
    DWORD cbAuthenticatingPinData; /* 12 */
    PIN_ID dwTargetPinId;          /* 16 */
    DWORD cbTargetData;            /* 20 */
    DWORD cRetryCount;             /* 24 */
    BYTE pbData[];                 /* 28 authenticating PIN, then target data */
} CARD_CHANGE_AUTHENTICATOR, *PCARD_CHANGE_AUTHENTICATOR; /* 28 */

typedef struct _CARD_CHANGE_AUTHENTICATOR_RESPONSE {
    DWORD dwVersion;          /* 0 */
    DWORD cAttemptsRemaining; /* 4 */
} CARD_CHANGE_AUTHENTICATOR_RESPONSE, *PCARD_CHANGE_AUTHENTICATOR_RESPONSE; /* 8 */

typedef struct _CARD_AUTHENTICATE {
    DWORD dwVersion;  /*  0 */
    DWORD dwFlags;    /*  4 as CardAuthenticateEx dwFlags */
    PIN_ID PinId;     /*  8 */
    DWORD cbPinData;  /* 12 */
    BYTE pbPinData[]; /* 16 */
} CARD_AUTHENTICATE, *PCARD_AUTHENTICATE; /* 16 */

typedef struct _CARD_AUTHENTICATE_RESPONSE {
    DWORD dwVersion;          /*  0 */
    DWORD cbSessionPin;       /*  4 0 if no session PIN */
    DWORD cAttemptsRemaining; /*  8 */
    BYTE pbSessionPin[];      /* 12 */
} CARD_AUTHENTICATE_RESPONSE, *PCARD_AUTHENTICATE_RESPONSE; /* 12 */

/* 2.11 On-card formats: "cardcf" (6 bytes) and "mscp/cmapfile" (N records) */
typedef struct _CARD_CACHE_FILE_FORMAT {
    BYTE bVersion;             /* 0 */
    BYTE bPinsFreshness;       /* 1 */
    WORD wContainersFreshness; /* 2 */
    WORD wFilesFreshness;      /* 4 */
} CARD_CACHE_FILE_FORMAT, *PCARD_CACHE_FILE_FORMAT; /* 6 */

typedef struct _CONTAINER_MAP_RECORD {
    WCHAR wszGuid[MAX_CONTAINER_NAME_LEN + 1]; /*  0 UTF-16LE, NUL-terminated */
    BYTE bFlags;                               /* 80 CONTAINER_MAP_*_CONTAINER */
    BYTE bReserved;                            /* 81 */
    WORD wSigKeySizeBits;                      /* 82 */
    WORD wKeyExchangeKeySizeBits;              /* 84 */
} CONTAINER_MAP_RECORD, *PCONTAINER_MAP_RECORD; /* 86 */

/* ------------------------------------------------------------------------ */
/* 1.3 Function-pointer types                                               */
/* ------------------------------------------------------------------------ */

typedef struct _CARD_DATA CARD_DATA, *PCARD_DATA;

/* 1.3.1 Callbacks supplied by the CSP/KSP */
typedef LPVOID(WINAPI *PFN_CSP_ALLOC)(SIZE_T Size);
typedef LPVOID(WINAPI *PFN_CSP_REALLOC)(LPVOID Address, SIZE_T Size);
typedef void(WINAPI *PFN_CSP_FREE)(LPVOID Address);

typedef DWORD(WINAPI *PFN_CSP_CACHE_ADD_FILE)(
    PVOID pvCacheContext, LPWSTR wszTag, DWORD dwFlags,
    PBYTE pbData, /* copied by the CSP */
    DWORD cbData);

typedef DWORD(WINAPI *PFN_CSP_CACHE_LOOKUP_FILE)(
    PVOID pvCacheContext, LPWSTR wszTag, DWORD dwFlags,
    PBYTE *ppbData, /* out: free with pfnCspFree */
    PDWORD pcbData);

typedef DWORD(WINAPI *PFN_CSP_CACHE_DELETE_FILE)(
    PVOID pvCacheContext, LPWSTR wszTag, DWORD dwFlags);

typedef DWORD(WINAPI *PFN_CSP_PAD_DATA)(
    PCARD_SIGNING_INFO pSigningInfo,
    DWORD cbMaxWidth,
    DWORD *pcbPaddedBuffer,
    PBYTE *ppbPaddedBuffer); /* out: free with pfnCspFree */

typedef DWORD(WINAPI *PFN_CSP_UNPAD_DATA)( /* v7 */
    PCARD_RSA_DECRYPT_INFO pRSADecryptInfo,
    DWORD *pcbUnpaddedData,
    PBYTE *ppbUnpaddedData); /* out: free with pfnCspFree */

typedef DWORD(WINAPI *PFN_CSP_GET_DH_AGREEMENT)( /* v5, set by the KSP */
    PCARD_DATA pCardData,
    PVOID hSecretAgreement,
    BYTE *pbSecretAgreementIndex, /* out */
    DWORD dwFlags);

/* 1.3.2 Functions implemented by the minidriver */
typedef DWORD(WINAPI *PFN_CARD_ACQUIRE_CONTEXT)(PCARD_DATA pCardData, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_DELETE_CONTEXT)(PCARD_DATA pCardData);
typedef DWORD(WINAPI *PFN_CARD_QUERY_CAPABILITIES)(
    PCARD_DATA pCardData, PCARD_CAPABILITIES pCardCapabilities);

/* containers */
typedef DWORD(WINAPI *PFN_CARD_DELETE_CONTAINER)(
    PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwReserved);
typedef DWORD(WINAPI *PFN_CARD_CREATE_CONTAINER)(
    PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwFlags,
    DWORD dwKeySpec, DWORD dwKeySize, PBYTE pbKeyData);
typedef DWORD(WINAPI *PFN_CARD_CREATE_CONTAINER_EX)( /* v7 */
    PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwFlags,
    DWORD dwKeySpec, DWORD dwKeySize, PBYTE pbKeyData, PIN_ID PinId);
typedef DWORD(WINAPI *PFN_CARD_GET_CONTAINER_INFO)(
    PCARD_DATA pCardData, BYTE bContainerIndex, DWORD dwFlags,
    PCONTAINER_INFO pContainerInfo);

/* PIN / authentication, legacy string user IDs */
typedef DWORD(WINAPI *PFN_CARD_AUTHENTICATE_PIN)(
    PCARD_DATA pCardData, LPWSTR pwszUserId, PBYTE pbPin, DWORD cbPin,
    PDWORD pcAttemptsRemaining);
typedef DWORD(WINAPI *PFN_CARD_GET_CHALLENGE)(
    PCARD_DATA pCardData, PBYTE *ppbChallengeData, PDWORD pcbChallengeData);
typedef DWORD(WINAPI *PFN_CARD_AUTHENTICATE_CHALLENGE)(
    PCARD_DATA pCardData, PBYTE pbResponseData, DWORD cbResponseData,
    PDWORD pcAttemptsRemaining);
typedef DWORD(WINAPI *PFN_CARD_UNBLOCK_PIN)(
    PCARD_DATA pCardData, LPWSTR pwszUserId,
    PBYTE pbAuthenticationData, DWORD cbAuthenticationData,
    PBYTE pbNewPinData, DWORD cbNewPinData,
    DWORD cRetryCount, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_CHANGE_AUTHENTICATOR)(
    PCARD_DATA pCardData, LPWSTR pwszUserId,
    PBYTE pbCurrentAuthenticator, DWORD cbCurrentAuthenticator,
    PBYTE pbNewAuthenticator, DWORD cbNewAuthenticator,
    DWORD cRetryCount, DWORD dwFlags, PDWORD pcAttemptsRemaining);
typedef DWORD(WINAPI *PFN_CARD_DEAUTHENTICATE)(
    PCARD_DATA pCardData, LPWSTR pwszUserId, DWORD dwFlags);

/* PIN / authentication, v6 PIN_ID forms */
typedef DWORD(WINAPI *PFN_CARD_GET_CHALLENGE_EX)(
    PCARD_DATA pCardData, PIN_ID PinId, PBYTE *ppbChallengeData,
    PDWORD pcbChallengeData, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_AUTHENTICATE_EX)(
    PCARD_DATA pCardData, PIN_ID PinId, DWORD dwFlags,
    PBYTE pbPinData, DWORD cbPinData,
    PBYTE *ppbSessionPin, PDWORD pcbSessionPin,
    PDWORD pcAttemptsRemaining);
typedef DWORD(WINAPI *PFN_CARD_CHANGE_AUTHENTICATOR_EX)(
    PCARD_DATA pCardData, DWORD dwFlags,
    PIN_ID dwAuthenticatingPinId,
    PBYTE pbAuthenticatingPinData, DWORD cbAuthenticatingPinData,
    PIN_ID dwTargetPinId, PBYTE pbTargetData, DWORD cbTargetData,
    DWORD cRetryCount, PDWORD pcAttemptsRemaining);
typedef DWORD(WINAPI *PFN_CARD_DEAUTHENTICATE_EX)(
    PCARD_DATA pCardData, PIN_SET PinId, DWORD dwFlags);

/* directories and files (ANSI names) */
typedef DWORD(WINAPI *PFN_CARD_CREATE_DIRECTORY)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName,
    CARD_DIRECTORY_ACCESS_CONDITION AccessCondition);
typedef DWORD(WINAPI *PFN_CARD_DELETE_DIRECTORY)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName);
typedef DWORD(WINAPI *PFN_CARD_CREATE_FILE)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
    DWORD cbInitialCreationSize, CARD_FILE_ACCESS_CONDITION AccessCondition);
typedef DWORD(WINAPI *PFN_CARD_READ_FILE)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
    DWORD dwFlags, PBYTE *ppbData, PDWORD pcbData);
typedef DWORD(WINAPI *PFN_CARD_WRITE_FILE)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
    DWORD dwFlags, PBYTE pbData, DWORD cbData);
typedef DWORD(WINAPI *PFN_CARD_DELETE_FILE)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
    DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_ENUM_FILES)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR *pmszFileNames,
    LPDWORD pdwcbFileName, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_GET_FILE_INFO)(
    PCARD_DATA pCardData, LPSTR pszDirectoryName, LPSTR pszFileName,
    PCARD_FILE_INFO pCardFileInfo);
typedef DWORD(WINAPI *PFN_CARD_QUERY_FREE_SPACE)(
    PCARD_DATA pCardData, DWORD dwFlags,
    PCARD_FREE_SPACE_INFO pCardFreeSpaceInfo);
typedef DWORD(WINAPI *PFN_CARD_QUERY_KEY_SIZES)(
    PCARD_DATA pCardData, DWORD dwKeySpec, DWORD dwFlags,
    PCARD_KEY_SIZES pKeySizes);

/* crypto */
typedef DWORD(WINAPI *PFN_CARD_SIGN_DATA)(
    PCARD_DATA pCardData, PCARD_SIGNING_INFO pInfo);
typedef DWORD(WINAPI *PFN_CARD_RSA_DECRYPT)(
    PCARD_DATA pCardData, PCARD_RSA_DECRYPT_INFO pInfo);
typedef DWORD(WINAPI *PFN_CARD_CONSTRUCT_DH_AGREEMENT)(
    PCARD_DATA pCardData, PCARD_DH_AGREEMENT_INFO pAgreementInfo);
typedef DWORD(WINAPI *PFN_CARD_DERIVE_KEY)(
    PCARD_DATA pCardData, PCARD_DERIVE_KEY pAgreementInfo);
typedef DWORD(WINAPI *PFN_CARD_DESTROY_DH_AGREEMENT)(
    PCARD_DATA pCardData, BYTE bSecretAgreementIndex, DWORD dwFlags);

/* properties (v6) */
typedef DWORD(WINAPI *PFN_CARD_GET_CONTAINER_PROPERTY)(
    PCARD_DATA pCardData, BYTE bContainerIndex, LPCWSTR wszProperty,
    PBYTE pbData, DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_SET_CONTAINER_PROPERTY)(
    PCARD_DATA pCardData, BYTE bContainerIndex, LPCWSTR wszProperty,
    PBYTE pbData, DWORD cbDataLen, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_GET_PROPERTY)(
    PCARD_DATA pCardData, LPCWSTR wszProperty,
    PBYTE pbData, DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_SET_PROPERTY)(
    PCARD_DATA pCardData, LPCWSTR wszProperty,
    PBYTE pbData, DWORD cbDataLen, DWORD dwFlags);

/* secure key injection (v7) */
typedef DWORD(WINAPI *PFN_MD_IMPORT_SESSION_KEY)(
    PCARD_DATA pCardData, LPCWSTR pwszBlobType, LPCWSTR pwszAlgId,
    PCARD_KEY_HANDLE phKey, PBYTE pbInput, DWORD cbInput);
typedef DWORD(WINAPI *PFN_MD_ENCRYPT_DATA)(
    PCARD_DATA pCardData, CARD_KEY_HANDLE hKey, LPCWSTR pwszSecureFunction,
    PBYTE pbInput, DWORD cbInput, DWORD dwFlags,
    PCARD_ENCRYPTED_DATA *ppEncryptedData, PDWORD pcEncryptedData);
typedef DWORD(WINAPI *PFN_CARD_GET_SHARED_KEY_HANDLE)(
    PCARD_DATA pCardData, PBYTE pbInput, DWORD cbInput,
    PBYTE *ppbOutput, PDWORD pcbOutput, PCARD_KEY_HANDLE phKey);
typedef DWORD(WINAPI *PFN_CARD_DESTROY_KEY)(
    PCARD_DATA pCardData, CARD_KEY_HANDLE hKey);
typedef DWORD(WINAPI *PFN_CARD_GET_ALGORITHM_PROPERTY)(
    PCARD_DATA pCardData, LPCWSTR pwszAlgId, LPCWSTR pwszProperty,
    PBYTE pbData, DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_GET_KEY_PROPERTY)(
    PCARD_DATA pCardData, CARD_KEY_HANDLE hKey, LPCWSTR pwszProperty,
    PBYTE pbData, DWORD cbData, PDWORD pdwDataLen, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_SET_KEY_PROPERTY)(
    PCARD_DATA pCardData, CARD_KEY_HANDLE hKey, LPCWSTR pwszProperty,
    PBYTE pbInput, DWORD cbInput, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_IMPORT_SESSION_KEY)(
    PCARD_DATA pCardData, BYTE bContainerIndex, LPVOID pPaddingInfo,
    LPCWSTR pwszBlobType, LPCWSTR pwszAlgId, PCARD_KEY_HANDLE phKey,
    PBYTE pbInput, DWORD cbInput, DWORD dwFlags);
typedef DWORD(WINAPI *PFN_CARD_PROCESS_ENCRYPTED_DATA)(
    PCARD_DATA pCardData, CARD_KEY_HANDLE hKey, LPCWSTR pwszSecureFunction,
    PCARD_ENCRYPTED_DATA pEncryptedData, DWORD cEncryptedData,
    PBYTE pbOutput, DWORD cbOutput, PDWORD pdwOutputLen, DWORD dwFlags);

/* ------------------------------------------------------------------------ */
/* 1.2 CARD_DATA, version 7: 63 fields, 504 bytes on x64, 252 on x86.       */
/* Allocated and zeroed by the caller. Offsets x64/x86.                     */
/* ------------------------------------------------------------------------ */

struct _CARD_DATA {
    /* Initialized by the CSP/KSP before CardAcquireContext */
    DWORD dwVersion;                                 /*   0/0   in: requested, out: actual */
    PBYTE pbAtr;                                     /*   8/4   */
    DWORD cbAtr;                                     /*  16/8   */
    LPWSTR pwszCardName;                             /*  24/12  */
    PFN_CSP_ALLOC pfnCspAlloc;                       /*  32/16  */
    PFN_CSP_REALLOC pfnCspReAlloc;                   /*  40/20  */
    PFN_CSP_FREE pfnCspFree;                         /*  48/24  */
    PFN_CSP_CACHE_ADD_FILE pfnCspCacheAddFile;       /*  56/28  */
    PFN_CSP_CACHE_LOOKUP_FILE pfnCspCacheLookupFile; /*  64/32  */
    PFN_CSP_CACHE_DELETE_FILE pfnCspCacheDeleteFile; /*  72/36  */
    PVOID pvCacheContext;                            /*  80/40  */
    PFN_CSP_PAD_DATA pfnCspPadData;                  /*  88/44  */
    SCARDCONTEXT hSCardCtx;                          /*  96/48  */
    SCARDHANDLE hScard;                              /* 104/52  */

    /* Private to the minidriver */
    PVOID pvVendorSpecific;                          /* 112/56  */

    /* Initialized by the minidriver */
    PFN_CARD_DELETE_CONTEXT pfnCardDeleteContext;                 /* 120/60  */
    PFN_CARD_QUERY_CAPABILITIES pfnCardQueryCapabilities;         /* 128/64  */
    PFN_CARD_DELETE_CONTAINER pfnCardDeleteContainer;             /* 136/68  */
    PFN_CARD_CREATE_CONTAINER pfnCardCreateContainer;             /* 144/72  */
    PFN_CARD_GET_CONTAINER_INFO pfnCardGetContainerInfo;          /* 152/76  */
    PFN_CARD_AUTHENTICATE_PIN pfnCardAuthenticatePin;             /* 160/80  */
    PFN_CARD_GET_CHALLENGE pfnCardGetChallenge;                   /* 168/84  */
    PFN_CARD_AUTHENTICATE_CHALLENGE pfnCardAuthenticateChallenge; /* 176/88  */
    PFN_CARD_UNBLOCK_PIN pfnCardUnblockPin;                       /* 184/92  */
    PFN_CARD_CHANGE_AUTHENTICATOR pfnCardChangeAuthenticator;     /* 192/96  */
    PFN_CARD_DEAUTHENTICATE pfnCardDeauthenticate;                /* 200/100 may be NULL */
    PFN_CARD_CREATE_DIRECTORY pfnCardCreateDirectory;             /* 208/104 */
    PFN_CARD_DELETE_DIRECTORY pfnCardDeleteDirectory;             /* 216/108 */
    LPVOID pvUnused3;                                             /* 224/112 NULL */
    LPVOID pvUnused4;                                             /* 232/116 NULL */
    PFN_CARD_CREATE_FILE pfnCardCreateFile;                       /* 240/120 */
    PFN_CARD_READ_FILE pfnCardReadFile;                           /* 248/124 */
    PFN_CARD_WRITE_FILE pfnCardWriteFile;                         /* 256/128 */
    PFN_CARD_DELETE_FILE pfnCardDeleteFile;                       /* 264/132 */
    PFN_CARD_ENUM_FILES pfnCardEnumFiles;                         /* 272/136 */
    PFN_CARD_GET_FILE_INFO pfnCardGetFileInfo;                    /* 280/140 */
    PFN_CARD_QUERY_FREE_SPACE pfnCardQueryFreeSpace;              /* 288/144 */
    PFN_CARD_QUERY_KEY_SIZES pfnCardQueryKeySizes;                /* 296/148 */
    PFN_CARD_SIGN_DATA pfnCardSignData;                           /* 304/152 */
    PFN_CARD_RSA_DECRYPT pfnCardRSADecrypt;                       /* 312/156 NULL if ECC-only */
    PFN_CARD_CONSTRUCT_DH_AGREEMENT pfnCardConstructDHAgreement;  /* 320/160 NULL if RSA-only */

    /* New in version 5 */
    PFN_CARD_DERIVE_KEY pfnCardDeriveKey;                         /* 328/164 NULL if RSA-only */
    PFN_CARD_DESTROY_DH_AGREEMENT pfnCardDestroyDHAgreement;      /* 336/168 NULL if RSA-only */
    PFN_CSP_GET_DH_AGREEMENT pfnCspGetDHAgreement;                /* 344/172 set by the CALLER */

    /* New in version 6 */
    PFN_CARD_GET_CHALLENGE_EX pfnCardGetChallengeEx;              /* 352/176 */
    PFN_CARD_AUTHENTICATE_EX pfnCardAuthenticateEx;               /* 360/180 */
    PFN_CARD_CHANGE_AUTHENTICATOR_EX pfnCardChangeAuthenticatorEx; /* 368/184 */
    PFN_CARD_DEAUTHENTICATE_EX pfnCardDeauthenticateEx;           /* 376/188 */
    PFN_CARD_GET_CONTAINER_PROPERTY pfnCardGetContainerProperty;  /* 384/192 */
    PFN_CARD_SET_CONTAINER_PROPERTY pfnCardSetContainerProperty;  /* 392/196 */
    PFN_CARD_GET_PROPERTY pfnCardGetProperty;                     /* 400/200 */
    PFN_CARD_SET_PROPERTY pfnCardSetProperty;                     /* 408/204 */

    /* New in version 7 */
    PFN_CSP_UNPAD_DATA pfnCspUnpadData;                           /* 416/208 set by the CALLER */
    PFN_MD_IMPORT_SESSION_KEY pfnMDImportSessionKey;              /* 424/212 */
    PFN_MD_ENCRYPT_DATA pfnMDEncryptData;                         /* 432/216 */
    PFN_CARD_IMPORT_SESSION_KEY pfnCardImportSessionKey;          /* 440/220 */
    PFN_CARD_GET_SHARED_KEY_HANDLE pfnCardGetSharedKeyHandle;     /* 448/224 */
    PFN_CARD_GET_ALGORITHM_PROPERTY pfnCardGetAlgorithmProperty;  /* 456/228 */
    PFN_CARD_GET_KEY_PROPERTY pfnCardGetKeyProperty;              /* 464/232 */
    PFN_CARD_SET_KEY_PROPERTY pfnCardSetKeyProperty;              /* 472/236 */
    PFN_CARD_DESTROY_KEY pfnCardDestroyKey;                       /* 480/240 */
    PFN_CARD_PROCESS_ENCRYPTED_DATA pfnCardProcessEncryptedData;  /* 488/244 */
    PFN_CARD_CREATE_CONTAINER_EX pfnCardCreateContainerEx;        /* 496/248 */
}; /* 504/252 */

/* The DLL's only export (undecorated on x86: use a .def file or
 * -Wl,--kill-at). */
CARDMOD_API DWORD WINAPI CardAcquireContext(PCARD_DATA pCardData, DWORD dwFlags);

#ifdef __cplusplus
}
#endif

#endif /* CARDMOD_CARDMOD_H_INCLUDED */
