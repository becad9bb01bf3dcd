/* turn_int.h - the TURN core's internal types, shared by turn*.c only. No I/O. */
#ifndef TURND_TURN_INT_H
#define TURND_TURN_INT_H

#include "srclimit.h"
#include "stun.h"
#include "turn.h"
#include "txcache.h"

#define TURN_BUCKETS 65536		/* allocation hash buckets unless turn_params says */
#define TURN_USER_BUCKETS 4096
#define TURN_CHAN_QUARANTINE_S 300	/* an expired channel blocks rebinding this long */
#define TURN_RESERVATION_S 30		/* how long a RESERVATION-TOKEN holds its port */
#define TURN_MAX_MSG 65600		/* largest message we build (Data indication) */

struct user_count {
	struct user_count *next;
	uint32_t n;
	char name[];
};

struct allocation {
	struct allocation *next;	/* hash chain (by 5-tuple) */
	struct allocation *id_next;	/* hash chain (by id) */
	uint64_t id;
	struct turn_tuple tuple;
	struct user_count *user;
	uint8_t key[AUTH_KEY_LEN];	/* the key the allocation was made with */
	uint8_t alloc_tid[STUN_TID_LEN];
	uint64_t expires;		/* ms */
	int relay[2];			/* handles, -1 when unused */
	sockaddr_u relayed[2];
	int nrelay;
	struct turn_perm *perms;	/* grown on demand up to the server's max_perms */
	int nperms, cap_perms;
	struct turn_chan *chans;	/* live and quarantined, up to max_chans */
	int nchans, cap_chans;
	uint64_t tat_ns[2];		/* bandwidth buckets, c2p and p2c: see turn_bw_admit() */
	struct timer timer;		/* fires at the earliest expiry inside */
	struct turn_server *srv;
	uint64_t pkts_c2p, bytes_c2p, pkts_p2c, bytes_p2c;
};

struct reservation {
	struct reservation *next;
	uint8_t token[8];
	int handle;
	sockaddr_u addr;
	struct timer timer;
	struct turn_server *srv;
};

struct turn_server {
	struct turn_params p;
	char *software;
	struct auth *auth;
	const struct peer_policy *policy;
	struct timerq *tq;
	struct turn_ops ops;
	struct txcache *txc;
	struct allocation **buckets;	/* by 5-tuple, nbuckets of them */
	struct allocation **by_id;	/* by id, nbuckets of them */
	uint32_t nbuckets;		/* a power of two */
	struct user_count *users[TURN_USER_BUCKETS];
	struct allocation **by_handle;	/* relay handle -> allocation */
	size_t nhandles;
	struct reservation *reservations;
	uint64_t next_id;		/* allocation ids */
	uint64_t ind_seq;		/* Data indication transaction ids */
	uint64_t generation;		/* bumped by every change to any allocation */
	struct turn_stats st;
	struct srclimit *unauth;	/* NULL: no limit on requests without an allocation */
	uint64_t bps_tau_ns;		/* bandwidth bucket depth in time: bps_burst at max_bps */
	uint8_t out[TURN_MAX_MSG];	/* scratch for building messages */
};

/* One request being answered. */
struct req {
	struct turn_server *s;
	const struct turn_tuple *t;
	const struct stun_msg *m;
	const struct turn_clock *now;
	struct allocation *a;		/* the tuple's allocation, or NULL */
	bool authed;
	bool sha256;			/* request used MESSAGE-INTEGRITY-SHA256 */
	uint8_t key[AUTH_KEY_LEN];
	char user[AUTH_MAX_NAME + 1];
};

/* turn.c */
uint32_t turn_tuple_bucket(const struct turn_server *s, const struct turn_tuple *t);
uint32_t turn_id_bucket(const struct turn_server *s, uint64_t id);
struct allocation *turn_find(struct turn_server *s, const struct turn_tuple *t);
struct allocation *turn_find_id(const struct turn_server *s, uint64_t id);
void turn_reply_begin(struct req *r, struct stun_writer *w, uint16_t cls);
void turn_reply_send(struct req *r, struct stun_writer *w);
void turn_reply_error(struct req *r, int code);
void turn_reply_error_ex(struct req *r, int code, const uint16_t *unknown, size_t nunknown);

/* turn_alloc.c */
void turn_allocate(struct req *r);
void turn_refresh(struct req *r);
void turn_alloc_release(struct allocation *a, const char *why);
void turn_alloc_rearm(struct allocation *a, uint64_t now_ms);
void turn_fwd_notify(struct allocation *a);
int turn_handle_bind(struct turn_server *s, int handle, struct allocation *a);

/* turn_relay.c */
void turn_create_permission(struct req *r);
void turn_channel_bind(struct req *r);
void turn_send_indication(struct turn_server *s, const struct turn_tuple *t,
			  const struct stun_msg *m, const struct turn_clock *now);
void turn_client_chandata(struct turn_server *s, const struct turn_tuple *t, const uint8_t *buf,
			  size_t len, const struct turn_clock *now);
bool turn_alloc_sweep(struct allocation *a, uint64_t now_ms);
int turn_reserve(struct allocation *a, int nperms, int nchans);
bool turn_bw_admit(struct allocation *a, int dir, size_t len, uint64_t now_ms);

#endif
