/* SPDX-License-Identifier: ISC */
/*
 * Landlock, used as a deny list of write-type rights on the whole file
 * system: a ruleset that handles those rights and grants them nowhere
 * (except file removal beside the control socket). Rights are taken only as
 * far as the kernel's ABI knows them.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

#if defined(__has_include)
#if __has_include(<linux/landlock.h>) && defined(SYS_landlock_create_ruleset)
#define HAVE_LANDLOCK 1
#include <linux/landlock.h>
#endif
#endif

#ifdef HAVE_LANDLOCK

/* ABI 1 (Linux 5.13): everything that writes, creates, removes or runs */
#define WRITE_RIGHTS_V1 (LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
#define RIGHT_REFER	(1ULL << 13)	/* ABI 2 (5.19): link/rename across */
#define RIGHT_TRUNCATE	(1ULL << 14)	/* ABI 3 (6.2) */

static uint64_t
write_rights(int abi)
{
	uint64_t rights = WRITE_RIGHTS_V1;

	if (abi >= 2)
		rights |= RIGHT_REFER;
	if (abi >= 3)
		rights |= RIGHT_TRUNCATE;
	return rights;
}

/* Lets the daemon remove its control socket at shutdown. */
static int
allow_socket_removal(int ruleset, const char *control_path)
{
	struct landlock_path_beneath_attr rule = {
		.allowed_access = LANDLOCK_ACCESS_FS_REMOVE_FILE
	};
	char dir[4096];
	int rv;

	snprintf(dir, sizeof(dir), "%s", control_path);
	rule.parent_fd = open(dirname(dir), O_PATH | O_CLOEXEC);
	if (rule.parent_fd == -1)
		return -1;
	rv = (int)syscall(SYS_landlock_add_rule, ruleset,
	    LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(rule.parent_fd);
	return rv;
}

int
sandbox_enter(const char *control_path)
{
	struct landlock_ruleset_attr attr = { 0 };
	int abi, ruleset, applied = 0;	/* the ABI in force */

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		log_info("sandbox: Landlock not available (%s); file-system "
		    "writes stay possible", strerror(errno));
		return 0;
	}
	attr.handled_access_fs = write_rights(abi);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    sizeof(attr), 0);
	if (ruleset == -1) {
		log_warn("sandbox: Landlock ruleset: %s", strerror(errno));
		return 0;
	}
	if ((control_path != NULL &&
	    allow_socket_removal(ruleset, control_path) == -1) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == -1)
		log_warn("sandbox: Landlock not applied: %s", strerror(errno));
	else {
		log_info("sandbox: Landlock ABI %d: no file-system writes from "
		    "now on", abi);
		applied = abi;
	}
	close(ruleset);
	return applied;
}

#else

int
sandbox_enter(const char *control_path)
{
	(void)control_path;
	log_info("sandbox: built without Landlock; file-system writes stay "
	    "possible");
	return 0;
}

#endif
