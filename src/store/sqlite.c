/* SPDX-License-Identifier: MIT */
/* The embedded SQLite driver of the store.
 *
 * A pool of connections, one per calling thread at a time, each with its
 * prepared statements kept for the life of the connection; the writer
 * (writer.c) has a connection of its own and every verb writes through it,
 * so no two transactions compete for the write lock. WAL journal with
 * synchronous=FULL: a commit that returned is on disk. Schema versions
 * live in PRAGMA user_version; migrations are embedded at build time. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct store_driver sqlite_driver;

/* ---- lifecycle ---- */

/* The store holds token, secret and password hashes and sealed keys: only
 * jeton's user may read it, whatever the umask. SQLite gives the -wal and
 * -shm files it creates the main file's permissions, so creating that one
 * 0600 covers the three. An existing file keeps the mode its owner chose. */
static enum jt_status create_private(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return JT_OK;
	}
	if (errno != EEXIST) {
		log_error("sqlite: cannot create %s: %s", path, strerror(errno));
		return JT_ESTORE;
	}
	if (stat(path, &sb) == 0 && (sb.st_mode & 077))
		log_warn("the store %s is readable by others: chmod 600 it and its -wal and -shm "
			 "files",
			 path);
	return JT_OK;
}

enum jt_status store_sqlite_open(const char *path, int threads, struct store **out)
{
	enum jt_status st = JT_ENOMEM;
	struct sqlite_store *sq = jt_calloc(1, sizeof *sq);

	*out = NULL;
	if (!sq)
		return JT_ENOMEM;
	sq->base.d = &sqlite_driver;
	pthread_mutex_init(&sq->mu, NULL);
	pthread_cond_init(&sq->freed, NULL);
	pthread_mutex_init(&sq->wal_mu, NULL);
	pthread_cond_init(&sq->wal_cv, NULL);
	pthread_cond_init(&sq->checkpoint_cv, NULL);
	pthread_mutex_init(&sq->disk_mu, NULL);
	sq->nconns = threads < 1 ? 1 : threads + 1;
	sq->conns = jt_calloc((size_t)sq->nconns, sizeof *sq->conns);
	sq->idle = jt_calloc((size_t)sq->nconns, sizeof *sq->idle);
	if (!sq->conns || !sq->idle)
		goto fail;
	st = create_private(path);
	if (st != JT_OK)
		goto fail;
	for (int i = 0; i < sq->nconns; i++) {
		st = sq_conn_setup(sq, &sq->conns[i], path);
		if (st != JT_OK)
			goto fail;
		sq->idle[sq->nidle++] = i;
	}
	sq_disk_open(sq, path);
	st = sq_wal_start(sq, path);
	if (st != JT_OK)
		goto fail;
	*out = &sq->base;
	return JT_OK;
fail:
	sqlite_driver.close(&sq->base);
	return st;
}

static void sq_close(struct store *base)
{
	struct sqlite_store *sq = sq_to(base);
	sq_wal_stop(sq);
	for (int i = 0; sq->conns && i < sq->nconns; i++)
		sq_conn_teardown(&sq->conns[i]);
	jt_free(sq->conns);
	jt_free(sq->idle);
	pthread_cond_destroy(&sq->freed);
	pthread_mutex_destroy(&sq->mu);
	pthread_cond_destroy(&sq->wal_cv);
	pthread_cond_destroy(&sq->checkpoint_cv);
	pthread_mutex_destroy(&sq->wal_mu);
	sq_disk_close(sq);
	pthread_mutex_destroy(&sq->disk_mu);
	jt_free(sq);
}

/* The value of a pragma that answers one integer. */
static enum jt_status pragma_int(struct conn *c, const char *pragma, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(c->db, pragma, -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	enum jt_status st = sq_map_rc(c->db, rc, pragma);
	sqlite3_finalize(s);
	return st;
}

static enum jt_status read_version(struct conn *c, int *version)
{
	return pragma_int(c, "PRAGMA user_version", version);
}

/* What a purge deletes frees pages inside the file; with incremental
 * auto-vacuum they can be given back (sq_reclaim). A store created without
 * it (every store before schema 6) switches once: a VACUUM rewrites the
 * whole file, holding the write lock meanwhile, as long as copying the file
 * takes, with as much free space beside it (in the temporary directory). A
 * failure is only logged: the store works as before and the next start
 * tries again. */
static void use_incremental_vacuum(struct conn *c)
{
	int mode = 0;
	if (pragma_int(c, "PRAGMA auto_vacuum", &mode) != JT_OK || mode == 2)
		return; /* 2: incremental */
	log_info("store: switching to incremental auto-vacuum, once: VACUUM of the whole file");
	int64_t t0 = time_mono_us();
	int rc = sqlite3_exec(c->db,
			      "PRAGMA temp_store = FILE; PRAGMA auto_vacuum = INCREMENTAL; VACUUM",
			      NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		log_warn("store: could not switch to incremental auto-vacuum (%s); purges will not "
			 "shrink the file until a start that can",
			 sqlite3_errmsg(c->db));
	else
		log_info("store: incremental auto-vacuum on (the VACUUM took %lld ms)",
			 (long long)((time_mono_us() - t0) / 1000));
	sqlite3_exec(c->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
}

static enum jt_status sq_reclaim(struct store_conn *base, int pages, bool *more)
{
	struct conn *c = sq_conn(base);
	char sql[48];
	int free_pages = 0;
	snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%d)", pages);
	enum jt_status st = sq_map_rc(c->db, sqlite3_exec(c->db, sql, NULL, NULL, NULL), sql);
	if (st == JT_OK)
		st = pragma_int(c, "PRAGMA freelist_count", &free_pages);
	*more = st == JT_OK && free_pages > 0;
	return st;
}

static enum jt_status sq_schema_version(struct store *base, int *version, int *known)
{
	struct store_conn *c = sq_acquire(base);
	*known = store_sqlite_count;
	enum jt_status st = read_version(sq_conn(c), version);
	sq_release(c);
	return st;
}

static enum jt_status sq_migrate(struct store *base)
{
	struct store_conn *pooled = sq_acquire(base);
	struct conn *c = sq_conn(pooled);
	enum jt_status st;
	int version = 0;
	char *err = NULL;

	/* One migration per transaction; user_version moves with it. */
	for (;;) {
		int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		st = sq_map_rc(c->db, rc, "begin");
		if (st != JT_OK)
			break;
		st = read_version(c, &version);
		if (st != JT_OK || version >= store_sqlite_count) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			if (st == JT_OK && version > store_sqlite_count) {
				log_error("store schema version %d is newer than this jeton knows "
					  "(%d)",
					  version, store_sqlite_count);
				st = JT_ECONFLICT;
			}
			break;
		}
		char set_version[64];
		snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", version + 1);
		rc = sqlite3_exec(c->db, store_sqlite_files[version], NULL, NULL, &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, set_version, NULL, NULL, &err);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, &err);
		if (rc != SQLITE_OK) {
			log_error("store migration %d failed: %s", version + 1, err ? err : "?");
			sqlite3_free(err);
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			st = JT_ESTORE;
			break;
		}
		log_info("store migrated to schema version %d", version + 1);
	}
	if (st == JT_OK)
		use_incremental_vacuum(c);
	sq_release(pooled);
	return st;
}

static enum store_health sq_health(struct store *base)
{
	return sq_disk_health(sq_to(base));
}

static bool sq_writes_limited(struct store *base)
{
	return atomic_load(&sq_to(base)->disk_full);
}

static const struct store_driver sqlite_driver = {
	.name = "sqlite",
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.health = sq_health,
	.acquire = sq_acquire,
	.release = sq_release,
	.writer_conn = sq_writer_conn,
	.run = sq_run,
	.step = sq_step,
	.column = sq_column,
	.changes = sq_changes,
	.finish = sq_finish,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.writes_limited = sq_writes_limited,
	.between_batches = sq_wal_between_batches,
	.reclaim = sq_reclaim,
};
