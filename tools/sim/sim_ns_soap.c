/*
 * sim_ns_soap.c - the SuiteTalk SOAP endpoint (POST /services/NetSuitePort_<version>).
 *
 * A request goes: concurrency slot (WS_REQUEST_BLOCKED fault when the account limit is
 * reached) -> XML parse -> XSD validation of the whole envelope against Oracle's schema
 * (validate-all.xsd, the hand-made driver that imports every namespace; a SOAP fault
 * naming the line and libxml2's message when invalid) -> headers (tokenPassport,
 * preferences, searchPreferences; applicationInfo together with tokenPassport is
 * "Ambiguous authentication") -> TBA verification ("Invalid login attempt." fault) ->
 * the operation under the store lock -> a libxml2-built response envelope with
 * documentInfo/nsId.
 *
 * Record errors are HTTP 200 with status isSuccess="false" and statusDetail code /
 * message (DUP_RCRD, RCRD_DSNT_EXIST, INVALID_KEY_OR_REF, USER_ERROR, ...). Faults are
 * HTTP 500 soapenv:Fault with faultcode soapenv:Server.userException and a
 * platformFaults:<x>Fault{code,message} detail; XML syntax and schema errors are faults
 * with the parser's message and no NetSuite detail element (like Axis' SAX faults), so a
 * client classifies them as permanent.
 *
 * Operations: add, addList, update, updateList, upsert, upsertList, get, getList,
 * search (TransactionSearchBasic / tranSales:TransactionSearch, ItemSearchBasic /
 * listAcct:ItemSearch, CustomerSearchBasic / listRel:CustomerSearch), searchMoreWithId,
 * initialize, getServerTime. Other SuiteTalk operations are refused with a fault that
 * says so.
 *
 * Global state (documented exception): the parsed schema is cached process-wide, keyed
 * by its path, so every NetSuite service of a process (tests create many) shares one
 * parse. It is guarded by schema_mu and freed when the last user goes. A service asking
 * for a different schema path while another is cached does not validate (/info shows
 * "xsd": false). Requests wait for a schema still loading at most 60 s, then go
 * unvalidated.
 *
 * Ownership: NetSuite service helper. Threading: see sim_ns_soap.h.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <backhaul/errors.h>

#include "sim_ns_soap.h"
#include "sim_ns_tba.h"

#define SOAP_ENV "http://schemas.xmlsoap.org/soap/envelope/"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define XSD_NS "http://www.w3.org/2001/XMLSchema"
#define N_SESSIONS 64
#define N_AUDIT 64
#define SESSION_TTL_MS (15 * 60 * 1000)

/* ------------------------------------------------------------------ schema cache */

enum { SCH_NONE, SCH_LOADING, SCH_LOADED, SCH_FAILED };

static pthread_mutex_t schema_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t schema_cv = PTHREAD_COND_INITIALIZER;
static struct {
	char *path;
	int state;
	int refs;
	xmlSchemaPtr schema;
	int64_t parse_ms;
	char error[512];
	pthread_t thread;
	bool thread_started;
} sch;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void schema_parse_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	pthread_mutex_lock(&schema_mu);
	if (!sch.error[0] && e && e->message)
		snprintf(sch.error, sizeof(sch.error), "%s:%d: %s", e->file ? e->file : "", e->line,
			 e->message);
	pthread_mutex_unlock(&schema_mu);
}

static void *schema_loader(void *arg)
{
	char *path = arg;
	int64_t t0 = mono_ms();
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
	xmlSchemaPtr s = NULL;
	if (pc) {
		xmlSchemaSetParserStructuredErrors(pc, schema_parse_error, NULL);
		s = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	pthread_mutex_lock(&schema_mu);
	sch.parse_ms = mono_ms() - t0;
	sch.schema = s;
	sch.state = s ? SCH_LOADED : SCH_FAILED;
	if (!s && !sch.error[0])
		snprintf(sch.error, sizeof(sch.error), "could not parse %s", path);
	pthread_cond_broadcast(&schema_cv);
	pthread_mutex_unlock(&schema_mu);
	return NULL;
}

/* Take a reference on the schema at path, starting its load if needed. */
static bool schema_acquire(const char *path)
{
	bool ok = true;
	pthread_mutex_lock(&schema_mu);
	if (sch.path && strcmp(sch.path, path) != 0) {
		/* another reference set is loaded: only one is cached per process */
		ok = false;
	} else {
		if (!sch.path) {
			sch.path = strdup(path);
			sch.state = SCH_LOADING;
			sch.error[0] = 0;
			if (!sch.path ||
			    pthread_create(&sch.thread, NULL, schema_loader, sch.path) != 0) {
				sch.state = SCH_FAILED;
				snprintf(sch.error, sizeof(sch.error), "could not start the schema loader");
			} else {
				sch.thread_started = true;
			}
		}
		sch.refs++;
	}
	pthread_mutex_unlock(&schema_mu);
	return ok;
}

static void schema_release(void)
{
	pthread_t t;
	bool join = false;
	pthread_mutex_lock(&schema_mu);
	if (--sch.refs > 0) {
		pthread_mutex_unlock(&schema_mu);
		return;
	}
	if (sch.thread_started) {
		t = sch.thread;
		join = true;
		sch.thread_started = false;
	}
	pthread_mutex_unlock(&schema_mu);
	if (join)
		pthread_join(t, NULL);
	pthread_mutex_lock(&schema_mu);
	if (sch.refs == 0) {
		if (sch.schema)
			xmlSchemaFree(sch.schema);
		sch.schema = NULL;
		free(sch.path);
		sch.path = NULL;
		sch.state = SCH_NONE;
	}
	pthread_mutex_unlock(&schema_mu);
}

/* Wait for the load; returns the schema or NULL (failed / timed out). */
static xmlSchemaPtr schema_wait(int timeout_ms)
{
	struct timespec dl;
	xmlSchemaPtr s;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&schema_mu);
	while (sch.state == SCH_LOADING)
		if (pthread_cond_timedwait(&schema_cv, &schema_mu, &dl) != 0)
			break;
	s = sch.state == SCH_LOADED ? sch.schema : NULL;
	pthread_mutex_unlock(&schema_mu);
	return s;
}

/* ------------------------------------------------------------------ SOAP state */

struct search_sess {
	char id[96];
	int64_t *ids;
	size_t n;
	int page_size;
	bool body_only;
	int64_t created_ms;
	enum bh_sim_ns_type deny_check;
};

struct audit {
	char account[64], token[80], reason[48];
	int64_t when_ms;
};

struct bh_sim_ns_soap {
	pthread_mutex_t mu;           /* xsd flag, audit, sessions, nsId counter */
	bool xsd_wanted;              /* option / control switch */
	bool schema_held;             /* we hold a schema_acquire reference */
	char *schema_path;
	char *hostname;
	struct search_sess sess[N_SESSIONS];
	size_t sess_next;
	struct audit audit[N_AUDIT];
	size_t n_audit, audit_next;
	uint64_t seq;
};

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

struct bh_sim_ns_soap *bh_sim_ns_soap_new(struct json_object *opts, const char *version)
{
	struct bh_sim_ns_soap *s = calloc(1, sizeof(*s));
	struct json_object *v;
	char ref[4096], path[4200];
	const char *host = "partners-java-sim.bh.localhost";

	if (!s)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	xmlInitParser();
	s->xsd_wanted = true;
	if (opts && json_object_object_get_ex(opts, "xsd", &v))
		s->xsd_wanted = json_object_get_boolean(v);
	if (opts && json_object_object_get_ex(opts, "hostname", &v) &&
	    json_object_is_type(v, json_type_string))
		host = json_object_get_string(v);
	ref[0] = 0;
	if (opts && json_object_object_get_ex(opts, "reference_dir", &v) &&
	    json_object_is_type(v, json_type_string)) {
		snprintf(ref, sizeof(ref), "%s", json_object_get_string(v));
	} else {
		const char *sd = getenv("BH_SHARED_DIR");
		if (sd && *sd)
			snprintf(ref, sizeof(ref), "%s/reference", sd);
	}
	if (!(s->hostname = strdup(host))) {
		bh_sim_ns_soap_free(s);
		return NULL;
	}
	if (ref[0]) {
		snprintf(path, sizeof(path), "%s/netsuite-suitetalk/%s/validate-all.xsd", ref, version);
		if (file_exists(path) && !(s->schema_path = strdup(path))) {
			bh_sim_ns_soap_free(s);
			return NULL;
		}
	}
	if (s->schema_path && s->xsd_wanted)
		s->schema_held = schema_acquire(s->schema_path);
	return s;
}

void bh_sim_ns_soap_free(struct bh_sim_ns_soap *s)
{
	if (!s)
		return;
	if (s->schema_held)
		schema_release();
	for (size_t i = 0; i < N_SESSIONS; i++)
		free(s->sess[i].ids);
	free(s->schema_path);
	free(s->hostname);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void bh_sim_ns_soap_set_xsd(struct bh_sim_ns_soap *s, bool on)
{
	pthread_mutex_lock(&s->mu);
	s->xsd_wanted = on;
	if (on && !s->schema_held && s->schema_path)
		s->schema_held = schema_acquire(s->schema_path);
	pthread_mutex_unlock(&s->mu);
}

bool bh_sim_ns_soap_wait_schema(struct bh_sim_ns_soap *s, int timeout_ms)
{
	return s->schema_held && schema_wait(timeout_ms) != NULL;
}

const char *bh_sim_ns_soap_hostname(const struct bh_sim_ns_soap *s)
{
	return s->hostname;
}

void bh_sim_ns_soap_audit(struct bh_sim_ns_soap *s, const char *account, const char *token,
			  const char *reason, int64_t when_ms)
{
	pthread_mutex_lock(&s->mu);
	struct audit *a = &s->audit[s->audit_next];
	snprintf(a->account, sizeof(a->account), "%s", account ? account : "");
	snprintf(a->token, sizeof(a->token), "%s", token ? token : "");
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
	a->when_ms = when_ms;
	s->audit_next = (s->audit_next + 1) % N_AUDIT;
	if (s->n_audit < N_AUDIT)
		s->n_audit++;
	pthread_mutex_unlock(&s->mu);
}

struct json_object *bh_sim_ns_soap_info(struct bh_sim_ns_soap *s)
{
	struct json_object *o = json_object_new_object(), *au = json_object_new_array();
	pthread_mutex_lock(&s->mu);
	bool held = s->schema_held;
	json_object_object_add(o, "xsd", json_object_new_boolean(s->xsd_wanted && s->schema_held));
	json_object_object_add(o, "schema_path",
			       s->schema_path ? json_object_new_string(s->schema_path) : NULL);
	for (size_t i = 0; i < s->n_audit; i++) {
		size_t k = (s->audit_next + N_AUDIT - s->n_audit + i) % N_AUDIT;
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "account", json_object_new_string(s->audit[k].account));
		json_object_object_add(e, "token", json_object_new_string(s->audit[k].token));
		json_object_object_add(e, "reason", json_object_new_string(s->audit[k].reason));
		json_object_object_add(e, "time_ms", json_object_new_int64(s->audit[k].when_ms));
		json_object_array_add(au, e);
	}
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_lock(&schema_mu);
	json_object_object_add(o, "schema_loaded",
			       json_object_new_boolean(held && sch.state == SCH_LOADED));
	json_object_object_add(o, "schema_loading",
			       json_object_new_boolean(held && sch.state == SCH_LOADING));
	json_object_object_add(o, "schema_parse_ms",
			       json_object_new_int64(held ? sch.parse_ms : 0));
	json_object_object_add(o, "schema_error",
			       held && sch.error[0] ? json_object_new_string(sch.error) : NULL);
	pthread_mutex_unlock(&schema_mu);
	json_object_object_add(o, "login_audit", au);
	return o;
}

/* ------------------------------------------------------------------ responses */

static void send_doc(struct bh_sim_resp *resp, int status, xmlDocPtr doc)
{
	xmlChar *buf = NULL;
	int len = 0;
	xmlDocDumpMemoryEnc(doc, &buf, &len, "UTF-8");
	bh_sim_resp_text(resp, status, "text/xml; charset=utf-8", buf ? (const char *)buf : "",
			 buf ? (size_t)len : 0);
	xmlFree(buf);
}

/* Envelope with soapenv/xsd/xsi declared; returns the Body. */
static xmlNodePtr new_envelope(xmlDocPtr doc, xmlNsPtr *env_ns, xmlNsPtr *xsi_ns)
{
	xmlNodePtr env = xmlNewNode(NULL, (const xmlChar *)"Envelope");
	xmlNsPtr se = xmlNewNs(env, (const xmlChar *)SOAP_ENV, (const xmlChar *)"soapenv");
	xmlSetNs(env, se);
	xmlNewNs(env, (const xmlChar *)XSD_NS, (const xmlChar *)"xsd");
	xmlNsPtr xsi = xmlNewNs(env, (const xmlChar *)XSI_NS, (const xmlChar *)"xsi");
	xmlDocSetRootElement(doc, env);
	if (env_ns)
		*env_ns = se;
	if (xsi_ns)
		*xsi_ns = xsi;
	return env;
}

/* A child element in no namespace, with escaped text content when given. */
static xmlNodePtr unqualified(xmlDocPtr doc, xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr n = xmlNewDocNode(doc, NULL, (const xmlChar *)name, NULL);
	if (text)
		xmlNodeAddContent(n, (const xmlChar *)text);
	xmlAddChild(parent, n);
	return n;
}

void bh_sim_ns_soap_fault(struct bh_sim_resp *resp, const char *version, const char *hostname,
			  const char *fault_elem, const char *code, const char *msg)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNsPtr se;
	char fns[96];
	xmlNodePtr env = new_envelope(doc, &se, NULL);
	xmlNodePtr body = xmlNewChild(env, se, (const xmlChar *)"Body", NULL);
	xmlNodePtr f = xmlNewChild(body, se, (const xmlChar *)"Fault", NULL);
	/* faultcode, faultstring and detail are unqualified (xmlNewChild would inherit the
	 * soapenv namespace of the parent) */
	unqualified(doc, f, "faultcode", "soapenv:Server.userException");
	unqualified(doc, f, "faultstring", msg);
	xmlNodePtr det = unqualified(doc, f, "detail", NULL);
	if (fault_elem) {
		snprintf(fns, sizeof(fns), "urn:faults_%s.platform.webservices.netsuite.com",
			 version ? version : "2023_2");
		xmlNodePtr fe = unqualified(doc, det, fault_elem, NULL);
		xmlNsPtr pf = xmlNewNs(fe, (const xmlChar *)fns, (const xmlChar *)"platformFaults");
		xmlSetNs(fe, pf);
		xmlNewTextChild(fe, pf, (const xmlChar *)"code", (const xmlChar *)code);
		xmlNewTextChild(fe, pf, (const xmlChar *)"message", (const xmlChar *)msg);
	}
	xmlNodePtr h = unqualified(doc, det, "hostname", hostname ? hostname : "localhost");
	xmlSetNs(h, xmlNewNs(h, (const xmlChar *)"http://xml.apache.org/axis/", (const xmlChar *)"ns1"));
	send_doc(resp, 500, doc);
	xmlFreeDoc(doc);
}

/* ------------------------------------------------------------------ request state */

struct req {
	struct bh_sim_ns *ns;
	struct bh_sim_ns_soap *s;
	struct bh_sim_ns_soapctx ctx;
	char version[32];
	xmlDocPtr rdoc;             /* response */
	xmlNodePtr resp_el;         /* <opResponse> */
	int page_size;
	/* a fault decided inside the operation */
	const char *fault_elem, *fault_code;
	char fault_msg[1100];
};

static void set_fault(struct req *q, const char *elem, const char *code, const char *msg)
{
	q->fault_elem = elem;
	q->fault_code = code;
	snprintf(q->fault_msg, sizeof(q->fault_msg), "%s", msg);
}

static xmlNodePtr status_el(struct req *q, xmlNodePtr parent, const struct bh_sim_ns_err *err)
{
	xmlNsPtr core = q->ctx.ns_core;
	xmlNodePtr st = xmlNewChild(parent, core, (const xmlChar *)"status", NULL);
	xmlNewProp(st, (const xmlChar *)"isSuccess", (const xmlChar *)(err ? "false" : "true"));
	if (err) {
		xmlNodePtr d = xmlNewChild(st, core, (const xmlChar *)"statusDetail", NULL);
		xmlNewProp(d, (const xmlChar *)"type", (const xmlChar *)"ERROR");
		xmlNewTextChild(d, core, (const xmlChar *)"code",
				(const xmlChar *)(err->code ? err->code : "UNEXPECTED_ERROR"));
		xmlNewTextChild(d, core, (const xmlChar *)"message", (const xmlChar *)err->message);
	}
	return st;
}

static void base_ref(struct req *q, xmlNodePtr parent, int64_t id, const char *eid,
		     enum bh_sim_ns_type t)
{
	char buf[32];
	xmlNodePtr b = xmlNewChild(parent, q->ctx.ns_msgs, (const xmlChar *)"baseRef", NULL);
	if (id > 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)id);
		xmlNewProp(b, (const xmlChar *)"internalId", (const xmlChar *)buf);
	}
	if (eid)
		xmlNewProp(b, (const xmlChar *)"externalId", (const xmlChar *)eid);
	if (bh_sim_ns_type_name(t))
		xmlNewProp(b, (const xmlChar *)"type", (const xmlChar *)bh_sim_ns_type_name(t));
	xmlNewNsProp(b, q->ctx.ns_xsi, (const xmlChar *)"type",
		     (const xmlChar *)"platformCore:RecordRef");
}

static bool is_el(xmlNodePtr n, const char *nsuri, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0 &&
	       (!nsuri || (n->ns && strcmp((const char *)n->ns->href, nsuri) == 0));
}

static xmlNodePtr child(xmlNodePtr n, const char *local)
{
	for (xmlNodePtr c = bh_sim_ns_first_elem(n); c; c = bh_sim_ns_next_elem(c))
		if (strcmp((const char *)c->name, local) == 0)
			return c;
	return NULL;
}

/* ------------------------------------------------------------------ write ops */

enum wop { W_ADD, W_UPDATE, W_UPSERT };

static void write_one(struct req *q, xmlNodePtr parent, xmlNodePtr rec, enum wop op)
{
	struct bh_sim_ns_err err = {0};
	struct bh_sim_ns_rec *d = NULL;
	enum bh_sim_ns_type t = BH_SIM_NS_T_NONE;
	int64_t id = 0;
	char *eid = NULL;
	int rc;

	xmlNodePtr wr = xmlNewChild(parent, q->ctx.ns_msgs, (const xmlChar *)"writeResponse", NULL);
	if (!rec) {
		err.code = "USER_ERROR";
		snprintf(err.message, sizeof(err.message), "Please provide a record.");
		status_el(q, wr, &err);
		return;
	}
	rc = bh_sim_ns_soap_parse_record(&q->ctx, rec, &t, &d, &err);
	eid = bh_sim_ns_attr(rec, "externalId");
	if (rc == BH_OK) {
		int64_t given = d->id;
		switch (op) {
		case W_ADD:
			rc = bh_sim_ns_add(q->ns, d, q->ctx.cred, &id, &err);
			break;
		case W_UPDATE:
			rc = bh_sim_ns_update(q->ns, d, q->ctx.cred, &id, &err);
			if (rc != BH_OK && given > 0)
				id = given;
			break;
		case W_UPSERT: {
			bool created;
			rc = bh_sim_ns_upsert(q->ns, d, q->ctx.cred, &id, &created, &err);
			break;
		}
		}
	}
	if (rc == BH_OK) {
		struct bh_sim_ns_rec *r = bh_sim_ns_get(q->ns, BH_SIM_NS_T_NONE, id);
		status_el(q, wr, NULL);
		base_ref(q, wr, id, r ? r->external_id : eid, t);
	} else {
		status_el(q, wr, &err);
		base_ref(q, wr, op == W_UPDATE ? id : 0, eid, t);
	}
	free(eid);
}

static void op_write(struct req *q, xmlNodePtr body_op, enum wop op, bool list)
{
	xmlNodePtr parent = q->resp_el;
	if (list) {
		parent = xmlNewChild(q->resp_el, q->ctx.ns_msgs, (const xmlChar *)"writeResponseList", NULL);
		status_el(q, parent, NULL);
		bool any = false;
		for (xmlNodePtr r = bh_sim_ns_first_elem(body_op); r; r = bh_sim_ns_next_elem(r)) {
			if (strcmp((const char *)r->name, "record") == 0) {
				write_one(q, parent, r, op);
				any = true;
			}
		}
		if (!any)
			write_one(q, parent, NULL, op);
		return;
	}
	write_one(q, parent, child(body_op, "record"), op);
}

/* ------------------------------------------------------------------ read ops */

static int resolve_ref(struct req *q, xmlNodePtr ref, enum bh_sim_ns_type *t,
		       struct bh_sim_ns_rec **out, struct bh_sim_ns_err *err)
{
	char *type = bh_sim_ns_attr(ref, "type");
	char *iid = bh_sim_ns_attr(ref, "internalId");
	char *eid = bh_sim_ns_attr(ref, "externalId");
	struct bh_sim_ns_rec *r = NULL;
	int rc = BH_OK;

	*out = NULL;
	*t = bh_sim_ns_type_parse(type);
	if (*t == BH_SIM_NS_T_NONE) {
		err->code = type ? "INVALID_RCRD_TYPE" : "USER_ERROR";
		snprintf(err->message, sizeof(err->message),
			 type ? "The record type [%s] is invalid." : "Please specify a record type.%s",
			 type ? type : "");
		rc = BH_EINVAL;
		goto out;
	}
	if (!bh_sim_ns_cred_allows(q->ctx.cred, *t)) {
		err->code = "INSUFFICIENT_PERMISSION";
		snprintf(err->message, sizeof(err->message),
			 "Permission Violation: You need  a higher level of the '%s' permission to access this page. Please contact your account administrator.",
			 bh_sim_ns_type_name(*t));
		rc = BH_EAUTH;
		goto out;
	}
	if (iid) {
		char *end;
		long long v = strtoll(iid, &end, 10);
		if (!*end)
			r = bh_sim_ns_get(q->ns, *t, v);
	} else if (eid) {
		r = bh_sim_ns_find_eid(q->ns, *t, eid);
	}
	if (!r) {
		err->code = "RCRD_DSNT_EXIST";
		snprintf(err->message, sizeof(err->message), "That record does not exist.");
		rc = BH_ENOENT;
	}
	*out = r;
out:
	free(type);
	free(iid);
	free(eid);
	return rc;
}

static void read_one(struct req *q, xmlNodePtr parent, xmlNodePtr ref)
{
	struct bh_sim_ns_err err = {0};
	struct bh_sim_ns_rec *r;
	enum bh_sim_ns_type t;
	xmlNodePtr rr = xmlNewChild(parent, q->ctx.ns_msgs, (const xmlChar *)"readResponse", NULL);
	if (!ref || resolve_ref(q, ref, &t, &r, &err) != BH_OK) {
		if (!ref) {
			err.code = "USER_ERROR";
			snprintf(err.message, sizeof(err.message), "Please provide a baseRef.");
		}
		status_el(q, rr, &err);
		return;
	}
	status_el(q, rr, NULL);
	bh_sim_ns_soap_emit_record(&q->ctx, rr, q->ctx.ns_msgs, "record", r, true);
}

static void op_get(struct req *q, xmlNodePtr body_op)
{
	read_one(q, q->resp_el, child(body_op, "baseRef"));
}

static void op_get_list(struct req *q, xmlNodePtr body_op)
{
	xmlNodePtr list = xmlNewChild(q->resp_el, q->ctx.ns_msgs, (const xmlChar *)"readResponseList", NULL);
	status_el(q, list, NULL);
	for (xmlNodePtr r = bh_sim_ns_first_elem(body_op); r; r = bh_sim_ns_next_elem(r))
		if (strcmp((const char *)r->name, "baseRef") == 0)
			read_one(q, list, r);
}

/* ------------------------------------------------------------------ initialize */

static void op_initialize(struct req *q, xmlNodePtr body_op)
{
	struct bh_sim_ns_err err = {0};
	xmlNodePtr ir = child(body_op, "initializeRecord");
	xmlNodePtr tn = ir ? child(ir, "type") : NULL, ref = ir ? child(ir, "reference") : NULL;
	xmlNodePtr rr = xmlNewChild(q->resp_el, q->ctx.ns_msgs, (const xmlChar *)"readResponse", NULL);
	char *tname = tn ? bh_sim_ns_text(tn) : NULL;
	char *rtype = ref ? bh_sim_ns_attr(ref, "type") : NULL;
	char *iid = ref ? bh_sim_ns_attr(ref, "internalId") : NULL;
	char *eid = ref ? bh_sim_ns_attr(ref, "externalId") : NULL;
	enum bh_sim_ns_type to = bh_sim_ns_type_parse(tname), from = bh_sim_ns_type_parse(rtype);
	struct bh_sim_ns_rec *src = NULL, *out = NULL;
	char low[64] = "";

	for (size_t i = 0; tname && tname[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)((tname[i] >= 'A' && tname[i] <= 'Z') ? tname[i] + 32 : tname[i]);
	if (to == BH_SIM_NS_T_NONE || !ref) {
		err.code = "INVALID_INITIALIZE_ARG";
		snprintf(err.message, sizeof(err.message), "You can not initialize %s: %s.",
			 tname ? tname : "", ref ? "unsupported record type" : "missing reference");
		goto fail;
	}
	if (from != BH_SIM_NS_T_NONE) {
		if (iid) {
			char *end;
			long long v = strtoll(iid, &end, 10);
			if (!*end)
				src = bh_sim_ns_get(q->ns, from, v);
		} else if (eid) {
			src = bh_sim_ns_find_eid(q->ns, from, eid);
		}
	}
	if (!src) {
		err.code = "INVALID_INITIALIZE_REF";
		snprintf(err.message, sizeof(err.message),
			 "You can not initialize %s: invalid reference %s.", low,
			 iid ? iid : eid ? eid : "");
		goto fail;
	}
	if (from == BH_SIM_NS_T_CUSTOMER) {
		if (to != BH_SIM_NS_T_CREDIT_MEMO && to != BH_SIM_NS_T_CUSTOMER_REFUND &&
		    to != BH_SIM_NS_T_CASH_SALE && to != BH_SIM_NS_T_INVOICE &&
		    to != BH_SIM_NS_T_SALES_ORDER) {
			err.code = "INVALID_INITIALIZE_ARG";
			snprintf(err.message, sizeof(err.message),
				 "You can not initialize %s from customer.", low);
			goto fail;
		}
		if (!bh_sim_ns_cred_allows(q->ctx.cred, to)) {
			err.code = "INSUFFICIENT_PERMISSION";
			snprintf(err.message, sizeof(err.message),
				 "Permission Violation: You need  the '%s' permission to access this page. Please contact your account administrator.",
				 tname);
			goto fail;
		}
		out = bh_sim_ns_rec_new(to);
		if (!out) {
			err.code = "UNEXPECTED_ERROR";
			snprintf(err.message, sizeof(err.message), "An unexpected error occurred.");
			goto fail;
		}
		out->entity = src->id;
	} else if (bh_sim_ns_initialize(q->ns, to, src, q->ctx.cred, &out, &err) != BH_OK) {
		goto fail;
	}
	/* show computed defaults of the unsaved record */
	for (size_t i = 0; i < out->n_lines; i++) {
		struct bh_sim_ns_line *l = &out->lines[i];
		l->line = (int64_t)i + 1;
		if (l->is_closed < 0)
			l->is_closed = 0;
		if (l->tax == BH_SIM_NS_UNSET)
			l->tax = 0;
		if (l->rate == BH_SIM_NS_UNSET)
			l->rate = 0;
		if (l->amount == BH_SIM_NS_UNSET)
			l->amount = 0;
	}
	if (out->tran_date_ms == BH_SIM_NS_UNSET)
		out->tran_date_ms = bh_sim_ns_now_ms(q->ns);
	status_el(q, rr, NULL);
	bh_sim_ns_soap_emit_record(&q->ctx, rr, q->ctx.ns_msgs, "record", out, true);
	bh_sim_ns_rec_free(out);
	goto done;
fail:
	status_el(q, rr, &err);
done:
	free(tname);
	free(rtype);
	free(iid);
	free(eid);
}

/* ------------------------------------------------------------------ search */

enum cfield {
	C_EXTERNAL_ID, C_EXTERNAL_ID_STRING, C_INTERNAL_ID, C_CREATED_FROM, C_ENTITY, C_TYPE,
	C_STATUS, C_LAST_MODIFIED, C_DATE_CREATED, C_TRAN_DATE, C_TRAN_ID, C_OTHER_REF_NUM,
	C_CUSTOM, C_ITEM_ID, C_DISPLAY_NAME, C_IS_INACTIVE, C_EMAIL, C_ENTITY_ID, C_IGNORE,
};

struct cond {
	enum cfield field;
	char op[32];
	char **vals;
	size_t n_vals;
	int64_t t1, t2;
	bool has_t1, has_t2;
	char *script_id;
	char cf_kind[32];       /* SearchBooleanCustomField, ... */
};

static void conds_free(struct cond *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < c[i].n_vals; k++)
			free(c[i].vals[k]);
		free(c[i].vals);
		free(c[i].script_id);
	}
	free(c);
}

static int cond_add_val(struct cond *c, char *v)
{
	char **g;
	if (!v)
		return BH_ENOMEM;
	g = realloc(c->vals, (c->n_vals + 1) * sizeof(*g));
	if (!g) {
		free(v);
		return BH_ENOMEM;
	}
	c->vals = g;
	g[c->n_vals++] = v;
	return BH_OK;
}

/* Parse one search field element into a condition. */
static int parse_cond(xmlNodePtr f, enum cfield field, struct cond *c, struct bh_sim_ns_err *err)
{
	char *op = bh_sim_ns_attr(f, "operator");
	memset(c, 0, sizeof(*c));
	c->field = field;
	snprintf(c->op, sizeof(c->op), "%s", op ? op : "");
	free(op);
	for (xmlNodePtr v = bh_sim_ns_first_elem(f); v; v = bh_sim_ns_next_elem(v)) {
		const char *n = (const char *)v->name;
		char *txt = NULL;
		if (strcmp(n, "searchValue") == 0 || strcmp(n, "searchValue2") == 0) {
			bool second = n[11] == '2';
			switch (field) {
			case C_EXTERNAL_ID:
				txt = bh_sim_ns_attr(v, "externalId");
				if (txt && cond_add_val(c, txt))
					return BH_ENOMEM;
				break;
			case C_INTERNAL_ID:
			case C_CREATED_FROM:
			case C_ENTITY:
				txt = bh_sim_ns_attr(v, "internalId");
				if (txt && cond_add_val(c, txt))
					return BH_ENOMEM;
				break;
			case C_LAST_MODIFIED:
			case C_DATE_CREATED:
			case C_TRAN_DATE: {
				int64_t ms;
				txt = bh_sim_ns_text(v);
				if (!txt || bh_sim_ns_time_parse(txt, &ms) != BH_OK) {
					err->code = "INVALID_FLD_VALUE";
					snprintf(err->message, sizeof(err->message),
						 "You have entered an Invalid Field Value %s for the following field: %s",
						 txt ? txt : "", (const char *)f->name);
					free(txt);
					return BH_EINVAL;
				}
				free(txt);
				if (second) {
					c->t2 = ms;
					c->has_t2 = true;
				} else {
					c->t1 = ms;
					c->has_t1 = true;
				}
				break;
			}
			default:
				txt = bh_sim_ns_text(v);
				if (cond_add_val(c, txt))
					return BH_ENOMEM;
				break;
			}
		} else if (strcmp(n, "predefinedSearchValue") == 0) {
			err->code = "USER_ERROR";
			snprintf(err->message, sizeof(err->message),
				 "predefinedSearchValue is not supported by the simulator; send searchValue.");
			return BH_EINVAL;
		}
	}
	return BH_OK;
}

static int parse_custom_conds(xmlNodePtr list, struct cond **cs, size_t *n,
			      struct bh_sim_ns_err *err)
{
	for (xmlNodePtr c = bh_sim_ns_first_elem(list); c; c = bh_sim_ns_next_elem(c)) {
		char tb[96];
		const char *uri;
		const char *t = bh_sim_ns_xsi_type(c, tb, sizeof(tb), &uri);
		struct cond *g = realloc(*cs, (*n + 1) * sizeof(**cs));
		if (!g)
			return BH_ENOMEM;
		*cs = g;
		struct cond *k = &g[*n];
		if (parse_cond(c, C_CUSTOM, k, err) != BH_OK) {
			conds_free(k, 0);
			return BH_EINVAL;
		}
		(*n)++;
		snprintf(k->cf_kind, sizeof(k->cf_kind), "%s", t ? t : "");
		k->script_id = bh_sim_ns_attr(c, "scriptId");
		if (!k->script_id)
			k->script_id = bh_sim_ns_attr(c, "internalId");
		if (!k->script_id) {
			err->code = "USER_ERROR";
			snprintf(err->message, sizeof(err->message),
				 "A custom field criterion needs a scriptId or internalId.");
			return BH_EINVAL;
		}
		if (strcmp(k->cf_kind, "SearchBooleanCustomField") != 0 &&
		    strcmp(k->cf_kind, "SearchStringCustomField") != 0 &&
		    strcmp(k->cf_kind, "SearchLongCustomField") != 0 &&
		    strcmp(k->cf_kind, "SearchMultiSelectCustomField") != 0 &&
		    strcmp(k->cf_kind, "SearchSelectCustomField") != 0) {
			err->code = "USER_ERROR";
			snprintf(err->message, sizeof(err->message),
				 "The custom field criterion type %s is not supported by the simulator.",
				 k->cf_kind);
			return BH_EINVAL;
		}
		if (strstr(k->cf_kind, "Select")) {
			/* values are ListOrRecordRef internalIds */
			for (size_t i = 0; i < k->n_vals; i++)
				free(k->vals[i]);
			k->n_vals = 0;
			for (xmlNodePtr v = bh_sim_ns_first_elem(c); v; v = bh_sim_ns_next_elem(v)) {
				char *iid = bh_sim_ns_attr(v, "internalId");
				if (iid && cond_add_val(k, iid))
					return BH_ENOMEM;
			}
		}
	}
	return BH_OK;
}

static bool str_match(const char *op, const char *have, size_t n, char *const *vals)
{
	const char *v = n ? vals[0] : "";
	bool empty = !have || !*have;
	if (!*op || !strcmp(op, "is"))
		return have && strcasecmp(have, v) == 0;
	if (!strcmp(op, "isNot"))
		return !have || strcasecmp(have, v) != 0;
	if (!strcmp(op, "contains"))
		return have && strcasestr(have, v);
	if (!strcmp(op, "doesNotContain"))
		return !have || !strcasestr(have, v);
	if (!strcmp(op, "startsWith"))
		return have && strncasecmp(have, v, strlen(v)) == 0;
	if (!strcmp(op, "doesNotStartWith"))
		return !have || strncasecmp(have, v, strlen(v)) != 0;
	if (!strcmp(op, "empty"))
		return empty;
	if (!strcmp(op, "notEmpty"))
		return !empty;
	if (!strcmp(op, "hasKeywords"))
		return have && strcasestr(have, v);
	return false;
}

static bool num_match(const char *op, bool present, int64_t have, size_t n, char *const *vals)
{
	int64_t a = n > 0 ? strtoll(vals[0], NULL, 10) : 0, b = n > 1 ? strtoll(vals[1], NULL, 10) : 0;
	if (!strcmp(op, "empty"))
		return !present;
	if (!strcmp(op, "notEmpty"))
		return present;
	if (!present)
		return false;
	if (!*op || !strcmp(op, "equalTo")) return have == a;
	if (!strcmp(op, "notEqualTo")) return have != a;
	if (!strcmp(op, "greaterThan")) return have > a;
	if (!strcmp(op, "greaterThanOrEqualTo")) return have >= a;
	if (!strcmp(op, "lessThan")) return have < a;
	if (!strcmp(op, "lessThanOrEqualTo")) return have <= a;
	if (!strcmp(op, "notGreaterThan")) return !(have > a);
	if (!strcmp(op, "notGreaterThanOrEqualTo")) return !(have >= a);
	if (!strcmp(op, "notLessThan")) return !(have < a);
	if (!strcmp(op, "notLessThanOrEqualTo")) return !(have <= a);
	if (!strcmp(op, "between")) return have >= a && have <= b;
	if (!strcmp(op, "notBetween")) return have < a || have > b;
	return false;
}

/* Pacific calendar day of an instant (for on / notOn). */
static int64_t day_of(int64_t ms)
{
	char buf[40];
	int64_t d;
	bh_sim_ns_time_fmt(ms, buf, sizeof(buf));
	buf[10] = 0; /* "YYYY-MM-DD", read back as Pacific midnight */
	if (bh_sim_ns_time_parse(buf, &d) != BH_OK)
		return 0;
	return d;
}

static bool date_match(const struct cond *c, bool present, int64_t have)
{
	const char *op = c->op;
	if (!strcmp(op, "empty"))
		return !present;
	if (!strcmp(op, "notEmpty"))
		return present;
	if (!present || !c->has_t1)
		return false;
	if (!strcmp(op, "after")) return have > c->t1;
	if (!strcmp(op, "before")) return have < c->t1;
	if (!strcmp(op, "onOrAfter")) return have >= c->t1;
	if (!strcmp(op, "onOrBefore")) return have <= c->t1;
	if (!strcmp(op, "notAfter")) return have <= c->t1;
	if (!strcmp(op, "notBefore")) return have >= c->t1;
	if (!strcmp(op, "notOnOrAfter")) return have < c->t1;
	if (!strcmp(op, "notOnOrBefore")) return have > c->t1;
	if (!strcmp(op, "on")) return day_of(have) == day_of(c->t1);
	if (!strcmp(op, "notOn")) return day_of(have) != day_of(c->t1);
	if (!strcmp(op, "within")) return c->has_t2 && have >= c->t1 && have <= c->t2;
	if (!strcmp(op, "notWithin")) return c->has_t2 && (have < c->t1 || have > c->t2);
	return false;
}

static bool any_of(const struct cond *c, bool hit)
{
	return strcmp(c->op, "noneOf") == 0 ? !hit : hit;
}

static const char *item_search_type(enum bh_sim_ns_type t)
{
	switch (t) {
	case BH_SIM_NS_T_INVENTORY_ITEM: return "_inventoryItem";
	case BH_SIM_NS_T_NON_INVENTORY_ITEM: return "_nonInventoryItem";
	case BH_SIM_NS_T_OTHER_CHARGE_ITEM: return "_otherCharge";
	case BH_SIM_NS_T_GIFT_CERT_ITEM: return "_giftCertificateItem";
	case BH_SIM_NS_T_DISCOUNT_ITEM: return "_discount";
	default: return "";
	}
}

static bool cond_match(struct req *q, const struct cond *c, const struct bh_sim_ns_rec *r)
{
	char buf[32];
	bool hit = false;
	switch (c->field) {
	case C_EXTERNAL_ID:
		for (size_t i = 0; i < c->n_vals && !hit; i++)
			hit = r->external_id && strcasecmp(r->external_id, c->vals[i]) == 0;
		return any_of(c, hit);
	case C_EXTERNAL_ID_STRING:
		return str_match(c->op, r->external_id, c->n_vals, c->vals);
	case C_INTERNAL_ID:
	case C_CREATED_FROM:
	case C_ENTITY: {
		int64_t v = c->field == C_INTERNAL_ID ? r->id
			    : c->field == C_CREATED_FROM ? r->created_from : r->entity;
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		for (size_t i = 0; i < c->n_vals && !hit; i++)
			hit = v > 0 && strcmp(buf, c->vals[i]) == 0;
		return any_of(c, hit);
	}
	case C_TYPE: {
		const char *tv = bh_sim_ns_type_group(r->type) == BH_SIM_NS_G_ITEM
					 ? item_search_type(r->type)
					 : bh_sim_ns_type_search(r->type);
		for (size_t i = 0; i < c->n_vals && !hit; i++)
			hit = tv && strcmp(tv, c->vals[i]) == 0;
		return any_of(c, hit);
	}
	case C_STATUS: {
		const char *sv = bh_sim_ns_status_search(q->ns, r);
		for (size_t i = 0; i < c->n_vals && !hit; i++)
			hit = sv && strcmp(sv, c->vals[i]) == 0;
		return any_of(c, hit);
	}
	case C_LAST_MODIFIED:
		return date_match(c, true, r->modified_ms);
	case C_DATE_CREATED:
		return date_match(c, true, r->created_ms);
	case C_TRAN_DATE:
		return date_match(c, r->tran_date_ms > 0, r->tran_date_ms);
	case C_TRAN_ID:
		return str_match(c->op, r->tran_id, c->n_vals, c->vals);
	case C_OTHER_REF_NUM:
		if (!*c->op || !strcmp(c->op, "equalTo"))
			return r->other_ref_num && c->n_vals && strcmp(r->other_ref_num, c->vals[0]) == 0;
		if (!strcmp(c->op, "notEqualTo"))
			return !r->other_ref_num || !c->n_vals || strcmp(r->other_ref_num, c->vals[0]) != 0;
		return num_match(c->op, r->other_ref_num != NULL,
				 r->other_ref_num ? strtoll(r->other_ref_num, NULL, 10) : 0, c->n_vals,
				 c->vals);
	case C_ITEM_ID:
		return str_match(c->op, r->item_id, c->n_vals, c->vals);
	case C_DISPLAY_NAME:
		return str_match(c->op, r->display_name, c->n_vals, c->vals);
	case C_EMAIL:
		return str_match(c->op, r->email, c->n_vals, c->vals);
	case C_ENTITY_ID:
		return str_match(c->op, r->entity_id, c->n_vals, c->vals);
	case C_IS_INACTIVE:
		return c->n_vals && (r->is_inactive == 1) == (strcmp(c->vals[0], "true") == 0);
	case C_CUSTOM: {
		const struct bh_sim_ns_cf *cf = bh_sim_ns_cf_get(r->cf, r->n_cf, c->script_id);
		const char *have = cf ? cf->value : NULL;
		if (!strcmp(c->cf_kind, "SearchBooleanCustomField")) {
			bool want = c->n_vals && (!strcmp(c->vals[0], "true") || !strcmp(c->vals[0], "1"));
			bool is = have && !strcmp(have, "true");
			return want == is;
		}
		if (!strcmp(c->cf_kind, "SearchStringCustomField"))
			return str_match(c->op, have, c->n_vals, c->vals);
		if (!strcmp(c->cf_kind, "SearchLongCustomField"))
			return num_match(c->op, have != NULL, have ? strtoll(have, NULL, 10) : 0,
					 c->n_vals, c->vals);
		for (size_t i = 0; i < c->n_vals && !hit; i++)
			hit = have && strcmp(have, c->vals[i]) == 0;
		return any_of(c, hit);
	}
	case C_IGNORE:
		return true;
	}
	return false;
}

enum sgroup { SG_TRAN, SG_ITEM, SG_CUSTOMER };

static int field_of(enum sgroup g, const char *n, enum cfield *f)
{
	static const struct {
		const char *name;
		enum cfield f;
		unsigned groups; /* bit per sgroup */
	} tab[] = {
		{"externalId", C_EXTERNAL_ID, 7},
		{"externalIdString", C_EXTERNAL_ID_STRING, 7},
		{"internalId", C_INTERNAL_ID, 7},
		{"createdFrom", C_CREATED_FROM, 1},
		{"entity", C_ENTITY, 1},
		{"type", C_TYPE, 3},
		{"status", C_STATUS, 1},
		{"lastModifiedDate", C_LAST_MODIFIED, 7},
		{"dateCreated", C_DATE_CREATED, 7},
		{"tranDate", C_TRAN_DATE, 1},
		{"tranId", C_TRAN_ID, 1},
		{"otherRefNum", C_OTHER_REF_NUM, 1},
		{"mainLine", C_IGNORE, 1},
		{"itemId", C_ITEM_ID, 2},
		{"displayName", C_DISPLAY_NAME, 2},
		{"isInactive", C_IS_INACTIVE, 6},
		{"email", C_EMAIL, 4},
		{"entityId", C_ENTITY_ID, 4},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(tab[i].name, n) == 0 && (tab[i].groups & (1u << g))) {
			*f = tab[i].f;
			return BH_OK;
		}
	}
	return BH_ENOENT;
}

static bool in_group(enum sgroup g, const struct bh_sim_ns_rec *r)
{
	enum bh_sim_ns_group rg = bh_sim_ns_type_group(r->type);
	return (g == SG_TRAN && rg == BH_SIM_NS_G_TRANSACTION) ||
	       (g == SG_ITEM && rg == BH_SIM_NS_G_ITEM) ||
	       (g == SG_CUSTOMER && r->type == BH_SIM_NS_T_CUSTOMER);
}

static char *new_search_id(struct req *q, char *buf, size_t len)
{
	char ts[40];
	time_t now = (time_t)(bh_sim_ns_now_ms(q->ns) / 1000);
	struct tm tmv;
	gmtime_r(&now, &tmv);
	strftime(ts, sizeof(ts), "%m%d%Y%H%M%S", &tmv);
	pthread_mutex_lock(&q->s->mu);
	uint64_t seq = ++q->s->seq;
	pthread_mutex_unlock(&q->s->mu);
	/* a cheap scramble of the sequence for the trailing tag (no RNG on the hot path) */
	uint64_t h = (seq + (uint64_t)now) * 0x9E3779B97F4A7C15ull;
	snprintf(buf, len, "WEBSERVICES_%s_%s%011llu_%06llx", bh_sim_ns_account_id(q->ns), ts,
		 (unsigned long long)seq, (unsigned long long)(h >> 40));
	return buf;
}

static void emit_page(struct req *q, struct search_sess *ss, int page)
{
	char buf[32];
	xmlNsPtr core = q->ctx.ns_core;
	xmlNodePtr sr = xmlNewChild(q->resp_el, core, (const xmlChar *)"searchResult", NULL);
	int pages = (int)((ss->n + (size_t)ss->page_size - 1) / (size_t)ss->page_size);
	status_el(q, sr, NULL);
	snprintf(buf, sizeof(buf), "%zu", ss->n);
	xmlNewTextChild(sr, core, (const xmlChar *)"totalRecords", (const xmlChar *)buf);
	snprintf(buf, sizeof(buf), "%d", ss->page_size);
	xmlNewTextChild(sr, core, (const xmlChar *)"pageSize", (const xmlChar *)buf);
	snprintf(buf, sizeof(buf), "%d", pages);
	xmlNewTextChild(sr, core, (const xmlChar *)"totalPages", (const xmlChar *)buf);
	snprintf(buf, sizeof(buf), "%d", page);
	xmlNewTextChild(sr, core, (const xmlChar *)"pageIndex", (const xmlChar *)buf);
	xmlNewTextChild(sr, core, (const xmlChar *)"searchId", (const xmlChar *)ss->id);
	xmlNodePtr rl = xmlNewChild(sr, core, (const xmlChar *)"recordList", NULL);
	size_t from = (size_t)(page - 1) * (size_t)ss->page_size;
	for (size_t i = from; i < ss->n && i < from + (size_t)ss->page_size; i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_get(q->ns, BH_SIM_NS_T_NONE, ss->ids[i]);
		if (r)
			bh_sim_ns_soap_emit_record(&q->ctx, rl, core, "record", r, !ss->body_only);
	}
}

static void search_error(struct req *q, const struct bh_sim_ns_err *err)
{
	xmlNodePtr sr = xmlNewChild(q->resp_el, q->ctx.ns_core, (const xmlChar *)"searchResult", NULL);
	status_el(q, sr, err);
}

static void op_search(struct req *q, xmlNodePtr body_op)
{
	struct bh_sim_ns_err err = {0};
	xmlNodePtr sr = child(body_op, "searchRecord");
	char tb[96];
	const char *uri;
	const char *st = sr ? bh_sim_ns_xsi_type(sr, tb, sizeof(tb), &uri) : NULL;
	xmlNodePtr basic = sr;
	enum sgroup g;
	struct cond *cs = NULL;
	size_t nc = 0;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;

	if (!st) {
		err.code = "USER_ERROR";
		snprintf(err.message, sizeof(err.message), "Please provide a searchRecord with its xsi:type.");
		search_error(q, &err);
		return;
	}
	if (!strcmp(st, "TransactionSearchBasic") || !strcmp(st, "TransactionSearch")) {
		g = SG_TRAN;
	} else if (!strcmp(st, "ItemSearchBasic") || !strcmp(st, "ItemSearch")) {
		g = SG_ITEM;
	} else if (!strcmp(st, "CustomerSearchBasic") || !strcmp(st, "CustomerSearch")) {
		g = SG_CUSTOMER;
	} else {
		err.code = "INVALID_SEARCH";
		snprintf(err.message, sizeof(err.message),
			 "The search type %s is not supported by the simulator.", st);
		search_error(q, &err);
		return;
	}
	if (!strstr(st, "Basic")) {
		basic = child(sr, "basic");
		for (xmlNodePtr j = bh_sim_ns_first_elem(sr); j; j = bh_sim_ns_next_elem(j)) {
			if (strcmp((const char *)j->name, "basic") != 0) {
				err.code = "INVALID_SEARCH";
				snprintf(err.message, sizeof(err.message),
					 "The search join %s is not supported by the simulator.",
					 (const char *)j->name);
				search_error(q, &err);
				return;
			}
		}
	}
	/* permissions: transactions need at least one permitted transaction type */
	if (g == SG_CUSTOMER && !bh_sim_ns_cred_allows(q->ctx.cred, BH_SIM_NS_T_CUSTOMER)) {
		set_fault(q, "insufficientPermissionFault", "INSUFFICIENT_PERMISSION",
			  "Permission Violation: You need  the 'Lists -> Customers' permission to access this page. Please contact your account administrator.");
		return;
	}
	for (xmlNodePtr f = basic ? bh_sim_ns_first_elem(basic) : NULL; f; f = bh_sim_ns_next_elem(f)) {
		const char *name = (const char *)f->name;
		struct cond *gr;
		if (!strcmp(name, "customFieldList")) {
			if (parse_custom_conds(f, &cs, &nc, &err) != BH_OK)
				goto fail;
			continue;
		}
		enum cfield cf;
		if (field_of(g, name, &cf) != BH_OK) {
			err.code = "INVALID_SEARCH";
			snprintf(err.message, sizeof(err.message),
				 "The search field %s is not supported by the simulator.", name);
			goto fail;
		}
		if (!(gr = realloc(cs, (nc + 1) * sizeof(*cs))))
			goto nomem;
		cs = gr;
		if (parse_cond(f, cf, &cs[nc], &err) != BH_OK) {
			conds_free(&cs[nc], 0);
			goto fail;
		}
		nc++;
	}
	for (size_t i = 0; i < bh_sim_ns_count(q->ns); i++) {
		struct bh_sim_ns_rec *r = bh_sim_ns_at(q->ns, i);
		bool ok = in_group(g, r) && bh_sim_ns_cred_allows(q->ctx.cred, r->type);
		for (size_t k = 0; ok && k < nc; k++)
			ok = cond_match(q, &cs[k], r);
		if (!ok)
			continue;
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 32;
			int64_t *gi = realloc(ids, c2 * sizeof(*gi));
			if (!gi)
				goto nomem;
			ids = gi;
			cap = c2;
		}
		ids[n++] = r->id;
	}
	conds_free(cs, nc);
	cs = NULL;
	nc = 0;
	/* keep the result set for searchMoreWithId */
	pthread_mutex_lock(&q->s->mu);
	struct search_sess *ss = &q->s->sess[q->s->sess_next];
	q->s->sess_next = (q->s->sess_next + 1) % N_SESSIONS;
	free(ss->ids);
	memset(ss, 0, sizeof(*ss));
	pthread_mutex_unlock(&q->s->mu);
	new_search_id(q, ss->id, sizeof(ss->id));
	ss->ids = ids;
	ss->n = n;
	ss->page_size = q->page_size;
	ss->body_only = q->ctx.body_fields_only;
	ss->created_ms = bh_sim_ns_now_ms(q->ns);
	emit_page(q, ss, 1);
	return;
nomem:
	err.code = "UNEXPECTED_ERROR";
	snprintf(err.message, sizeof(err.message), "An unexpected error occurred.");
fail:
	conds_free(cs, nc);
	free(ids);
	search_error(q, &err);
}

static void op_search_more(struct req *q, xmlNodePtr body_op)
{
	struct bh_sim_ns_err err = {0};
	xmlNodePtr idn = child(body_op, "searchId"), pn = child(body_op, "pageIndex");
	char *sid = idn ? bh_sim_ns_text(idn) : NULL, *ps = pn ? bh_sim_ns_text(pn) : NULL;
	int page = ps ? atoi(ps) : 0;
	struct search_sess *ss = NULL;
	int64_t now = bh_sim_ns_now_ms(q->ns);

	for (size_t i = 0; sid && i < N_SESSIONS; i++)
		if (q->s->sess[i].ids && !strcmp(q->s->sess[i].id, sid) &&
		    now - q->s->sess[i].created_ms < SESSION_TTL_MS)
			ss = &q->s->sess[i];
	if (!ss) {
		err.code = "INVALID_SEARCH";
		snprintf(err.message, sizeof(err.message),
			 "The search with id %s has expired or does not exist.", sid ? sid : "");
		search_error(q, &err);
	} else {
		int pages = (int)((ss->n + (size_t)ss->page_size - 1) / (size_t)ss->page_size);
		if (page < 1 || page > (pages ? pages : 1)) {
			err.code = "INVALID_PAGE_INDEX";
			snprintf(err.message, sizeof(err.message),
				 "Invalid page index %s: the search has %d page(s).", ps ? ps : "",
				 pages);
			search_error(q, &err);
		} else {
			emit_page(q, ss, page);
		}
	}
	free(sid);
	free(ps);
}

static void op_server_time(struct req *q)
{
	char buf[40];
	xmlNodePtr r = xmlNewChild(q->resp_el, q->ctx.ns_core, (const xmlChar *)"getServerTimeResult", NULL);
	status_el(q, r, NULL);
	xmlNewTextChild(r, q->ctx.ns_core, (const xmlChar *)"serverTime",
			(const xmlChar *)bh_sim_ns_time_fmt(bh_sim_ns_now_ms(q->ns), buf, sizeof(buf)));
}

/* ------------------------------------------------------------------ validation */

struct verr {
	int line;
	char msg[700];
	bool set;
};

static void valid_error(void *ctx, xmlErrorPtr e)
{
	struct verr *v = ctx;
	if (v->set || !e)
		return;
	v->set = true;
	v->line = e->line;
	snprintf(v->msg, sizeof(v->msg), "%s", e->message ? e->message : "invalid");
	size_t n = strlen(v->msg);
	while (n && (v->msg[n - 1] == '\n' || v->msg[n - 1] == ' '))
		v->msg[--n] = 0;
}

int bh_sim_ns_soap_validate(struct bh_sim_ns_soap *s, xmlDocPtr doc, char *err, size_t len)
{
	xmlSchemaPtr schema = s->schema_held ? schema_wait(60000) : NULL;
	struct verr v = {0};
	xmlSchemaValidCtxtPtr vc;
	int vr;
	if (!schema)
		return -1;
	if (!(vc = xmlSchemaNewValidCtxt(schema)))
		return -1;
	xmlSchemaSetValidStructuredErrors(vc, valid_error, &v);
	vr = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (vr == 0)
		return 1;
	snprintf(err, len, "line %d: %s", v.line, v.set ? v.msg : "invalid");
	return 0;
}

/* ------------------------------------------------------------------ entry point */

void bh_sim_ns_soap_op(const struct bh_sim_req *req, char *buf, size_t len)
{
	const char *a = bh_sim_req_header(req, "SOAPAction");
	if (a && *a) {
		while (*a == '"' || *a == ' ')
			a++;
		size_t n = strcspn(a, "\"");
		snprintf(buf, len, "%.*s", (int)n, a);
		return;
	}
	/* sniff the first element of the Body */
	const char *b = req->body ? strstr(req->body, "Body") : NULL;
	const char *lt = b ? strchr(b, '<') : NULL;
	while (lt && (lt[1] == '!' || lt[1] == '?' || lt[1] == '/'))
		lt = strchr(lt + 1, '<');
	if (!lt) {
		snprintf(buf, len, "unknown");
		return;
	}
	const char *s = lt + 1, *e = s;
	while (*e && *e != ' ' && *e != '>' && *e != '/' && *e != '\t' && *e != '\n' && *e != '\r')
		e++;
	const char *colon = memchr(s, ':', (size_t)(e - s));
	if (colon)
		s = colon + 1;
	snprintf(buf, len, "%.*s", (int)(e - s), s);
}

static bool version_ok(const char *v)
{
	size_t n = strlen(v);
	if (n < 6 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] == '_' && i == 4)))
			return false;
	return v[4] == '_';
}

void bh_sim_ns_soap_handle(struct bh_sim_ns *ns, const struct bh_sim_req *req,
			   struct bh_sim_resp *resp)
{
	struct bh_sim_ns_soap *s = bh_sim_ns_soap_slot(ns);
	struct req q = {0};
	xmlParserCtxtPtr pctx = NULL;
	xmlDocPtr doc = NULL;
	const char *ver = req->path + strlen("/services/NetSuitePort_");
	const char *host = s ? s->hostname : "localhost";
	bool have_slot = false, locked = false;
	char m[1024];

	snprintf(q.version, sizeof(q.version), "%s", ver);
	if (!s || !version_ok(q.version)) {
		bh_sim_resp_text(resp, 404, "text/plain", "Not Found\n", 10);
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		bh_sim_resp_text(resp, 405, "text/plain", "Method Not Allowed\n", 19);
		bh_sim_resp_header(resp, "Allow", "POST");
		return;
	}
	if (bh_sim_ns_conc_acquire(ns) != BH_OK) {
		bh_sim_ns_soap_fault(resp, q.version, host, "exceededConcurrentRequestLimitFault",
				     "WS_REQUEST_BLOCKED",
				     "SuiteTalk concurrent request limit exceeded. Request blocked.");
		return;
	}
	have_slot = true;
	q.ns = ns;
	q.s = s;
	q.ctx.ns = ns;
	q.ctx.version = q.version;
	bh_sim_ns_xns_init(&q.ctx.x, q.version);

	/* parse */
	pctx = xmlNewParserCtxt();
	if (pctx)
		doc = xmlCtxtReadMemory(pctx, req->body ? req->body : "", (int)req->body_len,
					"request.xml", NULL,
					XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		xmlErrorPtr e = pctx ? xmlCtxtGetLastError(pctx) : NULL;
		snprintf(m, sizeof(m), "org.xml.sax.SAXParseException; lineNumber: %d; %s",
			 e ? e->line : 0, e && e->message ? e->message : "Premature end of file.");
		size_t n = strlen(m);
		while (n && m[n - 1] == '\n')
			m[--n] = 0;
		bh_sim_ns_soap_fault(resp, q.version, host, NULL, NULL, m);
		goto out;
	}
	xmlNodePtr env = xmlDocGetRootElement(doc);
	if (!is_el(env, SOAP_ENV, "Envelope")) {
		bh_sim_ns_soap_fault(resp, q.version, host, NULL, NULL,
				     "org.xml.sax.SAXException: the request is not a SOAP 1.1 Envelope");
		goto out;
	}

	/* XSD validation of the whole envelope */
	pthread_mutex_lock(&s->mu);
	bool want_xsd = s->xsd_wanted && s->schema_held;
	pthread_mutex_unlock(&s->mu);
	if (want_xsd) {
		xmlSchemaPtr schema = schema_wait(60000);
		if (schema) {
			struct verr v = {0};
			xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
			int vr = -1;
			if (vc) {
				xmlSchemaSetValidStructuredErrors(vc, valid_error, &v);
				vr = xmlSchemaValidateDoc(vc, doc);
				xmlSchemaFreeValidCtxt(vc);
			}
			if (vr != 0) {
				snprintf(m, sizeof(m), "org.xml.sax.SAXException: line %d: %s", v.line,
					 v.set ? v.msg : "the request does not validate");
				bh_sim_ns_soap_fault(resp, q.version, host, NULL, NULL, m);
				goto out;
			}
		}
	}

	xmlNodePtr header = NULL, body = NULL;
	for (xmlNodePtr c = bh_sim_ns_first_elem(env); c; c = bh_sim_ns_next_elem(c)) {
		if (is_el(c, SOAP_ENV, "Header"))
			header = c;
		else if (is_el(c, SOAP_ENV, "Body"))
			body = c;
	}
	xmlNodePtr op = body ? bh_sim_ns_first_elem(body) : NULL;
	if (!op) {
		bh_sim_ns_soap_fault(resp, q.version, host, NULL, NULL,
				     "org.xml.sax.SAXException: the SOAP Body is empty");
		goto out;
	}
	if (!op->ns || strcmp((const char *)op->ns->href, q.ctx.x.msgs) != 0) {
		snprintf(m, sizeof(m), "No such operation '%s' (namespace %s) on NetSuitePort_%s",
			 (const char *)op->name, op->ns ? (const char *)op->ns->href : "none",
			 q.version);
		bh_sim_ns_soap_fault(resp, q.version, host, NULL, NULL, m);
		goto out;
	}

	/* headers */
	struct bh_sim_ns_passport pp = {0};
	char *pv[7] = {0};
	bool has_passport = false, has_appinfo = false, has_old_passport = false;
	q.ctx.body_fields_only = true;
	q.page_size = 1000;
	for (xmlNodePtr h = header ? bh_sim_ns_first_elem(header) : NULL; h; h = bh_sim_ns_next_elem(h)) {
		const char *hn = (const char *)h->name;
		if (!strcmp(hn, "tokenPassport")) {
			has_passport = true;
			for (xmlNodePtr f = bh_sim_ns_first_elem(h); f; f = bh_sim_ns_next_elem(f)) {
				const char *fn = (const char *)f->name;
				int k = !strcmp(fn, "account") ? 0 : !strcmp(fn, "consumerKey") ? 1
					: !strcmp(fn, "token") ? 2 : !strcmp(fn, "nonce") ? 3
					: !strcmp(fn, "timestamp") ? 4 : !strcmp(fn, "signature") ? 5 : -1;
				if (k < 0 || pv[k])
					continue;
				pv[k] = bh_sim_ns_text(f);
				if (k == 5)
					pv[6] = bh_sim_ns_attr(f, "algorithm");
			}
		} else if (!strcmp(hn, "applicationInfo")) {
			has_appinfo = true;
		} else if (!strcmp(hn, "passport")) {
			has_old_passport = true;
		} else if (!strcmp(hn, "preferences")) {
			xmlNodePtr f = child(h, "ignoreReadOnlyFields");
			char *t = f ? bh_sim_ns_text(f) : NULL;
			q.ctx.ignore_read_only = t && (!strcmp(t, "true") || !strcmp(t, "1"));
			free(t);
		} else if (!strcmp(hn, "searchPreferences")) {
			xmlNodePtr f = child(h, "bodyFieldsOnly"), p = child(h, "pageSize");
			char *t = f ? bh_sim_ns_text(f) : NULL, *ps = p ? bh_sim_ns_text(p) : NULL;
			if (t)
				q.ctx.body_fields_only = !(strcmp(t, "false") == 0 || strcmp(t, "0") == 0);
			if (ps) {
				int v = atoi(ps);
				q.page_size = v < 5 ? 5 : v > 1000 ? 1000 : v;
			}
			free(t);
			free(ps);
		}
	}
	pp.account = pv[0];
	pp.consumer_key = pv[1];
	pp.token = pv[2];
	pp.nonce = pv[3];
	pp.timestamp = pv[4];
	pp.signature = pv[5];
	pp.algorithm = pv[6];

	bh_sim_ns_lock(ns);
	locked = true;
	const char *reason = NULL;
	int arc = BH_EAUTH;
	if (has_passport && has_appinfo) {
		reason = "AmbiguousAuthentication";
	} else if (!has_passport) {
		reason = has_old_passport ? "PassportNotSupported" : "MissingTokenPassport";
	} else {
		arc = bh_sim_ns_tba_verify(ns, &pp, &q.ctx.cred, &reason);
	}
	if (arc != BH_OK) {
		bh_sim_ns_soap_audit(s, pp.account, pp.token, reason, bh_sim_ns_now_ms(ns));
		bh_sim_ns_unlock(ns);
		locked = false;
		bh_sim_ns_soap_fault(resp, q.version, host, "invalidCredentialsFault", "USER_ERROR",
				     !strcmp(reason, "AmbiguousAuthentication")
					     ? "Ambiguous authentication"
					     : "Invalid login attempt.");
		for (int i = 0; i < 7; i++)
			free(pv[i]);
		goto out;
	}
	for (int i = 0; i < 7; i++)
		free(pv[i]);

	/* response envelope */
	q.rdoc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNsPtr se;
	xmlNodePtr renv = new_envelope(q.rdoc, &se, &q.ctx.ns_xsi);
	xmlNodePtr rh = xmlNewChild(renv, se, (const xmlChar *)"Header", NULL);
	xmlNodePtr di = unqualified(q.rdoc, rh, "documentInfo", NULL);
	xmlNsPtr pm = xmlNewNs(di, (const xmlChar *)q.ctx.x.msgs, (const xmlChar *)"platformMsgs");
	xmlSetNs(di, pm);
	char nsid[128];
	new_search_id(&q, nsid, sizeof(nsid));
	xmlNewTextChild(di, pm, (const xmlChar *)"nsId", (const xmlChar *)nsid);
	xmlNodePtr rb = xmlNewChild(renv, se, (const xmlChar *)"Body", NULL);
	char rname[80];
	snprintf(rname, sizeof(rname), "%sResponse", (const char *)op->name);
	q.resp_el = unqualified(q.rdoc, rb, rname, NULL);
	q.ctx.ns_msgs = xmlNewNs(q.resp_el, (const xmlChar *)q.ctx.x.msgs, NULL);
	xmlSetNs(q.resp_el, q.ctx.ns_msgs);
	q.ctx.ns_core = xmlNewNs(q.resp_el, (const xmlChar *)q.ctx.x.core, (const xmlChar *)"platformCore");

	const char *on = (const char *)op->name;
	if (!strcmp(on, "add"))
		op_write(&q, op, W_ADD, false);
	else if (!strcmp(on, "addList"))
		op_write(&q, op, W_ADD, true);
	else if (!strcmp(on, "update"))
		op_write(&q, op, W_UPDATE, false);
	else if (!strcmp(on, "updateList"))
		op_write(&q, op, W_UPDATE, true);
	else if (!strcmp(on, "upsert"))
		op_write(&q, op, W_UPSERT, false);
	else if (!strcmp(on, "upsertList"))
		op_write(&q, op, W_UPSERT, true);
	else if (!strcmp(on, "get"))
		op_get(&q, op);
	else if (!strcmp(on, "getList"))
		op_get_list(&q, op);
	else if (!strcmp(on, "search"))
		op_search(&q, op);
	else if (!strcmp(on, "searchMoreWithId"))
		op_search_more(&q, op);
	else if (!strcmp(on, "initialize"))
		op_initialize(&q, op);
	else if (!strcmp(on, "getServerTime"))
		op_server_time(&q);
	else {
		snprintf(m, sizeof(m), "The operation '%s' is not supported by the NetSuite simulator.", on);
		set_fault(&q, NULL, NULL, m);
	}
	bh_sim_ns_unlock(ns);
	locked = false;
	if (q.fault_msg[0])
		bh_sim_ns_soap_fault(resp, q.version, host, q.fault_elem, q.fault_code, q.fault_msg);
	else
		send_doc(resp, 200, q.rdoc);
out:
	if (locked)
		bh_sim_ns_unlock(ns);
	if (q.rdoc)
		xmlFreeDoc(q.rdoc);
	if (doc)
		xmlFreeDoc(doc);
	if (pctx)
		xmlFreeParserCtxt(pctx);
	if (have_slot)
		bh_sim_ns_conc_release(ns);
}
