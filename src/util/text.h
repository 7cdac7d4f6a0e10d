/* SPDX-License-Identifier: MIT */
/* Checks and strict parsers for short untrusted strings: names, emails,
 * integers. All take (pointer, length) and do no I/O. */
#ifndef JETON_TEXT_H
#define JETON_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/status.h"

/* A display name: valid UTF-8, 1..max_chars characters, no control
 * characters, not only spaces. */
bool text_name_valid(const char *s, size_t s_len, size_t max_chars);

/* An email used as a login: local@domain, printable ASCII without spaces,
 * at most LIMIT_EMAIL_BYTES. Deliberately simple: it names an account. */
bool text_email_valid(const char *s, size_t s_len);

/* The friendly name given to a user who gave none: the email's local part
 * ("ada" for ada@example.com), cut to fit out. */
void text_default_name(const char *email, char *out, size_t out_len);

/* A decimal integer in [min, max] spanning all of s_len, no sign unless
 * min < 0, no leading '+', no spaces. */
enum jt_status text_parse_i64(const char *s, size_t s_len, int64_t min, int64_t max,
			      int64_t *out);

/* Writes v in decimal and a NUL into out (TEXT_U64_BUF bytes hold any v);
 * returns the digits' length. For the request path, where snprintf's
 * format parsing costs more than the work. */
#define TEXT_U64_BUF 21
size_t text_u64(uint64_t v, char *out);

/* Writes an IPv4 address (4 bytes, network order) in dotted decimal and a
 * NUL into out (TEXT_IPV4_BUF bytes, INET_ADDRSTRLEN); returns its length. */
#define TEXT_IPV4_BUF 16
size_t text_ipv4(const uint8_t addr[4], char *out);

#endif
