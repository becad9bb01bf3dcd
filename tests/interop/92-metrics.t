#!/bin/bash
# 92-metrics.t - the Prometheus endpoint: strict text format, counters equal turnctl's.
. "$(dirname "$0")/lib.sh"

PORT=34920
PEER=34925
MPORT=34929

plan 8

conf=$(cat <<EOF
realm = "example.org";
listen = [ "127.0.0.1:$PORT" ];
relay = { address = "127.0.0.1"; ports = "60000-60999"; };
auth = { users = ( { name = "alice"; password = "s3cret"; } ); };
peers = { allow = [ "127.0.0.0/8" ]; };
control = { socket = "$T/turnd.sock"; };
metrics = { listen = "127.0.0.1:$MPORT"; };
log = { level = "info"; };
EOF
)

# scrape: GET /metrics over HTTP/1.1 (bounded), the body on stdout.
scrape()
{
	timeout 5 perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die "connect: $!";
		print $s "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
		local $/; my $r = <$s>; my ($h, $b) = split /\r\n\r\n/, $r, 2;
		die "status: $h\n" unless $h =~ m{^HTTP/1\.[01] 200 };
		print $b;' "$MPORT"
}

# strict_format FILE: every line a HELP, TYPE or sample; a sample's metric has HELP and TYPE.
strict_format()
{
	perl -ne '
		chomp;
		if (/^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S/) { $help{$1} = 1; next }
		if (/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/) { $type{$1} = $2; next }
		if (/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"\\]*"(,[a-z_]+="[^"\\]*")*\})? (-?[0-9.e+]+|\+Inf)$/) {
			my ($m, $l) = ($1, $2 // "");
			my $base = $m;
			$base =~ s/_(bucket|sum|count)$// unless $type{$m};
			die "no HELP/TYPE for $m\n" unless $help{$base} && $type{$base};
			die "counter $m without _total\n" if $type{$base} eq "counter" && $m !~ /_total$/;
			die "duplicate series $m$l\n" if $seen{"$m$l"}++;
			next;
		}
		die "bad line: $_\n";' "$1"
}

start_turnd "$conf"
ok $? "turnd starts with metrics on 127.0.0.1:$MPORT" || abandon "turnd did not start"
start_peer "$PEER"
ok $? "turnutils_peer echoes on $PEER" || abandon "no peer"

run_uclient "$T/uc.out" -p "$PORT" -e 127.0.0.1 -r "$PEER" -l 200 -c -u alice -w s3cret -m 2 \
	-n 30 127.0.0.1
uc_check "uclient -c -m 2 -n 30" "$T/uc.out" $? 60

run_uclient "$T/bad.out" -p "$PORT" -e 127.0.0.1 -r "$PEER" -c -u alice -w wrong -m 1 -n 2 \
	127.0.0.1

scrape >"$T/metrics.txt"
ok $? "GET /metrics answers 200 ($(wc -l <"$T/metrics.txt") lines)"
strict_format "$T/metrics.txt" 2>"$T/format.err"
ok $? "the exposition text is strictly well-formed $(cat "$T/format.err")"

st=$("$TURNCTL" -s "$T/turnd.sock" --json status)
[[ "$st" =~ \"pkts_c2p\":([0-9]+) ]] && c2p=${BASH_REMATCH[1]}
m=$(grep -E '^turnd_packets_total\{path="userspace",direction="c2p"\}' "$T/metrics.txt" |
	awk '{print $2}')
[ -n "$m" ] && [ "$m" = "$c2p" ] && [ "$m" -ge 60 ]
ok $? "turnd_packets_total{path=userspace,direction=c2p} = $m, turnctl's pkts_c2p = $c2p"

grep -Eq '^turnd_request_duration_seconds_count [1-9]' "$T/metrics.txt"
ok $? "the request latency histogram has observations"

n=$(grep -E '^turnd_auth_failures_total\{reason="bad_integrity"\}' "$T/metrics.txt" | awk '{print $2}')
[ -n "$n" ] && [ "$n" -ge 1 ]
ok $? "a wrong password is counted in turnd_auth_failures_total{reason=bad_integrity} ($n)"
