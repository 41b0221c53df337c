/*
 * fl_erp.c - ERP answers (sales order, RA, write answers) and the ERP change-feed
 * records `erp-receipt/1` / `erp-ra/1` parsed (see flowlib.h, sdk/RECORDS.md).
 *
 * Ownership: flowlib; parsed structs own their JSON tree. Threading: pure functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_priv.h"

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && v && json_object_get_boolean(v);
}

int bh_fl_erp_doc_parse(const char *text, struct bh_fl_erp_doc *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (err && errlen)
		err[0] = '\0';
	d->root = bh_fl_parse_object(text, 0, err, errlen);
	if (!d->root)
		return BH_EINVAL;
	d->internal_id = bh_fl_jid(d->root, "internal_id");
	d->external_id = bh_fl_jstr(d->root, "external_id");
	d->status = bh_fl_jstr(d->root, "status");
	d->tran_id = bh_fl_jstr(d->root, "tran_id");
	d->billing = bh_fl_jstr(d->root, "billing");
	d->sales_order_iid = bh_fl_jid(bh_fl_jobj(d->root, "sales_order"), "internal_id");
	d->flag = jbool(d->root, "flag");
	if (!d->internal_id)
		return bh_fl_err(err, errlen, "ERP answer without internal_id");
	struct json_object *a = bh_fl_jarr(d->root, "lines");
	size_t n = a ? json_object_array_length(a) : 0;
	if (n) {
		d->lines = calloc(n, sizeof(*d->lines));
		if (!d->lines)
			return BH_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(a, i);
		struct bh_fl_erp_line *x = &d->lines[d->n_lines];
		x->sku = bh_fl_jstr(l, "sku");
		if (bh_fl_jint(l, "quantity", 0, &x->quantity) != 0 ||
		    bh_fl_jint(l, "quantity_received", 0, &x->quantity_received) != 0 ||
		    bh_fl_jint(l, "quantity_billed", 0, &x->quantity_billed) != 0)
			return bh_fl_err(err, errlen, "ERP answer %s: line %zu has a bad quantity",
					 d->internal_id, i + 1);
		x->closed = jbool(l, "closed");
		d->n_lines++;
	}
	return BH_OK;
}

void bh_fl_erp_doc_free(struct bh_fl_erp_doc *d)
{
	if (!d)
		return;
	free(d->lines);
	json_object_put(d->root);
	memset(d, 0, sizeof(*d));
}

int64_t bh_fl_erp_qty(const struct bh_fl_erp_doc *d, const char *sku)
{
	int64_t q = 0;
	for (size_t i = 0; sku && i < d->n_lines; i++)
		if (d->lines[i].sku && !strcmp(d->lines[i].sku, sku))
			q += d->lines[i].quantity;
	return q;
}

int64_t bh_fl_erp_received(const struct bh_fl_erp_doc *d, const char *sku)
{
	int64_t q = 0;
	for (size_t i = 0; sku && i < d->n_lines; i++)
		if (d->lines[i].sku && !strcmp(d->lines[i].sku, sku))
			q += d->lines[i].quantity_received;
	return q;
}

int bh_fl_write_parse(const char *text, struct bh_fl_write *w)
{
	memset(w, 0, sizeof(*w));
	struct json_object *o = bh_fl_parse_object(text, 0, NULL, 0);
	if (!o)
		return BH_EINVAL;
	const char *iid = bh_fl_jid(o, "internal_id"), *xid = bh_fl_jstr(o, "external_id");
	snprintf(w->internal_id, sizeof(w->internal_id), "%s", iid ? iid : "");
	snprintf(w->external_id, sizeof(w->external_id), "%s", xid ? xid : "");
	w->created = jbool(o, "created");
	json_object_put(o);
	return BH_OK;
}

int bh_fl_erp_event_parse(const char *body, size_t len, struct bh_fl_erp_event *e, char *err,
			  size_t errlen)
{
	memset(e, 0, sizeof(*e));
	if (err && errlen)
		err[0] = '\0';
	e->root = bh_fl_parse_object(body, len, err, errlen);
	if (!e->root)
		return BH_EINVAL;
	e->schema = bh_fl_jstr(e->root, "schema");
	if (!e->schema || (strcmp(e->schema, "erp-receipt/1") && strcmp(e->schema, "erp-ra/1")))
		return bh_fl_err(err, errlen, "not an erp-receipt/1 or erp-ra/1 record (schema %s)",
				 e->schema ? e->schema : "missing");
	e->internal_id = bh_fl_jid(e->root, "internal_id");
	e->external_id = bh_fl_jstr(e->root, "external_id");
	e->return_id = bh_fl_jid(e->root, "return_id");
	struct json_object *ra = bh_fl_jobj(e->root, "ra");
	e->ra_internal_id = bh_fl_jid(ra, "internal_id");
	e->ra_external_id = bh_fl_jstr(ra, "external_id");
	e->status = bh_fl_jstr(e->root, "status");
	e->flag = jbool(e->root, "flag");
	if (!e->internal_id)
		return bh_fl_err(err, errlen, "%s record without internal_id", e->schema);
	return BH_OK;
}

void bh_fl_erp_event_free(struct bh_fl_erp_event *e)
{
	if (!e)
		return;
	json_object_put(e->root);
	memset(e, 0, sizeof(*e));
}
