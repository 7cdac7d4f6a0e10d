/* SPDX-License-Identifier: MIT */
/* libFuzzer driver: src/cli/config.c, the configuration file's parser
 * (cli_config_text) on any bytes, in a buffer of exactly the size it asks
 * for (the text and one byte more), so ASan sees any access past it.
 * Checks: it returns one of the CLI codes; a valid file sets only JETON_
 * variables. The variables it set are removed after each input. */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* Removes every JETON_ variable, so that each input starts clean. */
static void clear_jeton_env(void)
{
	for (bool again = true; again;) {
		again = false;
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "JETON_", 6) == 0) {
				char name[64];
				const char *eq = strchr(*e, '=');
				size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
				if (n >= sizeof name)
					abort(); /* no key is that long */
				memcpy(name, *e, n);
				name[n] = '\0';
				unsetenv(name);
				again = true;
				break;
			}
		}
	}
}

static size_t count_env(void)
{
	size_t n = 0;
	for (char **e = environ; *e; e++)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	clear_jeton_env();
	size_t before = count_env();
	int rc = cli_config_text("fuzz.conf", text, size);
	if (rc != CLI_OK && rc != CLI_USAGE && rc != CLI_FAIL)
		abort();
	if (rc == CLI_USAGE && count_env() != before)
		abort(); /* nothing is set unless the whole file is valid */
	clear_jeton_env();
	if (count_env() != before)
		abort(); /* it set something that is not a JETON_ variable */
	free(text);
	return 0;
}
