/*
 * workers.c - delivery workers: claim due records per flow, deliver, acknowledge.
 *
 * Each worker loops: under eng->lock it picks the next flow (round robin) whose
 * in-flight count is below its concurrency, whose endpoints are below theirs, and
 * whose next due time has come; it reserves those slots, drops the lock, claims a
 * batch from the outbox, calls deliver() for each record, applies all outcomes in one
 * outbox commit, then releases the slots. No storage transaction is open while a
 * plugin runs. When nothing is due a worker sleeps on eng->work_cond until the
 * earliest due time (at most one second, so dead letters replayed by another process
 * are noticed) or until the outbox or the CLI wakes it.
 *
 * Sync log: a flow's cycle opens with its first delivery and closes when the flow has
 * nothing due and nothing in flight; closing appends one JSON entry (flow, started,
 * finished, ok, retried, dead, errors) to the outbox's sync log.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"
#include "err.h"
#include "log.h"
#include "record.h"

#define SUB "worker"
#define IDLE_MAX_MS 1000


static bool deps_free(const struct bh_instance *fl)
{
	for (size_t i = 0; i < fl->n_deps; i++)
		if (fl->deps[i]->inflight >= fl->deps[i]->common.concurrency)
			return false;
	return true;
}

/* Pick a flow and reserve its slots. Caller holds eng->lock. */
static struct bh_instance *pick_flow(struct bh_engine *eng, int64_t now, int64_t *earliest)
{
	size_t n = eng->n_insts;
	*earliest = INT64_MAX;
	for (size_t k = 0; k < n; k++) {
		size_t i = (eng->rr + k) % n;
		struct bh_instance *fl = eng->insts[i];
		if (fl->kind != BH_KIND_FLOW || fl->disabled || !fl->started)
			continue;
		if (fl->next_due_ms > now) {
			if (fl->next_due_ms < *earliest)
				*earliest = fl->next_due_ms;
			continue;
		}
		if (fl->flow_inflight >= fl->common.concurrency || !deps_free(fl))
			continue;
		fl->flow_inflight++;
		for (size_t d = 0; d < fl->n_deps; d++)
			fl->deps[d]->inflight++;
		eng->rr = i + 1;
		return fl;
	}
	return NULL;
}

static void release_flow(struct bh_instance *fl)
{
	fl->flow_inflight--;
	for (size_t d = 0; d < fl->n_deps; d++)
		fl->deps[d]->inflight--;
}

/* Close the flow's cycle if it has one and is idle. Caller holds eng->lock; returns a
 * JSON entry to append after unlocking (or NULL). */
static char *close_cycle(struct bh_instance *fl)
{
	if (fl->cycle_start_ms == 0 || fl->flow_inflight > 0)
		return NULL;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("flow"));
	json_object_object_add(o, "flow", json_object_new_string(fl->name));
	json_object_object_add(o, "started_ms", json_object_new_int64(fl->cycle_start_ms));
	json_object_object_add(o, "finished_ms", json_object_new_int64(bh_wall_ms()));
	json_object_object_add(o, "ok", json_object_new_int64((int64_t)fl->cycle_ok));
	json_object_object_add(o, "retried", json_object_new_int64((int64_t)fl->cycle_retried));
	json_object_object_add(o, "dead", json_object_new_int64((int64_t)fl->cycle_dead));
	json_object *errs = json_object_new_array();
	for (int i = 0; i < fl->cycle_n_errors && i < 3; i++)
		json_object_array_add(errs, json_object_new_string(fl->cycle_errors[i]));
	json_object_object_add(o, "errors", errs);
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	fl->cycle_start_ms = 0;
	fl->cycle_ok = fl->cycle_retried = fl->cycle_dead = 0;
	fl->cycle_n_errors = 0;
	return s;
}

static void note_error(struct bh_instance *fl, const char *id, const char *err)
{
	if (fl->cycle_n_errors < 3)
		snprintf(fl->cycle_errors[fl->cycle_n_errors], sizeof(fl->cycle_errors[0]),
			 "record %s: %s", id, err);
	fl->cycle_n_errors++;
}

static void deliver_batch(struct bh_engine *eng, struct bh_instance *fl,
			  struct bh_outbox_item *items, size_t n)
{
	struct bh_result *res = calloc(n, sizeof(*res));
	struct bh_outbox_result *ors = calloc(n, sizeof(*ors));
	enum bh_outcome *done = calloc(n, sizeof(*done));
	if (!res || !ors || !done) {
		BH_LOG_ERROR(SUB, "flow %s: out of memory delivering %zu records", fl->name, n);
		/* the claims are released by completing them as retries */
		free(res);
		free(ors);
		free(done);
		return;
	}
	const struct bh_plugin_desc *d = fl->plugin->desc;
	size_t delivered = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && __atomic_load_n(&eng->stopping, __ATOMIC_RELAXED))
			break; /* the rest stays in the outbox, due again after restart */
		struct bh_record rec = {.item = &items[i]};
		bh_result_init(&res[i]);
		d->deliver(fl->ctx, &rec, &res[i]);
		if (res[i].oom) {
			bh_result_clear(&res[i]);
			res[i].outcome = BH_OUTCOME_RETRY;
			snprintf(res[i].error, sizeof(res[i].error), "out of memory");
		}
		ors[i] = (struct bh_outbox_result){
			.flow_id = items[i].flow_id,
			.seq = items[i].seq,
			.outcome = res[i].outcome,
			.retry_after_ms = res[i].retry_after_ms,
			.error = res[i].error[0] ? res[i].error : NULL,
			.xrefs = res[i].xrefs,
			.n_xrefs = res[i].n_xrefs,
			.follow = res[i].follow,
			.n_follow = res[i].n_follow,
			.follow_source = fl->name,
		};
		delivered++;
	}
	n = delivered;
	int rc = n ? bh_outbox_complete(eng->outbox, ors, n, done) : 0;
	if (rc != 0)
		BH_LOG_ERROR(SUB, "flow %s: acknowledging %zu records failed: %s (they will be "
			     "delivered again)", fl->name, n, bh_strerror(rc));
	pthread_mutex_lock(&eng->lock);
	if (fl->cycle_start_ms == 0)
		fl->cycle_start_ms = bh_wall_ms();
	for (size_t i = 0; i < n && rc == 0; i++) {
		switch (done[i]) {
		case BH_OUTCOME_OK:
			fl->cycle_ok++;
			fl->total_ok++;
			break;
		case BH_OUTCOME_RETRY:
			fl->cycle_retried++;
			fl->total_retried++;
			note_error(fl, items[i].id, res[i].error);
			break;
		case BH_OUTCOME_REJECT:
			fl->cycle_dead++;
			fl->total_dead++;
			note_error(fl, items[i].id, res[i].error);
			break;
		}
	}
	pthread_mutex_unlock(&eng->lock);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (done[i] == BH_OUTCOME_RETRY)
			BH_LOG_WARN(SUB, "flow %s: record %s (key %s, attempt %d) will be retried: %s",
				    fl->name, items[i].id, items[i].key, items[i].attempt, res[i].error);
		else if (done[i] == BH_OUTCOME_REJECT)
			BH_LOG_ERROR(SUB, "flow %s: record %s (key %s) moved to dead letters after %d "
				     "attempt(s): %s; replay with `backhaul dead replay %s/%llu`",
				     fl->name, items[i].id, items[i].key, items[i].attempt,
				     res[i].error[0] ? res[i].error : "rejected", fl->name,
				     (unsigned long long)items[i].seq);
	}
	for (size_t i = 0; i < n; i++)
		bh_result_clear(&res[i]);
	free(res);
	free(ors);
	free(done);
}

static void *worker_main(void *arg)
{
	struct bh_engine *eng = arg;
	pthread_mutex_lock(&eng->lock);
	while (!eng->stopping) {
		int64_t now = bh_wall_ms(), earliest;
		struct bh_instance *fl = pick_flow(eng, now, &earliest);
		if (!fl) {
			int64_t wait = earliest == INT64_MAX ? IDLE_MAX_MS : earliest - now;
			if (wait > IDLE_MAX_MS)
				wait = IDLE_MAX_MS;
			if (wait < 1)
				wait = 1;
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			uint64_t seq = eng->wake_seq;
			pthread_cond_timedwait(&eng->work_cond, &eng->lock, &ts);
			if (seq == eng->wake_seq && bh_wall_ms() >= now + IDLE_MAX_MS - 5) {
				/* periodic rescan: pick up records made due by other processes */
				for (size_t i = 0; i < eng->n_insts; i++)
					if (eng->insts[i]->next_due_ms > bh_wall_ms() + IDLE_MAX_MS)
						eng->insts[i]->next_due_ms = 0;
			}
			continue;
		}
		uint64_t seq_before = eng->wake_seq;
		pthread_mutex_unlock(&eng->lock);

		struct bh_outbox_item *items = NULL;
		size_t n = 0;
		int64_t next_due = INT64_MAX;
		int rc = bh_outbox_claim(eng->outbox, fl->flow_id, (size_t)fl->common.batch, &items,
					 &n, &next_due);
		if (rc != 0)
			BH_LOG_ERROR(SUB, "flow %s: claim failed: %s", fl->name, bh_strerror(rc));
		if (n > 0)
			deliver_batch(eng, fl, items, n);
		bh_outbox_items_free(items, n);

		pthread_mutex_lock(&eng->lock);
		release_flow(fl);
		if (n == 0) {
			/* Only trust next_due if nothing woke us in between. */
			if (eng->wake_seq == seq_before)
				fl->next_due_ms = rc == 0 ? next_due : bh_wall_ms() + IDLE_MAX_MS;
			char *entry = close_cycle(fl);
			if (entry) {
				pthread_mutex_unlock(&eng->lock);
				bh_outbox_log_append(eng->outbox, entry);
				free(entry);
				pthread_mutex_lock(&eng->lock);
			}
		} else {
			pthread_cond_broadcast(&eng->work_cond);
		}
	}
	pthread_mutex_unlock(&eng->lock);
	return NULL;
}

int bh_workers_start(struct bh_engine *eng)
{
	size_t n = (size_t)eng->ec.workers;
	eng->workers = calloc(n, sizeof(pthread_t));
	if (!eng->workers)
		return BH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&eng->workers[i], NULL, worker_main, eng) != 0) {
			BH_LOG_ERROR(SUB, "cannot start worker thread %zu", i);
			break;
		}
		eng->n_workers++;
	}
	return eng->n_workers ? BH_OK : BH_EIO;
}

void bh_workers_stop(struct bh_engine *eng)
{
	/* eng->stopping is set: workers finish their current batch and exit. A plugin
	 * stuck beyond shutdown_timeout is a bug in the plugin (its stop() must unblock
	 * it); the batch stays unacknowledged in the outbox either way. */
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += eng->ec.shutdown_timeout_ms / 1000;
	dl.tv_nsec += (eng->ec.shutdown_timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	for (size_t i = 0; i < eng->n_workers; i++) {
		if (pthread_timedjoin_np(eng->workers[i], NULL, &dl) != 0) {
			BH_LOG_ERROR(SUB, "a delivery is still running after shutdown_timeout (%lld ms); "
				     "stopping anyway, its record stays in the outbox",
				     (long long)eng->ec.shutdown_timeout_ms);
			eng->workers_stuck = true;
			return;
		}
	}
	free(eng->workers);
	eng->workers = NULL;
	eng->n_workers = 0;
	/* close any open cycles */
	for (size_t i = 0; i < eng->n_insts; i++) {
		struct bh_instance *fl = eng->insts[i];
		if (fl->kind != BH_KIND_FLOW)
			continue;
		char *entry = close_cycle(fl);
		if (entry) {
			bh_outbox_log_append(eng->outbox, entry);
			free(entry);
		}
	}
}
