/* SPDX-License-Identifier: ISC */
/*
 * The certificate report subcommands:
 *   ctstub check [options] CHAIN.pem   offline verdict on a PEM chain
 *   ctstub probe [options] URL         the same for a live upstream
 * Both print the certificate, every SCT and the decision; exit status 0
 * accepted, 1 refused, 2 usage or unreadable input.
 */
#ifndef CTSTUB_CHECK_H
#define CTSTUB_CHECK_H

int check_main(int argc, char **argv);
int probe_main(int argc, char **argv);

#endif
