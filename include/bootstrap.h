/* SPDX-License-Identifier: ISC */
/*
 * Start-up resolution of DoH upstream host names that have no 'address':
 * asks the 'bootstrap' servers once, with c-ares, in plaintext (said in the
 * log; the certificate checks still apply to every address found).
 */
#ifndef CTSTUB_BOOTSTRAP_H
#define CTSTUB_BOOTSTRAP_H

#include <stddef.h>

struct conf;

/* Replaces each such upstream by one per address; 0, or -1 with err. */
int bootstrap_resolve(struct conf *c, unsigned timeout_ms, char *err,
    size_t errlen);

#endif
