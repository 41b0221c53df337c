/*
 * http.c - pooled libcurl client for plugins (see http.h).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <backhaul/errors.h>

#include "http.h"

struct bh_http_client {
	pthread_mutex_t lock;
	CURL **pool;
	size_t n, cap;
	long timeout_ms;
};

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *d, size_t s, size_t n, void *u)
{
	struct buf *b = u;
	size_t add = s * n;
	char *np = realloc(b->p, b->n + add + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, d, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

int bh_http_client_new(long timeout_ms, size_t max_handles, struct bh_http_client **out)
{
	struct bh_http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return BH_ENOMEM;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&c->lock, NULL);
	c->cap = max_handles ? max_handles : 1;
	c->pool = calloc(c->cap, sizeof(CURL *));
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	if (!c->pool) {
		free(c);
		return BH_ENOMEM;
	}
	*out = c;
	return BH_OK;
}

void bh_http_client_free(struct bh_http_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static CURL *take(struct bh_http_client *c)
{
	CURL *h = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->n > 0)
		h = c->pool[--c->n];
	pthread_mutex_unlock(&c->lock);
	return h ? h : curl_easy_init();
}

static void give(struct bh_http_client *c, CURL *h)
{
	pthread_mutex_lock(&c->lock);
	if (c->n < c->cap) {
		c->pool[c->n++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (h)
		curl_easy_cleanup(h);
}

int bh_http_request(struct bh_http_client *c, const char *method, const char *url,
		    const char *const *headers, const char *body, size_t body_len,
		    struct bh_http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	CURL *h = take(c);
	if (!h)
		return BH_ENOMEM;
	curl_easy_reset(h);
	struct curl_slist *hl = NULL;
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	struct buf b = {NULL, 0}, hb = {NULL, 0};
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms < 10000 ? c->timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	} else {
		resp->status = 0;
		resp->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(rc));
	}
	curl_slist_free_all(hl);
	resp->body = b.p ? b.p : strdup("");
	resp->body_len = b.n;
	resp->headers = hb.p ? hb.p : strdup("");
	give(c, h);
	return resp->body && resp->headers ? BH_OK : BH_ENOMEM;
}

void bh_http_response_clear(struct bh_http_response *resp)
{
	free(resp->body);
	free(resp->headers);
	memset(resp, 0, sizeof(*resp));
}

int bh_http_header(const struct bh_http_response *resp, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	const char *p = resp->headers;
	int found = -1;
	/* the last occurrence wins: after redirects/100-continue, the final response's */
	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t vl = ll - (size_t)(v - p);
			if (len > 0) {
				size_t cp = vl < len - 1 ? vl : len - 1;
				memcpy(buf, v, cp);
				buf[cp] = '\0';
			}
			found = (int)vl;
		}
		p = eol ? eol + 2 : NULL;
	}
	return found;
}

int64_t bh_http_retry_after_ms(const struct bh_http_response *resp)
{
	char v[64];
	if (bh_http_header(resp, "Retry-After", v, sizeof(v)) <= 0)
		return 0;
	char *end;
	double secs = strtod(v, &end); /* seconds may be fractional (Shopify sends "2.0") */
	if (end != v && *end == '\0' && secs >= 0)
		return (int64_t)(secs * 1000.0);
	time_t t = curl_getdate(v, NULL);
	if (t > 0) {
		int64_t d = ((int64_t)t - (int64_t)time(NULL)) * 1000;
		return d > 0 ? d : 0;
	}
	return 0;
}

char *bh_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = malloc(n * 3 + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return o;
}
