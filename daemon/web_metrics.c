/* web_metrics.c - the signaling server's counters as Prometheus text and as turnctl's JSON. */
#include "web.h"

#include <inttypes.h>
#include <stdio.h>

/* One counter or gauge: its value, with HELP and TYPE lines. */
struct web_series {
	const char *name, *type, *help;
	uint64_t v;
};

/* The series of st, in a fixed order; returns how many (at most 16). */
static int web_series(const struct web_stats *st, struct web_series *s)
{
	const struct web_series all[] = {
		{ "turnd_signaling_connections", "gauge", "Signaling TCP connections open.",
		  st->conns_now },
		{ "turnd_signaling_connections_total", "counter", "Signaling connections accepted.",
		  st->conns_total },
		{ "turnd_signaling_refused_total", "counter",
		  "Connections closed at once: max_connections or max_per_address reached.",
		  st->refused_total + st->refused_per_address },
		{ "turnd_signaling_websockets", "gauge", "WebSockets open.", st->ws_now },
		{ "turnd_signaling_upgrades_total", "counter", "WebSocket upgrades accepted.",
		  st->upgrades },
		{ "turnd_signaling_http_errors_total", "counter",
		  "Requests answered with an HTTP error.", st->http_errors },
		{ "turnd_signaling_protocol_errors_total", "counter",
		  "WebSockets closed for a protocol violation (1002, 1003, 1007, 1009).",
		  st->ws_protocol_errors },
		{ "turnd_signaling_timeouts_total", "counter",
		  "Connections closed for idleness or a slow request head.", st->timeouts },
		{ "turnd_signaling_tls_failures_total", "counter", "TLS handshakes that failed.",
		  st->tls_failed },
		{ "turnd_signaling_rooms", "gauge", "Rooms with members.", st->sig.rooms },
		{ "turnd_signaling_members", "gauge", "Members of rooms.", st->sig.members },
		{ "turnd_signaling_signals_total", "counter", "Signal messages relayed.",
		  st->sig.signals },
		{ "turnd_signaling_errors_total", "counter",
		  "Signaling messages refused with an error reply.", st->sig.errors },
	};
	int n = (int)(sizeof(all) / sizeof(all[0]));

	for (int i = 0; i < n; i++)
		s[i] = all[i];
	return n;
}

size_t web_render_metrics(const struct web *w, char *buf, size_t cap)
{
	struct web_series s[16];
	struct web_stats st;
	size_t len = 0;
	int n, k;

	web_get_stats(w, &st);
	n = web_series(&st, s);
	for (int i = 0; i < n; i++) {
		k = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0,
			     "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", s[i].name, s[i].help,
			     s[i].name, s[i].type, s[i].name, s[i].v);
		if (k > 0)
			len += (size_t)k;
	}
	return len;
}

int web_status_json(const struct web *w, char *buf, size_t cap)
{
	struct web_stats st;

	web_get_stats(w, &st);
	return snprintf(buf, cap, "{\"connections\":%" PRIu64 ",\"websockets\":%" PRIu64
			",\"rooms\":%" PRIu64 ",\"members\":%" PRIu64 ",\"upgrades\":%" PRIu64
			",\"signals\":%" PRIu64 ",\"refused\":%" PRIu64 ",\"http_errors\":%" PRIu64
			",\"protocol_errors\":%" PRIu64 ",\"timeouts\":%" PRIu64
			",\"tls_failures\":%" PRIu64 ",\"errors\":%" PRIu64 "}",
			st.conns_now, st.ws_now, st.sig.rooms, st.sig.members, st.upgrades,
			st.sig.signals, st.refused_total + st.refused_per_address, st.http_errors,
			st.ws_protocol_errors, st.timeouts, st.tls_failed, st.sig.errors);
}
