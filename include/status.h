/* SPDX-License-Identifier: ISC */
/*
 * What `ctstub status` shows, as one JSON document built from the running
 * daemon: the configuration and CT log list in force, daemon counters, and
 * per upstream its connection, the evidence it last presented (chain, SCTs,
 * matched pin), counters and answer-time percentiles.
 */
#ifndef CTSTUB_STATUS_H
#define CTSTUB_STATUS_H

struct server;

/* The status document, newline-terminated; caller frees. NULL: no memory. */
char *status_json(struct server *srv);

/* {"ok": ok, "message": message} for command replies; 0 or -1. */
int status_result_json(int ok, const char *message, char **out);

/*
 * Every upstream's label, URL and raw evidence of its last full
 * verification (leaf, issuer, SCTs in base64; null when never verified),
 * and the CT policy in force: for `ctstub loglist update`'s pre-flight.
 * The caller frees.
 */
char *status_evidence_json(struct server *srv);

#endif
