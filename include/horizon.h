/* SPDX-License-Identifier: ISC */
/*
 * horizon: how long the CT log list in force can still accept the
 * certificates upstreams will present, so that ctstub warns months before
 * a list nobody updated breaks DNS. Pure functions of a list and a time.
 *
 * Coverage horizon: the first time T at or after now such that a
 * certificate whose notAfter is T could not collect counted SCTs from
 * min_logs logs of min_operators distinct operators under this list.
 * A log covers notAfter t when it is qualified, usable or readonly (the
 * states ct.c counts as current), or retired at a time after both now and
 * t, and t is inside its temporal interval [start, end). Everything before
 * T is covered (from now on); T itself is not: like the intervals' end,
 * the horizon is exclusive. 0 means no horizon: logs without an interval
 * keep covering every date.
 *
 * Renewal risk date: the earliest issuance date d at which a certificate
 * issued with the longest lifetime allowed then (horizon_max_lifetime_days)
 * would have its notAfter at or past the horizon, d + lifetime(d) >= T.
 * A renewal from that day on may be refused. The lifetime drops at fixed
 * dates (CA/B Forum ballot SC-081), so d + lifetime(d) is not monotonic
 * and the earliest such d is what is reported.
 */
#ifndef CTSTUB_HORIZON_H
#define CTSTUB_HORIZON_H

#include <stddef.h>
#include <time.h>

struct loglist;
struct upstream_trust;

#define HORIZON_WARN_DAYS 30	/* warn this long before the risk date */
#define HORIZON_WARN_INTERVAL_S 86400	/* at most one warning a day */
#define HORIZON_REASON_MAX 200	/* a failed update's reason, kept */

struct horizon {
	time_t	now;	/* the time it was computed for */
	long	age_s;	/* now minus the list's log_list_timestamp */
	time_t	end;	/* coverage horizon; 0: none */
	time_t	risk;	/* renewal risk date; 0 when end is 0 */
};

/*
 * The longest lifetime in days of a publicly trusted TLS certificate
 * issued at t: 398 before 2026-03-15, 200 from then, 100 from 2027-03-15,
 * 47 from 2029-03-15 (SC-081).
 */
int	horizon_max_lifetime_days(time_t issued);

/* The coverage horizon (above) of list from now; 0: none. */
time_t	horizon_coverage_end(const struct loglist *list, time_t now,
	    int min_logs, int min_operators);

/* The renewal risk date for coverage horizon end (0 gives 0). */
time_t	horizon_risk_date(time_t end);

/*
 * Age, horizon and risk date of list at now. When nothing is covered at
 * now, the horizon is the one the list had from its log_list_timestamp
 * (the date it was passed), if that is earlier.
 */
void	horizon_compute(struct horizon *h, const struct loglist *list,
	    time_t now, int min_logs, int min_operators);

/*
 * Days from h->now to the risk date when that is HORIZON_WARN_DAYS or
 * fewer away (0 or negative: reached, or passed that many days ago);
 * HORIZON_NOT_DUE otherwise (no horizon, or further away).
 */
#define HORIZON_NOT_DUE 100000L
long	horizon_days_to_risk(const struct horizon *h);

/*
 * Whether the logs that counted for the upstream's certificate (t, from
 * its last verification) still count at time at (normally its notAfter)
 * under list: logs still in list, neither pending nor rejected, at still
 * inside their temporal interval, and a log retired by then only for an
 * embedded SCT older than the retirement; and at least min_logs of them
 * from min_operators distinct operators. 1 yes, 0 no, -1 when t has no
 * counted SCT to judge (never verified, or CT not evaluated).
 */
int	horizon_logs_hold(const struct loglist *list,
	    const struct upstream_trust *t, time_t at, int min_logs,
	    int min_operators);

/*
 * Whether the certificate expiring at not_after must be replaced on or
 * after the risk date, so that its successor may outlive the horizon
 * (1), or not (0; also when there is no horizon).
 */
int	horizon_renewal_at_risk(const struct horizon *h, time_t not_after);

/*
 * Copies a reason received from a client (the update helper) into out
 * (len bytes, at most HORIZON_REASON_MAX used), fit for one log line:
 * control and non-ASCII bytes become '?', the end is cut with "...".
 */
void	horizon_clean_reason(char *out, size_t len, const char *in);

/* "YYYY-MM-DD" of t into out (11 bytes at least); "none" when t is 0. */
void	horizon_date(time_t t, char *out, size_t len);

#endif
