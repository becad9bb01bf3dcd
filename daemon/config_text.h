/* config_text.h - pre-pass over the config text before libconfig reads it. */
#ifndef TURND_CONFIG_TEXT_H
#define TURND_CONFIG_TEXT_H

#include <stddef.h>

/*
 * libconfig 1.5 silently wraps an integer literal that does not fit 32 bits (4294967296
 * reads as 0, so a quota would become "unlimited"). Copy buf into a malloc'd, NUL-ended
 * *out, appending the 64-bit suffix L to each such literal so that range checks see its
 * real value. A NUL byte or an @include is refused: -EINVAL with *line and *why set.
 * -ENOMEM when out of memory.
 */
int config_prepare_text(const char *buf, size_t len, char **out, unsigned int *line,
			const char **why);

#endif
