package piv_test

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/vcard"
)

var mgmAlgs = []byte{piv.Alg3DES, piv.AlgAES128, piv.AlgAES192, piv.AlgAES256}

// scratchObj is a vendor object the tests write to prove the management key is authenticated.
const scratchObj uint32 = 0x5FFF05

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// adminSession selects, authenticates the default management key and verifies the default PIN.
func adminSession(t *testing.T, c *piv.Client) {
	t.Helper()
	_, err := c.Select()
	mustOK(t, err)
	mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	mustOK(t, c.VerifyPIN(vcard.DefaultPIN))
}

// freshSession warm-resets the card (PIN and management key no longer authenticated) and selects.
func freshSession(t *testing.T, card *vcard.Card, c *piv.Client) {
	t.Helper()
	card.Reset()
	_, err := c.Select()
	mustOK(t, err)
}

func protectedObject(key []byte) []byte {
	return append([]byte{0x88, byte(len(key) + 2), 0x89, byte(len(key))}, key...)
}

// noMetadata is a transport for a card without GET METADATA (YubiKey before 5.3).
func noMetadata(card *vcard.Card) apdu.Transport {
	return apdu.TransportFunc(func(cmd []byte) ([]byte, error) {
		if len(cmd) > 1 && cmd[1] == piv.InsGetMetadata {
			return []byte{0x6D, 0x00}, nil
		}
		return card.Transmit(cmd)
	})
}

func TestProtectMgmKey(t *testing.T) {
	for i, alg := range mgmAlgs {
		t.Run(piv.AlgName(alg), func(t *testing.T) {
			card, c := newClient(t, i%2 == 1)
			adminSession(t, c)
			st, err := c.AdminData()
			if err != nil || st.Protected || st.Derived || !st.Default {
				t.Fatalf("fresh card status %+v %v", st, err)
			}
			key, err := c.ProtectMgmKey(alg, nil)
			mustOK(t, err)
			defer clear(key)
			if len(key) != piv.MgmKeyLen(alg) || bytes.Equal(key, make([]byte, len(key))) {
				t.Fatalf("new key of %d bytes", len(key))
			}
			if got, err := c.GetData(piv.ObjPrintedInfo); err != nil || !bytes.Equal(got, protectedObject(key)) {
				t.Fatalf("printed information %v", err)
			}
			if got, err := c.GetData(piv.ObjYubiAdminData); err != nil || !bytes.Equal(got, []byte{0x80, 0x03, 0x81, 0x01, 0x02}) {
				t.Fatalf("admin data % X %v", got, err)
			}
			st, err = c.AdminData()
			if err != nil || !st.Protected || st.Derived || st.Default || st.PUKBlocked {
				t.Fatalf("protected card status %+v %v", st, err)
			}
			if s := card.Snapshot(); s.MgmAlg != alg || !bytes.Equal(s.MgmKey, key) {
				t.Fatal("card does not use the returned key")
			}
			a, k, err := c.ProtectedMgmKey()
			if err != nil || a != alg || !bytes.Equal(k, key) {
				t.Fatalf("ProtectedMgmKey %s %v", piv.AlgName(a), err)
			}
			clear(k)

			// Without the PIN the stored key cannot be read.
			freshSession(t, card, c)
			if _, err := c.GetData(piv.ObjPrintedInfo); !errors.Is(err, apdu.SWSecurityStatusNotSatisfied) {
				t.Fatalf("printed information without PIN: %v", err)
			}
			if _, _, err := c.ProtectedMgmKey(); !errors.Is(err, apdu.SWSecurityStatusNotSatisfied) || errors.Is(err, piv.ErrNotProtected) {
				t.Fatalf("ProtectedMgmKey without PIN: %v", err)
			}
			if err := c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey); err == nil {
				t.Fatal("the old default key still works")
			}

			// A wrong PIN fails and costs a try.
			freshSession(t, card, c)
			if err := c.AuthenticateWithPIN([]byte("000000")); !errors.Is(err, apdu.SW(0x63C2)) {
				t.Fatalf("wrong PIN: %v", err)
			}
			if v, n, err := c.PINStatus(); err != nil || v || n != 2 {
				t.Fatalf("PIN status after a wrong PIN: %v %d %v", v, n, err)
			}
			if err := c.PutData(scratchObj, []byte{1}); !errors.Is(err, apdu.SWSecurityStatusNotSatisfied) {
				t.Fatalf("PUT DATA after a wrong PIN: %v", err)
			}

			// The PIN alone gives the management key.
			c.ResetStats()
			mustOK(t, c.AuthenticateWithPIN(vcard.DefaultPIN))
			t.Logf("AuthenticateWithPIN: %d APDUs", c.Stats().Commands)
			if v, n, err := c.PINStatus(); err != nil || !v || n != 0 {
				t.Fatalf("PIN status %v %d %v", v, n, err)
			}
			mustOK(t, c.PutData(scratchObj, []byte{1, 2, 3}))
			if got, err := c.GetData(scratchObj); err != nil || !bytes.Equal(got, []byte{1, 2, 3}) {
				t.Fatalf("scratch object %v", err)
			}
			if s := card.Snapshot(); s.PIN.Remaining != 3 {
				t.Fatalf("PIN tries %d after a good PIN", s.PIN.Remaining)
			}

			// Protecting again replaces the key.
			key2, err := c.ProtectMgmKey(alg, nil)
			mustOK(t, err)
			defer clear(key2)
			if bytes.Equal(key2, key) {
				t.Fatal("same key twice")
			}
			freshSession(t, card, c)
			mustOK(t, c.AuthenticateWithPIN(vcard.DefaultPIN))
			mustOK(t, c.PutData(scratchObj, []byte{4}))
		})
	}
}

func TestProtectMgmKeyKeepsAdminData(t *testing.T) {
	card, c := newClient(t, false)
	adminSession(t, c)
	salt := bytes.Repeat([]byte{0x5A}, 16)
	ts := []byte{0x65, 0x00, 0x00, 0x01}
	admin := append(append(append([]byte{0x80, 0x1E, 0x81, 0x01, 0x01, 0x82, 0x10}, salt...), 0x83, 0x04), ts...)
	admin = append(admin, 0x84, 0x01, 0xAA)
	mustOK(t, c.PutData(piv.ObjYubiAdminData, admin))
	mustOK(t, c.PutData(piv.ObjPrintedInfo, []byte{0x01, 0x04, 'J', 'o', 'h', 'n'}))
	st, err := c.AdminData()
	if err != nil || !st.PUKBlocked || !st.Derived || !bytes.Equal(st.Salt, salt) || st.Protected {
		t.Fatalf("status %+v %v", st, err)
	}
	key, err := c.ProtectMgmKey(piv.AlgAES256, rand.Reader)
	mustOK(t, err)
	defer clear(key)
	want := append(append([]byte{0x80, 0x0C, 0x81, 0x01, 0x03, 0x83, 0x04}, ts...), 0x84, 0x01, 0xAA)
	if got, _ := c.GetData(piv.ObjYubiAdminData); !bytes.Equal(got, want) {
		t.Fatalf("admin data % X, want % X", got, want)
	}
	if got, _ := c.GetData(piv.ObjPrintedInfo); !bytes.Equal(got, protectedObject(key)) {
		t.Fatal("printed information not replaced by 88{89 key}")
	}
	freshSession(t, card, c)
	mustOK(t, c.AuthenticateWithPIN(vcard.DefaultPIN))
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestProtectMgmKeyRefuses(t *testing.T) {
	card, c := newClient(t, false)
	_, err := c.Select()
	mustOK(t, err)
	before := card.Snapshot()

	mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	if _, err := c.ProtectMgmKey(piv.AlgAES128, nil); err == nil {
		t.Fatal("protected without the PIN")
	}
	freshSession(t, card, c)
	mustOK(t, c.VerifyPIN(vcard.DefaultPIN))
	if _, err := c.ProtectMgmKey(piv.AlgAES128, nil); !errors.Is(err, apdu.SWSecurityStatusNotSatisfied) {
		t.Fatalf("protected without the management key: %v", err)
	}
	mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	if _, err := c.ProtectMgmKey(piv.AlgRSA2048, nil); err == nil {
		t.Fatal("RSA management key")
	}
	if _, err := c.ProtectMgmKey(piv.AlgAES128, failReader{}); err == nil {
		t.Fatal("key from a failing random source")
	}
	mustOK(t, c.PutData(piv.ObjYubiAdminData, []byte{0x80, 0x02, 0x81, 0x00}))
	if _, err := c.ProtectMgmKey(piv.AlgAES128, nil); err == nil {
		t.Fatal("protected over malformed admin data")
	}
	mustOK(t, c.PutData(piv.ObjYubiAdminData, nil))
	if !vcard.SameState(before, card.Snapshot()) {
		t.Fatal("a refused ProtectMgmKey changed the card")
	}
}

// TestProtectMgmKeyRollback: when SET MANAGEMENT KEY fails, the old printed information is back.
func TestProtectMgmKeyRollback(t *testing.T) {
	card, _ := newClient(t, false)
	c := piv.NewClient(apdu.TransportFunc(func(cmd []byte) ([]byte, error) {
		if len(cmd) > 1 && cmd[1] == piv.InsSetMgmKey {
			return []byte{0x6A, 0x80}, nil
		}
		return card.Transmit(cmd)
	}), piv.ClientOptions{})
	adminSession(t, c)
	printed := []byte{0x01, 0x04, 'J', 'o', 'h', 'n'}
	mustOK(t, c.PutData(piv.ObjPrintedInfo, printed))
	before := card.Snapshot()
	key, err := c.ProtectMgmKey(piv.AlgAES192, nil)
	if !errors.Is(err, apdu.SWWrongData) || key != nil {
		t.Fatalf("ProtectMgmKey with a failing SET MANAGEMENT KEY: %v", err)
	}
	if !vcard.SameState(before, card.Snapshot()) {
		t.Fatal("card changed")
	}
}

func TestAuthenticateWithDerivedKey(t *testing.T) {
	card, c := newClient(t, true)
	adminSession(t, c)
	salt := make([]byte, 16)
	rand.Read(salt)
	pin := vcard.DefaultPIN
	key, err := piv.DeriveMgmKey(pin, salt)
	mustOK(t, err)
	defer clear(key)
	want, err := pbkdf2.Key(sha1.New, string(pin), salt, 10000, 24)
	if err != nil || !bytes.Equal(key, want) {
		t.Fatalf("derived key differs from crypto/pbkdf2 (%v)", err)
	}
	mustOK(t, c.SetMgmKey(piv.Alg3DES, key, false))
	mustOK(t, c.PutData(piv.ObjYubiAdminData, append([]byte{0x80, 0x15, 0x81, 0x01, 0x00, 0x82, 0x10}, salt...)))

	freshSession(t, card, c)
	st, err := c.AdminData()
	if err != nil || !st.Derived || st.Protected || st.Default || !bytes.Equal(st.Salt, salt) {
		t.Fatalf("status %+v %v", st, err)
	}
	if k, err := c.DerivedMgmKey(pin); err != nil || !bytes.Equal(k, key) {
		t.Fatalf("DerivedMgmKey %v", err)
	}
	if err := c.AuthenticateWithPIN([]byte("654321")); !errors.Is(err, apdu.SW(0x63C2)) {
		t.Fatalf("wrong PIN: %v", err)
	}
	mustOK(t, c.AuthenticateWithPIN(pin))
	mustOK(t, c.PutData(scratchObj, []byte{9}))

	// Flagged as stored but nothing stored: the derived key is still found.
	mustOK(t, c.PutData(piv.ObjYubiAdminData, append([]byte{0x80, 0x15, 0x81, 0x01, 0x02, 0x82, 0x10}, salt...)))
	freshSession(t, card, c)
	mustOK(t, c.AuthenticateWithPIN(pin))

	// Protecting a derived-key card drops the salt.
	newKey, err := c.ProtectMgmKey(piv.Alg3DES, nil)
	mustOK(t, err)
	clear(newKey)
	if st, err := c.AdminData(); err != nil || st.Derived || !st.Protected {
		t.Fatalf("status after protecting %+v %v", st, err)
	}
	freshSession(t, card, c)
	mustOK(t, c.AuthenticateWithPIN(pin))
}

func TestDeriveMgmKeyMatchesPBKDF2(t *testing.T) {
	for n := 1; n <= 8; n++ {
		pin := make([]byte, n)
		salt := make([]byte, 16)
		rand.Read(pin)
		rand.Read(salt)
		got, err := piv.DeriveMgmKey(pin, salt)
		want, err2 := pbkdf2.Key(sha1.New, string(pin), salt, 10000, 24)
		if err != nil || err2 != nil || !bytes.Equal(got, want) {
			t.Fatalf("PIN of %d bytes: %v %v", n, err, err2)
		}
	}
	if _, err := piv.DeriveMgmKey(nil, make([]byte, 16)); err == nil {
		t.Error("empty PIN")
	}
	if _, err := piv.DeriveMgmKey([]byte("123456"), nil); err == nil {
		t.Error("empty salt")
	}
}

func TestAuthenticateWithPINNeither(t *testing.T) {
	card, c := newClient(t, false)
	_, err := c.Select()
	mustOK(t, err)
	if st, err := c.AdminData(); err != nil || st.Protected || st.Derived || st.Salt != nil || !st.Default {
		t.Fatalf("status %+v %v", st, err)
	}
	if err := c.AuthenticateWithPIN(vcard.DefaultPIN); !errors.Is(err, piv.ErrNoMgmKeyAccess) {
		t.Fatalf("no protected key: %v", err)
	}
	if v, _, _ := c.PINStatus(); !v {
		t.Error("PIN not verified")
	}
	if _, _, err := c.ProtectedMgmKey(); !errors.Is(err, piv.ErrNotProtected) {
		t.Fatalf("ProtectedMgmKey: %v", err)
	}
	if _, err := c.DerivedMgmKey(vcard.DefaultPIN); !errors.Is(err, piv.ErrNoMgmKeyAccess) {
		t.Fatalf("DerivedMgmKey: %v", err)
	}
	mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	for _, printed := range [][]byte{{0x01, 0x04, 'J', 'o', 'h', 'n'}, {0x88, 0x00}, {0x88, 0x03, 0x8A, 0x01, 0x00}} {
		mustOK(t, c.PutData(piv.ObjPrintedInfo, printed))
		if _, _, err := c.ProtectedMgmKey(); !errors.Is(err, piv.ErrNotProtected) {
			t.Fatalf("printed information % X: %v", printed, err)
		}
	}
	// Flag set but no key and no salt.
	mustOK(t, c.PutData(piv.ObjPrintedInfo, nil))
	mustOK(t, c.PutData(piv.ObjYubiAdminData, []byte{0x80, 0x03, 0x81, 0x01, 0x02}))
	freshSession(t, card, c)
	if err := c.AuthenticateWithPIN(vcard.DefaultPIN); !errors.Is(err, piv.ErrNoMgmKeyAccess) {
		t.Fatalf("flag without key: %v", err)
	}
	// A key in printed information without the flag is not used.
	mustOK(t, c.AuthenticateMgm(piv.Alg3DES, vcard.DefaultMgmKey))
	mustOK(t, c.PutData(piv.ObjPrintedInfo, protectedObject(vcard.DefaultMgmKey)))
	mustOK(t, c.PutData(piv.ObjYubiAdminData, nil))
	freshSession(t, card, c)
	if err := c.AuthenticateWithPIN(vcard.DefaultPIN); !errors.Is(err, piv.ErrNoMgmKeyAccess) {
		t.Fatalf("key without flag: %v", err)
	}
}

func TestProtectedMgmKeyWithoutMetadata(t *testing.T) {
	for _, alg := range mgmAlgs {
		card, c := newClient(t, false)
		adminSession(t, c)
		key, err := c.ProtectMgmKey(alg, nil)
		mustOK(t, err)
		nc := piv.NewClient(noMetadata(card), piv.ClientOptions{})
		freshSession(t, card, nc)
		if st, err := nc.AdminData(); err != nil || !st.Protected || st.Default {
			t.Fatalf("status without metadata %+v %v", st, err)
		}
		mustOK(t, nc.VerifyPIN(vcard.DefaultPIN))
		a, k, err := nc.ProtectedMgmKey()
		mustOK(t, err)
		guess := alg
		if alg == piv.AlgAES192 {
			guess = piv.Alg3DES // 24 bytes without metadata: a card without metadata has no AES-192
		}
		if a != guess || !bytes.Equal(k, key) {
			t.Fatalf("%s: got %s", piv.AlgName(alg), piv.AlgName(a))
		}
		err = nc.AuthenticateWithPIN(vcard.DefaultPIN)
		if (err == nil) != (alg != piv.AlgAES192) {
			t.Fatalf("%s without metadata: %v", piv.AlgName(alg), err)
		}
		clear(key)
		clear(k)
	}
}

func TestMalformedOnCard(t *testing.T) {
	_, c := newClient(t, false)
	adminSession(t, c)
	mustOK(t, c.PutData(piv.ObjYubiAdminData, []byte{0x80, 0x04, 0x81, 0x02, 0x02, 0x00}))
	if _, err := c.AdminData(); err == nil {
		t.Fatal("malformed admin data accepted")
	}
	if err := c.AuthenticateWithPIN(vcard.DefaultPIN); err == nil || errors.Is(err, piv.ErrNoMgmKeyAccess) {
		t.Fatalf("AuthenticateWithPIN over malformed admin data: %v", err)
	}
	mustOK(t, c.PutData(piv.ObjYubiAdminData, []byte{0x80, 0x03, 0x81, 0x01, 0x02}))

	secret := []byte{0xDE, 0xAD, 0xBE, 0xEF, 0xCA, 0xFE, 0xF0, 0x0D, 0x12, 0x34}
	for _, printed := range [][]byte{
		protectedObject(secret),                           // wrong key length
		append([]byte{0x88, 0x0C, 0x89, 0x0B}, secret...), // 89 runs past 88
		append(protectedObject(secret[:8]), 0xFF),         // trailing junk
		append(append(protectedObject(make([]byte, 16)), 0x88, 0x02, 0x89, 0x00), secret...),
	} {
		mustOK(t, c.PutData(piv.ObjPrintedInfo, printed))
		_, _, err := c.ProtectedMgmKey()
		if err == nil || errors.Is(err, piv.ErrNotProtected) {
			t.Fatalf("printed information % X: %v", printed, err)
		}
		msg := err.Error()
		for _, s := range []string{hex.EncodeToString(secret[:4]), strings.ToUpper(hex.EncodeToString(secret[:4])), "DE AD", "de ad", string(secret[:4])} {
			if strings.Contains(msg, s) {
				t.Fatalf("error shows key bytes: %s", msg)
			}
		}
		if err := c.AuthenticateWithPIN(vcard.DefaultPIN); err == nil {
			t.Fatal("AuthenticateWithPIN over malformed printed information")
		}
	}
	// A stored key that does not fit the card's algorithm (metadata: 3DES, key: 16 bytes).
	mustOK(t, c.PutData(piv.ObjPrintedInfo, protectedObject(make([]byte, 16))))
	if _, _, err := c.ProtectedMgmKey(); err == nil {
		t.Fatal("16-byte key for a 3DES card")
	}
	// A stored key that is simply wrong.
	mustOK(t, c.PutData(piv.ObjPrintedInfo, protectedObject(make([]byte, 24))))
	if err := c.AuthenticateWithPIN(vcard.DefaultPIN); err == nil || errors.Is(err, piv.ErrNoMgmKeyAccess) {
		t.Fatalf("wrong stored key: %v", err)
	}
}

func TestParseAdminData(t *testing.T) {
	salt := bytes.Repeat([]byte{1}, 16)
	good := append(append([]byte{0x80, 0x1B, 0x81, 0x01, 0x03, 0x82, 0x10}, salt...), 0x83, 0x04, 1, 2, 3, 4)
	a, err := piv.ParseAdminData(good)
	if err != nil || !a.HasFlags || a.Flags != 3 || !bytes.Equal(a.Salt, salt) || !bytes.Equal(a.Timestamp, []byte{1, 2, 3, 4}) {
		t.Fatalf("%+v %v", a, err)
	}
	if !bytes.Equal(a.Encode(), good) {
		t.Fatal("re-encoding differs")
	}
	if st := a.Status(); !st.Protected || !st.PUKBlocked || !st.Derived {
		t.Fatalf("%+v", st)
	}
	for _, ok := range [][]byte{nil, {0x80, 0x00}, {0x80, 0x03, 0x99, 0x01, 0x00}} {
		if _, err := piv.ParseAdminData(ok); err != nil {
			t.Errorf("% X: %v", ok, err)
		}
	}
	for _, bad := range [][]byte{
		{0x80},
		{0x81, 0x01, 0x02},
		{0x80, 0x00, 0x80, 0x00},
		{0x80, 0x00, 0x00},
		{0x80, 0x02, 0x81, 0x00},
		{0x80, 0x04, 0x81, 0x02, 0x00, 0x00},
		{0x80, 0x06, 0x81, 0x01, 0x02, 0x81, 0x01, 0x02},
		{0x80, 0x03, 0x82, 0x01, 0x00},
		{0x80, 0x04, 0x83, 0x02, 0x00, 0x00},
		{0x80, 0x03, 0x81, 0x05, 0x02},
	} {
		if _, err := piv.ParseAdminData(bad); err == nil {
			t.Errorf("% X accepted", bad)
		}
	}
}

func TestParsePrintedInfo(t *testing.T) {
	for _, n := range []int{16, 24, 32} {
		key := bytes.Repeat([]byte{byte(n)}, n)
		obj := piv.EncodePrintedInfo(key)
		if !bytes.Equal(obj, protectedObject(key)) {
			t.Fatalf("encoding % X", obj)
		}
		k, ok, err := piv.ParsePrintedInfo(append([]byte{0x01, 0x01, 'x'}, obj...))
		if err != nil || !ok || !bytes.Equal(k, key) {
			t.Fatalf("%d-byte key: %v %v", n, ok, err)
		}
		obj[len(obj)-1] ^= 1
		if k[len(k)-1] == obj[len(obj)-1] {
			t.Fatal("key aliases the input")
		}
	}
	for _, none := range [][]byte{nil, {0x88, 0x00}, {0x01, 0x00}, {0x88, 0x02, 0x8A, 0x00}} {
		if _, ok, err := piv.ParsePrintedInfo(none); ok || err != nil {
			t.Errorf("% X: %v %v", none, ok, err)
		}
	}
	for _, bad := range [][]byte{{0x88}, {0x88, 0x02, 0x89, 0x01}, {0x88, 0x02, 0x89, 0x00}, {0x88, 0x00, 0x88, 0x00},
		{0x88, 0x04, 0x89, 0x00, 0x89, 0x00}} {
		if _, ok, err := piv.ParsePrintedInfo(bad); ok || err == nil {
			t.Errorf("% X accepted", bad)
		}
	}
}

// FuzzParseAdminData: no panic; accepted data re-encodes to a fixed point with the field sizes
// the convention fixes.
func FuzzParseAdminData(f *testing.F) {
	f.Add([]byte{0x80, 0x03, 0x81, 0x01, 0x02})
	f.Add(append(append([]byte{0x80, 0x1B, 0x81, 0x01, 0x03, 0x82, 0x10}, make([]byte, 16)...), 0x83, 0x04, 1, 2, 3, 4))
	f.Add([]byte{0x80, 0x06, 0x81, 0x01, 0x00, 0x9F, 0x01, 0x00})
	f.Add([]byte{0x80, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := piv.ParseAdminData(data)
		if err != nil {
			return
		}
		if (a.Salt != nil && len(a.Salt) != 16) || (a.Timestamp != nil && len(a.Timestamp) != 4) {
			t.Fatalf("accepted salt %d / timestamp %d bytes", len(a.Salt), len(a.Timestamp))
		}
		enc := a.Encode()
		b, err := piv.ParseAdminData(enc)
		if err != nil {
			t.Fatalf("re-encoding % X rejected: %v", enc, err)
		}
		if !bytes.Equal(b.Encode(), enc) || b.Status().Protected != a.Status().Protected ||
			!bytes.Equal(b.Salt, a.Salt) || b.Flags != a.Flags || b.HasFlags != a.HasFlags {
			t.Fatalf("round trip of % X differs", data)
		}
	})
}

// FuzzParsePrintedInfo: no panic; an accepted key has a management key length and survives a
// round trip; an error never shows bytes of the input.
func FuzzParsePrintedInfo(f *testing.F) {
	f.Add(protectedObject(make([]byte, 24)))
	f.Add(append([]byte{0x01, 0x02, 'a', 'b'}, protectedObject(make([]byte, 16))...))
	f.Add([]byte{0x88, 0x05, 0x89, 0x03, 0xAA, 0xBB, 0xCC})
	f.Add([]byte{0x88, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		key, ok, err := piv.ParsePrintedInfo(data)
		if err != nil {
			if ok || key != nil {
				t.Fatal("error with a key")
			}
			// The messages are fixed texts and a length: no room for bytes of the input.
			msg := err.Error()
			n, isLen := strings.CutPrefix(msg, "printed information: management key of ")
			if isLen {
				n, isLen = strings.CutSuffix(n, " bytes")
				isLen = isLen && strings.Trim(n, "0123456789") == "" && len(n) <= 6
			}
			if !isLen && msg != "printed information: malformed" && msg != "printed information: protected data or key element twice" {
				t.Fatalf("unexpected error %q", msg)
			}
			return
		}
		if !ok {
			if key != nil {
				t.Fatal("key without ok")
			}
			return
		}
		if n := len(key); n != 16 && n != 24 && n != 32 {
			t.Fatalf("key of %d bytes", n)
		}
		k2, ok2, err := piv.ParsePrintedInfo(piv.EncodePrintedInfo(key))
		if err != nil || !ok2 || !bytes.Equal(k2, key) {
			t.Fatal("round trip")
		}
	})
}
