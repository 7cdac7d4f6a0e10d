/* SPDX-License-Identifier: MIT */
/* jeton serve: open the store (creating it and a first admin when empty),
 * serve HTTP (or HTTPS, reloading its certificate on SIGHUP) until SIGTERM
 * or SIGINT, then stop gracefully. Also jeton init
 * and jeton migrate, which share the set-up. */
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "keys/keys.h"
#include "server/server.h"
#include "util/log.h"
#include "util/text.h"
#include "util/time.h"

#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_ADMIN "admin@localhost"

/* Splits "host:port" or "[v6]:port". */
static int parse_listen(const char *s, char *host, size_t host_len, uint16_t *port)
{
	const char *colon;
	const char *h = s;
	size_t h_len;
	int64_t p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return CLI_USAGE;
		h = s + 1;
		h_len = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return CLI_USAGE;
		h_len = (size_t)(colon - s);
	}
	if (h_len == 0 || h_len >= host_len ||
	    text_parse_i64(colon + 1, strlen(colon + 1), 1, 65535, &p) != JT_OK)
		return CLI_USAGE;
	memcpy(host, h, h_len);
	host[h_len] = '\0';
	*port = (uint16_t)p;
	return CLI_OK;
}

/* 127.0.0.0/8 or ::1: reachable from this machine only. */
static bool host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static const char *setting(const char *flag, const char *env, const char *fallback)
{
	const char *e = getenv(env);
	if (flag)
		return flag;
	return e && *e ? e : fallback;
}

static const char *setting(const char *flag, const char *env, const char *fallback);

const char *cli_key_file(const char *flag)
{
	return setting(flag, "JETON_KEY_FILE", "./jeton.key");
}

/* What another node (or the CLI) changed in a shared store: this node's
 * caches follow at once (store_listen). */
static void follow_change(void *arg, unsigned kinds)
{
	const struct jeton *jt = arg;
	if (kinds & STORE_CHANGED_ACCESS)
		auth_invalidate(jt->auth);
	if (kinds & STORE_CHANGED_KEYS)
		keyring_reload(jt->keys);
}

static bool env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0);
}

/* A console session setting: seconds, or a duration (time_parse_duration:
 * 30m, 2h, 1d, 1w), from a minute to 30 days. */
static int session_seconds(const char *name, const char *flag, const char *env,
			   const char *fallback, int64_t *out)
{
	const char *v = setting(flag, env, fallback);
	size_t n = strlen(v);
	bool read = text_parse_i64(v, n, 1, INT64_MAX, out) == JT_OK ||
		    time_parse_duration(v, n, out) == JT_OK;
	if (read && *out >= 60 && *out <= 30 * 86400)
		return CLI_OK;
	fprintf(stderr,
		"jeton: %s (%s) must be a duration such as 30m, 2h or 1d, from 1 minute to 30 "
		"days\n",
		name, env);
	return CLI_USAGE;
}

/* --trusted-proxy (repeatable) or else JETON_TRUSTED_PROXIES: CIDRs,
 * separated by commas or spaces, whose X-Forwarded-For is believed. */
static int trusted_proxies(const struct cli_option *opts, size_t nopts, struct http_proxies *out)
{
	const char *env = getenv("JETON_TRUSTED_PROXIES");
	enum jt_status st = JT_OK;
	int given = 0;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < nopts; i++) {
		if (strcmp(opts[i].name, "--trusted-proxy") != 0)
			continue;
		for (given = 0; given < opts[i].nvalues && st == JT_OK; given++)
			st = http_proxies_add(out, opts[i].values[given]);
	}
	if (!given && env)
		st = http_proxies_add(out, env);
	if (st == JT_OK)
		return CLI_OK;
	fprintf(stderr, "jeton: --trusted-proxy takes addresses or CIDRs such as 10.0.0.0/8 or "
		"2001:db8::/32, at most %d\n", LIMIT_TRUSTED_PROXIES);
	return CLI_USAGE;
}

/* --tls-cert and --tls-key (or JETON_TLS_CERT and JETON_TLS_KEY): both,
 * to serve HTTPS, or neither. *out stays NULL for plain HTTP. */
static int open_tls(const struct cli_option *opts, size_t nopts, struct http_tls **out)
{
	const char *cert = setting(cli_value(opts, nopts, "--tls-cert"), "JETON_TLS_CERT", NULL);
	const char *key = setting(cli_value(opts, nopts, "--tls-key"), "JETON_TLS_KEY", NULL);
	char about[512], why[512];
	*out = NULL;
	if (!cert && !key)
		return CLI_OK;
	if (!cert || !key || !*cert || !*key) {
		fprintf(stderr, "jeton: --tls-cert FILE and --tls-key FILE (JETON_TLS_CERT, "
				"JETON_TLS_KEY) go together: give both to serve HTTPS, or neither\n");
		return CLI_USAGE;
	}
	if (http_tls_open(cert, key, out, about, sizeof about, why, sizeof why) != JT_OK) {
		fprintf(stderr, "jeton: TLS: %s\n", why);
		return CLI_FAIL;
	}
	log_info("jeton: TLS certificate %s", about);
	return CLI_OK;
}

/* SIGHUP: the TLS files are read again; a pair that cannot be used leaves
 * the one in use. */
static void reload_tls(struct http_tls *tls)
{
	char about[512], why[512];
	if (!tls)
		log_info("jeton: SIGHUP received; no TLS certificate to reload");
	else if (http_tls_reload(tls, about, sizeof about, why, sizeof why) == JT_OK)
		log_info("jeton: SIGHUP: TLS certificate reloaded: %s", about);
	else
		log_error("jeton: SIGHUP: TLS certificate not reloaded, the one in use stays: %s", why);
}

int cli_serve(int argc, char **argv)
{
	struct cli_option opts[] = {
		{.name = "--listen", .takes_value = true}, {.name = "--issuer", .takes_value = true},
		{.name = "--admin-email", .takes_value = true}, {.name = "--access-log", .takes_value = false},
		{.name = "--threads", .takes_value = true}, {.name = "--allow-user-credentials", .takes_value = false},
		{.name = "--key-file", .takes_value = true}, {.name = "--jwt-alg", .takes_value = true},
		{.name = "--key-rotation", .takes_value = true},
		{.name = "--user-token-format", .takes_value = true},
		{.name = "--trusted-proxy", .takes_value = true},
		{.name = "--retention", .takes_value = true},
		{.name = "--audit-retention", .takes_value = true},
		{.name = "--session-idle", .takes_value = true},
		{.name = "--session-lifetime", .takes_value = true},
		{.name = "--log-format", .takes_value = true},
		{.name = "--tls-cert", .takes_value = true},
		{.name = "--tls-key", .takes_value = true},
	};
	size_t nopts = sizeof opts / sizeof opts[0];
	struct cli_args args;
	struct store *st = NULL;
	struct auth *auth = NULL;
	struct throttle *throttle = NULL;
	struct keyring *keys = NULL;
	struct store_listener *listener = NULL;
	uint8_t kek[KEK_BYTES];
	enum jwt_alg jwt_alg;
	int64_t rotation, session_idle, session_lifetime;
	struct http_server *srv = NULL;
	struct http_proxies proxies;
	struct http_tls *tls = NULL;
	struct retention retention;
	struct retention_thread *purger = NULL;
	char host[64], issuer[256], password[LIMIT_PASSWORD_MAX + 1];
	uint16_t port;
	bool created;
	int64_t threads = sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t sigs;
	int sig, rc;

	/* A SIGHUP (a reload, e.g. a certificate renewed) that comes while jeton
	 * starts waits for the loop below instead of ending the process. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	rc = cli_parse(argc, argv, opts, nopts, &args);

	if (rc != CLI_OK)
		return rc;
	const char *listen = setting(cli_value(opts, nopts, "--listen"), "JETON_LISTEN",
				     DEFAULT_LISTEN);
	if (parse_listen(listen, host, sizeof host, &port) != CLI_OK) {
		fprintf(stderr, "jeton: --listen must be HOST:PORT, e.g. 127.0.0.1:8080\n");
		return CLI_USAGE;
	}
	if (time_is_shifted() && !host_is_loopback(host)) {
		fprintf(stderr, "jeton: JETON_TEST_CLOCK is for tests and is refused unless "
				"--listen is a loopback address\n");
		return CLI_USAGE;
	}
	const char *log_format = setting(cli_value(opts, nopts, "--log-format"),
					 "JETON_LOG_FORMAT", "text");
	if (strcmp(log_format, "text") != 0 && strcmp(log_format, "json") != 0) {
		fprintf(stderr, "jeton: --log-format must be text or json\n");
		return CLI_USAGE;
	}
	/* From here on, what serve writes on stderr follows the format. */
	log_use_json(strcmp(log_format, "json") == 0);
	if (time_is_shifted())
		log_warn("JETON_TEST_CLOCK is set: times are not real");
	const char *t = setting(cli_value(opts, nopts, "--threads"), "JETON_THREADS", NULL);
	if (t && text_parse_i64(t, strlen(t), 1, 256, &threads) != JT_OK) {
		fprintf(stderr, "jeton: --threads (JETON_THREADS) must be 1 to 256\n");
		return CLI_USAGE;
	}
	if (threads < 1)
		threads = 1;
	if (trusted_proxies(opts, nopts, &proxies) != CLI_OK ||
	    cli_retention(opts, nopts, &retention) != CLI_OK)
		return CLI_USAGE;
	bool access_log = cli_value(opts, nopts, "--access-log") || env_flag("JETON_ACCESS_LOG");
	bool user_credentials = cli_value(opts, nopts, "--allow-user-credentials") ||
				env_flag("JETON_ALLOW_USER_CREDENTIALS");
	const char *alg = setting(cli_value(opts, nopts, "--jwt-alg"), "JETON_JWT_ALG", "EdDSA");
	if (jwt_alg_parse(alg, &jwt_alg) != JT_OK) {
		fprintf(stderr, "jeton: --jwt-alg must be EdDSA, ES256 or RS256\n");
		return CLI_USAGE;
	}
	const char *rot = setting(cli_value(opts, nopts, "--key-rotation"), "JETON_KEY_ROTATION",
				  "2592000");
	if (text_parse_i64(rot, strlen(rot), 0, 10 * 365 * 86400LL, &rotation) != JT_OK) {
		fprintf(stderr, "jeton: --key-rotation is a number of seconds (0: never)\n");
		return CLI_USAGE;
	}
	const char *utf = setting(cli_value(opts, nopts, "--user-token-format"),
				  "JETON_USER_TOKEN_FORMAT", "opaque");
	if (strcmp(utf, "opaque") != 0 && strcmp(utf, "jwt") != 0) {
		fprintf(stderr, "jeton: --user-token-format must be opaque or jwt\n");
		return CLI_USAGE;
	}
	if (session_seconds("--session-idle", cli_value(opts, nopts, "--session-idle"),
			    "JETON_SESSION_IDLE", "2h", &session_idle) != CLI_OK ||
	    session_seconds("--session-lifetime", cli_value(opts, nopts, "--session-lifetime"),
			    "JETON_SESSION_LIFETIME", "8h", &session_lifetime) != CLI_OK)
		return CLI_USAGE;

	rc = open_tls(opts, nopts, &tls);
	if (rc != CLI_OK)
		return rc;

	/* Signals are taken by sigwait below, never by a worker thread. */
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);


	rc = cli_open_store(args.db, (int)threads, &st);
	if (rc != CLI_OK) {
		http_tls_free(tls);
		return rc;
	}
	rc = cli_bootstrap(st, setting(cli_value(opts, nopts, "--admin-email"), "JETON_ADMIN_EMAIL",
				       DEFAULT_ADMIN),
			   &created, password);
	if (rc != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	if (keyring_load_kek(cli_key_file(cli_value(opts, nopts, "--key-file")), kek) != JT_OK ||
	    keyring_open(st, kek, jwt_alg, rotation, &keys) != JT_OK) {
		fprintf(stderr, "jeton: the signing keys could not be set up\n");
		goto out;
	}
	if (auth_new(st, &auth) != JT_OK || throttle_new(st, &throttle) != JT_OK)
		goto out;
	auth_set_keyring(auth, keys);
	struct jeton jt = {.store = st, .auth = auth, .throttle = throttle, .keys = keys,
			   .allow_user_credentials = user_credentials,
			   .session_idle = session_idle, .session_lifetime = session_lifetime,
			   .user_tokens_jwt = strcmp(utf, "jwt") == 0};
	const char *fmt = strchr(host, ':') ? "%s://[%s]:%u" : "%s://%s:%u";
	snprintf(issuer, sizeof issuer, fmt, tls ? "https" : "http", host, (unsigned)port);
	jt.issuer = setting(cli_value(opts, nopts, "--issuer"), "JETON_ISSUER", issuer);
	if (strlen(jt.issuer) > LIMIT_ISSUER_BYTES || strncmp(jt.issuer, "http", 4) != 0) {
		fprintf(stderr, "jeton: --issuer must be an http(s) URL of at most %d bytes\n",
			LIMIT_ISSUER_BYTES);
		rc = CLI_USAGE;
		goto out;
	}
	if (store_listen(st, follow_change, &jt, &listener) != JT_OK)
		goto out;
	if (retention_start(st, &retention, &purger) != JT_OK)
		goto out;
	struct http_server_config cfg = {
		.host = host, .port = port, .threads = (int)threads, .server_ctx = &jt,
		.routes = serve_routes, .nroutes = serve_route_count, .access_log = access_log,
		.trusted_proxies = &proxies, .tls = tls,
	};
	if (http_server_start(&cfg, &srv) != JT_OK)
		goto out;
	if (created) {
		char shown[512];
		store_location_redacted(args.db, shown, sizeof shown);
		printf("jeton: created the store %s and its first admin\n", shown);
		printf("jeton: console: %s/console\n", jt.issuer);
		printf("jeton: admin %s one-time password: %s\n",
		       setting(cli_value(opts, nopts, "--admin-email"), "JETON_ADMIN_EMAIL",
			       DEFAULT_ADMIN),
		       password);
		fflush(stdout);
		crypto_wipe(password, sizeof password);
	}
	char where[512];
	store_location_redacted(args.db, where, sizeof where);
	log_info("jeton: listening on %s (store %s, %lld threads)", issuer, where,
		 (long long)threads);

	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		reload_tls(tls);
	log_info("jeton: %s received, finishing in-flight requests", sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* HTTP first, then the store: the store's writer resumes the requests
	 * waiting for their commit, and still may for those answered 503 at the
	 * end of the grace, which store_close waits for. */
	http_server_stop(srv, LIMIT_SHUTDOWN_SECONDS * 1000 - LIMIT_SHUTDOWN_CLOSE_MS);
	srv = NULL;
	rc = CLI_OK;
	log_info("jeton: stopped");
out:
	http_server_stop(srv, 0);
	http_tls_free(tls); /* after the server: its connections hold the pair */
	retention_stop(purger); /* before the store closes */
	store_listener_stop(listener); /* before what it calls into goes */
	auth_free(auth);
	throttle_free(throttle);
	keyring_free(keys);
	crypto_wipe(kek, sizeof kek);
	crypto_wipe(password, sizeof password); /* the admin's, when a failure came first */
	store_close(st);
	crypto_shutdown();
	return rc;
}

int cli_init(int argc, char **argv)
{
	struct cli_option opts[] = {{.name = "--admin-email", .takes_value = true},
				    {.name = "--key-file", .takes_value = true}};
	struct cli_args args;
	struct store *st = NULL;
	char password[LIMIT_PASSWORD_MAX + 1];
	uint8_t kek[KEK_BYTES];
	bool created;
	int rc = cli_parse(argc, argv, opts, 2, &args);
	if (rc != CLI_OK)
		return rc;
	const char *email = setting(cli_value(opts, 1, "--admin-email"), "JETON_ADMIN_EMAIL",
				    DEFAULT_ADMIN);
	rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK &&
	    keyring_load_kek(cli_key_file(cli_value(opts, 2, "--key-file")), kek) != JT_OK)
		rc = CLI_FAIL;
	crypto_wipe(kek, sizeof kek);
	if (rc == CLI_OK)
		rc = cli_bootstrap(st, email, &created, password);
	if (rc == CLI_OK && !created) {
		fprintf(stderr, "jeton: the store already has users\n");
		rc = CLI_FAIL;
	} else if (rc == CLI_OK) {
		printf("admin: %s\npassword: %s\n", email, password);
	}
	crypto_wipe(password, sizeof password);
	store_close(st);
	crypto_shutdown();
	return rc;
}

int cli_migrate(int argc, char **argv)
{
	struct cli_args args;
	struct store *st = NULL;
	int version = 0, known = 0;
	int rc = cli_parse(argc, argv, NULL, 0, &args);
	if (rc == CLI_OK)
		rc = cli_open_store(args.db, 1, &st);
	if (rc == CLI_OK && store_schema_version(st, &version, &known) == JT_OK)
		printf("store at schema version %d\n", version);
	store_close(st);
	crypto_shutdown();
	return rc;
}
