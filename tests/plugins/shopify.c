/*
 * shopify.c - the shopify endpoint plugin loaded by the engine (real loader) against
 * backhaul-sim over loopback:
 *   poll        pagination, durable cursor (restart: nothing emitted again), updates
 *   webhooks    sim-driven deliveries (orders/create, refunds/create, orders/updated),
 *               poll + webhook of one change = one record, HMAC valid / invalid (401,
 *               nothing stored) / missing, the same delivery three times = one record,
 *               secret rotation
 *   throttling  THROTTLED waits the advertised (requested - available) / restoreRate,
 *               whatever the HTTP status, measured with a clock; a wait beyond
 *               call_max_wait gives BH_ERETRY with the delay
 *   retries     5xx / timeouts: capability calls answer BH_ERETRY with retry_after; the
 *               poll retries with backoff, gives up after max_retries (cursor kept)
 *   Retry-After a plain 429 with "Retry-After: 1.5" (canned server): waited in poll,
 *               reported in capability calls
 *   ids         order, line and customer ids beyond 2^53 exact
 *   fixtures    Shopify's REST examples loaded into the simulator, read back through
 *               the plugin: exact ids and amounts (skip when reference data is absent)
 *   exchange    EXC<number> linked to its original order by name
 *   storefront  list_orders paging, find_order_by_name
 *   auth        client-credentials token: warm, refreshed after a 401 (sim clock moved
 *               past expiry), refreshed ahead of expiry, one refresh under concurrency
 *   diagnostics all checks pass; a wrong token, an unreachable shop and a wrong API
 *               version each give a clear failing check
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "shopify_test.h"

#include <backhaul/diag.h>
#include <backhaul/storefront.h>

#define TOKEN "shpat_backhaul_test_token_00000001"
#define WHSEC "whsec-current-0001"
#define WHSEC_OLD "whsec-previous-0001"

static struct bh_test_sim sim;
static char work[128];

/* ---------------------------------------------------------------- small helpers */

static void pause_ms(long ms)
{
	/* pacing of condition polls only; every wait is bounded by a deadline */
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static json_object *jpath(json_object *o, const char *path)
{
	char part[64];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		json_object *v = NULL;
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		if (json_object_is_type(o, json_type_array))
			v = json_object_array_get_idx(o, (size_t)atoi(part));
		else if (!json_object_object_get_ex(o, part, &v))
			v = NULL;
		o = v;
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *js(json_object *o, const char *path)
{
	json_object *v = jpath(o, path);
	return v && !json_object_is_type(v, json_type_null) ? json_object_get_string(v) : NULL;
}

static json_object *ctl(const char *method, const char *path, const char *body, long *status)
{
	char *r = NULL, full[300];
	snprintf(full, sizeof(full), "/control%s", path);
	long st = bh_test_ctl(&sim, method, full, body, &r);
	json_object *o = r ? json_tokener_parse(r) : NULL;
	if (status)
		*status = st;
	if (st < 200 || st > 299)
		diag("control %s %s -> %ld %s", method, path, st, r ? r : "");
	free(r);
	return o;
}

static bool ctl_ok(const char *method, const char *path, const char *body)
{
	long st;
	json_object_put(ctl(method, path, body, &st));
	return st >= 200 && st <= 299;
}

static int sim_up(void)
{
	char b[160];
	/* --no-xsd: the NetSuite side's schema loading is not needed here */
	if (bh_test_sim_start(&sim, "--no-xsd") != 0)
		return -1;
	snprintf(b, sizeof(b), "{\"token\":\"%s\"}", TOKEN);
	/* a fast-refilling cost bucket: throttling has its own section */
	if (!ctl_ok("POST", "/shopify/access_token", b) ||
	    !ctl_ok("POST", "/shopify/settings", "{\"dup_rate\":0}") ||
	    !ctl_ok("POST", "/shopify/rate_limits", "{\"graphql\":{\"restore_rate\":2000}}"))
		return -1;
	return 0;
}

/* POST one order (REST shape); id written to id (decimal), name to name. */
static bool make_order(const char *json, char *id, size_t idlen, char *name, size_t nlen)
{
	long st;
	json_object *r = ctl("POST", "/shopify/orders", json, &st);
	json_object *i = jpath(r, "ids.0");
	bool ok_ = st == 201 && i;
	if (ok_) {
		snprintf(id, idlen, "%lld", (long long)json_object_get_int64(i));
		if (name)
			snprintf(name, nlen, "%s", js(r, "names.0") ? js(r, "names.0") : "");
	}
	json_object_put(r);
	return ok_;
}

static bool simple_order(char *id, size_t idlen, char *name, size_t nlen)
{
	return make_order("{\"order\":{\"email\":\"a@example.com\",\"line_items\":[{\"sku\":\"MUG\","
			  "\"title\":\"Mug\",\"quantity\":2,\"price\":\"12.00\"}]}}",
			  id, idlen, name, nlen);
}

static void advance_clock(void)
{
	/* a new second for the next change: updated_at has second resolution */
	ctl_ok("POST", "/shopify/clock", "{\"advance_ms\":2000}");
}

/* ---------------------------------------------------------------- engine helpers */

static struct bh_instance *inst(struct bh_test_engine *te, const char *name)
{
	return bh_engine_find(te->eng, name);
}

static uint64_t polls(struct bh_test_engine *te, const char *name, int *rc, int64_t *ms)
{
	struct bh_instance *in = inst(te, name);
	uint64_t p;
	pthread_mutex_lock(&te->eng->lock);
	p = in->polls;
	if (rc)
		*rc = in->last_poll_rc;
	if (ms)
		*ms = in->last_poll_end_ms - in->last_poll_ms;
	pthread_mutex_unlock(&te->eng->lock);
	return p;
}

static uint64_t emitted(struct bh_test_engine *te, const char *name)
{
	struct bh_instance *in = inst(te, name);
	uint64_t e;
	pthread_mutex_lock(&te->eng->lock);
	e = in->emitted;
	pthread_mutex_unlock(&te->eng->lock);
	return e;
}

static int64_t counter(struct bh_test_engine *te, const char *name, const char *c)
{
	struct bh_instance *in = inst(te, name);
	int64_t v = 0;
	pthread_mutex_lock(&te->eng->lock);
	for (size_t i = 0; i < in->n_counters; i++)
		if (strcmp(in->counters[i].name, c) == 0)
			v = in->counters[i].value;
	pthread_mutex_unlock(&te->eng->lock);
	return v;
}

/* Wait for poll number > after; returns its rc (or -1 on deadline). */
static int wait_poll(struct bh_test_engine *te, const char *name, uint64_t after, int64_t *ms)
{
	int64_t dl = tap_mono_ms() + 30000;
	int rc = -1;
	while (tap_mono_ms() < dl) {
		if (polls(te, name, &rc, ms) > after)
			return rc;
		pause_ms(10);
	}
	return -1;
}

static int sync_poll(struct bh_test_engine *te, const char *name, int64_t *ms)
{
	uint64_t before = polls(te, name, NULL, NULL);
	bh_engine_sync_now(te->eng, name);
	return wait_poll(te, name, before, ms);
}

/* Lines of an out file of mock-sink ("KEY ATTEMPT MAXACTIVE"). */
static int lines(const char *file, char keys[][96], int max)
{
	char path[256], line[512];
	int n = 0;
	snprintf(path, sizeof(path), "%s/%s", work, file);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp)) {
		if (keys && n < max)
			sscanf(line, "%95s", keys[n]);
		n++;
	}
	fclose(fp);
	return n;
}

static void dump(const char *file)
{
	char keys[32][96];
	int n = lines(file, keys, 32);
	for (int i = 0; i < n && i < 32; i++)
		diag("  %s: %s", file, keys[i]);
}

static int wait_lines(const char *file, int n)
{
	int64_t dl = tap_mono_ms() + 15000;
	int got = 0;
	while (tap_mono_ms() < dl && (got = lines(file, NULL, 0)) < n)
		pause_ms(10);
	return got;
}

static bool has_key(const char *file, const char *key)
{
	char keys[64][96];
	int n = lines(file, keys, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

static const char SINKS[] =
	"[flow created]\nplugin = mock-sink\nsubscribe = storefront.order.created\n"
	"out_file = %s/created.out\n\n"
	"[flow updated]\nplugin = mock-sink\nsubscribe = storefront.order.updated\n"
	"out_file = %s/updated.out\n\n"
	"[flow refunds]\nplugin = mock-sink\nsubscribe = storefront.refund.created\n"
	"out_file = %s/refunds.out\n";

/* Start the engine with [endpoint shop] (extra settings appended) and the sinks. */
static int engine(struct bh_test_engine *te, const char *extra)
{
	char conf[4096];
	int n = snprintf(conf, sizeof(conf),
			 "[endpoint shop]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
			 "access_token_env = BH_SHP_TOKEN\npoll_interval = 1h\n%s\n\n",
			 sim.shopify, extra ? extra : "");
	snprintf(conf + n, sizeof(conf) - (size_t)n, SINKS, work, work, work);
	return bh_test_engine_start(conf, te);
}

static int restart(struct bh_test_engine *te)
{
	char dir[256];
	struct bh_engine_opts o;
	int rc;
	snprintf(dir, sizeof(dir), "%s/conf.d", te->dir);
	bh_engine_destroy(te->eng);
	te->eng = NULL;
	memset(&o, 0, sizeof(o));
	o.conf_dir = dir;
	rc = bh_engine_create(&o, &te->eng);
	if (rc == 0 && te->eng->config_errors)
		rc = BH_ECONFIG;
	if (rc == 0)
		rc = bh_engine_start(te->eng);
	return rc;
}

static const struct bh_storefront_ops *storefront(struct bh_test_engine *te, const char *name,
						  void **ctx)
{
	return bh_test_cap(te, name, BH_CAP_STOREFRONT, ctx);
}

static json_object *get_order(struct bh_test_engine *te, const char *id, int *rc,
			      struct bh_status *st)
{
	void *ctx;
	const struct bh_storefront_ops *sf = storefront(te, "shop", &ctx);
	char *out = NULL;
	json_object *o;
	if (!sf) {
		*rc = -1;
		return NULL;
	}
	*rc = sf->get_order(ctx, id, &out, st);
	o = out ? json_tokener_parse(out) : NULL;
	free(out);
	return o;
}

static void new_work(void)
{
	snprintf(work, sizeof(work), "/tmp/bh-shp-XXXXXX");
	if (!mkdtemp(work))
		diag("mkdtemp failed");
}

static void drop_work(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
	if (system(cmd) != 0)
		diag("could not remove %s", work);
}

/* ---------------------------------------------------------------- poll */

static void test_poll(void)
{
	struct bh_test_engine te;
	char ids[7][32], key[128], cur[128], keys[16][96];
	int64_t ms;
	int rc;

	diag("poll: pagination, durable cursor, restart, updates");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	bool made = true;
	for (int i = 0; i < 7; i++) {
		made = made && simple_order(ids[i], sizeof(ids[i]), NULL, 0);
		if (i == 3)
			advance_clock();
	}
	ok(made, "7 orders created in the simulator");
	rc = engine(&te, "page_size = 3");
	is_int(rc, 0, "engine started with the shopify plugin");
	if (rc) {
		bh_test_engine_stop(&te);
		bh_test_sim_stop(&sim);
		return;
	}
	is_int(wait_poll(&te, "shop", 0, NULL), 0, "first poll succeeded");
	is_int(wait_lines("created.out", 7), 7, "7 storefront.order.created records over 3 pages");
	is_int(lines("updated.out", NULL, 0), 0, "no updated records");
	{
		int rc2;
		struct bh_status st;
		json_object *o = get_order(&te, ids[6], &rc2, &st);
		snprintf(key, sizeof(key), "order:%s:%s", ids[6], js(o, "updated_at") ? js(o, "updated_at") : "");
		ok(has_key("created.out", key), "record key is order:<id>:<updated_at> (%s)", key);
		snprintf(key, sizeof(key), "%s %s", js(o, "updated_at") ? js(o, "updated_at") : "", ids[6]);
		json_object_put(o);
	}
	rc = bh_outbox_cursor_get(te.eng->outbox, "shop", cur, sizeof(cur));
	ok(rc > 0 && strcmp(cur, key) == 0, "cursor = last order's updated_at and id ('%s')",
	   rc > 0 ? cur : "");

	is_int(restart(&te), 0, "engine restarted on the same state");
	is_int(wait_poll(&te, "shop", 0, NULL), 0, "poll after the restart succeeded");
	is_int((long long)emitted(&te, "shop"), 0, "nothing emitted again after the restart");
	is_int(lines("created.out", NULL, 0), 7, "still 7 created records");

	advance_clock();
	{
		char b[64];
		snprintf(b, sizeof(b), "/shopify/orders/%s/update", ids[2]);
		ok(ctl_ok("POST", b, "{\"tags\":\"vip\"}"), "order 3 updated in the simulator");
	}
	is_int(sync_poll(&te, "shop", &ms), 0, "poll after the update");
	is_int(wait_lines("updated.out", 1), 1, "one storefront.order.updated record");
	lines("updated.out", keys, 16);
	snprintf(key, sizeof(key), "order:%s:", ids[2]);
	ok(strncmp(keys[0], key, strlen(key)) == 0, "for order 3 (%s)", keys[0]);
	is_int((long long)emitted(&te, "shop"), 1, "exactly one record emitted by that poll");
	is_int(sync_poll(&te, "shop", NULL), 0, "another poll");
	is_int((long long)emitted(&te, "shop"), 1, "nothing new without changes");
	is_int(lines("created.out", NULL, 0), 7, "created records unchanged");
	{
		/* An order that shows up with an updated_at before the cursor (two updates in
		 * one second, a late index, clock skew): the overlap window still finds it. */
		char body[512], late[32], late_id[32];
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		bh_outbox_cursor_get(te.eng->outbox, "shop", cur, sizeof(cur));
		ok(strptime(cur, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL, "cursor time parsed");
		time_t t = timegm(&tm) - 40;
		strftime(late, sizeof(late), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		snprintf(body, sizeof(body),
			 "{\"order\":{\"email\":\"late@example.com\",\"created_at\":\"%s\","
			 "\"updated_at\":\"%s\",\"line_items\":[{\"sku\":\"MUG\",\"title\":\"Mug\","
			 "\"quantity\":1,\"price\":\"12.00\"}]}}", late, late);
		ok(make_order(body, late_id, sizeof(late_id), NULL, 0),
		   "an order appears with updated_at %s, 40 s before the cursor", late);
		is_int(sync_poll(&te, "shop", NULL), 0, "poll");
		is_int(wait_lines("updated.out", 2), 2, "the late order is delivered (poll_overlap)");
		lines("updated.out", keys, 16);
		snprintf(key, sizeof(key), "order:%s:", late_id);
		ok(strncmp(keys[1], key, strlen(key)) == 0, "as order %s (%s)", late_id, keys[1]);
		is_int(sync_poll(&te, "shop", NULL), 0, "another poll");
		is_int(lines("updated.out", NULL, 0) + lines("created.out", NULL, 0), 9,
		       "and only once: the window's re-reads are dropped by their keys");
		char cur2[128];
		bh_outbox_cursor_get(te.eng->outbox, "shop", cur2, sizeof(cur2));
		is_str(cur2, cur, "the cursor did not move backwards");
	}
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- webhooks */

static void sign(const char *secret, const char *body, char out[64])
{
	unsigned char md[32];
	unsigned int n = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body), md, &n);
	EVP_EncodeBlock((unsigned char *)out, md, (int)n);
}

static long post_hook(struct bh_test_engine *te, const char *topic, const char *body,
		      const char *secret, const char *whid, char **resp)
{
	char url[128], h_sig[128], h_topic[96], h_id[128], mac[64];
	const char *hdrs[6];
	int n = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/webhooks/shopify", bh_engine_http_port(te->eng));
	hdrs[n++] = "Content-Type: application/json";
	if (secret) {
		sign(secret, body, mac);
		snprintf(h_sig, sizeof(h_sig), "X-Shopify-Hmac-Sha256: %s", mac);
		hdrs[n++] = h_sig;
	}
	snprintf(h_topic, sizeof(h_topic), "X-Shopify-Topic: %s", topic);
	hdrs[n++] = h_topic;
	snprintf(h_id, sizeof(h_id), "X-Shopify-Webhook-Id: %s", whid);
	hdrs[n++] = h_id;
	hdrs[n] = NULL;
	return bh_test_http("POST", url, hdrs, body, resp);
}

static char *rest_order(const char *id)
{
	char p[96], *r = NULL, full[128];
	snprintf(p, sizeof(p), "/shopify/orders/%s", id);
	snprintf(full, sizeof(full), "/control%s", p);
	bh_test_ctl(&sim, "GET", full, NULL, &r);
	return r;
}

static void test_webhooks(void)
{
	struct bh_test_engine te;
	char a[32], b[128], line_id[32] = "", *body, *resp = NULL, key[128];
	json_object *o;
	uint64_t e0;
	long st;
	int hook_ids[3], nh = 0;

	diag("webhooks: simulator deliveries, HMAC, duplicates, rotation");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	setenv("BH_SHP_WHSEC", WHSEC, 1);
	setenv("BH_SHP_WHSEC_OLD", WHSEC_OLD, 1);
	ok(ctl_ok("POST", "/shopify/webhook_secret", "{\"secret\":\"" WHSEC "\"}"), "sim signs with the app secret");
	is_int(engine(&te, "webhook_path = /webhooks/shopify\nwebhook_secret_env = BH_SHP_WHSEC\n"
			   "webhook_secret_previous_env = BH_SHP_WHSEC_OLD"),
	       0, "engine started with a webhook route (current and previous secret)");
	is_int(wait_poll(&te, "shop", 0, NULL), 0, "first poll (no orders yet)");
	const char *topics[] = {"orders/create", "orders/updated", "refunds/create"};
	for (int i = 0; i < 3; i++) {
		snprintf(b, sizeof(b),
			 "{\"topic\":\"%s\",\"address\":\"http://127.0.0.1:%d/webhooks/shopify\"}",
			 topics[i], bh_engine_http_port(te.eng));
		o = ctl("POST", "/shopify/webhooks", b, &st);
		if (st == 201)
			hook_ids[nh++] = json_object_get_int(jpath(o, "webhook.id"));
		json_object_put(o);
	}
	is_int(nh, 3, "simulator subscribed to 3 topics");

	ok(simple_order(a, sizeof(a), NULL, 0), "order created (fires orders/create)");
	is_int(wait_lines("created.out", 1), 1, "storefront.order.created stored from the webhook");
	/* the handler counts after emit() returned; the sink may have written first */
	{
		int64_t dl = tap_mono_ms() + 10000;
		while (tap_mono_ms() < dl && counter(&te, "shop", "webhooks_stored") < 1)
			pause_ms(10);
	}
	is_int(counter(&te, "shop", "webhooks_stored"), 1, "counted as stored by a webhook");
	e0 = emitted(&te, "shop");
	is_int(sync_poll(&te, "shop", NULL), 0, "poll over the same order");
	if (!is_int((long long)(emitted(&te, "shop") - e0), 0, "poll + webhook of one change = one record")) {
		pause_ms(500);
		dump("created.out");
		dump("updated.out");
	}

	/* a refund: refunds/create then orders/updated */
	body = rest_order(a);
	o = body ? json_tokener_parse(body) : NULL;
	if (js(o, "line_items.0.id"))
		snprintf(line_id, sizeof(line_id), "%s", js(o, "line_items.0.id"));
	json_object_put(o);
	free(body);
	advance_clock();
	snprintf(b, sizeof(b), "{\"refund_line_items\":[{\"line_item_id\":%s,\"quantity\":1,"
			       "\"restock_type\":\"return\"}]}",
		 line_id);
	{
		char p[96];
		snprintf(p, sizeof(p), "/shopify/orders/%s/refund", a);
		o = ctl("POST", p, b, &st);
		is_int(st, 201, "refund created in the simulator");
		snprintf(key, sizeof(key), "refund:%s", js(o, "refund.id") ? js(o, "refund.id") : "?");
		json_object_put(o);
	}
	is_int(wait_lines("refunds.out", 1), 1, "storefront.refund.created stored from refunds/create");
	ok(has_key("refunds.out", key), "its key is %s", key);
	is_int(wait_lines("updated.out", 1), 1, "storefront.order.updated stored from orders/updated");
	{
		int64_t dl = tap_mono_ms() + 10000;
		while (tap_mono_ms() < dl && counter(&te, "shop", "webhooks_stored") < 3)
			pause_ms(10);
	}
	e0 = emitted(&te, "shop");
	is_int(sync_poll(&te, "shop", NULL), 0, "poll after the refund");
	is_int((long long)(emitted(&te, "shop") - e0), 0, "the poll finds nothing new (refund and update known)");

	/* direct deliveries: stop the simulator's own deliveries first */
	for (int i = 0; i < nh; i++) {
		snprintf(b, sizeof(b), "/shopify/webhooks/%d", hook_ids[i]);
		ctl_ok("DELETE", b, NULL);
	}
	advance_clock();
	snprintf(b, sizeof(b), "/shopify/orders/%s/update", a);
	ok(ctl_ok("POST", b, "{\"note\":\"changed\"}"), "order changed without a webhook");
	body = rest_order(a);
	e0 = emitted(&te, "shop");
	st = post_hook(&te, "orders/updated", body, "not-the-secret", "wh-bad-1", &resp);
	is_int(st, 401, "wrong signature: 401");
	free(resp);
	st = post_hook(&te, "orders/updated", body, NULL, "wh-bad-2", &resp);
	is_int(st, 401, "no signature: 401");
	free(resp);
	is_int((long long)(emitted(&te, "shop") - e0), 0, "nothing stored for refused deliveries");
	is_int(lines("updated.out", NULL, 0), 1, "no record delivered for them");
	int stored = 0, dup = 0;
	for (int i = 0; i < 3; i++) {
		st = post_hook(&te, "orders/updated", body, WHSEC, "wh-same-0001", &resp);
		if (st == 200 && resp && strstr(resp, "\"stored\":1"))
			stored++;
		if (st == 200 && resp && strstr(resp, "duplicate"))
			dup++;
		free(resp);
		resp = NULL;
	}
	ok(stored == 1 && dup == 2, "same delivery three times: stored once, then duplicates (%d/%d)",
	   stored, dup);
	is_int(wait_lines("updated.out", 2), 2, "one new updated record");
	is_int((long long)(emitted(&te, "shop") - e0), 1, "exactly one record emitted");
	st = post_hook(&te, "orders/updated", body, WHSEC, "wh-other-0002", &resp);
	ok(st == 200 && resp && strstr(resp, "\"stored\":0"),
	   "another delivery of the same change: 200, deduplicated by key (%s)", resp ? resp : "");
	free(resp);
	free(body);

	/* rotation: the previous secret is accepted too */
	advance_clock();
	snprintf(b, sizeof(b), "/shopify/orders/%s/update", a);
	ctl_ok("POST", b, "{\"note\":\"rotated\"}");
	body = rest_order(a);
	st = post_hook(&te, "orders/updated", body, WHSEC_OLD, "wh-rot-1", &resp);
	ok(st == 200 && resp && strstr(resp, "\"stored\":1"), "signed with the previous secret: stored");
	free(resp);
	st = post_hook(&te, "orders/updated", body, WHSEC, "wh-rot-2", &resp);
	is_int(st, 200, "signed with the current secret: accepted");
	free(resp);
	st = post_hook(&te, "orders/updated", body, "some-third-secret", "wh-rot-3", &resp);
	is_int(st, 401, "signed with another secret: 401");
	free(resp);
	free(body);
	st = post_hook(&te, "orders/delete", "{\"id\":1}", WHSEC, "wh-del-1", &resp);
	ok(st == 200 && resp && strstr(resp, "ignored"), "orders/delete acknowledged and ignored");
	free(resp);
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- throttling */

static void test_throttle(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char a[32];
	int rc;
	int64_t t0, el, w0, w;
	json_object *o;

	diag("throttling: THROTTLED waits (requested - available) / restoreRate");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	ok(simple_order(a, sizeof(a), NULL, 0), "order created");
	is_int(engine(&te, "call_max_wait = 5s\npoll = false"), 0, "engine started");

	/* injected THROTTLED with HTTP 429: requested = 1000 (the maximum), available 800 */
	ok(ctl_ok("POST", "/shopify/rate_limits",
		  "{\"graphql\":{\"maximum_available\":1000,\"currently_available\":800,"
		  "\"restore_rate\":400}}") &&
		   ctl_ok("POST", "/faults",
			  "{\"service\":\"shopify\",\"operation\":\"graphql\",\"rate_429\":1.0,\"count\":1}"),
	   "bucket at 800/1000 (+400/s), next GraphQL call throttled with HTTP 429");
	w0 = counter(&te, "shop", "throttle_wait_ms");
	t0 = tap_mono_ms();
	o = get_order(&te, a, &rc, &st);
	el = tap_mono_ms() - t0;
	w = counter(&te, "shop", "throttle_wait_ms") - w0;
	is_int(rc, 0, "get_order succeeded after the throttle");
	/* 500 ms, less what refilled between the set-up and the call */
	ok(w >= 300 && w <= 500, "advertised wait (1000 - ~800) / 400 s honoured: %lld ms", (long long)w);
	ok(el >= w && el < w + 3000, "the call took the wait: %lld ms >= %lld ms", (long long)el,
	   (long long)w);
	is_int(counter(&te, "shop", "throttled"), 1, "one throttled answer");
	json_object_put(o);

	/* the simulator's own bucket: available 0, +1000/s, THROTTLED with HTTP 200 */
	ok(ctl_ok("POST", "/shopify/rate_limits",
		  "{\"graphql\":{\"currently_available\":0,\"restore_rate\":1000}}"),
	   "bucket empty, +1000/s");
	w0 = counter(&te, "shop", "throttle_wait_ms");
	t0 = tap_mono_ms();
	o = get_order(&te, a, &rc, &st);
	el = tap_mono_ms() - t0;
	w = counter(&te, "shop", "throttle_wait_ms") - w0;
	is_int(rc, 0, "get_order succeeded (THROTTLED with HTTP 200)");
	ok(w >= 50 && w <= 1000 && el >= w, "waited requested/1000 s: %lld ms (call %lld ms)",
	   (long long)w, (long long)el);
	is_int(counter(&te, "shop", "throttled"), 2, "second throttled answer counted");
	json_object_put(o);

	ok(ctl_ok("POST", "/shopify/settings", "{\"throttle_status\":429}") &&
		   ctl_ok("POST", "/shopify/rate_limits",
			  "{\"graphql\":{\"currently_available\":0,\"restore_rate\":1000}}"),
	   "THROTTLED now answered with HTTP 429");
	o = get_order(&te, a, &rc, &st);
	is_int(rc, 0, "get_order succeeded (THROTTLED with HTTP 429)");
	is_int(counter(&te, "shop", "throttled"), 3, "detected by its code whatever the status");
	json_object_put(o);

	/* a wait beyond call_max_wait: BH_ERETRY with the delay, no sleeping */
	ok(ctl_ok("POST", "/shopify/rate_limits",
		  "{\"graphql\":{\"currently_available\":0,\"restore_rate\":10}}"),
	   "bucket empty, +10/s");
	t0 = tap_mono_ms();
	o = get_order(&te, a, &rc, &st);
	el = tap_mono_ms() - t0;
	is_int(rc, BH_ERETRY, "a throttle longer than call_max_wait: BH_ERETRY");
	ok(strcmp(st.code, "THROTTLED") == 0 && st.retry_after_ms > 5000,
	   "status THROTTLED with retry_after %lld ms", (long long)st.retry_after_ms);
	ok(el < 2000, "answered without waiting (%lld ms)", (long long)el);
	json_object_put(o);
	ctl_ok("POST", "/shopify/rate_limits",
	       "{\"graphql\":{\"currently_available\":1000,\"restore_rate\":50}}");
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- retries */

static void test_retries(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char a[32], c[32], cur0[128], cur1[128];
	int rc;
	int64_t ms, r0;
	json_object *o;

	diag("retries: 5xx and timeouts");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	ok(simple_order(a, sizeof(a), NULL, 0), "order created");
	is_int(engine(&te, "retry_backoff = 100ms\nmax_retries = 2\ntimeout = 1s"), 0, "engine started");
	is_int(wait_poll(&te, "shop", 0, NULL), 0, "first poll");
	is_int(wait_lines("created.out", 1), 1, "first order stored");

	ctl_ok("POST", "/faults", "{\"service\":\"shopify\",\"operation\":\"graphql\",\"rate_5xx\":1.0,\"count\":1}");
	o = get_order(&te, a, &rc, &st);
	is_int(rc, BH_ERETRY, "capability call on a 500: BH_ERETRY");
	ok(st.http_status == 500 && st.retry_after_ms == 100,
	   "status 500 with retry_after %lld ms (retry_backoff)", (long long)st.retry_after_ms);
	json_object_put(o);

	ok(simple_order(c, sizeof(c), NULL, 0), "second order created");
	ctl_ok("POST", "/faults", "{\"service\":\"shopify\",\"operation\":\"graphql\",\"rate_5xx\":1.0,\"count\":2}");
	r0 = counter(&te, "shop", "retries");
	is_int(sync_poll(&te, "shop", &ms), 0, "poll through two 500s succeeded");
	ok(ms >= 300, "after backoffs of 100 + 200 ms (poll took %lld ms)", (long long)ms);
	is_int(counter(&te, "shop", "retries") - r0, 2, "two retries");
	is_int(wait_lines("created.out", 2), 2, "second order stored");

	advance_clock();
	ok(simple_order(c, sizeof(c), NULL, 0), "third order created");
	ctl_ok("POST", "/faults",
	       "{\"service\":\"shopify\",\"operation\":\"graphql\",\"rate_timeout\":1.0,\"count\":1,"
	       "\"timeout_ms\":3000}");
	r0 = counter(&te, "shop", "retries");
	is_int(sync_poll(&te, "shop", &ms), 0, "poll through a timeout succeeded");
	ok(ms >= 1000, "after the 1 s request timeout (poll took %lld ms)", (long long)ms);
	is_int(counter(&te, "shop", "retries") - r0, 1, "one retry");
	is_int(wait_lines("created.out", 3), 3, "third order stored");

	advance_clock();
	ok(simple_order(c, sizeof(c), NULL, 0), "fourth order created");
	ctl_ok("POST", "/faults", "{\"service\":\"shopify\",\"operation\":\"graphql\",\"rate_5xx\":1.0}");
	bh_outbox_cursor_get(te.eng->outbox, "shop", cur0, sizeof(cur0));
	rc = sync_poll(&te, "shop", &ms);
	is_int(rc, BH_ERETRY, "persistent 500s: the poll gives up with BH_ERETRY");
	bh_outbox_cursor_get(te.eng->outbox, "shop", cur1, sizeof(cur1));
	is_str(cur1, cur0, "cursor unchanged");
	ctl_ok("DELETE", "/faults", NULL);
	is_int(sync_poll(&te, "shop", NULL), 0, "next poll succeeds");
	is_int(wait_lines("created.out", 4), 4, "fourth order stored");
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- Retry-After */

static void test_retry_after(void)
{
	static const char busy[] = "{\"errors\":\"Too many requests\"}";
	static const char empty[] =
		"{\"data\":{\"orders\":{\"pageInfo\":{\"hasNextPage\":false,\"endCursor\":null},"
		"\"nodes\":[]}}}";
	char r429a[512], page[512], r429b[512];
	snprintf(r429a, sizeof(r429a),
		 "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
		 "Retry-After: 1.5\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 strlen(busy), busy);
	snprintf(page, sizeof(page),
		 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s",
		 strlen(empty), empty);
	snprintf(r429b, sizeof(r429b),
		 "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
		 "Retry-After: 2.0\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 strlen(busy), busy);
	const char *const resp[] = {r429a, page, r429b};
	struct bh_shp_canned srv;
	struct bh_test_engine te;
	struct bh_status st;
	char conf[1024];
	int64_t ms;
	void *ctx;
	char *out = NULL;

	diag("Retry-After: a plain 429 (canned server)");
	if (bh_shp_canned_start(&srv, resp, 3) != 0) {
		ok(0, "canned server started");
		return;
	}
	snprintf(conf, sizeof(conf),
		 "[endpoint shop]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		 "access_token_env = BH_SHP_TOKEN\npoll_interval = 1h\nretry_backoff = 10ms\n",
		 srv.port);
	is_int(bh_test_engine_start(conf, &te), 0, "engine started against the canned server");
	is_int(wait_poll(&te, "shop", 0, &ms), 0, "poll succeeded after the 429");
	ok(ms >= 1500, "it waited Retry-After: 1.5 s (poll took %lld ms)", (long long)ms);
	const struct bh_storefront_ops *sf = storefront(&te, "shop", &ctx);
	int rc = sf ? sf->get_order(ctx, "1", &out, &st) : -1;
	is_int(rc, BH_ERETRY, "capability call on a 429: BH_ERETRY");
	is_int(st.retry_after_ms, 2000, "retry_after = Retry-After 2.0 s in ms");
	is_int(st.http_status, 429, "status 429");
	free(out);
	bh_test_engine_stop(&te);
	bh_shp_canned_stop(&srv);
}

/* ---------------------------------------------------------------- ids, fixtures */

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *t = NULL;
	long n;
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	t = calloc(1, (size_t)n + 1);
	if (t && fread(t, 1, (size_t)n, fp) != (size_t)n) {
		free(t);
		t = NULL;
	}
	fclose(fp);
	return t;
}

static void test_big_ids(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char id[32], key[128];
	int rc;
	json_object *o;

	diag("ids beyond 2^53");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	ok(make_order("{\"order\":{\"id\":9007199254740993,\"email\":\"b@example.com\","
		      "\"customer\":{\"id\":9007199254740997,\"email\":\"b@example.com\","
		      "\"first_name\":\"Big\",\"last_name\":\"Id\"},"
		      "\"line_items\":[{\"id\":9007199254740995,\"sku\":\"BIG\",\"title\":\"Big\","
		      "\"quantity\":1,\"price\":\"10.00\"}]}}",
		      id, sizeof(id), NULL, 0) &&
		   strcmp(id, "9007199254740993") == 0,
	   "order 9007199254740993 (2^53 + 1) created");
	is_int(engine(&te, NULL), 0, "engine started");
	o = get_order(&te, "9007199254740993", &rc, &st);
	is_int(rc, 0, "get_order");
	is_str(js(o, "id"), "9007199254740993", "order id exact");
	is_str(js(o, "lines.0.id"), "9007199254740995", "line item id exact");
	is_str(js(o, "customer.id"), "9007199254740997", "customer id exact");
	snprintf(key, sizeof(key), "order:9007199254740993:%s", js(o, "updated_at") ? js(o, "updated_at") : "");
	json_object_put(o);
	is_int(wait_lines("created.out", 1), 1, "polled");
	ok(has_key("created.out", key), "record key carries the exact id (%s)", key);
	o = get_order(&te, "9007199254740992", &rc, &st);
	is_int(rc, BH_ENOENT, "the neighbour id 2^53 is another order: BH_ENOENT");
	json_object_put(o);
	o = get_order(&te, "12ab", &rc, &st);
	is_int(rc, BH_EREJECT, "a malformed id is rejected");
	json_object_put(o);
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

static void test_fixtures(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char p[4400], *order, *txs, *body;
	int rc;
	json_object *o, *tj, *oj;
	const char *shared = tap_shared_dir();

	diag("Shopify's reference fixtures read back through the plugin");
	if (!shared) {
		ok(1, "fixtures # SKIP reference data absent (set BH_SHARED_DIR)");
		return;
	}
	snprintf(p, sizeof(p), "%s/reference/shopify/rest-2026-07_order_450789469_get.json", shared);
	order = slurp(p);
	snprintf(p, sizeof(p), "%s/reference/shopify/rest-2026-07_transactions_list.json", shared);
	txs = slurp(p);
	if (!order || !txs) {
		ok(1, "fixtures # SKIP %s missing", p);
		free(order);
		free(txs);
		return;
	}
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	/* the order with its transaction list (authorization -> capture -> refund) */
	oj = json_tokener_parse(order);
	tj = json_tokener_parse(txs);
	{
		/* the refund transaction is already embedded in the order's refund: keep the
		 * authorization and the capture only */
		json_object *keep = json_object_new_array(), *all = jpath(tj, "transactions");
		for (size_t i = 0; all && i < json_object_array_length(all); i++) {
			json_object *t = json_object_array_get_idx(all, i);
			if (js(t, "kind") && strcmp(js(t, "kind"), "refund") != 0)
				json_object_array_add(keep, json_object_get(t));
		}
		json_object_object_add(jpath(oj, "order"), "transactions", keep);
	}
	body = strdup(json_object_to_json_string_ext(oj, JSON_C_TO_STRING_PLAIN));
	json_object_put(oj);
	json_object_put(tj);
	ok(ctl_ok("POST", "/shopify/orders", body), "fixture order 450789469 loaded with its transactions");
	free(body);
	is_int(engine(&te, "poll = false"), 0, "engine started");
	o = get_order(&te, "450789469", &rc, &st);
	is_int(rc, 0, "get_order 450789469 (%s)", st.message);
	is_str(js(o, "id"), "450789469", "id");
	is_str(js(o, "name"), "#1001", "name");
	is_int(json_object_get_int(jpath(o, "number")), 1001, "number");
	is_str(js(o, "created_at"), "2008-01-10T16:00:00Z", "created_at in UTC");
	is_str(js(o, "currency"), "USD", "currency");
	is_str(js(o, "financial_status"), "partially_refunded", "financial_status");
	is_str(js(o, "customer.id"), "207119551", "customer id");
	is_str(js(o, "customer.email"), "bob.norman@mail.example.com", "customer email");
	is_str(js(o, "customer.last_name"), "Norman", "customer name");
	is_int((long long)json_object_array_length(jpath(o, "lines")), 3, "3 lines");
	const char *lid[] = {"466157049", "518995019", "703073504"};
	const char *sku[] = {"IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"};
	const char *dis[] = {"3.34", "3.33", "3.33"};
	for (int i = 0; i < 3; i++) {
		char k[32];
		snprintf(k, sizeof(k), "lines.%d", i);
		json_object *l = jpath(o, k);
		ok(js(l, "id") && strcmp(js(l, "id"), lid[i]) == 0 && strcmp(js(l, "sku"), sku[i]) == 0 &&
			   json_object_get_int(jpath(l, "quantity")) == 1 &&
			   strcmp(js(l, "price"), "199.00") == 0 && strcmp(js(l, "discount"), dis[i]) == 0 &&
			   strcmp(js(l, "tax"), "3.98") == 0 && js(l, "tax_lines.0.rate") &&
			   strcmp(js(l, "tax_lines.0.rate"), "0.06") == 0,
		   "line %s %s: 1 x 199.00, discount %s, tax 3.98 at 0.06", lid[i], sku[i], dis[i]);
	}
	is_str(js(o, "shipping.0.title"), "Free Shipping", "shipping line");
	is_str(js(o, "shipping.0.price"), "0.00", "shipping price");
	is_str(js(o, "discounts.0.code"), "TENOFF", "discount code");
	is_str(js(o, "discounts.0.type"), "fixed_amount", "discount type");
	is_str(js(o, "discounts.0.amount"), "10.00", "discount amount = 3.34 + 3.33 + 3.33");
	is_str(js(o, "totals.subtotal"), "597.00", "subtotal 3 x 199.00");
	is_str(js(o, "totals.discount"), "10.00", "discount");
	is_str(js(o, "totals.tax"), "11.94", "tax");
	is_str(js(o, "totals.shipping"), "0.00", "shipping");
	is_str(js(o, "totals.total"), "598.94", "total = Shopify's total_price 598.94");
	is_str(js(o, "totals.refunded"), "209.00", "refunded");
	ok(js(o, "tenders.0.gateway") && strcmp(js(o, "tenders.0.gateway"), "bogus") == 0 &&
		   strcmp(js(o, "tenders.0.kind"), "card") == 0 &&
		   strcmp(js(o, "tenders.0.amount"), "250.94") == 0 && !jpath(o, "tenders.1"),
	   "tender: the capture of 250.94 on bogus (authorization and refund excluded)");
	is_str(js(o, "refunds.0.id"), "509562969", "refund id");
	is_str(js(o, "refunds.0.amount"), "209.00", "refund amount");
	ok(jpath(o, "exchange") == NULL, "not an exchange");
	json_object_put(o);
	bh_test_engine_stop(&te);

	/* the cancelled order refunded over two gateways */
	free(order);
	snprintf(p, sizeof(p), "%s/reference/shopify/rest-2026-07_order_cancel_giftcard_refund.json", shared);
	order = slurp(p);
	ok(order && ctl_ok("POST", "/shopify/reset", "{}") && ctl_ok("POST", "/shopify/orders", order),
	   "cancel + gift-card refund fixture loaded");
	is_int(engine(&te, "poll = false"), 0, "engine started");
	o = get_order(&te, "450789469", &rc, &st);
	is_int(rc, 0, "get_order (%s)", st.message);
	is_str(js(o, "cancelled_at"), "2025-04-02T16:31:11Z", "cancelled_at in UTC");
	is_str(js(o, "financial_status"), "refunded", "financial_status refunded");
	json_object *rt = jpath(o, "refunds.0.transactions");
	bool bogus = false, gift = false;
	for (size_t i = 0; rt && i < json_object_array_length(rt); i++) {
		json_object *t = json_object_array_get_idx(rt, i);
		if (js(t, "gateway") && strcmp(js(t, "gateway"), "bogus") == 0 &&
		    strcmp(js(t, "amount"), "10.00") == 0)
			bogus = true;
		if (js(t, "gateway") && strcmp(js(t, "gateway"), "gift_card") == 0 &&
		    strcmp(js(t, "amount"), "100.00") == 0)
			gift = true;
	}
	ok(bogus && gift, "refund split: bogus 10.00 + gift_card 100.00");
	json_object_put(o);
	bh_test_engine_stop(&te);

	/* the legacy fixture (older REST shape) */
	free(order);
	snprintf(p, sizeof(p), "%s/reference/shopify/legacy-python-fixture_order.json", shared);
	order = slurp(p);
	ok(order && ctl_ok("POST", "/shopify/reset", "{}") && ctl_ok("POST", "/shopify/orders", order),
	   "legacy fixture loaded");
	is_int(engine(&te, "poll = false"), 0, "engine started");
	o = get_order(&te, "450789469", &rc, &st);
	is_int(rc, 0, "get_order (%s)", st.message);
	ok(js(o, "lines.2.id") && strcmp(js(o, "lines.2.id"), "703073504") == 0 &&
		   strcmp(js(o, "lines.2.sku"), "IPOD2008BLACK") == 0 &&
		   strcmp(js(o, "lines.2.price"), "199.00") == 0 &&
		   strcmp(js(o, "totals.subtotal"), "597.00") == 0,
	   "legacy shape: ids, SKUs and prices exact");
	is_str(js(o, "customer.id"), "207119551", "legacy customer id");
	json_object_put(o);
	bh_test_engine_stop(&te);
	free(order);
	free(txs);
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- exchange, storefront */

static void test_exchange_and_lists(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char ids[5][32], names[5][32], x[32], b[512], *out = NULL;
	int rc;
	json_object *o;
	void *ctx;

	diag("exchange orders and the storefront list/find operations");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	bool made = true;
	for (int i = 0; i < 5; i++)
		made = made && simple_order(ids[i], sizeof(ids[i]), names[i], sizeof(names[i]));
	ok(made && names[3][0] == '#', "5 orders created (%s .. %s)", names[0], names[4]);
	snprintf(b, sizeof(b),
		 "{\"order\":{\"name\":\"EXC%s\",\"email\":\"a@example.com\",\"tags\":\"Loop Exchange, %s\","
		 "\"note_attributes\":[{\"name\":\"loop_return_id\",\"value\":\"6042537\"}],"
		 "\"line_items\":[{\"sku\":\"MUG-BLUE\",\"title\":\"Mug\",\"quantity\":1,\"price\":\"12.00\"}],"
		 "\"transactions\":[{\"gateway\":\"gift_card\",\"amount\":\"12.00\",\"kind\":\"sale\","
		 "\"status\":\"success\"}]}}",
		 names[3] + 1, names[3]);
	ok(make_order(b, x, sizeof(x), NULL, 0), "exchange order EXC%s created", names[3] + 1);
	is_int(engine(&te, "poll = false"), 0, "engine started");
	o = get_order(&te, x, &rc, &st);
	is_int(rc, 0, "get_order of the exchange order");
	is_str(js(o, "exchange.original_order_id"), ids[3], "linked to the original's id");
	is_str(js(o, "exchange.original_order_name"), names[3], "and name");
	is_str(js(o, "exchange.return_id"), "6042537", "return id from the order attribute");
	is_str(js(o, "tenders.0.kind"), "gift_card", "exchange credit tender is a gift card");
	json_object_put(o);

	snprintf(b, sizeof(b),
		 "{\"order\":{\"name\":\"EXC%s-2\",\"line_items\":[{\"sku\":\"MUG\",\"title\":\"Mug\","
		 "\"quantity\":1,\"price\":\"12.00\"}]}}",
		 names[3] + 1);
	ok(make_order(b, x, sizeof(x), NULL, 0), "second exchange order EXC%s-2 created", names[3] + 1);
	o = get_order(&te, x, &rc, &st);
	is_str(js(o, "exchange.original_order_id"), ids[3], "EXC<n>-2 linked to #<n>");
	json_object_put(o);
	ok(make_order("{\"order\":{\"name\":\"EXC9999\",\"line_items\":[{\"sku\":\"MUG\",\"title\":\"Mug\","
		      "\"quantity\":1,\"price\":\"12.00\"}]}}",
		      x, sizeof(x), NULL, 0),
	   "exchange order without an original created");
	o = get_order(&te, x, &rc, &st);
	is_int(rc, 0, "still mapped");
	ok(jpath(o, "exchange") && !js(o, "exchange.original_order_id") &&
		   js(o, "exchange.original_order_name") &&
		   strcmp(js(o, "exchange.original_order_name"), "#9999") == 0,
	   "original id null when no order #9999 exists");
	json_object_put(o);

	const struct bh_storefront_ops *sf = storefront(&te, "shop", &ctx);
	rc = sf->find_order_by_name(ctx, names[1], &out, &st);
	o = out ? json_tokener_parse(out) : NULL;
	ok(rc == 0 && js(o, "id") && strcmp(js(o, "id"), ids[1]) == 0, "find_order_by_name(%s)", names[1]);
	json_object_put(o);
	free(out);
	out = NULL;
	rc = sf->find_order_by_name(ctx, "#424242", &out, &st);
	is_int(rc, BH_ENOENT, "find_order_by_name of an unknown name: BH_ENOENT");
	free(out);
	out = NULL;

	/* list_orders: pages of 3 until next_cursor is null */
	int total = 0, pages = 0, dups = 0, over = 0;
	char cursor[512] = "", listed[16][32];
	bool seen_all = true;
	do {
		snprintf(b, sizeof(b), "{\"updated_at_min\":\"2000-01-01T00:00:00Z\",\"limit\":3%s%s%s}",
			 cursor[0] ? ",\"cursor\":\"" : "", cursor, cursor[0] ? "\"" : "");
		rc = sf->list_orders(ctx, b, &out, &st);
		o = out ? json_tokener_parse(out) : NULL;
		free(out);
		out = NULL;
		if (rc) {
			diag("list_orders: %d %s", rc, st.message);
			seen_all = false;
			break;
		}
		for (size_t i = 0; i < json_object_array_length(jpath(o, "orders")); i++) {
			const char *oid = js(json_object_array_get_idx(jpath(o, "orders"), i), "id");
			for (int k = 0; oid && k < total; k++)
				if (strcmp(listed[k], oid) == 0)
					dups++;
			if (oid && total < 16)
				snprintf(listed[total++], sizeof(listed[0]), "%s", oid);
			if ((int)i >= 3)
				over++;
		}
		pages++;
		snprintf(cursor, sizeof(cursor), "%s", js(o, "next_cursor") ? js(o, "next_cursor") : "");
		json_object_put(o);
	} while (cursor[0] && pages < 10);
	ok(seen_all && total == 8 && dups == 0 && over == 0 && pages >= 3,
	   "list_orders: the 8 orders once each, pages of at most 3 (%d orders, %d pages)", total, pages);
	rc = sf->list_orders(ctx, "{\"updated_at_min\":\"yesterday\"}", &out, &st);
	is_int(rc, BH_EREJECT, "list_orders with a bad time: BH_EREJECT");
	free(out);
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- long orders */

static void test_long_orders(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char body[8192], id[32], p[96], *rest;
	size_t n = 0;
	int rc;
	json_object *o, *r;
	long status;

	diag("orders longer than one page of line items / refund lines");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	n += (size_t)snprintf(body + n, sizeof(body) - n, "{\"order\":{\"line_items\":[");
	for (int i = 1; i <= 25; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      "%s{\"sku\":\"L%02d\",\"title\":\"Line %d\",\"quantity\":1,"
				      "\"price\":\"%d.00\"}",
				      i > 1 ? "," : "", i, i, i);
	snprintf(body + n, sizeof(body) - n, "]}}");
	ok(make_order(body, id, sizeof(id), NULL, 0), "order with 25 line items created");
	rest = rest_order(id);
	o = rest ? json_tokener_parse(rest) : NULL;
	free(rest);
	n = (size_t)snprintf(body, sizeof(body), "{\"refund_line_items\":[");
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      "%s{\"line_item_id\":%s,\"quantity\":1,\"restock_type\":\"return\"}",
				      i ? "," : "",
				      js(json_object_array_get_idx(jpath(o, "line_items"), (size_t)i), "id")
					      ? js(json_object_array_get_idx(jpath(o, "line_items"), (size_t)i), "id")
					      : "0");
	snprintf(body + n, sizeof(body) - n, "]}");
	json_object_put(o);
	advance_clock();
	snprintf(p, sizeof(p), "/shopify/orders/%s/refund", id);
	r = ctl("POST", p, body, &status);
	is_int(status, 201, "refund of 12 lines created");
	json_object_put(r);
	is_int(engine(&te, "line_items_page = 10"), 0, "engine started with line_items_page = 10");
	o = get_order(&te, id, &rc, &st);
	is_int(rc, 0, "get_order (%s)", st.message);
	is_int((long long)json_object_array_length(jpath(o, "lines")), 25, "all 25 lines (3 pages)");
	is_str(js(o, "lines.24.sku"), "L25", "the last line is there");
	is_str(js(o, "totals.subtotal"), "325.00", "subtotal 1 + 2 + ... + 25");
	is_int((long long)json_object_array_length(jpath(o, "refunds.0.lines")), 12,
	       "all 12 refund lines (2 pages)");
	json_object_put(o);
	is_int(wait_poll(&te, "shop", 0, NULL), 0, "poll of the long order");
	is_int(wait_lines("created.out", 1), 1, "order record");
	is_int(wait_lines("refunds.out", 1), 1, "refund record");
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- client credentials */

struct cc_arg {
	struct bh_test_engine *te;
	const char *id;
	int rc;
};

static void *cc_thread(void *p)
{
	struct cc_arg *a = p;
	struct bh_status st;
	json_object *o = get_order(a->te, a->id, &a->rc, &st);
	json_object_put(o);
	return NULL;
}

static void test_client_credentials(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char a[32];
	int rc;
	json_object *o;

	diag("client-credentials grant: refresh on expiry and ahead of it");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	ok(ctl_ok("POST", "/shopify/app",
		  "{\"client_id\":\"cid-0001\",\"client_secret\":\"csec-0001\",\"token_ttl_s\":4}"),
	   "simulator app: tokens live 4 s");
	ok(simple_order(a, sizeof(a), NULL, 0), "order created");
	setenv("BH_SHP_CSEC", "csec-0001", 1);
	{
		char conf[1024];
		snprintf(conf, sizeof(conf),
			 "[endpoint shop]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
			 "client_id = cid-0001\nclient_secret_env = BH_SHP_CSEC\npoll = false\n",
			 sim.shopify);
		is_int(bh_test_engine_start(conf, &te), 0, "engine started with client credentials");
	}
	is_int(counter(&te, "shop", "token_refreshes"), 1, "token fetched at start");
	o = get_order(&te, a, &rc, &st);
	is_int(rc, 0, "get_order with the fetched token");
	json_object_put(o);

	ok(ctl_ok("POST", "/shopify/clock", "{\"advance_ms\":5000}"), "simulator clock past the expiry");
	o = get_order(&te, a, &rc, &st);
	is_int(rc, 0, "get_order after the expiry (%s)", st.message);
	is_int(counter(&te, "shop", "token_rejected"), 1, "the expired token was refused once");
	is_int(counter(&te, "shop", "token_refreshes"), 2, "and refreshed");
	json_object_put(o);

	/* ahead of expiry: after half the lifetime (2 s) the next call refreshes first */
	int64_t dl = tap_mono_ms() + 8000;
	while (tap_mono_ms() < dl && counter(&te, "shop", "token_refreshes") < 3) {
		o = get_order(&te, a, &rc, &st);
		json_object_put(o);
		pause_ms(100);
	}
	is_int(counter(&te, "shop", "token_refreshes"), 3, "refreshed ahead of expiry");
	is_int(counter(&te, "shop", "token_rejected"), 1, "without a refused call");

	/* many threads meet an expired token: one refresh */
	ctl_ok("POST", "/shopify/clock", "{\"advance_ms\":5000}");
	pthread_t th[6];
	struct cc_arg args[6];
	int64_t before = counter(&te, "shop", "token_refreshes");
	for (int i = 0; i < 6; i++) {
		args[i] = (struct cc_arg){&te, a, -1};
		pthread_create(&th[i], NULL, cc_thread, &args[i]);
	}
	bool all = true;
	for (int i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		all = all && args[i].rc == 0;
	}
	ok(all, "6 concurrent calls succeeded");
	is_int(counter(&te, "shop", "token_refreshes") - before, 1, "with one refresh between them");
	bh_test_engine_stop(&te);

	/* wrong secret: diagnostics say so */
	setenv("BH_SHP_CSEC", "csec-wrong", 1);
	{
		char conf[1024], *out = NULL;
		void *ctx;
		snprintf(conf, sizeof(conf),
			 "[endpoint shop]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
			 "client_id = cid-0001\nclient_secret_env = BH_SHP_CSEC\npoll = false\n",
			 sim.shopify);
		is_int(bh_test_engine_start(conf, &te), 0, "engine started with a wrong client secret");
		const struct bh_diag_ops *d = bh_test_cap(&te, "shop", BH_CAP_DIAG, &ctx);
		rc = d ? d->test_connection(ctx, &out, &st) : -1;
		is_int(rc, BH_EAUTH, "test-connection: BH_EAUTH");
		ok(out && strstr(out, "client credentials refused") && !strstr(out, "csec-wrong"),
		   "detail names the client credentials, not the secret");
		free(out);
		bh_test_engine_stop(&te);
	}
	bh_test_sim_stop(&sim);
	drop_work();
}

/* ---------------------------------------------------------------- diagnostics */

static const char *check_detail(json_object *o, const char *name, bool *okv)
{
	json_object *c = jpath(o, "checks");
	for (size_t i = 0; c && i < json_object_array_length(c); i++) {
		json_object *x = json_object_array_get_idx(c, i);
		if (js(x, "name") && strcmp(js(x, "name"), name) == 0) {
			*okv = json_object_get_boolean(jpath(x, "ok"));
			return js(x, "detail");
		}
	}
	*okv = false;
	return NULL;
}

static void test_diag(void)
{
	struct bh_test_engine te;
	struct bh_status st;
	char conf[2048], *out = NULL;
	void *ctx;
	int rc;
	bool v;
	json_object *o;
	const struct bh_diag_ops *d;

	diag("diagnostics (test-connection)");
	new_work();
	if (sim_up() != 0) {
		ok(0, "simulator started");
		return;
	}
	setenv("BH_SHP_BAD", "shpat_wrong_token_123", 1);
	snprintf(conf, sizeof(conf),
		 "[endpoint good]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		 "access_token_env = BH_SHP_TOKEN\npoll = false\n\n"
		 "[endpoint bad]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		 "access_token_env = BH_SHP_BAD\npoll = false\n\n"
		 "[endpoint gone]\nplugin = shopify\nbase_url = http://127.0.0.1:1\n"
		 "access_token_env = BH_SHP_TOKEN\npoll = false\ntimeout = 2s\n\n"
		 "[endpoint version]\nplugin = shopify\nbase_url = http://127.0.0.1:%d\n"
		 "access_token_env = BH_SHP_TOKEN\npoll = false\napi_version = 2026-02\n",
		 sim.shopify, sim.shopify, sim.shopify);
	is_int(bh_test_engine_start(conf, &te), 0, "engine with four shopify instances");

	d = bh_test_cap(&te, "good", BH_CAP_DIAG, &ctx);
	rc = d ? d->test_connection(ctx, &out, &st) : -1;
	o = out ? json_tokener_parse(out) : NULL;
	is_int(rc, 0, "right token: every check passes");
	const char *names[] = {"reachable", "api", "authentication", "permission:read_orders",
			       "permission:customer_data"};
	bool all = true;
	for (int i = 0; i < 5; i++) {
		check_detail(o, names[i], &v);
		all = all && v;
	}
	ok(all, "reachable, api, authentication, read_orders, customer data");
	json_object_put(o);
	free(out);
	out = NULL;

	d = bh_test_cap(&te, "bad", BH_CAP_DIAG, &ctx);
	rc = d ? d->test_connection(ctx, &out, &st) : -1;
	o = out ? json_tokener_parse(out) : NULL;
	is_int(rc, BH_EAUTH, "wrong token: BH_EAUTH");
	const char *det = check_detail(o, "authentication", &v);
	ok(!v && det && strstr(det, "401") && strstr(det, "wrong"),
	   "authentication check says so: %s", det ? det : "(none)");
	check_detail(o, "reachable", &v);
	ok(v, "the shop was reachable");
	ok(out && !strstr(out, "shpat_wrong_token_123") && !strstr(st.message, "shpat_wrong"),
	   "the token appears nowhere");
	json_object_put(o);
	free(out);
	out = NULL;

	d = bh_test_cap(&te, "gone", BH_CAP_DIAG, &ctx);
	rc = d ? d->test_connection(ctx, &out, &st) : -1;
	o = out ? json_tokener_parse(out) : NULL;
	is_int(rc, BH_ERETRY, "unreachable shop: BH_ERETRY");
	det = check_detail(o, "reachable", &v);
	ok(!v && det && strstr(det, "unreachable"), "reachable check fails: %s", det ? det : "(none)");
	json_object_put(o);
	free(out);
	out = NULL;

	d = bh_test_cap(&te, "version", BH_CAP_DIAG, &ctx);
	rc = d ? d->test_connection(ctx, &out, &st) : -1;
	o = out ? json_tokener_parse(out) : NULL;
	is_int(rc, BH_EREJECT, "an API version that is not served: BH_EREJECT");
	det = check_detail(o, "api", &v);
	ok(!v && det && strstr(det, "api_version"), "api check names api_version: %s",
	   det ? det : "(none)");
	json_object_put(o);
	free(out);
	bh_test_engine_stop(&te);
	bh_test_sim_stop(&sim);
	drop_work();
}

int main(void)
{
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("BH_TOP_BUILDDIR not set (run through make check)");
	static const struct {
		const char *name;
		void (*fn)(void);
	} parts[] = {{"poll", test_poll},
		     {"webhooks", test_webhooks},
		     {"throttle", test_throttle},
		     {"retries", test_retries},
		     {"retry_after", test_retry_after},
		     {"ids", test_big_ids},
		     {"fixtures", test_fixtures},
		     {"exchange", test_exchange_and_lists},
		     {"long", test_long_orders},
		     {"client_credentials", test_client_credentials},
		     {"diag", test_diag}};
	/* BH_SHOPIFY_TEST=name runs one part (debugging) */
	const char *only = getenv("BH_SHOPIFY_TEST");
	setenv("BH_SHP_TOKEN", TOKEN, 1);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!only || strcmp(only, parts[i].name) == 0)
			parts[i].fn();
	return done_testing();
}
