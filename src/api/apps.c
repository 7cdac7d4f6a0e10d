/* SPDX-License-Identifier: MIT */
/* OAuth apps: /v1/apps, for instance admins (scope manage_apps). The
 * client secret appears only in the responses of create and of
 * POST /v1/apps/{id}/secret. Registering an app, widening one and a new
 * secret hand the app's scopes on: the caller must be able to
 * (authority_may_register_app). */
#include "api/api.h"
#include "app/app.h"
#include "crypto/crypto.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* Reads an integer member within [min, max] when present. */
static bool input_ttl(struct http_req *req, const cJSON *o, const char *key, int64_t max,
		      int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
	    v->valuedouble < 0 || v->valuedouble > (double)max) {
		http_reply_fail(req, JT_EINVAL, "\"%s\" must be an integer from 0 to %lld.", key,
				(long long)max);
		return false;
	}
	*out = (int64_t)v->valuedouble;
	return true;
}

/* Applies the members of body to a: create (all) or update (those given). */
static bool read_app(struct http_req *req, const cJSON *body, struct app *a)
{
	bool present, pub = a->public_client, rotate = a->rotate_refresh;
	bool plain = a->allow_pkce_plain, introspect = a->introspect;
	uint64_t scopes;
	char why[256];

	if (!input_string(req, body, "name", a->name, sizeof a->name, &present) ||
	    !input_bool(req, body, "public", &pub, &present) ||
	    !input_bool(req, body, "rotate_refresh", &rotate, &present) ||
	    !input_bool(req, body, "allow_pkce_plain", &plain, &present) ||
	    !input_bool(req, body, "introspect", &introspect, &present) ||
	    !input_ttl(req, body, "access_ttl", LIMIT_ACCESS_TTL_MAX, &a->access_ttl) ||
	    !input_ttl(req, body, "refresh_ttl", LIMIT_REFRESH_TTL_MAX, &a->refresh_ttl) ||
	    !input_ttl(req, body, "refresh_grace", LIMIT_REFRESH_GRACE_MAX, &a->refresh_grace) ||
	    !input_string(req, body, "token_format", a->token_format, sizeof a->token_format,
			  &present) ||
	    !input_scopes(req, body, "scopes", &scopes, &present))
		return false;
	a->public_client = pub;
	a->rotate_refresh = rotate;
	a->allow_pkce_plain = plain;
	a->introspect = introspect;
	if (present)
		scope_format(scopes, a->scopes, sizeof a->scopes);

	const cJSON *uris = cJSON_GetObjectItemCaseSensitive(body, "redirect_uris");
	if (uris && !cJSON_IsNull(uris)) {
		const cJSON *u;
		if (!cJSON_IsArray(uris)) {
			http_reply_fail(req, JT_EINVAL, "\"redirect_uris\" must be a list.");
			return false;
		}
		a->redirect_uris[0] = '\0';
		cJSON_ArrayForEach(u, uris) {
			if (!cJSON_IsString(u) || strchr(u->valuestring, '\n') ||
			    app_add_redirect(a, u->valuestring) != JT_OK) {
				http_reply_fail(req, JT_EINVAL,
						"\"redirect_uris\": at most %d strings of at most "
						"%d bytes.",
						LIMIT_REDIRECT_URIS, LIMIT_URI_BYTES);
				return false;
			}
		}
	}
	const cJSON *grants = cJSON_GetObjectItemCaseSensitive(body, "grants");
	if (grants && !cJSON_IsNull(grants)) {
		unsigned bits = 0, bit;
		const cJSON *g;
		bool ok = cJSON_IsString(grants) &&
			  grant_type_parse(grants->valuestring, &bits) == JT_OK;
		if (cJSON_IsArray(grants)) {
			ok = true;
			cJSON_ArrayForEach(g, grants) {
				ok = ok && cJSON_IsString(g) &&
				     grant_type_parse(g->valuestring, &bit) == JT_OK;
				if (ok)
					bits |= bit;
			}
		}
		if (!ok) {
			http_reply_fail(req, JT_EINVAL,
					"\"grants\": a list of authorization_code, refresh_token, "
					"client_credentials.");
			return false;
		}
		grant_type_format(bits, a->grants, sizeof a->grants);
	}
	if (app_validate(a, why, sizeof why) != JT_OK) {
		http_reply_fail(req, JT_EINVAL, "%s", why);
		return false;
	}
	return true;
}

static void reply_with_secret(struct http_req *req, int status, const struct app *a,
			      char secret[TOKEN_LEN + 1])
{
	http_secret(req);
	cJSON *o = render_app(a);
	if (o && secret[0])
		cJSON_AddStringToObject(o, "client_secret", secret);
	crypto_wipe(secret, TOKEN_LEN + 1);
	http_reply_json(req, status, o);
}

/* The scopes an app stands for; SCOPE_ALL when unreadable, so that only a
 * caller holding everything hands it on. */
static uint64_t scopes_of(const struct app *a)
{
	uint64_t scopes;
	if (scope_parse(a->scopes, strlen(a->scopes), &scopes) != JT_OK)
		return SCOPE_ALL;
	return scopes;
}

/* What a change from old to now hands on anew: the scopes added, or all of
 * them when the app gains client_credentials and so starts acting with
 * them itself. */
static uint64_t widened_by(const struct app *old, const struct app *now)
{
	bool gains_client = !(app_grant_types(old) & GRANT_CLIENT_CREDENTIALS) &&
			    (app_grant_types(now) & GRANT_CLIENT_CREDENTIALS);
	return gains_client ? scopes_of(now) : scopes_of(now) & ~scopes_of(old);
}

/* Replies 403 unless the caller may hand scopes on to an app; false when
 * it may. */
static bool refused(struct http_req *req, const struct principal *p, uint64_t scopes)
{
	struct authority by;
	uint64_t missing;
	authority_of_token(p, &by);
	enum authority_refusal r = authority_may_register_app(&by, scopes, &missing);
	if (r == AUTHORITY_NOT_PERSONAL)
		http_reply_fail(req, JT_EDENIED,
				"Apps are registered, widened and given new secrets by a person, "
				"with a personal access token or in the console, not with an "
				"OAuth token.");
	else if (r != AUTHORITY_OK)
		bearer_reply_insufficient_scope(req, missing);
	return r != AUTHORITY_OK;
}

static void create(struct http_req *req, const struct principal *p)
{
	struct jeton *jt = jeton_of(req);
	struct app a;
	char secret[TOKEN_LEN + 1];
	cJSON *body = input_json_object(req);
	if (!body)
		return;
	app_defaults(&a);
	a.owner_id = p->user.id;
	/* Default grants follow from whether the app redirects users. */
	const cJSON *uris = cJSON_GetObjectItemCaseSensitive(body, "redirect_uris");
	snprintf(a.grants, sizeof a.grants, "%s",
		 cJSON_GetArraySize(uris) > 0 ? "authorization_code refresh_token"
					      : "client_credentials");
	if (read_app(req, body, &a) && !refused(req, p, scopes_of(&a))) {
		enum jt_status st = app_register(jt->store, &a, secret);
		if (st != JT_OK) {
			http_reply_status(req, st, "app");
		} else {
			char location[64];
			snprintf(location, sizeof location, "/v1/apps/%lld", (long long)a.id);
			http_header_add(req, "Location", location);
			api_audit(req, p, "app.created", true, "app %lld (%s) %s", (long long)a.id,
				  a.name, a.client_id);
			reply_with_secret(req, 201, &a, secret);
		}
	}
	cJSON_Delete(body);
}

static void list(struct http_req *req)
{
	struct store_page page;
	struct app *items = NULL;
	size_t n = 0;
	if (!input_page(req, &page))
		return;
	enum jt_status st = store_app_list(jeton_of(req)->store, &page, &items, &n);
	if (st != JT_OK) {
		http_reply_status(req, st, "app");
		return;
	}
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, render_app(&items[i]));
	cJSON *o = render_page(arr, &page, n, n ? items[n - 1].id : 0);
	store_list_free(items);
	http_reply_json(req, 200, o);
}

void api_apps_collection(struct http_req *req)
{
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_APPS);
	if (!p)
		return;
	if (req->method == HTTP_POST)
		create(req, p);
	else
		list(req);
	auth_release(p);
}

/* Loads the app of the route, replying 404 when absent. */
static bool route_app(struct http_req *req, struct app *a)
{
	int64_t id;
	if (!input_id(req, 0, &id))
		return false;
	enum jt_status st = store_app_get(jeton_of(req)->store, id, a);
	if (st != JT_OK)
		http_reply_status(req, st, "app");
	return st == JT_OK;
}

void api_app_item(struct http_req *req)
{
	struct jeton *jt = jeton_of(req);
	struct app a;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_APPS);
	if (!p)
		return;
	if (!route_app(req, &a))
		goto out;
	if (req->method == HTTP_DELETE) {
		enum jt_status st = store_app_delete(jt->store, a.id);
		if (st == JT_OK) {
			auth_invalidate(jt->auth);
			api_audit(req, p, "app.deleted", true, "app %lld (%s) %s", (long long)a.id,
				  a.name, a.client_id);
		}
		http_reply_status(req, st, "app");
	} else if (req->method == HTTP_PATCH) {
		cJSON *body = input_json_object(req);
		struct app old = a;
		if (body && read_app(req, body, &a)) {
			enum jt_status st = JT_OK;
			if (a.public_client != old.public_client) {
				http_reply_fail(
					req, JT_EINVAL,
					"An app cannot change between public and confidential.");
				st = JT_EINVAL;
			}
			uint64_t widened = widened_by(&old, &a);
			if (st == JT_OK && widened && refused(req, p, widened))
				st = JT_EINVAL;
			if (st == JT_OK)
				st = store_app_update(jt->store, &a);
			if (st == JT_OK) {
				auth_invalidate(jt->auth);
				api_audit(req, p, "app.updated", true, "app %lld (%s) %s",
					  (long long)a.id, a.name, a.client_id);
				http_reply_json(req, 200, render_app(&a));
			} else if (!req->status) {
				http_reply_status(req, st, "app");
			}
		}
		cJSON_Delete(body);
	} else {
		http_reply_json(req, 200, render_app(&a));
	}
out:
	auth_release(p);
}

void api_app_secret(struct http_req *req)
{
	struct app a;
	char secret[TOKEN_LEN + 1];
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_APPS);
	if (!p)
		return;
	if (route_app(req, &a) && !refused(req, p, scopes_of(&a))) {
		enum jt_status st = app_new_secret(jeton_of(req)->store, &a, secret);
		if (st == JT_ECONFLICT)
			http_reply_fail(req, JT_ECONFLICT, "A public app has no secret.");
		else if (st != JT_OK)
			http_reply_status(req, st, "app");
		else {
			auth_invalidate(jeton_of(req)->auth); /* the old secret stops at once */
			api_audit(req, p, "app.secret_rotated", true, "app %lld (%s) %s",
				  (long long)a.id, a.name, a.client_id);
			reply_with_secret(req, 200, &a, secret);
		}
	}
	auth_release(p);
}
