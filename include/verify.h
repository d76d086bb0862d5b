/*
 * The trust decision for one upstream TLS connection: chain to a trusted
 * root, the address or name dialled, Certificate Transparency, issuer pins.
 * Every refusal ends up as one reason string.
 */
#ifndef CTSTUB_VERIFY_H
#define CTSTUB_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

#include "conf.h"

struct loglist;

/* Shared by all connections; owned by whoever built it (main/check). */
struct verify_policy {
	struct loglist *loglist;	/* NULL: no CT check (never in the daemon) */
	int ct_min_logs;
	int ct_min_operators;
	int ct_lifetime_rule;
	int ct_report_only;
	const struct conf_pins *pins;	/* global pins */
	time_t at;			/* 0: now; else the clock for checks */
};

/* Per connection; lives as long as the SSL it was prepared for. */
struct verify_state {
	const struct verify_policy *policy;
	const struct conf_pins *pins;	/* effective pins for this upstream */
	const char *label;		/* "IP:PORT" for log lines */
	int ct_done;			/* the CT callback ran */
	int ct_refused;
	char ct_reason[512];
};

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
 * Returns 0, or -1 with reason.
 */
int verify_established(SSL *ssl, struct verify_state *st, char *reason,
    size_t len);

/* After a failed handshake: why, in words (falls back to fallback). */
void verify_failure_reason(SSL *ssl, const struct verify_state *st,
    const char *fallback, char *reason, size_t len);

/* SHA-256 of cert's DER SubjectPublicKeyInfo; 0 or -1. */
int verify_spki_sha256(X509 *cert, unsigned char out[32]);

/* Checks the pins against a verified chain; 0 when one matches. */
int verify_pins(STACK_OF(X509) *chain, const struct conf_pins *pins);

#endif
