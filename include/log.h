/* SPDX-License-Identifier: ISC */
/*
 * Logging: stderr in the foreground (-d), syslog otherwise.
 * The logging settings are the one global that changes at run time; the
 * rest is per-server state passed explicitly (tls.c's ex_data index is set
 * once, dot.c's cancelled-slot marker is never written).
 */
#ifndef CTSTUB_LOG_H
#define CTSTUB_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG
};

/* to_stderr: 1 for the foreground, 0 for syslog; verbosity adds levels. */
void log_init(int to_stderr, int verbosity);
int log_debug_enabled(void);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up and invariant failures only: logs and exits 1. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
