/* sig.c - I/O-free signaling core: rooms, members and the JSON protocol spoken on /ws. */
/*
 * Three hash tables (chained, power-of-two buckets, grown before anything is committed so
 * that a refused or failed request changes nothing; never shrunk): rooms by name, members
 * by conn and members by ID. A room lists its members in join order, the order of "peers".
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

#include "sig_json.h"

#define ROOM_NAME_MAX 64
#define ID_LEN 16		/* lowercase hex characters of a member ID */
#define ID_TRIES 8		/* random draws before giving up on a unique ID */
#define TYPE_REF_MAX 64		/* longest type echoed as "ref" */
#define REASON_MAX 128
#define ERR_BUF (64 + 6 * REASON_MAX + 6 * TYPE_REF_MAX)	/* each byte escapes to <= 6 */
#define ICE_CAP_START 2048
#define ICE_CAP_MAX (256 * 1024)
#define OUT_KEEP (64 * 1024)	/* an output buffer grown past this is freed after use */

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htab {
	struct hnode **b;
	size_t nb, n;
};

struct room {
	struct hnode node;
	struct member *head, *tail;
	uint32_t n;
	size_t len;
	char name[ROOM_NAME_MAX];
};

struct member {
	struct hnode by_conn, by_id;
	uint64_t conn, id;
	struct room *room;
	struct member *prev, *next;
};

struct obuf {
	char *p;
	size_t len, cap;
};

struct sig {
	struct sig_limits lim;
	struct sig_ops ops;
	struct htab rooms, conns, ids;
	uint64_t seed;
	struct sig_stats st;
	struct obuf out;
};

enum { F_TYPE, F_ROOM, F_TO, F_DATA, F_COUNT };

/* One request being handled. */
struct req {
	uint64_t conn;
	struct sj_field f[F_COUNT];
	char type[TYPE_REF_MAX];
	size_t type_len;
	bool has_ref;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Make room for one more node (load factor 1); the only step of a table that can fail. */
static int htab_reserve(struct htab *t)
{
	size_t nb = t->nb ? t->nb * 2 : 16;
	struct hnode **b;

	if (t->n < t->nb)
		return 0;
	b = calloc(nb, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nb; i++) {
		while (t->b[i]) {
			struct hnode *h = t->b[i];

			t->b[i] = h->next;
			h->next = b[h->hash & (nb - 1)];
			b[h->hash & (nb - 1)] = h;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
	return 0;
}

/* Insert (after htab_reserve). */
static void htab_add(struct htab *t, struct hnode *h, uint64_t hash)
{
	struct hnode **b = &t->b[hash & (t->nb - 1)];

	h->hash = hash;
	h->next = *b;
	*b = h;
	t->n++;
}

static void htab_del(struct htab *t, struct hnode *h)
{
	struct hnode **pp = &t->b[h->hash & (t->nb - 1)];

	while (*pp != h)
		pp = &(*pp)->next;
	*pp = h->next;
	t->n--;
}

/* The chain where hash lives (compare node->hash, then the key). */
static struct hnode *htab_chain(const struct htab *t, uint64_t hash)
{
	return t->nb ? t->b[hash & (t->nb - 1)] : NULL;
}

static uint64_t name_hash(const struct sig *s, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ s->seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ULL;
	return mix64(h);
}

static struct room *room_find(const struct sig *s, const char *name, size_t len)
{
	uint64_t hash = name_hash(s, name, len);

	for (struct hnode *h = htab_chain(&s->rooms, hash); h; h = h->next) {
		struct room *r = container_of(h, struct room, node);

		if (h->hash == hash && r->len == len && !memcmp(r->name, name, len))
			return r;
	}
	return NULL;
}

static struct member *member_by_conn(const struct sig *s, uint64_t conn)
{
	uint64_t hash = mix64(conn ^ s->seed);

	for (struct hnode *h = htab_chain(&s->conns, hash); h; h = h->next) {
		struct member *m = container_of(h, struct member, by_conn);

		if (m->conn == conn)
			return m;
	}
	return NULL;
}

static struct member *member_by_id(const struct sig *s, uint64_t id)
{
	uint64_t hash = mix64(id ^ s->seed);

	for (struct hnode *h = htab_chain(&s->ids, hash); h; h = h->next) {
		struct member *m = container_of(h, struct member, by_id);

		if (m->id == id)
			return m;
	}
	return NULL;
}

static void id_hex(uint64_t id, char out[ID_LEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < ID_LEN; i++)
		out[i] = hex[(id >> (60 - 4 * i)) & 15];
}

/* Exactly ID_LEN lowercase hex digits. */
static bool id_parse(const char *s, size_t n, uint64_t *id)
{
	uint64_t v = 0;

	if (n != ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v << 4 | (uint64_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = v << 4 | (uint64_t)(s[i] - 'a' + 10);
		else
			return false;
	}
	*id = v;
	return true;
}

static int ob_reserve(struct obuf *o, size_t more)
{
	size_t cap = o->cap ? o->cap : 256;
	char *p;

	if (o->cap - o->len >= more)
		return 0;
	while (cap - o->len < more)
		cap *= 2;
	p = realloc(o->p, cap);
	if (!p)
		return -ENOMEM;
	o->p = p;
	o->cap = cap;
	return 0;
}

static int ob_put(struct obuf *o, const char *s, size_t n)
{
	if (ob_reserve(o, n))
		return -ENOMEM;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	return 0;
}

static int ob_puts(struct obuf *o, const char *s)
{
	return ob_put(o, s, strlen(s));
}

/* s[0..n) as a JSON string. */
static int ob_str(struct obuf *o, const char *s, size_t n)
{
	if (ob_reserve(o, sj_escaped_len(s, n)))
		return -ENOMEM;
	o->len += sj_escape(o->p + o->len, s, n);
	return 0;
}

/* "ID" with its quotes. */
static int ob_id(struct obuf *o, uint64_t id)
{
	char q[ID_LEN + 2];

	q[0] = '"';
	id_hex(id, q + 1);
	q[ID_LEN + 1] = '"';
	return ob_put(o, q, sizeof(q));
}

static void emit(struct sig *s, uint64_t conn, const char *json, size_t len)
{
	if (s->ops.send(s->ops.ctx, conn, json, len) < 0)
		s->st.send_failures++;
}

/* A small fixed message {"type":"TYPE","id":"ID"}, or {"type":"TYPE"} when id is NULL. */
static void emit_simple(struct sig *s, uint64_t conn, const char *type, const uint64_t *id)
{
	char buf[64 + ID_LEN];
	int n;

	if (id) {
		char hex[ID_LEN];

		id_hex(*id, hex);
		n = snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"id\":\"%.*s\"}", type, ID_LEN,
			     hex);
	} else {
		n = snprintf(buf, sizeof(buf), "{\"type\":\"%s\"}", type);
	}
	emit(s, conn, buf, (size_t)n);
}

/* {"type":"error","reason":REASON[,"ref":TYPE]} */
static void emit_error(struct sig *s, uint64_t conn, const struct req *r, const char *reason)
{
	static const char head[] = "{\"type\":\"error\",\"reason\":", ref[] = ",\"ref\":";
	size_t rlen = strnlen(reason, REASON_MAX);
	char buf[ERR_BUF];
	size_t n = sizeof(head) - 1;

	memcpy(buf, head, n);
	n += sj_escape(buf + n, reason, rlen);
	if (r && r->has_ref) {
		memcpy(buf + n, ref, sizeof(ref) - 1);
		n += sizeof(ref) - 1;
		n += sj_escape(buf + n, r->type, r->type_len);
	}
	buf[n++] = '}';
	s->st.errors++;
	emit(s, conn, buf, n);
}

/* Refuse a request whose type was read: always "handled". */
static int refuse(struct sig *s, const struct req *r, const char *reason)
{
	emit_error(s, r->conn, r, reason);
	return 0;
}

static int out_of_memory(struct sig *s, const struct req *r)
{
	emit_error(s, r->conn, r, "out of memory");
	return -ENOMEM;
}

/* Append the iceServers array for conn to s->out: 0, -ENOMEM or -EIO (unusable). */
static int put_ice(struct sig *s, uint64_t conn)
{
	size_t cap = ICE_CAP_START;
	enum sj_kind top;
	const char *why;
	int n;

	if (!s->ops.ice_servers)
		return ob_puts(&s->out, "[]");
	for (;;) {
		if (ob_reserve(&s->out, cap))
			return -ENOMEM;
		n = s->ops.ice_servers(s->ops.ctx, conn, s->out.p + s->out.len, cap);
		if (n != -ENOSPC || cap >= ICE_CAP_MAX)
			break;
		cap *= 2;
	}
	if (n == -ENOMEM)
		return -ENOMEM;
	if (n < 0 || (size_t)n > cap)
		return -EIO;
	if (sj_scan(s->out.p + s->out.len, (size_t)n, &top, NULL, 0, &why) || top != SJ_ARRAY)
		return -EIO;
	s->out.len += (size_t)n;
	return 0;
}

/* {"type":"joined","id":"ID","room":"NAME","peers":[...],"iceServers":[...]} into s->out. */
static int build_joined(struct sig *s, uint64_t conn, uint64_t id, const char *name,
			size_t len, const struct room *room)
{
	struct obuf *o = &s->out;
	int err;

	o->len = 0;
	if (ob_puts(o, "{\"type\":\"joined\",\"id\":") || ob_id(o, id) ||
	    ob_puts(o, ",\"room\":") || ob_str(o, name, len) || ob_puts(o, ",\"peers\":["))
		return -ENOMEM;
	for (const struct member *m = room ? room->head : NULL; m; m = m->next)
		if ((m != room->head && ob_puts(o, ",")) || ob_id(o, m->id))
			return -ENOMEM;
	if (ob_puts(o, "],\"iceServers\":"))
		return -ENOMEM;
	err = put_ice(s, conn);
	return err ? err : ob_puts(o, "}");
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

static int new_id(struct sig *s, uint64_t *id)
{
	for (int i = 0; i < ID_TRIES; i++) {
		uint64_t v;

		s->ops.random(s->ops.ctx, &v, sizeof(v));
		if (!member_by_id(s, v)) {
			*id = v;
			return 0;
		}
	}
	return -EAGAIN;
}

/* Link m (its tables reserved) into room r (created, reserved, when new). */
static void member_add(struct sig *s, struct member *m, struct room *r, bool new_room)
{
	if (new_room)
		htab_add(&s->rooms, &r->node, name_hash(s, r->name, r->len));
	htab_add(&s->conns, &m->by_conn, mix64(m->conn ^ s->seed));
	htab_add(&s->ids, &m->by_id, mix64(m->id ^ s->seed));
	m->room = r;
	m->prev = r->tail;
	m->next = NULL;
	if (r->tail)
		r->tail->next = m;
	else
		r->head = m;
	r->tail = m;
	r->n++;
	s->st.joins++;
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
	*room = room_find(s, name, *len);
	if (*room ? (*room)->n >= s->lim.max_members : s->lim.max_members < 1)
		return "room is full";
	if (!*room && s->rooms.n >= s->lim.max_rooms)
		return "too many rooms";
	return NULL;
}

static struct room *room_new(const char *name, size_t len)
{
	struct room *r = calloc(1, sizeof(*r));

	if (r) {
		memcpy(r->name, name, len);
		r->len = len;
	}
	return r;
}

static void join_announce(struct sig *s, const struct member *m)
{
	emit(s, m->conn, s->out.p, s->out.len);
	for (const struct member *o = m->room->head; o; o = o->next)
		if (o != m)
			emit_simple(s, o->conn, "peer-joined", &m->id);
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

	if (member_by_conn(s, r->conn))
		return refuse(s, r, "already in a room");
	why = join_refusal(s, r, name, &len, &room);
	if (why)
		return refuse(s, r, why);
	if (new_id(s, &id))
		return refuse(s, r, "no free id");
	created = !room;
	if (created && !(room = room_new(name, len)))
		return out_of_memory(s, r);
	m = calloc(1, sizeof(*m));
	if (!m || htab_reserve(&s->conns) || htab_reserve(&s->ids) ||
	    (created && htab_reserve(&s->rooms)))
		goto nomem;
	err = build_joined(s, r->conn, id, name, len, created ? NULL : room);
	if (err == -ENOMEM)
		goto nomem;
	if (err) {
		err = refuse(s, r, "iceServers unavailable");
		goto out;
	}
	m->conn = r->conn;
	m->id = id;
	member_add(s, m, room, created);
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

	htab_del(&s->conns, &m->by_conn);
	htab_del(&s->ids, &m->by_id);
	if (m->prev)
		m->prev->next = m->next;
	else
		r->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		r->tail = m->prev;
	r->n--;
	s->st.leaves++;
	for (const struct member *o = r->head; o; o = o->next)
		emit_simple(s, o->conn, "peer-left", &m->id);
	if (!r->n) {
		htab_del(&s->rooms, &r->node);
		free(r);
	}
	free(m);
}

static int on_leave(struct sig *s, struct req *r)
{
	struct member *m = member_by_conn(s, r->conn);

	if (!m)
		return refuse(s, r, "not in a room");
	member_leave(s, m);
	emit_simple(s, r->conn, "left", NULL);
	return 0;
}

static int on_signal(struct sig *s, struct req *r)
{
	struct member *m = member_by_conn(s, r->conn), *to = NULL;
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
	if (n >= 0 && id_parse(buf, (size_t)n, &id))
		to = member_by_id(s, id);
	if (to == m)
		return refuse(s, r, "cannot signal oneself");
	if (!to || to->room != m->room)
		return refuse(s, r, "unknown peer");
	s->out.len = 0;
	if (ob_puts(&s->out, "{\"type\":\"signal\",\"from\":") || ob_id(&s->out, m->id) ||
	    ob_puts(&s->out, ",\"data\":") || ob_put(&s->out, data->raw, data->raw_len) ||
	    ob_puts(&s->out, "}"))
		return out_of_memory(s, r);
	emit(s, to->conn, s->out.p, s->out.len);
	s->st.signals++;
	return 0;
}

static int on_ping(struct sig *s, struct req *r)
{
	emit_simple(s, r->conn, "pong", NULL);
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
	struct member *m = member_by_conn(s, conn);

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
	for (size_t i = 0; i < s->conns.nb; i++) {
		while (s->conns.b[i]) {
			struct hnode *h = s->conns.b[i];

			s->conns.b[i] = h->next;
			free(container_of(h, struct member, by_conn));
		}
	}
	for (size_t i = 0; i < s->rooms.nb; i++) {
		while (s->rooms.b[i]) {
			struct hnode *h = s->rooms.b[i];

			s->rooms.b[i] = h->next;
			free(container_of(h, struct room, node));
		}
	}
	free(s->conns.b);
	free(s->ids.b);
	free(s->rooms.b);
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
