/* SPDX-License-Identifier: ISC */
/*
 * Subcommands that talk to a running daemon or manage its files:
 * `ctstub status` and `ctstub reload` (control_cmd.c), `ctstub loglist`
 * (loglist_cmd.c), `ctstub query`, `flush` and `reset` (everyday_cmd.c).
 * argv[0] is the subcommand. Exit status: 0 done, 1 refused (reload,
 * loglist: also the daemon unreachable), 2 usage or unreadable input.
 * status, query, flush and reset exit 2 when no daemon answers, and
 * status 1 when it is degraded or failing, query 1 on SERVFAIL.
 */
#ifndef CTSTUB_COMMANDS_H
#define CTSTUB_COMMANDS_H

int status_main(int argc, char **argv);
int reload_main(int argc, char **argv);
int loglist_main(int argc, char **argv);
int query_main(int argc, char **argv);
int flush_main(int argc, char **argv);
int reset_main(int argc, char **argv);
int portal_main(int argc, char **argv);

/*
 * The control socket named by the configuration at conf_path (or the
 * default when the file cannot be read); caller frees.
 */
char *commands_control_path(const char *conf_path);

/*
 * Asks the daemon at socket to reload and prints its answer: 0 reloaded,
 * 1 refused or unreachable (absent_ok: a daemon not running is fine).
 */
int commands_reload(const char *socket, int absent_ok);

#endif
