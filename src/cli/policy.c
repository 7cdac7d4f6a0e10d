/* SPDX-License-Identifier: MIT */
/* jeton policy show|set: the instance's token policy from the shell (the
 * same record as GET and PUT /v1/policy). */
#include "audit/audit.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "render/render.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static void print_policy(const struct policy *p)
{
	char life[TIME_DURATION_BUF] = "none";
	if (p->pat_max_lifetime)
		time_format_duration(p->pat_max_lifetime, life);
	printf("pat_max_lifetime    %s\n", life);
	printf("pat_require_expiry  %s\n", p->pat_require_expiry ? "yes" : "no");
	printf("require_2fa         %s\n", p->require_2fa[0] ? p->require_2fa : "none");
}

static int policy_show(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--json"}};
	struct cli_args args;
	struct store *st = NULL;
	struct policy pol;
	int rc = cli_parse(argc, argv, opts, 1, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos) {
		fprintf(stderr, "usage: jeton policy show [--json]\n");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && store_policy_get(st, &pol) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK && cli_value(opts, 1, "--json"))
		rc = cli_print_json(render_policy(&pol));
	else if (rc == CLI_OK)
		print_policy(&pol);
	store_close(st);
	return rc;
}

static int policy_set(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--pat-max-lifetime", .takes_value = true},
		{.name = "--pat-require-expiry"},
		{.name = "--no-pat-require-expiry"},
		{.name = "--require-2fa", .takes_value = true},
	};
	struct cli_args args;
	struct store *st = NULL;
	struct policy pol;
	int64_t life = 0;
	int rc = cli_parse(argc, argv, opts, 4, &args);
	if (rc != CLI_OK)
		return rc;
	const char *max = cli_value(opts, 4, "--pat-max-lifetime");
	bool require = cli_value(opts, 4, "--pat-require-expiry") != NULL;
	bool no_require = cli_value(opts, 4, "--no-pat-require-expiry") != NULL;
	const char *two = cli_value(opts, 4, "--require-2fa");
	if (args.npos || (require && no_require) || (!max && !require && !no_require && !two)) {
		fprintf(stderr, "usage: jeton policy set [--pat-max-lifetime DURATION|none] "
				"[--pat-require-expiry | --no-pat-require-expiry] "
				"[--require-2fa none|admins|all]\n");
		return CLI_USAGE;
	}
	struct policy named;
	if (two && !authority_policy_set_require_2fa(&named, two)) {
		fprintf(stderr, "jeton: --require-2fa must be none, admins or all\n");
		return CLI_USAGE;
	}
	if (max && strcmp(max, "none") != 0 &&
	    time_parse_duration(max, strlen(max), &life) != JT_OK) {
		fprintf(stderr, "jeton: --pat-max-lifetime must be none or a duration such as 90d "
				"(units s, m, h, d, w)\n");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && store_policy_get(st, &pol) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK) {
		if (max)
			pol.pat_max_lifetime = life;
		if (require || no_require)
			pol.pat_require_expiry = require;
		if (two)
			authority_policy_set_require_2fa(&pol, two);
		pol.updated_at = time_now();
		if (store_policy_put(st, &pol) != JT_OK) {
			fprintf(stderr, "jeton: the policy could not be stored\n");
			rc = CLI_FAIL;
		}
	}
	if (rc == CLI_OK) {
		char what[AUTHORITY_POLICY_TEXT_BUF];
		authority_policy_describe(&pol, what);
		audit_record(st, 0, "cli", "policy.changed", "", true, "%s", what);
		print_policy(&pol);
	}
	store_close(st);
	return rc;
}

int cli_policy(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "show") == 0)
		return policy_show(argc - 1, argv + 1);
	if (strcmp(sub, "set") == 0)
		return policy_set(argc - 1, argv + 1);
	fprintf(stderr, "usage: jeton policy show|set ...\n");
	return CLI_USAGE;
}
