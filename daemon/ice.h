/* ice.h - the iceServers JSON a signaling client gets: STUN and TURN URLs, ephemeral TURN REST credentials. */
#ifndef TURND_ICE_H
#define TURND_ICE_H

#include <stddef.h>
#include <stdint.h>

struct ice_params {
	const char *const *stun_urls;	/* e.g. "stun:relay.example.org:3478" */
	size_t n_stun;
	const char *const *turn_urls;	/* e.g. "turn:relay.example.org:3478?transport=udp" */
	size_t n_turn;
	const char *secret;		/* auth.secret; NULL: the TURN entry is left out */
	uint32_t lifetime_s;		/* credential lifetime */
	uint64_t now_s;			/* wall-clock seconds (the REST username's expiry is now + lifetime) */
	const char *user_tag;		/* appended as "EXPIRY:TAG" (coturn's format); NULL or "": "EXPIRY" */
};

/*
 * Write the array, e.g.
 *   [{"urls":["stun:h:3478"]},
 *    {"urls":["turn:h:3478?transport=udp"],"username":"1764000000:id","credential":"BASE64"}]
 * (no line breaks), into out[0..cap) NUL-terminated. credential = base64(HMAC-SHA1(secret,
 * username)), the same as auth_rest_password(). Strings are JSON-escaped. An empty list of
 * either kind leaves that entry out; both empty gives "[]".
 * Returns the length (excluding the NUL), -ENOSPC if cap is short, -EINVAL on a NULL url.
 */
int ice_servers_json(char *out, size_t cap, const struct ice_params *p);

#endif
