/* SPDX-License-Identifier: MIT */
/* Bearer-token authentication of a request and the RFC 6750 error
 * responses: 401 invalid_token with a WWW-Authenticate challenge, 403
 * insufficient_scope naming the scope needed. */
#include "server/server.h"

#include <stdio.h>

static void reply_unauthorized(struct http_req *req, enum auth_result r)
{
	const char *desc = auth_result_description(r);
	char challenge[512];

	if (r == AUTH_UNAVAILABLE) {
		http_reply_fail(req, JT_ESTORE, "%s", desc);
		return;
	}
	/* RFC 6750 §3.1: a request without credentials gets no error code. */
	if (r == AUTH_MISSING)
		snprintf(challenge, sizeof challenge, "Bearer realm=\"jeton\"");
	else
		snprintf(
			challenge, sizeof challenge,
			"Bearer realm=\"jeton\", error=\"invalid_token\", error_description=\"%s\"",
			desc);
	http_header_add(req, "WWW-Authenticate", challenge);
	http_reply_fail_with(req, JT_EAUTH, "invalid_token", "%s", desc);
}

void bearer_reply_insufficient_scope(struct http_req *req, uint64_t need)
{
	char names[LIMIT_SCOPES_BYTES + 1];
	char challenge[LIMIT_SCOPES_BYTES + 128];

	scope_format(need, names, sizeof names);
	snprintf(challenge, sizeof challenge,
		 "Bearer realm=\"jeton\", error=\"insufficient_scope\", scope=\"%s\"", names);
	http_header_add(req, "WWW-Authenticate", challenge);
	http_reply_fail_with(req, JT_EDENIED, "insufficient_scope",
			     "This request needs the scope %s, which the token does not grant.",
			     names);
}

struct principal *bearer_authenticate(struct http_req *req, uint64_t need)
{
	struct principal *p = NULL;
	enum auth_result r = auth_verify(jeton_of(req)->auth, http_header(req, "Authorization"),
					 req->client_ip, &p);
	if (r != AUTH_OK) {
		reply_unauthorized(req, r);
		return NULL;
	}
	if ((auth_rights(p) & need) != need) {
		bearer_reply_insufficient_scope(req, need & ~auth_rights(p));
		auth_release(p);
		return NULL;
	}
	return p;
}
