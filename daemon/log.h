/* log.h - the one logging module: levels, one line per event, key=value fields. */
#ifndef TURND_LOG_H
#define TURND_LOG_H

#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Where lines go: stderr (timestamp and level= prefix) or syslog(3), facility LOG_DAEMON. */
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

/* A message longer than this (NUL included) is cut; control bytes in it become '?'. */
#define LOG_LINE_MAX 1024
/* Default of log_set_rate: lines per second, and the burst allowed. */
#define LOG_RATE_DEFAULT 200

/* Parse "error", "warn", "info", "debug"; returns the level or -EINVAL. */
int log_level_parse(const char *s);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/* Parse "stderr", "syslog"; returns the target or -EINVAL. */
int log_target_parse(const char *s);
/* Switch the output; syslog is opened (ident "turnd", LOG_PID, LOG_DAEMON) or closed. */
void log_set_target(enum log_target t);
/*
 * At most per_sec lines a second (a token bucket, burst = per_sec; 0 = no limit). Lines over
 * it are dropped and counted; the next line let through is preceded by one warning
 * "log suppressed lines=N". Lines below the level do not count.
 */
void log_set_rate(uint32_t per_sec);

/* The syslog priority (LOG_DAEMON | LOG_ERR ... LOG_DEBUG) of a level. */
int log_syslog_priority(enum log_level lvl);

/*
 * For tests: the clock of the rate limit (milliseconds, monotonic; NULL: CLOCK_MONOTONIC),
 * and a sink that receives every line written instead of stderr or syslog (NULL: the
 * target's own). The sink gets the syslog priority and the line as the target would write
 * it (stderr: with timestamp and level=, no newline; syslog: the message alone).
 */
void log_set_clock(uint64_t (*now_ms)(void));
void log_set_sink(void (*sink)(int priority, const char *line));

/* Route libbpf's own messages through this module (set up by the fast-path loader). */
void log_printf(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...) log_printf(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...) log_printf(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_printf(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_printf(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
