/* count.c - attach the benchmark's counting XDP program (or the trivial forwarder), read it. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "count.skel.h"
#include "fwd.skel.h"

/*
 * turnbench-count attach DEV peer PORT_LO PORT_HI | attach DEV client SRC_PORT SKIP_IP:
 * count.bpf.c on DEV in native mode (netlink attach: it stays when this process exits, and
 * goes with the device or its namespace), counting what reaches the peer or the client.
 * turnbench-count read DEV: "pkts bytes other" summed over CPUs, from the program on DEV.
 * turnbench-count fwd DEV OUT_DEV SMAC DMAC SRC_IP DST_IP SPORT DPORT c2p|p2c: the trivial
 * forwarder.
 */

static int ifindex_of(const char *dev)
{
	int i = (int)if_nametoindex(dev);

	if (!i)
		fprintf(stderr, "turnbench-count: no interface %s: %s\n", dev, strerror(errno));
	return i;
}

/* Settings of the counter from "peer PORT_LO PORT_HI" or "client SRC_PORT SKIP_IP". */
static int count_settings(struct count_bpf *skel, char **a)
{
	struct in_addr skip;

	if (!strcmp(a[0], "peer")) {
		skel->rodata->mode = COUNT_PEER;
		skel->rodata->port_lo = (uint16_t)atoi(a[1]);
		skel->rodata->port_hi = (uint16_t)atoi(a[2]);
		return 0;
	}
	if (!strcmp(a[0], "client") && inet_pton(AF_INET, a[2], &skip) == 1) {
		skel->rodata->mode = COUNT_CLIENT;
		skel->rodata->src_port = (uint16_t)atoi(a[1]);
		skel->rodata->skip_addr = skip.s_addr;
		return 0;
	}
	fprintf(stderr, "turnbench-count: expected \"peer PORT_LO PORT_HI\" or \"client SRC_PORT "
		"SKIP_IP\"\n");
	return -EINVAL;
}

static int cmd_attach(const char *dev, char **a)
{
	struct count_bpf *skel;
	int ifindex = ifindex_of(dev), err = 1;

	if (!ifindex)
		return 1;
	skel = count_bpf__open();
	if (!skel)
		return 1;
	if (count_settings(skel, a) || count_bpf__load(skel))
		goto out;
	if (bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.count), XDP_FLAGS_DRV_MODE,
			   NULL)) {
		fprintf(stderr, "turnbench-count: attach to %s (native) failed: %s\n", dev,
			strerror(errno));
		goto out;
	}
	err = 0;
out:
	count_bpf__destroy(skel);
	return err;
}

/* The fd of the map named count_stats used by the native XDP program on ifindex, or -1. */
static int stats_map(int ifindex)
{
	struct bpf_prog_info info = {};
	struct bpf_map_info minfo;
	uint32_t len = sizeof(info), ids[8] = {}, i, mlen;
	int prog_fd, fd;
	__u32 prog_id = 0;

	if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &prog_id) || !prog_id)
		return -1;
	prog_fd = bpf_prog_get_fd_by_id(prog_id);
	if (prog_fd < 0)
		return -1;
	info.nr_map_ids = 8;
	info.map_ids = (uint64_t)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		info.nr_map_ids = 0;
	close(prog_fd);
	for (i = 0; i < info.nr_map_ids && i < 8; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&minfo, 0, sizeof(minfo));
		mlen = sizeof(minfo);
		if (!bpf_obj_get_info_by_fd(fd, &minfo, &mlen) &&
		    !strcmp(minfo.name, "count_stats"))
			return fd;
		close(fd);
	}
	return -1;
}

/* Print "pkts bytes other", summed over CPUs, of the counting program on dev. */
static int cmd_read(const char *dev)
{
	int ifindex = ifindex_of(dev), map_fd, ncpu, c;
	uint64_t sums[COUNT_NR] = {}, *vals;
	uint32_t key;

	map_fd = ifindex ? stats_map(ifindex) : -1;
	if (map_fd < 0) {
		fprintf(stderr, "turnbench-count: no counting XDP program on %s\n", dev);
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	vals = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*vals)) : NULL;
	if (!vals) {
		close(map_fd);
		return 1;
	}
	for (key = 0; key < COUNT_NR; key++) {
		if (bpf_map_lookup_elem(map_fd, &key, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			sums[key] += vals[c];
	}
	free(vals);
	close(map_fd);
	printf("%llu %llu %llu\n", (unsigned long long)sums[COUNT_PKTS],
	       (unsigned long long)sums[COUNT_BYTES], (unsigned long long)sums[COUNT_OTHER]);
	return 0;
}

static int parse_mac(const char *s, volatile uint8_t *mac)
{
	uint8_t m[6];
	int i;

	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = m[i];
	return 0;
}

static int cmd_fwd(char **a)
{
	struct fwd_bpf *skel;
	int ifindex = ifindex_of(a[0]), out = ifindex_of(a[1]), err = 1;
	struct in_addr src, dst;

	if (!ifindex || !out || inet_pton(AF_INET, a[4], &src) != 1 ||
	    inet_pton(AF_INET, a[5], &dst) != 1 || (strcmp(a[8], "c2p") && strcmp(a[8], "p2c")))
		return 1;
	skel = fwd_bpf__open();
	if (!skel)
		return 1;
	if (parse_mac(a[2], skel->rodata->smac) || parse_mac(a[3], skel->rodata->dmac))
		goto out;
	skel->rodata->saddr = src.s_addr;
	skel->rodata->daddr = dst.s_addr;
	skel->rodata->sport = htons((uint16_t)atoi(a[6]));
	skel->rodata->dport = htons((uint16_t)atoi(a[7]));
	skel->rodata->out_ifindex = (uint32_t)out;
	skel->rodata->dir = strcmp(a[8], "c2p") ? DIR_P2C : DIR_C2P;
	if (fwd_bpf__load(skel))
		goto out;
	if (bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.fwd), XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "turnbench-count: attach fwd to %s failed: %s\n", a[0],
			strerror(errno));
		goto out;
	}
	err = 0;
out:
	fwd_bpf__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "attach"))
		return cmd_attach(argv[2], argv + 3);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return cmd_read(argv[2]);
	if (argc == 11 && !strcmp(argv[1], "fwd"))
		return cmd_fwd(argv + 2);
	fprintf(stderr, "usage: turnbench-count attach DEV peer PORT_LO PORT_HI |\n"
		"       attach DEV client SRC_PORT SKIP_IP | read DEV |\n"
		"       fwd DEV OUT_DEV SMAC DMAC SRC_IP DST_IP SPORT DPORT c2p|p2c\n");
	return 2;
}
