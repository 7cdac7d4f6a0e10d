/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend's OAuth and console verbs: apps, authorization
 * codes, OAuth tokens, browser sessions and the audit log. */
#include "store/postgres_int.h"
#include "util/log.h"

#include <string.h>

#define APP_COLS "id, client_id, secret_hash, name, redirect_uris, grants, scopes, public, " \
		 "access_ttl, refresh_ttl, rotate_refresh, token_format, coalesce(owner_id, 0), " \
		 "created_at, allow_pkce_plain, introspect"
#define CODE_FIELDS "code_hash, app_id, user_id, space_id, redirect_uri, redirect_given, " \
		    "scopes, challenge, challenge_method, family_id, created_at, expires_at"
#define CODE_COLS CODE_FIELDS ", coalesce(used_at, 0)"
#define OTOKEN_COLS "id, token_hash, kind, coalesce(app_id, 0), coalesce(user_id, 0), " \
		    "coalesce(space_id, 0), family_id, scopes, created_at, expires_at, " \
		    "coalesce(revoked_at, 0), coalesce(rotated_at, 0)"

static const char *const oauth_sql[PGS_COUNT - PGS_APP_INSERT] = {
	[PGS_APP_INSERT - PGS_APP_INSERT] =
		"INSERT INTO apps(client_id, secret_hash, name, redirect_uris, grants, scopes, public, "
		"access_ttl, refresh_ttl, rotate_refresh, token_format, owner_id, created_at, "
		"allow_pkce_plain, introspect) VALUES "
		"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, nullif($12::bigint, 0), $13, $14, $15) "
		"RETURNING id",
	[PGS_APP_GET - PGS_APP_INSERT] = "SELECT " APP_COLS " FROM apps WHERE id = $1",
	[PGS_APP_BY_CLIENT_ID - PGS_APP_INSERT] =
		"SELECT " APP_COLS " FROM apps WHERE client_id = $1",
	[PGS_APP_LIST - PGS_APP_INSERT] =
		"SELECT " APP_COLS " FROM apps WHERE id < $1 ORDER BY id DESC LIMIT $2",
	[PGS_APP_UPDATE - PGS_APP_INSERT] =
		"UPDATE apps SET name = $2, redirect_uris = $3, grants = $4, scopes = $5, public = $6, "
		"access_ttl = $7, refresh_ttl = $8, rotate_refresh = $9, token_format = $10, "
		"allow_pkce_plain = $11, introspect = $12 WHERE id = $1",
	[PGS_APP_DELETE - PGS_APP_INSERT] = "DELETE FROM apps WHERE id = $1",
	[PGS_APP_SET_SECRET - PGS_APP_INSERT] =
		"UPDATE apps SET secret_hash = $2, secret_rotated_at = $3 WHERE id = $1",
	[PGS_CODE_INSERT - PGS_APP_INSERT] =
		"INSERT INTO auth_codes(" CODE_FIELDS ") VALUES "
		"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	[PGS_CODE_GET - PGS_APP_INSERT] = "SELECT " CODE_COLS " FROM auth_codes WHERE code_hash = $1",
	/* Of two concurrent redemptions, the second waits for the first's row
	 * lock (held until its tokens commit), then finds used_at set and
	 * matches nothing. */
	[PGS_CODE_USE - PGS_APP_INSERT] =
		"UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL "
		"RETURNING family_id",
	[PGS_OTOKEN_INSERT - PGS_APP_INSERT] =
		"INSERT INTO oauth_tokens(token_hash, kind, app_id, user_id, space_id, family_id, "
		"scopes, created_at, expires_at) VALUES ($1, $2, nullif($3::bigint, 0), "
		"nullif($4::bigint, 0), nullif($5::bigint, 0), $6, $7, $8, $9) RETURNING id",
	[PGS_OTOKEN_BY_HASH - PGS_APP_INSERT] =
		"SELECT " OTOKEN_COLS " FROM oauth_tokens WHERE token_hash = $1",
	[PGS_OTOKEN_REVOKE - PGS_APP_INSERT] =
		"UPDATE oauth_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
	[PGS_OTOKEN_REVOKE_FAMILY - PGS_APP_INSERT] =
		"UPDATE oauth_tokens SET revoked_at = $2 WHERE family_id = $1 AND family_id <> 0 "
		"AND revoked_at IS NULL",
	/* Like PGS_CODE_USE: one of two concurrent refreshes matches. */
	[PGS_OTOKEN_ROTATE - PGS_APP_INSERT] =
		"UPDATE oauth_tokens SET rotated_at = $2 WHERE id = $1 AND rotated_at IS NULL "
		"AND revoked_at IS NULL",
	[PGS_SESSION_INSERT - PGS_APP_INSERT] =
		"INSERT INTO sessions(session_hash, user_id, created_at, expires_at, ip) VALUES "
		"($1, $2, $3, $4, $5)",
	[PGS_SESSION_GET - PGS_APP_INSERT] =
		"SELECT session_hash, user_id, created_at, expires_at, ip FROM sessions "
		"WHERE session_hash = $1",
	[PGS_SESSION_DELETE - PGS_APP_INSERT] = "DELETE FROM sessions WHERE session_hash = $1",
	[PGS_SESSION_DELETE_USER - PGS_APP_INSERT] =
		"DELETE FROM sessions WHERE user_id = $1 AND session_hash <> $2",
	[PGS_AUDIT_INSERT - PGS_APP_INSERT] =
		"INSERT INTO audit(at, actor_id, actor, action, target, ip, outcome) VALUES "
		"($1, $2, $3, $4, $5, $6, $7)",
	/* SQLite's LIKE ignores ASCII case and has no escape character:
	 * ILIKE ... ESCAPE '' behaves the same. */
	[PGS_AUDIT_LIST - PGS_APP_INSERT] =
		"SELECT id, at, actor_id, actor, action, target, ip, outcome FROM audit "
		"WHERE id < $1 AND ($2::text = '' OR actor = $2) AND ($3::text = '' OR action = $3 "
		"OR action ILIKE ($3 || '.%') ESCAPE '') AND at >= $4 AND ($5::bigint = 0 OR at < $5) "
		"ORDER BY id DESC LIMIT $6",
	[PGS_KEY_INSERT - PGS_APP_INSERT] =
		"INSERT INTO signing_keys(kid, alg, sealed_key, public_jwk, created_at) "
		"VALUES ($1, $2, $3, $4, $5)",
	/* kid sorts byte by byte, as SQLite's BINARY collation does. */
	[PGS_KEY_LIST - PGS_APP_INSERT] =
		"SELECT kid, alg, sealed_key, public_jwk, created_at, coalesce(retired_at, 0), "
		"coalesce(unpublish_at, 0) FROM signing_keys "
		"WHERE unpublish_at IS NULL OR unpublish_at > $1 "
		"ORDER BY (retired_at IS NULL) DESC, created_at DESC, kid COLLATE \"C\" LIMIT 100",
	[PGS_KEY_RETIRE - PGS_APP_INSERT] =
		"UPDATE signing_keys SET retired_at = $2, unpublish_at = $3 "
		"WHERE kid <> $1 AND retired_at IS NULL",
};

static enum jt_status exec_done(struct pg_slot *c, enum pg_stmt_id id, const struct pg_params *p,
				const char *what, int64_t *changes)
{
	return pg_exec_done(c, id, oauth_sql[id - PGS_APP_INSERT], p, what, changes);
}

static enum jt_status exec_row(struct pg_slot *c, enum pg_stmt_id id, const struct pg_params *p,
			       PGresult **res, const char *what)
{
	return pg_exec_row(c, id, oauth_sql[id - PGS_APP_INSERT], p, res, what);
}

static void read_app(const PGresult *r, int row, void *out)
{
	struct app *a = out;
	memset(a, 0, sizeof *a);
	a->id = pg_col_int(r, row, 0);
	pg_col_text(r, row, 1, a->client_id, sizeof a->client_id);
	a->has_secret = pg_col_hash(r, row, 2, a->secret_hash);
	pg_col_text(r, row, 3, a->name, sizeof a->name);
	pg_col_text(r, row, 4, a->redirect_uris, sizeof a->redirect_uris);
	pg_col_text(r, row, 5, a->grants, sizeof a->grants);
	pg_col_text(r, row, 6, a->scopes, sizeof a->scopes);
	a->public_client = pg_col_bool(r, row, 7);
	a->access_ttl = pg_col_int(r, row, 8);
	a->refresh_ttl = pg_col_int(r, row, 9);
	a->rotate_refresh = pg_col_bool(r, row, 10);
	pg_col_text(r, row, 11, a->token_format, sizeof a->token_format);
	a->owner_id = pg_col_int(r, row, 12);
	a->created_at = pg_col_int(r, row, 13);
	a->allow_pkce_plain = pg_col_bool(r, row, 14);
	a->introspect = pg_col_bool(r, row, 15);
}

static void read_code(const PGresult *r, int row, void *out)
{
	struct auth_code *c = out;
	memset(c, 0, sizeof *c);
	pg_col_hash(r, row, 0, c->hash);
	c->app_id = pg_col_int(r, row, 1);
	c->user_id = pg_col_int(r, row, 2);
	c->space_id = pg_col_int(r, row, 3);
	pg_col_text(r, row, 4, c->redirect_uri, sizeof c->redirect_uri);
	c->redirect_given = pg_col_bool(r, row, 5);
	pg_col_text(r, row, 6, c->scopes, sizeof c->scopes);
	pg_col_text(r, row, 7, c->challenge, sizeof c->challenge);
	pg_col_text(r, row, 8, c->challenge_method, sizeof c->challenge_method);
	c->family_id = pg_col_int(r, row, 9);
	c->created_at = pg_col_int(r, row, 10);
	c->expires_at = pg_col_int(r, row, 11);
	c->used_at = pg_col_int(r, row, 12);
}

static void read_otoken(const PGresult *r, int row, void *out)
{
	struct oauth_token *t = out;
	memset(t, 0, sizeof *t);
	t->id = pg_col_int(r, row, 0);
	pg_col_hash(r, row, 1, t->hash);
	pg_col_text(r, row, 2, t->kind, sizeof t->kind);
	t->app_id = pg_col_int(r, row, 3);
	t->user_id = pg_col_int(r, row, 4);
	t->space_id = pg_col_int(r, row, 5);
	t->family_id = pg_col_int(r, row, 6);
	pg_col_text(r, row, 7, t->scopes, sizeof t->scopes);
	t->created_at = pg_col_int(r, row, 8);
	t->expires_at = pg_col_int(r, row, 9);
	t->revoked_at = pg_col_int(r, row, 10);
	t->rotated_at = pg_col_int(r, row, 11);
}

/* Runs statement id with the integers a and b, expecting no rows;
 * JT_ENOTFOUND when nothing changed and must_change. */
static enum jt_status exec_ids(struct store *base, enum pg_stmt_id id, int64_t a, int64_t b,
			       bool must_change)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	int64_t changes = 0;
	pg_param_int(&p, a);
	if (id != PGS_APP_DELETE)
		pg_param_int(&p, b); /* the statement has exactly as many parameters as sent */
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, id, &p, "update", &changes);
	if (st == JT_OK && must_change && changes == 0)
		st = JT_ENOTFOUND;
	pg_release(pg, c);
	return st;
}

/* Runs a one-row statement keyed by a hash; read fills out. */
static enum jt_status hash_lookup(struct store *base, enum pg_stmt_id id,
				  const uint8_t hash[STORE_HASH_LEN],
				  void (*read)(const PGresult *, int, void *), void *out,
				  const char *what)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	PGresult *r = NULL;
	pg_param_bytes(&p, hash, STORE_HASH_LEN);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_row(c, id, &p, &r, what);
	if (st == JT_OK)
		read(r, 0, out);
	PQclear(r);
	pg_release(pg, c);
	return st;
}

/* ---- apps ---- */

enum jt_status pg_app_insert(struct store *base, struct app *a)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	PGresult *r = NULL;
	pg_param_text(&p, a->client_id);
	if (a->has_secret)
		pg_param_bytes(&p, a->secret_hash, STORE_HASH_LEN);
	else
		pg_param_null(&p);
	pg_param_text(&p, a->name);
	pg_param_text(&p, a->redirect_uris);
	pg_param_text(&p, a->grants);
	pg_param_text(&p, a->scopes);
	pg_param_int(&p, a->public_client);
	pg_param_int(&p, a->access_ttl);
	pg_param_int(&p, a->refresh_ttl);
	pg_param_int(&p, a->rotate_refresh);
	pg_param_text(&p, a->token_format);
	pg_param_int(&p, a->owner_id);
	pg_param_int(&p, a->created_at);
	pg_param_int(&p, a->allow_pkce_plain);
	pg_param_int(&p, a->introspect);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_row(c, PGS_APP_INSERT, &p, &r, "app insert");
	if (st == JT_OK)
		a->id = pg_col_int(r, 0, 0);
	else if (st == JT_ENOTFOUND)
		st = JT_ESTORE; /* RETURNING always has a row */
	PQclear(r);
	pg_release(pg, c);
	return st;
}

static enum jt_status app_lookup(struct store *base, enum pg_stmt_id id, int64_t key,
				 const char *text_key, struct app *out)
{
	return pg_lookup(pg_to(base), id, oauth_sql[id - PGS_APP_INSERT], key, text_key,
			 read_app, out);
}

enum jt_status pg_app_get(struct store *base, int64_t id, struct app *out)
{
	return app_lookup(base, PGS_APP_GET, id, NULL, out);
}

enum jt_status pg_app_find_by_client_id(struct store *base, const char *client_id,
					struct app *out)
{
	return app_lookup(base, PGS_APP_BY_CLIENT_ID, 0, client_id, out);
}

enum jt_status pg_app_list(struct store *base, const struct store_page *page,
			   struct app **items, size_t *n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, page->before > 0 ? page->before : INT64_MAX);
	pg_param_int(&p, page->limit);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_collect(c, PGS_APP_LIST, oauth_sql[PGS_APP_LIST - PGS_APP_INSERT],
				       &p, sizeof **items,
				       read_app,
				       (void **)items, n, "app list");
	pg_release(pg, c);
	return st;
}

enum jt_status pg_app_update(struct store *base, const struct app *a)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	int64_t changes = 0;
	pg_param_int(&p, a->id);
	pg_param_text(&p, a->name);
	pg_param_text(&p, a->redirect_uris);
	pg_param_text(&p, a->grants);
	pg_param_text(&p, a->scopes);
	pg_param_int(&p, a->public_client);
	pg_param_int(&p, a->access_ttl);
	pg_param_int(&p, a->refresh_ttl);
	pg_param_int(&p, a->rotate_refresh);
	pg_param_text(&p, a->token_format);
	pg_param_int(&p, a->allow_pkce_plain);
	pg_param_int(&p, a->introspect);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_APP_UPDATE, &p, "app update", &changes);
	if (st == JT_OK && changes == 0)
		st = JT_ENOTFOUND;
	pg_release(pg, c);
	return st;
}

enum jt_status pg_app_delete(struct store *base, int64_t id)
{
	return exec_ids(base, PGS_APP_DELETE, id, 0, true);
}

enum jt_status pg_app_set_secret(struct store *base, int64_t id,
				 const uint8_t hash[STORE_HASH_LEN], int64_t now)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	int64_t changes = 0;
	pg_param_int(&p, id);
	pg_param_bytes(&p, hash, STORE_HASH_LEN);
	pg_param_int(&p, now);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_APP_SET_SECRET, &p, "app secret", &changes);
	if (st == JT_OK && changes == 0)
		st = JT_ENOTFOUND;
	pg_release(pg, c);
	return st;
}

/* ---- authorization codes ---- */

enum jt_status pg_code_insert(struct store *base, const struct auth_code *code)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_bytes(&p, code->hash, STORE_HASH_LEN);
	pg_param_int(&p, code->app_id);
	pg_param_int(&p, code->user_id);
	pg_param_int(&p, code->space_id);
	pg_param_text(&p, code->redirect_uri);
	pg_param_int(&p, code->redirect_given);
	pg_param_text(&p, code->scopes);
	pg_param_text(&p, code->challenge);
	pg_param_text(&p, code->challenge_method);
	pg_param_int(&p, code->family_id);
	pg_param_int(&p, code->created_at);
	pg_param_int(&p, code->expires_at);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_CODE_INSERT, &p, "code insert", NULL);
	pg_release(pg, c);
	return st;
}

enum jt_status pg_code_get(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			   struct auth_code *out)
{
	return hash_lookup(base, PGS_CODE_GET, hash,
			   read_code, out, "code get");
}

/* ---- OAuth tokens ---- */

static enum jt_status otoken_insert_on(struct pg_slot *c, struct oauth_token *t)
{
	struct pg_params p = {0};
	PGresult *r = NULL;
	pg_param_bytes(&p, t->hash, STORE_HASH_LEN);
	pg_param_text(&p, t->kind);
	pg_param_int(&p, t->app_id);
	pg_param_int(&p, t->user_id);
	pg_param_int(&p, t->space_id);
	pg_param_int(&p, t->family_id);
	pg_param_text(&p, t->scopes);
	pg_param_int(&p, t->created_at);
	pg_param_int(&p, t->expires_at);
	enum jt_status st = exec_row(c, PGS_OTOKEN_INSERT, &p, &r, "token insert");
	if (st == JT_OK)
		t->id = pg_col_int(r, 0, 0);
	else if (st == JT_ENOTFOUND)
		st = JT_ESTORE;
	PQclear(r);
	return st;
}

/* Inserts tokens inside an open transaction, after an optional rotation. */
static enum jt_status insert_all(struct pg_slot *c, int64_t rotate_id, int64_t now,
				 struct oauth_token *tokens, size_t n)
{
	enum jt_status st = JT_OK;
	if (rotate_id) {
		struct pg_params p = {0};
		int64_t changes = 0;
		pg_param_int(&p, rotate_id);
		pg_param_int(&p, now);
		st = exec_done(c, PGS_OTOKEN_ROTATE, &p, "token rotate", &changes);
		if (st == JT_OK && changes == 0)
			st = JT_ECONFLICT;
	}
	for (size_t i = 0; st == JT_OK && i < n; i++)
		st = otoken_insert_on(c, &tokens[i]);
	return st;
}

enum jt_status pg_oauth_refresh(struct store *base, int64_t old_id, bool keep_old, int64_t now,
				struct oauth_token *tokens, size_t n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = JT_OK;
	bool txn = n > 1 || (old_id && !keep_old);
	if (txn)
		st = pg_begin(c);
	if (st == JT_OK)
		st = insert_all(c, keep_old ? 0 : old_id, now, tokens, n);
	if (txn && st == JT_OK)
		st = pg_commit(c);
	if (txn && st != JT_OK)
		pg_rollback(c);
	pg_release(pg, c);
	return st;
}

enum jt_status pg_oauth_insert(struct store *base, struct oauth_token *tokens, size_t n)
{
	return pg_oauth_refresh(base, 0, true, 0, tokens, n);
}

/* Marks the code used and inserts its tokens, or, for a replay, revokes
 * the code's family, inside the caller's transaction. */
static enum jt_status redeem_on(struct pg_slot *c, const uint8_t hash[STORE_HASH_LEN],
				int64_t now, struct oauth_token *tokens, size_t n)
{
	struct pg_params p = {0};
	PGresult *r = NULL;
	struct auth_code code;
	pg_param_bytes(&p, hash, STORE_HASH_LEN);
	pg_param_int(&p, now);
	enum jt_status st = exec_row(c, PGS_CODE_USE, &p, &r, "code use");
	PQclear(r);
	r = NULL;
	if (st == JT_OK)
		return insert_all(c, 0, 0, tokens, n);
	if (st != JT_ENOTFOUND)
		return st;
	p.n = 1; /* the hash alone */
	st = exec_row(c, PGS_CODE_GET, &p, &r, "code get");
	if (st == JT_OK)
		read_code(r, 0, &code);
	PQclear(r);
	if (st != JT_OK)
		return st; /* gone: its app was deleted */
	/* The winner's transaction held the row until it committed its tokens:
	 * this statement's snapshot holds them. */
	struct pg_params f = {0};
	pg_param_int(&f, code.family_id);
	pg_param_int(&f, now);
	st = exec_done(c, PGS_OTOKEN_REVOKE_FAMILY, &f, "family revoke", NULL);
	return st == JT_OK ? JT_ECONFLICT : st;
}

enum jt_status pg_code_redeem(struct store *base, const uint8_t hash[STORE_HASH_LEN], int64_t now,
			      struct oauth_token *tokens, size_t n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_begin(c);
	if (st == JT_OK) {
		st = redeem_on(c, hash, now, tokens, n);
		/* A replay commits its revocation. */
		enum jt_status end = st == JT_OK || st == JT_ECONFLICT ? pg_commit(c) : JT_ESTORE;
		if (end != JT_OK) {
			pg_rollback(c);
			if (st == JT_OK || st == JT_ECONFLICT)
				st = end;
		}
	}
	pg_release(pg, c);
	return st;
}

/* Runs on the caller's thread: PostgreSQL's commit is the durable point,
 * and the token endpoint accepts a done that runs before this returns.
 * (Group commit across requests can come later.) */
enum jt_status pg_code_redeem_async(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				    int64_t now, struct oauth_token *tokens, size_t n,
				    store_done done, void *arg)
{
	done(arg, pg_code_redeem(base, hash, now, tokens, n));
	return JT_OK;
}

enum jt_status pg_oauth_insert_async(struct store *base, struct oauth_token *tokens, size_t n,
				     store_done done, void *arg)
{
	done(arg, pg_oauth_insert(base, tokens, n));
	return JT_OK;
}

enum jt_status pg_oauth_find_by_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				     struct oauth_token *out)
{
	return hash_lookup(base, PGS_OTOKEN_BY_HASH, hash,
			   read_otoken, out,
			   "token by hash");
}

enum jt_status pg_oauth_revoke(struct store *base, int64_t id, int64_t now)
{
	return exec_ids(base, PGS_OTOKEN_REVOKE, id, now, false);
}

enum jt_status pg_oauth_revoke_family(struct store *base, int64_t family_id, int64_t now)
{
	return exec_ids(base, PGS_OTOKEN_REVOKE_FAMILY, family_id, now, false);
}

/* ---- sessions ---- */

enum jt_status pg_session_insert(struct store *base, const struct session *se)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_bytes(&p, se->hash, STORE_HASH_LEN);
	pg_param_int(&p, se->user_id);
	pg_param_int(&p, se->created_at);
	pg_param_int(&p, se->expires_at);
	pg_param_text(&p, se->ip);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_SESSION_INSERT, &p, "session insert", NULL);
	pg_release(pg, c);
	return st;
}

static void read_session(const PGresult *r, int row, void *out)
{
	struct session *se = out;
	memset(se, 0, sizeof *se);
	pg_col_hash(r, row, 0, se->hash);
	se->user_id = pg_col_int(r, row, 1);
	se->created_at = pg_col_int(r, row, 2);
	se->expires_at = pg_col_int(r, row, 3);
	pg_col_text(r, row, 4, se->ip, sizeof se->ip);
}

enum jt_status pg_session_find(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			       struct session *out)
{
	return hash_lookup(base, PGS_SESSION_GET, hash,
			   read_session, out,
			   "session get");
}

enum jt_status pg_session_delete(struct store *base, const uint8_t hash[STORE_HASH_LEN])
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_bytes(&p, hash, STORE_HASH_LEN);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_SESSION_DELETE, &p, "session delete", NULL);
	pg_release(pg, c);
	return st;
}

enum jt_status pg_session_delete_user(struct store *base, int64_t user_id,
				      const uint8_t keep[STORE_HASH_LEN])
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, user_id);
	pg_param_bytes(&p, keep, STORE_HASH_LEN);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_SESSION_DELETE_USER, &p, "session delete of a user",
				      NULL);
	pg_release(pg, c);
	return st;
}

/* ---- audit log ---- */

/* A plain insert on the caller's thread; the caller logs a failure. */
enum jt_status pg_audit_insert(struct store *base, const struct audit_event *e)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, e->at);
	pg_param_int(&p, e->actor_id);
	pg_param_text(&p, e->actor);
	pg_param_text(&p, e->action);
	pg_param_text(&p, e->target);
	pg_param_text(&p, e->ip);
	pg_param_text(&p, e->success ? "success" : "failure");
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_AUDIT_INSERT, &p, "audit insert", NULL);
	pg_release(pg, c);
	return st;
}

static void read_audit(const PGresult *r, int row, void *out)
{
	struct audit_event *e = out;
	char outcome[16];
	memset(e, 0, sizeof *e);
	e->id = pg_col_int(r, row, 0);
	e->at = pg_col_int(r, row, 1);
	e->actor_id = pg_col_int(r, row, 2);
	pg_col_text(r, row, 3, e->actor, sizeof e->actor);
	pg_col_text(r, row, 4, e->action, sizeof e->action);
	pg_col_text(r, row, 5, e->target, sizeof e->target);
	pg_col_text(r, row, 6, e->ip, sizeof e->ip);
	pg_col_text(r, row, 7, outcome, sizeof outcome);
	e->success = strcmp(outcome, "success") == 0;
}

enum jt_status pg_audit_list(struct store *base, const struct audit_filter *f,
			     const struct store_page *page, struct audit_event **items, size_t *n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, page->before > 0 ? page->before : INT64_MAX);
	pg_param_text(&p, f->actor);
	pg_param_text(&p, f->action);
	pg_param_int(&p, f->since);
	pg_param_int(&p, f->until);
	pg_param_int(&p, page->limit);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_collect(c, PGS_AUDIT_LIST, oauth_sql[PGS_AUDIT_LIST - PGS_APP_INSERT],
				       &p, sizeof **items,
				       read_audit,
				       (void **)items, n, "audit list");
	pg_release(pg, c);
	return st;
}

/* ---- signing keys ---- */

enum jt_status pg_key_insert(struct store *base, const struct signing_key *k)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_text(&p, k->kid);
	pg_param_text(&p, k->alg);
	pg_param_bytes(&p, k->sealed, k->sealed_len);
	pg_param_text(&p, k->public_jwk);
	pg_param_int(&p, k->created_at);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_KEY_INSERT, &p, "key insert", NULL);
	pg_release(pg, c);
	return st;
}

static void read_key(const PGresult *r, int row, void *out)
{
	struct signing_key *k = out;
	memset(k, 0, sizeof *k);
	pg_col_text(r, row, 0, k->kid, sizeof k->kid);
	pg_col_text(r, row, 1, k->alg, sizeof k->alg);
	k->sealed_len = pg_col_bytes(r, row, 2, k->sealed, sizeof k->sealed);
	pg_col_text(r, row, 3, k->public_jwk, sizeof k->public_jwk);
	k->created_at = pg_col_int(r, row, 4);
	k->retired_at = pg_col_int(r, row, 5);
	k->unpublish_at = pg_col_int(r, row, 6);
}

enum jt_status pg_key_list(struct store *base, int64_t now, struct signing_key **items, size_t *n)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_int(&p, now);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_collect(c, PGS_KEY_LIST, oauth_sql[PGS_KEY_LIST - PGS_APP_INSERT], &p,
				       sizeof **items,
				       read_key,
				       (void **)items, n, "key list");
	pg_release(pg, c);
	return st;
}

enum jt_status pg_key_retire_others(struct store *base, const char *kid, int64_t now,
				    int64_t unpublish_at)
{
	struct pg_store *pg = pg_to(base);
	struct pg_params p = {0};
	pg_param_text(&p, kid);
	pg_param_int(&p, now);
	pg_param_int(&p, unpublish_at);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = exec_done(c, PGS_KEY_RETIRE, &p, "key retire", NULL);
	pg_release(pg, c);
	return st;
}
