/* SPDX-License-Identifier: MIT */
/* Private to the store: what the verbs are written with. Every statement
 * once (query.c), every record once (record.c), and the few ways to run
 * them: on a pooled connection for reads, through the writer for writes
 * (writer.c). */
#ifndef JETON_STORE_QUERY_H
#define JETON_STORE_QUERY_H
#include "store/driver.h"

/* ---- records: one description per struct, for SELECT lists, reads,
 * binds and store copy ---- */

enum field_type {
	F_INT,     /* int64_t */
	F_INT0,    /* int64_t; 0 is stored as NULL and NULL reads as 0 */
	F_BOOL,    /* bool, stored as 0 or 1 */
	F_TEXT,    /* char[size] */
	F_TEXT0,   /* char[size]; "" is stored as NULL and NULL reads as "" */
	F_HASH,    /* uint8_t[STORE_HASH_LEN] */
	F_HASH0,   /* uint8_t[STORE_HASH_LEN]; NULL unless the bool at aux is true */
	F_BYTES,   /* uint8_t[size]; its length is the size_t at aux */
	F_OUTCOME, /* bool, stored as 'success' or 'failure' */
};

struct field {
	const char *column; /* a column, or an expression of a joined query */
	enum field_type type;
	size_t offset, size, aux;
};

struct record {
	const char *table;     /* NULL: the columns of a join */
	const char *key;       /* the primary key: the order of a copy */
	const char *generated; /* the column the store numbers, or NULL */
	size_t size;           /* of the struct */
	const struct field *fields;
	int nfields;
	bool seeded; /* the migrations make its one row: a copy updates it */
};

#define RECORD_MAX_FIELDS 24
extern const struct record rec_user, rec_space, rec_space_role, rec_membership, rec_membership_row,
	rec_pat, rec_app, rec_code, rec_token, rec_session, rec_audit, rec_key, rec_policy,
	rec_inventory, rec_scanner, rec_leak, rec_totp, rec_recovery, rec_successor, rec_device;
extern const struct record rec_throttle; /* not copied: it counts for minutes */
/* Every table store copy moves, parents first. */
#define COPY_TABLES 17
extern const struct record *const copy_tables[COPY_TABLES];

/* Fills out (rec->size bytes, zeroed first) from the row c is on. */
void record_read(const struct record *rec, struct store_conn *c, void *out);
/* The parameters that store in's fields, in order, into args (at least
 * RECORD_MAX_FIELDS); the generated column only with_generated. Their
 * count. */
int record_args(const struct record *rec, const void *in, bool with_generated,
		struct sql_value *args);
/* Writes "a, b, c" (names) or "?1, ?2, ?3" (params) of rec's columns into
 * out; false if it does not fit. */
bool record_columns(const struct record *rec, bool with_generated, bool params, char *out,
		    size_t out_len);

/* ---- statements ---- */

enum query {
	Q_PING,
	Q_USER_INSERT,
	Q_USER_GET,
	Q_USER_BY_EMAIL,
	Q_USER_COUNT,
	Q_USER_LIST,
	Q_USER_UPDATE,
	Q_SPACE_INSERT,
	Q_SPACE_GET,
	Q_SPACE_BY_NAME,
	Q_SPACE_LIST_ALL,
	Q_SPACE_LIST_USER,
	Q_MEMBER_PUT,
	Q_MEMBER_DELETE,
	Q_MEMBER_LIST,
	Q_MEMBERSHIPS_OF_USER,
	Q_PAT_INSERT,
	Q_PAT_GET,
	Q_PAT_LIST,
	Q_PAT_BY_HASH,
	Q_PAT_REVOKE,
	Q_PAT_RETIRE,
	Q_PAT_OVERLAP,
	Q_PAT_TOUCH,
	Q_APP_INSERT,
	Q_APP_GET,
	Q_APP_BY_CLIENT_ID,
	Q_APP_LIST,
	Q_APP_UPDATE,
	Q_APP_DELETE,
	Q_APP_SET_SECRET,
	Q_CODE_INSERT,
	Q_CODE_GET,
	Q_CODE_USE,
	Q_TOKEN_INSERT,
	Q_TOKEN_BY_HASH,
	Q_TOKEN_BY_JTI,
	Q_TOKEN_REVOKE,
	Q_TOKEN_REVOKE_FAMILY,
	Q_TOKEN_ROTATE,
	Q_TOKEN_TOUCH,
	Q_SUCCESSOR_INSERT,
	Q_SUCCESSOR_GET,
	Q_SUCCESSOR_DELETE,
	Q_SUCCESSOR_SWEEP,
	Q_DEVICE_INSERT,
	Q_DEVICE_BY_USER_CODE,
	Q_DEVICE_BY_DEVICE_CODE,
	Q_DEVICE_DECIDE,
	Q_DEVICE_POLLED,
	Q_DEVICE_USE,
	Q_DEVICE_SWEEP,
	Q_DEVICE_PENDING,
	Q_TOKEN_LIST_USER_GRANTS,
	Q_TOKEN_REVOKE_GRANT,
	Q_CODE_SPEND_GRANT,
	Q_POLICY_GET,
	Q_POLICY_PUT,
	Q_INVENTORY_LIST,
	Q_INVENTORY_LIST_ONE,
	Q_INVENTORY_LIST_USER,
	Q_INVENTORY_LIST_APP,
	Q_INVENTORY_LIST_EXPIRING,
	Q_INVENTORY_LIST_EXPIRED,
	Q_INVENTORY_COUNT_PATS,
	Q_INVENTORY_COUNT_TOKENS,
	Q_INVENTORY_REVOKE_PATS,
	Q_INVENTORY_REVOKE_TOKENS,
	Q_INVENTORY_COUNT_PAT_BY_ID,
	Q_INVENTORY_COUNT_TOKEN_BY_ID,
	Q_INVENTORY_REVOKE_PAT_BY_ID,
	Q_INVENTORY_REVOKE_TOKEN_BY_ID,
	Q_SESSION_INSERT,
	Q_SESSION_GET,
	Q_SESSION_DELETE,
	Q_SESSION_DELETE_USER,
	Q_SESSION_LIST_USER,
	Q_SESSION_DELETE_OWN,
	Q_SESSION_TOUCH,
	Q_PAT_REVOKE_USER,
	Q_TOKEN_REVOKE_USER,
	Q_TOTP_GET,
	Q_TOTP_PUT,
	Q_TOTP_ENABLE,
	Q_TOTP_USE_STEP,
	Q_TOTP_DELETE,
	Q_RECOVERY_DELETE_USER,
	Q_RECOVERY_INSERT,
	Q_RECOVERY_USE,
	Q_RECOVERY_UNUSED,
	Q_AUDIT_INSERT,
	Q_AUDIT_LIST,
	Q_KEY_INSERT,
	Q_KEY_LIST,
	Q_KEY_RETIRE,
	Q_SCANNER_INSERT,
	Q_SCANNER_BY_KEY_ID,
	Q_SCANNER_LIST,
	Q_SCANNER_DELETE,
	Q_LEAK_INSERT,
	Q_LEAK_PAT_REVOKE,
	Q_LEAK_TOKEN_REVOKE,
	Q_LEAK_LIST_USER,
	Q_LEAK_GET,
	Q_LEAK_APP_BY_SECRET,
	Q_LEAK_APP_SECRET,
	Q_LEAK_APP_TOKENS,
	Q_THROTTLE_LOCK, /* login throttling's counters (throttle.c) */
	Q_THROTTLE_PUT,
	Q_THROTTLE_PURGE,
	Q_THROTTLE_DEAD,
	Q_PURGE_CODES, /* retention (purge.c): the Q_PURGE_* and Q_DEAD_* in enum purge_kind's order */
	Q_PURGE_SESSIONS,
	Q_PURGE_PATS,
	Q_PURGE_TOKENS,
	Q_PURGE_AUDIT,
	Q_DEAD_CODES,
	Q_DEAD_SESSIONS,
	Q_DEAD_PATS,
	Q_DEAD_TOKENS,
	Q_DEAD_AUDIT,
	Q_COUNT
};

/* Statement ids a driver caches: the queries, then store copy's INSERT of
 * each of copy_tables. */
#define COPY_FIRST_ID Q_COUNT
#define QUERY_IDS     (Q_COUNT + COPY_TABLES)

/* Builds st->sql: every statement in the driver's dialect. */
enum jt_status query_build(struct store *st);
void query_free(struct store *st);
/* The record a SELECT reads or an INSERT writes; NULL for the others. */
const struct record *query_record(enum query q);
/* A write that takes access away (a revocation, a deletion): it still runs
 * when SQLite's disk is full. */
bool query_takes_access_away(int id);
/* What other nodes must hear of when q touches a row (enum store_change),
 * or 0. */
unsigned query_changes(enum query q);
/* sql (?1, ?2 ...) in the dialect of st's driver, into out. */
bool query_translate(const struct store *st, const char *sql, char *out, size_t out_len);

/* Parameters: ARGS(V_INT(id), V_TEXT(name)) expands to an array and its
 * count. */
#define V_INT(v)                                                                                   \
	{                                                                                          \
		.type = SQL_INT, .i = (v)                                                          \
	}
#define V_BOOL(v)                                                                                  \
	{                                                                                          \
		.type = SQL_INT, .i = (v) ? 1 : 0                                                  \
	}
#define V_TEXT(v)                                                                                  \
	{                                                                                          \
		.type = SQL_TEXT, .p = (v)                                                         \
	}
#define V_TEXT0(v)                                                                                 \
	{                                                                                          \
		.type = SQL_TEXT, .p = (v), .null = (v)[0] == '\0'                                 \
	} /* "" is NULL */
#define V_HASH(v)                                                                                  \
	{                                                                                          \
		.type = SQL_BLOB, .p = (v), .len = STORE_HASH_LEN                                  \
	}
#define ARGS(...)                                                                                  \
	(const struct sql_value[]){__VA_ARGS__},                                                   \
		(int)(sizeof((const struct sql_value[]){__VA_ARGS__}) / sizeof(struct sql_value))
#define NO_ARGS NULL, 0

/* The newest id a page may hold: before, or any. */
static inline int64_t page_before(const struct store_page *page)
{
	return page->before > 0 ? page->before : INT64_MAX;
}

/* ---- running statements ---- */

/* On connection c. exec: a statement without rows (changes: rows touched,
 * or NULL). get: the first row into out through the query's record;
 * JT_ENOTFOUND without one. list: every row into a fresh array (the
 * caller frees it with store_list_free). insert: in's record, and the id
 * the store gave it into *id (NULL: none is generated). */
enum jt_status db_exec(struct store_conn *c, enum query q, const struct sql_value *args, int nargs,
		       int64_t *changes);
enum jt_status db_get(struct store_conn *c, enum query q, const struct sql_value *args, int nargs,
		      void *out);
enum jt_status db_list(struct store_conn *c, enum query q, const struct sql_value *args, int nargs,
		       void **items, size_t *n);
enum jt_status db_insert(struct store_conn *c, enum query q, const void *in, int64_t *id);

/* Reads on a pooled connection: get and list as above. */
enum jt_status store_get(struct store *st, enum query q, const struct sql_value *args, int nargs,
			 void *out);
enum jt_status store_list(struct store *st, enum query q, const struct sql_value *args, int nargs,
			  void **items, size_t *n);
/* One write through the writer, waiting for its commit; JT_ENOTFOUND when
 * it touched no row and must_change. */
enum jt_status store_change(struct store *st, enum query q, const struct sql_value *args, int nargs,
			    bool must_change);
/* An insert of in's record through the writer, waiting; *id as db_insert. */
enum jt_status store_insert(struct store *st, enum query q, const void *in, int64_t *id);

/* ---- the writer (writer.c): group commit on both drivers ----
 *
 * One thread with its own connection takes every job queued since its last
 * commit, runs them in one transaction, commits once and then calls each
 * job's done with its status. A job that fails is rolled back alone; if
 * the commit fails, every job gets the commit's status.
 *
 * A batch is tried first without savepoints, its writes pipelined
 * (driver.h: queue); if a job or the commit fails, it is undone and run
 * again with each job in a savepoint. So a job may run twice: it sets
 * every output of its own afresh each time, and the writes it queued
 * (db_insert, db_exec without changes) have their outcome, and the ids
 * they return, only once the batch is committed. */
typedef enum jt_status (*store_job)(struct store_conn *c, void *arg);
enum jt_status writer_start(struct store *st);
/* Finishes every queued job, then stops the writer. Once a batch fails
 * while it stops (the store refuses writes), the jobs still queued are not
 * run: their done gets JT_ESTORE at once, so stopping waits for one failing
 * batch, not one per batch queued. */
void writer_stop(struct store *st);
/* Queues run with a copy of arg_size bytes of arg; done(done_arg, status)
 * follows the commit, on the writer thread. */
enum jt_status writer_submit(struct store *st, store_job run, const void *arg, size_t arg_size,
			     store_done done, void *done_arg);
/* Queues and waits for the commit; the job's status. */
enum jt_status writer_run(struct store *st, store_job run, const void *arg, size_t arg_size);

/* pats.c: records a token's last use (q: Q_PAT_TOUCH or Q_TOKEN_TOUCH, with
 * ?1 id, ?2 now, ?3 address) in the background; a failure is logged. */
enum jt_status token_touch(struct store *st, enum query q, int64_t id, int64_t now, const char *ip);

#endif
