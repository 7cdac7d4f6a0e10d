/* SPDX-License-Identifier: MIT */
/* jeton app create|list|delete|rotate-secret: OAuth apps from the shell,
 * under the same rules as /v1/apps. */
#include "app/app.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "render/render.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static int print_app(const struct app *a, const char *secret, bool json)
{
	if (json) {
		cJSON *o = render_app(a);
		if (o && secret[0])
			cJSON_AddStringToObject(o, "client_secret", secret);
		return cli_print_secret_json(o);
	}
	printf("client_id: %s\n", a->client_id);
	if (secret[0])
		printf("client_secret: %s\n", secret);
	return CLI_OK;
}

static int parse_ttl(const char *v, const char *name, int64_t max, int64_t *out)
{
	if (v && text_parse_i64(v, strlen(v), 0, max, out) != JT_OK) {
		fprintf(stderr, "jeton: %s must be 0 to %lld seconds\n", name, (long long)max);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* --refresh-grace: 0 (none) or a duration ("30s", "2m"). */
static int parse_grace(const char *v, int64_t *out)
{
	if (!v)
		return CLI_OK;
	if (strcmp(v, "0") == 0) {
		*out = 0;
		return CLI_OK;
	}
	if (time_parse_duration(v, strlen(v), out) != JT_OK || *out > LIMIT_REFRESH_GRACE_MAX) {
		fprintf(stderr, "jeton: --refresh-grace must be 0 or a duration up to 5m\n");
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int app_create(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--name", .takes_value = true},
		{.name = "--redirect-uri", .takes_value = true},
		{.name = "--public"},
		{.name = "--grants", .takes_value = true},
		{.name = "--scopes", .takes_value = true},
		{.name = "--access-ttl", .takes_value = true},
		{.name = "--refresh-ttl", .takes_value = true},
		{.name = "--keep-refresh"},
		{.name = "--json"},
		{.name = "--token-format", .takes_value = true},
		{.name = "--allow-pkce-plain"},
		{.name = "--introspect"},
		{.name = "--refresh-grace", .takes_value = true},
	};
	size_t nopts = sizeof opts / sizeof opts[0];
	struct cli_args args;
	struct store *st = NULL;
	struct app a;
	char secret[TOKEN_LEN + 1] = "", why[256];
	uint64_t scopes;
	int rc = cli_parse(argc, argv, opts, nopts, &args);
	if (rc != CLI_OK)
		return rc;
	const char *name = cli_value(opts, nopts, "--name");
	const char *grants = cli_value(opts, nopts, "--grants");
	const char *scope_list = cli_value(opts, nopts, "--scopes");
	if (!name || args.npos) {
		fprintf(stderr,
			"usage: jeton app create --name N [--redirect-uri URI]... [--public] "
			"[--grants LIST] [--scopes \"a b\"] [--access-ttl S] [--refresh-ttl S] "
			"[--keep-refresh] [--token-format opaque|jwt] [--allow-pkce-plain] "
			"[--introspect] [--refresh-grace 30s] [--json]\n");
		return CLI_USAGE;
	}
	app_defaults(&a);
	snprintf(a.name, sizeof a.name, "%s", name);
	a.public_client = cli_value(opts, nopts, "--public") != NULL;
	a.rotate_refresh = cli_value(opts, nopts, "--keep-refresh") == NULL;
	a.allow_pkce_plain = cli_value(opts, nopts, "--allow-pkce-plain") != NULL;
	a.introspect = cli_value(opts, nopts, "--introspect") != NULL;
	const char *format = cli_value(opts, nopts, "--token-format");
	if (format)
		snprintf(a.token_format, sizeof a.token_format, "%s", format);
	for (int i = 0; i < opts[1].nvalues; i++) {
		if (app_add_redirect(&a, opts[1].values[i]) != JT_OK) {
			fprintf(stderr, "jeton: at most %d redirect URIs of %d bytes\n",
				LIMIT_REDIRECT_URIS, LIMIT_URI_BYTES);
			return CLI_USAGE;
		}
	}
	unsigned g = a.redirect_uris[0] ? GRANT_AUTHORIZATION_CODE | GRANT_REFRESH_TOKEN
					: GRANT_CLIENT_CREDENTIALS;
	if (grants && grant_type_parse(grants, &g) != JT_OK) {
		fprintf(stderr, "jeton: --grants lists authorization_code, refresh_token, "
				"client_credentials, device_code\n");
		return CLI_USAGE;
	}
	grant_type_format(g, a.grants, sizeof a.grants);
	if (scope_list) {
		if (scope_parse(scope_list, strlen(scope_list), &scopes) != JT_OK) {
			fprintf(stderr, "jeton: unknown scope in --scopes\n");
			return CLI_USAGE;
		}
		scope_format(scopes, a.scopes, sizeof a.scopes);
	}
	if (parse_ttl(cli_value(opts, nopts, "--access-ttl"), "--access-ttl", LIMIT_ACCESS_TTL_MAX,
		      &a.access_ttl) != CLI_OK ||
	    parse_ttl(cli_value(opts, nopts, "--refresh-ttl"), "--refresh-ttl",
		      LIMIT_REFRESH_TTL_MAX, &a.refresh_ttl) != CLI_OK ||
	    parse_grace(cli_value(opts, nopts, "--refresh-grace"), &a.refresh_grace) != CLI_OK)
		return CLI_USAGE;
	if (app_validate(&a, why, sizeof why) != JT_OK) {
		fprintf(stderr, "jeton: %s\n", why);
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && app_register(st, &a, secret) != JT_OK) {
		fprintf(stderr, "jeton: the app could not be stored\n");
		rc = CLI_FAIL;
	}
	if (rc == CLI_OK) {
		audit_record(st, 0, "cli", "app.created", "", true, "app %lld (%s) %s",
			     (long long)a.id, a.name, a.client_id);
		rc = print_app(&a, secret, cli_value(opts, nopts, "--json") != NULL);
	}
	crypto_wipe(secret, sizeof secret);
	store_close(st);
	return rc;
}

static int app_list(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--json"}};
	struct cli_args args;
	struct store *st = NULL;
	struct app *items = NULL;
	size_t n = 0;
	struct store_page page = {.before = 0, .limit = LIMIT_PAGE_MAX};
	int rc = cli_parse(argc, argv, opts, 1, &args);
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc != CLI_OK)
		return rc;
	bool json = cli_value(opts, 1, "--json") != NULL;
	cJSON *arr = cJSON_CreateArray();
	if (!json)
		printf("%-6s %-26s %-13s %s\n", "ID", "CLIENT_ID", "TYPE", "NAME");
	do {
		if (store_app_list(st, &page, &items, &n) != JT_OK) {
			rc = CLI_FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (json)
				cJSON_AddItemToArray(arr, render_app(&items[i]));
			else
				printf("%-6lld %-26s %-13s %s\n", (long long)items[i].id,
				       items[i].client_id,
				       items[i].public_client ? "public" : "confidential",
				       items[i].name);
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

/* delete or rotate-secret, on the app named by id or client_id. */
static int app_change(int argc, char **argv, bool rotate)
{
	struct cli_option opts[] = {{.name = "--json"}};
	struct cli_args args;
	struct store *st = NULL;
	struct app a;
	char secret[TOKEN_LEN + 1] = "";
	int64_t id;
	int rc = cli_parse(argc, argv, opts, 1, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos != 1) {
		fprintf(stderr, "usage: jeton app %s ID|CLIENT_ID\n",
			rotate ? "rotate-secret" : "delete");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc != CLI_OK)
		return rc;
	const char *key = args.pos[0];
	enum jt_status s = text_parse_i64(key, strlen(key), 1, INT64_MAX, &id) == JT_OK
				   ? store_app_get(st, id, &a)
				   : store_app_find_by_client_id(st, key, &a);
	if (s == JT_OK)
		s = rotate ? app_new_secret(st, &a, secret) : store_app_delete(st, a.id);
	if (s == JT_OK)
		audit_record(st, 0, "cli", rotate ? "app.secret_rotated" : "app.deleted", "", true,
			     "app %lld (%s) %s", (long long)a.id, a.name, a.client_id);
	if (s != JT_OK) {
		fprintf(stderr, "jeton: %s\n",
			s == JT_ENOTFOUND   ? "no such app"
			: s == JT_ECONFLICT ? "a public app has no secret"
					    : jt_status_str(s));
		rc = CLI_FAIL;
	} else if (rotate) {
		rc = print_app(&a, secret, cli_value(opts, 1, "--json") != NULL);
	}
	crypto_wipe(secret, sizeof secret);
	store_close(st);
	return rc;
}

int cli_app(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "create") == 0)
		return app_create(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return app_list(argc - 1, argv + 1);
	if (strcmp(sub, "delete") == 0)
		return app_change(argc - 1, argv + 1, false);
	if (strcmp(sub, "rotate-secret") == 0)
		return app_change(argc - 1, argv + 1, true);
	fprintf(stderr, "usage: jeton app create|list|delete|rotate-secret ...\n");
	return CLI_USAGE;
}
