package vcard

import (
	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
)

// retriesSW is the status word of a failed verification: 63Cx with the tries left, or 6983 when
// none are left.
func retriesSW(remaining int) apdu.SW {
	if remaining <= 0 {
		return apdu.SWAuthMethodBlocked
	}
	if remaining > 15 {
		remaining = 15
	}
	return apdu.SW(0x63C0 | remaining)
}

// secretFor returns the PIN or PUK a key reference names.
func secretFor(s *State, ref byte) *Secret {
	switch ref {
	case piv.RefPIN:
		return &s.PIN
	case piv.RefPUK:
		return &s.PUK
	}
	return nil
}

// checkSecret compares a candidate against the PIN or PUK named by ref inside an update: a wrong
// value decrements the retry counter (and the decrement is saved); a right one refills it.
// It returns the status word to answer when the value is wrong or blocked, or 9000.
func (c *Card) checkSecret(ref byte, candidate []byte, then func(s *State) error) apdu.SW {
	if secretFor(c.st, ref).Remaining == 0 {
		return apdu.SWAuthMethodBlocked
	}
	sw := apdu.SWOK
	wrong := false
	err := c.update(func(s *State) error {
		sec := secretFor(s, ref)
		if !sec.matches(candidate) {
			wrong = true
			sec.Remaining--
			sw = retriesSW(sec.Remaining)
			return nil
		}
		sec.Remaining = sec.Retries
		if then != nil {
			return then(s)
		}
		return nil
	})
	if err != nil {
		if wrong {
			// Fail secure: a wrong value costs a try even when the new counter could not be
			// saved, so that a failing store never allows unlimited guesses.
			secretFor(c.st, ref).Remaining--
		}
		return swFor(err)
	}
	return sw
}

// counterFull reports whether the retry counter of ref is full, so that a successful check
// changes nothing and needs no save.
func (c *Card) counterFull(ref byte) bool {
	sec := secretFor(c.st, ref)
	return sec.Remaining == sec.Retries
}

// cmdVerify answers VERIFY of the PIV PIN (P2=80): with 8 bytes of data it checks the PIN; with
// no data it reports the status (9000 verified, 63Cx otherwise); with P1=FF and no data it resets
// the PIN's security status.
func (c *Card) cmdVerify(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0x00 && cmd.P1 != 0xFF {
		return nil, apdu.SWIncorrectP1P2
	}
	if cmd.P2 != piv.RefPIN {
		return nil, apdu.SWReferencedDataNotFound
	}
	if cmd.P1 == 0xFF {
		if len(cmd.Data) != 0 {
			return nil, apdu.SWWrongLength
		}
		c.pinVerified, c.pinFresh = false, false
		return nil, apdu.SWOK
	}
	if len(cmd.Data) == 0 {
		if c.pinVerified {
			return nil, apdu.SWOK
		}
		return nil, retriesSW(c.st.PIN.Remaining)
	}
	if len(cmd.Data) != 8 {
		return nil, apdu.SWWrongData
	}
	if c.st.PIN.Remaining > 0 && c.counterFull(piv.RefPIN) && c.st.PIN.matches(cmd.Data) {
		// Right PIN and nothing to refill: no state change, no save.
		c.pinVerified, c.pinFresh = true, true
		return nil, apdu.SWOK
	}
	sw := c.checkSecret(piv.RefPIN, cmd.Data, nil)
	c.pinVerified = sw == apdu.SWOK
	c.pinFresh = c.pinVerified
	return nil, sw
}

// cmdChangeReference answers CHANGE REFERENCE DATA for the PIN (P2=80) or the PUK (P2=81): data is
// the current value then the new one, 8 bytes each.
func (c *Card) cmdChangeReference(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0x00 {
		return nil, apdu.SWIncorrectP1P2
	}
	if cmd.P2 != piv.RefPIN && cmd.P2 != piv.RefPUK {
		return nil, apdu.SWReferencedDataNotFound
	}
	if len(cmd.Data) != 16 || !validPadded(cmd.Data[8:]) {
		return nil, apdu.SWWrongData
	}
	old, next := cmd.Data[:8], cmd.Data[8:]
	ref := cmd.P2
	sw := c.checkSecret(ref, old, func(s *State) error {
		salt, err := newSalt(c.rand)
		if err != nil {
			return err
		}
		def := DefaultPIN
		if ref == piv.RefPUK {
			def = DefaultPUK
		}
		dp, _ := padPIN(def)
		secretFor(s, ref).set(salt, next, string(dp[:]) == string(next))
		return nil
	})
	if ref == piv.RefPIN {
		c.pinVerified = sw == apdu.SWOK
		c.pinFresh = c.pinVerified
	}
	return nil, sw
}

// cmdResetRetryCounter answers RESET RETRY COUNTER of the PIN (P2=80): data is the PUK then the
// new PIN, 8 bytes each. A wrong PUK spends a PUK try.
func (c *Card) cmdResetRetryCounter(cmd apdu.Command) ([]byte, apdu.SW) {
	if cmd.P1 != 0x00 {
		return nil, apdu.SWIncorrectP1P2
	}
	if cmd.P2 != piv.RefPIN {
		return nil, apdu.SWReferencedDataNotFound
	}
	if len(cmd.Data) != 16 || !validPadded(cmd.Data[8:]) {
		return nil, apdu.SWWrongData
	}
	puk, next := cmd.Data[:8], cmd.Data[8:]
	sw := c.checkSecret(piv.RefPUK, puk, func(s *State) error {
		salt, err := newSalt(c.rand)
		if err != nil {
			return err
		}
		dp, _ := padPIN(DefaultPIN)
		s.PIN.set(salt, next, string(dp[:]) == string(next))
		return nil
	})
	if sw == apdu.SWOK {
		c.pinVerified, c.pinFresh = false, false
	}
	return nil, sw
}
