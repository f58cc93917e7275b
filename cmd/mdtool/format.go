package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/cardmod/cardmod/spec"
)

// keyAlg names a public key's algorithm: "RSA-2048", "ECC P-256".
func keyAlg(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECC " + k.Curve.Params().Name
	}
	return fmt.Sprintf("%T", pub)
}

// fingerprint is the SHA-256 of a public key's DER SubjectPublicKeyInfo, in hex.
func fingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// publicPEM is a public key as a PEM "PUBLIC KEY" block.
func publicPEM(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// pinName describes a PIN id of the PIV mapping (docs/piv-mapping.md).
func pinName(id spec.PINID) string {
	switch id {
	case spec.RoleEveryone:
		return "everyone"
	case spec.RoleUser:
		return "user (PIV PIN)"
	case spec.RoleAdmin:
		return "admin (PIV management key)"
	case 3:
		return "PIV PIN for the 9C key (always prompt)"
	case 4:
		return "PUK"
	}
	return fmt.Sprintf("PIN %d", id)
}

// pinSetString lists the PIN ids of a set: "1, 3"; "none" for the empty set.
func pinSetString(s spec.PINSet) string {
	ids := s.IDs()
	if len(ids) == 0 {
		return "none"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(uint32(id))
	}
	return strings.Join(parts, ", ")
}

// pinSetIDs is a PIN set as a list of ids (for JSON).
func pinSetIDs(s spec.PINSet) []uint32 {
	ids := []uint32{}
	for _, id := range s.IDs() {
		ids = append(ids, uint32(id))
	}
	return ids
}

// secretTypeName names a SECRET_TYPE.
func secretTypeName(t spec.SecretType) string {
	switch t {
	case spec.AlphaNumericPinType:
		return "AlphaNumericPinType"
	case spec.ExternalPinType:
		return "ExternalPinType"
	case spec.ChallengeResponsePinType:
		return "ChallengeResponsePinType"
	case spec.EmptyPinType:
		return "EmptyPinType"
	}
	return fmt.Sprintf("SecretType(%d)", t)
}

// secretPurposeName names a SECRET_PURPOSE.
func secretPurposeName(p spec.SecretPurpose) string {
	switch p {
	case spec.AuthenticationPin:
		return "AuthenticationPin"
	case spec.DigitalSignaturePin:
		return "DigitalSignaturePin"
	case spec.EncryptionPin:
		return "EncryptionPin"
	case spec.NonRepudiationPin:
		return "NonRepudiationPin"
	case spec.AdministratorPin:
		return "AdministratorPin"
	case spec.PrimaryCardPin:
		return "PrimaryCardPin"
	case spec.UnblockOnlyPin:
		return "UnblockOnlyPin"
	}
	return fmt.Sprintf("SecretPurpose(%d)", p)
}

// cachePolicyName names a PIN_CACHE_POLICY_TYPE.
func cachePolicyName(t spec.PINCachePolicyType) string {
	switch t {
	case spec.PinCacheNormal:
		return "PinCacheNormal"
	case spec.PinCacheTimed:
		return "PinCacheTimed"
	case spec.PinCacheNone:
		return "PinCacheNone"
	case spec.PinCacheAlwaysPrompt:
		return "PinCacheAlwaysPrompt"
	}
	return fmt.Sprintf("PinCachePolicyType(%d)", t)
}

// pinInfoJSON is PIN_INFO, decoded.
type pinInfoJSON struct {
	ID          uint32   `json:"id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Purpose     string   `json:"purpose"`
	CachePolicy string   `json:"cache_policy"`
	ChangedBy   []uint32 `json:"change_permission"`
	UnblockedBy []uint32 `json:"unblock_permission"`
	Flags       uint32   `json:"flags"`
}

func decodePINInfo(id spec.PINID, p spec.PINInfo) pinInfoJSON {
	return pinInfoJSON{ID: uint32(id), Name: pinName(id), Type: secretTypeName(p.PinType),
		Purpose: secretPurposeName(p.PinPurpose), CachePolicy: cachePolicyName(p.CachePolicy.Type),
		ChangedBy: pinSetIDs(p.ChangePermission), UnblockedBy: pinSetIDs(p.UnblockPermission), Flags: p.Flags}
}

func (p pinInfoJSON) String() string {
	unblock := "none"
	if len(p.UnblockedBy) > 0 {
		unblock = fmt.Sprint(p.UnblockedBy)
	}
	return fmt.Sprintf("%s, %s, %s, changed by %v, unblocked by %s", p.Type, p.Purpose, p.CachePolicy, p.ChangedBy, unblock)
}

// cacheModeName names a CP_CARD_CACHE_MODE value.
func cacheModeName(v uint32) string {
	switch v {
	case spec.CPCacheModeGlobalCache:
		return "CP_CACHE_MODE_GLOBAL_CACHE"
	case spec.CPCacheModeSessionOnly:
		return "CP_CACHE_MODE_SESSION_ONLY"
	case spec.CPCacheModeNoCache:
		return "CP_CACHE_MODE_NO_CACHE"
	}
	return fmt.Sprintf("cache mode %d", v)
}

// hexUpper is b in upper-case hex.
func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// hashAlg is a hash mdtool can sign with: its Go, CryptoAPI and BCrypt names.
type hashAlg struct {
	name   string
	hash   crypto.Hash
	calg   spec.ALGID
	bcrypt string
}

// hashByFlag looks up --hash.
func hashByFlag(name string) (hashAlg, error) {
	for _, h := range []hashAlg{
		{"sha1", crypto.SHA1, spec.CALGSHA1, spec.BCryptSHA1Algorithm},
		{"sha256", crypto.SHA256, spec.CALGSHA256, spec.BCryptSHA256Algorithm},
		{"sha384", crypto.SHA384, spec.CALGSHA384, spec.BCryptSHA384Algorithm},
		{"sha512", crypto.SHA512, spec.CALGSHA512, spec.BCryptSHA512Algorithm},
	} {
		if strings.EqualFold(strings.ReplaceAll(name, "-", ""), h.name) {
			return h, nil
		}
	}
	return hashAlg{}, usageError{fmt.Sprintf("--hash %q: use sha1, sha256, sha384 or sha512", name)}
}

// sha256Hex is the SHA-256 of b in hex.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
