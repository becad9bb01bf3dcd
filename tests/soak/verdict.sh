# verdict.sh - the soak test's pass/fail criteria over its samples (sourced by soak.sh).
# shellcheck shell=bash

# expected_at M: the count every map and turnd counter must show at minute M: all the flows
# before the vanishing, the survivors once the last vanished client's expiry + GRACE has
# passed, nothing (empty) in between.
expected_at()
{
	if ((M_VANISH_ROW > $1)); then
		echo "$FLOWS"
	elif [ -n "$DEADLINE_MS" ] && ((S_MS[$1] >= DEADLINE_MS + GRACE * 1000)); then
		echo $((FLOWS - NVANISH))
	fi
}

check_counts()
{
	local m want v name val

	for m in "${!S_MS[@]}"; do
		want=$(expected_at "$m")
		[ -n "$want" ] || continue
		for v in ALLOC:allocations PERMS:permissions CHANS:channels C2P:c2p P2C:p2c \
			PERM:perm STATS:stats; do
			name=S_${v%%:*}[$m]
			val=${!name}
			[ "$val" = "$want" ] || fail "minute $m: ${v#*:} $val, want $want"
		done
		[ "${S_STRAY[m]:-x}" = 0 ] || fail "minute $m: ${S_STRAY[m]} map entries of no client"
		if ((want != FLOWS)); then
			[ "${S_VLEFT[m]:-x}" = 0 ] ||
				fail "minute $m: ${S_VLEFT[m]} map entries of vanished clients"
			[ "${S_MISS[m]:-x}" = 0 ] ||
				fail "minute $m: ${S_MISS[m]} survivors miss map entries"
		fi
	done
}

# RSS at every minute after the second within RSS_TOL % of the minute-2 value.
check_rss()
{
	local m base=${S_RSS[2]:-} d

	[ -n "$base" ] || { fail "no RSS sample at minute 2"; return; }
	for ((m = 3; m <= MINUTES; m++)); do
		[ -n "${S_RSS[m]:-}" ] || continue
		d=$((S_RSS[m] - base))
		((d < 0)) && d=$((-d))
		((d * 100 <= RSS_TOL * base)) ||
			fail "minute $m: RSS ${S_RSS[m]} kB, more than $RSS_TOL% from ${base} kB (minute 2)"
	done
}

check_vanished()
{
	local gone=never

	((NVANISH > 0)) || return 0
	if [ -z "$GONE_MS" ]; then
		fail "the $NVANISH vanished clients' state was still there at the end"
	elif ((GONE_MS > DEADLINE_MS + GRACE * 1000)); then
		fail "vanished clients' state gone $(((GONE_MS - DEADLINE_MS) / 1000)) s after" \
			"their expiry (grace ${GRACE}s)"
	fi
	[ -n "$GONE_MS" ] && gone="+$(((GONE_MS - READY_MS + 500) / 1000)) s"
	echo "# vanished: $NVANISH clients at +$(((VANISH_MS - READY_MS + 500) / 1000)) s (from the" \
		"end of the setup); last expiry due +$(((DEADLINE_MS - READY_MS + 500) / 1000)) s; all" \
		"their allocations and map entries gone at $gone (polled every second)"
}

# turnd's "allocation released ... reason=expired ... client=IP:PORT" lines against the
# vanished file: one per vanished client, each by its deadline + GRACE; none of a survivor.
# Prints "vanished missing late survivors earliest latest" (ms from the deadline).
expiries()
{
	TZ=UTC awk -v grace=$((GRACE * 1000)) '
		FNR == NR { if ($1 !~ /^#/ && NF == 4) { dl[$2] = $4; n++ } next }
		!/allocation released/ || !/ reason=expired / { next }
		match($0, /client=[0-9.]+:[0-9]+/) {
			split(substr($0, RSTART + 7, RLENGTH - 7), a, ":")
			if (!(a[2] in dl)) { surv++; next }
			ts = $1
			t = mktime(substr(ts, 1, 4) " " substr(ts, 6, 2) " " substr(ts, 9, 2) " " \
				   substr(ts, 12, 2) " " substr(ts, 15, 2) " " substr(ts, 18, 2))
			d = t * 1000 + substr(ts, 21, 3) - dl[a[2]]
			if (!(a[2] in seen)) { seen[a[2]] = 1; nseen++ }
			if (nseen == 1 || d < lo) lo = d
			if (nseen == 1 || d > hi) hi = d
			if (d > grace) late++
		}
		END { printf "%d %d %d %d %d %d\n", n, n - nseen, late, surv, lo, hi }
	' "$T/vanished" "$T/turnd.log"
}

check_expiries()
{
	local n miss late surv lo hi

	((NVANISH > 0)) || return 0
	[ -s "$T/vanished" ] || { fail "the client wrote no vanished file"; return; }
	read -r n miss late surv lo hi < <(expiries)
	[ "$n" = "$NVANISH" ] || fail "the vanished file lists $n clients, want $NVANISH"
	((miss == 0)) || fail "$miss vanished clients' allocations never expired"
	((late == 0)) || fail "$late vanished clients' allocations expired later than deadline + ${GRACE}s"
	((surv == 0)) || fail "$surv surviving clients' allocations expired (refreshes not on time?)"
	((OVERDUE_MAX == 0)) ||
		fail "$OVERDUE_MAX map entries of vanished clients past their deadline +" \
			"${GRACE}s (at +${OVERDUE_AT}s)"
	echo "# expiries: each vanished client's allocation expired at its own deadline" \
		"${lo}..${hi} ms (turnd's log; deadline = when the client got its last Refresh" \
		"answer + the lifetime granted); none of its map entries outlived deadline +" \
		"${GRACE}s; no survivor expired"
}

check_client()
{
	local sent lost errors k

	sent=$(kv "$FINAL" sent) lost=$(kv "$FINAL" lost) errors=$(kv "$FINAL" errors)
	[ "$(kv "$FINAL" phase)" = "done" ] || fail "the client ended in phase $(kv "$FINAL" phase)"
	[ "$CLIENT_ST" = 0 ] || fail "the client exited with status $CLIENT_ST"
	[ "$(kv "$FINAL" setup_done)" = "$FLOWS" ] ||
		fail "setup: $(kv "$FINAL" setup_done) of $FLOWS allocations"
	if [ "${errors:-x}" != 0 ]; then
		for k in err_timeout err_response err_integrity err_malformed err_other send_err \
			bad_echo release_err; do
			[ "$(kv "$FINAL" $k)" = 0 ] || errors="$errors $k=$(kv "$FINAL" $k)"
		done
		fail "client errors: $errors"
	fi
	((PPS == 0 || ${sent:-0} > 0)) || fail "no ChannelData was sent"
	((${lost:-0} * 1000000 <= LOSS_PPM * ${sent:-0})) ||
		fail "lost $lost of $sent echoes (over $LOSS_PPM per million)"
	[ "$(kv "$ECHO_LINE" send_err)" = 0 ] || fail "the peer failed to echo: $ECHO_LINE"
	echo "# client: $(kv "$FINAL" txn_ok) requests answered, $(kv "$FINAL" cycles) refresh" \
		"cycles, $(kv "$FINAL" retrans) retransmissions, $(kv "$FINAL" stale_nonce) stale" \
		"nonces (438, retried), $sent ChannelData sent, $(kv "$FINAL" echoed) echoed," \
		"$lost lost, $(kv "$FINAL" late) late; the peer echoed $(kv "$ECHO_LINE" echoed);" \
		"UDP receive-buffer drops: $UDP_DROPS; veth drops: $VETH_DROPS"
	echo "# turnd's XDP counters: $XDP_COUNTERS"
}

check_turnd()
{
	local n st

	n=$(grep -c 'level=error' "$T/turnd.log")
	((n == 0)) || fail "turnd logged $n error lines, first: $(grep -m 1 'level=error' "$T/turnd.log")"
	if alive "$TURND_PID"; then
		stop_pid "$TURND_PID"
		st=$?
		[ "$st" = 0 ] || fail "turnd exited with status $st on SIGTERM"
	fi
	echo "# turnd: $(grep -c 'allocation created' "$T/turnd.log") allocations created," \
		"$(grep -c 'reason=expired' "$T/turnd.log") expired, $(grep -c 'level=warn' \
		"$T/turnd.log") warnings, $n errors"
}

# verdict: every criterion; the failures listed; exit 0 (pass) or 1.
verdict()
{
	local f

	M_VANISH_ROW=$(((VANISH_S + 59) / 60))	# first minute sampled after the vanishing
	NVANISH=$(kv "$FINAL" vanished)
	NVANISH=${NVANISH:-0}
	check_counts
	check_rss
	check_vanished
	check_expiries
	check_client
	check_turnd
	if ((${#FAILS[@]} == 0)); then
		echo "# PASS: counts flat, RSS within $RSS_TOL% of minute 2, vanished state gone in" \
			"time, zero errors"
		exit 0
	fi
	for f in "${FAILS[@]}"; do
		echo "# FAIL: $f"
	done
	exit 1
}
