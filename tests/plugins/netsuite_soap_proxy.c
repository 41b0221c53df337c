/*
 * netsuite_soap_proxy.c - the recording proxy of the netsuite-soap tests (see the header).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "netsuite_soap_proxy.h"

struct cap {
	char *path, *action, *body;
};

struct bh_nssp {
	struct MHD_Daemon *d;
	int port, target;
	pthread_mutex_t mu;
	struct cap *caps;
	size_t n, capn;
	int inflight, max_inflight;
	int64_t date_offset;
};

struct conn {
	char *buf;
	size_t len;
};

struct sink {
	char *p;
	size_t n;
};

static size_t on_data(char *d, size_t s, size_t n, void *u)
{
	struct sink *b = u;
	char *g = realloc(b->p, b->n + s * n + 1);
	if (!g)
		return 0;
	b->p = g;
	memcpy(b->p + b->n, d, s * n);
	b->n += s * n;
	b->p[b->n] = '\0';
	return s * n;
}

static void record(struct bh_nssp *p, const char *path, const char *action, const char *body, size_t len)
{
	pthread_mutex_lock(&p->mu);
	if (p->n == p->capn) {
		size_t nc = p->capn ? p->capn * 2 : 64;
		struct cap *g = realloc(p->caps, nc * sizeof(*g));
		if (!g) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		p->caps = g;
		p->capn = nc;
	}
	struct cap *c = &p->caps[p->n++];
	c->path = strdup(path);
	c->action = strdup(action ? action : "");
	c->body = strndup(body ? body : "", len);
	pthread_mutex_unlock(&p->mu);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *mc, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct bh_nssp *p = cls;
	struct conn *c = *con_cls;
	(void)version;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size) {
		char *g = realloc(c->buf, c->len + *upload_size + 1);
		if (!g)
			return MHD_NO;
		c->buf = g;
		memcpy(c->buf + c->len, upload, *upload_size);
		c->len += *upload_size;
		c->buf[c->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	const char *ct = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Type");
	const char *sa = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "SOAPAction");
	record(p, url, sa, c->buf, c->len);

	pthread_mutex_lock(&p->mu);
	p->inflight++;
	if (p->inflight > p->max_inflight)
		p->max_inflight = p->inflight;
	int64_t off = p->date_offset;
	pthread_mutex_unlock(&p->mu);

	char target[512], h1[256], h2[256];
	snprintf(target, sizeof(target), "http://127.0.0.1:%d%s", p->target, url);
	struct curl_slist *hl = NULL;
	if (ct) {
		snprintf(h1, sizeof(h1), "Content-Type: %s", ct);
		hl = curl_slist_append(hl, h1);
	}
	if (sa) {
		snprintf(h2, sizeof(h2), "SOAPAction: %s", sa);
		hl = curl_slist_append(hl, h2);
	}
	hl = curl_slist_append(hl, "Expect:");
	struct sink body = {NULL, 0};
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, target);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (c->len) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->buf);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)c->len);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	long status = 0;
	char *rct = NULL;
	CURLcode cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &rct);
	}
	enum MHD_Result ret = MHD_NO;
	if (cc == CURLE_OK) {
		struct MHD_Response *r = MHD_create_response_from_buffer(body.n, body.p ? body.p : "",
									MHD_RESPMEM_MUST_COPY);
		if (rct)
			MHD_add_response_header(r, "Content-Type", rct);
		if (off) {
			char date[64];
			time_t t = time(NULL) + (time_t)off;
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
			MHD_add_response_header(r, "Date", date);
		}
		ret = MHD_queue_response(mc, (unsigned)status, r);
		MHD_destroy_response(r);
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	free(body.p);
	pthread_mutex_lock(&p->mu);
	p->inflight--;
	pthread_mutex_unlock(&p->mu);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *mc, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;
	(void)cls;
	(void)mc;
	(void)toe;
	if (c) {
		free(c->buf);
		free(c);
		*con_cls = NULL;
	}
}

int bh_nssp_start(int target_port, struct bh_nssp **out)
{
	struct bh_nssp *p = calloc(1, sizeof(*p));
	struct sockaddr_in sa;
	if (!p)
		return -1;
	pthread_mutex_init(&p->mu, NULL);
	p->target = target_port;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
				NULL, handler, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, completed, p, MHD_OPTION_END);
	if (!p->d) {
		free(p);
		return -1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(p->d, MHD_DAEMON_INFO_BIND_PORT);
	p->port = di ? di->port : 0;
	*out = p;
	return p->port ? 0 : -1;
}

void bh_nssp_stop(struct bh_nssp *p)
{
	if (!p)
		return;
	MHD_stop_daemon(p->d);
	for (size_t i = 0; i < p->n; i++) {
		free(p->caps[i].path);
		free(p->caps[i].action);
		free(p->caps[i].body);
	}
	free(p->caps);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int bh_nssp_port(const struct bh_nssp *p)
{
	return p->port;
}

size_t bh_nssp_count(struct bh_nssp *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->n;
	pthread_mutex_unlock(&p->mu);
	return n;
}

static char *field(struct bh_nssp *p, size_t i, int which)
{
	char *s = NULL;
	pthread_mutex_lock(&p->mu);
	if (i < p->n) {
		const char *v = which == 0 ? p->caps[i].body : which == 1 ? p->caps[i].action : p->caps[i].path;
		s = strdup(v ? v : "");
	}
	pthread_mutex_unlock(&p->mu);
	return s;
}

char *bh_nssp_body(struct bh_nssp *p, size_t i)
{
	return field(p, i, 0);
}

char *bh_nssp_action(struct bh_nssp *p, size_t i)
{
	return field(p, i, 1);
}

char *bh_nssp_path(struct bh_nssp *p, size_t i)
{
	return field(p, i, 2);
}

int bh_nssp_max_inflight(struct bh_nssp *p)
{
	pthread_mutex_lock(&p->mu);
	int m = p->max_inflight;
	pthread_mutex_unlock(&p->mu);
	return m;
}

void bh_nssp_reset_inflight(struct bh_nssp *p)
{
	pthread_mutex_lock(&p->mu);
	p->max_inflight = p->inflight;
	pthread_mutex_unlock(&p->mu);
}

void bh_nssp_set_date_offset(struct bh_nssp *p, int64_t offset_s)
{
	pthread_mutex_lock(&p->mu);
	p->date_offset = offset_s;
	pthread_mutex_unlock(&p->mu);
}

int bh_nssp_inflight(struct bh_nssp *p)
{
	pthread_mutex_lock(&p->mu);
	int m = p->inflight;
	pthread_mutex_unlock(&p->mu);
	return m;
}
