/* ws_frame.h - I/O-free RFC 6455 frame codec: client frames in, messages and control events out. */
#ifndef TURND_WS_FRAME_H
#define TURND_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum ws_op {
	WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xA,
};

/* Close codes (RFC 6455 7.4.1) that the server sends or checks. */
enum ws_close {
	WS_CLOSE_NORMAL = 1000, WS_CLOSE_GOING_AWAY = 1001, WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003, WS_CLOSE_NO_STATUS = 1005, WS_CLOSE_BAD_DATA = 1007,
	WS_CLOSE_POLICY = 1008, WS_CLOSE_TOO_BIG = 1009, WS_CLOSE_INTERNAL = 1011,
};

#define WS_MAX_HEADER 14		/* server frame header: 2 + 8 (length); no mask */
#define WS_MAX_CONTROL 125		/* control frame payload limit */

enum ws_ev_type {
	WS_EV_NONE = 0,		/* need more bytes (a torn frame), or a fragment was absorbed */
	WS_EV_MESSAGE,		/* a complete text or binary message: op, data, len */
	WS_EV_PING,		/* data, len: answer with a pong carrying the same bytes */
	WS_EV_PONG,		/* data, len */
	WS_EV_CLOSE,		/* the client closes: code (WS_CLOSE_NO_STATUS if none), data/len = reason */
	WS_EV_ERROR,		/* protocol violation: send a close with code, then drop; why names it */
};

struct ws_event {
	enum ws_ev_type type;
	enum ws_op op;			/* WS_EV_MESSAGE: WS_OP_TEXT or WS_OP_BINARY */
	const uint8_t *data;		/* valid until the next ws_rx_* call on the same rx */
	size_t len;
	uint16_t code;			/* WS_EV_CLOSE: the client's code; WS_EV_ERROR: the code to send */
	const char *why;		/* WS_EV_ERROR: static text, e.g. "unmasked client frame" */
};

/* Receive state of one connection. Zero it, set max_message, then ws_rx_feed; ws_rx_free at the end. */
struct ws_rx {
	size_t max_message;		/* largest reassembled message in bytes (a larger one: 1009) */
	uint8_t *msg;			/* reassembly buffer (heap), msg_len bytes used of msg_cap */
	size_t msg_len, msg_cap;
	enum ws_op msg_op;		/* WS_OP_TEXT/BINARY while a fragmented message is open, else 0 */
	uint32_t utf8_state;		/* incremental UTF-8 validation across fragments */
	bool closed;			/* a close or an error was returned: everything after is refused */
};

/*
 * Consume at most one frame from buf[0..len) (unmasked in place, so buf must be writable).
 * Returns the number of bytes consumed and fills *ev:
 *  - 0 and WS_EV_NONE: the frame is not complete yet; call again with more bytes appended.
 *  - n > 0 and WS_EV_NONE: a non-final fragment was absorbed into the reassembly buffer.
 *  - n > 0 and another event: see enum ws_ev_type.
 *  - WS_EV_ERROR (n is then what was consumed, possibly 0): the caller sends
 *    ws_build_close(ev->code) and closes. Errors: unmasked frame 1002, reserved bits 1002,
 *    unknown opcode 1002, fragmented or oversized (>125) control frame 1002, continuation
 *    without a start or a new data frame inside a fragmented message 1002, non-minimal
 *    length encoding 1002, 64-bit length with the top bit set 1002, message larger than
 *    max_message 1009 (detected from the header, before the payload arrives), invalid UTF-8
 *    in a text message or a close reason 1007, close payload of 1 byte 1002, close code not
 *    allowed on the wire (<1000, 1004-1006, 1015-2999, >4999) 1002, -ENOMEM 1011.
 * Never reads beyond len and never allocates more than max_message bytes.
 */
size_t ws_rx_feed(struct ws_rx *rx, uint8_t *buf, size_t len, struct ws_event *ev);

/* Free the reassembly buffer (rx can be fed again after re-zeroing). */
void ws_rx_free(struct ws_rx *rx);

/* Whether s[0..len) is valid UTF-8 (no overlongs, no surrogates, max U+10FFFF). */
bool ws_utf8_valid(const uint8_t *s, size_t len);

/*
 * Write an unmasked, final server frame header for op and a payload of len bytes into
 * out[WS_MAX_HEADER]; returns the header length (2, 4 or 10).
 */
size_t ws_build_header(uint8_t out[WS_MAX_HEADER], enum ws_op op, uint64_t len);

/*
 * A complete server frame (header + payload) into out[0..cap). Returns its length, or 0 when
 * cap is too small or a control frame's payload exceeds 125 bytes.
 */
size_t ws_build_frame(uint8_t *out, size_t cap, enum ws_op op, const void *payload, size_t len);

/* A close frame with code and a reason (truncated to fit 125 bytes on a UTF-8 boundary). */
size_t ws_build_close(uint8_t *out, size_t cap, uint16_t code, const char *reason);

#endif
