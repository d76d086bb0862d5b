/* SPDX-License-Identifier: ISC */
/*
 * audit: SCT auditing (`ct-audit`). For each upstream certificate
 * accepted on a full handshake (once per certificate, keyed by the
 * SHA-256 of its DER, however many connections present it), every SCT
 * the CT policy counted is proven included in its log once the SCT's
 * timestamp plus the log's MMD has passed (auditjob.c does one proof).
 *
 * States per SCT: pending (inside the MMD, or not checked yet), included
 * (tree size, time), unreachable (the log could not be asked: retried
 * with a back-off from 2 s to 1 h; never held against the upstream),
 * not-included (a proven failure: missing after the MMD, a proof that
 * does not verify, a bad signature, a tree that shrank or forked from the
 * largest tree head kept for that log), skipped (an RFC 6962 log under
 * `ct-audit-rfc6962 no`, or a log whose URL ctstub cannot use).
 *
 * `report` logs one line per proven failure; `enforce` also makes
 * audit_refusal() refuse a certificate with a proven failure. Nothing
 * waits for an audit: it runs beside the queries on the event loop.
 * Memory: at most AUDIT_MAX_CERTS certificates (the oldest is forgotten
 * first) and one tree head per log.
 *
 * The audit outlives configurations (struct server owns it); what it
 * needs of a log (key, URLs, MMD) is copied when a certificate arrives.
 */
#ifndef CTSTUB_AUDIT_H
#define CTSTUB_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "auditjob.h"
#include "conf.h"
#include "ct.h"
#include "loglist.h"
#include "trust.h"

#define AUDIT_MAX_CERTS		32
#define AUDIT_MAX_LOGS		64
#define AUDIT_RETRY_FIRST_S	2
#define AUDIT_RETRY_MAX_S	3600

struct event_base;
struct audit;

enum audit_state {
	AUDIT_PENDING,
	AUDIT_INCLUDED,
	AUDIT_UNREACHABLE,
	AUDIT_NOT_INCLUDED,
	AUDIT_SKIPPED
};

/* One counted SCT of a certificate, as status shows it. */
struct audit_sct_view {
	const char	*log;		/* description */
	uint64_t	 timestamp_ms;
	enum audit_state state;
	const char	*reason;	/* "" when none */
	uint64_t	 tree_size;	/* included: the tree it was proven in */
	time_t		 checked_at;	/* 0: never */
};

/* Called when a certificate's SCT is proven false (enforce acts). */
typedef void (*audit_proven_fn)(const unsigned char cert_id[32],
    const char *reason, void *arg);

/* A new audit on base; NULL with err. Starts in report mode. */
struct audit	*audit_new(struct event_base *base, char *err, size_t errlen);

/*
 * Takes the configuration's mode, ct-audit-rfc6962 and ca-file (which
 * also verifies the logs' HTTPS servers). 0, or -1 with err (ca-file).
 */
int		 audit_configure(struct audit *a, const struct conf *c,
		    char *err, size_t errlen);

void		 audit_set_proven_cb(struct audit *a, audit_proven_fn fn,
		    void *arg);

/*
 * A certificate just accepted on a full handshake, with its raw evidence
 * and the CT decision (which SCTs counted) under list. Starts auditing
 * it unless it is known already or auditing is off. label names the
 * upstream in log lines.
 */
void		 audit_certificate(struct audit *a, const struct loglist *list,
		    const struct trust_evidence *ev, const struct ct_result *ct,
		    const char *label);

/*
 * Under enforce: 1 with reason when leaf has an SCT proven false, else
 * 0. Always 0 in report and off modes.
 */
int		 audit_refusal(const struct audit *a, X509 *leaf, char *reason,
		    size_t len);

/*
 * The counted SCTs of the certificate with this DER (up to max into
 * out); returns how many, 0 when it is not being audited.
 */
size_t		 audit_view(const struct audit *a, const unsigned char *der,
		    size_t len, struct audit_sct_view *out, size_t max);

/* Proven failures so far per log: the i-th log's name and count; -1. */
int		 audit_failures(const struct audit *a, size_t i,
		    const char **log, uint64_t *count);

enum conf_audit_mode audit_mode(const struct audit *a);

/* "pending", "included", "unreachable", "not-included", "skipped". */
const char	*audit_state_name(enum audit_state s);

/* The JSON array of audit_view for status; NULL when not audited. */
json_t		*audit_json(const struct audit *a, const unsigned char *der,
		    size_t len);

/*
 * `ctstub check --audit` and `probe --audit`: audits ev's counted SCTs
 * at once (no MMD wait: inside it, a missing entry is only pending; no
 * retries), on an event loop of its own, checking the logs' HTTPS
 * servers with ca_file (NULL: the system bundle), and prints one line
 * per SCT to out. 1 when one is proven not included, 0 otherwise, -1 when
 * it could not run.
 */
int		 audit_now(const struct loglist *list, const char *ca_file,
		    const struct trust_evidence *ev, const struct ct_result *ct,
		    FILE *out);

/* Cancels every job and timer and frees; NULL-safe. */
void		 audit_free(struct audit *a);

#endif
