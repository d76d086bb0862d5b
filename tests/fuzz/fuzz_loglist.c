/* SPDX-License-Identifier: ISC */
/* libFuzzer: the CT log list parser on arbitrary bytes. */
#include <stdint.h>

#include "loglist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char err[512];
	struct loglist *list = loglist_load_buf("fuzz.json",
	    (const char *)data, len, err, sizeof(err));

	loglist_free(list);
	return 0;
}
