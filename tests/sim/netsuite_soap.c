/*
 * netsuite_soap.c - the NetSuite simulator's SuiteTalk SOAP endpoint (TAP).
 *
 * Needs the reference data (shared/reference/netsuite-suitetalk); skipped without it.
 * Checks: Oracle's TBA vectors (SOAP entries); every sample request of samples/ accepted
 * when wrapped in a valid envelope with a fresh tokenPassport, and every response valid
 * against Oracle's XSD; broken variants (wrong element name, missing required element,
 * bad enum value) refused with the schema error named; reused nonce / stale timestamp /
 * Oracle's own sample passport -> "Invalid login attempt." fault; record errors (HTTP
 * 200) versus faults (HTTP 500) in the documented shapes; each error code from its real
 * cause; initialize RA from SO -> add -> item receipt -> cash refund with statuses and
 * the S1 ledger; search by externalId / createdFrom / lastModifiedDate / custom field
 * with paging and searchMoreWithId; the concurrency limit -> WS_REQUEST_BLOCKED.
 *
 * Ownership: NetSuite service helper. Single-threaded test; no sleeps.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <backhaul/errors.h>

#include "netsuite_util.h"
#include "sim_ns_soap.h"
#include "tap.h"

static struct bh_sim_ns *ns;
static struct bh_sim_ns_soap *soap;
static char samples[4400];
static int64_t cust_id, tee_id, tee_l_id, gc_id;

static xmlDocPtr sample(const char *name)
{
	char p[4600];
	snprintf(p, sizeof(p), "%s/%s", samples, name);
	return xmlReadFile(p, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
}

static bool response_valid(struct t_soap *r, const char *what)
{
	char err[800];
	int v = r->doc ? bh_sim_ns_soap_validate(soap, r->doc, err, sizeof(err)) : 0;
	if (v != 1)
		diag("%s: response does not validate: %s", what, v < 0 ? "no schema" : err);
	return v == 1;
}

static bool is_fault(struct t_soap *r, const char *code)
{
	return r->status == 500 &&
	       !strcmp(t_xs(r->doc, "/soapenv:Envelope/soapenv:Body/soapenv:Fault/faultcode"),
		       "soapenv:Server.userException") &&
	       (!code || !strcmp(t_xs(r->doc, "//soapenv:Fault/detail/*/f:code"), code));
}

static const char *fault_string(struct t_soap *r)
{
	return t_xs(r->doc, "//soapenv:Fault/faultstring");
}

/* First statusDetail code of the response ("" when success). */
static const char *code_of(struct t_soap *r)
{
	return t_xs(r->doc, "//c:status[@isSuccess='false']/c:statusDetail/c:code");
}

static void test_vectors(const char *shared)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/reference/netsuite-suitetalk/tba-signature-vectors.json", shared);
	struct json_object *root = json_object_from_file(path), *vecs;
	int n = 0;
	if (!root || !json_object_object_get_ex(root, "vectors", &vecs)) {
		ok(0, "read %s", path);
		json_object_put(root);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(vecs); i++) {
		struct json_object *v = json_object_array_get_idx(vecs, i);
		const char *kind = t_jstr(v, "kind");
		if (!kind || strcmp(kind, "SOAP tokenPassport") != 0)
			continue;
		n++;
		const char *vname = t_jstr(v, "name") ? t_jstr(v, "name") : "?";
		const char *want = t_jstr(v, "signatureBase64"), *base = t_jstr(v, "baseString");
		char *sig = NULL, *b = NULL;
		if (t_jstr(v, "consumerKey")) {
			sig = bh_sim_ns_tba_sign(t_jstr(v, "account"), t_jstr(v, "consumerKey"),
						 t_jstr(v, "consumerSecret"), t_jstr(v, "token"),
						 t_jstr(v, "tokenSecret"), t_jstr(v, "nonce"),
						 t_jstr(v, "timestamp"));
			b = bh_sim_ns_tba_base(t_jstr(v, "account"), t_jstr(v, "consumerKey"),
					       t_jstr(v, "token"), t_jstr(v, "nonce"), t_jstr(v, "timestamp"));
			is_str(b, base, "vector %s: base string", vname);
		} else {
			/* inputs given only as the base string and key: split them */
			char bs[1024], ks[512];
			char *p[5] = {0}, *k[2] = {0};
			snprintf(bs, sizeof(bs), "%s", base);
			snprintf(ks, sizeof(ks), "%s", t_jstr(v, "key"));
			char *save = NULL;
			p[0] = strtok_r(bs, "&", &save);
			for (int j = 1; j < 5; j++)
				p[j] = strtok_r(NULL, "&", &save);
			k[0] = strtok_r(ks, "&", &save);
			k[1] = strtok_r(NULL, "&", &save);
			ok(strcmp(p[0], t_jstr(v, "account")) == 0, "vector %s: account is the first part",
			   vname);
			sig = bh_sim_ns_tba_sign(p[0], p[1], k[0], p[2], k[1], p[3], p[4]);
		}
		is_str(sig, want, "vector %s: signature", vname);
		free(sig);
		free(b);
	}
	ok(n >= 3, "%d SOAP tokenPassport vectors checked", n);
	json_object_put(root);
}

static void seed(void)
{
	int st;
	struct json_object *o = t_ctl(ns, "POST", "/items", NULL,
		"{\"items\":[{\"sku\":\"TEE-BLK-M\",\"name\":\"Tee\",\"type\":\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"},"
		"{\"sku\":\"TEE-BLK-L\",\"name\":\"Tee L\",\"type\":\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"},"
		"{\"sku\":\"WebOrderGiftCard\",\"name\":\"Gift card\",\"type\":\"giftcard\"}]}", &st);
	struct json_object *ids = json_object_object_get(o, "internal_ids");
	tee_id = json_object_get_int64(json_object_array_get_idx(ids, 0));
	tee_l_id = json_object_get_int64(json_object_array_get_idx(ids, 1));
	gc_id = json_object_get_int64(json_object_array_get_idx(ids, 2));
	json_object_put(o);
	o = t_ctl(ns, "POST", "/customers", NULL,
		  "{\"customers\":[{\"external_id\":\"cust-1\",\"email\":\"jane@example.com\",\"first_name\":\"Jane\",\"last_name\":\"Doe\"}]}",
		  &st);
	cust_id = json_object_get_int64(json_object_array_get_idx(json_object_object_get(o, "internal_ids"), 0));
	json_object_put(o);
	ok(tee_id > 0 && cust_id > 0, "seeded items and a customer");
}

static const char *local_name(xmlDocPtr d)
{
	return (const char *)xmlDocGetRootElement(d)->name;
}

static void test_samples(void)
{
	static const char *const bodies[] = {
		"add-itemReceipt-from-returnAuthorization.body.xml",
		"get-returnAuthorization-by-externalId.body.xml",
		"getList-transactions.body.xml",
		"initialize-cashRefund-from-returnAuthorization.body.xml",
		"initialize-creditMemo-from-returnAuthorization.body.xml",
		"initialize-itemReceipt-from-returnAuthorization.body.xml",
		"initialize-returnAuthorization-from-salesOrder.body.xml",
		"search-transaction-by-createdFrom.body.xml",
		"search-transaction-by-externalId.body.xml",
		"update-returnAuthorization-close-lines.body.xml",
		"upsert-creditMemo-from-returnAuthorization.body.xml",
		"upsert-returnAuthorization.body.xml",
	};
	xmlDocPtr prefs = sample("preferences.header.xml"), sprefs = sample("searchPreferences.header.xml");
	ok(prefs && sprefs, "header samples read");
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		xmlDocPtr b = sample(bodies[i]);
		if (!b) {
			ok(0, "read sample %s", bodies[i]);
			continue;
		}
		const char *op = local_name(b);
		xmlNodePtr h;
		xmlDocPtr env = t_envelope_bare(xmlDocGetRootElement(b), &h);
		t_passport(h, T_ACCOUNT, T_CK, T_CS, T_TID, T_TS, NULL, 0);
		xmlDocPtr hp = !strcmp(op, "search") ? sprefs : prefs;
		xmlAddChild(h, xmlDocCopyNode(xmlDocGetRootElement(hp), env, 1));
		char action[64];
		snprintf(action, sizeof(action), "\"%s\"", op);
		struct t_soap r = t_soap(ns, action, env);
		char resp_el[128];
		snprintf(resp_el, sizeof(resp_el), "/soapenv:Envelope/soapenv:Body/m:%sResponse", op);
		ok(r.status == 200 && t_xn(r.doc, resp_el) == 1, "sample %s accepted (HTTP %d)%s%s", bodies[i],
		   r.status, r.status != 200 ? ": " : "", r.status != 200 ? fault_string(&r) : "");
		ok(response_valid(&r, bodies[i]), "response to %s validates against the XSD", bodies[i]);
		ok(t_xn(r.doc, "/soapenv:Envelope/soapenv:Header/m:documentInfo/m:nsId") == 1,
		   "response to %s carries documentInfo/nsId", op);
		t_soap_free(&r);
		xmlFreeDoc(b);
	}
	xmlFreeDoc(prefs);
	xmlFreeDoc(sprefs);

	/* the complete sample envelope, its Oracle-example passport replaced by a fresh one */
	xmlDocPtr env = sample("envelope-upsert-returnAuthorization.request.xml");
	xmlNodePtr header = bh_sim_ns_first_elem(xmlDocGetRootElement(env));
	for (xmlNodePtr c = bh_sim_ns_first_elem(header); c; c = bh_sim_ns_next_elem(c)) {
		if (!strcmp((const char *)c->name, "tokenPassport")) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			break;
		}
	}
	t_passport(header, T_ACCOUNT, T_CK, T_CS, T_TID, T_TS, NULL, 0);
	struct t_soap r = t_soap(ns, "upsert", env);
	ok(r.status == 200 && !strcmp(t_xs(r.doc, "//m:upsertResponse/m:writeResponse/m:baseRef/@externalId"),
				      "loop-return-1001"),
	   "the full sample envelope is accepted (record-level answer for its invented ids: %s)",
	   code_of(&r));
	is_str(code_of(&r), "INVALID_KEY_OR_REF", "its entity 4321 does not exist here: INVALID_KEY_OR_REF");
	ok(response_valid(&r, "envelope sample"), "record error response validates");
	t_soap_free(&r);

	/* the same envelope as Oracle printed it: example account, 2017 timestamp */
	env = sample("envelope-upsert-returnAuthorization.request.xml");
	r = t_soap(ns, "upsert", env);
	ok(is_fault(&r, "USER_ERROR") && !strcmp(fault_string(&r), "Invalid login attempt."),
	   "Oracle's example passport: Invalid login attempt.");
	is_str(t_xs(r.doc, "//soapenv:Fault/detail/f:invalidCredentialsFault/f:message"), "Invalid login attempt.",
	       "invalidCredentialsFault detail");
	t_soap_free(&r);

	/* Oracle-shaped response samples validate with the same schema (sanity of the driver) */
	static const char *const resp[] = {"envelope-upsert.response-success.xml",
					   "envelope-upsert.response-error.xml",
					   "envelope-search.response.xml",
					   "envelope-fault-concurrency.response.xml"};
	for (size_t i = 0; i < 4; i++) {
		char err[600];
		xmlDocPtr d = sample(resp[i]);
		ok(d && bh_sim_ns_soap_validate(soap, d, err, sizeof(err)) == 1, "schema accepts %s", resp[i]);
		xmlFreeDoc(d);
	}
}

static void upsert_ra(char *buf, size_t len, const char *eid, const char *field, int64_t so,
		      const char *status, int64_t item)
{
	snprintf(buf, len,
		 "<platformMsgs:upsert xmlns:platformMsgs=\"" T_MSGS "\" xmlns:platformCore=\"" T_CORE "\""
		 " xmlns:tranCust=\"urn:customers_2023_2.transactions.webservices.netsuite.com\""
		 " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		 "<platformMsgs:record xsi:type=\"tranCust:ReturnAuthorization\" externalId=\"%s\">"
		 "<tranCust:entity internalId=\"%lld\"/><tranCust:%s>Loop return</tranCust:%s>"
		 "<tranCust:createdFrom internalId=\"%lld\"/><tranCust:orderStatus>%s</tranCust:orderStatus>"
		 "<tranCust:itemList><tranCust:item><tranCust:item internalId=\"%lld\"/>"
		 "<tranCust:quantity>1</tranCust:quantity><tranCust:rate>40.00</tranCust:rate></tranCust:item>"
		 "</tranCust:itemList></platformMsgs:record></platformMsgs:upsert>",
		 eid, (long long)cust_id, field, field, (long long)so, status, (long long)item);
}

static int64_t so_for_tests(const char *eid, int qty)
{
	char body[800];
	int st;
	snprintf(body, sizeof(body),
		 "{\"external_id\":\"%s\",\"customer\":%lld,\"lines\":[{\"sku\":\"TEE-BLK-M\",\"quantity\":%d,"
		 "\"rate\":\"40.00\",\"tax\":\"%d.%02d\"}]}",
		 eid, (long long)cust_id, qty, (320 * qty) / 100, (320 * qty) % 100);
	struct json_object *o = t_ctl(ns, "POST", "/sales_orders", NULL, body, &st);
	int64_t id = t_jint(o, "internal_id");
	json_object_put(o);
	return id;
}

static void test_broken(void)
{
	char buf[4096];
	int64_t so = so_for_tests("so-broken", 1);
	struct t_soap r;

	upsert_ra(buf, sizeof(buf), "ra-broken-1", "memoo", so, "_pendingReceipt", tee_id);
	r = t_call(ns, "upsert", buf);
	ok(is_fault(&r, NULL) && strstr(fault_string(&r), "memoo") && strstr(fault_string(&r), "line "),
	   "wrong element name refused, schema error named: %s", fault_string(&r));
	ok(response_valid(&r, "fault"), "the fault envelope validates");
	t_soap_free(&r);

	upsert_ra(buf, sizeof(buf), "ra-broken-2", "memo", so, "_closed", tee_id);
	r = t_call(ns, "upsert", buf);
	ok(is_fault(&r, NULL) && strstr(fault_string(&r), "_closed"),
	   "bad enum value refused: %s", fault_string(&r));
	t_soap_free(&r);

	r = t_call(ns, "initialize",
		   "<m:initialize xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\"><m:initializeRecord>"
		   "<c:reference type=\"salesOrder\" internalId=\"1\"/></m:initializeRecord></m:initialize>");
	ok(is_fault(&r, NULL) && strstr(fault_string(&r), "reference") && strstr(fault_string(&r), "type"),
	   "missing required element refused: %s", fault_string(&r));
	t_soap_free(&r);

	r = t_soap_raw(ns, "upsert", "<soapenv:Envelope xmlns:soapenv=\"" T_ENV "\"><soapenv:Body>", 48);
	ok(is_fault(&r, NULL) && strstr(fault_string(&r), "SAXParseException"), "malformed XML: fault");
	t_soap_free(&r);

	/* with validation off, the same bad enum reaches the record layer */
	bh_sim_ns_soap_set_xsd(soap, false);
	upsert_ra(buf, sizeof(buf), "ra-broken-3", "memo", so, "_closed", tee_id);
	r = t_call(ns, "upsert", buf);
	ok(r.status == 200 && !strcmp(code_of(&r), "INVALID_FLD_VALUE"),
	   "XSD off: the record layer answers INVALID_FLD_VALUE instead");
	t_soap_free(&r);
	bh_sim_ns_soap_set_xsd(soap, true);
}

static void test_auth(void)
{
	const char *frag = "<m:getServerTime xmlns:m=\"" T_MSGS "\"/>";
	xmlDocPtr f = t_xml(frag);
	xmlNodePtr h;
	xmlDocPtr env;
	struct t_soap r;
	long long now = (long long)time(NULL);

	r = t_call(ns, "getServerTime", frag);
	ok(r.status == 200 && *t_xs(r.doc, "//c:getServerTimeResult/c:serverTime"), "getServerTime with TBA");
	t_soap_free(&r);

	for (int i = 0; i < 2; i++) {
		env = t_envelope_bare(xmlDocGetRootElement(f), &h);
		t_passport(h, T_ACCOUNT, T_CK, T_CS, T_TID, T_TS, "FixedNonce0123456789", now);
		r = t_soap(ns, "getServerTime", env);
		if (i == 0)
			is_int(r.status, 200, "first use of a nonce");
		else
			ok(is_fault(&r, "USER_ERROR") && !strcmp(fault_string(&r), "Invalid login attempt."),
			   "reused nonce: Invalid login attempt.");
		t_soap_free(&r);
	}
	env = t_envelope_bare(xmlDocGetRootElement(f), &h);
	t_passport(h, T_ACCOUNT, T_CK, T_CS, T_TID, T_TS, NULL, now - 301);
	r = t_soap(ns, "getServerTime", env);
	ok(is_fault(&r, "USER_ERROR") && !strcmp(fault_string(&r), "Invalid login attempt."),
	   "timestamp 5 minutes + 1 s old: Invalid login attempt.");
	t_soap_free(&r);
	env = t_envelope_bare(xmlDocGetRootElement(f), &h);
	t_passport(h, T_ACCOUNT, T_CK, T_CS, T_TID, T_TS, NULL, now + 290);
	r = t_soap(ns, "getServerTime", env);
	is_int(r.status, 200, "timestamp within +5 minutes accepted");
	t_soap_free(&r);
	env = t_envelope_bare(xmlDocGetRootElement(f), &h);
	t_passport(h, T_ACCOUNT, T_CK, "wrong-secret", T_TID, T_TS, NULL, 0);
	r = t_soap(ns, "getServerTime", env);
	ok(is_fault(&r, "USER_ERROR"), "bad signature: Invalid login attempt.");
	t_soap_free(&r);
	env = t_envelope_bare(xmlDocGetRootElement(f), &h);
	t_passport(h, "1234567_sb1", T_CK, T_CS, T_TID, T_TS, NULL, 0);
	r = t_soap(ns, "getServerTime", env);
	ok(is_fault(&r, "USER_ERROR"), "lower-case _sb1 account: Invalid login attempt.");
	t_soap_free(&r);
	env = t_envelope_bare(xmlDocGetRootElement(f), &h);
	r = t_soap(ns, "getServerTime", env);
	ok(is_fault(&r, "USER_ERROR"), "no tokenPassport: Invalid login attempt.");
	t_soap_free(&r);
	env = t_envelope_bare(xmlDocGetRootElement(f), &h);
	t_passport(h, T_ACCOUNT, T_CK, T_CS, T_TID, T_TS, NULL, 0);
	{
		xmlNodePtr ai = xmlNewChild(h, NULL, (const xmlChar *)"applicationInfo", NULL);
		xmlNsPtr m = xmlNewNs(ai, (const xmlChar *)T_MSGS, (const xmlChar *)"platformMsgs");
		xmlSetNs(ai, m);
		xmlNewTextChild(ai, m, (const xmlChar *)"applicationId", (const xmlChar *)"APP-1");
	}
	r = t_soap(ns, "getServerTime", env);
	ok(is_fault(&r, "USER_ERROR") && !strcmp(fault_string(&r), "Ambiguous authentication"),
	   "applicationInfo with tokenPassport: Ambiguous authentication");
	t_soap_free(&r);
	xmlFreeDoc(f);

	int st;
	struct json_object *o = t_ctl(ns, "GET", "/login_audit", NULL, NULL, &st);
	const char *all = json_object_to_json_string(o);
	ok(strstr(all, "NonceUsed") && strstr(all, "InvalidTimestamp") && strstr(all, "InvalidSignature") &&
		   strstr(all, "InvalidAccount"),
	   "the login audit trail names the reasons");
	json_object_put(o);
}

static void test_errors(void)
{
	char buf[4096];
	int64_t so = so_for_tests("so-errors", 2);
	struct t_soap r;

	upsert_ra(buf, sizeof(buf), "ra-err-1", "memo", so, "_pendingReceipt", tee_id);
	r = t_call(ns, "upsert", buf);
	ok(r.status == 200 && !strcmp(t_xs(r.doc, "//m:writeResponse/c:status/@isSuccess"), "true"),
	   "upsert RA: success");
	const char *iid = t_xs(r.doc, "//m:writeResponse/m:baseRef/@internalId");
	ok(*iid && !strcmp(t_xs(r.doc, "//m:writeResponse/m:baseRef/@type"), "returnAuthorization") &&
		   !strcmp(t_xs(r.doc, "//m:writeResponse/m:baseRef/@externalId"), "ra-err-1"),
	   "baseRef internalId/externalId/type as in the success sample");
	char first_id[32];
	snprintf(first_id, sizeof(first_id), "%s", iid);
	t_soap_free(&r);
	r = t_call(ns, "upsert", buf);
	ok(!strcmp(t_xs(r.doc, "//m:writeResponse/m:baseRef/@internalId"), first_id),
	   "upsert again: same record");
	t_soap_free(&r);

	/* DUP_RCRD: add with an externalId already used in the transaction group */
	char add[4096];
	snprintf(add, sizeof(add), "%s", buf);
	char *p = strstr(add, "platformMsgs:upsert ");
	memcpy(p, "platformMsgs:add   ", 19);
	p = strstr(add, "</platformMsgs:upsert>");
	memcpy(p, "</platformMsgs:add   >", 22);
	r = t_call(ns, "add", add);
	ok(r.status == 200 && !strcmp(t_xs(r.doc, "//m:writeResponse/c:status/@isSuccess"), "false"),
	   "record error: HTTP 200, isSuccess=false");
	is_str(code_of(&r), "DUP_RCRD", "add with a used externalId: DUP_RCRD");
	is_str(t_xs(r.doc, "//c:statusDetail/@type"), "ERROR", "statusDetail type ERROR");
	ok(response_valid(&r, "DUP_RCRD"), "record error validates");
	t_soap_free(&r);

	/* INVALID_KEY_OR_REF: an item that does not exist */
	upsert_ra(buf, sizeof(buf), "ra-err-2", "memo", so, "_pendingReceipt", 999999LL);
	r = t_call(ns, "upsert", buf);
	is_str(code_of(&r), "INVALID_KEY_OR_REF", "unknown item: INVALID_KEY_OR_REF");
	ok(strstr(t_xs(r.doc, "//c:statusDetail/c:message"), "Invalid item reference key 999999") != NULL,
	   "message: %s", t_xs(r.doc, "//c:statusDetail/c:message"));
	t_soap_free(&r);

	/* USER_ERROR: upsert without externalId, and with an internalId */
	r = t_call(ns, "upsert",
		   "<m:upsert xmlns:m=\"" T_MSGS "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		   " xmlns:tc=\"urn:customers_2023_2.transactions.webservices.netsuite.com\">"
		   "<m:record xsi:type=\"tc:ReturnAuthorization\"><tc:memo>x</tc:memo></m:record></m:upsert>");
	ok(!strcmp(code_of(&r), "USER_ERROR") &&
		   !strcmp(t_xs(r.doc, "//c:statusDetail/c:message"), "This operation requires a value for externalId."),
	   "upsert without externalId: USER_ERROR");
	t_soap_free(&r);
	snprintf(buf, sizeof(buf),
		 "<m:upsert xmlns:m=\"" T_MSGS "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		 " xmlns:tc=\"urn:customers_2023_2.transactions.webservices.netsuite.com\">"
		 "<m:record xsi:type=\"tc:ReturnAuthorization\" internalId=\"%s\" externalId=\"ra-err-1\">"
		 "<tc:memo>x</tc:memo></m:record></m:upsert>", first_id);
	r = t_call(ns, "upsert", buf);
	ok(!strcmp(code_of(&r), "USER_ERROR") &&
		   !strcmp(t_xs(r.doc, "//c:statusDetail/c:message"), "You cannot set internalId with upsert."),
	   "upsert with internalId: USER_ERROR");
	t_soap_free(&r);

	/* RCRD_DSNT_EXIST */
	r = t_call(ns, "get",
		   "<m:get xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		   "<m:baseRef xsi:type=\"c:RecordRef\" type=\"returnAuthorization\" externalId=\"nope\"/></m:get>");
	ok(r.status == 200 && !strcmp(code_of(&r), "RCRD_DSNT_EXIST") &&
		   !strcmp(t_xs(r.doc, "//c:statusDetail/c:message"), "That record does not exist."),
	   "get of a missing record: RCRD_DSNT_EXIST");
	t_soap_free(&r);

	/* INVALID_INITIALIZE_REF: the sample's sales order 98765 does not exist; an RA pending
	 * approval cannot be received */
	r = t_call(ns, "initialize",
		   "<m:initialize xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\"><m:initializeRecord>"
		   "<c:type>returnAuthorization</c:type><c:reference type=\"salesOrder\" internalId=\"98765\"/>"
		   "</m:initializeRecord></m:initialize>");
	is_str(code_of(&r), "INVALID_INITIALIZE_REF", "initialize from a missing order: INVALID_INITIALIZE_REF");
	t_soap_free(&r);
	upsert_ra(buf, sizeof(buf), "ra-err-3", "memo", so, "_pendingApproval", tee_id);
	r = t_call(ns, "upsert", buf);
	t_soap_free(&r);
	r = t_call(ns, "initialize",
		   "<m:initialize xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\"><m:initializeRecord>"
		   "<c:type>itemReceipt</c:type><c:reference type=\"returnAuthorization\" externalId=\"ra-err-3\"/>"
		   "</m:initializeRecord></m:initialize>");
	ok(!strcmp(code_of(&r), "INVALID_INITIALIZE_REF") &&
		   strstr(t_xs(r.doc, "//c:statusDetail/c:message"), "You can not initialize itemreceipt"),
	   "receipt from an RA pending approval: INVALID_INITIALIZE_REF (%s)",
	   t_xs(r.doc, "//c:statusDetail/c:message"));
	t_soap_free(&r);

	/* INSUFFICIENT_PERMISSION: a read-only field without ignoreReadOnlyFields, and a role
	 * without the permission */
	upsert_ra(buf, sizeof(buf), "ra-err-4", "status", so, "_pendingReceipt", tee_id);
	bh_sim_ns_soap_set_xsd(soap, false); /* status is in the schema but out of sequence here */
	r = t_call(ns, "upsert", buf);
	ok(!strcmp(code_of(&r), "INSUFFICIENT_PERMISSION") &&
		   strstr(t_xs(r.doc, "//c:statusDetail/c:message"), "set a value for element status"),
	   "read-only field: INSUFFICIENT_PERMISSION");
	t_soap_free(&r);
	bh_sim_ns_soap_set_xsd(soap, true);
	int st;
	json_object_put(t_ctl(ns, "POST", "/accounts", NULL,
			      "{\"consumer_key\":\"ck-ro\",\"consumer_secret\":\"cs-ro\",\"token_id\":\"t-ro\","
			      "\"token_secret\":\"ts-ro\",\"deny\":[\"returnAuthorization\"]}", &st));
	is_int(st, 200, "POST /accounts adds a credential");
	xmlDocPtr f = t_xml(buf);
	xmlNodePtr h;
	upsert_ra(buf, sizeof(buf), "ra-err-5", "memo", so, "_pendingReceipt", tee_id);
	xmlFreeDoc(f);
	f = t_xml(buf);
	xmlDocPtr env = t_envelope_bare(xmlDocGetRootElement(f), &h);
	t_passport(h, T_ACCOUNT, "ck-ro", "cs-ro", "t-ro", "ts-ro", NULL, 0);
	xmlFreeDoc(f);
	r = t_soap(ns, "upsert", env);
	ok(!strcmp(code_of(&r), "INSUFFICIENT_PERMISSION") &&
		   strstr(t_xs(r.doc, "//c:statusDetail/c:message"), "Permission Violation"),
	   "role without the RA permission: INSUFFICIENT_PERMISSION");
	t_soap_free(&r);

	/* an operation the simulator does not offer is a fault that says so */
	r = t_call(ns, "delete",
		   "<m:delete xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		   "<m:baseRef xsi:type=\"c:RecordRef\" type=\"returnAuthorization\" internalId=\"1\"/></m:delete>");
	ok(is_fault(&r, NULL) && strstr(fault_string(&r), "not supported"), "delete: a fault naming the operation");
	t_soap_free(&r);
}

/* Move the record of an initialize response into an add request (with externalId). */
static struct t_soap add_initialized(struct t_soap *init, const char *eid, bool ignore_ro)
{
	xmlXPathObjectPtr o = t_xp(init->doc, "//m:initializeResponse/m:readResponse/m:record");
	struct t_soap none = {0};
	if (!o || !o->nodesetval || o->nodesetval->nodeNr != 1) {
		xmlXPathFreeObject(o);
		return none;
	}
	xmlNodePtr rec = o->nodesetval->nodeTab[0];
	xmlXPathFreeObject(o);
	xmlDocPtr tmp = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr add = xmlNewNode(NULL, (const xmlChar *)"add");
	xmlNsPtr m = xmlNewNs(add, (const xmlChar *)T_MSGS, (const xmlChar *)"platformMsgs");
	xmlSetNs(add, m);
	xmlDocSetRootElement(tmp, add);
	xmlNodePtr copy = xmlDocCopyNode(rec, tmp, 1);
	xmlAddChild(add, copy);
	xmlReconciliateNs(tmp, add);
	xmlSetProp(copy, (const xmlChar *)"externalId", (const xmlChar *)eid);
	xmlDocPtr env = t_envelope(add);
	xmlFreeDoc(tmp);
	if (ignore_ro)
		t_header_pref(env, "preferences", "ignoreReadOnlyFields", "true", NULL, NULL);
	return t_soap(ns, "add", env);
}

static struct t_soap initialize(const char *type, const char *rtype, const char *attr, const char *ref)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "<m:initialize xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\"><m:initializeRecord>"
		 "<c:type>%s</c:type><c:reference type=\"%s\" %s=\"%s\"/></m:initializeRecord></m:initialize>",
		 type, rtype, attr, ref);
	return t_call(ns, "initialize", buf);
}

static const char *ra_status(const char *eid)
{
	static char buf[64];
	char q[600];
	snprintf(q, sizeof(q),
		 "<m:get xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		 "<m:baseRef xsi:type=\"c:RecordRef\" type=\"returnAuthorization\" externalId=\"%s\"/></m:get>", eid);
	struct t_soap r = t_call(ns, "get", q);
	snprintf(buf, sizeof(buf), "%s", t_xs(r.doc, "//m:readResponse/m:record/tc:status"));
	t_soap_free(&r);
	return buf;
}

static void test_chain(void)
{
	char buf[4096], soid[32];
	struct t_soap r;
	/* the sales order over SOAP */
	snprintf(buf, sizeof(buf),
		 "<m:add xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		 " xmlns:ts=\"urn:sales_2023_2.transactions.webservices.netsuite.com\">"
		 "<m:record xsi:type=\"ts:SalesOrder\" externalId=\"shopify-order-5001\">"
		 "<ts:entity internalId=\"%lld\"/><ts:otherRefNum>#5001</ts:otherRefNum>"
		 "<ts:shippingCost>5.00</ts:shippingCost>"
		 "<ts:itemList><ts:item><ts:item internalId=\"%lld\"/><ts:quantity>1</ts:quantity>"
		 "<ts:rate>40.00</ts:rate><ts:taxAmount>3.20</ts:taxAmount></ts:item></ts:itemList>"
		 "<ts:customFieldList><c:customField xsi:type=\"c:StringCustomFieldRef\" scriptId=\"custbody_bh_shopify_order_id\">"
		 "<c:value>9007199254740995</c:value></c:customField></ts:customFieldList>"
		 "</m:record></m:add>", (long long)cust_id, (long long)tee_id);
	r = t_call(ns, "add", buf);
	ok(r.status == 200 && !strcmp(t_xs(r.doc, "//m:writeResponse/c:status/@isSuccess"), "true"),
	   "add a sales order over SOAP (%s)", code_of(&r));
	snprintf(soid, sizeof(soid), "%s", t_xs(r.doc, "//m:writeResponse/m:baseRef/@internalId"));
	t_soap_free(&r);
	snprintf(buf, sizeof(buf), "{\"sales_order\":%s}", soid);
	int st;
	json_object_put(t_ctl(ns, "POST", "/bill", NULL, buf, &st));
	is_int(st, 200, "billed as a cash sale (control API)");

	r = initialize("returnAuthorization", "salesOrder", "internalId", soid);
	ok(r.status == 200 && !strcmp(t_xs(r.doc, "//m:readResponse/c:status/@isSuccess"), "true"),
	   "initialize RA from the SO");
	ok(response_valid(&r, "initialize RA"), "initialize response validates");
	is_str(t_xs(r.doc, "//m:readResponse/m:record/@internalId"), "", "the initialized RA is unsaved (no internalId)");
	is_str(t_xs(r.doc, "//m:readResponse/m:record/tc:itemList/tc:item/tc:orderLine"), "1", "its line points at SO line 1");
	is_str(t_xs(r.doc, "//m:readResponse/m:record/tc:total"), "43.2", "its total 43.2 (xsd:double text)");
	struct t_soap a = add_initialized(&r, "loop-ra-5001", false);
	is_str(code_of(&a), "INSUFFICIENT_PERMISSION", "sending it back as is: read-only fields refused");
	t_soap_free(&a);
	a = add_initialized(&r, "loop-ra-5001", true);
	ok(a.status == 200 && !strcmp(t_xs(a.doc, "//m:writeResponse/c:status/@isSuccess"), "true"),
	   "with ignoreReadOnlyFields=true the initialized RA is added (%s %s)", code_of(&a),
	   t_xs(a.doc, "//c:statusDetail/c:message"));
	t_soap_free(&a);
	t_soap_free(&r);
	is_str(ra_status("loop-ra-5001"), "Pending Receipt", "RA status Pending Receipt");

	r = initialize("itemReceipt", "returnAuthorization", "externalId", "loop-ra-5001");
	is_str(t_xs(r.doc, "//m:readResponse/m:record/@xsi:type"), "tranPurch:ItemReceipt",
	       "item receipt initialized in the purchases namespace");
	a = add_initialized(&r, "loop-ir-5001", true);
	ok(!strcmp(t_xs(a.doc, "//m:writeResponse/c:status/@isSuccess"), "true"), "item receipt added");
	t_soap_free(&a);
	t_soap_free(&r);
	is_str(ra_status("loop-ra-5001"), "Pending Refund", "RA status Pending Refund");
	r = initialize("itemReceipt", "returnAuthorization", "externalId", "loop-ra-5001");
	is_str(code_of(&r), "INVALID_INITIALIZE_REF", "no second receipt: INVALID_INITIALIZE_REF");
	t_soap_free(&r);

	r = initialize("cashRefund", "returnAuthorization", "externalId", "loop-ra-5001");
	a = add_initialized(&r, "loop-cr-5001", true);
	ok(!strcmp(t_xs(a.doc, "//m:writeResponse/c:status/@isSuccess"), "true"), "cash refund added");
	char crid[32];
	snprintf(crid, sizeof(crid), "%s", t_xs(a.doc, "//m:writeResponse/m:baseRef/@internalId"));
	t_soap_free(&a);
	t_soap_free(&r);
	is_str(ra_status("loop-ra-5001"), "Refunded", "RA status Refunded");

	/* ledger of the refund: S1 */
	char path[64];
	snprintf(path, sizeof(path), "/records/cashRefund/%s", crid);
	struct json_object *o = t_ctl(ns, "GET", path, NULL, NULL, &st);
	struct json_object *gl = json_object_object_get(o, "gl");
	char got[512] = "";
	for (size_t i = 0; i < json_object_array_length(gl); i++) {
		struct json_object *g = json_object_array_get_idx(gl, i);
		bool dr = strcmp(t_jstr(g, "debit"), "0.00") != 0;
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s %s %s", i ? "; " : "",
			 dr ? "Dr" : "Cr", t_jstr(g, "account"), dr ? t_jstr(g, "debit") : t_jstr(g, "credit"));
	}
	is_str(got, "Dr Sales Returns 40.00; Dr Sales Tax Payable 3.20; Cr Payment Clearing 43.20",
	       "S1 refund posting through SOAP");
	json_object_put(o);

	/* close lines with the sample's update shape (keyed sublist, replaceAll=false) */
	int64_t so2 = so_for_tests("so-close", 2);
	upsert_ra(buf, sizeof(buf), "ra-close-1", "memo", so2, "_pendingReceipt", tee_id);
	r = t_call(ns, "upsert", buf);
	char raid[32];
	snprintf(raid, sizeof(raid), "%s", t_xs(r.doc, "//m:writeResponse/m:baseRef/@internalId"));
	t_soap_free(&r);
	snprintf(buf, sizeof(buf),
		 "<m:update xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		 " xmlns:tc=\"urn:customers_2023_2.transactions.webservices.netsuite.com\">"
		 "<m:record xsi:type=\"tc:ReturnAuthorization\" internalId=\"%s\"><tc:itemList replaceAll=\"false\">"
		 "<tc:item><tc:line>1</tc:line><tc:isClosed>true</tc:isClosed></tc:item></tc:itemList>"
		 "</m:record></m:update>", raid);
	r = t_call(ns, "update", buf);
	ok(!strcmp(t_xs(r.doc, "//m:writeResponse/c:status/@isSuccess"), "true"), "update: close line 1");
	t_soap_free(&r);
	is_str(ra_status("ra-close-1"), "Closed", "all lines closed: RA Closed");
}

static void test_search(void)
{
	char buf[4096];
	int st;
	struct t_soap r;
	/* move the clock forward so only the records below are "modified after T" */
	json_object_put(t_ctl(ns, "POST", "/clock", NULL, "{\"offset_ms\":7200000}", &st));
	t_clock_offset_s = 7200;
	int64_t so = so_for_tests("so-search", 7);
	bh_sim_ns_lock(ns);
	int64_t t_after = bh_sim_ns_now_ms(ns) - 1;
	bh_sim_ns_unlock(ns);
	char first[32] = "";
	for (int i = 0; i < 7; i++) {
		char eid[32];
		snprintf(eid, sizeof(eid), "ra-search-%d", i);
		upsert_ra(buf, sizeof(buf), eid, "memo", so, "_pendingReceipt", tee_id);
		r = t_call(ns, "upsert", buf);
		if (i == 0)
			snprintf(first, sizeof(first), "%s", t_xs(r.doc, "//m:writeResponse/m:baseRef/@internalId"));
		t_soap_free(&r);
	}
	upsert_ra(buf, sizeof(buf), "ra-search-7", "memo", so, "_pendingReceipt", tee_id);
	r = t_call(ns, "upsert", buf);
	is_str(code_of(&r), "USER_ERROR", "an eighth unit of seven cannot be returned");
	t_soap_free(&r);

	/* by externalId, body fields only by default */
	r = t_call(ns, "search",
		   "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		   " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\""
		   " xmlns:ts=\"urn:sales_2023_2.transactions.webservices.netsuite.com\">"
		   "<m:searchRecord xsi:type=\"ts:TransactionSearch\"><ts:basic>"
		   "<pc:externalId operator=\"anyOf\"><c:searchValue externalId=\"RA-SEARCH-3\"/></pc:externalId>"
		   "<pc:type operator=\"anyOf\"><c:searchValue>_returnAuthorization</c:searchValue></pc:type>"
		   "</ts:basic></m:searchRecord></m:search>");
	is_str(t_xs(r.doc, "//c:searchResult/c:totalRecords"), "1", "search by externalId (case-insensitive): 1 record");
	is_str(t_xs(r.doc, "//c:searchResult/c:recordList/c:record/@externalId"), "ra-search-3", "the right RA");
	is_int(t_xn(r.doc, "//c:recordList/c:record/tc:itemList"), 0, "bodyFieldsOnly by default: no itemList");
	is_str(t_xs(r.doc, "//c:recordList/c:record/tc:status"), "Pending Receipt", "status text in the record");
	ok(response_valid(&r, "search"), "search response validates");
	t_soap_free(&r);

	/* by createdFrom with the sublists */
	snprintf(buf, sizeof(buf),
		 "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		 " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\">"
		 "<m:searchRecord xsi:type=\"pc:TransactionSearchBasic\">"
		 "<pc:createdFrom operator=\"anyOf\"><c:searchValue internalId=\"%lld\"/></pc:createdFrom>"
		 "<pc:mainLine><c:searchValue>true</c:searchValue></pc:mainLine>"
		 "<pc:type operator=\"anyOf\"><c:searchValue>_returnAuthorization</c:searchValue></pc:type>"
		 "</m:searchRecord></m:search>", (long long)so);
	xmlDocPtr f = t_xml(buf);
	xmlDocPtr env = t_envelope(xmlDocGetRootElement(f));
	xmlFreeDoc(f);
	t_header_pref(env, "searchPreferences", "bodyFieldsOnly", "false", "pageSize", "5");
	r = t_soap(ns, "search", env);
	is_str(t_xs(r.doc, "//c:searchResult/c:totalRecords"), "7", "search by createdFrom: 7 RAs");
	is_str(t_xs(r.doc, "//c:searchResult/c:totalPages"), "2", "pageSize 5: 2 pages");
	is_int(t_xn(r.doc, "//c:recordList/c:record"), 5, "first page holds 5");
	is_int(t_xn(r.doc, "//c:recordList/c:record/tc:itemList"), 5, "bodyFieldsOnly=false: itemList returned");
	ok(response_valid(&r, "search with lines"), "search response with lines validates");
	char sid[128];
	snprintf(sid, sizeof(sid), "%s", t_xs(r.doc, "//c:searchResult/c:searchId"));
	t_soap_free(&r);
	snprintf(buf, sizeof(buf),
		 "<m:searchMoreWithId xmlns:m=\"" T_MSGS "\"><m:searchId>%s</m:searchId><m:pageIndex>2</m:pageIndex>"
		 "</m:searchMoreWithId>", sid);
	r = t_call(ns, "searchMoreWithId", buf);
	is_str(t_xs(r.doc, "//c:searchResult/c:pageIndex"), "2", "searchMoreWithId page 2");
	is_int(t_xn(r.doc, "//c:recordList/c:record"), 2, "page 2 holds the last 2");
	is_int(t_xn(r.doc, "//c:recordList/c:record/tc:itemList"), 2, "the search's preferences are kept");
	ok(response_valid(&r, "searchMoreWithId"), "searchMoreWithId response validates");
	t_soap_free(&r);
	snprintf(buf, sizeof(buf),
		 "<m:searchMoreWithId xmlns:m=\"" T_MSGS "\"><m:searchId>%s</m:searchId><m:pageIndex>3</m:pageIndex>"
		 "</m:searchMoreWithId>", sid);
	r = t_call(ns, "searchMoreWithId", buf);
	is_str(code_of(&r), "INVALID_PAGE_INDEX", "page 3 of 2: INVALID_PAGE_INDEX");
	t_soap_free(&r);

	/* by lastModifiedDate: flag one RA and close another after T2 */
	char path[64], ts1[40], ts2[40];
	bh_sim_ns_time_fmt(t_after, ts1, sizeof(ts1));
	json_object_put(t_ctl(ns, "POST", "/clock", NULL, "{\"offset_ms\":10800000}", &st));
	t_clock_offset_s = 10800;
	bh_sim_ns_lock(ns);
	int64_t t2 = bh_sim_ns_now_ms(ns) - 1;
	bh_sim_ns_unlock(ns);
	bh_sim_ns_time_fmt(t2, ts2, sizeof(ts2));
	snprintf(path, sizeof(path), "/ra/%s/flag", first);
	json_object_put(t_ctl(ns, "POST", path, NULL, "{\"value\":true}", &st));
	is_int(st, 200, "operator sets the review flag");
	snprintf(buf, sizeof(buf),
		 "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		 " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\">"
		 "<m:searchRecord xsi:type=\"pc:TransactionSearchBasic\">"
		 "<pc:lastModifiedDate operator=\"after\"><c:searchValue>%s</c:searchValue></pc:lastModifiedDate>"
		 "<pc:type operator=\"anyOf\"><c:searchValue>_returnAuthorization</c:searchValue></pc:type>"
		 "</m:searchRecord></m:search>", ts2);
	r = t_call(ns, "search", buf);
	is_str(t_xs(r.doc, "//c:searchResult/c:totalRecords"), "1", "lastModifiedDate after T2: only the flagged RA");
	is_str(t_xs(r.doc, "//c:recordList/c:record/@internalId"), first, "the flagged one");
	t_soap_free(&r);
	snprintf(buf, sizeof(buf),
		 "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		 " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\">"
		 "<m:searchRecord xsi:type=\"pc:TransactionSearchBasic\">"
		 "<pc:lastModifiedDate operator=\"within\"><c:searchValue>%s</c:searchValue><c:searchValue2>%s</c:searchValue2></pc:lastModifiedDate>"
		 "<pc:type operator=\"anyOf\"><c:searchValue>_returnAuthorization</c:searchValue></pc:type>"
		 "</m:searchRecord></m:search>", ts1, ts2);
	r = t_call(ns, "search", buf);
	is_str(t_xs(r.doc, "//c:searchResult/c:totalRecords"), "6", "lastModifiedDate within [T, T2]: the other six");
	t_soap_free(&r);
	snprintf(buf, sizeof(buf),
		 "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		 " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\">"
		 "<m:searchRecord xsi:type=\"pc:TransactionSearchBasic\">"
		 "<pc:status operator=\"anyOf\"><c:searchValue>_returnAuthorizationPendingReceipt</c:searchValue></pc:status>"
		 "<pc:customFieldList><c:customField xsi:type=\"c:SearchBooleanCustomField\" scriptId=\"custbody_bh_review_flag\">"
		 "<c:searchValue>true</c:searchValue></c:customField></pc:customFieldList>"
		 "</m:searchRecord></m:search>");
	r = t_call(ns, "search", buf);
	is_str(t_xs(r.doc, "//c:searchResult/c:totalRecords"), "1", "custom field search: the flagged RA");
	is_str(t_xs(r.doc, "//c:recordList/c:record/tc:customFieldList/c:customField[@scriptId='custbody_bh_review_flag']/c:value"),
	       "true", "the flag shows in customFieldList");
	ok(response_valid(&r, "custom field search"), "validates");
	t_soap_free(&r);
	json_object_put(t_ctl(ns, "POST", "/clock", NULL, "{\"offset_ms\":0}", &st));
	t_clock_offset_s = 0;

	/* items by SKU (itemId) and customers by email */
	r = t_call(ns, "search",
		   "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		   " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\">"
		   "<m:searchRecord xsi:type=\"pc:ItemSearchBasic\">"
		   "<pc:itemId operator=\"is\"><c:searchValue>tee-blk-l</c:searchValue></pc:itemId>"
		   "</m:searchRecord></m:search>");
	is_str(t_xs(r.doc, "//c:searchResult/c:totalRecords"), "1", "item search by itemId");
	snprintf(buf, sizeof(buf), "%lld", (long long)tee_l_id);
	is_str(t_xs(r.doc, "//c:recordList/c:record/@internalId"), buf, "finds TEE-BLK-L");
	ok(response_valid(&r, "item search"), "validates");
	t_soap_free(&r);
	r = t_call(ns, "search",
		   "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		   " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\">"
		   "<m:searchRecord xsi:type=\"pc:CustomerSearchBasic\">"
		   "<pc:email operator=\"is\"><c:searchValue>jane@example.com</c:searchValue></pc:email>"
		   "</m:searchRecord></m:search>");
	is_str(t_xs(r.doc, "//c:searchResult/c:totalRecords"), "1", "customer search by email");
	ok(response_valid(&r, "customer search"), "validates");
	t_soap_free(&r);
	r = t_call(ns, "search",
		   "<m:search xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		   " xmlns:pc=\"urn:common_2023_2.platform.webservices.netsuite.com\">"
		   "<m:searchRecord xsi:type=\"pc:TransactionSearchBasic\">"
		   "<pc:amount operator=\"equalTo\"><c:searchValue>1</c:searchValue></pc:amount>"
		   "</m:searchRecord></m:search>");
	is_str(code_of(&r), "INVALID_SEARCH", "a search field the simulator does not evaluate is refused, not ignored");
	t_soap_free(&r);
}

static void test_concurrency(void)
{
	const char *frag = "<m:getServerTime xmlns:m=\"" T_MSGS "\"/>";
	struct t_soap r;
	int taken = 0;
	while (bh_sim_ns_conc_acquire(ns) == BH_OK)
		taken++;
	is_int(taken, 5, "the default account limit is 5 slots");
	r = t_call(ns, "getServerTime", frag);
	ok(is_fault(&r, "WS_REQUEST_BLOCKED"), "over the limit: WS_REQUEST_BLOCKED fault (HTTP %d)", r.status);
	is_str(fault_string(&r), "SuiteTalk concurrent request limit exceeded. Request blocked.",
	       "faultstring as documented");
	is_int(t_xn(r.doc, "//soapenv:Fault/detail/f:exceededConcurrentRequestLimitFault"), 1,
	       "detail exceededConcurrentRequestLimitFault");
	ok(response_valid(&r, "concurrency fault"), "the fault validates");
	t_soap_free(&r);
	bh_sim_ns_conc_release(ns);
	r = t_call(ns, "getServerTime", frag);
	is_int(r.status, 200, "one slot free: served");
	t_soap_free(&r);
	for (int i = 1; i < taken; i++)
		bh_sim_ns_conc_release(ns);
	is_int(bh_sim_ns_conc_in_use(ns), 0, "every slot given back");
	int st;
	json_object_put(t_ctl(ns, "POST", "/concurrency", NULL, "{\"limit\":5,\"held\":5}", &st));
	r = t_call(ns, "getServerTime", frag);
	ok(is_fault(&r, "WS_REQUEST_BLOCKED"), "slots held by other integrations (control API): blocked");
	t_soap_free(&r);
	json_object_put(t_ctl(ns, "POST", "/concurrency", NULL, "{\"held\":0}", &st));
}

static int64_t derive_add(enum bh_sim_ns_type to, int64_t from)
{
	struct bh_sim_ns_err err = {0};
	struct bh_sim_ns_rec *d = NULL;
	int64_t id = -1;
	bh_sim_ns_lock(ns);
	struct bh_sim_ns_rec *src = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, from);
	if (src && bh_sim_ns_initialize(ns, to, src, NULL, &d, &err) == BH_OK &&
	    bh_sim_ns_add(ns, d, NULL, &id, &err) != BH_OK)
		id = -1;
	bh_sim_ns_unlock(ns);
	if (id < 0)
		diag("derive %d from %lld: %s %s", (int)to, (long long)from, err.code ? err.code : "",
		     err.message);
	return id;
}

/* Every record type the store keeps goes out through get and validates. */
static void test_roundtrip(void)
{
	int st;
	char body[600];
	json_object_put(t_ctl(ns, "POST", "/items", NULL,
		"{\"items\":[{\"sku\":\"FEE\",\"type\":\"fee\"},{\"sku\":\"DISC\",\"type\":\"discount\"},"
		"{\"sku\":\"TAX-CA\",\"type\":\"tax\",\"tax_rate\":\"8.25%\"},{\"sku\":\"SHIP\",\"type\":\"shipping\"}]}",
		&st));
	is_int(st, 200, "items of every kind");
	struct t_soap r = t_call(ns, "add",
		"<m:add xmlns:m=\"" T_MSGS "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		" xmlns:la=\"urn:accounting_2023_2.lists.webservices.netsuite.com\">"
		"<m:record xsi:type=\"la:GiftCertificateItem\"><la:itemId>EGIFT</la:itemId>"
		"<la:displayName>E-gift</la:displayName></m:record></m:add>");
	ok(!strcmp(t_xs(r.doc, "//m:writeResponse/c:status/@isSuccess"), "true"), "add a GiftCertificateItem over SOAP");
	t_soap_free(&r);
	r = t_call(ns, "add",
		"<m:add xmlns:m=\"" T_MSGS "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
		" xmlns:lr=\"urn:relationships_2023_2.lists.webservices.netsuite.com\">"
		"<m:record xsi:type=\"lr:Customer\" externalId=\"shopify-customer-42\"><lr:isPerson>true</lr:isPerson>"
		"<lr:firstName>Ann</lr:firstName><lr:lastName>Lee</lr:lastName><lr:email>ann@example.com</lr:email>"
		"</m:record></m:add>");
	ok(!strcmp(t_xs(r.doc, "//m:writeResponse/c:status/@isSuccess"), "true"), "add a Customer over SOAP");
	t_soap_free(&r);

	int64_t so = so_for_tests("so-roundtrip", 1);
	snprintf(body, sizeof(body), "{\"sales_order\":%lld,\"as\":\"invoice\"}", (long long)so);
	json_object_put(t_ctl(ns, "POST", "/bill", NULL, body, &st));
	is_int(st, 200, "billed as an invoice");
	snprintf(body, sizeof(body), "{\"sales_order\":%lld}", (long long)so);
	json_object_put(t_ctl(ns, "POST", "/fulfill", NULL, body, &st));
	is_int(st, 200, "fulfilled");
	int64_t ra = derive_add(BH_SIM_NS_T_RETURN_AUTHORIZATION, so);
	int64_t cm = derive_add(BH_SIM_NS_T_CREDIT_MEMO, ra);
	int64_t crf = derive_add(BH_SIM_NS_T_CUSTOMER_REFUND, cm);
	ok(ra > 0 && cm > 0 && crf > 0, "RA -> credit memo -> customer refund");

	struct {
		int64_t id;
		enum bh_sim_ns_type t;
	} all[512];
	size_t n = 0;
	unsigned seen = 0;
	bh_sim_ns_lock(ns);
	for (size_t i = 0; i < bh_sim_ns_count(ns) && n < 512; i++) {
		struct bh_sim_ns_rec *x = bh_sim_ns_at(ns, i);
		if (seen & (1u << x->type))
			continue; /* one of each type is enough */
		seen |= 1u << x->type;
		all[n].id = x->id;
		all[n++].t = x->type;
	}
	bh_sim_ns_unlock(ns);
	is_int((long long)n, BH_SIM_NS_T_COUNT - 1, "one record of every type");
	for (size_t i = 0; i < n; i++) {
		char q[600];
		snprintf(q, sizeof(q),
			 "<m:get xmlns:m=\"" T_MSGS "\" xmlns:c=\"" T_CORE "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
			 "<m:baseRef xsi:type=\"c:RecordRef\" type=\"%s\" internalId=\"%lld\"/></m:get>",
			 bh_sim_ns_type_name(all[i].t), (long long)all[i].id);
		r = t_call(ns, "get", q);
		ok(r.status == 200 && !strcmp(t_xs(r.doc, "//m:readResponse/c:status/@isSuccess"), "true") &&
			   response_valid(&r, bh_sim_ns_type_name(all[i].t)),
		   "get %s %lld: a valid record", bh_sim_ns_type_name(all[i].t), (long long)all[i].id);
		t_soap_free(&r);
	}
	snprintf(body, sizeof(body), "/records/customerRefund/%lld", (long long)crf);
	struct json_object *o = t_ctl(ns, "GET", body, NULL, NULL, &st);
	ok(strstr(json_object_to_json_string(o), "\"Accounts Receivable\"") != NULL &&
		   !strcmp(t_jstr(o, "total"), "43.20"),
	   "customer refund of the credit memo: 43.20, Dr AR / Cr Payment Clearing");
	json_object_put(o);
	snprintf(body, sizeof(body), "/records/creditMemo/%lld", (long long)cm);
	o = t_ctl(ns, "GET", body, NULL, NULL, &st);
	is_str(t_jstr(o, "status"), "Fully Applied", "the credit memo is fully applied");
	json_object_put(o);
}

static void test_service_hooks(void)
{
	struct bh_sim_header hdr[1] = {{"SOAPAction", "\"upsert\""}};
	struct bh_sim_req req = {.method = "POST", .path = "/services/NetSuitePort_2023_2", .query = "",
				 .headers = hdr, .n_headers = 1, .body = "", .base_url = "http://127.0.0.1:1"};
	struct bh_sim_resp resp = {0};
	char op[64];
	bh_sim_service_netsuite.op_name(ns, &req, op, sizeof(op));
	is_str(op, "soap:upsert", "op_name of a SOAP upsert");
	req.n_headers = 0;
	req.body = "<soapenv:Envelope xmlns:soapenv=\"" T_ENV "\"><soapenv:Body><platformMsgs:search "
		   "xmlns:platformMsgs=\"" T_MSGS "\"/></soapenv:Body></soapenv:Envelope>";
	req.body_len = strlen(req.body);
	bh_sim_service_netsuite.op_name(ns, &req, op, sizeof(op));
	is_str(op, "soap:search", "op_name sniffed from the body without SOAPAction");
	bh_sim_service_netsuite.fault(ns, BH_SIM_FAULT_SOAP, &req, &resp);
	xmlDocPtr d = xmlReadMemory(resp.body, (int)resp.body_len, "f.xml", NULL, 0);
	ok(resp.status == 500 && !strcmp(t_xs(d, "//soapenv:Fault/detail/*/f:code"), "WS_REQUEST_BLOCKED"),
	   "injected SOAP fault: WS_REQUEST_BLOCKED");
	xmlFreeDoc(d);
	bh_sim_resp_clear(&resp);
	bh_sim_service_netsuite.fault(ns, BH_SIM_FAULT_HTTP_5XX, &req, &resp);
	d = xmlReadMemory(resp.body, (int)resp.body_len, "f.xml", NULL, 0);
	ok(resp.status == 500 && !strcmp(t_xs(d, "//soapenv:Fault/detail/*/f:code"), "UNEXPECTED_ERROR"),
	   "injected 5xx on SOAP: UNEXPECTED_ERROR fault");
	xmlFreeDoc(d);
	bh_sim_resp_clear(&resp);
	req.path = "/services/rest/record/v1/returnAuthorization";
	bh_sim_service_netsuite.op_name(ns, &req, op, sizeof(op));
	is_str(op, "rest:record", "op_name of a REST record call");
	req.path = "/services/rest/query/v1/suiteql";
	bh_sim_service_netsuite.op_name(ns, &req, op, sizeof(op));
	is_str(op, "suiteql", "op_name of SuiteQL");
	bh_sim_service_netsuite.fault(ns, BH_SIM_FAULT_HTTP_429, &req, &resp);
	struct json_object *o = json_tokener_parse(resp.body);
	struct json_object *det = json_object_array_get_idx(json_object_object_get(o, "o:errorDetails"), 0);
	ok(resp.status == 429 && !strcmp(t_jstr(det, "o:errorCode"), "CONCURRENCY_LIMIT_EXCEEDED"),
	   "injected 429 on REST: CONCURRENCY_LIMIT_EXCEEDED");
	json_object_put(o);
	bh_sim_resp_clear(&resp);
}

int main(void)
{
	const char *shared = tap_shared_dir();
	if (!shared)
		skip_all("reference data not found (set BH_SHARED_DIR to the shared/ folder)");
	char ref[4200], xsd[4400], opts[4600];
	if (strlen(shared) > 4000)
		skip_all("shared dir path too long");
	snprintf(ref, sizeof(ref), "%s/reference", shared);
	snprintf(xsd, sizeof(xsd), "%s/netsuite-suitetalk/2023_2/validate-all.xsd", ref);
	if (access(xsd, R_OK) != 0)
		skip_all("%s not found", xsd);
	snprintf(samples, sizeof(samples), "%s/netsuite-suitetalk/2023_2/samples", ref);
	snprintf(opts, sizeof(opts), "{\"reference_dir\":\"%s\"}", ref);

	int64_t t0 = tap_mono_ms();
	ns = t_ns_new(opts);
	int64_t t1 = tap_mono_ms();
	ok(ns != NULL, "create the netsuite service");
	if (!ns)
		return done_testing();
	ok(t1 - t0 < 1000, "create() returns at once (%lld ms): the schema loads in the background",
	   (long long)(t1 - t0));
	soap = bh_sim_ns_soap_slot(ns);
	ok(bh_sim_ns_soap_wait_schema(soap, 60000), "Oracle's XSD parsed");
	struct json_object *info = bh_sim_ns_soap_info(soap);
	diag("xmlSchemaParse of validate-all.xsd: %lld ms",
	     (long long)json_object_get_int64(json_object_object_get(info, "schema_parse_ms")));
	json_object_put(info);

	test_vectors(shared);
	seed();
	test_samples();
	test_broken();
	test_auth();
	test_errors();
	test_chain();
	test_search();
	test_concurrency();
	test_roundtrip();
	test_service_hooks();

	bh_sim_service_netsuite.destroy(ns);
	xmlCleanupParser();
	return done_testing();
}
