/* SPDX-License-Identifier: ISC */
/*
 * `ctstub loglist show | install | update`: what loglist_cmd.c (show,
 * install, the dispatcher) shares with loglist_update.c (update): the
 * options and the one install path (validated list written atomically
 * over the configuration's ct-log-list, then the daemon reloads).
 */
#ifndef CTSTUB_LOGLIST_CMD_H
#define CTSTUB_LOGLIST_CMD_H

#include <stddef.h>

struct loglist_options {
	const char *conf_path;
	char *socket;		/* -s: owned */
	int force;
	int dry_run;		/* update: print, change nothing */
	const char *source;	/* update: --source URL */
	const char *file;	/* install, show: the list named */
};

/* The installed list: ct-log-list of the configuration; caller frees. */
char *loglist_installed_path(const char *conf_path);

/*
 * Writes data over path atomically (same directory, fsync, rename,
 * fsync of the directory); 0, or -1 with the error printed.
 */
int loglist_write_atomically(const char *path, const char *data,
    size_t len);

/* Asks the daemon to reload (one not running is fine); 0 or 1. */
int loglist_tell_daemon(const struct loglist_options *o);

/* The control socket for o (-s, else the configuration's); NULL: off. */
char *loglist_socket(const struct loglist_options *o);

/* ctstub loglist update; exit status. */
int loglist_update(const struct loglist_options *o);

#endif
