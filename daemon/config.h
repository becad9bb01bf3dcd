/* config.h - turnd's configuration file (libconfig): load, validate, free. */
#ifndef TURND_CONFIG_H
#define TURND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "policy.h"

#define CONFIG_MAX_LISTEN 16

struct user_cfg {
	char *name;
	char *password;
};

/* relay = { address = "auto" | "IP" | [ "IPv4", "IPv6" ]; external = ...; ports = "lo-hi"; } */
struct relay_cfg {
	bool autodetect;	/* address = "auto": the default routes' source addresses */
	sockaddr_u addr[2];	/* at most one IPv4 and one IPv6 (port 0) */
	int naddr;
	sockaddr_u external[2];	/* advertised instead of addr (behind NAT), same families */
	int nexternal;
	uint16_t port_min, port_max;
};

/* allocation = { default_lifetime; max_lifetime; permission_lifetime; channel_lifetime; ... } */
struct alloc_cfg {
	uint32_t default_lifetime;	/* 600 */
	uint32_t max_lifetime;		/* 3600 */
	uint32_t permission_lifetime;	/* 300 */
	uint32_t channel_lifetime;	/* 600 */
	uint32_t max_per_user;		/* 0 = unlimited; over it: 486 */
	uint32_t max_total;		/* 0 = unlimited; over it: 486 */
	bool legacy_channels;		/* true: ChannelBind also takes RFC 5766's 0x5000-0x7FFE */
	uint32_t max_permissions;	/* per allocation, 1..1024 (64); over it: 508 */
	uint32_t max_channels;		/* per allocation, 1..4096 (64); over it: 508 */
	uint32_t max_bps;		/* payload bytes/s per allocation and direction; 0: none */
	uint32_t bps_burst;		/* bytes at once; 0 (default): max_bps, one second */
};

/* auth = { users = ( { name; password; } ... ); users_file; secret; nonce_lifetime; } */
struct auth_cfg {
	struct user_cfg *users;
	size_t nusers;
	char *users_file;	/* NULL when unset */
	char *secret;		/* NULL when unset or "" */
	uint32_t nonce_lifetime;	/* 600 */
	uint32_t unauth_rate;	/* requests/s of a source without allocation (50); 0: none */
	uint32_t unauth_burst;	/* such requests at once; 0 (default): 2 * unauth_rate */
};

enum xdp_mode { XDP_MODE_AUTO, XDP_MODE_NATIVE, XDP_MODE_GENERIC, XDP_MODE_OFF };

/*
 * xdp = { mode = "auto"; interfaces = [ ]; pin_path = "/sys/fs/bpf/turnd";
 *         detach_on_exit = false; route_cache_ms = 1000; }
 */
struct xdp_cfg {
	int mode;		/* enum xdp_mode; auto: native, else generic, else off */
	char **ifaces;		/* empty: every interface holding a listen or relay address */
	size_t nifaces;
	char *pin_path;		/* bpffs directory for the pinned maps and links */
	bool detach_on_exit;	/* a clean shutdown removes what was pinned (default: keep) */
	uint32_t route_cache_ms;	/* a binding's cached route holds this long (1000); 0: off */
};

#define SIG_MAX_LISTEN 4

/*
 * signaling = { listen = "0.0.0.0:8080"; tls_cert; tls_key; origins; ice_urls; ice_host; ... }:
 * the WebSocket signaling server and the call page. Absent group: no signaling.
 */
struct signaling_cfg {
	bool on;
	sockaddr_u listen[SIG_MAX_LISTEN];	/* TCP; "IPv4:port" or "[IPv6]:port", default port 8080 */
	int nlisten;
	char *tls_cert, *tls_key;	/* PEM files, both or neither; with them listeners also speak TLS */
	char **origins;			/* allowed Origin values; none: any */
	size_t norigins;
	char **ice_urls;		/* explicit "stun:"/"turn:"/"turns:" URLs; none: derived */
	size_t nice_urls;
	char *ice_host;			/* host in derived URLs; NULL: the page's Host header */
	uint32_t credential_lifetime;	/* seconds of the TURN REST credentials handed out (3600) */
	uint32_t max_connections;	/* open at once (1024) */
	uint32_t max_per_address;	/* open at once from one client IP (16) */
	uint32_t idle_timeout;		/* seconds without a frame before the close (60) */
	uint32_t max_message;		/* bytes of one WebSocket message (65536) */
	uint32_t max_rooms;		/* rooms at once (1000) */
	uint32_t max_members;		/* members of one room (8) */
};

/*
 * The whole file, owned by main and handed to each module piece by piece (no module
 * reads another's section).
 */
struct turnd_config {
	char *path;
	char *realm;
	char *software;		/* SOFTWARE attribute; "" sends none */
	sockaddr_u listen[CONFIG_MAX_LISTEN];
	int nlisten;
	struct relay_cfg relay;
	struct alloc_cfg alloc;
	struct auth_cfg auth;
	struct peer_policy peers;
	struct xdp_cfg xdp;
	char *state_file;	/* allocations kept across a restart */
	char *control_socket;
	struct signaling_cfg sig;
	bool metrics_on;	/* metrics = { listen = "127.0.0.1:9641"; }; absent: no endpoint */
	sockaddr_u metrics_listen;
	int log_level;		/* enum log_level */
	int log_target;		/* enum log_target: stderr (default) or syslog */
	uint32_t log_rate;	/* lines per second, burst as many; 0 = no limit (default 200) */
};

/*
 * Load and validate path into *c. On error returns -EINVAL (or -errno for I/O) and writes
 * one message "FILE:LINE: what is wrong" into err; *c is then empty (nothing to free).
 */
int config_load(const char *path, struct turnd_config *c, char *err, size_t errlen);
/*
 * The same on a file's contents already in memory (buf, len bytes, need not end in NUL);
 * `name` stands for the file in messages and in c->path. For tests and the fuzzer.
 */
int config_load_buf(const char *buf, size_t len, const char *name, struct turnd_config *c,
		    char *err, size_t errlen);
void config_free(struct turnd_config *c);

#endif
