/* SPDX-License-Identifier: ISC */
/*
 * ctstub loglist update: fetch the CT log list from the configured
 * sources (loglist-source), check it, make sure no upstream that passes
 * today would be refused under it (the pre-flight, over the control
 * socket), install it (loglist_cmd.c's path) and reload the daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base64.h"
#include "bootstrap.h"
#include "conf.h"
#include "control.h"
#include "ct.h"
#include "fetch.h"
#include "loglist.h"
#include "loglist_apple.h"
#include "loglist_cmd.h"
#include "tls.h"
#include "trust.h"
#include "verify.h"

#define LIST_MAX_BYTES (2u << 20)	/* 2 MiB */
#define SIG_MAX_BYTES 1024
#define FETCH_TIMEOUT_MS 30000
#define MIN_OPERATORS 3
#define ED25519_SIG_LEN 64

_Static_assert(BOOTSTRAP_MAX_ADDRS <= CONF_SOURCE_MAX_ADDRS,
    "looked-up addresses fit where a source's own go");

/* One run of the command. */
struct update {
	const struct loglist_options *o;
	struct conf conf;
	char *target;			/* the installed list's path */
	struct loglist *installed;	/* NULL: none readable */
	struct event_base *base;
	const struct conf_loglist_source *src;	/* being tried */
	struct conf_loglist_source bare;	/* --source not configured */
	struct conf_address addrs[CONF_SOURCE_MAX_ADDRS];	/* to try */
	size_t naddrs;
	size_t addr_index;		/* the one being tried */
	int reached;			/* it answered: try no other */
	char src_host[256];		/* its URL's host */
	time_t now;
};

/* The TLS checks of an unsigned source: ctstub's own, as for upstreams. */
struct source_tls {
	struct fetch_tls_hooks hooks;	/* point here */
	struct verify_policy policy;
	struct verify_state st;
	struct conf_pins no_pins;
	const struct conf_loglist_source *src;
	char label[300];
};

/* ---- name resolution: the running daemon, then the bootstrap servers */

static void
lookup_done_cb(struct bootstrap *b, void *arg)
{
	*(int *)arg = 1;
}

/* The daemon's first listener (a wildcard one as loopback), port kept. */
static int
daemon_address(const struct conf *c, struct conf_address *out)
{
	char ip[80];
	uint16_t port;

	if (c->nlistens == 0)
		return -1;
	*out = c->listens[0];
	if (out->sa.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa;

		port = ntohs(sin->sin_port);
		snprintf(ip, sizeof(ip), "%s", sin->sin_addr.s_addr ==
		    htonl(INADDR_ANY) ? "127.0.0.1" : "");
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa;

		port = ntohs(sin6->sin6_port);
		snprintf(ip, sizeof(ip), "%s",
		    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ? "::1" : "");
	}
	return ip[0] ? conf_parse_address(ip, port, out) : 0;
}

/* Looks host up at the servers given, on an event loop of its own. */
static size_t
lookup_at(struct conf_address *servers, size_t nservers, const char *host,
    struct conf_address out[BOOTSTRAP_MAX_ADDRS], char *err, size_t errlen)
{
	struct conf q = { .bootstraps = servers, .nbootstraps = nservers,
	    .timeout_ms = 5000 };
	struct conf_upstream u = { .host = (char *)(uintptr_t)host };
	const struct bootstrap_name *n;
	struct event_base *base = event_base_new();
	struct bootstrap *b = NULL;
	size_t i, nout = 0;
	int done = 0;

	q.upstreams = &u;
	q.nupstreams = 1;
	if (base != NULL)
		b = bootstrap_start(base, &q, lookup_done_cb, &done, err,
		    errlen);
	while (b != NULL && !done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	if (b != NULL && (n = bootstrap_find(b, host)) != NULL) {
		if (n->nips == 0)
			snprintf(err, errlen, "cannot look up %s: %s", host,
			    n->error[0] ? n->error : "no address");
		for (i = 0; i < n->nips; i++)
			if (conf_parse_address(n->ips[i], 0, &out[nout]) == 0)
				nout++;
	}
	bootstrap_free(b);
	if (base != NULL)
		event_base_free(base);
	return nout;
}

/*
 * Looks host up through the running daemon, then (one by one: c-ares
 * loses answers after a server that refused) the bootstrap servers.
 * Synchronous, as fetch's resolver hook is.
 */
static size_t
lookup(const struct conf *c, const char *host,
    struct conf_address out[BOOTSTRAP_MAX_ADDRS], char *err, size_t errlen)
{
	struct conf_address server;
	size_t i, n = 0;

	snprintf(err, errlen, "cannot look up %s: no listen address and no "
	    "bootstrap server", host);
	if (daemon_address(c, &server) == 0)
		n = lookup_at(&server, 1, host, out, err, errlen);
	for (i = 0; n == 0 && i < c->nbootstraps; i++) {
		server = c->bootstraps[i];
		n = lookup_at(&server, 1, host, out, err, errlen);
	}
	return n;
}

static void
set_port(struct conf_address *a, uint16_t port)
{
	if (a->sa.ss_family == AF_INET)
		((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
}

/*
 * fetch's resolver: for the source's host the address being tried (its
 * own, or those looked up), for another host (a redirect) the first one
 * a lookup finds.
 */
static int
resolve_cb(void *arg, const char *host, uint16_t port,
    struct conf_address *out, char *err, size_t errlen)
{
	struct update *u = arg;
	struct conf_address found[BOOTSTRAP_MAX_ADDRS];

	if (strcmp(host, u->src_host) == 0)
		*out = u->addrs[u->addr_index];
	else if (lookup(&u->conf, host, found, err, errlen) > 0)
		*out = found[0];
	else
		return -1;
	set_port(out, port);
	return 0;
}

/* The addresses to try for u->src: its own, or those looked up. */
static int
source_addresses(struct update *u, char *err, size_t errlen)
{
	const struct conf_loglist_source *src = u->src;
	char lerr[300];

	if (src->naddrs > 0) {
		memcpy(u->addrs, src->addrs, src->naddrs * sizeof(u->addrs[0]));
		u->naddrs = src->naddrs;
	} else if (conf_parse_address(u->src_host, 0, &u->addrs[0]) == 0)
		u->naddrs = 1;		/* an IP literal */
	else if ((u->naddrs = lookup(&u->conf, u->src_host, u->addrs, lerr,
	    sizeof(lerr))) == 0) {
		snprintf(err, errlen, "%s: %s", src->url, lerr);
		return -1;
	}
	return 0;
}

/* ---- TLS checks of an unsigned source ---- */

static int
tls_prepare_cb(SSL *ssl, const char *host, void *arg)
{
	struct source_tls *t = arg;
	struct conf_address addr;
	int ip = conf_parse_address(host, 443, &addr) == 0;

	snprintf(t->label, sizeof(t->label), "list source %s", host);
	return verify_prepare(ssl, &t->st, &t->policy, &addr, ip ? NULL : host,
	    &t->src->pins, t->label);
}

static int
tls_established_cb(SSL *ssl, void *arg, char *reason, size_t len)
{
	struct source_tls *t = arg;

	return verify_established(ssl, &t->st, reason, len) ==
	    VERIFY_NOT_REFUSED ? 0 : -1;
}

static void
tls_failed_cb(SSL *ssl, void *arg, const char *fallback, char *reason,
    size_t len)
{
	struct source_tls *t = arg;

	verify_failure_reason(ssl, &t->st, fallback, reason, len);
}

static const struct fetch_tls_hooks *
source_hooks(struct source_tls *t, const struct update *u)
{
	memset(t, 0, sizeof(*t));
	t->hooks.prepare = tls_prepare_cb;
	t->hooks.established = tls_established_cb;
	t->hooks.failed = tls_failed_cb;
	t->hooks.arg = t;
	t->src = u->src;
	t->policy.loglist = u->installed;
	t->policy.ct.min_logs = u->conf.ct_min_logs;
	t->policy.ct.min_operators = u->conf.ct_min_operators;
	t->policy.ct.lifetime_rule = u->conf.ct_lifetime_rule;
	t->policy.pins = &t->no_pins;	/* only the source's own pins */
	return &t->hooks;
}

/* The SSL_CTX for src: chain always; CT (installed list) when unsigned. */
static SSL_CTX *
source_ctx(const struct update *u, char *err, size_t errlen)
{
	const char *ca = u->src->ca_file ? u->src->ca_file : u->conf.ca_file;
	CTLOG_STORE *store = NULL;

	if (u->src->nkeys == 0) {
		if (u->installed == NULL) {
			snprintf(err, errlen, "unsigned source and no readable "
			    "installed list to check its certificate's SCTs "
			    "with");
			return NULL;
		}
		if ((store = loglist_new_store(u->installed)) == NULL) {
			snprintf(err, errlen, "cannot build the CT log store");
			return NULL;
		}
	}
	return tls_ctx_new(ca, NULL, store, NULL, 0, err, errlen);
}

/* ---- fetching ---- */

struct fetched {
	int done;
	struct fetch_result res;	/* body taken over */
};

static void
fetched_cb(struct fetch_result *res, void *arg)
{
	struct fetched *f = arg;

	f->done = 1;
	f->res = *res;
	res->body = NULL;
}

/* GETs url into *body (caller frees); 0, or -1 with err. */
static int
get(struct update *u, const char *url, SSL_CTX *ctx,
    const struct fetch_tls_hooks *hooks, size_t max, const char *type,
    char **body, size_t *len, char *err, size_t errlen)
{
	struct fetch_request req = { .url = url, .ctx = ctx, .hooks = hooks,
	    .resolve = resolve_cb, .resolve_arg = u, .max_body = max,
	    .timeout_ms = FETCH_TIMEOUT_MS, .content_type = type };
	struct fetched f = { 0 };
	struct fetch *fx = fetch_start(u->base, &req, fetched_cb, &f);

	while (fx != NULL && !f.done &&
	    event_base_loop(u->base, EVLOOP_ONCE) == 0)
		;
	fetch_free(fx);
	u->reached = f.res.reached;
	if (!f.res.ok) {
		snprintf(err, errlen, "%s", fx == NULL ? "out of memory" :
		    f.res.error);
		free(f.res.body);
		return -1;
	}
	if (f.res.content_encoding[0] != '\0' &&
	    strcasecmp(f.res.content_encoding, "identity") != 0) {
		snprintf(err, errlen, "%.300s: content encoding \"%.60s\" is "
		    "not supported", f.res.url, f.res.content_encoding);
		free(f.res.body);
		return -1;
	}
	*body = (char *)f.res.body;
	*len = f.res.body_len;
	return 0;
}

/* ---- the signature of a signed source ---- */

static EVP_PKEY *
read_key(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *key = fp ? PEM_read_PUBKEY(fp, NULL, NULL, NULL) : NULL;

	if (fp != NULL)
		fclose(fp);
	ERR_clear_error();
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "key %s: not a PEM Ed25519 public key",
		    path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

static int
ed25519_ok(EVP_PKEY *key, const unsigned char *sig, const char *data,
    size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL,
	    key) == 1 && EVP_DigestVerify(md, sig, ED25519_SIG_LEN,
	    (const unsigned char *)data, len) == 1;

	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* sig_text (base64, spaces around it allowed) signs data by one key. */
static int
check_signature(const struct conf_loglist_source *src, const char *data,
    size_t len, char *sig_text, char *err, size_t errlen)
{
	unsigned char sig[ED25519_SIG_LEN + 3];
	size_t siglen, i, end = strlen(sig_text);
	char *start = sig_text + strspn(sig_text, " \t\r\n");
	EVP_PKEY *key;
	int ok = 0;

	while (end > 0 && strchr(" \t\r\n", sig_text[end - 1]) != NULL)
		sig_text[--end] = '\0';
	if (base64_decode(start, sig, sizeof(sig), &siglen) == -1 ||
	    siglen != ED25519_SIG_LEN) {
		snprintf(err, errlen, "%s.sig: not the base64 of a %d-byte "
		    "Ed25519 signature", src->url, ED25519_SIG_LEN);
		return -1;
	}
	for (i = 0; i < src->nkeys && !ok; i++) {
		if ((key = read_key(src->keys[i], err, errlen)) == NULL)
			return -1;
		ok = ed25519_ok(key, sig, data, len);
		EVP_PKEY_free(key);
	}
	if (!ok)
		snprintf(err, errlen, "%s: the signature does not verify with "
		    "any of the %zu key(s): tampered list, bad signature or "
		    "unknown key", src->url, src->nkeys);
	return ok ? 0 : -1;
}

/* ---- checks before install ---- */

/* Operators with a log that takes and counts new SCTs now. */
static size_t
usable_operators(const struct loglist *l, time_t now)
{
	size_t op, i, n = 0;

	for (op = 0; op < l->noperators; op++)
		for (i = 0; i < l->nlogs; i++) {
			const struct loglist_log *g = &l->logs[i];

			if (g->operator_index == op &&
			    loglist_state_is_current(g->state) &&
			    (g->interval_end == 0 || g->interval_end > now)) {
				n++;
				break;
			}
		}
	return n;
}

static void
day_text(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Older than the installed list? Apple lists by Apple's version number
 * (after one was installed), ctstub's by log_list_timestamp; moving from
 * one kind to the other is not going back.
 */
static int
is_older(const struct loglist *next, const struct loglist *cur)
{
	long cv = loglist_apple_version(cur);

	if (next->format == LOGLIST_APPLE_V5)
		return cv >= 0 && loglist_apple_version(next) < cv;
	/* an installed Apple list carries its fetch time, not its date */
	return cv < 0 && next->timestamp < cur->timestamp;
}

static int
check_list(const struct update *u, const struct loglist *next, char *err,
    size_t errlen)
{
	size_t ops = usable_operators(next, u->now);
	char a[32], b[32];

	if (ops < MIN_OPERATORS) {
		snprintf(err, errlen, "%s: only %zu operator(s) with usable "
		    "logs, at least %d needed", u->src->url, ops,
		    MIN_OPERATORS);
		return -1;
	}
	if (u->installed == NULL || !is_older(next, u->installed))
		return 0;
	day_text(next->timestamp, a, sizeof(a));
	day_text(u->installed->timestamp, b, sizeof(b));
	if (!u->o->force) {
		snprintf(err, errlen, "%s: version %s (%s) is older than the "
		    "installed version %s (%s); --force installs it anyway",
		    u->src->url, next->version, a, u->installed->version, b);
		return -1;
	}
	printf("an older list (version %s) than the installed one (version "
	    "%s), as --force says\n", next->version, u->installed->version);
	return 0;
}

/* ---- what changes (--dry-run) ---- */

static void
print_operator_changes(const struct loglist *cur, const struct loglist *next,
    const char *op)
{
	const struct loglist_log *o, *n;
	int header = 0;
	size_t i;

#define HEADER() do { if (!header++) printf("  %s:\n", op); } while (0)
	for (i = 0; i < next->nlogs; i++) {
		n = &next->logs[i];
		if (strcmp(n->operator_name, op) != 0)
			continue;
		o = loglist_find(cur, n->id, sizeof(n->id));
		if (o == NULL) {
			HEADER();
			printf("    added    %s (%s)\n", n->description,
			    loglist_state_name(n->state));
		} else if (o->state != n->state) {
			HEADER();
			printf("    state    %s: %s -> %s\n", n->description,
			    loglist_state_name(o->state),
			    loglist_state_name(n->state));
		}
	}
	for (i = 0; i < cur->nlogs; i++) {
		o = &cur->logs[i];
		if (strcmp(o->operator_name, op) == 0 &&
		    loglist_find(next, o->id, sizeof(o->id)) == NULL) {
			HEADER();
			printf("    removed  %s (%s)\n", o->description,
			    loglist_state_name(o->state));
		}
	}
#undef HEADER
}

static void
print_diff(const struct loglist *cur, const struct loglist *next)
{
	size_t i, j;

	printf("changes from version %s to %s (logs by operator):\n",
	    cur->version, next->version);
	for (i = 0; i < next->noperators; i++)
		print_operator_changes(cur, next, next->operators[i]);
	for (i = 0; i < cur->noperators; i++) {
		for (j = 0; j < next->noperators; j++)
			if (strcmp(cur->operators[i], next->operators[j]) == 0)
				break;
		if (j == next->noperators)
			print_operator_changes(cur, next, cur->operators[i]);
	}
}

/* ---- the pre-flight: each upstream's evidence under the new list ---- */

/* The "evidence" object of the control socket's reply into ev; 0 or -1. */
static int
decode_evidence(json_t *j, struct trust_evidence *ev)
{
	json_t *scts = json_object_get(j, "scts"), *s;
	const char *issuer = json_string_value(json_object_get(j, "issuer"));
	size_t i;

	memset(ev, 0, sizeof(*ev));
	ev->leaf = base64_decode_alloc(json_string_value(json_object_get(j,
	    "leaf")) ? json_string_value(json_object_get(j, "leaf")) : "",
	    &ev->leaf_len);
	if (ev->leaf == NULL || !json_is_array(scts))
		return -1;
	if (issuer != NULL && (ev->issuer = base64_decode_alloc(issuer,
	    &ev->issuer_len)) == NULL)
		return -1;
	if (json_array_size(scts) > 0 && (ev->scts = calloc(
	    json_array_size(scts), sizeof(*ev->scts))) == NULL)
		return -1;
	json_array_foreach(scts, i, s) {
		const char *b64 = json_string_value(json_object_get(s, "sct"));
		const char *src = json_string_value(json_object_get(s,
		    "source"));
		struct trust_raw_sct *r = &ev->scts[ev->nscts];

		if (b64 == NULL || src == NULL ||
		    trust_source_parse(src, &r->source) == -1 ||
		    (r->der = base64_decode_alloc(b64, &r->len)) == NULL)
			return -1;
		ev->nscts++;
	}
	return 0;
}

/* "LOG (verdict), ..." for SCTs counted today and not under the new list. */
static void
logs_at_fault(const struct ct_result *today, const struct ct_result *next,
    char *out, size_t len)
{
	size_t i, used = 0;
	int n;

	out[0] = '\0';
	for (i = 0; i < today->nscts && i < next->nscts; i++) {
		if (today->scts[i].verdict != CT_SCT_COUNTED ||
		    next->scts[i].verdict == CT_SCT_COUNTED)
			continue;
		n = snprintf(out + used, len - used, "%s%s (%s)", used ? ", " :
		    "", today->scts[i].log->description,
		    ct_verdict_text(next->scts[i].verdict));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (out[0] == '\0')
		snprintf(out, len, "none in particular: %s", next->reason);
}

/*
 * One upstream: 1 when it passes today and would be refused under next
 * (why says which logs), else 0.
 */
static int
preflight_upstream(const struct update *u, const struct loglist *next,
    const struct ct_policy *pol, json_t *up, char *why, size_t whylen)
{
	const char *label = json_string_value(json_object_get(up, "label"));
	json_t *j = json_object_get(up, "evidence");
	struct ct_result today, after;
	struct trust_evidence ev;
	char err[200], fault[600];
	int now_ok, next_ok, refused = 0;

	label = label ? label : "?";
	if (!json_is_object(j)) {
		printf("pre-flight: %s: not verified since the daemon started; "
		    "nothing to check\n", label);
		return 0;
	}
	if (decode_evidence(j, &ev) == -1 || u->installed == NULL) {
		printf("pre-flight: %s: %s; not checked\n", label,
		    u->installed ? "unreadable evidence" : "no installed list");
		trust_evidence_clear(&ev);
		return 0;
	}
	now_ok = trust_evidence_check(&ev, pol, u->installed, u->now, &today,
	    err, sizeof(err)) == 1;
	next_ok = trust_evidence_check(&ev, pol, next, u->now, &after, err,
	    sizeof(err)) == 1;
	if (now_ok && !next_ok) {
		logs_at_fault(&today, &after, fault, sizeof(fault));
		snprintf(why, whylen, "upstream %s passes today and would be "
		    "refused under version %s: logs at fault: %s", label,
		    next->version, fault);
		refused = 1;
	}
	printf("pre-flight: %s: %s today, %s under the new list: %s\n", label,
	    now_ok ? "passes" : "refused", next_ok ? "passes" : "refused",
	    after.reason);
	ct_result_free(&today);
	ct_result_free(&after);
	trust_evidence_clear(&ev);
	return refused;
}

/* The daemon's evidence document, or NULL (said why: pre-flight skipped). */
static json_t *
fetch_evidence(const struct update *u)
{
	char *socket = loglist_socket(u->o), *reply, err[600];
	json_t *doc;

	if (socket == NULL) {
		printf("control is off: pre-flight skipped\n");
		return NULL;
	}
	reply = control_request(socket, "evidence", err, sizeof(err));
	free(socket);
	if (reply == NULL) {
		printf("the daemon is not running (%s): pre-flight skipped\n",
		    err);
		return NULL;
	}
	doc = json_loads(reply, 0, NULL);
	free(reply);
	if (!json_is_array(json_object_get(doc, "upstreams"))) {
		printf("the daemon gave no evidence (an older ctstub?): "
		    "pre-flight skipped\n");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* 0: no upstream that passes today would be refused (or forced). */
static int
preflight(const struct update *u, const struct loglist *next, char *err,
    size_t errlen)
{
	json_t *doc = fetch_evidence(u), *p, *up;
	struct ct_policy pol;
	int refused = 0;
	size_t i;

	if (doc == NULL)
		return 0;
	/* the daemon's policy; the configuration's if it gave none */
	p = json_object_get(doc, "policy");
	pol.min_logs = json_is_integer(json_object_get(p, "min_logs")) ?
	    (int)json_integer_value(json_object_get(p, "min_logs")) :
	    u->conf.ct_min_logs;
	pol.min_operators = json_is_integer(json_object_get(p,
	    "min_operators")) ? (int)json_integer_value(json_object_get(p,
	    "min_operators")) : u->conf.ct_min_operators;
	pol.lifetime_rule = json_is_boolean(json_object_get(p,
	    "lifetime_rule")) ? json_is_true(json_object_get(p,
	    "lifetime_rule")) : u->conf.ct_lifetime_rule;
	json_array_foreach(json_object_get(doc, "upstreams"), i, up)
		if (preflight_upstream(u, next, &pol, up, err, errlen) &&
		    !refused++ && u->o->force)
			printf("pre-flight: %s; installing anyway, as --force "
			    "says\n", err);
	json_decref(doc);
	return refused && !u->o->force ? -1 : 0;
}

/* ---- one source ---- */

/* Fetches and verifies u->src's list at its address u->addr_index. */
static int
fetch_source(struct update *u, SSL_CTX *ctx, char **body, size_t *len,
    char *err, size_t errlen)
{
	const struct conf_loglist_source *src = u->src;
	struct source_tls tls;
	const struct fetch_tls_hooks *hooks = src->nkeys ? NULL :
	    source_hooks(&tls, u);
	char sig_url[FETCH_MAX_URL + 8], *sig = NULL;
	size_t siglen;
	int rc;

	if (get(u, src->url, ctx, hooks, LIST_MAX_BYTES, "application/json",
	    body, len, err, errlen) == -1)
		return -1;
	if (src->nkeys == 0)
		return 0;
	snprintf(sig_url, sizeof(sig_url), "%s.sig", src->url);
	rc = get(u, sig_url, ctx, hooks, SIG_MAX_BYTES, NULL, &sig, &siglen,
	    err, errlen);
	if (rc == 0)
		rc = check_signature(src, *body, *len, sig, err, errlen);
	free(sig);
	if (rc == -1) {
		free(*body);
		*body = NULL;
	}
	return rc;
}

/* A verified, checked list from u->src in *next (its bytes in *body). */
static int
try_source(struct update *u, char **body, size_t *len, struct loglist **next,
    char *err, size_t errlen)
{
	char path[FETCH_MAX_URL], lerr[600];
	uint16_t port;
	SSL_CTX *ctx;
	int rc = -1;

	if (fetch_parse_url(u->src->url, u->src_host, sizeof(u->src_host),
	    &port, path, sizeof(path), err, errlen) == -1 ||
	    source_addresses(u, err, errlen) == -1 ||
	    (ctx = source_ctx(u, err, errlen)) == NULL)
		return -1;
	/* the next address only when this one did not answer at all */
	u->reached = 0;
	for (u->addr_index = 0; rc == -1 && !u->reached &&
	    u->addr_index < u->naddrs; u->addr_index++)
		rc = fetch_source(u, ctx, body, len, err, errlen);
	SSL_CTX_free(ctx);
	if (rc == -1)
		return -1;
	*next = loglist_load_buf(u->src->url, *body, *len, lerr, sizeof(lerr));
	if (*next == NULL)
		snprintf(err, errlen, "%s", lerr);
	else if (check_list(u, *next, err, errlen) == 0)
		return 0;
	loglist_free(*next);
	*next = NULL;
	free(*body);
	*body = NULL;
	return -1;
}

/* ---- install, failure ---- */

/* Writes next (Apple's converted to ctstub's format) and reloads. */
static int
install(struct update *u, const struct loglist *next, const char *body,
    size_t len, char *err, size_t errlen)
{
	char *conv = NULL;
	int rc;

	if (next->format == LOGLIST_APPLE_V5) {
		conv = loglist_apple_convert(body, len, u->now, &len, err,
		    errlen);
		if (conv == NULL)
			return -1;
		body = conv;
	}
	if (loglist_write_atomically(u->target, body, len) == -1) {
		snprintf(err, errlen, "cannot write %s", u->target);
		free(conv);
		return -1;
	}
	printf("installed %s as %s: version %s%s, %zu logs, %zu operators\n",
	    u->src->url, u->target, conv ? LOGLIST_APPLE_PREFIX : "",
	    next->version, next->nlogs, next->noperators);
	free(conv);
	rc = loglist_tell_daemon(u->o);
	if (rc != 0)
		snprintf(err, errlen, "installed, but the daemon did not "
		    "reload it");
	return rc == 0 ? 0 : -1;
}

/* One line on stderr, and the daemon is told (it warns); exit 1. */
static int
failed(const struct update *u, const char *reason)
{
	char line[CONTROL_MAX_REQUEST - 64], err[300], *socket, *reply;
	size_t i;

	fprintf(stderr, "ctstub: loglist update: %s\n", reason);
	if (u->o->dry_run || (socket = loglist_socket(u->o)) == NULL)
		return 1;
	snprintf(line, sizeof(line), "loglist-update-failed %s", reason);
	for (i = 0; line[i] != '\0'; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	/* an older daemon answers "unknown command": nothing to do then */
	reply = control_request(socket, line, err, sizeof(err));
	free(reply);
	free(socket);
	return 1;
}

/* ---- the command ---- */

static const struct conf_loglist_source *
pick_override(struct update *u)
{
	struct conf_loglist_source *bare = &u->bare;
	size_t i;

	for (i = 0; i < u->conf.nloglist_sources; i++)
		if (strcmp(u->conf.loglist_sources[i].url, u->o->source) == 0)
			return &u->conf.loglist_sources[i];
	memset(bare, 0, sizeof(*bare));
	bare->url = (char *)(uintptr_t)u->o->source;
	return bare;
}

/* The first source that gives a good list; -1 with err from the last. */
static int
from_sources(struct update *u, char **body, size_t *len,
    struct loglist **next, char *err, size_t errlen)
{
	size_t i, n = u->o->source ? 1 : u->conf.nloglist_sources;

	if (n == 0) {
		snprintf(err, errlen, "%s has no loglist-source (and no "
		    "--source was given)", u->o->conf_path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		u->src = u->o->source ? pick_override(u) :
		    &u->conf.loglist_sources[i];
		if (try_source(u, body, len, next, err, errlen) == 0)
			return 0;
		if (i + 1 < n)
			fprintf(stderr, "ctstub: loglist update: %s; trying "
			    "the next source\n", err);
	}
	return -1;
}

static int
run(struct update *u)
{
	struct loglist *next = NULL;
	char err[1200], lerr[600], *body = NULL;
	size_t len = 0;
	int rc = 1;

	if ((u->installed = loglist_load(u->target, lerr, sizeof(lerr))) ==
	    NULL)
		printf("the installed list is unreadable (%s)\n", lerr);
	if (from_sources(u, &body, &len, &next, err, sizeof(err)) == -1) {
		rc = failed(u, err);
		goto done;
	}
	if (u->o->dry_run && u->installed != NULL)
		print_diff(u->installed, next);
	if (preflight(u, next, err, sizeof(err)) == -1) {
		rc = failed(u, err);
		goto done;
	}
	if (u->o->dry_run) {
		printf("dry run: version %s from %s passes every check; "
		    "nothing changed\n", next->version, u->src->url);
		rc = 0;
	} else if (install(u, next, body, len, err, sizeof(err)) == -1)
		rc = failed(u, err);
	else
		rc = 0;
done:
	loglist_free(next);
	free(body);
	return rc;
}

int
loglist_update(const struct loglist_options *o)
{
	struct update u = { .o = o, .now = time(NULL) };
	int rc;

	if (conf_load(o->conf_path, &u.conf, stderr) != 0) {
		conf_free(&u.conf);
		return 2;
	}
	u.target = u.conf.ct_log_list;
	if ((u.base = event_base_new()) == NULL) {
		conf_free(&u.conf);
		return failed(&u, "out of memory");
	}
	rc = run(&u);
	loglist_free(u.installed);
	event_base_free(u.base);
	conf_free(&u.conf);
	return rc;
}
