#!/bin/bash
# 96-browser.t - a real WebRTC call: two headless Chromium on turnd's call page, relay only.
#
# The browsers run in the client namespace, turnd (TURN, signaling, XDP) in the relay namespace
# (netns.sh's topology): Chromium gathers no candidates when loopback is its only network, and
# a veth is closer to a deployment anyway. tests/browser/call.mjs (puppeteer-core) drives both
# pages; its test points are repeated here. Then a second call with only A relay-only, whose
# peer is B's host address, so the XDP program relays it in the kernel. Screenshots, page logs
# and the final page states are kept in tests/browser/artifacts/ (ARTIFACTS overrides).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

PORT=3478
SIG=8080
PIN=/sys/fs/bpf/turnd-browser-$$
BROWSER=$ROOT/tests/browser
ARTIFACTS=${ARTIFACTS:-$BROWSER/artifacts}
CALL_POINTS=10		# call.mjs's plan

ns_need_root
command -v node >/dev/null || skip_all "node is not installed (make deps)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip_all "chromium is not installed (make deps)"
plan $((2 * CALL_POINTS + 9))
ns_trap

# npm ci once (node_modules is kept between runs; a changed lock file installs again)
if [ ! -f "$BROWSER/node_modules/.turnd-lock" ] ||
   ! cmp -s "$BROWSER/package-lock.json" "$BROWSER/node_modules/.turnd-lock"; then
	(cd "$BROWSER" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1 &&
		cp "$BROWSER/package-lock.json" "$BROWSER/node_modules/.turnd-lock"
fi
ok $? "puppeteer-core installed (npm ci)" || diag_file "$T/npm.log"

ns_topology "$$" && ns_bpffs
ok $? "namespaces, veths and bpffs" || abandon "no topology"

conf()
{
	cat <<EOF
realm = "example.org";
listen = [ "198.18.1.2:$PORT" ];
relay = { address = "198.18.2.2"; ports = "49152-49999"; };
auth = { users = ( ); };
peers = { allow = [ "198.18.0.0/15" ]; };
xdp = { mode = "native"; interfaces = [ "r-cli", "r-peer" ]; pin_path = "$PIN";
	detach_on_exit = true; };
control = { socket = "$T/turnd.sock"; };
state_file = "$T/turnd.state";
signaling = { listen = "198.18.1.2:$SIG"; };
EOF
}

ns_turnd_start turnd "$(conf)" 198.18.1.2 "$PORT"
ok $? "turnd answers STUN in the relay namespace" || abandon "turnd did not start"
grep -q "signaling listening on 198.18.1.2:$SIG" "$TURND_LOG"
ok $? "turnd serves signaling on 198.18.1.2:$SIG" || diag_file "$TURND_LOG"

# status_num PATH: a number of `turnctl status --json`, e.g. "userspace.bytes_c2p"
STATUS=
status_num()
{
	grep -Eo "\"${1%%.*}\":\{[^}]*\}" <<<"$STATUS" | grep -Eo "\"${1#*.}\":[0-9]+" | cut -d: -f2
}

# call NAME ENV...: one call.mjs run in the client namespace; its points repeated with NAME
call()
{
	local name=$1 line st

	shift
	mkdir -p "$ARTIFACTS/$name"
	timeout -k 5 120 ip netns exec "$NS_C" env BASE_URL="http://198.18.1.2:$SIG" \
		ARTIFACTS="$ARTIFACTS/$name" "$@" node "$BROWSER/call.mjs" >"$T/$name.tap" 2>&1
	st=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "$name: ${line#* - }" ;;
		"not ok "*) ok 1 "$name: ${line#* - }" ;;
		"#"*) diag "${line#\# }" ;;
		esac
	done <"$T/$name.tap"
	return $st
}

STATUS=$(ns_holder "$TURNCTL" -s "$T/turnd.sock" --json status 2>&1)
us0=$(( $(status_num userspace.bytes_c2p) + $(status_num userspace.bytes_p2c) ))
call relay-relay
[ "$(grep -c '^ok ' "$T/relay-relay.tap")" = "$CALL_POINTS" ]
ok $? "both browsers relay only: every check of call.mjs passed" ||
	diag_file "$T/relay-relay.tap" 40
STATUS=$(ns_holder "$TURNCTL" -s "$T/turnd.sock" --json status 2>&1)
us1=$(( $(status_num userspace.bytes_c2p) + $(status_num userspace.bytes_p2c) ))
[ "$((us1 - us0))" -gt 100000 ]
ok $? "turnd's counters show the call's relayed bytes ($((us1 - us0)) in userspace)" ||
	diag "$STATUS"

k0=$(( $(status_num counters.fwd_c2p) + $(status_num counters.fwd_p2c) ))
call relay-host RELAY_B=0 HOLD=3
[ "$(grep -c '^ok ' "$T/relay-host.tap")" = "$CALL_POINTS" ]
ok $? "A relay only, B direct: every check of call.mjs passed" || diag_file "$T/relay-host.tap" 40
STATUS=$(ns_holder "$TURNCTL" -s "$T/turnd.sock" --json status 2>&1)
k1=$(( $(status_num counters.fwd_c2p) + $(status_num counters.fwd_p2c) ))
[ "$((k1 - k0))" -gt 100 ]
ok $? "the XDP program relayed that call in the kernel ($((k1 - k0)) packets)" ||
	diag "$STATUS"

stop_turnd
ok $? "turnd stops cleanly after both calls" || diag_file "$TURND_LOG"
