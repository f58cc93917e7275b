package vpcd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// vpcdReader is the PC/SC name of vpcd's slot 0, served on DefaultAddr.
const vpcdReader = "Virtual PCD 00 00"

// openscTool runs opensc-tool against the vpcd reader with the "default"
// card driver, so that it sends no probe APDUs of its own.
func openscTool(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	args = append([]string{"-r", vpcdReader, "-c", "default"}, args...)
	out, err := exec.CommandContext(ctx, "opensc-tool", args...).CombinedOutput()
	return string(out), err
}

// TestPcscdEndToEnd plugs a fake card into a real pcscd through the vpcd
// driver and checks that a PC/SC client sees its ATR and can exchange an
// APDU with it.
func TestPcscdEndToEnd(t *testing.T) {
	if os.Getenv("CARDMOD_PCSCD") != "1" {
		t.Skip("needs pcscd with the vpcd driver: run via scripts/with-pcscd.sh or make check")
	}
	if _, err := exec.LookPath("opensc-tool"); err != nil {
		t.Fatalf("opensc-tool not found (Debian package opensc; see scripts/deps.sh): %v", err)
	}

	card := &fakeCard{}
	startClient(t, &Client{Addr: DefaultAddr, Card: card, MaxBackoff: 500 * time.Millisecond})

	const wantATR = "3b:80:80:01:01"
	deadline := time.Now().Add(15 * time.Second)
	var out string
	for {
		var err error
		out, err = openscTool(t.Context(), "-a")
		if err == nil && strings.Contains(out, wantATR) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("opensc-tool never showed the ATR %s; last output (err %v):\n%s", wantATR, err, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("opensc-tool -a:\n%s", out)
	if got := strings.TrimSpace(out); got != wantATR {
		t.Errorf("opensc-tool printed ATR %q, want %q", got, wantATR)
	}

	cmd := []byte{0x00, 0xA4, 0x04, 0x00, 0x00}
	out, err := openscTool(t.Context(), "-s", "00A4040000")
	t.Logf("opensc-tool -s 00A4040000:\n%s", out)
	if err != nil {
		t.Fatalf("opensc-tool -s: %v", err)
	}
	if !strings.Contains(out, "SW1=0x90, SW2=0x00") {
		t.Errorf("opensc-tool did not report SW 9000")
	}
	seen := false
	for _, c := range card.Commands() {
		if bytes.Equal(c, cmd) {
			seen = true
		}
	}
	if !seen {
		t.Errorf("the card never received % x; it saw % x", cmd, card.Commands())
	}
	if ev := card.Events(); !slices.Contains(ev, "on") {
		t.Errorf("card events %q: pcscd never powered the card on", ev)
	}
}
