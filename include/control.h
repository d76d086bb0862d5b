/* SPDX-License-Identifier: ISC */
/*
 * The control socket (`control PATH`, unix stream, mode 0660: root and the
 * daemon's group only) and the optional metrics endpoint (`metrics IP
 * PORT`, loopback only). One request per connection: on the control socket
 * a line "status" (JSON), "metrics", "reload", "evidence" (JSON: each
 * upstream's raw evidence, for `ctstub loglist update`) or
 * "loglist-update-failed REASON" (sent by `ctstub loglist update` when an
 * update fails: logged, counted, shown by status and metrics); on the
 * metrics endpoint an HTTP GET of /metrics (Prometheus text format).
 */
#ifndef CTSTUB_CONTROL_H
#define CTSTUB_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

struct conf;
struct server;
struct control;

#define CONTROL_MAX_REQUEST 4096

/*
 * Binds both (before privileges are dropped); the socket file is given to
 * owner (uid, gid; -1 keeps them). NULL with err on failure; a default
 * control path that cannot be created is only warned about.
 */
struct control *control_bind(const struct conf *conf, uid_t uid, gid_t gid,
    char *err, size_t errlen);
/* Starts accepting on srv->base; 0 or -1. */
int control_start(struct control *ctl, struct server *srv);
/* Closes both and removes the socket file. */
void control_free(struct control *ctl);

/* Client side: sends command to the socket at path, returns the reply. */
char *control_request(const char *path, const char *command, char *err,
    size_t errlen);

#endif
