/* SPDX-License-Identifier: ISC */
/*
 * The upstream set: the choice of an upstream for a query (the strategy,
 * what the query already tried), health (back-off after failures, probes
 * that end it, refusals remembered), and the hand-off to a transport
 * (dot.c, doh.c). upstream.c owns the upstreams and their connections;
 * the try loop (attempts, failover, failure) belongs to query.c.
 */
#ifndef CTSTUB_UPSTREAM_H
#define CTSTUB_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "ct.h"
#include "stats.h"
#include "trust.h"
#include "verify.h"

struct event;
struct query;
struct server;
struct transport;

struct upstream {
	struct upstream_set *set;
	const struct conf_upstream *conf;
	char label[80];			/* "IP:PORT" */
	const struct transport *transport;
	void *conn;			/* NULL when not connected */
	int ready;			/* conn passed the checks */
	SSL_SESSION *session;		/* from a connection that passed */
	void *detached;			/* (transport) connections going away
					 * but finishing their queries;
					 * transport->close unlinks each */
	uint64_t retry_at_ms;		/* server_now_ms; 0: usable now */
	unsigned backoff_ms;
	enum verify_refusal refused;	/* the last failure was a refusal */
	unsigned ct_unknown_logs;	/* CT refusal: SCTs of unknown logs */
	char ct_unknown_first[16];	/* the first one ("log 11f95a6d") */
	int unknown;			/* failing before a reload, not tried
					 * since (a probe is on its way) */
	uint64_t heard_us;		/* server_now_us of the last answer */
	int stalled;			/* a stall was its last failure ... */
	uint64_t stall_failures;	/* ... if stats.failures is still this */
	uint32_t srtt_us;		/* smoothed answer time; 0 unmeasured */
	struct event *probe;		/* reconnects during a back-off */
	char last_error[600];		/* "upstream X rejected: why" */
	const char *last_anomaly;	/* kind of the last bad answer logged */
	struct stats_upstream stats;
	struct upstream_trust trust;	/* from the last full verification */
};

struct upstream_set {
	struct server *srv;
	SSL_CTX *tls_dot;		/* no ALPN */
	SSL_CTX *tls_doh;		/* ALPN h2 */
	const struct verify_policy *policy;
	struct upstream *list;
	size_t count;
	enum conf_strategy strategy;
	size_t next_first;		/* round-robin position */
	int retiring;			/* replaced by a reload: no probes */
};

struct upstream_set *upstream_set_new(struct server *srv,
    const struct conf *conf, const struct verify_policy *policy, char *err,
    size_t errlen);
/*
 * A set of its own (a forward zone's): the n upstreams of list (which
 * must outlive the set), trusted with ca_file, else share_trust's CA
 * store when given, else the system's; policy must outlive the set.
 */
struct upstream_set *upstream_set_new_list(struct server *srv,
    const struct conf_upstream *list, size_t n, enum conf_strategy strategy,
    const char *ca_file, SSL_CTX *share_trust,
    const struct verify_policy *policy, char *err, size_t errlen);
/*
 * A client TLS context as the daemon's upstreams use (conf's ca-file, its
 * own copy of policy's CT log store, alpn if given); share_trust: take
 * its CA store instead of loading one. The caller frees it; NULL with err.
 */
SSL_CTX *upstream_tls_ctx(const struct conf *conf,
    const struct verify_policy *policy, SSL_CTX *share_trust,
    const unsigned char *alpn, size_t alpn_len, char *err, size_t errlen);
/*
 * After a reload: each upstream of to that from also had (same URL and
 * address) keeps counting where it left off and keeps its trust evidence
 * (a deep copy: the raw evidence too, for the pre-flight of `ctstub
 * loglist update` right after a reload) and last error. One that was failing or refused there is "unknown" (the
 * new configuration may have fixed it) and is probed at once.
 */
void upstream_set_carry_stats(struct upstream_set *to,
    const struct upstream_set *from);
/*
 * Closes every connection, detached ones included (their queries are
 * failed), and frees.
 */
void upstream_set_free(struct upstream_set *set);

/* Where a new query's tries start: the configured strategy's choice. */
size_t upstream_first(struct upstream_set *set);
/*
 * The next usable upstream of set (see upstream_usable), walking from
 * first + *tried in the configured order; *tried counts the upstreams
 * passed, the one returned included. NULL when none is left, *reason then
 * being the last error seen (unchanged when there was none).
 */
struct upstream *upstream_pick(struct upstream_set *set, size_t first,
    size_t *tried, const char **reason);
/*
 * May up take a query now? Not in back-off, and a connection is open or
 * opening (one is started when needed).
 */
int upstream_usable(struct upstream *up);
/*
 * Hands q to up's connection (upstream_usable() said yes). Sets q->up and
 * q->sent_us; counts a failover when q comes from another upstream.
 */
void upstream_send(struct upstream *up, struct query *q);
/*
 * Has up sent no answer at all since since_us (server_now_us)? Never for
 * a datagram transport: one lost answer is that query's, not a stall.
 */
int upstream_silent_since(const struct upstream *up, uint64_t since_us);
/*
 * up answered nothing while a query waited on conn: up is failed
 * (back-off) and conn, the connection that query waits on (not
 * necessarily up->conn), is closed; its queries move on.
 */
void upstream_stalled(struct upstream *up, void *conn, const char *reason);
/* Something arrived from up (an answer, good or bad): it is not silent. */
void upstream_heard(struct upstream *up);
/*
 * q was answered by q->up: the upstream works (back-off reset), and the
 * answer time feeds the "fastest" choice.
 */
void upstream_answered(const struct query *q);
/* Takes q away from whatever connection holds it. */
void upstream_cancel(struct query *q);
/*
 * The kernel reported a route or address change (netwatch.c), or the user
 * ran `ctstub reset` (why says which, for the log): every back-off of set
 * ends and the upstreams without a connection are probed at once. Returns
 * how many back-offs ended.
 */
size_t upstream_set_end_backoffs(struct upstream_set *set, const char *why);
/* Is up in back-off, refused or unresolved (cannot take queries now)? */
int upstream_down(const struct upstream *up);
/* "ok", "refused", "failing", "unresolved" or "unknown" (see up->unknown). */
const char *upstream_health(const struct upstream *up);

const char *upstream_label(const struct upstream *up);

/*
 * up sent something it should not have (line says what). Logged as a
 * warning once per kind and connection, then at debug level: a hostile
 * upstream cannot flood the log.
 */
void upstream_anomaly(struct upstream *up, const char *kind,
    const char *line);

/* Transport reports. */
/* The connection is gone: up->conn is cleared. */
void upstream_disconnected(struct upstream *up);
/*
 * A connection passed every check (ct: its CT result; pins: the effective
 * pins). Resumed sessions keep the evidence of the full handshake.
 */
void upstream_verified(struct upstream *up, SSL *ssl,
    const struct ct_result *ct, const struct conf_pins *pins);
/*
 * refused: which trust check said no, counted by that kind (never by the
 * wording of reason); VERIFY_NOT_REFUSED for a network or local failure.
 */
void upstream_failed(struct upstream *up, const char *reason,
    enum verify_refusal refused);
/*
 * For audit_set_proven_cb (arg: the struct server): under ct-audit
 * enforce, a certificate with this SHA-256 has an SCT proven false;
 * every upstream of the configuration in force that presented it drops
 * its connection and is refused (back-off; its next handshake meets
 * audit_refusal).
 */
void upstream_audit_proven_cb(const unsigned char cert_id[32],
    const char *reason, void *arg);

#endif
