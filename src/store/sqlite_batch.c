/* SPDX-License-Identifier: MIT */
/* Group commit for the SQLite backend: one writer thread with its own
 * connection takes every write queued since its last commit, runs each in
 * a savepoint of one transaction, commits once (one fsync for all) and
 * then reports each write's outcome to its callback. Requests waiting for
 * these writes are suspended, so the serving threads go on serving. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <stddef.h>
#include <time.h>
#include <string.h>

#define BATCH_MAX 512 /* writes in one transaction */
#define CHECKPOINT_EVERY_MS 250   /* how often the WAL is folded back into the database */
#define RESTART_BUSY_MS 100       /* a RESTART checkpoint waits this long for readers */

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

/* Runs the jobs in one transaction; each job's status is set. */
static enum jt_status run_jobs(struct conn *c, struct sq_job *jobs)
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
	if (st != JT_OK)
		sq_rollback(c);
	return st;
}

static void run_batch(struct conn *c, struct sq_job *jobs)
{
	bool was_full = atomic_load(&c->sq->disk_full);
	enum jt_status st = run_jobs(c, jobs);
	/* The commit found the disk full and the reserve was released: once
	 * more, where only the writes that take access away run (sq_stmt). */
	if (st != JT_OK && !was_full && atomic_load(&c->sq->disk_full))
		st = run_jobs(c, jobs);
	if (st != JT_OK)
		for (struct sq_job *j = jobs; j; j = j->next)
			if (j->status == JT_OK)
				j->status = JT_ESTORE; /* nothing of this batch is durable */
}

/* Called by SQLite after each of the writer's commits, on the writer
 * thread: how many frames the WAL now holds. */
static int count_frames(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct sqlite_store *)arg)->wal_frames = frames;
	return SQLITE_OK;
}

/* Between two transactions: when the WAL is over its restart size, waits
 * while the checkpointer restarts it. Passive checkpoints alone never let
 * the WAL start over under continuous commits (each one finds newer
 * frames than it copied), so without this wait it grows without bound. */
static void wait_for_restart(struct sqlite_store *sq)
{
	if (sq->wal_frames < sq->wal_restart_frames)
		return;
	pthread_mutex_lock(&sq->batch_mu);
	if (time_mono_us() >= sq->restart_retry_us) {
		sq->restart_due = true;
		pthread_cond_signal(&sq->checkpoint_cv);
		while (sq->restart_due && !sq->batch_stopping)
			pthread_cond_wait(&sq->batch_cv, &sq->batch_mu);
	}
	pthread_mutex_unlock(&sq->batch_mu);
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
		wait_for_restart(sq);
	}
}

/* RESTART: with the writer waiting, copies the last frames into the
 * database and waits (briefly) for readers of the old WAL to finish, so
 * that the next commit writes the WAL from its start; journal_size_limit
 * then cuts the file back. */
static bool restart_wal(struct conn *c)
{
	sqlite3_busy_timeout(c->db, RESTART_BUSY_MS);
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		sq_disk_note(c->sq, c->db, rc);
		sq_map_rc(c->db, rc, "wal restart");
	}
	sqlite3_busy_timeout(c->db, LIMIT_STORE_BUSY_MS);
	return rc == SQLITE_OK;
}

/* PASSIVE: copies what it can without waiting for anyone. */
static void checkpoint(struct conn *c)
{
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		sq_disk_note(c->sq, c->db, rc);
		sq_map_rc(c->db, rc, "checkpoint");
	}
}

/* Folds the WAL into the database in the background (PASSIVE: it never
 * blocks the writer or readers), instead of inside a commit, and restarts
 * it when the writer asks. */
static void *checkpointer(void *arg)
{
	struct sqlite_store *sq = arg;
	struct conn *c = &sq->checkpoint_conn;
	pthread_mutex_lock(&sq->batch_mu);
	while (!sq->batch_stopping) {
		bool restart = sq->restart_due, restarted = false;
		pthread_mutex_unlock(&sq->batch_mu);
		/* On a full disk, the WAL starts over whenever it can, so that
		 * revocations reuse its space rather than spend the reserve. */
		if (restart || atomic_load(&sq->disk_full))
			restarted = restart_wal(c);
		else
			checkpoint(c);
		sq_disk_tick(sq, c);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CHECKPOINT_EVERY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&sq->batch_mu);
		if (restart) {
			/* A reader still on the old WAL: the writer goes on and asks
			 * again after a pause rather than after every commit. */
			if (!restarted)
				sq->restart_retry_us = time_mono_us() + CHECKPOINT_EVERY_MS * 1000;
			sq->restart_due = false;
			pthread_cond_broadcast(&sq->batch_cv);
		}
		/* Woken early by the writer or by sq_batch_stop. */
		if (!sq->batch_stopping && !sq->restart_due)
			pthread_cond_timedwait(&sq->checkpoint_cv, &sq->batch_mu, &until);
	}
	pthread_mutex_unlock(&sq->batch_mu);
	return NULL;
}

/* The WAL's restart size in frames of this database's pages. */
static int restart_frames(struct conn *c)
{
	sqlite3_stmt *s = NULL;
	int page = 4096;
	if (sqlite3_prepare_v2(c->db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		page = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return LIMIT_WAL_RESTART_BYTES / (page + 24); /* a frame: a page and its header */
}

enum jt_status sq_batch_start(struct sqlite_store *sq, const char *path)
{
	enum jt_status st = sq_conn_setup(sq, &sq->batch_conn, path);
	if (st == JT_OK)
		st = sq_conn_setup(sq, &sq->checkpoint_conn, path);
	if (st != JT_OK)
		return st;
	sq->wal_restart_frames = restart_frames(&sq->batch_conn);
	sqlite3_wal_hook(sq->batch_conn.db, count_frames, sq);
	/* The checkpointer first: the writer counts on it to restart the WAL. */
	if (pthread_create(&sq->checkpoint_thread, NULL, checkpointer, sq) != 0) {
		log_error("sqlite: cannot start the checkpointer thread");
		return JT_EIO;
	}
	sq->checkpoint_running = true;
	if (pthread_create(&sq->batch_thread, NULL, writer, sq) != 0) {
		log_error("sqlite: cannot start the writer thread");
		return JT_EIO;
	}
	sq->batch_running = true;
	return JT_OK;
}

void sq_batch_stop(struct sqlite_store *sq)
{
	pthread_mutex_lock(&sq->batch_mu);
	sq->batch_stopping = true;
	pthread_cond_signal(&sq->batch_cv);
	pthread_cond_signal(&sq->checkpoint_cv);
	pthread_mutex_unlock(&sq->batch_mu);
	if (sq->batch_running) {
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
