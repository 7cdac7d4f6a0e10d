/* SPDX-License-Identifier: MIT */
/* jeton token create|list|revoke|rotate: personal access tokens from the
 * operator's shell, under the same rules as the HTTP API. */
#include "audit/audit.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "render/render.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* The instance's policy binds the operator too (authority_pat_policy). */
static int obeys_policy(struct store *st, int64_t expires_at, bool rotating)
{
	struct policy pol;
	char why[320];
	int64_t now = time_now();
	if (store_policy_get(st, &pol) != JT_OK)
		return CLI_FAIL;
	enum authority_refusal r = authority_pat_policy(&pol, expires_at, now);
	if (r == AUTHORITY_OK)
		return CLI_OK;
	authority_policy_explain(&pol, r, rotating, now, why, sizeof why);
	fprintf(stderr, "jeton: policy_violation: %s\n", why);
	return CLI_FAIL;
}

static int token_create(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--user", .takes_value = true}, {.name = "--name", .takes_value = true},
		{.name = "--scopes", .takes_value = true}, {.name = "--expires", .takes_value = true},
	};
	struct cli_args args;
	struct store *st = NULL;
	struct user u;
	struct pat pat;
	char token[TOKEN_LEN + 1];
	uint64_t instance, held, scopes;
	int64_t expires_at = 0;
	int rc = cli_parse(argc, argv, opts, 4, &args);
	if (rc != CLI_OK)
		return rc;
	const char *email = cli_value(opts, 4, "--user");
	const char *name = cli_value(opts, 4, "--name");
	const char *scope_list = cli_value(opts, 4, "--scopes");
	const char *expires = cli_value(opts, 4, "--expires");
	if (!email || !name || args.npos) {
		fprintf(stderr, "usage: jeton token create --user EMAIL --name N [--scopes \"a b\"] "
				"[--expires DATE|never]\n");
		return CLI_USAGE;
	}
	if (!text_name_valid(name, strlen(name), LIMIT_NAME_CHARS)) {
		fprintf(stderr, "jeton: --name must be 1 to %d characters\n", LIMIT_NAME_CHARS);
		return CLI_USAGE;
	}
	if (scope_list && scope_parse(scope_list, strlen(scope_list), &scopes) != JT_OK) {
		fprintf(stderr, "jeton: unknown scope in --scopes\n");
		return CLI_USAGE;
	}
	if (expires && cli_parse_expiry(expires, &expires_at) != CLI_OK)
		return CLI_USAGE;
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK)
		rc = cli_find_user(st, email, &u);
	if (rc == CLI_OK && auth_user_permissions(st, &u, &instance, &held) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK) {
		if (!scope_list)
			scopes = held;
		if (scopes == 0 || (scopes & ~held)) {
			fprintf(stderr, "jeton: invalid_scope: the user does not hold every scope asked\n");
			rc = CLI_FAIL;
		}
	}
	if (rc == CLI_OK)
		rc = obeys_policy(st, expires_at, false);
	if (rc == CLI_OK && pat_create(st, u.id, name, scopes, expires_at, token, &pat) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK) {
		audit_record(st, u.id, "cli", "token.created", "", true, "token %lld (%s) of %s",
			     (long long)pat.id, pat.name, u.email);
		printf("%s\n", token);
	}
	crypto_wipe(token, sizeof token);
	store_close(st);
	return rc;
}

static int token_list(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--user", .takes_value = true}, {.name = "--json", .takes_value = false}};
	struct cli_args args;
	struct store *st = NULL;
	struct user u;
	struct pat *items = NULL;
	size_t n = 0;
	int rc = cli_parse(argc, argv, opts, 2, &args);
	if (rc != CLI_OK)
		return rc;
	const char *email = cli_value(opts, 2, "--user");
	bool json = cli_value(opts, 2, "--json") != NULL;
	if (!email || args.npos) {
		fprintf(stderr, "usage: jeton token list --user EMAIL [--json]\n");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK)
		rc = cli_find_user(st, email, &u);
	if (rc != CLI_OK) {
		store_close(st);
		return rc;
	}
	int64_t now = time_now();
	cJSON *arr = cJSON_CreateArray();
	if (!json)
		printf("%-6s %-24s %-10s %-40s %-20s %-20s %-20s %s\n", "ID", "NAME", "PREFIX",
		       "SCOPES", "CREATED", "EXPIRES", "LAST USED", "STATUS");
	struct store_page page = {.before = 0, .limit = LIMIT_PAGE_MAX};
	do {
		if (store_pat_list(st, u.id, &page, &items, &n) != JT_OK) {
			rc = CLI_FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			struct pat *p = &items[i];
			cJSON *o = render_pat(p, now);
			if (json) {
				cJSON_AddItemToArray(arr, o);
				continue;
			}
			char created[TIME_RFC3339_BUF], exp[TIME_RFC3339_BUF] = "never",
			     used[TIME_RFC3339_BUF] = "never";
			time_format(p->created_at, created);
			if (p->expires_at)
				time_format(p->expires_at, exp);
			if (p->last_used_at)
				time_format(p->last_used_at, used);
			printf("%-6lld %-24s %-10s %-40s %-20s %-20s %-20s %s\n", (long long)p->id,
			       p->name, p->display_prefix, p->scopes, created, exp, used,
			       cJSON_GetStringValue(cJSON_GetObjectItem(o, "status")));
			cJSON_Delete(o);
		}
		if (n)
			page.before = items[n - 1].id;
		store_list_free(items);
	} while (n == (size_t)page.limit);
	if (json && rc == CLI_OK)
		rc = cli_print_json(arr);
	else
		cJSON_Delete(arr);
	store_close(st);
	return rc;
}

static int token_change(int argc, char **argv, bool rotate)
{
	struct cli_args args;
	struct store *st = NULL;
	struct pat pat;
	char token[TOKEN_LEN + 1];
	int64_t id;
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos != 1 || text_parse_i64(args.pos[0], strlen(args.pos[0]), 1, INT64_MAX, &id) != JT_OK) {
		fprintf(stderr, "usage: jeton token %s ID\n", rotate ? "rotate" : "revoke");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && rotate) {
		struct pat old;
		if (store_pat_get(st, 0, id, &old) == JT_OK)
			rc = obeys_policy(st, old.expires_at, true);
	}
	if (rc == CLI_OK) {
		enum jt_status e = rotate ? pat_rotate(st, 0, id, token, &pat)
					  : store_pat_revoke(st, 0, id, time_now(), &pat);
		if (e != JT_OK) {
			fprintf(stderr, "jeton: %s\n",
				e == JT_ENOTFOUND ? "no token with that id"
				: e == JT_ECONFLICT ? "only an active token can be rotated"
						    : jt_status_str(e));
			rc = CLI_FAIL;
		} else {
			audit_record(st, 0, "cli", rotate ? "token.rotated" : "token.revoked", "", true,
				     "token %lld (%s)", (long long)id, pat.name);
			if (rotate)
				printf("%s\n", token);
		}
	}
	crypto_wipe(token, sizeof token);
	store_close(st);
	return rc;
}

int cli_token(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "create") == 0)
		return token_create(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return token_list(argc - 1, argv + 1);
	if (strcmp(sub, "revoke") == 0)
		return token_change(argc - 1, argv + 1, false);
	if (strcmp(sub, "rotate") == 0)
		return token_change(argc - 1, argv + 1, true);
	fprintf(stderr, "usage: jeton token create|list|revoke|rotate ...\n");
	return CLI_USAGE;
}
