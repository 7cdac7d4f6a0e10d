/* SPDX-License-Identifier: MIT */
/* The SQLite driver's WAL: a checkpointer thread with its own connection
 * folds the WAL back into the database in the background (PASSIVE: never
 * inside a commit, never blocking the writer or readers), and restarts it
 * when the writer asks, between two of the writer's batches (writer.c). */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/time.h"

#include <time.h>

#define CHECKPOINT_EVERY_MS 250 /* how often the WAL is folded back into the database */
#define RESTART_BUSY_MS     100 /* a RESTART checkpoint waits this long for readers */

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
void sq_wal_between_batches(struct store *base)
{
	struct sqlite_store *sq = sq_to(base);
	if (sq->wal_frames < sq->wal_restart_frames)
		return;
	pthread_mutex_lock(&sq->wal_mu);
	if (time_mono_us() >= sq->restart_retry_us) {
		sq->restart_due = true;
		pthread_cond_signal(&sq->checkpoint_cv);
		while (sq->restart_due && !sq->wal_stopping)
			pthread_cond_wait(&sq->wal_cv, &sq->wal_mu);
	}
	pthread_mutex_unlock(&sq->wal_mu);
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

static void *checkpointer(void *arg)
{
	struct sqlite_store *sq = arg;
	struct conn *c = &sq->checkpoint_conn;
	pthread_mutex_lock(&sq->wal_mu);
	while (!sq->wal_stopping) {
		bool restart = sq->restart_due, restarted = false;
		pthread_mutex_unlock(&sq->wal_mu);
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
		pthread_mutex_lock(&sq->wal_mu);
		if (restart) {
			/* A reader still on the old WAL: the writer goes on and asks
			 * again after a pause rather than after every commit. */
			if (!restarted)
				sq->restart_retry_us = time_mono_us() + CHECKPOINT_EVERY_MS * 1000;
			sq->restart_due = false;
			pthread_cond_broadcast(&sq->wal_cv);
		}
		/* Woken early by the writer or by sq_wal_stop. */
		if (!sq->wal_stopping && !sq->restart_due)
			pthread_cond_timedwait(&sq->checkpoint_cv, &sq->wal_mu, &until);
	}
	pthread_mutex_unlock(&sq->wal_mu);
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

enum jt_status sq_wal_start(struct sqlite_store *sq, const char *path)
{
	enum jt_status st = sq_conn_setup(sq, &sq->batch_conn, path);
	if (st == JT_OK)
		st = sq_conn_setup(sq, &sq->checkpoint_conn, path);
	if (st != JT_OK)
		return st;
	sq->wal_restart_frames = restart_frames(&sq->batch_conn);
	sqlite3_wal_hook(sq->batch_conn.db, count_frames, sq);
	if (pthread_create(&sq->checkpoint_thread, NULL, checkpointer, sq) != 0) {
		log_error("sqlite: cannot start the checkpointer thread");
		return JT_EIO;
	}
	sq->checkpoint_running = true;
	return JT_OK;
}

/* After the writer stopped. */
void sq_wal_stop(struct sqlite_store *sq)
{
	pthread_mutex_lock(&sq->wal_mu);
	sq->wal_stopping = true;
	pthread_cond_broadcast(&sq->wal_cv);
	pthread_cond_signal(&sq->checkpoint_cv);
	pthread_mutex_unlock(&sq->wal_mu);
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
