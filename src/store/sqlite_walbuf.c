/* SPDX-License-Identifier: MIT */
/* The SQLite driver's VFS, "jeton": SQLite's default one, except that the
 * writes to a WAL are gathered. SQLite writes each WAL frame in two calls,
 * its 24-byte header and then its page, some fifty system calls for a
 * commit of a batch, each of which ext4 pays for per call and per page it
 * touches. A commit's frames follow one another in the file, so they are
 * kept in memory and written with one call at the end of the commit's
 * last frame, the one whose header holds the database's size (the WAL
 * format, sqlite.org/fileformat2.html): before SQLite counts the commit in
 * the wal-index, where other handles (readers, the checkpointer, other
 * processes) learn which frames they may read, and before it syncs (the
 * sync writes what is kept too: were a SQLite to write a frame in one call,
 * jeton's commits, all synchronous = FULL, would still be whole in time).
 *
 * Every other operation on the WAL (read, size, truncate, sync, file
 * control, close) first writes what is kept, so whoever looks at the file
 * through this handle finds what SQLite wrote. The other files are the
 * default VFS's, untouched. */
#include "store/sqlite_int.h"
#include "util/log.h"

#include <string.h>

/* What is gathered before it is written: some 30 frames of 2 KiB pages, a
 * commit of a batch at 16 connections (a larger one goes in several
 * writes). Below 128 KiB, since the default VFS writes at most 128 KiB - 1 per
 * call (it masks the length: a write of 128 KiB or more would end short and
 * be taken for a full disk). */
#define WALBUF_BYTES (64 * 1024)

struct walbuf_file {
	sqlite3_file base;        /* pMethods: walbuf_methods */
	sqlite3_file *real;       /* the default VFS's file, right after this struct */
	unsigned char *buf;       /* frames not written yet (WAL only; made at first use) */
	sqlite3_int64 buf_offset; /* where buf[0] goes in the file */
	int buf_len;
	bool commit_frame; /* the last write was a commit frame's header: its page ends the commit */
};

#define WAL_HEADER_BYTES       32
#define WAL_FRAME_HEADER_BYTES 24

/* A frame's header, and the frame ends a commit: bytes 4-7, the database's
 * size in pages after the commit, are not zero. */
static bool commit_frame_header(const unsigned char *data, int amt, sqlite3_int64 offset)
{
	return amt == WAL_FRAME_HEADER_BYTES && offset >= WAL_HEADER_BYTES &&
	       (data[4] | data[5] | data[6] | data[7]) != 0;
}

static sqlite3_vfs *parent;
static sqlite3_vfs walbuf_vfs;
static pthread_once_t registered = PTHREAD_ONCE_INIT;
static int register_rc;

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct walbuf_file *)f)->real;
}

/* Writes what is kept, in one call. */
static int flush(struct walbuf_file *f)
{
	if (f->buf_len == 0)
		return SQLITE_OK;
	int rc = f->real->pMethods->xWrite(f->real, f->buf, f->buf_len, f->buf_offset);
	f->buf_len = 0;
	return rc;
}

/* ---- the WAL's methods that pass through ---- */

static int pass_close(sqlite3_file *file)
{
	return real_of(file)->pMethods->xClose(real_of(file));
}

static int pass_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 offset)
{
	return real_of(file)->pMethods->xRead(real_of(file), out, amt, offset);
}

static int pass_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	return real_of(file)->pMethods->xTruncate(real_of(file), size);
}

static int pass_sync(sqlite3_file *file, int flags)
{
	return real_of(file)->pMethods->xSync(real_of(file), flags);
}

static int pass_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	return real_of(file)->pMethods->xFileSize(real_of(file), size);
}

static int pass_lock(sqlite3_file *file, int level)
{
	return real_of(file)->pMethods->xLock(real_of(file), level);
}

static int pass_unlock(sqlite3_file *file, int level)
{
	return real_of(file)->pMethods->xUnlock(real_of(file), level);
}

static int pass_check_reserved_lock(sqlite3_file *file, int *out)
{
	return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out);
}

static int pass_file_control(sqlite3_file *file, int op, void *arg)
{
	return real_of(file)->pMethods->xFileControl(real_of(file), op, arg);
}

static int pass_sector_size(sqlite3_file *file)
{
	return real_of(file)->pMethods->xSectorSize(real_of(file));
}

static int pass_device_characteristics(sqlite3_file *file)
{
	return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file));
}

static int pass_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **p)
{
	return real_of(file)->pMethods->xShmMap(real_of(file), region, size, extend, p);
}

static int pass_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}

static void pass_shm_barrier(sqlite3_file *file)
{
	real_of(file)->pMethods->xShmBarrier(real_of(file));
}

static int pass_shm_unmap(sqlite3_file *file, int delete_flag)
{
	return real_of(file)->pMethods->xShmUnmap(real_of(file), delete_flag);
}

static int pass_fetch(sqlite3_file *file, sqlite3_int64 offset, int amt, void **p)
{
	return real_of(file)->pMethods->xFetch(real_of(file), offset, amt, p);
}

static int pass_unfetch(sqlite3_file *file, sqlite3_int64 offset, void *p)
{
	return real_of(file)->pMethods->xUnfetch(real_of(file), offset, p);
}

/* ---- the WAL: writes gathered ---- */

static int gather(struct walbuf_file *f, const void *data, int amt, sqlite3_int64 offset)
{
	if (f->buf_len > 0 && offset == f->buf_offset + f->buf_len &&
	    amt <= WALBUF_BYTES - f->buf_len) {
		memcpy(f->buf + f->buf_len, data, (size_t)amt);
		f->buf_len += amt;
		return SQLITE_OK;
	}
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (!f->buf)
		f->buf = sqlite3_malloc(WALBUF_BYTES);
	if (!f->buf || amt > WALBUF_BYTES / 2)
		return f->real->pMethods->xWrite(f->real, data, amt, offset);
	memcpy(f->buf, data, (size_t)amt);
	f->buf_offset = offset;
	f->buf_len = amt;
	return SQLITE_OK;
}

static int wal_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 offset)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	bool ends_commit = f->commit_frame;
	f->commit_frame = commit_frame_header(data, amt, offset);
	int rc = gather(f, data, amt, offset);
	return rc == SQLITE_OK && ends_commit ? flush(f) : rc;
}

static int wal_close(sqlite3_file *file)
{
	struct walbuf_file *f = (struct walbuf_file *)file;
	int rc = flush(f);
	sqlite3_free(f->buf);
	f->buf = NULL;
	int closed = pass_close(file);
	return rc != SQLITE_OK ? rc : closed;
}

static int wal_read(sqlite3_file *file, void *out, int amt, sqlite3_int64 offset)
{
	int rc = flush((struct walbuf_file *)file);
	return rc != SQLITE_OK ? rc : pass_read(file, out, amt, offset);
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc = flush((struct walbuf_file *)file);
	return rc != SQLITE_OK ? rc : pass_truncate(file, size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
	int rc = flush((struct walbuf_file *)file);
	return rc != SQLITE_OK ? rc : pass_sync(file, flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = flush((struct walbuf_file *)file);
	return rc != SQLITE_OK ? rc : pass_file_size(file, size);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
	int rc = flush((struct walbuf_file *)file);
	return rc != SQLITE_OK ? rc : pass_file_control(file, op, arg);
}

static int wal_fetch(sqlite3_file *file, sqlite3_int64 offset, int amt, void **p)
{
	*p = NULL;
	int rc = flush((struct walbuf_file *)file);
	return rc != SQLITE_OK ? rc : pass_fetch(file, offset, amt, p);
}

static const sqlite3_io_methods walbuf_methods = {
	.iVersion = 3,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = pass_lock,
	.xUnlock = pass_unlock,
	.xCheckReservedLock = pass_check_reserved_lock,
	.xFileControl = wal_file_control,
	.xSectorSize = pass_sector_size,
	.xDeviceCharacteristics = pass_device_characteristics,
	.xShmMap = pass_shm_map,
	.xShmLock = pass_shm_lock,
	.xShmBarrier = pass_shm_barrier,
	.xShmUnmap = pass_shm_unmap,
	.xFetch = wal_fetch,
	.xUnfetch = pass_unfetch,
};

/* ---- the VFS: the default one's, but for xOpen ---- */

/* A WAL is wrapped, its default file right after the wrapper; any other
 * file is the default VFS's own, in place, with nothing in between (the
 * database file's reads and locks serve every verification that misses the
 * cache). */
static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
		    int *out_flags)
{
	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return parent->xOpen(parent, name, file, flags, out_flags);
	struct walbuf_file *f = (struct walbuf_file *)file;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)&f[1];
	int rc = parent->xOpen(parent, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods) {
		f->base.pMethods = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	if (f->real->pMethods->iVersion < 3) { /* never the unix VFS's */
		f->real->pMethods->xClose(f->real);
		f->base.pMethods = NULL;
		return SQLITE_CANTOPEN;
	}
	f->base.pMethods = &walbuf_methods;
	return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return parent->xDelete(parent, name, sync_dir);
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return parent->xAccess(parent, name, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return parent->xFullPathname(parent, name, n, out);
}

static void *vfs_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return parent->xDlOpen(parent, name);
}

static void vfs_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	parent->xDlError(parent, n, out);
}

static void (*vfs_dl_sym(sqlite3_vfs *vfs, void *lib, const char *name))(void)
{
	(void)vfs;
	return parent->xDlSym(parent, lib, name);
}

static void vfs_dl_close(sqlite3_vfs *vfs, void *lib)
{
	(void)vfs;
	parent->xDlClose(parent, lib);
}

static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return parent->xRandomness(parent, n, out);
}

static int vfs_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return parent->xSleep(parent, us);
}

static int vfs_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return parent->xCurrentTime(parent, out);
}

static int vfs_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return parent->xGetLastError(parent, n, out);
}

static int vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return parent->xCurrentTimeInt64(parent, out);
}

static void register_vfs(void)
{
	parent = sqlite3_vfs_find(NULL);
	if (!parent || parent->iVersion < 2) {
		register_rc = SQLITE_ERROR;
		log_warn("sqlite: no default VFS to build on: the WAL's writes are not gathered");
		return;
	}
	walbuf_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct walbuf_file) + parent->szOsFile,
		.mxPathname = parent->mxPathname,
		.zName = SQ_VFS_NAME,
		.xOpen = vfs_open,
		.xDelete = vfs_delete,
		.xAccess = vfs_access,
		.xFullPathname = vfs_full_pathname,
		.xDlOpen = vfs_dl_open,
		.xDlError = vfs_dl_error,
		.xDlSym = vfs_dl_sym,
		.xDlClose = vfs_dl_close,
		.xRandomness = vfs_randomness,
		.xSleep = vfs_sleep,
		.xCurrentTime = vfs_current_time,
		.xGetLastError = vfs_get_last_error,
		.xCurrentTimeInt64 = vfs_current_time_int64,
	};
	register_rc = sqlite3_vfs_register(&walbuf_vfs, 0);
	if (register_rc != SQLITE_OK)
		log_warn("sqlite: the jeton VFS could not be registered (%s): the WAL's writes are "
			 "not gathered",
			 sqlite3_errstr(register_rc));
}

bool sq_vfs_register(void)
{
	pthread_once(&registered, register_vfs);
	return register_rc == SQLITE_OK;
}
