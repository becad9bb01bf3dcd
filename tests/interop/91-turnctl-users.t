#!/bin/bash
# 91-turnctl-users.t - turnctl users and secret edit turnd's files; uclient sees each change.
. "$(dirname "$0")/lib.sh"

PORT=34910
PEER=34915

[ "$TURND_IMPL" = coturn ] && skip_all "turnctl edits turnd's own files"
[ -x "$TURNCTL" ] || skip_all "$TURNCTL is missing (run make)"

plan 56

USERS=$T/users
PW1='p:ss w#1'
PW2='second-Pw2'
conf=$(cat <<EOF2
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "61000-61999"; };
# the users file is edited by turnctl
auth = { users = ( { name = "alice"; password = "s3cret"; } ); users_file = "$USERS";
	 secret = "north"; };
peers = { allow = [ "127.0.0.0/8" ]; };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF2
)

ctl() { "$TURNCTL" -c "$TURND_CONF" "$@"; }
uc=(-p "$PORT" -e 127.0.0.1 -r "$PEER" -l 200 -c -m 1 -n 10)
# md5hex TEXT: the key turnadmin -k prints for "name:realm:password".
md5hex() { perl -MDigest::MD5=md5_hex -e 'print md5_hex($ARGV[0])' "$1"; }
reloads=0
# reloaded: wait (bounded) for one more "reloaded" line from turnd.
reloaded()
{
	reloads=$((reloads + 1))
	is "$(wait_log 'reloaded config=' "$reloads")" "$reloads" "turnd reloaded ($reloads)"
}

printf '# users of example.org\n\ncarol:0x%s\n' "$(md5hex carol:example.org:cpw)" >"$USERS"
chmod 0600 "$USERS"
start_turnd "$conf"
ok $? "turnd starts on 127.0.0.1:$PORT with auth.users_file" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER" || abandon "no peer"

out=$(printf '%s\n' "$PW1" | ctl users add bob)
is "$?" 0 "users add bob (password on stdin): exit 0"
like "$out" "turnd at $T/turnd.sock reloads now" \
	"it asks turnd (control.socket of the config) to reload"
reloaded
list=$(ctl users list)
is "$list" "$(printf 'carol\nbob\nalice (config)')" \
	"users list: the file's users, then the config's"
grep -qF "bob:0x$(md5hex "bob:example.org:$PW1")" "$USERS"
ok $? "the file holds bob's key MD5(bob:example.org:password), as turnadmin -k prints"
! grep -qF -e "$PW1" -e 'ss w#1' "$USERS"
ok $? "and not the password"
is "$(head -n2 "$USERS")" "$(printf '# users of example.org\n')" "the comment and blank line kept"
is "$(stat -c %a "$USERS")" 600 "the file stays mode 0600"
is "$(find "$T" -name 'users.turnctl.*' | wc -l)" 0 "no temporary file is left"

run_uclient "$T/bob1.out" "${uc[@]}" -u bob -w "$PW1" 127.0.0.1
uc_check "uclient as bob with the password given to turnctl" "$T/bob1.out" $? 10
run_uclient "$T/carol.out" "${uc[@]}" -u carol -w cpw 127.0.0.1
uc_check "carol, an older line of the file, still works" "$T/carol.out" $? 10

printf 'x\n' | ctl users add bob 2>"$T/err"
is "$?" 2 "users add bob again: exit 2"
like "$(cat "$T/err")" "'bob' exists" "with a message"
printf 'x\n' | ctl users add alice 2>/dev/null
is "$?" 2 "users add alice (a config user): exit 2"

printf '%s\n' "$PW2" | ctl users passwd bob >/dev/null
is "$?" 0 "users passwd bob: exit 0"
reloaded
is "$(grep -c '^bob:' "$USERS")" 1 "bob still has one line"
run_uclient "$T/bob-old.out" "${uc[@]}" -u bob -w "$PW1" 127.0.0.1
is "$?" 255 "bob's old password is refused (uclient exit 255)"
run_uclient "$T/bob2.out" "${uc[@]}" -u bob -w "$PW2" 127.0.0.1
uc_check "bob's new password works" "$T/bob2.out" $? 10

ctl users del bob >/dev/null
is "$?" 0 "users del bob: exit 0"
reloaded
is "$(ctl users list)" "$(printf 'carol\nalice (config)')" "bob is gone from the list"
run_uclient "$T/bob3.out" "${uc[@]}" -u bob -w "$PW2" 127.0.0.1
is "$?" 255 "bob is refused after del"
ctl users del bob 2>/dev/null
is "$?" 1 "users del bob again: exit 1 (not found)"
bad=
for name in 'a:b' '' "$(printf 'a\nb')" "$(head -c 513 /dev/zero | tr '\0' u)" '#x' ' sp' \
	"$(printf 'a\tb')"; do
	printf 'x\n' | ctl users add "$name" 2>/dev/null
	[ $? = 2 ] || bad="$bad '$name'"
done
is "$bad" "" "names with ':', empty, newline, 513 bytes, leading '#' or blank, tab: exit 2"
is "$(ctl users list)" "$(printf 'carol\nalice (config)')" "and none was added"
ctl users add dave </dev/null 2>/dev/null
is "$?" 2 "users add with no password on stdin: exit 2"

# The REST secret: show, rotate; clients holding the old one fail, the new one works.
is "$(ctl secret show)" north "secret show prints auth.secret"
sed 's/secret = "north"/secret = "SECRET"/' "$TURND_CONF" >"$T/conf.before"
ctl secret rotate >"$T/rotate.out"
is "$?" 0 "secret rotate: exit 0"
reloaded
new=$(ctl secret show)
like "$new" '^[0-9a-f]{64}$' "the new secret is 32 random bytes in hex"
grep -F "$new" "$T/rotate.out" >/dev/null
[ $? = 1 ]
ok $? "rotate does not print the secret"
sed "s/secret = \"$new\"/secret = \"SECRET\"/" "$TURND_CONF" | cmp -s - "$T/conf.before"
ok $? "the rest of the config is unchanged, byte for byte"
run_uclient "$T/rest-old.out" "${uc[@]}" -u bob -W north 127.0.0.1
is "$?" 255 "uclient -W with the old secret fails"
run_uclient "$T/rest-new.out" "${uc[@]}" -u bob -W "$new" 127.0.0.1
uc_check "uclient -W with the new secret relays" "$T/rest-new.out" $? 10

# Config texts that could mislead the edit: comments, strings and other groups that say
# "secret", a secret split in two strings, ':' instead of '=', no auth group at all.
# rot TEXT: rotate in a copy holding TEXT; prints the copy with the new secret as NEW.
rot()
{
	local f=$T/rot.conf n

	printf '%s\n' "$1" >"$f"
	"$TURNCTL" -s "$T/none.sock" -c "$f" secret rotate >/dev/null 2>"$T/rot.err" || return 1
	n=$("$TURNCTL" -c "$f" secret show) || return 1
	grep -Eq '^[0-9a-f]{64}$' <<<"$n" || return 1
	sed "s/$n/NEW/" "$f"
}
base='realm = "r"; listen = [ "127.0.0.1:1" ]; control = { socket = "/nonexistent/s"; };'
got=$(rot "$base
# auth = { secret = \"c1\"; };
/* secret = \"c2\" */ peers = { allow = [ \"127.0.0.0/8\" ]; }; // secret = \"c3\"
auth = { users_file = \"/x/secret = y\"; nonce_lifetime = 60; };")
is "$got" "$base
# auth = { secret = \"c1\"; };
/* secret = \"c2\" */ peers = { allow = [ \"127.0.0.0/8\" ]; }; // secret = \"c3\"
auth = { secret = \"NEW\"; users_file = \"/x/secret = y\"; nonce_lifetime = 60; };" \
	"rotate with no secret: one added in the auth group, comments and strings untouched"
got=$(rot "$base auth : { secret : \"ab\" \"c\\\"d\" ; };")
is "$got" "$base auth : { secret : \"NEW\" ; };" \
	"a secret in two strings (one with an escaped quote), ':' for '=': replaced whole"
got=$(rot "$base")
is "$got" "$base
auth = { secret = \"NEW\"; };" "no auth group: one is appended"
printf '%s auth = { secret = "x"; bogus = 1; };\n' "$base" >"$T/rot.conf"
cp "$T/rot.conf" "$T/rot.before"
"$TURNCTL" -c "$T/rot.conf" secret rotate >/dev/null 2>"$T/rot.err"
st=$?
[ "$st" = 2 ] && cmp -s "$T/rot.conf" "$T/rot.before" && grep -q bogus "$T/rot.err"
ok $? "a config that does not load: rotate refuses (status $st), says why, file kept"

# Hostile users files: reported with the line number, never rewritten.
printf 'eve:0x%s\n' 0123456789abcdef0123456789abcdeZ >>"$USERS"
cp "$USERS" "$T/users.before"
printf 'x\n' | ctl users add dave 2>"$T/err"
is "$?" 2 "a bad key on line 4: users add refuses (exit 2)"
like "$(cat "$T/err")" "$USERS:4: " "the message names the file and line 4"
cmp -s "$USERS" "$T/users.before"
ok $? "and the file is not rewritten"
printf 'ok:1\nno colon here\n' >"$USERS"
ctl users del ok 2>"$T/err"
st=$?
cmp -s "$USERS" <(printf 'ok:1\nno colon here\n') && [ "$st" = 2 ] &&
	grep -q "line=2: no ':'" "$T/err"
ok $? "a line without ':' (line 2): users del refuses, says why, file kept"
printf 'ok:1\nnul\0:x\n' >"$USERS"
ctl users list >/dev/null 2>"$T/err"
st=$?
[ "$st" = 2 ] && grep -q "line=2: NUL" "$T/err"
ok $? "a NUL byte on line 2: users list refuses (exit 2) and says so"
printf 'ok:1\n' >"$USERS"

out=$(printf 'pw\n' | "$TURNCTL" -s "$T/none.sock" -c "$TURND_CONF" users add zed)
is "$?" 0 "users add with turnd unreachable (-s elsewhere): exit 0"
like "$out" "applies at its next reload" "it says the change applies at the next reload"

# top: two clients, one sending 5 times faster; the busier allocation comes first.
ctl users del zed >/dev/null 2>&1	# (added while turnd was "unreachable")
spawn "$T/fast.out" timeout -k 2 20 turnutils_uclient -p "$PORT" -e 127.0.0.1 -r "$PEER" \
	-u alice -w s3cret -c -m 1 -n 1000 -z 10 -l 100 127.0.0.1
spawn "$T/slow.out" timeout -k 2 20 turnutils_uclient -p "$PORT" -e 127.0.0.1 -r "$PEER" \
	-u alice -w s3cret -c -m 1 -n 200 -z 50 -l 100 127.0.0.1
wait_log 'allocation created.*user="alice"' 2 5 >/dev/null
# uclient starts sending a moment after its allocations: wait (bounded) for both to send
for ((i = 0; i < 50; i++)); do
	[ "$("$TURNCTL" -s "$T/turnd.sock" allocations |
	     awk '$2 == "alice" && $9 > 0' | wc -l)" -ge 2 ] && break
	sleep 0.1
done
t0=$(now_ms)
"$TURNCTL" -s "$T/turnd.sock" top --count 2 >"$T/top.out" 2>"$T/top.err"
is "$?" 0 "top --count 2: exit 0"
t1=$(now_ms)
[ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -lt 4000 ]
ok $? "it takes about 2 s ($((t1 - t0)) ms)"
is "$(grep -c '^[0-9]* allocations, ' "$T/top.out")" 2 "it prints 2 screens"
last=$(awk 'BEGIN { RS = "" } { s = $0 } END { print s }' "$T/top.out")
rates=$(awk '$2 == "alice" { print $5 }' <<<"$last" | tr '\n' ' ')
read -r r1 r2 _ <<<"$rates"
[ "${r1:-0}" -gt 60 ] && [ "${r2:-0}" -gt 5 ] && [ "$r1" -gt $((r2 * 2)) ]
ok $? "alice's busy allocation first (some 100 pkt/s each way), the slow one next: $rates" ||
	diag "$last"
like "$(head -n2 <<<"$last" | tail -n1)" '^ID +USER +CLIENT +RELAYED +PKT/S' "with a header"
bad=
for args in "--count 0" "--count x" "--count -1" "--count" "extra"; do
	# shellcheck disable=SC2086 # split on purpose
	"$TURNCTL" -s "$T/turnd.sock" top $args >/dev/null 2>&1
	[ $? = 2 ] || bad="$bad '$args'"
done
"$TURNCTL" -s "$T/turnd.sock" --json top --count 1 >/dev/null 2>&1
[ $? = 2 ] || bad="$bad --json"
is "$bad" "" "top with --count 0, x, -1, none, an extra word, --json: exit 2"
"$TURNCTL" -s "$T/none.sock" top --count 1 >/dev/null 2>&1
is "$?" 2 "top with turnd unreachable: exit 2"

stop_turnd
is "$?" 0 "turnd exits 0 on SIGTERM"
