package main

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/kdf"
	"github.com/cardmod/cardmod/spec"
)

// The ECDH containers of the template card: 1 is 9C (P-256, PIN 3), 3 is 9E (P-384).
var ecdhContainers = []int{1, 3}

// readPeerPrivate reads the PKCS#8 PEM --peer-new wrote.
func readPeerPrivate(t *testing.T, path string) *ecdh.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v), want 0600", path, st.Mode(), err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		t.Fatalf("%s: not a PRIVATE KEY PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		e, err := k.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		return e
	case *ecdh.PrivateKey:
		return k
	}
	t.Fatalf("%s: a %T", path, k)
	return nil
}

// cardECDHKey is container idx's public key from mdtool containers (a separate command).
func cardECDHKey(t *testing.T, card string, idx int) *ecdh.PublicKey {
	t.Helper()
	pub, ok := publicKey(t, containersOf(t, card)[idx]).(*ecdsa.PublicKey)
	if !ok {
		t.Fatalf("container %d is not ECC", idx)
	}
	k, err := pub.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ecdhPeerNew runs ecdh --peer-new --json and returns the result and the shared secret the peer
// computes on its side (big-endian x, as the card returns it).
func ecdhPeerNew(t *testing.T, card string, idx int, args ...string) (ecdhResult, []byte) {
	t.Helper()
	peerFile := filepath.Join(t.TempDir(), "peer.pem")
	var r ecdhResult
	mustJSON(t, &r, append([]string{"--state", card, "ecdh", "--container", fmt.Sprint(idx), "--peer-new", peerFile,
		"--pin", testPIN}, args...)...)
	priv := readPeerPrivate(t, peerFile)
	z, err := priv.ECDH(cardECDHKey(t, card, idx))
	if err != nil {
		t.Fatal(err)
	}
	if r.PeerPublicKeyPEM != ecdhPublicPEM(priv.PublicKey()) || r.PeerPrivateKeyFile != peerFile {
		t.Errorf("the JSON does not name the peer key written to %s: %+v", peerFile, r)
	}
	return r, z
}

// tlsPHash is P_hash of RFC 2246/5246 §5, written again for the test.
func tlsPHash(h crypto.Hash, secret, seed []byte, n int) []byte {
	var out []byte
	a := seed
	for len(out) < n {
		a = hmacOf(h, secret, a)
		out = append(out, hmacOf(h, secret, a, seed)...)
	}
	return out[:n]
}

// tls10PRF is the TLS 1.0/1.1 PRF: P_MD5(S1) xor P_SHA1(S2), the halves overlapping by one byte
// when the secret's length is odd.
func tls10PRF(secret, labelSeed []byte, n int) []byte {
	half := (len(secret) + 1) / 2
	a := tlsPHash(crypto.MD5, secret[:half], labelSeed, n)
	b := tlsPHash(crypto.SHA1, secret[len(secret)-half:], labelSeed, n)
	for i := range a {
		a[i] ^= b[i]
	}
	return a
}

// concatKDF is SP 800-56A §5.8.1 written again for the test.
func concatKDF(h crypto.Hash, z, other []byte, n int) []byte {
	var out []byte
	for i := uint32(1); len(out) < n; i++ {
		d := h.New()
		d.Write(binary.BigEndian.AppendUint32(nil, i))
		d.Write(z)
		d.Write(other)
		out = d.Sum(out)
	}
	return out[:n]
}

func hmacOf(h crypto.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func hashParts(h crypto.Hash, parts ...[]byte) []byte {
	d := h.New()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// testParams rebuilds the parameter list from the JSON report (the raw bytes of each buffer), so
// that kdf.Derive sees exactly what the minidriver saw.
func testParams(t *testing.T, r ecdhResult) []kdf.Param {
	t.Helper()
	types := map[string]uint32{}
	for i := uint32(0); i <= 0x14; i++ {
		types[kdf.TypeName(i)] = i
	}
	var ps []kdf.Param
	for _, p := range r.Params {
		typ, ok := types[p.Type]
		if !ok {
			t.Fatalf("parameter type %q", p.Type)
		}
		ps = append(ps, kdf.Param{Type: typ, Data: unhex(p.Hex)})
	}
	return ps
}

func TestECDHEveryKDF(t *testing.T) {
	card := newCard(t)
	seed := bytes.Repeat([]byte{0x5e}, 64)
	seedHex := hex.EncodeToString(seed)
	label := "master secret"
	for _, tc := range []struct {
		name string
		idx  int
		args []string
		// want computes the expected key from the peer's secret z independently of package kdf.
		want func(z []byte) []byte
		// params is the expected JSON description of the parameter list.
		params []string
	}{
		{"HASH default", 1, nil, func(z []byte) []byte { s := sha1.Sum(z); return s[:] }, nil},
		{"HASH SHA256 prepend/append in order", 1,
			[]string{"--hash", "sha256", "--prepend", "aa", "--append", "cc", "--prepend", "bb", "--append", "dd:ee"},
			func(z []byte) []byte { return hashParts(crypto.SHA256, unhex("aabb"), z, unhex("ccddee")) },
			[]string{"KDF_HASH_ALGORITHM=SHA256", "KDF_SECRET_PREPEND=aa", "KDF_SECRET_APPEND=cc", "KDF_SECRET_PREPEND=bb",
				"KDF_SECRET_APPEND=ddee"}},
		{"HASH MD5", 3, []string{"--hash", "MD5"}, func(z []byte) []byte { s := md5.Sum(z); return s[:] },
			[]string{"KDF_HASH_ALGORITHM=MD5"}},
		{"HASH SHA512 P-384", 3, []string{"--hash", "SHA512", "--append", "00"},
			func(z []byte) []byte { return hashParts(crypto.SHA512, z, []byte{0}) }, nil},
		{"HMAC key", 1, []string{"--kdf", "hmac", "--hash", "SHA256", "--hmac-key", "0102030405", "--prepend", "ff"},
			func(z []byte) []byte { return hmacOf(crypto.SHA256, unhex("0102030405"), unhex("ff"), z) },
			[]string{"KDF_HASH_ALGORITHM=SHA256", "KDF_HMAC_KEY=0102030405", "KDF_SECRET_PREPEND=ff"}},
		{"HMAC secret as key", 3, []string{"--kdf", "HMAC", "--hash", "SHA384", "--secret-as-hmac-key", "--append", "01"},
			func(z []byte) []byte { return hmacOf(crypto.SHA384, z, z, []byte{1}) }, nil},
		{"TLS_PRF 1.2", 1, []string{"--kdf", "TLS_PRF", "--label", label, "--seed", seedHex, "--tls", "1.2"},
			func(z []byte) []byte {
				return tlsPHash(crypto.SHA256, z, append([]byte(label), seed...), 48)
			},
			[]string{"KDF_TLS_PRF_LABEL=" + label, "KDF_TLS_PRF_SEED=" + seedHex, "KDF_TLS_PRF_PROTOCOL=0x0303 (TLS 1.2)"}},
		{"TLS_PRF 1.2 SHA384", 3, []string{"--kdf", "TLS_PRF", "--label", label, "--seed", seedHex, "--tls", "1.2", "--hash", "SHA384"},
			func(z []byte) []byte {
				return tlsPHash(crypto.SHA384, z, append([]byte(label), seed...), 48)
			}, nil},
		{"TLS_PRF 1.0", 1, []string{"--kdf", "TLS_PRF", "--label", label, "--seed", seedHex, "--tls", "1.0"},
			func(z []byte) []byte { return tls10PRF(z, append([]byte(label), seed...), 48) }, nil},
		{"TLS_PRF 1.1", 3, []string{"--kdf", "TLS_PRF", "--label", "key expansion", "--seed", seedHex, "--tls", "1.1"},
			func(z []byte) []byte { return tls10PRF(z, append([]byte("key expansion"), seed...), 48) }, nil},
		{"SP800_56A_CONCAT two blocks", 1,
			[]string{"--kdf", "SP800_56A_CONCAT", "--partyv", "0303", "--algid", "01", "--partyu", "02", "--supppub", "04",
				"--supppriv", "05", "--bits", "512"},
			func(z []byte) []byte { return concatKDF(crypto.SHA256, z, unhex("0102030304"+"05"), 64) },
			[]string{"KDF_PARTYVINFO=0303", "KDF_ALGORITHMID=01", "KDF_PARTYUINFO=02", "KDF_SUPPPUBINFO=04",
				"KDF_SUPPPRIVINFO=05", "KDF_KEYBITLENGTH=512"}},
		{"SP800_56A_CONCAT P-384 default hash", 3,
			[]string{"--kdf", "sp800_56a_concat", "--algid", "", "--partyu", "aa", "--partyv", "bb"},
			func(z []byte) []byte { return concatKDF(crypto.SHA384, z, unhex("aabb"), 48) }, nil},
		{"SP800_56A_CONCAT SHA512 bits", 1,
			[]string{"--kdf", "SP800_56A_CONCAT", "--hash", "SHA512", "--algid", "41", "--partyu", "", "--partyv", "", "--bits", "200"},
			func(z []byte) []byte { return concatKDF(crypto.SHA512, z, unhex("41"), 25) }, nil},
		{"TRUNCATE P-256", 1, []string{"--kdf", "TRUNCATE"},
			func(z []byte) []byte { r := slices.Clone(z); slices.Reverse(r); return r }, nil},
		{"TRUNCATE P-384", 3, []string{"--kdf", "truncate"},
			func(z []byte) []byte { r := slices.Clone(z); slices.Reverse(r); return r }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, z := ecdhPeerNew(t, card, tc.idx, tc.args...)
			want := tc.want(z)
			if r.Key != hex.EncodeToString(want) || r.Size != len(want) {
				t.Errorf("key %s (%d bytes), want %s", fpHex(r.Key), r.Size, fp(want))
			}
			// The same bytes from package kdf, with the buffers the JSON says were sent.
			ref, err := kdf.Derive(r.KDF, z, testParams(t, r), map[string]uint32{"0x00000001": 1}[r.Flags], 0)
			if err != nil || r.Key != hex.EncodeToString(ref) {
				t.Errorf("kdf.Derive: %s (%v), mdtool %s", fp(ref), err, fpHex(r.Key))
			}
			if tc.params != nil {
				var got []string
				for _, p := range r.Params {
					got = append(got, p.Type+"="+p.Value)
				}
				if !slices.Equal(got, tc.params) {
					t.Errorf("params %q, want %q", got, tc.params)
				}
			}
			wantPIN := map[int]uint32{1: 3, 3: 1}[tc.idx]
			if r.Container != tc.idx || r.PINID != wantPIN || r.APDUs == 0 || r.KeyHandle != nil || r.SizeOnly {
				t.Errorf("report %+v", r)
			}
		})
	}
}

// TestECDHText checks the plain output (the key in hex on stdout, nothing else) and --out.
func TestECDHText(t *testing.T) {
	card := newCard(t)
	dir := t.TempDir()
	peerFile := filepath.Join(dir, "peer.pem")
	out, errOut, err := mdtoolIO(t, "", map[string]string{envPIN: testPIN}, "--state", card, "ecdh", "--container", "1",
		"--peer-new", peerFile, "--hash", "SHA256")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	z, _ := readPeerPrivate(t, peerFile).ECDH(cardECDHKey(t, card, 1))
	sum := sha256.Sum256(z)
	if out != hex.EncodeToString(sum[:])+"\n" {
		t.Errorf("stdout: %s, want SHA256(Z) %s", fpHex(strings.TrimSpace(out)), fp(sum[:]))
	}
	if !strings.Contains(errOut, "its private key is in "+peerFile) || !strings.Contains(errOut, "32 bytes") {
		t.Errorf("stderr %q", errOut)
	}
	// --peer with the private key PEM stands for its public key: the same agreement again, and
	// the PIN from stdin.
	keyFile := filepath.Join(dir, "key.bin")
	out, errOut, err = mdtoolIO(t, testPIN+"\n", nil, "--state", card, "ecdh", "--container", "1", "--peer", peerFile,
		"--hash", "SHA256", "--out", keyFile)
	if err != nil || out != "" || !strings.Contains(errOut, "written to "+keyFile) {
		t.Fatalf("--out: %v %q %q", err, out, errOut)
	}
	if b, _ := os.ReadFile(keyFile); !bytes.Equal(b, sum[:]) {
		t.Errorf("--out wrote %s", fp(b))
	}
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Errorf("--out mode %v", st.Mode())
	}
	// --peer-new never replaces a file.
	_, errOut, err = mdtool(t, "--state", card, "ecdh", "--container", "1", "--peer-new", peerFile, "--pin", testPIN)
	if exitCode(err) != 1 || !strings.Contains(errOut, "the file exists") {
		t.Errorf("existing --peer-new file: %v %q", err, errOut)
	}
}

// TestECDHPeerFormats gives the same peer key as PEM, DER, BCRYPT_ECCPUBLIC_BLOB (ECDH and ECDSA
// magics) and a private key PEM.
func TestECDHPeerFormats(t *testing.T) {
	card := newCard(t)
	dir := t.TempDir()
	for _, idx := range ecdhContainers {
		cardPub := cardECDHKey(t, card, idx)
		priv, err := cardPub.Curve().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		z, _ := priv.ECDH(cardPub)
		want := hashParts(crypto.SHA384, z)
		spki, _ := x509.MarshalPKIXPublicKey(priv.PublicKey())
		pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
		ecPub, err := x509.ParsePKIXPublicKey(spki)
		if err != nil {
			t.Fatal(err)
		}
		bits := ecPub.(*ecdsa.PublicKey).Curve.Params().BitSize
		ecdsaMagic := map[int]uint32{256: spec.ECDSAPublicP256Magic, 384: spec.ECDSAPublicP384Magic}[bits]
		for i, f := range []struct {
			format string
			data   []byte
		}{
			{"PEM PUBLIC KEY", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})},
			{"DER SubjectPublicKeyInfo", spki},
			{"BCRYPT_ECCPUBLIC_BLOB", spec.MarshalECDHPublicKeyBlob(priv.PublicKey(), ecdhMagic(cardPub.Curve()))},
			{"BCRYPT_ECCPUBLIC_BLOB", spec.MarshalECCPublicKeyBlob(ecPub.(*ecdsa.PublicKey), ecdsaMagic)}, // ECDSA magic
			{"PEM PRIVATE KEY", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})},
		} {
			format, data := f.format, f.data
			path := filepath.Join(dir, fmt.Sprintf("peer-%d-%d", idx, i))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			var r ecdhResult
			mustJSON(t, &r, "--state", card, "ecdh", "--container", fmt.Sprint(idx), "--peer", path, "--pin", testPIN,
				"--hash", "SHA384")
			if r.Key != hex.EncodeToString(want) || r.PeerFormat != format {
				t.Errorf("container %d, %s: key %s format %q; want %s", idx, format, fpHex(r.Key), r.PeerFormat, fp(want))
			}
		}
	}
}

func TestECDHSizeOnly(t *testing.T) {
	card := newCard(t)
	seed := strings.Repeat("00", 64)
	for _, tc := range []struct {
		idx  int
		args []string
		want int
	}{
		{1, nil, 20},
		{1, []string{"--hash", "SHA384"}, 48},
		{3, []string{"--kdf", "HMAC", "--hash", "SHA512", "--secret-as-hmac-key"}, 64},
		{1, []string{"--kdf", "SP800_56A_CONCAT", "--algid", "01", "--partyu", "", "--partyv", "", "--bits", "200"}, 25},
		{3, []string{"--kdf", "SP800_56A_CONCAT", "--algid", "01", "--partyu", "", "--partyv", ""}, 48},
		{1, []string{"--kdf", "TLS_PRF", "--label", "x", "--seed", seed}, 48},
		{3, []string{"--kdf", "TRUNCATE"}, 48},
	} {
		var r ecdhResult
		peer := filepath.Join(t.TempDir(), "peer.pem")
		mustJSON(t, &r, append([]string{"--state", card, "ecdh", "--container", fmt.Sprint(tc.idx), "--peer-new", peer,
			"--pin", testPIN, "--size-only"}, tc.args...)...)
		if r.Size != tc.want || !r.SizeOnly || r.Key != "" || r.Flags != "0x20000000" && r.Flags != "0x20000001" {
			t.Errorf("%d %v: %+v, want size %d", tc.idx, tc.args, r, tc.want)
		}
		out := must(t, append([]string{"--state", card, "ecdh", "--container", fmt.Sprint(tc.idx), "--peer", peer,
			"--pin", testPIN, "--size-only"}, tc.args...)...)
		if out != fmt.Sprintln(tc.want) {
			t.Errorf("%d %v: stdout %q", tc.idx, tc.args, out)
		}
	}
}

func TestECDHKeyHandle(t *testing.T) {
	card := newCard(t)
	for _, tc := range []struct {
		idx          int
		args         []string
		alg          string
		bits, block  int
		kdfFlagsWant string
	}{
		{1, []string{"--hash", "SHA256", "--key-handle", "AES"}, "AES", 256, 16, "0x01000000"},
		{3, []string{"--hash", "SHA384", "--key-handle", "aes", "--key-bits", "192"}, "AES", 192, 16, "0x01000000"},
		{1, []string{"--kdf", "SP800_56A_CONCAT", "--algid", "01", "--partyu", "", "--partyv", "", "--key-handle", "AES",
			"--key-bits", "128"}, "AES", 128, 16, "0x01000000"},
		{1, []string{"--hash", "SHA256", "--key-handle", "3des"}, "3DES", 192, 8, "0x01000000"},
		{3, []string{"--kdf", "HMAC", "--secret-as-hmac-key", "--key-handle", "3DES_112"}, "3DES_112", 128, 8, "0x01000001"},
	} {
		var r ecdhResult
		peer := filepath.Join(t.TempDir(), "peer.pem")
		mustJSON(t, &r, append([]string{"--state", card, "ecdh", "--container", fmt.Sprint(tc.idx), "--peer-new", peer,
			"--pin", testPIN}, tc.args...)...)
		kh := r.KeyHandle
		if kh == nil || kh.Algorithm != tc.alg || kh.Bits != tc.bits || kh.BlockLength != uint32(tc.block) ||
			kh.ChainingMode != spec.CardChainModeCBC || kh.IV != strings.Repeat("00", tc.block) || !kh.Destroyed ||
			r.Key != "" || r.Size != tc.bits/8 || r.Flags != tc.kdfFlagsWant {
			t.Errorf("%v: %+v %+v", tc.args, r, kh)
		}
		out := must(t, append([]string{"--state", card, "ecdh", "--container", fmt.Sprint(tc.idx), "--peer", peer,
			"--pin", testPIN}, tc.args...)...)
		for _, want := range []string{fmt.Sprintf("CKP_BLOCK_LENGTH:  %d\n", tc.block), "CKP_CHAINING_MODE: ChainingModeCBC\n",
			fmt.Sprintf("%s, %d bits", tc.alg, tc.bits)} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: stdout lacks %q:\n%s", tc.args, want, out)
			}
		}
	}
	// HASH SHA1 gives 20 bytes, too few for AES-256: the minidriver says so.
	_, errOut, err := mdtool(t, "--state", card, "ecdh", "--container", "1", "--peer-new", filepath.Join(t.TempDir(), "p.pem"),
		"--pin", testPIN, "--key-handle", "AES")
	if exitCode(err) != 1 || !strings.Contains(errOut, "CardDeriveKey: SCARD_E_INVALID_PARAMETER") {
		t.Errorf("AES-256 from SHA1: %v %q", err, errOut)
	}
}

func TestECDHErrors(t *testing.T) {
	card := newCard(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pemOf := func(pub any) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	p384, _ := ecdh.P384().GenerateKey(rand.Reader)
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384File := write("p384.pem", pemOf(p384.PublicKey()))
	p256File := write("p256.pem", pemOf(p256.PublicKey()))
	badPoint := spec.MarshalECDHPublicKeyBlob(p256.PublicKey(), spec.ECDHPublicP256Magic)
	badPoint[len(badPoint)-1] ^= 1
	ecdh1 := []string{"--state", card, "ecdh", "--container", "1", "--pin", testPIN}
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		// The peer key.
		{append(ecdh1, "--peer", p384File), 1, []string{"the peer key is P-384 but container 1 holds a P-256 key",
			"SCARD_E_INVALID_PARAMETER"}},
		{[]string{"--state", card, "ecdh", "--container", "3", "--pin", testPIN, "--peer", p256File}, 1,
			[]string{"the peer key is P-256 but container 3 holds a P-384 key"}},
		{append(ecdh1, "--peer", write("x25519.pem", pemOf(x25519.PublicKey()))), 1, []string{"X25519", "P-256 or P-384"}},
		{append(ecdh1, "--peer", write("rsa.pem", pemOf(&rsaKey.PublicKey))), 1, []string{"*rsa.PublicKey, not an ECC key"}},
		{append(ecdh1, "--peer", write("junk", []byte("junk"))), 1, []string{"neither PEM, nor a BCRYPT_ECCPUBLIC_BLOB"}},
		{append(ecdh1, "--peer", write("cert.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))), 1,
			[]string{`PEM "CERTIFICATE": want PUBLIC KEY`}},
		{append(ecdh1, "--peer", write("badpoint.blob", badPoint)), 1, []string{"BCRYPT_ECCPUBLIC_BLOB", "invalid point"}},
		{append(ecdh1, "--peer", filepath.Join(dir, "missing")), 1, []string{"no such file"}},
		// The container.
		{[]string{"--state", card, "ecdh", "--container", "0", "--pin", testPIN, "--peer", p256File}, 1,
			[]string{"container 0 holds an RSA-2048 key: ECDH needs an ECC container"}},
		{[]string{"--state", card, "ecdh", "--container", "9", "--pin", testPIN, "--peer", p256File}, 1,
			[]string{"SCARD_E_NO_KEY_CONTAINER"}},
		// The minidriver refuses the KDF parameters.
		{append(ecdh1, "--peer", p256File, "--kdf", "TLS_PRF", "--label", "x"), 1,
			[]string{"CardDeriveKey: SCARD_E_INVALID_PARAMETER", "KDF_TLS_PRF_SEED"}},
		{append(ecdh1, "--peer", p256File, "--seed", "00"), 1, []string{"CardDeriveKey: SCARD_E_INVALID_PARAMETER", "not a parameter of HASH"}},
		{append(ecdh1, "--peer", p256File, "--hash", "SHA1", "--hash", "SHA256"), 1, []string{"given twice"}},
		{append(ecdh1, "--peer", p256File, "--kdf", "HMAC"), 1, []string{"HMAC needs KDF_HMAC_KEY"}},
		{append(ecdh1, "--peer", p256File, "--kdf", "SP800_56A_CONCAT", "--algid", "01"), 1, []string{"KDF_PARTYUINFO"}},
		// The PIN.
		{[]string{"--state", card, "ecdh", "--container", "1", "--pin", "00000000", "--peer", p256File}, 3,
			[]string{"SCARD_W_WRONG_CHV", "tries left"}},
		// Usage.
		{[]string{"--state", card, "ecdh", "--peer", p256File}, 2, []string{"--container N is required"}},
		{[]string{"--state", card, "ecdh", "--container", "1"}, 2, []string{"--peer FILE, or --peer-new"}},
		{append(ecdh1, "--peer", p256File, "--peer-new", filepath.Join(dir, "n.pem")), 2, []string{"--peer FILE, or --peer-new"}},
		{append(ecdh1, "--peer", p256File, "--kdf", "HKDF"), 2, []string{`--kdf "HKDF"`}},
		{append(ecdh1, "--peer", p256File, "--prepend", "xyz"), 2, []string{"not hex"}},
		{append(ecdh1, "--peer", p256File, "--hash", "SHA224"), 2, []string{"use SHA1, SHA256"}},
		{append(ecdh1, "--peer", p256File, "--tls", "1.3"), 2, []string{"use 1.0, 1.1, 1.2"}},
		{append(ecdh1, "--peer", p256File, "--bits", "-1"), 2, []string{"a bit count"}},
		{append(ecdh1, "--peer", p256File, "--size-only", "--key-handle", "AES"), 2, []string{"exclude each other"}},
		{append(ecdh1, "--peer", p256File, "--size-only", "--out", "x"), 2, []string{"--out writes key bytes"}},
		{append(ecdh1, "--peer", p256File, "--key-bits", "128"), 2, []string{"--key-bits needs --key-handle"}},
		{append(ecdh1, "--peer", p256File, "--key-handle", "RC4"), 2, []string{"use AES, 3DES or 3DES_112"}},
	} {
		_, errOut, err := mdtool(t, tc.args...)
		if got := exitCode(err); got != tc.code {
			t.Errorf("%q: exit %d (%v), want %d", tc.args[3:], got, err, tc.code)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tc.args[3:], w, errOut)
			}
		}
	}
	// JSON mode: the error as JSON, with the status.
	out, _, err := mdtool(t, append(ecdh1, "--json", "--peer", p384File)...)
	var je jsonError
	if jerr := json.Unmarshal([]byte(out), &je); err == nil || jerr != nil || je.Status != "SCARD_E_INVALID_PARAMETER" ||
		!strings.Contains(je.Error, "P-384") {
		t.Errorf("JSON error: %q %v", out, jerr)
	}
	// The card is still usable after all of that.
	var r ecdhResult
	mustJSON(t, &r, append(ecdh1, "--peer", p256File)...)
	if r.Size != 20 {
		t.Errorf("after the errors: %+v", r)
	}
}

// TestECDHOpenSSL checks the recipe of the usage text: openssl, with the peer's private key from
// --peer-new and the card's public key from --card-pub-out, computes the same secret.
func TestECDHOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	card := newCard(t)
	dir := t.TempDir()
	for _, idx := range ecdhContainers {
		peer, cardPEM := filepath.Join(dir, fmt.Sprintf("peer%d.pem", idx)), filepath.Join(dir, fmt.Sprintf("card%d.pem", idx))
		var hashed, raw ecdhResult
		mustJSON(t, &hashed, "--state", card, "ecdh", "--container", fmt.Sprint(idx), "--peer-new", peer, "--card-pub-out", cardPEM,
			"--pin", testPIN, "--hash", "SHA256")
		mustJSON(t, &raw, "--state", card, "ecdh", "--container", fmt.Sprint(idx), "--peer", peer, "--pin", testPIN,
			"--kdf", "TRUNCATE")
		z, err := exec.Command(openssl, "pkeyutl", "-derive", "-inkey", peer, "-peerkey", cardPEM).Output()
		if err != nil {
			t.Fatalf("openssl pkeyutl -derive: %v", err)
		}
		sum := sha256.Sum256(z)
		rev := slices.Clone(z)
		slices.Reverse(rev)
		if hashed.Key != hex.EncodeToString(sum[:]) || raw.Key != hex.EncodeToString(rev) {
			t.Errorf("container %d: openssl's Z %s; mdtool HASH %s, TRUNCATE %s", idx, fp(z), fpHex(hashed.Key), fpHex(raw.Key))
		}
		if b, _ := os.ReadFile(cardPEM); string(b) != hashed.CardPublicKeyPEM {
			t.Errorf("--card-pub-out wrote %q", b)
		}
	}
}

// fp names secret bytes in a failure message without printing them: their length and the start
// of their SHA-256.
func fp(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, SHA-256 %x…", len(b), sum[:4])
}

// fpHex is fp of a hex string (mdtool's output).
func fpHex(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Sprintf("not hex (%d characters)", len(s))
	}
	return fp(b)
}
