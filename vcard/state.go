package vcard

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/cardmod/cardmod/piv"
)

// State is everything a card keeps in non-volatile memory. It is what the state file holds. The
// security status (PIN verified, management key authenticated) is volatile and never part of it.
type State struct {
	Serial  uint32  `json:"serial"`
	Version [3]byte `json:"firmware"`

	PIN Secret `json:"pin"`
	PUK Secret `json:"puk"`

	MgmAlg   byte   `json:"mgm_alg"`
	MgmKey   []byte `json:"mgm_key"`
	MgmTouch byte   `json:"mgm_touch"`

	// Keys maps a key slot (9A, 9C, ...) to the key it holds.
	Keys map[byte]*Key `json:"keys"`
	// Objects maps a data object tag to its content (the value of tag 53, or of 7E / 7F61 for
	// the discovery object and the BIT group template).
	Objects map[uint32][]byte `json:"objects"`

	// AttestKey is the PKCS#8 DER of the attestation key (slot F9), made when the card is created.
	AttestKey []byte `json:"attest_key"`
}

// Secret is a PIN or PUK: a salted hash of its 8-byte padded value and its retry counters.
type Secret struct {
	Salt      []byte `json:"salt"`
	Hash      []byte `json:"hash"`
	Retries   int    `json:"retries"`
	Remaining int    `json:"remaining"`
	IsDefault bool   `json:"default"`
}

// Key is an asymmetric key held in a slot.
type Key struct {
	Alg         byte   `json:"alg"`
	PKCS8       []byte `json:"pkcs8"`
	PINPolicy   byte   `json:"pin_policy"`
	TouchPolicy byte   `json:"touch_policy"`
	Origin      byte   `json:"origin"`
}

func hashSecret(salt, padded []byte) []byte {
	h := sha256.New()
	h.Write([]byte("cardmod pivcard secret v1"))
	h.Write(salt)
	h.Write(padded)
	return h.Sum(nil)
}

// set stores a new value (the 8-byte padded form) and refills the retry counter.
func (s *Secret) set(salt, padded []byte, isDefault bool) {
	s.Salt = bytes.Clone(salt)
	s.Hash = hashSecret(salt, padded)
	s.Remaining = s.Retries
	s.IsDefault = isDefault
}

// matches compares a candidate padded value with the stored one in constant time.
func (s *Secret) matches(padded []byte) bool {
	return subtle.ConstantTimeCompare(hashSecret(s.Salt, padded), s.Hash) == 1
}

func (s Secret) clone() Secret {
	s.Salt = bytes.Clone(s.Salt)
	s.Hash = bytes.Clone(s.Hash)
	return s
}

// clone returns a deep copy, so that a command can prepare a new state and keep the old one if
// anything fails.
func (s *State) clone() *State {
	n := *s
	n.PIN = s.PIN.clone()
	n.PUK = s.PUK.clone()
	n.MgmKey = bytes.Clone(s.MgmKey)
	n.AttestKey = bytes.Clone(s.AttestKey)
	n.Keys = make(map[byte]*Key, len(s.Keys))
	for slot, k := range s.Keys {
		kk := *k
		kk.PKCS8 = bytes.Clone(k.PKCS8)
		n.Keys[slot] = &kk
	}
	n.Objects = maps.Clone(s.Objects)
	if n.Objects == nil {
		n.Objects = map[uint32][]byte{}
	}
	return &n
}

// objectBytes is the number of bytes the data objects occupy.
func (s *State) objectBytes() int {
	n := 0
	for _, v := range s.Objects {
		n += len(v)
	}
	return n
}

// validate checks the invariants a loaded state must satisfy.
func (s *State) validate() error {
	for _, sec := range []struct {
		name string
		v    Secret
	}{{"PIN", s.PIN}, {"PUK", s.PUK}} {
		if len(sec.v.Salt) == 0 || len(sec.v.Hash) != sha256.Size {
			return fmt.Errorf("%s: missing salt or hash", sec.name)
		}
		if sec.v.Retries < 1 || sec.v.Retries > 255 || sec.v.Remaining < 0 || sec.v.Remaining > sec.v.Retries {
			return fmt.Errorf("%s: retry counter %d/%d out of range", sec.name, sec.v.Remaining, sec.v.Retries)
		}
	}
	if n := piv.MgmKeyLen(s.MgmAlg); n == 0 || n != len(s.MgmKey) {
		return fmt.Errorf("management key: algorithm %02X with %d-byte key", s.MgmAlg, len(s.MgmKey))
	}
	for slot, k := range s.Keys {
		if !piv.IsKeySlot(slot) {
			return fmt.Errorf("key in slot %02X, which is not a key slot", slot)
		}
		if k == nil || !piv.IsAsymmetric(k.Alg) {
			return fmt.Errorf("slot %02X: bad key algorithm", slot)
		}
		if _, err := parseKey(k); err != nil {
			return fmt.Errorf("slot %02X: %w", slot, err)
		}
	}
	for tag := range s.Objects {
		if _, ok := piv.LookupObject(tag); !ok {
			return fmt.Errorf("data object %06X is not in the data model", tag)
		}
	}
	if len(s.AttestKey) == 0 {
		return errors.New("no attestation key")
	}
	return nil
}

// stateFormat names the state file format; it changes when the format does.
const stateFormat = "cardmod-pivcard-state/1"

type envelope struct {
	Format string          `json:"format"`
	SHA256 string          `json:"sha256"`
	State  json.RawMessage `json:"state"`
}

// ErrCorrupt is wrapped by the errors that Load returns for a damaged or truncated state file.
var ErrCorrupt = errors.New("corrupt card state")

// Marshal encodes the state for storage, with a checksum that detects damage.
func (s *State) Marshal() ([]byte, error) {
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode card state: %w", err)
	}
	sum := sha256.Sum256(body)
	out, err := json.MarshalIndent(envelope{Format: stateFormat, SHA256: hex.EncodeToString(sum[:]), State: body}, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode card state: %w", err)
	}
	return append(out, '\n'), nil
}

// UnmarshalState decodes and checks a state produced by Marshal. Any damage gives an error wrapping
// ErrCorrupt.
func UnmarshalState(data []byte) (*State, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if env.Format != stateFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrCorrupt, env.Format, stateFormat)
	}
	// The checksum covers the compact encoding of the state.
	var compact bytes.Buffer
	if err := json.Compact(&compact, env.State); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	sum := sha256.Sum256(compact.Bytes())
	want, err := hex.DecodeString(env.SHA256)
	if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	dec := json.NewDecoder(bytes.NewReader(compact.Bytes()))
	dec.DisallowUnknownFields()
	s := new(State)
	if err := dec.Decode(s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if s.Keys == nil {
		s.Keys = map[byte]*Key{}
	}
	if s.Objects == nil {
		s.Objects = map[uint32][]byte{}
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return s, nil
}
