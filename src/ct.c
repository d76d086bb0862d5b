/* SPDX-License-Identifier: ISC */
/*
 * ct.c: ctstub's CT policy over SCTs whose signatures OpenSSL checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ct.h"

#define MAX_POLICY	64	/* sanity bound on min_logs/min_operators */

static const char *const verdict_texts[] = {
	[CT_SCT_COUNTED] = "counted",
	[CT_SCT_MIMIC] = "mimic log",
	[CT_SCT_UNKNOWN_LOG] = "unknown log",
	[CT_SCT_PENDING_LOG] = "pending log",
	[CT_SCT_REJECTED_LOG] = "rejected log",
	[CT_SCT_FUTURE] = "future timestamp",
	[CT_SCT_NOT_VALIDATED] = "not validated",
	[CT_SCT_UNVERIFIED] = "unverified",
	[CT_SCT_BAD_SIGNATURE] = "bad signature",
	[CT_SCT_INVALID] = "invalid",
	[CT_SCT_RETIRED] = "log retired before SCT",
	[CT_SCT_RETIRED_NOT_EMBEDDED] = "retired log, SCT not embedded",
	[CT_SCT_RETIRED_LATE_ISSUANCE] =
	    "retired log, no SCT from a current log before the retirement",
	[CT_SCT_OUTSIDE_INTERVAL] = "outside temporal interval",
	[CT_SCT_DUPLICATE] = "duplicate log",
};

/* A bounded one-line writer: overflow ends the line with "...". */
struct line {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 full;
};

static void	line_add(struct line *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
line_add(struct line *l, const char *fmt, ...)
{
	size_t room = l->size - l->len;
	va_list ap;
	int n;

	if (l->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < room) {
		l->len += (size_t)n;
		return;
	}
	l->full = 1;
	memcpy(l->buf + l->size - 4, "...", 4);
}

static const char *
plural(int n)
{
	return n == 1 ? "" : "s";
}

void
ct_policy_default(struct ct_policy *policy)
{
	policy->min_logs = 2;
	policy->min_operators = 2;
	policy->lifetime_rule = 1;
}

const char *
ct_verdict_text(enum ct_verdict verdict)
{
	if ((size_t)verdict >= sizeof(verdict_texts) / sizeof(verdict_texts[0]))
		return "?";
	return verdict_texts[verdict];
}

const char *
ct_source_text(enum ct_source source)
{
	switch (source) {
	case CT_SOURCE_EMBEDDED:
		return "embedded";
	case CT_SOURCE_TLS:
		return "TLS extension";
	case CT_SOURCE_OCSP:
		return "OCSP";
	default:
		return "unknown source";
	}
}

enum ct_source
ct_source_of(const SCT *sct)
{
	switch (SCT_get_source(sct)) {
	case SCT_SOURCE_X509V3_EXTENSION:
		return CT_SOURCE_EMBEDDED;
	case SCT_SOURCE_TLS_EXTENSION:
		return CT_SOURCE_TLS;
	case SCT_SOURCE_OCSP_STAPLED_RESPONSE:
		return CT_SOURCE_OCSP;
	default:
		return CT_SOURCE_UNKNOWN;
	}
}

/* What OpenSSL's signature check said, as a verdict (COUNTED = valid). */
static enum ct_verdict
status_verdict(const SCT *sct)
{
	switch (SCT_get_validation_status(sct)) {
	case SCT_VALIDATION_STATUS_VALID:
		return CT_SCT_COUNTED;
	case SCT_VALIDATION_STATUS_NOT_SET:
		return CT_SCT_NOT_VALIDATED;
	case SCT_VALIDATION_STATUS_UNKNOWN_LOG:
		/* in our list but not in the store OpenSSL used */
		return CT_SCT_UNKNOWN_LOG;
	case SCT_VALIDATION_STATUS_UNVERIFIED:
		return CT_SCT_UNVERIFIED;
	case SCT_VALIDATION_STATUS_INVALID:
		return CT_SCT_BAD_SIGNATURE;
	default:
		return CT_SCT_INVALID;
	}
}

/* notAfter in [start, end) when the log has a temporal interval. */
static int
in_interval(const struct loglist_log *log, const ASN1_TIME *not_after)
{
	if (log->interval_start == 0 && log->interval_end == 0)
		return 1;
	return ASN1_TIME_cmp_time_t(not_after, log->interval_start) >= 0 &&
	    ASN1_TIME_cmp_time_t(not_after, log->interval_end) == -1;
}

static void
describe(const SCT *sct, struct ct_sct_info *info)
{
	unsigned char *id = NULL;
	size_t len = SCT_get0_log_id(sct, &id);

	if (id != NULL && len == LOGLIST_ID_LEN) {
		memcpy(info->log_id, id, len);
		info->log_id_len = len;
	}
	info->timestamp_ms = SCT_get_timestamp(sct);
	info->source = ct_source_of(sct);
}

/* Retired at the time of the check (a retirement date ahead is not yet). */
static int
retired_at(const struct loglist_log *log, uint64_t now_ms)
{
	return log->state == LOGLIST_RETIRED &&
	    (uint64_t)log->state_time * 1000 <= now_ms;
}

/*
 * Chrome's rule for retired logs: TLS-extension and OCSP SCTs count only
 * from logs not retired now; an embedded one only if it and the
 * certificate's earliest SCT from a log not retired (issuance_ms) are both
 * older than the retirement, so a leaked retired key cannot back-date.
 */
static enum ct_verdict
retired_verdict(const struct ct_sct_info *info, uint64_t issuance_ms)
{
	uint64_t retired_ms = (uint64_t)info->log->state_time * 1000;

	if (info->source != CT_SOURCE_EMBEDDED)
		return CT_SCT_RETIRED_NOT_EMBEDDED;
	if (info->timestamp_ms >= retired_ms)
		return CT_SCT_RETIRED;
	if (issuance_ms >= retired_ms)
		return CT_SCT_RETIRED_LATE_ISSUANCE;
	return CT_SCT_COUNTED;
}

/*
 * The order matters only for the reported reason: facts about the log and
 * the timestamp come before OpenSSL's status, because OpenSSL also marks a
 * future SCT "invalid" and a log missing from its store "unknown".
 * issuance_ms: see retired_verdict().
 */
static enum ct_verdict
classify(const SCT *sct, struct ct_sct_info *info, const struct loglist *list,
    const ASN1_TIME *not_after, uint64_t now_ms, uint64_t issuance_ms)
{
	const struct loglist_log *log;
	enum ct_verdict v;

	if (loglist_is_mimic(info->log_id, info->log_id_len))
		return CT_SCT_MIMIC;
	log = info->log = loglist_find(list, info->log_id, info->log_id_len);
	if (log == NULL)
		return CT_SCT_UNKNOWN_LOG;
	if (log->state == LOGLIST_PENDING)
		return CT_SCT_PENDING_LOG;
	if (log->state == LOGLIST_REJECTED)
		return CT_SCT_REJECTED_LOG;
	if (info->timestamp_ms > now_ms)
		return CT_SCT_FUTURE;
	if ((v = status_verdict(sct)) != CT_SCT_COUNTED)
		return v;
	if (retired_at(log, now_ms) &&
	    (v = retired_verdict(info, issuance_ms)) != CT_SCT_COUNTED)
		return v;
	if (!in_interval(log, not_after))
		return CT_SCT_OUTSIDE_INTERVAL;
	return CT_SCT_COUNTED;
}

/*
 * Chrome's issuance date: the earliest valid SCT (any source) from a listed
 * log that is not retired now; UINT64_MAX when there is none.
 */
static uint64_t
issuance_time(const STACK_OF(SCT) *scts, const struct loglist *list,
    uint64_t now_ms)
{
	uint64_t earliest = UINT64_MAX;
	int i;

	for (i = 0; scts != NULL && i < sk_SCT_num(scts); i++) {
		const SCT *sct = sk_SCT_value(scts, i);
		struct ct_sct_info info = { 0 };

		describe(sct, &info);
		if (loglist_is_mimic(info.log_id, info.log_id_len) ||
		    (info.log = loglist_find(list, info.log_id,
		    info.log_id_len)) == NULL ||
		    info.log->state == LOGLIST_PENDING ||
		    info.log->state == LOGLIST_REJECTED ||
		    retired_at(info.log, now_ms) || info.timestamp_ms > now_ms ||
		    status_verdict(sct) != CT_SCT_COUNTED)
			continue;
		if (info.timestamp_ms < earliest)
			earliest = info.timestamp_ms;
	}
	return earliest;
}

/* Counts scts[i] as a distinct log (and maybe a new operator). */
static void
tally(struct ct_result *res, size_t i)
{
	struct ct_sct_info *info = &res->scts[i];
	int new_operator = 1;
	size_t j;

	for (j = 0; j < i; j++) {
		const struct ct_sct_info *o = &res->scts[j];

		if (o->verdict != CT_SCT_COUNTED)
			continue;
		if (o->log == info->log) {
			info->verdict = CT_SCT_DUPLICATE;
			return;
		}
		if (o->log->operator_index == info->log->operator_index)
			new_operator = 0;
	}
	res->nlogs++;
	res->noperators += new_operator;
	if (loglist_state_is_current(info->log->state))
		res->current = 1;
}

/* Chrome: over 180 days, 3 embedded SCTs; ASN1_TIME_diff avoids time_t. */
static int
long_lived(const X509 *leaf, int *out)
{
	const ASN1_TIME *nb = X509_get0_notBefore(leaf);
	const ASN1_TIME *na = X509_get0_notAfter(leaf);
	int days, secs;

	if (nb == NULL || na == NULL || !ASN1_TIME_diff(&days, &secs, nb, na))
		return -1;
	*out = days > CT_LIFETIME_DAYS || (days == CT_LIFETIME_DAYS &&
	    secs > 0);
	return 0;
}

static void
sct_label(const struct ct_sct_info *info, char *buf, size_t len)
{
	if (info->log != NULL)
		snprintf(buf, len, "%s", info->log->description);
	else if (info->log_id_len >= 4)
		snprintf(buf, len, "log %02x%02x%02x%02x", info->log_id[0],
		    info->log_id[1], info->log_id[2], info->log_id[3]);
	else
		snprintf(buf, len, "log without id");
}

static void
write_reason(struct ct_result *res)
{
	struct line l = { res->reason, sizeof(res->reason), 0, 0 };
	char label[LOGLIST_ID_LEN * 8];
	size_t i;

	if (res->nscts == 0)
		line_add(&l, "CT: no SCTs");
	else
		line_add(&l, "CT: %d valid SCT%s from %d operator%s",
		    res->nlogs, plural(res->nlogs), res->noperators,
		    plural(res->noperators));
	line_add(&l, " (need %d log%s, %d operator%s)", res->need_logs,
	    plural(res->need_logs), res->need_operators,
	    plural(res->need_operators));
	if (res->accepted)
		return;
	for (i = 0; i < res->nscts; i++) {
		if (res->scts[i].verdict == CT_SCT_COUNTED)
			continue;
		sct_label(&res->scts[i], label, sizeof(label));
		line_add(&l, "; %s: %s", label,
		    ct_verdict_text(res->scts[i].verdict));
	}
	if (res->nlogs > 0 && !res->current)
		line_add(&l, "; no counted log is currently usable");
}

static void
set_requirements(const struct ct_policy *policy, struct ct_result *res,
    int long_cert)
{
	int embedded = 0;
	size_t i;

	for (i = 0; i < res->nscts; i++)
		if (res->scts[i].verdict == CT_SCT_COUNTED &&
		    res->scts[i].source == CT_SOURCE_EMBEDDED)
			embedded = 1;
	res->need_logs = policy->min_logs;
	res->need_operators = policy->min_operators;
	if (policy->lifetime_rule && embedded && long_cert) {
		res->long_lived = 1;
		if (res->need_logs < CT_LONG_LIVED_LOGS)
			res->need_logs = CT_LONG_LIVED_LOGS;
	}
	res->accepted = res->nlogs >= res->need_logs &&
	    res->noperators >= res->need_operators && res->current;
}

/* Marks res refused with the error as reason; returns -1. */
static int
eval_fail(struct ct_result *res, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	res->accepted = 0;
	snprintf(res->reason, sizeof(res->reason), "CT: evaluation failed: %s",
	    msg);
	return -1;
}

int
ct_evaluate(const struct ct_policy *policy, const struct loglist *list,
    const X509 *leaf, const STACK_OF(SCT) *scts, uint64_t now_ms,
    struct ct_result *res, char *err, size_t errlen)
{
	int n = scts != NULL ? sk_SCT_num(scts) : 0, long_cert;
	uint64_t issuance_ms;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (policy->min_logs < 1 || policy->min_logs > MAX_POLICY ||
	    policy->min_operators < 1 || policy->min_operators > MAX_POLICY)
		return eval_fail(res, err, errlen, "bad policy numbers");
	if (list == NULL || leaf == NULL)
		return eval_fail(res, err, errlen, "no log list or no "
		    "certificate");
	if (long_lived(leaf, &long_cert) == -1)
		return eval_fail(res, err, errlen, "unreadable certificate "
		    "validity");
	if (n > 0 && (res->scts = calloc((size_t)n, sizeof(*res->scts))) ==
	    NULL)
		return eval_fail(res, err, errlen, "out of memory");
	res->nscts = (size_t)(n > 0 ? n : 0);
	issuance_ms = issuance_time(scts, list, now_ms);
	for (i = 0; i < res->nscts; i++) {
		const SCT *sct = sk_SCT_value(scts, (int)i);

		describe(sct, &res->scts[i]);
		res->scts[i].verdict = classify(sct, &res->scts[i], list,
		    X509_get0_notAfter(leaf), now_ms, issuance_ms);
		if (res->scts[i].verdict == CT_SCT_COUNTED)
			tally(res, i);
	}
	set_requirements(policy, res, long_cert);
	write_reason(res);
	return res->accepted;
}

int
ct_evaluate_ctx(const struct ct_policy *policy, const struct loglist *list,
    const CT_POLICY_EVAL_CTX *ctx, const STACK_OF(SCT) *scts,
    struct ct_result *res, char *err, size_t errlen)
{
	const X509 *leaf = CT_POLICY_EVAL_CTX_get0_cert(ctx);

	return ct_evaluate(policy, list, leaf, scts,
	    CT_POLICY_EVAL_CTX_get_time(ctx), res, err, errlen);
}

/* Sets up what SCT_LIST_validate needs, exactly as a handshake would. */
static CT_POLICY_EVAL_CTX *
check_ctx(const struct loglist *list, X509 *leaf, X509 *issuer, time_t at)
{
	CT_POLICY_EVAL_CTX *ctx;

	if ((ctx = CT_POLICY_EVAL_CTX_new()) == NULL)
		return NULL;
	if (!CT_POLICY_EVAL_CTX_set1_cert(ctx, leaf) ||
	    (issuer != NULL && !CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer))) {
		CT_POLICY_EVAL_CTX_free(ctx);
		return NULL;
	}
	CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, list->store);
	/* OpenSSL wants milliseconds here */
	CT_POLICY_EVAL_CTX_set_time(ctx, (uint64_t)at * 1000);
	return ctx;
}

int
ct_check_scts(const struct ct_policy *policy, const struct loglist *list,
    X509 *leaf, X509 *issuer, STACK_OF(SCT) *scts, time_t at,
    struct ct_result *res, char *err, size_t errlen)
{
	CT_POLICY_EVAL_CTX *ctx = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	if (list == NULL || leaf == NULL || at < 0)
		return eval_fail(res, err, errlen, "bad arguments");
	if ((ctx = check_ctx(list, leaf, issuer, at)) == NULL) {
		rc = eval_fail(res, err, errlen, "cannot set up OpenSSL's CT "
		    "context");
		goto out;
	}
	if (scts != NULL && SCT_LIST_validate(scts, ctx) < 0) {
		rc = eval_fail(res, err, errlen, "OpenSSL's SCT validation "
		    "failed");
		goto out;
	}
	rc = ct_evaluate(policy, list, leaf, scts, (uint64_t)at * 1000, res,
	    err, errlen);
 out:
	/* per-SCT statuses carry the details; keep the queue clean */
	ERR_clear_error();
	CT_POLICY_EVAL_CTX_free(ctx);
	return rc;
}

int
ct_check_cert(const struct ct_policy *policy, const struct loglist *list,
    X509 *leaf, X509 *issuer, time_t at, struct ct_result *res, char *err,
    size_t errlen)
{
	STACK_OF(SCT) *scts = NULL;
	int crit = -1, rc;

	memset(res, 0, sizeof(*res));
	if (list == NULL || leaf == NULL || at < 0)
		return eval_fail(res, err, errlen, "bad arguments");
	scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, &crit, NULL);
	rc = ct_check_scts(policy, list, leaf, issuer, scts, at, res, err,
	    errlen);
	if (rc == 0 && scts == NULL && crit != -1)
		/* present but undecodable (or repeated): say so */
		snprintf(res->reason, sizeof(res->reason), "CT: malformed "
		    "embedded SCT list (need %d log%s, %d operator%s)",
		    res->need_logs, plural(res->need_logs),
		    res->need_operators, plural(res->need_operators));
	ERR_clear_error();
	SCT_LIST_free(scts);
	return rc;
}

static void
format_ms(uint64_t ms, char *buf, size_t len)
{
	/* beyond 9999-12-31 is garbage, and may not fit a time_t */
	int sane = ms / 1000 <= (uint64_t)253402300799;
	time_t t = sane ? (time_t)(ms / 1000) : 0;
	struct tm tm;
	char day[32];

	if (!sane || gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, len, "(timestamp %llu ms)",
		    (unsigned long long)ms);
		return;
	}
	snprintf(buf, len, "%s.%03uZ", day, (unsigned)(ms % 1000));
}

static void
print_sct(FILE *fp, size_t n, const struct ct_sct_info *s)
{
	char when[64], id[2 * LOGLIST_ID_LEN + 1] = "none";
	size_t i;

	format_ms(s->timestamp_ms, when, sizeof(when));
	for (i = 0; i < s->log_id_len; i++)
		snprintf(id + 2 * i, 3, "%02x", s->log_id[i]);
	if (s->log != NULL)
		fprintf(fp, "SCT %zu: %s (operator %s, %s), %s, %s: %s\n", n,
		    s->log->description, s->log->operator_name,
		    loglist_state_name(s->log->state), when,
		    ct_source_text(s->source), ct_verdict_text(s->verdict));
	else
		fprintf(fp, "SCT %zu: log id %s, %s, %s: %s\n", n, id, when,
		    ct_source_text(s->source), ct_verdict_text(s->verdict));
}

void
ct_result_print(FILE *fp, const struct ct_result *res)
{
	size_t i;

	for (i = 0; i < res->nscts; i++)
		print_sct(fp, i + 1, &res->scts[i]);
	fprintf(fp, "%s: %s\n", res->accepted ? "accepted" : "refused",
	    res->reason);
}

void
ct_result_free(struct ct_result *res)
{
	if (res == NULL)
		return;
	free(res->scts);
	memset(res, 0, sizeof(*res));
}

size_t
ct_result_unknown_logs(const struct ct_result *res, char *first,
    size_t len)
{
	size_t i, n = 0;

	first[0] = '\0';
	for (i = 0; i < res->nscts; i++)
		if (res->scts[i].verdict == CT_SCT_UNKNOWN_LOG && n++ == 0)
			sct_label(&res->scts[i], first, len);
	return n;
}
