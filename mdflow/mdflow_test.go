package mdflow_test

import (
	"testing"

	"github.com/cardmod/cardmod/engine/enginetest"
	"github.com/cardmod/cardmod/mdflow"
	"github.com/cardmod/cardmod/mdflow/mdflowtest"
	"github.com/cardmod/cardmod/vcard"
)

// TestEngineFlows runs the whole suite against the in-process engine on virtual cards (with and
// without the map object), with extended-length and with short APDUs.
func TestEngineFlows(t *testing.T) {
	for _, v := range mdflowtest.Variants {
		for _, mode := range []struct {
			name string
			opts []mdflow.EngineOption
		}{{"extended", nil}, {"short", []mdflow.EngineOption{mdflow.WithShortAPDUs()}}} {
			t.Run(v.Name+"/"+mode.name, func(t *testing.T) {
				card, env := mdflowtest.Card(t, v)
				md := mdflow.Engine(card, mode.opts...)
				for _, f := range mdflow.Flows {
					t.Run(f.Name, func(t *testing.T) { mdflow.Run(t, md, env, f) })
				}
			})
		}
	}
}

// TestEnvFromCard checks that the Env read from a card matches the provisioning, and its JSON
// form.
func TestEnvFromCard(t *testing.T) {
	p := enginetest.Provision(t, enginetest.StandardKeys)
	env := mdflow.NewEnv()
	if err := env.FillFromCard(p.Card); err != nil {
		t.Fatal(err)
	}
	for slot, der := range p.Certs {
		if string(env.Cert(slot)) != string(der) {
			t.Errorf("slot %02X: certificate differs", slot)
		}
	}
	if err := env.Check(); err != nil {
		t.Fatal(err)
	}
	if string(env.ATR) != string(vcard.ATR()) {
		t.Errorf("ATR %X", env.ATR)
	}
	path := t.TempDir() + "/env.json"
	if err := mdflow.WriteEnvFile(path, env); err != nil {
		t.Fatal(err)
	}
	back, err := mdflow.ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.GUID) != string(env.GUID) || len(back.Certs) != len(env.Certs) || string(back.PIN) != string(env.PIN) ||
		string(back.ATR) != string(env.ATR) || back.MgmAlg != env.MgmAlg {
		t.Errorf("JSON round trip: %+v", back)
	}
}

// failT records failures without stopping, to check that the flows detect a wrong environment.
type failT struct {
	errs  int
	fatal bool
}

func (f *failT) Errorf(string, ...any) { f.errs++ }
func (f *failT) Fatalf(string, ...any) { f.errs++; f.fatal = true; panic(f) }
func (f *failT) Logf(string, ...any)   {}
func (f *failT) Helper()               {}

// TestFlowsDetectMismatch runs the files flow with a wrong expected certificate: the suite must
// fail (it checks values, not only status codes).
func TestFlowsDetectMismatch(t *testing.T) {
	card, env := mdflowtest.Card(t, mdflowtest.Variants[0])
	env.SetCert(0x9A, env.Cert(0x9D))
	md := mdflow.Engine(card)
	ft := &failT{}
	func() {
		defer func() {
			if r := recover(); r != nil && r != any(ft) {
				panic(r)
			}
		}()
		for _, f := range mdflow.Flows {
			if f.Name == "files" {
				mdflow.Run(ft, md, env, f)
			}
		}
	}()
	if ft.errs == 0 {
		t.Fatal("the files flow accepted a certificate that differs from the card's")
	}
}
