// Package interop holds the interoperability tests of the cardmod software PIV card: the card
// (cmd/pivcard) is plugged into a real pcscd through the vsmartcard-vpcd reader and driven by
// unmodified PIV tools (yubico-piv-tool, OpenSC's pkcs15-tool, pkcs11-tool and piv-tool, and
// openssl to check their results).
//
// The tests skip unless CARDMOD_PCSCD=1, which scripts/with-pcscd.sh sets once pcscd is up:
//
//	make interop
//	scripts/with-pcscd.sh go test -count=1 -p 1 -v ./interop/...
//
// They use vpcd's slot 0 (127.0.0.1:35963, reader "Virtual PCD 00 00") and so run one at a time.
package interop
