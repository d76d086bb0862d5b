/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: an upstream answer (after a fixed query) through the checks
 * and the rewrite for a client with and without EDNS.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e',
	's', 't', 0, 0, 1, 0, 1,
	0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t out[DNS_MAX_MSG];
	struct dnsmsg_query q;
	const char *why;
	size_t max;

	if (dnsmsg_parse_query(query, sizeof(query), &q) != DNS_RCODE_NOERROR)
		return 0;
	if (dnsmsg_check_response(data, len, query, sizeof(query), &why) != 0)
		return 0;
	for (max = 512; max <= DNS_MAX_MSG; max += 65023) {
		dnsmsg_client_response(data, len, &q, max, out, sizeof(out));
		q.has_edns = !q.has_edns;
		dnsmsg_client_response(data, len, &q, max, out, sizeof(out));
	}
	return 0;
}
