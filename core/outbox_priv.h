/*
 * outbox_priv.h - internals shared by the outbox modules (core-private):
 *   outbox.c        open/close, transactions, the map, flows, public write calls
 *   outbox_commit.c the committer thread: group commit, space, notify, claims release
 *   outbox_apply.c  every write, applied by the committer inside its write txn
 *   outbox_read.c   claims and read-only queries (short read txns, data copied out)
 *
 * THREADING
 *   - map_lock (rwlock, writer-preferring): every LMDB transaction of this process is
 *     begun and ended under the read side; resizing the map (our growth, or adopting a
 *     size grown by another process after MDB_MAP_RESIZED) takes the write side, so
 *     no transaction is ever active during mdb_env_set_mapsize. Never held twice by
 *     one thread.
 *   - Only the committer thread opens write transactions (after open). Callers queue
 *     a request (q_lock, q_cond) and sleep on done_cond until the committer marks it
 *     done. The committer never submits requests itself.
 *   - flows_lock guards the flows[] table (pointers stay valid until close); each
 *     flow's mutex guards its claim set and is held across a claim's read txn, so a
 *     claim never sees a snapshot older than a released claim.
 *   Lock order: flow->lock, then map_lock. flows_lock is a leaf.
 */
#ifndef BH_OUTBOX_PRIV_H
#define BH_OUTBOX_PRIV_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "outbox.h"
#include "outbox_claims.h"
#include "outbox_codec.h"

#define BH_OB_SUBSYS "outbox"
#define BH_OB_SCHEMA 1
#define BH_OB_MAX_NAME 255       /* source, topic, xref ns */
#define BH_OB_MAX_FLOW_NAME 64

enum bh_ob_dbi {
	BH_OB_RECORDS, BH_OB_QUEUE, BH_OB_DUE, BH_OB_DEAD, BH_OB_IDEM, BH_OB_CURSORS,
	BH_OB_XREF, BH_OB_LOG, BH_OB_CORRUPT, BH_OB_META, BH_OB_NDBI
};

/** Name of a table (DBI) as used by bh_outbox_debug_put_raw and in log lines. */
const char *bh_ob_dbi_name(int dbi);
/** Table index of a name, or -1. */
int bh_ob_dbi_by_name(const char *name);

struct bh_ob_flow {
	uint32_t id;
	char *name;                  /**< NULL until known; then fixed until close */
	struct bh_retry_policy pol;
	pthread_mutex_t lock;        /**< guards claims */
	struct bh_ob_claims claims;
};

/** What a request changed (filled while applying, used after the commit). */
struct bh_ob_fx {
	size_t n;                    /**< records newly stored / dead letters replayed */
	uint64_t added, freed;       /**< bytes of records stored / deleted */
	bool due;                    /**< a due entry was written */
	uint32_t flow_id;            /**< flow registration result */
};

/** Repairs found by readers, applied by the committer. */
enum bh_ob_fix_kind {
	BH_OB_FIX_DUE_KEY,           /**< malformed due key (raw key in key[]) */
	BH_OB_FIX_DUE_DANGLING,      /**< due entry without queue entry */
	BH_OB_FIX_QUEUE,             /**< undecodable queue entry */
	BH_OB_FIX_RECORD,            /**< undecodable record behind a queue/dead entry */
	BH_OB_FIX_RECORD_MISSING,    /**< queue entry whose record is gone */
	BH_OB_FIX_DEAD,              /**< undecodable dead entry */
	BH_OB_FIX_DEAD_MISSING,      /**< dead entry whose record is gone */
};

struct bh_ob_fix {
	enum bh_ob_fix_kind kind;
	uint32_t flow;
	uint64_t seq;
	int64_t due_ms;              /**< due key of the queue entry, -1 unknown */
	size_t klen;
	unsigned char key[512];      /**< BH_OB_FIX_DUE_KEY only */
};

enum bh_ob_req_kind {
	BH_OB_REQ_INGEST, BH_OB_REQ_COMPLETE, BH_OB_REQ_FLOW, BH_OB_REQ_LOG,
	BH_OB_REQ_REPLAY, BH_OB_REQ_DROP, BH_OB_REQ_FIX, BH_OB_REQ_RAW,
};

struct bh_ob_req {
	struct bh_ob_req *next;
	enum bh_ob_req_kind kind;
	int rc;
	bool done;                   /**< set by the committer under q_lock */
	bool need_space;             /**< MDB_MAP_FULL while applying */
	bool pending;                /**< committer: still to be applied in this group */
	struct bh_ob_fx fx;
	union {
		struct {
			const char *source, *cursor;
			const struct bh_outbox_rec *recs;
			size_t n;
		} ingest;
		struct {
			const struct bh_outbox_result *res;
			size_t n;
			enum bh_outcome *out;
		} complete;
		struct {
			const char *name;
		} flow;
		struct {
			const char *json;
		} log;
		struct {
			bool all;
			uint32_t flow;
			uint64_t seq;
		} dead;
		struct {
			const struct bh_ob_fix *fixes;
			size_t n;
		} fix;
		struct {
			int dbi;
			const void *key, *val;
			size_t klen, vlen;
		} raw;
	} u;
};

struct bh_outbox {
	struct bh_outbox_opts opts;  /**< dir points to dir below */
	char *dir;
	MDB_env *env;
	MDB_dbi dbi[BH_OB_NDBI];
	size_t psize;                /**< LMDB page size */
	unsigned maxkey;             /**< mdb_env_get_maxkeysize */

	pthread_rwlock_t map_lock;
	_Atomic uint64_t map_size;   /**< current map size (updated under map_lock write) */
	uint64_t max_size;
	void *map_addr;              /**< where LMDB mapped data.mdb (map_lock), or NULL */
	size_t map_len;

	pthread_mutex_t flows_lock;
	struct bh_ob_flow **flows;   /**< indexed by flow id */
	size_t flows_cap;

	pthread_mutex_t q_lock;
	pthread_cond_t q_cond;       /**< committer waits for work */
	pthread_cond_t done_cond;    /**< callers wait for their request */
	struct bh_ob_req *q_head, *q_tail;
	bool stopping;
	bool committer_started;
	pthread_t committer;

	atomic_bool paused;
	uint64_t pause_need, pause_freed;   /**< committer only */
	unsigned commits_since_trim;        /**< committer only */
	size_t trim_work;                   /**< committer only */
};

/** One write context: the committer's (child) transaction and the request's effects. */
struct bh_ob_wtx {
	struct bh_outbox *ob;
	MDB_txn *txn;
	int64_t now;
	struct bh_ob_fx *fx;
};

/* outbox.c */
int64_t bh_ob_now(struct bh_outbox *ob);
/** Double the map up to max_size. 0, BH_EBUSY at the maximum, or an error.
 *  Committer thread only, with no transaction open. */
int bh_ob_map_grow(struct bh_outbox *ob);
/** Drop the map's pages from this process's resident set. No transaction needed. */
void bh_ob_map_trim(struct bh_outbox *ob);
/** Set a flow's name unless it has one; returns the name kept (valid until close). */
const char *bh_ob_flow_set_name(struct bh_outbox *ob, struct bh_ob_flow *f, const char *name,
				size_t len);
/** Begin a transaction under map_lock (read side), adopting a map grown by another
 *  process. End it with bh_ob_txn_abort / bh_ob_txn_commit. */
int bh_ob_txn_begin(struct bh_outbox *ob, unsigned flags, MDB_txn **txn);
void bh_ob_txn_abort(struct bh_outbox *ob, MDB_txn *txn);
/** Returns the raw LMDB code (MDB_MAP_FULL matters to the committer). */
int bh_ob_txn_commit(struct bh_outbox *ob, MDB_txn *txn);
/** Queue a request for the committer and wait for its result. */
int bh_ob_submit(struct bh_outbox *ob, struct bh_ob_req *req);
/** The flow of an id, created (default policy, name looked up) when create is set.
 *  NULL if absent and !create, or on ENOMEM. */
struct bh_ob_flow *bh_ob_flow_get(struct bh_outbox *ob, uint32_t id, bool create);
/** Copy of the retry policy of a flow (defaults when never registered here). */
void bh_ob_flow_policy(struct bh_outbox *ob, uint32_t id, struct bh_retry_policy *pol);
/** Resolve a flow name to its id (memory, then meta). Returns 0 or BH_ENOENT. */
int bh_ob_flow_lookup(struct bh_outbox *ob, const char *name, uint32_t *id);
/** Build a key "prefix\0rest" (or "prefix:rest"), hashing rest with SHA-256 when the
 *  whole key would exceed LMDB's key limit. Returns the length or BH_EINVAL. */
/** Split a dead-letter id "<flow name>/<seq>". Returns 0 or BH_ENOENT. */
int bh_ob_parse_dead_id(struct bh_outbox *ob, const char *id, uint32_t *flow, uint64_t *seq);
int bh_ob_make_key(const struct bh_outbox *ob, unsigned char *out, size_t cap,
		   const char *prefix, char sep, const char *rest);

/* outbox_commit.c */
/** The committer thread (started by bh_outbox_open, stopped by bh_outbox_close). */
void *bh_ob_committer_main(void *arg);

/* outbox_apply.c (committer thread only) */
int bh_ob_apply(struct bh_ob_wtx *w, struct bh_ob_req *req);
/** Meta counters (u64 under a string key); absent = 0. */
int bh_ob_meta_get_u64(MDB_txn *txn, struct bh_outbox *ob, const char *name, uint64_t *v);
int bh_ob_meta_put_u64(MDB_txn *txn, struct bh_outbox *ob, const char *name, uint64_t v);
/** Meta key of a flow: "flow:<name>" -> id, or "fid:" + id (BE) -> name. */
size_t bh_ob_meta_fid_key(unsigned char out[8], uint32_t id);

#endif
