/* test_rcvbuf.c - datagrams the kernel drops for a full receive buffer are counted (SO_RXQ_OVFL). */
#include "tap.h"
#include "udp_rig.h"

#define FLOOD 50000		/* far more than the listener's 8 MB receive buffer holds */
#define SENDERS 4		/* the kernel counts per socket: several sources, one listener */

/* n junk datagrams (first byte 0xFF: neither STUN nor ChannelData), the loop not running. */
static void flood(const sockaddr_u *to, int n)
{
	static const uint8_t junk[64] = { 0xff };
	int fds[SENDERS];

	for (int i = 0; i < SENDERS; i++)
		fds[i] = udp_bound("127.0.0.1:0");
	for (int i = 0; i < n; i++)
		if (sendto(fds[i % SENDERS], junk, sizeof(junk), 0, &to->sa, addr_len(to)) < 0)
			diag("sendto: %s", strerror(errno));
	for (int i = 0; i < SENDERS; i++)
		close(fds[i]);
}

int main(void)
{
	sockaddr_u listen = free_addr();
	struct peer_policy pol = { 0 };
	const struct turn_stats *st;
	struct auth *auth = auth_new("example.org", 600);
	struct rig r;
	uint64_t seen = 0, dropped;

	if (rig_up(&r, &listen, auth, &pol, 1))
		die("rig_up");
	flood(&listen, FLOOD);
	/*
	 * Drain: each datagram read is a malformed drop. The kernel stamps its drop count on
	 * datagrams queued after the drops, so one more datagram, once the queue has room,
	 * brings the count along.
	 */
	for (int i = 0; i < 300 && seen < FLOOD + 1; i++) {
		rig_pump(&r, 10);
		if (i == 100)
			flood(&listen, 1);
		st = turn_get_stats(r.turn);
		seen = st->drops[DROP_MALFORMED] + st->drops[DROP_RCVBUF];
	}
	st = turn_get_stats(r.turn);
	dropped = st->drops[DROP_RCVBUF];
	ok(st->drops[DROP_MALFORMED] > 1 && st->drops[DROP_MALFORMED] < FLOOD,
	   "the daemon read part of the flood (%llu)",
	   (unsigned long long)st->drops[DROP_MALFORMED]);
	ok(dropped > 0, "the kernel dropped the rest, and the daemon counted it (%llu)",
	   (unsigned long long)dropped);
	is_int(st->drops[DROP_MALFORMED] + dropped, FLOOD + 1,
	       "read + dropped for a full buffer = sent: no drop goes uncounted");
	rig_down(&r);
	auth_free(auth);
	return done_testing();
}
