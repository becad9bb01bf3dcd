/* sig.h - I/O-free signaling core: rooms, members and the JSON protocol spoken on /ws. */
#ifndef TURND_SIG_H
#define TURND_SIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * The protocol (JSON text messages; unknown members are ignored, so clients may add fields):
 *  in  {"type":"join","room":"NAME"}     NAME: 1-64 bytes of [A-Za-z0-9_.-]
 *  out {"type":"joined","id":"ID","room":"NAME","peers":["ID",...],"iceServers":[...]}
 *      and to each other member: {"type":"peer-joined","id":"ID"}
 *  in  {"type":"signal","to":"ID","data":VALUE}   VALUE: any JSON value (offer, answer, ...)
 *  out to ID (same room only): {"type":"signal","from":"ID","data":VALUE}   VALUE verbatim
 *  in  {"type":"leave"}  -> {"type":"left"}; the others get {"type":"peer-left","id":"ID"}
 *  in  {"type":"ping"}   -> {"type":"pong"}
 *  out on anything refused: {"type":"error","reason":"TEXT"} (plus "ref":"TYPE" when the
 *      request's type was readable); the connection stays up and nothing else changes.
 * IDs are 16 lowercase hex characters from ops->random, unique among live members.
 * Refused: malformed JSON (depth > 32, duplicate top-level keys, bad UTF-8 or escapes, trailing
 * bytes), a message over max_message, a non-object, a missing or non-string type, an unknown
 * type, join while in a room, a bad room name, a full room (max_members), too many rooms
 * (max_rooms), signal or leave when not in a room, signal to an ID not in the sender's room or
 * to oneself, signal without data.
 */

struct sig_limits {
	uint32_t max_rooms;		/* rooms in existence */
	uint32_t max_members;		/* members of one room */
	size_t max_message;		/* bytes of one incoming message */
};

struct sig_ops {
	void *ctx;
	/* Queue the text message json[0..len) to conn. 0 or -errno (counted, then ignored). */
	int (*send)(void *ctx, uint64_t conn, const char *json, size_t len);
	/* The iceServers JSON array for conn into out[0..cap): its length, or -errno. */
	int (*ice_servers)(void *ctx, uint64_t conn, char *out, size_t cap);
	/* n random bytes into buf. */
	void (*random)(void *ctx, void *buf, size_t n);
};

struct sig_stats {
	uint64_t rooms, members;		/* now */
	uint64_t joins, leaves, signals;	/* totals */
	uint64_t errors;			/* error replies sent */
	uint64_t send_failures;			/* ops->send returned an error */
};

struct sig;

/* NULL on -ENOMEM. lim and ops are copied. */
struct sig *sig_new(const struct sig_limits *lim, const struct sig_ops *ops);
void sig_free(struct sig *s);

/*
 * A complete text message from connection conn (any uint64 chosen by the caller). Replies
 * and notifications go out through ops->send, possibly several, before this returns.
 * Returns 0 when handled (an error reply counts as handled), -ENOMEM when out of memory.
 */
int sig_message(struct sig *s, uint64_t conn, const char *text, size_t len);

/* conn is gone (closed socket): leave its room as on "leave", silently. Unknown conn: no-op. */
void sig_gone(struct sig *s, uint64_t conn);

/* Change the limits (reload); existing rooms and members stay. */
void sig_set_limits(struct sig *s, const struct sig_limits *lim);

void sig_get_stats(const struct sig *s, struct sig_stats *st);

#endif
