/*
 * netsuite_util.h - helpers for the NetSuite simulator tests (header-only): create the
 * service, call its control API and its service port in-process with constructed
 * bh_sim_req, build SOAP envelopes with libxml2 (a fresh, correctly signed
 * tokenPassport per request), and read responses with namespace-aware XPath.
 *
 * Ownership: NetSuite service helper. Not thread-safe (tests call from one thread).
 */
#ifndef BH_TEST_NETSUITE_UTIL_H
#define BH_TEST_NETSUITE_UTIL_H

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "sim_ns_store.h"
#include "sim_ns_tba.h"

#define T_VER "2023_2"
#define T_MSGS "urn:messages_2023_2.platform.webservices.netsuite.com"
#define T_CORE "urn:core_2023_2.platform.webservices.netsuite.com"
#define T_ENV "http://schemas.xmlsoap.org/soap/envelope/"
#define T_ACCOUNT "1234567_SB1"
#define T_CK "bh-sim-consumer-key"
#define T_CS "bh-sim-consumer-secret"
#define T_TID "bh-sim-token-id"
#define T_TS "bh-sim-token-secret"

__attribute__((unused)) static struct bh_sim_ns *t_ns_new(const char *opts_json)
{
	struct json_object *o = json_tokener_parse(opts_json ? opts_json : "{}");
	struct bh_sim_ns *ns = bh_sim_service_netsuite.create(o);
	json_object_put(o);
	return ns;
}

/** Control call; returns the parsed JSON answer (caller puts it), status in *status. */
__attribute__((unused)) static struct json_object *t_ctl(struct bh_sim_ns *ns, const char *method,
							  const char *path, const char *query,
							  const char *body, int *status)
{
	struct bh_sim_req req = {0};
	struct bh_sim_resp resp = {0};
	req.method = method;
	req.path = path;
	req.query = query ? query : "";
	req.body = body ? body : "";
	req.body_len = body ? strlen(body) : 0;
	req.base_url = "http://127.0.0.1:1";
	bh_sim_service_netsuite.control(ns, &req, &resp);
	if (status)
		*status = resp.status;
	struct json_object *o = resp.body ? json_tokener_parse(resp.body) : NULL;
	bh_sim_resp_clear(&resp);
	return o;
}

__attribute__((unused)) static const char *t_jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && v)
		return json_object_get_string(v);
	return NULL;
}

__attribute__((unused)) static int64_t t_jint(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && v)
		return json_object_get_int64(v);
	return -1;
}

/* ------------------------------------------------------------------ SOAP */

static int t_nonce_seq;
/** Seconds added to time(NULL) for passports (tests that move the simulated clock). */
static long long t_clock_offset_s;

/** A tokenPassport element (messages ns, children in core ns). ts 0 = now; nonce NULL =
 *  a fresh one. */
__attribute__((unused)) static xmlNodePtr t_passport(xmlNodePtr header, const char *account,
						     const char *ck, const char *cs, const char *tid,
						     const char *tsec, const char *nonce, long long ts)
{
	char nb[40], tsb[32];
	xmlNodePtr p = xmlNewChild(header, NULL, (const xmlChar *)"tokenPassport", NULL);
	xmlNsPtr m = xmlNewNs(p, (const xmlChar *)T_MSGS, (const xmlChar *)"platformMsgs");
	xmlNsPtr c = xmlNewNs(p, (const xmlChar *)T_CORE, (const xmlChar *)"platformCore");
	xmlSetNs(p, m);
	if (!nonce) {
		snprintf(nb, sizeof(nb), "n%dx%ld", ++t_nonce_seq, (long)getpid());
		while (strlen(nb) < 20)
			strcat(nb, "Q");
		nonce = nb;
	}
	snprintf(tsb, sizeof(tsb), "%lld", ts ? ts : (long long)time(NULL) + t_clock_offset_s);
	char *sig = bh_sim_ns_tba_sign(account, ck, cs, tid, tsec, nonce, tsb);
	xmlNewTextChild(p, c, (const xmlChar *)"account", (const xmlChar *)account);
	xmlNewTextChild(p, c, (const xmlChar *)"consumerKey", (const xmlChar *)ck);
	xmlNewTextChild(p, c, (const xmlChar *)"token", (const xmlChar *)tid);
	xmlNewTextChild(p, c, (const xmlChar *)"nonce", (const xmlChar *)nonce);
	xmlNewTextChild(p, c, (const xmlChar *)"timestamp", (const xmlChar *)tsb);
	xmlNodePtr s = xmlNewTextChild(p, c, (const xmlChar *)"signature", (const xmlChar *)sig);
	xmlNewProp(s, (const xmlChar *)"algorithm", (const xmlChar *)"HMAC-SHA256");
	free(sig);
	return p;
}

/** Envelope around a copy of body_child; *header_out receives the Header. */
__attribute__((unused)) static xmlDocPtr t_envelope_bare(xmlNodePtr body_child, xmlNodePtr *header_out)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr env = xmlNewNode(NULL, (const xmlChar *)"Envelope");
	xmlNsPtr se = xmlNewNs(env, (const xmlChar *)T_ENV, (const xmlChar *)"soapenv");
	xmlSetNs(env, se);
	xmlNewNs(env, (const xmlChar *)"http://www.w3.org/2001/XMLSchema-instance", (const xmlChar *)"xsi");
	xmlDocSetRootElement(doc, env);
	xmlNodePtr h = xmlNewChild(env, se, (const xmlChar *)"Header", NULL);
	xmlNodePtr b = xmlNewChild(env, se, (const xmlChar *)"Body", NULL);
	if (body_child)
		xmlAddChild(b, xmlDocCopyNode(body_child, doc, 1));
	if (header_out)
		*header_out = h;
	return doc;
}

/** Envelope with the default credential's fresh passport. */
__attribute__((unused)) static xmlDocPtr t_envelope(xmlNodePtr body_child)
{
	xmlNodePtr h;
	xmlDocPtr d = t_envelope_bare(body_child, &h);
	t_passport(h, T_ACCOUNT, T_CK, T_CS, T_TID, T_TS, NULL, 0);
	return d;
}

/** Add a header element <platformMsgs:name><platformMsgs:k>v</...></...>. */
__attribute__((unused)) static void t_header_pref(xmlDocPtr doc, const char *name, const char *k1,
						  const char *v1, const char *k2, const char *v2)
{
	xmlNodePtr env = xmlDocGetRootElement(doc), h = NULL;
	for (xmlNodePtr c = env->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "Header"))
			h = c;
	xmlNodePtr p = xmlNewChild(h, NULL, (const xmlChar *)name, NULL);
	xmlNsPtr m = xmlNewNs(p, (const xmlChar *)T_MSGS, (const xmlChar *)"platformMsgs");
	xmlSetNs(p, m);
	if (k1)
		xmlNewTextChild(p, m, (const xmlChar *)k1, (const xmlChar *)v1);
	if (k2)
		xmlNewTextChild(p, m, (const xmlChar *)k2, (const xmlChar *)v2);
}

struct t_soap {
	int status;
	char *body;
	xmlDocPtr doc;
};

__attribute__((unused)) static void t_soap_free(struct t_soap *r)
{
	free(r->body);
	if (r->doc)
		xmlFreeDoc(r->doc);
	memset(r, 0, sizeof(*r));
}

/** POST raw bytes to the SOAP endpoint. */
__attribute__((unused)) static struct t_soap t_soap_raw(struct bh_sim_ns *ns, const char *action,
							const char *body, size_t len)
{
	struct t_soap out = {0};
	struct bh_sim_header hdr[2] = {{"Content-Type", "text/xml; charset=utf-8"},
				       {"SOAPAction", action ? action : ""}};
	struct bh_sim_req req = {0};
	struct bh_sim_resp resp = {0};
	req.method = "POST";
	req.path = "/services/NetSuitePort_" T_VER;
	req.query = "";
	req.headers = hdr;
	req.n_headers = 2;
	req.body = body;
	req.body_len = len;
	req.base_url = "http://127.0.0.1:1";
	bh_sim_service_netsuite.handle(ns, &req, &resp);
	out.status = resp.status;
	if (resp.body) {
		out.body = strndup(resp.body, resp.body_len);
		out.doc = xmlReadMemory(resp.body, (int)resp.body_len, "resp.xml", NULL, XML_PARSE_NONET);
	}
	bh_sim_resp_clear(&resp);
	return out;
}

/** Serialise an envelope (freed) and send it. */
__attribute__((unused)) static struct t_soap t_soap(struct bh_sim_ns *ns, const char *action, xmlDocPtr env)
{
	xmlChar *buf = NULL;
	int len = 0;
	xmlDocDumpMemoryEnc(env, &buf, &len, "UTF-8");
	xmlFreeDoc(env);
	struct t_soap r = t_soap_raw(ns, action, (const char *)buf, (size_t)len);
	xmlFree(buf);
	return r;
}

/** Parse an XML fragment (a body element with its namespace declarations). */
__attribute__((unused)) static xmlDocPtr t_xml(const char *text)
{
	return xmlReadMemory(text, (int)strlen(text), "t.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
}

/** Build an envelope around the root of an XML fragment and send it. */
__attribute__((unused)) static struct t_soap t_call(struct bh_sim_ns *ns, const char *action,
						    const char *fragment)
{
	xmlDocPtr f = t_xml(fragment);
	if (!f) {
		struct t_soap none = {0};
		fprintf(stderr, "bad test fragment: %s\n", fragment);
		return none;
	}
	xmlDocPtr env = t_envelope(xmlDocGetRootElement(f));
	xmlFreeDoc(f);
	return t_soap(ns, action, env);
}

__attribute__((unused)) static xmlXPathObjectPtr t_xp(xmlDocPtr doc, const char *expr)
{
	if (!doc)
		return NULL;
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(c, (const xmlChar *)"soapenv", (const xmlChar *)T_ENV);
	xmlXPathRegisterNs(c, (const xmlChar *)"m", (const xmlChar *)T_MSGS);
	xmlXPathRegisterNs(c, (const xmlChar *)"xsi", (const xmlChar *)"http://www.w3.org/2001/XMLSchema-instance");
	xmlXPathRegisterNs(c, (const xmlChar *)"c", (const xmlChar *)T_CORE);
	xmlXPathRegisterNs(c, (const xmlChar *)"f", (const xmlChar *)"urn:faults_2023_2.platform.webservices.netsuite.com");
	xmlXPathRegisterNs(c, (const xmlChar *)"tc", (const xmlChar *)"urn:customers_2023_2.transactions.webservices.netsuite.com");
	xmlXPathRegisterNs(c, (const xmlChar *)"ts", (const xmlChar *)"urn:sales_2023_2.transactions.webservices.netsuite.com");
	xmlXPathRegisterNs(c, (const xmlChar *)"tp", (const xmlChar *)"urn:purchases_2023_2.transactions.webservices.netsuite.com");
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, c);
	xmlXPathFreeContext(c);
	return o;
}

/** String value of an XPath expression (static buffer, "" when none). */
__attribute__((unused)) static const char *t_xs(xmlDocPtr doc, const char *expr)
{
	static char buf[4][2048];
	static int k;
	char *b = buf[k++ & 3];
	b[0] = 0;
	char full[512];
	snprintf(full, sizeof(full), "string(%s)", expr);
	xmlXPathObjectPtr o = t_xp(doc, full);
	if (o && o->stringval)
		snprintf(b, 2048, "%s", (const char *)o->stringval);
	xmlXPathFreeObject(o);
	return b;
}

__attribute__((unused)) static int t_xn(xmlDocPtr doc, const char *expr)
{
	char full[512];
	snprintf(full, sizeof(full), "count(%s)", expr);
	xmlXPathObjectPtr o = t_xp(doc, full);
	int n = o ? (int)o->floatval : -1;
	xmlXPathFreeObject(o);
	return n;
}

#endif
