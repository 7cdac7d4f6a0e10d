/* SPDX-License-Identifier: MIT */
/* JSON that holds a secret (a new token, a password, a client secret):
 * freed and serialised without leaving a copy behind. cJSON_Delete frees
 * strings as they are, and cJSON's printer grows its buffer by copying and
 * frees the old copies as they are. */
#include "crypto/crypto.h"
#include "util/mem.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <string.h>

#define PRINT_FIRST_BYTES 1024 /* the first buffer tried; doubled until the tree fits */

/* Wipes the strings that cJSON_Delete(item) would free: item's, its
 * children's and those of the siblings after it. */
static void wipe_tree(cJSON *item)
{
	for (; item; item = item->next) {
		bool owned = !(item->type & cJSON_IsReference);
		if (owned && item->child)
			wipe_tree(item->child);
		if (owned && item->valuestring)
			crypto_wipe(item->valuestring, strlen(item->valuestring));
		if (!(item->type & cJSON_StringIsConst) && item->string)
			crypto_wipe(item->string, strlen(item->string));
	}
}

void secret_json_delete(cJSON *item)
{
	wipe_tree(item);
	cJSON_Delete(item);
}

char *secret_json_print(const cJSON *item, bool formatted, size_t max, size_t *len)
{
	/* cJSON_PrintPreallocated allocates nothing and fails when the buffer
	 * is too small (it wants 5 bytes to spare). */
	for (size_t cap = PRINT_FIRST_BYTES; cap <= max && cap <= INT_MAX; cap *= 2) {
		char *buf = jt_alloc(cap);
		if (!buf)
			return NULL;
		if (cJSON_PrintPreallocated((cJSON *)item, buf, (int)cap, formatted)) {
			*len = strlen(buf);
			return buf;
		}
		crypto_wipe(buf, cap);
		jt_free(buf);
	}
	return NULL;
}
