/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the Landlock sandbox: in a child process (the restriction
 * cannot be undone), after sandbox_enter() every write-type access fails
 * with EACCES, reading still works, and only files beside the control
 * socket can be removed. Skipped only where the kernel has no Landlock (its
 * ABI version query fails): on a Landlock kernel a sandbox_enter() that
 * applies nothing is a failure, not a skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sandbox.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif

static char dir[] = "/tmp/ctstub-test-sandbox.XXXXXX";

static void
path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int
make_file(const char *name)
{
	char p[256];
	int fd;

	path(p, sizeof(p), name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* The kernel's Landlock ABI version (NULL, 0, 1: CREATE_RULESET_VERSION). */
static long
landlock_abi(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);
}

/* -1 with errno EACCES: the sandbox said no. */
static int
denied(int rv)
{
	return rv == -1 && errno == EACCES;
}

/* exec of /bin/true from a child: its exit status, 3 if EACCES. */
static int
exec_status(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(errno == EACCES ? 3 : 4);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
sandboxed_checks(void)
{
	char p[256], q[256], sock[256];
	long kernel_abi;
	int abi;

	path(sock, sizeof(sock), "run/ctstub.sock");
	kernel_abi = landlock_abi();
	abi = sandbox_enter(sock);
	if (kernel_abi < 1) {
		CHECK("without Landlock in the kernel, nothing is applied",
		    abi == 0);
		SKIP("sandbox", "no Landlock in this kernel");
		return;
	}
	CHECK("Landlock applied, at the kernel's ABI version",
	    abi == kernel_abi);
	if (abi == 0)
		return;		/* nothing applied: the checks below mean nothing */
	path(p, sizeof(p), "existing");
	CHECK("reading still works", close(open(p, O_RDONLY)) == 0);
	CHECK("opening for writing is denied", denied(open(p, O_WRONLY)));
	if (landlock_abi() >= 3)
		CHECK("truncating is denied", denied(truncate(p, 0)));
	else
		SKIP("truncating is denied", "Landlock ABI 3 (Linux 6.2) needed");
	CHECK("removing a file is denied", denied(unlink(p)));
	path(q, sizeof(q), "renamed");
	CHECK("renaming is denied", denied(rename(p, q)));
	path(q, sizeof(q), "new");
	CHECK("creating a file is denied",
	    denied(open(q, O_WRONLY | O_CREAT, 0644)));
	CHECK("creating a directory is denied", denied(mkdir(q, 0755)));
	CHECK("creating a symlink is denied", denied(symlink(p, q)));
	CHECK("running a program is denied", exec_status() == 3);
	path(q, sizeof(q), "run/new");
	CHECK("creating beside the control socket is denied",
	    denied(open(q, O_WRONLY | O_CREAT, 0644)));
	CHECK("removing the control socket is allowed", unlink(sock) == 0);
}

int
main(void)
{
	char run[256], cmd[300];
	int status = -1;
	pid_t pid;

	if (mkdtemp(dir) == NULL)
		return 1;
	path(run, sizeof(run), "run");
	if (mkdir(run, 0755) == -1 || make_file("existing") == -1 ||
	    make_file("run/ctstub.sock") == -1)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		sandboxed_checks();
		fflush(stdout);
		_exit(CHECK_DONE());
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		status = 1;
	else
		status = WEXITSTATUS(status);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return status;
}
