/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: a client query through parsing (BADVERS, the 255-octet
 * limit), the UDP limit, the upstream query and error answers with short,
 * long (cut to the client's EDNS size) and UTF-8 EDE texts.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static char long_text[DNS_EDE_TEXT_MAX * 2];
static char utf8_text[DNS_EDE_TEXT_MAX * 2];

static void
init_texts(void)
{
	size_t i;

	if (long_text[0] != '\0')
		return;
	memset(long_text, 'r', sizeof(long_text) - 1);
	for (i = 0; i + 3 < sizeof(utf8_text); i += 3)
		memcpy(utf8_text + i, "\xe2\x82\xac", 3);	/* U+20AC */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t out[DNS_MAX_MSG];
	static const char *texts[] = { NULL, "fuzz", long_text, utf8_text };
	struct dnsmsg_query q;
	char name[1025];
	int rc = dnsmsg_parse_query(data, len, &q);
	size_t i, caps[] = { sizeof(out), 600, 512, 100 };

	init_texts();
	if (rc == DNSMSG_DROP)
		return 0;
	if (q.question_end)
		dnsmsg_limit_udp(&q, len > 2 ? dnsmsg_get16(data) : 0);
	for (i = 0; i < 4; i++)
		dnsmsg_error_response(data, len, q.question_end ? &q : NULL,
		    rc == DNS_RCODE_NOERROR ? DNS_RCODE_SERVFAIL : rc,
		    DNS_EDE_OTHER, texts[i], out, caps[i]);
	if (rc != DNS_RCODE_NOERROR)
		return 0;
	dnsmsg_upstream_query(data, &q, 1, out, sizeof(out));
	dnsmsg_question_name(data, len, name, sizeof(name));
	return 0;
}
