/* fuzz_ws_frame.c - libFuzzer harness: any bytes as a client's WebSocket stream, whole and torn. */
/*
 * Build and run from the repo root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon
 *	tests/fuzz/fuzz_ws_frame.c daemon/ws_frame.c -o fuzz_ws_frame
 *   cp -r tests/fuzz/corpus/ws_frame /tmp/corpus_ws_frame
 *   ./fuzz_ws_frame -max_total_time=60 /tmp/corpus_ws_frame
 *
 * The first input byte b sets max_message (4 * b) and the chunk size of the torn run
 * (1 + b % 8); the rest is the stream. Every buffer handed to the codec is a copy of exactly
 * the bytes it may read. Checks, abort() on a violation: consumed <= len; each event sane (a
 * message within max_message, text valid UTF-8, control payload <= 125 bytes, close code
 * allowed on the wire or 1005 with no reason, an error with a reason and code 1002, 1007,
 * 1009 or 1011); the reassembly buffer within max_message; after a close or an error,
 * everything refused; and the stream fed in chunks gives the same events as fed whole.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_frame.h"

#define MAX_EV 256

struct rec {
	int type, op, code;
	size_t len;
	uint64_t hash;
};

struct run {
	struct rec ev[MAX_EV];
	int n;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static bool code_ok(unsigned c)
{
	return (c >= 1000 && c <= 1014 && c != 1004 && c != 1005 && c != 1006) ||
	       (c >= 3000 && c <= 4999);
}

static void check(const struct ws_rx *rx, const struct ws_event *ev, size_t c, size_t len)
{
	bool good;

	if (c > len || (ev->len && !ev->data) || rx->msg_cap > rx->max_message)
		abort();
	switch (ev->type) {
	case WS_EV_NONE:
		good = !ev->len;
		break;
	case WS_EV_MESSAGE:
		good = ev->len <= rx->max_message &&
		       (ev->op == WS_OP_BINARY ||
			(ev->op == WS_OP_TEXT && ws_utf8_valid(ev->data, ev->len)));
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		good = ev->len <= WS_MAX_CONTROL;
		break;
	case WS_EV_CLOSE:
		good = ev->code == WS_CLOSE_NO_STATUS ? !ev->len :
		       code_ok(ev->code) && ev->len <= WS_MAX_CONTROL - 2 &&
		       ws_utf8_valid(ev->data, ev->len);
		break;
	case WS_EV_ERROR:
		good = ev->why && *ev->why &&
		       (ev->code == 1002 || ev->code == 1007 || ev->code == 1009 ||
			ev->code == 1011);
		break;
	default:
		good = false;
	}
	if (!good)
		abort();
}

/* An exact-size copy of buf[skip..len) followed by add[0..n). */
static uint8_t *rebuffer(uint8_t *buf, size_t *len, size_t skip, const uint8_t *add, size_t n)
{
	size_t keep = *len - skip;
	uint8_t *b = malloc(keep + n ? keep + n : 1);

	if (!b)
		abort();
	if (keep)
		memcpy(b, buf + skip, keep);
	if (n)
		memcpy(b + keep, add, n);
	free(buf);
	*len = keep + n;
	return b;
}

/* Feed until more bytes are needed; false once the stream ended with a close or an error. */
static bool drain(struct ws_rx *rx, uint8_t **buf, size_t *len, struct run *out)
{
	for (;;) {
		struct ws_event ev;
		size_t c = ws_rx_feed(rx, *buf, *len, &ev);

		check(rx, &ev, c, *len);
		if (ev.type == WS_EV_NONE && !c)
			return true;
		if (out->n < MAX_EV)
			out->ev[out->n++] = (struct rec){ ev.type, ev.op, ev.code, ev.len,
							  fnv(ev.data, ev.len) };
		*buf = rebuffer(*buf, len, c, NULL, 0);
		if (ev.type == WS_EV_ERROR || ev.type == WS_EV_CLOSE)
			return false;
	}
}

static void run(const uint8_t *in, size_t n, size_t max, size_t chunk, struct run *out)
{
	struct ws_rx rx = { .max_message = max };
	struct ws_event ev;
	uint8_t *buf = NULL, again[6] = { 0x81, 0x80 };
	size_t len = 0, off = 0;
	bool open = true;

	out->n = 0;
	while (off < n && open) {
		size_t take = chunk < n - off ? chunk : n - off;

		buf = rebuffer(buf, &len, 0, in + off, take);
		off += take;
		open = drain(&rx, &buf, &len, out);
	}
	if (!open) {
		ws_rx_feed(&rx, again, sizeof(again), &ev);
		if (ev.type != WS_EV_ERROR || !rx.closed)
			abort();
	}
	ws_rx_free(&rx);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run whole, torn;

	if (!size)
		return 0;
	run(data + 1, size - 1, 4u * data[0], size, &whole);
	run(data + 1, size - 1, 4u * data[0], 1 + data[0] % 8, &torn);
	if (whole.n != torn.n)
		abort();
	for (int i = 0; i < whole.n; i++) {
		const struct rec *a = &whole.ev[i], *b = &torn.ev[i];

		if (a->type != b->type || a->op != b->op || a->code != b->code ||
		    a->len != b->len || a->hash != b->hash)
			abort();
	}
	return 0;
}
