/* reload.c - `turnctl reload`: ask turnd to re-read its configuration, as SIGHUP does. */
#include <stdio.h>

#include "turnctl.h"

int cmd_reload(const struct ctl_opts *o, int argc, char **argv)
{
	struct jdoc d;
	int st;

	if (argc > 1)
		return ctl_usage(argv[0]);
	st = ctl_call(o, "{\"cmd\":\"reload\"}", &d);
	if (st)
		return st;
	if (!o->json)
		printf("reload requested (turnd logs 'reloaded' or 'reload failed: WHY')\n");
	jdoc_free(&d);
	return CTL_OK;
}
