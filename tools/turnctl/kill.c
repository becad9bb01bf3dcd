/* kill.c - `turnctl kill ID` / `turnctl kill --user NAME`: end allocations now. */
#include <stdio.h>
#include <string.h>

#include "turnctl.h"

/* NAME as a JSON string body into out (quotes, backslashes, control bytes escaped). */
static int json_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int k = ch == '"' || ch == '\\' ? snprintf(out + n, cap - n, "\\%c", ch) :
			ch < 0x20 ? snprintf(out + n, cap - n, "\\u%04x", ch) :
			snprintf(out + n, cap - n, "%c", ch);

		if (k < 0 || (size_t)k >= cap - n)
			return -1;
		n += (size_t)k;
	}
	return 0;
}

/* A decimal id > 0, or 0. */
static unsigned long long parse_id(const char *s)
{
	unsigned long long v = 0;

	if (!*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
		return 0;
	sscanf(s, "%llu", &v);
	return v;
}

int cmd_kill(const struct ctl_opts *o, int argc, char **argv)
{
	char req[3300], name[3200];
	unsigned long long id = 0;
	struct jdoc d;
	int st;

	if (argc == 3 && !strcmp(argv[1], "--user")) {
		if (json_escape(argv[2], name, sizeof(name))) {
			fprintf(stderr, "turnctl: user name too long\n");
			return CTL_ERR;
		}
		snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"user\":\"%s\"}", name);
	} else if (argc == 2 && (id = parse_id(argv[1]))) {
		snprintf(req, sizeof(req), "{\"cmd\":\"kill\",\"id\":%llu}", id);
	} else {
		if (argc == 2)
			fprintf(stderr, "turnctl: '%s' is not an allocation id\n", argv[1]);
		return ctl_usage(argv[0]);
	}
	st = ctl_call(o, req, &d);
	if (st)
		return st;
	if (!o->json)
		printf("killed %llu allocation%s\n", jdoc_num(&d, "killed"),
		       jdoc_num(&d, "killed") == 1 ? "" : "s");
	jdoc_free(&d);
	return CTL_OK;
}
