package engine

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// The PINs of the PIV mapping:
//
//	1 ROLE_USER   the PIV PIN (AlphaNumeric, normal cache)
//	2 ROLE_ADMIN  the PIV management key, by challenge/response (external authenticate)
//	3             the PIV PIN for the 9C key: same PIN, AlwaysPrompt, as SP 800-73-4 wants a
//	              PIN right before each use of that key
//	4             the PUK (UnblockOnly): unblocks the PIN, cannot log in by itself
const pinPUK spec.PINID = 4

// pinsInUse is CP_CARD_LIST_PINS.
var pinsInUse = spec.PINSetNone.Add(spec.RoleUser).Add(spec.RoleAdmin).Add(pinSign).Add(pinPUK)

// authState is the volatile authentication state of a context.
type authState struct {
	user      bool   // the PIV PIN was verified through this context
	signFresh bool   // the PIN was presented for the 9C key and not yet used
	admin     bool   // the management key was authenticated through this context
	mgm       bool   // the minidriver authenticated the management key on the card for a write
	challenge []byte // admin challenge issued by the card and not yet answered
}

func (a *authState) wipe() {
	clear(a.challenge)
	*a = authState{}
}

// unknownAttempts is the attempts count reported when the card does not tell.
const unknownAttempts = spec.CardDataValueUnknown

// verifyResult maps a VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER answer to the
// minidriver's error and remaining attempts.
func verifyResult(fn string, err error) (uint32, error) {
	if err == nil {
		return unknownAttempts, nil
	}
	if sw, ok := swOf(err); ok {
		if n, ok := sw.Retries(); ok {
			// 63C0 reports the last allowed attempt: WRONG_CHV with 0 tries left; the card is
			// blocked from now on and answers 6983 (CHV_BLOCKED) to the next attempt.
			return uint32(n), errf(spec.SCardWWrongCHV, "%s: wrong PIN, %d tries left", fn, n)
		}
		switch sw {
		case apdu.SWAuthMethodBlocked:
			return 0, errf(spec.SCardWCHVBlocked, "%s: blocked", fn)
		case apdu.SWWrongData, apdu.SWWrongLength:
			return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: the card refused the PIN format", fn)
		}
	}
	return unknownAttempts, cardError(fn, err)
}

// pinBytes checks a PIN or PUK for the card: 1 to 8 bytes (PIV pads to 8).
func pinBytes(fn string, pin []byte) error {
	if pin == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL PIN", fn)
	}
	if len(pin) == 0 || len(pin) > 8 {
		return errf(spec.SCardWWrongCHV, "%s: a PIN of %d bytes cannot be right", fn, len(pin))
	}
	return nil
}

// newPINBytes checks a new PIN or PUK against the PIV policy: 6 to 8 bytes, no FF byte.
func newPINBytes(fn string, pin []byte) error {
	if len(pin) < 6 || len(pin) > 8 || bytes.IndexByte(pin, 0xFF) >= 0 {
		return errf(spec.SCardEInvalidParameter, "%s: a new PIN must be 6 to 8 characters", fn)
	}
	return nil
}

// verifyPIN presents the PIV PIN and updates the state.
func (c *Context) verifyPIN(fn string, pin []byte, id spec.PINID) (uint32, error) {
	err := c.piv.VerifyPIN(pin)
	attempts, err := verifyResult(fn, err)
	if err != nil {
		c.auth.user, c.auth.signFresh = false, false
		return attempts, err
	}
	c.auth.user = true
	if id == pinSign {
		c.auth.signFresh = true
	}
	return attempts, nil
}

// AuthenticatePin is CardAuthenticatePin: the legacy PIN login of "user" (the admin logs in only
// by challenge/response). It returns the attempts left when the PIN is wrong.
func (c *Context) AuthenticatePin(userID string, pin []byte) (uint32, error) {
	const fn = "CardAuthenticatePin"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return unknownAttempts, err
	}
	defer unlock()
	if userID != spec.CardUserUser {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: user %q cannot log in with a PIN", fn, userID)
	}
	if err := pinBytes(fn, pin); err != nil {
		return unknownAttempts, err
	}
	return c.verifyPIN(fn, pin, spec.RoleUser)
}

// AuthenticateEx is CardAuthenticateEx. With CARD_AUTHENTICATE_GENERATE_SESSION_PIN it checks the
// PIN, leaves the card logged out and returns a session PIN (from the caller's allocator); with
// CARD_AUTHENTICATE_SESSION_PIN, pinData is such a session PIN. wantSession says whether the
// caller passed ppbSessionPin and pcbSessionPin.
func (c *Context) AuthenticateEx(id spec.PINID, flags uint32, pinData []byte, wantSession bool) (session []byte, attempts uint32, err error) {
	const fn = "CardAuthenticateEx"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return nil, unknownAttempts, err
	}
	defer unlock()
	const known = spec.CardAuthenticateGenerateSessionPIN | spec.CardAuthenticateSessionPIN | spec.CardPINSilentContext
	if flags&^known != 0 {
		return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: unknown flags %#x", fn, flags)
	}
	gen, sess := flags&spec.CardAuthenticateGenerateSessionPIN != 0, flags&spec.CardAuthenticateSessionPIN != 0
	if gen && sess {
		return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: GENERATE_SESSION_PIN with SESSION_PIN", fn)
	}
	switch id {
	case spec.RoleUser, pinSign:
	case spec.RoleAdmin:
		if gen || sess {
			return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: no session PIN for the admin", fn)
		}
		if pinData == nil {
			return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: NULL response", fn)
		}
		attempts, err := c.answerChallenge(fn, pinData)
		return nil, attempts, err
	case pinPUK:
		return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: the PUK only unblocks the PIN", fn)
	default:
		return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: PIN %d is not used by this card", fn, id)
	}
	if pinData == nil {
		return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: NULL PIN", fn)
	}
	if gen && !wantSession {
		return nil, unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: no place for the session PIN", fn)
	}
	guid, err := c.ensureGUID()
	if err != nil {
		return nil, unknownAttempts, err
	}
	switch {
	case sess:
		pin, ok := c.module.sessions.open(guid, pinData)
		if !ok {
			return nil, unknownAttempts, errf(spec.SCardWWrongCHV, "%s: unknown session PIN", fn)
		}
		defer clear(pin)
		attempts, err := c.verifyPIN(fn, pin, id)
		return nil, attempts, err
	case gen:
		if err := pinBytes(fn, pinData); err != nil {
			return nil, unknownAttempts, err
		}
		// Check the PIN, then log out again: generating a session PIN does not unlock the card.
		attempts, err := c.verifyPIN(fn, pinData, spec.RoleUser)
		if err != nil {
			return nil, attempts, err
		}
		if err := c.logoutUser(fn); err != nil {
			return nil, unknownAttempts, err
		}
		token, err := c.module.sessions.issue(guid, pinData)
		if err != nil {
			return nil, unknownAttempts, errf(spec.SCardEUnexpected, "%s: %v", fn, err)
		}
		defer clear(token)
		buf, err := c.alloc(token)
		return buf, unknownAttempts, err
	}
	if err := pinBytes(fn, pinData); err != nil {
		return nil, unknownAttempts, err
	}
	attempts, err = c.verifyPIN(fn, pinData, id)
	return nil, attempts, err
}

// logoutUser resets the PIN's security status without resetting the card (VERIFY P1=FF).
func (c *Context) logoutUser(fn string) error {
	c.auth.user, c.auth.signFresh = false, false
	if err := c.piv.Logout(); err != nil {
		return cardError(fn, err)
	}
	return nil
}

// logoutAdmin drops the management key authentication: requesting a new witness and answering it
// wrongly leaves the card unauthenticated for the management key (PIV has no command for it).
func (c *Context) logoutAdmin(fn string) error {
	c.auth.admin = false
	clear(c.auth.challenge)
	c.auth.challenge = nil
	alg, err := c.mgmAlg()
	if err != nil {
		return err
	}
	if _, err := c.piv.MgmChallenge(alg); err != nil {
		return cardError(fn, err)
	}
	// An all-zero response to the fresh challenge fails (with overwhelming probability), which
	// clears the authentication; the card's 6982 is the expected answer.
	if err := c.piv.MgmExternalAuth(alg, make([]byte, len(zeroBlock(alg)))); err == nil {
		return errf(spec.SCardEUnexpected, "%s: the card accepted a zero response", fn)
	}
	return nil
}

func zeroBlock(alg byte) []byte {
	if alg == piv.Alg3DES {
		return make([]byte, 8)
	}
	return make([]byte, 16)
}

// Deauthenticate is CardDeauthenticate: it logs "user" or "admin" out without resetting the card
// (other applications on the card keep their state).
func (c *Context) Deauthenticate(userID string, flags uint32) error {
	const fn = "CardDeauthenticate"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return err
	}
	switch userID {
	case spec.CardUserUser:
		return c.logoutUser(fn)
	case spec.CardUserAdmin:
		return c.logoutAdmin(fn)
	}
	return errf(spec.SCardEInvalidParameter, "%s: unknown user %q", fn, userID)
}

// DeauthenticateEx is CardDeauthenticateEx: it logs out every PIN of the set (the ROLE_EVERYONE
// bit is ignored).
func (c *Context) DeauthenticateEx(set spec.PINSet, flags uint32) error {
	const fn = "CardDeauthenticateEx"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return err
	}
	if set.Has(spec.RoleUser) || set.Has(pinSign) {
		if err := c.logoutUser(fn); err != nil {
			return err
		}
	}
	if set.Has(spec.RoleAdmin) && c.auth.admin {
		// Only this context's own admin login is known; logging out costs three APDUs, so a
		// context that never authenticated the admin sends none.
		if err := c.logoutAdmin(fn); err != nil {
			return err
		}
	}
	return nil
}

// mgmAlg returns the management key algorithm: from GET METADATA on cards that have it,
// otherwise 3DES (the PIV default).
func (c *Context) mgmAlg() (byte, error) {
	if c.card.mgmAlg != 0 {
		return c.card.mgmAlg, nil
	}
	alg := piv.Alg3DES
	if md, err := c.piv.Metadata(piv.RefMgmKey); err == nil {
		if a := md[0x01]; len(a) == 1 && piv.MgmKeyLen(a[0]) != 0 {
			alg = a[0]
		}
		// The same answer tells whether the key is the default (tag 05): writes need to know.
		if d := md[0x05]; len(d) == 1 && d[0] == 0 {
			c.card.mgmNotDefault = true
		}
	}
	c.card.mgmAlg = alg
	return alg, nil
}

// challenge asks the card for an admin challenge.
func (c *Context) challenge(fn string) ([]byte, error) {
	alg, err := c.mgmAlg()
	if err != nil {
		return nil, err
	}
	ch, err := c.piv.MgmChallenge(alg)
	if err != nil {
		return nil, cardError(fn, err)
	}
	clear(c.auth.challenge)
	c.auth.challenge = bytes.Clone(ch)
	return c.alloc(ch)
}

// GetChallenge is CardGetChallenge: a challenge for the admin (the PIV management key); the
// response is the challenge encrypted with the key (3DES or AES, one block, ECB).
func (c *Context) GetChallenge() ([]byte, error) {
	const fn = "CardGetChallenge"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.challenge(fn)
}

// GetChallengeEx is CardGetChallengeEx; only ROLE_ADMIN is a challenge/response PIN.
func (c *Context) GetChallengeEx(id spec.PINID, flags uint32) ([]byte, error) {
	const fn = "CardGetChallengeEx"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := checkFlagsZero(fn, flags); err != nil {
		return nil, err
	}
	if id != spec.RoleAdmin {
		return nil, errf(spec.SCardEInvalidParameter, "%s: PIN %d is not a challenge/response PIN", fn, id)
	}
	return c.challenge(fn)
}

// answerChallenge sends the response to the pending challenge.
func (c *Context) answerChallenge(fn string, resp []byte) (uint32, error) {
	if c.auth.challenge == nil {
		c.failAdmin(fn)
		return unknownAttempts, errf(spec.SCardWWrongCHV, "%s: no challenge was issued", fn)
	}
	clear(c.auth.challenge)
	c.auth.challenge = nil
	alg, err := c.mgmAlg()
	if err != nil {
		return unknownAttempts, err
	}
	if len(resp) != len(zeroBlock(alg)) {
		c.failAdmin(fn)
		return unknownAttempts, errf(spec.SCardWWrongCHV, "%s: response of %d bytes", fn, len(resp))
	}
	if err := c.piv.MgmExternalAuth(alg, resp); err != nil {
		c.auth.admin = false
		if sw, ok := swOf(err); ok && (sw == apdu.SWSecurityStatusNotSatisfied || sw == apdu.SWConditionsNotSatisfied) {
			return unknownAttempts, errf(spec.SCardWWrongCHV, "%s: wrong response", fn)
		}
		return unknownAttempts, cardError(fn, err)
	}
	c.auth.admin = true
	return unknownAttempts, nil
}

// failAdmin leaves the admin logged out after a failed authentication that never reached the
// card (no pending challenge, or a response of the wrong size): a wrong response must leave the
// card deauthenticated, and an admin who was logged in stays logged in on the card otherwise. A
// context that holds no admin login sends nothing.
func (c *Context) failAdmin(fn string) {
	if c.auth.admin {
		_ = c.logoutAdmin(fn) // best effort: the authentication failed either way
	}
	c.auth.admin = false
}

// AuthenticateChallenge is CardAuthenticateChallenge.
func (c *Context) AuthenticateChallenge(resp []byte) (uint32, error) {
	const fn = "CardAuthenticateChallenge"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return unknownAttempts, err
	}
	defer unlock()
	if resp == nil {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: NULL response", fn)
	}
	return c.answerChallenge(fn, resp)
}

// changePIN changes the PIN or the PUK on the card.
func (c *Context) changeReference(fn string, ref byte, cur, next []byte) (uint32, error) {
	if err := pinBytes(fn, cur); err != nil {
		return unknownAttempts, err
	}
	if err := newPINBytes(fn, next); err != nil {
		return unknownAttempts, err
	}
	attempts, err := verifyResult(fn, c.piv.ChangeReference(ref, cur, next))
	if err != nil {
		if ref == piv.RefPIN {
			c.auth.user, c.auth.signFresh = false, false
		}
		return attempts, err
	}
	guid, gerr := c.ensureGUID()
	if gerr == nil && ref == piv.RefPIN {
		c.module.sessions.revoke(guid)
		c.auth.user = true
	}
	return attempts, nil
}

// unblock sets a new PIN with the PUK; both end logged out.
func (c *Context) unblock(fn string, puk, next []byte) (uint32, error) {
	if err := pinBytes(fn, puk); err != nil {
		return unknownAttempts, err
	}
	if err := newPINBytes(fn, next); err != nil {
		return unknownAttempts, err
	}
	attempts, err := verifyResult(fn, c.piv.UnblockPIN(puk, next))
	c.auth.user, c.auth.signFresh = false, false
	if err != nil {
		return attempts, err
	}
	if guid, gerr := c.ensureGUID(); gerr == nil {
		c.module.sessions.revoke(guid)
	}
	return attempts, nil
}

// changeMgmKey authenticates with the response to the pending challenge and sets a new
// management key of the same algorithm (YubiKey SET MANAGEMENT KEY).
func (c *Context) changeMgmKey(fn string, resp, next []byte) (uint32, error) {
	alg, err := c.mgmAlg()
	if err != nil {
		return unknownAttempts, err
	}
	if len(next) != piv.MgmKeyLen(alg) {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: a new %s key has %d bytes", fn, piv.AlgName(alg), piv.MgmKeyLen(alg))
	}
	if attempts, err := c.answerChallenge(fn, resp); err != nil {
		return attempts, err
	}
	if err := c.piv.SetMgmKey(alg, next, false); err != nil {
		return unknownAttempts, cardError(fn, err)
	}
	return unknownAttempts, nil
}

// UnblockPin is CardUnblockPin: with CARD_AUTHENTICATE_PIN_PIN the authentication data is the PUK.
// PIV cannot unblock the PIN with the management key, so challenge/response unblocking is not
// supported.
func (c *Context) UnblockPin(userID string, auth, newPIN []byte, retryCount, flags uint32) error {
	const fn = "CardUnblockPin"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	if userID != spec.CardUserUser {
		return errf(spec.SCardEInvalidParameter, "%s: only the user PIN can be unblocked", fn)
	}
	if auth == nil || newPIN == nil {
		return errf(spec.SCardEInvalidParameter, "%s: NULL data", fn)
	}
	switch flags {
	case spec.CardAuthenticatePinPIN:
	case spec.CardAuthenticatePinChallengeResponse:
		return errf(spec.SCardEUnsupportedFeature, "%s: PIV unblocks the PIN with the PUK only", fn)
	default:
		return errf(spec.SCardEInvalidParameter, "%s: flags %#x", fn, flags)
	}
	if retryCount != 0 {
		return errf(spec.SCardEInvalidParameter, "%s: the retry count cannot be changed", fn)
	}
	_, err = c.unblock(fn, auth, newPIN)
	return err
}

// ChangeAuthenticator is CardChangeAuthenticator: the user changes the PIN (flags
// CARD_AUTHENTICATE_PIN_PIN), or the admin changes the management key with the response to a
// challenge (CARD_AUTHENTICATE_PIN_CHALLENGE_RESPONSE).
func (c *Context) ChangeAuthenticator(userID string, cur, next []byte, retryCount, flags uint32) (uint32, error) {
	const fn = "CardChangeAuthenticator"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return unknownAttempts, err
	}
	defer unlock()
	if cur == nil || next == nil {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: NULL data", fn)
	}
	if retryCount != 0 {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: the retry count cannot be changed", fn)
	}
	switch {
	case userID == spec.CardUserUser && flags == spec.CardAuthenticatePinPIN:
		return c.changeReference(fn, piv.RefPIN, cur, next)
	case userID == spec.CardUserAdmin && flags == spec.CardAuthenticatePinChallengeResponse:
		return c.changeMgmKey(fn, cur, next)
	case userID != spec.CardUserUser && userID != spec.CardUserAdmin:
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: unknown user %q", fn, userID)
	}
	return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: flags %#x do not fit user %q", fn, flags, userID)
}

// ChangeAuthenticatorEx is CardChangeAuthenticatorEx: PIN_CHANGE_FLAG_CHANGEPIN changes the PIN
// (1 or 3, authenticated by itself), the PUK (4) or the management key (2, authenticated by a
// response); PIN_CHANGE_FLAG_UNBLOCK sets a new PIN (1 or 3) authenticated by the PUK (4).
func (c *Context) ChangeAuthenticatorEx(flags uint32, authID spec.PINID, authData []byte, target spec.PINID, targetData []byte, retryCount uint32) (uint32, error) {
	const fn = "CardChangeAuthenticatorEx"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return unknownAttempts, err
	}
	defer unlock()
	if !pinsInUse.Has(authID) || !pinsInUse.Has(target) || authID == spec.RoleEveryone || target == spec.RoleEveryone {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: PIN %d or %d is not used by this card", fn, authID, target)
	}
	if authData == nil || targetData == nil {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: NULL data", fn)
	}
	if retryCount != 0 {
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: the retry count cannot be changed", fn)
	}
	isPIN := func(id spec.PINID) bool { return id == spec.RoleUser || id == pinSign }
	switch flags {
	case spec.PINChangeFlagChangePIN:
		switch {
		case isPIN(authID) && isPIN(target):
			return c.changeReference(fn, piv.RefPIN, authData, targetData)
		case authID == pinPUK && target == pinPUK:
			return c.changeReference(fn, piv.RefPUK, authData, targetData)
		case authID == spec.RoleAdmin && target == spec.RoleAdmin:
			return c.changeMgmKey(fn, authData, targetData)
		}
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: PIN %d cannot change PIN %d", fn, authID, target)
	case spec.PINChangeFlagUnblock:
		if authID == pinPUK && isPIN(target) {
			return c.unblock(fn, authData, targetData)
		}
		if authID == spec.RoleAdmin && isPIN(target) {
			return unknownAttempts, errf(spec.SCardEUnsupportedFeature, "%s: PIV unblocks the PIN with the PUK only", fn)
		}
		return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: PIN %d cannot unblock PIN %d", fn, authID, target)
	}
	return unknownAttempts, errf(spec.SCardEInvalidParameter, "%s: flags %#x", fn, flags)
}

// authenticatedSet is CP_CARD_AUTHENTICATED_STATE: the PINs authenticated now. The user PIN's
// state is asked of the card (VERIFY without data), so a reset or another program's logout is
// seen.
func (c *Context) authenticatedSet() (spec.PINSet, error) {
	set := spec.PINSetNone
	verified, _, err := c.piv.PINStatus()
	if err != nil {
		return 0, cardError("authenticated state", err)
	}
	c.auth.user = verified
	if verified {
		set = set.Add(spec.RoleUser)
		if c.auth.signFresh {
			set = set.Add(pinSign)
		}
	}
	if c.auth.admin {
		set = set.Add(spec.RoleAdmin)
	}
	return set, nil
}

// sessionEntry is one session PIN: the PIN encrypted (AES-256-GCM) under a key derived from the
// session PIN, bound to the card.
type sessionEntry struct {
	guid  []byte
	nonce []byte
	box   []byte
}

const maxSessions = 64

func sessionKey(token []byte) (id string, key []byte) {
	h := sha256.Sum256(append([]byte("cardmod session id\x00"), token...))
	k := sha256.Sum256(append([]byte("cardmod session key\x00"), token...))
	return hex.EncodeToString(h[:]), k[:]
}

// issue creates a session PIN for pin on the card guid.
func (s *sessionStore) issue(guid, pin []byte) ([]byte, error) {
	token := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, token); err != nil {
		return nil, err
	}
	id, key := sessionKey(token)
	defer clear(key)
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	box := gcm.Seal(nil, nonce, pin, guid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) >= maxSessions {
		for k := range s.entries { // drop an arbitrary old entry
			delete(s.entries, k)
			break
		}
	}
	s.entries[id] = sessionEntry{guid: bytes.Clone(guid), nonce: nonce, box: box}
	return token, nil
}

// open returns the PIN a session PIN stands for, when it was issued for this card.
func (s *sessionStore) open(guid, token []byte) ([]byte, bool) {
	id, key := sessionKey(token)
	defer clear(key)
	s.mu.Lock()
	e, ok := s.entries[id]
	s.mu.Unlock()
	if !ok || !bytes.Equal(e.guid, guid) {
		return nil, false
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, false
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, false
	}
	pin, err := gcm.Open(nil, e.nonce, e.box, guid)
	return pin, err == nil
}

// revoke forgets every session PIN of a card (after a PIN change or unblock).
func (s *sessionStore) revoke(guid []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.entries {
		if bytes.Equal(e.guid, guid) {
			delete(s.entries, k)
		}
	}
}
