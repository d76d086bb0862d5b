/* SPDX-License-Identifier: ISC */
/*
 * DNS wire-format helpers. Every function takes untrusted bytes with their
 * length, checks bounds before each read, and writes only into the caller's
 * buffer (out, cap). Sizes returned are 0 on failure.
 */
#ifndef CTSTUB_DNSMSG_H
#define CTSTUB_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN		12
/* Header flag bits (the second 16-bit word). */
#define DNS_FLAG_QR		0x8000
#define DNS_FLAG_OPCODE		0x7800
#define DNS_FLAG_TC		0x0200
#define DNS_FLAG_RD		0x0100
#define DNS_FLAG_RA		0x0080
#define DNS_FLAG_AD		0x0020
#define DNS_FLAG_CD		0x0010
#define DNS_MAX_MSG		65535
#define DNS_MIN_UDP		512
#define DNS_OUR_UDP		1232	/* default max-udp-size (DNS flag day 2020) */
#define DNS_PAD_BLOCK		128	/* RFC 8467 block-length padding */

#define DNS_RCODE_NOERROR	0
#define DNS_RCODE_FORMERR	1
#define DNS_RCODE_SERVFAIL	2
#define DNS_RCODE_NXDOMAIN	3
#define DNS_RCODE_NOTIMP	4
#define DNS_RCODE_REFUSED	5
#define DNS_RCODE_BADVERS	16	/* extended: needs an OPT RR (RFC 6891) */

#define DNS_TYPE_OPT		41
#define DNS_EDNS_PADDING	12
#define DNS_EDNS_EDE		15
#define DNS_EDE_TEXT_MAX	300	/* longest EDE text we send */
/* The largest error answer: header, question, OPT, EDE option. */
#define DNS_ERROR_MAX	(DNS_HEADER_LEN + 255 + 4 + 11 + 6 + DNS_EDE_TEXT_MAX)

/* RFC 8914 info codes we send */
#define DNS_EDE_OTHER		0
#define DNS_EDE_STALE		3
#define DNS_EDE_NOT_READY	14
#define DNS_EDE_NO_REACHABLE	22
#define DNS_EDE_NETWORK		23

/* What a client query says about itself. */
struct dnsmsg_query {
	uint16_t id;
	uint16_t flags;
	uint16_t qtype;
	uint16_t qclass;
	size_t question_end;	/* offset just past the question */
	int has_edns;
	int dnssec_ok;
	uint8_t edns_version;
	uint16_t client_udp;	/* the client's EDNS size, 512 without EDNS */
	uint16_t udp_size;	/* largest UDP answer: client_udp, <= our_udp */
	uint16_t our_udp;	/* what our OPT RRs advertise (max-udp-size) */
};

/* Result of dnsmsg_parse_query beyond rcodes. */
#define DNSMSG_DROP (-1)	/* not worth an answer (too short, a response) */

/*
 * Checks a client query. Returns DNS_RCODE_NOERROR when q is filled,
 * DNSMSG_DROP, or an rcode (FORMERR, NOTIMP, BADVERS for an EDNS version
 * above 0) to answer with. q->our_udp starts at DNS_OUR_UDP.
 */
int dnsmsg_parse_query(const uint8_t *msg, size_t len, struct dnsmsg_query *q);

/* Our own UDP limit (max-udp-size): caps q->udp_size, sets q->our_udp. */
void dnsmsg_limit_udp(struct dnsmsg_query *q, uint16_t ours);

/*
 * The query we send upstream: our id, the client's question, RD/CD bits,
 * an OPT RR with the client's DO bit and padding to DNS_PAD_BLOCK.
 */
size_t dnsmsg_upstream_query(const uint8_t *msg, const struct dnsmsg_query *q,
    uint16_t id, uint8_t *out, size_t cap);

/*
 * Checks an upstream response against the query we sent (QR set, opcode,
 * same question). Returns 0, or -1 with a static reason in *why.
 */
int dnsmsg_check_response(const uint8_t *resp, size_t len,
    const uint8_t *query, size_t qlen, const char **why);

/*
 * The answer for the client whose query is msg (parsed into q): its id,
 * its own question bytes (case), its RD and CD bits, AD only when it set
 * AD or DO (RFC 6840 5.8), its EDNS (our OPT without padding, or none;
 * the upstream's OPT may be anywhere in the additional section), truncated
 * with TC to max_size. resp must have the same question in any case.
 * Returns the size or 0 when the response is malformed.
 */
size_t dnsmsg_client_response(const uint8_t *resp, size_t len,
    const uint8_t *msg, const struct dnsmsg_query *q, size_t max_size,
    uint8_t *out, size_t cap);

/*
 * An error answer (SERVFAIL, FORMERR, BADVERS...) to a client query, with
 * an Extended DNS Error when the client sent EDNS and ede_text is not
 * NULL. q may be NULL when the question could not be parsed. The EDE text
 * is cut (never inside a UTF-8 sequence) so that the whole answer fits
 * q->udp_size and DNS_EDE_TEXT_MAX.
 */
size_t dnsmsg_error_response(const uint8_t *msg, size_t len,
    const struct dnsmsg_query *q, int rcode, int ede_code,
    const char *ede_text, uint8_t *out, size_t cap);

/*
 * For caching: clamps every TTL (not OPT) of a response into [min, max]
 * in place and says how long the answer may be kept: the smallest TTL of
 * all its records, and when the authority section has a SOA (NXDOMAIN,
 * NODATA, also behind a CNAME) at most the SOA's min(TTL, MINIMUM)
 * (RFC 2308). Returns 0, or -1 when the answer must not be cached
 * (malformed, truncated, an error rcode, a negative answer without SOA).
 */
int dnsmsg_cacheable(uint8_t *msg, size_t len, uint32_t min, uint32_t max,
    uint32_t *lifetime);
/*
 * cache-min-ttl / cache-max-ttl on an answer served straight from the
 * upstream: the same TTL bounds as the copy the cache keeps, applied in
 * place to answers the cache would keep (others are left as they are).
 */
void dnsmsg_clamp_ttls(uint8_t *msg, size_t len, uint32_t min, uint32_t max);
/* Subtracts age seconds from every TTL (not OPT), stopping at 0. */
void dnsmsg_age_ttls(uint8_t *msg, size_t len, uint32_t age);
/* Sets every TTL (not OPT) to ttl: stale answers (RFC 8767). */
void dnsmsg_set_ttls(uint8_t *msg, size_t len, uint32_t ttl);
/*
 * Appends an Extended DNS Error to the OPT RR, which must be the last
 * record (as dnsmsg_client_response makes it), its text cut to fit cap.
 * Returns the new size, or len unchanged when there is no OPT or no room.
 */
size_t dnsmsg_add_ede(uint8_t *msg, size_t len, size_t cap, int code,
    const char *text);
/* The response code (low 4 bits). */
int dnsmsg_rcode(const uint8_t *msg, size_t len);

/*
 * ASCII lower case for name bytes (RFC 4343): label length bytes (< 64)
 * stay as they are; no locale, and cheap on the per-query path.
 */
static inline uint8_t
dnsmsg_fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

uint16_t dnsmsg_get16(const uint8_t *p);
void dnsmsg_put16(uint8_t *p, uint16_t v);
/* Offset just past the (possibly compressed) name at off, or 0. */
size_t dnsmsg_skip_name(const uint8_t *msg, size_t len, size_t off);
/* Offset just past the resource record at off, or 0. */
size_t dnsmsg_skip_rr(const uint8_t *msg, size_t len, size_t off);
/*
 * A recursive query for name (text, "." for the root) and type, class IN,
 * with an OPT RR advertising 4096 bytes: its length, 0 for a bad name or
 * when it does not fit cap.
 */
size_t dnsmsg_make_query(const char *name, uint16_t type, uint8_t *out,
    size_t cap);
/* The question's name in presentation form (c-ares), for logs. */
int dnsmsg_question_name(const uint8_t *msg, size_t len, char *out,
    size_t cap);

#endif
