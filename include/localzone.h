/* SPDX-License-Identifier: ISC */
/*
 * Locally served names: the built-in list (RFC 6761 special-use names,
 * RFC 6303 private and special reverse zones, RFC 7686 .onion, RFC 8375
 * home.arpa, Firefox's DoH canary) and the answers ctstub makes for them
 * without asking any upstream.
 */
#ifndef CTSTUB_LOCALZONE_H
#define CTSTUB_LOCALZONE_H

#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"
#include "zones.h"

#define LOCALZONE_TTL		10800	/* RFC 6303 section 3: SOA TTL, MINIMUM */
#define LOCALHOST_TTL		86400	/* 127.0.0.1 and ::1 never change */

/*
 * Calls fn for each built-in zone (name with final dot, and its kind:
 * ZONE_LOCALHOST or ZONE_NXDOMAIN) until fn returns -1; 0 or -1.
 */
int localzone_each_default(int (*fn)(void *arg, const char *name,
    enum zone_kind kind), void *arg);

/*
 * The answer of local zone z to the query msg (parsed into info), whose
 * name has z's labels from zone_off: an upstream-style response with the
 * query's question, for dnsmsg_client_response to fit to the client.
 * localhost: A 127.0.0.1, AAAA ::1, NODATA for other types; other zones:
 * NXDOMAIN below the apex, the SOA or NODATA at it; a SOA in the
 * authority section of every negative answer. Its size, or 0.
 */
size_t localzone_answer(const struct zone *z, const uint8_t *msg,
    const struct dnsmsg_query *info, size_t zone_off, uint8_t *out,
    size_t cap);

#endif
