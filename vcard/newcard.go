package vcard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/tlv"
)

// fascN is the FASC-N of a card that no federal agency issued (agency code 9999, all other
// fields 9s or zeros), as SP 800-73-4 allows for non-federal issuers.
var fascN = []byte{0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0x83, 0x68,
	0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0xC8, 0x42, 0x10, 0xC3, 0xEB}

// newState builds the state of a factory-fresh card, filling the defaults into opts.
func newState(opts *Options) (*State, error) {
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PIN == nil {
		opts.PIN = DefaultPIN
	}
	if opts.PUK == nil {
		opts.PUK = DefaultPUK
	}
	if opts.PINRetries == 0 {
		opts.PINRetries = 3
	}
	if opts.PUKRetries == 0 {
		opts.PUKRetries = 3
	}
	if opts.MgmAlg == 0 {
		opts.MgmAlg = piv.Alg3DES
	}
	if opts.MgmKey == nil {
		opts.MgmKey = DefaultMgmKey
	}
	if opts.Version == ([3]byte{}) {
		opts.Version = DefaultVersion
	}
	if _, ok := padPIN(opts.PIN); !ok {
		return nil, fmt.Errorf("new card: the PIN must be 6 to 8 bytes")
	}
	if _, ok := padPIN(opts.PUK); !ok {
		return nil, fmt.Errorf("new card: the PUK must be 6 to 8 bytes")
	}
	if opts.PINRetries < 1 || opts.PINRetries > 255 || opts.PUKRetries < 1 || opts.PUKRetries > 255 {
		return nil, fmt.Errorf("new card: retry counters must be 1 to 255")
	}
	if n := piv.MgmKeyLen(opts.MgmAlg); n == 0 || n != len(opts.MgmKey) {
		return nil, fmt.Errorf("new card: management key must be %d bytes for %s", n, piv.AlgName(opts.MgmAlg))
	}
	if opts.Serial == 0 {
		var b [4]byte
		if _, err := io.ReadFull(opts.Rand, b[:]); err != nil {
			return nil, fmt.Errorf("new card: %w", err)
		}
		opts.Serial = binary.BigEndian.Uint32(b[:])&0x3FFFFFFF | 0x01000000
	}
	st := &State{
		Serial:  opts.Serial,
		Version: opts.Version,
		PIN:     Secret{Retries: opts.PINRetries},
		PUK:     Secret{Retries: opts.PUKRetries},
		Keys:    map[byte]*Key{},
		Objects: map[uint32][]byte{},
	}
	if err := st.factoryReset(opts.Rand, opts.Now(), opts.PIN, opts.PUK, opts.MgmAlg, opts.MgmKey); err != nil {
		return nil, err
	}
	if err := st.makeAttestation(opts.Rand, opts.Now()); err != nil {
		return nil, err
	}
	return st, nil
}

// factoryReset puts PIN, PUK, management key, keys and data objects in their initial state: the
// given secrets, no keys, a new CHUID and CCC and the discovery object. The serial number, the
// firmware version, the retry limits and the attestation key and certificate are kept.
func (s *State) factoryReset(rnd io.Reader, now time.Time, pin, puk []byte, mgmAlg byte, mgmKey []byte) error {
	for _, x := range []struct {
		sec   *Secret
		value []byte
		def   []byte
	}{{&s.PIN, pin, DefaultPIN}, {&s.PUK, puk, DefaultPUK}} {
		padded, _ := padPIN(x.value)
		salt := make([]byte, 16)
		if _, err := io.ReadFull(rnd, salt); err != nil {
			return fmt.Errorf("new card: %w", err)
		}
		x.sec.set(salt, padded[:], string(x.value) == string(x.def))
	}
	s.MgmAlg, s.MgmKey, s.MgmTouch = mgmAlg, append([]byte(nil), mgmKey...), piv.TouchPolicyNever
	s.Keys = map[byte]*Key{}
	attest := s.Objects[piv.ObjYubiAttestCert]
	s.Objects = map[uint32][]byte{}
	if attest != nil {
		s.Objects[piv.ObjYubiAttestCert] = attest
	}

	guid := make([]byte, 16)
	cardID := make([]byte, 14)
	if _, err := io.ReadFull(rnd, guid); err != nil {
		return fmt.Errorf("new card: %w", err)
	}
	if _, err := io.ReadFull(rnd, cardID); err != nil {
		return fmt.Errorf("new card: %w", err)
	}
	guid[6] = guid[6]&0x0F | 0x40 // RFC 4122 version 4
	guid[8] = guid[8]&0x3F | 0x80
	var chuid tlv.Builder
	chuid.Add(0x30, fascN)
	chuid.Add(0x34, guid)
	chuid.Add(0x35, []byte(now.AddDate(10, 0, 0).UTC().Format("20060102")))
	chuid.Add(0x3E, nil)
	chuid.Add(piv.TagErrorDetection, nil)
	s.Objects[piv.ObjCHUID] = chuid.Bytes()

	var ccc tlv.Builder
	ccc.Add(0xF0, append([]byte{0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02}, cardID...))
	ccc.Add(0xF1, []byte{0x21})
	ccc.Add(0xF2, []byte{0x21})
	ccc.Add(0xF3, nil)
	ccc.Add(0xF4, []byte{0x00})
	ccc.Add(0xF5, []byte{0x10})
	for _, t := range []tlv.Tag{0xF6, 0xF7, 0xFA, 0xFB, 0xFC, 0xFD, piv.TagErrorDetection} {
		ccc.Add(t, nil)
	}
	s.Objects[piv.ObjCCC] = ccc.Bytes()

	var disc tlv.Builder
	disc.Add(0x4F, piv.AID)
	disc.Add(0x5F2F, []byte{0x40, 0x00}) // PIN usage policy: PIV Card Application PIN only
	s.Objects[piv.ObjDiscovery] = disc.Bytes()
	return nil
}

// makeAttestation creates the attestation key (slot F9) and its self-signed certificate, stored
// in the attestation certificate object as a YubiKey does.
func (s *State) makeAttestation(rnd io.Reader, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return fmt.Errorf("attestation key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("attestation key: %w", err)
	}
	sn, err := randInt(rnd, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject: pkix.Name{
			CommonName:   fmt.Sprintf("cardmod PIV Attestation %d", s.Serial),
			Organization: []string{"cardmod virtual card"},
		},
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.AddDate(30, 0, 0).UTC(),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	cert, err := x509.CreateCertificate(rnd, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("attestation certificate: %w", err)
	}
	s.AttestKey = der
	s.Objects[piv.ObjYubiAttestCert] = certObject(cert)
	return nil
}

// certObject wraps a DER certificate as the content of a PIV certificate object: 70 certificate,
// 71 CertInfo (uncompressed), FE error detection code.
func certObject(der []byte) []byte {
	var b tlv.Builder
	b.Add(piv.TagCertificate, der)
	b.Add(piv.TagCertInfo, []byte{piv.CertInfoUncompressed})
	b.Add(piv.TagErrorDetection, nil)
	return b.Bytes()
}

// padPIN returns the 8-byte form of a PIN or PUK (the value followed by FF bytes). ok is false
// when the value is not 6 to 8 bytes or contains an FF byte.
func padPIN(v []byte) (out [8]byte, ok bool) {
	if len(v) < 6 || len(v) > 8 {
		return out, false
	}
	for i := range out {
		out[i] = 0xFF
	}
	for i, b := range v {
		if b == 0xFF {
			return out, false
		}
		out[i] = b
	}
	return out, true
}

// validPadded reports whether an 8-byte reference value is well formed: 6 to 8 bytes that are not
// FF, then only FF padding.
func validPadded(p []byte) bool {
	if len(p) != 8 {
		return false
	}
	n := 0
	for n < 8 && p[n] != 0xFF {
		n++
	}
	for i := n; i < 8; i++ {
		if p[i] != 0xFF {
			return false
		}
	}
	return n >= 6
}
