/* stun.c - STUN/TURN message decoder, attribute value readers and integrity check (no I/O). */
#include "stun.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "stun_priv.h"

/*
 * Length limits on text attributes (USERNAME < 513 bytes, REALM, NONCE and SOFTWARE < 763)
 * are NOT checked here: the decoder only frames attributes, and the code that reads a text
 * value (auth, the TURN state machine) checks its limit and answers 400 itself.
 */

bool stun_is_message(const uint8_t *buf, size_t len)
{
	uint16_t blen;

	if (len < STUN_HDR_LEN || (buf[0] & 0xc0) || stun_rd32(buf + 4) != STUN_MAGIC)
		return false;
	blen = stun_rd16(buf + 2);
	return !(blen & 3) && (size_t)blen == len - STUN_HDR_LEN;
}

/* Method bits M0-M11 sit around the class bits C0 (bit 4) and C1 (bit 8). */
static void split_type(uint16_t t, struct stun_msg *m)
{
	m->cls = t & 0x0110;
	m->method = (uint16_t)((t & 0x000f) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0f80));
}

static void note_unknown(struct stun_msg *m, uint16_t type)
{
	if (type >= 0x8000 || stun_attr_known(type) || m->nunknown >= STUN_MAX_UNKNOWN)
		return;
	for (size_t i = 0; i < m->nunknown; i++)
		if (m->unknown[i] == type)
			return;
	m->unknown[m->nunknown++] = type;
}

/* FINGERPRINT at off: 4 bytes, the last attribute, CRC of everything before it. */
static int check_fingerprint(const struct stun_msg *m, size_t off, uint16_t alen)
{
	const uint8_t *p = m->buf + off + 4;

	if (alen != 4 || off + 8 != m->len)
		return -EBADMSG;
	if ((stun_crc32(m->buf, off) ^ STUN_FINGERPRINT_XOR) != stun_rd32(p))
		return -EBADMSG;
	return 0;
}

static bool mi256_len_ok(uint16_t alen)
{
	return alen >= 16 && alen <= 32 && !(alen & 3);
}

/*
 * Decide what to do with the attribute at off: 1 keep it, 0 ignore it (it follows an
 * integrity attribute), -EBADMSG reject the message. Updates the mi/mi256/fp indexes.
 */
static int classify(struct stun_msg *m, size_t off, uint16_t type, uint16_t alen)
{
	int idx = (int)m->nattrs;

	if (type == STUN_A_FINGERPRINT) {
		if (check_fingerprint(m, off, alen))
			return -EBADMSG;
		m->fp = idx;
		return 1;
	}
	if (m->mi256 >= 0)
		return 0;
	if (type == STUN_A_MESSAGE_INTEGRITY_SHA256) {
		if (!mi256_len_ok(alen))
			return -EBADMSG;
		m->mi256 = idx;
		return 1;
	}
	if (m->mi >= 0)
		return 0;
	if (type == STUN_A_MESSAGE_INTEGRITY) {
		if (alen != 20)
			return -EBADMSG;
		m->mi = idx;
	}
	return 1;
}

static int check_header(const uint8_t *buf, size_t len, size_t *blen)
{
	if (len < STUN_HDR_LEN || (buf[0] & 0xc0) || stun_rd32(buf + 4) != STUN_MAGIC)
		return -EBADMSG;
	*blen = stun_rd16(buf + 2);
	if ((*blen & 3) || *blen > len - STUN_HDR_LEN)
		return -EBADMSG;
	return 0;
}

/*
 * Bytes past the header's length (a stream reader handing over its whole buffer) are
 * ignored; m->len says where the message ends. An attribute whose header would start past
 * offset 65535 (only possible over a stream, with a huge DATA) is rejected: attr.off is 16
 * bits.
 */
int stun_decode(const uint8_t *buf, size_t len, struct stun_msg *m)
{
	size_t blen, off, seen = 0;
	int r;

	m->buf = buf;
	m->nattrs = 0;
	m->nunknown = 0;
	m->mi = m->mi256 = m->fp = -1;
	if (check_header(buf, len, &blen))
		return -EBADMSG;
	m->len = STUN_HDR_LEN + blen;
	split_type(stun_rd16(buf), m);
	memcpy(m->tid, buf + 8, STUN_TID_LEN);

	for (off = STUN_HDR_LEN; off < m->len;) {
		uint16_t type, alen;

		if (m->len - off < 4 || off > UINT16_MAX || m->fp >= 0 || ++seen > STUN_MAX_ATTRS)
			return -EBADMSG;
		type = stun_rd16(buf + off);
		alen = stun_rd16(buf + off + 2);
		if (alen > m->len - off - 4)
			return -EBADMSG;
		r = classify(m, off, type, alen);
		if (r < 0)
			return r;
		if (r) {
			struct stun_attr *a = &m->attrs[m->nattrs++];

			a->type = type;
			a->len = alen;
			a->off = (uint16_t)off;
			a->val = buf + off + 4;
			note_unknown(m, type);
		}
		off += 4 + ((alen + 3u) & ~3u);
	}
	return 0;
}

const struct stun_attr *stun_find(const struct stun_msg *m, uint16_t type)
{
	for (size_t i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}

int stun_get_str(const struct stun_msg *m, uint16_t type, char *out, size_t cap)
{
	const struct stun_attr *a = stun_find(m, type);

	if (!a || a->len >= cap || memchr(a->val, 0, a->len))
		return -EBADMSG;
	memcpy(out, a->val, a->len);
	out[a->len] = '\0';
	return 0;
}

bool stun_attr_known(uint16_t type)
{
	switch (type) {
	case STUN_A_MAPPED_ADDRESS: case STUN_A_USERNAME: case STUN_A_MESSAGE_INTEGRITY:
	case STUN_A_ERROR_CODE: case STUN_A_UNKNOWN_ATTRIBUTES: case STUN_A_CHANNEL_NUMBER:
	case STUN_A_LIFETIME: case STUN_A_XOR_PEER_ADDRESS: case STUN_A_DATA: case STUN_A_REALM:
	case STUN_A_NONCE: case STUN_A_XOR_RELAYED_ADDRESS: case STUN_A_REQUESTED_ADDRESS_FAMILY:
	case STUN_A_EVEN_PORT: case STUN_A_REQUESTED_TRANSPORT: case STUN_A_DONT_FRAGMENT:
	case STUN_A_MESSAGE_INTEGRITY_SHA256: case STUN_A_PASSWORD_ALGORITHM: case STUN_A_USERHASH:
	case STUN_A_XOR_MAPPED_ADDRESS: case STUN_A_RESERVATION_TOKEN: case STUN_A_PRIORITY:
	case STUN_A_USE_CANDIDATE: case STUN_A_PADDING: case STUN_A_RESPONSE_PORT:
	case STUN_A_ADDITIONAL_ADDRESS_FAMILY: case STUN_A_ADDITIONAL_ADDRESS_FAMILY_DRAFT:
	case STUN_A_ADDRESS_ERROR_CODE:
	case STUN_A_PASSWORD_ALGORITHMS: case STUN_A_ALTERNATE_DOMAIN: case STUN_A_ICMP:
	case STUN_A_SOFTWARE: case STUN_A_ALTERNATE_SERVER: case STUN_A_FINGERPRINT:
	case STUN_A_ICE_CONTROLLED: case STUN_A_ICE_CONTROLLING: case STUN_A_RESPONSE_ORIGIN:
	case STUN_A_OTHER_ADDRESS:
		return true;
	default:
		return false;
	}
}

int stun_get_u32(const struct stun_attr *a, uint32_t *out)
{
	if (a->len != 4)
		return -EBADMSG;
	*out = stun_rd32(a->val);
	return 0;
}

/* Family byte and port at val; address bytes copied (not yet unmasked) into out. */
static int read_addr(const struct stun_attr *a, sockaddr_u *out)
{
	const uint8_t *v = a->val;

	memset(out, 0, sizeof(*out));
	if (a->len == 8 && v[1] == STUN_FAMILY_IPV4) {
		out->v4.sin_family = AF_INET;
		memcpy(&out->v4.sin_addr, v + 4, 4);
	} else if (a->len == 20 && v[1] == STUN_FAMILY_IPV6) {
		out->v6.sin6_family = AF_INET6;
		memcpy(&out->v6.sin6_addr, v + 4, 16);
	} else {
		return -EBADMSG;
	}
	addr_set_port(out, stun_rd16(v + 2));
	return 0;
}

int stun_get_addr(const struct stun_attr *a, sockaddr_u *out)
{
	return read_addr(a, out);
}

/* X-Port is xored with the cookie's top 16 bits, X-Address with cookie || transaction ID. */
int stun_get_xaddr(const struct stun_msg *m, const struct stun_attr *a, sockaddr_u *out)
{
	uint8_t mask[16];
	uint8_t *ip;
	size_t n;

	if (read_addr(a, out))
		return -EBADMSG;
	stun_wr32(mask, STUN_MAGIC);
	memcpy(mask + 4, m->tid, STUN_TID_LEN);
	addr_set_port(out, addr_port(out) ^ (uint16_t)(STUN_MAGIC >> 16));
	if (out->sa.sa_family == AF_INET6) {
		ip = out->v6.sin6_addr.s6_addr;
		n = 16;
	} else {
		ip = (uint8_t *)&out->v4.sin_addr;
		n = 4;
	}
	for (size_t i = 0; i < n; i++)
		ip[i] ^= mask[i];
	return 0;
}

/*
 * ERROR-CODE: 21 reserved bits, class (3-6) in 3 bits, number (0-99) in 8, then the reason
 * phrase (not NUL-terminated: use *rlen; its 763-byte limit is left to the caller).
 */
int stun_get_error(const struct stun_attr *a, int *code, const char **reason, size_t *rlen)
{
	int cls, num;

	if (a->len < 4)
		return -EBADMSG;
	cls = a->val[2] & 7;
	num = a->val[3];
	if (cls < 3 || cls > 6 || num > 99)
		return -EBADMSG;
	*code = cls * 100 + num;
	*reason = (const char *)a->val + 4;
	*rlen = a->len - 4u;
	return 0;
}

/* The channel number is returned as sent: range checks (chan_valid) are the caller's. */
int stun_get_channel(const struct stun_attr *a, uint16_t *chan)
{
	if (a->len != 4)
		return -EBADMSG;
	*chan = stun_rd16(a->val);
	return 0;
}

int stun_get_transport(const struct stun_attr *a, uint8_t *proto)
{
	if (a->len != 4)
		return -EBADMSG;
	*proto = a->val[0];
	return 0;
}

/* A well-formed value with a family other than 1 or 2 is -EAFNOSUPPORT (answer 440). */
int stun_get_family(const struct stun_attr *a, int *af)
{
	if (a->len != 4)
		return -EBADMSG;
	switch (a->val[0]) {
	case STUN_FAMILY_IPV4:
		*af = AF_INET;
		return 0;
	case STUN_FAMILY_IPV6:
		*af = AF_INET6;
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

int stun_get_even_port(const struct stun_attr *a, bool *reserve)
{
	if (a->len != 1)
		return -EBADMSG;
	*reserve = a->val[0] & 0x80;
	return 0;
}

int stun_hmac(const char *digest, const uint8_t *key, size_t keylen, const uint8_t *msg,
	      size_t upto, uint16_t body_len, uint8_t out[32])
{
	static const uint8_t empty_key;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	uint8_t hdr[STUN_HDR_LEN];
	size_t outl;
	int err = -EIO;

	memcpy(hdr, msg, STUN_HDR_LEN);
	stun_wr16(hdr + 2, body_len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out_mac;
	/* A NULL key would mean "keep the previous one": pass a real pointer for "". */
	if (!EVP_MAC_init(ctx, keylen ? key : &empty_key, keylen, params) ||
	    !EVP_MAC_update(ctx, hdr, STUN_HDR_LEN) ||
	    !EVP_MAC_update(ctx, msg + STUN_HDR_LEN, upto - STUN_HDR_LEN) ||
	    !EVP_MAC_final(ctx, out, &outl, 32))
		goto out_ctx;
	err = 0;
out_ctx:
	EVP_MAC_CTX_free(ctx);
out_mac:
	EVP_MAC_free(mac);
out:
	if (err)
		pr_err("stun: hmac failed digest=%s err=%s", digest,
		       ERR_reason_error_string(ERR_get_error()) ?: "unknown");
	return err;
}

int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t keylen)
{
	const struct stun_attr *a;
	const char *digest;
	uint8_t mac[32];

	if (m->mi256 >= 0) {
		a = &m->attrs[m->mi256];
		digest = "SHA256";
	} else if (m->mi >= 0) {
		a = &m->attrs[m->mi];
		digest = "SHA1";
	} else {
		return -ENOENT;
	}
	/* The length field is made to end just after this attribute (a->len is a multiple of 4). */
	if (stun_hmac(digest, key, keylen, m->buf, a->off,
		      (uint16_t)(a->off + 4 + a->len - STUN_HDR_LEN), mac))
		return -EACCES;
	if (CRYPTO_memcmp(mac, a->val, a->len))
		return -EACCES;
	return 0;
}

static const struct {
	int code;
	const char *text;
} reasons[] = {
	{ 300, "Try Alternate" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 420, "Unknown Attribute" },
	{ 437, "Allocation Mismatch" },
	{ 438, "Stale Nonce" },
	{ 440, "Address Family not Supported" },
	{ 441, "Wrong Credentials" },
	{ 442, "Unsupported Transport Protocol" },
	{ 443, "Peer Address Family Mismatch" },
	{ 486, "Allocation Quota Reached" },
	{ 500, "Server Error" },
	{ 508, "Insufficient Capacity" },
};

/* Codes not in the table get a generic "Error". */
const char *stun_reason(int code)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].text;
	return "Error";
}
