/* SPDX-License-Identifier: ISC */
/* Apple's CT log list (schema v5): detection, date, conversion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loglist_apple.h"

int
loglist_apple_detect(json_t *root)
{
	const char *schema = json_string_value(json_object_get(root,
	    "$schema"));

	return schema != NULL && strstr(schema, "log_list_schema_v5") !=
	    NULL && json_object_get(root, "log_list_timestamp") == NULL;
}

time_t
loglist_apple_timestamp(const struct loglist *list)
{
	time_t latest = 0;
	size_t i;

	for (i = 0; i < list->nlogs; i++)
		if (list->logs[i].state_time > latest)
			latest = list->logs[i].state_time;
	return latest;
}

/* A decimal version number, or -1. */
static long
version_number(const char *s)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	return *end == '\0' && errno == 0 ? n : -1;
}

long
loglist_apple_version(const struct loglist *list)
{
	size_t plen = strlen(LOGLIST_APPLE_PREFIX);

	if (list->format == LOGLIST_APPLE_V5)
		return version_number(list->version);
	if (strncmp(list->version, LOGLIST_APPLE_PREFIX, plen) == 0)
		return version_number(list->version + plen);
	return -1;
}

char *
loglist_apple_convert(const char *buf, size_t len, time_t fetched_at,
    size_t *outlen, char *err, size_t errlen)
{
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	const char *version;
	char when[32], name[96], *out = NULL;
	struct tm tm;

	version = json_string_value(json_object_get(root, "version"));
	if (root == NULL || !loglist_apple_detect(root) || version == NULL) {
		snprintf(err, errlen, "not an Apple v5 list");
		goto done;
	}
	gmtime_r(&fetched_at, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(name, sizeof(name), "%s%.64s", LOGLIST_APPLE_PREFIX, version);
	if (json_object_del(root, "$schema") == -1 ||
	    json_object_set_new(root, "version", json_string(name)) == -1 ||
	    json_object_set_new(root, "log_list_timestamp",
	    json_string(when)) == -1 ||
	    (out = json_dumps(root, JSON_INDENT(2))) == NULL) {
		snprintf(err, errlen, "cannot convert the Apple list");
		goto done;
	}
	*outlen = strlen(out);
 done:
	json_decref(root);
	return out;
}
