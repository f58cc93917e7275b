package engine

// Functions whose implementation comes with later work (ECDH and key derivation, secure key
// injection). They are wired already so that the C ABI and the callers see their final shape;
// until then they answer SCARD_E_UNSUPPORTED_FEATURE (and, for the functions not allowed in
// no-card mode, SCARD_E_INVALID_PARAMETER there).

// ConstructDHAgreement is CardConstructDHAgreement.
func (c *Context) ConstructDHAgreement() error { return c.stub("CardConstructDHAgreement") }

// DeriveKey is CardDeriveKey.
func (c *Context) DeriveKey() error { return c.stub("CardDeriveKey") }

// DestroyDHAgreement is CardDestroyDHAgreement.
func (c *Context) DestroyDHAgreement(index byte, flags uint32) error {
	return c.stub("CardDestroyDHAgreement")
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

// ImportSessionKey is CardImportSessionKey (not allowed in no-card mode).
func (c *Context) ImportSessionKey() error { return c.stub("CardImportSessionKey") }

// MDImportSessionKey is MDImportSessionKey.
func (c *Context) MDImportSessionKey() error { return c.skiStub("MDImportSessionKey") }

// MDEncryptData is MDEncryptData.
func (c *Context) MDEncryptData() error { return c.skiStub("MDEncryptData") }

// GetSharedKeyHandle is CardGetSharedKeyHandle.
func (c *Context) GetSharedKeyHandle() error { return c.skiStub("CardGetSharedKeyHandle") }

// DestroyKey is CardDestroyKey.
func (c *Context) DestroyKey(h uintptr) error { return c.skiStub("CardDestroyKey") }

// GetAlgorithmProperty is CardGetAlgorithmProperty.
func (c *Context) GetAlgorithmProperty() error { return c.skiStub("CardGetAlgorithmProperty") }

// GetKeyProperty is CardGetKeyProperty.
func (c *Context) GetKeyProperty() error { return c.skiStub("CardGetKeyProperty") }

// SetKeyProperty is CardSetKeyProperty.
func (c *Context) SetKeyProperty() error { return c.skiStub("CardSetKeyProperty") }

// ProcessEncryptedData is CardProcessEncryptedData.
func (c *Context) ProcessEncryptedData() error { return c.skiStub("CardProcessEncryptedData") }
