/* auth.h - long-term credentials: users, TURN REST secrets, keys and nonces. No I/O but the users file. */
#ifndef TURND_AUTH_H
#define TURND_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_KEY_LEN 16		/* MD5(username ":" realm ":" password) */
#define AUTH_NONCE_LEN 32	/* printable, fixed length */
#define AUTH_MAX_NAME 512	/* longest username accepted (RFC 8489: < 509 bytes) */

struct auth;

/*
 * A credential store for one realm. nonce_lifetime_s: how long a nonce stays fresh.
 * Returns NULL on allocation failure (errno set).
 */
struct auth *auth_new(const char *realm, uint32_t nonce_lifetime_s);
void auth_free(struct auth *a);
const char *auth_realm(const struct auth *a);

/* Add a user with a plain password (the key is derived, the password not kept). 0 or -errno. */
int auth_add_user(struct auth *a, const char *name, const char *password);
/* Add a user with a ready key (as turnadmin prints: 16 bytes). */
int auth_add_user_key(struct auth *a, const char *name, const uint8_t key[AUTH_KEY_LEN]);
/*
 * Load a users file: one user per line, "name:password" or "name:0x<32 hex digits>" (the
 * key, as coturn's turnadmin -k prints); blank lines and lines starting with '#' ignored.
 * Returns the number of users added, or -errno; on a bad line -EINVAL and *bad_line is set.
 */
int auth_load_users_file(struct auth *a, const char *path, int *bad_line);
/* Add a TURN REST API shared secret (coturn use-auth-secret); several may be active. */
int auth_add_secret(struct auth *a, const char *secret);
size_t auth_user_count(const struct auth *a);

enum auth_result {
	AUTH_OK = 0,
	AUTH_UNKNOWN_USER = -1,	/* no such user (and not a valid REST username) */
	AUTH_EXPIRED = -2,	/* REST username whose timestamp has passed */
};

/*
 * Find the long-term key for a username. A name of the form "<expiry>:<name>" (digits
 * then ':') is checked against the REST secrets when any is set; every other name against
 * the users. With several secrets, keys[] gets one key per secret (up to max_keys) and the
 * caller tries each. Returns the number of keys (>= 1) or an enum auth_result (< 0).
 */
int auth_get_keys(const struct auth *a, const char *name, size_t name_len, uint64_t now_s,
		  uint8_t keys[][AUTH_KEY_LEN], int max_keys);

/* The REST password coturn would derive: base64(HMAC-SHA1(secret, username)). */
int auth_rest_password(const char *secret, const char *username, char *out, size_t outlen);

/* Derive MD5(name:realm:password). */
void auth_derive_key(const char *name, const char *realm, const char *password,
		     uint8_t key[AUTH_KEY_LEN]);

/* A fresh nonce for time now_s: AUTH_NONCE_LEN chars + NUL, bound to this store's secret. */
void auth_make_nonce(const struct auth *a, uint64_t now_s, char out[AUTH_NONCE_LEN + 1]);
/* 0 fresh, -ESTALE expired (answer 438), -EINVAL not one of ours (answer 438 too). */
int auth_check_nonce(const struct auth *a, const uint8_t *nonce, size_t len, uint64_t now_s);
/*
 * The same, bound to `bind` (bind_len bytes, at most AUTH_NONCE_BIND_MAX; the core binds
 * to the client's IP address): a nonce made for one binding is -EINVAL under any other.
 * The unbound functions above are these with an empty binding.
 */
#define AUTH_NONCE_BIND_MAX 64
void auth_make_nonce_bound(const struct auth *a, uint64_t now_s, const void *bind,
			   size_t bind_len, char out[AUTH_NONCE_LEN + 1]);
int auth_check_nonce_bound(const struct auth *a, const uint8_t *nonce, size_t len,
			   uint64_t now_s, const void *bind, size_t bind_len);

#endif
