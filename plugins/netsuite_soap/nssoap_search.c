/*
 * nssoap_search.c - SuiteTalk basic searches: building searchRecord criteria
 * (SearchStringField, SearchEnumMultiSelectField, SearchMultiSelectField,
 * SearchDateField, custom-field criteria), running search / searchMoreWithId and
 * reading result pages (status, totals, searchId, recordList).
 *
 * Criteria elements are in the platformCommon namespace, their searchValue children in
 * platformCore; callers append criteria in the XSD order of the search type.
 *
 * Ownership: netsuite-soap plugin; a page owns its records (bh_nss_page_clear).
 * Threading: per-call state only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nssoap.h"

int bh_nss_search_new(struct bh_nss_req *q, const struct bh_nss *c, const char *xsi_qname,
		      bool body_fields_only, xmlNodePtr *basic)
{
	int rc = bh_nss_req_new(q, c, "search", BH_NSS_PREFS_SEARCH, body_fields_only);
	if (rc != BH_OK)
		return rc;
	xmlNodePtr sr = xmlNewChild(q->op, q->msgs, (const xmlChar *)"searchRecord", NULL);
	if (!sr) {
		bh_nss_req_free(q);
		return BH_ENOMEM;
	}
	bh_nss_xsi_type(q, sr, xsi_qname);
	*basic = sr;
	return BH_OK;
}

xmlNodePtr bh_nss_crit_string(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			      const char *op, const char *value)
{
	xmlNodePtr f = xmlNewChild(basic, q->common, (const xmlChar *)name, NULL);
	if (!f)
		return NULL;
	xmlNewProp(f, (const xmlChar *)"operator", (const xmlChar *)op);
	return bh_nss_el(f, q->core, "searchValue", value) ? f : NULL;
}

xmlNodePtr bh_nss_crit_enum(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			    const char *const *values, size_t n)
{
	xmlNodePtr f = xmlNewChild(basic, q->common, (const xmlChar *)name, NULL);
	if (!f)
		return NULL;
	xmlNewProp(f, (const xmlChar *)"operator", (const xmlChar *)"anyOf");
	for (size_t i = 0; i < n; i++)
		if (!bh_nss_el(f, q->core, "searchValue", values[i]))
			return NULL;
	return f;
}

xmlNodePtr bh_nss_crit_refs(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			    const char *const *internal_ids, size_t n)
{
	xmlNodePtr f = xmlNewChild(basic, q->common, (const xmlChar *)name, NULL);
	if (!f)
		return NULL;
	xmlNewProp(f, (const xmlChar *)"operator", (const xmlChar *)"anyOf");
	for (size_t i = 0; i < n; i++)
		if (!bh_nss_ref_el(f, q->core, "searchValue", internal_ids[i], NULL, NULL))
			return NULL;
	return f;
}

xmlNodePtr bh_nss_crit_date(struct bh_nss_req *q, xmlNodePtr basic, const char *name,
			    const char *op, int64_t ms)
{
	char buf[40];
	xmlNodePtr f = xmlNewChild(basic, q->common, (const xmlChar *)name, NULL);
	if (!f)
		return NULL;
	xmlNewProp(f, (const xmlChar *)"operator", (const xmlChar *)op);
	return bh_nss_el(f, q->core, "searchValue", bh_nss_time_fmt(ms, true, buf, sizeof(buf)))
		       ? f
		       : NULL;
}

/* The customFieldList of a search basic, created on first use (it is the last field). */
static xmlNodePtr cf_list(struct bh_nss_req *q, xmlNodePtr basic)
{
	xmlNodePtr l = bh_nss_child(basic, "customFieldList");
	return l ? l : xmlNewChild(basic, q->common, (const xmlChar *)"customFieldList", NULL);
}

xmlNodePtr bh_nss_crit_cf_string(struct bh_nss_req *q, xmlNodePtr basic, const char *script_id,
				 const char *op, const char *value)
{
	xmlNodePtr l = cf_list(q, basic);
	xmlNodePtr f = l ? xmlNewChild(l, q->core, (const xmlChar *)"customField", NULL) : NULL;
	if (!f)
		return NULL;
	xmlNewProp(f, (const xmlChar *)"scriptId", (const xmlChar *)script_id);
	xmlNewProp(f, (const xmlChar *)"operator", (const xmlChar *)op);
	bh_nss_xsi_type(q, f, "platformCore:SearchStringCustomField");
	return bh_nss_el(f, q->core, "searchValue", value) ? f : NULL;
}

xmlNodePtr bh_nss_crit_cf_bool(struct bh_nss_req *q, xmlNodePtr basic, const char *script_id,
			       bool value)
{
	xmlNodePtr l = cf_list(q, basic);
	xmlNodePtr f = l ? xmlNewChild(l, q->core, (const xmlChar *)"customField", NULL) : NULL;
	if (!f)
		return NULL;
	xmlNewProp(f, (const xmlChar *)"scriptId", (const xmlChar *)script_id);
	bh_nss_xsi_type(q, f, "platformCore:SearchBooleanCustomField");
	return bh_nss_el(f, q->core, "searchValue", value ? "true" : "false") ? f : NULL;
}

void bh_nss_page_clear(struct bh_nss_page *pg)
{
	for (size_t i = 0; i < pg->n; i++)
		bh_nss_rec_clear(&pg->recs[i]);
	free(pg->recs);
	memset(pg, 0, sizeof(*pg));
}

static int read_page(xmlNodePtr op, struct bh_nss_page *pg, struct bh_status *st)
{
	xmlNodePtr sr = bh_nss_child(op, "searchResult");
	int rc = bh_nss_status_check(bh_nss_child(sr, "status"), st);
	if (rc != BH_OK)
		return rc;
	char *t;
	if ((t = bh_nss_child_text(sr, "totalRecords")))
		pg->total_records = strtoll(t, NULL, 10);
	free(t);
	if ((t = bh_nss_child_text(sr, "totalPages")))
		pg->total_pages = atoi(t);
	free(t);
	if ((t = bh_nss_child_text(sr, "pageIndex")))
		pg->page_index = atoi(t);
	free(t);
	if ((t = bh_nss_child_text(sr, "searchId")))
		snprintf(pg->search_id, sizeof(pg->search_id), "%s", t);
	free(t);
	xmlNodePtr rl = bh_nss_child(sr, "recordList");
	size_t cap = 0;
	for (xmlNodePtr r = bh_nss_child(rl, "record"); r; r = bh_nss_next(r, "record")) {
		if (pg->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct bh_nss_rec *g = realloc(pg->recs, nc * sizeof(*g));
			if (!g)
				return BH_ENOMEM;
			pg->recs = g;
			cap = nc;
		}
		if ((rc = bh_nss_rec_parse(r, &pg->recs[pg->n])) != BH_OK)
			return rc;
		pg->n++;
	}
	return BH_OK;
}

int bh_nss_search_run(struct bh_nss *c, struct bh_nss_req *q, struct bh_nss_page *pg,
		      struct bh_status *st)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr op;
	memset(pg, 0, sizeof(*pg));
	int rc = bh_nss_call(c, q, &doc, &op, st, NULL, 0);
	if (rc == BH_OK)
		rc = read_page(op, pg, st);
	if (doc)
		xmlFreeDoc(doc);
	if (rc != BH_OK)
		bh_nss_page_clear(pg);
	return rc;
}

int bh_nss_search_more(struct bh_nss *c, const char *search_id, int page, bool body_fields_only,
		       struct bh_nss_page *pg, struct bh_status *st)
{
	struct bh_nss_req q;
	int rc = bh_nss_req_new(&q, c, "searchMoreWithId", BH_NSS_PREFS_SEARCH, body_fields_only);
	if (rc != BH_OK)
		return rc;
	if (!bh_nss_el(q.op, q.msgs, "searchId", search_id) ||
	    !bh_nss_el_i64(q.op, q.msgs, "pageIndex", page)) {
		bh_nss_req_free(&q);
		return BH_ENOMEM;
	}
	rc = bh_nss_search_run(c, &q, pg, st);
	bh_nss_req_free(&q);
	if (rc == BH_EREJECT && (!strcmp(st->code, "INVALID_SEARCH") ||
				 !strcmp(st->code, "INVALID_PAGE_INDEX") ||
				 !strcmp(st->code, "INVALID_SRCH_ID")))
		rc = BH_ENOENT;
	return rc;
}
