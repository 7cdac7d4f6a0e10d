/* SPDX-License-Identifier: MIT */
/* jeton purge [--dry-run]: deletes from the store what can never be used
 * again (server/retention.c), and prints how many of each kind. Also the
 * retention settings, which jeton serve shares. */
#include "cli/cli.h"
#include "server/server.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETENTION_DAYS_MAX 36500

/* flag, else env, else fallback: a number of days, 0 to 100 years. */
static int days(const char *flag, const char *name, const char *env, int64_t fallback, int64_t *out)
{
	const char *v = flag ? flag : getenv(env);
	*out = fallback * 86400;
	if (!v || !*v)
		return CLI_OK;
	int64_t d;
	if (text_parse_i64(v, strlen(v), 0, RETENTION_DAYS_MAX, &d) != JT_OK) {
		fprintf(stderr, "jeton: %s (%s) is a number of days, 0 to %d\n", name, env,
			RETENTION_DAYS_MAX);
		return CLI_USAGE;
	}
	*out = d * 86400;
	return CLI_OK;
}

int cli_retention(const struct cli_option *opts, size_t nopts, struct retention *out)
{
	int rc = days(cli_value(opts, nopts, "--retention"), "--retention", "JETON_RETENTION",
		      RETENTION_DAYS, &out->keep);
	if (rc == CLI_OK)
		rc = days(cli_value(opts, nopts, "--audit-retention"), "--audit-retention",
			  "JETON_AUDIT_RETENTION", AUDIT_RETENTION_DAYS, &out->audit_keep);
	return rc;
}

int cli_purge(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--dry-run"},
		{.name = "--retention", .takes_value = true},
		{.name = "--audit-retention", .takes_value = true},
	};
	size_t nopts = sizeof opts / sizeof opts[0];
	struct cli_args args;
	struct retention r;
	struct store *st = NULL;
	int64_t counts[RETENTION_KINDS];
	int rc = cli_parse(argc, argv, opts, nopts, &args);
	if (rc == CLI_OK && args.npos) {
		fprintf(stderr, "usage: jeton purge [--dry-run] [--retention DAYS] "
				"[--audit-retention DAYS]\n");
		rc = CLI_USAGE;
	}
	if (rc == CLI_OK)
		rc = cli_retention(opts, nopts, &r);
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc != CLI_OK)
		return rc;
	struct purge_pace pace = {.dry_run = cli_value(opts, nopts, "--dry-run") != NULL};
	enum jt_status s = retention_purge(st, &r, &pace, counts);
	if (s != JT_OK) {
		fprintf(stderr,
			"jeton: the purge failed (%s); what it deleted before stays deleted\n",
			jt_status_str(s));
		rc = CLI_FAIL;
	} else {
		printf("%-24s %s\n", "KIND", pace.dry_run ? "WOULD DELETE" : "DELETED");
		for (int k = 0; k < RETENTION_KINDS; k++) {
			const char *name = retention_kind_name(k);
			if (k == PURGE_AUDIT && r.audit_keep == 0)
				printf("%-24s kept (--audit-retention 0)\n", name);
			else
				printf("%-24s %lld\n", name, (long long)counts[k]);
		}
	}
	store_close(st);
	return rc;
}
