package mdflow

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/spec"
)

// EngineOption configures Engine.
type EngineOption func(*engineMD)

// WithShortAPDUs makes the engine send short APDUs only (no extended length).
func WithShortAPDUs() EngineOption { return func(m *engineMD) { m.ext = false } }

// WithModule uses m instead of a new engine.Module (to share session PINs with other code).
func WithModule(mod *engine.Module) EngineOption { return func(m *engineMD) { m.mod = mod } }

// Engine returns a Minidriver over the in-process engine: one engine.Module (as one loaded DLL)
// whose contexts carry APDUs over card and get a fresh refhost.Host each (the caller's callbacks;
// the adapter frees every returned buffer with it).
func Engine(card apdu.Transport, opts ...EngineOption) Minidriver {
	m := &engineMD{card: card, ext: true}
	for _, o := range opts {
		o(m)
	}
	if m.mod == nil {
		m.mod = engine.NewModule()
	}
	return m
}

type engineMD struct {
	card apdu.Transport
	mod  *engine.Module
	ext  bool
}

func (m *engineMD) Acquire(p AcquireParams) (Context, error) {
	h := refhost.New()
	h.NoCache = p.NullCache
	ap := engine.AcquireParams{Version: p.Version, ATR: bytes.Clone(p.ATR), CardName: p.CardName,
		HasCardName: !p.NullCardName, Flags: p.Flags, ExtendedLength: m.ext}
	if !p.NullAlloc {
		ap.Host = callerHost{Host: h, noDH: p.NullGetDHAgreement}
	}
	if !p.NullCard {
		ap.Card = m.card
	}
	ctx, err := m.mod.AcquireContext(ap)
	if err != nil {
		return nil, err
	}
	return &engineCtx{c: ctx, h: h}, nil
}

// callerHost is the caller's side of an engine context: refhost.Host, with pfnCspGetDHAgreement
// answering as the C adapters' callback does: the index registered for a handle
// (RegisterDHAgreement), SCARD_E_INVALID_PARAMETER for any other handle, and no callback at all
// for AcquireParams.NullGetDHAgreement.
type callerHost struct {
	*refhost.Host
	noDH bool
}

func (h callerHost) GetDHAgreement(handle uintptr) (byte, error) {
	if h.noDH {
		return 0, fmt.Errorf("pfnCspGetDHAgreement: %w", engine.ErrNoCallback)
	}
	idx, err := h.Host.GetDHAgreement(handle)
	if err != nil {
		return 0, spec.Errorf(spec.SCardEInvalidParameter, "pfnCspGetDHAgreement: %v", err)
	}
	return idx, nil
}

// engineCtx adapts an engine.Context: the same calls, with every caller-allocated buffer copied
// and freed.
type engineCtx struct {
	c *engine.Context
	h *refhost.Host
}

// take copies a buffer from the host allocator and frees it.
func (e *engineCtx) take(buf []byte) []byte {
	if buf == nil {
		return nil
	}
	out := bytes.Clone(buf)
	e.h.Free(buf)
	return out
}

func (e *engineCtx) Version() uint32      { return e.c.Version() }
func (e *engineCtx) LiveAllocations() int { return e.h.Live() }
func (e *engineCtx) Delete() error        { return e.c.DeleteContext() }

func (e *engineCtx) ReadFile(dir, name string, flags uint32) ([]byte, error) {
	b, err := e.c.ReadFile(dir, name, flags)
	return e.take(b), err
}

func (e *engineCtx) EnumFiles(dir string, flags uint32) ([]byte, error) {
	b, err := e.c.EnumFiles(dir, flags)
	return e.take(b), err
}

func (e *engineCtx) GetFileInfo(dir, name string) (spec.FileInfo, error) {
	return e.c.GetFileInfo(dir, name)
}

func (e *engineCtx) QueryFreeSpace(flags uint32) (spec.FreeSpaceInfo, error) {
	return e.c.QueryFreeSpace(flags)
}

func (e *engineCtx) CreateDirectory(dir string, ac spec.DirAccessCondition) error {
	return e.c.CreateDirectory(dir, ac)
}
func (e *engineCtx) DeleteDirectory(dir string) error { return e.c.DeleteDirectory(dir) }
func (e *engineCtx) CreateFile(dir, name string, size uint32, ac spec.FileAccessCondition) error {
	return e.c.CreateFile(dir, name, size, ac)
}
func (e *engineCtx) WriteFile(dir, name string, flags uint32, data []byte) error {
	return e.c.WriteFile(dir, name, flags, data)
}
func (e *engineCtx) DeleteFile(dir, name string, flags uint32) error {
	return e.c.DeleteFile(dir, name, flags)
}

func (e *engineCtx) QueryCapabilities(version uint32) (spec.CardCapabilities, error) {
	return e.c.QueryCapabilities(version)
}

func (e *engineCtx) takeInfo(info *engine.ContainerInfo) {
	info.SigPublicKey = e.take(info.SigPublicKey)
	info.KeyExPublicKey = e.take(info.KeyExPublicKey)
}

func (e *engineCtx) GetContainerInfo(idx byte, flags uint32, info *engine.ContainerInfo) error {
	err := e.c.GetContainerInfo(idx, flags, info)
	if info != nil {
		e.takeInfo(info)
	}
	return err
}

func (e *engineCtx) GetContainerProperty(idx byte, name string, flags uint32, infoVersion uint32) (engine.ContainerProperty, error) {
	p, err := e.c.GetContainerProperty(idx, name, flags, infoVersion)
	if p.Info != nil {
		e.takeInfo(p.Info)
	}
	return p, err
}

// GetContainerPropertySized emulates the C ABI's buffer handling (what cardmod.dll does over
// the engine): ERROR_INSUFFICIENT_BUFFER with the needed size when the value does not fit.
func (e *engineCtx) GetContainerPropertySized(idx byte, name string, cbData uint32, flags uint32, infoVersion uint32) (Sized, error) {
	if name == spec.CCPContainerInfo && cbData < ContainerInfoSize {
		// The ABI knows the size without asking the engine; the engine checks the rest first.
		if _, err := e.GetContainerProperty(idx, name, flags, infoVersion); err != nil {
			return Sized{}, err
		}
		return Sized{DataLen: ContainerInfoSize}, spec.Errorf(spec.ErrorInsufficientBuffer, "CardGetContainerProperty: %d-byte buffer", cbData)
	}
	p, err := e.GetContainerProperty(idx, name, flags, infoVersion)
	if err != nil {
		return Sized{}, err
	}
	data := p.Data
	if p.Info != nil {
		h := spec.ContainerInfo{Version: p.Info.Version, SigPublicKey: p.Info.SigPublicKey, KeyExPublicKey: p.Info.KeyExPublicKey}.Header(0, 0)
		data, err = h.MarshalBinaryFor(PtrSize)
		if err != nil {
			return Sized{}, err
		}
	}
	return sized(data, cbData, "CardGetContainerProperty")
}

func sized(v []byte, cbData uint32, fn string) (Sized, error) {
	if uint32(len(v)) > cbData {
		return Sized{DataLen: uint32(len(v))}, spec.Errorf(spec.ErrorInsufficientBuffer, "%s: %d bytes needed, %d given", fn, len(v), cbData)
	}
	return Sized{Data: v, DataLen: uint32(len(v))}, nil
}

func (e *engineCtx) SetContainerProperty(idx byte, name string, data []byte, flags uint32) error {
	return e.c.SetContainerProperty(idx, name, data, flags)
}

func (e *engineCtx) QueryKeySizes(ks spec.KeySpec, flags uint32, version uint32) (spec.KeySizes, error) {
	return e.c.QueryKeySizes(ks, flags, version)
}

func (e *engineCtx) CreateContainer(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte) error {
	return e.c.CreateContainer(idx, flags, ks, bits, keyData)
}

func (e *engineCtx) CreateContainerEx(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte, pin spec.PINID) error {
	return e.c.CreateContainerEx(idx, flags, ks, bits, keyData, pin)
}

func (e *engineCtx) DeleteContainer(idx byte, reserved uint32) error {
	return e.c.DeleteContainer(idx, reserved)
}

func (e *engineCtx) GetProperty(name string, flags uint32) ([]byte, error) {
	return e.c.GetProperty(name, flags)
}

func (e *engineCtx) GetPropertySized(name string, cbData uint32, flags uint32) (Sized, error) {
	v, err := e.c.GetProperty(name, flags)
	if err != nil {
		return Sized{}, err
	}
	return sized(v, cbData, "CardGetProperty")
}

func (e *engineCtx) SetProperty(name string, data []byte, flags uint32) error {
	return e.c.SetProperty(name, data, flags)
}

func (e *engineCtx) AuthenticatePin(userID string, pin []byte) (uint32, error) {
	return e.c.AuthenticatePin(userID, pin)
}

func (e *engineCtx) AuthenticateEx(id spec.PINID, flags uint32, pinData []byte, wantSession bool) ([]byte, uint32, error) {
	s, n, err := e.c.AuthenticateEx(id, flags, pinData, wantSession)
	return e.take(s), n, err
}

func (e *engineCtx) GetChallenge() ([]byte, error) {
	b, err := e.c.GetChallenge()
	return e.take(b), err
}

func (e *engineCtx) GetChallengeEx(id spec.PINID, flags uint32) ([]byte, error) {
	b, err := e.c.GetChallengeEx(id, flags)
	return e.take(b), err
}

func (e *engineCtx) AuthenticateChallenge(resp []byte) (uint32, error) {
	return e.c.AuthenticateChallenge(resp)
}

func (e *engineCtx) ChangeAuthenticator(userID string, cur, next []byte, retryCount, flags uint32) (uint32, error) {
	return e.c.ChangeAuthenticator(userID, cur, next, retryCount, flags)
}

func (e *engineCtx) ChangeAuthenticatorEx(flags uint32, authID spec.PINID, authData []byte, target spec.PINID, targetData []byte, retryCount uint32) (uint32, error) {
	return e.c.ChangeAuthenticatorEx(flags, authID, authData, target, targetData, retryCount)
}

func (e *engineCtx) UnblockPin(userID string, auth, newPIN []byte, retryCount, flags uint32) error {
	return e.c.UnblockPin(userID, auth, newPIN, retryCount, flags)
}

func (e *engineCtx) Deauthenticate(userID string, flags uint32) error {
	return e.c.Deauthenticate(userID, flags)
}

func (e *engineCtx) DeauthenticateEx(set spec.PINSet, flags uint32) error {
	return e.c.DeauthenticateEx(set, flags)
}

func (e *engineCtx) SignData(info *engine.SigningInfo) error {
	err := e.c.SignData(info)
	if info != nil {
		info.SignedData = e.take(info.SignedData)
	}
	return err
}

func (e *engineCtx) RSADecrypt(info *engine.RSADecryptInfo) error { return e.c.RSADecrypt(info) }

func (e *engineCtx) ConstructDHAgreement(info *engine.DHAgreementInfo) error {
	return e.c.ConstructDHAgreement(info)
}

func (e *engineCtx) DeriveKey(info *engine.DeriveKeyInfo) error {
	err := e.c.DeriveKey(info)
	if info != nil {
		info.DerivedKey = e.take(info.DerivedKey)
	}
	return err
}

func (e *engineCtx) DestroyDHAgreement(index byte, flags uint32) error {
	return e.c.DestroyDHAgreement(index, flags)
}

func (e *engineCtx) ImportSessionKey(idx byte, padding *engine.OAEPInfo, blobType, algID string, input []byte, flags uint32) (uintptr, error) {
	return e.c.ImportSessionKey(idx, padding, blobType, algID, input, flags)
}

func (e *engineCtx) MDImportSessionKey(blobType, algID string, input []byte) (uintptr, error) {
	return e.c.MDImportSessionKey(blobType, algID, input)
}

func (e *engineCtx) MDEncryptData(key uintptr, secureFunction string, input []byte, flags uint32) ([][]byte, error) {
	bufs, err := e.c.MDEncryptData(key, secureFunction, input, flags)
	out := make([][]byte, len(bufs))
	for i, b := range bufs {
		out[i] = e.take(b)
	}
	if bufs == nil {
		out = nil
	}
	return out, err
}

func (e *engineCtx) GetSharedKeyHandle(input []byte, wantOutput bool) ([]byte, uintptr, error) {
	b, h, err := e.c.GetSharedKeyHandle(input, wantOutput)
	return e.take(b), h, err
}

func (e *engineCtx) DestroyKey(key uintptr) error { return e.c.DestroyKey(key) }

func (e *engineCtx) GetAlgorithmProperty(algID, property string, flags uint32) ([]byte, error) {
	return e.c.GetAlgorithmProperty(algID, property, flags)
}

func (e *engineCtx) GetKeyProperty(key uintptr, property string, flags uint32) ([]byte, error) {
	return e.c.GetKeyProperty(key, property, flags)
}

func (e *engineCtx) SetKeyProperty(key uintptr, property string, input []byte, flags uint32) error {
	return e.c.SetKeyProperty(key, property, input, flags)
}

func (e *engineCtx) ProcessEncryptedData(key uintptr, secureFunction string, data [][]byte, flags uint32) ([]byte, error) {
	return e.c.ProcessEncryptedData(key, secureFunction, data, flags)
}

// RegisterDHAgreement fills the table refhost.Host's GetDHAgreement answers from (the flows call
// it between minidriver calls, never during one).
func (e *engineCtx) RegisterDHAgreement(handle uintptr, idx byte) { e.h.DHAgreements[handle] = idx }

// le32 is a little-endian DWORD.
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
