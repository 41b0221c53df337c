/*
 * nssoap_diag.c - the diagnostics capability (`backhaul test-connection NAME`).
 *
 * Checks, in order: the account id's form; that the SOAP endpoint answers
 * (getServerTime); that the token authenticates — on "Invalid login attempt." the HTTP
 * Date header is compared with the local clock, since TBA refuses timestamps more than
 * five minutes off; then the permissions the flows need: one getList naming a
 * non-existent record of each type used (customer, item, sales order, return
 * authorization, item receipt, cash refund, credit memo, customer refund) — a role
 * without the permission answers INSUFFICIENT_PERMISSION instead of RCRD_DSNT_EXIST —
 * and one transaction search (the change feeds). Secrets never appear in details.
 *
 * Ownership: netsuite-soap plugin. Threading: per-call state only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "nssoap.h"
#include "nssoap_tba.h"

static void check(struct json_object *arr, const char *name, bool ok, const char *fmt, ...)
	BH_PRINTF(4, 5);

static void check(struct json_object *arr, const char *name, bool ok, const char *fmt, ...)
{
	char detail[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(arr, o);
}

/* Seconds the local clock is ahead of the server's Date header (0 when unknown). */
static int64_t skew_s(const struct bh_nss *c, const char *date, bool *known)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	*known = false;
	if (!date || !*date)
		return 0;
	const char *end = strptime(date, "%a, %d %b %Y %H:%M:%S", &tm);
	if (!end)
		return 0;
	*known = true;
	return c->host->now_ms() / 1000 - (int64_t)timegm(&tm);
}

static const char *const perm_types[][2] = {
	{"customer", "customers"},
	{"inventoryItem", "items"},
	{"salesOrder", "sales orders"},
	{"returnAuthorization", "return authorizations"},
	{"itemReceipt", "item receipts"},
	{"cashRefund", "cash refunds"},
	{"creditMemo", "credit memos"},
	{"customerRefund", "customer refunds"},
};

#define N_PERM (sizeof(perm_types) / sizeof(perm_types[0]))

/* One getList with a non-existent id of every type: which ones are refused. */
static int permissions(struct bh_nss *c, struct json_object *arr, bool *all_ok, struct bh_status *st)
{
	struct bh_nss_req q;
	xmlDocPtr doc = NULL;
	xmlNodePtr op;
	int rc = bh_nss_req_new(&q, c, "getList", BH_NSS_PREFS_NONE, false);
	if (rc != BH_OK)
		return rc;
	for (size_t i = 0; i < N_PERM; i++) {
		xmlNodePtr b = bh_nss_ref_el(q.op, q.msgs, "baseRef", "0", NULL, perm_types[i][0]);
		if (!b) {
			rc = BH_ENOMEM;
			goto out;
		}
		bh_nss_xsi_type(&q, b, "platformCore:RecordRef");
	}
	if ((rc = bh_nss_call(c, &q, &doc, &op, st, NULL, 0)) != BH_OK)
		goto out;
	xmlNodePtr rr = bh_nss_child(bh_nss_child(op, "readResponseList"), "readResponse");
	for (size_t i = 0; i < N_PERM; i++, rr = bh_nss_next(rr, "readResponse")) {
		char name[64];
		struct bh_status s2 = {0};
		int r = rr ? bh_nss_status_check(bh_nss_child(rr, "status"), &s2) : BH_EPROTO;
		snprintf(name, sizeof(name), "permission:%s", perm_types[i][0]);
		if (r == BH_OK || r == BH_ENOENT) {
			check(arr, name, true, "the role may read %s", perm_types[i][1]);
		} else {
			*all_ok = false;
			check(arr, name, false, "the role may not use %s: %s %s (grant it in the role of token %s)",
			      perm_types[i][1], s2.code, s2.message, c->token_id);
		}
	}
out:
	if (doc)
		xmlFreeDoc(doc);
	bh_nss_req_free(&q);
	return rc;
}

int bh_nss_test_connection(void *ctx, char **out, struct bh_status *st)
{
	struct bh_nss *c = ctx;
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char why[256], date[80] = "";
	int result = BH_OK, rc;

	*out = NULL;
	if (!o || !arr) {
		json_object_put(o);
		json_object_put(arr);
		return BH_ENOMEM;
	}
	json_object_object_add(o, "checks", arr);
	if (bh_nss_account_check(c->account, why, sizeof(why)) != BH_OK) {
		check(arr, "account_id", false, "%s", why);
		result = BH_EREJECT;
	} else {
		check(arr, "account_id", true, "account %s", c->account);
	}

	/* reachability and authentication: getServerTime */
	struct bh_nss_req q;
	xmlDocPtr doc = NULL;
	xmlNodePtr op;
	if ((rc = bh_nss_req_new(&q, c, "getServerTime", BH_NSS_PREFS_NONE, false)) != BH_OK) {
		json_object_put(o);
		return rc;
	}
	rc = bh_nss_call(c, &q, &doc, &op, st, date, sizeof(date));
	bh_nss_req_free(&q);
	bool known;
	int64_t skew = skew_s(c, date, &known);
	if (rc == BH_ERETRY && st->http_status == 0) {
		check(arr, "reachable", false, "cannot reach %s: %s", c->url, st->message);
		result = BH_ERETRY;
		goto done;
	}
	if (rc == BH_EREJECT && !strcmp(st->code, "HTTP_ERROR")) {
		check(arr, "reachable", false, "%s answered HTTP %d: check base_url and version %s",
		      c->url, st->http_status, c->version);
		result = BH_EREJECT;
		goto done;
	}
	check(arr, "reachable", true, "%s answers", c->url);
	if (known && (skew > 300 || skew < -300)) {
		int64_t m = (skew < 0 ? -skew : skew) / 60;
		check(arr, "clock", false,
		      "clock is %lld minutes %s the server's: TBA refuses timestamps beyond 5 minutes (fix NTP)",
		      (long long)m, skew > 0 ? "ahead of" : "behind");
	} else if (known) {
		check(arr, "clock", true, "local clock within %lld s of the server's", (long long)(skew < 0 ? -skew : skew));
	}
	if (rc == BH_EAUTH) {
		if (known && (skew > 300 || skew < -300))
			check(arr, "authentication", false,
			      "NetSuite refused the token (%s): the clock is %lld minutes off and TBA refuses timestamps beyond 5 minutes",
			      st->message, (long long)((skew < 0 ? -skew : skew) / 60));
		else
			check(arr, "authentication", false,
			      "NetSuite refused the token (%s): check account %s, consumer_key, consumer_secret, token_id %s, token_secret, that the integration and the token are enabled, and the Login Audit Trail",
			      st->message, c->account, c->token_id);
		result = BH_EAUTH;
		goto done;
	}
	if (rc != BH_OK) {
		check(arr, "authentication", false, "getServerTime failed: %s %s", st->code, st->message);
		result = rc == BH_ERETRY ? BH_ERETRY : BH_EREJECT;
		goto done;
	}
	char *t = bh_nss_child_text(bh_nss_child(op, "getServerTimeResult"), "serverTime");
	check(arr, "authentication", true, "token %s accepted (server time %s)", c->token_id, t ? t : "?");
	free(t);
	xmlFreeDoc(doc);
	doc = NULL;

	bool all_ok = true;
	struct bh_status s2 = {0};
	if ((rc = permissions(c, arr, &all_ok, &s2)) != BH_OK) {
		check(arr, "permission:records", false, "getList failed: %s %s", s2.code, s2.message);
		all_ok = false;
	}
	/* the change feeds search transactions */
	struct bh_nss_page pg;
	xmlNodePtr basic;
	static const char *const t_ra[] = {"_returnAuthorization"};
	memset(&s2, 0, sizeof(s2));
	if ((rc = bh_nss_search_new(&q, c, "platformCommon:TransactionSearchBasic", true, &basic)) == BH_OK) {
		if (bh_nss_crit_string(&q, basic, "externalIdString", "startsWith", c->ra_prefix) &&
		    bh_nss_crit_enum(&q, basic, "type", t_ra, 1))
			rc = bh_nss_search_run(c, &q, &pg, &s2);
		else
			rc = BH_ENOMEM;
		bh_nss_req_free(&q);
		if (rc == BH_OK) {
			check(arr, "permission:search", true, "transaction search works (%lld engine RAs)",
			      (long long)pg.total_records);
			bh_nss_page_clear(&pg);
		}
	}
	if (rc != BH_OK) {
		all_ok = false;
		check(arr, "permission:search", false, "transaction search refused: %s %s", s2.code, s2.message);
	}
	if (!all_ok && result == BH_OK)
		result = BH_EAUTH;
done:
	if (doc)
		xmlFreeDoc(doc);
	if (result != BH_OK && !st->code[0])
		bh_nss_status_set(st, -1, "TEST_FAILED", "the connection test failed");
	rc = bh_nss_json_out(o, out);
	return rc != BH_OK ? rc : result;
}
