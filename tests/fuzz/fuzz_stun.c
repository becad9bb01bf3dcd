/* fuzz_stun.c - libFuzzer harness: stun_decode, every value reader, integrity, re-encode. */
/*
 * Build and run from the repo root (one command line):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon
 *	tests/fuzz/fuzz_stun.c daemon/stun.c daemon/stun_build.c daemon/crc32.c
 *	daemon/addr.c daemon/log.c -lcrypto -o fuzz_stun
 *   mkdir -p /tmp/corpus && ./fuzz_stun -max_total_time=60 /tmp/corpus tests/fuzz/corpus/stun
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stun.h"

static const uint8_t key[16] = "fuzz-fixed-key!!";

static void read_all(const struct stun_msg *m)
{
	sockaddr_u sa;
	const char *reason;
	size_t rlen;
	uint32_t u;
	uint16_t ch;
	uint8_t proto;
	int code, af;
	bool r;

	for (size_t i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (a->val != m->buf + a->off + 4 || a->off + 4u + a->len > m->len)
			abort();
		stun_get_u32(a, &u);
		stun_get_addr(a, &sa);
		stun_get_xaddr(m, a, &sa);
		if (!stun_get_error(a, &code, &reason, &rlen) &&
		    (code < 300 || code > 699 || reason + rlen > (const char *)m->buf + m->len))
			abort();
		stun_get_channel(a, &ch);
		stun_get_transport(a, &proto);
		stun_get_family(a, &af);
		stun_get_even_port(a, &r);
		if (!stun_find(m, a->type))
			abort();
	}
	stun_attr_known(m->nattrs ? m->attrs[0].type : 0);
}

/* Write again what was decoded (integrity made with our key), decode that, compare. */
static void reencode(const struct stun_msg *m, size_t cap)
{
	uint8_t *out = malloc(cap);
	struct stun_writer w;
	struct stun_msg m2;
	size_t nplain = 0;
	int n;

	stun_begin(&w, out, cap, m->method, m->cls, m->tid);
	for (size_t i = 0; i < m->nattrs; i++) {
		if ((int)i == m->mi || (int)i == m->mi256 || (int)i == m->fp)
			continue;
		stun_put(&w, m->attrs[i].type, m->attrs[i].val, m->attrs[i].len);
		nplain++;
	}
	if (m->mi >= 0)
		stun_put_integrity(&w, key, sizeof(key));
	if (m->mi256 >= 0)
		stun_put_integrity_sha256(&w, key, sizeof(key));
	if (m->fp >= 0)
		stun_put_fingerprint(&w);
	n = stun_end(&w);
	if (n == -ENOSPC && m->len + 16 > STUN_HDR_LEN + 0xfffc)
		goto out; /* grown MI-SHA256 no longer fits a 16-bit length */
	if (n < 0 || stun_decode(out, (size_t)n, &m2))
		abort();
	if (m2.method != m->method || m2.cls != m->cls || m2.nattrs != m->nattrs ||
	    memcmp(m2.tid, m->tid, STUN_TID_LEN) || m2.nunknown != m->nunknown)
		abort();
	for (size_t i = 0; i < nplain; i++)
		if (m2.attrs[i].type != m->attrs[i].type || m2.attrs[i].len != m->attrs[i].len ||
		    memcmp(m2.attrs[i].val, m->attrs[i].val, m->attrs[i].len))
			abort();
	if ((m->mi >= 0 || m->mi256 >= 0) && stun_check_integrity(&m2, key, sizeof(key)))
		abort();
out:
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	int r;

	stun_is_message(data, size);
	if (stun_decode(data, size, &m))
		return;
	read_all(&m);
	r = stun_check_integrity(&m, key, sizeof(key));
	if (r != 0 && r != -ENOENT && r != -EACCES)
		abort();
	if (r == -ENOENT && (m.mi >= 0 || m.mi256 >= 0))
		abort();
	/* MI-SHA256 may grow from 16 to 32 bytes; nothing else grows. */
	reencode(&m, m.len + 16);
}

/*
 * Mutations nearly always break a FINGERPRINT, which would stop decode at the first check.
 * When the input ends in something shaped like one, decode also a copy with the CRC fixed.
 */
static void with_fixed_fingerprint(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	size_t end;
	uint32_t crc;

	if (size < STUN_HDR_LEN + 8)
		return;
	end = STUN_HDR_LEN + (size_t)(data[2] << 8 | data[3]);
	if (end > size || end < STUN_HDR_LEN + 8 || data[end - 8] != 0x80 ||
	    data[end - 7] != 0x28 || data[end - 6] || data[end - 5] != 4)
		return;
	copy = malloc(size);
	memcpy(copy, data, size);
	crc = stun_crc32(copy, end - 8) ^ STUN_FINGERPRINT_XOR;
	for (int i = 0; i < 4; i++)
		copy[end - 4 + i] = (uint8_t)(crc >> (24 - 8 * i));
	one(copy, size);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	with_fixed_fingerprint(data, size);
	return 0;
}
