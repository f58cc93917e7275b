package engine_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"testing"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/spec"
)

// CardDeriveKey(SP800_56A_CONCAT) with a version 2 dwKeyLen near 2^32 bits: the byte length is
// computed as int(KeyLen+7)/8 in uint32, which wraps, so 0xFFFFFFFF bits gives the secret's
// length (48 bytes) instead of an error, while 0xFFFFFFF0 bits is refused.
func TestDeriveKeyHugeKeyLen(t *testing.T) {
	p := enginetest.Provision(t, enginetest.StandardKeys)
	ctx, _ := enginetest.Acquire(t, engine.NewModule(), p.Card, true)
	if _, err := ctx.AuthenticatePin(spec.CardUserUser, enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	peer, _ := ecdh.P384().GenerateKey(rand.Reader)
	ai := &engine.DHAgreementInfo{Version: 2, ContainerIndex: 3, PublicKey: spec.MarshalECDHPublicKeyBlob(peer.PublicKey(), spec.ECDHPublicP384Magic)}
	if err := ctx.ConstructDHAgreement(ai); err != nil {
		t.Fatal(err)
	}
	for _, bits := range []uint32{0xFFFFFFF0, 0xFFFFFFF9, 0xFFFFFFFF} {
		di := &engine.DeriveKeyInfo{Version: 2, KDF: spec.BCryptKDFSP80056AConcat, HasKDF: true, AgreementIndex: ai.AgreementIndex, HasParams: true,
			Params: []engine.KDFParam{{Type: 8, Data: []byte("a")}, {Type: 9, Data: []byte("u")}, {Type: 10, Data: []byte("v")}}, KeyLen: bits,
			Flags: spec.CardBufferSizeOnly}
		err := ctx.DeriveKey(di)
		if spec.StatusOf(err) != spec.SCardEInvalidParameter {
			t.Errorf("dwKeyLen %#x bits: cbDerivedKey %d, %v; want SCARD_E_INVALID_PARAMETER (beyond kdf.MaxConcatSize)", bits, di.DerivedSize, err)
		}
	}
}
