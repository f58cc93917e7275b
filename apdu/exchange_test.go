package apdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// step is one scripted exchange: the expected command in hex (empty: not
// checked) and the raw response to return, or err.
type step struct {
	cmd string
	rsp string
	err error
}

// scriptTransport answers commands from a script and records what it got.
type scriptTransport struct {
	t     *testing.T
	steps []step
	sent  [][]byte
}

func (s *scriptTransport) Transmit(cmd []byte) ([]byte, error) {
	s.t.Helper()
	i := len(s.sent)
	s.sent = append(s.sent, bytes.Clone(cmd))
	if i >= len(s.steps) {
		s.t.Fatalf("unexpected command %d: %X", i, cmd)
	}
	st := s.steps[i]
	if st.cmd != "" {
		want := mustHex(s.t, st.cmd)
		if !bytes.Equal(cmd, want) {
			s.t.Errorf("command %d = %X, want %X", i, cmd, want)
		}
	}
	if st.err != nil {
		return nil, st.err
	}
	return mustHex(s.t, st.rsp), nil
}

func (s *scriptTransport) done() {
	s.t.Helper()
	if len(s.sent) != len(s.steps) {
		s.t.Errorf("sent %d commands, script has %d", len(s.sent), len(s.steps))
	}
}

func hexs(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func TestExchangerScripted(t *testing.T) {
	getData := Command{INS: 0xCB, P1: 0x3F, P2: 0xFF, Data: mustHex(t, "5C035FC105"), Ne: 256}
	const getDataHex = "00CB3FFF055C035FC10500"
	long := Command{INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: seq(600)}
	longParts := long.Chain(255)
	partHex := func(i int) string {
		b, err := longParts[i].Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return hexs(b)
	}

	tests := []struct {
		name     string
		ext      bool // ExtendedLength
		maxShort int  // MaxShortData
		cmd      Command
		steps    []step
		wantData string
		wantSW   SW
	}{
		{
			name:     "plain",
			cmd:      getData,
			steps:    []step{{getDataHex, "5300 9000", nil}},
			wantData: "5300", wantSW: SWOK,
		},
		{
			name: "61xx chain",
			cmd:  getData,
			steps: []step{
				{getDataHex, "AABB 6103", nil},
				{"00C0000003", "CCDDEE 6100", nil},
				{"00C0000000", "FF 9000", nil},
			},
			wantData: "AABBCCDDEEFF", wantSW: SWOK,
		},
		{
			name: "61xx ending with an error status",
			cmd:  getData,
			steps: []step{
				{getDataHex, "AA 6101", nil},
				{"00C0000001", "6A82", nil},
			},
			wantData: "AA", wantSW: SWFileNotFound,
		},
		{
			name: "6Cxx resend",
			cmd:  getData,
			steps: []step{
				{getDataHex, "6C02", nil},
				{"00CB3FFF055C035FC10502", "AABB 9000", nil},
			},
			wantData: "AABB", wantSW: SWOK,
		},
		{
			name: "6Cxx only once",
			cmd:  Command{INS: 0xCA, Ne: 5},
			steps: []step{
				{"00CA000005", "6C00", nil},
				{"00CA000000", "6C01", nil},
			},
			wantSW: 0x6C01,
		},
		{
			name: "6Cxx then 61xx",
			cmd:  Command{INS: 0xCA, Ne: 5},
			steps: []step{
				{"00CA000005", "6C10", nil},
				{"00CA000010", "01 6101", nil},
				{"00C0000001", "02 9000", nil},
			},
			wantData: "0102", wantSW: SWOK,
		},
		{
			name: "6Cxx during GET RESPONSE",
			cmd:  Command{INS: 0xCA, Ne: 5},
			steps: []step{
				{"00CA000005", "01 6105", nil},
				{"00C0000005", "6C02", nil},
				{"00C0000002", "0203 9000", nil},
			},
			wantData: "010203", wantSW: SWOK,
		},
		{
			name: "chaining",
			cmd:  long,
			steps: []step{
				{partHex(0), "9000", nil},
				{partHex(1), "9000", nil},
				{partHex(2), "9000", nil},
			},
			wantSW: SWOK,
		},
		{
			name: "chaining with intermediate error",
			cmd:  long,
			steps: []step{
				{partHex(0), "9000", nil},
				{partHex(1), "6A84", nil},
			},
			wantSW: SWNotEnoughMemory,
		},
		{
			name: "chaining, intermediate 61xx is not followed",
			cmd:  long,
			steps: []step{
				{partHex(0), "AA 6101", nil},
			},
			wantData: "AA", wantSW: 0x6101,
		},
		{
			name: "chaining then 61xx",
			cmd:  Command{INS: 0xDB, Data: seq(300), Ne: 256},
			steps: []step{
				{"", "9000", nil},
				{"", "01 6101", nil},
				{"00C0000001", "02 9000", nil},
			},
			wantData: "0102", wantSW: SWOK,
		},
		{
			name:     "small MaxShortData",
			maxShort: 2,
			cmd:      Command{INS: 0x20, P2: 0x80, Data: []byte{1, 2, 3, 4, 5}},
			steps: []step{
				{"1020008002 0102", "9000", nil},
				{"1020008002 0304", "9000", nil},
				{"0020008001 05", "9000", nil},
			},
			wantSW: SWOK,
		},
		{
			name:     "short mode clamps Ne",
			cmd:      Command{INS: 0xCB, Ne: 1000},
			steps:    []step{{"00CB000000", "AA 9000", nil}},
			wantData: "AA", wantSW: SWOK,
		},
		{
			name:     "extended length",
			ext:      true,
			cmd:      Command{INS: 0xDB, Data: []byte{1, 2, 3}, Ne: 65536},
			steps:    []step{{"00DB0000 000003 010203 0000", "9000", nil}},
			wantSW:   SWOK,
			wantData: "",
		},
		{
			name:   "extended length with long data",
			ext:    true,
			cmd:    long,
			steps:  []step{{"00DB3FFF 000258" + hexs(seq(600)), "9000", nil}},
			wantSW: SWOK,
		},
		{
			name:   "extended-capable sends short when possible",
			ext:    true,
			cmd:    Command{INS: 0xDB, Data: []byte{1}},
			steps:  []step{{"00DB000001 01", "9000", nil}},
			wantSW: SWOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &scriptTransport{t: t, steps: tt.steps}
			ex := &Exchanger{T: tr, ExtendedLength: tt.ext, MaxShortData: tt.maxShort}
			r, err := ex.Exchange(tt.cmd)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if hexs(r.Data) != tt.wantData || r.SW != tt.wantSW {
				t.Errorf("Exchange = %X %v, want %s %v", r.Data, r.SW, tt.wantData, tt.wantSW)
			}
			tr.done()
			st := ex.Stats()
			sent, received := 0, 0
			for i, c := range tr.sent {
				sent += len(c)
				received += len(mustHex(t, tt.steps[i].rsp))
			}
			if st != (Stats{Commands: len(tr.sent), BytesSent: sent, BytesReceived: received}) {
				t.Errorf("Stats() = %+v, want %d commands, %d sent, %d received", st, len(tr.sent), sent, received)
			}
		})
	}
}

func TestExchangerHostile(t *testing.T) {
	endless := TransportFunc(func([]byte) ([]byte, error) {
		return append(make([]byte, 256), 0x61, 0x00), nil
	})
	ex := &Exchanger{T: endless}
	_, err := ex.Exchange(Command{INS: 0xCB, Ne: 256})
	if !errors.Is(err, ErrResponseLimit) {
		t.Fatalf("endless 61xx: error = %v, want ErrResponseLimit", err)
	}
	if st := ex.Stats(); st.Commands != 1+DefaultMaxGetResponses {
		t.Errorf("Commands = %d, want %d", st.Commands, 1+DefaultMaxGetResponses)
	}

	ex = &Exchanger{T: endless, MaxResponseSize: 1000, MaxGetResponses: 1000}
	_, err = ex.Exchange(Command{INS: 0xCB, Ne: 256})
	if !errors.Is(err, ErrResponseLimit) {
		t.Fatalf("size limit: error = %v, want ErrResponseLimit", err)
	}
	if st := ex.Stats(); st.Commands != 4 {
		t.Errorf("Commands = %d, want 4 (1000 bytes exceeded on the 4th 256-byte chunk)", st.Commands)
	}

	// Endless 6Cxx during GET RESPONSE also terminates.
	n := 0
	ex = &Exchanger{T: TransportFunc(func([]byte) ([]byte, error) {
		n++
		if n == 1 {
			return []byte{0x61, 0x10}, nil
		}
		return []byte{0x6C, 0x10}, nil
	}), MaxGetResponses: 5}
	if _, err := ex.Exchange(Command{INS: 0xCB}); !errors.Is(err, ErrResponseLimit) {
		t.Fatalf("endless 6Cxx: error = %v, want ErrResponseLimit", err)
	}
	ex.ResetStats()
	if ex.Stats() != (Stats{}) {
		t.Error("ResetStats did not reset")
	}
}

func TestExchangerErrors(t *testing.T) {
	boom := errors.New("reader removed")
	tr := &scriptTransport{t: t, steps: []step{{"", "", boom}}}
	ex := &Exchanger{T: tr}
	if _, err := ex.Exchange(Command{INS: 0xA4}); !errors.Is(err, boom) {
		t.Errorf("transport error = %v, want wrapped %v", err, boom)
	}
	if st := ex.Stats(); st.Commands != 1 || st.BytesSent != 4 || st.BytesReceived != 0 {
		t.Errorf("Stats after failure = %+v", st)
	}

	tr = &scriptTransport{t: t, steps: []step{{"", "90", nil}}}
	ex = &Exchanger{T: tr}
	if _, err := ex.Exchange(Command{INS: 0xA4}); !errors.Is(err, ErrMalformed) {
		t.Errorf("short response error = %v, want ErrMalformed", err)
	}

	tr = &scriptTransport{t: t, steps: []step{{"", "AA 6101", nil}, {"00C0000001", "", boom}}}
	ex = &Exchanger{T: tr}
	if _, err := ex.Exchange(Command{INS: 0xA4}); !errors.Is(err, boom) {
		t.Errorf("GET RESPONSE transport error = %v, want wrapped %v", err, boom)
	}

	ex = &Exchanger{T: &scriptTransport{t: t}}
	if _, err := ex.Exchange(Command{INS: 0xCB, Ne: 70000}); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("invalid command error = %v, want ErrInvalidCommand", err)
	}
	if _, err := (&Exchanger{}).Exchange(Command{}); err == nil {
		t.Error("nil transport: no error")
	}
}

func TestExchangerDo(t *testing.T) {
	tr := &scriptTransport{t: t, steps: []step{
		{"", "AABB 9000", nil},
		{"", "63C2", nil},
	}}
	ex := &Exchanger{T: tr}
	data, err := ex.Do(Command{INS: 0xCB, Ne: 256})
	if err != nil || hexs(data) != "AABB" {
		t.Errorf("Do = %X, %v", data, err)
	}
	data, err = ex.Do(Command{INS: 0x20, P2: 0x80, Data: []byte("123456\xff\xff")})
	var e *Error
	if data != nil || !errors.As(err, &e) || e.INS != 0x20 {
		t.Fatalf("Do = %X, %v; want *Error", data, err)
	}
	if n, ok := e.SW.Retries(); !ok || n != 2 {
		t.Errorf("Retries() = %d, %v", n, ok)
	}
	tr.done()
	if _, err := (&Exchanger{T: tr}).Do(Command{INS: 0xCB, Ne: -1}); !errors.Is(err, ErrInvalidCommand) {
		t.Errorf("Do with invalid command = %v", err)
	}
}

// echoCard is a minimal card built from ChainAssembler and ResponseQueue: it
// answers INS 0xEE with its (reassembled) command data repeated
// P1 times, supports short APDUs only and serves long responses with 61xx.
type echoCard struct {
	mu    sync.Mutex
	chain ChainAssembler
	queue ResponseQueue
}

func (c *echoCard) Transmit(raw []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd, err := ParseCommand(raw)
	if err != nil || cmd.Extended() {
		return Response{SW: SWWrongLength}.Bytes(), nil
	}
	if cmd.INS == InsGetResponse {
		data, sw := c.queue.Next(cmd.Ne)
		return Response{Data: data, SW: sw}.Bytes(), nil
	}
	c.queue.Reset()
	full, done, sw := c.chain.Add(cmd)
	if !done {
		return Response{SW: sw}.Bytes(), nil
	}
	if full.INS != 0xEE {
		return Response{SW: SWINSNotSupported}.Bytes(), nil
	}
	out := bytes.Repeat(full.Data, int(full.P1))
	data, sw := c.queue.Split(out, full.Ne)
	return Response{Data: data, SW: sw}.Bytes(), nil
}

func TestExchangerWithCard(t *testing.T) {
	card := &echoCard{}
	var trace bytes.Buffer
	ex := &Exchanger{T: NewTraceTransport(card, nil, &trace)}
	for _, size := range []int{0, 1, 255, 256, 1000, 4000} {
		for _, p1 := range []byte{1, 3} {
			t.Run(fmt.Sprintf("%d*%d", size, p1), func(t *testing.T) {
				in := seq(size)
				data, err := ex.Do(Command{INS: 0xEE, P1: p1, Data: in, Ne: 65536})
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if want := bytes.Repeat(in, int(p1)); !bytes.Equal(data, want) {
					t.Fatalf("got %d bytes, want %d", len(data), len(want))
				}
			})
		}
	}
	if strings.Contains(trace.String(), "error") || !strings.Contains(trace.String(), "> 10EE") {
		t.Errorf("unexpected trace:\n%.500s", trace.String())
	}

	// Concurrent exchanges are serialized (run with -race).
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := bytes.Repeat([]byte{byte(i)}, 300+i*100)
			data, err := ex.Do(Command{INS: 0xEE, P1: 2, Data: in, Ne: 256})
			if err == nil && !bytes.Equal(data, bytes.Repeat(in, 2)) {
				err = fmt.Errorf("goroutine %d: wrong data", i)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	_ = ex.Stats()
}

func TestTraceTransport(t *testing.T) {
	tr := &scriptTransport{t: t, steps: []step{
		{"0020008008 31323334FFFFFFFF", "63C2", nil},
		{"00CB3FFF00", "AABB 9000", nil},
		{"00A40400", "", errors.New("card removed")},
	}}
	// Redact the data of VERIFY (INS 20), replacing it with 'X' (0x58).
	redact := func(cmd, rsp []byte) (string, string) {
		if len(cmd) > 5 && cmd[1] == 0x20 {
			for i := 5; i < len(cmd); i++ {
				cmd[i] = 'X'
			}
		}
		return HexFormat(cmd, rsp)
	}
	var buf bytes.Buffer
	tt := NewTraceTransport(tr, redact, &buf)

	pin := mustHex(t, "0020008008 31323334FFFFFFFF")
	rsp, err := tt.Transmit(pin)
	if err != nil || hexs(rsp) != "63C2" {
		t.Fatalf("Transmit = %X, %v", rsp, err)
	}
	if hexs(pin) != "002000800831323334FFFFFFFF" {
		t.Errorf("redactor modified the caller's command: %X", pin)
	}
	if _, err := tt.Transmit(mustHex(t, "00CB3FFF00")); err != nil {
		t.Fatal(err)
	}
	if _, err := tt.Transmit(mustHex(t, "00A40400")); err == nil {
		t.Fatal("transport error not returned")
	}
	want := "> 00200080085858585858585858\n< 63C2\n" +
		"> 00CB3FFF00\n< AABB9000\n" +
		"> 00A40400\n< error: card removed\n"
	if buf.String() != want {
		t.Errorf("trace:\n%s\nwant:\n%s", buf.String(), want)
	}
	if strings.Contains(buf.String(), "31323334") {
		t.Error("PIN leaked into the trace")
	}

	// A custom Log callback and no redactor.
	var got []string
	tt = &TraceTransport{T: TransportFunc(func([]byte) ([]byte, error) { return []byte{0x90, 0x00}, nil }),
		Log: func(c, r string, err error) { got = append(got, c+"/"+r) }}
	if _, err := tt.Transmit([]byte{0x00, 0xB0, 0x00, 0x00}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "00B00000/9000" {
		t.Errorf("Log calls = %v", got)
	}
	// Nil log and nil writer are harmless; nil transport is an error.
	if _, err := (&TraceTransport{T: tt.T}).Transmit([]byte{0, 0, 0, 0}); err != nil {
		t.Error(err)
	}
	if _, err := NewTraceTransport(tt.T, nil, nil).Transmit([]byte{0, 0, 0, 0}); err != nil {
		t.Error(err)
	}
	if _, err := (&TraceTransport{}).Transmit([]byte{0, 0, 0, 0}); err == nil {
		t.Error("nil transport: no error")
	}
}
