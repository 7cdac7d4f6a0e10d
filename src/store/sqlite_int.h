/* SPDX-License-Identifier: MIT */
/* Private to the SQLite driver: its connections and the state of its
 * writer's connection, checkpointer and disk reserve. */
#ifndef JETON_STORE_SQLITE_INT_H
#define JETON_STORE_SQLITE_INT_H
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include "store/query.h"
#include "store/store_int.h"

enum stmt_id {
	/* sqlite_oauth.c */
	ST_APP_INSERT,
	ST_APP_GET,
	ST_APP_BY_CLIENT_ID,
	ST_APP_LIST,
	ST_APP_UPDATE,
	ST_APP_DELETE,
	ST_APP_SET_SECRET,
	ST_CODE_INSERT,
	ST_CODE_GET,
	ST_CODE_USE,
	ST_OTOKEN_INSERT,
	ST_OTOKEN_BY_HASH,
	ST_OTOKEN_REVOKE,
	ST_OTOKEN_REVOKE_FAMILY,
	ST_OTOKEN_ROTATE,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_DELETE,
	ST_SESSION_DELETE_USER,
	ST_AUDIT_INSERT,
	ST_AUDIT_LIST,
	ST_KEY_INSERT,
	ST_KEY_LIST,
	ST_KEY_RETIRE,
	ST_COUNT
};
/* A new statement that takes access away (a revocation, a deletion) goes in
 * sqlite_disk.c's takes_access_away, so that it still runs on a full disk. */

struct conn {
	struct store_conn base;
	struct sqlite_store *sq;      /* the store it belongs to */
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT]; /* prepared on first use */
	sqlite3_stmt *q[Q_COUNT];     /* the store's statements, prepared on first use */
	sqlite3_stmt *cur;            /* the statement run() ran */
	bool cur_once;                /* cur is not one of q: finalized by finish() */
	enum {
		CURSOR_DONE,      /* no row left */
		CURSOR_ROW_READY, /* run() stepped onto a row that step() has not given */
		CURSOR_ROWS,      /* on a row; step() asks for the next */
	} cursor;
	bool reread_schema; /* a statement failed: the schema may have changed under it */
};

struct sqlite_store {
	struct store base;
	pthread_mutex_t mu;
	pthread_cond_t freed;
	struct conn *conns;
	int nconns;
	int *idle;  /* stack of indexes of idle connections */
	int nidle;

	/* the writer's connection and the checkpointer (sqlite_wal.c) */
	struct conn batch_conn;   /* the writer thread's own connection */
	pthread_mutex_t wal_mu;
	pthread_cond_t wal_cv;        /* wakes the writer waiting for a restart */
	bool wal_stopping;
	struct conn checkpoint_conn;  /* the checkpointer's own connection */
	pthread_t checkpoint_thread;
	pthread_cond_t checkpoint_cv;  /* wakes the checkpointer (under wal_mu) */
	bool checkpoint_running;
	/* WAL restarts: once a commit leaves the WAL at wal_restart_frames or
	 * more, the writer waits between transactions while restart_due (under
	 * wal_mu) and the checkpointer restarts the WAL. */
	int wal_frames;           /* after the writer's last commit; writer thread only */
	int wal_restart_frames;
	bool restart_due;
	int64_t restart_retry_us; /* after a restart that readers held off: not before this */

	/* a full disk and failing writes (sqlite_disk.c) */
	char *reserve_path;          /* "<store>.reserve"; NULL: not a file */
	bool reserve_kept;           /* false: it could not be made (not for want of space) */
	pthread_mutex_t disk_mu;     /* releasing and making the reserve */
	atomic_bool disk_full;       /* the reserve is released: sq_disk_allows */
	atomic_bool write_failing;   /* the last write failed, not for want of space */
	int64_t probe_us;            /* the next write probe while write_failing */

	/* store_copy into this store (sqlite_copy.c) */
	struct conn *import_conn;
	const struct store_table *import_table;
	sqlite3_stmt *import_stmt;
};

struct conn *sq_conn(struct store_conn *c);

/* sqlite_util.c: the driver interface (driver.h). */
struct store_conn *sq_drv_acquire(struct store *base);
void sq_drv_release(struct store_conn *c);
struct store_conn *sq_drv_writer_conn(struct store *base);
enum jt_status sq_drv_run(struct store_conn *c, int id, const char *sql,
			  const struct sql_value *args, int nargs);
enum jt_status sq_drv_step(struct store_conn *c);
struct sql_value sq_drv_column(struct store_conn *c, int i);
int64_t sq_drv_changes(struct store_conn *c);
void sq_drv_finish(struct store_conn *c);
enum jt_status sq_drv_begin(struct store_conn *c, enum txn_kind kind);
enum jt_status sq_drv_commit(struct store_conn *c);
void sq_drv_rollback(struct store_conn *c);
enum jt_status sq_drv_exec(struct store_conn *c, const char *sql);



struct sqlite_store *sq_to(struct store *st);
/* Maps an SQLite result code to a status, logging unexpected errors. */
enum jt_status sq_map_rc(sqlite3 *db, int rc, const char *what);
enum jt_status sq_conn_setup(struct sqlite_store *sq, struct conn *c, const char *path);
void sq_conn_teardown(struct conn *c);
/* Takes an idle connection, waiting for one if all are busy. */
struct conn *sq_acquire(struct sqlite_store *sq);
void sq_release(struct sqlite_store *sq, struct conn *c);
/* The statement id on c (prepared from sql on first use), reset and
 * unbound; NULL if it cannot be prepared. */
sqlite3_stmt *sq_stmt(struct conn *c, enum stmt_id id, const char *sql);
void sq_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Copies a text column into out, truncating to out_len - 1 bytes. */
void sq_col_text(sqlite3_stmt *s, int i, char *out, size_t out_len);
/* Runs a statement that returns no rows; changes: rows touched, or NULL. */
enum jt_status sq_exec_done(struct conn *c, sqlite3_stmt *s, const char *what, int *changes);
/* Steps once: JT_OK with a row, JT_ENOTFOUND without. */
enum jt_status sq_step_row(struct conn *c, sqlite3_stmt *s, const char *what);
/* Collects every row into a fresh array (caller frees with store_list_free). */
enum jt_status sq_collect(struct conn *c, sqlite3_stmt *s, size_t elem_size,
			  void (*read)(sqlite3_stmt *, void *), void **items, size_t *n,
			  const char *what);
/* Runs a one-row query keyed by an integer (text_key NULL) or a text and
 * fills out with read; JT_ENOTFOUND without a row. */
enum jt_status sq_lookup(struct sqlite_store *sq, enum stmt_id id, const char *sql, int64_t key,
			 const char *text_key, void (*read)(sqlite3_stmt *, void *), void *out);
/* Runs BEGIN IMMEDIATE / COMMIT / ROLLBACK on c. */
enum jt_status sq_begin(struct conn *c);
enum jt_status sq_commit(struct conn *c);
void sq_rollback(struct conn *c);

/* sqlite_disk.c: when the disk fills up, a reserve jeton keeps beside the
 * store is deleted so that the writes that take access away (revocations,
 * deletions) still commit; every other write is refused until there is
 * room again. Also the health of writes for /healthz. */
void sq_disk_open(struct sqlite_store *sq, const char *path);
void sq_disk_close(struct sqlite_store *sq);
/* False while the disk is full, unless the write takes access away. */
bool sq_disk_allows(struct sqlite_store *sq, bool takes_access_away);
/* Takes the result of a write that reached the disk (a COMMIT, a statement
 * that commits by itself, a checkpoint). True when it failed for want of
 * space and this call released the reserve: the write may be tried once
 * more. */
bool sq_disk_note(struct sqlite_store *sq, sqlite3 *db, int rc);
/* From the checkpointer: makes the reserve again once there is room, and
 * tries a write now and then while writes fail. */
void sq_disk_tick(struct sqlite_store *sq, struct conn *c);
enum store_health sq_disk_health(struct sqlite_store *sq);

/* sqlite_wal.c: the checkpointer, and WAL restarts between the writer's
 * batches. */
enum jt_status sq_wal_start(struct sqlite_store *sq, const char *path);
void sq_wal_stop(struct sqlite_store *sq);
void sq_wal_between_batches(struct store *base);

/* sqlite_copy.c */
enum jt_status sq_export_rows(struct store *base, const struct store_table *t,
			      enum jt_status (*row)(void *arg, const struct store_value *v),
			      void *arg);
enum jt_status sq_import_begin(struct store *base);
enum jt_status sq_import_row(struct store *base, const struct store_table *t,
			     const struct store_value *v);
enum jt_status sq_import_end(struct store *base, bool commit);

/* sqlite_oauth.c: the OAuth verbs of store_ops. */
enum jt_status sq_app_insert(struct store *base, struct app *a);
enum jt_status sq_app_get(struct store *base, int64_t id, struct app *out);
enum jt_status sq_app_find_by_client_id(struct store *base, const char *client_id,
					struct app *out);
enum jt_status sq_app_list(struct store *base, const struct store_page *page,
			   struct app **items, size_t *n);
enum jt_status sq_app_update(struct store *base, const struct app *a);
enum jt_status sq_app_delete(struct store *base, int64_t id);
enum jt_status sq_app_set_secret(struct store *base, int64_t id,
				 const uint8_t hash[STORE_HASH_LEN], int64_t now);
enum jt_status sq_code_insert(struct store *base, const struct auth_code *code);
enum jt_status sq_code_get(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			    struct auth_code *out);
enum jt_status sq_code_redeem(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			       int64_t now, struct oauth_token *tokens, size_t n);
enum jt_status sq_oauth_insert(struct store *base, struct oauth_token *tokens, size_t n);
enum jt_status sq_oauth_find_by_hash(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				     struct oauth_token *out);
enum jt_status sq_oauth_revoke(struct store *base, int64_t id, int64_t now);
enum jt_status sq_oauth_revoke_family(struct store *base, int64_t family_id, int64_t now);
enum jt_status sq_oauth_refresh(struct store *base, int64_t old_id, bool keep_old, int64_t now,
				struct oauth_token *tokens, size_t n);
enum jt_status sq_oauth_insert_async(struct store *base, struct oauth_token *tokens, size_t n,
				     store_done done, void *arg);
enum jt_status sq_code_redeem_async(struct store *base, const uint8_t hash[STORE_HASH_LEN],
				     int64_t now, struct oauth_token *tokens, size_t n,
				     store_done done, void *arg);
enum jt_status sq_audit_insert(struct store *base, const struct audit_event *e);
enum jt_status sq_audit_list(struct store *base, const struct audit_filter *f,
			     const struct store_page *page, struct audit_event **items, size_t *n);
enum jt_status sq_key_insert(struct store *base, const struct signing_key *k);
enum jt_status sq_key_list(struct store *base, int64_t now, struct signing_key **items, size_t *n);
enum jt_status sq_key_retire_others(struct store *base, const char *kid, int64_t now,
				    int64_t unpublish_at);
enum jt_status sq_session_insert(struct store *base, const struct session *se);
enum jt_status sq_session_find(struct store *base, const uint8_t hash[STORE_HASH_LEN],
			       struct session *out);
enum jt_status sq_session_delete(struct store *base, const uint8_t hash[STORE_HASH_LEN]);
enum jt_status sq_session_delete_user(struct store *base, int64_t user_id,
				      const uint8_t keep[STORE_HASH_LEN]);

#endif
