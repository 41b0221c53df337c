/*
 * loop.c - the `loop` endpoint plugin in the engine (loaded by the real loader) against
 * backhaul-sim's Loop and Shopify simulators, on loopback.
 *
 * What is checked:
 *   - diagnostics: a good key, a refused key (401), an unreachable service;
 *   - poll: windows of at most 120 days (the simulator refuses more), every state on
 *     its own, pagination through nextPageUrl, the durable cursor (a second poll and a
 *     poll after an engine restart read one window and store nothing new);
 *   - webhooks: Loop's real payload signed over its raw bytes, bad / missing signature
 *     (401, nothing stored), secret rotation (old + new), the same webhook three times
 *     (one record), the simulator's own signed deliveries;
 *   - actions: process is asynchronous (queued, confirmed by the return.closed webhook;
 *     processing failure as a processing_failed record), cancel / flag / close / note,
 *     idempotent repeats, Loop's refusals (HTTP 200 with an error body, and 422);
 *   - processed: true after Loop processed a return, false after a close (no outcome
 *     fulfilled) and while open;
 *   - find_returns: every return of one order in every state, oldest first, found
 *     through Get Return Details by order + a bounded list walk across pages (other
 *     orders' returns filtered out), by storefront id and by name; [] for an order
 *     without returns; a return beyond find_returns_span is not seen; bad queries;
 *   - transport: 429 -> wait Retry-After and retry, 5xx and timeouts -> retry, a
 *     persistent 5xx -> BH_ERETRY; the limiter keeps under 300 requests a minute.
 * Records are observed through a mock-sink flow told to reject every "return:" key, so
 * each record lands in the dead letters with its topic, key and body.
 */
#include <inttypes.h>
#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <backhaul/diag.h>
#include <backhaul/portal.h>

#include "harness.h"

#define KEY "sim-loop-api-key"
#define SLOW_KEY "sim-loop-slow-key"
#define SECRET "loop-secret-new"
#define SECRET_PREVIOUS "loop-secret-previous"
#define DAY_MS (24LL * 3600 * 1000)

static struct bh_test_sim sim;
static struct bh_test_engine te;
static const struct bh_portal_ops *portal;
static void *pctx;
static char hook_url[128];

/* ------------------------------------------------------------------- helpers --- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static json_object *ctl_json(const char *method, const char *path, const char *body, long *status)
{
	char *resp = NULL;
	long st = bh_test_ctl(&sim, method, path, body, &resp);
	if (status)
		*status = st;
	json_object *o = resp ? json_tokener_parse(resp) : NULL;
	if (st >= 300)
		diag("control %s %s -> %ld %s", method, path, st, resp ? resp : "");
	free(resp);
	return o;
}

static void ctl(const char *method, const char *path, const char *body)
{
	json_object_put(ctl_json(method, path, body, NULL));
}

static const char *js(json_object *o, const char *k)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, k, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

/* a return of qty units of line line_id on order order_id; returns its id (static) */
static const char *new_return(const char *order_id, const char *line_id, int qty,
			      const char *extra)
{
	static char ids[32][24];
	static int n;
	char body[512];
	snprintf(body, sizeof(body),
		 "{\"shopify_order_id\":\"%s\",\"lines\":[{\"line_item_id\":%s,\"quantity\":%d}],"
		 "\"outcome\":\"refund\"%s%s}", order_id, line_id, qty, extra ? "," : "",
		 extra ? extra : "");
	json_object *o = ctl_json("POST", "/control/loop/returns", body, NULL);
	const char *id = js(o, "id");
	char *slot = ids[n++ % 32];
	snprintf(slot, 24, "%s", id ? id : "0");
	json_object_put(o);
	return slot;
}

static void ret_ctl(const char *id, const char *what)
{
	char path[128];
	snprintf(path, sizeof(path), "/control/loop/returns/%s/%s", id, what);
	ctl("POST", path, NULL);
}

static int fault_add(const char *rule)
{
	json_object *o = ctl_json("POST", "/control/faults", rule, NULL);
	json_object *v;
	int id = o && json_object_object_get_ex(o, "id", &v) ? json_object_get_int(v) : -1;
	json_object_put(o);
	return id;
}

static long long fault_matched(int id)
{
	json_object *o = ctl_json("GET", "/control/faults", NULL, NULL), *arr;
	long long m = -1;
	if (o && json_object_object_get_ex(o, "faults", &arr)) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			json_object *f = json_object_array_get_idx(arr, i), *v;
			if (json_object_object_get_ex(f, "id", &v) && json_object_get_int(v) == id &&
			    json_object_object_get_ex(f, "matched", &v))
				m = json_object_get_int64(v);
		}
	}
	json_object_put(o);
	return m;
}

static void faults_clear(void)
{
	ctl("DELETE", "/control/faults", NULL);
}

static void sim_webhooks_idle(void)
{
	ctl("GET", "/control/webhooks?wait_ms=5000", NULL);
}

static struct bh_instance *inst(const char *name)
{
	return bh_engine_find(te.eng, name);
}

static int64_t counter(const char *name, const char *cname)
{
	struct bh_instance *in = inst(name);
	int64_t v = 0;
	pthread_mutex_lock(&te.eng->lock);
	for (size_t i = 0; i < in->n_counters; i++)
		if (strcmp(in->counters[i].name, cname) == 0)
			v = in->counters[i].value;
	pthread_mutex_unlock(&te.eng->lock);
	return v;
}

static uint64_t emitted(const char *name)
{
	struct bh_instance *in = inst(name);
	pthread_mutex_lock(&te.eng->lock);
	uint64_t v = in->emitted;
	pthread_mutex_unlock(&te.eng->lock);
	return v;
}

static int poll_now(const char *name)
{
	struct bh_instance *in = inst(name);
	return in->plugin->desc->poll(in->ctx);
}

/* ---- records: every one rejected by the probe flow, read from the dead letters ---- */

struct found {
	const char *key;       /* exact key, or prefix when prefix is set */
	bool prefix;
	int n;
	char topic[64];
	char *body;
};

static int dead_fn(void *arg, const struct bh_dead_info *d)
{
	struct found *f = arg;
	bool hit = f->prefix ? strncmp(d->key, f->key, strlen(f->key)) == 0 : strcmp(d->key, f->key) == 0;
	if (hit) {
		f->n++;
		snprintf(f->topic, sizeof(f->topic), "%s", d->topic);
		free(f->body);
		f->body = strndup(d->body, d->body_len);
	}
	return 0;
}

static int probe_queued_fn(void *arg, const struct bh_outbox_flow_stats *fs)
{
	if (fs->name && strcmp(fs->name, "probe") == 0)
		*(uint64_t *)arg = fs->queued;
	return 0;
}

/* wait until the probe flow has nothing queued (every record is a dead letter) */
static void settle(void)
{
	int64_t dl = tap_mono_ms() + 10000;
	while (tap_mono_ms() < dl) {
		struct bh_outbox_stats st;
		uint64_t q = 1;
		bh_outbox_stats(te.eng->outbox, &st, probe_queued_fn, &q);
		if (q == 0)
			return;
		struct timespec ts = {0, 5 * 1000000L}; /* polling the outbox state */
		nanosleep(&ts, NULL);
	}
	diag("the probe flow did not drain in 10 s");
}

static int count_key(const char *key, bool prefix, json_object **body, char *topic, size_t tlen)
{
	struct found f = {.key = key, .prefix = prefix};
	settle();
	bh_outbox_dead_foreach(te.eng->outbox, dead_fn, &f);
	if (body)
		*body = f.body ? json_tokener_parse(f.body) : NULL;
	if (topic)
		snprintf(topic, tlen, "%s", f.topic);
	free(f.body);
	return f.n;
}

/* wait (deadline) for a record with this key or prefix to appear */
static json_object *wait_key(const char *key, bool prefix, int ms)
{
	int64_t dl = tap_mono_ms() + ms;
	do {
		json_object *b = NULL;
		if (count_key(key, prefix, &b, NULL, 0) > 0)
			return b;
		json_object_put(b);
		struct timespec ts = {0, 20 * 1000000L}; /* polling for an asynchronous webhook */
		nanosleep(&ts, NULL);
	} while (tap_mono_ms() < dl);
	return NULL;
}

static const char *jp(json_object *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && o; t = strtok_r(NULL, ".", &save)) {
		json_object *v = NULL;
		if (json_object_is_type(o, json_type_array))
			v = json_object_array_get_idx(o, (size_t)atoi(t));
		else if (!json_object_object_get_ex(o, t, &v))
			return "(absent)";
		o = v;
	}
	return o ? json_object_get_string(o) : "(null)";
}

/* ------------------------------------------------------------------- webhooks --- */

static void sign(const char *secret, const char *body, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md, &n);
	EVP_EncodeBlock((unsigned char *)out, md, (int)n);
}

static long post_hook(const char *body, const char *secret, char **resp)
{
	char sig[128], hdr[160];
	const char *hdrs[3] = {"Content-Type: application/json", NULL, NULL};
	if (secret) {
		sign(secret, body, strlen(body), sig);
		snprintf(hdr, sizeof(hdr), "X-Loop-Signature: %s", sig);
		hdrs[1] = hdr;
	}
	return bh_test_http("POST", hook_url, hdrs, body, resp);
}

static void subscribe_sim(void)
{
	static const char *const t[][2] = {{"return", "return.created"},
					   {"return", "return.updated"},
					   {"return", "return.closed"},
					   {"return.processing", "return.processing.failed"}};
	char body[512];
	ctl("DELETE", "/control/loop/webhooks", NULL);
	for (size_t i = 0; i < 4; i++) {
		snprintf(body, sizeof(body), "{\"topic\":\"%s\",\"trigger\":\"%s\",\"url\":\"%s\"}", t[i][0],
			 t[i][1], hook_url);
		ctl("POST", "/control/loop/webhooks", body);
	}
}

/* ------------------------------------------------------------------- engine --- */

static char conf[4096];

static int engine_start(void)
{
	int rc = bh_test_engine_start(conf, &te);
	if (rc != 0)
		return rc;
	snprintf(hook_url, sizeof(hook_url), "http://127.0.0.1:%d/webhooks/loop",
		 bh_engine_http_port(te.eng));
	portal = bh_test_cap(&te, "loop", BH_CAP_PORTAL, &pctx);
	return portal ? 0 : -1;
}

/* stop and start again on the same state directory (the outbox and cursors persist) */
static int engine_restart(void)
{
	char confd[256];
	bh_engine_destroy(te.eng);
	te.eng = NULL;
	snprintf(confd, sizeof(confd), "%s/conf.d", te.dir);
	struct bh_engine_opts opts = {.conf_dir = confd};
	int rc = bh_engine_create(&opts, &te.eng);
	if (rc == 0)
		rc = bh_engine_start(te.eng);
	if (rc != 0)
		return rc;
	snprintf(hook_url, sizeof(hook_url), "http://127.0.0.1:%d/webhooks/loop",
		 bh_engine_http_port(te.eng));
	portal = bh_test_cap(&te, "loop", BH_CAP_PORTAL, &pctx);
	return portal ? 0 : -1;
}

/* -------------------------------------------------------------------- orders --- */

#define O_PINS "7000000000001"
#define L_PINS "7100000000001"
#define O_MUGS "9007199254740993"
#define L_MUGS "9007199254740995"
#define O_TEES "7000000000003"
#define L_TEES "7100000000003"
#define O_NONE "7000000000004"
#define L_NONE "7100000000004"

static void seed_orders(void)
{
	ctl("POST", "/control/shopify/orders",
	    "{\"orders\":[{\"id\":" O_PINS ",\"name\":\"#2001\",\"email\":\"pin@example.com\","
	    "\"currency\":\"USD\",\"transactions\":[{\"kind\":\"sale\",\"status\":\"success\","
	    "\"gateway\":\"shopify_payments\",\"amount\":\"150.00\"}],"
	    "\"line_items\":[{\"id\":" L_PINS ",\"sku\":\"PIN\",\"title\":\"Pin\",\"quantity\":60,"
	    "\"price\":\"2.50\",\"tax_lines\":[]}]},"
	    "{\"id\":" O_MUGS ",\"name\":\"#2002\",\"email\":\"bo@example.com\",\"currency\":\"USD\","
	    "\"transactions\":[{\"kind\":\"sale\",\"status\":\"success\",\"gateway\":\"shopify_payments\","
	    "\"amount\":\"34.98\"}],\"line_items\":[{\"id\":" L_MUGS ",\"sku\":\"MUG\",\"title\":\"Mug\","
	    "\"quantity\":3,\"price\":\"12.00\",\"tax_lines\":[{\"title\":\"Sales Tax\",\"rate\":0.08,"
	    "\"price\":\"2.58\"}],\"discount_allocations\":[{\"amount\":\"3.60\","
	    "\"discount_application_index\":0}]}]},"
	    "{\"id\":" O_TEES ",\"name\":\"#2003\",\"email\":\"tee@example.com\","
	    "\"currency\":\"USD\",\"transactions\":[{\"kind\":\"sale\",\"status\":\"success\","
	    "\"gateway\":\"shopify_payments\",\"amount\":\"200.00\"}],"
	    "\"line_items\":[{\"id\":" L_TEES ",\"sku\":\"TEE\",\"title\":\"Tee\",\"quantity\":10,"
	    "\"price\":\"20.00\",\"tax_lines\":[]}]},"
	    "{\"id\":" O_NONE ",\"name\":\"#2004\",\"email\":\"no@example.com\","
	    "\"currency\":\"USD\",\"transactions\":[{\"kind\":\"sale\",\"status\":\"success\","
	    "\"gateway\":\"shopify_payments\",\"amount\":\"20.00\"}],"
	    "\"line_items\":[{\"id\":" L_NONE ",\"sku\":\"TEE\",\"title\":\"Tee\",\"quantity\":1,"
	    "\"price\":\"20.00\",\"tax_lines\":[]}]}]}");
}

/* -------------------------------------------------------------------- tests --- */

static void test_diagnostics(void)
{
	void *c;
	char *out = NULL;
	struct bh_status st;
	const struct bh_diag_ops *d = bh_test_cap(&te, "loop", BH_CAP_DIAG, &c);
	ok(d != NULL, "loop offers diagnostics");
	if (!d)
		return;
	is_int(d->test_connection(c, &out, &st), 0, "test-connection passes with the right key");
	json_object *o = out ? json_tokener_parse(out) : NULL;
	is_str(jp(o, "checks.0.name"), "reachable", "check 1: reachable");
	is_str(jp(o, "checks.1.name"), "authentication", "check 2: authentication");
	is_str(jp(o, "checks.2.name"), "permission:returns", "check 3: the Returns scope");
	is_str(jp(o, "checks.2.ok"), "true", "the scope is there");
	is_str(jp(o, "checks.4.name"), "permission:webhooks", "webhook subscriptions are checked");
	ok(strstr(jp(o, "checks.4.detail"), "no active subscription") != NULL,
	   "none made yet, and it says so: %s", jp(o, "checks.4.detail"));
	ok(strstr(out ? out : "", KEY) == NULL, "the key appears nowhere in the report");
	json_object_put(o);
	free(out);

	d = bh_test_cap(&te, "loop-bad", BH_CAP_DIAG, &c);
	is_int(d->test_connection(c, &out, &st), BH_EAUTH, "a wrong key: BH_EAUTH");
	o = out ? json_tokener_parse(out) : NULL;
	is_str(jp(o, "checks.0.ok"), "true", "reachable");
	is_str(jp(o, "checks.1.ok"), "false", "authentication fails");
	ok(strncmp(jp(o, "checks.1.detail"), "the API key was refused (401)", 29) == 0,
	   "detail: %s", jp(o, "checks.1.detail"));
	ok(strstr(jp(o, "checks.1.detail"), "lacks a scope") != NULL,
	   "it says a valid key without the scope also gets 401");
	json_object_put(o);
	free(out);

	d = bh_test_cap(&te, "loop-down", BH_CAP_DIAG, &c);
	is_int(d->test_connection(c, &out, &st), BH_ERETRY, "nothing listening: BH_ERETRY");
	o = out ? json_tokener_parse(out) : NULL;
	is_str(jp(o, "checks.0.ok"), "false", "not reachable");
	ok(strncmp(jp(o, "checks.0.detail"), "cannot reach http://127.0.0.1:1/api/v1", 38) == 0,
	   "detail: %s", jp(o, "checks.0.detail"));
	json_object_put(o);
	free(out);
}

static const char *R[12];

static void test_poll(void)
{
	char extra[96], when[40], key[128];
	int64_t now = now_ms();

	/* back-dated returns fall into different 120-day windows of a 300-day look-back */
	iso(now - 250 * DAY_MS, when, sizeof(when));
	snprintf(extra, sizeof(extra), "\"created_at\":\"%s\"", when);
	R[0] = new_return(O_PINS, L_PINS, 1, extra);
	iso(now - 130 * DAY_MS, when, sizeof(when));
	snprintf(extra, sizeof(extra), "\"created_at\":\"%s\"", when);
	R[1] = new_return(O_PINS, L_PINS, 1, extra);
	iso(now - 10 * DAY_MS, when, sizeof(when));
	snprintf(extra, sizeof(extra), "\"created_at\":\"%s\"", when);
	for (int i = 2; i < 10; i++)
		R[i] = new_return(O_PINS, L_PINS, 1, extra);
	ret_ctl(R[3], "cancel");
	ret_ctl(R[4], "flag");
	ret_ctl(R[5], "close");
	ret_ctl(R[6], "expire");
	/* open in the last window: R2, R7, R8, R9 -> two pages of two */

	int f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:list\"}");
	int64_t t0 = tap_mono_ms();
	is_int(poll_now("loop"), 0, "first poll succeeds (no window over 120 days: Loop would 422)");
	diag("first poll took %lld ms", (long long)(tap_mono_ms() - t0));
	is_int(fault_matched(f), 3 * 5 + 1,
	       "3 windows x 5 states, plus one more page for the 4 open returns of the last window");
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "return:%s:created", R[i]);
		is_int(count_key(key, false, NULL, NULL, 0), 1, "return %d (%s) was seen: %s", i, R[i], key);
	}
	snprintf(key, sizeof(key), "return:%s:cancelled", R[3]);
	is_int(count_key(key, false, NULL, NULL, 0), 1, "the cancelled one (state cancelled)");
	snprintf(key, sizeof(key), "return:%s:closed", R[5]);
	is_int(count_key(key, false, NULL, NULL, 0), 1, "the closed one (state closed)");
	snprintf(key, sizeof(key), "return:%s:review:", R[4]);
	json_object *b = NULL;
	is_int(count_key(key, true, &b, NULL, 0), 1, "the flagged one (state review) as an update");
	is_str(jp(b, "flagged"), "true", "flagged: true");
	json_object_put(b);
	snprintf(key, sizeof(key), "return:%s:expired:", R[6]);
	is_int(count_key(key, true, NULL, NULL, 0), 1, "the expired one");

	char cur[64] = "";
	int n = bh_outbox_cursor_get(te.eng->outbox, "loop", cur, sizeof(cur));
	ok(n > 0, "a cursor was committed: %s", cur);
	struct tm tm = {0};
	char *rest = strptime(cur, "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t cms = rest ? (int64_t)timegm(&tm) * 1000 : 0;
	ok(cms >= now - 5 * 60 * 1000 - 2000 && cms <= now_ms(),
	   "the cursor is now minus the 5-minute overlap (%s)", cur);

	uint64_t before = emitted("loop");
	long long m0 = fault_matched(f);
	is_int(poll_now("loop"), 0, "second poll");
	is_int(fault_matched(f) - m0, 5, "one window x 5 states (the cursor was used)");
	is_int((long long)(emitted("loop") - before), 0, "nothing new stored");

	ret_ctl(R[2], "cancel");
	m0 = fault_matched(f);
	before = emitted("loop");
	is_int(poll_now("loop"), 0, "poll after a cancel in Loop");
	is_int((long long)(emitted("loop") - before), 2, "two new records: updated + cancelled");
	snprintf(key, sizeof(key), "return:%s:cancelled", R[2]);
	char topic[64];
	is_int(count_key(key, false, NULL, topic, sizeof(topic)), 1, "cancelled record");
	is_str(topic, "portal.return.cancelled", "topic portal.return.cancelled");

	/* durable: the cursor survives a restart */
	ok(engine_restart() == 0, "engine restarted on the same state");
	f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:list\"}");
	before = emitted("loop");
	is_int(poll_now("loop"), 0, "poll after the restart");
	is_int(fault_matched(f), 5, "one window x 5 states: the stored cursor was used");
	is_int((long long)(emitted("loop") - before), 0, "nothing stored again");
	faults_clear();
}

static void test_webhooks(void)
{
	char *resp = NULL, key[128];
	const char *shared = tap_shared_dir();
	char *real = NULL;
	if (shared) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/reference/loop/webhook-return-created-aurate-2020.json", shared);
		FILE *fp = fopen(p, "rb");
		if (fp) {
			real = calloc(1, 1 << 16);
			size_t n = fread(real, 1, (1 << 16) - 1, fp);
			real[n] = '\0';
			fclose(fp);
		}
	}
	if (real) {
		is_int(post_hook(real, SECRET, &resp), 200, "Loop's real return.created, signed over its raw bytes");
		is_str(resp, "{\"stored\":1}", "stored once");
		free(resp);
		is_int(post_hook(real, SECRET, &resp), 200, "delivered a second time");
		is_str(resp, "{\"stored\":0}", "dropped as a duplicate");
		free(resp);
		is_int(post_hook(real, SECRET, &resp), 200, "and a third time");
		free(resp);
		json_object *b = NULL;
		is_int(count_key("return:6042537:created", false, &b, NULL, 0), 1,
		       "three deliveries, one record");
		is_str(jp(b, "totals.total"), "0.13", "exact total");
		is_str(jp(b, "lines.0.discount"), "119.88", "exact discount");
		is_str(jp(b, "order.storefront_order_id"), "2773679177825", "Shopify order id");
		json_object_put(b);

		/* the same bytes with one character changed: the signature no longer holds */
		char sig[128], hdr[160];
		sign(SECRET, real, strlen(real), sig);
		char *p = strstr(real, "6042537");
		p[6] = '8';
		snprintf(hdr, sizeof(hdr), "X-Loop-Signature: %s", sig);
		const char *hdrs[] = {"Content-Type: application/json", hdr, NULL};
		is_int(bh_test_http("POST", hook_url, hdrs, real, &resp), 401,
		       "a body that does not match its signature: 401");
		free(resp);
		is_int(count_key("return:6042538:created", false, NULL, NULL, 0), 0, "nothing stored");
		free(real);
	} else {
		diag("../shared absent: the real-payload webhook checks are skipped");
	}

	const char *body = "{\"topic\":\"return\",\"trigger\":\"return.created\",\"id\":\"7700001\","
			   "\"state\":\"open\",\"created_at\":\"2026-11-03T09:00:00+00:00\","
			   "\"updated_at\":\"2026-11-03T09:00:00+00:00\",\"currency\":\"USD\","
			   "\"return_total\":\"10.00\",\"refund\":\"10.00\",\"line_items\":[]}";
	is_int(post_hook(body, NULL, &resp), 401, "no X-Loop-Signature: 401");
	free(resp);
	is_int(post_hook(body, "not-the-secret", &resp), 401, "signed with another secret: 401");
	free(resp);
	is_int(count_key("return:7700001:created", false, NULL, NULL, 0), 0, "nothing stored");
	is_int(post_hook(body, SECRET_PREVIOUS, &resp), 200, "rotation: the previous secret is still accepted");
	free(resp);
	is_int(count_key("return:7700001:created", false, NULL, NULL, 0), 1, "stored");
	is_int(post_hook("{\"topic\":\"label\",\"trigger\":\"label.updated\",\"id\":\"1\"}", SECRET, &resp),
	       200, "a label webhook is acknowledged");
	is_str(resp, "{\"ignored\":\"not a return change\"}", "and ignored");
	free(resp);
	ok(counter("loop", "webhooks_refused") >= 3, "refusals are counted");

	/* the simulator's own deliveries, signed with the same secret */
	subscribe_sim();
	ctl("POST", "/control/loop/webhook_secret", "{\"secret\":\"" SECRET "\"}");
	ctl("POST", "/control/loop/settings", "{\"webhook_dup\":true}");
	const char *id = new_return(O_PINS, L_PINS, 2, NULL);
	snprintf(key, sizeof(key), "return:%s:created", id);
	json_object *b = wait_key(key, false, 5000);
	ok(b != NULL, "Loop's return.created webhook (sent twice) became a record");
	is_str(jp(b, "lines.0.quantity"), "2", "two units grouped into one line");
	is_str(jp(b, "lines.0.refund"), "5.00", "refund 2 x 2.50");
	is_str(jp(b, "order.storefront_order_id"), O_PINS, "Shopify order id");
	json_object_put(b);
	sim_webhooks_idle();
	is_int(count_key(key, false, NULL, NULL, 0), 1, "one record for the doubled delivery");
	ctl("POST", "/control/loop/settings", "{\"webhook_dup\":false}");
}

static void test_actions(void)
{
	struct bh_status st;
	char key[128], *out = NULL;

	/* process: asynchronous, confirmed by the return.closed webhook */
	ctl("POST", "/control/loop/settings", "{\"process_delay_ms\":400}");
	const char *rp = new_return(O_MUGS, L_MUGS, 2, NULL);
	is_int(portal->process(pctx, rp, &st), 0, "process: queued");
	is_int(portal->get_return(pctx, rp, &out, &st), 0, "get_return right after");
	json_object *b = out ? json_tokener_parse(out) : NULL;
	is_str(jp(b, "state"), "open", "still open: success meant queued, not done");
	is_str(jp(b, "processed"), "false", "not processed yet");
	is_str(jp(b, "lines.0.quantity"), "2", "S2: 2 mugs");
	is_str(jp(b, "lines.0.price"), "12.00", "S2: unit price");
	is_str(jp(b, "lines.0.discount"), "2.40", "S2: discount for 2");
	is_str(jp(b, "lines.0.tax"), "1.72", "S2: tax for 2");
	is_str(jp(b, "lines.0.refund"), "23.32", "S2: refund 23.32");
	is_str(jp(b, "order.storefront_order_id"), O_MUGS, "S2: Shopify order id beyond 2^53");
	json_object_put(b);
	free(out);
	snprintf(key, sizeof(key), "return:%s:closed", rp);
	b = wait_key(key, false, 5000);
	ok(b != NULL, "the return.closed webhook confirmed the processing");
	is_str(jp(b, "state"), "closed", "closed");
	is_str(jp(b, "refunds.0.gateway"), "shopify_payments", "refund per gateway");
	is_str(jp(b, "refunds.0.amount"), "23.32", "refund amount");
	is_str(jp(b, "totals.refund"), "23.32", "refund total");
	is_str(jp(b, "processed"), "true", "processed: Loop fulfilled the outcomes");
	json_object_put(b);
	is_int(portal->process(pctx, rp, &st), 0, "process of a processed return: nothing to do");
	is_str(st.code, "ALREADY_DONE", "reported as already done");
	ctl("POST", "/control/loop/settings", "{\"process_delay_ms\":50}");

	/* processing that fails in Loop */
	const char *rf = new_return(O_PINS, L_PINS, 1, NULL);
	char path[128];
	snprintf(path, sizeof(path), "/control/loop/returns/%s/fail_processing", rf);
	ctl("POST", path, "{\"times\":1,\"message\":\"Gift card provider down\"}");
	is_int(portal->process(pctx, rf, &st), 0, "process: queued (it will fail)");
	snprintf(key, sizeof(key), "return:%s:failed:", rf);
	b = wait_key(key, true, 5000);
	ok(b != NULL, "return.processing.failed became a record");
	is_str(jp(b, "error"), "Gift card provider down", "with Loop's message");
	is_str(jp(b, "state"), "open", "the return is still open");
	json_object_put(b);

	/* cancel, idempotent; then refusals with HTTP 200 bodies */
	const char *rc = new_return(O_PINS, L_PINS, 1, NULL);
	is_int(portal->cancel(pctx, rc, &st), 0, "cancel");
	is_int(portal->cancel(pctx, rc, &st), 0, "cancel again: succeeds");
	is_str(st.code, "ALREADY_DONE", "without effect");
	is_int(portal->process(pctx, rc, &st), BH_EREJECT, "process a cancelled return: refused");
	is_int(st.http_status, 200, "Loop said so inside an HTTP 200");
	is_str(st.message, "Return is cancelled and therefore cannot be processed.", "Loop's message");
	is_int(portal->flag(pctx, rc, &st), BH_EREJECT, "flag a cancelled return: refused");
	is_str(st.code, "UNPROCESSABLE_RETURN", "Loop's code");

	/* flag */
	const char *rg = new_return(O_PINS, L_PINS, 1, NULL);
	is_int(portal->flag(pctx, rg, &st), 0, "flag");
	is_int(portal->flag(pctx, rg, &st), 0, "flag again: succeeds");
	is_int(portal->process(pctx, rg, &st), BH_EREJECT, "process a flagged return: refused");
	is_str(st.code, "UNPROCESSABLE_FLAGGED_RETURN", "code UNPROCESSABLE_FLAGGED_RETURN");
	is_int(portal->cancel(pctx, rg, &st), BH_EREJECT, "cancel a flagged return: refused");
	is_str(st.message, "Return is flagged and cannot be processed.", "Loop's message");

	/* close */
	const char *rx = new_return(O_PINS, L_PINS, 1, NULL);
	is_int(portal->close(pctx, rx, &st), 0, "close");
	is_int(portal->close(pctx, rx, &st), 0, "close again: succeeds");
	is_str(st.code, "ALREADY_DONE", "without effect");
	is_int(portal->get_return(pctx, rx, &out, &st), 0, "get_return of the closed return");
	b = out ? json_tokener_parse(out) : NULL;
	is_str(jp(b, "state"), "closed", "closed");
	is_str(jp(b, "processed"), "false", "processed false: closed without fulfilling anything");
	json_object_put(b);
	free(out);
	out = NULL;
	snprintf(key, sizeof(key), "return:%s:closed", rx);
	b = wait_key(key, false, 5000);
	is_str(jp(b, "processed"), "false", "the portal.return.closed record says so too");
	json_object_put(b);
	is_int(portal->process(pctx, rx, &st), BH_EREJECT, "process a closed, unprocessed return: refused");
	is_str(st.code, "UNPROCESSABLE_RETURN", "code UNPROCESSABLE_RETURN");
	ctl("POST", "/control/loop/settings", "{\"action_error_status\":422}");
	is_int(portal->cancel(pctx, rx, &st), BH_EREJECT, "the same refusal on HTTP 422");
	is_int(st.http_status, 422, "status 422");
	is_str(st.code, "UNPROCESSABLE_RETURN", "same code");
	ctl("POST", "/control/loop/settings", "{\"action_error_status\":200}");

	/* note: once, however often asked; Loop's length limit */
	is_int(portal->note(pctx, rc, "Received in warehouse WH-1", &st), 0, "note");
	is_int(portal->note(pctx, rc, "Received in warehouse WH-1", &st), 0, "the same note again");
	is_str(st.code, "ALREADY_DONE", "not written twice");
	char longnote[301];
	memset(longnote, 'x', 300);
	longnote[300] = '\0';
	is_int(portal->note(pctx, rc, longnote, &st), 0, "a 300-character note");
	char url[256], *resp = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/warehouse/return/%s/notes", sim.loop, rc);
	const char *hdrs[] = {"X-Authorization: " KEY, NULL};
	bh_test_http("GET", url, hdrs, NULL, &resp);
	json_object *notes = resp ? json_tokener_parse(resp) : NULL;
	json_object *arr = NULL;
	json_object_object_get_ex(notes, "notes", &arr);
	is_int(arr ? (long long)json_object_array_length(arr) : -1, 2, "two notes on the return");
	const char *n1 = jp(notes, "notes.1.content");
	is_int((long long)strlen(n1), 251 + 3, "the long one cut to 251 bytes and an ellipsis");
	json_object_put(notes);
	free(resp);

	is_int(portal->get_return(pctx, "9999999", &out, &st), BH_ENOENT, "unknown return: BH_ENOENT");
	is_str(st.code, "NOT_FOUND", "Loop's code");
	is_int(portal->cancel(pctx, "12a", &st), BH_EREJECT, "a malformed id is refused");
}

/* find_returns(query) -> the answer's returns (NULL on failure), rc in *rc */
static json_object *find(const char *query, int *rc, struct bh_status *st)
{
	char *out = NULL;
	*rc = portal->find_returns(pctx, query, &out, st);
	json_object *o = out ? json_tokener_parse(out) : NULL, *arr = NULL;
	free(out);
	if (o && json_object_object_get_ex(o, "returns", &arr))
		json_object_get(arr);
	json_object_put(o);
	return arr;
}

static bool is_closed(const char *id)
{
	char path[128];
	snprintf(path, sizeof(path), "/control/loop/returns/%s", id);
	json_object *o = ctl_json("GET", path, NULL, NULL);
	bool c = js(o, "state") && strcmp(js(o, "state"), "closed") == 0;
	json_object_put(o);
	return c;
}

static void test_find_returns(void)
{
	struct bh_status st;
	char extra[96], when[40], ids[5][24];
	int64_t now = now_ms();
	int rc;

	ok(portal->size >= offsetof(struct bh_portal_ops, find_returns) + sizeof(void *) &&
	   portal->find_returns, "loop offers find_returns");
	if (!portal->find_returns)
		return;
	/* #2003: one return beyond the span, then four in the 120 days before now */
	static const int64_t ago[5] = {300 * DAY_MS, 40 * DAY_MS, 20 * DAY_MS, 3 * DAY_MS, 0};
	for (int i = 0; i < 5; i++) {
		extra[0] = '\0';
		if (ago[i]) {
			iso(now - ago[i], when, sizeof(when));
			snprintf(extra, sizeof(extra), "\"created_at\":\"%s\"", when);
		}
		snprintf(ids[i], sizeof(ids[i]), "%s",
			 new_return(O_TEES, L_TEES, 1, ago[i] ? extra : NULL));
	}
	ret_ctl(ids[1], "cancel");
	ret_ctl(ids[2], "close");
	is_int(portal->process(pctx, ids[3], &st), 0, "process one of them");
	int64_t dl = tap_mono_ms() + 5000;
	while (!is_closed(ids[3]) && tap_mono_ms() < dl) {
		struct timespec ts = {0, 20 * 1000000L}; /* polling Loop's asynchronous processing */
		nanosleep(&ts, NULL);
	}
	ok(is_closed(ids[3]), "processed by Loop");
	ret_ctl(ids[4], "flag");
	/* other orders' returns in the same windows must be filtered out */
	new_return(O_PINS, L_PINS, 1, NULL);

	int lists = fault_add("{\"service\":\"loop\",\"operation\":\"loop:list\"}");
	json_object *a = find("{\"storefront_order_id\":\"" O_TEES "\",\"order_name\":\"#2003\"}",
			      &rc, &st);
	is_int(rc, 0, "find_returns by storefront order id");
	if (rc != 0)
		diag("%s %s", st.code, st.message);
	is_int(a ? (long long)json_object_array_length(a) : -1, 4,
	       "the four returns within find_returns_span (120 days) of the newest");
	ok(fault_matched(lists) >= 6, "a bounded list walk: 2 windows x 3 passes at least (%lld "
	   "requests with page_size 2)", fault_matched(lists));
	faults_clear();
	static const char *const want_state[4] = {"cancelled", "closed", "closed", "review"};
	static const char *const want_processed[4] = {"false", "false", "true", "false"};
	for (size_t i = 0; i < 4; i++) {
		json_object *r = a ? json_object_array_get_idx(a, i) : NULL;
		is_str(jp(r, "id"), ids[i + 1], "oldest first: #%zu is return %s", i + 1, ids[i + 1]);
		is_str(jp(r, "state"), want_state[i], "  state %s", want_state[i]);
		is_str(jp(r, "processed"), want_processed[i], "  processed %s", want_processed[i]);
		is_str(jp(r, "schema"), "return/1", "  a return/1");
		is_str(jp(r, "order.storefront_order_id"), O_TEES, "  of order " O_TEES);
		is_str(jp(r, "trigger"), "(null)", "  trigger null, as from get_return");
		is_str(jp(r, "lines.0.sku"), "TEE", "  its line");
	}
	json_object *rf = NULL;
	json_object_object_get_ex(a ? json_object_array_get_idx(a, 1) : NULL, "refunds", &rf);
	is_int(rf ? (long long)json_object_array_length(rf) : -1, 0,
	       "the closed one refunded nothing");
	is_str(jp(a, "2.refunds.0.amount"), "20.00", "the processed one refunded 20.00");
	json_object_put(a);

	a = find("{\"storefront_order_id\":null,\"order_name\":\"#2003\"}", &rc, &st);
	is_int(rc, 0, "find_returns by order name only");
	is_int(a ? (long long)json_object_array_length(a) : -1, 4, "the same four");
	is_str(jp(a, "0.id"), ids[1], "oldest first");
	json_object_put(a);

	a = find("{\"storefront_order_id\":\"" O_NONE "\",\"order_name\":\"#2004\"}", &rc, &st);
	is_int(rc, 0, "an order without returns: not an error");
	is_int(a ? (long long)json_object_array_length(a) : -1, 0, "{\"returns\": []}");
	json_object_put(a);

	a = find("{\"storefront_order_id\":null,\"order_name\":null}", &rc, &st);
	is_int(rc, BH_EREJECT, "a query without order: refused");
	is_str(st.code, "BAD_QUERY", "code BAD_QUERY");
	json_object_put(a);
	a = find("{\"storefront_order_id\":\"12x\"}", &rc, &st);
	is_int(rc, BH_EREJECT, "a malformed order id: refused");
	json_object_put(a);
}

static void test_transport(void)
{
	struct bh_status st;
	char *out = NULL;
	const char *id = R[0];

	int f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:details\",\"rate_429\":1,\"count\":1}");
	int64_t rl0 = counter("loop", "rate_limited");
	int64_t t0 = tap_mono_ms();
	is_int(portal->get_return(pctx, id, &out, &st), 0, "429 then success");
	int64_t took = tap_mono_ms() - t0;
	ok(took >= 950, "waited Retry-After (1 s) before retrying (%lld ms)", (long long)took);
	is_int(counter("loop", "rate_limited") - rl0, 1, "the 429 was counted");
	free(out);
	faults_clear();

	f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:details\",\"rate_5xx\":1,\"count\":2}");
	is_int(portal->get_return(pctx, id, &out, &st), 0, "two 500s then success");
	free(out);
	faults_clear();

	f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:details\",\"rate_timeout\":1,"
		      "\"count\":1,\"timeout_ms\":2500}");
	t0 = tap_mono_ms();
	is_int(portal->get_return(pctx, id, &out, &st), 0, "a timeout then success");
	took = tap_mono_ms() - t0;
	ok(took >= 1000 && took < 2500, "gave up after the 1 s timeout, then retried (%lld ms)", (long long)took);
	free(out);
	faults_clear();

	f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:details\",\"rate_5xx\":1}");
	is_int(portal->get_return(pctx, id, &out, &st), BH_ERETRY, "a lasting 500: BH_ERETRY");
	is_int(st.http_status, 500, "status 500");
	is_str(st.code, "UNEXPECTED_ERROR", "Loop's code");
	is_int(fault_matched(f), 4, "1 attempt + 3 retries");
	faults_clear();

	/* Loop cancels but the answer is lost: the retry is refused, the re-read settles it */
	const char *rt = new_return(O_PINS, L_PINS, 1, NULL);
	f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:action\",\"rate_timeout\":1,"
		      "\"count\":1,\"timeout_ms\":1500,\"timeout_processed\":true}");
	is_int(portal->cancel(pctx, rt, &st), 0, "cancel whose answer timed out after Loop did it: ok");
	is_str(st.code, "ALREADY_DONE", "the retry found it cancelled");
	faults_clear();

	f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:list\",\"rate_5xx\":1,\"count\":1}");
	is_int(poll_now("loop"), 0, "a poll survives a 500 on the list");
	faults_clear();
	(void)f;
}

struct hammer {
	const struct bh_portal_ops *ops;
	void *ctx;
	int64_t until;
	int calls, fails;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	struct bh_status st;
	while (tap_mono_ms() < h->until) {
		char *out = NULL;
		if (h->ops->get_return(h->ctx, R[0], &out, &st) != 0)
			h->fails++;
		h->calls++;
		free(out);
	}
	return NULL;
}

static void test_limiter(void)
{
	void *c;
	const struct bh_portal_ops *ops = bh_test_cap(&te, "loop-slow", BH_CAP_PORTAL, &c);
	int f = fault_add("{\"service\":\"loop\",\"operation\":\"loop:details\"}");
	struct hammer h[4];
	pthread_t th[4];
	int64_t t0 = tap_mono_ms();
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){.ops = ops, .ctx = c, .until = t0 + 2500};
		pthread_create(&th[i], NULL, hammer_main, &h[i]);
	}
	int fails = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		fails += h[i].fails;
	}
	int64_t el = tap_mono_ms() - t0;
	long long seen = fault_matched(f);
	/* 290/min with a burst of 10: 10 at once, then one every 60000/280 ms */
	long long bound = 10 + el * 280 / 60000 + 1;
	diag("%lld requests in %lld ms (bound %lld)", seen, (long long)el, bound);
	ok(seen <= bound, "the limiter kept to 290/min with a burst of 10 (%lld <= %lld)", seen, bound);
	ok(seen >= 15, "and still let requests through (%lld)", seen);
	ok((seen - 10) * 60000 / el <= 300, "under 300 requests a minute");
	is_int(fails, 0, "every call succeeded");
	is_int(counter("loop-slow", "rate_limited"), 0, "Loop never answered 429");
	faults_clear();
}

int main(void)
{
	if (!getenv("BH_TOP_BUILDDIR"))
		skip_all("BH_TOP_BUILDDIR is not set (run through make check)");
	/* no NetSuite here: --no-xsd spares the simulator loading Oracle's schemas */
	if (bh_test_sim_start(&sim, "--no-xsd") != 0)
		skip_all("backhaul-sim did not start");
	ctl("POST", "/control/loop/api_key", "{\"api_keys\":[\"" KEY "\",\"" SLOW_KEY "\"]}");
	seed_orders();
	setenv("BH_TEST_LOOP_KEY", KEY, 1);
	setenv("BH_TEST_LOOP_SLOW_KEY", SLOW_KEY, 1);
	setenv("BH_TEST_LOOP_BAD_KEY", "not-a-key", 1);
	setenv("BH_TEST_LOOP_SECRET", SECRET, 1);
	setenv("BH_TEST_LOOP_SECRET_PREVIOUS", SECRET_PREVIOUS, 1);
	snprintf(conf, sizeof(conf),
		 "[endpoint loop]\nplugin = loop\napi_key_env = BH_TEST_LOOP_KEY\n"
		 "base_url = http://127.0.0.1:%d/api\npoll = false\nlookback = 300d\npage_size = 2\n"
		 "retries = 3\nretry_backoff = 50ms\ntimeout = 1s\nrate_limit = 6000\nrate_burst = 100\n"
		 "webhook_path = /webhooks/loop\nwebhook_secret_env = BH_TEST_LOOP_SECRET\n"
		 "webhook_secret_previous_env = BH_TEST_LOOP_SECRET_PREVIOUS\n\n"
		 "[endpoint loop-slow]\nplugin = loop\napi_key_env = BH_TEST_LOOP_SLOW_KEY\n"
		 "base_url = http://127.0.0.1:%d/api/\npoll = false\n\n"
		 "[endpoint loop-bad]\nplugin = loop\napi_key_env = BH_TEST_LOOP_BAD_KEY\n"
		 "base_url = http://127.0.0.1:%d/api\npoll = false\n\n"
		 "[endpoint loop-down]\nplugin = loop\napi_key_env = BH_TEST_LOOP_KEY\n"
		 "base_url = http://127.0.0.1:1/api\npoll = false\ntimeout = 1s\n\n"
		 "[flow probe]\nplugin = mock-sink\nsubscribe = portal.return.*\nreject_prefix = return:\n",
		 sim.loop, sim.loop, sim.loop);
	int rc = engine_start();
	is_int(rc, 0, "engine started with four loop instances and a probe flow");
	if (rc != 0) {
		bh_test_sim_stop(&sim);
		return done_testing();
	}
	static void (*const parts[])(void) = {test_diagnostics, test_poll, test_webhooks,
					      test_actions, test_find_returns, test_transport,
					      test_limiter};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t t0 = tap_mono_ms();
		parts[i]();
		diag("part %zu took %lld ms", i + 1, (long long)(tap_mono_ms() - t0));
	}
	int64_t t0 = tap_mono_ms();
	bh_test_engine_stop(&te);
	diag("engine stop took %lld ms", (long long)(tap_mono_ms() - t0));
	t0 = tap_mono_ms();
	bh_test_sim_stop(&sim);
	diag("sim stop took %lld ms", (long long)(tap_mono_ms() - t0));
	return done_testing();
}
