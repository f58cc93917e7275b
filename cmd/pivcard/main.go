// Command pivcard runs the cardmod software PIV card.
//
//	pivcard init  --state FILE [card options]     create a new card state file
//	pivcard show  --state FILE [--json]           describe a card (no secrets)
//	pivcard serve --state FILE [--vpcd HOST:PORT] [--trace] [card options]
//	                                              plug the card into pcscd through vsmartcard-vpcd
//	pivcard demo  [--trace] [--extended=false]    what a PIV host does, on an in-memory card
//
// Card options (used when a state file is created): --pin, --puk, --pin-retries, --puk-retries,
// --mgm-key (hex), --mgm-alg (3des, aes128, aes192, aes256), --serial.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/vcard"
	"github.com/cardmod/cardmod/vcard/vpcd"
)

const usage = `usage: pivcard <command> [flags]

commands:
  init   --state FILE [card options]        create a new card state file
  show   --state FILE [--json]              describe the card (never prints secrets)
  serve  --state FILE [--vpcd HOST:PORT] [--trace] [card options]
                                            serve the card to pcscd through the vpcd driver,
                                            creating the state file if it does not exist
  demo   [--trace] [--extended=false]       walk through PIN, keys, signing, decryption and ECDH
                                            on a fresh in-memory card, counting APDUs

Run 'pivcard <command> -h' for the flags of a command.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pivcard:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command"}
	}
	switch args[0] {
	case "init":
		return cmdInit(args[1:], stdout, stderr)
	case "show":
		return cmdShow(args[1:], stdout, stderr)
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

// cardFlags are the options of a new card.
type cardFlags struct {
	pin, puk, mgmKey, mgmAlg string
	pinRetries, pukRetries   int
	serial                   uint
}

func (f *cardFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.pin, "pin", string(vcard.DefaultPIN), "PIN of a new card (6-8 characters)")
	fs.StringVar(&f.puk, "puk", string(vcard.DefaultPUK), "PUK of a new card (6-8 characters)")
	fs.IntVar(&f.pinRetries, "pin-retries", 3, "PIN retry limit of a new card")
	fs.IntVar(&f.pukRetries, "puk-retries", 3, "PUK retry limit of a new card")
	fs.StringVar(&f.mgmKey, "mgm-key", hex.EncodeToString(vcard.DefaultMgmKey), "management key of a new card (hex)")
	fs.StringVar(&f.mgmAlg, "mgm-alg", "3des", "management key algorithm: 3des, aes128, aes192, aes256")
	fs.UintVar(&f.serial, "serial", 0, "serial number of a new card (0: random)")
}

func (f *cardFlags) options() (vcard.Options, error) {
	algs := map[string]byte{"3des": piv.Alg3DES, "aes128": piv.AlgAES128, "aes192": piv.AlgAES192, "aes256": piv.AlgAES256}
	alg, ok := algs[strings.ToLower(f.mgmAlg)]
	if !ok {
		return vcard.Options{}, usageError{fmt.Sprintf("unknown management key algorithm %q", f.mgmAlg)}
	}
	key, err := hex.DecodeString(f.mgmKey)
	if err != nil {
		return vcard.Options{}, usageError{"--mgm-key: not hex"}
	}
	if f.serial > 0xFFFFFFFF {
		return vcard.Options{}, usageError{"--serial: more than 32 bits"}
	}
	return vcard.Options{PIN: []byte(f.pin), PUK: []byte(f.puk), PINRetries: f.pinRetries, PUKRetries: f.pukRetries,
		MgmAlg: alg, MgmKey: key, Serial: uint32(f.serial)}, nil
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func cmdInit(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pivcard init", flag.ContinueOnError)
	state := fs.String("state", "", "state file to create (required)")
	var cf cardFlags
	cf.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *state == "" {
		return usageError{"init: --state is required"}
	}
	opts, err := cf.options()
	if err != nil {
		return err
	}
	card, err := vcard.Create(*state, opts)
	if err != nil {
		return err
	}
	info := card.Info()
	fmt.Fprintf(stdout, "created card %d (serial) in %s\n", info.Serial, *state)
	return nil
}

func cmdShow(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pivcard show", flag.ContinueOnError)
	state := fs.String("state", "", "state file (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *state == "" {
		return usageError{"show: --state is required"}
	}
	card, err := vcard.Open(*state)
	if err != nil {
		return err
	}
	info := card.Info()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	printInfo(stdout, info)
	return nil
}

func yesNo(b bool) string {
	if b {
		return " (default)"
	}
	return ""
}

func printInfo(w io.Writer, info vcard.Info) {
	fmt.Fprintf(w, "Serial:          %d\n", info.Serial)
	fmt.Fprintf(w, "Version:         %s\n", info.Version)
	fmt.Fprintf(w, "ATR:             %s\n", info.ATR)
	fmt.Fprintf(w, "CHUID GUID:      %s\n", info.CHUIDGUID)
	fmt.Fprintf(w, "PIN tries left:  %d of %d%s\n", info.PINRetries[0], info.PINRetries[1], yesNo(info.PINDefault))
	fmt.Fprintf(w, "PUK tries left:  %d of %d%s\n", info.PUKRetries[0], info.PUKRetries[1], yesNo(info.PUKDefault))
	fmt.Fprintf(w, "Management key:  %s%s\n", info.MgmAlg, yesNo(info.MgmDefault))
	fmt.Fprintf(w, "Keys:\n")
	if len(info.Keys) == 0 {
		fmt.Fprintf(w, "  (none)\n")
	}
	for _, k := range info.Keys {
		fmt.Fprintf(w, "  %s  %-26s %-9s PIN %-6s touch %-6s %s  pub sha256 %s\n", k.Slot, k.Name, k.Alg, k.PINPolicy,
			k.Touch, k.Origin, k.PublicKeySHA256[:16])
	}
	fmt.Fprintf(w, "Data objects (%d of %d bytes):\n", info.ObjectBytes, info.ObjectCapacity)
	for _, o := range info.Objects {
		fmt.Fprintf(w, "  %-6s %-45s %5d bytes", o.Tag, o.Name, o.Size)
		if o.Certificate != "" {
			fmt.Fprintf(w, "  %s", o.Certificate)
		}
		fmt.Fprintln(w)
	}
}

func cmdServe(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pivcard serve", flag.ContinueOnError)
	state := fs.String("state", "", "state file (created if it does not exist; required)")
	addr := fs.String("vpcd", "127.0.0.1:35963", "address of the vpcd reader driver of pcscd")
	trace := fs.Bool("trace", false, "print every APDU exchange in hex to stderr (secrets redacted)")
	verbose := fs.Bool("v", false, "log connection events at debug level")
	var cf cardFlags
	cf.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *state == "" {
		return usageError{"serve: --state is required"}
	}
	opts, err := cf.options()
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	card, created, err := vcard.OpenOrCreate(*state, opts)
	if err != nil {
		return err
	}
	info := card.Info()
	logger.Info("card ready", "serial", info.Serial, "state", *state, "created", created, "vpcd", *addr)

	var served vpcd.Card = card
	if *trace {
		served = newTracedCard(card, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client := &vpcd.Client{Addr: *addr, Card: served, Logger: logger}
	if err := client.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// tracedCard prints every exchange with the secrets redacted.
type tracedCard struct {
	*vcard.Card
	tr *apdu.TraceTransport
}

func newTracedCard(card *vcard.Card, w io.Writer) *tracedCard {
	red := new(piv.Redactor)
	return &tracedCard{Card: card, tr: apdu.NewTraceTransport(card, red.Format, w)}
}

// Transmit passes the command to the card through the trace.
func (t *tracedCard) Transmit(cmd []byte) ([]byte, error) { return t.tr.Transmit(cmd) }
