/* SPDX-License-Identifier: ISC */
/*
 * ct: ctstub's Certificate Transparency policy.
 *
 * OpenSSL checks SCT signatures (it sets each SCT's validation status);
 * this module decides whether the SCTs are enough: only VALID SCTs from
 * logs in our list that are qualified, usable or readonly count (retired
 * ones: below), never a mimic log, never an SCT from the future, only when
 * the certificate's notAfter is inside the log's temporal interval;
 * distinct logs and distinct operators are counted against the policy, and
 * certificates living over 180 days with embedded SCTs need 3 logs
 * (Chrome's rule). At least one counted log must be currently
 * qualified/usable/readonly.
 *
 * Retired logs, as Chrome: a log is retired once its retirement time has
 * passed. Its SCT counts only if embedded, older than the retirement, and
 * the certificate's earliest valid SCT from a log not retired (any source:
 * Chrome's issuance date) is older than the retirement too; a back-dated
 * SCT signed with a retired (possibly leaked) key alone never counts.
 * TLS-extension and OCSP SCTs count only from logs not retired now.
 *
 * SCTs from all three sources (certificate extension, TLS extension, stapled
 * OCSP response) are accepted otherwise: the signature covers the same
 * certificate.
 *
 * Results point into the struct loglist they were evaluated with: free the
 * result before the list.
 */
#ifndef CTSTUB_CT_H
#define CTSTUB_CT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/ct.h>
#include <openssl/x509.h>

#include "loglist.h"

#define CT_REASON_MAX	512	/* reason line, "..." if longer */
#define CT_LIFETIME_DAYS 180	/* over this, embedded SCTs need 3 logs */
#define CT_LONG_LIVED_LOGS 3

struct ct_policy {
	int	min_logs;	/* distinct counted logs, >= 1 */
	int	min_operators;	/* distinct operators of those, >= 1 */
	int	lifetime_rule;	/* 1: Chrome's 3 logs over 180 days */
};

enum ct_source {
	CT_SOURCE_UNKNOWN,
	CT_SOURCE_EMBEDDED,	/* X.509 extension (precertificate SCT) */
	CT_SOURCE_TLS,		/* TLS extension 18 */
	CT_SOURCE_OCSP		/* stapled OCSP response */
};

/* Why an SCT counted or not; checked in this order. */
enum ct_verdict {
	CT_SCT_COUNTED,
	CT_SCT_MIMIC,		/* a Chrome mimic log id */
	CT_SCT_UNKNOWN_LOG,	/* not in our list */
	CT_SCT_PENDING_LOG,
	CT_SCT_REJECTED_LOG,
	CT_SCT_FUTURE,		/* timestamp after the evaluation time */
	CT_SCT_NOT_VALIDATED,	/* OpenSSL never looked at it */
	CT_SCT_UNVERIFIED,	/* OpenSSL could not check (no issuer) */
	CT_SCT_BAD_SIGNATURE,
	CT_SCT_INVALID,		/* unsupported version or malformed */
	CT_SCT_RETIRED,		/* SCT not older than the retirement */
	CT_SCT_RETIRED_NOT_EMBEDDED, /* TLS or OCSP SCT from a retired log */
	CT_SCT_RETIRED_LATE_ISSUANCE, /* no current log's SCT before it */
	CT_SCT_OUTSIDE_INTERVAL, /* notAfter outside the log's interval */
	CT_SCT_DUPLICATE	/* another SCT of this log already counts */
};

/* One SCT. log is NULL if the SCT's log is not in the list. */
struct ct_sct_info {
	const struct loglist_log *log;
	unsigned char	 log_id[LOGLIST_ID_LEN];
	size_t		 log_id_len;	/* 0 if the SCT had none */
	uint64_t	 timestamp_ms;	/* ms since the epoch */
	enum ct_source	 source;
	enum ct_verdict	 verdict;
};

/*
 * The decision. Filled by ct_evaluate()/ct_evaluate_ctx()/ct_check_cert()
 * (which first zero it), released by ct_result_free(). reason is always
 * set: one line, accepted or not. current: some counted log is qualified,
 * usable or readonly. long_lived: the lifetime rule applied.
 */
struct ct_result {
	struct ct_sct_info *scts;	/* owned, nscts entries */
	size_t		 nscts;
	int		 nlogs;		/* distinct counted logs */
	int		 noperators;	/* their distinct operators */
	int		 need_logs;	/* after the lifetime rule */
	int		 need_operators;
	int		 long_lived;
	int		 current;
	int		 accepted;
	char		 reason[CT_REASON_MAX];
};

/* min_logs 2, min_operators 2, lifetime_rule 1. */
void		 ct_policy_default(struct ct_policy *policy);

/*
 * Decides on scts (NULL means none), whose validation status OpenSSL already
 * set (SCT_LIST_validate or the TLS handshake), for the leaf certificate at
 * now_ms (ms since the epoch, as CT_POLICY_EVAL_CTX_get_time). Returns 1
 * accepted, 0 refused (res->reason says why), -1 if evaluation itself failed
 * (err says why; res->reason too; treat as refused).
 */
int		 ct_evaluate(const struct ct_policy *policy,
		    const struct loglist *list, const X509 *leaf,
		    const STACK_OF(SCT) *scts, uint64_t now_ms,
		    struct ct_result *res, char *err, size_t errlen);

/*
 * The same for an SSL_CTX_set_ct_validation_callback callback: the leaf and
 * the time come from ctx. In a handshake OpenSSL sets that time from the
 * session (the real clock) and has already marked SCTs dated after it
 * invalid; with an injected clock call ct_evaluate() with that time.
 */
int		 ct_evaluate_ctx(const struct ct_policy *policy,
		    const struct loglist *list, const CT_POLICY_EVAL_CTX *ctx,
		    const STACK_OF(SCT) *scts, struct ct_result *res,
		    char *err, size_t errlen);

/*
 * Offline check (ctstub check): validates the SCTs embedded in leaf
 * against list's log store, with issuer (NULL: precertificate SCTs end up
 * "unverified"), at time at, then evaluates as ct_evaluate().
 */
int		 ct_check_cert(const struct ct_policy *policy,
		    const struct loglist *list, X509 *leaf, X509 *issuer,
		    time_t at, struct ct_result *res, char *err, size_t errlen);

/*
 * The same for SCTs the caller has, from any source (each SCT's source set
 * with SCT_set_source, which decides what its signature covers): a
 * handshake's SCTs re-checked later, under another list or at another
 * time (`ctstub loglist update`'s pre-flight).
 */
int		 ct_check_scts(const struct ct_policy *policy,
		    const struct loglist *list, X509 *leaf, X509 *issuer,
		    STACK_OF(SCT) *scts, time_t at, struct ct_result *res,
		    char *err, size_t errlen);

/* One line per SCT (log, operator, time, source, verdict), then the reason. */
void		 ct_result_print(FILE *fp, const struct ct_result *res);

/* Frees what res owns and zeroes it; safe to call twice. */
void		 ct_result_free(struct ct_result *res);

const char	*ct_verdict_text(enum ct_verdict verdict);
/* Where OpenSSL says sct came from. */
enum ct_source	 ct_source_of(const SCT *sct);
/*
 * How many SCTs of res come from logs not in the list (a stale list?);
 * first gets the first one's label ("log 11f95a6d"), "" when none.
 */
size_t		 ct_result_unknown_logs(const struct ct_result *res,
		    char *first, size_t len);
const char	*ct_source_text(enum ct_source source);

#endif
