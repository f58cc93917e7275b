//go:build cgo && !windows

package main

// registryMgmKeyPolicy: there is no registry outside Windows; only the environment variable
// sets the policy.
func registryMgmKeyPolicy() policySource {
	return policySource{name: "registry (not on this system)"}
}
