/* SPDX-License-Identifier: ISC */
/*
 * The trust decision for one upstream TLS connection: chain to a trusted
 * root, the address or name dialled, Certificate Transparency, issuer pins.
 * Every refusal ends up as one reason string for people and one kind
 * (enum verify_refusal) for the counters: the kind comes from the check
 * that failed, never from the wording of the reason.
 */
#ifndef CTSTUB_VERIFY_H
#define CTSTUB_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "ct.h"
#include "stats.h"

/* Which check refused an upstream; VERIFY_NOT_REFUSED for anything else. */
enum verify_refusal {
	VERIFY_NOT_REFUSED = 0,	/* passed, or a network or local failure */
	VERIFY_REFUSED_CHAIN,	/* no path to a trusted root, expired, ... */
	VERIFY_REFUSED_IDENTITY, /* the IP or name dialled is not named */
	VERIFY_REFUSED_CT,	/* the CT policy said no */
	VERIFY_REFUSED_NO_CT,	/* the CT check never ran */
	VERIFY_REFUSED_PIN,	/* no pinned key in the verified chain */
	VERIFY_REFUSED_ALPN,	/* the server did not select our protocol */
	VERIFY_REFUSED_CLOCK	/* not yet valid or expired: a wrong clock? */
};

/* Shared by all connections; owned by whoever built it (main/check). */
struct verify_policy {
	const struct loglist *loglist;	/* NULL: no CT check (never in the daemon) */
	struct ct_policy ct;
	int ct_report_only;		/* ct-mode report: log, accept */
	int ct_stale_fail_open;		/* the same while the list is stale */
	int ct_list_max_age_days;	/* stale when older (0: never) */
	const struct conf_pins *pins;	/* global pins */
	time_t at;			/* 0: now; else the clock for checks */
};

/* Per connection; lives as long as the SSL it was prepared for. */
struct verify_state {
	const struct verify_policy *policy;
	const struct conf_pins *pins;	/* effective pins for this upstream */
	const char *label;		/* "IP:PORT" for log lines */
	int ct_done;			/* the CT callback ran */
	char ct_reason[CT_REASON_MAX];
	struct ct_result *report;	/* if set, receives the CT result */
};

/*
 * The list's age in days at now when over ct_list_max_age_days, else 0.
 * The list can grow stale while the daemon runs: decide at each use.
 */
long verify_list_stale_days(const struct verify_policy *policy, time_t now);
/* 1 when CT refusals are only logged at now (report mode, or stale list
 * with ct-stale fail-open), 0 when CT is enforced. */
int verify_ct_report_only(const struct verify_policy *policy, time_t now);
/* What is in force at now, in words for the log ("still enforcing", ...). */
const char *verify_ct_mode_text(const struct verify_policy *policy,
    time_t now);

/*
 * Sets the address (or name, with SNI) to check, the clock and the CT
 * callback on ssl. up_pins overrides the policy's pins when non-empty.
 */
int verify_prepare(SSL *ssl, struct verify_state *st,
    const struct verify_policy *policy, const struct conf_address *addr,
    const char *name, const struct conf_pins *up_pins, const char *label);

/*
 * After a completed handshake, before any application byte: CT really
 * evaluated (unless resumed from a verified session) and the pins.
 * Returns VERIFY_NOT_REFUSED, or the refusal with reason.
 */
enum verify_refusal verify_established(SSL *ssl, struct verify_state *st,
    char *reason, size_t len);

/*
 * After a failed handshake: why, in words (falls back to fallback), and
 * the kind (VERIFY_NOT_REFUSED when the certificate checks did not fail).
 */
enum verify_refusal verify_failure_reason(SSL *ssl,
    const struct verify_state *st, const char *fallback, char *reason,
    size_t len);

/* An X509_V_ERR_* code in words, with the address or name checked. */
void verify_error_text(long err, X509_VERIFY_PARAM *param, char *reason,
    size_t len);
/* The refusal an X509_V_ERR_* code is (X509_V_OK: VERIFY_NOT_REFUSED). */
enum verify_refusal verify_error_kind(long err);
/* The counter (and metric label) a refusal kind is counted under. */
enum stats_refusal verify_refusal_stat(enum verify_refusal kind);

/* SHA-256 of cert's DER SubjectPublicKeyInfo; 0 or -1. */
int verify_spki_sha256(X509 *cert, unsigned char out[32]);

/*
 * Checks the pins against a verified chain: the position of the first
 * certificate whose key is pinned, or -1 when none is.
 */
int verify_pins(STACK_OF(X509) *chain, const struct conf_pins *pins);

#endif
