/* SPDX-License-Identifier: ISC */
/*
 * DNS messages as text for people (`ctstub query`), in dig's style: the
 * status line, the answer, authority and additional records one per line
 * ("NAME TTL IN TYPE DATA"), and the Extended DNS Errors. Messages come
 * from the daemon, so they are checked like any untrusted bytes.
 */
#ifndef CTSTUB_DNSTEXT_H
#define CTSTUB_DNSTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Prints msg to fp. Returns its rcode (extended with the OPT RR's bits),
 * or -1 when it is malformed (what came before the fault is printed).
 */
int dnstext_print(FILE *fp, const uint8_t *msg, size_t len);

/* "A", "AAAA", ... or "TYPE123" (any case) as a number; -1 if neither. */
int dnstext_type_number(const char *text);
/* The mnemonic of type, or "TYPEn" written into buf. */
const char *dnstext_type_name(uint16_t type, char buf[16]);
/* "NOERROR", "SERVFAIL", ... or "RCODEn" written into buf. */
const char *dnstext_rcode_name(int rcode, char buf[16]);

#endif
