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

/* The inventory's filter options, by the names of inventory_keys with
 * dashes: --user --app --kind --status --unused-for --expires-within
 * --created-before --jti. */
#define INV_OPTIONS                                                                                \
	{.name = "--user", .takes_value = true}, {.name = "--app", .takes_value = true},           \
		{.name = "--kind", .takes_value = true}, {.name = "--status", .takes_value = true}, \
		{.name = "--unused-for", .takes_value = true},                                     \
		{.name = "--expires-within", .takes_value = true},                                 \
		{.name = "--created-before", .takes_value = true}, {.name = "--jti", .takes_value = true}

/* Reads the filter options (the first INV_KEYS of opts) into f. */
static int read_inventory_filter(struct store *st, const struct cli_option *opts, size_t nopts,
				 const char *values[INV_KEYS], struct inventory_filter *f,
				 int *given)
{
	char err[160];
	for (int k = 0; k < INV_KEYS; k++)
		values[k] = cli_value(opts, nopts, opts[k].name);
	enum jt_status s = inventory_filter_read(st, values, time_now(), f, given, err, sizeof err);
	if (s == JT_EINVAL)
		fprintf(stderr, "jeton: %s\n", err);
	return s == JT_OK ? CLI_OK : CLI_FAIL;
}

/* jeton token list --all: every token of every kind, newest first. */
static int inventory_list(struct store *st, const struct cli_option *opts, size_t nopts,
			  bool json)
{
	const char *values[INV_KEYS];
	struct inventory_filter f;
	struct inventory_cursor after = {0};
	struct inventory_item *items = NULL;
	struct policy pol = {0};
	size_t n = 0;
	int given, rc = read_inventory_filter(st, opts, nopts, values, &f, &given);
	if (rc != CLI_OK || store_policy_get(st, &pol) != JT_OK)
		return CLI_FAIL;
	cJSON *arr = cJSON_CreateArray();
	if (!json)
		printf("%-14s %-7s %-28s %-24s %-20s %-20s %-20s %-8s %s\n", "REF", "KIND", "USER",
		       "APP/NAME", "CREATED", "EXPIRES", "LAST USED", "STATUS", "POLICY");
	do {
		if (store_inventory_list(st, &f, &after, LIMIT_PAGE_MAX, &items, &n) != JT_OK) {
			rc = CLI_FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			const struct inventory_item *t = &items[i];
			const char *status = inventory_status(t, f.now);
			bool breaks = strcmp(t->kind, "pat") == 0 &&
				      authority_pat_breaks_policy(&pol, t->created_at, t->expires_at);
			if (json) {
				cJSON_AddItemToArray(arr, render_inventory_item(t, status, breaks));
				continue;
			}
			char ref[32], created[TIME_RFC3339_BUF], exp[TIME_RFC3339_BUF] = "never",
							       used[TIME_RFC3339_BUF] = "never";
			snprintf(ref, sizeof ref, "%s:%lld", t->kind, (long long)t->id);
			time_format(t->created_at, created);
			if (t->expires_at)
				time_format(t->expires_at, exp);
			if (t->last_used_at)
				time_format(t->last_used_at, used);
			printf("%-14s %-7s %-28s %-24s %-20s %-20s %-20s %-8s %s\n", ref, t->kind,
			       t->email[0] ? t->email : "-", t->app_id ? t->client_id : t->name,
			       created, exp, used, status, breaks ? "exceeds" : "");
		}
		if (n) {
			after.created_at = items[n - 1].created_at;
			after.id = items[n - 1].id;
			snprintf(after.kind, sizeof after.kind, "%s", items[n - 1].kind);
		}
		store_list_free(items);
	} while (n == LIMIT_PAGE_MAX);
	if (json && rc == CLI_OK)
		rc = cli_print_json(arr);
	else
		cJSON_Delete(arr);
	return rc;
}

/* jeton token revoke --unused-for 90d ... [--dry-run]: one audited event. */
static int inventory_revoke(int argc, char **argv)
{
	struct cli_option opts[] = {INV_OPTIONS, {.name = "--dry-run"}};
	size_t nopts = sizeof opts / sizeof opts[0];
	const char *values[INV_KEYS];
	struct inventory_filter f;
	struct cli_args args;
	struct store *st = NULL;
	char described[512];
	int64_t count = 0;
	int given;
	int rc = cli_parse(argc, argv, opts, nopts, &args);
	if (rc != CLI_OK)
		return rc;
	bool dry_run = cli_value(opts, nopts, "--dry-run") != NULL;
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK)
		rc = read_inventory_filter(st, opts, nopts, values, &f, &given);
	if (rc == CLI_OK && (!given || args.npos)) {
		fprintf(stderr, "usage: jeton token revoke ID | jeton token revoke [--user EMAIL] "
				"[--app APP] [--kind K] [--status S] [--unused-for D] "
				"[--expires-within D] [--created-before DATE] [--jti JTI] "
				"[--dry-run]\n");
		rc = CLI_USAGE;
	}
	if (rc == CLI_OK && store_inventory_revoke(st, &f, dry_run, "bulk", &count) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK) {
		inventory_filter_describe(values, described, sizeof described);
		if (!dry_run)
			audit_record(st, 0, "cli", "token.bulk_revoked", "", true, "%lld tokens (%s)",
				     (long long)count, described);
		printf("%s%lld token%s\n", dry_run ? "would revoke " : "revoked ", (long long)count,
		       count == 1 ? "" : "s");
	}
	store_close(st);
	return rc;
}

static int token_list(int argc, char **argv)
{
	struct cli_option opts[] = {INV_OPTIONS, {.name = "--json"}, {.name = "--all"}};
	size_t nopts = sizeof opts / sizeof opts[0];
	struct cli_args args;
	struct store *st = NULL;
	struct user u;
	struct pat *items = NULL;
	size_t n = 0;
	int rc = cli_parse(argc, argv, opts, nopts, &args);
	if (rc != CLI_OK)
		return rc;
	const char *email = cli_value(opts, nopts, "--user");
	bool json = cli_value(opts, nopts, "--json") != NULL;
	bool all = cli_value(opts, nopts, "--all") != NULL;
	bool filtered = false;
	for (int k = 1; k < INV_KEYS; k++)
		filtered |= cli_value(opts, nopts, opts[k].name) != NULL;
	if ((!email && !all) || (filtered && !all) || args.npos) {
		fprintf(stderr, "usage: jeton token list --user EMAIL [--json] | jeton token list "
				"--all [--user EMAIL] [--app APP] [--kind K] [--status S] "
				"[--unused-for D] [--expires-within D] [--created-before DATE] "
				"[--jti JTI] [--json]\n");
		return CLI_USAGE;
	}
	if (all) {
		rc = cli_open_store(args.db, 1, &st);
		if (rc == CLI_OK)
			rc = inventory_list(st, opts, nopts, json);
		store_close(st);
		return rc;
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
	int64_t id, overlap = 0, old_until = 0;
	struct cli_option opts[] = {{.name = "--overlap", .takes_value = true}};
	int rc = cli_parse(argc, argv, opts, rotate ? 1 : 0, &args);
	if (rc != CLI_OK)
		return rc;
	const char *overlap_text = rotate ? cli_value(opts, 1, "--overlap") : NULL;
	if (args.npos != 1 || text_parse_i64(args.pos[0], strlen(args.pos[0]), 1, INT64_MAX, &id) != JT_OK ||
	    (overlap_text &&
	     time_parse_duration(overlap_text, strlen(overlap_text), &overlap) != JT_OK)) {
		fprintf(stderr, "usage: jeton token %s\n",
			rotate ? "rotate ID [--overlap 24h]" : "revoke ID");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && rotate) {
		struct pat old;
		if (store_pat_get(st, 0, id, &old) == JT_OK)
			rc = obeys_policy(st, old.expires_at, true);
	}
	if (rc == CLI_OK) {
		enum jt_status e = rotate ? pat_rotate(st, 0, id, overlap, token, &pat, &old_until)
					  : store_pat_revoke(st, 0, id, time_now(), &pat);
		if (e != JT_OK) {
			fprintf(stderr, "jeton: %s\n",
				e == JT_ENOTFOUND ? "no token with that id"
				: e == JT_ECONFLICT ? "only an active token, not rotated already, can be rotated"
						    : jt_status_str(e));
			rc = CLI_FAIL;
		} else {
			audit_record(st, 0, "cli", rotate ? "token.rotated" : "token.revoked", "", true,
				     "token %lld (%s)", (long long)id, pat.name);
			if (rotate)
				printf("%s\n", token);
			if (old_until) {
				char until[TIME_RFC3339_BUF];
				time_format(old_until, until);
				fprintf(stderr, "jeton: the old token keeps working until %s\n", until);
			}
		}
	}
	crypto_wipe(token, sizeof token);
	store_close(st);
	return rc;
}

/* Whether "token revoke" is given a filter option (other than --db)
 * rather than an id alone. */
static bool names_filter(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0)
			i++;
		else if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i], "--db=", 5) != 0)
			return true;
	}
	return false;
}

int cli_token(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "create") == 0)
		return token_create(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return token_list(argc - 1, argv + 1);
	if (strcmp(sub, "revoke") == 0 && names_filter(argc - 1, argv + 1))
		return inventory_revoke(argc - 1, argv + 1);
	if (strcmp(sub, "revoke") == 0)
		return token_change(argc - 1, argv + 1, false);
	if (strcmp(sub, "rotate") == 0)
		return token_change(argc - 1, argv + 1, true);
	fprintf(stderr, "usage: jeton token create|list|revoke|rotate ...\n");
	return CLI_USAGE;
}
