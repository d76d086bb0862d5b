/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer: a client query's name through the zone table (the built-in
 * locally served names plus a few lines) and, when it falls in a local
 * zone, the local answer and its rewrite for the client.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "dnsmsg.h"
#include "localzone.h"
#include "zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static struct zones *
fuzz_zones(void)
{
	static struct conf conf;
	static struct zones *zs;
	char err[200];

	if (zs != NULL)
		return zs;
	conf_load_string("fuzz", "upstream dot://127.0.0.1\n"
	    "local-zone test. forward\nlocal-zone corp.example. nxdomain\n"
	    "forward-zone lan. dns://127.0.0.1\n", &conf, stderr);
	zs = zones_new(&conf, err, sizeof(err));
	return zs;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t resp[DNS_MAX_MSG], out[DNS_MAX_MSG];
	struct zones *zs = fuzz_zones();
	struct dnsmsg_query q;
	struct zone *z;
	size_t off, n;

	if (zs == NULL || dnsmsg_parse_query(data, len, &q) !=
	    DNS_RCODE_NOERROR)
		return 0;
	z = zones_match(zs, data, &q, &off);
	if (z == NULL || (z->kind != ZONE_LOCALHOST &&
	    z->kind != ZONE_NXDOMAIN))
		return 0;
	n = localzone_answer(z, data, &q, off, resp, sizeof(resp));
	if (n > 0)
		dnsmsg_client_response(resp, n, data, &q, q.udp_size, out,
		    sizeof(out));
	return 0;
}
