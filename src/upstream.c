/* SPDX-License-Identifier: ISC */
/*
 * Upstream choice, health with exponential back-off, reconnect probes,
 * and the hand-off of a query to a transport.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "audit.h"
#include "conf.h"
#include "log.h"
#include "loglist.h"
#include "query.h"
#include "server.h"
#include "tls.h"
#include "transport.h"
#include "upstream.h"
#include "verify.h"
#include "zone.h"
#include "zones.h"

#define BACKOFF_FIRST_MS	1000
#define BACKOFF_MAX_MS		(5 * 60 * 1000)
/*
 * While an upstream is in back-off after network failures it is probed at
 * least this often: a verified handshake ends the back-off, so DNS comes
 * back within seconds of the network, not minutes.
 */
#define PROBE_MAX_MS		5000

/* A client TLS context trusting ca_file, with its own copy of the CT logs. */
static SSL_CTX *
tls_ctx_for(const char *ca_file, const struct verify_policy *policy,
    SSL_CTX *share_trust, const unsigned char *alpn, size_t alpn_len,
    char *err, size_t errlen)
{
	CTLOG_STORE *store = NULL;

	if (policy->loglist != NULL &&
	    (store = loglist_new_store(policy->loglist)) == NULL) {
		snprintf(err, errlen, "cannot build the CT log store");
		return NULL;
	}
	return tls_ctx_new(ca_file, share_trust, store, alpn, alpn_len,
	    err, errlen);
}

SSL_CTX *
upstream_tls_ctx(const struct conf *conf, const struct verify_policy *policy,
    SSL_CTX *share_trust, const unsigned char *alpn, size_t alpn_len,
    char *err, size_t errlen)
{
	return tls_ctx_for(conf->ca_file, policy, share_trust, alpn, alpn_len,
	    err, errlen);
}

static void schedule_probe(struct upstream *, unsigned);

/* A host name the bootstrap servers have not resolved yet: unusable. */
static void
upstream_unresolved(struct upstream *up)
{
	snprintf(up->label, sizeof(up->label), "%s:%u", up->conf->host,
	    up->conf->port);
	snprintf(up->last_error, sizeof(up->last_error), "upstream %s "
	    "failed: %s is not resolved yet (bootstrap servers)", up->label,
	    up->conf->host);
}

static const struct transport *
transport_of(const struct conf_upstream *u)
{
	switch (u->transport) {
	case CONF_DOH:
		return &transport_doh;
	case CONF_PLAIN:
		return &transport_plain;
	default:
		return &transport_dot;
	}
}

static int
needs_tls(const struct conf_upstream *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i].transport != CONF_PLAIN)
			return 1;
	return 0;
}

/* The TLS contexts of set, when one of its upstreams uses TLS. */
static int
set_tls(struct upstream_set *set, const struct conf_upstream *list, size_t n,
    const char *ca_file, SSL_CTX *share_trust, char *err, size_t errlen)
{
	static const unsigned char h2[] = { 2, 'h', '2' };

	if (!needs_tls(list, n))
		return 0;
	/* one copy of the CA certificates (the system bundle is large) */
	set->tls_dot = tls_ctx_for(ca_file, set->policy, share_trust, NULL, 0,
	    err, errlen);
	if (set->tls_dot == NULL)
		return -1;
	set->tls_doh = tls_ctx_for(ca_file, set->policy, set->tls_dot, h2,
	    sizeof(h2), err, errlen);
	return set->tls_doh == NULL ? -1 : 0;
}

struct upstream_set *
upstream_set_new_list(struct server *srv, const struct conf_upstream *list,
    size_t n, enum conf_strategy strategy, const char *ca_file,
    SSL_CTX *share_trust, const struct verify_policy *policy, char *err,
    size_t errlen)
{
	struct upstream_set *set = calloc(1, sizeof(*set));
	size_t i;

	if (set == NULL || (n > 0 && (set->list = calloc(n,
	    sizeof(*set->list))) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	set->srv = srv;
	set->policy = policy;
	set->count = n;
	set->strategy = strategy;
	if (set_tls(set, list, n, ca_file, share_trust, err, errlen) == -1)
		goto fail;
	for (i = 0; i < set->count; i++) {
		struct upstream *up = &set->list[i];

		up->set = set;
		up->conf = &list[i];
		up->transport = transport_of(up->conf);
		if (up->conf->addr.salen == 0)
			upstream_unresolved(up);
		else
			conf_address_str(&up->conf->addr, up->label,
			    sizeof(up->label));
	}
	return set;
fail:
	if (set != NULL) {
		SSL_CTX_free(set->tls_dot);
		SSL_CTX_free(set->tls_doh);
		free(set->list);
	}
	free(set);
	return NULL;
}

struct upstream_set *
upstream_set_new(struct server *srv, const struct conf *conf,
    const struct verify_policy *policy, char *err, size_t errlen)
{
	return upstream_set_new_list(srv, conf->upstreams, conf->nupstreams,
	    conf->strategy, conf->ca_file, NULL, policy, err, errlen);
}

/* Called by upstream_set_carry_stats; see include/upstream.h. */
static void
carry(struct upstream *to, const struct upstream *from)
{
	to->stats = from->stats;
	trust_copy(&to->trust, &from->trust);	/* it owns its evidence */
	if (!upstream_down(from) || to->conf->addr.salen == 0)
		return;
	memcpy(to->last_error, from->last_error, sizeof(to->last_error));
	to->unknown = 1;
	schedule_probe(to, 0);
}

void
upstream_set_carry_stats(struct upstream_set *to,
    const struct upstream_set *from)
{
	size_t i, j;

	for (i = 0; i < to->count; i++)
		for (j = 0; j < from->count; j++)
			if (strcmp(to->list[i].label, from->list[j].label) == 0 &&
			    strcmp(to->list[i].conf->url,
			    from->list[j].conf->url) == 0) {
				carry(&to->list[i], &from->list[j]);
				break;
			}
}

void
upstream_set_free(struct upstream_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++) {
		struct upstream *up = &set->list[i];

		if (up->conn != NULL)
			up->transport->close(up->conn, "ctstub is shutting down",
			    QUERY_NO_RETRY);
		while (up->detached != NULL)
			up->transport->close(up->detached,
			    "ctstub is shutting down", QUERY_NO_RETRY);
		if (up->session != NULL)
			SSL_SESSION_free(up->session);
		trust_clear(&up->trust);
		if (up->probe != NULL)
			event_free(up->probe);
	}
	SSL_CTX_free(set->tls_dot);
	SSL_CTX_free(set->tls_doh);
	free(set->list);
	free(set);
}

const char *
upstream_label(const struct upstream *up)
{
	return up ? up->label : "(none)";
}

static void
upstream_works(struct upstream *up, const char *how)
{
	up->stalled = 0;
	if (up->unknown) {
		up->unknown = 0;
		up->last_error[0] = '\0';
	}
	if (up->backoff_ms == 0)
		return;
	log_info("upstream %s is up again (%s)", up->label, how);
	up->backoff_ms = 0;
	up->retry_at_ms = 0;
	up->refused = 0;
	up->last_error[0] = '\0';
}

/* The back-off ended: reconnect without waiting for a query. */
static void
probe_cb(evutil_socket_t fd, short events, void *arg)
{
	struct upstream *up = arg;

	if (up->conn == NULL && !up->set->srv->stopping && !up->set->retiring)
		up->conn = up->transport->open(up);
}

/*
 * A refusal is a policy decision the network does not change: its probe
 * waits out the back-off. Other failures are probed sooner.
 */
static unsigned
probe_delay_ms(const struct upstream *up)
{
	if (up->refused || up->backoff_ms < PROBE_MAX_MS)
		return up->backoff_ms;
	return PROBE_MAX_MS;
}

static void
schedule_probe(struct upstream *up, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (up->probe == NULL)
		up->probe = evtimer_new(up->set->srv->base, probe_cb, up);
	if (up->probe != NULL)
		evtimer_add(up->probe, &tv);
}

void
upstream_failed(struct upstream *up, const char *reason,
    enum verify_refusal refused)
{
	char line[sizeof(up->last_error)];

	snprintf(line, sizeof(line), "upstream %s %s: %s", up->label,
	    refused ? "rejected" : "failed", reason);
	/* one log line per change of state, not per query */
	if (strcmp(line, up->last_error) != 0)
		log_warn("%s", line);
	else
		log_debug("%s (again)", line);
	memcpy(up->last_error, line, sizeof(line));
	up->refused = refused;
	up->unknown = 0;
	if (refused != VERIFY_NOT_REFUSED)
		up->stats.refusals[verify_refusal_stat(refused)]++;
	else
		up->stats.failures++;
	up->backoff_ms = up->backoff_ms == 0 ? BACKOFF_FIRST_MS :
	    up->backoff_ms * 2;
	if (up->backoff_ms > BACKOFF_MAX_MS)
		up->backoff_ms = BACKOFF_MAX_MS;
	up->retry_at_ms = server_now_ms(up->set->srv) + up->backoff_ms;
	schedule_probe(up, probe_delay_ms(up));
}

int
upstream_usable(struct upstream *up)
{
	if (up->retry_at_ms > server_now_ms(up->set->srv) ||
	    up->conf->addr.salen == 0)
		return 0;
	if (up->conn == NULL)
		up->conn = up->transport->open(up);
	return up->conn != NULL;
}

int
upstream_silent_since(const struct upstream *up, uint64_t since_us)
{
	return !up->transport->datagrams && up->heard_us < since_us;
}

void
upstream_stalled(struct upstream *up, void *conn, const char *reason)
{
	upstream_failed(up, reason, 0);
	/* a handshake alone will not prove this one works again */
	up->stalled = 1;
	up->stall_failures = up->stats.failures;
	if (conn != NULL)
		up->transport->close(conn, up->last_error, QUERY_NO_RETRY);
}

void
upstream_heard(struct upstream *up)
{
	up->heard_us = server_now_us(up->set->srv);
}

void
upstream_answered(const struct query *q)
{
	struct upstream *up = q->up;
	uint64_t rtt = server_now_us(up->set->srv) - q->sent_us;

	upstream_works(up, "answered");
	up->stats.answers++;
	stats_latency_add(&up->stats.latency, rtt);
	if (rtt > UINT32_MAX)
		rtt = UINT32_MAX;
	up->srtt_us = up->srtt_us == 0 ? (uint32_t)rtt :
	    (uint32_t)((up->srtt_us * 7ULL + rtt) / 8);
}

size_t
upstream_first(struct upstream_set *set)
{
	uint64_t now = server_now_ms(set->srv);
	size_t i, best = 0;

	if (set->count == 0)
		return 0;
	if (set->strategy == CONF_ROUND_ROBIN)
		return set->next_first++ % set->count;
	if (set->strategy == CONF_ORDERED)
		return 0;
	/* fastest: the lowest answer time among those not in back-off;
	 * an unmeasured upstream (0) gets measured first */
	for (i = 1; i < set->count; i++) {
		const struct upstream *a = &set->list[i], *b = &set->list[best];

		if (a->retry_at_ms <= now && (b->retry_at_ms > now ||
		    a->srtt_us < b->srtt_us))
			best = i;
	}
	return best;
}

struct upstream *
upstream_pick(struct upstream_set *set, size_t first, size_t *tried,
    const char **reason)
{
	while (*tried < set->count) {
		struct upstream *up = &set->list[(first + *tried) % set->count];

		++*tried;
		if (upstream_usable(up))
			return up;
		if (up->last_error[0])
			*reason = up->last_error;
	}
	return NULL;
}

void
upstream_send(struct upstream *up, struct query *q)
{
	if (q->up != NULL && q->up != up)
		q->up->stats.failovers++;
	q->up = up;
	q->sent_us = server_now_us(up->set->srv);
	up->stats.queries++;
	up->transport->send(up->conn, q);
}

void
upstream_anomaly(struct upstream *up, const char *kind, const char *line)
{
	if (up->last_anomaly == kind) {
		log_debug("%s (again)", line);
		return;
	}
	log_warn("%s", line);
	up->last_anomaly = kind;
}

void
upstream_disconnected(struct upstream *up)
{
	up->conn = NULL;
	up->ready = 0;
}

void
upstream_verified(struct upstream *up, SSL *ssl, const struct ct_result *ct,
    const struct conf_pins *pins)
{
	up->stats.connections++;
	up->ready = 1;
	up->last_anomaly = NULL;
	if (!SSL_session_reused(ssl)) {
		trust_record(&up->trust, ssl, ct, pins);
		audit_certificate(up->set->srv->audit, up->set->srv->loglist,
		    &up->trust.evidence, ct, up->label);
	}
	/*
	 * A verified handshake ends a back-off (the network is back), unless
	 * the last failure was a stall: that upstream did connect but did not
	 * answer, and only an answer proves it works.
	 */
	if (!up->stalled || up->stats.failures != up->stall_failures)
		upstream_works(up, "connected");
}

/* Does up's last verified certificate have this SHA-256? */
static int
presented(const struct upstream *up, const unsigned char id[32])
{
	const struct trust_evidence *ev = &up->trust.evidence;
	unsigned char md[32];

	return ev->leaf != NULL && EVP_Digest(ev->leaf, ev->leaf_len, md,
	    NULL, EVP_sha256(), NULL) && memcmp(md, id, sizeof(md)) == 0;
}

/* Every upstream of set (NULL: none) that presented the certificate. */
static void
refuse_presenters(struct upstream_set *set, const unsigned char cert_id[32],
    const char *line)
{
	size_t i;

	for (i = 0; set != NULL && i < set->count; i++) {
		struct upstream *up = &set->list[i];

		if (!presented(up, cert_id))
			continue;
		if (up->conn != NULL)
			up->transport->close(up->conn, line, QUERY_NO_RETRY);
		upstream_failed(up, line, VERIFY_REFUSED_CT);
	}
}

void
upstream_audit_proven_cb(const unsigned char cert_id[32], const char *reason,
    void *arg)
{
	struct server *srv = arg;
	char line[AUDITJOB_REASON_MAX + 64];
	size_t i;

	snprintf(line, sizeof(line), "CT audit: %s", reason);
	refuse_presenters(srv->upstreams, cert_id, line);
	for (i = 0; srv->zones != NULL && i < srv->zones->count; i++)
		refuse_presenters(srv->zones->list[i].upstreams, cert_id, line);
}

void
upstream_cancel(struct query *q)
{
	if (q->conn != NULL)
		q->up->transport->cancel(q->conn, q);
}

size_t
upstream_set_end_backoffs(struct upstream_set *set, const char *why)
{
	size_t i, ended = 0;

	for (i = 0; i < set->count; i++) {
		struct upstream *up = &set->list[i];

		if (up->backoff_ms == 0)
			continue;
		log_info("upstream %s: back-off of %u ms ended: %s", up->label,
		    up->backoff_ms, why);
		up->backoff_ms = 0;
		up->retry_at_ms = 0;
		up->stalled = 0;
		ended++;
		if (up->conn == NULL)
			schedule_probe(up, 0);
	}
	return ended;
}

int
upstream_down(const struct upstream *up)
{
	return up->backoff_ms != 0 || up->conf->addr.salen == 0;
}

const char *
upstream_health(const struct upstream *up)
{
	if (up->conf->addr.salen == 0)
		return "unresolved";
	if (up->backoff_ms != 0)
		return up->refused ? "refused" : "failing";
	return up->unknown ? "unknown" : "ok";
}
