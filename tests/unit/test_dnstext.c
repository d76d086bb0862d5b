/* SPDX-License-Identifier: ISC */
/* Unit tests for dnstext.c: DNS messages as dig-like text. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dnsmsg.h"
#include "dnstext.h"

/* dnstext_print of msg as a string (caller frees); *rc its result. */
static char *
printed(const uint8_t *msg, size_t len, int *rc)
{
	char *text = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&text, &n);

	*rc = dnstext_print(fp, msg, len);
	fclose(fp);
	return text;
}

/* www.example.test A: 192.0.2.10, then MX, TXT; OPT with an EDE. */
static const uint8_t answer[] = {
	0, 0, 0x85, 0x80, 0, 1, 0, 3, 0, 0, 0, 1,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 10,
	0xc0, 16, 0, 15, 0, 1, 0, 0, 0, 60, 0, 9, 0, 10,
	4, 'm', 'a', 'i', 'l', 0xc0, 16,
	0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 2, 'h', 'i', 2, '"', 1,
	0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 9, 0, 15, 0, 5, 0, 22, 'w', 'h',
	'y'
};

static void
test_print(void)
{
	int rc;
	char *text = printed(answer, sizeof(answer), &rc);

	CHECK("a good answer: NOERROR", rc == DNS_RCODE_NOERROR);
	CHECK("a good answer: the lines", text != NULL && strcmp(text,
	    ";; status: NOERROR, flags: qr aa rd ra; answer 3, authority 0, "
	    "additional 1\n"
	    "www.example.test. 300 IN A 192.0.2.10\n"
	    "example.test. 60 IN MX 10 mail.example.test.\n"
	    "www.example.test. 60 IN TXT \"hi\" \"\\\"\\001\"\n"
	    "; EDE: 22: why\n") == 0);
	free(text);
}

static void
test_malformed(void)
{
	uint8_t bad[sizeof(answer)];
	size_t cut;
	int rc;

	for (cut = 0; cut < sizeof(answer); cut++) {
		free(printed(answer, cut, &rc));
		if (rc != -1)
			break;
	}
	CHECK("every cut answer is malformed", cut == sizeof(answer));
	memcpy(bad, answer, sizeof(bad));
	bad[34] = 0xc0;		/* the A record's owner points at itself */
	bad[35] = 34;
	free(printed(bad, sizeof(bad), &rc));
	CHECK("a pointer loop is malformed", rc == -1);
	memcpy(bad, answer, sizeof(bad));
	bad[45] = 5;		/* A rdata of 5 bytes */
	free(printed(bad, sizeof(bad), &rc));
	CHECK("an A record of 5 bytes is malformed", rc == -1);
}

static void
test_names(void)
{
	char buf[16];

	CHECK("type AAAA (any case)", dnstext_type_number("aaaa") == 28);
	CHECK("type TYPE65", dnstext_type_number("TYPE65") == 65);
	CHECK("type TYPE70000 refused", dnstext_type_number("TYPE70000") ==
	    -1);
	CHECK("type BOGUS refused", dnstext_type_number("BOGUS") == -1);
	CHECK("type TYPE refused", dnstext_type_number("TYPE") == -1);
	CHECK("name of 65", strcmp(dnstext_type_name(65, buf), "HTTPS") == 0);
	CHECK("name of 999", strcmp(dnstext_type_name(999, buf), "TYPE999") ==
	    0);
	CHECK("rcode 3", strcmp(dnstext_rcode_name(3, buf), "NXDOMAIN") == 0);
	CHECK("rcode 15", strcmp(dnstext_rcode_name(15, buf), "RCODE15") == 0);
}

int
main(void)
{
	test_print();
	test_malformed();
	test_names();
	return CHECK_DONE();
}
