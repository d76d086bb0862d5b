/* SPDX-License-Identifier: ISC */
/*
 * Answer cache: keyed by (lower-cased question name, type and class as
 * sent, RD, CD, DO bits and whether AD may be set), TTL-aware (served TTLs count down), negative answers per RFC 2308,
 * bounded by entries and bytes with least-recently-used eviction. Only
 * answers that reached the client from a verified upstream are stored.
 * cache.c owns the entries; lookups copy into the caller's buffer, so no
 * allocation happens on a hit.
 */
#ifndef CTSTUB_CACHE_H
#define CTSTUB_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"

#define CACHE_KEY_MAX (255 + 4 + 1)
#define CACHE_SEED_LEN 16

struct cache;

struct cache_key {
	uint8_t bytes[CACHE_KEY_MAX];
	size_t len;
	uint64_t hash;
};

/*
 * max_entries 0: no cache (every call is a cheap no-op). stale_s: how long
 * expired answers are kept for cache_lookup_stale (0: not at all). NULL
 * when out of memory or without random bytes for the hash key.
 */
struct cache *cache_new(size_t max_entries, size_t max_bytes,
    uint32_t min_ttl, uint32_t max_ttl, uint32_t stale_s);
void cache_free(struct cache *cache);

/*
 * The key of a parsed client query, hashed with the cache's random SipHash
 * key (cache NULL: an all-zero key). It is also the coalescing key.
 */
void cache_key_of(const struct cache *cache, const uint8_t *msg,
    const struct dnsmsg_query *q, struct cache_key *key);

/* SipHash-2-4 of p under seed; exposed for the unit test. */
uint64_t cache_siphash(const uint8_t seed[CACHE_SEED_LEN], const uint8_t *p,
    size_t n);

/*
 * Copies a live answer for key into out, its TTLs reduced by its age;
 * returns its size, or 0 on a miss. now: monotonic seconds.
 */
size_t cache_lookup(struct cache *cache, const struct cache_key *key,
    uint64_t now, uint8_t *out, size_t cap);

/*
 * An expired answer kept for serve-stale (RFC 8767), its TTLs set to
 * CACHE_STALE_TTL; 0 when there is none.
 */
#define CACHE_STALE_TTL 30
size_t cache_lookup_stale(struct cache *cache, const struct cache_key *key,
    uint64_t now, uint8_t *out, size_t cap);

/* Stores resp under key when it may be cached (see dnsmsg_cacheable). */
void cache_store(struct cache *cache, const struct cache_key *key,
    const uint8_t *resp, size_t len, uint64_t now);

size_t cache_entries(const struct cache *cache);

/*
 * Drops every entry (name NULL), or every entry whose question name is
 * name (uncompressed wire format, namelen bytes with the root label; any
 * case), whatever its type, class and flags. Returns how many went.
 */
size_t cache_flush(struct cache *cache, const uint8_t *name,
    size_t namelen);

#endif
