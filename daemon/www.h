/* www.h - the static files the signaling server serves, built into the binary. */
#ifndef TURND_WWW_H
#define TURND_WWW_H

#include <stddef.h>

struct www_file {
	const char *path;		/* request path, e.g. "/" */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};

/* The file served at path (query string already cut off), or NULL. */
const struct www_file *www_find(const char *path);

#endif
