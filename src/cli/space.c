/* SPDX-License-Identifier: MIT */
/* jeton space add|list|grant|revoke */
#include "audit/audit.h"
#include "cli/cli.h"
#include "render/render.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* A space by id or by name. */
static int find_space(struct store *st, const char *key, struct space *out)
{
	int64_t id;
	enum jt_status s;
	if (text_parse_i64(key, strlen(key), 1, INT64_MAX, &id) == JT_OK)
		s = store_space_get(st, id, out);
	else
		s = store_space_find_by_name(st, key, out);
	if (s == JT_OK)
		return CLI_OK;
	fprintf(stderr, "jeton: %s\n", s == JT_ENOTFOUND ? "no such space" : jt_status_str(s));
	return CLI_FAIL;
}

static int space_add(int argc, char **argv)
{
	struct cli_args args;
	struct store *st = NULL;
	struct space s = {0};
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos != 1 || !text_name_valid(args.pos[0], strlen(args.pos[0]), LIMIT_NAME_CHARS)) {
		fprintf(stderr, "usage: jeton space add NAME (1 to %d characters)\n", LIMIT_NAME_CHARS);
		return CLI_USAGE;
	}
	snprintf(s.name, sizeof s.name, "%s", args.pos[0]);
	s.created_at = time_now();
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK) {
		enum jt_status e = store_space_insert(st, &s);
		if (e == JT_OK) {
			audit_record(st, 0, "cli", "space.created", "", true, "space %lld (%s)",
				     (long long)s.id, s.name);
			printf("%lld\n", (long long)s.id);
		} else {
			fprintf(stderr, "jeton: %s\n", e == JT_ECONFLICT ? "a space with this name exists"
									 : jt_status_str(e));
			rc = CLI_FAIL;
		}
	}
	store_close(st);
	return rc;
}

static int space_list(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--json", .takes_value = false}};
	struct cli_args args;
	struct store *st = NULL;
	struct space *items = NULL;
	size_t n = 0;
	int rc = cli_parse(argc, argv, opts, 1, &args);
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc != CLI_OK)
		return rc;
	if (store_space_list(st, 0, false, &items, &n) != JT_OK) {
		store_close(st);
		return CLI_FAIL;
	}
	if (cli_value(opts, 1, "--json")) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; arr && i < n; i++)
			cJSON_AddItemToArray(arr, render_space(&items[i]));
		cli_print_json(arr);
	} else {
		printf("%-6s %s\n", "ID", "NAME");
		for (size_t i = 0; i < n; i++)
			printf("%-6lld %s\n", (long long)items[i].id, items[i].name);
	}
	store_list_free(items);
	store_close(st);
	return CLI_OK;
}

static int space_member(int argc, char **argv, bool grant)
{
	struct cli_args args;
	struct store *st = NULL;
	struct space s;
	struct user u;
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos != (grant ? 3 : 2)) {
		fprintf(stderr, grant ? "usage: jeton space grant SPACE EMAIL viewer|editor|admin\n"
				      : "usage: jeton space revoke SPACE EMAIL\n");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK)
		rc = find_space(st, args.pos[0], &s);
	if (rc == CLI_OK)
		rc = cli_find_user(st, args.pos[1], &u);
	if (rc == CLI_OK) {
		enum jt_status e = grant ? store_member_put(st, s.id, u.id, args.pos[2])
					 : store_member_delete(st, s.id, u.id);
		if (e == JT_OK && grant)
			audit_record(st, 0, "cli", "member.put", "", true, "space %lld (%s): %s as %s",
				     (long long)s.id, s.name, u.email, args.pos[2]);
		else if (e == JT_OK)
			audit_record(st, 0, "cli", "member.removed", "", true, "space %lld (%s): %s",
				     (long long)s.id, s.name, u.email);
		if (e != JT_OK) {
			fprintf(stderr, "jeton: %s\n",
				e == JT_EINVAL ? "unknown role (viewer, editor or admin)"
				: e == JT_ENOTFOUND ? "the user is not a member of that space"
						    : jt_status_str(e));
			rc = CLI_FAIL;
		}
	}
	store_close(st);
	return rc;
}

int cli_space(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "add") == 0)
		return space_add(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return space_list(argc - 1, argv + 1);
	if (strcmp(sub, "grant") == 0)
		return space_member(argc - 1, argv + 1, true);
	if (strcmp(sub, "revoke") == 0)
		return space_member(argc - 1, argv + 1, false);
	fprintf(stderr, "usage: jeton space add|list|grant|revoke ...\n");
	return CLI_USAGE;
}
