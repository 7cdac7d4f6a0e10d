/* SPDX-License-Identifier: MIT */
/* store_copy: moves everything from one store to another, backend to
 * backend, table by table in foreign-key order, ids kept, in one
 * transaction on the target. */
#include "store/store_int.h"
#include "util/log.h"

#include <string.h>

#define COLS(...) (const char *const[]){__VA_ARGS__}, \
	sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

/* Every table of schema v5, parents first. Roles are seeded by the
 * migrations on both sides and copied as updates would be: skipped. */
static const struct store_table tables[] = {
	{"users", COLS("id", "email", "friendly_name", "password_hash", "admin", "disabled",
		       "created_at"), "id"},
	{"spaces", COLS("id", "name", "created_at"), "id"},
	{"memberships", COLS("space_id", "user_id", "role"), "space_id, user_id"},
	{"pats", COLS("id", "user_id", "name", "token_hash", "display_prefix", "scopes",
		      "created_at", "expires_at", "last_used_at", "last_used_ip", "revoked_at"), "id"},
	{"apps", COLS("id", "client_id", "secret_hash", "name", "redirect_uris", "grants", "scopes",
		      "public", "access_ttl", "refresh_ttl", "rotate_refresh", "token_format",
		      "owner_id", "created_at", "secret_rotated_at", "allow_pkce_plain",
		      "introspect"), "id"},
	{"auth_codes", COLS("code_hash", "app_id", "user_id", "space_id", "redirect_uri",
			    "redirect_given", "scopes", "challenge", "challenge_method", "family_id",
			    "created_at", "expires_at", "used_at"), "code_hash"},
	{"oauth_tokens", COLS("id", "token_hash", "kind", "app_id", "user_id", "space_id",
			      "family_id", "scopes", "created_at", "expires_at", "revoked_at",
			      "rotated_at"), "id"},
	{"sessions", COLS("session_hash", "user_id", "created_at", "expires_at", "ip"),
	 "session_hash"},
	{"signing_keys", COLS("kid", "alg", "sealed_key", "public_jwk", "created_at", "retired_at",
			      "unpublish_at"), "kid"},
	{"audit", COLS("id", "at", "actor_id", "actor", "action", "target", "ip", "outcome"), "id"},
};

struct copy_state {
	struct store *to;
	const struct store_table *table;
	int64_t rows;
};

static enum jt_status copy_row(void *arg, const struct store_value *v)
{
	struct copy_state *cs = arg;
	cs->rows++;
	return cs->to->ops->import_row(cs->to, cs->table, v);
}

enum jt_status store_copy(struct store *from, struct store *to,
			  void (*progress)(const char *table, int64_t rows))
{
	int64_t users = 0;
	enum jt_status st = store_user_count(to, &users);
	if (st == JT_OK && users > 0) {
		log_error("store copy: the target already has users; copy into an empty store");
		return JT_ECONFLICT;
	}
	if (st == JT_OK)
		st = to->ops->import_begin(to);
	if (st != JT_OK)
		return st;
	for (size_t i = 0; st == JT_OK && i < sizeof tables / sizeof tables[0]; i++) {
		struct copy_state cs = {to, &tables[i], 0};
		st = from->ops->export_rows(from, &tables[i], copy_row, &cs);
		if (st == JT_OK && progress)
			progress(tables[i].name, cs.rows);
		if (st != JT_OK)
			log_error("store copy: table %s failed: %s", tables[i].name, jt_status_str(st));
	}
	enum jt_status end = to->ops->import_end(to, st == JT_OK);
	return st == JT_OK ? end : st;
}
