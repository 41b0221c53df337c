/*
 * nssoap_feed.c - the ERP change feeds and the source poll().
 *
 * Feeds (erp.h changes()):
 *   item_receipts  item receipts with lastModifiedDate >= cursor whose createdFrom is an
 *                  engine RA (external id starting with ra_prefix) -> erp-receipt/1
 *   ra_closed      engine RAs in status Closed or Cancelled, lastModifiedDate >= cursor
 *                  -> erp-ra/1
 *   ra_flags       engine RAs whose flag field is set, all of them every time (the flow
 *                  re-flags the return every cycle while it is set) -> erp-ra/1
 * One call reads one page: a basic search, then searchMoreWithId while pages remain.
 * The cursor is a JSON text: {"since": ms, "max": ms, "sid": searchId, "page": n}; "sid"
 * and "page" only while a search is being paged (an expired search restarts from
 * "since"), and when the last page is read "since" moves to the highest
 * lastModifiedDate seen. Records modified at exactly that instant are read again next
 * time; their idempotency keys make the repeat harmless.
 *
 * poll() runs the three feeds page by page and emits each page's records together with
 * the combined cursor {"item_receipts": {...}, "ra_closed": {...}, "ra_flags": {...}} in
 * one durable commit: erp.receipt.created (key receipt:<id>), erp.ra.closed
 * (ra-closed:<id>:<status>), erp.ra.flagged (ra-flag:<id>:<cycle start ms>).
 *
 * Ownership: netsuite-soap plugin. Threading: changes() may run on any thread; poll()
 * runs on the source thread only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../common/text.h"
#include "nssoap.h"

enum feed { F_RECEIPTS, F_CLOSED, F_FLAGS };

static const char *const feed_names[] = {"item_receipts", "ra_closed", "ra_flags"};

struct cursor {
	int64_t since, max;
	char sid[160];
	int page;
};

static void cursor_parse(const char *text, struct cursor *cu)
{
	struct json_object *o = text && *text ? json_tokener_parse(text) : NULL, *v;
	memset(cu, 0, sizeof(*cu));
	if (!o)
		return;
	if (json_object_object_get_ex(o, "since", &v))
		cu->since = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "max", &v))
		cu->max = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "sid", &v) && json_object_is_type(v, json_type_string))
		snprintf(cu->sid, sizeof(cu->sid), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "page", &v))
		cu->page = json_object_get_int(v);
	json_object_put(o);
}

static struct json_object *cursor_json(const struct cursor *cu)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "since", json_object_new_int64(cu->since));
	if (cu->sid[0]) {
		json_object_object_add(o, "max", json_object_new_int64(cu->max));
		json_object_object_add(o, "sid", json_object_new_string(cu->sid));
		json_object_object_add(o, "page", json_object_new_int(cu->page));
	}
	return o;
}

/* The first page of the feed's search. */
static int feed_search(struct bh_nss *c, enum feed f, int64_t since, struct bh_nss_page *pg,
		       struct bh_status *st)
{
	static const char *const t_ir[] = {"_itemReceipt"};
	static const char *const t_ra[] = {"_returnAuthorization"};
	static const char *const s_closed[] = {"_returnAuthorizationClosed",
					       "_returnAuthorizationCancelled"};
	struct bh_nss_req q;
	xmlNodePtr b;
	bool ok;
	int rc = bh_nss_search_new(&q, c, "platformCommon:TransactionSearchBasic", f != F_RECEIPTS, &b);
	if (rc != BH_OK)
		return rc;
	/* TransactionSearchBasic order: externalIdString, lastModifiedDate, status, type,
	 * customFieldList */
	switch (f) {
	case F_RECEIPTS:
		ok = (since <= 0 || bh_nss_crit_date(&q, b, "lastModifiedDate", "onOrAfter", since)) &&
		     bh_nss_crit_enum(&q, b, "type", t_ir, 1);
		break;
	case F_CLOSED:
		ok = bh_nss_crit_string(&q, b, "externalIdString", "startsWith", c->ra_prefix) &&
		     (since <= 0 || bh_nss_crit_date(&q, b, "lastModifiedDate", "onOrAfter", since)) &&
		     bh_nss_crit_enum(&q, b, "status", s_closed, 2) &&
		     bh_nss_crit_enum(&q, b, "type", t_ra, 1);
		break;
	default:
		ok = bh_nss_crit_string(&q, b, "externalIdString", "startsWith", c->ra_prefix) &&
		     bh_nss_crit_enum(&q, b, "type", t_ra, 1) &&
		     bh_nss_crit_cf_bool(&q, b, c->flag_field, true);
		break;
	}
	rc = ok ? bh_nss_search_run(c, &q, pg, st) : BH_ENOMEM;
	bh_nss_req_free(&q);
	return rc;
}

/* getList of records of one type by internal id; recs[i] matches ids[i] (zeroed when
 * missing). */
static int get_list(struct bh_nss *c, const char *type, const char *const *ids, size_t n,
		    struct bh_nss_rec *recs, struct bh_status *st)
{
	struct bh_nss_req q;
	xmlDocPtr doc = NULL;
	xmlNodePtr op;
	int rc = bh_nss_req_new(&q, c, "getList", BH_NSS_PREFS_NONE, false);
	if (rc != BH_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		xmlNodePtr b = bh_nss_ref_el(q.op, q.msgs, "baseRef", ids[i], NULL, type);
		if (!b) {
			rc = BH_ENOMEM;
			goto out;
		}
		bh_nss_xsi_type(&q, b, "platformCore:RecordRef");
	}
	if ((rc = bh_nss_call(c, &q, &doc, &op, st, NULL, 0)) != BH_OK)
		goto out;
	xmlNodePtr rl = bh_nss_child(op, "readResponseList");
	for (xmlNodePtr rr = bh_nss_child(rl, "readResponse"); rr; rr = bh_nss_next(rr, "readResponse")) {
		struct bh_status st2 = {0};
		xmlNodePtr r = bh_nss_child(rr, "record");
		if (bh_nss_status_check(bh_nss_child(rr, "status"), &st2) != BH_OK || !r)
			continue;
		struct bh_nss_rec tmp;
		if ((rc = bh_nss_rec_parse(r, &tmp)) != BH_OK)
			goto out;
		bool used = false;
		for (size_t i = 0; i < n && !used; i++) {
			if (!recs[i].internal_id && tmp.internal_id && !strcmp(ids[i], tmp.internal_id)) {
				recs[i] = tmp;
				used = true;
			}
		}
		if (!used)
			bh_nss_rec_clear(&tmp);
	}
out:
	if (doc)
		xmlFreeDoc(doc);
	bh_nss_req_free(&q);
	return rc;
}

static bool engine_ra(const struct bh_nss *c, const char *eid)
{
	return eid && !strncmp(eid, c->ra_prefix, strlen(c->ra_prefix));
}

static struct json_object *ra_record(const struct bh_nss *c, const struct bh_nss_rec *r)
{
	char status[80], tbuf[40];
	const char *flag = bh_nss_rec_cf(r, c->flag_field);
	struct json_object *o = json_object_new_object();
	bh_plug_snake(r->status, status, sizeof(status));
	json_object_object_add(o, "schema", json_object_new_string("erp-ra/1"));
	json_object_object_add(o, "internal_id", json_object_new_string(r->internal_id ? r->internal_id : ""));
	json_object_object_add(o, "external_id", json_object_new_string(r->external_id));
	json_object_object_add(o, "return_id", json_object_new_string(r->external_id + strlen(c->ra_prefix)));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "flag", json_object_new_boolean(flag && !strcmp(flag, "true")));
	json_object_object_add(o, "last_modified", json_object_new_string(bh_nss_time_fmt(r->modified_ms, false, tbuf, sizeof(tbuf))));
	return o;
}

/* erp-receipt/1 records of a page of item receipts (engine RAs only). */
static int receipt_records(struct bh_nss *c, const struct bh_nss_page *pg, struct json_object *arr,
			   struct bh_status *st)
{
	const char **ras = calloc(pg->n ? pg->n : 1, sizeof(*ras));
	struct bh_nss_rec *rar = calloc(pg->n ? pg->n : 1, sizeof(*rar));
	size_t n_ra = 0;
	int rc = BH_ENOMEM;
	if (!ras || !rar)
		goto out;
	for (size_t i = 0; i < pg->n; i++) {
		const char *cf = pg->recs[i].created_from;
		bool dup = !cf;
		for (size_t k = 0; k < n_ra && !dup; k++)
			dup = !strcmp(ras[k], cf);
		if (!dup)
			ras[n_ra++] = cf;
	}
	if (n_ra && (rc = get_list(c, "returnAuthorization", ras, n_ra, rar, st)) != BH_OK)
		goto out;
	for (size_t i = 0; i < pg->n; i++) {
		const struct bh_nss_rec *r = &pg->recs[i];
		const struct bh_nss_rec *ra = NULL;
		for (size_t k = 0; k < n_ra && !ra && r->created_from; k++)
			if (!strcmp(ras[k], r->created_from) && rar[k].internal_id)
				ra = &rar[k];
		if (!ra || !engine_ra(c, ra->external_id))
			continue;
		const char **iids = calloc(r->n_lines ? r->n_lines : 1, sizeof(*iids));
		char **skus = calloc(r->n_lines ? r->n_lines : 1, sizeof(*skus));
		if (!iids || !skus) {
			free(iids);
			free(skus);
			rc = BH_ENOMEM;
			goto out;
		}
		for (size_t k = 0; k < r->n_lines; k++)
			iids[k] = r->lines[k].item;
		rc = bh_nss_item_skus(c, iids, r->n_lines, skus, st);
		if (rc == BH_OK) {
			char tbuf[40];
			struct json_object *o = json_object_new_object(), *lines = json_object_new_array();
			struct json_object *rj = json_object_new_object();
			json_object_object_add(o, "schema", json_object_new_string("erp-receipt/1"));
			json_object_object_add(o, "internal_id", json_object_new_string(r->internal_id ? r->internal_id : ""));
			json_object_object_add(o, "external_id", r->external_id ? json_object_new_string(r->external_id) : NULL);
			json_object_object_add(rj, "internal_id", json_object_new_string(ra->internal_id));
			json_object_object_add(rj, "external_id", json_object_new_string(ra->external_id));
			json_object_object_add(o, "ra", rj);
			json_object_object_add(o, "return_id", json_object_new_string(ra->external_id + strlen(c->ra_prefix)));
			json_object_object_add(o, "created_at", json_object_new_string(bh_nss_time_fmt(r->created_ms ? r->created_ms : r->modified_ms, false, tbuf, sizeof(tbuf))));
			for (size_t k = 0; k < r->n_lines; k++) {
				struct json_object *l = json_object_new_object();
				json_object_object_add(l, "sku", skus[k] ? json_object_new_string(skus[k]) : NULL);
				json_object_object_add(l, "quantity", json_object_new_int64(r->lines[k].quantity));
				json_object_object_add(l, "restock", json_object_new_boolean(r->lines[k].restock));
				json_object_array_add(lines, l);
			}
			json_object_object_add(o, "lines", lines);
			json_object_array_add(arr, o);
		}
		for (size_t k = 0; k < r->n_lines; k++)
			free(skus[k]);
		free(skus);
		free(iids);
		if (rc != BH_OK)
			goto out;
	}
	rc = BH_OK;
out:
	for (size_t k = 0; rar && k < n_ra; k++)
		bh_nss_rec_clear(&rar[k]);
	free(rar);
	free(ras);
	return rc;
}

int bh_nss_changes(void *ctx, const char *feed, const char *cursor_text, char **out,
		   struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct cursor cu;
	struct bh_nss_page pg = {0};
	enum feed f;
	int rc;

	*out = NULL;
	if (feed && !strcmp(feed, "item_receipts"))
		f = F_RECEIPTS;
	else if (feed && !strcmp(feed, "ra_closed"))
		f = F_CLOSED;
	else if (feed && !strcmp(feed, "ra_flags"))
		f = F_FLAGS;
	else {
		bh_nss_status_set(st, -1, "INVALID_DOCUMENT",
				  "unknown feed '%s' (item_receipts, ra_closed, ra_flags)", feed ? feed : "");
		return BH_EREJECT;
	}
	cursor_parse(cursor_text, &cu);
	rc = BH_ENOENT;
	if (cu.sid[0] && cu.page > 1)
		rc = bh_nss_search_more(c, cu.sid, cu.page, f != F_RECEIPTS, &pg, st);
	if (rc == BH_ENOENT) {
		/* no search in progress, or it expired: (re)start from `since` */
		cu.sid[0] = '\0';
		cu.max = 0;
		rc = feed_search(c, f, f == F_FLAGS ? 0 : cu.since, &pg, st);
	}
	if (rc != BH_OK)
		return rc;

	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	if (!o || !arr) {
		json_object_put(o);
		json_object_put(arr);
		bh_nss_page_clear(&pg);
		return BH_ENOMEM;
	}
	for (size_t i = 0; i < pg.n; i++)
		if (pg.recs[i].modified_ms > cu.max)
			cu.max = pg.recs[i].modified_ms;
	if (f == F_RECEIPTS) {
		rc = receipt_records(c, &pg, arr, st);
	} else {
		for (size_t i = 0; i < pg.n; i++)
			if (engine_ra(c, pg.recs[i].external_id))
				json_object_array_add(arr, ra_record(c, &pg.recs[i]));
	}
	bool more = rc == BH_OK && pg.page_index < pg.total_pages && pg.search_id[0];
	if (more) {
		snprintf(cu.sid, sizeof(cu.sid), "%s", pg.search_id);
		cu.page = pg.page_index + 1;
	} else {
		cu.sid[0] = '\0';
		cu.page = 0;
		if (f != F_FLAGS && cu.max > cu.since)
			cu.since = cu.max;
		cu.max = 0;
	}
	bh_nss_page_clear(&pg);
	if (rc != BH_OK) {
		json_object_put(o);
		json_object_put(arr);
		return rc;
	}
	struct json_object *cj = cursor_json(&cu);
	json_object_object_add(o, "records", arr);
	json_object_object_add(o, "next_cursor",
			       json_object_new_string(json_object_to_json_string_ext(cj, JSON_C_TO_STRING_PLAIN)));
	json_object_put(cj);
	json_object_object_add(o, "more", json_object_new_boolean(more));
	return bh_nss_json_out(o, out);
}

/* ------------------------------------------------------------------ poll */

#define MAX_PAGES_PER_POLL 1000

static const char *const topics[] = {"erp.receipt.created", "erp.ra.closed", "erp.ra.flagged"};

int bh_nss_poll(void *ctx)
{
	struct bh_nss *c = ctx;
	int64_t cycle = c->host->now_ms();
	char buf[8192];
	struct json_object *all = NULL;
	int rc = c->host->cursor_get(c->inst, buf, sizeof(buf));
	if (rc > 0)
		all = json_tokener_parse(buf);
	if (!all || !json_object_is_type(all, json_type_object)) {
		json_object_put(all);
		all = json_object_new_object();
	}
	if (!all)
		return BH_ENOMEM;
	rc = BH_OK;
	for (int f = F_RECEIPTS; f <= F_FLAGS && rc == BH_OK; f++) {
		struct json_object *fc;
		char *cur = NULL;
		/* flags: every RA whose flag is set, every cycle (no carried position) */
		if (f != F_FLAGS && json_object_object_get_ex(all, feed_names[f], &fc))
			cur = strdup(json_object_to_json_string_ext(fc, JSON_C_TO_STRING_PLAIN));
		for (int page = 0; page < MAX_PAGES_PER_POLL && !atomic_load(&c->stopping); page++) {
			struct bh_status st = {0};
			char *out = NULL;
			if ((rc = bh_nss_changes(c, feed_names[f], cur, &out, &st)) != BH_OK) {
				bh_plg_warn(c->host, c->inst, "feed %s: %s %s", feed_names[f], st.code,
					    st.message);
				break;
			}
			struct json_object *res = json_tokener_parse(out), *recs, *nc, *more;
			free(out);
			if (!res || !json_object_object_get_ex(res, "records", &recs) ||
			    !json_object_object_get_ex(res, "next_cursor", &nc) ||
			    !json_object_object_get_ex(res, "more", &more)) {
				json_object_put(res);
				rc = BH_EPROTO;
				break;
			}
			size_t n = json_object_array_length(recs);
			struct bh_emit *em = calloc(n ? n : 1, sizeof(*em));
			char (*keys)[96] = calloc(n ? n : 1, 96);
			if (!em || !keys) {
				free(em);
				free(keys);
				json_object_put(res);
				rc = BH_ENOMEM;
				break;
			}
			for (size_t i = 0; i < n; i++) {
				struct json_object *r = json_object_array_get_idx(recs, i);
				const char *iid = bh_nss_json_str(r, "internal_id");
				int64_t t = 0;
				if (f == F_RECEIPTS) {
					snprintf(keys[i], 96, "receipt:%s", iid);
					if (bh_nss_time_parse(bh_nss_json_str(r, "created_at"), &t) != BH_OK)
						t = 0;
				} else if (f == F_CLOSED) {
					snprintf(keys[i], 96, "ra-closed:%s:%s", iid,
						 bh_nss_json_str(r, "status"));
					if (bh_nss_time_parse(bh_nss_json_str(r, "last_modified"), &t) != BH_OK)
						t = 0;
				} else {
					snprintf(keys[i], 96, "ra-flag:%s:%" PRId64, iid, cycle);
				}
				em[i] = (struct bh_emit){.topic = topics[f], .key = keys[i],
							 .body = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN),
							 .time_ms = t};
			}
			struct json_object *ncj = json_tokener_parse(json_object_get_string(nc));
			json_object_object_add(all, feed_names[f], ncj);
			const char *cursor = json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN);
			bool changed = f != F_FLAGS && (!cur || strcmp(cur, json_object_get_string(nc)) != 0);
			int er = (n || changed) ? c->host->emit(c->inst, em, n, cursor) : 0;
			free(cur);
			cur = strdup(json_object_get_string(nc));
			bool go_on = json_object_get_boolean(more);
			free(em);
			free(keys);
			json_object_put(res);
			if (er < 0) {
				rc = er;
				break;
			}
			if (n)
				c->host->counter_add(c->inst, feed_names[f], (int64_t)n);
			if (!go_on)
				break;
		}
		free(cur);
	}
	json_object_put(all);
	return rc;
}
