/* SPDX-License-Identifier: MIT */
/* Two-factor sign-in on the Account page: enrolling an authenticator app
 * (its key as a QR code rendered here with libqrencode, served as SVG from
 * this host, and as text; no JavaScript), confirming it with a code, the
 * recovery codes shown once (and a new set for a current code, which ends
 * the old one), and turning it off with a code or a recovery code. Wrong
 * codes are throttled as sign-in codes are. */
#include "console/console.h"
#include "server/server.h"
#include "audit/audit.h"
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/time.h"

#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#define ISSUER "jeton"

static void enrol_page(struct http_req *req, enum jt_status status, const struct page_ctx *c,
		       const char *secret, const char *error)
{
	cJSON *d = cJSON_CreateObject();
	if (auth_totp_must_enrol(jeton_of(req)->store, &c->user))
		cJSON_AddStringToObject(d, "must_enrol",
					"Your administrators require two-factor sign-in: set it up "
					"before anything else.");
	if (secret) {
		http_secret(req);
		cJSON_AddStringToObject(d, "secret", secret);
	}
	if (error)
		cJSON_AddStringToObject(d, "error", error);
	page_render(req, status, "Two-factor sign-in", "account", "totp.html", d, c);
}

/* The otpauth:// URI authenticator apps read (Google Authenticator's
 * format): the label percent-encoded. */
static void otpauth_uri(const char *email, const char *secret, char *out, size_t out_len)
{
	static const char hex[] = "0123456789ABCDEF";
	char label[3 * LIMIT_EMAIL_BYTES + 1];
	size_t o = 0;
	for (const unsigned char *c = (const unsigned char *)email; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_') {
			label[o++] = (char)*c;
		} else {
			label[o++] = '%';
			label[o++] = hex[*c >> 4];
			label[o++] = hex[*c & 15];
		}
	}
	label[o] = '\0';
	snprintf(out, out_len, "otpauth://totp/" ISSUER ":%s?secret=%s&issuer=" ISSUER, label,
		 secret);
}

/* The QR code of text as SVG: one path, a run of dark modules per step. */
static char *qr_svg(const char *text, size_t *len)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return NULL;
	int w = qr->width, quiet = 4;
	size_t cap = (size_t)w * (size_t)w * 24 + 512, n = 0;
	char *svg = jt_calloc(1, cap);
	if (svg) {
		n += (size_t)snprintf(
			svg, cap,
			"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
			"width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">"
			"<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>"
			"<path fill=\"#000\" d=\"",
			w + 2 * quiet, w + 2 * quiet, 6 * (w + 2 * quiet), 6 * (w + 2 * quiet));
		for (int y = 0; y < w; y++) {
			for (int x = 0; x < w;) {
				if (!(qr->data[y * w + x] & 1)) {
					x++;
					continue;
				}
				int run = 0;
				while (x + run < w && (qr->data[y * w + x + run] & 1))
					run++;
				n += (size_t)snprintf(svg + n, cap - n, "M%d %dh%dv1h-%dz",
						      x + quiet, y + quiet, run, run);
				x += run;
			}
		}
		n += (size_t)snprintf(svg + n, cap - n, "\"/></svg>");
	}
	crypto_wipe(qr->data, (size_t)w * (size_t)w);
	QRcode_free(qr);
	*len = n;
	return svg;
}

/* GET /console/account/2fa/qr.svg: the enrolment in progress as a QR code. */
void console_totp_qr(struct http_req *req)
{
	struct page_ctx c;
	char secret[TOTP_SECRET_BASE32 + 1], uri[4 * LIMIT_EMAIL_BYTES + 128];
	if (!console_begin(req, false, &c))
		return;
	struct jeton *jt = jeton_of(req);
	enum jt_status st = auth_totp_pending(jt->store, jt->keys, c.user.id, secret);
	if (st != JT_OK) {
		page_fail(req, st == JT_ECONFLICT ? JT_ENOTFOUND : st, "No enrolment in progress.",
			  &c);
		return;
	}
	otpauth_uri(c.user.email, secret, uri, sizeof uri);
	size_t len = 0;
	char *svg = qr_svg(uri, &len);
	crypto_wipe(secret, sizeof secret);
	crypto_wipe(uri, sizeof uri);
	if (!svg) {
		page_fail(req, JT_ENOMEM, NULL, &c);
		return;
	}
	http_secret(req);
	http_header_add(req, "Cache-Control", "no-store");
	http_reply_raw(req, 200, "image/svg+xml", svg, len);
	crypto_wipe(svg, len);
	jt_free(svg);
}

/* The recovery codes, shown this once: a new enrolment's, or a new set
 * (renewed) that replaced the old one. */
static void recovery_page(struct http_req *req, const struct page_ctx *c,
			  char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1], bool renewed)
{
	http_secret(req);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "heading",
				renewed ? "New recovery codes" : "Two-factor sign-in is on");
	cJSON_AddBoolToObject(d, "renewed", renewed);
	cJSON *list = cJSON_AddArrayToObject(d, "codes");
	for (int i = 0; i < STORE_RECOVERY_CODES; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(codes[i]));
	page_render(req, JT_OK, "Recovery codes", "account", "recovery.html", d, c);
}

/* A code typed on these pages: throttled like a sign-in's second factor. */
static bool code_reserve(struct http_req *req, const struct page_ctx *c,
			 struct throttle_ticket *ticket, char *account, size_t account_len,
			 char *wait, size_t wait_len)
{
	snprintf(account, account_len, "2fa:%s", c->user.email);
	if (throttle_reserve(jeton_of(req)->throttle, account, req->client_ip, time_now_ms(),
			     ticket))
		return true;
	console_throttled(req, ticket->retry_after, wait, wait_len);
	return false;
}

/* Ends every other session of the user: the second factor changed. */
static void sign_out_others(struct http_req *req, const struct page_ctx *c)
{
	uint8_t mine[STORE_HASH_LEN] = {0};
	session_hash(req, mine);
	store_session_delete_user(jeton_of(req)->store, c->user.id, mine);
}

static void confirm(struct http_req *req, const struct page_ctx *c)
{
	struct jeton *jt = jeton_of(req);
	char code[40], account[LIMIT_EMAIL_BYTES + 8], wait[96];
	char secret[TOTP_SECRET_BASE32 + 1] = "";
	char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1];
	struct throttle_ticket ticket;
	http_form_field(req, "code", code, sizeof code);
	if (!code_reserve(req, c, &ticket, account, sizeof account, wait, sizeof wait)) {
		auth_totp_pending(jt->store, jt->keys, c->user.id, secret);
		enrol_page(req, JT_ETHROTTLED, c, secret[0] ? secret : NULL, wait);
		crypto_wipe(secret, sizeof secret);
		return;
	}
	enum jt_status st = auth_totp_confirm(jt->store, jt->keys, c->user.id, code, codes);
	crypto_wipe(code, sizeof code);
	if (st == JT_OK) {
		throttle_release(jt->throttle, &ticket, account, req->client_ip);
		sign_out_others(req, c);
		audit_record(jt->store, c->user.id, c->user.email, "2fa.enabled", req->client_ip,
			     true, "authenticator app; other sessions signed out");
		recovery_page(req, c, codes, false);
		crypto_wipe(codes, sizeof codes);
		return;
	}
	auth_totp_pending(jt->store, jt->keys, c->user.id, secret);
	enrol_page(req, st == JT_ENOTFOUND ? JT_EINVAL : st, c, secret[0] ? secret : NULL,
		   st == JT_ENOTFOUND ? "The code is not right: enter the one your app shows now."
				      : "Two-factor sign-in could not be turned on; start again.");
	crypto_wipe(secret, sizeof secret);
}

static void disable(struct http_req *req, const struct page_ctx *c)
{
	struct jeton *jt = jeton_of(req);
	char code[40], account[LIMIT_EMAIL_BYTES + 8], wait[96];
	struct throttle_ticket ticket;
	bool recovery;
	http_form_field(req, "code", code, sizeof code);
	if (!code_reserve(req, c, &ticket, account, sizeof account, wait, sizeof wait)) {
		console_account_page(req, JT_ETHROTTLED, c, NULL, wait);
		return;
	}
	enum jt_status st = auth_second_factor(jt->store, jt->keys, c->user.id, code, &recovery);
	crypto_wipe(code, sizeof code);
	if (st == JT_OK) {
		throttle_release(jt->throttle, &ticket, account, req->client_ip);
		st = store_totp_delete(jt->store, c->user.id, false);
	}
	audit_record(jt->store, c->user.id, c->user.email, "2fa.disabled", req->client_ip,
		     st == JT_OK, "%s", st == JT_OK ? "by the user" : "wrong code");
	if (st == JT_OK) {
		sign_out_others(req, c);
		console_account_page(req, JT_OK, c,
				     "Two-factor sign-in is off, and your other sessions were "
				     "signed out.",
				     NULL);
	} else {
		console_account_page(req, st == JT_ENOTFOUND || st == JT_ECONFLICT ? JT_EINVAL : st,
				     c, NULL, "The code is not right.");
	}
}

/* A new set of recovery codes, for a current code from the app. */
static void renew_recovery(struct http_req *req, const struct page_ctx *c)
{
	struct jeton *jt = jeton_of(req);
	char code[40], account[LIMIT_EMAIL_BYTES + 8], wait[96];
	char codes[STORE_RECOVERY_CODES][RECOVERY_CODE_CHARS + 1];
	struct throttle_ticket ticket;
	http_form_field(req, "code", code, sizeof code);
	if (!code_reserve(req, c, &ticket, account, sizeof account, wait, sizeof wait)) {
		console_account_page(req, JT_ETHROTTLED, c, NULL, wait);
		return;
	}
	enum jt_status st = auth_totp_renew_recovery(jt->store, jt->keys, c->user.id, code, codes);
	crypto_wipe(code, sizeof code);
	bool refused = st == JT_ENOTFOUND || st == JT_ECONFLICT;
	if (st == JT_OK)
		throttle_release(jt->throttle, &ticket, account, req->client_ip);
	audit_record(jt->store, c->user.id, c->user.email, "2fa.recovery_renewed", req->client_ip,
		     st == JT_OK, "%s",
		     st == JT_OK          ? "ten new recovery codes; the old ones no longer work"
		     : st == JT_ECONFLICT ? "code used already"
		     : refused            ? "wrong code"
					  : "store unavailable");
	if (st == JT_OK)
		recovery_page(req, c, codes, true);
	else if (refused)
		console_account_page(
			req, JT_EINVAL, c, NULL,
			st == JT_ECONFLICT ? "This code was used already. Wait for the next one."
					   : "The code is not right: enter the one your app shows "
					     "now.");
	else
		console_account_page(req, st, c, NULL,
				     "New recovery codes could not be made; your old ones still "
				     "work. Try again.");
	crypto_wipe(codes, sizeof codes);
}

/* GET, POST /console/account/2fa: action=begin|confirm|disable|recovery. */
void console_totp(struct http_req *req)
{
	struct page_ctx c;
	struct jeton *jt = jeton_of(req);
	char action[16], secret[TOTP_SECRET_BASE32 + 1];
	bool enabled = false;
	if (!console_begin(req, false, &c))
		return;
	enum jt_status st = auth_totp_enabled(jt->store, c.user.id, &enabled);
	if (st != JT_OK) {
		page_fail(req, st, NULL, &c);
		return;
	}
	http_form_field(req, "action", action, sizeof action);
	if (req->method == HTTP_POST && strcmp(action, "disable") == 0) {
		disable(req, &c);
	} else if (req->method == HTTP_POST && strcmp(action, "recovery") == 0 && enabled) {
		renew_recovery(req, &c);
	} else if (enabled || strcmp(action, "recovery") == 0) {
		/* nothing to enrol, or no app to renew codes with: see Account */
		http_redirect(req, 303, "/console/account");
	} else if (req->method != HTTP_POST) {
		/* an enrolment in progress is shown again; none: a button starts one */
		bool pending = auth_totp_pending(jt->store, jt->keys, c.user.id, secret) == JT_OK;
		enrol_page(req, JT_OK, &c, pending ? secret : NULL, NULL);
		crypto_wipe(secret, sizeof secret);
	} else if (strcmp(action, "begin") == 0) {
		st = auth_totp_begin(jt->store, jt->keys, c.user.id, secret);
		if (st == JT_OK)
			enrol_page(req, JT_OK, &c, secret, NULL);
		else
			page_fail(req, st, NULL, &c);
		crypto_wipe(secret, sizeof secret);
	} else if (strcmp(action, "confirm") == 0) {
		confirm(req, &c);
	} else {
		enrol_page(req, JT_EINVAL, &c, NULL, "Unknown action.");
	}
}
