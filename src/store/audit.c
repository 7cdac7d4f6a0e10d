/* SPDX-License-Identifier: MIT */
/* The store's verbs for the audit log: events are written asynchronously,
 * in the writer's next batch. */
#include "store/query.h"
#include "util/log.h"

static enum jt_status insert_job(struct store_conn *c, void *arg)
{
	return db_insert(c, Q_AUDIT_INSERT, arg, NULL);
}

static void insert_done(void *arg, enum jt_status st)
{
	(void)arg;
	if (st != JT_OK)
		log_error("an audit event could not be stored: %s", jt_status_str(st));
}

enum jt_status store_audit_insert(struct store *st, const struct audit_event *e)
{
	return writer_submit(st, insert_job, e, sizeof *e, insert_done, NULL);
}

enum jt_status store_audit_list(struct store *st, const struct audit_filter *f,
				const struct store_page *page, struct audit_event **items,
				size_t *n)
{
	void *list;
	enum jt_status s =
		store_list(st, Q_AUDIT_LIST,
			   ARGS(V_INT(page_before(page)), V_TEXT(f->actor), V_TEXT(f->action),
				V_INT(f->since), V_INT(f->until), V_INT(page->limit)),
			   &list, n);
	*items = list;
	return s;
}
