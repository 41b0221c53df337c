/*
 * sim_webhook.c - outbound webhook delivery for the simulated services.
 *
 * Purpose: bh_sim_webhook_send() copies a delivery (URL, headers, raw body) into a
 * bounded queue and returns at once; one background thread POSTs it with libcurl
 * (keep-alive handle reused), and retries on a connection error, a timeout or any
 * non-2xx answer with growing delays (200 ms, 500 ms, 1.25 s ... capped at 8 s; 8
 * attempts in all by default, like Shopify's 8 retries but compressed in time). A
 * delivery with dup=true is queued twice (at-least-once semantics of the real
 * services). Counters and the last deliveries are exposed for GET /control/webhooks;
 * bh_sim_webhook_wait_idle() lets tests wait on a condition variable until nothing is
 * pending.
 *
 * Global state (documented exception): the queue, its counters, the configuration and
 * the delivery thread are process-wide, guarded by `lock`; `cond` wakes the thread,
 * `idle_cond` wakes waiters when pending drops to zero. The thread starts lazily on the
 * first send and is stopped by bh_sim_webhook_shutdown() (also run at exit), which
 * aborts an in-flight attempt (curl progress callback) and drops the queue.
 * Threading: every public function is thread-safe and never blocks on the network.
 */
#include "sim.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define RECENT_MAX 32

struct delivery {
	struct delivery *next;
	uint64_t id;
	char *url;
	struct curl_slist *headers;
	char *body;
	size_t len;
	unsigned attempts;
	unsigned next_delay_ms;
	int64_t due_ms;
};

struct recent {
	uint64_t id;
	char url[160];
	unsigned attempts;
	long last_status;       /* HTTP status of the last attempt, 0: no answer */
	const char *state;      /* "sent", "retrying", "failed", "dropped" */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static pthread_cond_t idle_cond;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_t thread;
static bool started;
static atomic_bool stopping;
static struct delivery *queue_head;  /* sorted by due_ms, FIFO among equals */
static struct bh_sim_webhook_cfg cfg = { 8, 200, 8000, 5000, 10000 };
static struct bh_sim_webhook_stats stats;
static uint64_t next_id = 1;
static struct recent recent[RECENT_MAX];
static size_t recent_next;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ms_to_abs(int64_t ms, struct timespec *ts)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

static void init_once_fn(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	pthread_cond_init(&idle_cond, &ca);
	pthread_condattr_destroy(&ca);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atexit(bh_sim_webhook_shutdown);
}

static void free_delivery(struct delivery *d)
{
	if (!d)
		return;
	free(d->url);
	curl_slist_free_all(d->headers);
	free(d->body);
	free(d);
}

/* Caller holds lock. */
static void note(const struct delivery *d, long status, const char *state)
{
	struct recent *r = NULL;

	for (size_t i = 0; i < RECENT_MAX; i++)
		if (recent[i].id == d->id) {
			r = &recent[i];
			break;
		}
	if (!r) {
		r = &recent[recent_next];
		recent_next = (recent_next + 1) % RECENT_MAX;
		r->id = d->id;
		snprintf(r->url, sizeof(r->url), "%s", d->url);
	}
	r->attempts = d->attempts;
	r->last_status = status;
	r->state = state;
}

/* Caller holds lock. */
static void insert_sorted(struct delivery *d)
{
	struct delivery **pp = &queue_head;

	while (*pp && (*pp)->due_ms <= d->due_ms)
		pp = &(*pp)->next;
	d->next = *pp;
	*pp = d;
}

/* Caller holds lock. */
static void pending_done(void)
{
	if (stats.pending > 0)
		stats.pending--;
	if (stats.pending == 0)
		pthread_cond_broadcast(&idle_cond);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

static int progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)ud;
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load(&stopping) ? 1 : 0;
}

/* One HTTP attempt; returns the HTTP status, 0 when there was no answer. */
static long attempt(CURL *curl, const struct delivery *d, unsigned timeout_ms)
{
	long status = 0;
	long connect_ms = timeout_ms < 1000 ? (long)timeout_ms : 1000;

	curl_easy_setopt(curl, CURLOPT_URL, d->url);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, d->headers);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "backhaul-sim-webhook/1");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static void *deliver_thread(void *arg)
{
	CURL *curl = curl_easy_init();

	(void)arg;
	pthread_mutex_lock(&lock);
	while (!atomic_load(&stopping)) {
		struct delivery *d = queue_head;
		struct timespec ts;
		unsigned timeout_ms, max_attempts;
		long status;
		int64_t now = mono_ms();

		if (!d) {
			pthread_cond_wait(&cond, &lock);
			continue;
		}
		if (d->due_ms > now) {
			ms_to_abs(d->due_ms, &ts);
			pthread_cond_timedwait(&cond, &lock, &ts);
			continue;
		}
		queue_head = d->next;
		d->next = NULL;
		timeout_ms = cfg.timeout_ms;
		pthread_mutex_unlock(&lock);

		status = curl ? attempt(curl, d, timeout_ms) : 0;

		pthread_mutex_lock(&lock);
		max_attempts = cfg.max_attempts;
		d->attempts++;
		stats.attempts++;
		if (atomic_load(&stopping)) {
			stats.dropped++;
			note(d, status, "dropped");
			pending_done();
			free_delivery(d);
		} else if (status >= 200 && status < 300) {
			stats.sent++;
			note(d, status, "sent");
			pending_done();
			free_delivery(d);
		} else if (d->attempts >= max_attempts) {
			stats.failed++;
			note(d, status, "failed");
			pending_done();
			free_delivery(d);
		} else {
			d->due_ms = mono_ms() + d->next_delay_ms;
			d->next_delay_ms = d->next_delay_ms * 5 / 2;
			if (d->next_delay_ms > cfg.backoff_max_ms)
				d->next_delay_ms = cfg.backoff_max_ms;
			note(d, status, "retrying");
			insert_sorted(d);
		}
	}
	pthread_mutex_unlock(&lock);
	if (curl)
		curl_easy_cleanup(curl);
	return NULL;
}

/* Caller holds lock. */
static int ensure_started(void)
{
	if (started)
		return 0;
	atomic_store(&stopping, false);
	if (pthread_create(&thread, NULL, deliver_thread, NULL) != 0)
		return -1;
	started = true;
	return 0;
}

void bh_sim_webhook_configure(const struct bh_sim_webhook_cfg *c)
{
	struct bh_sim_webhook_cfg n = { 8, 200, 8000, 5000, 10000 };

	pthread_once(&init_once, init_once_fn);
	if (c) {
		if (c->max_attempts)
			n.max_attempts = c->max_attempts;
		if (c->backoff_initial_ms)
			n.backoff_initial_ms = c->backoff_initial_ms;
		if (c->backoff_max_ms)
			n.backoff_max_ms = c->backoff_max_ms;
		if (c->timeout_ms)
			n.timeout_ms = c->timeout_ms;
		if (c->queue_max)
			n.queue_max = c->queue_max;
	}
	pthread_mutex_lock(&lock);
	cfg = n;
	pthread_mutex_unlock(&lock);
}

static struct delivery *make_delivery(const char *url, const struct bh_sim_header *headers,
				      size_t n, const char *body, size_t len)
{
	struct delivery *d = calloc(1, sizeof(*d));
	bool has_ct = false;

	if (!d)
		return NULL;
	d->url = strdup(url);
	d->body = malloc(len + 1);
	if (!d->url || !d->body)
		goto fail;
	if (len)
		memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	for (size_t i = 0; i < n; i++) {
		char *line;
		struct curl_slist *nl;

		if (!headers[i].name || !headers[i].value)
			continue;
		if (strcasecmp(headers[i].name, "Content-Type") == 0)
			has_ct = true;
		if (asprintf(&line, "%s: %s", headers[i].name, headers[i].value) < 0)
			goto fail;
		nl = curl_slist_append(d->headers, line);
		free(line);
		if (!nl)
			goto fail;
		d->headers = nl;
	}
	if (!has_ct) {
		struct curl_slist *nl = curl_slist_append(d->headers,
							  "Content-Type: application/json");
		if (!nl)
			goto fail;
		d->headers = nl;
	}
	{
		/* No "Expect: 100-continue" round trip. */
		struct curl_slist *nl = curl_slist_append(d->headers, "Expect:");

		if (!nl)
			goto fail;
		d->headers = nl;
	}
	return d;
fail:
	free_delivery(d);
	return NULL;
}

void bh_sim_webhook_send(const char *url, const struct bh_sim_header *headers, size_t n,
			 const char *body, size_t len, bool dup)
{
	struct delivery *d[2] = { NULL, NULL };
	int copies = dup ? 2 : 1;

	if (!url)
		return;
	pthread_once(&init_once, init_once_fn);
	for (int i = 0; i < copies; i++)
		d[i] = make_delivery(url, headers, n, body ? body : "", body ? len : 0);

	pthread_mutex_lock(&lock);
	for (int i = 0; i < copies; i++) {
		if (!d[i] || stats.pending >= cfg.queue_max || ensure_started() != 0) {
			stats.dropped++;
			free_delivery(d[i]);
			continue;
		}
		d[i]->id = next_id++;
		d[i]->due_ms = mono_ms();
		d[i]->next_delay_ms = cfg.backoff_initial_ms;
		stats.enqueued++;
		stats.pending++;
		note(d[i], 0, "queued");
		insert_sorted(d[i]);
	}
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

void bh_sim_webhook_stats(struct bh_sim_webhook_stats *st)
{
	pthread_mutex_lock(&lock);
	*st = stats;
	pthread_mutex_unlock(&lock);
}

struct json_object *bh_sim_webhook_stats_json(void)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	pthread_mutex_lock(&lock);
	json_object_object_add(o, "enqueued", json_object_new_int64((int64_t)stats.enqueued));
	json_object_object_add(o, "sent", json_object_new_int64((int64_t)stats.sent));
	json_object_object_add(o, "failed", json_object_new_int64((int64_t)stats.failed));
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)stats.dropped));
	json_object_object_add(o, "attempts", json_object_new_int64((int64_t)stats.attempts));
	json_object_object_add(o, "pending", json_object_new_int64((int64_t)stats.pending));
	/* Oldest first. */
	for (size_t k = 0; k < RECENT_MAX; k++) {
		const struct recent *r = &recent[(recent_next + k) % RECENT_MAX];
		struct json_object *j;

		if (!r->id)
			continue;
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_int64((int64_t)r->id));
		json_object_object_add(j, "url", json_object_new_string(r->url));
		json_object_object_add(j, "attempts", json_object_new_int64(r->attempts));
		json_object_object_add(j, "last_status", json_object_new_int64(r->last_status));
		json_object_object_add(j, "state", json_object_new_string(r->state));
		json_object_array_add(a, j);
	}
	pthread_mutex_unlock(&lock);
	json_object_object_add(o, "recent", a);
	return o;
}

bool bh_sim_webhook_wait_idle(int timeout_ms)
{
	int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	bool idle;

	pthread_once(&init_once, init_once_fn);
	pthread_mutex_lock(&lock);
	while (stats.pending > 0) {
		struct timespec ts;

		if (mono_ms() >= deadline)
			break;
		ms_to_abs(deadline, &ts);
		if (pthread_cond_timedwait(&idle_cond, &lock, &ts) == ETIMEDOUT)
			break;
	}
	idle = stats.pending == 0;
	pthread_mutex_unlock(&lock);
	return idle;
}

void bh_sim_webhook_shutdown(void)
{
	bool was_started;

	pthread_mutex_lock(&lock);
	was_started = started;
	if (was_started) {
		atomic_store(&stopping, true);
		pthread_cond_broadcast(&cond);
	}
	pthread_mutex_unlock(&lock);
	if (was_started)
		pthread_join(thread, NULL);

	pthread_mutex_lock(&lock);
	while (queue_head) {
		struct delivery *d = queue_head;

		queue_head = d->next;
		stats.dropped++;
		note(d, 0, "dropped");
		free_delivery(d);
	}
	stats.pending = 0;
	started = false;
	atomic_store(&stopping, false);
	if (was_started)
		pthread_cond_broadcast(&idle_cond);
	pthread_mutex_unlock(&lock);
}
