/*
 * loop_webhook.c - the webhook route of the `loop` source.
 *
 * Loop POSTs JSON with X-Loop-Signature = base64(HMAC-SHA256(webhook secret, raw body)).
 * The signature is checked on the raw bytes as received (never a re-serialisation),
 * in constant time, against `webhook_secret` and, during a rotation, also
 * `webhook_secret_previous`; a missing or wrong signature is answered 401 and nothing is
 * stored. Then, by trigger:
 *   return.created / return.updated / return.closed (topic "return": the body is the
 *       return) -> records as loop_records.h says;
 *   return.processing.failed (topic "return.processing": {return_id, return_state,
 *       message}) -> the return is read back (Get Return Details, one attempt: 503 and
 *       Loop delivers again when it cannot be read now) and emitted as
 *       portal.return.processing_failed with "error" = Loop's message;
 *   anything else (label, restock, giftcard...) -> 200, ignored (counted).
 * The answer is sent after the engine committed the records (a 2xx means stored);
 * a full outbox gives 503 with Retry-After, so Loop delivers again. Duplicates (Loop's
 * retries, a poll that saw the same change) carry the same keys and are dropped.
 *
 * Ownership: the request is borrowed for the call. Threading: runs on listener threads,
 * concurrently; reads only the configuration and calls thread-safe helpers.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <backhaul/errors.h>

#include "loop.h"
#include "loop_records.h"

int bh_loop_sign(const char *key, const void *data, size_t len, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), data, len, md, &mdlen))
		return BH_EIO;
	if (outlen < 4 * ((mdlen + 2) / 3) + 1)
		return BH_ETOOBIG;
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
	return BH_OK;
}

static bool signature_ok(const struct bh_loop *lp, const char *hdr, const char *body,
			 size_t len)
{
	const char *secrets[2] = {lp->webhook_secret, lp->webhook_secret_previous};
	char want[96];
	bool ok = false;

	while (*hdr == ' ' || *hdr == '\t')
		hdr++;
	size_t hl = strlen(hdr);
	while (hl && (hdr[hl - 1] == ' ' || hdr[hl - 1] == '\t' || hdr[hl - 1] == '\r'))
		hl--;
	for (int i = 0; i < 2; i++) {
		if (!secrets[i] || !*secrets[i] || bh_loop_sign(secrets[i], body, len, want,
								 sizeof(want)) != 0)
			continue;
		/* lengths are public (44 characters); the bytes compare in constant time */
		if (hl == strlen(want) && CRYPTO_memcmp(hdr, want, hl) == 0)
			ok = true;
	}
	return ok;
}

static void answer(struct bh_http_resp *resp, int status, const char *key, const char *value)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, key, json_object_new_string(value));
	resp->status = status;
	snprintf(resp->body, sizeof(resp->body), "%s",
		 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void store(struct bh_loop *lp, struct bh_loop_recs *rs, struct bh_http_resp *resp)
{
	int rc = lp->host->emit(lp->inst, rs->e, rs->n, NULL);
	if (rc == BH_EBUSY) {
		resp->status = 503;
		resp->retry_after_s = 5;
		snprintf(resp->body, sizeof(resp->body), "{\"error\":\"busy, retry later\"}");
	} else if (rc < 0) {
		resp->status = 500;
		snprintf(resp->body, sizeof(resp->body), "{\"error\":\"not stored\"}");
	} else {
		resp->status = 200;
		snprintf(resp->body, sizeof(resp->body), "{\"stored\":%d}", rc);
		lp->host->counter_add(lp->inst, "webhook_records", rc);
	}
}

static void processing_failed(struct bh_loop *lp, json_object *j, struct bh_http_resp *resp)
{
	const struct bh_host *h = lp->host;
	char id[32], err[256];
	struct bh_status st;
	json_object *ret = NULL, *m;
	struct bh_loop_recs rs = {0};
	const char *message = NULL;

	if (!bh_loop_json_id(j, "return_id", id, sizeof(id)) &&
	    !bh_loop_json_id(j, "id", id, sizeof(id))) {
		answer(resp, 400, "error", "return.processing.failed without return_id");
		return;
	}
	if (json_object_object_get_ex(j, "message", &m) && m &&
	    json_object_is_type(m, json_type_string))
		message = json_object_get_string(m);
	/* one attempt: a listener thread must not wait long; Loop delivers again on 503 */
	int rc = bh_loop_fetch_return(lp, id, BH_LOOP_REQ_NO_RETRY, &ret, &st);
	if (rc == BH_ENOENT || rc == BH_EREJECT) {
		bh_plg_warn(h, lp->inst, "webhook return.processing.failed for return %s: %s %s; "
			    "ignored", id, st.code, st.message);
		answer(resp, 200, "ignored", "unknown return");
		return;
	}
	if (rc != 0) {
		bh_plg_warn(h, lp->inst, "webhook return.processing.failed for return %s: cannot read "
			    "the return (%s %s); asking Loop to deliver again", id, st.code, st.message);
		resp->status = 503;
		resp->retry_after_s = st.retry_after_ms > 0 ? (st.retry_after_ms + 999) / 1000 : 30;
		snprintf(resp->body, sizeof(resp->body), "{\"error\":\"return not readable yet\"}");
		return;
	}
	rc = bh_loop_record_failed(ret, message, &rs, NULL, err, sizeof(err));
	if (rc == 0) {
		store(lp, &rs, resp);
	} else {
		bh_plg_error(h, lp->inst, "webhook return.processing.failed: %s", err);
		answer(resp, 500, "error", "return not understood");
	}
	bh_loop_recs_free(&rs);
	json_object_put(ret);
}

void bh_loop_webhook(void *ctx, const struct bh_http_req *req, struct bh_http_resp *resp)
{
	struct bh_loop *lp = ctx;
	const struct bh_host *h = lp->host;
	const char *sig = h->http_header(req, "X-Loop-Signature");
	const char *raw = req->body ? req->body : "";
	size_t raw_len = req->body ? req->body_len : 0;
	char err[256];

	if (!sig || !signature_ok(lp, sig, raw, raw_len)) {
		h->counter_add(lp->inst, "webhooks_refused", 1);
		bh_plg_warn(h, lp->inst, "webhook from %s refused: %s X-Loop-Signature",
			    req->remote_addr ? req->remote_addr : "?", sig ? "wrong" : "no");
		answer(resp, 401, "error", "invalid signature");
		return;
	}
	json_tokener *tok = json_tokener_new();
	/* with the terminating NUL the core guarantees after the raw bytes */
	json_object *j = tok ? json_tokener_parse_ex(tok, raw, (int)raw_len + 1) : NULL;
	if (!tok || json_tokener_get_error(tok) != json_tokener_success || !j ||
	    !json_object_is_type(j, json_type_object)) {
		if (tok)
			json_tokener_free(tok);
		json_object_put(j);
		answer(resp, 400, "error", "the body is not a JSON object");
		return;
	}
	json_tokener_free(tok);

	json_object *v;
	const char *topic = json_object_object_get_ex(j, "topic", &v) && v &&
				    json_object_is_type(v, json_type_string)
			    ? json_object_get_string(v) : "";
	const char *trigger = json_object_object_get_ex(j, "trigger", &v) && v &&
				      json_object_is_type(v, json_type_string)
			      ? json_object_get_string(v) : "";
	h->counter_add(lp->inst, "webhooks", 1);
	if (strcmp(trigger, "return.processing.failed") == 0) {
		processing_failed(lp, j, resp);
	} else if ((strcmp(topic, "return") == 0 || strncmp(trigger, "return.", 7) == 0) &&
		   json_object_object_get_ex(j, "id", NULL)) {
		struct bh_loop_recs rs = {0};
		struct bh_loop_info info;
		int rc = bh_loop_records(j, *trigger ? trigger : "return.updated", &rs, &info, err,
					 sizeof(err));
		if (rc == 0) {
			if (info.dup_units)
				bh_plg_warn(h, lp->inst, "return %s lists %u unit(s) twice with the "
					    "same line_item_id; counted once", info.id, info.dup_units);
			store(lp, &rs, resp);
		} else {
			bh_plg_error(h, lp->inst, "webhook %s not understood: %s", trigger, err);
			answer(resp, 400, "error", "return not understood");
		}
		bh_loop_recs_free(&rs);
	} else {
		h->counter_add(lp->inst, "webhooks_ignored", 1);
		bh_plg_debug(h, lp->inst, "webhook %s/%s ignored", topic, trigger);
		answer(resp, 200, "ignored", "not a return change");
	}
	json_object_put(j);
}
