/* test_sig.c - the signaling core: rooms, relaying, every refusal, limits and hostile bytes. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig.h"
#include "sig_json.h"
#include "tap.h"

#define ICE "[{\"urls\":[\"stun:h:3478\"]}]"

enum ice_mode { ICE_OK, ICE_EIO, ICE_ENOMEM, ICE_NOT_JSON, ICE_OBJECT, ICE_BIG, ICE_TOO_LONG };

struct msg {
	uint64_t conn;
	char *json;		/* NUL-terminated copy */
	size_t len;
};

/* The fake ops: records every message, deterministic random, scripted failures. */
struct fake {
	struct msg *m;
	size_t n, cap;
	uint64_t rng;
	uint64_t script[8];	/* random draws served first (8 bytes each) */
	size_t nscript;
	bool constant;		/* random always gives the same bytes */
	int send_ret;
	enum ice_mode ice;
	size_t ice_calls, big_len;
};

static struct fake F;
static struct sig *S;

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int fake_send(void *ctx, uint64_t conn, const char *json, size_t len)
{
	struct fake *f = ctx;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->m = realloc(f->m, f->cap * sizeof(*f->m));
	}
	f->m[f->n].conn = conn;
	f->m[f->n].json = malloc(len + 1);
	memcpy(f->m[f->n].json, json, len);
	f->m[f->n].json[len] = 0;
	f->m[f->n].len = len;
	f->n++;
	return f->send_ret;
}

static int fake_ice(void *ctx, uint64_t conn, char *out, size_t cap)
{
	struct fake *f = ctx;
	size_t n;

	(void)conn;
	f->ice_calls++;
	switch (f->ice) {
	case ICE_EIO:
		return -EIO;
	case ICE_ENOMEM:
		return -ENOMEM;
	case ICE_NOT_JSON:
		return snprintf(out, cap, "[{\"urls\":[\"stun:h\"]}");
	case ICE_OBJECT:
		return snprintf(out, cap, "{\"urls\":[]}");
	case ICE_TOO_LONG:
		return -ENOSPC;
	case ICE_BIG:
		n = f->big_len;
		if (cap < n + 1)
			return -ENOSPC;
		memcpy(out, "[\"", 2);
		memset(out + 2, 'b', n - 4);
		memcpy(out + n - 2, "\"]", 3);
		return (int)n;
	default:
		return snprintf(out, cap, ICE);
	}
}

static void fake_random(void *ctx, void *buf, size_t n)
{
	struct fake *f = ctx;
	uint8_t *b = buf;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = f->constant ? 0x0123456789abcdefULL : splitmix(&f->rng);
		size_t k = n - i < 8 ? n - i : 8;

		if (f->nscript) {
			v = f->script[0];
			memmove(f->script, f->script + 1, --f->nscript * sizeof(f->script[0]));
		}
		memcpy(b + i, &v, k);
	}
}

static void clear(void)
{
	for (size_t i = 0; i < F.n; i++)
		free(F.m[i].json);
	F.n = 0;
}

static const struct sig_ops OPS = { &F, fake_send, fake_ice, fake_random };

/* A fresh core with these limits (and a fresh fake: same random sequence every time). */
static void start(uint32_t rooms, uint32_t members, size_t max_message)
{
	struct sig_limits lim = { rooms, members, max_message };

	sig_free(S);
	clear();
	free(F.m);
	F = (struct fake){ .rng = 42 };
	S = sig_new(&lim, &OPS);
}

static void stop(void)
{
	sig_free(S);
	S = NULL;
	clear();
	free(F.m);
	F = (struct fake){ 0 };
}

/* A few rotating buffers for expected strings. */
static const char *fmt(const char *f, ...)
{
	static char buf[8][8192];
	static int k;
	va_list ap;

	k = (k + 1) % 8;
	va_start(ap, f);
	vsnprintf(buf[k], sizeof(buf[k]), f, ap);
	va_end(ap);
	return buf[k];
}

static int in(uint64_t conn, const char *text)
{
	clear();
	return sig_message(S, conn, text, strlen(text));
}

static int count_to(uint64_t conn)
{
	int n = 0;

	for (size_t i = 0; i < F.n; i++)
		n += F.m[i].conn == conn;
	return n;
}

/* The one message sent to conn, or "" (none or several). */
static const char *to(uint64_t conn)
{
	const char *found = "";
	int n = 0;

	for (size_t i = 0; i < F.n; i++)
		if (F.m[i].conn == conn && ++n)
			found = F.m[i].json;
	return n == 1 ? found : "";
}

static bool is_id(const char *id)
{
	if (strlen(id) != 16)
		return false;
	for (int i = 0; i < 16; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

/* Join conn to room; id gets the ID from the "joined" reply ("" when there was none). */
static void join(uint64_t conn, const char *room, char id[17])
{
	const char *j;

	in(conn, fmt("{\"type\":\"join\",\"room\":\"%s\"}", room));
	j = to(conn);
	id[0] = 0;
	if (!strncmp(j, "{\"type\":\"joined\",\"id\":\"", 23) && strlen(j) > 39) {
		memcpy(id, j + 23, 16);
		id[16] = 0;
	}
}

static bool same_state(const struct sig_stats *a, const struct sig_stats *b)
{
	return a->rooms == b->rooms && a->members == b->members && a->joins == b->joins &&
	       a->leaves == b->leaves && a->signals == b->signals &&
	       a->send_failures == b->send_failures;
}

/* text[0..len) from conn must get exactly the reply want, and change nothing else. */
static void refused_n(uint64_t conn, const char *text, size_t len, const char *want,
		      const char *desc)
{
	struct sig_stats a, b;
	int rc;

	sig_get_stats(S, &a);
	clear();
	rc = sig_message(S, conn, text, len);
	sig_get_stats(S, &b);
	ok(rc == 0 && F.n == 1 && F.m[0].conn == conn && !strcmp(F.m[0].json, want),
	   "%s: refused", desc);
	if (F.n != 1 || strcmp(F.m[0].json, want))
		diag("rc=%d n=%zu got %s want %s", rc, F.n, F.n ? F.m[0].json : "-", want);
	ok(same_state(&a, &b) && b.errors == a.errors + 1, "%s: nothing else changed", desc);
}

static void refused(uint64_t conn, const char *text, const char *reason, const char *ref,
		    const char *desc)
{
	const char *want = ref ? fmt("{\"type\":\"error\",\"reason\":\"%s\",\"ref\":\"%s\"}",
				     reason, ref)
			       : fmt("{\"type\":\"error\",\"reason\":\"%s\"}", reason);

	refused_n(conn, text, strlen(text), want, desc);
}

static void stats_are(uint64_t rooms, uint64_t members, const char *desc)
{
	struct sig_stats st;

	sig_get_stats(S, &st);
	ok(st.rooms == rooms && st.members == members, "%s: %llu rooms, %llu members", desc,
	   (unsigned long long)rooms, (unsigned long long)members);
	if (st.rooms != rooms || st.members != members)
		diag("got %llu rooms, %llu members", (unsigned long long)st.rooms,
		     (unsigned long long)st.members);
}

static void three_members(void)
{
	char a[17], b[17], c[17];

	start(100, 10, 65536);
	ok(S != NULL, "sig_new");
	join(1, "room1", a);
	ok(is_id(a), "A joined with a 16-hex ID (%s)", a);
	is_int(F.n, 1, "one message: joined to A");
	ok(!strcmp(to(1), fmt("{\"type\":\"joined\",\"id\":\"%s\",\"room\":\"room1\",\"peers\":[],"
			      "\"iceServers\":" ICE "}", a)),
	   "A's joined: no peers, the iceServers array verbatim");
	stats_are(1, 1, "after A");

	join(2, "room1", b);
	ok(is_id(b) && strcmp(a, b), "B joined with another ID");
	is_int(F.n, 2, "two messages");
	ok(!strcmp(to(2), fmt("{\"type\":\"joined\",\"id\":\"%s\",\"room\":\"room1\","
			      "\"peers\":[\"%s\"],\"iceServers\":" ICE "}", b, a)),
	   "B's joined lists A");
	ok(!strcmp(to(1), fmt("{\"type\":\"peer-joined\",\"id\":\"%s\"}", b)), "A: peer-joined B");

	join(3, "room1", c);
	is_int(F.n, 3, "three messages");
	ok(!strcmp(to(3), fmt("{\"type\":\"joined\",\"id\":\"%s\",\"room\":\"room1\","
			      "\"peers\":[\"%s\",\"%s\"],\"iceServers\":" ICE "}", c, a, b)),
	   "C's joined lists A then B (join order)");
	ok(!strcmp(to(1), fmt("{\"type\":\"peer-joined\",\"id\":\"%s\"}", c)) &&
		   !strcmp(to(2), fmt("{\"type\":\"peer-joined\",\"id\":\"%s\"}", c)),
	   "A and B: peer-joined C");
	ok(!strcmp(F.m[0].json, to(3)), "the joiner hears first");
	stats_are(1, 3, "after C");
	is_int(F.ice_calls, 3, "iceServers asked once per join");

	is_int(in(2, "{\"type\":\"ping\"}"), 0, "ping handled");
	ok(F.n == 1 && !strcmp(to(2), "{\"type\":\"pong\"}"), "pong, to the sender only");
	in(9, " {\"type\" : \"ping\" , \"extra\":[1,{\"x\":null}]}\r\n");
	ok(F.n == 1 && !strcmp(to(9), "{\"type\":\"pong\"}"),
	   "ping outside a room, whitespace and unknown members ignored");

	/* Signals, relayed verbatim. */
	{
		const char *data = "{ \"type\":\"offer\", \"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 "
				   "198.18.0.1\\r\\n\", \"n\":[1,-2.5e+10,true,false,null,"
				   "{\"deep\":[[[\"\\u00e9\\ud83d\\ude00\xc3\xa9\"]]]}] }";
		struct sig_stats st;

		is_int(in(1, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"x\":1,\"data\":%s}", b,
				 data)),
		       0, "offer A->B handled");
		is_int(F.n, 1, "one message");
		ok(!strcmp(to(2),
			   fmt("{\"type\":\"signal\",\"from\":\"%s\",\"data\":%s}", a, data)),
		   "B gets the offer from A, data byte for byte (whitespace, escapes, nesting)");
		in(2, fmt("{\"data\":\"answer-sdp\",\"to\":\"%s\",\"type\":\"signal\"}", a));
		ok(F.n == 1 && !strcmp(to(1), fmt("{\"type\":\"signal\",\"from\":\"%s\","
						  "\"data\":\"answer-sdp\"}", b)),
		   "A gets B's answer (members in any order)");
		in(3, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":null}", a));
		ok(F.n == 1 && !strcmp(to(1), fmt("{\"type\":\"signal\",\"from\":\"%s\","
						  "\"data\":null}", c)),
		   "data null is a value: relayed");
		in(3, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":-0.0e-0}", b));
		ok(F.n == 1 && strstr(to(2), "\"data\":-0.0e-0}"), "a number relayed as written");
		in(3, fmt("{\"type\":\"sig\\u006eal\",\"to\":\"\\u00%02x%s\",\"data\":[]}", b[0],
			  b + 1));
		ok(F.n == 1 && !strcmp(to(2), fmt("{\"type\":\"signal\",\"from\":\"%s\","
						  "\"data\":[]}", c)),
		   "type and to are compared after decoding escapes");
		sig_get_stats(S, &st);
		is_int(st.signals, 5, "signals counted");
	}

	/* Leave, gone, room freed. */
	is_int(in(2, "{\"type\":\"leave\"}"), 0, "B leaves");
	is_int(F.n, 3, "three messages");
	ok(!strcmp(to(2), "{\"type\":\"left\"}"), "B: left");
	ok(!strcmp(to(1), fmt("{\"type\":\"peer-left\",\"id\":\"%s\"}", b)) &&
		   !strcmp(to(3), fmt("{\"type\":\"peer-left\",\"id\":\"%s\"}", b)),
	   "A and C: peer-left B");
	ok(!strcmp(F.m[2].json, "{\"type\":\"left\"}"), "the leaver hears last");
	stats_are(1, 2, "after B left");
	refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":1}", b), "unknown peer",
		"signal", "signal to a member who left");

	clear();
	sig_gone(S, 3);
	ok(F.n == 1 && !strcmp(to(1), fmt("{\"type\":\"peer-left\",\"id\":\"%s\"}", c)),
	   "C gone: A gets peer-left, C gets nothing");
	clear();
	sig_gone(S, 3);
	sig_gone(S, 77);
	is_int(F.n, 0, "gone twice, or an unknown conn: nothing");
	stats_are(1, 1, "after C gone");
	clear();
	sig_gone(S, 1);
	is_int(F.n, 0, "the last member gone: nobody to tell");
	stats_are(0, 0, "the room is freed");
	{
		struct sig_stats st;

		sig_get_stats(S, &st);
		ok(st.joins == 3 && st.leaves == 3, "3 joins, 3 leaves (leave and gone)");
	}
	join(2, "room1", b);
	ok(!strcmp(to(2), fmt("{\"type\":\"joined\",\"id\":\"%s\",\"room\":\"room1\",\"peers\":[],"
			      "\"iceServers\":" ICE "}", b)),
	   "room1 again: a fresh room, no peers");
	in(2, "{\"type\":\"leave\"}");
	stats_are(0, 0, "leave of the only member frees the room");
	ok(F.n == 1 && !strcmp(to(2), "{\"type\":\"left\"}"), "alone: only left");
}

static void two_rooms(void)
{
	char a[17], b[17], c[17], d[17];

	start(100, 10, 65536);
	join(1, "alpha", a);
	join(2, "alpha", b);
	join(3, "beta", c);
	ok(F.n == 1 && count_to(3) == 1, "a join in beta is not announced in alpha");
	join(4, "r\\u006f_o.m-9", d);
	ok(strstr(to(4), "\"room\":\"ro_o.m-9\"") != NULL, "room name decoded from escapes");
	stats_are(3, 4, "three rooms");
	refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", c), "unknown peer",
		"signal", "signal to a member of another room");
	refused(3, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":{}}", a), "unknown peer",
		"signal", "and back");
	in(3, "{\"type\":\"leave\"}");
	ok(F.n == 1, "leaving beta tells nobody in alpha");
	stats_are(2, 3, "beta freed, alpha kept");
	in(1, "{\"type\":\"join\",\"room\":\"ALPHA\"}");
	stats_are(2, 3, "refused rejoin changed nothing");
	in(3, "{\"type\":\"join\",\"room\":\"ALPHA\"}");
	ok(strstr(to(3), "\"peers\":[]") != NULL, "room names are case-sensitive");
	stop();
}

static void refusals(void)
{
	char a[17], b[17], other[17], big[200];

	start(3, 2, 200);
	join(1, "r", a);
	join(2, "r", b);
	join(5, "s", other);

	/* Size and JSON. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"type\":\"ping\"}", 15);
	clear();
	is_int(sig_message(S, 1, big, 200), 0, "exactly max_message bytes");
	ok(!strcmp(to(1), "{\"type\":\"pong\"}"), "is accepted");
	{
		char *over = malloc(201);

		memcpy(over, big, 200);
		over[200] = ' ';
		refused_n(1, over, 201, "{\"type\":\"error\",\"reason\":\"message too large\"}",
			  "max_message + 1 bytes");
		free(over);
	}
	refused(1, "", "invalid JSON: unexpected end", NULL, "empty message");
	refused(1, " \r\n\t", "invalid JSON: unexpected end", NULL, "whitespace only");
	refused(1, "{\"type\":\"ping\"", "invalid JSON: unexpected end", NULL, "unterminated");
	refused(1, "{\"type\":\"ping\"}x", "invalid JSON: trailing bytes", NULL, "trailing byte");
	refused(1, "{\"type\":\"ping\"} {}", "invalid JSON: trailing bytes", NULL,
		"two objects");
	refused_n(1, "{\"type\":\"ping\"}\0", 16,
		  "{\"type\":\"error\",\"reason\":\"invalid JSON: trailing bytes\"}",
		  "a trailing NUL");
	refused_n(1, "{\"type\":\"pi\0ng\"}", 16,
		  "{\"type\":\"error\",\"reason\":\"invalid JSON: control byte in a string\"}",
		  "a NUL in a string");
	refused_n(1, "{\0\"type\":\"ping\"}", 16,
		  "{\"type\":\"error\",\"reason\":\"invalid JSON: expected a key\"}",
		  "a NUL between tokens");
	refused(1, "{\"type\":\"ping\",\"type\":\"ping\"}", "invalid JSON: duplicate key", NULL,
		"duplicate top-level key");
	refused(1, "{\"type\":\"ping\",\"typ\\u0065\":\"join\"}", "invalid JSON: duplicate key",
		NULL, "duplicate key spelled with an escape");
	refused(1, "{\"type\":\"ping\",\"x\xc0\xaf\":1}", "invalid JSON: invalid UTF-8", NULL,
		"overlong UTF-8 in a key");
	refused(1, "{\"type\":\"ping\",\"x\":\"\xed\xa0\x80\"}", "invalid JSON: invalid UTF-8",
		NULL, "an encoded surrogate");
	refused(1, "{\"type\":\"ping\",\"x\":\"\xf4\x90\x80\x80\"}", "invalid JSON: invalid UTF-8",
		NULL, "past U+10FFFF");
	refused(1, "{\"type\":\"ping\",\"x\":\"\xe2\x82\"}", "invalid JSON: invalid UTF-8", NULL,
		"a truncated sequence");
	refused(1, "{\"type\":\"ping\",\"x\":\"\x80\"}", "invalid JSON: invalid UTF-8", NULL,
		"a lone continuation byte");
	refused(1, "{\"type\":\"ping\",\"x\":\"\\x\"}", "invalid JSON: bad escape", NULL,
		"unknown escape");
	refused(1, "{\"type\":\"ping\",\"x\":\"\\u12G4\"}", "invalid JSON: bad \\\\u escape",
		NULL, "bad hex digit");
	refused(1, "{\"type\":\"ping\",\"x\":\"\\ud83d\"}", "invalid JSON: lone high surrogate",
		NULL, "lone high surrogate");
	refused(1, "{\"type\":\"ping\",\"x\":\"\\ud83d\\u0041\"}",
		"invalid JSON: lone high surrogate", NULL, "high surrogate + non-low");
	refused(1, "{\"type\":\"ping\",\"x\":\"\\ude00\"}", "invalid JSON: lone low surrogate",
		NULL, "lone low surrogate");
	refused(1, "{\"type\":\"ping\",\"x\":\"a\tb\"}", "invalid JSON: control byte in a string",
		NULL, "raw tab in a string");
	refused(1, "{\"type\":\"ping\",\"x\":01}", "invalid JSON: leading zero in a number", NULL,
		"leading zero");
	refused(1, "{\"type\":\"ping\",\"x\":1.}", "invalid JSON: bad number", NULL, "1.");
	refused(1, "{\"type\":\"ping\",\"x\":.5}", "invalid JSON: unexpected byte", NULL, ".5");
	refused(1, "{\"type\":\"ping\",\"x\":+1}", "invalid JSON: unexpected byte", NULL, "+1");
	refused(1, "{\"type\":\"ping\",\"x\":1e}", "invalid JSON: bad number", NULL, "1e");
	refused(1, "{\"type\":\"ping\",\"x\":-}", "invalid JSON: bad number", NULL, "-");
	refused(1, "{\"type\":\"ping\",\"x\":tru}", "invalid JSON: unexpected byte", NULL, "tru");
	refused(1, "{\"type\":\"ping\",\"x\":NaN}", "invalid JSON: unexpected byte", NULL, "NaN");
	refused(1, "{\"type\":\"ping\",}", "invalid JSON: expected a key", NULL, "trailing comma");
	refused(1, "{\"type\" \"ping\"}", "invalid JSON: expected ':'", NULL, "missing colon");
	refused(1, "{'type':'ping'}", "invalid JSON: expected a key", NULL, "single quotes");
	refused(1, "{\"type\":\"ping\",\"x\":[1 2]}", "invalid JSON: expected ',' or ']'", NULL,
		"missing comma in an array");
	refused(1, "\xef\xbb\xbf{\"type\":\"ping\"}", "invalid JSON: unexpected byte", NULL,
		"a byte order mark");

	/* Shape and type. */
	refused(1, "[{\"type\":\"ping\"}]", "not a JSON object", NULL, "an array");
	refused(1, "\"ping\"", "not a JSON object", NULL, "a string");
	refused(1, "17", "not a JSON object", NULL, "a number");
	refused(1, "null", "not a JSON object", NULL, "null");
	refused(1, "{}", "missing type", NULL, "empty object");
	refused(1, "{\"Type\":\"ping\"}", "missing type", NULL, "type is case-sensitive");
	refused(1, "{\"type\":1}", "type is not a string", NULL, "numeric type");
	refused(1, "{\"type\":null}", "type is not a string", NULL, "null type");
	refused(1, "{\"type\":[\"ping\"]}", "type is not a string", NULL, "array type");
	refused(1, "{\"type\":\"dance\"}", "unknown type", "dance", "unknown type");
	refused(1, "{\"type\":\"PING\"}", "unknown type", "PING", "types are case-sensitive");
	refused(1, "{\"type\":\"\"}", "unknown type", "", "empty type");
	refused(1, "{\"type\":\"a\\\"b\\\\\\u0000\\u001f\\/\\u00e9\"}", "unknown type",
		"a\\\"b\\\\\\u0000\\u001f/\xc3\xa9", "a hostile type is echoed escaped");
	refused(1, fmt("{\"type\":\"%064d\"}", 0), "unknown type", fmt("%064d", 0),
		"a 64-byte type is echoed");
	refused(1, fmt("{\"type\":\"%065d\"}", 0), "unknown type", NULL,
		"a 65-byte type is not");

	/* Join. */
	refused(1, "{\"type\":\"join\",\"room\":\"s\"}", "already in a room", "join",
		"join while in a room");
	refused(1, "{\"type\":\"join\",\"room\":\"r\"}", "already in a room", "join",
		"join the same room again");
	refused(3, "{\"type\":\"join\"}", "bad room name", "join", "no room");
	refused(3, "{\"type\":\"join\",\"room\":7}", "bad room name", "join", "a numeric room");
	refused(3, "{\"type\":\"join\",\"room\":\"\"}", "bad room name", "join", "empty room");
	refused(3, "{\"type\":\"join\",\"room\":\"a b\"}", "bad room name", "join", "a space");
	refused(3, "{\"type\":\"join\",\"room\":\"a/b\"}", "bad room name", "join", "a slash");
	refused(3, "{\"type\":\"join\",\"room\":\"caf\xc3\xa9\"}", "bad room name", "join",
		"non-ASCII");
	refused(3, "{\"type\":\"join\",\"room\":\"r\\u0000\"}", "bad room name", "join",
		"an escaped NUL");
	refused(3, fmt("{\"type\":\"join\",\"room\":\"%065d\"}", 0), "bad room name", "join",
		"65 bytes");
	refused(3, "{\"type\":\"join\",\"room\":\"r\"}", "room is full", "join",
		"a third member in a room of 2");
	in(3, "{\"type\":\"join\",\"room\":\"t\"}");
	ok(strstr(to(3), "\"type\":\"joined\"") != NULL, "a third room (limit 3)");
	refused(4, fmt("{\"type\":\"join\",\"room\":\"%064d\"}", 0), "too many rooms", "join",
		"a fourth room");
	join(4, "t", other);
	ok(is_id(other), "joining an existing room is fine at max_rooms");

	/* Signal and leave. */
	refused(6, "{\"type\":\"signal\",\"to\":\"0000000000000000\",\"data\":1}", "not in a room",
		"signal", "signal when not in a room");
	refused(6, "{\"type\":\"leave\"}", "not in a room", "leave", "leave when not in a room");
	refused(1, "{\"type\":\"signal\",\"data\":1}", "missing or invalid to", "signal",
		"signal without to");
	refused(1, fmt("{\"type\":\"signal\",\"to\":[\"%s\"],\"data\":1}", b),
		"missing or invalid to", "signal", "to as an array");
	refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s\"}", b), "missing data", "signal",
		"signal without data");
	refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":1}", a),
		"cannot signal oneself", "signal", "signal to oneself");
	refused(1, "{\"type\":\"signal\",\"to\":\"0123456789abcdeg\",\"data\":1}", "unknown peer",
		"signal", "to not hex");
	refused(1, "{\"type\":\"signal\",\"to\":\"\",\"data\":1}", "unknown peer", "signal",
		"to empty");
	refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s0\",\"data\":1}", b), "unknown peer",
		"signal", "to with 17 digits");
	{
		char up[17];

		for (int i = 0; i < 17; i++)
			up[i] = (char)(b[i] >= 'a' && b[i] <= 'f' ? b[i] - 32 : b[i]);
		if (strcmp(up, b))
			refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":1}", up),
				"unknown peer", "signal", "to in upper case");
		else
			ok(1, "(b has no letter) # SKIP");
	}
	refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":1}", other), "unknown peer",
		"signal", "to a member of another room");
	refused(1, fmt("{\"type\":\"signal\",\"to\":\"%s\",\"data\":\"\xff\"}", b),
		"invalid JSON: invalid UTF-8", NULL, "data with a bad byte is not relayed");
	stop();
}

/* Scripted random: ID collisions are redrawn; endless collisions give up. */
static void ids(void)
{
	char a[17], b[17], c[17];
	uint64_t x = 0x1111111111111111ULL, y = 0x2222222222222222ULL;

	start(10, 10, 65536);
	F.script[0] = x;
	F.script[1] = x;
	F.script[2] = x;
	F.script[3] = y;
	F.nscript = 4;
	join(1, "r", a);
	join(2, "r", b);
	ok(!strcmp(a, "1111111111111111"), "the ID is the random value in hex (%s)", a);
	ok(!strcmp(b, "2222222222222222"), "a colliding draw is redrawn (%s)", b);

	F.constant = true;
	join(3, "r", c);
	ok(is_id(c), "constant random: the first ID is fine");
	refused(4, "{\"type\":\"join\",\"room\":\"r\"}", "no free id", "join",
		"constant random: no unique ID");
	refused(4, "{\"type\":\"join\",\"room\":\"new\"}", "no free id", "join",
		"nor for a new room (not created)");
	stop();
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void limits(void)
{
	struct sig_limits lim = { 1000, 2, 65536 };
	char id[17];
	struct sig_stats st;

	start(1000, 3, 65536);
	join(1, "r", id);
	join(2, "r", id);
	join(3, "r", id);
	sig_set_limits(S, &lim);
	stats_are(1, 3, "lowering max_members keeps members");
	refused(4, "{\"type\":\"join\",\"room\":\"r\"}", "room is full", "join",
		"but refuses new ones");
	sig_gone(S, 3);
	refused(4, "{\"type\":\"join\",\"room\":\"r\"}", "room is full", "join",
		"still full at the new limit");
	sig_gone(S, 2);
	join(4, "r", id);
	ok(is_id(id), "room for one more under the new limit");
	lim.max_members = 0;
	sig_set_limits(S, &lim);
	refused(5, "{\"type\":\"join\",\"room\":\"empty\"}", "room is full", "join",
		"max_members 0: no room can be created");
	lim = (struct sig_limits){ 0, 10, 65536 };
	sig_set_limits(S, &lim);
	refused(5, "{\"type\":\"join\",\"room\":\"x\"}", "too many rooms", "join",
		"max_rooms 0");
	lim.max_message = 10;
	sig_set_limits(S, &lim);
	refused(1, "{\"type\":\"ping\"}", "message too large", NULL, "max_message lowered");
	stop();

	/* Thousands of rooms and members: unique IDs, every room freed. */
	start(3000, 4, 65536);
	{
		static char all[6000][17];
		int bad = 0, dup = 0, n = 0;

		for (uint64_t c = 1; c <= 6000; c++) {
			join(c, fmt("room%llu", (unsigned long long)(c % 3000)), all[n]);
			if (!is_id(all[n]))
				bad++;
			n++;
		}
		is_int(bad, 0, "6000 joins into 3000 rooms");
		stats_are(3000, 6000, "3000 rooms");
		qsort(all, 6000, 17, cmp_id);
		for (int i = 1; i < n; i++)
			dup += !strcmp(all[i - 1], all[i]);
		is_int(dup, 0, "6000 distinct IDs");
		refused(7000, "{\"type\":\"join\",\"room\":\"room3000\"}", "too many rooms", "join",
			"room 3001");
		for (uint64_t c = 1; c <= 6000; c += 2)
			sig_gone(S, c);
		stats_are(1500, 3000, "odd conns gone: the rooms of odd number emptied");
		for (uint64_t c = 2; c <= 6000; c += 2)
			in(c, "{\"type\":\"leave\"}");
		stats_are(0, 0, "all gone: every room freed");
		sig_get_stats(S, &st);
		ok(st.joins == 6000 && st.leaves == 6000, "totals: 6000 joins, 6000 leaves");
	}
	stop();
}

static void ice_failures(void)
{
	char id[17];
	struct sig_stats st;
	struct sig_ops ops = OPS;
	struct sig_limits lim = { 10, 10, 65536 };

	start(10, 10, 65536);
	join(1, "r", id);
	F.ice = ICE_EIO;
	refused(2, "{\"type\":\"join\",\"room\":\"r\"}", "iceServers unavailable", "join",
		"ice_servers fails");
	F.ice = ICE_NOT_JSON;
	refused(2, "{\"type\":\"join\",\"room\":\"new\"}", "iceServers unavailable", "join",
		"ice_servers gives broken JSON");
	F.ice = ICE_OBJECT;
	refused(2, "{\"type\":\"join\",\"room\":\"r\"}", "iceServers unavailable", "join",
		"ice_servers gives an object");
	F.ice = ICE_TOO_LONG;
	refused(2, "{\"type\":\"join\",\"room\":\"r\"}", "iceServers unavailable", "join",
		"ice_servers never fits");
	F.ice = ICE_ENOMEM;
	sig_get_stats(S, &st);
	is_int(in(2, "{\"type\":\"join\",\"room\":\"r\"}"), -ENOMEM, "ice_servers -ENOMEM");
	ok(F.n == 1 && !strcmp(to(2), "{\"type\":\"error\",\"reason\":\"out of memory\","
				      "\"ref\":\"join\"}"),
	   "an out of memory error reply");
	stats_are(1, 1, "and no join");
	F.ice = ICE_BIG;
	F.big_len = 100000;
	F.ice_calls = 0;
	join(2, "r", id);
	ok(is_id(id) && strlen(to(2)) > 100000, "a 100 kB iceServers array: buffer grown");
	ok(F.ice_calls > 1, "after -ENOSPC retries (%zu calls)", F.ice_calls);
	F.send_ret = -EPIPE;
	in(2, "{\"type\":\"leave\"}");
	sig_get_stats(S, &st);
	ok(st.send_failures == 2 && st.members == 1, "send failures counted, the leave done");
	stop();

	ops.ice_servers = NULL;
	F = (struct fake){ .rng = 1 };
	S = sig_new(&lim, &ops);
	join(1, "r", id);
	ok(strstr(to(1), "\"iceServers\":[]}") != NULL, "no ice_servers op: []");
	stop();
}

/* A message that nests depth containers: {"type":"ping","x":[[...]]} */
static char *nested(int arrays)
{
	char *s = malloc((size_t)arrays * 2 + 64);
	size_t n = (size_t)sprintf(s, "{\"type\":\"ping\",\"x\":");

	memset(s + n, '[', (size_t)arrays);
	memset(s + n + arrays, ']', (size_t)arrays);
	strcpy(s + n + 2 * (size_t)arrays, "}");
	return s;
}

static void hostile_sizes(void)
{
	char a[17], b[17], *m;
	size_t big = 1 << 20;

	start(10, 10, 4 << 20);
	join(1, "r", a);
	join(2, "r", b);
	m = nested(31);
	in(1, m);
	ok(!strcmp(to(1), "{\"type\":\"pong\"}"), "depth 32 (object + 31 arrays) accepted");
	free(m);
	m = nested(32);
	refused(1, m, "invalid JSON: nesting deeper than 32", NULL, "depth 33 refused");
	free(m);
	m = nested(1000000);
	refused(1, m, "invalid JSON: nesting deeper than 32", NULL, "a million [ refused");
	free(m);

	m = malloc(big + 128);
	{
		int n = sprintf(m, "{\"type\":\"signal\",\"to\":\"%s\",\"data\":\"", b);
		const char *head = fmt("{\"type\":\"signal\",\"from\":\"%s\",\"data\":\"", a);
		size_t hl = strlen(head);

		memset(m + n, 'z', big);
		strcpy(m + n + big, "\"}");
		in(1, m);
		ok(F.n == 1 && strlen(to(2)) == hl + big + 2 && !memcmp(to(2), head, hl) &&
			   !memcmp(to(2) + hl, m + n, big + 2),
		   "a 1 MiB string relayed whole");
		n = sprintf(m, "{\"type\":\"");
		memset(m + n, 'T', big);
		strcpy(m + n + big, "\"}");
		refused(1, m, "unknown type", NULL, "a 1 MiB type: unknown, not echoed");
		n = sprintf(m, "{\"type\":\"join\",\"room\":\"");
		memset(m + n, 'r', big);
		strcpy(m + n + big, "\"}");
		refused(3, m, "bad room name", "join", "a 1 MiB room name");
		n = sprintf(m, "{\"type\":\"signal\",\"to\":\"");
		memset(m + n, 'a', big);
		sprintf(m + n + big, "\",\"data\":1}");
		refused(1, m, "unknown peer", "signal", "a 1 MiB to");
	}
	{
		/* many top-level keys: duplicates found past the inline array too */
		size_t n = (size_t)sprintf(m, "{\"type\":\"ping\"");

		for (int i = 0; i < 20000; i++)
			n += (size_t)sprintf(m + n, ",\"k%d\":%d", i, i);
		strcpy(m + n, "}");
		in(1, m);
		ok(!strcmp(to(1), "{\"type\":\"pong\"}"), "20000 distinct top-level keys");
		sprintf(m + n, ",\"k19999\":0}");
		refused(1, m, "invalid JSON: duplicate key", NULL, "the last of 20001 repeats one");
		n = (size_t)sprintf(m, "{\"type\":\"ping\",\"x\":{");
		for (int i = 0; i < 100; i++)
			n += (size_t)sprintf(m + n, "\"same\":%d,", i);
		strcpy(m + n - 1, "}}");
		in(1, m);
		ok(!strcmp(to(1), "{\"type\":\"pong\"}"), "duplicate keys below the top are data");
	}
	free(m);
	stop();
}

/* Messages a fuzzer would make from valid ones. */
static size_t mutate(uint64_t *rng, char *buf, size_t len, size_t cap)
{
	int k = (int)(splitmix(rng) % 4);

	while (k-- > 0 && len) {
		uint64_t r = splitmix(rng);
		size_t pos = (r >> 8) % len;
		static const char tokens[] = "{}[]\":,\\u0123456789-+.eE \x00\x80\xc3\xed\xf4\xff";

		switch (r % 5) {
		case 0:
			buf[pos] = (char)(r >> 32);
			break;
		case 1:
			buf[pos] = tokens[(r >> 40) % (sizeof(tokens) - 1)];
			break;
		case 2:
			memmove(buf + pos, buf + pos + 1, len - pos - 1);
			len--;
			break;
		case 3:
			if (len < cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = tokens[(r >> 40) % (sizeof(tokens) - 1)];
				len++;
			}
			break;
		default:
			len = pos;
		}
	}
	return len;
}

/* Every message sent must be a JSON object with a string type; returns how many were not. */
static int check_sent(bool joined[], int nconn)
{
	int bad = 0;

	for (size_t i = 0; i < F.n; i++) {
		struct sj_field f = { .key = "type" };
		enum sj_kind top = SJ_ABSENT;
		const char *why;

		if (sj_scan(F.m[i].json, F.m[i].len, &top, &f, 1, &why) || top != SJ_OBJECT ||
		    f.kind != SJ_STRING)
			bad++;
		if (F.m[i].conn >= 1 && F.m[i].conn <= (uint64_t)nconn) {
			if (!strncmp(F.m[i].json, "{\"type\":\"joined\"", 16))
				joined[F.m[i].conn] = true;
			if (!strcmp(F.m[i].json, "{\"type\":\"left\"}"))
				joined[F.m[i].conn] = false;
		}
	}
	return bad;
}

static void hostile_messages(void)
{
	enum { NCONN = 5, ROUNDS = 40000 };
	static const char *const templates[] = {
		"{\"type\":\"join\",\"room\":\"r1\"}",
		"{\"type\":\"join\",\"room\":\"r2\"}",
		"{\"type\":\"signal\",\"to\":\"%s\","
		"\"data\":{\"sdp\":\"v=0\\r\\n\",\"c\":[1,2.5,null]}}",
		"{\"type\":\"signal\",\"to\":\"%s\",\"data\":\"\\ud83d\\ude00\xc3\xa9\"}",
		"{\"type\":\"leave\"}",
		"{\"type\":\"ping\",\"x\":[true,false,{\"a\":-1e-3}]}",
	};
	bool joined[NCONN + 1] = { 0 };
	char ids[NCONN + 1][17] = { { 0 } };
	uint64_t rng = 7;
	int bad_rc = 0, silent = 0, bad_json = 0, model = 0;
	char buf[512];

	start(2, 3, 400);
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t conn = 1 + splitmix(&rng) % NCONN, r = splitmix(&rng);
		size_t len;
		struct sig_stats st;
		int members = 0;

		if (r % 50 == 0) {
			clear();
			sig_gone(S, conn);
			joined[conn] = false;
			bad_json += check_sent(joined, NCONN);
			continue;
		}
		if (r % 7 == 0) {
			len = (size_t)(splitmix(&rng) % sizeof(buf));
			for (size_t j = 0; j < len; j++)
				buf[j] = (char)splitmix(&rng);
		} else {
			const char *t = templates[(r >> 8) % 6];

			len = (size_t)snprintf(buf, sizeof(buf), t,
					       ids[1 + (r >> 16) % NCONN]);
			len = mutate(&rng, buf, len, sizeof(buf));
		}
		clear();
		if (sig_message(S, conn, buf, len))
			bad_rc++;
		if (!F.n)
			silent++;
		bad_json += check_sent(joined, NCONN);
		for (size_t j = 0; j < F.n; j++)
			if (F.m[j].conn == conn &&
			    !strncmp(F.m[j].json, "{\"type\":\"joined\"", 16))
				memcpy(ids[conn], F.m[j].json + 23, 16);
		sig_get_stats(S, &st);
		for (int c = 1; c <= NCONN; c++)
			members += joined[c];
		if (st.members != (uint64_t)members)
			model++;
	}
	is_int(bad_rc, 0, "%d hostile messages: all handled (0)", ROUNDS);
	is_int(silent, 0, "each got at least one message out");
	is_int(bad_json, 0, "every message sent is a JSON object with a string type");
	is_int(model, 0, "members always match joined/left/gone seen from outside");
	for (int c = 1; c <= NCONN; c++)
		sig_gone(S, (uint64_t)c);
	stats_are(0, 0, "all gone after the storm");
	stop();
}

int main(void)
{
	three_members();
	two_rooms();
	refusals();
	ids();
	limits();
	ice_failures();
	hostile_sizes();
	hostile_messages();
	stop();
	return done_testing();
}
