/* stun.h - STUN (RFC 8489) and TURN (RFC 8656) message codec: constants, decode, encode. No I/O. */
#ifndef TURND_STUN_H
#define TURND_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define STUN_MAGIC 0x2112A442u
#define STUN_HDR_LEN 20
#define STUN_TID_LEN 12
#define STUN_MAX_ATTRS 64
#define STUN_MAX_UNKNOWN 16
#define STUN_FINGERPRINT_XOR 0x5354554eu

/* Methods (12 bits). */
enum stun_method {
	STUN_BINDING = 0x001,
	TURN_ALLOCATE = 0x003,
	TURN_REFRESH = 0x004,
	TURN_SEND = 0x006,
	TURN_DATA = 0x007,
	TURN_CREATE_PERMISSION = 0x008,
	TURN_CHANNEL_BIND = 0x009,
};

/* Classes, as the C1/C0 bits sit in the message type. */
enum stun_class {
	STUN_REQUEST = 0x000,
	STUN_INDICATION = 0x010,
	STUN_SUCCESS = 0x100,
	STUN_ERROR = 0x110,
};

/* Attribute types (RFC 8489, RFC 8656, RFC 8445, RFC 5780). */
enum stun_attr_type {
	STUN_A_MAPPED_ADDRESS = 0x0001,
	STUN_A_USERNAME = 0x0006,
	STUN_A_MESSAGE_INTEGRITY = 0x0008,
	STUN_A_ERROR_CODE = 0x0009,
	STUN_A_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_A_CHANNEL_NUMBER = 0x000C,
	STUN_A_LIFETIME = 0x000D,
	STUN_A_XOR_PEER_ADDRESS = 0x0012,
	STUN_A_DATA = 0x0013,
	STUN_A_REALM = 0x0014,
	STUN_A_NONCE = 0x0015,
	STUN_A_XOR_RELAYED_ADDRESS = 0x0016,
	STUN_A_REQUESTED_ADDRESS_FAMILY = 0x0017,
	STUN_A_EVEN_PORT = 0x0018,
	STUN_A_REQUESTED_TRANSPORT = 0x0019,
	STUN_A_DONT_FRAGMENT = 0x001A,
	STUN_A_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_A_PASSWORD_ALGORITHM = 0x001D,
	STUN_A_USERHASH = 0x001E,
	STUN_A_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_A_RESERVATION_TOKEN = 0x0022,
	STUN_A_PRIORITY = 0x0024,
	STUN_A_USE_CANDIDATE = 0x0025,
	STUN_A_PADDING = 0x0026,
	STUN_A_RESPONSE_PORT = 0x0027,
	STUN_A_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
	STUN_A_ADDITIONAL_ADDRESS_FAMILY_DRAFT = 0x8032,	/* pre-RFC code, sent by coturn's uclient */
	STUN_A_ADDRESS_ERROR_CODE = 0x8001,
	STUN_A_PASSWORD_ALGORITHMS = 0x8002,
	STUN_A_ALTERNATE_DOMAIN = 0x8003,
	STUN_A_ICMP = 0x8004,
	STUN_A_SOFTWARE = 0x8022,
	STUN_A_ALTERNATE_SERVER = 0x8023,
	STUN_A_FINGERPRINT = 0x8028,
	STUN_A_ICE_CONTROLLED = 0x8029,
	STUN_A_ICE_CONTROLLING = 0x802A,
	STUN_A_RESPONSE_ORIGIN = 0x802B,
	STUN_A_OTHER_ADDRESS = 0x802C,
};

/* Password algorithms (RFC 8489 18.5). */
enum { STUN_PWALG_MD5 = 0x0001, STUN_PWALG_SHA256 = 0x0002 };

/* Address families inside address attributes and REQUESTED-ADDRESS-FAMILY. */
enum { STUN_FAMILY_IPV4 = 0x01, STUN_FAMILY_IPV6 = 0x02 };

struct stun_attr {
	uint16_t type;
	uint16_t len;		/* value length, without padding */
	uint16_t off;		/* offset of the attribute header from the message start */
	const uint8_t *val;	/* points into the message buffer */
};

/*
 * A decoded message. It points into the caller's buffer, which must outlive it.
 * Attribute rules (RFC 8489 14): after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256
 * and FINGERPRINT are kept (others ignored); after MESSAGE-INTEGRITY-SHA256 only
 * FINGERPRINT; FINGERPRINT must be last. A duplicated attribute: the first one counts
 * (stun_find returns it). Unknown comprehension-required types (< 0x8000) are listed in
 * unknown[] so that the server can answer 420.
 */
struct stun_msg {
	const uint8_t *buf;
	size_t len;		/* STUN_HDR_LEN + body length */
	uint16_t method;	/* enum stun_method */
	uint16_t cls;		/* enum stun_class */
	uint8_t tid[STUN_TID_LEN];
	size_t nattrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];
	int mi;			/* index in attrs of MESSAGE-INTEGRITY, or -1 */
	int mi256;		/* index of MESSAGE-INTEGRITY-SHA256, or -1 */
	int fp;			/* index of FINGERPRINT, or -1 */
	size_t nunknown;
	uint16_t unknown[STUN_MAX_UNKNOWN];
};

/*
 * Does buf look like a STUN message (top two bits zero, magic cookie, length a multiple
 * of 4 and equal to len - 20)? Cheap; no attribute walk.
 */
bool stun_is_message(const uint8_t *buf, size_t len);

/*
 * Decode a whole message. Returns 0, or -EBADMSG when it is malformed: short header,
 * bad cookie or length, an attribute running past the end, too many attributes,
 * MESSAGE-INTEGRITY of the wrong size, a FINGERPRINT that does not match or is not last.
 * Attribute values are not interpreted here.
 */
int stun_decode(const uint8_t *buf, size_t len, struct stun_msg *m);

/* The first attribute of this type, or NULL. */
const struct stun_attr *stun_find(const struct stun_msg *m, uint16_t type);

/*
 * The first attribute of this type copied into out as a C string (REALM, NONCE, USERNAME):
 * 0, or -EBADMSG when it is absent, does not fit cap - 1 bytes, or holds a NUL byte (out is
 * then left as it was).
 */
int stun_get_str(const struct stun_msg *m, uint16_t type, char *out, size_t cap);

/* Known to this codec (so not "unknown comprehension-required")? */
bool stun_attr_known(uint16_t type);

/*
 * Value readers: 0, or -EBADMSG when the value has the wrong shape (stun_get_family: also
 * -EAFNOSUPPORT for a well-formed value naming neither IPv4 nor IPv6, for a 440 answer).
 */
int stun_get_u32(const struct stun_attr *a, uint32_t *out);
int stun_get_addr(const struct stun_attr *a, sockaddr_u *out);				  /* MAPPED-ADDRESS style */
int stun_get_xaddr(const struct stun_msg *m, const struct stun_attr *a, sockaddr_u *out); /* XOR- style */
int stun_get_error(const struct stun_attr *a, int *code, const char **reason, size_t *rlen);
int stun_get_channel(const struct stun_attr *a, uint16_t *chan);	/* CHANNEL-NUMBER */
int stun_get_transport(const struct stun_attr *a, uint8_t *proto);	/* REQUESTED-TRANSPORT */
int stun_get_family(const struct stun_attr *a, int *af);		/* AF_INET or AF_INET6 */
int stun_get_even_port(const struct stun_attr *a, bool *reserve);	/* the R bit */

/*
 * Check the message's integrity with the long-term key (RFC 8489 9.2.2):
 * MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY (HMAC-SHA1). Constant-time
 * compare. Returns 0 ok, -ENOENT no integrity attribute, -EACCES mismatch.
 */
int stun_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t keylen);

/* CRC-32 (ISO 3309, as zlib's crc32) of buf. */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

/*
 * Encoder. Usage: stun_begin(); stun_put_*()...; stun_end(). Puts never overflow: an
 * attribute that does not fit sets w->err = -ENOSPC and stun_end() returns it.
 * MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT must come last, in that order; each updates
 * the header length as RFC 8489 requires before computing.
 */
struct stun_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
	uint8_t pad;		/* padding byte, 0 by default (RFC 5769 vectors use 0x20) */
};

void stun_begin(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t method, uint16_t cls,
		const uint8_t tid[STUN_TID_LEN]);
void stun_put(struct stun_writer *w, uint16_t type, const void *val, size_t len);
void stun_put_str(struct stun_writer *w, uint16_t type, const char *s);
void stun_put_u32(struct stun_writer *w, uint16_t type, uint32_t v);
void stun_put_u64(struct stun_writer *w, uint16_t type, uint64_t v);
void stun_put_addr(struct stun_writer *w, uint16_t type, const sockaddr_u *a);
void stun_put_xaddr(struct stun_writer *w, uint16_t type, const sockaddr_u *a);
void stun_put_error(struct stun_writer *w, int code, const char *reason);
/* ADDRESS-ERROR-CODE (RFC 8656 18.13): family byte then the ERROR-CODE layout. */
void stun_put_addr_error(struct stun_writer *w, int af, int code, const char *reason);
void stun_put_unknown(struct stun_writer *w, const uint16_t *types, size_t n);
void stun_put_integrity(struct stun_writer *w, const uint8_t *key, size_t keylen);
void stun_put_integrity_sha256(struct stun_writer *w, const uint8_t *key, size_t keylen);
void stun_put_fingerprint(struct stun_writer *w);
/* Returns the message length, or w->err. */
int stun_end(struct stun_writer *w);

/* Default reason phrase for an error code ("Unauthorized" for 401, ...). */
const char *stun_reason(int code);

#endif
