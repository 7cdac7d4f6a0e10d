/* SPDX-License-Identifier: MIT */
/* Token policy, for instance admins: the longest a personal access token
 * may live and whether it must expire (the same record as /v1/policy). */
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
	char life[TIME_DURATION_BUF] = "", at[32];
	if (pol->pat_max_lifetime)
		time_format_duration(pol->pat_max_lifetime, life);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "max_lifetime", typed ? typed : life);
	cJSON_AddBoolToObject(d, "require_expiry", pol->pat_require_expiry);
	console_time(pol->updated_at, "Never", at);
	cJSON_AddStringToObject(d, "updated", at);
	if (notice)
		cJSON_AddStringToObject(d, "notice", notice);
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, "Token policy", "policy", "policy.html", d, c);
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
	pol->pat_max_lifetime = life;
	pol->pat_require_expiry = strcmp(require, "1") == 0;
	pol->updated_at = time_now();
	struct jeton *jt = jeton_of(req);
	enum jt_status st = store_policy_put(jt->store, pol);
	if (st != JT_OK) {
		page_fail(req, st, "The policy could not be stored.", c);
		return;
	}
	audit_record(jt->store, c->user.id, c->user.email, "policy.changed", req->client_ip, true,
		     "pat_max_lifetime=%s pat_require_expiry=%s", max[0] ? max : "none",
		     pol->pat_require_expiry ? "true" : "false");
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
