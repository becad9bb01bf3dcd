/* state.c - the allocation state file: written atomically, read back by a restarted turnd. */
#include "state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chandata.h"
#include "log.h"

#define STATE_MAGIC "turnd-state 1"
#define STATE_LINE 4096	/* a longest A line (512-byte user in hex) is about 1.6 KB */

static void boot_id(char out[64])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	out[0] = 0;
	if (f) {
		if (!fgets(out, 64, f))
			out[0] = 0;
		fclose(f);
	}
	out[strcspn(out, "\n")] = 0;
	if (!out[0])
		strcpy(out, "unknown");
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

struct save_ctx {
	FILE *f;
	int err;
};

static void save_one(const struct turn_fwd *a, void *arg)
{
	struct save_ctx *c = arg;
	char user[2 * AUTH_MAX_NAME + 1], key[2 * AUTH_KEY_LEN + 1], b1[ADDR_STRLEN],
		b2[ADDR_STRLEN];

	hex((const uint8_t *)a->user, strlen(a->user), user);
	hex(a->key, AUTH_KEY_LEN, key);
	fprintf(c->f, "A %llu %s %s %u %s %s %llu", (unsigned long long)a->id, user, key,
		a->tuple->proto, addr_format(&a->tuple->client, b1, sizeof(b1)),
		addr_format(&a->tuple->server, b2, sizeof(b2)), (unsigned long long)a->expires);
	for (int i = 0; i < a->nrelay; i++) {
		sockaddr_u local;
		socklen_t l = sizeof(local);

		if (getsockname(a->relay[i], &local.sa, &l))
			c->err = -errno;
		fprintf(c->f, " %s %s", addr_format(&local, b1, sizeof(b1)),
			addr_format(&a->relayed[i], b2, sizeof(b2)));
	}
	fputc('\n', c->f);
	for (int i = 0; i < a->nperms; i++)
		fprintf(c->f, "P %s %llu\n", addr_format(&a->perms[i].ip, b1, sizeof(b1)),
			(unsigned long long)a->perms[i].expires);
	for (int i = 0; i < a->nchans; i++)
		fprintf(c->f, "C %u %s %llu\n", a->chans[i].num,
			addr_format(&a->chans[i].peer, b1, sizeof(b1)),
			(unsigned long long)a->chans[i].expires);
	fputs("E\n", c->f);
}

int state_save(const char *path, const struct turn_server *turn)
{
	char tmp[4096], boot[64];
	struct save_ctx c = { 0 };
	int err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	c.f = fopen(tmp, "w");
	if (!c.f && errno == ENOENT) {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s", path);
		if (strrchr(dir, '/') && strrchr(dir, '/') != dir) {
			*strrchr(dir, '/') = 0;
			mkdir(dir, 0750);
		}
		c.f = fopen(tmp, "w");
	}
	if (!c.f) {
		err = -errno;
		pr_err("state file %s: cannot create: %s", tmp, strerror(errno));
		return err;
	}
	boot_id(boot);
	fprintf(c.f, "%s %s\n", STATE_MAGIC, boot);
	turn_foreach_fwd(turn, save_one, &c);
	fputs("END\n", c.f);
	if (fflush(c.f) || fsync(fileno(c.f)))
		c.err = -errno;
	if (fclose(c.f) && !c.err)
		c.err = -errno;
	if (!c.err && rename(tmp, path))
		c.err = -errno;
	if (c.err) {
		pr_err("state file %s: write failed: %s", path, strerror(-c.err));
		unlink(tmp);
	}
	return c.err;
}

void state_remove(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		pr_warn("state file %s: cannot remove: %s", path, strerror(errno));
}

#define STATE_MAX_ENTRIES 256

/* One allocation as read from the file. */
struct saved {
	char user[AUTH_MAX_NAME + 1];
	uint8_t key[AUTH_KEY_LEN];
	struct turn_tuple tuple;
	uint64_t id, expires;
	sockaddr_u local[2], relayed[2];
	int nrelay;
	struct turn_perm perms[STATE_MAX_ENTRIES];
	int nperms;
	struct turn_chan chans[STATE_MAX_ENTRIES];
	int nchans;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* the writer only writes lower case */
}

/* "addr:port" with a port (non-zero unless zero_ok). */
static int parse_taddr(const char *s, bool zero_ok, sockaddr_u *out)
{
	const char *colon = strrchr(s, ':');

	if (!colon || (s[0] == '[' && colon[-1] != ']') || addr_parse(s, 0, out))
		return -EINVAL;
	return !zero_ok && !addr_port(out) ? -EINVAL : 0;
}

static int unhex(const char *s, uint8_t *out, size_t max, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 || len / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* "A id user key proto client server expires local relayed [local relayed]" */
static int parse_alloc(char *line, struct saved *sv)
{
	char *tok[13], *save = NULL;
	size_t n = 0, len;
	uint64_t proto;

	for (char *t = strtok_r(line, " ", &save); t && n < 13; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if ((n != 10 && n != 12) || strcmp(tok[0], "A"))
		return -EINVAL;
	memset(sv, 0, sizeof(*sv));
	if (parse_u64(tok[1], &sv->id) || !sv->id || unhex(tok[2], (uint8_t *)sv->user, AUTH_MAX_NAME, &len) ||
	    !len || memchr(sv->user, 0, len))
		return -EINVAL;
	if (unhex(tok[3], sv->key, AUTH_KEY_LEN, &len) || len != AUTH_KEY_LEN)
		return -EINVAL;
	if (parse_u64(tok[4], &proto) || proto > 255 || parse_u64(tok[7], &sv->expires))
		return -EINVAL;
	sv->tuple.proto = (uint8_t)proto;
	if (parse_taddr(tok[5], false, &sv->tuple.client) ||
	    parse_taddr(tok[6], false, &sv->tuple.server))
		return -EINVAL;
	sv->nrelay = (int)(n - 8) / 2;
	for (int i = 0; i < sv->nrelay; i++)
		if (parse_taddr(tok[8 + 2 * i], false, &sv->local[i]) ||
		    parse_taddr(tok[9 + 2 * i], false, &sv->relayed[i]))
			return -EINVAL;
	return 0;
}

/* "P ip expires" or "C num peer expires" into sv. */
static int parse_entry(char *line, struct saved *sv)
{
	char *tok[5], *save = NULL;
	uint64_t num, e;
	size_t n = 0;

	for (char *t = strtok_r(line, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if (n == 3 && !strcmp(tok[0], "P")) {
		if (sv->nperms == STATE_MAX_ENTRIES || parse_u64(tok[2], &e) ||
		    parse_taddr(tok[1], true, &sv->perms[sv->nperms].ip))
			return -EINVAL;
		sv->perms[sv->nperms++].expires = e;
		return 0;
	}
	if (n == 4 && !strcmp(tok[0], "C")) {
		struct turn_chan *c = &sv->chans[sv->nchans];

		if (sv->nchans == STATE_MAX_ENTRIES || parse_u64(tok[1], &num) || num > 0xffff || !chan_valid((uint16_t)num) ||
		    parse_taddr(tok[2], false, &c->peer) || parse_u64(tok[3], &e))
			return -EINVAL;
		c->num = (uint16_t)num;
		c->expires = e;
		sv->nchans++;
		return 0;
	}
	return -EINVAL;
}

/* Re-open the relays and hand the allocation to the core. 0 or -errno (not fatal). */
static int restore_one(struct saved *sv, struct udp *u, struct turn_server *turn,
		       uint64_t now_ms)
{
	struct turn_fwd f = { .id = sv->id, .user = sv->user, .key = sv->key,
			      .tuple = &sv->tuple, .relayed = sv->relayed, .nrelay = sv->nrelay,
			      .expires = sv->expires, .perms = sv->perms, .nperms = sv->nperms,
			      .chans = sv->chans, .nchans = sv->nchans };
	int relay[2] = { -1, -1 }, err = 0;

	if (sv->expires <= now_ms)
		return -ESTALE;
	sv->tuple.lid = udp_listener_id(u, &sv->tuple.server);
	if (sv->tuple.lid < 0)
		return -EADDRNOTAVAIL;
	for (int i = 0; i < sv->nrelay && !err; i++) {
		relay[i] = udp_relay_adopt(u, &sv->local[i]);
		if (relay[i] < 0)
			err = relay[i];
	}
	f.relay = relay;
	if (!err)
		err = turn_restore(turn, &f, now_ms);
	for (int i = 0; err && i < sv->nrelay; i++)
		if (relay[i] >= 0)
			udp_relay_drop(u, relay[i]);
	return err;
}

/*
 * One line without its newline into buf: its length, -1 at the end of the file, or -EINVAL
 * for a NUL byte or a line that does not fit (the writer never makes either).
 */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (!c || n + 1 == size)
			return -EINVAL;
		buf[n++] = (char)c;
	}
	if (c == EOF && !n)
		return -1;
	buf[n] = 0;
	return (int)n;
}

/*
 * Walk the file. apply=false: check every line and the END mark. apply=true: restore.
 * Returns the number restored (apply) or 0, or -EINVAL with *bad_line set.
 */
static int walk(FILE *f, bool apply, struct saved *sv, struct udp *u, struct turn_server *turn,
		uint64_t now_ms, int *bad_line)
{
	char line[STATE_LINE];
	bool in_alloc = false, end = false;
	int n = 0, ln = 1, err;

	rewind(f);
	if (!fgets(line, sizeof(line), f))	/* header, checked by the caller */
		return -EINVAL;
	while (!end) {
		int len = read_line(f, line, sizeof(line));

		if (len == -1)
			break;
		ln++;
		*bad_line = ln;
		if (len < 0)
			return -EINVAL;	/* a NUL byte, or longer than any line we write */
		if (!in_alloc && !strcmp(line, "END"))
			end = true;
		else if (!in_alloc && line[0] == 'A')
			in_alloc = !parse_alloc(line, sv);
		else if (in_alloc && !strcmp(line, "E")) {
			in_alloc = false;
			if (apply && !(err = restore_one(sv, u, turn, now_ms)))
				n++;
			else if (apply && err != -ESTALE)
				pr_warn("state: allocation id=%llu not restored: %s",
					(unsigned long long)sv->id, strerror(-err));
			continue;
		} else if (!in_alloc || parse_entry(line, sv))
			return -EINVAL;
		if (!end && !in_alloc)
			return -EINVAL;
	}
	return end ? n : -EINVAL;
}

int state_load(const char *path, struct udp *u, struct turn_server *turn, uint64_t now_ms)
{
	char head[STATE_LINE], want[128], boot[64];
	struct saved *sv = NULL;
	int n = 0, bad = 1;
	FILE *f = fopen(path, "r");

	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		n = -errno;
		pr_err("state file %s: cannot open: %s", path, strerror(errno));
		return n;
	}
	boot_id(boot);
	snprintf(want, sizeof(want), "%s %s\n", STATE_MAGIC, boot);
	if (!fgets(head, sizeof(head), f) || strcmp(head, want)) {
		pr_warn("state file %s: from another boot or version, ignored", path);
		goto out;
	}
	sv = malloc(sizeof(*sv));
	if (!sv) {
		n = -ENOMEM;
		goto out;
	}
	n = walk(f, false, sv, u, turn, now_ms, &bad);
	if (!n)
		n = walk(f, true, sv, u, turn, now_ms, &bad);
	if (n == -EINVAL)
		pr_err("%s:%d: state file malformed, no allocation restored", path, bad);
	else if (n >= 0)
		pr_info("state restored path=%s allocations=%d", path, n);
out:
	free(sv);
	fclose(f);
	return n;
}
