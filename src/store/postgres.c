/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver of the store, for several jeton nodes sharing one
 * database.
 *
 * A pool of libpq connections, one per calling thread at a time, each with
 * its statements prepared once per session (postgres_util.c); the writer
 * (writer.c) has a connection of its own. Every call is bounded: the
 * session's statement_timeout and lock_timeout, and a client-side wait
 * after which the connection is reset. The schema version lives in the
 * table jeton_schema; migrations are embedded at build time and applied
 * under an advisory lock so that nodes starting together do not race. */
#include "store/postgres_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>

/* pg_advisory_xact_lock key of migrations: "jeton" in ASCII. */
#define PG_MIGRATE_LOCK 0x6a65746f6eLL

static const struct store_driver postgres_driver;

/* ---- lifecycle ---- */

#define PREPARE_PARAM "jeton_prepare="

/* Takes jeton's own parameter out of the location, where libpq would refuse
 * it: jeton_prepare=off (or 0, false) in a URI's query or as a keyword of a
 * connection string, for a pooler in transaction mode that cannot keep
 * named prepared statements (pgbouncer before 1.21). location is changed in
 * place. */
static enum jt_status take_prepare_param(char *location, bool *prepare)
{
	*prepare = true;
	char *p = strstr(location, PREPARE_PARAM);
	if (!p)
		return JT_OK;
	bool uri = store_is_postgres(location) && strstr(location, "://") != NULL;
	char sep = p > location ? p[-1] : '\0';
	if (uri ? sep != '?' && sep != '&' : sep != '\0' && sep != ' ')
		return JT_EINVAL; /* part of another name or value */
	char *value = p + strlen(PREPARE_PARAM);
	size_t len = strcspn(value, uri ? "&" : " ");
	if ((len == 3 && strncmp(value, "off", 3) == 0) || (len == 1 && value[0] == '0') ||
	    (len == 5 && strncmp(value, "false", 5) == 0))
		*prepare = false;
	else if (!(len == 2 && strncmp(value, "on", 2) == 0) && !(len == 1 && value[0] == '1') &&
		 !(len == 4 && strncmp(value, "true", 4) == 0))
		return JT_EINVAL;
	char *end = value + len;
	if (*end) {
		end++; /* the separator after it goes with it; "?" stays */
	} else if (sep == '&' || sep == ' ') {
		p--; /* the last: the separator before it goes */
	} else if (sep == '?') {
		p--; /* the only parameter: "?" goes too */
	}
	memmove(p, end, strlen(end) + 1);
	return JT_OK;
}

enum jt_status store_postgres_open(const char *location, int threads, struct store **out)
{
	struct pg_store *pg = jt_calloc(1, sizeof *pg);
	char *conninfo = jt_strdup(location);
	enum jt_status st;

	*out = NULL;
	if (!pg || !conninfo) {
		jt_free(pg);
		jt_free(conninfo);
		return JT_ENOMEM;
	}
	pg->base.d = &postgres_driver;
	bool valid = take_prepare_param(conninfo, &pg->prepare) == JT_OK;
	st = valid ? pg_pool_init(pg, conninfo, threads) : JT_EINVAL;
	explicit_bzero(conninfo, strlen(conninfo)); /* may hold a password */
	jt_free(conninfo);
	if (!valid) {
		log_error("postgres: jeton_prepare in the location must be on or off");
		jt_free(pg); /* its pool was not set up */
		return st;
	}
	if (st != JT_OK)
		goto fail;
	/* One connection now, so that a wrong location or a database that is
	 * down is reported at start-up rather than on the first request. */
	struct store_conn *c = pg_acquire(&pg->base);
	st = pg_slot_of(c)->bad ? JT_ESTORE : JT_OK;
	pg_release(c);
	if (st != JT_OK)
		goto fail;
	*out = &pg->base;
	return JT_OK;
fail:
	postgres_driver.close(&pg->base);
	return st;
}

/* After the writer finished every queued write. */
static void pg_close(struct store *base)
{
	struct pg_store *pg = pg_to(base);
	pg_pool_free(pg);
	jt_free(pg);
}

static enum jt_status read_version(struct pg_slot *c, int *version)
{
	PGresult *r = NULL;
	*version = 0;
	enum jt_status st = pg_query(c, "SELECT to_regclass('jeton_schema') IS NOT NULL",
				     LIMIT_PG_WAIT_MS, &r, "schema version");
	bool exists = st == JT_OK && PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!exists)
		return st; /* a fresh database: version 0 */
	st = pg_query(c, "SELECT coalesce(max(version), 0) FROM jeton_schema", LIMIT_PG_WAIT_MS, &r,
		      "schema version");
	int64_t v = 0;
	if (st == JT_OK && PQntuples(r) == 1 &&
	    text_parse_i64(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), 0, INT32_MAX, &v) ==
		    JT_OK)
		*version = (int)v;
	PQclear(r);
	return st;
}

static enum jt_status pg_schema_version(struct store *base, int *version, int *known)
{
	struct store_conn *c = pg_acquire(base);
	*known = store_postgres_count;
	enum jt_status st = read_version(pg_slot_of(c), version);
	pg_release(c);
	return st;
}

static enum jt_status pg_migrate(struct store *base)
{
	struct store_conn *pooled = pg_acquire(base);
	struct pg_slot *c = pg_slot_of(pooled);
	enum jt_status st;
	int version = 0;
	char sql[256];

	/* One migration per transaction; the version row moves with it. The
	 * advisory lock makes a node starting at the same moment wait, then
	 * find nothing left to do. A migration may take longer than a request
	 * may: no statement or lock timeout inside. */
	for (;;) {
		snprintf(sql, sizeof sql,
			 "BEGIN; SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0; "
			 "SELECT pg_advisory_xact_lock(%lld); "
			 "CREATE TABLE IF NOT EXISTS jeton_schema (version integer NOT NULL)",
			 PG_MIGRATE_LOCK);
		st = pg_query(c, sql, LIMIT_PG_MIGRATE_MS, NULL, "migration lock");
		if (st == JT_OK)
			st = read_version(c, &version);
		if (st != JT_OK || version >= store_postgres_count) {
			pg_rollback(pooled);
			if (st == JT_OK && version > store_postgres_count) {
				log_error("store schema version %d is newer than this jeton knows "
					  "(%d)",
					  version, store_postgres_count);
				st = JT_ECONFLICT;
			}
			break;
		}
		st = pg_query(c, store_postgres_files[version], LIMIT_PG_MIGRATE_MS, NULL,
			      "migration");
		if (st == JT_OK) {
			snprintf(sql, sizeof sql,
				 "DELETE FROM jeton_schema; INSERT INTO jeton_schema(version) "
				 "VALUES (%d)",
				 version + 1);
			st = pg_query(c, sql, LIMIT_PG_MIGRATE_MS, NULL, "migration version");
		}
		if (st == JT_OK)
			st = pg_commit(pooled);
		if (st != JT_OK) {
			log_error("store migration %d failed", version + 1);
			pg_rollback(pooled);
			st = JT_ESTORE;
			break;
		}
		log_info("store migrated to schema version %d", version + 1);
	}
	pg_release(pooled);
	return st;
}

static const struct store_driver postgres_driver = {
	.name = "postgres",
	.dollar_params = true,
	.shared = true,
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.acquire = pg_acquire,
	.release = pg_release,
	.writer_conn = pg_writer_conn,
	.run = pg_run,
	.step = pg_step,
	.column = pg_column,
	.changes = pg_changes,
	.finish = pg_finish,
	.queue = pg_queue,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.copy_reseed = pg_copy_reseed,
	.listen = pg_listen,
};
