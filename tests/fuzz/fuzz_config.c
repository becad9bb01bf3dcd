/* fuzz_config.c - libFuzzer harness: any bytes as a configuration file, checked invariants. */
/*
 * Build and run (from the repo root; seed with the bundled file):
 *   clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Idaemon \
 *     tests/fuzz/fuzz_config.c daemon/config.c daemon/config_util.c daemon/config_sig.c daemon/config_ops.c daemon/config_text.c daemon/addr.c daemon/policy.c daemon/log.c \
 *     -lconfig -o build/fuzz_config
 *   mkdir -p build/corpus-config && cp turnd.conf build/corpus-config/
 *   build/fuzz_config -max_total_time=60 build/corpus-config
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

/* libconfig 1.5's scanner leaks a string token on some syntax errors (see test_config.c). */
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static void check_loaded(const struct turnd_config *c)
{
	if (!c->path || !c->realm || !*c->realm || !c->software || !c->control_socket)
		abort();
	if (c->nlisten < 1 || c->nlisten > CONFIG_MAX_LISTEN)
		abort();
	if (c->relay.autodetect ? c->relay.naddr != 0 : c->relay.naddr < 1)
		abort();
	if (c->relay.naddr > 2 || c->relay.nexternal > 2)
		abort();
	if (c->relay.port_min < 1024 || c->relay.port_min > c->relay.port_max)
		abort();
	if (!c->alloc.default_lifetime || c->alloc.default_lifetime > c->alloc.max_lifetime)
		abort();
	for (size_t i = 0; i < c->auth.nusers; i++)
		if (!c->auth.users[i].name || !*c->auth.users[i].name ||
		    !c->auth.users[i].password || !*c->auth.users[i].password)
			abort();
	if ((c->auth.secret && !*c->auth.secret) || (c->auth.users_file && !*c->auth.users_file))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct turnd_config zero;
	struct turnd_config c;
	char err[256];
	int ret;

	err[0] = 0;
	ret = config_load_buf((const char *)data, size, "fuzz.conf", &c, err, sizeof(err));
	if (ret == 0) {
		check_loaded(&c);
		config_free(&c);
		return 0;
	}
	/* Refused: one message naming the file, nothing left to free. */
	if ((ret != -EINVAL && ret != -ENOMEM) || strncmp(err, "fuzz.conf", 9) ||
	    memcmp(&c, &zero, sizeof(c)))
		abort();
	return 0;
}
