/*
 * host.c - the host table handed to every plugin instance (struct bh_host).
 *
 * Threading: every function is safe from any thread; the ones touching engine
 * scheduling state (counters, endpoint dependencies) take eng->lock. Records and
 * results are owned by the calling worker (see record.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "engine.h"
#include "err.h"
#include "listener.h"
#include "log.h"
#include "record.h"

static void host_log(bh_instance *inst, int level, const char *fmt, ...) BH_PRINTF(3, 4);
static void host_log(bh_instance *inst, int level, const char *fmt, ...)
{
	char sub[192];
	snprintf(sub, sizeof(sub), "[%s:%s:%s]", bh_kind_name(inst->kind),
		 inst->plugin->desc->name, inst->name);
	va_list ap;
	va_start(ap, fmt);
	bh_vlog(level, sub, fmt, ap);
	va_end(ap);
}

static int64_t host_now_ms(void)
{
	return bh_wall_ms();
}

static int64_t host_mono_ms(void)
{
	return bh_mono_ms();
}

static const char *host_instance_name(const bh_instance *inst)
{
	return inst->name;
}

static int topic_ok(const char *t)
{
	if (!t || !*t || strlen(t) > 128)
		return 0;
	for (const char *p = t; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' ||
		      *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int host_emit(bh_instance *inst, const struct bh_emit *recs, size_t n, const char *cursor)
{
	struct bh_engine *eng = inst->eng;
	if (!eng->outbox)
		return BH_ESTOPPED;
	struct bh_outbox_rec stack[64];
	struct bh_outbox_rec *rr = n <= 64 ? stack : calloc(n, sizeof(*rr));
	if (!rr)
		return BH_ENOMEM;
	int rc = BH_OK;
	for (size_t i = 0; i < n; i++) {
		if (!topic_ok(recs[i].topic) || !recs[i].key || !*recs[i].key || !recs[i].body) {
			host_log(inst, BH_LOG_ERR, "emit: record %zu has a bad topic '%s' or no key/body",
				 i, recs[i].topic ? recs[i].topic : "(null)");
			rc = BH_EINVAL;
			goto out;
		}
		rr[i].topic = recs[i].topic;
		rr[i].key = recs[i].key;
		rr[i].body = recs[i].body;
		rr[i].body_len = recs[i].body_len ? recs[i].body_len : strlen(recs[i].body);
		rr[i].time_ms = recs[i].time_ms;
	}
	size_t n_new = 0;
	rc = bh_outbox_ingest(eng->outbox, inst->name, rr, n, cursor, &n_new);
	if (rc == BH_OK) {
		pthread_mutex_lock(&eng->lock);
		inst->emitted += n_new;
		pthread_mutex_unlock(&eng->lock);
		rc = (int)n_new;
	}
out:
	if (rr != stack)
		free(rr);
	return rc;
}

static int host_cursor_get(bh_instance *inst, char *buf, size_t len)
{
	if (!inst->eng->outbox)
		return BH_ESTOPPED;
	return bh_outbox_cursor_get(inst->eng->outbox, inst->name, buf, len);
}

static const char *rec_id(const bh_record *r) { return r->item->id; }
static const char *rec_topic(const bh_record *r) { return r->item->topic; }
static const char *rec_key(const bh_record *r) { return r->item->key; }
static const char *rec_source(const bh_record *r) { return r->item->source; }
static int64_t rec_time(const bh_record *r) { return r->item->time_ms; }
static int rec_attempt(const bh_record *r) { return r->item->attempt; }

static const char *rec_body(const bh_record *r, size_t *len)
{
	if (len)
		*len = r->item->body_len;
	return r->item->body;
}

static void result_retry(bh_result *res, int64_t after, const char *fmt, ...) BH_PRINTF(3, 4);
static void result_retry(bh_result *res, int64_t after, const char *fmt, ...)
{
	res->outcome = BH_OUTCOME_RETRY;
	res->retry_after_ms = after > 0 ? after : 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

static void result_reject(bh_result *res, const char *fmt, ...) BH_PRINTF(2, 3);
static void result_reject(bh_result *res, const char *fmt, ...)
{
	res->outcome = BH_OUTCOME_REJECT;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

static int result_xref_put(bh_result *res, const char *ns, const char *key, const char *value)
{
	if (!ns || !key || !value || strchr(ns, ':'))
		return BH_EINVAL;
	struct bh_outbox_xref *nx = realloc(res->xrefs, (res->n_xrefs + 1) * sizeof(*nx));
	if (!nx) {
		res->oom = true;
		return BH_ENOMEM;
	}
	res->xrefs = nx;
	nx[res->n_xrefs].ns = strdup(ns);
	nx[res->n_xrefs].key = strdup(key);
	nx[res->n_xrefs].value = strdup(value);
	res->n_xrefs++;
	return BH_OK;
}

static int result_emit(bh_result *res, const struct bh_emit *e)
{
	if (!topic_ok(e->topic) || !e->key || !*e->key || !e->body)
		return BH_EINVAL;
	struct bh_outbox_rec *nf = realloc(res->follow, (res->n_follow + 1) * sizeof(*nf));
	if (!nf) {
		res->oom = true;
		return BH_ENOMEM;
	}
	res->follow = nf;
	size_t bl = e->body_len ? e->body_len : strlen(e->body);
	char *body = malloc(bl + 1);
	if (body) {
		memcpy(body, e->body, bl);
		body[bl] = '\0';
	}
	nf[res->n_follow] = (struct bh_outbox_rec){strdup(e->topic), strdup(e->key), body, bl,
						  e->time_ms};
	res->n_follow++;
	return BH_OK;
}

void bh_result_init(struct bh_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = BH_OUTCOME_OK;
}

void bh_result_clear(struct bh_result *res)
{
	for (size_t i = 0; i < res->n_xrefs; i++) {
		free((char *)res->xrefs[i].ns);
		free((char *)res->xrefs[i].key);
		free((char *)res->xrefs[i].value);
	}
	free(res->xrefs);
	for (size_t i = 0; i < res->n_follow; i++) {
		free((char *)res->follow[i].topic);
		free((char *)res->follow[i].key);
		free((char *)res->follow[i].body);
	}
	free(res->follow);
	bh_result_init(res);
}

static int host_xref_get(bh_instance *inst, const char *ns, const char *key, char *buf, size_t len)
{
	if (!inst->eng->outbox)
		return BH_ESTOPPED;
	return bh_outbox_xref_get(inst->eng->outbox, ns, key, buf, len);
}

static void host_counter_add(bh_instance *inst, const char *name, int64_t delta)
{
	struct bh_engine *eng = inst->eng;
	pthread_mutex_lock(&eng->lock);
	size_t i;
	for (i = 0; i < inst->n_counters; i++)
		if (strcmp(inst->counters[i].name, name) == 0)
			break;
	if (i == inst->n_counters && i < sizeof(inst->counters) / sizeof(inst->counters[0])) {
		snprintf(inst->counters[i].name, sizeof(inst->counters[i].name), "%s", name);
		inst->n_counters++;
	}
	if (i < inst->n_counters)
		inst->counters[i].value += delta;
	pthread_mutex_unlock(&eng->lock);
}

static const char *host_secret(bh_instance *inst, const char *key)
{
	return inst->vals ? bh_conf_values_secret(inst->vals, key) : NULL;
}

static int host_endpoint(bh_instance *inst, const char *name, const char *cap, struct bh_cap *out)
{
	struct bh_engine *eng = inst->eng;
	struct bh_instance *ep = bh_engine_find(eng, name);
	if (!ep || ep->kind != BH_KIND_ENDPOINT || ep->disabled)
		return BH_ENOENT;
	const void *ops = ep->plugin->desc->capability ? ep->plugin->desc->capability(ep->ctx, cap)
						       : NULL;
	if (!ops)
		return BH_ENOTSUP;
	out->ops = ops;
	out->ctx = ep->ctx;
	out->instance = ep->name;
	if (inst->kind == BH_KIND_FLOW) {
		pthread_mutex_lock(&eng->lock);
		bool have = false;
		for (size_t i = 0; i < inst->n_deps; i++)
			if (inst->deps[i] == ep)
				have = true;
		if (!have && inst->n_deps < BH_MAX_FLOW_DEPS)
			inst->deps[inst->n_deps++] = ep;
		pthread_mutex_unlock(&eng->lock);
	}
	return BH_OK;
}

static int host_http_route(bh_instance *inst, const char *method, const char *path,
			   bh_http_handler handler, void *ctx)
{
	if (!inst->eng->listener)
		return BH_ENOTSUP;
	return bh_listener_route(inst->eng->listener, inst, method, path, handler, ctx);
}

static const char *host_http_header(const struct bh_http_req *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static bool host_dry_run(const bh_instance *inst)
{
	return inst->eng->ec.dry_run;
}

static const struct bh_host host_table = {
	.size = sizeof(struct bh_host),
	.abi_major = BH_ABI_MAJOR,
	.abi_minor = BH_ABI_MINOR,
	.log = host_log,
	.now_ms = host_now_ms,
	.mono_ms = host_mono_ms,
	.instance_name = host_instance_name,
	.emit = host_emit,
	.cursor_get = host_cursor_get,
	.rec_id = rec_id,
	.rec_topic = rec_topic,
	.rec_key = rec_key,
	.rec_source = rec_source,
	.rec_time = rec_time,
	.rec_body = rec_body,
	.rec_attempt = rec_attempt,
	.result_retry = result_retry,
	.result_reject = result_reject,
	.result_xref_put = result_xref_put,
	.result_emit = result_emit,
	.xref_get = host_xref_get,
	.counter_add = host_counter_add,
	.secret = host_secret,
	.endpoint = host_endpoint,
	.http_route = host_http_route,
	.http_header = host_http_header,
	.dry_run = host_dry_run,
};

const struct bh_host *bh_host_table(void)
{
	return &host_table;
}
