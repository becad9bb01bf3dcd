/* maps.h - the maps of the XDP fast path; names, keys, values and sizes come from turn_shared.h. */
#ifndef TURN_MAPS_H
#define TURN_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "turn_shared.h"

/*
 * The hash maps are preallocated (no BPF_F_NO_PREALLOC) and sized to the limits, never LRU: an
 * LRU map would evict live calls under pressure. The daemon sizes them down with
 * bpf_map__set_max_entries() before load when its configured limits are smaller, and pins
 * them; nothing here pins.
 */

/*
 * Client ChannelData -> peer: one entry per bound channel, written by the daemon through
 * mmap. An open-addressed table (turn_shared.h says how), not a hash map: the program's
 * array lookups are inlined, where a hash map lookup is a helper call and a hash of its own.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TURN_BIND_SLOTS);
	__type(key, __u32);
	__type(value, struct turn_c2p_ent);
} turn_c2p SEC(".maps");

/* Peer datagram -> client ChannelData: the other direction of the same channel, alike. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TURN_BIND_SLOTS);
	__type(key, __u32);
	__type(value, struct turn_p2c_ent);
} turn_p2c SEC(".maps");

/* Permissions: a permitted peer without a channel goes to the daemon, others are dropped. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TURN_MAX_PERMS);
	__type(key, struct turn_perm_key);
	__type(value, struct turn_perm_val);
} turn_perm SEC(".maps");

/* Per allocation, per CPU, by slot: zeroed and handed out by the daemon, only added to here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TURN_MAX_ALLOCS);
	__type(key, __u32);
	__type(value, struct turn_alloc_stats);
} turn_stats SEC(".maps");

/* Bandwidth buckets per allocation, shared by all CPUs: written by the daemon, moved here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TURN_MAX_ALLOCS);
	__type(key, __u64);
	__type(value, struct turn_rate);
} turn_rate SEC(".maps");

/* Per reason, per CPU: enum turn_xdp_counter. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TURN_XDP_NR);
	__type(key, __u32);
	__type(value, __u64);
} turn_drops SEC(".maps");

#endif
