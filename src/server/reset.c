/* SPDX-License-Identifier: MIT */
/* A password reset asked for through HTTP, the same from the API and the
 * console: the new password's argon2id on a slow-work thread, then the
 * cache and the audit log told, back on a serving thread. */
#include "audit/audit.h"
#include "crypto/crypto.h"
#include "server/server.h"

void password_reset_work(struct http_req *req)
{
	struct password_reset *r = req->ctx;
	r->status = auth_reset_password(jeton_of(req)->store, r->user_id, r->revoke_tokens,
					r->password, &r->u, &r->revoked);
}

void password_reset_record(struct http_req *req, const struct password_reset *r)
{
	struct jeton *jt = jeton_of(req);
	if (r->revoke_tokens)
		auth_invalidate(jt->auth);
	audit_record(jt->store, r->actor_id, r->actor, "user.password_reset", req->client_ip,
		     r->status == JT_OK, "user %lld (%s): sessions signed out%s",
		     (long long)r->user_id, r->u.email,
		     r->revoke_tokens ? "; every token revoked" : "; tokens kept");
}
