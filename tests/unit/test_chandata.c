/* test_chandata.c - ChannelData framing over UDP and streams, RFC 7983 demux, hostile input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chandata.h"
#include "tap.h"

static void test_demux(void)
{
	int stun = 0, chan = 0, other = 0, wrong = 0;

	for (int b = 0; b < 256; b++) {
		enum demux_kind k = demux_first_byte((uint8_t)b);
		enum demux_kind want = b <= 3 ? DEMUX_STUN :
				       (b >= 64 && b <= 127) ? DEMUX_CHANDATA : DEMUX_OTHER;

		stun += k == DEMUX_STUN;
		chan += k == DEMUX_CHANDATA;
		other += k == DEMUX_OTHER;
		if (k != want) {
			wrong++;
			diag("byte %d: got %d want %d", b, k, want);
		}
	}
	is_int(wrong, 0, "demux table right for all 256 first bytes");
	is_int(stun, 4, "4 STUN bytes");
	is_int(chan, 64, "64 ChannelData bytes (RFC 8656 and RFC 5766 ranges)");
	is_int(other, 188, "188 other bytes");
	is_int(demux_first_byte(0x17), DEMUX_OTHER, "DTLS record (23) is other");
	is_int(demux_first_byte(0x80), DEMUX_OTHER, "RTP (128) is other");
	is_int(demux_first_byte(0x3f), DEMUX_OTHER, "63 is other");
	is_int(demux_first_byte(0x50), DEMUX_CHANDATA, "80 is ChannelData (RFC 5766 channel 0x5000)");
	is_int(demux_first_byte(0x7f), DEMUX_CHANDATA, "127 is ChannelData");
}

static int parse(const uint8_t *b, size_t len, bool stream, uint16_t *ch, const uint8_t **d,
		 uint16_t *dl, size_t *used)
{
	/* Exact-size heap copy: ASan flags any read past len. */
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, b, len);
	r = chandata_parse(copy, len, stream, ch, d, dl, used);
	if (!r)
		*d = b + (*d - copy);
	free(copy);
	return r;
}

static void test_udp(void)
{
	uint8_t b[32] = { 0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	const uint8_t *d = NULL;
	uint16_t ch = 0, dl = 0;
	size_t used = 0;

	ok(!parse(b, 9, false, &ch, &d, &dl, &used), "UDP: exact message");
	ok(ch == 0x4001 && dl == 5 && d == b + 4 && !memcmp(d, "hello", 5), "channel, data");
	is_int(used, 9, "consumed is the datagram");
	for (size_t pad = 1; pad <= 3; pad++)
		ok(!parse(b, 9 + pad, false, &ch, &d, &dl, &used) && dl == 5 && used == 9 + pad,
		   "UDP: %zu padding bytes accepted", pad);
	is_int(parse(b, 13, false, &ch, &d, &dl, &used), -EBADMSG, "UDP: 4 extra bytes refused");
	is_int(parse(b, 8, false, &ch, &d, &dl, &used), -EBADMSG, "UDP: one data byte short");
	for (size_t n = 0; n < 4; n++)
		is_int(parse(b, n, false, &ch, &d, &dl, &used), -EBADMSG,
		       "UDP: %zu-byte datagram refused", n);
	b[2] = 0xff;
	is_int(parse(b, 9, false, &ch, &d, &dl, &used), -EBADMSG, "UDP: length beyond datagram");
	b[2] = 0;
	b[3] = 0;
	ok(!parse(b, 4, false, &ch, &d, &dl, &used) && dl == 0, "UDP: empty data is fine");
	ok(!chandata_parse(b, 4, false, &ch, &d, &dl, NULL), "consumed may be NULL");
	b[3] = 5;
	b[0] = 0x3f;
	b[1] = 0xff;
	is_int(parse(b, 9, false, &ch, &d, &dl, &used), -EBADMSG, "channel 0x3fff refused");
	b[0] = 0x50;
	b[1] = 0x00;
	ok(!parse(b, 9, false, &ch, &d, &dl, &used) && ch == 0x5000, "legacy channel 0x5000 accepted");
	b[0] = 0x7f;
	b[1] = 0xff;
	is_int(parse(b, 9, false, &ch, &d, &dl, &used), -EBADMSG, "channel 0x7fff refused");
	b[0] = 0x4f;
	b[1] = 0xff;
	ok(!parse(b, 9, false, &ch, &d, &dl, &used) && ch == 0x4fff, "channel 0x4fff accepted");
	b[0] = 0x40;
	b[1] = 0x00;
	ok(!parse(b, 9, false, &ch, &d, &dl, &used) && ch == 0x4000, "channel 0x4000 accepted");
}

static void test_stream(void)
{
	uint8_t s[64];
	const uint8_t *d;
	uint16_t ch, dl;
	size_t used = 0;
	int n1, n2, r;

	n1 = chandata_build(s, sizeof(s), 0x4002, (const uint8_t *)"hello", 5, true);
	n2 = chandata_build(s + n1, sizeof(s) - (size_t)n1, 0x4003, (const uint8_t *)"abcd", 4,
			    true);
	is_int(n1, 12, "padded build of 5 bytes is 12");
	is_int(n2, 8, "padded build of 4 bytes is 8");
	ok(!parse(s, 20, true, &ch, &d, &dl, &used) && ch == 0x4002 && dl == 5 && used == 12,
	   "stream: first message consumed with its padding");
	ok(!parse(s + used, 8, true, &ch, &d, &dl, &used) && ch == 0x4003 && dl == 4 &&
	   used == 8 && !memcmp(d, "abcd", 4), "stream: second message follows");
	for (size_t n = 0; n < 12; n++) {
		r = parse(s, n, true, &ch, &d, &dl, &used);
		if (r != -EAGAIN) {
			is_int(r, -EAGAIN, "stream: %zu bytes of 12 is -EAGAIN", n);
			break;
		}
	}
	ok(r == -EAGAIN, "stream: every torn prefix (0..11 bytes) is -EAGAIN");
	is_int(parse(s, 9, true, &ch, &d, &dl, &used), -EAGAIN,
	       "stream: data there but padding missing is -EAGAIN");
	s[0] = 0x30;
	is_int(parse(s, 20, true, &ch, &d, &dl, &used), -EBADMSG, "stream: bad channel refused");
	is_int(parse(s, 3, true, &ch, &d, &dl, &used), -EAGAIN,
	       "stream: 3 bytes wait for the header");
	s[0] = 0x40;

}

static void test_stream_walk(void)
{
	uint8_t s[256], data[16];
	const uint8_t *d;
	uint16_t ch, dl;
	size_t used, off = 0, total = 0;
	int count = 0, bad = 0;

	for (uint16_t i = 0; i < 12; i++) {
		uint16_t ch_i = (uint16_t)(0x4000 + i);

		memset(data, 'a' + i, i);
		off += (size_t)chandata_build(s + off, sizeof(s) - off, ch_i, data, i, true);
	}
	total = off;
	for (off = 0; off < total; off += used) {
		if (parse(s + off, total - off, true, &ch, &d, &dl, &used))
			break;
		bad += ch != 0x4000 + count || dl != count || (dl && d[0] != 'a' + count);
		count++;
	}
	is_int(count, 12, "stream walk: twelve messages");
	is_int(off, total, "stream walk: ends exactly at the end");
	is_int(bad, 0, "stream walk: every channel and payload right");
}

static void test_build(void)
{
	uint8_t b[16];
	const uint8_t want[] = { 0x40, 0x10, 0x00, 0x03, 'a', 'b', 'c', 0x00 };

	memset(b, 0xee, sizeof(b));
	is_int(chandata_build(b, sizeof(b), 0x4010, (const uint8_t *)"abc", 3, false), 7,
	       "unpadded build is 7");
	ok(!memcmp(b, want, 7) && b[7] == 0xee, "unpadded bytes, nothing after");
	is_int(chandata_build(b, sizeof(b), 0x4010, (const uint8_t *)"abc", 3, true), 8,
	       "padded build is 8");
	is_mem(b, want, 8, "padded with a zero byte");
	is_int(chandata_build(b, 7, 0x4010, (const uint8_t *)"abc", 3, true), -ENOSPC,
	       "padded build with cap 7: -ENOSPC");
	is_int(chandata_build(b, 6, 0x4010, (const uint8_t *)"abc", 3, false), -ENOSPC,
	       "unpadded build with cap 6: -ENOSPC");
	is_int(chandata_build(b, 3, 0x4010, NULL, 0, false), -ENOSPC, "cap 3: -ENOSPC");
	is_int(chandata_build(b, 4, 0x4010, NULL, 0, true), 4, "empty data is 4 bytes");
	is_int(chandata_build(b, sizeof(b), 0x3fff, (const uint8_t *)"a", 1, false), -EINVAL,
	       "channel 0x3fff: -EINVAL");
	is_int(chandata_build(b, sizeof(b), 0x7fff, (const uint8_t *)"a", 1, false), -EINVAL,
	       "channel 0x7fff: -EINVAL");
	is_int(chandata_build(b, sizeof(b), 0x4000, (const uint8_t *)"a", 65536, false), -EINVAL,
	       "65536 bytes of data: -EINVAL");
	memcpy(b + 4, "xyz", 3);
	ok(chandata_build(b, sizeof(b), 0x4001, b + 4, 3, false) == 7 && !memcmp(b + 4, "xyz", 3),
	   "in-place build keeps the data");
}

static void test_big(void)
{
	static uint8_t b[4 + 65536], data[65535];
	const uint8_t *d;
	uint16_t ch, dl;
	size_t used;

	memset(data, 0x5a, sizeof(data));
	is_int(chandata_build(b, sizeof(b), 0x4abc, data, 65535, true), 4 + 65536,
	       "largest message, padded");
	ok(!chandata_parse(b, sizeof(b), true, &ch, &d, &dl, &used) && dl == 65535 &&
	   used == sizeof(b), "largest message parses over a stream");
	ok(!chandata_parse(b, 4 + 65535, false, &ch, &d, &dl, &used) && dl == 65535,
	   "largest message parses over UDP");
}

static void test_random(void)
{
	unsigned int seed = 7;
	uint8_t b[64];
	const uint8_t *d;
	uint16_t ch, dl;
	size_t used;
	int inb = 0, iters = 5000;

	for (int i = 0; i < iters; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(b);
		bool stream = i & 1;
		int ok_ = 1;

		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t)rand_r(&seed);
		if (len && i % 3)
			b[0] = (uint8_t)(0x40 | (b[0] & 0x0f));
		if (len > 3 && i % 2)
			b[2] = 0;
		if (!parse(b, len, stream, &ch, &d, &dl, &used))
			ok_ = chan_valid(ch) && used <= len && 4u + dl <= used;
		inb += ok_;
	}
	is_int(inb, iters, "%d random buffers: results stay inside the buffer", iters);
}

int main(void)
{
	test_demux();
	test_udp();
	test_stream();
	test_stream_walk();
	test_build();
	test_big();
	test_random();
	return done_testing();
}
