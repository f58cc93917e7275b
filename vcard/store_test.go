package vcard

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cardmod/cardmod/apdu"
	"github.com/cardmod/cardmod/piv"
)

func TestCreateOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	c, err := Create(path, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(path, Options{}); err == nil {
		t.Fatal("Create over an existing file succeeded")
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v (%v)", fi.Mode(), err)
	}
	h := newHost(t, c)
	h.auth()
	h.generate(piv.SlotAuth, piv.AlgECCP256)
	h.verify("000000")

	c2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !SameState(c.Snapshot(), c2.Snapshot()) {
		t.Fatal("reopened state differs")
	}
	if c2.Snapshot().PIN.Remaining != 2 {
		t.Error("wrong-PIN counter not saved")
	}
	// The reopened card signs with the saved key, and security status is not saved.
	h2 := newHost(t, c2)
	if _, sw := h2.sign(piv.SlotAuth, piv.AlgECCP256, digestOf("x")); sw != apdu.SWSecurityStatusNotSatisfied {
		t.Fatalf("sign before VERIFY on reopened card: %v", sw)
	}
	h2.verify("123456")
	if _, sw := h2.sign(piv.SlotAuth, piv.AlgECCP256, digestOf("x")); sw != apdu.SWOK {
		t.Fatalf("sign on reopened card: %v", sw)
	}
	c3, created, err := OpenOrCreate(path, Options{})
	if err != nil || created {
		t.Fatalf("OpenOrCreate existing: created=%v err=%v", created, err)
	}
	if c3.Info().Serial != c.Info().Serial {
		t.Error("different card")
	}
	other := filepath.Join(t.TempDir(), "new.json")
	if _, created, err := OpenOrCreate(other, Options{}); err != nil || !created {
		t.Fatalf("OpenOrCreate new: created=%v err=%v", created, err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestCorruptStateIsRefusedAndKept(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "card.json")
	if _, err := Create(path, Options{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	i := bytes.Index(flipped, []byte(`"serial":`)) + len(`"serial":`) + 1
	flipped[i] ^= 0x01 // a digit of the serial number: valid JSON, wrong checksum
	damages := map[string][]byte{
		"truncated":   good[:len(good)/2],
		"empty":       {},
		"bit flip":    flipped,
		"not json":    []byte("hello"),
		"wrong magic": bytes.Replace(good, []byte(stateFormat), []byte("other/1"), 1),
	}
	for name, data := range damages {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: %v, want ErrCorrupt", err)
			}
			if _, _, err := OpenOrCreate(path, Options{}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("OpenOrCreate: %v, want ErrCorrupt", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, data) {
				t.Fatal("a damaged state file was overwritten")
			}
		})
	}
}

func TestRejectedCommandsDoNotTouchTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "card.json")
	c, err := Create(path, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, c)
	before, _ := os.ReadFile(path)
	h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, []byte{1}))
	h.expect(apdu.SWSecurityStatusNotSatisfied, piv.InsGenerateAsymmetric, 0, piv.SlotAuth, []byte{0xAC, 3, 0x80, 1, piv.AlgECCP256})
	h.expect(apdu.SWWrongData, piv.InsChangeReference, 0, piv.RefPIN, pad8("123456"))
	h.verify("123456") // right PIN, counter already full: nothing to save
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("state file changed")
	}
}

// failingStore fails every save.
type failingStore struct{}

func (failingStore) Save([]byte) error { return errors.New("disk full") }

func TestSaveFailure(t *testing.T) {
	c, h := newTestCard(t)
	c.store = failingStore{}
	h.auth()
	before := c.Snapshot()
	h.expect(apdu.SWMemoryFailure, piv.InsPutData, 0x3F, 0xFF, putData(piv.ObjCertAuth, []byte{1}))
	h.expect(apdu.SWMemoryFailure, piv.InsGenerateAsymmetric, 0, piv.SlotAuth, []byte{0xAC, 3, 0x80, 1, piv.AlgECCP256})
	if !SameState(before, c.Snapshot()) {
		t.Fatal("state changed although the save failed")
	}
	// A wrong PIN still costs a try when the counter cannot be saved (no unlimited guessing).
	h.expect(apdu.SWMemoryFailure, piv.InsVerify, 0, piv.RefPIN, pad8("000000"))
	if got := c.Snapshot().PIN.Remaining; got != 2 {
		t.Fatalf("remaining %d after a wrong PIN with a failing store", got)
	}
}

// TestKillDuringSave kills a process that saves the state in a loop, many times at random
// moments, and checks that the file always loads: the old state or the new, never a torn one.
func TestKillDuringSave(t *testing.T) {
	if os.Getenv("VCARD_SAVE_LOOP") != "" {
		saveLoop(os.Getenv("VCARD_SAVE_LOOP"))
		return
	}
	if testing.Short() {
		t.Skip("kill test skipped with -short")
	}
	path := filepath.Join(t.TempDir(), "card.json")
	if _, err := Create(path, Options{Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	lastSerial := uint32(0)
	for i := range 15 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringSave$")
		cmd.Env = append(os.Environ(), "VCARD_SAVE_LOOP="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(30+i*7) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		c, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: state unreadable after kill: %v", i, err)
		}
		lastSerial = c.Info().Serial
	}
	if lastSerial == 0 {
		t.Fatal("no state")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".card.json.tmp-*"))
	t.Logf("%d temporary files left by killed saves (harmless; never read)", len(leftovers))
}

// saveLoop is the child of TestKillDuringSave: it rewrites the state with a changing serial
// number and a large object until killed.
func saveLoop(path string) {
	c, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	for i := 1; ; i++ {
		err := c.update(func(s *State) error {
			s.Serial = uint32(i)
			s.Objects[piv.ObjSecurity] = bytes.Repeat([]byte(strconv.Itoa(i)), 1000)
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
	}
}
