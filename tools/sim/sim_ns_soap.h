/*
 * sim_ns_soap.h - SuiteTalk SOAP endpoint of the NetSuite simulator
 * (POST /services/NetSuitePort_<version>).
 *
 * sim_ns_soap.c     envelope parsing, XSD validation, tokenPassport, concurrency, the
 *                   operations (add/addList, update/updateList, upsert/upsertList, get,
 *                   getList, search, searchMoreWithId, initialize, getServerTime) and
 *                   faults.
 * sim_ns_soap_rec.c record XML <-> store drafts/records (XSD element order per type).
 *
 * Ownership: NetSuite service helper. The SOAP state (struct bh_sim_ns_soap) hangs off
 * the account (bh_sim_ns_soap_slot) and lives as long as it.
 * Threading: bh_sim_ns_soap_handle is called concurrently; XML parsing, XSD validation
 * and serialisation run outside the store lock, record work inside it. The schema is
 * parsed once on a background thread started by bh_sim_ns_soap_new (1-2 s for Oracle's
 * 46 XSDs); requests that need it wait for it. The parsed xmlSchemaPtr is shared
 * read-only; each request uses its own validation context.
 */
#ifndef BH_SIM_NS_SOAP_H
#define BH_SIM_NS_SOAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "sim.h"
#include "sim_ns_store.h"

struct json_object;
struct bh_sim_ns_soap;

/** Create the SOAP state. opts keys: "reference_dir" (default $BH_SHARED_DIR/reference),
 *  "xsd" (bool, default true: validate when <reference_dir>/netsuite-suitetalk/<version>/
 *  validate-all.xsd exists), "version", "hostname" (fault detail host name). Starts the
 *  schema load in the background. NULL on ENOMEM. */
struct bh_sim_ns_soap *bh_sim_ns_soap_new(struct json_object *opts, const char *version);
/** Stop (joins the loader thread) and free. */
void bh_sim_ns_soap_free(struct bh_sim_ns_soap *s);
/** Serve one SOAP request (req->path starts with /services/NetSuitePort_). */
void bh_sim_ns_soap_handle(struct bh_sim_ns *ns, const struct bh_sim_req *req,
			   struct bh_sim_resp *resp);
/** The operation a request performs ("upsert", ...) from SOAPAction or the body, into buf. */
void bh_sim_ns_soap_op(const struct bh_sim_req *req, char *buf, size_t len);
/** A SOAP fault response: HTTP 500, faultcode soapenv:Server.userException, faultstring
 *  msg, detail platformFaults:<fault_elem>{code,message} (fault_elem NULL: no NetSuite
 *  detail element). version selects the faults namespace. */
void bh_sim_ns_soap_fault(struct bh_sim_resp *resp, const char *version, const char *hostname,
			  const char *fault_elem, const char *code, const char *msg);
/** Wait until the schema load finished (or timeout_ms passed). Returns true when a
 *  schema is available. */
bool bh_sim_ns_soap_wait_schema(struct bh_sim_ns_soap *s, int timeout_ms);
/** Validate a whole document against the shared schema (waits for the load). Returns 1
 *  valid, 0 invalid (first error "line N: message" in err), -1 no schema available. */
int bh_sim_ns_soap_validate(struct bh_sim_ns_soap *s, xmlDocPtr doc, char *err, size_t len);
/** State for the control API: {"xsd":bool,"schema_loaded":bool,"schema_path":..,
 *  "schema_parse_ms":N,"schema_error":..,"login_audit":[...]} (new object). */
struct json_object *bh_sim_ns_soap_info(struct bh_sim_ns_soap *s);
/** Turn validation on/off at run time (control API). */
void bh_sim_ns_soap_set_xsd(struct bh_sim_ns_soap *s, bool on);
/** Record a failed login in the audit trail (also used by the REST layer if it likes). */
void bh_sim_ns_soap_audit(struct bh_sim_ns_soap *s, const char *account, const char *token,
			  const char *reason, int64_t when_ms);
/** The fault-detail host name. */
const char *bh_sim_ns_soap_hostname(const struct bh_sim_ns_soap *s);

/* ------------------------------------------------------------------ internal
 * Shared by sim_ns_soap.c and sim_ns_soap_rec.c only. */

/** Namespaces of one request's version. */
struct bh_sim_ns_xns {
	char msgs[96], core[96], coretyp[96], common[96], faults[96];
	char sales[96], customers[96], purchases[96], accounting[96], relationships[96];
};

/** Per-request context (store lock held while it is used for record work). */
struct bh_sim_ns_soapctx {
	struct bh_sim_ns *ns;
	const char *version;
	struct bh_sim_ns_xns x;
	const struct bh_sim_ns_cred *cred;
	bool ignore_read_only;
	bool body_fields_only;
	xmlNsPtr ns_core, ns_xsi, ns_msgs;   /* declared on the response elements */
};

/** Fill the namespaces for a version token ("2023_2"). */
void bh_sim_ns_xns_init(struct bh_sim_ns_xns *x, const char *version);
/** Local name of an xsi:type attribute value resolved against the node's namespaces;
 *  *nsuri receives the namespace (or NULL). Returns a pointer into a static-free
 *  buffer owned by the caller (buf). */
const char *bh_sim_ns_xsi_type(xmlNodePtr n, char *buf, size_t len, const char **nsuri);
/** Attribute value (no namespace) as a malloc'd string, or NULL. */
char *bh_sim_ns_attr(xmlNodePtr n, const char *name);
/** Text content of an element (malloc'd, trimmed), or NULL. */
char *bh_sim_ns_text(xmlNodePtr n);
/** First element child, and the next element sibling. */
xmlNodePtr bh_sim_ns_first_elem(xmlNodePtr n);
xmlNodePtr bh_sim_ns_next_elem(xmlNodePtr n);

/** Store type of a record xsi:type local name ("ReturnAuthorization"), or NONE. */
enum bh_sim_ns_type bh_sim_ns_soap_type_of(const char *xsi_local);
/**
 * Parse a <record xsi:type=...> into a draft. References given by externalId are
 * resolved (INVALID_KEY_OR_REF when unknown). Read-only fields are refused unless
 * ctx->ignore_read_only (INSUFFICIENT_PERMISSION, NetSuite's message). Returns 0 and
 * *out, or a BH_E* code with err filled; *type receives the record type when known.
 */
int bh_sim_ns_soap_parse_record(struct bh_sim_ns_soapctx *ctx, xmlNodePtr rec,
				enum bh_sim_ns_type *type, struct bh_sim_ns_rec **out,
				struct bh_sim_ns_err *err);
/**
 * Resolve a RecordRef-like element (attributes internalId / externalId [/ type]) to an
 * internal id within a group. Returns 0 and *id, BH_ENOENT (err filled with
 * INVALID_KEY_OR_REF naming `what`) or BH_EINVAL when neither attribute is present.
 */
int bh_sim_ns_soap_ref(struct bh_sim_ns_soapctx *ctx, xmlNodePtr ref, enum bh_sim_ns_group g,
		       const char *what, int64_t *id, struct bh_sim_ns_err *err);
/** Append <name>record</name> (xsi:type, attributes, fields in XSD order) to parent.
 *  id_attrs false omits internalId (initialize: an unsaved record). */
xmlNodePtr bh_sim_ns_soap_emit_record(struct bh_sim_ns_soapctx *ctx, xmlNodePtr parent,
				      xmlNsPtr elem_ns, const char *name,
				      const struct bh_sim_ns_rec *r, bool with_lines);
/** Java-style double text of cents ("43.2", "25.0", "-64.8") into buf. */
char *bh_sim_ns_soap_double(int64_t cents, char *buf, size_t len);

#endif
