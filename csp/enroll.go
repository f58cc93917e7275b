package csp

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"

	"github.com/cardmod/cardmod/spec"
)

// KeyOptions describe a key to create in a new container.
type KeyOptions struct {
	// KeySpec is the container's key spec: AT_KEYEXCHANGE (0 means it), AT_SIGNATURE, AT_ECDSA_P256/P384
	// or AT_ECDHE_P256/P384.
	KeySpec spec.KeySpec
	// Bits is the RSA modulus size (0: the minidriver's default, 2048); 0 or the curve size for
	// ECC keys.
	Bits uint32
	// PIN guards the key: ROLE_USER (0 means it), or 3 for a key that needs the PIN before every
	// use (the PIV Digital Signature key).
	PIN spec.PINID
	// Import is a private key blob to import (a CryptoAPI PRIVATEKEYBLOB, a BCRYPT_RSAPRIVATE_BLOB
	// or a BCRYPT_ECCPRIVATE_BLOB); nil generates the key on the card.
	Import []byte
	// Name is the container name; "" gives a new "{GUID}", as Windows names containers.
	Name string
	// Default makes the container the card's default container. A container also becomes the
	// default when no other container is.
	Default bool
	// Compress makes Enroll write the certificate in Windows' compressed format.
	Compress bool
}

// IncompleteError is the error of an enrollment that failed after its key was created: the key
// stays in container Index (DeleteKey removes it; WriteCertificate completes the enrollment).
type IncompleteError struct {
	Index byte
	Err   error
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%v (the new key stays in container %d)", e.Err, e.Index)
}

func (e *IncompleteError) Unwrap() error { return e.Err }

// ErrKeyMismatch is wrapped by the errors of a certificate whose public key is not the
// container's.
var ErrKeyMismatch = errors.New("the certificate's public key is not the container's")

// NewContainerName returns a container name as the Base CSP makes them: a random GUID in
// braces, upper case, "{3F2504E0-4F89-41D3-9A0C-0305E82C3301}" (38 characters).
func NewContainerName(r io.Reader) (string, error) {
	var g [16]byte
	if _, err := io.ReadFull(r, g[:]); err != nil {
		return "", fmt.Errorf("container name: %w", err)
	}
	g[6] = g[6]&0x0F | 0x40 // version 4
	g[8] = g[8]&0x3F | 0x80 // RFC 4122 variant
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16]), nil
}

// keySpec and pin apply the defaults of KeyOptions.
func (o KeyOptions) keySpec() spec.KeySpec {
	if o.KeySpec == 0 {
		return spec.ATKeyExchange
	}
	return o.KeySpec
}

func (o KeyOptions) pin() spec.PINID {
	if o.PIN == 0 {
		return spec.RoleUser
	}
	return o.PIN
}

// CreateKey creates a key in a new container, as the Base CSP does for CryptGenKey / CryptImportKey
// in a new key set (and the KSP for NCryptFinalizeKey):
//
//  1. CardReadFile cardcf: the transaction starts from the card's freshness counters;
//  2. CardReadFile mscp/cmapfile, and the first index whose record is not valid (a deleted
//     container's zeroed record is reused; past the last record the file grows by one);
//  3. CardCreateContainerEx at that index: CARD_CREATE_CONTAINER_KEY_GEN, or KEY_IMPORT with the
//     key blob, with the key spec, size and PIN;
//  4. CardGetContainerInfo: the new public key (PUBLICKEYBLOB or BCRYPT_ECCPUBLIC_BLOB);
//  5. CardWriteFile mscp/cmapfile with the new record: the name, CONTAINER_MAP_VALID_CONTAINER,
//     CONTAINER_MAP_DEFAULT_CONTAINER when asked for or when no container is the default (the
//     flag is then cleared from the others), the key size in wSigKeySizeBits for AT_SIGNATURE and
//     ECDSA keys, in wKeyExchangeKeySizeBits otherwise;
//  6. CardWriteFile cardcf with the containers counter bumped.
//
// The user must be authenticated. It returns the container index and its public key.
func (s *Session) CreateKey(opts KeyOptions) (idx byte, pub crypto.PublicKey, err error) {
	ks := opts.keySpec()
	name := opts.Name
	if name == "" {
		if name, err = NewContainerName(s.rand()); err != nil {
			return 0, nil, err
		}
	}
	var rec spec.ContainerMapRecord
	if err := rec.SetName(name); err != nil {
		return 0, nil, fmt.Errorf("container name %q: %w", name, err)
	}
	cf, err := s.readCardcf()
	if err != nil {
		return 0, nil, err
	}
	recs, err := s.ReadContainerMap()
	if err != nil {
		return 0, nil, err
	}
	i := 0
	for i < len(recs) && recs[i].Valid() {
		i++
	}
	if i > 0xFF {
		return 0, nil, spec.Errorf(spec.SCardENoKeyContainer, "cmapfile: no free container index")
	}
	idx = byte(i)
	flags := spec.CardCreateContainerKeyGen
	if opts.Import != nil {
		flags = spec.CardCreateContainerKeyImport
	}
	err = s.call("CardCreateContainerEx", func() error {
		return s.MD.CreateContainerEx(idx, flags, ks, opts.Bits, opts.Import, opts.pin())
	})
	if err != nil {
		return 0, nil, fmt.Errorf("create container %d: %w", idx, err)
	}
	pub, gotKS, err := s.ContainerKey(idx)
	if err != nil {
		return 0, nil, err
	}
	if gotKS != ks {
		return 0, nil, fmt.Errorf("container %d: the minidriver reports a %v key, %v was asked for", idx, gotKS, ks)
	}

	rec.Flags = spec.ContainerMapValidContainer
	haveDefault := false
	for j, r := range recs {
		if j != i && r.Valid() && r.Default() {
			haveDefault = true
		}
	}
	if opts.Default || !haveDefault {
		rec.Flags |= spec.ContainerMapDefaultContainer
		for j := range recs {
			recs[j].Flags &^= spec.ContainerMapDefaultContainer
		}
	}
	bits := uint16(KeyBits(pub))
	if ks == spec.ATSignature || ks.IsECDSA() {
		rec.SigKeySizeBits = bits
	} else {
		rec.KeyExchangeKeySizeBits = bits
	}
	if i == len(recs) {
		recs = append(recs, rec)
	} else {
		recs[i] = rec
	}
	if err := s.writeContainerMap(recs); err != nil {
		return idx, pub, err
	}
	cf.BumpContainers()
	if err := s.writeCardcf(cf); err != nil {
		return idx, pub, err
	}
	return idx, pub, nil
}

// WriteCertificate stores the certificate of container idx, as the Base CSP does for
// CryptSetKeyParam(KP_CERTIFICATE):
//
//  1. CardReadFile cardcf;
//  2. CardGetContainerInfo: the container's key spec names the file (mscp/kscNN for AT_SIGNATURE
//     and ECDSA keys, mscp/kxcNN otherwise) and its public key must be the certificate's;
//  3. CardCreateFile mscp/<file> (EveryoneReadUserWriteAc; ERROR_FILE_EXISTS when it exists is
//     fine: the certificate is replaced);
//  4. CardWriteFile mscp/<file> with the DER certificate, or with compress its Windows compressed
//     form (what the CSP writes to cards whose minidriver leaves compression to it);
//  5. CardWriteFile cardcf with the files counter bumped.
func (s *Session) WriteCertificate(idx byte, der []byte, compress bool) error {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	cf, err := s.readCardcf()
	if err != nil {
		return err
	}
	pub, ks, err := s.ContainerKey(idx)
	if err != nil {
		return err
	}
	if !keysEqual(pub, cert.PublicKey) {
		return fmt.Errorf("container %d: %w", idx, ErrKeyMismatch)
	}
	name := CertFile(ks, idx)
	data := der
	if compress {
		data = spec.CompressWindowsCert(der)
	}
	err = s.call("CardCreateFile", func() error {
		return s.MD.CreateFile(spec.DirBaseCSP, name, uint32(len(data)), spec.EveryoneReadUserWriteAc)
	})
	if err != nil && !isStatus(err, spec.ErrorFileExists) {
		return fmt.Errorf("create %s: %w", filePath(spec.DirBaseCSP, name), err)
	}
	if err := s.writeFile(spec.DirBaseCSP, name, data); err != nil {
		return err
	}
	cf.BumpFiles()
	return s.writeCardcf(cf)
}

// DeleteKey deletes container idx, as the Base CSP does for CryptAcquireContext(CRYPT_DELETEKEYSET):
//
//  1. CardReadFile cardcf and mscp/cmapfile (the record must be valid);
//  2. CardDeleteContainer;
//  3. CardDeleteFile of the certificate files the record's key sizes name (kscNN for a signature
//     key size, kxcNN for a key exchange one); SCARD_E_FILE_NOT_FOUND is fine;
//  4. CardWriteFile mscp/cmapfile with the record zeroed (the file keeps its length);
//  5. CardWriteFile cardcf with the containers counter bumped.
func (s *Session) DeleteKey(idx byte) error {
	cf, err := s.readCardcf()
	if err != nil {
		return err
	}
	recs, err := s.ReadContainerMap()
	if err != nil {
		return err
	}
	if int(idx) >= len(recs) || !recs[idx].Valid() {
		return spec.Errorf(spec.SCardENoKeyContainer, "container %d: no such container in cmapfile", idx)
	}
	r := recs[idx]
	if err := s.call("CardDeleteContainer", func() error { return s.MD.DeleteContainer(idx, 0) }); err != nil {
		return fmt.Errorf("delete container %d: %w", idx, err)
	}
	var names []string
	if r.SigKeySizeBits != 0 || r.KeyExchangeKeySizeBits == 0 {
		names = append(names, spec.CertFileName(spec.UserSignatureCertPrefix, idx))
	}
	if r.KeyExchangeKeySizeBits != 0 || r.SigKeySizeBits == 0 {
		names = append(names, spec.CertFileName(spec.UserKeyExchangeCertPrefix, idx))
	}
	for _, name := range names {
		err := s.call("CardDeleteFile", func() error { return s.MD.DeleteFile(spec.DirBaseCSP, name, 0) })
		if err != nil && !isStatus(err, spec.SCardEFileNotFound) {
			return fmt.Errorf("delete %s: %w", filePath(spec.DirBaseCSP, name), err)
		}
	}
	recs[idx] = spec.ContainerMapRecord{}
	if err := s.writeContainerMap(recs); err != nil {
		return err
	}
	cf.BumpContainers()
	return s.writeCardcf(cf)
}

// CSR returns a PKCS#10 certificate request for container idx's key with subject, signed through
// CardSignData (the PIN must be authenticated; see Session.BeforeSign for always-prompt PINs).
func (s *Session) CSR(idx byte, subject pkix.Name) ([]byte, error) {
	signer, err := s.Signer(idx)
	if err != nil {
		return nil, err
	}
	if signer.KeySpec().IsECDH() {
		return nil, fmt.Errorf("container %d holds an ECDH key: it cannot sign a certificate request", idx)
	}
	der, err := x509.CreateCertificateRequest(s.rand(), &x509.CertificateRequest{Subject: subject}, signer)
	if err != nil {
		return nil, fmt.Errorf("certificate request for container %d: %w", idx, err)
	}
	return der, nil
}

// Enroll is a whole enrollment as certreq or autoenrollment makes it through the CSP: CreateKey,
// a PKCS#10 request signed with the new key through CardSignData, issue (the CA: it gets the DER
// request and returns the DER certificate), a check that the certificate's public key is the
// container's, then WriteCertificate (compressed when opts.Compress). The caller authenticates
// the user first. When the key was created and a later step fails, idx is the container's and
// the error is an *IncompleteError and the key stays (DeleteKey removes it).
func (s *Session) Enroll(opts KeyOptions, subject pkix.Name, issue func(csrDER []byte) (certDER []byte, err error)) (idx byte, cert *x509.Certificate, err error) {
	idx, pub, err := s.CreateKey(opts)
	if err != nil {
		return idx, nil, err
	}
	incomplete := func(err error) (byte, *x509.Certificate, error) {
		return idx, nil, &IncompleteError{Index: idx, Err: err}
	}
	csr, err := s.CSR(idx, subject)
	if err != nil {
		return incomplete(err)
	}
	der, err := issue(csr)
	if err != nil {
		return incomplete(fmt.Errorf("issue the certificate: %w", err))
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		return incomplete(fmt.Errorf("the issued certificate: %w", err))
	}
	if !keysEqual(pub, cert.PublicKey) {
		return incomplete(fmt.Errorf("the issued certificate: container %d: %w", idx, ErrKeyMismatch))
	}
	if err := s.WriteCertificate(idx, der, opts.Compress); err != nil {
		return incomplete(err)
	}
	return idx, cert, nil
}
