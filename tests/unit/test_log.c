/* test_log.c - unit tests of log.c: level filter, rate limit on a fake clock, sinks, cutting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "tap.h"

#define MAX_SEEN 64

/* What the capture sink received. */
static struct {
	int n;
	int prio[MAX_SEEN];
	char line[MAX_SEEN][LOG_LINE_MAX + 64];
} seen;

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void capture(int priority, const char *line)
{
	if (seen.n < MAX_SEEN) {
		seen.prio[seen.n] = priority;
		snprintf(seen.line[seen.n], sizeof(seen.line[0]), "%s", line);
	}
	seen.n++;
}

static void reset(void)
{
	memset(&seen, 0, sizeof(seen));
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

static void test_parse(void)
{
	is_int(log_level_parse("error"), LOG_LVL_ERR, "parse error");
	is_int(log_level_parse("warning"), LOG_LVL_WARN, "parse warning (alias)");
	is_int(log_level_parse("debug"), LOG_LVL_DEBUG, "parse debug");
	is_int(log_level_parse("INFO"), -EINVAL, "levels are lower case");
	is_int(log_level_parse(""), -EINVAL, "empty level refused");
	is_int(log_target_parse("stderr"), LOG_TARGET_STDERR, "parse stderr");
	is_int(log_target_parse("syslog"), LOG_TARGET_SYSLOG, "parse syslog");
	is_int(log_target_parse("syslog\n"), -EINVAL, "trailing byte refused");
	is_int(log_target_parse("file"), -EINVAL, "unknown target refused");
}

static void test_levels(void)
{
	reset();
	log_set_level(LOG_LVL_WARN);
	pr_debug("d=1");
	pr_info("i=1");
	pr_warn("w=1");
	pr_err("e=1");
	is_int(seen.n, 2, "level warn: warn and error written, info and debug not");
	ok(strstr(seen.line[0], " level=warn w=1") && ends_with(seen.line[0], "w=1"),
	   "stderr line has level=warn and the message: %s", seen.line[0]);
	ok(strstr(seen.line[1], " level=error e=1") != NULL, "error line");
	ok(seen.line[0][4] == '-' && seen.line[0][10] == 'T' && strchr(seen.line[0], 'Z'),
	   "stderr line starts with an ISO 8601 UTC timestamp");
	log_set_level(LOG_LVL_DEBUG);
	reset();
	pr_debug("d=2");
	is_int(seen.n, 1, "level debug: debug written");
	log_set_level(LOG_LVL_INFO);
}

/* A flood: burst = rate, then nothing until tokens come back, then one suppression line. */
static void test_rate(void)
{
	int i;

	log_set_clock(fake_clock);
	fake_now = 1000000;
	log_set_rate(10);
	reset();
	for (i = 0; i < 25; i++)
		pr_info("n=%d", i);
	is_int(seen.n, 10, "rate 10: a burst of 10 of 25 lines written");
	ok(ends_with(seen.line[9], "n=9"), "the 10th line is n=9");

	/* 50 ms: half a token; still dropped */
	fake_now += 50;
	pr_info("n=late");
	is_int(seen.n, 10, "50 ms later: still over the rate");

	/* 100 ms after the burst: one token */
	fake_now += 50;
	pr_info("n=resume");
	is_int(seen.n, 12, "one token back: suppression line and the line");
	ok(ends_with(seen.line[10], "level=warn log suppressed lines=16"),
	   "suppression line counts 15 + 1 dropped: %s", seen.line[10]);
	ok(ends_with(seen.line[11], "n=resume"), "then the line itself");
	pr_info("n=again");
	is_int(seen.n, 12, "the token is spent");

	/* debug lines below the level cost no token */
	fake_now += 100;
	for (i = 0; i < 50; i++)
		pr_debug("skipped=%d", i);
	pr_info("n=after-debug");
	is_int(seen.n, 14, "filtered debug lines took no token (one drop reported first)");
	ok(ends_with(seen.line[12], "log suppressed lines=1"), "the one dropped n=again");

	/* a long pause refills the whole burst, never more */
	fake_now += 3600 * 1000;
	reset();
	for (i = 0; i < 30; i++)
		pr_info("n=%d", i);
	is_int(seen.n, 10, "an hour later: a burst of exactly 10");

	/* a clock going backwards does not refill */
	fake_now -= 5000;
	pr_info("n=back");
	is_int(seen.n, 10, "clock stepping back gives no tokens");

	/* rate 0: no limit */
	log_set_rate(0);
	reset();
	for (i = 0; i < 40; i++)
		pr_info("n=%d", i);
	is_int(seen.n, 41, "rate 0: every line, after the one suppression line");
	ok(ends_with(seen.line[0], "log suppressed lines=21"), "20 + 1 dropped reported: %s",
	   seen.line[0]);

	/* a large rate does not overflow the bucket arithmetic */
	log_set_rate(1000000);
	reset();
	fake_now += 999;
	for (i = 0; i < 60; i++)
		pr_info("n=%d", i);
	is_int(seen.n, 60, "rate 1000000: 60 lines pass");

	log_set_rate(LOG_RATE_DEFAULT);
	log_set_clock(NULL);
}

/* Syslog target: the sink sees LOG_DAEMON | the level's priority and the bare message. */
static void test_syslog(void)
{
	log_set_target(LOG_TARGET_SYSLOG);
	log_set_level(LOG_LVL_DEBUG);
	reset();
	pr_err("e=1");
	pr_warn("w=1");
	pr_info("i=1");
	pr_debug("d=1");
	is_int(seen.n, 4, "four lines to the syslog sink");
	is_int(seen.prio[0], LOG_DAEMON | LOG_ERR, "error -> LOG_DAEMON|LOG_ERR");
	is_int(seen.prio[1], LOG_DAEMON | LOG_WARNING, "warn -> LOG_DAEMON|LOG_WARNING");
	is_int(seen.prio[2], LOG_DAEMON | LOG_INFO, "info -> LOG_DAEMON|LOG_INFO");
	is_int(seen.prio[3], LOG_DAEMON | LOG_DEBUG, "debug -> LOG_DAEMON|LOG_DEBUG");
	ok(!strcmp(seen.line[2], "i=1"), "syslog gets the message alone: '%s'", seen.line[2]);
	is_int(log_syslog_priority(LOG_LVL_ERR), LOG_DAEMON | LOG_ERR, "priority of error");
	log_set_target(LOG_TARGET_STDERR);
	log_set_level(LOG_LVL_INFO);
	reset();
	pr_info("i=2");
	ok(seen.n == 1 && strstr(seen.line[0], "level=info i=2"), "back to the stderr format");
}

/* Hostile content: a message longer than the buffer, and bytes that would forge lines. */
static void test_hostile(void)
{
	size_t big = 3 * LOG_LINE_MAX;
	char *s = malloc(big + 1);
	const char *msg;

	if (!s)
		abort();
	memset(s, 'x', big);
	s[big] = '\0';
	log_set_target(LOG_TARGET_SYSLOG);
	reset();
	pr_info("long=%s", s);
	is_int(seen.n, 1, "an oversize message is written once");
	is_int((int)strlen(seen.line[0]), LOG_LINE_MAX - 1, "cut to LOG_LINE_MAX - 1 bytes");
	ok(!strncmp(seen.line[0], "long=xxx", 8), "cut at the end, the start kept");
	log_set_target(LOG_TARGET_STDERR);
	reset();
	pr_info("long=%s", s);
	msg = strstr(seen.line[0], "long=");
	ok(msg && strlen(msg) == LOG_LINE_MAX - 1, "stderr: prefix plus the cut message");
	reset();
	pr_info("user=%s reason=bad", "eve\nlevel=error forged=1\r\x1b[31m\x7f");
	ok(seen.n == 1 && ends_with(seen.line[0],
				    "user=eve?level=error forged=1??[31m? reason=bad"),
	   "control bytes become '?': %s", seen.line[0]);
	reset();
	pr_info("%s", "");
	ok(seen.n == 1 && ends_with(seen.line[0], "level=info "), "empty message");
	free(s);
}

int main(void)
{
	log_set_sink(capture);
	test_parse();
	test_levels();
	test_rate();
	test_syslog();
	test_hostile();
	log_set_sink(NULL);
	return done_testing();
}
