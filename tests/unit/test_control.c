/* test_control.c - the control socket's answers: every command, its errors and hostile requests. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "tap.h"
#include "turn_client.h"

#define OUT_CAP (64 * 1024)

struct env {
	struct auth *auth;
	struct peer_policy pol;
	struct timerq tq;
	struct turn_server *s;
	int closed;
	char out[OUT_CAP];
};

static int fake_open(void *ctx, int af, unsigned flags, sockaddr_u *addr, int *nh, sockaddr_u *na)
{
	(void)ctx, (void)af, (void)flags, (void)addr, (void)nh, (void)na;
	return -EADDRINUSE;
}

static void fake_close(void *ctx, int handle)
{
	(void)handle;
	((struct env *)ctx)->closed++;
}

static void fake_send_client(void *ctx, const struct turn_tuple *t, const uint8_t *b, size_t n)
{
	(void)ctx, (void)t, (void)b, (void)n;
}

static void fake_send_peer(void *ctx, int h, const sockaddr_u *p, const uint8_t *b, size_t n,
			   bool df)
{
	(void)ctx, (void)h, (void)p, (void)b, (void)n, (void)df;
}

/* Restore allocation id of user, client 192.0.2.N:40000+N, relay 198.18.0.1:59000+N. */
static int add_alloc(struct env *e, uint64_t id, const char *user, int n, bool entries)
{
	static const uint8_t key[AUTH_KEY_LEN];
	uint64_t now = loop_now_ms();
	struct turn_tuple t = { .proto = IPPROTO_UDP };
	struct turn_perm perm = { .ip = tc_addr("198.51.100.7:0"), .expires = now + 300000 };
	struct turn_chan chan = { .num = 0x4000, .peer = tc_addr("198.51.100.7:5000"),
				  .expires = now + 600000, .live = true };
	sockaddr_u relayed = tc_addr("198.18.0.1:59000");
	struct turn_fwd f = { .id = id, .user = user, .key = key, .tuple = &t, .relay = &n,
			      .relayed = &relayed, .nrelay = 1, .expires = now + 600000,
			      .perms = &perm, .nperms = entries, .chans = &chan,
			      .nchans = entries };
	char s[32];

	snprintf(s, sizeof(s), "192.0.2.%d:%d", n, 40000 + n);
	t.client = tc_addr(s);
	t.server = tc_addr("192.0.2.1:34790");
	addr_set_port(&relayed, (uint16_t)(59000 + n));
	return turn_restore(e->s, &f, now);
}

static void setup(struct env *e)
{
	static const struct turn_params p = { .default_lifetime = 600, .max_lifetime = 3600,
					      .perm_lifetime = 300, .chan_lifetime = 600 };
	struct turn_ops o = { .ctx = e, .relay_open = fake_open, .relay_close = fake_close,
			      .send_client = fake_send_client, .send_peer = fake_send_peer };

	memset(e, 0, sizeof(*e));
	e->auth = auth_new("example.org", 600);
	timerq_init(&e->tq);
	e->s = e->auth ? turn_new(&p, e->auth, &e->pol, &e->tq, &o) : NULL;
	if (!e->s || add_alloc(e, 11, "alice", 1, true) || add_alloc(e, 12, "alice", 2, false) ||
	    add_alloc(e, 13, "bob", 3, false))
		abort();
}

/* The answer to req, NUL-terminated in e->out. */
static const char *ask(struct env *e, const char *req)
{
	size_t n = control_answer(e->s, NULL, NULL, loop_now_ms(), req, e->out, sizeof(e->out));

	e->out[n < sizeof(e->out) ? n : sizeof(e->out) - 1] = 0;
	return e->out;
}

static bool has(const char *s, const char *part)
{
	bool r = strstr(s, part) != NULL;

	if (!r)
		diag("'%s' not in %s", part, s);
	return r;
}

static bool ends_line(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && s[n - 2] == '}' && s[n - 1] == '\n';
}

static void reads(struct env *e)
{
	const char *a = ask(e, "{\"cmd\":\"status\"}");

	ok(has(a, "{\"ok\":true,") && has(a, "\"allocations\":3,") &&
	   has(a, "\"permissions\":1,") && has(a, "\"channels\":1,") && ends_line(a),
	   "status: ok, 3 allocations, 1 permission, 1 channel");
	ok(has(a, "\"xdp\":{\"enabled\":false"), "status: no fast path");
	a = ask(e, "{\"cmd\":\"allocations\"}\n");
	ok(has(a, "\"count\":3,\"truncated\":false}") && ends_line(a), "allocations: 3 listed");
	ok(has(a, "{\"id\":11,\"user\":\"alice\",\"client\":\"192.0.2.1:40001\","
		  "\"server\":\"192.0.2.1:34790\",\"relayed\":[\"198.18.0.1:59001\"]"),
	   "allocations: id 11 with its user, client, server and relayed address");
	ok(has(a, "\"path\":\"userspace\",\"permissions\":1,\"channels\":1,\"pkts_c2p\":0"),
	   "allocations: id 11 path, counts and counters");
	ok(has(a, "{\"id\":13,\"user\":\"bob\""), "allocations: id 13 of bob");
	a = ask(e, "{\"cmd\":\"allocation\",\"id\":11}");
	ok(has(a, "{\"ok\":true,\"allocation\":{\"id\":11,") && ends_line(a),
	   "allocation 11: found");
	ok(has(a, "\"permissions\":[{\"peer\":\"198.51.100.7\",\"expires_in\":") &&
	   (strstr(a, "\"expires_in\":300}") || has(a, "\"expires_in\":299}")),
	   "allocation 11: its permission with time left");
	ok(has(a, "\"channels\":[{\"number\":16384,\"peer\":\"198.51.100.7:5000\","
		  "\"expires_in\":") &&
	   (strstr(a, "\"expires_in\":600}") || has(a, "\"expires_in\":599}")),
	   "allocation 11: its channel");
	ok(has(a, "\"kernel\":{\"pkts_c2p\":0"), "allocation 11: kernel counters (none)");
	a = ask(e, "{\"cmd\":\"allocation\",\"id\":12}");
	ok(has(a, "\"permissions\":[],\"channels\":[]}}"),
	   "allocation 12: no permission, no channel");
}

static void errors(struct env *e)
{
	static const struct { const char *req, *want; } cases[] = {
		{ "{\"cmd\":\"allocation\",\"id\":99}", "\"code\":\"not_found\"" },
		{ "{\"cmd\":\"allocation\",\"id\":\"11\"}", "\"code\":\"bad_request\"" },
		{ "{\"cmd\":\"allocation\",\"id\":0}", "\"code\":\"bad_request\"" },
		{ "{\"cmd\":\"allocation\",\"id\":-11}", "\"code\":\"bad_request\"" },
		{ "{\"cmd\":\"allocation\"}", "\"code\":\"bad_request\"" },
		{ "{\"cmd\":\"status\",\"x\":1}", "takes no member" },
		{ "{\"cmd\":\"kill\",\"id\":99}", "\"code\":\"not_found\"" },
		{ "{\"cmd\":\"kill\",\"user\":\"carol\"}", "\"code\":\"not_found\"" },
		{ "{\"cmd\":\"kill\",\"user\":\"alice\",\"id\":11}", "not both" },
		{ "{\"cmd\":\"kill\"}", "\"code\":\"bad_request\"" },
		{ "{\"cmd\":\"nope\"}", "unknown command" },
		{ "{\"cmd\":7}", "\"code\":\"bad_request\"" },
		{ "{}", "\"code\":\"bad_request\"" },
		{ "", "malformed request" },
		{ "status", "malformed request" },
		{ "{\"cmd\":\"status\"", "unterminated" },
		{ "{\"cmd\":{\"a\":1}}", "nested" },
		{ "{\"cmd\":\"status\",\"cmd\":\"kill\"}", "duplicate key" },
		{ "{\"cmd\":\"\\\"}\\n\"}", "unknown command \\\"\\\"}\\u000a\\\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *a = ask(e, cases[i].req);

		ok(!strncmp(a, "{\"ok\":false,\"error\":\"", 21) && has(a, cases[i].want) &&
		   ends_line(a), "refused: %s", cases[i].req);
	}
}

static void kills(struct env *e)
{
	const char *a = ask(e, "{\"cmd\":\"kill\",\"id\":12}");

	ok(has(a, "{\"ok\":true,\"killed\":1}"), "kill 12");
	is_int(e->closed, 1, "its relay closed");
	ok(has(ask(e, "{\"cmd\":\"allocations\"}"), "\"count\":2,"), "2 allocations left");
	ok(has(ask(e, "{\"cmd\":\"kill\",\"id\":12}"), "not_found"), "kill 12 again: not found");
	ok(has(ask(e, "{\"cmd\":\"kill\",\"user\":\"alice\"}"), "{\"ok\":true,\"killed\":1}"),
	   "kill user alice: 1 left of hers");
	ok(has(ask(e, "{\"cmd\":\"allocations\"}"), "\"count\":1,") &&
	   has(e->out, "\"user\":\"bob\""), "bob's allocation remains");
	ok(has(ask(e, "{\"cmd\":\"kill\",\"user\":\"alice\"}"), "not_found"),
	   "kill user alice again: not found");
	is_int(e->closed, 2, "two relays closed in all");
}

static void reload(struct env *e)
{
	struct timespec zero = { 0 };
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	ok(has(ask(e, "{\"cmd\":\"reload\"}"), "{\"ok\":true"), "reload: ok");
	sigpending(&pend);
	ok(sigismember(&pend, SIGHUP), "reload raised SIGHUP");
	is_int(sigtimedwait(&set, NULL, &zero), SIGHUP, "(consumed)");
}

/* Small buffers: the answer stays NUL-terminated; a long list is cut, still valid JSON. */
static void small(struct env *e)
{
	char buf[2600];
	size_t n;

	add_alloc(e, 21, "dave", 4, true);
	add_alloc(e, 22, "dave", 5, true);
	add_alloc(e, 23, "dave", 6, true);
	n = control_answer(e->s, NULL, NULL, 0, "{\"cmd\":\"status\"}", buf, 16);
	ok(n < 16 && buf[n] == 0, "a 16-byte buffer: cut, NUL-terminated (%zu)", n);
	n = control_answer(e->s, NULL, NULL, 0, "{\"cmd\":\"allocations\"}", buf, sizeof(buf));
	ok(n < sizeof(buf) && buf[n] == 0 && has(buf, "\"truncated\":true}\n"),
	   "allocations in 2600 bytes: the list is cut and says so");
	ok(has(ask(e, "{\"cmd\":\"allocations\"}"), "\"count\":4,\"truncated\":false"),
	   "with room, all 4 are listed");
}

int main(void)
{
	static struct env e;

	setup(&e);
	reads(&e);
	errors(&e);
	kills(&e);
	reload(&e);
	small(&e);
	turn_free(e.s);
	auth_free(e.auth);
	return done_testing();
}
