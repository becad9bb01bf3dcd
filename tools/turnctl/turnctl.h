/* turnctl.h - turnctl's shared pieces: the command table entry and the control client. */
#ifndef TURNCTL_H
#define TURNCTL_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses: 0 ok, 1 not found, 2 usage or connection error. */
enum { CTL_OK = 0, CTL_NOTFOUND = 1, CTL_ERR = 2 };

struct ctl_opts {
	const char *socket;
	bool json;
};

struct ctl_cmd {
	const char *name;
	int (*fn)(const struct ctl_opts *o, int argc, char **argv);
	const char *help;
};

/* Send one request line, read the whole answer into a malloc'd string. 0 or -errno. */
int ctl_request(const char *socket_path, const char *req, char **answer);

int cmd_status(const struct ctl_opts *o, int argc, char **argv);

#endif
