/* config_int.h - shared by the configuration loader's files: the load state and setting readers. */
#ifndef TURND_CONFIG_INT_H
#define TURND_CONFIG_INT_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* One load in progress: where messages go and what is being filled in. */
struct loader {
	const char *name;	/* the file, as messages name it */
	char *err;
	size_t errlen;
	struct turnd_config *c;
};

/* "NAME:LINE: msg" (no LINE when 0). Returns -EINVAL so callers can `return cfg_fail(...)`. */
int __attribute__((format(printf, 3, 4)))
cfg_fail(struct loader *l, unsigned int line, const char *fmt, ...);
/*
 * "FILE:LINE: setting PATH: msg" about setting s, or about its missing member `member`
 * (then LINE is the group's). Returns -EINVAL.
 */
int __attribute__((format(printf, 4, 5)))
cfg_bad(struct loader *l, const config_setting_t *s, const char *member, const char *fmt, ...);
/* "out of memory"; returns -ENOMEM. */
int cfg_oom(struct loader *l);
/* "a string", "an integer", ... for messages. */
const char *cfg_type_name(const config_setting_t *s);
/*
 * What is wrong with a string sent on the wire (realm, software, user name, password):
 * NULL when it is valid UTF-8 without control characters, within max_chars characters
 * and max_bytes bytes.
 */
const char *cfg_text_problem(const char *s, size_t max_chars, size_t max_bytes);
/* Every member of group g must be named in keys (NULL-terminated). */
int cfg_check_keys(struct loader *l, const config_setting_t *g, const char *const *keys);
/* s must be a group { }. */
int cfg_want_group(struct loader *l, const config_setting_t *s);
/* Member `name` of g as a string: 1 and *out set, 0 when absent, or -EINVAL. */
int cfg_get_string(struct loader *l, const config_setting_t *g, const char *name,
		   const char **out, const config_setting_t **where);
/* Member `name` of g as an integer in min..max into *out; left alone when absent. */
int cfg_get_uint(struct loader *l, const config_setting_t *g, const char *name, long long min,
		 long long max, uint32_t *out);
/* Member `name` of g as a boolean (true/false) into *out; left alone when absent. */
int cfg_get_bool(struct loader *l, const config_setting_t *g, const char *name, bool *out);
/* strdup into *out: 0 or -ENOMEM. */
int cfg_dup_string(struct loader *l, const char *v, char **out);
/* s is a string or an array/list of strings: their number, or -EINVAL. */
int cfg_str_count(struct loader *l, const config_setting_t *s);
/* The i-th string setting of what cfg_str_count() accepted. */
const config_setting_t *cfg_str_at(const config_setting_t *s, int i);

/* Section loaders in their own files. */
int cfg_load_signaling(struct loader *l, const config_setting_t *g);
/* config_ops.c: control = { socket }, log = { level, target, rate }, xdp = { ... }, metrics. */
int cfg_load_control(struct loader *l, const config_setting_t *g);
int cfg_load_log(struct loader *l, const config_setting_t *g);
int cfg_load_xdp(struct loader *l, const config_setting_t *g);
int cfg_load_metrics(struct loader *l, const config_setting_t *g);
void cfg_signaling_defaults(struct signaling_cfg *s);
void cfg_signaling_free(struct signaling_cfg *s);

#endif
