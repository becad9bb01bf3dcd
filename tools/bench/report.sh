# report.sh - turnbench: progress on stderr, the table on stdout, --json and --plot; sourced.
#
# Every result is one tab-separated line of $T/rows:
#   relay dir flows size offered delivered loss cpu per_core p50 p99 p999 allocs k setup note
# numbers in pps, %, us, s; "-" where there is no figure (a failed run, no latency probe).

ROW_FIELDS="relay direction flows size offered_pps delivered_pps loss relay_cpu pps_per_core"
ROW_FIELDS+=" p50_us p99_us p999_us allocations channels_per_allocation setup_s note"

progress_init()
{
	STEP=0 STEPS=$1 STEP_TEXT= T_START=$(date +%s)
	[ -t 2 ] && TTY=1 || TTY=
}

progress_draw()
{
	local w=24 fill el

	[ -n "$TTY" ] || return 0
	el=$(($(date +%s) - T_START))
	fill=$((STEPS ? STEP * w / STEPS : 0))
	printf '\r\033[K[%s%s] %d/%d %dm%02ds %s' "$(printf '%*s' "$fill" '' | tr ' ' '#')" \
		"$(printf '%*s' $((w - fill)) '' | tr ' ' '.')" "$STEP" "$STEPS" $((el / 60)) \
		$((el % 60)) "$1" >&2
}

# progress_step TEXT: a new step (a line on stderr when it is not a terminal).
progress_step()
{
	STEP_TEXT=$1
	if [ -n "$TTY" ]; then
		progress_draw "$1"
	else
		echo "turnbench: [$((STEP + 1))/$STEPS] $1" >&2
	fi
}

# progress_note TEXT: more about the current step (terminal only).
progress_note() { progress_draw "$STEP_TEXT: $1"; }
progress_done() { STEP=$((STEP + 1)); progress_draw "$STEP_TEXT"; }
progress_clear() { [ -n "$TTY" ] && printf '\r\033[K' >&2; return 0; }

table_header()
{
	echo "# turnbench $(date -u +%Y-%m-%dT%H:%MZ): generator $GEN, ${DUR}s per point," \
		"median of $RUNS; generator on CPU 0, relay on CPU $RELAY_CPU of $NCPU; $(uname -r)"
	printf '%-16s %-4s %6s %5s %8s %9s %6s %6s %9s %7s %7s %8s  %s\n' relay dir flows size \
		offer_Mpps deliv_Mpps loss% cpu% Mpps/core p50_us p99_us p99.9_us note
}

# row FIELDS...: record one result and print it.
row()
{
	local IFS=$'\t'

	echo "$*" >>"$T/rows"
	progress_clear
	awk -F'\t' '{
		m = ($5 == "-") ? "-" : sprintf("%.3f", $5 / 1e6)
		d = ($6 == "-") ? "-" : sprintf("%.3f", $6 / 1e6)
		c = ($9 == "-") ? "-" : sprintf("%.3f", $9 / 1e6)
		printf "%-16s %-4s %6s %5s %8s %9s %6s %6s %9s %7s %7s %8s  %s\n", $1, $2, $3, $4,
			m, d, $7, $8, c, $10, $11, $12, $16 }' <<<"$*"
}

# json_write FILE: {"meta":{...},"results":[{...},...]}
json_write()
{
	awk -F'\t' -v fields="$ROW_FIELDS" -v gen="$GEN" -v dur="$DUR" -v runs="$RUNS" -v order="$ORDER" \
		-v kernel="$(uname -r)" -v cpus="$NCPU" -v cmd="$COMMAND" \
		-v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v secs="$(($(date +%s) - T_START))" '
	function str(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
	function val(s) { return s == "-" || s == "" ? "null" : s }
	BEGIN {
		nf = split(fields, name, " ")
		printf "{\"meta\":{\"date\":%s,\"generator\":%s,\"order\":%s,\"duration_s\":%s,", \
			str(date), str(gen), str(order), dur
		printf "\"runs\":%s,", runs
		printf "\"kernel\":%s,\"cpus\":%s,\"command\":%s,\"elapsed_s\":%s},\n", \
			str(kernel), cpus, str(cmd), secs
		printf "\"results\":["
	}
	{
		printf "%s\n{", (NR > 1 ? "," : "")
		for (i = 1; i <= nf; i++) {
			v = (i <= 2 || i == nf) ? str($i) : val($i)
			printf "%s\"%s\":%s", (i > 1 ? "," : ""), name[i], v
		}
		printf "}"
	}
	END { printf "\n]}\n" }' "$T/rows" >"$1"
}

# plot_write FILE.png: delivered Mpps and relay CPU against flows (at PLOT_SIZE) and against
# size (at PLOT_FLOWS), one line per relay and direction.
plot_write()
{
	local d=$T/plot relay dir kind key col=0 dash gp=$T/plot.gp series i n x y

	command -v gnuplot >/dev/null || { echo "turnbench: no gnuplot: no plot" >&2; return 1; }
	mkdir -p "$d"
	for kind in flows size; do
		for relay in $RELAYS; do
			for dir in $DIRS; do
				awk -F'\t' -v r="$relay" -v dd="$dir" -v k="$kind" \
					-v fz="$PLOT_SIZE" -v ff="$PLOT_FLOWS" '
					$1 == r && $2 == dd && $6 != "-" &&
					((k == "flows" && $4 == fz) || (k == "size" && $3 == ff)) {
					print (k == "flows" ? $3 : $4), $6 / 1e6, $8 }' "$T/rows" |
					sort -n >"$d/$relay-$dir-$kind.dat"
			done
		done
	done
	{
		echo "set terminal pngcairo size 1500,1000 font ',10'"
		echo "set output '$1'"
		echo "set multiplot title 'turnbench $(date -u +%Y-%m-%d), generator $GEN," \
			"median of $RUNS x ${DUR} s per point, $(uname -r), $NCPU CPUs" \
			"(c2p solid, p2c dashed)'"
		echo "set grid; set style data linespoints; set format y '%g'"
		n=0
		for key in "flows:2:delivered Mpps (log):flows (${PLOT_SIZE}-byte payload)" \
			"flows:3:relay CPU %:flows (${PLOT_SIZE}-byte payload)" \
			"size:2:delivered Mpps (log):payload bytes ($PLOT_FLOWS flows)" \
			"size:3:relay CPU %:payload bytes ($PLOT_FLOWS flows)"; do
			IFS=: read -r kind col ylab xlab <<<"$key"
			x=$(awk -v n=$n 'BEGIN { print (n % 2) * 0.41 }')
			y=$(awk -v n=$n 'BEGIN { print n < 2 ? 0.48 : 0.0 }')
			echo "set origin $x,$y; set size 0.41,0.47"
			[ "$kind" = flows ] && echo "set logscale x" || echo "unset logscale x"
			if [ "$col" = 2 ]; then
				echo "set logscale y; set yrange [0.01:10]"
			else
				echo "unset logscale y; set yrange [0:*]"
			fi
			# one legend for the four panels, right of them
			if [ $n = 0 ]; then
				echo "set key at screen 0.99,0.92 right top font ',10' spacing 1.3"
			else
				echo "unset key"
			fi
			echo "set xlabel '$xlab'; set ylabel '$ylab'"
			series=
			i=0
			for relay in $RELAYS; do
				i=$((i + 1))
				for dir in $DIRS; do
					[ -s "$d/$relay-$dir-$kind.dat" ] || continue
					dash=1
					[ "$dir" = p2c ] && dash=2
					series+="${series:+, }'$d/$relay-$dir-$kind.dat'"
					series+=" using 1:$col title '$relay $dir'"
					series+=" lc $i dt $dash pt $((i + 5)) lw 2"
				done
			done
			[ -n "$series" ] && echo "plot $series" || echo "plot 1/0 notitle"
			n=$((n + 1))
		done
		echo "unset multiplot"
	} >"$gp"
	gnuplot "$gp" 2>"$T/plot.err" && return 0
	echo "turnbench: gnuplot failed: $(cat "$T/plot.err")" >&2
	return 1
}
