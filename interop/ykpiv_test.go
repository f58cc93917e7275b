package interop

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// step runs one stage of a test as a subtest and stops the test if it fails: later stages depend
// on the card state the earlier ones leave.
func step(t *testing.T, name string, fn func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, fn) {
		t.FailNow()
	}
}

// line returns the value after the first line starting with prefix ("" if none).
func line(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(l, prefix))
		}
	}
	return ""
}

// TestYubicoStatus checks what yubico-piv-tool reads from a new card: version, serial number,
// CHUID, CCC and the PIN retry counter.
func TestYubicoStatus(t *testing.T) {
	c := startCard(t)

	out := c.ok(t, c.ykpiv("-a", "version"))
	expect(t, "version", out, "Application version "+c.info.Version+" found.")

	out = c.ok(t, c.ykpiv("-a", "status"))
	if got, want := line(out, "Serial Number:"), fmt.Sprint(c.info.Serial); got != want {
		t.Errorf("status: serial number %q, pivcard show says %s\n%s", got, want, out)
	}
	if got := line(out, "Version:"); got != c.info.Version {
		t.Errorf("status: version %q, want %s", got, c.info.Version)
	}
	chuid := line(out, "CHUID:")
	if c.info.CHUIDGUID == "" || !strings.Contains(chuid, "3410"+c.info.CHUIDGUID) {
		t.Errorf("status: CHUID %q lacks the GUID element 34 10 %s that pivcard show reports", chuid, c.info.CHUIDGUID)
	}
	if ccc := line(out, "CCC:"); !strings.HasPrefix(ccc, "f015a000000116") {
		t.Errorf("status: CCC %q does not start with the card identifier F0 15 A000000116", ccc)
	}
	if got := line(out, "PIN tries left:"); got != "3" {
		t.Errorf("status: PIN tries left %q, want 3", got)
	}
	if strings.Contains(out, "Slot ") {
		t.Errorf("status of a new card lists a certificate:\n%s", out)
	}
}

// TestYubicoPIN exercises the PIN and PUK through yubico-piv-tool: verify, wrong tries and their
// counter, change PIN and PUK, block the PIN and unblock it with the PUK.
func TestYubicoPIN(t *testing.T) {
	c := startCard(t)

	retries := func(t *testing.T, pin, puk int) {
		t.Helper()
		info := c.show(t)
		if info.PINRetries != [2]int{pin, 3} || info.PUKRetries != [2]int{puk, 3} {
			t.Fatalf("pivcard show: PIN tries %v, PUK tries %v; want [%d 3] and [%d 3]", info.PINRetries,
				info.PUKRetries, pin, puk)
		}
	}
	verify := func(t *testing.T, pin string) {
		t.Helper()
		out := c.ok(t, c.ykpiv("-a", "verify-pin", "-P", pin))
		expect(t, "verify-pin", out, "Successfully verified PIN.")
	}
	wrong := func(t *testing.T, pin, message string) {
		t.Helper()
		out := c.fails(t, c.ykpiv("-a", "verify-pin", "-P", pin))
		expect(t, "verify-pin with a wrong PIN", out, message)
	}

	step(t, "verify", func(t *testing.T) {
		verify(t, defaultPIN)
		retries(t, 3, 3)
	})
	step(t, "wrong PIN", func(t *testing.T) {
		wrong(t, "000000", "Pin verification failed, 2 tries left before pin is blocked.")
		retries(t, 2, 3)
		out := c.ok(t, c.ykpiv("-a", "status"))
		if got := line(out, "PIN tries left:"); got != "2" {
			t.Errorf("status after a wrong PIN: PIN tries left %q, want 2", got)
		}
		verify(t, defaultPIN)
		retries(t, 3, 3)
	})
	step(t, "change PIN", func(t *testing.T) {
		out := c.ok(t, c.ykpiv("-a", "change-pin", "-P", defaultPIN, "-N", otherPIN))
		expect(t, "change-pin", out, "Successfully changed the pin code.")
		if c.show(t).PINDefault {
			t.Errorf("pivcard show: PIN still default after change-pin")
		}
		wrong(t, defaultPIN, "Pin verification failed, 2 tries left before pin is blocked.")
		verify(t, otherPIN)
		retries(t, 3, 3)
		out = c.fails(t, c.ykpiv("-a", "change-pin", "-P", "000000", "-N", defaultPIN))
		expect(t, "change-pin with a wrong PIN", out, "Failed verifying pin code, now 2 tries left before blocked.")
		retries(t, 2, 3)
		c.ok(t, c.ykpiv("-a", "change-pin", "-P", otherPIN, "-N", defaultPIN))
		if !c.show(t).PINDefault {
			t.Errorf("pivcard show: PIN not default after changing it back")
		}
		retries(t, 3, 3)
		verify(t, defaultPIN)
	})
	step(t, "change PUK", func(t *testing.T) {
		out := c.ok(t, c.ykpiv("-a", "change-puk", "-P", defaultPUK, "-N", otherPUK))
		expect(t, "change-puk", out, "Successfully changed the puk code.")
		if c.show(t).PUKDefault {
			t.Errorf("pivcard show: PUK still default after change-puk")
		}
		out = c.fails(t, c.ykpiv("-a", "change-puk", "-P", "11111111", "-N", "22222222"))
		expect(t, "change-puk with a wrong PUK", out, "Failed verifying puk code, now 2 tries left before blocked.")
		retries(t, 3, 2)
	})
	step(t, "block and unblock PIN", func(t *testing.T) {
		wrong(t, "000000", "Pin verification failed, 2 tries left before pin is blocked.")
		wrong(t, "000000", "Pin verification failed, 1 tries left before pin is blocked.")
		wrong(t, "000000", "Pin code blocked")
		retries(t, 0, 2)
		wrong(t, defaultPIN, "Pin code blocked")
		out := c.fails(t, c.ykpiv("-a", "change-pin", "-P", defaultPIN, "-N", otherPIN))
		expect(t, "change-pin of a blocked PIN", out, "The pin code is blocked")
		retries(t, 0, 2)

		out = c.ok(t, c.ykpiv("-a", "unblock-pin", "-P", otherPUK, "-N", defaultPIN))
		expect(t, "unblock-pin", out, "Successfully unblocked the pin code.")
		retries(t, 3, 3)
		verify(t, defaultPIN)
	})
	step(t, "pin-retries", func(t *testing.T) {
		// Needs the management key and the PIN; resets PIN and PUK to their defaults.
		out := c.fails(t, c.ykpiv("--key="+defaultMgmKey, "-a", "pin-retries", "--pin-retries", "5", "--puk-retries", "4"))
		expect(t, "pin-retries without the PIN", out, "Failed changing pin retries.")
		c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "verify-pin", "-P", defaultPIN, "-a", "pin-retries",
			"--pin-retries", "5", "--puk-retries", "4"))
		info := c.show(t)
		if info.PINRetries != [2]int{5, 5} || info.PUKRetries != [2]int{4, 4} {
			t.Errorf("pivcard show after pin-retries 5/4: PIN tries %v, PUK tries %v", info.PINRetries, info.PUKRetries)
		}
		if !info.PINDefault || !info.PUKDefault {
			t.Errorf("pivcard show after pin-retries: PIN default %v, PUK default %v; want both true (reset)",
				info.PINDefault, info.PUKDefault)
		}
		out = c.ok(t, c.ykpiv("-a", "status"))
		if got := line(out, "PIN tries left:"); got != "5" {
			t.Errorf("status after pin-retries: PIN tries left %q, want 5", got)
		}
		verify(t, defaultPIN)
	})
}

// TestYubicoReset resets the card with yubico-piv-tool: refused while the PIN and PUK work,
// accepted once both are blocked, and then keys and secrets are back to the defaults.
func TestYubicoReset(t *testing.T) {
	c := startCard(t)
	c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "generate", "-s", "9e", "-A", "ECCP256", "-o", c.path("pub9e.pem")))
	c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "set-mgm-key", "-n", otherMgmKey))
	c.ok(t, c.ykpiv("-a", "change-pin", "-P", defaultPIN, "-N", otherPIN))

	out := c.fails(t, c.ykpiv("-a", "reset"))
	expect(t, "reset with working PIN and PUK", out, "Reset failed, are pincodes blocked?")
	if len(c.show(t).Keys) != 1 {
		t.Fatalf("a refused reset changed the keys")
	}
	for range 3 {
		c.fails(t, c.ykpiv("-a", "verify-pin", "-P", "000000"))
	}
	for range 3 {
		c.fails(t, c.ykpiv("-a", "unblock-pin", "-P", "00000000", "-N", "000000"))
	}
	info := c.show(t)
	if info.PINRetries[0] != 0 || info.PUKRetries[0] != 0 {
		t.Fatalf("PIN tries %v, PUK tries %v: want both blocked", info.PINRetries, info.PUKRetries)
	}
	out = c.ok(t, c.ykpiv("-a", "reset"))
	expect(t, "reset", out, "Successfully reset the application.")

	info = c.show(t)
	if len(info.Keys) != 0 || !info.PINDefault || !info.PUKDefault || !info.MgmDefault || info.Serial != c.info.Serial {
		t.Errorf("pivcard show after reset: keys %v, PIN default %v, PUK default %v, management key default %v, serial %d "+
			"(was %d)", info.Keys, info.PINDefault, info.PUKDefault, info.MgmDefault, info.Serial, c.info.Serial)
	}
	if info.PINRetries != [2]int{3, 3} || info.PUKRetries != [2]int{3, 3} {
		t.Errorf("pivcard show after reset: PIN tries %v, PUK tries %v", info.PINRetries, info.PUKRetries)
	}
	if info.CHUIDGUID == c.info.CHUIDGUID {
		t.Errorf("reset kept the CHUID GUID %s", info.CHUIDGUID)
	}
	c.ok(t, c.ykpiv("-a", "verify-pin", "-P", defaultPIN))
	c.ok(t, c.ykpiv("--key="+defaultMgmKey, "-a", "set-chuid"))
}

// TestManagementKey changes the management key with yubico-piv-tool and checks that operations
// needing it then work with the new key only (yubico-piv-tool's and OpenSC's authentication), then
// exercises data objects with it and puts the default key back.
func TestManagementKey(t *testing.T) {
	c := startCard(t)
	oldKey, newKey := "--key="+defaultMgmKey, "--key="+otherMgmKey
	keyFile := func(name, key string) string {
		p := c.path(name)
		if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldKeyFile, newKeyFile := keyFile("old-mgm.key", defaultMgmKey), keyFile("new-mgm.key", otherMgmKey)
	// OpenSC's piv-tool authenticates with the key in the file PIV_EXT_AUTH_KEY names. Mutual
	// authentication (M) checks the card's answer too. (External authentication, A, fails in
	// OpenSC 0.23 before reaching the card: OpenSC/OpenSC#2658.)
	pivTool := func(file string) []string {
		return []string{"env", "PIV_EXT_AUTH_KEY=" + file, "piv-tool", "--reader", reader, "-A", "M:9B:03"}
	}

	step(t, "set new key", func(t *testing.T) {
		c.ok(t, pivTool(oldKeyFile))
		out := c.ok(t, c.ykpiv(oldKey, "-a", "set-mgm-key", "-n", otherMgmKey))
		expect(t, "set-mgm-key", out, "Successfully set new management key.")
		info := c.show(t)
		if info.MgmDefault || info.MgmAlg != "3DES" {
			t.Errorf("pivcard show: management key %s default %v; want 3DES, not default", info.MgmAlg, info.MgmDefault)
		}
	})
	step(t, "old key refused", func(t *testing.T) {
		out := c.fails(t, c.ykpiv(oldKey, "-a", "set-chuid"))
		expect(t, "set-chuid with the old key", out, "Failed authentication with the application.")
		if guid := c.show(t).CHUIDGUID; guid != c.info.CHUIDGUID {
			t.Errorf("CHUID GUID changed from %s to %s by a refused set-chuid", c.info.CHUIDGUID, guid)
		}
		c.fails(t, pivTool(oldKeyFile))
	})
	step(t, "new key accepted", func(t *testing.T) {
		c.ok(t, c.ykpiv(newKey, "-a", "set-chuid"))
		guid := c.show(t).CHUIDGUID
		if guid == "" || guid == c.info.CHUIDGUID {
			t.Errorf("CHUID GUID %q after set-chuid, was %s: want a new one", guid, c.info.CHUIDGUID)
		}
		out := c.ok(t, c.ykpiv("-a", "status"))
		if chuid := line(out, "CHUID:"); !strings.Contains(chuid, "3410"+guid) {
			t.Errorf("status: CHUID %q lacks the new GUID %s", chuid, guid)
		}
		c.ok(t, pivTool(newKeyFile))
	})
	step(t, "data object", func(t *testing.T) {
		// Printed Information (5FC109) can only be read after the PIN.
		const content = "0107696e7465726f70" // 01 07 "interop"
		in := c.path("printed.hex")
		if err := os.WriteFile(in, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c.fails(t, c.ykpiv(oldKey, "-a", "write-object", "--id", "0x5fc109", "-i", in))
		c.ok(t, c.ykpiv(newKey, "-a", "write-object", "--id", "0x5fc109", "-i", in))
		out := c.fails(t, c.ykpiv("-a", "read-object", "--id", "0x5fc109"))
		expect(t, "read-object without the PIN", out, "Failed fetching object.")
		out = c.ok(t, c.ykpiv("-a", "verify-pin", "-P", defaultPIN, "-a", "read-object", "--id", "0x5fc109"))
		if !strings.Contains(strings.ToLower(out), content) {
			t.Errorf("read-object: want %s in the output:\n%s", content, out)
		}
		found := false
		for _, o := range c.show(t).Objects {
			if o.Tag == "5FC109" {
				found = o.Size == len(content)/2
			}
		}
		if !found {
			t.Errorf("pivcard show: no 5FC109 object of %d bytes", len(content)/2)
		}
	})
	step(t, "restore default key", func(t *testing.T) {
		c.ok(t, c.ykpiv(newKey, "-a", "set-mgm-key", "-n", defaultMgmKey))
		if !c.show(t).MgmDefault {
			t.Errorf("pivcard show: management key not default after setting it back")
		}
		c.fails(t, c.ykpiv(newKey, "-a", "set-chuid"))
		c.ok(t, c.ykpiv(oldKey, "-a", "set-chuid"))
		c.ok(t, pivTool(oldKeyFile))
	})
}
