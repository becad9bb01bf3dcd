/* bind_tab.h - tests write and read the XDP program's binding tables by map fd, as turnd does. */
#ifndef TESTS_BIND_TAB_H
#define TESTS_BIND_TAB_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bindtab.h"

/* Put (or with del, delete) key's entry in the table of map fd: 0 or -errno. */
static inline int tab_apply(int fd, enum bindtab_kind kind, const void *key, const void *val,
			    bool del)
{
	struct bindtab t;
	int err = bindtab_open(&t, fd, kind);

	if (err)
		return err;
	err = del ? bindtab_del(&t, key) : bindtab_put(&t, key, val);
	bindtab_close(&t);
	return err;
}

/*
 * Write key's entry, then its route cache as val's rt says, as the program would (the daemon
 * never writes it): 0 or -errno. rt_off: the offset of rt in the value.
 */
static inline int tab_replace(int fd, enum bindtab_kind kind, const void *key, const void *val,
			      size_t rt_off)
{
	uint8_t k[64], v[256];
	struct bindtab t;
	int err = bindtab_open(&t, fd, kind);

	if (err)
		return err;
	err = bindtab_put(&t, key, val);
	for (uint32_t i = 0; !err && i < bindtab_slots(&t); i++) {
		if (bindtab_at(&t, i, k, v) || memcmp(k, key, t.ksz))
			continue;
		memcpy(t.base + (size_t)i * t.stride + TURN_ENT_HDR + t.ksz + rt_off,
		       (const uint8_t *)val + rt_off, sizeof(struct turn_route));
		break;
	}
	bindtab_close(&t);
	return err;
}

/* Key's value in the table of map fd into val: 0 or -errno (-ENOENT: none). */
static inline int tab_get(int fd, enum bindtab_kind kind, const void *key, void *val)
{
	struct bindtab t;
	int err = bindtab_open(&t, fd, kind);

	if (err)
		return err;
	err = bindtab_get(&t, key, val);
	bindtab_close(&t);
	return err;
}

/* How many entries the table of map fd holds, or -errno. */
static inline int tab_count(int fd, enum bindtab_kind kind)
{
	uint8_t key[64], val[256];
	struct bindtab t;
	int err = bindtab_open(&t, fd, kind), n = 0;

	if (err)
		return err;
	for (uint32_t i = 0; i < bindtab_slots(&t); i++)
		n += !bindtab_at(&t, i, key, val);
	bindtab_close(&t);
	return n;
}

#endif
