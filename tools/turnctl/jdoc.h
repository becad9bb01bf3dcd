/* jdoc.h - turnctl's reader for turnd's answers: any JSON text flattened to path = value. */
#ifndef TURNCTL_JDOC_H
#define TURNCTL_JDOC_H

#include <stdbool.h>
#include <stddef.h>

#define JDOC_MAX_DEPTH 16

/* One scalar: its path ("allocations.0.relayed.1"), its text (strings decoded). */
struct jent {
	char *path;
	char *val;
	bool is_str;
};

struct jdoc {
	struct jent *e;		/* in document order */
	size_t n, cap;
};

/* Parse text (one JSON value, whitespace around it). 0, -EINVAL or -ENOMEM; d freed on error. */
int jdoc_parse(const char *text, struct jdoc *d);
/* The value at the path printf(fmt, ...) makes, or NULL. */
const char *jdoc_get(const struct jdoc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The value at path as an unsigned number (0 when absent or not a number). */
unsigned long long jdoc_num(const struct jdoc *d, const char *path);
/* How many elements array path has (counted by "path.N" prefixes). */
size_t jdoc_count(const struct jdoc *d, const char *path);
void jdoc_free(struct jdoc *d);

#endif
