package engine_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"testing"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/kdf"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// ECC keys for the agreement tests: P-256 in 9D (container 2, ECDH) and P-384 in 9E (container
// 3, an ECDSA container whose ECDH key is itself). RSA in 9A (container 0).
var dhKeys = []enginetest.Key{
	{Slot: piv.SlotAuth, Alg: piv.AlgRSA2048, Cert: true},
	{Slot: piv.SlotKeyMgmt, Alg: piv.AlgECCP256, Cert: true},
	{Slot: piv.SlotCardAuth, Alg: piv.AlgECCP384, Cert: true},
}

type dhFixture struct {
	p    *enginetest.Provisioned
	ctx  *engine.Context
	host *refhost.Host
}

func newDHFixture(t testing.TB) *dhFixture {
	t.Helper()
	p := enginetest.Provision(t, dhKeys)
	ctx, h := enginetest.Acquire(t, engine.NewModule(), p.Card, true)
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	return &dhFixture{p: p, ctx: ctx, host: h}
}

// curveOf returns the crypto/ecdh curve and public ECDH magic of a container.
func curveOf(idx byte) (ecdh.Curve, uint32) {
	if idx == 3 {
		return ecdh.P384(), spec.ECDHPublicP384Magic
	}
	return ecdh.P256(), spec.ECDHPublicP256Magic
}

// agree makes a software peer key, constructs the agreement on the card and returns the index and
// the secret as the peer computes it (big-endian x coordinate).
func (f *dhFixture) agree(t testing.TB, idx byte) (byte, []byte) {
	t.Helper()
	curve, magic := curveOf(idx)
	peer, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	info := &engine.DHAgreementInfo{Version: 2, ContainerIndex: idx, PublicKey: spec.MarshalECDHPublicKeyBlob(peer.PublicKey(), magic)}
	if err := f.ctx.ConstructDHAgreement(info); err != nil {
		t.Fatalf("ConstructDHAgreement(%d): %v", idx, err)
	}
	cardPub, err := f.p.Pub[slotOfIndex(idx)].(*ecdsa.PublicKey).ECDH()
	if err != nil {
		t.Fatal(err)
	}
	z, err := peer.ECDH(cardPub)
	if err != nil {
		t.Fatal(err)
	}
	return info.AgreementIndex, z
}

func slotOfIndex(idx byte) byte {
	return []byte{piv.SlotAuth, piv.SlotSign, piv.SlotKeyMgmt, piv.SlotCardAuth}[idx]
}

func utf16z(s string) []byte { return append(spec.UTF16LEBytes(s), 0, 0) }

func (f *dhFixture) derive(t testing.TB, info *engine.DeriveKeyInfo) []byte {
	t.Helper()
	if err := f.ctx.DeriveKey(info); err != nil {
		t.Fatalf("DeriveKey %s: %v", info.KDF, err)
	}
	out := bytes.Clone(info.DerivedKey)
	if info.DerivedKey != nil {
		f.host.Free(info.DerivedKey)
	}
	return out
}

// TestDHDeriveMatchesPeer: for both curves and every KDF, CardDeriveKey with the card's key gives
// the bytes the peer computes in software from its own private key. HASH, HMAC and TRUNCATE are
// computed here directly from their definitions; TLS_PRF and SP800_56A_CONCAT with package kdf
// (checked against published vectors and an independent implementation in its own tests).
func TestDHDeriveMatchesPeer(t *testing.T) {
	f := newDHFixture(t)
	seed := bytes.Repeat([]byte{0x5E}, 64)
	for _, idx := range []byte{2, 3} {
		ai, z := f.agree(t, idx)
		hashOf := func(h func() hash.Hash, parts ...[]byte) []byte {
			d := h()
			for _, p := range parts {
				d.Write(p)
			}
			return d.Sum(nil)
		}
		mac := func(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
			m := hmac.New(h, key)
			for _, p := range parts {
				m.Write(p)
			}
			return m.Sum(nil)
		}
		pre1, pre2, app := []byte("pre-1"), []byte("pre-2"), []byte("append")
		le := slices.Clone(z)
		slices.Reverse(le)
		concat := []engine.KDFParam{{Type: uint32(spec.KDFAlgorithmID), Data: []byte("A256GCM")},
			{Type: uint32(spec.KDFPartyUInfo), Data: []byte("Alice")}, {Type: uint32(spec.KDFPartyVInfo), Data: []byte("Bob")},
			{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA256")}}
		tls12 := []engine.KDFParam{{Type: uint32(spec.KDFTLSPRFLabel), Data: []byte("master secret")},
			{Type: uint32(spec.KDFTLSPRFSeed), Data: seed},
			{Type: uint32(spec.KDFTLSPRFProtocol), Data: binary.LittleEndian.AppendUint32(nil, spec.TLS12ProtocolVersion)},
			{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA384")}}
		tls10 := tls12[:2]
		toKDF := func(ps []engine.KDFParam) []kdf.Param {
			var out []kdf.Param
			for _, p := range ps {
				out = append(out, kdf.Param{Type: p.Type, Data: p.Data})
			}
			return out
		}
		must := func(b []byte, err error) []byte {
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		cases := []struct {
			name   string
			kdf    string
			params []engine.KDFParam
			flags  uint32
			keyLen uint32
			want   []byte
		}{
			{"HASH default SHA1", "HASH", nil, 0, 0, hashOf(sha1.New, z)},
			{"HASH SHA256 prepends+append", "HASH", []engine.KDFParam{{Type: uint32(spec.KDFSecretPrepend), Data: pre1},
				{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA256")}, {Type: uint32(spec.KDFSecretPrepend), Data: pre2},
				{Type: uint32(spec.KDFSecretAppend), Data: app}}, 0, 0, hashOf(sha256.New, pre1, pre2, z, app)},
			{"HASH SHA384", "HASH", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA384")}}, 0, 0, hashOf(sha512.New384, z)},
			{"HASH MD5", "HASH", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("MD5")}}, 0, 0, hashOf(md5.New, z)},
			{"HMAC MD5 secret as key", "HMAC", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("MD5")}},
				spec.KDFUseSecretAsHMACKeyFlag, 0, mac(md5.New, z, z)},
			{"HMAC SHA1 default, key", "HMAC", []engine.KDFParam{{Type: uint32(spec.KDFHMACKey), Data: []byte("k")},
				{Type: uint32(spec.KDFSecretPrepend), Data: pre1}}, 0, 0, mac(sha1.New, []byte("k"), pre1, z)},
			{"HASH SHA512", "HASH", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA512")}}, 0, 0, hashOf(sha512.New, z)},
			{"HMAC key SHA256", "HMAC", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA256")},
				{Type: uint32(spec.KDFHMACKey), Data: []byte("hmac key")}, {Type: uint32(spec.KDFSecretAppend), Data: app}}, 0, 0,
				mac(sha256.New, []byte("hmac key"), z, app)},
			{"HMAC secret as key SHA512", "HMAC", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA512")}},
				spec.KDFUseSecretAsHMACKeyFlag, 0, mac(sha512.New, z, z)},
			{"TRUNCATE", "TRUNCATE", nil, 0, 0, le},
			{"TLS_PRF 1.0", "TLS_PRF", tls10, 0, 0, must(kdf.Derive("TLS_PRF", z, toKDF(tls10), 0, 0))},
			{"TLS_PRF 1.2 SHA384", "TLS_PRF", tls12, 0, 0, must(kdf.Derive("TLS_PRF", z, toKDF(tls12), 0, 0))},
			{"SP800_56A_CONCAT 256 bits", "SP800_56A_CONCAT", concat, 0, 256, must(kdf.Derive("SP800_56A_CONCAT", z, toKDF(concat), 0, 32))},
		}
		for _, c := range cases {
			info := &engine.DeriveKeyInfo{Version: 2, KDF: c.kdf, HasKDF: true, AgreementIndex: ai, Flags: c.flags,
				Params: c.params, HasParams: c.params != nil, KeyLen: c.keyLen}
			got := f.derive(t, info)
			if !bytes.Equal(got, c.want) {
				t.Errorf("P-%d %s: card %s, peer %s", len(z)*8, c.name, fp(got), fp(c.want))
			}
			// CARD_BUFFER_SIZE_ONLY: the size, no key.
			size := &engine.DeriveKeyInfo{Version: 2, KDF: c.kdf, HasKDF: true, AgreementIndex: ai,
				Flags: c.flags | spec.CardBufferSizeOnly, Params: c.params, HasParams: c.params != nil, KeyLen: c.keyLen}
			if err := f.ctx.DeriveKey(size); err != nil || size.DerivedKey != nil || size.DerivedSize != len(c.want) {
				t.Errorf("P-%d %s size only: %d %v (want %d)", len(z)*8, c.name, size.DerivedSize, err, len(c.want))
			}
		}
		// Version 1 structures derive the same.
		v1 := &engine.DeriveKeyInfo{Version: 1, KDF: "HASH", HasKDF: true, AgreementIndex: ai}
		if got := f.derive(t, v1); !bytes.Equal(got, hashOf(sha1.New, z)) {
			t.Errorf("version 1: %s", fp(got))
		}
	}
	if f.host.Live() != 0 {
		t.Errorf("%d buffers leaked", f.host.Live())
	}
}

// TestDHManyAgreements: agreements are independent, many live at once, and a destroyed one is
// gone.
func TestDHManyAgreements(t *testing.T) {
	f := newDHFixture(t)
	type ag struct {
		idx byte
		z   []byte
	}
	var ags []ag
	seen := map[byte]bool{}
	for i := 0; i < 20; i++ {
		idx, z := f.agree(t, 2)
		if seen[idx] {
			t.Fatalf("index %d given twice", idx)
		}
		seen[idx] = true
		ags = append(ags, ag{idx, z})
	}
	for _, a := range ags {
		got := f.derive(t, &engine.DeriveKeyInfo{Version: 2, KDF: "TRUNCATE", HasKDF: true, AgreementIndex: a.idx})
		slices.Reverse(got)
		if !bytes.Equal(got, a.z) {
			t.Errorf("agreement %d: wrong secret", a.idx)
		}
	}
	if err := f.ctx.DestroyDHAgreement(ags[3].idx, 0); err != nil {
		t.Fatal(err)
	}
	err := f.ctx.DeriveKey(&engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ags[3].idx})
	if spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("derive from a destroyed agreement: %v", err)
	}
	if err := f.ctx.DestroyDHAgreement(ags[3].idx, 0); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("destroy twice: %v", err)
	}
	// The others are intact.
	got := f.derive(t, &engine.DeriveKeyInfo{Version: 2, KDF: "TRUNCATE", HasKDF: true, AgreementIndex: ags[4].idx})
	slices.Reverse(got)
	if !bytes.Equal(got, ags[4].z) {
		t.Error("a destroy touched another agreement")
	}
	// Agreements belong to their context.
	other, _ := enginetest.Acquire(t, engine.NewModule(), f.p.Card, true)
	if err := other.DeriveKey(&engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ags[4].idx}); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("another context used an agreement: %v", err)
	}
}

// TestDHErrors: the spec's errors for bad agreements and derivations.
func TestDHErrors(t *testing.T) {
	f := newDHFixture(t)
	ctx := f.ctx
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	p384, _ := ecdh.P384().GenerateKey(rand.Reader)
	good := spec.MarshalECDHPublicKeyBlob(p256.PublicKey(), spec.ECDHPublicP256Magic)
	ecdsaMagic := spec.MarshalECDHPublicKeyBlob(p256.PublicKey(), spec.ECDSAPublicP256Magic)
	wrongCurve := spec.MarshalECDHPublicKeyBlob(p384.PublicKey(), spec.ECDHPublicP384Magic)
	offCurve := bytes.Clone(good)
	offCurve[len(offCurve)-1] ^= 1
	zero := append(bytes.Clone(good[:8]), make([]byte, 64)...)
	agree := func(v uint32, idx byte, flags uint32, pub []byte) func() error {
		return func() error {
			return ctx.ConstructDHAgreement(&engine.DHAgreementInfo{Version: v, ContainerIndex: idx, Flags: flags, PublicKey: pub})
		}
	}
	ai, _ := f.agree(t, 2)
	derive := func(info engine.DeriveKeyInfo) func() error {
		return func() error {
			err := ctx.DeriveKey(&info)
			if info.DerivedKey != nil {
				f.host.Free(info.DerivedKey)
			}
			return err
		}
	}
	base := engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ai}
	with := func(mod func(*engine.DeriveKeyInfo)) engine.DeriveKeyInfo {
		d := base
		mod(&d)
		return d
	}
	seed63 := []engine.KDFParam{{Type: uint32(spec.KDFTLSPRFLabel), Data: []byte("l")}, {Type: uint32(spec.KDFTLSPRFSeed), Data: make([]byte, 63)}}
	runRows(t, []row{
		{"agreement version 1", agree(1, 2, 0, good), spec.ErrorRevisionMismatch},
		{"agreement version 3", agree(3, 2, 0, good), spec.ErrorRevisionMismatch},
		{"agreement flags", agree(2, 2, 1, good), spec.SCardEInvalidParameter},
		{"agreement NULL key", agree(2, 2, 0, nil), spec.SCardEInvalidParameter},
		{"agreement NULL info", func() error { return ctx.ConstructDHAgreement(nil) }, spec.SCardEInvalidParameter},
		{"agreement no container", agree(2, 9, 0, good), spec.SCardENoKeyContainer},
		{"agreement index 200", agree(2, 200, 0, good), spec.SCardENoKeyContainer},
		{"agreement RSA container", agree(2, 0, 0, good), spec.SCardEInvalidParameter},
		{"agreement wrong curve", agree(2, 2, 0, wrongCurve), spec.SCardEInvalidParameter},
		{"agreement ECDSA magic", agree(2, 2, 0, ecdsaMagic), spec.SCardEInvalidParameter},
		{"agreement point off the curve", agree(2, 2, 0, offCurve), spec.SCardEInvalidParameter},
		{"agreement point at infinity", agree(2, 2, 0, zero), spec.SCardEInvalidParameter},
		{"agreement truncated", agree(2, 2, 0, good[:40]), spec.SCardEInvalidParameter},
		{"agreement trailing byte", agree(2, 2, 0, append(bytes.Clone(good), 0)), spec.SCardEInvalidParameter},
		{"agreement ok", agree(2, 2, 0, good), 0},
		{"derive NULL info", func() error { return ctx.DeriveKey(nil) }, spec.SCardEInvalidParameter},
		{"derive version 0", derive(with(func(d *engine.DeriveKeyInfo) { d.Version = 0 })), spec.ErrorRevisionMismatch},
		{"derive version 3", derive(with(func(d *engine.DeriveKeyInfo) { d.Version = 3 })), spec.ErrorRevisionMismatch},
		{"derive unknown flag", derive(with(func(d *engine.DeriveKeyInfo) { d.Flags = 0x10 })), spec.SCardEInvalidParameter},
		{"derive key handle in version 1", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Version, d.Flags, d.AlgID, d.HasAlgID, d.KeyLen = 1, spec.CardReturnKeyHandle, "AES", true, 128
		})), spec.SCardEInvalidParameter},
		{"derive NULL KDF", derive(with(func(d *engine.DeriveKeyInfo) { d.HasKDF, d.KDF = false, "" })), spec.SCardEInvalidParameter},
		{"derive unknown KDF", derive(with(func(d *engine.DeriveKeyInfo) { d.KDF = "PBKDF2" })), spec.SCardEInvalidParameter},
		{"derive no agreement", derive(with(func(d *engine.DeriveKeyInfo) { d.AgreementIndex = ai + 1 })), spec.SCardEInvalidParameter},
		{"derive parameter list version 1", derive(with(func(d *engine.DeriveKeyInfo) { d.HasParams, d.ParamsVersion = true, 1 })), spec.SCardEInvalidParameter},
		{"derive unknown parameter type", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Params, d.HasParams = []engine.KDFParam{{Type: 0x77, Data: []byte{1}}}, true
		})), spec.SCardEInvalidParameter},
		{"derive misplaced parameter (TLS label for HASH)", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Params, d.HasParams = []engine.KDFParam{{Type: uint32(spec.KDFTLSPRFLabel), Data: []byte("x")}}, true
		})), spec.SCardEInvalidParameter},
		{"derive unknown hash", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Params, d.HasParams = []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA3")}}, true
		})), spec.SCardEInvalidParameter},
		{"derive TLS seed of 63 bytes", derive(with(func(d *engine.DeriveKeyInfo) { d.KDF, d.Params, d.HasParams = "TLS_PRF", seed63, true })), spec.SCardEInvalidParameter},
		{"derive CONCAT without PartyV", derive(with(func(d *engine.DeriveKeyInfo) {
			d.KDF, d.Params, d.HasParams = "SP800_56A_CONCAT", []engine.KDFParam{{Type: uint32(spec.KDFAlgorithmID), Data: []byte{1}},
				{Type: uint32(spec.KDFPartyUInfo), Data: []byte{2}}}, true
		})), spec.SCardEInvalidParameter},
		{"derive secret handle of 3 bytes", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Params, d.HasParams = []engine.KDFParam{{Type: uint32(spec.KDFSecretHandle), Data: []byte{1, 2, 3}}}, true
		})), spec.SCardEInvalidParameter},
		{"derive unknown secret handle", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Params, d.HasParams = []engine.KDFParam{{Type: uint32(spec.KDFSecretHandle), Data: binary.LittleEndian.AppendUint64(nil, 0xBAD)}}, true
		})), spec.SCardEInvalidParameter},
		{"derive key handle, unknown algorithm", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Flags, d.AlgID, d.HasAlgID, d.KeyLen = spec.CardReturnKeyHandle, "RC4", true, 128
		})), spec.SCardEInvalidParameter},
		{"derive key handle, NULL algorithm", derive(with(func(d *engine.DeriveKeyInfo) { d.Flags = spec.CardReturnKeyHandle })), spec.SCardEInvalidParameter},
		{"derive key handle, AES-100", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Flags, d.AlgID, d.HasAlgID, d.KeyLen = spec.CardReturnKeyHandle, "AES", true, 100
		})), spec.SCardEInvalidParameter},
		{"derive key handle, AES-256 from 20 bytes of SHA1", derive(with(func(d *engine.DeriveKeyInfo) {
			d.Flags, d.AlgID, d.HasAlgID, d.KeyLen = spec.CardReturnKeyHandle, "AES", true, 256
		})), spec.SCardEInvalidParameter},
		{"derive ok", derive(base), 0},
		{"destroy flags", func() error { return ctx.DestroyDHAgreement(ai, 1) }, spec.SCardEInvalidParameter},
		{"destroy unknown", func() error { return ctx.DestroyDHAgreement(ai+1, 0) }, spec.SCardEInvalidParameter},
		{"destroy ok", func() error { return ctx.DestroyDHAgreement(ai, 0) }, 0},
	})
	// Without the PIN the card refuses the ECDH.
	other, _ := enginetest.Acquire(t, engine.NewModule(), f.p.Card, true)
	f.p.Card.Reset()
	if err := other.ConstructDHAgreement(&engine.DHAgreementInfo{Version: 2, ContainerIndex: 2, PublicKey: good}); spec.StatusOf(err) != spec.SCardWSecurityViolation {
		t.Errorf("agreement without PIN: %v", err)
	}
	if f.host.Live() != 0 {
		t.Errorf("%d buffers leaked", f.host.Live())
	}
}

// TestDHSecretHandle: a KDF_SECRET_HANDLE parameter is turned into an agreement through the
// caller's pfnCspGetDHAgreement; the agreement survives the call.
func TestDHSecretHandle(t *testing.T) {
	f := newDHFixture(t)
	ai, _ := f.agree(t, 2)
	bi, zb := f.agree(t, 3)
	const handle = 0x5A5A1234
	f.host.DHAgreements[handle] = bi
	for _, size := range []int{4, 8} {
		h := binary.LittleEndian.AppendUint64(nil, handle)[:size]
		// bSecretAgreementIndex names agreement a; the handle names b, whose secret is used.
		got := f.derive(t, &engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ai, HasParams: true,
			Params: []engine.KDFParam{{Type: uint32(spec.KDFSecretHandle), Data: h}, {Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA256")}}})
		if want := sha256.Sum256(zb); !bytes.Equal(got, want[:]) {
			t.Errorf("%d-byte handle: derived from the wrong secret", size)
		}
	}
	// Still there.
	if got := f.derive(t, &engine.DeriveKeyInfo{Version: 2, KDF: "TRUNCATE", HasKDF: true, AgreementIndex: bi}); len(got) != 48 {
		t.Errorf("the agreement is gone after the callback: %d", len(got))
	}
	// A handle naming no card agreement, and a failing callback.
	f.host.DHAgreements[0x77] = 0xEE // an index with no agreement
	for _, h := range []uint64{0x77, 0x78} {
		err := f.ctx.DeriveKey(&engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ai, HasParams: true,
			Params: []engine.KDFParam{{Type: uint32(spec.KDFSecretHandle), Data: binary.LittleEndian.AppendUint64(nil, h)}}})
		if spec.StatusOf(err) != spec.SCardEInvalidParameter {
			t.Errorf("handle %#x: %v", h, err)
		}
	}
}

// TestDHKeyHandles: CARD_RETURN_KEY_HANDLE gives a handle whose properties follow the algorithm;
// handles are per context and gone after CardDestroyKey.
func TestDHKeyHandles(t *testing.T) {
	f := newDHFixture(t)
	ai, _ := f.agree(t, 3)
	sha512p := []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA512")}}
	handles := map[uintptr]bool{}
	for _, c := range []struct {
		alg   string
		bits  uint32
		block uint32
	}{{"AES", 128, 16}, {"AES", 192, 16}, {"AES", 256, 16}, {"AES", 0, 16}, {"3DES", 192, 8}, {"3DES_112", 128, 8}} {
		info := &engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ai, Params: sha512p, HasParams: true,
			Flags: spec.CardReturnKeyHandle, AlgID: c.alg, HasAlgID: true, KeyLen: c.bits}
		if err := f.ctx.DeriveKey(info); err != nil {
			t.Fatalf("%s-%d: %v", c.alg, c.bits, err)
		}
		if info.Key == 0 || info.DerivedKey != nil || handles[info.Key] {
			t.Fatalf("%s-%d: handle %#x, key bytes returned: %v", c.alg, c.bits, info.Key, info.DerivedKey != nil)
		}
		handles[info.Key] = true
		bl, err := f.ctx.GetKeyProperty(info.Key, spec.CKPBlockLength, 0)
		if err != nil || binary.LittleEndian.Uint32(bl) != c.block {
			t.Errorf("%s block length %X %v", c.alg, bl, err)
		}
		mode, err := f.ctx.GetKeyProperty(info.Key, spec.CKPChainingMode, 0)
		if s, _ := spec.StringFromUTF16LE(mode); err != nil || s != spec.CardChainModeCBC {
			t.Errorf("%s chaining mode %q %v", c.alg, s, err)
		}
		iv := bytes.Repeat([]byte{7}, int(c.block))
		runRows(t, []row{
			{c.alg + " set IV", func() error { return f.ctx.SetKeyProperty(info.Key, spec.CKPInitializationVector, iv, 0) }, 0},
			{c.alg + " set short IV", func() error { return f.ctx.SetKeyProperty(info.Key, spec.CKPInitializationVector, iv[1:], 0) }, spec.SCardEInvalidParameter},
			{c.alg + " set CBC", func() error {
				return f.ctx.SetKeyProperty(info.Key, spec.CKPChainingMode, utf16z(spec.CardChainModeCBC), 0)
			}, 0},
			{c.alg + " set ECB", func() error {
				return f.ctx.SetKeyProperty(info.Key, spec.CKPChainingMode, utf16z("ChainingModeECB"), 0)
			}, spec.SCardEUnsupportedFeature},
			{c.alg + " set block length", func() error { return f.ctx.SetKeyProperty(info.Key, spec.CKPBlockLength, []byte{8, 0, 0, 0}, 0) }, spec.SCardEInvalidParameter},
			{c.alg + " set flags", func() error { return f.ctx.SetKeyProperty(info.Key, spec.CKPInitializationVector, iv, 1) }, spec.SCardEInvalidParameter},
			{c.alg + " get flags", func() error { _, err := f.ctx.GetKeyProperty(info.Key, spec.CKPBlockLength, 1); return err }, spec.SCardEInvalidParameter},
			{c.alg + " get unknown", func() error { _, err := f.ctx.GetKeyProperty(info.Key, "KeyLength", 0); return err }, spec.SCardEInvalidParameter},
		})
		if got, err := f.ctx.GetKeyProperty(info.Key, spec.CKPInitializationVector, 0); err != nil || !bytes.Equal(got, iv) {
			t.Errorf("%s IV read back %X %v", c.alg, got, err)
		}
	}
	// CARD_BUFFER_SIZE_ONLY with a key handle: the key's size, and no handle.
	so := &engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ai, Params: sha512p, HasParams: true,
		Flags: spec.CardReturnKeyHandle | spec.CardBufferSizeOnly, AlgID: "AES", HasAlgID: true, KeyLen: 256}
	if err := f.ctx.DeriveKey(so); err != nil || so.Key != 0 || so.DerivedSize != 32 {
		t.Errorf("size only with a key handle: handle %#x, size %d, %v", so.Key, so.DerivedSize, err)
	}
	// Algorithm properties.
	for alg, want := range map[string][4]uint32{"AES": {128, 256, 256, 64}, "3DES": {192, 192, 192, 0}, "3DES_112": {128, 128, 128, 0}} {
		b, err := f.ctx.GetAlgorithmProperty(alg, spec.CPCardKeySizes, 0)
		ks, perr := spec.ParseKeySizes(b)
		if err != nil || perr != nil || ks.Minimum != want[0] || ks.Default != want[1] || ks.Maximum != want[2] || ks.Incremental != want[3] {
			t.Errorf("%s key sizes %+v %v %v", alg, ks, err, perr)
		}
	}
	runRows(t, []row{
		{"algorithm unknown", func() error { _, err := f.ctx.GetAlgorithmProperty("RC4", spec.CPCardKeySizes, 0); return err }, spec.SCardEInvalidParameter},
		{"algorithm property unknown", func() error { _, err := f.ctx.GetAlgorithmProperty("AES", "BlockLength", 0); return err }, spec.SCardEInvalidParameter},
		{"algorithm flags", func() error { _, err := f.ctx.GetAlgorithmProperty("AES", spec.CPCardKeySizes, 1); return err }, spec.SCardEInvalidParameter},
	})
	// Handles are per context.
	other, _ := enginetest.Acquire(t, engine.NewModule(), f.p.Card, true)
	for h := range handles {
		if _, err := other.GetKeyProperty(h, spec.CKPBlockLength, 0); spec.StatusOf(err) != spec.SCardEInvalidHandle {
			t.Errorf("another context used handle %#x: %v", h, err)
		}
		if err := f.ctx.DestroyKey(h); err != nil {
			t.Errorf("destroy %#x: %v", h, err)
		}
		if _, err := f.ctx.GetKeyProperty(h, spec.CKPBlockLength, 0); spec.StatusOf(err) != spec.SCardEInvalidHandle {
			t.Errorf("destroyed handle %#x: %v", h, err)
		}
		if err := f.ctx.DestroyKey(h); spec.StatusOf(err) != spec.SCardEInvalidHandle {
			t.Errorf("destroyed twice %#x: %v", h, err)
		}
	}
}

// resetCard reports SCARD_W_RESET_CARD once, as PC/SC does after another application reset the
// card.
type resetCard struct {
	t     interface{ Transmit([]byte) ([]byte, error) }
	reset bool
}

type pcscErr uint32

func (e pcscErr) Error() string      { return spec.Status(e).Error() }
func (e pcscErr) PCSCStatus() uint32 { return uint32(e) }

func (r *resetCard) Transmit(cmd []byte) ([]byte, error) {
	if r.reset {
		r.reset = false
		return nil, pcscErr(spec.SCardWResetCard)
	}
	return r.t.Transmit(cmd)
}

// TestDHResetDropsAgreements: after the card was reset, agreements and key handles are gone.
func TestDHResetDropsAgreements(t *testing.T) {
	p := enginetest.Provision(t, dhKeys)
	rc := &resetCard{t: p.Card}
	ctx, h := enginetest.Acquire(t, engine.NewModule(), rc, true)
	f := &dhFixture{p: p, ctx: ctx, host: h}
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	ai, _ := f.agree(t, 2)
	info := &engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ai, Flags: spec.CardReturnKeyHandle,
		AlgID: "AES", HasAlgID: true, KeyLen: 128}
	if err := ctx.DeriveKey(info); err != nil {
		t.Fatal(err)
	}
	rc.reset = true
	p.Card.Reset()
	if _, err := ctx.ReadFile("", "cardcf", 0); spec.StatusOf(err) != spec.SCardWResetCard {
		t.Fatalf("read after reset: %v", err)
	}
	if err := ctx.DeriveKey(&engine.DeriveKeyInfo{Version: 2, KDF: "HASH", HasKDF: true, AgreementIndex: ai}); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("agreement survived a reset: %v", err)
	}
	if _, err := ctx.GetKeyProperty(info.Key, spec.CKPBlockLength, 0); spec.StatusOf(err) != spec.SCardEInvalidHandle {
		t.Errorf("key handle survived a reset: %v", err)
	}
}

// BenchmarkDeriveKey is the engine's cost of CardDeriveKey per KDF (no card I/O: the secret is in
// the context).
func BenchmarkDeriveKey(b *testing.B) {
	f := newDHFixture(b)
	ai, _ := f.agree(b, 2)
	seed := make([]byte, 64)
	for _, c := range []struct {
		name   string
		params []engine.KDFParam
	}{
		{"HASH", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA256")}}},
		{"HMAC", []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: utf16z("SHA256")}, {Type: uint32(spec.KDFHMACKey), Data: []byte("k")}}},
		{"TLS_PRF", []engine.KDFParam{{Type: uint32(spec.KDFTLSPRFLabel), Data: []byte("master secret")}, {Type: uint32(spec.KDFTLSPRFSeed), Data: seed}}},
		{"SP800_56A_CONCAT", []engine.KDFParam{{Type: uint32(spec.KDFAlgorithmID), Data: []byte{1}}, {Type: uint32(spec.KDFPartyUInfo), Data: []byte{2}},
			{Type: uint32(spec.KDFPartyVInfo), Data: []byte{3}}}},
		{"TRUNCATE", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				info := &engine.DeriveKeyInfo{Version: 2, KDF: c.name, HasKDF: true, AgreementIndex: ai, Params: c.params, HasParams: c.params != nil}
				if err := f.ctx.DeriveKey(info); err != nil {
					b.Fatal(err)
				}
				f.host.Free(info.DerivedKey)
			}
		})
	}
}

// fp names secret bytes in a failure message without printing them: their length and the start
// of their SHA-256.
func fp(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%d bytes, SHA-256 %x…", len(b), sum[:4])
}
