/* SPDX-License-Identifier: MIT */
/* Shared pieces of the CLI: option parsing, opening the store, creating
 * the first admin, expiry dates. */
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/time.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DB "./jeton.db"

static const char *default_db;

void cli_set_default_db(const char *db)
{
	default_db = db;
}

static struct cli_option *find_option(struct cli_option *opts, size_t nopts, const char *name,
				      size_t name_len)
{
	for (size_t i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == name_len && strncmp(opts[i].name, name, name_len) == 0)
			return &opts[i];
	return NULL;
}

int cli_parse(int argc, char **argv, struct cli_option *opts, size_t nopts, struct cli_args *out)
{
	const char *db_flag = NULL, *config = getenv("JETON_CONFIG"), *env;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < nopts; i++) {
		opts[i].value = NULL;
		opts[i].nvalues = 0;
	}

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || strcmp(a, "-") == 0) {
			if (out->npos == CLI_MAX_POSITIONAL) {
				fprintf(stderr, "jeton: too many arguments\n");
				return CLI_USAGE;
			}
			out->pos[out->npos++] = a;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
		const char *value = eq ? eq + 1 : NULL;
		bool is_db = name_len == 4 && strncmp(a, "--db", 4) == 0;
		bool is_config = name_len == 8 && strncmp(a, "--config", 8) == 0;
		bool common = is_db || is_config;
		struct cli_option *o = common ? NULL : find_option(opts, nopts, a, name_len);
		if (!common && !o) {
			fprintf(stderr, "jeton: unknown option %.*s\n", (int)name_len, a);
			return CLI_USAGE;
		}
		if (common || o->takes_value) {
			if (!value && i + 1 < argc)
				value = argv[++i];
			if (!value) {
				fprintf(stderr, "jeton: %.*s needs a value\n", (int)name_len, a);
				return CLI_USAGE;
			}
		} else if (value) {
			fprintf(stderr, "jeton: %.*s takes no value\n", (int)name_len, a);
			return CLI_USAGE;
		}
		if (common) {
			*(is_db ? &db_flag : &config) = value;
			continue;
		}
		o->value = value ? value : "";
		if (o->nvalues == CLI_MAX_REPEATS) {
			fprintf(stderr, "jeton: %s given too many times\n", o->name);
			return CLI_USAGE;
		}
		o->values[o->nvalues++] = o->value;
	}
	/* The file before JETON_DB is read: it may be what sets it. */
	if (config && *config) {
		int rc = cli_config_load(config);
		if (rc != CLI_OK)
			return rc;
	}
	env = getenv("JETON_DB");
	out->db = db_flag ? db_flag : default_db ? default_db : env && *env ? env : DEFAULT_DB;
	return CLI_OK;
}

const char *cli_value(const struct cli_option *opts, size_t nopts, const char *name)
{
	for (size_t i = 0; i < nopts; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].value;
	return NULL;
}

int cli_open_store(const char *db, int threads, struct store **out)
{
	enum jt_status st = crypto_init();
	if (st != JT_OK) {
		fprintf(stderr, "jeton: cannot initialise the crypto libraries\n");
		return CLI_FAIL;
	}
	char shown[512];
	store_location_redacted(db, shown, sizeof shown);
	st = store_open(db, threads, out);
	if (st != JT_OK) {
		fprintf(stderr, "jeton: cannot open the store %s: %s\n", shown, jt_status_str(st));
		return CLI_FAIL;
	}
	st = store_migrate(*out);
	if (st != JT_OK) {
		fprintf(stderr, "jeton: cannot migrate the store %s: %s\n", shown,
			st == JT_ECONFLICT ? "its schema is newer than this jeton"
					   : jt_status_str(st));
		store_close(*out);
		*out = NULL;
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cli_bootstrap(struct store *st, const char *email, bool *created,
		  char password[LIMIT_PASSWORD_MAX + 1])
{
	int64_t count = 0;
	struct user u = {0};

	*created = false;
	if (store_user_count(st, &count) != JT_OK) {
		fprintf(stderr, "jeton: cannot read the store\n");
		return CLI_FAIL;
	}
	if (count > 0)
		return CLI_OK;
	if (!text_email_valid(email, strlen(email))) {
		fprintf(stderr, "jeton: %s is not a valid email\n", email);
		return CLI_USAGE;
	}
	snprintf(u.email, sizeof u.email, "%s", email);
	snprintf(u.friendly_name, sizeof u.friendly_name, "Admin");
	u.admin = true;
	u.password_must_change = true; /* a one-time password, as a reset's */
	u.created_at = time_now();
	password_generate(password);
	if (password_hash(password, strlen(password), u.password_hash) != JT_OK ||
	    store_user_insert(st, &u) != JT_OK) {
		crypto_wipe(password, LIMIT_PASSWORD_MAX + 1);
		fprintf(stderr, "jeton: cannot create the first admin\n");
		return CLI_FAIL;
	}
	*created = true;
	return CLI_OK;
}

int cli_parse_date(const char *s, int64_t *out)
{
	size_t n = strlen(s);
	char full[32];
	if (n == 10) {
		snprintf(full, sizeof full, "%sT00:00:00Z", s);
		s = full;
		n = strlen(full);
	}
	return time_parse(s, n, out) == JT_OK ? CLI_OK : CLI_USAGE;
}

int cli_parse_expiry(const char *s, int64_t *out)
{
	size_t n = strlen(s);
	int64_t now = time_now(), t = 0, days;

	*out = 0;
	if (strcmp(s, "never") == 0)
		return CLI_OK;
	if (n >= 2 && s[n - 1] == 'd' && text_parse_i64(s, n - 1, 1, 36500, &days) == JT_OK)
		t = now + days * 86400;
	else if (cli_parse_date(s, &t) != CLI_OK)
		t = 0;
	if (t == 0) {
		fprintf(stderr,
			"jeton: --expires must be never, Nd, YYYY-MM-DD or an RFC 3339 time\n");
		return CLI_USAGE;
	}
	if (t <= now) {
		fprintf(stderr, "jeton: --expires must be in the future\n");
		return CLI_USAGE;
	}
	*out = t;
	return CLI_OK;
}

int cli_find_user(struct store *st, const char *email, struct user *out)
{
	enum jt_status s = store_user_find_by_email(st, email, out);
	if (s == JT_OK)
		return CLI_OK;
	fprintf(stderr, "jeton: %s\n",
		s == JT_ENOTFOUND ? "no user with that email" : jt_status_str(s));
	return CLI_FAIL;
}

/* Compact JSON, one value a line: a list is printed item by item, so that
 * jq and line-reading scripts stream it (as docker --format '{{json .}}'
 * and journalctl -o json do); an empty list prints nothing. */
int cli_print_json(struct cJSON *value)
{
	int rc = value ? CLI_OK : CLI_FAIL;
	cJSON *item = cJSON_IsArray(value) ? value->child : value;
	for (; item && rc == CLI_OK; item = cJSON_IsArray(value) ? item->next : NULL) {
		char *text = cJSON_PrintUnformatted(item);
		if (text)
			printf("%s\n", text);
		else
			rc = CLI_FAIL;
		cJSON_free(text);
	}
	cJSON_Delete(value);
	return rc;
}

int cli_print_secret_json(struct cJSON *value)
{
	size_t len = 0;
	char *text = value ? secret_json_print(value, false, LIMIT_SECRET_BODY_BYTES, &len) : NULL;
	int rc = text ? CLI_OK : CLI_FAIL;
	if (text) {
		printf("%s\n", text);
		fflush(stdout);
		crypto_wipe(text, len);
	}
	jt_free(text);
	secret_json_delete(value);
	return rc;
}
