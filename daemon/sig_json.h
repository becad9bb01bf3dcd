/* sig_json.h - strict JSON validator and string escaper for the signaling protocol. */
#ifndef TURND_SIG_JSON_H
#define TURND_SIG_JSON_H

#include <stddef.h>
#include <sys/types.h>

#define SJ_MAX_DEPTH 32		/* objects and arrays nested deeper than this: refused */

enum sj_kind { SJ_ABSENT, SJ_OBJECT, SJ_ARRAY, SJ_STRING, SJ_NUMBER, SJ_TRUE, SJ_FALSE, SJ_NULL };

/* A top-level member the caller wants to find. */
struct sj_field {
	const char *key;	/* in: the member's name, NUL-terminated, no backslash */
	enum sj_kind kind;	/* out: SJ_ABSENT when missing (or the text is not an object) */
	const char *raw;	/* out: the value's bytes in the text (a string: with its quotes) */
	size_t raw_len;
};

/*
 * Validate text[0..len) as exactly one JSON text (RFC 8259): one value, optional whitespace
 * around it, nothing after. Refused: nesting deeper than SJ_MAX_DEPTH, a duplicate key in the
 * top-level object (keys compared after decoding), bytes that are not UTF-8 (overlong forms,
 * surrogates, past U+10FFFF), raw control bytes in strings, unknown escapes, a \u surrogate
 * that is not half of a pair, numbers outside the RFC grammar (leading zeros, "1.", ".5",
 * "+1", "1e"). "\u0000" is valid JSON and accepted. Keys of f[] are matched after decoding.
 * Returns 0 (*top = the kind of the value), -EINVAL (*why = a static description) or -ENOMEM
 * (more than a few top-level keys need a heap array for the duplicate check).
 */
int sj_scan(const char *text, size_t len, enum sj_kind *top, struct sj_field *f, size_t nf,
	    const char **why);

/*
 * Decode the string raw[0..n), a span sj_scan accepted (quotes included), into out[0..cap).
 * Returns the decoded length (no NUL is written), or -E2BIG when it exceeds cap.
 */
ssize_t sj_unescape(const char *raw, size_t n, char *out, size_t cap);

/*
 * s[0..n) as a JSON string literal, quotes included: '"', '\\' and control bytes escaped,
 * valid UTF-8 copied, each byte of an invalid UTF-8 sequence written as \ufffd. The output is
 * always valid JSON. sj_escaped_len gives the size sj_escape writes (no NUL); sj_escape
 * returns it too.
 */
size_t sj_escaped_len(const char *s, size_t n);
size_t sj_escape(char *dst, const char *s, size_t n);

#endif
