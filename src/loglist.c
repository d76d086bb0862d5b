/* SPDX-License-Identifier: ISC */
/*
 * loglist.c: load a CT log list (Chrome v3 JSON schema) into per-log
 * metadata and an OpenSSL CTLOG_STORE.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base64.h"
#include "loglist.h"
#include "loglist_apple.h"

#define MAX_TEXT	256	/* description, operator name, version */
#define MAX_KEY_DER	2048	/* RSA-4096 SPKI is ~550 bytes */
#define MAX_KEY_B64	(MAX_KEY_DER / 3 * 4 + 4)
#define MAX_LOGS	1024
#define MAX_OPERATORS	256

/*
 * Chrome's log mimics: SHA-256 of the public keys whose private halves
 * Google published (GoogleChrome/CertificateTransparency mimics/).
 */
static const unsigned char mimic_ids[2][LOGLIST_ID_LEN] = {
	{ 0xf4, 0x41, 0x95, 0xd6, 0xf0, 0x0e, 0x2d, 0xb5, 0x54, 0x35, 0xca,
	  0xdd, 0x57, 0x78, 0x92, 0xe5, 0x3e, 0x15, 0xad, 0x41, 0x70, 0x58,
	  0xf8, 0x78, 0xe1, 0x4f, 0xf6, 0xb9, 0x18, 0x74, 0x15, 0x89 },
	{ 0xb2, 0x2f, 0x7e, 0xde, 0xb5, 0xaf, 0x6a, 0xfe, 0x50, 0x3d, 0xe0,
	  0x40, 0x81, 0xb2, 0xd7, 0x4c, 0x12, 0x53, 0x84, 0x92, 0xfe, 0xdf,
	  0x2c, 0xb2, 0xa5, 0x26, 0x50, 0x3c, 0xef, 0x53, 0xce, 0xd2 },
};

static const char *const state_names[] = {
	[LOGLIST_PENDING] = "pending",
	[LOGLIST_QUALIFIED] = "qualified",
	[LOGLIST_USABLE] = "usable",
	[LOGLIST_READONLY] = "readonly",
	[LOGLIST_RETIRED] = "retired",
	[LOGLIST_REJECTED] = "rejected",
};

/*
 * Where the parser is, so every message can name the operator and log:
 * op and idx count from 1 (0: top level, operator level), kind is "log" or
 * "tiled log", desc is set once the description has been validated.
 */
struct parse {
	const char	*name;
	struct loglist	*list;
	char		*err;
	size_t		 errlen;
	size_t		 op;
	const char	*kind;
	size_t		 idx;
	const char	*desc;
};

static int	perr(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	note_add(struct loglist *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Writes "NAME: operator N log M ("desc"): message"; returns -1. */
static int
perr(struct parse *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->idx && p->desc)
		snprintf(p->err, p->errlen,
		    "%s: operator %zu %s %zu (\"%s\"): %s", p->name, p->op,
		    p->kind, p->idx, p->desc, msg);
	else if (p->idx)
		snprintf(p->err, p->errlen, "%s: operator %zu %s %zu: %s",
		    p->name, p->op, p->kind, p->idx, msg);
	else if (p->op)
		snprintf(p->err, p->errlen, "%s: operator %zu: %s",
		    p->name, p->op, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
	return -1;
}

/* Appends to the one-line note; an overlong note ends in "...". */
static void
note_add(struct loglist *list, const char *fmt, ...)
{
	size_t len = strlen(list->note);
	size_t room = sizeof(list->note) - len;
	va_list ap;
	int n;

	if (len > 0) {
		if (room <= 3)
			return;
		n = snprintf(list->note + len, room, "; ");
		len += (size_t)n;
		room -= (size_t)n;
	}
	va_start(ap, fmt);
	n = vsnprintf(list->note + len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		memcpy(list->note + sizeof(list->note) - 4, "...", 4);
}

static void
openssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

/* Printable ASCII or UTF-8 only: these strings end up in log lines. */
static int
text_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return len > 0;
}

/* Fetches the string member key of obj, at most max bytes, as a copy. */
static int
get_text(struct parse *p, json_t *obj, const char *key, size_t max,
    char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;

	if (v == NULL)
		return perr(p, "missing \"%s\"", key);
	if (!json_is_string(v))
		return perr(p, "\"%s\" is not a string", key);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > max || !text_ok(s, len) || strlen(s) != len)
		return perr(p, "\"%s\" is empty, too long or has control "
		    "characters", key);
	if ((*out = strdup(s)) == NULL)
		return perr(p, "out of memory");
	return 0;
}

/* Reads n decimal digits; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

static int
days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return days[month - 1] + (month == 2 && leap);
}

/* Parses the zone suffix: "Z" or "+HH:MM"/"-HH:MM"; *off in seconds. */
static int
parse_zone(const char *s, long *off)
{
	int hh, mm;

	if (s[0] == 'Z' && s[1] == '\0') {
		*off = 0;
		return 0;
	}
	/* the length first: a short suffix must not be read past its end */
	if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return -1;
	hh = digits(s + 1, 2);
	mm = digits(s + 4, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
		return -1;
	*off = (hh * 3600L + mm * 60L) * (s[0] == '-' ? -1 : 1);
	return 0;
}

/*
 * RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" to time_t.
 * Fractions are dropped: rounding a retirement time down only makes fewer
 * SCTs count.
 */
static int
parse_time(const char *s, time_t *out)
{
	struct tm tm;
	long off;
	time_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(s, 4);
	tm.tm_mon = digits(s + 5, 2);
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
	    tm.tm_mday < 1 ||
	    tm.tm_mday > days_in_month(tm.tm_year, tm.tm_mon) ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -1;
	s += 19;
	if (*s == '.') {
		if (digits(++s, 1) < 0)
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (parse_zone(s, &off) == -1)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1 || t - off <= 0)
		return -1;
	*out = t - off;
	return 0;
}

static int
get_time(struct parse *p, json_t *obj, const char *key, const char *what,
    time_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return perr(p, "%s: missing \"%s\"", what, key);
	if (!json_is_string(v) || parse_time(json_string_value(v), out) == -1)
		return perr(p, "%s: \"%s\" is not an RFC 3339 timestamp",
		    what, key);
	return 0;
}

static int
get_log_id(struct parse *p, json_t *jlog, struct loglist_log *log)
{
	json_t *v = json_object_get(jlog, "log_id");
	size_t len;

	if (v == NULL)
		return perr(p, "missing \"log_id\"");
	if (!json_is_string(v) || base64_decode(json_string_value(v), log->id,
	    sizeof(log->id), &len) == -1 || len != sizeof(log->id))
		return perr(p, "log_id is not 32 bytes of base64");
	return 0;
}

/* 0 if pkey re-encodes to exactly der: OpenSSL derives the id that way. */
static int
key_canonical(EVP_PKEY *pkey, const unsigned char *der, size_t derlen)
{
	unsigned char *re = NULL;
	int n, ok;

	n = i2d_PUBKEY(pkey, &re);
	ok = n > 0 && (size_t)n == derlen && memcmp(re, der, derlen) == 0;
	OPENSSL_free(re);
	return ok ? 0 : -1;
}

/* The key must be a DER SPKI whose SHA-256 is the log_id. */
static int
check_key(struct parse *p, const struct loglist_log *log)
{
	unsigned char der[MAX_KEY_DER], md[EVP_MAX_MD_SIZE];
	const unsigned char *q = der;
	unsigned int mdlen = 0;
	EVP_PKEY *pkey = NULL;
	size_t derlen;
	int type, rc = -1;

	if (base64_decode(log->key, der, sizeof(der), &derlen) == -1)
		return perr(p, "key is not base64 (or over %d bytes)",
		    MAX_KEY_DER);
	if (!EVP_Digest(der, derlen, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != LOGLIST_ID_LEN) {
		ERR_clear_error();
		return perr(p, "cannot hash key");
	}
	if (memcmp(md, log->id, LOGLIST_ID_LEN) != 0)
		return perr(p, "log_id is not SHA-256 of key");
	pkey = d2i_PUBKEY(NULL, &q, (long)derlen);
	if (pkey == NULL || q != der + derlen) {
		perr(p, "key is not a DER SubjectPublicKeyInfo");
		goto fail;
	}
	type = EVP_PKEY_get_base_id(pkey);
	if (type != EVP_PKEY_EC && type != EVP_PKEY_RSA) {
		perr(p, "key is neither EC nor RSA");
		goto fail;
	}
	if (key_canonical(pkey, der, derlen) == -1) {
		perr(p, "key is not canonical DER");
		goto fail;
	}
	rc = 0;
 fail:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	return rc;
}

/* "state": exactly one of the six states, each {"timestamp": ...}. */
static int
get_state(struct parse *p, json_t *jlog, struct loglist_log *log)
{
	json_t *st = json_object_get(jlog, "state");
	const char *name;
	json_t *v;
	size_t i;

	if (st == NULL)
		return perr(p, "missing \"state\"");
	if (!json_is_object(st) || json_object_size(st) != 1)
		return perr(p, "\"state\" must be an object with one state");
	name = json_object_iter_key(json_object_iter(st));
	v = json_object_iter_value(json_object_iter(st));
	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(name, state_names[i]) == 0)
			break;
	if (i == sizeof(state_names) / sizeof(state_names[0]))
		return perr(p, "unknown state \"%.32s\"",
		    text_ok(name, strlen(name)) ? name : "?");
	if (!json_is_object(v))
		return perr(p, "state %s is not an object", state_names[i]);
	log->state = (enum loglist_state)i;
	return get_time(p, v, "timestamp", "state", &log->state_time);
}

static int
get_interval(struct parse *p, json_t *jlog, struct loglist_log *log)
{
	json_t *ti = json_object_get(jlog, "temporal_interval");

	if (ti == NULL)
		return 0;
	if (!json_is_object(ti))
		return perr(p, "\"temporal_interval\" is not an object");
	if (get_time(p, ti, "start_inclusive", "temporal_interval",
	    &log->interval_start) == -1 ||
	    get_time(p, ti, "end_exclusive", "temporal_interval",
	    &log->interval_end) == -1)
		return -1;
	if (log->interval_start >= log->interval_end)
		return perr(p, "temporal_interval ends before it starts");
	return 0;
}

/* Logs we never load: mimics and non-production logs. 1 = drop. */
static int
dropped(struct parse *p, json_t *jlog, const struct loglist_log *log)
{
	json_t *type = json_object_get(jlog, "log_type");

	if (loglist_is_mimic(log->id, sizeof(log->id))) {
		note_add(p->list, "dropped mimic log \"%s\" (operator %zu %s "
		    "%zu): its private key is public", log->description,
		    p->op, p->kind, p->idx);
		return 1;
	}
	if (type != NULL && !(json_is_string(type) &&
	    strcmp(json_string_value(type), "prod") == 0)) {
		note_add(p->list, "dropped non-production log \"%s\" "
		    "(operator %zu %s %zu)", log->description, p->op, p->kind,
		    p->idx);
		return 1;
	}
	return 0;
}

static int
check_unique(struct parse *p, const struct loglist_log *log)
{
	const struct loglist *list = p->list;
	size_t i;

	for (i = 0; i < list->nlogs; i++)
		if (memcmp(list->logs[i].id, log->id, LOGLIST_ID_LEN) == 0)
			return perr(p, "duplicate log_id (also \"%s\")",
			    list->logs[i].description);
	return 0;
}

/* An optional URL member: absent leaves NULL; present must be http(s). */
static int
get_url(struct parse *p, json_t *jlog, const char *key, char **out)
{
	if (json_object_get(jlog, key) == NULL)
		return 0;
	if (get_text(p, jlog, key, MAX_TEXT, out) == -1)
		return -1;
	if ((strncmp(*out, "https://", 8) != 0 &&
	    strncmp(*out, "http://", 7) != 0) || strchr(*out, ' ') != NULL)
		return perr(p, "\"%s\" is not an http(s) URL", key);
	return 0;
}

/* The log's URLs and maximum merge delay, for auditing. */
static int
get_audit_fields(struct parse *p, json_t *jlog, struct loglist_log *log)
{
	json_t *v = json_object_get(jlog, "mmd");

	log->mmd = LOGLIST_DEFAULT_MMD;
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > LOGLIST_MAX_MMD))
		return perr(p, "\"mmd\" is not a number of seconds from 1 to "
		    "%d", LOGLIST_MAX_MMD);
	if (v != NULL)
		log->mmd = (long)json_integer_value(v);
	return get_url(p, jlog, "url", &log->url) == -1 ||
	    get_url(p, jlog, "submission_url", &log->submission_url) == -1 ||
	    get_url(p, jlog, "monitoring_url", &log->monitoring_url) == -1 ?
	    -1 : 0;
}

static void
log_clear(struct loglist_log *log)
{
	free(log->description);
	free(log->key);
	free(log->url);
	free(log->submission_url);
	free(log->monitoring_url);
	memset(log, 0, sizeof(*log));
}

/* Parses one log into the next free slot of list->logs (or drops it). */
static int
parse_log(struct parse *p, json_t *jlog, int tiled)
{
	struct loglist *list = p->list;
	struct loglist_log *log = &list->logs[list->nlogs];

	p->desc = NULL;
	if (!json_is_object(jlog))
		return perr(p, "not an object");
	if (get_text(p, jlog, "description", MAX_TEXT, &log->description) == -1)
		goto fail;
	p->desc = log->description;
	if (get_log_id(p, jlog, log) == -1 ||
	    get_text(p, jlog, "key", MAX_KEY_B64, &log->key) == -1 ||
	    check_key(p, log) == -1 || get_state(p, jlog, log) == -1 ||
	    get_interval(p, jlog, log) == -1 ||
	    get_audit_fields(p, jlog, log) == -1)
		goto fail;
	if (dropped(p, jlog, log)) {
		log_clear(log);
		return 0;
	}
	if (check_unique(p, log) == -1)
		goto fail;
	log->operator_index = p->op - 1;
	log->operator_name = list->operators[p->op - 1];
	log->tiled = tiled;
	list->nlogs++;
	return 0;
 fail:
	/* the message is written; the description is about to be freed */
	p->desc = NULL;
	log_clear(log);
	return -1;
}

static int
parse_logs(struct parse *p, json_t *jop, const char *key, int tiled)
{
	json_t *arr = json_object_get(jop, key);
	size_t i;

	if (arr == NULL && tiled)
		return 0;	/* lists from before 2025 have no tiled_logs */
	if (arr == NULL)
		return perr(p, "missing \"%s\"", key);
	if (!json_is_array(arr))
		return perr(p, "\"%s\" is not an array", key);
	p->kind = tiled ? "tiled log" : "log";
	for (i = 0; i < json_array_size(arr); i++) {
		p->idx = i + 1;
		if (parse_log(p, json_array_get(arr, i), tiled) == -1)
			return -1;
	}
	p->idx = 0;
	return 0;
}

/* Distinct-operator counting relies on one name per operator. */
static int
parse_operator(struct parse *p, json_t *jop)
{
	struct loglist *list = p->list;
	char *name = NULL;
	size_t i;

	if (!json_is_object(jop))
		return perr(p, "not an object");
	if (get_text(p, jop, "name", MAX_TEXT, &name) == -1)
		return -1;
	for (i = 0; i < list->noperators; i++) {
		if (strcasecmp(list->operators[i], name) == 0) {
			free(name);
			return perr(p, "duplicate operator name \"%s\"",
			    list->operators[i]);
		}
	}
	list->operators[list->noperators++] = name;
	if (parse_logs(p, jop, "logs", 0) == -1 ||
	    parse_logs(p, jop, "tiled_logs", 1) == -1)
		return -1;
	return 0;
}

static size_t
array_size(json_t *obj, const char *key)
{
	return json_array_size(json_object_get(obj, key));
}

/* Sizes the arrays up front so that pointers into them stay valid. */
static int
alloc_arrays(struct parse *p, json_t *ops)
{
	struct loglist *list = p->list;
	size_t i, nops = json_array_size(ops), nlogs = 0;
	json_t *jop;

	if (nops == 0)
		return perr(p, "\"operators\" is empty");
	if (nops > MAX_OPERATORS)
		return perr(p, "more than %d operators", MAX_OPERATORS);
	json_array_foreach(ops, i, jop)
		nlogs += array_size(jop, "logs") + array_size(jop,
		    "tiled_logs");
	if (nlogs > MAX_LOGS)
		return perr(p, "more than %d logs", MAX_LOGS);
	list->operators = calloc(nops, sizeof(*list->operators));
	list->logs = calloc(nlogs ? nlogs : 1, sizeof(*list->logs));
	if (list->operators == NULL || list->logs == NULL)
		return perr(p, "out of memory");
	return 0;
}

static int
parse_list(struct parse *p, json_t *root)
{
	struct loglist *list = p->list;
	json_t *ops, *jop;
	size_t i;

	if (!json_is_object(root))
		return perr(p, "top level is not an object");
	list->format = loglist_apple_detect(root) ? LOGLIST_APPLE_V5 :
	    LOGLIST_CHROME_V3;
	if (get_text(p, root, "version", MAX_TEXT, &list->version) == -1)
		return -1;
	if (list->format == LOGLIST_CHROME_V3 && get_time(p, root,
	    "log_list_timestamp", "list", &list->timestamp) == -1)
		return -1;
	ops = json_object_get(root, "operators");
	if (!json_is_array(ops))
		return perr(p, "\"operators\" missing or not an array");
	if (alloc_arrays(p, ops) == -1)
		return -1;
	json_array_foreach(ops, i, jop) {
		p->op = i + 1;
		if (parse_operator(p, jop) == -1)
			return -1;
	}
	p->op = 0;
	if (list->nlogs == 0)
		return perr(p, "no logs");
	if (list->format == LOGLIST_APPLE_V5)
		list->timestamp = loglist_apple_timestamp(list);
	return 0;
}

/*
 * OpenSSL 3.0 fills a CTLOG_STORE only from a file in its config format
 * (there is no CTLOG_STORE_add0_log), so we write that text ourselves, with
 * our own section names, and let OpenSSL read it back.
 */
static char *
store_text(const struct loglist *list, size_t *len)
{
	char *text = NULL;
	const char *sep = "";
	FILE *fp;
	size_t i;

	if ((fp = open_memstream(&text, len)) == NULL)
		return NULL;
	fputs("enabled_logs = ", fp);
	for (i = 0; i < list->nlogs; i++) {
		if (list->logs[i].state == LOGLIST_REJECTED)
			continue;
		fprintf(fp, "%sl%zu", sep, i);
		sep = ",";
	}
	fputs("\n", fp);
	/* keys are strict base64, safe in a config value */
	for (i = 0; i < list->nlogs; i++)
		if (list->logs[i].state != LOGLIST_REJECTED)
			fprintf(fp, "\n[l%zu]\ndescription = l%zu\nkey = %s\n",
			    i, i, list->logs[i].key);
	if (fclose(fp) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static CTLOG_STORE *
store_load_path(const char *path)
{
	CTLOG_STORE *store;

	if ((store = CTLOG_STORE_new()) == NULL)
		return NULL;
	if (!CTLOG_STORE_load_file(store, path)) {
		CTLOG_STORE_free(store);
		return NULL;
	}
	return store;
}

/* An anonymous memory file: nothing touches the disk. Needs /proc. */
static CTLOG_STORE *
store_via_memfd(const char *text, size_t len)
{
	CTLOG_STORE *store = NULL;
	char path[64];
	int fd;

	if ((fd = memfd_create("ctstub-ct-logs", MFD_CLOEXEC)) == -1)
		return NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (write_all(fd, text, len) == 0)
		store = store_load_path(path);
	close(fd);
	return store;
}

/* Fallback without /proc (chroot): a private temporary file. */
static CTLOG_STORE *
store_via_tmpfile(const char *text, size_t len)
{
	char path[] = "/tmp/ctstub-ct-logs.XXXXXX";
	CTLOG_STORE *store = NULL;
	int fd;

	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return NULL;
	if (write_all(fd, text, len) == 0)
		store = store_load_path(path);
	unlink(path);
	close(fd);
	return store;
}

/* A fresh store with every log of list that is not rejected. */
static CTLOG_STORE *
store_build(const struct loglist *list)
{
	CTLOG_STORE *store;
	size_t len;
	char *text;

	if ((text = store_text(list, &len)) == NULL)
		return NULL;
	if ((store = store_via_memfd(text, len)) == NULL) {
		ERR_clear_error();
		store = store_via_tmpfile(text, len);
	}
	free(text);
	return store;
}

static int
build_store(struct parse *p)
{
	struct loglist *list = p->list;
	char ossl[160];
	size_t i, n = 0;

	for (i = 0; i < list->nlogs; i++)
		n += list->logs[i].state != LOGLIST_REJECTED;
	if (n == 0)
		return perr(p, "every log is rejected");
	if ((list->store = store_build(list)) == NULL) {
		openssl_error(ossl, sizeof(ossl));
		return perr(p, "cannot build the OpenSSL log store: %s", ossl);
	}
	for (i = 0; i < list->nlogs; i++) {
		struct loglist_log *log = &list->logs[i];

		if (log->state == LOGLIST_REJECTED)
			continue;
		log->ctlog = CTLOG_STORE_get0_log_by_id(list->store, log->id,
		    sizeof(log->id));
		if (log->ctlog == NULL)
			return perr(p, "OpenSSL did not load log \"%s\"",
			    log->description);
	}
	return 0;
}

struct loglist *
loglist_load_buf(const char *name, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct parse p = { .name = name, .err = err, .errlen = errlen };
	json_error_t jerr;
	json_t *root = NULL;

	if (len > LOGLIST_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %u bytes", name,
		    LOGLIST_MAX_FILE);
		return NULL;
	}
	if ((p.list = calloc(1, sizeof(*p.list))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, jerr.line,
		    jerr.column, jerr.text);
		goto fail;
	}
	if (parse_list(&p, root) == -1 || build_store(&p) == -1)
		goto fail;
	json_decref(root);
	return p.list;
 fail:
	json_decref(root);
	loglist_free(p.list);
	return NULL;
}

/* Reads the whole file, refusing anything over LOGLIST_MAX_FILE. */
static char *
read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	char *buf = NULL;
	struct stat st;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)LOGLIST_MAX_FILE) {
		snprintf(err, errlen, "%s: not a regular file of at most %u "
		    "bytes", path, LOGLIST_MAX_FILE);
		goto fail;
	}
	*len = (size_t)st.st_size;
	if ((buf = malloc(*len + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (fread(buf, 1, *len, fp) != *len) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		buf = NULL;
	}
 fail:
	fclose(fp);
	return buf;
}

struct loglist *
loglist_load(const char *path, char *err, size_t errlen)
{
	struct loglist *list;
	size_t len;
	char *buf;

	if ((buf = read_file(path, &len, err, errlen)) == NULL)
		return NULL;
	list = loglist_load_buf(path, buf, len, err, errlen);
	free(buf);
	return list;
}

CTLOG_STORE *
loglist_new_store(const struct loglist *list)
{
	CTLOG_STORE *store = store_build(list);

	ERR_clear_error();
	return store;
}

const struct loglist_log *
loglist_find(const struct loglist *list, const unsigned char *id,
    size_t idlen)
{
	size_t i;

	if (list == NULL || id == NULL || idlen != LOGLIST_ID_LEN)
		return NULL;
	for (i = 0; i < list->nlogs; i++)
		if (memcmp(list->logs[i].id, id, LOGLIST_ID_LEN) == 0)
			return &list->logs[i];
	return NULL;
}

int
loglist_is_mimic(const unsigned char *id, size_t idlen)
{
	size_t i;

	if (id == NULL || idlen != LOGLIST_ID_LEN)
		return 0;
	for (i = 0; i < sizeof(mimic_ids) / sizeof(mimic_ids[0]); i++)
		if (memcmp(mimic_ids[i], id, LOGLIST_ID_LEN) == 0)
			return 1;
	return 0;
}

int
loglist_state_is_current(enum loglist_state state)
{
	return state == LOGLIST_QUALIFIED || state == LOGLIST_USABLE ||
	    state == LOGLIST_READONLY;
}

const char *
loglist_state_name(enum loglist_state state)
{
	if ((size_t)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[state];
}

void
loglist_free(struct loglist *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->nlogs; i++)
		log_clear(&list->logs[i]);
	for (i = 0; i < list->noperators; i++)
		free(list->operators[i]);
	free(list->operators);
	free(list->logs);
	free(list->version);
	CTLOG_STORE_free(list->store);
	free(list);
}
