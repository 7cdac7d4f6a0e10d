/* SPDX-License-Identifier: MIT */
/* The audit log: who did what, when, from where, and whether it worked.
 * Events are written through the store's group commit and never make the
 * caller wait or fail. Callers pass names and ids, never a secret. */
#ifndef JETON_AUDIT_H
#define JETON_AUDIT_H
#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"

/* Records an event. actor: an email, a client_id or "cli"; target is
 * formatted with printf rules and cut at its field's size. */
void audit_record(struct store *st, int64_t actor_id, const char *actor, const char *action,
		  const char *ip, bool success, const char *target_fmt, ...)
	__attribute__((format(printf, 7, 8)));

#endif
