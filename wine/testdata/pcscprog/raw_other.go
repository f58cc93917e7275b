//go:build !windows

package main

// raw exercises winscard.dll directly; it exists on Windows only.
func raw(string) { fail("raw", errRawWindowsOnly) }
