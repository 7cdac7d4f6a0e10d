/* SPDX-License-Identifier: MIT */
/* jeton audit: the audit log from the shell, newest first. */
#include "cli/cli.h"
#include "render/render.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static int parse_time(const char *v, const char *name, int64_t *out)
{
	int64_t t = 0;
	if (!v)
		return CLI_OK;
	if (cli_parse_date(v, &t) != CLI_OK) {
		fprintf(stderr, "jeton: %s must be YYYY-MM-DD or an RFC 3339 time\n", name);
		return CLI_USAGE;
	}
	*out = t;
	return CLI_OK;
}

int cli_audit(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--actor", .takes_value = true}, {.name = "--action", .takes_value = true},
		{.name = "--since", .takes_value = true}, {.name = "--until", .takes_value = true},
		{.name = "--limit", .takes_value = true}, {.name = "--json"},
	};
	size_t nopts = sizeof opts / sizeof opts[0];
	struct cli_args args;
	struct store *st = NULL;
	struct audit_filter f;
	struct audit_event *items = NULL;
	size_t n = 0;
	int64_t limit = 100;
	int rc = cli_parse(argc, argv, opts, nopts, &args);
	if (rc != CLI_OK)
		return rc;
	const char *actor = cli_value(opts, nopts, "--actor");
	const char *action = cli_value(opts, nopts, "--action");
	const char *lim = cli_value(opts, nopts, "--limit");
	memset(&f, 0, sizeof f);
	if (args.npos || (lim && text_parse_i64(lim, strlen(lim), 1, LIMIT_PAGE_MAX, &limit) != JT_OK)) {
		fprintf(stderr, "usage: jeton audit [--actor EMAIL] [--action NAME] [--since DATE] "
				"[--until DATE] [--limit 1-100] [--json]\n");
		return CLI_USAGE;
	}
	snprintf(f.actor, sizeof f.actor, "%s", actor ? actor : "");
	snprintf(f.action, sizeof f.action, "%s", action ? action : "");
	if (parse_time(cli_value(opts, nopts, "--since"), "--since", &f.since) != CLI_OK ||
	    parse_time(cli_value(opts, nopts, "--until"), "--until", &f.until) != CLI_OK)
		return CLI_USAGE;
	rc = cli_open_store(args.db, 1, &st);
	if (rc != CLI_OK)
		return rc;
	struct store_page page = {.before = 0, .limit = (int)limit};
	if (store_audit_list(st, &f, &page, &items, &n) != JT_OK) {
		store_close(st);
		return CLI_FAIL;
	}
	if (cli_value(opts, nopts, "--json")) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; arr && i < n; i++)
			cJSON_AddItemToArray(arr, render_audit(&items[i]));
		rc = cli_print_json(arr);
	} else {
		printf("%-20s %-24s %-20s %-8s %-15s %s\n", "TIME", "ACTOR", "ACTION", "OUTCOME", "IP",
		       "TARGET");
		for (size_t i = 0; i < n; i++) {
			char at[TIME_RFC3339_BUF];
			time_format(items[i].at, at);
			printf("%-20s %-24s %-20s %-8s %-15s %s\n", at, items[i].actor, items[i].action,
			       items[i].success ? "success" : "failure", items[i].ip[0] ? items[i].ip : "-",
			       items[i].target);
		}
	}
	store_list_free(items);
	store_close(st);
	return rc;
}
