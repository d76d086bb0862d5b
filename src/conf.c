/* SPDX-License-Identifier: ISC */
/* Hand-written configuration parser: every error as "file:line: message". */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "conf.h"
#include "zone.h"
#include "fetch.h"

#define CONF_MAX_ARGS 32
#define DEFAULT_LOG_LIST "ct-logs.json"	/* next to the config file */

struct conf_parser {
	const char *file;
	unsigned line;
	FILE *errs;
	int nerrors;
	int control_set;	/* a control directive was seen */
	int cache_bytes_set;	/* a cache-max-bytes directive was seen */
};

/*
 * Without cache-max-bytes, the byte bound follows cache-size: this many
 * bytes an answer (about what a small answer with its entry takes), never
 * under the default's 1 MiB nor over the directive's maximum.
 */
#define CACHE_BYTES_PER_ENTRY 512
#define CACHE_DEFAULT_BYTES (1UL << 20)
#define CACHE_MIN_BYTES 4096UL
#define CACHE_MAX_BYTES (1UL << 30)

/*
 * Every allocation of the parser goes through conf_realloc (weak: the unit
 * test links its own, which fails on demand), so a failed one is seen.
 */
__attribute__((weak)) void *
conf_realloc(void *ptr, size_t size)
{
	return realloc(ptr, size);
}

static char *
conf_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = conf_realloc(NULL, n);

	if (copy != NULL)
		memcpy(copy, s, n);
	return copy;
}

static void conf_error(struct conf_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conf_error(struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->errs, "%s:%u: ", p->file, p->line);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
	p->nerrors++;
}

int
conf_parse_address(const char *ip, uint16_t port, struct conf_address *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->salen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->salen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* Room for an IPv6 address with its scope, "fe80::1%IFNAME". */
#define ADDRESS_IP_LEN (INET6_ADDRSTRLEN + IF_NAMESIZE + 1)

/* The bare IP of a (with "%IFNAME" when scoped); returns its port. */
static uint16_t
address_ip(const struct conf_address *a, char *ip, size_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->sa;
	char ifname[IF_NAMESIZE];

	if (a->sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, (socklen_t)len);
		if (sin6->sin6_scope_id != 0 && strlen(ip) < len)
			snprintf(ip + strlen(ip), len - strlen(ip), "%%%s",
			    if_indextoname(sin6->sin6_scope_id, ifname) ?
			    ifname : "?");
		return ntohs(sin6->sin6_port);
	}
	inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)len);
	return ntohs(sin->sin_port);
}

void
conf_address_str(const struct conf_address *a, char *buf, size_t len)
{
	char ip[ADDRESS_IP_LEN] = "?";
	uint16_t port = address_ip(a, ip, sizeof(ip));

	snprintf(buf, len, a->sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    ip, port);
}

static int
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (parse_uint(s, 1, 65535, &v) == -1)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Splits "HOST[:PORT]" or "[V6]:PORT" in place; host is NUL-terminated. */
static int
split_host_port(char *hp, char **host, char **port)
{
	char *colon;

	*port = NULL;
	if (*hp == '[') {
		char *close = strchr(hp, ']');

		if (close == NULL)
			return -1;
		*close = '\0';
		*host = hp + 1;
		if (close[1] == ':')
			*port = close + 2;
		else if (close[1] != '\0')
			return -1;
		return 0;
	}
	*host = hp;
	colon = strchr(hp, ':');
	if (colon != NULL) {
		if (strchr(colon + 1, ':') != NULL)
			return -1;	/* bare IPv6 needs brackets */
		*colon = '\0';
		*port = colon + 1;
	}
	return 0;
}

static int
is_host_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

int
conf_parse_upstream_url(const char *url, struct conf_upstream *u, char *err,
    size_t errlen)
{
	char buf[512], *rest, *host, *port, *slash;
	uint16_t portnum;

	memset(u, 0, sizeof(*u));
	if (strlen(url) >= sizeof(buf)) {
		snprintf(err, errlen, "upstream URL too long");
		return -1;
	}
	strcpy(buf, url);
	if (strncmp(buf, "dot://", 6) == 0) {
		u->transport = CONF_DOT;
		rest = buf + 6;
		portnum = 853;
	} else if (strncmp(buf, "https://", 8) == 0) {
		u->transport = CONF_DOH;
		rest = buf + 8;
		portnum = 443;
	} else {
		snprintf(err, errlen, "upstream '%s': expected dot://IP[:PORT] "
		    "or https://IP[:PORT]/PATH", url);
		return -1;
	}
	slash = strchr(rest, '/');
	if (u->transport == CONF_DOT && slash != NULL) {
		snprintf(err, errlen, "upstream '%s': dot:// takes no path", url);
		return -1;
	}
	if (u->transport == CONF_DOH) {
		if (slash == NULL || slash[1] == '\0') {
			snprintf(err, errlen, "upstream '%s': missing path "
			    "(e.g. /dns-query)", url);
			return -1;
		}
		if ((u->path = conf_strdup(slash)) == NULL)
			goto nomem;
		*slash = '\0';
	}
	if (split_host_port(rest, &host, &port) == -1 ||
	    (port != NULL && parse_port(port, &portnum) == -1)) {
		snprintf(err, errlen, "upstream '%s': bad address or port", url);
		goto fail;
	}
	u->port = portnum;
	if (conf_parse_address(host, portnum, &u->addr) == -1) {
		if (u->transport != CONF_DOH || !is_host_name(host)) {
			snprintf(err, errlen, "upstream '%s': '%s' is not an "
			    "IP address%s", url, host, u->transport == CONF_DOH ?
			    " or a host name" : "");
			goto fail;
		}
		if ((u->host = conf_strdup(host)) == NULL ||
		    (u->name = conf_strdup(host)) == NULL)
			goto nomem;
	}
	if ((u->url = conf_strdup(url)) == NULL)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "upstream '%s': out of memory", url);
fail:
	conf_upstream_free(u);
	return -1;
}

int
conf_parse_pin(const char *text, unsigned char out[CONF_PIN_LEN])
{
	unsigned char buf[48];
	const char *b64;

	if (strncmp(text, "sha256/", 7) != 0)
		return -1;
	b64 = text + 7;
	/* 32 bytes are 44 base64 characters ending in one '=' */
	if (strlen(b64) != 44 || b64[42] == '=' || b64[43] != '=')
		return -1;
	if (EVP_DecodeBlock(buf, (const unsigned char *)b64, 44) != 33)
		return -1;
	memcpy(out, buf, CONF_PIN_LEN);
	return 0;
}

static int
pins_add(struct conf_pins *pins, const unsigned char hash[CONF_PIN_LEN])
{
	unsigned char (*grown)[CONF_PIN_LEN];

	grown = conf_realloc(pins->hash, (pins->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	pins->hash = grown;
	memcpy(pins->hash[pins->count++], hash, CONF_PIN_LEN);
	return 0;
}

/* 0, or -1 with *slot unchanged (out of memory). */
static int
replace_string(char **slot, const char *value)
{
	char *copy = conf_strdup(value);

	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

typedef int (*directive_fn)(struct conf_parser *, struct conf *, char **, int);

/*
 * "IP", or "IP%IFNAME" for an IPv6 link-local address, which needs the
 * interface (its scope) to mean anything.
 */
static int
parse_scoped_address(struct conf_parser *p, const char *name,
    const char *text, uint16_t port, struct conf_address *a)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;
	const char *pct = strchr(text, '%');
	char ip[INET6_ADDRSTRLEN];
	size_t iplen = pct != NULL ? (size_t)(pct - text) : strlen(text);
	int linklocal;

	if (iplen < sizeof(ip)) {
		memcpy(ip, text, iplen);
		ip[iplen] = '\0';
	}
	if (iplen >= sizeof(ip) || conf_parse_address(ip, port, a) == -1) {
		conf_error(p, "%s: '%s' is not an IP address", name, text);
		return -1;
	}
	linklocal = a->sa.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr);
	if (linklocal && pct == NULL) {
		conf_error(p, "%s: link-local address '%s' needs its "
		    "interface: %s%%IFNAME", name, text, text);
		return -1;
	}
	if (!linklocal && pct != NULL) {
		conf_error(p, "%s: '%s': an interface (%%IFNAME) is only for "
		    "IPv6 link-local addresses", name, text);
		return -1;
	}
	if (pct != NULL &&
	    (sin6->sin6_scope_id = if_nametoindex(pct + 1)) == 0) {
		conf_error(p, "%s: '%s': no interface '%s'", name, text,
		    pct + 1);
		return -1;
	}
	return 0;
}

/* "NAME ADDR [PORT]" (port 53 by default) appended to a list. */
static int
address_directive(struct conf_parser *p, const char *name, char **argv,
    int argc, struct conf_address **list, size_t *count)
{
	struct conf_address a, *grown;
	uint16_t port = 53;

	if (argc == 2 && parse_port(argv[1], &port) == -1) {
		conf_error(p, "%s: expected ADDR [PORT], got port '%s'", name,
		    argv[1]);
		return -1;
	}
	if (parse_scoped_address(p, name, argv[0], port, &a) == -1)
		return -1;
	grown = conf_realloc(*list, (*count + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	*list = grown;
	(*list)[(*count)++] = a;
	return 0;
}

static int
dir_listen(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	return address_directive(p, "listen", argv, argc, &c->listens,
	    &c->nlistens);
}

static int
dir_bootstrap(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	return address_directive(p, "bootstrap", argv, argc, &c->bootstraps,
	    &c->nbootstraps);
}

void
conf_upstream_free(struct conf_upstream *u)
{
	if (u == NULL)
		return;
	free(u->url);
	free(u->host);
	free(u->name);
	free(u->path);
	free(u->pins.hash);
	memset(u, 0, sizeof(*u));
}

/* A copy of src at addr, with its own strings and pins. */
static int
upstream_clone(const struct conf_upstream *src, const struct conf_address *addr,
    struct conf_upstream *dst)
{
	*dst = *src;
	dst->addr = *addr;
	dst->url = conf_strdup(src->url);
	dst->host = src->host ? conf_strdup(src->host) : NULL;
	dst->name = src->name ? conf_strdup(src->name) : NULL;
	dst->path = src->path ? conf_strdup(src->path) : NULL;
	dst->pins.hash = NULL;
	if (src->pins.count) {
		dst->pins.hash = conf_realloc(NULL, src->pins.count *
		    CONF_PIN_LEN);
		if (dst->pins.hash != NULL)
			memcpy(dst->pins.hash, src->pins.hash,
			    src->pins.count * CONF_PIN_LEN);
	}
	if (dst->url == NULL || (src->host && dst->host == NULL) ||
	    (src->name && dst->name == NULL) ||
	    (src->path && dst->path == NULL) ||
	    (src->pins.count && dst->pins.hash == NULL)) {
		conf_upstream_free(dst);
		return -1;
	}
	return 0;
}

/* Appends copies of u, one per address (or u itself when there is none). */
static int
upstreams_append(struct conf *c, struct conf_upstream *u,
    const struct conf_address *addrs, size_t n)
{
	struct conf_upstream *grown;
	size_t i, count = n ? n : 1;

	grown = conf_realloc(c->upstreams, (c->nupstreams + count) *
	    sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->upstreams = grown;
	if (n == 0) {
		c->upstreams[c->nupstreams++] = *u;
		memset(u, 0, sizeof(*u));
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (upstream_clone(u, &addrs[i], &c->upstreams[c->nupstreams]))
			return -1;
		c->nupstreams++;
	}
	return 0;
}

/* Moves n upstreams to the end of c's list. */
static int
upstreams_append_all(struct conf *c, struct conf_upstream *us, size_t n)
{
	struct conf_upstream *grown;

	grown = conf_realloc(c->upstreams, (c->nupstreams + n) *
	    sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->upstreams = grown;
	memcpy(c->upstreams + c->nupstreams, us, n * sizeof(*us));
	c->nupstreams += n;
	return 0;
}

int
conf_upstream_resolved(struct conf *c, size_t i,
    const struct conf_address *addrs, size_t n)
{
	struct conf_upstream u = c->upstreams[i];
	struct conf_upstream *tail = NULL;
	size_t ntail = c->nupstreams - i - 1, k;
	int rc;

	/* take out i and what follows, append the copies, then the rest */
	if (ntail && (tail = conf_realloc(NULL, ntail * sizeof(*tail))) ==
	    NULL)
		return -1;
	if (ntail)
		memcpy(tail, &c->upstreams[i + 1], ntail * sizeof(*tail));
	c->nupstreams = i;
	rc = upstreams_append(c, &u, addrs, n);
	conf_upstream_free(&u);
	for (k = i; rc == 0 && k < c->nupstreams; k++)
		c->upstreams[k].resolved = 1;
	if (rc == 0 && ntail && upstreams_append_all(c, tail, ntail) == -1)
		rc = -1;
	for (k = 0; rc == -1 && k < ntail; k++)
		conf_upstream_free(&tail[k]);	/* not in c: c stays valid */
	free(tail);
	return rc;
}

static int
upstream_option(struct conf_parser *p, struct conf_upstream *u,
    const char *key, const char *value)
{
	unsigned char pin[CONF_PIN_LEN];

	if (strcmp(key, "name") == 0)
		return replace_string(&u->name, value);
	if (strcmp(key, "pin") == 0) {
		if (conf_parse_pin(value, pin) == -1) {
			conf_error(p, "upstream: bad pin '%s' (expected "
			    "sha256/BASE64 of 32 bytes)", value);
			return -1;
		}
		return pins_add(&u->pins, pin);
	}
	conf_error(p, "upstream: unknown option '%s'", key);
	return -1;
}

static int
dir_upstream(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	struct conf_upstream u;
	struct conf_address addrs[CONF_MAX_ARGS];
	size_t naddrs = 0;
	char err[600];
	int i;

	if (strncmp(argv[0], "dns://", 6) == 0) {
		conf_error(p, "upstream: plain DNS (dns://) is only for "
		    "forward-zone lines; upstreams for every name are DoT or "
		    "DoH");
		return -1;
	}
	if (conf_parse_upstream_url(argv[0], &u, err, sizeof(err)) == -1) {
		conf_error(p, "%s", err);
		return -1;
	}
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			conf_error(p, "upstream: option '%s' needs a value",
			    argv[i]);
			goto fail;
		}
		if (strcmp(argv[i], "address") == 0) {
			if (u.host == NULL) {
				conf_error(p, "upstream: 'address' is only for "
				    "URLs with a host name");
				goto fail;
			}
			if (conf_parse_address(argv[i + 1], u.port,
			    &addrs[naddrs]) == -1) {
				conf_error(p, "upstream: address '%s' is not an "
				    "IP address", argv[i + 1]);
				goto fail;
			}
			naddrs++;
		} else if (upstream_option(p, &u, argv[i], argv[i + 1]) == -1)
			goto fail;
	}
	if (upstreams_append(c, &u, addrs, naddrs) == -1)
		goto fail;
	conf_upstream_free(&u);
	return 0;
fail:
	conf_upstream_free(&u);
	return -1;
}

static int
dir_uint(struct conf_parser *p, const char *name, const char *arg,
    unsigned long min, unsigned long max, unsigned long *out)
{
	if (parse_uint(arg, min, max, out) == -1) {
		conf_error(p, "%s: expected a number from %lu to %lu, got '%s'",
		    name, min, max, arg);
		return -1;
	}
	return 0;
}

static int
dir_cache_max_bytes(struct conf_parser *p, struct conf *c, char **argv,
    int argc)
{
	unsigned long v;

	if (dir_uint(p, "cache-max-bytes", argv[0], CACHE_MIN_BYTES,
	    CACHE_MAX_BYTES, &v) == -1)
		return -1;
	c->cache_max_bytes = v;
	p->cache_bytes_set = 1;
	return 0;
}

/* The byte bound from cache-size, when cache-max-bytes is not set. */
static void
size_cache_bytes(const struct conf_parser *p, struct conf *c)
{
	unsigned long bytes = (unsigned long)c->cache_size *
	    CACHE_BYTES_PER_ENTRY;

	if (p->cache_bytes_set)
		return;
	if (bytes < CACHE_DEFAULT_BYTES)
		bytes = CACHE_DEFAULT_BYTES;
	if (bytes > CACHE_MAX_BYTES)
		bytes = CACHE_MAX_BYTES;
	c->cache_max_bytes = bytes;
}

static int
dir_ca_file(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	return replace_string(&c->ca_file, argv[0]);
}

static int
dir_user(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	return replace_string(&c->user, argv[0]);
}

static int
dir_control(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	p->control_set = 1;
	if (strcmp(argv[0], "off") == 0) {
		free(c->control);
		c->control = NULL;
		return 0;
	}
	if (argv[0][0] != '/') {
		conf_error(p, "control: '%s' is not an absolute path (or off)",
		    argv[0]);
		return -1;
	}
	return replace_string(&c->control, argv[0]);
}

static int
is_loopback(const struct conf_address *a)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->sa;

	if (a->sa.ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

static int
dir_metrics(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	uint16_t port;

	if (parse_port(argv[1], &port) == -1 ||
	    conf_parse_address(argv[0], port, &c->metrics) == -1) {
		conf_error(p, "metrics: expected IP PORT, got '%s %s'", argv[0],
		    argv[1]);
		memset(&c->metrics, 0, sizeof(c->metrics));
		return -1;
	}
	if (!is_loopback(&c->metrics)) {
		conf_error(p, "metrics: %s is not a loopback address (the "
		    "metrics are for this host only)", argv[0]);
		memset(&c->metrics, 0, sizeof(c->metrics));
		return -1;
	}
	return 0;
}

static int
dir_ct_log_list(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	return replace_string(&c->ct_log_list, argv[0]);
}

static int
dir_pin(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	unsigned char pin[CONF_PIN_LEN];

	if (conf_parse_pin(argv[0], pin) == -1) {
		conf_error(p, "pin: bad pin '%s' (expected sha256/BASE64 of "
		    "32 bytes)", argv[0]);
		return -1;
	}
	return pins_add(&c->pins, pin);
}

/* loglist update: where the list comes from */
static void
loglist_source_free(struct conf_loglist_source *src)
{
	size_t i;

	free(src->url);
	free(src->ca_file);
	free(src->pins.hash);
	for (i = 0; i < src->nkeys; i++)
		free(src->keys[i]);
	free(src->keys);
	memset(src, 0, sizeof(*src));
}

static int
source_add_key(struct conf_loglist_source *src, const char *file)
{
	char **grown = conf_realloc(src->keys, (src->nkeys + 1) *
	    sizeof(*grown));

	if (grown == NULL)
		return -1;
	src->keys = grown;
	return (src->keys[src->nkeys++] = conf_strdup(file)) == NULL ? -1 : 0;
}

static int
source_option(struct conf_parser *p, struct conf_loglist_source *src,
    const char *key, const char *value)
{
	unsigned char pin[CONF_PIN_LEN];

	if (strcmp(key, "address") == 0) {
		if (src->naddrs == CONF_SOURCE_MAX_ADDRS) {
			conf_error(p, "loglist-source: more than %d addresses",
			    CONF_SOURCE_MAX_ADDRS);
			return -1;
		}
		if (conf_parse_address(value, 0, &src->addrs[src->naddrs]) ==
		    -1) {
			conf_error(p, "loglist-source: address '%s' is not an "
			    "IP address", value);
			return -1;
		}
		src->naddrs++;
		return 0;
	}
	if (strcmp(key, "ca-file") == 0)
		return replace_string(&src->ca_file, value);
	if (strcmp(key, "key") == 0)
		return source_add_key(src, value);
	if (strcmp(key, "pin") == 0) {
		if (conf_parse_pin(value, pin) == -1) {
			conf_error(p, "loglist-source: bad pin '%s' (expected "
			    "sha256/BASE64 of 32 bytes)", value);
			return -1;
		}
		return pins_add(&src->pins, pin);
	}
	conf_error(p, "loglist-source: unknown option '%s'", key);
	return -1;
}

static int
dir_loglist_source(struct conf_parser *p, struct conf *c, char **argv,
    int argc)
{
	struct conf_loglist_source src = { 0 }, *grown;
	char host[256], path[FETCH_MAX_URL], err[300];
	uint16_t port;
	int i;

	if (fetch_parse_url(argv[0], host, sizeof(host), &port, path,
	    sizeof(path), err, sizeof(err)) == -1) {
		conf_error(p, "loglist-source: %s", err);
		return -1;
	}
	if ((src.url = conf_strdup(argv[0])) == NULL)
		return -1;
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			conf_error(p, "loglist-source: option '%s' needs a "
			    "value", argv[i]);
			goto fail;
		}
		if (source_option(p, &src, argv[i], argv[i + 1]) == -1)
			goto fail;
	}
	grown = conf_realloc(c->loglist_sources, (c->nloglist_sources + 1) *
	    sizeof(*grown));
	if (grown == NULL)
		goto fail;
	c->loglist_sources = grown;
	c->loglist_sources[c->nloglist_sources++] = src;
	return 0;
fail:
	loglist_source_free(&src);
	return -1;
}

/* --- local-zone and forward-zone ------------------------------------ */

void
conf_zone_free(struct conf_zone *z)
{
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < z->nupstreams; i++)
		conf_upstream_free(&z->upstreams[i]);
	free(z->upstreams);
	free(z->name);
	free(z->ca_file);
	memset(z, 0, sizeof(*z));
}

int
conf_zone_plaintext(const struct conf_zone *z)
{
	size_t i;

	for (i = 0; i < z->nupstreams; i++)
		if (z->upstreams[i].transport == CONF_PLAIN)
			return 1;
	return 0;
}

static int
same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
upstreams_equal(const struct conf_upstream *a, const struct conf_upstream *b)
{
	return strcmp(a->url, b->url) == 0 && a->addr.salen == b->addr.salen &&
	    memcmp(&a->addr.sa, &b->addr.sa, a->addr.salen) == 0 &&
	    same_text(a->name, b->name) && a->pins.count == b->pins.count &&
	    (a->pins.count == 0 || memcmp(a->pins.hash, b->pins.hash,
	    a->pins.count * CONF_PIN_LEN) == 0);
}

int
conf_zones_equal(const struct conf *a, const struct conf *b)
{
	size_t i, j;

	if (a->nzones != b->nzones)
		return 0;
	for (i = 0; i < a->nzones; i++) {
		const struct conf_zone *x = &a->zones[i], *y = &b->zones[i];

		if (strcmp(x->name, y->name) != 0 || x->kind != y->kind ||
		    x->nupstreams != y->nupstreams || x->ct_off != y->ct_off ||
		    !same_text(x->ca_file, y->ca_file))
			return 0;
		for (j = 0; j < x->nupstreams; j++)
			if (!upstreams_equal(&x->upstreams[j], &y->upstreams[j]))
				return 0;
	}
	return 1;
}

/* NAME in normal form (lower case, final dot) in out; -1 with an error. */
static int
zone_name(struct conf_parser *p, const char *directive, const char *text,
    char *out, size_t len)
{
	uint8_t wire[ZONE_WIRE_MAX];
	size_t n = zone_name_wire(text, wire, sizeof(wire));

	if (n == 0) {
		conf_error(p, "%s: '%s' is not a domain name%s", directive,
		    text, strcmp(text, ".") == 0 ? " (the root is what 'upstream' "
		    "lines are for)" : "");
		return -1;
	}
	zone_name_text(wire, n, out, len);
	return 0;
}

/*
 * The slot for zone name: the one a line before used (a later line for
 * the same name wins) or a new one at the end; NULL without memory.
 */
static struct conf_zone *
zone_slot(struct conf *c, const char *name)
{
	struct conf_zone *grown;
	size_t i;

	for (i = 0; i < c->nzones; i++)
		if (strcmp(c->zones[i].name, name) == 0)
			return &c->zones[i];
	grown = conf_realloc(c->zones, (c->nzones + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	c->zones = grown;
	memset(&c->zones[c->nzones], 0, sizeof(*grown));
	return &c->zones[c->nzones++];
}

/* Puts z (taken over, also on failure) into c under its name. */
static int
zone_store(struct conf *c, struct conf_zone *z)
{
	struct conf_zone *slot = zone_slot(c, z->name);

	if (slot == NULL) {
		conf_zone_free(z);
		return -1;
	}
	if (slot->name != NULL)
		conf_zone_free(slot);
	*slot = *z;
	memset(z, 0, sizeof(*z));
	return 0;
}

static int
dir_local_zone(struct conf_parser *p, struct conf *c, char **argv, int argc)
{
	struct conf_zone z;
	char name[ZONE_WIRE_MAX + 1];

	memset(&z, 0, sizeof(z));
	if (strcmp(argv[1], "nxdomain") == 0)
		z.kind = CONF_ZONE_NXDOMAIN;
	else if (strcmp(argv[1], "forward") == 0)
		z.kind = CONF_ZONE_PUBLIC;
	else {
		conf_error(p, "local-zone: expected NAME nxdomain or NAME "
		    "forward, got '%s'", argv[1]);
		return -1;
	}
	if (zone_name(p, "local-zone", argv[0], name, sizeof(name)) == -1)
		return -1;
	if ((z.name = conf_strdup(name)) == NULL)
		return -1;
	return zone_store(c, &z);
}


int
conf_parse_plain_url(const char *url, struct conf_upstream *u, char *err,
    size_t errlen)
{
	char buf[128], *host, *port;
	uint16_t portnum = 53;

	memset(u, 0, sizeof(*u));
	if (strlen(url) >= sizeof(buf) || split_host_port(strcpy(buf,
	    url + 6), &host, &port) == -1 ||
	    (port != NULL && parse_port(port, &portnum) == -1) ||
	    conf_parse_address(host, portnum, &u->addr) == -1) {
		snprintf(err, errlen, "upstream '%s': expected dns://IP[:PORT]",
		    url);
		return -1;
	}
	u->transport = CONF_PLAIN;
	u->port = portnum;
	if ((u->url = conf_strdup(url)) == NULL) {
		snprintf(err, errlen, "upstream '%s': out of memory", url);
		return -1;
	}
	return 0;
}

/* One more upstream for zone z from url. */
static int
zone_add_upstream(struct conf_parser *p, struct conf_zone *z,
    const char *url)
{
	struct conf_upstream u, *grown;
	char err[600];
	int rc;

	if (strncmp(url, "dns://", 6) == 0)
		rc = conf_parse_plain_url(url, &u, err, sizeof(err));
	else
		rc = conf_parse_upstream_url(url, &u, err, sizeof(err));
	if (rc == -1) {
		conf_error(p, "forward-zone %s: %s", z->name, err);
		return -1;
	}
	grown = conf_realloc(z->upstreams, (z->nupstreams + 1) *
	    sizeof(*grown));
	if (grown == NULL) {
		conf_upstream_free(&u);
		return -1;
	}
	z->upstreams = grown;
	z->upstreams[z->nupstreams++] = u;
	return 0;
}

/* An option of the last upstream (address, name, pin) or of the zone. */
static int
zone_option(struct conf_parser *p, struct conf_zone *z, const char *key,
    const char *value)
{
	struct conf_upstream *u = &z->upstreams[z->nupstreams - 1];

	if (strcmp(key, "ca-file") == 0)
		return replace_string(&z->ca_file, value);
	if (strcmp(key, "ct") == 0) {
		if (strcmp(value, "off") != 0 && strcmp(value, "on") != 0) {
			conf_error(p, "forward-zone %s: ct: expected 'off' or "
			    "'on', got '%s'", z->name, value);
			return -1;
		}
		z->ct_off = strcmp(value, "off") == 0;
		return 0;
	}
	if (u->transport == CONF_PLAIN) {
		conf_error(p, "forward-zone %s: '%s' is for dot:// and "
		    "https:// upstreams, not %s", z->name, key, u->url);
		return -1;
	}
	if (strcmp(key, "address") == 0) {
		if (u->host == NULL || u->addr.salen != 0 ||
		    conf_parse_address(value, u->port, &u->addr) == -1) {
			conf_error(p, "forward-zone %s: address '%s': one IP "
			    "address, for an https:// URL with a host name",
			    z->name, value);
			return -1;
		}
		return 0;
	}
	return upstream_option(p, u, key, value);
}

/* What a zone must have once its line is read. */
static int
zone_check(struct conf_parser *p, const struct conf_zone *z)
{
	size_t i;
	int tls = 0;

	if (z->nupstreams == 0) {
		conf_error(p, "forward-zone %s: no upstream (dot://, https:// "
		    "or dns://)", z->name);
		return -1;
	}
	for (i = 0; i < z->nupstreams; i++) {
		const struct conf_upstream *u = &z->upstreams[i];

		tls |= u->transport != CONF_PLAIN;
		if (u->host != NULL && u->addr.salen == 0) {
			conf_error(p, "forward-zone %s: upstream '%s' names a "
			    "host: give it 'address IP'", z->name, u->url);
			return -1;
		}
	}
	if (!tls && (z->ca_file != NULL || z->ct_off)) {
		conf_error(p, "forward-zone %s: ca-file and ct are for dot:// "
		    "and https:// upstreams", z->name);
		return -1;
	}
	return 0;
}

static int
dir_forward_zone(struct conf_parser *p, struct conf *c, char **argv,
    int argc)
{
	struct conf_zone z;
	char name[ZONE_WIRE_MAX + 1];
	int i;

	memset(&z, 0, sizeof(z));
	z.kind = CONF_ZONE_FORWARD;
	if (zone_name(p, "forward-zone", argv[0], name, sizeof(name)) == -1 ||
	    (z.name = conf_strdup(name)) == NULL)
		return -1;
	for (i = 1; i < argc; i++) {
		if (strstr(argv[i], "://") != NULL) {
			if (zone_add_upstream(p, &z, argv[i]) == -1)
				goto fail;
			continue;
		}
		if (z.nupstreams == 0 || i + 1 >= argc) {
			conf_error(p, "forward-zone %s: '%s' %s", z.name,
			    argv[i], z.nupstreams == 0 ? "before any upstream "
			    "URL" : "needs a value");
			goto fail;
		}
		if (zone_option(p, &z, argv[i], argv[i + 1]) == -1)
			goto fail;
		i++;
	}
	if (zone_check(p, &z) == -1)
		goto fail;
	return zone_store(c, &z);
fail:
	conf_zone_free(&z);
	return -1;
}

/*
 * How conf_print writes a directive that is not a scalar row (its values,
 * or a comment line when it is unset, so that the output parses back).
 */
typedef void (*directive_print_fn)(const struct conf *, FILE *);

static void print_listen(const struct conf *, FILE *);
static void print_upstream(const struct conf *, FILE *);
static void print_bootstrap(const struct conf *, FILE *);
static void print_ca_file(const struct conf *, FILE *);
static void print_user(const struct conf *, FILE *);
static void print_pin(const struct conf *, FILE *);
static void print_ct_log_list(const struct conf *, FILE *);
static void print_control(const struct conf *, FILE *);
static void print_metrics(const struct conf *, FILE *);
static void print_loglist_source(const struct conf *, FILE *);
static void print_local_zone(const struct conf *, FILE *);
static void print_forward_zone(const struct conf *, FILE *);

/*
 * A scalar row (kind other than DIRECTIVE_CUSTOM) is one setting of struct
 * conf at offset: its default, its parsing (without fn) and its printing
 * (without print) all come from the row. A custom row has a handler fn
 * and a print function.
 */
enum directive_kind {
	DIRECTIVE_CUSTOM,
	DIRECTIVE_UINT,		/* unsigned, min..max */
	DIRECTIVE_INT,		/* int, min..max */
	DIRECTIVE_WORD,		/* int or enum: the index of the word in words */
};

static const char *const words_no_yes[] = { "no", "yes", NULL };
static const char *const words_ct[] = { "enforce", "report", NULL };
static const char *const words_ct_stale[] = { "enforce", "fail-open", NULL };
/* in the order of enum conf_strategy */
static const char *const words_strategy[] = { "ordered", "round-robin",
    "fastest", NULL };
/* in the order of enum conf_audit_mode */
static const char *const words_ct_audit[] = { "off", "report", "enforce",
    NULL };

struct directive {
	const char *name;
	int min_args, max_args;
	directive_fn fn;		/* NULL: parsed by kind */
	directive_print_fn print;	/* NULL: printed by kind */
	enum directive_kind kind;
	size_t offset;			/* scalar rows: the field */
	unsigned long min, max;		/* numbers: the range */
	unsigned long def;		/* the default (a word's index) */
	const char *const *words;	/* DIRECTIVE_WORD */
};

#define FIELD(f) offsetof(struct conf, f)
#define UINT_ROW(name, f, min, max, def) \
	{ name, 1, 1, NULL, NULL, DIRECTIVE_UINT, FIELD(f), min, max, def, NULL }
#define INT_ROW(name, f, min, max, def) \
	{ name, 1, 1, NULL, NULL, DIRECTIVE_INT, FIELD(f), min, max, def, NULL }
#define WORD_ROW(name, f, words, def) \
	{ name, 1, 1, NULL, NULL, DIRECTIVE_WORD, FIELD(f), 0, 0, def, words }

/*
 * The table's order is conf_print's. A custom row may end after its
 * handler and print function: the fields after those are zero.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct directive directives[] = {
	{ "listen", 1, 2, dir_listen, print_listen },
	{ "upstream", 1, CONF_MAX_ARGS - 1, dir_upstream, print_upstream },
	{ "bootstrap", 1, 2, dir_bootstrap, print_bootstrap },
	WORD_ROW("upstream-strategy", strategy, words_strategy, CONF_ORDERED),
	{ "ca-file", 1, 1, dir_ca_file, print_ca_file },
	UINT_ROW("timeout", timeout_ms, 100, 60000, 5000),
	{ "user", 1, 1, dir_user, print_user },
	{ "pin", 1, 1, dir_pin, print_pin },
	WORD_ROW("ct", ct_mode, words_ct, CONF_CT_ENFORCE),
	{ "ct-log-list", 1, 1, dir_ct_log_list, print_ct_log_list },
	INT_ROW("ct-min-logs", ct_min_logs, 1, 10, 2),
	INT_ROW("ct-min-operators", ct_min_operators, 1, 10, 2),
	WORD_ROW("ct-lifetime-rule", ct_lifetime_rule, words_no_yes, 1),
	INT_ROW("ct-list-max-age", ct_list_max_age_days, 1, 3650, 70),
	WORD_ROW("ct-stale", ct_stale_fail_open, words_ct_stale, 0),
	/* a home router's share: OpenWrt's dnsmasq keeps 1,000 by default */
	UINT_ROW("cache-size", cache_size, 0, 10000000, 2000),
	/* parsed by its handler: it notes that it was set (size_cache_bytes) */
	{ "cache-max-bytes", 1, 1, dir_cache_max_bytes, NULL, DIRECTIVE_UINT,
	    FIELD(cache_max_bytes), CACHE_MIN_BYTES, CACHE_MAX_BYTES,
	    CACHE_DEFAULT_BYTES, NULL },
	UINT_ROW("cache-min-ttl", cache_min_ttl, 0, 86400, 0),
	UINT_ROW("cache-max-ttl", cache_max_ttl, 0, 604800, 86400),
	WORD_ROW("serve-stale", serve_stale, words_no_yes, 0),
	UINT_ROW("tcp-idle-timeout", tcp_idle_ms, 1000, 600000, 10000),
	UINT_ROW("max-tcp-clients", max_tcp_clients, 1, 65535, 256),
	UINT_ROW("max-inflight", max_inflight, 1, 1000000, 2048),
	UINT_ROW("max-udp-size", max_udp_size, 512, 65535, 1232),
	{ "control", 1, 1, dir_control, print_control },
	{ "metrics", 2, 2, dir_metrics, print_metrics },
	/* loglist update */
	{ "loglist-source", 1, CONF_MAX_ARGS - 1, dir_loglist_source,
	    print_loglist_source },
	/* SCT auditing (audit.c) */
	WORD_ROW("ct-audit", ct_audit, words_ct_audit, CONF_AUDIT_REPORT),
	WORD_ROW("ct-audit-rfc6962", ct_audit_rfc6962, words_no_yes, 1),
	/* locally served names and per-domain forwarding */
	{ "local-zone", 2, 2, dir_local_zone, print_local_zone },
	{ "forward-zone", 2, CONF_MAX_ARGS - 1, dir_forward_zone,
	    print_forward_zone },
};
#pragma GCC diagnostic pop

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

static void
conf_defaults(struct conf *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NDIRECTIVES; i++) {
		const struct directive *d = &directives[i];
		char *field = (char *)c + d->offset;

		if (d->kind == DIRECTIVE_UINT)
			*(unsigned *)field = (unsigned)d->def;
		else if (d->kind != DIRECTIVE_CUSTOM)
			*(int *)field = (int)d->def;
	}
}

/* "'a' or 'b'", "'a', 'b' or 'c'": the words a row takes. */
static void
words_text(const char *const *words, char *buf, size_t len)
{
	size_t i, n = 0, used = 0;

	while (words[n] != NULL)
		n++;
	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		used += (size_t)snprintf(buf + used, len - used, "%s'%s'",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i]);
	}
}

/* A scalar row's value from arg; 0, or -1 with the error reported. */
static int
set_scalar(struct conf_parser *p, struct conf *c, const struct directive *d,
    const char *arg)
{
	char *field = (char *)c + d->offset, expected[128];
	unsigned long v;
	int i;

	if (d->kind == DIRECTIVE_WORD) {
		for (i = 0; d->words[i] != NULL; i++)
			if (strcmp(arg, d->words[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		words_text(d->words, expected, sizeof(expected));
		conf_error(p, "%s: expected %s, got '%s'", d->name, expected,
		    arg);
		return -1;
	}
	if (dir_uint(p, d->name, arg, d->min, d->max, &v) == -1)
		return -1;
	if (d->kind == DIRECTIVE_UINT)
		*(unsigned *)field = (unsigned)v;
	else
		*(int *)field = (int)v;
	return 0;
}

static int
split_words(char *line, char **argv)
{
	int argc = 0;
	char *save = NULL, *word;

	for (word = strtok_r(line, " \t\r\n", &save); word != NULL;
	    word = strtok_r(NULL, " \t\r\n", &save)) {
		if (*word == '#')
			break;
		if (argc == CONF_MAX_ARGS)
			return -1;
		argv[argc++] = word;
	}
	return argc;
}

/*
 * A handler that fails without saying why ran out of memory: that is an
 * error too, or a pin or a ca-file would be dropped silently.
 */
static void
run_directive(struct conf_parser *p, struct conf *c,
    const struct directive *d, char **argv, int argc)
{
	int before = p->nerrors;

	if (d->fn == NULL) {
		set_scalar(p, c, d, argv[1]);
		return;
	}
	if (d->fn(p, c, argv + 1, argc - 1) == -1 && p->nerrors == before)
		conf_error(p, "%s: out of memory", d->name);
}

static void
parse_line(struct conf_parser *p, struct conf *c, char *line)
{
	char *argv[CONF_MAX_ARGS];
	int argc = split_words(line, argv);
	size_t i;

	if (argc == 0)
		return;
	if (argc < 0) {
		conf_error(p, "too many words");
		return;
	}
	for (i = 0; i < NDIRECTIVES; i++) {
		const struct directive *d = &directives[i];

		if (strcmp(argv[0], d->name) != 0)
			continue;
		if (argc - 1 < d->min_args || argc - 1 > d->max_args)
			conf_error(p, "%s: expected %d to %d arguments, got %d",
			    d->name, d->min_args, d->max_args, argc - 1);
		else
			run_directive(p, c, d, argv, argc);
		return;
	}
	conf_error(p, "unknown directive '%s'", argv[0]);
}

char *
conf_sibling_path(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path) : 1;
	size_t len = (size_t)dirlen + strlen(name) + 2;
	char *out = conf_realloc(NULL, len);

	if (out != NULL)
		snprintf(out, len, "%.*s/%s", dirlen, slash ? path : ".", name);
	return out;
}

static void
conf_finish(struct conf_parser *p, struct conf *c)
{
	size_t i;

	p->line = 0;
	for (i = 0; i < c->nupstreams && c->nbootstraps == 0; i++) {
		if (c->upstreams[i].addr.salen != 0)
			continue;
		fprintf(p->errs, "%s: upstream '%s' names a host: give it "
		    "'address IP' or configure 'bootstrap IP'\n", p->file,
		    c->upstreams[i].url);
		p->nerrors++;
	}
	if (c->nupstreams == 0) {
		fprintf(p->errs, "%s: no upstream configured\n", p->file);
		p->nerrors++;
	}
	if (c->nlistens == 0) {
		struct conf_address a;

		conf_parse_address("127.0.0.53", 53, &a);
		c->listens = conf_realloc(NULL, sizeof(a));
		if (c->listens != NULL) {
			c->listens[0] = a;
			c->nlistens = 1;
		}
	}
	if (c->ct_log_list == NULL)
		c->ct_log_list = conf_sibling_path(p->file, DEFAULT_LOG_LIST);
	if (!p->control_set) {
		c->control = conf_strdup(CONF_DEFAULT_CONTROL);
		c->control_is_default = 1;
	}
	if (c->path == NULL || c->nlistens == 0 || c->ct_log_list == NULL ||
	    (!p->control_set && c->control == NULL)) {
		fprintf(p->errs, "%s: out of memory\n", p->file);
		p->nerrors++;
	}
	size_cache_bytes(p, c);
	if (c->cache_min_ttl > c->cache_max_ttl) {
		fprintf(p->errs, "%s: cache-min-ttl %u is above cache-max-ttl "
		    "%u\n", p->file, c->cache_min_ttl, c->cache_max_ttl);
		p->nerrors++;
	}
}

static int
conf_parse_stream(const char *name, FILE *in, struct conf *c, FILE *errs)
{
	struct conf_parser p = { name, 0, errs, 0, 0, 0 };
	char *line = NULL;
	size_t cap = 0;

	conf_defaults(c);
	c->path = conf_strdup(name);
	while (getline(&line, &cap, in) != -1) {
		p.line++;
		if (strlen(line) > 4096) {
			conf_error(&p, "line too long");
			continue;
		}
		parse_line(&p, c, line);
	}
	free(line);
	conf_finish(&p, c);
	return p.nerrors;
}

int
conf_load(const char *path, struct conf *c, FILE *errs)
{
	FILE *in = fopen(path, "r");
	int n;

	if (in == NULL) {
		conf_defaults(c);
		fprintf(errs, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	n = conf_parse_stream(path, in, c, errs);
	fclose(in);
	return n;
}

int
conf_load_string(const char *name, const char *text, struct conf *c,
    FILE *errs)
{
	FILE *in = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	int n;

	if (in == NULL) {
		conf_defaults(c);
		return 1;
	}
	n = conf_parse_stream(name, in, c, errs);
	fclose(in);
	return n;
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nupstreams; i++)
		conf_upstream_free(&c->upstreams[i]);
	free(c->upstreams);
	free(c->bootstraps);
	free(c->listens);
	free(c->path);
	free(c->ca_file);
	free(c->user);
	free(c->ct_log_list);
	free(c->control);
	free(c->pins.hash);
	for (i = 0; i < c->nloglist_sources; i++)
		loglist_source_free(&c->loglist_sources[i]);
	free(c->loglist_sources);
	for (i = 0; i < c->nzones; i++)
		conf_zone_free(&c->zones[i]);
	free(c->zones);
	memset(c, 0, sizeof(*c));
}

static void
print_pins(FILE *out, const char *lead, const char *trail,
    const struct conf_pins *pins)
{
	unsigned char b64[64];
	size_t i;

	for (i = 0; i < pins->count; i++) {
		EVP_EncodeBlock(b64, pins->hash[i], CONF_PIN_LEN);
		fprintf(out, "%spin sha256/%s%s", lead, b64, trail);
	}
}

/* "DIRECTIVE IP PORT", as the parser reads it. */
static void
print_address(FILE *out, const char *directive, const struct conf_address *a)
{
	char ip[ADDRESS_IP_LEN] = "?";
	uint16_t port = address_ip(a, ip, sizeof(ip));

	fprintf(out, "%s %s %u\n", directive, ip, port);
}

static void
print_listen(const struct conf *c, FILE *out)
{
	size_t i;

	for (i = 0; i < c->nlistens; i++)
		print_address(out, "listen", &c->listens[i]);
}

/* One upstream as the parser reads it: URL and options. */
static void
print_upstream_words(FILE *out, const struct conf_upstream *u)
{
	char addr[ADDRESS_IP_LEN];

	fprintf(out, "%s", u->url);
	if (u->addr.salen != 0 && u->host != NULL) {
		address_ip(&u->addr, addr, sizeof(addr));
		fprintf(out, " address %s", addr);
	}
	if (u->name != NULL && u->host == NULL)
		fprintf(out, " name %s", u->name);
	print_pins(out, " ", "", &u->pins);
}

static void
print_upstream(const struct conf *c, FILE *out)
{
	size_t i;

	for (i = 0; i < c->nupstreams; i++) {
		fputs("upstream ", out);
		print_upstream_words(out, &c->upstreams[i]);
		fputc('\n', out);
	}
}

/* Unset settings are printed as comments: the output parses back. */
static void
print_bootstrap(const struct conf *c, FILE *out)
{
	size_t i;

	for (i = 0; i < c->nbootstraps; i++)
		print_address(out, "bootstrap", &c->bootstraps[i]);
	if (c->nbootstraps == 0)
		fputs("# bootstrap not set: host names need 'address IP'\n",
		    out);
}

static void
print_ca_file(const struct conf *c, FILE *out)
{
	if (c->ca_file != NULL)
		fprintf(out, "ca-file %s\n", c->ca_file);
	else
		fputs("# ca-file not set: the system CA bundle\n", out);
}

static void
print_user(const struct conf *c, FILE *out)
{
	if (c->user != NULL)
		fprintf(out, "user %s\n", c->user);
	else
		fputs("# user not set: stays the user it was started as\n",
		    out);
}

static void
print_pin(const struct conf *c, FILE *out)
{
	print_pins(out, "", "\n", &c->pins);
	if (c->pins.count == 0)
		fputs("# pin not set: any issuer the CA bundle trusts\n", out);
}

static void
print_ct_log_list(const struct conf *c, FILE *out)
{
	fprintf(out, "ct-log-list %s\n", c->ct_log_list);
}

static void
print_control(const struct conf *c, FILE *out)
{
	fprintf(out, "control %s\n", c->control ? c->control : "off");
}

static void
print_metrics(const struct conf *c, FILE *out)
{
	if (c->metrics.salen != 0)
		print_address(out, "metrics", &c->metrics);
	else
		fputs("# metrics not set: no metrics endpoint\n", out);
}

static void
print_loglist_source(const struct conf *c, FILE *out)
{
	char ip[ADDRESS_IP_LEN];
	size_t i, j;

	for (i = 0; i < c->nloglist_sources; i++) {
		const struct conf_loglist_source *src = &c->loglist_sources[i];

		fprintf(out, "loglist-source %s", src->url);
		for (j = 0; j < src->naddrs; j++) {
			address_ip(&src->addrs[j], ip, sizeof(ip));
			fprintf(out, " address %s", ip);
		}
		if (src->ca_file != NULL)
			fprintf(out, " ca-file %s", src->ca_file);
		print_pins(out, " ", "", &src->pins);
		for (j = 0; j < src->nkeys; j++)
			fprintf(out, " key %s", src->keys[j]);
		fputc('\n', out);
	}
	if (c->nloglist_sources == 0)
		fputs("# loglist-source not set: ctstub loglist update has no "
		    "source\n", out);
}

static void
print_local_zone(const struct conf *c, FILE *out)
{
	size_t i, n = 0;

	for (i = 0; i < c->nzones; i++) {
		const struct conf_zone *z = &c->zones[i];

		if (z->kind == CONF_ZONE_FORWARD)
			continue;
		fprintf(out, "local-zone %s %s\n", z->name,
		    z->kind == CONF_ZONE_NXDOMAIN ? "nxdomain" : "forward");
		n++;
	}
	if (n == 0)
		fputs("# local-zone not set: the built-in locally served names "
		    "only\n", out);
}

static void
print_forward_zone(const struct conf *c, FILE *out)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->nzones; i++) {
		const struct conf_zone *z = &c->zones[i];

		if (z->kind != CONF_ZONE_FORWARD)
			continue;
		fprintf(out, "forward-zone %s", z->name);
		for (j = 0; j < z->nupstreams; j++) {
			fputc(' ', out);
			print_upstream_words(out, &z->upstreams[j]);
		}
		if (z->ca_file != NULL)
			fprintf(out, " ca-file %s", z->ca_file);
		if (z->ct_off)
			fputs(" ct off", out);
		fputc('\n', out);
		n++;
	}
	if (n == 0)
		fputs("# forward-zone not set: every name goes to the "
		    "upstreams\n", out);
}

static void
print_scalar(const struct conf *c, const struct directive *d, FILE *out)
{
	const char *field = (const char *)c + d->offset;
	int v = *(const int *)field;

	if (d->kind == DIRECTIVE_UINT)
		fprintf(out, "%s %u\n", d->name, *(const unsigned *)field);
	else if (d->kind == DIRECTIVE_INT)
		fprintf(out, "%s %d\n", d->name, v);
	else if (d->kind == DIRECTIVE_WORD)
		fprintf(out, "%s %s\n", d->name, d->words[v]);
}

void
conf_print(const struct conf *c, FILE *out)
{
	size_t i;

	for (i = 0; i < NDIRECTIVES; i++) {
		if (directives[i].print != NULL)
			directives[i].print(c, out);
		else
			print_scalar(c, &directives[i], out);
	}
}

const char *
conf_audit_mode_name(enum conf_audit_mode m)
{
	return words_ct_audit[m];
}

char *
conf_print_text(const struct conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL)
		return NULL;
	conf_print(c, out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
