/*
 * sim_netsuite.c - the NetSuite simulator service ("netsuite"): dispatch, control API,
 * operation names and fault shapes.
 *
 * Service port
 *   POST /services/NetSuitePort_<version>   SuiteTalk SOAP (sim_ns_soap.c)
 *   *    /services/rest/...                 REST record API + SuiteQL (sim_ns_rest.c)
 *   GET  /wsdl/v<version>_0/netsuite.wsdl   Oracle's WSDL from the reference dir
 * The service state returned by create() is the account itself (struct bh_sim_ns *,
 * sim_ns_store.h); the SOAP state hangs off it.
 *
 * create() options: those of bh_sim_ns_new (account "1234567_SB1", version "2023_2",
 * sku_field, flag_field, shopify_field, concurrency_limit 5, ra_requires_approval,
 * the default TBA credential consumer_key/consumer_secret/token_id/token_secret =
 * bh-sim-consumer-key / bh-sim-consumer-secret / bh-sim-token-id / bh-sim-token-secret,
 * extra "accounts") and of bh_sim_ns_soap_new (reference_dir, xsd, hostname).
 *
 * Control API (/control/netsuite/...; JSON; money as decimal strings; ids as integers;
 * errors {"error": "..."} with 400/404/409). These are also the in-process API other
 * services and the seed generator use through bh_sim_control_call().
 *   GET  /info                 {"account","version","sku_field","flag_field",
 *                               "shopify_field","concurrency":{"limit","in_use"},
 *                               "soap":{xsd state, login audit},"records":n}
 *   POST /accounts             {"account","consumer_key","consumer_secret","token_id",
 *                               "token_secret","deny":["customerRefund",...]?}
 *                              -> {"account":..,"consumer_key":..,"token_id":..}
 *                              (adds/replaces a TBA credential; default account
 *                              "1234567_SB1" with the bh-sim-* credential exists)
 *   GET  /accounts             {"accounts":[{account, consumer_key, consumer_secret,
 *                               token_id, token_secret, deny}]}
 *   POST /items                {"items":[{"sku","name","type":"inventory|noninventory|
 *                               giftcard|fee|discount|shipping|tax","cost","price",
 *                               "account":"<account name>","tax_rate":"8%",
 *                               "external_id"}]} -> {"internal_ids":[...]} (an existing
 *                              SKU is updated, not duplicated)
 *   GET  /items[?sku=S]        {"items":[{"internal_id","sku","name","type","record_type",
 *                               "cost","price","account","tax_rate"}]}
 *   POST /customers            {"customers":[{"external_id","email","first_name",
 *                               "last_name","company_name","phone"}]} -> {"internal_ids"}
 *                              (an existing external_id is updated)
 *   GET  /customers[?email=E]  {"customers":[...]}
 *   POST /sales_orders         {"external_id","customer":<id>|"customer_email",
 *                               "shopify_order_id","tran_id","memo","other_ref_num",
 *                               "exchange_of":"<original's id/externalId/tranId>",
 *                               "shipping":"5.00","lines":[{"sku"|"item","quantity",
 *                               "rate","amount","tax"}]} -> {"internal_id","tran_id"}
 *                              (a shortcut for tests and the demo; the engine uses SOAP
 *                              or REST)
 *   GET  /records/<type>/<id>  the record as JSON (lines, custom fields, status, GL)
 *   GET  /records[?type=T][&externalId=E][&createdFrom=ID][&modifiedSince=MS]
 *                              {"records":[...]} (no type: every transaction)
 *   GET  /gl/order?shopify_order_id=S | ?sales_order=ID
 *                              the GL of the order's chain (sim_ns_gl.c)
 *   GET  /gl/trial_balance     trial balance over every posting
 *   POST /bill                 {"sales_order":ID,"as":"cash_sale|invoice"}
 *                              -> {"internal_id","type","tran_id"}
 *   POST /fulfill              {"sales_order":ID} -> {"internal_id","type","tran_id"}
 *   POST /ra/<id>/flag         {"value":true|false} -> the RA
 *   POST /ra/<id>/receive      {"restock":true}? -> {"internal_id","type","tran_id"}
 *   POST /ra/<id>/close        -> the RA (every open line closed)
 *   POST /ra/<id>/cancel       -> the RA (only while Pending Approval)
 *   POST /ra/<id>/approve      -> the RA (Pending Approval -> Pending Receipt)
 *   POST /clock                {"offset_ms":N} | {"now":"2026-11-01T00:00:00Z"}
 *                              -> {"now_ms":..} (simulated clock for TBA windows and
 *                              lastModifiedDate)
 *   GET|POST /concurrency      {"limit":N,"held":M} -> {"limit","in_use"} (held = slots
 *                              taken by other simulated integrations)
 *   POST /xsd                  {"enabled":bool} -> soap info
 *   GET  /login_audit          {"login_audit":[{account, token, reason, time_ms}]}
 *
 * Ownership: NetSuite service helper. Threading: handlers run concurrently; control
 * handlers take the store lock for their whole work and never call other services.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <backhaul/errors.h>

#include "sim.h"
#include "sim_ns_rest.h"
#include "sim_ns_soap.h"
#include "sim_ns_store.h"

#define SOAP_PREFIX "/services/NetSuitePort_"
#define REST_PREFIX "/services/rest/"

/* ------------------------------------------------------------------ lifecycle */

static void ns_destroy(void *svc)
{
	struct bh_sim_ns *ns = svc;
	if (!ns)
		return;
	bh_sim_ns_soap_free(bh_sim_ns_soap_slot(ns));
	bh_sim_ns_free(ns);
}

static void *ns_create(struct json_object *opts)
{
	struct bh_sim_ns *ns = bh_sim_ns_new(opts);
	struct bh_sim_ns_soap *soap;
	if (!ns)
		return NULL;
	soap = bh_sim_ns_soap_new(opts, bh_sim_ns_version(ns));
	if (!soap) {
		bh_sim_ns_free(ns);
		return NULL;
	}
	bh_sim_ns_set_soap_slot(ns, soap);
	return ns;
}

/* ------------------------------------------------------------------ service port */

static void serve_wsdl(struct bh_sim_ns *ns, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct json_object *info = bh_sim_ns_soap_info(bh_sim_ns_soap_slot(ns)), *p;
	char path[4200], want[64];
	const char *sp = NULL;
	snprintf(want, sizeof(want), "/wsdl/v%s_0/netsuite.wsdl", bh_sim_ns_version(ns));
	if (json_object_object_get_ex(info, "schema_path", &p))
		sp = json_object_get_string(p);
	if (strcmp(req->path, want) != 0 || !sp) {
		json_object_put(info);
		bh_sim_resp_text(resp, 404, "text/plain", "Not Found\n", 10);
		return;
	}
	snprintf(path, sizeof(path), "%s", sp);
	char *slash = strrchr(path, '/');
	if (slash)
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "netsuite.wsdl");
	json_object_put(info);
	FILE *f = fopen(path, "rb");
	if (!f) {
		bh_sim_resp_text(resp, 404, "text/plain", "Not Found\n", 10);
		return;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0, r;
	char chunk[65536];
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + r > cap) {
			size_t nc = (cap ? cap * 2 : 131072);
			while (nc < len + r)
				nc *= 2;
			char *g = realloc(buf, nc);
			if (!g)
				break;
			buf = g;
			cap = nc;
		}
		memcpy(buf + len, chunk, r);
		len += r;
	}
	fclose(f);
	bh_sim_resp_text(resp, 200, "text/xml; charset=utf-8", buf ? buf : "", len);
	free(buf);
}

static void ns_handle(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct bh_sim_ns *ns = svc;
	if (strncmp(req->path, SOAP_PREFIX, strlen(SOAP_PREFIX)) == 0)
		bh_sim_ns_soap_handle(ns, req, resp);
	else if (strncmp(req->path, REST_PREFIX, strlen(REST_PREFIX)) == 0)
		bh_sim_ns_rest_handle(ns, req, resp);
	else if (strncmp(req->path, "/wsdl/", 6) == 0 && strcmp(req->method, "GET") == 0)
		serve_wsdl(ns, req, resp);
	else
		bh_sim_resp_text(resp, 404, "text/plain", "Not Found\n", 10);
}

static void ns_op_name(void *svc, const struct bh_sim_req *req, char *buf, size_t len)
{
	(void)svc;
	if (strncmp(req->path, SOAP_PREFIX, strlen(SOAP_PREFIX)) == 0) {
		char op[64];
		bh_sim_ns_soap_op(req, op, sizeof(op));
		snprintf(buf, len, "soap:%s", op);
	} else if (strncmp(req->path, "/services/rest/query/", 21) == 0) {
		snprintf(buf, len, "suiteql");
	} else if (strncmp(req->path, REST_PREFIX, strlen(REST_PREFIX)) == 0) {
		snprintf(buf, len, "rest:record");
	} else {
		snprintf(buf, len, "other");
	}
}

static void rest_error(struct bh_sim_resp *resp, int status, const char *title, const char *code,
		       const char *detail)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array(),
			   *d = json_object_new_object();
	json_object_object_add(o, "type",
			       json_object_new_string("https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"));
	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "status", json_object_new_int(status));
	if (status == 429)
		json_object_object_add(o, "o:errorCode", json_object_new_string("USER_ERROR"));
	json_object_object_add(d, "detail", json_object_new_string(detail));
	json_object_object_add(d, "o:errorCode", json_object_new_string(code));
	json_object_array_add(a, d);
	json_object_object_add(o, "o:errorDetails", a);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	bh_sim_resp_text(resp, status, "application/vnd.oracle.resource+json; type=error", text,
			 strlen(text));
	json_object_put(o);
}

static void ns_fault(void *svc, enum bh_sim_fault f, const struct bh_sim_req *req,
		     struct bh_sim_resp *resp)
{
	struct bh_sim_ns *ns = svc;
	struct bh_sim_ns_soap *s = bh_sim_ns_soap_slot(ns);
	const char *host = s ? bh_sim_ns_soap_hostname(s) : "localhost";
	char uuid[37], msg[160];

	if (strncmp(req->path, SOAP_PREFIX, strlen(SOAP_PREFIX)) == 0) {
		const char *ver = req->path + strlen(SOAP_PREFIX);
		switch (f) {
		case BH_SIM_FAULT_SOAP:
		case BH_SIM_FAULT_HTTP_429:
			bh_sim_ns_soap_fault(resp, ver, host, "exceededConcurrentRequestLimitFault",
					     "WS_REQUEST_BLOCKED",
					     "SuiteTalk concurrent request limit exceeded. Request blocked.");
			return;
		default:
			bh_sim_uuid(uuid);
			snprintf(msg, sizeof(msg), "An unexpected error occurred. Error ID: %.20s", uuid);
			bh_sim_ns_soap_fault(resp, ver, host, "unexpectedErrorFault", "UNEXPECTED_ERROR",
					     msg);
			return;
		}
	}
	switch (f) {
	case BH_SIM_FAULT_SOAP:
	case BH_SIM_FAULT_HTTP_429:
		rest_error(resp, 429, "Bad Request", "CONCURRENCY_LIMIT_EXCEEDED",
			   "Concurrent request limit exceeded. Request blocked.");
		return;
	default:
		bh_sim_uuid(uuid);
		snprintf(msg, sizeof(msg), "An unexpected error occurred. Error ID: %.20s", uuid);
		rest_error(resp, 500, "Internal Server Error", "UNEXPECTED_ERROR", msg);
		return;
	}
}

/* ------------------------------------------------------------------ JSON helpers */

static void ctl_error(struct bh_sim_resp *resp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ctl_error(struct bh_sim_resp *resp, int status, const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(buf));
	bh_sim_resp_json(resp, status, o);
}

static int err_status(int rc)
{
	switch (rc) {
	case BH_ENOENT: return 404;
	case BH_EEXIST: return 409;
	case BH_EREJECT: return 409;
	default: return 400;
	}
}

static void store_error(struct bh_sim_resp *resp, int rc, const struct bh_sim_ns_err *e)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(e->message[0] ? e->message : "error"));
	json_object_object_add(o, "code", json_object_new_string(e->code ? e->code : "UNEXPECTED_ERROR"));
	if (e->field[0])
		json_object_object_add(o, "field", json_object_new_string(e->field));
	bh_sim_resp_json(resp, err_status(rc), o);
}

static struct json_object *money(int64_t c)
{
	char buf[32];
	return json_object_new_string(bh_sim_ns_money_fmt(c, buf, sizeof(buf)));
}

static struct json_object *time_json(int64_t ms)
{
	char buf[40];
	return json_object_new_string(bh_sim_ns_time_fmt(ms, buf, sizeof(buf)));
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null))
		return json_object_get_string(v);
	return NULL;
}

static bool jint(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return false;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		char *end;
		long long x = strtoll(json_object_get_string(v), &end, 10);
		if (*json_object_get_string(v) && !*end) {
			*out = x;
			return true;
		}
	}
	return false;
}

/** Money from a JSON string or integer/decimal number given as text. */
static int jmoney(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return BH_ENOENT;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v) * 100;
		return BH_OK;
	}
	if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_double))
		return bh_sim_ns_money_parse(json_object_get_string(v), out);
	return BH_EINVAL;
}

static struct json_object *rec_json(struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r,
				    bool full)
{
	struct json_object *o = json_object_new_object();
	char nb[300];
	enum bh_sim_ns_group g = bh_sim_ns_type_group(r->type);
	json_object_object_add(o, "internal_id", json_object_new_int64(r->id));
	json_object_object_add(o, "type", json_object_new_string(bh_sim_ns_type_name(r->type)));
	json_object_object_add(o, "external_id",
			       r->external_id ? json_object_new_string(r->external_id) : NULL);
	json_object_object_add(o, "name", json_object_new_string(bh_sim_ns_ref_name(r, nb, sizeof(nb))));
	json_object_object_add(o, "created", time_json(r->created_ms));
	json_object_object_add(o, "last_modified", time_json(r->modified_ms));
	json_object_object_add(o, "last_modified_ms", json_object_new_int64(r->modified_ms));
	if (g == BH_SIM_NS_G_ENTITY) {
		json_object_object_add(o, "entity_id", json_object_new_string(r->entity_id ? r->entity_id : ""));
		json_object_object_add(o, "email", r->email ? json_object_new_string(r->email) : NULL);
		json_object_object_add(o, "first_name", r->first_name ? json_object_new_string(r->first_name) : NULL);
		json_object_object_add(o, "last_name", r->last_name ? json_object_new_string(r->last_name) : NULL);
		json_object_object_add(o, "company_name", r->company_name ? json_object_new_string(r->company_name) : NULL);
	} else if (g == BH_SIM_NS_G_ITEM) {
		const struct bh_sim_ns_account *a = bh_sim_ns_account_get(ns, r->income_account);
		const char *sku = bh_sim_ns_item_sku(ns, r);
		json_object_object_add(o, "sku", sku ? json_object_new_string(sku) : NULL);
		json_object_object_add(o, "item_id", json_object_new_string(r->item_id ? r->item_id : ""));
		json_object_object_add(o, "name", json_object_new_string(r->display_name ? r->display_name : ""));
		json_object_object_add(o, "kind", json_object_new_string(bh_sim_ns_kind_name(r->kind)));
		json_object_object_add(o, "record_type", json_object_new_string(bh_sim_ns_type_name(r->type)));
		json_object_object_add(o, "cost", money(r->cost));
		json_object_object_add(o, "price", money(r->price));
		json_object_object_add(o, "account", json_object_new_string(a ? a->name : ""));
		if (r->kind == BH_SIM_NS_K_TAX) {
			char buf[40];
			snprintf(buf, sizeof(buf), "%lld.%04lld%%", (long long)(r->tax_rate_ppm / 10000),
				 (long long)(r->tax_rate_ppm % 10000));
			json_object_object_add(o, "tax_rate", json_object_new_string(buf));
		}
	} else {
		json_object_object_add(o, "tran_id", json_object_new_string(r->tran_id ? r->tran_id : ""));
		json_object_object_add(o, "entity", json_object_new_int64(r->entity));
		json_object_object_add(o, "created_from", json_object_new_int64(r->created_from));
		json_object_object_add(o, "status", json_object_new_string(bh_sim_ns_status_text(ns, r)));
		const char *sl = bh_sim_ns_status_letter(ns, r), *ss = bh_sim_ns_status_search(ns, r),
			   *os = bh_sim_ns_order_status(ns, r);
		json_object_object_add(o, "status_code", sl ? json_object_new_string(sl) : NULL);
		json_object_object_add(o, "status_search", ss ? json_object_new_string(ss) : NULL);
		json_object_object_add(o, "order_status", os ? json_object_new_string(os) : NULL);
		json_object_object_add(o, "memo", r->memo ? json_object_new_string(r->memo) : NULL);
		json_object_object_add(o, "other_ref_num", r->other_ref_num ? json_object_new_string(r->other_ref_num) : NULL);
		json_object_object_add(o, "subtotal", money(r->subtotal));
		json_object_object_add(o, "tax_total", money(r->tax_total));
		json_object_object_add(o, "shipping", money(r->shipping_cost));
		json_object_object_add(o, "discount", money(r->discount_total));
		json_object_object_add(o, "total", money(r->total));
		if (r->type == BH_SIM_NS_T_CREDIT_MEMO)
			json_object_object_add(o, "applied", money(r->applied));
		if (full) {
			struct json_object *lines = json_object_new_array();
			for (size_t i = 0; i < r->n_lines; i++) {
				const struct bh_sim_ns_line *l = &r->lines[i];
				struct bh_sim_ns_rec *it = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, l->item);
				const char *sku = it ? bh_sim_ns_item_sku(ns, it) : NULL;
				struct json_object *lj = json_object_new_object();
				json_object_object_add(lj, "line", json_object_new_int64(l->line));
				json_object_object_add(lj, "item", json_object_new_int64(l->item));
				json_object_object_add(lj, "sku", sku ? json_object_new_string(sku) : NULL);
				json_object_object_add(lj, "order_line", json_object_new_int64(l->order_line));
				json_object_object_add(lj, "quantity", json_object_new_int64(l->quantity));
				json_object_object_add(lj, "rate", money(l->rate));
				json_object_object_add(lj, "amount", money(l->amount));
				json_object_object_add(lj, "tax", money(l->tax));
				json_object_object_add(lj, "is_closed", json_object_new_boolean(l->is_closed == 1));
				json_object_object_add(lj, "quantity_received", json_object_new_int64(l->qty_received));
				json_object_object_add(lj, "quantity_billed", json_object_new_int64(l->qty_billed));
				if (r->type == BH_SIM_NS_T_ITEM_RECEIPT)
					json_object_object_add(lj, "restock", json_object_new_boolean(l->restock == 1));
				json_object_array_add(lines, lj);
			}
			json_object_object_add(o, "lines", lines);
			if (r->n_apply) {
				struct json_object *ap = json_object_new_array();
				for (size_t i = 0; i < r->n_apply; i++) {
					struct json_object *aj = json_object_new_object();
					json_object_object_add(aj, "doc", json_object_new_int64(r->apply[i].doc));
					json_object_object_add(aj, "amount", money(r->apply[i].amount));
					json_object_array_add(ap, aj);
				}
				json_object_object_add(o, "apply", ap);
			}
			struct json_object *children = json_object_new_array();
			for (size_t i = 0; i < r->n_children; i++)
				json_object_array_add(children, json_object_new_int64(r->children[i]));
			json_object_object_add(o, "children", children);
			json_object_object_add(o, "gl", bh_sim_ns_gl_json(ns, r));
		}
	}
	if (full || r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION) {
		struct json_object *cf = json_object_new_object();
		for (size_t i = 0; i < r->n_cf; i++) {
			const struct bh_sim_ns_cf *c = &r->cf[i];
			if (!c->value)
				json_object_object_add(cf, c->script_id, NULL);
			else if (c->type == BH_SIM_NS_CF_BOOLEAN)
				json_object_object_add(cf, c->script_id,
						       json_object_new_boolean(!strcmp(c->value, "true")));
			else
				json_object_object_add(cf, c->script_id, json_object_new_string(c->value));
		}
		json_object_object_add(o, "custom_fields", cf);
	}
	return o;
}

static struct json_object *parse_body(const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct json_object *o;
	if (!req->body || !req->body_len)
		return json_object_new_object();
	o = json_tokener_parse(req->body);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		ctl_error(resp, 400, "the body must be a JSON object");
		return NULL;
	}
	return o;
}

static struct json_object *created_json(struct bh_sim_ns *ns, int64_t id)
{
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "internal_id", json_object_new_int64(id));
	if (r) {
		json_object_object_add(o, "type", json_object_new_string(bh_sim_ns_type_name(r->type)));
		json_object_object_add(o, "tran_id", r->tran_id ? json_object_new_string(r->tran_id) : NULL);
		json_object_object_add(o, "total", money(r->total));
		json_object_object_add(o, "status", json_object_new_string(bh_sim_ns_status_text(ns, r)));
	}
	return o;
}

/* ------------------------------------------------------------------ control ops */

static enum bh_sim_ns_type kind_type(enum bh_sim_ns_item_kind k)
{
	switch (k) {
	case BH_SIM_NS_K_INVENTORY: return BH_SIM_NS_T_INVENTORY_ITEM;
	case BH_SIM_NS_K_FEE:
	case BH_SIM_NS_K_SHIPPING: return BH_SIM_NS_T_OTHER_CHARGE_ITEM;
	case BH_SIM_NS_K_DISCOUNT: return BH_SIM_NS_T_DISCOUNT_ITEM;
	case BH_SIM_NS_K_TAX: return BH_SIM_NS_T_SALES_TAX_ITEM;
	default: return BH_SIM_NS_T_NON_INVENTORY_ITEM;
	}
}

static void ctl_post_items(struct bh_sim_ns *ns, struct json_object *body, struct bh_sim_resp *resp)
{
	struct json_object *items, *ids = json_object_new_array();
	if (!json_object_object_get_ex(body, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		json_object_put(ids);
		ctl_error(resp, 400, "body needs \"items\": [...]");
		return;
	}
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		const char *sku = jstr(it, "sku"), *name = jstr(it, "name"), *type = jstr(it, "type");
		const char *acct = jstr(it, "account"), *rate = jstr(it, "tax_rate");
		enum bh_sim_ns_item_kind kind = type ? bh_sim_ns_kind_parse(type) : BH_SIM_NS_K_INVENTORY;
		struct bh_sim_ns_err err = {0};
		int64_t id = 0, v;
		int rc;
		if (!sku || !*sku) {
			json_object_put(ids);
			ctl_error(resp, 400, "items[%zu]: \"sku\" is required", i);
			return;
		}
		if (kind == BH_SIM_NS_K_NONE) {
			json_object_put(ids);
			ctl_error(resp, 400, "items[%zu]: unknown type \"%s\"", i, type);
			return;
		}
		struct bh_sim_ns_rec *cur = bh_sim_ns_item_by_sku(ns, sku);
		struct bh_sim_ns_rec *d = bh_sim_ns_rec_new(cur ? cur->type : kind_type(kind));
		if (!d) {
			json_object_put(ids);
			ctl_error(resp, 500, "out of memory");
			return;
		}
		d->kind = kind;
		if (cur)
			d->id = cur->id;
		if (strcmp(bh_sim_ns_sku_field(ns), "itemId") == 0) {
			bh_sim_ns_str_set(&d->item_id, sku);
		} else {
			bh_sim_ns_cf_set(&d->cf, &d->n_cf, bh_sim_ns_sku_field(ns), BH_SIM_NS_CF_STRING, sku);
			if (!cur) {
				char iid[300];
				snprintf(iid, sizeof(iid), "%s", name ? name : sku);
				/* itemId must be unique too: the SKU field is the real key */
				snprintf(iid + strlen(iid), sizeof(iid) - strlen(iid), " (%s)", sku);
				bh_sim_ns_str_set(&d->item_id, iid);
			}
		}
		if (name)
			bh_sim_ns_str_set(&d->display_name, name);
		if (jstr(it, "external_id"))
			bh_sim_ns_str_set(&d->external_id, jstr(it, "external_id"));
		if ((rc = jmoney(it, "cost", &v)) == BH_OK)
			d->cost = v;
		else if (rc != BH_ENOENT)
			goto bad_money;
		if ((rc = jmoney(it, "price", &v)) == BH_OK)
			d->price = v;
		else if (rc != BH_ENOENT)
			goto bad_money;
		if (rate) {
			char tmp[64];
			size_t n = strlen(rate);
			snprintf(tmp, sizeof(tmp), "%.*s", (int)(n && rate[n - 1] == '%' ? n - 1 : n), rate);
			int64_t h;
			if (bh_sim_ns_money_parse(tmp, &h) != BH_OK)
				goto bad_money;
			d->tax_rate_ppm = h * 100;
		}
		if (acct) {
			const struct bh_sim_ns_account *a = bh_sim_ns_account_find(ns, acct);
			enum bh_sim_ns_acct_kind ak = BH_SIM_NS_A_INCOME;
			if (jstr(it, "account_kind") && bh_sim_ns_acct_kind_parse(jstr(it, "account_kind")))
				ak = bh_sim_ns_acct_kind_parse(jstr(it, "account_kind"));
			d->income_account = a ? a->id : bh_sim_ns_account_add(ns, acct, ak);
		}
		rc = cur ? bh_sim_ns_update(ns, d, NULL, &id, &err) : bh_sim_ns_add(ns, d, NULL, &id, &err);
		if (rc != BH_OK) {
			json_object_put(ids);
			store_error(resp, rc, &err);
			return;
		}
		json_object_array_add(ids, json_object_new_int64(id));
		continue;
bad_money:
		bh_sim_ns_rec_free(d);
		json_object_put(ids);
		ctl_error(resp, 400, "items[%zu]: money values are decimal strings (\"15.00\")", i);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "internal_ids", ids);
	bh_sim_resp_json(resp, 200, o);
}

static void ctl_get_items(struct bh_sim_ns *ns, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	char *sku = bh_sim_req_query(req, "sku");
	struct json_object *arr = json_object_new_array(), *o = json_object_new_object();
	if (sku) {
		struct bh_sim_ns_rec *it = bh_sim_ns_item_by_sku(ns, sku);
		if (it)
			json_object_array_add(arr, rec_json(ns, it, true));
	} else {
		for (size_t i = 0; i < bh_sim_ns_count(ns); i++) {
			struct bh_sim_ns_rec *r = bh_sim_ns_at(ns, i);
			if (bh_sim_ns_type_group(r->type) == BH_SIM_NS_G_ITEM)
				json_object_array_add(arr, rec_json(ns, r, true));
		}
	}
	free(sku);
	json_object_object_add(o, "items", arr);
	bh_sim_resp_json(resp, 200, o);
}

static void ctl_post_customers(struct bh_sim_ns *ns, struct json_object *body,
			       struct bh_sim_resp *resp)
{
	struct json_object *list, *ids = json_object_new_array();
	if (!json_object_object_get_ex(body, "customers", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		json_object_put(ids);
		ctl_error(resp, 400, "body needs \"customers\": [...]");
		return;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *c = json_object_array_get_idx(list, i);
		struct bh_sim_ns_err err = {0};
		const char *eid = jstr(c, "external_id");
		struct bh_sim_ns_rec *cur = eid ? bh_sim_ns_find_eid(ns, BH_SIM_NS_T_CUSTOMER, eid) : NULL;
		struct bh_sim_ns_rec *d = bh_sim_ns_rec_new(BH_SIM_NS_T_CUSTOMER);
		int64_t id = 0, v;
		int rc;
		if (!d) {
			json_object_put(ids);
			ctl_error(resp, 500, "out of memory");
			return;
		}
		if (cur)
			d->id = cur->id;
		else if (eid)
			bh_sim_ns_str_set(&d->external_id, eid);
		if (jstr(c, "email"))
			bh_sim_ns_str_set(&d->email, jstr(c, "email"));
		if (jstr(c, "first_name"))
			bh_sim_ns_str_set(&d->first_name, jstr(c, "first_name"));
		if (jstr(c, "last_name"))
			bh_sim_ns_str_set(&d->last_name, jstr(c, "last_name"));
		if (jstr(c, "company_name"))
			bh_sim_ns_str_set(&d->company_name, jstr(c, "company_name"));
		if (jstr(c, "phone"))
			bh_sim_ns_str_set(&d->phone, jstr(c, "phone"));
		if (jstr(c, "entity_id"))
			bh_sim_ns_str_set(&d->entity_id, jstr(c, "entity_id"));
		if (jint(c, "shopify_customer_id", &v)) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%lld", (long long)v);
			bh_sim_ns_cf_set(&d->cf, &d->n_cf, "custentity_bh_shopify_customer_id",
					 BH_SIM_NS_CF_STRING, buf);
		}
		rc = cur ? bh_sim_ns_update(ns, d, NULL, &id, &err) : bh_sim_ns_add(ns, d, NULL, &id, &err);
		if (rc != BH_OK) {
			json_object_put(ids);
			store_error(resp, rc, &err);
			return;
		}
		json_object_array_add(ids, json_object_new_int64(id));
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "internal_ids", ids);
	bh_sim_resp_json(resp, 200, o);
}

static void ctl_get_customers(struct bh_sim_ns *ns, const struct bh_sim_req *req,
			      struct bh_sim_resp *resp)
{
	char *email = bh_sim_req_query(req, "email");
	struct json_object *arr = json_object_new_array(), *o = json_object_new_object();
	for (size_t i = 0; i < bh_sim_ns_count(ns); i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_at(ns, i);
		if (r->type != BH_SIM_NS_T_CUSTOMER)
			continue;
		if (email && (!r->email || strcasecmp(r->email, email) != 0))
			continue;
		json_object_array_add(arr, rec_json(ns, r, true));
	}
	free(email);
	json_object_object_add(o, "customers", arr);
	bh_sim_resp_json(resp, 200, o);
}

static void ctl_post_sales_order(struct bh_sim_ns *ns, struct json_object *body,
				 struct bh_sim_resp *resp)
{
	struct bh_sim_ns_rec *d = bh_sim_ns_rec_new(BH_SIM_NS_T_SALES_ORDER);
	struct bh_sim_ns_err err = {0};
	struct json_object *lines;
	int64_t v, id = 0;
	int rc;
	const char *s;

	if (!d) {
		ctl_error(resp, 500, "out of memory");
		return;
	}
	if ((s = jstr(body, "external_id")))
		bh_sim_ns_str_set(&d->external_id, s);
	if ((s = jstr(body, "tran_id")))
		bh_sim_ns_str_set(&d->tran_id, s);
	if ((s = jstr(body, "memo")))
		bh_sim_ns_str_set(&d->memo, s);
	if ((s = jstr(body, "other_ref_num")))
		bh_sim_ns_str_set(&d->other_ref_num, s);
	if (jint(body, "customer", &v)) {
		d->entity = v;
	} else if ((s = jstr(body, "customer_email"))) {
		for (size_t i = 0; i < bh_sim_ns_count(ns); i++) {
			struct bh_sim_ns_rec *r = bh_sim_ns_at(ns, i);
			if (r->type == BH_SIM_NS_T_CUSTOMER && r->email && !strcasecmp(r->email, s)) {
				d->entity = r->id;
				break;
			}
		}
	}
	if ((s = jstr(body, "exchange_of")))
		bh_sim_ns_cf_set(&d->cf, &d->n_cf, BH_SIM_NS_EXCHANGE_FIELD, BH_SIM_NS_CF_STRING, s);
	{
		struct json_object *so;
		if (json_object_object_get_ex(body, "shopify_order_id", &so)) {
			/* int64 or string, kept exact */
			const char *txt = json_object_get_string(so);
			bh_sim_ns_cf_set(&d->cf, &d->n_cf, bh_sim_ns_shopify_field(ns), BH_SIM_NS_CF_STRING,
					 txt);
		}
	}
	if ((rc = jmoney(body, "shipping", &v)) == BH_OK)
		d->shipping_cost = v;
	if (json_object_object_get_ex(body, "lines", &lines) && json_object_is_type(lines, json_type_array)) {
		d->lines_given = true;
		for (size_t i = 0; i < json_object_array_length(lines); i++) {
			struct json_object *lj = json_object_array_get_idx(lines, i);
			struct bh_sim_ns_line *l = bh_sim_ns_rec_add_line(d);
			const char *sku = jstr(lj, "sku");
			if (!l) {
				bh_sim_ns_rec_free(d);
				ctl_error(resp, 500, "out of memory");
				return;
			}
			if (sku) {
				struct bh_sim_ns_rec *it = bh_sim_ns_item_by_sku(ns, sku);
				if (!it) {
					bh_sim_ns_rec_free(d);
					ctl_error(resp, 404, "lines[%zu]: no item with %s \"%s\"", i,
						  bh_sim_ns_sku_field(ns), sku);
					return;
				}
				l->item = it->id;
			} else if (jint(lj, "item", &v)) {
				l->item = v;
			}
			if (jint(lj, "quantity", &v))
				l->quantity = v;
			if (jmoney(lj, "rate", &v) == BH_OK)
				l->rate = v;
			if (jmoney(lj, "amount", &v) == BH_OK)
				l->amount = v;
			if (jmoney(lj, "tax", &v) == BH_OK)
				l->tax = v;
		}
	}
	rc = bh_sim_ns_add(ns, d, NULL, &id, &err);
	if (rc != BH_OK) {
		store_error(resp, rc, &err);
		return;
	}
	bh_sim_resp_json(resp, 200, created_json(ns, id));
}

static void ctl_get_records(struct bh_sim_ns *ns, const struct bh_sim_req *req,
			    struct bh_sim_resp *resp)
{
	char *type = bh_sim_req_query(req, "type"), *eid = bh_sim_req_query(req, "externalId");
	char *cf = bh_sim_req_query(req, "createdFrom"), *since = bh_sim_req_query(req, "modifiedSince");
	enum bh_sim_ns_type t = type ? bh_sim_ns_type_parse(type) : BH_SIM_NS_T_NONE;
	struct json_object *arr, *o;
	if (!eid)
		eid = bh_sim_req_query(req, "external_id");
	if (type && t == BH_SIM_NS_T_NONE) {
		ctl_error(resp, 400, "unknown record type \"%s\"", type);
		goto out;
	}
	arr = json_object_new_array();
	o = json_object_new_object();
	for (size_t i = 0; i < bh_sim_ns_count(ns); i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_at(ns, i);
		if (t != BH_SIM_NS_T_NONE ? r->type != t
					  : bh_sim_ns_type_group(r->type) != BH_SIM_NS_G_TRANSACTION)
			continue;
		if (eid && (!r->external_id || strcasecmp(r->external_id, eid) != 0))
			continue;
		if (cf && r->created_from != strtoll(cf, NULL, 10))
			continue;
		if (since && r->modified_ms <= strtoll(since, NULL, 10))
			continue;
		json_object_array_add(arr, rec_json(ns, r, true));
	}
	json_object_object_add(o, "records", arr);
	bh_sim_resp_json(resp, 200, o);
out:
	free(type);
	free(eid);
	free(cf);
	free(since);
}

static void ctl_gl_order(struct bh_sim_ns *ns, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	char *so_id = bh_sim_req_query(req, "shopify_order_id"), *so = bh_sim_req_query(req, "sales_order");
	struct bh_sim_ns_rec *r = NULL;
	if (so)
		r = bh_sim_ns_get(ns, BH_SIM_NS_T_SALES_ORDER, strtoll(so, NULL, 10));
	else if (so_id)
		r = bh_sim_ns_find_shopify_order(ns, so_id);
	if (!so && !so_id)
		ctl_error(resp, 400, "give ?shopify_order_id= or ?sales_order=");
	else if (!r)
		ctl_error(resp, 404, "no sales order for %s", so ? so : so_id);
	else {
		struct json_object *o = bh_sim_ns_gl_chain_json(ns, r);
		if (o)
			bh_sim_resp_json(resp, 200, o);
		else
			ctl_error(resp, 500, "out of memory");
	}
	free(so_id);
	free(so);
}

static void ctl_derive(struct bh_sim_ns *ns, const char *what, struct json_object *body,
		       struct bh_sim_resp *resp)
{
	struct bh_sim_ns_err err = {0};
	int64_t so, id = 0;
	int rc;
	if (!jint(body, "sales_order", &so)) {
		ctl_error(resp, 400, "body needs \"sales_order\": <internal id>");
		return;
	}
	if (!strcmp(what, "bill")) {
		const char *as = jstr(body, "as");
		if (as && strcmp(as, "cash_sale") && strcmp(as, "invoice")) {
			ctl_error(resp, 400, "\"as\" is cash_sale or invoice");
			return;
		}
		rc = bh_sim_ns_bill(ns, so, as && !strcmp(as, "invoice"), &id, &err);
	} else {
		rc = bh_sim_ns_fulfill(ns, so, &id, &err);
	}
	if (rc != BH_OK)
		store_error(resp, rc, &err);
	else
		bh_sim_resp_json(resp, 200, created_json(ns, id));
}

static void ctl_ra(struct bh_sim_ns *ns, const char *rest, struct json_object *body,
		   struct bh_sim_resp *resp)
{
	char *end;
	long long id = strtoll(rest, &end, 10);
	struct bh_sim_ns_err err = {0};
	int64_t nid = 0;
	int rc;
	struct json_object *v;
	if (end == rest || *end != '/') {
		ctl_error(resp, 404, "expected /ra/<internal id>/<action>");
		return;
	}
	const char *act = end + 1;
	if (!strcmp(act, "flag")) {
		if (!json_object_object_get_ex(body, "value", &v) || !json_object_is_type(v, json_type_boolean)) {
			ctl_error(resp, 400, "body needs \"value\": true|false");
			return;
		}
		rc = bh_sim_ns_ra_flag(ns, id, json_object_get_boolean(v), &err);
	} else if (!strcmp(act, "receive")) {
		bool restock = true;
		if (json_object_object_get_ex(body, "restock", &v))
			restock = json_object_get_boolean(v);
		rc = bh_sim_ns_ra_receive(ns, id, restock, &nid, &err);
		if (rc == BH_OK) {
			bh_sim_resp_json(resp, 200, created_json(ns, nid));
			return;
		}
	} else if (!strcmp(act, "close")) {
		rc = bh_sim_ns_ra_close(ns, id, &err);
	} else if (!strcmp(act, "cancel")) {
		rc = bh_sim_ns_ra_cancel(ns, id, &err);
	} else if (!strcmp(act, "approve")) {
		rc = bh_sim_ns_ra_approve(ns, id, &err);
	} else {
		ctl_error(resp, 404, "unknown RA action \"%s\"", act);
		return;
	}
	if (rc != BH_OK) {
		store_error(resp, rc, &err);
		return;
	}
	bh_sim_resp_json(resp, 200, rec_json(ns, bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id), true));
}

static struct json_object *conc_json(struct bh_sim_ns *ns)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "limit", json_object_new_int(bh_sim_ns_conc_limit(ns)));
	json_object_object_add(o, "in_use", json_object_new_int(bh_sim_ns_conc_in_use(ns)));
	return o;
}

static void ctl_accounts_post(struct bh_sim_ns *ns, struct json_object *body, struct bh_sim_resp *resp)
{
	const char *acct = jstr(body, "account") ? jstr(body, "account") : bh_sim_ns_account_id(ns);
	const char *ck = jstr(body, "consumer_key"), *cs = jstr(body, "consumer_secret");
	const char *ti = jstr(body, "token_id"), *ts = jstr(body, "token_secret");
	struct json_object *deny;
	const char *dl[32];
	size_t nd = 0;
	if (!ck || !cs || !ti || !ts) {
		ctl_error(resp, 400, "body needs consumer_key, consumer_secret, token_id, token_secret");
		return;
	}
	if (json_object_object_get_ex(body, "deny", &deny) && json_object_is_type(deny, json_type_array))
		for (size_t i = 0; i < json_object_array_length(deny) && nd < 32; i++)
			dl[nd++] = json_object_get_string(json_object_array_get_idx(deny, i));
	if (bh_sim_ns_cred_add(ns, acct, ck, cs, ti, ts, dl, nd) != BH_OK) {
		ctl_error(resp, 500, "out of memory");
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "account", json_object_new_string(acct));
	json_object_object_add(o, "consumer_key", json_object_new_string(ck));
	json_object_object_add(o, "token_id", json_object_new_string(ti));
	bh_sim_resp_json(resp, 200, o);
}

static void ctl_accounts_get(struct bh_sim_ns *ns, struct bh_sim_resp *resp)
{
	struct json_object *arr = json_object_new_array(), *o = json_object_new_object();
	for (size_t i = 0; i < bh_sim_ns_cred_count(ns); i++) {
		const struct bh_sim_ns_cred *c = bh_sim_ns_cred_at(ns, i);
		struct json_object *e = json_object_new_object(), *d = json_object_new_array();
		json_object_object_add(e, "account", json_object_new_string(c->account));
		json_object_object_add(e, "consumer_key", json_object_new_string(c->consumer_key));
		json_object_object_add(e, "consumer_secret", json_object_new_string(c->consumer_secret));
		json_object_object_add(e, "token_id", json_object_new_string(c->token_id));
		json_object_object_add(e, "token_secret", json_object_new_string(c->token_secret));
		for (size_t k = 0; k < c->n_deny; k++)
			json_object_array_add(d, json_object_new_string(c->deny[k]));
		json_object_object_add(e, "deny", d);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "accounts", arr);
	bh_sim_resp_json(resp, 200, o);
}

static void ctl_info(struct bh_sim_ns *ns, struct bh_sim_resp *resp)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "account", json_object_new_string(bh_sim_ns_account_id(ns)));
	json_object_object_add(o, "version", json_object_new_string(bh_sim_ns_version(ns)));
	json_object_object_add(o, "sku_field", json_object_new_string(bh_sim_ns_sku_field(ns)));
	json_object_object_add(o, "flag_field", json_object_new_string(bh_sim_ns_flag_field(ns)));
	json_object_object_add(o, "shopify_field", json_object_new_string(bh_sim_ns_shopify_field(ns)));
	json_object_object_add(o, "concurrency", conc_json(ns));
	json_object_object_add(o, "records", json_object_new_int64((int64_t)bh_sim_ns_count(ns)));
	json_object_object_add(o, "now_ms", json_object_new_int64(bh_sim_ns_now_ms(ns)));
	json_object_object_add(o, "soap", bh_sim_ns_soap_info(bh_sim_ns_soap_slot(ns)));
	bh_sim_resp_json(resp, 200, o);
}

static void ns_control(void *svc, const struct bh_sim_req *req, struct bh_sim_resp *resp)
{
	struct bh_sim_ns *ns = svc;
	const char *p = req->path;
	bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
	struct json_object *body = NULL;

	if (post && !(body = parse_body(req, resp)))
		return;
	/* operations that do not need the store lock */
	if (!strcmp(p, "/concurrency") && (get || post)) {
		int64_t lim = -1, held = -1;
		jint(body, "limit", &lim);
		jint(body, "held", &held);
		bh_sim_ns_conc_set(ns, (int)lim, (int)held);
		bh_sim_resp_json(resp, 200, conc_json(ns));
		goto out;
	}
	if (!strcmp(p, "/xsd") && post) {
		struct json_object *v;
		if (!json_object_object_get_ex(body, "enabled", &v)) {
			ctl_error(resp, 400, "body needs \"enabled\": bool");
			goto out;
		}
		bh_sim_ns_soap_set_xsd(bh_sim_ns_soap_slot(ns), json_object_get_boolean(v));
		bh_sim_resp_json(resp, 200, bh_sim_ns_soap_info(bh_sim_ns_soap_slot(ns)));
		goto out;
	}
	if (!strcmp(p, "/login_audit") && get) {
		struct json_object *info = bh_sim_ns_soap_info(bh_sim_ns_soap_slot(ns)), *a, *o;
		o = json_object_new_object();
		if (json_object_object_get_ex(info, "login_audit", &a))
			json_object_object_add(o, "login_audit", json_object_get(a));
		json_object_put(info);
		bh_sim_resp_json(resp, 200, o);
		goto out;
	}

	bh_sim_ns_lock(ns);
	if (!strcmp(p, "/info") && get) {
		ctl_info(ns, resp);
	} else if (!strcmp(p, "/accounts") && post) {
		ctl_accounts_post(ns, body, resp);
	} else if (!strcmp(p, "/accounts") && get) {
		ctl_accounts_get(ns, resp);
	} else if (!strcmp(p, "/items") && post) {
		ctl_post_items(ns, body, resp);
	} else if (!strcmp(p, "/items") && get) {
		ctl_get_items(ns, req, resp);
	} else if (!strcmp(p, "/customers") && post) {
		ctl_post_customers(ns, body, resp);
	} else if (!strcmp(p, "/customers") && get) {
		ctl_get_customers(ns, req, resp);
	} else if (!strcmp(p, "/sales_orders") && post) {
		ctl_post_sales_order(ns, body, resp);
	} else if (!strcmp(p, "/records") && get) {
		ctl_get_records(ns, req, resp);
	} else if (!strncmp(p, "/records/", 9) && get) {
		char type[64];
		const char *slash = strchr(p + 9, '/');
		if (!slash || (size_t)(slash - (p + 9)) >= sizeof(type)) {
			ctl_error(resp, 404, "expected /records/<type>/<internal id>");
		} else {
			snprintf(type, sizeof(type), "%.*s", (int)(slash - (p + 9)), p + 9);
			enum bh_sim_ns_type t = bh_sim_ns_type_parse(type);
			struct bh_sim_ns_rec *r = t ? bh_sim_ns_get(ns, t, strtoll(slash + 1, NULL, 10)) : NULL;
			if (!t)
				ctl_error(resp, 400, "unknown record type \"%s\"", type);
			else if (!r)
				ctl_error(resp, 404, "no %s with internal id %s", type, slash + 1);
			else
				bh_sim_resp_json(resp, 200, rec_json(ns, r, true));
		}
	} else if (!strcmp(p, "/gl/order") && get) {
		ctl_gl_order(ns, req, resp);
	} else if (!strcmp(p, "/gl/trial_balance") && get) {
		struct json_object *o = bh_sim_ns_trial_balance_json(ns);
		if (o)
			bh_sim_resp_json(resp, 200, o);
		else
			ctl_error(resp, 500, "out of memory");
	} else if (!strcmp(p, "/bill") && post) {
		ctl_derive(ns, "bill", body, resp);
	} else if (!strcmp(p, "/fulfill") && post) {
		ctl_derive(ns, "fulfill", body, resp);
	} else if (!strncmp(p, "/ra/", 4) && post) {
		ctl_ra(ns, p + 4, body, resp);
	} else if (!strcmp(p, "/clock") && post) {
		int64_t off = 0;
		const char *now = jstr(body, "now");
		if (now) {
			int64_t ms;
			if (bh_sim_ns_time_parse(now, &ms) != BH_OK) {
				ctl_error(resp, 400, "\"now\" is an xsd:dateTime");
				goto unlock;
			}
			bh_sim_ns_set_clock_offset(ns, 0);
			off = ms - bh_sim_ns_now_ms(ns);
		} else if (!jint(body, "offset_ms", &off)) {
			ctl_error(resp, 400, "body needs \"offset_ms\" or \"now\"");
			goto unlock;
		}
		bh_sim_ns_set_clock_offset(ns, off);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "now_ms", json_object_new_int64(bh_sim_ns_now_ms(ns)));
		json_object_object_add(o, "offset_ms", json_object_new_int64(off));
		bh_sim_resp_json(resp, 200, o);
	} else {
		ctl_error(resp, 404, "no control operation %s %s", req->method, p);
	}
unlock:
	bh_sim_ns_unlock(ns);
out:
	json_object_put(body);
}

const struct bh_sim_service bh_sim_service_netsuite = {
	.name = "netsuite",
	.create = ns_create,
	.handle = ns_handle,
	.control = ns_control,
	.destroy = ns_destroy,
	.op_name = ns_op_name,
	.fault = ns_fault,
};
