/* turn.h - the TURN server state machine (RFC 8656): allocations, permissions, channels. No I/O. */
#ifndef TURND_TURN_H
#define TURND_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "auth.h"
#include "policy.h"
#include "timerq.h"

/* The 5-tuple a message arrived on. The core never sees a socket, only this. */
struct turn_tuple {
	sockaddr_u client;	/* remote address and port */
	sockaddr_u server;	/* local address and port the client sent to */
	uint8_t proto;		/* IPPROTO_UDP (TCP/TLS later) */
	int lid;		/* the I/O layer's listener or connection id, echoed back */
};

/* Clocks: monotonic milliseconds for timers, UNIX seconds for REST credentials and nonces. */
struct turn_clock {
	uint64_t ms;
	uint64_t wall_s;
};

/* A permission: the peer IP (any port) may send to the relayed address. */
struct turn_perm {
	sockaddr_u ip;			/* port 0 */
	uint64_t expires;		/* monotonic ms */
};

/* A channel binding. */
struct turn_chan {
	uint16_t num;
	sockaddr_u peer;
	uint64_t expires;		/* ms; after it the binding is idle but quarantined */
	bool live;			/* bound and not expired */
};

/*
 * An allocation's forwarding state, handed to the fast path after every change (the
 * fast path mirrors it into the kernel's maps). Pointers are valid during the call only.
 */
struct turn_fwd {
	uint64_t id;
	const char *user;
	const uint8_t *key;		/* AUTH_KEY_LEN bytes: the allocation's long-term key */
	const struct turn_tuple *tuple;
	const int *relay;		/* relay handles; the I/O layer knows their local address */
	const sockaddr_u *relayed;	/* as advertised (may be an external address) */
	int nrelay;
	uint64_t expires;		/* allocation expiry, ms */
	const struct turn_perm *perms;
	int nperms;
	const struct turn_chan *chans;	/* includes idle (quarantined) ones: check live */
	int nchans;
	uint32_t max_bps;		/* relayed payload bytes/s each way, 0 = no limit */
	uint32_t bps_burst;		/* bytes the bucket holds (> 0 when max_bps is) */
};

/* Flags for relay_open. */
#define TURN_RELAY_EVEN 0x1		/* the port must be even */
#define TURN_RELAY_RESERVE_NEXT 0x2	/* also hold port + 1 for a later RESERVATION-TOKEN */

/* What the core asks of the I/O layer. All calls are synchronous. */
struct turn_ops {
	void *ctx;
	/*
	 * Open a relayed transport address of family af (AF_INET/AF_INET6) on a free port of
	 * the configured range. *addr gets the address to advertise. With
	 * TURN_RELAY_RESERVE_NEXT, *next_handle and *next_addr get port + 1, held open.
	 * Returns a handle >= 0 (small, like an fd), -EAFNOSUPPORT when the server has no
	 * relay address of that family, -EADDRINUSE when no port is free, or another -errno.
	 */
	int (*relay_open)(void *ctx, int af, unsigned flags, sockaddr_u *addr, int *next_handle,
			  sockaddr_u *next_addr);
	void (*relay_close)(void *ctx, int handle);
	/* Send to a client on the tuple it used. */
	void (*send_client)(void *ctx, const struct turn_tuple *t, const uint8_t *buf, size_t len);
	/* Send from a relayed address (handle) to a peer. */
	void (*send_peer)(void *ctx, int handle, const sockaddr_u *peer, const uint8_t *buf,
			  size_t len, bool dont_fragment);
	/* Optional (NULL: no fast path). The allocation's state changed / it is gone. */
	void (*fwd_sync)(void *ctx, const struct turn_fwd *f);
	void (*fwd_release)(void *ctx, uint64_t id);
};

struct turn_params {
	const char *software;		/* SOFTWARE attribute value, NULL or "" for none */
	uint32_t default_lifetime;	/* s */
	uint32_t max_lifetime;
	uint32_t perm_lifetime;
	uint32_t chan_lifetime;
	uint32_t max_per_user;		/* 0 = unlimited */
	uint32_t max_total;
	bool legacy_channels;		/* accept RFC 5766 channels 0x5000-0x7FFE too */
	uint64_t first_id;		/* first allocation id (0: 1); unique across restarts */
	uint32_t hash_buckets;		/* allocation table size, a power of two; 0: 65536 */
	uint32_t txcache_slots;		/* answers kept for retransmits, a power of two; 0: 4096 */
	uint32_t max_perms;		/* per allocation, 0: TURN_PERMS_DEFAULT; over it: 508 */
	uint32_t max_chans;		/* per allocation, 0: TURN_CHANS_DEFAULT; over it: 508 */
	uint32_t max_bps;		/* payload bytes/s per allocation and direction, 0: none */
	uint32_t bps_burst;		/* bytes at once, 0: max_bps (one second's worth) */
	uint32_t unauth_rate;		/* requests/s of a source without allocation, 0: none */
	uint32_t unauth_burst;		/* such requests at once, 0: 2 * unauth_rate */
};

/*
 * Limits of one allocation. Channels count while quarantined (RFC 8656 11: an expired
 * channel's number and peer may not be bound to anything else for 5 minutes).
 */
#define TURN_PERMS_DEFAULT 64
#define TURN_PERMS_MAX 1024		/* highest max_perms honoured */
#define TURN_CHANS_DEFAULT 64
#define TURN_CHANS_MAX 4096		/* highest max_chans honoured (0x4000-0x4FFF) */

/* Limits hit, counted in turn_stats.limit_hits[]. */
enum turn_limit {
	LIMIT_PER_USER,		/* Allocate refused (486): max_per_user */
	LIMIT_TOTAL,		/* Allocate refused (486): max_total */
	LIMIT_PERMISSIONS,	/* CreatePermission or ChannelBind refused (508): max_perms */
	LIMIT_CHANNELS,		/* ChannelBind refused (508): max_chans */
	LIMIT_BANDWIDTH,	/* relayed datagram dropped in userspace: max_bps */
	LIMIT_UNAUTH_RATE,	/* request dropped unanswered: unauth_rate */
	LIMIT_NR
};

/* Drop reasons, counted in turn_stats.drops[]. */
enum turn_drop {
	DROP_MALFORMED,		/* not STUN/ChannelData, or fails to decode */
	DROP_NO_ALLOCATION,	/* ChannelData or Send indication on a tuple without one */
	DROP_NO_CHANNEL,	/* ChannelData on an unbound channel */
	DROP_NO_PERMISSION,	/* peer data or Send without a permission */
	DROP_POLICY,		/* Send to a refused peer */
	DROP_UNEXPECTED,	/* responses, unknown indications */
	DROP_RCVBUF,		/* dropped by the kernel: a socket's receive buffer was full */
	DROP_NR
};

/* Why a request failed authentication, counted in turn_stats.auth_fail[]. */
enum turn_auth_fail {
	AUTH_FAIL_UNKNOWN_USER,	/* no such user (or not a valid REST name) */
	AUTH_FAIL_BAD_INTEGRITY,	/* wrong password */
	AUTH_FAIL_EXPIRED,	/* REST credentials past their time */
	AUTH_FAIL_WRONG_USER,	/* another user's allocation (441) */
	AUTH_FAIL_NR
};

struct turn_stats {
	uint64_t allocations;		/* live */
	uint64_t permissions;
	uint64_t channels;
	uint64_t allocs_created;	/* totals since start */
	uint64_t allocs_expired;
	uint64_t requests;
	uint64_t auth_failures;		/* sum of auth_fail[] */
	uint64_t auth_fail[AUTH_FAIL_NR];
	uint64_t pkts_c2p, bytes_c2p;	/* relayed in userspace */
	uint64_t pkts_p2c, bytes_p2c;
	uint64_t drops[DROP_NR];
	uint64_t limit_hits[LIMIT_NR];
};

/* One allocation as the control plane sees it (a copy). */
struct turn_alloc_info {
	uint64_t id;
	char user[AUTH_MAX_NAME + 1];
	struct turn_tuple tuple;
	sockaddr_u relayed[2];
	int nrelayed;
	uint32_t lifetime_left;		/* s */
	size_t npermissions, nchannels;
	uint64_t pkts_c2p, bytes_c2p, pkts_p2c, bytes_p2c;
};

struct turn_server;

/*
 * Create a server. auth and policy are borrowed (swap them with turn_set_auth /
 * turn_set_policy on reload); timers go on tq, which the event loop runs. NULL + errno
 * on failure (EINVAL: hash_buckets or txcache_slots is not a power of two).
 */
struct turn_server *turn_new(const struct turn_params *p, struct auth *auth,
			     const struct peer_policy *policy, struct timerq *tq,
			     const struct turn_ops *ops);
/* Release every allocation (closing relays) and free the server. */
void turn_free(struct turn_server *s);
void turn_set_auth(struct turn_server *s, struct auth *auth);
void turn_set_policy(struct turn_server *s, const struct peer_policy *policy);

/* A datagram (STUN or ChannelData) from a client. */
void turn_on_client(struct turn_server *s, const struct turn_tuple *t, const uint8_t *buf,
		    size_t len, const struct turn_clock *now);
/* A datagram from a peer arriving at a relayed address. */
void turn_on_peer(struct turn_server *s, int handle, const sockaddr_u *peer, const uint8_t *buf,
		  size_t len, const struct turn_clock *now);

const struct turn_stats *turn_get_stats(const struct turn_server *s);
/* Count n drops that happened outside the core (DROP_RCVBUF: the I/O layer's sockets). */
void turn_count_drops(struct turn_server *s, enum turn_drop why, uint64_t n);
/*
 * The NONCE the server hands a client at address client at wall-clock time now_s (nonces are
 * bound to the client's IP address: one replayed from another address gets 438).
 */
void turn_make_nonce(const struct turn_server *s, const sockaddr_u *client, uint64_t now_s,
		     char out[AUTH_NONCE_LEN + 1]);
/* Call fn for each allocation; stops early when fn returns non-zero (returned). */
int turn_foreach_alloc(const struct turn_server *s, uint64_t now_ms,
		       int (*fn)(const struct turn_alloc_info *ai, void *arg), void *arg);
/* Bumped by every change to any allocation: a state file older than it is stale. */
uint64_t turn_generation(const struct turn_server *s);
/* Call fn with the forwarding state of each allocation (for the state file). */
void turn_foreach_fwd(const struct turn_server *s,
		      void (*fn)(const struct turn_fwd *f, void *arg), void *arg);

/*
 * Re-create an allocation saved by an earlier turnd (f->relay: handles the I/O layer has
 * re-opened on the same ports). The fast path is told as for a new one. It keeps every
 * live permission and channel, even past max_perms / max_chans (limits lowered since):
 * they expire as usual, and no new one is allowed until it is under the limit. Returns 0,
 * -ESTALE (expired by now), -EEXIST (its 5-tuple or id is taken), -E2BIG (more than
 * TURN_PERMS_MAX permissions or TURN_CHANS_MAX channels), -EINVAL, -ENOMEM.
 */
int turn_restore(struct turn_server *s, const struct turn_fwd *f, uint64_t now_ms);

/* End allocation id now (relays closed). 0 or -ENOENT. */
int turn_kill_alloc(struct turn_server *s, uint64_t id);
/* End every allocation of user name now (relays closed). Returns how many. */
int turn_kill_user(struct turn_server *s, const char *name);

/*
 * Allocation id in full, for the control socket: *ai as turn_foreach_alloc gives it, then
 * fn_perm for each permission and fn_chan for each live channel (either may be NULL).
 * Pointers are valid during the call only. 0 or -ENOENT.
 */
int turn_get_alloc(const struct turn_server *s, uint64_t id, uint64_t now_ms,
		   struct turn_alloc_info *ai,
		   void (*fn_perm)(const struct turn_perm *p, void *arg),
		   void (*fn_chan)(const struct turn_chan *c, void *arg), void *arg);

#endif
