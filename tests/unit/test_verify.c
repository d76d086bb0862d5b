/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for verify.c's CT mode: whether a stale log list fails open
 * is decided at the time of each verification (an injected clock), not
 * when the list was loaded. Run from the repository root.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "loglist.h"
#include "verify.h"

#define LOGS	"tests/data/ct/realcerts-logs.json"
#define DAY	86400

static void
test_stale(const struct loglist *list)
{
	struct verify_policy p;
	time_t fresh = list->timestamp + 70 * DAY;
	time_t stale = list->timestamp + 71 * DAY;

	memset(&p, 0, sizeof(p));
	p.loglist = list;
	p.ct_list_max_age_days = 70;
	p.ct_stale_fail_open = 1;
	CHECK("70 days old: not stale", verify_list_stale_days(&p, fresh) ==
	    0);
	CHECK("71 days old: stale", verify_list_stale_days(&p, stale) == 71);
	CHECK("fail-open, list fresh when checked: enforced",
	    !verify_ct_report_only(&p, fresh));
	CHECK("fail-open, the same list stale later: refusals only logged",
	    verify_ct_report_only(&p, stale));
	CHECK("the warning says fail-open is in force", strcmp(
	    verify_ct_mode_text(&p, stale), "ct-stale fail-open: CT refusals "
	    "are only logged") == 0);
	p.ct_stale_fail_open = 0;
	CHECK("enforce: stale list still enforced",
	    !verify_ct_report_only(&p, stale));
	CHECK("the warning says still enforcing", strcmp(
	    verify_ct_mode_text(&p, stale), "still enforcing") == 0);
	p.ct_report_only = 1;
	CHECK("ct-mode report: only logged, fresh or stale",
	    verify_ct_report_only(&p, fresh) &&
	    verify_ct_report_only(&p, stale));
	CHECK("the warning names report mode", strcmp(
	    verify_ct_mode_text(&p, stale), "ct-mode report: CT refusals are "
	    "only logged") == 0);
	p.ct_list_max_age_days = 0;
	CHECK("no limit (ctstub check): never stale",
	    verify_list_stale_days(&p, stale + 3650 * DAY) == 0);
}

int
main(void)
{
	char err[512];
	struct loglist *list = loglist_load(LOGS, err, sizeof(err));

	CHECK("log list loads", list != NULL);
	if (list == NULL) {
		printf("# %s\n", err);
		return CHECK_DONE();
	}
	test_stale(list);
	loglist_free(list);
	return CHECK_DONE();
}
