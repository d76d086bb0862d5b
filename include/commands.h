/*
 * Subcommands that talk to a running daemon or manage its files:
 * `ctstub status` (status_cmd.c) and `ctstub loglist` (loglist_cmd.c).
 * argv[0] is the subcommand. Exit status: 0 done, 1 refused or the
 * daemon unreachable, 2 usage or unreadable input.
 */
#ifndef CTSTUB_COMMANDS_H
#define CTSTUB_COMMANDS_H

int status_main(int argc, char **argv);
int loglist_main(int argc, char **argv);

/*
 * The control socket named by the configuration at conf_path (or the
 * default when the file cannot be read); caller frees.
 */
char *commands_control_path(const char *conf_path);

#endif
