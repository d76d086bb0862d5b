/* SPDX-License-Identifier: ISC */
/* DNS messages printed as dig-like text. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>

#include "dnsmsg.h"
#include "dnstext.h"

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
	{ 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" },
	{ 35, "NAPTR" }, { 39, "DNAME" }, { 41, "OPT" }, { 43, "DS" },
	{ 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 52, "TLSA" },
	{ 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" }, { 255, "ANY" },
	{ 257, "CAA" }
};

static const char *const rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL",
    "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
    "NOTAUTH", "NOTZONE" };

int
dnstext_type_number(const char *text)
{
	char *end;
	long n;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(text, types[i].name) == 0)
			return types[i].type;
	if (strncasecmp(text, "TYPE", 4) != 0 || !isdigit((unsigned char)
	    text[4]))
		return -1;
	n = strtol(text + 4, &end, 10);
	return *end == '\0' && n <= 65535 ? (int)n : -1;
}

const char *
dnstext_type_name(uint16_t type, char buf[16])
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	snprintf(buf, 16, "TYPE%u", type);
	return buf;
}

const char *
dnstext_rcode_name(int rcode, char buf[16])
{
	if (rcode >= 0 && (size_t)rcode < sizeof(rcodes) / sizeof(rcodes[0]))
		return rcodes[rcode];
	if (rcode == DNS_RCODE_BADVERS)
		return "BADVERS";
	snprintf(buf, 16, "RCODE%d", rcode);
	return buf;
}

/* The name at off printed to fp (with its final dot); the offset after
 * it, or 0 when malformed. */
static size_t
print_name(FILE *fp, const uint8_t *msg, size_t len, size_t off)
{
	char *name = NULL;
	long enclen = 0;

	if (off >= len || ares_expand_name(msg + off, msg, (int)len, &name,
	    &enclen) != ARES_SUCCESS)
		return 0;
	fprintf(fp, "%s.", name);
	ares_free_string(name);
	return off + (size_t)enclen;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Bytes as text: quote and backslash escaped, others as \DDD. */
static void
print_escaped(FILE *fp, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '"' || p[i] == '\\')
			fprintf(fp, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] > 0x7e)
			fprintf(fp, "\\%03u", p[i]);
		else
			fputc(p[i], fp);
}

/* TXT: each character-string quoted; -1 when one overruns. */
static int
print_strings(FILE *fp, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t l = p[i];

		if (i + 1 + l > n)
			return -1;
		fputs(i > 0 ? " \"" : "\"", fp);
		print_escaped(fp, p + i + 1, l);
		fputc('"', fp);
		i += 1 + l;
	}
	return 0;
}

/* Unknown types as RFC 3597 generic data. */
static void
print_generic(FILE *fp, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(fp, "\\# %zu%s", n, n ? " " : "");
	for (i = 0; i < n; i++)
		fprintf(fp, "%02x", p[i]);
}

/* Names in rdata (compression allowed); 0 on a fault. */
static int
print_rdata_names(FILE *fp, const uint8_t *msg, size_t len, size_t off,
    size_t end, int count)
{
	while (count-- > 0) {
		if ((off = print_name(fp, msg, len, off)) == 0 || off > end)
			return 0;
		if (count > 0)
			fputc(' ', fp);
	}
	return (int)off;
}

/* The rdata of type at off (rdlen bytes); -1 when malformed. */
static int
print_rdata(FILE *fp, const uint8_t *msg, size_t len, uint16_t type,
    size_t off, size_t rdlen)
{
	const uint8_t *p = msg + off;
	char addr[INET6_ADDRSTRLEN];
	int at;

	switch (type) {
	case 1: case 28:
		if (rdlen != (type == 1 ? 4u : 16u))
			return -1;
		inet_ntop(type == 1 ? AF_INET : AF_INET6, p, addr,
		    sizeof(addr));
		fputs(addr, fp);
		return 0;
	case 2: case 5: case 12: case 39:
		return print_rdata_names(fp, msg, len, off, off + rdlen, 1) ?
		    0 : -1;
	case 15:
		if (rdlen < 3)
			return -1;
		fprintf(fp, "%u ", (p[0] << 8) | p[1]);
		return print_rdata_names(fp, msg, len, off + 2, off + rdlen,
		    1) ? 0 : -1;
	case 16:
		return print_strings(fp, p, rdlen);
	case 6:
		at = print_rdata_names(fp, msg, len, off, off + rdlen, 2);
		if (at == 0 || (size_t)at + 20 != off + rdlen)
			return -1;
		p = msg + at;
		fprintf(fp, " %u %u %u %u %u", get32(p), get32(p + 4),
		    get32(p + 8), get32(p + 12), get32(p + 16));
		return 0;
	case 33:
		if (rdlen < 7)
			return -1;
		fprintf(fp, "%u %u %u ", (p[0] << 8) | p[1], (p[2] << 8) |
		    p[3], (p[4] << 8) | p[5]);
		return print_rdata_names(fp, msg, len, off + 6, off + rdlen,
		    1) ? 0 : -1;
	default:
		print_generic(fp, p, rdlen);
		return 0;
	}
}

/* EDE options of an OPT RR's rdata. */
static void
print_opt(FILE *fp, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i + 4 <= n) {
		uint16_t code = dnsmsg_get16(p + i);
		size_t l = dnsmsg_get16(p + i + 2);

		if (i + 4 + l > n)
			return;
		if (code == DNS_EDNS_EDE && l >= 2) {
			fprintf(fp, "; EDE: %u: ", dnsmsg_get16(p + i + 4));
			print_escaped(fp, p + i + 6, l - 2);
			fputc('\n', fp);
		}
		i += 4 + l;
	}
}

/* One record at *off, printed (OPT: its EDEs only); -1 when malformed. */
static int
print_rr(FILE *fp, const uint8_t *msg, size_t len, size_t *off)
{
	char tbuf[16];
	size_t at, end = dnsmsg_skip_rr(msg, len, *off);
	uint16_t type, rdlen;

	if (end == 0)
		return -1;
	at = dnsmsg_skip_name(msg, len, *off);
	type = dnsmsg_get16(msg + at);
	rdlen = dnsmsg_get16(msg + at + 8);
	if (type == DNS_TYPE_OPT) {
		print_opt(fp, msg + at + 10, rdlen);
		*off = end;
		return 0;
	}
	if (print_name(fp, msg, len, *off) == 0)
		return -1;
	fprintf(fp, " %u %s %s ", get32(msg + at + 4),
	    dnsmsg_get16(msg + at + 2) == 1 ? "IN" : "CLASS?",
	    dnstext_type_name(type, tbuf));
	if (print_rdata(fp, msg, len, type, at + 10, rdlen) == -1) {
		fputs(" (malformed)\n", fp);
		return -1;
	}
	fputc('\n', fp);
	*off = end;
	return 0;
}

static int
is_opt_at(const uint8_t *msg, size_t len, size_t off)
{
	size_t at = dnsmsg_skip_name(msg, len, off);

	return at != 0 && at + 2 <= len && dnsmsg_get16(msg + at) ==
	    DNS_TYPE_OPT;
}

static void
print_flags(FILE *fp, uint16_t flags)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} names[] = { { DNS_FLAG_QR, " qr" }, { 0x0400, " aa" },
	    { DNS_FLAG_TC, " tc" }, { DNS_FLAG_RD, " rd" },
	    { DNS_FLAG_RA, " ra" }, { DNS_FLAG_AD, " ad" },
	    { DNS_FLAG_CD, " cd" } };
	size_t i;

	fputs("flags:", fp);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			fputs(names[i].name, fp);
}

int
dnstext_print(FILE *fp, const uint8_t *msg, size_t len)
{
	static const char *const sections[] = { "", ";; authority:\n",
	    ";; additional:\n" };
	char rbuf[16];
	size_t off, i, s;
	int rcode = dnsmsg_rcode(msg, len);

	if (rcode < 0 || dnsmsg_get16(msg + 4) != 1 ||
	    (off = dnsmsg_skip_name(msg, len, DNS_HEADER_LEN)) == 0 ||
	    off + 4 > len)
		return -1;
	off += 4;
	fprintf(fp, ";; status: %s, ", dnstext_rcode_name(rcode, rbuf));
	print_flags(fp, dnsmsg_get16(msg + 2));
	fprintf(fp, "; answer %u, authority %u, additional %u\n",
	    dnsmsg_get16(msg + 6), dnsmsg_get16(msg + 8),
	    dnsmsg_get16(msg + 10));
	for (s = 0; s < 3; s++) {
		size_t n = dnsmsg_get16(msg + 6 + 2 * s);

		/* the additional section's OPT alone is shown as its EDEs */
		if (n > 0 && !(s == 2 && n == 1 && is_opt_at(msg, len, off)))
			fputs(sections[s], fp);
		for (i = 0; i < n; i++)
			if (print_rr(fp, msg, len, &off) == -1)
				return -1;
	}
	return rcode;
}
