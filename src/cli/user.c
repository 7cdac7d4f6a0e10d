/* SPDX-License-Identifier: MIT */
/* jeton user add|list|disable|enable|reset-password|reset-two-factor */
#include "audit/audit.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "render/render.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* Reads one line from stdin into out, without its line ending. */
static int read_password(char *out, size_t out_len)
{
	if (!fgets(out, (int)out_len, stdin)) {
		fprintf(stderr, "jeton: no password on stdin\n");
		return CLI_FAIL;
	}
	size_t n = strlen(out);
	if (n == out_len - 1 && out[n - 1] != '\n') {
		fprintf(stderr, "jeton: the password is longer than %d bytes\n", LIMIT_PASSWORD_MAX);
		return CLI_FAIL;
	}
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (n < LIMIT_PASSWORD_MIN) {
		fprintf(stderr, "jeton: the password must be at least %d characters\n",
			LIMIT_PASSWORD_MIN);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* A password the admin knows is one-time, as a reset's: the user chooses
 * their own at the first sign-in. Only one read from stdin may be kept
 * (--permanent-password), for an account that signs in with it from a
 * script (the password grant refuses a one-time password). */
static int user_add(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--name", .takes_value = true},
		{.name = "--admin", .takes_value = false},
		{.name = "--password-stdin", .takes_value = false},
		{.name = "--permanent-password", .takes_value = false},
	};
	struct cli_args args;
	struct store *st = NULL;
	struct user u = {0};
	char password[LIMIT_PASSWORD_MAX + 2];
	int rc = cli_parse(argc, argv, opts, 4, &args);
	if (rc != CLI_OK)
		return rc;
	const char *name = cli_value(opts, 4, "--name");
	bool from_stdin = cli_value(opts, 4, "--password-stdin") != NULL;
	bool permanent = cli_value(opts, 4, "--permanent-password") != NULL;
	if (args.npos != 1 || !text_email_valid(args.pos[0], strlen(args.pos[0])) ||
	    (permanent && !from_stdin)) {
		fprintf(stderr, "usage: jeton user add EMAIL [--name N] [--admin] "
				"[--password-stdin [--permanent-password]]\n");
		return CLI_USAGE;
	}
	snprintf(u.email, sizeof u.email, "%s", args.pos[0]);
	if (name && !text_name_valid(name, strlen(name), LIMIT_NAME_CHARS)) {
		fprintf(stderr, "jeton: --name must be 1 to %d characters\n", LIMIT_NAME_CHARS);
		return CLI_USAGE;
	}
	if (name)
		snprintf(u.friendly_name, sizeof u.friendly_name, "%s", name);
	else
		text_default_name(u.email, u.friendly_name, sizeof u.friendly_name);
	u.admin = cli_value(opts, 4, "--admin") != NULL;
	u.password_must_change = !permanent;
	u.created_at = time_now();
	if (from_stdin)
		rc = read_password(password, sizeof password);
	else
		password_generate(password);
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && password_hash(password, strlen(password), u.password_hash) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK) {
		enum jt_status s = store_user_insert(st, &u);
		if (s != JT_OK) {
			fprintf(stderr, "jeton: %s\n", s == JT_ECONFLICT ? "a user with this email exists"
									 : jt_status_str(s));
			rc = CLI_FAIL;
		}
	}
	if (rc == CLI_OK) {
		audit_record(st, 0, "cli", "user.created", "", true, "user %lld (%s)%s",
			     (long long)u.id, u.email, u.admin ? " admin" : "");
		printf("%lld\n", (long long)u.id);
		if (!from_stdin)
			printf("password: %s\n", password);
		if (u.password_must_change)
			fprintf(stderr,
				"jeton: %s must change this one-time password at the first "
				"sign-in\n",
				u.email);
	}
	crypto_wipe(password, sizeof password);
	store_close(st);
	return rc;
}

static int user_list(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--json", .takes_value = false}};
	struct cli_args args;
	struct store *st = NULL;
	struct user *items = NULL;
	size_t n = 0;
	int rc = cli_parse(argc, argv, opts, 1, &args);
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc != CLI_OK)
		return rc;
	bool json = cli_value(opts, 1, "--json") != NULL;
	cJSON *arr = cJSON_CreateArray();
	if (!json)
		printf("%-6s %-32s %-24s %-5s %s\n", "ID", "EMAIL", "NAME", "ADMIN", "STATUS");
	struct store_page page = {.before = 0, .limit = LIMIT_PAGE_MAX};
	do {
		if (store_user_list(st, &page, &items, &n) != JT_OK) {
			rc = CLI_FAIL;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (json)
				cJSON_AddItemToArray(arr, render_user(&items[i]));
			else
				printf("%-6lld %-32s %-24s %-5s %s\n", (long long)items[i].id,
				       items[i].email, items[i].friendly_name,
				       items[i].admin ? "yes" : "no",
				       items[i].disabled ? "disabled" : "active");
		}
		if (n)
			page.before = items[n - 1].id;
		store_list_free(items);
	} while (n == (size_t)page.limit);
	if (json && rc == CLI_OK)
		rc = cli_print_json(arr);
	else
		cJSON_Delete(arr);
	store_close(st);
	return rc;
}

static int user_set_disabled(int argc, char **argv, bool disabled)
{
	struct cli_args args;
	struct store *st = NULL;
	struct user u;
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos != 1) {
		fprintf(stderr, "usage: jeton user %s EMAIL\n", disabled ? "disable" : "enable");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK)
		rc = cli_find_user(st, args.pos[0], &u);
	if (rc == CLI_OK) {
		u.disabled = disabled;
		if (store_user_update(st, &u) != JT_OK)
			rc = CLI_FAIL;
		else
			audit_record(st, 0, "cli", "user.updated", "", true, "user %lld (%s): disabled=%s",
				     (long long)u.id, u.email, disabled ? "yes" : "no");
	}
	store_close(st);
	return rc;
}

/* Works on the store directly, without a server or a token: an operator
 * with shell access can always recover an account, the last admin's too. */
static int user_reset_password(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--revoke-tokens", .takes_value = false}};
	struct cli_args args;
	struct store *st = NULL;
	struct user u;
	char password[PASSWORD_GENERATED_CHARS + 1];
	int64_t revoked = 0;
	int rc = cli_parse(argc, argv, opts, 1, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos != 1) {
		fprintf(stderr, "usage: jeton user reset-password EMAIL [--revoke-tokens]\n");
		return CLI_USAGE;
	}
	bool revoke = cli_value(opts, 1, "--revoke-tokens") != NULL;
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK)
		rc = cli_find_user(st, args.pos[0], &u);
	if (rc == CLI_OK) {
		enum jt_status s = auth_reset_password(st, u.id, revoke, password, &u, &revoked);
		audit_record(st, 0, "cli", "user.password_reset", "", s == JT_OK,
			     "user %lld (%s): sessions signed out%s", (long long)u.id, u.email,
			     revoke ? "; every token revoked" : "; tokens kept");
		if (s != JT_OK) {
			fprintf(stderr, "jeton: the password could not be reset: %s\n",
				jt_status_str(s));
			rc = CLI_FAIL;
		}
	}
	if (rc == CLI_OK) {
		printf("%s\n", password);
		fprintf(stderr,
			"jeton: %s must change this one-time password at the next sign-in; every "
			"session of theirs was signed out; %s\n",
			u.email,
			revoke ? "every token of theirs was revoked" : "their tokens stay valid");
		if (revoke)
			fprintf(stderr, "jeton: %lld token%s revoked\n", (long long)revoked,
				revoked == 1 ? "" : "s");
	}
	crypto_wipe(password, sizeof password);
	store_close(st);
	return rc;
}

/* A lost phone, the last admin's too: removes the user's authenticator and
 * recovery codes and signs out their sessions, on the store directly. */
static int user_reset_two_factor(int argc, char **argv)
{
	struct cli_args args;
	struct store *st = NULL;
	struct user u;
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc != CLI_OK)
		return rc;
	if (args.npos != 1) {
		fprintf(stderr, "usage: jeton user reset-two-factor EMAIL\n");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK)
		rc = cli_find_user(st, args.pos[0], &u);
	if (rc == CLI_OK) {
		enum jt_status s = auth_totp_reset(st, u.id);
		audit_record(st, 0, "cli", "2fa.reset", "", s == JT_OK,
			     "user %lld (%s): sessions signed out", (long long)u.id, u.email);
		if (s != JT_OK) {
			fprintf(stderr, "jeton: the second factor could not be reset: %s\n",
				jt_status_str(s));
			rc = CLI_FAIL;
		} else {
			fprintf(stderr,
				"jeton: %s signs in with the password alone now (or is sent to set "
				"up two-factor sign-in again, if the policy requires it); every "
				"session of theirs was signed out\n",
				u.email);
		}
	}
	store_close(st);
	return rc;
}

int cli_user(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "add") == 0)
		return user_add(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return user_list(argc - 1, argv + 1);
	if (strcmp(sub, "disable") == 0)
		return user_set_disabled(argc - 1, argv + 1, true);
	if (strcmp(sub, "enable") == 0)
		return user_set_disabled(argc - 1, argv + 1, false);
	if (strcmp(sub, "reset-password") == 0)
		return user_reset_password(argc - 1, argv + 1);
	if (strcmp(sub, "reset-two-factor") == 0)
		return user_reset_two_factor(argc - 1, argv + 1);
	fprintf(stderr,
		"usage: jeton user add|list|disable|enable|reset-password|reset-two-factor ...\n");
	return CLI_USAGE;
}
