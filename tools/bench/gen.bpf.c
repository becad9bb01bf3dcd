/* gen.bpf.c - packet generator: rewrites a whole frame to the next flow's, then sends it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

/*
 * Two uses. Live frames (BPF_F_TEST_XDP_LIVE_FRAMES, out_ifindex 0): XDP_TX. Pages are
 * recycled without being reset and the relay downstream rewrites the first GEN_HDR_LEN bytes,
 * so every header byte is written on every run: the template, then the flow's ports, UDP
 * checksum and (c2p) channel. The payload behind the header is never touched downstream
 * (c2p: the relay strips the 4 bytes in front of it; p2c: it writes 4 bytes in front of the
 * frame). Shaper (attached to the veth end that kernel pktgen sends into, out_ifindex set):
 * a frame of exactly frame_len bytes gets the same header and is redirected to out_ifindex;
 * its payload is pktgen's, so the flows carry UDP checksum 0. Other frames pass.
 * At a fixed rate (gap_ns set, live frames only), a run that comes before the next packet is
 * due drops its frame instead: the pacing is per packet, not per call.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GEN_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct gen_flow);
} gen_flows SEC(".maps");

const volatile __u32 nflows = 1;
const volatile __u32 dir = DIR_C2P;
const volatile __u32 out_ifindex = 0;
const volatile __u32 frame_len = 0;	/* shaper: the length of pktgen's frames */
const volatile __u64 gap_ns = 0;	/* fixed rate: ns between packets; 0: full speed */
__u8 hdr[GEN_HDR_ROOM] __attribute__((aligned(8)));
__u32 seq;
__u64 sent;		/* frames sent (or redirected) */
__u64 next_ns;		/* fixed rate: when the next packet is due */

SEC("xdp")
int gen(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
	struct gen_flow *f;
	__u32 i = seq;
	__u64 now;

	if (data + GEN_HDR_LEN > end)
		return out_ifindex ? XDP_PASS : XDP_ABORTED;
	if (out_ifindex && (__u32)(end - data) != frame_len)
		return XDP_PASS;
	if (gap_ns) {
		now = bpf_ktime_get_ns();
		if (now < next_ns)
			return XDP_DROP;
		/* more than 1 ms behind (a preemption): no catch-up burst */
		next_ns = next_ns + gap_ns + 1000000 < now ? now + gap_ns : next_ns + gap_ns;
	}
	seq = i + 1 >= nflows ? 0 : i + 1;
	f = bpf_map_lookup_elem(&gen_flows, &i);
	if (!f)
		return XDP_ABORTED;
	__builtin_memcpy(data, hdr, GEN_HDR_LEN);
	*(__be16 *)(data + 34) = f->sport;
	*(__be16 *)(data + 36) = f->dport;
	*(__u16 *)(data + 40) = f->udp_check;
	if (dir == DIR_C2P)
		*(__be16 *)(data + 42) = f->channel;
	sent++;
	return out_ifindex ? bpf_redirect(out_ifindex, 0) : XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
