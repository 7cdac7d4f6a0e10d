/* SPDX-License-Identifier: MIT */
/* The instance's token policy: GET and PUT /v1/policy, for instance
 * admins (manage_users). PUT changes the fields it names and keeps the
 * others; the rule itself is asked where tokens are minted
 * (authority_may_mint_pat). */
#include "api/api.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* Reads "pat_max_lifetime": a duration such as "90d", or null for none. */
static bool read_lifetime(struct http_req *req, const cJSON *body, struct policy *pol)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "pat_max_lifetime");
	if (!v)
		return true;
	if (cJSON_IsNull(v)) {
		pol->pat_max_lifetime = 0;
		return true;
	}
	const char *s = cJSON_GetStringValue(v);
	if (!s || time_parse_duration(s, strlen(s), &pol->pat_max_lifetime) != JT_OK) {
		http_reply_fail(
			req, JT_EINVAL,
			"\"pat_max_lifetime\" must be null (no limit) or a duration such as "
			"\"90d\" (units s, m, h, d, w).");
		return false;
	}
	return true;
}

/* Reads "require_2fa": "admins", "all", or null for nobody. */
static bool read_require_2fa(struct http_req *req, const cJSON *body, struct policy *pol)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "require_2fa");
	const char *s = cJSON_GetStringValue(v);
	if (!v)
		return true;
	if (cJSON_IsNull(v)) /* nobody */
		return authority_policy_set_require_2fa(pol, "none");
	/* "none" is the console's and the CLI's word only */
	if (s && strcmp(s, "none") != 0 && authority_policy_set_require_2fa(pol, s))
		return true;
	http_reply_fail(req, JT_EINVAL,
			"\"require_2fa\" must be \"admins\", \"all\" or null (nobody).");
	return false;
}

static void put(struct http_req *req, struct principal *p, struct policy *pol)
{
	bool require, has_require;
	cJSON *body = input_json_object(req);
	if (!body)
		return;
	if (read_lifetime(req, body, pol) && read_require_2fa(req, body, pol) &&
	    input_bool(req, body, "pat_require_expiry", &require, &has_require)) {
		if (has_require)
			pol->pat_require_expiry = require;
		pol->updated_at = time_now();
		enum jt_status st = store_policy_put(jeton_of(req)->store, pol);
		if (st != JT_OK) {
			http_reply_status(req, st, "policy");
		} else {
			char what[AUTHORITY_POLICY_TEXT_BUF];
			authority_policy_describe(pol, what);
			api_audit(req, p, "policy.changed", true, "%s", what);
			http_reply_json(req, 200, render_policy(pol));
		}
	}
	cJSON_Delete(body);
}

void api_policy(struct http_req *req)
{
	struct policy pol;
	struct principal *p = bearer_authenticate(req, SCOPE_MANAGE_USERS);
	if (!p)
		return;
	enum jt_status st = store_policy_get(jeton_of(req)->store, &pol);
	if (st != JT_OK)
		http_reply_status(req, st, "policy");
	else if (req->method == HTTP_PUT)
		put(req, p, &pol);
	else
		http_reply_json(req, 200, render_policy(&pol));
	auth_release(p);
}
