/* SPDX-License-Identifier: MIT */
/* Private to the PostgreSQL driver (postgres.c, postgres_util.c): its
 * connections, the pool, and waiting for replies with a deadline. */
#ifndef JETON_STORE_POSTGRES_INT_H
#define JETON_STORE_POSTGRES_INT_H
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include "store/query.h"

/* Timeouts (util/limits.h). The server's own limits fire first and leave
 * the connection usable; the client's wait is the backstop for a server
 * that is stuck or unreachable, after which the connection is reset
 * before its next use. */
#define LIMIT_PG_PARAMS RECORD_MAX_FIELDS /* parameters of one statement */

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
	atomic_llong connect_quiet_until; /* monotonic ms: connect failures before it go unlogged */
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
