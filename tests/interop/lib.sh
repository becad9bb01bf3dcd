# lib.sh - shared helpers of the interop tests: TAP, temp dir, turnd start/stop, coturn clients.
# shellcheck shell=bash
#
# Sourced (never run) by tests/interop/*.t. It sets ROOT (the repo root, found from this file's
# path), T (a private temp dir) and an EXIT trap that kills every process started through
# spawn and removes T (KEEP_TMP=1 keeps it for a post-mortem).
#
# Environment:
#   TURND_IMPL=coturn   development-only switch: start coturn's `turnserver` instead of
#                       build/turnd, with a command line translated from the same config text
#                       (coturn_args). It checks the client mechanics and the output parsing of
#                       these scripts before turnd exists, and lets the benchmark run coturn
#                       through the same start_turnd/stop_turnd. Assertions on turnd-only
#                       behaviour (its log lines, its exit status, its --check-config) are
#                       reported as TODO under coturn.
#   TURND_COTURN_ARGS   extra turnserver arguments (word-split) in coturn mode.
#   TURND=PATH          the daemon binary (default $ROOT/build/turnd).
#   TURNCTL=PATH        the admin CLI (default $ROOT/build/turnctl).
#   TURND_SAN=1         TURND is an ASan/UBSan build (no valgrind around it).
#   TURND_PREFIX        array, set by a script: a command line to run turnd under (valgrind).
#   TURND_START_WAIT    seconds start_turnd waits for a STUN answer (default 5).
#   TURND_STOP_WAIT     seconds stop_turnd waits for the exit after SIGTERM (default 5).
#   UCLIENT_TIMEOUT     hard limit for one turnutils_uclient run (default 60 s).
#   KEEP_TMP=1          keep the temp dir (its path is printed as a TAP comment).

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TURND=${TURND:-$ROOT/build/turnd}
TURNCTL=${TURNCTL:-$ROOT/build/turnctl}
BUILD_DIR=$(dirname "$TURND")	# build/ or build-san/: where the BPF objects are too
TURND_IMPL=${TURND_IMPL:-turnd}
TURND_START_WAIT=${TURND_START_WAIT:-5}
TURND_STOP_WAIT=${TURND_STOP_WAIT:-5}
UCLIENT_TIMEOUT=${UCLIENT_TIMEOUT:-60}
TURND_PREFIX=()
TURND_PID=
TURND_LOG=
TURND_CONF=

TAP_N=0
TAP_PLAN=0
TAP_FAILED=0
TAP_TODO=
TAP_DIAG_FD=2
SPAWNED=()
SPAWN_PID=

T=$(mktemp -d "${TMPDIR:-/tmp}/turnd-interop.XXXXXX") || exit 1

# TAP output: the plan first, one line per test point, diagnostics as comments.

plan()
{
	TAP_PLAN=$1
	echo "1..$1"
}

# skip_all REASON: the whole script cannot run here.
skip_all()
{
	echo "1..0 # SKIP $1"
	exit 0
}

# diag LINE...: each argument (and each line in it) as a TAP comment, on stderr so that prove
# shows it without -v; after a TODO test point on stdout (as Test::More does).
diag()
{
	local arg line

	for arg in "$@"; do
		while IFS= read -r line; do
			echo "# $line"
		done <<<"$arg"
	done >&"$TAP_DIAG_FD"
}

# diag_file FILE [N]: the last N (20) lines of FILE as TAP comments.
diag_file()
{
	[ -f "$1" ] || { diag "($1: no such file)"; return 0; }
	diag "--- last ${2:-20} lines of ${1#"$T"/}:" "$(tail -n "${2:-20}" "$1")"
}

# todo REASON: the next assertion is a known gap (reported, does not fail the script).
todo()
{
	TAP_TODO=$1
}

# todo_coturn REASON: the next assertion checks turnd-only behaviour; TODO under coturn.
todo_coturn()
{
	[ "$TURND_IMPL" = coturn ] && TAP_TODO="coturn: $1"
	return 0
}

# ok STATUS DESCRIPTION: one test point; STATUS is a shell status (0 = pass).
ok()
{
	local st=$1 desc=$2 dir=

	TAP_N=$((TAP_N + 1))
	TAP_DIAG_FD=2
	[ -n "$TAP_TODO" ] && dir=" # TODO $TAP_TODO" && TAP_DIAG_FD=1
	if [ "$st" -eq 0 ]; then
		echo "ok $TAP_N - $desc$dir"
	else
		echo "not ok $TAP_N - $desc$dir"
		[ -z "$TAP_TODO" ] && TAP_FAILED=$((TAP_FAILED + 1))
	fi
	TAP_TODO=
	return "$st"
}

# is GOT WANT DESCRIPTION
is()
{
	[ "$1" = "$2" ] && { ok 0 "$3"; return 0; }
	ok 1 "$3"
	diag "   got: '$1'" "  want: '$2'"
	return 1
}

# like TEXT ERE DESCRIPTION
like()
{
	grep -Eq -- "$2" <<<"$1" && { ok 0 "$3"; return 0; }
	ok 1 "$3"
	diag "  '$1'" "  does not match /$2/"
	return 1
}

skip()
{
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N # skip $1"
}

# abandon REASON: report every test point not run yet as failed and end the script.
abandon()
{
	diag "abandoned: $1"
	while [ "$TAP_N" -lt "$TAP_PLAN" ]; do
		ok 1 "not run: $1"
	done
	exit 1
}

# Background processes: every one started through spawn is killed on exit.

# proc_alive PID: true while PID runs (a zombie, exited but not yet reaped, counts as gone).
proc_alive()
{
	local stat

	[ -r "/proc/$1/stat" ] || return 1
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

now_ms()
{
	local us=${EPOCHREALTIME//[.,]/}

	echo $((10#$us / 1000))
}

# spawn LOG CMD...: start CMD in the background, stdout+stderr to LOG; pid in SPAWN_PID.
spawn()
{
	local log=$1

	shift
	"$@" >"$log" 2>&1 </dev/null &
	SPAWN_PID=$!
	SPAWNED+=("$SPAWN_PID")
}

# reap PID SECONDS: wait (bounded) for PID to exit; returns its status, or 124 after SIGKILL
# when it outlived SECONDS.
reap()
{
	local pid=$1 i n=$(($2 * 10)) st

	for ((i = 0; i < n; i++)); do
		proc_alive "$pid" || break
		sleep 0.1
	done
	if proc_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid" 2>/dev/null
	st=$?
	return "$st"
}

cleanup()
{
	local st=$? pid

	for pid in "${SPAWNED[@]}"; do
		proc_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${SPAWNED[@]}"; do
		reap "$pid" 5
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		diag "kept $T"
	else
		rm -rf "$T"
	fi
	# TAP: the exit status is the number of failures; 0 once the whole plan ran clean.
	if [ "$TAP_FAILED" -gt 0 ]; then
		st=$((TAP_FAILED > 254 ? 254 : TAP_FAILED))
	elif [ "$TAP_N" -eq "$TAP_PLAN" ]; then
		st=0
	elif [ "$st" -eq 0 ]; then
		st=255
	fi
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Reading the libconfig text the tests write (only the subset they use).

# conf_listen FILE: the listen entries of a config, one "ADDR PORT" per line (IPv6 unbracketed).
conf_listen()
{
	perl -0777 -ne '
		s{/\*.*?\*/}{}gs; s{(#|//)[^\n]*}{}g;
		my $list = qr/(\[(?:[^\]"]|"[^"]*")*\]|"[^"]*")/;
		if (/\blisten\s*[=:]\s*$list/s) {
			my $l = $1;
			while ($l =~ /"\[?([^"\]]*?)\]?:(\d+)"/g) { print "$1 $2\n"; }
		}' "$1"
}

# coturn_args FILE: turnserver arguments (one per line) equivalent to a turnd config.
# Handles the subset these tests write: realm, listen (one port for all: coturn has one),
# relay.address/ports, auth.users/secret/nonce_lifetime, peers.allow (loopback entries become
# --allow-loopback-peers: coturn refuses loopback peers otherwise), allocation.max_lifetime.
coturn_args()
{
	perl -0777 -ne '
		s{/\*.*?\*/}{}gs; s{(#|//)[^\n]*}{}g;
		sub q_items { my @r; my $s = shift; push @r, $1 while $s =~ /"([^"]*)"/g; @r }
		my $list = qr/(\[(?:[^\]"]|"[^"]*")*\]|"[^"]*")/;
		print "--realm=$1\n" if /\brealm\s*[=:]\s*"([^"]*)"/;
		if (/\blisten\s*[=:]\s*$list/s) {
			my $port;
			for (q_items($1)) {
				/^\[?(.*?)\]?:(\d+)$/ or next;
				print "--listening-ip=$1\n";
				$port //= $2;
			}
			print "--listening-port=$port\n" if defined $port;
		}
		if (/\brelay\s*[=:]\s*\{(.*?)\}/s) {
			my $r = $1;
			if ($r =~ /\baddress\s*[=:]\s*$list/s) {
				print "--relay-ip=$_\n" for grep { $_ ne "auto" } q_items($1);
			}
			if ($r =~ /\bports\s*[=:]\s*"(\d+)-(\d+)"/) {
				print "--min-port=$1\n--max-port=$2\n";
			}
		}
		my $auth = 0;
		if (/\busers\s*[=:]\s*\((.*?)\)/s) {
			my $u = $1;
			while ($u =~ /name\s*[=:]\s*"([^"]*)"\s*;\s*password\s*[=:]\s*"([^"]*)"/g) {
				print "--user=$1:$2\n";
				$auth = 1;
			}
		}
		if (/\bsecret\s*[=:]\s*"([^"]+)"/) {
			print "--use-auth-secret\n--static-auth-secret=$1\n";
			$auth = 1;
		}
		print "--lt-cred-mech\n" if $auth;
		print "--stale-nonce=$1\n" if /\bnonce_lifetime\s*[=:]\s*(\d+)/;
		print "--max-allocate-lifetime=$1\n" if /\bmax_lifetime\s*[=:]\s*(\d+)/;
		if (/\ballow\s*[=:]\s*$list/s) {
			print "--allow-loopback-peers\n" if grep { /^(127\.|::1\b)/ } q_items($1);
		}' "$1"
}

# The server under test: turnd, or coturn's turnserver under TURND_IMPL=coturn.

# stun_probe ADDR PORT [LOCAL_ADDR]: one bounded STUN binding; prints the reflexive "ADDR PORT".
stun_probe()
{
	local out line

	out=$(timeout -k 1 2 turnutils_stunclient -p "$2" ${3:+-L "$3"} "$1" 2>&1) || return 1
	line=$(grep -m1 -o 'reflexive addr: .*' <<<"$out") || return 1
	line=${line#reflexive addr: }
	echo "${line%:*}" "${line##*:}"
}

# start_turnd CONFIG_TEXT: write the config to $T/turnd.conf, start the server (turnd, or
# coturn under TURND_IMPL=coturn) with output to $T/turnd.log, and wait up to TURND_START_WAIT
# seconds until its first listen address answers a STUN binding. Returns non-zero (with a
# diagnosis) when the binary is missing, the server exits, or it never answers.
start_turnd()
{
	local addr port deadline argv=()

	TURND_CONF=$T/turnd.conf
	TURND_LOG=$T/turnd.log
	printf '%s\n' "$1" >"$TURND_CONF"
	# each test keeps its own state file (the default, /run/turnd, is the host's)
	grep -q '^state_file' "$TURND_CONF" || [ "$TURND_IMPL" = coturn ] ||
		printf 'state_file = "%s";\n' "$T/turnd.state" >>"$TURND_CONF"
	read -r addr port < <(conf_listen "$TURND_CONF")
	if [ -z "${port:-}" ]; then
		diag "start_turnd: the config has no listen entry"
		return 1
	fi
	if [ "$TURND_IMPL" = coturn ]; then
		mapfile -t argv < <(coturn_args "$TURND_CONF")
		# shellcheck disable=SC2206 # extra arguments are word-split on purpose
		argv=(turnserver -n --no-cli --no-tcp --no-tls --no-dtls --no-tcp-relay --no-rfc5780
		      --log-file=stdout --pidfile="$T/turnserver.pid" --userdb="$T/turndb"
		      "${argv[@]}" ${TURND_COTURN_ARGS:-})
	else
		if [ ! -x "$TURND" ]; then
			diag "start_turnd: $TURND is missing or not executable (run make)"
			return 1
		fi
		argv=("$TURND" -c "$TURND_CONF")
	fi
	spawn "$TURND_LOG" "${TURND_PREFIX[@]}" "${argv[@]}"
	TURND_PID=$SPAWN_PID
	deadline=$(($(now_ms) + TURND_START_WAIT * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if ! proc_alive "$TURND_PID"; then
			wait "$TURND_PID"
			diag "start_turnd: ${argv[0]##*/} exited with status $? before answering"
			diag_file "$TURND_LOG"
			return 1
		fi
		stun_probe "$addr" "$port" >/dev/null && return 0
		sleep 0.1
	done
	diag "start_turnd: no STUN answer on $addr port $port within ${TURND_START_WAIT}s"
	diag_file "$TURND_LOG"
	return 1
}

# stop_turnd: SIGTERM, wait up to TURND_STOP_WAIT seconds, return the exit status (124 when it
# had to be killed; a death by signal is 128+N).
stop_turnd()
{
	local st

	[ -n "$TURND_PID" ] || return 0
	kill -TERM "$TURND_PID" 2>/dev/null
	reap "$TURND_PID" "$TURND_STOP_WAIT"
	st=$?
	TURND_PID=
	return "$st"
}

# log_count ERE: how many lines of the server log match (case-insensitive) ERE.
log_count()
{
	grep -Eci -- "$1" "$TURND_LOG"
}

# log_has ERE DESC: one test point: some line of the server log matches ERE (case-insensitive).
log_has()
{
	[ "$(log_count "$1")" -gt 0 ] && { ok 0 "$2"; return 0; }
	ok 1 "$2"
	diag "no line of the log matches /$1/"
	diag_file "$TURND_LOG" 10
	return 1
}

# wait_log ERE N [SECONDS]: wait (bounded, 3 s) until N lines of the server log match ERE;
# prints the count reached.
wait_log()
{
	local i n

	for ((i = 0; i < ${3:-3} * 10; i++)); do
		n=$(log_count "$1")
		[ "$n" -ge "$2" ] && break
		sleep 0.1
	done
	echo "$n"
}

# coturn's clients: turnutils_peer (the echoing peer) and turnutils_uclient.

# start_peer PORT: turnutils_peer echoing on 127.0.0.1 and ::1, ports PORT and PORT+1 (the
# RTCP peer that uclient uses); waits (bounded) until the four sockets are bound.
start_peer()
{
	local port=$1 i

	spawn "$T/peer-$port.log" turnutils_peer -L 127.0.0.1 -L ::1 -p "$port"
	for ((i = 0; i < 30; i++)); do
		[ "$(ss -Hnlu "( sport = :$port or sport = :$((port + 1)) )" | wc -l)" -ge 4 ] &&
			return 0
		proc_alive "$SPAWN_PID" || break
		sleep 0.1
	done
	diag "start_peer: turnutils_peer is not listening on port $port and $((port + 1))"
	diag_file "$T/peer-$port.log"
	return 1
}

# run_uclient OUT ARGS...: turnutils_uclient under a hard timeout, output in OUT; returns
# uclient's status (255 when it gives up on an error, 124 on timeout).
run_uclient()
{
	local out=$1

	shift
	echo "turnutils_uclient $*" >"$out.cmd"
	timeout -k 5 "$UCLIENT_TIMEOUT" turnutils_uclient "$@" >"$out" 2>&1 </dev/null
}

# uc_parse OUT: read uclient's summary into UC_SENT UC_RECV UC_SBYTES UC_RBYTES UC_LOST
# UC_DROPPED (empty when absent). The lines, from coturn 4.6.1:
#   6: : start_mclient: tot_send_msgs=200, tot_recv_msgs=200
#   6: : start_mclient: tot_send_bytes ~ 40000, tot_recv_bytes ~ 40000
#   6: : Total lost packets 0 (0.000000%), total send dropped 0 (0.000000%)
# uclient clamps its loss figure (received counted as at least 1), so UC_SENT and UC_RECV are
# the raw counts to judge by.
uc_parse()
{
	local f=$1 m

	UC_SENT='' UC_RECV='' UC_SBYTES='' UC_RBYTES='' UC_LOST='' UC_DROPPED=''
	m=$(grep -Eo 'tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' "$f" | tail -n1)
	if [ -n "$m" ]; then
		UC_SENT=${m#tot_send_msgs=}; UC_SENT=${UC_SENT%%,*}
		UC_RECV=${m##*tot_recv_msgs=}
	fi
	m=$(grep -Eo 'tot_send_bytes ~ [0-9]+, tot_recv_bytes ~ [0-9]+$' "$f" | tail -n1)
	if [ -n "$m" ]; then
		UC_SBYTES=${m#tot_send_bytes ~ }; UC_SBYTES=${UC_SBYTES%%,*}
		UC_RBYTES=${m##*tot_recv_bytes ~ }
	fi
	m=$(grep -Eo 'Total lost packets [0-9]+' "$f" | tail -n1)
	UC_LOST=${m##* }
	m=$(grep -Eo 'total send dropped [0-9]+' "$f" | tail -n1)
	UC_DROPPED=${m##* }
}

# uc_check DESC OUT STATUS SENT: one test point for a relaying run: uclient exited 0, printed
# its summary, sent SENT messages, got every one back (same bytes), lost 0, dropped 0.
uc_check()
{
	local desc=$1 out=$2 st=$3 want=$4 why=

	uc_parse "$out"
	[ "$st" -eq 0 ] || why="exit status $st;"
	[ -n "$UC_LOST" ] || why="$why no 'Total lost packets' line;"
	[ "$UC_SENT" = "$want" ] || why="$why sent '$UC_SENT', want $want;"
	[ "$UC_RECV" = "$UC_SENT" ] || why="$why received '$UC_RECV' of '$UC_SENT';"
	[ "$UC_RBYTES" = "$UC_SBYTES" ] || why="$why bytes '$UC_RBYTES' of '$UC_SBYTES';"
	[ "$UC_LOST" = 0 ] || why="$why lost '$UC_LOST';"
	[ "${UC_DROPPED:-0}" = 0 ] || why="$why send dropped '$UC_DROPPED';"
	if [ -z "$why" ]; then
		ok 0 "$desc: $UC_SENT sent, $UC_RECV echoed, 0 lost"
		return 0
	fi
	ok 1 "$desc"
	diag "$why" "$(cat "$out.cmd")"
	diag_file "$out" 12
	diag_file "$TURND_LOG" 12
	return 1
}

# uc_sessions M [rtcp|nortcp]: how many sessions send data for -m M: uclient pairs an RTCP
# session with each RTP one and rounds M up to even, unless -c (or -Z, which implies it).
uc_sessions()
{
	if [ "${2:-rtcp}" = rtcp ]; then
		echo $((($1 + 1) / 2 * 2))
	else
		echo "$1"
	fi
}
