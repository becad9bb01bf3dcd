/* config_util.c - the configuration loader's shared pieces: error messages and typed setting readers. */
#include "config_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "NAME:LINE: msg" (no LINE when 0). Returns -EINVAL so callers can `return cfg_fail(...)`. */
int cfg_fail(struct loader *l, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Quoted values come from the file: keep the message on one printable line. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (!l->err || !l->errlen)
		return -EINVAL;
	if (line)
		snprintf(l->err, l->errlen, "%s:%u: %s", l->name, line, msg);
	else
		snprintf(l->err, l->errlen, "%s: %s", l->name, msg);
	return -EINVAL;
}

/* The dotted path of a setting: "relay.address", "auth.users[1].name", "listen[0]". */
static void cfg_setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *p = config_setting_parent(s);
	size_t n;

	buf[0] = 0;
	if (!p)
		return;
	cfg_setting_path(p, buf, len);
	n = strlen(buf);
	if (config_setting_name(s))
		snprintf(buf + n, len - n, "%s%s", n ? "." : "", config_setting_name(s));
	else
		snprintf(buf + n, len - n, "[%d]", config_setting_index(s));
}

/*
 * "FILE:LINE: setting PATH: msg" about setting s, or about its missing member `member`
 * (then LINE is the group's). Returns -EINVAL.
 */
int cfg_bad(struct loader *l, const config_setting_t *s, const char *member, const char *fmt, ...)
{
	char path[256], msg[384];
	size_t n;
	va_list ap;

	cfg_setting_path(s, path, sizeof(path));
	n = strlen(path);
	if (member)
		snprintf(path + n, sizeof(path) - n, "%s%s", n ? "." : "", member);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cfg_fail(l, config_setting_source_line(s), "setting %s: %s", path, msg);
}

int cfg_oom(struct loader *l)
{
	cfg_fail(l, 0, "out of memory");
	return -ENOMEM;
}

const char *cfg_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	}
	return "nothing";
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is not valid UTF-8. */
static int cfg_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * What is wrong with a string sent on the wire (realm, software, user name, password):
 * NULL when it is valid UTF-8 without control characters, within max_chars characters
 * and max_bytes bytes.
 */
const char *cfg_text_problem(const char *s, size_t max_chars, size_t max_bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;
	int n;

	if (strlen(s) > max_bytes)
		return "too long";
	while (*p) {
		if (*p < 0x20 || *p == 0x7f)
			return "contains a control character";
		n = cfg_utf8_len(p);
		if (!n)
			return "is not valid UTF-8";
		p += n;
		chars++;
	}
	if (chars > max_chars)
		return "too long";
	return NULL;
}

/* Every member of group g must be named in keys (NULL-terminated). */
int cfg_check_keys(struct loader *l, const config_setting_t *g, const char *const *keys)
{
	char known[256];
	int i, n = config_setting_length(g);
	size_t k, used;

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned int)i);

		for (k = 0; keys[k]; k++)
			if (!strcmp(config_setting_name(m), keys[k]))
				break;
		if (keys[k])
			continue;
		known[0] = 0;
		for (k = 0, used = 0; keys[k] && used < sizeof(known); k++)
			used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s",
						 k ? ", " : "", keys[k]);
		return cfg_bad(l, m, NULL, "unknown setting (known here: %s)", known);
	}
	return 0;
}

int cfg_want_group(struct loader *l, const config_setting_t *s)
{
	if (config_setting_is_group(s))
		return 0;
	return cfg_bad(l, s, NULL, "expected a group { ... }, got %s", cfg_type_name(s));
}

/* Member `name` of g as a string: 1 and *out set, 0 when absent, or -EINVAL. */
int cfg_get_string(struct loader *l, const config_setting_t *g, const char *name,
		      const char **out, const config_setting_t **where)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_bad(l, s, NULL, "expected a string, got %s", cfg_type_name(s));
	*out = config_setting_get_string(s);
	if (where)
		*where = s;
	return 1;
}

/* Member `name` of g as an integer in min..max into *out; left alone when absent. */
int cfg_get_uint(struct loader *l, const config_setting_t *g, const char *name, long long min,
		    long long max, uint32_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	long long v;

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return cfg_bad(l, s, NULL, "expected an integer, got %s", cfg_type_name(s));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return cfg_bad(l, s, NULL, "%lld is out of range (%lld..%lld)", v, min, max);
	*out = (uint32_t)v;
	return 0;
}

/* Member `name` of g as a boolean (true/false) into *out; left alone when absent. */
int cfg_get_bool(struct loader *l, const config_setting_t *g, const char *name, bool *out)
{
	const config_setting_t *s = config_setting_get_member(g, name);

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return cfg_bad(l, s, NULL, "expected true or false, got %s", cfg_type_name(s));
	*out = config_setting_get_bool(s);
	return 0;
}

int cfg_dup_string(struct loader *l, const char *v, char **out)
{
	*out = strdup(v);
	return *out ? 0 : cfg_oom(l);
}

/* s is a string or an array/list of strings: their number, or -EINVAL. */
int cfg_str_count(struct loader *l, const config_setting_t *s)
{
	int i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return cfg_bad(l, s, NULL, "expected a string or a list of strings, got %s",
			   cfg_type_name(s));
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return cfg_bad(l, e, NULL, "expected a string, got %s", cfg_type_name(e));
	}
	return n;
}

/* The i-th string setting of what cfg_str_count() accepted. */
const config_setting_t *cfg_str_at(const config_setting_t *s, int i)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return s;
	return config_setting_get_elem(s, (unsigned int)i);
}
