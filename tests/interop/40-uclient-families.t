#!/bin/bash
# 40-uclient-families.t - IPv4 and IPv6 clients, relays and peers in every mix, and dual allocation.
. "$(dirname "$0")/lib.sh"

PORT=34740
PEER=34745

plan 12

conf=$(cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT", "[::1]:$PORT" ];
relay = { address = [ "127.0.0.1", "::1" ]; ports = "54000-54999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "127.0.0.0/8", "::1/128" ]; };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF
)

start_turnd "$conf"
ok $? "turnd starts on 127.0.0.1:$PORT and [::1]:$PORT" || abandon "turnd did not start"
stun_probe ::1 "$PORT" >/dev/null
ok $? "turnd answers STUN on [::1]:$PORT too"
start_peer "$PEER"
ok $? "turnutils_peer echoes on 127.0.0.1 and ::1, $PEER and $((PEER + 1))" || abandon "no peer"

uc=(-p "$PORT" -u alice -w s3cret -r "$PEER" -n 20 -l 200 -m 2)
rtcp=$(($(uc_sessions 2) * 20))
nortcp=$(($(uc_sessions 2 nortcp) * 20))

# relays_are OUT ADDR: every relayed address uclient -v printed is ADDR.
relays_are()
{
	local got

	got=$(grep -o 'Received relay addr: .*' "$1" | sed 's/^Received relay addr: //; s/:[0-9]*$//' |
		sort -u | tr '\n' ' ')
	is "$got" "$2 " "$3"
}

run_uclient "$T/v4-x.out" "${uc[@]}" -v -x -e ::1 127.0.0.1
uc_check "client over IPv4, -x (IPv6 relay), peer ::1" "$T/v4-x.out" $? "$rtcp"
relays_are "$T/v4-x.out" ::1 "-x: every relayed address is ::1"

run_uclient "$T/v6-X.out" "${uc[@]}" -v -X -e 127.0.0.1 ::1
uc_check "client over IPv6, -X (IPv4 relay), peer 127.0.0.1" "$T/v6-X.out" $? "$rtcp"
relays_are "$T/v6-X.out" 127.0.0.1 "-X: every relayed address is 127.0.0.1"

run_uclient "$T/v6-x.out" "${uc[@]}" -v -x -e ::1 ::1
uc_check "all IPv6: client, relay (-x) and peer on ::1" "$T/v6-x.out" $? "$rtcp"
relays_are "$T/v6-x.out" ::1 "all IPv6: every relayed address is ::1"

# -Z: one Allocate asks for both families (it implies -c); coturn 4.6.1 sends
# ADDITIONAL-ADDRESS-FAMILY under the draft code point 0x8032 (RFC 8656 has 0x8000). uclient
# then insists on the relayed address of the peer's family in the answer (it takes the relay
# family from -e whatever -x/-X say), so peer ::1 over IPv4 needs the IPv6 half of the pair,
# and the reverse the IPv4 half. Its Refresh carries REQUESTED-ADDRESS-FAMILY IPv4, IPv6 or
# none at random: a server without the pair fails that at random with 443.
run_uclient "$T/dual4.out" "${uc[@]}" -Z -e ::1 127.0.0.1
uc_check "-Z dual allocation, client over IPv4, peer ::1 (the IPv6 relay)" "$T/dual4.out" $? \
	"$nortcp"

run_uclient "$T/dual6.out" "${uc[@]}" -Z -e 127.0.0.1 ::1
uc_check "-Z dual allocation, client over IPv6, peer 127.0.0.1 (the IPv4 relay)" "$T/dual6.out" \
	$? "$nortcp"

stop_turnd
st=$?
todo_coturn "turnserver dies by SIGTERM (status 143)"
is "$st" 0 "turnd exits 0 on SIGTERM"
