/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver's plumbing: connecting and reconnecting, the pool,
 * statements prepared once per session with their parameters' types,
 * waiting for replies with a deadline, mapping SQLSTATEs to statuses, and
 * rows read from binary results (driver.h).
 *
 * A slot whose connection broke (the server restarted, stopped, or did not
 * answer in time) is marked bad; the next acquire of it (the writer's: its
 * next batch) reconnects with PQreset, so the node recovers on its own
 * when the database returns. When one slot finds the server gone, the
 * pool's epoch moves and every other slot reconnects before its next use
 * instead of failing once. */
#include "store/postgres_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#define PG_MESSAGE_BYTES  256  /* one logged server message */
#define PG_CONNECT_LOG_MS 1000 /* while the server is down, one "cannot connect" line per second */

struct pg_store *pg_to(struct store *st)
{
	return (struct pg_store *)st;
}

struct pg_slot *pg_slot_of(struct store_conn *c)
{
	return (struct pg_slot *)c;
}

/* ---- messages ---- */

/* Copies msg into out as one line: libpq's messages span several. */
void pg_one_line(const char *msg, char *out, size_t out_len)
{
	size_t n = 0;
	for (const char *s = msg ? msg : ""; *s && n + 1 < out_len; s++)
		out[n++] = (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* Notices (such as "relation already exists, skipping") are not errors, and
 * what a dying session says also comes back as the failing call's result:
 * libpq's default would print them on stderr outside the log format. */
void pg_notice_drop(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* ---- results ---- */

/* True when the session is over: the server ended it or the link broke. */
static bool connection_gone(PGconn *conn, const PGresult *r, const char *state)
{
	const char *severity = r ? PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED) : NULL;
	return PQstatus(conn) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
	       strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	       strcmp(state, "57P03") == 0 ||
	       (severity && (strcmp(severity, "FATAL") == 0 || strcmp(severity, "PANIC") == 0));
}

enum jt_status pg_map(struct pg_slot *c, const PGresult *r, const char *what)
{
	char msg[PG_MESSAGE_BYTES];
	ExecStatusType rs = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK || rs == PGRES_SINGLE_TUPLE)
		return JT_OK;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!state)
		state = "";
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	pg_one_line(primary ? primary : PQerrorMessage(c->conn), msg, sizeof msg);

	if (!r || connection_gone(c->conn, r, state)) {
		/* Without a result libpq could not even send: the session is
		 * unusable either way, but only a broken link says the server
		 * went away. */
		c->bad = true;
		c->lost = r != NULL || PQstatus(c->conn) != CONNECTION_OK;
		log_error("postgres: %s: connection lost: %s", what, msg);
		return JT_ESTORE;
	}
	if (strcmp(state, "23505") == 0)
		return JT_ECONFLICT; /* unique_violation */
	if (strncmp(state, "23", 2) == 0)
		return JT_EINVAL; /* foreign key, not null: like SQLite's other constraints */
	if (strncmp(state, "22", 2) == 0) {
		/* Data exceptions quote the offending value: the state alone. */
		log_warn("postgres: %s: invalid value (SQLSTATE %s)", what, state);
		return JT_EINVAL;
	}
	log_error("postgres: %s: %s (SQLSTATE %s)", what, msg, *state ? state : "none");
	return JT_ESTORE;
}

static PGresult *next_result(struct pg_slot *c, int64_t deadline_ms, bool *timed_out)
{
	while (PQisBusy(c->conn)) {
		int sock = PQsocket(c->conn);
		if (sock < 0)
			break; /* closed: PQgetResult reports it without blocking */
		int wait = -1;
		if (deadline_ms >= 0) {
			int64_t left = deadline_ms - time_mono_ms();
			if (left <= 0) {
				*timed_out = true;
				return NULL;
			}
			wait = (int)left;
		}
		struct pollfd pfd = {.fd = sock, .events = POLLIN};
		int ready = poll(&pfd, 1, wait);
		if (ready < 0 && errno != EINTR) {
			*timed_out = true; /* cannot wait: give the session up like a timeout */
			return NULL;
		}
		if (ready > 0 && !PQconsumeInput(c->conn))
			break; /* broken: PQgetResult reports it */
	}
	return PQgetResult(c->conn);
}

/* Every result of the command in flight: the first error if there was one,
 * else the last result. NULL on a timeout or if there was none. */
static PGresult *await_result(struct pg_slot *c, int timeout_ms, bool *timed_out)
{
	int64_t deadline = timeout_ms < 0 ? -1 : time_mono_ms() + timeout_ms;
	PGresult *keep = NULL, *r;
	*timed_out = false;
	for (;;) {
		r = next_result(c, deadline, timed_out);
		if (!r)
			break;
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);
		} else {
			PQclear(keep);
			keep = r;
		}
	}
	if (*timed_out) {
		PQclear(keep);
		keep = NULL;
	}
	return keep;
}

static enum jt_status await_reply(struct pg_slot *c, int sent, int timeout_ms, PGresult **res,
				  const char *what)
{
	PGresult *r = NULL;
	bool timed_out = false;
	enum jt_status st;

	if (res)
		*res = NULL;
	if (sent)
		r = await_result(c, timeout_ms, &timed_out);
	if (timed_out) {
		log_error("postgres: %s: no reply within %d ms", what, timeout_ms);
		c->bad = true;
		return JT_ESTORE;
	}
	st = pg_map(c, r, what);
	if (st == JT_OK && res)
		*res = r;
	else
		PQclear(r);
	return st;
}

/* ---- connections and the pool ---- */

static PGconn *connect_new(const char *conninfo)
{
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%d", LIMIT_PG_CONNECT_SECONDS);
	/* Keywords before dbname are defaults: the location, expanded in
	 * place of dbname, overrides any of them it sets. */
	const char *const keys[] = {"connect_timeout", "fallback_application_name",
				    "client_encoding", "dbname", NULL};
	const char *const values[] = {timeout, "jeton", "UTF8", conninfo, NULL};
	return PQconnectdbParams(keys, values, 1);
}

/* Session settings, again after each reconnection (a new session). */
static enum jt_status slot_setup(struct pg_slot *c)
{
	char sql[160];
	snprintf(sql, sizeof sql,
		 "SET statement_timeout = %d; SET lock_timeout = %d; SET bytea_output = 'hex'",
		 LIMIT_PG_STATEMENT_MS, LIMIT_PG_STATEMENT_MS);
	PQsetNoticeProcessor(c->conn, pg_notice_drop, NULL);
	memset(c->prepared, 0, sizeof c->prepared);
	pg_pipe_forget(c); /* a new session is not in a pipeline */
	c->bad = false;
	c->lost = false;
	enum jt_status st = pg_query(c, sql, LIMIT_PG_WAIT_MS, NULL, "session set-up");
	if (st != JT_OK)
		c->bad = true;
	return st;
}

static void log_connect_failure(struct pg_store *pg, const char *msg)
{
	long long now = time_mono_ms(), quiet = atomic_load(&pg->connect_quiet_until);
	if (now >= quiet && atomic_compare_exchange_strong(&pg->connect_quiet_until, &quiet,
							   now + PG_CONNECT_LOG_MS))
		log_error("postgres: cannot connect: %s", msg);
}

/* (Re)connects c; on failure c stays bad. */
static void slot_connect(struct pg_store *pg, struct pg_slot *c, unsigned epoch)
{
	char msg[PG_MESSAGE_BYTES];
	c->bad = true;
	if (c->conn)
		PQreset(c->conn);
	else
		c->conn = connect_new(pg->conninfo);
	if (!c->conn) {
		log_error("postgres: cannot connect: out of memory");
		return;
	}
	if (PQstatus(c->conn) != CONNECTION_OK) {
		pg_one_line(PQerrorMessage(c->conn), msg, sizeof msg);
		log_connect_failure(pg, msg);
		return;
	}
	if (slot_setup(c) == JT_OK)
		c->epoch = epoch;
}

/* True if c can serve as it is: connected in this epoch, outside any
 * transaction, and not ended by the server while it sat idle. */
static bool slot_usable(struct pg_slot *c, unsigned epoch)
{
	if (!c->conn || c->bad || c->epoch != epoch || PQstatus(c->conn) != CONNECTION_OK ||
	    PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		return false;
	/* An idle session hears from the server only when it is being ended
	 * (shutdown, restart, pg_terminate_backend, an idle timeout): then
	 * reconnect now rather than fail the request that would use it. */
	struct pollfd pfd = {.fd = PQsocket(c->conn), .events = POLLIN};
	return poll(&pfd, 1, 0) == 0;
}

enum jt_status pg_pool_init(struct pg_store *pg, const char *conninfo, int threads)
{
	char *err = NULL;
	pthread_mutex_init(&pg->mu, NULL);
	pthread_cond_init(&pg->freed, NULL);
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (!opts) {
		char msg[PG_MESSAGE_BYTES];
		pg_one_line(err ? err : "out of memory", msg, sizeof msg);
		/* libpq quotes the whole URI after ': "', password included. */
		char *quoted = strstr(msg, ": \"");
		if (quoted)
			*quoted = '\0';
		log_error("postgres: the location is not a valid connection string: %s", msg);
		PQfreemem(err);
		return JT_EINVAL;
	}
	PQconninfoFree(opts);

	pg->nslots = threads < 1 ? 1 : threads + 1;
	pg->conninfo = jt_strdup(conninfo);
	pg->slots = jt_calloc((size_t)pg->nslots, sizeof *pg->slots);
	pg->idle = jt_calloc((size_t)pg->nslots, sizeof *pg->idle);
	if (!pg->conninfo || !pg->slots || !pg->idle)
		return JT_ENOMEM;
	/* Slots connect on first use: a CLI command needs one, not threads + 1. */
	for (int i = 0; i < pg->nslots; i++) {
		pg->slots[i].base.st = &pg->base;
		pg->slots[i].pg = pg;
		pg->idle[pg->nidle++] = i;
	}
	pg->writer.base.st = &pg->base;
	pg->writer.pg = pg;
	return JT_OK;
}

void pg_pool_free(struct pg_store *pg)
{
	for (int i = 0; pg->slots && i < pg->nslots; i++) {
		PQfinish(pg->slots[i].conn); /* NULL is fine */
		jt_free(pg->slots[i].owed);
	}
	PQfinish(pg->writer.conn);
	jt_free(pg->writer.owed);
	jt_free(pg->slots);
	jt_free(pg->idle);
	if (pg->conninfo)
		explicit_bzero(pg->conninfo, strlen(pg->conninfo)); /* may hold a password */
	jt_free(pg->conninfo);
	pthread_cond_destroy(&pg->freed);
	pthread_mutex_destroy(&pg->mu);
}

static struct pg_slot *slot_acquire(struct pg_store *pg)
{
	pthread_mutex_lock(&pg->mu);
	while (pg->nidle == 0)
		pthread_cond_wait(&pg->freed, &pg->mu);
	struct pg_slot *c = &pg->slots[pg->idle[--pg->nidle]];
	unsigned epoch = pg->epoch;
	pthread_mutex_unlock(&pg->mu);
	if (!slot_usable(c, epoch))
		slot_connect(pg, c, epoch);
	return c;
}

static void slot_release(struct pg_store *pg, struct pg_slot *c)
{
	pthread_mutex_lock(&pg->mu);
	if (c->lost) {
		pg->epoch++; /* the others' sessions are most likely gone too */
		c->lost = false;
	}
	pg->idle[pg->nidle++] = (int)(c - pg->slots);
	pthread_cond_signal(&pg->freed);
	pthread_mutex_unlock(&pg->mu);
}

/* ---- running statements ---- */

enum jt_status pg_query(struct pg_slot *c, const char *sql, int timeout_ms, PGresult **res,
			const char *what)
{
	if (res)
		*res = NULL;
	if (c->bad)
		return JT_ESTORE; /* already reported when it broke or failed to connect */
	return await_reply(c, PQsendQuery(c->conn, sql), timeout_ms, res, what);
}

static enum jt_status slot_commit(struct pg_slot *c)
{
	PGresult *r = NULL;
	enum jt_status st = pg_query(c, "COMMIT", LIMIT_PG_WAIT_MS, &r, "commit");
	/* COMMIT of a transaction that failed earlier answers ROLLBACK. */
	if (st == JT_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		log_error("postgres: commit: the transaction was rolled back");
		st = JT_ESTORE;
	}
	PQclear(r);
	return st;
}

static void slot_rollback(struct pg_slot *c)
{
	if (c->bad || PQtransactionStatus(c->conn) == PQTRANS_IDLE)
		return;
	if (pg_query(c, "ROLLBACK", LIMIT_PG_WAIT_MS, NULL, "rollback") != JT_OK)
		c->bad = true; /* still in a transaction: reset before the next use */
}

/* ---- the driver interface ---- */

/* Type oids (catalog/pg_type_d.h). */
#define PG_OID_BOOL  16
#define PG_OID_BYTEA 17
#define PG_OID_INT8  20
#define PG_OID_INT2  21
#define PG_OID_INT4  23
#define PG_OID_TEXT  25

struct store_conn *pg_acquire(struct store *base)
{
	return &slot_acquire(pg_to(base))->base;
}

void pg_release(struct store_conn *c)
{
	slot_release(pg_slot_of(c)->pg, pg_slot_of(c));
}

struct store_conn *pg_writer_conn(struct store *base)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = &pg->writer;
	pthread_mutex_lock(&pg->mu);
	if (c->lost) {
		pg->epoch++; /* as pg_release does for the pool's slots */
		c->lost = false;
	}
	unsigned epoch = pg->epoch;
	pthread_mutex_unlock(&pg->mu);
	if (!slot_usable(c, epoch))
		slot_connect(pg, c, epoch);
	return &c->base;
}

void pg_args_fill(struct pg_args *a, const struct sql_value *args, int nargs)
{
	for (int i = 0; i < nargs; i++) {
		const struct sql_value *v = &args[i];
		a->types[i] = v->type == SQL_INT    ? PG_OID_INT8
			      : v->type == SQL_TEXT ? PG_OID_TEXT
						    : PG_OID_BYTEA;
		a->formats[i] = v->type == SQL_INT ? 0 : 1;
		a->values[i] = NULL; /* SQL NULL */
		a->lengths[i] = 0;
		if (v->null || (v->type == SQL_TEXT && !v->p))
			continue;
		if (v->type == SQL_INT) {
			snprintf(a->ints[i], sizeof a->ints[i], "%lld", (long long)v->i);
			a->values[i] = a->ints[i];
		} else {
			a->values[i] = v->p ? v->p : "";
			a->lengths[i] =
				(int)(v->type == SQL_TEXT && !v->len ? strlen(v->p) : v->len);
		}
	}
}

static enum jt_status stream_next(struct pg_slot *c);

enum jt_status pg_run(struct store_conn *base, int id, const char *sql,
		      const struct sql_value *args, int nargs)
{
	struct pg_slot *c = pg_slot_of(base);
	struct pg_args a;
	char name[16], what[64];
	int sent;

	c->res = NULL;
	c->row = -1;
	c->streaming = false;
	c->stream_open = false;
	if (c->bad)
		return JT_ESTORE; /* already reported when it broke or failed to connect */
	if (nargs > LIMIT_PG_PARAMS)
		return JT_EINVAL;
	snprintf(what, sizeof what, "%.60s", sql);
	pg_args_fill(&a, args, nargs);
	if (c->pipelined)
		return id >= 0 ? pg_pipe_run(c, id, sql, &a, nargs) : JT_EINVAL;
	if (id >= 0 && !c->pg->prepare) {
		/* jeton_prepare=off: an unnamed statement each time (pgbouncer) */
		sent = PQsendQueryParams(c->conn, sql, nargs, a.types, a.values, a.lengths,
					 a.formats, 1);
		return await_reply(c, sent, LIMIT_PG_WAIT_MS, &c->res, what);
	}
	if (id >= 0) {
		snprintf(name, sizeof name, "q%d", id);
		if (!c->prepared[id]) {
			enum jt_status st =
				await_reply(c, PQsendPrepare(c->conn, name, sql, nargs, a.types),
					    LIMIT_PG_WAIT_MS, NULL, what);
			if (st != JT_OK)
				return st;
			c->prepared[id] = true;
		}
		sent = PQsendQueryPrepared(c->conn, name, nargs, a.values, a.lengths, a.formats, 1);
		return await_reply(c, sent, LIMIT_PG_WAIT_MS, &c->res, what);
	}
	/* Once (store copy): a row at a time, so a big table is never held
	 * in memory whole. */
	sent = PQsendQueryParams(c->conn, sql, nargs, a.types, a.values, a.lengths, a.formats, 1);
	if (!sent)
		return await_reply(c, 0, LIMIT_PG_WAIT_MS, NULL, what);
	if (!PQsetSingleRowMode(c->conn)) {
		log_error("postgres: %s: cannot read it a row at a time", what);
		c->bad = true; /* its result is on the way: reset before the next use */
		return JT_ESTORE;
	}
	c->streaming = true;
	c->stream_open = true;
	enum jt_status st = stream_next(c);
	return st == JT_ENOTFOUND ? JT_OK : st; /* no rows, or a write */
}

/* Takes the next result of a streamed statement into c->res: a row
 * (JT_OK), the end (JT_ENOTFOUND) or an error. */
static enum jt_status stream_next(struct pg_slot *c)
{
	bool timed_out = false;
	PQclear(c->res);
	c->res = NULL;
	c->row = -1;
	if (!c->stream_open)
		return JT_ENOTFOUND;
	PGresult *r = next_result(c, time_mono_ms() + LIMIT_PG_MIGRATE_MS, &timed_out);
	if (timed_out) {
		log_error("postgres: no reply within %d ms", LIMIT_PG_MIGRATE_MS);
		c->bad = true;
		return JT_ESTORE;
	}
	if (r && PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
		c->res = r;
		return JT_OK;
	}
	enum jt_status st = pg_map(c, r, "statement");
	c->res = r; /* the end: its command tag tells the rows a write touched */
	while (!c->bad && (r = next_result(c, time_mono_ms() + LIMIT_PG_WAIT_MS, &timed_out)))
		PQclear(r); /* the NULL that ends the command */
	c->stream_open = false;
	if (timed_out)
		c->bad = true;
	return st == JT_OK ? JT_ENOTFOUND : st;
}

enum jt_status pg_step(struct store_conn *base)
{
	struct pg_slot *c = pg_slot_of(base);
	if (!c->res)
		return JT_ENOTFOUND;
	if (c->streaming) {
		if (c->row < 0 && PQresultStatus(c->res) == PGRES_SINGLE_TUPLE) {
			c->row = 0;
			return JT_OK;
		}
		enum jt_status st = stream_next(c);
		if (st == JT_OK)
			c->row = 0;
		return st;
	}
	return ++c->row < PQntuples(c->res) ? JT_OK : JT_ENOTFOUND;
}

/* A big-endian integer of a binary result. */
static int64_t binary_int(const unsigned char *p, int len)
{
	uint64_t v = 0;
	for (int i = 0; i < len; i++)
		v = v << 8 | p[i];
	if (len < 8 && len > 0 && (p[0] & 0x80))
		v |= ~(uint64_t)0 << (8 * len); /* sign-extend int2 and int4 */
	return (int64_t)v;
}

struct sql_value pg_column(struct store_conn *base, int i)
{
	struct pg_slot *c = pg_slot_of(base);
	struct sql_value v = {.type = SQL_TEXT};
	const char *p = PQgetvalue(c->res, c->row, i);
	int len = PQgetlength(c->res, c->row, i);
	switch (PQftype(c->res, i)) {
	case PG_OID_BOOL:
	case PG_OID_INT2:
	case PG_OID_INT4:
	case PG_OID_INT8:
		v.type = SQL_INT;
		break;
	case PG_OID_BYTEA:
		v.type = SQL_BLOB;
		break;
	}
	if (PQgetisnull(c->res, c->row, i)) {
		v.null = true;
	} else if (v.type == SQL_INT) {
		v.i = binary_int((const unsigned char *)p, len);
	} else {
		v.p = p; /* text: libpq ends every value with a NUL */
		v.len = (size_t)len;
	}
	return v;
}

int64_t pg_changes(struct store_conn *base)
{
	struct pg_slot *c = pg_slot_of(base);
	const char *tuples = c->res ? PQcmdTuples(c->res) : "";
	int64_t n = 0;
	if (*tuples)
		text_parse_i64(tuples, strlen(tuples), 0, INT64_MAX, &n);
	return n;
}

void pg_finish(struct store_conn *base)
{
	struct pg_slot *c = pg_slot_of(base);
	PQclear(c->res);
	c->res = NULL;
	/* Rather than read the rest of a streamed table for nothing, the
	 * session is dropped and reset on its next use. */
	if (c->stream_open)
		c->bad = true;
	c->stream_open = false;
	c->streaming = false;
}

enum jt_status pg_begin(struct store_conn *base, enum txn_kind kind)
{
	static const char *const sql[] = {
		[TXN_WRITE] = "BEGIN",
		/* A copy may take long: no statement timeout inside. */
		[TXN_READ] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
			     "SET LOCAL statement_timeout = 0",
		[TXN_BULK] = "BEGIN; SET LOCAL statement_timeout = 0",
	};
	struct pg_slot *c = pg_slot_of(base);
	base->changed = 0;
	if (kind == TXN_PIPELINE)
		return pg_pipe_begin(c);
	enum jt_status st = pg_query(c, sql[kind], LIMIT_PG_WAIT_MS, NULL, "begin");
	if (st != JT_OK)
		slot_rollback(c);
	return st;
}

enum jt_status pg_commit(struct store_conn *base)
{
	/* The other nodes hear of it when, and only if, this commits. */
	enum jt_status st = base->changed ? pg_notify(base, base->changed) : JT_OK;
	base->changed = 0;
	if (st != JT_OK)
		return st; /* the caller rolls back */
	struct pg_slot *c = pg_slot_of(base);
	return c->pipelined ? pg_pipe_commit(c) : slot_commit(c);
}

void pg_rollback(struct store_conn *base)
{
	struct pg_slot *c = pg_slot_of(base);
	if (c->pipelined)
		pg_pipe_end(c);
	slot_rollback(c);
}

enum jt_status pg_exec(struct store_conn *base, const char *sql)
{
	struct pg_slot *c = pg_slot_of(base);
	if (c->pipelined)
		return pg_pipe_exec(c, sql);
	return pg_query(c, sql, LIMIT_PG_WAIT_MS, NULL, sql);
}

enum jt_status pg_copy_reseed(struct store_conn *base, const char *table, const char *column)
{
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT setval(pg_get_serial_sequence('%s', '%s'), max(%s)) FROM %s", table,
		 column, column, table);
	return pg_query(pg_slot_of(base), sql, LIMIT_PG_MIGRATE_MS, NULL, "copy sequences");
}
