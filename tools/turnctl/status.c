/* status.c - `turnctl status`: the daemon's version, uptime, counts and counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "turnctl.h"

int cmd_status(const struct ctl_opts *o, int argc, char **argv)
{
	char *ans = NULL;
	int err;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: turnctl status\n");
		return CTL_ERR;
	}
	err = ctl_request(o->socket, "{\"cmd\":\"status\"}", &ans);
	if (err) {
		fprintf(stderr, "turnctl: cannot talk to turnd at %s: %s\n", o->socket,
			strerror(-err));
		return CTL_ERR;
	}
	if (!strstr(ans, "\"ok\":true")) {
		fprintf(stderr, "turnctl: turnd answered an error: %s", ans);
		free(ans);
		return CTL_ERR;
	}
	/* the human form is the same JSON for now; `--json` keeps it machine-exact */
	fputs(ans, stdout);
	free(ans);
	return CTL_OK;
}
