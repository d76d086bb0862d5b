/* SPDX-License-Identifier: ISC */
/*
 * The zone table: which configured zone (a locally served name or a
 * forward zone) a query name falls in, the longest suffix winning. Built
 * once per configuration, read on every query: the match walks the name's
 * labels from the root down, one hash probe per label, and stops at the
 * first label no zone continues with, so a name outside every zone costs
 * one probe. The table owns its nodes, never the values it hands back.
 */
#ifndef CTSTUB_ZONE_H
#define CTSTUB_ZONE_H

#include <stddef.h>
#include <stdint.h>

#define ZONE_WIRE_MAX 255	/* a wire-format name, root label included */

struct zone_table;

struct zone_table *zone_table_new(void);
void zone_table_free(struct zone_table *t);

/*
 * Adds the zone name (wire format, uncompressed, any case) with value,
 * which must not be NULL; a zone already there takes the new value.
 * 0, or -1 (a malformed name, the root, or out of memory).
 */
int zone_table_add(struct zone_table *t, const uint8_t *name, size_t len,
    void *value);

/*
 * The value of the longest zone that is name or one of its ancestors, and
 * in *zone_off (when not NULL) the offset in name where that zone's labels
 * start; NULL when there is none. name is an uncompressed wire-format
 * name within len bytes (a query's question); a malformed one matches
 * nothing.
 */
void *zone_table_match(const struct zone_table *t, const uint8_t *name,
    size_t len, size_t *zone_off);

/* Number of zones in t. */
size_t zone_table_count(const struct zone_table *t);

/*
 * "Example.COM." or "example.com" (presentation form: letters, digits,
 * '-', '_' and '/', no escapes) to a lower-case wire-format name in out;
 * its length, or 0 when the text is not such a name or is the root.
 */
size_t zone_name_wire(const char *text, uint8_t *out, size_t cap);

/* A wire-format name as lower-case text ending in '.'; out >= 256 bytes. */
void zone_name_text(const uint8_t *name, size_t len, char *out, size_t cap);

#endif
