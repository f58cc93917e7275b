package engine

// The structures of the DH and KDF functions (dh.go), and the secure key injection functions the
// minidriver does not offer: they answer SCARD_E_UNSUPPORTED_FEATURE (CP_KEY_IMPORT_SUPPORT is 0),
// CardImportSessionKey, a card function, SCARD_E_INVALID_PARAMETER in no-card mode.

// DHAgreementInfo is CARD_DH_AGREEMENT_INFO: the peer's public key (a BCRYPT_ECCKEY_BLOB) in,
// the agreement index out.
type DHAgreementInfo struct {
	Version        uint32
	ContainerIndex byte
	Flags          uint32
	PublicKey      []byte // nil stands for a NULL pbPublicKey
	AgreementIndex byte   // out
}

// KDFParam is one NCryptBuffer of a KDF parameter list: its BufferType and the bytes pvBuffer
// points to (cbBuffer of them; nil for a NULL pvBuffer).
type KDFParam struct {
	Type uint32
	Data []byte
}

// DeriveKeyInfo is CARD_DERIVE_KEY. Params is the NCryptBufferDesc (nil for a NULL
// pParameterList; ParamsVersion is its ulVersion). The derived key comes back in DerivedKey (a
// buffer from the caller's allocator) and DerivedSize, or, with CARD_RETURN_KEY_HANDLE, as Key.
type DeriveKeyInfo struct {
	Version        uint32
	Flags          uint32
	KDF            string
	HasKDF         bool
	AgreementIndex byte
	Params         []KDFParam
	HasParams      bool
	ParamsVersion  uint32
	AlgID          string // version 2
	HasAlgID       bool
	KeyLen         uint32 // bits, version 2
	DerivedKey     []byte // out
	DerivedSize    int    // out
	Key            uintptr
}

// skiStub answers the secure key injection functions, which are allowed in no-card mode.
func (c *Context) skiStub(fn string) error {
	unlock, err := c.enter(fn, true)
	if err != nil {
		return err
	}
	defer unlock()
	return unsupported(fn)
}

// ImportSessionKey is CardImportSessionKey (not allowed in no-card mode). padding is the
// BCRYPT_OAEP_PADDING_INFO when flags select OAEP (nil for a NULL pPaddingInfo).
func (c *Context) ImportSessionKey(idx byte, padding *OAEPInfo, blobType, algID string, input []byte, flags uint32) (uintptr, error) {
	return 0, c.stub("CardImportSessionKey")
}

// MDImportSessionKey is MDImportSessionKey.
func (c *Context) MDImportSessionKey(blobType, algID string, input []byte) (uintptr, error) {
	return 0, c.skiStub("MDImportSessionKey")
}

// MDEncryptData is MDEncryptData: the encrypted blocks, each in a buffer from the caller's
// allocator.
func (c *Context) MDEncryptData(key uintptr, secureFunction string, input []byte, flags uint32) ([][]byte, error) {
	return nil, c.skiStub("MDEncryptData")
}

// GetSharedKeyHandle is CardGetSharedKeyHandle: an optional output message (from the caller's
// allocator) and the key handle (0: another round trip is needed).
func (c *Context) GetSharedKeyHandle(input []byte, wantOutput bool) ([]byte, uintptr, error) {
	return nil, 0, c.skiStub("CardGetSharedKeyHandle")
}

// ProcessEncryptedData is CardProcessEncryptedData: the output bytes (which the ABI copies into
// the caller's buffer, or only measures when the caller passes none).
func (c *Context) ProcessEncryptedData(key uintptr, secureFunction string, data [][]byte, flags uint32) ([]byte, error) {
	return nil, c.skiStub("CardProcessEncryptedData")
}

// stub answers SCARD_E_UNSUPPORTED_FEATURE for functions that later work implements (and
// SCARD_E_INVALID_PARAMETER in no-card mode, as every card function must).
func (c *Context) stub(fn string) error {
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	return unsupported(fn)
}
