package mdflow

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"fmt"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// flowPIN: wrong PINs count down, the right PIN logs in (legacy and PIN_ID forms), the PIN
// formats and ids that cannot be right.
func flowPIN(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	wrong := []byte("000000")
	if bytes.Equal(wrong, env.PIN) {
		wrong = []byte("999999")
	}
	n := uint32(env.Retries())
	for i := uint32(1); i < n; i++ {
		left, err := c.AuthenticatePin(spec.CardUserUser, wrong)
		want(t, err, spec.SCardWWrongCHV, "wrong PIN #%d", i)
		if left != n-i {
			t.Errorf("wrong PIN #%d: %d attempts remaining, want %d", i, left, n-i)
		}
	}
	if authState(t, c).Has(1) {
		t.Errorf("authenticated after wrong PINs")
	}
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("CardAuthenticatePin(right PIN): %v", err)
	}
	if !authState(t, c).Has(1) {
		t.Errorf("CP_CARD_AUTHENTICATED_STATE lacks ROLE_USER after the PIN")
	}
	// The right PIN reset the counter: one wrong attempt leaves n-1.
	if left, err := c.AuthenticatePin(spec.CardUserUser, wrong); spec.StatusOf(err) != spec.SCardWWrongCHV || left != n-1 {
		t.Errorf("wrong PIN after the right one: %d left, %v", left, err)
	}
	if _, _, err := c.AuthenticateEx(spec.RoleUser, 0, env.PIN, false); err != nil {
		t.Errorf("CardAuthenticateEx(ROLE_USER): %v", err)
	}
	if _, _, err := c.AuthenticateEx(spec.RoleUser, spec.CardPINSilentContext, env.PIN, false); err != nil {
		t.Errorf("CardAuthenticateEx(ROLE_USER, CARD_PIN_SILENT_CONTEXT): %v", err)
	}
	if _, _, err := c.AuthenticateEx(3, 0, env.PIN, false); err != nil {
		t.Errorf("CardAuthenticateEx(PIN 3): %v", err)
	}
	if st := authState(t, c); st != spec.CreatePINSet(1).Add(3) {
		t.Errorf("authenticated state %#x after PIN 3, want user and 3", st)
	}

	_, err := c.AuthenticatePin(spec.CardUserAdmin, env.PIN)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticatePin(admin)")
	_, err = c.AuthenticatePin("User", env.PIN)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticatePin(\"User\"): user ids are exact")
	_, err = c.AuthenticatePin(spec.CardUserUser, []byte("123456789"))
	want(t, err, spec.SCardWWrongCHV, "CardAuthenticatePin with a 9-byte PIN")
	_, err = c.AuthenticatePin(spec.CardUserUser, []byte{})
	want(t, err, spec.SCardWWrongCHV, "CardAuthenticatePin with an empty PIN")
	_, _, err = c.AuthenticateEx(4, 0, env.PUK, false)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticateEx(PUK)")
	_, _, err = c.AuthenticateEx(5, 0, env.PIN, false)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticateEx(PIN 5)")
	_, _, err = c.AuthenticateEx(spec.RoleUser, 0x100, env.PIN, false)
	want(t, err, spec.SCardEInvalidParameter, "CardAuthenticateEx with unknown flags")
	logout(t, c)
	if authState(t, c) != 0 {
		t.Errorf("authenticated after CardDeauthenticateEx")
	}
}

// flowPINChangeUnblock: change the PIN and back (legacy and Ex forms), block it with wrong
// PINs, unblock it with the PUK (CardUnblockPin and CardChangeAuthenticatorEx UNBLOCK), change
// the PUK and back. The card ends with its original PIN and PUK.
func flowPINChangeUnblock(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	logout(t, c)
	newPIN := []byte("24681357")
	wrong := []byte("000000")

	if _, err := c.ChangeAuthenticator(spec.CardUserUser, env.PIN, newPIN, 0, spec.CardAuthenticatePinPIN); err != nil {
		t.Fatalf("CardChangeAuthenticator(user): %v", err)
	}
	if _, err := c.AuthenticatePin(spec.CardUserUser, newPIN); err != nil {
		t.Errorf("the new PIN: %v", err)
	}
	if _, err := c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 1, newPIN, 1, env.PIN, 0); err != nil {
		t.Fatalf("CardChangeAuthenticatorEx(CHANGEPIN 1 -> 1) back to the old PIN: %v", err)
	}
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("the old PIN again: %v", err)
	}
	_, err := c.ChangeAuthenticator(spec.CardUserUser, env.PIN, []byte("123"), 0, spec.CardAuthenticatePinPIN)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticator to a 3-byte PIN")
	_, err = c.ChangeAuthenticator(spec.CardUserUser, env.PIN, newPIN, 5, spec.CardAuthenticatePinPIN)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticator with cRetryCount 5")
	_, err = c.ChangeAuthenticator(spec.CardUserUser, env.PIN, newPIN, 0, spec.CardAuthenticatePinChallengeResponse)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticator(user, CHALLENGE_RESPONSE)")
	_, err = c.ChangeAuthenticator("nobody", env.PIN, newPIN, 0, spec.CardAuthenticatePinPIN)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticator(nobody)")
	_, err = c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 1, env.PIN, 4, newPIN, 0)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticatorEx(PIN 1 changes PIN 4)")
	_, err = c.ChangeAuthenticatorEx(3, 1, env.PIN, 1, newPIN, 0)
	want(t, err, spec.SCardEInvalidParameter, "CardChangeAuthenticatorEx with flags 3")
	_, err = c.ChangeAuthenticatorEx(spec.PINChangeFlagUnblock, 2, make([]byte, 8), 1, newPIN, 0)
	want(t, err, spec.SCardEUnsupportedFeature, "CardChangeAuthenticatorEx(UNBLOCK by the admin)")
	err = c.UnblockPin(spec.CardUserUser, make([]byte, 8), env.PIN, 0, spec.CardAuthenticatePinChallengeResponse)
	want(t, err, spec.SCardEUnsupportedFeature, "CardUnblockPin(CHALLENGE_RESPONSE)")
	err = c.UnblockPin(spec.CardUserAdmin, env.PUK, env.PIN, 0, spec.CardAuthenticatePinPIN)
	want(t, err, spec.SCardEInvalidParameter, "CardUnblockPin(admin)")

	// Block the PIN.
	n := uint32(env.Retries())
	for i := uint32(1); i <= n; i++ {
		left, err := c.AuthenticatePin(spec.CardUserUser, wrong)
		if i == n && spec.StatusOf(err) == spec.SCardWCHVBlocked {
			// The last attempt: WRONG_CHV with 0 left (63C0) or CHV_BLOCKED (6983), as the
			// card answers.
			continue
		}
		if want(t, err, spec.SCardWWrongCHV, "wrong PIN #%d", i) && left != n-i {
			t.Errorf("wrong PIN #%d: %d left, want %d", i, left, n-i)
		}
	}
	_, err = c.AuthenticatePin(spec.CardUserUser, env.PIN)
	want(t, err, spec.SCardWCHVBlocked, "the right PIN on a blocked card")
	if err := c.UnblockPin(spec.CardUserUser, env.PUK, env.PIN, 0, spec.CardAuthenticatePinPIN); err != nil {
		t.Fatalf("CardUnblockPin(PUK): %v", err)
	}
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("the PIN after CardUnblockPin: %v", err)
	}
	for i := uint32(1); i <= n; i++ {
		_, _ = c.AuthenticatePin(spec.CardUserUser, wrong)
	}
	if _, err := c.ChangeAuthenticatorEx(spec.PINChangeFlagUnblock, 4, env.PUK, 1, env.PIN, 0); err != nil {
		t.Fatalf("CardChangeAuthenticatorEx(UNBLOCK 4 -> 1): %v", err)
	}
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("the PIN after CardChangeAuthenticatorEx(UNBLOCK): %v", err)
	}

	// The PUK changes itself.
	newPUK := []byte("87654321")
	if _, err := c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 4, env.PUK, 4, newPUK, 0); err != nil {
		t.Fatalf("CardChangeAuthenticatorEx(CHANGEPIN 4 -> 4): %v", err)
	}
	if _, err := c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, 4, newPUK, 4, env.PUK, 0); err != nil {
		t.Fatalf("CardChangeAuthenticatorEx: PUK back: %v", err)
	}
	logout(t, c)
}

// mgmResponse encrypts an admin challenge with the management key (one ECB block).
func mgmResponse(alg byte, key, challenge []byte) ([]byte, error) {
	var blk cipher.Block
	var err error
	if alg == piv.Alg3DES || alg == 0 {
		blk, err = des.NewTripleDESCipher(key)
	} else {
		blk, err = aes.NewCipher(key)
	}
	if err != nil {
		return nil, err
	}
	if len(challenge) != blk.BlockSize() {
		return nil, fmt.Errorf("challenge of %d bytes for a %d-byte block", len(challenge), blk.BlockSize())
	}
	out := make([]byte, len(challenge))
	blk.Encrypt(out, challenge)
	return out, nil
}

// adminLogin answers a fresh challenge with key.
func adminLogin(t T, c Context, alg byte, key []byte, ex bool) error {
	t.Helper()
	var ch []byte
	var err error
	if ex {
		ch, err = c.GetChallengeEx(spec.RoleAdmin, 0)
	} else {
		ch, err = c.GetChallenge()
	}
	if err != nil {
		t.Fatalf("CardGetChallenge: %v", err)
	}
	resp, err := mgmResponse(alg, key, ch)
	if err != nil {
		t.Fatalf("admin response: %v", err)
	}
	if ex {
		_, _, err = c.AuthenticateEx(spec.RoleAdmin, 0, resp, false)
	} else {
		_, err = c.AuthenticateChallenge(resp)
	}
	return err
}

// flowAdmin: the admin (PIV management key) by challenge/response, wrong responses, the
// management key changed and restored.
func flowAdmin(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	alg := env.MgmAlg
	ch1, err := c.GetChallenge()
	must(t, err, "CardGetChallenge")
	ch2, err := c.GetChallenge()
	must(t, err, "CardGetChallenge")
	if bs := len(ch1); bs != 8 && bs != 16 || bytes.Equal(ch1, ch2) {
		t.Errorf("challenges %X and %X: want fresh 8- or 16-byte blocks", ch1, ch2)
	}
	// The response to the older challenge is wrong now.
	old, _ := mgmResponse(alg, env.MgmKey, ch1)
	_, err = c.AuthenticateChallenge(old)
	want(t, err, spec.SCardWWrongCHV, "response to a superseded challenge")
	_, err = c.AuthenticateChallenge(make([]byte, len(ch1)))
	want(t, err, spec.SCardWWrongCHV, "response without a pending challenge")

	if err := adminLogin(t, c, alg, env.MgmKey, false); err != nil {
		t.Fatalf("CardAuthenticateChallenge: %v", err)
	}
	if !authState(t, c).Has(spec.RoleAdmin) {
		t.Errorf("CP_CARD_AUTHENTICATED_STATE lacks ROLE_ADMIN after the challenge")
	}
	want(t, c.Deauthenticate(spec.CardUserAdmin, 0), spec.Success, "CardDeauthenticate(admin)")
	if authState(t, c).Has(spec.RoleAdmin) {
		t.Errorf("still admin after CardDeauthenticate(admin)")
	}
	if err := adminLogin(t, c, alg, env.MgmKey, true); err != nil {
		t.Fatalf("CardGetChallengeEx + CardAuthenticateEx(ROLE_ADMIN): %v", err)
	}
	want(t, c.DeauthenticateEx(spec.CreatePINSet(spec.RoleAdmin), 0), spec.Success, "CardDeauthenticateEx(admin)")
	if authState(t, c).Has(spec.RoleAdmin) {
		t.Errorf("still admin after CardDeauthenticateEx(admin)")
	}
	_, err = c.GetChallengeEx(spec.RoleUser, 0)
	want(t, err, spec.SCardEInvalidParameter, "CardGetChallengeEx(ROLE_USER)")
	_, err = c.GetChallengeEx(spec.RoleAdmin, 1)
	want(t, err, spec.SCardEInvalidParameter, "CardGetChallengeEx with flags 1")
	ch, err := c.GetChallenge()
	must(t, err, "CardGetChallenge")
	_, err = c.AuthenticateChallenge(ch[:len(ch)-1])
	want(t, err, spec.SCardWWrongCHV, "a short response")
	_, _, err = c.AuthenticateEx(spec.RoleAdmin, spec.CardAuthenticateGenerateSessionPIN, make([]byte, 8), true)
	want(t, err, spec.SCardEInvalidParameter, "no session PIN for the admin")

	// Change the management key and back.
	newKey := make([]byte, len(env.MgmKey))
	for i := range newKey {
		newKey[i] = byte(0x20 + 3*i)
	}
	ch, err = c.GetChallenge()
	must(t, err, "CardGetChallenge")
	resp, _ := mgmResponse(alg, env.MgmKey, ch)
	if _, err := c.ChangeAuthenticator(spec.CardUserAdmin, resp, newKey, 0, spec.CardAuthenticatePinChallengeResponse); err != nil {
		t.Fatalf("CardChangeAuthenticator(admin): %v", err)
	}
	if err := adminLogin(t, c, alg, newKey, false); err != nil {
		t.Fatalf("the new management key: %v", err)
	}
	ch, err = c.GetChallenge()
	must(t, err, "CardGetChallenge")
	resp, _ = mgmResponse(alg, newKey, ch)
	if _, err := c.ChangeAuthenticatorEx(spec.PINChangeFlagChangePIN, spec.RoleAdmin, resp, spec.RoleAdmin, env.MgmKey, 0); err != nil {
		t.Fatalf("CardChangeAuthenticatorEx(admin) back to the old key: %v", err)
	}
	if err := adminLogin(t, c, alg, env.MgmKey, false); err != nil {
		t.Fatalf("the old management key again: %v", err)
	}
	ch, err = c.GetChallenge()
	must(t, err, "CardGetChallenge")
	resp, _ = mgmResponse(alg, env.MgmKey, ch)
	_, err = c.ChangeAuthenticator(spec.CardUserAdmin, resp, newKey[:5], 0, spec.CardAuthenticatePinChallengeResponse)
	want(t, err, spec.SCardEInvalidParameter, "a 5-byte management key")
	logout(t, c)
}

// flowDeauthenticate: CardDeauthenticate / CardDeauthenticateEx log out without a reset; bad
// users and flags.
func flowDeauthenticate(t T, md Minidriver, env Env) {
	c := open(t, md, env)
	defer done(t, c)
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	want(t, c.Deauthenticate(spec.CardUserUser, 0), spec.Success, "CardDeauthenticate(user)")
	if authState(t, c).Has(1) {
		t.Errorf("still authenticated after CardDeauthenticate(user)")
	}
	si := rsaSign(0, env)
	want(t, c.SignData(si), spec.SCardWSecurityViolation, "CardSignData after CardDeauthenticate")
	if _, err := c.AuthenticatePin(spec.CardUserUser, env.PIN); err != nil {
		t.Fatalf("CardAuthenticatePin: %v", err)
	}
	want(t, c.DeauthenticateEx(spec.CreatePINSet(3), 0), spec.Success, "CardDeauthenticateEx({3})")
	if authState(t, c).Has(1) {
		t.Errorf("PIN 3 is the same PIV PIN: logging it out logs the user out")
	}
	want(t, c.Deauthenticate("nobody", 0), spec.SCardEInvalidParameter, "CardDeauthenticate(nobody)")
	want(t, c.Deauthenticate(spec.CardUserUser, 1), spec.SCardEInvalidParameter, "CardDeauthenticate with flags 1")
	want(t, c.DeauthenticateEx(spec.PINSetAllRoles, 1), spec.SCardEInvalidParameter, "CardDeauthenticateEx with flags 1")
	want(t, c.DeauthenticateEx(spec.PINSetNone, 0), spec.Success, "CardDeauthenticateEx(PIN_SET_NONE)")
	// Logging out twice is harmless.
	want(t, c.Deauthenticate(spec.CardUserUser, 0), spec.Success, "CardDeauthenticate(user) again")
}

// flowSessionPIN: CARD_AUTHENTICATE_GENERATE_SESSION_PIN checks the PIN and leaves the card
// logged out; the session PIN then logs in, in another context too; wrong session PINs and flag
// combinations.
func flowSessionPIN(t T, md Minidriver, env Env) {
	c1 := open(t, md, env)
	defer done(t, c1)
	logout(t, c1)
	token, _, err := c1.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateGenerateSessionPIN, env.PIN, true)
	if err != nil {
		t.Fatalf("CardAuthenticateEx(GENERATE_SESSION_PIN): %v", err)
	}
	if len(token) == 0 || bytes.Equal(token, env.PIN) {
		t.Fatalf("session PIN %X", token)
	}
	if authState(t, c1).Has(1) {
		t.Errorf("generating a session PIN logged the card in")
	}
	c2 := open(t, md, env)
	defer done(t, c2)
	if _, _, err := c2.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateSessionPIN, token, false); err != nil {
		t.Fatalf("CardAuthenticateEx(SESSION_PIN) in another context: %v", err)
	}
	if !authState(t, c2).Has(1) {
		t.Errorf("not authenticated after the session PIN")
	}
	si := rsaSign(0, env)
	if err := c2.SignData(si); err != nil {
		t.Errorf("CardSignData after the session PIN: %v", err)
	}
	// PIN 3 takes the session PIN too (for the 9C key).
	if _, _, err := c2.AuthenticateEx(3, spec.CardAuthenticateSessionPIN, token, false); err != nil {
		t.Errorf("CardAuthenticateEx(PIN 3, SESSION_PIN): %v", err)
	}
	es := ecdsaSign(containerOf(piv.SlotSign), env)
	if err := c2.SignData(es); err != nil {
		t.Errorf("ECDSA 9C after the session PIN for PIN 3: %v", err)
	}
	bad := bytes.Clone(token)
	bad[0] ^= 1
	_, _, err = c2.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateSessionPIN, bad, false)
	want(t, err, spec.SCardWWrongCHV, "a wrong session PIN")
	_, _, err = c1.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateGenerateSessionPIN, env.PIN, false)
	want(t, err, spec.SCardEInvalidParameter, "GENERATE_SESSION_PIN without ppbSessionPin")
	_, _, err = c1.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateGenerateSessionPIN|spec.CardAuthenticateSessionPIN, env.PIN, true)
	want(t, err, spec.SCardEInvalidParameter, "GENERATE_SESSION_PIN with SESSION_PIN")
	logout(t, c1)
	logout(t, c2)
}
