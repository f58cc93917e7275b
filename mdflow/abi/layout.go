package abi

import "unsafe"

// ptrSize is the pointer size of this process and of the library it loads: 8 (x64) or 4 (x86).
const ptrSize = int(unsafe.Sizeof(uintptr(0)))

// off is a field offset on x64 and on x86, as the reference (shared/spec/minidriver-spec.md)
// lists them; at picks the one of this process.
type off struct{ x64, x86 int }

func (o off) at() int {
	if ptrSize == 8 {
		return o.x64
	}
	return o.x86
}

// cardDataField is one field of CARD_DATA (reference §1.2): its name, offsets, who sets it and
// the CARD_DATA version whose function table it belongs to.
type cardDataField struct {
	name string
	off  off
	// csp: set by the caller before CardAcquireContext (fields 0-13) or caller-owned in the
	// minidriver's area (pfnCspGetDHAgreement, pfnCspUnpadData).
	csp bool
	// version: for minidriver function slots, the lowest negotiated version that must have
	// the slot filled (0: must stay NULL, pvUnused3/4; -1: not a function slot).
	version int
}

// The CARD_DATA field table, transcribed once from the reference §1.2.
var cardData = []cardDataField{
	{"dwVersion", off{0, 0}, true, -1},
	{"pbAtr", off{8, 4}, true, -1},
	{"cbAtr", off{16, 8}, true, -1},
	{"pwszCardName", off{24, 12}, true, -1},
	{"pfnCspAlloc", off{32, 16}, true, -1},
	{"pfnCspReAlloc", off{40, 20}, true, -1},
	{"pfnCspFree", off{48, 24}, true, -1},
	{"pfnCspCacheAddFile", off{56, 28}, true, -1},
	{"pfnCspCacheLookupFile", off{64, 32}, true, -1},
	{"pfnCspCacheDeleteFile", off{72, 36}, true, -1},
	{"pvCacheContext", off{80, 40}, true, -1},
	{"pfnCspPadData", off{88, 44}, true, -1},
	{"hSCardCtx", off{96, 48}, true, -1},
	{"hScard", off{104, 52}, true, -1},
	{"pvVendorSpecific", off{112, 56}, false, -1},
	{"pfnCardDeleteContext", off{120, 60}, false, 4},
	{"pfnCardQueryCapabilities", off{128, 64}, false, 4},
	{"pfnCardDeleteContainer", off{136, 68}, false, 4},
	{"pfnCardCreateContainer", off{144, 72}, false, 4},
	{"pfnCardGetContainerInfo", off{152, 76}, false, 4},
	{"pfnCardAuthenticatePin", off{160, 80}, false, 4},
	{"pfnCardGetChallenge", off{168, 84}, false, 4},
	{"pfnCardAuthenticateChallenge", off{176, 88}, false, 4},
	{"pfnCardUnblockPin", off{184, 92}, false, 4},
	{"pfnCardChangeAuthenticator", off{192, 96}, false, 4},
	{"pfnCardDeauthenticate", off{200, 100}, false, 4},
	{"pfnCardCreateDirectory", off{208, 104}, false, 4},
	{"pfnCardDeleteDirectory", off{216, 108}, false, 4},
	{"pvUnused3", off{224, 112}, false, 0},
	{"pvUnused4", off{232, 116}, false, 0},
	{"pfnCardCreateFile", off{240, 120}, false, 4},
	{"pfnCardReadFile", off{248, 124}, false, 4},
	{"pfnCardWriteFile", off{256, 128}, false, 4},
	{"pfnCardDeleteFile", off{264, 132}, false, 4},
	{"pfnCardEnumFiles", off{272, 136}, false, 4},
	{"pfnCardGetFileInfo", off{280, 140}, false, 4},
	{"pfnCardQueryFreeSpace", off{288, 144}, false, 4},
	{"pfnCardQueryKeySizes", off{296, 148}, false, 4},
	{"pfnCardSignData", off{304, 152}, false, 4},
	{"pfnCardRSADecrypt", off{312, 156}, false, 4},
	{"pfnCardConstructDHAgreement", off{320, 160}, false, 4},
	{"pfnCardDeriveKey", off{328, 164}, false, 5},
	{"pfnCardDestroyDHAgreement", off{336, 168}, false, 5},
	{"pfnCspGetDHAgreement", off{344, 172}, true, -1},
	{"pfnCardGetChallengeEx", off{352, 176}, false, 6},
	{"pfnCardAuthenticateEx", off{360, 180}, false, 6},
	{"pfnCardChangeAuthenticatorEx", off{368, 184}, false, 6},
	{"pfnCardDeauthenticateEx", off{376, 188}, false, 6},
	{"pfnCardGetContainerProperty", off{384, 192}, false, 6},
	{"pfnCardSetContainerProperty", off{392, 196}, false, 6},
	{"pfnCardGetProperty", off{400, 200}, false, 6},
	{"pfnCardSetProperty", off{408, 204}, false, 6},
	{"pfnCspUnpadData", off{416, 208}, true, -1},
	{"pfnMDImportSessionKey", off{424, 212}, false, 7},
	{"pfnMDEncryptData", off{432, 216}, false, 7},
	{"pfnCardImportSessionKey", off{440, 220}, false, 7},
	{"pfnCardGetSharedKeyHandle", off{448, 224}, false, 7},
	{"pfnCardGetAlgorithmProperty", off{456, 228}, false, 7},
	{"pfnCardGetKeyProperty", off{464, 232}, false, 7},
	{"pfnCardSetKeyProperty", off{472, 236}, false, 7},
	{"pfnCardDestroyKey", off{480, 240}, false, 7},
	{"pfnCardProcessEncryptedData", off{488, 244}, false, 7},
	{"pfnCardCreateContainerEx", off{496, 248}, false, 7},
}

// sizeofCardData is sizeof(CARD_DATA): 504 on x64, 252 on x86.
var sizeofCardData = off{504, 252}

// fieldOff returns the offset of a CARD_DATA field by name (panics on a typo: a bug).
func fieldOff(name string) int {
	for _, f := range cardData {
		if f.name == name {
			return f.off.at()
		}
	}
	panic("abi: no CARD_DATA field " + name)
}

// Offsets of the other structures (reference §2), x64/x86.
var (
	// CARD_CAPABILITIES, 12/12
	capVersion, capCompression, capKeyGen, sizeofCaps = off{0, 0}, off{4, 4}, off{8, 8}, off{12, 12}
	// CONTAINER_INFO, 40/24
	ciVersion, ciReserved, ciCbSig, ciPbSig, ciCbKeyEx, ciPbKeyEx, sizeofCI = off{0, 0}, off{4, 4}, off{8, 8}, off{16, 12}, off{24, 16}, off{32, 20}, off{40, 24}
	// CARD_FILE_INFO 12, CARD_FREE_SPACE_INFO 16, CARD_KEY_SIZES 20 (DWORDs only)
	sizeofFileInfo, sizeofFreeSpace, sizeofKeySizes = off{12, 12}, off{16, 16}, off{20, 20}
	// CARD_SIGNING_INFO, 72/44
	siVersion, siContainer, siKeySpec, siFlags, siHashAlg = off{0, 0}, off{4, 4}, off{8, 8}, off{12, 12}, off{16, 16}
	siPbData, siCbData, siPbSigned, siCbSigned            = off{24, 20}, off{32, 24}, off{40, 28}, off{48, 32}
	siPadInfo, siPadType, sizeofSI                        = off{56, 36}, off{64, 40}, off{72, 44}
	// CARD_RSA_DECRYPT_INFO, v1 32/20, v2 48/28
	diVersion, diContainer, diKeySpec, diPbData, diCbData = off{0, 0}, off{4, 4}, off{8, 8}, off{16, 12}, off{24, 16}
	diPadInfo, diPadType, sizeofDIv1, sizeofDIv2          = off{32, 20}, off{40, 24}, off{32, 20}, off{48, 28}
	// CARD_DH_AGREEMENT_INFO, 40/32
	dhVersion, dhContainer, dhFlags, dhCbPub, dhPbPub = off{0, 0}, off{4, 4}, off{8, 8}, off{12, 12}, off{16, 16}
	dhPbReserved, dhCbReserved, dhIndex, sizeofDH     = off{24, 20}, off{32, 24}, off{36, 28}, off{40, 32}
	// CARD_DERIVE_KEY, v1 48/28, v2 72/40
	dkVersion, dkFlags, dkKDF, dkIndex, dkParams = off{0, 0}, off{4, 4}, off{8, 8}, off{16, 12}, off{24, 16}
	dkPbKey, dkCbKey, dkAlgID, dkKeyLen, dkHKey  = off{32, 20}, off{40, 24}, off{48, 28}, off{56, 32}, off{64, 36}
	sizeofDKv1, sizeofDKv2                       = off{48, 28}, off{72, 40}
	// BCryptBuffer 16/12 and BCryptBufferDesc 16/12
	bbCb, bbType, bbPv, sizeofBB            = off{0, 0}, off{4, 4}, off{8, 8}, off{16, 12}
	bdVersion, bdCount, bdBuffers, sizeofBD = off{0, 0}, off{4, 4}, off{8, 8}, off{16, 12}
	// BCRYPT_PKCS1_PADDING_INFO 8/4, BCRYPT_PSS_PADDING_INFO 16/8, BCRYPT_OAEP_PADDING_INFO 24/12
	pkcs1AlgID, sizeofPKCS1                       = off{0, 0}, off{8, 4}
	pssAlgID, pssSalt, sizeofPSS                  = off{0, 0}, off{8, 4}, off{16, 8}
	oaepAlgID, oaepLabel, oaepCbLabel, sizeofOAEP = off{0, 0}, off{8, 4}, off{16, 8}, off{24, 12}
	// CARD_ENCRYPTED_DATA 16/8
	edPb, edCb, sizeofED = off{0, 0}, off{8, 4}, off{16, 8}
)
