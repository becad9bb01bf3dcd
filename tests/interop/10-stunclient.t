#!/bin/bash
# 10-stunclient.t - turnutils_stunclient gets its own address and port back, IPv4 and IPv6.
. "$(dirname "$0")/lib.sh"

PORT=34710

plan 9

conf=$(cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT", "[::1]:$PORT" ];
relay = { address = [ "127.0.0.1", "::1" ]; ports = "51000-51999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF
)

start_turnd "$conf"
ok $? "turnd starts and answers a STUN binding on 127.0.0.1:$PORT" || abandon "turnd did not start"

# Where strace works, it tells the client's own port (getsockname after the first send).
have_strace=0
strace -qq -o /dev/null true 2>/dev/null && have_strace=1

# binding FAMILY SERVER: one stunclient run; sets MAPPED_ADDR MAPPED_PORT and OWN_PORT.
binding()
{
	local out=$T/stun-$1.out st m

	MAPPED_ADDR='' MAPPED_PORT='' OWN_PORT=''
	if [ "$have_strace" = 1 ]; then
		timeout -k 2 10 strace -qq -o "$T/strace-$1.out" -e trace=getsockname \
			turnutils_stunclient -p "$PORT" "$2" >"$out" 2>&1
		st=$?
		m=$(grep -Eo 'sin6?_port=htons\([0-9]+\)' "$T/strace-$1.out" | tail -n1)
		m=${m#*htons(}
		OWN_PORT=${m%)}
	else
		timeout -k 2 10 turnutils_stunclient -p "$PORT" "$2" >"$out" 2>&1
		st=$?
	fi
	m=$(grep -m1 -o 'reflexive addr: .*' "$out")
	m=${m#reflexive addr: }
	if [ -n "$m" ]; then
		MAPPED_ADDR=${m%:*}
		MAPPED_PORT=${m##*:}
	fi
	[ "$st" -eq 0 ] && [ -n "$m" ] && return 0
	diag "stunclient status $st"
	diag_file "$out"
	return 1
}

binding v4 127.0.0.1
ok $? "IPv4: turnutils_stunclient gets a Binding success with a reflexive address"
is "$MAPPED_ADDR" 127.0.0.1 "IPv4: XOR-MAPPED-ADDRESS is 127.0.0.1"
if [ "$have_strace" = 1 ]; then
	is "$MAPPED_PORT" "$OWN_PORT" "IPv4: the mapped port is the client's own port ($OWN_PORT)"
else
	skip "strace not available: cannot learn the client's own port"
fi

binding v6 ::1
ok $? "IPv6: turnutils_stunclient to [::1]:$PORT gets a Binding success"
is "$MAPPED_ADDR" ::1 "IPv6: XOR-MAPPED-ADDRESS is ::1"
if [ "$have_strace" = 1 ]; then
	is "$MAPPED_PORT" "$OWN_PORT" "IPv6: the mapped port is the client's own port ($OWN_PORT)"
else
	skip "strace not available: cannot learn the client's own port"
fi

# A burst of bindings from fresh sockets: every one answered (no state kept per binding).
n=0
for ((i = 0; i < 20; i++)); do
	stun_probe 127.0.0.1 "$PORT" >/dev/null && n=$((n + 1))
done
is "$n" 20 "20 bindings in a row, 20 answers"

stop_turnd
st=$?
todo_coturn "turnserver dies by SIGTERM (status 143)"
is "$st" 0 "turnd exits 0 on SIGTERM"
