/*
 * nssoap_xml.c - SuiteTalk request envelopes built as libxml2 trees (never as strings),
 * and namespace-agnostic helpers to read response trees.
 *
 * Every namespace a request may use is declared once on soapenv:Envelope with Oracle's
 * conventional prefixes (platformMsgs, platformCore, platformCommon, tranSales,
 * tranCust, tranPurch, listRel, listAcct), so xsi:type values such as
 * "tranCust:ReturnAuthorization" resolve. Element order inside records follows the
 * 2023_2 XSD sequences; callers add children in that order.
 *
 * Ownership: netsuite-soap plugin. Threading: a request tree belongs to one call.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "../common/money.h"
#include "nssoap.h"
#include "nssoap_tba.h"

#define SOAP_ENV "http://schemas.xmlsoap.org/soap/envelope/"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

void bh_nss_ns_init(struct bh_nss_ns *ns, const char *v)
{
	snprintf(ns->msgs, sizeof(ns->msgs), "urn:messages_%s.platform.webservices.netsuite.com", v);
	snprintf(ns->core, sizeof(ns->core), "urn:core_%s.platform.webservices.netsuite.com", v);
	snprintf(ns->common, sizeof(ns->common), "urn:common_%s.platform.webservices.netsuite.com", v);
	snprintf(ns->faults, sizeof(ns->faults), "urn:faults_%s.platform.webservices.netsuite.com", v);
	snprintf(ns->sales, sizeof(ns->sales), "urn:sales_%s.transactions.webservices.netsuite.com", v);
	snprintf(ns->cust, sizeof(ns->cust), "urn:customers_%s.transactions.webservices.netsuite.com", v);
	snprintf(ns->purch, sizeof(ns->purch), "urn:purchases_%s.transactions.webservices.netsuite.com", v);
	snprintf(ns->rel, sizeof(ns->rel), "urn:relationships_%s.lists.webservices.netsuite.com", v);
	snprintf(ns->acct, sizeof(ns->acct), "urn:accounting_%s.lists.webservices.netsuite.com", v);
}

xmlNodePtr bh_nss_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	/* xmlNewTextChild escapes the text */
	return xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);
}

xmlNodePtr bh_nss_el_i64(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return bh_nss_el(parent, ns, name, buf);
}

xmlNodePtr bh_nss_el_money(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t cents)
{
	char buf[32];
	return bh_nss_el(parent, ns, name, bh_money_format(cents, buf, sizeof(buf)));
}

xmlNodePtr bh_nss_ref_el(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *internal_id,
			 const char *external_id, const char *type)
{
	xmlNodePtr n = xmlNewChild(parent, ns, (const xmlChar *)name, NULL);
	if (!n)
		return NULL;
	if (internal_id)
		xmlNewProp(n, (const xmlChar *)"internalId", (const xmlChar *)internal_id);
	else if (external_id)
		xmlNewProp(n, (const xmlChar *)"externalId", (const xmlChar *)external_id);
	if (type)
		xmlNewProp(n, (const xmlChar *)"type", (const xmlChar *)type);
	return n;
}

void bh_nss_xsi_type(struct bh_nss_req *q, xmlNodePtr n, const char *qname)
{
	xmlNewNsProp(n, q->xsi, (const xmlChar *)"type", (const xmlChar *)qname);
}

xmlNodePtr bh_nss_record_el(struct bh_nss_req *q, const char *xsi_qname, const char *internal_id,
			    const char *external_id)
{
	xmlNodePtr r = xmlNewChild(q->op, q->msgs, (const xmlChar *)"record", NULL);
	if (!r)
		return NULL;
	if (internal_id)
		xmlNewProp(r, (const xmlChar *)"internalId", (const xmlChar *)internal_id);
	if (external_id)
		xmlNewProp(r, (const xmlChar *)"externalId", (const xmlChar *)external_id);
	bh_nss_xsi_type(q, r, xsi_qname);
	return r;
}

int bh_nss_req_new(struct bh_nss_req *q, const struct bh_nss *c, const char *action,
		   enum bh_nss_prefs prefs, bool body_fields_only)
{
	const struct bh_nss_ns *ns = &c->ns;
	memset(q, 0, sizeof(*q));
	snprintf(q->action, sizeof(q->action), "%s", action);
	q->is_write = !strcmp(action, "add") || !strcmp(action, "update") ||
		      !strcmp(action, "upsert");
	if (!(q->doc = xmlNewDoc((const xmlChar *)"1.0")))
		return BH_ENOMEM;
	if (!(q->env = xmlNewNode(NULL, (const xmlChar *)"Envelope")))
		goto nomem;
	xmlDocSetRootElement(q->doc, q->env);
	q->soapenv = xmlNewNs(q->env, (const xmlChar *)SOAP_ENV, (const xmlChar *)"soapenv");
	q->xsi = xmlNewNs(q->env, (const xmlChar *)XSI_NS, (const xmlChar *)"xsi");
	q->msgs = xmlNewNs(q->env, (const xmlChar *)ns->msgs, (const xmlChar *)"platformMsgs");
	q->core = xmlNewNs(q->env, (const xmlChar *)ns->core, (const xmlChar *)"platformCore");
	q->common = xmlNewNs(q->env, (const xmlChar *)ns->common, (const xmlChar *)"platformCommon");
	q->sales = xmlNewNs(q->env, (const xmlChar *)ns->sales, (const xmlChar *)"tranSales");
	q->cust = xmlNewNs(q->env, (const xmlChar *)ns->cust, (const xmlChar *)"tranCust");
	q->purch = xmlNewNs(q->env, (const xmlChar *)ns->purch, (const xmlChar *)"tranPurch");
	q->rel = xmlNewNs(q->env, (const xmlChar *)ns->rel, (const xmlChar *)"listRel");
	q->acct = xmlNewNs(q->env, (const xmlChar *)ns->acct, (const xmlChar *)"listAcct");
	if (!q->soapenv || !q->xsi || !q->msgs || !q->core || !q->common || !q->sales ||
	    !q->cust || !q->purch || !q->rel || !q->acct)
		goto nomem;
	xmlSetNs(q->env, q->soapenv);
	if (!(q->header = xmlNewChild(q->env, q->soapenv, (const xmlChar *)"Header", NULL)))
		goto nomem;
	if (prefs == BH_NSS_PREFS_WRITE) {
		xmlNodePtr p = xmlNewChild(q->header, q->msgs, (const xmlChar *)"preferences", NULL);
		if (!p || !bh_nss_el(p, q->msgs, "warningAsError", "false") ||
		    !bh_nss_el(p, q->msgs, "ignoreReadOnlyFields", "true"))
			goto nomem;
	} else if (prefs == BH_NSS_PREFS_SEARCH) {
		xmlNodePtr p = xmlNewChild(q->header, q->msgs, (const xmlChar *)"searchPreferences", NULL);
		if (!p || !bh_nss_el(p, q->msgs, "bodyFieldsOnly", body_fields_only ? "true" : "false") ||
		    !bh_nss_el_i64(p, q->msgs, "pageSize", c->page_size))
			goto nomem;
	}
	if (!(q->body = xmlNewChild(q->env, q->soapenv, (const xmlChar *)"Body", NULL)) ||
	    !(q->op = xmlNewChild(q->body, q->msgs, (const xmlChar *)action, NULL)))
		goto nomem;
	return BH_OK;
nomem:
	bh_nss_req_free(q);
	return BH_ENOMEM;
}

void bh_nss_req_free(struct bh_nss_req *q)
{
	if (q->doc)
		xmlFreeDoc(q->doc);
	memset(q, 0, sizeof(*q));
}

int bh_nss_req_passport(struct bh_nss_req *q, const struct bh_nss *c)
{
	char nonce[BH_NSS_NONCE_LEN + 1], ts[32], sig[64];
	int rc;

	/* drop the previous attempt's passport: nonce + timestamp are single-use */
	for (xmlNodePtr n = q->header->children; n;) {
		xmlNodePtr next = n->next;
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, "tokenPassport")) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		n = next;
	}
	if ((rc = bh_nss_tba_nonce(nonce, sizeof(nonce))) != BH_OK)
		return rc;
	snprintf(ts, sizeof(ts), "%lld", (long long)(c->host->now_ms() / 1000));
	rc = bh_nss_tba_signature(c->account, c->consumer_key, c->consumer_secret ? c->consumer_secret : "",
				  c->token_id, c->token_secret ? c->token_secret : "", nonce, ts, sig,
				  sizeof(sig));
	if (rc != BH_OK)
		return rc;
	xmlNodePtr tp = xmlNewNode(q->msgs, (const xmlChar *)"tokenPassport");
	if (!tp)
		return BH_ENOMEM;
	/* the passport goes first in the header */
	if (q->header->children)
		xmlAddPrevSibling(q->header->children, tp);
	else
		xmlAddChild(q->header, tp);
	xmlNodePtr s;
	if (!bh_nss_el(tp, q->core, "account", c->account) ||
	    !bh_nss_el(tp, q->core, "consumerKey", c->consumer_key) ||
	    !bh_nss_el(tp, q->core, "token", c->token_id) || !bh_nss_el(tp, q->core, "nonce", nonce) ||
	    !bh_nss_el(tp, q->core, "timestamp", ts) ||
	    !(s = bh_nss_el(tp, q->core, "signature", sig)))
		return BH_ENOMEM;
	xmlNewProp(s, (const xmlChar *)"algorithm", (const xmlChar *)"HMAC-SHA256");
	return BH_OK;
}

int bh_nss_req_dump(struct bh_nss_req *q, char **out, size_t *len)
{
	xmlChar *buf = NULL;
	int n = 0;
	xmlDocDumpMemoryEnc(q->doc, &buf, &n, "UTF-8");
	if (!buf)
		return BH_ENOMEM;
	*out = malloc((size_t)n + 1);
	if (!*out) {
		xmlFree(buf);
		return BH_ENOMEM;
	}
	memcpy(*out, buf, (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	xmlFree(buf);
	return BH_OK;
}

/* ------------------------------------------------------------------ reading */

xmlNodePtr bh_nss_child(xmlNodePtr n, const char *local)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (!local || !strcmp((const char *)c->name, local)))
			return c;
	return NULL;
}

xmlNodePtr bh_nss_next(xmlNodePtr n, const char *local)
{
	for (xmlNodePtr c = n ? n->next : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (!local || !strcmp((const char *)c->name, local)))
			return c;
	return NULL;
}

char *bh_nss_text(xmlNodePtr n)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;
	if (!v)
		return NULL;
	const char *b = (const char *)v, *e;
	while (isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	char *s = strndup(b, (size_t)(e - b));
	xmlFree(v);
	return s;
}

char *bh_nss_child_text(xmlNodePtr n, const char *local)
{
	xmlNodePtr c = bh_nss_child(n, local);
	return c ? bh_nss_text(c) : NULL;
}

char *bh_nss_attr(xmlNodePtr n, const char *name)
{
	xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
	char *s = v ? strdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

const char *bh_nss_xsi_local(xmlNodePtr n, char *buf, size_t len)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"type", (const xmlChar *)XSI_NS);
	buf[0] = '\0';
	if (!v)
		return buf;
	const char *colon = strchr((const char *)v, ':');
	snprintf(buf, len, "%s", colon ? colon + 1 : (const char *)v);
	xmlFree(v);
	return buf;
}
