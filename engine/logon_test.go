package engine_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/engine/refhost"
	"github.com/cardmod/cardmod/spec"
	"github.com/cardmod/cardmod/vcard"
)

// logon runs what Windows does at smart card logon: acquire a context, read cardcf, cmapfile
// and the logon certificate, present the PIN, sign. It returns the APDUs and bytes it cost.
func logon(tb testing.TB, m *engine.Module, card apdu.Transport, host *refhost.Host, ext bool) apdu.Stats {
	tb.Helper()
	ctx, err := m.AcquireContext(engine.AcquireParams{Version: 7, ATR: vcard.ATR(), CardName: "cardmod virtual PIV",
		HasCardName: true, Host: host, Card: card, ExtendedLength: ext})
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range [][2]string{{"", "cardcf"}, {"mscp", "cmapfile"}, {"mscp", "kxc00"}} {
		b, err := ctx.ReadFile(f[0], f[1], 0)
		if err != nil {
			tb.Fatalf("read %s: %v", f[1], err)
		}
		host.Free(b)
	}
	if _, err := ctx.AuthenticatePin("user", enginetest.PIN); err != nil {
		tb.Fatal(err)
	}
	d := sha256.Sum256([]byte("logon"))
	si := &engine.SigningInfo{Version: 2, ContainerIndex: 0, KeySpec: spec.ATKeyExchange, HashAlg: spec.CALGSHA256, Data: d[:]}
	if err := ctx.SignData(si); err != nil {
		tb.Fatal(err)
	}
	host.Free(si.SignedData)
	st := ctx.Stats()
	if err := ctx.DeleteContext(); err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestLogonAPDUs checks the APDU budget of the logon flow on a card enrolled through the
// minidriver (map object present) with extended-length APDUs: SELECT, the map object, one GET
// DATA per container certificate (read at every cardcf read, so that a certificate replaced by
// another PIV tool is noticed), VERIFY and the signature: 4 + containers, cold or warm.
func TestLogonAPDUs(t *testing.T) {
	p := enginetest.Provision(t, enginetest.StandardKeys)
	enginetest.WriteMap(t, p, enginetest.StandardKeys)
	m := engine.NewModule()
	for _, ext := range []bool{true, false} {
		host := refhost.New()
		cold := logon(t, m, p.Card, host, ext)
		warm := logon(t, m, p.Card, host, ext)
		t.Logf("extended=%v: cold %d APDUs (%d bytes out, %d in), warm %d APDUs (%d/%d)", ext,
			cold.Commands, cold.BytesSent, cold.BytesReceived, warm.Commands, warm.BytesSent, warm.BytesReceived)
		budget := 4 + len(enginetest.StandardKeys)
		if ext && (cold.Commands > budget || warm.Commands > budget) {
			t.Errorf("extended: cold %d, warm %d (budget %d)", cold.Commands, warm.Commands, budget)
		}
		if host.Live() != 0 {
			t.Errorf("%d buffers leaked", host.Live())
		}
	}
	// A card provisioned only by other PIV tools (no map object): containers are discovered by
	// reading the certificate objects.
	q := enginetest.Provision(t, enginetest.StandardKeys)
	st := logon(t, m, q.Card, refhost.New(), true)
	t.Logf("card without map object: %d APDUs (%d bytes out, %d in)", st.Commands, st.BytesSent, st.BytesReceived)
}

func BenchmarkLogon(b *testing.B) {
	p := enginetest.Provision(b, enginetest.StandardKeys)
	enginetest.WriteMap(b, p, enginetest.StandardKeys)
	q := enginetest.Provision(b, enginetest.StandardKeys)
	m := engine.NewModule()
	for _, tc := range []struct {
		name string
		card *vcard.Card
		warm bool
		ext  bool
	}{
		{"map/cold/extended", p.Card, false, true},
		{"map/warm/extended", p.Card, true, true},
		{"map/cold/short", p.Card, false, false},
		{"map/warm/short", p.Card, true, false},
		{"nomap/cold/extended", q.Card, false, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			host := refhost.New()
			card := &timedCard{t: tc.card}
			if tc.warm {
				logon(b, m, card, host, tc.ext)
			}
			var st apdu.Stats
			card.spent = 0
			start := time.Now()
			n := 0
			for b.Loop() {
				if !tc.warm {
					host = refhost.New()
				}
				st = logon(b, m, card, host, tc.ext)
				n++
			}
			engineTime := time.Since(start) - card.spent
			b.ReportMetric(float64(st.Commands), "APDUs/op")
			b.ReportMetric(float64(st.BytesSent+st.BytesReceived), "cardbytes/op")
			// Six minidriver calls per logon: acquire, three file reads, PIN, sign.
			b.ReportMetric(float64(engineTime.Nanoseconds())/float64(n)/6, "engine-ns/call")
		})
	}
}

// timedCard measures the time spent in the card (virtual card processing, including its RSA
// operation), so that benchmarks can report the engine's own cost.
type timedCard struct {
	t     apdu.Transport
	spent time.Duration
}

func (c *timedCard) Transmit(cmd []byte) ([]byte, error) {
	start := time.Now()
	rsp, err := c.t.Transmit(cmd)
	c.spent += time.Since(start)
	return rsp, err
}

// replayCard answers every command with the response the real card gave to it when recorded: a
// card that costs no time, to measure the engine alone.
type replayCard struct {
	t   apdu.Transport
	rec map[string][]byte
}

func (c *replayCard) Transmit(cmd []byte) ([]byte, error) {
	if c.t != nil {
		rsp, err := c.t.Transmit(cmd)
		if err == nil {
			c.rec[string(cmd)] = rsp
		}
		return rsp, err
	}
	if rsp, ok := c.rec[string(cmd)]; ok {
		return rsp, nil
	}
	return []byte{0x6F, 0x00}, nil
}

// BenchmarkEngineOverhead is the engine's own cost per minidriver call in the warm logon flow,
// with the card replaced by recorded answers (card time excluded).
func BenchmarkEngineOverhead(b *testing.B) {
	p := enginetest.Provision(b, enginetest.StandardKeys)
	enginetest.WriteMap(b, p, enginetest.StandardKeys)
	m := engine.NewModule()
	host := refhost.New()
	rc := &replayCard{t: p.Card, rec: map[string][]byte{}}
	logon(b, m, rc, host, true)
	logon(b, m, rc, host, true)
	rc.t = nil
	b.ReportAllocs()
	for b.Loop() {
		logon(b, m, rc, host, true)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/6, "ns/call")
}
