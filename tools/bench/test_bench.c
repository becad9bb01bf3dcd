/* test_bench.c - TAP tests of the benchmark's frames, flow file, generator, counter, forwarder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tap.h"
#include "bench.h"
#include "frame.h"
#include "count.skel.h"
#include "fwd.skel.h"
#include "gen.skel.h"

static const struct bench_flow FLOWS[] = {
	{ 20001, 0x4000, 30001, 9000 },
	{ 20002, 0x4001, 30001, 9001 },
	{ 20003, 0x4fff, 30002, 9000 },
};

static struct frame_spec spec(int dir, unsigned size)
{
	struct frame_spec s = { .dir = dir, .dport = 3478, .size = size,
				.smac = { 2, 0, 0, 0, 0, 1 }, .dmac = { 2, 0, 0, 0, 0, 2 } };

	inet_pton(AF_INET, dir == DIR_C2P ? "198.18.1.1" : "198.18.2.1", &s.src);
	inet_pton(AF_INET, dir == DIR_C2P ? "198.18.1.2" : "198.18.2.2", &s.dst);
	return s;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* An independent check of a frame's UDP checksum: the sum over everything folds to zero. */
static int udp_sum_ok(const uint8_t *f, size_t len)
{
	uint8_t ph[4] = { 0, 17, f[38], f[39] };
	uint32_t sum = frame_sum(f + 26, 8, 0);

	sum = frame_sum(ph, 4, sum);
	sum = frame_sum(f + 34, len - 34, sum);
	return frame_fold(sum) == 0;
}

static void test_frames(void)
{
	struct frame_spec s = spec(DIR_C2P, 100);
	uint8_t f[FRAME_MAX];
	struct gen_flow g;
	size_t len;

	len = frame_build(&s, f);
	is_int(len, 14 + 20 + 8 + 4 + 100, "c2p frame length");
	is_int(frame_fold(frame_sum(f + 14, 20, 0)), 0, "c2p IPv4 header checksum verifies");
	is_int(get16(f + 16), 20 + 8 + 4 + 100, "c2p IP total length");
	is_int(get16(f + 38), 8 + 4 + 100, "c2p UDP length");
	is_int(get16(f + 44), 100, "c2p ChannelData length field");
	frame_flow(&s, f, len, &FLOWS[2], &g);
	is_int(get16(f + 34), 20003, "c2p source port is the client's");
	is_int(get16(f + 36), 3478, "c2p destination port is the listener's");
	is_int(get16(f + 42), 0x4fff, "c2p channel");
	ok(udp_sum_ok(f, len), "c2p UDP checksum verifies");
	is_int(ntohs(g.sport), 20003, "c2p flow: sport");
	is_int(ntohs(g.channel), 0x4fff, "c2p flow: channel");
	is_int(g.udp_check, *(uint16_t *)(f + 40), "c2p flow: checksum as on the wire");

	s = spec(DIR_P2C, 64);
	len = frame_build(&s, f);
	is_int(len, 14 + 20 + 8 + 64, "p2c frame length (no ChannelData header)");
	frame_flow(&s, f, len, &FLOWS[1], &g);
	is_int(get16(f + 34), 9001, "p2c source port is the peer's");
	is_int(get16(f + 36), 30001, "p2c destination port is the relayed one");
	ok(udp_sum_ok(f, len), "p2c UDP checksum verifies");
	is_int(g.channel, 0, "p2c flow: no channel");

	s.no_csum = true;
	frame_flow(&s, f, len, &FLOWS[0], &g);
	is_int(g.udp_check, 0, "no_csum: UDP checksum 0");
	is_int(get16(f + 40), 0, "no_csum: 0 on the wire");
}

/* Write text to a temporary file and read it as a flow file. */
static int read_text(const char *text, struct bench_flow *fl, int max)
{
	char path[] = "/tmp/test_bench.XXXXXX";
	int fd = mkstemp(path), n;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	close(fd);
	n = frame_read_flows(path, fl, max);
	unlink(path);
	return n;
}

static void test_flow_file(void)
{
	struct bench_flow fl[8];

	is_int(read_text("# header\n1 2 3 4\n65535 16384 49152 9000\n", fl, 8), 2,
	       "two good lines, the comment skipped");
	ok(fl[1].client_port == 65535 && fl[1].channel == 16384 && fl[1].relay_port == 49152 &&
	   fl[1].peer_port == 9000, "fields in order");
	is_int(read_text(" 1\t2 3 4 \r\n", fl, 8), 1, "blanks, tabs and CRLF accepted");
	is_int(read_text("65536 1 2 3\n", fl, 8), -ENOENT, "a port over 65535 refused");
	is_int(read_text("123456 1 2 3\n", fl, 8), -ENOENT, "six digits refused");
	is_int(read_text("99999999999999999999999 1 2 3\n", fl, 8), -ENOENT, "overflow refused");
	is_int(read_text("1 2 3\n", fl, 8), -ENOENT, "three fields refused");
	is_int(read_text("1 2 3 4 5\n", fl, 8), -ENOENT, "five fields refused");
	is_int(read_text("-1 2 3 4\n", fl, 8), -ENOENT, "a sign refused");
	is_int(read_text("0x10 2 3 4\n", fl, 8), -ENOENT, "hex refused");
	is_int(read_text("1 2 3 4x\n", fl, 8), -ENOENT, "trailing garbage refused");
	is_int(read_text("\n\n", fl, 8), -ENOENT, "empty file: no flows");
	is_int(read_text("1 2 3 4\n5 6 7 8\n9 9 9 9\n", fl, 2), 2, "at most max flows");
	is_int(frame_read_flows("/nonexistent/flows", fl, 8), -ENOENT, "missing file");
}

static void test_macs(void)
{
	uint8_t m[6];

	ok(!frame_parse_mac("aa:BB:0c:dd:ee:ff", m) && m[1] == 0xbb && m[5] == 0xff, "MAC parsed");
	ok(frame_parse_mac("aa:bb:cc:dd:ee", m), "five bytes refused");
	ok(frame_parse_mac("aa:bb:cc:dd:ee:ff:00", m), "seven bytes refused");
	ok(frame_parse_mac("aa:bb:cc:dd:ee:fg", m), "bad hex refused");
	ok(frame_parse_mac("aaa:bb:cc:dd:ee:ff", m), "three digits refused");
	ok(frame_parse_mac("", m), "empty refused");
}

/* The generators' frame options: good values land in the spec, bad ones are refused. */
static void test_spec_opts(void)
{
	static const struct {
		int c;
		const char *arg;
	} bad[] = {
		{ 'm', "c2" }, { 'm', "" }, { 'S', "aa:bb" }, { 'D', "zz:bb:cc:dd:ee:ff" },
		{ 's', "198.18.1" }, { 'd', "::1" }, { 'p', "65536" }, { 'p', "-1" },
		{ 'p', "12x" }, { 'p', "" }, { 'p', " 80" }, { 'l', "99999" },
		{ 'l', "18446744073709551617" }, { 'l', "+64" },
	};
	struct frame_spec sp = { 0 };
	int refused = 0;

	ok(frame_spec_opt('m', "p2c", &sp) == 1 && sp.dir == DIR_P2C &&
	   frame_spec_opt('p', "3478", &sp) == 1 && sp.dport == 3478 &&
	   frame_spec_opt('l', "1400", &sp) == 1 && sp.size == 1400 &&
	   frame_spec_opt('s', "198.18.1.1", &sp) == 1 && sp.src.s_addr == htonl(0xc6120101) &&
	   frame_spec_opt('S', "02:00:00:00:00:01", &sp) == 1 && sp.smac[5] == 1,
	   "frame options: direction, port, size, address, MAC");
	is_int(frame_spec_opt('t', "5", &sp), 0, "frame options: -t is not one of them");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused += frame_spec_opt(bad[i].c, bad[i].arg, &sp) == -EINVAL;
	is_int(refused, (int)(sizeof(bad) / sizeof(bad[0])), "frame options: %d bad values refused",
	       refused);
}

/* One BPF_PROG_TEST_RUN of prog on in (len bytes); out receives the frame. The verdict. */
static int run(int prog, const uint8_t *in, size_t len, uint8_t *out, uint32_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = FRAME_MAX + 64);

	if (bpf_prog_test_run_opts(prog, &o))
		return -errno;
	if (out_len)
		*out_len = o.data_size_out;
	return (int)o.retval;
}

static uint64_t counter(struct count_bpf *skel, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	uint64_t vals[1024] = {}, sum = 0;

	if (ncpu <= 0 || ncpu > 1024 ||
	    bpf_map_lookup_elem(bpf_map__fd(skel->maps.count_stats), &idx, vals))
		return ~0ull;
	for (c = 0; c < ncpu; c++)
		sum += vals[c];
	return sum;
}

/* A p2c frame as a relay delivers it: listener -> client, ChannelData of size bytes. */
static size_t client_frame(uint8_t *f, unsigned size, const char *client)
{
	struct frame_spec s = spec(DIR_C2P, size);
	struct bench_flow fl = { 40000, 0x4001, 0, 0 };
	struct gen_flow g;
	size_t len;

	inet_pton(AF_INET, "198.18.1.2", &s.src);
	inet_pton(AF_INET, client, &s.dst);
	s.dport = 40000;
	fl.client_port = 3478;	/* frame_flow puts client_port in the source port */
	len = frame_build(&s, f);
	frame_flow(&s, f, len, &fl, &g);
	return len;
}

static void test_count_client(void)
{
	struct count_bpf *skel = count_bpf__open();
	uint8_t f[FRAME_MAX], out[FRAME_MAX + 64];
	struct in_addr skip;
	size_t len;
	int prog;

	if (!ok(skel != NULL, "count: open"))
		return;
	inet_pton(AF_INET, "198.18.1.3", &skip);
	skel->rodata->mode = COUNT_CLIENT;
	skel->rodata->src_port = 3478;
	skel->rodata->skip_addr = skip.s_addr;
	if (!ok(!count_bpf__load(skel), "count (client): load")) {
		count_bpf__destroy(skel);
		return;
	}
	prog = bpf_program__fd(skel->progs.count);
	len = client_frame(f, 100, "198.18.1.1");
	is_int(run(prog, f, len, out, NULL), XDP_DROP, "well-framed ChannelData: counted, dropped");
	is_int(counter(skel, COUNT_BYTES), 100, "its data bytes counted");
	f[45] = 97;	/* length 97 in a 100-byte body: 3 bytes of padding */
	is_int(run(prog, f, len, out, NULL), XDP_DROP, "3 bytes of padding accepted");
	f[45] = 96;
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "4 bytes of slack refused");
	f[45] = 101;
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "length beyond the datagram refused");
	f[45] = 100;
	f[42] = 0x00;
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "STUN (first bits 00) passes");
	f[42] = 0x80;
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "first bits 10 pass");
	f[42] = 0x7f;
	is_int(run(prog, f, len, out, NULL), XDP_DROP, "channel 0x7fxx counted");
	f[35] = 0x99;
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "another source port passes");
	len = client_frame(f, 16, "198.18.1.3");
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "the latency probe's address passes");
	len = client_frame(f, 100, "198.18.1.1");
	is_int(run(prog, f, 14 + 20 + 8 + 2, out, NULL), XDP_PASS, "truncated header passes");
	is_int(run(prog, f, 14 + 20 + 4, out, NULL), XDP_PASS, "truncated UDP passes");
	f[38] = 0;
	f[39] = 7;
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "UDP length under 8 passes");
	is_int(counter(skel, COUNT_PKTS), 3, "three counted in all");
	is_int(counter(skel, COUNT_OTHER), 9, "the rest counted as other");
	count_bpf__destroy(skel);
}

static void test_count_peer(void)
{
	struct count_bpf *skel = count_bpf__open();
	struct frame_spec s = spec(DIR_P2C, 64);
	uint8_t f[FRAME_MAX], out[FRAME_MAX + 64];
	struct gen_flow g;
	size_t len;
	int prog;

	if (!ok(skel != NULL, "count: open"))
		return;
	skel->rodata->mode = COUNT_PEER;
	skel->rodata->port_lo = 9000;
	skel->rodata->port_hi = 9005;
	if (!ok(!count_bpf__load(skel), "count (peer): load")) {
		count_bpf__destroy(skel);
		return;
	}
	prog = bpf_program__fd(skel->progs.count);
	len = frame_build(&s, f);
	frame_flow(&s, f, len, &(struct bench_flow){ 1, 2, 9005, 1 }, &g);
	is_int(run(prog, f, len, out, NULL), XDP_DROP, "UDP to the top peer port: counted");
	frame_flow(&s, f, len, &(struct bench_flow){ 1, 2, 9006, 1 }, &g);
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "above the range: passes");
	frame_flow(&s, f, len, &(struct bench_flow){ 1, 2, 7, 1 }, &g);
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "the echo port: passes");
	f[23] = 6;
	is_int(run(prog, f, len, out, NULL), XDP_PASS, "TCP passes");
	is_int(counter(skel, COUNT_PKTS), 1, "one counted");
	is_int(counter(skel, COUNT_BYTES), 64, "its payload bytes");
	count_bpf__destroy(skel);
}

/* The generator (not live: one frame per run) sends the flows in turn, byte for byte. */
static void test_gen(int dir, unsigned out_ifindex)
{
	struct frame_spec s = spec(dir, 128);
	uint8_t tmpl[FRAME_MAX], f[FRAME_MAX], out[FRAME_MAX + 64], junk[FRAME_MAX];
	struct gen_bpf *skel = gen_bpf__open();
	const char *d = dir == DIR_C2P ? "c2p" : "p2c";
	uint32_t i, olen;
	struct gen_flow g;
	size_t len;
	int prog, want = out_ifindex ? XDP_REDIRECT : XDP_TX, good = 0;

	if (!ok(skel != NULL, "gen %s: open", d))
		return;
	s.no_csum = out_ifindex != 0;
	len = frame_build(&s, tmpl);
	memcpy(skel->bss->hdr, tmpl, GEN_HDR_LEN);
	skel->rodata->nflows = 3;
	skel->rodata->dir = (uint32_t)dir;
	skel->rodata->out_ifindex = out_ifindex;
	skel->rodata->frame_len = (uint32_t)len;
	if (!ok(!gen_bpf__load(skel), "gen %s: load", d)) {
		gen_bpf__destroy(skel);
		return;
	}
	prog = bpf_program__fd(skel->progs.gen);
	for (i = 0; i < 3; i++) {
		frame_flow(&s, tmpl, len, &FLOWS[i], &g);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.gen_flows), &i, &g, 0))
			break;
	}
	memset(junk, 0xee, sizeof(junk));	/* a recycled page: stale headers */
	memcpy(junk + GEN_HDR_LEN, tmpl + GEN_HDR_LEN, len - GEN_HDR_LEN);
	for (i = 0; i < 6; i++) {
		memcpy(f, tmpl, len);
		frame_flow(&s, f, len, &FLOWS[i % 3], &g);
		if (run(prog, junk, len, out, &olen) == want && olen == len &&
		    !memcmp(out, f, len) && (s.no_csum || udp_sum_ok(out, len)))
			good++;
	}
	is_int(good, 6, "gen %s%s: six frames, flows in turn, every byte rewritten", d,
	       out_ifindex ? " (shaper)" : "");
	if (out_ifindex)
		is_int(run(prog, junk, len - 1, out, NULL), XDP_PASS,
		       "shaper: a frame of another length passes");
	gen_bpf__destroy(skel);
}

/* The forwarder's p2c rewrite: a ChannelData header in front of the peer's payload. */
static void test_fwd_p2c(void)
{
	struct frame_spec s = spec(DIR_P2C, 64);
	uint8_t f[FRAME_MAX], out[FRAME_MAX + 64];
	struct fwd_bpf *skel = fwd_bpf__open();
	struct gen_flow g;
	uint32_t olen = 0;
	size_t len;

	if (!ok(skel != NULL, "fwd: open"))
		return;
	skel->rodata->dir = DIR_P2C;
	skel->rodata->out_ifindex = 1;
	skel->rodata->sport = htons(3478);
	skel->rodata->dport = htons(40000);
	if (!ok(!fwd_bpf__load(skel), "fwd: load")) {
		fwd_bpf__destroy(skel);
		return;
	}
	len = frame_build(&s, f);
	frame_flow(&s, f, len, &FLOWS[0], &g);
	is_int(run(bpf_program__fd(skel->progs.fwd), f, len, out, &olen), XDP_REDIRECT,
	       "fwd p2c: redirected");
	is_int(olen, len + 4, "4 bytes longer");
	ok(out[42] == 0x40 && out[43] == 0 && get16(out + 44) == 64,
	   "ChannelData 0x4000, length 64");
	is_mem(out + 46, f + 42, 64, "the payload behind it");
	is_int(get16(out + 16), 20 + 8 + 4 + 64, "IP total length");
	is_int(frame_fold(frame_sum(out + 14, 20, 0)), 0, "IP checksum verifies");
	ok(get16(out + 34) == 3478 && get16(out + 36) == 40000, "ports rewritten");
	fwd_bpf__destroy(skel);
}

int main(void)
{
	struct count_bpf *probe;

	test_frames();
	test_flow_file();
	test_macs();
	test_spec_opts();
	libbpf_set_print(NULL);
	probe = count_bpf__open_and_load();
	if (!probe) {
		diag("skip: the BPF tests need CAP_BPF (run as root)");
		return done_testing();
	}
	count_bpf__destroy(probe);
	test_count_client();
	test_count_peer();
	test_gen(DIR_C2P, 0);
	test_gen(DIR_P2C, 0);
	test_gen(DIR_C2P, 1);
	test_fwd_p2c();
	return done_testing();
}
