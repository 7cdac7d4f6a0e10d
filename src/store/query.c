/* SPDX-License-Identifier: MIT */
/* Every statement of the store, written once with ?1, ?2 ... placeholders
 * (PostgreSQL's driver gets $1, $2 ...). A SELECT names its record and
 * gets the record's column list; an INSERT gets the record's columns and
 * parameters. PostgreSQL has its own text only where the dialects really
 * differ: case-blind email (SQLite's NOCASE column), byte-wise sorting and
 * SQLite's case-blind LIKE. */
#include "store/query.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#define QUERY_SQL_BYTES 4096

static const struct field count_field[] = {{"count(*)", F_INT, 0, sizeof(int64_t), 0}};
static const struct record rec_count = {NULL, NULL, NULL, sizeof(int64_t), count_field, 1, false};

enum query_kind {
	PLAIN,  /* sql is the statement */
	SELECT, /* SELECT <rec's columns> sql */
	INSERT, /* INSERT INTO <rec's table>(<columns>) VALUES (<params>) sql */
};

struct query_def {
	enum query_kind kind;
	const struct record *rec;
	const char *sql;
	const char *postgres;   /* PostgreSQL's own sql, or NULL */
	bool takes_access_away; /* runs on SQLite's full disk (sqlite_disk.c) */
	unsigned changes;       /* enum store_change: what other nodes must hear of */
};

#define ACCESS STORE_CHANGED_ACCESS
#define KEYS   STORE_CHANGED_KEYS

#define MEMBER_FROM                                                                                \
	"FROM memberships m JOIN spaces s ON s.id = m.space_id "                                   \
	"JOIN users u ON u.id = m.user_id JOIN roles r ON r.name = m.role "
#define AUDIT_WHERE "WHERE id < ?1 AND (?2 = '' OR actor = ?2) AND (?3 = '' OR action = ?3 OR "
#define AUDIT_REST  "AND at >= ?4 AND (?5 = 0 OR at < ?5) ORDER BY id DESC LIMIT ?6"

/* Retention (purge.c): what can never be used again. ?1: the cutoff
 * (tokens and used codes: revoked or expired before it), ?3: now. A used
 * code is kept as long as a token, so that a replay of it still revokes
 * what it yielded (RFC 6749 4.1.2). A purge deletes ?2 rows at a time and
 * frees space: it runs on SQLite's full disk too. */
#define DEAD_CODE    "(used_at IS NULL AND expires_at < ?3) OR expires_at < ?1"
#define DEAD_SESSION "expires_at < ?3"
#define DEAD_TOKEN   "revoked_at < ?1 OR expires_at < ?1"
#define DEAD_AUDIT   "at < ?1"
#define PURGE(table, key, dead)                                                                    \
	{                                                                                          \
		PLAIN, NULL,                                                                       \
			"DELETE FROM " table " WHERE " key " IN (SELECT " key " FROM " table       \
			" WHERE " dead " LIMIT ?2)",                                               \
			NULL, true                                                                 \
	}
#define DEAD(table, dead)                                                                          \
	{                                                                                          \
		SELECT, &rec_count, "FROM " table " WHERE " dead                                   \
	}
#define KEY_LIST                                                                                   \
	"FROM signing_keys WHERE unpublish_at IS NULL OR unpublish_at > ?1 "                       \
	"ORDER BY (retired_at IS NULL) DESC, created_at DESC, kid"

#define THROTTLE_COLUMNS "failures, passes, start_ms, last_ms, reported_ms, until_ms"

/* The inventory's filters (struct inventory_filter), written once for
 * pats and once for oauth_tokens, inside each branch of the union so that
 * each table's indexes serve them: ?1 user, ?2 app, ?3 kind, ?4 status,
 * ?5 now, ?6 unused since, ?7 expires by, ?8 created before, ?9 id. */
#define INV_STATUS(rotated)                                                                        \
	"(?4 = '' OR ?4 = CASE WHEN revoked_at IS NOT NULL THEN 'revoked' " rotated                \
	"WHEN expires_at IS NOT NULL AND expires_at <= ?5 THEN 'expired' ELSE 'active' END) "
#define INV_COMMON                                                                                 \
	"AND (?1 = 0 OR user_id = ?1) AND (?6 = 0 OR coalesce(last_used_at, created_at) < ?6) "    \
	"AND (?7 = 0 OR (expires_at > ?5 AND expires_at <= ?7)) "                                  \
	"AND (?8 = 0 OR created_at < ?8) AND (?9 = 0 OR id = ?9) "
/* A branch is skipped whole when its kind is not asked for: the test of ?3
 * alone is decided once, before the scan. */
#define INV_PATS                                                                                   \
	"?2 = 0 AND ?3 IN ('', 'pat') AND " INV_STATUS(                                            \
		"WHEN rotated_at IS NOT NULL THEN 'rotated' ") INV_COMMON
#define INV_TOKENS                                                                                 \
	"(?2 = 0 OR app_id = ?2) AND ?3 <> 'pat' AND (?3 = '' OR kind = ?3) AND " INV_STATUS(      \
		"WHEN rotated_at IS NOT NULL THEN 'rotated' ") INV_COMMON
/* The cursor, newest first by (created_at, pat, id) where pat is 1 for a
 * PAT and 0 for an OAuth token: ?10 created_at, ?11 pat, ?12 id. ?14 bounds
 * created_at from above (the cursor, created_before, unused_for) so that
 * each table's (created_at, id) index is walked from there. */
#define INV_AFTER(pat)                                                                             \
	"AND created_at <= ?14 AND (created_at < ?10 OR (created_at = ?10 AND (" pat " < ?11 "     \
	"OR (" pat " = ?11 AND id < ?12)))) ORDER BY created_at DESC, id DESC LIMIT ?13"
#define INV_LIST(pats, tokens)                                                                     \
	"FROM (SELECT * FROM (SELECT 'pat' AS kind, id, user_id, CAST(NULL AS BIGINT) AS "         \
	"app_id, CAST(NULL AS BIGINT) AS space_id, name, scopes, created_at, expires_at, "         \
	"last_used_at, last_used_ip, revoked_at, revoked_reason, rotated_at, "                     \
	"CAST(NULL AS TEXT) AS jti FROM pats WHERE " pats INV_PATS INV_AFTER(                      \
		"1") ") p "                                                                        \
		     "UNION ALL SELECT * FROM (SELECT kind, id, user_id, app_id, space_id, "       \
		     "CAST(NULL AS TEXT), scopes, created_at, expires_at, last_used_at, "          \
		     "last_used_ip, "                                                              \
		     "revoked_at, revoked_reason, rotated_at, jti FROM oauth_tokens WHERE " tokens \
			     INV_TOKENS INV_AFTER("0") ") t) x "                                   \
						       "LEFT JOIN users u ON u.id = x.user_id "    \
						       "LEFT JOIN apps a ON a.id = x.app_id "      \
						       "ORDER BY x.created_at DESC, x.kind = "     \
						       "'pat' DESC, x.id DESC LIMIT ?13"

/* The count of the unrevoked tokens of table matching a filter, and
 * their revocation (?10: the reason); key: the filter again in a form an
 * index serves, or "". */
#define INV_COUNT(table, key, filter)                                                              \
	{                                                                                          \
		SELECT, &rec_count, "FROM " table " WHERE " key "revoked_at IS NULL AND " filter   \
	}
#define INV_REVOKE(table, key, filter)                                                             \
	{                                                                                          \
		PLAIN, NULL,                                                                       \
			"UPDATE " table " SET revoked_at = ?5, revoked_reason = ?10 WHERE " key    \
			"revoked_at IS NULL AND " filter,                                          \
			NULL, true, ACCESS                                                         \
	}

static const struct query_def queries[Q_COUNT] = {
	[Q_PING] = {SELECT, &rec_count, "FROM roles"},
	[Q_USER_INSERT] = {INSERT, &rec_user, " RETURNING id"},
	[Q_USER_GET] = {SELECT, &rec_user, "FROM users WHERE id = ?1"},
	[Q_USER_BY_EMAIL] = {SELECT, &rec_user, "FROM users WHERE email = ?1",
			     /* users_by_email indexes lower(email) */
			     "FROM users WHERE lower(email) = lower(?1)"},
	[Q_USER_COUNT] = {SELECT, &rec_count, "FROM users"},
	[Q_USER_LIST] = {SELECT, &rec_user, "FROM users WHERE id < ?1 ORDER BY id DESC LIMIT ?2"},
	/* Disabling a user takes access away. */
	[Q_USER_UPDATE] = {PLAIN, NULL,
			   "UPDATE users SET friendly_name = ?2, password_hash = ?3, admin = ?4, "
			   "disabled = ?5, password_must_change = ?6 WHERE id = ?1",
			   NULL, true, ACCESS},
	[Q_SPACE_INSERT] = {INSERT, &rec_space, " RETURNING id"},
	[Q_SPACE_GET] = {SELECT, &rec_space, "FROM spaces WHERE id = ?1"},
	[Q_SPACE_BY_NAME] = {SELECT, &rec_space, "FROM spaces WHERE name = ?1"},
	[Q_SPACE_LIST_ALL] = {SELECT, &rec_space_role,
			      "FROM spaces s LEFT JOIN memberships m ON m.space_id = s.id "
			      "AND m.user_id = ?1 ORDER BY s.id LIMIT 10000"},
	[Q_SPACE_LIST_USER] = {SELECT, &rec_space_role,
			       "FROM spaces s JOIN memberships m ON m.space_id = s.id "
			       "WHERE m.user_id = ?1 ORDER BY s.id LIMIT 10000"},
	[Q_MEMBER_PUT] = {PLAIN, NULL,
			  "INSERT INTO memberships(space_id, user_id, role) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT (space_id, user_id) DO UPDATE SET role = excluded.role",
			  .changes = ACCESS},
	[Q_MEMBER_DELETE] = {PLAIN, NULL,
			     "DELETE FROM memberships WHERE space_id = ?1 AND user_id = ?2", NULL,
			     true, ACCESS},
	/* By email as SQLite's NOCASE column sorts: case-blind, byte by byte. */
	[Q_MEMBER_LIST] = {SELECT, &rec_membership,
			   MEMBER_FROM "WHERE m.space_id = ?1 ORDER BY u.email LIMIT 10000",
			   MEMBER_FROM "WHERE m.space_id = ?1 "
				       "ORDER BY lower(u.email) COLLATE \"C\" LIMIT 10000"},
	[Q_MEMBERSHIPS_OF_USER] = {SELECT, &rec_membership,
				   MEMBER_FROM "WHERE m.user_id = ?1 ORDER BY m.space_id LIMIT ?2"},
	[Q_PAT_INSERT] = {INSERT, &rec_pat, " RETURNING id"},
	/* user ?2 = 0: any user's */
	[Q_PAT_GET] = {SELECT, &rec_pat, "FROM pats WHERE id = ?1 AND (?2 = 0 OR user_id = ?2)"},
	[Q_PAT_LIST] = {SELECT, &rec_pat,
			"FROM pats WHERE user_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"},
	[Q_PAT_BY_HASH] = {SELECT, &rec_pat, "FROM pats WHERE token_hash = ?1"},
	[Q_PAT_REVOKE] = {PLAIN, NULL,
			  "UPDATE pats SET revoked_at = ?3 WHERE id = ?1 "
			  "AND (?2 = 0 OR user_id = ?2) AND revoked_at IS NULL",
			  NULL, true, ACCESS},
	/* Rotation: only a live token. On PostgreSQL a second rotation of the
	 * same token waits for the first's row lock, then matches nothing. */
	[Q_PAT_RETIRE] =
		{PLAIN, NULL,
		 "UPDATE pats SET revoked_at = ?3 WHERE id = ?1 "
		 "AND (?2 = 0 OR user_id = ?2) AND revoked_at IS NULL AND rotated_at IS NULL "
		 "AND (expires_at IS NULL OR expires_at > ?3)",
		 .changes = ACCESS},
	/* Rotation with an overlap: the old secret works until ?4. */
	[Q_PAT_OVERLAP] =
		{PLAIN, NULL,
		 "UPDATE pats SET rotated_at = ?3, expires_at = ?4 WHERE id = ?1 "
		 "AND (?2 = 0 OR user_id = ?2) AND revoked_at IS NULL AND rotated_at IS NULL "
		 "AND (expires_at IS NULL OR expires_at > ?3)",
		 .changes = ACCESS},
	[Q_PAT_TOUCH] = {PLAIN, NULL,
			 "UPDATE pats SET last_used_at = ?2, last_used_ip = ?3 WHERE id = ?1"},
	[Q_APP_INSERT] = {INSERT, &rec_app, " RETURNING id"},
	[Q_APP_GET] = {SELECT, &rec_app, "FROM apps WHERE id = ?1"},
	[Q_APP_BY_CLIENT_ID] = {SELECT, &rec_app, "FROM apps WHERE client_id = ?1"},
	[Q_APP_LIST] = {SELECT, &rec_app, "FROM apps WHERE id < ?1 ORDER BY id DESC LIMIT ?2"},
	[Q_APP_UPDATE] =
		{PLAIN, NULL,
		 "UPDATE apps SET name = ?2, redirect_uris = ?3, grants = ?4, scopes = ?5, "
		 "public = ?6, access_ttl = ?7, refresh_ttl = ?8, rotate_refresh = ?9, "
		 "token_format = ?10, allow_pkce_plain = ?11, introspect = ?12, "
		 "refresh_grace = ?13 WHERE id = ?1",
		 .changes = ACCESS},
	[Q_APP_DELETE] = {PLAIN, NULL, "DELETE FROM apps WHERE id = ?1", NULL, true, ACCESS},
	/* Replacing a leaked client secret takes access away. */
	[Q_APP_SET_SECRET] = {PLAIN, NULL,
			      "UPDATE apps SET secret_hash = ?2, secret_rotated_at = ?3 "
			      "WHERE id = ?1",
			      NULL, true, ACCESS},
	[Q_CODE_INSERT] = {INSERT, &rec_code, ""},
	[Q_CODE_GET] = {SELECT, &rec_code, "FROM auth_codes WHERE code_hash = ?1"},
	/* Of two redemptions at once one matches; on PostgreSQL the second
	 * waits for the first's row lock, held until its tokens commit. */
	[Q_CODE_USE] = {PLAIN, NULL,
			"UPDATE auth_codes SET used_at = ?2 WHERE code_hash = ?1 "
			"AND used_at IS NULL"},
	[Q_TOKEN_INSERT] = {INSERT, &rec_token, " RETURNING id"},
	[Q_TOKEN_BY_HASH] = {SELECT, &rec_token, "FROM oauth_tokens WHERE token_hash = ?1"},
	[Q_TOKEN_BY_JTI] = {SELECT, &rec_token, "FROM oauth_tokens WHERE jti = ?1"},
	[Q_TOKEN_REVOKE] = {PLAIN, NULL,
			    "UPDATE oauth_tokens SET revoked_at = ?2 WHERE id = ?1 "
			    "AND revoked_at IS NULL",
			    NULL, true, ACCESS},
	[Q_TOKEN_REVOKE_FAMILY] = {PLAIN, NULL,
				   "UPDATE oauth_tokens SET revoked_at = ?2 WHERE family_id = ?1 "
				   "AND family_id <> 0 AND revoked_at IS NULL",
				   NULL, true, ACCESS},
	/* Like Q_CODE_USE: one of two refreshes at once matches. */
	[Q_TOKEN_ROTATE] = {PLAIN, NULL,
			    "UPDATE oauth_tokens SET rotated_at = ?2 WHERE id = ?1 "
			    "AND rotated_at IS NULL AND revoked_at IS NULL"},
	[Q_TOKEN_TOUCH] =
		{PLAIN, NULL,
		 "UPDATE oauth_tokens SET last_used_at = ?2, last_used_ip = ?3 WHERE id = ?1"},
	[Q_SUCCESSOR_INSERT] = {INSERT, &rec_successor, ""},
	[Q_SUCCESSOR_GET] = {SELECT, &rec_successor,
			     "FROM refresh_successors WHERE token_id = ?1 AND expires_at > ?2"},
	[Q_SUCCESSOR_DELETE] = {PLAIN, NULL, "DELETE FROM refresh_successors WHERE token_id = ?1"},
	/* A refresh wipes a bounded number of ended windows, oldest first. */
	[Q_SUCCESSOR_SWEEP] = {PLAIN, NULL,
			       "DELETE FROM refresh_successors WHERE token_id IN (SELECT token_id "
			       "FROM refresh_successors WHERE expires_at <= ?1 "
			       "ORDER BY expires_at LIMIT 64)"},
	[Q_DEVICE_INSERT] = {INSERT, &rec_device, ""},
	[Q_DEVICE_BY_USER_CODE] = {SELECT, &rec_device,
				   "FROM device_codes WHERE user_code_hash = ?1"},
	[Q_DEVICE_BY_DEVICE_CODE] = {SELECT, &rec_device,
				     "FROM device_codes WHERE device_hash = ?1"},
	[Q_DEVICE_DECIDE] = {PLAIN, NULL,
			     "UPDATE device_codes SET decision = ?2, user_id = ?3, space_id = ?4, "
			     "scopes = ?5 WHERE user_code_hash = ?1 AND decision = '' "
			     "AND expires_at > ?6"},
	[Q_DEVICE_POLLED] = {PLAIN, NULL,
			     "UPDATE device_codes SET polled_at = ?2, poll_interval = ?3 "
			     "WHERE device_hash = ?1"},
	/* Of two polls at once one matches: the tokens are issued once. */
	[Q_DEVICE_USE] = {PLAIN, NULL,
			  "UPDATE device_codes SET used_at = ?2 WHERE device_hash = ?1 "
			  "AND decision = 'allowed' AND used_at IS NULL"},
	/* An app's sign-ins still running, bounded (LIMIT_DEVICE_PENDING). */
	[Q_DEVICE_PENDING] = {SELECT, &rec_count,
			      "FROM device_codes WHERE app_id = ?1 AND expires_at > ?2 "
			      "AND used_at IS NULL"},
	[Q_DEVICE_SWEEP] =
		{PLAIN, NULL,
		 "DELETE FROM device_codes WHERE device_hash IN (SELECT device_hash "
		 "FROM device_codes WHERE expires_at <= ?1 ORDER BY expires_at LIMIT 64)"},
	/* An authorized app's tokens (oauth_tokens_by_user_created). */
	[Q_TOKEN_LIST_USER_GRANTS] =
		{SELECT, &rec_token,
		 "FROM oauth_tokens WHERE user_id = ?1 AND app_id IS NOT NULL "
		 "AND revoked_at IS NULL ORDER BY app_id, space_id, id LIMIT ?2"},
	/* space ?3 = 0: in every space */
	[Q_TOKEN_REVOKE_GRANT] =
		{PLAIN, NULL,
		 "UPDATE oauth_tokens SET revoked_at = ?4 WHERE user_id = ?1 "
		 "AND app_id = ?2 AND (?3 = 0 OR space_id = ?3) AND revoked_at IS NULL",
		 NULL, true, ACCESS},
	/* A code issued before the grant was revoked must not revive it. */
	[Q_CODE_SPEND_GRANT] = {PLAIN, NULL,
				"UPDATE auth_codes SET used_at = ?4 WHERE user_id = ?1 "
				"AND app_id = ?2 AND (?3 = 0 OR space_id = ?3) AND used_at IS NULL",
				NULL, true},
	/* Each branch takes its own newest ?13 first, by its index. The
	 * variants repeat a filter in a form an index serves, so that the
	 * planner may walk that index rather than every creation time: one
	 * token (its primary key), one user's ((user_id, created_at, id)), one
	 * app's, what expires soon (the expiry indexes). store_inventory_list
	 * picks one. */
	[Q_INVENTORY_LIST] = {SELECT, &rec_inventory, INV_LIST("", "")},
	[Q_INVENTORY_LIST_ONE] = {SELECT, &rec_inventory, INV_LIST("id = ?9 AND ", "id = ?9 AND ")},
	[Q_INVENTORY_LIST_USER] = {SELECT, &rec_inventory,
				   INV_LIST("user_id = ?1 AND ", "user_id = ?1 AND ")},
	[Q_INVENTORY_LIST_APP] = {SELECT, &rec_inventory, INV_LIST("", "app_id = ?2 AND ")},
	[Q_INVENTORY_LIST_EXPIRING] = {SELECT, &rec_inventory,
				       INV_LIST("expires_at > ?5 AND expires_at <= ?7 AND ",
						"expires_at > ?5 AND expires_at <= ?7 AND ")},
	/* What expired, newest first, among the tokens that expired after ?15:
	 * found by the expiry indexes, (expires_at, created_at), and sorted.
	 * store_inventory_list widens the window until it holds the page. */
	[Q_INVENTORY_LIST_EXPIRED] = {SELECT, &rec_inventory,
				      INV_LIST("expires_at > ?15 AND expires_at <= ?5 AND ",
					       "expires_at > ?15 AND expires_at <= ?5 AND ")},
	[Q_INVENTORY_COUNT_PATS] = INV_COUNT("pats", "", INV_PATS),
	[Q_INVENTORY_COUNT_TOKENS] = INV_COUNT("oauth_tokens", "", INV_TOKENS),
	[Q_INVENTORY_REVOKE_PATS] = INV_REVOKE("pats", "", INV_PATS),
	[Q_INVENTORY_REVOKE_TOKENS] = INV_REVOKE("oauth_tokens", "", INV_TOKENS),
	/* One token, by its primary key. */
	[Q_INVENTORY_COUNT_PAT_BY_ID] = INV_COUNT("pats", "id = ?9 AND ", INV_PATS),
	[Q_INVENTORY_COUNT_TOKEN_BY_ID] = INV_COUNT("oauth_tokens", "id = ?9 AND ", INV_TOKENS),
	[Q_INVENTORY_REVOKE_PAT_BY_ID] = INV_REVOKE("pats", "id = ?9 AND ", INV_PATS),
	[Q_INVENTORY_REVOKE_TOKEN_BY_ID] = INV_REVOKE("oauth_tokens", "id = ?9 AND ", INV_TOKENS),
	[Q_POLICY_GET] = {SELECT, &rec_policy, "FROM policy WHERE id = 1"},
	[Q_POLICY_PUT] = {PLAIN, NULL,
			  "UPDATE policy SET pat_max_lifetime = ?1, pat_require_expiry = ?2, "
			  "updated_at = ?3, require_2fa = ?4 WHERE id = 1"},
	[Q_SESSION_INSERT] = {INSERT, &rec_session, ""},
	[Q_SESSION_GET] = {SELECT, &rec_session, "FROM sessions WHERE session_hash = ?1"},
	[Q_SESSION_DELETE] = {PLAIN, NULL, "DELETE FROM sessions WHERE session_hash = ?1", NULL,
			      true},
	/* Signing out after a password change. */
	[Q_SESSION_DELETE_USER] = {PLAIN, NULL,
				   "DELETE FROM sessions WHERE user_id = ?1 AND session_hash <> ?2",
				   NULL, true},
	[Q_SESSION_LIST_USER] = {SELECT, &rec_session,
				 "FROM sessions WHERE user_id = ?1 "
				 "ORDER BY created_at DESC, session_hash LIMIT ?2"},
	[Q_SESSION_DELETE_OWN] = {PLAIN, NULL,
				  "DELETE FROM sessions WHERE user_id = ?1 AND session_hash = ?2",
				  NULL, true},
	[Q_SESSION_TOUCH] = {PLAIN, NULL,
			     "UPDATE sessions SET last_seen_at = ?2, expires_at = ?3 "
			     "WHERE session_hash = ?1"},
	/* A password reset's "also revoke every token". */
	[Q_PAT_REVOKE_USER] = {PLAIN, NULL,
			       "UPDATE pats SET revoked_at = ?2, revoked_reason = ?3 "
			       "WHERE user_id = ?1 AND revoked_at IS NULL",
			       NULL, true, ACCESS},
	[Q_TOTP_GET] = {SELECT, &rec_totp, "FROM totp WHERE user_id = ?1"},
	/* A new enrolment replaces one not confirmed, never an enabled one. */
	[Q_TOTP_PUT] =
		{INSERT, &rec_totp,
		 " ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed, enabled = 0, "
		 "last_step = 0, created_at = excluded.created_at WHERE totp.enabled = 0"},
	[Q_TOTP_ENABLE] = {PLAIN, NULL,
			   "UPDATE totp SET enabled = 1, last_step = ?2 "
			   "WHERE user_id = ?1 AND enabled = 0"},
	/* Of two uses of one code at once, one matches. */
	[Q_TOTP_USE_STEP] = {PLAIN, NULL,
			     "UPDATE totp SET last_step = ?2 "
			     "WHERE user_id = ?1 AND enabled = 1 AND last_step < ?2"},
	[Q_TOTP_DELETE] = {PLAIN, NULL, "DELETE FROM totp WHERE user_id = ?1", NULL, true},
	[Q_RECOVERY_DELETE_USER] = {PLAIN, NULL, "DELETE FROM recovery_codes WHERE user_id = ?1",
				    NULL, true},
	[Q_RECOVERY_INSERT] = {INSERT, &rec_recovery, ""},
	[Q_RECOVERY_USE] = {PLAIN, NULL,
			    "UPDATE recovery_codes SET used_at = ?3 "
			    "WHERE code_hash = ?1 AND user_id = ?2 AND used_at IS NULL"},
	[Q_RECOVERY_UNUSED] = {SELECT, &rec_count,
			       "FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL"},
	[Q_TOKEN_REVOKE_USER] = {PLAIN, NULL,
				 "UPDATE oauth_tokens SET revoked_at = ?2, revoked_reason = ?3 "
				 "WHERE user_id = ?1 AND revoked_at IS NULL",
				 NULL, true, ACCESS},
	[Q_AUDIT_INSERT] = {INSERT, &rec_audit, ""},
	/* An action filter matches itself and its dotted children; SQLite's
	 * LIKE ignores ASCII case and has no escape: ILIKE ... ESCAPE ''. */
	[Q_AUDIT_LIST] = {SELECT, &rec_audit,
			  "FROM audit " AUDIT_WHERE "action LIKE ?3 || '.%') " AUDIT_REST,
			  "FROM audit " AUDIT_WHERE
			  "action ILIKE (?3 || '.%') ESCAPE '') " AUDIT_REST},
	[Q_KEY_INSERT] = {INSERT, &rec_key, "", .changes = KEYS},
	[Q_KEY_LIST] = {SELECT, &rec_key, KEY_LIST " LIMIT 100",
			KEY_LIST " COLLATE \"C\" LIMIT 100"},
	[Q_KEY_RETIRE] = {PLAIN, NULL,
			  "UPDATE signing_keys SET retired_at = ?2, unpublish_at = ?3 "
			  "WHERE kid <> ?1 AND retired_at IS NULL",
			  .changes = KEYS},
	[Q_SCANNER_INSERT] = {INSERT, &rec_scanner, ""},
	[Q_SCANNER_BY_KEY_ID] = {SELECT, &rec_scanner, "FROM scanners WHERE key_id = ?1"},
	[Q_SCANNER_LIST] = {SELECT, &rec_scanner, "FROM scanners ORDER BY name LIMIT 1000"},
	[Q_SCANNER_DELETE] = {PLAIN, NULL, "DELETE FROM scanners WHERE name = ?1", NULL, true},
	/* A replayed report finds its leaks recorded and adds nothing. The
	 * record goes with a revocation, so it runs on a full disk too. */
	[Q_LEAK_INSERT] = {INSERT, &rec_leak, " ON CONFLICT (token_hash) DO NOTHING", NULL, true},
	/* A leaked token already revoked keeps its first reason. */
	[Q_LEAK_PAT_REVOKE] = {PLAIN, NULL,
			       "UPDATE pats SET revoked_at = ?2, revoked_reason = 'leaked' "
			       "WHERE id = ?1 AND revoked_at IS NULL",
			       NULL, true, ACCESS},
	[Q_LEAK_TOKEN_REVOKE] =
		{PLAIN, NULL,
		 "UPDATE oauth_tokens SET revoked_at = ?2, revoked_reason = 'leaked' "
		 "WHERE (id = ?1 OR (family_id = ?3 AND family_id <> 0)) "
		 "AND revoked_at IS NULL",
		 NULL, true, ACCESS},
	[Q_LEAK_LIST_USER] = {SELECT, &rec_leak,
			      "FROM token_leaks WHERE user_id = ?1 "
			      "ORDER BY reported_at DESC LIMIT 1000"},
	[Q_LEAK_GET] = {SELECT, &rec_leak, "FROM token_leaks WHERE token_hash = ?1"},
	[Q_LEAK_APP_BY_SECRET] = {SELECT, &rec_app, "FROM apps WHERE secret_hash = ?1"},
	/* Only the secret that leaked: one an admin set since stays. */
	[Q_LEAK_APP_SECRET] = {PLAIN, NULL,
			       "UPDATE apps SET secret_hash = ?2, secret_rotated_at = ?3 "
			       "WHERE id = ?1 AND secret_hash = ?4",
			       NULL, true, ACCESS},
	/* What the leaked secret may have minted (oauth_tokens_by_app_client). */
	[Q_LEAK_APP_TOKENS] = {PLAIN, NULL,
			       "UPDATE oauth_tokens SET revoked_at = ?2, revoked_reason = 'leaked' "
			       "WHERE app_id = ?1 AND user_id IS NULL AND revoked_at IS NULL",
			       NULL, true, ACCESS},
	/* A login-throttle counter, held until the transaction ends. PostgreSQL
	 * creates it if absent, so that two nodes' first failures of one key
	 * queue on one row; SQLite has one writer: reading it is enough. */
	[Q_THROTTLE_LOCK] =
		{PLAIN, &rec_throttle, "SELECT " THROTTLE_COLUMNS " FROM throttle WHERE key = ?1",
		 "INSERT INTO throttle(key) VALUES (?1) ON CONFLICT (key) "
		 "DO UPDATE SET failures = throttle.failures RETURNING " THROTTLE_COLUMNS},
	[Q_THROTTLE_PUT] = {PLAIN, NULL,
			    "INSERT INTO throttle(key, " THROTTLE_COLUMNS ") "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO UPDATE SET "
			    "failures = excluded.failures, passes = excluded.passes, "
			    "start_ms = excluded.start_ms, last_ms = excluded.last_ms, "
			    "reported_ms = excluded.reported_ms, until_ms = excluded.until_ms"},
	/* Counters past their window, a batch at a time; on PostgreSQL not
	 * those an update holds, so that neither waits for the other. */
	[Q_THROTTLE_PURGE] = {PLAIN, NULL,
			      "DELETE FROM throttle WHERE key IN "
			      "(SELECT key FROM throttle WHERE until_ms <= ?1 LIMIT ?2)",
			      "DELETE FROM throttle WHERE key IN "
			      "(SELECT key FROM throttle WHERE until_ms <= ?1 LIMIT ?2 "
			      "FOR UPDATE SKIP LOCKED)",
			      true},
	[Q_THROTTLE_DEAD] = {SELECT, &rec_count, "FROM throttle WHERE until_ms <= ?1"},
	[Q_PURGE_CODES] = PURGE("auth_codes", "code_hash", DEAD_CODE),
	[Q_PURGE_SESSIONS] = PURGE("sessions", "session_hash", DEAD_SESSION),
	[Q_PURGE_PATS] = PURGE("pats", "id", DEAD_TOKEN),
	[Q_PURGE_TOKENS] = PURGE("oauth_tokens", "id", DEAD_TOKEN),
	[Q_PURGE_AUDIT] = PURGE("audit", "id", DEAD_AUDIT),
	[Q_DEAD_CODES] = DEAD("auth_codes", DEAD_CODE),
	[Q_DEAD_SESSIONS] = DEAD("sessions", DEAD_SESSION),
	[Q_DEAD_PATS] = DEAD("pats", DEAD_TOKEN),
	[Q_DEAD_TOKENS] = DEAD("oauth_tokens", DEAD_TOKEN),
	[Q_DEAD_AUDIT] = DEAD("audit", DEAD_AUDIT),
};

const struct record *query_record(enum query q)
{
	return queries[q].rec;
}

bool query_takes_access_away(int id)
{
	return id >= 0 && id < Q_COUNT && queries[id].takes_access_away;
}

unsigned query_changes(enum query q)
{
	return queries[q].changes;
}

bool query_translate(const struct store *st, const char *sql, char *out, size_t out_len)
{
	size_t n = 0;
	for (const char *s = sql; *s; s++) {
		if (n + 1 >= out_len)
			return false;
		/* The statements hold no '?' but placeholders. */
		out[n++] =
			*s == '?' && st->d->dollar_params && s[1] >= '0' && s[1] <= '9' ? '$' : *s;
	}
	out[n] = '\0';
	return true;
}

/* The text of query q for st's driver, into out. */
static bool build(const struct store *st, const struct query_def *q, char *out, size_t out_len)
{
	char cols[QUERY_SQL_BYTES / 2], params[QUERY_SQL_BYTES / 4], sql[QUERY_SQL_BYTES];
	const char *tail = st->d->dollar_params && q->postgres ? q->postgres : q->sql;
	int w;

	switch (q->kind) {
	case PLAIN:
		w = snprintf(sql, sizeof sql, "%s", tail);
		break;
	case SELECT:
		if (!record_columns(q->rec, true, false, cols, sizeof cols))
			return false;
		w = snprintf(sql, sizeof sql, "SELECT %s %s", cols, tail);
		break;
	case INSERT:
		if (!record_columns(q->rec, false, false, cols, sizeof cols) ||
		    !record_columns(q->rec, false, true, params, sizeof params))
			return false;
		w = snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES (%s)%s", q->rec->table,
			     cols, params, tail);
		break;
	default:
		return false;
	}
	return w > 0 && (size_t)w < sizeof sql && query_translate(st, sql, out, out_len);
}

enum jt_status query_build(struct store *st)
{
	char sql[QUERY_SQL_BYTES];
	st->sql = jt_calloc(Q_COUNT, sizeof *st->sql);
	if (!st->sql)
		return JT_ENOMEM;
	for (int i = 0; i < Q_COUNT; i++) {
		if (!build(st, &queries[i], sql, sizeof sql)) {
			log_error("store: statement %d does not fit", i);
			return JT_EINVAL;
		}
		st->sql[i] = jt_strdup(sql);
		if (!st->sql[i])
			return JT_ENOMEM;
	}
	return JT_OK;
}

void query_free(struct store *st)
{
	for (int i = 0; st->sql && i < Q_COUNT; i++)
		jt_free(st->sql[i]);
	jt_free(st->sql);
	st->sql = NULL;
}
