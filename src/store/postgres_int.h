/* SPDX-License-Identifier: MIT */
/* Private to the PostgreSQL driver (postgres.c, postgres_util.c): its
 * connections, the pool, and waiting for replies with a deadline. */
#ifndef JETON_STORE_POSTGRES_INT_H
#define JETON_STORE_POSTGRES_INT_H
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include "store/query.h"
#include "util/histogram.h"

/* Timeouts (util/limits.h). The server's own limits fire first and leave
 * the connection usable; the client's wait is the backstop for a server
 * that is stuck or unreachable, after which the connection is reset
 * before its next use. */
#define LIMIT_PG_PARAMS RECORD_MAX_FIELDS /* parameters of one statement */

/* A reply a pipeline still owes (postgres_pipe.c). */
struct pg_pending {
	const char *what;  /* the statement, for the log */
	int64_t *returned; /* where the first column of its row goes, or NULL */
	int prepare;       /* the reply to preparing statement id prepare, or -1 */
	bool keep;         /* run()'s statement: its result becomes res */
	bool commit;       /* COMMIT: must answer COMMIT, not ROLLBACK */
};

/* One connection of the pool (or the writer's). Owned by one thread
 * between acquire and release. */
struct pg_slot {
	struct store_conn base;
	struct pg_store *pg;
	PGconn *conn;             /* NULL until first used */
	bool bad;                 /* broken or in an unknown state: reset before the next use */
	bool lost;                /* the server went away: every slot resets (pg_release) */
	unsigned epoch;           /* the pool's epoch when this connection was made */
	bool prepared[QUERY_IDS]; /* statements prepared on this session, named "q<id>" */
	PGresult *res;            /* of the statement run() ran */
	int row;                  /* of res that step() gave */
	bool streaming;           /* res holds one row at a time (single-row mode) */
	bool stream_open;         /* ... and more results are to come */
	bool pipelined;           /* in a TXN_PIPELINE transaction: libpq's pipeline mode */
	struct pg_pending *owed;  /* the replies the pipeline owes, oldest first */
	size_t owed_first, nowed, owed_cap;
};

struct pg_store {
	struct store base;
	char *conninfo;
	pthread_mutex_t mu;
	pthread_cond_t freed;
	struct pg_slot *slots;
	int nslots;
	int *idle; /* stack of indexes of idle slots */
	int nidle;
	unsigned epoch;                   /* bumped when a connection finds the server gone */
	struct pg_slot writer;            /* the writer's own connection */
	bool prepare;                     /* false: unnamed statements only (jeton_prepare=off) */
	atomic_llong connect_quiet_until; /* monotonic ms: connect failures before it go unlogged */
	struct histogram listen_lag_us;   /* postgres_listen.c */
};

struct pg_store *pg_to(struct store *st);
struct pg_slot *pg_slot_of(struct store_conn *c);

/* Sets up the pool (no connection yet); JT_EINVAL for a location libpq
 * cannot parse. pg_pool_free undoes it, also after a failure. */
enum jt_status pg_pool_init(struct pg_store *pg, const char *conninfo, int threads);
void pg_pool_free(struct pg_store *pg);

/* The driver interface (driver.h). acquire (re)connects a slot if needed;
 * if it cannot, the slot is bad and every call on it returns JT_ESTORE
 * (logged once). */
struct store_conn *pg_acquire(struct store *base);
void pg_release(struct store_conn *c);
struct store_conn *pg_writer_conn(struct store *base);
enum jt_status pg_run(struct store_conn *c, int id, const char *sql, const struct sql_value *args,
		      int nargs);
enum jt_status pg_step(struct store_conn *c);
struct sql_value pg_column(struct store_conn *c, int i);
int64_t pg_changes(struct store_conn *c);
void pg_finish(struct store_conn *c);
enum jt_status pg_begin(struct store_conn *c, enum txn_kind kind);
enum jt_status pg_commit(struct store_conn *c);
void pg_rollback(struct store_conn *c);
enum jt_status pg_exec(struct store_conn *c, const char *sql);
enum jt_status pg_copy_reseed(struct store_conn *c, const char *table, const char *column);

/* A statement's parameters as libpq takes them: integers as text, text
 * and bytes as they are (binary), each with its type. */
struct pg_args {
	const char *values[LIMIT_PG_PARAMS];
	int lengths[LIMIT_PG_PARAMS];
	int formats[LIMIT_PG_PARAMS];
	Oid types[LIMIT_PG_PARAMS];
	char ints[LIMIT_PG_PARAMS][24];
};
void pg_args_fill(struct pg_args *a, const struct sql_value *args, int nargs);
/* The status of a reply r (NULL: none came), logging what failed as what;
 * marks c bad when its session is over. */
enum jt_status pg_map(struct pg_slot *c, const PGresult *r, const char *what);

/* postgres_pipe.c: the writer's batches in libpq's pipeline mode. Between
 * pg_pipe_begin and pg_pipe_commit (or pg_pipe_end) every statement is sent
 * without waiting for the replies before it; queued writes are not waited
 * for at all until the commit, which reads every reply owed. A failure
 * makes PostgreSQL skip the rest until the commit's sync: the caller then
 * rolls the transaction back. */
enum jt_status pg_pipe_begin(struct pg_slot *c);
enum jt_status pg_pipe_run(struct pg_slot *c, int id, const char *sql, const struct pg_args *a,
			   int nargs);
enum jt_status pg_pipe_exec(struct pg_slot *c, const char *sql);
enum jt_status pg_pipe_commit(struct pg_slot *c);
/* Reads what is owed and leaves pipeline mode (a failed session: drops it). */
void pg_pipe_end(struct pg_slot *c);
/* The session was reset: nothing is owed any more. */
void pg_pipe_forget(struct pg_slot *c);
enum jt_status pg_queue(struct store_conn *c, int id, const char *sql, const struct sql_value *args,
			int nargs, int64_t *returned);

/* Runs SQL text without parameters (several statements allowed), waiting
 * at most timeout_ms. res: the result (caller clears), or NULL to drop it. */
enum jt_status pg_query(struct pg_slot *c, const char *sql, int timeout_ms, PGresult **res,
			const char *what);

/* libpq's message msg as one line, into out. */
void pg_one_line(const char *msg, char *out, size_t out_len);
/* A notice processor that drops them (libpq would print them on stderr). */
void pg_notice_drop(void *arg, const char *message);

/* postgres_listen.c: telling other nodes of a change (enum store_change),
 * in c's transaction, and hearing them (the driver's listen). */
enum jt_status pg_notify(struct store_conn *c, unsigned kinds);
enum jt_status pg_listen(struct store *base, store_changed changed, void *arg,
			 struct store_listener **out);

#endif
