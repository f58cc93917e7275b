// Package wine holds the Wine test infrastructure of cardmod: the C sources of
// two helper DLLs (bcryptprimitives.dll, which Wine 8.0 lacks and the Go
// runtime needs, and a test winscard.dll that carries APDUs to a virtual card
// over TCP with the vpcd protocol) and the tests that prove Windows builds of
// the project run under Wine and reach a virtual card. The Go package itself
// is empty: scripts/wine-env.sh builds the DLLs and the Wine prefix, and
// wine/README.md explains how to use them.
package wine
