/*
 * outbox_apply.c - every write of the outbox, applied by the committer thread inside
 * a (nested) write transaction: ingest with routing and dedupe, delivery results
 * (ack / retry with backoff / dead letter), dead-letter replay and drop, the sync
 * log, flow registration, and repairs of corrupt entries found by readers.
 *
 * A function here returns a BH_E* code; BH_ESPACE means MDB_MAP_FULL and lets the
 * committer grow the map and re-apply the request. On any error the committer aborts
 * the request's nested transaction, so partial writes never survive.
 *
 * Ownership: nothing here outlives the transaction, except log lines.
 * Threading: committer thread only (callers of bh_ob_apply hold the write txn).
 */
#include <inttypes.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "outbox_priv.h"

#define BH_OB_MAX_ERR 4096

static int merr(int mrc)
{
	return bh_err_from_mdb(mrc);
}

int bh_ob_meta_get_u64(MDB_txn *txn, struct bh_outbox *ob, const char *name, uint64_t *v)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc = mdb_get(txn, ob->dbi[BH_OB_META], &k, &d);
	*v = 0;
	if (rc == MDB_NOTFOUND)
		return BH_OK;
	if (rc)
		return merr(rc);
	if (d.mv_size != 8)
		return BH_ECORRUPT;
	*v = bh_ob_get_u64(d.mv_data);
	return BH_OK;
}

int bh_ob_meta_put_u64(MDB_txn *txn, struct bh_outbox *ob, const char *name, uint64_t v)
{
	unsigned char b[8];
	bh_ob_put_u64(b, v);
	MDB_val k = { strlen(name), (void *)name }, d = { 8, b };
	return merr(mdb_put(txn, ob->dbi[BH_OB_META], &k, &d, 0));
}

/* Delete a key; absent is fine. */
static int del_key(struct bh_ob_wtx *w, int dbi, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(w->txn, w->ob->dbi[dbi], &k, NULL);
	return rc == MDB_NOTFOUND ? BH_OK : merr(rc);
}

/* Put with MDB_RESERVE; *dst receives the space to fill. `append` tries MDB_APPEND
 * first (keys that grow monotonically fill pages completely). */
static int put_reserve(struct bh_ob_wtx *w, int dbi, const void *key, size_t klen, size_t size,
		       bool append, void **dst)
{
	MDB_val k = { klen, (void *)key }, d = { size, NULL };
	int rc = MDB_KEYEXIST;
	if (append)
		rc = mdb_put(w->txn, w->ob->dbi[dbi], &k, &d, MDB_RESERVE | MDB_APPEND);
	if (rc == MDB_KEYEXIST) {
		d.mv_size = size;
		rc = mdb_put(w->txn, w->ob->dbi[dbi], &k, &d, MDB_RESERVE);
	}
	if (rc)
		return merr(rc);
	*dst = d.mv_data;
	return BH_OK;
}

static int put_bytes(struct bh_ob_wtx *w, int dbi, const void *key, size_t klen,
		     const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, d = { vlen, (void *)val };
	return merr(mdb_put(w->txn, w->ob->dbi[dbi], &k, &d, 0));
}

static int put_qst(struct bh_ob_wtx *w, int dbi, uint32_t flow, uint64_t seq,
		   const struct bh_ob_qst *q)
{
	unsigned char k[BH_OB_QKEY_LEN];
	void *dst = NULL;
	bh_ob_qkey(k, flow, seq);
	int rc = put_reserve(w, dbi, k, sizeof(k), bh_ob_qst_size(q->err_len), false, &dst);
	if (rc == BH_OK)
		bh_ob_qst_encode(dst, q);
	return rc;
}

static int put_due(struct bh_ob_wtx *w, uint32_t flow, int64_t due_ms, uint64_t seq)
{
	unsigned char k[BH_OB_DUEKEY_LEN];
	bh_ob_duekey(k, flow, due_ms, seq);
	w->fx->due = true;
	return put_bytes(w, BH_OB_DUE, k, sizeof(k), "", 0);
}

static int del_due(struct bh_ob_wtx *w, uint32_t flow, int64_t due_ms, uint64_t seq)
{
	unsigned char k[BH_OB_DUEKEY_LEN];
	bh_ob_duekey(k, flow, due_ms, seq);
	return del_key(w, BH_OB_DUE, k, sizeof(k));
}

/* Move a raw entry of table dbi to `corrupt` and delete it from its table.
 * corrupt value: name_len u8 | table name | key_len u16 | key | raw value. */
static int quarantine(struct bh_ob_wtx *w, int dbi, const void *key, size_t klen,
		      const void *val, size_t vlen, const char *why)
{
	const char *tname = bh_ob_dbi_name(dbi);
	size_t tlen = strlen(tname);
	size_t size = 1 + tlen + 2 + klen + vlen;
	unsigned char *copy = malloc(size), ck[8];
	void *dst = NULL;
	char hex[2 * 64 + 4];
	uint64_t next;
	if (!copy)
		return BH_ENOMEM;
	/* copy first: val may point into a page the following writes move */
	copy[0] = (unsigned char)tlen;
	memcpy(copy + 1, tname, tlen);
	bh_ob_put_u16(copy + 1 + tlen, (uint16_t)klen);
	memcpy(copy + 3 + tlen, key, klen);
	if (vlen)
		memcpy(copy + 3 + tlen + klen, val, vlen);
	int rc = bh_ob_meta_get_u64(w->txn, w->ob, "corrupt_next", &next);
	if (rc)
		goto out;
	if (next == 0)
		next = 1;
	bh_ob_put_u64(ck, next);
	rc = put_reserve(w, BH_OB_CORRUPT, ck, 8, size, true, &dst);
	if (rc)
		goto out;
	memcpy(dst, copy, size);
	if ((rc = bh_ob_meta_put_u64(w->txn, w->ob, "corrupt_next", next + 1)))
		goto out;
	rc = del_key(w, dbi, copy + 3 + tlen, klen);
	if (rc)
		goto out;
	bh_ob_hex(hex, copy + 3 + tlen, klen > 64 ? 64 : klen);
	BH_LOG_ERROR(BH_OB_SUBSYS, "corrupt entry in %s, key %s%s (%s): moved to corrupt #%" PRIu64,
		     tname, hex, klen > 64 ? "..." : "", why, next);
out:
	free(copy);
	return rc;
}

/* The caller dropped the (flow, seq) queue or dead entry: delete the record when no
 * flow it was routed to still references it. */
static int release_record(struct bh_ob_wtx *w, uint64_t seq)
{
	unsigned char sk[8], qk[BH_OB_QKEY_LEN];
	MDB_val k = { 8, sk }, v, tmp;
	struct bh_ob_recv rec;
	const char *why;
	bh_ob_put_u64(sk, seq);
	int rc = mdb_get(w->txn, w->ob->dbi[BH_OB_RECORDS], &k, &v);
	if (rc == MDB_NOTFOUND)
		return BH_OK;
	if (rc)
		return merr(rc);
	if (bh_ob_rec_decode(v.mv_data, v.mv_size, &rec, &why))
		return quarantine(w, BH_OB_RECORDS, sk, 8, v.mv_data, v.mv_size, why);
	for (size_t i = 0; i < rec.nflows; i++) {
		bh_ob_qkey(qk, bh_ob_recv_flow(&rec, i), seq);
		MDB_val q = { sizeof(qk), qk };
		rc = mdb_get(w->txn, w->ob->dbi[BH_OB_QUEUE], &q, &tmp);
		if (rc != MDB_NOTFOUND)
			return merr(rc); /* 0: still referenced */
		rc = mdb_get(w->txn, w->ob->dbi[BH_OB_DEAD], &q, &tmp);
		if (rc != MDB_NOTFOUND)
			return merr(rc);
	}
	size_t size = v.mv_size;
	rc = del_key(w, BH_OB_RECORDS, sk, 8);
	if (rc == BH_OK)
		w->fx->freed += size;
	return rc;
}

/* ---- ingest ---- */

static size_t route(struct bh_outbox *ob, const char *topic, uint32_t *flows)
{
	if (!ob->opts.route)
		return 0;
	size_t n = ob->opts.route(ob->opts.route_arg, topic, flows, BH_OB_MAX_FLOWS);
	if (n > BH_OB_MAX_FLOWS)
		n = BH_OB_MAX_FLOWS;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool dup = flows[i] == 0;
		for (size_t j = 0; j < m && !dup; j++)
			dup = flows[j] == flows[i];
		if (!dup)
			flows[m++] = flows[i];
	}
	return m;
}

static int ingest(struct bh_ob_wtx *w, const char *source, const struct bh_outbox_rec *recs,
		  size_t n, const char *cursor)
{
	struct bh_outbox *ob = w->ob;
	unsigned char ik[512], sk[8];
	uint64_t next, first;
	size_t slen = strlen(source);
	int rc = bh_ob_meta_get_u64(w->txn, ob, "next_seq", &next);
	if (rc)
		return rc;
	if (next == 0)
		next = 1;
	first = next;
	for (size_t i = 0; i < n; i++) {
		const struct bh_outbox_rec *r = &recs[i];
		int klen = bh_ob_make_key(ob, ik, sizeof(ik), source, '\0', r->key);
		if (klen < 0)
			return klen;
		MDB_val k = { (size_t)klen, ik }, v;
		rc = mdb_get(w->txn, ob->dbi[BH_OB_IDEM], &k, &v);
		if (rc == 0)
			continue; /* duplicate: dropped */
		if (rc != MDB_NOTFOUND)
			return merr(rc);
		uint64_t seq = next++;
		uint32_t flows[BH_OB_MAX_FLOWS];
		size_t nf = route(ob, r->topic, flows);
		bh_ob_put_u64(sk, seq);
		if (nf) {
			size_t tlen = strlen(r->topic), keylen = strlen(r->key);
			size_t size = bh_ob_rec_size(nf, tlen, keylen, slen, r->body_len);
			void *dst = NULL;
			if ((rc = put_reserve(w, BH_OB_RECORDS, sk, 8, size, true, &dst)))
				return rc;
			bh_ob_rec_encode(dst, r->time_ms ? r->time_ms : w->now, flows, nf, r->topic,
					 tlen, r->key, keylen, source, slen, r->body, r->body_len);
			w->fx->added += size;
			struct bh_ob_qst q = { .queued_ms = w->now, .due_ms = w->now };
			for (size_t j = 0; j < nf; j++) {
				if ((rc = put_qst(w, BH_OB_QUEUE, flows[j], seq, &q)) ||
				    (rc = put_due(w, flows[j], w->now, seq)))
					return rc;
			}
		}
		if ((rc = put_bytes(w, BH_OB_IDEM, ik, (size_t)klen, sk, 8)))
			return rc;
		w->fx->n++;
	}
	if (next != first && (rc = bh_ob_meta_put_u64(w->txn, ob, "next_seq", next)))
		return rc;
	if (cursor)
		rc = put_bytes(w, BH_OB_CURSORS, source, slen, cursor, strlen(cursor));
	return rc;
}

/* ---- delivery results ---- */

static uint64_t rand64(struct bh_outbox *ob)
{
	uint64_t r;
	if (ob->opts.rand64)
		return ob->opts.rand64(ob->opts.clock_arg);
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint64_t)random() << 32 ^ (uint64_t)random();
	return r;
}

/* Full jitter over min(max_backoff, min_backoff * 2^(attempt-1)). */
static int64_t backoff_ms(const struct bh_retry_policy *p, uint32_t attempt, uint64_t rnd)
{
	int64_t cap = p->min_backoff_ms;
	for (uint32_t i = 1; i < attempt && cap < p->max_backoff_ms; i++)
		cap = cap > INT64_MAX / 2 ? INT64_MAX : cap * 2;
	if (cap > p->max_backoff_ms)
		cap = p->max_backoff_ms;
	if (cap <= 0)
		return 0;
	return (int64_t)(rnd % ((uint64_t)cap + 1));
}

static void set_error(struct bh_ob_qst *q, const char *err)
{
	q->err = err ? err : "";
	size_t len = strlen(q->err);
	q->err_len = (uint32_t)(len > BH_OB_MAX_ERR ? BH_OB_MAX_ERR : len);
}

/* Queue entry -> dead letter with updated state q. */
static int to_dead(struct bh_ob_wtx *w, uint32_t flow, uint64_t seq, int64_t old_due,
		   const struct bh_ob_qst *q)
{
	unsigned char qk[BH_OB_QKEY_LEN];
	bh_ob_qkey(qk, flow, seq);
	int rc = del_due(w, flow, old_due, seq);
	if (!rc)
		rc = del_key(w, BH_OB_QUEUE, qk, sizeof(qk));
	if (!rc)
		rc = put_qst(w, BH_OB_DEAD, flow, seq, q);
	if (!rc)
		BH_LOG_WARN(BH_OB_SUBSYS, "flow %" PRIu32 " record %" PRIu64
			    " dead after %" PRIu32 " attempts: %.*s", flow, seq, q->attempts,
			    (int)q->err_len, q->err);
	return rc;
}

static int complete_one(struct bh_ob_wtx *w, const struct bh_outbox_result *r,
			enum bh_outcome *done, uint64_t *acked)
{
	struct bh_outbox *ob = w->ob;
	unsigned char qk[BH_OB_QKEY_LEN];
	MDB_val k = { sizeof(qk), qk }, v;
	struct bh_ob_qst q;
	const char *why;
	*done = r->outcome;
	bh_ob_qkey(qk, r->flow_id, r->seq);
	int rc = mdb_get(w->txn, ob->dbi[BH_OB_QUEUE], &k, &v);
	if (rc == MDB_NOTFOUND)
		return BH_OK; /* already acked, dropped or never there: ignored */
	if (rc)
		return merr(rc);
	if (bh_ob_qst_decode(v.mv_data, v.mv_size, &q, &why)) {
		rc = quarantine(w, BH_OB_QUEUE, qk, sizeof(qk), v.mv_data, v.mv_size, why);
		return rc ? rc : release_record(w, r->seq);
	}
	int64_t old_due = q.due_ms;
	if (r->outcome == BH_OUTCOME_OK) {
		if ((rc = del_key(w, BH_OB_QUEUE, qk, sizeof(qk))) ||
		    (rc = del_due(w, r->flow_id, old_due, r->seq)) ||
		    (rc = release_record(w, r->seq)))
			return rc;
		for (size_t i = 0; i < r->n_xrefs; i++) {
			unsigned char xk[512];
			const struct bh_outbox_xref *x = &r->xrefs[i];
			int klen = bh_ob_make_key(ob, xk, sizeof(xk), x->ns, ':', x->key);
			if (klen < 0)
				return klen;
			if ((rc = put_bytes(w, BH_OB_XREF, xk, (size_t)klen, x->value,
					    strlen(x->value))))
				return rc;
		}
		if (r->n_follow &&
		    (rc = ingest(w, r->follow_source, r->follow, r->n_follow, NULL)))
			return rc;
		(*acked)++;
		return BH_OK;
	}
	struct bh_retry_policy pol;
	bh_ob_flow_policy(ob, r->flow_id, &pol);
	q.attempts++;
	if (!q.first_ms)
		q.first_ms = w->now;
	q.last_ms = w->now;
	set_error(&q, r->error);
	bool exhausted = r->outcome == BH_OUTCOME_REJECT ||
			 (pol.max_attempts > 0 && q.attempts >= (uint32_t)pol.max_attempts) ||
			 (pol.max_age_ms > 0 && w->now - q.queued_ms >= pol.max_age_ms);
	if (exhausted) {
		q.due_ms = w->now;
		*done = BH_OUTCOME_REJECT;
		return to_dead(w, r->flow_id, r->seq, old_due, &q);
	}
	int64_t delay = backoff_ms(&pol, q.attempts, rand64(ob));
	if (delay < r->retry_after_ms)
		delay = r->retry_after_ms;
	q.due_ms = delay > INT64_MAX - w->now ? INT64_MAX : w->now + delay;
	if ((rc = del_due(w, r->flow_id, old_due, r->seq)) ||
	    (rc = put_due(w, r->flow_id, q.due_ms, r->seq)))
		return rc;
	return put_qst(w, BH_OB_QUEUE, r->flow_id, r->seq, &q);
}

static int complete(struct bh_ob_wtx *w, struct bh_ob_req *req)
{
	uint64_t acked = 0, total;
	for (size_t i = 0; i < req->u.complete.n; i++) {
		enum bh_outcome done;
		int rc = complete_one(w, &req->u.complete.res[i], &done, &acked);
		if (rc)
			return rc;
		if (req->u.complete.out)
			req->u.complete.out[i] = done;
	}
	if (!acked)
		return BH_OK;
	int rc = bh_ob_meta_get_u64(w->txn, w->ob, "acked_total", &total);
	return rc ? rc : bh_ob_meta_put_u64(w->txn, w->ob, "acked_total", total + acked);
}

/* ---- dead letters ---- */

static int record_exists(struct bh_ob_wtx *w, uint64_t seq)
{
	unsigned char sk[8];
	bh_ob_put_u64(sk, seq);
	MDB_val k = { 8, sk }, v;
	int rc = mdb_get(w->txn, w->ob->dbi[BH_OB_RECORDS], &k, &v);
	return rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : merr(rc);
}

static int replay_one(struct bh_ob_wtx *w, uint32_t flow, uint64_t seq)
{
	unsigned char qk[BH_OB_QKEY_LEN];
	MDB_val k = { sizeof(qk), qk }, v;
	struct bh_ob_qst q;
	const char *why;
	bh_ob_qkey(qk, flow, seq);
	int rc = mdb_get(w->txn, w->ob->dbi[BH_OB_DEAD], &k, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? BH_ENOENT : merr(rc);
	if (bh_ob_qst_decode(v.mv_data, v.mv_size, &q, &why)) {
		rc = quarantine(w, BH_OB_DEAD, qk, sizeof(qk), v.mv_data, v.mv_size, why);
		return rc ? rc : release_record(w, seq);
	}
	if ((rc = record_exists(w, seq)) <= 0) {
		if (rc == 0)
			BH_LOG_WARN(BH_OB_SUBSYS, "dead letter %" PRIu32 "/%" PRIu64
				    " has no record: removed", flow, seq);
		return rc ? rc : del_key(w, BH_OB_DEAD, qk, sizeof(qk));
	}
	/* fresh start; the last error stays for information */
	struct bh_ob_qst nq = q;
	nq.attempts = 0;
	nq.queued_ms = nq.due_ms = w->now;
	nq.first_ms = nq.last_ms = 0;
	if ((rc = put_qst(w, BH_OB_QUEUE, flow, seq, &nq)) || (rc = put_due(w, flow, w->now, seq)))
		return rc;
	if ((rc = del_key(w, BH_OB_DEAD, qk, sizeof(qk))))
		return rc;
	w->fx->n++;
	return BH_OK;
}

static int replay_all(struct bh_ob_wtx *w)
{
	unsigned char last[BH_OB_QKEY_LEN];
	bool have_last = false;
	for (;;) {
		MDB_cursor *c;
		MDB_val k, v;
		int rc = mdb_cursor_open(w->txn, w->ob->dbi[BH_OB_DEAD], &c);
		if (rc)
			return merr(rc);
		if (have_last) {
			k.mv_size = sizeof(last);
			k.mv_data = last;
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		} else {
			rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		}
		bool ok_key = rc == 0 && k.mv_size == BH_OB_QKEY_LEN;
		if (rc == 0 && !ok_key) {
			/* a malformed dead key: quarantine it and go on after it */
			unsigned char bad[512];
			size_t blen = k.mv_size < sizeof(bad) ? k.mv_size : sizeof(bad);
			memcpy(bad, k.mv_data, blen);
			void *val = malloc(v.mv_size ? v.mv_size : 1);
			size_t vlen = v.mv_size;
			if (val)
				memcpy(val, v.mv_data, vlen);
			mdb_cursor_close(c);
			if (!val)
				return BH_ENOMEM;
			rc = quarantine(w, BH_OB_DEAD, bad, blen, val, vlen, "malformed key");
			free(val);
			if (rc)
				return rc;
			continue;
		}
		if (ok_key)
			memcpy(last, k.mv_data, sizeof(last));
		mdb_cursor_close(c);
		if (rc == MDB_NOTFOUND)
			return BH_OK;
		if (rc)
			return merr(rc);
		have_last = true;
		rc = replay_one(w, bh_ob_get_u32(last), bh_ob_get_u64(last + 4));
		if (rc)
			return rc;
	}
}

static int drop_dead(struct bh_ob_wtx *w, uint32_t flow, uint64_t seq)
{
	unsigned char qk[BH_OB_QKEY_LEN];
	MDB_val k = { sizeof(qk), qk }, v;
	bh_ob_qkey(qk, flow, seq);
	int rc = mdb_get(w->txn, w->ob->dbi[BH_OB_DEAD], &k, &v);
	if (rc)
		return rc == MDB_NOTFOUND ? BH_ENOENT : merr(rc);
	if ((rc = del_key(w, BH_OB_DEAD, qk, sizeof(qk))))
		return rc;
	BH_LOG_INFO(BH_OB_SUBSYS, "dead letter %" PRIu32 "/%" PRIu64 " dropped", flow, seq);
	return release_record(w, seq);
}

/* ---- sync log, flows, raw ---- */

static int log_append(struct bh_ob_wtx *w, const char *json)
{
	struct bh_outbox *ob = w->ob;
	unsigned char lk[8];
	uint64_t next;
	void *dst = NULL;
	size_t len = strlen(json);
	int rc = bh_ob_meta_get_u64(w->txn, ob, "log_next", &next);
	if (rc)
		return rc;
	if (next == 0)
		next = 1;
	bh_ob_put_u64(lk, next);
	if ((rc = put_reserve(w, BH_OB_LOG, lk, 8, len, true, &dst)))
		return rc;
	memcpy(dst, json, len);
	if ((rc = bh_ob_meta_put_u64(w->txn, ob, "log_next", next + 1)))
		return rc;
	MDB_stat st;
	if ((rc = mdb_stat(w->txn, ob->dbi[BH_OB_LOG], &st)))
		return merr(rc);
	if (st.ms_entries <= ob->opts.log_cap)
		return BH_OK;
	MDB_cursor *c;
	MDB_val k, v;
	if ((rc = mdb_cursor_open(w->txn, ob->dbi[BH_OB_LOG], &c)))
		return merr(rc);
	for (size_t extra = st.ms_entries - ob->opts.log_cap; extra > 0 && !rc; extra--) {
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
		if (!rc)
			rc = mdb_cursor_del(c, 0);
	}
	mdb_cursor_close(c);
	return merr(rc);
}

static int flow_register(struct bh_ob_wtx *w, const char *name)
{
	struct bh_outbox *ob = w->ob;
	size_t nlen = strlen(name);
	char key[5 + BH_OB_MAX_NAME];
	unsigned char idb[4], fk[8];
	uint64_t next;
	memcpy(key, "flow:", 5);
	memcpy(key + 5, name, nlen);
	MDB_val k = { 5 + nlen, key }, v;
	int rc = mdb_get(w->txn, ob->dbi[BH_OB_META], &k, &v);
	if (rc == 0 && v.mv_size == 4) {
		w->fx->flow_id = bh_ob_get_u32(v.mv_data);
		return BH_OK;
	}
	if (rc == 0)
		return BH_ECORRUPT;
	if (rc != MDB_NOTFOUND)
		return merr(rc);
	if ((rc = bh_ob_meta_get_u64(w->txn, ob, "next_flow", &next)))
		return rc;
	if (next == 0)
		next = 1;
	if (next > UINT32_MAX)
		return BH_ESPACE;
	bh_ob_put_u32(idb, (uint32_t)next);
	if ((rc = put_bytes(w, BH_OB_META, key, 5 + nlen, idb, 4)) ||
	    (rc = put_bytes(w, BH_OB_META, fk, bh_ob_meta_fid_key(fk, (uint32_t)next), name, nlen)) ||
	    (rc = bh_ob_meta_put_u64(w->txn, ob, "next_flow", next + 1)))
		return rc;
	w->fx->flow_id = (uint32_t)next;
	BH_LOG_INFO(BH_OB_SUBSYS, "flow %s registered as id %" PRIu64, name, next);
	return BH_OK;
}

/* ---- repairs ---- */

/* Remove the (flow, seq) queue entry (with its due key) and dead entry after their
 * record turned out to be missing or corrupt. */
static int drop_refs(struct bh_ob_wtx *w, uint32_t flow, uint64_t seq, const char *why)
{
	unsigned char qk[BH_OB_QKEY_LEN];
	MDB_val k = { sizeof(qk), qk }, v;
	struct bh_ob_qst q;
	const char *qwhy;
	bh_ob_qkey(qk, flow, seq);
	int rc = mdb_get(w->txn, w->ob->dbi[BH_OB_QUEUE], &k, &v);
	if (rc == 0) {
		if (bh_ob_qst_decode(v.mv_data, v.mv_size, &q, &qwhy)) {
			rc = quarantine(w, BH_OB_QUEUE, qk, sizeof(qk), v.mv_data, v.mv_size, qwhy);
		} else {
			rc = del_due(w, flow, q.due_ms, seq);
			if (!rc)
				rc = del_key(w, BH_OB_QUEUE, qk, sizeof(qk));
		}
		if (rc)
			return rc;
		BH_LOG_WARN(BH_OB_SUBSYS, "flow %" PRIu32 " record %" PRIu64
			    " removed from the queue: %s", flow, seq, why);
	} else if (rc != MDB_NOTFOUND) {
		return merr(rc);
	}
	rc = mdb_get(w->txn, w->ob->dbi[BH_OB_DEAD], &k, &v);
	if (rc == MDB_NOTFOUND)
		return BH_OK;
	if (rc)
		return merr(rc);
	BH_LOG_WARN(BH_OB_SUBSYS, "dead letter %" PRIu32 "/%" PRIu64 " removed: %s", flow, seq,
		    why);
	return del_key(w, BH_OB_DEAD, qk, sizeof(qk));
}

static int fix_one(struct bh_ob_wtx *w, const struct bh_ob_fix *f)
{
	unsigned char key[BH_OB_DUEKEY_LEN];
	MDB_val k, v;
	const char *why;
	int rc;
	switch (f->kind) {
	case BH_OB_FIX_DUE_KEY:
		k.mv_size = f->klen;
		k.mv_data = (void *)f->key;
		rc = mdb_get(w->txn, w->ob->dbi[BH_OB_DUE], &k, &v);
		if (rc)
			return rc == MDB_NOTFOUND ? BH_OK : merr(rc);
		return quarantine(w, BH_OB_DUE, f->key, f->klen, v.mv_data, v.mv_size,
				  "malformed due key");
	case BH_OB_FIX_DUE_DANGLING:
		bh_ob_qkey(key, f->flow, f->seq);
		k.mv_size = BH_OB_QKEY_LEN;
		k.mv_data = key;
		rc = mdb_get(w->txn, w->ob->dbi[BH_OB_QUEUE], &k, &v);
		if (rc != MDB_NOTFOUND)
			return merr(rc);
		BH_LOG_WARN(BH_OB_SUBSYS, "due entry of flow %" PRIu32 " record %" PRIu64
			    " without queue entry: removed", f->flow, f->seq);
		return del_due(w, f->flow, f->due_ms, f->seq);
	case BH_OB_FIX_QUEUE:
	case BH_OB_FIX_DEAD: {
		int dbi = f->kind == BH_OB_FIX_QUEUE ? BH_OB_QUEUE : BH_OB_DEAD;
		struct bh_ob_qst q;
		bh_ob_qkey(key, f->flow, f->seq);
		k.mv_size = BH_OB_QKEY_LEN;
		k.mv_data = key;
		rc = mdb_get(w->txn, w->ob->dbi[dbi], &k, &v);
		if (rc)
			return rc == MDB_NOTFOUND ? BH_OK : merr(rc);
		if (!bh_ob_qst_decode(v.mv_data, v.mv_size, &q, &why))
			return BH_OK; /* rewritten meanwhile */
		if ((rc = quarantine(w, dbi, key, BH_OB_QKEY_LEN, v.mv_data, v.mv_size, why)))
			return rc;
		if (f->due_ms >= 0 && (rc = del_due(w, f->flow, f->due_ms, f->seq)))
			return rc;
		return release_record(w, f->seq);
	}
	case BH_OB_FIX_RECORD:
	case BH_OB_FIX_RECORD_MISSING:
	case BH_OB_FIX_DEAD_MISSING: {
		struct bh_ob_recv rec;
		unsigned char sk[8];
		bh_ob_put_u64(sk, f->seq);
		k.mv_size = 8;
		k.mv_data = sk;
		rc = mdb_get(w->txn, w->ob->dbi[BH_OB_RECORDS], &k, &v);
		if (rc == 0) {
			if (!bh_ob_rec_decode(v.mv_data, v.mv_size, &rec, &why))
				return BH_OK; /* present and valid: nothing to repair */
			if ((rc = quarantine(w, BH_OB_RECORDS, sk, 8, v.mv_data, v.mv_size, why)))
				return rc;
			return drop_refs(w, f->flow, f->seq, "its record was corrupt");
		}
		if (rc != MDB_NOTFOUND)
			return merr(rc);
		return drop_refs(w, f->flow, f->seq, "its record is missing");
	}
	}
	return BH_EINVAL;
}

int bh_ob_apply(struct bh_ob_wtx *w, struct bh_ob_req *req)
{
	int rc = BH_OK;
	switch (req->kind) {
	case BH_OB_REQ_INGEST:
		return ingest(w, req->u.ingest.source, req->u.ingest.recs, req->u.ingest.n,
			      req->u.ingest.cursor);
	case BH_OB_REQ_COMPLETE:
		return complete(w, req);
	case BH_OB_REQ_FLOW:
		return flow_register(w, req->u.flow.name);
	case BH_OB_REQ_LOG:
		return log_append(w, req->u.log.json);
	case BH_OB_REQ_REPLAY:
		if (req->u.dead.all)
			return replay_all(w);
		return replay_one(w, req->u.dead.flow, req->u.dead.seq);
	case BH_OB_REQ_DROP:
		return drop_dead(w, req->u.dead.flow, req->u.dead.seq);
	case BH_OB_REQ_FIX:
		for (size_t i = 0; i < req->u.fix.n && !rc; i++)
			rc = fix_one(w, &req->u.fix.fixes[i]);
		return rc;
	case BH_OB_REQ_RAW:
		return put_bytes(w, req->u.raw.dbi, req->u.raw.key, req->u.raw.klen,
				 req->u.raw.val, req->u.raw.vlen);
	}
	return BH_EINVAL;
}
