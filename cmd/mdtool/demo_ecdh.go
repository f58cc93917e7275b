package main

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/kdf"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/vcard"
)

// The demo's ECDH step: the KSP's NCryptSecretAgreement + NCryptDeriveKey with container 1 (the
// P-256 key in 9C, PIN 3 right before each use) and a software peer, whose own computation
// (crypto/ecdh, then package kdf) must give the same bytes.

// demoConcatParams are the SP800_56A_CONCAT parameters of the demo (an explicit SHA256, the
// hash Windows picks for P-256 anyway).
func demoConcatParams() []engine.KDFParam {
	return []engine.KDFParam{
		{Type: uint32(spec.KDFHashAlgorithm), Data: spec.UTF16LEBytes(spec.BCryptSHA256Algorithm)},
		{Type: uint32(spec.KDFAlgorithmID), Data: []byte("A256GCM")},
		{Type: uint32(spec.KDFPartyUInfo), Data: []byte("cardmod demo card")},
		{Type: uint32(spec.KDFPartyVInfo), Data: []byte("cardmod demo peer")},
	}
}

// kdfParamsOf converts an engine parameter list to package kdf's (the same layout).
func kdfParamsOf(ps []engine.KDFParam) []kdf.Param {
	out := make([]kdf.Param, len(ps))
	for i, p := range ps {
		out[i] = kdf.Param{Type: p.Type, Data: p.Data}
	}
	return out
}

func (d *demo) ecdhAgreement(*apdu.Stats) error {
	const idx = 1
	// The container's public key as the KSP gets it: CardGetContainerInfo.
	pub, ks, err := d.s.containerKey(idx)
	if err != nil {
		return err
	}
	ecPub, ok := pub.(*ecdsa.PublicKey)
	if err := d.expect(ok && ks.IsECC(), "container %d: %v %s, not an ECC key", idx, ks, keyAlg(pub)); err != nil {
		return err
	}
	cardPub, err := ecPub.ECDH()
	if err != nil {
		return err
	}
	peer, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	// PIN 3 was used up by the last 9C signature: the agreement is refused before any APDU.
	_, err = d.s.constructAgreement(idx, peer.PublicKey())
	if err := d.expectStatus(err, spec.SCardWSecurityViolation, "an agreement with 9C without PIN 3"); err != nil {
		return err
	}
	d.say("a software peer key (crypto/ecdh P-256); CardConstructDHAgreement(1) without PIN 3: %s", statusLine(err))
	if err := d.s.authenticate(3, bytes.Clone(vcard.DefaultPIN)); err != nil {
		return err
	}
	agreement, err := d.s.constructAgreement(idx, peer.PublicKey())
	if err != nil {
		return err
	}
	d.say("after CardAuthenticateEx(PIN 3): the peer's BCRYPT_ECCPUBLIC_BLOB (ECK1 magic) goes to the card")
	d.say("(GENERAL AUTHENTICATE, tag 85); the secret stays in the minidriver as agreement %d", agreement)
	concat := demoConcatParams()
	hash := []engine.KDFParam{{Type: uint32(spec.KDFHashAlgorithm), Data: spec.UTF16LEBytes(spec.BCryptSHA256Algorithm)}}
	derive := func(name string, params []engine.KDFParam) ([]byte, error) {
		di, err := d.s.deriveKey(agreement, deriveRequest{kdf: name, params: params})
		if err != nil {
			return nil, err
		}
		return di.DerivedKey, nil
	}
	cardConcat, err := derive(spec.BCryptKDFSP80056AConcat, concat)
	if err != nil {
		return err
	}
	cardHash, err := derive(spec.BCryptKDFHash, hash)
	if err != nil {
		return err
	}
	if err := d.s.destroyAgreement(agreement); err != nil {
		return err
	}
	_, gone := derive(spec.BCryptKDFHash, hash)
	if err := d.expectStatus(gone, spec.SCardEInvalidParameter, "deriving from a destroyed agreement"); err != nil {
		return err
	}
	// The peer's side: ECDH with the container's public key, then the same KDFs.
	z, err := peer.ECDH(cardPub)
	if err != nil {
		return err
	}
	defer clear(z)
	peerConcat, err := kdf.Derive(spec.BCryptKDFSP80056AConcat, z, kdfParamsOf(concat), 0, 0)
	if err != nil {
		return err
	}
	// SP 800-56A's formula by hand, for the one block 32 bytes take: SHA-256(00000001 ‖ Z ‖ OtherInfo).
	h := sha256.New()
	h.Write([]byte{0, 0, 0, 1})
	h.Write(z)
	for _, p := range concat[1:] {
		h.Write(p.Data)
	}
	byHand := h.Sum(nil)
	peerHash := sha256.Sum256(z)
	if err := d.expect(bytes.Equal(cardConcat, peerConcat), "SP800_56A_CONCAT: card %x, peer %x", cardConcat, peerConcat); err != nil {
		return err
	}
	if err := d.expect(bytes.Equal(peerConcat, byHand), "kdf.Derive %x, SP 800-56A by hand %x", peerConcat, byHand); err != nil {
		return err
	}
	if err := d.expect(bytes.Equal(cardHash, peerHash[:]), "HASH: card %x, peer %x", cardHash, peerHash); err != nil {
		return err
	}
	d.say("CardDeriveKey SP800_56A_CONCAT (SHA256, AlgorithmID %q, PartyUInfo %q, PartyVInfo %q):",
		concat[1].Data, concat[2].Data, concat[3].Data)
	d.say("  card: %s", hex.EncodeToString(cardConcat))
	d.say("  peer: %s  (crypto/ecdh + kdf.Derive; = SHA-256(00000001||Z||OtherInfo))", hex.EncodeToString(peerConcat))
	d.say("CardDeriveKey HASH (SHA256):")
	d.say("  card: %s", hex.EncodeToString(cardHash))
	d.say("  peer: %s  (SHA-256 of the crypto/ecdh secret)", hex.EncodeToString(peerHash[:]))
	d.say("CardDestroyDHAgreement(%d) wipes the secret; deriving from it again: %s", agreement, statusLine(gone))
	return nil
}
