/* SPDX-License-Identifier: ISC */
/* Unit tests for the answer cache and the TTL helpers behind it. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cache.h"
#include "check.h"
#include "conf.h"
#include "dnsmsg.h"
#include "server.h"

static size_t
put_name(uint8_t *p, const char *labels)
{
	size_t n = 0;

	while (*labels) {
		size_t l = strcspn(labels, ".");

		p[n++] = (uint8_t)l;
		memcpy(p + n, labels, l);
		n += l;
		labels += l + (labels[l] == '.');
	}
	p[n++] = 0;
	return n;
}

static size_t
make_query(uint8_t *buf, const char *name, int dnssec)
{
	size_t n = DNS_HEADER_LEN;

	memset(buf, 0, DNS_HEADER_LEN);
	dnsmsg_put16(buf + 2, 0x0100);
	dnsmsg_put16(buf + 4, 1);
	n += put_name(buf + n, name);
	dnsmsg_put16(buf + n, 1);
	dnsmsg_put16(buf + n + 2, 1);
	n += 4;
	if (dnssec) {
		static const uint8_t opt[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0x80,
		    0, 0, 0 };

		dnsmsg_put16(buf + 10, 1);
		memcpy(buf + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n;
}

/* Answer: one A with ttl, or (ttl 0 marker) NXDOMAIN with an SOA. */
static size_t
make_answer(uint8_t *buf, const uint8_t *q, size_t qend, int rcode,
    uint32_t ttl, uint32_t soa_ttl, uint32_t soa_min)
{
	size_t n = qend;

	memcpy(buf, q, qend);
	buf[2] = 0x81;
	buf[3] = (uint8_t)(0x80 | rcode);
	dnsmsg_put16(buf + 6, 0);
	dnsmsg_put16(buf + 8, 0);
	dnsmsg_put16(buf + 10, 0);
	if (rcode == 0 && ttl) {
		static const uint8_t a[] = { 0xc0, 12, 0, 1, 0, 1 };

		memcpy(buf + n, a, sizeof(a));
		n += sizeof(a);
		buf[n++] = (uint8_t)(ttl >> 24);
		buf[n++] = (uint8_t)(ttl >> 16);
		buf[n++] = (uint8_t)(ttl >> 8);
		buf[n++] = (uint8_t)ttl;
		dnsmsg_put16(buf + n, 4);
		memcpy(buf + n + 2, "\xc0\x00\x02\x0a", 4);
		n += 6;
		dnsmsg_put16(buf + 6, 1);
	}
	if (soa_ttl) {
		uint8_t rdata[64];
		size_t r = 0;

		r += put_name(rdata + r, "ns.example.test");
		r += put_name(rdata + r, "host.example.test");
		memset(rdata + r, 0, 16);
		r += 16;
		rdata[r++] = (uint8_t)(soa_min >> 24);
		rdata[r++] = (uint8_t)(soa_min >> 16);
		rdata[r++] = (uint8_t)(soa_min >> 8);
		rdata[r++] = (uint8_t)soa_min;
		n += put_name(buf + n, "example.test");
		dnsmsg_put16(buf + n, 6);
		dnsmsg_put16(buf + n + 2, 1);
		buf[n + 4] = (uint8_t)(soa_ttl >> 24);
		buf[n + 5] = (uint8_t)(soa_ttl >> 16);
		buf[n + 6] = (uint8_t)(soa_ttl >> 8);
		buf[n + 7] = (uint8_t)soa_ttl;
		dnsmsg_put16(buf + n + 8, (uint16_t)r);
		memcpy(buf + n + 10, rdata, r);
		n += 10 + r;
		dnsmsg_put16(buf + 8, 1);
	}
	return n;
}

static uint32_t
first_ttl(const uint8_t *msg, size_t qend)
{
	const uint8_t *p = msg + qend + 6;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
test_positive(void)
{
	struct cache *c = cache_new(100, 1 << 20, 0, 86400, 0);
	uint8_t q[512], a[512], out[512];
	struct dnsmsg_query info;
	struct cache_key key, upper;
	size_t qn = make_query(q, "www.example.test", 0), an, n;

	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, &key);
	an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
	CHECK("miss before store", cache_lookup(c, &key, 1000, out,
	    sizeof(out)) == 0);
	cache_store(c, &key, a, an, 1000);
	n = cache_lookup(c, &key, 1010, out, sizeof(out));
	CHECK("hit after store", n == an);
	CHECK("served TTL counts down", first_ttl(out, info.question_end) ==
	    290);
	qn = make_query(q, "WWW.Example.TEST", 0);
	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, &upper);
	CHECK("name case does not matter", cache_lookup(c, &upper, 1010, out,
	    sizeof(out)) == an);
	CHECK("expired after its TTL", cache_lookup(c, &key, 1300, out,
	    sizeof(out)) == 0 && cache_entries(c) == 0);
	qn = make_query(q, "www.example.test", 1);
	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, &upper);
	CHECK("DO bit is part of the key", upper.len == key.len &&
	    memcmp(upper.bytes, key.bytes, key.len) != 0);
	cache_free(c);
}

static void
test_negative_and_errors(void)
{
	struct cache *c = cache_new(100, 1 << 20, 0, 86400, 0);
	uint8_t q[512], a[512], out[512];
	struct dnsmsg_query info;
	struct cache_key key;
	size_t qn = make_query(q, "nope.example.test", 0), an;
	uint32_t life;

	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, &key);
	an = make_answer(a, q, info.question_end, 3, 0, 600, 60);
	CHECK("NXDOMAIN lifetime is min(SOA TTL, MINIMUM)",
	    dnsmsg_cacheable(a, an, 0, 86400, &life) == 0 && life == 60);
	cache_store(c, &key, a, an, 0);
	CHECK("NXDOMAIN cached", cache_lookup(c, &key, 59, out,
	    sizeof(out)) == an);
	CHECK("NXDOMAIN expires", cache_lookup(c, &key, 60, out,
	    sizeof(out)) == 0);
	an = make_answer(a, q, info.question_end, 3, 0, 0, 0);
	CHECK("NXDOMAIN without SOA is not cached",
	    dnsmsg_cacheable(a, an, 0, 86400, &life) == -1);
	an = make_answer(a, q, info.question_end, 2, 0, 0, 0);
	cache_store(c, &key, a, an, 0);
	CHECK("SERVFAIL is not cached", cache_lookup(c, &key, 1, out,
	    sizeof(out)) == 0);
	an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
	a[2] |= 0x02;
	CHECK("truncated answers are not cached",
	    dnsmsg_cacheable(a, an, 0, 86400, &life) == -1);
	a[2] &= (uint8_t)~0x02;
	CHECK("max TTL caps the lifetime",
	    dnsmsg_cacheable(a, an, 0, 100, &life) == 0 && life == 100 &&
	    first_ttl(a, info.question_end) == 100);
	CHECK("min TTL raises it",
	    dnsmsg_cacheable(a, an, 500, 1000, &life) == 0 && life == 500);
	CHECK("malformed answer is not cached",
	    dnsmsg_cacheable(a, an - 3, 0, 86400, &life) == -1);
	cache_free(c);
}

static void
test_bounds(void)
{
	struct cache *c = cache_new(3, 1 << 20, 0, 86400, 0);
	struct cache *off = cache_new(0, 1 << 20, 0, 86400, 0);
	uint8_t q[512], a[512], out[512];
	struct dnsmsg_query info;
	struct cache_key keys[4];
	char name[32];
	size_t qn, an;
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "a%d.example.test", i);
		qn = make_query(q, name, 0);
		dnsmsg_parse_query(q, qn, &info);
		cache_key_of(c, q, &info, &keys[i]);
		an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
		if (i == 3)	/* a0 used recently: a1 is the LRU victim */
			cache_lookup(c, &keys[0], 0, out, sizeof(out));
		cache_store(c, &keys[i], a, an, 0);
		cache_store(off, &keys[i], a, an, 0);
	}
	CHECK("entry bound holds", cache_entries(c) == 3);
	CHECK("least recently used evicted", cache_lookup(c, &keys[1], 0, out,
	    sizeof(out)) == 0 && cache_lookup(c, &keys[0], 0, out,
	    sizeof(out)) > 0);
	CHECK("cache-size 0 stores nothing", cache_entries(off) == 0 &&
	    cache_lookup(off, &keys[0], 0, out, sizeof(out)) == 0);
	cache_free(c);
	cache_free(off);
	c = cache_new(100, 200, 0, 86400, 0);
	cache_store(c, &keys[0], a, an, 0);
	cache_store(c, &keys[1], a, an, 0);
	CHECK("byte bound holds", cache_entries(c) == 1);
	cache_free(c);
}

/* The key of name with qtype and header flags (no EDNS). */
static void
key_for(const char *name, uint16_t qtype, uint16_t flags,
    struct cache_key *key)
{
	uint8_t q[512];
	struct dnsmsg_query info;
	size_t qn = make_query(q, name, 0);

	dnsmsg_put16(q + 2, flags);
	dnsmsg_put16(q + qn - 4, qtype);
	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(NULL, q, &info, key);
}

static int
same_key(const struct cache_key *a, const struct cache_key *b)
{
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static void
test_key_bytes(void)
{
	struct cache_key a, b;

	key_for("www.example.test", 65, 0x0100, &a);
	key_for("www.example.test", 97, 0x0100, &b);
	CHECK("key: HTTPS (65) is not TYPE97", !same_key(&a, &b));
	key_for("www.example.test", 99, 0x0100, &a);
	key_for("www.example.test", 67, 0x0100, &b);
	CHECK("key: SPF (99) is not TYPE67", !same_key(&a, &b));
	key_for("WWW.example.TEST", 65, 0x0100, &b);
	key_for("www.example.test", 65, 0x0100, &a);
	CHECK("key: name case folded", same_key(&a, &b));
	key_for("www.example.test", 1, 0x0000, &a);
	key_for("www.example.test", 1, 0x0100, &b);
	CHECK("key: RD=0 is not RD=1", !same_key(&a, &b));
	key_for("www.example.test", 1, 0x0110, &a);
	CHECK("key: CD is part of it", !same_key(&a, &b));
	key_for("www.example.test", 1, 0x0120, &a);
	CHECK("key: AD is part of it (without DO)", !same_key(&a, &b));
}

/* OpenSSL's SipHash-2-4 (EVP_MAC "SIPHASH", 8-byte output) of p. */
static int
evp_siphash(const uint8_t seed[16], const uint8_t *p, size_t n,
    uint64_t *out)
{
	size_t size = 8, outl = 0;
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
		OSSL_PARAM_construct_end()
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	uint8_t mac_out[8];
	int ok = ctx && EVP_MAC_init(ctx, seed, 16, params) &&
	    EVP_MAC_update(ctx, p, n) &&
	    EVP_MAC_final(ctx, mac_out, &outl, sizeof(mac_out)) && outl == 8;
	int i;

	*out = 0;
	for (i = 7; ok && i >= 0; i--)
		*out = *out << 8 | mac_out[i];	/* little-endian output */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

static void
test_siphash(void)
{
	uint8_t seed[CACHE_SEED_LEN], data[64];
	uint64_t want;
	size_t n, same = 0;
	int ok = 1;

	for (n = 0; n < sizeof(seed); n++)
		seed[n] = (uint8_t)(n * 37 + 5);
	for (n = 0; n < sizeof(data); n++)
		data[n] = (uint8_t)(n * 11);
	for (n = 0; n <= sizeof(data); n++)
		if (evp_siphash(seed, data, n, &want) == -1 ||
		    cache_siphash(seed, data, n) != want)
			ok = 0;
	CHECK("siphash: same as OpenSSL's EVP_MAC SIPHASH, lengths 0..64",
	    ok);
	/*
	 * Seeds differing only in their last byte: with FNV started from
	 * the seed, the low (bucket) bits never changed.
	 */
	for (n = 0; n < 1000; n++) {
		uint64_t h1, h2;

		data[0] = (uint8_t)n;
		data[1] = (uint8_t)(n >> 8);
		h1 = cache_siphash(seed, data, 20);
		seed[15] ^= 0x80;
		h2 = cache_siphash(seed, data, 20);
		seed[15] ^= 0x80;
		same += (h1 & 1023) == (h2 & 1023);
	}
	CHECK("siphash: a high seed bit moves the bucket", same < 20);
}

static void
test_key_hash(void)
{
	struct cache *c1 = cache_new(1024, 1 << 20, 0, 86400, 0);
	struct cache *c2 = cache_new(1024, 1 << 20, 0, 86400, 0);
	static unsigned counts[1024];
	uint8_t q[512];
	struct dnsmsg_query info;
	struct cache_key k1, k2;
	char name[64];
	unsigned i, most = 0;
	size_t qn = make_query(q, "www.example.test", 0);

	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c1, q, &info, &k1);
	cache_key_of(c2, q, &info, &k2);
	CHECK("hash: same key, two caches, two hashes", same_key(&k1, &k2) &&
	    k1.hash != k2.hash);
	for (i = 0; i < 16384; i++) {
		snprintf(name, sizeof(name), "host%u.example.test", i);
		qn = make_query(q, name, 0);
		dnsmsg_parse_query(q, qn, &info);
		cache_key_of(c1, q, &info, &k1);
		counts[k1.hash & 1023]++;
	}
	for (i = 0; i < 1024; i++)
		most = counts[i] > most ? counts[i] : most;
	/* 16 per bucket on average; a Poisson tail past 40 is ~1e-7 */
	CHECK("hash: buckets evenly filled", most <= 40);
	cache_free(c1);
	cache_free(c2);
}

/* NXDOMAIN or NODATA behind a CNAME with cname_ttl, SOA ttl and min. */
static size_t
make_cname_negative(uint8_t *buf, const uint8_t *q, size_t qend, int rcode,
    uint32_t cname_ttl, uint32_t soa_ttl, uint32_t soa_min)
{
	uint8_t soa[512];
	size_t n = qend, s = make_answer(soa, q, qend, rcode, 0, soa_ttl,
	    soa_min);
	static const uint8_t cname[] = { 0xc0, 12, 0, 5, 0, 1 };

	memcpy(buf, soa, qend);
	memcpy(buf + n, cname, sizeof(cname));
	n += sizeof(cname);
	buf[n++] = (uint8_t)(cname_ttl >> 24);
	buf[n++] = (uint8_t)(cname_ttl >> 16);
	buf[n++] = (uint8_t)(cname_ttl >> 8);
	buf[n++] = (uint8_t)cname_ttl;
	dnsmsg_put16(buf + n, 4);
	memcpy(buf + n + 2, "\x01x\xc0\x0c", 4);	/* x.<qname> */
	n += 2 + 4;
	dnsmsg_put16(buf + 6, 1);
	memcpy(buf + n, soa + qend, s - qend);	/* the authority SOA */
	return n + s - qend;
}

static void
test_negative_cname(void)
{
	uint8_t q[512], a[512];
	struct dnsmsg_query info;
	size_t qn = make_query(q, "alias.example.test", 0), an;
	uint32_t life = 0;

	dnsmsg_parse_query(q, qn, &info);
	an = make_cname_negative(a, q, info.question_end, 3, 30, 600, 300);
	CHECK("NXDOMAIN behind a CNAME: the CNAME's TTL bounds it",
	    dnsmsg_cacheable(a, an, 0, 86400, &life) == 0 && life == 30);
	an = make_cname_negative(a, q, info.question_end, 0, 600, 300, 60);
	CHECK("NODATA behind a CNAME: min(SOA TTL, MINIMUM)",
	    dnsmsg_cacheable(a, an, 0, 86400, &life) == 0 && life == 60);
}

/* A cached answer served to a client that spelled the name otherwise. */
static void
test_cached_case(void)
{
	struct cache *c = cache_new(100, 1 << 20, 0, 86400, 0);
	uint8_t q[512], a[512], cached[512], out[512];
	struct dnsmsg_query info;
	struct cache_key key;
	size_t qn = make_query(q, "www.example.test", 0), an, n;

	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, &key);
	an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
	cache_store(c, &key, a, an, 0);
	qn = make_query(q, "wWw.EXAMPLE.tEsT", 0);
	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, &key);
	n = cache_lookup(c, &key, 1, cached, sizeof(cached));
	n = n ? dnsmsg_client_response(cached, n, q, &info, 512, out,
	    sizeof(out)) : 0;
	CHECK("cache hit echoes this client's question case", n == an &&
	    memcmp(out + 12, q + 12, info.question_end - 12) == 0);
	cache_free(c);
}

static void
test_stale(void)
{
	struct cache *c = cache_new(100, 1 << 20, 0, 86400, 3600);
	uint8_t q[512], a[512], out[600];
	struct dnsmsg_query info;
	struct cache_key key;
	size_t qn = make_query(q, "www.example.test", 1), an, n;

	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, &key);
	an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
	cache_store(c, &key, a, an, 0);
	CHECK("stale: expired for normal lookups", cache_lookup(c, &key, 400,
	    out, sizeof(out)) == 0);
	n = cache_lookup_stale(c, &key, 400, out, sizeof(out));
	CHECK("stale: served after expiry with TTL 30", n == an &&
	    first_ttl(out, info.question_end) == CACHE_STALE_TTL);
	CHECK("stale: gone after the stale window", cache_lookup_stale(c,
	    &key, 300 + 3600, out, sizeof(out)) == 0 && cache_entries(c) == 0);
	cache_free(c);
}

static void
test_add_ede(void)
{
	uint8_t q[512], a[600], out[600];
	struct dnsmsg_query info;
	size_t qn = make_query(q, "www.example.test", 1), an, n, m;

	dnsmsg_parse_query(q, qn, &info);
	an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
	n = dnsmsg_client_response(a, an, q, &info, 1232, out, sizeof(out));
	m = dnsmsg_add_ede(out, n, sizeof(out), DNS_EDE_STALE, "stale");
	CHECK("add_ede: option appended to the OPT", m == n + 11 &&
	    dnsmsg_get16(out + n) == DNS_EDNS_EDE &&
	    dnsmsg_get16(out + n + 4) == DNS_EDE_STALE);
	CHECK("add_ede: OPT length grows", dnsmsg_get16(out + n - 2) == 11);
	info.has_edns = 0;
	n = dnsmsg_client_response(a, an, q, &info, 1232, out, sizeof(out));
	CHECK("add_ede: nothing without OPT", dnsmsg_add_ede(out, n,
	    sizeof(out), DNS_EDE_STALE, "stale") == n);
}

/* Stores an A answer for name (dnssec: with the DO bit) at time 0. */
static void
store_for(struct cache *c, const char *name, int dnssec,
    struct cache_key *key)
{
	uint8_t q[512], a[512];
	struct dnsmsg_query info;
	size_t qn = make_query(q, name, dnssec), an;

	dnsmsg_parse_query(q, qn, &info);
	cache_key_of(c, q, &info, key);
	an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
	cache_store(c, key, a, an, 0);
}

static void
test_flush(void)
{
	struct cache *c = cache_new(100, 1 << 20, 0, 86400, 0);
	struct cache_key www, www_do, mail, sub;
	uint8_t name[64], out[512];
	size_t len = put_name(name, "WWW.Example.TEST");

	store_for(c, "www.example.test", 0, &www);
	store_for(c, "www.example.test", 1, &www_do);
	store_for(c, "mail.example.test", 0, &mail);
	store_for(c, "a.www.example.test", 0, &sub);
	CHECK("flush: 4 entries stored", cache_entries(c) == 4);
	CHECK("flush NAME (other case): both entries of the name go",
	    cache_flush(c, name, len) == 2);
	CHECK("flush NAME: its entries miss", cache_lookup(c, &www, 1, out,
	    sizeof(out)) == 0 && cache_lookup(c, &www_do, 1, out,
	    sizeof(out)) == 0);
	CHECK("flush NAME: other names and names below it stay",
	    cache_lookup(c, &mail, 1, out, sizeof(out)) > 0 &&
	    cache_lookup(c, &sub, 1, out, sizeof(out)) > 0);
	CHECK("flush NAME again: nothing left to drop",
	    cache_flush(c, name, len) == 0);
	CHECK("flush all: the other 2 go", cache_flush(c, NULL, 0) == 2 &&
	    cache_entries(c) == 0);
	CHECK("flush without a cache: nothing", cache_flush(NULL, NULL, 0) ==
	    0);
	cache_free(c);
}

/* How many of n distinct one-A answers a cache sized by text keeps. */
static size_t
kept_of_conf(const char *text, int n)
{
	uint8_t q[512], a[512];
	struct dnsmsg_query info;
	struct cache_key key;
	struct conf conf;
	struct cache *c;
	char name[64];
	size_t qn, an, kept;
	int i;

	if (conf_load_string("cache.conf", text, &conf, stderr) != 0)
		return 0;
	c = server_cache_new(&conf);
	conf_free(&conf);
	if (c == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "host-%05d.example.test", i);
		qn = make_query(q, name, 0);
		dnsmsg_parse_query(q, qn, &info);
		cache_key_of(c, q, &info, &key);
		an = make_answer(a, q, info.question_end, 0, 300, 0, 0);
		cache_store(c, &key, a, an, 0);
	}
	kept = cache_entries(c);
	cache_free(c);
	return kept;
}

/*
 * ctstub.conf(5)'s example, "cache-size 10000" without cache-max-bytes:
 * the byte bound follows the entry count, so 10,000 answers fit.
 */
static void
test_cache_size_sets_bytes(void)
{
	static const char base[] = "upstream dot://127.0.0.1\n";
	char text[256];

	snprintf(text, sizeof(text), "%scache-size 10000\n", base);
	CHECK("cache-size 10000 alone keeps 10,000 answers",
	    kept_of_conf(text, 10000) == 10000);
	snprintf(text, sizeof(text), "%scache-size 10000\n"
	    "cache-max-bytes 1048576\n", base);
	CHECK("an explicit cache-max-bytes still bounds it",
	    kept_of_conf(text, 10000) < 10000);
}

int
main(void)
{
	test_flush();
	test_cache_size_sets_bytes();
	test_stale();
	test_add_ede();
	test_positive();
	test_negative_and_errors();
	test_bounds();
	test_key_bytes();
	test_siphash();
	test_key_hash();
	test_negative_cname();
	test_cached_case();
	return CHECK_DONE();
}
