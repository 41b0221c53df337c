/*
 * loop_api.c - one request to Loop's API for the `loop` plugin: URL and headers, the
 * shared limiter, retries with backoff, classification of the answer (loop_errors.c).
 *
 * Retries: transport errors and timeouts, 429 (Retry-After, else `rate_limited_wait`,
 * and the whole instance holds back through the limiter), 5xx and UNEXPECTED_ERROR
 * bodies are retried up to `retries` times with exponential backoff and jitter
 * (`retry_backoff` doubling, never earlier than Retry-After), as long as the waits
 * stay within `max_retry_wait`; after that the caller gets BH_ERETRY with the advice.
 * Every request Loop documents that we send is idempotent (list and details reads;
 * process, cancel, flag and close of a return already in the target state are
 * re-checked by loop_actions.c; a note is looked up before it is written again).
 *
 * Secrets: the key only ever travels in the X-Authorization header built at configure();
 * logs name the method, the path and Loop's code, never a header or a body.
 * Ownership: *out belongs to the caller (json_object_put).
 * Threading: thread-safe; concurrent callers share the HTTP pool and the limiter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include <backhaul/errors.h>

#include "http.h"
#include "loop.h"
#include "loop_errors.h"

bool bh_loop_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool bh_loop_sleep(struct bh_loop *lp, int64_t ms)
{
	struct timespec dl;
	bool running;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += (time_t)(ms / 1000);
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lp->stop_lock);
	while (!lp->stopping) {
		if (pthread_cond_timedwait(&lp->stop_cond, &lp->stop_lock, &dl) == ETIMEDOUT)
			break;
	}
	running = !lp->stopping;
	pthread_mutex_unlock(&lp->stop_lock);
	return running;
}

static int64_t jitter_backoff(const struct bh_loop *lp, int attempt)
{
	int64_t cap = lp->retry_backoff_ms;
	for (int i = 0; i < attempt && cap < 60000; i++)
		cap *= 2;
	uint32_t r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)attempt * 2654435761u;
	/* half fixed, half random: spreads retries without retrying at once */
	return cap / 2 + (cap > 1 ? (int64_t)(r % (uint32_t)(cap / 2 + 1)) : 0);
}

static int build_url(struct bh_loop *lp, const char *path, char **url, struct bh_status *st)
{
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
		/* a nextPageUrl: only ever sent (with our key) to the configured origin */
		size_t ol = strlen(lp->origin);
		if (strncmp(path, lp->origin, ol) != 0 || path[ol] != '/') {
			snprintf(st->code, sizeof(st->code), "FOREIGN_URL");
			snprintf(st->message, sizeof(st->message),
				 "Loop's next page URL does not point at %s; not followed", lp->origin);
			return BH_EPROTO;
		}
		*url = strdup(path);
	} else {
		size_t n = strlen(lp->api_base) + strlen(path) + 2;
		*url = malloc(n);
		if (*url)
			snprintf(*url, n, "%s/%s", lp->api_base, path);
	}
	return *url ? BH_OK : BH_ENOMEM;
}

/* the path part for logs: no scheme/host, no query (it may be long) */
static void log_path(const char *url, char *buf, size_t len)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : url;
	if (!p)
		p = url;
	size_t n = strcspn(p, "?");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

int bh_loop_request(struct bh_loop *lp, const char *method, const char *path,
		    const char *body, unsigned flags, json_object **out, struct bh_status *st)
{
	const struct bh_host *h = lp->host;
	char *url = NULL, lp_path[160];
	int rc, attempts = (flags & BH_LOOP_REQ_NO_RETRY) ? 1 : (int)lp->retries + 1;
	int64_t waited = 0;

	memset(st, 0, sizeof(*st));
	if (out)
		*out = NULL;
	if ((rc = build_url(lp, path, &url, st)) != 0)
		return rc;
	log_path(url, lp_path, sizeof(lp_path));
	const char *headers[] = {
		lp->auth_header,
		"Accept: application/json",
		"User-Agent: backhaul-loop/" PACKAGE_VERSION,
		body && *body ? "Content-Type: application/json" : NULL,
		NULL,
	};

	for (int a = 0;; a++) {
		int64_t delay_us = bh_loop_limit_reserve(&lp->limit, bh_loop_mono_us());
		if (delay_us > 0 && !bh_loop_sleep(lp, (delay_us + 999) / 1000)) {
			rc = BH_ERETRY;
			snprintf(st->code, sizeof(st->code), "STOPPING");
			snprintf(st->message, sizeof(st->message), "the endpoint is stopping");
			break;
		}
		struct bh_http_response resp;
		if (bh_http_request(lp->http, method, url, headers, body, body ? strlen(body) : 0,
				    &resp) != 0) {
			bh_http_response_clear(&resp);
			rc = BH_ENOMEM;
			break;
		}
		h->counter_add(lp->inst, "requests", 1);
		json_object *j = NULL;
		if (resp.status && resp.body_len) {
			json_tokener *tok = json_tokener_new();
			if (tok) {
				/* with the terminating NUL: a bare literal such as `true` then ends */
				j = json_tokener_parse_ex(tok, resp.body, (int)resp.body_len + 1);
				if (json_tokener_get_error(tok) != json_tokener_success) {
					json_object_put(j);
					j = NULL;
				}
				json_tokener_free(tok);
			}
		}
		rc = bh_loop_classify(resp.status, j, resp.timed_out ? "timed out" : resp.error, st);
		if (rc == 0 && resp.status >= 200 && resp.status < 300 && resp.body_len && !j) {
			rc = BH_EPROTO;
			snprintf(st->code, sizeof(st->code), "NOT_JSON");
			snprintf(st->message, sizeof(st->message),
				 "Loop answered %s %s with a body that is not JSON", method, lp_path);
		}
		int64_t ra = bh_http_retry_after_ms(&resp);
		if (resp.status == 429) {
			if (ra <= 0)
				ra = lp->rate_limited_wait_ms;
			bh_loop_limit_hold(&lp->limit, bh_loop_mono_us(), ra);
			h->counter_add(lp->inst, "rate_limited", 1);
		}
		st->retry_after_ms = ra > 0 ? ra : 0;
		bh_http_response_clear(&resp);
		if (rc == 0) {
			if (out)
				*out = j;
			else
				json_object_put(j);
			break;
		}
		json_object_put(j);
		if (rc != BH_ERETRY || a + 1 >= attempts)
			break;
		int64_t wait = jitter_backoff(lp, a);
		if (wait < st->retry_after_ms)
			wait = st->retry_after_ms;
		if (waited + wait > lp->max_retry_wait_ms)
			break;
		h->counter_add(lp->inst, "retries", 1);
		bh_plg_info(h, lp->inst, "%s %s: %s (HTTP %d); retry %d of %d in %lld ms", method,
			    lp_path, st->code, st->http_status, a + 1, attempts - 1, (long long)wait);
		if (!bh_loop_sleep(lp, wait))
			break;
		waited += wait;
	}
	if (rc != 0 && rc != BH_ENOENT)
		bh_plg_debug(h, lp->inst, "%s %s failed: %s %s", method, lp_path, st->code, st->message);
	free(url);
	return rc;
}

int bh_loop_fetch_return(struct bh_loop *lp, const char *return_id, unsigned flags,
			 json_object **out, struct bh_status *st)
{
	char path[96];
	json_object *j = NULL;

	*out = NULL;
	if (!bh_loop_id_ok(return_id)) {
		memset(st, 0, sizeof(*st));
		snprintf(st->code, sizeof(st->code), "BAD_ID");
		snprintf(st->message, sizeof(st->message), "a Loop return id is a decimal number");
		return BH_EREJECT;
	}
	snprintf(path, sizeof(path), "warehouse/return/details?return_id=%s", return_id);
	int rc = bh_loop_request(lp, "GET", path, NULL, flags, &j, st);
	if (rc != 0)
		return rc;
	if (!j || !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "id", NULL)) {
		json_object_put(j);
		snprintf(st->code, sizeof(st->code), "NOT_A_RETURN");
		snprintf(st->message, sizeof(st->message),
			 "Get Return Details for %s did not answer a return object", return_id);
		return BH_EPROTO;
	}
	*out = j;
	return BH_OK;
}
