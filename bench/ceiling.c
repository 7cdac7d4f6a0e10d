/* SPDX-License-Identifier: MIT */
/* The ceiling of make bench: libmicrohttpd alone, answering every request
 * with one fixed JSON body, built once. Same thread model, flags and limits
 * as jeton's server (src/http/server.c, src/util/limits.h), and the same
 * three headers jeton sends on every answer; none of jeton's own work (no
 * routing, no per-request state, no deadlines, no access counters). What
 * jeton reaches is printed as a share of this.
 *
 * usage: ceiling PORT THREADS: listens on 127.0.0.1:PORT until SIGTERM or
 * SIGINT */
#include "util/limits.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *answer;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	if (*upload_data_size) { /* a body: read and drop it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!*con_cls) { /* the headers: wait for the end of the request */
		*con_cls = conn;
		return MHD_YES;
	}
	return MHD_queue_response(conn, MHD_HTTP_OK, answer);
}

int main(int argc, char **argv)
{
	static const char body[] = "{\"ok\":true,\"service\":\"ceiling\"}";
	sigset_t stop;
	int sig;

	char *end1 = NULL, *end2 = NULL;
	unsigned long port = argc == 3 ? strtoul(argv[1], &end1, 10) : 0;
	unsigned long threads = argc == 3 ? strtoul(argv[2], &end2, 10) : 0;
	if (argc != 3 || *end1 || *end2 || !port || port > 65535 || !threads || threads > 256) {
		fprintf(stderr, "usage: %s PORT THREADS\n", argv[0]);
		return 2;
	}
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* blocked before the library's threads start, so sigwait gets them */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	answer = MHD_create_response_from_buffer(sizeof body - 1, (void *)body,
						 MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(answer, "Content-Type", "application/json");
	MHD_add_response_header(answer, "Cache-Control", "no-store");
	MHD_add_response_header(answer, "X-Content-Type-Options", "nosniff");
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)LIMIT_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)LIMIT_CONNECTIONS_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)LIMIT_IDLE_SECONDS,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_CONN_MEMORY,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "ceiling: cannot listen on port %s\n", argv[1]);
		return 1;
	}
	sigwait(&stop, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(answer);
	return 0;
}
