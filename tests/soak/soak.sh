#!/bin/bash
# soak.sh - `make soak`: 10,000 TURN allocations via turnd's XDP path for 10 minutes, 5% vanishing.
#
#   client ns soak-c-PID        relay ns soak-r-PID                         peer ns soak-p-PID
#   c-relay 198.19.40.1 ====== r-cli 198.19.40.2   r-peer 198.19.41.2 ====== p-relay 198.19.41.1
#   soak-client run            turnd (XDP native on r-cli, r-peer)          soak-client echo :9000
#
# The client (build/soak-client run) sets up SOAK_FLOWS allocations, each with one permission
# and one channel to the peer, and keeps every one alive on time (Refresh, CreatePermission,
# ChannelBind every lifetime/2) while it sends SOAK_PPS ChannelData a second over all of them;
# the peer echoes each one and the client checks every echo (lost = not back within 2 s).
# 61 s after the setup (just after the minute-1 sample) 5% of the clients go silent without a
# Refresh. turnd runs with short lifetimes (SOAK_LIFETIME for the allocation, permission and
# channel), so their state must go within the run.
#
# Once a minute: turnd's RSS (VmRSS) and open files, its allocation/permission/channel counts
# (turnctl status), the entries of its pinned XDP maps (soak-client maps), and the client's
# counters. Pass (exit 0) when all hold:
#   - every allocation set up; counts equal to SOAK_FLOWS at minutes 0-1 and to the survivors
#     at every minute after the last vanished client's expiry + SOAK_GRACE (allocations,
#     permissions, channels and the c2p, p2c, perm and stats map entries alike);
#   - RSS within SOAK_RSS_TOL % (5) of its minute-2 value at every later minute;
#   - every vanished client's allocation (turnd's "released reason=expired" line) and map
#     entries gone by its own deadline (the expiry its last answered Refresh granted) +
#     SOAK_GRACE s; no survivor's allocation expired nor any of its map entries missing;
#   - zero errors: failed or timed-out requests, error answers, bad echoes, send failures,
#     error lines in turnd's log; lost echoes at most SOAK_LOSS_PPM (100) per million sent;
#   - after the client releases its allocations, turnd holds none and the maps are empty;
#     turnd exits 0 on SIGTERM.
# Everything created is removed on any exit. Needs root (namespaces, XDP, bpffs).
#
# Environment: SOAK_MINUTES (10; under 5 is the quick mode: 1000 flows, lifetime 30 s),
# SOAK_FLOWS, SOAK_LIFETIME, SOAK_PPS (2000), SOAK_VANISH_PCT (5), SOAK_GRACE (10),
# SOAK_RSS_TOL (5), SOAK_LOSS_PPM (100), SOAK_KEEP=1 (keep the work directory; it is kept
# anyway on failure), BUILD (build directory, default ./build).
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
MINUTES=${SOAK_MINUTES:-10}
num() { [[ $1 =~ ^[0-9]+$ ]]; }
die() { echo "soak: $*" >&2; exit 2; }

num "$MINUTES" && ((MINUTES >= 2 && MINUTES <= 240)) || die "SOAK_MINUTES: 2 to 240"
if ((MINUTES < 5)); then
	FLOWS=${SOAK_FLOWS:-1000} LIFETIME=${SOAK_LIFETIME:-30}
else
	FLOWS=${SOAK_FLOWS:-10000} LIFETIME=${SOAK_LIFETIME:-120}
fi
PPS=${SOAK_PPS:-2000}
VANISH_PCT=${SOAK_VANISH_PCT:-5}
GRACE=${SOAK_GRACE:-10}
RSS_TOL=${SOAK_RSS_TOL:-5}
LOSS_PPM=${SOAK_LOSS_PPM:-100}
KEEP=${SOAK_KEEP:-0}
VANISH_S=61		# after the setup: just after the minute-1 sample

num "$FLOWS" && ((FLOWS >= 20 && FLOWS <= 30000)) || die "SOAK_FLOWS: 20 to 30000"
num "$LIFETIME" && ((LIFETIME >= 10 && LIFETIME <= 3600)) || die "SOAK_LIFETIME: 10 to 3600"
num "$PPS" && ((PPS <= 50000)) || die "SOAK_PPS: 0 to 50000"
num "$VANISH_PCT" && ((VANISH_PCT <= 50)) || die "SOAK_VANISH_PCT: 0 to 50"
num "$GRACE" && ((GRACE >= 1 && GRACE <= 120)) || die "SOAK_GRACE: 1 to 120"
num "$RSS_TOL" && num "$LOSS_PPM" || die "SOAK_RSS_TOL, SOAK_LOSS_PPM: whole numbers"
# the vanished clients must expire, and be seen gone at a minute sample, within the run
((VANISH_S + LIFETIME + GRACE + 10 <= MINUTES * 60)) ||
	die "SOAK_LIFETIME $LIFETIME is too long for $MINUTES minutes (vanish at ${VANISH_S}s)"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP, bpffs)"
for t in ip ethtool nsenter awk; do
	command -v "$t" >/dev/null || die "$t is not installed"
done
for f in turnd turnctl soak-client bpf/xdp_pass.bpf.o; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f is missing (make soak builds it)"
done
# a copy of the binaries: a rebuild during the run must not change what runs
BIN=$(mktemp -d /tmp/turnd-soak-bin.XXXXXX) || die "mktemp failed"
cp "$BUILD/turnd" "$BUILD/turnctl" "$BUILD/soak-client" "$BUILD/bpf/xdp_pass.bpf.o" "$BIN/" ||
	{ rm -rf "$BIN"; die "cannot copy the binaries"; }
ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= FLOWS + 512)) ||
	{ rm -rf "$BIN"; die "open-file limit $(ulimit -n) is too low for $FLOWS flows"; }

CLI_IP=198.19.40.1 LST_IP=198.19.40.2 RLY_IP=198.19.41.2 PEER_IP=198.19.41.1
PORT=3478 PEER_PORT=9000 PIN=/sys/fs/bpf/soak
NS_C=soak-c-$$ NS_R=soak-r-$$ NS_P=soak-p-$$
T=$(mktemp -d /tmp/turnd-soak.XXXXXX) || { rm -rf "$BIN"; die "mktemp failed"; }
SOCK=$T/turnd.sock
NSS=() PIDS=()
HOLDER='' TURND_PID='' CLIENT_PID='' ECHO_PID=''
FAILS=()

now_ms() { local us=${EPOCHREALTIME//[.,]/}; echo $((10#$us / 1000)); }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
fail() { FAILS+=("$*"); }

# stop_pid PID: TERM, KILL after 10 s; its exit status (when it is our child).
stop_pid()
{
	local i

	kill -TERM "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return; }
	for ((i = 0; i < 100; i++)); do
		alive "$1" || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup()
{
	local st=$? pid ns

	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		alive "$pid" && stop_pid "$pid"
	done
	for ns in "${NSS[@]}"; do
		ip netns delete "$ns" 2>/dev/null
	done
	rm -rf "$BIN"
	if [ "$KEEP" = 1 ] || [ "$st" != 0 ]; then
		echo "soak: logs kept in $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
mac() { ip -n "$1" -j link show dev "$2" | grep -Eo '"address":"[0-9a-f:]+"' | cut -d'"' -f4; }

# The three namespaces and two veth pairs; XDP pass on the outer ends (a frame redirected
# into a veth is dropped unless its receiver runs native XDP), tx checksum offload off on the
# senders, static neighbours.
topology()
{
	local ns

	for ns in "$NS_C" "$NS_R" "$NS_P"; do
		ip netns add "$ns" || return 1
		NSS+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$NS_C" link add c-relay type veth peer name r-cli netns "$NS_R" &&
	ip -n "$NS_R" link add r-peer type veth peer name p-relay netns "$NS_P" &&
	ip -n "$NS_C" link set c-relay up && ip -n "$NS_R" link set r-cli up &&
	ip -n "$NS_R" link set r-peer up && ip -n "$NS_P" link set p-relay up &&
	ip -n "$NS_C" addr add $CLI_IP/24 dev c-relay && ip -n "$NS_R" addr add $LST_IP/24 dev r-cli &&
	ip -n "$NS_R" addr add $RLY_IP/24 dev r-peer && ip -n "$NS_P" addr add $PEER_IP/24 dev p-relay &&
	ip -n "$NS_C" route add default via $LST_IP && ip -n "$NS_P" route add default via $RLY_IP &&
	nsx "$NS_C" ethtool -K c-relay tx off >/dev/null &&
	nsx "$NS_P" ethtool -K p-relay tx off >/dev/null &&
	nsx "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" &&
	ip -n "$NS_C" link set dev c-relay xdpdrv obj "$BIN/xdp_pass.bpf.o" sec xdp &&
	ip -n "$NS_P" link set dev p-relay xdpdrv obj "$BIN/xdp_pass.bpf.o" sec xdp &&
	ip -n "$NS_C" neigh replace $LST_IP lladdr "$(mac "$NS_R" r-cli)" dev c-relay nud permanent &&
	ip -n "$NS_R" neigh replace $CLI_IP lladdr "$(mac "$NS_C" c-relay)" dev r-cli nud permanent &&
	ip -n "$NS_R" neigh replace $PEER_IP lladdr "$(mac "$NS_P" p-relay)" dev r-peer \
		nud permanent &&
	ip -n "$NS_P" neigh replace $RLY_IP lladdr "$(mac "$NS_R" r-peer)" dev p-relay nud permanent
}

# A bpffs of our own for turnd's pins: a holder process in the relay namespace with its own
# mount namespace (turnd and the map reader enter it); bounded sleep, killed on exit.
bpffs()
{
	local i

	ip netns exec "$NS_R" sh -c "mount -t bpf bpf /sys/fs/bpf && exec sleep $((MINUTES * 60 + 900))" \
		>"$T/holder.log" 2>&1 &
	HOLDER=$!
	PIDS+=("$HOLDER")
	for ((i = 0; i < 50; i++)); do
		[ "$(nsenter -t "$HOLDER" -m -n stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] &&
			return 0
		sleep 0.1
	done
	return 1
}

turnd_conf()
{
	cat <<EOF
# soak test configuration (tests/soak/soak.sh): short lifetimes, no quotas; every client
# comes from one address, so no per-source limit on requests before authentication.
realm = "soak.example";
listen = [ "$LST_IP:$PORT" ];
relay = { address = "$RLY_IP"; ports = "20000-60000"; };
allocation = { default_lifetime = $LIFETIME; max_lifetime = $LIFETIME;
	permission_lifetime = $LIFETIME; channel_lifetime = $LIFETIME;
	max_per_user = 0; max_total = 0; };
auth = { users = ( { name = "soak"; password = "soak-pw"; } ); unauth_rate = 0; };
peers = { allow = [ "198.19.41.0/24" ]; };
xdp = { mode = "native"; interfaces = [ "r-cli", "r-peer" ]; pin_path = "$PIN";
	detach_on_exit = true; };
control = { socket = "$SOCK"; };
state_file = "$T/turnd.state";
log = { level = "info"; rate = 0; };
EOF
}

ctl() { "$BIN/turnctl" -s "$SOCK" "$@"; }
# jnum JSON KEY: the first "KEY":NUMBER in JSON.
jnum() { grep -o "\"$2\":[0-9]*" <<<"$1" | head -n 1 | cut -d: -f2; }
# kv LINE KEY: the value of KEY=VALUE in LINE.
kv() { grep -o "\(^\| \)$2=[^ ]*" <<<"$1" | head -n 1 | cut -d= -f2; }

start_turnd()
{
	local i st

	turnd_conf >"$T/turnd.conf"
	nsenter -t "$HOLDER" -m -n -- "$BIN/turnd" -c "$T/turnd.conf" >"$T/turnd.log" 2>&1 \
		</dev/null &
	TURND_PID=$!
	PIDS+=("$TURND_PID")
	for ((i = 0; i < 100; i++)); do
		alive "$TURND_PID" || break
		st=$(ctl --json status 2>/dev/null) && break
		sleep 0.1
	done
	if ! grep -q '"enabled":true' <<<"${st:-}"; then
		echo "turnd did not come up with XDP:"
		tail -n 20 "$T/turnd.log"
		return 1
	fi
}

start_peer_and_client()
{
	ip netns exec "$NS_P" "$BIN/soak-client" echo -l $PEER_IP:$PEER_PORT \
		-t $((MINUTES * 60 + 900)) -S "$T/echo.stats" >"$T/echo.log" 2>&1 </dev/null &
	ECHO_PID=$!
	PIDS+=("$ECHO_PID")
	ip netns exec "$NS_C" "$BIN/soak-client" run -s $LST_IP:$PORT -p $PEER_IP:$PEER_PORT \
		-l $CLI_IP -n "$FLOWS" -L "$LIFETIME" -d $((MINUTES * 60 + 1)) -r "$PPS" \
		-v "$VANISH_PCT" -V $VANISH_S -T "$SETUP_S" -S "$T/client.stats" -P "$T/ports" \
		-X "$T/vanished" \
		>"$T/client.log" 2>&1 </dev/null &
	CLIENT_PID=$!
	PIDS+=("$CLIENT_PID")
}

# wait_ready: until the client's setup is done (bounded by SETUP_S); READY_MS.
wait_ready()
{
	local i line

	for ((i = 0; i < (SETUP_S + 5) * 5; i++)); do
		line=$(cat "$T/client.stats" 2>/dev/null)
		case $(kv "$line" phase) in
		run) READY_MS=$(kv "$line" ready_epoch_ms); return 0 ;;
		aborted) break ;;
		esac
		alive "$CLIENT_PID" || break
		sleep 0.2
	done
	echo "the client's setup did not finish: ${line:-no stats}"
	tail -n 5 "$T/client.log"
	return 1
}

# probe [overdue]: turnd's counts and the maps now, into P_* (empty when turnd does not
# answer); with an argument also P_OVERDUE, entries of vanished clients past deadline + GRACE.
probe()
{
	local st maps a b

	st=$(ctl --json status 2>/dev/null)
	P_ALLOC=$(jnum "$st" allocations) P_PERMS=$(jnum "$st" permissions)
	P_CHANS=$(jnum "$st" channels) a=$(jnum "$st" fwd_c2p) b=$(jnum "$st" fwd_p2c) P_FWD=
	[ -n "$a$b" ] && P_FWD=$((${a:-0} + ${b:-0}))
	maps=$(nsenter -t "$HOLDER" -m -n -- "$BIN/soak-client" maps $PIN "$T/ports" \
		${1:+"$T/vanished" "$GRACE"} 2>>"$T/maps.err")
	P_C2P=$(kv "$maps" c2p) P_P2C=$(kv "$maps" p2c) P_PERM=$(kv "$maps" perm)
	P_STATS=$(kv "$maps" stats) P_VLEFT=$(kv "$maps" vanished_left)
	P_MISS=$(kv "$maps" survivors_missing) P_STRAY=$(kv "$maps" strays)
	P_OVERDUE=$(kv "$maps" overdue)
}

# The vanished clients' state is gone once no map entry is theirs and turnd's count is the
# survivors'. Polled every second from the vanishing on: GONE_MS the first time it holds;
# OVERDUE_MAX the most entries seen past their client's own deadline + GRACE.
poll_gone()
{
	local line

	[ -n "$GONE_MS" ] && return 0
	line=$(cat "$T/client.stats" 2>/dev/null)
	VANISH_MS=$(kv "$line" vanish_epoch_ms)
	[ "${VANISH_MS:-0}" -gt 0 ] && [ -s "$T/vanished" ] || return 0
	DEADLINE_MS=$(kv "$line" vanish_deadline_epoch_ms)
	NVANISH=$(kv "$line" vanished)
	probe overdue
	if [ -n "$P_OVERDUE" ] && ((P_OVERDUE > OVERDUE_MAX)); then
		OVERDUE_MAX=$P_OVERDUE
		OVERDUE_AT=$((($(now_ms) - READY_MS) / 1000))
	fi
	if [ "${P_VLEFT:-x}" = 0 ] && [ "${P_ALLOC:-x}" = $((FLOWS - NVANISH)) ]; then
		GONE_MS=$(now_ms)
	fi
}

# sample M: one table row (minute M) and the values the verdict needs.
sample()
{
	local m=$1 line

	probe
	line=$(cat "$T/client.stats" 2>/dev/null)
	S_RSS[m]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$TURND_PID/status" 2>/dev/null)
	S_FDS[m]=$(ls "/proc/$TURND_PID/fd" 2>/dev/null | wc -l)
	S_ALLOC[m]=$P_ALLOC S_PERMS[m]=$P_PERMS S_CHANS[m]=$P_CHANS
	S_C2P[m]=$P_C2P S_P2C[m]=$P_P2C S_PERM[m]=$P_PERM S_STATS[m]=$P_STATS
	S_VLEFT[m]=$P_VLEFT S_MISS[m]=$P_MISS S_STRAY[m]=$P_STRAY S_MS[m]=$(now_ms)
	S_ERR[m]=$(kv "$line" errors)
	printf '| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		"$m" "$(awk -v k="${S_RSS[m]:-0}" 'BEGIN { printf "%.1f", k / 1024 }')" \
		"${S_FDS[m]}" "${P_ALLOC:--}" "${P_PERMS:--}" "${P_CHANS:--}" "${P_C2P:--}" \
		"${P_P2C:--}" "${P_PERM:--}" "${P_STATS:--}" "$(kv "$line" sent)" \
		"$(kv "$line" echoed)" "$(kv "$line" lost)" "${P_FWD:--}" "${S_ERR[m]:--}"
}

# run_minutes: a row at each minute after the setup, polling the vanished clients' state
# every second in between. Stops early when turnd or the client dies.
run_minutes()
{
	local m target

	for ((m = 1; m <= MINUTES; m++)); do
		target=$((READY_MS + m * 60000))
		while (($(now_ms) < target)); do
			alive "$TURND_PID" || { fail "turnd died at minute $((m - 1))"; return 1; }
			alive "$CLIENT_PID" || { fail "the client died at minute $((m - 1))"; return 1; }
			poll_gone
			sleep 1
		done
		sample "$m"
	done
}

# rcvbuf_errors NS: UDP datagrams NS dropped for a full socket buffer (/proc/net/snmp).
rcvbuf_errors()
{
	nsx "$1" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Udp:" { print $c["RcvbufErrors"]; exit }' /proc/net/snmp
}

# veth_drops: "DEV:N ..." for each veth end, N = what it dropped (XDP redirects it could not
# queue, XDP drops, stack drops); the full counters go to $T/veth.txt.
veth_drops()
{
	local ns_dev ns dev n out=

	for ns_dev in "$NS_C:c-relay" "$NS_R:r-cli" "$NS_R:r-peer" "$NS_P:p-relay"; do
		ns=${ns_dev%%:*} dev=${ns_dev#*:}
		{ echo "== $dev"; nsx "$ns" ethtool -S "$dev"; ip -n "$ns" -s link show "$dev"; } \
			>>"$T/veth.txt" 2>&1
		n=$(nsx "$ns" ethtool -S "$dev" 2>/dev/null |
			awk '/_drops:|xmit_errors:|tx_errors:/ { n += $2 } END { print n + 0 }')
		n=$((n + $(ip -n "$ns" -j -s link show "$dev" | grep -Eo '"dropped":[0-9]+' |
			awk -F: '{ n += $2 } END { print n + 0 }')))
		out+=" $dev:$n"
	done
	echo "${out# }"
}

# wait_client: the client's drain and release (bounded), its final line and exit status.
wait_client()
{
	local i

	for ((i = 0; i < 900; i++)); do
		alive "$CLIENT_PID" || break
		sleep 0.1
	done
	alive "$CLIENT_PID" && fail "the client did not finish within 90 s of the last minute"
	stop_pid "$CLIENT_PID"
	CLIENT_ST=$?
	FINAL=$(cat "$T/client.stats" 2>/dev/null)
	ECHO_LINE=$(cat "$T/echo.stats" 2>/dev/null)
	UDP_DROPS="client ns $(rcvbuf_errors "$NS_C"), relay ns $(rcvbuf_errors "$NS_R"), peer ns"
	UDP_DROPS+=" $(rcvbuf_errors "$NS_P")"
	VETH_DROPS=$(veth_drops)
	ctl status >"$T/status.txt" 2>&1
	XDP_COUNTERS=$(grep -m 1 'counters:' "$T/status.txt" | sed 's/^ *counters: *//')
}

# after_release: turnd's count and the maps once the client has released everything.
after_release()
{
	local i

	for ((i = 0; i < 15; i++)); do
		probe
		[ "${P_ALLOC:-x}" = 0 ] && [ "$P_C2P$P_P2C$P_PERM$P_STATS" = 0000 ] && break
		sleep 1
	done
	printf '| end | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
		"$(awk -v k="$(awk '/^VmRSS:/ { print $2 }' "/proc/$TURND_PID/status" 2>/dev/null)" \
			'BEGIN { printf "%.1f", k / 1024 }')" \
		"$(ls "/proc/$TURND_PID/fd" 2>/dev/null | wc -l)" "${P_ALLOC:--}" "${P_PERMS:--}" \
		"${P_CHANS:--}" "${P_C2P:--}" "${P_P2C:--}" "${P_PERM:--}" "${P_STATS:--}" \
		"$(kv "$FINAL" sent)" "$(kv "$FINAL" echoed)" "$(kv "$FINAL" lost)" "${P_FWD:--}" \
		"$(kv "$FINAL" errors)"
	[ "${P_ALLOC:-x}" = 0 ] && [ "$P_C2P$P_P2C$P_PERM$P_STATS" = 0000 ] ||
		fail "after the release turnd still holds allocations=${P_ALLOC:-?}" \
			"maps c2p=${P_C2P:-?} p2c=${P_P2C:-?} perm=${P_PERM:-?} stats=${P_STATS:-?}"
}

. "$(dirname "$0")/verdict.sh"

SETUP_S=$((60 + FLOWS / 50))
GONE_MS='' VANISH_MS='' DEADLINE_MS='' NVANISH=0 CLIENT_ST='' FINAL='' ECHO_LINE=''
OVERDUE_MAX=0 OVERDUE_AT='' UDP_DROPS='' VETH_DROPS='' XDP_COUNTERS=''
# shellcheck disable=SC2034 # read through ${!name} in verdict.sh
declare -a S_RSS S_FDS S_ALLOC S_PERMS S_CHANS S_C2P S_P2C S_PERM S_STATS S_VLEFT S_MISS \
	S_STRAY S_MS S_ERR

echo "# soak: $FLOWS allocations (1 permission + 1 channel each), $MINUTES min, lifetime" \
	"${LIFETIME}s, refresh every $((LIFETIME / 2))s, $PPS pps echoed, $VANISH_PCT% vanish at" \
	"${VANISH_S}s, turnd $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')," \
	"$(date -u +%Y-%m-%dT%H:%MZ)"
topology >"$T/setup.log" 2>&1 || { cat "$T/setup.log" >&2; die "topology setup failed"; }
bpffs || die "no bpffs in the relay namespace"
start_turnd >"$T/start.log" 2>&1 || { cat "$T/start.log" >&2; die "turnd did not start"; }
start_peer_and_client
T_SETUP=$(now_ms)
if ! wait_ready >"$T/ready.log" 2>&1; then
	cat "$T/ready.log" >&2
	exit 1
fi
echo "# setup: $FLOWS allocations in $(((READY_MS - T_SETUP + 500) / 1000)) s"
echo "| min | turnd RSS MiB | fds | allocations | permissions | channels | map c2p | map p2c" \
	"| map perm | map stats | sent | echoed | lost | XDP fwd | errors |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
sample 0
run_minutes
wait_client
alive "$TURND_PID" && after_release
verdict
