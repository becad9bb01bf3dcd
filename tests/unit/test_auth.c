/* test_auth.c - auth.c: key derivation, users, users file, REST secrets, nonces. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "tap.h"

#define REALM "example.org"

/* printf 'alice:example.org:secret' | openssl md5 */
static const uint8_t alice_key[AUTH_KEY_LEN] = {
	0x54, 0x3e, 0x1a, 0xec, 0x5d, 0x36, 0x14, 0xf0,
	0x31, 0x41, 0x65, 0x2d, 0x6a, 0xda, 0x51, 0xb2,
};

/*
 * RFC 5769 2.4 long-term key:
 * printf '\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9:'\
 * 'example.org:TheMatrIX' | openssl md5
 */
static const uint8_t rfc5769_key[AUTH_KEY_LEN] = {
	0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51,
	0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9,
};

/* printf %s '1700000000:alice' | openssl dgst -sha1 -hmac 'north' -binary | base64 */
#define REST_PW_NORTH "Cd/49soE35ICqcJF/bCTn8Z4OyE="
/* printf %s '1700000000:alice:example.org:Cd/49soE35ICqcJF/bCTn8Z4OyE=' | openssl md5 */
static const uint8_t rest_key_north[AUTH_KEY_LEN] = {
	0xd9, 0xa6, 0xa3, 0xd9, 0x64, 0x46, 0x7b, 0xae,
	0xff, 0xd2, 0xfc, 0xe4, 0x17, 0x04, 0xa9, 0x13,
};

/*
 * printf %s '1700000000:alice' | openssl dgst -sha1 -hmac 'south' -binary | base64
 *   -> FJeNoC0yJtNekwCa5JT/sW/1Ls4=
 * printf %s '1700000000:alice:example.org:FJeNoC0yJtNekwCa5JT/sW/1Ls4=' | openssl md5
 */
static const uint8_t rest_key_south[AUTH_KEY_LEN] = {
	0x2c, 0x9f, 0x5d, 0xb2, 0xd3, 0x68, 0xdd, 0x35,
	0x2c, 0xcb, 0x59, 0x88, 0xc9, 0xa8, 0xc6, 0x38,
};

static int get(const struct auth *a, const char *name, uint64_t now, uint8_t keys[][AUTH_KEY_LEN],
	       int max)
{
	return auth_get_keys(a, name, strlen(name), now, keys, max);
}

static void test_derive(void)
{
	uint8_t key[AUTH_KEY_LEN];

	auth_derive_key("\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9",
			"example.org", "TheMatrIX", key);
	is_mem(key, rfc5769_key, AUTH_KEY_LEN, "RFC 5769 2.4 long-term key");
	auth_derive_key("alice", REALM, "secret", key);
	is_mem(key, alice_key, AUTH_KEY_LEN, "alice:example.org:secret key");
	auth_derive_key("alice", REALM, "secreT", key);
	ok(memcmp(key, alice_key, AUTH_KEY_LEN), "one changed password byte changes the key");
}

static void test_new(void)
{
	struct auth *a = auth_new(REALM, 60);

	ok(a && !strcmp(auth_realm(a), REALM), "auth_new keeps the realm");
	is_int(auth_user_count(a), 0, "new store has no users");
	auth_free(a);
	errno = 0;
	ok(!auth_new(NULL, 60) && errno == EINVAL, "NULL realm refused with EINVAL");
	auth_free(NULL);
	ok(1, "auth_free(NULL) is a no-op");
}

static void test_users(void)
{
	struct auth *a = auth_new(REALM, 60);
	uint8_t keys[2][AUTH_KEY_LEN], k2[AUTH_KEY_LEN];
	char name[AUTH_MAX_NAME + 2];

	is_int(auth_add_user(a, "alice", "secret"), 0, "add alice");
	is_int(get(a, "alice", 0, keys, 2), 1, "alice has one key");
	is_mem(keys[0], alice_key, AUTH_KEY_LEN, "alice's key is MD5(alice:realm:secret)");
	is_int(get(a, "bob", 0, keys, 2), AUTH_UNKNOWN_USER, "bob unknown");
	is_int(auth_get_keys(a, "alice", 3, 0, keys, 2), AUTH_UNKNOWN_USER,
	       "prefix \"ali\" unknown");
	is_int(auth_get_keys(a, "alice\0x", 7, 0, keys, 2), AUTH_UNKNOWN_USER,
	       "alice with a NUL and more bytes unknown");
	is_int(get(a, "Alice", 0, keys, 2), AUTH_UNKNOWN_USER, "names are case-sensitive");
	is_int(auth_get_keys(a, "alice", 0, 0, keys, 2), AUTH_UNKNOWN_USER, "empty name unknown");
	is_int(get(a, "alice", 0, keys, 0), AUTH_UNKNOWN_USER, "max_keys 0 gives no key");
	is_int(auth_add_user(a, "", "pw"), -EINVAL, "empty name refused");
	is_int(auth_add_user(a, NULL, "pw"), -EINVAL, "NULL name refused");
	is_int(auth_add_user(a, "carol", NULL), -EINVAL, "NULL password refused");

	memset(name, 'n', AUTH_MAX_NAME);
	name[AUTH_MAX_NAME] = 0;
	is_int(auth_add_user(a, name, "pw"), 0, "name of AUTH_MAX_NAME bytes accepted");
	is_int(auth_get_keys(a, name, AUTH_MAX_NAME, 0, keys, 2), 1, "and found");
	name[AUTH_MAX_NAME] = 'n';
	name[AUTH_MAX_NAME + 1] = 0;
	is_int(auth_add_user(a, name, "pw"), -EINVAL, "name of AUTH_MAX_NAME+1 bytes refused");
	is_int(auth_get_keys(a, name, AUTH_MAX_NAME + 1, 0, keys, 2), AUTH_UNKNOWN_USER,
	       "lookup of an over-long name unknown");
	is_int(auth_user_count(a), 2, "two users");

	memset(k2, 0xa5, sizeof(k2));
	is_int(auth_add_user_key(a, "alice", k2), 0, "alice again with a ready key");
	is_int(auth_user_count(a), 2, "duplicate replaces, count unchanged");
	ok(get(a, "alice", 0, keys, 2) == 1 && !memcmp(keys[0], k2, AUTH_KEY_LEN),
	   "later definition of alice wins");
	is_int(auth_add_user_key(a, "", k2), -EINVAL, "empty name refused for a ready key");
	auth_free(a);
}

/* Many users: the table grows and every one stays findable with its own key. */
static void test_many_users(void)
{
	struct auth *a = auth_new(REALM, 60);
	uint8_t keys[1][AUTH_KEY_LEN], want[AUTH_KEY_LEN];
	char name[32];
	int bad = 0;

	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		memset(want, 0, sizeof(want));
		memcpy(want, &i, sizeof(i));
		bad += auth_add_user_key(a, name, want) != 0;
	}
	is_int(bad, 0, "5000 users added");
	is_int(auth_user_count(a), 5000, "5000 users counted");
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		memset(want, 0, sizeof(want));
		memcpy(want, &i, sizeof(i));
		bad += get(a, name, 0, keys, 1) != 1 || memcmp(keys[0], want, AUTH_KEY_LEN);
	}
	is_int(bad, 0, "each of 5000 users has its own key");
	auth_free(a);
}

static char tmpdir[] = "/tmp/test_auth.XXXXXX";

/* Write len bytes to a file in tmpdir; returns its path (static buffer). */
static const char *write_file(const char *name, const char *data, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len)
		diag("cannot write %s", path);
	if (f)
		fclose(f);
	return path;
}

static const char good_file[] =
	"# users for example.org\n"
	"\n"
	"   \t \n"
	"  # indented comment\n"
	"alice:secret\n"
	"bob:0x543E1AEC5D3614F03141652D6ADA51B2\r\n"
	"carol:pa:ss \t\r\n"
	"dave:0x543e1aec5d3614f03141652d6ada51b2\n"
	"alice:secret2\n"
	"  erin:pw#not-a-comment";

static void test_users_file(void)
{
	uint8_t keys[1][AUTH_KEY_LEN], want[AUTH_KEY_LEN];
	struct auth *a = auth_new(REALM, 60);
	const char *path;
	int bad = -1;

	path = write_file("good", good_file, sizeof(good_file) - 1);
	is_int(auth_load_users_file(a, path, &bad), 6, "good file: 6 user lines");
	is_int(bad, 0, "good file: bad_line 0");
	is_int(auth_user_count(a), 5, "good file: 5 distinct users");
	auth_derive_key("alice", REALM, "secret2", want);
	ok(get(a, "alice", 0, keys, 1) == 1 && !memcmp(keys[0], want, AUTH_KEY_LEN),
	   "alice defined twice: the later line wins");
	ok(get(a, "bob", 0, keys, 1) == 1 && !memcmp(keys[0], alice_key, AUTH_KEY_LEN),
	   "bob: upper-case 0x key with CRLF");
	ok(get(a, "dave", 0, keys, 1) == 1 && !memcmp(keys[0], alice_key, AUTH_KEY_LEN),
	   "dave: lower-case 0x key");
	auth_derive_key("carol", REALM, "pa:ss", want);
	ok(get(a, "carol", 0, keys, 1) == 1 && !memcmp(keys[0], want, AUTH_KEY_LEN),
	   "carol: password with ':', trailing blanks and CR trimmed");
	auth_derive_key("erin", REALM, "pw#not-a-comment", want);
	ok(get(a, "erin", 0, keys, 1) == 1 && !memcmp(keys[0], want, AUTH_KEY_LEN),
	   "erin: leading blanks, '#' inside the password, no final newline");
	is_int(auth_load_users_file(a, path, NULL), 6, "bad_line may be NULL");
	auth_free(a);
}

struct bad_file {
	const char *what;
	const char *data;
	size_t len;
	int line;
};

#define BAD(what, s, line) { what, s, sizeof(s) - 1, line }

static const struct bad_file bad_files[] = {
	BAD("no colon", "# c\nalice:pw\nnocolon\nbob:pw\n", 3),
	BAD("empty name", "alice:pw\n:pw\n", 2),
	BAD("empty password", "alice:\n", 1),
	BAD("blank password", "alice: \t\r\n", 1),
	BAD("short key", "\n\n\nalice:0x543e1aec5d3614f03141652d6ada51b\n", 4),
	BAD("long key", "alice:0x543e1aec5d3614f03141652d6ada51b2a\n", 1),
	BAD("non-hex key", "alice:0x543e1aec5d3614f03141652d6ada51bg\n", 1),
	BAD("bare 0x", "alice:0x\n", 1),
	BAD("NUL in line", "alice:pw\nbob:p\0w\n", 2),
	BAD("NUL in name", "al\0ice:pw\n", 1),
	BAD("lone CR", "\r\nx\r\n", 2),
};

static void test_users_file_bad(void)
{
	struct auth *a = auth_new(REALM, 60);
	char *big = malloc(4096);
	const char *path;
	int bad, r;

	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad_file *b = &bad_files[i];

		bad = -1;
		path = write_file("bad", b->data, b->len);
		r = auth_load_users_file(a, path, &bad);
		ok(r == -EINVAL && bad == b->line, "%s: -EINVAL at line %d (got %d at %d)", b->what,
		   b->line, r, bad);
	}
	is_int(auth_user_count(a), 0, "no user added from a file with a bad line");

	/* name of AUTH_MAX_NAME + 1 bytes */
	memset(big, 'n', AUTH_MAX_NAME + 1);
	memcpy(big + AUTH_MAX_NAME + 1, ":pw\n", 4);
	path = write_file("bad", big, AUTH_MAX_NAME + 5);
	r = auth_load_users_file(a, path, &bad);
	ok(r == -EINVAL && bad == 1, "name too long: -EINVAL line 1");
	memcpy(big + AUTH_MAX_NAME, ":pw\n", 4);
	path = write_file("ok", big, AUTH_MAX_NAME + 4);
	is_int(auth_load_users_file(a, path, &bad), 1, "name of AUTH_MAX_NAME bytes accepted");
	/* a 4000-byte line */
	memcpy(big, "ok:pw\n", 6);
	memset(big + 6, 'p', 4000);
	memcpy(big + 6, "x:", 2);
	big[4006 - 1] = '\n';
	path = write_file("bad", big, 4006);
	r = auth_load_users_file(a, path, &bad);
	ok(r == -EINVAL && bad == 2, "line too long: -EINVAL line 2");

	path = write_file("missing", "", 0);
	unlink(path);
	bad = -1;
	is_int(auth_load_users_file(a, path, &bad), -ENOENT, "missing file: -ENOENT");
	is_int(bad, 0, "missing file: bad_line 0");
	is_int(auth_load_users_file(a, tmpdir, &bad), -EISDIR, "a directory: -EISDIR on read");
	is_int(auth_user_count(a), 1, "only the good file's user is there");
	free(big);
	auth_free(a);
}

static void test_rest(void)
{
	uint8_t keys[3][AUTH_KEY_LEN], ukey[AUTH_KEY_LEN];
	struct auth *a = auth_new(REALM, 60);
	const uint64_t exp = 1700000000;
	char pw[64];

	is_int(auth_rest_password("north", "1700000000:alice", pw, sizeof(pw)), 0, "REST password");
	ok(!strcmp(pw, REST_PW_NORTH), "REST password matches openssl: %s", pw);
	is_int(auth_rest_password("north", "1700000000:alice", pw, 28), -ENOSPC,
	       "REST password needs 29 bytes");

	/* No secret yet: a REST-looking name is an ordinary user name. */
	is_int(auth_add_user(a, "1700000000:alice", "pw"), 0, "user named 1700000000:alice");
	auth_derive_key("1700000000:alice", REALM, "pw", ukey);
	ok(get(a, "1700000000:alice", exp + 100, keys, 3) == 1 &&
		   !memcmp(keys[0], ukey, AUTH_KEY_LEN),
	   "no secret: digits:name looked up in users, expiry ignored");
	is_int(get(a, "1700000001:alice", exp, keys, 3), AUTH_UNKNOWN_USER,
	       "no secret: other digits:name unknown");

	is_int(auth_add_secret(a, ""), -EINVAL, "empty secret refused");
	is_int(auth_add_secret(a, NULL), -EINVAL, "NULL secret refused");
	is_int(auth_add_secret(a, "north"), 0, "secret north");
	ok(get(a, "1700000000:alice", exp - 1000, keys, 3) == 1 &&
		   !memcmp(keys[0], rest_key_north, AUTH_KEY_LEN),
	   "REST key = MD5(name:realm:base64(HMAC-SHA1))");
	is_int(get(a, "1700000000:alice", exp, keys, 3), 1, "valid at the expiry second");
	is_int(get(a, "1700000000:alice", exp + 1, keys, 3), AUTH_EXPIRED,
	       "expired a second later");
	is_int(get(a, "1700000001:mallory", 0, keys, 3), 1, "any name works with the secret");

	is_int(auth_add_user(a, "alice", "secret"), 0, "static alice beside the secret");
	ok(get(a, "alice", exp, keys, 3) == 1 && !memcmp(keys[0], alice_key, AUTH_KEY_LEN),
	   "secret set: plain name looked up in users");
	is_int(auth_add_user(a, "12a:bob", "pw"), 0, "user named 12a:bob");
	is_int(get(a, "12a:bob", exp, keys, 3), 1, "12a:bob is not REST form: found in users");
	is_int(get(a, "12a:carol", exp, keys, 3), AUTH_UNKNOWN_USER, "12a:carol unknown");
	is_int(get(a, ":bob", 0, keys, 3), AUTH_UNKNOWN_USER, ":bob unknown");
	is_int(get(a, "123:", 0, keys, 3), AUTH_UNKNOWN_USER, "123: (nothing after) unknown");
	is_int(get(a, "123", 0, keys, 3), AUTH_UNKNOWN_USER, "123 (no colon) unknown");
	is_int(get(a, "99999999999999999999999:bob", 0, keys, 3), AUTH_UNKNOWN_USER,
	       "23-digit timestamp unknown, not wrapped");
	is_int(get(a, "18446744073709551616:bob", 0, keys, 3), AUTH_UNKNOWN_USER,
	       "UINT64_MAX + 1 unknown, not wrapped to 0");
	is_int(get(a, "18446744073709551615:bob", UINT64_MAX, keys, 3), 1,
	       "UINT64_MAX timestamp valid");
	is_int(get(a, "000000000000000000001700000000:bob", 0, keys, 3), AUTH_UNKNOWN_USER,
	       "more than 20 digits unknown");
	is_int(get(a, "-1:bob", 0, keys, 3), AUTH_UNKNOWN_USER, "-1:bob unknown");
	is_int(get(a, " 1:bob", 0, keys, 3), AUTH_UNKNOWN_USER, "blank before digits unknown");
	ok(auth_get_keys(a, "1800000000:b\0b", 14, exp, keys, 3) == 1,
	   "NUL inside the REST name is hashed, not a terminator");

	is_int(auth_add_secret(a, "south"), 0, "second secret south");
	is_int(get(a, "1700000000:alice", exp, keys, 3), 2, "two secrets: two keys");
	is_mem(keys[0], rest_key_north, AUTH_KEY_LEN, "first key from north");
	is_mem(keys[1], rest_key_south, AUTH_KEY_LEN, "second key from south");
	memset(keys, 0, sizeof(keys));
	is_int(get(a, "1700000000:alice", exp, keys, 1), 1, "max_keys 1: one key");
	is_mem(keys[1], "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", AUTH_KEY_LEN, "keys[1] untouched");
	is_int(get(a, "1700000000:alice", exp + 1, keys, 3), AUTH_EXPIRED, "two secrets: expired");
	auth_free(a);
}

static void test_nonce(void)
{
	struct auth *a = auth_new(REALM, 600), *b = auth_new(REALM, 600);
	const uint64_t t = 1700000000;
	char n[AUTH_NONCE_LEN + 1], m[AUTH_NONCE_LEN + 1], bad[AUTH_NONCE_LEN + 2];
	int printable = 1, tamper_ok = 0;

	memset(n, 'Z', sizeof(n));
	auth_make_nonce(a, t, n);
	is_int(strlen(n), AUTH_NONCE_LEN, "nonce is AUTH_NONCE_LEN chars, NUL-terminated");
	for (int i = 0; i < AUTH_NONCE_LEN; i++)
		printable &= n[i] > 0x20 && n[i] < 0x7f;
	ok(printable, "nonce is printable: %s", n);
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, t), 0, "fresh when made");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, t + 600), 0,
	       "fresh at the end of its lifetime");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, t + 601), -ESTALE,
	       "stale a second after its lifetime");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, UINT64_MAX), -ESTALE,
	       "stale far in the future");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, t - 5), 0,
	       "issued 5 s ahead of the clock: accepted (skew)");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, t - 3600), -EINVAL,
	       "issued an hour in the future: not ours");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, 0), -EINVAL,
	       "checked at time 0: from the future");
	is_int(auth_check_nonce(b, (uint8_t *)n, AUTH_NONCE_LEN, t), -EINVAL,
	       "another store's nonce rejected");

	auth_make_nonce(a, t + 1, m);
	ok(strcmp(n, m) != 0, "a nonce a second later differs");
	for (int i = 0; i < AUTH_NONCE_LEN; i++) {
		memcpy(bad, n, sizeof(n));
		bad[i] = bad[i] == '0' ? '1' : '0';
		tamper_ok += auth_check_nonce(a, (uint8_t *)bad, AUTH_NONCE_LEN, t) == -EINVAL;
	}
	is_int(tamper_ok, AUTH_NONCE_LEN, "changing any one char makes it invalid");
	memcpy(bad, n, sizeof(n));
	for (int i = 0; i < AUTH_NONCE_LEN; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] -= 0x20;
	if (strcmp(bad, n))
		is_int(auth_check_nonce(a, (uint8_t *)bad, AUTH_NONCE_LEN, t), -EINVAL,
		       "upper-case spelling rejected");
	else
		ok(1, "nonce has no letters to upper-case");
	memcpy(bad, n, sizeof(n));
	bad[5] = '\0';
	is_int(auth_check_nonce(a, (uint8_t *)bad, AUTH_NONCE_LEN, t), -EINVAL,
	       "NUL byte rejected");
	bad[5] = (char)0xff;
	is_int(auth_check_nonce(a, (uint8_t *)bad, AUTH_NONCE_LEN, t), -EINVAL, "0xff rejected");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN - 1, t), -EINVAL, "short rejected");
	memcpy(bad, n, sizeof(n));
	bad[AUTH_NONCE_LEN] = '0';
	is_int(auth_check_nonce(a, (uint8_t *)bad, AUTH_NONCE_LEN + 1, t), -EINVAL,
	       "long rejected");
	is_int(auth_check_nonce(a, (uint8_t *)"", 0, t), -EINVAL, "empty rejected");
	is_int(auth_check_nonce(a, NULL, AUTH_NONCE_LEN, t), -EINVAL, "NULL rejected");

	auth_make_nonce(a, UINT64_MAX, m);
	is_int(auth_check_nonce(a, (uint8_t *)m, AUTH_NONCE_LEN, UINT64_MAX), 0,
	       "nonce at UINT64_MAX fresh, no overflow");
	auth_make_nonce(a, 0, m);
	is_int(auth_check_nonce(a, (uint8_t *)m, AUTH_NONCE_LEN, 0), 0, "nonce at time 0 fresh");
	auth_free(a);
	auth_free(b);
}

/* Nonces bound to a client address: good under that binding only. */
static void test_nonce_bound(void)
{
	static const uint8_t ip1[4] = { 192, 0, 2, 1 }, ip2[4] = { 192, 0, 2, 2 };
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct auth *a = auth_new(REALM, 600);
	const uint64_t t = 1700000000;
	char n[AUTH_NONCE_LEN + 1], u[AUTH_NONCE_LEN + 1], big[AUTH_NONCE_BIND_MAX + 1] = { 0 };

	auth_make_nonce_bound(a, t, ip1, sizeof(ip1), n);
	auth_make_nonce(a, t, u);
	is_int(strlen(n), AUTH_NONCE_LEN, "bound nonce: AUTH_NONCE_LEN chars");
	ok(strcmp(n, u) != 0, "bound and unbound nonces of one second differ");
	is_int(auth_check_nonce_bound(a, (uint8_t *)n, AUTH_NONCE_LEN, t, ip1, 4), 0,
	       "fresh under its binding");
	is_int(auth_check_nonce_bound(a, (uint8_t *)n, AUTH_NONCE_LEN, t + 601, ip1, 4), -ESTALE,
	       "stale under its binding after its lifetime");
	is_int(auth_check_nonce_bound(a, (uint8_t *)n, AUTH_NONCE_LEN, t, ip2, 4), -EINVAL,
	       "another address: not ours");
	is_int(auth_check_nonce_bound(a, (uint8_t *)n, AUTH_NONCE_LEN, t, ip6, 16), -EINVAL,
	       "an IPv6 address: not ours");
	is_int(auth_check_nonce(a, (uint8_t *)n, AUTH_NONCE_LEN, t), -EINVAL,
	       "unbound check of a bound nonce: not ours");
	is_int(auth_check_nonce_bound(a, (uint8_t *)u, AUTH_NONCE_LEN, t, ip1, 4), -EINVAL,
	       "bound check of an unbound nonce: not ours");
	is_int(auth_check_nonce_bound(a, (uint8_t *)u, AUTH_NONCE_LEN, t, NULL, 0), 0,
	       "an empty binding is the unbound nonce");
	is_int(auth_check_nonce_bound(a, (uint8_t *)n, AUTH_NONCE_LEN, t, big, sizeof(big)),
	       -EINVAL, "a binding over AUTH_NONCE_BIND_MAX: refused");
	auth_make_nonce_bound(a, t, ip6, sizeof(ip6), n);
	is_int(auth_check_nonce_bound(a, (uint8_t *)n, AUTH_NONCE_LEN, t, ip6, 16), 0,
	       "IPv6-bound nonce fresh under its binding");
	is_int(auth_check_nonce_bound(a, (uint8_t *)n, AUTH_NONCE_LEN, t, ip6, 15), -EINVAL,
	       "... not under a prefix of it");
	auth_free(a);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_derive();
	test_new();
	test_users();
	test_many_users();
	test_users_file();
	test_users_file_bad();
	test_rest();
	test_nonce();
	test_nonce_bound();
	unlink(write_file("bad", "", 0));
	unlink(write_file("ok", "", 0));
	unlink(write_file("good", "", 0));
	rmdir(tmpdir);
	return done_testing();
}
