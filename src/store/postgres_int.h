/* SPDX-License-Identifier: MIT */
/* Private to the PostgreSQL backend (postgres.c, postgres_oauth.c,
 * postgres_copy.c): the connection pool and the helpers every verb uses. */
#ifndef JETON_STORE_POSTGRES_INT_H
#define JETON_STORE_POSTGRES_INT_H
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include "store/query.h"
#include "store/store_int.h"

/* Timeouts. The server's own limits fire first and leave the connection
 * usable; the client's wait is the backstop for a server that is stuck or
 * unreachable, after which the connection is reset before its next use. */
#define LIMIT_PG_PARAMS          24     /* parameters of one statement (a copied apps row: 17) */

enum pg_stmt_id {
	/* postgres_oauth.c */
	PGS_APP_INSERT,
	PGS_APP_GET,
	PGS_APP_BY_CLIENT_ID,
	PGS_APP_LIST,
	PGS_APP_UPDATE,
	PGS_APP_DELETE,
	PGS_APP_SET_SECRET,
	PGS_CODE_INSERT,
	PGS_CODE_GET,
	PGS_CODE_USE,
	PGS_OTOKEN_INSERT,
	PGS_OTOKEN_BY_HASH,
	PGS_OTOKEN_REVOKE,
	PGS_OTOKEN_REVOKE_FAMILY,
	PGS_OTOKEN_ROTATE,
	PGS_SESSION_INSERT,
	PGS_SESSION_GET,
	PGS_SESSION_DELETE,
	PGS_SESSION_DELETE_USER,
	PGS_AUDIT_INSERT,
	PGS_AUDIT_LIST,
	PGS_KEY_INSERT,
	PGS_KEY_LIST,
	PGS_KEY_RETIRE,
	PGS_COUNT
};

/* One connection of the pool. Owned by one thread between pg_acquire and
 * pg_release. */
struct pg_slot {
	struct store_conn base;
	struct pg_store *pg;
	PGconn *conn;            /* NULL until first used */
	bool bad;                /* broken or in an unknown state: reset before the next use */
	bool lost;               /* the server went away: every slot resets (pg_release) */
	unsigned epoch;          /* the pool's epoch when this connection was made */
	bool prepared[PGS_COUNT]; /* statements prepared on this session, named "jt<id>" */
	bool q_prepared[Q_COUNT]; /* the store's statements prepared on it, named "q<id>" */
	PGresult *res;           /* of the statement run() ran */
	int row;                 /* of res that step() gave */
	bool streaming;          /* res holds one row at a time (single-row mode) */
	bool stream_open;        /* ... and more results are to come */
};

struct pg_store {
	struct store base;
	char *conninfo;
	pthread_mutex_t mu;
	pthread_cond_t freed;
	struct pg_slot *slots;
	int nslots;
	int *idle;    /* stack of indexes of idle slots */
	int nidle;
	unsigned epoch; /* bumped when a connection finds the server gone */
	struct pg_slot writer; /* the writer's own connection */
	atomic_llong connect_quiet_until; /* monotonic ms: connect failures before it go unlogged */

	/* store copy (postgres_copy.c): the slot holding the import transaction */
	struct pg_slot *import_slot;
	const struct store_table *import_table; /* whose INSERT is the unnamed statement */
};

/* The parameters of one statement, in order ($1, $2, ...). Integers travel
 * as text, hashes as binary bytea. */
struct pg_params {
	int n;
	const char *values[LIMIT_PG_PARAMS];
	int lengths[LIMIT_PG_PARAMS];
	int formats[LIMIT_PG_PARAMS];
	char ints[LIMIT_PG_PARAMS][24]; /* text of integer parameters */
};

void pg_param_int(struct pg_params *p, int64_t v);
void pg_param_text(struct pg_params *p, const char *v); /* v must outlive the call */
void pg_param_bytes(struct pg_params *p, const void *v, size_t v_len);
void pg_param_null(struct pg_params *p);

struct pg_store *pg_to(struct store *st);
struct pg_slot *pg_slot_of(struct store_conn *c);

/* postgres_util.c: the driver interface (driver.h). */
struct store_conn *pg_drv_acquire(struct store *base);
void pg_drv_release(struct store_conn *c);
struct store_conn *pg_drv_writer_conn(struct store *base);
enum jt_status pg_drv_run(struct store_conn *c, int id, const char *sql,
			  const struct sql_value *args, int nargs);
enum jt_status pg_drv_step(struct store_conn *c);
struct sql_value pg_drv_column(struct store_conn *c, int i);
int64_t pg_drv_changes(struct store_conn *c);
void pg_drv_finish(struct store_conn *c);
enum jt_status pg_drv_begin(struct store_conn *c, enum txn_kind kind);
enum jt_status pg_drv_commit(struct store_conn *c);
void pg_drv_rollback(struct store_conn *c);
enum jt_status pg_drv_exec(struct store_conn *c, const char *sql);
enum jt_status pg_drv_copy_reseed(struct store_conn *c, const char *table, const char *column);
/* Sets up the pool (no connection yet); JT_EINVAL for a location libpq
 * cannot parse. pg_pool_free undoes it, also after a failure. */
enum jt_status pg_pool_init(struct pg_store *pg, const char *conninfo, int threads);
void pg_pool_free(struct pg_store *pg);
/* Takes an idle slot, waiting for one if all are busy, and (re)connects it
 * if needed. Never NULL; if it cannot connect, the slot is bad and every
 * call on it returns JT_ESTORE (logged once). */
struct pg_slot *pg_acquire(struct pg_store *pg);
void pg_release(struct pg_store *pg, struct pg_slot *c);

/* Runs statement id (prepared from sql on c on first use) with p (NULL: no
 * parameters). On JT_OK *res holds the result, which the caller PQclear()s;
 * otherwise *res is NULL. 23505 is JT_ECONFLICT, other constraint and data
 * errors JT_EINVAL, anything else JT_ESTORE (logged). */
enum jt_status pg_exec(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
		       const struct pg_params *p, PGresult **res, const char *what);
/* pg_exec for a statement without rows; changes: rows touched, or NULL. */
enum jt_status pg_exec_done(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
			    const struct pg_params *p, const char *what, int64_t *changes);
/* pg_exec that wants one row: JT_OK with it (*res, caller clears),
 * JT_ENOTFOUND without (*res NULL). */
enum jt_status pg_exec_row(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
			   const struct pg_params *p, PGresult **res, const char *what);
/* Collects every row into a fresh array of elem_size records filled by
 * read (caller frees with store_list_free). */
enum jt_status pg_collect(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
			  const struct pg_params *p, size_t elem_size,
			  void (*read)(const PGresult *, int, void *), void **items, size_t *n,
			  const char *what);
/* Runs a one-row query keyed by an integer (text_key NULL) or a text and
 * fills out with read; JT_ENOTFOUND without a row. */
enum jt_status pg_lookup(struct pg_store *pg, enum pg_stmt_id id, const char *sql, int64_t key,
			 const char *text_key, void (*read)(const PGresult *, int, void *),
			 void *out);
/* Runs SQL text without parameters (several statements allowed), waiting
 * at most timeout_ms. res: the result (caller clears), or NULL to drop it. */
enum jt_status pg_query(struct pg_slot *c, const char *sql, int timeout_ms, PGresult **res,
			const char *what);
/* Sends an already built command: the unnamed statement of postgres_copy.c.
 * sent is what the PQsend* call returned. */
enum jt_status pg_finish(struct pg_slot *c, int sent, int timeout_ms, PGresult **res,
			 const char *what);
/* The next result of the command in flight on c, waiting until
 * deadline_ms (monotonic; < 0: no limit). NULL once the command is
 * complete, or on a timeout (*timed_out set; the session is then in an
 * unknown state and the caller marks c bad). */
PGresult *pg_next_result(struct pg_slot *c, int64_t deadline_ms, bool *timed_out);
/* Maps a failed or successful result to a status, logging unexpected
 * errors (SQLSTATE and message, never a parameter) and marking c bad when
 * the connection is gone. */
enum jt_status pg_map(struct pg_slot *c, const PGresult *r, const char *what);
enum jt_status pg_begin(struct pg_slot *c);
enum jt_status pg_commit(struct pg_slot *c);
void pg_rollback(struct pg_slot *c);

/* Column readers; NULL reads as 0 or "". */
int64_t pg_col_int(const PGresult *r, int row, int col);
bool pg_col_bool(const PGresult *r, int row, int col);
/* Copies a text column into out, truncating to out_len - 1 bytes. */
void pg_col_text(const PGresult *r, int row, int col, char *out, size_t out_len);
/* A bytea column of exactly STORE_HASH_LEN bytes into out; false (out
 * zeroed) for NULL or any other length. */
bool pg_col_hash(const PGresult *r, int row, int col, uint8_t out[STORE_HASH_LEN]);
/* A bytea column into out; its length, or 0 for NULL or more than out_len
 * bytes. */
size_t pg_col_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t out_len);

/* postgres_oauth.c: the OAuth verbs of store_ops. */
enum jt_status pg_app_insert(struct store *base, struct app *a);
enum jt_status pg_app_get(struct store *base, int64_t id, struct app *out);
enum jt_status pg_app_find_by_client_id(struct store *base, const char *client_id,
					struct app *out);
enum jt_status pg_app_list(struct store *base, const struct store_page *page,
			   struct app **items, size_t *n);
enum jt_status pg_app_update(struct store *base, const struct app *a);
enum jt_status pg_app_delete(struct store *base, int64_t id);
enum jt_status pg_app_set_secret(struct store *base, int64_t id,
				 const uint8_t hash[STORE_HASH_LEN], int64_t now);
enum jt_status pg_code_insert(struct store *base, const struct auth_code *code);
enum jt_status pg_code_get(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			    struct auth_code *out);
enum jt_status pg_code_redeem(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			       int64_t now, struct oauth_token *tokens, size_t n);
enum jt_status pg_oauth_insert(struct store *base, struct oauth_token *tokens, size_t n);
enum jt_status pg_oauth_find_by_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				     struct oauth_token *out);
enum jt_status pg_oauth_revoke(struct store *base, int64_t id, int64_t now);
enum jt_status pg_oauth_revoke_family(struct store *base, int64_t family_id, int64_t now);
enum jt_status pg_oauth_refresh(struct store *base, int64_t old_id, bool keep_old, int64_t now,
				struct oauth_token *tokens, size_t n);
enum jt_status pg_oauth_insert_async(struct store *base, struct oauth_token *tokens, size_t n,
				     store_done done, void *arg);
enum jt_status pg_code_redeem_async(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				     int64_t now, struct oauth_token *tokens, size_t n,
				     store_done done, void *arg);
enum jt_status pg_audit_insert(struct store *base, const struct audit_event *e);
enum jt_status pg_audit_list(struct store *base, const struct audit_filter *f,
			     const struct store_page *page, struct audit_event **items, size_t *n);
enum jt_status pg_key_insert(struct store *base, const struct signing_key *k);
enum jt_status pg_key_list(struct store *base, int64_t now, struct signing_key **items, size_t *n);
enum jt_status pg_key_retire_others(struct store *base, const char *kid, int64_t now,
				    int64_t unpublish_at);
enum jt_status pg_session_insert(struct store *base, const struct session *se);
enum jt_status pg_session_find(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			       struct session *out);
enum jt_status pg_session_delete(struct store *base, const uint8_t hash[STORE_HASH_LEN]);
enum jt_status pg_session_delete_user(struct store *base, int64_t user_id,
				      const uint8_t keep[STORE_HASH_LEN]);

/* postgres_copy.c: store copy. */
enum jt_status pg_export_rows(struct store *base, const struct store_table *t,
			      enum jt_status (*row)(void *arg, const struct store_value *v),
			      void *arg);
enum jt_status pg_import_begin(struct store *base);
enum jt_status pg_import_row(struct store *base, const struct store_table *t,
			     const struct store_value *v);
enum jt_status pg_import_end(struct store *base, bool commit);

#endif
