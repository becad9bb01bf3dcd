/* web_int.h - shared by web.c (listeners, connection table, limits) and web_conn.c (HTTP, WebSocket). */
#ifndef TURND_WEB_INT_H
#define TURND_WEB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "timerq.h"
#include "web.h"
#include "web_io.h"
#include "ws_frame.h"
#include "ws_http.h"

#define WEB_HEAD_TIMEOUT_MS 10000	/* accept to a whole request head (slowloris), or idle */
#define WEB_CLOSE_TIMEOUT_MS 2000	/* a close frame sent: the socket goes after this at most */
#define WEB_MAX_OUT_MIN (256u << 10)	/* output queue limit: max(this, 4 x max_message) */

enum wstate {
	WST_SNIFF,		/* TLS configured: waiting for the first byte */
	WST_TLS,		/* TLS handshake */
	WST_HTTP,		/* reading the request head */
	WST_OPEN,		/* WebSocket open */
	WST_CLOSING,		/* a response or close frame is going out; then the socket closes */
};

struct wconn {
	struct web *w;
	struct web_io io;
	uint64_t id;			/* (generation << 32) | slot: what sig knows it by */
	sockaddr_u peer, local;
	enum wstate st;
	uint8_t *in;			/* received, not yet consumed: in[0..in_len) */
	size_t in_len, in_cap;
	struct ws_rx rx;
	struct timer timer;
	uint64_t last_rx_ms;		/* last WebSocket frame */
	bool ping_sent;			/* a keepalive ping since last_rx_ms */
	bool upgraded;			/* a WebSocket (counted in ws_now) */
	bool in_room;			/* sig may know it: sig_gone on close */
	bool doomed;			/* closed from inside a sig callback: freed by the reaper */
	uint32_t epoll_events;
	struct wconn *next_doomed;
	char host[HTTP_MAX_HOST + 1];	/* the Host header's host part, validated, or "" */
};

struct addr_count;

struct web {
	struct loop *loop;
	int lfd[SIG_MAX_LISTEN];
	int nl;
	struct ssl_ctx_st *tls;
	/* settings that SIGHUP may change */
	char **origins;
	size_t norigins;
	char **ice_urls;
	size_t nice_urls;
	char *ice_host;
	char *secret;
	uint32_t lifetime_s, max_conns, max_per_addr, idle_ms, max_message;
	uint16_t turn_port;
	/* connections: slots[i] or NULL; free slot numbers on a stack */
	struct wconn **slots;
	uint32_t nslots, *free_slots, nfree;
	uint32_t next_gen;
	struct addr_count **per_addr;	/* hash of client IP -> open connections */
	struct wconn *doomed;
	struct timer reaper;
	struct sig *sig;
	struct web_stats st;
};

/* web.c */
void web_conn_close(struct wconn *c);		/* now, or via the reaper inside sig */
struct wconn *web_conn_get(struct web *w, uint64_t id);
void web_conn_watch(struct wconn *c);		/* epoll interest from the state */
void web_conn_timer(struct wconn *c, uint64_t deadline_ms);

/* web_conn.c */
void web_conn_event(void *arg, int fd, uint32_t events);
void web_conn_on_timer(struct timer *t, uint64_t now_ms);
int web_sig_send(void *ctx, uint64_t conn, const char *json, size_t len);
int web_sig_ice(void *ctx, uint64_t conn, char *out, size_t cap);

#endif
