/*
 * netsuite_soap.c - the netsuite-soap plugin against backhaul-sim, through a recording
 * proxy (netsuite_soap_proxy.c):
 *   - the simulator validates SOAP requests against Oracle's XSD (on in this run) and
 *     refuses an invalid one; every request the plugin sent in this test is validated
 *     again here with libxml2 against validate-all.xsd, carries exactly one tokenPassport
 *     with a nonce never used before (fresh per attempt) and a SOAPAction naming its
 *     operation;
 *   - faults: a transient one retried inside the operation with a fresh passport; a
 *     write whose answer timed out is re-read by external id, not sent twice; without
 *     retries the same cases are BH_ERETRY and the repeat answers created:false;
 *     WS_REQUEST_BLOCKED from the account limit; max_requests keeps bursts under it;
 *     record errors (over-return) and permissions (INSUFFICIENT_PERMISSION) classified;
 *   - search paging (searchMoreWithId) and an expired search restarting;
 *   - diagnostics: all checks passing, a wrong token, a clock 7 minutes off, an
 *     unreachable host, a missing permission;
 *   - the source: poll() emits erp.receipt.created / erp.ra.closed / erp.ra.flagged
 *     with the keys of sdk/RECORDS.md and commits the combined cursor.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <backhaul/diag.h>
#include <backhaul/erp.h>

#include "harness.h"
#include "netsuite_soap_proxy.h"

typedef int (*erp_fn)(void *ctx, const char *doc, char **out, struct bh_status *st);

static struct bh_test_sim sim;
static struct bh_nssp *proxy;
static struct bh_test_engine te;
static const struct bh_erp_ops *erp;
static void *ectx;
static char tmpdir[64];

/* ------------------------------------------------------------------ helpers */

static const char *jstr(json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_object *cur = o;
	for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(cur, json_type_array))
			cur = json_object_array_get_idx(cur, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(cur, tok, &cur))
			cur = NULL;
	}
	return cur && !json_object_is_type(cur, json_type_null) ? json_object_get_string(cur) : NULL;
}

static bool jbool(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static const struct bh_erp_ops *cap(const char *inst, void **ctx)
{
	return bh_test_cap(&te, inst, BH_CAP_ERP, ctx);
}

static int callx(const char *inst, erp_fn (*pick)(const struct bh_erp_ops *), const char *doc,
		 json_object **res, struct bh_status *st)
{
	void *ctx = NULL;
	const struct bh_erp_ops *ops = cap(inst, &ctx);
	char *out = NULL;
	memset(st, 0, sizeof(*st));
	if (!ops)
		return -1;
	int rc = pick(ops)(ctx, doc, &out, st);
	if (res)
		*res = out ? json_tokener_parse(out) : NULL;
	if (rc && rc != BH_ENOENT)
		diag("  %s: rc %d %s %s", inst, rc, st->code, st->message);
	free(out);
	return rc;
}

static erp_fn p_find(const struct bh_erp_ops *o) { return o->find_sales_order; }
static erp_fn p_cust(const struct bh_erp_ops *o) { return o->upsert_customer; }
static erp_fn p_so(const struct bh_erp_ops *o) { return o->upsert_sales_order; }
static erp_fn p_ra(const struct bh_erp_ops *o) { return o->create_return_authorization; }
static erp_fn p_get(const struct bh_erp_ops *o) { return o->get_return_authorization; }
static erp_fn p_ir(const struct bh_erp_ops *o) { return o->create_item_receipt; }
static erp_fn p_ref(const struct bh_erp_ops *o) { return o->create_refund; }
static erp_fn p_close(const struct bh_erp_ops *o) { return o->close_return_authorization; }

static json_object *ctl(const char *method, const char *path, const char *body)
{
	char *resp = NULL;
	long code = bh_test_ctl(&sim, method, path, body, &resp);
	json_object *o = resp ? json_tokener_parse(resp) : NULL;
	if (code != 200)
		diag("control %s %s -> %ld %s", method, path, code, resp ? resp : "");
	free(resp);
	return o;
}

static int count_records(const char *type, const char *eid)
{
	char p[256];
	snprintf(p, sizeof(p), "/control/netsuite/records?type=%s&externalId=%s", type, eid);
	json_object *o = ctl("GET", p, NULL), *a;
	int n = o && json_object_object_get_ex(o, "records", &a) ? (int)json_object_array_length(a) : -1;
	json_object_put(o);
	return n;
}

/* Captured requests whose SOAPAction is `action`, from index `from`. */
static int count_action(size_t from, const char *action)
{
	int n = 0;
	for (size_t i = from; i < bh_nssp_count(proxy); i++) {
		char *a = bh_nssp_action(proxy, i);
		char want[64];
		snprintf(want, sizeof(want), "\"%s\"", action);
		n += a && !strcmp(a, want);
		free(a);
	}
	return n;
}

/* A customer, a sales order of qty x sku billed and fulfilled; *so = its internal id. */
static void order(const char *n, const char *sku, int qty, char *so)
{
	char doc[1600];
	struct bh_status st;
	json_object *r;
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-customer-80000000000000%s\",\"email\":\"s%s@example.com\","
		 "\"first_name\":\"Soap\",\"last_name\":\"N%s\"}", n, n, n);
	is_int(callx("netsuite", p_cust, doc, NULL, &st), 0, "customer %s", n);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"shopify-order-62103985732452%s\","
		 "\"customer_external_id\":\"shopify-customer-80000000000000%s\","
		 "\"storefront_order_id\":\"62103985732452%s\",\"name\":\"#2%s\","
		 "\"date\":\"2026-11-01T10:00:00Z\",\"currency\":\"USD\","
		 "\"lines\":[{\"sku\":\"%s\",\"quantity\":%d,\"rate\":\"40.00\",\"amount\":\"%d.00\","
		 "\"discount\":\"0.00\",\"tax\":\"%d.%02d\"}],\"shipping\":{\"amount\":\"5.00\",\"tax\":\"0.00\"},"
		 "\"exchange_of\":null,\"memo\":null}",
		 n, n, n, n, sku, qty, 40 * qty, (320 * qty) / 100, (320 * qty) % 100);
	is_int(callx("netsuite", p_so, doc, &r, &st), 0, "sales order %s", n);
	snprintf(so, 32, "%s", jstr(r, "internal_id") ? jstr(r, "internal_id") : "");
	json_object_put(r);
	char b[96];
	snprintf(b, sizeof(b), "{\"sales_order\":%s,\"as\":\"cash_sale\"}", so);
	json_object_put(ctl("POST", "/control/netsuite/bill", b));
	snprintf(b, sizeof(b), "{\"sales_order\":%s}", so);
	json_object_put(ctl("POST", "/control/netsuite/fulfill", b));
}

static int make_ra(const char *inst, const char *so, const char *rid, int qty, json_object **res,
		   struct bh_status *st)
{
	char doc[1200];
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-%s\",\"sales_order\":{\"internal_id\":\"%s\"},"
		 "\"return_id\":\"%s\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":%d,\"rate\":\"40.00\","
		 "\"amount\":\"%d.00\",\"tax\":\"%d.%02d\"}],\"adjustments\":[],\"memo\":null}",
		 rid, so, rid, qty, 40 * qty, (320 * qty) / 100, (320 * qty) % 100);
	return callx(inst, p_ra, doc, res, st);
}

static void add_fault(const char *json)
{
	json_object_put(ctl("POST", "/control/faults", json));
}

static void clear_faults(void)
{
	json_object_put(ctl("DELETE", "/control/faults", NULL));
}

/* ------------------------------------------------------------------ XSD */

static xmlNodePtr child(xmlNodePtr n, const char *local)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, local))
			return c;
	return NULL;
}

static long post_doc(xmlDocPtr doc, const char *action, char **resp)
{
	char url[128], sa[64];
	xmlChar *buf = NULL;
	int len = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/services/NetSuitePort_2023_2", sim.netsuite);
	snprintf(sa, sizeof(sa), "SOAPAction: \"%s\"", action);
	const char *hdrs[] = {"Content-Type: text/xml; charset=utf-8", sa, NULL};
	xmlDocDumpMemory(doc, &buf, &len);
	long code = bh_test_http("POST", url, hdrs, (const char *)buf, resp);
	xmlFree(buf);
	return code;
}

static void xsd_in_sim(void)
{
	json_object *info = ctl("GET", "/control/netsuite/info", NULL);
	ok(info && jbool(json_object_object_get(info, "soap"), "xsd"),
	   "the simulator validates SOAP requests against validate-all.xsd");
	json_object_put(info);

	char path[4096];
	snprintf(path, sizeof(path),
		 "%s/reference/netsuite-suitetalk/2023_2/samples/envelope-upsert-returnAuthorization.request.xml",
		 tap_shared_dir());
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	ok(doc != NULL, "read the sample envelope");
	if (!doc)
		return;
	char *resp = NULL;
	long code = post_doc(doc, "upsert", &resp);
	ok(code == 500 && resp && strstr(resp, "Invalid login attempt"),
	   "a valid envelope passes validation and reaches authentication (its 2017 timestamp fails)");
	free(resp);
	/* the same envelope with an element the schema does not know */
	xmlNodePtr rec = child(child(child(xmlDocGetRootElement(doc), "Body"), "upsert"), "record");
	xmlNodePtr memo = child(rec, "memo");
	ok(memo != NULL, "found the record's memo");
	if (memo) {
		xmlNodePtr bogus = xmlNewNode(memo->ns, (const xmlChar *)"bogusField");
		xmlAddNextSibling(memo, bogus);
	}
	resp = NULL;
	code = post_doc(doc, "upsert", &resp);
	ok(code == 500 && resp && strstr(resp, "bogusField") && !strstr(resp, "Invalid login attempt"),
	   "an invalid envelope is refused by the schema check (%ld)", code);
	free(resp);
	xmlFreeDoc(doc);
}

static xmlSchemaPtr load_schema(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/reference/netsuite-suitetalk/2023_2/validate-all.xsd",
		 tap_shared_dir());
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
	xmlSchemaPtr s = pc ? xmlSchemaParse(pc) : NULL;
	if (pc)
		xmlSchemaFreeParserCtxt(pc);
	return s;
}

struct verr {
	char msg[512];
	int line;
	bool set;
};

static void on_verr(void *ctx, xmlErrorPtr e)
{
	struct verr *v = ctx;
	if (!v->set && e) {
		v->set = true;
		v->line = e->line;
		snprintf(v->msg, sizeof(v->msg), "%s", e->message ? e->message : "invalid");
	}
}

/* Every captured request: valid against the XSD, one passport, unique nonce, matching
 * SOAPAction and path. */
static void validate_captured(xmlSchemaPtr schema)
{
	size_t n = bh_nssp_count(proxy), invalid = 0, bad_pp = 0, bad_action = 0, bad_path = 0;
	char **nonces = calloc(n ? n : 1, sizeof(char *));
	size_t dup_nonce = 0;
	for (size_t i = 0; i < n; i++) {
		char *body = bh_nssp_body(proxy, i), *action = bh_nssp_action(proxy, i),
		     *path = bh_nssp_path(proxy, i);
		xmlDocPtr doc = xmlReadMemory(body, (int)strlen(body), "req.xml", NULL, XML_PARSE_NONET);
		struct verr v = {0};
		xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
		xmlSchemaSetValidStructuredErrors(vc, on_verr, &v);
		if (!doc || xmlSchemaValidateDoc(vc, doc) != 0) {
			if (invalid++ < 3)
				diag("request %zu (%s) does not validate: line %d: %s", i, action, v.line, v.msg);
		}
		xmlSchemaFreeValidCtxt(vc);
		xmlNodePtr env = doc ? xmlDocGetRootElement(doc) : NULL;
		xmlNodePtr hdr = child(env, "Header"), body_el = child(env, "Body");
		int passports = 0;
		xmlNodePtr tp = NULL;
		for (xmlNodePtr c = hdr ? hdr->children : NULL; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "tokenPassport")) {
				passports++;
				tp = c;
			}
		bad_pp += passports != 1;
		xmlChar *nonce = tp ? xmlNodeGetContent(child(tp, "nonce")) : NULL;
		nonces[i] = nonce ? strdup((const char *)nonce) : strdup("");
		xmlFree(nonce);
		for (size_t k = 0; k < i; k++)
			dup_nonce += nonces[i][0] && !strcmp(nonces[k], nonces[i]);
		xmlNodePtr op = NULL;
		for (xmlNodePtr c = body_el ? body_el->children : NULL; c && !op; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				op = c;
		char want[80];
		snprintf(want, sizeof(want), "\"%s\"", op ? (const char *)op->name : "?");
		bad_action += strcmp(action, want) != 0;
		bad_path += strcmp(path, "/services/NetSuitePort_2023_2") != 0;
		if (doc)
			xmlFreeDoc(doc);
		free(body);
		free(action);
		free(path);
	}
	ok(n > 50, "%zu requests captured", n);
	is_int((long long)invalid, 0, "every request the plugin sent validates against validate-all.xsd");
	is_int((long long)bad_pp, 0, "every request carries exactly one tokenPassport");
	is_int((long long)dup_nonce, 0, "no nonce was ever sent twice (fresh passport per attempt)");
	is_int((long long)bad_action, 0, "every SOAPAction names the body's operation");
	is_int((long long)bad_path, 0, "every request goes to /services/NetSuitePort_2023_2");
	for (size_t i = 0; i < n; i++)
		free(nonces[i]);
	free(nonces);
}

/* ------------------------------------------------------------------ scenario */

static void flows(char *so1, char *ra1, char *ir1)
{
	struct bh_status st;
	json_object *r;
	char doc[1200];

	order("1", "TEE-BLK-M", 1, so1);
	is_int(make_ra("netsuite", so1, "2001", 1, &r, &st), 0, "RA 2001");
	snprintf(ra1, 32, "%s", jstr(r, "internal_id") ? jstr(r, "internal_id") : "");
	json_object_put(r);
	snprintf(doc, sizeof(doc), "{\"external_id\":\"loop-ir-2001\",\"ra\":{\"internal_id\":\"%s\"},"
				   "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"restock\":true}]}", ra1);
	is_int(callx("netsuite", p_ir, doc, &r, &st), 0, "item receipt 2001");
	snprintf(ir1, 32, "%s", jstr(r, "internal_id") ? jstr(r, "internal_id") : "");
	json_object_put(r);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-cr-2001\",\"document\":\"cash_refund\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}],"
		 "\"adjustments\":[],\"bonus\":null,\"customer_refund\":null}", ra1);
	is_int(callx("netsuite", p_ref, doc, NULL, &st), 0, "cash refund 2001");
	is_int(callx("netsuite", p_find, "{\"shopify_order_id\":\"621039857324521\"}", &r, &st), 0,
	       "find the order by Shopify id");
	is_str(jstr(r, "internal_id"), so1, "  the same order");
	json_object_put(r);

	/* a credit memo with a fee adjustment, a bonus and a customer refund (those request
	 * shapes are validated below too) */
	char so5[32] = "", ra5[32] = "";
	order("5", "TEE-BLK-M", 1, so5);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-2005\",\"sales_order\":{\"external_id\":\"shopify-order-621039857324525\"},"
		 "\"return_id\":\"2005\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\","
		 "\"amount\":\"40.00\",\"tax\":\"3.20\"}],\"adjustments\":[{\"kind\":\"fee\","
		 "\"item\":\"RESTOCKING-FEE\",\"amount\":\"-5.00\",\"memo\":\"handling fee\"}],\"memo\":\"Loop return 2005\"}");
	is_int(callx("netsuite", p_ra, doc, &r, &st), 0, "RA 2005 with a fee line");
	snprintf(ra5, sizeof(ra5), "%s", jstr(r, "internal_id") ? jstr(r, "internal_id") : "");
	json_object_put(r);
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-cm-2005\",\"document\":\"credit_memo\",\"ra\":{\"internal_id\":\"%s\"},"
		 "\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}],"
		 "\"adjustments\":[{\"kind\":\"fee\",\"item\":\"RESTOCKING-FEE\",\"amount\":\"-5.00\",\"memo\":\"handling fee\"}],"
		 "\"bonus\":\"5.00\",\"memo\":\"store credit\","
		 "\"customer_refund\":{\"external_id\":\"loop-crf-2005\",\"amount\":\"38.20\"}}", ra5);
	is_int(callx("netsuite", p_ref, doc, &r, &st), 0, "credit memo with fee, bonus and customer refund");
	is_str(jstr(r, "customer_refund.type"), "customer_refund", "  the customer refund is answered");
	json_object_put(r);
	json_object *cm = ctl("GET", "/control/netsuite/records?type=creditMemo&externalId=loop-cm-2005", NULL);
	is_str(jstr(cm, "records.0.total"), "38.20", "  credit memo total 38.20 (40 + 3.20 - 5 + 5 - 5)");
	json_object_put(cm);

	/* record-level errors keep NetSuite's words */
	is_int(make_ra("netsuite", so1, "2001x", 1, NULL, &st), BH_EREJECT,
	       "an RA on a fully returned order is BH_EREJECT");
	is_str(st.code, "INVALID_INITIALIZE_REF", "  code INVALID_INITIALIZE_REF (initialize refused)");
	char so4[32] = "";
	order("4", "TEE-BLK-M", 3, so4);
	is_int(make_ra("netsuite", so4, "2001y", 5, NULL, &st), BH_EREJECT, "an over-return is BH_EREJECT");
	is_str(st.code, "USER_ERROR", "  with NetSuite's code");
	ok(strstr(st.message, "return more than") != NULL, "  and its message (%s)", st.message);
	is_int(count_records("returnAuthorization", "loop-ra-2001y"), 0, "  nothing written");
}

/* ------------------------------------------------------------------ paging */

static void paging(void)
{
	struct bh_status st;
	char so[32] = "", rid[16], ref[64];
	void *ctx;
	const struct bh_erp_ops *ops = cap("netsuite", &ctx);

	order("6", "TEE-BLK-M", 7, so);
	for (int i = 0; i < 7; i++) {
		snprintf(rid, sizeof(rid), "30%02d", i);
		is_int(make_ra("netsuite", so, rid, 1, NULL, &st), 0, "RA %s", rid);
		snprintf(ref, sizeof(ref), "{\"external_id\":\"loop-ra-%s\"}", rid);
		is_int(callx("netsuite", p_close, ref, NULL, &st), 0, "close RA %s", rid);
	}
	size_t mark = bh_nssp_count(proxy);
	char *cur = NULL, *out = NULL;
	int pages = 0, found = 0;
	bool more = true;
	while (more && pages < 20) {
		memset(&st, 0, sizeof(st));
		int rc = ops->changes(ctx, "ra_closed", cur, &out, &st);
		if (rc != 0) {
			diag("changes: %d %s %s", rc, st.code, st.message);
			break;
		}
		json_object *o = json_tokener_parse(out), *recs;
		free(out);
		out = NULL;
		pages++;
		if (json_object_object_get_ex(o, "records", &recs))
			for (size_t i = 0; i < json_object_array_length(recs); i++) {
				const char *e = jstr(json_object_array_get_idx(recs, i), "external_id");
				found += e && !strncmp(e, "loop-ra-30", 10);
			}
		more = jbool(o, "more");
		free(cur);
		cur = strdup(jstr(o, "next_cursor"));
		json_object_put(o);
	}
	ok(pages >= 2, "ra_closed read in %d pages of 5", pages);
	is_int(found, 7, "every closed RA reported once across the pages");
	ok(count_action(mark, "searchMoreWithId") >= 1, "later pages come from searchMoreWithId");
	json_object *c = json_tokener_parse(cur);
	ok(c && json_object_get_int64(json_object_object_get(c, "since")) > 0,
	   "the final cursor holds the last modification time");
	json_object_put(c);
	free(cur);

	/* a cursor naming an expired search restarts from its time */
	memset(&st, 0, sizeof(st));
	is_int(ops->changes(ctx, "ra_closed", "{\"since\":0,\"sid\":\"WEBSERVICES_EXPIRED\",\"page\":2}",
			    &out, &st), 0, "an expired search id restarts the search");
	json_object *o = json_tokener_parse(out), *recs;
	ok(o && json_object_object_get_ex(o, "records", &recs) && json_object_array_length(recs) == 5,
	   "  and answers its first page");
	json_object_put(o);
	free(out);
}

/* ------------------------------------------------------------------ faults */

struct burst {
	const char *inst;
	int rc;
	char code[64];
};

static void *burst_thread(void *arg)
{
	struct burst *b = arg;
	struct bh_status st;
	b->rc = callx(b->inst, p_get, "{\"external_id\":\"loop-ra-2001\"}", NULL, &st);
	snprintf(b->code, sizeof(b->code), "%s", st.code);
	return NULL;
}

static void run_burst(const char *inst, int n, int *ok_n, int *blocked)
{
	pthread_t t[16];
	struct burst b[16];
	*ok_n = *blocked = 0;
	for (int i = 0; i < n; i++) {
		b[i] = (struct burst){.inst = inst};
		pthread_create(&t[i], NULL, burst_thread, &b[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		*ok_n += b[i].rc == 0;
		*blocked += b[i].rc == BH_ERETRY && !strcmp(b[i].code, "WS_REQUEST_BLOCKED");
	}
}

static void faults(void)
{
	struct bh_status st;
	json_object *r;
	size_t mark;

	/* a transient fault retried inside the operation, with a fresh passport */
	add_fault("{\"service\":\"netsuite\",\"operation\":\"soap:get\",\"rate_5xx\":1.0,\"count\":1}");
	mark = bh_nssp_count(proxy);
	is_int(callx("nsretry", p_get, "{\"external_id\":\"loop-ra-2001\"}", &r, &st), 0,
	       "UNEXPECTED_ERROR once: the read is retried and succeeds");
	is_str(jstr(r, "external_id"), "loop-ra-2001", "  with the right answer");
	json_object_put(r);
	is_int(count_action(mark, "get"), 2, "  two attempts were sent");
	clear_faults();

	/* a write whose answer times out after NetSuite processed it: re-read, not re-sent */
	char so2[32] = "";
	order("2", "TEE-BLK-M", 3, so2);
	add_fault("{\"service\":\"netsuite\",\"operation\":\"soap:add\",\"rate_timeout\":1.0,"
		  "\"timeout_ms\":1500,\"timeout_processed\":true,\"count\":1}");
	mark = bh_nssp_count(proxy);
	is_int(make_ra("nsretry", so2, "2003", 1, &r, &st), 0,
	       "a write timed out after being processed: the operation succeeds");
	ok(jbool(r, "created"), "  created (by this call)");
	json_object_put(r);
	is_int(count_action(mark, "add"), 1, "  the add was sent once: the retry re-read it by external id");
	is_int(count_records("returnAuthorization", "loop-ra-2003"), 1, "  exactly one RA");
	clear_faults();

	/* without retries: BH_ERETRY, and the flow's repeat answers created:false */
	add_fault("{\"service\":\"netsuite\",\"operation\":\"soap:add\",\"rate_timeout\":1.0,"
		  "\"timeout_ms\":1500,\"timeout_processed\":true,\"count\":1}");
	is_int(make_ra("nsfast", so2, "2004", 1, NULL, &st), BH_ERETRY, "without retries a timeout is BH_ERETRY");
	is_str(st.code, "TIMEOUT", "  code TIMEOUT");
	clear_faults();
	is_int(make_ra("nsfast", so2, "2004", 1, &r, &st), 0, "the flow's retry succeeds");
	ok(r && !jbool(r, "created"), "  created:false: the timed-out write had been applied");
	json_object_put(r);
	is_int(count_records("returnAuthorization", "loop-ra-2004"), 1, "  exactly one RA");

	/* a SOAP fault on a write, not processed: nothing written, BH_ERETRY */
	add_fault("{\"service\":\"netsuite\",\"operation\":\"soap:add\",\"rate_soap_fault\":1.0,\"count\":1}");
	is_int(make_ra("nsfast", so2, "2006", 1, NULL, &st), BH_ERETRY,
	       "WS_REQUEST_BLOCKED on a write is BH_ERETRY");
	is_str(st.code, "WS_REQUEST_BLOCKED", "  code WS_REQUEST_BLOCKED");
	is_int(count_records("returnAuthorization", "loop-ra-2006"), 0, "  nothing written");
	clear_faults();

	/* the account concurrency limit taken by other integrations: WS_REQUEST_BLOCKED */
	json_object_put(ctl("POST", "/control/netsuite/concurrency", "{\"limit\":2,\"held\":2}"));
	is_int(callx("nsfast", p_get, "{\"external_id\":\"loop-ra-2001\"}", NULL, &st), BH_ERETRY,
	       "the account limit reached: BH_ERETRY");
	is_str(st.code, "WS_REQUEST_BLOCKED", "  code WS_REQUEST_BLOCKED");
	json_object_put(ctl("POST", "/control/netsuite/concurrency", "{\"limit\":5,\"held\":0}"));

	/* max_requests bounds the requests in flight: measured at the proxy, with latency
	 * making the requests overlap */
	int64_t dl = tap_mono_ms() + 10000;
	while (bh_nssp_inflight(proxy) > 0 && tap_mono_ms() < dl) {
		struct timespec ts = {0, 20 * 1000000L}; /* the timed-out requests drain */
		nanosleep(&ts, NULL);
	}
	add_fault("{\"service\":\"netsuite\",\"operation\":\"soap:*\",\"latency_ms\":150}");
	int okn, blocked;
	bh_nssp_reset_inflight(proxy);
	run_burst("nscap", 8, &okn, &blocked);
	is_int(okn, 8, "max_requests = 2: 8 concurrent reads succeed");
	ok(bh_nssp_max_inflight(proxy) <= 2, "  at most 2 requests were in flight (%d)",
	   bh_nssp_max_inflight(proxy));
	bh_nssp_reset_inflight(proxy);
	run_burst("nswide", 8, &okn, &blocked);
	ok(bh_nssp_max_inflight(proxy) > 2, "max_requests = 8: more than 2 in flight (%d): the measure works",
	   bh_nssp_max_inflight(proxy));
	clear_faults();

	/* permissions */
	is_int(callx("nsdeny", p_get, "{\"external_id\":\"loop-ra-2001\"}", NULL, &st), BH_EAUTH,
	       "a role without RA permission: BH_EAUTH");
	is_str(st.code, "INSUFFICIENT_PERMISSION", "  code INSUFFICIENT_PERMISSION");
}

/* ------------------------------------------------------------------ diagnostics */

static json_object *diag_run(const char *inst, int *rc)
{
	void *ctx = NULL;
	const struct bh_diag_ops *d = bh_test_cap(&te, inst, BH_CAP_DIAG, &ctx);
	char *out = NULL;
	struct bh_status st = {0};
	if (!d) {
		*rc = -1;
		return NULL;
	}
	*rc = d->test_connection(ctx, &out, &st);
	json_object *o = out ? json_tokener_parse(out) : NULL;
	json_object *checks = o ? json_object_object_get(o, "checks") : NULL;
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		diag("  %s %s: %s", jbool(c, "ok") ? "ok  " : "FAIL", jstr(c, "name"), jstr(c, "detail"));
	}
	free(out);
	return o;
}

static json_object *check_named(json_object *o, const char *name)
{
	json_object *checks = o ? json_object_object_get(o, "checks") : NULL;
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		if (!strcmp(jstr(c, "name"), name))
			return c;
	}
	return NULL;
}

static bool all_ok(json_object *o)
{
	json_object *checks = o ? json_object_object_get(o, "checks") : NULL;
	bool a = checks && json_object_array_length(checks) > 5;
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++)
		a = a && jbool(json_object_array_get_idx(checks, i), "ok");
	return a;
}

static void diagnostics(void)
{
	int rc;
	json_object *o = diag_run("netsuite", &rc);
	is_int(rc, 0, "test-connection passes");
	ok(all_ok(o), "  every check passed");
	ok(check_named(o, "permission:returnAuthorization") != NULL, "  the RA permission was checked");
	json_object_put(o);

	o = diag_run("nsbad", &rc);
	is_int(rc, BH_EAUTH, "a wrong token: BH_EAUTH");
	json_object *c = check_named(o, "authentication");
	ok(c && !jbool(c, "ok"), "  authentication fails");
	ok(c && strstr(jstr(c, "detail"), "Invalid login attempt"), "  with NetSuite's words");
	ok(o && !strstr(json_object_to_json_string(o), "not-the-token-secret"), "  no secret in the checks");
	ok(check_named(o, "reachable") && jbool(check_named(o, "reachable"), "ok"), "  reachable passes");
	json_object_put(o);

	o = diag_run("nsdeny", &rc);
	is_int(rc, BH_EAUTH, "a role without RA permission: BH_EAUTH");
	c = check_named(o, "permission:returnAuthorization");
	ok(c && !jbool(c, "ok"), "  permission:returnAuthorization fails");
	ok(check_named(o, "permission:salesOrder") && jbool(check_named(o, "permission:salesOrder"), "ok"),
	   "  the others pass");
	ok(jbool(check_named(o, "authentication"), "ok"), "  authentication passes");
	json_object_put(o);

	o = diag_run("nsdown", &rc);
	is_int(rc, BH_ERETRY, "an unreachable host: BH_ERETRY");
	c = check_named(o, "reachable");
	ok(c && !jbool(c, "ok"), "  reachable fails");
	json_object_put(o);

	/* NetSuite's clock 7 minutes ahead: TBA refuses, the Date header tells why */
	json_object_put(ctl("POST", "/control/netsuite/clock", "{\"offset_ms\":420000}"));
	bh_nssp_set_date_offset(proxy, 420);
	o = diag_run("netsuite", &rc);
	is_int(rc, BH_EAUTH, "a clock 7 minutes off: BH_EAUTH");
	c = check_named(o, "clock");
	ok(c && !jbool(c, "ok") && strstr(jstr(c, "detail"), "7 minutes"), "  the clock check says 7 minutes");
	c = check_named(o, "authentication");
	ok(c && strstr(jstr(c, "detail"), "5 minutes"), "  authentication explains the 5-minute window");
	json_object_put(o);
	bh_nssp_set_date_offset(proxy, 0);
	json_object_put(ctl("POST", "/control/netsuite/clock", "{\"offset_ms\":0}"));
}

/* ------------------------------------------------------------------ source */

static int sink_lines(const char *prefix)
{
	char path[256], line[512];
	int n = 0;
	snprintf(path, sizeof(path), "%s/sink.txt", tmpdir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return n;
}

static bool wait_lines(const char *prefix, int want)
{
	int64_t dl = tap_mono_ms() + 15000;
	while (tap_mono_ms() < dl) {
		if (sink_lines(prefix) >= want)
			return true;
		struct timespec ts = {0, 20 * 1000000L}; /* polling the sink file */
		nanosleep(&ts, NULL);
	}
	return false;
}

static void source(const char *ra1, const char *ir1)
{
	struct bh_instance *in = bh_engine_find(te.eng, "netsuite");
	char p[128], key[128], cur[8192];

	/* the RAs closed while paging, the receipt of RA 2001, and a flag set on it */
	snprintf(p, sizeof(p), "/control/netsuite/ra/%s/flag", ra1);
	json_object_put(ctl("POST", p, "{\"value\":true}"));
	ok(in && in->plugin->desc->poll, "the instance is a source");
	if (!in)
		return;
	is_int(in->plugin->desc->poll(in->ctx), 0, "poll");
	snprintf(key, sizeof(key), "receipt:%s ", ir1);
	ok(wait_lines(key, 1), "erp.receipt.created delivered with key receipt:<id>");
	ok(wait_lines("ra-closed:", 7), "erp.ra.closed delivered for the closed RAs");
	snprintf(key, sizeof(key), "ra-flag:%s:", ra1);
	ok(wait_lines(key, 1), "erp.ra.flagged delivered with key ra-flag:<id>:<cycle>");
	int rc = bh_outbox_cursor_get(te.eng->outbox, "netsuite", cur, sizeof(cur));
	ok(rc > 0, "the cursor was committed (%s)", rc > 0 ? cur : "none");
	json_object *c = rc > 0 ? json_tokener_parse(cur) : NULL;
	ok(c && json_object_get_int64(json_object_object_get(json_object_object_get(c, "item_receipts"), "since")) > 0,
	   "  it holds the item receipts position");
	ok(c && json_object_get_int64(json_object_object_get(json_object_object_get(c, "ra_closed"), "since")) > 0,
	   "  and the closed RAs position");
	json_object_put(c);

	/* a second cycle: the flag again (new key), nothing else twice */
	is_int(in->plugin->desc->poll(in->ctx), 0, "poll again");
	ok(wait_lines(key, 2), "the still-flagged RA is flagged again (a new key each cycle)");
	snprintf(key, sizeof(key), "receipt:%s ", ir1);
	is_int(sink_lines(key), 1, "the receipt was delivered once");
	json_object_put(ctl("POST", p, "{\"value\":false}"));
}

/* ------------------------------------------------------------------ custom SKU field */

/* A second simulator whose items keep the SKU in a custom item field. */
static void custom_sku_field(void)
{
	struct bh_test_sim s2;
	struct bh_test_engine e2;
	char cfg[256], args[300], conf[2048], doc[1200];
	snprintf(cfg, sizeof(cfg), "%s/sim2.json", tmpdir);
	FILE *f = fopen(cfg, "w");
	if (!f || fputs("{\"netsuite\":{\"sku_field\":\"custitem_bh_sku\"}}\n", f) < 0) {
		ok(0, "write %s", cfg);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	snprintf(args, sizeof(args), "--config '%s'", cfg);
	if (bh_test_sim_start(&s2, args) != 0) {
		ok(0, "a simulator with sku_field custitem_bh_sku starts");
		return;
	}
	char *resp = NULL;
	bh_test_ctl(&s2, "POST", "/control/netsuite/items",
		    "{\"items\":[{\"sku\":\"TEE-BLK-M\",\"name\":\"Tee\",\"type\":\"inventory\","
		    "\"cost\":\"15.00\",\"price\":\"40.00\"}]}", &resp);
	free(resp);
	snprintf(conf, sizeof(conf),
		 "[endpoint ns2]\nplugin = netsuite-soap\npoll = false\naccount = 1234567_SB1\n"
		 "consumer_key = bh-sim-consumer-key\nconsumer_secret_env = BH_TEST_NS_CONSUMER_SECRET\n"
		 "token_id = bh-sim-token-id\ntoken_secret_env = BH_TEST_NS_TOKEN_SECRET\n"
		 "base_url = http://127.0.0.1:%d\nretries = 0\nsku_field = custitem_bh_sku\n", s2.netsuite);
	void *ctx = NULL;
	const struct bh_erp_ops *ops = NULL;
	if (bh_test_engine_start(conf, &e2) == 0)
		ops = bh_test_cap(&e2, "ns2", BH_CAP_ERP, &ctx);
	ok(ops != NULL, "an instance with sku_field = custitem_bh_sku");
	if (ops) {
		struct bh_status st = {0};
		char *out = NULL;
		is_int(ops->upsert_customer(ctx, "{\"external_id\":\"c-1\",\"email\":\"c1@example.com\"}", &out, &st), 0,
		       "  customer");
		free(out);
		out = NULL;
		snprintf(doc, sizeof(doc), "{\"external_id\":\"so-1\",\"customer_external_id\":\"c-1\","
					   "\"storefront_order_id\":\"1\",\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,"
					   "\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}]}");
		is_int(ops->upsert_sales_order(ctx, doc, &out, &st), 0, "  a SKU found on the custom item field");
		free(out);
		out = NULL;
		is_int(ops->find_sales_order(ctx, "{\"external_id\":\"so-1\"}", &out, &st), 0,
		       "  the order read back");
		json_object *o = out ? json_tokener_parse(out) : NULL;
		is_str(jstr(o, "lines.0.sku"), "TEE-BLK-M", "  its line reported by the custom field's SKU");
		json_object_put(o);
		free(out);
		out = NULL;
		snprintf(doc, sizeof(doc), "{\"external_id\":\"so-2\",\"customer_external_id\":\"c-1\","
					   "\"lines\":[{\"sku\":\"NOPE\",\"quantity\":1,\"rate\":\"1.00\"}]}");
		is_int(ops->upsert_sales_order(ctx, doc, &out, &st), BH_EREJECT, "  an unknown SKU is refused");
		ok(strstr(st.message, "NOPE") && strstr(st.message, "custitem_bh_sku"),
		   "  naming the SKU and the custom field (%s)", st.message);
		free(out);
	}
	bh_test_engine_stop(&e2);
	bh_test_sim_stop(&s2);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("BH_TOP_BUILDDIR is not set (run through make check)");
	if (!tap_shared_dir())
		skip_all("reference data absent (../shared): cannot validate SOAP against Oracle's XSD");
	char xsd[4096];
	snprintf(xsd, sizeof(xsd), "%s/reference/netsuite-suitetalk/2023_2/validate-all.xsd", tap_shared_dir());
	if (access(xsd, R_OK) != 0)
		skip_all("%s absent: cannot validate SOAP against Oracle's XSD", xsd);
	if (bh_test_sim_start(&sim, "") != 0)
		skip_all("backhaul-sim did not start");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bh-nssoap-XXXXXX");
	if (!mkdtemp(tmpdir))
		skip_all("no temp dir");
	if (bh_nssp_start(sim.netsuite, &proxy) != 0)
		skip_all("the recording proxy did not start");
	setenv("BH_TEST_NS_CONSUMER_SECRET", "bh-sim-consumer-secret", 1);
	setenv("BH_TEST_NS_TOKEN_SECRET", "bh-sim-token-secret", 1);
	setenv("BH_TEST_NS_WRONG_SECRET", "not-the-token-secret", 1);
	setenv("BH_TEST_NS_DENY_CS", "deny-consumer-secret", 1);
	setenv("BH_TEST_NS_DENY_TS", "deny-token-secret", 1);

	xsd_in_sim();
	json_object_put(ctl("POST", "/control/netsuite/accounts",
			    "{\"account\":\"1234567_SB1\",\"consumer_key\":\"deny-ck\","
			    "\"consumer_secret\":\"deny-consumer-secret\",\"token_id\":\"deny-token\","
			    "\"token_secret\":\"deny-token-secret\",\"deny\":[\"returnAuthorization\"]}"));
	json_object_put(ctl("POST", "/control/netsuite/items",
			    "{\"items\":[{\"sku\":\"TEE-BLK-M\",\"name\":\"Tee\",\"type\":\"inventory\","
			    "\"cost\":\"15.00\",\"price\":\"40.00\"},"
			    "{\"sku\":\"GIFT-CARD\",\"name\":\"Gift Card\",\"type\":\"giftcard\"},"
			    "{\"sku\":\"RESTOCKING-FEE\",\"name\":\"Restocking Fee\",\"type\":\"fee\"},"
			    "{\"sku\":\"RETURN-BONUS\",\"name\":\"Return bonus\",\"type\":\"noninventory\","
			    "\"account\":\"Return Incentive Expense\"}]}"));

	char conf[8192];
	int port = bh_nssp_port(proxy);
#define NS_COMMON \
	"plugin = netsuite-soap\npoll = false\naccount = 1234567_SB1\n" \
	"consumer_key = bh-sim-consumer-key\nconsumer_secret_env = BH_TEST_NS_CONSUMER_SECRET\n" \
	"token_id = bh-sim-token-id\nbase_url = http://127.0.0.1:%d\n"
	snprintf(conf, sizeof(conf),
		 "[endpoint netsuite]\n" NS_COMMON "token_secret_env = BH_TEST_NS_TOKEN_SECRET\n"
		 "retries = 0\npage_size = 5\ntimeout = 20s\n\n"
		 "[endpoint nsretry]\n" NS_COMMON "token_secret_env = BH_TEST_NS_TOKEN_SECRET\n"
		 "retries = 2\nretry_backoff = 10ms\ntimeout = 1s\n\n"
		 "[endpoint nsfast]\n" NS_COMMON "token_secret_env = BH_TEST_NS_TOKEN_SECRET\n"
		 "retries = 0\ntimeout = 1s\n\n"
		 "[endpoint nscap]\n" NS_COMMON "token_secret_env = BH_TEST_NS_TOKEN_SECRET\n"
		 "retries = 0\nmax_requests = 2\n\n"
		 "[endpoint nswide]\n" NS_COMMON "token_secret_env = BH_TEST_NS_TOKEN_SECRET\n"
		 "retries = 0\nmax_requests = 8\n\n"
		 "[endpoint nsbad]\n" NS_COMMON "token_secret_env = BH_TEST_NS_WRONG_SECRET\nretries = 0\n\n"
		 "[endpoint nsdeny]\nplugin = netsuite-soap\npoll = false\naccount = 1234567_SB1\n"
		 "consumer_key = deny-ck\nconsumer_secret_env = BH_TEST_NS_DENY_CS\ntoken_id = deny-token\n"
		 "token_secret_env = BH_TEST_NS_DENY_TS\nbase_url = http://127.0.0.1:%d\nretries = 0\n\n"
		 "[endpoint nsdown]\nplugin = netsuite-soap\npoll = false\naccount = 1234567_SB1\n"
		 "consumer_key = k\nconsumer_secret_env = BH_TEST_NS_CONSUMER_SECRET\ntoken_id = t\n"
		 "token_secret_env = BH_TEST_NS_TOKEN_SECRET\nbase_url = http://127.0.0.1:1\n"
		 "retries = 0\ntimeout = 2s\n\n"
		 "[flow sink]\nplugin = mock-sink\nsubscribe = erp.*\nout_file = %s/sink.txt\n",
		 port, port, port, port, port, port, port, tmpdir);
#undef NS_COMMON
	int rc = bh_test_engine_start(conf, &te);
	is_int(rc, 0, "engine with netsuite-soap instances starts");
	erp = rc == 0 ? cap("netsuite", &ectx) : NULL;
	ok(erp != NULL, "erp capability");
	xmlSchemaPtr schema = load_schema();
	ok(schema != NULL, "Oracle's schema parsed in the test");
	if (erp && schema) {
		char so1[32] = "", ra1[32] = "", ir1[32] = "";
		flows(so1, ra1, ir1);
		paging();
		faults();
		diagnostics();
		source(ra1, ir1);
		validate_captured(schema);
		custom_sku_field();
	}
	if (schema)
		xmlSchemaFree(schema);
	bh_test_engine_stop(&te);
	bh_nssp_stop(proxy);
	bh_test_sim_stop(&sim);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return done_testing();
}
