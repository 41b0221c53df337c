/*
 * nsr_feed.c - the ERP change feeds of the netsuite-rest plugin (erp changes()) and the
 * source that emits them (poll()).
 *
 * Feeds (only return authorizations the engine created: external id ra_prefix*,
 * "loop-ra-" by default):
 *   item_receipts  item receipts created from those RAs, by lastmodifieddate
 *                  -> erp.receipt.created, key "receipt:<id>", body erp-receipt/1
 *   ra_closed      those RAs with status Closed (H) or Cancelled (C), by lastmodifieddate
 *                  -> erp.ra.closed, key "ra-closed:<id>:<status>", body erp-ra/1
 *   ra_flags       those RAs whose flag_field checkbox is set: every one, every cycle
 *                  (a state, not an event) -> erp.ra.flagged,
 *                  key "ra-flag:<id>:<poll cycle start ms>", body erp-ra/1
 * The dated feeds use SuiteQL ordered by (lastmodifieddate, id). Their cursor is
 * "v1|<since>|<offset>|<high>": since and high are the account's local times
 * "YYYY-MM-DD HH24:MI:SS" as SuiteQL shows them; a sweep reads everything modified at
 * or after since - 10 minutes, page by page (offset), remembering the highest time
 * seen; when the sweep ends the next one starts at that high-water mark. The overlap
 * re-reads recent changes (same-second writes, clock steps); the idempotency keys make
 * the repeats harmless. ra_flags pages by id ("v1|<after id>") and starts over ("")
 * when a sweep ends. Bodies carry UTC times read from the REST record API.
 *
 * poll() keeps one instance cursor, {"item_receipts": c1, "ra_closed": c2}, and emits each
 * page with the advanced cursor in one durable commit. At most 50 pages per feed per
 * cycle. (A cursor of netsuite-soap is not understood: the feeds then start over, and
 * the idempotency keys drop what was already emitted.)
 *
 * Ownership: netsuite-rest plugin. Threading: changes() may run on any thread; poll()
 * on the source thread only; no shared state besides the thread-safe request layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "nsr.h"

#define TFMT "YYYY-MM-DD HH24:MI:SS"
#define OVERLAP_S 600      /* re-read the last 10 minutes of changes each sweep */
#define MAX_PAGES 50       /* pages per feed and poll cycle */

/* ------------------------------------------------------------------ times */

/* "YYYY-MM-DD HH:MM:SS" (naive) -> seconds as if UTC; -1 when malformed. */
static int64_t naive_parse(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

static void naive_format(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* RFC 3339 ("2026-11-01T10:00:00Z", fraction and offset allowed) -> ms; 0 when bad. */
static int64_t rfc3339_ms(const char *s)
{
	struct tm tm;
	int off = 0;
	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	const char *p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == '+' || *p == '-') {
		int h = 0, m = 0;
		if (sscanf(p + 1, "%2d:%2d", &h, &m) >= 1)
			off = (h * 60 + m) * 60 * (*p == '-' ? -1 : 1);
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return ((int64_t)timegm(&tm) - off) * 1000;
}

/* ------------------------------------------------------------------ cursors */

struct dated_cursor {
	char since[24];
	int64_t offset;
	char high[24];
};

static void dated_parse(const char *cursor, struct dated_cursor *d)
{
	memset(d, 0, sizeof(*d));
	if (!cursor || strncmp(cursor, "v1|", 3) != 0)
		return;
	const char *p = cursor + 3;
	const char *bar = strchr(p, '|');
	if (!bar)
		return;
	snprintf(d->since, sizeof(d->since), "%.*s", (int)(bar - p), p);
	p = bar + 1;
	d->offset = strtoll(p, NULL, 10);
	bar = strchr(p, '|');
	if (bar)
		snprintf(d->high, sizeof(d->high), "%s", bar + 1);
	if (naive_parse(d->since) < 0)
		d->since[0] = '\0';
	if (naive_parse(d->high) < 0)
		d->high[0] = '\0';
	if (d->offset < 0)
		d->offset = 0;
}

/* ------------------------------------------------------------------ records */

static const char *return_id_of(const struct bh_nsr *c, const char *eid)
{
	size_t n = strlen(c->ra_prefix);
	return eid && strncmp(eid, c->ra_prefix, n) == 0 ? eid + n : NULL;
}

/* The LIKE pattern of the engine's RAs: ra_prefix with % _ \ escaped, then %. */
static struct json_object *prefix_pattern(const struct bh_nsr *c)
{
	char buf[256];
	size_t o = 0;
	for (const char *p = c->ra_prefix; *p && o + 3 < sizeof(buf); p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	buf[o++] = '%';
	buf[o] = '\0';
	return json_object_new_string(buf);
}

static struct json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* erp-ra/1 of an RA read from the record API. */
static int ra_record(struct bh_nsr *c, const char *id, struct json_object **rec,
		     struct bh_status *st)
{
	struct json_object *ra = NULL;
	char fields[256];
	snprintf(fields, sizeof(fields), "externalId,status,lastModifiedDate%s%s",
		 c->flag_field && *c->flag_field ? "," : "", c->flag_field ? c->flag_field : "");
	int rc = bh_nsr_get(c, BH_NSR_T_RA, id, false, fields, &ra, st);
	if (rc != BH_OK)
		return rc;
	struct json_object *o = json_object_new_object();
	if (!o) {
		json_object_put(ra);
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	}
	const char *eid = bh_nsr_jstr(ra, "externalId");
	struct json_object *status = bh_nsr_jobj(ra, "status");
	json_object_object_add(o, "schema", json_object_new_string("erp-ra/1"));
	json_object_object_add(o, "internal_id", json_object_new_string(id));
	json_object_object_add(o, "external_id", jstr_or_null(eid));
	json_object_object_add(o, "return_id", jstr_or_null(return_id_of(c, eid)));
	json_object_object_add(o, "status", json_object_new_string(bh_nsr_ra_status(
			       status ? bh_nsr_jstr(status, "id") : bh_nsr_jstr(ra, "status"))));
	json_object_object_add(o, "flag", json_object_new_boolean(
			       c->flag_field && *c->flag_field &&
			       bh_nsr_jbool(ra, c->flag_field, false)));
	json_object_object_add(o, "last_modified",
			       jstr_or_null(bh_nsr_jstr(ra, "lastModifiedDate")));
	json_object_put(ra);
	*rec = o;
	return BH_OK;
}

/* erp-receipt/1 of a receipt (its RA's external id from the query). */
static int receipt_record(struct bh_nsr *c, const char *id, const char *ra_eid,
			  struct json_object **rec, struct bh_status *st)
{
	struct json_object *ir = NULL, *o = NULL, *lines = NULL;
	struct bh_nsr_map ids = {0};
	int rc = bh_nsr_get(c, BH_NSR_T_IR, id, true, NULL, &ir, st);
	if (rc != BH_OK)
		return rc;
	struct json_object *items = bh_nsr_jarr(bh_nsr_jobj(ir, "item"), "items");
	size_t n = items ? json_object_array_length(items) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *item = bh_nsr_jref_id(json_object_array_get_idx(items, i), "item");
		if (item && bh_nsr_map_add(&ids, item) != BH_OK)
			goto nomem;
	}
	if ((rc = bh_nsr_items_skus(c, &ids, st)) != BH_OK)
		goto out;
	o = json_object_new_object();
	lines = json_object_new_array();
	struct json_object *ra = json_object_new_object();
	if (!o || !lines || !ra) {
		json_object_put(ra);
		goto nomem;
	}
	json_object_object_add(o, "schema", json_object_new_string("erp-receipt/1"));
	json_object_object_add(o, "internal_id", json_object_new_string(id));
	json_object_object_add(o, "external_id", jstr_or_null(bh_nsr_jstr(ir, "externalId")));
	json_object_object_add(ra, "internal_id", jstr_or_null(bh_nsr_jref_id(ir, "createdFrom")));
	json_object_object_add(ra, "external_id", jstr_or_null(ra_eid));
	json_object_object_add(o, "ra", ra);
	json_object_object_add(o, "return_id", jstr_or_null(return_id_of(c, ra_eid)));
	json_object_object_add(o, "created_at", jstr_or_null(bh_nsr_jstr(ir, "createdDate")));
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(items, i);
		struct json_object *cl = json_object_new_object();
		int64_t q = 0;
		if (!bh_nsr_jbool(l, "itemReceive", true)) {
			json_object_put(cl);
			continue;
		}
		if (bh_nsr_jqty(l, "quantity", &q) != BH_OK)
			q = 0;
		json_object_object_add(cl, "sku",
				       jstr_or_null(bh_nsr_map_get(&ids, bh_nsr_jref_id(l, "item"))));
		json_object_object_add(cl, "quantity", json_object_new_int64(q < 0 ? -q : q));
		json_object_object_add(cl, "restock",
				       json_object_new_boolean(bh_nsr_jbool(l, "restock", false)));
		json_object_array_add(lines, cl);
	}
	json_object_object_add(o, "lines", lines);
	lines = NULL;
	*rec = o;
	o = NULL;
	rc = BH_OK;
	goto out;
nomem:
	rc = bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
out:
	bh_nsr_map_free(&ids);
	json_object_put(lines);
	json_object_put(o);
	json_object_put(ir);
	return rc;
}

/* ------------------------------------------------------------------ pages */

enum feed { F_RECEIPTS, F_CLOSED, F_FLAGS };

static int feed_kind(const char *name, enum feed *f)
{
	if (name && strcmp(name, "item_receipts") == 0)
		*f = F_RECEIPTS;
	else if (name && strcmp(name, "ra_closed") == 0)
		*f = F_CLOSED;
	else if (name && strcmp(name, "ra_flags") == 0)
		*f = F_FLAGS;
	else
		return BH_EINVAL;
	return BH_OK;
}

/* One page of a dated feed. */
static int dated_page(struct bh_nsr *c, enum feed f, const char *cursor,
		      struct json_object *records, char *next, size_t nlen, bool *more,
		      struct bh_status *st)
{
	struct dated_cursor d;
	struct json_object *params = json_object_new_array(), *rows = NULL;
	char q[1024], from[24] = "", high[24];
	int rc;

	if (!params)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	dated_parse(cursor, &d);
	snprintf(high, sizeof(high), "%s", d.high);
	json_object_array_add(params, prefix_pattern(c));
	if (d.since[0]) {
		naive_format(naive_parse(d.since) - OVERLAP_S, from, sizeof(from));
		json_object_array_add(params, json_object_new_string(from));
	}
	if (f == F_RECEIPTS)
		snprintf(q, sizeof(q),
			 "SELECT ir.id AS id, ra.externalid AS ra_eid, "
			 "TO_CHAR(ir.lastmodifieddate, '" TFMT "') AS lm "
			 "FROM transaction ir INNER JOIN transaction ra ON ir.createdfrom = ra.id "
			 "WHERE ir.type = 'ItemRcpt' AND ra.type = 'RtnAuth' "
			 "AND ra.externalid LIKE ? ESCAPE '\\'%s "
			 "ORDER BY ir.lastmodifieddate, ir.id",
			 from[0] ? " AND ir.lastmodifieddate >= TO_DATE(?, '" TFMT "')" : "");
	else
		snprintf(q, sizeof(q),
			 "SELECT id, TO_CHAR(lastmodifieddate, '" TFMT "') AS lm "
			 "FROM transaction WHERE type = 'RtnAuth' "
			 "AND externalid LIKE ? ESCAPE '\\' "
			 "AND status IN ('C', 'H', 'RtnAuth:C', 'RtnAuth:H')%s "
			 "ORDER BY lastmodifieddate, id",
			 from[0] ? " AND lastmodifieddate >= TO_DATE(?, '" TFMT "')" : "");
	rc = bh_nsr_suiteql(c, q, params, c->page_size, d.offset, &rows, more, st);
	json_object_put(params);
	if (rc != BH_OK)
		return rc;
	size_t n = json_object_array_length(rows);
	for (size_t i = 0; i < n && rc == BH_OK; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i), *rec = NULL;
		const char *id = bh_nsr_jstr(row, "id");
		const char *lm = bh_nsr_jstr(row, "lm");
		if (!id)
			continue;
		if (lm && naive_parse(lm) >= 0 && (!high[0] || strcmp(lm, high) > 0))
			snprintf(high, sizeof(high), "%s", lm);
		rc = f == F_RECEIPTS ? receipt_record(c, id, bh_nsr_jstr(row, "ra_eid"), &rec, st)
				     : ra_record(c, id, &rec, st);
		if (rc == BH_ENOENT) {
			rc = BH_OK;   /* gone between the query and the read */
			continue;
		}
		if (rc == BH_OK)
			json_object_array_add(records, rec);
	}
	json_object_put(rows);
	if (rc != BH_OK)
		return rc;
	if (*more)
		snprintf(next, nlen, "v1|%s|%lld|%s", d.since, (long long)(d.offset + (int64_t)n),
			 high);
	else
		snprintf(next, nlen, "v1|%s|0|", high[0] ? high : d.since);
	return BH_OK;
}

static int flags_page(struct bh_nsr *c, const char *cursor, struct json_object *records,
		      char *next, size_t nlen, bool *more, struct bh_status *st)
{
	struct json_object *rows = NULL;
	long long after = 0;
	char q[768];
	int rc;

	if (!c->flag_field || !*c->flag_field)
		return bh_nsr_fail(st, BH_EREJECT, "NO_FLAG_FIELD",
				   "flag_field is not configured: there is no ra_flags feed");
	if (cursor && strncmp(cursor, "v1|", 3) == 0)
		after = strtoll(cursor + 3, NULL, 10);
	struct json_object *params = json_object_new_array();
	if (!params)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	json_object_array_add(params, prefix_pattern(c));
	snprintf(q, sizeof(q),
		 "SELECT id FROM transaction WHERE type = 'RtnAuth' "
		 "AND externalid LIKE ? ESCAPE '\\' AND %s = 'T' AND id > %lld ORDER BY id",
		 c->flag_col, after < 0 ? 0 : after);
	rc = bh_nsr_suiteql(c, q, params, c->page_size, 0, &rows, more, st);
	json_object_put(params);
	if (rc != BH_OK)
		return rc;
	size_t n = json_object_array_length(rows);
	const char *last = NULL;
	for (size_t i = 0; i < n && rc == BH_OK; i++) {
		struct json_object *rec = NULL;
		const char *id = bh_nsr_jstr(json_object_array_get_idx(rows, i), "id");
		if (!id)
			continue;
		last = id;
		rc = ra_record(c, id, &rec, st);
		if (rc == BH_ENOENT) {
			rc = BH_OK;
			continue;
		}
		if (rc != BH_OK)
			break;
		if (bh_nsr_jbool(rec, "flag", false))
			json_object_array_add(records, rec);
		else
			json_object_put(rec);   /* cleared since the query */
	}
	if (rc == BH_OK) {
		if (*more && last)
			snprintf(next, nlen, "v1|%s", last);
		else
			next[0] = '\0';
	}
	json_object_put(rows);
	return rc;
}

static int feed_page(struct bh_nsr *c, enum feed f, const char *cursor,
		     struct json_object *records, char *next, size_t nlen, bool *more,
		     struct bh_status *st)
{
	*more = false;
	if (f == F_FLAGS)
		return flags_page(c, cursor, records, next, nlen, more, st);
	return dated_page(c, f, cursor, records, next, nlen, more, st);
}

int bh_nsr_changes(void *ctx, const char *feed, const char *cursor, char **out,
		   struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct json_object *o, *records;
	char next[128] = "";
	bool more = false;
	enum feed f;
	int rc;

	*out = NULL;
	if (feed_kind(feed, &f) != BH_OK)
		return bh_nsr_fail(st, BH_EREJECT, "UNKNOWN_FEED",
				   "unknown feed '%s' (item_receipts, ra_closed, ra_flags)",
				   feed ? feed : "");
	records = json_object_new_array();
	if (!records)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	rc = feed_page(c, f, cursor, records, next, sizeof(next), &more, st);
	if (rc != BH_OK) {
		json_object_put(records);
		return rc;
	}
	o = json_object_new_object();
	if (!o) {
		json_object_put(records);
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	}
	json_object_object_add(o, "records", records);
	json_object_object_add(o, "next_cursor", json_object_new_string(next));
	json_object_object_add(o, "more", json_object_new_boolean(more));
	rc = bh_nsr_dump(o, out);
	json_object_put(o);
	return rc;
}

/* ------------------------------------------------------------------ source */

/* Emit one page; cursor_json is the instance cursor to store with it. */
static int emit_page(struct bh_nsr *c, enum feed f, struct json_object *records,
		     int64_t cycle_ms, const char *cursor_json)
{
	size_t n = json_object_array_length(records);
	struct bh_emit *e = calloc(n + 1, sizeof(*e));
	char (*keys)[160] = calloc(n + 1, sizeof(*keys));
	int rc = BH_ENOMEM;
	if (!e || !keys)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(records, i);
		const char *id = bh_nsr_jstr(r, "internal_id");
		switch (f) {
		case F_RECEIPTS:
			snprintf(keys[i], sizeof(keys[i]), "receipt:%s", id);
			e[i].topic = "erp.receipt.created";
			e[i].time_ms = rfc3339_ms(bh_nsr_jstr(r, "created_at"));
			break;
		case F_CLOSED:
			snprintf(keys[i], sizeof(keys[i]), "ra-closed:%s:%s", id,
				 bh_nsr_jstr(r, "status"));
			e[i].topic = "erp.ra.closed";
			e[i].time_ms = rfc3339_ms(bh_nsr_jstr(r, "last_modified"));
			break;
		case F_FLAGS:
			snprintf(keys[i], sizeof(keys[i]), "ra-flag:%s:%lld", id,
				 (long long)cycle_ms);
			e[i].topic = "erp.ra.flagged";
			e[i].time_ms = cycle_ms;
			break;
		}
		e[i].key = keys[i];
		e[i].body = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
	}
	rc = c->host->emit(c->inst, e, n, cursor_json);
	if (rc > 0)
		c->host->counter_add(c->inst, "emitted", rc);
out:
	free(e);
	free(keys);
	return rc < 0 ? rc : BH_OK;
}

int bh_nsr_poll(void *ctx)
{
	struct bh_nsr *c = ctx;
	struct json_object *cur = NULL;
	char buf[1024];
	int64_t cycle_ms = c->host->now_ms();
	int rc = BH_OK;

	if (c->host->cursor_get(c->inst, buf, sizeof(buf)) > 0)
		cur = json_tokener_parse(buf);
	if (!cur || !json_object_is_type(cur, json_type_object)) {
		json_object_put(cur);
		cur = json_object_new_object();
		if (!cur)
			return BH_ENOMEM;
	}
	static const struct {
		enum feed f;
		const char *name;
	} feeds[] = {{F_RECEIPTS, "item_receipts"}, {F_CLOSED, "ra_closed"}, {F_FLAGS, "ra_flags"}};
	for (size_t k = 0; k < sizeof(feeds) / sizeof(feeds[0]) && rc == BH_OK; k++) {
		enum feed f = feeds[k].f;
		if (f == F_FLAGS && (!c->flag_field || !*c->flag_field))
			continue;
		char cursor[128] = "";
		if (f != F_FLAGS)
			snprintf(cursor, sizeof(cursor), "%s",
				 bh_nsr_jstr(cur, feeds[k].name) ? bh_nsr_jstr(cur, feeds[k].name)
								 : "");
		for (int page = 0; page < MAX_PAGES; page++) {
			struct bh_status st;
			char next[128] = "";
			bool more = false;
			struct json_object *records = json_object_new_array();
			memset(&st, 0, sizeof(st));
			if (!records) {
				rc = BH_ENOMEM;
				break;
			}
			rc = feed_page(c, f, cursor, records, next, sizeof(next), &more, &st);
			if (rc != BH_OK) {
				bh_plg_warn(c->host, c->inst, "feed %s: %s %s", feeds[k].name, st.code,
					    st.message);
				json_object_put(records);
				break;
			}
			bool moved = f != F_FLAGS && strcmp(cursor, next) != 0;
			if (moved)
				json_object_object_add(cur, feeds[k].name,
						       json_object_new_string(next));
			/* nothing new and the cursor did not move: no commit */
			if (moved || json_object_array_length(records) > 0)
				rc = emit_page(c, f, records, cycle_ms,
					       json_object_to_json_string_ext(cur,
									      JSON_C_TO_STRING_PLAIN));
			json_object_put(records);
			if (rc != BH_OK)
				break;
			snprintf(cursor, sizeof(cursor), "%s", next);
			if (!more)
				break;
		}
	}
	json_object_put(cur);
	return rc;
}
