/* SPDX-License-Identifier: MIT */
/* The writer's batches on PostgreSQL, in libpq's pipeline mode: BEGIN, every
 * write of every job and COMMIT go out without waiting for a reply in
 * between, and the replies are read at the commit, so a batch costs one
 * round trip and one fsync however many writes it holds. A statement whose
 * rows a job reads at once (run) is flushed and waited for, with the
 * replies owed before it. The connection is non-blocking meanwhile: while
 * it sends, it reads, so that neither side stalls on a full socket buffer.
 *
 * When a statement fails, PostgreSQL skips every later one until the sync
 * that the commit sends (their replies say "aborted"); the commit then
 * fails, and the writer rolls back and runs the batch again the careful
 * way (writer.c). */
#include "store/postgres_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

/* Notes a reply owed; false when out of memory. */
static bool owe(struct pg_slot *c, struct pg_pending p)
{
	if (c->nowed == c->owed_cap) {
		size_t cap = c->owed_cap ? c->owed_cap * 2 : 64;
		struct pg_pending *grown = jt_realloc(c->owed, cap * sizeof *grown);
		if (!grown)
			return false;
		c->owed = grown;
		c->owed_cap = cap;
	}
	c->owed[c->nowed++] = p;
	return true;
}

static struct pg_pending reply(const char *what)
{
	return (struct pg_pending){.what = what, .prepare = -1};
}

/* The next result, sending what is still unsent meanwhile; NULL at the end
 * of a statement's results, or on a timeout (*timed_out). */
static PGresult *next(struct pg_slot *c, int64_t deadline, bool *timed_out)
{
	for (;;) {
		int unsent = PQflush(c->conn); /* 0 all sent, 1 more to send, -1 broken */
		int sock = PQsocket(c->conn);
		if (unsent < 0 || sock < 0 || !PQisBusy(c->conn))
			return PQgetResult(c->conn);
		int64_t left = deadline - time_mono_ms();
		if (left <= 0) {
			*timed_out = true;
			return NULL;
		}
		struct pollfd pfd = {.fd = sock, .events = POLLIN | (unsent ? POLLOUT : 0)};
		int ready = poll(&pfd, 1, (int)left);
		if (ready < 0 && errno != EINTR) {
			*timed_out = true;
			return NULL;
		}
		if (ready > 0 && (pfd.revents & ~POLLOUT) && !PQconsumeInput(c->conn))
			return PQgetResult(c->conn); /* broken: it says so */
	}
}

/* A big-endian int8 of a binary result. */
static int64_t int8_of(const PGresult *r)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, 0, 0);
	uint64_t v = 0;
	for (int i = 0; i < 8 && i < PQgetlength(r, 0, 0); i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* Reads the reply to the oldest statement owed and drops it from the list.
 * Its status, or JT_ESTORE for one PostgreSQL skipped after a failure. */
static enum jt_status read_reply(struct pg_slot *c, int64_t deadline)
{
	struct pg_pending p = c->owed[c->owed_first++];
	PGresult *r, *keep = NULL;
	bool timed_out = false;
	if (c->owed_first == c->nowed)
		c->owed_first = c->nowed = 0;
	/* A statement's results end with NULL; its first error counts. */
	while ((r = next(c, deadline, &timed_out))) {
		if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(r);
		} else {
			PQclear(keep);
			keep = r;
		}
	}
	if (timed_out) {
		log_error("postgres: %s: no reply within %d ms", p.what, LIMIT_PG_WAIT_MS);
		PQclear(keep);
		c->bad = true;
		return JT_ESTORE;
	}
	ExecStatusType rs = keep ? PQresultStatus(keep) : PGRES_FATAL_ERROR;
	enum jt_status st = rs == PGRES_PIPELINE_SYNC      ? JT_OK
			    : rs == PGRES_PIPELINE_ABORTED ? JT_ESTORE /* skipped: not its fault */
							   : pg_map(c, keep, p.what);
	if (p.prepare >= 0 && st != JT_OK)
		c->prepared[p.prepare] = false;
	if (st == JT_OK && p.commit && strcmp(PQcmdStatus(keep), "COMMIT") != 0) {
		log_error("postgres: commit: the transaction was rolled back");
		st = JT_ESTORE;
	}
	if (st == JT_OK && p.returned) {
		if (PQntuples(keep) == 1 && !PQgetisnull(keep, 0, 0))
			*p.returned = int8_of(keep);
		else
			st = JT_ESTORE;
	}
	if (st == JT_OK && p.keep)
		c->res = keep;
	else
		PQclear(keep);
	return st;
}

/* Reads every reply owed, up to and including the last; the first failure. */
static enum jt_status read_all(struct pg_slot *c)
{
	int64_t deadline = time_mono_ms() + LIMIT_PG_WAIT_MS;
	enum jt_status first = JT_OK;
	while (c->owed_first < c->nowed && !c->bad) {
		enum jt_status st = read_reply(c, deadline);
		if (first == JT_OK)
			first = st;
	}
	if (c->bad) {
		c->owed_first = c->nowed = 0; /* the session is dropped with its replies */
		return JT_ESTORE;
	}
	return first;
}

/* After a send failed: the session cannot go on. */
static enum jt_status send_failed(struct pg_slot *c, const char *what)
{
	pg_map(c, NULL, what);
	c->owed_first = c->nowed = 0;
	return JT_ESTORE;
}

/* Sends statement id: prepared first if this session has not yet. */
static enum jt_status send(struct pg_slot *c, int id, const char *sql, const struct pg_args *a,
			   int nargs, struct pg_pending p)
{
	char name[16];
	p.what = sql;
	if (!c->pg->prepare) {
		if (!PQsendQueryParams(c->conn, sql, nargs, a->types, a->values, a->lengths,
				       a->formats, 1))
			return send_failed(c, sql);
		return owe(c, p) ? JT_OK : JT_ENOMEM;
	}
	snprintf(name, sizeof name, "q%d", id);
	if (!c->prepared[id]) {
		struct pg_pending prep = reply(sql);
		prep.prepare = id;
		if (!PQsendPrepare(c->conn, name, sql, nargs, a->types))
			return send_failed(c, sql);
		c->prepared[id] = true; /* unless its reply says otherwise */
		if (!owe(c, prep))
			return JT_ENOMEM;
	}
	if (!PQsendQueryPrepared(c->conn, name, nargs, a->values, a->lengths, a->formats, 1))
		return send_failed(c, sql);
	return owe(c, p) ? JT_OK : JT_ENOMEM;
}

/* Sends SQL text without parameters. */
static enum jt_status send_text(struct pg_slot *c, const char *sql, struct pg_pending p)
{
	if (!PQsendQueryParams(c->conn, sql, 0, NULL, NULL, NULL, NULL, 1))
		return send_failed(c, sql);
	return owe(c, p) ? JT_OK : JT_ENOMEM;
}

enum jt_status pg_pipe_begin(struct pg_slot *c)
{
	if (c->bad)
		return JT_ESTORE; /* already reported */
	if (!PQenterPipelineMode(c->conn) || PQsetnonblocking(c->conn, 1) != 0) {
		log_error("postgres: cannot enter pipeline mode: %s", PQerrorMessage(c->conn));
		c->bad = true;
		return JT_ESTORE;
	}
	c->pipelined = true;
	c->owed_first = c->nowed = 0;
	return send_text(c, "BEGIN", reply("begin"));
}

enum jt_status pg_pipe_run(struct pg_slot *c, int id, const char *sql, const struct pg_args *a,
			   int nargs)
{
	struct pg_pending p = reply(sql);
	p.keep = true;
	enum jt_status st = send(c, id, sql, a, nargs, p);
	if (st != JT_OK)
		return st;
	if (!PQsendFlushRequest(c->conn))
		return send_failed(c, sql);
	return read_all(c);
}

enum jt_status pg_pipe_exec(struct pg_slot *c, const char *sql)
{
	return c->bad ? JT_ESTORE : send_text(c, sql, reply(sql));
}

enum jt_status pg_queue(struct store_conn *base, int id, const char *sql,
			const struct sql_value *args, int nargs, int64_t *returned)
{
	struct pg_slot *c = pg_slot_of(base);
	if (!c->pipelined || id < 0) {
		enum jt_status st = pg_run(base, id, sql, args, nargs);
		if (st == JT_OK && returned) {
			st = pg_step(base);
			if (st == JT_OK)
				*returned = pg_column(base, 0).i;
			else if (st == JT_ENOTFOUND)
				st = JT_ESTORE; /* RETURNING gave no row */
		}
		pg_finish(base);
		return st;
	}
	if (c->bad)
		return JT_ESTORE;
	if (nargs > LIMIT_PG_PARAMS)
		return JT_EINVAL;
	struct pg_args a;
	struct pg_pending p = reply(sql);
	p.returned = returned;
	pg_args_fill(&a, args, nargs);
	return send(c, id, sql, &a, nargs, p);
}

/* Leaves pipeline mode once nothing is owed; the session is dropped if it
 * cannot. */
static void leave(struct pg_slot *c)
{
	c->pipelined = false;
	c->owed_first = c->nowed = 0;
	if (c->bad)
		return; /* reset before its next use, which leaves pipeline mode */
	if (!PQexitPipelineMode(c->conn) || PQsetnonblocking(c->conn, 0) != 0) {
		log_error("postgres: cannot leave pipeline mode: %s", PQerrorMessage(c->conn));
		c->bad = true;
	}
}

enum jt_status pg_pipe_commit(struct pg_slot *c)
{
	struct pg_pending commit = reply("commit");
	commit.commit = true;
	enum jt_status st = c->bad ? JT_ESTORE : send_text(c, "COMMIT", commit);
	if (st == JT_OK && !PQpipelineSync(c->conn))
		st = send_failed(c, "commit");
	if (st == JT_OK && !owe(c, reply("sync")))
		st = JT_ENOMEM;
	if (st == JT_OK)
		st = read_all(c);
	else
		c->bad = true; /* replies are owed that will never be read */
	leave(c);
	return st;
}

void pg_pipe_end(struct pg_slot *c)
{
	if (!c->bad && (!PQpipelineSync(c->conn) || !owe(c, reply("sync"))))
		c->bad = true;
	if (!c->bad)
		read_all(c);
	leave(c);
}

void pg_pipe_forget(struct pg_slot *c)
{
	c->pipelined = false;
	c->owed_first = c->nowed = 0;
}
