#!/bin/bash
# 66-hostile.t - floods, forged ChannelData, bad WebSocket frames mid-call: no loss, drops counted.
. "$(dirname "$0")/lib.sh"

# While coturn's uclient holds a call through turnd, build/tests/hostile fires each hostile
# class at it; after each class the change in turnd's counters (turnctl --json status) must
# account for every datagram sent, exactly. A datagram at the listener or at a relayed port
# moves exactly one of: a drop reason, `requests` (answered), or the unauth_rate limit hits
# (unanswered); their sum is "datagrams" below. The random and half-valid floods come from
# the caller's own address, so the per-source limit (left at its default) is shared with it.
#
# Ports 35000-35099 and relay ports 58000-58999 belong to this test alone.
PORT=35010
PEER=35020
SIG=35080
MPORT=35081
HOSTILE=${HOSTILE:-$BUILD_DIR/tests/hostile}
SEED=${HOSTILE_SEED:-66}
UC_N=500		# packets per session: about 12 s of call at uclient's 20 ms
UNAUTH_RATE=50		# auth.unauth_rate's default (left unset below), and its burst
UNAUTH_BURST=100
WS_BAD=24		# the hostile tool's bad frame cases, one connection each
HTTP_BAD=9		# its bad upgrade requests

command -v turnutils_uclient >/dev/null || skip_all "coturn's turnutils_uclient is not installed"
plan $((20 + WS_BAD + 1 + HTTP_BAD + 9))

conf=$(cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "58000-58999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "127.0.0.0/8" ]; };
control = { socket = "$T/turnd.sock"; };
metrics = { listen = "127.0.0.1:$MPORT"; };
signaling = { listen = [ "127.0.0.1:$SIG" ]; };
log = { level = "info"; };
EOF
)

ctl()
{
	timeout 5 "$TURNCTL" -s "$T/turnd.sock" --json "$@"
}

# snap ARRAY: turnd's counters, flattened (drops.malformed, limits.unauth_rate,
# signaling.protocol_errors, ...), into the associative array ARRAY, plus "datagrams".
snap()
{
	local -n _s=$1
	local k v

	_s=()
	while read -r k v; do
		_s["$k"]=$v
	done < <(ctl status | perl -MJSON::PP -e '
		my $j = decode_json(join "", <STDIN>);
		sub walk {
			my ($p, $v) = @_;
			if (ref $v eq "HASH") {
				walk($p eq "" ? $_ : "$p.$_", $v->{$_}) for keys %$v;
			} elsif (!ref $v && defined $v && $v =~ /^\d+$/) {
				print "$p $v\n";
			}
		}
		walk("", $j);
		my $n = $j->{requests} + $j->{limits}{unauth_rate};
		$n += $_ for values %{$j->{drops}};
		print "datagrams $n\n";')
}

declare -A B A
COUNTERS=(drops.malformed drops.no_allocation drops.no_channel drops.no_permission drops.policy
	  drops.unexpected requests limits.unauth_rate auth_failures)

# delta KEY: A[KEY] - B[KEY]
delta()
{
	echo $((${A[$1]:-0} - ${B[$1]:-0}))
}

# deltas: each of COUNTERS with its change, "key=N ..."
deltas()
{
	local k out=

	for k in "${COUNTERS[@]}"; do
		out+="$k=$(delta "$k") "
	done
	echo "${out% }"
}

# want K=N...: what deltas prints when exactly these counters moved, by these amounts.
want()
{
	local k kv v out=

	for k in "${COUNTERS[@]}"; do
		v=0
		for kv in "$@"; do
			[ "${kv%%=*}" = "$k" ] && v=${kv#*=}
		done
		out+="$k=$v "
	done
	echo "${out% }"
}

# kv FILE PREFIX KEY: the value of KEY= on the first line of FILE that starts with PREFIX.
kv()
{
	grep -m1 -- "^$2" "$1" | grep -o " $3=[^ ]*" | cut -d= -f2
}

# settle KEY N: snapshot into A until KEY has moved by N since B (bounded, 5 s).
settle()
{
	local i

	for ((i = 0; i < 50; i++)); do
		snap A
		[ "$(delta "$1")" -ge "${2:-0}" ] && break
		sleep 0.1
	done
	sleep 0.1	# anything beyond N would show now
	snap A
}

# hostile CLASS ARGS...: run the tool (bounded) with its output in $T/CLASS.out; snapshots
# before (B) and after (A) it, once the datagrams it reports sent have all been counted.
hostile()
{
	local cls=$1 st

	shift
	snap B
	timeout -k 2 30 "$HOSTILE" "$@" -s "$SEED" >"$T/$cls.out" 2>"$T/$cls.err"
	st=$?
	settle datagrams "$(kv "$T/$cls.out" "sent class=" n)"
	[ "$st" -eq 0 ] || diag "hostile $cls: exit status $st" "$(cat "$T/$cls.err")"
	return "$st"
}

# sent_is CLASS N DESC: the tool sent N datagrams of the class.
sent_is()
{
	is "$(kv "$T/$1.out" "sent class=" n)" "$2" "$3" || diag_file "$T/$1.out"
}

# call_info: the live allocations, "ID CLIENT RELAYED CHANNELS C2P_PKTS" per line (channels
# comma-separated, "-" for none).
call_info()
{
	local id

	for id in $(ctl allocations | perl -MJSON::PP -e '
			print "$_->{id}\n" for @{decode_json(join "", <STDIN>)->{allocations}}'); do
		ctl allocation "$id" | perl -MJSON::PP -e '
			my $a = decode_json(join "", <STDIN>)->{allocation};
			my @c = map { $_->{number} } @{$a->{channels}};
			printf "%s %s %s %s %d\n", $a->{id}, $a->{client},
				join(",", @{$a->{relayed}}), @c ? join(",", @c) : "-",
				$a->{pkts_c2p};'
	done
}

# wait_call: until uclient's two sessions have their channels and relay (bounded, 15 s).
wait_call()
{
	local i

	for ((i = 0; i < 150; i++)); do
		call_info >"$T/call"
		awk '$4 != "-" && $5 > 0 { up++ } END { exit !(up >= 2) }' "$T/call" && return 0
		proc_alive "$uc_pid" || return 1
		sleep 0.1
	done
	return 1
}

# metrics_agree: the Prometheus text says what turnctl status says (drops, requests, the
# unauth_rate limit, signaling errors); prints the differences.
metrics_agree()
{
	curl -fsS -m 5 "http://127.0.0.1:$MPORT/metrics" >"$T/metrics" || return 1
	ctl status | perl -MJSON::PP -e '
		my $j = decode_json(join "", <STDIN>);
		my (%m, %want, @bad);
		open my $f, "<", $ARGV[0] or die "$ARGV[0]: $!";
		while (<$f>) { $m{$1} = $2 if /^(\S+) (\d+)$/ }
		$want{"turnd_drops_total{path=\"userspace\",reason=\"$_\"}"} = $j->{drops}{$_}
			for keys %{$j->{drops}};
		$want{"turnd_requests_total"} = $j->{requests};
		$want{"turnd_limit_hits_total{limit=\"unauth_rate\"}"} = $j->{limits}{unauth_rate};
		$want{"turnd_signaling_protocol_errors_total"} = $j->{signaling}{protocol_errors};
		$want{"turnd_signaling_http_errors_total"} = $j->{signaling}{http_errors};
		for (sort keys %want) {
			push @bad, "$_ " . ($m{$_} // "missing") . ", status $want{$_}"
				if ($m{$_} // -1) != $want{$_};
		}
		print "$_\n" for @bad;
		exit !!@bad;' "$T/metrics"
}

# The kernel's count of UDP datagrams dropped for a full receive buffer (this namespace).
udp_rcvbuf_errors()
{
	awk '/^Udp:/ && !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
	     /^Udp:/ { print $c["RcvbufErrors"] }' /proc/net/snmp
}

start_turnd "$conf"
ok $? "turnd starts on 127.0.0.1:$PORT, signaling on $SIG" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER and $((PEER + 1))" || abandon "no peer"
[ -x "$HOSTILE" ]
ok $? "the hostile tool is built ($HOSTILE)" || abandon "no $HOSTILE: run make tests"
rcvbuf0=$(udp_rcvbuf_errors)

# The legitimate call: 2 sessions (RTP and RTCP) of UC_N packets, on channels.
run_uclient "$T/uc.out" -p "$PORT" -u alice -w s3cret -e 127.0.0.1 -r "$PEER" -m 2 -n "$UC_N" \
	-l 120 127.0.0.1 &
uc_pid=$!
SPAWNED+=("$uc_pid")	# killed on exit if the script ends early
wait_call
ok $? "the call is up: $(awk '$4 != "-"' "$T/call" | wc -l) allocations with channels, relaying" ||
	{ diag "$(cat "$T/call")"; abandon "uclient's call never came up"; }
t_up=$(now_ms)
# Its 5-tuples, channels and relayed addresses: what the hostile classes aim at.
clients=$(awk '$4 != "-" { printf "%s%s", s, $2; s = "," }' "$T/call")
chans=$(awk '$4 != "-" { printf "%s%s", s, $4; s = "," }' "$T/call")
relays=$(awk '{ printf "%s%s", s, $3; s = "," }' "$T/call")
client1=${clients%%,*}
diag "the call: clients $clients, channels $chans, relayed $relays"

# 1. Random datagrams at the listener from 127.0.0.1 (the caller's address) and 127.0.0.2:
# all dropped, as malformed or, ChannelData from a stranger, no_allocation.
hostile random random -d "127.0.0.1:$PORT" -f 127.0.0.1 -f 127.0.0.2 -n 2000
sent_is random 2000 "random: 2000 datagrams, every RFC 7983 first-byte class"
is "$(deltas)" "$(want drops.malformed="$(kv "$T/random.out" expect malformed)" \
	drops.no_allocation="$(kv "$T/random.out" expect no_allocation)")" \
	"random: malformed and no_allocation account for each, nothing else moved"

# 2. Half-valid STUN from 127.0.0.1: malformed ones dropped as such, responses and stray
# indications unexpected, Send indications no_allocation; requests answered (an error, or
# a Binding's success) within the per-source unauth_rate limit, dropped unanswered over it.
hostile stun stun -d "127.0.0.1:$PORT" -f 127.0.0.1 -n 2000
sent_is stun 2000 "half-valid STUN: 2000 datagrams, 17 kinds of damage, 6 methods"
req=$(kv "$T/stun.out" expect requests)
answered=$(kv "$T/stun.out" recv n)
auth=$(kv "$T/stun.out" recv auth)
strip_req='s/ requests=[0-9]* limits.unauth_rate=[0-9]* auth_failures=[0-9]*$//'
is "$(deltas | sed "$strip_req")" \
	"$(want drops.malformed="$(kv "$T/stun.out" expect malformed)" \
		drops.no_allocation="$(kv "$T/stun.out" expect no_allocation)" \
		drops.unexpected="$(kv "$T/stun.out" expect unexpected)" | sed "$strip_req")" \
	"half-valid STUN: each non-request counted under the drop it belongs to"
is "$(($(delta requests) + $(delta limits.unauth_rate)))" "$req" \
	"half-valid STUN: $req requests = $(delta requests) answered + \
$(delta limits.unauth_rate) over unauth_rate"
is "$(delta requests)" "$answered" "half-valid STUN: each request counted was answered, once"
[ "$(kv "$T/stun.out" nonce real)" = 1 ] && [ "$auth" -gt 0 ] &&
	[ "$(delta auth_failures)" = "$auth" ]
ok $? "half-valid STUN: bogus integrity, real nonce: $auth answered, \
$(delta auth_failures) auth failures" ||
	diag "$(grep -E '^(nonce|recv)' "$T/stun.out")"
ms=$(kv "$T/stun.out" time ms)
limit=$((UNAUTH_BURST + UNAUTH_RATE * (ms / 1000 + 1) + 1))
[ "$(delta limits.unauth_rate)" -gt 0 ] && [ "$answered" -le "$limit" ]
ok $? "half-valid STUN: the unauth_rate limit held ($answered answered in $ms ms, at most $limit)"

# 3. Valid requests with random bytes changed: any counter, each datagram exactly once.
hostile mutated mutated -d "127.0.0.1:$PORT" -f 127.0.0.3 -n 1000
n=$(kv "$T/mutated.out" "sent class=" n)
[ "$n" = 1000 ] && [ "$(delta datagrams)" = "$n" ] && [ "$(delta drops.no_channel)" = 0 ] &&
	[ "$(delta drops.no_permission)" = 0 ] && [ "$(delta drops.policy)" = 0 ]
ok $? "mutated STUN: $n sent, each once in drops, requests or unauth_rate hits" || diag "$(deltas)"
is "$(delta requests)" "$(kv "$T/mutated.out" recv n)" \
	"mutated STUN: each request counted was answered"

# 4. ChannelData on the caller's channels from elsewhere: other ports of 127.0.0.1,
# 127.0.0.2, and (forged, root) 127.0.0.2 with the caller's own port.
forge=()
[ "$(id -u)" = 0 ] && forge=(-F "127.0.0.2:${client1##*:}")
hostile spoof spoof -d "127.0.0.1:$PORT" -C "$chans" -f 127.0.0.1 -f 127.0.0.2 "${forge[@]}" \
	-n 1000
sent_is spoof 1000 "spoofed ChannelData: 1000 on the caller's channels ($chans) from elsewhere"
is "$(deltas)" "$(want drops.no_allocation=1000)" "spoofed ChannelData: no_allocation += 1000"

# 5. ChannelData from the caller's exact address and port (forged through a raw socket) on
# channels it never bound.
if [ "$(id -u)" = 0 ]; then
	hostile stale stale -d "127.0.0.1:$PORT" -F "$clients" -C "$chans" -n 500
	sent_is stale 500 "stale channels: 500 ChannelData from the caller's 5-tuples ($clients)"
	is "$(deltas)" "$(want drops.no_channel=500)" "stale channels: no_channel += 500"
else
	skip "stale channels: forging the caller's address needs root"
	skip "stale channels: forging the caller's address needs root"
fi

# 6. Datagrams at the relayed addresses from addresses without a permission.
hostile relay relay -d "$relays" -f 127.0.0.2 -f 127.0.0.3 -n 1000
sent_is relay 1000 "relayed ports: 1000 datagrams from 127.0.0.2 and .3 at $relays"
is "$(deltas)" "$(want drops.no_permission=1000)" "relayed ports: no_permission += 1000"

# 7. Every bad WebSocket frame on its own connection, a good ping and close, bad upgrades.
snap B
timeout -k 2 60 "$HOSTILE" ws -d "127.0.0.1:$SIG" >"$T/ws.out" 2>"$T/ws.err" ||
	diag "hostile ws failed:" "$(cat "$T/ws.err")"
settle signaling.protocol_errors "$WS_BAD"
while read -r _ c code want eof pong; do
	is "${code#close=} ${eof#eof=}" "${want#want=} 1" \
		"websocket ${c#case=}: close ${want#want=}, then EOF${pong:+ (a pong first)}"
done < <(grep '^ws case=' "$T/ws.out")
while read -r _ c status want; do
	is "${status#status=}" "${want#want=}" "upgrade ${c#case=}: HTTP ${want#want=}"
done < <(grep '^http case=' "$T/ws.out")
got="$(delta signaling.protocol_errors) $(delta signaling.http_errors)"
got+=" $(delta signaling.upgrades) $(delta datagrams)"
is "$got" "$WS_BAD $HTTP_BAD $((WS_BAD + 1)) 0" \
	"signaling: protocol_errors += $WS_BAD, http_errors += $HTTP_BAD, upgrades += \
$((WS_BAD + 1)), no datagram counter moved"
t_done=$(now_ms)

# The call went on through all of it, and lost nothing.
proc_alive "$uc_pid"
ok $? "every hostile class ran while the call was on ($((t_done - t_up)) ms of them)"
wait "$uc_pid"
uc_check "the call across the floods" "$T/uc.out" $? "$(($(uc_sessions 2) * UC_N))"
diag "the call went on $(($(now_ms) - t_done)) ms after the last hostile class"
snap A
is "${A[userspace.pkts_c2p]} ${A[userspace.pkts_p2c]}" "$UC_SENT $UC_SENT" \
	"turnd relayed the call's packets and nothing else ($UC_SENT each way)"
rcvbuf1=$(udp_rcvbuf_errors)
[ "$rcvbuf1" = "$rcvbuf0" ] ||
	diag "the kernel dropped $((rcvbuf1 - rcvbuf0)) UDP datagrams (RcvbufErrors) meanwhile"

metrics_agree >"$T/metrics.diff"
ok $? "the metrics show the same drops, requests, limit hits and signaling errors" ||
	diag "$(cat "$T/metrics.diff")"

for ((i = 0; i < 30; i++)); do
	stun_probe 127.0.0.1 "$PORT" >/dev/null && break
	sleep 0.1
done
[ "$i" -lt 30 ]
ok $? "turnd still answers a STUN Binding"

stop_turnd
is "$?" 0 "turnd exits 0 on SIGTERM"
! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$TURND_LOG"
ok $? "no sanitizer report in turnd's log" || diag_file "$TURND_LOG" 40
is "$(log_count 'level=error')" 0 "turnd logged no error"
