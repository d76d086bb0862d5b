/* SPDX-License-Identifier: ISC */
/*
 * Minimal unit-test helpers. Each test program prints one line per check:
 *   "ok - NAME", "not ok - NAME: detail" or "skip - NAME: why"
 * and tests/run.sh counts them. A program exits 1 when any check failed.
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

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
