#!/bin/bash
# 80-xdp-netns.t - the XDP fast path in client/relay/peer namespaces: forwarding, off, restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

# turnd's log line for one interface attached in native mode (the exact form is not fixed yet:
# any line matching this, case-insensitive, and naming the interface as a word, counts).
XDP_ATTACH_ERE=${XDP_ATTACH_ERE:-'xdp.*attached.*mode=native'}

PORT=3478
PEER=34800
PIN=/sys/fs/bpf/turnd-test-$$
SESSIONS=4		# -c -m 4: four sessions, no RTCP
MSGS=200		# per session, 20 ms apart: 4 s of data (uclient idles 5 s first)
DATA=$((SESSIONS * MSGS))	# data packets each way
# With the fast path on, the relay's sockets see control only (56 datagrams with XDP off:
# 8 allocations, their permissions, channel binds, refreshes and deletes): at most 10% of the
# 2 * DATA data packets may reach them.
SLOW_MAX=$((2 * DATA / 10))
RESTART_MSGS=300	# per session in the restart run: 6 s of data (uclient idles 5 s first)
UC=(-c -m "$SESSIONS" -l 200 -u alice -w s3cret -p "$PORT" -e 198.18.2.1 -r "$PEER")

ns_need_root
[ -f "$BUILD_DIR/bpf/xdp_pass.bpf.o" ] || skip_all "no $BUILD_DIR/bpf/xdp_pass.bpf.o (make tests)"
plan 36
ns_trap

# conf MODE DETACH [XDP_EXTRA [EXTRA]]: turnd's config for the relay namespace.
conf()
{
	cat <<EOF
realm = "example.org";
listen = [ "198.18.1.2:$PORT" ];
relay = { address = "198.18.2.2"; ports = "49152-49999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "198.18.0.0/15" ]; };
xdp = { mode = "$1"; interfaces = [ "r-cli", "r-peer" ]; pin_path = "$PIN";
	detach_on_exit = $2; ${3:-} };
control = { socket = "$T/turnd.sock"; };
state_file = "$T/turnd.state";
log = { level = "info"; };
${4:-}
EOF
}

# metrics_get: the relay namespace's GET /metrics on 127.0.0.1:9641 (bounded), on stdout.
metrics_get()
{
	ip netns exec "$NS_R" timeout 5 perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:9641") or die "connect: $!";
		print $s "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
		local $/; my $r = <$s>; my ($h, $b) = split /\r\n\r\n/, $r, 2;
		die "status: $h\n" unless $h =~ m{^HTTP/1\.[01] 200 };
		print $b;'
}

# attach_logged DEV: lines of the log that match XDP_ATTACH_ERE and name DEV.
attach_logged()
{
	grep -Ei -- "$XDP_ATTACH_ERE" "$TURND_LOG" | grep -cw -- "$1"
}

# userspace NAME: a counter of the "userspace" object of `turnctl status` (packets that turnd
# relayed itself; the kernel's counters go in another object).
userspace()
{
	grep -Eo '"userspace":\{[^}]*\}' <<<"$STATUS" | grep -Eo "\"$1\":[0-9]+" | cut -d: -f2
}

# counters: the UDP counters of the three namespaces, "relay_in client_in client_csum peer_in
# peer_csum".
counters()
{
	local r c cc p pc

	read -r r _ < <(ns_udp "$NS_R")
	read -r c cc < <(ns_udp "$NS_C")
	read -r p pc < <(ns_udp "$NS_P")
	echo "$r $c $cc $p $pc"
}

# relay_run NAME: one uclient run of DATA packets each way through the running turnd; sets
# RUN_ST, RUN_OUT, the deltas D_RELAY D_CLIENT D_CCSUM D_PEER D_PCSUM, and STATUS.
relay_run()
{
	local r0 c0 cc0 p0 pc0 r1 c1 cc1 p1 pc1 t0

	RUN_OUT=$T/$1.out
	read -r r0 c0 cc0 p0 pc0 < <(counters)
	t0=$(now_ms)
	ns_uclient "$NS_C" "$RUN_OUT" 30 "${UC[@]}" -n "$MSGS" 198.18.1.2
	RUN_ST=$?
	diag "$1: uclient took $(($(now_ms) - t0)) ms"
	read -r r1 c1 cc1 p1 pc1 < <(counters)
	D_RELAY=$((r1 - r0)) D_CLIENT=$((c1 - c0)) D_CCSUM=$((cc1 - cc0))
	D_PEER=$((p1 - p0)) D_PCSUM=$((pc1 - pc0))
	diag "$1: UDP InDatagrams grew relay +$D_RELAY client +$D_CLIENT peer +$D_PEER;" \
		"InCsumErrors client +$D_CCSUM peer +$D_PCSUM"
	STATUS=$("$TURNCTL" -s "$T/turnd.sock" --json status 2>&1)
	diag "$1: turnctl status: $STATUS"
}

# kernel NAME: counter NAME of the "xdp" object in the last turnctl status (empty if absent).
kernel()
{
	[[ "$STATUS" =~ \"$1\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# checks_at_ends NAME: the peer got each data packet once and both ends saw no bad checksum.
checks_at_ends()
{
	[ "$D_PEER" -eq "$DATA" ] && [ "$D_PCSUM" -eq 0 ] && [ "$D_CCSUM" -eq 0 ] &&
		[ "$D_CLIENT" -ge "$DATA" ]
	ok $? "$1: the peer received $DATA datagrams (got $D_PEER), the client at least $DATA\
 (got $D_CLIENT), no UDP checksum error at either end"
}

# stopped_clean NAME: SIGTERM, exit 0; with detach_on_exit = true no XDP stays on the relay's
# veths and the pins are gone.
stopped_clean()
{
	local st left=

	stop_turnd
	st=$?
	ns_xdp_attached "$NS_R" r-cli && left="$left r-cli still has XDP;"
	ns_xdp_attached "$NS_R" r-peer && left="$left r-peer still has XDP;"
	ns_holder test -e "$PIN" && left="$left $PIN remains: $(ns_holder ls "$PIN" | xargs);"
	[ "$st" -eq 0 ] && [ -z "$left" ]
	ok $? "$1: turnd exits 0 on SIGTERM, XDP detached from r-cli and r-peer, no pin left" ||
		diag "exit status $st;$left"
	# Whatever happened, the next run starts from bare veths.
	ns_holder rm -rf "$PIN"
}

# ends_ready NS DEV ADDR6: DEV runs a native XDP program, has tx checksumming off, and its
# IPv6 address ADDR6 is usable (nodad: never tentative).
ends_ready()
{
	[ "$(ns_xdp_mode "$1" "$2")" = native ] &&
		ns_run "$1" ethtool -k "$2" | grep -q '^tx-checksumming: off' &&
		ip -n "$1" -6 addr show dev "$2" scope global -tentative | grep -qw "$3"
}

# data_at_peer PID: wait (up to 15 s, while PID lives) until 100 datagrams reached the peer
# namespace; p0 and p1 get its UDP InDatagrams before and after.
data_at_peer()
{
	read -r p0 _ < <(ns_udp "$NS_P")
	for ((i = 0; i < 150; i++)); do
		read -r p1 _ < <(ns_udp "$NS_P")
		[ $((p1 - p0)) -ge 100 ] && break
		proc_alive "$1" || break
		sleep 0.1
	done
}

t_start=$(now_ms)

ns_topology "$$"
ok $? "topology: $NS_C, $NS_R, $NS_P, veths, tx offload off, xdp_pass (xdpdrv) at the ends" ||
	abandon "no topology"
ends_ready "$NS_C" c-relay 2001:db8:1::1 && ends_ready "$NS_P" p-relay 2001:db8:2::1
ok $? "client and peer ends: native XDP pass program, tx checksumming off, IPv6 not tentative" ||
	diag "$(ip -n "$NS_C" -d link show dev c-relay)" "$(ip -n "$NS_P" -d link show dev p-relay)"
ns_bpffs
ok $? "a private bpffs on /sys/fs/bpf in $NS_R (holder pid $NS_HOLDER)" || abandon "no bpffs"
ns_peer 198.18.2.1 "$PEER"
ok $? "turnutils_peer echoes on 198.18.2.1:$PEER in $NS_P" || abandon "no peer"

# 1. The fast path: ChannelData goes client -> r-cli -> (XDP) -> r-peer -> peer and back, and
# never reaches a socket of the relay namespace.
ns_turnd_start native "$(conf native true)" 198.18.1.2 "$PORT"
ok $? "native: turnd starts in $NS_R and answers STUN from $NS_C" ||
	abandon "turnd did not start"
for dev in r-cli r-peer; do
	n=$(attach_logged "$dev")
	[ "$n" -ge 1 ]
	ok $? "native: turnd logs XDP attached to $dev in native mode (/$XDP_ATTACH_ERE/)" || {
		diag "no log line matches /$XDP_ATTACH_ERE/ and names $dev"
		diag "$(grep -i xdp "$TURND_LOG" | head -n 5)"
	}
done
relay_run native
uc_check "native: -c -m $SESSIONS -n $MSGS -l 200" "$RUN_OUT" "$RUN_ST" "$DATA"
native_bytes="$UC_SBYTES $UC_RBYTES"
[ "$D_RELAY" -lt "$SLOW_MAX" ]
ok $? "native: the relay namespace's sockets got $D_RELAY datagrams, fewer than $SLOW_MAX\
 (control only: the kernel forwarded the $((2 * DATA)) data packets)"
checks_at_ends native
c2p=$(userspace pkts_c2p) p2c=$(userspace pkts_p2c)
[ -n "$c2p" ] && [ -n "$p2c" ] && [ $((c2p + p2c)) -lt "$SLOW_MAX" ]
ok $? "native: turnd relayed fewer than $SLOW_MAX packets itself (pkts_c2p=$c2p pkts_p2c=$p2c)"
kc2p=$(kernel fwd_c2p) kp2c=$(kernel fwd_p2c)
[ -n "$kc2p" ] && [ $((kc2p + c2p)) -eq "$DATA" ] && [ $((kp2c + p2c)) -eq "$DATA" ]
ok $? "native: turnctl accounts for every data packet: kernel fwd_c2p=$kc2p + userspace $c2p,\
 kernel fwd_p2c=$kp2c + userspace $p2c, $DATA each way"
kb=$(grep -Eo '"relayed":\{"pkts_c2p":[0-9]+,"bytes_c2p":[0-9]+' <<<"$STATUS" | grep -Eo '[0-9]+$')
ub=$(userspace bytes_c2p)
[ -n "$kb" ] && [ -n "$ub" ] && [ $((kb + ub)) -eq $((DATA * 200)) ]
ok $? "native: bytes relayed client->peer, kernel $kb + userspace $ub = $((DATA * 200))"
stopped_clean native

# 2. The same run with XDP off: turnd relays every packet itself.
ns_turnd_start off "$(conf off true)" 198.18.1.2 "$PORT"
ok $? "off: turnd starts in $NS_R and answers STUN from $NS_C" || abandon "turnd did not start"
is "$(grep -Eci -- "$XDP_ATTACH_ERE" "$TURND_LOG")" 0 "off: turnd logs no XDP attachment"
ns_xdp_attached "$NS_R" r-cli || ns_xdp_attached "$NS_R" r-peer
ok $((!$?)) "off: no XDP program on r-cli or r-peer"
relay_run off
uc_check "off: -c -m $SESSIONS -n $MSGS -l 200" "$RUN_OUT" "$RUN_ST" "$DATA"
is "$UC_SBYTES $UC_RBYTES" "$native_bytes" "off: uclient's byte totals equal the native run's"
[ "$D_RELAY" -ge $((2 * DATA)) ]
ok $? "off: the relay namespace's sockets got $D_RELAY datagrams, at least the\
 $((2 * DATA)) data packets"
checks_at_ends off
is "$(userspace pkts_c2p) $(userspace pkts_p2c)" "$DATA $DATA" \
	"off: turnctl status counts $DATA packets relayed each way by turnd"
stopped_clean off

# 3. Restart: turnd dies by SIGKILL in the middle of a call and a new one starts on the same
# config; the kernel keeps forwarding with the pinned program and maps meanwhile.
ns_turnd_start restart "$(conf native false)" 198.18.1.2 "$PORT"
ok $? "restart: turnd starts (native, detach_on_exit = false)" || abandon "turnd did not start"
out=$T/restart.out
echo "ip netns exec $NS_C turnutils_uclient ${UC[*]} -n $RESTART_MSGS -z 20 198.18.1.2" \
	>"$out.cmd"
spawn "$out" timeout -k 5 30 ip netns exec "$NS_C" turnutils_uclient "${UC[@]}" \
	-n "$RESTART_MSGS" -z 20 198.18.1.2
uc_pid=$SPAWN_PID
t0=$(now_ms)
# uclient allocates, then idles about 5 s before its first data packet: kill turnd 2 s after
# data reaches the peer, with about 4 s of the call still to go.
data_at_peer "$uc_pid"
diag "restart: data at the peer after $(($(now_ms) - t0)) ms"
sleep 2
read -r p1 _ < <(ns_udp "$NS_P")
alive=0
proc_alive "$uc_pid" && alive=1
kill -KILL "$TURND_PID"
reap "$TURND_PID" 2 2>/dev/null
st=$?
t_kill=$(now_ms)
ns_turnd_spawn restart
gap=$(($(now_ms) - t_kill))
[ "$alive" = 1 ] && [ $((p1 - p0)) -ge 100 ] && [ "$st" = 137 ] && [ "$gap" -lt 1000 ]
ok $? "restart: SIGKILL with the call running (uclient alive: $alive, $((p1 - p0)) datagrams\
 at the peer, turnd status $st), new turnd spawned ${gap} ms later"
ns_turnd_wait "$NS_C" 198.18.1.2 "$PORT"
ok $? "restart: the new turnd answers STUN $(($(now_ms) - t_kill)) ms after the kill"
reap "$uc_pid" 30
st=$?
diag "restart: uclient took $(($(now_ms) - t0)) ms"
uc_check "restart: -n $RESTART_MSGS -z 20 across a turnd restart, 0 lost" "$out" "$st" \
	$((SESSIONS * RESTART_MSGS))
n=$(log_count 'allocation restored id=')
[ "$n" -ge "$SESSIONS" ]
ok $? "restart: the new turnd rebuilt the $SESSIONS calls from its state file (restored $n)"
stop_turnd
is "$?" 0 "restart: the new turnd exits 0 on SIGTERM"
ns_holder rm -rf "$PIN"	# detach_on_exit = false left them (the bpffs goes with the holder)

# 4. A routing change during a call: the peer's MAC address changes and the relay's neighbour
# entry follows it. Routes are cached for 10 minutes here, so only the rtnetlink notification
# that turnd passes on to the program can make the kernel path use the new address: without
# it every packet would go to the old MAC, which the peer's veth no longer takes.
NEWMAC=02:00:00:00:99:01
ns_turnd_start route "$(conf native true 'route_cache_ms = 600000;' \
	'metrics = { listen = "127.0.0.1:9641"; };')" 198.18.1.2 "$PORT"
ok $? "route: turnd starts (native, route_cache_ms = 600000)" || abandon "turnd did not start"
out=$T/route.out
echo "ip netns exec $NS_C turnutils_uclient ${UC[*]} -n $RESTART_MSGS 198.18.1.2" >"$out.cmd"
spawn "$out" timeout -k 5 30 ip netns exec "$NS_C" turnutils_uclient "${UC[@]}" \
	-n "$RESTART_MSGS" 198.18.1.2
uc_pid=$SPAWN_PID
data_at_peer "$uc_pid"
STATUS=$("$TURNCTL" -s "$T/turnd.sock" --json status 2>&1)
f0=$(kernel fwd_c2p)
ip -n "$NS_P" link set dev p-relay address "$NEWMAC" &&
	ip -n "$NS_R" neigh replace 198.18.2.1 lladdr "$NEWMAC" dev r-peer nud permanent
ok $? "route: during the call, the peer's MAC becomes $NEWMAC and the relay's neighbour entry\
 follows (after $((p1 - p0)) datagrams at the peer)"
read -r p2 _ < <(ns_udp "$NS_P")
sleep 2
read -r p3 _ < <(ns_udp "$NS_P")
STATUS=$("$TURNCTL" -s "$T/turnd.sock" --json status 2>&1)
f1=$(kernel fwd_c2p)
changes=$(grep -Eo 'routes cache_ms=600000 changes=[0-9]+' <<<"$STATUS" | grep -Eo '[0-9]+$')
[ $((p3 - p2)) -ge 150 ] && [ -n "$f0" ] && [ -n "$f1" ] && [ $((f1 - f0)) -ge 150 ] &&
	[ "${changes:-0}" -ge 1 ]
ok $? "route: in the 2 s after it the peer got $((p3 - p2)) datagrams, the kernel forwarded\
 $((f1 - f0)) (both at least 150), turnd passed ${changes:-no} routing changes on"
reap "$uc_pid" 30
uc_parse "$out"
[ -n "$UC_LOST" ] && [ "$UC_LOST" -le $((SESSIONS * 5)) ] && [ "$UC_SENT" = $((SESSIONS * RESTART_MSGS)) ]
ok $? "route: uclient sent $UC_SENT, lost ${UC_LOST:-?} (at most $((SESSIONS * 5)): the moment\
 between the two commands)"
m=$(metrics_get)
mc=$(grep -E '^turnd_xdp_route_changes_total [0-9]+$' <<<"$m" | cut -d' ' -f2)
mt=$(grep -E '^turnd_xdp_clock_tick_seconds ' <<<"$m" | cut -d' ' -f2)
[ -n "$mc" ] && [ "$mc" -ge "${changes:-1}" ] && [ -n "$mt" ] && [ "$mt" != 0 ]
ok $? "route: /metrics says turnd_xdp_route_changes_total ${mc:-?} (turnctl said ${changes:-?})\
 and turnd_xdp_clock_tick_seconds ${mt:-?}"
stopped_clean route

# Nothing stays behind: the namespaces are gone (the pins went with the holder's bpffs).
ns_teardown
left=$(ip netns list | grep -Ew -- "td[crp]-$$" | xargs)
is "$left" "" "teardown: no namespace of this run is left (${#NS_LIST[@]} still recorded)"
diag "total $(($(now_ms) - t_start)) ms"
