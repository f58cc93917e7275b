package apdu

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// countingTransport answers 9000 to everything and counts the commands it receives.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) Transmit([]byte) ([]byte, error) {
	c.n.Add(1)
	return []byte{0x90, 0x00}, nil
}

func TestFaultTransportBudget(t *testing.T) {
	inner := &countingTransport{}
	f := NewFaultTransport(inner, 3)
	for i := range 3 {
		if f.Failing() {
			t.Fatalf("failing before command %d", i+1)
		}
		rsp, err := f.Transmit([]byte{0x00, 0xA4, 0x04, 0x00})
		if err != nil || !bytes.Equal(rsp, []byte{0x90, 0x00}) {
			t.Fatalf("command %d: % X %v", i+1, rsp, err)
		}
	}
	if !f.Failing() {
		t.Fatal("not failing after the budget")
	}
	for range 5 {
		rsp, err := f.Transmit([]byte{0x00, 0xB0, 0x00, 0x00})
		if !errors.Is(err, ErrInjectedFault) || rsp != nil {
			t.Fatalf("after the budget: % X %v", rsp, err)
		}
	}
	if inner.n.Load() != 3 || f.Passed() != 3 || f.Refused() != 5 {
		t.Fatalf("inner %d, passed %d, refused %d", inner.n.Load(), f.Passed(), f.Refused())
	}

	f.Heal()
	if f.Failing() {
		t.Fatal("failing after Heal")
	}
	for range 4 {
		if _, err := f.Transmit([]byte{0x00, 0xB0, 0x00, 0x00}); err != nil {
			t.Fatalf("after Heal: %v", err)
		}
	}
	if inner.n.Load() != 7 || f.Passed() != 7 || f.Refused() != 5 {
		t.Fatalf("after Heal: inner %d, passed %d, refused %d", inner.n.Load(), f.Passed(), f.Refused())
	}

	f.Reset(1)
	if f.Passed() != 0 || f.Refused() != 0 || f.Failing() {
		t.Fatal("Reset did not restart the budget")
	}
	if _, err := f.Transmit([]byte{0x00, 0xB0, 0x00, 0x00}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Transmit([]byte{0x00, 0xB0, 0x00, 0x00}); !errors.Is(err, ErrInjectedFault) {
		t.Fatalf("Reset(1), second command: %v", err)
	}
	if inner.n.Load() != 8 {
		t.Fatalf("inner %d", inner.n.Load())
	}

	for _, n := range []int{0, -5} {
		f := NewFaultTransport(inner, n)
		if _, err := f.Transmit([]byte{0, 0, 0, 0}); !errors.Is(err, ErrInjectedFault) {
			t.Errorf("failAfter %d: %v", n, err)
		}
		f.Reset(-1)
		if !f.Failing() {
			t.Error("Reset(-1) does not fail")
		}
	}
	if inner.n.Load() != 8 {
		t.Fatalf("refused commands reached the card: %d", inner.n.Load())
	}
	if _, err := NewFaultTransport(nil, 5).Transmit([]byte{0, 0, 0, 0}); err == nil {
		t.Error("nil transport accepted")
	}
}

func TestFaultTransportPassesErrorsThrough(t *testing.T) {
	boom := errors.New("reader removed")
	f := NewFaultTransport(TransportFunc(func([]byte) ([]byte, error) { return nil, boom }), 1)
	if _, err := f.Transmit([]byte{0, 0, 0, 0}); !errors.Is(err, boom) || errors.Is(err, ErrInjectedFault) {
		t.Fatalf("inner error: %v", err)
	}
	if f.Passed() != 1 {
		t.Errorf("passed %d", f.Passed())
	}
}

// TestFaultTransportCutsAChain runs a chained command with every possible cut: the exchange fails
// with ErrInjectedFault until the budget covers all its APDUs.
func TestFaultTransportCutsAChain(t *testing.T) {
	in := seq(1000) // 4 chained parts of at most 255 bytes
	want := 0
	for n := 0; ; n++ {
		card := &echoCard{}
		f := NewFaultTransport(card, n)
		ex := &Exchanger{T: f}
		data, err := ex.Do(Command{INS: 0xEE, P1: 1, Data: in, Ne: 256})
		if err == nil {
			if !bytes.Equal(data, in) {
				t.Fatal("wrong data")
			}
			want = n
			if f.Refused() != 0 || f.Passed() != n {
				t.Errorf("budget %d: passed %d, refused %d", n, f.Passed(), f.Refused())
			}
			break
		}
		if !errors.Is(err, ErrInjectedFault) {
			t.Fatalf("budget %d: %v", n, err)
		}
		if f.Passed() != n || f.Refused() != 1 || ex.Stats().Commands != n+1 {
			t.Fatalf("budget %d: passed %d, refused %d, exchanger sent %d", n, f.Passed(), f.Refused(), ex.Stats().Commands)
		}
		if n > 20 {
			t.Fatal("never completes")
		}
	}
	// 4 chained parts, then 61xx / GET RESPONSE rounds for the 1000-byte answer (256 per round).
	if want != 4+3 {
		t.Errorf("the exchange took %d APDUs, want 7", want)
	}
}

func TestFaultTransportConcurrent(t *testing.T) {
	inner := &countingTransport{}
	const budget, workers, each = 100, 16, 20
	f := NewFaultTransport(inner, budget)
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := f.Transmit([]byte{0, 0, 0, 0}); err == nil {
					ok.Add(1)
				} else if errors.Is(err, ErrInjectedFault) {
					failed.Add(1)
				}
				_ = f.Failing()
			}
		}()
	}
	// Reading the counters while others transmit is safe too.
	for range 10 {
		_, _ = f.Passed(), f.Refused()
	}
	wg.Wait()
	if ok.Load() != budget || failed.Load() != workers*each-budget || inner.n.Load() != budget ||
		f.Passed() != budget || f.Refused() != workers*each-budget {
		t.Errorf("ok %d, failed %d, inner %d, passed %d, refused %d", ok.Load(), failed.Load(), inner.n.Load(),
			f.Passed(), f.Refused())
	}
}
