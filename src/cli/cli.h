/* SPDX-License-Identifier: MIT */
/* The command-line interface: one file per command group, sharing option
 * parsing and store set-up from common.c; serve_routes.c is the route
 * table of jeton serve. Every command returns its exit status: CLI_OK,
 * CLI_FAIL (message on stderr) or CLI_USAGE. */
#ifndef JETON_CLI_H
#define JETON_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "http/http.h"
#include "store/store.h"
#include "util/limits.h"

enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2
};

#define CLI_MAX_POSITIONAL 8  /* positional arguments of one command */
#define CLI_MAX_REPEATS    16 /* values of one repeatable option */

/* An option a command accepts: "--name" with a value, or a flag. */
struct cli_option {
	const char *name;
	bool takes_value;
	const char *value; /* filled by cli_parse: the last value, or "" for a flag */
	const char *values[CLI_MAX_REPEATS]; /* every value, for repeatable options */
	int nvalues;
};

struct cli_args {
	const char *pos[CLI_MAX_POSITIONAL];
	int npos;
	const char *db; /* --db, else JETON_DB (or the file's db), else ./jeton.db */
};

/* Parses argv (after the command words) against opts; --db and --config
 * are always accepted. Then loads the configuration file, --config else
 * $JETON_CONFIG, if any (cli_config_load). Prints a message and returns
 * CLI_USAGE on an unknown option, a missing value or too many arguments,
 * or what cli_config_load returned. */
int cli_parse(int argc, char **argv, struct cli_option *opts, size_t nopts, struct cli_args *out);
/* The value of an option after cli_parse, or NULL when not given. */
const char *cli_value(const struct cli_option *opts, size_t nopts, const char *name);

/* Opens and migrates the store. Prints the reason and returns CLI_FAIL. */
int cli_open_store(const char *db, int threads, struct store **out);

/* On a store without users, creates the first admin (email) with a fresh
 * password, which it writes into password. *created tells whether it did. */
int cli_bootstrap(struct store *st, const char *email, bool *created,
		  char password[LIMIT_PASSWORD_MAX + 1]);

/* Parses --expires: "never", "Nd" (days from now), "YYYY-MM-DD" (00:00 UTC)
 * or an RFC 3339 time; must be in the future. 0 = never. */
int cli_parse_expiry(const char *s, int64_t *out);

/* Parses "YYYY-MM-DD" (00:00 UTC) or an RFC 3339 time, past or future. */
int cli_parse_date(const char *s, int64_t *out);

/* Finds a user by email, printing a message when absent. */
int cli_find_user(struct store *st, const char *email, struct user *out);

void cli_set_default_db(const char *db);

/* The key-encryption key file: flag, else $JETON_KEY_FILE, else ./jeton.key. */
const char *cli_key_file(const char *flag);

struct cJSON;
/* Prints a JSON value compactly on one line of stdout, or a list one item
 * a line, and frees it. CLI_FAIL when it could not be printed (out of
 * memory). */
int cli_print_json(struct cJSON *value);
/* The same for a value that holds a secret (a client secret): printed and
 * freed without a copy left behind (secret_json_print, secret_json_delete). */
int cli_print_secret_json(struct cJSON *value);

/* ---- config.c ---- */

/* Reads the configuration file at path (`key = value` lines, see
 * docs/deploy.md) and sets each key's variable (JETON_LISTEN for listen)
 * that the environment does not set already. Nothing is set unless the
 * whole file is valid. CLI_USAGE with FILE:LINE on stderr for an unknown
 * key or a malformed line, and for a file that anyone may write or that
 * is too large; CLI_FAIL when it cannot be read. */
int cli_config_load(const char *path);
/* The same for the text of a file called name (for messages): len bytes
 * and one more, writable, after them; the text is changed. */
int cli_config_text(const char *name, char *text, size_t len);

/* ---- serve_routes.c ---- */

/* Every route jeton serve answers, with its handler. */
extern const struct http_route serve_routes[];
extern const size_t serve_route_count;

/* ---- help.c: the help of every command, from one table ---- */

/* The list of commands, for `jeton`, `jeton help` and usage errors. */
void cli_usage(FILE *f);
/* Whether argv (after the command word) asks for help: --help or -h
 * before any "--". */
bool cli_wants_help(int argc, char **argv);
/* The help of cmd, or of its subcommand named first in argv, on stdout:
 * CLI_OK, or CLI_USAGE for an unknown command. */
int cli_help_command(const char *cmd, int argc, char **argv);
/* jeton help [COMMAND [SUBCOMMAND]] | --man (the roff of jeton(1)). */
int cli_help(int argc, char **argv);

int cli_serve(int argc, char **argv);
int cli_init(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_space(int argc, char **argv);
int cli_token(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_app(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_policy(int argc, char **argv);
int cli_store(int argc, char **argv);
int cli_keys(int argc, char **argv);
int cli_purge(int argc, char **argv);

/* --retention and --audit-retention (days), else JETON_RETENTION and
 * JETON_AUDIT_RETENTION, else 30 and 365 (purge.c; jeton serve too). */
struct retention;
int cli_retention(const struct cli_option *opts, size_t nopts, struct retention *out);
int cli_scanner(int argc, char **argv);

#endif
