/* SPDX-License-Identifier: MIT */
/* Group commit for the SQLite backend: one writer thread with its own
 * connection takes every write queued since its last commit, runs each in
 * a savepoint of one transaction, commits once (one fsync for all) and
 * then reports each write's outcome to its callback. Requests waiting for
 * these writes are suspended, so the serving threads go on serving. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <stddef.h>
#include <time.h>
#include <string.h>

#define BATCH_MAX 512 /* writes in one transaction */

struct sq_job {
	enum jt_status (*run)(struct conn *c, void *arg);
	void *arg;
	store_done done;
	void *done_arg;
	enum jt_status status;
	struct sq_job *next;
	max_align_t arg_buf[]; /* a copy of the caller's arguments */
};

static enum jt_status exec_sql(struct conn *c, const char *sql)
{
	return sq_map_rc(c->db, sqlite3_exec(c->db, sql, NULL, NULL, NULL), sql);
}

/* Runs one batch in one transaction; each job's status is set. */
static void run_batch(struct conn *c, struct sq_job *jobs)
{
	enum jt_status st = sq_begin(c);
	for (struct sq_job *j = jobs; j; j = j->next) {
		if (st != JT_OK) {
			j->status = st;
			continue;
		}
		j->status = exec_sql(c, "SAVEPOINT job");
		if (j->status == JT_OK)
			j->status = j->run(c, j->arg);
		if (j->status != JT_OK)
			exec_sql(c, "ROLLBACK TO job");
		exec_sql(c, "RELEASE job");
	}
	if (st == JT_OK)
		st = sq_commit(c);
	if (st != JT_OK) {
		sq_rollback(c);
		for (struct sq_job *j = jobs; j; j = j->next)
			if (j->status == JT_OK)
				j->status = JT_ESTORE; /* nothing of this batch is durable */
	}
}

static void *writer(void *arg)
{
	struct sqlite_store *sq = arg;
	for (;;) {
		pthread_mutex_lock(&sq->batch_mu);
		while (!sq->batch_head && !sq->batch_stopping)
			pthread_cond_wait(&sq->batch_cv, &sq->batch_mu);
		struct sq_job *jobs = sq->batch_head, *last = jobs;
		for (int n = 1; last && last->next && n < BATCH_MAX; n++)
			last = last->next;
		if (last) {
			sq->batch_head = last->next;
			if (!sq->batch_head)
				sq->batch_tail = NULL;
			last->next = NULL;
		}
		pthread_mutex_unlock(&sq->batch_mu);
		if (!jobs)
			return NULL; /* stopping, queue drained */
		run_batch(&sq->batch_conn, jobs);
		while (jobs) {
			struct sq_job *next = jobs->next;
			jobs->done(jobs->done_arg, jobs->status);
			jt_free(jobs);
			jobs = next;
		}
	}
}

#define CHECKPOINT_EVERY_MS 250   /* how often the WAL is folded back into the database */

/* Folds the WAL into the database in the background (PASSIVE: it never
 * blocks the writer or readers), instead of inside a commit. */
static void *checkpointer(void *arg)
{
	struct sqlite_store *sq = arg;
	pthread_mutex_lock(&sq->batch_mu);
	while (!sq->batch_stopping) {
		pthread_mutex_unlock(&sq->batch_mu);
		sqlite3_wal_checkpoint_v2(sq->checkpoint_conn.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
					  NULL);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&sq->batch_mu);
		/* Woken early by sq_batch_stop's broadcast. */
		if (!sq->batch_stopping)
			pthread_cond_timedwait(&sq->checkpoint_cv, &sq->batch_mu, &until);
	}
	pthread_mutex_unlock(&sq->batch_mu);
	return NULL;
}

enum jt_status sq_batch_start(struct sqlite_store *sq, const char *path)
{
	enum jt_status st = sq_conn_setup(&sq->batch_conn, path);
	if (st != JT_OK)
		return st;
	if (pthread_create(&sq->batch_thread, NULL, writer, sq) != 0) {
		log_error("sqlite: cannot start the writer thread");
		return JT_EIO;
	}
	sq->batch_running = true;
	if (sq_conn_setup(&sq->checkpoint_conn, path) == JT_OK &&
	    pthread_create(&sq->checkpoint_thread, NULL, checkpointer, sq) == 0)
		sq->checkpoint_running = true;
	return JT_OK;
}

void sq_batch_stop(struct sqlite_store *sq)
{
	if (sq->batch_running) {
		pthread_mutex_lock(&sq->batch_mu);
		sq->batch_stopping = true;
		pthread_cond_signal(&sq->batch_cv);
		pthread_cond_signal(&sq->checkpoint_cv);
		pthread_mutex_unlock(&sq->batch_mu);
		pthread_join(sq->batch_thread, NULL);
		sq->batch_running = false;
	}
	if (sq->checkpoint_running) {
		pthread_join(sq->checkpoint_thread, NULL);
		sq->checkpoint_running = false;
		/* Fold what is left, without waiting for other processes. */
		sqlite3_wal_checkpoint_v2(sq->checkpoint_conn.db, NULL, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
	}
	if (sq->checkpoint_conn.db)
		sq_conn_teardown(&sq->checkpoint_conn);
	if (sq->batch_conn.db)
		sq_conn_teardown(&sq->batch_conn);
}

enum jt_status sq_batch_submit(struct sqlite_store *sq,
			       enum jt_status (*run)(struct conn *c, void *arg), const void *arg,
			       size_t arg_size, store_done done, void *done_arg)
{
	struct sq_job *j = jt_calloc(1, sizeof *j + arg_size);
	if (!j)
		return JT_ENOMEM;
	j->run = run;
	memcpy(j->arg_buf, arg, arg_size);
	j->arg = j->arg_buf;
	j->done = done;
	j->done_arg = done_arg;
	pthread_mutex_lock(&sq->batch_mu);
	if (sq->batch_tail)
		sq->batch_tail->next = j;
	else
		sq->batch_head = j;
	sq->batch_tail = j;
	pthread_cond_signal(&sq->batch_cv);
	pthread_mutex_unlock(&sq->batch_mu);
	return JT_OK;
}

/* A caller waiting for its job's commit. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	enum jt_status status;
};

static void wake(void *arg, enum jt_status status)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->status = status;
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

enum jt_status sq_batch_run(struct sqlite_store *sq,
			    enum jt_status (*run)(struct conn *c, void *arg), const void *arg,
			    size_t arg_size)
{
	struct waiter w = {.done = false};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	enum jt_status st = sq_batch_submit(sq, run, arg, arg_size, wake, &w);
	if (st == JT_OK) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		st = w.status;
		pthread_mutex_unlock(&w.mu);
	}
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return st;
}
