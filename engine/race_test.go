package engine_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// transaction is the card lock of the Base CSP (SCardBeginTransaction / SCardEndTransaction):
// one holder at a time, for a whole sequence of calls.
type transaction struct {
	mu     sync.Mutex
	holder atomic.Int64 // id of the txCard holding the transaction, 0 when free
}

func (tx *transaction) begin(id int64) { tx.mu.Lock(); tx.holder.Store(id) }
func (tx *transaction) end()           { tx.holder.Store(0); tx.mu.Unlock() }

// txCard is one connection to the shared card. Its commands must be sent inside a transaction
// its user holds; a command outside one is a test failure (the engine talked to the card
// without being called, or after its call returned).
type txCard struct {
	id     int64
	tx     *transaction
	card   apdu.Transport
	strays atomic.Int64
}

func (c *txCard) Transmit(cmd []byte) ([]byte, error) {
	if c.tx.holder.Load() != c.id {
		c.strays.Add(1)
	}
	return c.card.Transmit(cmd)
}

func TestConcurrentContextsOneCard(t *testing.T) {
	const workers, iterations = 8, 50
	p := enginetest.Provision(t, enginetest.StandardKeys)
	m := engine.NewModule()
	tx := &transaction{}
	pub9a := p.Pub[piv.SlotAuth].(*rsa.PublicKey)
	pub9e := p.Pub[piv.SlotCardAuth].(*ecdsa.PublicKey)

	type worker struct {
		card *txCard
		ctx  *engine.Context
		host *refhost.Host
	}
	ws := make([]*worker, workers)
	for i := range ws {
		w := &worker{card: &txCard{id: int64(i + 1), tx: tx, card: p.Card}}
		tx.begin(w.card.id)
		w.ctx, w.host = enginetest.Acquire(t, m, w.card, i%2 == 0)
		tx.end()
		ws[i] = w
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*iterations)
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range iterations {
				tx.begin(w.card.id)
				err := iteration(w.ctx, w.host, p, pub9a, pub9e, it)
				tx.end()
				if err != nil {
					errs <- fmt.Errorf("worker %d iteration %d: %w", i, it, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, w := range ws {
		if n := w.card.strays.Load(); n != 0 {
			t.Errorf("worker %d: %d commands outside the transaction", i, n)
		}
		if n := w.host.Live(); n != 0 {
			t.Errorf("worker %d: %d buffers not freed", i, n)
		}
		if err := w.ctx.DeleteContext(); err != nil {
			t.Error(err)
		}
	}
	if r := p.Card.Info().PINRetries[0]; r != 3 {
		t.Errorf("PIN retries %d", r)
	}
}

// iteration is one Base CSP transaction: the cache check, the container map, a certificate,
// the public key, a PIN login, a signature checked against the key, and the logout.
func iteration(ctx *engine.Context, h *refhost.Host, p *enginetest.Provisioned, pub9a *rsa.PublicKey, pub9e *ecdsa.PublicKey, it int) error {
	cf, err := ctx.ReadFile("", "cardcf", 0)
	if err != nil {
		return fmt.Errorf("cardcf: %w", err)
	}
	h.Free(cf)
	cm, err := ctx.ReadFile("mscp", "cmapfile", 0)
	if err != nil {
		return fmt.Errorf("cmapfile: %w", err)
	}
	recs, err := spec.ParseContainerMap(cm)
	h.Free(cm)
	if err != nil || len(recs) != 4 {
		return fmt.Errorf("cmapfile: %d records %v", len(recs), err)
	}
	name, slot := "kxc00", piv.SlotAuth
	if it%2 == 1 {
		name, slot = "ksc03", piv.SlotCardAuth
	}
	der, err := ctx.ReadFile("mscp", name, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	same := bytes.Equal(der, p.Certs[slot])
	h.Free(der)
	if !same {
		return fmt.Errorf("%s differs", name)
	}
	info := &engine.ContainerInfo{Version: 1}
	if err := ctx.GetContainerInfo(0, 0, info); err != nil {
		return fmt.Errorf("container info: %w", err)
	}
	k, _, err := spec.ParseRSAPublicKeyBlob(info.KeyExPublicKey)
	freeInfo(h, info)
	if err != nil || !k.Equal(pub9a) {
		return fmt.Errorf("container 0 key: %v", err)
	}
	if s := authStateOf(ctx); s != 0 {
		return fmt.Errorf("authenticated at the start of a transaction: %#x", s)
	}
	if it%10 == 5 {
		// A session PIN issued in one context of the module, used in this one.
		sp, _, err := ctx.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateGenerateSessionPIN, enginetest.PIN, true)
		if err != nil {
			return fmt.Errorf("session PIN: %w", err)
		}
		tok := slices.Clone(sp)
		h.Free(sp)
		if _, _, err := ctx.AuthenticateEx(spec.RoleUser, spec.CardAuthenticateSessionPIN, tok, false); err != nil {
			return fmt.Errorf("with session PIN: %w", err)
		}
	} else if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		return fmt.Errorf("PIN: %w", err)
	}
	digest := sha256.Sum256([]byte(fmt.Sprintf("iteration %d", it)))
	if it%2 == 0 {
		si := &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: digest[:]}
		if err := ctx.SignData(si); err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		sig := slices.Clone(si.SignedData)
		h.Free(si.SignedData)
		slices.Reverse(sig)
		if err := rsa.VerifyPKCS1v15(pub9a, crypto.SHA256, digest[:], sig); err != nil {
			return fmt.Errorf("RSA signature: %w", err)
		}
	} else {
		si := &engine.SigningInfo{Version: 2, ContainerIndex: 3, KeySpec: spec.ATECDSAP384, Data: digest[:]}
		if err := ctx.SignData(si); err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		r, s := new(big.Int).SetBytes(si.SignedData[:48]), new(big.Int).SetBytes(si.SignedData[48:])
		h.Free(si.SignedData)
		if !ecdsa.Verify(pub9e, digest[:], r, s) {
			return fmt.Errorf("ECDSA signature does not verify")
		}
	}
	if err := ctx.DeauthenticateEx(spec.PINSetAllRoles, 0); err != nil {
		return fmt.Errorf("deauthenticate: %w", err)
	}
	return nil
}

func authStateOf(ctx *engine.Context) spec.PINSet {
	b, err := ctx.GetProperty(spec.CPCardAuthenticatedState, 0)
	if err != nil || len(b) != 4 {
		return 0xFFFFFFFF
	}
	return spec.PINSet(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}

func TestConcurrentCallsOneContext(t *testing.T) {
	// Goroutines sharing one context: the context serializes the calls itself. The user is
	// logged in once; nobody logs out, so every signature must succeed.
	const goroutines, iterations = 8, 25
	p := enginetest.Provision(t, enginetest.StandardKeys)
	m := engine.NewModule()
	ctx, h := enginetest.Acquire(t, m, p.Card, true)
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		t.Fatal(err)
	}
	pub9a := p.Pub[piv.SlotAuth].(*rsa.PublicKey)
	pub9e := p.Pub[piv.SlotCardAuth].(*ecdsa.PublicKey)
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) { errs <- fmt.Errorf("goroutine %d: %w", g, err) }
			for it := range iterations {
				digest := sha256.Sum256([]byte(fmt.Sprintf("%d/%d", g, it)))
				switch (g + it) % 6 {
				case 0:
					cf, err := ctx.ReadFile("", "cardcf", 0)
					if err != nil {
						fail(err)
						return
					}
					h.Free(cf)
				case 1:
					b, err := ctx.EnumFiles("mscp", 0)
					if err != nil {
						fail(err)
						return
					}
					if n := len(spec.ParseMultiStringANSI(b)); n != 5 {
						fail(fmt.Errorf("mscp has %d files", n))
					}
					h.Free(b)
				case 2:
					info := &engine.ContainerInfo{Version: 1}
					err := ctx.GetContainerInfo(byte(it%4), 0, info)
					freeInfo(h, info)
					if err != nil {
						fail(err)
						return
					}
				case 3:
					si := &engine.SigningInfo{Version: 2, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: digest[:]}
					if err := ctx.SignData(si); err != nil {
						fail(err)
						return
					}
					sig := slices.Clone(si.SignedData)
					h.Free(si.SignedData)
					slices.Reverse(sig)
					if err := rsa.VerifyPKCS1v15(pub9a, crypto.SHA256, digest[:], sig); err != nil {
						fail(err)
					}
				case 4:
					si := &engine.SigningInfo{Version: 2, ContainerIndex: 3, KeySpec: spec.ATECDSAP384, Data: digest[:]}
					if err := ctx.SignData(si); err != nil {
						fail(err)
						return
					}
					r, s := new(big.Int).SetBytes(si.SignedData[:48]), new(big.Int).SetBytes(si.SignedData[48:])
					h.Free(si.SignedData)
					if !ecdsa.Verify(pub9e, digest[:], r, s) {
						fail(fmt.Errorf("ECDSA signature does not verify"))
					}
				case 5:
					if s := authStateOf(ctx); !s.Has(spec.RoleUser) {
						fail(fmt.Errorf("authenticated state %#x", s))
					}
					if _, err := ctx.GetProperty(spec.CPCardSerialNo, 0); err != nil {
						fail(err)
					}
					if err := ctx.SetProperty(spec.CPParentWindow, make([]byte, 8), 0); err != nil {
						fail(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := ctx.DeleteContext(); err != nil {
		t.Fatal(err)
	}
	// Calls racing with DeleteContext end cleanly with INVALID_PARAMETER.
	if _, err := ctx.ReadFile("", "cardid", 0); spec.StatusOf(err) != spec.SCardEInvalidParameter {
		t.Errorf("after delete: %v", err)
	}
	if n := h.Live(); n != 0 {
		t.Errorf("%d buffers not freed", n)
	}
}

func TestConcurrentDeleteContext(t *testing.T) {
	// DeleteContext racing with calls: exactly one delete succeeds, every call either works or
	// answers INVALID_PARAMETER, and nothing leaks.
	p := enginetest.Provision(t, enginetest.StandardKeys)
	m := engine.NewModule()
	ctx, h := enginetest.Acquire(t, m, p.Card, true)
	var wg sync.WaitGroup
	var deleted atomic.Int32
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range 20 {
				if g == 0 && it == 10 || g == 1 && it == 11 {
					if ctx.DeleteContext() == nil {
						deleted.Add(1)
					}
					continue
				}
				b, err := ctx.ReadFile("mscp", "cmapfile", 0)
				if err == nil {
					h.Free(b)
				} else if spec.StatusOf(err) != spec.SCardEInvalidParameter {
					t.Errorf("read: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if deleted.Load() != 1 {
		t.Errorf("%d successful deletes", deleted.Load())
	}
	if n := h.Live(); n != 0 {
		t.Errorf("%d buffers not freed", n)
	}
}
