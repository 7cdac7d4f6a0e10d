/* SPDX-License-Identifier: MIT */
/* jeton keys rotate|list: JWT signing keys. rotate adds a new key that
 * signs from now on (every node picks it up within a second); the old keys
 * stay published until no token they signed can be live. */
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "keys/keys.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The algorithm of the key that signs now, EdDSA when there is none. */
static enum jwt_alg current_alg(struct store *st)
{
	struct signing_key *items = NULL;
	size_t n = 0;
	enum jwt_alg alg = JWT_EDDSA;
	if (store_key_list(st, time_now(), &items, &n) == JT_OK && n && !items[0].retired_at)
		jwt_alg_parse(items[0].alg, &alg);
	if (items)
		crypto_wipe(items, n * sizeof *items);
	store_list_free(items);
	return alg;
}

static int keys_rotate(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--key-file", .takes_value = true},
				    {.name = "--jwt-alg", .takes_value = true}};
	struct cli_args args;
	struct store *st = NULL;
	struct keyring *kr = NULL;
	uint8_t kek[KEK_BYTES];
	enum jwt_alg alg = JWT_EDDSA;
	char kid[33];
	int rc = cli_parse(argc, argv, opts, 2, &args);
	if (rc != CLI_OK)
		return rc;
	const char *name = cli_value(opts, 2, "--jwt-alg");
	if (!name)
		name = getenv("JETON_JWT_ALG");
	if (args.npos || (name && *name && jwt_alg_parse(name, &alg) != JT_OK)) {
		fprintf(stderr, "usage: jeton keys rotate [--jwt-alg EdDSA|ES256|RS256] [--key-file F]\n");
		return CLI_USAGE;
	}
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && !(name && *name))
		alg = current_alg(st); /* keep the algorithm the server signs with */
	const char *kek_file = cli_key_file(cli_value(opts, 2, "--key-file"));
	if (rc == CLI_OK && (keyring_load_kek(kek_file, kek) != JT_OK ||
			     keyring_open(st, kek, alg, 0, &kr) != JT_OK ||
			     keyring_rotate(kr, kid) != JT_OK)) {
		fprintf(stderr, "jeton: the key could not be rotated\n");
		rc = CLI_FAIL;
	}
	if (rc == CLI_OK)
		printf("%s\n", kid);
	crypto_wipe(kek, sizeof kek);
	keyring_free(kr);
	store_close(st);
	return rc;
}

static int keys_list(int argc, char **argv)
{
	struct cli_args args;
	struct store *st = NULL;
	struct signing_key *items = NULL;
	size_t n = 0;
	char created[TIME_RFC3339_BUF], retired[TIME_RFC3339_BUF], until[TIME_RFC3339_BUF];
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && store_key_list(st, time_now(), &items, &n) != JT_OK)
		rc = CLI_FAIL;
	if (rc == CLI_OK) {
		printf("%-18s %-6s %-20s %-20s %s\n", "KID", "ALG", "CREATED", "RETIRED", "PUBLISHED UNTIL");
		for (size_t i = 0; i < n; i++) {
			time_format(items[i].created_at, created);
			snprintf(retired, sizeof retired, "-");
			snprintf(until, sizeof until, "-");
			if (items[i].retired_at)
				time_format(items[i].retired_at, retired);
			if (items[i].unpublish_at)
				time_format(items[i].unpublish_at, until);
			printf("%-18s %-6s %-20s %-20s %s\n", items[i].kid, items[i].alg, created,
			       retired, until);
		}
	}
	if (items)
		crypto_wipe(items, n * sizeof *items);
	store_list_free(items);
	store_close(st);
	return rc;
}

int cli_keys(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	if (strcmp(sub, "rotate") == 0)
		return keys_rotate(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return keys_list(argc - 1, argv + 1);
	fprintf(stderr, "usage: jeton keys rotate|list\n");
	return CLI_USAGE;
}
