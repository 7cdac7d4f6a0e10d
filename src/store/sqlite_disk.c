/* SPDX-License-Identifier: MIT */
/* The SQLite backend on a full disk, and the health of its writes.
 *
 * jeton keeps a preallocated file, <store>.reserve, beside the store. The
 * first write that fails for want of space deletes it: the space it held
 * goes back to the file system, and from then on only the statements that
 * take access away (revocations, deletions) run, so that space is spent on
 * them; every other write is refused at once, without touching the disk
 * (503). Every 250 ms the checkpointer looks for room again; once the file
 * system has twice the reserve free, it makes the reserve again and every
 * write is accepted. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define RESERVE_MIB    (LIMIT_DISK_RESERVE_BYTES >> 20)
#define PROBE_EVERY_US 1000000 /* a write is tried this often while writes fail */
#define PROBE_BUSY_MS  100     /* ... and waits this long for the write lock */

static bool for_want_of_space(sqlite3 *db, int rc)
{
	if (rc == SQLITE_FULL)
		return true;
	int err = sqlite3_system_errno(db);
	return (rc & 0xFF) == SQLITE_IOERR && (err == ENOSPC || err == EDQUOT);
}

/* Makes the reserve under a temporary name and renames it into place, so
 * that a reserve that is there is whole. */
static int make_reserve(const char *path)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	int err = posix_fallocate(fd, 0, LIMIT_DISK_RESERVE_BYTES);
	if (err == 0 && fsync(fd) != 0)
		err = errno;
	close(fd);
	if (err == 0 && rename(tmp, path) != 0)
		err = errno;
	if (err != 0)
		unlink(tmp);
	return err;
}

/* True if the reserve is there, whole and allocated. */
static bool reserve_present(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && sb.st_size >= LIMIT_DISK_RESERVE_BYTES &&
	       (int64_t)sb.st_blocks * 512 >= LIMIT_DISK_RESERVE_BYTES;
}

/* Bytes free to jeton on the file system of the reserve; 0 if unknown. */
static uint64_t free_bytes(const char *path)
{
	char dir[4096];
	struct statvfs vfs;
	snprintf(dir, sizeof dir, "%s", path);
	if (statvfs(dirname(dir), &vfs) != 0)
		return 0;
	return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

void sq_disk_open(struct sqlite_store *sq, const char *path)
{
	size_t len = strlen(path);
	if (len == 0 || strcmp(path, ":memory:") == 0)
		return;
	sq->reserve_path = jt_alloc(len + sizeof ".reserve");
	if (!sq->reserve_path)
		return;
	memcpy(sq->reserve_path, path, len);
	memcpy(sq->reserve_path + len, ".reserve", sizeof ".reserve");
	sq->reserve_kept = true;
	if (reserve_present(sq->reserve_path))
		return;
	int err = make_reserve(sq->reserve_path);
	if (err == ENOSPC || err == EDQUOT) {
		atomic_store(&sq->disk_full, true);
		log_error(
			"store: the disk holding %s is full, without room for its %d MiB reserve; "
			"only revocations and deletions are written until there is room",
			path, RESERVE_MIB);
	} else if (err != 0) {
		log_warn("store: cannot make the reserve %s (%s): a full disk will stop "
			 "revocations too",
			 sq->reserve_path, strerror(err));
		sq->reserve_kept = false;
	}
}

void sq_disk_close(struct sqlite_store *sq)
{
	jt_free(sq->reserve_path);
	sq->reserve_path = NULL;
}

bool sq_disk_allows(struct sqlite_store *sq, bool takes_access_away)
{
	return !atomic_load(&sq->disk_full) || takes_access_away;
}

bool sq_disk_note(struct sqlite_store *sq, sqlite3 *db, int rc)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) {
		atomic_store(&sq->write_failing, false);
		return false;
	}
	if ((rc & 0xFF) == SQLITE_CONSTRAINT)
		return false; /* the write was refused, the store is fine */
	if (!for_want_of_space(db, rc)) {
		atomic_store(&sq->write_failing, true);
		return false;
	}
	bool released = false;
	pthread_mutex_lock(&sq->disk_mu);
	if (!atomic_load(&sq->disk_full)) {
		atomic_store(&sq->disk_full, true);
		released = sq->reserve_kept && unlink(sq->reserve_path) == 0;
		if (released)
			log_error(
				"store: the disk is full: released the %d MiB reserve, which only "
				"revocations and deletions may use; other writes are refused until "
				"there is room again",
				RESERVE_MIB);
		else
			log_error(
				"store: the disk is full and there is no reserve to release; only "
				"revocations and deletions are tried until there is room again");
	}
	pthread_mutex_unlock(&sq->disk_mu);
	return released;
}

/* Once the file system has room for the reserve twice over, makes it again
 * and takes every write. */
static void look_for_room(struct sqlite_store *sq)
{
	if (!sq->reserve_path ||
	    free_bytes(sq->reserve_path) < 2 * (uint64_t)LIMIT_DISK_RESERVE_BYTES)
		return;
	pthread_mutex_lock(&sq->disk_mu);
	int err = sq->reserve_kept ? make_reserve(sq->reserve_path) : 0;
	if (err == 0) {
		atomic_store(&sq->disk_full, false);
		log_info("store: there is room on the disk again; the reserve is back and "
			 "every write is accepted");
	}
	pthread_mutex_unlock(&sq->disk_mu);
}

/* Rewrites the schema version as it is: a real write, to learn whether
 * writes work again when nothing else writes (a node a load balancer took
 * out of rotation gets no traffic to tell it). */
static void probe_write(struct sqlite_store *sq, struct conn *c)
{
	sqlite3_stmt *s = NULL;
	char sql[64];
	sqlite3_busy_timeout(c->db, PROBE_BUSY_MS);
	int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
			snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
				 sqlite3_column_int(s, 0));
			sqlite3_finalize(s);
			rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
		} else {
			sqlite3_finalize(s);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_busy_timeout(c->db, LIMIT_STORE_BUSY_MS);
	sq_disk_note(sq, c->db, rc);
	if (rc == SQLITE_OK)
		log_info("store: writes work again");
}

void sq_disk_tick(struct sqlite_store *sq, struct conn *c)
{
	if (atomic_load(&sq->disk_full)) {
		look_for_room(sq);
		return;
	}
	if (atomic_load(&sq->write_failing) && time_mono_us() >= sq->probe_us) {
		sq->probe_us = time_mono_us() + PROBE_EVERY_US;
		probe_write(sq, c);
	}
}

enum store_health sq_disk_health(struct sqlite_store *sq)
{
	if (atomic_load(&sq->disk_full))
		return STORE_DISK_FULL;
	return atomic_load(&sq->write_failing) ? STORE_NOT_WRITABLE : STORE_HEALTHY;
}
