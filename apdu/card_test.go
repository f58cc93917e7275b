package apdu

import (
	"bytes"
	"testing"
)

func TestResponseQueue(t *testing.T) {
	var q ResponseQueue
	if q.Pending() {
		t.Fatal("zero queue pending")
	}
	if data, sw := q.Next(0); data != nil || sw != SWConditionsNotSatisfied {
		t.Errorf("Next on empty queue = %X, %v", data, sw)
	}

	// Fits at once.
	data, sw := q.Split(seq(10), 0)
	if len(data) != 10 || sw != SWOK || q.Pending() {
		t.Errorf("Split(10, 0) = %d bytes, %v, pending %v", len(data), sw, q.Pending())
	}
	data, sw = q.Split(nil, 5)
	if len(data) != 0 || sw != SWOK || q.Pending() {
		t.Errorf("Split(nil) = %X, %v", data, sw)
	}

	// 700 bytes with Ne=256: 256 + 61 00, then 256 + 61 BC, then 188 + 9000.
	in := seq(700)
	data, sw = q.Split(in, 256)
	if len(data) != 256 || sw != 0x6100 || !q.Pending() || q.Remaining() != 444 {
		t.Fatalf("Split(700, 256) = %d bytes, %v, remaining %d", len(data), sw, q.Remaining())
	}
	out := bytes.Clone(data)
	in[300] ^= 0xFF // the queue keeps its own copy
	data, sw = q.Next(0)
	if len(data) != 256 || sw != 0x61BC {
		t.Fatalf("Next(0) = %d bytes, %v; want 256, 61BC", len(data), sw)
	}
	out = append(out, data...)
	data, sw = q.Next(0xBC)
	if len(data) != 0xBC || sw != SWOK || q.Pending() {
		t.Fatalf("Next(BC) = %d bytes, %v", len(data), sw)
	}
	out = append(out, data...)
	if !bytes.Equal(out, seq(700)) {
		t.Error("reassembled data differs")
	}
	if _, sw := q.Next(256); sw != SWConditionsNotSatisfied {
		t.Errorf("Next after completion = %v", sw)
	}

	// Small Ne, Next with larger Ne than remaining, extended Ne.
	data, sw = q.Split(seq(10), 4)
	if len(data) != 4 || sw != 0x6106 {
		t.Errorf("Split(10, 4) = %d, %v", len(data), sw)
	}
	data, sw = q.Next(100)
	if !bytes.Equal(data, seq(10)[4:]) || sw != SWOK {
		t.Errorf("Next(100) = %X, %v", data, sw)
	}
	data, sw = q.Split(seq(70000), 65536)
	if len(data) != 65536 || sw != 0x6100 || q.Remaining() != 70000-65536 {
		t.Errorf("Split(70000, 65536) = %d, %v", len(data), sw)
	}
	q.Reset()
	if q.Pending() || q.Remaining() != 0 {
		t.Error("Reset left data")
	}
	// Negative ne counts as 256.
	if data, sw := q.Split(seq(300), -1); len(data) != 256 || sw != 0x612C {
		t.Errorf("Split(300, -1) = %d, %v", len(data), sw)
	}
}

func TestChainAssembler(t *testing.T) {
	var a ChainAssembler
	full := Command{CLA: 0x00, INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: seq(600), Ne: 0}
	parts := full.Chain(255)
	for i, p := range parts {
		got, done, sw := a.Add(p)
		if sw != SWOK {
			t.Fatalf("part %d: sw %v", i, sw)
		}
		last := i == len(parts)-1
		if done != last || a.InProgress() == last {
			t.Fatalf("part %d: done=%v in progress=%v", i, done, a.InProgress())
		}
		if last && !equalCommand(got, full) {
			t.Fatalf("assembled %v, want %v", got, full)
		}
	}

	// A standalone command passes through unchanged.
	single := Command{INS: 0xCB, P1: 0x3F, P2: 0xFF, Data: []byte{1}, Ne: 256}
	if got, done, sw := a.Add(single); !done || sw != SWOK || !equalCommand(got, single) {
		t.Errorf("Add(single) = %v, %v, %v", got, done, sw)
	}

	// Final part's Ne is kept; empty data parts are fine.
	a.Add(Command{CLA: 0x10, INS: 0x87, P1: 0x07, P2: 0x9A, Data: []byte{0x7C}})
	a.Add(Command{CLA: 0x10, INS: 0x87, P1: 0x07, P2: 0x9A})
	got, done, _ := a.Add(Command{CLA: 0x00, INS: 0x87, P1: 0x07, P2: 0x9A, Data: []byte{0x00}, Ne: 256})
	if !done || !bytes.Equal(got.Data, []byte{0x7C, 0x00}) || got.Ne != 256 || got.CLA != 0x00 {
		t.Errorf("assembled %v %X", got, got.Data)
	}

	// A different command aborts the chain and starts over.
	a.Add(Command{CLA: 0x10, INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: []byte{1, 2}})
	got, done, sw := a.Add(Command{CLA: 0x00, INS: 0xCB, P1: 0x3F, P2: 0xFF, Data: []byte{9}})
	if !done || sw != SWOK || !bytes.Equal(got.Data, []byte{9}) || a.InProgress() {
		t.Errorf("interrupting command = %v %X, %v, %v", got, got.Data, done, sw)
	}
	a.Add(Command{CLA: 0x10, INS: 0xDB, P1: 0x3F, P2: 0xFF, Data: []byte{1, 2}})
	a.Add(Command{CLA: 0x10, INS: 0xDB, P1: 0x3F, P2: 0xFE, Data: []byte{3}}) // new chain (P2 differs)
	got, done, _ = a.Add(Command{CLA: 0x00, INS: 0xDB, P1: 0x3F, P2: 0xFE, Data: []byte{4}})
	if !done || !bytes.Equal(got.Data, []byte{3, 4}) || got.P2 != 0xFE {
		t.Errorf("restarted chain = %v %X", got, got.Data)
	}
	// Different logical channel (CLA) also restarts.
	a.Add(Command{CLA: 0x10, INS: 0xDB, Data: []byte{1}})
	got, done, _ = a.Add(Command{CLA: 0x01, INS: 0xDB, Data: []byte{2}})
	if !done || !bytes.Equal(got.Data, []byte{2}) {
		t.Errorf("other channel = %v %X", got, got.Data)
	}

	// Size limit.
	a = ChainAssembler{MaxData: 300}
	a.Add(Command{CLA: 0x10, INS: 0xDB, Data: seq(200)})
	got, done, sw = a.Add(Command{CLA: 0x10, INS: 0xDB, Data: seq(200)})
	if done || sw != SWWrongLength || a.InProgress() || got.Data != nil {
		t.Errorf("over limit = %v, %v, %v", got, done, sw)
	}
	// After the reset, the tail of the old chain is a standalone command.
	got, done, sw = a.Add(Command{CLA: 0x00, INS: 0xDB, Data: seq(10)})
	if !done || sw != SWOK || len(got.Data) != 10 {
		t.Errorf("after limit = %v, %v, %v", got, done, sw)
	}
	a.Add(Command{CLA: 0x10, INS: 0xDB, Data: seq(200)})
	a.Reset()
	if a.InProgress() {
		t.Error("Reset left chain in progress")
	}

	// The default limit is 65536 bytes.
	var d ChainAssembler
	for i := 0; i < 256; i++ {
		if _, _, sw := d.Add(Command{CLA: 0x10, INS: 0xDB, Data: seq(256)}); sw != SWOK {
			t.Fatalf("part %d: %v", i, sw)
		}
	}
	if _, _, sw := d.Add(Command{CLA: 0x00, INS: 0xDB, Data: seq(1)}); sw != SWWrongLength {
		t.Errorf("65537th byte: %v, want 6700", sw)
	}
}
