/* SPDX-License-Identifier: MIT */
/* HTTPS without a proxy: the certificate chain and key jeton serves, read
 * from two PEM files, and their reload. libmicrohttpd speaks TLS through
 * GnuTLS; it asks for the credentials at each handshake (the certificate
 * callback below), which answers with the pair in use at that moment. A
 * reload reads the files into a new pair and swaps it in: handshakes from
 * then on take the new one, while every connection keeps a reference to
 * the pair its own handshake took until it closes (GnuTLS keeps pointers
 * to it in the session), so a reload drops no connection and frees a pair
 * only once no connection holds it. */
#include "http/http_int.h"
#include "crypto/crypto.h"
#include "util/file.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* TLS 1.3 and 1.2 only; AEAD ciphers only (AES-GCM, ChaCha20-Poly1305);
 * in TLS 1.2 only ephemeral ECDH key exchange (forward secrecy): no CBC,
 * no static RSA key exchange, no SHA-1 MACs. */
#define TLS_PRIORITIES                                                                             \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"     \
	"+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

/* One certificate chain and its private key, shared by the handshakes that
 * took it; freed by whoever drops the last reference. */
struct tls_creds {
	atomic_int refs;
	gnutls_pcert_st certs[LIMIT_TLS_CHAIN]; /* the server's certificate first */
	unsigned ncerts;
	gnutls_privkey_t key;
};

struct http_tls {
	pthread_mutex_t mu;        /* guards current */
	struct tls_creds *current; /* what new handshakes take; holds one reference */
	char *cert_path, *key_path;
};

static void creds_release(struct tls_creds *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (unsigned i = 0; i < c->ncerts; i++)
		gnutls_pcert_deinit(&c->certs[i]);
	gnutls_privkey_deinit(c->key); /* GnuTLS wipes the key's numbers */
	jt_free(c);
}

/* printf into why (the reason a load failed), which always ends up
 * NUL-terminated. Returns JT_EINVAL. */
static enum jt_status fail(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum jt_status fail(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return JT_EINVAL;
}

/* Reads the file at path, at most LIMIT_TLS_FILE_BYTES, into a buffer of
 * ours (NUL after its end) that the caller wipes and frees. */
static enum jt_status read_file(const char *path, gnutls_datum_t *out, char *why, size_t why_len)
{
	struct stat sb;
	char *buf, reason[128];
	size_t len;
	out->data = NULL;
	out->size = 0;
	if (file_read_all(path, LIMIT_TLS_FILE_BYTES, &buf, &len, &sb, reason, sizeof reason) !=
	    JT_OK)
		return fail(why, why_len, "%s: %s", path, reason);
	out->data = (unsigned char *)buf;
	out->size = (unsigned)len;
	return JT_OK;
}

static void datum_wipe_free(gnutls_datum_t *d)
{
	if (!d->data)
		return;
	crypto_wipe(d->data, d->size);
	jt_free(d->data);
	d->data = NULL;
}

/* Whether key is the private half of the public key of cert. */
static bool key_matches(gnutls_privkey_t key, gnutls_pcert_st *cert)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
	bool same = false;
	if (gnutls_pubkey_init(&pub) == 0 && gnutls_pubkey_import_privkey(pub, key, 0, 0) == 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) == 0 &&
	    gnutls_pubkey_export2(cert->pubkey, GNUTLS_X509_FMT_DER, &b) == 0)
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(pub);
	return same;
}

/* "CN=..., serial 0a1b..., valid until 2026-01-31" of the server's
 * certificate, for the log. */
static void describe(const gnutls_datum_t *der, char *out, size_t out_len)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = {NULL, 0};
	unsigned char serial[40];
	size_t serial_len = sizeof serial;
	char hex[2 * sizeof serial + 1] = "", until[32] = "?";
	snprintf(out, out_len, "?");
	if (gnutls_x509_crt_init(&crt) != 0)
		return;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0) {
		if (gnutls_x509_crt_get_serial(crt, serial, &serial_len) == 0)
			for (size_t i = 0; i < serial_len; i++)
				snprintf(hex + 2 * i, 3, "%02x", serial[i]);
		time_t t = gnutls_x509_crt_get_expiration_time(crt);
		time_t from = gnutls_x509_crt_get_activation_time(crt), now = time(NULL);
		struct tm tm;
		if (t != (time_t)-1 && gmtime_r(&t, &tm))
			strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (gnutls_x509_crt_get_dn3(crt, &dn, 0) != 0)
			dn.data = NULL;
		/* Served all the same (the operator may be replacing it), but said
		 * loudly: every client refuses it. */
		const char *warning = "";
		if (t != (time_t)-1 && t < now)
			warning = "; EXPIRED: clients refuse it";
		else if (from != (time_t)-1 && from > now)
			warning = "; NOT VALID YET: clients refuse it";
		snprintf(out, out_len, "%s, serial %s, valid until %s%s",
			 dn.data ? (const char *)dn.data : "?", hex, until, warning);
	}
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(crt);
}

/* Reads a pair from the files; *out holds one reference. */
static enum jt_status creds_load(const char *cert_path, const char *key_path,
				 struct tls_creds **out, char *about, size_t about_len, char *why,
				 size_t why_len)
{
	gnutls_datum_t cert_pem = {NULL, 0}, key_pem = {NULL, 0};
	struct tls_creds *c = NULL;
	enum jt_status st;
	int rc;

	*out = NULL;
	st = read_file(cert_path, &cert_pem, why, why_len);
	if (st == JT_OK)
		st = read_file(key_path, &key_pem, why, why_len);
	if (st != JT_OK)
		goto out;
	c = jt_calloc(1, sizeof *c);
	if (!c) {
		st = fail(why, why_len, "out of memory");
		goto out;
	}
	atomic_init(&c->refs, 1);
	c->ncerts = LIMIT_TLS_CHAIN;
	rc = gnutls_pcert_list_import_x509_raw(c->certs, &c->ncerts, &cert_pem, GNUTLS_X509_FMT_PEM,
					       GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED);
	if (rc < 0 || c->ncerts == 0) {
		c->ncerts = 0;
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			st = fail(why, why_len, "%s: more than %d certificates", cert_path,
				  LIMIT_TLS_CHAIN);
		else
			st = fail(why, why_len, "%s: no PEM certificate could be read from it (%s)",
				  cert_path, gnutls_strerror(rc));
		goto out;
	}
	if (gnutls_privkey_init(&c->key) != 0) {
		st = fail(why, why_len, "out of memory");
		goto out;
	}
	/* The key's own error text never quotes the key. */
	rc = gnutls_privkey_import_x509_raw(c->key, &key_pem, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		st = fail(why, why_len, "%s: not an unencrypted PEM private key (%s)", key_path,
			  gnutls_strerror(rc));
		goto out;
	}
	if (!key_matches(c->key, &c->certs[0])) {
		st = fail(why, why_len,
			  "%s: this key does not belong to the first certificate of %s (the "
			  "server's own comes first, then its chain)",
			  key_path, cert_path);
		goto out;
	}
	describe(&c->certs[0].cert, about, about_len);
	*out = c;
	c = NULL;
out:
	creds_release(c);
	datum_wipe_free(&cert_pem);
	datum_wipe_free(&key_pem);
	return st;
}

enum jt_status http_tls_open(const char *cert_path, const char *key_path, struct http_tls **out,
			     char *about, size_t about_len, char *why, size_t why_len)
{
	struct http_tls *tls = NULL;
	struct tls_creds *c = NULL;
	enum jt_status st;

	*out = NULL;
	st = creds_load(cert_path, key_path, &c, about, about_len, why, why_len);
	if (st != JT_OK)
		return st;
	tls = jt_calloc(1, sizeof *tls);
	if (tls) {
		tls->cert_path = jt_strdup(cert_path);
		tls->key_path = jt_strdup(key_path);
	}
	if (!tls || !tls->cert_path || !tls->key_path) {
		if (tls) {
			jt_free(tls->cert_path);
			jt_free(tls->key_path);
		}
		jt_free(tls);
		creds_release(c);
		return fail(why, why_len, "out of memory");
	}
	pthread_mutex_init(&tls->mu, NULL);
	tls->current = c;
	*out = tls;
	return JT_OK;
}

enum jt_status http_tls_reload(struct http_tls *tls, char *about, size_t about_len, char *why,
			       size_t why_len)
{
	struct tls_creds *fresh = NULL, *old;
	enum jt_status st =
		creds_load(tls->cert_path, tls->key_path, &fresh, about, about_len, why, why_len);
	if (st != JT_OK)
		return st; /* the pair in use stays */
	pthread_mutex_lock(&tls->mu);
	old = tls->current;
	tls->current = fresh;
	pthread_mutex_unlock(&tls->mu);
	creds_release(old); /* freed now, or when the last connection holding it closes */
	return JT_OK;
}

void http_tls_free(struct http_tls *tls)
{
	if (!tls)
		return;
	creds_release(tls->current);
	pthread_mutex_destroy(&tls->mu);
	jt_free(tls->cert_path);
	jt_free(tls->key_path);
	jt_free(tls);
}

void tls_hold_release(struct tls_hold *h)
{
	creds_release(h->creds);
	h->creds = NULL;
}

/* The library's certificate callback (gnutls_certificate_retrieve_function2),
 * on the thread serving the connection, once per handshake: the pair this
 * connection holds, or else the one in use now, which it holds from then
 * on. */
static int on_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
			  const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
			  gnutls_pcert_st **pcert, unsigned int *pcert_length,
			  gnutls_privkey_t *privkey)
{
	(void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
	/* libmicrohttpd's connection is the session's pointer */
	struct tls_hold *h = http_tls_hold(gnutls_session_get_ptr(session));
	if (!h || !h->tls)
		return -1; /* the handshake fails */
	if (!h->creds) {
		pthread_mutex_lock(&h->tls->mu);
		h->creds = h->tls->current;
		atomic_fetch_add(&h->creds->refs, 1);
		pthread_mutex_unlock(&h->tls->mu);
	}
	*pcert = h->creds->certs;
	*pcert_length = h->creds->ncerts;
	*privkey = h->creds->key;
	return 0;
}

void tls_daemon_options(struct MHD_OptionItem *opts)
{
	gnutls_certificate_retrieve_function2 *callback = on_certificate; /* checks the type */
	opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES};
	/* The library takes the function as a pointer (POSIX: they convert). */
	opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)callback};
	opts[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}
