/* turnctl.h - turnctl's shared pieces: the command table entry and the control client. */
#ifndef TURNCTL_H
#define TURNCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "jdoc.h"

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
	const char *usage;		/* arguments after the name */
};

/* Send one request line, read the whole answer into a malloc'd string. 0 or -errno. */
int ctl_request(const char *socket_path, const char *req, char **answer);

/*
 * Send req and read turnd's answer into d. With o->json the answer is printed as it came.
 * A failure is reported on stderr (naming the socket and the reason) and its exit status
 * returned: CTL_NOTFOUND when turnd answered code "not_found", CTL_ERR otherwise. CTL_OK:
 * the answer said "ok":true; free d with jdoc_free.
 */
int ctl_call(const struct ctl_opts *o, const char *req, struct jdoc *d);

/* Print a command's usage line ("usage: turnctl NAME ARGS") to stderr; returns CTL_ERR. */
int ctl_usage(const char *name);

int cmd_status(const struct ctl_opts *o, int argc, char **argv);
int cmd_allocations(const struct ctl_opts *o, int argc, char **argv);
int cmd_allocation(const struct ctl_opts *o, int argc, char **argv);
int cmd_kill(const struct ctl_opts *o, int argc, char **argv);
int cmd_reload(const struct ctl_opts *o, int argc, char **argv);

#endif
