#!/bin/bash
# 60-config.t - turnd --check-config passes good files, names FILE:LINE of bad ones (exit 2).
. "$(dirname "$0")/lib.sh"

[ "$TURND_IMPL" = coturn ] && skip_all "TURND_IMPL=coturn: --check-config is turnd's own"

PORT=34760

plan 22

[ -x "$TURND" ]
ok $? "$TURND is built" || abandon "$TURND is missing (run make)"

# check CONFIG_FILE: run --check-config (bounded); status in CHECK_ST, output in CHECK_OUT.
check()
{
	CHECK_OUT=$(timeout -k 2 10 "$TURND" --check-config -c "$1" 2>&1)
	CHECK_ST=$?
}

if [ -f "$ROOT/turnd.conf" ]; then
	check "$ROOT/turnd.conf"
	is "$CHECK_ST" 0 "the bundled turnd.conf passes --check-config" || diag "$CHECK_OUT"
else
	ok 1 "the bundled turnd.conf passes --check-config"
	diag "$ROOT/turnd.conf does not exist"
fi

# Every section of the contract, every value valid.
cat >"$T/good.conf" <<EOF
# a comment
realm = "example.org";
listen = [ "127.0.0.1:$PORT", "[::1]:$PORT" ];
relay = { address = [ "127.0.0.1", "::1" ]; ports = "56000-56999"; };
allocation = { default_lifetime = 600; max_lifetime = 3600; };
auth = { users = ( { name = "alice"; password = "s3cret"; },
                   { name = "bob"; password = "hunter2"; } );
         secret = "north"; nonce_lifetime = 600; };
peers = { allow = [ "127.0.0.0/8", "::1/128" ]; deny = [ ]; };
control = { socket = "$T/turnd.sock"; };
log = { level = "info"; };
EOF
check "$T/good.conf"
is "$CHECK_ST" 0 "a config with every section passes --check-config" || diag "$CHECK_OUT"
[ ! -e "$T/turnd.sock" ]
ok $? "--check-config creates no control socket"

# bad NAME LINE WHAT: write $T/NAME.conf (the good lines with line LINE replaced by WHAT),
# expect exit 2 and "FILE:LINE:" in the message: two test points.
bad()
{
	local f=$T/$1.conf line=$2 what=$3 desc=$4

	awk -v n="$line" -v w="$what" 'NR == n { print w; next } { print }' "$T/good.conf" >"$f"
	check "$f"
	is "$CHECK_ST" 2 "$desc: --check-config exits 2" || diag "$CHECK_OUT"
	case "$CHECK_OUT" in
	*"$f:$line:"*) ok 0 "$desc: the message names $1.conf:$line" ;;
	*)
		ok 1 "$desc: the message names $1.conf:$line"
		diag "output: $CHECK_OUT"
		;;
	esac
}

bad syntax 3 'listen = = [ "127.0.0.1:34760" ];' "syntax error"
bad unknown 2 'realm = "example.org"; frobnicate = 1;' "unknown top-level setting"
bad unknown-nested 8 '         secret = "north"; nonce_lifetme = 600; };' \
	"unknown setting inside auth"
bad listen-addr 3 "listen = [ \"999.0.0.1:$PORT\" ];" "bad listen address 999.0.0.1"
bad listen-port 3 'listen = [ "127.0.0.1:70000" ];' "bad listen port 70000"
bad ports-reversed 4 'relay = { address = "127.0.0.1"; ports = "56999-56000"; };' \
	"reversed relay port range"
bad ports-high 4 'relay = { address = "127.0.0.1"; ports = "56000-70000"; };' \
	"relay port range past 65535"

# turnd itself on a bad file: exits 2 at once, with the same message, and never listens.
timeout -k 2 10 "$TURND" -c "$T/syntax.conf" >"$T/run-bad.out" 2>&1
is "$?" 2 "turnd -c with a syntax error exits 2 without starting"
grep -qF "$T/syntax.conf:3:" "$T/run-bad.out"
ok $? "turnd -c with a syntax error names syntax.conf:3" || diag_file "$T/run-bad.out"
! stun_probe 127.0.0.1 "$PORT" >/dev/null
ok $? "nothing answers on 127.0.0.1:$PORT afterwards"

check "$T/does-not-exist.conf"
[ "$CHECK_ST" -ne 0 ] && [[ "$CHECK_OUT" == *"$T/does-not-exist.conf"* ]]
ok $? "a missing file: non-zero exit ($CHECK_ST) and a message naming the file" ||
	diag "output: $CHECK_OUT"
