/* SPDX-License-Identifier: ISC */
/*
 * SCT auditing: which certificates and SCTs to prove, when, and what the
 * proofs said (see include/audit.h; one proof is auditjob.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/ct.h>
#include <openssl/evp.h>

#include "audit.h"
#include "bootstrap.h"
#include "checkpoint.h"
#include "log.h"

struct audit_log {
	unsigned char	 id[LOGLIST_ID_LEN];
	char		 name[96];
	EVP_PKEY	*key;
	int		 tiled;
	char		*base_url;	/* NULL: none ctstub can use */
	char		 origin[CHECKPOINT_ORIGIN_MAX];
	long		 mmd;
	struct audit_head head;		/* the largest seen */
	uint64_t	 failures;	/* proven, for metrics */
};

struct audit_cert;

struct audit_sct {
	struct audit_cert *cert;
	struct audit_log *log;
	uint64_t	 timestamp_ms;
	unsigned char	*ext;
	size_t		 ext_len;
	struct ctentry	 entry;
	enum audit_state state;
	char		 reason[AUDITJOB_REASON_MAX];
	uint64_t	 tree_size;
	time_t		 checked_at;
	unsigned	 retry_s;
	struct event	*timer;
	struct auditjob	*job;
	struct bootstrap *lookup;	/* the log's host name, looked up */
};

struct audit_cert {
	struct audit_cert *next;
	struct audit	*audit;
	unsigned char	 id[32];	/* SHA-256 of the DER */
	char		 label[64];
	struct audit_sct scts[TRUST_MAX_SCTS];
	size_t		 nscts;
};

struct audit {
	struct event_base *base;
	enum conf_audit_mode mode;
	int		 rfc6962;
	SSL_CTX		*ctx;
	struct audit_cert *certs;	/* newest first */
	size_t		 ncerts;
	struct audit_log logs[AUDIT_MAX_LOGS];
	size_t		 nlogs;
	audit_proven_fn	 proven;
	void		*proven_arg;
	int		 once;	/* audit_now: no MMD wait, no retries */
	char		 resolver[128];	/* ctstub's own listener; "": system */
	unsigned	 lookup_ms;	/* the query timeout */
};

static void	run_sct(struct audit_sct *);

const char *
audit_state_name(enum audit_state s)
{
	static const char *const names[] = { "pending", "included",
	    "unreachable", "not-included", "skipped" };

	return names[s];
}

struct audit *
audit_new(struct event_base *base, char *err, size_t errlen)
{
	struct audit *a = calloc(1, sizeof(*a));

	if (a == NULL || (a->ctx = SSL_CTX_new(TLS_client_method())) ==
	    NULL) {
		snprintf(err, errlen, "audit: out of memory");
		free(a);
		return NULL;
	}
	a->base = base;
	a->mode = CONF_AUDIT_REPORT;
	a->rfc6962 = 1;
	SSL_CTX_set_verify(a->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(a->ctx, TLS1_2_VERSION);
	SSL_CTX_set_default_verify_paths(a->ctx);
	return a;
}

/*
 * Where log host names are looked up: ctstub's first listener (a wildcard
 * one through loopback), so they are resolved over the verified upstreams.
 */
static void
own_listener(const struct conf *c, char *out, size_t len)
{
	struct conf_address l;
	struct sockaddr_in *sin = (struct sockaddr_in *)&l.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l.sa;

	out[0] = '\0';
	if (c->nlistens == 0)
		return;
	l = c->listens[0];
	if (l.sa.ss_family == AF_INET && sin->sin_addr.s_addr == INADDR_ANY)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l.sa.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
		sin6->sin6_addr = in6addr_loopback;
	conf_address_str(&l, out, len);
}

int
audit_configure(struct audit *a, const struct conf *c, char *err,
    size_t errlen)
{
	SSL_CTX *ctx;

	a->mode = c->ct_audit;
	a->rfc6962 = c->ct_audit_rfc6962;
	a->lookup_ms = c->timeout_ms ? c->timeout_ms : 5000;
	own_listener(c, a->resolver, sizeof(a->resolver));
	if (c->ca_file == NULL)
		return 0;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1) {
		snprintf(err, errlen, "audit: cannot load ca-file %s",
		    c->ca_file);
		SSL_CTX_free(ctx);
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* running fetches keep their own reference */
	SSL_CTX_free(a->ctx);
	a->ctx = ctx;
	return 0;
}

void
audit_set_proven_cb(struct audit *a, audit_proven_fn fn, void *arg)
{
	a->proven = fn;
	a->proven_arg = arg;
}

enum conf_audit_mode
audit_mode(const struct audit *a)
{
	return a->mode;
}

/* The audit's record of a listed log, refreshed from the list. */
static struct audit_log *
log_for(struct audit *a, const struct loglist_log *l)
{
	struct audit_log *al = NULL;
	const char *url = l->tiled ? l->monitoring_url : l->url;
	size_t i;

	for (i = 0; i < a->nlogs && al == NULL; i++)
		if (memcmp(a->logs[i].id, l->id, LOGLIST_ID_LEN) == 0)
			al = &a->logs[i];
	if (al == NULL) {
		if (a->nlogs == AUDIT_MAX_LOGS || l->ctlog == NULL)
			return NULL;
		al = &a->logs[a->nlogs++];
		memcpy(al->id, l->id, LOGLIST_ID_LEN);
	}
	snprintf(al->name, sizeof(al->name), "%s", l->description);
	EVP_PKEY_free(al->key);
	al->key = CTLOG_get0_public_key(l->ctlog);
	EVP_PKEY_up_ref(al->key);
	al->tiled = l->tiled;
	al->mmd = l->mmd;
	free(al->base_url);
	/* fetch.c speaks https only */
	al->base_url = url != NULL && strncmp(url, "https://", 8) == 0 ?
	    strdup(url) : NULL;
	al->origin[0] = '\0';
	if (l->submission_url != NULL)
		checkpoint_origin_of(l->submission_url, al->origin,
		    sizeof(al->origin));
	return al;
}

static struct audit_cert *
find_cert(const struct audit *a, const unsigned char id[32])
{
	struct audit_cert *c;

	for (c = a->certs; c != NULL; c = c->next)
		if (memcmp(c->id, id, 32) == 0)
			return c;
	return NULL;
}

static void
sct_clear(struct audit_sct *s)
{
	auditjob_free(s->job);
	bootstrap_free(s->lookup);
	if (s->timer != NULL)
		event_free(s->timer);
	ctentry_free(&s->entry);
	free(s->ext);
	memset(s, 0, sizeof(*s));
}

static void
cert_free(struct audit_cert *c)
{
	for (size_t i = 0; i < c->nscts; i++)
		sct_clear(&c->scts[i]);
	free(c);
}

/* Whether one of c's SCTs is proven false. */
static int
has_proven_false(const struct audit_cert *c)
{
	for (size_t i = 0; i < c->nscts; i++)
		if (c->scts[i].state == AUDIT_NOT_INCLUDED)
			return 1;
	return 0;
}

/*
 * Forgets the oldest certificate beyond the cap, sparing those proven
 * false (enforce keeps refusing them) unless nothing else is left.
 */
static void
trim(struct audit *a)
{
	struct audit_cert **pp, **victim = NULL, **oldest = NULL, *c;

	if (a->ncerts <= AUDIT_MAX_CERTS)
		return;
	/* never the newest: the caller is still filling it in */
	for (pp = &a->certs->next; *pp != NULL; pp = &(*pp)->next) {
		oldest = pp;
		if (!has_proven_false(*pp))
			victim = pp;
	}
	if (victim == NULL)
		victim = oldest;
	c = *victim;
	*victim = c->next;
	cert_free(c);
	a->ncerts--;
}

static void
timer_cb(evutil_socket_t fd, short events, void *arg)
{
	run_sct(arg);
}

static void
schedule(struct audit_sct *s, unsigned seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(s->timer, &tv);
}

static void
proven_false(struct audit_sct *s, const char *reason)
{
	struct audit *a = s->cert->audit;

	s->log->failures++;
	log_warn("CT audit: log %s broke its promise for the certificate of "
	    "upstream %s (SCT of %llu): %s%s", s->log->name, s->cert->label,
	    (unsigned long long)s->timestamp_ms, reason,
	    a->mode == CONF_AUDIT_ENFORCE ? "; refusing it" : "");
	if (a->mode == CONF_AUDIT_ENFORCE && a->proven != NULL)
		a->proven(s->cert->id, reason, a->proven_arg);
}

/* What a proof (or the lookup before it) came to. */
static void
settle(struct audit_sct *s, const struct auditjob_result *r)
{
	s->checked_at = time(NULL);
	memcpy(s->reason, r->reason, sizeof(s->reason));
	switch (r->outcome) {
	case AUDITJOB_INCLUDED:
		s->state = AUDIT_INCLUDED;
		s->tree_size = r->tree_size;
		break;
	case AUDITJOB_PENDING:
		s->state = AUDIT_PENDING;
		if (!s->cert->audit->once)
			schedule(s, AUDIT_RETRY_FIRST_S);
		break;
	case AUDITJOB_UNREACHABLE:
		s->state = AUDIT_UNREACHABLE;
		if (s->cert->audit->once)
			break;
		log_info("CT audit: log %s unreachable, again in %u s: %s",
		    s->log->name, s->retry_s, r->reason);
		schedule(s, s->retry_s);
		s->retry_s = s->retry_s * 2 > AUDIT_RETRY_MAX_S ?
		    AUDIT_RETRY_MAX_S : s->retry_s * 2;
		break;
	case AUDITJOB_NOT_INCLUDED:
		s->state = AUDIT_NOT_INCLUDED;
		proven_false(s, r->reason);
		break;
	}
}

static void
job_done_cb(const struct auditjob_result *res, void *arg)
{
	struct audit_sct *s = arg;
	struct auditjob_result copy = *res;	/* res lives in the job */

	auditjob_free(s->job);
	s->job = NULL;
	settle(s, &copy);
}

static void
start_job(struct audit_sct *s, const char *ip)
{
	struct audit *a = s->cert->audit;
	struct auditjob_log l = { 0 };

	l.name = s->log->name;
	l.id = s->log->id;
	l.key = s->log->key;
	l.tiled = s->log->tiled;
	l.base_url = s->log->base_url;
	l.ip = ip;
	l.origin = s->log->origin;
	l.mmd = s->log->mmd;
	s->job = auditjob_start(a->base, a->ctx, &l, &s->entry,
	    s->timestamp_ms, s->ext, s->ext_len, &s->log->head, job_done_cb,
	    s);
	if (s->job == NULL)
		schedule(s, s->retry_s);
}

static void
lookup_done_cb(struct bootstrap *b, void *arg)
{
	struct audit_sct *s = arg;
	const struct bootstrap_name *n = bootstrap_name(b, 0);
	struct auditjob_result r = { AUDITJOB_UNREACHABLE, "", 0 };
	char ip[INET6_ADDRSTRLEN];

	snprintf(ip, sizeof(ip), "%s", n->nips > 0 ? n->ips[0] : "");
	snprintf(r.reason, sizeof(r.reason), "cannot look up %s: %s",
	    n->host, n->error[0] ? n->error : "no address");
	bootstrap_free(b);
	s->lookup = NULL;
	if (ip[0] == '\0')
		settle(s, &r);
	else
		start_job(s, ip);
}

/* A log URL with a host name: look it up through ctstub, then prove. */
static void
look_up(struct audit_sct *s, const char *host)
{
	struct audit *a = s->cert->audit;
	struct auditjob_result r = { AUDITJOB_UNREACHABLE, "", 0 };

	s->lookup = bootstrap_lookup(a->base, host, a->resolver, a->lookup_ms,
	    lookup_done_cb, s, r.reason, sizeof(r.reason));
	if (s->lookup == NULL)
		settle(s, &r);
}

/* Starts the proof once the MMD has passed. */
static int auditable(struct audit *, struct audit_sct *);

static void
run_sct(struct audit_sct *s)
{
	struct audit *a = s->cert->audit;
	time_t due = (time_t)(s->timestamp_ms / 1000) + s->log->mmd;
	char host[256];
	time_t now = time(NULL);

	if (a->mode == CONF_AUDIT_OFF)
		return;
	if (now < due && !a->once) {
		schedule(s, (unsigned)(due - now) + 1);
		return;
	}
	if (s->job != NULL || s->lookup != NULL)
		return;
	if (!auditable(a, s)) {	/* a reloaded list may have taken its URL */
		s->state = AUDIT_SKIPPED;
		return;
	}
	if (auditjob_url_host(s->log->base_url, host, sizeof(host)) == 0)
		look_up(s, host);
	else
		start_job(s, NULL);
}

/* Whether this SCT can be audited, and why not (SKIPPED) otherwise. */
static int
auditable(struct audit *a, struct audit_sct *s)
{
	if (s->log->base_url == NULL) {
		snprintf(s->reason, sizeof(s->reason), "no https URL for the "
		    "log in the list");
		return 0;
	}
	if (!s->log->tiled && !a->rfc6962) {
		snprintf(s->reason, sizeof(s->reason), "RFC 6962 log: "
		    "ct-audit-rfc6962 no");
		return 0;
	}
	return 1;
}

/* One counted SCT (raw, as presented) of cert. */
static int
add_sct(struct audit *a, struct audit_cert *c, const struct loglist *list,
    const struct trust_evidence *ev, SCT *sct, enum ct_source source)
{
	struct audit_sct *s = &c->scts[c->nscts];
	const struct loglist_log *l;
	unsigned char *id, *ext;
	size_t idlen, extlen;
	char err[200];

	idlen = SCT_get0_log_id(sct, &id);
	extlen = SCT_get0_extensions(sct, &ext);
	if ((l = loglist_find(list, id, idlen)) == NULL ||
	    (s->log = log_for(a, l)) == NULL)
		return -1;
	s->cert = c;
	s->timestamp_ms = SCT_get_timestamp(sct);
	s->retry_s = AUDIT_RETRY_FIRST_S;
	if (extlen > 0 && (s->ext = malloc(extlen)) == NULL)
		return -1;
	if (extlen > 0)
		memcpy(s->ext, ext, extlen);
	s->ext_len = extlen;
	if ((s->timer = evtimer_new(a->base, timer_cb, s)) == NULL ||
	    ctentry_build(&s->entry, source == CT_SOURCE_EMBEDDED ?
	    CTENTRY_PRECERT : CTENTRY_X509, ev->leaf, ev->leaf_len,
	    ev->issuer, ev->issuer_len, s->timestamp_ms, ext, extlen, err,
	    sizeof(err)) == -1) {
		sct_clear(s);
		return -1;
	}
	c->nscts++;
	if (!auditable(a, s))
		s->state = AUDIT_SKIPPED;
	return 0;
}

/* Did the CT policy count this SCT? */
static int
counted(const struct ct_result *ct, SCT *sct)
{
	unsigned char *id;
	size_t idlen = SCT_get0_log_id(sct, &id);

	for (size_t i = 0; i < ct->nscts; i++)
		if (ct->scts[i].verdict == CT_SCT_COUNTED &&
		    ct->scts[i].log_id_len == idlen &&
		    memcmp(ct->scts[i].log_id, id, idlen) == 0 &&
		    ct->scts[i].timestamp_ms == SCT_get_timestamp(sct))
			return 1;
	return 0;
}

static void
add_scts(struct audit *a, struct audit_cert *c, const struct loglist *list,
    const struct trust_evidence *ev, const struct ct_result *ct)
{
	for (size_t i = 0; i < ev->nscts && c->nscts < TRUST_MAX_SCTS; i++) {
		const unsigned char *p = ev->scts[i].der;
		SCT *sct = o2i_SCT(NULL, &p, ev->scts[i].len);

		if (sct != NULL && counted(ct, sct))
			add_sct(a, c, list, ev, sct, ev->scts[i].source);
		SCT_free(sct);
	}
}

void
audit_certificate(struct audit *a, const struct loglist *list,
    const struct trust_evidence *ev, const struct ct_result *ct,
    const char *label)
{
	unsigned char id[32];
	struct audit_cert *c;

	if (a == NULL || a->mode == CONF_AUDIT_OFF || ev->leaf == NULL ||
	    ct == NULL || list == NULL ||
	    !EVP_Digest(ev->leaf, ev->leaf_len, id, NULL, EVP_sha256(), NULL) ||
	    find_cert(a, id) != NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	memcpy(c->id, id, sizeof(c->id));
	c->audit = a;
	snprintf(c->label, sizeof(c->label), "%s", label);
	add_scts(a, c, list, ev, ct);
	c->next = a->certs;
	a->certs = c;
	a->ncerts++;
	trim(a);
	log_debug("CT audit: certificate of upstream %s, %zu counted SCTs",
	    label, c->nscts);
	for (size_t i = 0; i < c->nscts; i++)
		if (c->scts[i].state == AUDIT_PENDING)
			schedule(&c->scts[i], 0);
}

int
audit_refusal(const struct audit *a, X509 *leaf, char *reason, size_t len)
{
	unsigned char id[32];
	const struct audit_cert *c;

	if (a == NULL || a->mode != CONF_AUDIT_ENFORCE || leaf == NULL ||
	    !X509_digest(leaf, EVP_sha256(), id, NULL) ||
	    (c = find_cert(a, id)) == NULL)
		return 0;
	for (size_t i = 0; i < c->nscts; i++)
		if (c->scts[i].state == AUDIT_NOT_INCLUDED) {
			snprintf(reason, len, "CT audit: log %s: %s",
			    c->scts[i].log->name, c->scts[i].reason);
			return 1;
		}
	return 0;
}

size_t
audit_view(const struct audit *a, const unsigned char *der, size_t len,
    struct audit_sct_view *out, size_t max)
{
	unsigned char id[32];
	const struct audit_cert *c;
	size_t i;

	if (a == NULL || der == NULL ||
	    !EVP_Digest(der, len, id, NULL, EVP_sha256(), NULL) ||
	    (c = find_cert(a, id)) == NULL)
		return 0;
	for (i = 0; i < c->nscts && i < max; i++) {
		const struct audit_sct *s = &c->scts[i];

		out[i].log = s->log->name;
		out[i].timestamp_ms = s->timestamp_ms;
		out[i].state = s->state;
		out[i].reason = s->state == AUDIT_INCLUDED ? "" : s->reason;
		out[i].tree_size = s->tree_size;
		out[i].checked_at = s->checked_at;
	}
	return i;
}

json_t *
audit_json(const struct audit *a, const unsigned char *der, size_t len)
{
	struct audit_sct_view v[TRUST_MAX_SCTS];
	size_t n = audit_view(a, der, len, v, TRUST_MAX_SCTS);
	json_t *arr;

	if (n == 0 || (arr = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s, "
		    "s:I, s:I}", "log", v[i].log, "sct_timestamp_ms",
		    (json_int_t)v[i].timestamp_ms, "state",
		    audit_state_name(v[i].state), "reason", v[i].reason,
		    "tree_size", (json_int_t)v[i].tree_size, "checked_at",
		    (json_int_t)v[i].checked_at));
	return arr;
}

int
audit_failures(const struct audit *a, size_t i, const char **log,
    uint64_t *count)
{
	if (a == NULL || i >= a->nlogs)
		return -1;
	*log = a->logs[i].name;
	*count = a->logs[i].failures;
	return 0;
}

/* One line per counted SCT: its log and what the audit proved. */
static void
print_views(FILE *out, const struct audit_sct_view *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "audit: %s: %s", v[i].log,
		    audit_state_name(v[i].state));
		if (v[i].state == AUDIT_INCLUDED)
			fprintf(out, " (tree of %llu entries)\n",
			    (unsigned long long)v[i].tree_size);
		else
			fprintf(out, "%s%s%s\n", v[i].reason[0] ? " (" : "",
			    v[i].reason, v[i].reason[0] ? ")" : "");
	}
}

int
audit_now(const struct loglist *list, const char *ca_file,
    const struct trust_evidence *ev, const struct ct_result *ct, FILE *out)
{
	struct audit_sct_view v[TRUST_MAX_SCTS];
	struct event_base *base = event_base_new();
	struct audit *a = NULL;
	struct conf c;
	char err[300];
	size_t n = 0, i;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.ct_audit = CONF_AUDIT_REPORT;
	c.ct_audit_rfc6962 = 1;
	c.ca_file = (char *)(uintptr_t)ca_file;
	if (base == NULL || (a = audit_new(base, err, sizeof(err))) == NULL ||
	    audit_configure(a, &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "ctstub: %s\n", base ? err : "no event loop");
		goto out;
	}
	a->once = 1;
	audit_certificate(a, list, ev, ct, "(this certificate)");
	event_base_dispatch(base);
	n = audit_view(a, ev->leaf, ev->leaf_len, v, TRUST_MAX_SCTS);
	if (n == 0)
		fprintf(out, "audit: no counted SCT to audit\n");
	print_views(out, v, n);
	for (rc = 0, i = 0; i < n; i++)
		if (v[i].state == AUDIT_NOT_INCLUDED)
			rc = 1;
out:
	audit_free(a);
	if (base != NULL)
		event_base_free(base);
	return rc;
}

void
audit_free(struct audit *a)
{
	struct audit_cert *c, *next;

	if (a == NULL)
		return;
	for (c = a->certs; c != NULL; c = next) {
		next = c->next;
		cert_free(c);
	}
	for (size_t i = 0; i < a->nlogs; i++) {
		EVP_PKEY_free(a->logs[i].key);
		free(a->logs[i].base_url);
	}
	SSL_CTX_free(a->ctx);
	free(a);
}
