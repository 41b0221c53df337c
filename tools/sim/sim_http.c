/*
 * sim_http.c - the libmicrohttpd front of every simulated service, and the request /
 * response helpers declared in sim.h.
 *
 * Purpose: one MHD daemon per service port on 127.0.0.1 (port 0 = a free port, read
 * back with MHD_DAEMON_INFO_BIND_PORT). For each request it gathers the whole raw body
 * (bounded: beyond max_body the answer is 413), builds a bh_sim_req (headers, decoded
 * path, raw query, base_url), asks the fault layer what to inject, then calls the
 * service's handler and sends its bh_sim_resp with HTTP/1.1 keep-alive.
 *
 * Threading: by default one MHD thread per connection (measured faster than a pool for
 * 8 keep-alive clients on 2 cores, and it lets latency/timeout faults hold a request
 * without stalling others); opts.threads > 0 selects an epoll thread pool instead.
 * Handlers run concurrently on those threads. Held requests (latency, timeout faults)
 * wait on the server's condition variable, so bh_sim_http_stop() releases them at once.
 *
 * Ownership: the bh_sim_req and everything it points to belong to this file and live
 * for the handler call only. Response bodies are handed to MHD (freed by it); header
 * strings are freed here after the response is queued.
 */
#include "sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>
#include <microhttpd.h>

#define BH_SIM_DEFAULT_MAX_BODY (16u * 1024u * 1024u)
#define BH_SIM_MAX_HOLD_MS 600000u

struct bh_sim_server {
	struct MHD_Daemon *daemon;
	const struct bh_sim_service *svc;
	void *state;
	uint16_t port;
	char base_url[40];
	size_t max_body;
	bool no_faults;
	pthread_mutex_t hold_lock;      /* guards stopping; held requests wait on hold_cond */
	pthread_cond_t hold_cond;
	bool stopping;
};

/* One request in progress (MHD's per-request context). */
struct conn_req {
	char *uri;                      /* raw request target as received (with query) */
	bool started;
	bool too_big;
	bool responded;                 /* an early answer (413) was queued */
	char *body;
	size_t len, cap;
	struct bh_sim_header *hdrs;
	size_t n_hdrs, cap_hdrs;
};

/* ---------------------------------------------------------------- request helpers */

const char *bh_sim_req_header(const struct bh_sim_req *req, const char *name)
{
	if (!req || !name)
		return NULL;
	for (size_t i = 0; i < req->n_headers; i++)
		if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode application/x-www-form-urlencoded text of length n ('+' is a space). */
static char *form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n &&
			   hexval((unsigned char)s[i + 1]) >= 0 &&
			   hexval((unsigned char)s[i + 2]) >= 0) {
			out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
					  hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

char *bh_sim_req_query(const struct bh_sim_req *req, const char *name)
{
	const char *p, *end;
	size_t name_len;

	if (!req || !req->query || !name)
		return NULL;
	name_len = strlen(name);
	p = req->query;
	end = p + strlen(p);
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		const char *key_end = eq ? eq : stop;
		char *key = form_decode(p, (size_t)(key_end - p));

		if (!key)
			return NULL;
		if (strlen(key) == name_len && memcmp(key, name, name_len) == 0) {
			free(key);
			if (!eq)
				return strdup("");
			return form_decode(eq + 1, (size_t)(stop - eq - 1));
		}
		free(key);
		p = stop + 1;
	}
	return NULL;
}

/* --------------------------------------------------------------- response helpers */

void bh_sim_resp_text(struct bh_sim_resp *resp, int status, const char *content_type,
		      const char *text, size_t len)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->content_type);
	resp->status = status;
	resp->body = malloc(len + 1);
	resp->body_len = 0;
	if (resp->body) {
		if (len)
			memcpy(resp->body, text, len);
		resp->body[len] = '\0';
		resp->body_len = len;
	}
	resp->content_type = content_type ? strdup(content_type) : NULL;
}

void bh_sim_resp_json(struct bh_sim_resp *resp, int status, struct json_object *obj)
{
	const char *text;
	size_t len = 0;

	if (!resp) {
		json_object_put(obj);
		return;
	}
	text = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text) {
		text = "null";
		len = 4;
	}
	bh_sim_resp_text(resp, status, "application/json; charset=utf-8", text, len);
	json_object_put(obj);
}

void bh_sim_resp_header(struct bh_sim_resp *resp, const char *name, const char *value)
{
	char *n, *v;

	if (!resp || !name || !value || resp->n_headers >= 16)
		return;
	n = strdup(name);
	v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return;
	}
	resp->headers[resp->n_headers].name = n;
	resp->headers[resp->n_headers].value = v;
	resp->n_headers++;
}

/* --------------------------------------------------------------------- the server */

static void resp_error(struct bh_sim_resp *resp, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	bh_sim_resp_json(resp, status, o);
}

/* Wait up to ms, or until the server stops. */
static void hold(struct bh_sim_server *srv, unsigned ms)
{
	struct timespec deadline;

	if (ms == 0)
		return;
	if (ms > BH_SIM_MAX_HOLD_MS)
		ms = BH_SIM_MAX_HOLD_MS;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&srv->hold_lock);
	while (!srv->stopping) {
		int rc = pthread_cond_timedwait(&srv->hold_cond, &srv->hold_lock, &deadline);

		if (rc == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&srv->hold_lock);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct conn_req *cr = calloc(1, sizeof(*cr));

	(void)cls;
	(void)conn;
	if (cr && uri)
		cr->uri = strdup(uri);
	return cr;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_req *cr = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!cr)
		return;
	free(cr->uri);
	free(cr->body);
	free(cr->hdrs);
	free(cr);
	*con_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct conn_req *cr = cls;

	(void)kind;
	if (cr->n_hdrs == cr->cap_hdrs) {
		size_t cap = cr->cap_hdrs ? cr->cap_hdrs * 2 : 16;
		struct bh_sim_header *h = realloc(cr->hdrs, cap * sizeof(*h));

		if (!h)
			return MHD_NO;
		cr->hdrs = h;
		cr->cap_hdrs = cap;
	}
	cr->hdrs[cr->n_hdrs].name = key;
	cr->hdrs[cr->n_hdrs].value = value ? value : "";
	cr->n_hdrs++;
	return MHD_YES;
}

static int append_body(struct conn_req *cr, const char *data, size_t n, size_t max)
{
	if (cr->too_big)
		return 0;
	if (cr->len + n > max) {
		cr->too_big = true;
		free(cr->body);
		cr->body = NULL;
		cr->len = cr->cap = 0;
		return 0;
	}
	if (cr->len + n + 1 > cr->cap) {
		size_t cap = cr->cap ? cr->cap : 4096;
		char *b;

		while (cap < cr->len + n + 1)
			cap *= 2;
		b = realloc(cr->body, cap);
		if (!b)
			return -1;
		cr->body = b;
		cr->cap = cap;
	}
	memcpy(cr->body + cr->len, data, n);
	cr->len += n;
	cr->body[cr->len] = '\0';
	return 0;
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct bh_sim_resp *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	int status = resp->status;

	if (status < 100 || status > 599) {
		bh_sim_resp_clear(resp);
		resp_error(resp, 500, "handler set no valid status");
		status = 500;
	}
	if (resp->body && resp->body_len) {
		r = MHD_create_response_from_buffer(resp->body_len, resp->body,
						    MHD_RESPMEM_MUST_FREE);
		if (r)
			resp->body = NULL; /* MHD frees it */
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!r) {
		bh_sim_resp_clear(resp);
		return MHD_NO;
	}
	if (resp->body_len || resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					resp->content_type ? resp->content_type
							   : "application/json");
	for (size_t i = 0; i < resp->n_headers && i < 16; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned int)status, r);
	MHD_destroy_response(r);
	bh_sim_resp_clear(resp);
	return ret;
}

static void shape_fault(struct bh_sim_server *srv, enum bh_sim_fault f,
			const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	if (srv->svc->fault)
		srv->svc->fault(srv->state, f, req, resp);
	if (resp->status == 0) {
		bh_sim_resp_clear(resp);
		bh_sim_fault_default(f, resp);
	}
}

static enum MHD_Result serve(struct bh_sim_server *srv, struct MHD_Connection *conn,
			     const char *url, const char *method, struct conn_req *cr)
{
	struct bh_sim_req req;
	struct bh_sim_resp resp;
	struct bh_sim_fault_action act;
	const char *q = NULL;

	memset(&resp, 0, sizeof(resp));
	memset(&act, 0, sizeof(act));
	if (cr->too_big) {
		resp_error(&resp, 413, "request body too large");
		return send_resp(conn, &resp);
	}
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, cr);
	if (cr->uri) {
		q = strchr(cr->uri, '?');
		if (q) {
			char *hash = strchr(q + 1, '#');

			if (hash)
				*hash = '\0';
			q++;
		}
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.query = q ? q : "";
	req.headers = cr->hdrs;
	req.n_headers = cr->n_hdrs;
	req.body = cr->body ? cr->body : "";
	req.body_len = cr->len;
	req.base_url = srv->base_url;

	if (!srv->no_faults && bh_sim_faults_active()) {
		char op[96] = "*";

		if (srv->svc->op_name) {
			srv->svc->op_name(srv->state, &req, op, sizeof(op));
			op[sizeof(op) - 1] = '\0';
		}
		bh_sim_fault_check(srv->svc->name, op, &act);
	}
	hold(srv, act.latency_ms);
	switch (act.fault) {
	case BH_SIM_FAULT_NONE:
		srv->svc->handle(srv->state, &req, &resp);
		break;
	case BH_SIM_FAULT_RESET:
		return MHD_NO; /* MHD closes the socket without an answer */
	case BH_SIM_FAULT_TIMEOUT:
		if (act.timeout_processed) {
			srv->svc->handle(srv->state, &req, &resp);
			hold(srv, act.timeout_ms);
		} else {
			hold(srv, act.timeout_ms);
			shape_fault(srv, act.fault, &req, &resp);
		}
		break;
	default:
		shape_fault(srv, act.fault, &req, &resp);
		break;
	}
	return send_resp(conn, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct bh_sim_server *srv = cls;
	struct conn_req *cr = *con_cls;

	(void)version;
	if (!cr) {
		cr = calloc(1, sizeof(*cr));
		if (!cr)
			return MHD_NO;
		*con_cls = cr;
	}
	if (!cr->started) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);

		cr->started = true;
		if (cl) {
			char *end = NULL;
			unsigned long long n = strtoull(cl, &end, 10);

			if (end && *end == '\0' && n > srv->max_body) {
				/* Refuse before reading (no 100 Continue is sent). */
				struct bh_sim_resp resp;

				memset(&resp, 0, sizeof(resp));
				cr->too_big = true;
				cr->responded = true;
				resp_error(&resp, 413, "request body too large");
				return send_resp(conn, &resp);
			}
			if (end && *end == '\0' && n > 0 && n < srv->max_body) {
				cr->body = malloc((size_t)n + 1);
				if (cr->body)
					cr->cap = (size_t)n + 1;
			}
		}
		return MHD_YES;
	}
	if (cr->responded) {
		/* 413 already queued before the body: discard whatever still arrives. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (append_body(cr, upload_data, *upload_data_size, srv->max_body) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return serve(srv, conn, url, method, cr);
}

struct bh_sim_server *bh_sim_http_start(const struct bh_sim_service *svc, void *state,
					const struct bh_sim_http_opts *opts, char *err,
					size_t errlen)
{
	struct bh_sim_server *srv;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	unsigned int flags;
	unsigned idle;

	if (!svc || !svc->handle) {
		snprintf(err, errlen, "service has no handler");
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->svc = svc;
	srv->state = state;
	srv->max_body = opts && opts->max_body ? opts->max_body : BH_SIM_DEFAULT_MAX_BODY;
	srv->no_faults = opts ? opts->no_faults : false;
	pthread_mutex_init(&srv->hold_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&srv->hold_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(opts ? opts->port : 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	idle = opts && opts->idle_timeout_s ? opts->idle_timeout_s : 60;

	if (opts && opts->threads > 0) {
		flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY;
		srv->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, srv,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)opts->threads,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)idle,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
			MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)256,
			MHD_OPTION_END);
	} else {
		flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			MHD_USE_POLL;
		srv->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, srv,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)idle,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
			MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)256,
			MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
			MHD_OPTION_END);
	}
	if (!srv->daemon) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1:%u for %s",
			 (unsigned)(opts ? opts->port : 0), svc->name);
		goto fail;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || info->port == 0) {
		snprintf(err, errlen, "cannot read back the port of %s", svc->name);
		goto fail;
	}
	srv->port = info->port;
	snprintf(srv->base_url, sizeof(srv->base_url), "http://127.0.0.1:%u",
		 (unsigned)srv->port);
	return srv;

fail:
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	pthread_cond_destroy(&srv->hold_cond);
	pthread_mutex_destroy(&srv->hold_lock);
	free(srv);
	return NULL;
}

uint16_t bh_sim_http_port(const struct bh_sim_server *srv)
{
	return srv ? srv->port : 0;
}

const char *bh_sim_http_base_url(const struct bh_sim_server *srv)
{
	return srv ? srv->base_url : "";
}

void bh_sim_http_stop(struct bh_sim_server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->hold_lock);
	srv->stopping = true;
	pthread_cond_broadcast(&srv->hold_cond);
	pthread_mutex_unlock(&srv->hold_lock);
	MHD_stop_daemon(srv->daemon);
	pthread_cond_destroy(&srv->hold_cond);
	pthread_mutex_destroy(&srv->hold_lock);
	free(srv);
}
