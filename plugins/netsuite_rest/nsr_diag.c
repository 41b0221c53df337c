/*
 * nsr_diag.c - the diagnostics capability of netsuite-rest (`backhaul test-connection`).
 *
 * Checks, in order, each with an operator-readable detail and never a secret:
 *   account             the account id has NetSuite's form (1234567, 1234567_SB1)
 *   reachable           a signed SuiteQL call (with ?limit=&offset=, so the query
 *                       parameters are signed too) gets an HTTP answer
 *   clock               our clock against NetSuite's Date header (TBA refuses
 *                       timestamps more than 5 minutes off)
 *   authentication      the token is accepted (not 401 INVALID_LOGIN)
 *   permission:<type>   the role can list each record type the flows use
 *   permission:suiteql  SuiteQL is allowed
 *   field:<key>         sku_field, flag_field and shopify_order_field exist
 *   item:gift_card_item the configured gift card item exists
 * Runs after configure() without start(). Returns 0 when all passed, else BH_ERETRY
 * (unreachable), BH_EAUTH (authentication, clock or permissions) or BH_EREJECT.
 *
 * Ownership: netsuite-rest plugin. Threading: stateless; thread-safe.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nsr.h"

struct diag {
	struct json_object *checks;
	int rc;                    /* first failure's code */
	struct bh_status first;
};

__attribute__((format(printf, 5, 6))) static void check(struct diag *d, const char *name,
							bool ok, int fail_rc, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct json_object *o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(d->checks, o);
	if (!ok && d->rc == BH_OK) {
		d->rc = fail_rc;
		snprintf(d->first.code, sizeof(d->first.code), "%s", name);
		snprintf(d->first.message, sizeof(d->first.message), "%.60s: %.400s", name, detail);
	}
}

/* SuiteQL probe: returns the request's code; st and reply filled. */
static int probe(struct bh_nsr *c, const char *q, struct bh_nsr_reply *r, struct bh_status *st)
{
	struct json_object *body = json_object_new_object();
	char path[128];
	int rc;
	if (!body)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	json_object_object_add(body, "q", json_object_new_string(q));
	snprintf(path, sizeof(path), "%s?limit=1&offset=0", BH_NSR_SUITEQL_PATH);
	rc = bh_nsr_request(c, "POST", path, body, BH_NSR_F_TRANSIENT | BH_NSR_F_NO_RETRY, r, st);
	json_object_put(body);
	return rc;
}

static void field_check(struct bh_nsr *c, struct diag *d, const char *key, const char *field,
			const char *col, const char *table)
{
	struct bh_nsr_reply r;
	struct bh_status st;
	char q[512], name[96];
	memset(&st, 0, sizeof(st));
	if (!field || !*field)
		return;
	snprintf(name, sizeof(name), "field:%s", key);
	snprintf(q, sizeof(q), "SELECT id, %s FROM %s", col, table);
	int rc = probe(c, q, &r, &st);
	bh_nsr_reply_clear(&r);
	if (rc == BH_OK)
		check(d, name, true, BH_OK, "%s '%s' exists on %s", key, field, table);
	else
		check(d, name, false, rc == BH_EAUTH ? BH_EAUTH : BH_EREJECT,
		      "%s '%s' cannot be read on %s: %s %s", key, field, table, st.code, st.message);
}

int bh_nsr_test_connection(void *ctx, char **out, struct bh_status *st)
{
	struct bh_nsr *c = ctx;
	struct diag d = {.checks = json_object_new_array(), .rc = BH_OK};
	struct bh_nsr_reply r;
	struct bh_status s;
	int rc;

	*out = NULL;
	memset(&d.first, 0, sizeof(d.first));
	memset(&s, 0, sizeof(s));
	if (!d.checks)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");

	if (bh_nsr_account_id_valid(c->account))
		check(&d, "account", true, BH_OK, "account id %s (REST host %s)", c->account,
		      c->base);
	else
		check(&d, "account", false, BH_EREJECT,
		      "account id '%s' must look like 1234567 or 1234567_SB1 (upper case, "
		      "underscore before SB)", c->account);

	rc = probe(c, "SELECT id FROM transaction WHERE id = 0", &r, &s);
	if (r.status == 0) {
		check(&d, "reachable", false, BH_ERETRY, "no answer from %s: %s", c->base, s.message);
		bh_nsr_reply_clear(&r);
		goto done;
	}
	check(&d, "reachable", true, BH_OK, "%s answered HTTP %ld", c->base, r.status);
	if (r.server_time > 0) {
		int64_t skew = r.client_time - r.server_time;
		int64_t a = skew < 0 ? -skew : skew;
		if (a > 300)
			check(&d, "clock", false, BH_EAUTH,
			      "clock is %lld minutes %s NetSuite's: TBA refuses timestamps beyond 5 "
			      "minutes; fix the system clock (NTP)", (long long)(a / 60),
			      skew > 0 ? "ahead of" : "behind");
		else
			check(&d, "clock", true, BH_OK, "clock within %lld s of NetSuite's",
			      (long long)a);
	}
	if (rc == BH_EAUTH && r.status == 401) {
		check(&d, "authentication", false, BH_EAUTH,
		      "NetSuite refused the token (%s): check account (realm %s), consumer key "
		      "and secret, token id and secret, that the token's role and integration "
		      "are enabled, and the clock", s.code, c->account);
		bh_nsr_reply_clear(&r);
		goto done;
	}
	check(&d, "authentication", true, BH_OK, "token accepted for account %s", c->account);
	if (rc == BH_OK)
		check(&d, "permission:suiteql", true, BH_OK, "SuiteQL queries allowed");
	else
		check(&d, "permission:suiteql", false, rc == BH_EAUTH ? BH_EAUTH : BH_EREJECT,
		      "SuiteQL refused: %s %s (the role needs the SuiteAnalytics Workbook and "
		      "REST Web Services permissions)", s.code, s.message);
	bh_nsr_reply_clear(&r);

	static const char *const types[] = {BH_NSR_T_CUSTOMER, BH_NSR_T_SO, BH_NSR_T_RA,
					    BH_NSR_T_IR,       BH_NSR_T_CR, BH_NSR_T_CM,
					    BH_NSR_T_CRF};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char path[256], name[96];
		snprintf(path, sizeof(path), "%s%s?limit=1", BH_NSR_REST_PATH, types[i]);
		snprintf(name, sizeof(name), "permission:%s", types[i]);
		memset(&s, 0, sizeof(s));
		rc = bh_nsr_request(c, "GET", path, NULL, BH_NSR_F_NO_RETRY, &r, &s);
		bh_nsr_reply_clear(&r);
		if (rc == BH_OK)
			check(&d, name, true, BH_OK, "the role can read %s records", types[i]);
		else
			check(&d, name, false, rc == BH_EAUTH ? BH_EAUTH : rc,
			      "the role cannot use %s records: %s %s", types[i], s.code, s.message);
	}
	field_check(c, &d, "sku_field", c->sku_field, c->sku_col, "item");
	field_check(c, &d, "flag_field", c->flag_field, c->flag_col, "transaction");
	field_check(c, &d, "shopify_order_field", c->shopify_order_field, c->shopify_col,
		    "transaction");
	if (c->gift_card_item && *c->gift_card_item) {
		struct bh_nsr_map m = {0};
		memset(&s, 0, sizeof(s));
		rc = bh_nsr_map_add(&m, c->gift_card_item);
		if (rc == BH_OK)
			rc = bh_nsr_items_resolve(c, &m, &s);
		if (rc == BH_OK)
			check(&d, "item:gift_card_item", true, BH_OK, "gift card item %s is %s",
			      c->gift_card_item, bh_nsr_map_get(&m, c->gift_card_item));
		else
			check(&d, "item:gift_card_item", false, rc == BH_EAUTH ? BH_EAUTH : BH_EREJECT,
			      "%s", s.message);
		bh_nsr_map_free(&m);
	}
done:
	{
		struct json_object *o = json_object_new_object();
		if (!o) {
			json_object_put(d.checks);
			return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
		}
		json_object_object_add(o, "checks", d.checks);
		rc = bh_nsr_dump(o, out);
		json_object_put(o);
	}
	if (rc != BH_OK)
		return bh_nsr_fail(st, BH_ENOMEM, "ENOMEM", "out of memory");
	if (d.rc != BH_OK) {
		*st = d.first;
		return d.rc;
	}
	memset(st, 0, sizeof(*st));
	return BH_OK;
}
