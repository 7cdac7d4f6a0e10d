/* SPDX-License-Identifier: MIT */
/* The store's verbs for OAuth: apps, authorization codes and the tokens
 * issued from them. Every write goes through the writer; a code's use and
 * the tokens it yields, and a refresh token's rotation and its successors,
 * are each one job: one transaction. */
#include "store/query.h"
#include "util/mem.h"

#include <string.h>

enum jt_status store_app_insert(struct store *st, struct app *a)
{
	return store_insert(st, Q_APP_INSERT, a, &a->id);
}

enum jt_status store_app_get(struct store *st, int64_t id, struct app *out)
{
	return store_get(st, Q_APP_GET, ARGS(V_INT(id)), out);
}

enum jt_status store_app_find_by_client_id(struct store *st, const char *client_id, struct app *out)
{
	return store_get(st, Q_APP_BY_CLIENT_ID, ARGS(V_TEXT(client_id)), out);
}

enum jt_status store_app_list(struct store *st, const struct store_page *page, struct app **items,
			      size_t *n)
{
	void *list;
	enum jt_status s = store_list(st, Q_APP_LIST,
				      ARGS(V_INT(page_before(page)), V_INT(page->limit)), &list, n);
	*items = list;
	return s;
}

enum jt_status store_app_update(struct store *st, const struct app *a)
{
	return store_change(
		st, Q_APP_UPDATE,
		ARGS(V_INT(a->id), V_TEXT(a->name), V_TEXT(a->redirect_uris), V_TEXT(a->grants),
		     V_TEXT(a->scopes), V_BOOL(a->public_client), V_INT(a->access_ttl),
		     V_INT(a->refresh_ttl), V_BOOL(a->rotate_refresh), V_TEXT(a->token_format),
		     V_BOOL(a->allow_pkce_plain), V_BOOL(a->introspect), V_INT(a->refresh_grace)),
		true);
}

enum jt_status store_app_delete(struct store *st, int64_t id)
{
	return store_change(st, Q_APP_DELETE, ARGS(V_INT(id)), true);
}

enum jt_status store_app_set_secret(struct store *st, int64_t id,
				    const uint8_t hash[STORE_HASH_LEN], int64_t now)
{
	return store_change(st, Q_APP_SET_SECRET, ARGS(V_INT(id), V_HASH(hash), V_INT(now)), true);
}

enum jt_status store_code_insert(struct store *st, const struct auth_code *code)
{
	return store_insert(st, Q_CODE_INSERT, code, NULL);
}

enum jt_status store_code_get(struct store *st, const uint8_t hash[STORE_HASH_LEN],
			      struct auth_code *out)
{
	return store_get(st, Q_CODE_GET, ARGS(V_HASH(hash)), out);
}

static enum jt_status insert_tokens(struct store_conn *c, struct oauth_token *tokens, size_t n)
{
	enum jt_status s = JT_OK;
	for (size_t i = 0; s == JT_OK && i < n; i++)
		s = db_insert(c, Q_TOKEN_INSERT, &tokens[i], &tokens[i].id);
	return s;
}

/* A redemption. The writer rolls a failed job back to its savepoint, so a
 * replay's revocation leaves the job successful: the replay travels in
 * *replayed and becomes JT_ECONFLICT once committed. */
struct redeem {
	uint8_t hash[STORE_HASH_LEN];
	int64_t now;
	struct oauth_token *tokens;
	size_t n;
	bool *replayed;
};

static enum jt_status redeem_job(struct store_conn *c, void *arg)
{
	struct redeem *r = arg;
	struct auth_code code;
	int64_t changes = 0;
	*r->replayed = false; /* the job may run twice (writer.c) */
	enum jt_status s = db_exec(c, Q_CODE_USE, ARGS(V_HASH(r->hash), V_INT(r->now)), &changes);
	if (s != JT_OK)
		return s;
	if (changes == 1)
		return insert_tokens(c, r->tokens, r->n);
	s = db_get(c, Q_CODE_GET, ARGS(V_HASH(r->hash)), &code);
	if (s != JT_OK)
		return s; /* gone: its app was deleted */
	/* Used: whoever used it committed its tokens before this statement
	 * could see the code used (PostgreSQL: the row lock), so they die. */
	*r->replayed = true;
	return db_exec(c, Q_TOKEN_REVOKE_FAMILY, ARGS(V_INT(code.family_id), V_INT(r->now)), NULL);
}

enum jt_status store_code_redeem(struct store *st, const uint8_t hash[STORE_HASH_LEN], int64_t now,
				 struct oauth_token *tokens, size_t n)
{
	bool replayed = false;
	struct redeem r = {.now = now, .tokens = tokens, .n = n, .replayed = &replayed};
	memcpy(r.hash, hash, STORE_HASH_LEN);
	enum jt_status s = writer_run(st, redeem_job, &r, sizeof r);
	return s == JT_OK && replayed ? JT_ECONFLICT : s;
}

/* The caller's callback, and what the job found, until the commit. */
struct redeem_call {
	store_done done;
	void *arg;
	bool replayed;
};

static void redeem_done(void *arg, enum jt_status s)
{
	struct redeem_call call = *(struct redeem_call *)arg;
	jt_free(arg);
	call.done(call.arg, s == JT_OK && call.replayed ? JT_ECONFLICT : s);
}

enum jt_status store_code_redeem_async(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				       int64_t now, struct oauth_token *tokens, size_t n,
				       store_done done, void *arg)
{
	struct redeem_call *call = jt_calloc(1, sizeof *call);
	if (!call)
		return JT_ENOMEM;
	call->done = done;
	call->arg = arg;
	struct redeem r = {.now = now, .tokens = tokens, .n = n, .replayed = &call->replayed};
	memcpy(r.hash, hash, STORE_HASH_LEN);
	enum jt_status s = writer_submit(st, redeem_job, &r, sizeof r, redeem_done, call);
	if (s != JT_OK)
		jt_free(call);
	return s;
}

/* Tokens issued, after a refresh token's rotation when rotate_id is set,
 * and the successor kept for it when there is one. */
struct issue {
	int64_t rotate_id;
	int64_t now;
	struct oauth_token *tokens;
	size_t n;
	const struct refresh_successor *successor;
};

static enum jt_status issue_job(struct store_conn *c, void *arg)
{
	struct issue *is = arg;
	int64_t changes = 0;
	enum jt_status s = JT_OK;
	if (is->rotate_id) {
		s = db_exec(c, Q_TOKEN_ROTATE, ARGS(V_INT(is->rotate_id), V_INT(is->now)),
			    &changes);
		if (s == JT_OK && changes == 0)
			s = JT_ECONFLICT; /* rotated or revoked already: a reuse */
	}
	if (s == JT_OK)
		s = insert_tokens(c, is->tokens, is->n);
	if (s == JT_OK && is->rotate_id && is->successor) {
		s = db_exec(c, Q_SUCCESSOR_SWEEP, ARGS(V_INT(is->now)), NULL);
		if (s == JT_OK)
			s = db_insert(c, Q_SUCCESSOR_INSERT, is->successor, NULL);
	}
	return s;
}

enum jt_status store_oauth_refresh(struct store *st, int64_t old_id, bool keep_old, int64_t now,
				   struct oauth_token *tokens, size_t n,
				   const struct refresh_successor *successor)
{
	struct issue is = {.rotate_id = keep_old ? 0 : old_id,
			   .now = now,
			   .tokens = tokens,
			   .n = n,
			   .successor = successor};
	return writer_run(st, issue_job, &is, sizeof is);
}

enum jt_status store_refresh_successor_get(struct store *st, int64_t token_id, int64_t now,
					   struct refresh_successor *out)
{
	return store_get(st, Q_SUCCESSOR_GET, ARGS(V_INT(token_id), V_INT(now)), out);
}

enum jt_status store_refresh_successor_delete(struct store *st, int64_t token_id)
{
	return store_change(st, Q_SUCCESSOR_DELETE, ARGS(V_INT(token_id)), false);
}

struct sweep {
	int64_t now;
	int64_t *n;
};

static enum jt_status sweep_job(struct store_conn *c, void *arg)
{
	struct sweep *w = arg;
	int64_t successors = 0, devices = 0;
	enum jt_status s = db_exec(c, Q_SUCCESSOR_SWEEP, ARGS(V_INT(w->now)), &successors);
	if (s == JT_OK)
		s = db_exec(c, Q_DEVICE_SWEEP, ARGS(V_INT(w->now - 86400)), &devices);
	*w->n = successors + devices;
	return s;
}

enum jt_status store_sweep_ended(struct store *st, int64_t now)
{
	int64_t n = 0;
	struct sweep w = {.now = now, .n = &n};
	enum jt_status s = JT_OK;
	for (int batch = 0; s == JT_OK && batch < 100; batch++) {
		s = writer_run(st, sweep_job, &w, sizeof w);
		if (n == 0)
			break;
	}
	return s;
}

enum jt_status store_oauth_insert(struct store *st, struct oauth_token *tokens, size_t n)
{
	struct issue is = {.tokens = tokens, .n = n};
	return writer_run(st, issue_job, &is, sizeof is);
}

enum jt_status store_oauth_insert_async(struct store *st, struct oauth_token *tokens, size_t n,
					store_done done, void *arg)
{
	struct issue is = {.tokens = tokens, .n = n};
	return writer_submit(st, issue_job, &is, sizeof is, done, arg);
}

enum jt_status store_oauth_find_by_hash(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					struct oauth_token *out)
{
	return store_get(st, Q_TOKEN_BY_HASH, ARGS(V_HASH(hash)), out);
}

enum jt_status store_oauth_find_by_jti(struct store *st, const char *jti, struct oauth_token *out)
{
	return store_get(st, Q_TOKEN_BY_JTI, ARGS(V_TEXT(jti)), out);
}

enum jt_status store_oauth_revoke(struct store *st, int64_t id, int64_t now)
{
	return store_change(st, Q_TOKEN_REVOKE, ARGS(V_INT(id), V_INT(now)), false);
}

enum jt_status store_oauth_revoke_family(struct store *st, int64_t family_id, int64_t now)
{
	return store_change(st, Q_TOKEN_REVOKE_FAMILY, ARGS(V_INT(family_id), V_INT(now)), false);
}
