/* SPDX-License-Identifier: MIT */
/* /oauth/authorize (RFC 6749 §4.1.1-4.1.2, RFC 7636, RFC 9207): checks the
 * request, sends the browser to log in if needed, shows the consent page,
 * and on "allow" redirects back with a single-use code bound to the client,
 * redirect URI, user, space, scopes and PKCE challenge.
 *
 * An unknown client or an unregistered redirect URI gets an error page and
 * never a redirect (§4.1.2.1); every other error goes back to the client. */
#include "oauth/oauth.h"
#include "server/server.h"
#include "audit/audit.h"
#include "web/web.h"
#include "crypto/crypto.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* A checked authorization request. */
struct authz {
	struct app app;
	char client_id[LIMIT_CLIENT_ID_BYTES + 1];
	char redirect_uri[LIMIT_URI_BYTES + 1];
	bool redirect_given;
	char state[LIMIT_STATE_BYTES + 1];
	bool has_state;
	uint64_t scopes;
	char challenge[LIMIT_PKCE_MAX + 1];
	char method[8];
};

/* Where a failed check leaves the request. */
enum check {
	CHECK_OK,
	CHECK_PAGE,     /* reply is an error page: never redirect */
	CHECK_REDIRECT, /* redirect the error to the client */
};

/* Reads one parameter from the query (GET) or the form (POST). Returns
 * false when it repeats or is longer than out_len - 1. */
static bool param(struct http_req *req, const char *key, char *out, size_t out_len, bool *present)
{
	out[0] = '\0';
	*present = false;
	if (req->method == HTTP_POST) {
		enum jt_status st = http_form_get(req->body, req->body_len, key, out, out_len);
		*present = st == JT_OK;
		return st == JT_OK || st == JT_ENOTFOUND;
	}
	const char *v = http_query(req, key);
	if (!v)
		return true;
	if (http_query_count(req, key) > 1 || strlen(v) >= out_len)
		return false;
	memcpy(out, v, strlen(v) + 1);
	*present = true;
	return true;
}

/* Redirects to the client with an error (RFC 6749 §4.1.2.1). */
static void redirect_error(struct http_req *req, const struct authz *a, const char *error,
			   const char *description)
{
	char url[LIMIT_URI_BYTES + LIMIT_STATE_BYTES * 3 + 1024];
	snprintf(url, sizeof url, "%s", a->redirect_uri);
	bool ok = http_url_add(url, sizeof url, "error", error) &&
		  http_url_add(url, sizeof url, "error_description", description) &&
		  (!a->has_state || http_url_add(url, sizeof url, "state", a->state)) &&
		  http_url_add(url, sizeof url, "iss", jeton_of(req)->issuer);
	if (!ok) {
		page_fail(req, JT_EINVAL, "The redirect address is too long.", NULL);
		return;
	}
	http_redirect(req, 302, url);
}

static enum check check_request(struct http_req *req, struct authz *a)
{
	struct jeton *jt = jeton_of(req);
	char response_type[32], scope[LIMIT_SCOPES_BYTES + 1];
	bool has_client, has_type, has_scope, has_challenge, has_method;

	memset(a, 0, sizeof *a);
	if (!param(req, "client_id", a->client_id, sizeof a->client_id, &has_client) ||
	    !has_client) {
		page_fail(req, JT_EINVAL, "The request names no valid client_id.", NULL);
		return CHECK_PAGE;
	}
	enum jt_status st = store_app_find_by_client_id(jt->store, a->client_id, &a->app);
	if (st != JT_OK) {
		page_fail(req, st == JT_ENOTFOUND ? JT_EINVAL : st,
			  st == JT_ENOTFOUND ? "No application has this client_id." : NULL, NULL);
		return CHECK_PAGE;
	}
	if (!param(req, "redirect_uri", a->redirect_uri, sizeof a->redirect_uri,
		   &a->redirect_given)) {
		page_fail(req, JT_EINVAL, "The redirect_uri is too long or repeated.", NULL);
		return CHECK_PAGE;
	}
	if (a->redirect_given
		    ? !redirect_uri_registered(&a->app, a->redirect_uri)
		    : !redirect_uri_single(&a->app, a->redirect_uri, sizeof a->redirect_uri)) {
		page_fail(req, JT_EINVAL,
			  a->redirect_given
				  ? "The redirect_uri is not registered for this application."
				  : "The request must name one of the application's redirect URIs.",
			  NULL);
		return CHECK_PAGE;
	}
	if (!param(req, "state", a->state, sizeof a->state, &a->has_state)) {
		page_fail(req, JT_EINVAL, "The state is too long or repeated.", NULL);
		return CHECK_PAGE;
	}
	/* From here on, errors go back to the client. */
	if (!param(req, "response_type", response_type, sizeof response_type, &has_type) ||
	    !param(req, "scope", scope, sizeof scope, &has_scope) ||
	    !param(req, "code_challenge", a->challenge, sizeof a->challenge, &has_challenge) ||
	    !param(req, "code_challenge_method", a->method, sizeof a->method, &has_method)) {
		redirect_error(req, a, "invalid_request", "A parameter is repeated or too long.");
		return CHECK_REDIRECT;
	}
	if (!has_type || strcmp(response_type, "code") != 0) {
		redirect_error(req, a, "unsupported_response_type",
			       "Only response_type=code is supported.");
		return CHECK_REDIRECT;
	}
	if (!(app_grant_types(&a->app) & GRANT_AUTHORIZATION_CODE)) {
		redirect_error(req, a, "unauthorized_client",
			       "This client may not use the authorization code grant.");
		return CHECK_REDIRECT;
	}
	uint64_t allowed = 0;
	scope_parse(a->app.scopes, strlen(a->app.scopes), &allowed);
	a->scopes = allowed;
	if (has_scope && (scope_parse(scope, strlen(scope), &a->scopes) != JT_OK ||
			  (a->scopes & ~allowed) || !a->scopes)) {
		redirect_error(
			req, a, "invalid_scope",
			"The scope asked is unknown or beyond what this client may ask for.");
		return CHECK_REDIRECT;
	}
	if (has_method && !has_challenge) {
		redirect_error(req, a, "invalid_request",
			       "code_challenge_method without code_challenge.");
		return CHECK_REDIRECT;
	}
	/* RFC 7636 reads an absent method as plain; RFC 9700 §2.1.1 wants
	 * S256, so plain is for the apps registered to use it. */
	if (has_challenge && !has_method) {
		if (!a->app.allow_pkce_plain) {
			redirect_error(
				req, a, "invalid_request",
				"code_challenge_method is required: this client must use S256.");
			return CHECK_REDIRECT;
		}
		memcpy(a->method, "plain", sizeof "plain");
	}
	if (has_challenge && !pkce_challenge_valid(a->challenge, a->method)) {
		redirect_error(
			req, a, "invalid_request",
			"code_challenge must be 43-128 characters and the method S256 or plain.");
		return CHECK_REDIRECT;
	}
	if (has_challenge && strcmp(a->method, "plain") == 0 && !a->app.allow_pkce_plain) {
		redirect_error(req, a, "invalid_request",
			       "PKCE plain is not allowed for this client: use "
			       "code_challenge_method=S256.");
		return CHECK_REDIRECT;
	}
	if (a->app.public_client && !has_challenge) {
		redirect_error(req, a, "invalid_request",
			       "This client must use PKCE (code_challenge).");
		return CHECK_REDIRECT;
	}
	return CHECK_OK;
}

/* The request again, canonical, as a query string for the login's next. */
static bool canonical_url(const struct authz *a, char *out, size_t out_len)
{
	char scope[LIMIT_SCOPES_BYTES + 1];
	scope_format(a->scopes, scope, sizeof scope);
	snprintf(out, out_len, "/oauth/authorize");
	return http_url_add(out, out_len, "client_id", a->client_id) &&
	       http_url_add(out, out_len, "response_type", "code") &&
	       (!a->redirect_given ||
		http_url_add(out, out_len, "redirect_uri", a->redirect_uri)) &&
	       http_url_add(out, out_len, "scope", scope) &&
	       (!a->has_state || http_url_add(out, out_len, "state", a->state)) &&
	       (!a->challenge[0] ||
		(http_url_add(out, out_len, "code_challenge", a->challenge) &&
		 http_url_add(out, out_len, "code_challenge_method", a->method)));
}

void oauth_hidden(cJSON *list, const char *name, const char *value)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "value", value);
	cJSON_AddItemToArray(list, o);
}

void oauth_consent_page(struct http_req *req, const char *app, uint64_t scope_bits,
			const struct user *u, const char *action, const char *redirect_uri,
			cJSON *fields)
{
	struct jeton *jt = jeton_of(req);
	char csrf[CSRF_CHARS + 1];
	struct space *spaces = NULL;
	size_t n = 0;

	session_csrf(req, csrf);
	enum jt_status st = store_space_list(jt->store, u->id, true, &spaces, &n);
	if (st != JT_OK) {
		cJSON_Delete(fields);
		page_fail(req, st, NULL, NULL);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "app", app);
	cJSON_AddStringToObject(d, "action", action);
	if (redirect_uri)
		cJSON_AddStringToObject(d, "redirect_uri", redirect_uri);
	cJSON *scopes = cJSON_AddArrayToObject(d, "scopes");
	for (int i = 0; i < SCOPE_COUNT; i++) {
		uint64_t bit = 1u << i;
		if (!(scope_bits & bit))
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", scope_name(bit));
		cJSON_AddStringToObject(o, "description", scope_description(bit));
		cJSON_AddItemToArray(scopes, o);
	}
	oauth_hidden(fields, "csrf", csrf);
	cJSON_AddItemToObject(d, "hidden", fields);
	cJSON *list = cJSON_AddArrayToObject(d, "spaces");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)spaces[i].id);
		cJSON_AddStringToObject(o, "name", spaces[i].name);
		cJSON_AddStringToObject(o, "role", spaces[i].role);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddBoolToObject(d, "has_spaces", n > 0);
	store_list_free(spaces);
	struct page_ctx c;
	memset(&c, 0, sizeof c);
	c.user = *u;
	memcpy(c.csrf, csrf, sizeof csrf);
	page_render(req, JT_OK, "Authorize", NULL, "consent.html", d, &c);
}

static void consent_page(struct http_req *req, const struct authz *a, const struct user *u)
{
	char scope[LIMIT_SCOPES_BYTES + 1];
	cJSON *fields = cJSON_CreateArray();
	scope_format(a->scopes, scope, sizeof scope);
	oauth_hidden(fields, "client_id", a->client_id);
	oauth_hidden(fields, "response_type", "code");
	if (a->redirect_given)
		oauth_hidden(fields, "redirect_uri", a->redirect_uri);
	oauth_hidden(fields, "scope", scope);
	if (a->has_state)
		oauth_hidden(fields, "state", a->state);
	if (a->challenge[0]) {
		oauth_hidden(fields, "code_challenge", a->challenge);
		oauth_hidden(fields, "code_challenge_method", a->method);
	}
	oauth_consent_page(req, a->app.name, a->scopes, u, "/oauth/authorize", a->redirect_uri,
			   fields);
}

bool oauth_user_in_space(struct store *st, int64_t user_id, int64_t space_id)
{
	struct space *spaces = NULL;
	size_t n = 0;
	bool found = false;
	if (store_space_list(st, user_id, true, &spaces, &n) == JT_OK)
		for (size_t i = 0; i < n; i++)
			found |= spaces[i].id == space_id;
	store_list_free(spaces);
	return found;
}

static void allow(struct http_req *req, const struct authz *a, const struct user *u)
{
	struct jeton *jt = jeton_of(req);
	char space[24], code[TOKEN_LEN + 1], id[24];
	char url[LIMIT_URI_BYTES + LIMIT_STATE_BYTES * 3 + 1024];
	bool has_space;
	int64_t space_id = 0;
	struct auth_code c = {0};

	if (!param(req, "space_id", space, sizeof space, &has_space) || !has_space ||
	    text_parse_i64(space, strlen(space), 1, INT64_MAX, &space_id) != JT_OK ||
	    !oauth_user_in_space(jt->store, u->id, space_id)) {
		page_fail(req, JT_EINVAL, "Pick one of your spaces to grant access to.", NULL);
		return;
	}
	token_generate(TOKEN_CODE, code);
	hash_sha256(code, TOKEN_LEN, c.hash);
	c.app_id = a->app.id;
	c.user_id = u->id;
	c.space_id = space_id;
	memcpy(c.redirect_uri, a->redirect_uri, sizeof c.redirect_uri);
	c.redirect_given = a->redirect_given;
	scope_format(a->scopes, c.scopes, sizeof c.scopes);
	memcpy(c.challenge, a->challenge, sizeof c.challenge);
	if (a->challenge[0])
		memcpy(c.challenge_method, a->method, sizeof c.challenge_method);
	c.family_id = issue_family_id();
	c.created_at = time_now();
	c.expires_at = c.created_at + LIMIT_CODE_SECONDS;
	enum jt_status st = store_code_insert(jt->store, &c);
	if (st != JT_OK) {
		page_fail(req, st, NULL, NULL);
		crypto_wipe(code, sizeof code);
		return;
	}
	audit_record(jt->store, u->id, u->email, "consent.allowed", req->client_ip, true,
		     "app %lld (%s), space %lld", (long long)a->app.id, a->app.name,
		     (long long)space_id);
	snprintf(url, sizeof url, "%s", a->redirect_uri);
	snprintf(id, sizeof id, "%lld", (long long)space_id);
	bool ok = http_url_add(url, sizeof url, "code", code) &&
		  (!a->has_state || http_url_add(url, sizeof url, "state", a->state)) &&
		  http_url_add(url, sizeof url, "space_id", id) &&
		  http_url_add(url, sizeof url, "iss", jt->issuer);
	crypto_wipe(code, sizeof code);
	http_secret(req); /* the Location carries the code */
	if (!ok)
		page_fail(req, JT_EINVAL, "The redirect address is too long.", NULL);
	else
		http_redirect(req, 302, url);
	crypto_wipe(url, sizeof url);
}

void oauth_authorize(struct http_req *req)
{
	struct authz a;
	struct user u;
	char next[LIMIT_URL_BYTES + 1], login[LIMIT_URL_BYTES * 3 + 32];
	char csrf[CSRF_CHARS + 8], decision[16];
	bool has_decision;

	if (req->method == HTTP_POST) {
		http_form_field(req, "csrf", csrf, sizeof csrf);
		if (!session_csrf_ok(req, csrf)) {
			page_fail(req, JT_EDENIED,
				  "The consent form expired or came from another site.", NULL);
			return;
		}
	}
	if (check_request(req, &a) != CHECK_OK)
		return;
	if (!session_user(req, &u)) {
		if (!canonical_url(&a, next, sizeof next)) {
			page_fail(req, JT_EINVAL, "The request is too long.", NULL);
			return;
		}
		snprintf(login, sizeof login, "/login");
		http_url_add(login, sizeof login, "next", next);
		http_redirect(req, 302, login);
		return;
	}
	if (u.password_must_change) { /* before anything else (console.c) */
		http_redirect(req, 303, "/console/account");
		return;
	}
	/* The policy's two-factor sign-in, likewise. */
	if (auth_totp_must_enrol(jeton_of(req)->store, &u)) {
		http_redirect(req, 303, "/console/account/2fa");
		return;
	}
	if (req->method != HTTP_POST) {
		consent_page(req, &a, &u);
		return;
	}
	if (!param(req, "decision", decision, sizeof decision, &has_decision) ||
	    (strcmp(decision, "allow") != 0 && strcmp(decision, "deny") != 0)) {
		page_fail(req, JT_EINVAL, "Choose Allow or Deny.", NULL);
		return;
	}
	if (strcmp(decision, "deny") == 0) {
		audit_record(jeton_of(req)->store, u.id, u.email, "consent.denied", req->client_ip,
			     true, "app %lld (%s)", (long long)a.app.id, a.app.name);
		redirect_error(req, &a, "access_denied", "The user denied the request.");
		return;
	}
	allow(req, &a, &u);
}
