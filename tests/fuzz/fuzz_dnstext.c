/* SPDX-License-Identifier: ISC */
/* libFuzzer: `ctstub query`'s printing of a DNS message on any bytes. */
#include <stdint.h>
#include <stdio.h>

#include "dnstext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static FILE *sink;

	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		return 0;
	dnstext_print(sink, data, len);
	return 0;
}
