package csp_test

import (
	"crypto/x509/pkix"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// enrolledCard returns a card enrolled once (an ECDSA P-256 container with its certificate), so
// that its management key is PIN-protected and its map object exists, and a fresh context of a
// fresh module (another process) on it, whose commands go through log.
func enrolledCard(tb testing.TB, ca *testCA) (*ctxT, *piv.CommandLog) {
	p := enginetest.Provision(tb, nil)
	first := open(tb, engine.NewModule(), p.Card)
	first.login(tb)
	if _, _, err := first.s.Enroll(csp.KeyOptions{KeySpec: spec.ATECDSAP256}, pkix.Name{CommonName: "first"}, ca.issue); err != nil {
		tb.Fatal(err)
	}
	first.close(tb)
	log := &piv.CommandLog{T: p.Card}
	c := open(tb, engine.NewModule(), log)
	c.ctx.ResetStats()
	log.Take()
	return c, log
}

// enrollOnce is the measured enrollment: CardAuthenticatePin, then csp.Session.Enroll.
func enrollOnce(tb testing.TB, c *ctxT, ca *testCA, opts csp.KeyOptions) {
	c.login(tb)
	if _, _, err := c.s.Enroll(opts, pkix.Name{CommonName: "second"}, ca.issue); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkEnroll measures one enrollment as Windows makes it (CardAuthenticatePin, then
// csp.Session.Enroll: cardcf, cmapfile, CardCreateContainerEx, CardGetContainerInfo, cmapfile,
// cardcf, the request signed through CardSignData, cardcf, CardGetContainerInfo, the certificate
// file, cardcf) in a fresh context of a fresh module (another process) on a card that was
// enrolled once before (enrolledCard). It reports the APDUs and the bytes carried (sent +
// received) per enrollment; the acquisition of the context is not counted.
func BenchmarkEnroll(b *testing.B) {
	ca := newCA(b)
	for _, bc := range []struct {
		name string
		opts csp.KeyOptions
	}{
		{"RSA2048", csp.KeyOptions{KeySpec: spec.ATKeyExchange, Bits: 2048}},
		{"P256", csp.KeyOptions{KeySpec: spec.ATECDSAP256}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var apdus, sent, received int
			var cmds []string
			for b.Loop() {
				b.StopTimer()
				c, log := enrolledCard(b, ca)
				b.StartTimer()
				enrollOnce(b, c, ca, bc.opts)
				b.StopTimer()
				st := c.ctx.Stats()
				apdus += st.Commands
				sent += st.BytesSent
				received += st.BytesReceived
				cmds = log.Take()
				c.close(b)
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(float64(apdus)/n, "APDUs/op")
			b.ReportMetric(float64(sent+received)/n, "bytes/op")
			b.ReportMetric(float64(sent)/n, "sent/op")
			b.ReportMetric(float64(received)/n, "received/op")
			b.Logf("%s enrollment, %d commands: %s", bc.name, len(cmds), strings.Join(cmds, ", "))
		})
	}
}

// TestEnrollAPDUs pins the cost of an enrollment on a card enrolled once before (see
// BenchmarkEnroll), so that a change that adds card round trips is noticed.
func TestEnrollAPDUs(t *testing.T) {
	ca := newCA(t)
	c, log := enrolledCard(t, ca)
	enrollOnce(t, c, ca, csp.KeyOptions{KeySpec: spec.ATECDSAP256})
	st := c.ctx.Stats()
	cmds := log.Take()
	t.Logf("%d APDUs, %d bytes sent, %d received: %s", st.Commands, st.BytesSent, st.BytesReceived, strings.Join(cmds, ", "))
	if st.Commands != len(cmds) {
		t.Errorf("the context counted %d commands, %d reached the card", st.Commands, len(cmds))
	}
	const budget = 25
	if st.Commands > budget {
		t.Errorf("an enrollment costs %d APDUs (budget %d)", st.Commands, budget)
	}
}
