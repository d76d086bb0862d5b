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
	CHECK("parse: EDNS size and DO", q.has_edns && q.client_udp == 4096 &&
	    q.udp_size == DNS_OUR_UDP && q.dnssec_ok);
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
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 512, out, sizeof(out));
	CHECK("response: client id restored", m > 0 &&
	    dnsmsg_get16(out) == 0x4242);
	CHECK("response: OPT removed for a client without EDNS",
	    m == q.question_end + 32 && dnsmsg_get16(out + 10) == 0);
	r = make_response(rbuf, qbuf, q.question_end, 40, -1);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 512, out, sizeof(out));
	CHECK("response: truncated with TC over 512",
	    m == q.question_end && (out[2] & 0x02) &&
	    dnsmsg_get16(out + 6) == 0);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 65535, out, sizeof(out));
	CHECK("response: whole over TCP", m == r && !(out[2] & 0x02));

	n = make_query(qbuf, 0x4242, 1, 1232, 0);
	dnsmsg_parse_query(qbuf, n, &q);
	r = make_response(rbuf, qbuf, q.question_end, 1, 200);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 1232, out, sizeof(out));
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
	    dnsmsg_client_response(rbuf, r - 20, qbuf, &q, 1232, out,
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

/* A query for a name of total wire length total (with the root). */
static size_t
make_long_query(uint8_t *buf, size_t total)
{
	size_t n = DNS_HEADER_LEN, left = total - 1;

	memset(buf, 0, DNS_HEADER_LEN);
	dnsmsg_put16(buf + 4, 1);
	while (left > 0) {
		size_t l = left - 1 > 63 ? 63 : left - 1;

		buf[n] = (uint8_t)l;
		memset(buf + n + 1, 'a', l);
		n += l + 1;
		left -= l + 1;
	}
	buf[n++] = 0;
	dnsmsg_put16(buf + n, 1);
	dnsmsg_put16(buf + n + 2, 1);
	return n + 4;
}

/* The EDE text length in an error answer at off (the OPT), or -1. */
static int
ede_text_len(const uint8_t *out, size_t m, size_t opt)
{
	if (m < opt + 11 + 6 || dnsmsg_get16(out + opt + 11) != DNS_EDNS_EDE)
		return -1;
	if (dnsmsg_get16(out + opt + 9) != m - opt - 11 ||
	    dnsmsg_get16(out + opt + 13) != m - opt - 15)
		return -1;	/* OPT and option lengths disagree */
	return (int)(m - opt - 17);
}

static void
test_long_reason(void)
{
	uint8_t qbuf[512], out[2048];
	char text[401], utf8[401];
	struct dnsmsg_query q;
	size_t n = make_query(qbuf, 0x99, 1, 4096, 0), m, i;

	memset(text, 'r', 400);
	text[400] = '\0';
	dnsmsg_parse_query(qbuf, n, &q);
	/* 304-byte stack buffer, 306 bytes copied: ASan aborted here */
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, text, out, sizeof(out));
	CHECK("long reason: cut to DNS_EDE_TEXT_MAX",
	    ede_text_len(out, m, q.question_end) == DNS_EDE_TEXT_MAX);
	n = make_long_query(qbuf, 255);	/* 271 + 17 + 300 > 512 */
	memcpy(qbuf + n, "\0\0\x29\x02\0\0\0\0\0\0\0", 11);	/* OPT 512 */
	dnsmsg_put16(qbuf + 10, 1);
	n += 11;
	CHECK("long reason: a 255-octet name with EDNS 512",
	    dnsmsg_parse_query(qbuf, n, &q) == 0 && q.udp_size == 512);
	dnsmsg_limit_udp(&q, 65535);
	q.udp_size = 65535;	/* as over TCP: only DNS_ERROR_MAX bounds it */
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, text, out, sizeof(out));
	CHECK("long reason: the largest error answer is DNS_ERROR_MAX",
	    m == DNS_ERROR_MAX && ede_text_len(out, m, q.question_end) ==
	    DNS_EDE_TEXT_MAX);
	dnsmsg_limit_udp(&q, DNS_OUR_UDP);
	q.udp_size = 512;
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, text, out, sizeof(out));
	CHECK("long reason: whole answer within the client's 512",
	    m == 512 && ede_text_len(out, m, q.question_end) ==
	    (int)(512 - q.question_end - 17));
	for (i = 0; i + 2 <= 400; i += 2)
		memcpy(utf8 + i, "\xc3\xa9", 2);	/* U+00E9, two bytes */
	utf8[400] = '\0';
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, utf8, out, sizeof(out));
	CHECK("long reason: not cut inside a UTF-8 character", m <= 512 &&
	    ede_text_len(out, m, q.question_end) % 2 == 0 &&
	    ede_text_len(out, m, q.question_end) >= 2);
	n = make_query(qbuf, 0x99, 1, 1232, 0);
	dnsmsg_parse_query(qbuf, n, &q);
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_SERVFAIL,
	    DNS_EDE_NO_REACHABLE, text, out, 200);
	CHECK("long reason: cut to the buffer too", m > 0 && m <= 200);
	/* the stale path's EDE appender */
	n = make_query(qbuf, 0x99, 1, 1232, 0);
	dnsmsg_parse_query(qbuf, n, &q);
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_NOERROR, 0, NULL,
	    out, sizeof(out));
	CHECK("long reason: add_ede cut to DNS_EDE_TEXT_MAX",
	    ede_text_len(out, dnsmsg_add_ede(out, m, sizeof(out),
	    DNS_EDE_STALE, text), q.question_end) == DNS_EDE_TEXT_MAX);
	m = dnsmsg_error_response(qbuf, n, &q, DNS_RCODE_NOERROR, 0, NULL,
	    out, sizeof(out));
	m = dnsmsg_add_ede(out, m, 200, DNS_EDE_STALE, text);
	CHECK("long reason: add_ede cut to its room", m == 200 &&
	    ede_text_len(out, m, q.question_end) > 0);
}

static void
test_badvers(void)
{
	uint8_t qbuf[512], out[1024];
	struct dnsmsg_query q;
	size_t n = make_query(qbuf, 0x77, 1, 1232, 0), m;
	int rc;

	qbuf[n - 5] = 1;	/* EDNS version 1 */
	rc = dnsmsg_parse_query(qbuf, n, &q);
	CHECK("EDNS version 1: BADVERS", rc == DNS_RCODE_BADVERS);
	m = dnsmsg_error_response(qbuf, n, &q, rc, 0, NULL, out, sizeof(out));
	CHECK("BADVERS: header rcode 0, extended rcode 1 in an OPT",
	    m == q.question_end + 11 && (out[3] & 0x0f) == 0 &&
	    dnsmsg_get16(out + 10) == 1 &&
	    dnsmsg_get16(out + q.question_end + 1) == DNS_TYPE_OPT &&
	    out[q.question_end + 5] == 1 && out[q.question_end + 6] == 0);
	qbuf[n - 5] = 0;
	CHECK("EDNS version 0 accepted", dnsmsg_parse_query(qbuf, n, &q) ==
	    DNS_RCODE_NOERROR);
}

static void
test_udp_limit(void)
{
	uint8_t qbuf[512], rbuf[4096], out[4096];
	struct dnsmsg_query q;
	size_t n = make_query(qbuf, 1, 1, 4096, 0), r, m;

	dnsmsg_parse_query(qbuf, n, &q);
	CHECK("udp: a 4096 client gets our default 1232",
	    q.udp_size == DNS_OUR_UDP && q.client_udp == 4096);
	dnsmsg_limit_udp(&q, 1400);
	CHECK("udp: max-udp-size 1400", q.udp_size == 1400 &&
	    q.our_udp == 1400);
	dnsmsg_limit_udp(&q, 65535);
	CHECK("udp: max-udp-size 65535 leaves the client's",
	    q.udp_size == 4096);
	r = make_response(rbuf, qbuf, q.question_end, 100, -1);	/* 1630 */
	dnsmsg_limit_udp(&q, 1232);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, q.udp_size, out,
	    sizeof(out));
	CHECK("udp: 1630 bytes over 1232 get TC", m > 0 && m <= 1232 &&
	    (out[2] & 0x02) && dnsmsg_get16(out + 6) == 0);
	CHECK("udp: our OPT advertises max-udp-size",
	    dnsmsg_get16(out + q.question_end + 3) == 1232);
	n = make_query(qbuf, 1, 0, 0, 0);
	dnsmsg_parse_query(qbuf, n, &q);
	dnsmsg_limit_udp(&q, 4096);
	CHECK("udp: 512 without EDNS", q.udp_size == 512);
}

static void
test_name_limit(void)
{
	uint8_t buf[600];
	struct dnsmsg_query q;
	size_t n = make_long_query(buf, 255);

	CHECK("name of 255 octets accepted", n == 12 + 255 + 4 &&
	    dnsmsg_parse_query(buf, n, &q) == DNS_RCODE_NOERROR);
	n = make_long_query(buf, 256);
	CHECK("name of 256 octets FORMERR", n == 12 + 256 + 4 &&
	    dnsmsg_parse_query(buf, n, &q) == DNS_RCODE_FORMERR);
}

/* The client's question case, RD, CD; AD by RFC 6840 5.8. */
static void
test_client_echo(void)
{
	uint8_t qbuf[512], rbuf[1024], out[1024];
	struct dnsmsg_query q;
	size_t n = make_query(qbuf, 0x4242, 0, 0, 0), r, m;

	dnsmsg_parse_query(qbuf, n, &q);
	r = make_response(rbuf, qbuf, q.question_end, 1, -1);
	dnsmsg_put16(rbuf + 2, 0x81a0);		/* QR RD RA AD */
	memcpy(qbuf + 12, "\x03WwW\x07" "eXaMpLe\x04TEST", 18);
	dnsmsg_put16(qbuf + 2, 0x0010);		/* RD=0 CD=1 */
	dnsmsg_parse_query(qbuf, n, &q);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 512, out, sizeof(out));
	CHECK("echo: the client's question bytes", m == r &&
	    memcmp(out + 12, qbuf + 12, q.question_end - 12) == 0);
	CHECK("echo: the client's RD=0 and CD=1",
	    !(out[2] & 0x01) && (out[3] & 0x10));
	CHECK("echo: AD cleared for a client without AD or DO",
	    !(out[3] & 0x20) && (out[3] & 0x80));
	dnsmsg_put16(qbuf + 2, 0x0120);		/* RD AD */
	dnsmsg_parse_query(qbuf, n, &q);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 512, out, sizeof(out));
	CHECK("echo: AD kept for a client that set AD", m == r &&
	    (out[3] & 0x20) && (out[2] & 0x01) && !(out[3] & 0x10));
	n = make_query(qbuf, 0x4242, 1, 1232, 1);
	dnsmsg_put16(qbuf + 2, 0x0100);
	dnsmsg_parse_query(qbuf, n, &q);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 1232, out, sizeof(out));
	CHECK("echo: AD kept for a DO client", m > 0 && (out[3] & 0x20));
	rbuf[13] ^= 0x01;	/* 'w' -> 'v': another name */
	CHECK("echo: another question refused", dnsmsg_client_response(rbuf,
	    r, qbuf, &q, 1232, out, sizeof(out)) == 0);
}

/*
 * OPT in the middle of the additional section, records after it whose
 * names point at each other: moved up, pointers fixed.
 */
static void
test_opt_not_last(void)
{
	uint8_t qbuf[512], rbuf[1024], out[1024];
	struct dnsmsg_query q;
	size_t n = make_query(qbuf, 1, 1, 1232, 0), r, m, opt, ns, a2;
	static const uint8_t ns_rr[] = { 2, 'n', 's', 0xc0, 12, 0, 1, 0, 1,
	    0, 0, 0, 60, 0, 4, 192, 0, 2, 53 };

	dnsmsg_parse_query(qbuf, n, &q);
	r = make_response(rbuf, qbuf, q.question_end, 1, 16);
	opt = q.question_end + 16;
	ns = r;					/* ns.<qname> A */
	memcpy(rbuf + r, ns_rr, sizeof(ns_rr));
	r += sizeof(ns_rr);
	a2 = r;					/* pointer to ns.<qname> */
	rbuf[r++] = (uint8_t)(0xc0 | ns >> 8);
	rbuf[r++] = (uint8_t)ns;
	memcpy(rbuf + r, ns_rr + 5, sizeof(ns_rr) - 5);
	r += sizeof(ns_rr) - 5;
	dnsmsg_put16(rbuf + 10, 3);
	m = dnsmsg_client_response(rbuf, r, qbuf, &q, 1232, out, sizeof(out));
	CHECK("OPT not last: accepted, our OPT last, three additional",
	    m == r - (ns - opt) + 11 && dnsmsg_get16(out + 10) == 3 &&
	    dnsmsg_get16(out + m - 11 + 1) == DNS_TYPE_OPT);
	CHECK("OPT not last: records moved up, pointer fixed",
	    memcmp(out + opt, ns_rr, sizeof(ns_rr)) == 0 &&
	    (dnsmsg_get16(out + a2 - (ns - opt)) & 0x3fff) == opt);
	rbuf[a2] = 0xc0;
	rbuf[a2 + 1] = (uint8_t)(opt + 1);	/* into the OPT RR */
	CHECK("OPT not last: a pointer into the OPT refused",
	    dnsmsg_client_response(rbuf, r, qbuf, &q, 1232, out,
	    sizeof(out)) == 0);
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
	test_long_reason();
	test_badvers();
	test_udp_limit();
	test_name_limit();
	test_client_echo();
	test_opt_not_last();
	test_names();
	return CHECK_DONE();
}
