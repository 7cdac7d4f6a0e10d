/* SPDX-License-Identifier: MIT */
/* Opening and closing a store: the driver chosen by the location string,
 * its statements, its writer; and what every driver answers alike. */
#include "store/query.h"
#include "store/store_int.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

enum jt_status store_open(const char *location, int threads, struct store **out)
{
	struct store *st = NULL;
	enum jt_status s;
	*out = NULL;
	if (!location || !*location)
		return JT_EINVAL;
	if (store_is_postgres(location))
		s = store_postgres_open(location, threads, &st);
	else
		s = store_sqlite_open(location, threads, &st);
	if (s == JT_OK)
		s = query_build(st);
	if (s == JT_OK)
		s = writer_start(st);
	if (s != JT_OK) {
		store_close(st);
		return s;
	}
	*out = st;
	return JT_OK;
}

bool store_is_postgres(const char *location)
{
	/* A URI, or a libpq keyword string such as "host=... dbname=...". */
	return strncmp(location, "postgres://", 11) == 0 ||
	       strncmp(location, "postgresql://", 13) == 0 ||
	       strstr(location, "dbname=") != NULL || strstr(location, "host=") != NULL;
}

void store_location_redacted(const char *location, char *out, size_t out_len)
{
	const char *scheme = strstr(location, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	const char *pw = strstr(location, "password=");

	if (!store_is_postgres(location)) {
		snprintf(out, out_len, "%s", location);
	} else if (at && colon && colon < at) {
		/* postgres://user:SECRET@host/db */
		snprintf(out, out_len, "%.*s:***%s", (int)(colon - location), location, at);
	} else if (pw) {
		/* password=SECRET in a keyword string or a URI's query */
		const char *end = pw + 9 + strcspn(pw + 9, " &");
		snprintf(out, out_len, "%.*s***%s", (int)(pw + 9 - location), location, end);
	} else {
		snprintf(out, out_len, "%s", location);
	}
}

void store_close(struct store *st)
{
	if (!st)
		return;
	writer_stop(st); /* finishes every queued write first */
	query_free(st);
	st->d->close(st);
}

void store_list_free(void *items)
{
	jt_free(items);
}

enum jt_status store_migrate(struct store *st)
{
	return st->d->migrate(st);
}

enum jt_status store_schema_version(struct store *st, int *version, int *known)
{
	return st->d->schema_version(st, version, known);
}

enum jt_status store_ping(struct store *st)
{
	int64_t roles;
	return store_get(st, Q_PING, NO_ARGS, &roles);
}

enum store_health store_health(struct store *st)
{
	if (store_ping(st) != JT_OK)
		return STORE_UNAVAILABLE;
	return st->d->health ? st->d->health(st) : STORE_HEALTHY;
}

enum jt_status store_app_insert(struct store *st, struct app *a)
{
	return st->ops->app_insert(st, a);
}
enum jt_status store_app_get(struct store *st, int64_t id, struct app *out)
{
	return st->ops->app_get(st, id, out);
}
enum jt_status store_app_find_by_client_id(struct store *st, const char *client_id,
					   struct app *out)
{
	return st->ops->app_find_by_client_id(st, client_id, out);
}
enum jt_status store_app_list(struct store *st, const struct store_page *page, struct app **items,
			      size_t *n)
{
	return st->ops->app_list(st, page, items, n);
}
enum jt_status store_app_update(struct store *st, const struct app *a)
{
	return st->ops->app_update(st, a);
}
enum jt_status store_app_delete(struct store *st, int64_t id)
{
	return st->ops->app_delete(st, id);
}
enum jt_status store_app_set_secret(struct store *st, int64_t id,
				    const uint8_t hash[STORE_HASH_LEN], int64_t now)
{
	return st->ops->app_set_secret(st, id, hash, now);
}

enum jt_status store_code_insert(struct store *st, const struct auth_code *code)
{
	return st->ops->code_insert(st, code);
}
enum jt_status store_code_get(struct store *st, const uint8_t hash[STORE_HASH_LEN],
			      struct auth_code *out)
{
	return st->ops->code_get(st, hash, out);
}
enum jt_status store_code_redeem(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				 int64_t now, struct oauth_token *tokens, size_t n)
{
	return st->ops->code_redeem(st, hash, now, tokens, n);
}

enum jt_status store_oauth_insert(struct store *st, struct oauth_token *tokens, size_t n)
{
	return st->ops->oauth_insert(st, tokens, n);
}
enum jt_status store_oauth_find_by_hash(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					struct oauth_token *out)
{
	return st->ops->oauth_find_by_hash(st, hash, out);
}
enum jt_status store_oauth_revoke(struct store *st, int64_t id, int64_t now)
{
	return st->ops->oauth_revoke(st, id, now);
}
enum jt_status store_oauth_revoke_family(struct store *st, int64_t family_id, int64_t now)
{
	return st->ops->oauth_revoke_family(st, family_id, now);
}
enum jt_status store_oauth_refresh(struct store *st, int64_t old_id, bool keep_old, int64_t now,
				   struct oauth_token *tokens, size_t n)
{
	return st->ops->oauth_refresh(st, old_id, keep_old, now, tokens, n);
}

enum jt_status store_session_insert(struct store *st, const struct session *s)
{
	return st->ops->session_insert(st, s);
}
enum jt_status store_session_find(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				  struct session *out)
{
	return st->ops->session_find(st, hash, out);
}
enum jt_status store_session_delete(struct store *st, const uint8_t hash[STORE_HASH_LEN])
{
	return st->ops->session_delete(st, hash);
}
enum jt_status store_session_delete_user(struct store *st, int64_t user_id,
					 const uint8_t keep[STORE_HASH_LEN])
{
	static const uint8_t none[STORE_HASH_LEN]; /* no session has this hash */
	return st->ops->session_delete_user(st, user_id, keep ? keep : none);
}

enum jt_status store_oauth_insert_async(struct store *st, struct oauth_token *tokens, size_t n,
					store_done done, void *arg)
{
	return st->ops->oauth_insert_async(st, tokens, n, done, arg);
}
enum jt_status store_code_redeem_async(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				       int64_t now, struct oauth_token *tokens, size_t n,
				       store_done done, void *arg)
{
	return st->ops->code_redeem_async(st, hash, now, tokens, n, done, arg);
}

enum jt_status store_audit_insert(struct store *st, const struct audit_event *e)
{
	return st->ops->audit_insert(st, e);
}
enum jt_status store_audit_list(struct store *st, const struct audit_filter *f,
				const struct store_page *page, struct audit_event **items,
				size_t *n)
{
	return st->ops->audit_list(st, f, page, items, n);
}

enum jt_status store_key_insert(struct store *st, const struct signing_key *k)
{
	return st->ops->key_insert(st, k);
}
enum jt_status store_key_list(struct store *st, int64_t now, struct signing_key **items,
			      size_t *n)
{
	return st->ops->key_list(st, now, items, n);
}
enum jt_status store_key_retire_others(struct store *st, const char *kid, int64_t now,
				       int64_t unpublish_at)
{
	return st->ops->key_retire_others(st, kid, now, unpublish_at);
}
