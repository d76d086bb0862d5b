/* SPDX-License-Identifier: ISC */
/*
 * Minimal unit-test helpers. Each test program prints one line per check:
 *   "ok - NAME", "not ok - NAME: detail" or "skip - NAME: why"
 * and tests/run.sh counts them. CHECK_DONE() ends the program: it prints
 * the plan marker "done_testing" that tests/run.sh requires after the last
 * result (a program that stops early lacks it) and gives the exit status,
 * 1 when any check failed.
 *
 * CHECK_SRCDIR (set by the Makefile) is the source tree, so that tests
 * find their data files from any working directory.
 */
#ifndef CTSTUB_CHECK_H
#define CTSTUB_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(name, cond)                                                   \
	do {                                                                \
		if (cond) {                                                 \
			printf("ok - %s\n", (name));                        \
		} else {                                                    \
			printf("not ok - %s: %s (%s:%d)\n", (name), #cond,  \
			    __FILE__, __LINE__);                            \
			check_failures++;                                   \
		}                                                           \
	} while (0)

#define SKIP(name, why) printf("skip - %s: %s\n", (name), (why))

#ifndef CHECK_SRCDIR
#define CHECK_SRCDIR "."
#endif

static inline int
check_done(void)
{
	printf("done_testing\n");
	fflush(stdout);
	return check_failures ? 1 : 0;
}

#define CHECK_DONE() check_done()

#endif
