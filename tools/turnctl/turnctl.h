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
	bool socket_set;	/* -s given: it wins over the config's control.socket */
	const char *config;	/* -c: the config file users and secret read and edit */
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
int cmd_users(const struct ctl_opts *o, int argc, char **argv);
int cmd_secret(const struct ctl_opts *o, int argc, char **argv);
int cmd_top(const struct ctl_opts *o, int argc, char **argv);

/* edit.c: helpers of the commands that edit turnd's files (users, secret). */
struct turnd_config;

/* config_load o->config into *c; on failure print why and return CTL_ERR. */
int ctl_load_config(const struct ctl_opts *o, struct turnd_config *c);
/*
 * Replace path by buf (len bytes) atomically: a temp file in the same directory, mode 0600
 * (an old file's group bits but no "other" bit kept), the old owner when we may, fsync,
 * rename. 0 or -errno (the message is printed).
 */
int ctl_write_atomic(const char *path, const char *buf, size_t len);
/* Read a whole file into a malloc'd NUL-terminated buffer. 0, or -errno (-ENOENT: absent). */
int ctl_read_file(const char *path, char **buf, size_t *len);
/*
 * Ask turnd to reload after an edit: the socket of -s, else the config's control.socket.
 * When turnd is unreachable, say that the change applies at the next reload. Never fails.
 */
void ctl_reload_after_edit(const struct ctl_opts *o, const struct turnd_config *c);

#endif
