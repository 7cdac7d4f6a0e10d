/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend's plumbing: connecting and reconnecting, the pool,
 * statements prepared once per session, waiting for replies with a
 * deadline, mapping SQLSTATEs to statuses, parameters and column readers.
 *
 * A slot whose connection broke (the server restarted, stopped, or did not
 * answer in time) is marked bad; the next pg_acquire() of it reconnects
 * with PQreset, so the node recovers on its own when the database returns.
 * When one slot finds the server gone, the pool's epoch moves and every
 * other slot reconnects before its next use instead of failing once. */
#include "store/postgres_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#define PG_MESSAGE_BYTES 256     /* one logged server message */
#define PG_CONNECT_LOG_MS 1000   /* while the server is down, one "cannot connect" line per second */

struct pg_store *pg_to(struct store *st)
{
	return (struct pg_store *)st;
}

/* ---- parameters ---- */

static int param_next(struct pg_params *p)
{
	/* A statement with more parameters than this is a bug; the server
	 * refuses the short bind with an error, so it cannot go unnoticed. */
	if (p->n >= LIMIT_PG_PARAMS)
		return -1;
	return p->n++;
}

void pg_param_int(struct pg_params *p, int64_t v)
{
	int i = param_next(p);
	if (i < 0)
		return;
	snprintf(p->ints[i], sizeof p->ints[i], "%lld", (long long)v);
	p->values[i] = p->ints[i];
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void pg_param_text(struct pg_params *p, const char *v)
{
	int i = param_next(p);
	if (i < 0)
		return;
	p->values[i] = v; /* NULL is SQL NULL */
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void pg_param_bytes(struct pg_params *p, const void *v, size_t v_len)
{
	int i = param_next(p);
	if (i < 0)
		return;
	p->values[i] = v ? v : ""; /* empty, not NULL: a NULL value would be SQL NULL */
	p->lengths[i] = (int)v_len;
	p->formats[i] = 1; /* binary: the bytes as they are, no escaping */
}

void pg_param_null(struct pg_params *p)
{
	pg_param_text(p, NULL);
}

/* ---- messages ---- */

/* Copies msg into out as one line: libpq's messages span several. */
static void one_line(const char *msg, char *out, size_t out_len)
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
static void notice_drop(void *arg, const char *message)
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
	one_line(primary ? primary : PQerrorMessage(c->conn), msg, sizeof msg);

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
		return JT_EINVAL;    /* foreign key, not null: like SQLite's other constraints */
	if (strncmp(state, "22", 2) == 0) {
		/* Data exceptions quote the offending value: the state alone. */
		log_warn("postgres: %s: invalid value (SQLSTATE %s)", what, state);
		return JT_EINVAL;
	}
	log_error("postgres: %s: %s (SQLSTATE %s)", what, msg, *state ? state : "none");
	return JT_ESTORE;
}

PGresult *pg_next_result(struct pg_slot *c, int64_t deadline_ms, bool *timed_out)
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
		r = pg_next_result(c, deadline, timed_out);
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

enum jt_status pg_finish(struct pg_slot *c, int sent, int timeout_ms, PGresult **res,
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
	PQsetNoticeProcessor(c->conn, notice_drop, NULL);
	memset(c->prepared, 0, sizeof c->prepared);
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
		one_line(PQerrorMessage(c->conn), msg, sizeof msg);
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
		one_line(err ? err : "out of memory", msg, sizeof msg);
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
	for (int i = 0; i < pg->nslots; i++)
		pg->idle[pg->nidle++] = i;
	return JT_OK;
}

void pg_pool_free(struct pg_store *pg)
{
	for (int i = 0; pg->slots && i < pg->nslots; i++)
		PQfinish(pg->slots[i].conn); /* NULL is fine */
	jt_free(pg->slots);
	jt_free(pg->idle);
	if (pg->conninfo)
		explicit_bzero(pg->conninfo, strlen(pg->conninfo)); /* may hold a password */
	jt_free(pg->conninfo);
	pthread_cond_destroy(&pg->freed);
	pthread_mutex_destroy(&pg->mu);
}

struct pg_slot *pg_acquire(struct pg_store *pg)
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

void pg_release(struct pg_store *pg, struct pg_slot *c)
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
	return pg_finish(c, PQsendQuery(c->conn, sql), timeout_ms, res, what);
}

enum jt_status pg_exec(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
		       const struct pg_params *p, PGresult **res, const char *what)
{
	char name[16];
	*res = NULL;
	if (c->bad)
		return JT_ESTORE;
	snprintf(name, sizeof name, "jt%d", (int)id);
	if (!c->prepared[id]) {
		/* Parameter types are inferred; SQL casts ($2::bigint) settle the
		 * ambiguous ones. */
		enum jt_status st = pg_finish(c, PQsendPrepare(c->conn, name, sql, 0, NULL),
					      LIMIT_PG_WAIT_MS, NULL, what);
		if (st != JT_OK)
			return st;
		c->prepared[id] = true;
	}
	int sent = PQsendQueryPrepared(c->conn, name, p ? p->n : 0, p ? p->values : NULL,
				       p ? p->lengths : NULL, p ? p->formats : NULL, 0);
	return pg_finish(c, sent, LIMIT_PG_WAIT_MS, res, what);
}

enum jt_status pg_exec_done(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
			    const struct pg_params *p, const char *what, int64_t *changes)
{
	PGresult *r = NULL;
	enum jt_status st = pg_exec(c, id, sql, p, &r, what);
	if (changes) {
		const char *tuples = r ? PQcmdTuples(r) : "";
		*changes = 0;
		if (*tuples)
			text_parse_i64(tuples, strlen(tuples), 0, INT64_MAX, changes);
	}
	PQclear(r);
	return st;
}

enum jt_status pg_exec_row(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
			   const struct pg_params *p, PGresult **res, const char *what)
{
	enum jt_status st = pg_exec(c, id, sql, p, res, what);
	if (st == JT_OK && PQntuples(*res) < 1) {
		PQclear(*res);
		*res = NULL;
		st = JT_ENOTFOUND;
	}
	return st;
}

enum jt_status pg_collect(struct pg_slot *c, enum pg_stmt_id id, const char *sql,
			  const struct pg_params *p, size_t elem_size,
			  void (*read)(const PGresult *, int, void *), void **items, size_t *n,
			  const char *what)
{
	PGresult *r = NULL;
	char *arr = NULL;
	enum jt_status st = pg_exec(c, id, sql, p, &r, what);

	*items = NULL;
	*n = 0;
	if (st != JT_OK)
		goto out;
	int rows = PQntuples(r);
	if (rows == 0)
		goto out;
	arr = jt_calloc((size_t)rows, elem_size);
	if (!arr) {
		st = JT_ENOMEM;
		goto out;
	}
	for (int i = 0; i < rows; i++)
		read(r, i, arr + (size_t)i * elem_size);
	*items = arr;
	*n = (size_t)rows;
out:
	PQclear(r);
	return st;
}

enum jt_status pg_lookup(struct pg_store *pg, enum pg_stmt_id id, const char *sql, int64_t key,
			 const char *text_key, void (*read)(const PGresult *, int, void *),
			 void *out)
{
	struct pg_params p = {0};
	PGresult *r = NULL;
	if (text_key)
		pg_param_text(&p, text_key);
	else
		pg_param_int(&p, key);
	struct pg_slot *c = pg_acquire(pg);
	enum jt_status st = pg_exec_row(c, id, sql, &p, &r, "look-up");
	if (st == JT_OK)
		read(r, 0, out);
	PQclear(r);
	pg_release(pg, c);
	return st;
}

enum jt_status pg_begin(struct pg_slot *c)
{
	return pg_query(c, "BEGIN", LIMIT_PG_WAIT_MS, NULL, "begin");
}

enum jt_status pg_commit(struct pg_slot *c)
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

void pg_rollback(struct pg_slot *c)
{
	if (c->bad || PQtransactionStatus(c->conn) == PQTRANS_IDLE)
		return;
	if (pg_query(c, "ROLLBACK", LIMIT_PG_WAIT_MS, NULL, "rollback") != JT_OK)
		c->bad = true; /* still in a transaction: reset before the next use */
}

/* ---- columns ---- */

int64_t pg_col_int(const PGresult *r, int row, int col)
{
	int64_t v = 0;
	if (PQgetisnull(r, row, col))
		return 0;
	const char *s = PQgetvalue(r, row, col);
	if (text_parse_i64(s, (size_t)PQgetlength(r, row, col), INT64_MIN, INT64_MAX, &v) != JT_OK)
		return 0;
	return v;
}

bool pg_col_bool(const PGresult *r, int row, int col)
{
	return pg_col_int(r, row, col) != 0;
}

void pg_col_text(const PGresult *r, int row, int col, char *out, size_t out_len)
{
	size_t n = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
	if (n >= out_len)
		n = out_len - 1;
	if (n)
		memcpy(out, PQgetvalue(r, row, col), n);
	out[n] = '\0';
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes the text form of a bytea (bytea_output = 'hex', set on every
 * session: \x and two hex digits a byte) into out; its length, or -1 if it
 * is not that form or longer than out_len. */
static long decode_bytea(const PGresult *r, int row, int col, uint8_t *out, size_t out_len)
{
	const char *s = PQgetvalue(r, row, col);
	size_t len = (size_t)PQgetlength(r, row, col);
	if (len < 2 || len % 2 || s[0] != '\\' || s[1] != 'x' || (len - 2) / 2 > out_len)
		return -1;
	for (size_t i = 0; i < (len - 2) / 2; i++) {
		int hi = hex_value(s[2 + 2 * i]), lo = hex_value(s[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)((len - 2) / 2);
}

bool pg_col_hash(const PGresult *r, int row, int col, uint8_t out[STORE_HASH_LEN])
{
	if (!PQgetisnull(r, row, col) &&
	    PQgetlength(r, row, col) == 2 + 2 * STORE_HASH_LEN &&
	    decode_bytea(r, row, col, out, STORE_HASH_LEN) == STORE_HASH_LEN)
		return true;
	memset(out, 0, STORE_HASH_LEN);
	return false;
}

size_t pg_col_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t out_len)
{
	long n = PQgetisnull(r, row, col) ? -1 : decode_bytea(r, row, col, out, out_len);
	return n < 0 ? 0 : (size_t)n;
}
