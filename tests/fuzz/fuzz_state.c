/* fuzz_state.c - libFuzzer harness: any bytes as a state file, loaded into a loopback turnd. */
/*
 * Build, seed and run from the repo root (each command on one line):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon -Ibpf
 *	tests/fuzz/fuzz_state.c daemon/state.c daemon/udp.c daemon/loop.c daemon/timerq.c
 *	daemon/addr.c daemon/auth.c daemon/chandata.c daemon/crc32.c daemon/policy.c
 *	daemon/stun.c daemon/stun_build.c daemon/turn.c daemon/turn_alloc.c
 *	daemon/turn_relay.c daemon/txcache.c daemon/srclimit.c -lcrypto -o fuzz_state
 *   mkdir -p /tmp/corpus_state && printf '%s\n'
 *	'A 7 616c696365 @K 17 127.0.0.1:40001 @S @E 127.0.0.1:57901 127.0.0.1:57901'
 *	'P 198.51.100.7:0 @E' 'C 16384 198.51.100.7:6000 @E' E END > /tmp/corpus_state/one
 *   ./fuzz_state -max_total_time=60 /tmp/corpus_state
 *
 * Input: unless it starts with '!', the harness writes this boot's header line first and
 * replaces "@S" by the listen address, "@E" by an expiry 10 minutes ahead and "@K" by
 * alice's key, so that mutations reach restore_one(); after '!' the bytes are the file as is.
 * Checks, abort() on a violation: state_load returns -EINVAL, -ENOMEM or the number of
 * allocations it restored, and restores nothing when it fails; each restored allocation is
 * sane (user, relays on loopback ports of the range, entries within the core's limits, not
 * expired); releasing them closes every socket state_load opened. When the core's generation
 * did not move, nothing was inserted: the harness then checks the counters instead of walking
 * every hash bucket (most inputs restore nothing, and the walk was 75% of the time). The file
 * is rewritten in place, in /dev/shm when there is one. The harness has no XDP and no
 * metrics: those hooks are stubs. Log lines are dropped unless FUZZ_STATE_LOG=1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "fastpath.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "state.h"
#include "turn.h"
#include "udp.h"

#define PORT_MIN 57000		/* not test_state's range: both may run at once */
#define PORT_MAX 57999
#define MAX_IDS 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	struct loop *l;
	struct udp *u;
	struct turn_server *turn;
	struct auth *auth;
	struct peer_policy pol;
	char listen_s[ADDR_STRLEN];
	char key_hex[2 * AUTH_KEY_LEN + 1];
	char boot[64];
	char path[64];
	bool log;
} g;

/* No fast path here: udp.c calls these only when one is set, which never happens. */
int fastpath_sync(struct fastpath *fp, const struct turn_fwd *f)
{
	(void)fp;
	(void)f;
	abort();
}

void fastpath_release(struct fastpath *fp, uint64_t id)
{
	(void)fp;
	(void)id;
	abort();
}

/* No latency histogram here either (udp.c times requests only when one is set). */
void metrics_observe_request(struct latency_hist *h, double seconds)
{
	(void)h;
	(void)seconds;
	abort();
}

/* The daemon's logging, silenced (malformed inputs log one line each). */
void log_printf(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!g.log)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "level=%d ", (int)lvl);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* What is open, for the report of a leak. */
static void dump_fds(int probe)
{
	char p[64], t[256];

	for (int fd = 0; fd < probe + 8; fd++) {
		ssize_t n;

		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		n = readlink(p, t, sizeof(t) - 1);
		if (n > 0) {
			t[n] = 0;
			fprintf(stderr, "fd %d -> %s\n", fd, t);
		}
	}
	fprintf(stderr, "lowest free fd was %d before state_load\n", probe);
}

static void read_boot(void)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (!f || !fgets(g.boot, sizeof(g.boot), f))
		snprintf(g.boot, sizeof(g.boot), "unknown");
	if (f)
		fclose(f);
	g.boot[strcspn(g.boot, "\n")] = 0;
}

static void remove_file(void)
{
	unlink(g.path);
}

static void init(void)
{
	struct relay_cfg rc = { .naddr = 1, .port_min = PORT_MIN, .port_max = PORT_MAX };
	struct turn_params p = { .default_lifetime = 600, .max_lifetime = 3600,
				 .perm_lifetime = 300, .chan_lifetime = 600, .first_id = 1000,
				 .hash_buckets = 8, .txcache_slots = 64 };
	struct turn_ops ops;
	uint8_t key[AUTH_KEY_LEN];
	sockaddr_u listen;
	socklen_t l = sizeof(listen);
	int fd;

	g.log = getenv("FUZZ_STATE_LOG") != NULL;
	read_boot();
	/* tmpfs: creating and truncating a file on ext4 cost more than parsing it */
	snprintf(g.path, sizeof(g.path), "%s/fuzz_state.%d",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", (int)getpid());
	atexit(remove_file);
	addr_parse("127.0.0.1:0", 0, &rc.addr[0]);
	/* a free loopback port for the listener */
	addr_parse("127.0.0.1:0", 0, &listen);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, &listen.sa, addr_len(&listen)) || getsockname(fd, &listen.sa, &l))
		abort();
	close(fd);
	addr_format(&listen, g.listen_s, sizeof(g.listen_s));
	g.auth = auth_new("example.org", 600);
	if (!g.auth || auth_add_user(g.auth, "alice", "s3cret"))
		abort();
	auth_derive_key("alice", "example.org", "s3cret", key);
	for (int i = 0; i < AUTH_KEY_LEN; i++)
		sprintf(g.key_hex + 2 * i, "%02x", key[i]);
	g.l = loop_new();
	g.u = g.l ? udp_new(g.l, &listen, 1, &rc) : NULL;
	if (!g.u)
		abort();
	udp_ops(g.u, &ops);
	g.turn = turn_new(&p, g.auth, &g.pol, loop_timers(g.l), &ops);
	if (!g.turn)
		abort();
	udp_attach(g.u, g.turn);
}

/* Write the input as a state file (header and substitutions unless it starts with '!'). */
static void write_input(const uint8_t *data, size_t size, uint64_t exp)
{
	FILE *f = fopen(g.path, "w");

	if (!f)
		abort();
	if (size && data[0] == '!') {
		fwrite(data + 1, 1, size - 1, f);
	} else {
		fprintf(f, "turnd-state 1 %s\n", g.boot);
		for (size_t i = 0; i < size; i++) {
			if (data[i] == '@' && i + 1 < size && strchr("SEK", data[i + 1])) {
				if (data[i + 1] == 'S')
					fputs(g.listen_s, f);
				else if (data[i + 1] == 'E')
					fprintf(f, "%llu", (unsigned long long)exp);
				else
					fputs(g.key_hex, f);
				i++;
			} else {
				fputc(data[i], f);
			}
		}
	}
	if (fclose(f))
		abort();
}

struct walk {
	uint64_t now;
	int n;
	uint64_t ids[MAX_IDS];
};

static void check_one(const struct turn_fwd *f, void *arg)
{
	struct walk *w = arg;
	size_t ulen = strlen(f->user);

	if (!ulen || ulen > AUTH_MAX_NAME || f->nrelay < 1 || f->nrelay > 2)
		abort();
	if (f->expires <= w->now || f->nperms < 0 || f->nperms > 64 || f->nchans < 0 ||
	    f->nchans > 64)
		abort();
	for (int i = 0; i < f->nrelay; i++) {
		sockaddr_u a;
		socklen_t l = sizeof(a);

		if (getsockname(f->relay[i], &a.sa, &l) || a.sa.sa_family != AF_INET ||
		    addr_port(&a) < PORT_MIN || addr_port(&a) > PORT_MAX)
			abort();
	}
	if (w->n < MAX_IDS)
		w->ids[w->n] = f->id;
	w->n++;
}

/* Check what state_load restored, then release it. */
static void check_restored(int n, uint64_t gen_before, uint64_t now)
{
	const struct turn_stats *st = turn_get_stats(g.turn);
	struct walk w = { .now = now };

	if (turn_generation(g.turn) == gen_before) {
		/* no insertion: the table is as the last input left it, empty */
		if (n > 0 || st->allocations)
			abort();
		return;
	}
	turn_foreach_fwd(g.turn, check_one, &w);
	if (w.n != (n > 0 ? n : 0) || w.n > MAX_IDS || st->allocations != (uint64_t)w.n)
		abort();
	for (int i = 0; i < w.n; i++)
		if (turn_kill_alloc(g.turn, w.ids[i]))
			abort();
	if (st->allocations)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now, gen;
	int n, probe;

	if (!g.turn)
		init();
	/* per input: libFuzzer itself may open descriptors between inputs (its symbolizer) */
	probe = lowest_free_fd();
	now = loop_now_ms();
	write_input(data, size, now + 600000);
	gen = turn_generation(g.turn);
	n = state_load(g.path, g.u, g.turn, now);
	if (n < 0 && n != -EINVAL && n != -ENOMEM)
		abort();
	check_restored(n, gen, now);
	if (lowest_free_fd() != probe) {
		dump_fds(probe);
		abort();	/* a socket outlived its allocation */
	}
	return 0;
}
