/* SPDX-License-Identifier: MIT */
/* Group commit, on both drivers: one writer thread with its own connection
 * takes every write queued since its last commit, runs them in one
 * transaction, commits once (one fsync for all) and then reports each
 * write's outcome to its callback. A batch is first tried at full speed,
 * its writes pipelined where the driver can (PostgreSQL); if anything in
 * it fails, it is undone and run again with each write in a savepoint, so
 * that the failing write fails alone. Requests waiting for these writes
 * are suspended, so the serving threads go on serving; a verb that waits
 * (writer_run) waits for the commit of its batch. Being the only writer, it
 * never competes with another for SQLite's write lock. */
#include "store/query.h"
#include "util/histogram.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#define BATCH_MAX 512 /* writes in one transaction */

struct job {
	store_job run;
	void *arg;
	store_done done;
	void *done_arg;
	enum jt_status status;
	struct job *next;
	max_align_t arg_buf[]; /* a copy of the caller's arguments */
};

struct store_writer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	bool stopping;
	bool running;
	pthread_t thread;
	struct histogram batch_sizes, batch_us; /* for /metrics (store_write_stats) */
};

/* Writes in one batch: powers of two up to BATCH_MAX. */
static const uint64_t batch_size_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, BATCH_MAX};

/* The first try of a batch, at full speed: no savepoints, and the driver
 * may pipeline the writes (PostgreSQL sends them all and waits once, at
 * the commit). JT_OK only when every job and the commit succeeded; any
 * failure undoes the whole batch, which then runs the careful way. */
static enum jt_status run_fast(const struct store_driver *d, struct store_conn *c, struct job *jobs,
			       bool *began)
{
	enum jt_status st = d->begin(c, TXN_PIPELINE);
	*began = st == JT_OK;
	for (struct job *j = jobs; st == JT_OK && j; j = j->next)
		st = j->status = j->run(c, j->arg);
	if (st == JT_OK)
		st = d->commit(c);
	if (st != JT_OK)
		d->rollback(c);
	return st;
}

/* Runs the jobs in one transaction, the careful way: each job in a
 * savepoint, so that a job that fails is undone alone; each job's status
 * is set. A lone job is its transaction: it needs no savepoint. */
static enum jt_status run_jobs(const struct store_driver *d, struct store_conn *c, struct job *jobs)
{
	bool alone = jobs->next == NULL;
	enum jt_status st = d->begin(c, TXN_WRITE);
	for (struct job *j = jobs; j; j = j->next) {
		if (st != JT_OK) {
			j->status = st;
			continue;
		}
		j->status = alone ? JT_OK : d->exec(c, "SAVEPOINT job");
		if (j->status == JT_OK)
			j->status = j->run(c, j->arg);
		if (!alone && j->status != JT_OK)
			d->exec(c, "ROLLBACK TO job");
		if (!alone)
			d->exec(c, "RELEASE job");
	}
	if (st == JT_OK && alone && jobs->status != JT_OK) {
		d->rollback(c); /* nothing to keep; the job's status stands */
		return JT_OK;
	}
	if (st == JT_OK)
		st = d->commit(c);
	if (st != JT_OK)
		d->rollback(c);
	return st;
}

/* Runs a batch; JT_OK, or the failure that left none of it durable. */
static enum jt_status run_batch(struct store *st, struct job *jobs)
{
	const struct store_driver *d = st->d;
	struct store_conn *c = d->writer_conn(st);
	bool was_limited = d->writes_limited && d->writes_limited(st);
	enum jt_status s = JT_OK;
	/* On SQLite's full disk some writes are refused: a fast try would fail. */
	if (!was_limited) {
		bool began;
		s = run_fast(d, c, jobs, &began);
		if (s == JT_OK)
			return JT_OK;
		was_limited = d->writes_limited && d->writes_limited(st);
		/* No transaction could begin (SQLite's write lock held past its
		 * wait by another process, a lost connection): the careful way
		 * would only wait as long again. A failure later may be one
		 * job's (PostgreSQL reports a pipelined job's at the commit). */
		if (!began && !was_limited)
			goto failed;
	}
	s = run_jobs(d, c, jobs);
	/* The commit found SQLite's disk full and released the reserve: once
	 * more, where only the writes that take access away run. */
	if (s != JT_OK && !was_limited && d->writes_limited && d->writes_limited(st))
		s = run_jobs(d, c, jobs);
	if (s == JT_OK)
		return JT_OK;
failed:
	for (struct job *j = jobs; j; j = j->next)
		if (j->status == JT_OK)
			j->status = JT_ESTORE; /* nothing of this batch is durable */
	return s;
}

static void *writer(void *arg)
{
	struct store *st = arg;
	struct store_writer *w = st->writer;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		struct job *jobs = w->head, *last = jobs;
		int n = 1;
		for (; last && last->next && n < BATCH_MAX; n++)
			last = last->next;
		if (last) {
			w->head = last->next;
			if (!w->head)
				w->tail = NULL;
			last->next = NULL;
		}
		pthread_mutex_unlock(&w->mu);
		if (!jobs)
			return NULL; /* stopping, queue drained */
		int64_t started = time_mono_us();
		enum jt_status s = run_batch(st, jobs);
		histogram_observe(&w->batch_us, (uint64_t)(time_mono_us() - started));
		histogram_observe(&w->batch_sizes, (uint64_t)n);
		/* Closing, and the store refuses writes (another process holds
		 * SQLite's lock, the disk stalls): what is still queued would wait
		 * as long again, batch after batch, and fail alike. It fails now,
		 * so that closing the store waits for one batch at most. */
		pthread_mutex_lock(&w->mu);
		if (s != JT_OK && w->stopping) {
			last->next = w->head;
			w->head = w->tail = NULL;
		}
		pthread_mutex_unlock(&w->mu);
		while (jobs) {
			struct job *next = jobs->next;
			if (s != JT_OK && jobs->status == JT_OK)
				jobs->status = JT_ESTORE; /* queued behind it, not run */
			jobs->done(jobs->done_arg, jobs->status);
			jt_free(jobs);
			jobs = next;
		}
		if (st->d->between_batches)
			st->d->between_batches(st);
	}
}

enum jt_status writer_start(struct store *st)
{
	struct store_writer *w = jt_calloc(1, sizeof *w);
	if (!w)
		return JT_ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->batch_sizes.bounds = batch_size_bounds;
	w->batch_sizes.nbounds = sizeof batch_size_bounds / sizeof batch_size_bounds[0];
	w->batch_us.bounds = histogram_latency_us;
	w->batch_us.nbounds = HISTOGRAM_LATENCY_BOUNDS;
	st->writer = w;
	if (pthread_create(&w->thread, NULL, writer, st) != 0) {
		log_error("store: cannot start the writer thread");
		return JT_EIO;
	}
	w->running = true;
	return JT_OK;
}

void writer_stop(struct store *st)
{
	struct store_writer *w = st->writer;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->running)
		pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	jt_free(w);
	st->writer = NULL;
}

enum jt_status writer_submit(struct store *st, store_job run, const void *arg, size_t arg_size,
			     store_done done, void *done_arg)
{
	struct store_writer *w = st->writer;
	struct job *j = jt_calloc(1, sizeof *j + arg_size);
	if (!j)
		return JT_ENOMEM;
	j->run = run;
	memcpy(j->arg_buf, arg, arg_size);
	j->arg = j->arg_buf;
	j->done = done;
	j->done_arg = done_arg;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
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

enum jt_status writer_run(struct store *st, store_job run, const void *arg, size_t arg_size)
{
	struct waiter w = {.done = false};
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	enum jt_status s = writer_submit(st, run, arg, arg_size, wake, &w);
	if (s == JT_OK) {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cv, &w.mu);
		s = w.status;
		pthread_mutex_unlock(&w.mu);
	}
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	return s;
}

void store_write_stats(struct store *st, const struct histogram **sizes,
		       const struct histogram **latency_us)
{
	struct store_writer *w = st->writer;
	*sizes = w ? &w->batch_sizes : NULL;
	*latency_us = w ? &w->batch_us : NULL;
}
