/* tap.h - a minimal TAP producer for the C unit tests (run under prove). */
#ifndef TURND_TAP_H
#define TURND_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                      \
	({                                                                                 \
		int _c = !!(cond);                                                         \
		tap_n++;                                                                   \
		if (!_c)                                                                   \
			tap_failed++;                                                      \
		printf("%sok %d - ", _c ? "" : "not ", tap_n);                             \
		printf(__VA_ARGS__);                                                       \
		printf("\n");                                                              \
		if (!_c)                                                                   \
			printf("#   failed at %s:%d\n", __FILE__, __LINE__);                   \
		_c;                                                                        \
	})
#define is_int(got, want, ...)                                                             \
	({                                                                                 \
		long long _g = (long long)(got), _w = (long long)(want);                   \
		int _r = ok(_g == _w, __VA_ARGS__);                                        \
		if (!_r)                                                                   \
			printf("#   got %lld, want %lld\n", _g, _w);                           \
		_r;                                                                        \
	})
#define is_mem(got, want, n, ...) ok(memcmp((got), (want), (n)) == 0, __VA_ARGS__)
#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
