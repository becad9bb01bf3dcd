/* test_stun.c - STUN codec: RFC 5769 vectors both ways, put/get round trips, hostile input. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "stun.h"
#include "stun_priv.h"
#include "tap.h"

/* RFC 5769 test vectors, as printed in the RFC (2.1-2.3 pad with 0x20, 2.4 with 0x00). */
static const char *const rfc_request =
	"000100582112a442b7e7a701bc34d686fa87dfae"
	"802200105354554e207465737420636c69656e74"
	"002400046e0001ff"
	"80290008932ff9b151263b36"
	"000600096576746a3a68367659202020"
	"000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
	"80280004e57a3bcf";
static const char *const rfc_resp4 =
	"0101003c2112a442b7e7a701bc34d686fa87dfae"
	"8022000b7465737420766563746f7220"
	"002000080001a147e112a643"
	"000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
	"80280004c07d4c96";
static const char *const rfc_resp6 =
	"010100482112a442b7e7a701bc34d686fa87dfae"
	"8022000b7465737420766563746f7220"
	"002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
	"00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
	"80280004c8fb0b4c";
static const char *const rfc_longterm =
	"000100602112a44278ad3433c6ad72c029da412e"
	"00060012e3839ee38388e383aae38383e382afe382b90000"
	"0015001c662f2f3439396b3935346436"
	"4f4c33346f4c39465354767936347341"
	"0014000b6578616d706c652e6f726700"
	"00080014f67024656dd64a3e02b8e0712e85c9a28ca89666";

static const char short_pw[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc_tid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8. */
static const char lt_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
			      "\xe3\x82\xb9";
static const char lt_nonce[] = "f//499k954d6OL34oL9FSTvy64sA";
static const uint8_t key16[16] = "0123456789abcdef";

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2) {
		unsigned int b;

		sscanf(s, "%2x", &b);
		out[n++] = (uint8_t)b;
	}
	return n;
}

static const struct stun_attr *find_ok(const struct stun_msg *m, uint16_t type)
{
	const struct stun_attr *a = stun_find(m, type);

	ok(a != NULL, "attribute 0x%04x present", type);
	return a;
}

static int attr_is_str(const struct stun_attr *a, const char *s)
{
	return a && a->len == strlen(s) && !memcmp(a->val, s, a->len);
}

/* A fresh message of one method/class with the RFC transaction id. */
static void begin(struct stun_writer *w, uint8_t *buf, size_t cap)
{
	stun_begin(w, buf, cap, STUN_BINDING, STUN_REQUEST, rfc_tid);
}

static void test_crc(void)
{
	is_int(stun_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u, "crc32 check value");
	is_int(stun_crc32(NULL, 0), 0, "crc32 of nothing is 0");
}

static void test_rfc_request(void)
{
	uint8_t msg[256], out[256];
	size_t n = unhex(rfc_request, msg);
	struct stun_writer w;
	struct stun_msg m;
	const struct stun_attr *a;
	uint32_t u;

	is_int(stun_decode(msg, n, &m), 0, "2.1 request decodes");
	ok(stun_is_message(msg, n), "2.1 looks like STUN");
	is_int(m.method, STUN_BINDING, "2.1 method");
	is_int(m.cls, STUN_REQUEST, "2.1 class");
	is_mem(m.tid, rfc_tid, 12, "2.1 transaction id");
	is_int(m.nattrs, 6, "2.1 six attributes");
	ok(attr_is_str(find_ok(&m, STUN_A_SOFTWARE), "STUN test client"), "2.1 SOFTWARE");
	a = find_ok(&m, STUN_A_PRIORITY);
	ok(a && !stun_get_u32(a, &u) && u == 0x6e0001ff, "2.1 PRIORITY 0x6e0001ff");
	a = find_ok(&m, STUN_A_ICE_CONTROLLED);
	ok(a && a->len == 8 && !memcmp(a->val, "\x93\x2f\xf9\xb1\x51\x26\x3b\x36", 8),
	   "2.1 ICE-CONTROLLED tie-breaker");
	ok(attr_is_str(find_ok(&m, STUN_A_USERNAME), "evtj:h6vY"), "2.1 USERNAME, padding unread");
	is_int(m.mi, 4, "2.1 MESSAGE-INTEGRITY index");
	is_int(m.fp, 5, "2.1 FINGERPRINT index");
	is_int(m.mi256, -1, "2.1 no MESSAGE-INTEGRITY-SHA256");
	is_int(m.nunknown, 0, "2.1 nothing unknown");
	is_int(stun_check_integrity(&m, (const uint8_t *)short_pw, strlen(short_pw)), 0,
	       "2.1 integrity with the short-term password");
	is_int(stun_check_integrity(&m, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBu", 22), -EACCES,
	       "2.1 integrity with a wrong password");

	begin(&w, out, sizeof(out));
	w.pad = 0x20;
	stun_put_str(&w, STUN_A_SOFTWARE, "STUN test client");
	stun_put_u32(&w, STUN_A_PRIORITY, 0x6e0001ff);
	stun_put_u64(&w, STUN_A_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_put_str(&w, STUN_A_USERNAME, "evtj:h6vY");
	stun_put_integrity(&w, (const uint8_t *)short_pw, strlen(short_pw));
	stun_put_fingerprint(&w);
	is_int(stun_end(&w), (int)n, "2.1 rebuilt length");
	is_mem(out, msg, n, "2.1 rebuilt byte-exact");
}

static void test_rfc_response(const char *hex, const char *ip, int af, const char *what)
{
	uint8_t msg[256], out[256];
	size_t n = unhex(hex, msg);
	struct stun_writer w;
	struct stun_msg m;
	const struct stun_attr *a;
	sockaddr_u want, got = { 0 };

	addr_parse_ip(ip, &want);
	addr_set_port(&want, 32853);
	is_int(stun_decode(msg, n, &m), 0, "%s decodes", what);
	is_int(m.cls, STUN_SUCCESS, "%s is a success response", what);
	is_int(m.method, STUN_BINDING, "%s is Binding", what);
	is_int(m.nattrs, 4, "%s four attributes", what);
	ok(attr_is_str(find_ok(&m, STUN_A_SOFTWARE), "test vector"), "%s SOFTWARE", what);
	a = find_ok(&m, STUN_A_XOR_MAPPED_ADDRESS);
	ok(a && !stun_get_xaddr(&m, a, &got), "%s XOR-MAPPED-ADDRESS reads", what);
	is_int(got.sa.sa_family, af, "%s family", what);
	ok(addr_equal(&got, &want), "%s address is %s port 32853", what, ip);
	is_int(stun_check_integrity(&m, (const uint8_t *)short_pw, strlen(short_pw)), 0,
	       "%s integrity", what);
	ok(m.fp == 3, "%s fingerprint present and verified", what);

	stun_begin(&w, out, sizeof(out), STUN_BINDING, STUN_SUCCESS, rfc_tid);
	w.pad = 0x20;
	stun_put_str(&w, STUN_A_SOFTWARE, "test vector");
	stun_put_xaddr(&w, STUN_A_XOR_MAPPED_ADDRESS, &want);
	stun_put_integrity(&w, (const uint8_t *)short_pw, strlen(short_pw));
	stun_put_fingerprint(&w);
	is_int(stun_end(&w), (int)n, "%s rebuilt length", what);
	is_mem(out, msg, n, "%s rebuilt byte-exact", what);
}

static void long_term_key(uint8_t key[16])
{
	char s[128];
	unsigned int kl = 0;

	snprintf(s, sizeof(s), "%s:example.org:TheMatrIX", lt_user);
	EVP_Digest(s, strlen(s), key, &kl, EVP_md5(), NULL);
}

static void test_rfc_longterm(void)
{
	uint8_t msg[256], out[256], key[16];
	size_t n = unhex(rfc_longterm, msg);
	struct stun_writer w;
	struct stun_msg m;
	const uint8_t tid[12] = { 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
				  0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e };

	long_term_key(key);
	is_int(stun_decode(msg, n, &m), 0, "2.4 long-term request decodes");
	is_mem(m.tid, tid, 12, "2.4 transaction id");
	is_int(m.nattrs, 4, "2.4 four attributes");
	ok(attr_is_str(find_ok(&m, STUN_A_USERNAME), lt_user), "2.4 USERNAME (katakana)");
	ok(attr_is_str(find_ok(&m, STUN_A_NONCE), lt_nonce), "2.4 NONCE");
	ok(attr_is_str(find_ok(&m, STUN_A_REALM), "example.org"), "2.4 REALM");
	is_int(m.fp, -1, "2.4 no FINGERPRINT");
	is_int(m.mi, 3, "2.4 MESSAGE-INTEGRITY last");
	is_int(stun_check_integrity(&m, key, 16), 0, "2.4 integrity with MD5 long-term key");
	key[0] ^= 1;
	is_int(stun_check_integrity(&m, key, 16), -EACCES, "2.4 one key bit off is refused");
	key[0] ^= 1;

	stun_begin(&w, out, sizeof(out), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_str(&w, STUN_A_USERNAME, lt_user);
	stun_put_str(&w, STUN_A_NONCE, lt_nonce);
	stun_put_str(&w, STUN_A_REALM, "example.org");
	stun_put_integrity(&w, key, 16);
	is_int(stun_end(&w), (int)n, "2.4 rebuilt length");
	is_mem(out, msg, n, "2.4 rebuilt byte-exact");
}

static int build_decode(uint8_t *buf, size_t cap, struct stun_writer *w, struct stun_msg *m)
{
	int n = stun_end(w);

	(void)cap;
	if (n < 0)
		return n;
	return stun_decode(buf, (size_t)n, m);
}

/* stun_get_str(): exact copies, and refusals that leave out alone. */
static void test_get_str(void)
{
	static const uint8_t nul_realm[] = { 'e', 'x', 0, 'a' };
	uint8_t msg[256], buf[128];
	char out[64];
	struct stun_writer w;
	struct stun_msg m;
	const uint8_t tid[12] = { 1 };

	stun_decode(msg, unhex(rfc_longterm, msg), &m);
	is_int(stun_get_str(&m, STUN_A_REALM, out, sizeof(out)), 0, "get_str: REALM");
	ok(!strcmp(out, "example.org"), "get_str: REALM copied, NUL-terminated");
	is_int(stun_get_str(&m, STUN_A_NONCE, out, strlen(lt_nonce) + 1), 0,
	       "get_str: NONCE into exactly its length + 1");
	ok(!strcmp(out, lt_nonce), "get_str: NONCE copied");
	strcpy(out, "kept");
	is_int(stun_get_str(&m, STUN_A_NONCE, out, strlen(lt_nonce)), -EBADMSG,
	       "get_str: one byte short: -EBADMSG");
	is_int(stun_get_str(&m, STUN_A_SOFTWARE, out, sizeof(out)), -EBADMSG,
	       "get_str: absent: -EBADMSG");
	is_int(stun_get_str(&m, STUN_A_REALM, out, 0), -EBADMSG, "get_str: cap 0: -EBADMSG");
	stun_begin(&w, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put(&w, STUN_A_REALM, nul_realm, sizeof(nul_realm));
	stun_put(&w, STUN_A_NONCE, "", 0);
	is_int(build_decode(buf, sizeof(buf), &w, &m), 0, "get_str: message with hostile values");
	is_int(stun_get_str(&m, STUN_A_REALM, out, sizeof(out)), -EBADMSG,
	       "get_str: a NUL inside the value: -EBADMSG");
	ok(!strcmp(out, "kept"), "get_str: every refusal left out as it was");
	is_int(stun_get_str(&m, STUN_A_NONCE, out, sizeof(out)), 0, "get_str: empty value");
	ok(!strcmp(out, ""), "get_str: empty value is the empty string");
}

static void test_addr_roundtrip(const char *s)
{
	uint8_t buf[128];
	struct stun_writer w;
	struct stun_msg m;
	sockaddr_u a, got1, got2;
	const struct stun_attr *pa, *xa;

	addr_parse(s, 0, &a);
	begin(&w, buf, sizeof(buf));
	stun_put_addr(&w, STUN_A_MAPPED_ADDRESS, &a);
	stun_put_xaddr(&w, STUN_A_XOR_PEER_ADDRESS, &a);
	is_int(build_decode(buf, sizeof(buf), &w, &m), 0, "%s: message with both forms", s);
	pa = stun_find(&m, STUN_A_MAPPED_ADDRESS);
	xa = stun_find(&m, STUN_A_XOR_PEER_ADDRESS);
	ok(pa && !stun_get_addr(pa, &got1) && addr_equal(&got1, &a), "%s: plain round trip", s);
	ok(xa && !stun_get_xaddr(&m, xa, &got2) && addr_equal(&got2, &a), "%s: xor round trip", s);
	ok(pa && xa && pa->len == xa->len && memcmp(pa->val + 2, xa->val + 2, pa->len - 2),
	   "%s: xor form differs on the wire", s);
	ok(pa && stun_rd16(pa->val + 2) == addr_port(&a), "%s: plain port on the wire", s);
}

static void test_roundtrips(void)
{
	uint8_t buf[512], ev;
	struct stun_writer w;
	struct stun_msg m;
	const struct stun_attr *a;
	const uint16_t unk[3] = { 0x0003, 0x7777, 0x0031 };
	const char *reason = "";
	size_t rlen = 0;
	uint32_t u;
	uint16_t ch;
	uint8_t proto;
	int code = 0, af = 0;
	bool r;

	test_addr_roundtrip("192.0.2.1:3478");
	test_addr_roundtrip("[2001:db8::1:2]:65535");
	test_addr_roundtrip("0.0.0.0:0");

	begin(&w, buf, sizeof(buf));
	stun_put_u32(&w, STUN_A_LIFETIME, 600);
	stun_put_error(&w, 438, "Stale Nonce");
	stun_put_unknown(&w, unk, 3);
	stun_put_u32(&w, STUN_A_CHANNEL_NUMBER, 0x4001u << 16);
	stun_put_u32(&w, STUN_A_REQUESTED_TRANSPORT, 17u << 24);
	stun_put_u32(&w, STUN_A_REQUESTED_ADDRESS_FAMILY, 0x02000000);
	ev = 0x80;
	stun_put(&w, STUN_A_EVEN_PORT, &ev, 1);
	is_int(build_decode(buf, sizeof(buf), &w, &m), 0, "round-trip message decodes");
	a = stun_find(&m, STUN_A_LIFETIME);
	ok(a && !stun_get_u32(a, &u) && u == 600, "u32 round trip");
	a = stun_find(&m, STUN_A_ERROR_CODE);
	ok(a && !stun_get_error(a, &code, &reason, &rlen), "error reads");
	is_int(code, 438, "error code 438");
	ok(rlen == 11 && !memcmp(reason, "Stale Nonce", 11), "error reason");
	a = stun_find(&m, STUN_A_UNKNOWN_ATTRIBUTES);
	ok(a && a->len == 6 && stun_rd16(a->val) == 0x0003 && stun_rd16(a->val + 2) == 0x7777 &&
	   stun_rd16(a->val + 4) == 0x0031, "unknown list of 3, padded");
	a = stun_find(&m, STUN_A_CHANNEL_NUMBER);
	ok(a && !stun_get_channel(a, &ch) && ch == 0x4001, "channel round trip");
	a = stun_find(&m, STUN_A_REQUESTED_TRANSPORT);
	ok(a && !stun_get_transport(a, &proto) && proto == 17, "transport UDP");
	a = stun_find(&m, STUN_A_REQUESTED_ADDRESS_FAMILY);
	ok(a && !stun_get_family(a, &af) && af == AF_INET6, "family IPv6");
	a = stun_find(&m, STUN_A_EVEN_PORT);
	ok(a && !stun_get_even_port(a, &r) && r, "even port R bit set");

	begin(&w, buf, sizeof(buf));
	stun_put_error(&w, 401, NULL);
	stun_put_addr_error(&w, AF_INET6, 440, NULL);
	stun_put_u32(&w, STUN_A_REQUESTED_ADDRESS_FAMILY, 0x01000000);
	ev = 0;
	stun_put(&w, STUN_A_EVEN_PORT, &ev, 1);
	stun_put_u64(&w, STUN_A_ICE_CONTROLLING, 0x0102030405060708ull);
	is_int(build_decode(buf, sizeof(buf), &w, &m), 0, "second round-trip message decodes");
	a = stun_find(&m, STUN_A_ERROR_CODE);
	ok(a && !stun_get_error(a, &code, &reason, &rlen) && code == 401 &&
	   rlen == strlen("Unauthorized") && !memcmp(reason, "Unauthorized", rlen),
	   "NULL reason gives the default phrase");
	a = stun_find(&m, STUN_A_ADDRESS_ERROR_CODE);
	ok(a && a->val[0] == STUN_FAMILY_IPV6 && !stun_get_error(a, &code, &reason, &rlen) &&
	   code == 440, "ADDRESS-ERROR-CODE: family byte then error layout");
	a = stun_find(&m, STUN_A_REQUESTED_ADDRESS_FAMILY);
	ok(a && !stun_get_family(a, &af) && af == AF_INET, "family IPv4");
	a = stun_find(&m, STUN_A_EVEN_PORT);
	ok(a && !stun_get_even_port(a, &r) && !r, "even port R bit clear");
	a = stun_find(&m, STUN_A_ICE_CONTROLLING);
	ok(a && a->len == 8 && !memcmp(a->val, "\1\2\3\4\5\6\7\10", 8), "u64 big-endian");
}

static void test_type_bits(void)
{
	static const struct {
		uint16_t method, cls, type;
	} cases[] = {
		{ STUN_BINDING, STUN_REQUEST, 0x0001 },
		{ STUN_BINDING, STUN_SUCCESS, 0x0101 },
		{ TURN_ALLOCATE, STUN_ERROR, 0x0113 },
		{ TURN_SEND, STUN_INDICATION, 0x0016 },
		{ TURN_DATA, STUN_INDICATION, 0x0017 },
		{ TURN_CHANNEL_BIND, STUN_SUCCESS, 0x0109 },
		{ 0x0fff, STUN_ERROR, 0x3fff },
		{ 0x0080, STUN_REQUEST, 0x0200 },
	};
	uint8_t buf[64];
	struct stun_writer w;
	struct stun_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		stun_begin(&w, buf, sizeof(buf), cases[i].method, cases[i].cls, rfc_tid);
		is_int(stun_end(&w), 20, "empty message is 20 bytes");
		is_int(stun_rd16(buf), cases[i].type, "type 0x%04x on the wire", cases[i].type);
		ok(!stun_decode(buf, 20, &m) && m.method == cases[i].method &&
		   m.cls == cases[i].cls, "type 0x%04x decodes back", cases[i].type);
	}
	stun_begin(&w, buf, sizeof(buf), 0x1000, STUN_REQUEST, rfc_tid);
	is_int(stun_end(&w), -EINVAL, "method over 12 bits refused");
	stun_begin(&w, buf, sizeof(buf), STUN_BINDING, 0x0020, rfc_tid);
	is_int(stun_end(&w), -EINVAL, "bad class refused");
}

/* A hand-made MI-SHA256 truncated to tlen bytes, appended after a LIFETIME. */
static int sha256_truncated(uint8_t *buf, size_t tlen)
{
	struct stun_writer w;
	uint8_t mac[40] = { 0 };
	size_t upto;

	begin(&w, buf, 128);
	stun_put_u32(&w, STUN_A_LIFETIME, 1);
	upto = w.len;
	stun_hmac("SHA256", key16, 16, buf, upto, (uint16_t)(upto + 4 + tlen - 20), mac);
	/* lengths past 32 get zero bytes: refused on length alone */
	stun_put(&w, STUN_A_MESSAGE_INTEGRITY_SHA256, mac, tlen);
	return stun_end(&w);
}

static void test_integrity(void)
{
	uint8_t buf[256];
	struct stun_writer w;
	struct stun_msg m;
	int n;

	begin(&w, buf, sizeof(buf));
	stun_put_str(&w, STUN_A_USERNAME, "alice");
	stun_put_integrity(&w, key16, 16);
	stun_put_integrity_sha256(&w, key16, 16);
	stun_put_fingerprint(&w);
	n = stun_end(&w);
	is_int(stun_decode(buf, (size_t)n, &m), 0, "MI + MI-SHA256 + FINGERPRINT decodes");
	ok(m.mi == 1 && m.mi256 == 2 && m.fp == 3, "indexes of MI, MI256, FP");
	is_int(m.attrs[m.mi256].len, 32, "MI-SHA256 is 32 bytes");
	is_int(stun_check_integrity(&m, key16, 16), 0, "SHA256 integrity verifies");
	is_int(stun_check_integrity(&m, key16, 15), -EACCES, "shorter key refused");
	buf[m.attrs[m.mi256].off + 10] ^= 1;
	is_int(stun_check_integrity(&m, key16, 16), -EACCES, "SHA256 used even though MI is fine");

	begin(&w, buf, sizeof(buf));
	stun_put_integrity(&w, NULL, 0);
	n = stun_end(&w);
	ok(!stun_decode(buf, (size_t)n, &m) && !stun_check_integrity(&m, NULL, 0),
	   "empty key works");
	is_int(stun_check_integrity(&m, key16, 1), -EACCES, "non-empty key refused");

	begin(&w, buf, sizeof(buf));
	stun_put_fingerprint(&w);
	n = stun_end(&w);
	ok(!stun_decode(buf, (size_t)n, &m), "fingerprint only decodes");
	is_int(stun_check_integrity(&m, key16, 16), -ENOENT, "no integrity attribute: -ENOENT");

	for (size_t t = 12; t <= 36; t += 2) {
		bool want = t >= 16 && t <= 32 && !(t % 4);

		n = sha256_truncated(buf, t);
		if (want) {
			ok(n > 0 && !stun_decode(buf, (size_t)n, &m) &&
			   !stun_check_integrity(&m, key16, 16),
			   "MI-SHA256 of %zu bytes accepted and verified", t);
		} else {
			is_int(stun_decode(buf, (size_t)n, &m), -EBADMSG,
			       "MI-SHA256 of %zu bytes refused", t);
		}
	}
}

static void test_writer_limits(void)
{
	uint8_t buf[64];
	struct stun_writer w;
	static uint8_t big[70000];

	memset(buf, 0xee, sizeof(buf));
	stun_begin(&w, buf, 19, STUN_BINDING, STUN_REQUEST, rfc_tid);
	stun_put_str(&w, STUN_A_SOFTWARE, "x");
	stun_put_xaddr(&w, STUN_A_XOR_PEER_ADDRESS, &(sockaddr_u){ .v4.sin_family = AF_INET });
	is_int(stun_end(&w), -ENOSPC, "cap below header: -ENOSPC");
	is_int(buf[0], 0xee, "nothing written");

	memset(buf, 0xee, sizeof(buf));
	begin(&w, buf, 32);
	stun_put_str(&w, STUN_A_SOFTWARE, "12345678");
	is_int(w.err, 0, "attribute filling the buffer exactly fits");
	stun_put_str(&w, STUN_A_SOFTWARE, "");
	is_int(stun_end(&w), -ENOSPC, "one attribute too many: -ENOSPC");
	is_int(buf[32], 0xee, "no byte past cap");
	stun_put_str(&w, STUN_A_SOFTWARE, "");
	is_int(stun_end(&w), -ENOSPC, "error sticks");

	begin(&w, buf, 40);
	stun_put_integrity(&w, key16, 16);
	is_int(stun_end(&w), -ENOSPC, "MESSAGE-INTEGRITY without room: -ENOSPC");
	begin(&w, buf, 24);
	stun_put_fingerprint(&w);
	is_int(stun_end(&w), -ENOSPC, "FINGERPRINT without room: -ENOSPC");
	begin(&w, buf, sizeof(buf));
	stun_put_error(&w, 200, NULL);
	is_int(stun_end(&w), -EINVAL, "error code 200 refused");
	begin(&w, buf, sizeof(buf));
	stun_put_addr(&w, STUN_A_MAPPED_ADDRESS, &(sockaddr_u){ .sa.sa_family = AF_UNIX });
	is_int(stun_end(&w), -EAFNOSUPPORT, "AF_UNIX address refused");
	{
		static uint8_t huge[70100];

		begin(&w, huge, sizeof(huge));
		stun_put(&w, STUN_A_DATA, big, 65535);
		is_int(stun_end(&w), -ENOSPC, "body over 65532 bytes refused");
		begin(&w, huge, sizeof(huge));
		stun_put(&w, STUN_A_DATA, big, 65528);
		is_int(stun_end(&w), 65552, "largest body fits");
	}
}

static void test_reasons(void)
{
	static const int codes[] = { 300, 400, 401, 403, 420, 437, 438,
				     440, 441, 442, 443, 486, 500, 508 };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		ok(strcmp(stun_reason(codes[i]), "Error"), "reason for %d: %s", codes[i],
		   stun_reason(codes[i]));
	ok(!strcmp(stun_reason(401), "Unauthorized"), "401 Unauthorized");
	ok(!strcmp(stun_reason(438), "Stale Nonce"), "438 Stale Nonce");
	ok(!strcmp(stun_reason(299), "Error"), "unlisted code: generic phrase");
}

/* Header for a hand-made message with body of blen bytes. */
static void hdr(uint8_t *buf, uint16_t blen)
{
	stun_wr16(buf, 0x0001);
	stun_wr16(buf + 2, blen);
	stun_wr32(buf + 4, STUN_MAGIC);
	memcpy(buf + 8, rfc_tid, 12);
}

static void test_hostile_framing(void)
{
	uint8_t msg[256], b[512];
	size_t n = unhex(rfc_request, msg), k;
	struct stun_msg m;
	int bad = 0;

	for (k = 0; k < n; k++)
		bad += stun_decode(msg, k, &m) == -EBADMSG;
	is_int(bad, n, "every truncation of 2.1 refused");
	memcpy(b, msg, n);
	b[4] ^= 1;
	is_int(stun_decode(b, n, &m), -EBADMSG, "bad cookie");
	ok(!stun_is_message(b, n), "bad cookie is not STUN");
	memcpy(b, msg, n);
	b[0] |= 0x80;
	is_int(stun_decode(b, n, &m), -EBADMSG, "top bits set");
	memcpy(b, msg, n);
	stun_wr16(b + 2, 0x56);
	is_int(stun_decode(b, n, &m), -EBADMSG, "length not a multiple of 4");
	memcpy(b, msg, n);
	stun_wr16(b + 2, 0x5c);
	is_int(stun_decode(b, n, &m), -EBADMSG, "length beyond the buffer");
	memcpy(b, msg, n);
	memset(b + n, 0xff, 8);
	is_int(stun_decode(b, n + 8, &m), 0, "trailing bytes past the length are ignored");
	is_int(m.len, n, "m.len is header + length field");
	ok(!stun_is_message(b, n + 8), "stun_is_message wants the exact length");

	hdr(b, 8);
	stun_wr16(b + 20, STUN_A_SOFTWARE);
	stun_wr16(b + 22, 8);
	is_int(stun_decode(b, 28, &m), -EBADMSG, "attribute value past the end");
	stun_wr16(b + 22, 0xffff);
	is_int(stun_decode(b, 28, &m), -EBADMSG, "attribute length 0xffff");
	hdr(b, 4);
	stun_wr16(b + 20, STUN_A_SOFTWARE);
	stun_wr16(b + 22, 1);
	is_int(stun_decode(b, 24, &m), -EBADMSG, "attribute missing its padding");

	hdr(b, 12);
	stun_wr16(b + 20, STUN_A_USERNAME);
	stun_wr16(b + 22, 5);
	memcpy(b + 24, "hello\xff\xfe\xfd", 8);
	is_int(stun_decode(b, 32, &m), 0, "odd length with padding decodes");
	ok(m.nattrs == 1 && attr_is_str(stun_find(&m, STUN_A_USERNAME), "hello"),
	   "odd-length value read without its padding");

	for (k = 0; k < 65; k++) {
		stun_wr16(b + 20 + 4 * k, STUN_A_SOFTWARE);
		stun_wr16(b + 22 + 4 * k, 0);
	}
	hdr(b, 64 * 4);
	is_int(stun_decode(b, 20 + 64 * 4, &m), 0, "64 attributes accepted");
	is_int(m.nattrs, 64, "64 recorded");
	hdr(b, 65 * 4);
	is_int(stun_decode(b, 20 + 65 * 4, &m), -EBADMSG, "65 attributes refused");
	is_int(stun_decode(b, 19, &m), -EBADMSG, "19-byte buffer refused");
}

static void test_hostile_attrs(void)
{
	uint8_t b[512];
	struct stun_writer w;
	struct stun_msg m;
	uint16_t unk[20];
	int n;

	begin(&w, b, sizeof(b));
	stun_put_str(&w, STUN_A_USERNAME, "first");
	stun_put_str(&w, STUN_A_USERNAME, "second");
	n = stun_end(&w);
	ok(!stun_decode(b, (size_t)n, &m) && m.nattrs == 2, "duplicated USERNAME kept twice");
	ok(attr_is_str(stun_find(&m, STUN_A_USERNAME), "first"), "first one wins");

	memset(b, 0, sizeof(b));
	hdr(b, 24);
	stun_wr16(b + 20, STUN_A_MESSAGE_INTEGRITY);
	stun_wr16(b + 22, 19);
	is_int(stun_decode(b, 20 + 24, &m), -EBADMSG, "MESSAGE-INTEGRITY of 19 bytes refused");
	stun_wr16(b + 22, 20);
	ok(!stun_decode(b, 20 + 24, &m) && m.mi == 0, "same message with 20 bytes decodes");
	hdr(b, 28);
	stun_wr16(b + 22, 24);
	is_int(stun_decode(b, 20 + 28, &m), -EBADMSG, "MESSAGE-INTEGRITY of 24 bytes refused");

	begin(&w, b, sizeof(b));
	stun_put_u32(&w, STUN_A_LIFETIME, 0);
	stun_put_integrity(&w, key16, 16);
	stun_put_fingerprint(&w);
	n = stun_end(&w);
	ok(!stun_decode(b, (size_t)n, &m) && m.mi == 1 && m.fp == 2,
	   "MI then valid FINGERPRINT");
	is_int(stun_check_integrity(&m, key16, 16), 0, "its integrity verifies");
	b[n - 1] ^= 1;
	is_int(stun_decode(b, (size_t)n, &m), -EBADMSG, "bad fingerprint refused");
	b[n - 1] ^= 1;
	b[27] ^= 1;
	is_int(stun_decode(b, (size_t)n, &m), -EBADMSG, "flipped body bit caught by fingerprint");
	b[27] ^= 1;
	stun_wr16(b + n - 6, 8);
	is_int(stun_decode(b, (size_t)n, &m), -EBADMSG, "FINGERPRINT of 8 bytes refused");

	begin(&w, b, sizeof(b));
	stun_put_u32(&w, STUN_A_LIFETIME, 0);
	stun_put_integrity(&w, key16, 16);
	stun_put_str(&w, STUN_A_USERNAME, "late");
	stun_put_u32(&w, 0x0003, 0);
	n = stun_end(&w);
	ok(!stun_decode(b, (size_t)n, &m) && m.nattrs == 2, "attributes after MI ignored");
	ok(!stun_find(&m, STUN_A_USERNAME), "late USERNAME not found");
	is_int(m.nunknown, 0, "unknown type after MI not listed");
	is_int(stun_check_integrity(&m, key16, 16), 0, "integrity over the part before MI");

	begin(&w, b, sizeof(b));
	stun_put_fingerprint(&w);
	stun_put_str(&w, STUN_A_SOFTWARE, "x");
	n = stun_end(&w);
	stun_wr16(b + 2, 8);
	stun_wr32(b + 24, stun_crc32(b, 20) ^ STUN_FINGERPRINT_XOR);
	stun_wr16(b + 2, 16);
	is_int(stun_decode(b, (size_t)n, &m), -EBADMSG, "attribute after FINGERPRINT refused");

	begin(&w, b, sizeof(b));
	stun_put_integrity_sha256(&w, key16, 16);
	stun_put_integrity(&w, key16, 16);
	stun_put_fingerprint(&w);
	n = stun_end(&w);
	ok(!stun_decode(b, (size_t)n, &m) && m.mi == -1 && m.mi256 == 0 && m.fp == 1,
	   "MI after MI-SHA256 ignored, FINGERPRINT kept");

	begin(&w, b, sizeof(b));
	stun_put(&w, STUN_A_USERNAME, NULL, 0);
	n = stun_end(&w);
	ok(!stun_decode(b, (size_t)n, &m) && m.nattrs == 1 && m.attrs[0].len == 0,
	   "zero-length USERNAME decodes");

	begin(&w, b, sizeof(b));
	for (int i = 0; i < 20; i++)
		unk[i] = (uint16_t)(0x0040 + i);
	stun_put_u32(&w, 0x0003, 0);
	stun_put_u32(&w, 0x7fff, 0);
	stun_put_u32(&w, 0x0003, 0);
	stun_put_u32(&w, 0x8fff, 0);
	stun_put_u32(&w, STUN_A_SOFTWARE, 0);
	n = stun_end(&w);
	ok(!stun_decode(b, (size_t)n, &m) && m.nunknown == 2 && m.unknown[0] == 0x0003 &&
	   m.unknown[1] == 0x7fff, "unknown comprehension-required listed once each");
	for (int i = 0; i < 20; i++)
		stun_put(&w, unk[i], NULL, 0);
	n = stun_end(&w);
	ok(!stun_decode(b, (size_t)n, &m) && m.nunknown == STUN_MAX_UNKNOWN,
	   "unknown list capped at %d, decode still succeeds", STUN_MAX_UNKNOWN);
	ok(stun_attr_known(STUN_A_XOR_PEER_ADDRESS) && stun_attr_known(STUN_A_FINGERPRINT) &&
	   !stun_attr_known(0x0003) && !stun_attr_known(0x7fff), "stun_attr_known");
}

/* A lone attribute with the given value, for reader tests. */
static struct stun_attr mk(uint16_t type, const void *val, uint16_t len)
{
	return (struct stun_attr){ .type = type, .len = len, .val = val };
}

static void test_hostile_values(void)
{
	struct stun_msg m = { 0 };
	struct stun_attr a;
	sockaddr_u sa;
	const char *reason;
	size_t rlen;
	uint32_t u;
	uint16_t ch;
	uint8_t proto;
	int code, af;
	bool r;

	a = mk(STUN_A_MAPPED_ADDRESS, "\0\3\0\1\1\2\3\4", 8);
	is_int(stun_get_addr(&a, &sa), -EBADMSG, "address family 3 refused");
	is_int(stun_get_xaddr(&m, &a, &sa), -EBADMSG, "xor address family 3 refused");
	a = mk(STUN_A_MAPPED_ADDRESS, "\0\1\0\1", 4);
	is_int(stun_get_addr(&a, &sa), -EBADMSG, "short IPv4 address refused");
	a = mk(STUN_A_MAPPED_ADDRESS, "\0\2\0\1\1\2\3\4", 8);
	is_int(stun_get_addr(&a, &sa), -EBADMSG, "IPv6 family with 4 address bytes refused");
	a = mk(STUN_A_MAPPED_ADDRESS, "\0\1\0\1\1\2\3\4\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	is_int(stun_get_addr(&a, &sa), -EBADMSG, "IPv4 family with 16 address bytes refused");
	a = mk(STUN_A_MAPPED_ADDRESS, "\0\1\0\1\1\2\3\4\0\0\0\0", 12);
	is_int(stun_get_xaddr(&m, &a, &sa), -EBADMSG, "IPv4 address of 12 bytes refused");
	a = mk(STUN_A_MAPPED_ADDRESS, "\0\1\0\1\1\2\3\4", 8);
	ok(!stun_get_addr(&a, &sa) && sa.v4.sin_addr.s_addr == htonl(0x01020304) &&
	   addr_port(&sa) == 1, "well-formed IPv4 address reads");

	a = mk(STUN_A_ERROR_CODE, "\0\0\7\0", 4);
	is_int(stun_get_error(&a, &code, &reason, &rlen), -EBADMSG, "error class 7 refused");
	a = mk(STUN_A_ERROR_CODE, "\0\0\2\0", 4);
	is_int(stun_get_error(&a, &code, &reason, &rlen), -EBADMSG, "error class 2 refused");
	a = mk(STUN_A_ERROR_CODE, "\0\0\4\144", 4);
	is_int(stun_get_error(&a, &code, &reason, &rlen), -EBADMSG, "error number 100 refused");
	a = mk(STUN_A_ERROR_CODE, "\0\0\4", 3);
	is_int(stun_get_error(&a, &code, &reason, &rlen), -EBADMSG, "3-byte ERROR-CODE refused");
	a = mk(STUN_A_ERROR_CODE, "\0\0\6\143", 4);
	ok(!stun_get_error(&a, &code, &reason, &rlen) && code == 699 && rlen == 0,
	   "699 with empty reason reads");

	a = mk(STUN_A_LIFETIME, "\0\0\0", 3);
	is_int(stun_get_u32(&a, &u), -EBADMSG, "3-byte u32 refused");
	a = mk(STUN_A_CHANNEL_NUMBER, "\x40\0", 2);
	is_int(stun_get_channel(&a, &ch), -EBADMSG, "2-byte CHANNEL-NUMBER refused");
	a = mk(STUN_A_REQUESTED_TRANSPORT, "\x11\0\0\0\0", 5);
	is_int(stun_get_transport(&a, &proto), -EBADMSG, "5-byte REQUESTED-TRANSPORT refused");
	a = mk(STUN_A_REQUESTED_ADDRESS_FAMILY, "\3\0\0\0", 4);
	is_int(stun_get_family(&a, &af), -EAFNOSUPPORT, "family 3: -EAFNOSUPPORT (440)");
	a = mk(STUN_A_REQUESTED_ADDRESS_FAMILY, "\1\0\0", 3);
	is_int(stun_get_family(&a, &af), -EBADMSG, "3-byte family refused");
	a = mk(STUN_A_EVEN_PORT, "\x80\0\0\0", 4);
	is_int(stun_get_even_port(&a, &r), -EBADMSG, "4-byte EVEN-PORT refused");
	a = mk(STUN_A_EVEN_PORT, "", 0);
	is_int(stun_get_even_port(&a, &r), -EBADMSG, "empty EVEN-PORT refused");
}

/* Everything a caller might do with a decoded message; checks attributes stay in bounds. */
static int poke(const uint8_t *buf, size_t len)
{
	struct stun_msg m;
	sockaddr_u sa;
	const char *reason;
	size_t rlen;
	uint32_t u;
	uint16_t ch;
	uint8_t proto;
	int code, af, inb = 1;
	bool r;

	if (stun_decode(buf, len, &m))
		return 1;
	for (size_t i = 0; i < m.nattrs; i++) {
		const struct stun_attr *a = &m.attrs[i];

		inb &= a->val == buf + a->off + 4 && a->off + 4u + a->len <= m.len;
		stun_get_u32(a, &u);
		stun_get_addr(a, &sa);
		stun_get_xaddr(&m, a, &sa);
		stun_get_error(a, &code, &reason, &rlen);
		stun_get_channel(a, &ch);
		stun_get_transport(a, &proto);
		stun_get_family(a, &af);
		stun_get_even_port(a, &r);
	}
	stun_check_integrity(&m, key16, 16);
	return inb && m.len <= len;
}

static void test_random(void)
{
	const char *const vec[] = { rfc_request, rfc_resp4, rfc_resp6, rfc_longterm };
	unsigned int seed = 12345;
	uint8_t src[256], *b;
	int good = 0, decoded = 0, iters = 4000;

	for (int i = 0; i < iters; i++) {
		size_t n = unhex(vec[i % 4], src), len = n;

		switch (i % 3) {
		case 0: /* bit flips */
			for (int k = 0; k < 1 + rand_r(&seed) % 4; k++)
				src[rand_r(&seed) % n] ^= (uint8_t)(1 << rand_r(&seed) % 8);
			break;
		case 1: /* valid header, random body */
			len = 20 + 4 * (size_t)(rand_r(&seed) % 40);
			for (size_t k = 20; k < len; k++)
				src[k] = (uint8_t)rand_r(&seed);
			if (rand_r(&seed) % 2)
				for (size_t k = 20; k < len; k += 4)
					src[k] = src[k] & 0x80 ? 0x80 : 0; /* plausible types */
			stun_wr16(src + 2, (uint16_t)(len - 20));
			break;
		default: /* bit flips then truncation */
			src[rand_r(&seed) % n] ^= (uint8_t)(1 << rand_r(&seed) % 8);
			len = (size_t)rand_r(&seed) % (n + 1);
		}
		b = malloc(len ? len : 1); /* exact size, so ASan sees any overread */
		memcpy(b, src, len);
		good += poke(b, len);
		decoded += !stun_decode(b, len, &(struct stun_msg){ 0 });
		free(b);
	}
	is_int(good, iters, "%d mangled messages: no crash, attributes in bounds", iters);
	diag("%d of %d mangled messages still decoded", decoded, iters);
}

int main(void)
{
	test_crc();
	test_rfc_request();
	test_rfc_response(rfc_resp4, "192.0.2.1", AF_INET, "2.2 IPv4 response");
	test_rfc_response(rfc_resp6, "2001:db8:1234:5678:11:2233:4455:6677", AF_INET6,
			  "2.3 IPv6 response");
	test_rfc_longterm();
	test_get_str();
	test_roundtrips();
	test_type_bits();
	test_integrity();
	test_writer_limits();
	test_reasons();
	test_hostile_framing();
	test_hostile_attrs();
	test_hostile_values();
	test_random();
	return done_testing();
}
