/* SPDX-License-Identifier: MIT */
/* jeton store copy --from LOCATION --to LOCATION: moves a whole store, for
 * example from the embedded SQLite file to PostgreSQL; tokens keep working. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static void progress(const char *table, int64_t rows)
{
	fprintf(stderr, "jeton: copied %lld rows of %s\n", (long long)rows, table);
}

static int store_copy_cmd(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--from", .takes_value = true}, {.name = "--to", .takes_value = true},
	};
	struct cli_args args;
	struct store *from = NULL, *to = NULL;
	int rc = cli_parse(argc, argv, opts, 2, &args);
	if (rc != CLI_OK)
		return rc;
	const char *src = cli_value(opts, 2, "--from");
	const char *dst = cli_value(opts, 2, "--to");
	if (!src || !dst || args.npos || strcmp(src, dst) == 0) {
		fprintf(stderr, "usage: jeton store copy --from LOCATION --to LOCATION\n");
		return CLI_USAGE;
	}
	rc = cli_open_store(src, 1, &from);
	if (rc == CLI_OK)
		rc = cli_open_store(dst, 1, &to);
	if (rc == CLI_OK) {
		enum jt_status st = store_copy(from, to, progress);
		if (st != JT_OK) {
			fprintf(stderr, "jeton: the copy failed (%s); the target is unchanged\n",
				st == JT_ECONFLICT ? "the target is not empty" : jt_status_str(st));
			rc = CLI_FAIL;
		} else {
			fprintf(stderr, "jeton: copy complete\n");
		}
	}
	store_close(to);
	store_close(from);
	return rc;
}

int cli_store(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "copy") == 0)
		return store_copy_cmd(argc - 1, argv + 1);
	fprintf(stderr, "usage: jeton store copy --from LOCATION --to LOCATION\n");
	return CLI_USAGE;
}
