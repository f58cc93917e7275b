package vcard

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// newSalt returns 16 random bytes.
func newSalt(rnd io.Reader) ([]byte, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	return b, nil
}

// mgmCipher returns the block cipher of the management key.
func mgmCipher(alg byte, key []byte) (cipher.Block, error) {
	if alg == piv.Alg3DES {
		return des.NewTripleDESCipher(key)
	}
	return aes.NewCipher(key)
}

// dynAuth holds the elements of a dynamic authentication template (tag 7C). present tells which
// tags appeared; values hold their contents.
type dynAuth struct {
	present map[tlv.Tag]bool
	values  map[tlv.Tag][]byte
}

func parseDynAuth(data []byte) (dynAuth, bool) {
	els, err := tlv.ParseAll(data)
	if err != nil || len(els) != 1 || els[0].Tag != piv.TagDynAuth {
		return dynAuth{}, false
	}
	inner, err := tlv.ParseAll(els[0].Value)
	if err != nil {
		return dynAuth{}, false
	}
	d := dynAuth{present: map[tlv.Tag]bool{}, values: map[tlv.Tag][]byte{}}
	for _, e := range inner {
		switch e.Tag {
		case piv.TagWitness, piv.TagChallenge, piv.TagResponse, piv.TagExponentiate:
		default:
			return dynAuth{}, false
		}
		if d.present[e.Tag] {
			return dynAuth{}, false
		}
		d.present[e.Tag] = true
		d.values[e.Tag] = e.Value
	}
	return d, true
}

// only reports whether exactly the given tags are present.
func (d dynAuth) only(tags ...tlv.Tag) bool {
	if len(d.present) != len(tags) {
		return false
	}
	for _, t := range tags {
		if !d.present[t] {
			return false
		}
	}
	return true
}

func dynAuthResponse(tag tlv.Tag, value []byte) []byte {
	return tlv.Encode(piv.TagDynAuth, tlv.Encode(tag, value))
}

// cmdGeneralAuthenticate answers GENERAL AUTHENTICATE: management key authentication with key
// reference 9B, private-key operations with the asymmetric slots.
func (c *Card) cmdGeneralAuthenticate(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P2 == piv.RefMgmKey {
		return c.mgmAuthenticate(cmd)
	}
	if !piv.IsKeySlot(cmd.P2) {
		return nil, apdu.SWIncorrectP1P2
	}
	if !piv.IsAsymmetric(cmd.P1) {
		return nil, apdu.SWIncorrectP1P2
	}
	d, ok := parseDynAuth(cmd.Data)
	if !ok {
		return nil, apdu.SWWrongData
	}
	key, ok := c.st.Keys[cmd.P2]
	signer := c.keys[cmd.P2]
	if !ok || signer == nil {
		return nil, apdu.SWReferencedDataNotFound
	}
	if key.Alg != cmd.P1 {
		return nil, apdu.SWIncorrectP1P2
	}
	var op tlv.Tag
	switch {
	case d.only(piv.TagResponse, piv.TagChallenge) && len(d.values[piv.TagResponse]) == 0:
		op = piv.TagChallenge
	case d.only(piv.TagResponse, piv.TagExponentiate) && len(d.values[piv.TagResponse]) == 0:
		op = piv.TagExponentiate
	default:
		return nil, apdu.SWWrongData
	}
	switch policy := effectivePINPolicy(cmd.P2, key.PINPolicy); policy {
	case piv.PINPolicyOnce:
		if !c.pinVerified {
			return nil, apdu.SWSecurityStatusNotSatisfied
		}
	case piv.PINPolicyAlways:
		if !c.pinVerified || !c.pinFresh {
			return nil, apdu.SWSecurityStatusNotSatisfied
		}
		c.pinFresh = false
	}
	in := d.values[op]
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		if op != piv.TagChallenge {
			return nil, apdu.SWWrongData
		}
		out, err := rsaRaw(k, in, c.rand)
		if err != nil {
			return nil, apdu.SWWrongData
		}
		return dynAuthResponse(piv.TagResponse, out), apdu.SWOK
	case *ecdsa.PrivateKey:
		if op == piv.TagChallenge {
			if len(in) == 0 || len(in) > 64 {
				return nil, apdu.SWWrongData
			}
			sig, err := ecdsa.SignASN1(c.rand, k, in)
			if err != nil {
				return nil, apdu.SWWrongData
			}
			return dynAuthResponse(piv.TagResponse, sig), apdu.SWOK
		}
		priv, err := k.ECDH()
		if err != nil {
			return nil, apdu.SWWrongData
		}
		peer, err := priv.Curve().NewPublicKey(in)
		if err != nil {
			return nil, apdu.SWWrongData
		}
		secret, err := priv.ECDH(peer)
		if err != nil {
			return nil, apdu.SWWrongData
		}
		defer clear(secret)
		return dynAuthResponse(piv.TagResponse, secret), apdu.SWOK
	}
	return nil, apdu.SWWrongData
}

// effectivePINPolicy resolves the default policy of a slot.
func effectivePINPolicy(slot, policy byte) byte {
	if policy == piv.PINPolicyDefault {
		return piv.DefaultPINPolicy(slot)
	}
	return policy
}

// effectiveTouchPolicy resolves the default touch policy (never).
func effectiveTouchPolicy(policy byte) byte {
	if policy == piv.TouchPolicyDefault {
		return piv.TouchPolicyNever
	}
	return policy
}

// mgmAuthenticate runs the management key challenge/response (key reference 9B):
//   - 7C{80 00}: the card sends a witness encrypted under the key;
//   - 7C{80 witness, 81 challenge}: the host proves it decrypted the witness and the card proves
//     its own knowledge of the key by encrypting the host's challenge (mutual authentication);
//   - 7C{81 00}: the card sends a challenge;
//   - 7C{82 response}: the host returns the challenge encrypted (external authentication).
func (c *Card) mgmAuthenticate(cmd apdu.Command) ([]byte, apdu.SW) {
	pending := c.mgmPending
	c.mgmPending = mgmChallenge{}
	defer clear(pending.value)
	if cmd.P1 != c.st.MgmAlg {
		return nil, apdu.SWIncorrectP1P2
	}
	d, ok := parseDynAuth(cmd.Data)
	if !ok {
		return nil, apdu.SWWrongData
	}
	block, err := mgmCipher(c.st.MgmAlg, c.st.MgmKey)
	if err != nil {
		return nil, apdu.SWUnknown
	}
	bs := block.BlockSize()
	switch {
	case d.only(piv.TagWitness) && len(d.values[piv.TagWitness]) == 0:
		c.mgmAuthed = false
		w := make([]byte, bs)
		if _, err := io.ReadFull(c.rand, w); err != nil {
			return nil, apdu.SWUnknown
		}
		enc := make([]byte, bs)
		block.Encrypt(enc, w)
		c.mgmPending = mgmChallenge{kind: mgmWitness, value: w}
		return dynAuthResponse(piv.TagWitness, enc), apdu.SWOK

	case d.only(piv.TagWitness, piv.TagChallenge):
		w, ch := d.values[piv.TagWitness], d.values[piv.TagChallenge]
		if pending.kind != mgmWitness || len(w) != bs || len(ch) != bs {
			c.mgmAuthed = false
			if pending.kind == mgmWitness {
				return nil, apdu.SWWrongData
			}
			return nil, apdu.SWConditionsNotSatisfied
		}
		if subtle.ConstantTimeCompare(w, pending.value) != 1 {
			c.mgmAuthed = false
			return nil, apdu.SWSecurityStatusNotSatisfied
		}
		enc := make([]byte, bs)
		block.Encrypt(enc, ch)
		c.mgmAuthed = true
		return dynAuthResponse(piv.TagResponse, enc), apdu.SWOK

	case d.only(piv.TagChallenge) && len(d.values[piv.TagChallenge]) == 0:
		c.mgmAuthed = false
		ch := make([]byte, bs)
		if _, err := io.ReadFull(c.rand, ch); err != nil {
			return nil, apdu.SWUnknown
		}
		c.mgmPending = mgmChallenge{kind: mgmChallengeSent, value: append([]byte(nil), ch...)}
		return dynAuthResponse(piv.TagChallenge, ch), apdu.SWOK

	case d.only(piv.TagResponse):
		r := d.values[piv.TagResponse]
		if pending.kind != mgmChallengeSent {
			c.mgmAuthed = false
			return nil, apdu.SWConditionsNotSatisfied
		}
		if len(r) != bs {
			c.mgmAuthed = false
			return nil, apdu.SWWrongData
		}
		want := make([]byte, bs)
		block.Encrypt(want, pending.value)
		if subtle.ConstantTimeCompare(r, want) != 1 {
			c.mgmAuthed = false
			return nil, apdu.SWSecurityStatusNotSatisfied
		}
		c.mgmAuthed = true
		return nil, apdu.SWOK
	}
	c.mgmAuthed = false
	return nil, apdu.SWWrongData
}
