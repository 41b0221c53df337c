/*
 * fl_json.c - flowlib's JSON and money helpers, external ids, xref and endpoint lookups,
 * and the mapping of capability errors to delivery outcomes (see flowlib.h).
 *
 * Ownership: flowlib. Threading: no shared state; thread-safe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/money.h"
#include "fl_priv.h"

int bh_fl_xid(char *buf, size_t len, const char *prefix, const char *id)
{
	int n = snprintf(buf, len, "%s%s", prefix, id ? id : "");
	return (n < 0 || (size_t)n >= len) ? BH_ETOOBIG : BH_OK;
}

const char *bh_fl_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *bh_fl_jid(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return *json_object_get_string(v) ? json_object_get_string(v) : NULL;
	if (!json_object_is_type(v, json_type_int))
		return NULL;
	/* json-c keeps integers exact as int64: render it and keep the text in the tree */
	errno = 0;
	int64_t n = json_object_get_int64(v);
	if (errno)
		return NULL;
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, n);
	struct json_object *s = json_object_new_string(buf);
	if (!s || json_object_object_add(o, key, s) != 0)
		return NULL;
	return json_object_get_string(s);
}

int bh_fl_jmoney(struct json_object *o, const char *key, int64_t *cents, bool *present)
{
	struct json_object *v = NULL;
	*cents = 0;
	if (present)
		*present = false;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) || !v)
		return BH_OK;
	if (!json_object_is_type(v, json_type_string))
		return BH_EINVAL; /* money is a decimal string, never a binary number */
	if (bh_money_parse(json_object_get_string(v), cents) != 0)
		return BH_EINVAL;
	if (present)
		*present = true;
	return BH_OK;
}

int bh_fl_jint(struct json_object *o, const char *key, int64_t def, int64_t *out)
{
	struct json_object *v = NULL;
	*out = def;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return BH_OK;
	if (json_object_is_type(v, json_type_int)) {
		errno = 0;
		*out = json_object_get_int64(v);
		return errno ? BH_EINVAL : BH_OK;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;
		errno = 0;
		long long n = strtoll(s, &end, 10);
		if (errno || end == s || *end)
			return BH_EINVAL;
		*out = n;
		return BH_OK;
	}
	return BH_EINVAL;
}

const char *bh_fl_money(int64_t cents, char *buf, size_t len)
{
	return bh_money_format(cents, buf, len);
}

void bh_fl_jadd_money(struct json_object *o, const char *key, int64_t cents)
{
	char buf[32];
	json_object_object_add(o, key, json_object_new_string(bh_money_format(cents, buf, sizeof(buf))));
}

void bh_fl_jadd_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

int bh_fl_xref(const struct bh_host *h, bh_instance *inst, const char *ns, const char *key,
	       char *buf, size_t len)
{
	int n = h->xref_get(inst, ns, key, buf, len);
	if (n >= 0 && (size_t)n < len)
		buf[n] = '\0';
	return n;
}

int bh_fl_endpoint(const struct bh_host *h, bh_instance *inst, const char *setting,
		   const char *name, const char *cap, struct bh_cap *out)
{
	if (!name || !*name) {
		bh_plg_error(h, inst, "setting '%s' is required: the name of the endpoint instance "
			     "offering the '%s' capability", setting, cap);
		return BH_ECONFIG;
	}
	int rc = h->endpoint(inst, name, cap, out);
	if (rc == BH_ENOENT)
		bh_plg_error(h, inst, "%s = %s: no endpoint instance of that name is configured "
			     "(or it is disabled)", setting, name);
	else if (rc == BH_ENOTSUP)
		bh_plg_error(h, inst, "%s = %s: that endpoint offers no '%s' capability", setting,
			     name, cap);
	else if (rc != 0)
		bh_plg_error(h, inst, "%s = %s: endpoint lookup failed (%d)", setting, name, rc);
	return rc;
}

void bh_fl_fail(const struct bh_host *h, bh_result *res, int rc, const struct bh_status *st,
		int64_t auth_retry_ms, const char *what)
{
	const char *code = st && st->code[0] ? st->code : NULL;
	const char *msg = st && st->message[0] ? st->message : NULL;
	switch (rc) {
	case BH_EREJECT:
		h->result_reject(res, "%s: %s%s%s", what, code ? code : "REJECTED", msg ? ": " : "",
				 msg ? msg : "");
		break;
	case BH_EAUTH:
		h->result_retry(res, auth_retry_ms > 0 ? auth_retry_ms : BH_FL_AUTH_RETRY_MS,
				"%s: authentication or permission refused (%s%s%s); fix the endpoint's "
				"credentials, the record is kept and retried", what,
				code ? code : "AUTH", msg ? ": " : "", msg ? msg : "");
		break;
	case BH_ENOENT:
		h->result_reject(res, "%s: not found%s%s", what, msg ? ": " : "", msg ? msg : "");
		break;
	case BH_ERETRY:
		h->result_retry(res, st ? st->retry_after_ms : 0, "%s: temporary failure (%s%s%s)", what,
				code ? code : "RETRY", msg ? ": " : "", msg ? msg : "");
		break;
	default:
		h->result_retry(res, 0, "%s: failed with error %d%s%s", what, rc, msg ? ": " : "",
				msg ? msg : "");
		break;
	}
}

void bh_fl_log_doc(const struct bh_host *h, bh_instance *inst, const char *what,
		   struct json_object *doc)
{
	h->log(inst, BH_LOG_INFO, "%s: %s", what,
	       json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
}

struct json_object *bh_fl_parse_object(const char *text, size_t len, char *err, size_t errlen)
{
	if (!text) {
		bh_fl_err(err, errlen, "no body");
		return NULL;
	}
	if (len == 0)
		len = strlen(text);
	struct json_tokener *tok = json_tokener_new();
	if (!tok) {
		bh_fl_err(err, errlen, "out of memory");
		return NULL;
	}
	struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!o || je != json_tokener_success) {
		json_object_put(o);
		bh_fl_err(err, errlen, "body is not JSON (%s)", json_tokener_error_desc(je));
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		bh_fl_err(err, errlen, "body is not a JSON object");
		return NULL;
	}
	return o;
}

int bh_fl_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return BH_EINVAL;
}

struct json_object *bh_fl_jarr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

struct json_object *bh_fl_jobj(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}
