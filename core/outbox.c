/*
 * outbox.c - the durable LMDB outbox: open/close, transactions, the map (growth,
 * adopting another process's size, trimming resident pages), the flow table, and the
 * public write entry points, which validate and hand requests to the committer
 * (outbox_commit.c). See outbox.h.
 *
 * MAP
 *   Growth doubles the map up to max_size (committer only). After MDB_MAP_RESIZED any
 *   thread adopts the size another process grew to. Both take map_lock for writing, so
 *   no transaction of this process is active while LMDB remaps. bh_ob_map_trim drops
 *   the map's pages from this process's resident set (madvise MADV_DONTNEED on LMDB's
 *   read-only shared mapping: the pages stay in the kernel page cache and are faulted
 *   back on use; nothing is lost), so draining a large backlog does not leave the
 *   whole file resident.
 *
 * OWNERSHIP AND THREADING
 *   struct bh_outbox owns the env, the flow table and the committer. Locks and their
 *   order are described in outbox_priv.h. Flow structs and names live until close.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "outbox_priv.h"

#define MIB (1024ull * 1024ull)
#define BH_OB_DEFAULT_INITIAL (16 * MIB)
#define BH_OB_DEFAULT_MAX (4096 * MIB)
#define BH_OB_DEFAULT_LOG_CAP 10000u
#define BH_OB_MAX_READERS 254

static const char *const dbi_names[BH_OB_NDBI] = {
	"records", "queue", "due", "dead", "idem", "cursors", "xref", "log", "corrupt", "meta",
};

const char *bh_ob_dbi_name(int dbi)
{
	return dbi >= 0 && dbi < BH_OB_NDBI ? dbi_names[dbi] : "?";
}

int bh_ob_dbi_by_name(const char *name)
{
	for (int i = 0; name && i < BH_OB_NDBI; i++)
		if (strcmp(name, dbi_names[i]) == 0)
			return i;
	return -1;
}

int64_t bh_ob_now(struct bh_outbox *ob)
{
	if (ob->opts.now_ms)
		return ob->opts.now_ms(ob->opts.clock_arg);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- transactions and the map ---- */

/* Find where LMDB mapped data.mdb (mdb_env_info gives the address only for
 * MDB_FIXEDMAP), from /proc/self/maps by device and inode. Caller holds map_lock for
 * writing, or runs before any other thread exists. Without it, no trimming. */
static void locate_map(struct bh_outbox *ob)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 128];
	struct stat st;
	ob->map_addr = NULL;
	ob->map_len = 0;
	snprintf(path, sizeof(path), "%s/data.mdb", ob->dir);
	if (stat(path, &st))
		return;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, off, ino;
		unsigned maj, min;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &off, &maj, &min,
			   &ino) != 7)
			continue;
		if (ino == (unsigned long)st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && off == 0) {
			ob->map_addr = (void *)start;
			ob->map_len = end - start;
			break;
		}
	}
	fclose(f);
}

/* Adopt the map size another process grew to. Caller holds no transaction. */
static int adopt_map_size(struct bh_outbox *ob)
{
	MDB_envinfo info;
	pthread_rwlock_wrlock(&ob->map_lock);
	int rc = mdb_env_set_mapsize(ob->env, 0);
	if (rc == 0 && mdb_env_info(ob->env, &info) == 0)
		atomic_store(&ob->map_size, (uint64_t)info.me_mapsize);
	locate_map(ob);
	pthread_rwlock_unlock(&ob->map_lock);
	if (rc)
		BH_LOG_ERROR(BH_OB_SUBSYS, "cannot adopt the map size grown by another process: %s",
			     mdb_strerror(rc));
	else
		BH_LOG_INFO(BH_OB_SUBSYS, "map grown by another process: now %" PRIu64 " bytes",
			    atomic_load(&ob->map_size));
	return bh_err_from_mdb(rc);
}

int bh_ob_txn_begin(struct bh_outbox *ob, unsigned flags, MDB_txn **txn)
{
	for (int tries = 0;; tries++) {
		pthread_rwlock_rdlock(&ob->map_lock);
		int rc = mdb_txn_begin(ob->env, NULL, flags, txn);
		if (rc == 0)
			return BH_OK;
		pthread_rwlock_unlock(&ob->map_lock);
		if (rc != MDB_MAP_RESIZED || tries >= 8)
			return bh_err_from_mdb(rc);
		rc = adopt_map_size(ob);
		if (rc)
			return rc;
	}
}

void bh_ob_txn_abort(struct bh_outbox *ob, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&ob->map_lock);
}

int bh_ob_txn_commit(struct bh_outbox *ob, MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);
	pthread_rwlock_unlock(&ob->map_lock);
	return rc;
}

/* Double the map, up to max_size. Returns 0, BH_EBUSY at the maximum, or an error.
 * Committer thread only, with no transaction open. */
int bh_ob_map_grow(struct bh_outbox *ob)
{
	MDB_envinfo info;
	int rc = BH_OK;
	uint64_t cur, next = 0;
	pthread_rwlock_wrlock(&ob->map_lock);
	mdb_env_info(ob->env, &info);
	cur = info.me_mapsize;
	if (cur >= ob->max_size) {
		rc = BH_EBUSY;
		goto out;
	}
	next = cur > ob->max_size / 2 ? ob->max_size : cur * 2;
	next -= next % ob->psize;
	int mrc = mdb_env_set_mapsize(ob->env, (size_t)next);
	locate_map(ob);
	if (mrc) {
		rc = bh_err_from_mdb(mrc);
		goto out;
	}
	atomic_store(&ob->map_size, next);
out:
	pthread_rwlock_unlock(&ob->map_lock);
	if (rc == BH_OK)
		BH_LOG_INFO(BH_OB_SUBSYS, "map grown from %" PRIu64 " to %" PRIu64 " bytes", cur,
			    next);
	else if (rc != BH_EBUSY)
		BH_LOG_ERROR(BH_OB_SUBSYS, "cannot grow the map: %s", bh_strerror(rc));
	return rc;
}

/* Drop the map's pages from the resident set (they stay in the page cache). */
void bh_ob_map_trim(struct bh_outbox *ob)
{
	MDB_envinfo info;
	pthread_rwlock_rdlock(&ob->map_lock);
	if (ob->map_addr && mdb_env_info(ob->env, &info) == 0) {
		size_t used = (size_t)(info.me_last_pgno + 1) * ob->psize;
		if (used > ob->map_len)
			used = ob->map_len;
		(void)madvise(ob->map_addr, used, MADV_DONTNEED);
	}
	pthread_rwlock_unlock(&ob->map_lock);
}

/* ---- flows (in memory) ---- */

static void default_policy(struct bh_retry_policy *p)
{
	p->max_attempts = 10;
	p->max_age_ms = 7LL * 24 * 3600 * 1000;
	p->min_backoff_ms = 1000;
	p->max_backoff_ms = 3600LL * 1000;
}

struct bh_ob_flow *bh_ob_flow_get(struct bh_outbox *ob, uint32_t id, bool create)
{
	struct bh_ob_flow *f = NULL;
	if (id == 0)
		return NULL;
	pthread_mutex_lock(&ob->flows_lock);
	if (id < ob->flows_cap && ob->flows[id]) {
		f = ob->flows[id];
		goto out;
	}
	if (!create)
		goto out;
	if (id >= ob->flows_cap) {
		size_t cap = ob->flows_cap ? ob->flows_cap : 16;
		while (cap <= id)
			cap *= 2;
		struct bh_ob_flow **nf = realloc(ob->flows, cap * sizeof(*nf));
		if (!nf)
			goto out;
		memset(nf + ob->flows_cap, 0, (cap - ob->flows_cap) * sizeof(*nf));
		ob->flows = nf;
		ob->flows_cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto out;
	f->id = id;
	default_policy(&f->pol);
	pthread_mutex_init(&f->lock, NULL);
	ob->flows[id] = f;
out:
	pthread_mutex_unlock(&ob->flows_lock);
	return f;
}

void bh_ob_flow_policy(struct bh_outbox *ob, uint32_t id, struct bh_retry_policy *pol)
{
	default_policy(pol);
	pthread_mutex_lock(&ob->flows_lock);
	if (id < ob->flows_cap && ob->flows[id])
		*pol = ob->flows[id]->pol;
	pthread_mutex_unlock(&ob->flows_lock);
}

/* Record the name of a flow (first name wins; names never change). */
const char *bh_ob_flow_set_name(struct bh_outbox *ob, struct bh_ob_flow *f, const char *name,
				size_t len)
{
	const char *res;
	pthread_mutex_lock(&ob->flows_lock);
	if (!f->name)
		f->name = strndup(name, len);
	res = f->name;
	pthread_mutex_unlock(&ob->flows_lock);
	return res;
}

static const char *flow_cached_name(struct bh_outbox *ob, uint32_t id)
{
	const char *res = NULL;
	pthread_mutex_lock(&ob->flows_lock);
	if (id < ob->flows_cap && ob->flows[id])
		res = ob->flows[id]->name;
	pthread_mutex_unlock(&ob->flows_lock);
	return res;
}

size_t bh_ob_meta_fid_key(unsigned char out[8], uint32_t id)
{
	memcpy(out, "fid:", 4);
	bh_ob_put_u32(out + 4, id);
	return 8;
}

const char *bh_outbox_flow_name(struct bh_outbox *ob, uint32_t flow_id)
{
	if (!ob || flow_id == 0)
		return NULL;
	const char *name = flow_cached_name(ob, flow_id);
	if (name)
		return name;
	unsigned char k[8];
	MDB_val key = { bh_ob_meta_fid_key(k, flow_id), k }, val;
	MDB_txn *txn;
	if (bh_ob_txn_begin(ob, MDB_RDONLY, &txn))
		return NULL;
	char buf[BH_OB_MAX_NAME + 1];
	size_t len = 0;
	int rc = mdb_get(txn, ob->dbi[BH_OB_META], &key, &val);
	if (rc == 0 && val.mv_size > 0 && val.mv_size <= BH_OB_MAX_NAME) {
		len = val.mv_size;
		memcpy(buf, val.mv_data, len);
	}
	bh_ob_txn_abort(ob, txn);
	if (!len)
		return NULL;
	struct bh_ob_flow *f = bh_ob_flow_get(ob, flow_id, true);
	return f ? bh_ob_flow_set_name(ob, f, buf, len) : NULL;
}

int bh_ob_flow_lookup(struct bh_outbox *ob, const char *name, uint32_t *id)
{
	pthread_mutex_lock(&ob->flows_lock);
	for (size_t i = 1; i < ob->flows_cap; i++) {
		if (ob->flows[i] && ob->flows[i]->name && strcmp(ob->flows[i]->name, name) == 0) {
			*id = (uint32_t)i;
			pthread_mutex_unlock(&ob->flows_lock);
			return BH_OK;
		}
	}
	pthread_mutex_unlock(&ob->flows_lock);
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen > BH_OB_MAX_NAME)
		return BH_ENOENT;
	char k[5 + BH_OB_MAX_NAME];
	memcpy(k, "flow:", 5);
	memcpy(k + 5, name, nlen);
	MDB_val key = { 5 + nlen, k }, val;
	MDB_txn *txn;
	int rc = bh_ob_txn_begin(ob, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	rc = mdb_get(txn, ob->dbi[BH_OB_META], &key, &val);
	uint32_t got = 0;
	if (rc == 0 && val.mv_size == 4)
		got = bh_ob_get_u32(val.mv_data);
	bh_ob_txn_abort(ob, txn);
	if (!got)
		return rc && rc != MDB_NOTFOUND ? bh_err_from_mdb(rc) : BH_ENOENT;
	struct bh_ob_flow *f = bh_ob_flow_get(ob, got, true);
	if (f)
		bh_ob_flow_set_name(ob, f, name, nlen);
	*id = got;
	return BH_OK;
}

int bh_ob_make_key(const struct bh_outbox *ob, unsigned char *out, size_t cap,
		   const char *prefix, char sep, const char *rest)
{
	size_t plen = strlen(prefix), rlen = strlen(rest);
	if (plen > BH_OB_MAX_NAME || cap < ob->maxkey)
		return BH_EINVAL;
	if (plen + 1 + rlen <= ob->maxkey) {
		memcpy(out, prefix, plen);
		out[plen] = (unsigned char)sep;
		memcpy(out + plen + 1, rest, rlen);
		return (int)(plen + 1 + rlen);
	}
	/* too long for an LMDB key: "prefix \x01 sha256-hex(rest)" */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(rest, rlen, md, &mdlen, EVP_sha256(), NULL))
		return BH_EIO;
	memcpy(out, prefix, plen);
	out[plen] = 0x01;
	bh_ob_hex((char *)out + plen + 1, md, mdlen);
	return (int)(plen + 1 + 2 * mdlen);
}

/* ---- open / close ---- */

static int make_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) == 0)
		return BH_OK;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return BH_OK;
	int e = errno;
	BH_LOG_ERROR(BH_OB_SUBSYS, "cannot create state directory %s: %s", dir, strerror(e));
	return bh_err_from_errno(e);
}

/* Open the tables, check the schema version, load the flow names. */
static int open_tables(struct bh_outbox *ob)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = bh_ob_txn_begin(ob, 0, &txn);
	if (rc)
		return rc;
	int mrc = 0;
	for (int i = 0; i < BH_OB_NDBI && !mrc; i++)
		mrc = mdb_dbi_open(txn, dbi_names[i], MDB_CREATE, &ob->dbi[i]);
	if (mrc)
		goto mdb_fail;
	k.mv_data = "schema";
	k.mv_size = 6;
	mrc = mdb_get(txn, ob->dbi[BH_OB_META], &k, &v);
	if (mrc == MDB_NOTFOUND) {
		unsigned char ver[4];
		bh_ob_put_u32(ver, BH_OB_SCHEMA);
		v.mv_data = ver;
		v.mv_size = 4;
		mrc = mdb_put(txn, ob->dbi[BH_OB_META], &k, &v, 0);
	} else if (mrc == 0 && (v.mv_size != 4 || bh_ob_get_u32(v.mv_data) != BH_OB_SCHEMA)) {
		BH_LOG_ERROR(BH_OB_SUBSYS, "%s: unknown outbox schema version (this build: %d)",
			     ob->dir, BH_OB_SCHEMA);
		rc = BH_ECORRUPT;
		goto fail;
	}
	if (mrc)
		goto mdb_fail;
	mrc = mdb_cursor_open(txn, ob->dbi[BH_OB_META], &cur);
	if (mrc)
		goto mdb_fail;
	k.mv_data = "fid:";
	k.mv_size = 4;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	     mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || memcmp(k.mv_data, "fid:", 4) != 0)
			break;
		uint32_t id = bh_ob_get_u32((const unsigned char *)k.mv_data + 4);
		struct bh_ob_flow *f = bh_ob_flow_get(ob, id, true);
		if (!f) {
			rc = BH_ENOMEM;
			goto fail;
		}
		if (v.mv_size > 0 && v.mv_size <= BH_OB_MAX_NAME)
			bh_ob_flow_set_name(ob, f, v.mv_data, v.mv_size);
	}
	if (mrc != MDB_NOTFOUND && mrc != 0)
		goto mdb_fail;
	mdb_cursor_close(cur);
	cur = NULL;
	mrc = bh_ob_txn_commit(ob, txn);
	return bh_err_from_mdb(mrc);
mdb_fail:
	rc = bh_err_from_mdb(mrc);
	BH_LOG_ERROR(BH_OB_SUBSYS, "%s: cannot open tables: %s", ob->dir, mdb_strerror(mrc));
fail:
	if (cur)
		mdb_cursor_close(cur);
	bh_ob_txn_abort(ob, txn);
	return rc;
}

static void free_outbox(struct bh_outbox *ob)
{
	if (ob->env)
		mdb_env_close(ob->env);
	for (size_t i = 0; i < ob->flows_cap; i++) {
		struct bh_ob_flow *f = ob->flows[i];
		if (!f)
			continue;
		bh_ob_claims_free(&f->claims);
		pthread_mutex_destroy(&f->lock);
		free(f->name);
		free(f);
	}
	free(ob->flows);
	pthread_rwlock_destroy(&ob->map_lock);
	pthread_mutex_destroy(&ob->flows_lock);
	pthread_mutex_destroy(&ob->q_lock);
	pthread_cond_destroy(&ob->q_cond);
	pthread_cond_destroy(&ob->done_cond);
	free(ob->dir);
	free(ob);
}

int bh_outbox_open(const struct bh_outbox_opts *opts, struct bh_outbox **out)
{
	if (!opts || !out || !opts->dir || !*opts->dir)
		return BH_EINVAL;
	*out = NULL;
	struct bh_outbox *ob = calloc(1, sizeof(*ob));
	if (!ob)
		return BH_ENOMEM;
	ob->opts = *opts;
	ob->dir = strdup(opts->dir);
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* claims must not starve a resize */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ob->map_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&ob->flows_lock, NULL);
	pthread_mutex_init(&ob->q_lock, NULL);
	pthread_cond_init(&ob->q_cond, NULL);
	pthread_cond_init(&ob->done_cond, NULL);
	int rc = BH_ENOMEM, mrc;
	if (!ob->dir)
		goto fail;
	ob->opts.dir = ob->dir;
	if (!ob->opts.log_cap)
		ob->opts.log_cap = BH_OB_DEFAULT_LOG_CAP;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t os_page = pg > 0 ? (uint64_t)pg : 4096;
	uint64_t init = opts->initial_size ? opts->initial_size : BH_OB_DEFAULT_INITIAL;
	ob->max_size = opts->max_size ? opts->max_size : BH_OB_DEFAULT_MAX;
	if (ob->max_size < 16 * os_page || init < 16 * os_page) {
		BH_LOG_ERROR(BH_OB_SUBSYS, "map sizes must be at least %" PRIu64 " bytes",
			     16 * os_page);
		rc = BH_EINVAL;
		goto fail;
	}
	ob->max_size -= ob->max_size % os_page;
	if (init > ob->max_size)
		init = ob->max_size;
	init -= init % os_page;
	if ((rc = make_dir(ob->dir)))
		goto fail;
	if ((mrc = mdb_env_create(&ob->env)) || (mrc = mdb_env_set_maxdbs(ob->env, BH_OB_NDBI + 2)) ||
	    (mrc = mdb_env_set_maxreaders(ob->env, BH_OB_MAX_READERS)) ||
	    (mrc = mdb_env_set_mapsize(ob->env, (size_t)init)))
		goto mdb_fail;
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (opts->no_sync ? MDB_NOSYNC : 0);
	mrc = mdb_env_open(ob->env, ob->dir, flags, 0600);
	if (mrc)
		goto mdb_fail;
	int dead = 0;
	mdb_reader_check(ob->env, &dead);
	if (dead)
		BH_LOG_WARN(BH_OB_SUBSYS, "cleared %d stale reader slots", dead);
	MDB_stat st;
	MDB_envinfo info;
	mdb_env_stat(ob->env, &st);
	mdb_env_info(ob->env, &info);
	ob->psize = st.ms_psize;
	ob->maxkey = (unsigned)mdb_env_get_maxkeysize(ob->env);
	atomic_store(&ob->map_size, (uint64_t)info.me_mapsize);
	locate_map(ob);
	if (!ob->map_addr)
		BH_LOG_DEBUG(BH_OB_SUBSYS, "map address unknown: resident pages not trimmed");
	if (info.me_mapsize > ob->max_size) {
		BH_LOG_WARN(BH_OB_SUBSYS, "%s: map already %zu bytes, above max_size %" PRIu64,
			    ob->dir, info.me_mapsize, ob->max_size);
		ob->max_size = info.me_mapsize;
	}
	if ((rc = open_tables(ob)))
		goto fail;
	if (pthread_create(&ob->committer, NULL, bh_ob_committer_main, ob)) {
		rc = BH_ENOMEM;
		goto fail;
	}
	ob->committer_started = true;
	BH_LOG_DEBUG(BH_OB_SUBSYS, "opened %s (map %zu bytes, max %" PRIu64 "%s)", ob->dir,
		     info.me_mapsize, ob->max_size, opts->no_sync ? ", no-sync" : "");
	*out = ob;
	return BH_OK;
mdb_fail:
	rc = bh_err_from_mdb(mrc);
	BH_LOG_ERROR(BH_OB_SUBSYS, "cannot open %s: %s", ob->dir ? ob->dir : "?",
		     mdb_strerror(mrc));
fail:
	free_outbox(ob);
	return rc;
}

void bh_outbox_close(struct bh_outbox *ob)
{
	if (!ob)
		return;
	pthread_mutex_lock(&ob->q_lock);
	ob->stopping = true;
	pthread_cond_signal(&ob->q_cond);
	pthread_mutex_unlock(&ob->q_lock);
	if (ob->committer_started)
		pthread_join(ob->committer, NULL);
	free_outbox(ob);
}

/* ---- public writes ---- */

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > BH_OB_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return false;
	return true;
}

int bh_outbox_flow(struct bh_outbox *ob, const char *name, const struct bh_retry_policy *pol,
		   uint32_t *flow_id)
{
	struct bh_retry_policy p;
	/* short enough for "<name>/<seq>" to fit bh_dead_info.id */
	if (!ob || !name_ok(name) || strlen(name) > BH_OB_MAX_FLOW_NAME || !flow_id)
		return BH_EINVAL;
	if (pol) {
		p = *pol;
		if (p.max_attempts < 0 || p.max_age_ms < 0 || p.min_backoff_ms < 0 ||
		    p.max_backoff_ms < 0)
			return BH_EINVAL;
		if (p.max_backoff_ms < p.min_backoff_ms)
			p.max_backoff_ms = p.min_backoff_ms;
	} else {
		default_policy(&p);
	}
	struct bh_ob_req req = { .kind = BH_OB_REQ_FLOW, .u.flow.name = name };
	int rc = bh_ob_submit(ob, &req);
	if (rc)
		return rc;
	struct bh_ob_flow *f = bh_ob_flow_get(ob, req.fx.flow_id, true);
	if (!f)
		return BH_ENOMEM;
	bh_ob_flow_set_name(ob, f, name, strlen(name));
	pthread_mutex_lock(&ob->flows_lock);
	f->pol = p;
	pthread_mutex_unlock(&ob->flows_lock);
	*flow_id = req.fx.flow_id;
	return BH_OK;
}

static bool recs_ok(const struct bh_outbox_rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bh_outbox_rec *r = &recs[i];
		if (!name_ok(r->topic) || !r->key || !*r->key || (r->body_len && !r->body) ||
		    r->body_len > UINT32_MAX / 2 || strlen(r->key) > UINT32_MAX / 2)
			return false;
	}
	return true;
}

int bh_outbox_ingest(struct bh_outbox *ob, const char *source, const struct bh_outbox_rec *recs,
		     size_t n, const char *cursor, size_t *n_new)
{
	if (n_new)
		*n_new = 0;
	if (!ob || !name_ok(source) || (n && !recs) || !recs_ok(recs, n))
		return BH_EINVAL;
	if (cursor && strlen(cursor) > UINT32_MAX / 2)
		return BH_EINVAL;
	struct bh_ob_req req = { .kind = BH_OB_REQ_INGEST };
	req.u.ingest.source = source;
	req.u.ingest.recs = recs;
	req.u.ingest.n = n;
	req.u.ingest.cursor = cursor;
	int rc = bh_ob_submit(ob, &req);
	if (rc == BH_OK && n_new)
		*n_new = req.fx.n;
	return rc;
}

bool bh_outbox_paused(struct bh_outbox *ob)
{
	return ob && atomic_load(&ob->paused);
}

int bh_outbox_complete(struct bh_outbox *ob, const struct bh_outbox_result *res, size_t n,
		       enum bh_outcome *outcome_out)
{
	if (!ob || (n && !res))
		return BH_EINVAL;
	for (size_t i = 0; i < n; i++) {
		const struct bh_outbox_result *r = &res[i];
		if (r->outcome != BH_OUTCOME_OK && r->outcome != BH_OUTCOME_RETRY &&
		    r->outcome != BH_OUTCOME_REJECT)
			return BH_EINVAL;
		if (r->outcome != BH_OUTCOME_OK)
			continue;
		for (size_t j = 0; j < r->n_xrefs; j++)
			if (!name_ok(r->xrefs[j].ns) || !r->xrefs[j].key || !*r->xrefs[j].key ||
			    !r->xrefs[j].value)
				return BH_EINVAL;
		if (r->n_follow && (!name_ok(r->follow_source) || !recs_ok(r->follow, r->n_follow)))
			return BH_EINVAL;
	}
	if (n == 0)
		return BH_OK;
	struct bh_ob_req req = { .kind = BH_OB_REQ_COMPLETE };
	req.u.complete.res = res;
	req.u.complete.n = n;
	req.u.complete.out = outcome_out;
	return bh_ob_submit(ob, &req);
}

/* "<flow name>/<seq>" (or "<flow id>/<seq>" for a flow without a name). */
int bh_ob_parse_dead_id(struct bh_outbox *ob, const char *id, uint32_t *flow, uint64_t *seq)
{
	const char *slash = id ? strrchr(id, '/') : NULL;
	if (!slash || slash == id || !slash[1] || (size_t)(slash - id) > BH_OB_MAX_NAME)
		return BH_ENOENT;
	char name[BH_OB_MAX_NAME + 1];
	memcpy(name, id, (size_t)(slash - id));
	name[slash - id] = '\0';
	char *end;
	errno = 0;
	unsigned long long s = strtoull(slash + 1, &end, 10);
	if (errno || *end || s == 0 || slash[1] == '-' || slash[1] == '+')
		return BH_ENOENT;
	*seq = s;
	if (bh_ob_flow_lookup(ob, name, flow) == BH_OK)
		return BH_OK;
	unsigned long long f = strtoull(name, &end, 10);
	if (*end || f == 0 || f > UINT32_MAX)
		return BH_ENOENT;
	*flow = (uint32_t)f;
	return BH_OK;
}

int bh_outbox_dead_replay(struct bh_outbox *ob, const char *id, size_t *n)
{
	if (n)
		*n = 0;
	if (!ob)
		return BH_EINVAL;
	struct bh_ob_req req = { .kind = BH_OB_REQ_REPLAY };
	if (id) {
		int rc = bh_ob_parse_dead_id(ob, id, &req.u.dead.flow, &req.u.dead.seq);
		if (rc)
			return rc;
	} else {
		req.u.dead.all = true;
	}
	int rc = bh_ob_submit(ob, &req);
	if (rc == BH_OK && n)
		*n = req.fx.n;
	return rc;
}

int bh_outbox_dead_drop(struct bh_outbox *ob, const char *id)
{
	if (!ob || !id)
		return BH_EINVAL;
	struct bh_ob_req req = { .kind = BH_OB_REQ_DROP };
	int rc = bh_ob_parse_dead_id(ob, id, &req.u.dead.flow, &req.u.dead.seq);
	if (rc)
		return rc;
	return bh_ob_submit(ob, &req);
}

int bh_outbox_log_append(struct bh_outbox *ob, const char *json)
{
	if (!ob || !json || strlen(json) > UINT32_MAX / 2)
		return BH_EINVAL;
	struct bh_ob_req req = { .kind = BH_OB_REQ_LOG, .u.log.json = json };
	return bh_ob_submit(ob, &req);
}

int bh_outbox_debug_put_raw(struct bh_outbox *ob, const char *table, const void *key,
			    size_t klen, const void *val, size_t vlen)
{
	int dbi = bh_ob_dbi_by_name(table);
	if (!ob || dbi < 0 || !key || klen == 0 || klen > ob->maxkey || (vlen && !val))
		return BH_EINVAL;
	struct bh_ob_req req = { .kind = BH_OB_REQ_RAW };
	req.u.raw.dbi = dbi;
	req.u.raw.key = key;
	req.u.raw.klen = klen;
	req.u.raw.val = val;
	req.u.raw.vlen = vlen;
	return bh_ob_submit(ob, &req);
}

size_t bh_outbox_debug_queued(struct bh_outbox *ob)
{
	size_t n = 0;
	if (!ob)
		return 0;
	pthread_mutex_lock(&ob->q_lock);
	for (const struct bh_ob_req *r = ob->q_head; r; r = r->next)
		n++;
	pthread_mutex_unlock(&ob->q_lock);
	return n;
}
