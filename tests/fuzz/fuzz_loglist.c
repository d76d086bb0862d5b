/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: the CT log list parser on arbitrary bytes, then the horizon
 * of every list it accepts (any intervals, states and retirement times).
 */
#include <stdint.h>

#include "horizon.h"
#include "loglist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char err[512];
	struct loglist *list = loglist_load_buf("fuzz.json",
	    (const char *)data, len, err, sizeof(err));
	struct horizon h;

	if (list != NULL) {
		/* at 2026-12-01 */
		horizon_compute(&h, list, 1796083200, 2, 2);
		(void)horizon_days_to_risk(&h);
		(void)horizon_renewal_at_risk(&h, h.end);
	}
	loglist_free(list);
	return 0;
}
