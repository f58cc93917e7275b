#!/usr/bin/env bash
# deps.sh: make sure the Debian packages the test tiers need are installed.
#
# Quiet and without side effects when everything is present. Otherwise, as
# root, runs "apt-get update" once and installs what is missing; not as root,
# lists what is missing and fails.
set -euo pipefail

# package:probe pairs. Where dpkg exists the package status decides; the
# probe (a command name, or an absolute path) is the fallback elsewhere.
readonly DEPS=(
	pcscd:pcscd
	vsmartcard-vpcd:/etc/reader.conf.d/vpcd
	opensc:opensc-tool
	yubico-piv-tool:yubico-piv-tool
	pcsc-tools:pcsc_scan
	libpcsclite-dev:/usr/include/PCSC/winscard.h
	openssl:openssl
	gcc:gcc
	valgrind:valgrind
	# Windows packaging (packaging/): MSI build and inspection, Authenticode signing.
	wixl:wixl
	msitools:msiinfo
	osslsigncode:osslsigncode
	# Windows builds and the Wine tests (scripts/wine-env.sh, ./wine). wine64
	# is named because the wine package alone would be content with wine32,
	# and wine32 (i386) cannot be installed on these machines.
	wine:wine
	wine64:/usr/lib/wine/wine64
	gcc-mingw-w64-x86-64:x86_64-w64-mingw32-gcc
	gcc-mingw-w64-i686:i686-w64-mingw32-gcc
)

log() { printf 'deps: %s\n' "$*" >&2; }

have_dpkg() { command -v dpkg-query >/dev/null 2>&1; }

# present PACKAGE PROBE: true if the dependency is installed.
present() {
	local pkg=$1 probe=$2
	if have_dpkg; then
		[[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]]
	elif [[ $probe == /* ]]; then
		[[ -e $probe ]]
	else
		command -v "$probe" >/dev/null 2>&1
	fi
}

missing_packages() {
	local dep
	for dep in "${DEPS[@]}"; do
		present "${dep%%:*}" "${dep#*:}" || printf '%s\n' "${dep%%:*}"
	done
}

mapfile -t missing < <(missing_packages)
((${#missing[@]} == 0)) && exit 0

if ! have_dpkg || ! command -v apt-get >/dev/null 2>&1; then
	log "missing: ${missing[*]}"
	log "this is not a Debian-like system: install the equivalents of these Debian packages by hand"
	exit 1
fi
if ((EUID != 0)); then
	log "missing Debian packages: ${missing[*]}"
	log "run this script as root, or: sudo apt-get install ${missing[*]}"
	exit 1
fi

# Keep package scripts from starting pcscd: scripts/with-pcscd.sh starts and
# stops its own. Only done when no policy is in place, and undone after.
policy=/usr/sbin/policy-rc.d
remove_policy=0
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\n# temporary, from cardmod scripts/deps.sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	remove_policy=1
fi
cleanup() { if ((remove_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT

log "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"

mapfile -t still < <(missing_packages)
if ((${#still[@]} != 0)); then
	log "still missing after apt-get install: ${still[*]}"
	exit 1
fi
log "all test dependencies installed"
