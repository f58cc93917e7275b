#!/usr/bin/env bash
# wine-env.sh: run a command in cardmod's Wine test environment.
#
#   scripts/wine-env.sh CMD [ARGS...]   prepare, then exec CMD with the environment
#   scripts/wine-env.sh                 prepare, then print the environment as export lines
#   scripts/wine-env.sh --build         only build the helper DLLs (no Wine needed)
#
# Preparing means:
#  1. build the helper DLLs from wine/dll/*.c with mingw-w64 into build/wine/
#     (x64: bcryptprimitives.dll, winscard.dll; x86 copies in build/wine/x86/
#     when i686-w64-mingw32-gcc exists), only when their sources or the build
#     flags changed (hash stamp build/wine/.stamp);
#  2. create the Wine prefix if it does not exist yet or was made by another
#     Wine version (about 7 s; stamp .cardmod-wine in the prefix);
#  3. install the DLLs into the prefix's windows/system32 (x64) and
#     windows/syswow64 (x86) when they differ from what is there (hash stamp
#     .cardmod-helpers in the prefix).
# Setup is serialized with flock, so parallel test packages can share a prefix.
#
# CMD then runs with WINEPREFIX, WINEDEBUG and WINEDLLOVERRIDES exported
# (WINEDLLOVERRIDES=winscard=n makes Wine load our winscard.dll instead of its
# built-in stub), e.g.:  scripts/wine-env.sh wine build/mdhost.exe
#
# Environment:
#   CARDMOD_WINEPREFIX     the prefix (default ${XDG_CACHE_HOME:-$HOME/.cache}/cardmod/wineprefix);
#                          it must be a prefix this script made, or not exist
#   CARDMOD_WINE_BUILD     where the DLLs are built (default <repo>/build/wine)
#   CARDMOD_WINEDEBUG      WINEDEBUG for CMD (default -all; e.g. +loaddll,err+all)
#   CARDMOD_WINEDLLOVERRIDES  more overrides appended to ours
#   CARDMOD_WINESERVER_PERSIST  seconds the wineserver stays after its last client (default 15)
# Messages go to stderr, and only when something is built or created.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$root/wine/dll
builddir=${CARDMOD_WINE_BUILD:-$root/build/wine}
prefix=${CARDMOD_WINEPREFIX:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/cardmod/wineprefix}
helpers=(bcryptprimitives winscard)
CC64=${CC64:-x86_64-w64-mingw32-gcc}
CC32=${CC32:-i686-w64-mingw32-gcc}
# shellcheck disable=SC2054 # -Wl,--kill-at is one argument
CFLAGS=(-O2 -Wall -Wextra -shared -static-libgcc -Wl,--kill-at -s)
# Overrides for CMD: our winscard.dll only (fail loudly rather than fall back
# to the stub); bcryptprimitives native first (Wine 8.0 has no built-in one).
# winemenubuilder is off so that nothing is written outside the prefix.
overrides="winscard=n;bcryptprimitives=n,b;winemenubuilder.exe=d"

log() { printf 'wine-env: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

libs_for() {
	case $1 in
	bcryptprimitives) echo -ladvapi32 ;;
	winscard) echo -lws2_32 ;;
	esac
}

# build_helpers: (re)build the DLLs when the sources or flags changed.
build_helpers() {
	command -v "$CC64" >/dev/null 2>&1 || die "$CC64 not found (Debian package gcc-mingw-w64-x86-64; run scripts/deps.sh)"
	local have32=0
	command -v "$CC32" >/dev/null 2>&1 && have32=1
	local want
	want=$( {
		printf '%s\n' "${CFLAGS[*]}" "$have32" "$("$CC64" -dumpversion)"
		for h in "${helpers[@]}"; do cat "$src/$h.c"; done
	} | sha256sum | cut -d' ' -f1)
	local ok=1 h
	for h in "${helpers[@]}"; do
		[[ -f $builddir/$h.dll ]] || ok=0
		((have32 == 0)) || [[ -f $builddir/x86/$h.dll ]] || ok=0
	done
	if ((ok)) && [[ $(cat "$builddir/.stamp" 2>/dev/null) == "$want" ]]; then
		return 0
	fi
	local t0 tmp
	t0=$(now)
	mkdir -p "$builddir/x86"
	tmp=$(mktemp -d "$builddir/.tmp.XXXXXX")
	for h in "${helpers[@]}"; do
		# shellcheck disable=SC2046
		"$CC64" "${CFLAGS[@]}" -o "$tmp/$h.dll" "$src/$h.c" $(libs_for "$h") || { rm -rf "$tmp"; die "building $h.dll (x64) failed"; }
		if ((have32)); then
			# shellcheck disable=SC2046
			"$CC32" "${CFLAGS[@]}" -o "$tmp/$h.x86.dll" "$src/$h.c" $(libs_for "$h") || { rm -rf "$tmp"; die "building $h.dll (x86) failed"; }
		fi
	done
	# Renames, so that a process using the old files is not disturbed.
	for h in "${helpers[@]}"; do
		mv -f "$tmp/$h.dll" "$builddir/$h.dll"
		((have32 == 0)) || mv -f "$tmp/$h.x86.dll" "$builddir/x86/$h.dll"
	done
	rm -rf "$tmp"
	printf '%s\n' "$want" >"$builddir/.stamp"
	log "built ${helpers[*]} in $builddir ($(since "$t0")s)"
}

# create_prefix: make the prefix unless it exists for this Wine version.
create_prefix() {
	local version
	version=$(wine --version 2>/dev/null) || die "wine does not run"
	if [[ -f $prefix/.cardmod-wine && $(cat "$prefix/.cardmod-wine") == "$version" && -d $prefix/drive_c/windows/system32 ]]; then
		return 0
	fi
	if [[ -e $prefix ]]; then
		# Only ever delete a prefix this script made.
		if [[ ! -f $prefix/.cardmod-prefix ]] && [[ -n $(ls -A "$prefix" 2>/dev/null) ]]; then
			die "$prefix exists and was not made by wine-env.sh; remove it or set CARDMOD_WINEPREFIX"
		fi
		log "recreating $prefix (Wine version changed or an earlier creation did not finish)"
		WINEPREFIX=$prefix wineserver -k 2>/dev/null || true
		rm -rf "$prefix"
	fi
	local t0
	t0=$(now)
	mkdir -p "$prefix"
	: >"$prefix/.cardmod-prefix"
	# No Mono or Gecko (they are not installed and would be looked for), no
	# desktop menu entries; wineserver -w waits until the registry is saved.
	WINEPREFIX=$prefix WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d" wineboot -i >/dev/null 2>&1 ||
		die "wineboot -i failed for $prefix (run with CARDMOD_WINEDEBUG=err+all to see why)"
	WINEPREFIX=$prefix wineserver -w
	[[ -d $prefix/drive_c/windows/system32 ]] || die "wineboot made no $prefix/drive_c/windows/system32"
	printf '%s\n' "$version" >"$prefix/.cardmod-wine"
	rm -f "$prefix/.cardmod-helpers"
	log "created Wine prefix $prefix with $version ($(since "$t0")s)"
}

# install_file SRC DIR: copy by rename so that running programs keep the old file.
install_file() {
	local tmp
	tmp=$(mktemp "$2/.cardmod.XXXXXX")
	cp "$1" "$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$2/$(basename "$1")"
}

# install_helpers: copy the DLLs into the prefix when they differ.
install_helpers() {
	local want h
	want=$(cat "$builddir"/*.dll "$builddir"/x86/*.dll 2>/dev/null | sha256sum | cut -d' ' -f1)
	if [[ $(cat "$prefix/.cardmod-helpers" 2>/dev/null) == "$want" ]]; then
		return 0
	fi
	local sys32=$prefix/drive_c/windows/system32 wow64=$prefix/drive_c/windows/syswow64
	for h in "${helpers[@]}"; do
		install_file "$builddir/$h.dll" "$sys32"
		if [[ -d $wow64 && -f $builddir/x86/$h.dll ]]; then
			install_file "$builddir/x86/$h.dll" "$wow64"
		fi
	done
	printf '%s\n' "$want" >"$prefix/.cardmod-helpers"
	log "installed ${helpers[*]} into $prefix"
}

mkdir -p "$builddir"
exec 8>"$builddir/.lock"
flock 8
build_helpers
exec 8>&-
[[ ${1:-} == --build ]] && exit 0

command -v wine >/dev/null 2>&1 || die "wine not found (Debian packages wine, wine64; run scripts/deps.sh)"
# The Debian wine wrapper prints a wine32 hint unless WINEDEBUG starts with -all.
export WINEDEBUG=-all
mkdir -p "$(dirname "$prefix")"
exec 9>"$prefix.lock"
flock 9
create_prefix
install_helpers

export WINEPREFIX=$prefix
export WINEDEBUG=${CARDMOD_WINEDEBUG:--all}
export WINEDLLOVERRIDES=$overrides${CARDMOD_WINEDLLOVERRIDES:+;$CARDMOD_WINEDLLOVERRIDES}

# Start the wineserver and the Wine session (services.exe, explorer.exe, ...)
# ourselves, with no stdio of the caller and without the lock fd: otherwise
# they are started by CMD's wine process and inherit its stdout/stderr, and a
# caller that reads a pipe to EOF (Go's exec.Cmd with a bytes.Buffer) waits
# until the session ends; the next command then pays for a new session (about
# 1.4 s per run instead of 0.1 s). "wineserver -p N" exits with 0 when it
# started a server (which then stays N seconds after its last client) and with
# 2 when one was already running for the prefix.
if wineserver -p"${CARDMOD_WINESERVER_PERSIST:-15}" </dev/null >/dev/null 2>&1 9>&-; then
	wine cmd.exe /c exit 0 </dev/null >/dev/null 2>&1 9>&- || true
fi
exec 9>&-
if (($# == 0)); then
	printf 'export WINEPREFIX=%q\nexport WINEDEBUG=%q\nexport WINEDLLOVERRIDES=%q\n' \
		"$WINEPREFIX" "$WINEDEBUG" "$WINEDLLOVERRIDES"
	exit 0
fi
exec "$@"
