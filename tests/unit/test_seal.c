/* SPDX-License-Identifier: MIT */
/* src/crypto/seal.c: what is sealed under a token opens with that token
 * only, and not once altered. */
#include "check.h"
#include "crypto/crypto.h"

#include <string.h>

static const char token[] = "jtr_0123456789abcdefghijABCDEFGHIJkl9Xy2Zq";
static const char other[] = "jtr_0123456789abcdefghijABCDEFGHIJkm9Xy2Zq";
static const char plain[] = "jto_access\njtr_refresh";

TEST(opens_with_the_same_token)
{
	uint8_t sealed[sizeof plain + SEAL_OVERHEAD];
	char out[sizeof plain];
	size_t len = 0, out_len = 0;
	CHECK_EQ_INT(seal_by_secret(token, strlen(token), plain, strlen(plain), sealed,
				    sizeof sealed, &len),
		     JT_OK);
	CHECK_EQ_INT((int)len, (int)(strlen(plain) + SEAL_OVERHEAD));
	CHECK(memmem(sealed, len, "jto_access", 10) == NULL); /* not in clear */
	CHECK_EQ_INT(open_by_secret(token, strlen(token), sealed, len, out, sizeof out, &out_len),
		     JT_OK);
	CHECK_EQ_INT((int)out_len, (int)strlen(plain));
	CHECK(memcmp(out, plain, out_len) == 0);
}

TEST(another_token_or_an_altered_box_does_not_open)
{
	uint8_t sealed[sizeof plain + SEAL_OVERHEAD];
	char out[sizeof plain];
	size_t len = 0, out_len = 0;
	CHECK_EQ_INT(seal_by_secret(token, strlen(token), plain, strlen(plain), sealed,
				    sizeof sealed, &len),
		     JT_OK);
	CHECK_EQ_INT(open_by_secret(other, strlen(other), sealed, len, out, sizeof out, &out_len),
		     JT_EINVAL);
	sealed[len - 1] ^= 1;
	CHECK_EQ_INT(open_by_secret(token, strlen(token), sealed, len, out, sizeof out, &out_len),
		     JT_EINVAL);
	CHECK_EQ_INT(open_by_secret(token, strlen(token), sealed, SEAL_OVERHEAD - 1, out,
				    sizeof out, &out_len),
		     JT_EINVAL);
}

TEST(refuses_what_does_not_fit)
{
	uint8_t small[SEAL_OVERHEAD + 4];
	size_t len = 0;
	CHECK_EQ_INT(seal_by_secret(token, strlen(token), plain, strlen(plain), small, sizeof small,
				    &len),
		     JT_ETOOBIG);
}

int main(void)
{
	if (crypto_init() != JT_OK)
		return 1;
	RUN(opens_with_the_same_token);
	RUN(another_token_or_an_altered_box_does_not_open);
	RUN(refuses_what_does_not_fit);
	return check_summary(__FILE__);
}
