/* SPDX-License-Identifier: ISC */
/* libFuzzer: a client query through parsing, upstream query and errors. */
#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t out[DNS_MAX_MSG];
	struct dnsmsg_query q;
	char name[1025];
	int rc = dnsmsg_parse_query(data, len, &q);

	if (rc == DNSMSG_DROP)
		return 0;
	dnsmsg_error_response(data, len, q.question_end ? &q : NULL,
	    DNS_RCODE_SERVFAIL, DNS_EDE_OTHER, "fuzz", out, sizeof(out));
	if (rc != DNS_RCODE_NOERROR)
		return 0;
	dnsmsg_upstream_query(data, &q, 1, out, sizeof(out));
	dnsmsg_question_name(data, len, name, sizeof(name));
	return 0;
}
