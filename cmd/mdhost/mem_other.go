//go:build !linux && !windows

package main

import (
	"errors"
	"runtime"
)

func residentBytes() (uint64, error) {
	return 0, errors.New("resident memory is measured on Linux and Windows only, not " + runtime.GOOS)
}
