#!/bin/bash
# 50-peer-policy.t - loopback peers are refused by default (403, logged) and relayed once allowed.
. "$(dirname "$0")/lib.sh"

PORT=34750
PEER=34755

plan 12

config()
{
	cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = [ "127.0.0.1", "::1" ]; ports = "55000-55999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
$1
EOF
}

# refused OUT STATUS WHAT DESC: uclient gave up (255) after a 403 on WHAT, as it prints it:
#   channel bind: error 403 (Forbidden IP)
#   create permission error 403 (Forbidden IP)
refused()
{
	if [ "$2" -eq 255 ] && grep -Eq "$3:? error 403" "$1"; then
		ok 0 "$4"
		return 0
	fi
	ok 1 "$4"
	diag "uclient status $2, want 255 after '$3 error 403'" "$(cat "$1.cmd")"
	diag_file "$1" 8
	return 1
}

start_turnd "$(config "")"
ok $? "turnd starts with the default peer policy (no peers section)" ||
	abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER and $((PEER + 1))" || abandon "no peer"

uc=(-p "$PORT" -u alice -w s3cret -r "$PEER" -n 5 -m 2)

run_uclient "$T/chan.out" "${uc[@]}" -e 127.0.0.1 127.0.0.1
refused "$T/chan.out" $? "channel bind" "default policy: ChannelBind to peer 127.0.0.1 gets 403"

run_uclient "$T/perm.out" "${uc[@]}" -s -e 127.0.0.1 127.0.0.1
refused "$T/perm.out" $? "create permission" \
	"default policy: CreatePermission for peer 127.0.0.1 gets 403"

run_uclient "$T/chan6.out" "${uc[@]}" -e ::1 127.0.0.1
refused "$T/chan6.out" $? "channel bind" "default policy: ChannelBind to peer ::1 gets 403"

todo_coturn "turnd's log format"
log_has 'peer=127\.0\.0\.1.*refused|refused.*peer=127\.0\.0\.1' \
	"turnd logs why: a line with 'peer=127.0.0.1' and 'refused'"
todo_coturn "turnd's log format"
log_has '403|forbidden' "turnd's log names the 403 / forbidden"

stop_turnd
st=$?
todo_coturn "turnserver dies by SIGTERM (status 143)"
is "$st" 0 "turnd exits 0 on SIGTERM"
mv "$TURND_LOG" "$T/turnd-default.log"

start_turnd "$(config 'peers = { allow = [ "127.0.0.0/8" ]; deny = [ ]; };')"
ok $? "turnd starts with peers.allow = [ \"127.0.0.0/8\" ]" || abandon "turnd did not start"

run_uclient "$T/allowed.out" "${uc[@]}" -n 20 -e 127.0.0.1 127.0.0.1
uc_check "allowed: peer 127.0.0.1 relayed, -m 2 -n 20" "$T/allowed.out" $? \
	"$(($(uc_sessions 2) * 20))"

run_uclient "$T/chan6b.out" "${uc[@]}" -e ::1 127.0.0.1
st=$?
todo_coturn "--allow-loopback-peers opens 127/8 and ::1 together"
refused "$T/chan6b.out" "$st" "channel bind" "allow 127.0.0.0/8 only: peer ::1 still gets 403"

stop_turnd
st=$?
todo_coturn "turnserver dies by SIGTERM (status 143)"
is "$st" 0 "turnd exits 0 on SIGTERM"
