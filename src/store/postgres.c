/* SPDX-License-Identifier: MIT */
/* The PostgreSQL backend of store.h: being written (issue 5). Until then a
 * postgres:// location is refused with a clear message. */
#include "store/store_int.h"
#include "util/log.h"

enum jt_status store_postgres_open(const char *conninfo, int threads, struct store **out)
{
	(void)conninfo;
	(void)threads;
	*out = NULL;
	log_error("this jeton was built without its PostgreSQL backend");
	return JT_EINVAL;
}
