/* web_io.c - byte I/O for signaling connections: plain TCP or TLS (OpenSSL), non-blocking, buffered output. */
#include "web_io.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

static const char *ssl_why(void)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	return e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown" :
		   "no detail";
}

struct ssl_ctx_st *web_tls_ctx(const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		pr_err("signaling tls: cannot create a context: %s", ssl_why());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		pr_err("signaling tls: cannot load tls_cert=%s: %s", cert, ssl_why());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		pr_err("signaling tls: cannot load tls_key=%s: %s", key, ssl_why());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		pr_err("signaling tls: tls_key=%s does not match tls_cert=%s: %s", key, cert,
		       ssl_why());
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void web_tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

int web_io_start_tls(struct web_io *io, struct ssl_ctx_st *ctx)
{
	io->ssl = SSL_new(ctx);
	if (!io->ssl || SSL_set_fd(io->ssl, io->fd) != 1) {
		SSL_free(io->ssl);
		io->ssl = NULL;
		ERR_clear_error();
		return -ENOMEM;
	}
	SSL_set_accept_state(io->ssl);
	io->handshaking = true;
	return 0;
}

/* Map an OpenSSL result: -EAGAIN (retry when the socket is ready), 0 (clean end) or -errno. */
static int ssl_result(struct web_io *io, int ret)
{
	int e = SSL_get_error(io->ssl, ret);

	io->want_write = e == SSL_ERROR_WANT_WRITE;
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno ? -errno : -EPIPE;
	default:
		pr_debug("signaling tls: fd=%d failed: %s", io->fd, ssl_why());
		return -EPROTO;
	}
}

int web_io_handshake(struct web_io *io)
{
	int ret;

	if (!io->handshaking)
		return 1;
	ret = SSL_accept(io->ssl);
	if (ret == 1) {
		io->handshaking = false;
		io->want_write = false;
		return 1;
	}
	ret = ssl_result(io, ret);
	return ret == -EAGAIN ? 0 : -EPROTO;
}

ssize_t web_io_read(struct web_io *io, void *buf, size_t cap)
{
	ssize_t n;
	int ret;

	if (!io->ssl) {
		n = recv(io->fd, buf, cap, 0);
		return n >= 0 ? n : -errno;
	}
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	ret = SSL_read(io->ssl, buf, (int)cap);
	if (ret > 0) {
		io->want_write = false;
		return ret;
	}
	return ssl_result(io, ret);
}

/* Write buf[0..len) now: bytes taken (maybe fewer), or -errno (-EAGAIN: none). */
static ssize_t raw_write(struct web_io *io, const void *buf, size_t len)
{
	ssize_t n;
	int ret;

	if (!io->ssl) {
		n = send(io->fd, buf, len, MSG_NOSIGNAL);
		return n >= 0 ? n : -errno;
	}
	if (io->handshaking)
		return -EAGAIN;
	if (len > INT32_MAX)
		len = INT32_MAX;
	ret = SSL_write(io->ssl, buf, (int)len);
	if (ret > 0) {
		io->want_write = false;
		return ret;
	}
	ret = ssl_result(io, ret);
	return ret ? ret : -EPIPE;
}

int web_io_flush(struct web_io *io)
{
	while (io->off < io->len) {
		ssize_t n = raw_write(io, io->out + io->off, io->len - io->off);

		if (n == -EAGAIN || n == -EINTR)
			break;
		if (n < 0)
			return (int)n;
		io->off += (size_t)n;
	}
	if (io->off == io->len)
		io->off = io->len = 0;
	return 0;
}

static int queue(struct web_io *io, const void *buf, size_t len)
{
	size_t need, cap;
	uint8_t *p;

	if (io->off) {		/* slide the pending bytes to the front */
		memmove(io->out, io->out + io->off, io->len - io->off);
		io->len -= io->off;
		io->off = 0;
	}
	need = io->len + len;
	if (need > io->max_out)
		return -ENOBUFS;
	if (need > io->cap) {
		cap = io->cap ? io->cap : 4096;
		while (cap < need)
			cap *= 2;
		p = realloc(io->out, cap);
		if (!p)
			return -ENOMEM;
		io->out = p;
		io->cap = cap;
	}
	memcpy(io->out + io->len, buf, len);
	io->len += len;
	return 0;
}

int web_io_send(struct web_io *io, const void *buf, size_t len)
{
	int err = web_io_flush(io);

	if (err)
		return err;
	if (!web_io_pending(io)) {
		ssize_t n = raw_write(io, buf, len);

		if (n < 0 && n != -EAGAIN && n != -EINTR)
			return (int)n;
		if (n > 0) {
			buf = (const uint8_t *)buf + n;
			len -= (size_t)n;
		}
	}
	return len ? queue(io, buf, len) : 0;
}

bool web_io_pending(const struct web_io *io)
{
	return io->off < io->len;
}

void web_io_close(struct web_io *io)
{
	if (io->ssl) {
		if (!io->handshaking)
			SSL_shutdown(io->ssl);	/* best effort close_notify */
		SSL_free(io->ssl);
		ERR_clear_error();
	}
	if (io->fd >= 0)
		close(io->fd);
	free(io->out);
	memset(io, 0, sizeof(*io));
	io->fd = -1;
}
