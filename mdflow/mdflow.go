// Package mdflow is one flow suite for the cardmod minidriver that runs, unchanged, against the
// in-process engine (Engine) and against the C ABI of cardmod.dll / libcardmod.so (package
// mdflow/abi, which loads the library and calls through CARD_DATA), so that the two cannot drift
// apart.
//
// A Minidriver acquires Contexts; a Context has one method per CARD_DATA function, shaped like
// the engine's (engine.Context) but returning Go-owned data: each adapter frees what the
// minidriver allocated with the caller's allocator. Errors carry the function's status
// (spec.StatusOf, errors.Is with spec codes).
//
// Flows is the suite: named functions of a T (implemented by *testing.T and by cmd/mdhost's
// runner), a Minidriver and an Env (what the card holds and the secrets to use it).
package mdflow

import (
	"errors"
	"fmt"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// AcquireParams is what the caller puts in CARD_DATA before CardAcquireContext, with a way to
// express every NULL the ABI allows.
type AcquireParams struct {
	// Version is dwVersion in.
	Version uint32
	// ATR is pbAtr/cbAtr; nil is a NULL pbAtr (cbAtr 0).
	ATR []byte
	// CardName is pwszCardName; NullCardName passes NULL instead.
	CardName     string
	NullCardName bool
	// NullAlloc passes NULL pfnCspAlloc, pfnCspReAlloc and pfnCspFree.
	NullAlloc bool
	// NullCache passes NULL cache callbacks (pfnCspCacheAddFile, -LookupFile, -DeleteFile).
	NullCache bool
	// NullCard passes 0 for hSCardCtx and hScard.
	NullCard bool
	// Flags is dwFlags of CardAcquireContext (0 or CARD_SECURE_KEY_INJECTION_NO_CARD_MODE).
	Flags uint32
	// NullGetDHAgreement passes a NULL pfnCspGetDHAgreement.
	NullGetDHAgreement bool
}

// Sized is what a Get*Property call with a caller buffer of a given size
// answered: the bytes written and *pdwDataLen.
type Sized struct {
	Data    []byte // the bytes the minidriver wrote (Data[:DataLen] of the buffer), nil on error
	DataLen uint32 // *pdwDataLen after the call (the needed size on ERROR_INSUFFICIENT_BUFFER)
}

// Minidriver acquires contexts: the engine's Module or a loaded cardmod library.
type Minidriver interface {
	// Acquire is CardAcquireContext.
	Acquire(p AcquireParams) (Context, error)
}

// Context is one minidriver context (a CARD_DATA after a successful CardAcquireContext). Every
// method is one CARD_DATA function; buffers the minidriver allocated are copied to Go memory and
// freed with the caller's free callback before the method returns.
type Context interface {
	// Version is dwVersion after CardAcquireContext (the negotiated version).
	Version() uint32
	// LiveAllocations is the number of buffers allocated through this context's pfnCspAlloc /
	// pfnCspReAlloc and not freed yet (by the minidriver or by the adapter).
	LiveAllocations() int
	// Delete is CardDeleteContext.
	Delete() error

	// Files.
	ReadFile(dir, name string, flags uint32) ([]byte, error)
	EnumFiles(dir string, flags uint32) ([]byte, error) // ANSI multi-string
	GetFileInfo(dir, name string) (spec.FileInfo, error)
	QueryFreeSpace(flags uint32) (spec.FreeSpaceInfo, error)
	CreateDirectory(dir string, ac spec.DirAccessCondition) error
	DeleteDirectory(dir string) error
	CreateFile(dir, name string, size uint32, ac spec.FileAccessCondition) error
	WriteFile(dir, name string, flags uint32, data []byte) error
	DeleteFile(dir, name string, flags uint32) error

	// Capabilities, containers and properties.
	QueryCapabilities(version uint32) (spec.CardCapabilities, error)
	GetContainerInfo(idx byte, flags uint32, info *engine.ContainerInfo) error
	GetContainerProperty(idx byte, name string, flags uint32, infoVersion uint32) (engine.ContainerProperty, error)
	// GetContainerPropertySized calls CardGetContainerProperty with a buffer of cbData bytes
	// (for CCP_CONTAINER_INFO the buffer is a CONTAINER_INFO with dwVersion infoVersion; the key
	// blobs are freed and the pointer fields of the returned bytes zeroed).
	GetContainerPropertySized(idx byte, name string, cbData uint32, flags uint32, infoVersion uint32) (Sized, error)
	SetContainerProperty(idx byte, name string, data []byte, flags uint32) error
	QueryKeySizes(ks spec.KeySpec, flags uint32, version uint32) (spec.KeySizes, error)
	CreateContainer(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte) error
	CreateContainerEx(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte, pin spec.PINID) error
	DeleteContainer(idx byte, reserved uint32) error
	GetProperty(name string, flags uint32) ([]byte, error)
	// GetPropertySized calls CardGetProperty with a buffer of cbData bytes.
	GetPropertySized(name string, cbData uint32, flags uint32) (Sized, error)
	SetProperty(name string, data []byte, flags uint32) error

	// PINs.
	AuthenticatePin(userID string, pin []byte) (uint32, error)
	AuthenticateEx(id spec.PINID, flags uint32, pinData []byte, wantSession bool) ([]byte, uint32, error)
	GetChallenge() ([]byte, error)
	GetChallengeEx(id spec.PINID, flags uint32) ([]byte, error)
	AuthenticateChallenge(resp []byte) (uint32, error)
	ChangeAuthenticator(userID string, cur, next []byte, retryCount, flags uint32) (uint32, error)
	ChangeAuthenticatorEx(flags uint32, authID spec.PINID, authData []byte, target spec.PINID, targetData []byte, retryCount uint32) (uint32, error)
	UnblockPin(userID string, auth, newPIN []byte, retryCount, flags uint32) error
	Deauthenticate(userID string, flags uint32) error
	DeauthenticateEx(set spec.PINSet, flags uint32) error

	// Cryptography.
	SignData(info *engine.SigningInfo) error
	RSADecrypt(info *engine.RSADecryptInfo) error

	// DH, KDF and secure key injection.
	ConstructDHAgreement(info *engine.DHAgreementInfo) error
	DeriveKey(info *engine.DeriveKeyInfo) error
	DestroyDHAgreement(index byte, flags uint32) error
	ImportSessionKey(idx byte, padding *engine.OAEPInfo, blobType, algID string, input []byte, flags uint32) (uintptr, error)
	MDImportSessionKey(blobType, algID string, input []byte) (uintptr, error)
	MDEncryptData(key uintptr, secureFunction string, input []byte, flags uint32) ([][]byte, error)
	GetSharedKeyHandle(input []byte, wantOutput bool) ([]byte, uintptr, error)
	DestroyKey(key uintptr) error
	GetAlgorithmProperty(algID, property string, flags uint32) ([]byte, error)
	GetKeyProperty(key uintptr, property string, flags uint32) ([]byte, error)
	SetKeyProperty(key uintptr, property string, input []byte, flags uint32) error
	ProcessEncryptedData(key uintptr, secureFunction string, data [][]byte, flags uint32) ([]byte, error)

	// RegisterDHAgreement tells the caller's side of this context (pfnCspGetDHAgreement) that
	// the NCrypt secret handle handle names the minidriver's agreement idx: the callback then
	// answers idx for it (and SCARD_E_INVALID_PARAMETER for a handle never registered), as the
	// KSP does for a secret agreement it made with CardConstructDHAgreement.
	RegisterDHAgreement(handle uintptr, idx byte)
}

// NullCaller is implemented by contexts that can pass NULL for a pointer argument: the C ABI
// adapter. CallWithNull calls the CARD_DATA function fn (its C name, "CardReadFile") with valid
// arguments except arg (its C parameter name, "ppbData"; "pCardData" for the context itself,
// "pvVendorSpecific" for a copy of CARD_DATA whose pvVendorSpecific is NULL), which is NULL.
// pin and puk are the card's, for the cases that succeed (a NULL optional pointer). ok is false
// when the adapter cannot express that case.
type NullCaller interface {
	CallWithNull(fn, arg string, pin, puk []byte) (err error, ok bool)
}

// Auditor is implemented by minidrivers that check the ABI contract around every call (the
// caller-owned CARD_DATA slots, dwVersion, out-pointers on failure, allocations left by a failed
// CardAcquireContext, frees of unknown pointers). Audit returns the violations seen since the
// last Audit.
type Auditor interface {
	Audit() []string
}

// ErrNotFilled is returned (wrapped) by ABI contexts for a function whose CARD_DATA slot the
// library left NULL.
var ErrNotFilled = errors.New("the minidriver left this CARD_DATA function slot NULL")

// describe formats a status for messages.
func describe(err error) string {
	if err == nil {
		return "success"
	}
	return fmt.Sprintf("%v", err)
}
