/* SPDX-License-Identifier: MIT */
/* jeton: an access-token server for management APIs. This file only
 * dispatches the command line to src/cli/. */
#include "cli/cli.h"
#include "util/mem.h"
#include "util/time.h"

#include <stdlib.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#ifndef JETON_VERSION
#define JETON_VERSION "dev"
#endif

int main(int argc, char **argv)
{
	cJSON_Hooks hooks = {.malloc_fn = jt_alloc, .free_fn = jt_free};
	cJSON_InitHooks(&hooks);

	/* Tests move the clock instead of sleeping; see util/time.h. */
	const char *clock_file = getenv("JETON_TEST_CLOCK");
	if (clock_file && *clock_file && time_use_clock_file(clock_file) != JT_OK) {
		fprintf(stderr, "jeton: JETON_TEST_CLOCK must name a file owned and "
				"writable only by this user\n");
		return CLI_USAGE;
	}

	/* --db and --config may also come before the command; --config so is
	 * as JETON_CONFIG (the command's own --config wins). */
	int i = 1;
	for (;;) {
		if (i + 1 < argc && strcmp(argv[i], "--db") == 0) {
			cli_set_default_db(argv[i + 1]);
			i += 2;
		} else if (i < argc && strncmp(argv[i], "--db=", 5) == 0) {
			cli_set_default_db(argv[i] + 5);
			i++;
		} else if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
			setenv("JETON_CONFIG", argv[i + 1], 1);
			i += 2;
		} else if (i < argc && strncmp(argv[i], "--config=", 9) == 0) {
			setenv("JETON_CONFIG", argv[i] + 9, 1);
			i++;
		} else {
			break;
		}
	}
	if (i >= argc) {
		cli_usage(stderr);
		return CLI_USAGE;
	}
	const char *cmd = argv[i];
	int rest = argc - i - 1;
	char **rest_argv = argv + i + 1;

	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return cli_help(rest, rest_argv);
	if (cli_wants_help(rest, rest_argv))
		return cli_help_command(cmd, rest, rest_argv);
	if (strcmp(cmd, "serve") == 0)
		return cli_serve(rest, rest_argv);
	if (strcmp(cmd, "init") == 0)
		return cli_init(rest, rest_argv);
	if (strcmp(cmd, "user") == 0)
		return cli_user(rest, rest_argv);
	if (strcmp(cmd, "space") == 0)
		return cli_space(rest, rest_argv);
	if (strcmp(cmd, "token") == 0)
		return cli_token(rest, rest_argv);
	if (strcmp(cmd, "app") == 0)
		return cli_app(rest, rest_argv);
	if (strcmp(cmd, "keys") == 0)
		return cli_keys(rest, rest_argv);
	if (strcmp(cmd, "scanner") == 0)
		return cli_scanner(rest, rest_argv);
	if (strcmp(cmd, "store") == 0)
		return cli_store(rest, rest_argv);
	if (strcmp(cmd, "audit") == 0)
		return cli_audit(rest, rest_argv);
	if (strcmp(cmd, "purge") == 0)
		return cli_purge(rest, rest_argv);
	if (strcmp(cmd, "policy") == 0)
		return cli_policy(rest, rest_argv);
	if (strcmp(cmd, "migrate") == 0)
		return cli_migrate(rest, rest_argv);
	if (strcmp(cmd, "version") == 0) {
		printf("jeton %s\n", JETON_VERSION);
		return CLI_OK;
	}
	fprintf(stderr, "jeton: unknown command %s\n", cmd);
	cli_usage(stderr);
	return CLI_USAGE;
}
