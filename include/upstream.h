/* SPDX-License-Identifier: ISC */
/*
 * The upstream set: order, health (backoff after failures, refusals
 * remembered), failover, and the hand-off to a transport (dot.c, doh.c).
 * upstream.c owns the upstreams and their connections.
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
	uint64_t retry_at_ms;		/* monotonic; 0: usable now */
	unsigned backoff_ms;
	enum verify_refusal refused;	/* the last failure was a refusal */
	uint32_t srtt_us;		/* smoothed answer time; 0 unmeasured */
	struct event *probe;		/* reconnects when the back-off ends */
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
 * After a reload: each upstream of to that from also had (same URL and
 * address) keeps counting where it left off.
 */
void upstream_set_carry_stats(struct upstream_set *to,
    const struct upstream_set *from);
/* Closes every connection (their queries are failed) and frees. */
void upstream_set_free(struct upstream_set *set);

/*
 * Sends q to the next usable upstream it has not tried (in the order of
 * the configured strategy), or fails it with the last reason seen
 * (previous: why the last attempt failed).
 */
void upstream_dispatch(struct query *q, const char *previous);
/* Has q upstreams left that it has not tried? */
int upstream_can_fail_over(const struct query *q);
/*
 * A query waited too long on up: up is failed (back-off) and its
 * connection closed, so its queries move on to other upstreams.
 */
void upstream_stalled(struct upstream *up, const char *reason);
/*
 * q was answered by q->up: the upstream works (back-off reset), and the
 * answer time feeds the "fastest" choice.
 */
void upstream_answered(const struct query *q);
/* Takes q away from whatever connection holds it. */
void upstream_cancel(struct query *q);

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

#endif
