#!/bin/bash
# turnbench.sh - `make bench`: relay throughput table (turnd XDP/userspace, coturn, XDP forwarder).
#
#   client ns             relay ns                                  peer ns
#   c-relay 198.18.1.1 === r-cli 198.18.1.2   r-peer 198.18.2.2 === p-relay 198.18.2.1
#
# For each relay: start it in the relay namespace (pinned to the last CPU), create N
# allocations with one channel each through the control plane (build/turnbench-flows), then
# send ChannelData from the client namespace at full speed for DUR seconds with live-frames
# XDP_TX (build/turnbench-gen, pinned to CPU 0) and count what reaches the peer with an XDP
# program on p-relay (build/turnbench-count). Relay CPU = softirq time of every CPU (/proc/stat)
# plus the relay process's user+system time, over the run. Everything is torn down on exit.
#
# TURNBENCH_KEEP=1 keeps the work directory (logs, flow file, per-run debug dump) in /tmp.
#
# Usage: turnbench.sh [--quick] [--flows N] [--size BYTES] [--duration S] [--runs R]
#        [--relays "turnd-xdp turnd-userspace coturn xdp-fwd"]
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FLOWS=1000 SIZE=100 DUR=10 RUNS=3
RELAYS="turnd-xdp turnd-userspace coturn xdp-fwd"
PORT=3478 PEER_PORT=9 FWD_SPORT=49152
CLI_IP=198.18.1.1 LST_IP=198.18.1.2 RLY_IP=198.18.2.2 PEER_IP=198.18.2.1
START_WAIT=10		# seconds for a relay to answer STUN
FLOWS_WAIT=120		# seconds for the flows to be set up

while [ $# -gt 0 ]; do
	case $1 in
	--quick) FLOWS=100 DUR=5 RUNS=1 ;;
	--flows) FLOWS=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--relays) RELAYS=$2; shift ;;
	*) echo "usage: $0 [--quick] [--flows N] [--size B] [--duration S] [--runs R]" \
		"[--relays LIST]" >&2; exit 2 ;;
	esac
	shift
done

die() { echo "turnbench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP)"
for t in ip ethtool nsenter taskset turnutils_stunclient; do
	command -v "$t" >/dev/null || die "$t is not installed"
done
for f in turnd turnbench-flows turnbench-gen turnbench-count bpf/xdp_pass.bpf.o; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f is missing (make bench-build)"
done
NCPU=$(nproc)
RELAY_CPU=$((NCPU > 1 ? NCPU - 1 : 0))
HOLD=$((DUR * RUNS + 120))	# flows exit by themselves after this, whatever happens

SUF=$$
NS_C=tbc-$SUF NS_R=tbr-$SUF NS_P=tbp-$SUF
T=$(mktemp -d /tmp/turnbench.XXXXXX) || die "mktemp failed"
PIDS=()
NSS=()
HOLDER=

# stop PID: TERM, then KILL after 5 s; reaped.
stop_pid()
{
	local i

	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup()
{
	local pid ns

	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	for ns in "${NSS[@]}"; do
		ip netns delete "$ns" 2>/dev/null
	done
	if [ -n "${TURNBENCH_KEEP:-}" ]; then
		echo "turnbench: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# nsx NS CMD...: CMD in NS, in the foreground only (a background job must run `ip netns exec`
# itself, which execs CMD, so that $! is CMD's pid and the teardown can kill it).
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
mac() { ip -n "$1" -j link show dev "$2" | grep -Eo '"address":"[0-9a-f:]+"' | cut -d'"' -f4; }

topology()
{
	local ns

	for ns in "$NS_C" "$NS_R" "$NS_P"; do
		ip netns add "$ns" || return 1
		NSS+=("$ns")
		ip -n "$ns" link set lo up
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
	nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1 &&
	ip -n "$NS_C" link set dev c-relay xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp &&
	nsx "$NS_P" "$BUILD/turnbench-count" attach p-relay $PEER_PORT || return 1
	# static neighbours, so that no packet waits for (or is lost to) ARP
	ip -n "$NS_C" neigh replace $LST_IP lladdr "$(mac "$NS_R" r-cli)" dev c-relay nud permanent &&
	ip -n "$NS_R" neigh replace $CLI_IP lladdr "$(mac "$NS_C" c-relay)" dev r-cli nud permanent &&
	ip -n "$NS_R" neigh replace $PEER_IP lladdr "$(mac "$NS_P" p-relay)" dev r-peer \
		nud permanent &&
	ip -n "$NS_P" neigh replace $RLY_IP lladdr "$(mac "$NS_R" r-peer)" dev p-relay nud permanent
}

# bpffs for turnd's pins, private to a holder process in the relay namespace (bounded sleep).
bpffs()
{
	local i

	ip netns exec "$NS_R" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec sleep 3600' &
	HOLDER=$!
	PIDS+=("$HOLDER")
	for ((i = 0; i < 30; i++)); do
		[ "$(nsenter -t "$HOLDER" -m -n stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] &&
			return 0
		sleep 0.1
	done
	return 1
}

turnd_conf()
{
	cat <<EOF
realm = "example.org";
listen = [ "$LST_IP:$PORT" ];
relay = { address = "$RLY_IP"; ports = "49152-65535"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "198.18.0.0/15" ]; };
xdp = { mode = "$1"; interfaces = [ "r-cli", "r-peer" ]; pin_path = "/sys/fs/bpf/turnbench";
	detach_on_exit = true; };
control = { socket = "$T/turnd.sock"; };
log = { level = "warn"; };
EOF
}

# start_relay KIND: the relay, pinned to RELAY_CPU; RELAY_PID (empty for xdp-fwd).
start_relay()
{
	local i mode

	RELAY_PID=
	case $1 in
	turnd-xdp | turnd-userspace)
		mode=off
		[ "$1" = turnd-xdp ] && mode=native
		turnd_conf $mode >"$T/turnd.conf"
		nsenter -t "$HOLDER" -m -n -- taskset -c $RELAY_CPU "$BUILD/turnd" \
			-c "$T/turnd.conf" >"$T/$1.log" 2>&1 </dev/null &
		;;
	coturn)
		command -v turnserver >/dev/null || { echo "turnserver is not installed"; return 1; }
		ip netns exec "$NS_R" taskset -c $RELAY_CPU turnserver -n --listening-ip $LST_IP \
			--listening-port $PORT --relay-ip $RLY_IP --min-port 49152 --max-port 65535 \
			--lt-cred-mech --user alice:s3cret --realm example.org --no-tcp --no-tls \
			--no-dtls --no-tcp-relay --no-cli --log-file stdout --simple-log \
			--pidfile "$T/turnserver.pid" >"$T/$1.log" 2>&1 </dev/null &
		;;
	xdp-fwd)
		nsx "$NS_R" "$BUILD/turnbench-count" fwd r-cli r-peer "$(mac "$NS_R" r-peer)" \
			"$(mac "$NS_P" p-relay)" $RLY_IP $PEER_IP $FWD_SPORT $PEER_PORT
		return
		;;
	esac
	RELAY_PID=$!
	PIDS+=("$RELAY_PID")
	# without XDP on r-cli, frames XDP_TXed into c-relay are dropped: let them in
	case $1 in
	turnd-userspace | coturn)
		ip -n "$NS_R" link set dev r-cli xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
			return 1 ;;
	esac
	for ((i = 0; i < START_WAIT * 5; i++)); do
		nsx "$NS_C" timeout -k 1 1 turnutils_stunclient -p $PORT $LST_IP 2>&1 |
			grep -q 'reflexive addr' && return 0
		kill -0 "$RELAY_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "$1 did not answer STUN on $LST_IP:$PORT:"
	tail -n 20 "$T/$1.log"
	return 1
}

stop_relay()
{
	[ -n "$RELAY_PID" ] && stop_pid "$RELAY_PID"
	ip -n "$NS_R" link set dev r-cli xdp off 2>/dev/null
	ip -n "$NS_R" link set dev r-peer xdp off 2>/dev/null
	nsenter -t "$HOLDER" -m -n -- rm -rf /sys/fs/bpf/turnbench 2>/dev/null
}

# make_flows KIND: the flow file $T/flows (FLOWS_PID: the process keeping them alive).
make_flows()
{
	local i

	FLOWS_PID=
	rm -f "$T/flows"
	if [ "$1" = xdp-fwd ]; then	# no control plane: any ports and channels do
		for ((i = 0; i < FLOWS; i++)); do
			echo "$((20000 + i)) $((0x4000 + i % 4096)) $FWD_SPORT"
		done >"$T/flows"
		return 0
	fi
	ip netns exec "$NS_C" "$BUILD/turnbench-flows" -s $LST_IP:$PORT -p $PEER_IP:$PEER_PORT -l $CLI_IP \
		-n "$FLOWS" -o "$T/flows.tmp" -t $HOLD >"$T/flows.log" 2>&1 &
	FLOWS_PID=$!
	PIDS+=("$FLOWS_PID")
	for ((i = 0; i < FLOWS_WAIT * 10; i++)); do
		[ -s "$T/flows.tmp" ] && mv "$T/flows.tmp" "$T/flows" && return 0
		kill -0 "$FLOWS_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "flows were not set up:"
	tail -n 5 "$T/flows.log"
	return 1
}

# cpu_ticks: softirq ticks of all CPUs plus the relay process's utime+stime.
cpu_ticks()
{
	local s p=0

	s=$(awk '$1 == "cpu" { print $8 }' /proc/stat)
	if [ -n "$RELAY_PID" ] && [ -r "/proc/$RELAY_PID/stat" ]; then
		# the relay may be a wrapper (taskset exec's, nsenter forks): sum its children too
		p=$(for t in $(pgrep -P "$RELAY_PID") "$RELAY_PID"; do
			sed 's/.*) //' "/proc/$t/stat" 2>/dev/null | awk '{ print $12 + $13 }'
		done | awk '{ s += $1 } END { print s + 0 }')
	fi
	echo $((s + p))
}

# debug_dump KIND GEN_OUTPUT: what each side saw (TURNBENCH_KEEP=1 only).
debug_dump()
{
	echo "== $1: gen: $2"
	echo "count (pkts bytes other): $(nsx "$NS_P" "$BUILD/turnbench-count" read p-relay)"
	[ -S "$T/turnd.sock" ] && "$BUILD/turnctl" -s "$T/turnd.sock" --json status
	nsx "$NS_R" ip -s link show dev r-cli
	nsx "$NS_R" ip -s link show dev r-peer
	nsx "$NS_R" ethtool -S r-cli | grep -v ': 0$'
	nsx "$NS_R" ethtool -S r-peer | grep -v ': 0$'
	nsx "$NS_R" cat /proc/net/snmp | grep Udp
}

# one_run KIND: one load run; prints "offered delivered loss cpu per_core".
one_run()
{
	local c0 c1 k0 k1 out sent ns hz

	hz=$(getconf CLK_TCK)
	read -r c0 _ < <(nsx "$NS_P" "$BUILD/turnbench-count" read p-relay)
	k0=$(cpu_ticks)
	# in the foreground, not in $( ): a Ctrl-C that kills it then stops this script too
	ip netns exec "$NS_C" taskset -c 0 "$BUILD/turnbench-gen" -i c-relay -f "$T/flows" \
		-S "$(mac "$NS_C" c-relay)" -D "$(mac "$NS_R" r-cli)" -s $CLI_IP -d $LST_IP \
		-p $PORT -l "$SIZE" -t "$DUR" >"$T/gen.out" 2>&1
	out=$(<"$T/gen.out")
	sleep 0.5	# let the relay drain its queues
	k1=$(cpu_ticks)
	read -r c1 _ < <(nsx "$NS_P" "$BUILD/turnbench-count" read p-relay)
	[ -n "${TURNBENCH_KEEP:-}" ] && debug_dump "$1" "$out" >>"$T/debug" 2>&1
	sent=$(grep -Eo 'sent=[0-9]+' <<<"$out" | cut -d= -f2)
	ns=$(grep -Eo 'ns=[0-9]+' <<<"$out" | cut -d= -f2)
	if [ -z "$sent" ] || [ "${ns:-0}" -le 0 ]; then
		echo "generator failed: $out" >&2
		return 1
	fi
	awk -v s="$sent" -v ns="$ns" -v d=$((c1 - c0)) -v k=$((k1 - k0)) -v hz="$hz" 'BEGIN {
		t = ns / 1e9; cpu = k / hz / t * 100
		printf "%.0f %.0f %.2f %.1f %.0f\n", s / t, d / t, s ? (s - d) * 100 / s : 0, cpu,
			(cpu > 0 ? d / t / (cpu / 100) : 0) }'
}

# median of the lines on stdin, per column
median()
{
	sort -n -k2 | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

bench_relay()
{
	local kind=$1 r

	if ! start_relay "$kind" >"$T/err" 2>&1 || ! make_flows "$kind" >>"$T/err" 2>&1; then
		printf '%-16s %-5s %6s %5s   failed: %s\n' "$kind" c2p "$FLOWS" "$SIZE" \
			"$(tr '\n' ' ' <"$T/err" | cut -c1-200)"
		[ -n "${FLOWS_PID:-}" ] && stop_pid "$FLOWS_PID"
		stop_relay
		return
	fi
	for ((r = 0; r < RUNS; r++)); do
		one_run "$kind"
	done >"$T/runs" 2>"$T/err"
	[ -n "$FLOWS_PID" ] && stop_pid "$FLOWS_PID"
	stop_relay
	if [ ! -s "$T/runs" ]; then
		printf '%-16s %-5s %6s %5s   failed: %s\n' "$kind" c2p "$FLOWS" "$SIZE" \
			"$(tr '\n' ' ' <"$T/err" | cut -c1-200)"
		return
	fi
	median <"$T/runs" | awk -v k="$kind" -v n="$FLOWS" -v z="$SIZE" '{
		printf "%-16s %-5s %6d %5d %12.0f %13.0f %7.2f %10.1f %12.0f\n",
			k, "c2p", n, z, $1, $2, $3, $4, $5 }'
}

topology >"$T/err" 2>&1 || die "topology setup failed: $(cat "$T/err")"
bpffs || die "no bpffs in the relay namespace"
echo "# turnbench: $FLOWS flows, $SIZE-byte payloads, ${DUR}s per run, median of $RUNS;" \
	"generator on CPU 0, relay on CPU $RELAY_CPU of $NCPU; $(uname -r)"
printf '%-16s %-5s %6s %5s %12s %13s %7s %10s %12s\n' relay direction flows size \
	offered_pps delivered_pps loss% relay_cpu% pps_per_core
for kind in $RELAYS; do
	bench_relay "$kind"
done
