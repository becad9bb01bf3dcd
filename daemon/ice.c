/* ice.c - the iceServers JSON for signaling clients: STUN/TURN URLs, TURN REST credentials. */
#include "ice.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "sig_json.h"

#define CRED_MAX 64		/* base64 of HMAC-SHA1 is 28 characters */

/* Output that keeps counting once it no longer fits in out[0..cap) (one byte kept for NUL). */
struct wr {
	char *out;
	size_t cap, len;
};

static bool fits(const struct wr *w, size_t n)
{
	return w->len < w->cap && w->cap - w->len > n;
}

static void put(struct wr *w, const char *s, size_t n)
{
	if (fits(w, n))
		memcpy(w->out + w->len, s, n);
	w->len += n;
}

static void puts_raw(struct wr *w, const char *s)
{
	put(w, s, strlen(s));
}

/* s as a JSON string. */
static void put_str(struct wr *w, const char *s)
{
	size_t n = strlen(s), k = sj_escaped_len(s, n);

	if (fits(w, k))
		sj_escape(w->out + w->len, s, n);
	w->len += k;
}

/* "urls":["U",...] */
static void put_urls(struct wr *w, const char *const *urls, size_t n)
{
	puts_raw(w, "\"urls\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			puts_raw(w, ",");
		put_str(w, urls[i]);
	}
	puts_raw(w, "]");
}

static bool urls_ok(const char *const *urls, size_t n)
{
	if (n && !urls)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!urls[i])
			return false;
	return true;
}

/* ,"username":"EXPIRY[:TAG]","credential":"BASE64" */
static int put_credentials(struct wr *w, const struct ice_params *p)
{
	uint64_t expiry = p->now_s + p->lifetime_s;
	char cred[CRED_MAX], *user;
	int err;

	if (p->user_tag && *p->user_tag)
		err = asprintf(&user, "%" PRIu64 ":%s", expiry, p->user_tag);
	else
		err = asprintf(&user, "%" PRIu64, expiry);
	if (err < 0)
		return -ENOMEM;
	err = auth_rest_password(p->secret, user, cred, sizeof(cred));
	if (!err) {
		puts_raw(w, ",\"username\":");
		put_str(w, user);
		puts_raw(w, ",\"credential\":");
		put_str(w, cred);
	}
	free(user);
	return err;
}

int ice_servers_json(char *out, size_t cap, const struct ice_params *p)
{
	struct wr w = { .out = out, .cap = out ? cap : 0 };
	bool stun = p && p->n_stun, turn = p && p->n_turn && p->secret;
	int err;

	if (!p || !urls_ok(p->stun_urls, p->n_stun) || !urls_ok(p->turn_urls, p->n_turn))
		return -EINVAL;
	puts_raw(&w, "[");
	if (stun) {
		puts_raw(&w, "{");
		put_urls(&w, p->stun_urls, p->n_stun);
		puts_raw(&w, "}");
	}
	if (turn) {
		puts_raw(&w, stun ? ",{" : "{");
		put_urls(&w, p->turn_urls, p->n_turn);
		err = put_credentials(&w, p);
		if (err)
			return err;
		puts_raw(&w, "}");
	}
	puts_raw(&w, "]");
	if (w.len >= w.cap || w.len > INT32_MAX) {
		if (w.cap)
			out[0] = 0;
		return -ENOSPC;
	}
	out[w.len] = 0;
	return (int)w.len;
}
