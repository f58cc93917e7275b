//go:build cgo

package main

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/cardmod/cardmod/engine"
	"github.com/cardmod/cardmod/packaging"
)

// TestMgmKeyPolicyNames: the DLL reads the registry value the packaging documents.
func TestMgmKeyPolicyNames(t *testing.T) {
	if mgmPolicyRegKey != packaging.SettingsKey || mgmPolicyRegValue != packaging.ValueMgmKeyPolicy ||
		engine.MgmKeyProtect.String() != packaging.DefaultMgmKeyPolicy {
		t.Errorf("registry %s\\%s (default %s), packaging %s\\%s (default %s)", mgmPolicyRegKey, mgmPolicyRegValue,
			engine.MgmKeyProtect, packaging.SettingsKey, packaging.ValueMgmKeyPolicy, packaging.DefaultMgmKeyPolicy)
	}
}

func TestChooseMgmKeyPolicy(t *testing.T) {
	env := func(v string) policySource {
		return policySource{name: "env", value: v, set: strings.TrimSpace(v) != ""}
	}
	reg := func(v string) policySource { return policySource{name: "reg", value: v, set: v != ""} }
	regErr := policySource{name: "reg", err: errors.New("access denied")}
	for _, tc := range []struct {
		name    string
		sources []policySource
		want    engine.MgmKeyPolicy
		log     string // a substring of the log
	}{
		{"nothing set", []policySource{env(""), reg("")}, engine.MgmKeyProtect, "source=default policy=protect"},
		{"environment", []policySource{env("refuse"), reg("")}, engine.MgmKeyRefuse, "source=env policy=refuse"},
		{"environment, any case", []policySource{env(" KEEP "), reg("")}, engine.MgmKeyKeep, "source=env policy=keep"},
		{"registry", []policySource{env(""), reg("keep")}, engine.MgmKeyKeep, "source=reg policy=keep"},
		{"the environment wins", []policySource{env("refuse"), reg("keep")}, engine.MgmKeyRefuse, "source=env policy=refuse"},
		{"invalid environment: the default", []policySource{env("never"), reg("keep")}, engine.MgmKeyProtect, "invalid setting ignored"},
		{"invalid registry: the default", []policySource{env(""), reg("sometimes")}, engine.MgmKeyProtect, "value=sometimes"},
		{"unreadable registry", []policySource{env(""), regErr}, engine.MgmKeyProtect, "access denied"},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		if got := chooseMgmKeyPolicy(log, tc.sources...); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if !strings.Contains(buf.String(), tc.log) {
			t.Errorf("%s: log %q lacks %q", tc.name, buf.String(), tc.log)
		}
	}
}

func TestLoadMgmKeyPolicyEnv(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for v, want := range map[string]engine.MgmKeyPolicy{"": engine.MgmKeyProtect, "keep": engine.MgmKeyKeep,
		"refuse": engine.MgmKeyRefuse, "protect": engine.MgmKeyProtect, "bogus": engine.MgmKeyProtect} {
		t.Setenv(mgmPolicyEnv, v)
		if got := loadMgmKeyPolicy(log); got != want {
			t.Errorf("%s=%q: %v, want %v", mgmPolicyEnv, v, got, want)
		}
	}
}
