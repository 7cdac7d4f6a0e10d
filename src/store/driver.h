/* SPDX-License-Identifier: MIT */
/* Private to the store: what a driver provides. The verbs (users.c,
 * tokens.c, oauth.c, console.c), the writer (writer.c) and store copy
 * (copy.c) are written once over this interface; sqlite*.c and postgres*.c
 * implement it and keep only what is their own: connections, statement
 * caches, error mapping, migrations, health, and for SQLite the
 * checkpointer and the disk reserve.
 *
 * A driver's store struct begins with a struct store, its connection struct
 * with a struct store_conn. */
#ifndef JETON_STORE_DRIVER_H
#define JETON_STORE_DRIVER_H
#include "store/store.h"

/* A statement's parameter, or a column of a row. Text is NUL-terminated
 * (len is its length when read; parameters may leave it 0); blobs have
 * len bytes. A NULL keeps its type: PostgreSQL declares parameter types. */
enum sql_type {
	SQL_INT,
	SQL_TEXT,
	SQL_BLOB
};
struct sql_value {
	enum sql_type type;
	bool null;
	int64_t i;
	const void *p;
	size_t len;
};

/* What a transaction is for. */
enum txn_kind {
	TXN_WRITE,    /* the writer's batches: takes the write lock at once */
	TXN_PIPELINE, /* the same, and queue() may send writes without waiting for their replies */
	TXN_READ,     /* one consistent snapshot, no writes (copy's export) */
	TXN_BULK,     /* copy's import: writes, no statement timeout */
};

struct store_conn {
	struct store *st;
	/* The kinds of change (enum store_change) the statements of its
	 * transaction made (exec.c): a driver whose store several nodes share
	 * tells them when it commits. */
	unsigned changed;
};

/* A running store_listen (postgres_listen.c). */
struct store_listener {
	void (*stop)(struct store_listener *l);
};

struct store_writer; /* writer.c */

struct store_driver {
	const char *name;
	bool dollar_params; /* placeholders are $1, $2 (PostgreSQL) rather than ?1, ?2 */
	bool shared;        /* several nodes may share the store (store_is_shared) */

	void (*close)(struct store *st); /* after the writer stopped */
	enum jt_status (*migrate)(struct store *st);
	enum jt_status (*schema_version)(struct store *st, int *version, int *known);
	/* Called once a ping answered; NULL: STORE_HEALTHY. */
	enum store_health (*health)(struct store *st);

	/* A pooled connection, waiting for one if all are busy. Never NULL: a
	 * connection that cannot work fails every call on it. */
	struct store_conn *(*acquire)(struct store *st);
	void (*release)(struct store_conn *c);
	/* The writer's own connection, made ready for the next batch. */
	struct store_conn *(*writer_conn)(struct store *st);

	/* Runs a statement: statement id (>= 0: prepared once per connection
	 * and kept; < 0: once, and may stream a long result) of text sql with
	 * its parameters. Then step() gives each row (JT_OK, JT_ENOTFOUND after
	 * the last), column() its values (valid until the next step), changes()
	 * the rows a write touched. finish() ends every run, also a failed one.
	 * Errors: JT_ECONFLICT for a unique key, JT_EINVAL for another
	 * constraint, JT_ESTORE (logged) for the rest. */
	enum jt_status (*run)(struct store_conn *c, int id, const char *sql,
			      const struct sql_value *args, int nargs);
	enum jt_status (*step)(struct store_conn *c);
	struct sql_value (*column)(struct store_conn *c, int i);
	int64_t (*changes)(struct store_conn *c);
	void (*finish)(struct store_conn *c);
	/* A write whose reply is needed only by commit(): its status and, when
	 * returned is not NULL, the first column of its row (the id of an
	 * INSERT ... RETURNING id), written there by commit() at the latest.
	 * In a TXN_PIPELINE transaction the driver may send it and return JT_OK
	 * at once; a failure then fails the next run() or the commit(), and
	 * the caller undoes the whole transaction. NULL: run() and wait. */
	enum jt_status (*queue)(struct store_conn *c, int id, const char *sql,
				const struct sql_value *args, int nargs, int64_t *returned);

	enum jt_status (*begin)(struct store_conn *c, enum txn_kind kind);
	enum jt_status (*commit)(struct store_conn *c);
	void (*rollback)(struct store_conn *c);
	/* Runs SQL text without parameters or rows (savepoints). */
	enum jt_status (*exec)(struct store_conn *c, const char *sql);

	/* The writer asks, NULL meaning false: may only the writes that take
	 * access away run now (SQLite on a full disk)? A batch that failed as
	 * this turned true runs once more. */
	bool (*writes_limited)(struct store *st);
	/* On the writer thread between two batches; NULL: nothing. */
	void (*between_batches)(struct store *st);
	/* After copy imported a table's rows: ids generated later go past
	 * theirs. NULL: nothing to do (SQLite). */
	enum jt_status (*copy_reseed)(struct store_conn *c, const char *table, const char *column);
	/* On the writer's connection, after a purge: gives at most pages
	 * pages of the space deletions freed back to the file system; *more:
	 * some is left. NULL: the database reuses it (PostgreSQL). */
	enum jt_status (*reclaim)(struct store_conn *c, int pages, bool *more);

	/* Hears the changes any node commits (store_listen). NULL: one node
	 * (SQLite), nobody else to hear of. */
	enum jt_status (*listen)(struct store *st, store_changed changed, void *arg,
				 struct store_listener **out);
};

struct store {
	const struct store_driver *d;
	char **sql; /* every statement in the driver's dialect (query.c) */
	struct store_writer *writer;
	/* How long other nodes' changes took to be heard, in microseconds
	 * (store_listen_lag); NULL unless the driver hears them. */
	const struct histogram *listen_lag_us;
};

/* The drivers: each allocates its store and fills base; store_open does the
 * rest. */
enum jt_status store_sqlite_open(const char *path, int threads, struct store **out);
enum jt_status store_postgres_open(const char *conninfo, int threads, struct store **out);

/* Migrations embedded at build time from schema/<driver>/NNN_*.sql, in
 * order (tools/embed.py). */
extern const char *const store_sqlite_files[];
extern const int store_sqlite_count;
extern const char *const store_postgres_files[];
extern const int store_postgres_count;

#endif
