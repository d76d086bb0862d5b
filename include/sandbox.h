/* SPDX-License-Identifier: ISC */
/*
 * Once it serves, the daemon never writes to the file system: Landlock
 * (Linux 5.13+) takes that right away from it for good. Best effort: a
 * kernel without Landlock leaves the daemon as it was, and the log says so.
 */
#ifndef CTSTUB_SANDBOX_H
#define CTSTUB_SANDBOX_H

/*
 * Denies this process (and any child) every write-type access to files:
 * writing, truncating, creating, removing, renaming, linking, executing.
 * Reading stays allowed (a reload reads what the new configuration names).
 * The one exception: removing files in the directory of control_path (the
 * control socket, removed at shutdown); NULL for none. Logs the outcome;
 * returns the Landlock ABI version in force, 0 when there is no sandbox.
 */
int sandbox_enter(const char *control_path);

#endif
