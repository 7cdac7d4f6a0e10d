/* SPDX-License-Identifier: MIT */
/* The SQLite backend's OAuth and console verbs: apps, authorization codes,
 * OAuth tokens, browser sessions and the audit log. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <string.h>

#define APP_COLS "id, client_id, secret_hash, name, redirect_uris, grants, scopes, public, " \
		 "access_ttl, refresh_ttl, rotate_refresh, token_format, coalesce(owner_id, 0), " \
		 "created_at, allow_pkce_plain, introspect"
#define CODE_COLS "code_hash, app_id, user_id, space_id, redirect_uri, redirect_given, scopes, " \
		  "challenge, challenge_method, family_id, created_at, expires_at, coalesce(used_at, 0)"
#define OTOKEN_COLS "id, token_hash, kind, coalesce(app_id, 0), coalesce(user_id, 0), " \
		    "coalesce(space_id, 0), family_id, scopes, created_at, expires_at, " \
		    "coalesce(revoked_at, 0), coalesce(rotated_at, 0)"

static const char *const oauth_sql[ST_COUNT - ST_APP_INSERT] = {
	[ST_APP_INSERT - ST_APP_INSERT] =
		"INSERT INTO apps(client_id, secret_hash, name, redirect_uris, grants, scopes, public, "
		"access_ttl, refresh_ttl, rotate_refresh, token_format, owner_id, created_at, "
		"allow_pkce_plain, introspect) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, nullif(?12, 0), ?13, ?14, ?15)",
	[ST_APP_GET - ST_APP_INSERT] = "SELECT " APP_COLS " FROM apps WHERE id = ?1",
	[ST_APP_BY_CLIENT_ID - ST_APP_INSERT] = "SELECT " APP_COLS " FROM apps WHERE client_id = ?1",
	[ST_APP_LIST - ST_APP_INSERT] =
		"SELECT " APP_COLS " FROM apps WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
	[ST_APP_UPDATE - ST_APP_INSERT] =
		"UPDATE apps SET name = ?2, redirect_uris = ?3, grants = ?4, scopes = ?5, public = ?6, "
		"access_ttl = ?7, refresh_ttl = ?8, rotate_refresh = ?9, token_format = ?10, "
		"allow_pkce_plain = ?11, introspect = ?12 WHERE id = ?1",
	[ST_APP_DELETE - ST_APP_INSERT] = "DELETE FROM apps WHERE id = ?1",
	[ST_APP_SET_SECRET - ST_APP_INSERT] =
		"UPDATE apps SET secret_hash = ?2, secret_rotated_at = ?3 WHERE id = ?1",
	[ST_CODE_INSERT - ST_APP_INSERT] =
		"INSERT INTO auth_codes(code_hash, app_id, user_id, space_id, redirect_uri, "
		"redirect_given, scopes, challenge, challenge_method, family_id, created_at, "
		"expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_CODE_GET - ST_APP_INSERT] = "SELECT " CODE_COLS " FROM auth_codes WHERE code_hash = ?1",
	[ST_CODE_USE - ST_APP_INSERT] =
		"UPDATE auth_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL",
	[ST_OTOKEN_INSERT - ST_APP_INSERT] =
		"INSERT INTO oauth_tokens(token_hash, kind, app_id, user_id, space_id, family_id, "
		"scopes, created_at, expires_at) VALUES (?1, ?2, nullif(?3, 0), nullif(?4, 0), "
		"nullif(?5, 0), ?6, ?7, ?8, ?9)",
	[ST_OTOKEN_BY_HASH - ST_APP_INSERT] =
		"SELECT " OTOKEN_COLS " FROM oauth_tokens WHERE token_hash = ?1",
	[ST_OTOKEN_REVOKE - ST_APP_INSERT] =
		"UPDATE oauth_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
	[ST_OTOKEN_REVOKE_FAMILY - ST_APP_INSERT] =
		"UPDATE oauth_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND family_id <> 0 "
		"AND revoked_at IS NULL",
	[ST_OTOKEN_ROTATE - ST_APP_INSERT] =
		"UPDATE oauth_tokens SET rotated_at = ?2 WHERE id = ?1 AND rotated_at IS NULL "
		"AND revoked_at IS NULL",
	[ST_SESSION_INSERT - ST_APP_INSERT] =
		"INSERT INTO sessions(session_hash, user_id, created_at, expires_at, ip) VALUES "
		"(?1, ?2, ?3, ?4, ?5)",
	[ST_SESSION_GET - ST_APP_INSERT] =
		"SELECT session_hash, user_id, created_at, expires_at, ip FROM sessions "
		"WHERE session_hash = ?1",
	[ST_SESSION_DELETE - ST_APP_INSERT] = "DELETE FROM sessions WHERE session_hash = ?1",
	[ST_SESSION_DELETE_USER - ST_APP_INSERT] =
		"DELETE FROM sessions WHERE user_id = ?1 AND session_hash <> ?2",
	[ST_AUDIT_INSERT - ST_APP_INSERT] =
		"INSERT INTO audit(at, actor_id, actor, action, target, ip, outcome) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_AUDIT_LIST - ST_APP_INSERT] =
		"SELECT id, at, actor_id, actor, action, target, ip, outcome FROM audit "
		"WHERE id < ?1 AND (?2 = '' OR actor = ?2) AND (?3 = '' OR action = ?3 OR "
		"action LIKE ?3 || '.%') AND at >= ?4 AND (?5 = 0 OR at < ?5) "
		"ORDER BY id DESC LIMIT ?6",
	[ST_KEY_INSERT - ST_APP_INSERT] =
		"INSERT INTO signing_keys(kid, alg, sealed_key, public_jwk, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_KEY_LIST - ST_APP_INSERT] =
		"SELECT kid, alg, sealed_key, public_jwk, created_at, coalesce(retired_at, 0), "
		"coalesce(unpublish_at, 0) FROM signing_keys "
		"WHERE unpublish_at IS NULL OR unpublish_at > ?1 "
		"ORDER BY (retired_at IS NULL) DESC, created_at DESC, kid LIMIT 100",
	[ST_KEY_RETIRE - ST_APP_INSERT] =
		"UPDATE signing_keys SET retired_at = ?2, unpublish_at = ?3 "
		"WHERE kid <> ?1 AND retired_at IS NULL",
};

static sqlite3_stmt *stmt(struct conn *c, enum stmt_id id)
{
	return sq_stmt(c, id, oauth_sql[id - ST_APP_INSERT]);
}

static void col_hash(sqlite3_stmt *s, int i, uint8_t out[STORE_HASH_LEN])
{
	memset(out, 0, STORE_HASH_LEN);
	if (sqlite3_column_bytes(s, i) == STORE_HASH_LEN)
		memcpy(out, sqlite3_column_blob(s, i), STORE_HASH_LEN);
}

static void bind_hash(sqlite3_stmt *s, int i, const uint8_t hash[STORE_HASH_LEN])
{
	sqlite3_bind_blob(s, i, hash, STORE_HASH_LEN, SQLITE_STATIC);
}

static void read_app(sqlite3_stmt *s, void *out)
{
	struct app *a = out;
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	sq_col_text(s, 1, a->client_id, sizeof a->client_id);
	a->has_secret = sqlite3_column_bytes(s, 2) == STORE_HASH_LEN;
	col_hash(s, 2, a->secret_hash);
	sq_col_text(s, 3, a->name, sizeof a->name);
	sq_col_text(s, 4, a->redirect_uris, sizeof a->redirect_uris);
	sq_col_text(s, 5, a->grants, sizeof a->grants);
	sq_col_text(s, 6, a->scopes, sizeof a->scopes);
	a->public_client = sqlite3_column_int(s, 7) != 0;
	a->access_ttl = sqlite3_column_int64(s, 8);
	a->refresh_ttl = sqlite3_column_int64(s, 9);
	a->rotate_refresh = sqlite3_column_int(s, 10) != 0;
	sq_col_text(s, 11, a->token_format, sizeof a->token_format);
	a->owner_id = sqlite3_column_int64(s, 12);
	a->created_at = sqlite3_column_int64(s, 13);
	a->allow_pkce_plain = sqlite3_column_int(s, 14) != 0;
	a->introspect = sqlite3_column_int(s, 15) != 0;
}

static void read_code(sqlite3_stmt *s, void *out)
{
	struct auth_code *c = out;
	memset(c, 0, sizeof *c);
	col_hash(s, 0, c->hash);
	c->app_id = sqlite3_column_int64(s, 1);
	c->user_id = sqlite3_column_int64(s, 2);
	c->space_id = sqlite3_column_int64(s, 3);
	sq_col_text(s, 4, c->redirect_uri, sizeof c->redirect_uri);
	c->redirect_given = sqlite3_column_int(s, 5) != 0;
	sq_col_text(s, 6, c->scopes, sizeof c->scopes);
	sq_col_text(s, 7, c->challenge, sizeof c->challenge);
	sq_col_text(s, 8, c->challenge_method, sizeof c->challenge_method);
	c->family_id = sqlite3_column_int64(s, 9);
	c->created_at = sqlite3_column_int64(s, 10);
	c->expires_at = sqlite3_column_int64(s, 11);
	c->used_at = sqlite3_column_int64(s, 12);
}

static void read_otoken(sqlite3_stmt *s, void *out)
{
	struct oauth_token *t = out;
	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(s, 0);
	col_hash(s, 1, t->hash);
	sq_col_text(s, 2, t->kind, sizeof t->kind);
	t->app_id = sqlite3_column_int64(s, 3);
	t->user_id = sqlite3_column_int64(s, 4);
	t->space_id = sqlite3_column_int64(s, 5);
	t->family_id = sqlite3_column_int64(s, 6);
	sq_col_text(s, 7, t->scopes, sizeof t->scopes);
	t->created_at = sqlite3_column_int64(s, 8);
	t->expires_at = sqlite3_column_int64(s, 9);
	t->revoked_at = sqlite3_column_int64(s, 10);
	t->rotated_at = sqlite3_column_int64(s, 11);
}

/* Runs statement id with one integer and optional second integer/blob,
 * expecting no rows; JT_ENOTFOUND when nothing changed and must_change. */
static enum jt_status exec_ids(struct store *base, enum stmt_id id, int64_t a, int64_t b,
			       bool must_change)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	int changes = 0;
	sqlite3_stmt *s = stmt(c, id);
	if (s) {
		sqlite3_bind_int64(s, 1, a);
		sqlite3_bind_int64(s, 2, b);
		st = sq_exec_done(c, s, "update", &changes);
		if (st == JT_OK && must_change && changes == 0)
			st = JT_ENOTFOUND;
	}
	sq_release(sq, c);
	return st;
}

/* ---- apps ---- */

enum jt_status sq_app_insert(struct store *base, struct app *a)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_APP_INSERT);
	if (s) {
		sq_bind_text(s, 1, a->client_id);
		if (a->has_secret)
			bind_hash(s, 2, a->secret_hash);
		sq_bind_text(s, 3, a->name);
		sq_bind_text(s, 4, a->redirect_uris);
		sq_bind_text(s, 5, a->grants);
		sq_bind_text(s, 6, a->scopes);
		sqlite3_bind_int(s, 7, a->public_client);
		sqlite3_bind_int64(s, 8, a->access_ttl);
		sqlite3_bind_int64(s, 9, a->refresh_ttl);
		sqlite3_bind_int(s, 10, a->rotate_refresh);
		sq_bind_text(s, 11, a->token_format);
		sqlite3_bind_int64(s, 12, a->owner_id);
		sqlite3_bind_int64(s, 13, a->created_at);
		sqlite3_bind_int(s, 14, a->allow_pkce_plain);
		sqlite3_bind_int(s, 15, a->introspect);
		st = sq_exec_done(c, s, "app insert", NULL);
		if (st == JT_OK)
			a->id = sqlite3_last_insert_rowid(c->db);
	}
	sq_release(sq, c);
	return st;
}

static enum jt_status app_lookup(struct store *base, enum stmt_id id, int64_t key,
				 const char *text_key, struct app *out)
{
	return sq_lookup(sq_to(base), id, oauth_sql[id - ST_APP_INSERT], key, text_key,
			 read_app, out);
}

enum jt_status sq_app_get(struct store *base, int64_t id, struct app *out)
{
	return app_lookup(base, ST_APP_GET, id, NULL, out);
}

enum jt_status sq_app_find_by_client_id(struct store *base, const char *client_id,
					struct app *out)
{
	return app_lookup(base, ST_APP_BY_CLIENT_ID, 0, client_id, out);
}

enum jt_status sq_app_list(struct store *base, const struct store_page *page,
			   struct app **items, size_t *n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_APP_LIST);
	*items = NULL;
	*n = 0;
	if (s) {
		sqlite3_bind_int64(s, 1, page->before > 0 ? page->before : INT64_MAX);
		sqlite3_bind_int(s, 2, page->limit);
		st = sq_collect(c, s, sizeof **items, read_app,
				(void **)items, n, "app list");
	}
	sq_release(sq, c);
	return st;
}

enum jt_status sq_app_update(struct store *base, const struct app *a)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	int changes = 0;
	sqlite3_stmt *s = stmt(c, ST_APP_UPDATE);
	if (s) {
		sqlite3_bind_int64(s, 1, a->id);
		sq_bind_text(s, 2, a->name);
		sq_bind_text(s, 3, a->redirect_uris);
		sq_bind_text(s, 4, a->grants);
		sq_bind_text(s, 5, a->scopes);
		sqlite3_bind_int(s, 6, a->public_client);
		sqlite3_bind_int64(s, 7, a->access_ttl);
		sqlite3_bind_int64(s, 8, a->refresh_ttl);
		sqlite3_bind_int(s, 9, a->rotate_refresh);
		sq_bind_text(s, 10, a->token_format);
		sqlite3_bind_int(s, 11, a->allow_pkce_plain);
		sqlite3_bind_int(s, 12, a->introspect);
		st = sq_exec_done(c, s, "app update", &changes);
		if (st == JT_OK && changes == 0)
			st = JT_ENOTFOUND;
	}
	sq_release(sq, c);
	return st;
}

enum jt_status sq_app_delete(struct store *base, int64_t id)
{
	return exec_ids(base, ST_APP_DELETE, id, 0, true);
}

enum jt_status sq_app_set_secret(struct store *base, int64_t id,
				 const uint8_t hash[STORE_HASH_LEN], int64_t now)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	int changes = 0;
	sqlite3_stmt *s = stmt(c, ST_APP_SET_SECRET);
	if (s) {
		sqlite3_bind_int64(s, 1, id);
		bind_hash(s, 2, hash);
		sqlite3_bind_int64(s, 3, now);
		st = sq_exec_done(c, s, "app secret", &changes);
		if (st == JT_OK && changes == 0)
			st = JT_ENOTFOUND;
	}
	sq_release(sq, c);
	return st;
}

/* ---- authorization codes ---- */

enum jt_status sq_code_insert(struct store *base, const struct auth_code *code)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_CODE_INSERT);
	if (s) {
		bind_hash(s, 1, code->hash);
		sqlite3_bind_int64(s, 2, code->app_id);
		sqlite3_bind_int64(s, 3, code->user_id);
		sqlite3_bind_int64(s, 4, code->space_id);
		sq_bind_text(s, 5, code->redirect_uri);
		sqlite3_bind_int(s, 6, code->redirect_given);
		sq_bind_text(s, 7, code->scopes);
		sq_bind_text(s, 8, code->challenge);
		sq_bind_text(s, 9, code->challenge_method);
		sqlite3_bind_int64(s, 10, code->family_id);
		sqlite3_bind_int64(s, 11, code->created_at);
		sqlite3_bind_int64(s, 12, code->expires_at);
		st = sq_exec_done(c, s, "code insert", NULL);
	}
	sq_release(sq, c);
	return st;
}

/* Reads a code on c; JT_ENOTFOUND without one. */
static enum jt_status code_get_on(struct conn *c, const uint8_t hash[STORE_HASH_LEN],
				  struct auth_code *out)
{
	sqlite3_stmt *s = stmt(c, ST_CODE_GET);
	if (!s)
		return JT_ESTORE;
	bind_hash(s, 1, hash);
	enum jt_status st = sq_step_row(c, s, "code get");
	if (st == JT_OK)
		read_code(s, out);
	sqlite3_reset(s);
	return st;
}

enum jt_status sq_code_get(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			   struct auth_code *out)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = code_get_on(c, hash, out);
	sq_release(sq, c);
	return st;
}

/* ---- OAuth tokens ---- */

static enum jt_status otoken_insert_on(struct conn *c, struct oauth_token *t)
{
	sqlite3_stmt *s = stmt(c, ST_OTOKEN_INSERT);
	if (!s)
		return JT_ESTORE;
	bind_hash(s, 1, t->hash);
	sq_bind_text(s, 2, t->kind);
	sqlite3_bind_int64(s, 3, t->app_id);
	sqlite3_bind_int64(s, 4, t->user_id);
	sqlite3_bind_int64(s, 5, t->space_id);
	sqlite3_bind_int64(s, 6, t->family_id);
	sq_bind_text(s, 7, t->scopes);
	sqlite3_bind_int64(s, 8, t->created_at);
	sqlite3_bind_int64(s, 9, t->expires_at);
	enum jt_status st = sq_exec_done(c, s, "token insert", NULL);
	if (st == JT_OK)
		t->id = sqlite3_last_insert_rowid(c->db);
	return st;
}

/* Inserts tokens inside an open transaction, after an optional rotation. */
static enum jt_status insert_all(struct conn *c, int64_t rotate_id, int64_t now,
				 struct oauth_token *tokens, size_t n)
{
	enum jt_status st = JT_OK;
	if (rotate_id) {
		int changes = 0;
		sqlite3_stmt *s = stmt(c, ST_OTOKEN_ROTATE);
		st = JT_ESTORE;
		if (s) {
			sqlite3_bind_int64(s, 1, rotate_id);
			sqlite3_bind_int64(s, 2, now);
			st = sq_exec_done(c, s, "token rotate", &changes);
		}
		if (st == JT_OK && changes == 0)
			st = JT_ECONFLICT;
	}
	for (size_t i = 0; st == JT_OK && i < n; i++)
		st = otoken_insert_on(c, &tokens[i]);
	return st;
}

/* A redemption on the writer thread. The batch rolls a failed job back to
 * its savepoint, so a replay's revocation must leave the job successful:
 * the replay travels in *replayed and becomes JT_ECONFLICT after the commit. */
struct redeem_args {
	uint8_t hash[STORE_HASH_LEN];
	int64_t now;
	struct oauth_token *tokens;
	size_t n;
	bool *replayed;
};

static enum jt_status redeem_job(struct store_conn *cb, void *arg)
{
	struct conn *c = sq_conn(cb);
	struct redeem_args *a = arg;
	struct auth_code code;
	int changes = 0;
	sqlite3_stmt *s = stmt(c, ST_CODE_USE);
	if (!s)
		return JT_ESTORE;
	bind_hash(s, 1, a->hash);
	sqlite3_bind_int64(s, 2, a->now);
	enum jt_status st = sq_exec_done(c, s, "code use", &changes);
	if (st != JT_OK)
		return st;
	if (changes == 1)
		return insert_all(c, 0, 0, a->tokens, a->n);
	st = code_get_on(c, a->hash, &code);
	if (st != JT_OK)
		return st; /* gone: its app was deleted */
	*a->replayed = true;
	s = stmt(c, ST_OTOKEN_REVOKE_FAMILY);
	if (!s)
		return JT_ESTORE;
	sqlite3_bind_int64(s, 1, code.family_id);
	sqlite3_bind_int64(s, 2, a->now);
	return sq_exec_done(c, s, "family revoke", NULL);
}

enum jt_status sq_code_redeem(struct store *base, const uint8_t hash[STORE_HASH_LEN], int64_t now,
			      struct oauth_token *tokens, size_t n)
{
	bool replayed = false;
	struct redeem_args a = {.now = now, .tokens = tokens, .n = n, .replayed = &replayed};
	memcpy(a.hash, hash, STORE_HASH_LEN);
	enum jt_status st = writer_run(base, redeem_job, &a, sizeof a);
	return st == JT_OK && replayed ? JT_ECONFLICT : st;
}

/* The caller's callback, and what the job found, until the commit. */
struct redeem_call {
	store_done done;
	void *arg;
	bool replayed;
};

static void redeem_done(void *arg, enum jt_status st)
{
	struct redeem_call call = *(struct redeem_call *)arg;
	jt_free(arg);
	call.done(call.arg, st == JT_OK && call.replayed ? JT_ECONFLICT : st);
}

enum jt_status sq_code_redeem_async(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				    int64_t now, struct oauth_token *tokens, size_t n,
				    store_done done, void *arg)
{
	struct redeem_call *call = jt_calloc(1, sizeof *call);
	if (!call)
		return JT_ENOMEM;
	call->done = done;
	call->arg = arg;
	struct redeem_args a = {.now = now, .tokens = tokens, .n = n, .replayed = &call->replayed};
	memcpy(a.hash, hash, STORE_HASH_LEN);
	enum jt_status st = writer_submit(base, redeem_job, &a, sizeof a, redeem_done, call);
	if (st != JT_OK)
		jt_free(call);
	return st;
}

enum jt_status sq_oauth_refresh(struct store *base, int64_t old_id, bool keep_old, int64_t now,
				struct oauth_token *tokens, size_t n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_OK;
	bool txn = n > 1 || (old_id && !keep_old);
	if (txn)
		st = sq_begin(c);
	if (st == JT_OK)
		st = insert_all(c, keep_old ? 0 : old_id, now, tokens, n);
	if (txn && st == JT_OK)
		st = sq_commit(c);
	if (txn && st != JT_OK)
		sq_rollback(c);
	sq_release(sq, c);
	return st;
}

enum jt_status sq_oauth_insert(struct store *base, struct oauth_token *tokens, size_t n)
{
	return sq_oauth_refresh(base, 0, true, 0, tokens, n);
}

enum jt_status sq_oauth_find_by_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				     struct oauth_token *out)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_OTOKEN_BY_HASH);
	if (s) {
		bind_hash(s, 1, hash);
		st = sq_step_row(c, s, "token by hash");
		if (st == JT_OK)
			read_otoken(s, out);
		sqlite3_reset(s);
	}
	sq_release(sq, c);
	return st;
}

enum jt_status sq_oauth_revoke(struct store *base, int64_t id, int64_t now)
{
	return exec_ids(base, ST_OTOKEN_REVOKE, id, now, false);
}

enum jt_status sq_oauth_revoke_family(struct store *base, int64_t family_id, int64_t now)
{
	return exec_ids(base, ST_OTOKEN_REVOKE_FAMILY, family_id, now, false);
}

/* ---- sessions ---- */

enum jt_status sq_session_insert(struct store *base, const struct session *se)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_SESSION_INSERT);
	if (s) {
		bind_hash(s, 1, se->hash);
		sqlite3_bind_int64(s, 2, se->user_id);
		sqlite3_bind_int64(s, 3, se->created_at);
		sqlite3_bind_int64(s, 4, se->expires_at);
		sq_bind_text(s, 5, se->ip);
		st = sq_exec_done(c, s, "session insert", NULL);
	}
	sq_release(sq, c);
	return st;
}

enum jt_status sq_session_find(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			       struct session *out)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_SESSION_GET);
	if (s) {
		bind_hash(s, 1, hash);
		st = sq_step_row(c, s, "session get");
		if (st == JT_OK) {
			memset(out, 0, sizeof *out);
			col_hash(s, 0, out->hash);
			out->user_id = sqlite3_column_int64(s, 1);
			out->created_at = sqlite3_column_int64(s, 2);
			out->expires_at = sqlite3_column_int64(s, 3);
			sq_col_text(s, 4, out->ip, sizeof out->ip);
		}
		sqlite3_reset(s);
	}
	sq_release(sq, c);
	return st;
}

enum jt_status sq_session_delete(struct store *base, const uint8_t hash[STORE_HASH_LEN])
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_SESSION_DELETE);
	if (s) {
		bind_hash(s, 1, hash);
		st = sq_exec_done(c, s, "session delete", NULL);
	}
	sq_release(sq, c);
	return st;
}

enum jt_status sq_session_delete_user(struct store *base, int64_t user_id,
				      const uint8_t keep[STORE_HASH_LEN])
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_SESSION_DELETE_USER);
	if (s) {
		sqlite3_bind_int64(s, 1, user_id);
		bind_hash(s, 2, keep);
		st = sq_exec_done(c, s, "session delete of a user", NULL);
	}
	sq_release(sq, c);
	return st;
}

struct insert_args {
	struct oauth_token *tokens;
	size_t n;
};

static enum jt_status insert_job(struct store_conn *cb, void *arg)
{
	struct conn *c = sq_conn(cb);
	struct insert_args *a = arg;
	return insert_all(c, 0, 0, a->tokens, a->n);
}

enum jt_status sq_oauth_insert_async(struct store *base, struct oauth_token *tokens, size_t n,
				     store_done done, void *arg)
{
	struct insert_args a = {tokens, n};
	return writer_submit(base, insert_job, &a, sizeof a, done, arg);
}

/* ---- audit log ---- */

static enum jt_status audit_job(struct store_conn *cb, void *arg)
{
	struct conn *c = sq_conn(cb);
	const struct audit_event *e = arg;
	sqlite3_stmt *s = stmt(c, ST_AUDIT_INSERT);
	if (!s)
		return JT_ESTORE;
	sqlite3_bind_int64(s, 1, e->at);
	sqlite3_bind_int64(s, 2, e->actor_id);
	sq_bind_text(s, 3, e->actor);
	sq_bind_text(s, 4, e->action);
	sq_bind_text(s, 5, e->target);
	sq_bind_text(s, 6, e->ip);
	sq_bind_text(s, 7, e->success ? "success" : "failure");
	return sq_exec_done(c, s, "audit insert", NULL);
}

static void audit_done(void *arg, enum jt_status st)
{
	(void)arg;
	if (st != JT_OK)
		log_error("an audit event could not be stored: %s", jt_status_str(st));
}

enum jt_status sq_audit_insert(struct store *base, const struct audit_event *e)
{
	return writer_submit(base, audit_job, e, sizeof *e, audit_done, NULL);
}

static void read_audit(sqlite3_stmt *s, void *out)
{
	struct audit_event *e = out;
	char outcome[16];
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(s, 0);
	e->at = sqlite3_column_int64(s, 1);
	e->actor_id = sqlite3_column_int64(s, 2);
	sq_col_text(s, 3, e->actor, sizeof e->actor);
	sq_col_text(s, 4, e->action, sizeof e->action);
	sq_col_text(s, 5, e->target, sizeof e->target);
	sq_col_text(s, 6, e->ip, sizeof e->ip);
	sq_col_text(s, 7, outcome, sizeof outcome);
	e->success = strcmp(outcome, "success") == 0;
}

enum jt_status sq_audit_list(struct store *base, const struct audit_filter *f,
			     const struct store_page *page, struct audit_event **items, size_t *n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_AUDIT_LIST);
	*items = NULL;
	*n = 0;
	if (s) {
		sqlite3_bind_int64(s, 1, page->before > 0 ? page->before : INT64_MAX);
		sq_bind_text(s, 2, f->actor);
		sq_bind_text(s, 3, f->action);
		sqlite3_bind_int64(s, 4, f->since);
		sqlite3_bind_int64(s, 5, f->until);
		sqlite3_bind_int(s, 6, page->limit);
		st = sq_collect(c, s, sizeof **items, read_audit,
				(void **)items, n, "audit list");
	}
	sq_release(sq, c);
	return st;
}

/* ---- signing keys ---- */

enum jt_status sq_key_insert(struct store *base, const struct signing_key *k)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_KEY_INSERT);
	if (s) {
		sq_bind_text(s, 1, k->kid);
		sq_bind_text(s, 2, k->alg);
		sqlite3_bind_blob(s, 3, k->sealed, (int)k->sealed_len, SQLITE_STATIC);
		sq_bind_text(s, 4, k->public_jwk);
		sqlite3_bind_int64(s, 5, k->created_at);
		st = sq_exec_done(c, s, "key insert", NULL);
	}
	sq_release(sq, c);
	return st;
}

static void read_key(sqlite3_stmt *s, void *out)
{
	struct signing_key *k = out;
	memset(k, 0, sizeof *k);
	sq_col_text(s, 0, k->kid, sizeof k->kid);
	sq_col_text(s, 1, k->alg, sizeof k->alg);
	size_t n = (size_t)sqlite3_column_bytes(s, 2);
	if (n <= sizeof k->sealed) {
		memcpy(k->sealed, sqlite3_column_blob(s, 2), n);
		k->sealed_len = n;
	}
	sq_col_text(s, 3, k->public_jwk, sizeof k->public_jwk);
	k->created_at = sqlite3_column_int64(s, 4);
	k->retired_at = sqlite3_column_int64(s, 5);
	k->unpublish_at = sqlite3_column_int64(s, 6);
}

enum jt_status sq_key_list(struct store *base, int64_t now, struct signing_key **items, size_t *n)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_KEY_LIST);
	*items = NULL;
	*n = 0;
	if (s) {
		sqlite3_bind_int64(s, 1, now);
		st = sq_collect(c, s, sizeof **items, read_key,
				(void **)items, n, "key list");
	}
	sq_release(sq, c);
	return st;
}

enum jt_status sq_key_retire_others(struct store *base, const char *kid, int64_t now,
				    int64_t unpublish_at)
{
	struct sqlite_store *sq = sq_to(base);
	struct conn *c = sq_acquire(sq);
	enum jt_status st = JT_ESTORE;
	sqlite3_stmt *s = stmt(c, ST_KEY_RETIRE);
	if (s) {
		sq_bind_text(s, 1, kid);
		sqlite3_bind_int64(s, 2, now);
		sqlite3_bind_int64(s, 3, unpublish_at);
		st = sq_exec_done(c, s, "key retire", NULL);
	}
	sq_release(sq, c);
	return st;
}
