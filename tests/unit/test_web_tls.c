/* test_web_tls.c - the signaling server with tls_cert/tls_key: https and wss and plain http on one port. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "tap.h"
#include "unit/loop_pump.h"
#include "web.h"

static struct loop *lp;
static uint16_t port;

static int connect_nb(void)
{
	int fd = connect_local(port);

	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* A TLS client on a fresh connection, handshake done (pumping the server), or NULL. */
static SSL *tls_open(SSL_CTX *ctx)
{
	int fd = connect_nb(), ret = 0;
	SSL *s;

	if (fd < 0)
		return NULL;
	s = SSL_new(ctx);
	SSL_set_fd(s, fd);
	for (int i = 0; i < 400 && ret != 1; i++) {
		ret = SSL_connect(s);
		if (ret != 1 && SSL_get_error(s, ret) != SSL_ERROR_WANT_READ &&
		    SSL_get_error(s, ret) != SSL_ERROR_WANT_WRITE)
			break;
		pump(lp, 5);
	}
	if (ret != 1) {
		diag("TLS handshake failed");
		SSL_free(s);
		close(fd);
		return NULL;
	}
	return s;
}

static void tls_close(SSL *s)
{
	int fd = SSL_get_fd(s);

	SSL_free(s);
	close(fd);
}

/* Write, then read what comes within ~ms (pumping) into buf (NUL-terminated). */
static size_t tls_talk(SSL *s, const void *req, size_t len, char *buf, size_t cap, unsigned int ms)
{
	size_t n = 0;
	int r;

	if (len && SSL_write(s, req, (int)len) != (int)len)
		diag("SSL_write failed");
	for (unsigned int t = 0; t < ms; t += 5) {
		pump(lp, 5);
		while (n < cap - 1 && (r = SSL_read(s, buf + n, (int)(cap - 1 - n))) > 0)
			n += (size_t)r;
	}
	buf[n] = 0;
	return n;
}

#define UPGRADE "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n" \
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n\r\n"

static void test_tls(SSL_CTX *ctx)
{
	static const char ping[] = "{\"type\":\"ping\"}";
	uint8_t frame[64] = { 0x81, 0x80 | (sizeof(ping) - 1), 0, 0, 0, 0 };
	char buf[8192];
	SSL *s = tls_open(ctx);

	if (!ok(s != NULL, "TLS handshake with the server"))
		return;
	tls_talk(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, buf, sizeof(buf), 200);
	ok(!strncmp(buf, "HTTP/1.1 200 ", 13) && strstr(buf, "<html"), "https: GET / is the page");
	tls_close(s);

	s = tls_open(ctx);
	if (!s)
		return;
	tls_talk(s, UPGRADE, strlen(UPGRADE), buf, sizeof(buf), 100);
	ok(!strncmp(buf, "HTTP/1.1 101 ", 13), "wss: upgrade");
	memcpy(frame + 6, ping, sizeof(ping) - 1);	/* mask key 0: payload as is */
	tls_talk(s, frame, 6 + sizeof(ping) - 1, buf, sizeof(buf), 100);
	ok(buf[0] == (char)0x81 && strstr(buf + 2, "\"pong\""), "wss: ping answered with pong");
	tls_close(s);
}

static void test_plain_beside(void)
{
	char buf[4096];
	int fd = connect_nb();
	size_t n = 0;
	ssize_t r;

	send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, MSG_NOSIGNAL);
	for (int i = 0; i < 40; i++) {
		pump(lp, 5);
		while (n < sizeof(buf) - 1 && (r = recv(fd, buf + n, sizeof(buf) - 1 - n, 0)) > 0)
			n += (size_t)r;
	}
	buf[n] = 0;
	ok(!strncmp(buf, "HTTP/1.1 200 ", 13), "plain http on the same port still works");
	close(fd);
}

static void test_garbage_tls(void)
{
	char c[512];
	int fd = connect_nb();
	ssize_t r = 1;

	/* a handshake record header followed by junk */
	send(fd, "\x16\x03\x01\x00\x10junkjunkjunkjunk", 21, MSG_NOSIGNAL);
	for (int i = 0; i < 100 && r != 0; i++) {
		pump(lp, 5);
		while ((r = recv(fd, c, sizeof(c), 0)) > 0)
			;	/* a TLS alert */
	}
	ok(r == 0, "a broken TLS handshake is closed");
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/turnd-test-tls-XXXXXX", cmd[512], cert[128], key[128];
	struct signaling_cfg cfg = {
		.on = true, .nlisten = 1, .credential_lifetime = 600, .max_connections = 64,
		.max_per_address = 16, .idle_timeout = 60, .max_message = 4096, .max_rooms = 10,
		.max_members = 4, .tls_cert = cert, .tls_key = key,
	};
	struct web_stats st;
	struct web *w;
	SSL_CTX *ctx;

	log_set_level(LOG_LVL_WARN);
	if (!mkdtemp(dir))
		return 1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		 "-nodes -subj /CN=localhost -days 1 -keyout %s -out %s 2>/dev/null", key, cert);
	if (!ok(system(cmd) == 0, "a self-signed certificate (openssl req)"))
		return done_testing();
	lp = loop_new();
	addr_parse("127.0.0.1:0", 0, &cfg.listen[0]);
	w = web_new(lp, &cfg, "s3cret", 3478);
	if (!ok(w != NULL, "web_new with tls_cert and tls_key"))
		return done_testing();
	port = web_port(w, 0);
	ctx = SSL_CTX_new(TLS_client_method());
	test_tls(ctx);
	test_plain_beside();
	test_garbage_tls();
	web_get_stats(w, &st);
	ok(st.tls_failed == 1, "the failed handshake is counted (%llu)",
	   (unsigned long long)st.tls_failed);
	SSL_CTX_free(ctx);
	web_free(w);
	loop_free(lp);

	cfg.tls_key = cert;	/* a certificate is not a key */
	lp = loop_new();
	w = web_new(lp, &cfg, NULL, 3478);
	ok(w == NULL, "a key file that is no key: web_new fails (logged)");
	web_free(w);
	loop_free(lp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		diag("cannot remove %s", dir);
	return done_testing();
}
