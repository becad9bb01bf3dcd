# topo.sh - turnbench: namespaces, the relays under test and their flows (sourced by turnbench.sh).
#
#   client ns                 relay ns                                  peer ns
#   c-relay 198.18.1.1 ====== r-cli 198.18.1.2   r-peer 198.18.2.2 ===== p-relay 198.18.2.1
#           198.18.1.3 (latency probe)                                  (echo on port 7)
#
# Counters: turnbench-count on c-relay (ChannelData from the listener: p2c load) and on
# p-relay (UDP to the peer ports: c2p load). Every background process is started so that
# $! is the process itself (ip netns exec / nsenter exec it) and recorded in PIDS.

CLI_IP=198.18.1.1 LAT_IP=198.18.1.3 LST_IP=198.18.1.2 RLY_IP=198.18.2.2 PEER_IP=198.18.2.1
PORT=3478 PEER_PORT=9000 PEER_PORT_MAX=9999 ECHO_PORT=7 FWD_SPORT=49152 FWD_CPORT=40000
RELAY_PORTS="16384 65535"	# relayed ports (both relays) and the client's ephemeral ports
START_WAIT=10		# seconds for a relay to answer STUN

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
	ip -n "$NS_C" addr add $CLI_IP/24 dev c-relay &&
	ip -n "$NS_C" addr add $LAT_IP/24 dev c-relay &&
	ip -n "$NS_R" addr add $LST_IP/24 dev r-cli &&
	ip -n "$NS_R" addr add $RLY_IP/24 dev r-peer &&
	ip -n "$NS_P" addr add $PEER_IP/24 dev p-relay &&
	ip -n "$NS_C" route add default via $LST_IP &&
	ip -n "$NS_P" route add default via $RLY_IP &&
	nsx "$NS_C" ethtool -K c-relay tx off >/dev/null &&
	nsx "$NS_P" ethtool -K p-relay tx off >/dev/null &&
	nsx "$NS_R" sysctl -qw net.ipv4.ip_forward=1 &&
	nsx "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="$RELAY_PORTS" &&
	nsx "$NS_C" "$BUILD/turnbench-count" attach c-relay client $PORT $LAT_IP &&
	nsx "$NS_P" "$BUILD/turnbench-count" attach p-relay peer $PEER_PORT $PEER_PORT_MAX ||
		return 1
	# static neighbours, so that no packet waits for (or is lost to) ARP
	neigh "$NS_C" $LST_IP "$NS_R" r-cli c-relay &&
	neigh "$NS_R" $CLI_IP "$NS_C" c-relay r-cli &&
	neigh "$NS_R" $LAT_IP "$NS_C" c-relay r-cli &&
	neigh "$NS_R" $PEER_IP "$NS_P" p-relay r-peer &&
	neigh "$NS_P" $RLY_IP "$NS_R" r-peer p-relay || return 1
	MACS[c-relay]=$(mac "$NS_C" c-relay) MACS[r-cli]=$(mac "$NS_R" r-cli)
	MACS[r-peer]=$(mac "$NS_R" r-peer) MACS[p-relay]=$(mac "$NS_P" p-relay)
}

# neigh NS IP OWNER_NS OWNER_DEV DEV: a permanent neighbour IP in NS, OWNER_DEV's MAC, on DEV.
neigh()
{
	ip -n "$1" neigh replace "$2" lladdr "$(mac "$3" "$4")" dev "$5" nud permanent
}

# bpffs for turnd's pins, private to a holder process in the relay namespace (bounded sleep),
# and the latency probe's echo in the peer namespace (bounded by the whole run's budget).
helpers()
{
	local i

	ip netns exec "$NS_R" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec sleep 3600' &
	HOLDER=$!
	PIDS+=("$HOLDER")
	# the probe's ends at real-time priority: their own scheduling is not what is measured
	ip netns exec "$NS_P" chrt -f 10 taskset -c 0 "$BUILD/turnbench-lat" echo \
		-l $PEER_IP:$ECHO_PORT -t 3600 >"$T/echo.log" 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 30; i++)); do
		[ "$(nsenter -t "$HOLDER" -m -n stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] \
			&& return 0
		sleep 0.1
	done
	return 1
}

turnd_conf()
{
	cat <<EOF
realm = "example.org";
listen = [ "$LST_IP:$PORT" ];
relay = { address = "$RLY_IP"; ports = "${RELAY_PORTS/ /-}"; };
allocation = { max_per_user = 0; max_total = 0; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); unauth_rate = 0; };
peers = { allow = [ "198.18.0.0/15" ]; };
xdp = { mode = "$1"; interfaces = [ "r-cli", "r-peer" ]; pin_path = "/sys/fs/bpf/turnbench";
	detach_on_exit = true; };
control = { socket = "$T/turnd.sock"; };
state_file = "$T/turnd.state";
log = { level = "warn"; };
EOF
}

# start_relay KIND: the relay, pinned to RELAY_CPU; RELAY_PID (empty for xdp-fwd, which is
# attached per direction by fwd_attach).
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
		command -v turnserver >/dev/null ||
			{ echo "turnserver is not installed"; return 1; }
		ip netns exec "$NS_R" taskset -c $RELAY_CPU turnserver -n --listening-ip $LST_IP \
			--listening-port $PORT --relay-ip $RLY_IP --min-port ${RELAY_PORTS% *} \
			--max-port ${RELAY_PORTS#* } --lt-cred-mech --user alice:s3cret \
			--realm example.org --no-tcp --no-tls --no-dtls --no-tcp-relay --no-cli \
			--log-file stdout --simple-log --pidfile "$T/turnserver.pid" \
			>"$T/$1.log" 2>&1 </dev/null &
		;;
	xdp-fwd)
		return 0 ;;
	esac
	RELAY_PID=$!
	PIDS+=("$RELAY_PID")
	# without XDP on the relay's veths, frames sent into them with XDP are dropped
	case $1 in
	turnd-userspace | coturn)
		ip -n "$NS_R" link set dev r-cli xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp &&
		ip -n "$NS_R" link set dev r-peer xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
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
	RELAY_PID=
	ip -n "$NS_R" link set dev r-cli xdp off 2>/dev/null
	ip -n "$NS_R" link set dev r-peer xdp off 2>/dev/null
	nsenter -t "$HOLDER" -m -n -- rm -rf /sys/fs/bpf/turnbench 2>/dev/null
}

# fwd_attach DIR: the trivial forwarder for one direction (xdp-fwd only).
fwd_attach()
{
	ip -n "$NS_R" link set dev r-cli xdp off 2>/dev/null
	ip -n "$NS_R" link set dev r-peer xdp off 2>/dev/null
	if [ "$1" = c2p ]; then
		nsx "$NS_R" "$BUILD/turnbench-count" fwd r-cli r-peer "${MACS[r-peer]}" \
			"${MACS[p-relay]}" $RLY_IP $PEER_IP $FWD_SPORT $PEER_PORT c2p
	else
		nsx "$NS_R" "$BUILD/turnbench-count" fwd r-peer r-cli "${MACS[r-cli]}" \
			"${MACS[c-relay]}" $LST_IP $CLI_IP $PORT $FWD_CPORT p2c
	fi
}

# channels_for N: channels per allocation so that the allocations fit the open-file limit
# (one socket each, in the flows process and in the relay) and the relayed ports.
channels_for()
{
	local room ports=$((${RELAY_PORTS#* } - ${RELAY_PORTS% *} + 1))

	room=$(ulimit -Hn)
	[ "$room" = unlimited ] && room=1048576
	room=$((room - 512))
	((room > ports)) && room=$ports
	if [ -n "$CHANNELS" ]; then
		echo "$CHANNELS"
	else
		echo $(((($1) + room - 1) / room))
	fi
}

# order_flows: with ORDER=scatter, the flow file in a fixed pseudo-random order. Traffic of
# many calls does not come in the order the calls were set up; sent in that order, the
# relay's per-flow state would be walked through memory in sequence, which the CPU's
# prefetchers hide.
order_flows()
{
	[ "$ORDER" = scatter ] || return 0
	shuf --random-source=<(yes) -o "$T/flows" "$T/flows"
}

# make_flows KIND N HOLD_S: the flow file $T/flows (FLOWS_PID keeps the flows alive), in the
# order ORDER says; SETUP_S: how long the setup took. Progress from turnbench-flows goes to
# the progress bar.
make_flows()
{
	local i n=$2 k t0 line

	FLOWS_PID= SETUP_S=0
	K=$(channels_for "$n")
	rm -f "$T/flows" "$T/flows.tmp"
	if [ "$1" = xdp-fwd ]; then	# no control plane: any ports and channels do
		awk -v n="$n" -v k="$K" -v p=$PEER_PORT 'BEGIN { for (i = 0; i < n; i++)
			printf "%d %d %d %d\n", 16384 + int(i / k) % 49152, 16384 + i % 4096,
				16384 + int(i / k) % 49152, p + i % k }' >"$T/flows"
		order_flows
		return
	fi
	t0=$(date +%s.%N)
	# on the generator's CPU, like everything that sends into the relay: a veth's receive work
	# runs where the first sender woke it, and stays there while busy
	ip netns exec "$NS_C" taskset -c 0 "$BUILD/turnbench-flows" -s $LST_IP:$PORT \
		-p $PEER_IP:$PEER_PORT -l $CLI_IP -n "$n" -k "$K" -o "$T/flows.tmp" -t "$3" \
		>"$T/flows.out" 2>"$T/flows.log" &
	FLOWS_PID=$!
	PIDS+=("$FLOWS_PID")
	for ((i = 0; i < FLOWS_WAIT * 10; i++)); do
		if [ -s "$T/flows.tmp" ] && grep -q 'flows ready' "$T/flows.log"; then
			mv "$T/flows.tmp" "$T/flows"
			order_flows || return 1
			SETUP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" \
				'BEGIN { printf "%.1f", b - a }')
			return 0
		fi
		kill -0 "$FLOWS_PID" 2>/dev/null || break
		line=$(tail -n 1 "$T/flows.out" 2>/dev/null)
		[ -n "$line" ] && progress_note "$1: $line flows"
		sleep 0.1
	done
	if kill -0 "$FLOWS_PID" 2>/dev/null; then
		echo "setup of $n flows did not finish in ${FLOWS_WAIT}s" \
			"($(tail -n 1 "$T/flows.out"))"
	else
		echo "flows were not set up: $(tail -n 3 "$T/flows.log" | tr '\n' ' ')"
	fi
	stop_pid "$FLOWS_PID"
	FLOWS_PID=
	return 1
}
