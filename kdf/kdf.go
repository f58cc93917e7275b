package kdf

import (
	"crypto"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/cardmod/cardmod/spec"
)

// BCryptKDFRawSecret is BCRYPT_KDF_RAW_SECRET (bcrypt.h, Windows 8.1 and later): the raw secret in
// little-endian byte order. The other KDF names are spec.BCryptKDFHash, spec.BCryptKDFHMAC,
// spec.BCryptKDFTLSPRF and spec.BCryptKDFSP80056AConcat.
const BCryptKDFRawSecret = "TRUNCATE"

// FlagUseSecretAsHMACKey is KDF_USE_SECRET_AS_HMAC_KEY_FLAG, the only flag Derive accepts.
const FlagUseSecretAsHMACKey = spec.KDFUseSecretAsHMACKeyFlag

// Protocol versions of a KDF_TLS_PRF_PROTOCOL buffer that the spec package does not define
// (schannel.h; BCryptDeriveKey documentation). The TLS versions are spec.TLS10ProtocolVersion,
// spec.TLS11ProtocolVersion and spec.TLS12ProtocolVersion.
const (
	SSL2ProtocolVersion   uint32 = 0x0002 // SSL2_PROTOCOL_VERSION (refused: ErrUnsupported)
	SSL3ProtocolVersion   uint32 = 0x0300 // SSL3_PROTOCOL_VERSION (refused: ErrUnsupported)
	DTLS10ProtocolVersion uint32 = 0xfeff // DTLS1_0_PROTOCOL_VERSION (the TLS 1.1 PRF)
)

const (
	// TLSPRFSize is the size of every TLS_PRF output (the TLS master secret).
	TLSPRFSize = 48
	// TLSPRFSeedSize is the only KDF_TLS_PRF_SEED length Windows accepts.
	TLSPRFSeedSize = 64
	// MaxConcatSize bounds the output of SP800_56A_CONCAT. SP 800-56A allows up to
	// (2^32-1) hash blocks; a minidriver derives symmetric keys, so 64 KiB is plenty and keeps a
	// caller from making the DLL allocate gigabytes.
	MaxConcatSize = 1 << 16
	// MaxSecretSize bounds the shared secret: 1024 bytes is an 8192-bit DH secret, and an ECDH
	// secret is at most 66 bytes (P-521).
	MaxSecretSize = 1024
)

// Param is one NCryptBuffer of a KDF parameter list: BufferType and the cbBuffer bytes pvBuffer
// points to (nil for a NULL pvBuffer). Its layout is that of engine.KDFParam, so either converts to
// the other.
type Param struct {
	Type uint32
	Data []byte
}

// Errors. Every error Derive and Size return wraps exactly one of these (test with errors.Is).
// The minidriver answers all of them with SCARD_E_INVALID_PARAMETER (reference §4.12: an unknown
// KDF, an unknown parameter, or one invalid for the KDF); see README.md for what Windows answers.
var (
	// ErrUnknownKDF: pwszKDF is none of HASH, HMAC, TLS_PRF, SP800_56A_CONCAT, TRUNCATE.
	ErrUnknownKDF = errors.New("kdf: unknown KDF")
	// ErrBadFlags: a flag other than KDF_USE_SECRET_AS_HMAC_KEY_FLAG.
	ErrBadFlags = errors.New("kdf: invalid flags")
	// ErrBadParam: a buffer type not valid for the KDF, a repeated buffer that may appear only
	// once, or a malformed value (wrong size, string without its NUL, unknown protocol, ...).
	ErrBadParam = errors.New("kdf: invalid parameter")
	// ErrMissingParam: a required buffer is absent.
	ErrMissingParam = errors.New("kdf: missing parameter")
	// ErrUnsupportedHash: KDF_HASH_ALGORITHM names no hash this package implements, or one the
	// KDF does not allow (Windows: STATUS_NOT_SUPPORTED).
	ErrUnsupportedHash = errors.New("kdf: unsupported hash algorithm")
	// ErrUnsupported: a valid Windows value this package does not implement (SSL 2/3 PRF).
	ErrUnsupported = errors.New("kdf: unsupported")
	// ErrBadLength: outLen is negative, below 48 for TLS_PRF, or above MaxConcatSize.
	ErrBadLength = errors.New("kdf: invalid length")
	// ErrBadSecret: the shared secret is empty or longer than MaxSecretSize.
	ErrBadSecret = errors.New("kdf: invalid secret")
)

// ParamError reports which buffer of the parameter list is wrong. It wraps ErrBadParam,
// ErrUnsupportedHash or ErrUnsupported.
type ParamError struct {
	Index  int    // position in the parameter list
	Type   uint32 // its BufferType
	Reason string
	Err    error
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("%v: buffer %d (%s): %s", e.Err, e.Index, TypeName(e.Type), e.Reason)
}

func (e *ParamError) Unwrap() error { return e.Err }

func paramErr(i int, p Param, err error, format string, args ...any) error {
	return &ParamError{Index: i, Type: p.Type, Reason: fmt.Sprintf(format, args...), Err: err}
}

// TypeName returns the bcrypt.h name of a KDF buffer type ("KDF_TLS_PRF_SEED"), or
// "BufferType(0x..)".
func TypeName(t uint32) string {
	if n, ok := typeNames[spec.KDFBufferType(t)]; ok {
		return n
	}
	return fmt.Sprintf("BufferType(0x%X)", t)
}

var typeNames = map[spec.KDFBufferType]string{
	spec.KDFHashAlgorithm:    "KDF_HASH_ALGORITHM",
	spec.KDFSecretPrepend:    "KDF_SECRET_PREPEND",
	spec.KDFSecretAppend:     "KDF_SECRET_APPEND",
	spec.KDFHMACKey:          "KDF_HMAC_KEY",
	spec.KDFTLSPRFLabel:      "KDF_TLS_PRF_LABEL",
	spec.KDFTLSPRFSeed:       "KDF_TLS_PRF_SEED",
	spec.KDFSecretHandle:     "KDF_SECRET_HANDLE",
	spec.KDFTLSPRFProtocol:   "KDF_TLS_PRF_PROTOCOL",
	spec.KDFAlgorithmID:      "KDF_ALGORITHMID",
	spec.KDFPartyUInfo:       "KDF_PARTYUINFO",
	spec.KDFPartyVInfo:       "KDF_PARTYVINFO",
	spec.KDFSuppPubInfo:      "KDF_SUPPPUBINFO",
	spec.KDFSuppPrivInfo:     "KDF_SUPPPRIVINFO",
	spec.KDFLabel:            "KDF_LABEL",
	spec.KDFContext:          "KDF_CONTEXT",
	spec.KDFSalt:             "KDF_SALT",
	spec.KDFIterationCount:   "KDF_ITERATION_COUNT",
	spec.KDFGenericParameter: "KDF_GENERIC_PARAMETER",
	spec.KDFKeyBitLength:     "KDF_KEYBITLENGTH",
	spec.KDFHKDFSalt:         "KDF_HKDF_SALT",
	spec.KDFHKDFInfo:         "KDF_HKDF_INFO",
}

// Supported returns the KDF names Derive accepts, in the order a CP_ENUM_ALGORITHMS-style list
// would give them.
func Supported() []string {
	return []string{spec.BCryptKDFHash, spec.BCryptKDFHMAC, spec.BCryptKDFTLSPRF,
		spec.BCryptKDFSP80056AConcat, BCryptKDFRawSecret}
}

type kind int

const (
	kindHash kind = iota + 1
	kindHMAC
	kindTLS
	kindConcat
	kindRaw
)

func kindOf(name string) (kind, bool) {
	switch name {
	case spec.BCryptKDFHash:
		return kindHash, true
	case spec.BCryptKDFHMAC:
		return kindHMAC, true
	case spec.BCryptKDFTLSPRF:
		return kindTLS, true
	case spec.BCryptKDFSP80056AConcat:
		return kindConcat, true
	case BCryptKDFRawSecret:
		return kindRaw, true
	}
	return 0, false
}

// allowed lists the buffer types each KDF takes (BCryptDeriveKey documentation, plus
// KDF_KEYBITLENGTH and KDF_HASH_ALGORITHM for SP800_56A_CONCAT as the EstEID minidriver does).
var allowed = map[kind][]spec.KDFBufferType{
	kindHash:   {spec.KDFHashAlgorithm, spec.KDFSecretPrepend, spec.KDFSecretAppend},
	kindHMAC:   {spec.KDFHashAlgorithm, spec.KDFSecretPrepend, spec.KDFSecretAppend, spec.KDFHMACKey},
	kindTLS:    {spec.KDFTLSPRFLabel, spec.KDFTLSPRFSeed, spec.KDFTLSPRFProtocol, spec.KDFHashAlgorithm},
	kindConcat: {spec.KDFAlgorithmID, spec.KDFPartyUInfo, spec.KDFPartyVInfo, spec.KDFSuppPubInfo, spec.KDFSuppPrivInfo, spec.KDFHashAlgorithm, spec.KDFKeyBitLength},
	kindRaw:    nil,
}

// plan is a validated request. Its byte slices alias the caller's parameter buffers.
type plan struct {
	kind     kind
	hash     crypto.Hash // HASH, HMAC, CONCAT, TLS 1.2
	hashSet  bool
	prepend  [][]byte
	append   [][]byte
	hmacKey  []byte
	hasKey   bool
	useZ     bool // KDF_USE_SECRET_AS_HMAC_KEY_FLAG
	label    []byte
	seed     []byte
	protocol uint32
	tls12    bool
	other    [5][]byte // AlgorithmID, PartyUInfo, PartyVInfo, SuppPubInfo, SuppPrivInfo
	keyBits  uint32
}

// concatField maps the SP 800-56A buffer types to their place in OtherInfo.
var concatField = map[spec.KDFBufferType]int{
	spec.KDFAlgorithmID:  0,
	spec.KDFPartyUInfo:   1,
	spec.KDFPartyVInfo:   2,
	spec.KDFSuppPubInfo:  3,
	spec.KDFSuppPrivInfo: 4,
}

func parse(name string, secretLen int, params []Param, flags uint32) (*plan, error) {
	k, ok := kindOf(name)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKDF, name)
	}
	if flags&^FlagUseSecretAsHMACKey != 0 {
		return nil, fmt.Errorf("%w 0x%X", ErrBadFlags, flags)
	}
	if secretLen <= 0 || secretLen > MaxSecretSize {
		return nil, fmt.Errorf("%w: %d bytes, want 1..%d", ErrBadSecret, secretLen, MaxSecretSize)
	}
	pl := &plan{kind: k, useZ: flags&FlagUseSecretAsHMACKey != 0}
	seen := make(map[spec.KDFBufferType]bool, len(params))
	var hasLabel, hasSeed bool
	var hasOther [5]bool
	for i, p := range params {
		t := spec.KDFBufferType(p.Type)
		if !typeAllowed(k, t) {
			return nil, paramErr(i, p, ErrBadParam, "not a parameter of %s", name)
		}
		if t != spec.KDFSecretPrepend && t != spec.KDFSecretAppend {
			if seen[t] {
				return nil, paramErr(i, p, ErrBadParam, "given twice")
			}
			seen[t] = true
		}
		switch t {
		case spec.KDFHashAlgorithm:
			h, reason, err := hashFromParam(p.Data)
			if err != nil {
				return nil, paramErr(i, p, err, "%s", reason)
			}
			pl.hash, pl.hashSet = h, true
		case spec.KDFSecretPrepend:
			pl.prepend = append(pl.prepend, p.Data)
		case spec.KDFSecretAppend:
			pl.append = append(pl.append, p.Data)
		case spec.KDFHMACKey:
			pl.hmacKey, pl.hasKey = p.Data, true
		case spec.KDFTLSPRFLabel:
			pl.label, hasLabel = p.Data, true
		case spec.KDFTLSPRFSeed:
			if len(p.Data) != TLSPRFSeedSize {
				return nil, paramErr(i, p, ErrBadParam, "%d bytes, want %d", len(p.Data), TLSPRFSeedSize)
			}
			pl.seed, hasSeed = p.Data, true
		case spec.KDFTLSPRFProtocol:
			if len(p.Data) != 4 {
				return nil, paramErr(i, p, ErrBadParam, "%d bytes, want a 4-byte DWORD", len(p.Data))
			}
			pl.protocol = binary.LittleEndian.Uint32(p.Data)
			switch pl.protocol {
			case spec.TLS10ProtocolVersion, spec.TLS11ProtocolVersion, DTLS10ProtocolVersion:
			case spec.TLS12ProtocolVersion:
				pl.tls12 = true
			case SSL2ProtocolVersion, SSL3ProtocolVersion:
				return nil, paramErr(i, p, ErrUnsupported, "SSL protocol 0x%04X", pl.protocol)
			default:
				return nil, paramErr(i, p, ErrBadParam, "unknown protocol 0x%X", pl.protocol)
			}
		case spec.KDFKeyBitLength:
			if len(p.Data) != 4 {
				return nil, paramErr(i, p, ErrBadParam, "%d bytes, want a 4-byte DWORD", len(p.Data))
			}
			pl.keyBits = binary.LittleEndian.Uint32(p.Data)
			if pl.keyBits == 0 || uint64(pl.keyBits) > 8*MaxConcatSize {
				return nil, paramErr(i, p, ErrBadParam, "%d bits, want 1..%d", pl.keyBits, 8*MaxConcatSize)
			}
		default: // the SP 800-56A OtherInfo fields
			f := concatField[t]
			pl.other[f], hasOther[f] = p.Data, true
		}
	}
	switch k {
	case kindHash:
		if !pl.hashSet {
			pl.hash = crypto.SHA1
		}
	case kindHMAC:
		if !pl.hashSet {
			pl.hash = crypto.SHA1
		}
		if pl.useZ && pl.hasKey {
			return nil, fmt.Errorf("%w: KDF_HMAC_KEY together with KDF_USE_SECRET_AS_HMAC_KEY_FLAG", ErrBadParam)
		}
		if !pl.useZ && !pl.hasKey {
			return nil, fmt.Errorf("%w: HMAC needs KDF_HMAC_KEY or KDF_USE_SECRET_AS_HMAC_KEY_FLAG", ErrMissingParam)
		}
	case kindTLS:
		if !hasLabel {
			return nil, fmt.Errorf("%w: KDF_TLS_PRF_LABEL", ErrMissingParam)
		}
		if !hasSeed {
			return nil, fmt.Errorf("%w: KDF_TLS_PRF_SEED", ErrMissingParam)
		}
		if pl.tls12 {
			if !pl.hashSet {
				pl.hash = crypto.SHA256
			} else if pl.hash != crypto.SHA256 && pl.hash != crypto.SHA384 {
				return nil, fmt.Errorf("%w: the TLS 1.2 PRF takes SHA256 or SHA384, not %v", ErrUnsupportedHash, pl.hash)
			}
		}
	case kindConcat:
		for f, name := range []string{"KDF_ALGORITHMID", "KDF_PARTYUINFO", "KDF_PARTYVINFO"} {
			if !hasOther[f] {
				return nil, fmt.Errorf("%w: %s", ErrMissingParam, name)
			}
		}
		if !pl.hashSet {
			pl.hash = concatDefaultHash(secretLen)
		}
	}
	return pl, nil
}

func typeAllowed(k kind, t spec.KDFBufferType) bool {
	for _, a := range allowed[k] {
		if a == t {
			return true
		}
	}
	return false
}

// concatDefaultHash is the hash Windows picks for SP800_56A_CONCAT: the one matching the security
// strength of the curve (P-256: SHA256, P-384: SHA384, P-521: SHA512), here from the length of
// the x coordinate.
func concatDefaultHash(secretLen int) crypto.Hash {
	switch {
	case secretLen <= 32:
		return crypto.SHA256
	case secretLen <= 48:
		return crypto.SHA384
	}
	return crypto.SHA512
}

// hashFromParam decodes a KDF_HASH_ALGORITHM buffer: UTF-16LE, NUL-terminated within cbBuffer
// (BCryptBuffer documentation: cbBuffer includes the terminating NUL), a BCRYPT_*_ALGORITHM name
// compared case-sensitively. On failure it returns the sentinel error and the reason.
func hashFromParam(b []byte) (crypto.Hash, string, error) {
	if len(b)%2 != 0 {
		return 0, fmt.Sprintf("odd length %d for a UTF-16 string", len(b)), ErrBadParam
	}
	u := make([]uint16, 0, len(b)/2)
	terminated := false
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			terminated = true
			break
		}
		u = append(u, c)
	}
	if !terminated {
		return 0, "hash name without its terminating NUL", ErrBadParam
	}
	name := string(utf16.Decode(u))
	h, ok := spec.HashFromName(name)
	if !ok {
		return 0, fmt.Sprintf("hash algorithm %q", name), ErrUnsupportedHash
	}
	return h, "", nil
}

// size is the number of bytes Derive returns for the plan (see Size).
func (pl *plan) size(secretLen, outLen int) (int, error) {
	if outLen < 0 {
		return 0, fmt.Errorf("%w: outLen %d", ErrBadLength, outLen)
	}
	var natural int
	switch pl.kind {
	case kindHash, kindHMAC:
		natural = pl.hash.Size()
	case kindTLS:
		if outLen > 0 && outLen < TLSPRFSize {
			return 0, fmt.Errorf("%w: TLS_PRF output is %d bytes, outLen %d", ErrBadLength, TLSPRFSize, outLen)
		}
		return TLSPRFSize, nil
	case kindRaw:
		natural = secretLen
	case kindConcat:
		switch {
		case pl.keyBits != 0:
			natural = int((pl.keyBits + 7) / 8)
		case outLen > 0:
			natural = outLen
		default:
			natural = secretLen
		}
		if natural > MaxConcatSize {
			return 0, fmt.Errorf("%w: %d bytes, at most %d", ErrBadLength, natural, MaxConcatSize)
		}
	}
	if outLen > 0 && outLen < natural {
		return outLen, nil
	}
	return natural, nil
}

// Size returns the number of bytes Derive returns for the same arguments, after the same
// validation, without computing anything (CARD_BUFFER_SIZE_ONLY). secretLen is the length of the
// shared secret (the x coordinate: 32, 48 or 66 bytes for P-256, P-384, P-521).
//
// outLen is the caller's buffer size, 0 for "the natural size":
//   - HASH, HMAC: the hash size; a smaller outLen keeps its first outLen bytes (Windows copies
//     only cbDerivedKey bytes), a larger one changes nothing.
//   - TLS_PRF: always 48; outLen must be 0 or at least 48.
//   - TRUNCATE: the secret length; a smaller outLen keeps the first (least significant) bytes of
//     the little-endian secret.
//   - SP800_56A_CONCAT: ceil(KDF_KEYBITLENGTH/8) when that buffer is given (capped by a smaller
//     nonzero outLen), else outLen when nonzero, else the secret length; at most MaxConcatSize.
func Size(kdfName string, secretLen int, params []Param, flags uint32, outLen int) (int, error) {
	pl, err := parse(kdfName, secretLen, params, flags)
	if err != nil {
		return 0, err
	}
	return pl.size(secretLen, outLen)
}

// Derive runs the CNG key derivation function kdfName (BCRYPT_KDF_*: "HASH", "HMAC", "TLS_PRF",
// "SP800_56A_CONCAT", "TRUNCATE") on the shared secret secretBE, byte for byte as
// BCryptDeriveKey / NCryptDeriveKey do on an ECDH secret agreement.
//
// secretBE is the shared secret as the card returns it: the big-endian x coordinate, at the full
// field length (leading zero bytes kept). Every KDF except TRUNCATE uses it in that order;
// TRUNCATE returns it reversed (little-endian), as Windows documents.
//
// params is the NCryptBufferDesc as a list; flags is 0 or FlagUseSecretAsHMACKey (the caller
// strips CARD_RETURN_KEY_HANDLE and CARD_BUFFER_SIZE_ONLY first); outLen is described at Size.
// The result is a new slice of Size(...) bytes; secretBE and params are neither kept nor changed.
func Derive(kdfName string, secretBE []byte, params []Param, flags uint32, outLen int) ([]byte, error) {
	pl, err := parse(kdfName, len(secretBE), params, flags)
	if err != nil {
		return nil, err
	}
	n, err := pl.size(len(secretBE), outLen)
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	switch pl.kind {
	case kindHash:
		deriveHash(pl, secretBE, out)
	case kindHMAC:
		deriveHMAC(pl, secretBE, out)
	case kindTLS:
		if pl.tls12 {
			pHash(pl.hash, secretBE, pl.label, pl.seed, out)
		} else {
			prf10(secretBE, pl.label, pl.seed, out)
		}
	case kindConcat:
		concat(pl.hash, secretBE, pl.other[:], out)
	case kindRaw:
		for i := range out {
			out[i] = secretBE[len(secretBE)-1-i]
		}
	}
	return out, nil
}
