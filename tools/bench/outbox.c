/*
 * tools/bench/outbox.c - throughput and memory benchmark of the LMDB outbox.
 *
 * Built by `make`, never run by `make check`. Works in a temporary directory (under
 * --dir, else $TMPDIR, else /tmp) that it removes at the end; warns when that is a
 * tmpfs, where fsync costs nothing and the figures mean little.
 *
 * DEFAULT MODE: records/s for ingest -> claim -> complete(OK), durable commits.
 *   Producers ingest batches (default 120,000 records, 2 threads x batches of 100)
 *   while workers (2) claim batches of 100 and complete them. In the same run a raw-LMDB baseline does
 *   the same puts and deletes: same record count and value size, a durable put txn
 *   per ingest batch and, per ack batch, a read txn copying the values out (what a
 *   claim does) plus a durable delete txn. The run alternates baseline and outbox in
 *   3 rounds (--rounds) so a shared disk's changing speed hits both alike; prints the
 *   per-round and overall rates and the ratio.
 * --backlog [N]: fills a backlog of N records (default 1,000,000, ~300-byte bodies)
 *   with MDB_NOSYNC (filling only; stated in the output), reopens the outbox durable
 *   and drains it with 2 workers claiming batches of 500 (--batch) while a sampler
 *   reads VmRSS / RssAnon / RssFile from /proc/self/status every 20 ms; prints the
 *   peaks.
 *
 * Options: --records N, --rounds R, --body B, --batch N, --producers P, --workers W,
 * --dir D.
 * Threading: plain pthreads; the outbox is shared as documented in core/outbox.h.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "outbox.h"

#define TMPFS_MAGIC_NUMBER 0x01021994

struct cfg {
	size_t records, body, batch, backlog;
	int producers, workers, rounds;
	bool backlog_mode;
	char root[PATH_MAX];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		unlink(path);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char sub[PATH_MAX + 256];
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rm_rf(sub);
	}
	closedir(d);
	rmdir(path);
}

static uint64_t dir_bytes(const char *dir)
{
	char p[PATH_MAX + 64];
	struct stat st;
	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	return stat(p, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* ---- the outbox run ---- */

struct ob_run {
	const struct cfg *cfg;
	struct bh_outbox *ob;
	uint32_t flow;
	size_t total;                 /* records to ingest (0: none, drain only) */
	size_t expect;                /* records to ack */
	atomic_size_t next_batch;     /* producers take batch numbers */
	atomic_size_t acked;
	atomic_int errors;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long gen;            /* notify generation */
	char *body;
};

static size_t route_one(void *arg, const char *topic, uint32_t *flows, size_t max)
{
	struct ob_run *r = arg;
	(void)topic;
	if (max < 1)
		return 0;
	flows[0] = r->flow;
	return 1;
}

static void on_notify(void *arg)
{
	struct ob_run *r = arg;
	pthread_mutex_lock(&r->lock);
	r->gen++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void *ob_producer(void *arg)
{
	struct ob_run *r = arg;
	size_t bs = r->cfg->batch, nb = (r->total + bs - 1) / bs;
	struct bh_outbox_rec *recs = calloc(bs, sizeof(*recs));
	char (*keys)[32] = calloc(bs, sizeof(*keys));
	if (!recs || !keys) {
		atomic_fetch_add(&r->errors, 1);
		goto out;
	}
	for (;;) {
		size_t b = atomic_fetch_add(&r->next_batch, 1);
		if (b >= nb)
			break;
		size_t n = b == nb - 1 ? r->total - b * bs : bs;
		for (size_t i = 0; i < n; i++) {
			snprintf(keys[i], sizeof(keys[i]), "order-%zu", b * bs + i);
			recs[i].topic = "storefront.order.created";
			recs[i].key = keys[i];
			recs[i].body = r->body;
			recs[i].body_len = r->cfg->body;
		}
		char cur[32];
		snprintf(cur, sizeof(cur), "%zu", b);
		int rc;
		while ((rc = bh_outbox_ingest(r->ob, "bench", recs, n, cur, NULL)) == BH_EBUSY) {
			pthread_mutex_lock(&r->lock); /* paused: wait for notify */
			unsigned long g = r->gen;
			while (g == r->gen && bh_outbox_paused(r->ob))
				pthread_cond_wait(&r->cond, &r->lock);
			pthread_mutex_unlock(&r->lock);
		}
		if (rc) {
			fprintf(stderr, "ingest: %s\n", bh_strerror(rc));
			atomic_fetch_add(&r->errors, 1);
			break;
		}
	}
out:
	free(recs);
	free(keys);
	return NULL;
}

static void *ob_worker(void *arg)
{
	struct ob_run *r = arg;
	size_t bs = r->cfg->batch;
	struct bh_outbox_result *res = calloc(bs, sizeof(*res));
	if (!res) {
		atomic_fetch_add(&r->errors, 1);
		return NULL;
	}
	while (atomic_load(&r->acked) < r->expect && !atomic_load(&r->errors)) {
		struct bh_outbox_item *it;
		size_t n;
		int64_t next;
		pthread_mutex_lock(&r->lock);
		unsigned long g = r->gen;
		pthread_mutex_unlock(&r->lock);
		int rc = bh_outbox_claim(r->ob, r->flow, bs, &it, &n, &next);
		if (rc) {
			fprintf(stderr, "claim: %s\n", bh_strerror(rc));
			atomic_fetch_add(&r->errors, 1);
			break;
		}
		if (n == 0) {
			/* nothing due: wait for the next commit that made items due */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_mutex_lock(&r->lock);
			if (g == r->gen)
				pthread_cond_timedwait(&r->cond, &r->lock, &ts);
			pthread_mutex_unlock(&r->lock);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			memset(&res[i], 0, sizeof(res[i]));
			res[i].flow_id = it[i].flow_id;
			res[i].seq = it[i].seq;
			res[i].outcome = BH_OUTCOME_OK;
		}
		bh_outbox_items_free(it, n);
		rc = bh_outbox_complete(r->ob, res, n, NULL);
		if (rc) {
			fprintf(stderr, "complete: %s\n", bh_strerror(rc));
			atomic_fetch_add(&r->errors, 1);
			break;
		}
		atomic_fetch_add(&r->acked, n);
	}
	free(res);
	return NULL;
}

static int ob_open(struct ob_run *r, const char *dir, bool no_sync)
{
	struct bh_outbox_opts o = { 0 };
	o.dir = dir;
	o.no_sync = no_sync;
	o.route = route_one;
	o.route_arg = r;
	o.notify = on_notify;
	o.notify_arg = r;
	int rc = bh_outbox_open(&o, &r->ob);
	if (rc == 0)
		rc = bh_outbox_flow(r->ob, "bench", NULL, &r->flow);
	if (rc)
		fprintf(stderr, "outbox open %s: %s\n", dir, bh_strerror(rc));
	return rc;
}

static void ob_run_init(struct ob_run *r, const struct cfg *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->body = malloc(cfg->body + 1);
	for (size_t i = 0; r->body && i < cfg->body; i++)
		r->body[i] = (char)('a' + i % 26);
}

static void ob_run_fini(struct ob_run *r)
{
	free(r->body);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
}

/* producers and workers together; returns elapsed seconds or -1 */
static double ob_pipeline(struct ob_run *r, int producers, int workers)
{
	pthread_t th[64];
	int nt = 0;
	double t0 = now_s();
	for (int i = 0; i < producers && nt < 64; i++)
		pthread_create(&th[nt++], NULL, ob_producer, r);
	for (int i = 0; i < workers && nt < 64; i++)
		pthread_create(&th[nt++], NULL, ob_worker, r);
	for (int i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	double dt = now_s() - t0;
	return atomic_load(&r->errors) || atomic_load(&r->acked) != r->expect ? -1 : dt;
}

/* ---- the raw LMDB baseline ---- */

struct raw_run {
	const struct cfg *cfg;
	MDB_env *env;
	MDB_dbi dbi;
	atomic_size_t next_batch, acked;
	atomic_int errors;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t *ready;                /* FIFO of committed batch numbers */
	size_t head, tail, nb;
	char *val;
	size_t vlen;
};

static void *raw_producer(void *arg)
{
	struct raw_run *r = arg;
	size_t bs = r->cfg->batch;
	for (;;) {
		size_t b = atomic_fetch_add(&r->next_batch, 1);
		if (b >= r->nb)
			break;
		size_t n = b == r->nb - 1 ? r->cfg->records - b * bs : bs;
		MDB_txn *txn;
		int rc = mdb_txn_begin(r->env, NULL, 0, &txn);
		for (size_t i = 0; i < n && !rc; i++) {
			unsigned char k[8];
			uint64_t seq = b * bs + i + 1;
			for (int j = 7; j >= 0; j--, seq >>= 8)
				k[j] = (unsigned char)seq;
			MDB_val key = { 8, k }, val = { r->vlen, r->val };
			rc = mdb_put(txn, r->dbi, &key, &val, 0);
		}
		if (rc) {
			mdb_txn_abort(txn);
		} else {
			rc = mdb_txn_commit(txn);
		}
		if (rc) {
			fprintf(stderr, "raw put: %s\n", mdb_strerror(rc));
			atomic_fetch_add(&r->errors, 1);
			break;
		}
		pthread_mutex_lock(&r->lock);
		r->ready[r->tail++] = b;
		pthread_cond_signal(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

static void *raw_worker(void *arg)
{
	struct raw_run *r = arg;
	size_t bs = r->cfg->batch;
	char *copy = malloc(bs * r->vlen + 1);
	while (copy && !atomic_load(&r->errors)) {
		pthread_mutex_lock(&r->lock);
		while (r->head == r->tail && r->head < r->nb && !atomic_load(&r->errors))
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->head >= r->nb || atomic_load(&r->errors)) {
			pthread_cond_broadcast(&r->cond);
			pthread_mutex_unlock(&r->lock);
			break;
		}
		size_t b = r->ready[r->head++];
		if (r->head >= r->nb)
			pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
		size_t n = b == r->nb - 1 ? r->cfg->records - b * bs : bs;
		/* claim: copy the values out in a read txn */
		MDB_txn *txn;
		int rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn);
		for (size_t i = 0; i < n && !rc; i++) {
			unsigned char k[8];
			uint64_t seq = b * bs + i + 1;
			for (int j = 7; j >= 0; j--, seq >>= 8)
				k[j] = (unsigned char)seq;
			MDB_val key = { 8, k }, val;
			rc = mdb_get(txn, r->dbi, &key, &val);
			if (!rc)
				memcpy(copy + i * r->vlen, val.mv_data, val.mv_size);
		}
		mdb_txn_abort(txn);
		/* ack: one delete txn per batch */
		if (!rc)
			rc = mdb_txn_begin(r->env, NULL, 0, &txn);
		for (size_t i = 0; i < n && !rc; i++) {
			unsigned char k[8];
			uint64_t seq = b * bs + i + 1;
			for (int j = 7; j >= 0; j--, seq >>= 8)
				k[j] = (unsigned char)seq;
			MDB_val key = { 8, k };
			rc = mdb_del(txn, r->dbi, &key, NULL);
			if (rc)
				mdb_txn_abort(txn);
		}
		if (!rc)
			rc = mdb_txn_commit(txn);
		if (rc) {
			fprintf(stderr, "raw delete: %s\n", mdb_strerror(rc));
			atomic_fetch_add(&r->errors, 1);
			pthread_mutex_lock(&r->lock);
			pthread_cond_broadcast(&r->cond);
			pthread_mutex_unlock(&r->lock);
			break;
		}
		atomic_fetch_add(&r->acked, n);
	}
	free(copy);
	return NULL;
}

static double raw_baseline(const struct cfg *cfg, const char *dir)
{
	struct raw_run r;
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.nb = (cfg->records + cfg->batch - 1) / cfg->batch;
	/* the value the outbox stores for such a record: envelope + topic + key + source */
	r.vlen = cfg->body + 70;
	r.val = malloc(r.vlen);
	r.ready = calloc(r.nb, sizeof(*r.ready));
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cond, NULL);
	double dt = -1;
	if (!r.val || !r.ready || mkdir(dir, 0700))
		goto out;
	memset(r.val, 'v', r.vlen);
	size_t map = (size_t)cfg->records * (r.vlen + 64) * 3 + (64u << 20);
	MDB_txn *txn;
	int rc = mdb_env_create(&r.env);
	if (!rc)
		rc = mdb_env_set_mapsize(r.env, map);
	if (!rc)
		rc = mdb_env_open(r.env, dir, MDB_NOTLS | MDB_NORDAHEAD, 0600);
	if (!rc)
		rc = mdb_txn_begin(r.env, NULL, 0, &txn);
	if (!rc) {
		rc = mdb_dbi_open(txn, NULL, 0, &r.dbi);
		rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
	}
	if (rc) {
		fprintf(stderr, "raw env: %s\n", mdb_strerror(rc));
		goto out;
	}
	pthread_t th[64];
	int nt = 0;
	double t0 = now_s();
	for (int i = 0; i < cfg->producers && nt < 64; i++)
		pthread_create(&th[nt++], NULL, raw_producer, &r);
	for (int i = 0; i < cfg->workers && nt < 64; i++)
		pthread_create(&th[nt++], NULL, raw_worker, &r);
	for (int i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	dt = now_s() - t0;
	if (atomic_load(&r.errors) || atomic_load(&r.acked) != cfg->records)
		dt = -1;
out:
	if (r.env)
		mdb_env_close(r.env);
	free(r.val);
	free(r.ready);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.cond);
	return dt;
}

/* ---- memory sampling ---- */

struct mem {
	long vmrss, anon, file;       /* kB */
};

static void mem_read(struct mem *m)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	memset(m, 0, sizeof(*m));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmRSS:", 6))
			m->vmrss = atol(line + 6);
		else if (!strncmp(line, "RssAnon:", 8))
			m->anon = atol(line + 8);
		else if (!strncmp(line, "RssFile:", 8))
			m->file = atol(line + 8);
	}
	fclose(f);
}

struct sampler {
	pthread_t th;
	atomic_bool stop;
	struct mem peak;
	pthread_mutex_t lock;
};

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	while (!atomic_load(&s->stop)) {
		struct mem m;
		mem_read(&m);
		pthread_mutex_lock(&s->lock);
		if (m.vmrss > s->peak.vmrss)
			s->peak.vmrss = m.vmrss;
		if (m.anon > s->peak.anon)
			s->peak.anon = m.anon;
		if (m.file > s->peak.file)
			s->peak.file = m.file;
		pthread_mutex_unlock(&s->lock);
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void sampler_start(struct sampler *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_create(&s->th, NULL, sampler_main, s);
}

static struct mem sampler_stop(struct sampler *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->th, NULL);
	pthread_mutex_destroy(&s->lock);
	return s->peak;
}

/* ---- modes ---- */

/* One outbox pipeline run of cfg->records records in a fresh directory. */
static double outbox_once(const struct cfg *cfg, const char *dir, uint64_t *acked)
{
	struct ob_run r;
	ob_run_init(&r, cfg);
	r.total = r.expect = cfg->records;
	*acked = 0;
	if (!r.body || ob_open(&r, dir, false)) {
		ob_run_fini(&r);
		return -1;
	}
	double dt = ob_pipeline(&r, cfg->producers, cfg->workers);
	struct bh_outbox_stats st;
	if (bh_outbox_stats(r.ob, &st, NULL, NULL) == 0)
		*acked = st.acked_total;
	bh_outbox_close(r.ob);
	ob_run_fini(&r);
	return dt;
}

/* Rounds alternate baseline and outbox, so that drift in the (shared) disk's speed
 * affects both sides alike. */
static int throughput(const struct cfg *cfg)
{
	char dir[PATH_MAX + 32];
	struct cfg part = *cfg;
	double raw = 0, ob = 0;
	uint64_t acked_sum = 0;
	part.records = cfg->records / (size_t)cfg->rounds;
	printf("outbox throughput: %zu records in %d alternating rounds, %zu-byte bodies, "
	       "batches of %zu, %d producers, %d workers, durable commits\n",
	       part.records * (size_t)cfg->rounds, cfg->rounds, cfg->body, cfg->batch,
	       cfg->producers, cfg->workers);
	for (int i = 0; i < cfg->rounds; i++) {
		uint64_t acked;
		snprintf(dir, sizeof(dir), "%s/raw%d", cfg->root, i);
		double r1 = raw_baseline(&part, dir);
		rm_rf(dir);
		snprintf(dir, sizeof(dir), "%s/outbox%d", cfg->root, i);
		double o1 = outbox_once(&part, dir, &acked);
		rm_rf(dir);
		if (r1 < 0 || o1 < 0 || acked != part.records) {
			fprintf(stderr, "round %d failed (raw %.2f s, outbox %.2f s, acked %" PRIu64
				")\n", i + 1, r1, o1, acked);
			return 1;
		}
		printf("  round %d: raw %8.0f records/s, outbox %8.0f records/s, ratio %.2f\n",
		       i + 1, (double)part.records / r1, (double)part.records / o1, r1 / o1);
		raw += r1;
		ob += o1;
		acked_sum += acked;
	}
	double total = (double)part.records * cfg->rounds;
	double raw_rate = total / raw, ob_rate = total / ob;
	printf("raw LMDB baseline : %10.0f records/s (%.2f s; put txn per ingest batch, "
	       "read txn + delete txn per ack batch)\n", raw_rate, raw);
	printf("outbox            : %10.0f records/s (%.2f s; ingest+route+dedupe, claim, "
	       "complete; acked_total %" PRIu64 ")\n", ob_rate, ob, acked_sum);
	printf("ratio outbox/raw  : %10.2f (target >= 0.5)\n", ob_rate / raw_rate);
	return 0;
}

static int backlog(const struct cfg *cfg)
{
	char dir[PATH_MAX + 32];
	struct ob_run r;
	struct mem m0, m1, m2;
	snprintf(dir, sizeof(dir), "%s/backlog", cfg->root);
	printf("outbox backlog: %zu records, %zu-byte bodies\n", cfg->backlog, cfg->body);
	mem_read(&m0);
	/* fill, without fsync (filling phase only) */
	ob_run_init(&r, cfg);
	r.total = cfg->backlog;
	r.expect = 0;
	if (!r.body || ob_open(&r, dir, true)) {
		ob_run_fini(&r);
		return 1;
	}
	struct cfg fill = *cfg;
	fill.batch = 1000;
	r.cfg = &fill;
	double t0 = now_s();
	if (ob_pipeline(&r, 1, 0) < 0) {
		fprintf(stderr, "fill failed\n");
		bh_outbox_close(r.ob);
		ob_run_fini(&r);
		return 1;
	}
	double tfill = now_s() - t0;
	mem_read(&m1);
	bh_outbox_close(r.ob);
	ob_run_fini(&r);
	printf("fill (MDB_NOSYNC, 1 producer, batches of 1000): %.1f s, %.0f records/s, "
	       "data file %.0f MiB, RSS after fill %ld kB (anon %ld, file %ld)\n", tfill,
	       (double)cfg->backlog / tfill, (double)dir_bytes(dir) / 1048576.0, m1.vmrss,
	       m1.anon, m1.file);

	/* drain, durable */
	ob_run_init(&r, cfg);
	r.total = 0;
	r.expect = cfg->backlog;
	if (ob_open(&r, dir, false)) {
		ob_run_fini(&r);
		return 1;
	}
	mem_read(&m2);
	struct sampler s;
	sampler_start(&s);
	double dt = ob_pipeline(&r, 0, cfg->workers);
	struct mem peak = sampler_stop(&s);
	struct bh_outbox_stats st;
	bh_outbox_stats(r.ob, &st, NULL, NULL);
	bh_outbox_close(r.ob);
	ob_run_fini(&r);
	if (dt < 0) {
		fprintf(stderr, "drain failed\n");
		return 1;
	}
	printf("drain (durable, %d workers, batches of %zu): %.1f s, %.0f records/s, "
	       "records left %" PRIu64 "\n", cfg->workers, cfg->batch, dt,
	       (double)cfg->backlog / dt, st.records);
	printf("memory at start      : VmRSS %6ld kB  RssAnon %6ld kB  RssFile %6ld kB\n",
	       m0.vmrss, m0.anon, m0.file);
	printf("before drain (reopen): VmRSS %6ld kB  RssAnon %6ld kB  RssFile %6ld kB\n",
	       m2.vmrss, m2.anon, m2.file);
	printf("peak while draining  : VmRSS %6ld kB  RssAnon %6ld kB  RssFile %6ld kB "
	       "(target VmRSS < 20480 kB)\n", peak.vmrss, peak.anon, peak.file);
	return st.records == 0 ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: outbox [--records N] [--rounds R] [--body B] [--batch N]\n"
		"              [--producers P] [--workers W] [--dir D] [--backlog [N]]\n");
}

int main(int argc, char **argv)
{
	struct cfg cfg = { .records = 120000, .body = 300, .batch = 0, .backlog = 1000000,
			   .producers = 2, .workers = 2, .rounds = 3 };
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--backlog")) {
			cfg.backlog_mode = true;
			if (v && v[0] >= '0' && v[0] <= '9') {
				cfg.backlog = strtoull(v, NULL, 10);
				i++;
			}
		} else if (v && !strcmp(a, "--records")) {
			cfg.records = strtoull(v, NULL, 10), i++;
		} else if (v && !strcmp(a, "--body")) {
			cfg.body = strtoull(v, NULL, 10), i++;
		} else if (v && !strcmp(a, "--batch")) {
			cfg.batch = strtoull(v, NULL, 10), i++;
		} else if (v && !strcmp(a, "--producers")) {
			cfg.producers = atoi(v), i++;
		} else if (v && !strcmp(a, "--rounds")) {
			cfg.rounds = atoi(v), i++;
		} else if (v && !strcmp(a, "--workers")) {
			cfg.workers = atoi(v), i++;
		} else if (v && !strcmp(a, "--dir")) {
			base = v, i++;
		} else {
			usage();
			return 2;
		}
	}
	if (!cfg.batch) /* default: 100 per ingest/claim; 500 per claim when draining */
		cfg.batch = cfg.backlog_mode ? 500 : 100;
	if (!cfg.records || !cfg.backlog || cfg.producers < 1 || cfg.workers < 1 ||
	    cfg.rounds < 1 || cfg.records < (size_t)cfg.rounds ||
	    cfg.producers > 32 || cfg.workers > 32) {
		usage();
		return 2;
	}
	snprintf(cfg.root, sizeof(cfg.root), "%s/bh-bench-outbox-XXXXXX", base);
	if (!mkdtemp(cfg.root)) {
		fprintf(stderr, "mkdtemp %s: %s\n", cfg.root, strerror(errno));
		return 1;
	}
	struct statfs sf;
	if (statfs(cfg.root, &sf) == 0 && sf.f_type == TMPFS_MAGIC_NUMBER)
		printf("WARNING: %s is a tmpfs: fsync is free there, use --dir on a disk\n",
		       cfg.root);
	bh_log_set_level(BH_LOG_WARN);
	int rc = cfg.backlog_mode ? backlog(&cfg) : throughput(&cfg);
	rm_rf(cfg.root);
	return rc;
}
