/* SPDX-License-Identifier: ISC */
/* Unit tests for the DNS wire-format helpers. */
#include <string.h>

#include "check.h"
#include "dnsmsg.h"

/* Builds a query for www.example.test A; edns: add an OPT with size. */
static size_t
make_query(uint8_t *buf, uint16_t id, int edns, uint16_t size, int dnssec)
{
	static const uint8_t question[] = { 3, 'w', 'w', 'w', 7, 'e', 'x',
	    'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
	size_t n = DNS_HEADER_LEN;

	memset(buf, 0, DNS_HEADER_LEN);
	dnsmsg_put16(buf, id);
	dnsmsg_put16(buf + 2, 0x0100);	/* RD */
	dnsmsg_put16(buf + 4, 1);
	memcpy(buf + n, question, sizeof(question));
	n += sizeof(question);
	if (edns) {
		dnsmsg_put16(buf + 10, 1);
		buf[n] = 0;
		dnsmsg_put16(buf + n + 1, DNS_TYPE_OPT);
		dnsmsg_put16(buf + n + 3, size);
		memset(buf + n + 5, 0, 6);
		if (dnssec)
			buf[n + 7] = 0x80;
		n += 11;
	}
	return n;
}

/* A response to q with count A records of 16 bytes each, plus OPT. */
static size_t
make_response(uint8_t *buf, const uint8_t *q, size_t qend, int count,
    int opt_padding)
{
	size_t n = qend;
	int i;

	memcpy(buf, q, qend);
	dnsmsg_put16(buf + 2, 0x8180);
	dnsmsg_put16(buf + 6, (uint16_t)count);
	dnsmsg_put16(buf + 10, 0);
	for (i = 0; i < count; i++) {
		static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 1,
		    0x2c, 0, 4, 192, 0, 2, 10 };

		memcpy(buf + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	if (opt_padding >= 0) {
		dnsmsg_put16(buf + 10, 1);
		buf[n] = 0;
		dnsmsg_put16(buf + n + 1, DNS_TYPE_OPT);
		dnsmsg_put16(buf + n + 3, 4096);
		memset(buf + n + 5, 0, 4);
		dnsmsg_put16(buf + n + 9, (uint16_t)(4 + opt_padding));
		dnsmsg_put16(buf + n + 11, DNS_EDNS_PADDING);
		dnsmsg_put16(buf + n + 13, (uint16_t)opt_padding);
		memset(buf + n + 15, 0, (size_t)opt_padding);
		n += 15 + (size_t)opt_padding;
	}
	return n;
}

static void
test_parse_query(void)
{
	uint8_t buf[512];
	struct dnsmsg_query q;
	size_t n = make_query(buf, 0x1234, 1, 4096, 1);

	CHECK("parse: EDNS query accepted",
	    dnsmsg_parse_query(buf, n, &q) == DNS_RCODE_NOERROR);
	CHECK("parse: id, type, class", q.id == 0x1234 && q.qtype == 1 &&
	    q.qclass == 1);
	CHECK("parse: EDNS size and DO", q.has_edns && q.udp_size == 4096 &&
	    q.dnssec_ok);
	n = make_query(buf, 1, 0, 0, 0);
	CHECK("parse: no EDNS means 512", dnsmsg_parse_query(buf, n, &q) ==
	    DNS_RCODE_NOERROR && !q.has_edns && q.udp_size == 512);
	n = make_query(buf, 1, 1, 100, 0);
	CHECK("parse: EDNS size below 512 is raised",
	    dnsmsg_parse_query(buf, n, &q) == 0 && q.udp_size == 512);
	CHECK("parse: short message dropped",
	    dnsmsg_parse_query(buf, 11, &q) == DNSMSG_DROP);
	buf[2] |= 0x80;
	CHECK("parse: a response is dropped",
	    dnsmsg_parse_query(buf, n, &q) == DNSMSG_DROP);
	buf[2] = 0x28;	/* opcode UPDATE */
	CHECK("parse: other opcodes NOTIMP",
	    dnsmsg_parse_query(buf, n, &q) == DNS_RCODE_NOTIMP);
	n = make_query(buf, 1, 0, 0, 0);
	dnsmsg_put16(buf + 4, 2);
	CHECK("parse: two questions FORMERR",
	    dnsmsg_parse_query(buf, n, &q) == DNS_RCODE_FORMERR);
	n = make_query(buf, 1, 0, 0, 0);
	CHECK("parse: cut question FORMERR",
	    dnsmsg_parse_query(buf, n - 3, &q) == DNS_RCODE_FORMERR);
	buf[12] = 0xc0;
	CHECK("parse: compressed question FORMERR",
	    dnsmsg_parse_query(buf, n, &q) == DNS_RCODE_FORMERR);
	n = make_query(buf, 1, 1, 1232, 0);
	dnsmsg_put16(buf + 10, 2);
	CHECK("parse: missing additional record FORMERR",
	    dnsmsg_parse_query(buf, n, &q) == DNS_RCODE_FORMERR);
}

static void
test_upstream_query(void)
{
	uint8_t buf[512], out[1024];
	struct dnsmsg_query q;
	size_t n = make_query(buf, 0x1234, 0, 0, 0), m;

	dnsmsg_parse_query(buf, n, &q);
	m = dnsmsg_upstream_query(buf, &q, 7, out, sizeof(out));
	CHECK("upstream query: padded to 128", m == 128);
	CHECK("upstream query: our id", dnsmsg_get16(out) == 7);
	CHECK("upstream query: RD kept", (dnsmsg_get16(out + 2) & 0x0100));
	CHECK("upstream query: one OPT", dnsmsg_get16(out + 10) == 1);
	CHECK("upstream query: padding option",
	    dnsmsg_get16(out + 34 + 11) == DNS_EDNS_PADDING);
	CHECK("upstream query: too small a buffer",
	    dnsmsg_upstream_query(buf, &q, 7, out, 100) == 0);
	n = make_query(buf, 1, 1, 4096, 1);
	dnsmsg_parse_query(buf, n, &q);
	m = dnsmsg_upstream_query(buf, &q, 9, out, sizeof(out));
	CHECK("upstream query: DO bit carried", m == 128 &&
	    (out[34 + 7] & 0x80));
}

static void
test_responses(void)
{
	uint8_t qbuf[512], rbuf[4096], out[4096];
	struct dnsmsg_query q;
	const char *why;
	size_t n = make_query(qbuf, 0x4242, 0, 0, 0), r, m;

	dnsmsg_parse_query(qbuf, n, &q);
	r = make_response(rbuf, qbuf, q.question_end, 2, 100);
	dnsmsg_put16(rbuf, 5);
	CHECK("response: check accepts", dnsmsg_check_response(rbuf, r, qbuf,
	    n, &why) == 0);
	m = dnsmsg_client_response(rbuf, r, &q, 512, out, sizeof(out));
	CHECK("response: client id restored", m > 0 &&
	    dnsmsg_get16(out) == 0x4242);
	CHECK("response: OPT removed for a client without EDNS",
	    m == q.question_end + 32 && dnsmsg_get16(out + 10) == 0);
	r = make_response(rbuf, qbuf, q.question_end, 40, -1);
	m = dnsmsg_client_response(rbuf, r, &q, 512, out, sizeof(out));
	CHECK("response: truncated with TC over 512",
	    m == q.question_end && (out[2] & 0x02) &&
	    dnsmsg_get16(out + 6) == 0);
	m = dnsmsg_client_response(rbuf, r, &q, 65535, out, sizeof(out));
	CHECK("response: whole over TCP", m == r && !(out[2] & 0x02));

	n = make_query(qbuf, 0x4242, 1, 1232, 0);
	dnsmsg_parse_query(qbuf, n, &q);
	r = make_response(rbuf, qbuf, q.question_end, 1, 200);
	m = dnsmsg_client_response(rbuf, r, &q, 1232, out, sizeof(out));
	CHECK("response: padding stripped for an EDNS client",
	    m == q.question_end + 16 + 11 && dnsmsg_get16(out + 10) == 1);

	rbuf[13] = 'X';
	CHECK("response: other question refused",
	    dnsmsg_check_response(rbuf, r, qbuf, n, &why) == -1 && why);
	rbuf[13] = 'W';
	CHECK("response: question case ignored",
	    dnsmsg_check_response(rbuf, r, qbuf, n, &why) == 0);
	rbuf[2] &= 0x7f;
	CHECK("response: QR clear refused",
	    dnsmsg_check_response(rbuf, r, qbuf, n, &why) == -1);
	CHECK("response: truncated message refused",
	    dnsmsg_client_response(rbuf, r - 20, &q, 1232, out,
	    sizeof(out)) == 0);
}

static void
test_error_response(void)
{
	uint8_t qbuf[512], out[1024];
	struct dnsmsg_query q;
	size_t n = make_query(qbuf, 0x99, 1, 1232, 0), m;
	const char *text = "upstream rejected";

	dnsmsg_parse_query(qbuf, n, &q);
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, text, out, sizeof(out));
	CHECK("error: SERVFAIL with question", m > q.question_end &&
	    (out[3] & 0x0f) == 2 && dnsmsg_get16(out + 4) == 1 &&
	    dnsmsg_get16(out) == 0x99);
	CHECK("error: EDE option with text",
	    dnsmsg_get16(out + q.question_end + 11) == DNS_EDNS_EDE &&
	    dnsmsg_get16(out + q.question_end + 15) == DNS_EDE_NO_REACHABLE &&
	    memcmp(out + q.question_end + 17, text, strlen(text)) == 0);
	n = make_query(qbuf, 0x99, 0, 0, 0);
	dnsmsg_parse_query(qbuf, n, &q);
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, text, out, sizeof(out));
	CHECK("error: no EDE without EDNS", m == q.question_end &&
	    dnsmsg_get16(out + 10) == 0);
	m = dnsmsg_error_response(qbuf, 5, NULL, DNS_RCODE_FORMERR, 0, NULL,
	    out, sizeof(out));
	CHECK("error: header only without question", m == DNS_HEADER_LEN &&
	    (out[3] & 0x0f) == 1);
}

static void
test_names(void)
{
	uint8_t buf[512];
	char name[256];
	size_t n = make_query(buf, 1, 0, 0, 0);
	static const uint8_t loop[] = { 0xc0, 0 };

	CHECK("name: presentation form", dnsmsg_question_name(buf, n, name,
	    sizeof(name)) == 0 && strcmp(name, "www.example.test") == 0);
	CHECK("name: skip", dnsmsg_skip_name(buf, n, 12) == 30);
	CHECK("name: pointer is two bytes", dnsmsg_skip_name(loop, 2, 0) == 2);
	CHECK("name: cut pointer", dnsmsg_skip_name(loop, 1, 0) == 0);
	CHECK("name: cut label", dnsmsg_skip_name(buf, 20, 12) == 0);
}

int
main(void)
{
	test_parse_query();
	test_upstream_query();
	test_responses();
	test_error_response();
	test_names();
	return CHECK_DONE();
}
