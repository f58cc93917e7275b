package vpcd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ioTimeout bounds every wait in these tests so that a bug hangs nothing.
const ioTimeout = 5 * time.Second

var testATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// fakeCard records what the client asks of it. respond, when set, decides
// the answer to each command; otherwise every command gets 9000.
type fakeCard struct {
	mu      sync.Mutex
	events  []string
	cmds    [][]byte
	respond func(cmd []byte) ([]byte, error)
}

func (c *fakeCard) record(ev string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
}

func (c *fakeCard) ATR() []byte { return slices.Clone(testATR) }
func (c *fakeCard) PowerOn()    { c.record("on") }
func (c *fakeCard) PowerOff()   { c.record("off") }
func (c *fakeCard) Reset()      { c.record("reset") }

func (c *fakeCard) Transmit(cmd []byte) ([]byte, error) {
	c.mu.Lock()
	c.events = append(c.events, "apdu")
	c.cmds = append(c.cmds, slices.Clone(cmd))
	respond := c.respond
	c.mu.Unlock()
	if respond != nil {
		return respond(cmd)
	}
	return []byte{0x90, 0x00}, nil
}

func (c *fakeCard) Events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

func (c *fakeCard) Commands() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.cmds)
}

// fakeVPCD plays the vpcd side: it listens and hands out accepted
// connections.
type fakeVPCD struct {
	ln    net.Listener
	conns chan net.Conn
}

func newFakeVPCD(t *testing.T) *fakeVPCD {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return serveFakeVPCD(t, ln)
}

func serveFakeVPCD(t *testing.T, ln net.Listener) *fakeVPCD {
	t.Helper()
	f := &fakeVPCD{ln: ln, conns: make(chan net.Conn, 16)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.conns <- conn
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		close(f.conns)
		for c := range f.conns {
			_ = c.Close()
		}
	})
	return f
}

func (f *fakeVPCD) Addr() string { return f.ln.Addr().String() }

// Accept waits for the client to connect.
func (f *fakeVPCD) Accept(t *testing.T) *vconn {
	t.Helper()
	select {
	case c := <-f.conns:
		t.Cleanup(func() { _ = c.Close() })
		return &vconn{t: t, conn: c}
	case <-time.After(ioTimeout):
		t.Fatal("client did not connect")
		return nil
	}
}

// vconn is the vpcd end of one client connection.
type vconn struct {
	t    *testing.T
	conn net.Conn
}

func (v *vconn) Send(payload []byte) {
	v.t.Helper()
	if err := writeFrame(v.conn, payload); err != nil {
		v.t.Fatalf("send: %v", err)
	}
}

func (v *vconn) SendRaw(b []byte) {
	v.t.Helper()
	if _, err := v.conn.Write(b); err != nil {
		v.t.Fatalf("send raw: %v", err)
	}
}

func (v *vconn) Recv() []byte {
	v.t.Helper()
	_ = v.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	b, err := readFrame(v.conn, MaxMessage)
	if err != nil {
		v.t.Fatalf("recv: %v", err)
	}
	return b
}

// Exchange sends payload and returns the answer.
func (v *vconn) Exchange(payload []byte) []byte {
	v.t.Helper()
	v.Send(payload)
	return v.Recv()
}

// ExpectClosed waits for the client to close the connection.
func (v *vconn) ExpectClosed() {
	v.t.Helper()
	_ = v.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	n, err := io.Copy(io.Discard, v.conn)
	// A close with unread input in the client's buffer is a reset.
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		v.t.Fatalf("waiting for the client to close: %v (after %d bytes)", err, n)
	}
}

func (v *vconn) Close() { _ = v.conn.Close() }

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startClient runs Serve in the background; the returned function cancels
// it and returns Serve's result. Cleanup does the same.
func startClient(t *testing.T, c *Client) func() error {
	t.Helper()
	if c.Logger == nil {
		c.Logger = testLogger(t)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx) }()
	var once sync.Once
	var result error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(ioTimeout):
				t.Error("Serve did not return after cancellation")
			}
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestRoundTrips(t *testing.T) {
	srv := newFakeVPCD(t)
	card := &fakeCard{respond: func(cmd []byte) ([]byte, error) {
		return append(slices.Clone(cmd[len(cmd)-2:]), 0x90, 0x00), nil
	}}
	startClient(t, &Client{Addr: srv.Addr(), Card: card})
	v := srv.Accept(t)

	v.Send([]byte{ctrlPowerOn})
	if got := v.Exchange([]byte{ctrlGetATR}); !bytes.Equal(got, testATR) {
		t.Fatalf("ATR: got % x, want % x", got, testATR)
	}
	cmd := []byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0xAB, 0xCD}
	if got, want := v.Exchange(cmd), []byte{0xAB, 0xCD, 0x90, 0x00}; !bytes.Equal(got, want) {
		t.Fatalf("APDU response: got % x, want % x", got, want)
	}
	v.Send([]byte{ctrlReset})
	v.Send([]byte{ctrlPowerOff})
	// Messages are handled in order: once this is answered, all of the
	// above has reached the card.
	v.Exchange([]byte{ctrlGetATR})

	if got, want := card.Events(), []string{"on", "apdu", "reset", "off"}; !slices.Equal(got, want) {
		t.Fatalf("card events: got %q, want %q", got, want)
	}
	if got := card.Commands(); len(got) != 1 || !bytes.Equal(got[0], cmd) {
		t.Fatalf("card commands: got % x, want [% x]", got, cmd)
	}
}

func TestExtendedAPDU(t *testing.T) {
	srv := newFakeVPCD(t)
	big := bytes.Repeat([]byte{0x5A}, maxWireLen-2)
	card := &fakeCard{respond: func([]byte) ([]byte, error) {
		return append(slices.Clone(big), 0x90, 0x00), nil
	}}
	startClient(t, &Client{Addr: srv.Addr(), Card: card})
	v := srv.Accept(t)
	cmd := append([]byte{0x00, 0xDB, 0x3F, 0xFF, 0x00, 0xFF, 0xF0}, bytes.Repeat([]byte{1}, 0xFFF0)...)
	got := v.Exchange(cmd)
	if len(got) != maxWireLen || !bytes.Equal(got[len(got)-2:], []byte{0x90, 0x00}) {
		t.Fatalf("extended response: got %d bytes ending % x", len(got), got[max(0, len(got)-2):])
	}
	if c := card.Commands(); len(c) != 1 || !bytes.Equal(c[0], cmd) {
		t.Fatalf("card did not see the %d-byte command intact", len(cmd))
	}
}

func TestBadCardAnswers6F00(t *testing.T) {
	tests := []struct {
		name    string
		respond func([]byte) ([]byte, error)
	}{
		{"error", func([]byte) ([]byte, error) { return nil, errors.New("boom") }},
		{"error with data", func([]byte) ([]byte, error) { return []byte{0x90, 0x00}, errors.New("boom") }},
		{"empty response", func([]byte) ([]byte, error) { return nil, nil }},
		{"one byte", func([]byte) ([]byte, error) { return []byte{0x90}, nil }},
		{"too long", func([]byte) ([]byte, error) { return make([]byte, maxWireLen+1), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeVPCD(t)
			card := &fakeCard{respond: tt.respond}
			startClient(t, &Client{Addr: srv.Addr(), Card: card})
			v := srv.Accept(t)
			for range 2 { // the connection survives
				if got := v.Exchange([]byte{0x00, 0xB0, 0x00, 0x00, 0x00}); !bytes.Equal(got, []byte{0x6F, 0x00}) {
					t.Fatalf("got % x, want 6f 00", got)
				}
			}
			if got := v.Exchange([]byte{ctrlGetATR}); !bytes.Equal(got, testATR) {
				t.Fatalf("ATR after failure: got % x", got)
			}
		})
	}
}

func TestMalformedMessagesAreIgnored(t *testing.T) {
	srv := newFakeVPCD(t)
	card := &fakeCard{}
	startClient(t, &Client{Addr: srv.Addr(), Card: card})
	v := srv.Accept(t)

	v.Send(nil)          // empty message
	v.Send([]byte{3})    // unknown control codes
	v.Send([]byte{0xFF}) //
	v.SendRaw([]byte{0x00, 0x00, 0x00, 0x01, ctrlGetATR})
	if got := v.Recv(); !bytes.Equal(got, testATR) {
		t.Fatalf("ATR after malformed messages: got % x", got)
	}
	if got := card.Events(); len(got) != 0 {
		t.Fatalf("card saw %q, want nothing", got)
	}
	// A 2-byte message is not a control code: it goes to the card, which
	// decides what to answer.
	if got := v.Exchange([]byte{0x00, 0xA4}); !bytes.Equal(got, []byte{0x90, 0x00}) {
		t.Fatalf("short command: got % x", got)
	}
}

func TestReconnectAfterServerClose(t *testing.T) {
	srv := newFakeVPCD(t)
	card := &fakeCard{}
	startClient(t, &Client{Addr: srv.Addr(), Card: card, MaxBackoff: 200 * time.Millisecond})

	v := srv.Accept(t)
	v.Send([]byte{ctrlPowerOn})
	v.Exchange([]byte{ctrlGetATR})
	v.Close() // card removed

	v = srv.Accept(t)
	if got := v.Exchange([]byte{ctrlGetATR}); !bytes.Equal(got, testATR) {
		t.Fatalf("ATR after reconnect: got % x", got)
	}
	// The removal powered the card off.
	if got, want := card.Events(), []string{"on", "off"}; !slices.Equal(got, want) {
		t.Fatalf("card events: got %q, want %q", got, want)
	}
}

func TestReconnectAfterBrokenFrames(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
	}{
		{"truncated payload", []byte{0x00, 0x0A, 0x00, 0xA4, 0x04}},
		{"half header", []byte{0x00}},
		{"oversized", append([]byte{0x00, 0x11}, make([]byte, 0x11)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeVPCD(t)
			card := &fakeCard{}
			startClient(t, &Client{Addr: srv.Addr(), Card: card, maxMessage: 0x10})
			v := srv.Accept(t)
			v.SendRaw(tt.raw)
			if tt.name == "oversized" {
				v.ExpectClosed() // the client drops the connection itself
			} else {
				v.Close()
			}
			v = srv.Accept(t)
			if got := v.Exchange([]byte{ctrlGetATR}); !bytes.Equal(got, testATR) {
				t.Fatalf("ATR after reconnect: got % x", got)
			}
			if got := card.Commands(); len(got) != 0 {
				t.Fatalf("card saw commands % x from a broken frame", got)
			}
		})
	}
}

func TestRetryUntilVPCDListens(t *testing.T) {
	// Find a free port, then leave it closed for a while.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	card := &fakeCard{}
	startClient(t, &Client{Addr: addr, Card: card, MaxBackoff: 100 * time.Millisecond})
	time.Sleep(400 * time.Millisecond) // several failed attempts

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", addr, err)
	}
	v := serveFakeVPCD(t, ln).Accept(t)
	if got := v.Exchange([]byte{ctrlGetATR}); !bytes.Equal(got, testATR) {
		t.Fatalf("ATR: got % x", got)
	}
}

func TestCancelWhileConnected(t *testing.T) {
	srv := newFakeVPCD(t)
	stop := startClient(t, &Client{Addr: srv.Addr(), Card: &fakeCard{}})
	v := srv.Accept(t)
	v.Exchange([]byte{ctrlGetATR})

	start := time.Now()
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve returned %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Serve took %v to return after cancellation", d)
	}
	v.ExpectClosed()
}

func TestCancelWhileRetrying(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()

	stop := startClient(t, &Client{Addr: addr, Card: &fakeCard{}, MaxBackoff: time.Hour})
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve returned %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Serve took %v to return after cancellation", d)
	}
}

func TestServeConn(t *testing.T) {
	t.Run("peer closes", func(t *testing.T) {
		a, b := net.Pipe()
		card := &fakeCard{}
		c := &Client{Card: card, Logger: testLogger(t)}
		done := make(chan error, 1)
		go func() { done <- c.ServeConn(t.Context(), a) }()
		v := &vconn{t: t, conn: b}
		if got := v.Exchange([]byte{ctrlGetATR}); !bytes.Equal(got, testATR) {
			t.Fatalf("ATR: got % x", got)
		}
		v.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("ServeConn after clean close: %v", err)
			}
		case <-time.After(ioTimeout):
			t.Fatal("ServeConn did not return after the peer closed")
		}
		if got := card.Events(); !slices.Equal(got, []string{"off"}) {
			t.Fatalf("card events: got %q, want [off]", got)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		c := &Client{Card: &fakeCard{}, Logger: testLogger(t)}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- c.ServeConn(ctx, a) }()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("ServeConn returned %v, want context.Canceled", err)
			}
		case <-time.After(ioTimeout):
			t.Fatal("ServeConn did not return after cancellation")
		}
	})
	t.Run("truncated", func(t *testing.T) {
		a, b := net.Pipe()
		c := &Client{Card: &fakeCard{}, Logger: testLogger(t)}
		done := make(chan error, 1)
		go func() { done <- c.ServeConn(t.Context(), a) }()
		var hdr [2]byte
		binary.BigEndian.PutUint16(hdr[:], 5)
		_, _ = b.Write(append(hdr[:], 1, 2))
		_ = b.Close()
		select {
		case err := <-done:
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ServeConn returned %v, want io.ErrUnexpectedEOF", err)
			}
		case <-time.After(ioTimeout):
			t.Fatal("ServeConn did not return")
		}
	})
}

func TestNilCard(t *testing.T) {
	c := &Client{Addr: "127.0.0.1:1"}
	if err := c.Serve(t.Context()); !errors.Is(err, errNoCard) {
		t.Fatalf("Serve without a card: got %v, want errNoCard", err)
	}
	a, b := net.Pipe()
	defer b.Close()
	if err := c.ServeConn(t.Context(), a); !errors.Is(err, errNoCard) {
		t.Fatalf("ServeConn without a card: got %v, want errNoCard", err)
	}
}

func TestNextBackoff(t *testing.T) {
	d := initialBackoff
	var got []time.Duration
	for range 7 {
		got = append(got, d)
		d = nextBackoff(d, DefaultMaxBackoff)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(got, want) {
		t.Fatalf("backoff sequence: got %v, want %v", got, want)
	}
}
