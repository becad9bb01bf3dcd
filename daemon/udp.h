/* udp.h - the UDP transport: client listeners and relayed sockets, the core's turn_ops. */
#ifndef TURND_UDP_H
#define TURND_UDP_H

#include "addr.h"
#include "config.h"
#include "loop.h"
#include "turn.h"

struct udp;

/*
 * Bind every listen address (wildcards get packet info so replies leave from the address
 * the client used). relay: the resolved relay addresses (naddr > 0) and port range.
 * Returns NULL and logs what failed.
 */
struct udp *udp_new(struct loop *l, const sockaddr_u *listen, int nlisten,
		    const struct relay_cfg *relay);
/* The callbacks the TURN core needs, bound to this transport. */
void udp_ops(struct udp *u, struct turn_ops *ops);
struct fastpath;
struct latency_hist;
/* Time each STUN request the core handles into h (NULL: don't). */
void udp_set_latency(struct udp *u, struct latency_hist *h);
/* Mirror allocations into the XDP fast path (NULL: none). Call before udp_ops. */
void udp_set_fastpath(struct udp *u, struct fastpath *fp);
/* Start delivering datagrams to the core (call once it exists). */
void udp_attach(struct udp *u, struct turn_server *turn);
/*
 * For a restart: open the relay socket at exactly local (address and port) again.
 * Returns the handle, or -errno (-EADDRINUSE: someone else has the port now).
 */
int udp_relay_adopt(struct udp *u, const sockaddr_u *local);
void udp_relay_drop(struct udp *u, int handle);
/* The listener id a client reaching `server` uses, or -ENOENT. */
int udp_listener_id(const struct udp *u, const sockaddr_u *server);

/* Close the listeners (relays are closed by the core through relay_close). */
void udp_free(struct udp *u);

#endif
