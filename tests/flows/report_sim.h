/*
 * report_sim.h - helpers (header-only) for the end-to-end tests of the return-lifecycle
 * flows and of `backhaul report` against backhaul-sim with the real endpoint plugins
 * (loop, netsuite-soap, shopify): scenario set-up through the simulators' control APIs
 * and the engine's own erp capability, polling helpers with deadlines.
 *
 *   lcs_begin(&s)                    start backhaul-sim (no seed); skip_all when absent
 *   lcs_endpoints(&s, buf, len, lp, np)  conf text of [endpoint loop], [endpoint
 *                                    netsuite] (poll on/off per source, hour interval:
 *                                    tests poll with lcs_sync) and [endpoint shopify]
 *   lcs_order(&s, sku, &o)           item in NetSuite, order of 2 x sku in Shopify,
 *                                    customer and sales order in NetSuite
 *   lcs_return(&s, &o, rid, len)     a Loop refund return of one unit
 *   lcs_ra(&s, te, &o, rid, iid, len)  the RA loop-ra-<rid> through the engine's
 *                                    netsuite instance (erp.create_return_authorization)
 *   lcs_get(&s, path, member, buf, len)  GET a control path, copy a top-level member
 *   lcs_sync(te)                     ask every source of the engine to poll now
 *   lcs_count(te, inst, what)        a flow's ok/retried/dead total or a counter
 * Needs libcurl (harness.h) and libbhcore. Not thread-safe.
 */
#ifndef BH_TEST_REPORT_SIM_H
#define BH_TEST_REPORT_SIM_H

#include <backhaul/backhaul.h>

#include "harness.h"

struct lcs {
	struct bh_test_sim sim;
	char flag_field[64];
};

struct lcs_order {
	char id[32], line_id[32], name[32], sku[32];
};

__attribute__((unused)) static void lcs_begin(struct lcs *s)
{
	char bin[4096];
	const char *top = getenv("BH_TOP_BUILDDIR");
	if (!top || !getenv("BH_PLUGIN_PATH"))
		skip_all("run through make check (BH_TOP_BUILDDIR, BH_PLUGIN_PATH)");
	snprintf(bin, sizeof(bin), "%s/backhaul-sim", top);
	if (access(bin, X_OK) != 0)
		skip_all("backhaul-sim is not built");
	if (bh_test_sim_start(&s->sim, "") != 0)
		skip_all("backhaul-sim did not start");
	setenv("BH_LCS_LOOP_KEY", "sim-loop-api-key", 1);
	setenv("BH_LCS_NS_CS", "bh-sim-consumer-secret", 1);
	setenv("BH_LCS_NS_TS", "bh-sim-token-secret", 1);
	setenv("BH_LCS_SHOP_TOKEN", "shpat_lifecycle_test", 1);
	bh_test_ctl(&s->sim, "POST", "/control/shopify/access_token",
		    "{\"token\":\"shpat_lifecycle_test\"}", NULL);
	char *resp = NULL;
	snprintf(s->flag_field, sizeof(s->flag_field), "custbody_bh_review_flag");
	if (bh_test_ctl(&s->sim, "GET", "/control/netsuite/info", NULL, &resp) == 200 && resp) {
		json_object *o = json_tokener_parse(resp), *v;
		if (o && json_object_object_get_ex(o, "flag_field", &v))
			snprintf(s->flag_field, sizeof(s->flag_field), "%s", json_object_get_string(v));
		json_object_put(o);
	}
	free(resp);
}

__attribute__((unused)) static void lcs_endpoints(struct lcs *s, char *buf, size_t len,
						   bool loop_poll, bool ns_poll)
{
	snprintf(buf, len,
		 "[endpoint loop]\nplugin = loop\napi_key_env = BH_LCS_LOOP_KEY\n"
		 "base_url = http://127.0.0.1:%d/api\npoll = %s\npoll_interval = 1h\nlookback = 1d\n"
		 "retries = 2\nretry_backoff = 20ms\ntimeout = 5s\nrate_limit = 6000\n"
		 "rate_burst = 100\n\n"
		 "[endpoint netsuite]\nplugin = netsuite-soap\npoll = %s\npoll_interval = 1h\n"
		 "account = 1234567_SB1\nconsumer_key = bh-sim-consumer-key\n"
		 "consumer_secret_env = BH_LCS_NS_CS\ntoken_id = bh-sim-token-id\n"
		 "token_secret_env = BH_LCS_NS_TS\nbase_url = http://127.0.0.1:%d\n"
		 "flag_field = %s\nretries = 2\ntimeout = 10s\n\n"
		 "[endpoint shopify]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		 "access_token_env = BH_LCS_SHOP_TOKEN\npoll = false\n\n",
		 s->sim.loop, loop_poll ? "true" : "false", ns_poll ? "true" : "false",
		 s->sim.netsuite, s->flag_field, s->sim.shopify);
}

/* GET path; copy top-level member (string, number or bool as text) into buf. */
__attribute__((unused)) static bool lcs_get(struct lcs *s, const char *path, const char *member,
					    char *buf, size_t len)
{
	char *resp = NULL;
	bool ok_ = false;
	buf[0] = '\0';
	if (bh_test_ctl(&s->sim, "GET", path, NULL, &resp) == 200 && resp) {
		json_object *o = json_tokener_parse(resp), *v;
		if (o && json_object_object_get_ex(o, member, &v) && v) {
			snprintf(buf, len, "%s", json_object_get_string(v));
			ok_ = true;
		}
		json_object_put(o);
	}
	free(resp);
	return ok_;
}

/* POST body to path; copy member of the answer (NULL member: none) into buf. */
__attribute__((unused)) static long lcs_post(struct lcs *s, const char *path, const char *body,
					     const char *member, char *buf, size_t len)
{
	char *resp = NULL;
	long code = bh_test_ctl(&s->sim, "POST", path, body, &resp);
	if (member && buf) {
		buf[0] = '\0';
		json_object *o = resp ? json_tokener_parse(resp) : NULL, *v;
		if (o && json_object_object_get_ex(o, member, &v) && v)
			snprintf(buf, len, "%s", json_object_get_string(v));
		json_object_put(o);
	}
	if (code >= 300)
		diag("POST %s -> %ld %s", path, code, resp ? resp : "");
	free(resp);
	return code;
}

__attribute__((unused)) static bool lcs_order(struct lcs *s, const char *sku,
					      struct lcs_order *o)
{
	char body[2048], buf[256], *resp = NULL;
	memset(o, 0, sizeof(*o));
	snprintf(o->sku, sizeof(o->sku), "%s", sku);
	snprintf(body, sizeof(body), "{\"items\":[{\"sku\":\"%s\",\"name\":\"%s\",\"type\":"
		 "\"inventory\",\"cost\":\"15.00\",\"price\":\"40.00\"}]}", sku, sku);
	if (lcs_post(s, "/control/netsuite/items", body, NULL, NULL, 0) != 200)
		return false;
	snprintf(body, sizeof(body),
		 "{\"email\":\"lc@example.com\",\"customer\":{\"email\":\"lc@example.com\","
		 "\"first_name\":\"Lee\",\"last_name\":\"Cycle\"},\"line_items\":[{\"sku\":\"%s\","
		 "\"title\":\"%s\",\"quantity\":2,\"price\":\"40.00\",\"tax_lines\":[{\"title\":"
		 "\"tax\",\"rate\":0.08,\"price\":\"6.40\"}]}]}", sku, sku);
	if (bh_test_ctl(&s->sim, "POST", "/control/shopify/orders", body, &resp) != 201 || !resp) {
		free(resp);
		return false;
	}
	json_object *r = json_tokener_parse(resp), *ids, *names;
	free(resp);
	if (!r || !json_object_object_get_ex(r, "ids", &ids) ||
	    !json_object_object_get_ex(r, "names", &names)) {
		json_object_put(r);
		return false;
	}
	snprintf(o->id, sizeof(o->id), "%s", json_object_get_string(json_object_array_get_idx(ids, 0)));
	snprintf(o->name, sizeof(o->name), "%s",
		 json_object_get_string(json_object_array_get_idx(names, 0)));
	json_object_put(r);
	snprintf(buf, sizeof(buf), "/control/shopify/orders/%s", o->id);
	resp = NULL;
	if (bh_test_ctl(&s->sim, "GET", buf, NULL, &resp) == 200 && resp) {
		json_object *ord = json_tokener_parse(resp), *li;
		if (ord && json_object_object_get_ex(ord, "line_items", &li))
			snprintf(o->line_id, sizeof(o->line_id), "%s",
				 json_object_get_string(json_object_object_get(
					 json_object_array_get_idx(li, 0), "id")));
		json_object_put(ord);
	}
	free(resp);
	if (lcs_post(s, "/control/netsuite/customers",
		     "{\"customers\":[{\"external_id\":\"shopify-customer-lc\",\"email\":"
		     "\"lc@example.com\",\"first_name\":\"Lee\",\"last_name\":\"Cycle\"}]}",
		     NULL, NULL, 0) != 200)
		return false;
	snprintf(body, sizeof(body),
		 "{\"external_id\":\"shopify-order-%s\",\"customer_email\":\"lc@example.com\","
		 "\"shopify_order_id\":\"%s\",\"tran_id\":\"%s\",\"lines\":[{\"sku\":\"%s\","
		 "\"quantity\":2,\"rate\":\"40.00\",\"amount\":\"80.00\",\"tax\":\"6.40\"}]}",
		 o->id, o->id, o->name, sku);
	return lcs_post(s, "/control/netsuite/sales_orders", body, NULL, NULL, 0) == 200 &&
	       o->line_id[0];
}

__attribute__((unused)) static bool lcs_return(struct lcs *s, const struct lcs_order *o,
					       char *rid, size_t len)
{
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"shopify_order_id\":\"%s\",\"lines\":[{\"line_item_id\":%s,\"quantity\":1}],"
		 "\"outcome\":\"refund\"}", o->id, o->line_id);
	return lcs_post(s, "/control/loop/returns", body, "id", rid, len) == 200 && rid[0];
}

/* The RA through the engine's netsuite endpoint; *iid = its internal id. */
__attribute__((unused)) static bool lcs_ra(struct lcs *s, struct bh_test_engine *te,
					   const struct lcs_order *o, const char *rid, char *iid,
					   size_t len)
{
	void *ctx = NULL;
	const struct bh_erp_ops *ops = bh_test_cap(te, "netsuite", BH_CAP_ERP, &ctx);
	char doc[1024], *out = NULL;
	struct bh_status st;
	(void)s;
	if (!ops)
		return false;
	snprintf(doc, sizeof(doc),
		 "{\"external_id\":\"loop-ra-%s\",\"sales_order\":{\"external_id\":"
		 "\"shopify-order-%s\"},\"return_id\":\"%s\",\"lines\":[{\"sku\":\"%s\","
		 "\"quantity\":1,\"rate\":\"40.00\",\"amount\":\"40.00\",\"tax\":\"3.20\"}],"
		 "\"adjustments\":[],\"memo\":\"lifecycle test\"}", rid, o->id, rid, o->sku);
	memset(&st, 0, sizeof(st));
	int rc = ops->create_return_authorization(ctx, doc, &out, &st);
	iid[0] = '\0';
	if (rc == 0 && out) {
		json_object *a = json_tokener_parse(out), *v;
		if (a && json_object_object_get_ex(a, "internal_id", &v))
			snprintf(iid, len, "%s", json_object_get_string(v));
		json_object_put(a);
	} else {
		diag("create_return_authorization: %d %s %s", rc, st.code, st.message);
	}
	free(out);
	return rc == 0 && iid[0];
}

__attribute__((unused)) static void lcs_sync(struct bh_test_engine *te)
{
	bh_engine_sync_now(te->eng, NULL);
}

__attribute__((unused)) static long long lcs_count(struct bh_test_engine *te, const char *name,
						   const char *what)
{
	struct bh_instance *in = bh_engine_find(te->eng, name);
	long long v = 0;
	if (!in)
		return -1;
	pthread_mutex_lock(&te->eng->lock);
	if (strcmp(what, "ok") == 0)
		v = (long long)in->total_ok;
	else if (strcmp(what, "retried") == 0)
		v = (long long)in->total_retried;
	else if (strcmp(what, "dead") == 0)
		v = (long long)in->total_dead;
	else if (strcmp(what, "polls") == 0)
		v = (long long)in->polls;
	else
		for (size_t i = 0; i < in->n_counters; i++)
			if (strcmp(in->counters[i].name, what) == 0)
				v = in->counters[i].value;
	pthread_mutex_unlock(&te->eng->lock);
	return v;
}

/* Poll cond(arg) every 20 ms until the deadline, asking the sources to poll each
 * half second. */
__attribute__((unused)) static bool lcs_wait(struct bh_test_engine *te, int64_t ms,
					     bool (*cond)(void *), void *arg)
{
	int64_t dl = tap_mono_ms() + ms, next_sync = 0;
	while (tap_mono_ms() < dl) {
		if (cond(arg))
			return true;
		if (tap_mono_ms() >= next_sync) {
			lcs_sync(te);
			next_sync = tap_mono_ms() + 500;
		}
		struct timespec ts = {0, 20 * 1000000L}; /* polling the condition */
		nanosleep(&ts, NULL);
	}
	return cond(arg);
}

#endif
