/* SPDX-License-Identifier: MIT */
/* Token policy, for instance admins: the longest a personal access token
 * may live, whether it must expire, and who must use two-factor sign-in
 * (the same record as /v1/policy). */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

static void policy_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
			const struct policy *pol, const char *notice, const char *error,
			const char *typed)
{
	char life[TIME_DURATION_BUF] = "";
	if (pol->pat_max_lifetime)
		time_format_duration(pol->pat_max_lifetime, life);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "max_lifetime", typed ? typed : life);
	cJSON_AddBoolToObject(d, "require_expiry", pol->pat_require_expiry);
	cJSON *who = cJSON_AddObjectToObject(d, "require_2fa");
	cJSON_AddBoolToObject(who, "none", !pol->require_2fa[0]);
	cJSON_AddBoolToObject(who, "admins", strcmp(pol->require_2fa, "admins") == 0);
	cJSON_AddBoolToObject(who, "all", strcmp(pol->require_2fa, "all") == 0);
	console_add_time(d, "updated", pol->updated_at, "Never");
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, "Token policy", "policy", "policy.html", d, c);
}

/* The field require_2fa: "none", "admins" or "all", into the policy as
 * /v1/policy stores it ("" for none); absent (a form without the field),
 * the policy's is kept. False for anything else. */
static bool read_require_2fa(struct http_req *req, struct policy *pol)
{
	char v[8];
	enum jt_status s = http_form_get(req->body, req->body_len, "require_2fa", v, sizeof v);
	if (s == JT_ENOTFOUND)
		return true;
	return s == JT_OK && authority_policy_set_require_2fa(pol, v);
}

static void change(struct http_req *req, const struct page_ctx *c, struct policy *pol)
{
	char max[16], require[4];
	int64_t life = 0;
	http_form_field(req, "pat_max_lifetime", max, sizeof max);
	http_form_field(req, "pat_require_expiry", require, sizeof require);
	if (max[0] && time_parse_duration(max, strlen(max), &life) != JT_OK) {
		policy_page(req, JT_EINVAL, c, pol, NULL,
			    "The longest lifetime must be empty (no limit) or a duration such as "
			    "90d (units s, m, h, d, w).",
			    max);
		return;
	}
	if (!read_require_2fa(req, pol)) {
		policy_page(req, JT_EINVAL, c, pol, NULL,
			    "Two-factor sign-in must be required of nobody, the administrators "
			    "or everyone.",
			    max);
		return;
	}
	pol->pat_max_lifetime = life;
	pol->pat_require_expiry = strcmp(require, "1") == 0;
	pol->updated_at = time_now();
	struct jeton *jt = jeton_of(req);
	enum jt_status st = store_policy_put(jt->store, pol);
	if (st != JT_OK) {
		page_fail(req, st, "The policy could not be stored.", c);
		return;
	}
	char what[AUTHORITY_POLICY_TEXT_BUF];
	authority_policy_describe(pol, what);
	audit_record(jt->store, c->user.id, c->user.email, "policy.changed", req->client_ip, true,
		     "%s", what);
	http_redirect(req, 303, "/console/policy?done=saved");
}

void console_policy(struct http_req *req)
{
	struct page_ctx c;
	struct policy pol;
	if (!console_begin(req, true, &c))
		return;
	enum jt_status st = store_policy_get(jeton_of(req)->store, &pol);
	if (st != JT_OK) {
		page_fail(req, st, NULL, &c);
		return;
	}
	if (req->method == HTTP_POST) {
		change(req, &c, &pol);
		return;
	}
	const char *done = http_query(req, "done");
	policy_page(req, JT_OK, &c, &pol,
		    done && strcmp(done, "saved") == 0 ? "The policy was saved." : NULL, NULL,
		    NULL);
}
