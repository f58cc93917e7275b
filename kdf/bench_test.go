package kdf

import (
	"bytes"
	"testing"

	"github.com/cardmod/cardmod/spec"
)

// BenchmarkDerive measures each KDF on a P-256-sized secret with typical parameters.
func BenchmarkDerive(b *testing.B) {
	z := bytes.Repeat([]byte{0x5a}, 32)
	seed := make([]byte, 64)
	cases := []struct {
		name   string
		kdf    string
		params []Param
		flags  uint32
		outLen int
	}{
		{"HASH", spec.BCryptKDFHash, []Param{hashParam("SHA256"), bytesParam(spec.KDFSecretPrepend, []byte{0, 0, 0, 1}), bytesParam(spec.KDFSecretAppend, []byte("info"))}, 0, 0},
		{"HMAC", spec.BCryptKDFHMAC, []Param{hashParam("SHA256"), bytesParam(spec.KDFSecretAppend, []byte("info"))}, FlagUseSecretAsHMACKey, 0},
		{"TLS_PRF", spec.BCryptKDFTLSPRF, []Param{bytesParam(spec.KDFTLSPRFLabel, []byte("master secret")), bytesParam(spec.KDFTLSPRFSeed, seed)}, 0, 0},
		{"TLS_PRF_1.2", spec.BCryptKDFTLSPRF, []Param{bytesParam(spec.KDFTLSPRFLabel, []byte("master secret")), bytesParam(spec.KDFTLSPRFSeed, seed), dwordParam(spec.KDFTLSPRFProtocol, spec.TLS12ProtocolVersion)}, 0, 0},
		{"SP800_56A_CONCAT", spec.BCryptKDFSP80056AConcat, []Param{bytesParam(spec.KDFAlgorithmID, []byte("A256GCM")), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil)}, 0, 32},
		{"TRUNCATE", BCryptKDFRawSecret, nil, 0, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Derive(c.kdf, z, c.params, c.flags, c.outLen); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
