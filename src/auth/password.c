/* SPDX-License-Identifier: MIT */
/* Checking a user's password, in the same time whether or not the account
 * exists; resetting it to a one-time password. */
#include "auth/auth.h"
#include "crypto/crypto.h"
#include "util/time.h"

#include <string.h>

enum jt_status auth_check_password(struct store *st, const char *email, const char *password,
				   struct user *out)
{
	/* A valid argon2id hash of a random password: verified when the
	 * account does not exist, to spend the same time. */
	static const char decoy[] = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
				    "9GdGc6bbNTkqBXxU2vTqE5r6Y0Pj6WjY5jv2v1t7E2E";
	enum jt_status status = store_user_find_by_email(st, email, out);
	if (status != JT_OK && status != JT_ENOTFOUND)
		return status;
	bool found = status == JT_OK && out->password_hash[0];
	bool match =
		password_verify(found ? out->password_hash : decoy, password, strlen(password));
	crypto_wipe(out->password_hash, sizeof out->password_hash);
	if (!found || !match || out->disabled)
		return JT_ENOTFOUND;
	return JT_OK;
}

enum jt_status auth_reset_password(struct store *st, int64_t user_id, bool revoke_tokens,
				   char password[PASSWORD_GENERATED_CHARS + 1], struct user *out,
				   int64_t *revoked)
{
	*revoked = 0;
	password[0] = '\0';
	enum jt_status s = store_user_get(st, user_id, out);
	if (s != JT_OK)
		return s;
	password_generate(password);
	s = password_hash(password, strlen(password), out->password_hash);
	out->password_must_change = true;
	if (s == JT_OK)
		s = store_user_update(st, out);
	crypto_wipe(out->password_hash, sizeof out->password_hash);
	/* The sessions a lost password may have opened end with it. */
	if (s == JT_OK)
		s = store_session_delete_user(st, user_id, NULL);
	if (s == JT_OK && revoke_tokens)
		s = store_user_revoke_tokens(st, user_id, time_now(), "password_reset", revoked);
	if (s != JT_OK)
		crypto_wipe(password, PASSWORD_GENERATED_CHARS + 1);
	return s;
}
