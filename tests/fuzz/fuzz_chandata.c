/* fuzz_chandata.c - libFuzzer harness: ChannelData parse (UDP and stream), demux, rebuild. */
/*
 * Build and run from the repo root (one command line):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon
 *	tests/fuzz/fuzz_chandata.c daemon/chandata.c -o fuzz_chandata
 *   mkdir -p /tmp/corpus
 *   ./fuzz_chandata -max_total_time=60 /tmp/corpus tests/fuzz/corpus/chandata
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chandata.h"

/* The parsed message, framed again the same way, must give back its own bytes. */
static void rebuild(uint16_t ch, const uint8_t *d, uint16_t dl, bool pad)
{
	size_t cap = CHANDATA_HDR_LEN + dl + 3u;
	uint8_t *out = malloc(cap);
	const uint8_t *d2;
	uint16_t ch2, dl2;
	size_t used;
	int n = chandata_build(out, cap, ch, d, dl, pad);

	if (n < 0 || chandata_parse(out, (size_t)n, pad, &ch2, &d2, &dl2, &used) ||
	    ch2 != ch || dl2 != dl || used != (size_t)n || memcmp(d2, d, dl))
		abort();
	free(out);
}

static void parse_udp(const uint8_t *data, size_t size)
{
	const uint8_t *d;
	uint16_t ch, dl;
	size_t used;

	if (chandata_parse(data, size, false, &ch, &d, &dl, &used))
		return;
	if (!chan_valid(ch) || used != size || d != data + 4 || 4u + dl > size || size - 4 - dl > 3)
		abort();
	rebuild(ch, d, dl, false);
}

/* Walk the input as a stream of back-to-back messages. */
static void parse_stream(const uint8_t *data, size_t size)
{
	const uint8_t *d;
	uint16_t ch, dl;
	size_t used, off = 0;
	int r;

	while (!(r = chandata_parse(data + off, size - off, true, &ch, &d, &dl, &used))) {
		if (used < 4u + dl || used > size - off || used % 4)
			abort();
		rebuild(ch, d, dl, true);
		off += used;
	}
	if (r != -EAGAIN && r != -EBADMSG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size)
		demux_first_byte(data[0]);
	parse_udp(data, size);
	parse_stream(data, size);
	return 0;
}
