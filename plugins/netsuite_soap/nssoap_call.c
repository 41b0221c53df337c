/*
 * nssoap_call.c - the SOAP transport of the netsuite-soap plugin.
 *
 * One call = one POST to <base>/services/NetSuitePort_<version> with
 * Content-Type text/xml and SOAPAction "<op>", holding a slot of the instance's request
 * semaphore (max_requests) for exactly the duration of the HTTP exchange, so no burst —
 * worker operations and source polls together — exceeds it. Every attempt carries a
 * freshly signed tokenPassport.
 *
 * Classification (research/netsuite.md §5):
 *   transient  -> BH_ERETRY: transport errors and timeouts, HTTP 429 and 5xx without a
 *                 SuiteTalk fault, faults WS_REQUEST_BLOCKED / WS_CONCUR_SESSION_DISALLWD /
 *                 EXCEEDED_MAX_CONCUR_RQST / UNEXPECTED_ERROR / ACCT_TEMP_UNAVAILABLE,
 *                 exceeded*LimitFault, and record codes RCRD_HAS_BEEN_CHANGED /
 *                 RCRD_EDITED_SINCE_RETRIEVED / UNEXPECTED_ERROR.
 *   auth       -> BH_EAUTH: invalidCredentialsFault ("Invalid login attempt."),
 *                 INVALID_LOGIN*, INVALID_ACCT, INSUFFICIENT_PERMISSION, WS_PERMISSION_REQD...
 *   missing    -> BH_ENOENT: record code RCRD_DSNT_EXIST (reads).
 *   other      -> BH_EREJECT with NetSuite's code and message (bad reference, duplicate,
 *                 user errors, schema faults without a NetSuite code: "SOAP_FAULT").
 * Reads are retried here on transient failures; writes never blindly: bh_nss_write
 * re-reads by external id before re-sending.
 *
 * Ownership: netsuite-soap plugin. Threading: thread-safe; the semaphore is the only
 * shared state (mutex + condition variable).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <openssl/rand.h>

#include "../common/http.h"
#include "nssoap.h"

void bh_nss_status_set(struct bh_status *st, int http_status, const char *code, const char *fmt,
		       ...)
{
	va_list ap;
	if (!st)
		return;
	if (http_status >= 0)
		st->http_status = http_status;
	snprintf(st->code, sizeof(st->code), "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ semaphore */

int bh_nss_sem_init(struct bh_nss_sem *s, int max)
{
	memset(s, 0, sizeof(*s));
	s->max = max > 0 ? max : 1;
	if (pthread_mutex_init(&s->mu, NULL) != 0)
		return BH_ENOMEM;
	if (pthread_cond_init(&s->cv, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		return BH_ENOMEM;
	}
	return BH_OK;
}

void bh_nss_sem_destroy(struct bh_nss_sem *s)
{
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

static void sem_take(struct bh_nss_sem *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->in_use >= s->max)
		pthread_cond_wait(&s->cv, &s->mu);
	s->in_use++;
	if (s->in_use > s->peak)
		s->peak = s->in_use;
	pthread_mutex_unlock(&s->mu);
}

static void sem_give(struct bh_nss_sem *s)
{
	pthread_mutex_lock(&s->mu);
	s->in_use--;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int bh_nss_sem_peak(struct bh_nss_sem *s)
{
	pthread_mutex_lock(&s->mu);
	int p = s->peak;
	pthread_mutex_unlock(&s->mu);
	return p;
}

/* ------------------------------------------------------------------ classification */

static bool in_set(const char *code, const char *const *set)
{
	for (; code && *set; set++)
		if (!strcasecmp(code, *set))
			return true;
	return false;
}

static const char *const transient_codes[] = {
	"WS_REQUEST_BLOCKED", "WS_CONCUR_SESSION_DISALLWD", "EXCEEDED_MAX_CONCUR_RQST",
	"CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED", "UNEXPECTED_ERROR",
	"ACCT_TEMP_UNAVAILABLE", "RCRD_HAS_BEEN_CHANGED", "RCRD_EDITED_SINCE_RETRIEVED",
	"SESSION_TIMED_OUT", NULL,
};
static const char *const transient_faults[] = {
	"exceededConcurrentRequestLimitFault", "exceededRequestLimitFault",
	"exceededUsageLimitFault", "unexpectedErrorFault", NULL,
};
static const char *const auth_codes[] = {
	"INVALID_LOGIN_ATTEMPT", "INVALID_LOGIN_CREDENTIALS", "INVALID_LOGIN", "INVALID_ACCT",
	"INVALID_ROLE", "ROLE_REQUIRED", "INSUFFICIENT_PERMISSION", "WS_PERMISSION_REQD",
	"WS_LOG_IN_REQD", "LOGIN_DISABLED", "WS_FEATURE_REQD", "OI_PERMISSION_REQD",
	"INVALID_WS_VERSION", "UNSUPPORTED_WS_VERSION", NULL,
};
static const char *const auth_faults[] = {
	"invalidCredentialsFault", "insufficientPermissionFault", "invalidAccountFault",
	"invalidVersionFault", NULL,
};

static int classify(const char *code, const char *fault_elem)
{
	if (in_set(fault_elem, transient_faults) || in_set(code, transient_codes))
		return BH_ERETRY;
	if (in_set(fault_elem, auth_faults) || in_set(code, auth_codes))
		return BH_EAUTH;
	if (code && !strcasecmp(code, "RCRD_DSNT_EXIST"))
		return BH_ENOENT;
	return BH_EREJECT;
}

bool bh_nss_transient(int rc)
{
	return rc == BH_ERETRY;
}

int bh_nss_status_check(xmlNodePtr status, struct bh_status *st)
{
	char *ok = bh_nss_attr(status, "isSuccess");
	bool success = ok && !strcmp(ok, "true");
	free(ok);
	if (!status) {
		bh_nss_status_set(st, -1, "PROTOCOL", "the response has no status element");
		return BH_EPROTO;
	}
	if (success)
		return BH_OK;
	xmlNodePtr d = bh_nss_child(status, "statusDetail");
	char *code = bh_nss_child_text(d, "code"), *msg = bh_nss_child_text(d, "message");
	int rc = classify(code, NULL);
	bh_nss_status_set(st, -1, code ? code : "UNKNOWN", "%s", msg ? msg : "NetSuite refused the request");
	free(code);
	free(msg);
	return rc;
}

/* A SOAP Fault in the body: fill st and return its class. */
static int fault_class(xmlNodePtr fault, long http, struct bh_status *st)
{
	char *fs = bh_nss_child_text(fault, "faultstring");
	xmlNodePtr detail = bh_nss_child(fault, "detail"), fe = NULL;
	for (xmlNodePtr d = bh_nss_child(detail, NULL); d; d = bh_nss_next(d, NULL)) {
		size_t n = strlen((const char *)d->name);
		if (n > 5 && !strcmp((const char *)d->name + n - 5, "Fault")) {
			fe = d;
			break;
		}
	}
	char *code = fe ? bh_nss_child_text(fe, "code") : NULL;
	char *msg = fe ? bh_nss_child_text(fe, "message") : NULL;
	int rc;
	if (fe) {
		rc = classify(code, (const char *)fe->name);
		bh_nss_status_set(st, (int)http, code ? code : (const char *)fe->name, "%s",
				  msg ? msg : fs ? fs : "SOAP fault");
	} else {
		/* parser / schema faults carry no NetSuite detail: the request is wrong */
		rc = BH_EREJECT;
		bh_nss_status_set(st, (int)http, "SOAP_FAULT", "%s", fs ? fs : "SOAP fault");
	}
	free(fs);
	free(code);
	free(msg);
	return rc;
}

/* Parse a response body; *op = the first element of soapenv:Body. */
static int parse_body(const char *body, size_t len, xmlDocPtr *doc, xmlNodePtr *op)
{
	*doc = xmlReadMemory(body, (int)len, "response.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!*doc)
		return BH_EPROTO;
	xmlNodePtr env = xmlDocGetRootElement(*doc);
	xmlNodePtr b = env && !strcmp((const char *)env->name, "Envelope") ? bh_nss_child(env, "Body") : NULL;
	*op = b ? bh_nss_child(b, NULL) : NULL;
	if (!*op) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		return BH_EPROTO;
	}
	return BH_OK;
}

bool bh_nss_backoff(struct bh_nss *c, int attempt, int64_t retry_after_ms)
{
	if (atomic_load(&c->stopping))
		return false;
	int64_t cap = c->retry_backoff_ms << (attempt > 10 ? 10 : attempt - 1);
	if (cap > 30000)
		cap = 30000;
	uint32_t r = 0;
	if (RAND_bytes((unsigned char *)&r, (int)sizeof(r)) != 1)
		r = (uint32_t)attempt * 2654435761u;
	int64_t wait = cap > 0 ? (int64_t)(r % (uint64_t)(cap + 1)) : 0;
	if (wait < retry_after_ms)
		wait = retry_after_ms;
	/* back off between attempts (bounded; stop() is honoured at the next check) */
	while (wait > 0 && !atomic_load(&c->stopping)) {
		int64_t step = wait > 100 ? 100 : wait;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
		nanosleep(&ts, NULL);
		wait -= step;
	}
	return !atomic_load(&c->stopping);
}

static int call_once(struct bh_nss *c, struct bh_nss_req *q, xmlDocPtr *doc, xmlNodePtr *op,
		     struct bh_status *st, char *hdr_date, size_t hdr_len)
{
	char soap_action[48], *body = NULL;
	size_t body_len = 0;
	struct bh_http_response resp;
	int rc;

	memset(&resp, 0, sizeof(resp));
	*doc = NULL;
	*op = NULL;
	if ((rc = bh_nss_req_passport(q, c)) != BH_OK) {
		bh_nss_status_set(st, -1, "INTERNAL", "could not sign the request (%d)", rc);
		return rc;
	}
	if ((rc = bh_nss_req_dump(q, &body, &body_len)) != BH_OK) {
		bh_nss_status_set(st, -1, "INTERNAL", "out of memory");
		return rc;
	}
	snprintf(soap_action, sizeof(soap_action), "SOAPAction: \"%s\"", q->action);
	const char *hdrs[] = {"Content-Type: text/xml; charset=utf-8", soap_action, NULL};

	sem_take(&c->sem);
	rc = bh_http_request(c->http, "POST", c->url, hdrs, body, body_len, &resp);
	sem_give(&c->sem);
	free(body);
	if (rc != BH_OK) {
		bh_nss_status_set(st, 0, "INTERNAL", "out of memory");
		return rc;
	}
	if (hdr_date && bh_http_header(&resp, "Date", hdr_date, hdr_len) < 0)
		hdr_date[0] = '\0';
	if (resp.status == 0) {
		bh_nss_status_set(st, 0, resp.timed_out ? "TIMEOUT" : "TRANSPORT",
				  "NetSuite did not answer: %s", resp.error);
		rc = BH_ERETRY;
		goto out;
	}
	st->retry_after_ms = bh_http_retry_after_ms(&resp);
	st->http_status = (int)resp.status;
	if (resp.body_len > 0 && parse_body(resp.body, resp.body_len, doc, op) == BH_OK) {
		if (!strcmp((const char *)(*op)->name, "Fault")) {
			rc = fault_class(*op, resp.status, st);
			xmlFreeDoc(*doc);
			*doc = NULL;
			*op = NULL;
			goto out;
		}
		if (resp.status == 200) {
			rc = BH_OK;
			goto out;
		}
		xmlFreeDoc(*doc);
		*doc = NULL;
		*op = NULL;
	}
	if (resp.status == 429 || resp.status >= 500) {
		bh_nss_status_set(st, (int)resp.status, "HTTP_ERROR", "NetSuite answered HTTP %ld",
				  resp.status);
		rc = BH_ERETRY;
	} else if (resp.status == 401 || resp.status == 403) {
		bh_nss_status_set(st, (int)resp.status, "HTTP_ERROR", "NetSuite answered HTTP %ld",
				  resp.status);
		rc = BH_EAUTH;
	} else if (resp.status == 200) {
		bh_nss_status_set(st, 200, "PROTOCOL", "NetSuite's answer is not a SOAP envelope");
		rc = BH_EPROTO;
	} else {
		bh_nss_status_set(st, (int)resp.status, "HTTP_ERROR",
				  "NetSuite answered HTTP %ld (check base_url and version)", resp.status);
		rc = BH_EREJECT;
	}
out:
	bh_http_response_clear(&resp);
	return rc;
}

int bh_nss_call(struct bh_nss *c, struct bh_nss_req *q, xmlDocPtr *doc, xmlNodePtr *op,
		struct bh_status *st, char *hdr_date, size_t hdr_len)
{
	int max = q->is_write ? 0 : (int)c->retries;
	for (int attempt = 0;; attempt++) {
		st->retry_after_ms = 0;
		int rc = call_once(c, q, doc, op, st, hdr_date, hdr_len);
		if (rc != BH_ERETRY || attempt >= max)
			return rc;
		c->host->counter_add(c->inst, "soap_retries", 1);
		if (!bh_nss_backoff(c, attempt + 1, st->retry_after_ms))
			return rc;
	}
}

/* ------------------------------------------------------------------ get / write */

int bh_nss_get(struct bh_nss *c, const char *type, const char *internal_id,
	       const char *external_id, struct bh_nss_rec *rec, struct bh_status *st)
{
	struct bh_nss_req q;
	xmlDocPtr doc = NULL;
	xmlNodePtr op;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if ((rc = bh_nss_req_new(&q, c, "get", BH_NSS_PREFS_NONE, false)) != BH_OK)
		return rc;
	xmlNodePtr b = bh_nss_ref_el(q.op, q.msgs, "baseRef", internal_id, external_id, type);
	if (!b) {
		rc = BH_ENOMEM;
		goto out;
	}
	bh_nss_xsi_type(&q, b, "platformCore:RecordRef");
	if ((rc = bh_nss_call(c, &q, &doc, &op, st, NULL, 0)) != BH_OK)
		goto out;
	xmlNodePtr rr = bh_nss_child(op, "readResponse");
	if ((rc = bh_nss_status_check(bh_nss_child(rr, "status"), st)) != BH_OK)
		goto out;
	xmlNodePtr r = bh_nss_child(rr, "record");
	if (!r) {
		bh_nss_status_set(st, -1, "PROTOCOL", "get answered without a record");
		rc = BH_EPROTO;
		goto out;
	}
	rc = bh_nss_rec_parse(r, rec);
out:
	if (doc)
		xmlFreeDoc(doc);
	bh_nss_req_free(&q);
	return rc;
}

/* Internal id of a record by (type, externalId): 0, BH_ENOENT or a call error. */
static int reread(struct bh_nss *c, const char *type, const char *eid, char *iid, size_t len,
		  struct bh_status *st)
{
	struct bh_nss_rec r;
	int rc = bh_nss_get(c, type, NULL, eid, &r, st);
	if (rc == BH_OK) {
		snprintf(iid, len, "%s", r.internal_id ? r.internal_id : "");
		bh_nss_rec_clear(&r);
	}
	return rc;
}

int bh_nss_write(struct bh_nss *c, struct bh_nss_req *q, const char *type,
		 const char *external_id, char *iid, size_t iid_len, bool *existed,
		 struct bh_status *st)
{
	*existed = false;
	for (int attempt = 0;; attempt++) {
		xmlDocPtr doc = NULL;
		xmlNodePtr op = NULL;
		int rc = bh_nss_call(c, q, &doc, &op, st, NULL, 0);
		if (rc == BH_OK) {
			xmlNodePtr wr = bh_nss_child(op, "writeResponse");
			rc = bh_nss_status_check(bh_nss_child(wr, "status"), st);
			if (rc == BH_OK) {
				char *v = bh_nss_attr(bh_nss_child(wr, "baseRef"), "internalId");
				snprintf(iid, iid_len, "%s", v ? v : "");
				free(v);
				if (!iid[0]) {
					bh_nss_status_set(st, -1, "PROTOCOL", "the write answered no internalId");
					rc = BH_EPROTO;
				}
			}
			xmlFreeDoc(doc);
			if (rc == BH_OK)
				return BH_OK;
			if (!strcmp(st->code, "DUP_RCRD") && external_id && type) {
				struct bh_status st2 = {0};
				if (reread(c, type, external_id, iid, iid_len, &st2) == BH_OK) {
					*existed = true;
					return BH_OK;
				}
			}
		}
		if (rc != BH_ERETRY || attempt >= c->retries)
			return rc;
		c->host->counter_add(c->inst, "soap_retries", 1);
		if (!bh_nss_backoff(c, attempt + 1, st->retry_after_ms))
			return rc;
		if (external_id && type) {
			/* the failed attempt may have been applied: never write twice */
			struct bh_status st2 = {0};
			int r2 = reread(c, type, external_id, iid, iid_len, &st2);
			if (r2 == BH_OK)
				return BH_OK;
			if (r2 != BH_ENOENT) {
				*st = st2;
				return r2;
			}
		}
	}
}
