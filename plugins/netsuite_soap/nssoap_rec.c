/*
 * nssoap_rec.c - reading SuiteTalk records (customer, item, sales order, return
 * authorization, item receipt, cash refund, credit memo, customer refund) out of
 * response trees into struct bh_nss_rec; exact decimals (xsd:double text to cents
 * without floating point), xsd:dateTime <-> ms, canonical status names, and the JSON
 * helpers the operations share.
 *
 * Ownership: netsuite-soap plugin; a bh_nss_rec owns its strings (bh_nss_rec_clear).
 * Threading: pure functions.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "../common/money.h"
#include "nssoap.h"

/* ------------------------------------------------------------------ decimals */

int bh_nss_dec_cents(const char *s, int64_t *cents)
{
	bool neg = false, any = false, dot = false;
	uint64_t mant = 0;
	int exp10 = 0, digits = 0;
	int round_digit = -1;   /* first digit dropped for precision, for rounding */

	if (!s)
		return BH_EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.') {
			if (dot)
				return BH_EINVAL;
			dot = true;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			break;
		any = true;
		int d = *s - '0';
		if (digits < 18) {
			if (mant || d)
				digits++;
			mant = mant * 10 + (uint64_t)d;
			if (dot)
				exp10--;
		} else {
			/* beyond 18 significant digits: keep the first for rounding and the scale */
			if (round_digit < 0)
				round_digit = d;
			if (!dot)
				exp10++;
		}
	}
	if (!any)
		return BH_EINVAL;
	if (*s == 'e' || *s == 'E') {
		char *end;
		long e = strtol(s + 1, &end, 10);
		if (end == s + 1 || e > 400 || e < -400)
			return BH_EINVAL;
		exp10 += (int)e;
		s = end;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return BH_EINVAL;
	/* cents = mant * 10^(exp10 + 2); half away from zero on the first dropped digit */
	int k = exp10 + 2;
	if (k > 0) {
		if (round_digit >= 0)
			return BH_EINVAL; /* more than 18 significant digits of whole cents */
		for (; k > 0; k--) {
			if (mant > (uint64_t)INT64_MAX / 10)
				return BH_EINVAL;
			mant *= 10;
		}
	} else if (k == 0) {
		if (round_digit >= 5)
			mant++;
	} else {
		int first = 0;
		for (; k < 0; k++) {
			first = (int)(mant % 10);
			mant /= 10;
		}
		if (first >= 5)
			mant++;
	}
	if (mant > (uint64_t)INT64_MAX)
		return BH_EINVAL;
	*cents = neg ? -(int64_t)mant : (int64_t)mant;
	return BH_OK;
}

int bh_nss_dec_qty(const char *s, int64_t *qty)
{
	int64_t c;
	if (bh_nss_dec_cents(s, &c) != BH_OK || c % 100 != 0)
		return BH_EINVAL;
	*qty = c / 100;
	return BH_OK;
}

/* ------------------------------------------------------------------ times */

int bh_nss_time_parse(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	int64_t frac = 0, off_min = 0;

	if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return BH_EINVAL;
	s += n;
	if (*s == 'T') {
		if (sscanf(s, "T%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3)
			return BH_EINVAL;
		s += n;
		if (*s == '.') {
			int scale = 0;
			for (s++; isdigit((unsigned char)*s); s++) {
				if (scale < 3) {
					frac = frac * 10 + (*s - '0');
					scale++;
				}
			}
			for (; scale < 3; scale++)
				frac *= 10;
		}
		if (*s == 'Z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int oh, om;
			int sign = *s == '-' ? -1 : 1;
			if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2)
				return BH_EINVAL;
			off_min = sign * (oh * 60 + om);
			s += 1 + n;
		}
	}
	if (*s)
		return BH_EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	*ms = ((int64_t)t - off_min * 60) * 1000 + frac;
	return BH_OK;
}

char *bh_nss_time_fmt(int64_t ms, bool with_ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (with_ms)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* ------------------------------------------------------------------ records */

void bh_nss_rec_clear(struct bh_nss_rec *r)
{
	free(r->internal_id);
	free(r->external_id);
	free(r->status);
	free(r->tran_id);
	free(r->memo);
	free(r->other_ref_num);
	free(r->order_status);
	free(r->entity);
	free(r->created_from);
	free(r->item_id);
	free(r->email);
	free(r->first_name);
	free(r->last_name);
	for (size_t i = 0; i < r->n_cf; i++) {
		free(r->cf[i].script_id);
		free(r->cf[i].value);
	}
	free(r->cf);
	for (size_t i = 0; i < r->n_lines; i++) {
		free(r->lines[i].item);
		free(r->lines[i].description);
	}
	free(r->lines);
	for (size_t i = 0; i < r->n_apply; i++)
		free(r->apply_docs[i]);
	free(r->apply_docs);
	memset(r, 0, sizeof(*r));
}

const char *bh_nss_rec_cf(const struct bh_nss_rec *r, const char *script_id)
{
	for (size_t i = 0; script_id && i < r->n_cf; i++)
		if (r->cf[i].script_id && !strcasecmp(r->cf[i].script_id, script_id))
			return r->cf[i].value;
	return NULL;
}

static bool is(xmlNodePtr n, const char *name)
{
	return !strcmp((const char *)n->name, name);
}

static int parse_cfs(xmlNodePtr list, struct bh_nss_cf **cf, size_t *n)
{
	for (xmlNodePtr c = bh_nss_child(list, "customField"); c; c = bh_nss_next(c, "customField")) {
		struct bh_nss_cf *g = realloc(*cf, (*n + 1) * sizeof(**cf));
		if (!g)
			return BH_ENOMEM;
		*cf = g;
		struct bh_nss_cf *f = &g[(*n)++];
		f->script_id = bh_nss_attr(c, "scriptId");
		if (!f->script_id)
			f->script_id = bh_nss_attr(c, "internalId");
		xmlNodePtr v = bh_nss_child(c, "value");
		f->value = NULL;
		if (v) {
			f->value = bh_nss_attr(v, "internalId");
			if (!f->value)
				f->value = bh_nss_text(v);
		}
	}
	return BH_OK;
}

static bool text_true(xmlNodePtr n)
{
	char *t = bh_nss_text(n);
	bool v = t && (!strcmp(t, "true") || !strcmp(t, "1"));
	free(t);
	return v;
}

static void money_of(xmlNodePtr n, int64_t *v, bool *has)
{
	char *t = bh_nss_text(n);
	if (t && bh_nss_dec_cents(t, v) == BH_OK && has)
		*has = true;
	free(t);
}

static void qty_of(xmlNodePtr n, int64_t *v)
{
	char *t = bh_nss_text(n);
	int64_t c;
	/* quantities are whole units in our documents; keep the integer part */
	if (t && bh_nss_dec_cents(t, &c) == BH_OK)
		*v = c / 100;
	free(t);
}

static void long_of(xmlNodePtr n, int64_t *v)
{
	char *t = bh_nss_text(n);
	if (t)
		*v = strtoll(t, NULL, 10);
	free(t);
}

static void time_of(xmlNodePtr n, int64_t *v)
{
	char *t = bh_nss_text(n);
	if (t && bh_nss_time_parse(t, v) != BH_OK)
		*v = 0;
	free(t);
}

static int parse_line(xmlNodePtr it, struct bh_nss_line *l)
{
	memset(l, 0, sizeof(*l));
	l->receive = true;
	for (xmlNodePtr f = bh_nss_child(it, NULL); f; f = bh_nss_next(f, NULL)) {
		if (is(f, "item"))
			l->item = bh_nss_attr(f, "internalId");
		else if (is(f, "line"))
			long_of(f, &l->line);
		else if (is(f, "orderLine"))
			long_of(f, &l->order_line);
		else if (is(f, "quantity"))
			qty_of(f, &l->quantity);
		else if (is(f, "quantityReceived") || is(f, "quantityFulfilled"))
			qty_of(f, &l->qty_received);
		else if (is(f, "quantityBilled"))
			qty_of(f, &l->qty_billed);
		else if (is(f, "rate"))
			money_of(f, &l->rate, &l->has_rate);
		else if (is(f, "amount"))
			money_of(f, &l->amount, &l->has_amount);
		else if (is(f, "taxAmount") || is(f, "tax1Amt"))
			money_of(f, &l->tax, NULL);
		else if (is(f, "isClosed"))
			l->closed = text_true(f);
		else if (is(f, "restock"))
			l->restock = text_true(f);
		else if (is(f, "itemReceive"))
			l->receive = text_true(f);
		else if (is(f, "description")) {
			free(l->description);
			l->description = bh_nss_text(f);
		}
	}
	return BH_OK;
}

int bh_nss_rec_parse(xmlNodePtr rec, struct bh_nss_rec *r)
{
	memset(r, 0, sizeof(*r));
	bh_nss_xsi_local(rec, r->xsi, sizeof(r->xsi));
	r->internal_id = bh_nss_attr(rec, "internalId");
	r->external_id = bh_nss_attr(rec, "externalId");
	for (xmlNodePtr f = bh_nss_child(rec, NULL); f; f = bh_nss_next(f, NULL)) {
		char **str = NULL;
		if (is(f, "status"))
			str = &r->status;
		else if (is(f, "tranId"))
			str = &r->tran_id;
		else if (is(f, "memo"))
			str = &r->memo;
		else if (is(f, "otherRefNum"))
			str = &r->other_ref_num;
		else if (is(f, "orderStatus"))
			str = &r->order_status;
		else if (is(f, "itemId"))
			str = &r->item_id;
		else if (is(f, "email"))
			str = &r->email;
		else if (is(f, "firstName"))
			str = &r->first_name;
		else if (is(f, "lastName"))
			str = &r->last_name;
		if (str) {
			free(*str);
			*str = bh_nss_text(f);
			continue;
		}
		if (is(f, "entity") || is(f, "customer")) {
			free(r->entity);
			r->entity = bh_nss_attr(f, "internalId");
		} else if (is(f, "createdFrom")) {
			free(r->created_from);
			r->created_from = bh_nss_attr(f, "internalId");
		} else if (is(f, "createdDate")) {
			time_of(f, &r->created_ms);
		} else if (is(f, "lastModifiedDate")) {
			time_of(f, &r->modified_ms);
		} else if (is(f, "tranDate")) {
			time_of(f, &r->tran_date_ms);
		} else if (is(f, "total")) {
			money_of(f, &r->total, &r->has_total);
		} else if (is(f, "taxTotal")) {
			money_of(f, &r->tax_total, NULL);
		} else if (is(f, "shippingCost")) {
			money_of(f, &r->shipping, NULL);
		} else if (is(f, "customFieldList")) {
			if (parse_cfs(f, &r->cf, &r->n_cf) != BH_OK)
				goto nomem;
		} else if (is(f, "applyList")) {
			/* customer refund: the credit memos (doc) it applies */
			for (xmlNodePtr a = bh_nss_child(f, "apply"); a; a = bh_nss_next(a, "apply")) {
				xmlNodePtr ap = bh_nss_child(a, "apply");
				if (ap && !text_true(ap))
					continue;
				char *doc = bh_nss_child_text(a, "doc");
				char **g = doc ? realloc(r->apply_docs, (r->n_apply + 1) * sizeof(*g)) : NULL;
				if (!g) {
					free(doc);
					if (doc)
						goto nomem;
					continue;
				}
				r->apply_docs = g;
				g[r->n_apply++] = doc;
			}
		} else if (is(f, "itemList")) {
			for (xmlNodePtr it = bh_nss_child(f, "item"); it; it = bh_nss_next(it, "item")) {
				struct bh_nss_line *g = realloc(r->lines, (r->n_lines + 1) * sizeof(*g));
				if (!g)
					goto nomem;
				r->lines = g;
				parse_line(it, &g[r->n_lines++]);
			}
		}
	}
	return BH_OK;
nomem:
	bh_nss_rec_clear(r);
	return BH_ENOMEM;
}

/* ------------------------------------------------------------------ JSON helpers */

int bh_nss_json_out(struct json_object *obj, char **out)
{
	if (!obj)
		return BH_ENOMEM;
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = s ? strdup(s) : NULL;
	json_object_put(obj);
	return *out ? BH_OK : BH_ENOMEM;
}

struct json_object *bh_nss_write_answer(const char *iid, const char *eid, const char *type,
					bool created)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "internal_id", json_object_new_string(iid ? iid : ""));
	json_object_object_add(o, "external_id", eid ? json_object_new_string(eid) : NULL);
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "created", json_object_new_boolean(created));
	return o;
}

int bh_nss_json_in(const char *text, struct json_object **obj, struct bh_status *st)
{
	*obj = text ? json_tokener_parse(text) : NULL;
	if (!*obj || !json_object_is_type(*obj, json_type_object)) {
		if (*obj)
			json_object_put(*obj);
		*obj = NULL;
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT", "the document is not a JSON object");
		return BH_EREJECT;
	}
	return BH_OK;
}

const char *bh_nss_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int bh_nss_json_money(struct json_object *o, const char *key, int64_t *cents, bool *present,
		      struct bh_status *st)
{
	struct json_object *v;
	*cents = 0;
	if (present)
		*present = false;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return BH_OK;
	if (!json_object_is_type(v, json_type_string) ||
	    bh_money_parse(json_object_get_string(v), cents) != BH_OK) {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT",
				  "'%s' must be a decimal string with at most two decimals", key);
		return BH_EREJECT;
	}
	if (present)
		*present = true;
	return BH_OK;
}
