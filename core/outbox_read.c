/*
 * outbox_read.c - the read side of the outbox: claims, cursors, cross references,
 * dead letters, the sync log and statistics.
 *
 * Every function here reads in a short read-only transaction, copies what it needs
 * and ends the transaction before calling back into the caller, so no transaction is
 * ever held across the caller's work (network I/O, printing). Entries that cannot be
 * decoded are reported to the committer as repairs (BH_OB_REQ_FIX) after the read
 * transaction ended: they move to `corrupt` and are skipped.
 *
 * Ownership: items, dead infos and log texts handed out are malloc'd copies; each item
 * and dead info keeps its strings in one block (freed via its topic pointer).
 * Threading: all functions are thread-safe; a claim holds its flow's mutex across its
 * read transaction (see outbox_priv.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "outbox_priv.h"

#define BH_OB_READ_CHUNK 64

/* ---- repairs collected while reading ---- */

struct fixes {
	struct bh_ob_fix *v;
	size_t n, cap;
};

static void fix_add(struct fixes *fx, enum bh_ob_fix_kind kind, uint32_t flow, uint64_t seq,
		    int64_t due_ms, const void *key, size_t klen)
{
	if (fx->n == fx->cap) {
		size_t cap = fx->cap ? fx->cap * 2 : 4;
		struct bh_ob_fix *v = realloc(fx->v, cap * sizeof(*v));
		if (!v)
			return; /* found again by the next reader */
		fx->v = v;
		fx->cap = cap;
	}
	struct bh_ob_fix *f = &fx->v[fx->n++];
	memset(f, 0, offsetof(struct bh_ob_fix, key));
	f->kind = kind;
	f->flow = flow;
	f->seq = seq;
	f->due_ms = due_ms;
	if (key) {
		f->klen = klen < sizeof(f->key) ? klen : sizeof(f->key);
		memcpy(f->key, key, f->klen);
	}
}

static void fixes_apply(struct bh_outbox *ob, struct fixes *fx)
{
	if (fx->n) {
		struct bh_ob_req req = { .kind = BH_OB_REQ_FIX };
		req.u.fix.fixes = fx->v;
		req.u.fix.n = fx->n;
		int rc = bh_ob_submit(ob, &req);
		if (rc && rc != BH_ESTOPPED)
			BH_LOG_ERROR(BH_OB_SUBSYS, "cannot move corrupt entries aside: %s",
				     bh_strerror(rc));
	}
	free(fx->v);
	fx->v = NULL;
	fx->n = fx->cap = 0;
}

/* ---- claims ---- */

/* One block: topic \0 key \0 source \0 body \0 [extra \0]. */
static char *copy_strings(const struct bh_ob_recv *r, const char *extra, size_t extra_len,
			  char **topic, char **key, char **source, char **body, char **xtra)
{
	size_t size = (size_t)r->topic_len + r->key_len + r->source_len + r->body_len +
		      extra_len + 5;
	char *b = malloc(size), *p = b;
	if (!b)
		return NULL;
	*topic = p;
	memcpy(p, r->topic, r->topic_len);
	p += r->topic_len;
	*p++ = '\0';
	*key = p;
	memcpy(p, r->key, r->key_len);
	p += r->key_len;
	*p++ = '\0';
	*source = p;
	memcpy(p, r->source, r->source_len);
	p += r->source_len;
	*p++ = '\0';
	*body = p;
	memcpy(p, r->body, r->body_len);
	p += r->body_len;
	*p++ = '\0';
	if (xtra) {
		*xtra = p;
		memcpy(p, extra, extra_len);
		p[extra_len] = '\0';
	}
	return b;
}

int bh_outbox_claim(struct bh_outbox *ob, uint32_t flow_id, size_t max,
		    struct bh_outbox_item **items, size_t *n, int64_t *next_due_ms)
{
	struct bh_outbox_item *v = NULL;
	size_t cnt = 0, cap = 0;
	struct fixes fx = { 0 };
	int64_t next_due = INT64_MAX;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	int rc = BH_OK, mrc;
	if (items)
		*items = NULL;
	if (n)
		*n = 0;
	if (next_due_ms)
		*next_due_ms = INT64_MAX;
	if (!ob || !items || !n)
		return BH_EINVAL;
	struct bh_ob_flow *flow = bh_ob_flow_get(ob, flow_id, true);
	if (!flow)
		return flow_id ? BH_ENOMEM : BH_EINVAL;
	pthread_mutex_lock(&flow->lock);
	int64_t now = bh_ob_now(ob);
	if ((rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn)))
		goto out;
	if ((mrc = mdb_cursor_open(txn, ob->dbi[BH_OB_DUE], &cur)))
		goto mdb_fail;
	unsigned char prefix[4];
	bh_ob_put_u32(prefix, flow_id);
	MDB_val k = { 4, prefix }, v0;
	for (mrc = mdb_cursor_get(cur, &k, &v0, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v0, MDB_NEXT)) {
		uint32_t kf;
		int64_t due;
		uint64_t seq;
		if (k.mv_size < 4 || memcmp(k.mv_data, prefix, 4) != 0)
			break;
		if (bh_ob_duekey_parse(k.mv_data, k.mv_size, &kf, &due, &seq)) {
			fix_add(&fx, BH_OB_FIX_DUE_KEY, flow_id, 0, -1, k.mv_data, k.mv_size);
			continue;
		}
		if (bh_ob_claims_has(&flow->claims, seq))
			continue;
		if (due > now || cnt == max) {
			next_due = due;
			break;
		}
		unsigned char qk[BH_OB_QKEY_LEN], sk[8];
		MDB_val qkey = { sizeof(qk), qk }, qv, rkey = { 8, sk }, rv;
		struct bh_ob_qst q;
		struct bh_ob_recv rec;
		const char *why;
		bh_ob_qkey(qk, flow_id, seq);
		mrc = mdb_get(txn, ob->dbi[BH_OB_QUEUE], &qkey, &qv);
		if (mrc == MDB_NOTFOUND) {
			fix_add(&fx, BH_OB_FIX_DUE_DANGLING, flow_id, seq, due, NULL, 0);
			continue;
		}
		if (mrc)
			goto mdb_fail;
		if (bh_ob_qst_decode(qv.mv_data, qv.mv_size, &q, &why)) {
			fix_add(&fx, BH_OB_FIX_QUEUE, flow_id, seq, due, NULL, 0);
			continue;
		}
		bh_ob_put_u64(sk, seq);
		mrc = mdb_get(txn, ob->dbi[BH_OB_RECORDS], &rkey, &rv);
		if (mrc == MDB_NOTFOUND) {
			fix_add(&fx, BH_OB_FIX_RECORD_MISSING, flow_id, seq, due, NULL, 0);
			continue;
		}
		if (mrc)
			goto mdb_fail;
		if (bh_ob_rec_decode(rv.mv_data, rv.mv_size, &rec, &why)) {
			fix_add(&fx, BH_OB_FIX_RECORD, flow_id, seq, due, NULL, 0);
			continue;
		}
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : (max < 16 ? max : 16);
			struct bh_outbox_item *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				rc = BH_ENOMEM;
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		struct bh_outbox_item *it = &v[cnt];
		memset(it, 0, sizeof(*it));
		if (!copy_strings(&rec, NULL, 0, &it->topic, &it->key, &it->source, &it->body,
				  NULL)) {
			rc = BH_ENOMEM;
			goto out;
		}
		cnt++;
		it->flow_id = flow_id;
		it->seq = seq;
		snprintf(it->id, sizeof(it->id), "%" PRIu64, seq);
		it->body_len = rec.body_len;
		it->time_ms = rec.time_ms;
		it->attempt = q.attempts >= INT32_MAX ? INT32_MAX : (int)q.attempts + 1;
		it->first_attempt_ms = q.first_ms;
	}
	if (mrc && mrc != MDB_NOTFOUND)
		goto mdb_fail;
	for (size_t i = 0; i < cnt; i++) {
		if ((rc = bh_ob_claims_add(&flow->claims, v[i].seq))) {
			for (size_t j = 0; j < i; j++)
				bh_ob_claims_del(&flow->claims, v[j].seq);
			goto out;
		}
	}
	goto out;
mdb_fail:
	rc = bh_err_from_mdb(mrc);
	BH_LOG_ERROR(BH_OB_SUBSYS, "claim on flow %" PRIu32 ": %s", flow_id, mdb_strerror(mrc));
out:
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		bh_ob_txn_abort(ob, txn);
	pthread_mutex_unlock(&flow->lock);
	fixes_apply(ob, &fx);
	if (rc) {
		bh_outbox_items_free(v, cnt);
		return rc;
	}
	if (!cnt) {
		free(v);
		v = NULL;
	}
	*items = v;
	*n = cnt;
	if (next_due_ms)
		*next_due_ms = next_due;
	return BH_OK;
}

void bh_outbox_items_free(struct bh_outbox_item *items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++)
		free(items[i].topic);
	free(items);
}

/* ---- cursors, xref ---- */

static int get_copy(struct bh_outbox *ob, int dbi, const void *key, size_t klen, char *buf,
		    size_t len)
{
	MDB_txn *txn;
	MDB_val k = { klen, (void *)key }, v;
	int rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	int mrc = mdb_get(txn, ob->dbi[dbi], &k, &v);
	if (mrc) {
		rc = bh_err_from_mdb(mrc);
	} else if (v.mv_size >= len || v.mv_size > INT32_MAX) {
		rc = BH_ETOOBIG;
	} else {
		memcpy(buf, v.mv_data, v.mv_size);
		buf[v.mv_size] = '\0';
		rc = (int)v.mv_size;
	}
	bh_ob_txn_abort(ob, txn);
	return rc;
}

int bh_outbox_cursor_get(struct bh_outbox *ob, const char *source, char *buf, size_t len)
{
	if (!ob || !source || !*source || strlen(source) > BH_OB_MAX_NAME || (!buf && len))
		return BH_EINVAL;
	return get_copy(ob, BH_OB_CURSORS, source, strlen(source), buf, len);
}

int bh_outbox_xref_get(struct bh_outbox *ob, const char *ns, const char *key, char *buf,
		       size_t len)
{
	unsigned char k[512];
	if (!ob || !ns || !key || (!buf && len))
		return BH_EINVAL;
	int klen = bh_ob_make_key(ob, k, sizeof(k), ns, ':', key);
	if (klen < 0)
		return klen;
	return get_copy(ob, BH_OB_XREF, k, (size_t)klen, buf, len);
}

/* ---- dead letters ---- */

/* Fill d from a dead entry and its record (read txn open). 1 = filled, 0 = repair
 * queued, <0 = error. */
static int dead_fill(struct bh_outbox *ob, MDB_txn *txn, uint32_t flow, uint64_t seq,
		     const MDB_val *dv, struct bh_dead_info *d, struct fixes *fx)
{
	struct bh_ob_qst q;
	struct bh_ob_recv rec;
	const char *why;
	unsigned char sk[8];
	MDB_val rk = { 8, sk }, rv;
	if (bh_ob_qst_decode(dv->mv_data, dv->mv_size, &q, &why)) {
		fix_add(fx, BH_OB_FIX_DEAD, flow, seq, -1, NULL, 0);
		return 0;
	}
	bh_ob_put_u64(sk, seq);
	int mrc = mdb_get(txn, ob->dbi[BH_OB_RECORDS], &rk, &rv);
	if (mrc == MDB_NOTFOUND) {
		fix_add(fx, BH_OB_FIX_DEAD_MISSING, flow, seq, -1, NULL, 0);
		return 0;
	}
	if (mrc)
		return bh_err_from_mdb(mrc);
	if (bh_ob_rec_decode(rv.mv_data, rv.mv_size, &rec, &why)) {
		fix_add(fx, BH_OB_FIX_RECORD, flow, seq, -1, NULL, 0);
		return 0;
	}
	memset(d, 0, sizeof(*d));
	if (!copy_strings(&rec, q.err, q.err_len, &d->topic, &d->key, &d->source, &d->body,
			  &d->error))
		return BH_ENOMEM;
	d->flow_id = flow;
	d->seq = seq;
	d->body_len = rec.body_len;
	d->attempts = q.attempts > INT32_MAX ? INT32_MAX : (int)q.attempts;
	d->first_attempt_ms = q.first_ms;
	d->last_attempt_ms = q.last_ms;
	d->time_ms = rec.time_ms;
	return 1;
}

static void dead_set_id(struct bh_outbox *ob, struct bh_dead_info *d)
{
	const char *name = bh_outbox_flow_name(ob, d->flow_id);
	if (name)
		snprintf(d->id, sizeof(d->id), "%s/%" PRIu64, name, d->seq);
	else
		snprintf(d->id, sizeof(d->id), "%" PRIu32 "/%" PRIu64, d->flow_id, d->seq);
}

void bh_outbox_dead_info_free(struct bh_dead_info *d)
{
	if (!d)
		return;
	free(d->topic);
	memset(d, 0, sizeof(*d));
}

int bh_outbox_dead_foreach(struct bh_outbox *ob,
			   int (*fn)(void *arg, const struct bh_dead_info *d), void *arg)
{
	struct bh_dead_info chunk[BH_OB_READ_CHUNK];
	unsigned char last[BH_OB_QKEY_LEN];
	bool have_last = false, more = true;
	int rc = BH_OK;
	if (!ob || !fn)
		return BH_EINVAL;
	while (more && rc == BH_OK) {
		struct fixes fx = { 0 };
		size_t cnt = 0;
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v;
		if ((rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn)))
			break;
		int mrc = mdb_cursor_open(txn, ob->dbi[BH_OB_DEAD], &cur);
		if (mrc == 0) {
			if (have_last) {
				k.mv_size = sizeof(last);
				k.mv_data = last;
				mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
				if (mrc == 0 && k.mv_size == sizeof(last) &&
				    memcmp(k.mv_data, last, sizeof(last)) == 0)
					mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			} else {
				mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
			}
			for (; mrc == 0 && cnt < BH_OB_READ_CHUNK;
			     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
				if (k.mv_size != BH_OB_QKEY_LEN)
					continue; /* not ours: planted by hand; ignored */
				memcpy(last, k.mv_data, sizeof(last));
				have_last = true;
				int r = dead_fill(ob, txn, bh_ob_get_u32(last),
						  bh_ob_get_u64(last + 4), &v, &chunk[cnt], &fx);
				if (r < 0) {
					rc = r;
					break;
				}
				cnt += (size_t)r;
			}
			more = mrc == 0 && rc == BH_OK;
			if (mrc && mrc != MDB_NOTFOUND && rc == BH_OK)
				rc = bh_err_from_mdb(mrc);
			mdb_cursor_close(cur);
		} else {
			rc = bh_err_from_mdb(mrc);
		}
		bh_ob_txn_abort(ob, txn);
		fixes_apply(ob, &fx);
		bool stop = rc != BH_OK;
		for (size_t i = 0; i < cnt; i++) {
			dead_set_id(ob, &chunk[i]);
			if (!stop && fn(arg, &chunk[i]))
				stop = true;
			bh_outbox_dead_info_free(&chunk[i]);
		}
		if (stop)
			break;
	}
	return rc;
}

int bh_outbox_dead_get(struct bh_outbox *ob, const char *id, struct bh_dead_info *out)
{
	uint32_t flow;
	uint64_t seq;
	unsigned char qk[BH_OB_QKEY_LEN];
	struct fixes fx = { 0 };
	MDB_txn *txn;
	if (!ob || !id || !out)
		return BH_EINVAL;
	memset(out, 0, sizeof(*out));
	int rc = bh_ob_parse_dead_id(ob, id, &flow, &seq);
	if (rc)
		return rc;
	if ((rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn)))
		return rc;
	bh_ob_qkey(qk, flow, seq);
	MDB_val k = { sizeof(qk), qk }, v;
	int mrc = mdb_get(txn, ob->dbi[BH_OB_DEAD], &k, &v);
	if (mrc)
		rc = bh_err_from_mdb(mrc);
	else
		rc = dead_fill(ob, txn, flow, seq, &v, out, &fx);
	bh_ob_txn_abort(ob, txn);
	fixes_apply(ob, &fx);
	if (rc == 0)
		return BH_ECORRUPT;
	if (rc < 0)
		return rc;
	dead_set_id(ob, out);
	return BH_OK;
}

/* ---- sync log ---- */

int bh_outbox_log_foreach(struct bh_outbox *ob, size_t last,
			  int (*fn)(void *arg, const char *json), void *arg)
{
	unsigned char start[8];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	if (!ob || !fn)
		return BH_EINVAL;
	if (last == 0)
		last = SIZE_MAX;
	/* find the first of the last `last` entries */
	int rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	int mrc = mdb_cursor_open(txn, ob->dbi[BH_OB_LOG], &cur);
	if (mrc == 0) {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		for (size_t i = 1; mrc == 0 && i < last; i++) {
			mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
			if (mrc == MDB_NOTFOUND) {
				mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
				break;
			}
		}
		if (mrc == 0 && k.mv_size == 8)
			memcpy(start, k.mv_data, 8);
		else if (mrc == 0)
			mrc = MDB_CORRUPTED;
		mdb_cursor_close(cur);
	}
	bh_ob_txn_abort(ob, txn);
	if (mrc == MDB_NOTFOUND)
		return BH_OK;
	if (mrc)
		return bh_err_from_mdb(mrc);
	/* then forward, one chunk per read transaction */
	bool more = true, first = true;
	while (more) {
		char *texts[BH_OB_READ_CHUNK];
		size_t cnt = 0;
		if ((rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn)))
			return rc;
		mrc = mdb_cursor_open(txn, ob->dbi[BH_OB_LOG], &cur);
		if (mrc == 0) {
			k.mv_size = 8;
			k.mv_data = start;
			mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			if (!first && mrc == 0 && k.mv_size == 8 && memcmp(k.mv_data, start, 8) == 0)
				mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
			for (; mrc == 0 && cnt < BH_OB_READ_CHUNK;
			     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
				char *t = malloc(v.mv_size + 1);
				if (!t) {
					rc = BH_ENOMEM;
					break;
				}
				memcpy(t, v.mv_data, v.mv_size);
				t[v.mv_size] = '\0';
				texts[cnt++] = t;
				if (k.mv_size == 8)
					memcpy(start, k.mv_data, 8);
			}
			more = mrc == 0 && rc == BH_OK;
			if (mrc && mrc != MDB_NOTFOUND && rc == BH_OK)
				rc = bh_err_from_mdb(mrc);
			mdb_cursor_close(cur);
		} else {
			rc = bh_err_from_mdb(mrc);
			more = false;
		}
		bh_ob_txn_abort(ob, txn);
		first = false;
		bool stop = false;
		for (size_t i = 0; i < cnt; i++) {
			if (rc == BH_OK && !stop && fn(arg, texts[i]))
				stop = true;
			free(texts[i]);
		}
		if (rc)
			return rc;
		if (stop)
			break;
	}
	return BH_OK;
}

/* ---- stats ---- */

struct flow_count {
	uint32_t id;
	struct bh_outbox_flow_stats st;
};

/* Count the keys starting with flow (BE); *first_key (optional) = the first one. */
static int count_prefix(MDB_txn *txn, MDB_dbi dbi, uint32_t flow, uint64_t *count,
			MDB_val *first_key)
{
	MDB_cursor *cur;
	unsigned char prefix[4];
	MDB_val k = { 4, prefix }, v;
	*count = 0;
	bh_ob_put_u32(prefix, flow);
	int mrc = mdb_cursor_open(txn, dbi, &cur);
	if (mrc)
		return mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 4 || memcmp(k.mv_data, prefix, 4) != 0)
			break;
		if (*count == 0 && first_key)
			*first_key = k;
		(*count)++;
	}
	mdb_cursor_close(cur);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

static int count_due(MDB_txn *txn, MDB_dbi dbi, uint32_t flow, int64_t now, uint64_t *count)
{
	MDB_cursor *cur;
	unsigned char prefix[4];
	MDB_val k = { 4, prefix }, v;
	*count = 0;
	bh_ob_put_u32(prefix, flow);
	int mrc = mdb_cursor_open(txn, dbi, &cur);
	if (mrc)
		return mrc;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint32_t f;
		int64_t due;
		uint64_t seq;
		if (k.mv_size < 4 || memcmp(k.mv_data, prefix, 4) != 0)
			break;
		if (bh_ob_duekey_parse(k.mv_data, k.mv_size, &f, &due, &seq))
			continue;
		if (due > now)
			break;
		(*count)++;
	}
	mdb_cursor_close(cur);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

/* Free pages of the map (LMDB's free list, readable in a read-only txn). */
static int count_free_pages(MDB_txn *txn, uint64_t *pages)
{
	MDB_cursor *cur;
	MDB_val k, v;
	*pages = 0;
	int mrc = mdb_cursor_open(txn, 0, &cur);
	if (mrc)
		return mrc;
	while ((mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		size_t cnt;
		if (v.mv_size < sizeof(cnt))
			continue;
		memcpy(&cnt, v.mv_data, sizeof(cnt));
		*pages += cnt;
	}
	mdb_cursor_close(cur);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

int bh_outbox_stats(struct bh_outbox *ob, struct bh_outbox_stats *st,
		    int (*flow_fn)(void *arg, const struct bh_outbox_flow_stats *fs), void *arg)
{
	struct flow_count *fl = NULL;
	size_t nfl = 0, capfl = 0;
	MDB_txn *txn;
	MDB_stat ms;
	MDB_envinfo info;
	MDB_cursor *cur = NULL;
	uint64_t free_pages = 0;
	if (!ob || !st)
		return BH_EINVAL;
	memset(st, 0, sizeof(*st));
	int64_t now = bh_ob_now(ob);
	int rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	int mrc = mdb_stat(txn, ob->dbi[BH_OB_RECORDS], &ms);
	if (mrc)
		goto mdb_fail;
	st->records = ms.ms_entries;
	if ((mrc = mdb_stat(txn, ob->dbi[BH_OB_CORRUPT], &ms)))
		goto mdb_fail;
	st->corrupt = ms.ms_entries;
	if ((rc = bh_ob_meta_get_u64(txn, ob, "acked_total", &st->acked_total)))
		goto fail;
	if ((mrc = count_free_pages(txn, &free_pages)))
		goto mdb_fail;
	mdb_env_info(ob->env, &info);
	st->map_size = info.me_mapsize;
	uint64_t used_pages = (uint64_t)info.me_last_pgno + 1;
	st->map_used = (used_pages > free_pages ? used_pages - free_pages : 0) * ob->psize;
	st->paused = atomic_load(&ob->paused);
	/* the flows: every persisted name */
	if ((mrc = mdb_cursor_open(txn, ob->dbi[BH_OB_META], &cur)))
		goto mdb_fail;
	MDB_val k = { 4, "fid:" }, v;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || memcmp(k.mv_data, "fid:", 4) != 0)
			break;
		if (nfl == capfl) {
			size_t ncap = capfl ? capfl * 2 : 8;
			struct flow_count *nf = realloc(fl, ncap * sizeof(*nf));
			if (!nf) {
				rc = BH_ENOMEM;
				goto fail;
			}
			fl = nf;
			capfl = ncap;
		}
		memset(&fl[nfl], 0, sizeof(fl[nfl]));
		fl[nfl++].id = bh_ob_get_u32((const unsigned char *)k.mv_data + 4);
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (mrc && mrc != MDB_NOTFOUND)
		goto mdb_fail;
	for (size_t i = 0; i < nfl; i++) {
		struct bh_outbox_flow_stats *fs = &fl[i].st;
		MDB_val firstq = { 0, NULL };
		fs->flow_id = fl[i].id;
		if ((mrc = count_prefix(txn, ob->dbi[BH_OB_QUEUE], fl[i].id, &fs->queued,
					&firstq)) ||
		    (mrc = count_prefix(txn, ob->dbi[BH_OB_DEAD], fl[i].id, &fs->dead, NULL)) ||
		    (mrc = count_due(txn, ob->dbi[BH_OB_DUE], fl[i].id, now, &fs->due_now)))
			goto mdb_fail;
		if (fs->queued && firstq.mv_size == BH_OB_QKEY_LEN) {
			/* the lowest seq queued is the oldest record */
			unsigned char sk[8];
			MDB_val rk = { 8, sk }, rv;
			struct bh_ob_recv rec;
			const char *why;
			memcpy(sk, (const unsigned char *)firstq.mv_data + 4, 8);
			if (mdb_get(txn, ob->dbi[BH_OB_RECORDS], &rk, &rv) == 0 &&
			    bh_ob_rec_decode(rv.mv_data, rv.mv_size, &rec, &why) == 0)
				fs->oldest_ms = rec.time_ms;
		}
	}
	bh_ob_txn_abort(ob, txn);
	for (size_t i = 0; flow_fn && i < nfl; i++) {
		fl[i].st.name = bh_outbox_flow_name(ob, fl[i].id);
		if (flow_fn(arg, &fl[i].st))
			break;
	}
	free(fl);
	return BH_OK;
mdb_fail:
	rc = bh_err_from_mdb(mrc);
fail:
	if (cur)
		mdb_cursor_close(cur);
	bh_ob_txn_abort(ob, txn);
	free(fl);
	return rc;
}
