/* SPDX-License-Identifier: MIT */
/* The admins' inventory of every token: its filters read once from their
 * text, whoever gives them (the API, the CLI, the console), its statuses
 * and its cursors. */
#include "auth/auth.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

const char *const inventory_keys[INV_KEYS] = {
	[INV_USER] = "user",
	[INV_APP] = "app",
	[INV_KIND] = "kind",
	[INV_STATUS] = "status",
	[INV_UNUSED_FOR] = "unused_for",
	[INV_EXPIRES_WITHIN] = "expires_within",
	[INV_CREATED_BEFORE] = "created_before",
	[INV_JTI] = "jti",
};

static bool one_of(const char *v, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(v, *words) == 0)
			return true;
	return false;
}

static enum jt_status fail(char *err, size_t err_len, const char *sentence, const char *key)
{
	snprintf(err, err_len, sentence, key);
	return JT_EINVAL;
}

static enum jt_status read_user(struct store *st, const char *v, int64_t *out, char *err,
				size_t err_len)
{
	struct user u;
	int64_t id;
	enum jt_status s = text_parse_i64(v, strlen(v), 1, INT64_MAX, &id) == JT_OK
				   ? store_user_get(st, id, &u)
				   : store_user_find_by_email(st, v, &u);
	if (s == JT_ENOTFOUND)
		return fail(err, err_len, "No user matches \"%s\".", v);
	*out = u.id;
	return s;
}

static enum jt_status read_app(struct store *st, const char *v, int64_t *out, char *err,
			       size_t err_len)
{
	struct app a;
	int64_t id;
	enum jt_status s = text_parse_i64(v, strlen(v), 1, INT64_MAX, &id) == JT_OK
				   ? store_app_get(st, id, &a)
				   : store_app_find_by_client_id(st, v, &a);
	if (s == JT_ENOTFOUND)
		return fail(err, err_len, "No app matches \"%s\".", v);
	*out = a.id;
	return s;
}

/* A jti names the one JWT that carries it: its kind and id, or none (id
 * -1) when no token has it or the kind filter leaves it out. */
static enum jt_status read_jti(struct store *st, const char *v, struct inventory_filter *f,
			       char *err, size_t err_len)
{
	struct oauth_token t;
	size_t n = strlen(v);
	bool base62 = n == LIMIT_JTI_CHARS;
	for (size_t i = 0; base62 && i < n; i++)
		base62 = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'z') ||
			 (v[i] >= 'A' && v[i] <= 'Z');
	if (!base62)
		return fail(err, err_len,
			    "\"%s\" must be the jti of a JWT that jeton issued (22 letters and "
			    "digits).",
			    "jti");
	enum jt_status s = store_oauth_find_by_jti(st, v, &t);
	if (s == JT_ENOTFOUND || (s == JT_OK && f->kind[0] && strcmp(f->kind, t.kind) != 0)) {
		f->id = -1;
		return JT_OK;
	}
	if (s == JT_OK) {
		f->id = t.id;
		snprintf(f->kind, sizeof f->kind, "%s", t.kind);
	}
	return s;
}

static enum jt_status read_date(const char *v, int64_t *out)
{
	char full[32];
	if (strlen(v) == 10) {
		snprintf(full, sizeof full, "%sT00:00:00Z", v);
		v = full;
	}
	return time_parse(v, strlen(v), out);
}

enum jt_status inventory_filter_read(struct store *st, const char *const values[INV_KEYS],
				     int64_t now, struct inventory_filter *f, int *given, char *err,
				     size_t err_len)
{
	static const char *const kinds[] = {"pat", "access", "refresh", "client", NULL};
	static const char *const statuses[] = {"active", "expired", "revoked", "rotated", NULL};
	enum jt_status s = JT_OK;
	int64_t d;

	memset(f, 0, sizeof *f);
	f->now = now;
	*given = 0;
	for (int k = 0; s == JT_OK && k < INV_KEYS; k++) {
		const char *v = values[k];
		if (!v || !*v)
			continue;
		++*given;
		switch ((enum inventory_key)k) {
		case INV_USER:
			s = read_user(st, v, &f->user_id, err, err_len);
			break;
		case INV_APP:
			s = read_app(st, v, &f->app_id, err, err_len);
			break;
		case INV_KIND:
			if (!one_of(v, kinds))
				return fail(err, err_len,
					    "\"%s\" must be pat, access, refresh or client.",
					    "kind");
			snprintf(f->kind, sizeof f->kind, "%s", v);
			break;
		case INV_STATUS:
			if (!one_of(v, statuses))
				return fail(err, err_len,
					    "\"%s\" must be active, expired, revoked or rotated.",
					    "status");
			snprintf(f->status, sizeof f->status, "%s", v);
			break;
		case INV_UNUSED_FOR:
		case INV_EXPIRES_WITHIN:
			if (time_parse_duration(v, strlen(v), &d) != JT_OK)
				return fail(
					err, err_len,
					"\"%s\" must be a duration such as 90d (units s, m, h, d, "
					"w).",
					inventory_keys[k]);
			if (k == INV_UNUSED_FOR)
				f->unused_since = now - d;
			else
				f->expires_by = now + d;
			break;
		case INV_CREATED_BEFORE:
			if (read_date(v, &f->created_before) != JT_OK)
				return fail(
					err, err_len,
					"\"%s\" must be a date (2026-01-31) or an RFC 3339 time.",
					"created_before");
			break;
		case INV_JTI:
			s = read_jti(st, v, f, err, err_len);
			break;
		case INV_KEYS:
			break;
		}
	}
	return s;
}

void inventory_filter_describe(const char *const values[INV_KEYS], char *out, size_t out_len)
{
	size_t n = 0;
	out[0] = '\0';
	for (int k = 0; k < INV_KEYS; k++) {
		if (!values[k] || !*values[k])
			continue;
		int w = snprintf(out + n, out_len - n, "%s%s=%s", n ? " " : "", inventory_keys[k],
				 values[k]);
		if (w < 0 || (size_t)w >= out_len - n)
			return; /* cut short: the audit log bounds it anyway */
		n += (size_t)w;
	}
}

const char *inventory_status(const struct inventory_item *t, int64_t now)
{
	if (t->revoked_at)
		return "revoked";
	if (t->rotated_at)
		return "rotated";
	if (t->expires_at && t->expires_at <= now)
		return "expired";
	return "active";
}

void inventory_cursor_format(const struct inventory_item *t, char *out, size_t out_len)
{
	snprintf(out, out_len, "%lld.%s.%lld", (long long)t->created_at, t->kind, (long long)t->id);
}

/* Splits "a.b.c" at its dots into at most three parts. */
bool inventory_cursor_parse(const char *s, struct inventory_cursor *out)
{
	const char *d1 = strchr(s, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	size_t kind_len = d2 ? (size_t)(d2 - d1 - 1) : 0;
	memset(out, 0, sizeof *out);
	if (!d2 || kind_len == 0 || kind_len >= sizeof out->kind)
		return false;
	memcpy(out->kind, d1 + 1, kind_len);
	return text_parse_i64(s, (size_t)(d1 - s), 1, INT64_MAX, &out->created_at) == JT_OK &&
	       text_parse_i64(d2 + 1, strlen(d2 + 1), 1, INT64_MAX, &out->id) == JT_OK;
}

bool inventory_ref_parse(const char *s, struct inventory_filter *f)
{
	static const char *const kinds[] = {"pat", "access", "refresh", "client", NULL};
	const char *colon = strchr(s, ':');
	size_t kind_len = colon ? (size_t)(colon - s) : 0;
	if (!colon || kind_len == 0 || kind_len >= sizeof f->kind)
		return false;
	memcpy(f->kind, s, kind_len);
	f->kind[kind_len] = '\0';
	return one_of(f->kind, kinds) &&
	       text_parse_i64(colon + 1, strlen(colon + 1), 1, INT64_MAX, &f->id) == JT_OK;
}
