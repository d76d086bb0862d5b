/* SPDX-License-Identifier: ISC */
/* libFuzzer: the configuration parser on arbitrary text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text = malloc(len + 1);
	FILE *errs = fopen("/dev/null", "w");
	struct conf c;

	if (text == NULL || errs == NULL)
		goto done;
	memcpy(text, data, len);
	text[len] = '\0';
	conf_load_string("fuzz.conf", text, &c, errs);
	conf_print(&c, errs);
	conf_free(&c);
done:
	if (errs != NULL)
		fclose(errs);
	free(text);
	return 0;
}
