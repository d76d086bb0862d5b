/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: an upstream answer (after a fixed query) through the checks,
 * the rewrite for clients that spelled the name otherwise (with and
 * without EDNS, RD/CD/AD/DO set or not, OPT anywhere), an EDE appended to
 * it, and the cache's TTL walks.
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

/* The same question in other case and flags: CD and AD, no RD, no DO. */
static const uint8_t other[] = {
	0x43, 0x21, 0x00, 0x30, 0, 1, 0, 0, 0, 0, 0, 1,
	3, 'W', 'w', 'W', 7, 'E', 'X', 'a', 'm', 'P', 'l', 'e', 4, 'T', 'E',
	's', 'T', 0, 0, 1, 0, 1,
	0, 0, 41, 0x02, 0x00, 0, 0, 0, 0, 0, 0
};

static void
rewrite(const uint8_t *data, size_t len, const uint8_t *msg, size_t msglen)
{
	static uint8_t out[DNS_MAX_MSG], copy[DNS_MAX_MSG];
	struct dnsmsg_query q;
	size_t max, n;
	uint32_t life;

	if (dnsmsg_parse_query(msg, msglen, &q) != DNS_RCODE_NOERROR)
		return;
	for (max = 512; max <= DNS_MAX_MSG; max += 65023) {
		n = dnsmsg_client_response(data, len, msg, &q, max, out,
		    sizeof(out));
		if (n > 0)
			dnsmsg_add_ede(out, n, max, DNS_EDE_STALE,
			    "a stale answer");
		q.has_edns = !q.has_edns;
		dnsmsg_client_response(data, len, msg, &q, max, out,
		    sizeof(out));
	}
	memcpy(copy, data, len);
	if (dnsmsg_cacheable(copy, len, 0, 86400, &life) == 0)
		dnsmsg_age_ttls(copy, len, 10);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *why;

	if (len > DNS_MAX_MSG ||
	    dnsmsg_check_response(data, len, query, sizeof(query), &why) != 0)
		return 0;
	rewrite(data, len, query, sizeof(query));
	rewrite(data, len, other, sizeof(other));
	return 0;
}
