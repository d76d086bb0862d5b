/* SPDX-License-Identifier: ISC */
/*
 * Who holds a local port (after EADDRINUSE): the socket's inode from
 * /proc/net/{tcp,tcp6,udp,udp6}, then the process with that inode among
 * /proc/PID/fd, so that a failed start names what is in the way.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "portholder.h"

#define TCP_LISTEN_STATE 0x0A

/* An address as /proc/net prints it: 32-bit words in host order. */
struct proc_address {
	int family;
	uint32_t word[4];
	uint16_t port;
};

static void
from_conf(const struct conf_address *a, struct proc_address *p)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->sa;

	memset(p, 0, sizeof(*p));
	p->family = a->sa.ss_family;
	if (p->family == AF_INET6) {
		memcpy(p->word, &sin6->sin6_addr, sizeof(p->word));
		p->port = ntohs(sin6->sin6_port);
	} else {
		p->word[0] = sin->sin_addr.s_addr;
		p->port = ntohs(sin->sin_port);
	}
}

/* "0100007F:0035" (or 32 hex digits for IPv6); 0 or -1. */
static int
parse_proc_address(const char *s, int family, struct proc_address *p)
{
	size_t nwords = family == AF_INET6 ? 4 : 1, i;
	char hex[9];

	memset(p, 0, sizeof(*p));
	p->family = family;
	for (i = 0; i < nwords; i++) {
		memcpy(hex, s + i * 8, 8);
		hex[8] = '\0';
		if (strlen(hex) != 8 || strspn(hex, "0123456789ABCDEFabcdef")
		    != 8)
			return -1;
		p->word[i] = (uint32_t)strtoul(hex, NULL, 16);
	}
	if (s[nwords * 8] != ':')
		return -1;
	p->port = (uint16_t)strtoul(s + nwords * 8 + 1, NULL, 16);
	return 0;
}

static int
is_unspecified(const struct proc_address *p)
{
	return (p->word[0] | p->word[1] | p->word[2] | p->word[3]) == 0;
}

/* A socket bound at b is in the way of a bind at a (same port, and the
 * same address or a wildcard on either side). */
static int
in_the_way(const struct proc_address *a, const struct proc_address *b)
{
	if (a->port != b->port)
		return 0;
	if (is_unspecified(a) || is_unspecified(b))
		return 1;
	return a->family == b->family &&
	    memcmp(a->word, b->word, sizeof(a->word)) == 0;
}

/* Looks through one /proc/net table; 1 when found (inode, uid set). */
static int
scan_table(const char *path, int family, int type,
    const struct proc_address *want, unsigned long *inode, uid_t *uid)
{
	FILE *f = fopen(path, "r");
	char line[512], local[64];
	unsigned state, u;
	unsigned long ino;
	struct proc_address got;
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*u: %63s %*s %x %*s %*s %*s %u %*u %lu",
		    local, &state, &u, &ino) != 4 || ino == 0 ||
		    parse_proc_address(local, family, &got) == -1)
			continue;
		if (type == SOCK_STREAM && state != TCP_LISTEN_STATE)
			continue;
		if (in_the_way(want, &got)) {
			*inode = ino;
			*uid = (uid_t)u;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* 1 when /proc/PID/fd holds "socket:[inode]". */
static int
has_socket(const char *pid, const char *link)
{
	struct dirent *e;
	char path[sizeof("/proc//fd/") + 2 * sizeof(e->d_name)], target[64];
	DIR *d;
	ssize_t n;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid,
		    e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = strcmp(target, link) == 0;
	}
	closedir(d);
	return found;
}

static void
read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	snprintf(comm, len, "?");
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(comm, (int)len, f) != NULL)
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* The process with the socket inode; 0 when none is visible. */
static pid_t
find_process(unsigned long inode)
{
	char link[48];
	struct dirent *e;
	DIR *d = opendir("/proc");
	pid_t pid = 0;

	if (d == NULL)
		return 0;
	snprintf(link, sizeof(link), "socket:[%lu]", inode);
	while (pid == 0 && (e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (has_socket(e->d_name, link))
			pid = (pid_t)strtol(e->d_name, NULL, 10);
	}
	closedir(d);
	return pid;
}

int
portholder_find(const struct conf_address *a, int type, struct portholder *h)
{
	static const char *const tables[2][2] = {
		{ "/proc/net/tcp", "/proc/net/tcp6" },
		{ "/proc/net/udp", "/proc/net/udp6" },
	};
	const char *const *t = tables[type == SOCK_STREAM ? 0 : 1];
	struct proc_address want;

	memset(h, 0, sizeof(*h));
	from_conf(a, &want);
	if (!scan_table(t[0], AF_INET, type, &want, &h->inode, &h->uid) &&
	    !scan_table(t[1], AF_INET6, type, &want, &h->inode, &h->uid))
		return -1;
	if ((h->pid = find_process(h->inode)) == 0)
		return -1;
	read_comm(h->pid, h->comm, sizeof(h->comm));
	return 0;
}

void
portholder_explain(const struct conf_address *a, int type, char *buf,
    size_t len)
{
	struct portholder h;
	struct passwd *pw;

	buf[0] = '\0';
	if (portholder_find(a, type, &h) == 0) {
		/* comm is cut to 15 characters: "systemd-resolve" */
		if (strncmp(h.comm, "systemd-resolve", 15) == 0)
			snprintf(buf, len, "systemd-resolved (pid %ld) holds "
			    "it: give ctstub 'listen 127.0.0.153' (docs/"
			    "install.md, 5a) or set DNSStubListener=no (5b)",
			    (long)h.pid);
		else
			snprintf(buf, len, "held by %s (pid %ld)", h.comm,
			    (long)h.pid);
		return;
	}
	if (h.inode == 0)
		return;
	pw = getpwuid(h.uid);
	snprintf(buf, len, "held by a process of user %s that this user "
	    "cannot see (run as root to name it, or: ss -lnp)",
	    pw != NULL ? pw->pw_name : "?");
}
