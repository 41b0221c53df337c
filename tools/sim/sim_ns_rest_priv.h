/*
 * sim_ns_rest_priv.h - internals shared by the NetSuite REST simulator's files:
 *   sim_ns_rest.c         entry point, TBA verification, concurrency, routing, errors
 *   sim_ns_rest_json.c    record <-> REST JSON (links, refs, sublists, custom fields)
 *   sim_ns_rest_record.c  /record/v1 endpoints (create, get, patch, upsert, transform,
 *                         collection list with q filters, sublist reads)
 *   sim_ns_rest_query.c   /query/v1/suiteql: SuiteQL tables over the store
 *
 * Owned by the NetSuite REST helper. Threading: a bh_sim_ns_rest_ctx lives on one
 * handler's stack; everything touching the store runs between bh_sim_ns_lock and
 * bh_sim_ns_unlock (see sim_ns_store.h).
 */
#ifndef BH_SIM_NS_REST_PRIV_H
#define BH_SIM_NS_REST_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "sim_ns_store.h"

struct json_object;

/** One REST request being served. */
struct bh_sim_ns_rest_ctx {
	struct bh_sim_ns *ns;
	const struct bh_sim_req *req;
	struct bh_sim_resp *resp;
	char base[256];             /* "http://host:port" as the client addressed us */
	/* the authenticated credential, by key (re-found under the lock when needed) */
	char account[128];
	char consumer_key[256];
	char token_id[256];
};

/* ---- sim_ns_rest.c ---- */

/** Write a NetSuite REST error: {type,title,status,o:errorDetails:[{detail,o:errorCode,
 *  [o:errorPath],[extra_key:extra_val]}]}. path/extra may be NULL. */
void bh_sim_ns_rest_error(struct bh_sim_resp *resp, int status, const char *code,
			  const char *detail, const char *path, const char *extra_key,
			  const char *extra_val);
/** Map a store error (rc + err) onto the REST error shape. */
void bh_sim_ns_rest_store_error(struct bh_sim_resp *resp, int rc, const struct bh_sim_ns_err *e);
/** Send a JSON body with a NetSuite content type ("singular-resource", "collection"...). */
void bh_sim_ns_rest_json(struct bh_sim_resp *resp, int status, struct json_object *obj,
			 const char *kind);
/** The credential of this request (lock held), or NULL when it was removed. */
const struct bh_sim_ns_cred *bh_sim_ns_rest_cred(const struct bh_sim_ns_rest_ctx *c);

/* ---- sim_ns_rest_json.c ---- */

/** Exact JSON number from money cents ("43.2", "40.0"; never via double). */
struct json_object *bh_sim_ns_rest_money(int64_t cents);
/** JSON number serialised from its decimal text (copied). */
struct json_object *bh_sim_ns_rest_rawnum(const char *text);
/** {"links":[{"rel":"self","href":base/services/rest/record/v1/<type>/<id>}],"id":"..",
 *  "refName":..} for a stored record id (lock held); NULL when id is unset/0. */
struct json_object *bh_sim_ns_rest_ref(struct bh_sim_ns_rest_ctx *c, int64_t id);
/** REST JSON of a record (lock held). expand: sublists inline. A draft (id 0) gets no
 *  self link. fields (may be NULL): comma-separated top-level field names to keep. */
struct json_object *bh_sim_ns_rest_rec_json(struct bh_sim_ns_rest_ctx *c,
					    const struct bh_sim_ns_rec *r, bool expand,
					    const char *fields);
/** JSON of one item line (lock held), with its self link (.../<type>/<id>/item/<line>). */
struct json_object *bh_sim_ns_rest_line_json(struct bh_sim_ns_rest_ctx *c,
					     const struct bh_sim_ns_rec *r,
					     const struct bh_sim_ns_line *l);

/** What a JSON body may do to a draft. */
enum bh_sim_ns_rest_mode {
	BH_SIM_NS_REST_CREATE,      /* POST: new record */
	BH_SIM_NS_REST_UPDATE,      /* PATCH / PUT-upsert: set fields; lines merge by key */
	BH_SIM_NS_REST_TRANSFORM,   /* overrides on an initialized draft: lines by orderLine */
};

/**
 * Apply a JSON body to draft (lock held: references are resolved). replace_lines
 * (PATCH ?replace=item, transform ?replace=item) replaces the item sublist instead of
 * merging. strict (X-NetSuite-PropertyNameValidation: error) refuses unknown fields.
 * Returns 0, or writes the REST error into c->resp and returns BH_EINVAL/BH_ENOMEM.
 */
int bh_sim_ns_rest_apply_json(struct bh_sim_ns_rest_ctx *c, struct bh_sim_ns_rec *draft,
			      struct json_object *body, enum bh_sim_ns_rest_mode mode,
			      bool replace_lines, bool strict);

/** Record type from a REST record id, case-insensitively ("salesorder" works). */
enum bh_sim_ns_type bh_sim_ns_rest_type(const char *name);
/** Display label of a transaction type ("Return Authorization"), NULL otherwise. */
const char *bh_sim_ns_rest_type_label(enum bh_sim_ns_type t);
/** The SuiteQL item type code ("InvtPart", "NonInvtPart", ...) of an item type. */
const char *bh_sim_ns_rest_itemtype(enum bh_sim_ns_type t);

/* ---- sim_ns_rest_record.c ---- */

/** Serve /services/rest/record/v1/... (rest is the part after "record/v1/"). */
void bh_sim_ns_rest_record(struct bh_sim_ns_rest_ctx *c, const char *rest);

/* ---- sim_ns_rest_query.c ---- */

/** Serve POST /services/rest/query/v1/suiteql. */
void bh_sim_ns_rest_suiteql(struct bh_sim_ns_rest_ctx *c);
/** Collection paging links into obj["links"] for base_path?limit=&offset= (+ extra
 *  query, may be NULL) given the page and total. */
void bh_sim_ns_rest_page_links(struct bh_sim_ns_rest_ctx *c, struct json_object *obj,
			       const char *path, const char *extra_query, int64_t limit,
			       int64_t offset, int64_t total);
struct bh_sim_sql;
/** Run a parsed SuiteQL statement over the store (lock held); see bh_sim_sql_execute. */
int bh_sim_ns_rest_sql_run(struct bh_sim_ns_rest_ctx *c, const struct bh_sim_sql *stmt,
			   struct json_object *params, int64_t limit, int64_t offset,
			   struct json_object **items, int64_t *total, char *err, size_t errlen);
/** Parse ?limit= and ?offset= (defaults 1000 / 0, limit 1..1000, offset >= 0); writes
 *  the error and returns BH_EINVAL when invalid. */
int bh_sim_ns_rest_paging(struct bh_sim_ns_rest_ctx *c, int64_t *limit, int64_t *offset);

#endif
