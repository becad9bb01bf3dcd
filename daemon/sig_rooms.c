/* sig_rooms.c - the signaling core's tables: rooms by name, members by connection and by ID. */
/*
 * Three hash tables (chained, power-of-two buckets, grown before anything is committed so
 * that a refused or failed request changes nothing; never shrunk): rooms by name, members
 * by conn and members by ID. A room lists its members in join order, the order of "peers".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sig_int.h"

#define ID_TRIES 8		/* random draws before giving up on a unique ID */

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

struct room *sig_room_find(const struct sig *s, const char *name, size_t len)
{
	uint64_t hash = name_hash(s, name, len);

	for (struct hnode *h = htab_chain(&s->rooms, hash); h; h = h->next) {
		struct room *r = container_of(h, struct room, node);

		if (h->hash == hash && r->len == len && !memcmp(r->name, name, len))
			return r;
	}
	return NULL;
}

struct member *sig_member_by_conn(const struct sig *s, uint64_t conn)
{
	uint64_t hash = mix64(conn ^ s->seed);

	for (struct hnode *h = htab_chain(&s->conns, hash); h; h = h->next) {
		struct member *m = container_of(h, struct member, by_conn);

		if (m->conn == conn)
			return m;
	}
	return NULL;
}

struct member *sig_member_by_id(const struct sig *s, uint64_t id)
{
	uint64_t hash = mix64(id ^ s->seed);

	for (struct hnode *h = htab_chain(&s->ids, hash); h; h = h->next) {
		struct member *m = container_of(h, struct member, by_id);

		if (m->id == id)
			return m;
	}
	return NULL;
}

int sig_new_id(struct sig *s, uint64_t *id)
{
	for (int i = 0; i < ID_TRIES; i++) {
		uint64_t v;

		s->ops.random(s->ops.ctx, &v, sizeof(v));
		if (!sig_member_by_id(s, v)) {
			*id = v;
			return 0;
		}
	}
	return -EAGAIN;
}

struct room *sig_room_new(const char *name, size_t len)
{
	struct room *r = calloc(1, sizeof(*r));

	if (r) {
		memcpy(r->name, name, len);
		r->len = len;
	}
	return r;
}

int sig_reserve_join(struct sig *s, bool new_room)
{
	if (htab_reserve(&s->conns) || htab_reserve(&s->ids) ||
	    (new_room && htab_reserve(&s->rooms)))
		return -ENOMEM;
	return 0;
}

void sig_member_add(struct sig *s, struct member *m, struct room *r, bool new_room)
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
}

void sig_member_unlink(struct sig *s, struct member *m)
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
}

void sig_room_drop_empty(struct sig *s, struct room *r)
{
	if (r->n)
		return;
	htab_del(&s->rooms, &r->node);
	free(r);
}

void sig_tables_free(struct sig *s)
{
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
}

void sig_id_hex(uint64_t id, char out[ID_LEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < ID_LEN; i++)
		out[i] = hex[(id >> (60 - 4 * i)) & 15];
}

bool sig_id_parse(const char *s, size_t n, uint64_t *id)
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
