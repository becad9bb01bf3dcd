/* metrics.h - Prometheus text-format metrics: the exposition renderer and a tiny HTTP endpoint. */
#ifndef TURND_METRICS_H
#define TURND_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "turn.h"
#include "turn_shared.h"

/* Longest request accepted (request line and headers); over it: 400. */
#define METRICS_MAX_REQUEST 8192
/* Connections served at once; more are accepted and closed at once. */
#define METRICS_MAX_CONNS 64
/* A connection that has not sent a whole request by then is closed. */
#define METRICS_TIMEOUT_MS 5000

/*
 * Request latency histogram (turnd_request_duration_seconds), fixed buckets. No globals:
 * the owner embeds one (zeroed) beside the turn server and hands it to metrics_set_latency().
 * Bucket upper bounds, seconds: LATENCY_BOUNDS; counts are not cumulative here (the
 * renderer sums them); the last slot counts what is above the last bound.
 */
#define LATENCY_BOUNDS { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1 }
#define LATENCY_NBOUNDS 9

struct latency_hist {
	uint64_t bucket[LATENCY_NBOUNDS + 1];
	uint64_t count;
	double sum;		/* seconds */
};

/* Count one request that took `seconds` (negative or NaN counts as 0). */
void metrics_observe_request(struct latency_hist *h, double seconds);

/*
 * The exposition text (format 0.0.4) for st and, when xdp is not NULL, the XDP program's
 * counters (TURN_XDP_NR of them, as fastpath_counters() gives them) and, when xdp_sum is
 * not NULL, the kernel's byte totals (fastpath_totals()). Writes at most cap
 * bytes, NUL-terminated when cap > 0; returns the length the whole text needs (without the
 * NUL), as snprintf does: a result >= cap means it was cut.
 */
struct turn_alloc_stats;
size_t metrics_render(const struct turn_stats *st, const uint64_t *xdp,
		      const struct turn_alloc_stats *xdp_sum, char *buf, size_t cap);
/*
 * The fast path's routing lines, appended after metrics_render()'s when it runs; same
 * contract: turnd_xdp_route_changes_total (routing changes passed on to the program, each
 * dropping every cached route) and turnd_xdp_clock_tick_seconds (the program's measured
 * jiffies tick; 0: it reads the precise clock).
 */
size_t metrics_render_xdp_routes(uint64_t route_changes, uint64_t tick_ns, char *buf,
				 size_t cap);
/* The histogram's lines, appended after metrics_render()'s; same contract. */
size_t metrics_render_latency(const struct latency_hist *h, char *buf, size_t cap);

/*
 * Look at the first len bytes received on a connection: 200 for a whole `GET /metrics`
 * (a query string is allowed), 404 for another path, 405 for another method, 400 for
 * anything malformed or longer than METRICS_MAX_REQUEST, -EAGAIN while the request's end
 * (the empty line) has not arrived and nothing seen so far is wrong.
 */
int metrics_parse_request(const char *buf, size_t len);

struct loop;
struct fastpath;
struct metrics;

/*
 * Listen on *listen (TCP) and answer each GET /metrics with the counters of turn and fp
 * (either may be NULL; fp NULL: no XDP series), then close. NULL (logged) on failure.
 */
struct metrics *metrics_new(struct loop *l, const sockaddr_u *listen, struct turn_server *turn,
			    struct fastpath *fp);
/* Also serve h (borrowed; NULL: none) as turnd_request_duration_seconds. */
void metrics_set_latency(struct metrics *m, const struct latency_hist *h);
/* Also serve the signaling server's counters (borrowed; NULL: none). */
struct web;
void metrics_set_web(struct metrics *m, const struct web *w);
/* The port actually bound (useful when listen had port 0). */
uint16_t metrics_port(const struct metrics *m);
/* For tests: the read timeout, ms (default METRICS_TIMEOUT_MS). */
void metrics_set_timeout(struct metrics *m, uint32_t ms);
/* Close every connection and the listener. NULL: nothing. */
void metrics_free(struct metrics *m);

#endif
