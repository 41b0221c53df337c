/*
 * sim_ns_rest_record.c - the NetSuite REST record API v1 endpoints:
 *
 *   POST  /record/v1/<type>                       create -> 204, Location: .../<type>/<id>
 *   GET   /record/v1/<type>[?q=&limit=&offset=]   collection of {links,id}, q filter
 *                                                 ("externalId IS \"x\" AND tranId
 *                                                 START_WITH \"RMA\"": IS, IS_NOT,
 *                                                 ANY_OF [..], ANY_OF_NOT, START_WITH,
 *                                                 END_WITH, CONTAIN (+ _NOT), EMPTY,
 *                                                 EMPTY_NOT, EQUAL, EQUAL_NOT, GREATER,
 *                                                 GREATER_OR_EQUAL, LESS, LESS_OR_EQUAL,
 *                                                 AFTER, BEFORE, ON, ON_OR_AFTER,
 *                                                 ON_OR_BEFORE; joined by AND / OR)
 *   GET   /record/v1/<type>/<id|eid:x>[?expandSubResources=true&fields=a,b]
 *   PATCH /record/v1/<type>/<id|eid:x>[?replace=item]  update -> 204 (item lines merge
 *                                                 by "line" key unless replace=item;
 *                                                 "item": null empties the sublist)
 *   PUT   /record/v1/<type>/eid:<x>               upsert by external id -> 204 + Location
 *   POST  /record/v1/<type>/<id>/!transform/<to>[?replace=item]  transform -> 204 +
 *                                                 Location; body fields override the
 *                                                 prefilled record; body item lines
 *                                                 match prefilled lines by orderLine;
 *                                                 with replace=item only those lines are
 *                                                 kept. "Accept: ...; type=create-form"
 *                                                 returns the prefilled record unsaved.
 *   GET   /record/v1/<type>/<id>/item[/<line>]    sublist / one line
 *
 * Owned by the NetSuite REST helper. Record types are the store's (REST record ids,
 * matched case-insensitively). Writes go through the store (bh_sim_ns_add / update /
 * upsert / initialize) with the request's credential for role checks, so they post to
 * the same general ledger and are visible to SOAP. DELETE is not offered (405).
 *
 * Threading: each handler takes the store lock around its store work.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "backhaul/errors.h"
#include "sim_ns_oauth.h"
#include "sim_ns_rest_priv.h"
#include "sim_ns_store.h"
#include "sim_ns_suiteql.h"

/* ---------------------------------------------------------------- helpers */

static void no_content(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t, int64_t id)
{
	char loc[512];
	bh_sim_resp_text(c->resp, 204, NULL, "", 0);
	if (id > 0) {
		snprintf(loc, sizeof(loc), "%s/services/rest/record/v1/%s/%lld", c->base,
			 bh_sim_ns_type_name(t), (long long)id);
		bh_sim_resp_header(c->resp, "Location", loc);
	}
}

static void not_found(struct bh_sim_ns_rest_ctx *c)
{
	bh_sim_ns_rest_error(c->resp, 404, "NONEXISTENT_ID", "Record does not exist.", NULL, NULL,
			     NULL);
}

static void bad_method(struct bh_sim_ns_rest_ctx *c)
{
	char detail[160];
	snprintf(detail, sizeof(detail), "The HTTP method %s is not allowed on this resource.",
		 c->req->method);
	bh_sim_ns_rest_error(c->resp, 405, "INVALID_REQUEST", detail, NULL, NULL, NULL);
}

static void forbidden(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t)
{
	char detail[256];
	snprintf(detail, sizeof(detail),
		 "Permission Violation: You need a higher level of the '%s' permission to access "
		 "this page. Please contact your account administrator.", bh_sim_ns_type_name(t));
	bh_sim_ns_rest_error(c->resp, 403, "INSUFFICIENT_PERMISSION", detail, NULL, NULL, NULL);
}

static void gone_login(struct bh_sim_ns_rest_ctx *c)
{
	bh_sim_ns_rest_error(c->resp, 401, "INVALID_LOGIN",
			     "Invalid login attempt. For more details, see the Login Audit Trail "
			     "in the NetSuite UI at Setup > Users/Roles > User Management > View "
			     "Login Audit Trail.", NULL, NULL, NULL);
}

static bool query_flag(struct bh_sim_ns_rest_ctx *c, const char *name)
{
	char *v = bh_sim_req_query(c->req, name);
	bool on = v && strcasecmp(v, "true") == 0;
	free(v);
	return on;
}

/* ?replace=item (a comma-separated list of sublists to replace). */
static bool replace_items(struct bh_sim_ns_rest_ctx *c)
{
	char *v = bh_sim_req_query(c->req, "replace");
	bool on = false;
	if (v) {
		char *save = NULL;
		for (char *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (strcasecmp(t, "item") == 0)
				on = true;
	}
	free(v);
	return on;
}

static bool strict_names(struct bh_sim_ns_rest_ctx *c)
{
	const char *v = bh_sim_req_header(c->req, "X-NetSuite-PropertyNameValidation");
	return v && strcasecmp(v, "error") == 0;
}

/* Parse the body: NULL for an empty body; on malformed JSON the 400 is written and
 * *bad is set. */
static struct json_object *parse_body(struct bh_sim_ns_rest_ctx *c, bool *bad)
{
	struct json_object *o;
	enum json_tokener_error jerr;
	*bad = false;
	if (!c->req->body || c->req->body_len == 0)
		return NULL;
	o = json_tokener_parse_verbose(c->req->body, &jerr);
	if (!o || !json_object_is_type(o, json_type_object)) {
		char detail[256];
		snprintf(detail, sizeof(detail),
			 "Error while accessing a resource. Invalid JSON in the request body: %s.",
			 o ? "a JSON object is required" : json_tokener_error_desc(jerr));
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_CONTENT", detail, NULL, NULL, NULL);
		json_object_put(o);
		*bad = true;
		return NULL;
	}
	return o;
}

/* Resolve "<id>" or "eid:<x>" of type t (lock held). Writes 400/404 and returns NULL. */
static struct bh_sim_ns_rec *find_rec(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t,
				      const char *spec)
{
	struct bh_sim_ns_rec *r;
	if (strncmp(spec, "eid:", 4) == 0) {
		r = spec[4] ? bh_sim_ns_find_eid(c->ns, t, spec + 4) : NULL;
	} else {
		char *end;
		long long id = isdigit((unsigned char)spec[0]) ? strtoll(spec, &end, 10) : 0;
		if (id <= 0 || *end) {
			char detail[300];
			snprintf(detail, sizeof(detail),
				 "Invalid record instance identifier '%s'. Provide a valid record "
				 "instance ID.", spec);
			bh_sim_ns_rest_error(c->resp, 400, "INVALID_ID", detail, NULL, "o:errorUrl",
					     c->req->path);
			return NULL;
		}
		r = bh_sim_ns_get(c->ns, t, id);
	}
	if (!r)
		not_found(c);
	return r;
}

/* ---------------------------------------------------------------- create / update */

static void create(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t)
{
	bool bad;
	struct json_object *body = parse_body(c, &bad);
	struct bh_sim_ns_rec *d;
	struct bh_sim_ns_err err;
	const struct bh_sim_ns_cred *cred;
	int64_t id = 0;
	int rc;

	if (bad)
		return;
	d = bh_sim_ns_rec_new(t);
	if (!d) {
		bh_sim_ns_rest_store_error(c->resp, BH_ENOMEM, NULL);
		json_object_put(body);
		return;
	}
	memset(&err, 0, sizeof(err));
	bh_sim_ns_lock(c->ns);
	cred = bh_sim_ns_rest_cred(c);
	if (!cred) {
		gone_login(c);
		bh_sim_ns_rec_free(d);
		goto out;
	}
	if (bh_sim_ns_rest_apply_json(c, d, body, BH_SIM_NS_REST_CREATE, false, strict_names(c))) {
		bh_sim_ns_rec_free(d);
		goto out;
	}
	rc = bh_sim_ns_add(c->ns, d, cred, &id, &err);
	if (rc)
		bh_sim_ns_rest_store_error(c->resp, rc, &err);
	else
		no_content(c, t, id);
out:
	bh_sim_ns_unlock(c->ns);
	json_object_put(body);
}

static void patch(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t, const char *spec)
{
	bool bad;
	struct json_object *body = parse_body(c, &bad);
	struct bh_sim_ns_rec *r, *d = NULL;
	struct bh_sim_ns_err err;
	const struct bh_sim_ns_cred *cred;
	int64_t id = 0;
	int rc;

	if (bad)
		return;
	memset(&err, 0, sizeof(err));
	bh_sim_ns_lock(c->ns);
	cred = bh_sim_ns_rest_cred(c);
	if (!cred) {
		gone_login(c);
		goto out;
	}
	r = find_rec(c, t, spec);
	if (!r)
		goto out;
	d = bh_sim_ns_rec_new(t);
	if (!d) {
		bh_sim_ns_rest_store_error(c->resp, BH_ENOMEM, NULL);
		goto out;
	}
	d->id = r->id;
	if (bh_sim_ns_rest_apply_json(c, d, body, BH_SIM_NS_REST_UPDATE, replace_items(c),
				      strict_names(c))) {
		bh_sim_ns_rec_free(d);
		goto out;
	}
	rc = bh_sim_ns_update(c->ns, d, cred, &id, &err);
	if (rc)
		bh_sim_ns_rest_store_error(c->resp, rc, &err);
	else
		no_content(c, t, 0);
out:
	bh_sim_ns_unlock(c->ns);
	json_object_put(body);
}

static void upsert(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t, const char *spec)
{
	bool bad, created = false;
	struct json_object *body;
	struct bh_sim_ns_rec *d;
	struct bh_sim_ns_err err;
	const struct bh_sim_ns_cred *cred;
	int64_t id = 0;
	int rc;

	if (strncmp(spec, "eid:", 4) != 0 || !spec[4]) {
		bh_sim_ns_rest_error(c->resp, 400, "INVALID_REQUEST",
				     "PUT is only allowed with an external ID: use "
				     "/record/v1/<recordType>/eid:<externalId>.",
				     NULL, NULL, NULL);
		return;
	}
	body = parse_body(c, &bad);
	if (bad)
		return;
	d = bh_sim_ns_rec_new(t);
	if (!d) {
		bh_sim_ns_rest_store_error(c->resp, BH_ENOMEM, NULL);
		json_object_put(body);
		return;
	}
	memset(&err, 0, sizeof(err));
	bh_sim_ns_lock(c->ns);
	cred = bh_sim_ns_rest_cred(c);
	if (!cred) {
		gone_login(c);
		bh_sim_ns_rec_free(d);
		goto out;
	}
	if (bh_sim_ns_rest_apply_json(c, d, body, BH_SIM_NS_REST_UPDATE, true, strict_names(c))) {
		bh_sim_ns_rec_free(d);
		goto out;
	}
	/* The URL names the record; an externalId in the body cannot rename it. */
	if (bh_sim_ns_str_set(&d->external_id, spec + 4)) {
		bh_sim_ns_rec_free(d);
		bh_sim_ns_rest_store_error(c->resp, BH_ENOMEM, NULL);
		goto out;
	}
	rc = bh_sim_ns_upsert(c->ns, d, cred, &id, &created, &err);
	if (rc)
		bh_sim_ns_rest_store_error(c->resp, rc, &err);
	else
		no_content(c, t, id);
out:
	bh_sim_ns_unlock(c->ns);
	json_object_put(body);
}

static void transform(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t, const char *spec,
		      const char *to_name)
{
	bool bad;
	struct json_object *body;
	enum bh_sim_ns_type to = bh_sim_ns_rest_type(to_name);
	const char *accept = bh_sim_req_header(c->req, "Accept");
	bool form = accept && strcasestr(accept, "type=create-form");
	struct bh_sim_ns_rec *from, *d = NULL;
	struct bh_sim_ns_err err;
	const struct bh_sim_ns_cred *cred;
	int64_t id = 0;
	int rc;

	if (to == BH_SIM_NS_T_NONE) {
		char detail[256];
		snprintf(detail, sizeof(detail), "Record type '%s' does not exist.", to_name);
		bh_sim_ns_rest_error(c->resp, 404, "INVALID_RCRD_TYPE", detail, NULL, NULL, NULL);
		return;
	}
	body = parse_body(c, &bad);
	if (bad)
		return;
	memset(&err, 0, sizeof(err));
	bh_sim_ns_lock(c->ns);
	cred = bh_sim_ns_rest_cred(c);
	if (!cred) {
		gone_login(c);
		goto out;
	}
	from = find_rec(c, t, spec);
	if (!from)
		goto out;
	rc = bh_sim_ns_initialize(c->ns, to, from, cred, &d, &err);
	if (rc) {
		bh_sim_ns_rest_store_error(c->resp, rc, &err);
		goto out;
	}
	if (bh_sim_ns_rest_apply_json(c, d, body, BH_SIM_NS_REST_TRANSFORM, replace_items(c),
				      strict_names(c))) {
		bh_sim_ns_rec_free(d);
		goto out;
	}
	if (form) {
		bh_sim_ns_rest_json(c->resp, 200, bh_sim_ns_rest_rec_json(c, d, true, NULL),
				    "create-form");
		bh_sim_ns_rec_free(d);
		goto out;
	}
	rc = bh_sim_ns_add(c->ns, d, cred, &id, &err);
	if (rc)
		bh_sim_ns_rest_store_error(c->resp, rc, &err);
	else
		no_content(c, to, id);
out:
	bh_sim_ns_unlock(c->ns);
	json_object_put(body);
}

/* ---------------------------------------------------------------- reads */

static void get_one(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t, const char *spec)
{
	const struct bh_sim_ns_cred *cred;
	struct bh_sim_ns_rec *r;
	char *fields = bh_sim_req_query(c->req, "fields");
	bool expand = query_flag(c, "expandSubResources");

	bh_sim_ns_lock(c->ns);
	cred = bh_sim_ns_rest_cred(c);
	if (!cred)
		gone_login(c);
	else if (!bh_sim_ns_cred_allows(cred, t))
		forbidden(c, t);
	else if ((r = find_rec(c, t, spec)))
		bh_sim_ns_rest_json(c->resp, 200, bh_sim_ns_rest_rec_json(c, r, expand, fields),
				    "singular-resource");
	bh_sim_ns_unlock(c->ns);
	free(fields);
}

static void get_sublist(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t, const char *spec,
			const char *sub, const char *line)
{
	const struct bh_sim_ns_cred *cred;
	struct bh_sim_ns_rec *r;

	bh_sim_ns_lock(c->ns);
	cred = bh_sim_ns_rest_cred(c);
	if (!cred) {
		gone_login(c);
		goto out;
	}
	if (!bh_sim_ns_cred_allows(cred, t)) {
		forbidden(c, t);
		goto out;
	}
	r = find_rec(c, t, spec);
	if (!r)
		goto out;
	if (strcmp(sub, "item") != 0 || bh_sim_ns_type_group(t) != BH_SIM_NS_G_TRANSACTION ||
	    t == BH_SIM_NS_T_CUSTOMER_REFUND) {
		not_found(c);
		goto out;
	}
	if (line) {
		char *end;
		long long key = strtoll(line, &end, 10);
		const struct bh_sim_ns_line *l = (*line && !*end) ? bh_sim_ns_line_get(r, key) : NULL;
		if (!l)
			not_found(c);
		else
			bh_sim_ns_rest_json(c->resp, 200, bh_sim_ns_rest_line_json(c, r, l),
					    "singular-resource");
	} else {
		struct json_object *full = bh_sim_ns_rest_rec_json(c, r, true, NULL), *sl = NULL;
		if (json_object_object_get_ex(full, "item", &sl))
			bh_sim_ns_rest_json(c->resp, 200, json_object_get(sl), "collection");
		else
			not_found(c);
		json_object_put(full);
	}
out:
	bh_sim_ns_unlock(c->ns);
}

/* ---- collection q filter -> SuiteQL WHERE ---- */

struct sb {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sb *s, const char *t, size_t n)
{
	if (s->oom)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t nc = (s->len + n + 1) * 2;
		char *nb = realloc(s->buf, nc);
		if (!nb) {
			s->oom = true;
			return;
		}
		s->buf = nb;
		s->cap = nc;
	}
	memcpy(s->buf + s->len, t, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void sb_str(struct sb *s, const char *t)
{
	sb_add(s, t, strlen(t));
}

/* A SQL string literal from raw text; like_mode wraps with % per pattern kind:
 * 0 none, 1 'x%', 2 '%x', 3 '%x%' (escaping % and _ with '\'). */
static void sb_lit(struct sb *s, const char *t, size_t n, int like_mode)
{
	sb_add(s, "'", 1);
	if (like_mode == 2 || like_mode == 3)
		sb_add(s, "%", 1);
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\'')
			sb_add(s, "''", 2);
		else if (like_mode && (t[i] == '%' || t[i] == '_' || t[i] == '\\')) {
			sb_add(s, "\\", 1);
			sb_add(s, &t[i], 1);
		} else
			sb_add(s, &t[i], 1);
	}
	if (like_mode == 1 || like_mode == 3)
		sb_add(s, "%", 1);
	sb_add(s, "'", 1);
}

struct qtok {
	const char *p;
	size_t n;
	char kind;              /* 'w' word, 's' string, 'n' number, '[' ']' ',' , 0 end */
};

static const char *qnext(const char *s, struct qtok *t)
{
	while (*s == ' ' || *s == '\t')
		s++;
	t->p = s;
	t->n = 0;
	t->kind = 0;
	if (!*s)
		return s;
	if (*s == '"') {
		const char *e = strchr(s + 1, '"');
		if (!e) {
			t->kind = '?';
			return s + strlen(s);
		}
		t->kind = 's';
		t->p = s + 1;
		t->n = (size_t)(e - s - 1);
		return e + 1;
	}
	if (*s == '[' || *s == ']' || *s == ',') {
		t->kind = *s;
		t->n = 1;
		return s + 1;
	}
	if (isdigit((unsigned char)*s) || *s == '-' || *s == '.') {
		const char *b = s;
		s++;
		while (isdigit((unsigned char)*s) || *s == '.')
			s++;
		t->kind = 'n';
		t->n = (size_t)(s - b);
		return s;
	}
	if (isalpha((unsigned char)*s) || *s == '_') {
		const char *b = s;
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		t->kind = 'w';
		t->n = (size_t)(s - b);
		return s;
	}
	t->kind = '?';
	t->n = 1;
	return s + 1;
}

static bool qis(const struct qtok *t, const char *w)
{
	return t->kind == 'w' && strlen(w) == t->n && strncasecmp(t->p, w, t->n) == 0;
}

static void sb_date(struct sb *s, const struct qtok *v)
{
	/* 2024-01-31[THH:MM:SS] (ISO) or the account's M/D/YYYY [h:mm am] */
	bool iso = v->n >= 10 && v->p[4] == '-';
	sb_str(s, "TO_DATE(");
	if (iso && v->n >= 19) {
		sb_lit(s, v->p, 19, 0);
		sb_str(s, ", 'YYYY-MM-DD\"T\"HH24:MI:SS')");
	} else if (iso) {
		sb_lit(s, v->p, 10, 0);
		sb_str(s, ", 'YYYY-MM-DD')");
	} else {
		sb_lit(s, v->p, v->n, 0);
		sb_str(s, ")");
	}
}

/* Translate the q filter; returns NULL with a message in err. */
static char *q_to_where(const char *q, char *err, size_t errlen)
{
	struct sb s = { 0 };
	const char *p = q;
	struct qtok t;
	bool need_cond = true;

	for (;;) {
		char col[96];
		struct qtok op, v;
		p = qnext(p, &t);
		if (t.kind == 0)
			break;
		if (!need_cond) {
			if (qis(&t, "AND") || qis(&t, "OR")) {
				sb_str(&s, qis(&t, "AND") ? " AND " : " OR ");
				need_cond = true;
				continue;
			}
			snprintf(err, errlen, "Expected AND or OR near '%.*s'.", (int)t.n, t.p);
			goto fail;
		}
		if (t.kind != 'w' || t.n >= sizeof(col)) {
			snprintf(err, errlen, "Expected a field name near '%.*s'.", (int)t.n, t.p);
			goto fail;
		}
		for (size_t i = 0; i < t.n; i++)
			col[i] = (char)tolower((unsigned char)t.p[i]);
		col[t.n] = '\0';
		p = qnext(p, &op);
		if (op.kind != 'w') {
			snprintf(err, errlen, "Expected an operator after '%s'.", col);
			goto fail;
		}
		if (qis(&op, "EMPTY") || qis(&op, "EMPTY_NOT")) {
			sb_str(&s, col);
			sb_str(&s, qis(&op, "EMPTY") ? " IS NULL" : " IS NOT NULL");
			need_cond = false;
			continue;
		}
		if (qis(&op, "ANY_OF") || qis(&op, "ANY_OF_NOT")) {
			bool first = true;
			p = qnext(p, &v);
			if (v.kind != '[') {
				snprintf(err, errlen, "%.*s needs a list [..].", (int)op.n, op.p);
				goto fail;
			}
			sb_str(&s, col);
			sb_str(&s, qis(&op, "ANY_OF") ? " IN (" : " NOT IN (");
			for (;;) {
				p = qnext(p, &v);
				if (v.kind == ']')
					break;
				if (v.kind == ',')
					continue;
				if (v.kind != 's' && v.kind != 'n') {
					snprintf(err, errlen, "Bad list value near '%.*s'.", (int)v.n, v.p);
					goto fail;
				}
				if (!first)
					sb_str(&s, ", ");
				first = false;
				if (v.kind == 'n')
					sb_add(&s, v.p, v.n);
				else
					sb_lit(&s, v.p, v.n, 0);
			}
			if (first) {
				snprintf(err, errlen, "Empty list.");
				goto fail;
			}
			sb_str(&s, ")");
			need_cond = false;
			continue;
		}
		p = qnext(p, &v);
		if (v.kind != 's' && v.kind != 'n' && !(v.kind == 'w' && (qis(&v, "true") || qis(&v, "false")))) {
			snprintf(err, errlen, "Expected a value after %.*s.", (int)op.n, op.p);
			goto fail;
		}
		if (v.kind == 'w') {
			/* booleans are 'T'/'F' */
			sb_str(&s, col);
			sb_str(&s, (qis(&op, "IS") == qis(&v, "true")) ? " = 'T'" : " = 'F'");
		} else if (qis(&op, "IS") || qis(&op, "IS_NOT")) {
			if (v.kind == 'n') {
				sb_str(&s, col);
				sb_str(&s, qis(&op, "IS") ? " = " : " <> ");
				sb_add(&s, v.p, v.n);
			} else {
				if (qis(&op, "IS_NOT")) {
					sb_str(&s, "(");
					sb_str(&s, col);
					sb_str(&s, " IS NULL OR ");
				}
				sb_str(&s, "UPPER(");
				sb_str(&s, col);
				sb_str(&s, qis(&op, "IS") ? ") = UPPER(" : ") <> UPPER(");
				sb_lit(&s, v.p, v.n, 0);
				sb_str(&s, qis(&op, "IS") ? ")" : "))");
			}
		} else if (qis(&op, "START_WITH") || qis(&op, "START_WITH_NOT") ||
			   qis(&op, "END_WITH") || qis(&op, "END_WITH_NOT") ||
			   qis(&op, "CONTAIN") || qis(&op, "CONTAIN_NOT")) {
			int mode = (op.p[0] == 'S' || op.p[0] == 's') ? 1
				   : (op.p[0] == 'E' || op.p[0] == 'e') ? 2 : 3;
			bool neg = op.n > 4 && strncasecmp(op.p + op.n - 4, "_NOT", 4) == 0;
			sb_str(&s, "UPPER(");
			sb_str(&s, col);
			sb_str(&s, neg ? ") NOT LIKE UPPER(" : ") LIKE UPPER(");
			sb_lit(&s, v.p, v.n, mode);
			sb_str(&s, ") ESCAPE '\\'");
		} else {
			static const struct {
				const char *op, *sql;
				bool date;
			} cmp[] = {
				{ "EQUAL", " = ", false }, { "EQUAL_NOT", " <> ", false },
				{ "GREATER", " > ", false }, { "GREATER_OR_EQUAL", " >= ", false },
				{ "LESS", " < ", false }, { "LESS_OR_EQUAL", " <= ", false },
				{ "AFTER", " > ", true }, { "BEFORE", " < ", true },
				{ "ON_OR_AFTER", " >= ", true }, { "ON_OR_BEFORE", " <= ", true },
				{ "ON", " = ", true },
			};
			size_t k;
			for (k = 0; k < sizeof(cmp) / sizeof(cmp[0]); k++)
				if (qis(&op, cmp[k].op))
					break;
			if (k == sizeof(cmp) / sizeof(cmp[0])) {
				snprintf(err, errlen, "Unknown operator '%.*s'.", (int)op.n, op.p);
				goto fail;
			}
			if (cmp[k].date) {
				bool day = strcmp(cmp[k].op, "ON") == 0;
				if (day)
					sb_str(&s, "TRUNC(");
				sb_str(&s, col);
				if (day)
					sb_str(&s, ")");
				sb_str(&s, cmp[k].sql);
				sb_date(&s, &v);
			} else {
				sb_str(&s, col);
				sb_str(&s, cmp[k].sql);
				if (v.kind == 'n')
					sb_add(&s, v.p, v.n);
				else
					sb_lit(&s, v.p, v.n, 0);
			}
		}
		need_cond = false;
	}
	if (need_cond) {
		snprintf(err, errlen, "Incomplete filter expression.");
		goto fail;
	}
	if (s.oom)
		goto fail;
	return s.buf;
fail:
	free(s.buf);
	return NULL;
}

static void list(struct bh_sim_ns_rest_ctx *c, enum bh_sim_ns_type t, const char *type_seg)
{
	char *q = bh_sim_req_query(c->req, "q");
	char *where = NULL, *sql = NULL, *extra = NULL;
	char err[1024];
	struct bh_sim_sql *stmt = NULL;
	struct json_object *items = NULL, *out, *arr;
	const struct bh_sim_ns_cred *cred;
	int64_t limit, offset, total = 0;
	enum bh_sim_ns_group g = bh_sim_ns_type_group(t);
	const char *table, *typecol, *code;
	char path[256];
	size_t sqlen;
	int rc;

	if (bh_sim_ns_rest_paging(c, &limit, &offset))
		goto out_free;
	if (q && *q) {
		where = q_to_where(q, err, sizeof(err));
		if (!where) {
			char detail[1200];
			snprintf(detail, sizeof(detail), "Invalid search query. %s", err);
			bh_sim_ns_rest_error(c->resp, 400, "INVALID_PARAMETER", detail, NULL,
					     "o:errorQueryParam", "q");
			goto out_free;
		}
		{
			char *enc = bh_sim_ns_oauth_pct(q, strlen(q));
			extra = enc ? malloc(strlen(enc) + 3) : NULL;
			if (extra)
				sprintf(extra, "q=%s", enc);
			free(enc);
		}
	}
	if (g == BH_SIM_NS_G_TRANSACTION) {
		table = "transaction";
		typecol = "type";
		code = bh_sim_ns_type_suiteql(t);
	} else if (g == BH_SIM_NS_G_ITEM) {
		table = "item";
		typecol = "itemtype";
		code = bh_sim_ns_rest_itemtype(t);
	} else {
		table = "customer";
		typecol = NULL;
		code = NULL;
	}
	sqlen = 128 + (where ? strlen(where) : 0);
	sql = malloc(sqlen);
	if (!sql) {
		bh_sim_ns_rest_store_error(c->resp, BH_ENOMEM, NULL);
		goto out_free;
	}
	if (typecol)
		snprintf(sql, sqlen, "SELECT id FROM %s WHERE %s = '%s'%s%s%s ORDER BY id", table,
			 typecol, code ? code : "", where ? " AND (" : "", where ? where : "",
			 where ? ")" : "");
	else
		snprintf(sql, sqlen, "SELECT id FROM %s%s%s ORDER BY id", table,
			 where ? " WHERE " : "", where ? where : "");
	rc = bh_sim_sql_parse(sql, &stmt, err, sizeof(err));
	if (rc == 0) {
		bh_sim_ns_lock(c->ns);
		cred = bh_sim_ns_rest_cred(c);
		if (!cred) {
			bh_sim_ns_unlock(c->ns);
			gone_login(c);
			goto out_free;
		}
		if (!bh_sim_ns_cred_allows(cred, t)) {
			bh_sim_ns_unlock(c->ns);
			forbidden(c, t);
			goto out_free;
		}
		rc = bh_sim_ns_rest_sql_run(c, stmt, NULL, limit, offset, &items, &total, err,
					    sizeof(err));
		bh_sim_ns_unlock(c->ns);
	}
	if (rc) {
		char detail[1200];
		snprintf(detail, sizeof(detail), "Invalid search query. %s", err);
		bh_sim_ns_rest_error(c->resp, rc == BH_ENOMEM ? 500 : 400,
				     rc == BH_ENOMEM ? "UNEXPECTED_ERROR" : "INVALID_PARAMETER",
				     detail, NULL, "o:errorQueryParam", "q");
		goto out_free;
	}
	out = json_object_new_object();
	snprintf(path, sizeof(path), "/services/rest/record/v1/%s", type_seg);
	bh_sim_ns_rest_page_links(c, out, path, extra, limit, offset, total);
	json_object_object_add(out, "count", json_object_new_int64((int64_t)json_object_array_length(items)));
	json_object_object_add(out, "hasMore", json_object_new_boolean(offset + limit < total));
	arr = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i), *idv = NULL, *o;
		char href[512];
		json_object_object_get_ex(it, "id", &idv);
		o = json_object_new_object();
		snprintf(href, sizeof(href), "%s/services/rest/record/v1/%s/%s", c->base,
			 bh_sim_ns_type_name(t), json_object_get_string(idv));
		struct json_object *links = json_object_new_array(), *l = json_object_new_object();
		json_object_object_add(l, "rel", json_object_new_string("self"));
		json_object_object_add(l, "href", json_object_new_string(href));
		json_object_array_add(links, l);
		json_object_object_add(o, "links", links);
		json_object_object_add(o, "id", json_object_get(idv));
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "items", arr);
	json_object_object_add(out, "offset", json_object_new_int64(offset));
	json_object_object_add(out, "totalResults", json_object_new_int64(total));
	bh_sim_ns_rest_json(c->resp, 200, out, "collection");
out_free:
	json_object_put(items);
	bh_sim_sql_free(stmt);
	free(sql);
	free(where);
	free(extra);
	free(q);
}

/* ---------------------------------------------------------------- routing */

void bh_sim_ns_rest_record(struct bh_sim_ns_rest_ctx *c, const char *rest)
{
	char buf[1024];
	char *seg[5] = { 0 };
	size_t n = 0;
	const char *m = c->req->method;
	enum bh_sim_ns_type t;

	if (strlen(rest) >= sizeof(buf)) {
		not_found(c);
		return;
	}
	strcpy(buf, rest);
	for (char *p = buf; p && n < 5;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		seg[n++] = p;
		p = slash ? slash + 1 : NULL;
		if (p && n == 5) {
			not_found(c);
			return;
		}
	}
	if (n == 0 || !*seg[0]) {
		not_found(c);
		return;
	}
	for (size_t i = 1; i < n; i++)
		if (!*seg[i]) {
			not_found(c);
			return;
		}
	t = bh_sim_ns_rest_type(seg[0]);
	if (t == BH_SIM_NS_T_NONE) {
		char detail[300];
		snprintf(detail, sizeof(detail), "Record type '%s' does not exist.", seg[0]);
		bh_sim_ns_rest_error(c->resp, 404, "INVALID_RCRD_TYPE", detail, NULL, NULL, NULL);
		return;
	}
	if (n == 1) {
		if (strcmp(m, "POST") == 0)
			create(c, t);
		else if (strcmp(m, "GET") == 0)
			list(c, t, seg[0]);
		else
			bad_method(c);
	} else if (n == 2) {
		if (strcmp(m, "GET") == 0)
			get_one(c, t, seg[1]);
		else if (strcmp(m, "PATCH") == 0)
			patch(c, t, seg[1]);
		else if (strcmp(m, "PUT") == 0)
			upsert(c, t, seg[1]);
		else
			bad_method(c);
	} else if (n == 4 && strcmp(seg[2], "!transform") == 0) {
		if (strcmp(m, "POST") == 0)
			transform(c, t, seg[1], seg[3]);
		else
			bad_method(c);
	} else if (n == 3 || n == 4) {
		if (strcmp(m, "GET") == 0)
			get_sublist(c, t, seg[1], seg[2], n == 4 ? seg[3] : NULL);
		else
			bad_method(c);
	} else {
		not_found(c);
	}
}
