/* SPDX-License-Identifier: ISC */
/*
 * The daemon's counters in the Prometheus text exposition format (0.0.4),
 * for the metrics endpoint and the control socket's "metrics" command.
 */
#ifndef CTSTUB_METRICS_H
#define CTSTUB_METRICS_H

struct server;

/* The page; caller frees. NULL: out of memory. */
char *metrics_text(struct server *srv);

#endif
