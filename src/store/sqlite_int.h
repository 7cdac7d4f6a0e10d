/* SPDX-License-Identifier: MIT */
/* Private to the SQLite driver: its connections, and the state of its
 * writer's connection, checkpointer and disk reserve. */
#ifndef JETON_STORE_SQLITE_INT_H
#define JETON_STORE_SQLITE_INT_H
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include "store/query.h"

struct conn {
	struct store_conn base;
	struct sqlite_store *sq; /* the store it belongs to */
	sqlite3 *db;
	sqlite3_stmt *q[QUERY_IDS]; /* the store's statements, prepared on first use */
	sqlite3_stmt *cur;          /* the statement run() ran */
	bool cur_once;              /* cur is not one of q: finalized by finish() */
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
	int *idle; /* stack of indexes of idle connections */
	int nidle;

	/* the writer's connection and the checkpointer (sqlite_wal.c) */
	struct conn batch_conn; /* the writer thread's own connection */
	pthread_mutex_t wal_mu;
	pthread_cond_t wal_cv; /* wakes the writer waiting for a restart */
	bool wal_stopping;
	struct conn checkpoint_conn; /* the checkpointer's own connection */
	pthread_t checkpoint_thread;
	pthread_cond_t checkpoint_cv; /* wakes the checkpointer (under wal_mu) */
	bool checkpoint_running;
	/* WAL restarts: once a commit leaves the WAL at wal_restart_frames or
	 * more, the writer waits between transactions while restart_due (under
	 * wal_mu) and the checkpointer restarts the WAL. */
	int wal_frames; /* after the writer's last commit; writer thread only */
	int wal_restart_frames;
	bool restart_due;
	int64_t restart_retry_us; /* after a restart that readers held off: not before this */

	/* a full disk and failing writes (sqlite_disk.c) */
	char *reserve_path;        /* "<store>.reserve"; NULL: not a file */
	bool reserve_kept;         /* false: it could not be made (not for want of space) */
	pthread_mutex_t disk_mu;   /* releasing and making the reserve */
	atomic_bool disk_full;     /* the reserve is released: sq_disk_allows */
	atomic_bool write_failing; /* the last write failed, not for want of space */
	int64_t probe_us;          /* the next write probe while write_failing */
};

struct sqlite_store *sq_to(struct store *st);
struct conn *sq_conn(struct store_conn *c);

/* sqlite_util.c: connections, and the driver interface's statements and
 * transactions (driver.h). */
/* Maps an SQLite result code to a status, logging unexpected errors. */
enum jt_status sq_map_rc(sqlite3 *db, int rc, const char *what);
enum jt_status sq_conn_setup(struct sqlite_store *sq, struct conn *c, const char *path);
void sq_conn_teardown(struct conn *c);
struct store_conn *sq_acquire(struct store *base); /* waits for an idle one */
void sq_release(struct store_conn *c);
struct store_conn *sq_writer_conn(struct store *base);
enum jt_status sq_run(struct store_conn *c, int id, const char *sql, const struct sql_value *args,
		      int nargs);
enum jt_status sq_step(struct store_conn *c);
struct sql_value sq_column(struct store_conn *c, int i);
int64_t sq_changes(struct store_conn *c);
void sq_finish(struct store_conn *c);
enum jt_status sq_begin(struct store_conn *c, enum txn_kind kind);
enum jt_status sq_commit(struct store_conn *c);
void sq_rollback(struct store_conn *c);
enum jt_status sq_exec(struct store_conn *c, const char *sql);

/* sqlite_disk.c: when the disk fills up, a reserve jeton keeps beside the
 * store is deleted so that the writes that take access away (revocations,
 * deletions) still commit; every other write is refused until there is
 * room again. Also the health of writes for /healthz. */
void sq_disk_open(struct sqlite_store *sq, const char *path);
void sq_disk_close(struct sqlite_store *sq);
/* False while the disk is full, unless the write takes access away. */
bool sq_disk_allows(struct sqlite_store *sq, bool takes_access_away);
/* Takes the result of a write that reached the disk (a COMMIT, a
 * checkpoint). True when it failed for want of space and this call
 * released the reserve: the write may be tried once more. */
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

/* sqlite_walbuf.c: the VFS every connection opens with, SQLite's default
 * one with the WAL's writes gathered per commit; false if it could not be
 * registered (the default VFS then serves). */
#define SQ_VFS_NAME "jeton"
bool sq_vfs_register(void);

#endif
