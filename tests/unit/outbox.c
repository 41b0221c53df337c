/*
 * tests/unit/outbox.c - behaviour of the durable LMDB outbox (core/outbox.h).
 *
 * Each case opens an outbox in its own directory under a mkdtemp() root ($TMPDIR or
 * /tmp), removed at the end. Time and jitter come from a fake clock and a fixed
 * rand64 through the options; log lines go to a file in the root so the corruption
 * case can check them. Multi-process cases re-execute this program as a second
 * process ("--child ...") that opens the same directory while this one has it open.
 * Asynchronous work is awaited by polling with a deadline, never by sleeping.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "err.h"
#include "log.h"
#include "outbox.h"

static char root[PATH_MAX];
static char log_path[PATH_MAX + 16];
static int case_no;

/* ---- fake clock, rand, routing, notify ---- */

struct env {
	_Atomic int64_t now;
	_Atomic uint64_t rnd;
	uint32_t fa, fb;             /* flows "alpha", "beta" */
	atomic_int notified;
};

static int64_t fake_now(void *arg)
{
	return atomic_load(&((struct env *)arg)->now);
}

static uint64_t fake_rand(void *arg)
{
	return atomic_load(&((struct env *)arg)->rnd);
}

/* t.a -> alpha, t.b -> beta, t.ab -> both, anything else -> nothing */
static size_t route(void *arg, const char *topic, uint32_t *flows, size_t max)
{
	struct env *e = arg;
	size_t n = 0;
	if ((strcmp(topic, "t.a") == 0 || strcmp(topic, "t.ab") == 0) && n < max)
		flows[n++] = e->fa;
	if ((strcmp(topic, "t.b") == 0 || strcmp(topic, "t.ab") == 0) && n < max)
		flows[n++] = e->fb;
	return n;
}

static void on_notify(void *arg)
{
	atomic_fetch_add(&((struct env *)arg)->notified, 1);
}

static void new_dir(char *dir, size_t len)
{
	snprintf(dir, len, "%s/case%d", root, ++case_no);
}

static struct bh_outbox_opts make_opts(struct env *e, const char *dir)
{
	struct bh_outbox_opts o = { 0 };
	o.dir = dir;
	o.now_ms = fake_now;
	o.rand64 = fake_rand;
	o.clock_arg = e;
	o.route = route;
	o.route_arg = e;
	o.notify = on_notify;
	o.notify_arg = e;
	return o;
}

static struct bh_outbox *open_ob(struct env *e, const struct bh_outbox_opts *o,
				 const struct bh_retry_policy *pol)
{
	struct bh_outbox *ob = NULL;
	int rc = bh_outbox_open(o, &ob);
	if (rc) {
		diag("open %s: %s", o->dir, bh_strerror(rc));
		return NULL;
	}
	if (bh_outbox_flow(ob, "alpha", pol, &e->fa) || bh_outbox_flow(ob, "beta", pol, &e->fb)) {
		bh_outbox_close(ob);
		return NULL;
	}
	return ob;
}

static struct bh_outbox *setup(struct env *e, char *dir, size_t dlen,
			       const struct bh_retry_policy *pol)
{
	memset(e, 0, sizeof(*e));
	atomic_store(&e->now, 1700000000000LL);
	new_dir(dir, dlen);
	struct bh_outbox_opts o = make_opts(e, dir);
	return open_ob(e, &o, pol);
}

static struct bh_outbox_rec rec(const char *topic, const char *key, const char *body)
{
	struct bh_outbox_rec r = { topic, key, body, body ? strlen(body) : 0, 0 };
	return r;
}

static struct bh_outbox_result res_of(const struct bh_outbox_item *it, enum bh_outcome oc,
				      const char *err)
{
	struct bh_outbox_result r = { 0 };
	r.flow_id = it->flow_id;
	r.seq = it->seq;
	r.outcome = oc;
	r.error = err;
	return r;
}

/* claim exactly one item of flow, or fail */
static int claim1(struct bh_outbox *ob, uint32_t flow, struct bh_outbox_item **it,
		  int64_t *next)
{
	size_t n = 0;
	int64_t nd;
	int rc = bh_outbox_claim(ob, flow, 1, it, &n, next ? next : &nd);
	if (rc)
		return rc;
	return n == 1 ? 0 : BH_ENOENT;
}

static int complete1(struct bh_outbox *ob, const struct bh_outbox_item *it, enum bh_outcome oc,
		     const char *err, int64_t retry_after, enum bh_outcome *done)
{
	struct bh_outbox_result r = res_of(it, oc, err);
	r.retry_after_ms = retry_after;
	return bh_outbox_complete(ob, &r, 1, done);
}

static struct bh_outbox_stats stats_of(struct bh_outbox *ob)
{
	struct bh_outbox_stats st;
	if (bh_outbox_stats(ob, &st, NULL, NULL))
		memset(&st, 0xff, sizeof(st));
	return st;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
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
	} else {
		unlink(path);
	}
}

/* ---- cases ---- */

static void test_open_flows(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	ok(ob != NULL, "open creates the directory and registers flows");
	if (!ob)
		return;
	struct stat st;
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "state directory is 0700");
	ok(e.fa != 0 && e.fb != 0 && e.fa != e.fb, "flow ids are distinct and non-zero");
	uint32_t again = 0;
	is_int(bh_outbox_flow(ob, "alpha", NULL, &again), 0, "registering a flow again");
	is_int(again, e.fa, "same name, same id");
	is_str(bh_outbox_flow_name(ob, e.fb), "beta", "flow name readable");
	ok(bh_outbox_flow_name(ob, 999) == NULL, "unknown flow id has no name");
	struct bh_outbox_rec bad = rec("t.a", NULL, "x");
	is_int(bh_outbox_ingest(ob, "src", &bad, 1, NULL, NULL), BH_EINVAL, "ingest without key");
	is_int(bh_outbox_ingest(ob, "", NULL, 0, NULL, NULL), BH_EINVAL, "ingest without source");
	struct bh_retry_policy neg = { -1, 0, 0, 0 };
	uint32_t id;
	is_int(bh_outbox_flow(ob, "gamma", &neg, &id), BH_EINVAL, "negative policy refused");
	bh_outbox_close(ob);
}

static void test_order(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	if (!ok(ob != NULL, "order: open"))
		return;
	struct bh_outbox_rec r[5];
	char keys[5][16], bodies[5][24];
	for (int i = 0; i < 5; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		snprintf(bodies[i], sizeof(bodies[i]), "{\"n\":%d}", i);
		r[i] = rec("t.a", keys[i], bodies[i]);
	}
	size_t n_new = 99;
	is_int(bh_outbox_ingest(ob, "shop", r, 3, NULL, &n_new), 0, "ingest 3");
	is_int((long long)n_new, 3, "3 new");
	atomic_fetch_add(&e.now, 5);
	is_int(bh_outbox_ingest(ob, "shop", r + 3, 2, NULL, &n_new), 0, "ingest 2 more later");
	ok(atomic_load(&e.notified) >= 2, "notify fired for new due items");
	struct bh_outbox_item *it = NULL;
	size_t n = 0;
	int64_t next = 0;
	is_int(bh_outbox_claim(ob, e.fa, 10, &it, &n, &next), 0, "claim");
	is_int((long long)n, 5, "all 5 claimed");
	int in_order = n == 5;
	for (size_t i = 0; i < n && in_order; i++)
		in_order = strcmp(it[i].body, bodies[i]) == 0 && strcmp(it[i].key, keys[i]) == 0 &&
			   (i == 0 || it[i].seq > it[i - 1].seq);
	ok(in_order, "delivered in ingest order");
	if (n == 5) {
		is_str(it[0].topic, "t.a", "topic copied");
		is_str(it[0].source, "shop", "source copied");
		is_int((long long)it[0].body_len, (long long)strlen(bodies[0]), "body length");
		is_int(it[0].attempt, 1, "first attempt");
		is_int(it[0].first_attempt_ms, 0, "first_attempt_ms 0 on the first attempt");
		is_int(it[0].time_ms, 1700000000000LL, "time defaults to now");
		char idbuf[32];
		snprintf(idbuf, sizeof(idbuf), "%" PRIu64, it[0].seq);
		is_str(it[0].id, idbuf, "id is the decimal seq");
	}
	ok(next == INT64_MAX, "nothing left: next_due INT64_MAX");
	struct bh_outbox_item *it2 = NULL;
	size_t n2 = 9;
	is_int(bh_outbox_claim(ob, e.fa, 10, &it2, &n2, &next), 0, "claim again");
	is_int((long long)n2, 0, "claimed items are not handed out twice");
	struct bh_outbox_result res[5];
	enum bh_outcome done[5];
	for (size_t i = 0; i < n; i++)
		res[i] = res_of(&it[i], BH_OUTCOME_OK, NULL);
	is_int(bh_outbox_complete(ob, res, n, done), 0, "complete all OK");
	ok(done[0] == BH_OUTCOME_OK && done[4] == BH_OUTCOME_OK, "outcomes reported OK");
	struct bh_outbox_stats st = stats_of(ob);
	is_int((long long)st.records, 0, "records freed after ack");
	is_int((long long)st.acked_total, 5, "acked_total counts OK completions");
	is_int(bh_outbox_complete(ob, res, 1, done), 0, "completing again is ignored");
	st = stats_of(ob);
	is_int((long long)st.acked_total, 5, "ignored results count nowhere");
	bh_outbox_items_free(it, n);
	bh_outbox_items_free(it2, n2);
	bh_outbox_close(ob);
}

static int count_flow(void *arg, const struct bh_outbox_flow_stats *fs)
{
	struct bh_outbox_flow_stats *out = arg;
	out[fs->flow_id < 4 ? fs->flow_id : 0] = *fs;
	return 0;
}

static void test_fanout_stats(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	if (!ok(ob != NULL, "fan-out: open"))
		return;
	struct bh_outbox_rec r[3] = { rec("t.ab", "x1", "both"), rec("t.none", "x2", "nobody"),
				      rec("t.b", "x3", "beta only") };
	r[0].time_ms = 1600000000000LL;
	size_t n_new;
	is_int(bh_outbox_ingest(ob, "src", r, 3, NULL, &n_new), 0, "ingest fan-out batch");
	is_int((long long)n_new, 3, "3 new (unrouted counted)");
	struct bh_outbox_stats st = stats_of(ob);
	is_int((long long)st.records, 2, "unrouted record not kept");
	struct bh_outbox_flow_stats fs[4];
	memset(fs, 0, sizeof(fs));
	struct bh_outbox_stats st2;
	is_int(bh_outbox_stats(ob, &st2, count_flow, fs), 0, "stats with flows");
	is_int((long long)fs[e.fa].queued, 1, "alpha: 1 queued");
	is_int((long long)fs[e.fb].queued, 2, "beta: 2 queued");
	is_int((long long)fs[e.fb].due_now, 2, "beta: 2 due now");
	is_int(fs[e.fb].oldest_ms, 1600000000000LL, "beta: oldest record time");
	is_str(fs[e.fa].name, "alpha", "flow stats carry the name");
	ok(st2.map_size >= 16u << 20 && st2.map_used > 0 && st2.map_used <= st2.map_size,
	   "map size and use reported");
	ok(!st2.paused, "not paused");
	struct bh_outbox_item *a, *b;
	if (claim1(ob, e.fa, &a, NULL) || claim1(ob, e.fb, &b, NULL)) {
		ok(0, "claim on both flows");
		bh_outbox_close(ob);
		return;
	}
	ok(a->seq == b->seq, "same record on both flows");
	is_int(complete1(ob, a, BH_OUTCOME_OK, NULL, 0, NULL), 0, "alpha acks");
	st = stats_of(ob);
	is_int((long long)st.records, 2, "record kept while beta still holds it");
	is_int(complete1(ob, b, BH_OUTCOME_OK, NULL, 0, NULL), 0, "beta acks");
	st = stats_of(ob);
	is_int((long long)st.records, 1, "record freed after both acked");
	is_int((long long)st.acked_total, 2, "two OK completions counted");
	bh_outbox_items_free(a, 1);
	bh_outbox_items_free(b, 1);
	bh_outbox_close(ob);
}

static void test_retry_timing(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_retry_policy pol = { 20, 0, 1000, 8000 };
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), &pol);
	if (!ok(ob != NULL, "retry: open"))
		return;
	struct bh_outbox_rec r = rec("t.a", "r1", "retry me");
	bh_outbox_ingest(ob, "src", &r, 1, NULL, NULL);
	int64_t t0 = atomic_load(&e.now), first = -1;
	/* rnd = UINT64_MAX: jitter = UINT64_MAX % (cap+1) is within [0, cap] */
	atomic_store(&e.rnd, UINT64_MAX);
	const int64_t caps[6] = { 1000, 2000, 4000, 8000, 8000, 8000 };
	bool all_ok = true;
	for (int a = 1; a <= 6; a++) {
		struct bh_outbox_item *it;
		int64_t next;
		if (claim1(ob, e.fa, &it, &next)) {
			all_ok = false;
			diag("attempt %d: nothing to claim", a);
			break;
		}
		if (it->attempt != a || (a == 1 ? it->first_attempt_ms != 0 :
					 it->first_attempt_ms != first)) {
			all_ok = false;
			diag("attempt %d: got attempt %d first %" PRId64, a, it->attempt,
			     it->first_attempt_ms);
		}
		if (a == 1)
			first = atomic_load(&e.now);
		int64_t now = atomic_load(&e.now);
		enum bh_outcome done;
		complete1(ob, it, BH_OUTCOME_RETRY, "try later", 0, &done);
		bh_outbox_items_free(it, 1);
		int64_t want = now + (int64_t)(UINT64_MAX % (uint64_t)(caps[a - 1] + 1));
		struct bh_outbox_item *none;
		size_t n = 9;
		bh_outbox_claim(ob, e.fa, 1, &none, &n, &next);
		if (done != BH_OUTCOME_RETRY || n != 0 || next != want || next < now ||
		    next > now + caps[a - 1]) {
			all_ok = false;
			diag("attempt %d: done %d n %zu next %" PRId64 " want %" PRId64, a, done, n,
			     next, want);
		}
		atomic_store(&e.now, next);
	}
	ok(all_ok, "exponential backoff doubles to the cap, full jitter within [0, cap]");
	ok(first == t0, "first attempt time kept across retries");
	/* retry_after wins over a smaller jitter */
	atomic_store(&e.rnd, 0);
	struct bh_outbox_item *it;
	int64_t next;
	if (claim1(ob, e.fa, &it, &next) == 0) {
		int64_t now = atomic_load(&e.now);
		complete1(ob, it, BH_OUTCOME_RETRY, "429", 30000, NULL);
		bh_outbox_items_free(it, 1);
		size_t n;
		struct bh_outbox_item *none;
		bh_outbox_claim(ob, e.fa, 1, &none, &n, &next);
		is_int(next, now + 30000, "due exactly at now + retry_after when jitter is smaller");
		atomic_store(&e.now, now + 29999);
		bh_outbox_claim(ob, e.fa, 1, &none, &n, &next);
		is_int((long long)n, 0, "not claimable before retry_after");
		atomic_store(&e.now, now + 30000);
		if (claim1(ob, e.fa, &it, &next) == 0) {
			is_int(it->attempt, 8, "claimable at retry_after, attempt 8");
			/* jitter larger than retry_after wins */
			atomic_store(&e.rnd, 7999);
			int64_t t = atomic_load(&e.now);
			complete1(ob, it, BH_OUTCOME_RETRY, "x", 10, NULL);
			bh_outbox_items_free(it, 1);
			bh_outbox_claim(ob, e.fa, 1, &none, &n, &next);
			is_int(next, t + 7999, "jitter above retry_after is kept");
		} else {
			ok(0, "claimable at retry_after");
		}
	} else {
		ok(0, "claim for retry_after");
	}
	bh_outbox_close(ob);
}

static void test_dead(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_retry_policy pol = { 3, 60000, 100, 100 };
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), &pol);
	if (!ok(ob != NULL, "dead: open"))
		return;
	struct bh_outbox_rec r[4] = { rec("t.a", "d1", "attempts"), rec("t.a", "d2", "age"),
				      rec("t.a", "d3", "reject"), rec("t.a", "d4", "keep") };
	r[0].time_ms = 1234;
	bh_outbox_ingest(ob, "src", r, 4, NULL, NULL);
	int64_t t0 = atomic_load(&e.now);
	struct bh_outbox_item *it = NULL;
	size_t n = 0;
	int64_t next;
	/* claim all four */
	bh_outbox_claim(ob, e.fa, 4, &it, &n, &next);
	if (!is_int((long long)n, 4, "four claimed")) {
		bh_outbox_close(ob);
		return;
	}
	enum bh_outcome done;
	/* d1: 3 attempts -> dead */
	uint64_t s1 = it[0].seq, s2 = it[1].seq, s3 = it[2].seq;
	complete1(ob, &it[0], BH_OUTCOME_RETRY, "boom 1", 0, &done);
	is_int(done, BH_OUTCOME_RETRY, "first failure: retry");
	/* d3 rejected at once */
	complete1(ob, &it[2], BH_OUTCOME_REJECT, "unknown SKU TEE-XL (field custitem_sku)", 0, &done);
	is_int(done, BH_OUTCOME_REJECT, "reject: dead at once");
	struct bh_outbox_item *x;
	for (int a = 2; a <= 3; a++) {
		atomic_fetch_add(&e.now, 100);
		if (claim1(ob, e.fa, &x, &next)) {
			ok(0, "claim d1 again");
			break;
		}
		complete1(ob, x, BH_OUTCOME_RETRY, a == 2 ? "boom 2" : "boom 3", 0, &done);
		bh_outbox_items_free(x, 1);
	}
	is_int(done, BH_OUTCOME_REJECT, "third failure with max_attempts 3: dead");
	int64_t t_last = atomic_load(&e.now);
	/* d2 ages out: one retry after max_age */
	atomic_store(&e.now, t0 + 59999);
	complete1(ob, &it[1], BH_OUTCOME_RETRY, "still down", 0, &done);
	is_int(done, BH_OUTCOME_RETRY, "retry just before max_age: retried");
	atomic_store(&e.now, t0 + 60000);
	if (claim1(ob, e.fa, &x, &next) == 0) {
		complete1(ob, x, BH_OUTCOME_RETRY, "still down", 0, &done);
		bh_outbox_items_free(x, 1);
	}
	is_int(done, BH_OUTCOME_REJECT, "retry at max_age: dead");
	char id[96];
	struct bh_dead_info d;
	snprintf(id, sizeof(id), "alpha/%" PRIu64, s1);
	if (is_int(bh_outbox_dead_get(ob, id, &d), 0, "dead_get %s", id)) {
		is_str(d.id, id, "dead id is flow name / seq");
		is_int(d.attempts, 3, "attempts recorded");
		is_str(d.error, "boom 3", "last error recorded");
		is_int(d.first_attempt_ms, t0, "first attempt time");
		is_int(d.last_attempt_ms, t_last, "last attempt time");
		is_int(d.time_ms, 1234, "record time");
		is_str(d.body, "attempts", "body kept with the dead letter");
		is_str(d.key, "d1", "key");
		bh_outbox_dead_info_free(&d);
	}
	snprintf(id, sizeof(id), "alpha/%" PRIu64, s2);
	if (is_int(bh_outbox_dead_get(ob, id, &d), 0, "aged-out letter")) {
		is_int(d.attempts, 2, "aged out after 2 attempts");
		is_str(d.error, "still down", "its error");
		bh_outbox_dead_info_free(&d);
	}
	snprintf(id, sizeof(id), "alpha/%" PRIu64, s3);
	if (is_int(bh_outbox_dead_get(ob, id, &d), 0, "rejected letter")) {
		is_int(d.attempts, 1, "rejected after 1 attempt");
		ok(strstr(d.error, "TEE-XL") != NULL, "reject reason kept");
		bh_outbox_dead_info_free(&d);
	}
	is_int(bh_outbox_dead_get(ob, "alpha/999999", &d), BH_ENOENT, "unknown dead id");
	is_int(bh_outbox_dead_get(ob, "nosuchflow/1", &d), BH_ENOENT, "unknown flow in id");
	struct bh_outbox_stats st = stats_of(ob);
	is_int((long long)st.records, 4, "records kept for dead letters");
	/* foreach */
	struct bh_outbox_flow_stats fs[4];
	memset(fs, 0, sizeof(fs));
	bh_outbox_stats(ob, &st, count_flow, fs);
	is_int((long long)fs[e.fa].dead, 3, "stats: 3 dead on alpha");
	is_int((long long)fs[e.fa].queued, 1, "stats: 1 still queued");
	/* drop one */
	snprintf(id, sizeof(id), "alpha/%" PRIu64, s3);
	is_int(bh_outbox_dead_drop(ob, id), 0, "drop");
	is_int(bh_outbox_dead_drop(ob, id), BH_ENOENT, "drop again: ENOENT");
	is_int(bh_outbox_dead_get(ob, id, &d), BH_ENOENT, "dropped letter is gone");
	st = stats_of(ob);
	is_int((long long)st.records, 3, "dropped letter's record freed");
	/* replay one */
	size_t nr = 0;
	snprintf(id, sizeof(id), "alpha/%" PRIu64, s1);
	is_int(bh_outbox_dead_replay(ob, id, &nr), 0, "replay one");
	is_int((long long)nr, 1, "one replayed");
	is_int(bh_outbox_dead_replay(ob, id, &nr), BH_ENOENT, "replayed letter no longer dead");
	if (claim1(ob, e.fa, &x, &next) == 0) {
		is_int((long long)x->seq, (long long)s1, "replayed record claimable");
		is_int(x->attempt, 1, "attempts reset by replay");
		is_int(x->first_attempt_ms, 0, "first attempt reset by replay");
		complete1(ob, x, BH_OUTCOME_REJECT, "again", 0, NULL);
		bh_outbox_items_free(x, 1);
	} else {
		ok(0, "replayed record claimable");
	}
	/* replay all */
	is_int(bh_outbox_dead_replay(ob, NULL, &nr), 0, "replay all");
	is_int((long long)nr, 2, "two replayed");
	size_t cnt = 0;
	struct bh_outbox_item *all;
	bh_outbox_claim(ob, e.fa, 10, &all, &cnt, &next);
	is_int((long long)cnt, 2, "both replayed letters due now");
	bh_outbox_items_free(all, cnt);
	is_int(bh_outbox_dead_replay(ob, NULL, &nr), 0, "replay all with none");
	is_int((long long)nr, 0, "nothing replayed");
	bh_outbox_items_free(it, n);
	bh_outbox_close(ob);
}

static int dead_count(void *arg, const struct bh_dead_info *d)
{
	int *c = arg;
	(*c)++;
	return d->attempts < 0;
}

static int dead_stop(void *arg, const struct bh_dead_info *d)
{
	(void)d;
	int *c = arg;
	return ++(*c) == 70;
}

static void test_dead_foreach(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	if (!ok(ob != NULL, "dead foreach: open"))
		return;
	/* 150 rejected records, more than one read chunk */
	enum { N = 150 };
	struct bh_outbox_rec r[N];
	char keys[N][16];
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "f%d", i);
		r[i] = rec("t.b", keys[i], "x");
	}
	bh_outbox_ingest(ob, "src", r, N, NULL, NULL);
	struct bh_outbox_item *it;
	size_t n;
	int64_t next;
	bh_outbox_claim(ob, e.fb, N, &it, &n, &next);
	struct bh_outbox_result res[N];
	for (size_t i = 0; i < n; i++)
		res[i] = res_of(&it[i], BH_OUTCOME_REJECT, "no");
	bh_outbox_complete(ob, res, n, NULL);
	bh_outbox_items_free(it, n);
	int c = 0;
	is_int(bh_outbox_dead_foreach(ob, dead_count, &c), 0, "foreach");
	is_int(c, N, "foreach visits every dead letter");
	c = 0;
	bh_outbox_dead_foreach(ob, dead_stop, &c);
	is_int(c, 70, "foreach stops when fn returns non-zero");
	bh_outbox_close(ob);
}

static void test_dedupe(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	if (!ok(ob != NULL, "dedupe: open"))
		return;
	struct bh_outbox_rec r = rec("t.a", "order-1", "v1");
	size_t n_new;
	bh_outbox_ingest(ob, "shop", &r, 1, NULL, &n_new);
	is_int((long long)n_new, 1, "first delivery stored");
	r.body = "v2";
	is_int(bh_outbox_ingest(ob, "shop", &r, 1, NULL, &n_new), 0, "duplicate ingest succeeds");
	is_int((long long)n_new, 0, "duplicate key dropped across ingests");
	struct bh_outbox_rec b[3] = { rec("t.a", "order-2", "a"), rec("t.a", "order-2", "b"),
				      rec("t.a", "order-3", "c") };
	bh_outbox_ingest(ob, "shop", b, 3, NULL, &n_new);
	is_int((long long)n_new, 2, "duplicate key dropped within one batch");
	bh_outbox_ingest(ob, "loop", &r, 1, NULL, &n_new);
	is_int((long long)n_new, 1, "same key from another source is new");
	/* a very long key is hashed, still deduplicated */
	char longkey[2000];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	struct bh_outbox_rec lr = rec("t.a", longkey, "long");
	bh_outbox_ingest(ob, "shop", &lr, 1, NULL, &n_new);
	is_int((long long)n_new, 1, "long key stored");
	bh_outbox_ingest(ob, "shop", &lr, 1, NULL, &n_new);
	is_int((long long)n_new, 0, "long key deduplicated");
	struct bh_outbox_item *it;
	size_t n;
	int64_t next;
	bh_outbox_claim(ob, e.fa, 10, &it, &n, &next);
	is_int((long long)n, 5, "5 distinct records queued");
	if (n >= 2) {
		is_str(it[0].body, "v1", "the first delivery's body is kept");
		is_str(it[1].body, "a", "first of the batch duplicates kept");
	}
	if (n == 5)
		is_str(it[4].key, longkey, "long key delivered intact");
	bh_outbox_items_free(it, n);
	/* acked records still dedupe */
	bh_outbox_close(ob);
}

static void test_cursor_persistence(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_retry_policy pol = { 5, 0, 10, 10 };
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), &pol);
	if (!ok(ob != NULL, "persistence: open"))
		return;
	char buf[64];
	is_int(bh_outbox_cursor_get(ob, "shop", buf, sizeof(buf)), BH_ENOENT, "no cursor yet");
	struct bh_outbox_rec r[2] = { rec("t.a", "p1", "one"), rec("t.ab", "p2", "two") };
	is_int(bh_outbox_ingest(ob, "shop", r, 2, "2024-01-01T00:00:00Z", NULL), 0,
	       "ingest with cursor");
	is_int(bh_outbox_cursor_get(ob, "shop", buf, sizeof(buf)), 20, "cursor length");
	is_str(buf, "2024-01-01T00:00:00Z", "cursor stored");
	is_int(bh_outbox_cursor_get(ob, "shop", buf, 5), BH_ETOOBIG, "small buffer: ETOOBIG");
	is_int(bh_outbox_ingest(ob, "shop", NULL, 0, "c2", NULL), 0, "cursor-only advance");
	struct bh_outbox_item *it;
	int64_t next;
	claim1(ob, e.fa, &it, &next);
	complete1(ob, it, BH_OUTCOME_OK, NULL, 0, NULL);
	bh_outbox_items_free(it, 1);
	claim1(ob, e.fb, &it, &next);
	complete1(ob, it, BH_OUTCOME_REJECT, "bad", 0, NULL);
	bh_outbox_items_free(it, 1);
	uint32_t fa = e.fa, fb = e.fb;
	bh_outbox_close(ob);

	/* reopen without registering flows (like the CLI) */
	struct bh_outbox_opts o = make_opts(&e, dir);
	ob = NULL;
	if (!is_int(bh_outbox_open(&o, &ob), 0, "reopen"))
		return;
	is_str(bh_outbox_flow_name(ob, fb), "beta", "flow names persisted");
	is_int(bh_outbox_cursor_get(ob, "shop", buf, sizeof(buf)), 2, "cursor persisted");
	is_str(buf, "c2", "latest cursor");
	struct bh_outbox_stats st = stats_of(ob);
	is_int((long long)st.acked_total, 1, "acked_total persisted");
	is_int((long long)st.records, 1, "record of the queued/dead items persisted");
	size_t n;
	bh_outbox_claim(ob, fa, 10, &it, &n, &next);
	is_int((long long)n, 1, "queued item survives reopen");
	if (n == 1)
		is_str(it[0].body, "two", "its body");
	bh_outbox_items_free(it, n);
	int c = 0;
	bh_outbox_dead_foreach(ob, dead_count, &c);
	is_int(c, 1, "dead letter survives reopen");
	uint32_t id2;
	bh_outbox_flow(ob, "beta", NULL, &id2);
	is_int(id2, fb, "flow id stable across reopen");
	size_t n_new;
	bh_outbox_ingest(ob, "shop", r, 1, NULL, &n_new);
	is_int((long long)n_new, 0, "dedupe survives reopen (acked record)");
	bh_outbox_close(ob);
}

static int log_collect(void *arg, const char *json)
{
	char *acc = arg;
	strcat(acc, json);
	strcat(acc, ";");
	return 0;
}

static void test_sync_log(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	memset(&e, 0, sizeof(e));
	new_dir(dir, sizeof(dir));
	struct bh_outbox_opts o = make_opts(&e, dir);
	o.log_cap = 5;
	struct bh_outbox *ob = NULL;
	if (!is_int(bh_outbox_open(&o, &ob), 0, "sync log: open"))
		return;
	char acc[512] = "";
	is_int(bh_outbox_log_foreach(ob, 10, log_collect, acc), 0, "empty log");
	is_str(acc, "", "nothing in an empty log");
	for (int i = 1; i <= 8; i++) {
		char j[32];
		snprintf(j, sizeof(j), "{\"cycle\":%d}", i);
		bh_outbox_log_append(ob, j);
	}
	is_int(bh_outbox_log_foreach(ob, 100, log_collect, acc), 0, "read the log");
	is_str(acc, "{\"cycle\":4};{\"cycle\":5};{\"cycle\":6};{\"cycle\":7};{\"cycle\":8};",
	       "capped at log_cap, oldest removed, oldest first");
	acc[0] = '\0';
	bh_outbox_log_foreach(ob, 2, log_collect, acc);
	is_str(acc, "{\"cycle\":7};{\"cycle\":8};", "last 2 entries, oldest first");
	bh_outbox_close(ob);
	ob = NULL;
	bh_outbox_open(&o, &ob);
	acc[0] = '\0';
	if (ob) {
		bh_outbox_log_append(ob, "{\"cycle\":9}");
		bh_outbox_log_foreach(ob, 0, log_collect, acc);
		bh_outbox_close(ob);
	}
	is_str(acc, "{\"cycle\":5};{\"cycle\":6};{\"cycle\":7};{\"cycle\":8};{\"cycle\":9};",
	       "log persisted, cap kept after reopen (0 = all)");
}

static void test_xref_follow(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	if (!ok(ob != NULL, "xref: open"))
		return;
	struct bh_outbox_rec r = rec("t.a", "ret-1", "{\"return\":1}");
	bh_outbox_ingest(ob, "loop", &r, 1, NULL, NULL);
	struct bh_outbox_item *it;
	int64_t next;
	char buf[64];
	is_int(bh_outbox_xref_get(ob, "loop-ra", "1", buf, sizeof(buf)), BH_ENOENT, "no xref yet");
	if (claim1(ob, e.fa, &it, &next)) {
		ok(0, "claim");
		bh_outbox_close(ob);
		return;
	}
	char longkey[700];
	memset(longkey, 'z', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	struct bh_outbox_xref xr[2] = { { "loop-ra", "1", "RA-1001" }, { "long", longkey, "v" } };
	struct bh_outbox_rec fol = rec("t.b", "ra-created-1", "{\"ra\":1001}");
	struct bh_outbox_result res = res_of(it, BH_OUTCOME_RETRY, "not yet");
	res.xrefs = xr;
	res.n_xrefs = 2;
	res.follow = &fol;
	res.n_follow = 1;
	res.follow_source = "flow:return-authorization";
	is_int(bh_outbox_complete(ob, &res, 1, NULL), 0, "retry with xrefs and follow-ups");
	is_int(bh_outbox_xref_get(ob, "loop-ra", "1", buf, sizeof(buf)), BH_ENOENT,
	       "xrefs not written on retry");
	struct bh_outbox_item *none;
	size_t n;
	bh_outbox_claim(ob, e.fb, 10, &none, &n, &next);
	is_int((long long)n, 0, "follow-ups not ingested on retry");
	bh_outbox_items_free(it, 1);
	atomic_fetch_add(&e.now, 3600 * 1000);
	if (claim1(ob, e.fa, &it, &next)) {
		ok(0, "claim again");
		bh_outbox_close(ob);
		return;
	}
	res = res_of(it, BH_OUTCOME_OK, NULL);
	res.xrefs = xr;
	res.n_xrefs = 2;
	res.follow = &fol;
	res.n_follow = 1;
	res.follow_source = "flow:return-authorization";
	is_int(bh_outbox_complete(ob, &res, 1, NULL), 0, "OK with xrefs and follow-ups");
	bh_outbox_items_free(it, 1);
	is_int(bh_outbox_xref_get(ob, "loop-ra", "1", buf, sizeof(buf)), 7, "xref written");
	is_str(buf, "RA-1001", "xref value");
	is_int(bh_outbox_xref_get(ob, "loop-ra", "1", buf, 4), BH_ETOOBIG, "xref small buffer");
	is_int(bh_outbox_xref_get(ob, "long", longkey, buf, sizeof(buf)), 1, "long xref key");
	if (claim1(ob, e.fb, &it, &next) == 0) {
		is_str(it->body, "{\"ra\":1001}", "follow-up delivered to its flow");
		is_str(it->source, "flow:return-authorization", "follow-up source");
		bh_outbox_items_free(it, 1);
	} else {
		ok(0, "follow-up delivered");
	}
	bh_outbox_close(ob);
}

static bool file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static void test_corrupt(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	if (!ok(ob != NULL, "corrupt: open"))
		return;
	struct bh_outbox_rec r[5] = { rec("t.a", "c1", "one"), rec("t.a", "c2", "two"),
				      rec("t.a", "c3", "three"), rec("t.a", "c4", "four"),
				      rec("t.ab", "c5", "five") };
	bh_outbox_ingest(ob, "src", r, 5, NULL, NULL);
	/* seq 1..5: plant bad magic in 2, unknown version in 3, a truncated record in 4 */
	unsigned char k[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	is_int(bh_outbox_debug_put_raw(ob, "records", k, 8, "garbage!garbage!", 16), 0,
	       "plant bad magic");
	k[7] = 3;
	unsigned char v9[40] = { 'B', 'H', 'O', 'X', 9, 'R' };
	bh_outbox_debug_put_raw(ob, "records", k, 8, v9, sizeof(v9));
	k[7] = 4;
	unsigned char trunc[12] = { 'B', 'H', 'O', 'X', 1, 'R', 0, 0, 0, 0, 0, 1 };
	bh_outbox_debug_put_raw(ob, "records", k, 8, trunc, sizeof(trunc));
	/* and a corrupt queue entry of flow beta for seq 5 */
	unsigned char qk[12] = { 0 };
	qk[0] = (unsigned char)(e.fb >> 24);
	qk[1] = (unsigned char)(e.fb >> 16);
	qk[2] = (unsigned char)(e.fb >> 8);
	qk[3] = (unsigned char)e.fb;
	qk[11] = 5;
	bh_outbox_debug_put_raw(ob, "queue", qk, 12, "BHOX", 4);
	is_int(bh_outbox_debug_put_raw(ob, "nosuch", k, 8, "x", 1), BH_EINVAL, "unknown table");
	struct bh_outbox_item *it = NULL;
	size_t n = 0;
	int64_t next;
	is_int(bh_outbox_claim(ob, e.fa, 10, &it, &n, &next), 0, "claim with corrupt entries");
	is_int((long long)n, 2, "the two good records delivered");
	if (n == 2) {
		is_str(it[0].body, "one", "first good record");
		is_str(it[1].body, "five", "last good record");
	}
	struct bh_outbox_item *b = NULL;
	size_t nb = 9;
	bh_outbox_claim(ob, e.fb, 10, &b, &nb, &next);
	is_int((long long)nb, 0, "corrupt queue entry skipped");
	struct bh_outbox_stats st = stats_of(ob);
	is_int((long long)st.corrupt, 4, "stats count 4 corrupt entries");
	ok(file_contains(log_path, "corrupt entry in records, key 0000000000000002 (bad magic)"),
	   "log line names the table, key and reason");
	ok(file_contains(log_path, "key 0000000000000003 (unknown format version)"),
	   "unknown version logged");
	ok(file_contains(log_path, "key 0000000000000004 (truncated"), "truncated logged");
	ok(file_contains(log_path, "corrupt entry in queue"), "corrupt queue entry logged");
	struct bh_outbox_flow_stats fs[4];
	memset(fs, 0, sizeof(fs));
	bh_outbox_stats(ob, &st, count_flow, fs);
	is_int((long long)fs[e.fa].queued, 2, "corrupt entries left the queue");
	is_int((long long)fs[e.fb].queued, 0, "beta's corrupt entry left the queue");
	struct bh_outbox_result res[2];
	for (size_t i = 0; i < n; i++)
		res[i] = res_of(&it[i], BH_OUTCOME_OK, NULL);
	is_int(bh_outbox_complete(ob, res, n, NULL), 0, "good records acked");
	st = stats_of(ob);
	is_int((long long)st.records, 0, "no records left (record 5 released by both flows)");
	bh_outbox_items_free(it, n);
	/* a malformed due key and a due entry without queue entry (flow alpha) */
	unsigned char bad_due[5], dangling[20];
	bad_due[0] = (unsigned char)(e.fa >> 24);
	bad_due[1] = (unsigned char)(e.fa >> 16);
	bad_due[2] = (unsigned char)(e.fa >> 8);
	bad_due[3] = (unsigned char)e.fa;
	bad_due[4] = 1;
	memset(dangling, 0, sizeof(dangling));
	memcpy(dangling, bad_due, 4);
	dangling[19] = 99;
	bh_outbox_debug_put_raw(ob, "due", bad_due, sizeof(bad_due), "", 0);
	bh_outbox_debug_put_raw(ob, "due", dangling, sizeof(dangling), "", 0);
	struct bh_outbox_rec r6 = rec("t.a", "c6", "six");
	bh_outbox_ingest(ob, "src", &r6, 1, NULL, NULL);
	n = 0;
	is_int(bh_outbox_claim(ob, e.fa, 10, &it, &n, &next), 0, "claim past bad due entries");
	is_int((long long)n, 1, "the good record behind them delivered");
	if (n == 1)
		is_str(it[0].body, "six", "its body");
	st = stats_of(ob);
	is_int((long long)st.corrupt, 5, "malformed due key moved to corrupt, dangling one only removed");
	ok(file_contains(log_path, "without queue entry: removed"), "dangling due entry logged");
	if (n == 1) {
		res[0] = res_of(&it[0], BH_OUTCOME_OK, NULL);
		bh_outbox_complete(ob, res, 1, NULL);
	}
	bh_outbox_items_free(it, n);
	/* a corrupt dead letter is moved aside when read */
	unsigned char dk[12];
	memcpy(dk, qk, 12);
	dk[11] = 77;
	bh_outbox_debug_put_raw(ob, "dead", dk, 12, "xx", 2);
	int c = 0;
	is_int(bh_outbox_dead_foreach(ob, dead_count, &c), 0, "foreach with a corrupt letter");
	is_int(c, 0, "corrupt dead letter not shown");
	st = stats_of(ob);
	is_int((long long)st.corrupt, 6, "and counted as corrupt");
	bh_outbox_close(ob);
}

/* ---- map full ---- */

static void test_map_full(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	memset(&e, 0, sizeof(e));
	atomic_store(&e.now, 1700000000000LL);
	new_dir(dir, sizeof(dir));
	struct bh_outbox_opts o = make_opts(&e, dir);
	o.initial_size = 256 * 1024;
	o.max_size = 1024 * 1024;
	struct bh_outbox *ob = open_ob(&e, &o, NULL);
	if (!ok(ob != NULL, "map full: open with a 1 MiB maximum"))
		return;
	char body[2000];
	memset(body, 'b', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	int rc = 0, batches = 0;
	size_t stored = 0;
	char cursor[32] = "";
	while (batches < 1000) {
		struct bh_outbox_rec r[10];
		char keys[10][32];
		for (int i = 0; i < 10; i++) {
			snprintf(keys[i], sizeof(keys[i]), "m%d-%d", batches, i);
			r[i] = rec("t.a", keys[i], body);
		}
		char cur[32];
		snprintf(cur, sizeof(cur), "cur-%d", batches);
		size_t n_new = 0;
		rc = bh_outbox_ingest(ob, "src", r, 10, cur, &n_new);
		if (rc)
			break;
		stored += n_new;
		snprintf(cursor, sizeof(cursor), "%s", cur);
		batches++;
	}
	is_int(rc, BH_EBUSY, "ingest refused with EBUSY at max_size (after %zu records)", stored);
	ok(stored > 100, "the map grew before refusing (%zu records stored)", stored);
	ok(bh_outbox_paused(ob), "paused");
	struct bh_outbox_stats st = stats_of(ob);
	is_int((long long)st.map_size, 1024 * 1024, "map grew to max_size");
	ok(st.paused, "stats report paused");
	is_int((long long)st.records, (long long)stored, "refused batch stored nothing");
	char buf[32];
	bh_outbox_cursor_get(ob, "src", buf, sizeof(buf));
	is_str(buf, cursor, "refused batch did not move the cursor");
	/* a small sync-log append fails alone? (it adds data too) - completes must work */
	int before = atomic_load(&e.notified);
	size_t drained = 0;
	for (int round = 0; round < 1000; round++) {
		struct bh_outbox_item *it;
		size_t n;
		int64_t next;
		if (bh_outbox_claim(ob, e.fa, 25, &it, &n, &next) || n == 0)
			break;
		struct bh_outbox_result res[25];
		for (size_t i = 0; i < n; i++)
			res[i] = res_of(&it[i], BH_OUTCOME_OK, NULL);
		if (bh_outbox_complete(ob, res, n, NULL)) {
			bh_outbox_items_free(it, n);
			break;
		}
		drained += n;
		bh_outbox_items_free(it, n);
	}
	is_int((long long)drained, (long long)stored, "everything delivered; nothing dropped");
	ok(!bh_outbox_paused(ob), "paused cleared once deliveries freed space");
	ok(atomic_load(&e.notified) > before, "notify fired on resume");
	struct bh_outbox_rec again[10];
	char keys2[10][32];
	for (int i = 0; i < 10; i++) {
		snprintf(keys2[i], sizeof(keys2[i]), "again-%d", i);
		again[i] = rec("t.a", keys2[i], body);
	}
	size_t n_new = 0;
	is_int(bh_outbox_ingest(ob, "src", again, 10, "after", &n_new), 0, "ingest succeeds again");
	is_int((long long)n_new, 10, "all stored");
	bh_outbox_close(ob);
}

/* ---- one group, one failing request ---- */

struct gate {
	struct env e;                /* first: the callbacks get &gate->e */
	atomic_int block;            /* 1: the next notify blocks until released */
	atomic_int inside;
	atomic_int write_rc;         /* what a write from inside notify returned */
	struct bh_outbox *ob;
};

static void gate_notify(void *arg)
{
	struct gate *g = arg;
	atomic_fetch_add(&g->e.notified, 1);
	if (!atomic_load(&g->block))
		return;
	atomic_store(&g->write_rc, bh_outbox_log_append(g->ob, "{}"));
	atomic_store(&g->inside, 1);
	int64_t deadline = tap_mono_ms() + 20000;
	while (atomic_load(&g->block) && tap_mono_ms() < deadline)
		sched_yield();
	atomic_store(&g->inside, 0);
}

struct ingest_job {
	struct bh_outbox *ob;
	const char *source, *key, *cursor;
	const char *body;
	size_t body_len;
	int rc;
};

static void *ingest_thread(void *arg)
{
	struct ingest_job *j = arg;
	struct bh_outbox_rec r = { "t.a", j->key, j->body, j->body_len, 0 };
	j->rc = bh_outbox_ingest(j->ob, j->source, &r, 1, j->cursor, NULL);
	return NULL;
}

static void test_group_isolation(void)
{
	static struct gate g;
	char dir[PATH_MAX + 32];
	memset(&g, 0, sizeof(g));
	atomic_store(&g.e.now, 1700000000000LL);
	new_dir(dir, sizeof(dir));
	struct bh_outbox_opts o = make_opts(&g.e, dir);
	o.initial_size = 256 * 1024;
	o.max_size = 1024 * 1024;
	o.notify = gate_notify;
	o.notify_arg = &g;
	g.ob = open_ob(&g.e, &o, NULL);
	if (!ok(g.ob != NULL, "group: open"))
		return;
	/* hold the committer inside notify after a first ingest ... */
	atomic_store(&g.block, 1);
	struct ingest_job j0 = { g.ob, "s0", "first", NULL, "x", 1, 0 };
	size_t big_len = 3 * 1024 * 1024;
	char *big = malloc(big_len);
	if (big)
		memset(big, 'B', big_len);
	struct ingest_job j1 = { g.ob, "s1", "too-big", "c-big", big, big_len, 0 };
	struct ingest_job j2 = { g.ob, "s2", "small", "c-small", "fits", 4, 0 };
	pthread_t t0, t1, t2;
	pthread_create(&t0, NULL, ingest_thread, &j0);
	int64_t deadline = tap_mono_ms() + 10000;
	while (!atomic_load(&g.inside) && tap_mono_ms() < deadline)
		sched_yield();
	ok(atomic_load(&g.inside), "committer held in notify");
	is_int(atomic_load(&g.write_rc), BH_EINVAL, "a write from inside notify is refused");
	/* ... so that the next two requests queue up and commit as one group */
	pthread_create(&t1, NULL, ingest_thread, &j1);
	pthread_create(&t2, NULL, ingest_thread, &j2);
	deadline = tap_mono_ms() + 10000;
	while (bh_outbox_debug_queued(g.ob) < 2 && tap_mono_ms() < deadline)
		sched_yield();
	is_int((long long)bh_outbox_debug_queued(g.ob), 2, "two requests queued for one group");
	atomic_store(&g.block, 0);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	is_int(j0.rc, 0, "first ingest committed");
	is_int(j1.rc, BH_EBUSY, "the request that cannot fit fails alone with EBUSY");
	is_int(j2.rc, 0, "the other request of the same group commits");
	ok(bh_outbox_paused(g.ob), "paused after the refusal");
	char buf[32];
	is_int(bh_outbox_cursor_get(g.ob, "s1", buf, sizeof(buf)), BH_ENOENT,
	       "failed request stored no cursor");
	bh_outbox_cursor_get(g.ob, "s2", buf, sizeof(buf));
	is_str(buf, "c-small", "the group's other cursor stored");
	struct bh_outbox_item *it;
	size_t n;
	int64_t next;
	bh_outbox_claim(g.ob, g.e.fa, 10, &it, &n, &next);
	is_int((long long)n, 2, "only the two small records stored");
	bh_outbox_items_free(it, n);
	struct ingest_job j3 = { g.ob, "s3", "later", NULL, "y", 1, 0 };
	ingest_thread(&j3);
	is_int(j3.rc, 0, "a small ingest still fits");
	ok(!bh_outbox_paused(g.ob), "and clears paused");
	free(big);
	bh_outbox_close(g.ob);
}

/* ---- concurrency ---- */

enum { PRODUCERS = 4, BATCHES = 50, PER_BATCH = 20, TOTAL = PRODUCERS * BATCHES * PER_BATCH };

struct conc {
	struct bh_outbox *ob;
	struct env *e;
	int id;
	atomic_int *acked;
	atomic_uchar *seen;          /* by seq */
	atomic_int *dup, *errors;
};

static void *producer(void *arg)
{
	struct conc *c = arg;
	char src[16];
	snprintf(src, sizeof(src), "p%d", c->id);
	for (int b = 0; b < BATCHES; b++) {
		struct bh_outbox_rec r[PER_BATCH + 1];
		char keys[PER_BATCH][32];
		for (int i = 0; i < PER_BATCH; i++) {
			snprintf(keys[i], sizeof(keys[i]), "%d-%d", b, i);
			r[i] = rec("t.a", keys[i], "payload");
		}
		r[PER_BATCH] = r[0]; /* a duplicate in every batch */
		size_t n_new = 0;
		char cur[16];
		snprintf(cur, sizeof(cur), "%d", b);
		if (bh_outbox_ingest(c->ob, src, r, PER_BATCH + 1, cur, &n_new) ||
		    n_new != PER_BATCH)
			atomic_fetch_add(c->errors, 1);
	}
	return NULL;
}

static void *worker(void *arg)
{
	struct conc *c = arg;
	int64_t deadline = tap_mono_ms() + 60000;
	while (atomic_load(c->acked) < TOTAL && tap_mono_ms() < deadline) {
		struct bh_outbox_item *it;
		size_t n;
		int64_t next;
		if (bh_outbox_claim(c->ob, c->e->fa, 32, &it, &n, &next)) {
			atomic_fetch_add(c->errors, 1);
			break;
		}
		if (n == 0) {
			sched_yield();
			continue;
		}
		struct bh_outbox_result res[32];
		for (size_t i = 0; i < n; i++) {
			if (it[i].seq == 0 || it[i].seq > TOTAL ||
			    atomic_fetch_add(&c->seen[it[i].seq], 1) != 0)
				atomic_fetch_add(c->dup, 1);
			res[i] = res_of(&it[i], BH_OUTCOME_OK, NULL);
		}
		if (bh_outbox_complete(c->ob, res, n, NULL))
			atomic_fetch_add(c->errors, 1);
		else
			atomic_fetch_add(c->acked, (int)n);
		bh_outbox_items_free(it, n);
	}
	return NULL;
}

static void test_concurrency(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	struct bh_outbox *ob = setup(&e, dir, sizeof(dir), NULL);
	if (!ok(ob != NULL, "concurrency: open"))
		return;
	static atomic_uchar seen[TOTAL + 1];
	atomic_int acked = 0, dup = 0, errors = 0;
	struct conc c[PRODUCERS + 2];
	pthread_t th[PRODUCERS + 2];
	for (int i = 0; i < PRODUCERS + 2; i++) {
		c[i] = (struct conc){ ob, &e, i, &acked, seen, &dup, &errors };
		pthread_create(&th[i], NULL, i < PRODUCERS ? producer : worker, &c[i]);
	}
	for (int i = 0; i < PRODUCERS + 2; i++)
		pthread_join(th[i], NULL);
	is_int(atomic_load(&errors), 0, "no errors from 4 producers and 2 workers");
	is_int(atomic_load(&acked), TOTAL, "every record acked");
	is_int(atomic_load(&dup), 0, "no record delivered twice");
	int missing = 0;
	for (int s = 1; s <= TOTAL; s++)
		missing += atomic_load(&seen[s]) != 1;
	is_int(missing, 0, "every seq delivered exactly once");
	struct bh_outbox_stats st = stats_of(ob);
	is_int((long long)st.acked_total, TOTAL, "acked_total exact");
	is_int((long long)st.records, 0, "no record left");
	char buf[16];
	bh_outbox_cursor_get(ob, "p3", buf, sizeof(buf));
	is_str(buf, "49", "each producer's last cursor stored");
	bh_outbox_close(ob);
}

/* ---- a second process on the same directory ---- */

static int child_main(int argc, char **argv)
{
	/* argv: --child <dir> <mode> <log file>; exit 0 on success */
	struct env e;
	memset(&e, 0, sizeof(e));
	atomic_store(&e.now, 1700000000000LL);
	if (argc < 5)
		return 2;
	bh_log_open(argv[4]);
	struct bh_outbox_opts o = make_opts(&e, argv[2]);
	o.initial_size = 256 * 1024;
	struct bh_outbox *ob = NULL;
	if (bh_outbox_open(&o, &ob))
		return 3;
	int rc = 0;
	if (strcmp(argv[3], "replay") == 0) {
		size_t n = 0;
		if (bh_outbox_dead_replay(ob, NULL, &n) || n != 3)
			rc = 4;
		struct bh_outbox_stats st;
		if (bh_outbox_stats(ob, &st, NULL, NULL) || st.records != 3)
			rc = 5;
	} else if (strcmp(argv[3], "grow") == 0) {
		/* ingest ~4 MiB so the map grows well beyond the parent's mapping */
		uint32_t fa;
		if (bh_outbox_flow(ob, "alpha", NULL, &fa))
			rc = 6;
		e.fa = fa;
		static char body[8192];
		memset(body, 'g', sizeof(body) - 1);
		for (int b = 0; b < 50 && !rc; b++) {
			struct bh_outbox_rec r[10];
			char keys[10][32];
			for (int i = 0; i < 10; i++) {
				snprintf(keys[i], sizeof(keys[i]), "g%d-%d", b, i);
				r[i] = rec("t.a", keys[i], body);
			}
			if (bh_outbox_ingest(ob, "child", r, 10, NULL, NULL))
				rc = 7;
		}
	}
	bh_outbox_close(ob);
	return rc;
}

static int run_child(const char *dir, const char *mode)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "outbox.test", "--child", dir, mode, log_path, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_two_processes(void)
{
	struct env e;
	char dir[PATH_MAX + 32];
	memset(&e, 0, sizeof(e));
	atomic_store(&e.now, 1700000000000LL);
	new_dir(dir, sizeof(dir));
	struct bh_outbox_opts o = make_opts(&e, dir);
	o.initial_size = 256 * 1024;
	struct bh_outbox *ob = open_ob(&e, &o, NULL);
	if (!ok(ob != NULL, "two processes: open"))
		return;
	struct bh_outbox_rec r[3] = { rec("t.a", "mp1", "1"), rec("t.a", "mp2", "2"),
				      rec("t.a", "mp3", "3") };
	bh_outbox_ingest(ob, "src", r, 3, NULL, NULL);
	struct bh_outbox_item *it;
	size_t n;
	int64_t next;
	bh_outbox_claim(ob, e.fa, 3, &it, &n, &next);
	struct bh_outbox_result res[3];
	for (size_t i = 0; i < n; i++)
		res[i] = res_of(&it[i], BH_OUTCOME_REJECT, "down");
	bh_outbox_complete(ob, res, n, NULL);
	bh_outbox_items_free(it, n);
	is_int(run_child(dir, "replay"), 0, "a second process replays dead letters while open here");
	bh_outbox_claim(ob, e.fa, 10, &it, &n, &next);
	is_int((long long)n, 3, "replayed items claimable here");
	for (size_t i = 0; i < n; i++)
		res[i] = res_of(&it[i], BH_OUTCOME_OK, NULL);
	bh_outbox_complete(ob, res, n, NULL);
	bh_outbox_items_free(it, n);
	struct bh_outbox_stats st = stats_of(ob);
	uint64_t size_before = st.map_size;
	is_int(run_child(dir, "grow"), 0, "a second process grows the map");
	bh_outbox_claim(ob, e.fa, 1000, &it, &n, &next);
	is_int((long long)n, 500, "records written beyond our old map size are readable");
	if (n == 500)
		is_int((long long)it[499].body_len, 8191, "last body intact");
	for (size_t i = 0; i < n; i += 100) {
		struct bh_outbox_result rr[100];
		size_t m = n - i < 100 ? n - i : 100;
		for (size_t j = 0; j < m; j++)
			rr[j] = res_of(&it[i + j], BH_OUTCOME_OK, NULL);
		bh_outbox_complete(ob, rr, m, NULL);
	}
	bh_outbox_items_free(it, n);
	st = stats_of(ob);
	ok(st.map_size > size_before, "map size adopted (%" PRIu64 " -> %" PRIu64 ")", size_before,
	   st.map_size);
	is_int((long long)st.records, 0, "all acked after adopting the new size");
	bh_outbox_close(ob);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	const char *tmp = getenv("TMPDIR");
	snprintf(root, sizeof(root), "%s/bh-outbox-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		skip_all("cannot create a temporary directory under %s", tmp ? tmp : "/tmp");
	snprintf(log_path, sizeof(log_path), "%s/log.txt", root);
	if (bh_log_open(log_path))
		skip_all("cannot open the log file %s", log_path);
	test_open_flows();
	test_order();
	test_fanout_stats();
	test_retry_timing();
	test_dead();
	test_dead_foreach();
	test_dedupe();
	test_cursor_persistence();
	test_sync_log();
	test_xref_follow();
	test_corrupt();
	test_map_full();
	test_group_isolation();
	test_concurrency();
	test_two_processes();
	rm_rf(root);
	return done_testing();
}
