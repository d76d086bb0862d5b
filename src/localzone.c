/* SPDX-License-Identifier: ISC */
/* Locally served names: the built-in list and the answers made for them. */
#include <stdio.h>
#include <string.h>

#include "localzone.h"

#define TYPE_A		1
#define TYPE_NS		2
#define TYPE_SOA	6
#define TYPE_AAAA	28
#define TYPE_ANY	255
#define CLASS_IN	1
#define NAME_PTR	0xc000	/* a compression pointer to offset | this */

/* The names of RFC 6761, RFC 7686, RFC 8375 and RFC 6303 section 4. */
static const char *const nxdomain_zones[] = {
	"invalid.", "test.", "onion.", "local.", "home.arpa.",
	"use-application-dns.net.",
	"10.in-addr.arpa.", "168.192.in-addr.arpa.",	/* RFC 1918 */
	"127.in-addr.arpa.", "254.169.in-addr.arpa.", "0.in-addr.arpa.",
	"2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
	"113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
	/* ::/128 and ::1 */
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "ip6.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "ip6.arpa.",
	"8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.",				/* fe80::/10 */
	"c.f.ip6.arpa.", "d.f.ip6.arpa.",		/* fc00::/7 */
	"8.b.d.0.1.0.0.2.ip6.arpa.",			/* 2001:db8::/32 */
};

int
localzone_each_default(int (*fn)(void *arg, const char *name,
    enum zone_kind kind), void *arg)
{
	char name[64];
	size_t i;
	int k;

	if (fn(arg, "localhost.", ZONE_LOCALHOST) == -1)
		return -1;
	for (i = 0; i < sizeof(nxdomain_zones) / sizeof(nxdomain_zones[0]);
	    i++)
		if (fn(arg, nxdomain_zones[i], ZONE_NXDOMAIN) == -1)
			return -1;
	for (k = 16; k <= 31; k++) {			/* 172.16/12 */
		snprintf(name, sizeof(name), "%d.172.in-addr.arpa.", k);
		if (fn(arg, name, ZONE_NXDOMAIN) == -1)
			return -1;
	}
	for (k = 64; k <= 127; k++) {			/* 100.64/10 */
		snprintf(name, sizeof(name), "%d.100.in-addr.arpa.", k);
		if (fn(arg, name, ZONE_NXDOMAIN) == -1)
			return -1;
	}
	return 0;
}

/* A message being written: out[0..len), never past cap. */
struct writer {
	uint8_t *out;
	size_t len, cap;
	int overflow;
};

static void
put_bytes(struct writer *w, const void *p, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->out + w->len, p, n);
	w->len += n;
}

static void
put16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put_bytes(w, b, 2);
}

static void
put32(struct writer *w, uint32_t v)
{
	put16(w, (uint16_t)(v >> 16));
	put16(w, (uint16_t)v);
}

/* A record owned by the name at offset owner, its RDATA written after. */
static void
put_rr_head(struct writer *w, size_t owner, uint16_t type, uint32_t ttl,
    uint16_t rdlen)
{
	put16(w, (uint16_t)(NAME_PTR | owner));
	put16(w, type);
	put16(w, CLASS_IN);
	put32(w, ttl);
	put16(w, rdlen);
}

/*
 * The zone's SOA (RFC 6303 section 3: "@ SOA @ nobody.invalid. 1 3600
 * 1200 604800 10800"), the apex being the name at offset apex.
 */
static void
put_soa(struct writer *w, size_t apex)
{
	static const uint8_t rname[] = "\6nobody\7invalid";	/* + root */

	put_rr_head(w, apex, TYPE_SOA, LOCALZONE_TTL,
	    (uint16_t)(2 + sizeof(rname) + 20));
	put16(w, (uint16_t)(NAME_PTR | apex));
	put_bytes(w, rname, sizeof(rname));
	put32(w, 1);
	put32(w, 3600);
	put32(w, 1200);
	put32(w, 604800);
	put32(w, LOCALZONE_TTL);
}

/* localhost's addresses for qtype; the number of records written. */
static uint16_t
put_localhost(struct writer *w, uint16_t qtype)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 };
	static const uint8_t v6[16] = { [15] = 1 };
	uint16_t n = 0;

	if (qtype == TYPE_A || qtype == TYPE_ANY) {
		put_rr_head(w, DNS_HEADER_LEN, TYPE_A, LOCALHOST_TTL, 4);
		put_bytes(w, v4, sizeof(v4));
		n++;
	}
	if (qtype == TYPE_AAAA || qtype == TYPE_ANY) {
		put_rr_head(w, DNS_HEADER_LEN, TYPE_AAAA, LOCALHOST_TTL, 16);
		put_bytes(w, v6, sizeof(v6));
		n++;
	}
	return n;
}

size_t
localzone_answer(const struct zone *z, const uint8_t *msg,
    const struct dnsmsg_query *info, size_t zone_off, uint8_t *out,
    size_t cap)
{
	struct writer w = { out, 0, cap, 0 };
	int apex = zone_off == DNS_HEADER_LEN;
	uint16_t flags = DNS_FLAG_QR | 0x0400 /* AA */ | DNS_FLAG_RA |
	    (info->flags & (DNS_FLAG_RD | DNS_FLAG_CD));
	uint16_t an = 0, ns = 0;
	int rcode = DNS_RCODE_NOERROR;

	put16(&w, info->id);
	put16(&w, 0);			/* flags, below */
	put16(&w, 1);
	put32(&w, 0);			/* AN, NS: below */
	put16(&w, 0);
	put_bytes(&w, msg + DNS_HEADER_LEN, info->question_end -
	    DNS_HEADER_LEN);
	if (z->kind == ZONE_LOCALHOST)
		an = put_localhost(&w, info->qtype);
	else if (!apex)
		rcode = DNS_RCODE_NXDOMAIN;
	else if (info->qtype == TYPE_SOA) {
		put_soa(&w, zone_off);
		an = 1;
	}
	if (an == 0) {			/* NXDOMAIN or NODATA: RFC 2308 */
		put_soa(&w, zone_off);
		ns = 1;
	}
	if (w.overflow)
		return 0;
	dnsmsg_put16(out + 2, (uint16_t)(flags | rcode));
	dnsmsg_put16(out + 6, an);
	dnsmsg_put16(out + 8, ns);
	return w.len;
}
