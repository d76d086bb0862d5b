/* SPDX-License-Identifier: ISC */
/* DNS wire-format helpers: bounds-checked reads, writes into caller buffers. */
#include <stdio.h>
#include <string.h>

#include <ares.h>

#include "dnsmsg.h"

#define EDNS_DO		0x8000
#define OPT_FIXED_LEN	11	/* root name, type, class, ttl, rdlength */
#define EDE_FIXED_LEN	6	/* option code, length, info code */
#define MAX_NAME_WIRE	255
#define TYPE_IXFR	251
#define TYPE_AXFR	252

enum { HDR_ID = 0, HDR_FLAGS = 2, HDR_QD = 4, HDR_AN = 6, HDR_NS = 8,
    HDR_AR = 10 };

uint16_t
dnsmsg_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void
dnsmsg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t
dnsmsg_skip_name(const uint8_t *msg, size_t len, size_t off)
{
	size_t wire = 0;

	while (off < len) {
		uint8_t l = msg[off];

		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l & 0xc0)
			return 0;	/* reserved label types */
		wire += l + 1;
		if (wire > MAX_NAME_WIRE)
			return 0;
		off += l + 1;
		if (l == 0)
			return off <= len ? off : 0;
	}
	return 0;
}

size_t
dnsmsg_skip_rr(const uint8_t *msg, size_t len, size_t off)
{
	off = dnsmsg_skip_name(msg, len, off);
	if (off == 0 || off + 10 > len)
		return 0;
	off += 10 + dnsmsg_get16(msg + off + 8);
	return off <= len ? off : 0;
}

/* Offset past the question without compression (a query's question). */
static size_t
skip_plain_question(const uint8_t *msg, size_t len)
{
	size_t off = DNS_HEADER_LEN;

	while (off < len && msg[off] != 0) {
		if (msg[off] & 0xc0)
			return 0;
		off += msg[off] + 1;
		/* the root label still follows: 255 octets in all at most */
		if (off - DNS_HEADER_LEN >= MAX_NAME_WIRE)
			return 0;
	}
	off += 1 + 4;
	return off <= len ? off : 0;
}

static void
read_opt(const uint8_t *rr, struct dnsmsg_query *q)
{
	uint16_t size = dnsmsg_get16(rr + 3);

	q->has_edns = 1;
	q->client_udp = size < DNS_MIN_UDP ? DNS_MIN_UDP : size;
	q->edns_version = rr[6];
	q->dnssec_ok = (dnsmsg_get16(rr + 7) & EDNS_DO) != 0;
}

/* Walks answer, authority and additional; notes the OPT RR. */
static int
parse_query_records(const uint8_t *msg, size_t len, struct dnsmsg_query *q)
{
	unsigned count = dnsmsg_get16(msg + HDR_AN) +
	    dnsmsg_get16(msg + HDR_NS);
	unsigned extra = dnsmsg_get16(msg + HDR_AR);
	size_t off = q->question_end, next;
	unsigned i;

	for (i = 0; i < count + extra; i++) {
		next = dnsmsg_skip_rr(msg, len, off);
		if (next == 0)
			return -1;
		if (i >= count && msg[off] == 0 &&
		    dnsmsg_get16(msg + off + 1) == DNS_TYPE_OPT) {
			if (q->has_edns)
				return -1;	/* two OPT RRs */
			read_opt(msg + off, q);
		}
		off = next;
	}
	return 0;
}

int
dnsmsg_parse_query(const uint8_t *msg, size_t len, struct dnsmsg_query *q)
{
	memset(q, 0, sizeof(*q));
	if (len < DNS_HEADER_LEN)
		return DNSMSG_DROP;
	q->id = dnsmsg_get16(msg + HDR_ID);
	q->flags = dnsmsg_get16(msg + HDR_FLAGS);
	q->client_udp = q->udp_size = DNS_MIN_UDP;
	q->our_udp = DNS_OUR_UDP;
	if (q->flags & DNS_FLAG_QR)
		return DNSMSG_DROP;
	if (q->flags & DNS_FLAG_OPCODE)
		return DNS_RCODE_NOTIMP;
	if (dnsmsg_get16(msg + HDR_QD) != 1)
		return DNS_RCODE_FORMERR;
	q->question_end = skip_plain_question(msg, len);
	if (q->question_end == 0)
		return DNS_RCODE_FORMERR;
	q->qtype = dnsmsg_get16(msg + q->question_end - 4);
	q->qclass = dnsmsg_get16(msg + q->question_end - 2);
	if (parse_query_records(msg, len, q) == -1) {
		q->has_edns = 0;
		return DNS_RCODE_FORMERR;
	}
	dnsmsg_limit_udp(q, DNS_OUR_UDP);
	if (q->has_edns && q->edns_version > 0)
		return DNS_RCODE_BADVERS;
	if (q->qtype == TYPE_AXFR || q->qtype == TYPE_IXFR)
		return DNS_RCODE_NOTIMP;
	return DNS_RCODE_NOERROR;
}

void
dnsmsg_limit_udp(struct dnsmsg_query *q, uint16_t ours)
{
	if (ours < DNS_MIN_UDP)
		ours = DNS_MIN_UDP;
	q->our_udp = ours;
	q->udp_size = q->client_udp < ours ? q->client_udp : ours;
}

/* Appends an OPT RR with the given TTL field and options; 0 if no room. */
static size_t
put_opt(uint8_t *out, size_t cap, uint16_t udp, const uint8_t ttl[4],
    const uint8_t *opts, size_t optlen)
{
	if (OPT_FIXED_LEN + optlen > cap || optlen > 0xffff)
		return 0;
	out[0] = 0;
	dnsmsg_put16(out + 1, DNS_TYPE_OPT);
	dnsmsg_put16(out + 3, udp);
	memcpy(out + 5, ttl, 4);
	dnsmsg_put16(out + 9, (uint16_t)optlen);
	if (optlen)
		memcpy(out + OPT_FIXED_LEN, opts, optlen);
	return OPT_FIXED_LEN + optlen;
}

size_t
dnsmsg_upstream_query(const uint8_t *msg, const struct dnsmsg_query *q,
    uint16_t id, uint8_t *out, size_t cap)
{
	size_t qlen = q->question_end - DNS_HEADER_LEN;
	size_t base = DNS_HEADER_LEN + qlen + OPT_FIXED_LEN + 4;
	size_t pad = (DNS_PAD_BLOCK - base % DNS_PAD_BLOCK) % DNS_PAD_BLOCK;
	uint8_t ttl[4] = { 0, 0, q->dnssec_ok ? 0x80 : 0, 0 };
	uint8_t *opt;

	if (base + pad > cap)
		return 0;
	memset(out, 0, DNS_HEADER_LEN);
	dnsmsg_put16(out + HDR_ID, id);
	dnsmsg_put16(out + HDR_FLAGS, q->flags & (DNS_FLAG_RD | DNS_FLAG_AD | DNS_FLAG_CD));
	dnsmsg_put16(out + HDR_QD, 1);
	dnsmsg_put16(out + HDR_AR, 1);
	memcpy(out + DNS_HEADER_LEN, msg + DNS_HEADER_LEN, qlen);
	opt = out + DNS_HEADER_LEN + qlen;
	put_opt(opt, cap, DNS_OUR_UDP, ttl, NULL, 0);
	dnsmsg_put16(opt + 9, (uint16_t)(4 + pad));
	dnsmsg_put16(opt + OPT_FIXED_LEN, DNS_EDNS_PADDING);
	dnsmsg_put16(opt + OPT_FIXED_LEN + 2, (uint16_t)pad);
	memset(opt + OPT_FIXED_LEN + 4, 0, pad);
	return base + pad;
}

/* The name in any ASCII case, then type and class exactly. */
static int
same_question(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	if (n < 4)
		return 0;
	for (i = 0; i < n - 4; i++)
		if (dnsmsg_fold(a[i]) != dnsmsg_fold(b[i]))
			return 0;
	return memcmp(a + n - 4, b + n - 4, 4) == 0;
}

int
dnsmsg_check_response(const uint8_t *resp, size_t len, const uint8_t *query,
    size_t qlen, const char **why)
{
	size_t qend = skip_plain_question(query, qlen);
	size_t n = qend - DNS_HEADER_LEN;

	*why = NULL;
	if (len < DNS_HEADER_LEN)
		*why = "response shorter than a DNS header";
	else if (!(dnsmsg_get16(resp + HDR_FLAGS) & DNS_FLAG_QR))
		*why = "message is not a response";
	else if (dnsmsg_get16(resp + HDR_FLAGS) & DNS_FLAG_OPCODE)
		*why = "response has a wrong opcode";
	else if (dnsmsg_get16(resp + HDR_QD) != 1 || len < qend ||
	    !same_question(resp + DNS_HEADER_LEN, query + DNS_HEADER_LEN, n))
		*why = "response question does not match the query";
	return *why ? -1 : 0;
}

/* Where a response's question ends and its OPT RR (if any) lies. */
struct opt_pos {
	size_t question_end;
	size_t opt_off;		/* 0: no OPT */
	size_t opt_next;	/* just past the OPT RR */
	size_t end;		/* just past the last record */
};

/*
 * Locates the OPT RR, which may be anywhere in the additional section
 * (RFC 6891 does not make it last). -1 when malformed or two OPTs.
 */
static int
find_opt(const uint8_t *resp, size_t len, struct opt_pos *pos)
{
	unsigned before = dnsmsg_get16(resp + HDR_AN) +
	    dnsmsg_get16(resp + HDR_NS);
	unsigned total = before + dnsmsg_get16(resp + HDR_AR), i;
	size_t off = dnsmsg_skip_name(resp, len, DNS_HEADER_LEN), next;

	memset(pos, 0, sizeof(*pos));
	if (off == 0 || off + 4 > len)
		return -1;
	off += 4;
	pos->question_end = off;
	for (i = 0; i < total; i++) {
		next = dnsmsg_skip_rr(resp, len, off);
		if (next == 0)
			return -1;
		if (i >= before && resp[off] == 0 &&
		    dnsmsg_get16(resp + off + 1) == DNS_TYPE_OPT) {
			if (pos->opt_off != 0)
				return -1;
			pos->opt_off = off;
			pos->opt_next = next;
		}
		off = next;
	}
	pos->end = off;
	return 0;
}

/* Copies EDNS options except padding into out; returns their length. */
static size_t
copy_options_without_padding(const uint8_t *opts, size_t len, uint8_t *out,
    size_t cap)
{
	size_t off = 0, n = 0;

	while (off + 4 <= len) {
		uint16_t code = dnsmsg_get16(opts + off);
		size_t optlen = 4 + dnsmsg_get16(opts + off + 2);

		if (off + optlen > len || n + optlen > cap)
			break;
		if (code != DNS_EDNS_PADDING) {
			memcpy(out + n, opts + off, optlen);
			n += optlen;
		}
		off += optlen;
	}
	return n;
}

/* Where the records after the OPT RR moved: a window and the shift. */
struct moved {
	uint8_t *msg;
	size_t len;		/* of the output so far */
	size_t opt_off, opt_next;	/* in the upstream's message */
};

/*
 * Rewrites the compression pointers of the name at off for the move: a
 * target past the OPT moved down with it, one into the OPT is malformed.
 * Returns the offset past the name, or 0.
 */
static size_t
moved_name(const struct moved *mv, size_t off)
{
	while (off < mv->len) {
		uint8_t l = mv->msg[off];
		size_t target;

		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > mv->len)
				return 0;
			target = dnsmsg_get16(mv->msg + off) & 0x3fff;
			if (target >= mv->opt_next)
				target -= mv->opt_next - mv->opt_off;
			else if (target >= mv->opt_off)
				return 0;
			dnsmsg_put16(mv->msg + off, (uint16_t)(0xc000 | target));
			return off + 2;
		}
		if (l & 0xc0)
			return 0;
		off += l + 1;
		if (l == 0)
			return off <= mv->len ? off : 0;
	}
	return 0;
}

/*
 * Fixes one moved record: its owner and the names that RFC 1035 types
 * may compress in their data (RFC 3597 section 4 forbids it for others).
 */
static size_t
moved_rr(const struct moved *mv, size_t off)
{
	size_t rdata, end;
	uint16_t type;

	if ((off = moved_name(mv, off)) == 0 || off + 10 > mv->len)
		return 0;
	type = dnsmsg_get16(mv->msg + off);
	rdata = off + 10;
	end = rdata + dnsmsg_get16(mv->msg + off + 8);
	if (end > mv->len)
		return 0;
	switch (type) {
	case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12:
		return moved_name(mv, rdata) ? end : 0;	/* one name */
	case 6: case 14:		/* SOA, MINFO: two names */
		rdata = moved_name(mv, rdata);
		return rdata && moved_name(mv, rdata) ? end : 0;
	case 15:			/* MX: preference, name */
		return end - rdata > 2 && moved_name(mv, rdata + 2) ? end : 0;
	default:
		return end;
	}
}

/*
 * Copies the response without its OPT RR into out (the records after the
 * OPT moved up, their compression pointers fixed). Returns the length or 0.
 */
static size_t
copy_without_opt(const uint8_t *resp, const struct opt_pos *pos,
    uint8_t *out, size_t cap)
{
	struct moved mv = { out, 0, pos->opt_off, pos->opt_next };
	size_t off;

	if (pos->opt_off == 0) {
		if (pos->end > cap)
			return 0;
		memcpy(out, resp, pos->end);
		return pos->end;
	}
	mv.len = pos->opt_off + (pos->end - pos->opt_next);
	if (mv.len > cap)
		return 0;
	memcpy(out, resp, pos->opt_off);
	memcpy(out + pos->opt_off, resp + pos->opt_next,
	    pos->end - pos->opt_next);
	for (off = pos->opt_off; off < mv.len; )
		if ((off = moved_rr(&mv, off)) == 0)
			return 0;
	return mv.len;
}

/* Cuts a response already in out down to header, question and OPT. */
static size_t
truncate_response(uint8_t *out, size_t cap, const struct dnsmsg_query *q,
    const uint8_t ttl[4])
{
	size_t n = q->question_end, optlen = 0;

	dnsmsg_put16(out + HDR_FLAGS, dnsmsg_get16(out + HDR_FLAGS) | DNS_FLAG_TC);
	dnsmsg_put16(out + HDR_AN, 0);
	dnsmsg_put16(out + HDR_NS, 0);
	dnsmsg_put16(out + HDR_AR, q->has_edns ? 1 : 0);
	if (q->has_edns)
		optlen = put_opt(out + n, cap - n, q->our_udp, ttl, NULL, 0);
	if (q->has_edns && optlen == 0)
		return 0;
	return n + optlen;
}

/*
 * The header flags for this client: the upstream's, but the client's own
 * RD and CD (RFC 1035 4.1.1), and AD only for a client that set AD or DO
 * (RFC 6840 5.8).
 */
static uint16_t
client_flags(uint16_t upstream, const struct dnsmsg_query *q)
{
	uint16_t flags = (uint16_t)((upstream & ~(DNS_FLAG_RD | DNS_FLAG_CD)) |
	    (q->flags & (DNS_FLAG_RD | DNS_FLAG_CD)));

	if (!(q->flags & DNS_FLAG_AD) && !q->dnssec_ok)
		flags &= (uint16_t)~DNS_FLAG_AD;
	return flags;
}

/* Appends our OPT (the upstream's EDNS flags and options, no padding). */
static size_t
client_opt(const uint8_t *resp, const struct opt_pos *pos,
    const struct dnsmsg_query *q, uint8_t *out, size_t cap)
{
	static const uint8_t no_ttl[4];
	const uint8_t *ttl = pos->opt_off ? resp + pos->opt_off + 5 : no_ttl;
	size_t optlen = put_opt(out, cap, q->our_udp, ttl, NULL, 0);

	if (optlen == 0)
		return 0;
	if (pos->opt_off)
		optlen += copy_options_without_padding(resp + pos->opt_off +
		    OPT_FIXED_LEN, pos->opt_next - pos->opt_off - OPT_FIXED_LEN,
		    out + optlen, cap - optlen);
	dnsmsg_put16(out + 9, (uint16_t)(optlen - OPT_FIXED_LEN));
	return optlen;
}

size_t
dnsmsg_client_response(const uint8_t *resp, size_t len, const uint8_t *msg,
    const struct dnsmsg_query *q, size_t max_size, uint8_t *out, size_t cap)
{
	struct opt_pos pos;
	size_t n, optlen = 0;
	uint16_t arcount;
	uint8_t ttl[4] = { 0 };

	if (len < DNS_HEADER_LEN || find_opt(resp, len, &pos) == -1 ||
	    pos.question_end != q->question_end ||
	    !same_question(resp + DNS_HEADER_LEN, msg + DNS_HEADER_LEN,
	    q->question_end - DNS_HEADER_LEN) ||
	    (n = copy_without_opt(resp, &pos, out, cap)) == 0)
		return 0;
	/* the client's own question bytes: 0x20 case randomisation */
	memcpy(out + DNS_HEADER_LEN, msg + DNS_HEADER_LEN,
	    q->question_end - DNS_HEADER_LEN);
	dnsmsg_put16(out + HDR_ID, q->id);
	dnsmsg_put16(out + HDR_FLAGS,
	    client_flags(dnsmsg_get16(resp + HDR_FLAGS), q));
	arcount = dnsmsg_get16(out + HDR_AR) - (pos.opt_off ? 1 : 0);
	if (q->has_edns) {
		if ((optlen = client_opt(resp, &pos, q, out + n, cap - n)) == 0)
			return 0;
		memcpy(ttl, out + n + 5, sizeof(ttl));
		arcount++;
	}
	dnsmsg_put16(out + HDR_AR, arcount);
	if (n + optlen > max_size)
		return truncate_response(out, cap, q, ttl);
	return n + optlen;
}

/*
 * How much of text fits in room bytes (and DNS_EDE_TEXT_MAX), cut before
 * a UTF-8 continuation byte so no character is split.
 */
static size_t
ede_text_len(const char *text, size_t room)
{
	size_t n = strnlen(text, DNS_EDE_TEXT_MAX + 1);

	if (room > DNS_EDE_TEXT_MAX)
		room = DNS_EDE_TEXT_MAX;
	if (n <= room)
		return n;
	n = room;
	while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Writes an EDE option (code, length, info code, text); its length. */
static size_t
put_ede(uint8_t *out, int code, const char *text, size_t textlen)
{
	dnsmsg_put16(out, DNS_EDNS_EDE);
	dnsmsg_put16(out + 2, (uint16_t)(2 + textlen));
	dnsmsg_put16(out + 4, (uint16_t)code);
	memcpy(out + EDE_FIXED_LEN, text, textlen);
	return EDE_FIXED_LEN + textlen;
}

size_t
dnsmsg_error_response(const uint8_t *msg, size_t len,
    const struct dnsmsg_query *q, int rcode, int ede_code,
    const char *ede_text, uint8_t *out, size_t cap)
{
	uint8_t ede[EDE_FIXED_LEN + DNS_EDE_TEXT_MAX];
	uint8_t ttl[4] = { (uint8_t)(rcode >> 4), 0, 0, 0 };
	size_t n = q ? q->question_end : DNS_HEADER_LEN, edelen = 0, optlen;
	size_t limit = q && q->udp_size < cap ? q->udp_size : cap;
	uint16_t flags = len >= 4 ? dnsmsg_get16(msg + HDR_FLAGS) : 0;

	if (len < 2 || n > cap || (q != NULL && n > len))
		return 0;
	memset(out, 0, DNS_HEADER_LEN);
	memcpy(out, msg, 2);
	flags = (uint16_t)((flags & (DNS_FLAG_OPCODE | DNS_FLAG_RD | DNS_FLAG_CD)) |
	    DNS_FLAG_QR | DNS_FLAG_RA | (rcode & 0xf));
	dnsmsg_put16(out + HDR_FLAGS, flags);
	if (q == NULL)
		return DNS_HEADER_LEN;
	dnsmsg_put16(out + HDR_QD, 1);
	memcpy(out + DNS_HEADER_LEN, msg + DNS_HEADER_LEN, n - DNS_HEADER_LEN);
	if (!q->has_edns)
		return n;
	if (ede_text != NULL && n + OPT_FIXED_LEN + EDE_FIXED_LEN <= limit)
		edelen = put_ede(ede, ede_code, ede_text, ede_text_len(ede_text,
		    limit - n - OPT_FIXED_LEN - EDE_FIXED_LEN));
	optlen = put_opt(out + n, cap - n, q->our_udp, ttl, ede, edelen);
	if (optlen == 0)
		return n;
	dnsmsg_put16(out + HDR_AR, 1);
	return n + optlen;
}

size_t
dnsmsg_make_query(const char *name, uint16_t type, uint8_t *out, size_t cap)
{
	unsigned char *buf = NULL;
	int len = 0;
	size_t n = 0;

	if (ares_create_query(name, 1, type, 0, 1, &buf, &len, 4096) ==
	    ARES_SUCCESS && len > 0 && (size_t)len <= cap) {
		memcpy(out, buf, (size_t)len);
		n = (size_t)len;
	}
	ares_free_string(buf);
	return n;
}

int
dnsmsg_question_name(const uint8_t *msg, size_t len, char *out, size_t cap)
{
	char *name = NULL;
	long enclen;

	if (len <= DNS_HEADER_LEN || ares_expand_name(msg + DNS_HEADER_LEN,
	    msg, (int)len, &name, &enclen) != ARES_SUCCESS)
		return -1;
	snprintf(out, cap, "%s", *name ? name : ".");
	ares_free_string(name);
	return 0;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One resource record as the walker sees it. */
struct rr_view {
	unsigned section;	/* 0 answer, 1 authority, 2 additional */
	uint16_t type;
	uint8_t *ttl;		/* 4 bytes, writable */
	const uint8_t *rdata;
	uint16_t rdlen;
};

typedef void (*rr_fn)(const struct rr_view *, void *);

/* Calls fn for every record after the question; -1 if malformed. */
static int
walk_rrs(uint8_t *msg, size_t len, rr_fn fn, void *arg)
{
	unsigned counts[3], s, i;
	size_t off;

	if (len < DNS_HEADER_LEN || dnsmsg_get16(msg + HDR_QD) != 1)
		return -1;
	off = dnsmsg_skip_name(msg, len, DNS_HEADER_LEN);
	if (off == 0 || off + 4 > len)
		return -1;
	off += 4;
	counts[0] = dnsmsg_get16(msg + HDR_AN);
	counts[1] = dnsmsg_get16(msg + HDR_NS);
	counts[2] = dnsmsg_get16(msg + HDR_AR);
	for (s = 0; s < 3; s++) {
		for (i = 0; i < counts[s]; i++) {
			size_t name_end = dnsmsg_skip_name(msg, len, off);
			struct rr_view rr;

			if (name_end == 0 || name_end + 10 > len)
				return -1;
			rr.section = s;
			rr.type = dnsmsg_get16(msg + name_end);
			rr.ttl = msg + name_end + 4;
			rr.rdlen = dnsmsg_get16(msg + name_end + 8);
			rr.rdata = msg + name_end + 10;
			off = name_end + 10 + rr.rdlen;
			if (off > len)
				return -1;
			fn(&rr, arg);
		}
	}
	return 0;
}

struct ttl_scan {
	uint32_t min, max;
	uint32_t smallest;	/* over all records */
	uint32_t negative;	/* from the authority SOA, or UINT32_MAX */
	int have_soa;
};

#define DNS_TYPE_SOA 6

static uint32_t
clamp(uint32_t v, uint32_t min, uint32_t max)
{
	return v < min ? min : v > max ? max : v;
}

static void
clamp_cb(const struct rr_view *rr, void *arg)
{
	struct ttl_scan *scan = arg;
	uint32_t ttl;

	if (rr->type == DNS_TYPE_OPT)
		return;
	ttl = clamp(get32(rr->ttl), scan->min, scan->max);
	put32(rr->ttl, ttl);
	if (ttl < scan->smallest)
		scan->smallest = ttl;
	if (rr->section == 1 && rr->type == DNS_TYPE_SOA && rr->rdlen >= 22) {
		uint32_t minimum = get32(rr->rdata + rr->rdlen - 4);

		scan->have_soa = 1;
		scan->negative = clamp(ttl < minimum ? ttl : minimum,
		    scan->min, scan->max);
	}
}

int
dnsmsg_cacheable(uint8_t *msg, size_t len, uint32_t min, uint32_t max,
    uint32_t *lifetime)
{
	struct ttl_scan scan = { min, max, UINT32_MAX, UINT32_MAX, 0 };
	int rcode = dnsmsg_rcode(msg, len);
	int negative;

	if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN)
		return -1;
	if (dnsmsg_get16(msg + HDR_FLAGS) & DNS_FLAG_TC)
		return -1;
	if (walk_rrs(msg, len, clamp_cb, &scan) == -1)
		return -1;
	negative = rcode == DNS_RCODE_NXDOMAIN ||
	    dnsmsg_get16(msg + HDR_AN) == 0;
	if (negative && !scan.have_soa)
		return -1;
	/*
	 * Every record's TTL bounds the answer: a CNAME chain in front of an
	 * NXDOMAIN, too. A SOA in the authority section (a negative answer,
	 * or NODATA behind a CNAME) adds min(SOA TTL, MINIMUM) (RFC 2308).
	 */
	*lifetime = scan.smallest < scan.negative ? scan.smallest :
	    scan.negative;
	return *lifetime == UINT32_MAX ? -1 : 0;
}

void
dnsmsg_clamp_ttls(uint8_t *msg, size_t len, uint32_t min, uint32_t max)
{
	uint32_t lifetime;

	(void)dnsmsg_cacheable(msg, len, min, max, &lifetime);
}

static void
age_cb(const struct rr_view *rr, void *arg)
{
	uint32_t age = *(const uint32_t *)arg, ttl;

	if (rr->type == DNS_TYPE_OPT)
		return;
	ttl = get32(rr->ttl);
	put32(rr->ttl, ttl > age ? ttl - age : 0);
}

void
dnsmsg_age_ttls(uint8_t *msg, size_t len, uint32_t age)
{
	walk_rrs(msg, len, age_cb, &age);
}

static void
set_cb(const struct rr_view *rr, void *arg)
{
	if (rr->type != DNS_TYPE_OPT)
		put32(rr->ttl, *(const uint32_t *)arg);
}

void
dnsmsg_set_ttls(uint8_t *msg, size_t len, uint32_t ttl)
{
	walk_rrs(msg, len, set_cb, &ttl);
}

size_t
dnsmsg_add_ede(uint8_t *msg, size_t len, size_t cap, int code,
    const char *text)
{
	struct opt_pos pos;
	size_t optlen;

	if (len < DNS_HEADER_LEN || find_opt(msg, len, &pos) == -1 ||
	    pos.opt_off == 0 || pos.opt_next != len ||
	    len + EDE_FIXED_LEN > cap || dnsmsg_get16(msg + pos.opt_off + 9) +
	    EDE_FIXED_LEN + DNS_EDE_TEXT_MAX > 0xffff)
		return len;
	optlen = put_ede(msg + len, code, text, ede_text_len(text,
	    cap - len - EDE_FIXED_LEN));
	dnsmsg_put16(msg + pos.opt_off + 9,
	    (uint16_t)(dnsmsg_get16(msg + pos.opt_off + 9) + optlen));
	return len + optlen;
}

int
dnsmsg_rcode(const uint8_t *msg, size_t len)
{
	return len >= DNS_HEADER_LEN ? msg[3] & 0x0f : -1;
}
