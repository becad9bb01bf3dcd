# load.sh - turnbench: one load run (generator, latency probe, counters, CPU); sourced.
#
# Generators, all pinned to CPU 0 and sending the flows of $T/flows round robin in the file's
# order (see order_flows in topo.sh), one flow per packet:
#  live     turnbench-gen: BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, XDP_TX out of the
#           sender's veth.
#  sendmmsg turnbench-mmsg: sendmmsg() on a raw socket, through the sender's IP stack.
#  pktgen   the kernel's pktgen (/proc/net/pktgen), one device on thread kpktgend_0. pktgen
#           varies addresses and UDP ports per packet (ranges, "flows"), never the payload,
#           and starts every payload with its own 16-byte header (magic 0xbe9be955), so it
#           cannot write a ChannelData header. It sends into a veth pair of its own (x-gen ->
#           x-shape); turnbench-gen's program on x-shape rewrites every header of each frame
#           to the next flow's (ports, channel; UDP checksum 0, as pktgen's payload is not
#           ours) and redirects it out of the sender's veth. pktgen sets the rate and makes
#           the packets; the flow of each packet comes from the shaper.

# gen_side DIR: what the sender side of DIR is: namespace, device, addresses, peer MAC.
gen_side()
{
	G_PEER_NS=$NS_R
	if [ "$1" = c2p ]; then
		G_NS=$NS_C G_DEV=c-relay G_SRC=$CLI_IP G_DST=$LST_IP G_PEER_DEV=r-cli
	else
		G_NS=$NS_P G_DEV=p-relay G_SRC=$PEER_IP G_DST=$RLY_IP G_PEER_DEV=r-peer
	fi
	G_MACS="-S ${MACS[$G_DEV]} -D ${MACS[$G_PEER_DEV]}"
}

# gen_live DIR SIZE: prints the generator's "sent=N ns=T" line.
gen_live()
{
	gen_side "$1"
	ip netns exec "$G_NS" taskset -c 0 "$BUILD/turnbench-gen" -i $G_DEV -f "$T/flows" -m "$1" \
		$G_MACS -s $G_SRC -d $G_DST -p $PORT -l "$2" -t "$DUR" -r "$RATE"
}

gen_sendmmsg()
{
	gen_side "$1"
	ip netns exec "$G_NS" taskset -c 0 "$BUILD/turnbench-mmsg" -f "$T/flows" -m "$1" \
		-s $G_SRC -d $G_DST -p $PORT -l "$2" -t "$DUR" -r "$RATE"
}

# pg NS FILE LINE: one pktgen command; fails when the write fails or, for a thread or a
# device, when pktgen does not answer "Result: OK" (pgctrl has no Result line).
pg()
{
	ip netns exec "$1" sh -c "echo '$3' > /proc/net/pktgen/$2" || return 1
	[ "$2" = pgctrl ] && return 0
	ip netns exec "$1" grep -q 'Result: OK' "/proc/net/pktgen/$2" && return 0
	echo "pktgen refused '$3' on $2:" \
		"$(ip netns exec "$1" grep Result: "/proc/net/pktgen/$2")" >&2
	return 1
}

# gen_pktgen DIR SIZE (untested here: this kernel has no pktgen module).
gen_pktgen()
{
	local len pid r res usec pkts

	gen_side "$1"
	len=$((42 + $2))
	[ "$1" = c2p ] && len=$((len + 4))
	ip -n "$G_NS" link del x-gen 2>/dev/null
	ip -n "$G_NS" link add x-gen type veth peer name x-shape &&
	nsx "$G_NS" sysctl -qw net.ipv6.conf.x-gen.disable_ipv6=1 &&
	nsx "$G_NS" sysctl -qw net.ipv6.conf.x-shape.disable_ipv6=1 &&
	ip -n "$G_NS" link set x-gen up && ip -n "$G_NS" link set x-shape up &&
	ip netns exec "$G_NS" "$BUILD/turnbench-gen" -i x-shape -o $G_DEV -f "$T/flows" -m "$1" \
		$G_MACS -s $G_SRC -d $G_DST -p $PORT -l "$2" >/dev/null || return 1
	r="delay 0"
	[ "$RATE" != 0 ] && r="ratep $RATE"
	pg "$G_NS" pgctrl reset && pg "$G_NS" kpktgend_0 rem_device_all &&
	pg "$G_NS" kpktgend_0 "add_device x-gen" && pg "$G_NS" x-gen "count 0" &&
	pg "$G_NS" x-gen "clone_skb 0" && pg "$G_NS" x-gen "burst 1" &&
	pg "$G_NS" x-gen "pkt_size $len" && pg "$G_NS" x-gen "$r" &&
	pg "$G_NS" x-gen "dst_mac $(mac "$G_NS" x-shape)" && pg "$G_NS" x-gen "dst $G_DST" &&
	pg "$G_NS" x-gen "src_min $G_SRC" && pg "$G_NS" x-gen "src_max $G_SRC" || return 1
	# `start` blocks until the run ends: in the background, stopped after DUR seconds
	ip netns exec "$G_NS" sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	pid=$!
	PIDS+=("$pid")
	sleep "$DUR"
	ip netns exec "$G_NS" sh -c 'echo stop > /proc/net/pktgen/pgctrl'
	stop_pid "$pid"
	res=$(ip netns exec "$G_NS" grep -A1 'Result:' /proc/net/pktgen/x-gen)
	pg "$G_NS" kpktgend_0 rem_device_all
	ip -n "$G_NS" link del x-gen
	# "Result: OK: 5000123(c4999000+d1123) usec, 1234567 (110byte,0frags)"
	usec=$(sed -n 's/.*Result: OK: \([0-9]*\)(.*/\1/p' <<<"$res")
	pkts=$(sed -n 's/.*usec, \([0-9]*\) (.*/\1/p' <<<"$res")
	[ -n "$usec" ] && [ -n "$pkts" ] || { echo "pktgen gave no result: $res" >&2; return 1; }
	echo "sent=$pkts ns=$((usec * 1000))"
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

# counted DIR: packets counted so far at the receiving end of DIR.
counted()
{
	if [ "$1" = c2p ]; then
		nsx "$NS_P" "$BUILD/turnbench-count" read p-relay | cut -d' ' -f1
	else
		nsx "$NS_C" "$BUILD/turnbench-count" read c-relay | cut -d' ' -f1
	fi
}

# lat_start SECONDS: the latency probe through the relay (LAT_PID), once its channel is bound;
# it pings for SECONDS at most (280: under the permission's lifetime), or until lat_stop.
# Both ends of the probe run on CPU 0 at real-time priority, so that what they measure is the
# relay, not how long they waited for that busy CPU.
lat_start()
{
	local i t=$(($1 < 280 ? $1 : 280))

	LAT_PID=
	ip netns exec "$NS_C" chrt -f 10 taskset -c 0 "$BUILD/turnbench-lat" ping -s $LST_IP:$PORT \
		-p $PEER_IP:$ECHO_PORT -l $LAT_IP -t $t >"$T/lat.out" 2>"$T/lat.log" &
	LAT_PID=$!
	PIDS+=("$LAT_PID")
	for ((i = 0; i < 50; i++)); do
		grep -qs ready "$T/lat.out" && return 0
		kill -0 "$LAT_PID" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$LAT_PID"
	LAT_PID=
	return 1
}

# lat_stop: "p50 p99 p999" in microseconds ("- - -" without answers).
lat_stop()
{
	local out

	[ -n "$LAT_PID" ] && stop_pid "$LAT_PID"
	LAT_PID=
	out=$(grep sent= "$T/lat.out" 2>/dev/null)
	awk -v s="$out" 'BEGIN { p50 = p99 = p999 = "-"; n = split(s, f, /[ =]/)
		for (i = 1; i < n; i += 2) {
			if (f[i] == "p50_us") p50 = f[i + 1]
			if (f[i] == "p99_us") p99 = f[i + 1]
			if (f[i] == "p999_us") p999 = f[i + 1]
		}
		print p50, p99, p999 }'
}

# quiesce DIR: wait (10 s at most) until nothing more arrives. A userspace relay may still be
# working through its sockets' backlog after the load stops: that would slow the next run
# down and time its control requests out. Not counted: late is lost, for media.
quiesce()
{
	local i a b

	a=$(counted "$1")
	for ((i = 0; i < 50; i++)); do
		sleep 0.2
		b=$(counted "$1")
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	echo "still delivering 10 s after the load" >&2
}

# debug_dump KIND GEN_OUTPUT: what each side saw (TURNBENCH_KEEP=1 only).
debug_dump()
{
	echo "== $1: gen: $2"
	echo "peer count (pkts bytes other): $(nsx "$NS_P" "$BUILD/turnbench-count" read p-relay)"
	echo "client count (pkts bytes other): $(nsx "$NS_C" "$BUILD/turnbench-count" read c-relay)"
	cat "$T/lat.out" 2>/dev/null
	[ -S "$T/turnd.sock" ] && "$BUILD/turnctl" -s "$T/turnd.sock" --json status
	nsx "$NS_R" ip -s link show dev r-cli
	nsx "$NS_R" ip -s link show dev r-peer
	nsx "$NS_R" cat /proc/net/snmp | grep Udp
}

# one_run KIND DIR SIZE: one load run; prints "offered delivered loss cpu per_core".
# Offered and delivered are per second of sending (delivered counted after a drain); relay
# CPU % is over the sending time, per_core = delivered / (relay CPU % / 100).
one_run()
{
	local c0 c1 k0 k1 out sent ns hz

	hz=$(getconf CLK_TCK)
	c0=$(counted "$2")
	k0=$(cpu_ticks)
	# in the foreground, not in $( ): a Ctrl-C that kills it then stops this script too
	[ -n "$LAT_PID" ] && kill -USR1 "$LAT_PID" 2>/dev/null	# latency: under load from now
	"gen_$GEN" "$2" "$3" >"$T/gen.out" 2>&1
	[ -n "$LAT_PID" ] && kill -USR2 "$LAT_PID" 2>/dev/null
	k1=$(cpu_ticks)
	out=$(<"$T/gen.out")
	sleep 0.3	# let the relay drain its queues (socket buffers: milliseconds)
	c1=$(counted "$2")
	case $1 in turnd-userspace | coturn) quiesce "$2" ;; esac
	[ -n "${TURNBENCH_KEEP:-}" ] && debug_dump "$1 $2 $3" "$out" >>"$T/debug" 2>&1
	sent=$(grep -Eo 'sent=[0-9]+' <<<"$out" | cut -d= -f2)
	ns=$(grep -Eo 'ns=[0-9]+' <<<"$out" | cut -d= -f2)
	if [ -z "$sent" ] || [ "${ns:-0}" -le 0 ]; then
		echo "generator failed: $out" >&2
		return 1
	fi
	awk -v s="$sent" -v ns="$ns" -v d=$((c1 - c0)) -v k=$((k1 - k0)) -v hz="$hz" 'BEGIN {
		t = ns / 1e9; cpu = k / hz / t
		printf "%.0f %.0f %.2f %.1f %.0f\n", s / t, d / t, s ? (s - d) * 100 / s : 0,
			cpu * 100, (cpu > 0 ? d / t / cpu : 0) }'
}
