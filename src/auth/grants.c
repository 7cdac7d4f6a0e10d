/* SPDX-License-Identifier: MIT */
/* The apps a user authorized: their unrevoked tokens gathered by app and
 * space, for GET /v1/users/me/authorizations and the console alike. */
#include "auth/auth.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

static bool live(const struct oauth_token *t, int64_t now)
{
	return !t->revoked_at && !t->rotated_at && t->expires_at > now;
}

/* Names the grant's app and space; a space deleted meanwhile has none. */
static enum jt_status name(struct store *st, struct auth_grant *g)
{
	struct app app;
	struct space space;
	enum jt_status s = store_app_get(st, g->app_id, &app);
	if (s != JT_OK)
		return s;
	snprintf(g->app_name, sizeof g->app_name, "%s", app.name);
	snprintf(g->client_id, sizeof g->client_id, "%s", app.client_id);
	if (g->space_id && store_space_get(st, g->space_id, &space) == JT_OK)
		snprintf(g->space_name, sizeof g->space_name, "%s", space.name);
	return JT_OK;
}

enum jt_status auth_grants_of_user(struct store *st, int64_t user_id, int64_t now,
				   struct auth_grant **out, size_t *n)
{
	struct oauth_token *tokens = NULL;
	size_t count = 0, ng = 0;
	*out = NULL;
	*n = 0;
	enum jt_status s = store_oauth_list_user_grants(st, user_id, &tokens, &count);
	if (s != JT_OK)
		return s;
	struct auth_grant *grants = jt_calloc(count ? count : 1, sizeof *grants);
	if (!grants) {
		store_list_free(tokens);
		return JT_ENOMEM;
	}
	/* The tokens come ordered by app and space: one run per grant. */
	for (size_t i = 0; i < count; i++) {
		const struct oauth_token *t = &tokens[i];
		struct auth_grant *g = ng ? &grants[ng - 1] : NULL;
		if (!g || g->app_id != t->app_id || g->space_id != t->space_id) {
			g = &grants[ng++];
			g->app_id = t->app_id;
			g->space_id = t->space_id;
			g->first_at = t->created_at;
		}
		if (t->created_at < g->first_at)
			g->first_at = t->created_at;
		int64_t used = t->last_used_at > t->created_at ? t->last_used_at : t->created_at;
		if (used > g->last_used_at)
			g->last_used_at = used;
		if (live(t, now)) {
			uint64_t scopes;
			if (scope_parse(t->scopes, strlen(t->scopes), &scopes) == JT_OK)
				g->scopes |= scopes;
			g->live_tokens++;
		}
	}
	store_list_free(tokens);
	size_t kept = 0;
	for (size_t i = 0; s == JT_OK && i < ng; i++) {
		if (!grants[i].live_tokens)
			continue; /* every token expired or rotated: nothing to revoke */
		grants[kept] = grants[i];
		s = name(st, &grants[kept]);
		if (s == JT_ENOTFOUND)
			s = JT_OK; /* an app deleted meanwhile, and its tokens with it */
		else if (s == JT_OK)
			kept++;
	}
	if (s != JT_OK) {
		jt_free(grants);
		return s;
	}
	*out = grants;
	*n = kept;
	return JT_OK;
}
