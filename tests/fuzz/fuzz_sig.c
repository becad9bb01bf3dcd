/* fuzz_sig.c - libFuzzer harness: any bytes as signaling messages from three connections. */
/*
 * Build and run from the repo root (the corpus is copied so that the run does not add to it):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon
 *	tests/fuzz/fuzz_sig.c daemon/sig.c daemon/sig_rooms.c daemon/sig_send.c daemon/sig_json.c \
 *	-o fuzz_sig
 *   rm -rf /tmp/corpus_sig && cp -r tests/fuzz/corpus/sig /tmp/corpus_sig
 *   ./fuzz_sig -max_total_time=60 /tmp/corpus_sig
 *
 * Input: byte 0 sets the limits and the iceServers callback (bits 0-1: max_rooms - 1, bits
 * 2-3: max_members - 1, bits 4-5: max_message = 128 << n, bits 6-7: iceServers normal, normal,
 * 3 kB (grown after -ENOSPC), -EIO). The rest is records separated by 0xFF bytes (never in
 * UTF-8). A record's first byte: bits 0-1 pick connection 1-3 (3 is 1 again); with bit 2 set the
 * connection is gone (sig_gone) and the rest is ignored; otherwise the rest is one message,
 * where "@1", "@2", "@3" become the IDs of connections 1-3 (when joined) so that mutations reach
 * the relay. Random draws repeat now and then, to exercise ID redraws.
 *
 * Checks, abort() on a violation: sig_message returns 0 and sends at least one message; every
 * message sent is a JSON object (by sj_scan) with a known string type, to one of the three
 * connections, and fits the model kept from outside: "joined", "left", "pong" and "error" go
 * to the sender only, "joined" only when it was not in a room and with a 16-hex ID no other
 * member has, "left" only when it was; "signal" goes from a joined sender to another joined
 * connection with the data bytes exactly as sent; peer-joined/peer-left never to the sender
 * or the gone; members in the stats always equal the joined connections, rooms never exceed
 * members or max_rooms; after all connections are gone, no room or member remains.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig.h"
#include "sig_json.h"

#define NCONN 3

struct out {
	uint64_t conn;
	char *json;
	size_t len;
};

static struct {
	struct out m[64];
	size_t n;
	uint64_t rng, last;
	unsigned draws;
	int ice;
	bool joined[NCONN + 1];
	char id[NCONN + 1][17];
} H;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int h_send(void *ctx, uint64_t conn, const char *json, size_t len)
{
	(void)ctx;
	if (H.n == sizeof(H.m) / sizeof(H.m[0]))
		abort();	/* at most 1 + max_members per message */
	H.m[H.n].conn = conn;
	H.m[H.n].json = malloc(len + 1);
	memcpy(H.m[H.n].json, json, len);
	H.m[H.n].json[len] = 0;
	H.m[H.n].len = len;
	H.n++;
	return 0;
}

static int h_ice(void *ctx, uint64_t conn, char *out, size_t cap)
{
	(void)ctx;
	(void)conn;
	if (H.ice == 3)
		return -EIO;
	if (H.ice == 2) {
		if (cap < 3001)
			return -ENOSPC;
		memcpy(out, "[\"", 2);
		memset(out + 2, 'i', 2996);
		memcpy(out + 2998, "\"]", 3);
		return 3000;
	}
	return snprintf(out, cap, "[{\"urls\":[\"stun:h:3478\"]}]");
}

static void h_random(void *ctx, void *buf, size_t n)
{
	uint64_t z;

	(void)ctx;
	if (++H.draws % 3) {
		z = (H.rng += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		H.last = z ^ (z >> 31);
	}
	for (size_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = (uint8_t)(H.last >> (8 * (i % 8)));
}

static void clear(void)
{
	for (size_t i = 0; i < H.n; i++)
		free(H.m[i].json);
	H.n = 0;
}

/* msg with @1..@3 replaced by the IDs; *len updated. The caller frees. */
static char *substitute(const uint8_t *p, size_t n, size_t *len)
{
	char *s = malloc(n * 8 + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = i + 1 < n && p[i] == '@' ? p[i + 1] - '0' : 0;

		if (c >= 1 && c <= NCONN && H.joined[c]) {
			memcpy(s + k, H.id[c], 16);
			k += 16;
			i++;
		} else {
			s[k++] = (char)p[i];
		}
	}
	*len = k;
	return s;
}

/* The decoded type of a sent message, which must be a JSON object; field data too. */
static void parse_out(const struct out *o, char type[16], struct sj_field *data)
{
	struct sj_field f[2] = { { .key = "type" }, { .key = "data" } };
	enum sj_kind top;
	const char *why;
	ssize_t n;

	if (sj_scan(o->json, o->len, &top, f, 2, &why) || top != SJ_OBJECT ||
	    f[0].kind != SJ_STRING)
		abort();
	n = sj_unescape(f[0].raw, f[0].raw_len, type, 15);
	if (n < 0)
		abort();
	type[n] = 0;
	*data = f[1];
}

static bool is_hex16(const char *s)
{
	for (int i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[16] == '"';
}

/* A "joined" to conn c: a fresh ID, unique among the joined. */
static void saw_joined(uint64_t c, const struct out *o)
{
	const char *p = o->json + 23;

	if (strncmp(o->json, "{\"type\":\"joined\",\"id\":\"", 23) || o->len < 40 || !is_hex16(p))
		abort();
	for (int k = 1; k <= NCONN; k++)
		if (H.joined[k] && !memcmp(H.id[k], p, 16))
			abort();
	memcpy(H.id[c], p, 16);
	H.id[c][16] = 0;
	H.joined[c] = true;
}

/* The messages of one request from sender (0: a sig_gone). */
static void check_out(uint64_t sender, uint64_t gone, bool was_joined, const struct sj_field *in)
{
	for (size_t i = 0; i < H.n; i++) {
		const struct out *o = &H.m[i];
		struct sj_field d;
		char type[16];

		if (o->conn < 1 || o->conn > NCONN || o->conn == gone)
			abort();
		parse_out(o, type, &d);
		if (!strcmp(type, "joined")) {
			if (o->conn != sender || was_joined)
				abort();
			saw_joined(o->conn, o);
		} else if (!strcmp(type, "left")) {
			if (o->conn != sender || !was_joined)
				abort();
			H.joined[o->conn] = false;
		} else if (!strcmp(type, "error") || !strcmp(type, "pong")) {
			if (o->conn != sender)
				abort();
		} else if (!strcmp(type, "signal")) {
			if (o->conn == sender || !was_joined || !H.joined[o->conn] || !in ||
			    d.raw_len != in->raw_len || memcmp(d.raw, in->raw, d.raw_len))
				abort();
		} else if (!strcmp(type, "peer-joined") || !strcmp(type, "peer-left")) {
			if (o->conn == sender || !H.joined[o->conn])
				abort();
		} else {
			abort();
		}
	}
}

static void check_stats(const struct sig *s, const struct sig_limits *lim)
{
	struct sig_stats st;
	uint64_t members = 0;

	for (int c = 1; c <= NCONN; c++)
		members += H.joined[c];
	sig_get_stats(s, &st);
	if (st.members != members || st.rooms > st.members || st.rooms > lim->max_rooms)
		abort();
}

static void one_message(struct sig *s, uint64_t conn, const uint8_t *p, size_t n)
{
	struct sj_field data = { .key = "data" };
	bool was_joined = H.joined[conn];
	enum sj_kind top;
	const char *why;
	size_t len;
	char *msg = substitute(p, n, &len);

	if (sj_scan(msg, len, &top, &data, 1, &why))
		data.kind = SJ_ABSENT;
	clear();
	if (sig_message(s, conn, msg, len) || !H.n)
		abort();
	check_out(conn, 0, was_joined, data.kind == SJ_ABSENT ? NULL : &data);
	free(msg);
}

static void one_gone(struct sig *s, uint64_t conn)
{
	clear();
	sig_gone(s, conn);
	H.joined[conn] = false;
	check_out(0, conn, false, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_limits lim;
	struct sig_ops ops = { NULL, h_send, h_ice, h_random };
	struct sig_stats st;
	struct sig *s;
	size_t i = 1;

	if (!size)
		return 0;
	memset(&H, 0, sizeof(H));
	lim.max_rooms = 1 + (data[0] & 3);
	lim.max_members = 1 + ((data[0] >> 2) & 3);
	lim.max_message = (size_t)128 << ((data[0] >> 4) & 3);
	H.ice = data[0] >> 6;
	s = sig_new(&lim, &ops);
	if (!s)
		abort();
	while (i < size) {
		const uint8_t *end = memchr(data + i, 0xFF, size - i);
		size_t n = end ? (size_t)(end - (data + i)) : size - i;
		uint64_t conn = (data[i] & 3) % NCONN + 1;

		if (n) {
			if (data[i] & 4)
				one_gone(s, conn);
			else
				one_message(s, conn, data + i + 1, n - 1);
			check_stats(s, &lim);
		}
		i += n + 1;
	}
	for (uint64_t c = 1; c <= NCONN; c++)
		one_gone(s, c);
	clear();
	sig_get_stats(s, &st);
	if (st.members || st.rooms)
		abort();
	sig_free(s);
	return 0;
}
