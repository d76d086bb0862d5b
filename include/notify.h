/* SPDX-License-Identifier: ISC */
/*
 * systemd readiness (Type=notify) without libsystemd: one datagram to
 * $NOTIFY_SOCKET, when it is set; nothing otherwise.
 */
#ifndef CTSTUB_NOTIFY_H
#define CTSTUB_NOTIFY_H

/* "READY=1", "RELOADING=1", "STOPPING=1". */
void notify_systemd(const char *state);

#endif
