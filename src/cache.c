/* SPDX-License-Identifier: ISC */
/* Answer cache: hash table with chaining, LRU list, entry and byte bounds. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <openssl/rand.h>

#include "cache.h"

#define FLAG_CD 0x0010

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
	uint64_t seed;			/* keyed hash: no chosen collisions */
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
	if (RAND_bytes((unsigned char *)&cache->seed, sizeof(cache->seed)) != 1)
		cache->seed = (uint64_t)(uintptr_t)cache;
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

/* FNV-1a, started from a random seed. */
static uint64_t
key_hash(uint64_t seed, const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
cache_key_of(const struct cache *cache, const uint8_t *msg,
    const struct dnsmsg_query *q, struct cache_key *key)
{
	size_t n = q->question_end - DNS_HEADER_LEN, i;

	/* question bytes (name, type, class) lower-cased, then the flags */
	for (i = 0; i < n && i < CACHE_KEY_MAX - 1; i++)
		key->bytes[i] = (uint8_t)tolower(msg[DNS_HEADER_LEN + i]);
	key->bytes[i++] = (uint8_t)((q->dnssec_ok ? 1 : 0) |
	    ((q->flags & FLAG_CD) ? 2 : 0));
	key->len = i;
	key->hash = key_hash(cache ? cache->seed : 0, key->bytes, key->len);
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
