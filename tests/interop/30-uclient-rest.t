#!/bin/bash
# 30-uclient-rest.t - TURN REST credentials (auth.secret) through uclient, beside static users.
. "$(dirname "$0")/lib.sh"

PORT=34730
PEER=34735

plan 11

conf=$(cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "53000-53999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); secret = "north"; };
peers = { allow = [ "127.0.0.0/8" ]; };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF
)

# rest_password USERNAME SECRET: base64(HMAC-SHA1(SECRET, USERNAME)), the REST API password.
rest_password()
{
	perl -MDigest::SHA=hmac_sha1 -MMIME::Base64 \
		-e 'print encode_base64(hmac_sha1($ARGV[0], $ARGV[1]), "")' "$1" "$2"
}

start_turnd "$conf"
ok $? "turnd starts on 127.0.0.1:$PORT with auth.secret set" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER and $((PEER + 1))" || abandon "no peer"

uc=(-p "$PORT" -e 127.0.0.1 -r "$PEER" -l 200)

# uclient -W makes the username "<now + 86400>:bob" and the password from the secret.
run_uclient "$T/rest.out" "${uc[@]}" -u bob -W north -m 2 -n 20 127.0.0.1
uc_check "uclient -W north (REST username 'expiry:bob'), -m 2 -n 20" "$T/rest.out" $? \
	"$(($(uc_sessions 2) * 20))"
todo_coturn "turnd's log format"
is "$(log_count 'allocation created.*user="?[0-9]{9,}:bob"?')" 3 \
	"turnd logs 3 allocations for the REST user 'expiry:bob'"

run_uclient "$T/badsecret.out" "${uc[@]}" -u bob -W south -m 2 -n 5 127.0.0.1
st=$?
grep -q 'Cannot complete Allocation' "$T/badsecret.out" && [ "$st" -eq 255 ]
ok $? "a wrong secret: uclient cannot allocate (status $st)"

# The same scheme computed here: a username valid for an hour, then one expired since 1970.
user="$(($(date +%s) + 3600)):carol"
run_uclient "$T/rest2.out" "${uc[@]}" -u "$user" -w "$(rest_password "$user" north)" -c -m 1 \
	-n 10 127.0.0.1
uc_check "REST password computed by the test for '$user'" "$T/rest2.out" $? 10

run_uclient "$T/expired.out" "${uc[@]}" -u 1000:carol -w "$(rest_password 1000:carol north)" \
	-c -m 1 -n 5 127.0.0.1
is "$?" 255 "an expired REST username (1000:carol, right password) is refused"

# A static user works beside the secret (a name without "expiry:" goes to the users list).
run_uclient "$T/static.out" "${uc[@]}" -u alice -w s3cret -m 2 -n 20 127.0.0.1
st=$?
todo_coturn "turnserver with --use-auth-secret refuses static users"
uc_check "static user alice beside the secret, -m 2 -n 20" "$T/static.out" "$st" \
	"$(($(uc_sessions 2) * 20))"

run_uclient "$T/staticbad.out" "${uc[@]}" -u alice -w north -m 2 -n 5 127.0.0.1
is "$?" 255 "static user alice with the secret as password is refused"

stun_probe 127.0.0.1 "$PORT" >/dev/null
ok $? "turnd still answers STUN after the runs"

stop_turnd
st=$?
todo_coturn "turnserver dies by SIGTERM (status 143)"
is "$st" 0 "turnd exits 0 on SIGTERM"
