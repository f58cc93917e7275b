package engine

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/cardmod/cardmod/spec"
)

// propState holds the properties the caller set.
type propState struct {
	parentWindow  uintptr
	pinContext    string
	hasPINContext bool
}

// capabilities is CARD_CAPABILITIES: certificates are stored as DER in the PIV objects, so the
// minidriver handles compression itself (fCertificateCompression TRUE: the CSP must not
// compress); keys are generated on the card.
func capabilities() spec.CardCapabilities {
	return spec.CardCapabilities{Version: spec.CardCapabilitiesCurrentVersion, CertificateCompression: true, KeyGen: true}
}

// QueryCapabilities is CardQueryCapabilities; version is what the caller set in dwVersion.
func (c *Context) QueryCapabilities(version uint32) (spec.CardCapabilities, error) {
	const fn = "CardQueryCapabilities"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return spec.CardCapabilities{}, err
	}
	defer unlock()
	if err := checkStructVersion(fn, version, spec.CardCapabilitiesCurrentVersion); err != nil {
		return spec.CardCapabilities{}, err
	}
	return capabilities(), nil
}

func dword(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func boolDword(b bool) []byte {
	if b {
		return dword(1)
	}
	return dword(0)
}

// pinInfo is PIN_INFO of a PIN of the PIV mapping.
func pinInfo(fn string, id spec.PINID) (spec.PINInfo, error) {
	info := spec.PINInfo{Version: spec.PINInfoCurrentVersion,
		CachePolicy: spec.PINCachePolicy{Version: spec.PINCachePolicyCurrentVersion, Type: spec.PinCacheNormal}}
	switch id {
	case spec.RoleUser:
		info.PinType, info.PinPurpose = spec.AlphaNumericPinType, spec.AuthenticationPin
		info.ChangePermission = spec.CreatePINSet(spec.RoleUser)
		info.UnblockPermission = spec.CreatePINSet(pinPUK)
	case pinSign:
		info.PinType, info.PinPurpose = spec.AlphaNumericPinType, spec.DigitalSignaturePin
		info.ChangePermission = spec.CreatePINSet(pinSign)
		info.UnblockPermission = spec.CreatePINSet(pinPUK)
		info.CachePolicy.Type = spec.PinCacheAlwaysPrompt
	case spec.RoleAdmin:
		info.PinType, info.PinPurpose = spec.ChallengeResponsePinType, spec.AdministratorPin
		info.ChangePermission = spec.CreatePINSet(spec.RoleAdmin)
	case pinPUK:
		info.PinType, info.PinPurpose = spec.AlphaNumericPinType, spec.UnblockOnlyPin
		info.ChangePermission = spec.CreatePINSet(pinPUK)
	default:
		return info, errf(spec.SCardEInvalidParameter, "%s: PIN %d is not used by this card", fn, id)
	}
	return info, nil
}

// GetProperty is CardGetProperty: the property's value as the bytes the caller's buffer receives
// (the C ABI copies them and answers ERROR_INSUFFICIENT_BUFFER when they do not fit).
func (c *Context) GetProperty(name string, flags uint32) ([]byte, error) {
	const fn = "CardGetProperty"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	noFlags := func() error { return checkFlagsZero(fn+" "+name, flags) }
	switch name {
	case spec.CPCardFreeSpace:
		if err := noFlags(); err != nil {
			return nil, err
		}
		fs, err := c.freeSpace()
		if err != nil {
			return nil, err
		}
		return fs.MarshalBinary(), nil
	case spec.CPCardCapabilities:
		if err := noFlags(); err != nil {
			return nil, err
		}
		return capabilities().MarshalBinary(), nil
	case spec.CPCardKeySizes:
		ks, err := keySizes(fn, spec.KeySpec(flags))
		if err != nil {
			return nil, err
		}
		return ks.MarshalBinary(), nil
	case spec.CPCardReadOnly:
		if err := noFlags(); err != nil {
			return nil, err
		}
		return boolDword(false), nil
	case spec.CPCardCacheMode:
		if err := noFlags(); err != nil {
			return nil, err
		}
		return dword(spec.CPCacheModeGlobalCache), nil
	case spec.CPSupportsWinX509Enrollment:
		if err := noFlags(); err != nil {
			return nil, err
		}
		return boolDword(true), nil
	case spec.CPCardGUID:
		if err := noFlags(); err != nil {
			return nil, err
		}
		g, err := c.ensureGUID()
		if err != nil {
			return nil, err
		}
		return append([]byte(nil), g...), nil
	case spec.CPCardSerialNo:
		if err := noFlags(); err != nil {
			return nil, err
		}
		c.ensureInfo()
		if c.card.serial != 0 {
			return []byte(strconv.FormatUint(uint64(c.card.serial), 10)), nil
		}
		g, err := c.ensureGUID()
		if err != nil {
			return nil, err
		}
		return []byte(fmt.Sprintf("%X", g)), nil
	case spec.CPCardPINInfo:
		info, err := pinInfo(fn, spec.PINID(flags))
		if err != nil {
			return nil, err
		}
		return info.MarshalBinary(), nil
	case spec.CPCardListPINs:
		if err := noFlags(); err != nil {
			return nil, err
		}
		return dword(uint32(pinsInUse)), nil
	case spec.CPCardAuthenticatedState:
		if err := noFlags(); err != nil {
			return nil, err
		}
		set, err := c.authenticatedSet()
		if err != nil {
			return nil, err
		}
		return dword(uint32(set)), nil
	case spec.CPCardPINStrengthVerify, spec.CPCardPINStrengthChange, spec.CPCardPINStrengthUnblock:
		info, err := pinInfo(fn, spec.PINID(flags))
		if err != nil {
			return nil, err
		}
		strength := spec.CardPINStrengthPlaintext
		if name == spec.CPCardPINStrengthVerify && info.PinType == spec.AlphaNumericPinType && info.PinPurpose != spec.UnblockOnlyPin {
			strength |= spec.CardPINStrengthSessionPIN
		}
		return dword(strength), nil
	case spec.CPKeyImportSupport:
		if err := noFlags(); err != nil {
			return nil, err
		}
		return dword(0), nil
	case spec.CPEnumAlgorithms:
		switch flags {
		case spec.CardAsymmetricOperation:
			return spec.MultiStringUTF16([]string{"RSA", "ECDSA_P256", "ECDSA_P384", "ECDH_P256", "ECDH_P384"}), nil
		case spec.CardCipherOperation:
			return spec.MultiStringUTF16(nil), nil
		}
		return nil, errf(spec.SCardEInvalidParameter, "%s %s: flags %#x", fn, name, flags)
	case spec.CPPaddingSchemes:
		switch flags {
		case spec.CardAsymmetricOperation:
			return dword(spec.CardPaddingPKCS1 | spec.CardPaddingPSS | spec.CardPaddingOAEP), nil
		case spec.CardCipherOperation:
			return dword(0), nil
		}
		return nil, errf(spec.SCardEInvalidParameter, "%s %s: flags %#x", fn, name, flags)
	case spec.CPChainingModes:
		if flags != 0 && flags != spec.CardCipherOperation {
			return nil, errf(spec.SCardEInvalidParameter, "%s %s: flags %#x", fn, name, flags)
		}
		return spec.MultiStringUTF16(nil), nil
	case spec.CPParentWindow, spec.CPPINContextString:
		return nil, errf(spec.SCardEInvalidParameter, "%s: %q is write-only", fn, name)
	}
	return nil, errf(spec.SCardEInvalidParameter, "%s: unknown property %q", fn, name)
}

// SetProperty is CardSetProperty. Everyone may set the parent window and the PIN context string;
// the card is read-only to Windows until enrollment support exists, so the admin properties are
// refused.
func (c *Context) SetProperty(name string, data []byte, flags uint32) error {
	const fn = "CardSetProperty"
	unlock, err := c.enter(fn, false)
	if err != nil {
		return err
	}
	defer unlock()
	switch name {
	case spec.CPParentWindow:
		if err := checkFlagsZero(fn, flags); err != nil {
			return err
		}
		if len(data) != 4 && len(data) != 8 {
			return errf(spec.SCardEInvalidParameter, "%s: a window handle of %d bytes", fn, len(data))
		}
		var h uint64
		if len(data) == 8 {
			h = binary.LittleEndian.Uint64(data)
		} else {
			h = uint64(binary.LittleEndian.Uint32(data))
		}
		c.props.parentWindow = uintptr(h)
		return nil
	case spec.CPPINContextString:
		if err := checkFlagsZero(fn, flags); err != nil {
			return err
		}
		if data == nil {
			c.props.pinContext, c.props.hasPINContext = "", false
			return nil
		}
		s, err := spec.StringFromUTF16LE(data)
		if err != nil {
			return errf(spec.SCardEInvalidParameter, "%s: PIN context string: %v", fn, err)
		}
		c.props.pinContext, c.props.hasPINContext = s, true
		return nil
	case spec.CPCardFreeSpace, spec.CPCardCapabilities, spec.CPCardKeySizes, spec.CPCardListPINs,
		spec.CPCardAuthenticatedState, spec.CPKeyImportSupport, spec.CPEnumAlgorithms, spec.CPPaddingSchemes,
		spec.CPChainingModes, spec.CPCardPINStrengthChange, spec.CPCardPINStrengthUnblock:
		return errf(spec.SCardEUnsupportedFeature, "%s: %q is read-only", fn, name)
	case spec.CPCardReadOnly, spec.CPCardCacheMode, spec.CPSupportsWinX509Enrollment, spec.CPCardGUID,
		spec.CPCardSerialNo, spec.CPCardPINInfo, spec.CPCardPINStrengthVerify:
		return errf(spec.SCardEUnsupportedFeature, "%s: %q cannot be changed on this card", fn, name)
	}
	return errf(spec.SCardEUnsupportedFeature, "%s: unknown property %q", fn, name)
}
