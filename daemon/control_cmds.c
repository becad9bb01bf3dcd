/* control_cmds.c - the control socket's commands: parse a request line, build its JSON answer. */
#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control_int.h"
#include "fastpath.h"
#include "json_req.h"
#include "version.h"
#include "web.h"

#define CTL_ENTRY_ROOM 2048	/* stop listing allocations when less than this is left */

struct ctl_req {
	struct turn_server *turn;
	struct fastpath *fp;
	const struct ctl_info *info;
	uint64_t started_ms;
	const struct json_req *jr;
	struct ctl_out *o;
};

void ctl_put(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len = n < 0 ? o->len : o->len + (size_t)n;
	if (o->len >= o->cap)
		o->len = o->cap - 1;
}

void ctl_put_str(struct ctl_out *o, const char *s, size_t n)
{
	ctl_put(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			ctl_put(o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			ctl_put(o, "\\u%04x", ch);
		else
			ctl_put(o, "%c", ch);
	}
	ctl_put(o, "\"");
}

void ctl_fail(struct ctl_out *o, const char *code, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	o->len = 0;
	ctl_put(o, "{\"ok\":false,\"error\":");
	ctl_put_str(o, why, strlen(why));
	ctl_put(o, ",\"code\":\"%s\"}\n", code);
}

static void put_addr(struct ctl_out *o, const sockaddr_u *a)
{
	char buf[ADDR_STRLEN];

	addr_format(a, buf, sizeof(buf));
	ctl_put_str(o, buf, strlen(buf));
}

/* "xdp":{"enabled":..,"interfaces":[lines],"counters":{..}} */
static void status_xdp(struct fastpath *fp, struct ctl_out *o)
{
	static const char *const names[TURN_XDP_NR] = {
		"pass_stun", "pass_unknown", "pass_nochan", "pass_unsupported", "pass_noroute",
		"drop_noperm", "pass_badlen", "fwd_c2p", "fwd_p2c", "pass_other", "drop_rate" };
	uint64_t c[TURN_XDP_NR] = { 0 };
	struct turn_alloc_stats sum;
	char desc[4096], *line, *save = NULL;
	bool first = true;

	ctl_put(o, ",\"xdp\":{\"enabled\":%s,\"interfaces\":[", fp ? "true" : "false");
	fastpath_describe(fp, desc, sizeof(desc));
	for (line = strtok_r(desc, "\n", &save); fp && line; line = strtok_r(NULL, "\n", &save)) {
		ctl_put(o, "%s", first ? "" : ",");
		ctl_put_str(o, line, strlen(line));
		first = false;
	}
	ctl_put(o, "],\"counters\":{");
	if (fp)
		fastpath_counters(fp, c);
	for (int i = 0; i < TURN_XDP_NR; i++)
		ctl_put(o, "%s\"%s\":%" PRIu64, i ? "," : "", names[i], c[i]);
	fastpath_totals(fp, &sum);	/* zeros without a fast path */
	ctl_put(o, "},\"relayed\":{\"pkts_c2p\":%llu,\"bytes_c2p\":%llu,\"pkts_p2c\":%llu,"
		"\"bytes_p2c\":%llu}}", (unsigned long long)sum.pkts_c2p,
		(unsigned long long)sum.bytes_c2p, (unsigned long long)sum.pkts_p2c,
		(unsigned long long)sum.bytes_p2c);
}

static int cmd_status(struct ctl_req *r)
{
	static const char *const drops[DROP_NR] = { "malformed", "no_allocation", "no_channel",
						     "no_permission", "policy", "unexpected",
						     "rcvbuf" };
	static const char *const limits[LIMIT_NR] = { "max_per_user", "max_total",
		"max_permissions", "max_channels", "max_bps", "unauth_rate" };
	const struct turn_stats *st = turn_get_stats(r->turn);
	struct ctl_out *o = r->o;

	ctl_put(o, "{\"ok\":true,\"version\":\"%s\",\"uptime_s\":%" PRIu64 ",\"allocations\":%"
		PRIu64 ",\"permissions\":%" PRIu64 ",\"channels\":%" PRIu64
		",\"allocations_created\":%" PRIu64 ",\"allocations_expired\":%" PRIu64
		",\"requests\":%" PRIu64 ",\"auth_failures\":%" PRIu64, TURND_VERSION,
		(loop_now_ms() - r->started_ms) / 1000, st->allocations, st->permissions,
		st->channels, st->allocs_created, st->allocs_expired, st->requests,
		st->auth_failures);
	ctl_put(o, ",\"userspace\":{\"pkts_c2p\":%" PRIu64 ",\"bytes_c2p\":%" PRIu64
		",\"pkts_p2c\":%" PRIu64 ",\"bytes_p2c\":%" PRIu64 "},\"drops\":{",
		st->pkts_c2p, st->bytes_c2p, st->pkts_p2c, st->bytes_p2c);
	for (int i = 0; i < DROP_NR; i++)
		ctl_put(o, "%s\"%s\":%" PRIu64, i ? "," : "", drops[i], st->drops[i]);
	ctl_put(o, "},\"limits\":{");
	for (int i = 0; i < LIMIT_NR; i++)
		ctl_put(o, "%s\"%s\":%" PRIu64, i ? "," : "", limits[i], st->limit_hits[i]);
	ctl_put(o, "},\"listeners\":[");
	for (int i = 0; r->info && i < r->info->nlisten; i++) {
		char a[ADDR_STRLEN];

		addr_format(&r->info->listen[i], a, sizeof(a));
		ctl_put(o, "%s\"udp:%s\"", i ? "," : "", a);
	}
	ctl_put(o, "]");
	status_xdp(r->fp, o);
	if (r->info && r->info->web) {
		char sig[512];

		web_status_json(r->info->web, sig, sizeof(sig));
		ctl_put(o, ",\"signaling\":%s", sig);
	}
	ctl_put(o, "}\n");
	return 0;
}

/*
 * The members every allocation view shares: id, user, client, server, relayed, lifetime,
 * path and counters (userspace + kernel). The kernel holds an allocation's counters from its
 * first binding on, so a stats entry means the fast path forwards (or forwarded) for it.
 */
static void put_alloc(struct ctl_req *r, const struct turn_alloc_info *ai, bool full)
{
	struct turn_alloc_stats k = { 0 };
	bool xdp = r->fp && !fastpath_alloc_stats(r->fp, ai->id, &k);
	struct ctl_out *o = r->o;

	ctl_put(o, "{\"id\":%" PRIu64 ",\"user\":", ai->id);
	ctl_put_str(o, ai->user, strlen(ai->user));
	ctl_put(o, ",\"client\":");
	put_addr(o, &ai->tuple.client);
	ctl_put(o, ",\"server\":");
	put_addr(o, &ai->tuple.server);
	ctl_put(o, ",\"relayed\":[");
	for (int i = 0; i < ai->nrelayed; i++) {
		ctl_put(o, "%s", i ? "," : "");
		put_addr(o, &ai->relayed[i]);
	}
	ctl_put(o, "],\"lifetime_left\":%" PRIu32 ",\"path\":\"%s\"", ai->lifetime_left,
		xdp ? "xdp" : "userspace");
	if (!full)
		ctl_put(o, ",\"permissions\":%zu,\"channels\":%zu", ai->npermissions,
			ai->nchannels);
	ctl_put(o, ",\"pkts_c2p\":%" PRIu64 ",\"bytes_c2p\":%" PRIu64 ",\"pkts_p2c\":%" PRIu64
		",\"bytes_p2c\":%" PRIu64, ai->pkts_c2p + (uint64_t)k.pkts_c2p,
		ai->bytes_c2p + (uint64_t)k.bytes_c2p, ai->pkts_p2c + (uint64_t)k.pkts_p2c,
		ai->bytes_p2c + (uint64_t)k.bytes_p2c);
	if (full)
		ctl_put(o, ",\"kernel\":{\"pkts_c2p\":%llu,\"bytes_c2p\":%llu,\"pkts_p2c\":%llu,"
			"\"bytes_p2c\":%llu}", (unsigned long long)k.pkts_c2p,
			(unsigned long long)k.bytes_c2p, (unsigned long long)k.pkts_p2c,
			(unsigned long long)k.bytes_p2c);
}

struct list_state {
	struct ctl_req *r;
	size_t n;
	bool truncated;
};

static int list_one(const struct turn_alloc_info *ai, void *arg)
{
	struct list_state *ls = arg;
	struct ctl_out *o = ls->r->o;

	if (o->cap - o->len < CTL_ENTRY_ROOM) {
		ls->truncated = true;
		return 1;
	}
	ctl_put(o, "%s", ls->n++ ? "," : "");
	put_alloc(ls->r, ai, false);
	ctl_put(o, "}");
	return 0;
}

static int cmd_allocations(struct ctl_req *r)
{
	struct list_state ls = { .r = r };

	ctl_put(r->o, "{\"ok\":true,\"allocations\":[");
	turn_foreach_alloc(r->turn, loop_now_ms(), list_one, &ls);
	ctl_put(r->o, "],\"count\":%zu,\"truncated\":%s}\n", ls.n, ls.truncated ? "true" : "false");
	return 0;
}

/* The "id" member: a positive integer. 0, or an error answer written and -EINVAL. */
static int req_id(struct ctl_req *r, uint64_t *id)
{
	int64_t v;

	if (json_req_int(r->jr, "id", &v) || v <= 0) {
		ctl_fail(r->o, "bad_request", "\"id\" must be a positive integer");
		return -EINVAL;
	}
	*id = (uint64_t)v;
	return 0;
}

struct full_state {
	struct ctl_out *o;
	uint64_t now;
	size_t n;
};

static void put_perm(const struct turn_perm *p, void *arg)
{
	struct full_state *fs = arg;
	char ip[ADDR_STRLEN];

	addr_format_ip(&p->ip, ip, sizeof(ip));
	ctl_put(fs->o, "%s{\"peer\":", fs->n++ ? "," : "");
	ctl_put_str(fs->o, ip, strlen(ip));
	ctl_put(fs->o, ",\"expires_in\":%" PRIu64 "}",
		p->expires > fs->now ? (p->expires - fs->now) / 1000 : 0);
}

static void put_chan(const struct turn_chan *c, void *arg)
{
	struct full_state *fs = arg;

	ctl_put(fs->o, "%s{\"number\":%u,\"peer\":", fs->n++ ? "," : "", c->num);
	put_addr(fs->o, &c->peer);
	ctl_put(fs->o, ",\"expires_in\":%" PRIu64 "}",
		c->expires > fs->now ? (c->expires - fs->now) / 1000 : 0);
}

static int cmd_allocation(struct ctl_req *r)
{
	struct full_state fs = { .o = r->o, .now = loop_now_ms() };
	struct turn_alloc_info ai;
	uint64_t id;

	if (req_id(r, &id))
		return -EINVAL;
	if (turn_get_alloc(r->turn, id, fs.now, &ai, NULL, NULL, NULL)) {
		ctl_fail(r->o, "not_found", "no allocation with id %" PRIu64, id);
		return -ENOENT;
	}
	ctl_put(r->o, "{\"ok\":true,\"allocation\":");
	put_alloc(r, &ai, true);
	ctl_put(r->o, ",\"permissions\":[");
	turn_get_alloc(r->turn, id, fs.now, &ai, put_perm, NULL, &fs);
	ctl_put(r->o, "],\"channels\":[");
	fs.n = 0;
	turn_get_alloc(r->turn, id, fs.now, &ai, NULL, put_chan, &fs);
	ctl_put(r->o, "]}}\n");
	return 0;
}

static int cmd_kill(struct ctl_req *r)
{
	const char *user = json_req_str(r->jr, "user");
	uint64_t id;
	int n;

	if (user && json_req_has(r->jr, "id")) {
		ctl_fail(r->o, "bad_request", "give \"id\" or \"user\", not both");
		return -EINVAL;
	}
	if (user) {
		n = turn_kill_user(r->turn, user);
		if (!n) {
			ctl_fail(r->o, "not_found", "user %.128s has no allocation", user);
			return -ENOENT;
		}
		ctl_put(r->o, "{\"ok\":true,\"killed\":%d}\n", n);
		return 0;
	}
	if (req_id(r, &id))
		return -EINVAL;
	if (turn_kill_alloc(r->turn, id)) {
		ctl_fail(r->o, "not_found", "no allocation with id %" PRIu64, id);
		return -ENOENT;
	}
	ctl_put(r->o, "{\"ok\":true,\"killed\":1}\n");
	return 0;
}

/* As SIGHUP: turnd's signal handling (a signalfd in main) reloads on the next loop turn. */
static int cmd_reload(struct ctl_req *r)
{
	if (raise(SIGHUP)) {
		ctl_fail(r->o, "internal", "raise(SIGHUP) failed: %s", strerror(errno));
		return -EIO;
	}
	ctl_put(r->o, "{\"ok\":true,\"reload\":\"requested\"}\n");
	return 0;
}

struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl_req *r);
	const char *const keys[3];	/* members accepted besides "cmd" */
};

static const struct ctl_cmd cmds[] = {
	{ "status", cmd_status, { NULL } },
	{ "allocations", cmd_allocations, { NULL } },
	{ "allocation", cmd_allocation, { "id", NULL } },
	{ "kill", cmd_kill, { "id", "user", NULL } },
	{ "reload", cmd_reload, { NULL } },
};

/* A member that cmd does not take, or NULL. */
static const char *stray_key(const struct ctl_cmd *cmd, const struct json_req *jr)
{
	for (int i = 0; i < jr->n; i++) {
		const char *k = jr->f[i].key;
		bool known = !strcmp(k, "cmd");

		for (int j = 0; !known && cmd->keys[j]; j++)
			known = !strcmp(k, cmd->keys[j]);
		if (!known)
			return k;
	}
	return NULL;
}

size_t control_answer(struct turn_server *turn, struct fastpath *fp, const struct ctl_info *info,
		      uint64_t started_ms, const char *req, char *buf, size_t cap)
{
	struct ctl_out o = { .buf = buf, .cap = cap };
	struct json_req jr;
	struct ctl_req r = { turn, fp, info, started_ms, &jr, &o };
	const char *name, *stray;

	if (json_req_parse(req, strlen(req), &jr)) {
		ctl_fail(&o, "bad_request", "malformed request: %s", jr.why);
		return o.len;
	}
	name = json_req_str(&jr, "cmd");
	if (!name) {
		ctl_fail(&o, "bad_request", "expected {\"cmd\":\"...\"}");
		return o.len;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(name, cmds[i].name))
			continue;
		stray = stray_key(&cmds[i], &jr);
		if (stray)
			ctl_fail(&o, "bad_request", "%s takes no member \"%.64s\"", name, stray);
		else
			cmds[i].fn(&r);
		return o.len;
	}
	ctl_fail(&o, "bad_request", "unknown command \"%.64s\"", name);
	return o.len;
}
