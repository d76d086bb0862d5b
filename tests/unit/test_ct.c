/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for ct.c with real certificates and real log keys
 * (tests/data/realcerts, tests/data/ct/realcerts-*.json) at fixed times.
 * Run from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "ct.h"
#include "loglist.h"

#define CERTS	CHECK_SRCDIR "/tests/data/realcerts/"
#define LOGS	CHECK_SRCDIR "/tests/data/ct/realcerts-logs.json"
#define NO_LE	CHECK_SRCDIR "/tests/data/ct/realcerts-no-letsencrypt.json"

static const unsigned char mimic2[LOGLIST_ID_LEN] = {
	0xb2, 0x2f, 0x7e, 0xde, 0xb5, 0xaf, 0x6a, 0xfe, 0x50, 0x3d, 0xe0,
	0x40, 0x81, 0xb2, 0xd7, 0x4c, 0x12, 0x53, 0x84, 0x92, 0xfe, 0xdf,
	0x2c, 0xb2, 0xa5, 0x26, 0x50, 0x3c, 0xef, 0x53, 0xce, 0xd2
};

/* Everything one test needs; freed by fixture_free(). */
struct fixture {
	struct loglist	*list;
	X509		*gh, *gh_ca;	/* github-com-2025 */
	X509		*le, *le_ca;	/* le-home-liukun-2026 */
	X509		*nosct, *nosct_ca;
};

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return timegm(&tm);
}

static X509 *
pem(const char *name)
{
	char path[4096];
	X509 *x = NULL;
	FILE *fp;

	snprintf(path, sizeof(path), CERTS "%s.pem", name);
	if ((fp = fopen(path, "r")) != NULL) {
		x = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
	}
	if (x == NULL)
		printf("# cannot read %s\n", path);
	return x;
}

static struct loglist *
load(const char *path)
{
	struct loglist *list;
	char err[512];

	if ((list = loglist_load(path, err, sizeof(err))) == NULL)
		printf("# %s\n", err);
	return list;
}

/* Runs ct_check_cert and checks the reason is exactly want. */
static int
check_reason(const struct ct_policy *pol, const struct loglist *list,
    X509 *leaf, X509 *issuer, time_t at, int want_rc, const char *want)
{
	struct ct_result res;
	char err[256] = "";
	int rc, ok;

	rc = ct_check_cert(pol, list, leaf, issuer, at, &res, err,
	    sizeof(err));
	ok = rc == want_rc && strcmp(res.reason, want) == 0;
	if (!ok)
		printf("# rc %d err \"%s\" reason \"%s\"\n#   want %d \"%s\"\n",
		    rc, err, res.reason, want_rc, want);
	ct_result_free(&res);
	return ok;
}

static void
test_accepted(const struct fixture *f, const struct ct_policy *pol)
{
	struct ct_result res;
	char err[256];
	size_t i;
	int rc, embedded = 1, tiled = 0;

	rc = ct_check_cert(pol, f->list, f->gh, f->gh_ca,
	    utc(2025, 6, 1, 0, 0, 0), &res, err, sizeof(err));
	CHECK("github-com-2025 accepted at 2025-06-01", rc == 1 &&
	    res.accepted);
	CHECK("github: 3 logs, 3 operators, lifetime rule", res.nlogs == 3 &&
	    res.noperators == 3 && res.long_lived && res.need_logs == 3 &&
	    res.need_operators == 2);
	for (i = 0; i < res.nscts; i++)
		embedded &= res.scts[i].source == CT_SOURCE_EMBEDDED &&
		    res.scts[i].verdict == CT_SCT_COUNTED;
	CHECK("github: 3 embedded SCTs counted", res.nscts == 3 && embedded);
	CHECK("github: reason", strcmp(res.reason, "CT: 3 valid SCTs from 3 "
	    "operators (need 3 logs, 2 operators)") == 0);
	ct_result_free(&res);
	ct_result_free(&res);
	CHECK("result freed twice is still empty", res.scts == NULL &&
	    res.nscts == 0);

	rc = ct_check_cert(pol, f->list, f->le, f->le_ca,
	    utc(2026, 2, 1, 0, 0, 0), &res, err, sizeof(err));
	for (i = 0; i < res.nscts; i++)
		tiled |= res.scts[i].log != NULL && res.scts[i].log->tiled &&
		    res.scts[i].verdict == CT_SCT_COUNTED;
	CHECK("le-home-liukun-2026 accepted at 2026-02-01", rc == 1 &&
	    res.nlogs == 2 && res.noperators == 2 && !res.long_lived &&
	    res.need_logs == 2);
	CHECK("le-home: the tiled log's SCT counts", tiled);
	CHECK("le-home: reason", strcmp(res.reason, "CT: 2 valid SCTs from 2 "
	    "operators (need 2 logs, 2 operators)") == 0);
	ct_result_free(&res);
}

static void
test_refused(const struct fixture *f, const struct ct_policy *pol)
{
	time_t june = utc(2025, 6, 1, 0, 0, 0);

	CHECK("no-sct-badssl-2023 refused", check_reason(pol, f->list,
	    f->nosct, f->nosct_ca, utc(2024, 1, 1, 0, 0, 0), 0,
	    "CT: no SCTs (need 2 logs, 2 operators)"));
	CHECK("github with the wrong issuer: bad signatures",
	    check_reason(pol, f->list, f->gh, f->le_ca, june, 0,
	    "CT: 0 valid SCTs from 0 operators (need 2 logs, 2 operators); "
	    "Google 'Xenon2026h1' log: bad signature; Let's Encrypt "
	    "'Oak2026h1': bad signature; Cloudflare 'Nimbus2026': bad "
	    "signature"));
	CHECK("github without issuer: unverified", check_reason(pol, f->list,
	    f->gh, NULL, june, 0, "CT: 0 valid SCTs from 0 operators (need 2 "
	    "logs, 2 operators); Google 'Xenon2026h1' log: unverified; Let's "
	    "Encrypt 'Oak2026h1': unverified; Cloudflare 'Nimbus2026': "
	    "unverified"));
	/* the SCTs were issued at 00:03:50.381 to .475 */
	CHECK("github before its SCTs: future", check_reason(pol, f->list,
	    f->gh, f->gh_ca, utc(2025, 2, 5, 0, 3, 50), 0,
	    "CT: 0 valid SCTs from 0 operators (need 2 logs, 2 operators); "
	    "Google 'Xenon2026h1' log: future timestamp; Let's Encrypt "
	    "'Oak2026h1': future timestamp; Cloudflare 'Nimbus2026': future "
	    "timestamp"));
	CHECK("github one second later: accepted", check_reason(pol, f->list,
	    f->gh, f->gh_ca, utc(2025, 2, 5, 0, 3, 51), 1,
	    "CT: 3 valid SCTs from 3 operators (need 3 logs, 2 operators)"));
}

static void
test_missing_operator(const struct fixture *f, const struct ct_policy *pol)
{
	struct loglist *no_le = load(NO_LE);
	struct ct_policy p = *pol;

	CHECK("list without Let's Encrypt loads", no_le != NULL);
	if (no_le == NULL)
		return;
	CHECK("le-home without Let's Encrypt logs: too few operators",
	    check_reason(pol, no_le, f->le, f->le_ca, utc(2026, 2, 1, 0, 0, 0),
	    0, "CT: 1 valid SCT from 1 operator (need 2 logs, 2 operators); "
	    "log a5c97892: unknown log"));
	CHECK("github missing one log: lifetime rule needs 3",
	    check_reason(pol, no_le, f->gh, f->gh_ca, utc(2025, 6, 1, 0, 0, 0),
	    0, "CT: 2 valid SCTs from 2 operators (need 3 logs, 2 operators); "
	    "log 1986d4c7: unknown log"));
	p.lifetime_rule = 0;
	CHECK("github missing one log, lifetime_rule=0: accepted",
	    check_reason(&p, no_le, f->gh, f->gh_ca, utc(2025, 6, 1, 0, 0, 0),
	    1, "CT: 2 valid SCTs from 2 operators (need 2 logs, 2 "
	    "operators)"));
	p = *pol;
	p.min_operators = 3;
	CHECK("le-home with min_operators=3: refused", check_reason(&p,
	    f->list, f->le, f->le_ca, utc(2026, 2, 1, 0, 0, 0), 0,
	    "CT: 2 valid SCTs from 2 operators (need 2 logs, 3 operators)"));
	p = *pol;
	p.min_logs = 4;
	CHECK("github with min_logs=4: refused", check_reason(&p, f->list,
	    f->gh, f->gh_ca, utc(2025, 6, 1, 0, 0, 0), 0,
	    "CT: 3 valid SCTs from 3 operators (need 4 logs, 2 operators)"));
	loglist_free(no_le);
}

/*
 * Writes realcerts-logs.json with the state (and maybe interval) of the
 * log described desc replaced, and loads it.
 */
static struct loglist *
load_edited(const char **descs, const char *state, const char *when,
    const char *start, const char *end)
{
	char path[] = "/tmp/ctstub-test-ct.XXXXXX";
	json_t *root, *op, *log;
	struct loglist *list = NULL;
	size_t i, j, k;
	int fd;

	if ((root = json_load_file(LOGS, 0, NULL)) == NULL)
		return NULL;
	json_array_foreach(json_object_get(root, "operators"), i, op)
		json_array_foreach(json_object_get(op, "logs"), j, log)
			for (k = 0; descs[k] != NULL; k++) {
				if (strcmp(json_string_value(json_object_get(
				    log, "description")), descs[k]) != 0)
					continue;
				if (state != NULL)
					json_object_set_new(log, "state",
					    json_pack("{s{ss}}", state,
					    "timestamp", when));
				if (start != NULL)
					json_object_set_new(log,
					    "temporal_interval", json_pack(
					    "{ssss}", "start_inclusive", start,
					    "end_exclusive", end));
			}
	if ((fd = mkstemp(path)) != -1) {
		if (json_dumpfd(root, fd, 0) == 0)
			list = load(path);
		close(fd);
		unlink(path);
	}
	json_decref(root);
	return list;
}

static int
edited_reason(const struct fixture *f, const struct ct_policy *pol,
    const char **descs, const char *state, const char *when,
    const char *start, const char *end, int want_rc, const char *want)
{
	struct loglist *list = load_edited(descs, state, when, start, end);
	int ok;

	if (list == NULL)
		return 0;
	ok = check_reason(pol, list, f->gh, f->gh_ca,
	    utc(2025, 6, 1, 0, 0, 0), want_rc, want);
	loglist_free(list);
	return ok;
}

static void
test_log_states(const struct fixture *f, const struct ct_policy *pol)
{
	const char *xenon[] = { "Google 'Xenon2026h1' log", NULL };
	const char *oak[] = { "Let's Encrypt 'Oak2026h1'", NULL };
	const char *nimbus[] = { "Cloudflare 'Nimbus2026'", NULL };
	const char *all[] = { "Google 'Xenon2026h1' log",
	    "Let's Encrypt 'Oak2026h1'", "Cloudflare 'Nimbus2026'", NULL };
	const char *refused3 = "CT: 2 valid SCTs from 2 operators (need 3 "
	    "logs, 2 operators); ";
	char want[256];

	snprintf(want, sizeof(want), "%s%s", refused3,
	    "Google 'Xenon2026h1' log: log retired before SCT");
	CHECK("retired before the SCT: not counted", edited_reason(f, pol,
	    xenon, "retired", "2025-01-01T00:00:00Z", NULL, NULL, 0, want));
	CHECK("retired after the SCT: counted", edited_reason(f, pol, xenon,
	    "retired", "2025-03-01T00:00:00Z", NULL, NULL, 1, "CT: 3 valid "
	    "SCTs from 3 operators (need 3 logs, 2 operators)"));
	CHECK("readonly log: counted", edited_reason(f, pol, xenon,
	    "readonly", "2025-03-01T00:00:00Z", NULL, NULL, 1, "CT: 3 valid "
	    "SCTs from 3 operators (need 3 logs, 2 operators)"));
	snprintf(want, sizeof(want), "%s%s", refused3,
	    "Let's Encrypt 'Oak2026h1': pending log");
	CHECK("pending log: not counted", edited_reason(f, pol, oak,
	    "pending", "2025-01-01T00:00:00Z", NULL, NULL, 0, want));
	snprintf(want, sizeof(want), "%s%s", refused3,
	    "Let's Encrypt 'Oak2026h1': rejected log");
	CHECK("rejected log: not counted", edited_reason(f, pol, oak,
	    "rejected", "2025-01-01T00:00:00Z", NULL, NULL, 0, want));
	snprintf(want, sizeof(want), "%s%s", refused3,
	    "Cloudflare 'Nimbus2026': outside temporal interval");
	CHECK("notAfter outside the interval: not counted", edited_reason(f,
	    pol, nimbus, NULL, NULL, "2026-02-06T00:00:00Z",
	    "2027-01-01T00:00:00Z", 0, want));
	CHECK("notAfter at the interval's start: counted", edited_reason(f,
	    pol, nimbus, NULL, NULL, "2026-02-05T23:59:59Z",
	    "2027-01-01T00:00:00Z", 1, "CT: 3 valid SCTs from 3 operators "
	    "(need 3 logs, 2 operators)"));
	snprintf(want, sizeof(want), "%s%s", refused3,
	    "Cloudflare 'Nimbus2026': outside temporal interval");
	CHECK("notAfter at the interval's end: not counted", edited_reason(f,
	    pol, nimbus, NULL, NULL, "2025-01-01T00:00:00Z",
	    "2026-02-05T23:59:59Z", 0, want));
	CHECK("only retired logs: none counts (no issuance date)",
	    edited_reason(f, pol, all, "retired", "2025-03-01T00:00:00Z", NULL,
	    NULL, 0, "CT: 0 valid SCTs from 0 operators (need 2 logs, 2 "
	    "operators); Google 'Xenon2026h1' log: retired log, no SCT from a "
	    "current log before the retirement; Let's Encrypt 'Oak2026h1': "
	    "retired log, no SCT from a current log before the retirement; "
	    "Cloudflare 'Nimbus2026': retired log, no SCT from a current log "
	    "before the retirement"));
}

/* le-home's embedded SCTs, validated as a handshake would. */
static STACK_OF(SCT) *
le_scts(const struct fixture *f, time_t at)
{
	STACK_OF(SCT) *scts;
	CT_POLICY_EVAL_CTX *ctx = CT_POLICY_EVAL_CTX_new();

	scts = X509_get_ext_d2i(f->le, NID_ct_precert_scts, NULL, NULL);
	CT_POLICY_EVAL_CTX_set1_cert(ctx, f->le);
	CT_POLICY_EVAL_CTX_set1_issuer(ctx, f->le_ca);
	CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, f->list->store);
	CT_POLICY_EVAL_CTX_set_time(ctx, (uint64_t)at * 1000);
	if (scts != NULL && SCT_LIST_validate(scts, ctx) < 0) {
		SCT_LIST_free(scts);
		scts = NULL;
	}
	CT_POLICY_EVAL_CTX_free(ctx);
	return scts;
}

static SCT *
fake_sct(const unsigned char *id, uint64_t ms, sct_source_t source)
{
	SCT *sct = SCT_new();

	if (sct == NULL || !SCT_set_version(sct, SCT_VERSION_V1) ||
	    !SCT_set1_log_id(sct, id, LOGLIST_ID_LEN) ||
	    !SCT_set_source(sct, source)) {
		SCT_free(sct);
		return NULL;
	}
	SCT_set_timestamp(sct, ms);
	return sct;
}

static void
test_mimic_and_sources(const struct fixture *f, const struct ct_policy *pol)
{
	time_t at = utc(2026, 2, 1, 0, 0, 0);
	STACK_OF(SCT) *scts = le_scts(f, at);
	uint64_t ms = (uint64_t)utc(2026, 1, 9, 0, 0, 0) * 1000;
	struct ct_result res;
	char err[256];
	int rc;

	if (scts == NULL) {
		CHECK("le-home SCTs", 0);
		return;
	}
	sk_SCT_push(scts, fake_sct(mimic2, ms, SCT_SOURCE_TLS_EXTENSION));
	sk_SCT_push(scts, fake_sct(f->list->logs[0].id, ms,
	    SCT_SOURCE_OCSP_STAPLED_RESPONSE));
	rc = ct_evaluate(pol, f->list, f->le, scts, (uint64_t)at * 1000, &res,
	    err, sizeof(err));
	CHECK("mimic SCT never counted", rc == 1 && res.nscts == 4 &&
	    res.scts[2].verdict == CT_SCT_MIMIC && res.scts[2].log == NULL &&
	    res.nlogs == 2);
	CHECK("TLS and OCSP sources reported",
	    res.scts[2].source == CT_SOURCE_TLS &&
	    res.scts[3].source == CT_SOURCE_OCSP);
	CHECK("an SCT OpenSSL never checked does not count",
	    res.scts[3].verdict == CT_SCT_NOT_VALIDATED);
	ct_result_free(&res);

	/* the same SCT twice counts once (the stack borrows it twice) */
	SCT_free(sk_SCT_pop(scts));
	SCT_free(sk_SCT_pop(scts));
	sk_SCT_push(scts, sk_SCT_value(scts, 0));
	rc = ct_evaluate(pol, f->list, f->le, scts, (uint64_t)at * 1000, &res,
	    err, sizeof(err));
	CHECK("duplicate SCT counted once", rc == 1 && res.nlogs == 2 &&
	    res.scts[2].verdict == CT_SCT_DUPLICATE);
	ct_result_free(&res);
	(void)sk_SCT_pop(scts);
	SCT_LIST_free(scts);
}

/* What a ct validation callback does: take leaf and time from the ctx. */
static void
test_callback_path(const struct fixture *f, const struct ct_policy *pol)
{
	time_t at = utc(2026, 2, 1, 0, 0, 0);
	STACK_OF(SCT) *scts = le_scts(f, at);
	CT_POLICY_EVAL_CTX *ctx = CT_POLICY_EVAL_CTX_new();
	struct ct_result res;
	char err[256];
	int rc;

	CT_POLICY_EVAL_CTX_set1_cert(ctx, f->le);
	CT_POLICY_EVAL_CTX_set_time(ctx, (uint64_t)at * 1000);
	rc = ct_evaluate_ctx(pol, f->list, ctx, scts, &res, err, sizeof(err));
	CHECK("ct_evaluate_ctx accepts le-home", rc == 1 && res.nlogs == 2);
	ct_result_free(&res);
	CT_POLICY_EVAL_CTX_set_time(ctx, (uint64_t)utc(2026, 1, 8, 0, 0, 0) *
	    1000);
	rc = ct_evaluate_ctx(pol, f->list, ctx, scts, &res, err, sizeof(err));
	CHECK("ct_evaluate_ctx uses the ctx time", rc == 0 &&
	    res.scts[0].verdict == CT_SCT_FUTURE);
	ct_result_free(&res);
	CT_POLICY_EVAL_CTX_free(ctx);
	SCT_LIST_free(scts);
}

/*
 * leaf's embedded SCTs validated as a handshake would at, then marked as
 * delivered by source (still signed over the precertificate, so OpenSSL's
 * status stays VALID: only the source differs).
 */
static STACK_OF(SCT) *
scts_from(const struct loglist *list, X509 *leaf, X509 *issuer, time_t at,
    sct_source_t source)
{
	STACK_OF(SCT) *scts;
	CT_POLICY_EVAL_CTX *ctx = CT_POLICY_EVAL_CTX_new();
	int i;

	scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
	CT_POLICY_EVAL_CTX_set1_cert(ctx, leaf);
	CT_POLICY_EVAL_CTX_set1_issuer(ctx, issuer);
	CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE(ctx, list->store);
	CT_POLICY_EVAL_CTX_set_time(ctx, (uint64_t)at * 1000);
	for (i = 0; scts != NULL && i < sk_SCT_num(scts); i++) {
		SCT *sct = sk_SCT_value(scts, i);

		SCT_set_source(sct, source);
		SCT_set_log_entry_type(sct, CT_LOG_ENTRY_TYPE_PRECERT);
		if (SCT_validate(sct, ctx) != 1)
			printf("# SCT %d does not validate\n", i);
	}
	CT_POLICY_EVAL_CTX_free(ctx);
	return scts;
}

/*
 * ct_evaluate on github's SCTs from source, Xenon and Oak retired when;
 * *list (the result points into it) is the caller's to free after res.
 */
static int
github_sourced(const struct fixture *f, const struct ct_policy *pol,
    sct_source_t source, const char *when, struct ct_result *res,
    struct loglist **list)
{
	const char *two[] = { "Google 'Xenon2026h1' log",
	    "Let's Encrypt 'Oak2026h1'", NULL };
	time_t at = utc(2025, 6, 1, 0, 0, 0);
	STACK_OF(SCT) *scts;
	char err[256];
	int rc = -2;

	memset(res, 0, sizeof(*res));
	if ((*list = load_edited(two, "retired", when, NULL, NULL)) == NULL)
		return rc;
	scts = scts_from(*list, f->gh, f->gh_ca, at, source);
	if (scts != NULL)
		rc = ct_evaluate(pol, *list, f->gh, scts, (uint64_t)at * 1000,
		    res, err, sizeof(err));
	SCT_LIST_free(scts);
	return rc;
}

/* Frees a result, then the list it points into. */
static void
done(struct ct_result *res, struct loglist *list)
{
	ct_result_free(res);
	loglist_free(list);
}

static void
test_retired_sources(const struct fixture *f, const struct ct_policy *pol)
{
	struct loglist *list;
	struct ct_result res;
	int rc;

	rc = github_sourced(f, pol, SCT_SOURCE_TLS_EXTENSION,
	    "2025-03-01T00:00:00Z", &res, &list);
	CHECK("TLS-extension SCTs from retired logs do not count", rc == 0 &&
	    res.nlogs == 1 && res.nscts == 3 &&
	    res.scts[0].verdict == CT_SCT_RETIRED_NOT_EMBEDDED &&
	    res.scts[1].verdict == CT_SCT_RETIRED_NOT_EMBEDDED &&
	    res.scts[2].verdict == CT_SCT_COUNTED);
	CHECK("TLS-extension retired: reason", strstr(res.reason,
	    "Google 'Xenon2026h1' log: retired log, SCT not embedded") != NULL);
	done(&res, list);
	rc = github_sourced(f, pol, SCT_SOURCE_OCSP_STAPLED_RESPONSE,
	    "2025-03-01T00:00:00Z", &res, &list);
	CHECK("OCSP SCTs from retired logs do not count", rc == 0 &&
	    res.nlogs == 1 &&
	    res.scts[0].verdict == CT_SCT_RETIRED_NOT_EMBEDDED);
	done(&res, list);
	rc = github_sourced(f, pol, SCT_SOURCE_TLS_EXTENSION,
	    "2025-09-01T00:00:00Z", &res, &list);
	CHECK("TLS-extension SCTs from logs retired later than now count",
	    rc == 1 && res.nlogs == 3);
	done(&res, list);
	rc = github_sourced(f, pol, SCT_SOURCE_X509V3_EXTENSION,
	    "2025-03-01T00:00:00Z", &res, &list);
	CHECK("the same SCTs embedded count", rc == 1 && res.nlogs == 3);
	done(&res, list);
}

/*
 * A back-dated SCT: github's Xenon SCT (2025-02-05) beside le-home's
 * (2026-01-09), Xenon retired between them. Its timestamp is before the
 * retirement, but the certificate's earliest SCT from a log not retired
 * is not: it must not count. Retired after both, it counts.
 */
static int
backdated(const struct fixture *f, const struct ct_policy *pol,
    const char *when, struct ct_result *res, struct loglist **list)
{
	const char *xenon[] = { "Google 'Xenon2026h1' log", NULL };
	time_t at = utc(2026, 2, 1, 0, 0, 0);
	STACK_OF(SCT) *scts = NULL, *gh = NULL;
	char err[256];
	int rc = -2;

	memset(res, 0, sizeof(*res));
	if ((*list = load_edited(xenon, "retired", when, NULL, NULL)) == NULL)
		return rc;
	scts = scts_from(*list, f->le, f->le_ca, at,
	    SCT_SOURCE_X509V3_EXTENSION);
	gh = scts_from(*list, f->gh, f->gh_ca, at,
	    SCT_SOURCE_X509V3_EXTENSION);
	if (scts != NULL && gh != NULL) {
		sk_SCT_push(scts, sk_SCT_shift(gh));	/* Xenon's */
		rc = ct_evaluate(pol, *list, f->le, scts, (uint64_t)at * 1000,
		    res, err, sizeof(err));
	}
	SCT_LIST_free(scts);
	SCT_LIST_free(gh);
	return rc;
}

static void
test_retired_backdated(const struct fixture *f, const struct ct_policy *pol)
{
	struct loglist *list;
	struct ct_result res;
	int rc;

	rc = backdated(f, pol, "2025-06-01T00:00:00Z", &res, &list);
	CHECK("back-dated SCT of a retired log does not count", rc >= 0 &&
	    res.nscts == 3 && res.nlogs == 2 &&
	    res.scts[2].verdict == CT_SCT_RETIRED_LATE_ISSUANCE);
	done(&res, list);
	rc = backdated(f, pol, "2026-01-20T00:00:00Z", &res, &list);
	CHECK("retired after the earliest current SCT: counts", rc == 1 &&
	    res.nscts == 3 && res.nlogs == 3 &&
	    res.scts[2].verdict == CT_SCT_COUNTED);
	done(&res, list);
}

static void
test_limits(const struct fixture *f, const struct ct_policy *pol)
{
	STACK_OF(SCT) *scts = sk_SCT_new_null();
	unsigned char id[LOGLIST_ID_LEN];
	struct ct_policy bad = *pol;
	struct ct_result res;
	char err[256] = "";
	int i, rc;

	for (i = 0; i < 60; i++) {
		memset(id, i, sizeof(id));
		sk_SCT_push(scts, fake_sct(id, 1000, SCT_SOURCE_TLS_EXTENSION));
	}
	rc = ct_evaluate(pol, f->list, f->le, scts, 2000, &res, err,
	    sizeof(err));
	CHECK("long reason is cut with ...", rc == 0 &&
	    strlen(res.reason) == CT_REASON_MAX - 1 &&
	    strcmp(res.reason + CT_REASON_MAX - 4, "...") == 0 &&
	    strncmp(res.reason, "CT: 0 valid SCTs from 0 operators (need 2 "
	    "logs, 2 operators); log 00000000: unknown log; log 01010101: "
	    "unknown log", 100) == 0);
	ct_result_free(&res);
	SCT_LIST_free(scts);

	bad.min_logs = 0;
	rc = ct_evaluate(&bad, f->list, f->le, NULL, 0, &res, err,
	    sizeof(err));
	CHECK("min_logs 0 refused as an error", rc == -1 && !res.accepted &&
	    strcmp(err, "bad policy numbers") == 0 &&
	    strcmp(res.reason, "CT: evaluation failed: bad policy numbers")
	    == 0);
	ct_result_free(&res);
}

static void
test_print(const struct fixture *f, const struct ct_policy *pol)
{
	struct ct_result res;
	char err[256], *out = NULL;
	size_t len = 0;
	FILE *fp;

	ct_check_cert(pol, f->list, f->gh, f->gh_ca, utc(2025, 6, 1, 0, 0, 0),
	    &res, err, sizeof(err));
	if ((fp = open_memstream(&out, &len)) == NULL)
		return;
	ct_result_print(fp, &res);
	fclose(fp);
	CHECK("report line per SCT", strstr(out, "SCT 1: Google "
	    "'Xenon2026h1' log (operator Google, usable), "
	    "2025-02-05T00:03:50.475Z, embedded: counted\n") != NULL);
	CHECK("report ends with the decision", strstr(out, "accepted: CT: 3 "
	    "valid SCTs from 3 operators (need 3 logs, 2 operators)\n") !=
	    NULL);
	free(out);
	ct_result_free(&res);
}

static int
fixture_load(struct fixture *f)
{
	f->list = load(LOGS);
	f->gh = pem("github-com-2025.leaf");
	f->gh_ca = pem("github-com-2025.issuer");
	f->le = pem("le-home-liukun-2026.leaf");
	f->le_ca = pem("le-home-liukun-2026.issuer");
	f->nosct = pem("no-sct-badssl-2023.leaf");
	f->nosct_ca = pem("no-sct-badssl-2023.issuer");
	return f->list && f->gh && f->gh_ca && f->le && f->le_ca &&
	    f->nosct && f->nosct_ca ? 0 : -1;
}

static void
fixture_free(struct fixture *f)
{
	loglist_free(f->list);
	X509_free(f->gh);
	X509_free(f->gh_ca);
	X509_free(f->le);
	X509_free(f->le_ca);
	X509_free(f->nosct);
	X509_free(f->nosct_ca);
}

int
main(void)
{
	struct fixture f = { 0 };
	struct ct_policy pol;

	ct_policy_default(&pol);
	CHECK("default policy 2/2/lifetime", pol.min_logs == 2 &&
	    pol.min_operators == 2 && pol.lifetime_rule == 1);
	if (fixture_load(&f) == -1) {
		CHECK("fixtures load", 0);
		fixture_free(&f);
		return CHECK_DONE();
	}
	test_accepted(&f, &pol);
	test_refused(&f, &pol);
	test_missing_operator(&f, &pol);
	test_log_states(&f, &pol);
	test_mimic_and_sources(&f, &pol);
	test_callback_path(&f, &pol);
	test_retired_sources(&f, &pol);
	test_retired_backdated(&f, &pol);
	test_limits(&f, &pol);
	test_print(&f, &pol);
	fixture_free(&f);
	return CHECK_DONE();
}
