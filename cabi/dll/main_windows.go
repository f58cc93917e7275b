//go:build cgo && windows

package main

import (
	"errors"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// registryMgmKeyPolicy reads the REG_SZ value MgmKeyPolicy of HKLM\SOFTWARE\cardmod, in the 64-bit
// view of the registry (KEY_WOW64_64KEY), so that cardmod32.dll in a 32-bit process on 64-bit
// Windows reads the same value as cardmod64.dll; on 32-bit Windows the flag is ignored. A missing
// key or value is not set; a value of another type is an error.
func registryMgmKeyPolicy() policySource {
	s := policySource{name: `registry HKLM\` + mgmPolicyRegKey + `\` + mgmPolicyRegValue}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, mgmPolicyRegKey, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return s
	}
	if err != nil {
		s.err = err
		return s
	}
	defer k.Close()
	v, _, err := k.GetStringValue(mgmPolicyRegValue)
	switch {
	case errors.Is(err, registry.ErrNotExist):
	case err != nil:
		s.err = err
	default:
		s.value, s.set = v, strings.TrimSpace(v) != ""
	}
	return s
}
