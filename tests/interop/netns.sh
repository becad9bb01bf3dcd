# netns.sh - network-namespace helpers of the interop tests: client, relay and peer hosts.
# shellcheck shell=bash
#
# Sourced after lib.sh by the tests that need a routed topology (80-xdp-netns.t):
#
#   client ns NS_C            relay ns NS_R                          peer ns NS_P
#   c-relay 198.18.1.1/24 === r-cli 198.18.1.2/24   r-peer 198.18.2.2/24 === p-relay 198.18.2.1/24
#           2001:db8:1::1/64      2001:db8:1::2/64         2001:db8:2::2/64      2001:db8:2::1/64
#
# The client and the peer route everything through the relay. Their veth ends have tx checksum
# offload off (a locally sent UDP packet otherwise carries only a pseudo-header sum, which an
# XDP rewrite on the relay cannot update) and a native XDP pass program: a frame that XDP
# redirects (or XDP_TXes) into a veth is dropped unless the receiving end runs native XDP;
# generic XDP (xdpgeneric) does not count.
#
# ns_trap replaces lib.sh's EXIT trap: it kills every spawned process (they do not die with
# their namespace), deletes the namespaces, then runs lib.sh's cleanup.
#
# bpffs: `ip netns exec` gives each command a private mount namespace with a fresh /sys, so
# /sys/fs/bpf is empty there (and each mount of bpffs is a new, empty instance). ns_bpffs
# starts a holder process in NS_R whose mount namespace has its own bpffs on /sys/fs/bpf;
# ns_turnd_spawn runs turnd in that mount namespace, so that a restarted turnd finds what the
# previous one pinned. The host's /sys/fs/bpf is never touched; the instance (and every pin
# in it) is freed when the holder dies.

NS_C=
NS_R=
NS_P=
NS_LIST=()
NS_HOLDER=

# ns_need_root: skip the whole script unless it can create namespaces and has the tools.
ns_need_root()
{
	local tool

	[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
	for tool in ip ethtool nsenter ss turnutils_uclient turnutils_peer turnutils_stunclient; do
		command -v "$tool" >/dev/null || skip_all "$tool is not installed"
	done
}

# ns_run NS CMD...: CMD in namespace NS.
ns_run()
{
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# ns_add NAME: create a namespace (recorded for the teardown) with its loopback up.
ns_add()
{
	ip netns add "$1" || return 1
	NS_LIST+=("$1")
	ip -n "$1" link set lo up
}

# ns_veth NS1 DEV1 NS2 DEV2: a veth pair, DEV1 in NS1 and DEV2 in NS2, both up.
ns_veth()
{
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
		ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# ns_addr NS DEV ADDR4/LEN ADDR6/LEN: one address of each family (IPv6 without DAD).
ns_addr()
{
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" -6 addr add "$4" dev "$2" nodad
}

# ns_xdp_pass NS DEV: attach build/bpf/xdp_pass.bpf.o to DEV in native (driver) mode.
ns_xdp_pass()
{
	ip -n "$1" link set dev "$2" xdpdrv obj "$BUILD_DIR/bpf/xdp_pass.bpf.o" sec xdp
}

# ns_xdp_mode NS DEV: how an XDP program is attached to DEV: native, generic, offload, multi
# or none.
ns_xdp_mode()
{
	local m

	m=$(ip -n "$1" -j -d link show dev "$2" | grep -Eo '"xdp":\{"mode":[0-9]+')
	m=${m##*:}
	case ${m:-0} in
	0) echo none ;; 1) echo native ;; 2) echo generic ;; 3) echo offload ;; *) echo multi ;;
	esac
}

# ns_xdp_attached NS DEV: true while DEV has any XDP program.
ns_xdp_attached()
{
	[ "$(ns_xdp_mode "$1" "$2")" != none ]
}

# ns_topology SUFFIX: build the three namespaces tdc-SUFFIX, tdr-SUFFIX, tdp-SUFFIX (NS_C,
# NS_R, NS_P) and the links above. Returns non-zero, with a diagnosis, on the first failure.
ns_topology()
{
	local step

	NS_C=tdc-$1 NS_R=tdr-$1 NS_P=tdp-$1
	step=namespaces
	ns_add "$NS_C" && ns_add "$NS_R" && ns_add "$NS_P" &&
	step=veths &&
	ns_veth "$NS_C" c-relay "$NS_R" r-cli && ns_veth "$NS_R" r-peer "$NS_P" p-relay &&
	step=addresses &&
	ns_addr "$NS_C" c-relay 198.18.1.1/24 2001:db8:1::1/64 &&
	ns_addr "$NS_R" r-cli 198.18.1.2/24 2001:db8:1::2/64 &&
	ns_addr "$NS_R" r-peer 198.18.2.2/24 2001:db8:2::2/64 &&
	ns_addr "$NS_P" p-relay 198.18.2.1/24 2001:db8:2::1/64 &&
	step=routes &&
	ip -n "$NS_C" route add default via 198.18.1.2 &&
	ip -n "$NS_C" -6 route add default via 2001:db8:1::2 &&
	ip -n "$NS_P" route add default via 198.18.2.2 &&
	ip -n "$NS_P" -6 route add default via 2001:db8:2::2 &&
	step="tx checksum offload off" &&
	ns_run "$NS_C" ethtool -K c-relay tx off >/dev/null &&
	ns_run "$NS_P" ethtool -K p-relay tx off >/dev/null &&
	step="xdp_pass (xdpdrv) on c-relay and p-relay" &&
	ns_xdp_pass "$NS_C" c-relay && ns_xdp_pass "$NS_P" p-relay &&
	return 0
	diag "ns_topology: $step failed"
	return 1
}

# ns_snmp NS PROTO FIELD: a counter of /proc/net/snmp in NS, e.g. `ns_snmp NS Udp InDatagrams`.
ns_snmp()
{
	ns_run "$1" awk -v p="$2:" -v f="$3" '
		$1 != p { next }
		!h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		{ print (f in col) ? $col[f] : "?"; exit }' /proc/net/snmp
}

# ns_udp NS: "InDatagrams InCsumErrors" of NS's IPv4 UDP counters.
ns_udp()
{
	echo "$(ns_snmp "$1" Udp InDatagrams) $(ns_snmp "$1" Udp InCsumErrors)"
}

# ns_bpffs: start the bpffs holder in NS_R (pid in NS_HOLDER) and wait (bounded) for its
# mount. The holder is a bounded sleep, killed by the teardown.
ns_bpffs()
{
	local i

	spawn "$T/bpffs-holder.log" ip netns exec "$NS_R" \
		sh -c 'mount -t bpf bpf /sys/fs/bpf && exec sleep 600'
	NS_HOLDER=$SPAWN_PID
	for ((i = 0; i < 30; i++)); do
		[ "$(ns_holder stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
		proc_alive "$NS_HOLDER" || break
		sleep 0.1
	done
	diag "ns_bpffs: no bpffs on /sys/fs/bpf in the holder's mount namespace"
	diag_file "$T/bpffs-holder.log"
	return 1
}

# ns_holder CMD...: CMD in the relay namespace with the holder's bpffs on /sys/fs/bpf.
ns_holder()
{
	nsenter -t "$NS_HOLDER" -m -n -- "$@"
}

# ns_peer ADDR PORT: turnutils_peer echoing on ADDR:PORT (and PORT+1) in NS_P; waits (bounded)
# until both sockets are bound.
ns_peer()
{
	local i

	spawn "$T/peer.log" ip netns exec "$NS_P" turnutils_peer -L "$1" -p "$2"
	for ((i = 0; i < 30; i++)); do
		[ "$(ns_run "$NS_P" ss -Hnlu "( sport = :$2 or sport = :$(($2 + 1)) )" | wc -l)" \
			-ge 2 ] && return 0
		proc_alive "$SPAWN_PID" || break
		sleep 0.1
	done
	diag "ns_peer: turnutils_peer is not listening on $1 port $2"
	diag_file "$T/peer.log"
	return 1
}

# ns_stun_probe NS ADDR PORT: one bounded STUN binding from NS.
ns_stun_probe()
{
	ns_run "$1" timeout -k 1 2 turnutils_stunclient -p "$3" "$2" 2>&1 |
		grep -q 'reflexive addr: '
}

# ns_turnd_spawn NAME: start turnd on $T/NAME.conf in the relay namespace (holder's mount
# namespace), output appended to $T/NAME.log (TURND_LOG, TURND_PID set as start_turnd does).
ns_turnd_spawn()
{
	TURND_CONF=$T/$1.conf
	TURND_LOG=$T/$1.log
	nsenter -t "$NS_HOLDER" -m -n -- "${TURND_PREFIX[@]}" "$TURND" -c "$TURND_CONF" \
		>>"$TURND_LOG" 2>&1 </dev/null &
	TURND_PID=$!
	SPAWNED+=("$TURND_PID")
}

# ns_turnd_wait NS ADDR PORT: wait up to TURND_START_WAIT seconds for a STUN answer from NS.
ns_turnd_wait()
{
	local deadline=$(($(now_ms) + TURND_START_WAIT * 1000))

	while [ "$(now_ms)" -lt "$deadline" ]; do
		if ! proc_alive "$TURND_PID"; then
			wait "$TURND_PID"
			diag "turnd exited with status $? before answering"
			diag_file "$TURND_LOG"
			return 1
		fi
		ns_stun_probe "$1" "$2" "$3" && return 0
		sleep 0.1
	done
	diag "no STUN answer from $2 port $3 within ${TURND_START_WAIT}s (asked from $1)"
	diag_file "$TURND_LOG"
	return 1
}

# ns_turnd_start NAME CONFIG_TEXT ADDR PORT: write $T/NAME.conf, start turnd in the relay
# namespace and wait until ADDR:PORT answers STUN from the client namespace.
ns_turnd_start()
{
	[ -x "$TURND" ] || { diag "$TURND is missing or not executable (run make)"; return 1; }
	printf '%s\n' "$2" >"$T/$1.conf"
	: >"$T/$1.log"
	ns_turnd_spawn "$1"
	ns_turnd_wait "$NS_C" "$3" "$4"
}

# ns_uclient NS OUT SECONDS ARGS...: turnutils_uclient in NS under a hard timeout, output in
# OUT (the command line in OUT.cmd); returns uclient's status (124 on timeout).
ns_uclient()
{
	local ns=$1 out=$2 secs=$3

	shift 3
	echo "ip netns exec $ns turnutils_uclient $*" >"$out.cmd"
	timeout -k 5 "$secs" ip netns exec "$ns" turnutils_uclient "$@" >"$out" 2>&1 </dev/null
}

# uc_clean OUT STATUS SENT: uc_check's verdict without a test point (true when it would pass).
uc_clean()
{
	uc_parse "$1"
	[ "$2" -eq 0 ] && [ -n "$UC_LOST" ] && [ "$UC_SENT" = "$3" ] && [ "$UC_RECV" = "$3" ] &&
		[ "$UC_RBYTES" = "$UC_SBYTES" ] && [ "$UC_LOST" = 0 ] && [ "${UC_DROPPED:-0}" = 0 ]
}

# ns_teardown: kill every spawned process (TERM, then KILL after 5 s), delete the namespaces.
# Idempotent; the namespaces and the holder's bpffs (with every pin) are gone afterwards.
ns_teardown()
{
	local pid ns

	for pid in "${SPAWNED[@]}"; do
		proc_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${SPAWNED[@]}"; do
		reap "$pid" 5
	done
	for ns in "${NS_LIST[@]}"; do
		ip netns delete "$ns" 2>/dev/null
	done
	NS_LIST=()
}

ns_exit()
{
	local st=$?

	ns_teardown
	(exit "$st")
	cleanup
}

# ns_trap: from here on, any exit tears the namespaces down before lib.sh's cleanup.
ns_trap()
{
	trap ns_exit EXIT
}
