#!/bin/bash
# turnbench.sh - `make bench`: throughput, CPU, latency of turnd (XDP, userspace), coturn, XDP fwd.
#
# Three network namespaces joined by veth (client, relay, peer: topo.sh). For each relay and
# each number of flows: start the relay pinned to the last CPU, set up the flows through its
# control plane (turnbench-flows: Allocate, CreatePermission, ChannelBind, refreshed), then
# for each payload size and direction send for DUR seconds from CPU 0 (load.sh: live frames,
# sendmmsg or pktgen), with the latency probe (turnbench-lat) pinging through the relay, and
# count what arrives at the other side with XDP counters. Relay CPU = softirq time of every
# CPU (/proc/stat) plus the relay process's user+system time, over the sending. Results: a table
# on stdout, progress on stderr, optionally JSON and a plot (report.sh). Everything created
# is torn down on exit, failure or Ctrl-C.
#
# TURNBENCH_KEEP=1 keeps the work directory (logs, flow file, per-run debug dump) in /tmp.
set -u

usage()
{
	cat >&2 <<EOF
usage: turnbench [--quick] [--flows LIST] [--size LIST] [--dir LIST] [--duration S] [--runs R]
                 [--relays LIST] [--gen live|sendmmsg|pktgen] [--rate PPS] [--channels K]
                 [--order scatter|seq] [--no-latency] [--json FILE] [--plot FILE.png]
  (no option)    the full sweep: flows 1,1000,100000 at 100 bytes and sizes 64,512,1400 at
                 1000 flows, both directions, every relay, median of 3 runs of 2 s
  --quick        100 flows, 100 bytes, both directions, one run of 2 s (under a minute)
  --flows/--size lists like 1,1000,100000 / 64,512,1400 (every combination is run)
  --dir          c2p,p2c (default both)     --relays  turnd-xdp,turnd-userspace,coturn,xdp-fwd
  --gen          default pktgen when /proc/net/pktgen exists, else live
  --rate         packets per second offered, 0 (default) = as fast as the generator goes
  --channels     channels per allocation (default: as few as the open-file limit allows)
  --order        the order flows are sent in, one packet each: scatter (default: shuffled
                 once, as calls' traffic interleaves) or seq (the order they were set up)
EOF
	exit 2
}

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LIB=$ROOT/tools/bench
COMMAND="turnbench $*"
FLOW_LIST= SIZE_LIST= DUR=2 RUNS= QUICK= RATE=0 CHANNELS= LATENCY=1 JSON= PLOT= ORDER=scatter
DIRS="c2p p2c"
RELAYS="turnd-xdp turnd-userspace coturn xdp-fwd"
GEN=live
[ -d /proc/net/pktgen ] && GEN=pktgen

list() { tr ',' ' ' <<<"$1"; }
while [ $# -gt 0 ]; do
	case $1 in
	--flows | --size | --dir | --duration | --runs | --relays | --gen | --rate | --channels | \
	--json | --plot | --order) [ $# -ge 2 ] || usage ;;
	esac
	case $1 in
	--quick) QUICK=1 ;;
	--flows) FLOW_LIST=$(list "$2"); shift ;;
	--size) SIZE_LIST=$(list "$2"); shift ;;
	--dir) DIRS=$(list "$2"); shift ;;
	--duration) DUR=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--relays) RELAYS=$(list "$2"); shift ;;
	--gen) GEN=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--channels) CHANNELS=$2; shift ;;
	--order) ORDER=$2; shift ;;
	--no-latency) LATENCY=0 ;;
	--json) JSON=$2; shift ;;
	--plot) PLOT=$2; shift ;;
	*) usage ;;
	esac
	shift
done

die() { echo "turnbench: $*" >&2; exit 1; }
num() { [[ $1 =~ ^[0-9]+$ ]]; }

for v in $FLOW_LIST; do num "$v" && ((v >= 1 && v <= 100000)) || die "flows: 1 to 100000"; done
for v in $SIZE_LIST; do num "$v" && ((v >= 64 && v <= 1400)) || die "size: 64 to 1400"; done
for v in $DIRS; do [[ $v =~ ^(c2p|p2c)$ ]] || die "direction: c2p or p2c"; done
for v in $RELAYS; do
	[[ $v =~ ^(turnd-xdp|turnd-userspace|coturn|xdp-fwd)$ ]] || die "unknown relay $v"
done
[[ $GEN =~ ^(live|sendmmsg|pktgen)$ ]] || die "generator: live, sendmmsg or pktgen"
[[ $ORDER =~ ^(scatter|seq)$ ]] || die "order: scatter or seq"
[ -n "$RUNS" ] || { [ -n "$QUICK" ] && RUNS=1 || RUNS=3; }
num "$DUR" && ((DUR >= 1 && DUR <= 60)) || die "duration: 1 to 60 seconds"
num "$RUNS" && ((RUNS >= 1 && RUNS <= 9)) || die "runs: 1 to 9"
num "$RATE" && ((RATE <= 100000000)) || die "rate: 0 to 100000000 packets per second"
[ -z "$CHANNELS" ] || { num "$CHANNELS" && ((CHANNELS >= 1 && CHANNELS <= 990)); } ||
	die "channels: 1 to 990"

# The points (flows size): the full sweep is an L (flows at 100 bytes, sizes at 1000 flows);
# given lists are crossed. The plot draws flows at PLOT_SIZE and sizes at PLOT_FLOWS.
if [ -n "$QUICK" ] && [ -z "$FLOW_LIST$SIZE_LIST" ]; then
	POINTS="100:100" PLOT_SIZE=100 PLOT_FLOWS=100
elif [ -z "$FLOW_LIST$SIZE_LIST" ]; then
	POINTS="1:100 1000:64 1000:100 1000:512 1000:1400 100000:100" PLOT_SIZE=100 PLOT_FLOWS=1000
else
	POINTS=
	for f in ${FLOW_LIST:-1000}; do
		for s in ${SIZE_LIST:-100}; do POINTS+=" $f:$s"; done
	done
	set -- ${SIZE_LIST:-100}
	PLOT_SIZE=$1
	set -- ${FLOW_LIST:-1000}
	PLOT_FLOWS=$1
fi

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, XDP)"
for t in ip ethtool nsenter taskset chrt turnutils_stunclient; do
	command -v "$t" >/dev/null || die "$t is not installed"
done
for f in turnd turnbench-flows turnbench-gen turnbench-count turnbench-mmsg turnbench-lat \
	bpf/xdp_pass.bpf.o; do
	[ -e "$BUILD/$f" ] || die "$BUILD/$f is missing (make bench-build)"
done
[ "$GEN" != pktgen ] || [ -d /proc/net/pktgen ] || modprobe pktgen 2>/dev/null ||
	die "--gen pktgen: no /proc/net/pktgen and no pktgen module"
ulimit -n "$(ulimit -Hn)"	# the flows and the relays hold one socket per allocation
NCPU=$(nproc)
RELAY_CPU=$((NCPU > 1 ? NCPU - 1 : 0))

SUF=$$
NS_C=tbc-$SUF NS_R=tbr-$SUF NS_P=tbp-$SUF
T=$(mktemp -d /tmp/turnbench.XXXXXX) || die "mktemp failed"
PIDS=()
NSS=()
declare -A MACS
HOLDER= RELAY_PID= FLOWS_PID= LAT_PID= START_NOTE=

cleanup()
{
	local pid ns

	trap - EXIT INT TERM
	progress_clear 2>/dev/null
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

. "$LIB/topo.sh"
. "$LIB/load.sh"
. "$LIB/report.sh"

# median: the line with the median delivered pps (column 2) of the lines on stdin.
median() { sort -n -k2 | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'; }

# flows_of / sizes_of F: the distinct flow counts, ascending; the sizes to run at F.
flows_of() { tr ' ' '\n' <<<"$POINTS" | grep . | cut -d: -f1 | sort -nu; }
sizes_of() { tr ' ' '\n' <<<"$POINTS" | grep "^$1:" | cut -d: -f2; }

# fail_rows KIND F NOTE: a row per point of F and direction, with the reason.
fail_rows()
{
	local s d

	for s in $(sizes_of "$2"); do
		for d in $DIRS; do
			row "$1" "$d" "$2" "$s" - - - - - - - - - - - "$3"
			progress_done
		done
	done
}

# run_point KIND F SIZE DIR: RUNS runs, the median as a row, with the latency measured
# through all of them.
run_point()
{
	local r res note= allocs=$((($2 + K - 1) / K)) lat="- - -"

	progress_step "$1 $4 $2 flows $3 B"
	: >"$T/err"
	[ "$1" = xdp-fwd ] && { fwd_attach "$4" >"$T/err" 2>&1 || note="fwd attach failed"; }
	if [ "$1" != xdp-fwd ] && [ "$LATENCY" = 1 ] &&
		! lat_start $((RUNS * (DUR + 12) + 5)); then
		echo "latency probe: $(cut -d" " -f2- "$T/lat.log" | tr "\n" " ")" >>"$T/err"
	fi
	for ((r = 0; r < RUNS; r++)); do
		[ -z "$note" ] && one_run "$1" "$4" "$3"
	done >"$T/runs" 2>>"$T/err"
	[ -n "$LAT_PID" ] && lat=$(lat_stop)
	LAT_PID=
	[ "$1" = xdp-fwd ] && allocs=-
	if [ ! -s "$T/runs" ]; then
		row "$1" "$4" "$2" "$3" - - - - - - - - "$allocs" "$K" "$SETUP_S" \
			"failed: ${note:-$(tr '\n' ' ' <"$T/err" | cut -c1-160)}"
	else
		[ -s "$T/err" ] && note=$(sort -u "$T/err" | tr '\n' ' ' | cut -c1-160)
		[ "$1" = xdp-fwd ] && note="no control plane: no latency probe"
		[ -n "$START_NOTE" ] && note="${note:+$note; }$START_NOTE"
		res=$(median <"$T/runs")
		row "$1" "$4" "$2" "$3" $res $lat "$allocs" "$K" "$SETUP_S" "$note"
	fi
	progress_done
}

# start_relay_tries KIND: start_relay, up to 3 tries; a retry is said in START_NOTE, which
# goes into every row of the flow count: never silent.
start_relay_tries()
{
	local try

	START_NOTE=
	for try in 1 2 3; do
		start_relay "$1" >"$T/err" 2>&1 && return 0
		stop_relay
		START_NOTE="relay started on try $((try + 1)); try $try: $(tr '\n' ' ' <"$T/err" |
			cut -c1-120)"
	done
	return 1
}

# bench_relay KIND: every point of KIND, one relay start and one flow setup per flow count.
bench_relay()
{
	local kind=$1 f s d hold npts

	for f in $(flows_of); do
		npts=$(($(sizes_of "$f" | wc -l) * $(wc -w <<<"$DIRS")))
		hold=$((npts * RUNS * (DUR + 8) + 120))
		FLOWS_WAIT=$((60 + f / 1000))
		progress_step "$kind: $f flows: starting"
		if ! start_relay_tries "$kind" || ! make_flows "$kind" "$f" "$hold" >>"$T/err" 2>&1
		then
			progress_done
			K=$(channels_for "$f") SETUP_S=-
			[ -n "$START_NOTE" ] && START_NOTE=" (relay: 3 tries)"
			fail_rows "$kind" "$f" \
				"setup failed$START_NOTE: $(tr '\n' ' ' <"$T/err" | cut -c1-160)"
			[ -n "$FLOWS_PID" ] && stop_pid "$FLOWS_PID"
			stop_relay
			continue
		fi
		progress_done
		for s in $(sizes_of "$f"); do
			for d in $DIRS; do
				run_point "$kind" "$f" "$s" "$d"
			done
		done
		[ -n "$FLOWS_PID" ] && stop_pid "$FLOWS_PID"
		FLOWS_PID=
		stop_relay
	done
}

steps=0
for f in $(flows_of); do
	steps=$((steps + 1 + $(sizes_of "$f" | wc -l) * $(wc -w <<<"$DIRS")))
done
progress_init $((steps * $(wc -w <<<"$RELAYS")))
topology >"$T/err" 2>&1 || die "topology setup failed: $(cat "$T/err")"
helpers || die "no bpffs in the relay namespace"
: >"$T/rows"
table_header
for kind in $RELAYS; do
	bench_relay "$kind"
done
progress_clear
echo "# flows = channels; K channels per allocation (to distinct peer ports) when the" \
	"open-file limit ($(ulimit -Hn)) would not hold one allocation per flow; flows sent in" \
	"$ORDER order; took $(($(date +%s) - T_START)) s"
awk -F'\t' '$15 != "-" && $15 != "" && $1 != "xdp-fwd" && !seen[$1 FS $3]++ {
	printf "# setup: %s %s flows = %s allocations x %s channels in %s s\n", $1, $3, $13, $14,
		$15 }' "$T/rows"
[ -n "$JSON" ] && json_write "$JSON" && echo "# json: $JSON"
[ -n "$PLOT" ] && plot_write "$PLOT" && echo "# plot: $PLOT"
exit 0
