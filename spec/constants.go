package spec

import (
	"crypto"
	"fmt"

	// The hashes that ALGID.Hash and HashFromName return are linked in, so that crypto.Hash.New
	// never panics on them.
	_ "crypto/md5"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// CARD_DATA versions (reference §3.1, §4.2).
const (
	CardDataVersionFour    uint32 = 4 // CARD_DATA_VERSION_FOUR
	CardDataVersionFive    uint32 = 5 // CARD_DATA_VERSION_FIVE
	CardDataVersionSix     uint32 = 6 // CARD_DATA_VERSION_SIX
	CardDataVersionSeven   uint32 = 7 // CARD_DATA_VERSION_SEVEN
	CardDataCurrentVersion uint32 = 7 // CARD_DATA_CURRENT_VERSION
)

// Current versions of the structures exchanged with the caller (reference §2, §3.1).
const (
	CardCapabilitiesCurrentVersion  uint32 = 1 // CARD_CAPABILITIES_CURRENT_VERSION
	ContainerInfoCurrentVersion     uint32 = 1 // CONTAINER_INFO_CURRENT_VERSION
	CardFileInfoCurrentVersion      uint32 = 1 // CARD_FILE_INFO_CURRENT_VERSION
	CardFreeSpaceInfoCurrentVersion uint32 = 1 // CARD_FREE_SPACE_INFO_CURRENT_VERSION
	CardKeySizesCurrentVersion      uint32 = 1 // CARD_KEY_SIZES_CURRENT_VERSION
	CardCacheFileCurrentVersion     uint32 = 1 // CARD_CACHE_FILE_CURRENT_VERSION
	PINCachePolicyCurrentVersion    uint32 = 6 // PIN_CACHE_POLICY_CURRENT_VERSION
	PINInfoCurrentVersion           uint32 = 6 // PIN_INFO_CURRENT_VERSION

	CardRSAKeyDecryptInfoVersionOne     uint32 = 1 // CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE
	CardRSAKeyDecryptInfoVersionTwo     uint32 = 2 // CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO
	CardRSAKeyDecryptInfoCurrentVersion uint32 = 2 // CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION

	CardSigningInfoBasicVersion   uint32 = 1 // CARD_SIGNING_INFO_BASIC_VERSION
	CardSigningInfoCurrentVersion uint32 = 2 // CARD_SIGNING_INFO_CURRENT_VERSION

	CardDHAgreementInfoVersion uint32 = 2 // CARD_DH_AGREEMENT_INFO_VERSION

	CardDeriveKeyVersion        uint32 = 1 // CARD_DERIVE_KEY_VERSION
	CardDeriveKeyVersionTwo     uint32 = 2 // CARD_DERIVE_KEY_VERSION_TWO
	CardDeriveKeyCurrentVersion uint32 = 2 // CARD_DERIVE_KEY_CURRENT_VERSION

	CardImportKeypairVersionSeven                 uint32 = 7 // CARD_IMPORT_KEYPAIR_VERSION_SEVEN
	CardImportKeypairCurrentVersion               uint32 = 7 // CARD_IMPORT_KEYPAIR_CURRENT_VERSION
	CardChangeAuthenticatorVersionSeven           uint32 = 7 // CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN
	CardChangeAuthenticatorCurrentVersion         uint32 = 7 // CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION
	CardChangeAuthenticatorResponseVersionSeven   uint32 = 7 // CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN
	CardChangeAuthenticatorResponseCurrentVersion uint32 = 7 // CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION
	CardAuthenticateVersionSeven                  uint32 = 7 // CARD_AUTHENTICATE_VERSION_SEVEN
	CardAuthenticateCurrentVersion                uint32 = 7 // CARD_AUTHENTICATE_CURRENT_VERSION
	CardAuthenticateResponseVersionSeven          uint32 = 7 // CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN
	CardAuthenticateResponseCurrentVersion        uint32 = 7 // CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION
)

// Miscellaneous flags and values (reference §3.2).
const (
	// SCardProviderCardModule is SCARD_PROVIDER_CARD_MODULE; the registry value "80000001" names
	// the minidriver DLL.
	SCardProviderCardModule uint32 = 0x80000001
	// CardDataValueUnknown is CARD_DATA_VALUE_UNKNOWN, (DWORD)-1, for unknown free-space fields.
	CardDataValueUnknown uint32 = 0xFFFFFFFF
	// CardSecureKeyInjectionNoCardMode is CARD_SECURE_KEY_INJECTION_NO_CARD_MODE, the only
	// defined CardAcquireContext flag.
	CardSecureKeyInjectionNoCardMode uint32 = 0x1
	// CardReturnKeyHandle is CARD_RETURN_KEY_HANDLE (CARD_DERIVE_KEY.dwFlags).
	CardReturnKeyHandle uint32 = 0x01000000
	// CardBufferSizeOnly is CARD_BUFFER_SIZE_ONLY (CARD_SIGNING_INFO.dwSigningFlags,
	// CARD_DERIVE_KEY.dwFlags).
	CardBufferSizeOnly uint32 = 0x20000000
	// CardPaddingInfoPresent is CARD_PADDING_INFO_PRESENT (CARD_SIGNING_INFO.dwSigningFlags).
	CardPaddingInfoPresent uint32 = 0x40000000

	// CardPaddingNone is CARD_PADDING_NONE (dwPaddingType, CardImportSessionKey dwFlags,
	// CP_PADDING_SCHEMES). The mingw-w64 header's 0 is wrong.
	CardPaddingNone uint32 = 0x1
	// CardPaddingPKCS1 is CARD_PADDING_PKCS1. The mingw-w64 header's 1 is wrong.
	CardPaddingPKCS1 uint32 = 0x2
	// CardPaddingPSS is CARD_PADDING_PSS.
	CardPaddingPSS uint32 = 0x4
	// CardPaddingOAEP is CARD_PADDING_OAEP.
	CardPaddingOAEP uint32 = 0x8

	// CardCreateContainerKeyGen is CARD_CREATE_CONTAINER_KEY_GEN (CardCreateContainer dwFlags).
	CardCreateContainerKeyGen uint32 = 1
	// CardCreateContainerKeyImport is CARD_CREATE_CONTAINER_KEY_IMPORT.
	CardCreateContainerKeyImport uint32 = 2

	// CardAuthenticatePinChallengeResponse is CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE
	// (CardUnblockPin / CardChangeAuthenticator dwFlags).
	CardAuthenticatePinChallengeResponse uint32 = 1
	// CardAuthenticatePinPIN is CARD_AUTHENTICATE_PIN_PIN.
	CardAuthenticatePinPIN uint32 = 2

	// PINChangeFlagUnblock is PIN_CHANGE_FLAG_UNBLOCK (CardChangeAuthenticatorEx dwFlags).
	PINChangeFlagUnblock uint32 = 0x01
	// PINChangeFlagChangePIN is PIN_CHANGE_FLAG_CHANGEPIN.
	PINChangeFlagChangePIN uint32 = 0x02

	// CardAuthenticateGenerateSessionPIN is CARD_AUTHENTICATE_GENERATE_SESSION_PIN
	// (CardAuthenticateEx dwFlags).
	CardAuthenticateGenerateSessionPIN uint32 = 0x10000000
	// CardAuthenticateSessionPIN is CARD_AUTHENTICATE_SESSION_PIN.
	CardAuthenticateSessionPIN uint32 = 0x20000000
	// CardPINSilentContext is CARD_PIN_SILENT_CONTEXT.
	CardPINSilentContext uint32 = 0x00000040

	// CardPINStrengthPlaintext is CARD_PIN_STRENGTH_PLAINTEXT (CP_CARD_PIN_STRENGTH_* value).
	CardPINStrengthPlaintext uint32 = 0x1
	// CardPINStrengthSessionPIN is CARD_PIN_STRENGTH_SESSION_PIN.
	CardPINStrengthSessionPIN uint32 = 0x2

	// CPCacheModeGlobalCache is CP_CACHE_MODE_GLOBAL_CACHE (CP_CARD_CACHE_MODE value).
	CPCacheModeGlobalCache uint32 = 1
	// CPCacheModeSessionOnly is CP_CACHE_MODE_SESSION_ONLY.
	CPCacheModeSessionOnly uint32 = 2
	// CPCacheModeNoCache is CP_CACHE_MODE_NO_CACHE.
	CPCacheModeNoCache uint32 = 3

	// PINInfoRequireSecureEntry is PIN_INFO_REQUIRE_SECURE_ENTRY (PIN_INFO.dwFlags).
	PINInfoRequireSecureEntry uint32 = 1

	// CardKeyImportPlainText is CARD_KEY_IMPORT_PLAIN_TEXT (CP_KEY_IMPORT_SUPPORT bitmask).
	CardKeyImportPlainText uint32 = 0x1
	// CardKeyImportRSAKeyEst is CARD_KEY_IMPORT_RSA_KEYEST (Appendix B of the prose calls it
	// "ASYMMETRIC_KEYEST").
	CardKeyImportRSAKeyEst uint32 = 0x2
	// CardKeyImportECCKeyEst is CARD_KEY_IMPORT_ECC_KEYEST.
	CardKeyImportECCKeyEst uint32 = 0x4
	// CardKeyImportSharedSymmetric is CARD_KEY_IMPORT_SHARED_SYMMETRIC.
	CardKeyImportSharedSymmetric uint32 = 0x8

	// CardCipherOperation is CARD_CIPHER_OPERATION (dwFlags of CP_ENUM_ALGORITHMS,
	// CP_PADDING_SCHEMES, CP_CHAINING_MODES).
	CardCipherOperation uint32 = 0x1
	// CardAsymmetricOperation is CARD_ASYMMETRIC_OPERATION.
	CardAsymmetricOperation uint32 = 0x2

	// CardBlockPadding is CARD_BLOCK_PADDING = BCRYPT_BLOCK_PADDING: symmetric PKCS#5 padding
	// (MDEncryptData / CardProcessEncryptedData dwFlags, symmetric CP_PADDING_SCHEMES).
	CardBlockPadding uint32 = 0x00000001

	// MaxContainerNameLen is MAX_CONTAINER_NAME_LEN, in UTF-16 code units, without the NUL.
	MaxContainerNameLen = 39

	// KDFUseSecretAsHMACKeyFlag is KDF_USE_SECRET_AS_HMAC_KEY_FLAG (bcrypt.h;
	// CARD_DERIVE_KEY.dwFlags).
	KDFUseSecretAsHMACKeyFlag uint32 = 0x1

	// BCryptBufferVersion is BCRYPTBUFFER_VERSION (NCryptBufferDesc.ulVersion).
	BCryptBufferVersion uint32 = 0
	// NCryptBufferVersion is NCRYPTBUFFER_VERSION.
	NCryptBufferVersion uint32 = 0

	// BCryptKeyDataBlobMagic is BCRYPT_KEY_DATA_BLOB_MAGIC ("KDBM").
	BCryptKeyDataBlobMagic uint32 = 0x4D42444B
	// BCryptKeyDataBlobVersion1 is BCRYPT_KEY_DATA_BLOB_VERSION1.
	BCryptKeyDataBlobVersion1 uint32 = 1

	// CryptNoHashOID is CRYPT_NOHASHOID (wincrypt.h; CARD_SIGNING_INFO.dwSigningFlags): sign
	// without a DigestInfo.
	CryptNoHashOID uint32 = 0x1

	// ContainerMapValidContainer is CONTAINER_MAP_VALID_CONTAINER (CONTAINER_MAP_RECORD.bFlags).
	ContainerMapValidContainer byte = 1
	// ContainerMapDefaultContainer is CONTAINER_MAP_DEFAULT_CONTAINER.
	ContainerMapDefaultContainer byte = 2
)

// Symmetric algorithm and chaining-mode names (UTF-16 on the wire; reference §3.2).
const (
	Card3DES112Algorithm = "3DES_112"        // CARD_3DES_112_ALGORITHM = BCRYPT_3DES_112_ALGORITHM
	Card3DESAlgorithm    = "3DES"            // CARD_3DES_ALGORITHM = BCRYPT_3DES_ALGORITHM
	CardAESAlgorithm     = "AES"             // CARD_AES_ALGORITHM = BCRYPT_AES_ALGORITHM
	CardChainModeCBC     = "ChainingModeCBC" // CARD_CHAIN_MODE_CBC = BCRYPT_CHAIN_MODE_CBC
	BCryptKeyDataBlob    = "KeyDataBlob"     // BCRYPT_KEY_DATA_BLOB (pwszBlobType)
)

// KeySpec is a dwKeySpec value (AT_*; reference §3.3).
type KeySpec uint32

// Key specs. ATKeyExchange and ATSignature come from wincrypt.h, the ECC ones from cardmod.h.
const (
	ATKeyExchange KeySpec = 1 // AT_KEYEXCHANGE: RSA, decrypt/key exchange (may also sign)
	ATSignature   KeySpec = 2 // AT_SIGNATURE: RSA, sign
	ATECDSAP256   KeySpec = 3 // AT_ECDSA_P256
	ATECDSAP384   KeySpec = 4 // AT_ECDSA_P384
	ATECDSAP521   KeySpec = 5 // AT_ECDSA_P521
	ATECDHEP256   KeySpec = 6 // AT_ECDHE_P256
	ATECDHEP384   KeySpec = 7 // AT_ECDHE_P384
	ATECDHEP521   KeySpec = 8 // AT_ECDHE_P521
)

// Valid reports whether k is one of the eight defined key specs.
func (k KeySpec) Valid() bool { return k >= ATKeyExchange && k <= ATECDHEP521 }

// IsRSA reports whether k is AT_KEYEXCHANGE or AT_SIGNATURE.
func (k KeySpec) IsRSA() bool { return k == ATKeyExchange || k == ATSignature }

// IsECDSA reports whether k is one of AT_ECDSA_P256/P384/P521.
func (k KeySpec) IsECDSA() bool { return k >= ATECDSAP256 && k <= ATECDSAP521 }

// IsECDH reports whether k is one of AT_ECDHE_P256/P384/P521.
func (k KeySpec) IsECDH() bool { return k >= ATECDHEP256 && k <= ATECDHEP521 }

// IsECC reports whether k is an ECDSA or ECDH key spec.
func (k KeySpec) IsECC() bool { return k.IsECDSA() || k.IsECDH() }

// CurveBits returns 256, 384 or 521 for an ECC key spec and 0 otherwise.
func (k KeySpec) CurveBits() int {
	switch k {
	case ATECDSAP256, ATECDHEP256:
		return 256
	case ATECDSAP384, ATECDHEP384:
		return 384
	case ATECDSAP521, ATECDHEP521:
		return 521
	}
	return 0
}

// String returns the Windows name ("AT_ECDSA_P256"), or "KeySpec(n)" for an undefined value.
func (k KeySpec) String() string {
	switch k {
	case ATKeyExchange:
		return "AT_KEYEXCHANGE"
	case ATSignature:
		return "AT_SIGNATURE"
	case ATECDSAP256:
		return "AT_ECDSA_P256"
	case ATECDSAP384:
		return "AT_ECDSA_P384"
	case ATECDSAP521:
		return "AT_ECDSA_P521"
	case ATECDHEP256:
		return "AT_ECDHE_P256"
	case ATECDHEP384:
		return "AT_ECDHE_P384"
	case ATECDHEP521:
		return "AT_ECDHE_P521"
	}
	return fmt.Sprintf("KeySpec(%d)", uint32(k))
}

// PINID is a PIN_ID: a role number 0..MaxPINs-1 (reference §3.4).
type PINID uint32

// PIN roles. Roles 3..7 are additional PINs that can only guard key containers.
const (
	RoleEveryone PINID = 0 // ROLE_EVERYONE
	RoleUser     PINID = 1 // ROLE_USER
	RoleAdmin    PINID = 2 // ROLE_ADMIN
	// MaxPINs is MAX_PINS, the number of PIN ids (0..7).
	MaxPINs = 8
)

// Valid reports whether id is a PIN id below MaxPINs.
func (id PINID) Valid() bool { return id < MaxPINs }

// PINSet is a PIN_SET: a bitmask with bit n set for PIN id n (CREATE_PIN_SET).
type PINSet uint32

// PIN sets.
const (
	PINSetNone     PINSet = 0x00 // PIN_SET_NONE
	PINSetAllRoles PINSet = 0xFF // PIN_SET_ALL_ROLES
)

// CreatePINSet is CREATE_PIN_SET(id), 1 << id. An id of 32 or more gives the empty set.
func CreatePINSet(id PINID) PINSet {
	if id >= 32 {
		return PINSetNone
	}
	return PINSet(1) << id
}

// Has reports whether id is in s (IS_PIN_SET).
func (s PINSet) Has(id PINID) bool { return s&CreatePINSet(id) != 0 }

// Add returns s with id added (SET_PIN).
func (s PINSet) Add(id PINID) PINSet { return s | CreatePINSet(id) }

// Remove returns s without id (CLEAR_PIN).
func (s PINSet) Remove(id PINID) PINSet { return s &^ CreatePINSet(id) }

// IDs returns the PIN ids in s below MaxPINs, in increasing order.
func (s PINSet) IDs() []PINID {
	var ids []PINID
	for id := PINID(0); id < MaxPINs; id++ {
		if s.Has(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// Legacy string user ids of CardAuthenticatePin, CardUnblockPin, CardChangeAuthenticator and
// CardDeauthenticate (UTF-16 on the wire).
const (
	CardUserEveryone = "anonymous" // wszCARD_USER_EVERYONE
	CardUserUser     = "user"      // wszCARD_USER_USER
	CardUserAdmin    = "admin"     // wszCARD_USER_ADMIN
)

// PINIDFromUserID maps a legacy user id string to its role. The comparison is exact
// (case-sensitive), as the specification gives the strings as constants.
func PINIDFromUserID(userID string) (PINID, bool) {
	switch userID {
	case CardUserEveryone:
		return RoleEveryone, true
	case CardUserUser:
		return RoleUser, true
	case CardUserAdmin:
		return RoleAdmin, true
	}
	return 0, false
}

// SecretType is SECRET_TYPE, the kind of a PIN (PIN_INFO.PinType).
type SecretType int32

// SECRET_TYPE values.
const (
	AlphaNumericPinType      SecretType = 0 // a normal PIN
	ExternalPinType          SecretType = 1 // pinpad or biometric; CardAuthenticateEx gets pbPinData == NULL
	ChallengeResponsePinType SecretType = 2 // admin 3DES challenge/response
	EmptyPinType             SecretType = 3 // never prompted, never authenticated
)

// SecretPurpose is SECRET_PURPOSE, which drives the prompt text (PIN_INFO.PinPurpose).
type SecretPurpose int32

// SECRET_PURPOSE values.
const (
	AuthenticationPin   SecretPurpose = 0
	DigitalSignaturePin SecretPurpose = 1
	EncryptionPin       SecretPurpose = 2
	NonRepudiationPin   SecretPurpose = 3
	AdministratorPin    SecretPurpose = 4
	PrimaryCardPin      SecretPurpose = 5
	UnblockOnlyPin      SecretPurpose = 6
)

// PINCachePolicyType is PIN_CACHE_POLICY_TYPE.
type PINCachePolicyType int32

// PIN_CACHE_POLICY_TYPE values.
const (
	PinCacheNormal       PINCachePolicyType = 0
	PinCacheTimed        PINCachePolicyType = 1 // dwPinCachePolicyInfo = seconds
	PinCacheNone         PINCachePolicyType = 2
	PinCacheAlwaysPrompt PINCachePolicyType = 3
)

// DirAccessCondition is CARD_DIRECTORY_ACCESS_CONDITION (reference §3.5).
type DirAccessCondition int32

// CARD_DIRECTORY_ACCESS_CONDITION values.
const (
	InvalidDirAc           DirAccessCondition = 0
	UserCreateDeleteDirAc  DirAccessCondition = 1 // user and admin create files and delete the directory
	AdminCreateDeleteDirAc DirAccessCondition = 2 // only admin; optional, "may be removed"
)

// Valid reports whether c is UserCreateDeleteDirAc or AdminCreateDeleteDirAc.
func (c DirAccessCondition) Valid() bool {
	return c == UserCreateDeleteDirAc || c == AdminCreateDeleteDirAc
}

// CanCreate reports whether role may create files in (and delete) a directory with condition c.
// Everyone may list any directory.
func (c DirAccessCondition) CanCreate(role PINID) bool {
	switch c {
	case UserCreateDeleteDirAc:
		return role == RoleUser || role == RoleAdmin
	case AdminCreateDeleteDirAc:
		return role == RoleAdmin
	}
	return false
}

// CanCreateWith reports whether any role in the authenticated set may create files.
func (c DirAccessCondition) CanCreateWith(auth PINSet) bool {
	return c.CanCreate(RoleUser) && auth.Has(RoleUser) || c.CanCreate(RoleAdmin) && auth.Has(RoleAdmin)
}

// FileAccessCondition is CARD_FILE_ACCESS_CONDITION (reference §3.5).
type FileAccessCondition int32

// CARD_FILE_ACCESS_CONDITION values. E = everyone, U = user, A = admin.
const (
	InvalidAc                FileAccessCondition = 0
	EveryoneReadUserWriteAc  FileAccessCondition = 1 // E(R) U(RW) A(RW)
	UserWriteExecuteAc       FileAccessCondition = 2 // U(WX) A(W); nobody reads
	EveryoneReadAdminWriteAc FileAccessCondition = 3 // E(R) U(R) A(RW)
	UnknownAc                FileAccessCondition = 4 // card-specific
	UserReadWriteAc          FileAccessCondition = 5 // U(RW) A(RW)
	AdminReadWriteAc         FileAccessCondition = 6 // A(RW)
)

// Valid reports whether c is one of the defined conditions other than InvalidAc.
func (c FileAccessCondition) Valid() bool {
	return c >= EveryoneReadUserWriteAc && c <= AdminReadWriteAc
}

// CanRead reports whether role may read a file with condition c, per the table of reference
// §3.5. Roles 3..7 have no file-system rights of their own ("only ROLE_USER gives file-system
// access") and are treated as everyone. UnknownAc and InvalidAc grant nothing.
func (c FileAccessCondition) CanRead(role PINID) bool {
	switch c {
	case EveryoneReadUserWriteAc, EveryoneReadAdminWriteAc:
		return true
	case UserReadWriteAc:
		return role == RoleUser || role == RoleAdmin
	case AdminReadWriteAc:
		return role == RoleAdmin
	}
	return false
}

// CanWrite reports whether role may write (and therefore delete) a file with condition c.
func (c FileAccessCondition) CanWrite(role PINID) bool {
	switch c {
	case EveryoneReadUserWriteAc, UserWriteExecuteAc, UserReadWriteAc:
		return role == RoleUser || role == RoleAdmin
	case EveryoneReadAdminWriteAc, AdminReadWriteAc:
		return role == RoleAdmin
	}
	return false
}

// CanExecute reports whether role may use (execute) a file with condition c: only the user, for
// UserWriteExecuteAc.
func (c FileAccessCondition) CanExecute(role PINID) bool {
	return c == UserWriteExecuteAc && role == RoleUser
}

// CanReadWith reports whether a caller holding the authenticated roles auth may read: everyone's
// rights always apply, and any authenticated role's rights are added.
func (c FileAccessCondition) CanReadWith(auth PINSet) bool {
	return anyRole(auth, c.CanRead)
}

// CanWriteWith reports whether a caller holding the authenticated roles auth may write.
func (c FileAccessCondition) CanWriteWith(auth PINSet) bool {
	return anyRole(auth, c.CanWrite)
}

func anyRole(auth PINSet, allowed func(PINID) bool) bool {
	if allowed(RoleEveryone) {
		return true
	}
	for id := PINID(1); id < MaxPINs; id++ {
		if auth.Has(id) && allowed(id) {
			return true
		}
	}
	return false
}

// String returns the Windows name of c, or "FileAccessCondition(n)".
func (c FileAccessCondition) String() string {
	switch c {
	case InvalidAc:
		return "InvalidAc"
	case EveryoneReadUserWriteAc:
		return "EveryoneReadUserWriteAc"
	case UserWriteExecuteAc:
		return "UserWriteExecuteAc"
	case EveryoneReadAdminWriteAc:
		return "EveryoneReadAdminWriteAc"
	case UnknownAc:
		return "UnknownAc"
	case UserReadWriteAc:
		return "UserReadWriteAc"
	case AdminReadWriteAc:
		return "AdminReadWriteAc"
	}
	return fmt.Sprintf("FileAccessCondition(%d)", int32(c))
}

// KDFBufferType is the BufferType of an NCryptBuffer in CARD_DERIVE_KEY.pParameterList
// (bcrypt.h KDF_*; reference §3.8).
type KDFBufferType uint32

// KDF parameter buffer types.
//
// The prose's "KDF_NCRYPT_SECRET_HANDLE" is not defined by any header; the matching real type is
// taken to be KDFSecretHandle (6), following the reference's recommendation (UNSURE there).
const (
	KDFHashAlgorithm    KDFBufferType = 0x0
	KDFSecretPrepend    KDFBufferType = 0x1
	KDFSecretAppend     KDFBufferType = 0x2
	KDFHMACKey          KDFBufferType = 0x3
	KDFTLSPRFLabel      KDFBufferType = 0x4
	KDFTLSPRFSeed       KDFBufferType = 0x5
	KDFSecretHandle     KDFBufferType = 0x6
	KDFTLSPRFProtocol   KDFBufferType = 0x7
	KDFAlgorithmID      KDFBufferType = 0x8
	KDFPartyUInfo       KDFBufferType = 0x9
	KDFPartyVInfo       KDFBufferType = 0xA
	KDFSuppPubInfo      KDFBufferType = 0xB
	KDFSuppPrivInfo     KDFBufferType = 0xC
	KDFLabel            KDFBufferType = 0xD
	KDFContext          KDFBufferType = 0xE
	KDFSalt             KDFBufferType = 0xF
	KDFIterationCount   KDFBufferType = 0x10
	KDFGenericParameter KDFBufferType = 0x11
	KDFKeyBitLength     KDFBufferType = 0x12
	KDFHKDFSalt         KDFBufferType = 0x13
	KDFHKDFInfo         KDFBufferType = 0x14
)

// KDF names (CARD_DERIVE_KEY.pwszKDF; UTF-16 on the wire).
const (
	BCryptKDFHash           = "HASH"             // BCRYPT_KDF_HASH
	BCryptKDFHMAC           = "HMAC"             // BCRYPT_KDF_HMAC
	BCryptKDFTLSPRF         = "TLS_PRF"          // BCRYPT_KDF_TLS_PRF
	BCryptKDFSP80056AConcat = "SP800_56A_CONCAT" // BCRYPT_KDF_SP80056A_CONCAT
)

// TLS protocol versions carried by a KDFTLSPRFProtocol buffer (a DWORD). OpenSC treats 0 as
// TLS 1.0.
const (
	TLS10ProtocolVersion uint32 = 0x0301 // TLS1_0_PROTOCOL_VERSION
	TLS11ProtocolVersion uint32 = 0x0302 // TLS1_1_PROTOCOL_VERSION
	TLS12ProtocolVersion uint32 = 0x0303 // TLS1_2_PROTOCOL_VERSION
)

// ALGID is a CryptoAPI ALG_ID (reference §3.9).
type ALGID uint32

// ALG_IDs seen in CARD_SIGNING_INFO.aiHashAlg and in key blob headers.
const (
	CALGMD2            ALGID = 0x8001
	CALGMD4            ALGID = 0x8002
	CALGMD5            ALGID = 0x8003
	CALGSHA            ALGID = 0x8004
	CALGSHA1           ALGID = 0x8004
	CALGMAC            ALGID = 0x8005
	CALGSSL3SHAMD5     ALGID = 0x8008
	CALGHMAC           ALGID = 0x8009
	CALGTLS1PRF        ALGID = 0x800A
	CALGHashReplaceOWF ALGID = 0x800B
	CALGSHA256         ALGID = 0x800C
	CALGSHA384         ALGID = 0x800D
	CALGSHA512         ALGID = 0x800E
	CALGHughesMD5      ALGID = 0xA003
	CALGRSASign        ALGID = 0x2400 // CALG_RSA_SIGN (aiKeyAlg of an AT_SIGNATURE blob)
	CALGRSAKeyX        ALGID = 0xA400 // CALG_RSA_KEYX (aiKeyAlg of an AT_KEYEXCHANGE blob)
)

// Hash returns the Go hash for CALG_MD5, CALG_SHA1, CALG_SHA_256, CALG_SHA_384 and CALG_SHA_512,
// and 0 for every other ALG_ID. CALG_SSL3_SHAMD5 (a 36-byte MD5‖SHA-1 value, crypto.MD5SHA1 in
// Go) deliberately maps to 0 as well: callers that support it must handle it explicitly.
func (a ALGID) Hash() crypto.Hash {
	switch a {
	case CALGMD5:
		return crypto.MD5
	case CALGSHA1:
		return crypto.SHA1
	case CALGSHA256:
		return crypto.SHA256
	case CALGSHA384:
		return crypto.SHA384
	case CALGSHA512:
		return crypto.SHA512
	}
	return 0
}

// String returns the wincrypt name of a ("CALG_SHA_256"), or "ALGID(0x....)".
func (a ALGID) String() string {
	switch a {
	case CALGMD2:
		return "CALG_MD2"
	case CALGMD4:
		return "CALG_MD4"
	case CALGMD5:
		return "CALG_MD5"
	case CALGSHA1:
		return "CALG_SHA1"
	case CALGMAC:
		return "CALG_MAC"
	case CALGSSL3SHAMD5:
		return "CALG_SSL3_SHAMD5"
	case CALGHMAC:
		return "CALG_HMAC"
	case CALGTLS1PRF:
		return "CALG_TLS1PRF"
	case CALGHashReplaceOWF:
		return "CALG_HASH_REPLACE_OWF"
	case CALGSHA256:
		return "CALG_SHA_256"
	case CALGSHA384:
		return "CALG_SHA_384"
	case CALGSHA512:
		return "CALG_SHA_512"
	case CALGHughesMD5:
		return "CALG_HUGHES_MD5"
	case CALGRSASign:
		return "CALG_RSA_SIGN"
	case CALGRSAKeyX:
		return "CALG_RSA_KEYX"
	}
	return fmt.Sprintf("ALGID(0x%04X)", uint32(a))
}

// BCrypt hash algorithm names as used in padding info pszAlgId and in KDF_HASH_ALGORITHM
// (reference §2.12; UTF-16 on the wire).
const (
	BCryptMD2Algorithm    = "MD2"
	BCryptMD4Algorithm    = "MD4"
	BCryptMD5Algorithm    = "MD5"
	BCryptSHA1Algorithm   = "SHA1"
	BCryptSHA256Algorithm = "SHA256"
	BCryptSHA384Algorithm = "SHA384"
	BCryptSHA512Algorithm = "SHA512"
)

// HashFromName maps a BCrypt hash name to a Go hash: "MD5", "SHA1", "SHA256", "SHA384" and
// "SHA512". The comparison is case-sensitive, as the names are compared against the bcrypt.h
// constants.
//
// Decisions: "SHA224" is rejected, because CNG defines no SHA-224 algorithm identifier, so no
// Windows caller can send it (OpenSC's acceptance of it cannot be exercised by the CSP/KSP).
// "MD2" and "MD4" are rejected too (ok = false): the standard library implements neither, so the
// minidriver reports them as unsupported.
func HashFromName(name string) (crypto.Hash, bool) {
	switch name {
	case BCryptMD5Algorithm:
		return crypto.MD5, true
	case BCryptSHA1Algorithm:
		return crypto.SHA1, true
	case BCryptSHA256Algorithm:
		return crypto.SHA256, true
	case BCryptSHA384Algorithm:
		return crypto.SHA384, true
	case BCryptSHA512Algorithm:
		return crypto.SHA512, true
	}
	return 0, false
}

// CryptoAPI blob types and version (wincrypt.h).
const (
	PublicKeyBlob  byte = 0x06 // PUBLICKEYBLOB
	PrivateKeyBlob byte = 0x07 // PRIVATEKEYBLOB
	CurBlobVersion byte = 2    // CUR_BLOB_VERSION
)

// Key blob magics (reference §2.2, §3.9).
const (
	RSA1Magic uint32 = 0x31415352 // "RSA1", RSAPUBKEY.magic of a PUBLICKEYBLOB
	RSA2Magic uint32 = 0x32415352 // "RSA2", RSAPUBKEY.magic of a PRIVATEKEYBLOB

	ECDSAPublicP256Magic  uint32 = 0x31534345 // BCRYPT_ECDSA_PUBLIC_P256_MAGIC
	ECDSAPublicP384Magic  uint32 = 0x33534345 // BCRYPT_ECDSA_PUBLIC_P384_MAGIC
	ECDSAPublicP521Magic  uint32 = 0x35534345 // BCRYPT_ECDSA_PUBLIC_P521_MAGIC
	ECDHPublicP256Magic   uint32 = 0x314B4345 // BCRYPT_ECDH_PUBLIC_P256_MAGIC
	ECDHPublicP384Magic   uint32 = 0x334B4345 // BCRYPT_ECDH_PUBLIC_P384_MAGIC
	ECDHPublicP521Magic   uint32 = 0x354B4345 // BCRYPT_ECDH_PUBLIC_P521_MAGIC
	ECDSAPrivateP256Magic uint32 = 0x32534345 // BCRYPT_ECDSA_PRIVATE_P256_MAGIC
	ECDSAPrivateP384Magic uint32 = 0x34534345 // BCRYPT_ECDSA_PRIVATE_P384_MAGIC
	ECDSAPrivateP521Magic uint32 = 0x36534345 // BCRYPT_ECDSA_PRIVATE_P521_MAGIC
	ECDHPrivateP256Magic  uint32 = 0x324B4345 // BCRYPT_ECDH_PRIVATE_P256_MAGIC
	ECDHPrivateP384Magic  uint32 = 0x344B4345 // BCRYPT_ECDH_PRIVATE_P384_MAGIC
	ECDHPrivateP521Magic  uint32 = 0x364B4345 // BCRYPT_ECDH_PRIVATE_P521_MAGIC
)

type eccMagic struct {
	spec    KeySpec
	private bool
}

var eccMagics = map[uint32]eccMagic{
	ECDSAPublicP256Magic:  {ATECDSAP256, false},
	ECDSAPublicP384Magic:  {ATECDSAP384, false},
	ECDSAPublicP521Magic:  {ATECDSAP521, false},
	ECDHPublicP256Magic:   {ATECDHEP256, false},
	ECDHPublicP384Magic:   {ATECDHEP384, false},
	ECDHPublicP521Magic:   {ATECDHEP521, false},
	ECDSAPrivateP256Magic: {ATECDSAP256, true},
	ECDSAPrivateP384Magic: {ATECDSAP384, true},
	ECDSAPrivateP521Magic: {ATECDSAP521, true},
	ECDHPrivateP256Magic:  {ATECDHEP256, true},
	ECDHPrivateP384Magic:  {ATECDHEP384, true},
	ECDHPrivateP521Magic:  {ATECDHEP521, true},
}

// ECCPublicMagic returns the BCRYPT_ECCKEY_BLOB public magic for an ECC key spec (ECDSA magics
// for AT_ECDSA_*, ECDH magics for AT_ECDHE_*), or 0 for any other key spec.
func ECCPublicMagic(spec KeySpec) uint32 {
	for m, v := range eccMagics {
		if v.spec == spec && !v.private {
			return m
		}
	}
	return 0
}

// ECCPrivateMagic returns the BCRYPT_ECCKEY_BLOB private magic for an ECC key spec, or 0.
func ECCPrivateMagic(spec KeySpec) uint32 {
	for m, v := range eccMagics {
		if v.spec == spec && v.private {
			return m
		}
	}
	return 0
}

// ECCMagicInfo describes an ECC blob magic: the key spec it belongs to and whether it is a
// private-key magic. ok is false for any value that is not one of the twelve ECC magics.
func ECCMagicInfo(magic uint32) (spec KeySpec, private bool, ok bool) {
	v, ok := eccMagics[magic]
	return v.spec, v.private, ok
}

// ECCKeyBytes returns cbKey, the byte length of one coordinate, for a curve size in bits
// (256 → 32, 384 → 48, 521 → 66), or 0 for an unsupported size.
func ECCKeyBytes(curveBits int) int {
	switch curveBits {
	case 256, 384, 521:
		return (curveBits + 7) / 8
	}
	return 0
}
