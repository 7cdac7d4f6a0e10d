/* SPDX-License-Identifier: MIT */
/* Apps (instance admins): list, create (the secret shown once), details
 * with the client ID always visible, secret rotation and deletion.
 * Creating an app and a new secret hand its scopes on, as on the API
 * (authority_may_register_app). */
#include "console/console.h"
#include "app/app.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "render/render.h"
#include "server/server.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>

static const unsigned grant_bits[] = {GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN,
				      GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE};
#define GRANTS_SHOWN (sizeof grant_bits / sizeof grant_bits[0])

void console_apps(struct http_req *req)
{
	struct page_ctx c;
	struct app *items = NULL;
	size_t n = 0;
	struct store_page page = {.before = 0, .limit = LIMIT_PAGE_MAX};
	if (!console_begin(req, true, &c))
		return;
	enum jt_status st = store_app_list(jeton_of(req)->store, &page, &items, &n);
	if (st != JT_OK) {
		page_fail(req, st, NULL, &c);
		return;
	}
	cJSON *d = cJSON_CreateObject();
	cJSON *rows = cJSON_AddArrayToObject(d, "apps");
	for (size_t i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "id", (double)items[i].id);
		cJSON_AddStringToObject(r, "name", items[i].name);
		cJSON_AddStringToObject(r, "client_id", items[i].client_id);
		cJSON_AddStringToObject(r, "type",
					items[i].public_client ? "public" : "confidential");
		cJSON_AddStringToObject(r, "grants", items[i].grants);
		console_add_time(r, "created", items[i].created_at, "");
		cJSON_AddItemToArray(rows, r);
	}
	store_list_free(items);
	cJSON_AddBoolToObject(d, "has_apps", n > 0);
	const char *done = http_query(req, "done");
	if (done && strcmp(done, "deleted") == 0)
		cJSON_AddStringToObject(d, "notice", "The app was deleted with all its tokens.");
	page_render(req, JT_OK, "Apps", "apps", "apps.html", d, &c);
}

static void new_app_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			 const struct app *a, const char *uris, const char *error)
{
	char name[32];
	uint64_t scopes = 0;
	unsigned grants = app_grant_types(a);
	cJSON *d = cJSON_CreateObject();
	cJSON *form = cJSON_AddObjectToObject(d, "form");
	cJSON_AddStringToObject(form, "name", a->name);
	cJSON_AddBoolToObject(form, "public", a->public_client);
	cJSON_AddStringToObject(form, "redirect_uris", uris);
	cJSON_AddNumberToObject(form, "access_ttl", (double)a->access_ttl);
	cJSON_AddNumberToObject(form, "refresh_ttl", (double)a->refresh_ttl);
	cJSON_AddNumberToObject(form, "refresh_grace", (double)a->refresh_grace);
	cJSON_AddBoolToObject(form, "rotate_refresh", a->rotate_refresh);
	cJSON_AddBoolToObject(form, "allow_pkce_plain", a->allow_pkce_plain);
	cJSON_AddBoolToObject(form, "introspect", a->introspect);
	cJSON_AddBoolToObject(form, "jwt", app_uses_jwt(a));
	cJSON *g = cJSON_AddArrayToObject(d, "grants");
	for (size_t i = 0; i < GRANTS_SHOWN; i++) {
		cJSON *o = cJSON_CreateObject();
		grant_type_format(grant_bits[i], name, sizeof name);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddBoolToObject(o, "checked", (grants & grant_bits[i]) != 0);
		cJSON_AddItemToArray(g, o);
	}
	scope_parse(a->scopes, strlen(a->scopes), &scopes);
	cJSON *s = cJSON_AddArrayToObject(d, "scopes");
	for (int i = 0; i < SCOPE_COUNT; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", scope_name(1u << i));
		cJSON_AddStringToObject(o, "description", scope_description(1u << i));
		cJSON_AddBoolToObject(o, "checked", (scopes & (1u << i)) != 0);
		cJSON_AddItemToArray(s, o);
	}
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, "New app", "apps", "app_new.html", d, c);
}

/* Room for the sentence that names the scopes an app would be refused. */
#define REFUSAL_BYTES (LIMIT_SCOPES_BYTES + 64)

/* Whether the signed-in user may hand a's scopes on to it; why says what
 * they lack otherwise. */
static bool may_register(const struct page_ctx *c, const struct app *a, char why[REFUSAL_BYTES])
{
	struct authority by;
	uint64_t scopes, missing;
	char names[LIMIT_SCOPES_BYTES + 1];
	if (scope_parse(a->scopes, strlen(a->scopes), &scopes) != JT_OK)
		scopes = SCOPE_ALL;
	authority_of_session(c->held, &by);
	if (authority_may_register_app(&by, scopes, &missing) == AUTHORITY_OK)
		return true;
	scope_format(missing, names, sizeof names);
	snprintf(why, REFUSAL_BYTES, "You cannot give an app rights you do not hold (%s).", names);
	return false;
}

static int64_t form_int(struct http_req *req, const char *key, int64_t fallback)
{
	char v[24];
	int64_t out;
	http_form_field(req, key, v, sizeof v);
	return text_parse_i64(v, strlen(v), 0, INT64_MAX, &out) == JT_OK ? out : fallback;
}

void console_app_new(struct http_req *req)
{
	struct page_ctx c;
	struct app a;
	char uris[LIMIT_REDIRECT_URIS_BYTES + 1], type[16], v[4], why[256];
	char refusal[REFUSAL_BYTES];
	char secret[TOKEN_LEN + 1];
	if (!console_begin(req, true, &c))
		return;
	app_defaults(&a);
	if (req->method != HTTP_POST) {
		snprintf(a.grants, sizeof a.grants, "authorization_code refresh_token");
		new_app_page(req, JT_OK, &c, &a, "", NULL);
		return;
	}
	http_form_field(req, "name", a.name, sizeof a.name);
	http_form_field(req, "type", type, sizeof type);
	http_form_field(req, "redirect_uris", uris, sizeof uris);
	a.public_client = strcmp(type, "public") == 0;
	a.access_ttl = form_int(req, "access_ttl", -1);
	a.refresh_ttl = form_int(req, "refresh_ttl", -1);
	a.refresh_grace = form_int(req, "refresh_grace", -1);
	http_form_field(req, "rotate_refresh", v, sizeof v);
	a.rotate_refresh = strcmp(v, "1") == 0;
	http_form_field(req, "allow_pkce_plain", v, sizeof v);
	a.allow_pkce_plain = strcmp(v, "1") == 0;
	http_form_field(req, "introspect", v, sizeof v);
	a.introspect = strcmp(v, "1") == 0;
	char format[16];
	http_form_field(req, "token_format", format, sizeof format);
	snprintf(a.token_format, sizeof a.token_format, "%s", format[0] ? format : "opaque");
	unsigned grants = 0;
	uint64_t scopes = 0;
	for (size_t i = 0; i < GRANTS_SHOWN; i++) {
		char key[48], name[32];
		grant_type_format(grant_bits[i], name, sizeof name);
		snprintf(key, sizeof key, "grant_%s", name);
		http_form_field(req, key, v, sizeof v);
		if (strcmp(v, "1") == 0)
			grants |= grant_bits[i];
	}
	for (int i = 0; i < SCOPE_COUNT; i++) {
		char key[48];
		snprintf(key, sizeof key, "scope_%s", scope_name(1u << i));
		http_form_field(req, key, v, sizeof v);
		if (strcmp(v, "1") == 0)
			scopes |= 1u << i;
	}
	grant_type_format(grants, a.grants, sizeof a.grants);
	scope_format(scopes, a.scopes, sizeof a.scopes);
	/* One URI per line; blank lines and surrounding spaces are ignored. */
	enum jt_status st = JT_OK;
	a.redirect_uris[0] = '\0';
	char *save = NULL;
	for (char *line = strtok_r(uris, "\r\n", &save); line && st == JT_OK;
	     line = strtok_r(NULL, "\r\n", &save)) {
		while (*line == ' ')
			line++;
		size_t n = strlen(line);
		while (n && line[n - 1] == ' ')
			line[--n] = '\0';
		if (n)
			st = app_add_redirect(&a, line);
	}
	http_form_field(req, "redirect_uris", uris, sizeof uris); /* strtok_r cut it */
	if (st != JT_OK) {
		new_app_page(req, JT_EINVAL, &c, &a, uris,
			     "At most 10 redirect URIs of 512 bytes.");
		return;
	}
	if (app_validate(&a, why, sizeof why) != JT_OK) {
		new_app_page(req, JT_EINVAL, &c, &a, uris, why);
		return;
	}
	if (!may_register(&c, &a, refusal)) {
		new_app_page(req, JT_EDENIED, &c, &a, uris, refusal);
		return;
	}
	a.owner_id = c.user.id;
	st = app_register(jeton_of(req)->store, &a, secret);
	if (st != JT_OK) {
		new_app_page(req, st, &c, &a, uris, "The app could not be stored.");
		return;
	}
	audit_record(jeton_of(req)->store, c.user.id, c.user.email, "app.created", req->client_ip,
		     true, "app %lld (%s) %s", (long long)a.id, a.name, a.client_id);
	cJSON *details = cJSON_CreateArray();
	cJSON *row = cJSON_CreateObject();
	cJSON_AddStringToObject(row, "label", "Client ID");
	cJSON_AddStringToObject(row, "value", a.client_id);
	cJSON_AddItemToArray(details, row);
	char back[64];
	snprintf(back, sizeof back, "/console/apps/%lld", (long long)a.id);
	if (!secret[0]) {
		http_redirect(req, 303, back);
		cJSON_Delete(details);
		return;
	}
	console_secret_page(
		req, &c, "apps", "App created", secret,
		"Copy the client secret now: it will not be shown again.",
		"The app authenticates with its client ID and this secret (HTTP Basic or "
		"form fields) at /oauth/token.",
		back, details);
	crypto_wipe(secret, sizeof secret);
}

static bool route_app(struct http_req *req, const struct page_ctx *c, struct app *a)
{
	int64_t id;
	const char *v = req->params[0];
	enum jt_status st = JT_ENOTFOUND;
	if (text_parse_i64(v, strlen(v), 1, INT64_MAX, &id) == JT_OK)
		st = store_app_get(jeton_of(req)->store, id, a);
	if (st != JT_OK) {
		page_fail(req, st, st == JT_ENOTFOUND ? "There is no such app." : NULL, c);
		return false;
	}
	return true;
}

void console_app(struct http_req *req)
{
	struct page_ctx c;
	struct app a;
	if (!console_begin(req, true, &c) || !route_app(req, &c, &a))
		return;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddItemToObject(d, "app", render_app(&a));
	cJSON_AddStringToObject(d, "grants", a.grants);
	cJSON_AddStringToObject(d, "scopes", a.scopes);
	cJSON_AddBoolToObject(d, "confidential", !a.public_client);
	console_add_time(d, "created", a.created_at, "");
	page_render(req, JT_OK, a.name, "apps", "app.html", d, &c);
}

void console_app_secret(struct http_req *req)
{
	struct page_ctx c;
	struct app a;
	char secret[TOKEN_LEN + 1], msg[LIMIT_NAME_BYTES + 160], back[64];
	char refusal[REFUSAL_BYTES];
	if (!console_begin(req, true, &c) || !route_app(req, &c, &a))
		return;
	snprintf(back, sizeof back, "/console/apps/%lld", (long long)a.id);
	if (req->method != HTTP_POST) {
		snprintf(msg, sizeof msg,
			 "\"%s\" gets a new client secret; the current one stops working at once.",
			 a.name);
		console_confirm(req, &c, "apps", "New client secret?", msg, "Make a new secret",
				false, back);
		return;
	}
	if (!may_register(&c, &a, refusal)) {
		page_fail(req, JT_EDENIED, refusal, &c);
		return;
	}
	struct jeton *jt = jeton_of(req);
	enum jt_status st = app_new_secret(jt->store, &a, secret);
	if (st != JT_OK) {
		page_fail(req, st,
			  st == JT_ECONFLICT ? "A public app has no secret."
					     : "The new secret could not be stored.",
			  &c);
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "app.secret_rotated", req->client_ip, true,
		     "app %lld (%s) %s", (long long)a.id, a.name, a.client_id);
	cJSON *details = cJSON_CreateArray();
	cJSON *row = cJSON_CreateObject();
	cJSON_AddStringToObject(row, "label", "Client ID");
	cJSON_AddStringToObject(row, "value", a.client_id);
	cJSON_AddItemToArray(details, row);
	console_secret_page(req, &c, "apps", "New client secret", secret,
			    "Copy the client secret now: it will not be shown again.", NULL, back,
			    details);
	crypto_wipe(secret, sizeof secret);
}

void console_app_delete(struct http_req *req)
{
	struct page_ctx c;
	struct app a;
	char msg[LIMIT_NAME_BYTES + 160], back[64];
	if (!console_begin(req, true, &c) || !route_app(req, &c, &a))
		return;
	if (req->method != HTTP_POST) {
		snprintf(back, sizeof back, "/console/apps/%lld", (long long)a.id);
		snprintf(msg, sizeof msg,
			 "\"%s\" and every token issued to it stop working at once. This cannot be "
			 "undone.",
			 a.name);
		console_confirm(req, &c, "apps", "Delete app?", msg, "Delete app", true, back);
		return;
	}
	struct jeton *jt = jeton_of(req);
	enum jt_status st = store_app_delete(jt->store, a.id);
	if (st != JT_OK) {
		page_fail(req, st, "The app could not be deleted.", &c);
		return;
	}
	auth_invalidate(jt->auth);
	audit_record(jt->store, c.user.id, c.user.email, "app.deleted", req->client_ip, true,
		     "app %lld (%s) %s", (long long)a.id, a.name, a.client_id);
	http_redirect(req, 303, "/console/apps?done=deleted");
}
