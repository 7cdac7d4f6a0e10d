/* SPDX-License-Identifier: MIT */
/* Browser sessions and CSRF protection.
 *
 * A session is a random cookie value; the store keeps only its SHA-256.
 * Forms carry a CSRF token equal to a second random cookie (double submit),
 * compared in constant time, and a request whose Origin is sent must come
 * from this host. Both cookies are HttpOnly and SameSite=Lax, and Secure
 * when the issuer is https. */
#include "web/web.h"
#include "server/server.h"
#include "crypto/crypto.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

#define SESSION_COOKIE  "jeton_session"
#define CSRF_COOKIE     "jeton_csrf"
#define SESSION_CHARS   32
#define TOUCH_SECONDS   60  /* a use is recorded at most once a minute */
#define PENDING_SECONDS 300 /* to give the second factor after the password */

static const char *secure_flag(struct http_req *req)
{
	const char *issuer = jeton_of(req)->issuer;
	return issuer && strncmp(issuer, "https://", 8) == 0 ? "; Secure" : "";
}

static bool cookie_shaped(const char *v, size_t n)
{
	if (!v || strlen(v) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

bool session_hash(struct http_req *req, uint8_t out[STORE_HASH_LEN])
{
	const char *v = http_cookie(req, SESSION_COOKIE);
	if (!cookie_shaped(v, SESSION_CHARS))
		return false;
	hash_sha256(v, SESSION_CHARS, out);
	return true;
}

/* When a session used at `now` ends: idle from now, or its lifetime. */
static int64_t session_end_at(const struct jeton *jt, int64_t created_at, int64_t now)
{
	int64_t idle = now + jt->session_idle, absolute = created_at + jt->session_lifetime;
	return idle < absolute ? idle : absolute;
}

bool session_user(struct http_req *req, struct user *out)
{
	struct jeton *jt = jeton_of(req);
	uint8_t hash[HASH_SHA256_LEN];
	struct session s;

	if (!session_hash(req, hash))
		return false;
	int64_t now = time_now();
	if (store_session_find(jt->store, hash, &s) != JT_OK || s.expires_at <= now || s.pending)
		return false;
	if (store_user_get(jt->store, s.user_id, out) != JT_OK || out->disabled)
		return false;
	crypto_wipe(out->password_hash, sizeof out->password_hash);
	/* A use moves the end to the idle timeout from now, never past the
	 * absolute lifetime; kept to the minute so that a page view seldom
	 * writes. The end is one column, so the purge of expired sessions
	 * needs no setting. */
	if (now - s.last_seen_at >= TOUCH_SECONDS)
		store_session_touch(jt->store, hash, now, session_end_at(jt, s.created_at, now));
	return true;
}

/* What is kept of the User-Agent: printable ASCII, bounded. */
static void user_agent(struct http_req *req, char out[STORE_USER_AGENT_BYTES])
{
	const char *ua = http_header(req, "User-Agent");
	size_t n = 0;
	for (; ua && ua[n] && n < STORE_USER_AGENT_BYTES - 1; n++)
		out[n] = ua[n] >= 0x20 && ua[n] < 0x7F ? ua[n] : '?';
	out[n] = '\0';
}

bool session_pending_user(struct http_req *req, struct user *out)
{
	struct jeton *jt = jeton_of(req);
	uint8_t hash[HASH_SHA256_LEN];
	struct session s;
	if (!session_hash(req, hash) || store_session_find(jt->store, hash, &s) != JT_OK ||
	    s.expires_at <= time_now() || !s.pending)
		return false;
	if (store_user_get(jt->store, s.user_id, out) != JT_OK || out->disabled)
		return false;
	crypto_wipe(out->password_hash, sizeof out->password_hash);
	return true;
}

enum jt_status session_start(struct http_req *req, int64_t user_id, bool pending)
{
	struct jeton *jt = jeton_of(req);
	char value[SESSION_CHARS + 1];
	char cookie[160];
	struct session s = {0};

	random_base62(value, SESSION_CHARS);
	hash_sha256(value, SESSION_CHARS, s.hash);
	s.user_id = user_id;
	s.created_at = time_now();
	s.last_seen_at = s.created_at;
	s.expires_at = pending ? s.created_at + PENDING_SECONDS
			       : session_end_at(jt, s.created_at, s.created_at);
	s.pending = pending;
	snprintf(s.ip, sizeof s.ip, "%s", req->client_ip);
	user_agent(req, s.user_agent);
	enum jt_status st = store_session_insert(jt->store, &s);
	if (st == JT_OK) {
		snprintf(cookie, sizeof cookie,
			 SESSION_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
			 value, (long long)jt->session_lifetime, secure_flag(req));
		http_secret(req); /* the cookie is the session's secret */
		http_header_add(req, "Set-Cookie", cookie);
	}
	crypto_wipe(value, sizeof value);
	crypto_wipe(cookie, sizeof cookie);
	return st;
}

void session_end(struct http_req *req)
{
	uint8_t hash[HASH_SHA256_LEN];
	char cookie[128];

	if (session_hash(req, hash))
		store_session_delete(jeton_of(req)->store, hash);
	snprintf(cookie, sizeof cookie,
		 SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s", secure_flag(req));
	http_header_add(req, "Set-Cookie", cookie);
}

void session_csrf(struct http_req *req, char out[CSRF_CHARS + 1])
{
	const char *v = http_cookie(req, CSRF_COOKIE);
	char cookie[128];

	if (cookie_shaped(v, CSRF_CHARS)) {
		memcpy(out, v, CSRF_CHARS + 1);
		return;
	}
	random_base62(out, CSRF_CHARS);
	snprintf(cookie, sizeof cookie, CSRF_COOKIE "=%s; Path=/; HttpOnly; SameSite=Lax%s", out,
		 secure_flag(req));
	http_header_add(req, "Set-Cookie", cookie);
}

/* A sent Origin must name this host (same-origin form posts only). */
static bool origin_ok(struct http_req *req)
{
	const char *origin = http_header(req, "Origin");
	const char *host = http_header(req, "Host");
	if (!origin)
		return true;
	/* Under Referrer-Policy: no-referrer, browsers send "Origin: null" even
	 * for same-origin posts; Fetch Metadata then says where it came from. */
	if (strcmp(origin, "null") == 0) {
		const char *site = http_header(req, "Sec-Fetch-Site");
		return !site || strcmp(site, "same-origin") == 0;
	}
	if (!host)
		return false;
	const char *rest = strncmp(origin, "https://", 8) == 0  ? origin + 8
			   : strncmp(origin, "http://", 7) == 0 ? origin + 7
								: NULL;
	return rest && strcmp(rest, host) == 0;
}

bool session_csrf_ok(struct http_req *req, const char *value)
{
	const char *v = http_cookie(req, CSRF_COOKIE);
	if (!cookie_shaped(v, CSRF_CHARS) || !value || strlen(value) != CSRF_CHARS)
		return false;
	return hash_equal(v, value, CSRF_CHARS) && origin_ok(req);
}
