/* SPDX-License-Identifier: MIT */
/* Every record of store.h described once: which column holds which field,
 * as what. The descriptions make the SELECT lists and INSERTs (query.c),
 * read rows into structs, bind structs to parameters, and copy tables
 * between stores (copy.c). */
#include "store/query.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define F(S, col, type, member)                                                                    \
	{                                                                                          \
		col, type, offsetof(S, member), sizeof(((S *)0)->member), 0                        \
	}
#define F_AUX(S, col, type, member, aux)                                                           \
	{                                                                                          \
		col, type, offsetof(S, member), sizeof(((S *)0)->member), offsetof(S, aux)         \
	}
#define NFIELDS(arr) arr, (int)(sizeof arr / sizeof arr[0])
#define FIELDS(arr)  NFIELDS(arr), false
#define SEEDED(arr)  NFIELDS(arr), true /* the migrations make its one row */

static const struct field user_fields[] = {
	F(struct user, "id", F_INT, id),
	F(struct user, "email", F_TEXT, email),
	F(struct user, "friendly_name", F_TEXT, friendly_name),
	F(struct user, "password_hash", F_TEXT0, password_hash),
	F(struct user, "admin", F_BOOL, admin),
	F(struct user, "disabled", F_BOOL, disabled),
	F(struct user, "password_must_change", F_BOOL, password_must_change),
	F(struct user, "created_at", F_INT, created_at),
};
const struct record rec_user = {"users", "id", "id", sizeof(struct user), FIELDS(user_fields)};

static const struct field space_fields[] = {
	F(struct space, "id", F_INT, id),
	F(struct space, "name", F_TEXT, name),
	F(struct space, "created_at", F_INT, created_at),
};
const struct record rec_space = {"spaces", "id", "id", sizeof(struct space), FIELDS(space_fields)};

/* A space and one user's role in it: spaces s joined to memberships m. */
static const struct field space_role_fields[] = {
	F(struct space, "s.id", F_INT, id),
	F(struct space, "s.name", F_TEXT, name),
	F(struct space, "s.created_at", F_INT, created_at),
	F(struct space, "m.role", F_TEXT0, role),
};
const struct record rec_space_role = {NULL, NULL, NULL, sizeof(struct space),
				      FIELDS(space_role_fields)};

/* The memberships table itself, for copy. */
static const struct field membership_row_fields[] = {
	F(struct membership, "space_id", F_INT, space_id),
	F(struct membership, "user_id", F_INT, user_id),
	F(struct membership, "role", F_TEXT, role),
};
const struct record rec_membership_row = {"memberships", "space_id, user_id", NULL,
					  sizeof(struct membership), FIELDS(membership_row_fields)};

/* A membership with its space, user and role joined (query.c). */
static const struct field membership_fields[] = {
	F(struct membership, "m.space_id", F_INT, space_id),
	F(struct membership, "s.name", F_TEXT, space_name),
	F(struct membership, "m.user_id", F_INT, user_id),
	F(struct membership, "u.email", F_TEXT, email),
	F(struct membership, "m.role", F_TEXT, role),
	F(struct membership, "r.permissions", F_TEXT, permissions),
};
const struct record rec_membership = {NULL, NULL, NULL, sizeof(struct membership),
				      FIELDS(membership_fields)};

static const struct field pat_fields[] = {
	F(struct pat, "id", F_INT, id),
	F(struct pat, "user_id", F_INT, user_id),
	F(struct pat, "name", F_TEXT, name),
	F(struct pat, "token_hash", F_HASH, token_hash),
	F(struct pat, "display_prefix", F_TEXT, display_prefix),
	F(struct pat, "scopes", F_TEXT, scopes),
	F(struct pat, "created_at", F_INT, created_at),
	F(struct pat, "expires_at", F_INT0, expires_at),
	F(struct pat, "last_used_at", F_INT0, last_used_at),
	F(struct pat, "last_used_ip", F_TEXT0, last_used_ip),
	F(struct pat, "revoked_at", F_INT0, revoked_at),
	F(struct pat, "revoked_reason", F_TEXT0, revoked_reason),
	F(struct pat, "rotated_at", F_INT0, rotated_at),
};
const struct record rec_pat = {"pats", "id", "id", sizeof(struct pat), FIELDS(pat_fields)};

static const struct field app_fields[] = {
	F(struct app, "id", F_INT, id),
	F(struct app, "client_id", F_TEXT, client_id),
	F_AUX(struct app, "secret_hash", F_HASH0, secret_hash, has_secret),
	F(struct app, "name", F_TEXT, name),
	F(struct app, "redirect_uris", F_TEXT, redirect_uris),
	F(struct app, "grants", F_TEXT, grants),
	F(struct app, "scopes", F_TEXT, scopes),
	F(struct app, "public", F_BOOL, public_client),
	F(struct app, "access_ttl", F_INT, access_ttl),
	F(struct app, "refresh_ttl", F_INT, refresh_ttl),
	F(struct app, "rotate_refresh", F_BOOL, rotate_refresh),
	F(struct app, "token_format", F_TEXT, token_format),
	F(struct app, "owner_id", F_INT0, owner_id),
	F(struct app, "created_at", F_INT, created_at),
	F(struct app, "secret_rotated_at", F_INT0, secret_rotated_at),
	F(struct app, "allow_pkce_plain", F_BOOL, allow_pkce_plain),
	F(struct app, "introspect", F_BOOL, introspect),
	F(struct app, "refresh_grace", F_INT, refresh_grace),
};
const struct record rec_app = {"apps", "id", "id", sizeof(struct app), FIELDS(app_fields)};

static const struct field code_fields[] = {
	F(struct auth_code, "code_hash", F_HASH, hash),
	F(struct auth_code, "app_id", F_INT, app_id),
	F(struct auth_code, "user_id", F_INT, user_id),
	F(struct auth_code, "space_id", F_INT, space_id),
	F(struct auth_code, "redirect_uri", F_TEXT, redirect_uri),
	F(struct auth_code, "redirect_given", F_BOOL, redirect_given),
	F(struct auth_code, "scopes", F_TEXT, scopes),
	F(struct auth_code, "challenge", F_TEXT, challenge),
	F(struct auth_code, "challenge_method", F_TEXT, challenge_method),
	F(struct auth_code, "family_id", F_INT, family_id),
	F(struct auth_code, "created_at", F_INT, created_at),
	F(struct auth_code, "expires_at", F_INT, expires_at),
	F(struct auth_code, "used_at", F_INT0, used_at),
};
const struct record rec_code = {"auth_codes", "code_hash", NULL, sizeof(struct auth_code),
				FIELDS(code_fields)};

static const struct field token_fields[] = {
	F(struct oauth_token, "id", F_INT, id),
	F(struct oauth_token, "token_hash", F_HASH, hash),
	F(struct oauth_token, "kind", F_TEXT, kind),
	F(struct oauth_token, "app_id", F_INT0, app_id),
	F(struct oauth_token, "user_id", F_INT0, user_id),
	F(struct oauth_token, "space_id", F_INT0, space_id),
	F(struct oauth_token, "family_id", F_INT, family_id),
	F(struct oauth_token, "scopes", F_TEXT, scopes),
	F(struct oauth_token, "created_at", F_INT, created_at),
	F(struct oauth_token, "expires_at", F_INT, expires_at),
	F(struct oauth_token, "revoked_at", F_INT0, revoked_at),
	F(struct oauth_token, "rotated_at", F_INT0, rotated_at),
	F(struct oauth_token, "last_used_at", F_INT0, last_used_at),
	F(struct oauth_token, "last_used_ip", F_TEXT0, last_used_ip),
	F(struct oauth_token, "revoked_reason", F_TEXT0, revoked_reason),
	F(struct oauth_token, "jti", F_TEXT0, jti),
};
const struct record rec_token = {"oauth_tokens", "id", "id", sizeof(struct oauth_token),
				 FIELDS(token_fields)};

static const struct field policy_fields[] = {
	F(struct policy, "pat_max_lifetime", F_INT, pat_max_lifetime),
	F(struct policy, "pat_require_expiry", F_BOOL, pat_require_expiry),
	F(struct policy, "require_2fa", F_TEXT, require_2fa),
	F(struct policy, "updated_at", F_INT, updated_at),
};
const struct record rec_policy = {"policy", "id", NULL, sizeof(struct policy),
				  SEEDED(policy_fields)};

/* The inventory's union of pats and oauth_tokens (x), joined to users u
 * and apps a (query.c). */
static const struct field inventory_fields[] = {
	F(struct inventory_item, "x.kind", F_TEXT, kind),
	F(struct inventory_item, "x.id", F_INT, id),
	F(struct inventory_item, "x.user_id", F_INT0, user_id),
	F(struct inventory_item, "u.email", F_TEXT0, email),
	F(struct inventory_item, "x.app_id", F_INT0, app_id),
	F(struct inventory_item, "a.name", F_TEXT0, app_name),
	F(struct inventory_item, "a.client_id", F_TEXT0, client_id),
	F(struct inventory_item, "a.token_format", F_TEXT0, token_format),
	F(struct inventory_item, "x.space_id", F_INT0, space_id),
	F(struct inventory_item, "x.name", F_TEXT0, name),
	F(struct inventory_item, "x.scopes", F_TEXT, scopes),
	F(struct inventory_item, "x.created_at", F_INT, created_at),
	F(struct inventory_item, "x.expires_at", F_INT0, expires_at),
	F(struct inventory_item, "x.last_used_at", F_INT0, last_used_at),
	F(struct inventory_item, "x.last_used_ip", F_TEXT0, last_used_ip),
	F(struct inventory_item, "x.revoked_at", F_INT0, revoked_at),
	F(struct inventory_item, "x.revoked_reason", F_TEXT0, revoked_reason),
	F(struct inventory_item, "x.rotated_at", F_INT0, rotated_at),
	F(struct inventory_item, "x.jti", F_TEXT0, jti),
};
const struct record rec_inventory = {NULL, NULL, NULL, sizeof(struct inventory_item),
				     FIELDS(inventory_fields)};

static const struct field session_fields[] = {
	F(struct session, "session_hash", F_HASH, hash),
	F(struct session, "user_id", F_INT, user_id),
	F(struct session, "created_at", F_INT, created_at),
	F(struct session, "expires_at", F_INT, expires_at),
	F(struct session, "ip", F_TEXT, ip),
	F(struct session, "last_seen_at", F_INT, last_seen_at),
	F(struct session, "user_agent", F_TEXT, user_agent),
	F(struct session, "pending", F_BOOL, pending),
};
const struct record rec_session = {"sessions", "session_hash", NULL, sizeof(struct session),
				   FIELDS(session_fields)};

static const struct field device_fields[] = {
	F(struct device_auth, "device_hash", F_HASH, device_hash),
	F(struct device_auth, "user_code_hash", F_HASH, user_code_hash),
	F(struct device_auth, "app_id", F_INT, app_id),
	F(struct device_auth, "scopes", F_TEXT, scopes),
	F(struct device_auth, "family_id", F_INT, family_id),
	F(struct device_auth, "created_at", F_INT, created_at),
	F(struct device_auth, "expires_at", F_INT, expires_at),
	F(struct device_auth, "poll_interval", F_INT, poll_interval),
	F(struct device_auth, "polled_at", F_INT, polled_at),
	F(struct device_auth, "decision", F_TEXT, decision),
	F(struct device_auth, "user_id", F_INT0, user_id),
	F(struct device_auth, "space_id", F_INT, space_id),
	F(struct device_auth, "used_at", F_INT0, used_at),
};
const struct record rec_device = {"device_codes", "device_hash", NULL, sizeof(struct device_auth),
				  FIELDS(device_fields)};

static const struct field successor_fields[] = {
	F(struct refresh_successor, "token_id", F_INT, token_id),
	F_AUX(struct refresh_successor, "sealed", F_BYTES, sealed, sealed_len),
	F(struct refresh_successor, "expires_at", F_INT, expires_at),
};
const struct record rec_successor = {"refresh_successors", "token_id", NULL,
				     sizeof(struct refresh_successor), FIELDS(successor_fields)};

static const struct field totp_fields[] = {
	F(struct totp, "user_id", F_INT, user_id),
	F_AUX(struct totp, "sealed", F_BYTES, sealed, sealed_len),
	F(struct totp, "enabled", F_BOOL, enabled),
	F(struct totp, "last_step", F_INT, last_step),
	F(struct totp, "created_at", F_INT, created_at),
};
const struct record rec_totp = {"totp", "user_id", NULL, sizeof(struct totp), FIELDS(totp_fields)};

static const struct field recovery_fields[] = {
	F(struct recovery_code, "code_hash", F_HASH, hash),
	F(struct recovery_code, "user_id", F_INT, user_id),
	F(struct recovery_code, "used_at", F_INT0, used_at),
};
const struct record rec_recovery = {"recovery_codes", "code_hash", NULL,
				    sizeof(struct recovery_code), FIELDS(recovery_fields)};

static const struct field audit_fields[] = {
	F(struct audit_event, "id", F_INT, id),
	F(struct audit_event, "at", F_INT, at),
	F(struct audit_event, "actor_id", F_INT, actor_id),
	F(struct audit_event, "actor", F_TEXT, actor),
	F(struct audit_event, "action", F_TEXT, action),
	F(struct audit_event, "target", F_TEXT, target),
	F(struct audit_event, "ip", F_TEXT, ip),
	F(struct audit_event, "outcome", F_OUTCOME, success),
};
const struct record rec_audit = {"audit", "id", "id", sizeof(struct audit_event),
				 FIELDS(audit_fields)};

static const struct field key_fields[] = {
	F(struct signing_key, "kid", F_TEXT, kid),
	F(struct signing_key, "alg", F_TEXT, alg),
	F_AUX(struct signing_key, "sealed_key", F_BYTES, sealed, sealed_len),
	F(struct signing_key, "public_jwk", F_TEXT, public_jwk),
	F(struct signing_key, "created_at", F_INT, created_at),
	F(struct signing_key, "retired_at", F_INT0, retired_at),
	F(struct signing_key, "unpublish_at", F_INT0, unpublish_at),
};
const struct record rec_key = {"signing_keys", "kid", NULL, sizeof(struct signing_key),
			       FIELDS(key_fields)};

/* A login-throttle counter, its key apart (throttle.c); never copied: it
 * counts for minutes. */
static const struct field throttle_fields[] = {
	F(struct throttle_count, "failures", F_INT, failures),
	F(struct throttle_count, "passes", F_INT, passes),
	F(struct throttle_count, "start_ms", F_INT, start_ms),
	F(struct throttle_count, "last_ms", F_INT, last_ms),
	F(struct throttle_count, "reported_ms", F_INT, reported_ms),
	F(struct throttle_count, "until_ms", F_INT, until_ms),
};
const struct record rec_throttle = {"throttle", "key", NULL, sizeof(struct throttle_count),
				    FIELDS(throttle_fields)};

static const struct field scanner_fields[] = {
	F(struct scanner, "name", F_TEXT, name),
	F(struct scanner, "key_id", F_TEXT, key_id),
	F(struct scanner, "public_key", F_TEXT, public_key),
	F(struct scanner, "created_at", F_INT, created_at),
};
const struct record rec_scanner = {"scanners", "name", NULL, sizeof(struct scanner),
				   FIELDS(scanner_fields)};

static const struct field leak_fields[] = {
	F(struct token_leak, "token_hash", F_HASH, token_hash),
	F(struct token_leak, "kind", F_TEXT, kind),
	F(struct token_leak, "token_id", F_INT, token_id),
	F(struct token_leak, "user_id", F_INT0, user_id),
	F(struct token_leak, "url", F_TEXT, url),
	F(struct token_leak, "source", F_TEXT, source),
	F(struct token_leak, "reporter", F_TEXT, reporter),
	F(struct token_leak, "reported_at", F_INT, reported_at),
};
const struct record rec_leak = {"token_leaks", "token_hash", NULL, sizeof(struct token_leak),
				FIELDS(leak_fields)};

/* Roles are seeded by the migrations on both drivers and never change:
 * not copied. Nor are the login-throttle counters (rec_throttle). */
const struct record *const copy_tables[COPY_TABLES] = {
	&rec_user,    &rec_space,     &rec_membership_row, &rec_pat,      &rec_app,   &rec_code,
	&rec_token,   &rec_successor, &rec_device,         &rec_session,  &rec_key,   &rec_audit,
	&rec_scanner, &rec_leak,      &rec_totp,           &rec_recovery, &rec_policy};

static void read_field(const struct field *f, const struct sql_value *v, char *base)
{
	char *at = base + f->offset;
	size_t n = v->null ? 0 : v->len;
	int64_t i = v->null ? 0 : v->i;
	bool b;

	switch (f->type) {
	case F_INT:
	case F_INT0:
		memcpy(at, &i, sizeof i);
		break;
	case F_BOOL:
		b = i != 0;
		memcpy(at, &b, sizeof b);
		break;
	case F_TEXT:
	case F_TEXT0:
		if (v->type != SQL_TEXT)
			n = 0;
		if (n >= f->size)
			n = f->size - 1;
		if (n)
			memcpy(at, v->p, n);
		at[n] = '\0';
		break;
	case F_HASH:
	case F_HASH0:
		b = v->type == SQL_BLOB && n == STORE_HASH_LEN;
		if (b)
			memcpy(at, v->p, STORE_HASH_LEN);
		if (f->type == F_HASH0)
			memcpy(base + f->aux, &b, sizeof b);
		break;
	case F_BYTES:
		if (v->type != SQL_BLOB || n > f->size)
			n = 0;
		if (n)
			memcpy(at, v->p, n);
		memcpy(base + f->aux, &n, sizeof n);
		break;
	case F_OUTCOME:
		b = v->type == SQL_TEXT && n == 7 && memcmp(v->p, "success", 7) == 0;
		memcpy(at, &b, sizeof b);
		break;
	}
}

void record_read(const struct record *rec, struct store_conn *c, void *out)
{
	memset(out, 0, rec->size);
	for (int i = 0; i < rec->nfields; i++) {
		struct sql_value v = c->st->d->column(c, i);
		read_field(&rec->fields[i], &v, out);
	}
}

static struct sql_value field_arg(const struct field *f, const char *base)
{
	const char *at = base + f->offset;
	struct sql_value v = {.type = SQL_INT};
	bool b;
	size_t n;

	switch (f->type) {
	case F_INT:
	case F_INT0:
		memcpy(&v.i, at, sizeof v.i);
		v.null = f->type == F_INT0 && v.i == 0;
		break;
	case F_BOOL:
		memcpy(&b, at, sizeof b);
		v.i = b;
		break;
	case F_TEXT:
	case F_TEXT0:
		v.type = SQL_TEXT;
		v.p = at;
		v.len = strnlen(at, f->size);
		v.null = f->type == F_TEXT0 && v.len == 0;
		break;
	case F_HASH:
	case F_HASH0:
		v.type = SQL_BLOB;
		v.p = at;
		v.len = STORE_HASH_LEN;
		if (f->type == F_HASH0) {
			memcpy(&b, base + f->aux, sizeof b);
			v.null = !b;
		}
		break;
	case F_BYTES:
		memcpy(&n, base + f->aux, sizeof n);
		v.type = SQL_BLOB;
		v.p = at;
		v.len = n <= f->size ? n : 0;
		break;
	case F_OUTCOME:
		memcpy(&b, at, sizeof b);
		v.type = SQL_TEXT;
		v.p = b ? "success" : "failure";
		v.len = strlen(v.p);
		break;
	}
	return v;
}

static bool skipped(const struct record *rec, const struct field *f, bool with_generated)
{
	return !with_generated && rec->generated && strcmp(f->column, rec->generated) == 0;
}

int record_args(const struct record *rec, const void *in, bool with_generated,
		struct sql_value *args)
{
	int n = 0;
	for (int i = 0; i < rec->nfields && n < RECORD_MAX_FIELDS; i++)
		if (!skipped(rec, &rec->fields[i], with_generated))
			args[n++] = field_arg(&rec->fields[i], in);
	return n;
}

bool record_columns(const struct record *rec, bool with_generated, bool params, char *out,
		    size_t out_len)
{
	size_t used = 0;
	int n = 0;
	out[0] = '\0';
	for (int i = 0; i < rec->nfields; i++) {
		if (skipped(rec, &rec->fields[i], with_generated))
			continue;
		n++;
		int w = params ? snprintf(out + used, out_len - used, "%s?%d", n > 1 ? ", " : "", n)
			       : snprintf(out + used, out_len - used, "%s%s", n > 1 ? ", " : "",
					  rec->fields[i].column);
		if (w < 0 || (size_t)w >= out_len - used)
			return false;
		used += (size_t)w;
	}
	return n <= RECORD_MAX_FIELDS;
}
