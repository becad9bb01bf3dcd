/* soak_traffic.c - the soak client's ChannelData: paced sends, echo checks, loss accounting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "log.h"
#include "soak.h"
#include "soak_int.h"

#define HDR 4			/* ChannelData header: channel, length */
#define BURST_MS 100		/* the rate's budget never exceeds this much sending */

int traffic_init(struct soak_traffic *t)
{
	memset(t, 0, sizeof(*t));
	t->sent_ms = calloc(SOAK_RING, sizeof(*t->sent_ms));
	t->got = calloc(SOAK_RING, sizeof(*t->got));
	if (!t->sent_ms || !t->got) {
		traffic_free(t);
		return -ENOMEM;
	}
	return 0;
}

void traffic_free(struct soak_traffic *t)
{
	free(t->sent_ms);
	free(t->got);
	t->sent_ms = NULL;
	t->got = NULL;
}

/* Byte i of the payload of packet seq (after magic, flow and seq). */
static uint8_t fill(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 31 + i);
}

static void build(uint8_t *p, const struct soak_flow *f, uint64_t seq)
{
	uint32_t magic = htonl(SOAK_PKT_MAGIC), idx = htonl(f->idx);
	uint16_t chan = htons(f->channel), len = htons(SOAK_PKT_LEN);

	memcpy(p, &chan, 2);
	memcpy(p + 2, &len, 2);
	memcpy(p + HDR, &magic, 4);
	memcpy(p + HDR + 4, &idx, 4);
	memcpy(p + HDR + 8, &seq, 8);
	for (size_t i = 16; i < SOAK_PKT_LEN; i++)
		p[HDR + i] = fill(seq, i);
}

/* The next flow that may send, round robin, or NULL when none may. */
static struct soak_flow *next_flow(struct soak *s)
{
	for (uint32_t k = 0; k < s->o.n; k++) {
		struct soak_flow *f = &s->flows[s->tr.rr];

		s->tr.rr = (s->tr.rr + 1) % s->o.n;
		if (f->ready && !f->gone && !f->dead)
			return f;
	}
	return NULL;
}

static void send_one(struct soak *s, struct soak_flow *f, uint64_t now)
{
	struct soak_traffic *t = &s->tr;
	uint8_t pkt[HDR + SOAK_PKT_LEN];
	uint32_t slot = (uint32_t)(t->next_seq % SOAK_RING);

	build(pkt, f, t->next_seq);
	if (send(f->fd, pkt, sizeof(pkt), 0) < 0) {
		s->c.send_err++;
		pr_warn("msg=\"ChannelData send failed\" flow=%u err=\"%s\"", f->idx,
			strerror(errno));
		return;
	}
	t->sent_ms[slot] = (uint32_t)(now - s->t0);
	t->got[slot] = 0;
	t->next_seq++;
	s->c.sent++;
}

void traffic_send(struct soak *s, uint64_t now)
{
	struct soak_traffic *t = &s->tr;
	double cap = (double)s->o.pps * BURST_MS / 1000;
	struct soak_flow *f;

	if (!t->last_ms)
		t->last_ms = now;
	t->budget += (double)(now - t->last_ms) * s->o.pps / 1000;
	t->last_ms = now;
	if (t->budget > cap)
		t->budget = cap;
	while (t->budget >= 1 && t->next_seq - t->cursor < SOAK_RING) {
		f = next_flow(s);
		if (!f)
			break;
		send_one(s, f, now);
		t->budget -= 1;
	}
}

/* The payload is one of ours, sent by f, unaltered. Its sequence number, or -EBADMSG. */
static int check_payload(const struct soak_flow *f, const uint8_t *p, uint64_t *seq)
{
	uint32_t magic, idx;

	memcpy(&magic, p, 4);
	memcpy(&idx, p + 4, 4);
	memcpy(seq, p + 8, 8);
	if (ntohl(magic) != SOAK_PKT_MAGIC || ntohl(idx) != f->idx)
		return -EBADMSG;
	for (size_t i = 16; i < SOAK_PKT_LEN; i++)
		if (p[i] != fill(*seq, i))
			return -EBADMSG;
	return 0;
}

void traffic_echo(struct soak *s, struct soak_flow *f, const uint8_t *buf, size_t len)
{
	struct soak_traffic *t = &s->tr;
	uint16_t chan, plen;
	uint64_t seq;

	memcpy(&chan, buf, 2);
	memcpy(&plen, buf + 2, 2);
	if (len < HDR + SOAK_PKT_LEN || ntohs(chan) != f->channel || ntohs(plen) != SOAK_PKT_LEN ||
	    check_payload(f, buf + HDR, &seq)) {
		s->c.bad_echo++;
		pr_warn("msg=\"bad echo\" flow=%u len=%zu channel=%#x", f->idx, len, ntohs(chan));
		return;
	}
	if (seq >= t->next_seq)
		s->c.bad_echo++;	/* never sent */
	else if (seq < t->cursor)
		s->c.late++;		/* already counted lost */
	else if (t->got[seq % SOAK_RING])
		s->c.dup++;
	else {
		t->got[seq % SOAK_RING] = 1;
		s->c.echoed++;
	}
}

void traffic_judge(struct soak *s, uint64_t now, bool all)
{
	struct soak_traffic *t = &s->tr;
	uint64_t rel = now - s->t0;
	uint32_t slot;

	while (t->cursor < t->next_seq) {
		slot = (uint32_t)(t->cursor % SOAK_RING);
		if (!all && t->sent_ms[slot] + SOAK_LOSS_MS > rel)
			break;
		if (!t->got[slot])
			s->c.lost++;
		t->cursor++;
	}
}
