/* SPDX-License-Identifier: ISC */
/* Logging to stderr or syslog; keeps errno intact for the caller. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static struct {
	int to_stderr;
	enum log_level max;
} log_state = { 1, LOG_LEVEL_INFO };

static const char *const level_names[] = { "error", "warning", "info",
    "debug" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(int to_stderr, int verbosity)
{
	log_state.to_stderr = to_stderr;
	log_state.max = verbosity > 0 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	if (!to_stderr)
		openlog("ctstub", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_debug_enabled(void)
{
	return log_state.max >= LOG_LEVEL_DEBUG;
}

static void log_vwrite(enum log_level, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	int saved = errno;

	if (level > log_state.max)
		return;
	if (log_state.to_stderr) {
		char stamp[32];
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ ctstub %s: ", stamp,
		    ts.tv_nsec / 1000000, level_names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(level_prio[level], fmt, ap);
	}
	errno = saved;
}

#define LOG_FN(fn, level)                                                  \
	void fn(const char *fmt, ...)                                      \
	{                                                                  \
		va_list ap;                                                \
		va_start(ap, fmt);                                         \
		log_vwrite(level, fmt, ap);                                \
		va_end(ap);                                                \
	}

LOG_FN(log_err, LOG_LEVEL_ERR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
