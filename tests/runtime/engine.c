/*
 * engine.c - the whole engine in-process with the mock plugins loaded through the real
 * loader: polling sources with durable cursors, webhooks (dedupe, auth, 413, 404),
 * fan-out, per-endpoint concurrency cap, retries with retry-after, dead letters and
 * replay, cross references, follow-up records, the sync log, and a clean stop.
 * Waits poll a condition with a deadline; nothing sleeps for asynchronous work.
 */
#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "tap.h"

static char tmp[256];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmp, name);
	FILE *fp = fopen(p, "w");
	fputs(text, fp);
	fclose(fp);
	chmod(p, mode);
}

/* Lines of out file, distinct keys, max attempt and max MAXACTIVE column. */
struct sink_stats {
	long lines, distinct, max_attempt, max_active;
};

static struct sink_stats sink_read(const char *name, const char *prefix)
{
	struct sink_stats st = {0, 0, 0, 0};
	char p[512], line[256];
	snprintf(p, sizeof(p), "%s/%s", tmp, name);
	FILE *fp = fopen(p, "r");
	if (!fp)
		return st;
	static char seen[20001];
	memset(seen, 0, sizeof(seen));
	while (fgets(line, sizeof(line), fp)) {
		char key[128];
		int att = 0, act = 0;
		if (sscanf(line, "%127s %d %d", key, &att, &act) != 3)
			continue;
		st.lines++;
		if (att > st.max_attempt)
			st.max_attempt = att;
		if (act > st.max_active)
			st.max_active = act;
		size_t pl = strlen(prefix);
		if (strncmp(key, prefix, pl) == 0) {
			long n = strtol(key + pl, NULL, 10);
			if (n > 0 && n <= 20000 && !seen[n]) {
				seen[n] = 1;
				st.distinct++;
			}
		}
	}
	fclose(fp);
	return st;
}

static char resp_body[2048];

static size_t cb_sink(char *p, size_t s, size_t n, void *u)
{
	(void)u;
	size_t have = strlen(resp_body), add = s * n;
	if (have + add < sizeof(resp_body)) {
		memcpy(resp_body + have, p, add);
		resp_body[have + add] = '\0';
	}
	return s * n;
}

static long post(int port, const char *path, const char *token, const char *id, const char *body)
{
	CURL *c = curl_easy_init();
	char url[256], h1[128], h2[128];
	resp_body[0] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	struct curl_slist *hs = NULL;
	if (token) {
		snprintf(h1, sizeof(h1), "X-Mock-Token: %s", token);
		hs = curl_slist_append(hs, h1);
	}
	if (id) {
		snprintf(h2, sizeof(h2), "X-Mock-Id: %s", id);
		hs = curl_slist_append(hs, h2);
	}
	hs = curl_slist_append(hs, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cb_sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	long code = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hs);
	curl_easy_cleanup(c);
	return code;
}

static int dead_count_cb(void *arg, const struct bh_dead_info *d)
{
	int *n = arg;
	if (strstr(d->error, "reject_prefix") && d->attempts == 1)
		(*n)++;
	return 0;
}

static int log_count_cb(void *arg, const char *js)
{
	int *n = arg;
	if (strstr(js, "\"type\":\"source\""))
		n[0]++;
	if (strstr(js, "\"type\":\"flow\""))
		n[1]++;
	return 0;
}

struct wait_ctx {
	struct bh_engine *eng;
};

static bool wait_for(bool (*cond)(void *), void *arg, int64_t ms)
{
	int64_t dl = tap_mono_ms() + ms;
	while (tap_mono_ms() < dl) {
		if (cond(arg))
			return true;
		struct timespec ts = {0, 5 * 1000000L}; /* polling interval of the condition */
		nanosleep(&ts, NULL);
	}
	return cond(arg);
}

static bool main_done(void *a)
{
	(void)a;
	return sink_read("main.out", "rec-").distinct >= 500;
}

static bool follow_done(void *a)
{
	(void)a;
	return sink_read("follow.out", "follow-rec-").distinct >= 500;
}

static bool retry_done(void *a)
{
	(void)a;
	return sink_read("retry.out", "r-").distinct >= 5;
}

static bool dead_done(void *a)
{
	struct bh_engine *eng = a;
	int n = 0;
	bh_outbox_dead_foreach(eng->outbox, dead_count_cb, &n);
	return n >= 3;
}

static bool webhook_done(void *a)
{
	(void)a;
	char p[512], line[256];
	snprintf(p, sizeof(p), "%s/main.out", tmp);
	FILE *fp = fopen(p, "r");
	int n = 0;
	while (fp && fgets(line, sizeof(line), fp))
		if (strncmp(line, "wh-1 ", 5) == 0)
			n++;
	if (fp)
		fclose(fp);
	return n >= 1;
}

int main(void)
{
	if (!getenv("BH_PLUGIN_PATH"))
		skip_all("BH_PLUGIN_PATH is not set (run through make check)");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(tmp, sizeof(tmp), "/tmp/bh-engine-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	char confd[300], conf[4096];
	snprintf(confd, sizeof(confd), "%s/conf.d", tmp);
	mkdir(confd, 0700);
	write_file("token", "s3cret-token-value\n", 0600);
	snprintf(conf, sizeof(conf),
		 "[engine]\nstate_dir = %s/state\nhttp_port = 0\nworkers = 4\nhttp_max_body = 4k\n"
		 "log_level = warn\n\n"
		 "[endpoint src]\nplugin = mock-source\nper_poll = 100\ntotal = 500\npoll_interval = 1h\n"
		 "webhook_path = /hook\ntoken_file = %s/token\n\n"
		 "[endpoint cap]\nplugin = mock-source\npoll = false\nconcurrency = 2\n\n"
		 "[endpoint retrysrc]\nplugin = mock-source\ntopic = mock.retry\nkey_prefix = r-\n"
		 "total = 5\npoll_interval = 1h\n\n"
		 "[endpoint badsrc]\nplugin = mock-source\nkey_prefix = bad-\ntotal = 3\n"
		 "poll_interval = 1h\n\n"
		 "[flow main]\nplugin = mock-sink\nsubscribe = mock.record\nconcurrency = 8\n"
		 "out_file = %s/main.out\nendpoint = cap\nhold = 2ms\nreject_prefix = bad-\n"
		 "follow_topic = mock.follow\n\n"
		 "[flow follow]\nplugin = mock-sink\nsubscribe = mock.fol*\nout_file = %s/follow.out\n\n"
		 "[flow retry]\nplugin = mock-sink\nsubscribe = mock.retry\nout_file = %s/retry.out\n"
		 "retry_first = 2\nretry_after = 20ms\nmin_backoff = 10ms\nmax_backoff = 40ms\n",
		 tmp, tmp, tmp, tmp, tmp);
	write_file("conf.d/10-all.conf", conf, 0644);

	bh_log_set_level(BH_LOG_WARN);
	struct bh_engine_opts opts = {.conf_dir = confd};
	struct bh_engine *eng = NULL;
	is_int(bh_engine_create(&opts, &eng), 0, "engine created from conf.d with mock plugins");
	is_int(eng->config_errors, 0, "no configuration errors");
	is_int((long long)eng->n_insts, 7, "seven instances");
	is_int(bh_engine_start(eng), 0, "engine started");
	int port = bh_engine_http_port(eng);
	ok(port > 0, "webhook listener bound to a free port (%d)", port);

	/* sources poll once at start; ask for more until the totals are reached */
	for (int i = 0; i < 6; i++)
		bh_engine_sync_now(eng, "src");
	int64_t t0 = tap_mono_ms();
	while (!main_done(NULL) && tap_mono_ms() - t0 < 30000) {
		bh_engine_sync_now(eng, "src");
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	struct sink_stats ms = sink_read("main.out", "rec-");
	is_int(ms.distinct, 500, "every polled record was delivered to the main flow");
	ok(ms.max_active >= 1 && ms.max_active <= 2,
	   "the endpoint's concurrency cap held (max %ld in flight, cap 2)", ms.max_active);
	char cur[64];
	is_int(bh_outbox_cursor_get(eng->outbox, "src", cur, sizeof(cur)), 3, "cursor stored");
	is_str(cur, "500", "the source's cursor advanced with its records");

	ok(wait_for(follow_done, NULL, 30000), "follow-up records emitted with each ack were delivered");
	char xv[32];
	ok(bh_outbox_xref_get(eng->outbox, "mock", "rec-77", xv, sizeof(xv)) == 4 &&
		   strcmp(xv, "done") == 0,
	   "cross-reference written with the acknowledgement");

	ok(wait_for(retry_done, NULL, 30000), "records asked to retry were delivered later");
	struct sink_stats rs = sink_read("retry.out", "r-");
	is_int(rs.max_attempt, 3, "each retried record succeeded on its third attempt");
	is_int(rs.lines, 5, "and was written once");

	ok(wait_for(dead_done, eng, 30000), "rejected records went to dead letters with the reason");
	size_t nrep = 0;
	is_int(bh_outbox_dead_replay(eng->outbox, NULL, &nrep), 0, "dead letters replayed");
	is_int((long long)nrep, 3, "all three");
	bh_engine_wake(eng);
	ok(wait_for(dead_done, eng, 30000), "replayed records were rejected again (attempts reset)");

	/* webhooks */
	is_int(post(port, "/hook", "wrong", "wh-x", "{\"a\":1}"), 401, "wrong token: 401");
	is_int(post(port, "/hook", "s3cret-token-value", "wh-1", "{\"a\":1}"), 200, "webhook accepted");
	is_str(resp_body, "{\"stored\":1}", "and durably stored before the 200");
	is_int(post(port, "/hook", "s3cret-token-value", "wh-1", "{\"a\":1}"), 200, "duplicate accepted");
	is_str(resp_body, "{\"stored\":0}", "the duplicate was dropped");
	is_int(post(port, "/hook", "s3cret-token-value", "wh-1", "{\"a\":1}"), 200, "third copy accepted");
	is_str(resp_body, "{\"stored\":0}", "the third copy was dropped");
	ok(wait_for(webhook_done, NULL, 30000), "the webhook record was delivered");
	char big[6000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(post(port, "/hook", "s3cret-token-value", "wh-big", big), 413, "body over http_max_body: 413");
	is_int(post(port, "/nope", NULL, NULL, "{}"), 404, "unknown path: 404");
	char p[512], line[256];
	snprintf(p, sizeof(p), "%s/main.out", tmp);
	FILE *fp = fopen(p, "r");
	int wh = 0, wx = 0;
	while (fp && fgets(line, sizeof(line), fp)) {
		wh += strncmp(line, "wh-1 ", 5) == 0;
		wx += strncmp(line, "wh-x ", 5) == 0 || strncmp(line, "wh-big ", 7) == 0;
	}
	if (fp)
		fclose(fp);
	is_int(wh, 1, "the same webhook three times made one record");
	is_int(wx, 0, "refused webhooks stored nothing");

	char *js = bh_engine_status_json(eng);
	ok(js && strstr(js, "\"name\":\"main\"") && strstr(js, "\"acked_total\""),
	   "status JSON lists instances and the outbox");
	ok(js && !strstr(js, "s3cret-token-value"), "status never shows a secret");
	free(js);

	bh_engine_stop(eng);
	int counts[2] = {0, 0};
	bh_outbox_log_foreach(eng->outbox, 1000, log_count_cb, counts);
	ok(counts[0] >= 4, "sync log has source poll entries (%d)", counts[0]);
	ok(counts[1] >= 3, "sync log has flow cycle entries (%d)", counts[1]);
	bh_engine_destroy(eng);

	/* restart: nothing is delivered twice once acknowledged, cursors survive */
	eng = NULL;
	is_int(bh_engine_create(&opts, &eng), 0, "engine re-created on the same state");
	is_int(bh_outbox_cursor_get(eng->outbox, "src", cur, sizeof(cur)), 3, "cursor survived");
	struct bh_outbox_stats st;
	bh_outbox_stats(eng->outbox, &st, NULL, NULL);
	ok(st.acked_total >= 1000 + 5 + 1, "acknowledgements were persisted (%llu)",
	   (unsigned long long)st.acked_total);
	bh_engine_destroy(eng);

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
	curl_global_cleanup();
	return done_testing();
}
