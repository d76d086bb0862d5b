/* SPDX-License-Identifier: ISC */
/*
 * Configuration: one directive per line, '#' comments.
 * conf_load() reports every error as "file:line: message" and returns the
 * number of errors; the caller owns struct conf and frees it with conf_free().
 */
#ifndef CTSTUB_CONF_H
#define CTSTUB_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The file commands read without -f; a package may set its own (make
 * CONF_DEFAULT_PATH=/var/etc/ctstub.conf, as the OpenWrt recipe does). */
#ifndef CONF_DEFAULT_PATH
#define CONF_DEFAULT_PATH CTSTUB_SYSCONFDIR "/ctstub/ctstub.conf"
#endif
#define CONF_DEFAULT_CONTROL "/run/ctstub/ctstub.sock"
#define CONF_PIN_LEN 32

struct conf_address {
	struct sockaddr_storage sa;
	socklen_t salen;
};

/* A set of SHA-256 SPKI pins; owned by the struct holding it. */
struct conf_pins {
	unsigned char (*hash)[CONF_PIN_LEN];
	size_t count;
};

enum conf_transport {
	CONF_DOT,
	CONF_DOH,
	CONF_PLAIN	/* dns://IP[:PORT], only inside a forward-zone */
};

struct conf_upstream {
	char *url;		/* as written, for messages */
	enum conf_transport transport;
	struct conf_address addr;
	char *host;		/* URL host when it is a name (DoH), else NULL */
	uint16_t port;		/* URL port */
	char *name;		/* authenticate this name instead of the IP */
	char *path;		/* DoH only */
	struct conf_pins pins;	/* overrides the global pins when set */
	int resolved;		/* addr came from the bootstrap servers */
};

#define CONF_SOURCE_MAX_ADDRS 8

/*
 * Where `ctstub loglist update` gets the CT log list: an https URL, the
 * addresses to dial (none: look the name up), the CA file for its chain
 * (NULL: the configuration's), pins, and the Ed25519 public keys (PEM
 * files) whose detached signature at URL.sig makes the source "signed".
 */
struct conf_loglist_source {
	char *url;
	struct conf_address addrs[CONF_SOURCE_MAX_ADDRS];	/* port 0 */
	size_t naddrs;
	char *ca_file;
	struct conf_pins pins;
	char **keys;
	size_t nkeys;
};

enum conf_ct_mode { CONF_CT_ENFORCE, CONF_CT_REPORT };

/* local-zone and forward-zone lines, one per zone name. */
enum conf_zone_kind {
	CONF_ZONE_NXDOMAIN,	/* local-zone NAME nxdomain: answered here */
	CONF_ZONE_PUBLIC,	/* local-zone NAME forward: the upstreams */
	CONF_ZONE_FORWARD	/* forward-zone: the zone's own upstreams */
};

struct conf_zone {
	char *name;		/* lower case, ending in '.' */
	enum conf_zone_kind kind;
	struct conf_upstream *upstreams;	/* CONF_ZONE_FORWARD */
	size_t nupstreams;
	char *ca_file;		/* NULL: the global ca-file (or system's) */
	int ct_off;		/* its DoT/DoH upstreams need no SCTs */
};

enum conf_strategy { CONF_ORDERED, CONF_ROUND_ROBIN, CONF_FASTEST };

/* ct-audit: prove that counted SCTs' logs published the certificate. */
enum conf_audit_mode { CONF_AUDIT_OFF, CONF_AUDIT_REPORT, CONF_AUDIT_ENFORCE };

struct conf {
	char *path;
	struct conf_address *listens;
	size_t nlistens;
	struct conf_upstream *upstreams;
	size_t nupstreams;
	struct conf_address *bootstraps;	/* plaintext DNS for host names */
	size_t nbootstraps;
	enum conf_strategy strategy;
	char *ca_file;		/* NULL: the system CA bundle */
	unsigned timeout_ms;
	char *user;
	struct conf_pins pins;
	char *ct_log_list;
	int ct_min_logs;
	int ct_min_operators;
	int ct_lifetime_rule;
	int ct_list_max_age_days;
	int ct_stale_fail_open;
	enum conf_ct_mode ct_mode;
	unsigned cache_size;		/* entries; 0 disables the cache */
	unsigned cache_max_bytes;
	unsigned cache_min_ttl;
	unsigned cache_max_ttl;
	int serve_stale;		/* RFC 8767, when no upstream answers */
	unsigned tcp_idle_ms;
	unsigned max_tcp_clients;
	unsigned max_inflight;
	unsigned max_udp_size;	/* largest UDP answer we send (and advertise) */
	char *control;		/* control socket path; NULL: off */
	int control_is_default;	/* not written: failing to create it is not fatal */
	struct conf_address metrics;	/* Prometheus endpoint; salen 0: off */
	/* loglist update */
	struct conf_loglist_source *loglist_sources;	/* tried in order */
	size_t nloglist_sources;
	enum conf_audit_mode ct_audit;
	int ct_audit_rfc6962;	/* 0: skip RFC 6962 logs (get-proof-by-hash) */
	/* locally served names and forward zones */
	struct conf_zone *zones;
	size_t nzones;
};

/* Parses path into c (zeroed by the call); errors go to errs. */
int conf_load(const char *path, struct conf *c, FILE *errs);
/* Same, from a string (for tests and fuzzing); name is used in messages. */
int conf_load_string(const char *name, const char *text, struct conf *c,
    FILE *errs);
void conf_free(struct conf *c);
/* Frees what z holds (its upstreams too) and zeroes it; NULL-safe. */
void conf_zone_free(struct conf_zone *z);
/* Does z send queries in plain DNS (a dns:// upstream)? */
int conf_zone_plaintext(const struct conf_zone *z);
/* Do a and b have the same local-zone and forward-zone lines? */
int conf_zones_equal(const struct conf *a, const struct conf *b);
/* Frees what u holds (URL, names, path, pins) and zeroes it; NULL-safe. */
void conf_upstream_free(struct conf_upstream *u);
/*
 * realloc() for the parser: a weak symbol, so the unit test can link one
 * that fails on demand. Not for other modules.
 */
void *conf_realloc(void *ptr, size_t size);
/* "off", "report" or "enforce". */
const char *conf_audit_mode_name(enum conf_audit_mode m);
/* Writes the effective configuration, one directive per line. */
void conf_print(const struct conf *c, FILE *out);
/* conf_print's text in a string the caller frees; NULL without memory. */
char *conf_print_text(const struct conf *c);

/*
 * Replaces upstream i (a host name without address) by one upstream per
 * address, each marked resolved; 0 or -1 (out of memory; c stays valid
 * for conf_free but loses upstream i and those after it).
 */
int conf_upstream_resolved(struct conf *c, size_t i,
    const struct conf_address *addrs, size_t n);
/*
 * "dot://IP[:PORT]" or "https://HOST[:PORT]/PATH" (HOST an IP, or a name
 * whose address comes later); 0 or -1 with err.
 */
int conf_parse_upstream_url(const char *url, struct conf_upstream *u,
    char *err, size_t errlen);
/*
 * "dns://IP[:PORT]" (port 53 unless given; "[IPv6]:PORT"): plain DNS, for
 * forward zones and portal mode only; 0 or -1 with err.
 */
int conf_parse_plain_url(const char *url, struct conf_upstream *u,
    char *err, size_t errlen);
/* "sha256/BASE64" to 32 bytes; 0 or -1. */
int conf_parse_pin(const char *text, unsigned char out[CONF_PIN_LEN]);
/* name in the directory of path (the default CT log list); caller frees. */
char *conf_sibling_path(const char *path, const char *name);
/* "IP" and port into a socket address; 0 or -1. */
int conf_parse_address(const char *ip, uint16_t port, struct conf_address *a);
/* "IP:PORT" or "[IPv6]:PORT" for messages. */
void conf_address_str(const struct conf_address *a, char *buf, size_t len);

#endif
