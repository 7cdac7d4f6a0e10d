/* SPDX-License-Identifier: MIT */
/* The console's frame: who is signed in and what they hold, and the pieces
 * several pages share. */
#include "console/console.h"
#include "auth/auth.h"
#include "server/server.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

bool console_begin(struct http_req *req, bool need_admin, struct page_ctx *c)
{
	char login[LIMIT_URL_BYTES * 3 + 32];
	memset(c, 0, sizeof *c);
	if (!session_user(req, &c->user)) {
		/* Back to this page after login; only for GET, a POST is replayed by nobody. */
		const char *path = req->method == HTTP_GET && console_next_ok(req->path)
					   ? req->path
					   : "/console";
		snprintf(login, sizeof login, "/login");
		http_url_add(login, sizeof login, "next", path); /* percent-encoded */
		http_redirect(req, 303, login);
		return false;
	}
	/* A one-time password is changed before anything else. */
	if (c->user.password_must_change && strcmp(req->path, "/console/account") != 0) {
		http_redirect(req, 303, "/console/account");
		return false;
	}
	/* A user the policy makes use two-factor sign-in enrols first. */
	if (strncmp(req->path, "/console/account", 16) != 0 &&
	    auth_totp_must_enrol(jeton_of(req)->store, &c->user)) {
		http_redirect(req, 303, "/console/account/2fa");
		return false;
	}
	session_csrf(req, c->csrf);
	enum jt_status st =
		auth_user_permissions(jeton_of(req)->store, &c->user, &c->instance, &c->held);
	if (st != JT_OK) {
		page_fail(req, st, NULL, c);
		return false;
	}
	if (need_admin && !c->user.admin) {
		page_fail(req, JT_EDENIED, "This page is for the instance's administrators.", c);
		return false;
	}
	/* Everything but a read proves it came from our own form. */
	if (req->method != HTTP_GET) {
		char csrf[CSRF_CHARS + 8];
		http_form_field(req, "csrf", csrf, sizeof csrf);
		if (!session_csrf_ok(req, csrf)) {
			page_fail(
				req, JT_EDENIED,
				"This form expired or came from another site. Go back, reload and "
				"try again.",
				c);
			return false;
		}
	}
	return true;
}

void console_add_time(cJSON *o, const char *key, int64_t t, const char *none)
{
	char iso[TIME_RFC3339_BUF], out[32];
	if (t) {
		time_format(t, iso);
		/* "2026-11-23T19:27:42Z" -> "2026-11-23 19:27 UTC" */
		snprintf(out, sizeof out, "%.10s %.5s UTC", iso, iso + 11);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddStringToObject(o, key, t ? out : none);
}

void console_secret_page(struct http_req *req, const struct page_ctx *c, const char *section,
			 const char *heading, const char *secret, const char *warning,
			 const char *hint, const char *back, cJSON *details)
{
	http_secret(req);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading", heading);
	cJSON_AddStringToObject(d, "secret", secret);
	cJSON_AddStringToObject(d, "warning", warning);
	if (hint)
		cJSON_AddStringToObject(d, "hint", hint);
	cJSON_AddStringToObject(d, "back", back);
	if (details)
		cJSON_AddItemToObject(d, "details", details);
	page_render(req, JT_OK, heading, section, "secret.html", d, c);
}

void console_confirm(struct http_req *req, const struct page_ctx *c, const char *section,
		     const char *heading, const char *message, const char *button, bool danger,
		     const char *back)
{
	char action[LIMIT_URL_BYTES + 1];
	snprintf(action, sizeof action, "%s", req->path);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading", heading);
	cJSON_AddStringToObject(d, "message", message);
	cJSON_AddStringToObject(d, "button", button);
	cJSON_AddBoolToObject(d, "danger", danger);
	cJSON_AddStringToObject(d, "action", action);
	cJSON_AddStringToObject(d, "back", back);
	page_render(req, JT_OK, heading, section, "confirm.html", d, c);
}
