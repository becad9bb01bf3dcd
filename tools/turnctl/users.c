/* users.c - `turnctl users list|add|del|passwd`: edit auth.users_file, then ask turnd to reload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syslog.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "turnctl.h"

#define MAX_PASSWORD 512	/* as the users file allows */

/* One line of the file: [start, start + len) without its newline. */
struct uline {
	const char *start;
	size_t len;
	bool last;		/* no newline after it */
};

/* Next line of buf at *pos; false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, struct uline *l)
{
	const char *nl;

	if (*pos >= len)
		return false;
	l->start = buf + *pos;
	nl = memchr(l->start, '\n', len - *pos);
	l->len = nl ? (size_t)(nl - l->start) : len - *pos;
	l->last = !nl;
	*pos += l->len + (nl ? 1 : 0);
	return true;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Is this line a user named name? (leading blanks skipped, as turnd reads it) */
static bool line_is(const struct uline *l, const char *name, size_t nlen)
{
	size_t i = 0;

	while (i < l->len && blank(l->start[i]))
		i++;
	return l->len - i > nlen && !memcmp(l->start + i, name, nlen) && l->start[i + nlen] == ':';
}

/* The user name of a line (NULL for a blank or comment line), into out. */
static const char *line_name(const struct uline *l, char *out, size_t outlen)
{
	size_t i = 0, j;

	while (i < l->len && blank(l->start[i]))
		i++;
	if (i == l->len || l->start[i] == '#')
		return NULL;
	for (j = i; j < l->len && l->start[j] != ':'; j++)
		;
	snprintf(out, outlen, "%.*s", (int)(j - i), l->start + i);
	return out;
}

/* turnd's own message about a bad line, without its timestamp and level prefix. */
static void print_log_line(int priority, const char *line)
{
	const char *p = strstr(line, " level=");

	if (LOG_PRI(priority) > LOG_WARNING)
		return;
	if (p && (p = strchr(p + 1, ' ')))
		line = p + 1;
	fprintf(stderr, "turnctl: %s\n", line);
}

/*
 * Check the file as turnd will read it (auth_load_users_file): a bad line is reported with
 * its number and nothing is rewritten. An absent file is fine (no users yet).
 */
static int check_file(const char *path, const char *realm)
{
	struct auth *a = auth_new(realm, 600);
	int bad = 0, n;

	if (!a) {
		fprintf(stderr, "turnctl: out of memory\n");
		return CTL_ERR;
	}
	log_set_sink(print_log_line);
	n = auth_load_users_file(a, path, &bad);
	log_set_sink(NULL);
	auth_free(a);
	if (n >= 0 || n == -ENOENT)
		return CTL_OK;
	if (bad)
		fprintf(stderr, "turnctl: %s:%d: fix this line first; the file is left as it is\n",
			path, bad);
	return CTL_ERR;
}

/* A name turnd can take from the file: 1..AUTH_MAX_NAME bytes, no ':', no control byte. */
static int check_name(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > AUTH_MAX_NAME || strchr(name, ':') || blank(name[0]) || blank(name[n - 1]) ||
	    name[0] == '#') {
		fprintf(stderr, "turnctl: bad user name: 1 to %d bytes, no ':', no leading '#', "
			"no blank at either end\n", AUTH_MAX_NAME);
		return CTL_ERR;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			fprintf(stderr, "turnctl: bad user name: control byte 0x%02x at %zu\n",
				(unsigned char)name[i], i);
			return CTL_ERR;
		}
	return CTL_OK;
}

/* Read one line from stdin; on a terminal, prompt with echo off. 0 or CTL_ERR. */
static int read_password(char *pw, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &old);
	size_t n;
	bool got;

	if (tty) {
		fprintf(stderr, "password: ");
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	got = fgets(pw, (int)size, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	n = got ? strlen(pw) : 0;
	if (n && pw[n - 1] == '\n')
		pw[--n] = 0;
	else if (got && !feof(stdin))
		n = size;	/* no newline within size bytes: too long */
	if (n && pw[n - 1] == '\r')
		pw[--n] = 0;
	if (!n || n > MAX_PASSWORD || strlen(pw) != n) {
		fprintf(stderr, "turnctl: no password on stdin, or over %d bytes, or a NUL byte\n",
			MAX_PASSWORD);
		return CTL_ERR;
	}
	return CTL_OK;
}

/* "name:0x<32 hex>\n" for the password read from stdin, as coturn's turnadmin -k prints. */
static int key_line(const char *name, const char *realm, char **out)
{
	char pw[MAX_PASSWORD + 2];
	uint8_t key[AUTH_KEY_LEN];
	char hex[2 * AUTH_KEY_LEN + 1];
	int st = read_password(pw, sizeof(pw));

	if (st)
		goto out;
	auth_derive_key(name, realm, pw, key);
	for (size_t i = 0; i < AUTH_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	st = asprintf(out, "%s:0x%s\n", name, hex) < 0 ? CTL_ERR : CTL_OK;
	OPENSSL_cleanse(key, sizeof(key));
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	return st;
}

static bool in_config(const struct turnd_config *c, const char *name)
{
	for (size_t i = 0; i < c->auth.nusers; i++)
		if (!strcmp(c->auth.users[i].name, name))
			return true;
	return false;
}

/* How many lines of buf are users named name. */
static int count_user(const char *buf, size_t len, const char *name)
{
	size_t nlen = strlen(name), pos = 0;
	struct uline l;
	int n = 0;

	while (next_line(buf, len, &pos, &l))
		n += line_is(&l, name, nlen);
	return n;
}

static int users_list(const struct turnd_config *c, const char *buf, size_t len)
{
	char name[AUTH_MAX_NAME + 1];
	struct uline l;
	size_t pos = 0;

	while (next_line(buf, len, &pos, &l))
		if (line_name(&l, name, sizeof(name)))
			printf("%s\n", name);
	for (size_t i = 0; i < c->auth.nusers; i++)
		printf("%s (config)\n", c->auth.users[i].name);
	return CTL_OK;
}

/*
 * The file's new text: every line of name dropped (del) or replaced by repl (passwd; later
 * duplicates dropped), or repl appended (add). Other lines are kept byte for byte.
 */
static int rewrite(const char *buf, size_t len, const char *name, const char *repl, bool append,
		   char **out, size_t *outlen, int *found)
{
	size_t nlen = strlen(name), rlen = repl ? strlen(repl) : 0, pos = 0, n = 0;
	char *o = malloc(len + rlen + 2);
	struct uline l;

	if (!o)
		return -ENOMEM;
	*found = 0;
	while (next_line(buf, len, &pos, &l)) {
		if (line_is(&l, name, nlen)) {
			if (repl && !*found && !append) {
				memcpy(o + n, repl, rlen);
				n += rlen;
			}
			++*found;
			continue;
		}
		memcpy(o + n, l.start, l.len);
		n += l.len;
		if (!l.last || append)
			o[n++] = '\n';
	}
	if (append) {
		memcpy(o + n, repl, rlen);
		n += rlen;
	}
	*out = o;
	*outlen = n;
	return 0;
}

/* add, del, passwd on name. */
static int users_edit(const struct ctl_opts *o, const struct turnd_config *c, const char *verb,
		      const char *name, const char *buf, size_t len)
{
	const char *path = c->auth.users_file;
	bool add = !strcmp(verb, "add"), del = !strcmp(verb, "del");
	char *repl = NULL, *nbuf = NULL;
	size_t nlen = 0;
	int st, found = 0;

	if ((st = check_name(name)))
		return st;
	if (add && in_config(c, name)) {
		fprintf(stderr, "turnctl: user '%s' is defined in %s (auth.users)\n", name,
			o->config);
		return CTL_ERR;
	}
	found = count_user(buf, len, name);
	if (add && found) {
		fprintf(stderr, "turnctl: user '%s' exists in %s (use passwd)\n", name, path);
		return CTL_ERR;
	}
	if (!add && !found) {
		fprintf(stderr, "turnctl: no user '%s' in %s%s\n", name, path, in_config(c, name) ?
			" (it is in auth.users of the config: edit that)" : "");
		return CTL_NOTFOUND;
	}
	if (!del && (st = key_line(name, c->realm, &repl)))
		return st;
	st = CTL_ERR;
	if (rewrite(buf, len, name, repl, add, &nbuf, &nlen, &found)) {
		fprintf(stderr, "turnctl: out of memory\n");
		goto out;
	}
	if (ctl_write_atomic(path, nbuf, nlen))
		goto out;
	printf("%s user '%s' in %s\n", add ? "added" : del ? "deleted" : "new password for",
	       name, path);
	ctl_reload_after_edit(o, c);
	st = CTL_OK;
out:
	if (repl)
		OPENSSL_cleanse(repl, strlen(repl));
	free(repl);
	free(nbuf);
	return st;
}

static int users_run(const struct ctl_opts *o, const struct turnd_config *c, char **argv)
{
	const char *path = c->auth.users_file;
	char *buf = NULL;
	size_t len = 0;
	int err, st;

	if (!path) {
		fprintf(stderr, "turnctl: %s sets no auth.users_file\n", o->config);
		return CTL_ERR;
	}
	if ((st = check_file(path, c->realm)))
		return st;
	err = ctl_read_file(path, &buf, &len);
	if (err && err != -ENOENT) {
		fprintf(stderr, "turnctl: cannot read %s: %s\n", path, strerror(-err));
		return CTL_ERR;
	}
	if (!strcmp(argv[1], "list"))
		st = users_list(c, buf ? buf : "", len);
	else
		st = users_edit(o, c, argv[1], argv[2], buf ? buf : "", len);
	free(buf);
	return st;
}

int cmd_users(const struct ctl_opts *o, int argc, char **argv)
{
	struct turnd_config c;
	int st;

	/* --password-stdin is what happens anyway; accepted for scripts that say so */
	if (argc > 1 && !strcmp(argv[argc - 1], "--password-stdin"))
		argc--;
	if (argc == 2 && !strcmp(argv[1], "list"))
		;
	else if (argc != 3 || (strcmp(argv[1], "add") && strcmp(argv[1], "del") &&
			       strcmp(argv[1], "passwd")))
		return ctl_usage(argv[0]);
	if ((st = ctl_load_config(o, &c)))
		return st;
	st = users_run(o, &c, argv);
	config_free(&c);
	return st;
}
