package rsapad

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"
	"testing"
)

var oaepHashes = []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512}

func TestUnpadOAEPRoundTrip(t *testing.T) {
	labels := [][]byte{nil, []byte("minidriver label"), bytes.Repeat([]byte{0x5a}, 300)}
	for _, bits := range []int{1024, 1025, 2048} {
		key := testKey(t, bits)
		k := modLen(&key.PublicKey)
		for _, h := range oaepHashes {
			hLen := h.Size()
			maxMsg := k - 2*hLen - 2
			if maxMsg < 0 {
				continue // SHA-512 does not fit a 1024-bit key
			}
			for li, label := range labels {
				for _, n := range []int{0, 1, 16, maxMsg} {
					if n > maxMsg {
						continue
					}
					t.Run(fmt.Sprintf("%d/%v/label%d/len%d", bits, h, li, n), func(t *testing.T) {
						msg := make([]byte, n)
						rand.Read(msg)
						if n > 1 {
							msg[0], msg[1] = 0x00, 0x01 // message bytes that look like PS/separator
						}
						c, err := rsa.EncryptOAEP(h.New(), rand.Reader, &key.PublicKey, msg, label)
						if err != nil {
							t.Fatalf("rsa.EncryptOAEP: %v", err)
						}
						em := rawDecrypt(t, key, c)
						emCopy := append([]byte(nil), em...)
						got, err := UnpadOAEP(h, em, label)
						if err != nil {
							t.Fatalf("UnpadOAEP: %v", err)
						}
						if got == nil || !bytes.Equal(got, msg) {
							t.Fatalf("got %x, want %x", got, msg)
						}
						if !bytes.Equal(em, emCopy) {
							t.Fatalf("UnpadOAEP modified its input")
						}
						// Wrong label.
						wrongLabel := append([]byte("x"), label...)
						if _, err := UnpadOAEP(h, em, wrongLabel); err != ErrDecryption {
							t.Fatalf("wrong label: err = %v, want ErrDecryption", err)
						}
						if len(label) > 0 {
							if _, err := UnpadOAEP(h, em, nil); err != ErrDecryption {
								t.Fatalf("missing label: err = %v, want ErrDecryption", err)
							}
						}
						// Wrong hash (when the block size allows it).
						for _, other := range oaepHashes {
							if other == h || k < 2*other.Size()+2 {
								continue
							}
							if _, err := UnpadOAEP(other, em, label); err != ErrDecryption {
								t.Fatalf("decoding with %v: err = %v, want ErrDecryption", other, err)
							}
						}
						// A corrupted byte anywhere must be detected.
						bit := byte(1) << (n % 8)
						for i := range em {
							bad := append([]byte(nil), em...)
							bad[i] ^= bit
							if out, err := UnpadOAEP(h, bad, label); err != ErrDecryption || out != nil {
								t.Fatalf("byte %d corrupted: got %x, %v; want ErrDecryption", i, out, err)
							}
						}
					})
				}
			}
		}
	}
}

func TestUnpadOAEPEveryBitFlip(t *testing.T) {
	key := testKey(t, 2048)
	msg := []byte("every bit counts")
	c, err := rsa.EncryptOAEP(crypto.SHA256.New(), rand.Reader, &key.PublicKey, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	em := rawDecrypt(t, key, c)
	for i := range em {
		for b := 0; b < 8; b++ {
			bad := append([]byte(nil), em...)
			bad[i] ^= 1 << b
			if _, err := UnpadOAEP(crypto.SHA256, bad, nil); err != ErrDecryption {
				t.Fatalf("bit %d of byte %d flipped: err = %v, want ErrDecryption", b, i, err)
			}
		}
	}
}

// TestUnpadOAEPHandBuilt exercises each decoding failure condition of RFC
// 8017 section 7.1.2 step 3g separately, using blocks built in the test.
func TestUnpadOAEPHandBuilt(t *testing.T) {
	const k = 128
	label := []byte("L")
	for _, h := range oaepHashes {
		hLen := h.Size()
		if k < 2*hLen+2 {
			continue
		}
		seed := bytes.Repeat([]byte{0x3c}, hLen)
		good := oaepDB(h, k, []byte("msg"), label)
		mod := func(f func(db []byte) []byte) []byte {
			return f(append([]byte(nil), good...))
		}
		psLen := k - 3 - 2*hLen - 2
		tests := []struct {
			name string
			y    byte
			db   []byte
			want []byte // nil: ErrDecryption
		}{
			{"valid", 0, good, []byte("msg")},
			{"valid empty PS", 0, oaepDB(h, k, bytes.Repeat([]byte{7}, k-2*hLen-2), label), bytes.Repeat([]byte{7}, k-2*hLen-2)},
			{"valid empty message", 0, oaepDB(h, k, nil, label), []byte{}},
			{"valid message 00 01", 0, oaepDB(h, k, []byte{0, 1, 0}, label), []byte{0, 1, 0}},
			{"Y = 1", 1, good, nil},
			{"Y = 0x80", 0x80, good, nil},
			{"lHash first byte", 0, mod(func(d []byte) []byte { d[0] ^= 1; return d }), nil},
			{"lHash last byte", 0, mod(func(d []byte) []byte { d[hLen-1] ^= 0x80; return d }), nil},
			{"nonzero PS start", 0, mod(func(d []byte) []byte { d[hLen] = 0x02; return d }), nil},
			{"nonzero PS end", 0, mod(func(d []byte) []byte { d[hLen+psLen-1] = 0xff; return d }), nil},
			{"separator 0x02", 0, mod(func(d []byte) []byte { d[hLen+psLen] = 0x02; return d }), nil},
			{"separator missing", 0, mod(func(d []byte) []byte {
				for i := hLen; i < len(d); i++ {
					d[i] = 0
				}
				return d
			}), nil},
			{"empty label hash", 0, append(append([]byte(nil), hashOf(h, nil)...), good[hLen:]...), nil},
		}
		for _, tt := range tests {
			em := oaepBlock(h, tt.y, tt.db, seed)
			if len(em) != k {
				t.Fatalf("%v %s: test block is %d bytes", h, tt.name, len(em))
			}
			got, err := UnpadOAEP(h, em, label)
			if tt.want == nil {
				if err != ErrDecryption || got != nil {
					t.Errorf("%v %s: got %x, %v; want ErrDecryption", h, tt.name, got, err)
				}
				continue
			}
			if err != nil || got == nil || !bytes.Equal(got, tt.want) {
				t.Errorf("%v %s: got %x, %v; want %x", h, tt.name, got, err, tt.want)
			}
		}
	}
}

func TestUnpadOAEPLengthsAndHashes(t *testing.T) {
	for _, h := range oaepHashes {
		hLen := h.Size()
		for _, n := range []int{0, 1, 2 * hLen, 2*hLen + 1, maxModulusBytes + 1} {
			if _, err := UnpadOAEP(h, make([]byte, n), nil); err != ErrDecryption {
				t.Errorf("%v, %d-byte block: err = %v, want ErrDecryption", h, n, err)
			}
		}
		// The shortest legal block (empty PS and message) decodes.
		em := oaepBlock(h, 0, oaepDB(h, 2*hLen+2, nil, nil), make([]byte, hLen))
		if got, err := UnpadOAEP(h, em, nil); err != nil || len(got) != 0 {
			t.Errorf("%v, minimal block: got %x, %v", h, got, err)
		}
	}
	for _, h := range []crypto.Hash{0, crypto.MD5SHA1, crypto.SHA3_256, crypto.Hash(77)} {
		_, err := UnpadOAEP(h, make([]byte, 256), nil)
		if !errors.Is(err, ErrDecryption) || !errors.Is(err, ErrUnsupportedHash) {
			t.Errorf("hash %v: err = %v, want ErrUnsupportedHash and ErrDecryption", h, err)
		}
	}
}

// oaepVector is an RSAES-OAEP (SHA-1, MGF1-SHA-1, empty label) example
// from oaep-vect.txt of the PKCS #1 v2.1 test vectors (pkcs-1v2-1-vec),
// the companion test vectors of RFC 8017.
type oaepVector struct {
	name                  string
	n, d                  string
	msg, seed, ciphertext string
}

const (
	vecN1 = `a8 b3 b2 84 af 8e b5 0b 38 70 34 a8 60 f1 46 c4
91 9f 31 87 63 cd 6c 55 98 c8 ae 48 11 a1 e0 ab
c4 c7 e0 b0 82 d6 93 a5 e7 fc ed 67 5c f4 66 85
12 77 2c 0c bc 64 a7 42 c6 c6 30 f5 33 c8 cc 72
f6 2a e8 33 c4 0b f2 58 42 e9 84 bb 78 bd bf 97
c0 10 7d 55 bd b6 62 f5 c4 e0 fa b9 84 5c b5 14
8e f7 39 2d d3 aa ff 93 ae 1e 6b 66 7b b3 d4 24
76 16 d4 f5 ba 10 d4 cf d2 26 de 88 d3 9f 16 fb`
	vecD1 = `53 33 9c fd b7 9f c8 46 6a 65 5c 73 16 ac a8 5c
55 fd 8f 6d d8 98 fd af 11 95 17 ef 4f 52 e8 fd
8e 25 8d f9 3f ee 18 0f a0 e4 ab 29 69 3c d8 3b
15 2a 55 3d 4a c4 d1 81 2b 8b 9f a5 af 0e 7f 55
fe 73 04 df 41 57 09 26 f3 31 1f 15 c4 d6 5a 73
2c 48 31 16 ee 3d 3d 2d 0a f3 54 9a d9 bf 7c bf
b7 8a d8 84 f8 4d 5b eb 04 72 4d c7 36 9b 31 de
f3 7d 0c f5 39 e9 cf cd d3 de 65 37 29 ea d5 d1`
	vecN2 = `01 94 7c 7f ce 90 42 5f 47 27 9e 70 85 1f 25 d5
e6 23 16 fe 8a 1d f1 93 71 e3 e6 28 e2 60 54 3e
49 01 ef 60 81 f6 8c 0b 81 41 19 0d 2a e8 da ba
7d 12 50 ec 6d b6 36 e9 44 ec 37 22 87 7c 7c 1d
0a 67 f1 4b 16 94 c5 f0 37 94 51 a4 3e 49 a3 2d
de 83 67 0b 73 da 91 a1 c9 9b c2 3b 43 6a 60 05
5c 61 0f 0b af 99 c1 a0 79 56 5b 95 a3 f1 52 66
32 d1 d4 da 60 f2 0e da 25 e6 53 c4 f0 02 76 6f
45`
	vecD2 = `08 23 f2 0f ad b5 da 89 08 8a 9d 00 89 3e 21 fa
4a 1b 11 fb c9 3c 64 a3 be 0b aa ea 97 fb 3b 93
c3 ff 71 37 04 c1 9c 96 3c 1d 10 7a ae 99 05 47
39 f7 9e 02 e1 86 de 86 f8 7a 6d de fe a6 d8 cc
d1 d3 c8 1a 47 bf a7 25 5b e2 06 01 a4 a4 b2 f0
8a 16 7b 5e 27 9d 71 5b 1b 45 5b dd 7e ab 24 59
41 d9 76 8b 9a ce fb 3c cd a5 95 2d a3 ce e7 25
25 b4 50 16 63 a8 ee 15 c9 e9 92 d9 24 62 fe 39`
)

var oaepVectors = []oaepVector{
	{
		name: "Example 1.1", n: vecN1, d: vecD1,
		msg: `66 28 19 4e 12 07 3d b0 3b a9 4c da 9e f9 53 23
97 d5 0d ba 79 b9 87 00 4a fe fe 34`,
		seed: `18 b7 76 ea 21 06 9d 69 77 6a 33 e9 6b ad 48 e1 dd a0 a5 ef`,
		ciphertext: `35 4f e6 7b 4a 12 6d 5d 35 fe 36 c7 77 79 1a 3f
7b a1 3d ef 48 4e 2d 39 08 af f7 22 fa d4 68 fb
21 69 6d e9 5d 0b e9 11 c2 d3 17 4f 8a fc c2 01
03 5f 7b 6d 8e 69 40 2d e5 45 16 18 c2 1a 53 5f
a9 d7 bf c5 b8 dd 9f c2 43 f8 cf 92 7d b3 13 22
d6 e8 81 ea a9 1a 99 61 70 e6 57 a0 5a 26 64 26
d9 8c 88 00 3f 84 77 c1 22 70 94 a0 d9 fa 1e 8c
40 24 30 9c e1 ec cc b5 21 00 35 d4 7a c7 2e 8a`,
	},
	{
		name: "Example 1.6", n: vecN1, d: vecD1,
		msg:  `26 52 10 50 84 42 71`,
		seed: `e4 ec 09 82 c2 33 6f 3a 67 7f 6a 35 61 74 eb 0c e8 87 ab c2`,
		ciphertext: `42 ce e2 61 7b 1e ce a4 db 3f 48 29 38 6f bd 61
da fb f0 38 e1 80 d8 37 c9 63 66 df 24 c0 97 b4
ab 0f ac 6b df 59 0d 82 1c 9f 10 64 2e 68 1a d0
5b 8d 78 b3 78 c0 f4 6c e2 fa d6 3f 74 e0 ad 3d
f0 6b 07 5d 7e b5 f5 63 6f 8d 40 3b 90 59 ca 76
1b 5c 62 bb 52 aa 45 00 2e a7 0b aa ce 08 de d2
43 b9 d8 cb d6 2a 68 ad e2 65 83 2b 56 56 4e 43
a6 fa 42 ed 19 9a 09 97 69 74 2d f1 53 9e 82 55`,
	},
	{
		name: "Example 2.2 (1025-bit)", n: vecN2, d: vecD2,
		msg:  `2d`,
		seed: `b6 00 cf 3c 2e 50 6d 7f 16 77 8c 91 0d 3a 8b 00 3e ee 61 d5`,
		ciphertext: `01 87 59 ff 1d f6 3b 27 92 41 05 62 31 44 16 a8
ae af 2a c6 34 b4 6f 94 0a b8 2d 64 db f1 65 ee
e3 30 11 da 74 9d 4b ab 6e 2f cd 18 12 9c 9e 49
27 7d 84 53 11 2b 42 9a 22 2a 84 71 b0 70 99 39
98 e7 58 86 1c 4d 3f 6d 74 9d 91 c4 29 0d 33 2c
7a 4a b3 f7 ea 35 ff 3a 07 d4 97 c9 55 ff 0f fc
95 00 6b 62 c6 d2 96 81 0d 9b fa b0 24 19 6c 79
34 01 2c 2d f9 78 ef 29 9a ba 23 99 40 cb a1 02
45`,
	},
	{
		name: "Example 2.4 (1025-bit)", n: vecN2, d: vecD2,
		msg: `a7 eb 2a 50 36 93 1d 27 d4 e8 91 32 6d 99 69 2f
fa dd a9 bf 7e fd 3e 34 e6 22 c4 ad c0 85 f7 21
df e8 85 07 2c 78 a2 03 b1 51 73 9b e5 40 fa 8c
15 3a 10 f0 0a`,
		seed: `9a 7b 3b 0e 70 8b d9 6f 81 90 ec ab 4f b9 b2 b3 80 5a 81 56`,
		ciphertext: `00 a4 57 8c bc 17 63 18 a6 38 fb a7 d0 1d f1 57
46 af 44 d4 f6 cd 96 d7 e7 c4 95 cb f4 25 b0 9c
64 9d 32 bf 88 6d a4 8f ba f9 89 a2 11 71 87 ca
fb 1f b5 80 31 76 90 e3 cc d4 46 92 0b 7a f8 2b
31 db 58 04 d8 7d 01 51 4a cb fa 91 56 e7 82 f8
67 f6 be d9 44 9e 0e 9a 2c 09 bc ec c6 aa 08 76
36 96 5e 34 b3 ec 76 6f 2f e2 e4 30 18 a2 fd de
b1 40 61 6a 0e 9d 82 e5 33 10 24 ee 06 52 fc 76
41`,
	},
}

func TestUnpadOAEPKnownAnswer(t *testing.T) {
	for _, v := range oaepVectors {
		t.Run(v.name, func(t *testing.T) {
			n := new(big.Int).SetBytes(unhex(t, v.n))
			d := new(big.Int).SetBytes(unhex(t, v.d))
			msg, seed, c := unhex(t, v.msg), unhex(t, v.seed), unhex(t, v.ciphertext)
			k := (n.BitLen() + 7) / 8
			if len(c) != k {
				t.Fatalf("ciphertext is %d bytes, modulus %d", len(c), k)
			}
			em := rawExp(t, c, d, n)
			got, err := UnpadOAEP(crypto.SHA1, em, nil)
			if err != nil {
				t.Fatalf("UnpadOAEP: %v", err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatalf("message\n got %x\nwant %x", got, msg)
			}
			// Re-encode with the published seed: checks MGF1 and the
			// block layout byte for byte.
			want := oaepBlock(crypto.SHA1, 0, oaepDB(crypto.SHA1, k, msg, nil), seed)
			if !bytes.Equal(em, want) {
				t.Fatalf("encoded message\n got %x\nwant %x", em, want)
			}
			if c2 := rawExp(t, want, big.NewInt(65537), n); !bytes.Equal(c2, c) {
				t.Fatalf("re-encryption\n got %x\nwant %x", c2, c)
			}
			if _, err := UnpadOAEP(crypto.SHA1, em, []byte{0}); err != ErrDecryption {
				t.Fatalf("non-empty label: err = %v, want ErrDecryption", err)
			}
		})
	}
}

func BenchmarkUnpadOAEP(b *testing.B) {
	key := testKey(b, 2048)
	msg := []byte("benchmark message")
	c, err := rsa.EncryptOAEP(crypto.SHA256.New(), rand.Reader, &key.PublicKey, msg, nil)
	if err != nil {
		b.Fatal(err)
	}
	em := rawDecrypt(b, key, c)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := UnpadOAEP(crypto.SHA256, em, nil); err != nil {
			b.Fatal(err)
		}
	}
}
