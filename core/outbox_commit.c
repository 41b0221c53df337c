/*
 * outbox_commit.c - the group-commit thread of the outbox.
 *
 * GROUP COMMIT
 *   Every write (ingest, complete, flow registration, sync-log append, dead-letter
 *   replay/drop, corruption repairs, test writes) is a request queued to one committer
 *   thread. The committer takes all pending requests, opens one write transaction,
 *   applies each request in its own nested transaction (so one request can fail alone
 *   and leave the others intact), commits once, calls notify when needed, and wakes
 *   every caller with its own result. Requests that hit MDB_MAP_FULL are retried after
 *   the map doubled; at max_size they fail (ingest: BH_EBUSY, the outbox is paused)
 *   while the rest of the group commits. If the commit itself hits MDB_MAP_FULL at
 *   max_size, the group is retried without the requests that add data.
 *
 * SPACE AND MEMORY
 *   Paused clears when an ingest stores something again or when completions freed at
 *   least as many record bytes as the refused ingest wanted; notify fires then. After
 *   every BH_OB_TRIM_WORK records handled (or BH_OB_TRIM_COMMITS commits) the map's
 *   pages are dropped from the resident set (bh_ob_map_trim).
 *
 * OWNERSHIP AND THREADING
 *   Requests live on their callers' stacks; the committer never touches a request after
 *   marking it done (under q_lock). pause_need/pause_freed/trim counters belong to the
 *   committer thread. Claims of completed items are released after the commit.
 */
#include <inttypes.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "outbox_priv.h"

#define BH_OB_TRIM_COMMITS 64
#define BH_OB_TRIM_WORK 2048
#define BH_OB_MAX_ROUNDS 64

int bh_ob_submit(struct bh_outbox *ob, struct bh_ob_req *req)
{
	req->next = NULL;
	req->done = false;
	req->rc = BH_OK;
	pthread_mutex_lock(&ob->q_lock);
	if (ob->stopping) {
		pthread_mutex_unlock(&ob->q_lock);
		return BH_ESTOPPED;
	}
	if (ob->committer_started && pthread_equal(pthread_self(), ob->committer)) {
		pthread_mutex_unlock(&ob->q_lock);
		BH_LOG_ERROR(BH_OB_SUBSYS, "write called from the notify callback: refused");
		return BH_EINVAL;
	}
	if (ob->q_tail)
		ob->q_tail->next = req;
	else
		ob->q_head = req;
	ob->q_tail = req;
	pthread_cond_signal(&ob->q_cond);
	while (!req->done)
		pthread_cond_wait(&ob->done_cond, &ob->q_lock);
	int rc = req->rc;
	pthread_mutex_unlock(&ob->q_lock);
	return rc;
}

/* Requests that only add data: the ones refused when the map is full at its maximum. */
static bool req_adds(const struct bh_ob_req *r)
{
	return r->kind == BH_OB_REQ_INGEST || r->kind == BH_OB_REQ_LOG ||
	       r->kind == BH_OB_REQ_RAW || r->kind == BH_OB_REQ_FLOW;
}

static uint64_t ingest_bytes(const struct bh_ob_req *r)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < r->u.ingest.n; i++) {
		const struct bh_outbox_rec *x = &r->u.ingest.recs[i];
		sum += bh_ob_rec_size(1, strlen(x->topic), strlen(x->key),
				      strlen(r->u.ingest.source), x->body_len);
	}
	return sum;
}

/* A request failed for lack of space at max_size. */
static void refuse_space(struct bh_outbox *ob, struct bh_ob_req *r)
{
	if (r->kind != BH_OB_REQ_INGEST) {
		r->rc = BH_ESPACE;
		return;
	}
	r->rc = BH_EBUSY;
	uint64_t need = ingest_bytes(r);
	if (!atomic_exchange(&ob->paused, true)) {
		ob->pause_need = need;
		BH_LOG_WARN(BH_OB_SUBSYS,
			    "map full at its maximum (%" PRIu64 " bytes): ingest refused, "
			    "sources paused until deliveries free space", ob->max_size);
	} else if (need > ob->pause_need) {
		ob->pause_need = need;
	}
	ob->pause_freed = 0;
}

/* Effects after a committed request; returns true when the engine should be told. */
static bool post_commit(struct bh_outbox *ob, struct bh_ob_req *r)
{
	bool notify = r->fx.due;
	switch (r->kind) {
	case BH_OB_REQ_INGEST:
		if (r->fx.n > 0 && atomic_exchange(&ob->paused, false)) {
			BH_LOG_INFO(BH_OB_SUBSYS, "space available again: sources resume");
			notify = true;
		}
		break;
	case BH_OB_REQ_FLOW: {
		struct bh_ob_flow *f = bh_ob_flow_get(ob, r->fx.flow_id, true);
		if (f)
			bh_ob_flow_set_name(ob, f, r->u.flow.name, strlen(r->u.flow.name));
		break;
	}
	default:
		break;
	}
	if (r->fx.freed && atomic_load(&ob->paused)) {
		ob->pause_freed += r->fx.freed;
		if (ob->pause_freed >= ob->pause_need && atomic_exchange(&ob->paused, false)) {
			BH_LOG_INFO(BH_OB_SUBSYS, "deliveries freed %" PRIu64 " bytes: sources resume",
				    ob->pause_freed);
			notify = true;
		}
	}
	return notify;
}

static void release_claims(struct bh_outbox *ob, const struct bh_ob_req *r)
{
	uint32_t cur = 0;
	struct bh_ob_flow *f = NULL;
	for (size_t i = 0; i < r->u.complete.n; i++) {
		const struct bh_outbox_result *res = &r->u.complete.res[i];
		if (res->flow_id != cur || !f) {
			if (f)
				pthread_mutex_unlock(&f->lock);
			cur = res->flow_id;
			f = bh_ob_flow_get(ob, cur, false);
			if (!f)
				continue;
			pthread_mutex_lock(&f->lock);
		}
		bh_ob_claims_del(&f->claims, res->seq);
	}
	if (f)
		pthread_mutex_unlock(&f->lock);
}

/* Records a request touched: what makes pages of the map resident. */
static size_t req_work(const struct bh_ob_req *r)
{
	switch (r->kind) {
	case BH_OB_REQ_INGEST:
		return r->u.ingest.n;
	case BH_OB_REQ_COMPLETE:
		return r->u.complete.n;
	case BH_OB_REQ_REPLAY:
		return r->fx.n;
	default:
		return 1;
	}
}

static void fail_pending(struct bh_ob_req *batch, int rc)
{
	for (struct bh_ob_req *r = batch; r; r = r->next)
		if (r->pending) {
			r->rc = rc;
			r->pending = false;
		}
}

/* Apply one group. Returns true when the notify callback should fire. */
static bool run_batch(struct bh_outbox *ob, struct bh_ob_req *batch)
{
	bool notify = false, adders_excluded = false;
	for (struct bh_ob_req *r = batch; r; r = r->next)
		r->pending = true;
	for (int round = 0;; round++) {
		MDB_txn *txn;
		if (round >= BH_OB_MAX_ROUNDS) {
			fail_pending(batch, BH_EIO);
			break;
		}
		int rc = bh_ob_txn_begin(ob, 0, &txn);
		if (rc) {
			fail_pending(batch, rc);
			break;
		}
		int64_t now = bh_ob_now(ob);
		for (struct bh_ob_req *r = batch; r; r = r->next) {
			if (!r->pending)
				continue;
			MDB_txn *child;
			memset(&r->fx, 0, sizeof(r->fx));
			int mrc = mdb_txn_begin(ob->env, txn, 0, &child);
			if (mrc) {
				r->rc = bh_err_from_mdb(mrc);
			} else {
				struct bh_ob_wtx w = { ob, child, now, &r->fx };
				r->rc = bh_ob_apply(&w, r);
				if (r->rc == BH_OK)
					r->rc = bh_err_from_mdb(mdb_txn_commit(child));
				else
					mdb_txn_abort(child);
			}
			r->need_space = r->rc == BH_ESPACE;
		}
		int crc = bh_ob_txn_commit(ob, txn);
		if (crc == MDB_MAP_FULL) {
			if (bh_ob_map_grow(ob) == BH_OK)
				continue;
			if (!adders_excluded) {
				adders_excluded = true;
				for (struct bh_ob_req *r = batch; r; r = r->next)
					if (r->pending && req_adds(r)) {
						refuse_space(ob, r);
						r->pending = false;
					}
				continue;
			}
			fail_pending(batch, BH_ESPACE);
			break;
		}
		if (crc) {
			BH_LOG_ERROR(BH_OB_SUBSYS, "commit failed: %s", mdb_strerror(crc));
			fail_pending(batch, bh_err_from_mdb(crc));
			break;
		}
		for (struct bh_ob_req *r = batch; r; r = r->next)
			if (r->pending && r->rc == BH_OK)
				ob->trim_work += req_work(r);
		if (++ob->commits_since_trim >= BH_OB_TRIM_COMMITS ||
		    ob->trim_work >= BH_OB_TRIM_WORK) {
			ob->commits_since_trim = 0;
			ob->trim_work = 0;
			bh_ob_map_trim(ob);
		}
		bool need = false;
		for (struct bh_ob_req *r = batch; r; r = r->next) {
			if (!r->pending)
				continue;
			if (r->rc == BH_OK)
				notify |= post_commit(ob, r);
			if (r->need_space)
				need = true;
			else
				r->pending = false;
		}
		if (!need)
			break;
		if (bh_ob_map_grow(ob) == BH_OK)
			continue;
		for (struct bh_ob_req *r = batch; r; r = r->next)
			if (r->pending) {
				refuse_space(ob, r);
				r->pending = false;
			}
		break;
	}
	for (struct bh_ob_req *r = batch; r; r = r->next)
		if (r->kind == BH_OB_REQ_COMPLETE)
			release_claims(ob, r);
	return notify;
}

void *bh_ob_committer_main(void *arg)
{
	struct bh_outbox *ob = arg;
	pthread_mutex_lock(&ob->q_lock);
	for (;;) {
		while (!ob->q_head && !ob->stopping)
			pthread_cond_wait(&ob->q_cond, &ob->q_lock);
		if (!ob->q_head)
			break;
		struct bh_ob_req *batch = ob->q_head;
		ob->q_head = ob->q_tail = NULL;
		pthread_mutex_unlock(&ob->q_lock);
		bool notify = run_batch(ob, batch);
		/* before waking the callers: when a call returns, its notify has fired */
		if (notify && ob->opts.notify)
			ob->opts.notify(ob->opts.notify_arg);
		pthread_mutex_lock(&ob->q_lock);
		for (struct bh_ob_req *r = batch, *next; r; r = next) {
			next = r->next;
			r->done = true; /* r may be gone as soon as q_lock is released */
		}
		pthread_cond_broadcast(&ob->done_cond);
	}
	pthread_mutex_unlock(&ob->q_lock);
	return NULL;
}
