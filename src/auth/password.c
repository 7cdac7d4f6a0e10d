/* SPDX-License-Identifier: MIT */
/* Checking a user's password, in the same time whether or not the account
 * exists. */
#include "auth/auth.h"
#include "crypto/crypto.h"

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
