// Package packaging generates the Windows installation files of the cardmod
// minidriver (an INF, a .reg file and a WiX source for an MSI) from one table
// of supported cards, so that the three never drift apart.
//
// `go run ./packaging/gen` writes build/packaging/{cardmod.inf,cardmod.reg,cardmod.wxs};
// the Makefile targets `packaging`, `msi` and `sign` build on it.
package packaging

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Card is one supported card: the name of its key under Calais\SmartCards,
// its ATR and the mask Windows applies to a card's ATR before comparing.
type Card struct {
	Name    string
	ATR     []byte
	ATRMask []byte
}

// Cards is the single source of the supported cards. Every ATR ends in a
// correct TCK (the XOR of T0..TCK is zero); TestCardTable checks it.
//
// Notes on the values:
//   - cardmod virtual PIV: 3B 8B 80 01 "cardmod-piv" TCK. TCK computed = 0x3A
//     (the same ATR as vcard.ATR()).
//   - YubiKey 5: historical bytes 80 73 C0 21 C0 57 "YubiKey" (COMPACT-TLV,
//     as sent over CCID); TCK 0x40 checks.
//   - YubiKey 4: historical bytes "Yubikey4"; TCK 0xD4 checks.
//   - YubiKey NEO: historical bytes "YubikeyNEOr3"; TCK 0xE1 checks.
var Cards = []Card{
	{Name: "cardmod virtual PIV", ATR: mustHex("3B 8B 80 01 63 61 72 64 6D 6F 64 2D 70 69 76 3A")},
	{Name: "YubiKey 5 (cardmod)", ATR: mustHex("3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 40")},
	{Name: "YubiKey 4 (cardmod)", ATR: mustHex("3B F8 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 34 D4")},
	{Name: "YubiKey NEO (cardmod)", ATR: mustHex("3B FC 13 00 00 81 31 FE 15 59 75 62 69 6B 65 79 4E 45 4F 72 33 E1")},
}

func init() {
	// All masks are all-FF (exact match) unless a card says otherwise.
	for i := range Cards {
		if Cards[i].ATRMask == nil {
			Cards[i].ATRMask = allFF(len(Cards[i].ATR))
		}
	}
}

// Registry and file names shared by every generated file.
const (
	// DLLName is the name under which both DLLs are installed (System32 and
	// SysWOW64 on x64, System32 on x86) and the "80000001" value of every card.
	DLLName = "cardmod.dll"
	// DLL64 and DLL32 are the build outputs (make dll) the packages take.
	DLL64 = "cardmod64.dll"
	DLL32 = "cardmod32.dll"

	// SmartCardsKey is the key under HKLM holding one subkey per card.
	SmartCardsKey = `SOFTWARE\Microsoft\Cryptography\Calais\SmartCards`
	// SmartCardsKeyWOW64 is the same key in the 32-bit view of a 64-bit system.
	SmartCardsKeyWOW64 = `SOFTWARE\Wow6432Node\Microsoft\Cryptography\Calais\SmartCards`

	ValueModule        = "80000001"
	ValueATR           = "ATR"
	ValueATRMask       = "ATRMask"
	ValueCSP           = "Crypto Provider"
	ValueKSP           = "Smart Card Key Storage Provider"
	CryptoProvider     = "Microsoft Base Smart Card Crypto Provider"
	KeyStorageProvider = "Microsoft Smart Card Key Storage Provider"

	// SettingsKey (under HKLM, 64-bit view) holds the minidriver's settings, read by both DLLs;
	// ValueMgmKeyPolicy (REG_SZ: protect, refuse or keep) is the management key policy
	// (README.md, "Management key policy"; cabi/dll reads it).
	SettingsKey       = `SOFTWARE\cardmod`
	ValueMgmKeyPolicy = "MgmKeyPolicy"
	// DefaultMgmKeyPolicy is the policy when nothing is set.
	DefaultMgmKeyPolicy = "protect"

	// SmartCardClassGUID is the SmartCard device setup class.
	SmartCardClassGUID = "{990A2BD7-E738-46c7-B26F-1CF8FB9F1391}"

	Manufacturer = "cardmod"
	ProductName  = "cardmod smart card minidriver"
	HelpURL      = "https://github.com/cardmod/cardmod"

	// UpgradeCode identifies the product across versions (MajorUpgrade). Never change it.
	UpgradeCode = "{5E0A6C2B-8C3D-4F6E-9A51-3B7D2C4E8F10}"
)

// Validate checks the card's ATR structure, TCK and mask.
func (c Card) Validate() error {
	if c.Name == "" || strings.ContainsAny(c.Name, `\"%;[]`+"\r\n") {
		return fmt.Errorf("card name %q is empty or has a character INF/.reg files cannot carry", c.Name)
	}
	if len(c.ATRMask) != len(c.ATR) {
		return fmt.Errorf("%s: ATRMask has %d bytes, ATR %d", c.Name, len(c.ATRMask), len(c.ATR))
	}
	for i := range c.ATR {
		if c.ATR[i]&^c.ATRMask[i] != 0 {
			return fmt.Errorf("%s: ATR byte %d (%02X) has bits outside the mask (%02X): Windows would never match it", c.Name, i, c.ATR[i], c.ATRMask[i])
		}
	}
	p, err := ParseATR(c.ATR)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	if p.HasTCK {
		if x := TCK(c.ATR[:len(c.ATR)-1]); x != c.ATR[len(c.ATR)-1] {
			return fmt.Errorf("%s: TCK is %02X, want %02X", c.Name, c.ATR[len(c.ATR)-1], x)
		}
	}
	return nil
}

// CID returns the Plug and Play hardware id Windows gives the card when it
// has no Windows Card ID (GET DATA 7F68) and no EF.ATR: SCFILTER\CID_
// followed by the hex of all the ATR's historical bytes (the smart card
// discovery process uses "all historical bytes"; see the README).
func (c Card) CID() string {
	p, err := ParseATR(c.ATR)
	if err != nil {
		panic(err) // Cards is checked by TestCardTable
	}
	return `SCFILTER\CID_` + strings.ToUpper(hex.EncodeToString(p.Historical))
}

// TCK returns the check byte for an ATR without its TCK: the XOR of every
// byte after TS.
func TCK(atrWithoutTCK []byte) byte {
	var x byte
	for _, b := range atrWithoutTCK[1:] {
		x ^= b
	}
	return x
}

// ParsedATR is the structure of an ATR (ISO/IEC 7816-3 §8.2).
type ParsedATR struct {
	Historical []byte
	// HasTCK is true when a protocol other than T=0 is indicated, which makes TCK mandatory.
	HasTCK bool
}

// ParseATR splits an ATR into its parts and checks its length.
func ParseATR(atr []byte) (ParsedATR, error) {
	if len(atr) < 2 {
		return ParsedATR{}, errors.New("ATR shorter than TS T0")
	}
	if atr[0] != 0x3B && atr[0] != 0x3F {
		return ParsedATR{}, fmt.Errorf("TS %02X is neither 3B nor 3F", atr[0])
	}
	k := int(atr[1] & 0x0F)
	y := atr[1] >> 4
	i := 2
	var p ParsedATR
	for n := 1; ; n++ {
		for bit := byte(1); bit <= 4; bit <<= 1 { // TAi TBi TCi
			if y&bit != 0 {
				i++
			}
		}
		if y&8 == 0 {
			break
		}
		if i >= len(atr) {
			return ParsedATR{}, errors.New("ATR truncated in the interface bytes")
		}
		td := atr[i]
		i++
		if td&0x0F != 0 {
			p.HasTCK = true
		}
		y = td >> 4
	}
	if i+k > len(atr) {
		return ParsedATR{}, errors.New("ATR truncated in the historical bytes")
	}
	p.Historical = atr[i : i+k]
	i += k
	want := i
	if p.HasTCK {
		want++
	}
	if len(atr) != want {
		return ParsedATR{}, fmt.Errorf("ATR is %d bytes, its structure says %d", len(atr), want)
	}
	return p, nil
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func allFF(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xFF
	}
	return b
}
