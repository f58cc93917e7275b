package main

import (
	"crypto"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/cardmod/cardmod/spec"
)

// cardInfo is the answer of mdtool info.
type cardInfo struct {
	Card          string        `json:"card"`
	ATR           string        `json:"atr"`
	CardName      string        `json:"card_name"`
	Known         bool          `json:"known"`
	Version       uint32        `json:"version"`
	CardID        string        `json:"cardid"`
	Serial        string        `json:"serial"`
	CacheMode     string        `json:"cache_mode"`
	ReadOnly      bool          `json:"read_only"`
	PINs          []pinInfoJSON `json:"pins"`
	Capabilities  capsJSON      `json:"capabilities"`
	FreeSpace     freeJSON      `json:"free_space"`
	Containers    int           `json:"containers"`
	APDUs         int           `json:"apdus"`
	BytesSent     int           `json:"bytes_sent"`
	BytesReceived int           `json:"bytes_received"`
}

type capsJSON struct {
	CertificateCompression bool `json:"certificate_compression"`
	KeyGen                 bool `json:"key_gen"`
}

type freeJSON struct {
	BytesAvailable         uint32 `json:"bytes_available"`
	KeyContainersAvailable uint32 `json:"key_containers_available"`
	MaxKeyContainers       uint32 `json:"max_key_containers"`
}

// readInfo gathers what mdtool info shows.
func (s *session) readInfo() (cardInfo, error) {
	ci := cardInfo{Card: s.conn.desc, ATR: hexUpper(s.conn.atr), Version: s.ctx.Version()}
	ci.CardName, ci.Known = s.module.KnownATR(s.conn.atr)
	id, err := s.readFile("", spec.FileCardIdentifier)
	if err != nil {
		return ci, err
	}
	ci.CardID = hexUpper(id)
	serial, err := s.getProperty(spec.CPCardSerialNo, 0)
	if err != nil {
		return ci, err
	}
	ci.Serial = string(serial)
	mode, err := s.propertyDWORD(spec.CPCardCacheMode, 0)
	if err != nil {
		return ci, err
	}
	ci.CacheMode = cacheModeName(mode)
	ro, err := s.propertyDWORD(spec.CPCardReadOnly, 0)
	if err != nil {
		return ci, err
	}
	ci.ReadOnly = ro != 0
	list, err := s.propertyDWORD(spec.CPCardListPINs, 0)
	if err != nil {
		return ci, err
	}
	for _, pid := range spec.PINSet(list).IDs() {
		raw, err := s.getProperty(spec.CPCardPINInfo, uint32(pid))
		if err != nil {
			return ci, err
		}
		pi, err := spec.ParsePINInfo(raw)
		if err != nil {
			return ci, fmt.Errorf("PIN_INFO of PIN %d: %w", pid, err)
		}
		ci.PINs = append(ci.PINs, decodePINInfo(pid, pi))
	}
	var caps spec.CardCapabilities
	if err := s.call("CardQueryCapabilities", func() error {
		var err error
		caps, err = s.ctx.QueryCapabilities(spec.CardCapabilitiesCurrentVersion)
		return err
	}); err != nil {
		return ci, err
	}
	ci.Capabilities = capsJSON{caps.CertificateCompression, caps.KeyGen}
	var free spec.FreeSpaceInfo
	if err := s.call("CardQueryFreeSpace", func() error {
		var err error
		free, err = s.ctx.QueryFreeSpace(0)
		return err
	}); err != nil {
		return ci, err
	}
	ci.FreeSpace = freeJSON{free.BytesAvailable, free.KeyContainersAvailable, free.MaxKeyContainers}
	cmap, err := s.readFile(spec.DirBaseCSP, spec.FileContainerMap)
	if err != nil {
		return ci, err
	}
	recs, err := spec.ParseContainerMap(cmap)
	if err != nil {
		return ci, fmt.Errorf("cmapfile: %w", err)
	}
	for _, r := range recs {
		if r.Valid() {
			ci.Containers++
		}
	}
	st := s.stats()
	ci.APDUs, ci.BytesSent, ci.BytesReceived = st.Commands, st.BytesSent, st.BytesReceived
	return ci, nil
}

func (a *app) cmdInfo(args []string) error {
	fs := a.newFlagSet("info")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := a.open()
	if err != nil {
		return err
	}
	ci, err := s.readInfo()
	if err != nil {
		return s.finish(err)
	}
	if err := s.close(); err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(ci)
	}
	w := a.stdout
	name := ci.CardName
	if !ci.Known {
		name = "(not a card this minidriver knows)"
	}
	fmt.Fprintf(w, "Card:              %s\n", ci.Card)
	fmt.Fprintf(w, "ATR:               %s\n", ci.ATR)
	fmt.Fprintf(w, "Card name:         %s\n", name)
	fmt.Fprintf(w, "CARD_DATA version: %d (negotiated)\n", ci.Version)
	fmt.Fprintf(w, "cardid (GUID):     %s\n", ci.CardID)
	fmt.Fprintf(w, "Serial number:     %s\n", ci.Serial)
	fmt.Fprintf(w, "Cache mode:        %s\n", ci.CacheMode)
	fmt.Fprintf(w, "Read-only:         %v\n", ci.ReadOnly)
	fmt.Fprintf(w, "Capabilities:      certificate compression by the minidriver %v, on-card key generation %v\n",
		ci.Capabilities.CertificateCompression, ci.Capabilities.KeyGen)
	fmt.Fprintf(w, "Free space:        %s bytes, %s containers available (at most %d containers)\n",
		unknownOr(ci.FreeSpace.BytesAvailable), unknownOr(ci.FreeSpace.KeyContainersAvailable), ci.FreeSpace.MaxKeyContainers)
	fmt.Fprintf(w, "Containers:        %d (mdtool containers)\n", ci.Containers)
	fmt.Fprintf(w, "PINs:\n")
	for _, p := range ci.PINs {
		fmt.Fprintf(w, "  %d %-40s %s\n", p.ID, p.Name, p)
	}
	fmt.Fprintf(w, "(%d APDUs, %d bytes sent, %d received)\n", ci.APDUs, ci.BytesSent, ci.BytesReceived)
	return nil
}

// containerJSON is one container of mdtool containers.
type containerJSON struct {
	Index           int       `json:"index"`
	Name            string    `json:"name"`
	Flags           int       `json:"flags"`
	Default         bool      `json:"default"`
	SigKeyBits      int       `json:"sig_key_bits"`
	KeyExKeyBits    int       `json:"keyex_key_bits"`
	KeySpec         string    `json:"key_spec"`
	KeySpecValue    uint32    `json:"key_spec_value"`
	Algorithm       string    `json:"algorithm"`
	Bits            int       `json:"bits"`
	PINID           uint32    `json:"pin_id"`
	Slot            string    `json:"slot,omitempty"` // the PIV slot (virtual card only)
	PublicKeySHA256 string    `json:"public_key_sha256"`
	PublicKeyPEM    string    `json:"public_key_pem"`
	CertFile        string    `json:"cert_file"`
	Certificate     *certJSON `json:"certificate,omitempty"`
}

type certJSON struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"`
	// KeyMatches says whether the certificate's public key is the container's.
	KeyMatches bool `json:"key_matches"`
}

func describeContainer(ct container) containerJSON {
	cj := containerJSON{Index: int(ct.Index), Name: ct.Record.Name(), Flags: int(ct.Record.Flags), Default: ct.Record.Default(),
		SigKeyBits: int(ct.Record.SigKeySizeBits), KeyExKeyBits: int(ct.Record.KeyExchangeKeySizeBits),
		KeySpec: ct.KeySpec.String(), KeySpecValue: uint32(ct.KeySpec), Algorithm: keyAlg(ct.Pub), Bits: ct.Bits,
		PINID: uint32(ct.PIN), PublicKeySHA256: fingerprint(ct.Pub), PublicKeyPEM: publicPEM(ct.Pub), CertFile: ct.CertFile}
	if c := ct.Cert; c != nil {
		sum := sha256Hex(ct.CertDER)
		match := false
		if k, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); ok {
			match = k.Equal(ct.Pub)
		}
		cj.Certificate = &certJSON{Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: hex.EncodeToString(c.SerialNumber.Bytes()),
			NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), SHA256: sum, KeyMatches: match}
	}
	return cj
}

func (a *app) cmdContainers(args []string) error {
	fs := a.newFlagSet("containers")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := a.open()
	if err != nil {
		return err
	}
	cts, err := s.containers(true)
	if err != nil {
		return s.finish(err)
	}
	if err := s.close(); err != nil {
		return err
	}
	out := []containerJSON{}
	for _, ct := range cts {
		cj := describeContainer(ct)
		cj.Slot = s.slotOf(ct.Pub)
		out = append(out, cj)
	}
	if a.opts.json {
		return a.writeJSON(out)
	}
	if len(out) == 0 {
		fmt.Fprintln(a.stdout, "no containers (cmapfile has no valid record)")
	}
	for _, c := range out {
		def := ""
		if c.Default {
			def = "  (default container)"
		}
		fmt.Fprintf(a.stdout, "container %d  %q%s\n", c.Index, c.Name, def)
		fmt.Fprintf(a.stdout, "  key:          %s %s, PIN %d %s\n", c.KeySpec, c.Algorithm, c.PINID, pinName(spec.PINID(c.PINID)))
		if c.Slot != "" {
			fmt.Fprintf(a.stdout, "  PIV slot:     %s (the virtual card's)\n", strings.ToUpper(c.Slot))
		}
		fmt.Fprintf(a.stdout, "  public key:   SHA-256 %s\n", c.PublicKeySHA256)
		if cert := c.Certificate; cert != nil {
			fmt.Fprintf(a.stdout, "  certificate:  %s  %s\n", c.CertFile, cert.Subject)
			fmt.Fprintf(a.stdout, "                issued by %s, valid %s to %s", cert.Issuer, cert.NotBefore.Format(time.DateOnly),
				cert.NotAfter.Format(time.DateOnly))
			if !cert.KeyMatches {
				fmt.Fprint(a.stdout, "  (WARNING: not the container's key)")
			}
			fmt.Fprintln(a.stdout)
		} else {
			fmt.Fprintf(a.stdout, "  certificate:  none (%s not found)\n", c.CertFile)
		}
	}
	return nil
}

// splitPath splits DIR/NAME; a bare NAME is in the root.
func splitPath(p string) (dir, name string) {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// fileJSON is one file of mdtool files ls.
type fileJSON struct {
	Name   string `json:"name"`
	Size   uint32 `json:"size"`
	Access string `json:"access"`
}

func (a *app) cmdFiles(args []string) error {
	if len(args) == 0 {
		return usageError{"files: ls, cat, put or rm?"}
	}
	switch args[0] {
	case "ls":
		return a.filesLs(args[1:])
	case "cat":
		return a.filesCat(args[1:])
	case "put":
		return a.filesPut(args[1:])
	case "rm":
		return a.filesRm(args[1:])
	}
	return usageError{fmt.Sprintf("files: unknown subcommand %q (ls, cat, put, rm)", args[0])}
}

func (a *app) filesLs(args []string) error {
	fs := a.newFlagSet("files ls")
	pos, err := parseArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	dir := ""
	if len(pos) == 1 {
		dir = strings.Trim(pos[0], "/")
	}
	s, err := a.open()
	if err != nil {
		return err
	}
	var names []string
	err = s.call("CardEnumFiles", func() error {
		buf, err := s.ctx.EnumFiles(dir, 0)
		if err != nil {
			return err
		}
		names = spec.ParseMultiStringANSI(s.owned(buf))
		return nil
	})
	if err != nil {
		return s.finish(fmt.Errorf("list %q: %w", dir, err))
	}
	files := []fileJSON{}
	for _, n := range names {
		var fi spec.FileInfo
		err := s.call("CardGetFileInfo", func() error {
			var err error
			fi, err = s.ctx.GetFileInfo(dir, n)
			return err
		})
		if spec.StatusOf(err) == spec.SCardWSecurityViolation {
			// A file only the user (or admin) may read: its size and access condition too.
			files = append(files, fileJSON{Name: n, Access: "(readable after the PIN only)"})
			continue
		}
		if err != nil {
			return s.finish(fmt.Errorf("%s: %w", filePath(dir, n), err))
		}
		files = append(files, fileJSON{n, fi.FileSize, fi.AccessCondition.String()})
	}
	dirs := []string{}
	if dir == "" {
		// The application directories are the records of cardapps.
		apps, err := s.readFile("", spec.FileCardApps)
		if err != nil {
			return s.finish(err)
		}
		for i := 0; i+spec.CardAppsRecordSize <= len(apps); i += spec.CardAppsRecordSize {
			if n := strings.TrimRight(string(apps[i:i+spec.CardAppsRecordSize]), "\x00"); n != "" {
				dirs = append(dirs, n)
			}
		}
	}
	if err := s.close(); err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(struct {
			Dir         string     `json:"dir"`
			Files       []fileJSON `json:"files"`
			Directories []string   `json:"directories"`
		}{dir, files, dirs})
	}
	for _, f := range files {
		fmt.Fprintf(a.stdout, "%-14s %6d  %s\n", filePath(dir, f.Name), f.Size, f.Access)
	}
	for _, d := range dirs {
		fmt.Fprintf(a.stdout, "%-14s %6s  (directory; mdtool files ls %s)\n", d+"/", "", d)
	}
	return nil
}

func (a *app) filesCat(args []string) error {
	fs := a.newFlagSet("files cat")
	asHex := fs.Bool("hex", false, "print hex instead of the raw bytes")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	dir, name := splitPath(strings.TrimPrefix(pos[0], "/"))
	s, err := a.open()
	if err != nil {
		return err
	}
	data, err := s.readFile(dir, name)
	if err != nil {
		return s.finish(err)
	}
	if err := s.close(); err != nil {
		return err
	}
	switch {
	case a.opts.json:
		return a.writeJSON(struct {
			Path string `json:"path"`
			Size int    `json:"size"`
			Hex  string `json:"hex"`
		}{filePath(dir, name), len(data), hex.EncodeToString(data)})
	case *asHex:
		_, err = fmt.Fprintln(a.stdout, hex.EncodeToString(data))
	default:
		_, err = a.stdout.Write(data)
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
