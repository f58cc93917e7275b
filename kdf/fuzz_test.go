package kdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/cardmod/cardmod/spec"
)

// decodeList turns fuzz bytes into a parameter list: per buffer a type byte (0xF0 and above
// stand for large BufferType values), a length byte and that many data bytes (fewer at the end;
// length 0xFF means a NULL pvBuffer).
func decodeList(b []byte) []Param {
	var ps []Param
	for len(b) >= 2 {
		t := uint32(b[0])
		if t >= 0xF0 {
			t = 0xFFFFFF00 | t
		}
		n := int(b[1])
		b = b[2:]
		if n == 0xFF {
			ps = append(ps, Param{Type: t})
			continue
		}
		n = min(n, len(b))
		ps = append(ps, Param{Type: t, Data: b[:n:n]})
		b = b[n:]
	}
	return ps
}

func encodeList(ps ...Param) []byte {
	var b []byte
	for _, p := range ps {
		b = append(b, byte(p.Type), byte(len(p.Data)))
		b = append(b, p.Data...)
	}
	return b
}

func FuzzDerive(f *testing.F) {
	z := bytes.Repeat([]byte{0x42}, 32)
	seed := make([]byte, 64)
	f.Add("HASH", z, encodeList(hashParam("SHA256"), bytesParam(spec.KDFSecretPrepend, []byte{1})), uint32(0), 0)
	f.Add("HMAC", z, encodeList(bytesParam(spec.KDFHMACKey, []byte("k")), bytesParam(spec.KDFSecretAppend, []byte{2})), uint32(0), 10)
	f.Add("HMAC", z, encodeList(hashParam("SHA512")), uint32(1), 0)
	f.Add("TLS_PRF", z, encodeList(bytesParam(spec.KDFTLSPRFLabel, []byte("master secret")), bytesParam(spec.KDFTLSPRFSeed, seed)), uint32(0), 48)
	f.Add("TLS_PRF", z, encodeList(bytesParam(spec.KDFTLSPRFLabel, nil), bytesParam(spec.KDFTLSPRFSeed, seed), dwordParam(spec.KDFTLSPRFProtocol, 0x303), hashParam("SHA384")), uint32(0), 0)
	f.Add("SP800_56A_CONCAT", z, encodeList(bytesParam(spec.KDFAlgorithmID, []byte("a")), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil), dwordParam(spec.KDFKeyBitLength, 200)), uint32(0), 0)
	f.Add("SP800_56A_CONCAT", z[:5], encodeList(bytesParam(spec.KDFAlgorithmID, nil), bytesParam(spec.KDFPartyUInfo, nil), bytesParam(spec.KDFPartyVInfo, nil), bytesParam(spec.KDFSuppPrivInfo, []byte{9})), uint32(0), 1000)
	f.Add("TRUNCATE", z, []byte{}, uint32(0), 7)
	f.Add("TRUNCATE", []byte{}, []byte{0, 0xff}, uint32(0x20000000), -1)
	f.Fuzz(func(t *testing.T, name string, secret, list []byte, flags uint32, outLen int) {
		// Outputs of 1 KiB..64 KiB only make the fuzzer slow (TestValidEdgeCases covers the
		// maximum); beyond MaxConcatSize the length error is still reached.
		if outLen > 1024 && outLen <= MaxConcatSize {
			outLen = outLen%1024 + 1
		}
		params := decodeList(list)
		secretCopy := append([]byte(nil), secret...)
		listCopy := append([]byte(nil), list...)
		out, err := Derive(name, secret, params, flags, outLen)
		n, serr := Size(name, len(secret), params, flags, outLen)
		if !bytes.Equal(secret, secretCopy) || !bytes.Equal(list, listCopy) {
			t.Fatal("inputs modified")
		}
		if err != nil {
			if out != nil {
				t.Fatalf("output %x with error %v", out, err)
			}
			matches := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					matches++
				}
			}
			if matches != 1 {
				t.Fatalf("error %v wraps %d sentinels", err, matches)
			}
			if serr == nil || serr.Error() != err.Error() || n != 0 {
				t.Fatalf("Size = %d, %v; Derive error %v", n, serr, err)
			}
			return
		}
		if serr != nil || n != len(out) {
			t.Fatalf("Size = %d, %v; Derive gave %d bytes", n, serr, len(out))
		}
		if outLen > 0 && len(out) > outLen {
			t.Fatalf("%d bytes for outLen %d", len(out), outLen)
		}
		again, err := Derive(name, secret, params, flags, outLen)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not deterministic: %x / %x, %v", out, again, err)
		}
		if name == BCryptKDFRawSecret {
			for i := range out {
				if out[i] != secret[len(secret)-1-i] {
					t.Fatalf("TRUNCATE %x -> %x", secret, out)
				}
			}
		}
		// A KDF_HASH_ALGORITHM that parsed is a NUL-terminated UTF-16 name.
		for _, p := range params {
			if p.Type == uint32(spec.KDFHashAlgorithm) && (len(p.Data)%2 != 0 || !hasNUL16(p.Data)) {
				t.Fatalf("accepted hash name %x", p.Data)
			}
		}
	})
}

func hasNUL16(b []byte) bool {
	for i := 0; i+1 < len(b); i += 2 {
		if binary.LittleEndian.Uint16(b[i:]) == 0 {
			return true
		}
	}
	return false
}
