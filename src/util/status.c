/* SPDX-License-Identifier: MIT */
/* Names of jt_status values, for log lines. */
#include "util/status.h"

const char *jt_status_str(enum jt_status st)
{
	switch (st) {
	case JT_OK:
		return "ok";
	case JT_ENOMEM:
		return "out of memory";
	case JT_EINVAL:
		return "invalid input";
	case JT_ENOTFOUND:
		return "not found";
	case JT_ECONFLICT:
		return "conflict";
	case JT_ETOOBIG:
		return "too big";
	case JT_ESTORE:
		return "store error";
	case JT_ECHECKSUM:
		return "bad checksum";
	case JT_EIO:
		return "i/o error";
	case JT_EAUTH:
		return "not authenticated";
	case JT_EDENIED:
		return "not allowed";
	case JT_ETHROTTLED:
		return "throttled";
	}
	return "unknown";
}
