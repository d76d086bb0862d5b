/* SPDX-License-Identifier: ISC */
/*
 * Who holds a local port: after a bind() failed with EADDRINUSE, the
 * process whose socket is bound there, found through /proc/net/{tcp,udp}
 * (the socket's inode) and /proc/PID/fd (the process with that inode).
 * Without permission to read another user's /proc/PID/fd, it says so.
 */
#ifndef CTSTUB_PORTHOLDER_H
#define CTSTUB_PORTHOLDER_H

#include <stddef.h>
#include <sys/types.h>

struct conf_address;

struct portholder {
	unsigned long inode;	/* 0: no socket bound there was found */
	uid_t uid;		/* the socket's owner, when inode is set */
	pid_t pid;		/* 0: the inode's process was not found */
	char comm[32];		/* its /proc/PID/comm */
};

/*
 * Fills h with the holder of a's port for SOCK_STREAM or SOCK_DGRAM (a
 * socket on a itself or on the wildcard address of its family); 0 when a
 * process was named, -1 otherwise (h says how far it got).
 */
int portholder_find(const struct conf_address *a, int type,
    struct portholder *h);
/*
 * A sentence for the bind error: "held by NAME (pid N)", with what to do
 * when NAME is systemd-resolved; "" when nothing was found.
 */
void portholder_explain(const struct conf_address *a, int type, char *buf,
    size_t len);

#endif
