/* SPDX-License-Identifier: MIT */
/* Private to the store: the verbs each driver still writes on its own,
 * until they move over the driver interface (driver.h). */
#ifndef JETON_STORE_INT_H
#define JETON_STORE_INT_H
#include "store/driver.h"

/* A column value in a copy: NULL, an integer, text or bytes. */
struct store_value {
	enum { VALUE_NULL, VALUE_INT, VALUE_TEXT, VALUE_BLOB } type;
	int64_t i;
	const char *p;   /* text (NUL-terminated) or bytes */
	size_t len;
};

/* A table as copy.c knows it: its columns, in the order values travel. */
struct store_table {
	const char *name;
	const char *const *columns;
	size_t ncolumns;
	const char *order_by; /* the primary key */
};

struct store_ops {
	enum jt_status (*app_insert)(struct store *st, struct app *a);
	enum jt_status (*app_get)(struct store *st, int64_t id, struct app *out);
	enum jt_status (*app_find_by_client_id)(struct store *st, const char *client_id,
						struct app *out);
	enum jt_status (*app_list)(struct store *st, const struct store_page *page,
				   struct app **items, size_t *n);
	enum jt_status (*app_update)(struct store *st, const struct app *a);
	enum jt_status (*app_delete)(struct store *st, int64_t id);
	enum jt_status (*app_set_secret)(struct store *st, int64_t id,
					 const uint8_t hash[STORE_HASH_LEN], int64_t now);

	enum jt_status (*code_insert)(struct store *st, const struct auth_code *code);
	enum jt_status (*code_get)(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				   struct auth_code *out);
	enum jt_status (*code_redeem)(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				      int64_t now, struct oauth_token *tokens, size_t n);

	enum jt_status (*oauth_insert)(struct store *st, struct oauth_token *tokens, size_t n);
	enum jt_status (*oauth_find_by_hash)(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					     struct oauth_token *out);
	enum jt_status (*oauth_revoke)(struct store *st, int64_t id, int64_t now);
	enum jt_status (*oauth_revoke_family)(struct store *st, int64_t family_id, int64_t now);
	enum jt_status (*oauth_refresh)(struct store *st, int64_t old_id, bool keep_old,
					int64_t now, struct oauth_token *tokens, size_t n);

	enum jt_status (*oauth_insert_async)(struct store *st, struct oauth_token *tokens, size_t n,
					     store_done done, void *arg);
	enum jt_status (*code_redeem_async)(struct store *st, const uint8_t hash[STORE_HASH_LEN],
					    int64_t now, struct oauth_token *tokens, size_t n,
					    store_done done, void *arg);

	enum jt_status (*audit_insert)(struct store *st, const struct audit_event *e);
	enum jt_status (*audit_list)(struct store *st, const struct audit_filter *f,
				     const struct store_page *page, struct audit_event **items,
				     size_t *n);

	/* Copy support: export calls row() for every row in primary-key order
	 * (values valid during the call); import runs inside one transaction
	 * opened by import_begin and closed by import_end (commit or not),
	 * which also moves id sequences past the largest id. */
	enum jt_status (*export_rows)(struct store *st, const struct store_table *t,
				      enum jt_status (*row)(void *arg, const struct store_value *v),
				      void *arg);
	enum jt_status (*import_begin)(struct store *st);
	enum jt_status (*import_row)(struct store *st, const struct store_table *t,
				     const struct store_value *v);
	enum jt_status (*import_end)(struct store *st, bool commit);

	enum jt_status (*key_insert)(struct store *st, const struct signing_key *k);
	enum jt_status (*key_list)(struct store *st, int64_t now, struct signing_key **items,
				   size_t *n);
	enum jt_status (*key_retire_others)(struct store *st, const char *kid, int64_t now,
					    int64_t unpublish_at);

	enum jt_status (*session_insert)(struct store *st, const struct session *s);
	enum jt_status (*session_find)(struct store *st, const uint8_t hash[STORE_HASH_LEN],
				       struct session *out);
	enum jt_status (*session_delete)(struct store *st, const uint8_t hash[STORE_HASH_LEN]);
	enum jt_status (*session_delete_user)(struct store *st, int64_t user_id,
					      const uint8_t keep[STORE_HASH_LEN]);
};

#endif
