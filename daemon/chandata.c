/* chandata.c - TURN ChannelData framing (RFC 8656 12.4) and RFC 7983 first-byte demux. */
#include "chandata.h"

#include <errno.h>
#include <string.h>

enum demux_kind demux_first_byte(uint8_t b)
{
	if (b <= 3)
		return DEMUX_STUN;
	if (b >= 64 && b <= 127)
		return DEMUX_CHANDATA;
	return DEMUX_OTHER;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/*
 * Over UDP the whole datagram is the message, so *consumed (when not NULL) is len. Over a
 * stream a short header is -EAGAIN, but a bad channel number is -EBADMSG at once: the
 * connection has lost framing and more bytes will not help.
 */
int chandata_parse(const uint8_t *buf, size_t len, bool stream, uint16_t *chan,
		   const uint8_t **data, uint16_t *dlen, size_t *consumed)
{
	uint16_t ch, n;
	size_t total;

	if (len < CHANDATA_HDR_LEN)
		return stream ? -EAGAIN : -EBADMSG;
	ch = (uint16_t)(buf[0] << 8 | buf[1]);
	n = (uint16_t)(buf[2] << 8 | buf[3]);
	if (!chan_valid(ch))
		return -EBADMSG;
	if (stream) {
		total = CHANDATA_HDR_LEN + pad4(n);
		if (len < total)
			return -EAGAIN;
	} else {
		total = len;
		if (len < CHANDATA_HDR_LEN + (size_t)n || len - CHANDATA_HDR_LEN - n > 3)
			return -EBADMSG;
	}
	*chan = ch;
	*data = buf + CHANDATA_HDR_LEN;
	*dlen = n;
	if (consumed)
		*consumed = total;
	return 0;
}

/* data may already sit at buf + 4 (in-place framing): it is moved, not copied. */
int chandata_build(uint8_t *buf, size_t cap, uint16_t chan, const uint8_t *data, size_t dlen,
		   bool pad)
{
	size_t total;

	if (!chan_valid(chan) || dlen > UINT16_MAX)
		return -EINVAL;
	total = CHANDATA_HDR_LEN + (pad ? pad4(dlen) : dlen);
	if (total > cap)
		return -ENOSPC;
	if (dlen)
		memmove(buf + CHANDATA_HDR_LEN, data, dlen);
	buf[0] = (uint8_t)(chan >> 8);
	buf[1] = (uint8_t)chan;
	buf[2] = (uint8_t)(dlen >> 8);
	buf[3] = (uint8_t)dlen;
	memset(buf + CHANDATA_HDR_LEN + dlen, 0, total - CHANDATA_HDR_LEN - dlen);
	return (int)total;
}
