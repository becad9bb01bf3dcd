/* test_ice.c - the iceServers JSON: exact output, REST credentials, escaping, short buffers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "ice.h"
#include "sig_json.h"
#include "tap.h"

static const char *const stun1[] = { "stun:relay.example.org:3478" };
static const char *const turn2[] = { "turn:relay.example.org:3478?transport=udp",
				     "turn:relay.example.org:3478?transport=tcp" };

/* Credentials below computed independently:
 *   printf '%s' USERNAME | openssl dgst -sha1 -hmac SECRET -binary | base64 */
#define CRED_ALICE "Sg/xasamTwwVMLHVxpvdbIj9Zls="	/* s3cr3t, 1764003600:alice */
#define CRED_NOTAG "362iaNdAx/uKGiD9mwikGzvvuzE="	/* north-wind, 1764086400 */
#define CRED_QUOTE "M93B3fQGoOBLHGoXrUYv/STyzmY="	/* s3cr3t, 1764003600:al"i\ce */

static const char full_json[] =
	"[{\"urls\":[\"stun:relay.example.org:3478\"]},"
	"{\"urls\":[\"turn:relay.example.org:3478?transport=udp\","
	"\"turn:relay.example.org:3478?transport=tcp\"],"
	"\"username\":\"1764003600:alice\",\"credential\":\"" CRED_ALICE "\"}]";

static struct ice_params full_params(void)
{
	return (struct ice_params){
		.stun_urls = stun1, .n_stun = 1, .turn_urls = turn2, .n_turn = 2,
		.secret = "s3cr3t", .lifetime_s = 3600, .now_s = 1764000000, .user_tag = "alice",
	};
}

/* Whether out[0..n) is one valid JSON array. */
static int is_json_array(const char *out, int n)
{
	enum sj_kind top = SJ_ABSENT;
	const char *why = NULL;

	return n >= 0 && !sj_scan(out, (size_t)n, &top, NULL, 0, &why) && top == SJ_ARRAY;
}

static void full(void)
{
	struct ice_params p = full_params();
	char out[1024], pw[64];
	int n = ice_servers_json(out, sizeof(out), &p);

	is_int(n, (int)strlen(full_json), "full list: the length of the expected JSON");
	ok(n > 0 && !strcmp(out, full_json), "full list: byte-exact JSON");
	if (n > 0 && strcmp(out, full_json))
		diag("got %s", out);
	is_int(auth_rest_password("s3cr3t", "1764003600:alice", pw, sizeof(pw)), 0,
	       "auth_rest_password computes");
	ok(!strcmp(pw, CRED_ALICE), "auth_rest_password agrees with openssl dgst");
	ok(strstr(out, pw) != NULL, "the credential is auth_rest_password's");
	ok(is_json_array(out, n), "the output is a valid JSON array");
}

static void no_tag(void)
{
	static const char want[] = "[{\"urls\":[\"turn:h:3478\"],\"username\":\"1764086400\","
				   "\"credential\":\"" CRED_NOTAG "\"}]";
	static const char *const turn[] = { "turn:h:3478" };
	struct ice_params p = { .turn_urls = turn, .n_turn = 1, .secret = "north-wind",
				.lifetime_s = 86400, .now_s = 1764000000 };
	char out[512];

	is_int(ice_servers_json(out, sizeof(out), &p), (int)strlen(want), "NULL tag: length");
	ok(!strcmp(out, want), "NULL tag: username is the expiry alone, credential matches");
	p.user_tag = "";
	is_int(ice_servers_json(out, sizeof(out), &p), (int)strlen(want), "empty tag: length");
	ok(!strcmp(out, want), "empty tag: the same as NULL");
}

static void escaping(void)
{
	static const char want[] =
		"[{\"urls\":[\"stun:a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\"]},"
		"{\"urls\":[\"turn:h\"],\"username\":\"1764003600:al\\\"i\\\\ce\","
		"\"credential\":\"" CRED_QUOTE "\"}]";
	static const char *const stun[] = { "stun:a\"b\\c\n\x01\xc3\xa9\xff" };
	static const char *const turn[] = { "turn:h" };
	struct ice_params p = full_params();
	char out[512];
	int n;

	p.stun_urls = stun;
	p.turn_urls = turn;
	p.n_turn = 1;
	p.user_tag = "al\"i\\ce";
	n = ice_servers_json(out, sizeof(out), &p);
	is_int(n, (int)strlen(want), "escaping: length");
	ok(n > 0 && !strcmp(out, want),
	   "quote, backslash, control bytes escaped; UTF-8 kept; a bad byte is \\ufffd; "
	   "the HMAC covers the raw username");
	if (n > 0 && strcmp(out, want))
		diag("got %s", out);
	ok(is_json_array(out, n), "escaped output is a valid JSON array");
}

static void short_caps(void)
{
	struct ice_params p = full_params();
	int len = (int)strlen(full_json), bad = 0, overrun = 0, unterminated = 0;
	char buf[1024];

	for (int cap = 0; cap <= len; cap++) {
		memset(buf, 0x5a, sizeof(buf));
		if (ice_servers_json(buf, (size_t)cap, &p) != -ENOSPC)
			bad++;
		for (size_t i = (size_t)cap; i < sizeof(buf); i++)
			if (buf[i] != 0x5a)
				overrun++;
		if (cap && buf[0])
			unterminated++;
	}
	is_int(bad, 0, "-ENOSPC at every cap from 0 to the length (%d caps)", len + 1);
	is_int(overrun, 0, "nothing written past cap");
	is_int(unterminated, 0, "a short buffer is left an empty string");
	is_int(ice_servers_json(NULL, 0, &p), -ENOSPC, "NULL out with cap 0: -ENOSPC");
	memset(buf, 0x5a, sizeof(buf));
	is_int(ice_servers_json(buf, (size_t)len + 1, &p), len, "cap = length + 1 fits");
	ok(!strcmp(buf, full_json) && buf[len + 1] == 0x5a, "exactly, NUL at out[len]");
}

static void empty_lists(void)
{
	static const char stun_only[] = "[{\"urls\":[\"stun:relay.example.org:3478\"]}]";
	struct ice_params p = full_params();
	char out[512];

	p.n_stun = 0;
	p.n_turn = 0;
	is_int(ice_servers_json(out, sizeof(out), &p), 2, "both empty: 2 bytes");
	ok(!strcmp(out, "[]"), "both empty: []");
	is_int(ice_servers_json(out, 3, &p), 2, "[] fits in 3 bytes");
	is_int(ice_servers_json(out, 2, &p), -ENOSPC, "[] does not fit in 2");

	p = full_params();
	p.n_turn = 0;
	is_int(ice_servers_json(out, sizeof(out), &p), (int)strlen(stun_only),
	       "no TURN url: length");
	ok(!strcmp(out, stun_only), "no TURN url: the STUN entry alone");

	p = full_params();
	p.secret = NULL;
	ice_servers_json(out, sizeof(out), &p);
	ok(!strcmp(out, stun_only),
	   "no secret: the TURN entry is left out");
	p.n_stun = 0;
	is_int(ice_servers_json(out, sizeof(out), &p), 2, "no secret, no STUN: []");

	p = full_params();
	p.n_stun = 0;
	p.stun_urls = NULL;
	ice_servers_json(out, sizeof(out), &p);
	ok(!strncmp(out, "[{\"urls\":[\"turn:", 16) && !strstr(out, "stun:") &&
		   strstr(out, "\"credential\":\"" CRED_ALICE "\"}]"),
	   "no STUN url: TURN entry alone, no leading comma");
}

static void invalid(void)
{
	static const char *const with_null[] = { "stun:a", NULL };
	struct ice_params p = full_params();
	char out[512];

	is_int(ice_servers_json(out, sizeof(out), NULL), -EINVAL, "NULL params: -EINVAL");
	p.stun_urls = with_null;
	p.n_stun = 2;
	is_int(ice_servers_json(out, sizeof(out), &p), -EINVAL, "a NULL STUN url: -EINVAL");
	p = full_params();
	p.turn_urls = with_null;
	p.n_turn = 2;
	is_int(ice_servers_json(out, sizeof(out), &p), -EINVAL, "a NULL TURN url: -EINVAL");
	p.secret = NULL;
	is_int(ice_servers_json(out, 0, &p), -EINVAL, "checked even with no secret and cap 0");
	p = full_params();
	p.stun_urls = NULL;
	is_int(ice_servers_json(out, sizeof(out), &p), -EINVAL, "n_stun > 0, NULL array: -EINVAL");
}

static void long_tag(void)
{
	struct ice_params p = full_params();
	char *tag = malloc(5001), *user = malloc(5100), *out = malloc(6000), pw[64];
	int n;

	memset(tag, 'x', 5000);
	tag[5000] = 0;
	p.user_tag = tag;
	n = ice_servers_json(out, 6000, &p);
	ok(n > 5000 && is_json_array(out, n), "a 5000-byte tag: valid JSON");
	snprintf(user, 5100, "1764003600:%s", tag);
	auth_rest_password("s3cr3t", user, pw, sizeof(pw));
	ok(n > 0 && strstr(out, pw) != NULL, "its credential covers the whole username");
	free(tag);
	free(user);
	free(out);
}

int main(void)
{
	full();
	no_tag();
	escaping();
	short_caps();
	empty_lists();
	invalid();
	long_tag();
	return done_testing();
}
