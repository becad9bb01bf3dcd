#!/bin/bash
# 65-reload-hostile.t - SIGHUP reloads users without dropping a call; junk datagrams harm nobody.
. "$(dirname "$0")/lib.sh"

PORT=34760
PEER=34765

plan 12

conf()
{
	cat <<EOF2
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "56000-56999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } $1 ); };
peers = { allow = [ "127.0.0.0/8" ]; };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF2
}

# junk N: N bounded datagrams at the listener and at a relay port: random bytes, STUN headers
# with garbage bodies, ChannelData for channels nobody bound, truncated headers.
junk()
{
	perl -MIO::Socket::INET -e '
		my ($n, $port) = @ARGV;
		srand(7);
		my $s = IO::Socket::INET->new(Proto => "udp") or die "socket: $!";
		for my $i (1 .. $n) {
			my $kind = $i % 4;
			my $len = int(rand(200));
			my $b = join("", map { chr(int(rand(256))) } 1 .. $len);
			if ($kind == 1) {   # STUN header, random type/length, real cookie
				$b = pack("nnN", int(rand(0x3fff)), int(rand(400)), 0x2112A442) .
				     join("", map { chr(int(rand(256))) } 1 .. 12) . $b;
			} elsif ($kind == 2) {   # ChannelData, random channel, honest length
				$b = pack("nn", 0x4000 + int(rand(0x3fff)), length($b)) . $b;
			} elsif ($kind == 3) {
				$b = substr($b, 0, $i % 4);   # 0..3 bytes
			}
			my $to = pack_sockaddr_in($port + ($i % 2 ? 0 : 1), inet_aton("127.0.0.1"));
			send($s, $b, 0, $to);
		}' "$1" "$2"
}

start_turnd "$(conf "")"
ok $? "turnd starts with one user" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER" || abandon "no peer"

uc=(-p "$PORT" -e 127.0.0.1 -r "$PEER" -l 200 -c)

run_uclient "$T/bob-before.out" "${uc[@]}" -u bob -w hunter2 -m 1 -n 5 127.0.0.1
is "$?" 255 "bob is unknown before the reload"

# alice's call runs across the reload and the junk: 2 sessions x 150 packets at 20 ms.
run_uclient "$T/alice.out" "${uc[@]}" -u alice -w s3cret -m 2 -n 150 -z 20 127.0.0.1 &
alice=$!
sleep 2
conf ', { name = "bob"; password = "hunter2"; }' >"$TURND_CONF"
kill -HUP "$TURND_PID"
is "$(wait_log 'reloaded config=' 1)" 1 "SIGHUP: turnd logs the reload"

junk 3000 "$PORT"
ok $? "3000 junk datagrams sent at the listener and the port above it"

run_uclient "$T/bob.out" "${uc[@]}" -u bob -w hunter2 -m 1 -n 20 127.0.0.1
uc_check "bob, added by the reload, relays" "$T/bob.out" $? 20

printf 'realm = ;\n' >"$TURND_CONF"
kill -HUP "$TURND_PID"
is "$(wait_log 'reload failed' 1)" 1 "a broken file on SIGHUP: 'reload failed' logged"
log_has "reload failed.*turnd\.conf:1" "the refusal names the file and line"

wait "$alice"
uc_check "alice's call across both reloads and the junk" "$T/alice.out" $? 300

run_uclient "$T/bob-after.out" "${uc[@]}" -u bob -w hunter2 -m 1 -n 10 127.0.0.1
uc_check "the refused reload kept the running users (bob still works)" "$T/bob-after.out" $? 10

st=$("$TURNCTL" -s "$T/turnd.sock" --json status)
[[ "$st" =~ \"malformed\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]
ok $? "turnctl status counts the malformed datagrams (${BASH_REMATCH[1]:-none})"

stop_turnd
is "$?" 0 "turnd exits 0 on SIGTERM"
