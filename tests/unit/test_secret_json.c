/* SPDX-License-Identifier: MIT */
/* src/crypto/secret_json.c: a JSON tree holding a secret is freed with every
 * string wiped, and printed without copies left behind. */
#include "check.h"
#include "crypto/crypto.h"
#include "util/mem.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#define MAX_TRACKED 64

/* The strings of the tree under test, and whether each was all zeros when
 * cJSON freed it. */
struct tracked {
	const void *p;
	size_t len;
	bool freed, zeroed;
};
static struct tracked tracked[MAX_TRACKED];
static size_t ntracked;

static void track(const char *s)
{
	if (s && ntracked < MAX_TRACKED)
		tracked[ntracked++] = (struct tracked){.p = s, .len = strlen(s)};
}

static void track_tree(const cJSON *item)
{
	for (; item; item = item->next) {
		track(item->string);
		track(item->valuestring);
		track_tree(item->child);
	}
}

/* cJSON's free hook: looks at a tracked string before it is freed. */
static void inspecting_free(void *p)
{
	for (size_t i = 0; p && i < ntracked; i++) {
		if (tracked[i].p != p)
			continue;
		const unsigned char *b = p;
		bool zero = true;
		for (size_t k = 0; k < tracked[i].len; k++)
			zero &= b[k] == 0;
		tracked[i].freed = true;
		tracked[i].zeroed = zero;
	}
	free(p);
}

static cJSON *secret_tree(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "token", "jtp_S3cr3tT0kenThatMustNotLinger0123456789");
	cJSON *user = cJSON_AddObjectToObject(o, "user");
	cJSON_AddStringToObject(user, "password", "correct horse battery staple");
	cJSON *list = cJSON_AddArrayToObject(o, "secrets");
	cJSON_AddItemToArray(list, cJSON_CreateString("a secret inside a list"));
	cJSON_AddNumberToObject(o, "expires_in", 900);
	return o;
}

TEST(delete_wipes_every_string_and_key_before_freeing_it)
{
	cJSON_Hooks hooks = {.malloc_fn = malloc, .free_fn = inspecting_free};
	cJSON_InitHooks(&hooks);
	ntracked = 0;
	cJSON *o = secret_tree();
	if (!CHECK(o != NULL))
		return;
	track_tree(o);
	CHECK_EQ_INT(ntracked, 8); /* 5 keys ("token" ... "expires_in") and 3 strings */
	secret_json_delete(o);
	secret_json_delete(NULL); /* nothing, as cJSON_Delete(NULL) */
	for (size_t i = 0; i < ntracked; i++) {
		CHECK(tracked[i].freed);
		CHECK(tracked[i].zeroed);
	}
	cJSON_InitHooks(NULL);
}

TEST(plain_delete_would_leave_the_secret_readable)
{
	/* The test above must be able to fail: cJSON_Delete frees as is. */
	cJSON_Hooks hooks = {.malloc_fn = malloc, .free_fn = inspecting_free};
	cJSON_InitHooks(&hooks);
	ntracked = 0;
	cJSON *o = secret_tree();
	track_tree(o);
	cJSON_Delete(o);
	size_t zeroed = 0;
	for (size_t i = 0; i < ntracked; i++)
		zeroed += tracked[i].zeroed;
	CHECK_EQ_INT(zeroed, 0);
	cJSON_InitHooks(NULL);
}

TEST(print_matches_cjson_past_its_first_buffer)
{
	cJSON *o = secret_tree();
	cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "secrets");
	for (int i = 0; i < 200; i++) /* about 5 KiB: the 1 KiB first buffer grows three times */
		cJSON_AddItemToArray(list, cJSON_CreateString("another secret to print"));
	char *plain = cJSON_PrintUnformatted(o);
	char *pretty = cJSON_Print(o);
	size_t len = 0;
	char *text = secret_json_print(o, false, 64 * 1024, &len);
	if (CHECK(text != NULL && plain != NULL)) {
		CHECK_EQ_STR(text, plain);
		CHECK_EQ_INT(len, strlen(plain));
		CHECK(len > 4096);
	}
	jt_free(text);
	text = secret_json_print(o, true, 64 * 1024, &len);
	if (CHECK(text != NULL && pretty != NULL))
		CHECK_EQ_STR(text, pretty);
	jt_free(text);
	CHECK(secret_json_print(o, false, 4096, &len) == NULL); /* past max: nothing */
	cJSON_free(plain);
	cJSON_free(pretty);
	secret_json_delete(o);
}

int main(void)
{
	RUN(delete_wipes_every_string_and_key_before_freeing_it);
	RUN(plain_delete_would_leave_the_secret_readable);
	RUN(print_matches_cjson_past_its_first_buffer);
	return check_summary(__FILE__);
}
