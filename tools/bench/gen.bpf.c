/* gen.bpf.c - live-frames packet generator: rewrites a whole ChannelData frame, then XDP_TX. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

/*
 * Run with BPF_F_TEST_XDP_LIVE_FRAMES. Pages are recycled without being reset and the relay
 * downstream rewrites the first GEN_HDR_LEN bytes, so every header byte is written on every
 * run: the template, then the flow's source port, channel and UDP checksum. The payload
 * behind the header is never touched downstream (the relay strips 4 bytes in front of it).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GEN_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct gen_flow);
} gen_flows SEC(".maps");

const volatile __u32 nflows = 1;
__u8 hdr[GEN_HDR_ROOM] __attribute__((aligned(8)));
__u32 seq;

SEC("xdp")
int gen(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	struct gen_flow *f;
	__u32 i = seq;

	if (data + GEN_HDR_LEN > end)
		return XDP_ABORTED;
	seq = i + 1 >= nflows ? 0 : i + 1;
	f = bpf_map_lookup_elem(&gen_flows, &i);
	if (!f)
		return XDP_ABORTED;
	__builtin_memcpy(data, hdr, GEN_HDR_LEN);
	*(__be16 *)(data + 34) = f->sport;
	*(__u16 *)(data + 40) = f->udp_check;
	*(__be16 *)(data + 42) = f->channel;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
