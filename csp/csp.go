// Package csp is what the Windows Base CSP / Smart Card KSP does to a minidriver when it enrolls:
// the sequences of CARD_DATA calls behind CryptGenKey / NCryptCreatePersistedKey (a key in a new
// container), CryptSetKeyParam(KP_CERTIFICATE) / NCryptSetProperty(NCRYPT_CERTIFICATE_PROPERTY)
// (the container's certificate), CryptAcquireContext(CRYPT_DELETEKEYSET) / NCryptDeleteKey, the
// file writes of certutil -scinfo and friends, and the signatures a certificate request needs.
//
// The Base CSP owns the minidriver's bookkeeping files: it chooses container indexes and names
// (mscp/cmapfile), names certificate files (mscp/kxcNN, mscp/kscNN) and bumps the freshness
// counters of cardcf after each change, so that every process caching the card's files notices.
// A Session does the same, call by call, on anything shaped like engine.Context: the engine
// itself, or an mdflow.Context (the engine or the C library behind the flow suite's adapters).
//
// A Session does not present PINs: the caller authenticates (CardAuthenticatePin /
// CardAuthenticateEx, or AuthenticateAdmin for ROLE_ADMIN) before writing or signing, as the CSP
// does after asking the user.
package csp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/spec"
)

// Minidriver is the part of CARD_DATA a Session calls, with the signatures of *engine.Context
// (which, like mdflow.Context, implements it). Buffers the functions return may come from the
// caller's allocator: the Session frees them with its Free function.
type Minidriver interface {
	ReadFile(dir, name string, flags uint32) ([]byte, error)
	WriteFile(dir, name string, flags uint32, data []byte) error
	CreateFile(dir, name string, size uint32, ac spec.FileAccessCondition) error
	DeleteFile(dir, name string, flags uint32) error
	EnumFiles(dir string, flags uint32) ([]byte, error)
	GetFileInfo(dir, name string) (spec.FileInfo, error)
	CreateDirectory(dir string, ac spec.DirAccessCondition) error
	QueryFreeSpace(flags uint32) (spec.FreeSpaceInfo, error)

	CreateContainerEx(idx byte, flags uint32, ks spec.KeySpec, bits uint32, keyData []byte, pin spec.PINID) error
	DeleteContainer(idx byte, reserved uint32) error
	GetContainerInfo(idx byte, flags uint32, info *engine.ContainerInfo) error
	GetContainerProperty(idx byte, name string, flags uint32, infoVersion uint32) (engine.ContainerProperty, error)

	SignData(info *engine.SigningInfo) error

	AuthenticatePin(userID string, pin []byte) (uint32, error)
	AuthenticateEx(id spec.PINID, flags uint32, pinData []byte, wantSession bool) ([]byte, uint32, error)
	GetChallengeEx(id spec.PINID, flags uint32) ([]byte, error)
	AuthenticateChallenge(resp []byte) (uint32, error)
	DeauthenticateEx(set spec.PINSet, flags uint32) error
}

// Session is the CSP's side of one minidriver context.
type Session struct {
	// MD is the minidriver context.
	MD Minidriver
	// Free releases a buffer the minidriver returned (the caller's pfnCspFree: refhost.Host.Free
	// for the engine). nil: the buffers are Go memory (mdflow contexts copy them).
	Free func([]byte)
	// Call, when set, runs each minidriver call; fn is the CARD_DATA function's name
	// ("CardWriteFile"). A caller on PC/SC uses it to put every call in its own card transaction,
	// as the Base CSP does, and to name the function in errors. nil: f runs directly.
	Call func(fn string, f func() error) error
	// BeforeSign, when set, runs before each CardSignData of the session with the container
	// index: the place to present an always-prompt PIN (PIN 3 of the 9C key), as the KSP asks
	// for it before every use of such a key.
	BeforeSign func(idx byte) error
	// Rand is the source of container names and of the randomness of x509 requests; nil is
	// crypto/rand.
	Rand io.Reader
}

// New returns a session on md; free releases the buffers md allocates (nil when they are Go
// memory).
func New(md Minidriver, free func([]byte)) *Session { return &Session{MD: md, Free: free} }

// call runs one minidriver function through s.Call.
func (s *Session) call(fn string, f func() error) error {
	if s.Call != nil {
		return s.Call(fn, f)
	}
	return f()
}

// take copies a buffer from the minidriver into Go memory and frees it.
func (s *Session) take(buf []byte) []byte {
	if buf == nil {
		return nil
	}
	out := slices.Clone(buf)
	if s.Free != nil {
		s.Free(buf)
	}
	return out
}

func (s *Session) rand() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}

// ReadFile is CardReadFile, the content copied to Go memory; dir "" is the root.
func (s *Session) ReadFile(dir, name string) ([]byte, error) {
	var data []byte
	err := s.call("CardReadFile", func() error {
		buf, err := s.MD.ReadFile(dir, name, 0)
		if err != nil {
			return err
		}
		data = s.take(buf)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filePath(dir, name), err)
	}
	return data, nil
}

// writeFile is CardWriteFile.
func (s *Session) writeFile(dir, name string, data []byte) error {
	if err := s.call("CardWriteFile", func() error { return s.MD.WriteFile(dir, name, 0, data) }); err != nil {
		return fmt.Errorf("write %s: %w", filePath(dir, name), err)
	}
	return nil
}

// filePath joins a directory and a file name as the minidriver names them.
func filePath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// readCardcf is CardReadFile of cardcf, the first call of every Base CSP transaction: the
// counters tell the CSP whether what it cached is still the card's.
func (s *Session) readCardcf() (spec.CacheFile, error) {
	b, err := s.ReadFile("", spec.FileCache)
	if err != nil {
		return spec.CacheFile{}, err
	}
	cf, err := spec.ParseCacheFile(b)
	if err != nil {
		return spec.CacheFile{}, fmt.Errorf("cardcf: %w", err)
	}
	return cf, nil
}

// writeCardcf writes the cardcf the transaction started with, with its counters bumped: the
// Base CSP keeps the cardcf it read at the start of its transaction and, after a change, writes
// it back with the counter of what it changed incremented (containers, files).
func (s *Session) writeCardcf(cf spec.CacheFile) error {
	return s.writeFile("", spec.FileCache, cf.MarshalBinary())
}

// ReadContainerMap reads mscp/cmapfile.
func (s *Session) ReadContainerMap() ([]spec.ContainerMapRecord, error) {
	b, err := s.ReadFile(spec.DirBaseCSP, spec.FileContainerMap)
	if err != nil {
		return nil, err
	}
	recs, err := spec.ParseContainerMap(b)
	if err != nil {
		return nil, fmt.Errorf("cmapfile: %w", err)
	}
	return recs, nil
}

// writeContainerMap writes mscp/cmapfile.
func (s *Session) writeContainerMap(recs []spec.ContainerMapRecord) error {
	return s.writeFile(spec.DirBaseCSP, spec.FileContainerMap, spec.MarshalContainerMap(recs))
}

// ContainerKey is CardGetContainerInfo: the container's public key and its key spec, decoded
// from the one blob CONTAINER_INFO holds (the signature blob for AT_SIGNATURE and ECDSA keys,
// the key exchange blob otherwise).
func (s *Session) ContainerKey(idx byte) (crypto.PublicKey, spec.KeySpec, error) {
	info := engine.ContainerInfo{Version: spec.ContainerInfoCurrentVersion}
	var sig, kx []byte
	err := s.call("CardGetContainerInfo", func() error {
		err := s.MD.GetContainerInfo(idx, 0, &info)
		sig, kx = s.take(info.SigPublicKey), s.take(info.KeyExPublicKey)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("container %d: %w", idx, err)
	}
	pub, ks, err := ParseContainerInfo(sig, kx)
	if err != nil {
		return nil, 0, fmt.Errorf("container %d: %w", idx, err)
	}
	return pub, ks, nil
}

// ParseContainerInfo decodes the public key blob of a CONTAINER_INFO (exactly one of sig and kx
// is set): a CryptoAPI PUBLICKEYBLOB for RSA (CALG_RSA_SIGN means AT_SIGNATURE) or a
// BCRYPT_ECCPUBLIC_BLOB whose magic names the ECC key spec.
func ParseContainerInfo(sig, kx []byte) (crypto.PublicKey, spec.KeySpec, error) {
	if (sig == nil) == (kx == nil) {
		return nil, 0, errors.New("CONTAINER_INFO must hold exactly one key")
	}
	blob := kx
	if sig != nil {
		blob = sig
	}
	if len(blob) > 0 && blob[0] == spec.PublicKeyBlob {
		pub, alg, err := spec.ParseRSAPublicKeyBlob(blob)
		if err != nil {
			return nil, 0, err
		}
		if alg == spec.CALGRSASign {
			return pub, spec.ATSignature, nil
		}
		return pub, spec.ATKeyExchange, nil
	}
	pub, magic, err := spec.ParseECCPublicKeyBlob(blob)
	if err != nil {
		return nil, 0, err
	}
	ks, _, _ := spec.ECCMagicInfo(magic)
	return pub, ks, nil
}

// ContainerPIN is CardGetContainerProperty(CCP_PIN_IDENTIFIER): the PIN that guards the key.
func (s *Session) ContainerPIN(idx byte) (spec.PINID, error) {
	var p engine.ContainerProperty
	err := s.call("CardGetContainerProperty", func() error {
		var err error
		p, err = s.MD.GetContainerProperty(idx, spec.CCPPINIdentifier, 0, 0)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("container %d PIN: %w", idx, err)
	}
	if len(p.Data) != 4 {
		return 0, fmt.Errorf("container %d PIN: %d bytes", idx, len(p.Data))
	}
	return spec.PINID(binary.LittleEndian.Uint32(p.Data)), nil
}

// CertFile is the name of a container's certificate file in mscp: kscNN for AT_SIGNATURE and
// ECDSA keys, kxcNN otherwise (NN: the index in two lower-case hex digits).
func CertFile(ks spec.KeySpec, idx byte) string {
	if ks == spec.ATSignature || ks.IsECDSA() {
		return spec.CertFileName(spec.UserSignatureCertPrefix, idx)
	}
	return spec.CertFileName(spec.UserKeyExchangeCertPrefix, idx)
}

// KeyBits is the size of an RSA modulus or of an ECC curve.
func KeyBits(pub crypto.PublicKey) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	}
	return 0
}

// keysEqual compares two public keys.
func keysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// isStatus reports whether err carries the minidriver status st.
func isStatus(err error, st spec.Status) bool { return err != nil && spec.StatusOf(err) == st }
