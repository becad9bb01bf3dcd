/* secret.c - `turnctl secret show|rotate`: print auth.secret, or write a new random one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "config.h"
#include "turnctl.h"

#define SECRET_BYTES 32
#define MAX_TOKENS (1 << 20)

enum tok_type { TOK_WORD, TOK_STRING, TOK_PUNCT };

struct token {
	int type;	/* enum tok_type */
	size_t start, end;	/* [start, end) in the text; a string includes its quotes */
};

struct tokens {
	struct token *v;
	size_t n, cap;
};

/* Skip blanks and comments (#, //, C-style) from i; returns the next token's offset. */
static size_t skip_space(const char *s, size_t len, size_t i)
{
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == '\f' ||
		    s[i] == '\v') {
			i++;
		} else if (s[i] == '#' || (s[i] == '/' && i + 1 < len && s[i + 1] == '/')) {
			while (i < len && s[i] != '\n')
				i++;
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *e = memmem(s + i + 2, len - i - 2, "*/", 2);

			i = e ? (size_t)(e - s) + 2 : len;
		} else {
			break;
		}
	}
	return i;
}

/* The end of the token starting at i (a string honours backslash escapes). */
static size_t token_end(const char *s, size_t len, size_t i, int *type)
{
	if (s[i] == '"') {
		*type = TOK_STRING;
		for (i++; i < len && s[i] != '"'; i++)
			if (s[i] == '\\' && i + 1 < len)
				i++;
		return i < len ? i + 1 : len;
	}
	if (strchr("{}()[]=:;,", s[i])) {
		*type = TOK_PUNCT;
		return i + 1;
	}
	*type = TOK_WORD;
	while (i < len && !strchr("{}()[]=:;,\"#/ \t\r\n\f\v", s[i]))
		i++;
	return i;
}

/* Split a libconfig text into tokens, enough to find a setting's value. 0 or -errno. */
static int tokenize(const char *s, size_t len, struct tokens *t)
{
	size_t i = skip_space(s, len, 0);

	while (i < len) {
		struct token k = { .start = i };

		k.end = token_end(s, len, i, &k.type);
		if (k.end == i)
			k.end = i + 1;	/* a lone '/' */
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 256;
			struct token *v = cap > MAX_TOKENS ? NULL : realloc(t->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			t->v = v;
			t->cap = cap;
		}
		t->v[t->n++] = k;
		i = skip_space(s, len, k.end);
	}
	return 0;
}

static bool tok_is(const char *s, const struct token *k, const char *text)
{
	size_t n = strlen(text);

	return k->end - k->start == n && !memcmp(s + k->start, text, n);
}

/* Where the edit goes: the secret's value (its strings), else the auth group's '{'. */
struct spot {
	size_t auth_open;	/* offset just after auth's '{'; 0: no auth group */
	size_t val_start, val_end;	/* the secret's strings; equal: none */
};

/* "NAME =" or "NAME :" at token i followed by '{' (group) or a string (value). */
static bool setting_at(const char *s, const struct tokens *t, size_t i, const char *name)
{
	return i + 2 < t->n && t->v[i].type == TOK_WORD && tok_is(s, &t->v[i], name) &&
	       (tok_is(s, &t->v[i + 1], "=") || tok_is(s, &t->v[i + 1], ":"));
}

static void find_spot(const char *s, const struct tokens *t, struct spot *sp)
{
	int depth = 0, auth_depth = -1;

	memset(sp, 0, sizeof(*sp));
	for (size_t i = 0; i < t->n; i++) {
		const struct token *k = &t->v[i];

		if (k->type == TOK_PUNCT && strchr("{([", s[k->start])) {
			depth++;
		} else if (k->type == TOK_PUNCT && strchr("})]", s[k->start])) {
			if (depth-- == auth_depth)
				return;
		} else if (depth == 0 && auth_depth < 0 && setting_at(s, t, i, "auth") &&
			   tok_is(s, &t->v[i + 2], "{")) {
			auth_depth = 1;
			sp->auth_open = t->v[i + 2].end;
		} else if (depth == auth_depth && setting_at(s, t, i, "secret") &&
			   t->v[i + 2].type == TOK_STRING) {
			size_t j = i + 2;

			sp->val_start = t->v[j].start;
			while (j + 1 < t->n && t->v[j + 1].type == TOK_STRING)
				j++;
			sp->val_end = t->v[j].end;
			return;
		}
	}
}

/* The config text with auth.secret set to secret. 0 or -errno. */
static int set_secret(const char *s, size_t len, const char *secret, char **out)
{
	struct tokens t = { 0 };
	struct spot sp;
	int err = tokenize(s, len, &t), n;

	if (err)
		return err;
	find_spot(s, &t, &sp);
	free(t.v);
	if (sp.val_end > sp.val_start)
		n = asprintf(out, "%.*s\"%s\"%s", (int)sp.val_start, s, secret, s + sp.val_end);
	else if (sp.auth_open)
		n = asprintf(out, "%.*s secret = \"%s\";%s", (int)sp.auth_open, s, secret,
			     s + sp.auth_open);
	else
		n = asprintf(out, "%s%sauth = { secret = \"%s\"; };\n", s,
			     len && s[len - 1] != '\n' ? "\n" : "", secret);
	return n < 0 ? -ENOMEM : 0;
}

/* The new text must load, with exactly this secret, before it replaces the file. */
static int check_new_text(const struct ctl_opts *o, const char *text, const char *secret)
{
	struct turnd_config c;
	char why[512];
	bool same;

	if (config_load_buf(text, strlen(text), o->config, &c, why, sizeof(why))) {
		fprintf(stderr, "turnctl: the edited config would not load (%s); %s is unchanged\n",
			why, o->config);
		return CTL_ERR;
	}
	same = c.auth.secret && !strcmp(c.auth.secret, secret);
	config_free(&c);
	if (!same)
		fprintf(stderr, "turnctl: cannot place auth.secret in %s safely; it is unchanged\n",
			o->config);
	return same ? CTL_OK : CTL_ERR;
}

static int secret_rotate(const struct ctl_opts *o, const struct turnd_config *c)
{
	uint8_t raw[SECRET_BYTES];
	char secret[2 * SECRET_BYTES + 1], *text = NULL, *ntext = NULL;
	size_t len;
	int err, st = CTL_ERR;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		fprintf(stderr, "turnctl: RAND_bytes failed: no random bytes for a secret\n");
		return CTL_ERR;
	}
	for (size_t i = 0; i < SECRET_BYTES; i++)
		snprintf(secret + 2 * i, 3, "%02x", raw[i]);
	err = ctl_read_file(o->config, &text, &len);
	if (err) {
		fprintf(stderr, "turnctl: cannot read %s: %s\n", o->config, strerror(-err));
		goto out;
	}
	if (strlen(text) != len || set_secret(text, len, secret, &ntext)) {
		fprintf(stderr, "turnctl: cannot edit %s (NUL byte or out of memory)\n", o->config);
		goto out;
	}
	if ((st = check_new_text(o, ntext, secret)))
		goto out;
	st = CTL_ERR;
	if (ctl_write_atomic(o->config, ntext, strlen(ntext)))
		goto out;
	printf("new auth.secret written to %s (turnctl secret show prints it); TURN REST "
	       "credentials made with the old secret fail once turnd reloads\n", o->config);
	ctl_reload_after_edit(o, c);
	st = CTL_OK;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (text)
		OPENSSL_cleanse(text, len);
	if (ntext)
		OPENSSL_cleanse(ntext, strlen(ntext));
	free(text);
	free(ntext);
	return st;
}

int cmd_secret(const struct ctl_opts *o, int argc, char **argv)
{
	struct turnd_config c;
	int st;

	if (argc != 2 || (strcmp(argv[1], "show") && strcmp(argv[1], "rotate")))
		return ctl_usage(argv[0]);
	if ((st = ctl_load_config(o, &c)))
		return st;
	if (!strcmp(argv[1], "rotate")) {
		st = secret_rotate(o, &c);
	} else if (c.auth.secret) {
		printf("%s\n", c.auth.secret);
	} else {
		fprintf(stderr, "turnctl: %s sets no auth.secret\n", o->config);
		st = CTL_NOTFOUND;
	}
	config_free(&c);
	return st;
}
