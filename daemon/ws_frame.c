/* ws_frame.c - I/O-free RFC 6455 frame codec: client frames in, messages and control events out. */
#include "ws_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A reassembly buffer larger than this is freed once its message has been delivered. */
#define WS_KEEP_BUF (64 * 1024)

/* One client frame header, as far as it has been read. */
struct ws_hdr {
	bool fin;
	enum ws_op op;
	size_t hlen;		/* header bytes, the 4-byte mask included */
	uint64_t plen;		/* payload bytes */
};

/*
 * Incremental UTF-8: a state is 0 between characters; inside one it holds the number of
 * continuation bytes still owed (bits 0-7) and the range the next byte must fall in (lowest in
 * bits 8-15, highest in bits 16-23). Ranges exclude overlongs, surrogates and > U+10FFFF.
 */
#define UTF8_BAD UINT32_MAX
#define UTF8_ST(need, lo, hi) ((uint32_t)(need) | (uint32_t)(lo) << 8 | (uint32_t)(hi) << 16)

static uint32_t utf8_lead(uint8_t b)
{
	if (b < 0x80)
		return 0;
	if (b < 0xC2)
		return UTF8_BAD;	/* a stray continuation, or an overlong 2-byte lead */
	if (b < 0xE0)
		return UTF8_ST(1, 0x80, 0xBF);
	if (b == 0xE0)
		return UTF8_ST(2, 0xA0, 0xBF);
	if (b == 0xED)
		return UTF8_ST(2, 0x80, 0x9F);
	if (b < 0xF0)
		return UTF8_ST(2, 0x80, 0xBF);
	if (b == 0xF0)
		return UTF8_ST(3, 0x90, 0xBF);
	if (b < 0xF4)
		return UTF8_ST(3, 0x80, 0xBF);
	if (b == 0xF4)
		return UTF8_ST(3, 0x80, 0x8F);
	return UTF8_BAD;
}

/* Advance state st over s[0..len); UTF8_BAD as soon as a byte is invalid. */
static uint32_t utf8_step(uint32_t st, const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = s[i];
		uint32_t need;

		if (!st) {
			if (b >= 0x80 && (st = utf8_lead(b)) == UTF8_BAD)
				return UTF8_BAD;
			continue;
		}
		if (b < ((st >> 8) & 0xFF) || b > ((st >> 16) & 0xFF))
			return UTF8_BAD;
		need = (st & 0xFF) - 1;
		st = need ? UTF8_ST(need, 0x80, 0xBF) : 0;
	}
	return st;
}

bool ws_utf8_valid(const uint8_t *s, size_t len)
{
	return utf8_step(0, s, len) == 0;
}

/* Codes a peer may put in a close frame (RFC 6455 7.4; 1012-1014 registered by IANA since). */
static bool close_code_ok(uint16_t code)
{
	if (code >= 3000 && code <= 4999)
		return true;
	return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

static size_t fail(struct ws_rx *rx, struct ws_event *ev, uint16_t code, const char *why,
		   size_t consumed)
{
	rx->closed = true;
	ev->type = WS_EV_ERROR;
	ev->code = code;
	ev->why = why;
	return consumed;
}

static bool op_known(unsigned op)
{
	return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

/* The rules on the first two bytes. Returns NULL when they hold, else why (all 1002). */
static const char *check_first(const struct ws_rx *rx, const uint8_t *buf, struct ws_hdr *h)
{
	unsigned op = buf[0] & 0x0F;

	h->fin = buf[0] & 0x80;
	h->op = (enum ws_op)op;
	if (buf[0] & 0x70)
		return "reserved bits set";
	if (!op_known(op))
		return "unknown opcode";
	if (!(buf[1] & 0x80))
		return "unmasked client frame";
	if (op & 0x8) {
		if (!h->fin)
			return "fragmented control frame";
		if ((buf[1] & 0x7F) > WS_MAX_CONTROL)
			return "control frame over 125 bytes";
	} else if (op == WS_OP_CONT && !rx->msg_op) {
		return "continuation without a message";
	} else if (op != WS_OP_CONT && rx->msg_op) {
		return "new data frame inside a fragmented message";
	}
	return NULL;
}

/* The payload length: 7 bits, or 16 or 64 after it. Returns 0 when more bytes are needed. */
static int read_len(const uint8_t *buf, size_t len, struct ws_hdr *h, const char **why)
{
	unsigned len7 = buf[1] & 0x7F;
	size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;

	if (len < 2 + ext)
		return 0;
	h->hlen = 2 + ext + 4;
	h->plen = ext ? 0 : len7;
	for (size_t i = 0; i < ext; i++)
		h->plen = h->plen << 8 | buf[2 + i];
	if (ext == 2 && h->plen < 126)
		*why = "non-minimal 16-bit length";
	else if (ext == 8 && h->plen >> 63)
		*why = "64-bit length with the top bit set";
	else if (ext == 8 && h->plen <= 0xFFFF)
		*why = "non-minimal 64-bit length";
	return 1;
}

/*
 * Read and check a frame header. Returns 1 when the header and the whole payload are in
 * buf, 0 when more bytes are needed, -1 after fail() filled ev.
 */
static int parse_hdr(struct ws_rx *rx, const uint8_t *buf, size_t len, struct ws_hdr *h,
		     struct ws_event *ev)
{
	const char *why = NULL;
	uint64_t room;

	if (len < 2)
		return 0;
	why = check_first(rx, buf, h);
	if (!why && !read_len(buf, len, h, &why))
		return 0;
	if (why) {
		fail(rx, ev, WS_CLOSE_PROTOCOL, why, 0);
		return -1;
	}
	if (!(h->op & 0x8)) {
		room = rx->max_message;
		if (h->op == WS_OP_CONT)
			room = rx->msg_len < room ? room - rx->msg_len : 0;
		if (h->plen > room) {
			fail(rx, ev, WS_CLOSE_TOO_BIG, "message larger than max_message", 0);
			return -1;
		}
	}
	if (len < h->hlen || (uint64_t)(len - h->hlen) < h->plen)
		return 0;
	return 1;
}

static void unmask(uint8_t *p, size_t n, const uint8_t mask[4])
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[i & 3];
}

static size_t on_close(struct ws_rx *rx, uint8_t *p, size_t n, size_t total, struct ws_event *ev)
{
	uint16_t code = WS_CLOSE_NO_STATUS;

	rx->closed = true;
	if (n == 1)
		return fail(rx, ev, WS_CLOSE_PROTOCOL, "close payload of 1 byte", total);
	if (n) {
		code = (uint16_t)(p[0] << 8 | p[1]);
		if (!close_code_ok(code))
			return fail(rx, ev, WS_CLOSE_PROTOCOL, "close code not allowed on the wire",
				    total);
		if (!ws_utf8_valid(p + 2, n - 2))
			return fail(rx, ev, WS_CLOSE_BAD_DATA, "invalid UTF-8 in a close reason",
				    total);
		p += 2;
		n -= 2;
	}
	ev->type = WS_EV_CLOSE;
	ev->code = code;
	ev->data = p;
	ev->len = n;
	return total;
}

/* Append n bytes to the reassembly buffer; the header check keeps msg_len + n <= max_message. */
static int append(struct ws_rx *rx, const uint8_t *p, size_t n)
{
	size_t need = rx->msg_len + n, cap;
	uint8_t *m;

	if (!n)
		return 0;
	if (need > rx->msg_cap) {
		cap = rx->msg_cap && rx->msg_cap <= SIZE_MAX / 2 ? rx->msg_cap * 2 : 1024;
		if (cap < need)
			cap = need;
		if (cap > rx->max_message)
			cap = rx->max_message;
		m = realloc(rx->msg, cap);
		if (!m)
			return -ENOMEM;
		rx->msg = m;
		rx->msg_cap = cap;
	}
	memcpy(rx->msg + rx->msg_len, p, n);
	rx->msg_len = need;
	return 0;
}

/* A fragment (first, middle or last) of a fragmented message. */
static size_t on_fragment(struct ws_rx *rx, const struct ws_hdr *h, const uint8_t *p, size_t n,
			  size_t total, struct ws_event *ev)
{
	static const uint8_t empty[1];

	if (h->op != WS_OP_CONT) {
		rx->msg_op = h->op;
		rx->msg_len = 0;
		rx->utf8_state = 0;
	}
	if (rx->msg_op == WS_OP_TEXT) {
		rx->utf8_state = utf8_step(rx->utf8_state, p, n);
		if (rx->utf8_state == UTF8_BAD)
			return fail(rx, ev, WS_CLOSE_BAD_DATA, "invalid UTF-8 in a text message",
				    total);
	}
	if (append(rx, p, n))
		return fail(rx, ev, WS_CLOSE_INTERNAL, "out of memory for a message", total);
	if (!h->fin)
		return total;
	if (rx->msg_op == WS_OP_TEXT && rx->utf8_state)
		return fail(rx, ev, WS_CLOSE_BAD_DATA, "text message ends inside a UTF-8 sequence",
			    total);
	ev->type = WS_EV_MESSAGE;
	ev->op = rx->msg_op;
	ev->data = rx->msg ? rx->msg : empty;
	ev->len = rx->msg_len;
	rx->msg_op = 0;
	return total;
}

static size_t on_data(struct ws_rx *rx, const struct ws_hdr *h, const uint8_t *p, size_t n,
		      size_t total, struct ws_event *ev)
{
	if (!h->fin || h->op == WS_OP_CONT)
		return on_fragment(rx, h, p, n, total, ev);
	/* A whole message in one frame: handed out in place, no copy. */
	if (h->op == WS_OP_TEXT && !ws_utf8_valid(p, n))
		return fail(rx, ev, WS_CLOSE_BAD_DATA, "invalid UTF-8 in a text message", total);
	ev->type = WS_EV_MESSAGE;
	ev->op = h->op;
	ev->data = p;
	ev->len = n;
	return total;
}

size_t ws_rx_feed(struct ws_rx *rx, uint8_t *buf, size_t len, struct ws_event *ev)
{
	struct ws_hdr h;
	uint8_t *p;
	size_t n, total;

	memset(ev, 0, sizeof(*ev));
	if (rx->closed)
		return fail(rx, ev, WS_CLOSE_PROTOCOL, "frame after close", 0);
	/* The last message's data is no longer promised to the caller: trim a big buffer. */
	if (!rx->msg_op && rx->msg_cap > WS_KEEP_BUF) {
		free(rx->msg);
		rx->msg = NULL;
		rx->msg_len = rx->msg_cap = 0;
	}
	if (parse_hdr(rx, buf, len, &h, ev) <= 0)
		return 0;
	p = buf + h.hlen;
	n = (size_t)h.plen;
	total = h.hlen + n;
	unmask(p, n, p - 4);
	switch (h.op) {
	case WS_OP_PING:
	case WS_OP_PONG:
		ev->type = h.op == WS_OP_PING ? WS_EV_PING : WS_EV_PONG;
		ev->data = p;
		ev->len = n;
		return total;
	case WS_OP_CLOSE:
		return on_close(rx, p, n, total, ev);
	default:
		return on_data(rx, &h, p, n, total, ev);
	}
}

void ws_rx_free(struct ws_rx *rx)
{
	free(rx->msg);
	rx->msg = NULL;
	rx->msg_len = rx->msg_cap = 0;
}

size_t ws_build_header(uint8_t out[WS_MAX_HEADER], enum ws_op op, uint64_t len)
{
	size_t ext = len <= WS_MAX_CONTROL ? 0 : len <= 0xFFFF ? 2 : 8;

	out[0] = (uint8_t)(0x80 | (op & 0x0F));
	out[1] = (uint8_t)(ext == 0 ? len : ext == 2 ? 126 : 127);
	for (size_t i = 0; i < ext; i++)
		out[2 + i] = (uint8_t)(len >> (8 * (ext - 1 - i)));
	return 2 + ext;
}

size_t ws_build_frame(uint8_t *out, size_t cap, enum ws_op op, const void *payload, size_t len)
{
	size_t hlen;

	/* A final continuation has nothing to continue: only whole messages and control frames. */
	if (!op_known(op) || op == WS_OP_CONT || ((op & 0x8) && len > WS_MAX_CONTROL))
		return 0;
	hlen = len <= WS_MAX_CONTROL ? 2 : len <= 0xFFFF ? 4 : 10;
	if (cap < hlen || cap - hlen < len)
		return 0;
	ws_build_header(out, op, len);
	if (len)
		memcpy(out + hlen, payload, len);
	return hlen + len;
}

/*
 * A code that must not go on the wire (1005 "no status", 1006, 0, ...) gives a close frame
 * with no payload: that is how a close without a code is echoed. A reason that is not valid
 * UTF-8 is left out.
 */
size_t ws_build_close(uint8_t *out, size_t cap, uint16_t code, const char *reason)
{
	uint8_t p[WS_MAX_CONTROL];
	size_t rlen = reason ? strnlen(reason, WS_MAX_CONTROL) : 0;

	if (!close_code_ok(code))
		return ws_build_frame(out, cap, WS_OP_CLOSE, NULL, 0);
	if (rlen > WS_MAX_CONTROL - 2) {
		rlen = WS_MAX_CONTROL - 2;
		/* Back up to the lead byte of a sequence the cut would split. */
		while (rlen && ((uint8_t)reason[rlen] & 0xC0) == 0x80)
			rlen--;
	}
	if (rlen && !ws_utf8_valid((const uint8_t *)reason, rlen))
		rlen = 0;
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	if (rlen)
		memcpy(p + 2, reason, rlen);
	return ws_build_frame(out, cap, WS_OP_CLOSE, p, 2 + rlen);
}
