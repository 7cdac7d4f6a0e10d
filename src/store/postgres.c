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
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* pg_advisory_xact_lock key of migrations: "jeton" in ASCII. */
#define PG_MIGRATE_LOCK 0x6a65746f6eLL

static const struct store_driver postgres_driver;
static const struct store_ops postgres_ops;

/* ---- lifecycle ---- */

enum jt_status store_postgres_open(const char *conninfo, int threads, struct store **out)
{
	struct pg_store *pg = jt_calloc(1, sizeof *pg);
	enum jt_status st;

	*out = NULL;
	if (!pg)
		return JT_ENOMEM;
	pg->base.d = &postgres_driver;
	pg->base.ops = &postgres_ops;
	st = pg_pool_init(pg, conninfo, threads);
	if (st != JT_OK)
		goto fail;
	/* One connection now, so that a wrong location or a database that is
	 * down is reported at start-up rather than on the first request. */
	struct pg_slot *c = pg_acquire(pg);
	st = c->bad ? JT_ESTORE : JT_OK;
	pg_release(pg, c);
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
	st = pg_query(c, "SELECT coalesce(max(version), 0) FROM jeton_schema", LIMIT_PG_WAIT_MS,
		      &r, "schema version");
	if (st == JT_OK && PQntuples(r) == 1)
		*version = (int)pg_col_int(r, 0, 0);
	PQclear(r);
	return st;
}

static enum jt_status pg_schema_version(struct store *base, int *version, int *known)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
	*known = store_postgres_count;
	enum jt_status st = read_version(c, version);
	pg_release(pg, c);
	return st;
}

static enum jt_status pg_migrate(struct store *base)
{
	struct pg_store *pg = pg_to(base);
	struct pg_slot *c = pg_acquire(pg);
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
			pg_rollback(c);
			if (st == JT_OK && version > store_postgres_count) {
				log_error("store schema version %d is newer than this jeton knows (%d)",
					  version, store_postgres_count);
				st = JT_ECONFLICT;
			}
			break;
		}
		st = pg_query(c, store_postgres_files[version], LIMIT_PG_MIGRATE_MS, NULL,
			      "migration");
		if (st == JT_OK) {
			snprintf(sql, sizeof sql,
				 "DELETE FROM jeton_schema; INSERT INTO jeton_schema(version) VALUES (%d)",
				 version + 1);
			st = pg_query(c, sql, LIMIT_PG_MIGRATE_MS, NULL, "migration version");
		}
		if (st == JT_OK)
			st = pg_commit(c);
		if (st != JT_OK) {
			log_error("store migration %d failed", version + 1);
			pg_rollback(c);
			st = JT_ESTORE;
			break;
		}
		log_info("store migrated to schema version %d", version + 1);
	}
	pg_release(pg, c);
	return st;
}

static const struct store_driver postgres_driver = {
	.name = "postgres",
	.dollar_params = true,
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.acquire = pg_drv_acquire,
	.release = pg_drv_release,
	.writer_conn = pg_drv_writer_conn,
	.run = pg_drv_run,
	.step = pg_drv_step,
	.column = pg_drv_column,
	.changes = pg_drv_changes,
	.finish = pg_drv_finish,
	.begin = pg_drv_begin,
	.commit = pg_drv_commit,
	.rollback = pg_drv_rollback,
	.exec = pg_drv_exec,
	.copy_reseed = pg_drv_copy_reseed,
};

/* ---- the verbs not yet written once (until they move) ---- */

static const struct store_ops postgres_ops = {
	.app_insert = pg_app_insert,
	.app_get = pg_app_get,
	.app_find_by_client_id = pg_app_find_by_client_id,
	.app_list = pg_app_list,
	.app_update = pg_app_update,
	.app_delete = pg_app_delete,
	.app_set_secret = pg_app_set_secret,
	.code_insert = pg_code_insert,
	.code_get = pg_code_get,
	.code_redeem = pg_code_redeem,
	.oauth_insert = pg_oauth_insert,
	.oauth_find_by_hash = pg_oauth_find_by_hash,
	.oauth_revoke = pg_oauth_revoke,
	.oauth_revoke_family = pg_oauth_revoke_family,
	.oauth_refresh = pg_oauth_refresh,
	.oauth_insert_async = pg_oauth_insert_async,
	.code_redeem_async = pg_code_redeem_async,
	.audit_insert = pg_audit_insert,
	.audit_list = pg_audit_list,
	.export_rows = pg_export_rows,
	.import_begin = pg_import_begin,
	.import_row = pg_import_row,
	.import_end = pg_import_end,
	.key_insert = pg_key_insert,
	.key_list = pg_key_list,
	.key_retire_others = pg_key_retire_others,
	.session_insert = pg_session_insert,
	.session_find = pg_session_find,
	.session_delete = pg_session_delete,
	.session_delete_user = pg_session_delete_user,
};
