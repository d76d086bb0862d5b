/* SPDX-License-Identifier: ISC */
/* libFuzzer: the configuration parser on arbitrary text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* A good configuration prints as text that parses back to the same. */
static void
round_trip(const struct conf *c, FILE *errs)
{
	char *first = conf_print_text(c), *second = NULL;
	struct conf again;

	if (first == NULL)
		return;
	if (conf_load_string("fuzz.conf", first, &again, errs) != 0)
		abort();
	second = conf_print_text(&again);
	if (second != NULL && strcmp(first, second) != 0)
		abort();
	conf_free(&again);
	free(first);
	free(second);
}

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
	if (conf_load_string("fuzz.conf", text, &c, errs) == 0)
		round_trip(&c, errs);
	conf_print(&c, errs);
	conf_free(&c);
done:
	if (errs != NULL)
		fclose(errs);
	free(text);
	return 0;
}
