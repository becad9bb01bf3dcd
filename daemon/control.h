/* control.h - the control socket: a Unix socket, one JSON request per line, one JSON answer. */
#ifndef TURND_CONTROL_H
#define TURND_CONTROL_H

#include "addr.h"
#include "loop.h"
#include "turn.h"

struct control;
struct web;

/*
 * Listen on path (mode 0600; the parent directory is created 0750 if missing; a stale
 * socket is replaced). Requests from a uid other than ours are refused. NULL on error (logged).
 */
struct fastpath;
struct control *control_new(struct loop *l, const char *path, struct turn_server *turn,
			    struct fastpath *fp);
/* The listen addresses status reports (copied). */
void control_set_listeners(struct control *c, const sockaddr_u *listen, int n);
/* The signaling server whose counters status reports (NULL: none). */
void control_set_web(struct control *c, const struct web *w);
void control_free(struct control *c);

/*
 * Answer one request line into out (NUL-terminated JSON + "\n"). Pure: no I/O ("reload"
 * only raises SIGHUP, which main handles). Commands: control_cmds.c. Returns the length written.
 */
/* What status reports besides the core's counters (may be NULL). */
struct ctl_info {
	const sockaddr_u *listen;
	int nlisten;
	const struct web *web;		/* signaling, when on */
};

size_t control_answer(struct turn_server *turn, struct fastpath *fp, const struct ctl_info *info,
		      uint64_t started_ms,
		      const char *req, char *out, size_t cap);

#endif
