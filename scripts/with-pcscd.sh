#!/usr/bin/env bash
# with-pcscd.sh CMD [ARGS...]
#
# Runs CMD with a pcscd that has the vsmartcard-vpcd reader loaded, and
# CARDMOD_PCSCD=1 in its environment (tests use it to know that pcscd is
# there). If a pcscd is already running it is used as is; otherwise one is
# started in the foreground mode (no systemd needed), and stopped by PID when
# CMD finishes, fails or is interrupted. Exits with CMD's exit code.
#
# CMD runs as its own process group, and SIGINT/SIGTERM received by this
# script are forwarded to that group, so an interrupt takes effect at once.
# (Being a background group, CMD cannot read from a terminal.)
#
# Environment:
#   PCSCD_DEBUG=1   start pcscd with -d -a (every APDU logged) and keep the log
#   PCSCD_TIMEOUT   seconds to wait for pcscd to come up (default 10)

# Functions below run from traps, which shellcheck cannot see.
# shellcheck disable=SC2317
set -euo pipefail

readonly SOCKET=/run/pcscd/pcscd.comm
readonly VPCD_CONF=/etc/reader.conf.d/vpcd
readonly STOP_TIMEOUT=5

log() { printf 'with-pcscd: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ $# -ge 1 ]] || die "usage: $0 CMD [ARGS...]"

command -v pcscd >/dev/null 2>&1 || die "pcscd not found: run scripts/deps.sh (Debian package pcscd)"
[[ -r $VPCD_CONF ]] || die "$VPCD_CONF missing: install the Debian package vsmartcard-vpcd (scripts/deps.sh)"

# pcscd_running: true if a live pcscd runs in this mount namespace (its socket is the one we
# would use). Reads /proc so that it needs neither procps nor a responding daemon. A pcscd of
# another mount namespace (an isolated test run) or a zombie does not count.
pcscd_running() {
	local d name state myns
	myns=$(readlink /proc/self/ns/mnt 2>/dev/null)
	for d in /proc/[0-9]*; do
		name=""
		read -r name <"$d/comm" 2>/dev/null || continue
		[[ $name == pcscd ]] || continue
		[[ $(readlink "$d/ns/mnt" 2>/dev/null) == "$myns" ]] || continue
		state=""
		while read -r key val _; do
			if [[ $key == State: ]]; then
				state=$val
				break
			fi
		done <"$d/status" 2>/dev/null
		[[ $state == Z ]] && continue
		return 0
	done
	return 1
}

# socket_usable: true if the pcscd socket exists and, when opensc-tool is
# available, a PC/SC client can list the readers through it.
socket_usable() {
	[[ -S $SOCKET ]] || return 1
	if command -v opensc-tool >/dev/null 2>&1; then
		opensc-tool -l >/dev/null 2>&1 || return 1
	fi
	return 0
}

pcscd_pid=""
tmpdir=""
keep_log=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $pcscd_pid ]] && kill -0 "$pcscd_pid" 2>/dev/null; then
		kill -TERM "$pcscd_pid" 2>/dev/null || true
		local waited=0
		while kill -0 "$pcscd_pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 10)); do
			sleep 0.1
			waited=$((waited + 1))
		done
		if kill -0 "$pcscd_pid" 2>/dev/null; then
			log "pcscd (pid $pcscd_pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
			kill -KILL "$pcscd_pid" 2>/dev/null || true
		fi
		wait "$pcscd_pid" 2>/dev/null || true
	fi
	if [[ -n $tmpdir ]]; then
		if ((keep_log)) || { ((rc != 0)) && [[ -s $tmpdir/pcscd.log ]]; }; then
			log "pcscd log kept in $tmpdir/pcscd.log"
		else
			rm -rf "$tmpdir"
		fi
	fi
	exit "$rc"
}

if pcscd_running || socket_usable; then
	log "note: a pcscd is already running; using it (not starting or stopping one)"
	if command -v opensc-tool >/dev/null 2>&1 && ! opensc-tool -l 2>/dev/null | grep -q 'Virtual PCD'; then
		log "warning: the running pcscd lists no 'Virtual PCD' reader (was it started before vsmartcard-vpcd was installed?)"
	fi
else
	tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/with-pcscd.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	args=(-f)
	if [[ ${PCSCD_DEBUG:-0} == 1 ]]; then
		args+=(-d -a)
		keep_log=1
	fi
	pcscd "${args[@]}" >"$tmpdir/pcscd.log" 2>&1 &
	pcscd_pid=$!
	log "started pcscd ${args[*]} (pid $pcscd_pid, log $tmpdir/pcscd.log)"

	deadline=$((SECONDS + ${PCSCD_TIMEOUT:-10}))
	until socket_usable; do
		if ! kill -0 "$pcscd_pid" 2>/dev/null; then
			log "pcscd exited during start-up; its log:"
			cat "$tmpdir/pcscd.log" >&2 || true
			pcscd_pid=""
			exit 2
		fi
		if ((SECONDS >= deadline)); then
			log "pcscd did not make $SOCKET usable within ${PCSCD_TIMEOUT:-10}s; its log:"
			cat "$tmpdir/pcscd.log" >&2 || true
			exit 2
		fi
		sleep 0.1
	done
fi

export CARDMOD_PCSCD=1

# Run the command as its own job (process group) and wait for it with the
# interruptible wait builtin, so that SIGINT/SIGTERM sent to this script are
# handled at once: they are forwarded to the command's whole process group,
# and cleanup runs once it has exited. (A plain foreground command would
# delay the traps until it finished on its own.)
child=""
forward() {
	local sig=$1
	log "got SIG$sig; forwarding it to the command"
	if [[ -n $child ]]; then
		kill -"$sig" -- -"$child" 2>/dev/null || kill -"$sig" "$child" 2>/dev/null || true
	fi
}
trap 'forward INT' INT
trap 'forward TERM' TERM
set -m
"$@" &
child=$!
set +m
set +e
while :; do
	wait "$child"
	kill -0 "$child" 2>/dev/null || break
done
wait "$child"
rc=$?
set -e
exit "$rc"
