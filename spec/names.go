package spec

// Well-known directory and file names (ANSI; reference §3.6, §4.8).
const (
	DirBaseCSP           = "mscp"     // szBASE_CSP_DIR: the Base CSP/KSP application directory
	DirIntermediateCerts = "mscerts"  // szINTERMEDIATE_CERTS_DIR
	FileCache            = "cardcf"   // szCACHE_FILE, root: CARD_CACHE_FILE_FORMAT
	FileCardIdentifier   = "cardid"   // szCARD_IDENTIFIER_FILE, root: 16 bytes
	FileCardApps         = "cardapps" // root, 8-byte records (no header constant)
	FileContainerMap     = "cmapfile" // szCONTAINER_MAP_FILE, in mscp: CONTAINER_MAP_RECORDs
	FileRootStore        = "msroots"  // szROOT_STORE_FILE, in mscp: PKCS#7 store (optional)

	UserSignatureCertPrefix         = "ksc" // szUSER_SIGNATURE_CERT_PREFIX: mscp/kscNN
	UserKeyExchangeCertPrefix       = "kxc" // szUSER_KEYEXCHANGE_CERT_PREFIX: mscp/kxcNN
	UserSignaturePrivateKeyPrefix   = "kss" // szUSER_SIGNATURE_PRIVATE_KEY_PREFIX (not used by the Base CSP)
	UserSignaturePublicKeyPrefix    = "ksp" // szUSER_SIGNATURE_PUBLIC_KEY_PREFIX
	UserKeyExchangePrivateKeyPrefix = "kxs" // szUSER_KEYEXCHANGE_PRIVATE_KEY_PREFIX
	UserKeyExchangePublicKeyPrefix  = "kxp" // szUSER_KEYEXCHANGE_PUBLIC_KEY_PREFIX

	// MaxFileNameLen is the longest file or directory name, in ANSI characters (bytes).
	MaxFileNameLen = 8
	// CardIdentifierSize is the size of cardid and of the CP_CARD_GUID value.
	CardIdentifierSize = 16
	// CardAppsRecordSize is the size of one cardapps record (an application directory name,
	// NUL-padded).
	CardAppsRecordSize = 8
)

// CardAppsInitial returns the initial content of cardapps: one record naming "mscp",
// "mscp\0\0\0\0".
func CardAppsInitial() []byte {
	b := make([]byte, CardAppsRecordSize)
	copy(b, DirBaseCSP)
	return b
}

// Card, container and key property names and secure function names (UTF-16 on the wire,
// compared exactly; reference §3.7).
//
// Two value formats are UNSURE in the reference and are left to the engine: the dwFlags of
// CP_CHAINING_MODES (presumably CARD_CIPHER_OPERATION) and the width of the CCP_ASSOCIATED_ECDH_KEY
// value (the prose says "a container index": BYTE or DWORD).
const (
	CPCardFreeSpace             = "Free Space"                        // CP_CARD_FREE_SPACE: CARD_FREE_SPACE_INFO
	CPCardCapabilities          = "Capabilities"                      // CP_CARD_CAPABILITIES: CARD_CAPABILITIES
	CPCardKeySizes              = "Key Sizes"                         // CP_CARD_KEYSIZES: CARD_KEY_SIZES, dwFlags = AT_*
	CPCardReadOnly              = "Read Only Mode"                    // CP_CARD_READ_ONLY: BOOL
	CPCardCacheMode             = "Cache Mode"                        // CP_CARD_CACHE_MODE: DWORD CP_CACHE_MODE_*
	CPSupportsWinX509Enrollment = "Supports Windows x.509 Enrollment" // CP_SUPPORTS_WIN_X509_ENROLLMENT: BOOL
	CPCardGUID                  = "Card Identifier"                   // CP_CARD_GUID: the 16 bytes of cardid
	CPCardSerialNo              = "Card Serial Number"                // CP_CARD_SERIAL_NO: opaque bytes (optional)
	CPCardPINInfo               = "PIN Information"                   // CP_CARD_PIN_INFO: PIN_INFO, dwFlags = PIN_ID
	CPCardListPINs              = "PIN List"                          // CP_CARD_LIST_PINS: PIN_SET
	CPCardAuthenticatedState    = "Authenticated State"               // CP_CARD_AUTHENTICATED_STATE: PIN_SET (optional)
	CPCardPINStrengthVerify     = "PIN Strength Verify"               // CP_CARD_PIN_STRENGTH_VERIFY: DWORD, dwFlags = PIN_ID
	CPCardPINStrengthChange     = "PIN Strength Change"               // CP_CARD_PIN_STRENGTH_CHANGE (not used by the CSP/KSP)
	CPCardPINStrengthUnblock    = "PIN Strength Unblock"              // CP_CARD_PIN_STRENGTH_UNBLOCK (not used by the CSP/KSP)
	CPParentWindow              = "Parent Window"                     // CP_PARENT_WINDOW: HWND (pointer-sized), write-only
	CPPINContextString          = "PIN Context String"                // CP_PIN_CONTEXT_STRING: LPWSTR, write-only
	CPKeyImportSupport          = "Key Import Support"                // CP_KEY_IMPORT_SUPPORT: DWORD CARD_KEY_IMPORT_* (v7)
	CPEnumAlgorithms            = "Algorithms"                        // CP_ENUM_ALGORITHMS: UTF-16 multi-string (v7)
	CPPaddingSchemes            = "Padding Schemes"                   // CP_PADDING_SCHEMES: DWORD bitmask (v7)
	CPChainingModes             = "Chaining Modes"                    // CP_CHAINING_MODES: UTF-16 multi-string (v7)
	CCPContainerInfo            = "Container Info"                    // CCP_CONTAINER_INFO: CONTAINER_INFO
	CCPPINIdentifier            = "PIN Identifier"                    // CCP_PIN_IDENTIFIER: PIN_ID (DWORD)
	CCPAssociatedECDHKey        = "Associated ECDH Key"               // CCP_ASSOCIATED_ECDH_KEY: container index (v7)
	CKPChainingMode             = "ChainingMode"                      // CKP_CHAINING_MODE: LPWSTR (set)
	CKPInitializationVector     = "IV"                                // CKP_INITIALIZATION_VECTOR: bytes (set)
	CKPBlockLength              = "BlockLength"                       // CKP_BLOCK_LENGTH: DWORD (get)
	CSFImportKeypair            = "Import Key Pair"                   // CSF_IMPORT_KEYPAIR
	CSFChangeAuthenticator      = "Change Authenticator"              // CSF_CHANGE_AUTHENTICATOR
	CSFAuthenticate             = "Authenticate"                      // CSF_AUTHENTICATE
)

// ValidFileName reports whether name is a valid file or directory name (reference §3.6): 1 to 8
// ANSI characters (bytes), none of them NUL, a control code 1-31, or one of `" * / : < > ? \ |`.
//
// Decisions: the empty name is invalid; bytes 0x7F-0xFF are accepted, because the names are
// Windows ANSI (single-byte code page) strings, not ASCII. Names are case-insensitive; see
// FoldFileName.
func ValidFileName(name string) bool {
	if len(name) == 0 || len(name) > MaxFileNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 {
			return false
		}
		switch c {
		case '"', '*', '/', ':', '<', '>', '?', '\\', '|':
			return false
		}
	}
	return true
}

// FoldFileName returns the canonical (lowercase) form of a file or directory name, under which
// names compare case-insensitively ("convert to lowercase"). Only ASCII letters are folded: the
// case mapping of bytes 0x80-0xFF depends on the ANSI code page.
func FoldFileName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// CertFileName returns the certificate file name of a container: prefix followed by the
// container index as two lowercase hexadecimal digits, e.g. CertFileName("kxc", 0) = "kxc00" and
// CertFileName("ksc", 10) = "ksc0a".
//
// Decision (UNSURE in the reference): writers disagree (%02X in OpenSC's GIDS driver, %02i in
// OpenSC's minidriver, %02x in the Gemalto .NET minidriver); all agree below index 10, and two
// lowercase hex digits is the reference's recommendation.
func CertFileName(prefix string, index byte) string {
	const hexDigits = "0123456789abcdef"
	return prefix + string([]byte{hexDigits[index>>4], hexDigits[index&0xF]})
}

// ParseCertFileName parses a certificate file name written by CertFileName or by another writer:
// the prefix "ksc" or "kxc" (case-insensitive, returned in lowercase) followed by one or two
// hexadecimal digits (either case). A decimal-looking index is read as hexadecimal ("kxc10" is
// index 16), which agrees with decimal writers below index 10.
func ParseCertFileName(name string) (prefix string, index byte, ok bool) {
	if len(name) < 4 || len(name) > 5 {
		return "", 0, false
	}
	p := FoldFileName(name[:3])
	if p != UserSignatureCertPrefix && p != UserKeyExchangeCertPrefix {
		return "", 0, false
	}
	var v byte
	for i := 3; i < len(name); i++ {
		d, ok := hexValue(name[i])
		if !ok {
			return "", 0, false
		}
		v = v<<4 | d
	}
	return p, v, true
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
