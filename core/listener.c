/*
 * listener.c - webhook HTTP listener on libmicrohttpd (see listener.h).
 *
 * Threading: MHD runs a small thread pool; each connection's body buffer belongs to
 * that connection (con_cls). The route table is written before start and read-only
 * afterwards, so handlers look it up without a lock.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "engine.h"
#include "err.h"
#include "listener.h"
#include "log.h"

#define SUB "http"
#define MAX_HEADERS 64

struct route {
	bh_instance *inst;
	char *method, *path;
	bh_http_handler fn;
	void *ctx;
};

struct bh_listener {
	struct bh_engine *eng;
	struct MHD_Daemon *mhd;
	char addr[64];
	int port;
	uint64_t max_body;
	struct route *routes;
	size_t n_routes;
	bool started;
};

struct conn {
	char *uri;          /* full request URI, with the query string */
	bool seen;
	char *body;
	size_t len, cap;
	bool too_big;
};

int bh_listener_create(struct bh_engine *eng, const char *addr, int port, uint64_t max_body,
		       struct bh_listener **out)
{
	struct bh_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return BH_ENOMEM;
	l->eng = eng;
	snprintf(l->addr, sizeof(l->addr), "%s", addr ? addr : "127.0.0.1");
	l->port = port;
	l->max_body = max_body;
	*out = l;
	return BH_OK;
}

int bh_listener_route(struct bh_listener *l, bh_instance *inst, const char *method,
		      const char *path, bh_http_handler fn, void *ctx)
{
	if (l->started || !path || path[0] != '/' || !fn)
		return BH_EINVAL;
	for (size_t i = 0; i < l->n_routes; i++)
		if (strcmp(l->routes[i].path, path) == 0 &&
		    strcasecmp(l->routes[i].method, method ? method : "POST") == 0)
			return BH_EEXIST;
	struct route *nr = realloc(l->routes, (l->n_routes + 1) * sizeof(*nr));
	if (!nr)
		return BH_ENOMEM;
	l->routes = nr;
	nr[l->n_routes] = (struct route){inst, strdup(method ? method : "POST"), strdup(path), fn, ctx};
	l->n_routes++;
	return BH_OK;
}

struct hdr_collect {
	struct bh_http_header h[MAX_HEADERS];
	size_t n;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	(void)kind;
	struct hdr_collect *hc = cls;
	if (hc->n < MAX_HEADERS) {
		hc->h[hc->n].name = key;
		hc->h[hc->n].value = value ? value : "";
		hc->n++;
	}
	return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *ctype,
			     const char *body, int64_t retry_after_s)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	if (retry_after_s > 0) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%lld", (long long)retry_after_s);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	struct conn *cn = calloc(1, sizeof(*cn));
	if (cn)
		cn->uri = strdup(uri ? uri : "");
	return cn;
}

static const char *query_string(const struct conn *cn)
{
	const char *q = cn->uri ? strchr(cn->uri, '?') : NULL;
	return q ? q + 1 : "";
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)version;
	struct bh_listener *l = cls;
	struct conn *cn = *con_cls;
	if (!cn)
		return MHD_NO;
	if (!cn->seen) {
		cn->seen = true;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!cn->too_big) {
			if (cn->len + *upload_size > l->max_body) {
				cn->too_big = true;
			} else {
				if (cn->len + *upload_size + 1 > cn->cap) {
					size_t nc = (cn->len + *upload_size + 1) * 2;
					if (nc > l->max_body + 1)
						nc = l->max_body + 1;
					char *nb = realloc(cn->body, nc);
					if (!nb)
						return MHD_NO;
					cn->body = nb;
					cn->cap = nc;
				}
				memcpy(cn->body + cn->len, upload_data, *upload_size);
				cn->len += *upload_size;
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (cn->too_big) {
		BH_LOG_WARN(SUB, "%s %s: body larger than http_max_body (%llu bytes); 413", method, url,
			    (unsigned long long)l->max_body);
		return reply(c, 413, "application/json",
			     "{\"error\":\"payload too large\"}", 0);
	}
	const struct route *rt = NULL;
	bool path_known = false;
	for (size_t i = 0; i < l->n_routes; i++) {
		if (strcmp(l->routes[i].path, url) != 0)
			continue;
		path_known = true;
		if (strcasecmp(l->routes[i].method, method) == 0)
			rt = &l->routes[i];
	}
	if (!rt)
		return reply(c, path_known ? 405 : 404, "application/json",
			     path_known ? "{\"error\":\"method not allowed\"}" : "{\"error\":\"not found\"}",
			     0);
	struct hdr_collect hc = {.n = 0};
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &hc);
	char remote[INET6_ADDRSTRLEN] = "";
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, remote,
			  sizeof(remote));
	static const char empty[1] = "";
	struct bh_http_req req = {
		.method = method,
		.path = url,
		.query = query_string(cn),
		.headers = hc.h,
		.n_headers = hc.n,
		.body = cn->body ? cn->body : empty,
		.body_len = cn->len,
		.remote_addr = remote,
	};
	if (cn->body)
		cn->body[cn->len] = '\0';
	struct bh_http_resp resp = {.status = 200};
	snprintf(resp.content_type, sizeof(resp.content_type), "application/json");
	rt->fn(rt->ctx, &req, &resp);
	if (!resp.body[0] && resp.status >= 200 && resp.status < 300)
		snprintf(resp.body, sizeof(resp.body), "{\"ok\":true}");
	return reply(c, resp.status, resp.content_type, resp.body, resp.retry_after_s);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct conn *cn = *con_cls;
	if (cn) {
		free(cn->body);
		free(cn->uri);
		free(cn);
		*con_cls = NULL;
	}
}

int bh_listener_start(struct bh_listener *l)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)l->port);
	if (inet_pton(AF_INET, l->addr, &sa.sin_addr) != 1) {
		BH_LOG_ERROR(SUB, "http_listen '%s' is not an IPv4 address", l->addr);
		return BH_ECONFIG;
	}
	l->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
					  MHD_USE_ERROR_LOG,
				  0, NULL, NULL, on_request, l, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
	if (!l->mhd) {
		BH_LOG_ERROR(SUB, "cannot listen on %s:%d (port in use?)", l->addr, l->port);
		return BH_EIO;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (di)
		l->port = di->port;
	l->started = true;
	BH_LOG_INFO(SUB, "listening on http://%s:%d (%zu webhook routes)", l->addr, l->port,
		    l->n_routes);
	return BH_OK;
}

int bh_listener_port(const struct bh_listener *l)
{
	return l->started ? l->port : 0;
}

void bh_listener_stop(struct bh_listener *l)
{
	if (l->mhd) {
		MHD_stop_daemon(l->mhd);
		l->mhd = NULL;
	}
}

void bh_listener_destroy(struct bh_listener *l)
{
	if (!l)
		return;
	bh_listener_stop(l);
	for (size_t i = 0; i < l->n_routes; i++) {
		free(l->routes[i].method);
		free(l->routes[i].path);
	}
	free(l->routes);
	free(l);
}
