package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestFix trims the export table of a built DLL (make dll) and checks the result is stable and
// that asking for a name the DLL lacks fails. cabi/dllcheck checks the shipped DLLs themselves.
func TestFix(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "build", "cardmod64.dll")
	dll, err := os.ReadFile(path)
	if err != nil {
		t.Skip("build/cardmod64.dll not built: run 'make dll'")
	}
	once, err := Fix(dll, []string{"CardAcquireContext"})
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Fix(once, []string{"CardAcquireContext"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once, twice) {
		t.Error("Fix is not idempotent")
	}
	if _, err := Fix(once, []string{"CardAcquireContext", "goCardSignData"}); err == nil {
		t.Error("a name that is not exported was kept")
	}
	if _, err := Fix([]byte("not a PE file"), []string{"CardAcquireContext"}); err == nil {
		t.Error("garbage accepted")
	}
}
