/* SPDX-License-Identifier: ISC */
/* The CT log list's coverage horizon and renewal risk date (horizon.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "horizon.h"
#include "loglist.h"
#include "trust.h"

#define DAY_S 86400

/*
 * The longest lifetime of a TLS certificate by issuance date, CA/B Forum
 * Baseline Requirements 6.3.2 as amended by ballot SC-081: each row holds
 * from its date until the next row's.
 */
static const struct lifetime_step {
	time_t	from;		/* 00:00:00 UTC */
	int	days;
} lifetime_schedule[] = {
	{ 0, 398 },
	{ 1773532800, 200 },	/* 2026-03-15 */
	{ 1805068800, 100 },	/* 2027-03-15 */
	{ 1868227200, 47 },	/* 2029-03-15 */
};
#define NSTEPS (sizeof(lifetime_schedule) / sizeof(lifetime_schedule[0]))

int
horizon_max_lifetime_days(time_t issued)
{
	size_t i = NSTEPS - 1;

	while (i > 0 && issued < lifetime_schedule[i].from)
		i--;
	return lifetime_schedule[i].days;
}

time_t
horizon_risk_date(time_t end)
{
	size_t i;
	time_t d;

	if (end == 0)
		return 0;
	for (i = 0; i < NSTEPS; i++) {
		d = end - (time_t)lifetime_schedule[i].days * DAY_S;
		if (i > 0 && d < lifetime_schedule[i].from)
			d = lifetime_schedule[i].from;
		if (i + 1 == NSTEPS || d < lifetime_schedule[i + 1].from)
			return d;
	}
	return end;	/* not reached: the last step always answers */
}

/* Whether log can count an SCT for a certificate expiring at t (now on). */
static int
covers(const struct loglist_log *log, time_t now, time_t t)
{
	if (log->state == LOGLIST_RETIRED) {
		if (log->state_time <= now || log->state_time <= t)
			return 0;
	} else if (!loglist_state_is_current(log->state))
		return 0;
	if (log->interval_start == 0 && log->interval_end == 0)
		return 1;
	return t >= log->interval_start && t < log->interval_end;
}

/* Whether logs[i]'s operator already appeared among the counted before i. */
static int
operator_seen(const struct loglist *list, const unsigned char *counted,
    size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (counted[j] && list->logs[j].operator_index ==
		    list->logs[i].operator_index)
			return 1;
	return 0;
}

/* Whether notAfter t has min_logs covering logs of min_operators. */
static int
covered_at(const struct loglist *list, unsigned char *counted, time_t now,
    time_t t, int min_logs, int min_operators)
{
	int nlogs = 0, nops = 0;
	size_t i;

	for (i = 0; i < list->nlogs; i++) {
		counted[i] = covers(&list->logs[i], now, t);
		if (!counted[i])
			continue;
		nlogs++;
		if (!operator_seen(list, counted, i))
			nops++;
	}
	return nlogs >= min_logs && nops >= min_operators;
}

static int
time_cmp(const void *a, const void *b)
{
	time_t x = *(const time_t *)a, y = *(const time_t *)b;

	return x < y ? -1 : x > y;
}

/* now, then every time after it where some log's coverage changes. */
static size_t
change_points(const struct loglist *list, time_t now, time_t *points)
{
	size_t i, n = 0;

	points[n++] = now;
	for (i = 0; i < list->nlogs; i++) {
		const struct loglist_log *log = &list->logs[i];

		if (log->interval_start > now)
			points[n++] = log->interval_start;
		if (log->interval_end > now)
			points[n++] = log->interval_end;
		if (log->state == LOGLIST_RETIRED && log->state_time > now)
			points[n++] = log->state_time;
	}
	qsort(points, n, sizeof(*points), time_cmp);
	return n;
}

time_t
horizon_coverage_end(const struct loglist *list, time_t now, int min_logs,
    int min_operators)
{
	time_t *points, end = 0;
	unsigned char *counted;
	size_t i, n;

	if (list == NULL || list->nlogs == 0)
		return now;
	points = calloc(list->nlogs * 3 + 1, sizeof(*points));
	counted = calloc(list->nlogs, 1);
	if (points == NULL || counted == NULL) {
		free(points);
		free(counted);
		return now;	/* fail towards a warning, not silence */
	}
	n = change_points(list, now, points);
	/* coverage is constant between two points: one test each */
	for (i = 0; i < n && end == 0; i++)
		if (!covered_at(list, counted, now, points[i], min_logs,
		    min_operators))
			end = points[i];
	free(points);
	free(counted);
	return end;
}

void
horizon_compute(struct horizon *h, const struct loglist *list, time_t now,
    int min_logs, int min_operators)
{
	memset(h, 0, sizeof(*h));
	h->now = now;
	h->age_s = list != NULL ? (long)(now - list->timestamp) : 0;
	h->end = horizon_coverage_end(list, now, min_logs, min_operators);
	/* nothing covered now: the horizon passed; say when, from the
	 * list's own date, rather than "now" */
	if (list != NULL && h->end == now && list->timestamp < now) {
		time_t past = horizon_coverage_end(list, list->timestamp,
		    min_logs, min_operators);

		if (past != 0 && past < now)
			h->end = past;
	}
	h->risk = horizon_risk_date(h->end);
}

long
horizon_days_to_risk(const struct horizon *h)
{
	time_t left;

	if (h->end == 0)
		return HORIZON_NOT_DUE;
	left = h->risk - h->now;
	if (left > (time_t)HORIZON_WARN_DAYS * DAY_S)
		return HORIZON_NOT_DUE;
	/* whole days left, or whole days passed (negative) */
	return left >= 0 ? (long)(left / DAY_S) : -(long)(-left / DAY_S);
}

int
horizon_renewal_at_risk(const struct horizon *h, time_t not_after)
{
	return h->end != 0 && not_after >= h->risk;
}

/* Whether the SCT s, which counted at verification, still counts at at. */
static const struct loglist_log *
still_counts(const struct loglist *list, const struct trust_sct *s,
    time_t at)
{
	const struct loglist_log *log;

	if (!s->counted || (log = loglist_find(list, s->log_id,
	    s->log_id_len)) == NULL)
		return NULL;
	if (log->state == LOGLIST_PENDING || log->state == LOGLIST_REJECTED)
		return NULL;
	if (log->state == LOGLIST_RETIRED && log->state_time <= at &&
	    (!s->embedded || s->timestamp_ms / 1000 >=
	    (uint64_t)log->state_time))
		return NULL;
	if ((log->interval_start != 0 || log->interval_end != 0) &&
	    (at < log->interval_start || at >= log->interval_end))
		return NULL;
	return log;
}

int
horizon_logs_hold(const struct loglist *list, const struct upstream_trust *t,
    time_t at, int min_logs, int min_operators)
{
	const struct loglist_log *logs[TRUST_MAX_SCTS];
	int nlogs = 0, nops = 0, any = 0;
	size_t i, j;

	for (i = 0; list != NULL && i < t->nscts; i++) {
		const struct loglist_log *log;

		any |= t->scts[i].counted;
		if ((log = still_counts(list, &t->scts[i], at)) == NULL)
			continue;
		for (j = 0; j < (size_t)nlogs && logs[j] != log; j++)
			;
		if (j < (size_t)nlogs)
			continue;	/* the same log twice */
		for (j = 0; j < (size_t)nlogs && logs[j]->operator_index !=
		    log->operator_index; j++)
			;
		nops += j == (size_t)nlogs;
		logs[nlogs++] = log;
	}
	if (!any)
		return -1;
	return nlogs >= min_logs && nops >= min_operators;
}

void
horizon_clean_reason(char *out, size_t len, const char *in)
{
	size_t i, max = len < HORIZON_REASON_MAX ? len : HORIZON_REASON_MAX;

	if (max == 0)
		return;
	for (i = 0; in[i] != '\0' && i + 1 < max; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
	if (in[i] != '\0' && i >= 3)
		memcpy(out + i - 3, "...", 3);
}

void
horizon_date(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, len, "none");
	else
		strftime(out, len, "%Y-%m-%d", &tm);
}
