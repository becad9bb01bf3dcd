/* log.h - the one logging module: levels, one line per event, key=value fields. */
#ifndef TURND_LOG_H
#define TURND_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Parse "error", "warn", "info", "debug"; returns the level or -EINVAL. */
int log_level_parse(const char *s);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Route libbpf's own messages through this module (set up by the fast-path loader). */
void log_printf(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...) log_printf(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...) log_printf(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_printf(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_printf(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
