/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for horizon.c: the lifetime schedule, the renewal risk date
 * on both sides of each switch, the coverage horizon of the shipped list
 * and of tests/data/ct/horizon.json (states, retirement ahead, intervals,
 * operator counts), per-upstream verdicts and the warning window.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "generation.h"
#include "horizon.h"
#include "loglist.h"
#include "trust.h"

#define DATA CHECK_SRCDIR "/tests/data/ct/"
#define DAY 86400

static time_t
utc(int y, int mo, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };

	return timegm(&tm);
}

static struct loglist *
load(const char *path)
{
	char err[512] = "";
	struct loglist *list = loglist_load(path, err, sizeof(err));

	if (list == NULL)
		printf("# %s\n", err);
	return list;
}

/* Prints both dates when they differ. */
static int
same_day(time_t got, time_t want)
{
	char g[16], w[16];

	if (got == want)
		return 1;
	horizon_date(got, g, sizeof(g));
	horizon_date(want, w, sizeof(w));
	printf("# got %s (%lld), want %s (%lld)\n", g, (long long)got, w,
	    (long long)want);
	return 0;
}

static void
test_schedule(void)
{
	CHECK("398 days before 2026-03-15",
	    horizon_max_lifetime_days(utc(2026, 3, 14)) == 398);
	CHECK("200 days from 2026-03-15",
	    horizon_max_lifetime_days(utc(2026, 3, 15)) == 200);
	CHECK("200 days the second before 2027-03-15",
	    horizon_max_lifetime_days(utc(2027, 3, 15) - 1) == 200);
	CHECK("100 days from 2027-03-15",
	    horizon_max_lifetime_days(utc(2027, 3, 15)) == 100);
	CHECK("100 days in 2028",
	    horizon_max_lifetime_days(utc(2028, 6, 1)) == 100);
	CHECK("47 days from 2029-03-15",
	    horizon_max_lifetime_days(utc(2029, 3, 15)) == 47);
}

static void
test_risk_date(void)
{
	CHECK("no horizon, no risk date", horizon_risk_date(0) == 0);
	/* 2028-01-01 - 100 days; 2028-01-01 - 200 days is past the switch */
	CHECK("horizon 2028-01-01: 2027-09-23",
	    same_day(horizon_risk_date(utc(2028, 1, 1)), utc(2027, 9, 23)));
	/* 2027-09-30 - 200 days = 2027-03-14, still under the 200-day rule */
	CHECK("horizon 2027-09-30: 2027-03-14 (200 days)",
	    same_day(horizon_risk_date(utc(2027, 9, 30)), utc(2027, 3, 14)));
	/* 2027-10-01 - 200 days = 2027-03-15, already the 100-day rule */
	CHECK("horizon 2027-10-01: 2027-06-23 (100 days)",
	    same_day(horizon_risk_date(utc(2027, 10, 1)), utc(2027, 6, 23)));
	CHECK("horizon 2027-08-15: 2027-01-27 (200 days)",
	    same_day(horizon_risk_date(utc(2027, 8, 15)), utc(2027, 1, 27)));
	/* 2029-06-22 - 100 days = 2029-03-14, still the 100-day rule */
	CHECK("horizon 2029-06-22: 2029-03-14 (100 days)",
	    same_day(horizon_risk_date(utc(2029, 6, 22)), utc(2029, 3, 14)));
	/* 2029-06-23 - 100 days = 2029-03-15: the 47-day rule */
	CHECK("horizon 2029-06-23: 2029-05-07 (47 days)",
	    same_day(horizon_risk_date(utc(2029, 6, 23)), utc(2029, 5, 7)));
	CHECK("horizon 2026-06-01: 398 days before",
	    same_day(horizon_risk_date(utc(2026, 6, 1)), utc(2026, 6, 1) -
	    398 * DAY));
}

static void
test_shipped(void)
{
	struct loglist *list = load(CHECK_SRCDIR "/conf/ct-logs.json");
	struct horizon h;

	CHECK("shipped list loads", list != NULL);
	if (list == NULL)
		return;
	horizon_compute(&h, list, utc(2026, 12, 6), 2, 2);
	CHECK("shipped: horizon 2028-01-01", same_day(h.end, utc(2028, 1, 1)));
	CHECK("shipped: risk 2027-09-23", same_day(h.risk, utc(2027, 9, 23)));
	CHECK("shipped: age 10 days", h.age_s == 10 * DAY);
	CHECK("shipped: no warning on 2026-12-06",
	    horizon_days_to_risk(&h) == HORIZON_NOT_DUE);
	/* TrustAsia alone runs on to 2028-01-08 */
	CHECK("shipped, one operator: 2028-01-08", same_day(
	    horizon_coverage_end(list, utc(2026, 12, 6), 1, 1),
	    utc(2028, 1, 8)));
	horizon_compute(&h, list, utc(2027, 8, 24), 2, 2);
	CHECK("shipped: 30 days before the risk date, warned",
	    horizon_days_to_risk(&h) == 30);
	horizon_compute(&h, list, utc(2027, 8, 23), 2, 2);
	CHECK("shipped: 31 days before, not yet",
	    horizon_days_to_risk(&h) == HORIZON_NOT_DUE);
	horizon_compute(&h, list, utc(2027, 9, 23), 2, 2);
	CHECK("shipped: on the risk date, 0", horizon_days_to_risk(&h) == 0);
	horizon_compute(&h, list, utc(2027, 10, 3) + 3600, 2, 2);
	CHECK("shipped: 10 days past it, -10",
	    horizon_days_to_risk(&h) == -10);
	horizon_compute(&h, list, utc(2028, 2, 1), 2, 2);
	CHECK("shipped: past the horizon, the day it passed",
	    same_day(h.end, utc(2028, 1, 1)) && same_day(h.risk,
	    utc(2027, 9, 23)));
	CHECK("shipped: past the horizon, -131 days",
	    horizon_days_to_risk(&h) == -131);
	loglist_free(list);
}

static void
test_fixture(void)
{
	struct loglist *list = load(DATA "horizon.json");
	time_t now = utc(2026, 12, 1);

	CHECK("horizon.json loads", list != NULL);
	if (list == NULL)
		return;
	/* A2 (Operator A's last log) ends 2027-10-01; B alone goes on */
	CHECK("2 operators: 2027-10-01", same_day(horizon_coverage_end(list,
	    now, 2, 2), utc(2027, 10, 1)));
	CHECK("2 operators: risk 2027-06-23 (100-day rule)",
	    same_day(horizon_risk_date(utc(2027, 10, 1)), utc(2027, 6, 23)));
	/* readonly D1 counts until its end 2027-08-15; C1 retires 02-01 */
	CHECK("3 operators: 2027-08-15", same_day(horizon_coverage_end(list,
	    now, 3, 3), utc(2027, 8, 15)));
	CHECK("3 operators: risk 2027-01-27 (200-day rule)",
	    same_day(horizon_risk_date(utc(2027, 8, 15)), utc(2027, 1, 27)));
	/* C1 (retiring 2027-02-01) is the fourth operator until then */
	CHECK("4 operators: 2027-02-01 (retirement ahead)",
	    same_day(horizon_coverage_end(list, now, 4, 4), utc(2027, 2, 1)));
	/* pending C2 and rejected C3 (to 2029) never count: B ends 2028 */
	CHECK("1 operator: 2028-01-01, not the pending log's 2029",
	    same_day(horizon_coverage_end(list, now, 1, 1), utc(2028, 1, 1)));
	CHECK("2 logs, 1 operator: 2027-10-01",
	    same_day(horizon_coverage_end(list, now, 2, 1), utc(2027, 10, 1)));
	CHECK("after C1's retirement, 4 operators: now",
	    same_day(horizon_coverage_end(list, utc(2027, 3, 1), 4, 4),
	    utc(2027, 3, 1)));
	loglist_free(list);
}

static void
test_no_interval(void)
{
	struct loglist *list = load(DATA "horizon.json");
	size_t i;

	if (list == NULL)
		return;
	/* B1 and D1 without intervals: covered for ever */
	for (i = 0; i < list->nlogs; i++)
		if (strncmp(list->logs[i].description, "B1", 2) == 0 ||
		    strncmp(list->logs[i].description, "D1", 2) == 0)
			list->logs[i].interval_start =
			    list->logs[i].interval_end = 0;
	CHECK("logs without interval: no horizon",
	    horizon_coverage_end(list, utc(2026, 12, 1), 2, 2) == 0);
	loglist_free(list);
}

static const struct loglist_log *
by_prefix(const struct loglist *list, const char *prefix)
{
	size_t i;

	for (i = 0; i < list->nlogs; i++)
		if (strncmp(list->logs[i].description, prefix,
		    strlen(prefix)) == 0)
			return &list->logs[i];
	return NULL;
}

static void
add_sct(struct upstream_trust *t, const struct loglist_log *log, int counted,
    int embedded, time_t when)
{
	struct trust_sct *s = &t->scts[t->nscts++];

	memcpy(s->log_id, log->id, LOGLIST_ID_LEN);
	s->log_id_len = LOGLIST_ID_LEN;
	s->counted = counted;
	s->embedded = embedded;
	s->timestamp_ms = (uint64_t)when * 1000;
}

static void
test_upstream(void)
{
	struct loglist *list = load(DATA "horizon.json");
	struct upstream_trust t;
	struct horizon h;

	if (list == NULL)
		return;
	memset(&t, 0, sizeof(t));
	CHECK("nothing counted: -1",
	    horizon_logs_hold(list, &t, utc(2027, 1, 1), 2, 2) == -1);
	add_sct(&t, by_prefix(list, "A1"), 1, 1, utc(2026, 11, 1));
	add_sct(&t, by_prefix(list, "B1"), 1, 1, utc(2026, 11, 1));
	add_sct(&t, by_prefix(list, "C2"), 0, 1, utc(2026, 11, 1));
	CHECK("A1 + B1 at 2027-03-01: hold",
	    horizon_logs_hold(list, &t, utc(2027, 3, 1), 2, 2) == 1);
	CHECK("A1 + B1 at 2027-07-01 (A1's end): no",
	    horizon_logs_hold(list, &t, utc(2027, 7, 1), 2, 2) == 0);
	CHECK("A1 + B1 need 3 logs: no",
	    horizon_logs_hold(list, &t, utc(2027, 3, 1), 3, 2) == 0);
	memset(&t, 0, sizeof(t));
	add_sct(&t, by_prefix(list, "C1"), 1, 1, utc(2026, 11, 1));
	add_sct(&t, by_prefix(list, "B1"), 1, 0, utc(2026, 11, 1));
	CHECK("embedded SCT of a log retired since, older: holds",
	    horizon_logs_hold(list, &t, utc(2027, 3, 1), 2, 2) == 1);
	t.scts[0].embedded = 0;
	CHECK("TLS SCT of a log retired since: no",
	    horizon_logs_hold(list, &t, utc(2027, 3, 1), 2, 2) == 0);
	CHECK("TLS SCT, before the retirement: holds",
	    horizon_logs_hold(list, &t, utc(2027, 1, 31), 2, 2) == 1);
	t.scts[1] = t.scts[0];
	CHECK("one log twice is one log",
	    horizon_logs_hold(list, &t, utc(2027, 1, 31), 2, 1) == 0);
	horizon_compute(&h, list, utc(2026, 12, 1), 2, 2);
	CHECK("renewal due 2027-06-22: not at risk",
	    !horizon_renewal_at_risk(&h, utc(2027, 6, 22)));
	CHECK("renewal due 2027-06-23: at risk",
	    horizon_renewal_at_risk(&h, utc(2027, 6, 23)));
	loglist_free(list);
}

/* The daemon's warning: due from 30 days before, then once a day. */
static void
test_warning_pace(void)
{
	struct generation gen;
	time_t last = 0, t = utc(2027, 8, 24) + 3600;

	memset(&gen, 0, sizeof(gen));
	gen.loglist = load(CHECK_SRCDIR "/conf/ct-logs.json");
	gen.conf.ct_log_list = CHECK_SRCDIR "/conf/ct-logs.json";
	gen.policy.ct.min_logs = gen.policy.ct.min_operators = 2;
	if (gen.loglist == NULL)
		return;
	generation_warn_horizon(&gen, utc(2027, 8, 23), &last);
	CHECK("31 days before: no warning", last == 0);
	generation_warn_horizon(&gen, t, &last);
	CHECK("30 days before: warned", last == t);
	generation_warn_horizon(&gen, t + 23 * 3600, &last);
	CHECK("23 hours later: not again", last == t);
	generation_warn_horizon(&gen, t + 86400, &last);
	CHECK("a day later: again", last == t + 86400);
	last = 0;
	/* logged: the horizon that passed, 2028-01-01 */
	generation_warn_horizon(&gen, utc(2028, 3, 1), &last);
	CHECK("past the horizon: still warned", last == utc(2028, 3, 1));
	loglist_free(gen.loglist);
}

static void
test_reason(void)
{
	char out[HORIZON_REASON_MAX + 50], big[400];

	horizon_clean_reason(out, sizeof(out), "fetch: timed out\n\033[2J");
	CHECK("control bytes become ?",
	    strcmp(out, "fetch: timed out??[2J") == 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	horizon_clean_reason(out, sizeof(out), big);
	CHECK("cut at HORIZON_REASON_MAX with ...",
	    strlen(out) == HORIZON_REASON_MAX - 1 &&
	    strcmp(out + strlen(out) - 3, "...") == 0);
	horizon_clean_reason(out, 8, "abcdefghij");
	CHECK("a small buffer is respected", strcmp(out, "abcd...") == 0);
	horizon_date(0, out, sizeof(out));
	CHECK("date 0 is none", strcmp(out, "none") == 0);
}

int
main(void)
{
	test_schedule();
	test_risk_date();
	test_shipped();
	test_fixture();
	test_no_interval();
	test_upstream();
	test_warning_pace();
	test_reason();
	return CHECK_DONE();
}
