#!/usr/bin/env bash
# sign.sh: Authenticode-sign Windows files (DLLs, EXEs, MSIs) in place with osslsigncode.
#
#   packaging/sign.sh CERT KEY FILE...     sign each FILE (SHA-256)
#   packaging/sign.sh --self-signed DIR    make DIR/cert.pem and DIR/key.pem: a throwaway
#                                          self-signed code-signing certificate, for tests
#
# CERT is a PEM certificate (chain: leaf first, then intermediates) and KEY its PEM private
# key; or CERT is a PKCS#12 file (.pfx/.p12) and KEY is "-". Environment:
#   SIGN_PASS      password of KEY or of the PKCS#12 file (default: none); visible in the
#                  process list while osslsigncode runs: prefer SIGN_PASS_FILE
#   SIGN_PASS_FILE file holding that password (osslsigncode -readpass)
#   SIGN_NAME      program description, osslsigncode -n (default: cardmod)
#   SIGN_URL       program URL, osslsigncode -i (default: https://github.com/cardmod/cardmod)
#   TIMESTAMP_URL  RFC 3161 time-stamping server (default: none; a release signature should
#                  be time-stamped so that it outlives the certificate)
#
# A file that is already signed is unsigned first, so re-running replaces the signature.
# Check a result with: osslsigncode verify -CAfile ROOT.pem -in FILE
set -euo pipefail

die() { printf 'sign.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

self_signed() {
	local dir=$1
	command -v openssl >/dev/null || die "openssl not found"
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 30 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" \
		-subj "/CN=cardmod test code signing (throwaway)/O=cardmod" \
		-addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=critical,digitalSignature" \
		-addext "extendedKeyUsage=codeSigning" \
		-addext "subjectKeyIdentifier=hash" 2>/dev/null ||
		die "openssl could not make the certificate"
	chmod 600 "$dir/key.pem"
	printf '%s\n' "$dir/cert.pem" "$dir/key.pem"
}

[[ $# -ge 1 ]] || usage
if [[ $1 == --self-signed ]]; then
	[[ $# -eq 2 ]] || usage
	self_signed "$2"
	exit 0
fi
[[ $1 == -h || $1 == --help ]] && usage
[[ $# -ge 3 ]] || usage

command -v osslsigncode >/dev/null || die "osslsigncode not found (apt-get install osslsigncode)"
cert=$1 key=$2
shift 2
[[ -r $cert ]] || die "cannot read certificate $cert"

creds=()
case $cert in
*.pfx | *.p12 | *.PFX | *.P12)
	creds=(-pkcs12 "$cert")
	;;
*)
	[[ -r $key ]] || die "cannot read key $key"
	creds=(-certs "$cert" -key "$key")
	;;
esac
if [[ -n ${SIGN_PASS_FILE:-} ]]; then
	creds+=(-readpass "$SIGN_PASS_FILE")
elif [[ -n ${SIGN_PASS:-} ]]; then
	creds+=(-pass "$SIGN_PASS")
fi

opts=(-h sha256 -n "${SIGN_NAME:-cardmod}" -i "${SIGN_URL:-https://github.com/cardmod/cardmod}")
if [[ -n ${TIMESTAMP_URL:-} ]]; then
	opts+=(-ts "$TIMESTAMP_URL")
fi

for f in "$@"; do
	[[ -f $f ]] || die "no such file: $f"
	tmp=$(mktemp "$f.XXXXXX")
	unsigned=$(mktemp "$f.XXXXXX")
	trap 'rm -f "$tmp" "$unsigned"' EXIT
	src=$f
	# remove-signature fails on a file without one; that is the normal case.
	if osslsigncode remove-signature -in "$f" -out "$unsigned" >/dev/null 2>&1; then
		src=$unsigned
	fi
	rm -f "$tmp"
	if ! out=$(osslsigncode sign "${creds[@]}" "${opts[@]}" -in "$src" -out "$tmp" 2>&1); then
		printf '%s\n' "$out" >&2
		die "signing $f failed"
	fi
	mv -f "$tmp" "$f"
	rm -f "$unsigned"
	trap - EXIT
	printf 'signed %s\n' "$f"
done
