/*
 * sim_ns_rest.c - NetSuite REST web services simulator: entry point, token-based
 * authentication (OAuth 1.0a, HMAC-SHA256), account concurrency, routing and the REST
 * error shape.
 *
 * Owned by the NetSuite REST helper. sim_netsuite.c calls bh_sim_ns_rest_handle() for
 * every request under /services/rest/. Each request:
 *   1. verifies the Authorization header (realm = account id exactly as configured,
 *      e.g. 1234567_SB1; consumer key + token known; HMAC-SHA256 signature over the RFC
 *      5849 base string with the query parameters; timestamp within +-5 minutes of the
 *      simulated clock; nonce not used before with this token). Any failure answers 401
 *      INVALID_LOGIN exactly like NetSuite; the Login Audit Trail reason NetSuite would
 *      record (InvalidSignature, NonceUsed, InvalidTimestamp, ...) is given in the
 *      simulator-only header X-BH-Sim-Login-Audit;
 *   2. takes a slot of the account concurrency limit shared with SOAP (429
 *      CONCURRENCY_LIMIT_EXCEEDED when none is free) and gives it back at the end;
 *   3. routes: /services/rest/record/v1/... (sim_ns_rest_record.c) and
 *      /services/rest/query/v1/suiteql (sim_ns_rest_query.c); anything else is 404.
 *
 * Threading: reentrant; store access happens under bh_sim_ns_lock. No global state.
 */
#include "sim_ns_rest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "backhaul/errors.h"
#include "sim_ns_oauth.h"
#include "sim_ns_rest_priv.h"
#include "sim_ns_soap.h"
#include "sim_ns_store.h"

#define W3_BASE "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"

/* ---------------------------------------------------------------- responses */

void bh_sim_ns_rest_json(struct bh_sim_resp *resp, int status, struct json_object *obj,
			 const char *kind)
{
	char ct[96];
	bh_sim_resp_json(resp, status, obj);
	snprintf(ct, sizeof(ct), "application/vnd.oracle.resource+json; type=%s; charset=UTF-8",
		 kind);
	free(resp->content_type);
	resp->content_type = strdup(ct);
}

void bh_sim_ns_rest_error(struct bh_sim_resp *resp, int status, const char *code,
			  const char *detail, const char *path, const char *extra_key,
			  const char *extra_val)
{
	const char *type = W3_BASE, *title = "Bad Request";
	struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	struct json_object *d = json_object_new_object();

	switch (status) {
	case 400:
		type = W3_BASE "#sec10.4.1";
		break;
	case 401:
		title = "Unauthorized";
		break;
	case 403:
		type = W3_BASE "#sec10.4.4";
		title = "Forbidden";
		break;
	case 404:
		title = "Not Found";
		break;
	case 405:
		type = W3_BASE "#sec10.4.6";
		title = "Method Not Allowed";
		break;
	case 429:               /* NetSuite really answers 429 titled "Bad Request" */
		break;
	default:
		type = W3_BASE "#sec10.5.1";
		title = "Internal Server Error";
		break;
	}
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "status", json_object_new_int(status));
	if (status == 429)
		json_object_object_add(o, "o:errorCode", json_object_new_string("USER_ERROR"));
	json_object_object_add(d, "detail", json_object_new_string(detail));
	json_object_object_add(d, "o:errorCode", json_object_new_string(code));
	if (path && *path)
		json_object_object_add(d, "o:errorPath", json_object_new_string(path));
	if (extra_key && extra_val)
		json_object_object_add(d, extra_key, json_object_new_string(extra_val));
	json_object_array_add(arr, d);
	json_object_object_add(o, "o:errorDetails", arr);
	bh_sim_ns_rest_json(resp, status, o, "error");
}

void bh_sim_ns_rest_store_error(struct bh_sim_resp *resp, int rc, const struct bh_sim_ns_err *e)
{
	char detail[600];
	const char *code = e && e->code ? e->code : NULL;
	const char *msg = e && e->message[0] ? e->message : "An unexpected error occurred.";
	const char *field = e ? e->field : NULL;

	if (rc == BH_ENOMEM || !code || strcmp(code, "UNEXPECTED_ERROR") == 0) {
		snprintf(detail, sizeof(detail), "An unexpected error has occurred. %s", msg);
		bh_sim_ns_rest_error(resp, 500, "UNEXPECTED_ERROR", detail, NULL, NULL, NULL);
	} else if (strcmp(code, "RCRD_DSNT_EXIST") == 0) {
		bh_sim_ns_rest_error(resp, 404, "NONEXISTENT_ID", "Record does not exist.", NULL,
				     NULL, NULL);
	} else if (strcmp(code, "INSUFFICIENT_PERMISSION") == 0) {
		bh_sim_ns_rest_error(resp, 403, code, msg, NULL, NULL, NULL);
	} else if (strcmp(code, "INVALID_KEY_OR_REF") == 0 || strcmp(code, "INVALID_FLD_VALUE") == 0 ||
		   strcmp(code, "INVALID_REF_KEY") == 0 || strcmp(code, "INVALID_RCRD_REF") == 0) {
		snprintf(detail, sizeof(detail), "Error while accessing resource: %s", msg);
		bh_sim_ns_rest_error(resp, 400, "INVALID_CONTENT", detail, field, NULL, NULL);
	} else {
		/* Record-level business errors (DUP_RCRD "This record already exists",
		 * USER_ERROR, INVALID_INITIALIZE_REF, TRANS_ALREADY_REFUNDED, ...) reach REST
		 * clients as USER_ERROR with NetSuite's message; the SOAP-era code is not
		 * exposed. */
		snprintf(detail, sizeof(detail), "Error while accessing a resource. %s", msg);
		bh_sim_ns_rest_error(resp, 400, "USER_ERROR", detail, field, NULL, NULL);
	}
}

/* ---------------------------------------------------------------- authentication */

static const char INVALID_LOGIN[] =
	"Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI "
	"at Setup > Users/Roles > User Management > View Login Audit Trail.";

/* 401 INVALID_LOGIN; the reason goes to the account's Login Audit Trail (kept by the
 * SOAP layer, control GET /login_audit) and to a simulator-only response header. */
static void login_failed(struct bh_sim_ns_rest_ctx *c, const char *account, const char *token,
			 const char *reason)
{
	struct bh_sim_ns_soap *soap = bh_sim_ns_soap_slot(c->ns);
	if (soap) {
		int64_t now;
		bh_sim_ns_lock(c->ns);
		now = bh_sim_ns_now_ms(c->ns);
		bh_sim_ns_soap_audit(soap, account, token, reason, now);
		bh_sim_ns_unlock(c->ns);
	}
	bh_sim_ns_rest_error(c->resp, 401, "INVALID_LOGIN", INVALID_LOGIN, NULL, NULL, NULL);
	bh_sim_resp_header(c->resp, "X-BH-Sim-Login-Audit", reason);
}

const struct bh_sim_ns_cred *bh_sim_ns_rest_cred(const struct bh_sim_ns_rest_ctx *c)
{
	return bh_sim_ns_cred_find(c->ns, c->account, c->consumer_key, c->token_id);
}

static bool all_digits(const char *s)
{
	if (!s || !*s || strlen(s) > 18)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* TBA nonces are 6 to 64 alphanumerics (the same rule as the SOAP tokenPassport). */
static bool nonce_ok(const char *n)
{
	size_t len = strlen(n);
	if (len < 6 || len > 64)
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n))
			return false;
	return true;
}

static bool copy_field(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (n >= len)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* Why no credential matched, as the Login Audit Trail would say (lock held). */
static const char *unknown_reason(const struct bh_sim_ns *ns, const struct bh_sim_ns_oauth *p)
{
	bool key = false, account = false;
	for (size_t i = 0; i < bh_sim_ns_cred_count(ns); i++) {
		const struct bh_sim_ns_cred *k = bh_sim_ns_cred_at(ns, i);
		if (k->consumer_key && strcmp(k->consumer_key, p->consumer_key) == 0) {
			key = true;
			if (k->account && strcmp(k->account, p->realm) == 0)
				account = true;
		}
	}
	if (!key)
		return "consumer_key_unknown";
	return account ? "token_rejected" : "InvalidAccount";
}

/* Returns true when the request is authenticated; otherwise the 401 is written. */
static bool authenticate(struct bh_sim_ns_rest_ctx *c)
{
	const char *hdr = bh_sim_req_header(c->req, "Authorization");
	struct bh_sim_ns_oauth p;
	char cs[512], ts[512];
	const char *reason = NULL;
	char *base = NULL, *sig = NULL;
	const struct bh_sim_ns_cred *cred;
	int64_t stamp;

	if (!hdr) {
		login_failed(c, NULL, NULL, "MissingAuthorizationHeader");
		return false;
	}
	if (strncasecmp(hdr, "Bearer ", 7) == 0) {
		/* OAuth 2.0 is not offered by the simulator: the token is unknown. */
		login_failed(c, NULL, NULL, "InvalidToken");
		return false;
	}
	if (bh_sim_ns_oauth_parse(hdr, &p) != 0) {
		login_failed(c, NULL, NULL, "MalformedAuthorizationHeader");
		return false;
	}
	if (!p.realm || !p.consumer_key || !p.token || !p.nonce || !p.timestamp ||
	    !p.signature_method || !p.signature) {
		reason = "MissingRequiredFields";
		goto fail;
	}
	if (strcmp(p.signature_method, "HMAC-SHA256") != 0) {
		reason = "UnknownAlgorithm";
		goto fail;
	}
	if (p.version && strcmp(p.version, "1.0") != 0) {
		reason = "InvalidVersion";
		goto fail;
	}
	if (!nonce_ok(p.nonce)) {
		reason = "InvalidNonce";
		goto fail;
	}
	if (!all_digits(p.timestamp)) {
		reason = "InvalidTimestamp";
		goto fail;
	}
	stamp = strtoll(p.timestamp, NULL, 10);
	if (!copy_field(c->account, sizeof(c->account), p.realm) ||
	    !copy_field(c->consumer_key, sizeof(c->consumer_key), p.consumer_key) ||
	    !copy_field(c->token_id, sizeof(c->token_id), p.token)) {
		reason = "token_rejected";
		goto fail;
	}

	bh_sim_ns_lock(c->ns);
	cred = bh_sim_ns_cred_find(c->ns, p.realm, p.consumer_key, p.token);
	if (!cred) {
		reason = unknown_reason(c->ns, &p);
	} else if (!bh_sim_ns_tba_time_ok(c->ns, stamp)) {
		reason = "InvalidTimestamp";
	} else if (!copy_field(cs, sizeof(cs), cred->consumer_secret) ||
		   !copy_field(ts, sizeof(ts), cred->token_secret)) {
		reason = "token_rejected";
	}
	bh_sim_ns_unlock(c->ns);
	if (reason)
		goto fail;

	base = bh_sim_ns_oauth_base_string(c->req->method, c->base, c->req->path, c->req->query, &p);
	sig = base ? bh_sim_ns_oauth_sign(base, cs, ts) : NULL;
	if (!sig || !bh_sim_ns_oauth_equal(sig, p.signature)) {
		reason = "InvalidSignature";
		goto fail;
	}
	bh_sim_ns_lock(c->ns);
	if (bh_sim_ns_nonce_use(c->ns, p.consumer_key, p.token, p.nonce, stamp) != 0)
		reason = "NonceUsed";
	bh_sim_ns_unlock(c->ns);
	if (reason)
		goto fail;
	free(base);
	free(sig);
	bh_sim_ns_oauth_clear(&p);
	return true;
fail:
	free(base);
	free(sig);
	login_failed(c, p.realm, p.token, reason);
	bh_sim_ns_oauth_clear(&p);
	return false;
}

/* ---------------------------------------------------------------- entry point */

static void set_base(struct bh_sim_ns_rest_ctx *c)
{
	const char *host = bh_sim_req_header(c->req, "Host");
	const char *bu = c->req->base_url ? c->req->base_url : "http://127.0.0.1";
	const char *sep = strstr(bu, "://");
	int slen = sep ? (int)(sep - bu) : 4;

	if (host && *host && strlen(host) < sizeof(c->base) - 16)
		snprintf(c->base, sizeof(c->base), "%.*s://%s", slen, sep ? bu : "http", host);
	else
		snprintf(c->base, sizeof(c->base), "%s", bu);
}

void bh_sim_ns_rest_handle(struct bh_sim_ns *ns, const struct bh_sim_req *req,
			   struct bh_sim_resp *resp)
{
	struct bh_sim_ns_rest_ctx c;
	const char *path = req->path ? req->path : "";
	static const char prefix[] = "/services/rest/";

	memset(&c, 0, sizeof(c));
	c.ns = ns;
	c.req = req;
	c.resp = resp;
	set_base(&c);

	if (!authenticate(&c))
		return;
	if (bh_sim_ns_conc_acquire(ns) != 0) {
		bh_sim_ns_rest_error(resp, 429, "CONCURRENCY_LIMIT_EXCEEDED",
				     "Concurrent request limit exceeded. Request blocked.", NULL,
				     NULL, NULL);
		return;
	}
	if (strncmp(path, prefix, sizeof(prefix) - 1) == 0)
		path += sizeof(prefix) - 1;
	else
		path = "";
	if (strncmp(path, "record/v1/", 10) == 0) {
		bh_sim_ns_rest_record(&c, path + 10);
	} else if (strcmp(path, "query/v1/suiteql") == 0) {
		if (strcmp(req->method, "POST") == 0)
			bh_sim_ns_rest_suiteql(&c);
		else
			bh_sim_ns_rest_error(resp, 405, "INVALID_REQUEST",
					     "The HTTP method is not allowed for this resource; "
					     "SuiteQL takes POST.", NULL, NULL, NULL);
	} else {
		char detail[512];
		snprintf(detail, sizeof(detail), "The requested resource '%s' does not exist.",
			 req->path ? req->path : "");
		bh_sim_ns_rest_error(resp, 404, "NONEXISTENT_ID", detail, NULL, NULL, NULL);
	}
	bh_sim_ns_conc_release(ns);
}
