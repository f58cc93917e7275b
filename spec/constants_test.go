package spec

import (
	"crypto"
	"testing"
)

// Values transcribed from reference §2.11, §3.1-3.5, §3.8 and §3.9 (the Windows name is the first
// column, the value the second).
func TestNumericConstants(t *testing.T) {
	tests := []struct {
		name string
		got  uint64
		want uint64
	}{
		// §3.1 versions
		{"CARD_DATA_VERSION_FOUR", uint64(CardDataVersionFour), 4},
		{"CARD_DATA_VERSION_FIVE", uint64(CardDataVersionFive), 5},
		{"CARD_DATA_VERSION_SIX", uint64(CardDataVersionSix), 6},
		{"CARD_DATA_VERSION_SEVEN", uint64(CardDataVersionSeven), 7},
		{"CARD_DATA_CURRENT_VERSION", uint64(CardDataCurrentVersion), 7},
		{"CARD_CAPABILITIES_CURRENT_VERSION", uint64(CardCapabilitiesCurrentVersion), 1},
		{"CONTAINER_INFO_CURRENT_VERSION", uint64(ContainerInfoCurrentVersion), 1},
		{"CARD_FILE_INFO_CURRENT_VERSION", uint64(CardFileInfoCurrentVersion), 1},
		{"CARD_FREE_SPACE_INFO_CURRENT_VERSION", uint64(CardFreeSpaceInfoCurrentVersion), 1},
		{"CARD_KEY_SIZES_CURRENT_VERSION", uint64(CardKeySizesCurrentVersion), 1},
		{"CARD_CACHE_FILE_CURRENT_VERSION", uint64(CardCacheFileCurrentVersion), 1},
		{"PIN_CACHE_POLICY_CURRENT_VERSION", uint64(PINCachePolicyCurrentVersion), 6},
		{"PIN_INFO_CURRENT_VERSION", uint64(PINInfoCurrentVersion), 6},
		{"CARD_RSA_KEY_DECRYPT_INFO_VERSION_ONE", uint64(CardRSAKeyDecryptInfoVersionOne), 1},
		{"CARD_RSA_KEY_DECRYPT_INFO_VERSION_TWO", uint64(CardRSAKeyDecryptInfoVersionTwo), 2},
		{"CARD_RSA_KEY_DECRYPT_INFO_CURRENT_VERSION", uint64(CardRSAKeyDecryptInfoCurrentVersion), 2},
		{"CARD_SIGNING_INFO_BASIC_VERSION", uint64(CardSigningInfoBasicVersion), 1},
		{"CARD_SIGNING_INFO_CURRENT_VERSION", uint64(CardSigningInfoCurrentVersion), 2},
		{"CARD_DH_AGREEMENT_INFO_VERSION", uint64(CardDHAgreementInfoVersion), 2},
		{"CARD_DERIVE_KEY_VERSION", uint64(CardDeriveKeyVersion), 1},
		{"CARD_DERIVE_KEY_VERSION_TWO", uint64(CardDeriveKeyVersionTwo), 2},
		{"CARD_DERIVE_KEY_CURRENT_VERSION", uint64(CardDeriveKeyCurrentVersion), 2},
		{"CARD_IMPORT_KEYPAIR_VERSION_SEVEN", uint64(CardImportKeypairVersionSeven), 7},
		{"CARD_IMPORT_KEYPAIR_CURRENT_VERSION", uint64(CardImportKeypairCurrentVersion), 7},
		{"CARD_CHANGE_AUTHENTICATOR_VERSION_SEVEN", uint64(CardChangeAuthenticatorVersionSeven), 7},
		{"CARD_CHANGE_AUTHENTICATOR_CURRENT_VERSION", uint64(CardChangeAuthenticatorCurrentVersion), 7},
		{"CARD_CHANGE_AUTHENTICATOR_RESPONSE_VERSION_SEVEN", uint64(CardChangeAuthenticatorResponseVersionSeven), 7},
		{"CARD_CHANGE_AUTHENTICATOR_RESPONSE_CURRENT_VERSION", uint64(CardChangeAuthenticatorResponseCurrentVersion), 7},
		{"CARD_AUTHENTICATE_VERSION_SEVEN", uint64(CardAuthenticateVersionSeven), 7},
		{"CARD_AUTHENTICATE_CURRENT_VERSION", uint64(CardAuthenticateCurrentVersion), 7},
		{"CARD_AUTHENTICATE_RESPONSE_VERSION_SEVEN", uint64(CardAuthenticateResponseVersionSeven), 7},
		{"CARD_AUTHENTICATE_RESPONSE_CURRENT_VERSION", uint64(CardAuthenticateResponseCurrentVersion), 7},

		// §3.2 flags and values
		{"SCARD_PROVIDER_CARD_MODULE", uint64(SCardProviderCardModule), 0x80000001},
		{"CARD_DATA_VALUE_UNKNOWN", uint64(CardDataValueUnknown), 0xFFFFFFFF},
		{"CARD_SECURE_KEY_INJECTION_NO_CARD_MODE", uint64(CardSecureKeyInjectionNoCardMode), 0x1},
		{"CARD_RETURN_KEY_HANDLE", uint64(CardReturnKeyHandle), 0x01000000},
		{"CARD_BUFFER_SIZE_ONLY", uint64(CardBufferSizeOnly), 0x20000000},
		{"CARD_PADDING_INFO_PRESENT", uint64(CardPaddingInfoPresent), 0x40000000},
		{"CARD_PADDING_NONE", uint64(CardPaddingNone), 0x1},
		{"CARD_PADDING_PKCS1", uint64(CardPaddingPKCS1), 0x2},
		{"CARD_PADDING_PSS", uint64(CardPaddingPSS), 0x4},
		{"CARD_PADDING_OAEP", uint64(CardPaddingOAEP), 0x8},
		{"CARD_CREATE_CONTAINER_KEY_GEN", uint64(CardCreateContainerKeyGen), 1},
		{"CARD_CREATE_CONTAINER_KEY_IMPORT", uint64(CardCreateContainerKeyImport), 2},
		{"CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE", uint64(CardAuthenticatePinChallengeResponse), 1},
		{"CARD_AUTHENTICATE_PIN_PIN", uint64(CardAuthenticatePinPIN), 2},
		{"PIN_CHANGE_FLAG_UNBLOCK", uint64(PINChangeFlagUnblock), 0x01},
		{"PIN_CHANGE_FLAG_CHANGEPIN", uint64(PINChangeFlagChangePIN), 0x02},
		{"CARD_AUTHENTICATE_GENERATE_SESSION_PIN", uint64(CardAuthenticateGenerateSessionPIN), 0x10000000},
		{"CARD_AUTHENTICATE_SESSION_PIN", uint64(CardAuthenticateSessionPIN), 0x20000000},
		{"CARD_PIN_SILENT_CONTEXT", uint64(CardPINSilentContext), 0x00000040},
		{"CARD_PIN_STRENGTH_PLAINTEXT", uint64(CardPINStrengthPlaintext), 0x1},
		{"CARD_PIN_STRENGTH_SESSION_PIN", uint64(CardPINStrengthSessionPIN), 0x2},
		{"CP_CACHE_MODE_GLOBAL_CACHE", uint64(CPCacheModeGlobalCache), 1},
		{"CP_CACHE_MODE_SESSION_ONLY", uint64(CPCacheModeSessionOnly), 2},
		{"CP_CACHE_MODE_NO_CACHE", uint64(CPCacheModeNoCache), 3},
		{"PIN_INFO_REQUIRE_SECURE_ENTRY", uint64(PINInfoRequireSecureEntry), 1},
		{"CARD_KEY_IMPORT_PLAIN_TEXT", uint64(CardKeyImportPlainText), 0x1},
		{"CARD_KEY_IMPORT_RSA_KEYEST", uint64(CardKeyImportRSAKeyEst), 0x2},
		{"CARD_KEY_IMPORT_ECC_KEYEST", uint64(CardKeyImportECCKeyEst), 0x4},
		{"CARD_KEY_IMPORT_SHARED_SYMMETRIC", uint64(CardKeyImportSharedSymmetric), 0x8},
		{"CARD_CIPHER_OPERATION", uint64(CardCipherOperation), 0x1},
		{"CARD_ASYMMETRIC_OPERATION", uint64(CardAsymmetricOperation), 0x2},
		{"CARD_BLOCK_PADDING", uint64(CardBlockPadding), 0x00000001},
		{"MAX_CONTAINER_NAME_LEN", MaxContainerNameLen, 39},
		{"MAX_PINS", MaxPINs, 8},
		{"KDF_USE_SECRET_AS_HMAC_KEY_FLAG", uint64(KDFUseSecretAsHMACKeyFlag), 0x1},
		{"BCRYPTBUFFER_VERSION", uint64(BCryptBufferVersion), 0},
		{"NCRYPTBUFFER_VERSION", uint64(NCryptBufferVersion), 0},
		{"BCRYPT_KEY_DATA_BLOB_MAGIC", uint64(BCryptKeyDataBlobMagic), 0x4D42444B},
		{"BCRYPT_KEY_DATA_BLOB_VERSION1", uint64(BCryptKeyDataBlobVersion1), 1},
		{"CONTAINER_MAP_VALID_CONTAINER", uint64(ContainerMapValidContainer), 1},
		{"CONTAINER_MAP_DEFAULT_CONTAINER", uint64(ContainerMapDefaultContainer), 2},

		// §3.3 key specs
		{"AT_KEYEXCHANGE", uint64(ATKeyExchange), 1},
		{"AT_SIGNATURE", uint64(ATSignature), 2},
		{"AT_ECDSA_P256", uint64(ATECDSAP256), 3},
		{"AT_ECDSA_P384", uint64(ATECDSAP384), 4},
		{"AT_ECDSA_P521", uint64(ATECDSAP521), 5},
		{"AT_ECDHE_P256", uint64(ATECDHEP256), 6},
		{"AT_ECDHE_P384", uint64(ATECDHEP384), 7},
		{"AT_ECDHE_P521", uint64(ATECDHEP521), 8},

		// §3.4 roles, sets, enums
		{"ROLE_EVERYONE", uint64(RoleEveryone), 0},
		{"ROLE_USER", uint64(RoleUser), 1},
		{"ROLE_ADMIN", uint64(RoleAdmin), 2},
		{"PIN_SET_NONE", uint64(PINSetNone), 0x00},
		{"PIN_SET_ALL_ROLES", uint64(PINSetAllRoles), 0xFF},
		{"AlphaNumericPinType", uint64(AlphaNumericPinType), 0},
		{"ExternalPinType", uint64(ExternalPinType), 1},
		{"ChallengeResponsePinType", uint64(ChallengeResponsePinType), 2},
		{"EmptyPinType", uint64(EmptyPinType), 3},
		{"AuthenticationPin", uint64(AuthenticationPin), 0},
		{"DigitalSignaturePin", uint64(DigitalSignaturePin), 1},
		{"EncryptionPin", uint64(EncryptionPin), 2},
		{"NonRepudiationPin", uint64(NonRepudiationPin), 3},
		{"AdministratorPin", uint64(AdministratorPin), 4},
		{"PrimaryCardPin", uint64(PrimaryCardPin), 5},
		{"UnblockOnlyPin", uint64(UnblockOnlyPin), 6},
		{"PinCacheNormal", uint64(PinCacheNormal), 0},
		{"PinCacheTimed", uint64(PinCacheTimed), 1},
		{"PinCacheNone", uint64(PinCacheNone), 2},
		{"PinCacheAlwaysPrompt", uint64(PinCacheAlwaysPrompt), 3},

		// §3.5 access conditions
		{"InvalidDirAc", uint64(InvalidDirAc), 0},
		{"UserCreateDeleteDirAc", uint64(UserCreateDeleteDirAc), 1},
		{"AdminCreateDeleteDirAc", uint64(AdminCreateDeleteDirAc), 2},
		{"InvalidAc", uint64(InvalidAc), 0},
		{"EveryoneReadUserWriteAc", uint64(EveryoneReadUserWriteAc), 1},
		{"UserWriteExecuteAc", uint64(UserWriteExecuteAc), 2},
		{"EveryoneReadAdminWriteAc", uint64(EveryoneReadAdminWriteAc), 3},
		{"UnknownAc", uint64(UnknownAc), 4},
		{"UserReadWriteAc", uint64(UserReadWriteAc), 5},
		{"AdminReadWriteAc", uint64(AdminReadWriteAc), 6},

		// §3.8 KDF buffer types and TLS versions
		{"KDF_HASH_ALGORITHM", uint64(KDFHashAlgorithm), 0x0},
		{"KDF_SECRET_PREPEND", uint64(KDFSecretPrepend), 0x1},
		{"KDF_SECRET_APPEND", uint64(KDFSecretAppend), 0x2},
		{"KDF_HMAC_KEY", uint64(KDFHMACKey), 0x3},
		{"KDF_TLS_PRF_LABEL", uint64(KDFTLSPRFLabel), 0x4},
		{"KDF_TLS_PRF_SEED", uint64(KDFTLSPRFSeed), 0x5},
		{"KDF_SECRET_HANDLE", uint64(KDFSecretHandle), 0x6},
		{"KDF_TLS_PRF_PROTOCOL", uint64(KDFTLSPRFProtocol), 0x7},
		{"KDF_ALGORITHMID", uint64(KDFAlgorithmID), 0x8},
		{"KDF_PARTYUINFO", uint64(KDFPartyUInfo), 0x9},
		{"KDF_PARTYVINFO", uint64(KDFPartyVInfo), 0xA},
		{"KDF_SUPPPUBINFO", uint64(KDFSuppPubInfo), 0xB},
		{"KDF_SUPPPRIVINFO", uint64(KDFSuppPrivInfo), 0xC},
		{"KDF_LABEL", uint64(KDFLabel), 0xD},
		{"KDF_CONTEXT", uint64(KDFContext), 0xE},
		{"KDF_SALT", uint64(KDFSalt), 0xF},
		{"KDF_ITERATION_COUNT", uint64(KDFIterationCount), 0x10},
		{"KDF_GENERIC_PARAMETER", uint64(KDFGenericParameter), 0x11},
		{"KDF_KEYBITLENGTH", uint64(KDFKeyBitLength), 0x12},
		{"KDF_HKDF_SALT", uint64(KDFHKDFSalt), 0x13},
		{"KDF_HKDF_INFO", uint64(KDFHKDFInfo), 0x14},
		{"TLS1_0_PROTOCOL_VERSION", uint64(TLS10ProtocolVersion), 0x0301},
		{"TLS1_1_PROTOCOL_VERSION", uint64(TLS11ProtocolVersion), 0x0302},
		{"TLS1_2_PROTOCOL_VERSION", uint64(TLS12ProtocolVersion), 0x0303},

		// §3.9 ALG_IDs, blob types, magics
		{"CALG_MD2", uint64(CALGMD2), 0x8001},
		{"CALG_MD4", uint64(CALGMD4), 0x8002},
		{"CALG_MD5", uint64(CALGMD5), 0x8003},
		{"CALG_SHA", uint64(CALGSHA), 0x8004},
		{"CALG_SHA1", uint64(CALGSHA1), 0x8004},
		{"CALG_MAC", uint64(CALGMAC), 0x8005},
		{"CALG_SSL3_SHAMD5", uint64(CALGSSL3SHAMD5), 0x8008},
		{"CALG_HMAC", uint64(CALGHMAC), 0x8009},
		{"CALG_TLS1PRF", uint64(CALGTLS1PRF), 0x800A},
		{"CALG_HASH_REPLACE_OWF", uint64(CALGHashReplaceOWF), 0x800B},
		{"CALG_SHA_256", uint64(CALGSHA256), 0x800C},
		{"CALG_SHA_384", uint64(CALGSHA384), 0x800D},
		{"CALG_SHA_512", uint64(CALGSHA512), 0x800E},
		{"CALG_HUGHES_MD5", uint64(CALGHughesMD5), 0xA003},
		{"CALG_RSA_SIGN", uint64(CALGRSASign), 0x2400},
		{"CALG_RSA_KEYX", uint64(CALGRSAKeyX), 0xA400},
		{"CRYPT_NOHASHOID", uint64(CryptNoHashOID), 0x1},
		{"PUBLICKEYBLOB", uint64(PublicKeyBlob), 0x06},
		{"PRIVATEKEYBLOB", uint64(PrivateKeyBlob), 0x07},
		{"CUR_BLOB_VERSION", uint64(CurBlobVersion), 2},
		{"RSA1 magic", uint64(RSA1Magic), 0x31415352},
		{"RSA2 magic", uint64(RSA2Magic), 0x32415352},
		{"ECDSA P256 public", uint64(ECDSAPublicP256Magic), 0x31534345},
		{"ECDSA P384 public", uint64(ECDSAPublicP384Magic), 0x33534345},
		{"ECDSA P521 public", uint64(ECDSAPublicP521Magic), 0x35534345},
		{"ECDH P256 public", uint64(ECDHPublicP256Magic), 0x314B4345},
		{"ECDH P384 public", uint64(ECDHPublicP384Magic), 0x334B4345},
		{"ECDH P521 public", uint64(ECDHPublicP521Magic), 0x354B4345},
		{"ECDSA P256 private", uint64(ECDSAPrivateP256Magic), 0x32534345},
		{"ECDSA P384 private", uint64(ECDSAPrivateP384Magic), 0x34534345},
		{"ECDSA P521 private", uint64(ECDSAPrivateP521Magic), 0x36534345},
		{"ECDH P256 private", uint64(ECDHPrivateP256Magic), 0x324B4345},
		{"ECDH P384 private", uint64(ECDHPrivateP384Magic), 0x344B4345},
		{"ECDH P521 private", uint64(ECDHPrivateP521Magic), 0x364B4345},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = 0x%X, want 0x%X", tc.name, tc.got, tc.want)
		}
	}
}

func TestStringConstants(t *testing.T) {
	tests := []struct{ name, got, want string }{
		// §3.2
		{"CARD_3DES_112_ALGORITHM", Card3DES112Algorithm, "3DES_112"},
		{"CARD_3DES_ALGORITHM", Card3DESAlgorithm, "3DES"},
		{"CARD_AES_ALGORITHM", CardAESAlgorithm, "AES"},
		{"CARD_CHAIN_MODE_CBC", CardChainModeCBC, "ChainingModeCBC"},
		{"BCRYPT_KEY_DATA_BLOB", BCryptKeyDataBlob, "KeyDataBlob"},
		// §3.4
		{"wszCARD_USER_EVERYONE", CardUserEveryone, "anonymous"},
		{"wszCARD_USER_USER", CardUserUser, "user"},
		{"wszCARD_USER_ADMIN", CardUserAdmin, "admin"},
		// §3.6
		{"szBASE_CSP_DIR", DirBaseCSP, "mscp"},
		{"szINTERMEDIATE_CERTS_DIR", DirIntermediateCerts, "mscerts"},
		{"szCACHE_FILE", FileCache, "cardcf"},
		{"szCARD_IDENTIFIER_FILE", FileCardIdentifier, "cardid"},
		{"cardapps", FileCardApps, "cardapps"},
		{"szCONTAINER_MAP_FILE", FileContainerMap, "cmapfile"},
		{"szROOT_STORE_FILE", FileRootStore, "msroots"},
		{"szUSER_SIGNATURE_CERT_PREFIX", UserSignatureCertPrefix, "ksc"},
		{"szUSER_KEYEXCHANGE_CERT_PREFIX", UserKeyExchangeCertPrefix, "kxc"},
		{"szUSER_SIGNATURE_PRIVATE_KEY_PREFIX", UserSignaturePrivateKeyPrefix, "kss"},
		{"szUSER_SIGNATURE_PUBLIC_KEY_PREFIX", UserSignaturePublicKeyPrefix, "ksp"},
		{"szUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX", UserKeyExchangePrivateKeyPrefix, "kxs"},
		{"szUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX", UserKeyExchangePublicKeyPrefix, "kxp"},
		// §3.7
		{"CP_CARD_FREE_SPACE", CPCardFreeSpace, "Free Space"},
		{"CP_CARD_CAPABILITIES", CPCardCapabilities, "Capabilities"},
		{"CP_CARD_KEYSIZES", CPCardKeySizes, "Key Sizes"},
		{"CP_CARD_READ_ONLY", CPCardReadOnly, "Read Only Mode"},
		{"CP_CARD_CACHE_MODE", CPCardCacheMode, "Cache Mode"},
		{"CP_SUPPORTS_WIN_X509_ENROLLMENT", CPSupportsWinX509Enrollment, "Supports Windows x.509 Enrollment"},
		{"CP_CARD_GUID", CPCardGUID, "Card Identifier"},
		{"CP_CARD_SERIAL_NO", CPCardSerialNo, "Card Serial Number"},
		{"CP_CARD_PIN_INFO", CPCardPINInfo, "PIN Information"},
		{"CP_CARD_LIST_PINS", CPCardListPINs, "PIN List"},
		{"CP_CARD_AUTHENTICATED_STATE", CPCardAuthenticatedState, "Authenticated State"},
		{"CP_CARD_PIN_STRENGTH_VERIFY", CPCardPINStrengthVerify, "PIN Strength Verify"},
		{"CP_CARD_PIN_STRENGTH_CHANGE", CPCardPINStrengthChange, "PIN Strength Change"},
		{"CP_CARD_PIN_STRENGTH_UNBLOCK", CPCardPINStrengthUnblock, "PIN Strength Unblock"},
		{"CP_PARENT_WINDOW", CPParentWindow, "Parent Window"},
		{"CP_PIN_CONTEXT_STRING", CPPINContextString, "PIN Context String"},
		{"CP_KEY_IMPORT_SUPPORT", CPKeyImportSupport, "Key Import Support"},
		{"CP_ENUM_ALGORITHMS", CPEnumAlgorithms, "Algorithms"},
		{"CP_PADDING_SCHEMES", CPPaddingSchemes, "Padding Schemes"},
		{"CP_CHAINING_MODES", CPChainingModes, "Chaining Modes"},
		{"CCP_CONTAINER_INFO", CCPContainerInfo, "Container Info"},
		{"CCP_PIN_IDENTIFIER", CCPPINIdentifier, "PIN Identifier"},
		{"CCP_ASSOCIATED_ECDH_KEY", CCPAssociatedECDHKey, "Associated ECDH Key"},
		{"CSF_IMPORT_KEYPAIR", CSFImportKeypair, "Import Key Pair"},
		{"CSF_CHANGE_AUTHENTICATOR", CSFChangeAuthenticator, "Change Authenticator"},
		{"CSF_AUTHENTICATE", CSFAuthenticate, "Authenticate"},
		{"CKP_CHAINING_MODE", CKPChainingMode, "ChainingMode"},
		{"CKP_INITIALIZATION_VECTOR", CKPInitializationVector, "IV"},
		{"CKP_BLOCK_LENGTH", CKPBlockLength, "BlockLength"},
		// §3.8
		{"BCRYPT_KDF_HASH", BCryptKDFHash, "HASH"},
		{"BCRYPT_KDF_HMAC", BCryptKDFHMAC, "HMAC"},
		{"BCRYPT_KDF_TLS_PRF", BCryptKDFTLSPRF, "TLS_PRF"},
		{"BCRYPT_KDF_SP80056A_CONCAT", BCryptKDFSP80056AConcat, "SP800_56A_CONCAT"},
		// §2.12
		{"MD2", BCryptMD2Algorithm, "MD2"},
		{"MD4", BCryptMD4Algorithm, "MD4"},
		{"MD5", BCryptMD5Algorithm, "MD5"},
		{"SHA1", BCryptSHA1Algorithm, "SHA1"},
		{"SHA256", BCryptSHA256Algorithm, "SHA256"},
		{"SHA384", BCryptSHA384Algorithm, "SHA384"},
		{"SHA512", BCryptSHA512Algorithm, "SHA512"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestKeySpec(t *testing.T) {
	tests := []struct {
		k                       KeySpec
		valid, rsa, ecdsa, ecdh bool
		bits                    int
		name                    string
	}{
		{0, false, false, false, false, 0, "KeySpec(0)"},
		{ATKeyExchange, true, true, false, false, 0, "AT_KEYEXCHANGE"},
		{ATSignature, true, true, false, false, 0, "AT_SIGNATURE"},
		{ATECDSAP256, true, false, true, false, 256, "AT_ECDSA_P256"},
		{ATECDSAP384, true, false, true, false, 384, "AT_ECDSA_P384"},
		{ATECDSAP521, true, false, true, false, 521, "AT_ECDSA_P521"},
		{ATECDHEP256, true, false, false, true, 256, "AT_ECDHE_P256"},
		{ATECDHEP384, true, false, false, true, 384, "AT_ECDHE_P384"},
		{ATECDHEP521, true, false, false, true, 521, "AT_ECDHE_P521"},
		{9, false, false, false, false, 0, "KeySpec(9)"},
		{0xFFFFFFFF, false, false, false, false, 0, "KeySpec(4294967295)"},
	}
	for _, tc := range tests {
		if tc.k.Valid() != tc.valid || tc.k.IsRSA() != tc.rsa || tc.k.IsECDSA() != tc.ecdsa ||
			tc.k.IsECDH() != tc.ecdh || tc.k.CurveBits() != tc.bits || tc.k.IsECC() != (tc.ecdsa || tc.ecdh) {
			t.Errorf("%v: Valid %v IsRSA %v IsECDSA %v IsECDH %v CurveBits %d", tc.k,
				tc.k.Valid(), tc.k.IsRSA(), tc.k.IsECDSA(), tc.k.IsECDH(), tc.k.CurveBits())
		}
		if tc.k.String() != tc.name {
			t.Errorf("String() = %q, want %q", tc.k.String(), tc.name)
		}
	}
}

func TestECCMagics(t *testing.T) {
	tests := []struct {
		spec          KeySpec
		public, priv  uint32
		cbKey         int
		publicLiteral string
	}{
		{ATECDSAP256, 0x31534345, 0x32534345, 32, "ECS1"},
		{ATECDSAP384, 0x33534345, 0x34534345, 48, "ECS3"},
		{ATECDSAP521, 0x35534345, 0x36534345, 66, "ECS5"},
		{ATECDHEP256, 0x314B4345, 0x324B4345, 32, "ECK1"},
		{ATECDHEP384, 0x334B4345, 0x344B4345, 48, "ECK3"},
		{ATECDHEP521, 0x354B4345, 0x364B4345, 66, "ECK5"},
	}
	for _, tc := range tests {
		if got := ECCPublicMagic(tc.spec); got != tc.public {
			t.Errorf("ECCPublicMagic(%v) = 0x%08X, want 0x%08X", tc.spec, got, tc.public)
		}
		if got := ECCPrivateMagic(tc.spec); got != tc.priv {
			t.Errorf("ECCPrivateMagic(%v) = 0x%08X, want 0x%08X", tc.spec, got, tc.priv)
		}
		// The magic's little-endian bytes spell the ASCII tag.
		m := tc.public
		if s := string([]byte{byte(m), byte(m >> 8), byte(m >> 16), byte(m >> 24)}); s != tc.publicLiteral {
			t.Errorf("magic 0x%08X spells %q, want %q", m, s, tc.publicLiteral)
		}
		for _, p := range []struct {
			m    uint32
			priv bool
		}{{tc.public, false}, {tc.priv, true}} {
			spec, priv, ok := ECCMagicInfo(p.m)
			if !ok || spec != tc.spec || priv != p.priv {
				t.Errorf("ECCMagicInfo(0x%08X) = %v %v %v", p.m, spec, priv, ok)
			}
		}
		if got := ECCKeyBytes(tc.spec.CurveBits()); got != tc.cbKey {
			t.Errorf("ECCKeyBytes(%d) = %d, want %d", tc.spec.CurveBits(), got, tc.cbKey)
		}
	}
	for _, k := range []KeySpec{0, ATKeyExchange, ATSignature, 9} {
		if ECCPublicMagic(k) != 0 || ECCPrivateMagic(k) != 0 {
			t.Errorf("%v has an ECC magic", k)
		}
	}
	for _, m := range []uint32{0, RSA1Magic, RSA2Magic, 0x37534345} {
		if _, _, ok := ECCMagicInfo(m); ok {
			t.Errorf("ECCMagicInfo(0x%08X) ok", m)
		}
	}
	if ECCKeyBytes(224) != 0 {
		t.Error("ECCKeyBytes(224) != 0")
	}
}

func TestPINSet(t *testing.T) {
	// CREATE_PIN_SET(ROLE_ADMIN) = 0x04, CREATE_PIN_SET(ROLE_USER) = 0x02, role 3 → 0x08 (§4.13).
	if CreatePINSet(RoleAdmin) != 0x04 || CreatePINSet(RoleUser) != 0x02 || CreatePINSet(3) != 0x08 ||
		CreatePINSet(RoleEveryone) != 0x01 {
		t.Error("CreatePINSet values wrong")
	}
	if CreatePINSet(32) != 0 || CreatePINSet(0xFFFFFFFF) != 0 {
		t.Error("CreatePINSet of a huge id is not empty")
	}
	s := PINSetNone.Add(RoleUser).Add(RoleAdmin)
	if s != 0x06 || !s.Has(RoleUser) || !s.Has(RoleAdmin) || s.Has(RoleEveryone) {
		t.Errorf("set = 0x%X", s)
	}
	s = s.Remove(RoleUser)
	if s != 0x04 || s.Has(RoleUser) {
		t.Errorf("after Remove: 0x%X", s)
	}
	if s.Remove(RoleUser) != s {
		t.Error("Remove of an absent id changed the set")
	}
	ids := PINSetAllRoles.IDs()
	if len(ids) != MaxPINs || ids[0] != 0 || ids[7] != 7 {
		t.Errorf("IDs = %v", ids)
	}
	if PINSetNone.IDs() != nil {
		t.Error("IDs of the empty set")
	}
	if !PINID(7).Valid() || PINID(8).Valid() {
		t.Error("PINID.Valid")
	}
	for _, tc := range []struct {
		s  string
		id PINID
		ok bool
	}{{"anonymous", 0, true}, {"user", 1, true}, {"admin", 2, true}, {"User", 0, false}, {"", 0, false}} {
		id, ok := PINIDFromUserID(tc.s)
		if id != tc.id || ok != tc.ok {
			t.Errorf("PINIDFromUserID(%q) = %d %v", tc.s, id, ok)
		}
	}
}

// TestAccessConditions checks the E/U/A table of reference §3.5.
func TestAccessConditions(t *testing.T) {
	type rights struct{ e, u, a bool }
	tests := []struct {
		ac          FileAccessCondition
		read, write rights
	}{
		{InvalidAc, rights{}, rights{}},
		{EveryoneReadUserWriteAc, rights{true, true, true}, rights{false, true, true}},
		{UserWriteExecuteAc, rights{}, rights{false, true, true}},
		{EveryoneReadAdminWriteAc, rights{true, true, true}, rights{false, false, true}},
		{UnknownAc, rights{}, rights{}},
		{UserReadWriteAc, rights{false, true, true}, rights{false, true, true}},
		{AdminReadWriteAc, rights{false, false, true}, rights{false, false, true}},
		{7, rights{}, rights{}},
		{-1, rights{}, rights{}},
	}
	for _, tc := range tests {
		got := func(f func(PINID) bool) rights { return rights{f(RoleEveryone), f(RoleUser), f(RoleAdmin)} }
		if r := got(tc.ac.CanRead); r != tc.read {
			t.Errorf("%v read = %+v, want %+v", tc.ac, r, tc.read)
		}
		if w := got(tc.ac.CanWrite); w != tc.write {
			t.Errorf("%v write = %+v, want %+v", tc.ac, w, tc.write)
		}
		// Role 3 has everyone's rights only.
		if tc.ac.CanRead(3) != tc.read.e || tc.ac.CanWrite(3) != tc.write.e {
			t.Errorf("%v: role 3 differs from everyone", tc.ac)
		}
		// Set forms.
		if tc.ac.CanReadWith(PINSetNone) != tc.read.e ||
			tc.ac.CanReadWith(CreatePINSet(RoleUser)) != (tc.read.e || tc.read.u) ||
			tc.ac.CanWriteWith(CreatePINSet(RoleAdmin)|CreatePINSet(3)) != (tc.write.e || tc.write.a) {
			t.Errorf("%v: set-based rights wrong", tc.ac)
		}
	}
	if !UserWriteExecuteAc.CanExecute(RoleUser) || UserWriteExecuteAc.CanExecute(RoleAdmin) ||
		EveryoneReadUserWriteAc.CanExecute(RoleUser) {
		t.Error("CanExecute")
	}
	for ac, valid := range map[FileAccessCondition]bool{0: false, 1: true, 6: true, 7: false} {
		if ac.Valid() != valid {
			t.Errorf("%v.Valid() = %v", ac, !valid)
		}
	}
	if UserReadWriteAc.String() != "UserReadWriteAc" || FileAccessCondition(9).String() != "FileAccessCondition(9)" {
		t.Error("FileAccessCondition.String")
	}

	dirs := []struct {
		ac      DirAccessCondition
		valid   bool
		e, u, a bool
	}{
		{InvalidDirAc, false, false, false, false},
		{UserCreateDeleteDirAc, true, false, true, true},
		{AdminCreateDeleteDirAc, true, false, false, true},
		{3, false, false, false, false},
	}
	for _, tc := range dirs {
		if tc.ac.Valid() != tc.valid || tc.ac.CanCreate(RoleEveryone) != tc.e ||
			tc.ac.CanCreate(RoleUser) != tc.u || tc.ac.CanCreate(RoleAdmin) != tc.a {
			t.Errorf("dir AC %d wrong", tc.ac)
		}
		if tc.ac.CanCreateWith(PINSetAllRoles) != (tc.u || tc.a) || tc.ac.CanCreateWith(PINSetNone) {
			t.Errorf("dir AC %d: CanCreateWith wrong", tc.ac)
		}
	}
}

func TestALGIDHash(t *testing.T) {
	tests := []struct {
		a    ALGID
		h    crypto.Hash
		name string
	}{
		{CALGMD5, crypto.MD5, "CALG_MD5"},
		{CALGSHA1, crypto.SHA1, "CALG_SHA1"},
		{CALGSHA256, crypto.SHA256, "CALG_SHA_256"},
		{CALGSHA384, crypto.SHA384, "CALG_SHA_384"},
		{CALGSHA512, crypto.SHA512, "CALG_SHA_512"},
		{CALGMD2, 0, "CALG_MD2"},
		{CALGMD4, 0, "CALG_MD4"},
		{CALGMAC, 0, "CALG_MAC"},
		{CALGSSL3SHAMD5, 0, "CALG_SSL3_SHAMD5"},
		{CALGHMAC, 0, "CALG_HMAC"},
		{CALGTLS1PRF, 0, "CALG_TLS1PRF"},
		{CALGHashReplaceOWF, 0, "CALG_HASH_REPLACE_OWF"},
		{CALGHughesMD5, 0, "CALG_HUGHES_MD5"},
		{CALGRSASign, 0, "CALG_RSA_SIGN"},
		{CALGRSAKeyX, 0, "CALG_RSA_KEYX"},
		{0, 0, "ALGID(0x0000)"},
		{0x1234, 0, "ALGID(0x1234)"},
	}
	for _, tc := range tests {
		if got := tc.a.Hash(); got != tc.h {
			t.Errorf("%v.Hash() = %v, want %v", tc.a, got, tc.h)
		}
		if got := tc.a.String(); got != tc.name {
			t.Errorf("String() = %q, want %q", got, tc.name)
		}
	}
}

func TestHashFromName(t *testing.T) {
	tests := []struct {
		name string
		h    crypto.Hash
		ok   bool
	}{
		{"MD5", crypto.MD5, true},
		{"SHA1", crypto.SHA1, true},
		{"SHA256", crypto.SHA256, true},
		{"SHA384", crypto.SHA384, true},
		{"SHA512", crypto.SHA512, true},
		{"sha256", 0, false},
		{"SHA-256", 0, false},
		{"SHA224", 0, false},
		{"MD2", 0, false},
		{"MD4", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		h, ok := HashFromName(tc.name)
		if h != tc.h || ok != tc.ok {
			t.Errorf("HashFromName(%q) = %v %v, want %v %v", tc.name, h, ok, tc.h, tc.ok)
		}
		if ok && !h.Available() {
			t.Errorf("%v not available", h)
		}
	}
}
