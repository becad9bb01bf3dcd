/* status.c - `turnctl status`: the daemon's version, uptime, counts and counters. */
#include <stdio.h>
#include <string.h>

#include "turnctl.h"

/* Every scalar under prefix as " key=value", on one line. */
static void print_group(const struct jdoc *d, const char *prefix)
{
	size_t len = strlen(prefix);

	for (size_t i = 0; i < d->n; i++)
		if (!strncmp(d->e[i].path, prefix, len) && d->e[i].path[len] == '.')
			printf(" %s=%s", d->e[i].path + len + 1, d->e[i].val);
	printf("\n");
}

static void print_signaling(const struct jdoc *d)
{
	if (!jdoc_get(d, "signaling.connections"))
		return;
	printf("signaling: %llu connections, %llu websockets, %llu rooms, %llu members; "
	       "%llu upgrades, %llu signals\n", jdoc_num(d, "signaling.connections"),
	       jdoc_num(d, "signaling.websockets"), jdoc_num(d, "signaling.rooms"),
	       jdoc_num(d, "signaling.members"), jdoc_num(d, "signaling.upgrades"),
	       jdoc_num(d, "signaling.signals"));
	printf("  refused %llu, http errors %llu, protocol errors %llu, timeouts %llu, "
	       "tls failures %llu, message errors %llu\n", jdoc_num(d, "signaling.refused"),
	       jdoc_num(d, "signaling.http_errors"), jdoc_num(d, "signaling.protocol_errors"),
	       jdoc_num(d, "signaling.timeouts"), jdoc_num(d, "signaling.tls_failures"),
	       jdoc_num(d, "signaling.errors"));
}

static void print_status(const struct jdoc *d)
{
	unsigned long long up = jdoc_num(d, "uptime_s");
	const char *en = jdoc_get(d, "xdp.enabled");
	size_t nif = jdoc_count(d, "xdp.interfaces");

	printf("turnd %s, up %llud %02lluh%02llum%02llus\n", jdoc_get(d, "version") ?: "?",
	       up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
	printf("listeners:");
	for (size_t i = 0; i < jdoc_count(d, "listeners"); i++)
		printf(" %s", jdoc_get(d, "listeners.%zu", i));
	printf("\n");
	printf("allocations: %llu live, %llu created, %llu expired; %llu permissions, "
	       "%llu channels\n", jdoc_num(d, "allocations"), jdoc_num(d, "allocations_created"),
	       jdoc_num(d, "allocations_expired"), jdoc_num(d, "permissions"),
	       jdoc_num(d, "channels"));
	printf("requests: %llu, auth failures: %llu\n", jdoc_num(d, "requests"),
	       jdoc_num(d, "auth_failures"));
	printf("userspace: client->peer %llu pkts %llu bytes, peer->client %llu pkts %llu bytes\n",
	       jdoc_num(d, "userspace.pkts_c2p"), jdoc_num(d, "userspace.bytes_c2p"),
	       jdoc_num(d, "userspace.pkts_p2c"), jdoc_num(d, "userspace.bytes_p2c"));
	printf("drops:");
	print_group(d, "drops");
	printf("limits hit:");
	print_group(d, "limits");
	printf("xdp: %s\n", en && !strcmp(en, "true") ? "on" : "off (relaying in userspace)");
	for (size_t i = 0; i < nif; i++)
		printf("  %s\n", jdoc_get(d, "xdp.interfaces.%zu", i));
	if (en && !strcmp(en, "true")) {
		printf("  counters:");
		print_group(d, "xdp.counters");
		printf("kernel: client->peer %llu pkts %llu bytes, peer->client %llu pkts %llu bytes\n",
		       jdoc_num(d, "xdp.relayed.pkts_c2p"), jdoc_num(d, "xdp.relayed.bytes_c2p"),
		       jdoc_num(d, "xdp.relayed.pkts_p2c"), jdoc_num(d, "xdp.relayed.bytes_p2c"));
	}
}

int cmd_status(const struct ctl_opts *o, int argc, char **argv)
{
	struct jdoc d;
	int st;

	if (argc > 1)
		return ctl_usage(argv[0]);
	st = ctl_call(o, "{\"cmd\":\"status\"}", &d);
	if (st)
		return st;
	if (!o->json) {
		print_status(&d);
		print_signaling(&d);
	}
	jdoc_free(&d);
	return CTL_OK;
}
