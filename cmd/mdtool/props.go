package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/cardmod/cardmod/spec"
)

// propFlag is one dwFlags value a property is read with.
type propFlag struct {
	value uint32
	label string
}

// propSpec describes a card property for mdtool props.
type propSpec struct {
	constName string // CP_CARD_FREE_SPACE
	name      string // "Free Space", what CardGetProperty takes
	// flags lists the dwFlags values to read the property with; nil means 0. perPIN reads it
	// once per PIN of CP_CARD_LIST_PINS instead.
	flags     []propFlag
	perPIN    bool
	writeOnly bool
	decode    func(b []byte) (value any, text string, err error)
}

// cardProperties is every property of the minidriver specification.
func cardProperties() []propSpec {
	keySpecs := []propFlag{}
	for _, ks := range []spec.KeySpec{spec.ATKeyExchange, spec.ATSignature, spec.ATECDSAP256, spec.ATECDSAP384,
		spec.ATECDSAP521, spec.ATECDHEP256, spec.ATECDHEP384, spec.ATECDHEP521} {
		keySpecs = append(keySpecs, propFlag{uint32(ks), ks.String()})
	}
	ops := []propFlag{{spec.CardAsymmetricOperation, "CARD_ASYMMETRIC_OPERATION"}, {spec.CardCipherOperation, "CARD_CIPHER_OPERATION"}}
	return []propSpec{
		{constName: "CP_CARD_FREE_SPACE", name: spec.CPCardFreeSpace, decode: decodeFreeSpace},
		{constName: "CP_CARD_CAPABILITIES", name: spec.CPCardCapabilities, decode: decodeCapabilities},
		{constName: "CP_CARD_KEYSIZES", name: spec.CPCardKeySizes, flags: keySpecs, decode: decodeKeySizes},
		{constName: "CP_CARD_READ_ONLY", name: spec.CPCardReadOnly, decode: decodeBool},
		{constName: "CP_CARD_CACHE_MODE", name: spec.CPCardCacheMode, decode: decodeCacheMode},
		{constName: "CP_SUPPORTS_WIN_X509_ENROLLMENT", name: spec.CPSupportsWinX509Enrollment, decode: decodeBool},
		{constName: "CP_CARD_GUID", name: spec.CPCardGUID, decode: decodeHex},
		{constName: "CP_CARD_SERIAL_NO", name: spec.CPCardSerialNo, decode: decodeString},
		{constName: "CP_CARD_PIN_INFO", name: spec.CPCardPINInfo, perPIN: true},
		{constName: "CP_CARD_LIST_PINS", name: spec.CPCardListPINs, decode: decodePINSet},
		{constName: "CP_CARD_AUTHENTICATED_STATE", name: spec.CPCardAuthenticatedState, decode: decodePINSet},
		{constName: "CP_CARD_PIN_STRENGTH_VERIFY", name: spec.CPCardPINStrengthVerify, perPIN: true, decode: decodePINStrength},
		{constName: "CP_CARD_PIN_STRENGTH_CHANGE", name: spec.CPCardPINStrengthChange, perPIN: true, decode: decodePINStrength},
		{constName: "CP_CARD_PIN_STRENGTH_UNBLOCK", name: spec.CPCardPINStrengthUnblock, perPIN: true, decode: decodePINStrength},
		{constName: "CP_PARENT_WINDOW", name: spec.CPParentWindow, writeOnly: true},
		{constName: "CP_PIN_CONTEXT_STRING", name: spec.CPPINContextString, writeOnly: true},
		{constName: "CP_KEY_IMPORT_SUPPORT", name: spec.CPKeyImportSupport, decode: decodeKeyImport},
		{constName: "CP_ENUM_ALGORITHMS", name: spec.CPEnumAlgorithms, flags: ops, decode: decodeMultiString},
		{constName: "CP_PADDING_SCHEMES", name: spec.CPPaddingSchemes, flags: ops, decode: decodePaddings},
		{constName: "CP_CHAINING_MODES", name: spec.CPChainingModes, decode: decodeMultiString},
	}
}

func dwordOf(b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%d bytes, want a DWORD", len(b))
	}
	return binary.LittleEndian.Uint32(b), nil
}

func decodeFreeSpace(b []byte) (any, string, error) {
	f, err := spec.ParseFreeSpaceInfo(b)
	if err != nil {
		return nil, "", err
	}
	v := map[string]uint32{"bytes_available": f.BytesAvailable, "key_containers_available": f.KeyContainersAvailable,
		"max_key_containers": f.MaxKeyContainers}
	return v, fmt.Sprintf("%s bytes and %s containers available, at most %d containers", unknownOr(f.BytesAvailable),
		unknownOr(f.KeyContainersAvailable), f.MaxKeyContainers), nil
}

// unknownOr prints a free-space field, CARD_DATA_VALUE_UNKNOWN as "unknown".
func unknownOr(v uint32) string {
	if v == spec.CardDataValueUnknown {
		return "unknown"
	}
	return strconv.FormatUint(uint64(v), 10)
}

func decodeCapabilities(b []byte) (any, string, error) {
	c, err := spec.ParseCardCapabilities(b)
	if err != nil {
		return nil, "", err
	}
	return map[string]bool{"certificate_compression": c.CertificateCompression, "key_gen": c.KeyGen},
		fmt.Sprintf("fCertificateCompression %v (the minidriver stores certificates itself), fKeyGen %v", c.CertificateCompression, c.KeyGen), nil
}

func decodeKeySizes(b []byte) (any, string, error) {
	k, err := spec.ParseKeySizes(b)
	if err != nil {
		return nil, "", err
	}
	return map[string]uint32{"minimum": k.Minimum, "default": k.Default, "maximum": k.Maximum, "incremental": k.Incremental},
		fmt.Sprintf("%d..%d bits, default %d, step %d", k.Minimum, k.Maximum, k.Default, k.Incremental), nil
}

func decodeBool(b []byte) (any, string, error) {
	v, err := dwordOf(b)
	if err != nil {
		return nil, "", err
	}
	return v != 0, strconv.FormatBool(v != 0), nil
}

func decodeCacheMode(b []byte) (any, string, error) {
	v, err := dwordOf(b)
	if err != nil {
		return nil, "", err
	}
	return cacheModeName(v), cacheModeName(v), nil
}

func decodeHex(b []byte) (any, string, error) { return hexUpper(b), hexUpper(b), nil }

func decodeString(b []byte) (any, string, error) { return string(b), strconv.Quote(string(b)), nil }

func decodePINSet(b []byte) (any, string, error) {
	v, err := dwordOf(b)
	if err != nil {
		return nil, "", err
	}
	return pinSetIDs(spec.PINSet(v)), "PINs " + pinSetString(spec.PINSet(v)), nil
}

func decodePINStrength(b []byte) (any, string, error) {
	v, err := dwordOf(b)
	if err != nil {
		return nil, "", err
	}
	names := flagNames(v, []propFlag{{spec.CardPINStrengthPlaintext, "CARD_PIN_STRENGTH_PLAINTEXT"},
		{spec.CardPINStrengthSessionPIN, "CARD_PIN_STRENGTH_SESSION_PIN"}})
	return names, strings.Join(names, " | "), nil
}

func decodeKeyImport(b []byte) (any, string, error) {
	v, err := dwordOf(b)
	if err != nil {
		return nil, "", err
	}
	names := flagNames(v, []propFlag{{spec.CardKeyImportPlainText, "CARD_KEY_IMPORT_PLAIN_TEXT"},
		{spec.CardKeyImportRSAKeyEst, "CARD_KEY_IMPORT_RSA_KEYEST"}, {spec.CardKeyImportECCKeyEst, "CARD_KEY_IMPORT_ECC_KEYEST"},
		{spec.CardKeyImportSharedSymmetric, "CARD_KEY_IMPORT_SHARED_SYMMETRIC"}})
	if len(names) == 0 {
		return names, "none", nil
	}
	return names, strings.Join(names, " | "), nil
}

func decodePaddings(b []byte) (any, string, error) {
	v, err := dwordOf(b)
	if err != nil {
		return nil, "", err
	}
	names := flagNames(v, []propFlag{{spec.CardPaddingNone, "CARD_PADDING_NONE"}, {spec.CardPaddingPKCS1, "CARD_PADDING_PKCS1"},
		{spec.CardPaddingPSS, "CARD_PADDING_PSS"}, {spec.CardPaddingOAEP, "CARD_PADDING_OAEP"}})
	if len(names) == 0 {
		return names, "none", nil
	}
	return names, strings.Join(names, " | "), nil
}

func decodeMultiString(b []byte) (any, string, error) {
	l, err := spec.ParseMultiStringUTF16(b)
	if err != nil {
		return nil, "", err
	}
	if l == nil {
		l = []string{}
	}
	if len(l) == 0 {
		return l, "none", nil
	}
	return l, strings.Join(l, ", "), nil
}

// flagNames lists the names of the bits set in v (unknown bits in hex).
func flagNames(v uint32, known []propFlag) []string {
	names := []string{}
	for _, f := range known {
		if v&f.value != 0 {
			names = append(names, f.label)
			v &^= f.value
		}
	}
	if v != 0 {
		names = append(names, fmt.Sprintf("%#x", v))
	}
	return names
}

// propValue is one property read (JSON form of mdtool props).
type propValue struct {
	Constant string `json:"constant"`
	Name     string `json:"name"`
	Flags    uint32 `json:"flags"`
	FlagName string `json:"flag_name,omitempty"`
	Value    any    `json:"value,omitempty"`
	Text     string `json:"text"`
	Raw      string `json:"raw,omitempty"`
	Error    string `json:"error,omitempty"`
}

// readProperties reads every property with every flags value that applies.
func (s *session) readProperties() ([]propValue, error) {
	list, err := s.propertyDWORD(spec.CPCardListPINs, 0)
	if err != nil {
		return nil, err
	}
	var pins []propFlag
	for _, id := range spec.PINSet(list).IDs() {
		pins = append(pins, propFlag{uint32(id), fmt.Sprintf("PIN %d", id)})
	}
	var out []propValue
	for _, p := range cardProperties() {
		flags := p.flags
		switch {
		case p.perPIN:
			flags = pins
		case flags == nil:
			flags = []propFlag{{0, ""}}
		}
		for _, f := range flags {
			pv := propValue{Constant: p.constName, Name: p.name, Flags: f.value, FlagName: f.label}
			if p.writeOnly {
				pv.Text = "(write-only)"
				out = append(out, pv)
				continue
			}
			raw, err := s.getProperty(p.name, f.value)
			if err != nil {
				pv.Error = err.Error()
				pv.Text = "error: " + err.Error()
				out = append(out, pv)
				continue
			}
			pv.Raw = hex.EncodeToString(raw)
			decode := p.decode
			if p.name == spec.CPCardPINInfo {
				id := spec.PINID(f.value)
				decode = func(b []byte) (any, string, error) {
					info, err := spec.ParsePINInfo(b)
					if err != nil {
						return nil, "", err
					}
					d := decodePINInfo(id, info)
					return d, d.String(), nil
				}
			}
			if v, text, err := decode(raw); err != nil {
				pv.Error, pv.Text = err.Error(), "undecodable: "+err.Error()
			} else {
				pv.Value, pv.Text = v, text
			}
			out = append(out, pv)
		}
	}
	return out, nil
}

func (a *app) cmdProps(args []string) error {
	if len(args) > 0 && args[0] == "get" {
		return a.propsGet(args[1:])
	}
	fs := a.newFlagSet("props")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := a.open()
	if err != nil {
		return err
	}
	props, err := s.readProperties()
	if err != nil {
		return s.finish(err)
	}
	if err := s.close(); err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(props)
	}
	labels := make([]string, len(props))
	width := 0
	for i, p := range props {
		labels[i] = p.Constant
		if p.FlagName != "" {
			labels[i] += " [" + p.FlagName + "]"
		}
		width = max(width, len(labels[i]))
	}
	for i, p := range props {
		fmt.Fprintf(a.stdout, "%-*s  %s\n", width, labels[i], p.Text)
	}
	return nil
}

// propertyName resolves NAME of props get: a constant (CP_CARD_PIN_INFO) or a property string
// ("PIN Information"), case-insensitively; anything else is passed to the minidriver as given.
func propertyName(n string) string {
	for _, p := range cardProperties() {
		if strings.EqualFold(n, p.constName) || strings.EqualFold(n, p.name) {
			return p.name
		}
	}
	return n
}

func (a *app) propsGet(args []string) error {
	fs := a.newFlagSet("props get")
	var flags uint32
	fs.Func("flags", "dwFlags (decimal or 0x hex): the PIN id, key spec or operation", func(v string) error {
		n, err := strconv.ParseUint(v, 0, 32)
		if err != nil {
			return fmt.Errorf("not a 32-bit number")
		}
		flags = uint32(n)
		return nil
	})
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	name := propertyName(pos[0])
	s, err := a.open()
	if err != nil {
		return err
	}
	raw, err := s.getProperty(name, flags)
	if err != nil {
		return s.finish(err)
	}
	if err := s.close(); err != nil {
		return err
	}
	if a.opts.json {
		return a.writeJSON(struct {
			Name  string `json:"name"`
			Flags uint32 `json:"flags"`
			Raw   string `json:"raw"`
		}{name, flags, hex.EncodeToString(raw)})
	}
	fmt.Fprintln(a.stdout, hex.EncodeToString(raw))
	return nil
}
