package kdf

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"testing"

	"github.com/cardmod/cardmod/spec"
)

// Known answers. Every vector's origin is in its comment; "Windows" marks values that a test
// suite checks against Windows CNG itself.

// Wine dlls/bcrypt/tests/bcrypt.c, test_ECDH (run against Windows by Wine's test bot): a P-256
// private key (ECK2 blob: X, Y, d), a peer public key (ECK1 blob: X, Y), the TRUNCATE output
// ("little endian") and BCryptDeriveKey(HASH, KDF_HASH_ALGORITHM = SHA1).
var (
	wineP256X       = unhex("fbbd3d201b6d66b37c9f89f3e44116a5685277acab55b26cb02355cb9614fd0b")
	wineP256Y       = unhex("1cefdf076d31af39ce8c8f9d75d07bea81dc40211f58225f7255fc588aeb885d")
	wineP256D       = unhex("020990d2e336acfe83136c881aab9bddaa8aee699a6a62866a136988b7d5a3cd")
	winePeerX       = unhex("07619d49636b9694d18fd148cccf724dff43f4970fa38a72e9e0ba876dc36215")
	winePeerY       = unhex("ae65dd3151fc3bc959a10a92172b6455033e621dac3e37406a4cb6213f735cf5")
	wineSecretLE    = unhex("48b011db694eb4f4f53ee19bca0004c89b69afd1af1fc2d7830ab7f84f24328e")
	wineHashedSHA1  = unhex("1be7bf0f651ed007f9f477484839d0f8f3cefc89")
	wineDHSecretLE  = unhex("738462c19a9cc2919fc1c2940ca82f58ac50cdd52943418e5dca73554d4650e5b734a9cb3a18689930ef5826d303610217b7ba01bcaedf3fb5b54ab008e5eac3")
	wineDHHashedSHA = unhex("a7fcff21b3d146b8213dc6d4e361975eb50afe8f")
)

func TestWineECDHVector(t *testing.T) {
	z := ecdhSecret(t, ecdh.P256(), wineP256D, wineP256X, wineP256Y, winePeerX, winePeerY)
	if !bytes.Equal(reversed(z), wineSecretLE) {
		t.Fatalf("shared x %x is not the reverse of Windows' raw secret %x", z, wineSecretLE)
	}
	tests := []struct {
		name   string
		kdf    string
		params []Param
		outLen int
		want   []byte
	}{
		{"TRUNCATE", BCryptKDFRawSecret, nil, 0, wineSecretLE},
		{"TRUNCATE buffer larger", BCryptKDFRawSecret, nil, 100, wineSecretLE},
		{"TRUNCATE 10 bytes", BCryptKDFRawSecret, nil, 10, wineSecretLE[:10]},
		{"HASH SHA1", spec.BCryptKDFHash, []Param{hashParam("SHA1")}, 0, wineHashedSHA1},
		{"HASH default hash", spec.BCryptKDFHash, nil, 0, wineHashedSHA1},
		{"HASH empty list", spec.BCryptKDFHash, []Param{}, 0, wineHashedSHA1},
		// test_DH: a buffer of 10 bytes receives the first 10 bytes, pcbResult = 10.
		{"HASH 10 bytes", spec.BCryptKDFHash, []Param{hashParam("SHA1")}, 10, wineHashedSHA1[:10]},
		{"HASH flag ignored", spec.BCryptKDFHash, nil, 0, wineHashedSHA1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			flags := uint32(0)
			if tc.name == "HASH flag ignored" {
				flags = FlagUseSecretAsHMACKey
			}
			got, err := Derive(tc.kdf, z, tc.params, flags, tc.outLen)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %x, want %x", got, tc.want)
			}
			n, err := Size(tc.kdf, len(z), tc.params, flags, tc.outLen)
			if err != nil || n != len(tc.want) {
				t.Fatalf("Size = %d, %v; want %d", n, err, len(tc.want))
			}
		})
	}
}

// Wine test_DH (Windows 10 and later): a 512-bit DH secret agreement, TRUNCATE and HASH(SHA1).
// The same byte-order rule holds for DH: HASH takes the big-endian secret.
func TestWineDHVector(t *testing.T) {
	z := reversed(wineDHSecretLE)
	for _, params := range [][]Param{nil, {hashParam("SHA1")}} {
		got, err := Derive(spec.BCryptKDFHash, z, params, 0, 0)
		if err != nil || !bytes.Equal(got, wineDHHashedSHA) {
			t.Fatalf("HASH %v: got %x, %v; want %x", params, got, err, wineDHHashedSHA)
		}
	}
	got, err := Derive(BCryptKDFRawSecret, z, nil, 0, 0)
	if err != nil || !bytes.Equal(got, wineDHSecretLE) {
		t.Fatalf("TRUNCATE: got %x, %v", got, err)
	}
}

// dotnet/runtime src/libraries/Common/tests/System/Security/Cryptography/AlgorithmImplementations/
// ECDiffieHellman/ECDiffieHellmanTests.{Hash,Hmac,Tls}.cs: OpenKnownKey() is a P-521 key (an
// ECCPRIVATEBLOB imported into CngKey in the CNG test project), derived against its own public
// key; the KnownResults theories run on Windows (CNG) and on Unix (the managed reimplementation
// in ECDiffieHellmanDerivation.cs) with the same answers.
var (
	dotnetP521X = unhex("014AACFCDA18F77EBF11DC0A2D394D3032E86C3AC0B5F558916361163EA6AD3DB27F6476D6C6E5D9C4A77BCCC5C0069D481718DACA3B1B13035AF5D246C4DC0CE0EA")
	dotnetP521Y = unhex("00CA500F75537C782E027DE568F148334BF56F7E24C3830792236B5D20F7A33E99862B1744D2413E4C4AC29DBA42FC48D23AE5B916BED73997EC69B3911C686C5164")
	dotnetP521D = unhex("00202F9F5480723D1ACF15372CE0B99B6CC3E8772FFDDCF828EEEB314B3EAA35B19886AAB1E6871E548C261C7708BF561A4C373D3EED13F0749851F57B86DC049D71")
)

func dotnetSecret(t testing.TB) []byte {
	z := ecdhSecret(t, ecdh.P521(), dotnetP521D, dotnetP521X, dotnetP521Y, dotnetP521X, dotnetP521Y)
	if len(z) != 66 {
		t.Fatalf("P-521 secret is %d bytes", len(z))
	}
	return z
}

func TestDotnetHashVectors(t *testing.T) {
	z := dotnetSecret(t)
	tests := []struct {
		hash, prepend, append, want string
	}{
		{"SHA256", "", "", "595B71C33D9D40ACD9CA847C47267DAEE7498EEF0B553482FAA45791418AC679"},
		{"SHA1", "", "", "25E464FAC33F4A5F8786627FB3685F4C31B26327"},
		{"SHA256", "02040608", "", "D0F4C42D61E794E508A079822F3069C9F89D9E3385C8E090425FF38927798017"},
		{"SHA256", "", "010305", "20DCB58E2AC4E70B1BF47362B0D1C8B728E27D6575EA9B85106CBE05E1F7D6DB"},
		{"SHA256", "02040608", "010305", "EFC758D39896E9DE96C120B0A74FB751F140BD7F3F4FC3777DC2A530145E01EC"},
		{"SHA256", "010305", "02040608", "7DB5520A5D6351595FC286CD53509D964FBB152C289F072581CB5E16EBF319E8"},
	}
	for _, tc := range tests {
		// .NET marshals the hash name first, then the prepend, then the append.
		params := []Param{hashParam(tc.hash)}
		if tc.prepend != "" {
			params = append(params, bytesParam(spec.KDFSecretPrepend, unhex(tc.prepend)))
		}
		if tc.append != "" {
			params = append(params, bytesParam(spec.KDFSecretAppend, unhex(tc.append)))
		}
		got, err := Derive(spec.BCryptKDFHash, z, params, 0, 0)
		if err != nil || !bytes.Equal(got, unhex(tc.want)) {
			t.Errorf("%s %s|Z|%s: got %X, %v; want %s", tc.hash, tc.prepend, tc.append, got, err, tc.want)
		}
	}
}

func TestDotnetHMACVectors(t *testing.T) {
	z := dotnetSecret(t)
	tests := []struct {
		hash, key, prepend, append, want string // key "" = null: KDF_USE_SECRET_AS_HMAC_KEY_FLAG
	}{
		{"SHA256", "", "", "", "6D7D15C9A08FD47DFDABD3541BE3BBAF93B15FC65D30E6012CCC0B23ED5C43FF"},
		{"SHA1", "", "", "", "39D4B035BC1A1E4108B965689E27BA98ACED8449"},
		{"SHA256", "030609", "", "", "7A4F81BF065CC521AFB162DB4A45CEFC78227178A58632EA53D3E367AB7D1979"},
		{"SHA256", "", "02040608", "010305", "DB39A6AC9334701D2DCD508C401C65BC69348F684C85EDDE506950F049668842"},
		{"SHA256", "", "010305", "02040608", "66471DE2655DF9404636F9076F845F0B71A04DDA2BA6F1469EB0F2E9EF57DC33"},
		{"SHA256", "030609", "02040608", "010305", "2F7A31FF9118A6BBF92E268568C634A9F1E244CA8C1A74C864DECC50727B7DEE"},
		{"SHA256", "030609", "010305", "02040608", "AE3CD974F262B199B0859D9F933207D2F6E3E04434D60089FE0BE801ED38D370"},
	}
	for _, tc := range tests {
		params := []Param{hashParam(tc.hash)}
		flags := uint32(0)
		if tc.key == "" {
			flags = FlagUseSecretAsHMACKey
		} else {
			params = append(params, bytesParam(spec.KDFHMACKey, unhex(tc.key)))
		}
		if tc.prepend != "" {
			params = append(params, bytesParam(spec.KDFSecretPrepend, unhex(tc.prepend)))
		}
		if tc.append != "" {
			params = append(params, bytesParam(spec.KDFSecretAppend, unhex(tc.append)))
		}
		got, err := Derive(spec.BCryptKDFHMAC, z, params, flags, 0)
		if err != nil || !bytes.Equal(got, unhex(tc.want)) {
			t.Errorf("%s key %q %s|Z|%s: got %X, %v; want %s", tc.hash, tc.key, tc.prepend, tc.append, got, err, tc.want)
		}
	}
}

// The .NET TLS vectors pass only KDF_TLS_PRF_LABEL and KDF_TLS_PRF_SEED (no protocol): they pin
// CNG's default PRF, which is the TLS 1.0/1.1 MD5 ⊕ SHA-1 one.
func TestDotnetTLSVectors(t *testing.T) {
	z := dotnetSecret(t)
	seed := make([]byte, 64)
	tests := []struct{ label, want string }{
		{"slithy toves", "3D5DCEF2B35E73523C34802175875CC241A966D2DEB89041540650478D300A70F822AF7F9D70A31BA4B67D100F4A1620"},
		{"Hello, World!", "ED83A7CF14C6F1577FE7AD90F1D78D36AFF5D2612B78A70E5FD000660E4A3B00DFF9B7C118C29A3D32536A89A5481C00"},
	}
	for _, tc := range tests {
		for _, proto := range []uint32{0, spec.TLS10ProtocolVersion, spec.TLS11ProtocolVersion} {
			params := []Param{bytesParam(spec.KDFTLSPRFLabel, []byte(tc.label)), bytesParam(spec.KDFTLSPRFSeed, seed)}
			if proto != 0 {
				params = append(params, dwordParam(spec.KDFTLSPRFProtocol, proto))
			}
			got, err := Derive(spec.BCryptKDFTLSPRF, z, params, 0, 0)
			if err != nil || !bytes.Equal(got, unhex(tc.want)) {
				t.Errorf("%q protocol 0x%x: got %X, %v; want %s", tc.label, proto, got, err, tc.want)
			}
		}
	}
}

// TLS PRF vectors. TLS 1.0: the "PRF Testvector" posted to the IETF TLS list (imc.org
// ietf-tls msg01589), as BearSSL's test_crypto.c carries it; its 64-byte seed fits CNG's rule.
// TLS 1.2: the P_SHA256 and P_SHA384 vectors of https://www.ietf.org/mail-archive/web/tls/current/msg03416.html
// (16-byte seeds, so they test pHash, which CNG would refuse through Derive).
func TestTLSPRFVectors(t *testing.T) {
	secret := bytes.Repeat([]byte{0xab}, 48)
	seed := bytes.Repeat([]byte{0xcd}, 64)
	want10 := unhex("d3d4d1e349b5d515044666d51de32bab258cb521b6b053463e354832fd976754443bcf9a296519bc289abcbc1187e4ebd31e602353776c408aafb74cbc85eff69255f9788faa184cbb957a9819d84a5d7eb006eb459d3ae8de9810454b8b2d8f1afbc655a8c9a013")
	got := make([]byte, len(want10))
	prf10(secret, []byte("PRF Testvector"), seed, got)
	if !bytes.Equal(got, want10) {
		t.Errorf("TLS 1.0 PRF: got %x", got)
	}
	for _, proto := range []uint32{0, spec.TLS10ProtocolVersion, spec.TLS11ProtocolVersion, DTLS10ProtocolVersion} {
		params := []Param{bytesParam(spec.KDFTLSPRFLabel, []byte("PRF Testvector")), bytesParam(spec.KDFTLSPRFSeed, seed)}
		if proto != 0 {
			params = append(params, dwordParam(spec.KDFTLSPRFProtocol, proto))
		}
		d, err := Derive(spec.BCryptKDFTLSPRF, secret, params, 0, 0)
		if err != nil || !bytes.Equal(d, want10[:48]) {
			t.Errorf("Derive TLS_PRF protocol 0x%x: got %x, %v", proto, d, err)
		}
	}

	tls12 := []struct {
		hash                      crypto.Hash
		secret, seed, label, want string
	}{
		{crypto.SHA256, "9bbe436ba940f017b17652849a71db35", "a0ba9f936cda311827a6f796ffd5198c", "test label",
			"e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"},
		{crypto.SHA384, "b80b733d6ceefcdc71566ea48e5567df", "cd665cf6a8447dd6ff8b27555edb7465", "test label",
			"7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f"},
	}
	for _, tc := range tls12 {
		want := unhex(tc.want)
		for _, n := range []int{len(want), 48, 1} {
			got := make([]byte, n)
			pHash(tc.hash, unhex(tc.secret), []byte(tc.label), unhex(tc.seed), got)
			if !bytes.Equal(got, want[:n]) {
				t.Errorf("P_%v %d bytes: got %x", tc.hash, n, got)
			}
		}
	}
}

// SP800_56A_CONCAT vectors.
//   - RFC 7518 Appendix C (ECDH-ES, P-256, 128-bit A128GCM key). jose-jwt's UnitTests/ConcatKDFTest.cs
//     gets the same answer from NCryptDeriveKey(SP800_56A_CONCAT) on Windows with no
//     KDF_HASH_ALGORITHM buffer and KDF_PARTYVINFO placed before KDF_PARTYUINFO: Windows picks
//     SHA-256 for P-256 and orders OtherInfo by field, not by buffer position.
//   - jose-jwt Derive256BitKeyNonCng: P-256, "ECDH-ES", 256 bits, computed with .NET's
//     DeriveKeyFromHash (CNG BCRYPT_KDF_HASH on Windows, prepend 00000001).
//   - pyca/cryptography tests/hazmat/primitives/test_concatkdf.py TestConcatKDFHash.test_derive
//     (SHA-256, OtherInfo given whole).
func TestConcatVectors(t *testing.T) {
	algA128 := unhex("00000007") // len "A128GCM"
	algA128 = append(algA128, "A128GCM"...)
	alice := append(unhex("00000005"), "Alice"...)
	bob := append(unhex("00000003"), "Bob"...)
	rfcZ := unhex("9e56d91d817135d372834283bf84269cfb316ea3da806a48f6daa7798cfe90c4")
	rfcWant := unhex("56aa8deaf8236d205c2228cd71a7101a")

	// Z of RFC 7518 Appendix C from its keys: the ephemeral private key and Bob's public key.
	z := ecdhSecret(t, ecdh.P256(), b64("0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"),
		b64("gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"), b64("SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"),
		b64("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"), b64("e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"))
	if !bytes.Equal(z, rfcZ) {
		t.Fatalf("RFC 7518 Z = %x, want %x", z, rfcZ)
	}
	suppPub128 := unhex("00000080")
	rfcParams := [][]Param{
		{bytesParam(spec.KDFAlgorithmID, algA128), bytesParam(spec.KDFPartyUInfo, alice), bytesParam(spec.KDFPartyVInfo, bob), bytesParam(spec.KDFSuppPubInfo, suppPub128)},
		// jose-jwt's order: AlgorithmID, PartyVInfo, PartyUInfo, SuppPubInfo.
		{bytesParam(spec.KDFAlgorithmID, algA128), bytesParam(spec.KDFPartyVInfo, bob), bytesParam(spec.KDFPartyUInfo, alice), bytesParam(spec.KDFSuppPubInfo, suppPub128)},
		{bytesParam(spec.KDFSuppPubInfo, suppPub128), bytesParam(spec.KDFPartyVInfo, bob), bytesParam(spec.KDFPartyUInfo, alice), bytesParam(spec.KDFAlgorithmID, algA128), hashParam("SHA256")},
	}
	for i, params := range rfcParams {
		got, err := Derive(spec.BCryptKDFSP80056AConcat, z, params, 0, 16)
		if err != nil || !bytes.Equal(got, rfcWant) {
			t.Errorf("RFC 7518 C, list %d: got %x, %v", i, got, err)
		}
		// KDF_KEYBITLENGTH = 128 gives the same 16 bytes with outLen 0.
		got, err = Derive(spec.BCryptKDFSP80056AConcat, z, append(params[:len(params):len(params)], dwordParam(spec.KDFKeyBitLength, 128)), 0, 0)
		if err != nil || !bytes.Equal(got, rfcWant) {
			t.Errorf("RFC 7518 C, list %d, KDF_KEYBITLENGTH: got %x, %v", i, got, err)
		}
	}

	z2 := ecdhSecret(t, ecdh.P256(), b64("Zw1DgcQ2LAex8SBaceej1yCB6IaSPFfBz05JccmImCo="),
		b64("3BDv2y0CqT9A28qOhJoSp9K6qNSEaGagF6TLuVtCR5g="), b64("AkR4kvGNucKbDyHW7d5iD/C37aJML+4V+rxcyeXN0ts="),
		b64("YZAG4YKtXl/sQW+kTERkV3CTjU4CqUeVAFcROMivNYQ="), b64("u2iWhH749lKT6YMjkGC5eU26/wfM5PsZNSojgnQOD30="))
	want2 := b64("d33muATOW7cEBggxhYr+8ZeKtNgFNh8inXomWnkQDFo=")
	ecdhES := append(unhex("00000007"), "ECDH-ES"...)
	got, err := Derive(spec.BCryptKDFSP80056AConcat, z2, []Param{
		bytesParam(spec.KDFAlgorithmID, ecdhES), bytesParam(spec.KDFPartyUInfo, unhex("00000000")),
		bytesParam(spec.KDFPartyVInfo, unhex("00000000")), bytesParam(spec.KDFSuppPubInfo, unhex("00000100")),
	}, 0, 0)
	if err != nil || !bytes.Equal(got, want2) {
		t.Errorf("jose-jwt 256-bit: got %x, %v; want %x", got, err, want2)
	}
	// The same value through BCRYPT_KDF_HASH, as .NET computed it.
	got, err = Derive(spec.BCryptKDFHash, z2, []Param{hashParam("SHA256"),
		bytesParam(spec.KDFSecretPrepend, unhex("00000001")),
		bytesParam(spec.KDFSecretAppend, ecdhES), bytesParam(spec.KDFSecretAppend, unhex("00000000")),
		bytesParam(spec.KDFSecretAppend, unhex("00000000")), bytesParam(spec.KDFSecretAppend, unhex("00000100")),
	}, 0, 0)
	if err != nil || !bytes.Equal(got, want2) {
		t.Errorf("jose-jwt 256-bit via HASH: got %x, %v; want %x", got, err, want2)
	}

	pycaZ := unhex("52169af5c485dcc2321eb8d26d5efa21fb9b93c98e38412ee2484cf14f0d0d23")
	pycaInfo := unhex("a1b2c3d4e53728157e634612c12d6d5223e204aeea4341565369647bd184bcd246f72971f292badaa2fe4124612cba")
	pycaWant := unhex("1c3bc9e7c4547c5191c0d478cccaed55")
	got, err = Derive(spec.BCryptKDFSP80056AConcat, pycaZ, []Param{
		bytesParam(spec.KDFAlgorithmID, pycaInfo[:5]), bytesParam(spec.KDFPartyUInfo, pycaInfo[5:21]),
		bytesParam(spec.KDFPartyVInfo, pycaInfo[21:]), hashParam("SHA256"),
	}, 0, 16)
	if err != nil || !bytes.Equal(got, pycaWant) {
		t.Errorf("pyca: got %x, %v", got, err)
	}
}

// The HMAC path against RFC 4231 test case 2 (HMAC-SHA-2) and RFC 2202 test case 2 (HMAC-MD5,
// HMAC-SHA-1): with Z = data and KDF_HMAC_KEY = key, HMAC KDF output = HMAC(key, data).
// A prepend and append that split the data must not change the result.
func TestHMACRFCVectors(t *testing.T) {
	key := []byte("Jefe")
	data := []byte("what do ya want for nothing?")
	tests := []struct{ hash, want string }{
		{"MD5", "750c783e6ab0b503eaa86e310a5db738"},
		{"SHA1", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{"SHA256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"SHA384", "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
		{"SHA512", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	}
	for _, tc := range tests {
		got, err := Derive(spec.BCryptKDFHMAC, data, []Param{hashParam(tc.hash), bytesParam(spec.KDFHMACKey, key)}, 0, 0)
		if err != nil || !bytes.Equal(got, unhex(tc.want)) {
			t.Errorf("%s: got %x, %v", tc.hash, got, err)
		}
		got, err = Derive(spec.BCryptKDFHMAC, data[5:20], []Param{
			bytesParam(spec.KDFSecretAppend, data[20:25]), hashParam(tc.hash), bytesParam(spec.KDFSecretPrepend, data[:2]),
			bytesParam(spec.KDFHMACKey, key), bytesParam(spec.KDFSecretPrepend, data[2:5]), bytesParam(spec.KDFSecretAppend, data[25:]),
		}, 0, 0)
		if err != nil || !bytes.Equal(got, unhex(tc.want)) {
			t.Errorf("%s split: got %x, %v", tc.hash, got, err)
		}
	}
}

// FIPS 180 "abc" digests through HASH with Z = "abc": the HASH KDF is the bare hash.
func TestHashFIPSVectors(t *testing.T) {
	tests := []struct{ hash, want string }{
		{"MD5", "900150983cd24fb0d6963f7d28e17f72"},
		{"SHA1", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"SHA256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"SHA384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
		{"SHA512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	}
	for _, tc := range tests {
		got, err := Derive(spec.BCryptKDFHash, []byte("abc"), []Param{hashParam(tc.hash)}, 0, 0)
		if err != nil || !bytes.Equal(got, unhex(tc.want)) {
			t.Errorf("%s: got %x, %v", tc.hash, got, err)
		}
		// The prepend/append example of the BCryptDeriveKey documentation: buffers concatenate
		// in array order, prepends before Z, appends after.
		got, err = Derive(spec.BCryptKDFHash, []byte("b"), []Param{
			bytesParam(spec.KDFSecretAppend, []byte("c")), hashParam(tc.hash), bytesParam(spec.KDFSecretPrepend, []byte("a")),
			bytesParam(spec.KDFSecretAppend, nil), bytesParam(spec.KDFSecretPrepend, []byte{}),
		}, 0, 0)
		if err != nil || !bytes.Equal(got, unhex(tc.want)) {
			t.Errorf("%s split: got %x, %v", tc.hash, got, err)
		}
	}
}
