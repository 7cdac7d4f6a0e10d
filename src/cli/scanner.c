/* SPDX-License-Identifier: MIT */
/* jeton scanner add|list|remove: the secret scanners whose signed leak
 * reports POST /v1/token_leaks accepts. A scanner is a name and an ECDSA
 * P-256 public key (PEM); its key id, which the report's
 * Github-Public-Key-Identifier header names, is the hex SHA-256 of the
 * key's DER form unless --key-id gives the scanner's own (GitHub publishes
 * its keys with their identifiers). */
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <stdio.h>
#include <string.h>

/* Reads the PEM file into out; false after saying why. */
static bool read_pem(const char *path, char *out, size_t out_len)
{
	struct stat sb;
	char *text, why[128];
	size_t len;
	if (file_read_all(path, out_len - 1, &text, &len, &sb, why, sizeof why) != JT_OK) {
		fprintf(stderr, "jeton: %s: %s\n", path, why);
		return false;
	}
	memcpy(out, text, len + 1);
	jt_free(text); /* a public key */
	return true;
}

static int scanner_add(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--public-key", .takes_value = true},
				    {.name = "--key-id", .takes_value = true}};
	struct cli_args args;
	struct store *st = NULL;
	struct scanner s = {.created_at = time_now()};
	char computed[SIGNATURE_KEY_ID_CHARS + 1];
	int rc = cli_parse(argc, argv, opts, 2, &args);
	if (rc != CLI_OK)
		return rc;
	const char *file = cli_value(opts, 2, "--public-key");
	const char *key_id = cli_value(opts, 2, "--key-id");
	if (args.npos != 1 || !file || !*file) {
		fprintf(stderr, "usage: jeton scanner add NAME --public-key FILE [--key-id ID]\n");
		return CLI_USAGE;
	}
	if (!text_name_valid(args.pos[0], strlen(args.pos[0]), LIMIT_NAME_CHARS) ||
	    (key_id && (!*key_id || strlen(key_id) > STORE_SCANNER_KEY_ID_BYTES))) {
		fprintf(stderr, "jeton: the name or the key id is empty or too long\n");
		return CLI_USAGE;
	}
	if (!read_pem(file, s.public_key, sizeof s.public_key))
		return CLI_FAIL;
	if (signature_key_id(s.public_key, computed) != JT_OK) {
		fprintf(stderr, "jeton: %s holds no ECDSA P-256 public key (PEM)\n", file);
		return CLI_FAIL;
	}
	snprintf(s.name, sizeof s.name, "%s", args.pos[0]);
	snprintf(s.key_id, sizeof s.key_id, "%s", key_id ? key_id : computed);
	rc = cli_open_store(args.db, 1, &st);
	enum jt_status status = rc == CLI_OK ? store_scanner_insert(st, &s) : JT_OK;
	if (status == JT_ECONFLICT) {
		fprintf(stderr, "jeton: a scanner with that name or key id exists\n");
		rc = CLI_FAIL;
	} else if (status != JT_OK) {
		fprintf(stderr, "jeton: the scanner could not be added\n");
		rc = CLI_FAIL;
	} else if (rc == CLI_OK) {
		printf("%s\n", s.key_id);
	}
	store_close(st);
	return rc;
}

static int scanner_list(int argc, char **argv)
{
	struct cli_args args;
	struct store *st = NULL;
	struct scanner *items = NULL;
	size_t n = 0;
	char created[TIME_RFC3339_BUF];
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc == CLI_OK && args.npos) {
		fprintf(stderr, "usage: jeton scanner list\n");
		rc = CLI_USAGE;
	}
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && store_scanner_list(st, &items, &n) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK) {
		printf("%-24s %-20s %s\n", "NAME", "ADDED", "KEY ID");
		for (size_t i = 0; i < n; i++) {
			time_format(items[i].created_at, created);
			printf("%-24s %-20s %s\n", items[i].name, created, items[i].key_id);
		}
	}
	store_list_free(items);
	store_close(st);
	return rc;
}

static int scanner_remove(int argc, char **argv)
{
	struct cli_args args;
	struct store *st = NULL;
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc == CLI_OK && args.npos != 1) {
		fprintf(stderr, "usage: jeton scanner remove NAME\n");
		rc = CLI_USAGE;
	}
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	enum jt_status status = rc == CLI_OK ? store_scanner_delete(st, args.pos[0]) : JT_OK;
	if (status == JT_ENOTFOUND) {
		fprintf(stderr, "jeton: no scanner is named %s\n", args.pos[0]);
		rc = CLI_FAIL;
	} else if (status != JT_OK) {
		fprintf(stderr, "jeton: the scanner could not be removed\n");
		rc = CLI_FAIL;
	}
	store_close(st);
	return rc;
}

int cli_scanner(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "add") == 0)
		return scanner_add(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return scanner_list(argc - 1, argv + 1);
	if (strcmp(sub, "remove") == 0)
		return scanner_remove(argc - 1, argv + 1);
	fprintf(stderr, "usage: jeton scanner add NAME --public-key FILE [--key-id ID] | list | "
			"remove NAME\n");
	return CLI_USAGE;
}
