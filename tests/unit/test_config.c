/* test_config.c - config.c: the full example field by field, defaults, every rejection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "tap.h"

/*
 * libconfig 1.5 leaks the string token its scanner allocated (strbuf_append, or calloc in
 * libconfig_yylex for "") when a syntax error is found at that token, e.g. `"x" = 1;`.
 * That is its bug, not ours: the mangled-file test below hits it, so LeakSanitizer is
 * told to ignore allocations made inside libconfig's scanner, and only those.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static char dir[64];
static char path[128];
static char err[512];
static struct turnd_config cfg;

static void write_file(const char *name, const char *text, size_t len)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* Write text to DIR/t.conf and load it into cfg. */
static int load(const char *text)
{
	write_file("t.conf", text, strlen(text));
	return config_load(path, &cfg, err, sizeof(err));
}

static bool cfg_is_empty(const struct turnd_config *c)
{
	static const struct turnd_config zero;

	return !memcmp(c, &zero, sizeof(zero));
}

static bool ip_is(const sockaddr_u *a, const char *want_ip, unsigned int want_port)
{
	char buf[ADDR_STRLEN];
	sockaddr_u w;

	if (addr_parse_ip(want_ip, &w) || !addr_equal_ip(a, &w) || addr_port(a) != want_port) {
		diag("got %s, want %s port %u", addr_format(a, buf, sizeof(buf)), want_ip,
		     want_port);
		return false;
	}
	return true;
}

static bool str_is(const char *got, const char *want)
{
	if (got && want && !strcmp(got, want))
		return true;
	if (!got && !want)
		return true;
	diag("got \"%s\", want \"%s\"", got ? got : "(null)", want ? want : "(null)");
	return false;
}

static const char full[] =
	"# the example from the issue, every setting given\n"			/* 1 */
	"realm = \"example.org\";\n"						/* 2 */
	"software = \"turnd\";\n"						/* 3 */
	"listen = [ \"0.0.0.0:3478\", \"[2001:db8::1]:3479\", \"198.18.0.1\" ];\n" /* 4 */
	"relay = { address = [ \"198.18.0.10\", \"2001:db8::10\" ];\n"		/* 5 */
	"  external = [ \"2001:db8:1::10\", \"203.0.113.10\" ];\n"		/* 6 */
	"  ports = \"50000-50999\"; };\n"					/* 7 */
	"allocation = { default_lifetime = 300; max_lifetime = 1200; "
	"permission_lifetime = 200; channel_lifetime = 400; max_per_user = 3; "
	"max_total = 1000; legacy_channels = false; max_permissions = 10; max_channels = 5; "
	"max_bps = 250000; bps_burst = 500000; };\n"				/* 8 */
	"auth = { users = ( { name = \"alice\"; password = \"s3cret\"; },\n"	/* 9 */
	"  { name = \"bob\"; password = \"pw:with:colons\"; } );\n"		/* 10 */
	"  users_file = \"/etc/turnd/users\"; secret = \"sharedsecret\";\n"	/* 11 */
	"  nonce_lifetime = 120; unauth_rate = 30; unauth_burst = 45; };\n"	/* 12 */
	"peers = { allow = [ \"10.1.0.0/16\" ]; deny = [ \"203.0.113.0/24\", "
	"\"2001:db8:dead::/48\" ]; };\n"					/* 13 */
	"control = { socket = \"/tmp/turnd-test.sock\"; };\n"			/* 14 */
	"log = { level = \"debug\"; target = \"syslog\"; rate = 50; };\n"	/* 15 */
	"xdp = { mode = \"native\"; interfaces = [ \"eth0\", \"veth1\" ];\n"	/* 16 */
	"  pin_path = \"/sys/fs/bpf/t\"; detach_on_exit = true; route_cache_ms = 0; };\n" /* 17 */
	"signaling = { listen = [ \"127.0.0.1:8080\", \"[::1]\" ]; origins = \"https://a.example\";\n"
	"  ice_host = \"relay.example.org\"; max_members = 2; idle_timeout = 30; };\n"	/* 18, 19 */
	"metrics = { listen = \"127.0.0.1:9100\"; };\n";			/* 20 */

static void test_full(void)
{
	struct turnd_config *c = &cfg;
	sockaddr_u a;

	if (!is_int(load(full), 0, "full example loads")) {
		diag("err: %s", err);
		return;
	}
	ok(str_is(c->path, path), "path kept");
	ok(str_is(c->realm, "example.org"), "realm");
	ok(str_is(c->software, "turnd"), "software");
	is_int(c->nlisten, 3, "three listen addresses");
	ok(ip_is(&c->listen[0], "0.0.0.0", 3478), "listen[0] 0.0.0.0:3478");
	ok(ip_is(&c->listen[1], "2001:db8::1", 3479), "listen[1] [2001:db8::1]:3479");
	ok(ip_is(&c->listen[2], "198.18.0.1", 3478), "listen[2] takes default port 3478");
	ok(!c->relay.autodetect, "relay address given: no autodetect");
	is_int(c->relay.naddr, 2, "two relay addresses");
	ok(ip_is(&c->relay.addr[0], "198.18.0.10", 0), "relay.addr[0]");
	ok(ip_is(&c->relay.addr[1], "2001:db8::10", 0), "relay.addr[1]");
	is_int(c->relay.nexternal, 2, "two external addresses");
	ok(ip_is(&c->relay.external[0], "2001:db8:1::10", 0), "external[0] (order kept)");
	ok(ip_is(&c->relay.external[1], "203.0.113.10", 0), "external[1]");
	is_int(c->relay.port_min, 50000, "port_min");
	is_int(c->relay.port_max, 50999, "port_max");
	is_int(c->alloc.default_lifetime, 300, "default_lifetime");
	is_int(c->alloc.max_lifetime, 1200, "max_lifetime");
	is_int(c->alloc.permission_lifetime, 200, "permission_lifetime");
	is_int(c->alloc.channel_lifetime, 400, "channel_lifetime");
	is_int(c->alloc.max_per_user, 3, "max_per_user");
	is_int(c->alloc.max_total, 1000, "max_total");
	ok(!c->alloc.legacy_channels, "legacy_channels false");
	is_int(c->alloc.max_permissions, 10, "max_permissions");
	is_int(c->alloc.max_channels, 5, "max_channels");
	is_int(c->alloc.max_bps, 250000, "max_bps");
	is_int(c->alloc.bps_burst, 500000, "bps_burst");
	is_int(c->auth.unauth_rate, 30, "unauth_rate");
	is_int(c->auth.unauth_burst, 45, "unauth_burst");
	is_int(c->auth.nusers, 2, "two users");
	if (c->auth.nusers == 2) {
		ok(str_is(c->auth.users[0].name, "alice"), "users[0].name");
		ok(str_is(c->auth.users[0].password, "s3cret"), "users[0].password");
		ok(str_is(c->auth.users[1].name, "bob"), "users[1].name");
		ok(str_is(c->auth.users[1].password, "pw:with:colons"), "users[1].password");
	}
	ok(str_is(c->auth.users_file, "/etc/turnd/users"), "users_file stored, not read");
	ok(str_is(c->auth.secret, "sharedsecret"), "secret");
	is_int(c->auth.nonce_lifetime, 120, "nonce_lifetime");
	is_int(c->peers.nallow, 1, "one allow entry");
	is_int(c->peers.ndeny, 2, "two deny entries");
	if (c->peers.nallow == 1 && c->peers.ndeny == 2) {
		addr_parse_ip("10.1.2.3", &a);
		ok(cidr_match(&c->peers.allow[0], &a) && c->peers.allow[0].prefix == 16,
		   "allow[0] is 10.1.0.0/16");
		addr_parse_ip("2001:db8:dead:1::1", &a);
		ok(cidr_match(&c->peers.deny[1], &a) && c->peers.deny[1].prefix == 48,
		   "deny[1] is 2001:db8:dead::/48");
	}
	ok(str_is(c->control_socket, "/tmp/turnd-test.sock"), "control socket");
	is_int(c->log_level, LOG_LVL_DEBUG, "log level debug");
	is_int(c->log_target, LOG_TARGET_SYSLOG, "log target syslog");
	is_int(c->log_rate, 50, "log rate 50");
	is_int(c->xdp.mode, XDP_MODE_NATIVE, "xdp.mode native");
	ok(c->xdp.nifaces == 2 && !strcmp(c->xdp.ifaces[0], "eth0") &&
	   !strcmp(c->xdp.ifaces[1], "veth1"), "xdp.interfaces");
	ok(!strcmp(c->xdp.pin_path, "/sys/fs/bpf/t"), "xdp.pin_path");
	ok(c->xdp.detach_on_exit, "xdp.detach_on_exit");
	is_int(c->xdp.route_cache_ms, 0, "xdp.route_cache_ms 0 (off)");
	ok(c->metrics_on && ip_is(&c->metrics_listen, "127.0.0.1", 9100), "metrics.listen");
	ok(c->sig.on && c->sig.nlisten == 2 && ip_is(&c->sig.listen[0], "127.0.0.1", 8080) &&
	   ip_is(&c->sig.listen[1], "::1", 8080), "signaling.listen, default port 8080");
	ok(c->sig.norigins == 1 && str_is(c->sig.origins[0], "https://a.example"),
	   "signaling.origins");
	ok(str_is(c->sig.ice_host, "relay.example.org") && !c->sig.nice_urls, "signaling.ice_host");
	ok(c->sig.max_members == 2 && c->sig.idle_timeout == 30 && c->sig.max_rooms == 1000 &&
	   c->sig.credential_lifetime == 3600 && !c->sig.tls_cert, "signaling limits and defaults");
	config_free(c);
	ok(cfg_is_empty(c), "config_free leaves it empty");
}

static void test_defaults(void)
{
	struct turnd_config *c = &cfg;

	if (!is_int(load("realm = \"r.example\";\n"), 0, "only realm: loads")) {
		diag("err: %s", err);
		return;
	}
	ok(str_is(c->realm, "r.example"), "realm");
	ok(str_is(c->software, "turnd"), "software defaults to turnd");
	is_int(c->nlisten, 1, "one listen address by default");
	ok(ip_is(&c->listen[0], "0.0.0.0", 3478), "listen defaults to 0.0.0.0:3478");
	ok(c->relay.autodetect, "relay address defaults to auto");
	is_int(c->relay.naddr, 0, "auto: naddr 0");
	is_int(c->relay.nexternal, 0, "no external");
	is_int(c->relay.port_min, 49152, "port_min default");
	is_int(c->relay.port_max, 65535, "port_max default");
	is_int(c->alloc.default_lifetime, 600, "default_lifetime default");
	is_int(c->alloc.max_lifetime, 3600, "max_lifetime default");
	is_int(c->alloc.permission_lifetime, 300, "permission_lifetime default");
	is_int(c->alloc.channel_lifetime, 600, "channel_lifetime default");
	is_int(c->alloc.max_per_user, 0, "max_per_user default unlimited");
	is_int(c->alloc.max_total, 0, "max_total default unlimited");
	ok(c->alloc.legacy_channels, "legacy_channels default true");
	is_int(c->alloc.max_permissions, 64, "max_permissions default 64");
	is_int(c->alloc.max_channels, 64, "max_channels default 64");
	is_int(c->alloc.max_bps, 0, "max_bps default 0 (no limit)");
	is_int(c->alloc.bps_burst, 0, "bps_burst default 0 (one second of max_bps)");
	is_int(c->auth.unauth_rate, 50, "unauth_rate default 50");
	is_int(c->auth.unauth_burst, 0, "unauth_burst default 0 (twice the rate)");
	is_int(c->auth.nusers, 0, "no users");
	ok(!c->auth.users_file && !c->auth.secret, "no users_file, no secret");
	is_int(c->auth.nonce_lifetime, 600, "nonce_lifetime default");
	ok(!c->peers.nallow && !c->peers.ndeny, "no peer rules");
	ok(str_is(c->control_socket, "/run/turnd/turnd.sock"), "control socket default");
	is_int(c->log_level, LOG_LVL_INFO, "log level default info");
	is_int(c->log_target, LOG_TARGET_STDERR, "log target default stderr");
	is_int(c->log_rate, LOG_RATE_DEFAULT, "log rate default 200");
	ok(c->xdp.mode == XDP_MODE_AUTO && !c->xdp.nifaces && !c->xdp.detach_on_exit &&
	   str_is(c->xdp.pin_path, "/sys/fs/bpf/turnd") && c->xdp.route_cache_ms == 1000,
	   "xdp defaults");
	ok(!c->metrics_on, "no metrics endpoint by default");
	config_free(c);

	/* Empty groups are the same as absent ones; "" means unset. */
	is_int(load("realm = \"r\"; relay = { }; allocation = { }; auth = { users = ( ); "
		    "users_file = \"\"; secret = \"\"; }; peers = { allow = [ ]; deny = ( ); }; "
		    "control = { }; log = { }; software = \"\";\n"), 0, "empty groups load");
	ok(c->relay.autodetect && c->alloc.max_lifetime == 3600, "empty groups: defaults");
	ok(!c->auth.users_file && !c->auth.secret, "\"\" users_file and secret are NULL");
	ok(str_is(c->software, ""), "software \"\" kept: no SOFTWARE attribute");
	config_free(c);
}

/* Accepted variants, each checked on one value. */
static void test_variants(void)
{
	struct turnd_config *c = &cfg;

	is_int(load("realm = \"r\"; listen = \"[2001:db8::5]\";\n"), 0, "listen as one string");
	ok(c->nlisten == 1 && ip_is(&c->listen[0], "2001:db8::5", 3478), "v6 without port: 3478");
	config_free(c);

	is_int(load("realm = \"r\"; relay = { address = \"2001:db8::7\"; };\n"), 0,
	       "relay address as one IPv6 string");
	ok(!c->relay.autodetect && c->relay.naddr == 1 &&
	   ip_is(&c->relay.addr[0], "2001:db8::7", 0), "relay.addr[0] is it");
	config_free(c);

	is_int(load("realm = \"r\"; relay = { address = \"::ffff:198.18.0.3\"; };\n"), 0,
	       "IPv4-mapped relay address");
	ok(c->relay.naddr == 1 && c->relay.addr[0].sa.sa_family == AF_INET &&
	   ip_is(&c->relay.addr[0], "198.18.0.3", 0), "stored as plain IPv4");
	config_free(c);

	is_int(load("realm = \"r\"; relay = { address = \"auto\"; "
		    "external = \"203.0.113.9\"; };\n"), 0,
	       "external next to auto (families checked at start-up)");
	ok(c->relay.autodetect && c->relay.naddr == 0 && c->relay.nexternal == 1,
	   "auto with one external");
	config_free(c);

	is_int(load("realm = \"r\"; relay = { ports = \"1024-1024\"; };\n"), 0, "one-port range");
	ok(c->relay.port_min == 1024 && c->relay.port_max == 1024, "1024-1024");
	config_free(c);

	is_int(load("realm = \"r\"; allocation = { max_total = 0xFFFFFFFF; max_per_user = 7L; "
		    "default_lifetime = 86400; max_lifetime = 86400; };\n"), 0,
	       "hex and L-suffixed integers, range edges");
	is_int(c->alloc.max_total, 4294967295u, "0xFFFFFFFF is 4294967295, not -1");
	is_int(c->alloc.max_per_user, 7, "7L is 7");
	is_int(c->alloc.default_lifetime, 86400, "86400 accepted");
	config_free(c);

	is_int(load("realm = \"4294967296 # not a comment\"; // 99999999999\n"
		    "/* 0xFFFFFFFFFF */ software = \"x-12345678901\";\n"), 0,
	       "digits inside strings and comments");
	ok(str_is(c->realm, "4294967296 # not a comment"), "string digits untouched");
	ok(str_is(c->software, "x-12345678901"), "second string untouched");
	config_free(c);

	is_int(load("realm = \"caf\xc3\xa9.example\"; auth = { secret = \"k\"; users = ( "
		    "{ name = \"j\xc3\xbcrgen\"; password = \"p\xe2\x82\xac\"; } ); };\n"), 0,
	       "UTF-8 realm, name, password");
	ok(str_is(c->realm, "caf\xc3\xa9.example"), "UTF-8 realm kept");
	config_free(c);

	is_int(load("realm = \"r\"; auth = { users = ( { name = \"123:bob\"; password = \"x\"; "
		    "} ); };\n"), 0, "digits:name user accepted when no secret is set");
	config_free(c);

	is_int(load("realm = \"r\"; log = { level = \"warn\"; }; peers = { allow = \"fe80::/10\"; "
		    "};\n"), 0, "peers allow as one string");
	ok(c->log_level == LOG_LVL_WARN && c->peers.nallow == 1, "warn, one allow");
	config_free(c);

	is_int(load("realm = \"r\"; allocation = { max_permissions = 1; max_channels = 4096; "
		    "max_bps = 0xFFFFFFFF; bps_burst = 1; }; auth = { unauth_rate = 1000000; "
		    "unauth_burst = 10000000; };\n"), 0, "limits at their range edges");
	ok(c->alloc.max_permissions == 1 && c->alloc.max_channels == 4096 &&
	   c->alloc.max_bps == 4294967295u && c->alloc.bps_burst == 1 &&
	   c->auth.unauth_rate == 1000000 && c->auth.unauth_burst == 10000000, "edges kept");
	config_free(c);

	is_int(load("realm = \"r\"; allocation = { max_permissions = 1024; max_bps = 0; }; "
		    "auth = { unauth_rate = 0; };\n"), 0, "limits off, permissions at the ceiling");
	ok(c->alloc.max_permissions == 1024 && !c->alloc.max_bps && !c->auth.unauth_rate,
	   "1024 permissions, no bandwidth limit, no request limit");
	config_free(c);

	is_int(load("realm = \"r\"; metrics = { };\n"), 0, "empty metrics group");
	ok(!c->metrics_on, "metrics without listen: no endpoint");
	config_free(c);

	is_int(load("realm = \"r\"; metrics = { listen = \"::1\"; };\n"), 0, "metrics on ::1");
	ok(c->metrics_on && ip_is(&c->metrics_listen, "::1", 9641), "no port: 9641");
	config_free(c);
}

static void test_bundled(void)
{
	static const char *const candidates[] = { "turnd.conf", "../turnd.conf",
						  "../../turnd.conf" };
	struct turnd_config *c = &cfg;
	const char *p = candidates[0];
	int ret = -ENOENT;

	for (size_t i = 0; i < 3 && ret == -ENOENT; i++) {
		p = candidates[i];
		ret = config_load(p, c, err, sizeof(err));
	}
	if (!is_int(ret, 0, "bundled %s loads", p)) {
		diag("err: %s", err);
		return;
	}
	ok(str_is(c->realm, "example.org"), "bundled realm");
	ok(c->nlisten == 1 && ip_is(&c->listen[0], "0.0.0.0", 3478), "bundled listen");
	ok(c->relay.autodetect, "bundled relay auto");
	ok(c->auth.nusers == 1 && str_is(c->auth.users[0].name, "alice"), "bundled user alice");
	ok(!c->peers.nallow && !c->peers.ndeny, "bundled peers empty");
	ok(str_is(c->control_socket, "/run/turnd/turnd.sock"), "bundled control socket");
	is_int(c->log_level, LOG_LVL_INFO, "bundled log info");
	config_free(c);
}

struct bad_case {
	const char *text;
	int line;		/* 0: the message has no line */
	const char *setting;	/* NULL: a parse error, no setting */
	const char *why;	/* a piece of the reason */
};

#define R "realm = \"r\";\n"

static const struct bad_case bad_cases[] = {
	/* unknown settings */
	{ R "relam = \"x\";\n", 2, "relam", "unknown setting" },
	{ R "relay = {\n  adress = \"auto\";\n};\n", 3, "relay.adress", "unknown setting" },
	{ R "auth = { users = ( { name = \"a\"; password = \"b\"; pw = \"c\"; } ); };\n", 2,
	  "auth.users[0].pw", "unknown setting" },
	{ R "log = { level = \"info\"; colour = true; };\n", 2, "log.colour", "unknown" },
	{ R "xdp = 1;\n", 2, "xdp", "expected a group" },
	{ R "xdp = {\n mode = \"fast\";\n};\n", 3, "xdp.mode", "not one of auto" },
	{ R "xdp = { interfaces = [ \"a/b\" ]; };\n", 2, "xdp.interfaces[0]", "not an interface" },
	{ R "xdp = { interfaces = [ \"abcdefghijklmnopq\" ]; };\n", 2, "xdp.interfaces[0]",
	  "not an interface" },
	{ R "xdp = { pin_path = \"rel\"; };\n", 2, "xdp.pin_path", "absolute path" },
	{ R "xdp = { detach_on_exit = \"yes\"; };\n", 2, "xdp.detach_on_exit",
	  "expected true or false" },
	{ R "xdp = { route_cache_ms = -1; };\n", 2, "xdp.route_cache_ms", "out of range" },
	{ R "xdp = { route_cache_ms = 3600001; };\n", 2, "xdp.route_cache_ms",
	  "3600001 is out of range (0..3600000)" },
	{ R "xdp = { route_cache_ms = \"1s\"; };\n", 2, "xdp.route_cache_ms",
	  "expected an integer" },
	{ R "metrics = [ 1 ];\n", 2, "metrics", "expected a group" },
	{ R "metrics = { listen = \"localhost:9641\"; };\n", 2, "metrics.listen", "not \"IPv4" },
	{ R "metrics = { listen = \"\"; };\n", 2, "metrics.listen", "not \"IPv4" },
	{ R "metrics = { listen = \"127.0.0.1:0\"; };\n", 2, "metrics.listen", "port 0" },
	{ R "metrics = { listen = \"1.2.3.4:70000\"; };\n", 2, "metrics.listen", "not \"IPv4" },
	{ R "metrics = { listen = 9641; };\n", 2, "metrics.listen", "expected a string" },
	{ R "metrics = { port = 9641; };\n", 2, "metrics.port", "unknown setting" },
	/* wrong types */
	{ "realm = 5;\n", 1, "realm", "expected a string, got an integer" },
	{ R "software = true;\n", 2, "software", "expected a string, got a boolean" },
	{ R "allocation = {\n max_total = \"5\";\n};\n", 3, "allocation.max_total",
	  "expected an integer, got a string" },
	{ R "allocation = { max_lifetime = 600.0; };\n", 2, "allocation.max_lifetime",
	  "expected an integer, got a float" },
	{ R "allocation = {\n legacy_channels = 1;\n};\n", 3, "allocation.legacy_channels",
	  "expected true or false, got an integer" },
	{ R "relay = \"auto\";\n", 2, "relay", "expected a group" },
	{ R "auth = ( );\n", 2, "auth", "expected a group" },
	{ R "listen = [ 1, 2 ];\n", 2, "listen[0]", "expected a string" },
	{ R "listen = 3478;\n", 2, "listen", "expected a string or a list" },
	{ R "listen = ( \"1.2.3.4\", { a = 1; } );\n", 2, "listen[1]", "expected a string" },
	{ R "relay = { ports = 50000; };\n", 2, "relay.ports", "expected a string" },
	{ R "control = { socket = 1; };\n", 2, "control.socket", "expected a string" },
	{ R "log = { level = 3; };\n", 2, "log.level", "expected a string" },
	{ R "peers = { allow = { a = 1; }; };\n", 2, "peers.allow", "expected a string or a list" },
	{ R "auth = { users = { name = \"a\"; password = \"b\"; }; };\n", 2, "auth.users",
	  "expected a list" },
	{ R "auth = { users = ( \"alice\" ); };\n", 2, "auth.users[0]", "expected a group" },
	{ R "auth = { secret = 5; };\n", 2, "auth.secret", "expected a string" },
	/* out of range, including values libconfig 1.5 would silently wrap */
	{ R "allocation = { default_lifetime = 0; };\n", 2, "allocation.default_lifetime",
	  "0 is out of range (1..86400)" },
	{ R "allocation = { max_lifetime = 86401; };\n", 2, "allocation.max_lifetime",
	  "out of range" },
	{ R "allocation = { permission_lifetime = -300; };\n", 2,
	  "allocation.permission_lifetime", "-300 is out of range" },
	{ R "allocation = { channel_lifetime = 0; };\n", 2, "allocation.channel_lifetime",
	  "out of range" },
	{ R "allocation = { max_per_user = -1; };\n", 2, "allocation.max_per_user",
	  "-1 is out of range" },
	{ R "allocation = { max_total = 4294967296; };\n", 2, "allocation.max_total",
	  "4294967296 is out of range" },
	{ R "allocation = { max_total = 99999999999999999999999; };\n", 2,
	  "allocation.max_total", "out of range" },
	{ R "allocation = { max_per_user = 0x100000000; };\n", 2, "allocation.max_per_user",
	  "4294967296 is out of range" },
	{ R "allocation = { max_lifetime = 4294967896; };\n", 2, "allocation.max_lifetime",
	  "4294967896 is out of range" },
	{ R "allocation = { max_lifetime = -2147483649; };\n", 2, "allocation.max_lifetime",
	  "-2147483649 is out of range" },
	{ R "auth = { nonce_lifetime = 0; };\n", 2, "auth.nonce_lifetime", "out of range" },
	{ R "allocation = { max_permissions = 0; };\n", 2, "allocation.max_permissions",
	  "0 is out of range (1..1024)" },
	{ R "allocation = { max_permissions = 1025; };\n", 2, "allocation.max_permissions",
	  "1025 is out of range" },
	{ R "allocation = { max_channels = 0; };\n", 2, "allocation.max_channels",
	  "0 is out of range (1..4096)" },
	{ R "allocation = { max_channels = 4097; };\n", 2, "allocation.max_channels",
	  "4097 is out of range" },
	{ R "allocation = { max_channels = \"64\"; };\n", 2, "allocation.max_channels",
	  "integer" },
	{ R "allocation = { max_bps = -1; };\n", 2, "allocation.max_bps", "-1 is out of range" },
	{ R "allocation = { max_bps = 4294967296; };\n", 2, "allocation.max_bps",
	  "4294967296 is out of range" },
	{ R "allocation = { max_bps = 1.5; };\n", 2, "allocation.max_bps", "integer" },
	{ R "allocation = { bps_burst = -5; max_bps = 10; };\n", 2, "allocation.bps_burst",
	  "-5 is out of range" },
	{ R "allocation = {\n bps_burst = 5000;\n};\n", 3, "allocation.bps_burst",
	  "has no effect while max_bps is 0" },
	{ R "allocation = { max_bps = 0; bps_burst = 1; };\n", 2, "allocation.bps_burst",
	  "has no effect" },
	{ R "auth = { unauth_rate = -1; };\n", 2, "auth.unauth_rate", "-1 is out of range" },
	{ R "auth = { unauth_rate = 1000001; };\n", 2, "auth.unauth_rate",
	  "1000001 is out of range (0..1000000)" },
	{ R "auth = { unauth_rate = true; };\n", 2, "auth.unauth_rate", "integer" },
	{ R "auth = { unauth_burst = 10000001; };\n", 2, "auth.unauth_burst",
	  "out of range" },
	{ R "auth = {\n unauth_rate = 0;\n unauth_burst = 10;\n};\n", 4, "auth.unauth_burst",
	  "has no effect while unauth_rate is 0" },
	{ R "allocation = { max_permission = 5; };\n", 2, "allocation.max_permission",
	  "unknown" },
	{ R "allocation = {\n default_lifetime = 700;\n max_lifetime = 600;\n};\n", 4,
	  "allocation.max_lifetime", "default_lifetime 700 is above max_lifetime 600" },
	{ R "allocation = {\n default_lifetime = 4000;\n};\n", 3,
	  "allocation.default_lifetime", "above max_lifetime 3600" },
	/* realm, software */
	{ "realm = \"\";\n", 1, "realm", "must not be empty" },
	{ "software = \"x\";\n", 0, "realm", "missing" },
	{ "", 0, "realm", "missing" },
	{ "realm = \"a\\x01b\";\n", 1, "realm", "control character" },
	{ "realm = \"bad\xff\";\n", 1, "realm", "not valid UTF-8" },
	{ "realm = \"\xc0\xaf\";\n", 1, "realm", "not valid UTF-8" },	/* overlong '/' */
	{ "realm = \"\xed\xa0\x80\";\n", 1, "realm", "not valid UTF-8" }, /* surrogate */
	{ "realm = \"\xe2\x82\";\n", 1, "realm", "not valid UTF-8" },	/* truncated */
	{ "realm = \"0123456789012345678901234567890123456789012345678901234567890123456789"
	  "012345678901234567890123456789012345678901234567890123456789\";\n", 1, "realm",
	  "too long" },	/* 130 characters */
	{ R "software = \"line\\nbreak\";\n", 2, "software", "control character" },
	/* listen */
	{ R "listen = [ \"1.2.3.4:99999\" ];\n", 2, "listen[0]", "is not \"IPv4:port\"" },
	{ R "listen = [ \"localhost:3478\" ];\n", 2, "listen[0]", "is not" },
	{ R "listen = [ \"[::1\" ];\n", 2, "listen[0]", "is not" },
	{ R "listen = [ \"\" ];\n", 2, "listen[0]", "is not" },
	{ R "listen = [ \"1.2.3.4:\" ];\n", 2, "listen[0]", "is not" },
	{ R "listen = [ \"1.2.3.4:-1\" ];\n", 2, "listen[0]", "is not" },
	{ R "listen = [ \"1.2.3.4:0\" ];\n", 2, "listen[0]", "port 0" },
	{ R "listen = [ \"198.18.0.1\",\n  \"198.18.0.1:3478\" ];\n", 3, "listen[1]",
	  "listed twice" },
	{ R "listen = [ ];\n", 2, "listen", "at least one" },
	{ R "listen = [ \"198.18.0.1:1\", \"198.18.0.1:2\", \"198.18.0.1:3\", \"198.18.0.1:4\", "
	  "\"198.18.0.1:5\", \"198.18.0.1:6\", \"198.18.0.1:7\", \"198.18.0.1:8\", "
	  "\"198.18.0.1:9\", \"198.18.0.1:10\", \"198.18.0.1:11\", \"198.18.0.1:12\", "
	  "\"198.18.0.1:13\", \"198.18.0.1:14\", \"198.18.0.1:15\", \"198.18.0.1:16\", "
	  "\"198.18.0.1:17\" ];\n", 2, "listen", "17 addresses, at most 16" },
	/* relay */
	{ R "relay = { address = \"1.2.3.4.5\"; };\n", 2, "relay.address", "not an IP address" },
	{ R "relay = { address = \"198.18.0.1:3478\"; };\n", 2, "relay.address",
	  "not an IP address" },
	{ R "relay = { address = [\n \"198.18.0.1\",\n \"198.18.0.2\" ]; };\n", 4,
	  "relay.address[1]", "a second IPv4 address" },
	{ R "relay = { address = [ \"2001:db8::1\", \"2001:db8::2\" ]; };\n", 2,
	  "relay.address[1]", "a second IPv6" },
	{ R "relay = { address = [ \"198.18.0.1\", \"2001:db8::2\", \"198.18.0.3\" ]; };\n", 2,
	  "relay.address", "3 addresses" },
	{ R "relay = { address = [ \"198.18.0.1\", \"auto\" ]; };\n", 2, "relay.address[1]",
	  "must stand alone" },
	{ R "relay = { address = \"0.0.0.0\"; };\n", 2, "relay.address", "wildcard" },
	{ R "relay = { address = [ \"::\" ]; };\n", 2, "relay.address[0]", "wildcard" },
	{ R "relay = { address = [ ]; };\n", 2, "relay.address", "empty" },
	{ R "relay = { address = \"\"; };\n", 2, "relay.address", "not an IP address" },
	{ R "relay = { address = \"198.18.0.1\";\n external = \"2001:db8::1\"; };\n", 3,
	  "relay.external", "relay.address has an IPv4 address, external has none" },
	{ R "relay = { address = [ \"198.18.0.1\", \"2001:db8::1\" ];\n"
	  " external = [ \"203.0.113.1\" ]; };\n", 3, "relay.external",
	  "relay.address has an IPv6 address, external has none" },
	{ R "relay = { address = \"198.18.0.1\"; external = \"auto\"; };\n", 2,
	  "relay.external", "\"auto\" is not allowed here" },
	{ R "relay = { external = [ \"203.0.113.1\", \"203.0.113.2\" ]; };\n", 2,
	  "relay.external[1]", "a second IPv4" },
	{ R "relay = { ports = \"1023-2000\"; };\n", 2, "relay.ports", "1024 <= lo" },
	{ R "relay = { ports = \"2000-1999\"; };\n", 2, "relay.ports", "lo <= hi" },
	{ R "relay = { ports = \"1024-65536\"; };\n", 2, "relay.ports", "<= 65535" },
	{ R "relay = { ports = \"1024-99999999999\"; };\n", 2, "relay.ports", "not a range" },
	{ R "relay = { ports = \"abc\"; };\n", 2, "relay.ports", "not a range" },
	{ R "relay = { ports = \"5000\"; };\n", 2, "relay.ports", "not a range" },
	{ R "relay = { ports = \" 5000-6000\"; };\n", 2, "relay.ports", "not a range" },
	{ R "relay = { ports = \"5000-6000x\"; };\n", 2, "relay.ports", "not a range" },
	{ R "relay = { ports = \"-5000-6000\"; };\n", 2, "relay.ports", "not a range" },
	{ R "relay = { ports = \"\"; };\n", 2, "relay.ports", "not a range" },
	/* auth */
	{ R "auth = { users = (\n { password = \"b\"; } ); };\n", 3, "auth.users[0].name",
	  "missing" },
	{ R "auth = { users = ( { name = \"a\"; password = \"b\"; },\n"
	  " { name = \"c\"; } ); };\n", 3, "auth.users[1].password", "missing" },
	{ R "auth = { users = ( { name = \"\"; password = \"b\"; } ); };\n", 2,
	  "auth.users[0].name", "must not be empty" },
	{ R "auth = { users = ( { name = \"a\"; password = \"\"; } ); };\n", 2,
	  "auth.users[0].password", "must not be empty" },
	{ R "auth = { users = ( { name = \"a\"; password = 5; } ); };\n", 2,
	  "auth.users[0].password", "expected a string" },
	{ R "auth = { users = ( { name = \"al\\x7fice\"; password = \"b\"; } ); };\n", 2,
	  "auth.users[0].name", "control character" },
	{ R "auth = { users = ( { name = \"a\"; password = \"b\"; },\n"
	  "  { name = \"x\"; password = \"y\"; },\n"
	  "  { name = \"a\"; password = \"c\"; } ); };\n", 4, "auth.users[2].name",
	  "\"a\" is defined twice" },
	{ R "auth = { secret = \"k\";\n users = ( { name = \"1700000000:bob\"; password = \"b\"; }"
	  " ); };\n", 3, "auth.users[0].name", "time-limited username" },
	/* peers */
	{ R "peers = { allow = [ \"10.0.0.0/33\" ]; };\n", 2, "peers.allow[0]", "not a CIDR" },
	{ R "peers = { deny = [ \"198.18.0.0/15\",\n \"bogus\" ]; };\n", 3, "peers.deny[1]",
	  "\"bogus\" is not a CIDR" },
	{ R "peers = { deny = [ \"10.0.0.0/\" ]; };\n", 2, "peers.deny[0]", "not a CIDR" },
	{ R "peers = { deny = [ \"2001:db8::/129\" ]; };\n", 2, "peers.deny[0]", "not a CIDR" },
	{ R "peers = { deny = [ \"\" ]; };\n", 2, "peers.deny[0]", "not a CIDR" },
	{ R "peers = { allow = [ 5 ]; };\n", 2, "peers.allow[0]", "expected a string" },
	{ R "peers = { permit = [ ]; };\n", 2, "peers.permit", "unknown setting" },
	/* control, log */
	{ R "control = { socket = \"\"; };\n", 2, "control.socket", "must not be empty" },
	{ R "control = { socket = \"/run/turnd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\"; };\n", 2,
	  "control.socket", "at most 107" },
	{ R "log = { level = \"verbose\"; };\n", 2, "log.level", "\"verbose\" is not one of" },
	{ R "log = { target = \"file\"; };\n", 2, "log.target", "\"file\" is not one of" },
	{ R "log = { target = 1; };\n", 2, "log.target", "expected a string" },
	{ R "log = { rate = -1; };\n", 2, "log.rate", "out of range" },
	{ R "log = { rate = 1000001; };\n", 2, "log.rate", "out of range" },
	{ R "log = { rate = \"200\"; };\n", 2, "log.rate", "expected an integer" },
	{ R "signaling = { };\n", 2, "signaling.listen", "missing" },
	{ R "signaling = { listen = [ \"1.2.3.4:0\" ]; };\n", 2, "signaling.listen[0]", "port 0" },
	{ R "signaling = { listen = \"x\"; origins = [ \"a b\" ]; };\n", 2, "signaling.listen",
	  "not \"IPv4:port\"" },
	{ R "signaling = { listen = [ \"1.2.3.4:1\", \"1.2.3.4:1\" ]; };\n", 2,
	  "signaling.listen[1]", "listed twice" },
	{ R "signaling = { listen = \"[::]:1\"; origins = [ \"a b\" ]; };\n", 2,
	  "signaling.origins[0]", "contains a space" },
	{ R "signaling = { listen = \"[::]:1\"; ice_urls = [ \"http://x\" ]; };\n", 2,
	  "signaling.ice_urls[0]", "not a stun:" },
	{ R "signaling = { listen = \"[::]:1\"; tls_cert = \"/etc/hostname\"; };\n", 2,
	  "signaling.tls_key", "go together" },
	{ R "signaling = { listen = \"[::]:1\"; tls_cert = \"/nonexistent\"; tls_key = \"/x\"; };\n",
	  2, "signaling.tls_cert", "cannot read" },
	{ R "signaling = { listen = \"[::]:1\"; max_members = 1; };\n", 2, "signaling.max_members",
	  "out of range" },
	{ R "signaling = { listen = \"[::]:1\"; ice_host = \"\"; };\n", 2, "signaling.ice_host",
	  "is empty" },
	{ R "signaling = { listen = \"[::]:1\"; room = 1; };\n", 2, "signaling.room",
	  "unknown setting" },
	/* syntax, and bytes libconfig must never see */
	{ "realm = ;\n", 1, NULL, "syntax error" },
	{ R "relay = {\n ports = \"1-2\"\n", 4, NULL, "syntax error" },
	{ R "realm = \"s\";\n", 2, NULL, "duplicate setting name" },
	{ R "software = \"unterminated;\n", 3, NULL, "syntax error" },	/* at the end */
	{ R "\x01\x02\xff\xfe = 1;\n", 2, NULL, "syntax error" },
	{ R "@include \"/etc/passwd\"\n", 2, NULL, "@include is not supported" },
	{ R "# @include in a comment is fine, but\n  @include \"x\"\n", 3, NULL, "@include" },
	{ R "software = 1.5L;\n", 2, NULL, "syntax error" },
};

/* The message is "FILE:LINE: setting NAME: why" (or "FILE:LINE: why" for syntax). */
static bool err_is(int line, const char *setting, const char *why)
{
	char want[256], lpart[16] = "";
	size_t n;

	if (line)
		snprintf(lpart, sizeof(lpart), ":%d", line);
	if (setting)
		snprintf(want, sizeof(want), "%s%s: setting %s: ", path, lpart, setting);
	else
		snprintf(want, sizeof(want), "%s%s: ", path, lpart);
	n = strlen(want);
	if (strncmp(err, want, n) || !strstr(err + n, why) || strchr(err, '\n')) {
		diag("err:  %s", err);
		diag("want: %s...%s...", want, why);
		return false;
	}
	return true;
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		int ret = load(b->text);

		ok(ret == -EINVAL && err_is(b->line, b->setting, b->why) && cfg_is_empty(&cfg),
		   "bad %zu: -EINVAL, empty config, %s%s%s", i, b->setting ? b->setting : "",
		   b->setting ? ": " : "", b->why);
		if (ret == 0)
			config_free(&cfg);
	}
}

/* User names: 512 bytes are accepted, 513 are not. */
static void test_name_length(void)
{
	char text[700], name[514];

	memset(name, 'n', 513);
	name[512] = 0;
	snprintf(text, sizeof(text), "realm = \"r\";\nauth = { users = ( { name = \"%s\"; "
		 "password = \"p\"; } ); };\n", name);
	is_int(load(text), 0, "a 512-byte user name is accepted");
	ok(cfg.auth.nusers == 1 && strlen(cfg.auth.users[0].name) == 512, "512 bytes kept");
	config_free(&cfg);
	name[512] = 'n';
	name[513] = 0;
	snprintf(text, sizeof(text), "realm = \"r\";\nauth = { users = ( { name = \"%s\"; "
		 "password = \"p\"; } ); };\n", name);
	ok(load(text) == -EINVAL && err_is(2, "auth.users[0].name", "too long") &&
	   cfg_is_empty(&cfg), "a 513-byte user name is refused");
}

static void test_io(void)
{
	char want[256];
	static const char with_nul[] = "realm = \"r\";\nsoftware = \"a\0b\";\n";

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", dir);
	is_int(config_load(path, &cfg, err, sizeof(err)), -ENOENT, "missing file: -ENOENT");
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	ok(str_is(err, want), "missing file message");
	ok(cfg_is_empty(&cfg), "missing file: empty config");

	is_int(config_load(dir, &cfg, err, sizeof(err)), -EISDIR, "a directory: -EISDIR");
	ok(strstr(err, "cannot read: Is a directory") != NULL, "directory message: %s", err);

	write_file("nul.conf", with_nul, sizeof(with_nul) - 1);
	is_int(config_load(path, &cfg, err, sizeof(err)), -EINVAL, "NUL byte: -EINVAL");
	ok(err_is(2, NULL, "NUL byte"), "NUL byte reported on its line");
	ok(cfg_is_empty(&cfg), "NUL byte: empty config");

	is_int(config_load_buf("realm = \"r\";", 12, "mem", &cfg, err, sizeof(err)), 0,
	       "config_load_buf without a trailing NUL");
	ok(str_is(cfg.path, "mem") && str_is(cfg.realm, "r"), "config_load_buf names it");
	config_free(&cfg);

	is_int(config_load_buf("realm = \"r\";", 12, "mem", &cfg, NULL, 0), 0, "err may be NULL");
	config_free(&cfg);
	is_int(config_load_buf("realm = 1;", 10, "mem", &cfg, err, 8), -EINVAL,
	       "a short err buffer is truncated");
	is_int(strlen(err), 7, "truncated to the buffer");
}

/* Random byte damage to the full example: must load or fail cleanly with a message. */
static void test_mangled(void)
{
	size_t len = sizeof(full) - 1;
	char *buf = malloc(len);
	unsigned int seed = 12345, okc = 0, bad = 0, weird = 0;

	for (int iter = 0; iter < 3000; iter++) {
		int ret;

		memcpy(buf, full, len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % len] = (char)(seed >> 20);
		}
		err[0] = 0;
		ret = config_load_buf(buf, len, "m.conf", &cfg, err, sizeof(err));
		if (ret == 0) {
			okc++;
			if (!cfg.realm || !cfg.nlisten)
				weird++;
			config_free(&cfg);
		} else if (ret == -EINVAL && !strncmp(err, "m.conf", 6) && cfg_is_empty(&cfg)) {
			bad++;
		} else {
			weird++;
			diag("iter %d ret %d err %s", iter, ret, err);
		}
	}
	free(buf);
	is_int(weird, 0, "3000 mangled files: %u loaded, %u refused, none otherwise", okc, bad);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/turnd-test-config-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_full();
	test_defaults();
	test_variants();
	test_bundled();
	test_bad();
	test_name_length();
	test_io();
	test_mangled();
	snprintf(path, sizeof(path), "%s/t.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
