/* SPDX-License-Identifier: MIT */
/* The help of every command, in one table: `jeton help`, `--help` after
 * any command or subcommand, and the jeton(1) man page (`jeton help
 * --man`, which the build turns into build/jeton.1) are all printed from
 * it, so they cannot disagree. An option added to a command goes here too;
 * tests/e2e/test_cli_help.py checks that every option named here is one
 * the command accepts, and that every option of src/cli/ is named here. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#define HELP_MAX_OPTIONS 24

struct help_option {
	const char *name; /* "--user EMAIL" */
	const char *text; /* what it does, its default and its variable */
};

struct help_command {
	const char *cmd, *sub; /* sub NULL: a command without subcommands */
	const char *args;      /* after the words, e.g. "EMAIL [--name N]" */
	const char *text;
	struct help_option opts[HELP_MAX_OPTIONS]; /* ends at the first without a name */
	const char *examples[2];
};

#define INVENTORY_FILTERS                                                                          \
	{"--user EMAIL", "Tokens of this user."},                                                  \
		{"--app APP", "Tokens of this OAuth app (id or client_id)."},                      \
		{"--kind K", "pat, access, refresh or client."},                                   \
		{"--status S", "active, expired, revoked or rotated."},                            \
		{"--unused-for D", "Not used for this long (90d; units s, m, h, d, w)."},          \
		{"--expires-within D", "Expiring within this long (7d)."},                         \
		{"--created-before DATE", "Created before DATE (YYYY-MM-DD or RFC 3339)."},        \
	{                                                                                          \
		"--jti JTI", "The JWT access token with this jti."                                 \
	}

static const struct help_command commands[] = {
	{"serve",
	 NULL,
	 "[OPTIONS]",
	 "Serves HTTP (HTTPS with --tls-cert and --tls-key): the API, OAuth and the console. On "
	 "an empty store, creates it and the first admin and prints the console URL and the "
	 "admin's one-time password. SIGHUP reads the TLS certificate and key again. "
	 "SIGTERM/SIGINT stop it within 5 seconds.",
	 {{"--config FILE", "Settings from FILE, one `key = value` a line, a key per option "
			   "below (listen = 127.0.0.1:8080); an option or its variable wins "
			   "(JETON_CONFIG; default none)."},
	  {"--listen ADDR:PORT", "Where to listen (JETON_LISTEN; default 127.0.0.1:8080)."},
	  {"--issuer URL", "The public URL of the server (JETON_ISSUER; default http://LISTEN, "
			   "https://LISTEN with TLS)."},
	  {"--tls-cert FILE", "Serve HTTPS with this PEM certificate and its chain; needs "
			      "--tls-key (JETON_TLS_CERT; default none: plain HTTP)."},
	  {"--tls-key FILE", "The certificate's private key, PEM, unencrypted (JETON_TLS_KEY)."},
	  {"--access-log", "One line per request on stderr (JETON_ACCESS_LOG=1; default off)."},
	  {"--log-format F", "text or json: one JSON object a line, and an X-Request-Id on every "
			     "answer (JETON_LOG_FORMAT; default text)."},
	  {"--admin-email E", "The first admin on an empty store (JETON_ADMIN_EMAIL; default "
			      "admin@localhost)."},
	  {"--threads N", "Worker threads, 1 to 256 (JETON_THREADS; default: one per core)."},
	  {"--allow-user-credentials",
	   "Users may get a token from /oauth/token with their email "
	   "and password (JETON_ALLOW_USER_CREDENTIALS=1; default off)."},
	  {"--trusted-proxy CIDR", "A reverse proxy whose X-Forwarded-For is believed; "
				   "repeatable (JETON_TRUSTED_PROXIES, separated by commas or spaces; default "
				   "none)."},
	  {"--key-file F", "The key-encryption key of the JWT keys (JETON_KEY_FILE; default "
			   "./jeton.key)."},
	  {"--jwt-alg A", "EdDSA, ES256 or RS256 (JETON_JWT_ALG; default EdDSA)."},
	  {"--key-rotation S", "Seconds between JWT key rotations, 0 never (JETON_KEY_ROTATION; "
			       "default 2592000)."},
	  {"--user-token-format F", "opaque or jwt (JETON_USER_TOKEN_FORMAT; default opaque)."},
	  {"--retention DAYS", "Keep ended tokens this long (JETON_RETENTION; default 30)."},
	  {"--audit-retention DAYS", "Keep audit events this long, 0 forever "
				     "(JETON_AUDIT_RETENTION; default 365)."},
	  {"--session-idle D", "End a console session unused this long (JETON_SESSION_IDLE; "
			       "default 2h)."},
	  {"--session-lifetime D", "End every console session this long after sign-in "
				   "(JETON_SESSION_LIFETIME; default 8h)."}},
	 {"jeton serve", "jeton --db postgres://jeton@db/jeton serve --listen 0.0.0.0:8080 "
			 "--issuer https://tokens.example.com --trusted-proxy 10.0.0.0/8"}},
	{"init",
	 NULL,
	 "[--admin-email E] [--key-file F]",
	 "Creates the store and the first admin; prints admin: E and password: P. Fails if the "
	 "store has users.",
	 {{"--admin-email E", "The first admin (JETON_ADMIN_EMAIL; default admin@localhost)."},
	  {"--key-file F", "The key-encryption key file to create (JETON_KEY_FILE; default "
			   "./jeton.key)."}},
	 {"jeton init --admin-email ops@example.com"}},
	{"user",
	 "add",
	 "EMAIL [--name N] [--admin] [--password-stdin [--permanent-password]]",
	 "Adds a user and prints its id; without --password-stdin, a second line password: P "
	 "with a generated one-time password. Every password an admin sets is one-time: the "
	 "user must choose their own at the first sign-in.",
	 {{"--name N", "The user's display name."},
	  {"--admin", "An instance admin."},
	  {"--password-stdin", "Read the password from stdin instead of generating one."},
	  {"--permanent-password",
	   "With --password-stdin: the user keeps that password (an account a script signs in "
	   "with)."}},
	 {"jeton user add ana@example.com --name Ana", "printf '%s' \"$PW\" | jeton user add "
						       "bo@example.com --password-stdin"}},
	{"user",
	 "list",
	 "[--json]",
	 "Lists the users.",
	 {{"--json", "One JSON object per line."}},
	 {"jeton user list --json | jq -r .email"}},
	{"user",
	 "disable",
	 "EMAIL",
	 "Disables a user: all their tokens stop working.",
	 {{0}},
	 {"jeton user disable ana@example.com"}},
	{"user",
	 "enable",
	 "EMAIL",
	 "Enables a disabled user again.",
	 {{0}},
	 {"jeton user enable ana@example.com"}},
	{"user",
	 "reset-password",
	 "EMAIL [--revoke-tokens]",
	 "Prints a fresh one-time password, which must be changed at the next sign-in; signs "
	 "out every console session of the user. Works on the store directly, the last "
	 "admin's account included.",
	 {{"--revoke-tokens", "Also revoke every token of the user."}},
	 {"jeton --db ./jeton.db user reset-password admin@localhost"}},
	{"user",
	 "reset-two-factor",
	 "EMAIL",
	 "Removes the user's authenticator app and recovery codes (a lost phone) and signs out "
	 "every console session of the user. Works on the store directly, the last admin's "
	 "account included.",
	 {{0}},
	 {"jeton --db ./jeton.db user reset-two-factor admin@localhost"}},
	{"space",
	 "add",
	 "NAME",
	 "Adds a space and prints its id.",
	 {{0}},
	 {"jeton space add billing"}},
	{"space",
	 "list",
	 "[--json]",
	 "Lists the spaces.",
	 {{"--json", "One JSON object per line."}},
	 {"jeton space list"}},
	{"space",
	 "grant",
	 "SPACE EMAIL ROLE",
	 "Gives a user a role in a space (id or name): viewer, editor or admin.",
	 {{0}},
	 {"jeton space grant billing ana@example.com editor"}},
	{"space",
	 "revoke",
	 "SPACE EMAIL",
	 "Removes a user from a space.",
	 {{0}},
	 {"jeton space revoke billing ana@example.com"}},
	{"token",
	 "create",
	 "--user EMAIL --name N [--scopes \"a b\"] [--expires DATE|never]",
	 "Creates a personal access token and prints it alone. Scopes default to all the user "
	 "holds.",
	 {{"--user EMAIL", "The owner (required)."},
	  {"--name N", "The token's name (required)."},
	  {"--scopes LIST", "Space-separated scopes (default: all the user holds)."},
	  {"--expires DATE", "never, 30d, 2027-01-31 or an RFC 3339 time (default: the token "
			     "policy's)."}},
	 {"jeton token create --user ana@example.com --name ci --scopes \"read\" --expires 90d"}},
	{"token",
	 "list",
	 "--user EMAIL [--json] | --all [FILTERS] [--json]",
	 "Lists a user's tokens, or with --all every token of every kind (the admins' "
	 "inventory), newest first, never the secret.",
	 {INVENTORY_FILTERS,
	  {"--all", "Every token, filtered by the options above."},
	  {"--json", "One JSON object per line."}},
	 {"jeton token list --user ana@example.com",
	  "jeton token list --all --unused-for 90d --json | jq -r .ref"}},
	{"token",
	 "revoke",
	 "ID | FILTERS [--dry-run]",
	 "Revokes one token by id, or every unrevoked token the filters match (at least one) "
	 "in one transaction; prints how many.",
	 {INVENTORY_FILTERS, {"--dry-run", "Print how many would be revoked; revoke nothing."}},
	 {"jeton token revoke 12", "jeton token revoke --user ana@example.com --dry-run"}},
	{"token",
	 "rotate",
	 "ID [--overlap D]",
	 "Prints a new token for the same grant; the old one is revoked at once, or keeps "
	 "working until an overlap ends.",
	 {{"--overlap D", "Keep the old token working this long (at most 7d, never past its "
			  "expiry), then it stops."}},
	 {"jeton token rotate 12", "jeton token rotate 12 --overlap 24h"}},
	{"app",
	 "create",
	 "--name N [OPTIONS]",
	 "Registers an OAuth app and prints its client_id and client_secret (shown only here).",
	 {{"--name N", "The app's name (required)."},
	  {"--redirect-uri URI", "An allowed redirect URI; repeatable."},
	  {"--public", "A public client (no secret, PKCE required)."},
	  {"--grants LIST", "Grant types, comma separated: authorization_code, refresh_token, "
			    "client_credentials, device_code (default: the first two with a "
			    "redirect URI, "
			    "else client_credentials)."},
	  {"--scopes LIST", "Space-separated scopes the app may ask for (default "
			    "read_content)."},
	  {"--access-ttl S", "Access token lifetime in seconds (default 900)."},
	  {"--refresh-ttl S", "Refresh token lifetime in seconds (default 2592000)."},
	  {"--keep-refresh", "Do not rotate refresh tokens (confidential apps only)."},
	  {"--refresh-grace D", "How long a rotated refresh token presented again gets the "
				"same successor (default 30s, at most 5m, 0 none)."},
	  {"--token-format F", "opaque or jwt (default opaque)."},
	  {"--allow-pkce-plain", "Allow PKCE plain (old clients only)."},
	  {"--introspect", "A resource server that may introspect any token."},
	  {"--json", "Print the app as one JSON object, client_secret included."}},
	 {"jeton app create --name dashboard --redirect-uri https://dash.example.com/cb"}},
	{"app",
	 "list",
	 "[--json]",
	 "Lists the OAuth apps.",
	 {{"--json", "One JSON object per line."}},
	 {"jeton app list --json | jq -r .client_id"}},
	{"app",
	 "delete",
	 "ID|CLIENT_ID",
	 "Deletes an app and its tokens.",
	 {{0}},
	 {"jeton app delete 3"}},
	{"app",
	 "rotate-secret",
	 "ID|CLIENT_ID [--json]",
	 "Prints a new client secret; the old one stops working at once.",
	 {{"--json", "Print the app as one JSON object, client_secret included."}},
	 {"jeton app rotate-secret 3"}},
	{"audit",
	 NULL,
	 "[OPTIONS]",
	 "Prints the audit log, newest first.",
	 {{"--actor EMAIL", "Events by this user."},
	  {"--action NAME", "Events of this action; token matches every token.* action."},
	  {"--since DATE", "From DATE (YYYY-MM-DD or RFC 3339)."},
	  {"--until DATE", "Until DATE."},
	  {"--limit N", "At most N events (default 100)."},
	  {"--json", "One JSON object per line."}},
	 {"jeton audit --action token --since 2026-01-01"}},
	{"policy",
	 "show",
	 "[--json]",
	 "Prints the instance's token policy.",
	 {{"--json", "Print it as one JSON object."}},
	 {"jeton policy show"}},
	{"policy",
	 "set",
	 "[OPTIONS]",
	 "Changes only what it names and prints the policy.",
	 {{"--pat-max-lifetime D", "The longest a personal access token may live (90d; none: "
				   "no limit)."},
	  {"--pat-require-expiry", "Personal access tokens must expire."},
	  {"--no-pat-require-expiry", "They need not."},
	  {"--require-2fa WHO", "none, admins or all must use two-factor sign-in."}},
	 {"jeton policy set --pat-max-lifetime 90d --pat-require-expiry"}},
	{"scanner",
	 "add",
	 "NAME --public-key FILE [--key-id ID]",
	 "Accepts signed leak reports from a secret scanner; prints the key id.",
	 {{"--public-key FILE", "The scanner's ECDSA P-256 public key in PEM (required)."},
	  {"--key-id ID", "The key id reports name (default: hex SHA-256 of the key)."}},
	 {"jeton scanner add github --public-key github.pem"}},
	{"scanner", "list", "", "Lists the scanners.", {{0}}, {"jeton scanner list"}},
	{"scanner",
	 "remove",
	 "NAME",
	 "Stops accepting a scanner's reports.",
	 {{0}},
	 {"jeton scanner remove github"}},
	{"keys",
	 "rotate",
	 "[--jwt-alg A] [--key-file F]",
	 "Creates a new JWT signing key and prints its id; running nodes sign with it within a "
	 "second.",
	 {{"--jwt-alg A", "EdDSA, ES256 or RS256 (JETON_JWT_ALG; default EdDSA)."},
	  {"--key-file F", "The key-encryption key (JETON_KEY_FILE; default ./jeton.key)."}},
	 {"jeton keys rotate --jwt-alg ES256"}},
	{"keys", "list", "", "Lists the JWT signing keys.", {{0}}, {"jeton keys list"}},
	{"purge",
	 NULL,
	 "[--dry-run] [--retention DAYS] [--audit-retention DAYS]",
	 "Deletes what can never be used again and prints how many of each kind.",
	 {{"--dry-run", "Print what would be deleted; change nothing."},
	  {"--retention DAYS", "Keep ended tokens this long (JETON_RETENTION; default 30)."},
	  {"--audit-retention DAYS", "Keep audit events this long, 0 forever "
				     "(JETON_AUDIT_RETENTION; default 365)."}},
	 {"jeton purge --dry-run"}},
	{"store",
	 "copy",
	 "--from LOCATION --to LOCATION",
	 "Copies every table from one store to another, which must be empty.",
	 {{"--from LOCATION", "The store to read (required)."},
	  {"--to LOCATION", "The empty store to write (required)."}},
	 {"jeton store copy --from ./jeton.db --to postgres://jeton@db/jeton"}},
	{"migrate",
	 NULL,
	 "",
	 "Applies pending schema migrations; prints the version.",
	 {{0}},
	 {"jeton --db postgres://jeton@db/jeton migrate"}},
	{"version", NULL, "", "Prints the version.", {{0}}, {"jeton version"}},
	{"help",
	 NULL,
	 "[COMMAND [SUBCOMMAND]] | --man",
	 "Prints the help of a command, or the jeton(1) man page in roff.",
	 {{"--man", "Print the man page."}},
	 {"jeton help token create", "jeton help --man | man -l -"}},
};

static const size_t ncommands = sizeof commands / sizeof commands[0];

static const char environment[] =
	"JETON_DB names the store when --db is not given (default ./jeton.db). The other "
	"variables are named with the options they stand for; an option wins over its "
	"variable. JETON_CONFIG (or --config, before or after any command) names a file of settings, "
	"`key = value` a line (db = /var/lib/jeton/jeton.db), which set the variables not "
	"set already.";

static void print_command(FILE *f, const struct help_command *c)
{
	fprintf(f, "usage: jeton %s%s%s%s%s\n  %s\n", c->cmd, c->sub ? " " : "",
		c->sub ? c->sub : "", *c->args ? " " : "", c->args, c->text);
	if (c->opts[0].name) {
		fprintf(f, "options:\n");
		for (const struct help_option *o = c->opts;
		     o < c->opts + HELP_MAX_OPTIONS && o->name; o++)
			fprintf(f, "  %-26s %s\n", o->name, o->text);
	}
	fprintf(f, "examples:\n");
	for (int i = 0; i < 2 && c->examples[i]; i++)
		fprintf(f, "  %s\n", c->examples[i]);
}

/* Prints the commands matching cmd (and sub when given); false if none. */
static bool print_matching(FILE *f, const char *cmd, const char *sub)
{
	bool found = false;
	for (size_t i = 0; i < ncommands; i++) {
		const struct help_command *c = &commands[i];
		if (strcmp(c->cmd, cmd) != 0 || (sub && c->sub && strcmp(c->sub, sub) != 0))
			continue;
		fprintf(f, "%s", found ? "\n" : "");
		print_command(f, c);
		found = true;
	}
	if (found && strcmp(cmd, "version") != 0 && strcmp(cmd, "help") != 0)
		fprintf(f,
			"\nThe store: --db LOCATION (before or after the command), a SQLite "
			"file or a postgres:// URI. %s\n",
			environment);
	return found;
}

void cli_usage(FILE *f)
{
	fprintf(f, "usage: jeton [--db LOCATION] COMMAND [SUBCOMMAND] [OPTIONS]\n");
	for (size_t i = 0; i < ncommands; i++)
		fprintf(f, "  %s%s%s%s%s\n", commands[i].cmd, commands[i].sub ? " " : "",
			commands[i].sub ? commands[i].sub : "", *commands[i].args ? " " : "",
			commands[i].args);
	fprintf(f, "The store is --db, else $JETON_DB, else ./jeton.db: a SQLite file, or a\n"
		   "postgres:// URI or libpq connection string for PostgreSQL.\n"
		   "jeton help COMMAND (or jeton COMMAND --help) tells more.\n");
}

/* Text in roff: a backslash is \e, a line may not start with . or ', and
 * an option's dashes are \- so that they stay hyphen-minus. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

static void print_man(FILE *f)
{
	fputs(".TH JETON 1 \"\" \"jeton\" \"User Commands\"\n.SH NAME\njeton \\- an access-token "
	      "server for management APIs\n.SH SYNOPSIS\n.B jeton\n[\\-\\-db LOCATION] COMMAND "
	      "[SUBCOMMAND] [OPTIONS]\n.SH DESCRIPTION\nPersonal access tokens, an OAuth 2.0 "
	      "server, a browser console and this command line, over a SQLite or PostgreSQL "
	      "store. Every command answers \\-\\-help.\n.SH COMMANDS\n",
	      f);
	for (size_t i = 0; i < ncommands; i++) {
		const struct help_command *c = &commands[i];
		fputs(".SS \"jeton ", f);
		roff(f, c->cmd);
		if (c->sub) {
			fputc(' ', f);
			roff(f, c->sub);
		}
		if (*c->args)
			fputc(' ', f);
		roff(f, c->args);
		fputs("\"\n", f);
		roff(f, c->text);
		fputc('\n', f);
		for (const struct help_option *o = c->opts;
		     o < c->opts + HELP_MAX_OPTIONS && o->name; o++) {
			fputs(".TP\n.B ", f);
			roff(f, o->name);
			fputc('\n', f);
			roff(f, o->text);
			fputc('\n', f);
		}
		for (int e = 0; e < 2 && c->examples[e]; e++) {
			fputs(".PP\n.nf\n", f);
			roff(f, c->examples[e]);
			fputs("\n.fi\n", f);
		}
	}
	fputs(".SH ENVIRONMENT\n", f);
	roff(f, environment);
	fputs("\n.SH EXIT STATUS\n0 success, 1 failure (the reason on stderr), 2 usage error.\n"
	      ".SH SEE ALSO\nThe HTTP API, the command line and deployment are described in "
	      "docs/api.md, docs/cli.md and docs/deploy.md of the jeton distribution.\n",
	      f);
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int cli_help_command(const char *cmd, int argc, char **argv)
{
	const char *sub = NULL;
	for (int i = 0; i < argc && !sub; i++)
		if (argv[i][0] != '-')
			sub = argv[i];
	/* An unknown subcommand: the command's whole help. */
	bool known_sub = false;
	for (size_t i = 0; sub && i < ncommands; i++)
		known_sub |= strcmp(commands[i].cmd, cmd) == 0 && commands[i].sub &&
			     strcmp(commands[i].sub, sub) == 0;
	if (print_matching(stdout, cmd, known_sub ? sub : NULL))
		return CLI_OK;
	fprintf(stderr, "jeton: unknown command %s\n", cmd);
	cli_usage(stderr);
	return CLI_USAGE;
}

int cli_help(int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "--man") == 0) {
		print_man(stdout);
		return CLI_OK;
	}
	if (argc > 0 && cli_wants_help(1, argv))
		return cli_help_command("help", 0, NULL);
	if (argc == 0) {
		cli_usage(stdout);
		return CLI_OK;
	}
	return cli_help_command(argv[0], argc - 1, argv + 1);
}
