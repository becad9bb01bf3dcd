/* sig.c - I/O-free signaling core: rooms, members and the JSON protocol spoken on /ws. */
/*
 * The requests and their handlers; the tables of rooms and members are in sig_rooms.c, the
 * outgoing messages in sig_send.c.
 * Choices the header leaves open:
 *  - "ref" echoes the request's type when it is a string of at most TYPE_REF_MAX decoded
 *    bytes; a longer type is refused as unknown, without ref.
 *  - The joiner gets "joined" before the others get "peer-joined"; on leave the others get
 *    "peer-left" before the leaver gets "left".
 *  - ops->ice_servers NULL gives "iceServers":[]; its output must be a JSON array (it is
 *    checked), otherwise the join is refused with "iceServers unavailable".
 *  - Out of memory: an error reply "out of memory" (built on the stack) and -ENOMEM.
 *  - The ops callbacks must not call back into the same struct sig.
 */
#include "sig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_int.h"
#include "sig_json.h"

#define OUT_KEEP (64 * 1024)	/* an output buffer grown past this is freed after use */

/* Refuse a request whose type was read: always "handled". */
static int refuse(struct sig *s, const struct req *r, const char *reason)
{
	sig_emit_error(s, r->conn, r, reason);
	return 0;
}

static int out_of_memory(struct sig *s, const struct req *r)
{
	sig_emit_error(s, r->conn, r, "out of memory");
	return -ENOMEM;
}

static bool room_name_ok(const char *name, size_t len)
{
	if (len < 1 || len > ROOM_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Why a join must be refused, or NULL; *room = the named room when it exists. */
static const char *join_refusal(const struct sig *s, const struct req *r, char *name,
				size_t *len, struct room **room)
{
	ssize_t n = -1;

	if (r->f[F_ROOM].kind == SJ_STRING)
		n = sj_unescape(r->f[F_ROOM].raw, r->f[F_ROOM].raw_len, name, ROOM_NAME_MAX);
	if (n < 0 || !room_name_ok(name, (size_t)n))
		return "bad room name";
	*len = (size_t)n;
	*room = sig_room_find(s, name, *len);
	if (*room ? (*room)->n >= s->lim.max_members : s->lim.max_members < 1)
		return "room is full";
	if (!*room && s->rooms.n >= s->lim.max_rooms)
		return "too many rooms";
	return NULL;
}

static void join_announce(struct sig *s, const struct member *m)
{
	sig_emit(s, m->conn, s->out.p, s->out.len);
	for (const struct member *o = m->room->head; o; o = o->next)
		if (o != m)
			sig_emit_simple(s, o->conn, "peer-joined", &m->id);
}

static int on_join(struct sig *s, struct req *r)
{
	struct member *m = NULL;
	struct room *room = NULL;
	char name[ROOM_NAME_MAX];
	const char *why;
	bool created;
	size_t len = 0;
	uint64_t id;
	int err;

	if (sig_member_by_conn(s, r->conn))
		return refuse(s, r, "already in a room");
	why = join_refusal(s, r, name, &len, &room);
	if (why)
		return refuse(s, r, why);
	if (sig_new_id(s, &id))
		return refuse(s, r, "no free id");
	created = !room;
	if (created && !(room = sig_room_new(name, len)))
		return out_of_memory(s, r);
	m = calloc(1, sizeof(*m));
	if (!m || sig_reserve_join(s, created))
		goto nomem;
	err = sig_build_joined(s, r->conn, id, name, len, created ? NULL : room);
	if (err == -ENOMEM)
		goto nomem;
	if (err) {
		err = refuse(s, r, "iceServers unavailable");
		goto out;
	}
	m->conn = r->conn;
	m->id = id;
	sig_member_add(s, m, room, created);
	s->st.joins++;
	join_announce(s, m);
	return 0;
nomem:
	err = out_of_memory(s, r);
out:
	free(m);
	if (created)
		free(room);
	return err;
}

/* Unlink and free m, telling the others; the room goes with its last member. */
static void member_leave(struct sig *s, struct member *m)
{
	struct room *r = m->room;

	sig_member_unlink(s, m);
	s->st.leaves++;
	for (const struct member *o = r->head; o; o = o->next)
		sig_emit_simple(s, o->conn, "peer-left", &m->id);
	sig_room_drop_empty(s, r);
	free(m);
}

static int on_leave(struct sig *s, struct req *r)
{
	struct member *m = sig_member_by_conn(s, r->conn);

	if (!m)
		return refuse(s, r, "not in a room");
	member_leave(s, m);
	sig_emit_simple(s, r->conn, "left", NULL);
	return 0;
}

static int on_signal(struct sig *s, struct req *r)
{
	struct member *m = sig_member_by_conn(s, r->conn), *to = NULL;
	const struct sj_field *data = &r->f[F_DATA];
	char buf[ID_LEN];
	ssize_t n = -1;
	uint64_t id;

	if (!m)
		return refuse(s, r, "not in a room");
	if (r->f[F_TO].kind != SJ_STRING)
		return refuse(s, r, "missing or invalid to");
	if (data->kind == SJ_ABSENT)
		return refuse(s, r, "missing data");
	n = sj_unescape(r->f[F_TO].raw, r->f[F_TO].raw_len, buf, sizeof(buf));
	if (n >= 0 && sig_id_parse(buf, (size_t)n, &id))
		to = sig_member_by_id(s, id);
	if (to == m)
		return refuse(s, r, "cannot signal oneself");
	if (!to || to->room != m->room)
		return refuse(s, r, "unknown peer");
	if (sig_build_signal(s, m->id, data->raw, data->raw_len))
		return out_of_memory(s, r);
	sig_emit(s, to->conn, s->out.p, s->out.len);
	s->st.signals++;
	return 0;
}

static int on_ping(struct sig *s, struct req *r)
{
	sig_emit_simple(s, r->conn, "pong", NULL);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct sig *s, struct req *r);
} handlers[] = {
	{ "join", on_join },
	{ "signal", on_signal },
	{ "leave", on_leave },
	{ "ping", on_ping },
};

/* Parse text into r and run its handler. */
static int dispatch(struct sig *s, struct req *r, const char *text, size_t len)
{
	char reason[REASON_MAX];
	const char *why = NULL;
	enum sj_kind top;
	ssize_t n;
	int err;

	r->f[F_TYPE].key = "type";
	r->f[F_ROOM].key = "room";
	r->f[F_TO].key = "to";
	r->f[F_DATA].key = "data";
	if (len > s->lim.max_message)
		return refuse(s, r, "message too large");
	err = sj_scan(text, len, &top, r->f, F_COUNT, &why);
	if (err == -ENOMEM)
		return out_of_memory(s, r);
	if (err) {
		snprintf(reason, sizeof(reason), "invalid JSON: %s", why);
		return refuse(s, r, reason);
	}
	if (top != SJ_OBJECT)
		return refuse(s, r, "not a JSON object");
	if (r->f[F_TYPE].kind == SJ_ABSENT)
		return refuse(s, r, "missing type");
	if (r->f[F_TYPE].kind != SJ_STRING)
		return refuse(s, r, "type is not a string");
	n = sj_unescape(r->f[F_TYPE].raw, r->f[F_TYPE].raw_len, r->type, sizeof(r->type));
	if (n < 0)
		return refuse(s, r, "unknown type");
	r->type_len = (size_t)n;
	r->has_ref = true;
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strlen(handlers[i].name) == r->type_len &&
		    !memcmp(handlers[i].name, r->type, r->type_len))
			return handlers[i].fn(s, r);
	return refuse(s, r, "unknown type");
}

int sig_message(struct sig *s, uint64_t conn, const char *text, size_t len)
{
	struct req r = { .conn = conn };
	int err = dispatch(s, &r, text, len);

	if (s->out.cap > OUT_KEEP) {
		free(s->out.p);
		s->out = (struct obuf){ 0 };
	}
	return err;
}

void sig_gone(struct sig *s, uint64_t conn)
{
	struct member *m = sig_member_by_conn(s, conn);

	if (m)
		member_leave(s, m);
}

struct sig *sig_new(const struct sig_limits *lim, const struct sig_ops *ops)
{
	struct sig *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->lim = *lim;
	s->ops = *ops;
	s->ops.random(s->ops.ctx, &s->seed, sizeof(s->seed));
	return s;
}

void sig_free(struct sig *s)
{
	if (!s)
		return;
	sig_tables_free(s);
	free(s->out.p);
	free(s);
}

void sig_set_limits(struct sig *s, const struct sig_limits *lim)
{
	s->lim = *lim;
}

void sig_get_stats(const struct sig *s, struct sig_stats *st)
{
	*st = s->st;
	st->rooms = s->rooms.n;
	st->members = s->conns.n;
}
