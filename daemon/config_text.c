/* config_text.c - pre-pass over the config text: widen 64-bit literals, refuse NUL and @include. */
#include "config_text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_xdigit(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool is_name_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '*';
}

static bool is_name_char(char ch)
{
	return is_name_start(ch) || is_digit(ch) || ch == '-' || ch == '_';
}

/* Can buf[i] continue a float literal ("1.5e-3")? */
static bool is_float_char(const char *buf, size_t i)
{
	if (is_digit(buf[i]) || buf[i] == '.' || (buf[i] | 0x20) == 'e')
		return true;
	return (buf[i] == '-' || buf[i] == '+') && (buf[i - 1] | 0x20) == 'e';
}

/* Does the integer literal of `digits` (no sign, no prefix) overflow int? */
static bool int_overflows(const char *d, size_t n, bool hex, bool neg)
{
	unsigned long long v = 0;

	while (n > 1 && *d == '0') {
		d++;
		n--;
	}
	if (n > (hex ? 8u : 10u))
		return true;
	for (size_t i = 0; i < n; i++)
		v = v * (hex ? 16 : 10) +
		    (unsigned long long)(is_digit(d[i]) ? d[i] - '0' : (d[i] | 0x20) - 'a' + 10);
	if (hex)
		return v > 0x7fffffffull;
	return v > (neg ? 0x80000000ull : 0x7fffffffull);
}

/*
 * The number token at buf[i] (an optional sign, then digits, hex or a float): returns its
 * end, and *widen when it is a 32-bit integer literal that libconfig would wrap.
 */
static size_t scan_number(const char *buf, size_t len, size_t i, bool *widen)
{
	bool neg = false, hex = false;
	size_t start;

	*widen = false;
	if (buf[i] == '-' || buf[i] == '+')
		neg = buf[i++] == '-';
	if (i + 2 < len && buf[i] == '0' && (buf[i + 1] | 0x20) == 'x' && is_xdigit(buf[i + 2])) {
		hex = true;
		i += 2;
	}
	start = i;
	while (i < len && (hex ? is_xdigit(buf[i]) : is_digit(buf[i])))
		i++;
	if (!hex && i < len && (buf[i] == '.' || (buf[i] | 0x20) == 'e')) {
		while (i < len && is_float_char(buf, i))
			i++;
		return i;
	}
	if (i < len && buf[i] == 'L')
		return i;
	*widen = i > start && int_overflows(buf + start, i - start, hex, neg);
	return i;
}

/* End of the token at buf[i] that is not a number: string, comment, name or one byte. */
static size_t skip_token(const char *buf, size_t len, size_t i)
{
	const char *end;

	if (buf[i] == '"') {
		for (i++; i < len && buf[i] != '"'; i++)
			if (buf[i] == '\\' && i + 1 < len)
				i++;
		return i < len ? i + 1 : len;
	}
	if (buf[i] == '#' || (buf[i] == '/' && i + 1 < len && buf[i + 1] == '/')) {
		end = memchr(buf + i, '\n', len - i);
		return end ? (size_t)(end - buf) : len;
	}
	if (buf[i] == '/' && i + 1 < len && buf[i + 1] == '*') {
		end = memmem(buf + i + 2, len - i - 2, "*/", 2);
		return end ? (size_t)(end - buf) + 2 : len;
	}
	if (is_name_start(buf[i])) {
		while (i < len && is_name_char(buf[i]))
			i++;
		return i;
	}
	return i + 1;
}

static unsigned int line_at(const char *buf, size_t i)
{
	unsigned int line = 1;

	for (size_t k = 0; k < i; k++)
		line += buf[k] == '\n';
	return line;
}

/*
 * libconfig 1.5 silently wraps an integer literal that does not fit 32 bits (4294967296
 * reads as 0, so a quota would become "unlimited"). Copy the text into *out, appending the
 * 64-bit suffix L to each such literal so that the range checks see its real value (or
 * INT64_MAX). Also refuse NUL bytes (libconfig would stop reading there) and @include (an
 * included file would skip this pass, and is not worth its surprises).
 */
int config_prepare_text(const char *buf, size_t len, char **out, unsigned int *line,
			const char **why)
{
	const char *nul = memchr(buf, 0, len);
	size_t i = 0, next, n = 0;
	bool widen;
	char *o;

	if (nul) {
		*line = line_at(buf, (size_t)(nul - buf));
		*why = "NUL byte in the file";
		return -EINVAL;
	}
	o = malloc(len + len / 8 + 2);	/* a widened literal has at least 10 characters */
	if (!o)
		return -ENOMEM;
	while (i < len) {
		widen = false;
		if (buf[i] == '@') {
			free(o);
			*line = line_at(buf, i);
			*why = "@include is not supported: keep the configuration in one file "
			       "(users can go in auth.users_file)";
			return -EINVAL;
		}
		if (is_digit(buf[i]) ||
		    ((buf[i] == '-' || buf[i] == '+' || buf[i] == '.') && i + 1 < len &&
		     is_digit(buf[i + 1])))
			next = scan_number(buf, len, i, &widen);
		else
			next = skip_token(buf, len, i);
		memcpy(o + n, buf + i, next - i);
		n += next - i;
		if (widen)
			o[n++] = 'L';
		i = next;
	}
	o[n] = 0;
	*out = o;
	return 0;
}

