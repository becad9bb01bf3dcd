/* soak_int.h - the soak client's state, shared by its run loop, transactions and traffic. */
#ifndef TURND_SOAK_INT_H
#define TURND_SOAK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "auth.h"
#include "stun.h"

#define SOAK_RTO_MS 250		/* first retransmission; doubles each time */
#define SOAK_TRIES 5		/* transmissions of one request: 250+500+1000+2000+4000 ms */
#define SOAK_AUTH_ROUNDS 3	/* 401/438 answers one transaction may take before it fails */
#define SOAK_LOSS_MS 2000	/* an echo later than this counts as lost */
#define SOAK_RING (1u << 18)	/* packets in flight tracked (> pps * SOAK_LOSS_MS / 1000) */
#define SOAK_MAX_PPS 50000
#define SOAK_MAX_FLOWS 60000
#define SOAK_CHAN_FIRST 0x4000
#define SOAK_CHAN_COUNT 0x1000

/* The transaction a flow has in flight (ST_IDLE: none). */
enum soak_step { ST_IDLE, ST_ALLOCATE, ST_REFRESH, ST_PERMIT, ST_BIND, ST_RELEASE };

enum soak_phase { PH_SETUP, PH_RUN, PH_DRAIN, PH_RELEASE, PH_DONE, PH_ABORTED };

/* One client: an allocation with one permission and one channel to the peer. */
struct soak_flow {
	int fd;
	uint32_t idx;
	uint16_t client_port;
	uint16_t relay_port;
	uint16_t channel;
	uint8_t step;		/* enum soak_step */
	uint8_t tries;		/* transmissions of the request in flight */
	uint8_t auth_rounds;	/* 401/438 answers taken by the transaction in flight */
	bool ready;		/* channel bound once: sends traffic, refreshed */
	bool vanish;		/* picked to vanish */
	bool gone;		/* vanished: silent from then on */
	bool dead;		/* setup or refresh failed for good */
	bool released;
	uint8_t tid[STUN_TID_LEN];
	uint64_t first_ms;	/* first transmission of the request in flight */
	uint64_t next_tx_ms;	/* its next retransmission (or time-out) */
	uint64_t cycle_ms;	/* start of the current refresh cycle */
	uint64_t due_ms;	/* start of the next refresh cycle */
	uint64_t expires_ms;	/* the allocation's expiry as last granted (upper bound) */
};

struct soak_opts {
	sockaddr_u server, peer, local;
	const char *user, *password;
	const char *stats_path, *ports_path, *vanished_path;
	uint32_t n;		/* allocations */
	uint32_t lifetime_s;	/* LIFETIME asked for */
	uint32_t refresh_ms;	/* period of the refresh cycle (Refresh, CreatePermission, ChannelBind) */
	uint32_t duration_s;	/* traffic and refreshes after the setup */
	uint32_t pps;		/* ChannelData per second, over all live flows */
	uint32_t vanish_pct;	/* clients that vanish */
	uint32_t vanish_s;	/* when, after the setup */
	uint32_t window;	/* transactions in flight at most (new cycles wait) */
	uint32_t setup_s;	/* the setup must be done within */
};

struct soak_counters {
	uint64_t sent, echoed, lost, late, dup, bad_echo, send_err;
	uint64_t txn_ok, retrans, stale_nonce, stray, cycles;
	uint64_t err_timeout, err_response, err_integrity, err_malformed, err_other;
	uint64_t released, release_err;
};

/* Echo accounting: a ring of the packets in flight, judged SOAK_LOSS_MS after sending. */
struct soak_traffic {
	uint64_t next_seq;	/* packets sent */
	uint64_t cursor;	/* first packet not judged yet */
	uint32_t *sent_ms;	/* per ring slot: send time, ms since the run started */
	uint8_t *got;		/* per ring slot: echoed */
	uint64_t last_ms;	/* last budget update */
	double budget;		/* packets owed to the rate */
	uint32_t rr;		/* next flow to send, round robin */
};

struct soak {
	struct soak_opts o;
	struct soak_flow *flows;
	int epfd;
	char realm[128];
	char nonce[256];
	uint8_t key[AUTH_KEY_LEN];
	bool have_auth;
	uint32_t granted_s;	/* LIFETIME the server granted last */
	uint32_t inflight;	/* transactions in flight */
	uint32_t next_setup;	/* next flow to set up */
	uint32_t setup_done, setup_failed, nvanish;
	enum soak_phase phase;
	uint64_t t0, t_ready, t_vanish, vanish_deadline, t_phase, t_scan;
	struct soak_traffic tr;
	struct soak_counters c;
};

/* soak_txn.c: requests of one flow, one at a time, with retransmissions. */
void txn_start(struct soak *s, struct soak_flow *f, enum soak_step step, uint64_t now);
/* Retransmit or time out f's request when due. */
void txn_tick(struct soak *s, struct soak_flow *f, uint64_t now);
/* A STUN message that came on f's socket. */
void txn_input(struct soak *s, struct soak_flow *f, const uint8_t *buf, size_t len, uint64_t now);
/* Drop f's request in flight (it vanished), keeping what the server may have granted. */
void txn_abandon(struct soak *s, struct soak_flow *f);

/* soak_traffic.c */
int traffic_init(struct soak_traffic *t);
void traffic_free(struct soak_traffic *t);
/* Send what the rate owes, round robin over the ready flows that have not vanished. */
void traffic_send(struct soak *s, uint64_t now);
/* A ChannelData that came on f's socket. */
void traffic_echo(struct soak *s, struct soak_flow *f, const uint8_t *buf, size_t len);
/* Count as lost the packets sent SOAK_LOSS_MS ago (all of them when all is set) not echoed. */
void traffic_judge(struct soak *s, uint64_t now, bool all);

/* soak_run.c: a flow's refresh cycle is over (ok) or failed (with the error). */
void flow_cycle_done(struct soak *s, struct soak_flow *f, uint64_t now);
void flow_cycle_failed(struct soak *s, struct soak_flow *f, int err, uint64_t now);

#endif
