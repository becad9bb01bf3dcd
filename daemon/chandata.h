/* chandata.h - TURN ChannelData framing (RFC 8656 12.4) and RFC 7983 first-byte demux. No I/O. */
#ifndef TURND_CHANDATA_H
#define TURND_CHANDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAN_MIN 0x4000
#define CHAN_MAX 0x4FFF		/* RFC 8656 */
#define CHAN_MAX_LEGACY 0x7FFE	/* RFC 5766, still used by coturn's clients */
#define CHANDATA_HDR_LEN 4

enum demux_kind { DEMUX_STUN, DEMUX_CHANDATA, DEMUX_OTHER };

/*
 * RFC 7983: first byte 0-3 STUN, 64-79 ChannelData (TURN). 80-127 is ChannelData too:
 * RFC 5766 channels 0x5000-0x7FFE, which coturn's clients still pick; a TURN listener
 * carries nothing else in that range. Everything else is other.
 */
enum demux_kind demux_first_byte(uint8_t b);

/* A channel number that may appear on the wire (either RFC's range). */
static inline bool chan_valid(uint16_t ch)
{
	return ch >= CHAN_MIN && ch <= CHAN_MAX_LEGACY;
}

/* A number RFC 8656 lets a client bind. */
static inline bool chan_valid_strict(uint16_t ch)
{
	return ch >= CHAN_MIN && ch <= CHAN_MAX;
}

/*
 * Parse one ChannelData message at the start of buf. Over UDP (stream=false) the
 * datagram may hold the header, `length` bytes of data and up to 3 bytes of padding;
 * anything else is -EBADMSG. Over a stream (stream=true) the message is padded to 4 and
 * *consumed gets header + length + padding; -EAGAIN when more bytes are needed.
 * A channel number outside 0x4000-0x7FFE is -EBADMSG.
 */
int chandata_parse(const uint8_t *buf, size_t len, bool stream, uint16_t *chan,
		   const uint8_t **data, uint16_t *dlen, size_t *consumed);

/*
 * Write a ChannelData message (header then data, padded to 4 when pad is set) into buf.
 * Returns its length, or -ENOSPC, or -EINVAL for a bad channel or dlen > 65535.
 */
int chandata_build(uint8_t *buf, size_t cap, uint16_t chan, const uint8_t *data, size_t dlen,
		   bool pad);

#endif
