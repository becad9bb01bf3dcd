/* web.h - the signaling server: HTTP(S) listeners, the call page at /, WebSocket signaling at /ws. */
#ifndef TURND_WEB_H
#define TURND_WEB_H

#include <stdint.h>

#include "config.h"
#include "sig.h"

struct loop;
struct web;

/* Counters since start; *_now are gauges. */
struct web_stats {
	uint64_t conns_now, conns_total;
	uint64_t refused_total;		/* over max_connections: accepted and closed at once */
	uint64_t refused_per_address;	/* over max_per_address */
	uint64_t tls_failed;		/* TLS handshakes that failed */
	uint64_t http_errors;		/* requests answered with 4xx/5xx */
	uint64_t pages;			/* files served */
	uint64_t upgrades;		/* WebSocket connections opened */
	uint64_t ws_now;
	uint64_t ws_protocol_errors;	/* closed by the server with 1002/1003/1007/1009 */
	uint64_t timeouts;		/* idle or request-head timeouts */
	uint64_t slow_readers;		/* output queue overflow */
	struct sig_stats sig;
};

/*
 * Listen on every cfg->listen address (TCP). With cfg->tls_cert, a connection whose first
 * byte is a TLS handshake speaks TLS, any other plain HTTP. secret is the TURN REST secret
 * the iceServers credentials are computed from (copied; NULL: STUN only); turn_port is the
 * TURN listener's UDP port for the derived URLs. NULL (logged) on failure.
 */
struct web *web_new(struct loop *l, const struct signaling_cfg *cfg, const char *secret,
		    uint16_t turn_port);

/*
 * SIGHUP: take the new origins, ICE settings, limits and secret (listeners and TLS files
 * need a restart; a change there is logged and ignored). 0 or -ENOMEM (the old settings stay).
 */
int web_reload(struct web *w, const struct signaling_cfg *cfg, const char *secret);

void web_get_stats(const struct web *w, struct web_stats *st);

/* The port listener i (in cfg->listen order) is bound to (tests listen on port 0); 0 if none. */
uint16_t web_port(const struct web *w, int i);

/*
 * The counters as Prometheus text (turnd_signaling_*), appended by the metrics endpoint: at
 * most cap bytes written, NUL-terminated when room; returns the length the whole text needs.
 */
size_t web_render_metrics(const struct web *w, char *buf, size_t cap);

/* The counters as one JSON object for `turnctl status`; snprintf's return value. */
int web_status_json(const struct web *w, char *buf, size_t cap);

/* Close every connection and listener. NULL: nothing. */
void web_free(struct web *w);

#endif
