package main

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/spec"
)

// session is one minidriver context on a card, with the Base CSP's side of CARD_DATA: the
// reference host (allocator and data cache). Every engine call goes through call, which runs it
// in a card transaction and gives its error the function's name.
type session struct {
	conn   *conn
	module *engine.Module
	host   *refhost.Host
	ctx    *engine.Context
	// csp is the Base CSP's side of the context (enrollment, files, signatures); its calls go
	// through call.
	csp   *csp.Session
	calls int // minidriver calls made
}

// newModule is the loaded minidriver, with the management key policy of --mgm-policy.
func (a *app) newModule() (*engine.Module, error) {
	p, err := engine.ParseMgmKeyPolicy(a.opts.mgmPolicy)
	if err != nil {
		return nil, usageError{"--mgm-policy: " + err.Error()}
	}
	return engine.NewModuleWith(engine.Options{MgmKeyPolicy: p}), nil
}

// open connects to the card and acquires a context on it.
func (a *app) open() (*session, error) {
	m, err := a.newModule()
	if err != nil {
		return nil, err
	}
	c, err := a.openCard()
	if err != nil {
		return nil, err
	}
	s := &session{conn: c, module: m, host: refhost.New()}
	if err := s.acquire(a.opts.extended); err != nil {
		_ = c.close()
		return nil, err
	}
	return s, nil
}

// acquire is CardAcquireContext with version 7, the card's ATR and name.
func (s *session) acquire(extended bool) error {
	return s.call("CardAcquireContext", func() error {
		ctx, err := s.module.AcquireContext(engine.AcquireParams{Version: spec.CardDataCurrentVersion, ATR: s.conn.atr,
			CardName: s.conn.cardName, HasCardName: true, Host: s.host, Card: s.conn.t, ExtendedLength: extended})
		s.ctx = ctx
		if err == nil {
			s.csp = &csp.Session{MD: ctx, Free: s.host.Free, Call: s.call}
		}
		return err
	})
}

// call runs one minidriver function in a card transaction.
func (s *session) call(fn string, f func() error) error {
	s.calls++
	return wrapEngine(fn, s.conn.transact(f))
}

// close deletes the context (CardDeleteContext), checks that every buffer the engine handed out
// was freed, and disconnects.
func (s *session) close() error {
	var errs []error
	if s.ctx != nil {
		errs = append(errs, s.call("CardDeleteContext", s.ctx.DeleteContext))
		s.ctx = nil
	}
	if n := s.host.Live(); n != 0 {
		errs = append(errs, fmt.Errorf("internal error: %d buffers from the minidriver were not freed", n))
	}
	if err := s.conn.close(); err != nil {
		errs = append(errs, fmt.Errorf("disconnect: %w", err))
	}
	return errors.Join(errs...)
}

// finish closes the session and returns err, or the close error when err is nil.
func (s *session) finish(err error) error {
	if cerr := s.close(); err == nil {
		return cerr
	}
	return err
}

// stats is the APDU traffic of the context so far.
func (s *session) stats() apdu.Stats { return s.ctx.Stats() }

// owned copies a buffer the engine allocated and frees it, as the Base CSP frees pfnCspAlloc
// memory.
func (s *session) owned(buf []byte) []byte {
	out := bytes.Clone(buf)
	s.host.Free(buf)
	return out
}

// readFile is CardReadFile; dir "" is the root.
func (s *session) readFile(dir, name string) ([]byte, error) { return s.csp.ReadFile(dir, name) }

// filePath joins a directory and a file name as the minidriver names them.
func filePath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// getProperty is CardGetProperty.
func (s *session) getProperty(name string, flags uint32) ([]byte, error) {
	var v []byte
	err := s.call("CardGetProperty", func() error {
		var err error
		v, err = s.ctx.GetProperty(name, flags)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("property %q: %w", name, err)
	}
	return v, nil
}

// propertyDWORD reads a DWORD property.
func (s *session) propertyDWORD(name string, flags uint32) (uint32, error) {
	v, err := s.getProperty(name, flags)
	if err != nil {
		return 0, err
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("property %q: %d bytes, want a DWORD", name, len(v))
	}
	return binary.LittleEndian.Uint32(v), nil
}

// container is what the Base CSP learns about one container: its cmapfile record, the public key
// from CardGetContainerInfo, the PIN from CCP_PIN_IDENTIFIER and the certificate file.
type container struct {
	Index    byte
	Record   spec.ContainerMapRecord
	KeySpec  spec.KeySpec
	Bits     int
	PIN      spec.PINID
	Pub      crypto.PublicKey
	CertFile string            // mscp/kxcNN or mscp/kscNN
	Cert     *x509.Certificate // nil when the card holds none
	CertDER  []byte
}

// containers reads cmapfile and, for each valid record, the container's key and PIN (and its
// certificate with certs).
func (s *session) containers(certs bool) ([]container, error) {
	cmap, err := s.readFile(spec.DirBaseCSP, spec.FileContainerMap)
	if err != nil {
		return nil, err
	}
	recs, err := spec.ParseContainerMap(cmap)
	if err != nil {
		return nil, fmt.Errorf("cmapfile: %w", err)
	}
	var out []container
	for i, r := range recs {
		if !r.Valid() {
			continue
		}
		ct, err := s.container(byte(i), r, certs)
		if err != nil {
			return nil, err
		}
		out = append(out, ct)
	}
	return out, nil
}

// container fills in one container.
func (s *session) container(idx byte, r spec.ContainerMapRecord, certs bool) (container, error) {
	ct := container{Index: idx, Record: r}
	pub, ks, err := s.containerKey(idx)
	if err != nil {
		return ct, err
	}
	ct.Pub, ct.KeySpec, ct.Bits = pub, ks, csp.KeyBits(pub)
	if ct.PIN, err = s.containerPIN(idx); err != nil {
		return ct, err
	}
	name := csp.CertFile(ks, idx)
	ct.CertFile = filePath(spec.DirBaseCSP, name)
	if !certs {
		return ct, nil
	}
	der, err := s.readFile(spec.DirBaseCSP, name)
	switch {
	case spec.StatusOf(err) == spec.SCardEFileNotFound:
		return ct, nil
	case err != nil:
		return ct, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return ct, fmt.Errorf("%s: %w", ct.CertFile, err)
	}
	ct.Cert, ct.CertDER = cert, der
	return ct, nil
}

// containerKey is CardGetContainerInfo: the container's public key and key spec.
func (s *session) containerKey(idx byte) (crypto.PublicKey, spec.KeySpec, error) {
	return s.csp.ContainerKey(idx)
}

// containerPIN is CCP_PIN_IDENTIFIER: the PIN that guards the container's key.
func (s *session) containerPIN(idx byte) (spec.PINID, error) { return s.csp.ContainerPIN(idx) }

// findContainer returns container idx (with its certificate when certs is set).
func (s *session) findContainer(idx int, certs bool) (container, error) {
	if idx < 0 || idx > 255 {
		return container{}, usageError{fmt.Sprintf("--container %d: a container index is 0 to 255", idx)}
	}
	cmap, err := s.readFile(spec.DirBaseCSP, spec.FileContainerMap)
	if err != nil {
		return container{}, err
	}
	recs, err := spec.ParseContainerMap(cmap)
	if err != nil {
		return container{}, fmt.Errorf("cmapfile: %w", err)
	}
	if idx >= len(recs) || !recs[idx].Valid() {
		var valid []int
		for i, r := range recs {
			if r.Valid() {
				valid = append(valid, i)
			}
		}
		return container{}, fmt.Errorf("container %d: no such container on the card (cmapfile lists %v): %w", idx, valid,
			spec.Errorf(spec.SCardENoKeyContainer, "container %d", idx))
	}
	return s.container(byte(idx), recs[idx], certs)
}
