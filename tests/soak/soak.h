/* soak.h - the soak test's client binary: its three commands and the helpers they share. */
#ifndef TURND_SOAK_H
#define TURND_SOAK_H

#include <stdint.h>

/* Payload of every ChannelData the client sends (and the peer echoes), SOAK_PKT_LEN bytes. */
#define SOAK_PKT_LEN 64
#define SOAK_PKT_MAGIC 0x534f414bu	/* "SOAK" */

/* Longest run any command accepts, in seconds: every loop is bounded by it. */
#define SOAK_MAX_S (6 * 3600)

/* `soak-client run ...`: the allocations, their refreshes, traffic and vanishing clients. */
int soak_run(int argc, char **argv);
/* `soak-client echo ...`: the peer, echoing every datagram to its sender and counting. */
int soak_echo(int argc, char **argv);
/* `soak-client maps ...`: entries of turnd's pinned maps, and which clients they belong to. */
int soak_maps(int argc, char **argv);

uint64_t soak_now_ms(void);		/* CLOCK_MONOTONIC */
uint64_t soak_epoch_ms(void);		/* CLOCK_REALTIME */
/* Write text to path atomically (path.tmp, then rename). 0 or -errno. */
int soak_write_file(const char *path, const char *text);
/* A decimal option value in [min, max], or -EINVAL (with a message naming opt). */
long long soak_num(const char *opt, const char *s, long long min, long long max);

#endif
