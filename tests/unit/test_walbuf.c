/* SPDX-License-Identifier: MIT */
/* src/store/sqlite_walbuf.c: the VFS that gathers a commit's WAL frames.
 * A commit must be whole in the file by the time another connection may
 * read it, whether or not it syncs, and whatever its size. */
#include "check.h"
#include "store/sqlite_int.h"
#include "tmpdir.h"

#include <string.h>

static struct tmpdir dir;
static char path[128];

/* A connection through the "jeton" VFS (writer) or the default one. */
static sqlite3 *open_db(bool jeton_vfs)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				 jeton_vfs ? SQ_VFS_NAME : NULL);
	if (!CHECK_EQ_INT(rc, SQLITE_OK)) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static bool exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "exec %s: %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	return rc == SQLITE_OK;
}

static long long int_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static bool integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *s = NULL;
	bool ok = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
		  sqlite3_step(s) == SQLITE_ROW &&
		  strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	return ok;
}

/* Rows 1..count of t, each with a random pad of bytes bytes, in one statement. */
#define ROWS(count, bytes)                                                                         \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " #count ") "    \
	"INSERT INTO t(n, pad) SELECT x, randomblob(" #bytes ") FROM c"

/* A fresh WAL store with a table t(n, pad), written through the VFS. */
static sqlite3 *writer(const char *synchronous)
{
	if (!CHECK(tmpdir_make(&dir)))
		return NULL;
	tmpdir_file(&dir, "walbuf.db", path, sizeof path);
	sqlite3 *db = open_db(true);
	char sql[160];
	snprintf(sql, sizeof sql,
		 "PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; "
		 "CREATE TABLE t(n INTEGER PRIMARY KEY, pad BLOB)",
		 synchronous);
	if (db && !CHECK(exec(db, sql))) {
		sqlite3_close(db);
		db = NULL;
	}
	return db;
}

static void finish(sqlite3 *w, sqlite3 *r)
{
	sqlite3_close(r);
	sqlite3_close(w);
	tmpdir_remove(&dir);
}

/* The writer (through the VFS) and a reader (the default VFS) of a fresh
 * store; false (all closed) if one could not be opened. */
static bool open_pair(const char *synchronous, sqlite3 **w, sqlite3 **r)
{
	*w = writer(synchronous);
	*r = *w ? open_db(false) : NULL;
	if (!*r)
		finish(*w, *r);
	return *r != NULL;
}

TEST(the_vfs_registers)
{
	CHECK(sq_vfs_register());
	CHECK(sqlite3_vfs_find(SQ_VFS_NAME) != NULL);
	CHECK(sqlite3_vfs_find(NULL) != sqlite3_vfs_find(SQ_VFS_NAME)); /* not the default */
}

/* Without a sync at commit (synchronous = OFF), only the commit frame's end
 * writes what was gathered: another connection reads each commit at once. */
TEST(each_commit_is_readable_by_another_connection_without_a_sync)
{
	sqlite3 *w, *r;
	if (!open_pair("OFF", &w, &r))
		return;
	for (int i = 1; i <= 50; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "INSERT INTO t(n, pad) VALUES (%d, randomblob(%d))", i,
			 100 * i);
		if (!CHECK(exec(w, sql)))
			break;
		if (!CHECK_EQ_INT(int_of(r, "SELECT count(*) FROM t"), i))
			break;
	}
	CHECK_EQ_INT(int_of(r, "SELECT sum(length(pad)) FROM t"), 100 * 50 * 51 / 2);
	CHECK(integrity_ok(r));
	finish(w, r);
}

/* A commit far larger than what is gathered at once (and than the 128 KiB
 * the default VFS writes per call) arrives whole, as does the next one
 * after it in the same WAL. */
TEST(a_commit_of_a_megabyte_arrives_whole)
{
	sqlite3 *w, *r;
	if (!open_pair("FULL", &w, &r))
		return;
	CHECK(exec(w, ROWS(1000, 1000)));
	CHECK(exec(w, "INSERT INTO t(n, pad) VALUES (1001, zeroblob(300000))"));
	CHECK_EQ_INT(int_of(r, "SELECT count(*) FROM t"), 1001);
	CHECK_EQ_INT(int_of(r, "SELECT sum(length(pad)) FROM t"), 1000 * 1000 + 300000);
	CHECK(integrity_ok(r));
	finish(w, r);
}

/* A transaction that spills pages to the WAL before its commit reads them
 * back through the same handle. */
TEST(a_transaction_reads_back_what_it_spilled)
{
	sqlite3 *w, *r;
	if (!open_pair("FULL", &w, &r))
		return;
	CHECK(exec(w, "PRAGMA cache_size = 10")); /* 10 pages: the transaction spills */
	CHECK(exec(w, "BEGIN; " ROWS(2000, 500)));
	CHECK_EQ_INT(int_of(w, "SELECT sum(length(pad)) FROM t"), 2000 * 500);
	CHECK(exec(w, "COMMIT"));
	CHECK_EQ_INT(int_of(r, "SELECT count(*) FROM t"), 2000);
	CHECK(integrity_ok(r));
	finish(w, r);
}

int main(void)
{
	RUN(the_vfs_registers);
	RUN(each_commit_is_readable_by_another_connection_without_a_sync);
	RUN(a_commit_of_a_megabyte_arrives_whole);
	RUN(a_transaction_reads_back_what_it_spilled);
	return check_summary(__FILE__);
}
