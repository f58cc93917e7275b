package spec

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sizes of the fixed binary formats, identical on x86 and x64 (reference §2).
const (
	CardCapabilitiesSize   = 12 // sizeof(CARD_CAPABILITIES)
	PINCachePolicySize     = 12 // sizeof(PIN_CACHE_POLICY)
	PINInfoSize            = 36 // sizeof(PIN_INFO)
	FileInfoSize           = 12 // sizeof(CARD_FILE_INFO)
	FreeSpaceInfoSize      = 16 // sizeof(CARD_FREE_SPACE_INFO)
	KeySizesSize           = 20 // sizeof(CARD_KEY_SIZES)
	CacheFileSize          = 6  // sizeof(CARD_CACHE_FILE_FORMAT)
	ContainerMapRecordSize = 86 // sizeof(CONTAINER_MAP_RECORD)

	ImportKeypairHeaderSize         = 24 // sizeof(CARD_IMPORT_KEYPAIR), without pbInput
	ChangeAuthenticatorHeaderSize   = 28 // sizeof(CARD_CHANGE_AUTHENTICATOR), without pbData
	ChangeAuthenticatorResponseSize = 8  // sizeof(CARD_CHANGE_AUTHENTICATOR_RESPONSE)
	AuthenticateHeaderSize          = 16 // sizeof(CARD_AUTHENTICATE), without pbPinData
	AuthenticateResponseHeaderSize  = 12 // sizeof(CARD_AUTHENTICATE_RESPONSE), without pbSessionPin
	KeyDataBlobHeaderSize           = 12 // sizeof(BCRYPT_KEY_DATA_BLOB_HEADER)

	// ContainerInfoSize64 and ContainerInfoSize32 are sizeof(CONTAINER_INFO) on x64 and x86: the
	// structure holds pointers.
	ContainerInfoSize64 = 40
	ContainerInfoSize32 = 24
)

var le = binary.LittleEndian

func boolDWORD(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// checkSize returns an error unless len(b) == n.
func checkSize(what string, b []byte, n int) error {
	if len(b) != n {
		return fmt.Errorf("spec: %s: %d bytes, want %d", what, len(b), n)
	}
	return nil
}

// CardCapabilities is CARD_CAPABILITIES (CardQueryCapabilities, CP_CARD_CAPABILITIES; 12 bytes).
// BOOL fields are written as 1/0 and any nonzero value parses as true.
type CardCapabilities struct {
	Version                uint32 // dwVersion, offset 0
	CertificateCompression bool   // fCertificateCompression, offset 4: the minidriver compresses certificates itself
	KeyGen                 bool   // fKeyGen, offset 8: on-card key generation
}

// MarshalBinary returns the 12-byte structure.
func (c CardCapabilities) MarshalBinary() []byte {
	b := make([]byte, CardCapabilitiesSize)
	le.PutUint32(b[0:], c.Version)
	le.PutUint32(b[4:], boolDWORD(c.CertificateCompression))
	le.PutUint32(b[8:], boolDWORD(c.KeyGen))
	return b
}

// ParseCardCapabilities parses exactly 12 bytes.
func ParseCardCapabilities(b []byte) (CardCapabilities, error) {
	if err := checkSize("CARD_CAPABILITIES", b, CardCapabilitiesSize); err != nil {
		return CardCapabilities{}, err
	}
	return CardCapabilities{
		Version:                le.Uint32(b[0:]),
		CertificateCompression: le.Uint32(b[4:]) != 0,
		KeyGen:                 le.Uint32(b[8:]) != 0,
	}, nil
}

// UnmarshalBinary is ParseCardCapabilities into c.
func (c *CardCapabilities) UnmarshalBinary(b []byte) error {
	v, err := ParseCardCapabilities(b)
	if err == nil {
		*c = v
	}
	return err
}

// PINCachePolicy is PIN_CACHE_POLICY (12 bytes).
type PINCachePolicy struct {
	Version uint32             // dwVersion, offset 0
	Type    PINCachePolicyType // PinCachePolicyType, offset 4
	Info    uint32             // dwPinCachePolicyInfo, offset 8: seconds for PinCacheTimed
}

// MarshalBinary returns the 12-byte structure.
func (p PINCachePolicy) MarshalBinary() []byte {
	b := make([]byte, PINCachePolicySize)
	p.put(b)
	return b
}

func (p PINCachePolicy) put(b []byte) {
	le.PutUint32(b[0:], p.Version)
	le.PutUint32(b[4:], uint32(p.Type))
	le.PutUint32(b[8:], p.Info)
}

func getPINCachePolicy(b []byte) PINCachePolicy {
	return PINCachePolicy{
		Version: le.Uint32(b[0:]),
		Type:    PINCachePolicyType(le.Uint32(b[4:])),
		Info:    le.Uint32(b[8:]),
	}
}

// ParsePINCachePolicy parses exactly 12 bytes.
func ParsePINCachePolicy(b []byte) (PINCachePolicy, error) {
	if err := checkSize("PIN_CACHE_POLICY", b, PINCachePolicySize); err != nil {
		return PINCachePolicy{}, err
	}
	return getPINCachePolicy(b), nil
}

// UnmarshalBinary is ParsePINCachePolicy into p.
func (p *PINCachePolicy) UnmarshalBinary(b []byte) error {
	v, err := ParsePINCachePolicy(b)
	if err == nil {
		*p = v
	}
	return err
}

// PINInfo is PIN_INFO (CP_CARD_PIN_INFO; 36 bytes).
type PINInfo struct {
	Version           uint32         // dwVersion, offset 0 (PINInfoCurrentVersion = 6)
	PinType           SecretType     // PinType, offset 4
	PinPurpose        SecretPurpose  // PinPurpose, offset 8
	ChangePermission  PINSet         // dwChangePermission, offset 12
	UnblockPermission PINSet         // dwUnblockPermission, offset 16
	CachePolicy       PINCachePolicy // PinCachePolicy, offset 20 (embedded, 12 bytes)
	Flags             uint32         // dwFlags, offset 32: PINInfoRequireSecureEntry
}

// MarshalBinary returns the 36-byte structure.
func (p PINInfo) MarshalBinary() []byte {
	b := make([]byte, PINInfoSize)
	le.PutUint32(b[0:], p.Version)
	le.PutUint32(b[4:], uint32(p.PinType))
	le.PutUint32(b[8:], uint32(p.PinPurpose))
	le.PutUint32(b[12:], uint32(p.ChangePermission))
	le.PutUint32(b[16:], uint32(p.UnblockPermission))
	p.CachePolicy.put(b[20:32])
	le.PutUint32(b[32:], p.Flags)
	return b
}

// ParsePINInfo parses exactly 36 bytes.
func ParsePINInfo(b []byte) (PINInfo, error) {
	if err := checkSize("PIN_INFO", b, PINInfoSize); err != nil {
		return PINInfo{}, err
	}
	return PINInfo{
		Version:           le.Uint32(b[0:]),
		PinType:           SecretType(le.Uint32(b[4:])),
		PinPurpose:        SecretPurpose(le.Uint32(b[8:])),
		ChangePermission:  PINSet(le.Uint32(b[12:])),
		UnblockPermission: PINSet(le.Uint32(b[16:])),
		CachePolicy:       getPINCachePolicy(b[20:32]),
		Flags:             le.Uint32(b[32:]),
	}, nil
}

// UnmarshalBinary is ParsePINInfo into p.
func (p *PINInfo) UnmarshalBinary(b []byte) error {
	v, err := ParsePINInfo(b)
	if err == nil {
		*p = v
	}
	return err
}

// FileInfo is CARD_FILE_INFO (CardGetFileInfo; 12 bytes).
type FileInfo struct {
	Version         uint32              // dwVersion, offset 0
	FileSize        uint32              // cbFileSize, offset 4: logical (uncompressed) size
	AccessCondition FileAccessCondition // AccessCondition, offset 8
}

// MarshalBinary returns the 12-byte structure.
func (f FileInfo) MarshalBinary() []byte {
	b := make([]byte, FileInfoSize)
	le.PutUint32(b[0:], f.Version)
	le.PutUint32(b[4:], f.FileSize)
	le.PutUint32(b[8:], uint32(f.AccessCondition))
	return b
}

// ParseFileInfo parses exactly 12 bytes.
func ParseFileInfo(b []byte) (FileInfo, error) {
	if err := checkSize("CARD_FILE_INFO", b, FileInfoSize); err != nil {
		return FileInfo{}, err
	}
	return FileInfo{
		Version:         le.Uint32(b[0:]),
		FileSize:        le.Uint32(b[4:]),
		AccessCondition: FileAccessCondition(le.Uint32(b[8:])),
	}, nil
}

// UnmarshalBinary is ParseFileInfo into f.
func (f *FileInfo) UnmarshalBinary(b []byte) error {
	v, err := ParseFileInfo(b)
	if err == nil {
		*f = v
	}
	return err
}

// FreeSpaceInfo is CARD_FREE_SPACE_INFO (CardQueryFreeSpace, CP_CARD_FREE_SPACE; 16 bytes).
// Unknown values are CardDataValueUnknown.
type FreeSpaceInfo struct {
	Version                uint32 // dwVersion, offset 0
	BytesAvailable         uint32 // dwBytesAvailable, offset 4
	KeyContainersAvailable uint32 // dwKeyContainersAvailable, offset 8
	MaxKeyContainers       uint32 // dwMaxKeyContainers, offset 12
}

// MarshalBinary returns the 16-byte structure.
func (f FreeSpaceInfo) MarshalBinary() []byte {
	b := make([]byte, FreeSpaceInfoSize)
	le.PutUint32(b[0:], f.Version)
	le.PutUint32(b[4:], f.BytesAvailable)
	le.PutUint32(b[8:], f.KeyContainersAvailable)
	le.PutUint32(b[12:], f.MaxKeyContainers)
	return b
}

// ParseFreeSpaceInfo parses exactly 16 bytes.
func ParseFreeSpaceInfo(b []byte) (FreeSpaceInfo, error) {
	if err := checkSize("CARD_FREE_SPACE_INFO", b, FreeSpaceInfoSize); err != nil {
		return FreeSpaceInfo{}, err
	}
	return FreeSpaceInfo{
		Version:                le.Uint32(b[0:]),
		BytesAvailable:         le.Uint32(b[4:]),
		KeyContainersAvailable: le.Uint32(b[8:]),
		MaxKeyContainers:       le.Uint32(b[12:]),
	}, nil
}

// UnmarshalBinary is ParseFreeSpaceInfo into f.
func (f *FreeSpaceInfo) UnmarshalBinary(b []byte) error {
	v, err := ParseFreeSpaceInfo(b)
	if err == nil {
		*f = v
	}
	return err
}

// KeySizes is CARD_KEY_SIZES (CardQueryKeySizes, CP_CARD_KEYSIZES; 20 bytes). For ECC,
// Minimum = Default = Maximum = the curve size and Incremental = 1.
type KeySizes struct {
	Version     uint32 // dwVersion, offset 0
	Minimum     uint32 // dwMinimumBitlen, offset 4
	Default     uint32 // dwDefaultBitlen, offset 8 (missing from the mingw-w64 header)
	Maximum     uint32 // dwMaximumBitlen, offset 12
	Incremental uint32 // dwIncrementalBitlen, offset 16
}

// MarshalBinary returns the 20-byte structure.
func (k KeySizes) MarshalBinary() []byte {
	b := make([]byte, KeySizesSize)
	le.PutUint32(b[0:], k.Version)
	le.PutUint32(b[4:], k.Minimum)
	le.PutUint32(b[8:], k.Default)
	le.PutUint32(b[12:], k.Maximum)
	le.PutUint32(b[16:], k.Incremental)
	return b
}

// ParseKeySizes parses exactly 20 bytes.
func ParseKeySizes(b []byte) (KeySizes, error) {
	if err := checkSize("CARD_KEY_SIZES", b, KeySizesSize); err != nil {
		return KeySizes{}, err
	}
	return KeySizes{
		Version:     le.Uint32(b[0:]),
		Minimum:     le.Uint32(b[4:]),
		Default:     le.Uint32(b[8:]),
		Maximum:     le.Uint32(b[12:]),
		Incremental: le.Uint32(b[16:]),
	}, nil
}

// UnmarshalBinary is ParseKeySizes into k.
func (k *KeySizes) UnmarshalBinary(b []byte) error {
	v, err := ParseKeySizes(b)
	if err == nil {
		*k = v
	}
	return err
}

// ContainerInfo is the content of CONTAINER_INFO (CardGetContainerInfo, CCP_CONTAINER_INFO) as
// the engine produces it: the DWORD fields and the two public key blobs (see
// MarshalRSAPublicKeyBlob and MarshalECCPublicKeyBlob). A nil blob means the key is absent
// (cb = 0, pb = NULL). The ABI layer copies the blobs into pfnCspAlloc memory and fills the
// pointer-holding C structure, for example with ContainerInfoHeader.
type ContainerInfo struct {
	Version        uint32 // dwVersion
	Reserved       uint32 // dwReserved
	SigPublicKey   []byte // pbSigPublicKey contents (signature / ECDSA key)
	KeyExPublicKey []byte // pbKeyExPublicKey contents (key exchange / ECDH key)
}

// Header returns the C-level fields of c with the given pointer values for the blobs.
func (c ContainerInfo) Header(pbSig, pbKeyEx uint64) ContainerInfoHeader {
	return ContainerInfoHeader{
		Version:           c.Version,
		Reserved:          c.Reserved,
		SigPublicKeyLen:   uint32(len(c.SigPublicKey)),
		SigPublicKeyPtr:   pbSig,
		KeyExPublicKeyLen: uint32(len(c.KeyExPublicKey)),
		KeyExPublicKeyPtr: pbKeyEx,
	}
}

// ContainerInfoHeader is the C structure CONTAINER_INFO with its pointers as plain integers
// (addresses in the caller's process, never Go pointers). Its layout depends on the pointer size:
// 40 bytes on x64 (offsets 0, 4, 8, 16, 24, 32) and 24 bytes on x86 (0, 4, 8, 12, 16, 20).
type ContainerInfoHeader struct {
	Version           uint32 // dwVersion
	Reserved          uint32 // dwReserved
	SigPublicKeyLen   uint32 // cbSigPublicKey
	SigPublicKeyPtr   uint64 // pbSigPublicKey
	KeyExPublicKeyLen uint32 // cbKeyExPublicKey
	KeyExPublicKeyPtr uint64 // pbKeyExPublicKey
}

// MarshalBinaryFor returns the structure laid out for a pointer size of 8 (x64) or 4 (x86). A
// pointer value that does not fit in 4 bytes on x86, or another pointer size, is an error.
func (h ContainerInfoHeader) MarshalBinaryFor(ptrSize int) ([]byte, error) {
	switch ptrSize {
	case 8:
		b := make([]byte, ContainerInfoSize64)
		le.PutUint32(b[0:], h.Version)
		le.PutUint32(b[4:], h.Reserved)
		le.PutUint32(b[8:], h.SigPublicKeyLen)
		le.PutUint64(b[16:], h.SigPublicKeyPtr)
		le.PutUint32(b[24:], h.KeyExPublicKeyLen)
		le.PutUint64(b[32:], h.KeyExPublicKeyPtr)
		return b, nil
	case 4:
		if h.SigPublicKeyPtr > 0xFFFFFFFF || h.KeyExPublicKeyPtr > 0xFFFFFFFF {
			return nil, fmt.Errorf("spec: CONTAINER_INFO: pointer does not fit in 32 bits")
		}
		b := make([]byte, ContainerInfoSize32)
		le.PutUint32(b[0:], h.Version)
		le.PutUint32(b[4:], h.Reserved)
		le.PutUint32(b[8:], h.SigPublicKeyLen)
		le.PutUint32(b[12:], uint32(h.SigPublicKeyPtr))
		le.PutUint32(b[16:], h.KeyExPublicKeyLen)
		le.PutUint32(b[20:], uint32(h.KeyExPublicKeyPtr))
		return b, nil
	}
	return nil, fmt.Errorf("spec: CONTAINER_INFO: unsupported pointer size %d", ptrSize)
}

// ParseContainerInfoHeader parses a CONTAINER_INFO laid out for a pointer size of 8 or 4. The
// length must be exactly 40 or 24 bytes. Padding bytes (12-15 and 28-31 on x64) are ignored.
func ParseContainerInfoHeader(b []byte, ptrSize int) (ContainerInfoHeader, error) {
	switch ptrSize {
	case 8:
		if err := checkSize("CONTAINER_INFO (x64)", b, ContainerInfoSize64); err != nil {
			return ContainerInfoHeader{}, err
		}
		return ContainerInfoHeader{
			Version:           le.Uint32(b[0:]),
			Reserved:          le.Uint32(b[4:]),
			SigPublicKeyLen:   le.Uint32(b[8:]),
			SigPublicKeyPtr:   le.Uint64(b[16:]),
			KeyExPublicKeyLen: le.Uint32(b[24:]),
			KeyExPublicKeyPtr: le.Uint64(b[32:]),
		}, nil
	case 4:
		if err := checkSize("CONTAINER_INFO (x86)", b, ContainerInfoSize32); err != nil {
			return ContainerInfoHeader{}, err
		}
		return ContainerInfoHeader{
			Version:           le.Uint32(b[0:]),
			Reserved:          le.Uint32(b[4:]),
			SigPublicKeyLen:   le.Uint32(b[8:]),
			SigPublicKeyPtr:   uint64(le.Uint32(b[12:])),
			KeyExPublicKeyLen: le.Uint32(b[16:]),
			KeyExPublicKeyPtr: uint64(le.Uint32(b[20:])),
		}, nil
	}
	return ContainerInfoHeader{}, fmt.Errorf("spec: CONTAINER_INFO: unsupported pointer size %d", ptrSize)
}

// CacheFile is the content of cardcf, CARD_CACHE_FILE_FORMAT (6 bytes), plus any bytes that
// follow: the specification lets applications append "a succession of 32-bit cache values",
// which must be preserved.
type CacheFile struct {
	Version             byte   // bVersion, offset 0
	PinsFreshness       byte   // bPinsFreshness, offset 1
	ContainersFreshness uint16 // wContainersFreshness, offset 2
	FilesFreshness      uint16 // wFilesFreshness, offset 4
	Extra               []byte // bytes after offset 6, kept as they are
}

// MarshalBinary returns the 6-byte structure followed by Extra.
func (c CacheFile) MarshalBinary() []byte {
	b := make([]byte, CacheFileSize, CacheFileSize+len(c.Extra))
	b[0] = c.Version
	b[1] = c.PinsFreshness
	le.PutUint16(b[2:], c.ContainersFreshness)
	le.PutUint16(b[4:], c.FilesFreshness)
	return append(b, c.Extra...)
}

// ParseCacheFile parses cardcf: at least 6 bytes; the rest goes to Extra (copied, nil when there
// is none). The trailing bytes need not be a multiple of 4: they belong to applications.
func ParseCacheFile(b []byte) (CacheFile, error) {
	if len(b) < CacheFileSize {
		return CacheFile{}, fmt.Errorf("spec: cardcf: %d bytes, want at least %d", len(b), CacheFileSize)
	}
	c := CacheFile{
		Version:             b[0],
		PinsFreshness:       b[1],
		ContainersFreshness: le.Uint16(b[2:]),
		FilesFreshness:      le.Uint16(b[4:]),
	}
	if len(b) > CacheFileSize {
		c.Extra = append([]byte(nil), b[CacheFileSize:]...)
	}
	return c, nil
}

// UnmarshalBinary is ParseCacheFile into c.
func (c *CacheFile) UnmarshalBinary(b []byte) error {
	v, err := ParseCacheFile(b)
	if err == nil {
		*c = v
	}
	return err
}

// BumpPINs increments the PIN freshness counter (wrapping at 255 to 0).
func (c *CacheFile) BumpPINs() { c.PinsFreshness++ }

// BumpContainers increments the container freshness counter (wrapping at 65535 to 0).
func (c *CacheFile) BumpContainers() { c.ContainersFreshness++ }

// BumpFiles increments the file freshness counter (wrapping at 65535 to 0).
func (c *CacheFile) BumpFiles() { c.FilesFreshness++ }

// ContainerMapRecord is CONTAINER_MAP_RECORD, one 86-byte record of mscp/cmapfile. The record
// index is the container index. A deleted container's record is all zero.
type ContainerMapRecord struct {
	// GUID is wszGuid (offset 0, 80 bytes): the container name in UTF-16, NUL-terminated. It is
	// kept raw, so that parsing and marshalling give back the card's bytes exactly; use Name and
	// SetName to read and write it.
	GUID                   [MaxContainerNameLen + 1]uint16
	Flags                  byte   // bFlags, offset 80: ContainerMapValidContainer | ContainerMapDefaultContainer
	Reserved               byte   // bReserved, offset 81
	SigKeySizeBits         uint16 // wSigKeySizeBits, offset 82
	KeyExchangeKeySizeBits uint16 // wKeyExchangeKeySizeBits, offset 84
}

// Name returns the container name: wszGuid up to its first NUL (all 40 units when a damaged
// record has none).
func (r ContainerMapRecord) Name() string { return StringFromUTF16(r.GUID[:]) }

// SetName stores name in wszGuid, NUL-padded. The name must be 1 to 39 UTF-16 code units of valid
// UTF-8 without NUL or backslash (reference §2.11). An empty slot is the zero record, not an
// empty name.
func (r *ContainerMapRecord) SetName(name string) error {
	if name == "" {
		return fmt.Errorf("spec: container name is empty")
	}
	if strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("spec: container name %q contains a backslash or NUL", name)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("spec: container name %q is not valid UTF-8", name)
	}
	u := UTF16FromString(name)
	if len(u) > MaxContainerNameLen {
		return fmt.Errorf("spec: container name %q is %d UTF-16 units, at most %d", name, len(u), MaxContainerNameLen)
	}
	r.GUID = [MaxContainerNameLen + 1]uint16{}
	copy(r.GUID[:], u)
	return nil
}

// Valid reports whether the record's valid bit is set.
func (r ContainerMapRecord) Valid() bool { return r.Flags&ContainerMapValidContainer != 0 }

// Default reports whether the record's default bit is set.
func (r ContainerMapRecord) Default() bool { return r.Flags&ContainerMapDefaultContainer != 0 }

// MarshalBinary returns the 86-byte record.
func (r ContainerMapRecord) MarshalBinary() []byte {
	b := make([]byte, ContainerMapRecordSize)
	r.put(b)
	return b
}

func (r ContainerMapRecord) put(b []byte) {
	for i, c := range r.GUID {
		le.PutUint16(b[2*i:], c)
	}
	b[80] = r.Flags
	b[81] = r.Reserved
	le.PutUint16(b[82:], r.SigKeySizeBits)
	le.PutUint16(b[84:], r.KeyExchangeKeySizeBits)
}

func getContainerMapRecord(b []byte) ContainerMapRecord {
	var r ContainerMapRecord
	for i := range r.GUID {
		r.GUID[i] = le.Uint16(b[2*i:])
	}
	r.Flags = b[80]
	r.Reserved = b[81]
	r.SigKeySizeBits = le.Uint16(b[82:])
	r.KeyExchangeKeySizeBits = le.Uint16(b[84:])
	return r
}

// ParseContainerMap parses cmapfile: a sequence of 86-byte records (an empty file is an empty
// map). A length that is not a multiple of 86 is an error. The records' contents are not
// validated: the CSP owns this file and the minidriver must hand it back unchanged.
func ParseContainerMap(b []byte) ([]ContainerMapRecord, error) {
	if len(b)%ContainerMapRecordSize != 0 {
		return nil, fmt.Errorf("spec: cmapfile: %d bytes is not a multiple of %d", len(b), ContainerMapRecordSize)
	}
	recs := make([]ContainerMapRecord, len(b)/ContainerMapRecordSize)
	for i := range recs {
		recs[i] = getContainerMapRecord(b[i*ContainerMapRecordSize:])
	}
	return recs, nil
}

// MarshalContainerMap returns cmapfile for the records (len(recs) × 86 bytes).
func MarshalContainerMap(recs []ContainerMapRecord) []byte {
	b := make([]byte, len(recs)*ContainerMapRecordSize)
	for i := range recs {
		recs[i].put(b[i*ContainerMapRecordSize:])
	}
	return b
}

// ImportKeypair is CARD_IMPORT_KEYPAIR (CSF_IMPORT_KEYPAIR): a 24-byte header followed by
// cbInput bytes of key blob.
type ImportKeypair struct {
	Version        uint32  // dwVersion, offset 0
	ContainerIndex byte    // bContainerIndex, offset 4 (then 3 bytes of padding)
	PinID          PINID   // PinId, offset 8
	KeySpec        KeySpec // dwKeySpec, offset 12
	KeySize        uint32  // dwKeySize, offset 16 (bits)
	Input          []byte  // pbInput, offset 24; cbInput (offset 20) = len(Input)
}

// MarshalBinary returns the header and the key blob (padding bytes zero).
func (k ImportKeypair) MarshalBinary() []byte {
	b := make([]byte, ImportKeypairHeaderSize, ImportKeypairHeaderSize+len(k.Input))
	le.PutUint32(b[0:], k.Version)
	b[4] = k.ContainerIndex
	le.PutUint32(b[8:], uint32(k.PinID))
	le.PutUint32(b[12:], uint32(k.KeySpec))
	le.PutUint32(b[16:], k.KeySize)
	le.PutUint32(b[20:], uint32(len(k.Input)))
	return append(b, k.Input...)
}

// ParseImportKeypair parses a CARD_IMPORT_KEYPAIR buffer, whose length must be exactly
// 24 + cbInput. The padding bytes are ignored; Input is a copy.
func ParseImportKeypair(b []byte) (ImportKeypair, error) {
	if len(b) < ImportKeypairHeaderSize {
		return ImportKeypair{}, fmt.Errorf("spec: CARD_IMPORT_KEYPAIR: %d bytes, want at least %d", len(b), ImportKeypairHeaderSize)
	}
	cb := le.Uint32(b[20:])
	if uint64(len(b)) != ImportKeypairHeaderSize+uint64(cb) {
		return ImportKeypair{}, fmt.Errorf("spec: CARD_IMPORT_KEYPAIR: cbInput %d does not match %d bytes of data", cb, len(b)-ImportKeypairHeaderSize)
	}
	return ImportKeypair{
		Version:        le.Uint32(b[0:]),
		ContainerIndex: b[4],
		PinID:          PINID(le.Uint32(b[8:])),
		KeySpec:        KeySpec(le.Uint32(b[12:])),
		KeySize:        le.Uint32(b[16:]),
		Input:          append([]byte{}, b[ImportKeypairHeaderSize:]...),
	}, nil
}

// ChangeAuthenticator is CARD_CHANGE_AUTHENTICATOR (CSF_CHANGE_AUTHENTICATOR): a 28-byte header
// followed by the authenticating PIN data and the target (new) data.
type ChangeAuthenticator struct {
	Version               uint32 // dwVersion, offset 0
	Flags                 uint32 // dwFlags, offset 4: PINChangeFlagUnblock / PINChangeFlagChangePIN
	AuthenticatingPinID   PINID  // dwAuthenticatingPinId, offset 8
	AuthenticatingPinData []byte // at pbData (offset 28); cbAuthenticatingPinData at offset 12
	TargetPinID           PINID  // dwTargetPinId, offset 16
	TargetData            []byte // at pbData + cbAuthenticatingPinData; cbTargetData at offset 20
	RetryCount            uint32 // cRetryCount, offset 24
}

// MarshalBinary returns the header followed by both data fields.
func (c ChangeAuthenticator) MarshalBinary() []byte {
	b := make([]byte, ChangeAuthenticatorHeaderSize, ChangeAuthenticatorHeaderSize+len(c.AuthenticatingPinData)+len(c.TargetData))
	le.PutUint32(b[0:], c.Version)
	le.PutUint32(b[4:], c.Flags)
	le.PutUint32(b[8:], uint32(c.AuthenticatingPinID))
	le.PutUint32(b[12:], uint32(len(c.AuthenticatingPinData)))
	le.PutUint32(b[16:], uint32(c.TargetPinID))
	le.PutUint32(b[20:], uint32(len(c.TargetData)))
	le.PutUint32(b[24:], c.RetryCount)
	b = append(b, c.AuthenticatingPinData...)
	return append(b, c.TargetData...)
}

// ParseChangeAuthenticator parses a CARD_CHANGE_AUTHENTICATOR buffer, whose length must be
// exactly 28 + cbAuthenticatingPinData + cbTargetData. The data fields are copies.
func ParseChangeAuthenticator(b []byte) (ChangeAuthenticator, error) {
	if len(b) < ChangeAuthenticatorHeaderSize {
		return ChangeAuthenticator{}, fmt.Errorf("spec: CARD_CHANGE_AUTHENTICATOR: %d bytes, want at least %d", len(b), ChangeAuthenticatorHeaderSize)
	}
	cbAuth, cbTarget := le.Uint32(b[12:]), le.Uint32(b[20:])
	if uint64(len(b)) != ChangeAuthenticatorHeaderSize+uint64(cbAuth)+uint64(cbTarget) {
		return ChangeAuthenticator{}, fmt.Errorf("spec: CARD_CHANGE_AUTHENTICATOR: lengths %d + %d do not match %d bytes of data", cbAuth, cbTarget, len(b)-ChangeAuthenticatorHeaderSize)
	}
	data := b[ChangeAuthenticatorHeaderSize:]
	return ChangeAuthenticator{
		Version:               le.Uint32(b[0:]),
		Flags:                 le.Uint32(b[4:]),
		AuthenticatingPinID:   PINID(le.Uint32(b[8:])),
		AuthenticatingPinData: append([]byte{}, data[:cbAuth]...),
		TargetPinID:           PINID(le.Uint32(b[16:])),
		TargetData:            append([]byte{}, data[cbAuth:]...),
		RetryCount:            le.Uint32(b[24:]),
	}, nil
}

// ChangeAuthenticatorResponse is CARD_CHANGE_AUTHENTICATOR_RESPONSE (8 bytes).
type ChangeAuthenticatorResponse struct {
	Version           uint32 // dwVersion, offset 0
	AttemptsRemaining uint32 // cAttemptsRemaining, offset 4
}

// MarshalBinary returns the 8-byte structure.
func (r ChangeAuthenticatorResponse) MarshalBinary() []byte {
	b := make([]byte, ChangeAuthenticatorResponseSize)
	le.PutUint32(b[0:], r.Version)
	le.PutUint32(b[4:], r.AttemptsRemaining)
	return b
}

// ParseChangeAuthenticatorResponse parses exactly 8 bytes.
func ParseChangeAuthenticatorResponse(b []byte) (ChangeAuthenticatorResponse, error) {
	if err := checkSize("CARD_CHANGE_AUTHENTICATOR_RESPONSE", b, ChangeAuthenticatorResponseSize); err != nil {
		return ChangeAuthenticatorResponse{}, err
	}
	return ChangeAuthenticatorResponse{Version: le.Uint32(b[0:]), AttemptsRemaining: le.Uint32(b[4:])}, nil
}

// Authenticate is CARD_AUTHENTICATE (CSF_AUTHENTICATE): a 16-byte header followed by the PIN
// data.
type Authenticate struct {
	Version uint32 // dwVersion, offset 0
	Flags   uint32 // dwFlags, offset 4: as CardAuthenticateEx dwFlags
	PinID   PINID  // PinId, offset 8
	PinData []byte // pbPinData, offset 16; cbPinData (offset 12) = len(PinData)
}

// MarshalBinary returns the header followed by the PIN data.
func (a Authenticate) MarshalBinary() []byte {
	b := make([]byte, AuthenticateHeaderSize, AuthenticateHeaderSize+len(a.PinData))
	le.PutUint32(b[0:], a.Version)
	le.PutUint32(b[4:], a.Flags)
	le.PutUint32(b[8:], uint32(a.PinID))
	le.PutUint32(b[12:], uint32(len(a.PinData)))
	return append(b, a.PinData...)
}

// ParseAuthenticate parses a CARD_AUTHENTICATE buffer, whose length must be exactly
// 16 + cbPinData. PinData is a copy.
func ParseAuthenticate(b []byte) (Authenticate, error) {
	if len(b) < AuthenticateHeaderSize {
		return Authenticate{}, fmt.Errorf("spec: CARD_AUTHENTICATE: %d bytes, want at least %d", len(b), AuthenticateHeaderSize)
	}
	cb := le.Uint32(b[12:])
	if uint64(len(b)) != AuthenticateHeaderSize+uint64(cb) {
		return Authenticate{}, fmt.Errorf("spec: CARD_AUTHENTICATE: cbPinData %d does not match %d bytes of data", cb, len(b)-AuthenticateHeaderSize)
	}
	return Authenticate{
		Version: le.Uint32(b[0:]),
		Flags:   le.Uint32(b[4:]),
		PinID:   PINID(le.Uint32(b[8:])),
		PinData: append([]byte{}, b[AuthenticateHeaderSize:]...),
	}, nil
}

// AuthenticateResponse is CARD_AUTHENTICATE_RESPONSE: a 12-byte header followed by the session
// PIN (cbSessionPin must be 0 when none is returned).
type AuthenticateResponse struct {
	Version           uint32 // dwVersion, offset 0
	SessionPin        []byte // pbSessionPin, offset 12; cbSessionPin (offset 4) = len(SessionPin)
	AttemptsRemaining uint32 // cAttemptsRemaining, offset 8
}

// MarshalBinary returns the header followed by the session PIN.
func (a AuthenticateResponse) MarshalBinary() []byte {
	b := make([]byte, AuthenticateResponseHeaderSize, AuthenticateResponseHeaderSize+len(a.SessionPin))
	le.PutUint32(b[0:], a.Version)
	le.PutUint32(b[4:], uint32(len(a.SessionPin)))
	le.PutUint32(b[8:], a.AttemptsRemaining)
	return append(b, a.SessionPin...)
}

// ParseAuthenticateResponse parses a CARD_AUTHENTICATE_RESPONSE buffer, whose length must be
// exactly 12 + cbSessionPin. SessionPin is a copy (nil when cbSessionPin is 0).
func ParseAuthenticateResponse(b []byte) (AuthenticateResponse, error) {
	if len(b) < AuthenticateResponseHeaderSize {
		return AuthenticateResponse{}, fmt.Errorf("spec: CARD_AUTHENTICATE_RESPONSE: %d bytes, want at least %d", len(b), AuthenticateResponseHeaderSize)
	}
	cb := le.Uint32(b[4:])
	if uint64(len(b)) != AuthenticateResponseHeaderSize+uint64(cb) {
		return AuthenticateResponse{}, fmt.Errorf("spec: CARD_AUTHENTICATE_RESPONSE: cbSessionPin %d does not match %d bytes of data", cb, len(b)-AuthenticateResponseHeaderSize)
	}
	r := AuthenticateResponse{Version: le.Uint32(b[0:]), AttemptsRemaining: le.Uint32(b[8:])}
	if cb > 0 {
		r.SessionPin = append([]byte{}, b[AuthenticateResponseHeaderSize:]...)
	}
	return r, nil
}

// MarshalKeyDataBlob returns a BCRYPT_KEY_DATA_BLOB ("KeyDataBlob"): the 12-byte
// BCRYPT_KEY_DATA_BLOB_HEADER {magic "KDBM", version 1, cbKeyData} followed by the key bytes.
func MarshalKeyDataBlob(key []byte) []byte {
	b := make([]byte, KeyDataBlobHeaderSize, KeyDataBlobHeaderSize+len(key))
	le.PutUint32(b[0:], BCryptKeyDataBlobMagic)
	le.PutUint32(b[4:], BCryptKeyDataBlobVersion1)
	le.PutUint32(b[8:], uint32(len(key)))
	return append(b, key...)
}

// ParseKeyDataBlobHeader checks the BCRYPT_KEY_DATA_BLOB_HEADER at the start of b (magic and
// version) and returns cbKeyData and the bytes after the header, without relating the two: in
// CardImportSessionKey everything after the header is encrypted, so its length differs from
// cbKeyData.
func ParseKeyDataBlobHeader(b []byte) (cbKeyData uint32, rest []byte, err error) {
	if len(b) < KeyDataBlobHeaderSize {
		return 0, nil, fmt.Errorf("spec: key data blob: %d bytes, want at least %d", len(b), KeyDataBlobHeaderSize)
	}
	if m := le.Uint32(b[0:]); m != BCryptKeyDataBlobMagic {
		return 0, nil, fmt.Errorf("spec: key data blob: magic 0x%08X, want 0x%08X", m, BCryptKeyDataBlobMagic)
	}
	if v := le.Uint32(b[4:]); v != BCryptKeyDataBlobVersion1 {
		return 0, nil, fmt.Errorf("spec: key data blob: version %d, want %d", v, BCryptKeyDataBlobVersion1)
	}
	return le.Uint32(b[8:]), b[KeyDataBlobHeaderSize:], nil
}

// ParseKeyDataBlob parses a plaintext BCRYPT_KEY_DATA_BLOB and returns a copy of the key bytes;
// cbKeyData must equal the number of bytes after the header.
func ParseKeyDataBlob(b []byte) ([]byte, error) {
	cb, rest, err := ParseKeyDataBlobHeader(b)
	if err != nil {
		return nil, err
	}
	if uint64(cb) != uint64(len(rest)) {
		return nil, fmt.Errorf("spec: key data blob: cbKeyData %d does not match %d bytes of key", cb, len(rest))
	}
	return append([]byte{}, rest...), nil
}
