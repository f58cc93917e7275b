package rsapad

import (
	"bytes"
	"crypto"
	"testing"
)

func FuzzUnpadPKCS1v15(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0})
	f.Add(append(append([]byte{0, 2}, bytes.Repeat([]byte{0x55}, 20)...), 0, 'h', 'i'))
	f.Add(append(append([]byte{0, 2}, bytes.Repeat([]byte{0x55}, 7)...), 0, 'h', 'i'))
	f.Add(append([]byte{0, 1}, bytes.Repeat([]byte{0xff}, 30)...))
	f.Fuzz(func(t *testing.T, em []byte) {
		orig := append([]byte(nil), em...)
		got, err := UnpadPKCS1v15(em)
		want, ok := refUnpadPKCS1v15(orig)
		if !bytes.Equal(em, orig) {
			t.Fatalf("input modified")
		}
		if !ok {
			if err != ErrDecryption || got != nil {
				t.Fatalf("reference rejects, got %x, %v", got, err)
			}
			return
		}
		if err != nil || got == nil || !bytes.Equal(got, want) {
			t.Fatalf("got %x, %v; want %x", got, err, want)
		}
	})
}

func FuzzUnpadOAEP(f *testing.F) {
	// Seeds: valid blocks for each hash so the fuzzer starts from
	// the accepting path, plus junk.
	for i, h := range oaepHashes {
		k := 2*h.Size() + 2 + 16
		em := oaepBlock(h, 0, oaepDB(h, k, []byte("0123456789abcdef"), []byte("L")), bytes.Repeat([]byte{byte(i)}, h.Size()))
		f.Add(uint8(i), em, []byte("L"))
		f.Add(uint8(i), em, []byte{})
	}
	f.Add(uint8(0), []byte{}, []byte{})
	f.Add(uint8(7), make([]byte, 64), []byte("x"))
	hashes := append(append([]crypto.Hash(nil), oaepHashes...), crypto.MD5, crypto.SHA224, 0, crypto.MD5SHA1)
	f.Fuzz(func(t *testing.T, sel uint8, em, label []byte) {
		h := hashes[int(sel)%len(hashes)]
		orig := append([]byte(nil), em...)
		got, err := UnpadOAEP(h, em, label)
		if !bytes.Equal(em, orig) {
			t.Fatalf("input modified")
		}
		if _, ok := digestHash(h); !ok {
			if err == nil {
				t.Fatalf("unsupported hash %v accepted", h)
			}
			return
		}
		want, ok := refUnpadOAEP(h, orig, label)
		if !ok {
			if err != ErrDecryption || got != nil {
				t.Fatalf("reference rejects, got %x, %v", got, err)
			}
			return
		}
		if err != nil || got == nil || !bytes.Equal(got, want) {
			t.Fatalf("got %x, %v; want %x", got, err, want)
		}
	})
}
