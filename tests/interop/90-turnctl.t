#!/bin/bash
# 90-turnctl.t - turnctl against a live turnd: list, inspect, kill, reload; errors and refusals.
. "$(dirname "$0")/lib.sh"

PORT=34790
PEER=34795

[ "$TURND_IMPL" = coturn ] && skip_all "turnctl talks to turnd's control socket only"
[ -x "$TURNCTL" ] || skip_all "$TURNCTL is missing (run make)"

plan 41

SOCK=$T/turnd.sock
ctl() { "$TURNCTL" -s "$SOCK" "$@"; }

conf=$(cat <<EOF2
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "59000-59999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "127.0.0.0/8" ]; };
control = { socket = "$SOCK"; };
log = { level = "info"; };
EOF2
)

# raw: stdin sent as is to the control socket; prints the answer.
raw()
{
	timeout 5 perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0], Type => SOCK_STREAM)
			or die "connect $ARGV[0]: $!\n";
		binmode STDIN; local $/; my $req = <STDIN>;
		print $s $req; shutdown($s, 1); print <$s>;' "$SOCK"
}

# json_check PERL_EXPR: stdin parsed by JSON::PP as $j; true when the expression is.
json_check()
{
	perl -MJSON::PP -e 'local $/; my $j = JSON::PP->new->decode(<STDIN>);
		exit(eval($ARGV[0]) ? 0 : 1);' "$1"
}

# table_rows: the "ID CLIENT RELAYED" of each row of `turnctl allocations`, sorted.
table_rows()
{
	awk 'NR > 1 && NF == 12 { print $1, $3, $4 }' <<<"$1" | sort
}

# c2p_total: the C2P_PKTS column summed.
c2p_total()
{
	awk 'NR > 1 && NF == 12 { s += $9 } END { print s + 0 }' <<<"$1"
}

start_turnd "$conf"
ok $? "turnd starts on 127.0.0.1:$PORT" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER" || abandon "no peer"

# Two sessions sending for 30 s, then hanging on (-h) so that the allocations stay up.
spawn "$T/uclient.out" timeout -k 2 45 turnutils_uclient -p "$PORT" -u alice -w s3cret \
	-e 127.0.0.1 -r "$PEER" -c -m 2 -n 1500 -z 20 -l 100 -h 127.0.0.1
UC_PID=$SPAWN_PID
n=$(wait_log 'allocation created' 4 5)
[ "$n" -ge 2 ]
ok $? "uclient holds allocations ($n created)" || { diag_file "$T/uclient.out"; abandon "no allocation"; }
# wait (bounded) until data flows
for ((i = 0; i < 50; i++)); do
	[ "$(c2p_total "$(ctl allocations)")" -gt 0 ] && break
	sleep 0.1
done

list1=$(ctl allocations)
is "$?" 0 "turnctl allocations: exit 0"
want=$(sed -En 's/.*allocation created id=([0-9]+) user="alice" client=([^ ]+) relayed=([^ ]+) .*/\1 \2 \3/p' \
	"$TURND_LOG" | sort)
is "$(table_rows "$list1")" "$want" "the table has each allocation's id, client and relayed address as logged"
like "$list1" "^ID +USER +CLIENT +RELAYED" "the table has a header"
like "$(tail -n1 <<<"$list1")" "^$n allocations$" "and a count line"
sleep 1
list2=$(ctl allocations)
a=$(c2p_total "$list1") b=$(c2p_total "$list2")
[ "$a" -gt 0 ] && [ "$b" -gt "$a" ]
ok $? "client->peer packets grow between two calls ($a, then $b)"

ctl --json allocations | json_check \
	'$j->{ok} && $j->{count} == '"$n"' && @{$j->{allocations}} == '"$n"' &&
	 !grep { $_->{user} ne "alice" || $_->{path} !~ /^(xdp|userspace)$/ ||
		 $_->{relayed}[0] !~ /^127\.0\.0\.1:59\d{3}$/ } @{$j->{allocations}}'
ok $? "turnctl --json allocations: JSON::PP parses it, $n allocations of alice"
ctl allocations --json | json_check '$j->{ok}'
ok $? "--json after the command works too"

# One with a channel and traffic (uclient binds channels on its sending sessions).
id=$(awk 'NR > 1 && NF == 12 && $6 > 0 && $9 > 0 { print $1; exit }' <<<"$list2")
[ -n "$id" ]
ok $? "an allocation with a channel is listed (id ${id:-none})" || abandon "no channel"
one=$(ctl allocation "$id")
is "$?" 0 "turnctl allocation $id: exit 0"
like "$one" "permissions: 1" "it shows one permission"
like "$one" "^ +0x[4-7][0-9a-f]{3} 127\.0\.0\.1:($PEER|$((PEER + 1))) +expires in [0-9]+ s" \
	"and a channel to the peer"
ctl --json allocation "$id" | json_check \
	'$j->{allocation}{id} == '"$id"' && $j->{allocation}{permissions}[0]{peer} eq "127.0.0.1" &&
	 $j->{allocation}{channels}[0]{number} >= 0x4000 && $j->{allocation}{pkts_c2p} > 0'
ok $? "turnctl --json allocation $id: permission, channel and counters in JSON"

rport=$(ctl --json allocation "$id" | grep -Eo '"relayed":\["127\.0\.0\.1:[0-9]+' | grep -Eo '[0-9]+$')
[ -n "$rport" ] && [ "$(ss -Hlun "sport = :$rport" | wc -l)" -ge 1 ]
ok $? "allocation $id's relayed port $rport is open before the kill"
out=$(ctl kill "$id")
is "$?" 0 "turnctl kill $id: exit 0"
is "$out" "killed 1 allocation" "it says so"
is "$(wait_log "allocation released id=$id reason=killed" 1)" 1 "turnd logs 'released id=$id reason=killed'"
[ -n "$rport" ] && [ "$(ss -Hlun "sport = :$rport" | wc -l)" -eq 0 ]
ok $? "the client's relayed address 127.0.0.1:$rport is gone (its peer's datagrams now bounce)"
list3=$(ctl allocations)
! grep -q "^$id " <<<"$list3" && like "$(tail -n1 <<<"$list3")" "^$((n - 1)) allocations$" \
	"the list no longer has $id"

out=$(ctl kill --user alice)
is "$?" 0 "turnctl kill --user alice: exit 0"
is "$out" "killed $((n - 1)) allocations" "it ended the other $((n - 1))"
is "$(tail -n1 <<<"$(ctl allocations)")" "0 allocations" "no allocation is left"

ctl kill 999 2>"$T/err"
is "$?" 1 "turnctl kill 999: exit 1 (not found)"
like "$(cat "$T/err")" "no allocation with id 999" "with a message"
ctl kill --user alice 2>/dev/null
is "$?" 1 "turnctl kill --user alice again: exit 1"

"$TURNCTL" -s /nonexistent/turnd.sock status >/dev/null 2>"$T/err"
is "$?" 2 "turnctl -s /nonexistent/... status: exit 2"
like "$(cat "$T/err")" "/nonexistent/turnd.sock: No such file or directory" \
	"the message names the socket and the reason"

ans=$(printf '{"cmd":"status"\n' | raw)
like "$ans" '^\{"ok":false,"error":"malformed request: [^"]+","code":"bad_request"\}$' \
	"a malformed request gets {\"ok\":false,...,\"code\":\"bad_request\"}"
ans=$(perl -e 'print "{\"cmd\":\"", "a" x 102400, "\"}\n"' | raw)
like "$ans" '^\{"ok":false,.*"code":"bad_request"' "a 100 KB line is refused"
ans=$(printf '{"cmd":"sta\0tus"}\n' | raw)
like "$ans" '^\{"ok":false,.*NUL' "a NUL byte is refused"

st=$(ctl status)
like "$st" "^turnd [^ ]+, up " "turnd still serves: turnctl status prints a summary"
ctl --json status | json_check '$j->{ok} && $j->{allocations_created} == '"$n"' &&
	$j->{allocations} == 0 && exists $j->{drops}{malformed}'
ok $? "turnctl --json status parses, with the counts"

if [ "$(id -u)" = 0 ]; then
	chmod 0711 "$T"		# let nobody reach the socket itself (mode 0600)
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$TURNCTL" -s "$SOCK" status \
		>/dev/null 2>"$T/err"
	is "$?" 2 "as nobody: exit 2"
	like "$(cat "$T/err")" "$SOCK: Permission denied" "with 'Permission denied' and the socket"
	chmod 0700 "$T"
else
	skip "not root: cannot run turnctl as nobody"
	skip "not root"
fi

out=$(ctl reload)
is "$?" 0 "turnctl reload: exit 0"
is "$(wait_log 'reloaded config=' 1)" 1 "turnd reloads (logs 'reloaded config=')"

ctl help kill >"$T/help"
[ $? = 0 ] && grep -q "usage: turnctl .*kill ID | --user NAME" "$T/help"
ok $? "turnctl help kill prints its usage"
ctl kill 2>/dev/null
is "$?" 2 "turnctl kill without an argument: exit 2"

kill -TERM "$UC_PID" 2>/dev/null
stop_turnd
is "$?" 0 "turnd exits 0 on SIGTERM"
