/* test_ws_frame.c - the RFC 6455 frame codec: good and bad frames, torn input, builders, noise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ws_frame.h"

/* A zero mask key leaves the payload readable in the tables below. */
#define M0 "\0\0\0\0"
#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

static const uint8_t mkey[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A masked client frame: first byte b0, minimal length encoding, payload masked with mkey. */
static size_t cframe(uint8_t *out, uint8_t b0, const void *pl, size_t len)
{
	size_t h;

	out[0] = b0;
	if (len <= 125) {
		out[1] = (uint8_t)(0x80 | len);
		h = 2;
	} else if (len <= 0xFFFF) {
		out[1] = 0x80 | 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		h = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, mkey, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		out[h + i] = ((const uint8_t *)pl)[i] ^ mkey[i & 3];
	return h + len;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

#define MAX_EV 64

struct rec {
	enum ws_ev_type type;
	enum ws_op op;
	uint16_t code;
	size_t len, consumed;
	uint64_t hash;
	uint8_t head[8];		/* first payload bytes, for readable checks */
};

struct run {
	struct rec ev[MAX_EV];
	int n;
	size_t msg_cap_max;		/* the largest reassembly buffer seen */
};

static int insane;			/* events that broke an invariant, over all runs */

static bool close_code_ok(unsigned c)
{
	return (c >= 1000 && c <= 1014 && c != 1004 && c != 1005 && c != 1006) ||
	       (c >= 3000 && c <= 4999);
}

/* The invariants every event must hold, whatever the input. */
static bool sane(const struct ws_event *ev, size_t consumed, size_t len, size_t max)
{
	if (consumed > len || (ev->len && !ev->data))
		return false;
	switch (ev->type) {
	case WS_EV_NONE:
		return ev->len == 0;
	case WS_EV_MESSAGE:
		return (ev->op == WS_OP_TEXT || ev->op == WS_OP_BINARY) && ev->len <= max &&
		       (ev->op == WS_OP_BINARY || ws_utf8_valid(ev->data, ev->len));
	case WS_EV_PING:
	case WS_EV_PONG:
		return ev->len <= WS_MAX_CONTROL;
	case WS_EV_CLOSE:
		if (ev->code == WS_CLOSE_NO_STATUS)
			return ev->len == 0;
		return close_code_ok(ev->code) && ev->len <= WS_MAX_CONTROL - 2 &&
		       ws_utf8_valid(ev->data, ev->len);
	case WS_EV_ERROR:
		return ev->why && *ev->why &&
		       (ev->code == WS_CLOSE_PROTOCOL || ev->code == WS_CLOSE_BAD_DATA ||
			ev->code == WS_CLOSE_TOO_BIG || ev->code == WS_CLOSE_INTERNAL);
	}
	return false;
}

/* Replace *buf (of *len bytes) by an exact-size copy without its first c bytes plus add[0..n). */
static void rebuffer(uint8_t **buf, size_t *len, size_t c, const uint8_t *add, size_t n)
{
	size_t keep = *len - c;
	uint8_t *b = malloc(keep + n ? keep + n : 1);

	if (keep)
		memcpy(b, *buf + c, keep);
	if (n)
		memcpy(b + keep, add, n);
	free(*buf);
	*buf = b;
	*len = keep + n;
}

/* Call ws_rx_feed until it needs more bytes; false once a close or an error ended the stream. */
static bool drain(struct ws_rx *rx, uint8_t **buf, size_t *len, struct run *out)
{
	for (;;) {
		struct ws_event ev;
		size_t c = ws_rx_feed(rx, *buf, *len, &ev);
		struct rec *r = &out->ev[out->n < MAX_EV ? out->n : MAX_EV - 1];

		if (!sane(&ev, c, *len, rx->max_message) && !insane++)
			diag("insane event type=%d code=%u len=%zu", ev.type, ev.code, ev.len);
		if (rx->msg_cap > out->msg_cap_max)
			out->msg_cap_max = rx->msg_cap;
		if (ev.type == WS_EV_NONE && !c)
			return true;
		*r = (struct rec){ ev.type, ev.op, ev.code, ev.len, c, fnv(ev.data, ev.len), {0} };
		if (ev.len)
			memcpy(r->head, ev.data, ev.len < 8 ? ev.len : 8);
		out->n += out->n < MAX_EV;
		rebuffer(buf, len, c, NULL, 0);
		if (ev.type == WS_EV_ERROR || ev.type == WS_EV_CLOSE)
			return false;
	}
}

/*
 * Feed in[0..n) to a fresh receiver as a connection would: chunk bytes at a time (0: all at
 * once), each time into a buffer of exactly the bytes held (ASan sees any overread).
 */
static void run(const uint8_t *in, size_t n, size_t max, size_t chunk, struct run *out)
{
	struct ws_rx rx = { .max_message = max };
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;

	memset(out, 0, sizeof(*out));
	while (off < n) {
		size_t take = chunk && chunk < n - off ? chunk : n - off;

		rebuffer(&buf, &len, 0, in + off, take);
		off += take;
		if (!drain(&rx, &buf, &len, out))
			break;
	}
	ws_rx_free(&rx);
	free(buf);
}

static bool same_run(const struct run *a, const struct run *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++) {
		const struct rec *x = &a->ev[i], *y = &b->ev[i];

		if (x->type != y->type || x->op != y->op || x->code != y->code ||
		    x->len != y->len || x->hash != y->hash)
			return false;
		/* How much a header error consumed is not promised; everything else is. */
		if (x->type != WS_EV_ERROR && x->consumed != y->consumed)
			return false;
	}
	return true;
}

static const struct rec *last(const struct run *r)
{
	static const struct rec none;

	return r->n ? &r->ev[r->n - 1] : &none;
}

struct good {
	const char *desc;
	const uint8_t *in;
	size_t n;
	int events;			/* events recorded, fragments absorbed included */
	enum ws_ev_type type;		/* of the last one */
	enum ws_op op;
	uint16_t code;
	const char *data;
	size_t len;
};

static const struct good goods[] = {
	{ "RFC 6455 5.7 masked Hello", S("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"), 1,
	  WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5 },
	{ "RFC 6455 5.7 fragmented Hel+lo", S("\x01\x83\x37\xfa\x21\x3d\x7f\x9f\x4d"
					      "\x80\x82\x37\xfa\x21\x3d\x5b\x95"), 2,
	  WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5 },
	{ "RFC 6455 5.7 masked ping", S("\x89\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"), 1,
	  WS_EV_PING, 0, 0, "Hello", 5 },
	{ "pong", S("\x8A\x83" M0 "abc"), 1, WS_EV_PONG, 0, 0, "abc", 3 },
	{ "empty text", S("\x81\x80" M0), 1, WS_EV_MESSAGE, WS_OP_TEXT, 0, "", 0 },
	{ "empty binary", S("\x82\x80" M0), 1, WS_EV_MESSAGE, WS_OP_BINARY, 0, "", 0 },
	{ "binary with bytes that are not UTF-8", S("\x82\x83" M0 "\xFF\x00\xC0"), 1,
	  WS_EV_MESSAGE, WS_OP_BINARY, 0, "\xFF\x00\xC0", 3 },
	{ "text with 2-, 3- and 4-byte characters", S("\x81\x89" M0 "\xC3\xA9\xE2\x82\xAC"
						      "\xF0\x9F\x98\x80"), 1,
	  WS_EV_MESSAGE, WS_OP_TEXT, 0, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9 },
	{ "euro sign split 1+1+1 over three fragments",
	  S("\x01\x81" M0 "\xE2" "\x00\x81" M0 "\x82" "\x80\x81" M0 "\xAC"), 3,
	  WS_EV_MESSAGE, WS_OP_TEXT, 0, "\xE2\x82\xAC", 3 },
	{ "emoji split 3+1", S("\x01\x83" M0 "\xF0\x9F\x98" "\x80\x81" M0 "\x80"), 2,
	  WS_EV_MESSAGE, WS_OP_TEXT, 0, "\xF0\x9F\x98\x80", 4 },
	{ "fragmented binary with empty fragments",
	  S("\x02\x80" M0 "\x00\x82" M0 "ab" "\x00\x80" M0 "\x80\x80" M0), 4,
	  WS_EV_MESSAGE, WS_OP_BINARY, 0, "ab", 2 },
	{ "two fragmented messages in a row", S("\x01\x82" M0 "ab" "\x80\x81" M0 "c"
						"\x02\x81" M0 "d" "\x80\x81" M0 "e"), 4,
	  WS_EV_MESSAGE, WS_OP_BINARY, 0, "de", 2 },
	{ "fragmented text, all fragments empty", S("\x01\x80" M0 "\x80\x80" M0), 2,
	  WS_EV_MESSAGE, WS_OP_TEXT, 0, "", 0 },
	{ "ping between fragments", S("\x01\x83" M0 "Hel" "\x89\x82" M0 "pi" "\x80\x82" M0 "lo"),
	  3, WS_EV_MESSAGE, WS_OP_TEXT, 0, "Hello", 5 },
	{ "close between fragments", S("\x01\x83" M0 "Hel" "\x88\x82" M0 "\x03\xE8"), 2,
	  WS_EV_CLOSE, 0, 1000, "", 0 },
	{ "close without a code", S("\x88\x80" M0), 1, WS_EV_CLOSE, 0, 1005, "", 0 },
	{ "close 1000 without a reason", S("\x88\x82" M0 "\x03\xE8"), 1,
	  WS_EV_CLOSE, 0, 1000, "", 0 },
	{ "close 1001 with a reason", S("\x88\x85" M0 "\x03\xE9" "bye"), 1,
	  WS_EV_CLOSE, 0, 1001, "bye", 3 },
	{ "close 4999 with a UTF-8 reason", S("\x88\x84" M0 "\x13\x87" "\xC3\xA9"), 1,
	  WS_EV_CLOSE, 0, 4999, "\xC3\xA9", 2 },
	{ "two frames then a close", S("\x81\x81" M0 "a" "\x82\x81" M0 "b" "\x88\x80" M0), 3,
	  WS_EV_CLOSE, 0, 1005, "", 0 },
	{ "a message exactly max_message (16) long", S("\x82\x90" M0 "0123456789abcdef"), 1,
	  WS_EV_MESSAGE, WS_OP_BINARY, 0, "0123456789abcdef", 16 },
	{ "fragments summing to max_message", S("\x01\x88" M0 "01234567" "\x80\x88" M0 "89abcdef"),
	  2, WS_EV_MESSAGE, WS_OP_TEXT, 0, "0123456789abcdef", 16 },
	{ "a torn frame: only 1 byte", S("\x81"), 0, WS_EV_NONE, 0, 0, "", 0 },
	{ "a torn frame: header, no payload", S("\x81\x85" M0), 0, WS_EV_NONE, 0, 0, "", 0 },
	{ "a torn 64-bit length", S("\x82\xFF\x00\x00\x00"), 0, WS_EV_NONE, 0, 0, "", 0 },
};

static void good_frames(void)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		const struct rec *l;
		struct run whole, torn;

		run(g->in, g->n, 16, 0, &whole);
		run(g->in, g->n, 16, 1, &torn);
		l = last(&whole);
		is_int(whole.n, g->events, "%s: %d events", g->desc, g->events);
		ok(l->type == g->type && l->op == g->op && l->code == g->code &&
		   l->len == g->len &&
		   (!whole.n || l->hash == fnv((const uint8_t *)g->data, g->len)),
		   "%s: type %d op %d code %u, %zu bytes as expected", g->desc, g->type, g->op,
		   g->code, g->len);
		ok(same_run(&whole, &torn), "%s: fed one byte at a time, same events", g->desc);
	}
}

struct bad {
	const char *desc;
	const uint8_t *in;
	size_t n;
	uint16_t code;
};

static const struct bad bads[] = {
	{ "unmasked text", S("\x81\x05Hello"), 1002 },
	{ "unmasked close", S("\x88\x00"), 1002 },
	{ "RSV1 set", S("\xC1\x85" M0 "Hello"), 1002 },
	{ "RSV2 set", S("\xA1\x85" M0 "Hello"), 1002 },
	{ "RSV3 set", S("\x91\x85" M0 "Hello"), 1002 },
	{ "RSV1 on a continuation", S("\x01\x81" M0 "a" "\xC0\x81" M0 "b"), 1002 },
	{ "fragmented ping", S("\x09\x80" M0), 1002 },
	{ "fragmented close", S("\x08\x80" M0), 1002 },
	{ "ping of 126 bytes (16-bit length)", S("\x89\xFE\x00\x7E"), 1002 },
	{ "pong with a 64-bit length", S("\x8A\xFF\0\0\0\0\0\0\0\x10"), 1002 },
	{ "close with length 126", S("\x88\xFE\x00\x7E"), 1002 },
	{ "continuation without a start", S("\x80\x81" M0 "a"), 1002 },
	{ "non-final continuation without a start", S("\x00\x81" M0 "a"), 1002 },
	{ "text inside a fragmented message", S("\x01\x81" M0 "a" "\x81\x81" M0 "b"), 1002 },
	{ "binary inside a fragmented text", S("\x01\x81" M0 "a" "\x02\x81" M0 "b"), 1002 },
	{ "continuation after the message ended", S("\x81\x81" M0 "a" "\x80\x81" M0 "b"), 1002 },
	{ "16-bit length of 125 (non-minimal)", S("\x82\xFE\x00\x7D"), 1002 },
	{ "16-bit length of 0 (non-minimal)", S("\x82\xFE\x00\x00" M0), 1002 },
	{ "64-bit length of 65535 (non-minimal)", S("\x82\xFF\0\0\0\0\0\0\xFF\xFF"), 1002 },
	{ "64-bit length of 5 (non-minimal)", S("\x82\xFF\0\0\0\0\0\0\0\x05" M0 "Hello"), 1002 },
	{ "64-bit length 2^63", S("\x82\xFF\x80\0\0\0\0\0\0\0"), 1002 },
	{ "64-bit length 2^64-1", S("\x82\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF"), 1002 },
	{ "2^63 on a continuation", S("\x01\x80" M0 "\x80\xFF\x80\0\0\0\0\0\0\0"), 1002 },
	{ "17 bytes over max_message 16, header only", S("\x82\x91"), 1009 },
	{ "2^62 bytes, header only", S("\x82\xFF\x40\0\0\0\0\0\0\0"), 1009 },
	{ "fragments over max_message", S("\x01\x88" M0 "01234567" "\x80\x89"), 1009 },
	{ "text: lone continuation byte", S("\x81\x81" M0 "\x80"), 1007 },
	{ "text: overlong slash C0 AF", S("\x81\x82" M0 "\xC0\xAF"), 1007 },
	{ "text: overlong E0 80 AF", S("\x81\x83" M0 "\xE0\x80\xAF"), 1007 },
	{ "text: overlong F0 80 80 AF", S("\x81\x84" M0 "\xF0\x80\x80\xAF"), 1007 },
	{ "text: surrogate ED A0 80", S("\x81\x83" M0 "\xED\xA0\x80"), 1007 },
	{ "text: U+110000 F4 90 80 80", S("\x81\x84" M0 "\xF4\x90\x80\x80"), 1007 },
	{ "text: F5 lead", S("\x81\x84" M0 "\xF5\x80\x80\x80"), 1007 },
	{ "text: FF", S("\x81\x81" M0 "\xFF"), 1007 },
	{ "text: truncated at the end", S("\x81\x82" M0 "\xE2\x82"), 1007 },
	{ "text: ASCII in place of a continuation", S("\x81\x82" M0 "\xC3\x28"), 1007 },
	{ "fragments: bad continuation across fragments", S("\x01\x81" M0 "\xE2" "\x80\x81" M0 "("),
	  1007 },
	{ "fragments: bad byte in the first fragment", S("\x01\x81" M0 "\xFE" "\x80\x81" M0 "a"),
	  1007 },
	{ "fragments: message ends inside a sequence", S("\x01\x81" M0 "\xE2" "\x80\x81" M0 "\x82"),
	  1007 },
	{ "close payload of 1 byte", S("\x88\x81" M0 "\x03"), 1002 },
	{ "close payload of 1 byte, then a byte that would make 1000",
	  S("\x88\x81" M0 "\x03" "\xE8"), 1002 },
	{ "close code 0", S("\x88\x82" M0 "\x00\x00"), 1002 },
	{ "close code 999", S("\x88\x82" M0 "\x03\xE7"), 1002 },
	{ "close code 1004", S("\x88\x82" M0 "\x03\xEC"), 1002 },
	{ "close code 1005", S("\x88\x82" M0 "\x03\xED"), 1002 },
	{ "close code 1006", S("\x88\x82" M0 "\x03\xEE"), 1002 },
	{ "close code 1015", S("\x88\x82" M0 "\x03\xF7"), 1002 },
	{ "close code 1016", S("\x88\x82" M0 "\x03\xF8"), 1002 },
	{ "close code 2999", S("\x88\x82" M0 "\x0B\xB7"), 1002 },
	{ "close code 5000", S("\x88\x82" M0 "\x13\x88"), 1002 },
	{ "close code 65535", S("\x88\x82" M0 "\xFF\xFF"), 1002 },
	{ "close reason not UTF-8", S("\x88\x84" M0 "\x03\xE8\xFF\xFE"), 1007 },
	{ "close reason with a surrogate", S("\x88\x85" M0 "\x03\xE8\xED\xBF\xBF"), 1007 },
};

static void bad_frames(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct run whole, torn;

		run(b->in, b->n, 16, 0, &whole);
		run(b->in, b->n, 16, 1, &torn);
		ok(last(&whole)->type == WS_EV_ERROR, "%s: an error", b->desc);
		is_int(last(&whole)->code, b->code, "%s: close code %u", b->desc, b->code);
		ok(same_run(&whole, &torn), "%s: fed one byte at a time, same events", b->desc);
	}
}

/* Every reserved opcode, in a final frame and a fragment, is refused with 1002. */
static void bad_opcodes(void)
{
	int wrong = 0;

	for (unsigned op = 0; op < 16; op++) {
		for (unsigned fin = 0; fin < 2; fin++) {
			uint8_t f[] = { (uint8_t)(fin << 7 | op), 0x80, 0, 0, 0, 0 };
			struct ws_rx rx = { .max_message = 16 };
			struct ws_event ev;

			if ((op >= 3 && op <= 7) || op >= 0xB) {
				ws_rx_feed(&rx, f, sizeof(f), &ev);
				wrong += ev.type != WS_EV_ERROR || ev.code != 1002;
			}
			ws_rx_free(&rx);
		}
	}
	is_int(wrong, 0, "opcodes 3-7 and B-F are refused with 1002");
}

/* Every close code from 0 to 65535 in a close frame, checked against the RFC's ranges. */
static void close_codes(void)
{
	int wrong = 0;

	for (unsigned c = 0; c <= 0xFFFF; c++) {
		uint8_t f[8] = { 0x88, 0x82, 0, 0, 0, 0, (uint8_t)(c >> 8), (uint8_t)c };
		struct ws_rx rx = { .max_message = 16 };
		struct ws_event ev;
		size_t n = ws_rx_feed(&rx, f, sizeof(f), &ev);

		if (close_code_ok(c))
			wrong += ev.type != WS_EV_CLOSE || ev.code != c || n != 8 || ev.len;
		else
			wrong += ev.type != WS_EV_ERROR || ev.code != 1002;
	}
	is_int(wrong, 0, "close codes: 1000-1003, 1007-1014, 3000-4999 pass, all others 1002");
}

static void after_close(void)
{
	uint8_t cl[] = { 0x88, 0x80, 0, 0, 0, 0 }, txt[] = { 0x81, 0x81, 1, 1, 1, 1, 'a' ^ 1 };
	uint8_t bad[] = { 0x81, 0x01, 'a' };
	struct ws_rx rx = { .max_message = 16 };
	struct ws_event ev;

	is_int(ws_rx_feed(&rx, cl, sizeof(cl), &ev), 6, "close consumed");
	is_int(ev.type, WS_EV_CLOSE, "a close event");
	ok(rx.closed, "rx is closed");
	is_int(ws_rx_feed(&rx, txt, sizeof(txt), &ev), 0, "a text frame after close: 0 consumed");
	ok(ev.type == WS_EV_ERROR && ev.code == 1002 && ev.why, "and refused with 1002");
	ws_rx_feed(&rx, cl, sizeof(cl), &ev);
	is_int(ev.type, WS_EV_ERROR, "a second close is refused");
	ws_rx_feed(&rx, txt, 0, &ev);
	is_int(ev.type, WS_EV_ERROR, "even zero bytes are refused");
	ws_rx_free(&rx);

	rx = (struct ws_rx){ .max_message = 16 };
	ws_rx_feed(&rx, bad, sizeof(bad), &ev);
	is_int(ev.code, 1002, "an unmasked frame is an error");
	ws_rx_feed(&rx, txt, sizeof(txt), &ev);
	ok(ev.type == WS_EV_ERROR && txt[6] == ('a' ^ 1),
	   "a good frame after an error is refused, left masked");
	ws_rx_free(&rx);
}

/* The size limit is enforced from the header alone, and no buffer outgrows it. */
static void size_limits(void)
{
	uint8_t hdr[] = { 0x82, 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 0 };	/* 1 MiB, no payload */
	uint8_t *big = malloc(3 * 70000);
	uint8_t *pl = calloc(1, 70000);
	struct ws_rx rx = { .max_message = 1000 };
	struct ws_event ev;
	bool got_big = false, got_next = false;
	struct run r;
	size_t n = 0;

	is_int(ws_rx_feed(&rx, hdr, sizeof(hdr), &ev), 0, "1 MiB header: nothing consumed");
	ok(ev.type == WS_EV_ERROR && ev.code == 1009, "1 MiB frame: 1009 before its payload");
	ok(!rx.msg && !rx.msg_cap, "and nothing was allocated");
	ws_rx_free(&rx);

	/* 3 fragments of 30000 = 90000 bytes with max 90000: fits; the buffer never exceeds it. */
	for (int i = 0; i < 3; i++) {
		memset(pl, 'a' + i, 30000);
		n += cframe(big + n, i == 0 ? 0x02 : i == 2 ? 0x80 : 0x00, pl, 30000);
	}
	run(big, n, 90000, 0, &r);
	ok(r.n == 3 && r.ev[2].type == WS_EV_MESSAGE && r.ev[2].len == 90000,
	   "90000 bytes in 3 fragments with max_message 90000: one message");
	ok(r.msg_cap_max <= 90000, "reassembly buffer at most max_message (%zu)", r.msg_cap_max);
	run(big, n, 89999, 0, &r);
	ok(last(&r)->type == WS_EV_ERROR && last(&r)->code == 1009,
	   "the same with max_message 89999: 1009");
	ok(r.msg_cap_max <= 89999, "reassembly buffer at most max_message (%zu)", r.msg_cap_max);
	run(big, n, 90000, 997, &r);
	ok(r.n == 3 && r.ev[2].len == 90000 && r.ev[2].head[0] == 'a',
	   "fed 997 bytes at a time: the same message");
	free(big);

	/* 4 x 30000: the buffer passes 64 KiB while the message is still open, then is trimmed. */
	big = malloc(4 * 30014 + 7);
	n = 0;
	for (int i = 0; i < 4; i++) {
		memset(pl, 'a' + i, 30000);
		n += cframe(big + n, i == 0 ? 0x01 : i == 3 ? 0x80 : 0x00, pl, 30000);
	}
	n += cframe(big + n, 0x81, "z", 1);
	rx = (struct ws_rx){ .max_message = 120000 };
	for (size_t off = 0, c = 1; c && off < n; off += c) {
		c = ws_rx_feed(&rx, big + off, n - off, &ev);
		if (ev.type == WS_EV_MESSAGE && ev.len == 120000)
			got_big = ev.data[0] == 'a' && ev.data[119999] == 'd';
		else if (ev.type == WS_EV_MESSAGE)
			got_next = ev.len == 1 && ev.data[0] == 'z' && !rx.msg;
	}
	ok(got_big, "120000 bytes in 4 fragments, past 64 KiB while open: intact");
	ok(got_next, "the next message: the big buffer was freed");
	ws_rx_free(&rx);
	free(big);
	free(pl);
}

/* Server frames read back through the client codec (masked on the way): lengths 0 to 2^16. */
static void builders(void)
{
	static const struct {
		size_t len, hlen;
	} sizes[] = { { 0, 2 }, { 1, 2 }, { 125, 2 }, { 126, 4 }, { 127, 4 }, { 65535, 4 },
		      { 65536, 10 }, { 70000, 10 } };
	uint8_t hdr[WS_MAX_HEADER], *pl = malloc(70000), *out = malloc(70014);
	uint8_t *cl = malloc(70014);

	for (size_t i = 0; i < 70000; i++)
		pl[i] = (uint8_t)(i * 7 + i / 256);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i].len, n, cn;
		struct run r;

		is_int(ws_build_header(hdr, WS_OP_BINARY, len), sizes[i].hlen,
		       "header for %zu bytes is %zu long", len, sizes[i].hlen);
		n = ws_build_frame(out, 70014, WS_OP_BINARY, pl, len);
		is_int(n, sizes[i].hlen + len, "frame of %zu bytes", len);
		ok(out[0] == 0x82 && !(out[1] & 0x80) && !memcmp(out, hdr, sizes[i].hlen),
		   "FIN, binary, unmasked, same header");
		cn = cframe(cl, out[0], out + sizes[i].hlen, len);
		ok(cn == n + 4 && !memcmp(cl + 2, out + 2, sizes[i].hlen - 2),
		   "the same length encoding as the client side's (minimal)");
		run(cl, cn, 70000, 0, &r);
		ok(r.n == 1 && r.ev[0].type == WS_EV_MESSAGE && r.ev[0].len == len &&
		   r.ev[0].hash == fnv(pl, len), "%zu bytes read back intact", len);
		is_int(ws_build_frame(out, n - 1, WS_OP_BINARY, pl, len), 0,
		       "one byte short of room: 0");
	}
	is_int(ws_build_header(hdr, WS_OP_TEXT, 1ULL << 40), 10, "2^40: 10-byte header");
	is_mem(hdr, "\x81\x7F\x00\x00\x01\x00\x00\x00\x00\x00", 10, "with the length big-endian");
	is_int(ws_build_frame(out, 200, WS_OP_PING, pl, 126), 0, "a ping of 126 bytes: 0");
	is_int(ws_build_frame(out, 200, WS_OP_PONG, pl, 125), 127, "a pong of 125 bytes: 127");
	is_int(ws_build_frame(out, 200, WS_OP_CONT, pl, 1), 0, "a lone continuation: 0");
	is_int(ws_build_frame(out, 200, (enum ws_op)3, pl, 1), 0, "a reserved opcode: 0");
	is_int(ws_build_frame(out, 2, WS_OP_TEXT, NULL, 0), 2, "empty text in exactly 2 bytes");
	is_mem(out, "\x81\x00", 2, "is 81 00");
	free(pl);
	free(out);
	free(cl);
}

static void close_builder(void)
{
	char reason[200];
	uint8_t out[200];
	size_t n;

	n = ws_build_close(out, sizeof(out), 1002, "unmasked client frame");
	is_int(n, 2 + 2 + 21, "close 1002 with a reason");
	is_mem(out, "\x88\x17\x03\xEA" "unmasked client frame", n, "bytes exact");
	n = ws_build_close(out, sizeof(out), 1000, NULL);
	ok(n == 4 && !memcmp(out, "\x88\x02\x03\xE8", 4), "close 1000, no reason: 88 02 03 E8");
	n = ws_build_close(out, sizeof(out), WS_CLOSE_NO_STATUS, "x");
	ok(n == 2 && !memcmp(out, "\x88\x00", 2), "1005 is never sent: an empty close");
	n = ws_build_close(out, sizeof(out), 1006, NULL);
	ok(n == 2, "1006 is never sent: an empty close");
	memset(reason, 'a', 122);
	strcpy(reason + 122, "\xE2\x82\xAC" "tail");
	n = ws_build_close(out, sizeof(out), 1008, reason);
	ok(n == 2 + 2 + 122 && ws_utf8_valid(out + 4, 122),
	   "a long reason is cut before a split euro sign (122 bytes)");
	memset(reason, 'b', 150);
	reason[150] = 0;
	n = ws_build_close(out, sizeof(out), 1009, reason);
	is_int(n, 2 + 125, "a 150-byte ASCII reason is cut to 123");
	n = ws_build_close(out, sizeof(out), 1007, "bad \xFF");
	is_int(n, 4, "a reason that is not UTF-8 is left out");
	is_int(ws_build_close(out, 10, 1000, "a long reason"), 0, "no room: 0");
}

/* A decoder written the other way round: decode a code point, then check its range. */
static bool ref_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		size_t k = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 :
			   (b & 0xF8) == 0xF0 ? 4 : 0;
		static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		uint32_t cp;

		if (!k || i + k > n)
			return false;
		cp = k == 1 ? b : (uint32_t)(b & (0x7F >> k));
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k;
	}
	return true;
}

static void utf8(void)
{
	uint8_t s[4];
	int wrong = 0;
	size_t n;

	for (uint32_t v = 0; v < (1u << 24); v++) {
		s[0] = (uint8_t)(v >> 16);
		s[1] = (uint8_t)(v >> 8);
		s[2] = (uint8_t)v;
		n = v < 256 ? 1 : v < 65536 ? 2 : 3;
		wrong += ws_utf8_valid(s + 3 - n, n) != ref_utf8(s + 3 - n, n);
	}
	is_int(wrong, 0, "every 1-3 byte string: the same verdict as the reference decoder");
	for (uint32_t v = 0; v < (1u << 22); v++) {
		/* Lead EF-F6, second byte 70-EF, then 7F-FD in steps of 2 (7F, BF, C1 included). */
		s[0] = (uint8_t)(0xEF + (v >> 19));
		s[1] = (uint8_t)(0x70 + ((v >> 12) & 0x7F));
		s[2] = (uint8_t)(0x7F + 2 * ((v >> 6) & 0x3F));
		s[3] = (uint8_t)(0x7F + 2 * (v & 0x3F));
		wrong += ws_utf8_valid(s, 4) != ref_utf8(s, 4);
	}
	is_int(wrong, 0, "2^22 4-byte strings: the same verdict as the reference decoder");
	ok(ws_utf8_valid((const uint8_t *)"", 0), "empty is valid");
	ok(ws_utf8_valid((const uint8_t *)"\xF4\x8F\xBF\xBF", 4), "U+10FFFF is valid");
	ok(!ws_utf8_valid((const uint8_t *)"\xED\xBF\xBF", 3), "U+DFFF is not");
	ok(ws_utf8_valid((const uint8_t *)"\xEE\x80\x80", 3), "U+E000 is");
	ok(ws_utf8_valid((const uint8_t *)"a\0b", 3), "NUL is valid UTF-8");
}

static uint32_t rnd_state = 0x9e3779b9;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* 1-4 valid-looking frames of any kind, so that mutations land near the interesting paths. */
static size_t random_stream(uint8_t *out)
{
	static const uint8_t firsts[] = { 0x81, 0x82, 0x01, 0x02, 0x00, 0x80, 0x89, 0x8A, 0x88 };
	static const char *const texts[] = { "hi", "\xC3\xA9t\xC3\xA9", "\xE2\x82", "\xAC",
					     "\xF0\x9F\x98\x80", "\x03\xE8ok", "\x0B\xB8" };
	uint8_t pl[300];
	size_t n = 0, frames = 1 + rnd() % 4;

	for (size_t f = 0; f < frames; f++) {
		uint8_t b0 = firsts[rnd() % sizeof(firsts)];
		size_t len;

		if (rnd() % 2) {
			const char *t = texts[rnd() % (sizeof(texts) / sizeof(texts[0]))];

			len = strlen(t);
			memcpy(pl, t, len);
		} else {
			len = rnd() % 3 ? rnd() % 20 : 120 + rnd() % 180;
			for (size_t i = 0; i < len; i++)
				pl[i] = (uint8_t)rnd();
		}
		n += cframe(out + n, b0, pl, len);
	}
	return n;
}

static void mutate(uint8_t *s, size_t *n)
{
	switch (rnd() % 5) {
	case 0:		/* flip bits */
		for (int k = 1 + rnd() % 4; k > 0 && *n; k--)
			s[rnd() % *n] ^= (uint8_t)(1u << rnd() % 8);
		break;
	case 1:		/* overwrite a byte, likely in a header */
		if (*n)
			s[rnd() % (*n < 16 ? *n : 16)] = (uint8_t)rnd();
		break;
	case 2:		/* truncate */
		*n = *n ? rnd() % *n : 0;
		break;
	case 3:		/* all random */
		*n = rnd() % 64;
		for (size_t i = 0; i < *n; i++)
			s[i] = (uint8_t)rnd();
		break;
	default:	/* unchanged */
		break;
	}
}

static void noise(void)
{
	int differ = 0, types[WS_EV_ERROR + 1] = { 0 };
	uint8_t s[2048];

	insane = 0;
	for (int i = 0; i < 4000; i++) {
		struct run whole, torn, odd;
		size_t n = random_stream(s), max = rnd() % 2 ? 1000 : 64;

		mutate(s, &n);
		run(s, n, max, 0, &whole);
		run(s, n, max, 1, &torn);
		run(s, n, max, 1 + rnd() % 13, &odd);
		if ((!same_run(&whole, &torn) || !same_run(&whole, &odd)) && !differ++)
			diag("case %d differs when torn (%zu bytes)", i, n);
		for (int k = 0; k < whole.n; k++)
			types[whole.ev[k].type]++;
	}
	is_int(insane, 0, "4000 random and mutated streams: every event sane");
	is_int(differ, 0, "and the same events whole, byte by byte and in odd chunks");
	diag("events: %d fragments, %d messages, %d pings, %d pongs, %d closes, %d errors",
	     types[WS_EV_NONE], types[WS_EV_MESSAGE], types[WS_EV_PING], types[WS_EV_PONG],
	     types[WS_EV_CLOSE], types[WS_EV_ERROR]);
}

int main(void)
{
	good_frames();
	bad_frames();
	bad_opcodes();
	close_codes();
	after_close();
	size_limits();
	builders();
	close_builder();
	utf8();
	noise();
	return done_testing();
}
