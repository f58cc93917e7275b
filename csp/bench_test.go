package csp_test

import (
	"bytes"
	"crypto/x509/pkix"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/csp"
	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/piv"
	"github.com/cardmod/cardmod/spec"
)

// cmdLog is a transport that names the commands it carries (instruction and object or key
// reference, never data).
type cmdLog struct {
	t    apdu.Transport
	mu   sync.Mutex
	cmds []string
}

func (l *cmdLog) Transmit(raw []byte) ([]byte, error) {
	rsp, err := l.t.Transmit(raw)
	l.mu.Lock()
	defer l.mu.Unlock()
	c, perr := apdu.ParseCommand(raw)
	if perr != nil {
		l.cmds = append(l.cmds, "malformed")
		return rsp, err
	}
	var s string
	switch c.INS {
	case piv.InsSelect:
		s = "SELECT"
	case piv.InsGetData, piv.InsPutData:
		s = "GET DATA"
		if c.INS == piv.InsPutData {
			s = "PUT DATA"
		}
		if len(c.Data) >= 2 && c.Data[0] == piv.TagTagList && int(c.Data[1])+2 <= len(c.Data) {
			s += fmt.Sprintf(" %X", c.Data[2:2+int(c.Data[1])])
		}
	case piv.InsVerify:
		s = "VERIFY"
	case piv.InsGeneralAuth:
		s = fmt.Sprintf("GENERAL AUTHENTICATE %02X", c.P2)
	case piv.InsGenerateAsymmetric:
		s = fmt.Sprintf("GENERATE %02X", c.P2)
	case piv.InsGetMetadata:
		s = fmt.Sprintf("GET METADATA %02X", c.P2)
	case piv.InsGetVersion:
		s = "GET VERSION"
	case piv.InsGetSerial:
		s = "GET SERIAL"
	case piv.InsGetResponse:
		s = "GET RESPONSE"
	default:
		s = fmt.Sprintf("INS %02X", c.INS)
	}
	if len(rsp) >= 2 && !bytes.Equal(rsp[len(rsp)-2:], []byte{0x90, 0x00}) {
		s += fmt.Sprintf(" -> %X", rsp[len(rsp)-2:])
	}
	l.cmds = append(l.cmds, s)
	return rsp, err
}

func (l *cmdLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.cmds
	l.cmds = nil
	return c
}

// enrolledCard returns a card enrolled once (an ECDSA P-256 container with its certificate), so
// that its management key is PIN-protected and its map object exists, and a fresh context of a
// fresh module (another process) on it, whose commands go through log.
func enrolledCard(tb testing.TB, ca *testCA) (*ctxT, *cmdLog) {
	p := enginetest.Provision(tb, nil)
	first := open(tb, engine.NewModule(), p.Card)
	first.login(tb)
	if _, _, err := first.s.Enroll(csp.KeyOptions{KeySpec: spec.ATECDSAP256}, pkix.Name{CommonName: "first"}, ca.issue); err != nil {
		tb.Fatal(err)
	}
	first.close(tb)
	log := &cmdLog{t: p.Card}
	c := open(tb, engine.NewModule(), log)
	c.ctx.ResetStats()
	log.take()
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
				cmds = log.take()
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
	cmds := log.take()
	t.Logf("%d APDUs, %d bytes sent, %d received: %s", st.Commands, st.BytesSent, st.BytesReceived, strings.Join(cmds, ", "))
	if st.Commands != len(cmds) {
		t.Errorf("the context counted %d commands, %d reached the card", st.Commands, len(cmds))
	}
	const budget = 25
	if st.Commands > budget {
		t.Errorf("an enrollment costs %d APDUs (budget %d)", st.Commands, budget)
	}
}
