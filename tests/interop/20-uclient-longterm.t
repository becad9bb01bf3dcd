#!/bin/bash
# 20-uclient-longterm.t - turnutils_uclient relays through turnd with long-term credentials.
. "$(dirname "$0")/lib.sh"

PORT=34720
PEER=34725

plan 16

conf=$(cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "52000-52999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "127.0.0.0/8", "::1/128" ]; };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF
)

start_turnd "$conf"
ok $? "turnd starts on 127.0.0.1:$PORT" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER and $((PEER + 1))" || abandon "no peer"

uc=(-p "$PORT" -u alice -w s3cret -e 127.0.0.1 -r "$PEER" -n 50 -l 200)

# Default mode: channels, an RTP and an RTCP session per client. Each client allocates three
# times in a row: a probe, the RTP session and the RTCP session; uclient asks for EVEN-PORT
# (R bit set) on one allocation and spends the RESERVATION-TOKEN it got on the next.
run_uclient "$T/default.out" "${uc[@]}" -v -m 4 127.0.0.1
uc_check "default mode (channels, RTCP), -m 4 -n 50 -l 200" "$T/default.out" $? \
	"$(($(uc_sessions 4) * 50))"

# The allocations in order, "PORT TOKEN" (the verbose log repeats some lines: drop repeats).
awk '$0 == prev { next } { prev = $0 }
     /Received relay addr:/ { n = split($NF, a, ":"); port = a[n] }
     /clnet_allocate: rtv=/ { sub(/.*rtv=/, ""); print port, $0 }' "$T/default.out" \
	>"$T/allocs"
even_port_ok()
{
	local i=0 port tok prev=

	while read -r port tok; do
		if [ $((i % 2)) -eq 0 ]; then
			[ "$tok" != 0 ] || { diag "allocation $i: no RESERVATION-TOKEN"; return 1; }
			[ $((port % 2)) -eq 0 ] || { diag "allocation $i: odd port $port"; return 1; }
		else
			[ "$tok" = 0 ] || { diag "allocation $i: token $tok, want none"; return 1; }
			[ "$port" = $((prev + 1)) ] ||
				{ diag "allocation $i: port $port, reserved $((prev + 1))"; return 1; }
		fi
		prev=$port
		i=$((i + 1))
	done <"$T/allocs"
	[ "$i" -eq 6 ] || { diag "$i allocations, want 6 (3 per client)"; return 1; }
}
even_port_ok
ok $? "EVEN-PORT (R) allocations get an even port and a token; the token gets the next port" ||
	diag "$(cat "$T/allocs")"

todo_coturn "turnd's log format"
is "$(log_count 'allocation created.*user="?alice"?')" 6 \
	"turnd logs 'allocation created ... user=alice' 6 times"
todo_coturn "turnd's log format"
is "$(wait_log 'allocation released.*c2p_pkts=50 p2c_pkts=50' 4)" 4 \
	"turnd logs the 4 data sessions released with 50 packets each way"

run_uclient "$T/nortcp.out" "${uc[@]}" -c -m 4 127.0.0.1
uc_check "-c (no RTCP, no EVEN-PORT), -m 4 -n 50" "$T/nortcp.out" $? \
	"$(($(uc_sessions 4 nortcp) * 50))"

run_uclient "$T/send.out" "${uc[@]}" -s -m 4 127.0.0.1
uc_check "-s (CreatePermission, Send and Data indications), -m 4 -n 50" "$T/send.out" $? \
	"$(($(uc_sessions 4) * 50))"

run_uclient "$T/df.out" "${uc[@]}" -g -m 4 127.0.0.1
uc_check "-g (DONT-FRAGMENT in Allocate), -m 4 -n 50" "$T/df.out" $? \
	"$(($(uc_sessions 4) * 50))"

# A wrong password: uclient retries the Allocate (401 each time), prints
# "ERROR: Cannot complete Allocation" and exits with status 255 (exit(-1)), relaying nothing.
run_uclient "$T/badpw.out" -p "$PORT" -u alice -w wrong -e 127.0.0.1 -r "$PEER" -n 5 -m 2 \
	127.0.0.1
is "$?" 255 "wrong password: uclient gives up with status 255"
out=$(cat "$T/badpw.out")
like "$out" 'Cannot complete Allocation' "wrong password: uclient says 'Cannot complete Allocation'"
uc_parse "$T/badpw.out"
is "${UC_SENT:-none}" none "wrong password: no data was relayed"
run_uclient "$T/nouser.out" -p "$PORT" -u mallory -w s3cret -e 127.0.0.1 -r "$PEER" -n 5 -m 2 \
	127.0.0.1
is "$?" 255 "unknown user: uclient gives up with status 255"
todo_coturn "turnd's log format"
log_has 'mallory.*401|401.*mallory' "turnd logs the unknown user's 401"

stun_probe 127.0.0.1 "$PORT" >/dev/null
ok $? "turnd still answers STUN after the runs"

stop_turnd
st=$?
todo_coturn "turnserver dies by SIGTERM (status 143)"
is "$st" 0 "turnd exits 0 on SIGTERM"
