/* SPDX-License-Identifier: ISC */
/* Answer cache: hash table with chaining, LRU list, entry and byte bounds. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <openssl/rand.h>

#include "cache.h"

struct cache_entry {
	struct cache_entry *next;	/* hash chain */
	TAILQ_ENTRY(cache_entry) lru;	/* most recently used first */
	uint64_t hash;
	uint64_t stored;		/* monotonic seconds */
	uint32_t lifetime;		/* seconds */
	uint16_t keylen;
	uint16_t msglen;
	uint8_t data[];			/* key, then the answer */
};

struct cache {
	struct cache_entry **buckets;
	size_t nbuckets;		/* power of two */
	size_t entries, max_entries;
	size_t bytes, max_bytes;
	uint32_t min_ttl, max_ttl;
	uint32_t stale_s;		/* kept this long after expiry */
	uint8_t seed[CACHE_SEED_LEN];	/* SipHash key: no chosen collisions */
	TAILQ_HEAD(cache_entry_list, cache_entry) lru;
};

struct cache *
cache_new(size_t max_entries, size_t max_bytes, uint32_t min_ttl,
    uint32_t max_ttl, uint32_t stale_s)
{
	struct cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	cache->nbuckets = 1;
	while (cache->nbuckets < max_entries)
		cache->nbuckets <<= 1;
	cache->buckets = calloc(cache->nbuckets, sizeof(*cache->buckets));
	if (cache->buckets == NULL) {
		free(cache);
		return NULL;
	}
	cache->max_entries = max_entries;
	cache->max_bytes = max_bytes;
	cache->min_ttl = min_ttl;
	cache->max_ttl = max_ttl;
	cache->stale_s = stale_s;
	if (RAND_bytes(cache->seed, sizeof(cache->seed)) != 1) {
		free(cache->buckets);
		free(cache);
		return NULL;	/* fail closed: no guessable hash key */
	}
	TAILQ_INIT(&cache->lru);
	return cache;
}

static void
entry_remove(struct cache *cache, struct cache_entry *e)
{
	struct cache_entry **p = &cache->buckets[e->hash &
	    (cache->nbuckets - 1)];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	TAILQ_REMOVE(&cache->lru, e, lru);
	cache->entries--;
	cache->bytes -= sizeof(*e) + e->keylen + e->msglen;
	free(e);
}

void
cache_free(struct cache *cache)
{
	if (cache == NULL)
		return;
	while (!TAILQ_EMPTY(&cache->lru))
		entry_remove(cache, TAILQ_FIRST(&cache->lru));
	free(cache->buckets);
	free(cache);
}

size_t
cache_entries(const struct cache *cache)
{
	return cache ? cache->entries : 0;
}

/* Is the key of e for the (wire, any case) name? Keys hold it folded. */
static int
entry_has_name(const struct cache_entry *e, const uint8_t *name,
    size_t namelen)
{
	size_t i;

	/* the key: name, type and class (4 bytes), flags (1 byte) */
	if (e->keylen != namelen + 5)
		return 0;
	for (i = 0; i < namelen; i++)
		if (e->data[i] != dnsmsg_fold(name[i]))
			return 0;
	return 1;
}

size_t
cache_flush(struct cache *cache, const uint8_t *name, size_t namelen)
{
	struct cache_entry *e, *next;
	size_t gone = 0;

	if (cache == NULL)
		return 0;
	for (e = TAILQ_FIRST(&cache->lru); e != NULL; e = next) {
		next = TAILQ_NEXT(e, lru);
		if (name == NULL || entry_has_name(e, name, namelen)) {
			entry_remove(cache, e);
			gone++;
		}
	}
	return gone;
}

static uint64_t
get64le(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint64_t
rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

/* One SipRound over the state v[0..3]. */
static void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

/* Absorbs one 64-bit word with the two compression rounds. */
static void
sip_word(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

/*
 * SipHash-2-4 computed here rather than through EVP_MAC "SIPHASH": the
 * same function (test_cache compares them), without the provider dispatch
 * or the context copy (an allocation) on the per-query path.
 */
uint64_t
cache_siphash(const uint8_t seed[CACHE_SEED_LEN], const uint8_t *p,
    size_t n)
{
	uint64_t k0 = get64le(seed), k1 = get64le(seed + 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL,
	    k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
	    k1 ^ 0x7465646279746573ULL };
	uint64_t last = (uint64_t)n << 56;
	size_t i, j;

	for (i = 0; i + 8 <= n; i += 8)
		sip_word(v, get64le(p + i));
	for (j = 0; i + j < n; j++)
		last |= (uint64_t)p[i + j] << (8 * j);
	sip_word(v, last);
	v[2] ^= 0xff;
	for (j = 0; j < 4; j++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * The flags byte: what changes the upstream's answer or how it is
 * shared. RD: an RD=0 question gets a non-recursive answer. AD or DO: the
 * upstream sets AD only for those (RFC 6840 5.8).
 */
static uint8_t
key_flags(const struct dnsmsg_query *q)
{
	return (uint8_t)((q->dnssec_ok ? 1 : 0) |
	    ((q->flags & DNS_FLAG_CD) ? 2 : 0) |
	    ((q->flags & DNS_FLAG_RD) ? 4 : 0) |
	    ((q->dnssec_ok || (q->flags & DNS_FLAG_AD)) ? 8 : 0));
}

void
cache_key_of(const struct cache *cache, const uint8_t *msg,
    const struct dnsmsg_query *q, struct cache_key *key)
{
	static const uint8_t no_seed[CACHE_SEED_LEN];
	size_t n = q->question_end - DNS_HEADER_LEN, name, i;

	if (n > CACHE_KEY_MAX - 1)
		n = CACHE_KEY_MAX - 1;	/* parse_query keeps it shorter */
	name = n - 4;
	/* the name lower-cased; type and class exactly (65 is not 97) */
	for (i = 0; i < name; i++)
		key->bytes[i] = dnsmsg_fold(msg[DNS_HEADER_LEN + i]);
	memcpy(key->bytes + name, msg + DNS_HEADER_LEN + name, 4);
	key->bytes[n] = key_flags(q);
	key->len = n + 1;
	key->hash = cache_siphash(cache ? cache->seed : no_seed, key->bytes,
	    key->len);
}

static struct cache_entry *
find(struct cache *cache, const struct cache_key *key)
{
	struct cache_entry *e = cache->buckets[key->hash &
	    (cache->nbuckets - 1)];

	for (; e != NULL; e = e->next)
		if (e->hash == key->hash && e->keylen == key->len &&
		    memcmp(e->data, key->bytes, key->len) == 0)
			return e;
	return NULL;
}

/* The entry for key if it is not older than lifetime + extra seconds. */
static struct cache_entry *
find_live(struct cache *cache, const struct cache_key *key, uint64_t now,
    uint64_t extra)
{
	struct cache_entry *e;

	if (cache == NULL || cache->max_entries == 0 ||
	    (e = find(cache, key)) == NULL)
		return NULL;
	if (now - e->stored >= e->lifetime + (uint64_t)cache->stale_s) {
		entry_remove(cache, e);
		return NULL;
	}
	if (now - e->stored >= e->lifetime + extra)
		return NULL;
	TAILQ_REMOVE(&cache->lru, e, lru);
	TAILQ_INSERT_HEAD(&cache->lru, e, lru);
	return e;
}

size_t
cache_lookup(struct cache *cache, const struct cache_key *key, uint64_t now,
    uint8_t *out, size_t cap)
{
	struct cache_entry *e = find_live(cache, key, now, 0);

	if (e == NULL || e->msglen > cap)
		return 0;
	memcpy(out, e->data + e->keylen, e->msglen);
	dnsmsg_age_ttls(out, e->msglen, (uint32_t)(now - e->stored));
	return e->msglen;
}

size_t
cache_lookup_stale(struct cache *cache, const struct cache_key *key,
    uint64_t now, uint8_t *out, size_t cap)
{
	struct cache_entry *e = cache ? find_live(cache, key, now,
	    cache->stale_s) : NULL;

	if (e == NULL || e->msglen > cap)
		return 0;
	memcpy(out, e->data + e->keylen, e->msglen);
	dnsmsg_set_ttls(out, e->msglen, CACHE_STALE_TTL);
	return e->msglen;
}

/* Evicts least recently used entries until one of size more fits. */
static void
make_room(struct cache *cache, size_t size)
{
	while (!TAILQ_EMPTY(&cache->lru) &&
	    (cache->entries + 1 > cache->max_entries ||
	    cache->bytes + size > cache->max_bytes))
		entry_remove(cache, TAILQ_LAST(&cache->lru, cache_entry_list));
}

void
cache_store(struct cache *cache, const struct cache_key *key,
    const uint8_t *resp, size_t len, uint64_t now)
{
	struct cache_entry *e, *old;
	size_t size = sizeof(*e) + key->len + len;
	uint32_t lifetime;

	if (cache == NULL || cache->max_entries == 0 || len > UINT16_MAX ||
	    size > cache->max_bytes || (e = malloc(size)) == NULL)
		return;
	memcpy(e->data + key->len, resp, len);
	if (dnsmsg_cacheable(e->data + key->len, len, cache->min_ttl,
	    cache->max_ttl, &lifetime) == -1 || lifetime == 0) {
		free(e);
		return;
	}
	if ((old = find(cache, key)) != NULL)
		entry_remove(cache, old);
	make_room(cache, size);
	memcpy(e->data, key->bytes, key->len);
	e->hash = key->hash;
	e->stored = now;
	e->lifetime = lifetime;
	e->keylen = (uint16_t)key->len;
	e->msglen = (uint16_t)len;
	e->next = cache->buckets[key->hash & (cache->nbuckets - 1)];
	cache->buckets[key->hash & (cache->nbuckets - 1)] = e;
	TAILQ_INSERT_HEAD(&cache->lru, e, lru);
	cache->entries++;
	cache->bytes += size;
}
