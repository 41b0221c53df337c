/*
 * nsr_http.c - signed requests to the NetSuite REST web services (see nsr.h).
 *
 * Every attempt is signed anew (fresh nonce and timestamp: NetSuite refuses a reused
 * nonce, retries included). At most max_requests requests of the instance are in flight
 * (the account's concurrency limit is shared by every integration, SOAP and REST).
 * A 429 CONCURRENCY_LIMIT_EXCEEDED is refused before any processing and is re-sent up
 * to `retries` times with jittered exponential back-off (Retry-After honoured, no slot
 * held while waiting); timeouts and 5xx are re-sent only for idempotent requests
 * (reads, PUT upserts, PATCH); other writes re-read by external id (nsr_write.c).
 * Outcomes are classified per research/netsuite.md section 5: 429 / 5xx / timeouts /
 * no response -> BH_ERETRY, 401 -> BH_EAUTH, 403 -> BH_EAUTH, 404 -> BH_ENOENT, other
 * 4xx -> BH_EREJECT, with NetSuite's o:errorCode and detail in bh_status.
 *
 * Ownership: netsuite-rest plugin. Threading: thread-safe (gate mutex + condvar; the
 * pooled libcurl client is thread-safe). The Authorization header is never logged.
 */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "../common/http.h"
#include "nsr.h"

void bh_nsr_reply_clear(struct bh_nsr_reply *r)
{
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

int64_t bh_nsr_http_date(const char *value)
{
	time_t t = value ? curl_getdate(value, NULL) : -1;
	return t > 0 ? (int64_t)t : 0;
}

/* ------------------------------------------------------------------ classification */

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static bool has_word(const char *s, const char *w)
{
	return s && strcasestr(s, w) != NULL;
}

int bh_nsr_classify(long status, int timed_out, const char *transport_error,
		    const char *body, int64_t retry_after_ms, struct bh_status *st)
{
	const char *code = NULL, *detail = NULL;
	struct json_object *j = NULL, *d, *e;
	int rc;

	st->http_status = (int)status;
	st->retry_after_ms = 0;
	if (status >= 200 && status < 300) {
		st->code[0] = '\0';
		st->message[0] = '\0';
		return BH_OK;
	}
	if (status == 0) {
		copy_str(st->code, sizeof(st->code), timed_out ? "TIMEOUT" : "NETWORK_ERROR");
		snprintf(st->message, sizeof(st->message), "no response from NetSuite: %s",
			 transport_error && *transport_error ? transport_error : "transport error");
		return BH_ERETRY;
	}
	if (body && *body)
		j = json_tokener_parse(body);
	if (j && json_object_is_type(j, json_type_object)) {
		if (json_object_object_get_ex(j, "o:errorDetails", &d) &&
		    json_object_is_type(d, json_type_array) && json_object_array_length(d) > 0) {
			struct json_object *first = json_object_array_get_idx(d, 0);
			if (json_object_object_get_ex(first, "o:errorCode", &e))
				code = json_object_get_string(e);
			if (json_object_object_get_ex(first, "detail", &e))
				detail = json_object_get_string(e);
		}
		if (!code && json_object_object_get_ex(j, "o:errorCode", &e))
			code = json_object_get_string(e);
		if (!detail && json_object_object_get_ex(j, "title", &e))
			detail = json_object_get_string(e);
	}
	if (status == 429) {
		rc = BH_ERETRY;
		if (!code || strcmp(code, "USER_ERROR") == 0)
			code = "CONCURRENCY_LIMIT_EXCEEDED";
		st->retry_after_ms = retry_after_ms;
	} else if (status >= 500) {
		rc = BH_ERETRY;
		if (!code)
			code = "UNEXPECTED_ERROR";
		st->retry_after_ms = retry_after_ms;
	} else if (status == 401) {
		rc = BH_EAUTH;
		if (!code)
			code = "INVALID_LOGIN";
	} else if (status == 403) {
		rc = BH_EAUTH;
		if (!code)
			code = "INSUFFICIENT_PERMISSION";
	} else if (status == 404) {
		rc = BH_ENOENT;
		if (!code)
			code = "NONEXISTENT_ID";
	} else {
		rc = BH_EREJECT;
		if (!code)
			code = "HTTP_ERROR";
		/* transient conditions NetSuite reports as 400 */
		if (strcmp(code, "SSS_REQUEST_LIMIT_EXCEEDED") == 0 ||
		    strcmp(code, "ACCT_TEMP_UNAVAILABLE") == 0 ||
		    strcmp(code, "RCRD_HAS_BEEN_CHANGED") == 0 ||
		    strcmp(code, "RCRD_EDITED_SINCE_RETRIEVED") == 0 ||
		    has_word(detail, "Record has been changed") ||
		    has_word(detail, "record you are attempting to change has been changed")) {
			rc = BH_ERETRY;
			st->retry_after_ms = retry_after_ms;
		}
	}
	copy_str(st->code, sizeof(st->code), code);
	if (detail && *detail)
		copy_str(st->message, sizeof(st->message), detail);
	else
		snprintf(st->message, sizeof(st->message), "NetSuite answered HTTP %ld", status);
	json_object_put(j);
	return rc;
}

/* ------------------------------------------------------------------ gate */

static void gate_take(struct bh_nsr *c)
{
	pthread_mutex_lock(&c->gate_lock);
	while (c->in_flight >= c->max_requests)
		pthread_cond_wait(&c->gate_cond, &c->gate_lock);
	c->in_flight++;
	pthread_mutex_unlock(&c->gate_lock);
}

static void gate_give(struct bh_nsr *c)
{
	pthread_mutex_lock(&c->gate_lock);
	c->in_flight--;
	pthread_cond_signal(&c->gate_cond);
	pthread_mutex_unlock(&c->gate_lock);
}

bool bh_nsr_backoff(struct bh_nsr *c, int64_t attempt, int64_t retry_after_ms)
{
	uint32_t r = 0;
	if (attempt < 1)
		attempt = 1;
	int64_t cap = c->retry_backoff_ms << (attempt < 8 ? attempt - 1 : 7);
	if (cap > 30000)
		cap = 30000;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)time(NULL);
	int64_t wait = cap > 0 ? (int64_t)(r % (uint32_t)(cap + 1)) : 0;
	if (wait < retry_after_ms)
		wait = retry_after_ms < 60000 ? retry_after_ms : 60000;
	/* the remote side asked for a pause: wait in slices so stop() is honoured */
	while (wait > 0) {
		if (atomic_load(&c->stopping))
			return false;
		int64_t slice = wait < 100 ? wait : 100;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)slice * 1000000L};
		nanosleep(&ts, NULL);
		wait -= slice;
	}
	return !atomic_load(&c->stopping);
}

/* ------------------------------------------------------------------ requests */

static void location_id(const struct bh_http_response *resp, char *buf, size_t len)
{
	char loc[1024];
	buf[0] = '\0';
	if (bh_http_header(resp, "Location", loc, sizeof(loc)) <= 0)
		return;
	size_t n = strlen(loc);
	while (n > 0 && (loc[n - 1] == '/' || loc[n - 1] == '\r' || loc[n - 1] == ' '))
		loc[--n] = '\0';
	const char *slash = strrchr(loc, '/');
	copy_str(buf, len, slash ? slash + 1 : loc);
}

int bh_nsr_request(struct bh_nsr *c, const char *method, const char *path,
		   struct json_object *body, unsigned flags, struct bh_nsr_reply *out,
		   struct bh_status *st)
{
	struct bh_http_response resp;
	char *url = NULL, *auth = NULL, *hdr = NULL;
	const char *text = NULL;
	int64_t attempts = (flags & BH_NSR_F_NO_RETRY) ? 1 : 1 + c->retries;
	int rc = BH_ENOMEM;

	memset(out, 0, sizeof(*out));
	memset(&resp, 0, sizeof(resp));
	size_t ul = strlen(c->base) + strlen(path) + 1;
	url = malloc(ul);
	if (!url)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	snprintf(url, ul, "%s%s", c->base, path);
	if (body)
		text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);

	int64_t t0 = c->host->mono_ms();
	for (int64_t attempt = 0; attempt < attempts; attempt++) {
		char nonce[21], ts[24];
		int64_t now = (int64_t)time(NULL);
		bh_http_response_clear(&resp);
		if (bh_nsr_oauth_nonce(nonce, sizeof(nonce)) != 0) {
			rc = bh_nsr_fail(st, BH_ERETRY, "NO_RANDOM", "no random bytes for a nonce");
			goto out;
		}
		snprintf(ts, sizeof(ts), "%lld", (long long)now);
		free(auth);
		free(hdr);
		auth = bh_nsr_oauth_header(method, url, &c->cred, nonce, ts);
		hdr = NULL;
		if (!auth) {
			rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "could not sign the request");
			goto out;
		}
		size_t hl = strlen(auth) + 32;
		hdr = malloc(hl);
		if (!hdr) {
			rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
			goto out;
		}
		snprintf(hdr, hl, "Authorization: %s", auth);
		const char *headers[6];
		size_t nh = 0;
		headers[nh++] = hdr;
		headers[nh++] = (flags & BH_NSR_F_CREATE_FORM)
					? "Accept: application/vnd.oracle.resource+json; type=create-form"
					: "Accept: application/json";
		if (text)
			headers[nh++] = "Content-Type: application/json";
		if (flags & BH_NSR_F_TRANSIENT)
			headers[nh++] = "Prefer: transient";
		headers[nh] = NULL;

		gate_take(c);
		rc = bh_http_request(c->http, method, url, headers, text, text ? strlen(text) : 0,
				     &resp);
		gate_give(c);
		if (rc != BH_OK) {
			rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
			goto out;
		}
		out->client_time = now;
		if (attempt + 1 >= attempts)
			break;
		if (resp.status == 429) {
			c->host->counter_add(c->inst, "throttled", 1);
		} else if (!(flags & BH_NSR_F_IDEMPOTENT) ||
			   !(resp.status == 0 || resp.status >= 500)) {
			break;
		}
		bh_plg_debug(c->host, c->inst, "%s %s: HTTP %ld, attempt %lld of %lld", method, path,
			     resp.status, (long long)(attempt + 2), (long long)attempts);
		if (!bh_nsr_backoff(c, attempt + 1, bh_http_retry_after_ms(&resp)))
			break;
	}
	out->status = resp.status;
	if (resp.body_len > 0)
		out->json = json_tokener_parse(resp.body);
	location_id(&resp, out->location_id, sizeof(out->location_id));
	{
		char date[128];
		if (bh_http_header(&resp, "Date", date, sizeof(date)) > 0)
			out->server_time = bh_nsr_http_date(date);
	}
	rc = bh_nsr_classify(resp.status, resp.timed_out, resp.error, resp.body,
			     bh_http_retry_after_ms(&resp), st);
	c->host->counter_add(c->inst, "requests", 1);
	if (rc != BH_OK && rc != BH_ENOENT)
		c->host->counter_add(c->inst, "request_errors", 1);
	bh_plg_debug(c->host, c->inst, "%s %s -> %ld %s (%lld ms)", method, path, resp.status,
		     st->code, (long long)(c->host->mono_ms() - t0));
	if (rc == BH_OK && resp.status != 204 && resp.body_len > 0 && !out->json) {
		rc = bh_nsr_fail(st, BH_ERETRY, "BAD_RESPONSE",
				 "NetSuite answered %ld with a body that is not JSON", resp.status);
	}
out:
	bh_http_response_clear(&resp);
	free(url);
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	if (hdr) {
		memset(hdr, 0, strlen(hdr));
		free(hdr);
	}
	return rc;
}

/* ------------------------------------------------------------------ SuiteQL, records */

int bh_nsr_suiteql(struct bh_nsr *c, const char *q, struct json_object *params, int64_t limit,
		   int64_t offset, struct json_object **items, bool *more, struct bh_status *st)
{
	struct json_object *body = json_object_new_object(), *v;
	struct bh_nsr_reply r;
	char path[256];
	int rc;

	*items = NULL;
	*more = false;
	if (!body)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	json_object_object_add(body, "q", json_object_new_string(q));
	if (params)
		json_object_object_add(body, "params", json_object_get(params));
	snprintf(path, sizeof(path), "%s?limit=%lld&offset=%lld", BH_NSR_SUITEQL_PATH,
		 (long long)limit, (long long)offset);
	rc = bh_nsr_request(c, "POST", path, body, BH_NSR_F_TRANSIENT | BH_NSR_F_IDEMPOTENT, &r,
			    st);
	json_object_put(body);
	if (rc == BH_OK) {
		if (!r.json || !json_object_object_get_ex(r.json, "items", &v) ||
		    !json_object_is_type(v, json_type_array)) {
			rc = bh_nsr_fail(st, BH_ERETRY, "BAD_RESPONSE",
					 "SuiteQL answer without an items array");
		} else {
			*items = json_object_get(v);
			*more = bh_nsr_jbool(r.json, "hasMore", false);
		}
	}
	bh_nsr_reply_clear(&r);
	return rc;
}

void bh_nsr_ref(char *buf, size_t len, const char *internal_id, const char *external_id)
{
	if (internal_id && *internal_id)
		snprintf(buf, len, "%s", internal_id);
	else
		snprintf(buf, len, "eid:%s", external_id ? external_id : "");
}

int bh_nsr_get(struct bh_nsr *c, const char *type, const char *ref, bool expand,
	       const char *fields, struct json_object **rec, struct bh_status *st)
{
	struct bh_nsr_reply r;
	char *eref = NULL, *efields = NULL, *path = NULL;
	int rc = BH_ENOMEM;

	*rec = NULL;
	/* "eid:" stays literal; the value after it is percent-encoded */
	if (strncmp(ref, "eid:", 4) == 0) {
		char *v = bh_nsr_pct(ref + 4);
		if (v) {
			eref = malloc(strlen(v) + 5);
			if (eref)
				sprintf(eref, "eid:%s", v);
		}
		free(v);
	} else {
		eref = bh_nsr_pct(ref);
	}
	if (fields)
		efields = bh_nsr_pct(fields);
	if (!eref || (fields && !efields))
		goto nomem;
	size_t pl = strlen(BH_NSR_REST_PATH) + strlen(type) + strlen(eref) +
		    (efields ? strlen(efields) : 0) + 64;
	path = malloc(pl);
	if (!path)
		goto nomem;
	snprintf(path, pl, "%s%s/%s%s%s%s%s", BH_NSR_REST_PATH, type, eref,
		 expand || efields ? "?" : "", expand ? "expandSubResources=true" : "",
		 expand && efields ? "&" : "", efields ? "fields=" : "");
	if (efields)
		strncat(path, efields, pl - strlen(path) - 1);
	rc = bh_nsr_request(c, "GET", path, NULL, BH_NSR_F_IDEMPOTENT, &r, st);
	if (rc == BH_OK) {
		if (!r.json || !json_object_is_type(r.json, json_type_object))
			rc = bh_nsr_fail(st, BH_ERETRY, "BAD_RESPONSE",
					 "record read answered without a JSON object");
		else
			*rec = json_object_get(r.json);
	}
	bh_nsr_reply_clear(&r);
	free(eref);
	free(efields);
	free(path);
	return rc;
nomem:
	free(eref);
	free(efields);
	return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
}
