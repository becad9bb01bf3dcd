/* sig_send.c - the signaling core's outgoing messages: built in JSON, sent through ops->send. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_int.h"

#define ERR_BUF (64 + 6 * REASON_MAX + 6 * TYPE_REF_MAX)	/* each byte escapes to <= 6 */
#define ICE_CAP_START 2048
#define ICE_CAP_MAX (256 * 1024)

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
	sig_id_hex(id, q + 1);
	q[ID_LEN + 1] = '"';
	return ob_put(o, q, sizeof(q));
}

void sig_emit(struct sig *s, uint64_t conn, const char *json, size_t len)
{
	if (s->ops.send(s->ops.ctx, conn, json, len) < 0)
		s->st.send_failures++;
}

void sig_emit_simple(struct sig *s, uint64_t conn, const char *type, const uint64_t *id)
{
	char buf[64 + ID_LEN];
	int n;

	if (id) {
		char hex[ID_LEN];

		sig_id_hex(*id, hex);
		n = snprintf(buf, sizeof(buf), "{\"type\":\"%s\",\"id\":\"%.*s\"}", type, ID_LEN,
			     hex);
	} else {
		n = snprintf(buf, sizeof(buf), "{\"type\":\"%s\"}", type);
	}
	sig_emit(s, conn, buf, (size_t)n);
}

void sig_emit_error(struct sig *s, uint64_t conn, const struct req *r, const char *reason)
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
	sig_emit(s, conn, buf, n);
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
int sig_build_joined(struct sig *s, uint64_t conn, uint64_t id, const char *name, size_t len,
		     const struct room *room)
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

int sig_build_signal(struct sig *s, uint64_t from, const char *data, size_t data_len)
{
	struct obuf *o = &s->out;

	o->len = 0;
	if (ob_puts(o, "{\"type\":\"signal\",\"from\":") || ob_id(o, from) ||
	    ob_puts(o, ",\"data\":") || ob_put(o, data, data_len) || ob_puts(o, "}"))
		return -ENOMEM;
	return 0;
}
