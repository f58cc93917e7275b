package kdf

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"github.com/cardmod/cardmod/spec"
)

// An independent implementation written from the standards (RFC 2246 §5, RFC 5246 §5,
// SP 800-56A §5.8.1) and the BCryptDeriveKey pseudocode, kept deliberately naive: whole messages
// are built as byte slices before hashing, and nothing is shared with the package code.

func refHMAC(h crypto.Hash, key, msg []byte) []byte {
	m := hmac.New(h.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func refDigest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// refPHash is RFC 5246 P_hash, iterating A(i) exactly as written.
func refPHash(h crypto.Hash, secret, seed []byte, n int) []byte {
	var out []byte
	a := seed
	for len(out) < n {
		a = refHMAC(h, secret, a)
		out = append(out, refHMAC(h, secret, append(append([]byte{}, a...), seed...))...)
	}
	return out[:n]
}

// refPRF10 is RFC 2246 §5: L_S1 = L_S2 = ceil(L_S/2), S1 the first L_S1 bytes, S2 the last L_S2.
func refPRF10(secret, label, seed []byte, n int) []byte {
	ls := len(secret)
	l := ls/2 + ls%2
	s1, s2 := secret[:l], secret[ls-l:]
	ls2 := append(append([]byte{}, label...), seed...)
	p1 := refPHash(crypto.MD5, s1, ls2, n)
	p2 := refPHash(crypto.SHA1, s2, ls2, n)
	out := make([]byte, n)
	for i := range out {
		out[i] = p1[i] ^ p2[i]
	}
	return out
}

// refConcat is SP 800-56A §5.8.1.1: reps = ceil(keydatalen/hashlen), K(i) = H(i || Z || OtherInfo).
func refConcat(h crypto.Hash, z, otherInfo []byte, n int) []byte {
	reps := (n + h.Size() - 1) / h.Size()
	var dkm []byte
	for i := 1; i <= reps; i++ {
		msg := binary.BigEndian.AppendUint32(nil, uint32(i))
		msg = append(msg, z...)
		msg = append(msg, otherInfo...)
		dkm = append(dkm, refDigest(h, msg)...)
	}
	return dkm[:n]
}

var allHashes = []struct {
	name string
	h    crypto.Hash
}{
	{"MD5", crypto.MD5}, {"SHA1", crypto.SHA1}, {"SHA256", crypto.SHA256}, {"SHA384", crypto.SHA384}, {"SHA512", crypto.SHA512},
}

func randBytes(r *mrand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestAgainstReference compares Derive with the reference for every KDF and hash on random
// secrets (including odd lengths and leading zero bytes) and random parameter lists.
func TestAgainstReference(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	secretLens := []int{1, 2, 3, 31, 32, 33, 48, 65, 66, 129, 256}
	for iter := 0; iter < 40; iter++ {
		for _, sl := range secretLens {
			z := randBytes(r, sl)
			if iter%5 == 0 {
				z[0] = 0
			}
			for _, hc := range allHashes {
				checkHashHMAC(t, r, z, hc.name, hc.h)
				checkConcat(t, r, z, hc.name, hc.h)
			}
			checkTLS(t, r, z)
			raw, err := Derive(BCryptKDFRawSecret, z, nil, 0, 0)
			if err != nil || !bytes.Equal(raw, reversed(z)) {
				t.Fatalf("TRUNCATE %x: got %x, %v", z, raw, err)
			}
		}
	}
}

func randList(r *mrand.Rand) (params []Param, prepend, append_ []byte) {
	for range r.IntN(4) {
		b := randBytes(r, r.IntN(70))
		if r.IntN(2) == 0 {
			params = append(params, bytesParam(spec.KDFSecretPrepend, b))
			prepend = append(prepend, b...)
		} else {
			params = append(params, bytesParam(spec.KDFSecretAppend, b))
			append_ = append(append_, b...)
		}
	}
	return params, prepend, append_
}

func insertAt(r *mrand.Rand, params []Param, p Param) []Param {
	i := r.IntN(len(params) + 1)
	return append(params[:i], append([]Param{p}, params[i:]...)...)
}

func checkHashHMAC(t *testing.T, r *mrand.Rand, z []byte, name string, h crypto.Hash) {
	t.Helper()
	params, pre, app := randList(r)
	params = insertAt(r, params, hashParam(name))
	msg := append(append(append([]byte{}, pre...), z...), app...)
	outLen := []int{0, 1, h.Size() - 1, h.Size(), h.Size() + 7}[r.IntN(5)]
	cut := func(b []byte) []byte {
		if outLen > 0 && outLen < len(b) {
			return b[:outLen]
		}
		return b
	}

	got, err := Derive(spec.BCryptKDFHash, z, params, 0, outLen)
	if want := cut(refDigest(h, msg)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("HASH %s outLen %d: got %x, %v; want %x", name, outLen, got, err, want)
	}

	key := randBytes(r, r.IntN(200)) // longer than a block too
	kp := insertAt(r, append([]Param{}, params...), bytesParam(spec.KDFHMACKey, key))
	got, err = Derive(spec.BCryptKDFHMAC, z, kp, 0, outLen)
	if want := cut(refHMAC(h, key, msg)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("HMAC %s key %x: got %x, %v; want %x", name, key, got, err, want)
	}
	got, err = Derive(spec.BCryptKDFHMAC, z, params, FlagUseSecretAsHMACKey, outLen)
	if want := cut(refHMAC(h, z, msg)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("HMAC %s secret as key: got %x, %v; want %x", name, got, err, want)
	}
}

func checkConcat(t *testing.T, r *mrand.Rand, z []byte, name string, h crypto.Hash) {
	t.Helper()
	fields := []spec.KDFBufferType{spec.KDFAlgorithmID, spec.KDFPartyUInfo, spec.KDFPartyVInfo, spec.KDFSuppPubInfo, spec.KDFSuppPrivInfo}
	var other []byte
	var params []Param
	for i, f := range fields {
		if i >= 3 && r.IntN(2) == 0 { // the optional two
			continue
		}
		b := randBytes(r, r.IntN(40))
		other = append(other, b...)
		params = insertAt(r, params, bytesParam(f, b))
	}
	useHash := r.IntN(3) != 0
	if useHash {
		params = insertAt(r, params, hashParam(name))
	} else {
		h = concatDefaultHash(len(z))
	}
	n := 1 + r.IntN(3*h.Size()+5)
	got, err := Derive(spec.BCryptKDFSP80056AConcat, z, params, 0, n)
	if want := refConcat(h, z, other, n); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("CONCAT %v (explicit %v) %d bytes: got %x, %v; want %x", h, useHash, n, got, err, want)
	}
	got, err = Derive(spec.BCryptKDFSP80056AConcat, z, params, 0, 0)
	if want := refConcat(h, z, other, len(z)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("CONCAT %v default size: got %x, %v; want %x", h, got, err, want)
	}
}

func checkTLS(t *testing.T, r *mrand.Rand, z []byte) {
	t.Helper()
	label := randBytes(r, r.IntN(30))
	seed := randBytes(r, 64)
	base := []Param{bytesParam(spec.KDFTLSPRFLabel, label), bytesParam(spec.KDFTLSPRFSeed, seed)}
	ls := append(append([]byte{}, label...), seed...)

	got, err := Derive(spec.BCryptKDFTLSPRF, z, base, 0, 0)
	if want := refPRF10(z, label, seed, 48); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("TLS 1.0 PRF: got %x, %v; want %x", got, err, want)
	}
	for _, hc := range []struct {
		name string
		h    crypto.Hash
	}{{"", crypto.SHA256}, {"SHA256", crypto.SHA256}, {"SHA384", crypto.SHA384}} {
		params := insertAt(r, append([]Param{}, base...), dwordParam(spec.KDFTLSPRFProtocol, spec.TLS12ProtocolVersion))
		if hc.name != "" {
			params = insertAt(r, params, hashParam(hc.name))
		}
		got, err := Derive(spec.BCryptKDFTLSPRF, z, params, 0, 48)
		if want := refPHash(hc.h, z, ls, 48); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("TLS 1.2 PRF %v: got %x, %v; want %x", hc.h, got, err, want)
		}
	}
}

// TestECDHEndToEnd: two crypto/ecdh key pairs per curve; the secret each side computes feeds
// Derive, and both sides and the reference agree for every KDF.
func TestECDHEndToEnd(t *testing.T) {
	for _, c := range []struct {
		curve ecdh.Curve
		size  int
		hash  crypto.Hash
	}{{ecdh.P256(), 32, crypto.SHA256}, {ecdh.P384(), 48, crypto.SHA384}, {ecdh.P521(), 66, crypto.SHA512}} {
		t.Run(fmt.Sprint(c.curve), func(t *testing.T) {
			a, err := c.curve.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			b, err := c.curve.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			za, err := a.ECDH(b.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			zb, err := b.ECDH(a.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			if len(za) != c.size || !bytes.Equal(za, zb) {
				t.Fatalf("secrets %x / %x", za, zb)
			}
			seed := make([]byte, 64)
			rand.Read(seed)
			other := []Param{bytesParam(spec.KDFAlgorithmID, []byte("alg")), bytesParam(spec.KDFPartyUInfo, []byte("U")), bytesParam(spec.KDFPartyVInfo, []byte("V"))}
			cases := []struct {
				kdf    string
				params []Param
				flags  uint32
				want   []byte
			}{
				{spec.BCryptKDFHash, []Param{hashParam("SHA256")}, 0, refDigest(crypto.SHA256, zb)},
				{spec.BCryptKDFHMAC, []Param{hashParam("SHA384")}, FlagUseSecretAsHMACKey, refHMAC(crypto.SHA384, zb, zb)},
				{spec.BCryptKDFTLSPRF, []Param{bytesParam(spec.KDFTLSPRFLabel, []byte("master secret")), bytesParam(spec.KDFTLSPRFSeed, seed)}, 0, refPRF10(zb, []byte("master secret"), seed, 48)},
				{spec.BCryptKDFSP80056AConcat, other, 0, refConcat(c.hash, zb, []byte("algUV"), c.size)},
				{BCryptKDFRawSecret, nil, 0, reversed(zb)},
			}
			for _, tc := range cases {
				got, err := Derive(tc.kdf, za, tc.params, tc.flags, 0)
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Errorf("%s: got %x, %v; want %x", tc.kdf, got, err, tc.want)
				}
			}
		})
	}
}
