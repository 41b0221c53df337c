/*
 * nsr_write.c - the write pattern shared by the netsuite-rest operations.
 *
 * Every document the engine writes carries a deterministic external id. A write first
 * reads the record by external id (GET .../<type>/eid:<id>): when it exists the write
 * is a replay and answers created=false. Records derived from another one (return
 * authorization from a sales order, receipt / refund / credit memo from an RA,
 * customer refund from a credit memo) are created with the REST transform
 * (POST .../<from>/<id>/!transform/<to>) because NetSuite's upsert cannot create from a
 * source. When a write fails in a way that may hide a success (timeout, no answer,
 * 5xx, or a refusal caused by a concurrent delivery of the same document: duplicate
 * external id, quantities already taken), the record is read again by external id
 * before the caller gives up or re-sends; when it exists the write is done.
 *
 * Ownership: netsuite-rest plugin. Threading: stateless; thread-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "nsr.h"

int bh_nsr_find_eid(struct bh_nsr *c, const char *type, const char *eid, char *id,
		    size_t idlen, struct bh_status *st)
{
	struct json_object *rec = NULL;
	char ref[256];
	int rc;

	snprintf(ref, sizeof(ref), "eid:%s", eid);
	rc = bh_nsr_get(c, type, ref, false, "externalId", &rec, st);
	if (rc == BH_OK) {
		const char *v = bh_nsr_jstr(rec, "id");
		if (v && *v)
			snprintf(id, idlen, "%s", v);
		else
			rc = bh_nsr_fail(st, BH_ERETRY, "BAD_RESPONSE",
					 "%s %s was read without an id", type, eid);
	}
	json_object_put(rec);
	return rc;
}

int bh_nsr_reread_after(struct bh_nsr *c, int rc, const char *type, const char *eid,
			char *id, size_t idlen, struct bh_status *st)
{
	struct bh_status saved;
	/* any refusal may be a concurrent delivery having written it first (DUP_RCRD, or
	 * the quantities it took); a transient failure may hide our own success */
	if (rc != BH_ERETRY && rc != BH_EREJECT)
		return rc;
	saved = *st;
	if (bh_nsr_find_eid(c, type, eid, id, idlen, st) == BH_OK) {
		bh_plg_info(c->host, c->inst,
			    "%s %s exists after a failed write (%s): taking it as written", type,
			    eid, saved.code);
		memset(st, 0, sizeof(*st));
		return BH_OK;
	}
	*st = saved;
	return rc;
}

static int transform_once(struct bh_nsr *c, const char *path, struct json_object *body,
			  const char *to, char *id, size_t idlen, struct bh_status *st)
{
	struct bh_nsr_reply r;
	int rc = bh_nsr_request(c, "POST", path, body, BH_NSR_F_NO_RETRY, &r, st);
	if (rc == BH_OK) {
		if (r.location_id[0]) {
			snprintf(id, idlen, "%s", r.location_id);
		} else {
			const char *ext = bh_nsr_jstr(body, "externalId");
			rc = ext ? bh_nsr_find_eid(c, to, ext, id, idlen, st)
				 : bh_nsr_fail(st, BH_ERETRY, "BAD_RESPONSE",
					       "the transform answered without a Location");
		}
	}
	bh_nsr_reply_clear(&r);
	return rc;
}

/* POST path (a transform or a create) with the read-back and re-send loop. */
static int write_loop(struct bh_nsr *c, const char *path, struct json_object *body,
		      const char *type, char *id, size_t idlen, bool *existed, struct bh_status *st)
{
	const char *ext = bh_nsr_jstr(body, "externalId");
	int rc = BH_ERETRY;

	*existed = false;
	for (int64_t attempt = 0; attempt <= c->retries; attempt++) {
		rc = transform_once(c, path, body, type, id, idlen, st);
		if (rc == BH_OK)
			return BH_OK;
		/* a timeout, a 5xx or a refusal may hide a success: read it back */
		if (ext && st->http_status != 429 && rc != BH_ENOENT &&
		    bh_nsr_reread_after(c, rc, type, ext, id, idlen, st) == BH_OK) {
			*existed = rc == BH_EREJECT;   /* written by someone else first */
			return BH_OK;
		}
		if (rc != BH_ERETRY || attempt == c->retries ||
		    !bh_nsr_backoff(c, attempt + 1, st->retry_after_ms))
			break;
	}
	return rc;
}

int bh_nsr_transform(struct bh_nsr *c, const char *from, const char *from_id, const char *to,
		     struct json_object *body, char *id, size_t idlen, bool *existed,
		     struct bh_status *st)
{
	char path[512];
	char *efrom = bh_nsr_pct(from_id);
	int rc;

	*existed = false;
	if (!efrom)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	snprintf(path, sizeof(path), "%s%s/%s/!transform/%s?replace=item", BH_NSR_REST_PATH, from,
		 efrom, to);
	free(efrom);
	rc = write_loop(c, path, body, to, id, idlen, existed, st);
	if (rc == BH_ENOENT) {
		/* the source vanished between our read and the transform */
		struct bh_status was = *st;
		rc = bh_nsr_fail(st, BH_EREJECT, was.code, "%s %s: %s", from, from_id, was.message);
	}
	return rc;
}

int bh_nsr_create_record(struct bh_nsr *c, const char *type, struct json_object *body, char *id,
			 size_t idlen, bool *existed, struct bh_status *st)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", BH_NSR_REST_PATH, type);
	int rc = write_loop(c, path, body, type, id, idlen, existed, st);
	if (rc == BH_ENOENT) {
		struct bh_status was = *st;
		rc = bh_nsr_fail(st, BH_EREJECT, was.code, "%s: %s", type, was.message);
	}
	return rc;
}

int bh_nsr_create_form(struct bh_nsr *c, const char *from, const char *from_id, const char *to,
		       struct json_object **form, struct bh_status *st)
{
	struct bh_nsr_reply r;
	char path[512];
	char *efrom = bh_nsr_pct(from_id);
	int rc;

	*form = NULL;
	if (!efrom)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	snprintf(path, sizeof(path), "%s%s/%s/!transform/%s", BH_NSR_REST_PATH, from, efrom, to);
	free(efrom);
	/* nothing is saved: safe to re-send */
	rc = bh_nsr_request(c, "POST", path, NULL, BH_NSR_F_CREATE_FORM | BH_NSR_F_IDEMPOTENT, &r,
			    st);
	if (rc == BH_OK && (!r.json || !json_object_is_type(r.json, json_type_object)))
		rc = bh_nsr_fail(st, BH_ERETRY, "BAD_RESPONSE",
				 "the create-form of %s from %s %s is not a JSON object", to, from,
				 from_id);
	else if (rc == BH_OK)
		*form = json_object_get(r.json);
	else if (rc == BH_ENOENT)
		rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST", "%s %s does not exist in NetSuite",
				 from, from_id);
	bh_nsr_reply_clear(&r);
	return rc;
}

const char *bh_nsr_form_line(struct json_object *form_items, const char *item, int64_t q,
			     int64_t *used)
{
	size_t n = form_items ? json_object_array_length(form_items) : 0;
	for (size_t i = 0; item && i < n; i++) {
		struct json_object *l = json_object_array_get_idx(form_items, i);
		const char *it = bh_nsr_jref_id(l, "item");
		const char *ol = bh_nsr_jstr(l, "orderLine");
		int64_t open = 0;
		if (!it || !ol || strcmp(it, item) != 0 || bh_nsr_jbool(l, "isClosed", false))
			continue;
		if (bh_nsr_jqty(l, "quantity", &open) != BH_OK)
			open = 0;
		if (open < 0)
			open = -open;
		if (open - used[i] >= q) {
			used[i] += q;
			return ol;
		}
	}
	return NULL;
}

int bh_nsr_ref_id(struct bh_nsr *c, const char *type, struct json_object *ref, const char *label,
		  char *id, size_t idlen, struct bh_status *st)
{
	const char *iid = bh_nsr_jstr(ref, "internal_id");
	const char *eid = bh_nsr_jstr(ref, "external_id");
	if (iid && *iid) {
		for (const char *p = iid; *p; p++)
			if (*p < '0' || *p > '9')
				return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
						   "%s internal_id '%s' is not a number", label, iid);
		snprintf(id, idlen, "%s", iid);
		return BH_OK;
	}
	if (!bh_nsr_eid_valid(eid))
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				   "the %s reference needs internal_id or a valid external_id", label);
	int rc = bh_nsr_find_eid(c, type, eid, id, idlen, st);
	if (rc == BH_ENOENT)
		rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST", "%s %s does not exist in NetSuite",
				 label, eid);
	return rc;
}

int bh_nsr_ra_read(struct bh_nsr *c, struct json_object *ref, struct json_object **ra,
		   struct bh_status *st)
{
	const char *iid = bh_nsr_jstr(ref, "internal_id");
	const char *eid = bh_nsr_jstr(ref, "external_id");
	char r[256];
	int rc;

	*ra = NULL;
	if ((!iid || !*iid) && !bh_nsr_eid_valid(eid))
		return bh_nsr_fail(st, BH_EREJECT, "INVALID_DOCUMENT",
				   "the return authorization reference needs internal_id or a "
				   "valid external_id");
	bh_nsr_ref(r, sizeof(r), iid, eid);
	rc = bh_nsr_get(c, BH_NSR_T_RA, r, true, NULL, ra, st);
	if (rc == BH_ENOENT)
		rc = bh_nsr_fail(st, BH_ENOENT, "RCRD_DSNT_EXIST",
				 "return authorization %s does not exist in NetSuite",
				 iid && *iid ? iid : eid);
	return rc;
}
