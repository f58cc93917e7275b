package rsapad

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"testing"
)

func TestHashByName(t *testing.T) {
	tests := []struct {
		name string
		want crypto.Hash
		ok   bool
	}{
		{"MD5", crypto.MD5, true},
		{"SHA1", crypto.SHA1, true},
		{"SHA224", crypto.SHA224, true},
		{"SHA256", crypto.SHA256, true},
		{"SHA384", crypto.SHA384, true},
		{"SHA512", crypto.SHA512, true},
		{"sha256", 0, false},
		{"Sha1", 0, false},
		{"SHA-256", 0, false},
		{"SHA256 ", 0, false},
		{"MD4", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := HashByName(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("HashByName(%q) = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

var signHashes = []crypto.Hash{crypto.MD5, crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512}

func TestPKCS1v15SignBlockMatchesCryptoRSA(t *testing.T) {
	msg := []byte("minidriver signature test message")
	for _, bits := range []int{1024, 1025, 2048} {
		key := testKey(t, bits)
		k := modLen(&key.PublicKey)
		type tc struct {
			name   string
			hash   crypto.Hash
			digest []byte
		}
		var cases []tc
		for _, h := range signHashes {
			cases = append(cases, tc{h.String(), h, hashOf(h, msg)})
		}
		md5sha1 := append(hashOf(crypto.MD5, msg), hashOf(crypto.SHA1, msg)...)
		cases = append(cases,
			tc{"MD5SHA1", crypto.MD5SHA1, md5sha1},
			tc{"none/36", 0, md5sha1},
			tc{"none/1", 0, []byte{0x42}},
			tc{"none/empty", 0, nil},
			tc{"none/max", 0, bytes.Repeat([]byte{0xa5}, k-11)},
			// A caller-supplied DigestInfo with hash 0 ("no OID").
			tc{"none/digestinfo", 0, append(append([]byte(nil), hashes[crypto.SHA256].prefix...), hashOf(crypto.SHA256, msg)...)},
		)
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s", bits, c.name), func(t *testing.T) {
				block, err := PKCS1v15SignBlock(k, c.hash, c.digest)
				if err != nil {
					t.Fatalf("PKCS1v15SignBlock: %v", err)
				}
				if len(block) != k {
					t.Fatalf("block is %d bytes, want %d", len(block), k)
				}
				got := rawSign(t, key, block)
				want, err := rsa.SignPKCS1v15(nil, key, c.hash, c.digest)
				if err != nil {
					t.Fatalf("rsa.SignPKCS1v15: %v", err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("raw signature differs from rsa.SignPKCS1v15\n got %x\nwant %x", got, want)
				}
				if c.hash != 0 {
					if err := rsa.VerifyPKCS1v15(&key.PublicKey, c.hash, c.digest, got); err != nil {
						t.Fatalf("rsa.VerifyPKCS1v15: %v", err)
					}
				}
			})
		}
	}
}

func TestPKCS1v15SignBlockLayout(t *testing.T) {
	digest := bytes.Repeat([]byte{0x11}, 32)
	block, err := PKCS1v15SignBlock(64, crypto.SHA256, digest)
	if err != nil {
		t.Fatal(err)
	}
	prefix := unhex(t, "3031300d060960864801650304020105000420")
	tLen := len(prefix) + len(digest)
	want := []byte{0x00, 0x01}
	want = append(want, bytes.Repeat([]byte{0xff}, 64-3-tLen)...)
	want = append(want, 0x00)
	want = append(want, prefix...)
	want = append(want, digest...)
	if !bytes.Equal(block, want) {
		t.Fatalf("block\n got %x\nwant %x", block, want)
	}
}

func TestPKCS1v15SignBlockErrors(t *testing.T) {
	sha256Digest := make([]byte, 32)
	tLen := 19 + 32
	// Boundary: exactly 8 bytes of PS fits, 7 does not.
	if _, err := PKCS1v15SignBlock(tLen+11, crypto.SHA256, sha256Digest); err != nil {
		t.Errorf("k = len(T)+11: unexpected error %v", err)
	}
	tests := []struct {
		name   string
		k      int
		hash   crypto.Hash
		digest []byte
		want   error
	}{
		{"too short", tLen + 10, crypto.SHA256, sha256Digest, ErrMessageTooLong},
		{"raw too short", 20, 0, make([]byte, 10), ErrMessageTooLong},
		{"zero k", 0, 0, nil, ErrMessageTooLong},
		{"negative k", -5, crypto.SHA1, make([]byte, 20), ErrMessageTooLong},
		{"huge k", 1 << 40, crypto.SHA1, make([]byte, 20), ErrInvalidModulusSize},
		{"digest short", 256, crypto.SHA256, make([]byte, 31), ErrInvalidDigest},
		{"digest long", 256, crypto.SHA1, make([]byte, 21), ErrInvalidDigest},
		{"digest nil", 256, crypto.SHA512, nil, ErrInvalidDigest},
		{"md5sha1 wrong", 256, crypto.MD5SHA1, make([]byte, 35), ErrInvalidDigest},
		{"sha3", 256, crypto.SHA3_256, make([]byte, 32), ErrUnsupportedHash},
		{"md4", 256, crypto.MD4, make([]byte, 16), ErrUnsupportedHash},
		{"bogus hash", 256, crypto.Hash(200), make([]byte, 16), ErrUnsupportedHash},
	}
	for _, tt := range tests {
		block, err := PKCS1v15SignBlock(tt.k, tt.hash, tt.digest)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if block != nil {
			t.Errorf("%s: non-nil block on error", tt.name)
		}
	}
}

func TestUnpadPKCS1v15RoundTrip(t *testing.T) {
	for _, bits := range []int{1024, 1025, 2048} {
		key := testKey(t, bits)
		k := modLen(&key.PublicKey)
		for _, n := range []int{0, 1, 16, 32, 48, k - 12, k - 11} {
			msg := make([]byte, n)
			rand.Read(msg)
			if n > 0 {
				msg[0] = 0 // leading zeros in the message must survive
			}
			c, err := rsa.EncryptPKCS1v15(rand.Reader, &key.PublicKey, msg)
			if err != nil {
				t.Fatalf("%d bits, %d-byte message: rsa.EncryptPKCS1v15: %v", bits, n, err)
			}
			em := rawDecrypt(t, key, c)
			emCopy := append([]byte(nil), em...)
			got, err := UnpadPKCS1v15(em)
			if err != nil {
				t.Fatalf("%d bits, %d-byte message: UnpadPKCS1v15: %v", bits, n, err)
			}
			if !bytes.Equal(got, msg) || got == nil {
				t.Fatalf("%d bits: got %x, want %x", bits, got, msg)
			}
			if !bytes.Equal(em, emCopy) {
				t.Fatalf("UnpadPKCS1v15 modified its input")
			}
			// Corrupting the header must be detected.
			for _, mut := range []func([]byte){
				func(b []byte) { b[0] = 0x01 },
				func(b []byte) { b[1] = 0x01 },
				func(b []byte) { b[1] = 0x00 },
				func(b []byte) { b[5] = 0x00 }, // PS shorter than 8
			} {
				bad := append([]byte(nil), em...)
				mut(bad)
				if _, err := UnpadPKCS1v15(bad); err != ErrDecryption {
					t.Fatalf("%d bits: corrupted block: err = %v, want ErrDecryption", bits, err)
				}
			}
		}
	}
}

func TestUnpadPKCS1v15Table(t *testing.T) {
	ps := func(n int) []byte { return bytes.Repeat([]byte{0xa7}, n) }
	block := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	hdr := []byte{0x00, 0x02}
	zero := []byte{0x00}
	tests := []struct {
		name string
		em   []byte
		want []byte // nil means ErrDecryption
	}{
		{"valid", block(hdr, ps(20), zero, []byte("hello")), []byte("hello")},
		{"valid exactly 8 PS", block(hdr, ps(8), zero, []byte("msg")), []byte("msg")},
		{"valid minimal 11 bytes", block(hdr, ps(8), zero), []byte{}},
		{"valid empty message", block(hdr, ps(29), zero), []byte{}},
		{"valid message with zeros", block(hdr, ps(10), zero, []byte{0, 0, 1, 0}), []byte{0, 0, 1, 0}},
		{"valid PS bytes 0xff and 0x01", block(hdr, []byte{1, 0xff, 2, 3, 4, 5, 6, 7, 8}, zero, []byte{9}), []byte{9}},
		{"first byte 01", block([]byte{0x01, 0x02}, ps(20), zero, []byte("x")), nil},
		{"first byte ff", block([]byte{0xff, 0x02}, ps(20), zero, []byte("x")), nil},
		{"block type 1", block([]byte{0x00, 0x01}, bytes.Repeat([]byte{0xff}, 20), zero, []byte("x")), nil},
		{"block type 0", block([]byte{0x00, 0x00}, ps(20), zero, []byte("x")), nil},
		{"block type 3", block([]byte{0x00, 0x03}, ps(20), zero, []byte("x")), nil},
		{"PS 7 bytes", block(hdr, ps(7), zero, []byte("message")), nil},
		{"PS 0 bytes", block(hdr, zero, ps(20)), nil},
		{"PS 1 byte", block(hdr, ps(1), zero, ps(20)), nil},
		{"no separator", block(hdr, ps(30)), nil},
		{"no separator 11 bytes", block(hdr, ps(9)), nil},
		{"separator only in last position too short", block(hdr, ps(7), zero), nil},
		{"too short 10", block(hdr, ps(7), zero), nil},
		{"empty", []byte{}, nil},
		{"nil", nil, nil},
		{"one byte", []byte{0}, nil},
		{"all zero", make([]byte, 64), nil},
		{"too long", block(hdr, ps(maxModulusBytes), zero, []byte("x")), nil},
	}
	for _, tt := range tests {
		got, err := UnpadPKCS1v15(tt.em)
		if tt.want == nil {
			if err != ErrDecryption || got != nil {
				t.Errorf("%s: got %x, %v; want ErrDecryption", tt.name, got, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.want) || got == nil {
			t.Errorf("%s: got %x, %v; want %x", tt.name, got, err, tt.want)
		}
	}
}
