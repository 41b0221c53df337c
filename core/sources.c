/*
 * sources.c - one thread per polling endpoint instance.
 *
 * A source polls once at start, then every poll_interval, or at once when asked
 * (`backhaul sync --now`). While the outbox is full (paused) it does not poll; the
 * outbox's notify wakes it when space is back. Each poll appends a sync-log entry
 * (source, started, finished, records emitted, result).
 *
 * Threading: each thread touches only its instance's poll fields under eng->lock and
 * calls the plugin's poll() without any lock held.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"
#include "err.h"
#include "log.h"

#define SUB "source"


static void wait_until(struct bh_engine *eng, int64_t deadline_mono)
{
	struct timespec ts = {.tv_sec = deadline_mono / 1000,
			      .tv_nsec = (deadline_mono % 1000) * 1000000L};
	pthread_cond_timedwait(&eng->source_cond, &eng->lock, &ts);
}

static void log_poll(struct bh_engine *eng, struct bh_instance *in, int64_t start, int64_t end,
		     uint64_t emitted, int rc)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("source"));
	json_object_object_add(o, "source", json_object_new_string(in->name));
	json_object_object_add(o, "started_ms", json_object_new_int64(start));
	json_object_object_add(o, "finished_ms", json_object_new_int64(end));
	json_object_object_add(o, "emitted", json_object_new_int64((int64_t)emitted));
	json_object_object_add(o, "result", json_object_new_string(rc == 0 ? "ok" : bh_strerror(rc)));
	bh_outbox_log_append(eng->outbox, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void *source_main(void *arg)
{
	struct bh_instance *in = arg;
	struct bh_engine *eng = in->eng;
	int64_t next = bh_mono_ms(); /* first poll at start */
	pthread_mutex_lock(&eng->lock);
	while (!eng->stopping) {
		bool paused = bh_outbox_paused(eng->outbox);
		if (!in->sync_requested && (bh_mono_ms() < next || paused)) {
			int64_t dl = paused ? bh_mono_ms() + 1000 : next;
			if (dl > bh_mono_ms() + 1000)
				dl = bh_mono_ms() + 1000;
			wait_until(eng, dl);
			continue;
		}
		if (paused) {
			wait_until(eng, bh_mono_ms() + 1000);
			continue;
		}
		in->sync_requested = false;
		uint64_t before = in->emitted;
		int64_t start = bh_wall_ms();
		in->last_poll_ms = start;
		pthread_mutex_unlock(&eng->lock);

		int rc = in->plugin->desc->poll(in->ctx);
		if (rc != 0)
			BH_LOG_WARN(SUB, "[endpoint %s]: poll failed: %s; next cycle tries again", in->name,
				    bh_strerror(rc));
		int64_t end = bh_wall_ms();

		pthread_mutex_lock(&eng->lock);
		in->polls++;
		in->last_poll_rc = rc;
		in->last_poll_end_ms = end;
		uint64_t emitted = in->emitted - before;
		next = bh_mono_ms() + in->common.poll_interval_ms;
		pthread_mutex_unlock(&eng->lock);
		log_poll(eng, in, start, end, emitted, rc);
		pthread_mutex_lock(&eng->lock);
	}
	pthread_mutex_unlock(&eng->lock);
	return NULL;
}

int bh_sources_start(struct bh_engine *eng)
{
	for (size_t i = 0; i < eng->n_insts; i++) {
		struct bh_instance *in = eng->insts[i];
		if (in->kind != BH_KIND_ENDPOINT || in->disabled || !in->started ||
		    !in->plugin->desc->poll || !in->common.poll)
			continue;
		if (pthread_create(&in->source_thread, NULL, source_main, in) != 0) {
			BH_LOG_ERROR(SUB, "[endpoint %s]: cannot start its source thread", in->name);
			continue;
		}
		in->has_source_thread = true;
	}
	return BH_OK;
}

void bh_sources_stop(struct bh_engine *eng)
{
	for (size_t i = 0; i < eng->n_insts; i++) {
		struct bh_instance *in = eng->insts[i];
		if (in->has_source_thread) {
			pthread_join(in->source_thread, NULL);
			in->has_source_thread = false;
		}
	}
}
