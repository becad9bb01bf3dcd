/* log.c - the one logging module: levels, a rate limit, one line per event, stderr or syslog. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* Token bucket in thousandths of a line: a line costs 1000, per_sec lines refill a second. */
struct log_bucket {
	uint32_t per_sec;	/* 0: no limit */
	uint64_t milli;		/* tokens left, at most per_sec * 1000 */
	uint64_t last_ms;	/* when milli was last refilled */
	uint64_t dropped;	/* lines dropped since the last one written */
};

static enum log_level cur_level = LOG_LVL_INFO;
static enum log_target cur_target = LOG_TARGET_STDERR;
static struct log_bucket bucket = { .per_sec = LOG_RATE_DEFAULT,
				    .milli = LOG_RATE_DEFAULT * 1000ULL };
static uint64_t (*clock_fn)(void);
static void (*sink_fn)(int priority, const char *line);
static const char *const names[] = { "error", "warn", "info", "debug" };
static const char *const targets[] = { "stderr", "syslog" };

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (!strcmp(s, "warning"))
		return LOG_LVL_WARN;
	return -EINVAL;
}

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

int log_target_parse(const char *s)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(s, targets[i]))
			return i;
	return -EINVAL;
}

void log_set_target(enum log_target t)
{
	if (t == cur_target)
		return;
	if (t == LOG_TARGET_SYSLOG)
		openlog("turnd", LOG_PID, LOG_DAEMON);
	else
		closelog();
	cur_target = t;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ms(void)
{
	return clock_fn ? clock_fn() : mono_ms();
}

/* A new rate starts with a full bucket; the count of dropped lines is kept. */
void log_set_rate(uint32_t per_sec)
{
	bucket.per_sec = per_sec;
	bucket.milli = (uint64_t)per_sec * 1000;
	bucket.last_ms = now_ms();
}

void log_set_clock(uint64_t (*now)(void))
{
	clock_fn = now;
	bucket.last_ms = now_ms();
}

void log_set_sink(void (*sink)(int priority, const char *line))
{
	sink_fn = sink;
}

int log_syslog_priority(enum log_level lvl)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	return LOG_DAEMON | prio[lvl <= LOG_LVL_DEBUG ? lvl : LOG_LVL_DEBUG];
}

/* Refill for the time passed, then take one line's worth; false: over the rate. */
static int bucket_take(struct log_bucket *b, uint64_t now)
{
	uint64_t full = (uint64_t)b->per_sec * 1000;

	if (!b->per_sec)
		return 1;
	if (now > b->last_ms) {
		/* a second or more refills it whole; below that, per_sec thousandths per ms */
		if (now - b->last_ms >= 1000)
			b->milli = full;
		else
			b->milli += (now - b->last_ms) * b->per_sec;
		if (b->milli > full)
			b->milli = full;
		b->last_ms = now;
	}
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

/* Write one line (no newline) to the sink, syslog or stderr. */
static void emit(enum log_level lvl, const char *msg)
{
	char line[LOG_LINE_MAX + 64];
	struct timespec ts;
	struct tm tm;
	int prio = log_syslog_priority(lvl);

	if (cur_target == LOG_TARGET_SYSLOG) {
		if (sink_fn)
			sink_fn(prio, msg);
		else
			syslog(prio, "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s %s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000, names[lvl], msg);
	if (sink_fn)
		sink_fn(prio, line);
	else
		fprintf(stderr, "%s\n", line);
}

/* One event, one line: a newline or other control byte in a value cannot start another. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void log_printf(enum log_level lvl, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	if (lvl > cur_level)
		return;
	if (!bucket_take(&bucket, now_ms())) {
		bucket.dropped++;
		return;
	}
	if (bucket.dropped) {
		snprintf(msg, sizeof(msg), "log suppressed lines=%llu",
			 (unsigned long long)bucket.dropped);
		bucket.dropped = 0;
		emit(LOG_LVL_WARN, msg);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	emit(lvl, msg);
}
