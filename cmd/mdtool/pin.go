package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cardmod/cardmod/spec"
)

// Environment variables that may hold secrets.
const (
	envPIN    = "MDTOOL_PIN"
	envPUK    = "MDTOOL_PUK"
	envNewPIN = "MDTOOL_NEW_PIN"
	envNewPUK = "MDTOOL_NEW_PUK"
	// envAdminKey holds the PIV management key in hex (--admin-key).
	envAdminKey = "MDTOOL_ADMIN_KEY"
)

// pinPUK is the PIN id of the PUK in the PIV mapping.
const pinPUK spec.PINID = 4

// secret returns a PIN or PUK: the flag's value, else the environment variable, else one line of
// stdin (a prompt goes to stderr when stdin is a terminal). The value is never printed.
func (a *app) secret(flagValue, env, what string) ([]byte, error) {
	if flagValue != "" {
		return []byte(flagValue), nil
	}
	if v := a.getenv(env); v != "" {
		return []byte(v), nil
	}
	if f, ok := a.stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(a.stderr, "%s (typing is visible; %s avoids that): ", what, env)
		}
	}
	if a.lines == nil {
		a.lines = bufio.NewReader(a.stdin)
	}
	line, err := a.lines.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the %s from stdin: %w", what, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, usageError{fmt.Sprintf("no %s: give it with a flag, in %s or on stdin", what, env)}
	}
	return []byte(line), nil
}

// authenticate presents a PIN for PIN id id with CardAuthenticateEx, as the KSP does before using
// a container guarded by that PIN. A wrong PIN error carries the tries left.
func (s *session) authenticate(id spec.PINID, pin []byte) error {
	var attempts uint32
	err := s.call("CardAuthenticateEx", func() error {
		var err error
		_, attempts, err = s.ctx.AuthenticateEx(id, 0, pin, false)
		return err
	})
	clear(pin)
	if err != nil {
		return fmt.Errorf("PIN %d: %w", id, withAttempts(err, attempts))
	}
	return nil
}

// logout is CardDeauthenticateEx for the PIV PIN (ids 1 and 3): mdtool leaves a card logged out
// after using the PIN, so that nothing else on a shared reader can use the keys after it.
func (s *session) logout() error {
	set := spec.CreatePINSet(spec.RoleUser).Add(3)
	return s.call("CardDeauthenticateEx", func() error { return s.ctx.DeauthenticateEx(set, 0) })
}

// authenticatedState is CP_CARD_AUTHENTICATED_STATE.
func (s *session) authenticatedState() (spec.PINSet, error) {
	v, err := s.propertyDWORD(spec.CPCardAuthenticatedState, 0)
	return spec.PINSet(v), err
}

func (a *app) cmdPIN(args []string) error {
	if len(args) == 0 {
		return usageError{"pin: verify, change, unblock or status?"}
	}
	switch args[0] {
	case "verify":
		return a.pinVerify(args[1:])
	case "change":
		return a.pinChange(args[1:])
	case "unblock":
		return a.pinUnblock(args[1:])
	case "status":
		return a.pinStatus(args[1:])
	}
	return usageError{fmt.Sprintf("pin: unknown subcommand %q (verify, change, unblock, status)", args[0])}
}

// pinResult is the JSON answer of the pin commands.
type pinResult struct {
	Operation     string   `json:"operation"`
	PINID         uint32   `json:"pin_id"`
	OK            bool     `json:"ok"`
	Authenticated []uint32 `json:"authenticated"`
	APDUs         int      `json:"apdus"`
}

func (a *app) pinVerify(args []string) error {
	fs := a.newFlagSet("pin verify")
	id := fs.Uint("pin-id", 1, "PIN id: 1 (user) or 3 (the 9C key's PIN)")
	pinFlag := fs.String("pin", "", "the PIN (else $"+envPIN+" or stdin)")
	keep := fs.Bool("keep", false, "leave the card authenticated (by default mdtool logs the PIN out again)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *id != 1 && *id != 3 {
		return usageError{fmt.Sprintf("--pin-id %d: the PIV PIN is 1, or 3 for the 9C key", *id)}
	}
	pin, err := a.secret(*pinFlag, envPIN, "PIN")
	if err != nil {
		return err
	}
	s, err := a.open()
	if err != nil {
		return err
	}
	if err := s.authenticate(spec.PINID(*id), pin); err != nil {
		return s.finish(err)
	}
	set, err := s.authenticatedState()
	if err != nil {
		return s.finish(err)
	}
	if !*keep {
		if err := s.logout(); err != nil {
			return s.finish(err)
		}
	}
	res := pinResult{Operation: "verify", PINID: uint32(*id), OK: true, Authenticated: pinSetIDs(set), APDUs: s.stats().Commands}
	if err := s.close(); err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(res)
	}
	fmt.Fprintf(a.stdout, "PIN %d verified: %s; authenticated then (CP_CARD_AUTHENTICATED_STATE): PINs %s\n", *id,
		pinName(spec.PINID(*id)), pinSetString(set))
	if !*keep {
		fmt.Fprintln(a.stdout, "logged out again (CardDeauthenticateEx); --keep leaves the card authenticated")
	}
	return nil
}

func (a *app) pinChange(args []string) error {
	fs := a.newFlagSet("pin change")
	id := fs.Uint("pin-id", 1, "what to change: 1 (the PIV PIN) or 4 (the PUK)")
	oldFlag := fs.String("old", "", "the current PIN or PUK (else $"+envPIN+" / $"+envPUK+" or stdin)")
	newFlag := fs.String("new", "", "the new PIN or PUK, 6 to 8 characters (else $"+envNewPIN+" / $"+envNewPUK+" or stdin)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	oldEnv, newEnv, what := envPIN, envNewPIN, "PIN"
	switch spec.PINID(*id) {
	case spec.RoleUser:
	case pinPUK:
		oldEnv, newEnv, what = envPUK, envNewPUK, "PUK"
	default:
		return usageError{fmt.Sprintf("--pin-id %d: change 1 (the PIN) or 4 (the PUK)", *id)}
	}
	cur, err := a.secret(*oldFlag, oldEnv, "current "+what)
	if err != nil {
		return err
	}
	next, err := a.secret(*newFlag, newEnv, "new "+what)
	if err != nil {
		return err
	}
	defer clear(cur)
	defer clear(next)
	pid := spec.PINID(*id)
	return a.changeAuthenticator("change", spec.PINChangeFlagChangePIN, pid, cur, pid, next,
		fmt.Sprintf("%s changed", what))
}

func (a *app) pinUnblock(args []string) error {
	fs := a.newFlagSet("pin unblock")
	pukFlag := fs.String("puk", "", "the PUK (else $"+envPUK+" or stdin)")
	newFlag := fs.String("new", "", "the new PIN, 6 to 8 characters (else $"+envNewPIN+" or stdin)")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	puk, err := a.secret(*pukFlag, envPUK, "PUK")
	if err != nil {
		return err
	}
	next, err := a.secret(*newFlag, envNewPIN, "new PIN")
	if err != nil {
		return err
	}
	defer clear(puk)
	defer clear(next)
	return a.changeAuthenticator("unblock", spec.PINChangeFlagUnblock, pinPUK, puk, spec.RoleUser, next,
		"PIN unblocked with the PUK and set to the new value; tries reset")
}

// changeAuthenticator runs CardChangeAuthenticatorEx.
func (a *app) changeAuthenticator(op string, flags uint32, authID spec.PINID, auth []byte, target spec.PINID, next []byte, done string) error {
	s, err := a.open()
	if err != nil {
		return err
	}
	var attempts uint32
	err = s.call("CardChangeAuthenticatorEx", func() error {
		var err error
		attempts, err = s.ctx.ChangeAuthenticatorEx(flags, authID, auth, target, next, 0)
		return err
	})
	if err != nil {
		return s.finish(fmt.Errorf("pin %s: %w", op, withAttempts(err, attempts)))
	}
	set, err := s.authenticatedState()
	if err != nil {
		return s.finish(err)
	}
	res := pinResult{Operation: op, PINID: uint32(target), OK: true, Authenticated: pinSetIDs(set), APDUs: s.stats().Commands}
	if err := s.close(); err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(res)
	}
	fmt.Fprintln(a.stdout, done)
	return nil
}

func (a *app) pinStatus(args []string) error {
	fs := a.newFlagSet("pin status")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := a.open()
	if err != nil {
		return err
	}
	set, err := s.authenticatedState()
	if err != nil {
		return s.finish(err)
	}
	list, err := s.propertyDWORD(spec.CPCardListPINs, 0)
	if err != nil {
		return s.finish(err)
	}
	virtual := s.conn.vcard != nil
	apdus := s.stats().Commands
	if err := s.close(); err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(struct {
			Authenticated []uint32 `json:"authenticated"`
			PINs          []uint32 `json:"pins"`
			APDUs         int      `json:"apdus"`
		}{pinSetIDs(set), pinSetIDs(spec.PINSet(list)), apdus})
	}
	fmt.Fprintf(a.stdout, "PINs of the card (CP_CARD_LIST_PINS): %s\n", pinSetString(spec.PINSet(list)))
	fmt.Fprintf(a.stdout, "authenticated now (CP_CARD_AUTHENTICATED_STATE): %s\n", pinSetString(set))
	for _, id := range set.IDs() {
		fmt.Fprintf(a.stdout, "  %d %s\n", id, pinName(id))
	}
	if virtual {
		fmt.Fprintln(a.stdout, "(the virtual card is powered up anew by every mdtool command, so no PIN survives between commands)")
	}
	return nil
}
