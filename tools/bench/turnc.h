/* turnc.h - the benchmark's TURN client: blocking transactions over one UDP socket each. */
#ifndef TURNBENCH_TURNC_H
#define TURNBENCH_TURNC_H

#include <signal.h>
#include <stdint.h>

#include "addr.h"
#include "auth.h"

/*
 * What every request needs: server, credentials, the current realm and nonce (learnt from
 * the first 401 and renewed on 438), and a stop flag (a signal handler's) that ends a
 * transaction early with -EINTR.
 */
struct turnc_sess {
	sockaddr_u server;
	const char *user;
	const char *password;
	char realm[256];
	char nonce[256];
	uint8_t key[AUTH_KEY_LEN];
	uint32_t lifetime;
	int have_auth;
	volatile sig_atomic_t *stop;
};

/* One allocation: its socket (bound, connected to the server) and what the relay answered. */
struct turnc_alloc {
	int fd;
	uint16_t client_port;
	uint16_t relay_port;
};

/* A UDP socket bound to local (port 0: any) and connected to the server. 0 or -errno. */
int turnc_open(struct turnc_sess *s, struct turnc_alloc *a, const sockaddr_u *local);
/*
 * The requests, each one transaction with retransmissions (500 ms, 4 tries); 401 and 438
 * are answered with fresh credentials. 0 on success, the error code (> 0) of an error
 * response, or -errno (-ETIMEDOUT, -EINTR on stop).
 */
int turnc_allocate(struct turnc_sess *s, struct turnc_alloc *a);
int turnc_permit(struct turnc_sess *s, struct turnc_alloc *a, const sockaddr_u *peer);
int turnc_bind(struct turnc_sess *s, struct turnc_alloc *a, const sockaddr_u *peer,
	       uint16_t channel);
int turnc_refresh(struct turnc_sess *s, struct turnc_alloc *a);
/* Refresh with lifetime 0, sent once without waiting; closes the socket. */
void turnc_release(struct turnc_sess *s, struct turnc_alloc *a);
/* Text for a turnc_* result. */
const char *turnc_strerror(int err);

#endif
