/* SPDX-License-Identifier: ISC */
/*
 * ctstub loglist show | install | update: what CT log list is in
 * force, and replacing it safely (validated, never older unless forced,
 * written atomically, then the running daemon reloads it). update, which
 * fetches the list from its sources, is loglist_update.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "conf.h"
#include "control.h"
#include "loglist.h"
#include "loglist_cmd.h"

#define MAX_LIST_BYTES (16 << 20)

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: ctstub loglist show [-f FILE] [LIST]\n"
	    "       ctstub loglist install [-f FILE] [-s SOCKET] [--force] "
	    "LIST\n"
	    "       ctstub loglist update [-f FILE] [-s SOCKET] [--source URL] "
	    "[--dry-run] [--force]\n");
	exit(2);
}

char *
loglist_installed_path(const char *conf_path)
{
	struct conf c;
	char *path;

	if (conf_load(conf_path, &c, stderr) != 0 && c.path == NULL) {
		conf_free(&c);
		return NULL;
	}
	path = c.ct_log_list ? strdup(c.ct_log_list) : NULL;
	conf_free(&c);
	return path;
}

static void
print_list(const char *path, const struct loglist *l)
{
	char when[32];
	struct tm tm;
	size_t op, i;

	gmtime_r(&l->timestamp, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s\nversion %s, made %s (%lld days ago), %zu logs, %zu "
	    "operators\n", path, l->version, when,
	    (long long)((time(NULL) - l->timestamp) / 86400), l->nlogs,
	    l->noperators);
	if (l->note[0])
		printf("note: %s\n", l->note);
	for (op = 0; op < l->noperators; op++) {
		printf("%s:\n", l->operators[op]);
		for (i = 0; i < l->nlogs; i++)
			if (l->logs[i].operator_index == op)
				printf("  %-10s %s%s\n",
				    loglist_state_name(l->logs[i].state),
				    l->logs[i].description,
				    l->logs[i].tiled ? " (tiled)" : "");
	}
}

static int
show(const struct loglist_options *o)
{
	char *path = o->file ? strdup(o->file) : loglist_installed_path(o->conf_path);
	char err[600];
	struct loglist *l;

	if (path == NULL)
		return 2;
	l = loglist_load(path, err, sizeof(err));
	if (l == NULL) {
		fprintf(stderr, "ctstub: %s\n", err);
		free(path);
		return 2;
	}
	print_list(path, l);
	loglist_free(l);
	free(path);
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *in = fopen(path, "rb");
	char *buf = in ? malloc(MAX_LIST_BYTES + 1) : NULL;

	*len = buf ? fread(buf, 1, MAX_LIST_BYTES + 1, in) : 0;
	if (in == NULL || buf == NULL || ferror(in) || *len > MAX_LIST_BYTES) {
		fprintf(stderr, "ctstub: %s: %s\n", path, in == NULL ?
		    strerror(errno) : "unreadable or over 16 MiB");
		free(buf);
		buf = NULL;
	}
	if (in != NULL)
		fclose(in);
	return buf;
}

static int
fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY) : -1;
	int rc = fd == -1 ? -1 : fsync(fd);

	if (fd != -1)
		close(fd);
	free(copy);
	return rc;
}

int
loglist_write_atomically(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, path) == -1 ||
	    fsync_dir_of(path) == -1) {
		fprintf(stderr, "ctstub: cannot write %s: %s\n", path,
		    strerror(errno));
		if (fd != -1)
			unlink(tmp);
		return -1;
	}
	return 0;
}

/* Refuses a list older than the one installed, unless forced. */
static int
newer_or_forced(const struct loglist_options *o, const char *target,
    const struct loglist *next)
{
	char err[600];
	struct loglist *cur = loglist_load(target, err, sizeof(err));
	int ok = cur == NULL || next->timestamp >= cur->timestamp || o->force;

	if (!ok)
		fprintf(stderr, "ctstub: refused: %s (version %s) is older than "
		    "the installed %s (version %s); --force installs it "
		    "anyway\n", o->file, next->version, target, cur->version);
	else if (cur != NULL && next->timestamp < cur->timestamp)
		printf("installing an older list, as --force says\n");
	loglist_free(cur);
	return ok;
}

char *
loglist_socket(const struct loglist_options *o)
{
	return o->socket ? strdup(o->socket) :
	    commands_control_path(o->conf_path);
}

int
loglist_tell_daemon(const struct loglist_options *o)
{
	char *socket = loglist_socket(o);
	int rc;

	if (socket == NULL) {
		printf("control is off: reload ctstub (SIGHUP) to use it\n");
		return 0;
	}
	rc = commands_reload(socket, 1);
	free(socket);
	return rc;
}

static int
install(const struct loglist_options *o)
{
	char err[600], *target = loglist_installed_path(o->conf_path), *data = NULL;
	struct loglist *next = NULL;
	size_t len;
	int rc = 2;

	if (target == NULL || (data = read_file(o->file, &len)) == NULL)
		goto done;
	rc = 1;
	next = loglist_load_buf(o->file, data, len, err, sizeof(err));
	if (next == NULL) {
		fprintf(stderr, "ctstub: refused: %s\n", err);
		goto done;
	}
	if (!newer_or_forced(o, target, next) ||
	    loglist_write_atomically(target, data, len) == -1)
		goto done;
	printf("installed %s as %s: version %s, %zu logs, %zu operators\n",
	    o->file, target, next->version, next->nlogs, next->noperators);
	rc = loglist_tell_daemon(o);
done:
	loglist_free(next);
	free(data);
	free(target);
	return rc;
}

int
loglist_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'F' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "source", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct loglist_options o = { .conf_path = CONF_DEFAULT_PATH };
	const char *verb = argc > 1 ? argv[1] : "";
	int ch, rc;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "f:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o.conf_path = optarg; break;
		case 's': free(o.socket); o.socket = strdup(optarg); break;
		case 'F': o.force = 1; break;
		case 'D': o.dry_run = 1; break;
		case 'S': o.source = optarg; break;
		default: usage();
		}
	}
	if (argc - optind > 1)
		usage();
	o.file = optind < argc ? argv[optind] : NULL;
	if (strcmp(verb, "update") != 0 && (o.dry_run || o.source))
		usage();
	if (strcmp(verb, "show") == 0 && !o.force && !o.socket)
		rc = show(&o);
	else if (strcmp(verb, "install") == 0 && o.file != NULL)
		rc = install(&o);
	else if (strcmp(verb, "update") == 0 && o.file == NULL)
		rc = loglist_update(&o);
	else
		usage();
	free(o.socket);
	return rc;
}
