/*
 * nsr_doc.c - JSON helpers of the netsuite-rest plugin: reading canonical documents,
 * exact money in both directions (never through binary floating point), the write
 * answers and the canonical status names.
 *
 * Money: NetSuite REST sends and takes amounts as JSON numbers. json-c keeps the text
 * of a parsed number, which is read as a decimal string; numbers we send are JSON
 * numbers whose serialisation is the exact decimal text of the cents
 * (json_object_new_double_s with a placeholder double that is never used).
 *
 * Ownership: netsuite-rest plugin. Threading: pure functions, thread-safe.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "nsr.h"

const char *bh_nsr_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

struct json_object *bh_nsr_jobj(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

struct json_object *bh_nsr_jarr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

int bh_nsr_money_text(const char *s, int64_t *cents)
{
	char buf[64];
	const char *dot;
	size_t n;
	if (!s || !*s || strlen(s) >= sizeof(buf) - 2)
		return BH_EINVAL;
	if (bh_money_parse(s, cents) == BH_OK)
		return BH_OK;
	/* more than two decimals (a rate such as 13.3333): round half away from zero */
	dot = strchr(s, '.');
	if (!dot || strpbrk(s, "eE"))
		return BH_EINVAL;
	for (const char *p = dot + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return BH_EINVAL;
	n = (size_t)(dot - s) + 3;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (bh_money_parse(buf, cents) != BH_OK)
		return BH_EINVAL;
	if (dot[3] >= '5') {
		bool neg = s[0] == '-';
		*cents += neg ? -1 : 1;
	}
	return BH_OK;
}

int bh_nsr_jmoney(struct json_object *o, const char *key, int64_t *cents)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v ||
	    json_object_is_type(v, json_type_null))
		return BH_ENOENT;
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return BH_EINVAL;
	return bh_nsr_money_text(json_object_get_string(v), cents);
}

int bh_nsr_jqty(struct json_object *o, const char *key, int64_t *qty)
{
	struct json_object *v;
	const char *s;
	char *end;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v ||
	    json_object_is_type(v, json_type_null))
		return BH_ENOENT;
	if (json_object_is_type(v, json_type_int)) {
		*qty = json_object_get_int64(v);
		return BH_OK;
	}
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_double))
		return BH_EINVAL;
	s = json_object_get_string(v);
	long long q = strtoll(s, &end, 10);
	if (end == s)
		return BH_EINVAL;
	if (*end == '.') {
		for (end++; *end == '0'; end++)
			;
	}
	if (*end)
		return BH_EINVAL;
	*qty = q;
	return BH_OK;
}

struct json_object *bh_nsr_money_json(int64_t cents)
{
	char buf[32];
	bh_money_format(cents, buf, sizeof(buf));
	/* the double is a placeholder: only the exact text is ever serialised */
	return json_object_new_double_s(0, buf);
}

bool bh_nsr_jbool(struct json_object *o, const char *key, bool def)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return def;
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		if (strcasecmp(s, "T") == 0 || strcasecmp(s, "true") == 0)
			return true;
		if (strcasecmp(s, "F") == 0 || strcasecmp(s, "false") == 0)
			return false;
	}
	return def;
}

const char *bh_nsr_jref_id(struct json_object *o, const char *key)
{
	struct json_object *r = bh_nsr_jobj(o, key);
	if (r)
		return bh_nsr_jstr(r, "id");
	return bh_nsr_jstr(o, key);
}

int bh_nsr_fail(struct bh_status *st, int code, const char *err_code, const char *fmt, ...)
{
	va_list ap;
	snprintf(st->code, sizeof(st->code), "%s", err_code);
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof(st->message), fmt, ap);
	va_end(ap);
	if (code != BH_ERETRY)
		st->retry_after_ms = 0;
	return code;
}

int bh_nsr_parse_doc(const char *text, struct json_object **doc, struct bh_status *st)
{
	*doc = text ? json_tokener_parse(text) : NULL;
	if (!*doc || !json_object_is_type(*doc, json_type_object)) {
		json_object_put(*doc);
		*doc = NULL;
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				   "the document is not a JSON object");
	}
	return BH_OK;
}

bool bh_nsr_eid_valid(const char *eid)
{
	size_t n = 0;
	if (!eid)
		return false;
	for (; eid[n]; n++) {
		unsigned char ch = (unsigned char)eid[n];
		if (!isalnum(ch) && ch != '-' && ch != '_')
			return false;
	}
	return n > 0 && n <= 200;
}

int bh_nsr_dump(struct json_object *obj, char **out)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	*out = s ? strdup(s) : NULL;
	return *out ? BH_OK : BH_ENOMEM;
}

int bh_nsr_answer(char **out, const char *internal_id, const char *external_id,
		  const char *type, bool created, struct json_object *extra)
{
	struct json_object *o = json_object_new_object();
	int rc;
	if (!o) {
		json_object_put(extra);
		return BH_ENOMEM;
	}
	json_object_object_add(o, "internal_id",
			       internal_id ? json_object_new_string(internal_id) : NULL);
	json_object_object_add(o, "external_id",
			       external_id ? json_object_new_string(external_id) : NULL);
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "created", json_object_new_boolean(created));
	if (extra) {
		json_object_object_foreach(extra, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(extra);
	}
	rc = bh_nsr_dump(o, out);
	json_object_put(o);
	return rc;
}

static const char *status_name(const char *s, const char *const letters[8],
			       const char *const texts[8], const char *const names[8])
{
	if (!s)
		return "unknown";
	for (int i = 0; i < 8; i++) {
		if (strcmp(s, letters[i]) == 0 || strcasecmp(s, texts[i]) == 0)
			return names[i];
		/* "RtnAuth:B" / "SalesOrd:B" forms */
		const char *colon = strchr(s, ':');
		if (colon && strcmp(colon + 1, letters[i]) == 0)
			return names[i];
	}
	return "unknown";
}

const char *bh_nsr_ra_status(const char *s)
{
	static const char *const letters[8] = {"A", "B", "C", "D", "E", "F", "G", "H"};
	static const char *const texts[8] = {
		"Pending Approval", "Pending Receipt", "Cancelled", "Partially Received",
		"Pending Refund/Partially Received", "Pending Refund", "Refunded", "Closed"};
	static const char *const names[8] = {
		"pending_approval", "pending_receipt", "cancelled", "partially_received",
		"pending_refund_partially_received", "pending_refund", "refunded", "closed"};
	return status_name(s, letters, texts, names);
}

const char *bh_nsr_so_status(const char *s)
{
	static const char *const letters[8] = {"A", "B", "C", "D", "E", "F", "G", "H"};
	static const char *const texts[8] = {
		"Pending Approval", "Pending Fulfillment", "Cancelled", "Partially Fulfilled",
		"Pending Billing/Partially Fulfilled", "Pending Billing", "Billed", "Closed"};
	static const char *const names[8] = {
		"pending_approval", "pending_fulfillment", "cancelled", "partially_fulfilled",
		"pending_billing_partially_fulfilled", "pending_billing", "billed", "closed"};
	return status_name(s, letters, texts, names);
}

bool bh_nsr_dry_run(const struct bh_nsr *c)
{
	return c->host->dry_run && c->host->dry_run(c->inst);
}

int bh_nsr_dry_answer(struct bh_nsr *c, char **out, const char *external_id, const char *type,
		      const char *what)
{
	struct json_object *extra = json_object_new_object();
	bh_plg_info(c->host, c->inst, "dry run: would %s %s %s", what, type,
		    external_id ? external_id : "");
	if (extra)
		json_object_object_add(extra, "dry_run", json_object_new_boolean(1));
	return bh_nsr_answer(out, NULL, external_id, type, false, extra);
}
