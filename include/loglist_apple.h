/* SPDX-License-Identifier: ISC */
/*
 * Apple's CT log list (schema v5, https://valid.apple.com/ct/log_list/):
 * telling it from ctstub's own format, and what ctstub makes of it.
 * Apple's states are Chrome's six (pending, qualified, usable, readonly,
 * retired, rejected) and map one to one; loglist.c parses the rest with
 * the same checks. `ctstub loglist update` installs an Apple list
 * converted to ctstub's format (loglist_apple_convert), because Apple's
 * list carries no date of its own.
 */
#ifndef CTSTUB_LOGLIST_APPLE_H
#define CTSTUB_LOGLIST_APPLE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "loglist.h"

#define LOGLIST_APPLE_PREFIX "apple-"	/* version of a converted list */

/* 1 if root is Apple's schema: a v5 "$schema" and no log_list_timestamp. */
int loglist_apple_detect(json_t *root);

/*
 * An Apple list's date: the latest state change it records (a lower
 * bound on when it was made; Apple publishes no list timestamp).
 */
time_t loglist_apple_timestamp(const struct loglist *list);

/*
 * Apple's version number of list: the "version" of an Apple list, or N
 * of a converted one ("apple-N"); -1 for other lists.
 */
long loglist_apple_version(const struct loglist *list);

/*
 * The Apple list in buf rewritten in ctstub's format: "$schema" dropped,
 * "version" "apple-N", "log_list_timestamp" fetched_at (when the source
 * served it). A new string the caller frees, or NULL with err.
 */
char *loglist_apple_convert(const char *buf, size_t len, time_t fetched_at,
    size_t *outlen, char *err, size_t errlen);

#endif
