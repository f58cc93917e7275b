package kdf

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cardmod/cardmod/spec"
)

var sentinels = []error{ErrUnknownKDF, ErrBadFlags, ErrBadParam, ErrMissingParam, ErrUnsupportedHash, ErrUnsupported, ErrBadLength, ErrBadSecret}

// onlySentinel checks that err wraps want and no other sentinel.
func onlySentinel(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v does not wrap %v", err, want)
	}
	for _, s := range sentinels {
		if s != want && errors.Is(err, s) {
			t.Fatalf("error %v also wraps %v", err, s)
		}
	}
}

func TestErrors(t *testing.T) {
	z := bytes.Repeat([]byte{7}, 32)
	seed := make([]byte, 64)
	label := bytesParam(spec.KDFTLSPRFLabel, []byte("l"))
	seedP := bytesParam(spec.KDFTLSPRFSeed, seed)
	alg := bytesParam(spec.KDFAlgorithmID, []byte("a"))
	pu := bytesParam(spec.KDFPartyUInfo, []byte("u"))
	pv := bytesParam(spec.KDFPartyVInfo, []byte("v"))
	key := bytesParam(spec.KDFHMACKey, []byte("k"))
	utf16 := func(s string) Param {
		return Param{Type: uint32(spec.KDFHashAlgorithm), Data: spec.UTF16LEBytes(s)[:2*len(s)]}
	}

	tests := []struct {
		name   string
		kdf    string
		secret []byte
		params []Param
		flags  uint32
		outLen int
		want   error
		index  int // ParamError.Index, -1 when no ParamError
	}{
		// The KDF name: exact, case-sensitive, no HKDF, no BCryptKeyDerivation names.
		{"unknown KDF", "SHA256", z, nil, 0, 0, ErrUnknownKDF, -1},
		{"empty KDF", "", z, nil, 0, 0, ErrUnknownKDF, -1},
		{"lower-case KDF", "hash", z, nil, 0, 0, ErrUnknownKDF, -1},
		{"KDF with NUL", "HASH\x00", z, nil, 0, 0, ErrUnknownKDF, -1},
		{"HKDF", "HKDF", z, nil, 0, 0, ErrUnknownKDF, -1},
		{"SP800_108", "SP800_108_CTR_HMAC", z, nil, 0, 0, ErrUnknownKDF, -1},

		// Flags.
		{"CARD_BUFFER_SIZE_ONLY not stripped", spec.BCryptKDFHash, z, nil, 0x20000000, 0, ErrBadFlags, -1},
		{"CARD_RETURN_KEY_HANDLE not stripped", spec.BCryptKDFHMAC, z, []Param{key}, 0x1000000, 0, ErrBadFlags, -1},
		{"flag 2", spec.BCryptKDFHash, z, nil, 2, 0, ErrBadFlags, -1},

		// The secret.
		{"empty secret", spec.BCryptKDFHash, nil, nil, 0, 0, ErrBadSecret, -1},
		{"empty secret TRUNCATE", BCryptKDFRawSecret, []byte{}, nil, 0, 0, ErrBadSecret, -1},
		{"secret too long", spec.BCryptKDFHash, make([]byte, MaxSecretSize+1), nil, 0, 0, ErrBadSecret, -1},

		// Buffer types not valid for the KDF, unknown types, KDF_SECRET_HANDLE.
		{"seed for HASH", spec.BCryptKDFHash, z, []Param{seedP}, 0, 0, ErrBadParam, 0},
		{"HMAC key for HASH", spec.BCryptKDFHash, z, []Param{hashParam("SHA1"), key}, 0, 0, ErrBadParam, 1},
		{"prepend for TLS", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, bytesParam(spec.KDFSecretPrepend, nil)}, 0, 0, ErrBadParam, 2},
		{"prepend for CONCAT", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv, bytesParam(spec.KDFSecretPrepend, nil)}, 0, 0, ErrBadParam, 3},
		{"label for HMAC", spec.BCryptKDFHMAC, z, []Param{key, label}, 0, 0, ErrBadParam, 1},
		{"any param for TRUNCATE", BCryptKDFRawSecret, z, []Param{hashParam("SHA1")}, 0, 0, ErrBadParam, 0},
		{"secret handle", spec.BCryptKDFHash, z, []Param{bytesParam(spec.KDFSecretHandle, make([]byte, 8))}, 0, 0, ErrBadParam, 0},
		{"generic parameter", spec.BCryptKDFSP80056AConcat, z, []Param{bytesParam(spec.KDFGenericParameter, []byte("x"))}, 0, 0, ErrBadParam, 0},
		{"HKDF info", spec.BCryptKDFHash, z, []Param{bytesParam(spec.KDFHKDFInfo, nil)}, 0, 0, ErrBadParam, 0},
		{"unknown type 0x15", spec.BCryptKDFHash, z, []Param{{Type: 0x15}}, 0, 0, ErrBadParam, 0},
		{"unknown type max", spec.BCryptKDFHMAC, z, []Param{key, {Type: 0xFFFFFFFF}}, 0, 0, ErrBadParam, 1},

		// Repeated single-valued buffers.
		{"hash twice", spec.BCryptKDFHash, z, []Param{hashParam("SHA1"), hashParam("SHA1")}, 0, 0, ErrBadParam, 1},
		{"HMAC key twice", spec.BCryptKDFHMAC, z, []Param{key, key}, 0, 0, ErrBadParam, 1},
		{"label twice", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, label}, 0, 0, ErrBadParam, 2},
		{"seed twice", spec.BCryptKDFTLSPRF, z, []Param{seedP, label, seedP}, 0, 0, ErrBadParam, 2},
		{"protocol twice", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0x301), dwordParam(spec.KDFTLSPRFProtocol, 0x301)}, 0, 0, ErrBadParam, 3},
		{"PartyUInfo twice", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv, pu}, 0, 0, ErrBadParam, 3},

		// KDF_HASH_ALGORITHM values.
		{"hash without NUL", spec.BCryptKDFHash, z, []Param{utf16("SHA1")}, 0, 0, ErrBadParam, 0},
		{"hash odd length", spec.BCryptKDFHash, z, []Param{{Type: 0, Data: []byte{'S', 0, 0}}}, 0, 0, ErrBadParam, 0},
		{"hash NULL buffer", spec.BCryptKDFHash, z, []Param{{Type: 0}}, 0, 0, ErrBadParam, 0},
		{"hash empty name", spec.BCryptKDFHash, z, []Param{hashParam("")}, 0, 0, ErrUnsupportedHash, 0},
		{"hash unknown name", spec.BCryptKDFHash, z, []Param{hashParam("INVALID")}, 0, 0, ErrUnsupportedHash, 0},
		{"hash RNG", spec.BCryptKDFHMAC, z, []Param{key, hashParam("RNG")}, 0, 0, ErrUnsupportedHash, 1},
		{"hash lower case", spec.BCryptKDFHash, z, []Param{hashParam("sha256")}, 0, 0, ErrUnsupportedHash, 0},
		{"hash SHA224", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv, hashParam("SHA224")}, 0, 0, ErrUnsupportedHash, 3},
		{"hash MD4", spec.BCryptKDFHash, z, []Param{hashParam("MD4")}, 0, 0, ErrUnsupportedHash, 0},
		{"hash ANSI", spec.BCryptKDFHash, z, []Param{{Type: 0, Data: []byte("SHA1\x00\x00")}}, 0, 0, ErrUnsupportedHash, 0},
		{"TLS 1.2 with SHA1", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0x303), hashParam("SHA1")}, 0, 0, ErrUnsupportedHash, -1},
		{"TLS 1.2 with SHA512", spec.BCryptKDFTLSPRF, z, []Param{hashParam("SHA512"), label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0x303)}, 0, 0, ErrUnsupportedHash, -1},

		// HMAC key rules.
		{"HMAC without key or flag", spec.BCryptKDFHMAC, z, nil, 0, 0, ErrMissingParam, -1},
		{"HMAC with hash only", spec.BCryptKDFHMAC, z, []Param{hashParam("SHA256")}, 0, 0, ErrMissingParam, -1},
		{"HMAC key and flag", spec.BCryptKDFHMAC, z, []Param{key}, FlagUseSecretAsHMACKey, 0, ErrBadParam, -1},

		// TLS_PRF.
		{"TLS no label", spec.BCryptKDFTLSPRF, z, []Param{seedP}, 0, 0, ErrMissingParam, -1},
		{"TLS no seed", spec.BCryptKDFTLSPRF, z, []Param{label}, 0, 0, ErrMissingParam, -1},
		{"TLS no params", spec.BCryptKDFTLSPRF, z, nil, 0, 0, ErrMissingParam, -1},
		{"TLS seed 0", spec.BCryptKDFTLSPRF, z, []Param{label, bytesParam(spec.KDFTLSPRFSeed, nil)}, 0, 0, ErrBadParam, 1},
		{"TLS seed 63", spec.BCryptKDFTLSPRF, z, []Param{label, bytesParam(spec.KDFTLSPRFSeed, seed[:63])}, 0, 0, ErrBadParam, 1},
		{"TLS seed 65", spec.BCryptKDFTLSPRF, z, []Param{label, bytesParam(spec.KDFTLSPRFSeed, make([]byte, 65))}, 0, 0, ErrBadParam, 1},
		{"TLS protocol 2 bytes", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, bytesParam(spec.KDFTLSPRFProtocol, []byte{3, 3})}, 0, 0, ErrBadParam, 2},
		{"TLS protocol 8 bytes", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, bytesParam(spec.KDFTLSPRFProtocol, make([]byte, 8))}, 0, 0, ErrBadParam, 2},
		{"TLS protocol 0", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0)}, 0, 0, ErrBadParam, 2},
		{"TLS protocol 1.3", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0x0304)}, 0, 0, ErrBadParam, 2},
		{"TLS protocol big-endian 1.2", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0x03030000)}, 0, 0, ErrBadParam, 2},
		{"TLS SSL3", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0x0300)}, 0, 0, ErrUnsupported, 2},
		{"TLS SSL2", spec.BCryptKDFTLSPRF, z, []Param{label, seedP, dwordParam(spec.KDFTLSPRFProtocol, 0x0002)}, 0, 0, ErrUnsupported, 2},
		{"TLS outLen 47", spec.BCryptKDFTLSPRF, z, []Param{label, seedP}, 0, 47, ErrBadLength, -1},
		{"TLS outLen 1", spec.BCryptKDFTLSPRF, z, []Param{label, seedP}, 0, 1, ErrBadLength, -1},

		// SP800_56A_CONCAT.
		{"CONCAT no params", spec.BCryptKDFSP80056AConcat, z, nil, 0, 0, ErrMissingParam, -1},
		{"CONCAT no AlgorithmID", spec.BCryptKDFSP80056AConcat, z, []Param{pu, pv}, 0, 0, ErrMissingParam, -1},
		{"CONCAT no PartyUInfo", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pv}, 0, 0, ErrMissingParam, -1},
		{"CONCAT no PartyVInfo", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, bytesParam(spec.KDFSuppPubInfo, nil)}, 0, 0, ErrMissingParam, -1},
		{"CONCAT key bits 0", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv, dwordParam(spec.KDFKeyBitLength, 0)}, 0, 0, ErrBadParam, 3},
		{"CONCAT key bits too many", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv, dwordParam(spec.KDFKeyBitLength, 8*MaxConcatSize+1)}, 0, 0, ErrBadParam, 3},
		{"CONCAT key bits 2 bytes", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv, bytesParam(spec.KDFKeyBitLength, []byte{128, 0})}, 0, 0, ErrBadParam, 3},
		{"CONCAT outLen too big", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv}, 0, MaxConcatSize + 1, ErrBadLength, -1},

		// outLen.
		{"negative outLen HASH", spec.BCryptKDFHash, z, nil, 0, -1, ErrBadLength, -1},
		{"negative outLen TRUNCATE", BCryptKDFRawSecret, z, nil, 0, -5, ErrBadLength, -1},
		{"negative outLen CONCAT", spec.BCryptKDFSP80056AConcat, z, []Param{alg, pu, pv}, 0, -1, ErrBadLength, -1},
		{"negative outLen TLS", spec.BCryptKDFTLSPRF, z, []Param{label, seedP}, 0, -1, ErrBadLength, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Derive(tc.kdf, tc.secret, tc.params, tc.flags, tc.outLen)
			if got != nil {
				t.Errorf("Derive returned %x with error %v", got, err)
			}
			onlySentinel(t, err, tc.want)
			var pe *ParamError
			if errors.As(err, &pe) != (tc.index >= 0) {
				t.Fatalf("ParamError %v, want index %d", err, tc.index)
			}
			if pe != nil && (pe.Index != tc.index || pe.Type != tc.params[tc.index].Type) {
				t.Fatalf("ParamError index %d type %d, want %d", pe.Index, pe.Type, tc.index)
			}
			n, serr := Size(tc.kdf, len(tc.secret), tc.params, tc.flags, tc.outLen)
			if n != 0 || serr == nil || serr.Error() != err.Error() {
				t.Fatalf("Size = %d, %v; Derive error %v", n, serr, err)
			}
			t.Log(err)
		})
	}
}

// TestValidEdgeCases: values that look odd but Windows (or this package's documented decision)
// accepts.
func TestValidEdgeCases(t *testing.T) {
	z := bytes.Repeat([]byte{9}, 48)
	seed := make([]byte, 64)
	tests := []struct {
		name   string
		kdf    string
		params []Param
		flags  uint32
		outLen int
		size   int
	}{
		{"hash name with trailing bytes after the NUL", spec.BCryptKDFHash, []Param{{Type: 0, Data: append(spec.UTF16LEBytes("SHA384"), 'x', 0)}}, 0, 0, 48},
		{"hash name with two NULs", spec.BCryptKDFHash, []Param{{Type: 0, Data: spec.UTF16LEBytes("SHA512\x00")}}, 0, 0, 64},
		{"MD5 HASH", spec.BCryptKDFHash, []Param{hashParam("MD5")}, 0, 0, 16},
		{"HASH outLen above the hash size", spec.BCryptKDFHash, []Param{hashParam("SHA256")}, 0, 1000, 32},
		{"HASH outLen 1", spec.BCryptKDFHash, nil, 0, 1, 1},
		{"HMAC empty key", spec.BCryptKDFHMAC, []Param{bytesParam(spec.KDFHMACKey, nil)}, 0, 0, 20},
		{"many prepends", spec.BCryptKDFHMAC, []Param{bytesParam(spec.KDFSecretPrepend, nil), bytesParam(spec.KDFSecretPrepend, []byte{1}), bytesParam(spec.KDFSecretPrepend, []byte{2})}, FlagUseSecretAsHMACKey, 0, 20},
		{"TLS empty label", spec.BCryptKDFTLSPRF, []Param{bytesParam(spec.KDFTLSPRFLabel, nil), bytesParam(spec.KDFTLSPRFSeed, seed)}, 0, 0, 48},
		{"TLS flag ignored", spec.BCryptKDFTLSPRF, []Param{bytesParam(spec.KDFTLSPRFLabel, []byte("x")), bytesParam(spec.KDFTLSPRFSeed, seed)}, FlagUseSecretAsHMACKey, 0, 48},
		{"TLS outLen 48", spec.BCryptKDFTLSPRF, []Param{bytesParam(spec.KDFTLSPRFLabel, []byte("x")), bytesParam(spec.KDFTLSPRFSeed, seed)}, 0, 48, 48},
		{"TLS outLen 100", spec.BCryptKDFTLSPRF, []Param{bytesParam(spec.KDFTLSPRFLabel, []byte("x")), bytesParam(spec.KDFTLSPRFSeed, seed)}, 0, 100, 48},
		{"TLS 1.0 with a hash name (ignored)", spec.BCryptKDFTLSPRF, []Param{hashParam("SHA512"), bytesParam(spec.KDFTLSPRFLabel, []byte("x")), bytesParam(spec.KDFTLSPRFSeed, seed)}, 0, 0, 48},
		{"DTLS 1.0", spec.BCryptKDFTLSPRF, []Param{dwordParam(spec.KDFTLSPRFProtocol, DTLS10ProtocolVersion), bytesParam(spec.KDFTLSPRFLabel, []byte("x")), bytesParam(spec.KDFTLSPRFSeed, seed)}, 0, 0, 48},
		{"CONCAT empty fields", spec.BCryptKDFSP80056AConcat, []Param{bytesParam(spec.KDFAlgorithmID, nil), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil)}, 0, 0, 48},
		{"CONCAT key bits 129", spec.BCryptKDFSP80056AConcat, []Param{bytesParam(spec.KDFAlgorithmID, nil), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil), dwordParam(spec.KDFKeyBitLength, 129)}, 0, 0, 17},
		{"CONCAT key bits cut by outLen", spec.BCryptKDFSP80056AConcat, []Param{bytesParam(spec.KDFAlgorithmID, nil), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil), dwordParam(spec.KDFKeyBitLength, 256)}, 0, 16, 16},
		{"CONCAT key bits under outLen", spec.BCryptKDFSP80056AConcat, []Param{bytesParam(spec.KDFAlgorithmID, nil), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil), dwordParam(spec.KDFKeyBitLength, 64)}, 0, 100, 8},
		{"CONCAT max size", spec.BCryptKDFSP80056AConcat, []Param{bytesParam(spec.KDFAlgorithmID, nil), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil)}, 0, MaxConcatSize, MaxConcatSize},
		{"CONCAT flag ignored", spec.BCryptKDFSP80056AConcat, []Param{bytesParam(spec.KDFAlgorithmID, nil), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil)}, FlagUseSecretAsHMACKey, 0, 48},
		{"TRUNCATE flag ignored", BCryptKDFRawSecret, nil, FlagUseSecretAsHMACKey, 0, 48},
		{"TRUNCATE empty list", BCryptKDFRawSecret, []Param{}, 0, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Derive(tc.kdf, z, tc.params, tc.flags, tc.outLen)
			if err != nil || len(got) != tc.size {
				t.Fatalf("got %d bytes, %v; want %d", len(got), err, tc.size)
			}
			n, err := Size(tc.kdf, len(z), tc.params, tc.flags, tc.outLen)
			if err != nil || n != tc.size {
				t.Fatalf("Size = %d, %v; want %d", n, err, tc.size)
			}
		})
	}
}

// Derive must neither keep nor change the caller's buffers.
func TestInputsUntouched(t *testing.T) {
	z := bytes.Repeat([]byte{5}, 32)
	zc := append([]byte(nil), z...)
	params := []Param{hashParam("SHA256"), bytesParam(spec.KDFSecretPrepend, []byte{1, 2}), bytesParam(spec.KDFHMACKey, []byte{3})}
	pc := []Param{hashParam("SHA256"), bytesParam(spec.KDFSecretPrepend, []byte{1, 2}), bytesParam(spec.KDFHMACKey, []byte{3})}
	out, err := Derive(spec.BCryptKDFHMAC, z, params, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Derive(BCryptKDFRawSecret, z, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(z, zc) {
		t.Fatal("secret changed")
	}
	for i := range params {
		if params[i].Type != pc[i].Type || !bytes.Equal(params[i].Data, pc[i].Data) {
			t.Fatalf("param %d changed", i)
		}
	}
	out[0] ^= 1
	raw[0] ^= 1
	if !bytes.Equal(z, zc) {
		t.Fatal("output aliases the secret")
	}
}

func TestTypeNameAndSupported(t *testing.T) {
	if TypeName(uint32(spec.KDFTLSPRFSeed)) != "KDF_TLS_PRF_SEED" || TypeName(0x99) != "BufferType(0x99)" {
		t.Fatalf("TypeName: %q %q", TypeName(5), TypeName(0x99))
	}
	for tp := uint32(0); tp <= uint32(spec.KDFHKDFInfo); tp++ {
		if TypeName(tp) == "" || TypeName(tp)[0] != 'K' {
			t.Errorf("TypeName(%d) = %q", tp, TypeName(tp))
		}
	}
	for _, name := range Supported() {
		if _, ok := kindOf(name); !ok {
			t.Errorf("Supported lists %q, which Derive rejects", name)
		}
	}
	if len(Supported()) != 5 {
		t.Errorf("Supported() = %v", Supported())
	}
}
