/* turnctl.c - turnctl: the operator's CLI for a running turnd; a table of subcommands. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "turnctl.h"

static const struct ctl_cmd cmds[] = {
	{ "status", cmd_status, "version, uptime, allocation counts, relayed packets, drops" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: turnctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		   "  -s, --socket PATH  turnd's control socket (default /run/turnd/turnd.sock)\n"
		   "  --json             print machine-readable JSON\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl_opts o = { .socket = "/run/turnd/turnd.sock" };
	int c;

	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.socket = optarg; break;
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return CTL_OK;
		default: usage(stderr); return CTL_ERR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_ERR;
	}
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return CTL_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			return cmds[i].fn(&o, argc - optind, argv + optind);
	fprintf(stderr, "turnctl: unknown command '%s' (try turnctl --help)\n", argv[optind]);
	return CTL_ERR;
}
