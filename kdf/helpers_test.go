package kdf

import (
	"crypto/ecdh"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/spec"
)

// unhex decodes hex with optional spaces; it panics on bad input (test tables only).
func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func b64(s string) []byte {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[i] = b[len(b)-1-i]
	}
	return r
}

// hashParam is a KDF_HASH_ALGORITHM buffer as Windows callers build it: the UTF-16LE name and
// its NUL (cbBuffer = (len+1)*2).
func hashParam(name string) Param {
	return Param{Type: uint32(spec.KDFHashAlgorithm), Data: spec.UTF16LEBytes(name)}
}

func dwordParam(t spec.KDFBufferType, v uint32) Param {
	return Param{Type: uint32(t), Data: binary.LittleEndian.AppendUint32(nil, v)}
}

func bytesParam(t spec.KDFBufferType, b []byte) Param {
	return Param{Type: uint32(t), Data: b}
}

// ecdhSecret computes the x coordinate of d·Q on curve c, Q given as X||Y, and checks that the
// private key's public point is pubX||pubY when those are given.
func ecdhSecret(t testing.TB, c ecdh.Curve, d, pubX, pubY, peerX, peerY []byte) []byte {
	t.Helper()
	priv, err := c.NewPrivateKey(d)
	if err != nil {
		t.Fatalf("private key: %v", err)
	}
	if pubX != nil {
		want := append(append([]byte{4}, pubX...), pubY...)
		if got := priv.PublicKey().Bytes(); string(got) != string(want) {
			t.Fatalf("private key's public point %x, want %x", got, want)
		}
	}
	peer, err := c.NewPublicKey(append(append([]byte{4}, peerX...), peerY...))
	if err != nil {
		t.Fatalf("peer key: %v", err)
	}
	z, err := priv.ECDH(peer)
	if err != nil {
		t.Fatalf("ECDH: %v", err)
	}
	return z
}
