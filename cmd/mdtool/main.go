// Command mdtool drives the cardmod minidriver engine exactly as the Windows Base CSP / Smart Card
// KSP does: it acquires a context, reads cardcf, cardid and cmapfile, asks for container
// information and properties, presents the PIN, signs and decrypts. It talks to a card in a
// PC/SC reader (--reader) or, by default, to an embedded virtual PIV card kept in a state file.
//
//	mdtool demo                      the whole Base CSP conversation on a fresh in-memory card
//	mdtool info                      what the minidriver reports about the card
//	mdtool containers                cmapfile and the containers' keys and certificates
//	mdtool files ls [DIR]            the minidriver's file system
//	mdtool files cat [DIR/]NAME      one file (raw, or --hex)
//	mdtool pin verify|change|unblock|status
//	mdtool sign --container N        sign stdin (or --in FILE) and verify the signature
//	mdtool decrypt --container N --in FILE
//	mdtool ecdh --container N --peer FILE   ECDH with the card's key and a KDF (CardDeriveKey)
//	mdtool props [get NAME]          card properties
//	mdtool keygen, enroll            a key in a new container (and its certificate), as Windows
//	                                 enrolls through the Base CSP
//	mdtool import-cert, rm           a container's certificate; delete a container
//	mdtool files put|rm              write or delete a file
//
// Run "mdtool help" for the flags. PINs and PUKs are never printed, and APDU traces (--trace)
// are redacted with piv.Redactor.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cardmod/cardmod/spec"
)

const usage = `usage: mdtool [global flags] <command> [flags]

mdtool talks to the cardmod minidriver engine the way the Windows Base CSP / Smart Card KSP
does. By default it uses an embedded virtual PIV card whose state lives in
<user config dir>/cardmod/card.json; the card is created on first use and provisioned like a
freshly issued PIV card (RSA-2048 in 9A and 9D, ECC P-256 in 9C, ECC P-384 in 9E, each with a
self-signed certificate; the PIV default PIN, PUK and management key).

commands:
  demo                          the Base CSP's conversation with a card, step by step, on a
                                FRESH in-memory virtual card; every step checks its result
  info                          ATR, card name, GUID, serial, version, cache mode, PINs,
                                capabilities, free space
  containers                    cmapfile records with each container's key and certificate
  files ls [DIR]                list the root directory (and its applications) or DIR
  files cat [DIR/]NAME [--hex]  write a file to stdout (raw bytes, or hex with --hex)
  pin verify [--pin-id 1|3] [--pin P] [--keep]
  pin change [--pin-id 1|4] [--old P] [--new P]    (4 = the PUK)
  pin unblock [--puk P] [--new P]
  pin status                    CP_CARD_AUTHENTICATED_STATE
  sign --container N [--hash sha256|sha1|sha384|sha512] [--pss] [--pin P] [--in FILE]
       [--out FILE] [--der]     hash the input (stdin by default), sign it with the card,
                                verify the signature with the container's public key and print
                                it in hex (big-endian; ECDSA as r||s, or DER with --der)
  decrypt --container N --in FILE [--oaep [--hash sha1|sha256|sha384|sha512] [--label L]]
       [--pin P] [--out FILE]   decrypt an RSA ciphertext (big-endian, as openssl pkeyutl
                                writes it; PKCS#1 v1.5 unless --oaep; OAEP hash default sha1
                                as in openssl)
  ecdh --container N (--peer FILE | --peer-new FILE.pem) [--kdf KDF] [KDF parameters]
       [--secret-as-hmac-key] [--size-only | --key-handle AES|3DES|3DES_112 [--key-bits N]]
       [--pin P] [--out FILE] [--card-pub-out FILE]
                                ECDH with an ECC container's key, as NCryptSecretAgreement +
                                NCryptDeriveKey do through the KSP: the PIN the container names,
                                CardConstructDHAgreement, CardDeriveKey, CardDestroyDHAgreement,
                                logout; prints the derived key in hex. --peer: a PEM public key
                                (or the peer's private key), DER SubjectPublicKeyInfo or a
                                BCRYPT_ECCPUBLIC_BLOB; --peer-new generates the peer's key pair
                                on the container's curve and writes its private key (PEM, a new
                                file). KDF: HASH (default), HMAC, TLS_PRF, SP800_56A_CONCAT,
                                TRUNCATE (the secret little-endian, as Windows returns it).
                                Parameters, in the order given (each one NCryptBuffer):
                                --hash SHA1|SHA256|SHA384|SHA512|MD5  --prepend HEX  --append HEX
                                (both repeatable)  --hmac-key HEX  --label TEXT  --seed HEX (64
                                bytes)  --tls 1.0|1.1|1.2  --algid HEX  --partyu HEX  --partyv
                                HEX  --supppub HEX  --supppriv HEX  --bits N (KDF_KEYBITLENGTH).
                                --size-only prints the size (CARD_BUFFER_SIZE_ONLY); --key-handle
                                keeps the key in the minidriver and prints the handle's
                                properties (CKP_BLOCK_LENGTH, CKP_CHAINING_MODE), then destroys
                                it; --card-pub-out writes the container's public key (PEM).
                                The peer's side, with openssl (pkeyutl -derive prints the raw
                                secret Z; HASH is SHA256(prepend||Z||append), TRUNCATE is Z
                                reversed):
                                  mdtool ecdh --container 1 --peer-new peer.pem \
                                    --card-pub-out card.pem --hash SHA256
                                  openssl pkeyutl -derive -inkey peer.pem -peerkey card.pem |
                                    openssl dgst -sha256          (the same bytes)
  props                         every card property, decoded
  props get NAME [--flags N]    one property, raw hex (NAME: "PIN Information" or
                                CP_CARD_PIN_INFO)
  keygen [--type rsa2048|rsa3072|rsa4096|p256|p384] [--keyspec keyx|sig|ecdsa|ecdh]
       [--pin-id 1|3] [--name N] [--default] [--import KEY.pem] [--pin P]
                                a key generated on the card (or imported from a PEM private
                                key) in a new container, as CryptGenKey does: cardcf, cmapfile,
                                CardCreateContainerEx, CardGetContainerInfo, cmapfile, cardcf;
                                prints the container index and the public key (PEM)
  enroll --subject "CN=...,O=..." (--ca-cert F --ca-key F | --self-signed | --csr-out F)
       [keygen's flags] [--days N] [--out CERT.pem] [--compress] [--pin P]
                                keygen, then a PKCS#10 request signed by the card
                                (CardSignData); --ca-cert/--ca-key issue it with that CA,
                                --self-signed signs the certificate with the card key itself,
                                --csr-out writes the request and stops (import the certificate
                                later with import-cert); the certificate goes to mscp/kxcNN or
                                kscNN and to --out (else stdout, PEM)
  import-cert --container N --in CERT.pem|der [--compress] [--pin P]
                                write a container's certificate (its key must be the
                                container's); --compress: Windows' compressed format
  rm --container N [--pin P]    delete a container and its certificate (PIV cannot erase the
                                key: it stays in its slot, unused)
  files put [DIR/]NAME --in FILE [--ac EveryoneReadUserWriteAc|UserReadWriteAc|...] [--pin P]
  files rm [DIR/]NAME [--pin P] write or delete a file (DIR is created when missing)
  help                          this text

global flags (before or after the command):
  --reader NAME      use the PC/SC reader whose name contains NAME instead of the virtual card
  --state FILE       state file of the virtual card (default <user config dir>/cardmod/card.json)
  --json             machine-readable output (errors too, as {"error": ...})
  --trace            APDU trace on stderr, PINs, keys and private results redacted
  --extended=BOOL    use extended-length APDUs (default true)
  --mgm-policy P     what writes do on a card whose PIV management key is the default one:
                     protect (default: replace it by a random key stored PIN-protected, as
                     ykman --protect does), refuse (writes need --admin-key), keep (use the
                     default key and leave it)
  --admin-key HEX    the card's PIV management key: writes authenticate ROLE_ADMIN with it
                     (CardGetChallengeEx / CardAuthenticateChallenge; 3DES or AES)

secrets: a PIN comes from --pin (or --old/--new/--puk), else from the environment (MDTOOL_PIN,
MDTOOL_PUK, MDTOOL_NEW_PIN, MDTOOL_NEW_PUK; MDTOOL_ADMIN_KEY for --admin-key), else from one
line of stdin. They are never printed. Writes (keygen, enroll, import-cert, rm, files put|rm) need
the PIN. After using the PIN mdtool logs it out again (CardDeauthenticateEx),
unless pin verify --keep. Each command is one minidriver context; with --reader every call runs
in its own PC/SC transaction, as the Base CSP does.

exit status: 0 success, 1 failure, 2 usage error, 3 wrong PIN/PUK, blocked PIN, PIN or
management key required.
`

func main() {
	a := newApp(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	os.Exit(exitCode(a.run(os.Args[1:])))
}

// run is the testable entry point: it runs mdtool with args and reports the error that decides
// the exit status (see exitCode). Secrets are read from the environment or os.Stdin.
func run(args []string, stdout, stderr io.Writer) error {
	return newApp(os.Stdin, stdout, stderr, os.Getenv).run(args)
}

// usageError reports a command line mdtool cannot make sense of (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode maps run's error to the exit status.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	switch spec.StatusOf(err) {
	case spec.SCardWWrongCHV, spec.SCardWCHVBlocked, spec.SCardWSecurityViolation:
		return 3
	}
	return 1
}

// options are the global flags.
type options struct {
	reader   string
	state    string
	json     bool
	trace    bool
	extended bool
	// mgmPolicy is --mgm-policy (engine.ParseMgmKeyPolicy); adminKey is --admin-key (hex).
	mgmPolicy string
	adminKey  string
}

// app is one run of mdtool: its streams, environment and global options.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// configDir returns the directory under which the default state file lives.
	configDir func() (string, error)
	opts      options
	lines     *bufio.Reader // stdin, once a secret was read from it
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, configDir: os.UserConfigDir,
		opts: options{extended: true}}
}

// registerGlobal adds the global flags to fs. The current values are the defaults, so that flags
// given before the command survive the command's own parsing.
func (a *app) registerGlobal(fs *flag.FlagSet) {
	fs.StringVar(&a.opts.reader, "reader", a.opts.reader, "PC/SC reader (substring of its name)")
	fs.StringVar(&a.opts.state, "state", a.opts.state, "state file of the virtual card")
	fs.BoolVar(&a.opts.json, "json", a.opts.json, "machine-readable output")
	fs.BoolVar(&a.opts.trace, "trace", a.opts.trace, "APDU trace on stderr (secrets redacted)")
	fs.BoolVar(&a.opts.extended, "extended", a.opts.extended, "use extended-length APDUs")
	fs.StringVar(&a.opts.mgmPolicy, "mgm-policy", a.opts.mgmPolicy, "management key policy for writes: protect, refuse or keep")
	fs.StringVar(&a.opts.adminKey, "admin-key", a.opts.adminKey, "PIV management key (hex) to authenticate ROLE_ADMIN before writes (else $"+envAdminKey+")")
}

// run parses the global flags and dispatches the command. In JSON mode a failure is also written
// to stdout as {"error": ...}.
func (a *app) run(args []string) error {
	err := a.dispatch(args)
	if err == nil {
		return nil
	}
	fmt.Fprintln(a.stderr, "mdtool:", err)
	var reported reportedError
	if a.opts.json && !errors.As(err, &reported) {
		a.writeJSONError(err)
	}
	return err
}

func (a *app) dispatch(args []string) error {
	fs := a.newFlagSet("mdtool")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(a.stderr, usage)
		return usageError{"no command"}
	}
	cmd, cargs := rest[0], rest[1:]
	switch cmd {
	case "demo":
		return a.cmdDemo(cargs)
	case "info":
		return a.cmdInfo(cargs)
	case "containers":
		return a.cmdContainers(cargs)
	case "files":
		return a.cmdFiles(cargs)
	case "pin":
		return a.cmdPIN(cargs)
	case "sign":
		return a.cmdSign(cargs)
	case "decrypt":
		return a.cmdDecrypt(cargs)
	case "ecdh":
		return a.cmdECDH(cargs)
	case "props":
		return a.cmdProps(cargs)
	case "keygen":
		return a.cmdKeygen(cargs)
	case "enroll":
		return a.cmdEnroll(cargs)
	case "import-cert":
		return a.cmdImportCert(cargs)
	case "rm":
		return a.cmdRm(cargs)
	case "help", "-h", "--help":
		fmt.Fprint(a.stdout, usage)
		return nil
	}
	fmt.Fprint(a.stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// newFlagSet returns a flag set with the global flags registered.
func (a *app) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	a.registerGlobal(fs)
	return fs
}

// parseArgs parses flags mixed with positional arguments ("files cat cardcf --hex") and returns
// the positional ones; it fails when their number is not between minPos and maxPos.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minPos || len(pos) > maxPos {
		switch {
		case len(pos) > maxPos:
			return nil, usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), pos[maxPos])}
		default:
			return nil, usageError{fmt.Sprintf("%s: missing argument", fs.Name())}
		}
	}
	return pos, nil
}

// writeJSON prints v as indented JSON on stdout.
func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// jsonError is the JSON form of a failure.
type jsonError struct {
	Error        string  `json:"error"`
	Status       string  `json:"status,omitempty"`
	Code         string  `json:"code,omitempty"`
	AttemptsLeft *uint32 `json:"attempts_left,omitempty"`
	Usage        bool    `json:"usage_error,omitempty"`
}

func (a *app) writeJSONError(err error) {
	je := jsonError{Error: err.Error()}
	var ue usageError
	je.Usage = errors.As(err, &ue)
	var st spec.Status
	if errors.As(err, &st) {
		je.Status, je.Code = st.Name(), fmt.Sprintf("0x%08X", uint32(st))
	}
	var se *statusError
	if errors.As(err, &se) && se.attempts != nil {
		je.AttemptsLeft = se.attempts
	}
	_ = a.writeJSON(je) // the error itself is what gets reported
}

// statusError is a minidriver error with the function that returned it. Its message puts the
// Windows status first: "CardAuthenticateEx: SCARD_W_WRONG_CHV (0x8010006B): wrong PIN, 2 tries
// left".
type statusError struct {
	fn       string
	st       spec.Status
	detail   string
	attempts *uint32 // tries left, when the card said
	err      error
}

func (e *statusError) Error() string {
	if e.detail == "" {
		return fmt.Sprintf("%s: %v", e.fn, e.st)
	}
	return fmt.Sprintf("%s: %v: %s", e.fn, e.st, e.detail)
}

func (e *statusError) Unwrap() error { return e.err }

// wrapEngine wraps an error returned by the engine function fn. Errors that carry a minidriver
// status become a *statusError; others get fn as context.
func wrapEngine(fn string, err error) error {
	if err == nil {
		return nil
	}
	var st spec.Status
	if !errors.As(err, &st) {
		return fmt.Errorf("%s: %w", fn, err)
	}
	detail := strings.TrimSuffix(err.Error(), ": "+st.Error())
	detail = strings.TrimPrefix(detail, fn+": ")
	if detail == st.Error() {
		detail = ""
	}
	return &statusError{fn: fn, st: st, detail: detail, err: err}
}

// withAttempts records the tries left in a *statusError (attempts is the engine's answer;
// CARD_DATA_VALUE_UNKNOWN means the card did not say).
func withAttempts(err error, attempts uint32) error {
	var se *statusError
	if errors.As(err, &se) && attempts != spec.CardDataValueUnknown {
		n := attempts
		se.attempts = &n
	}
	return err
}
