/* control_int.h - the control socket's answer builder, shared by control*.c only. */
#ifndef TURND_CONTROL_INT_H
#define TURND_CONTROL_INT_H

#include <stddef.h>

/* An answer being written into a fixed buffer; len stops at cap - 1 (NUL kept). */
struct ctl_out {
	char *buf;
	size_t cap, len;
};

void ctl_put(struct ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) as a JSON string (quotes, backslashes and control bytes escaped). */
void ctl_put_str(struct ctl_out *o, const char *s, size_t n);
/* The whole answer {"ok":false,"error":why,"code":code}\n, replacing what o held. */
void ctl_fail(struct ctl_out *o, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
