/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: the CT log list parser on arbitrary bytes, in ctstub's
 * format and Apple's, then the horizon of every list it accepts (any
 * intervals, states and retirement times); an Apple list is also
 * converted to ctstub's format (as `loglist update` installs it), and the
 * conversion must load with the same logs.
 */
#include <stdint.h>
#include <stdlib.h>

#include "horizon.h"
#include "loglist.h"
#include "loglist_apple.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char err[512], *conv;
	struct loglist *list = loglist_load_buf("fuzz.json",
	    (const char *)data, len, err, sizeof(err)), *again;
	struct horizon h;
	size_t clen;

	if (list != NULL) {
		/* at 2026-12-01 */
		horizon_compute(&h, list, 1796083200, 2, 2);
		(void)horizon_days_to_risk(&h);
		(void)horizon_renewal_at_risk(&h, h.end);
	}
	if (list != NULL && list->format == LOGLIST_APPLE_V5) {
		conv = loglist_apple_convert((const char *)data, len,
		    1700000000, &clen, err, sizeof(err));
		if (conv == NULL)
			abort();
		again = loglist_load_buf("converted.json", conv, clen, err,
		    sizeof(err));
		if (again == NULL || again->nlogs != list->nlogs ||
		    again->format != LOGLIST_CHROME_V3)
			abort();
		loglist_free(again);
		free(conv);
	}
	loglist_free(list);
	return 0;
}
