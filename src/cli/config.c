/* SPDX-License-Identifier: MIT */
/* The configuration file (--config FILE, or JETON_CONFIG): `key = value`
 * lines, each key an option's name without its dashes. Loading the file
 * sets each key's environment variable unless the environment has one
 * already, so that every setting is still read one way: a flag wins over
 * its variable, which wins over the file. The whole file is checked before
 * any variable is set, and no value is ever printed: one may hold a
 * password (a PostgreSQL location). */
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "util/file.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum config_kind {
	CONFIG_VALUE, /* a value, given once */
	CONFIG_FLAG,  /* an option without a value: true or false */
	CONFIG_LIST   /* repeatable: the variable gets the values comma separated */
};

struct config_key {
	const char *key;
	enum config_kind kind;
	const char *env; /* NULL: JETON_ and the key in upper case, '-' as '_' */
};

/* Every setting of jeton serve, as docs/deploy.md ("Configuration") lists
 * them; tests/e2e/test_config_file.py checks that none is missing. */
static const struct config_key config_keys[] = {
	{"db", CONFIG_VALUE, NULL},
	{"listen", CONFIG_VALUE, NULL},
	{"issuer", CONFIG_VALUE, NULL},
	{"tls-cert", CONFIG_VALUE, NULL},
	{"tls-key", CONFIG_VALUE, NULL},
	{"admin-email", CONFIG_VALUE, NULL},
	{"threads", CONFIG_VALUE, NULL},
	{"access-log", CONFIG_FLAG, NULL},
	{"log-format", CONFIG_VALUE, NULL},
	{"trusted-proxy", CONFIG_LIST, "JETON_TRUSTED_PROXIES"},
	{"allow-user-credentials", CONFIG_FLAG, NULL},
	{"key-file", CONFIG_VALUE, NULL},
	{"jwt-alg", CONFIG_VALUE, NULL},
	{"key-rotation", CONFIG_VALUE, NULL},
	{"user-token-format", CONFIG_VALUE, NULL},
	{"retention", CONFIG_VALUE, NULL},
	{"audit-retention", CONFIG_VALUE, NULL},
	{"session-idle", CONFIG_VALUE, NULL},
	{"session-lifetime", CONFIG_VALUE, NULL},
};

#define CONFIG_KEYS      (sizeof config_keys / sizeof config_keys[0])
#define CONFIG_KEY_BYTES 32 /* the longest key; an error quotes no longer one */

/* What the file gives one key. */
struct config_value {
	const char *value; /* NUL-terminated, in the file's text, joined or "1"/"0" */
	char *joined;      /* CONFIG_LIST: the values so far, comma separated (owned) */
	size_t joined_len;
	int line; /* where it was first given, 0: not given */
};

/* One pass over a file: its name, for messages, and what it gave. */
struct config_file {
	const char *path;
	size_t text_len; /* bounds any joined list */
	struct config_value values[CONFIG_KEYS];
};

static int config_error(const struct config_file *f, int line, const char *what, const char *key)
{
	fprintf(stderr, "jeton: %s:%d: %s%s%s\n", f->path, line, what, key ? " " : "",
		key ? key : "");
	return CLI_USAGE;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* s[0..*len) without the blanks at both ends. */
static char *trim(char *s, size_t *len)
{
	while (*len && is_blank(*s)) {
		s++;
		(*len)--;
	}
	while (*len && is_blank(s[*len - 1]))
		(*len)--;
	return s;
}

static const struct config_key *config_find(const char *key, size_t key_len, size_t *index)
{
	for (size_t i = 0; i < CONFIG_KEYS; i++)
		if (strlen(config_keys[i].key) == key_len &&
		    memcmp(config_keys[i].key, key, key_len) == 0) {
			*index = i;
			return &config_keys[i];
		}
	return NULL;
}

static bool key_chars_valid(const char *key, size_t key_len)
{
	if (key_len == 0 || key_len > CONFIG_KEY_BYTES)
		return false;
	for (size_t i = 0; i < key_len; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') ||
		      key[i] == '-'))
			return false;
	return true;
}

/* true, yes, 1 or false, no, 0, as the variables of flags take them. */
static const char *flag_value(const char *v)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
		return "1";
	if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
		return "0";
	return NULL;
}

static int config_add(struct config_file *f, int line, size_t index, char *value, size_t value_len)
{
	const struct config_key *k = &config_keys[index];
	struct config_value *v = &f->values[index];

	if (v->line && k->kind != CONFIG_LIST)
		return config_error(f, line, "given a second time:", k->key);
	if (value_len == 0)
		return config_error(f, line, "no value for", k->key);
	for (size_t i = 0; i < value_len; i++)
		if ((unsigned char)value[i] < 0x20 && value[i] != '\t')
			return config_error(f, line, "a control character in the value of", k->key);
	value[value_len] = '\0';
	if (!v->line)
		v->line = line;
	if (k->kind == CONFIG_FLAG) {
		v->value = flag_value(value);
		return v->value ? CLI_OK
				: config_error(f, line, "true or false expected for", k->key);
	}
	if (k->kind == CONFIG_VALUE) {
		v->value = value;
		return CLI_OK;
	}
	/* Every list's values together are shorter than the file. */
	if (!v->joined) {
		v->joined = jt_alloc(f->text_len + 1);
		if (!v->joined) {
			fprintf(stderr, "jeton: out of memory\n");
			return CLI_FAIL;
		}
	}
	if (v->joined_len)
		v->joined[v->joined_len++] = ',';
	memcpy(v->joined + v->joined_len, value, value_len);
	v->joined_len += value_len;
	v->joined[v->joined_len] = '\0';
	v->value = v->joined;
	return CLI_OK;
}

/* One line, without its newline: blank, a # comment, or key = value. */
static int config_line(struct config_file *f, int line, char *s, size_t s_len)
{
	if (s_len > LIMIT_CONFIG_LINE_BYTES) {
		char what[64];
		snprintf(what, sizeof what, "longer than %d bytes", LIMIT_CONFIG_LINE_BYTES);
		return config_error(f, line, what, NULL);
	}
	if (memchr(s, '\0', s_len))
		return config_error(f, line, "a NUL byte", NULL);
	s = trim(s, &s_len);
	if (s_len == 0 || s[0] == '#')
		return CLI_OK;
	char *eq = memchr(s, '=', s_len);
	if (!eq)
		return config_error(f, line, "expected key = value", NULL);
	size_t key_len = (size_t)(eq - s), value_len = s_len - key_len - 1;
	char *key = trim(s, &key_len), *value = trim(eq + 1, &value_len);
	size_t index;
	if (!key_chars_valid(key, key_len))
		return config_error(f, line, "expected key = value", NULL);
	if (!config_find(key, key_len, &index)) {
		key[key_len] = '\0'; /* on the '=' or a blank, both read already */
		return config_error(f, line, "unknown key", key);
	}
	return config_add(f, line, index, value, value_len);
}

/* The file, whole, into a buffer the caller wipes and frees (with one
 * spare byte); refused when anyone but its owner and root's group may
 * write it. */
static int config_read(const char *path, char **out, size_t *out_len)
{
	struct stat st;
	char why[128];
	enum jt_status s =
		file_read_all(path, LIMIT_CONFIG_BYTES, out, out_len, &st, why, sizeof why);
	if (s != JT_OK) {
		/* "is not a regular file", "is larger than ...", or ": cannot open it: ..." */
		fprintf(stderr, "jeton: the configuration file %s%s%s\n", path,
			s == JT_EINVAL ? " is " : ": ", why);
		return s == JT_EINVAL ? CLI_USAGE : CLI_FAIL;
	}
	/* Whoever may write it chooses the store and the key: as good as root. */
	if ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0)) {
		fprintf(stderr,
			"jeton: the configuration file %s may be written by %s: refused "
			"(chmod go-w %s)\n",
			path, st.st_mode & S_IWOTH ? "anyone" : "its group", path);
		crypto_wipe(*out, *out_len);
		jt_free(*out);
		*out = NULL;
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* JETON_ and the key in upper case, '-' as '_', unless the key names its own. */
static void env_name(const struct config_key *k, char out[8 + CONFIG_KEY_BYTES])
{
	size_t i = 0;
	if (k->env) {
		snprintf(out, 8 + CONFIG_KEY_BYTES, "%s", k->env);
		return;
	}
	memcpy(out, "JETON_", 6);
	for (; k->key[i]; i++)
		out[6 + i] = k->key[i] == '-' ? '_' : (char)(k->key[i] - 'a' + 'A');
	out[6 + i] = '\0';
}

int cli_config_text(const char *name, char *text, size_t len)
{
	struct config_file f = {.path = name, .text_len = len};
	int line = 1, rc = CLI_OK;

	for (char *p = text; rc == CLI_OK && p < text + len; line++) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		char *end = nl ? nl : text + len;
		rc = config_line(&f, line, p, (size_t)(end - p));
		p = end + 1;
	}
	for (size_t i = 0; rc == CLI_OK && i < CONFIG_KEYS; i++) {
		char env[8 + CONFIG_KEY_BYTES];
		const char *now;
		if (!f.values[i].line)
			continue;
		env_name(&config_keys[i], env);
		now = getenv(env);
		if (now && *now)
			continue; /* the environment wins */
		if (setenv(env, f.values[i].value, 1) != 0) {
			fprintf(stderr, "jeton: cannot set %s: %s\n", env, strerror(errno));
			rc = CLI_FAIL;
		}
	}
	for (size_t i = 0; i < CONFIG_KEYS; i++) {
		if (f.values[i].joined)
			crypto_wipe(f.values[i].joined, f.text_len + 1);
		jt_free(f.values[i].joined);
	}
	return rc;
}

int cli_config_load(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int rc = config_read(path, &text, &len);
	if (rc == CLI_OK)
		rc = cli_config_text(path, text, len);
	if (text)
		crypto_wipe(text, len + 1);
	jt_free(text);
	return rc;
}
