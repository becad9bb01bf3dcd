/* allocations.c - `turnctl allocations` (a table of the live ones) and `allocation ID` (one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "turnctl.h"

/* "a,b" from array path (the relayed addresses). */
static void join(const struct jdoc *d, const char *path, char *out, size_t cap)
{
	size_t n = jdoc_count(d, path), len = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && len < cap; i++) {
		int k = snprintf(out + len, cap - len, "%s%s", i ? "," : "",
				 jdoc_get(d, "%s.%zu", path, i) ?: "?");

		len += k > 0 ? (size_t)k : 0;
	}
	if (!n)
		snprintf(out, cap, "-");
}

static unsigned long long num(const struct jdoc *d, const char *fmt, size_t i, const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), fmt, i, key);
	return jdoc_num(d, path);
}

struct row {
	unsigned long long id;
	size_t i;
};

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void print_row(const struct jdoc *d, size_t i)
{
	static const char *const fmt = "allocations.%zu.%s";
	char relayed[256], path[64];

	snprintf(path, sizeof(path), "allocations.%zu.relayed", i);
	join(d, path, relayed, sizeof(relayed));
	printf("%-18llu %-12s %-22s %-22s %5llu %5llu %6llu %-9s %9llu %11llu %9llu %11llu\n",
	       num(d, fmt, i, "id"), jdoc_get(d, "allocations.%zu.user", i) ?: "?",
	       jdoc_get(d, "allocations.%zu.client", i) ?: "?", relayed,
	       num(d, fmt, i, "permissions"), num(d, fmt, i, "channels"),
	       num(d, fmt, i, "lifetime_left"), jdoc_get(d, "allocations.%zu.path", i) ?: "?",
	       num(d, fmt, i, "pkts_c2p"), num(d, fmt, i, "bytes_c2p"), num(d, fmt, i, "pkts_p2c"),
	       num(d, fmt, i, "bytes_p2c"));
}

/* One row per allocation, by id. */
static void print_table(const struct jdoc *d)
{
	size_t n = jdoc_count(d, "allocations");
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	const char *t = jdoc_get(d, "truncated");

	printf("%-18s %-12s %-22s %-22s %5s %5s %6s %-9s %9s %11s %9s %11s\n", "ID", "USER",
	       "CLIENT", "RELAYED", "PERMS", "CHANS", "LEFT", "PATH", "C2P_PKTS", "C2P_BYTES",
	       "P2C_PKTS", "P2C_BYTES");
	for (size_t i = 0; rows && i < n; i++)
		rows[i] = (struct row){ num(d, "allocations.%zu.%s", i, "id"), i };
	if (rows)
		qsort(rows, n, sizeof(*rows), cmp_row);
	for (size_t i = 0; i < n; i++)
		print_row(d, rows ? rows[i].i : i);
	free(rows);
	printf("%zu allocation%s%s\n", n, n == 1 ? "" : "s",
	       t && !strcmp(t, "true") ? " (list cut short: too many for one answer)" : "");
}

int cmd_allocations(const struct ctl_opts *o, int argc, char **argv)
{
	struct jdoc d;
	int st;

	if (argc > 1)
		return ctl_usage(argv[0]);
	st = ctl_call(o, "{\"cmd\":\"allocations\"}", &d);
	if (st)
		return st;
	if (!o->json)
		print_table(&d);
	jdoc_free(&d);
	return CTL_OK;
}

static void print_one(const struct jdoc *d)
{
	size_t np = jdoc_count(d, "allocation.permissions"),
	       nc = jdoc_count(d, "allocation.channels");
	char relayed[256];

	join(d, "allocation.relayed", relayed, sizeof(relayed));
	printf("allocation %llu\n", jdoc_num(d, "allocation.id"));
	printf("  user:        %s\n", jdoc_get(d, "allocation.user") ?: "?");
	printf("  client:      %s (to %s)\n", jdoc_get(d, "allocation.client") ?: "?",
	       jdoc_get(d, "allocation.server") ?: "?");
	printf("  relayed:     %s\n", relayed);
	printf("  lifetime:    %llu s left\n", jdoc_num(d, "allocation.lifetime_left"));
	printf("  path:        %s\n", jdoc_get(d, "allocation.path") ?: "?");
	printf("  client->peer %llu pkts %llu bytes (kernel %llu pkts)\n",
	       jdoc_num(d, "allocation.pkts_c2p"), jdoc_num(d, "allocation.bytes_c2p"),
	       jdoc_num(d, "allocation.kernel.pkts_c2p"));
	printf("  peer->client %llu pkts %llu bytes (kernel %llu pkts)\n",
	       jdoc_num(d, "allocation.pkts_p2c"), jdoc_num(d, "allocation.bytes_p2c"),
	       jdoc_num(d, "allocation.kernel.pkts_p2c"));
	printf("  permissions: %zu\n", np);
	for (size_t i = 0; i < np; i++)
		printf("    %-40s expires in %s s\n",
		       jdoc_get(d, "allocation.permissions.%zu.peer", i) ?: "?",
		       jdoc_get(d, "allocation.permissions.%zu.expires_in", i) ?: "?");
	printf("  channels:    %zu\n", nc);
	for (size_t i = 0; i < nc; i++)
		printf("    0x%04llx %-40s expires in %s s\n",
		       num(d, "allocation.channels.%zu.%s", i, "number"),
		       jdoc_get(d, "allocation.channels.%zu.peer", i) ?: "?",
		       jdoc_get(d, "allocation.channels.%zu.expires_in", i) ?: "?");
}

int cmd_allocation(const struct ctl_opts *o, int argc, char **argv)
{
	unsigned long long id = 0;
	char req[128], end;
	struct jdoc d;
	int st;

	if (argc != 2 || sscanf(argv[1], "%llu%c", &id, &end) != 1 || !id || argv[1][0] == '-') {
		if (argc == 2)
			fprintf(stderr, "turnctl: '%s' is not an allocation id\n", argv[1]);
		return ctl_usage(argv[0]);
	}
	snprintf(req, sizeof(req), "{\"cmd\":\"allocation\",\"id\":%llu}", id);
	st = ctl_call(o, req, &d);
	if (st)
		return st;
	if (!o->json)
		print_one(&d);
	jdoc_free(&d);
	return CTL_OK;
}
