/*
 * lcflow.c - helpers shared by the return-lifecycle flows (see lcflow.h).
 *
 * Ownership: lifecycle-flows helper. Threading: no state; safe from any thread.
 */
#include <stdio.h>
#include <string.h>

#include <backhaul/errors.h>

#include "lcflow.h"

json_object *bh_lc_body(const struct bh_host *h, const bh_record *rec, bh_result *res,
			const char *schema)
{
	size_t len = 0;
	const char *body = h->rec_body(rec, &len);
	json_tokener *tok = json_tokener_new();
	json_object *o = NULL;

	if (!tok) {
		h->result_retry(res, 0, "record %s: out of memory parsing its body", h->rec_id(rec));
		return NULL;
	}
	if (body)
		o = json_tokener_parse_ex(tok, body, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		h->result_reject(res, "record %s (topic %s): the body is not a JSON object",
				 h->rec_id(rec), h->rec_topic(rec));
		json_object_put(o);
		o = NULL;
		goto out;
	}
	const char *got = bh_lc_str(o, "schema");
	if (!got || strcmp(got, schema) != 0) {
		h->result_reject(res, "record %s (topic %s): schema '%s', expected '%s' (is the "
				 "flow subscribed to the right topic?)", h->rec_id(rec),
				 h->rec_topic(rec), got ? got : "(none)", schema);
		json_object_put(o);
		o = NULL;
	}
out:
	json_tokener_free(tok);
	return o;
}

const char *bh_lc_str(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *bh_lc_str2(json_object *o, const char *k1, const char *k2)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k1, &v))
		return NULL;
	return bh_lc_str(v, k2);
}

bool bh_lc_bool(json_object *o, const char *key, bool def)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v);
}

bool bh_lc_is_id(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

int bh_lc_return_id(json_object *body, const char *ext, const char *prefix, char *buf,
		    size_t len)
{
	const char *rid = bh_lc_str(body, "return_id");
	if (!bh_lc_is_id(rid) && ext && prefix && strncmp(ext, prefix, strlen(prefix)) == 0)
		rid = ext + strlen(prefix);
	if (!bh_lc_is_id(rid))
		return BH_ENOENT;
	if ((size_t)snprintf(buf, len, "%s", rid) >= len)
		return BH_ETOOBIG;
	return BH_OK;
}

int bh_lc_return_parse(const char *json, struct bh_lc_return *out)
{
	json_object *o = json ? json_tokener_parse(json) : NULL;
	memset(out, 0, sizeof(*out));
	const char *st = bh_lc_str(o, "state");
	if (!st) {
		json_object_put(o);
		return BH_EPROTO;
	}
	snprintf(out->state, sizeof(out->state), "%s", st);
	out->flagged = bh_lc_bool(o, "flagged", false);
	json_object_put(o);
	return BH_OK;
}

bool bh_lc_state_final(const char *state)
{
	return state && (strcmp(state, "closed") == 0 || strcmp(state, "cancelled") == 0 ||
			 strcmp(state, "expired") == 0);
}

const char *bh_lc_errname(int rc)
{
	switch (rc) {
	case BH_OK: return "ok";
	case BH_ENOMEM: return "out of memory";
	case BH_EINVAL: return "invalid argument";
	case BH_EIO: return "I/O error";
	case BH_ENOENT: return "not found";
	case BH_ERETRY: return "temporary failure";
	case BH_EREJECT: return "refused";
	case BH_EAUTH: return "authentication refused";
	case BH_EPROTO: return "malformed answer";
	case BH_ENOTSUP: return "not supported";
	case BH_ESTOPPED: return "engine stopping";
	case BH_ETIMEOUT: return "timed out";
	default: return "error";
	}
}

void bh_lc_fail(const struct bh_host *h, bh_result *res, int rc, const struct bh_status *st,
		int64_t auth_retry_ms, const char *what)
{
	const char *code = st && st->code[0] ? st->code : NULL;
	const char *msg = st && st->message[0] ? st->message : NULL;
	switch (rc) {
	case BH_ERETRY:
		h->result_retry(res, st ? st->retry_after_ms : 0, "%s: temporary failure%s%s%s%s",
				what, code ? ": " : "", code ? code : "", msg ? ": " : "",
				msg ? msg : "");
		break;
	case BH_EAUTH:
		h->result_retry(res, auth_retry_ms, "%s: credentials or permissions refused%s%s%s%s "
				"(fix the endpoint's credentials; `backhaul test-connection` tells "
				"what is wrong)", what, code ? ": " : "", code ? code : "",
				msg ? ": " : "", msg ? msg : "");
		break;
	case BH_EREJECT:
		h->result_reject(res, "%s: %s%s%s", what, code ? code : "REFUSED", msg ? ": " : "",
				 msg ? msg : "");
		break;
	default:
		h->result_retry(res, 0, "%s: %s%s%s", what, bh_lc_errname(rc), msg ? ": " : "",
				msg ? msg : "");
		break;
	}
}

int bh_lc_endpoint(const struct bh_host *h, bh_instance *inst, const char *key,
		   const char *name, const char *cap, struct bh_cap *out)
{
	int rc = h->endpoint(inst, name, cap, out);
	if (rc == 0)
		return BH_OK;
	if (rc == BH_ENOTSUP)
		bh_plg_error(h, inst, "%s = %s: that endpoint offers no '%s' capability", key, name,
			     cap);
	else
		bh_plg_error(h, inst, "%s = %s: no such endpoint (or it is disabled)", key, name);
	return BH_ECONFIG;
}
