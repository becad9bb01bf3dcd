/* sig_int.h - shared by the signaling core's files: its state, tables and outgoing messages. */
#ifndef TURND_SIG_INT_H
#define TURND_SIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"
#include "sig_json.h"

#define ROOM_NAME_MAX 64
#define ID_LEN 16		/* lowercase hex characters of a member ID */
#define TYPE_REF_MAX 64		/* longest type echoed as "ref" */
#define REASON_MAX 128		/* longest reason in an error reply */

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct htab {
	struct hnode **b;
	size_t nb, n;
};

struct room {
	struct hnode node;
	struct member *head, *tail;
	uint32_t n;
	size_t len;
	char name[ROOM_NAME_MAX];
};

struct member {
	struct hnode by_conn, by_id;
	uint64_t conn, id;
	struct room *room;
	struct member *prev, *next;
};

struct obuf {
	char *p;
	size_t len, cap;
};

struct sig {
	struct sig_limits lim;
	struct sig_ops ops;
	struct htab rooms, conns, ids;
	uint64_t seed;
	struct sig_stats st;
	struct obuf out;
};

enum { F_TYPE, F_ROOM, F_TO, F_DATA, F_COUNT };

/* One request being handled. */
struct req {
	uint64_t conn;
	struct sj_field f[F_COUNT];
	char type[TYPE_REF_MAX];
	size_t type_len;
	bool has_ref;
};

/* sig_rooms.c: the tables of rooms (by name) and members (by conn and by ID). */
struct room *sig_room_find(const struct sig *s, const char *name, size_t len);
struct member *sig_member_by_conn(const struct sig *s, uint64_t conn);
struct member *sig_member_by_id(const struct sig *s, uint64_t id);
/* A random ID no live member has: 0, or -EAGAIN after ID_TRIES draws. */
int sig_new_id(struct sig *s, uint64_t *id);
/* A room not yet in the table, or NULL. */
struct room *sig_room_new(const char *name, size_t len);
/* Make room in the tables for one more member, and one more room when new_room: 0/-ENOMEM. */
int sig_reserve_join(struct sig *s, bool new_room);
/* Link m (sig_reserve_join done) into room r (from sig_room_new when new_room), last. */
void sig_member_add(struct sig *s, struct member *m, struct room *r, bool new_room);
/* Unlink m from the tables and from its room's list (m->room stays set; nothing is freed). */
void sig_member_unlink(struct sig *s, struct member *m);
/* Remove and free room r when it has no member left. */
void sig_room_drop_empty(struct sig *s, struct room *r);
/* Free every member, room and table. */
void sig_tables_free(struct sig *s);
/* An ID as ID_LEN lowercase hex digits (no NUL). */
void sig_id_hex(uint64_t id, char out[ID_LEN]);
/* Exactly ID_LEN lowercase hex digits into *id. */
bool sig_id_parse(const char *s, size_t n, uint64_t *id);

/* sig_send.c: what the core sends, through ops->send (failures counted). */
void sig_emit(struct sig *s, uint64_t conn, const char *json, size_t len);
/* A small fixed message {"type":"TYPE","id":"ID"}, or {"type":"TYPE"} when id is NULL. */
void sig_emit_simple(struct sig *s, uint64_t conn, const char *type, const uint64_t *id);
/* {"type":"error","reason":REASON[,"ref":TYPE]} (ref from r when r has one; r may be NULL). */
void sig_emit_error(struct sig *s, uint64_t conn, const struct req *r, const char *reason);
/*
 * {"type":"joined",...} for a new member id of room name (room: its other members, NULL when
 * new) into s->out: 0, -ENOMEM or -EIO (the iceServers callback gave nothing usable).
 */
int sig_build_joined(struct sig *s, uint64_t conn, uint64_t id, const char *name, size_t len,
		     const struct room *room);
/* {"type":"signal","from":"ID","data":DATA} into s->out: 0 or -ENOMEM. */
int sig_build_signal(struct sig *s, uint64_t from, const char *data, size_t data_len);

#endif
