/* auth.c - long-term credentials: users table, TURN REST secrets, key derivation, nonces. */
#include "auth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "log.h"

#define AUTH_MAX_REALM 763	/* RFC 8489 14.9: REALM < 763 bytes */
#define AUTH_MAX_PASSWORD 512	/* longest password accepted in the users file */
#define AUTH_LINE_MAX (AUTH_MAX_NAME + 1 + AUTH_MAX_PASSWORD)
#define AUTH_MAX_SECRET 1024
#define REST_MAX_DIGITS 20	/* UINT64_MAX has 20 digits */
#define REST_PW_LEN 28		/* base64 of a 20-byte HMAC-SHA1, padded */
#define NONCE_TIME_HEX 16	/* issue time, 64 bits as hex */
#define NONCE_MAC_HEX (AUTH_NONCE_LEN - NONCE_TIME_HEX)
#define NONCE_KEY_LEN 32
#define NONCE_SKEW_S 5		/* a nonce "from the future" by more than this is not ours */
#define MIN_BUCKETS 16

/* One static user. name is NUL-terminated and has no NUL inside. */
struct user {
	struct user *next;
	uint32_t hash;
	size_t name_len;
	uint8_t key[AUTH_KEY_LEN];
	char name[];
};

struct auth {
	char *realm;
	uint32_t nonce_lifetime_s;
	uint8_t nonce_key[NONCE_KEY_LEN];
	uint32_t seed;		/* hash seed, random per store */
	struct user **buckets;
	size_t nbuckets;	/* a power of two */
	size_t nusers;
	char **secrets;
	size_t nsecrets;
};

static uint32_t name_hash(const struct auth *a, const char *name, size_t len)
{
	uint32_t h = 2166136261u ^ a->seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h ^ (h >> 16);
}

static struct user *user_find(const struct auth *a, const char *name, size_t len)
{
	uint32_t h = name_hash(a, name, len);
	struct user *u;

	for (u = a->buckets[h & (a->nbuckets - 1)]; u; u = u->next)
		if (u->hash == h && u->name_len == len && !memcmp(u->name, name, len))
			return u;
	return NULL;
}

static void user_free(struct user *u)
{
	OPENSSL_cleanse(u->key, sizeof(u->key));
	free(u);
}

/* Double the bucket array; on allocation failure the table stays as it was. */
static int table_grow(struct auth *a)
{
	size_t n = a->nbuckets * 2;
	struct user **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < a->nbuckets; i++) {
		struct user *u = a->buckets[i], *next;

		for (; u; u = next) {
			next = u->next;
			u->next = b[u->hash & (n - 1)];
			b[u->hash & (n - 1)] = u;
		}
	}
	free(a->buckets);
	a->buckets = b;
	a->nbuckets = n;
	return 0;
}

/* Insert or replace (a later definition of a name replaces the earlier key). */
static int table_put(struct auth *a, const char *name, size_t len, const uint8_t *key)
{
	struct user *u = user_find(a, name, len);

	if (u) {
		memcpy(u->key, key, AUTH_KEY_LEN);
		return 0;
	}
	if (a->nusers >= a->nbuckets && table_grow(a))
		return -ENOMEM;
	u = malloc(sizeof(*u) + len + 1);
	if (!u)
		return -ENOMEM;
	u->hash = name_hash(a, name, len);
	u->name_len = len;
	memcpy(u->key, key, AUTH_KEY_LEN);
	memcpy(u->name, name, len);
	u->name[len] = 0;
	u->next = a->buckets[u->hash & (a->nbuckets - 1)];
	a->buckets[u->hash & (a->nbuckets - 1)] = u;
	a->nusers++;
	return 0;
}

struct auth *auth_new(const char *realm, uint32_t nonce_lifetime_s)
{
	struct auth *a;

	if (!realm || strlen(realm) > AUTH_MAX_REALM) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->realm = strdup(realm);
	if (!a->realm)
		goto err;
	a->nbuckets = MIN_BUCKETS;
	a->buckets = calloc(a->nbuckets, sizeof(*a->buckets));
	if (!a->buckets)
		goto err;
	if (RAND_bytes(a->nonce_key, sizeof(a->nonce_key)) != 1 ||
	    RAND_bytes((uint8_t *)&a->seed, sizeof(a->seed)) != 1) {
		pr_err("auth: RAND_bytes failed, cannot make the nonce key");
		auth_free(a);
		errno = EIO;
		return NULL;
	}
	a->nonce_lifetime_s = nonce_lifetime_s;
	return a;
err:
	auth_free(a);
	errno = ENOMEM;
	return NULL;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	for (size_t i = 0; a->buckets && i < a->nbuckets; i++) {
		struct user *u = a->buckets[i], *next;

		for (; u; u = next) {
			next = u->next;
			user_free(u);
		}
	}
	for (size_t i = 0; i < a->nsecrets; i++) {
		OPENSSL_cleanse(a->secrets[i], strlen(a->secrets[i]));
		free(a->secrets[i]);
	}
	free(a->secrets);
	free(a->buckets);
	free(a->realm);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

const char *auth_realm(const struct auth *a)
{
	return a->realm;
}

size_t auth_user_count(const struct auth *a)
{
	return a->nusers;
}

/* MD5(name ":" realm ":" password), the name given by length (it may come off the wire). */
static int derive_key(const char *name, size_t name_len, const char *realm, const char *password,
		      uint8_t key[AUTH_KEY_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	     EVP_DigestUpdate(ctx, name, name_len) && EVP_DigestUpdate(ctx, ":", 1) &&
	     EVP_DigestUpdate(ctx, realm, strlen(realm)) && EVP_DigestUpdate(ctx, ":", 1) &&
	     EVP_DigestUpdate(ctx, password, strlen(password)) &&
	     EVP_DigestFinal_ex(ctx, key, &n) && n == AUTH_KEY_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		pr_err("auth: MD5 key derivation failed (OpenSSL without MD5?)");
		memset(key, 0, AUTH_KEY_LEN);
		return -EIO;
	}
	return 0;
}

void auth_derive_key(const char *name, const char *realm, const char *password,
		     uint8_t key[AUTH_KEY_LEN])
{
	derive_key(name, strlen(name), realm, password, key);
}

/* A user name must be 1..AUTH_MAX_NAME bytes; returns its length or -EINVAL. */
static long check_name(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, AUTH_MAX_NAME + 1);
	if (!len || len > AUTH_MAX_NAME)
		return -EINVAL;
	return (long)len;
}

int auth_add_user_key(struct auth *a, const char *name, const uint8_t key[AUTH_KEY_LEN])
{
	long len = check_name(name);

	if (len < 0)
		return (int)len;
	return table_put(a, name, (size_t)len, key);
}

int auth_add_user(struct auth *a, const char *name, const char *password)
{
	uint8_t key[AUTH_KEY_LEN];
	long len = check_name(name);
	int err;

	if (len < 0 || !password)
		return -EINVAL;
	err = derive_key(name, (size_t)len, a->realm, password, key);
	if (!err)
		err = table_put(a, name, (size_t)len, key);
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

int auth_add_secret(struct auth *a, const char *secret)
{
	char **v, *copy;

	if (!secret || !*secret || strnlen(secret, AUTH_MAX_SECRET + 1) > AUTH_MAX_SECRET)
		return -EINVAL;
	v = realloc(a->secrets, (a->nsecrets + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->secrets = v;
	copy = strdup(secret);
	if (!copy)
		return -ENOMEM;
	a->secrets[a->nsecrets++] = copy;
	return 0;
}

/* base64(HMAC-SHA1(secret, username)) for a username given by length. */
static int rest_password(const char *secret, const char *user, size_t user_len, char *out,
			 size_t outlen)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (outlen < REST_PW_LEN + 1)
		return -ENOSPC;
	if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)user, user_len, mac,
		  &n) || n != 20) {
		pr_err("auth: HMAC-SHA1 failed for a REST password");
		return -EIO;
	}
	EVP_EncodeBlock((uint8_t *)out, mac, (int)n);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int auth_rest_password(const char *secret, const char *username, char *out, size_t outlen)
{
	if (!secret || !username || !out)
		return -EINVAL;
	return rest_password(secret, username, strlen(username), out, outlen);
}

/*
 * Is name "<digits>:<something>"? Then *expiry gets the digits' value. A name whose digits
 * overflow 64 bits, or with nothing after the ':', is not of the REST form.
 */
static bool parse_rest_name(const char *name, size_t len, uint64_t *expiry)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && name[i] >= '0' && name[i] <= '9'; i++) {
		unsigned int d = (unsigned int)(name[i] - '0');

		if (i >= REST_MAX_DIGITS || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (i == 0 || i + 1 >= len || name[i] != ':')
		return false;
	*expiry = v;
	return true;
}

/* One key per secret for a REST username (already checked for its form). */
static int rest_keys(const struct auth *a, const char *name, size_t len,
		     uint8_t keys[][AUTH_KEY_LEN], int max_keys)
{
	char pw[REST_PW_LEN + 1];
	int n = 0, err = 0;

	for (size_t i = 0; i < a->nsecrets && n < max_keys; i++) {
		err = rest_password(a->secrets[i], name, len, pw, sizeof(pw));
		if (!err)
			err = derive_key(name, len, a->realm, pw, keys[n]);
		if (err)
			break;
		n++;
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	return err ? AUTH_UNKNOWN_USER : n;
}

int auth_get_keys(const struct auth *a, const char *name, size_t name_len, uint64_t now_s,
		  uint8_t keys[][AUTH_KEY_LEN], int max_keys)
{
	const struct user *u;
	uint64_t expiry;

	if (!name || !name_len || name_len > AUTH_MAX_NAME || max_keys < 1)
		return AUTH_UNKNOWN_USER;
	if (a->nsecrets && parse_rest_name(name, name_len, &expiry)) {
		if (expiry < now_s)
			return AUTH_EXPIRED;
		return rest_keys(a, name, name_len, keys, max_keys);
	}
	u = user_find(a, name, name_len);
	if (!u)
		return AUTH_UNKNOWN_USER;
	memcpy(keys[0], u->key, AUTH_KEY_LEN);
	return 1;
}

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

/* The nonce's MAC part: hex of HMAC-SHA256(nonce_key, time hex || binding), truncated. */
static void nonce_mac(const struct auth *a, const char time_hex[NONCE_TIME_HEX],
		      const void *bind, size_t bind_len, char out[NONCE_MAC_HEX])
{
	uint8_t msg[NONCE_TIME_HEX + AUTH_NONCE_BIND_MAX], mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (bind_len > AUTH_NONCE_BIND_MAX)
		bind_len = AUTH_NONCE_BIND_MAX;
	memcpy(msg, time_hex, NONCE_TIME_HEX);
	if (bind_len)
		memcpy(msg + NONCE_TIME_HEX, bind, bind_len);
	if (!HMAC(EVP_sha256(), a->nonce_key, sizeof(a->nonce_key), msg,
		  NONCE_TIME_HEX + bind_len, mac, &n) || n < NONCE_MAC_HEX / 2) {
		/* Never happens with a working libcrypto; an all-'x' MAC matches no hex nonce. */
		pr_err("auth: HMAC-SHA256 failed for a nonce");
		memset(out, 'x', NONCE_MAC_HEX);
		return;
	}
	hex_encode(mac, NONCE_MAC_HEX / 2, out);
	OPENSSL_cleanse(mac, sizeof(mac));
}

void auth_make_nonce_bound(const struct auth *a, uint64_t now_s, const void *bind,
			   size_t bind_len, char out[AUTH_NONCE_LEN + 1])
{
	uint8_t t[8];

	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(now_s >> (56 - 8 * i));
	hex_encode(t, sizeof(t), out);
	nonce_mac(a, out, bind, bind_len, out + NONCE_TIME_HEX);
	out[AUTH_NONCE_LEN] = 0;
}

void auth_make_nonce(const struct auth *a, uint64_t now_s, char out[AUTH_NONCE_LEN + 1])
{
	auth_make_nonce_bound(a, now_s, NULL, 0, out);
}

/* Lower-case hex only, so that each nonce has exactly one spelling. */
static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int auth_check_nonce_bound(const struct auth *a, const uint8_t *nonce, size_t len,
			   uint64_t now_s, const void *bind, size_t bind_len)
{
	char mac[NONCE_MAC_HEX];
	uint64_t issued = 0;

	if (!nonce || len != AUTH_NONCE_LEN || bind_len > AUTH_NONCE_BIND_MAX)
		return -EINVAL;
	for (size_t i = 0; i < AUTH_NONCE_LEN; i++) {
		int v = hex_value(nonce[i]);

		if (v < 0)
			return -EINVAL;
		if (i < NONCE_TIME_HEX)
			issued = issued << 4 | (uint64_t)v;
	}
	nonce_mac(a, (const char *)nonce, bind, bind_len, mac);
	if (CRYPTO_memcmp(mac, nonce + NONCE_TIME_HEX, NONCE_MAC_HEX))
		return -EINVAL;
	if (issued > now_s && issued - now_s > NONCE_SKEW_S)
		return -EINVAL;
	if (issued < now_s && now_s - issued > a->nonce_lifetime_s)
		return -ESTALE;
	return 0;
}

int auth_check_nonce(const struct auth *a, const uint8_t *nonce, size_t len, uint64_t now_s)
{
	return auth_check_nonce_bound(a, nonce, len, now_s, NULL, 0);
}

/* A user parsed from the users file, kept until the whole file is known to be good. */
struct staged_user {
	char *name;
	uint8_t key[AUTH_KEY_LEN];
};

struct staging {
	struct staged_user *v;
	size_t n, cap;
};

static void staging_free(struct staging *s)
{
	for (size_t i = 0; i < s->n; i++) {
		OPENSSL_cleanse(s->v[i].key, AUTH_KEY_LEN);
		free(s->v[i].name);
	}
	free(s->v);
}

/* "0x" and exactly 32 hex digits (either case) -> key. 0 or -EINVAL. */
static int parse_hex_key(const char *s, uint8_t key[AUTH_KEY_LEN])
{
	if (strlen(s) != 2 + 2 * AUTH_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < AUTH_KEY_LEN; i++) {
		int hi = hex_value((uint8_t)(s[2 + 2 * i] | 0x20));
		int lo = hex_value((uint8_t)(s[3 + 2 * i] | 0x20));

		if (hi < 0 || lo < 0)
			return -EINVAL;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/*
 * One line of a users file, NUL-terminated, len bytes. Returns 1 to skip it (blank or
 * comment), 0 with *u filled, or -EINVAL with *why saying what is wrong (never the line:
 * it holds a password).
 */
static int parse_user_line(const struct auth *a, char *line, size_t len, struct staged_user *u,
			   const char **why)
{
	char *name, *pw, *colon;
	long name_len;
	int err;

	if (strlen(line) != len) {
		*why = "NUL byte in line";
		return -EINVAL;
	}
	while (len && is_blank(line[len - 1]))
		line[--len] = 0;
	for (name = line; is_blank(*name); name++)
		;
	if (!*name || *name == '#')
		return 1;
	*why = "line too long";
	if (len > AUTH_LINE_MAX)
		return -EINVAL;
	*why = "no ':' between name and password";
	colon = strchr(name, ':');
	if (!colon)
		return -EINVAL;
	*colon = 0;
	pw = colon + 1;
	*why = "empty or too long user name";
	name_len = check_name(name);
	if (name_len < 0)
		return -EINVAL;
	*why = "empty password";
	if (!*pw)
		return -EINVAL;
	if (pw[0] == '0' && pw[1] == 'x') {
		*why = "key is not 0x and 32 hex digits";
		err = parse_hex_key(pw, u->key);
	} else {
		*why = "key derivation failed";
		err = derive_key(name, (size_t)name_len, a->realm, pw, u->key);
	}
	if (err)
		return err;
	*why = "out of memory";
	u->name = strdup(name);
	return u->name ? 0 : -ENOMEM;
}

static int staging_push(struct staging *s, const struct staged_user *u)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct staged_user *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *u;
	return 0;
}

/* Read every line of f into s; on a bad line return -EINVAL with *bad_line set. */
static int read_users(const struct auth *a, FILE *f, const char *path, struct staging *s,
		      int *bad_line)
{
	struct staged_user u = { 0 };
	const char *why = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, err = 0;

	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		err = parse_user_line(a, line, (size_t)n, &u, &why);
		if (err == 1) {
			err = 0;
			continue;
		}
		if (!err && (err = staging_push(s, &u)))
			free(u.name);
		if (err) {
			pr_err("auth: bad users file=%s line=%d: %s", path, lineno, why);
			*bad_line = lineno;
			break;
		}
	}
	if (!err && ferror(f)) {
		err = errno ? -errno : -EIO;
		pr_err("auth: cannot read users file=%s: %s", path, strerror(-err));
	}
	if (line) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	OPENSSL_cleanse(&u, sizeof(u));
	return err;
}

/*
 * Each line is trimmed of blanks at both ends (so CRLF files work and a password cannot end
 * in a blank); empty lines and lines whose first non-blank is '#' are skipped. The rest is
 * split at the first ':' (a name cannot hold one, a password can). "0x" and 32 hex digits
 * is a ready key; anything else starting "0x" is a bad line, as are an empty password, a
 * NUL byte and a line over AUTH_LINE_MAX bytes. All or nothing as far as the file goes: no
 * user is added unless every line is good. A name given twice (in the file or already in
 * the store) takes the later key.
 */
int auth_load_users_file(struct auth *a, const char *path, int *bad_line)
{
	struct staging s = { 0 };
	int dummy, err;
	size_t count;
	FILE *f;

	if (!bad_line)
		bad_line = &dummy;
	*bad_line = 0;
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		pr_err("auth: cannot open users file=%s: %s", path, strerror(-err));
		return err;
	}
	errno = 0;
	err = read_users(a, f, path, &s, bad_line);
	fclose(f);
	for (size_t i = 0; !err && i < s.n; i++)
		err = table_put(a, s.v[i].name, strlen(s.v[i].name), s.v[i].key);
	if (err == -ENOMEM)
		pr_err("auth: users file=%s: out of memory", path);
	if (!err)
		pr_info("auth: loaded users file=%s users=%zu", path, s.n);
	count = s.n;
	staging_free(&s);
	return err ? err : (int)count;
}
