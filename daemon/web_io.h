/* web_io.h - byte I/O for signaling connections: plain TCP or TLS (OpenSSL), non-blocking, buffered output. */
#ifndef TURND_WEB_IO_H
#define TURND_WEB_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ssl_ctx_st;
struct ssl_st;

/* One connection's transport: the socket, TLS when ssl is set, and what is waiting to go out. */
struct web_io {
	int fd;
	struct ssl_st *ssl;		/* NULL: plain */
	bool handshaking;		/* TLS accept not finished */
	bool want_write;		/* the last TLS call wants the socket writable */
	uint8_t *out;			/* output queue: out[off..len) pending */
	size_t off, len, cap;
	size_t max_out;			/* a queue longer than this: -ENOBUFS (a reader too slow) */
};

/* A server TLS context from PEM files (TLS 1.2+); NULL (logged, naming the file) on error. */
struct ssl_ctx_st *web_tls_ctx(const char *cert, const char *key);
void web_tls_ctx_free(struct ssl_ctx_st *ctx);

/* Start TLS on io (after the client's first byte showed a handshake): 0 or -ENOMEM. */
int web_io_start_tls(struct web_io *io, struct ssl_ctx_st *ctx);

/*
 * Drive the TLS handshake: 1 done, 0 in progress (wait for the socket), -EPROTO failed (the
 * reason is logged at debug level: scanners and old clients fail here all day).
 */
int web_io_handshake(struct web_io *io);

/* Read up to cap bytes: the count, 0 at end of stream, -EAGAIN, or -errno (-EPROTO for TLS). */
ssize_t web_io_read(struct web_io *io, void *buf, size_t cap);

/* Queue len bytes and write what the socket takes now: 0, -ENOBUFS (over max_out) or -errno. */
int web_io_send(struct web_io *io, const void *buf, size_t len);

/* Write what is queued: 0 (maybe some left; see web_io_pending) or -errno. */
int web_io_flush(struct web_io *io);

/* Whether output is waiting (watch EPOLLOUT then). */
bool web_io_pending(const struct web_io *io);

/* Free TLS state and buffers and close the socket. */
void web_io_close(struct web_io *io);

#endif
