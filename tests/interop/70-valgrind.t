#!/bin/bash
# 70-valgrind.t - turnd under valgrind: relays for uclient, refuses a bad password, no errors.
. "$(dirname "$0")/lib.sh"

PORT=34770
PEER=34775

command -v valgrind >/dev/null || { plan 1; ok 1 "valgrind is installed (make deps)"; exit 1; }

plan 8

conf=$(cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "57000-57999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "127.0.0.0/8" ]; };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF
)

# An ASan/UBSan build (make check SAN=1) checks itself: valgrind cannot run it, and its exit
# status is non-zero on any error or leak just the same.
if [ "${TURND_SAN:-0}" = 1 ]; then
	TURND_PREFIX=()
else
	TURND_PREFIX=(valgrind --leak-check=full '--errors-for-leak-kinds=definite,indirect'
		      --error-exitcode=99 --track-fds=no --log-file="$T/valgrind.log")
fi
TURND_START_WAIT=30
TURND_STOP_WAIT=30

start_turnd "$conf"
ok $? "turnd starts under valgrind on 127.0.0.1:$PORT" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER and $((PEER + 1))" || abandon "no peer"

uc=(-p "$PORT" -u alice -w s3cret -e 127.0.0.1 -r "$PEER" -l 200)

run_uclient "$T/default.out" "${uc[@]}" -m 2 -n 20 127.0.0.1
uc_check "under valgrind: default mode (channels, RTCP), -m 2 -n 20" "$T/default.out" $? \
	"$(($(uc_sessions 2) * 20))"

run_uclient "$T/send.out" "${uc[@]}" -s -c -m 2 -n 20 127.0.0.1
uc_check "under valgrind: -s -c (Send/Data indications), -m 2 -n 20" "$T/send.out" $? \
	"$(($(uc_sessions 2 nortcp) * 20))"

# Error paths too: a refused Allocate (401 after 401).
run_uclient "$T/badpw.out" -p "$PORT" -u alice -w wrong -e 127.0.0.1 -r "$PEER" -n 5 -m 2 \
	127.0.0.1
is "$?" 255 "under valgrind: a wrong password is refused"

stop_turnd
st=$?
todo_coturn "turnserver dies by SIGTERM and is not leak-clean"
is "$st" 0 "turnd under valgrind exits 0 on SIGTERM (99 = valgrind found errors)" ||
	diag_file "$T/valgrind.log" 40
if [ "${TURND_SAN:-0}" = 1 ]; then	# the sanitizers report on stderr, into the log
	! grep -q 'ERROR: AddressSanitizer\|runtime error:' "$TURND_LOG"
	ok $? "ASan/UBSan: no error reported" || diag_file "$TURND_LOG" 40
	! grep -q 'ERROR: LeakSanitizer' "$TURND_LOG"
	ok $? "LeakSanitizer: nothing leaked at exit" || diag_file "$TURND_LOG" 40
else
	todo_coturn "turnserver is not leak-clean"
	grep -q 'ERROR SUMMARY: 0 errors' "$T/valgrind.log"
	ok $? "valgrind: ERROR SUMMARY: 0 errors"
	todo_coturn "turnserver is not leak-clean"
	[ -s "$T/valgrind.log" ] && ! grep -Eq '(definitely|indirectly) lost: [1-9]' "$T/valgrind.log"
	ok $? "valgrind: nothing definitely or indirectly lost"
fi
