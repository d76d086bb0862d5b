/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for loglist.c: the shipped list, a fixture with every state,
 * and broken lists that must fail with a message naming the problem.
 * Run from the repository root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "check.h"
#include "loglist.h"
#include "loglist_apple.h"

#define DATA CHECK_SRCDIR "/tests/data/ct/"

static const unsigned char mimic1[LOGLIST_ID_LEN] = {
	0xf4, 0x41, 0x95, 0xd6, 0xf0, 0x0e, 0x2d, 0xb5, 0x54, 0x35, 0xca,
	0xdd, 0x57, 0x78, 0x92, 0xe5, 0x3e, 0x15, 0xad, 0x41, 0x70, 0x58,
	0xf8, 0x78, 0xe1, 0x4f, 0xf6, 0xb9, 0x18, 0x74, 0x15, 0x89
};

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return timegm(&tm);
}

static const struct loglist_log *
by_desc(const struct loglist *list, const char *desc)
{
	size_t i;

	for (i = 0; list != NULL && i < list->nlogs; i++)
		if (strcmp(list->logs[i].description, desc) == 0)
			return &list->logs[i];
	return NULL;
}

/* The load fails and the message contains want. */
static int
fails_with(const char *path, const char *want)
{
	struct loglist *list;
	char err[512] = "";

	list = loglist_load(path, err, sizeof(err));
	if (list != NULL) {
		loglist_free(list);
		return 0;
	}
	if (strstr(err, want) == NULL) {
		printf("# %s: got \"%s\", want \"%s\"\n", path, err, want);
		return 0;
	}
	return 1;
}

/* Every log has what auditing needs: its URLs and its MMD. */
static void
test_shipped_urls(const struct loglist *list)
{
	size_t i;
	int urls = 1, tiled = 0, mmd = 1;

	for (i = 0; i < list->nlogs; i++) {
		const struct loglist_log *l = &list->logs[i];

		if (l->tiled) {
			tiled++;
			urls &= l->submission_url != NULL &&
			    l->monitoring_url != NULL &&
			    strncmp(l->monitoring_url, "https://", 8) == 0;
			mmd &= l->mmd == 60;
		} else {
			urls &= l->url != NULL;
			mmd &= l->mmd == 86400;
		}
	}
	CHECK("shipped list: every log has its URLs", urls && tiled > 0);
	CHECK("shipped list: MMD 24 h, 60 s for tiled logs", mmd);
}

static void
test_shipped(void)
{
	struct loglist *list;
	char err[512] = "";
	size_t i;
	int stored = 1, current = 0, bad_state = 0;

	list = loglist_load("conf/ct-logs.json", err, sizeof(err));
	CHECK("shipped list loads", list != NULL);
	if (list == NULL) {
		printf("# %s\n", err);
		return;
	}
	CHECK("shipped list version is ours",
	    strncmp(list->version, "ctstub-", 7) == 0);
	CHECK("shipped list has a timestamp", list->timestamp > 0);
	CHECK("shipped list has several operators", list->noperators >= 5);
	CHECK("shipped list has no notes", list->note[0] == '\0');
	for (i = 0; i < list->nlogs; i++) {
		stored &= list->logs[i].ctlog != NULL;
		current += loglist_state_is_current(list->logs[i].state);
		bad_state |= list->logs[i].state == LOGLIST_PENDING ||
		    list->logs[i].state == LOGLIST_REJECTED;
	}
	CHECK("shipped list has no pending or rejected log", !bad_state);
	CHECK("every shipped log is in the OpenSSL store", stored);
	CHECK("shipped list has current logs", current >= 10);
	CHECK("shipped list has no mimic", loglist_find(list, mimic1,
	    sizeof(mimic1)) == NULL);
	test_shipped_urls(list);
	loglist_free(list);
}

static void
test_good_states(const struct loglist *list)
{
	const struct loglist_log *l;

	l = by_desc(list, "Google 'Argon2026h1' log");
	CHECK("usable log", l && l->state == LOGLIST_USABLE &&
	    l->state_time == utc(2024, 9, 30, 22, 19, 27));
	CHECK("operator name and index", l && l->operator_index == 0 &&
	    strcmp(l->operator_name, "Operator A") == 0);
	CHECK("temporal interval", l &&
	    l->interval_start == utc(2026, 1, 1, 0, 0, 0) &&
	    l->interval_end == utc(2026, 7, 1, 0, 0, 0));
	l = by_desc(list, "Google 'Xenon2026h1' log");
	CHECK("retired log", l && l->state == LOGLIST_RETIRED &&
	    l->state_time == utc(2025, 12, 1, 0, 0, 0) && l->ctlog != NULL);
	l = by_desc(list, "Google 'Argon2026h2' log");
	CHECK("qualified log, fractional seconds dropped", l &&
	    l->state == LOGLIST_QUALIFIED &&
	    l->state_time == utc(2025, 10, 18, 0, 0, 0));
	l = by_desc(list, "Cloudflare 'Nimbus2026'");
	CHECK("readonly log with final_tree_head, +01:00 offset", l &&
	    l->state == LOGLIST_READONLY &&
	    l->state_time == utc(2025, 12, 12, 21, 30, 0));
	l = by_desc(list, "Let's Encrypt 'Oak2026h1'");
	CHECK("pending log is in the store", l &&
	    l->state == LOGLIST_PENDING && l->ctlog != NULL);
	l = by_desc(list, "DigiCert 'Sphinx2026h1'");
	CHECK("rejected log is known but not in the store", l &&
	    l->state == LOGLIST_REJECTED && l->ctlog == NULL &&
	    CTLOG_STORE_get0_log_by_id(list->store, l->id,
	    LOGLIST_ID_LEN) == NULL);
	l = by_desc(list, "Let's Encrypt 'Sycamore2026h1'");
	CHECK("tiled log without interval", l && l->tiled &&
	    l->interval_start == 0 && l->interval_end == 0 &&
	    l->operator_index == 1);
	CHECK("find by id", l &&
	    loglist_find(list, l->id, LOGLIST_ID_LEN) == l);
	l = by_desc(list, "Venafi log");
	CHECK("RSA-2048 log key", l && l->state == LOGLIST_USABLE &&
	    l->ctlog != NULL && l->interval_end == 0);
	CHECK("find with a wrong length", l &&
	    loglist_find(list, l->id, LOGLIST_ID_LEN - 1) == NULL);
}

static void
test_good(void)
{
	struct loglist *list;
	char err[512] = "";

	list = loglist_load(DATA "good.json", err, sizeof(err));
	CHECK("good fixture loads", list != NULL);
	if (list == NULL) {
		printf("# %s\n", err);
		return;
	}
	CHECK("version", strcmp(list->version, "test-good-1") == 0);
	CHECK("timestamp", list->timestamp == utc(2026, 1, 2, 12, 0, 0));
	CHECK("eight logs, mimic dropped", list->nlogs == 8);
	CHECK("three operators", list->noperators == 3);
	CHECK("mimic never loaded",
	    loglist_find(list, mimic1, sizeof(mimic1)) == NULL &&
	    CTLOG_STORE_get0_log_by_id(list->store, mimic1,
	    sizeof(mimic1)) == NULL);
	CHECK("mimic drop is noted",
	    strstr(list->note, "dropped mimic log \"Mimic 1\"") != NULL);
	CHECK("mimic id recognised", loglist_is_mimic(mimic1, sizeof(mimic1)));
	test_good_states(list);
	loglist_free(list);
	loglist_free(NULL);
}

static void
test_bad_files(void)
{
	CHECK("malformed JSON", fails_with(DATA "bad-json.json",
	    DATA "bad-json.json:"));
	CHECK("wrong log_id", fails_with(DATA "bad-logid.json",
	    DATA "bad-logid.json: operator 2 log 1 (\"Cloudflare "
	    "'Nimbus2026'\"): log_id is not SHA-256 of key"));
	CHECK("unknown state", fails_with(DATA "bad-state.json",
	    "operator 1 log 3 (\"Google 'Argon2026h2' log\"): unknown state "
	    "\"frozen\""));
	CHECK("missing key", fails_with(DATA "missing-key.json",
	    "operator 2 tiled log 1 (\"Let's Encrypt 'Sycamore2026h1'\"): "
	    "missing \"key\""));
	CHECK("missing file", fails_with(DATA "no-such-file.json",
	    DATA "no-such-file.json: No such file"));
}

/* Loads good.json, lets edit() change it, and loads the result. */
static int
mutated_fails_with(void (*edit)(json_t *), const char *want)
{
	struct loglist *list;
	char err[512] = "", *text;
	json_t *root;

	if ((root = json_load_file(DATA "good.json", 0, NULL)) == NULL)
		return 0;
	edit(root);
	text = json_dumps(root, 0);
	json_decref(root);
	if (text == NULL)
		return 0;
	list = loglist_load_buf("mutated", text, strlen(text), err,
	    sizeof(err));
	free(text);
	if (list != NULL) {
		loglist_free(list);
		printf("# loaded, want \"%s\"\n", want);
		return 0;
	}
	if (strstr(err, want) == NULL) {
		printf("# got \"%s\", want \"%s\"\n", err, want);
		return 0;
	}
	return 1;
}

static json_t *
nth_log(json_t *root, size_t op, size_t n)
{
	json_t *ops = json_object_get(root, "operators");

	return json_array_get(json_object_get(json_array_get(ops, op),
	    "logs"), n);
}

static void
set(json_t *obj, const char *key, const char *value)
{
	json_object_set_new(obj, key, json_string(value));
}

static void
edit_key_b64(json_t *r)
{
	set(nth_log(r, 0, 0), "key", "MFkw EwYH");
}

static void
edit_id_len(json_t *r)
{
	set(nth_log(r, 0, 0), "log_id", "AAAA");
}

static void
edit_id_bits(json_t *r)
{
	/* last character's unused bits set: same bytes, second spelling */
	set(nth_log(r, 0, 0), "log_id",
	    "DleUvPOuqT4zGyyZB7P3kN+bwj1xMiXdIaklrGHFTiF=");
}

static void
edit_bad_date(json_t *r)
{
	json_t *st = json_object_get(nth_log(r, 0, 0), "state");

	set(json_object_get(st, "usable"), "timestamp",
	    "2025-02-30T00:00:00Z");
}

static void
edit_no_zone(json_t *r)
{
	set(r, "log_list_timestamp", "2026-01-02T12:00:00");
}

static void
edit_short_zone(json_t *r)
{
	/* parse_zone once read s[3] and s[6] of this 2-byte suffix */
	set(r, "log_list_timestamp", "2026-01-02T12:00:00+0");
}

static void
edit_dup_log(json_t *r)
{
	json_t *ops = json_object_get(r, "operators");

	json_array_append(json_object_get(json_array_get(ops, 1), "logs"),
	    nth_log(r, 0, 0));
}

static void
edit_dup_operator(json_t *r)
{
	set(json_array_get(json_object_get(r, "operators"), 1), "name",
	    "operator a");
}

static void
edit_interval(json_t *r)
{
	json_t *ti = json_object_get(nth_log(r, 0, 0), "temporal_interval");

	set(ti, "end_exclusive", "2025-01-01T00:00:00Z");
}

static void
edit_no_version(json_t *r)
{
	json_object_del(r, "version");
}

static void
edit_control(json_t *r)
{
	set(nth_log(r, 0, 1), "description", "evil\nlog");
}

static void
edit_two_states(json_t *r)
{
	json_t *st = json_object_get(nth_log(r, 0, 0), "state");

	json_object_set(st, "retired", json_object_get(st, "usable"));
}

static void
edit_all_rejected(json_t *r)
{
	json_t *ops = json_object_get(r, "operators"), *op, *log, *st;
	size_t i, j;

	json_array_foreach(ops, i, op) {
		json_object_del(op, "tiled_logs");
		json_array_foreach(json_object_get(op, "logs"), j, log) {
			st = json_pack("{s{ss}}", "rejected", "timestamp",
			    "2025-01-01T00:00:00Z");
			json_object_set_new(log, "state", st);
		}
	}
}

static void
edit_not_array(json_t *r)
{
	set(json_array_get(json_object_get(r, "operators"), 0), "logs", "x");
}

static void
edit_mmd(json_t *r)
{
	json_object_set_new(nth_log(r, 0, 0), "mmd", json_integer(0));
}

static void
edit_url(json_t *r)
{
	set(nth_log(r, 0, 0), "url", "ftp://log.example.test/");
}

static void
test_mutations(void)
{
	CHECK("mmd of 0 refused", mutated_fails_with(edit_mmd,
	    "\"mmd\" is not a number of seconds from 1 to"));
	CHECK("url not http(s) refused", mutated_fails_with(edit_url,
	    "\"url\" is not an http(s) URL"));
	CHECK("key not base64", mutated_fails_with(edit_key_b64,
	    "mutated: operator 1 log 1 (\"Google 'Argon2026h1' log\"): key is "
	    "not base64"));
	CHECK("log_id wrong length", mutated_fails_with(edit_id_len,
	    "log_id is not 32 bytes of base64"));
	CHECK("log_id non-canonical base64", mutated_fails_with(edit_id_bits,
	    "log_id is not 32 bytes of base64"));
	CHECK("impossible date", mutated_fails_with(edit_bad_date,
	    "state: \"timestamp\" is not an RFC 3339 timestamp"));
	CHECK("timestamp without zone", mutated_fails_with(edit_no_zone,
	    "mutated: list: \"log_list_timestamp\" is not an RFC 3339"));
	CHECK("timestamp with a short zone suffix",
	    mutated_fails_with(edit_short_zone,
	    "mutated: list: \"log_list_timestamp\" is not an RFC 3339"));
	CHECK("duplicate log id", mutated_fails_with(edit_dup_log,
	    "operator 2 log 5 (\"Google 'Argon2026h1' log\"): duplicate "
	    "log_id"));
	CHECK("duplicate operator", mutated_fails_with(edit_dup_operator,
	    "mutated: operator 2: duplicate operator name \"Operator A\""));
	CHECK("reversed interval", mutated_fails_with(edit_interval,
	    "temporal_interval ends before it starts"));
	CHECK("missing version", mutated_fails_with(edit_no_version,
	    "mutated: missing \"version\""));
	CHECK("control character", mutated_fails_with(edit_control,
	    "operator 1 log 2: \"description\" is empty, too long or has "
	    "control characters"));
	CHECK("two states", mutated_fails_with(edit_two_states,
	    "\"state\" must be an object with one state"));
	CHECK("every log rejected", mutated_fails_with(edit_all_rejected,
	    "mutated: every log is rejected"));
	CHECK("logs not an array", mutated_fails_with(edit_not_array,
	    "operator 1: \"logs\" is not an array"));
}

/* A store for SSL_CTX_set0_ctlog_store, which frees it with the ctx. */
static void
test_new_store(void)
{
	struct loglist *list;
	const struct loglist_log *l;
	CTLOG_STORE *store;
	SSL_CTX *ctx;
	char err[512];

	if ((list = loglist_load(DATA "good.json", err, sizeof(err))) == NULL)
		return;
	store = loglist_new_store(list);
	l = by_desc(list, "Let's Encrypt 'Sycamore2026h1'");
	CHECK("new store has the logs", store != NULL && l != NULL &&
	    store != list->store &&
	    CTLOG_STORE_get0_log_by_id(store, l->id, LOGLIST_ID_LEN) != NULL);
	l = by_desc(list, "DigiCert 'Sphinx2026h1'");
	CHECK("new store leaves out rejected logs", store != NULL &&
	    l != NULL &&
	    CTLOG_STORE_get0_log_by_id(store, l->id, LOGLIST_ID_LEN) == NULL);
	if ((ctx = SSL_CTX_new(TLS_client_method())) != NULL)
		SSL_CTX_set0_ctlog_store(ctx, store);
	else
		CTLOG_STORE_free(store);
	SSL_CTX_free(ctx);
	loglist_free(list);
}

static void
test_raw(void)
{
	static const char dup_keys[] = "{\"version\":\"a\",\"version\":\"b\"}";
	static const char empty[] = "{\"version\":\"a\",\"log_list_timestamp\":"
	    "\"2026-01-01T00:00:00Z\",\"operators\":[]}";
	struct loglist *list;
	char err[512] = "";

	list = loglist_load_buf("raw", dup_keys, sizeof(dup_keys) - 1, err,
	    sizeof(err));
	CHECK("duplicate JSON keys refused", list == NULL &&
	    strstr(err, "raw:1:") != NULL && strstr(err, "duplicate") != NULL);
	list = loglist_load_buf("raw", empty, sizeof(empty) - 1, err,
	    sizeof(err));
	CHECK("no operators refused", list == NULL &&
	    strcmp(err, "raw: \"operators\" is empty") == 0);
}

static void
test_log_type(void)
{
	struct loglist *list;
	char err[512] = "", *text;
	json_t *root;

	root = json_load_file(DATA "good.json", 0, NULL);
	set(nth_log(root, 0, 2), "log_type", "test");
	text = json_dumps(root, 0);
	json_decref(root);
	list = loglist_load_buf("typed", text, strlen(text), err, sizeof(err));
	free(text);
	CHECK("test log dropped", list != NULL && list->nlogs == 7 &&
	    by_desc(list, "Google 'Argon2026h2' log") == NULL &&
	    strstr(list->note, "dropped non-production log \"Google "
	    "'Argon2026h2' log\" (operator 1 log 3)") != NULL);
	loglist_free(list);
}

/* Apple's published list (schema v5): states, dates, conversion. */
static void
test_apple(void)
{
	static const char *path = DATA "apple-current-log-list.json";
	struct loglist *list, *conv;
	const struct loglist_log *l;
	unsigned char id[LOGLIST_ID_LEN];
	size_t i, n = 0, len;
	char err[512], *text, *buf;
	FILE *fp;

	list = loglist_load(path, err, sizeof(err));
	CHECK("apple: loads", list != NULL);
	if (list == NULL) {
		printf("# %s\n", err);
		return;
	}
	CHECK("apple: detected", list->format == LOGLIST_APPLE_V5);
	CHECK("apple: version", strcmp(list->version, "511") == 0 &&
	    loglist_apple_version(list) == 511);
	CHECK("apple: dated by its latest state change",
	    list->timestamp == utc(2026, 3, 30, 19, 10, 5));
	CHECK("apple: 16 operators, 166 logs", list->noperators == 16 &&
	    list->nlogs == 166);
	for (i = 0; i < list->nlogs; i++)
		n += list->logs[i].state == LOGLIST_REJECTED;
	CHECK("apple: rejected logs kept as rejected", n == 108);
	/* Sectigo 'Mammoth2026H1': readonly with a final tree head */
	memset(id, 0, sizeof(id));
	for (i = 0; i < list->nlogs; i++)
		if (strcmp(list->logs[i].description,
		    "Sectigo 'Mammoth2026H1' log") == 0)
			memcpy(id, list->logs[i].id, sizeof(id));
	l = loglist_find(list, id, sizeof(id));
	CHECK("apple: readonly state and its date", l != NULL &&
	    l->state == LOGLIST_READONLY &&
	    l->state_time == utc(2025, 9, 18, 17, 20, 0));
	fp = fopen(path, "rb");
	buf = malloc(1 << 20);
	len = fp && buf ? fread(buf, 1, 1 << 20, fp) : 0;
	if (fp != NULL)
		fclose(fp);
	text = loglist_apple_convert(buf, len, utc(2026, 12, 1, 0, 0, 0), &len,
	    err, sizeof(err));
	conv = text ? loglist_load_buf("converted", text, len, err,
	    sizeof(err)) : NULL;
	CHECK("apple: converted to ctstub's format", conv != NULL &&
	    conv->format == LOGLIST_CHROME_V3 &&
	    strcmp(conv->version, "apple-511") == 0 &&
	    loglist_apple_version(conv) == 511 &&
	    conv->timestamp == utc(2026, 12, 1, 0, 0, 0) &&
	    conv->nlogs == list->nlogs);
	CHECK("apple: a ctstub list is not converted",
	    loglist_apple_convert("{\"version\": \"1\"}", 16, 0, &len, err,
	    sizeof(err)) == NULL);
	free(text);
	free(buf);
	loglist_free(conv);
	loglist_free(list);
}

int
main(void)
{
	test_apple();
	test_shipped();
	test_good();
	test_bad_files();
	test_mutations();
	test_raw();
	test_log_type();
	test_new_store();
	CHECK("state names", strcmp(loglist_state_name(LOGLIST_READONLY),
	    "readonly") == 0);
	return CHECK_DONE();
}
