/* turnctl.c - turnctl: the operator's CLI for a running turnd; a table of subcommands. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "turnctl.h"

static const struct ctl_cmd cmds[] = {
	{ "status", cmd_status, "version, uptime, allocation counts, relayed packets, drops", "" },
	{ "allocations", cmd_allocations, "list the live allocations", "" },
	{ "allocation", cmd_allocation, "one allocation in full: permissions and channels", "ID" },
	{ "kill", cmd_kill, "end allocation ID now, or every allocation of user NAME",
	  "ID | --user NAME" },
	{ "reload", cmd_reload, "re-read the configuration, as SIGHUP does", "" },
	{ "users", cmd_users, "list, add, delete users of auth.users_file, or change a password",
	  "list | add NAME | del NAME | passwd NAME  (password on stdin)" },
	{ "secret", cmd_secret, "print auth.secret, or replace it by a new random one",
	  "show | rotate" },
	{ "top", cmd_top, "the allocations by packet rate, refreshed every second",
	  "[--count N]" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct ctl_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: turnctl [-s SOCKET] [-c CONFIG] [--json] COMMAND [ARGS]\n"
		   "  -s, --socket PATH  turnd's control socket (default /run/turnd/turnd.sock,\n"
		   "                     or control.socket of CONFIG for users and secret)\n"
		   "  -c, --config FILE  turnd's configuration (default /etc/turnd/turnd.conf),\n"
		   "                     read and edited by users and secret\n"
		   "  --json             print turnd's answer as JSON\n"
		   "exit status: 0 ok, 1 not found, 2 usage or connection error\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "  %-12s %s\n", "help", "help [COMMAND]: this text, or a command's usage");
}

int ctl_usage(const char *name)
{
	const struct ctl_cmd *c = find_cmd(name);

	if (c)
		fprintf(stderr, "usage: turnctl [-s SOCKET] [-c CONFIG] [--json] %s%s%s\n", c->name,
			*c->usage ? " " : "", c->usage);
	return CTL_ERR;
}

static int help(int argc, char **argv)
{
	const struct ctl_cmd *c;

	if (argc < 2) {
		usage(stdout);
		return CTL_OK;
	}
	c = find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "turnctl: unknown command '%s' (try turnctl help)\n", argv[1]);
		return CTL_ERR;
	}
	printf("usage: turnctl [-s SOCKET] [-c CONFIG] [--json] %s%s%s\n  %s\n", c->name,
	       *c->usage ? " " : "", c->usage, c->help);
	return CTL_OK;
}

/* Take --json out of a command's own arguments too (turnctl allocations --json). */
static int strip_json(struct ctl_opts *o, int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (i && !strcmp(argv[i], "--json"))
			o->json = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl_opts o = {
		.socket = "/run/turnd/turnd.sock",
		.config = "/etc/turnd/turnd.conf",
	};
	const struct ctl_cmd *cmd;
	int c, n;

	while ((c = getopt_long(argc, argv, "+s:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': o.socket = optarg; o.socket_set = true; break;
		case 'c': o.config = optarg; break;
		case 'j': o.json = true; break;
		case 'h': usage(stdout); return CTL_OK;
		default: usage(stderr); return CTL_ERR;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_ERR;
	}
	if (!strcmp(argv[optind], "help"))
		return help(argc - optind, argv + optind);
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "turnctl: unknown command '%s' (try turnctl help)\n", argv[optind]);
		return CTL_ERR;
	}
	n = strip_json(&o, argc - optind, argv + optind);
	return cmd->fn(&o, n, argv + optind);
}
