/* frame.c - the generators' frames: template, per-flow fields and checksums, the flow file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "frame.h"

/* Offsets in an untagged Ethernet + IPv4 (no options) + UDP frame. */
enum {
	OFF_IP = 14, OFF_IP_LEN = 16, OFF_IP_CHECK = 24, OFF_SADDR = 26,
	OFF_UDP = 34, OFF_DPORT = 36, OFF_UDP_LEN = 38, OFF_UDP_CHECK = 40, OFF_DATA = 42,
};

uint32_t frame_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t frame_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t frame_build(const struct frame_spec *s, uint8_t f[FRAME_MAX])
{
	size_t hdr = s->dir == DIR_C2P ? 4 : 0;
	size_t udp_len = 8 + hdr + s->size, ip_len = 20 + udp_len, i;

	memset(f, 0, FRAME_MAX);
	memcpy(f, s->dmac, 6);
	memcpy(f + 6, s->smac, 6);
	put16(f + 12, 0x0800);
	f[OFF_IP] = 0x45;
	put16(f + OFF_IP_LEN, (unsigned)ip_len);
	f[OFF_IP + 8] = 64;		/* TTL */
	f[OFF_IP + 9] = 17;		/* UDP */
	memcpy(f + OFF_SADDR, &s->src, 4);
	memcpy(f + OFF_SADDR + 4, &s->dst, 4);
	put16(f + OFF_IP_CHECK, frame_fold(frame_sum(f + OFF_IP, 20, 0)));
	put16(f + OFF_DPORT, s->dport);
	put16(f + OFF_UDP_LEN, (unsigned)udp_len);
	if (s->dir == DIR_C2P)
		put16(f + OFF_DATA + 2, s->size);	/* ChannelData length */
	for (i = 0; i < s->size; i++)
		f[OFF_DATA + hdr + i] = (uint8_t)(i * 7 + 1);
	return 14 + ip_len;
}

void frame_flow(const struct frame_spec *s, uint8_t *f, size_t len, const struct bench_flow *in,
		struct gen_flow *out)
{
	uint16_t sport, dport, check = 0;
	uint8_t ph[4];
	uint32_t sum;

	sport = s->dir == DIR_C2P ? in->client_port : in->peer_port;
	dport = s->dir == DIR_C2P ? s->dport : in->relay_port;
	put16(f + OFF_UDP, sport);
	put16(f + OFF_DPORT, dport);
	if (s->dir == DIR_C2P)
		put16(f + OFF_DATA, in->channel);
	put16(f + OFF_UDP_CHECK, 0);
	if (!s->no_csum) {
		ph[0] = 0;
		ph[1] = 17;
		memcpy(ph + 2, f + OFF_UDP_LEN, 2);
		sum = frame_sum(f + OFF_SADDR, 8, 0);
		sum = frame_sum(ph, 4, sum);
		sum = frame_sum(f + OFF_UDP, len - OFF_UDP, sum);
		check = frame_fold(sum);
		if (!check)
			check = 0xffff;
	}
	put16(f + OFF_UDP_CHECK, check);
	out->sport = htons(sport);
	out->dport = htons(dport);
	out->channel = htons(s->dir == DIR_C2P ? in->channel : 0);
	out->udp_check = htons(check);
}

/* One line: four numbers, each at most 65535. 0, or -EINVAL (comments, garbage). */
static int parse_line(const char *line, struct bench_flow *fl)
{
	uint16_t v[4];
	unsigned long x;
	char *end;
	int i;

	for (i = 0; i < 4; i++) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line < '0' || *line > '9')
			return -EINVAL;
		errno = 0;
		x = strtoul(line, &end, 10);
		if (errno || x > 65535 || end - line > 5)
			return -EINVAL;
		v[i] = (uint16_t)x;
		line = end;
	}
	while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\n')
		line++;
	if (*line)
		return -EINVAL;
	fl->client_port = v[0];
	fl->channel = v[1];
	fl->relay_port = v[2];
	fl->peer_port = v[3];
	return 0;
}

int frame_read_flows(const char *path, struct bench_flow *flows, int max)
{
	FILE *fp = fopen(path, "r");
	char line[128];
	int n = 0, err;

	if (!fp) {
		err = -errno;
		fprintf(stderr, "turnbench: cannot open the flow file %s: %s\n", path,
			strerror(errno));
		return err;
	}
	while (n < max && fgets(line, sizeof(line), fp))
		if (!parse_line(line, &flows[n]))
			n++;
	fclose(fp);
	return n ? n : -ENOENT;
}

/* A whole decimal number in 0..max into *out: 0 or -EINVAL. */
static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno && *out <= max ? 0 : -EINVAL;
}

int frame_spec_opt(int c, const char *arg, struct frame_spec *s)
{
	unsigned long v;
	int bad = 0;

	switch (c) {
	case 'm':
		if (strcmp(arg, "c2p") && strcmp(arg, "p2c"))
			return -EINVAL;
		s->dir = strcmp(arg, "c2p") ? DIR_P2C : DIR_C2P;
		return 1;
	case 'S': bad = frame_parse_mac(arg, s->smac); break;
	case 'D': bad = frame_parse_mac(arg, s->dmac); break;
	case 's': bad = inet_pton(AF_INET, arg, &s->src) != 1; break;
	case 'd': bad = inet_pton(AF_INET, arg, &s->dst) != 1; break;
	case 'p':
		bad = parse_num(arg, 65535, &v);
		s->dport = (uint16_t)v;
		break;
	case 'l':
		bad = parse_num(arg, FRAME_SIZE_MAX, &v);
		s->size = (unsigned)v;
		break;
	default:
		return 0;
	}
	return bad ? -EINVAL : 1;
}

int frame_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	int i, end = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
		   &end) != 6 || s[end] != '\0')
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}
