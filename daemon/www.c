/* www.c - the static files the signaling server serves (daemon/www/), built into the binary. */
#include "www.h"

#include <string.h>

/* The assembler pulls the file in at build time (the Makefile makes www.o depend on it). */
__asm__(".section .rodata\n"
	".balign 16\n"
	"www_index_start:\n"
	".incbin \"daemon/www/index.html\"\n"
	"www_index_end:\n"
	".byte 0\n"
	".previous\n");

extern const unsigned char www_index_start[] __asm__("www_index_start");
extern const unsigned char www_index_end[] __asm__("www_index_end");

const struct www_file *www_find(const char *path)
{
	static struct www_file index;

	if (strcmp(path, "/") && strcmp(path, "/index.html"))
		return NULL;
	index.path = "/";
	index.content_type = "text/html; charset=utf-8";
	index.data = www_index_start;
	index.len = (size_t)(www_index_end - www_index_start);
	return &index;
}
