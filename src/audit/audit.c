/* SPDX-License-Identifier: MIT */
/* Building and queueing audit events. */
#include "audit/audit.h"
#include "util/log.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void audit_record(struct store *st, int64_t actor_id, const char *actor, const char *action,
		  const char *ip, bool success, const char *target_fmt, ...)
{
	struct audit_event e;
	va_list ap;

	memset(&e, 0, sizeof e);
	e.at = time_now();
	e.actor_id = actor_id;
	snprintf(e.actor, sizeof e.actor, "%s", actor ? actor : "");
	snprintf(e.action, sizeof e.action, "%s", action);
	snprintf(e.ip, sizeof e.ip, "%s", ip ? ip : "");
	e.success = success;
	va_start(ap, target_fmt);
	vsnprintf(e.target, sizeof e.target, target_fmt, ap);
	va_end(ap);
	enum jt_status status = store_audit_insert(st, &e);
	if (status != JT_OK)
		log_error("audit event %s could not be queued: %s", action, jt_status_str(status));
}
