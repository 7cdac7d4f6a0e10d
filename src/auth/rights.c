/* SPDX-License-Identifier: MIT */
/* What users and tokens hold: a user's permissions, instance-wide and in
 * their spaces, and a verified token's rights. */
#include "auth/auth.h"

#include <string.h>

uint64_t auth_instance_permissions(const struct user *u)
{
	uint64_t perms = SCOPE_MANAGE_TOKENS;
	if (u->admin)
		perms |= SCOPE_MANAGE_USERS | SCOPE_MANAGE_APPS | SCOPE_REPORT_LEAKS;
	return perms;
}

enum jt_status auth_user_permissions(struct store *st, const struct user *u, uint64_t *instance,
				     uint64_t *held)
{
	struct membership *ms = NULL;
	size_t n = 0;

	*instance = auth_instance_permissions(u);
	*held = *instance;
	enum jt_status status = store_memberships_of_user(st, u->id, &ms, &n);
	for (size_t i = 0; status == JT_OK && i < n; i++) {
		uint64_t perms = 0;
		if (scope_parse(ms[i].permissions, strlen(ms[i].permissions), &perms) == JT_OK)
			*held |= perms;
	}
	store_list_free(ms);
	return status;
}

uint64_t auth_admin_permissions(void)
{
	return auth_instance_permissions(&(struct user){.admin = true});
}

uint64_t auth_rights(const struct principal *p)
{
	return p->token_scopes & p->user_permissions;
}

uint64_t auth_rights_in_space(const struct principal *p, int64_t space_id)
{
	if (p->space_id && p->space_id != space_id)
		return 0;
	for (size_t i = 0; i < p->nspaces; i++)
		if (p->spaces[i].id == space_id)
			return p->token_scopes & p->spaces[i].permissions;
	return 0;
}

bool auth_in_space(const struct principal *p, int64_t space_id)
{
	if (p->space_id && p->space_id != space_id)
		return false;
	for (size_t i = 0; i < p->nspaces; i++)
		if (p->spaces[i].id == space_id)
			return true;
	return false;
}

enum jt_status auth_users_share_space(struct store *st, int64_t caller_id, int64_t only_space,
				      int64_t user_id, bool *out)
{
	struct membership *mine = NULL, *theirs = NULL;
	size_t nmine = 0, ntheirs = 0;

	*out = false;
	enum jt_status status = store_memberships_of_user(st, caller_id, &mine, &nmine);
	if (status == JT_OK)
		status = store_memberships_of_user(st, user_id, &theirs, &ntheirs);
	for (size_t i = 0; status == JT_OK && i < nmine; i++) {
		if (only_space && mine[i].space_id != only_space)
			continue;
		for (size_t k = 0; k < ntheirs; k++)
			*out |= theirs[k].space_id == mine[i].space_id;
	}
	store_list_free(mine);
	store_list_free(theirs);
	return status;
}
