/* SPDX-License-Identifier: ISC */
/*
 * loglist: the Certificate Transparency log list ctstub trusts.
 *
 * Reads a list in Chrome's v3 JSON schema (version, log_list_timestamp,
 * operators[].logs[] and operators[].tiled_logs[], each log with
 * description, log_id, key, state and optional temporal_interval) and turns
 * it into per-log metadata plus an OpenSSL CTLOG_STORE, which is what
 * OpenSSL needs to check SCT signatures: list->store for
 * CT_POLICY_EVAL_CTX_set_shared_CTLOG_STORE, a copy from loglist_new_store()
 * for SSL_CTX_set0_ctlog_store.
 *
 * The file is untrusted input: every field is type- and length-checked, every
 * log_id must be SHA-256 of its key, log ids must be unique, operator names
 * must be unique, and any problem fails the whole load with one message
 * naming the file, operator and log.
 *
 * Apple's list (schema v5, valid.apple.com) is read too: the same
 * operators, logs and states, plus fields ctstub ignores ("tls_only",
 * final tree heads); it has no log_list_timestamp, so its timestamp is
 * the latest state change it records (see loglist_apple.c).
 *
 * Chrome's two "log mimics" (test logs whose private keys are public) are
 * never loaded, whatever the file says: they are dropped and the drop is
 * reported in list->note so the daemon can warn. Logs whose log_type is not
 * "prod" are dropped the same way.
 */
#ifndef CTSTUB_LOGLIST_H
#define CTSTUB_LOGLIST_H

#include <stddef.h>
#include <time.h>

#include <openssl/ct.h>

#define LOGLIST_ID_LEN	32		/* SHA-256 of the log's key */
#define LOGLIST_MAX_FILE (8u << 20)	/* refuse bigger list files */
#define LOGLIST_NOTE_MAX 256
#define LOGLIST_DEFAULT_MMD 86400	/* seconds, when a log has no "mmd" */
#define LOGLIST_MAX_MMD	(30 * 86400)

enum loglist_state {
	LOGLIST_PENDING,
	LOGLIST_QUALIFIED,
	LOGLIST_USABLE,
	LOGLIST_READONLY,
	LOGLIST_RETIRED,
	LOGLIST_REJECTED
};

/*
 * One log. Every pointer is owned by the struct loglist it belongs to.
 * interval_start and interval_end are both 0 when the log has no temporal
 * interval; the end is exclusive. ctlog points into the list's store and is
 * NULL for rejected logs, which are not in the store.
 */
struct loglist_log {
	unsigned char	 id[LOGLIST_ID_LEN];
	char		*description;
	char		*key;		/* base64 DER SPKI */
	size_t		 operator_index; /* into loglist.operators */
	const char	*operator_name;
	enum loglist_state state;
	time_t		 state_time;	/* when it entered state */
	time_t		 interval_start;
	time_t		 interval_end;
	int		 tiled;		/* listed under tiled_logs */
	const CTLOG	*ctlog;
	/* for auditing; a URL is NULL when the list does not give it */
	long		 mmd;		/* maximum merge delay, seconds */
	char		*url;		/* RFC 6962 logs */
	char		*submission_url; /* tiled logs */
	char		*monitoring_url; /* tiled logs */
};

enum loglist_format {
	LOGLIST_CHROME_V3,	/* ctstub's own lists, Chrome's schema */
	LOGLIST_APPLE_V5	/* Apple's, as published */
};

/*
 * A loaded list. Read-only for callers; everything in it lives until
 * loglist_free(). store holds every log that is not rejected (pending logs
 * too, so their SCTs are reported as "pending log" rather than "unknown");
 * whether an SCT counts is decided by ct.c, not by OpenSSL. store stays
 * owned by the list: share it, never hand it to SSL_CTX_set0_ctlog_store.
 * note is "" or one line saying which logs were dropped and why.
 */
struct loglist {
	enum loglist_format format;
	char		*version;	/* the list's "version" */
	time_t		 timestamp;	/* its "log_list_timestamp" */
	char		**operators;	/* operator names */
	size_t		 noperators;
	struct loglist_log *logs;
	size_t		 nlogs;
	CTLOG_STORE	*store;
	char		 note[LOGLIST_NOTE_MAX];
};

/*
 * Loads the list at path. Returns NULL and writes one line to err (starting
 * with path) on any error. The caller owns the result (loglist_free).
 */
struct loglist	*loglist_load(const char *path, char *err, size_t errlen);

/* The same from memory (fuzzing, tests); name is used in messages. */
struct loglist	*loglist_load_buf(const char *name, const char *buf,
		    size_t len, char *err, size_t errlen);

/*
 * A new store with the same logs as list->store, owned by the caller: for
 * SSL_CTX_set0_ctlog_store(), which takes ownership (so list->store itself
 * must never be given to it). NULL on failure. Like loading, this needs
 * /proc/self/fd (memfd) or a writable /tmp, because OpenSSL 3.0 fills a
 * CTLOG_STORE only from a file.
 */
CTLOG_STORE	*loglist_new_store(const struct loglist *list);

/* The log with this id, or NULL. The result points into list. */
const struct loglist_log *loglist_find(const struct loglist *list,
		    const unsigned char *id, size_t idlen);

/* 1 if id is one of Chrome's mimic logs, which must never be trusted. */
int		 loglist_is_mimic(const unsigned char *id, size_t idlen);

/* 1 for the states whose logs currently accept and count new SCTs. */
int		 loglist_state_is_current(enum loglist_state state);

/* "pending", "qualified", ... as in the JSON schema. */
const char	*loglist_state_name(enum loglist_state state);

/* Frees list and everything in it; NULL is fine. */
void		 loglist_free(struct loglist *list);

#endif
