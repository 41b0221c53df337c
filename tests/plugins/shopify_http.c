/*
 * shopify_http.c - the canned HTTP server of the shopify plugin tests (see
 * shopify_test.h). Loopback only; one connection at a time; each request is read up to
 * the end of its body (Content-Length) and answered with the next canned response.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shopify_test.h"

static void serve_one(struct bh_shp_canned *c, int fd)
{
	char buf[65536];
	size_t got = 0, need = 0;
	char *eoh = NULL;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 5000) <= 0)
			return;
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			return;
		got += (size_t)r;
		buf[got] = '\0';
		if (!eoh && (eoh = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			need = (size_t)(eoh - buf) + 4 + (cl && cl < eoh ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (eoh && got >= need)
			break;
		if (got >= sizeof(buf) - 1)
			break;
	}
	int i = atomic_fetch_add(&c->hits, 1);
	const char *resp = c->responses[i < c->n ? i : c->n - 1];
	size_t len = strlen(resp), off = 0;
	while (off < len) {
		ssize_t w = write(fd, resp + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

static void *server(void *arg)
{
	struct bh_shp_canned *c = arg;
	for (;;) {
		struct pollfd p[2] = {{c->fd, POLLIN, 0}, {c->stop_pipe[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN) {
			int fd = accept(c->fd, NULL, NULL);
			if (fd >= 0) {
				serve_one(c, fd);
				close(fd);
			}
		}
	}
	return NULL;
}

int bh_shp_canned_start(struct bh_shp_canned *c, const char *const *responses, int n)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	memset(&a, 0, sizeof(a));
	c->responses = responses;
	c->n = n;
	atomic_init(&c->hits, 0);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(c->fd, (struct sockaddr *)&a, sizeof(a)) || listen(c->fd, 16) ||
	    getsockname(c->fd, (struct sockaddr *)&a, &al) || pipe(c->stop_pipe)) {
		close(c->fd);
		return -1;
	}
	c->port = ntohs(a.sin_port);
	if (pthread_create(&c->thread, NULL, server, c)) {
		close(c->fd);
		close(c->stop_pipe[0]);
		close(c->stop_pipe[1]);
		return -1;
	}
	return 0;
}

void bh_shp_canned_stop(struct bh_shp_canned *c)
{
	if (write(c->stop_pipe[1], "x", 1) != 1)
		return;
	pthread_join(c->thread, NULL);
	close(c->fd);
	close(c->stop_pipe[0]);
	close(c->stop_pipe[1]);
}
