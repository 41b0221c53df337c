/*
 * outbox.h - the durable LMDB outbox (core-private; plugins never see LMDB).
 *
 * WHAT IT HOLDS (one MDB_env per process, several named DBIs)
 *   records     seq -> envelope (topic, idempotency key, source, time, body), stored
 *               once and shared by every flow the record was routed to (refcount).
 *   queue       (flow, seq) -> delivery state: attempts, first/last attempt, due time,
 *               last error.
 *   due         (flow, due_ms, seq) -> empty: the scheduling index per flow.
 *   dead        (flow, seq) -> state + last error (record kept in `records`).
 *   idem        (source, key) -> seq: duplicate idempotency keys are dropped.
 *   cursors     source -> cursor text.
 *   xref        "ns:key" -> value, for flows.
 *   log         sequence -> sync-log entry (JSON text), capped.
 *   corrupt     raw copies of entries that could not be decoded.
 *   meta        schema version, next seq, flow name -> id, counters (acked_total...).
 *   Integers in keys are big-endian so memcmp order is numeric order.
 *
 * DURABILITY
 *   Durable commits by default (no MDB_NOSYNC). Writes go through one committer thread
 *   that applies every pending ingest/complete request in one write transaction and
 *   one fsync (group commit), each request in its own nested transaction so that it
 *   can fail alone, then wakes each caller with its own result. No
 *   transaction is ever held across network I/O: claims copy records out and close
 *   their read transaction.
 *
 * SPACE
 *   MDB_MAP_FULL grows the map (doubling) up to opts.max_size. At the maximum, ingest
 *   fails with BH_EBUSY and nothing of that request is stored (sources pause); it
 *   succeeds again once completions freed space. Nothing is ever dropped. Other writes
 *   that cannot fit at the maximum fail alone with BH_ESPACE. The map's pages are
 *   regularly dropped from the process's resident set (madvise), so a large backlog
 *   does not stay resident while it drains.
 *
 * CORRUPTION
 *   An entry that cannot be decoded (bad magic, unknown format version, truncated) is
 *   copied to `corrupt`, removed from the live tables, logged with its key, and skipped.
 *
 * THREADING
 *   All functions are thread-safe. A process may open the outbox once (LMDB rule);
 *   another process (the CLI) may open the same directory concurrently.
 *   Claims live in memory: a claimed item is not handed out again by this process
 *   until completed; after a crash every unacknowledged item is due again
 *   (at-least-once delivery).
 *
 * OWNERSHIP
 *   Input strings are copied. Items returned by claim and infos by dead_get are owned
 *   by the caller and freed with the matching *_free function.
 */
#ifndef BH_OUTBOX_H
#define BH_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bh_outbox;

struct bh_outbox_opts {
	const char *dir;            /**< state directory (created 0700 if missing) */
	uint64_t initial_size;      /**< initial map size, bytes (0 = 16 MiB) */
	uint64_t max_size;          /**< maximum map size, bytes (0 = 4 GiB) */
	bool no_sync;               /**< relax durability (benchmarks only; default false) */
	unsigned log_cap;           /**< sync-log entries kept (0 = 10000) */
	/** Wall clock in ms (NULL = real clock). Tests pass a fake one. */
	int64_t (*now_ms)(void *arg);
	/** Random 64-bit numbers for jitter (NULL = OpenSSL RAND_bytes). */
	uint64_t (*rand64)(void *arg);
	void *clock_arg;
	/** Routing: fill flows[] with the ids subscribed to topic, return the count
	 *  (at most max). Called from the committer thread inside its write transaction:
	 *  must not call the outbox. A record routed nowhere (or route NULL) is not kept;
	 *  only its idempotency key is remembered (as if stored and acked at once). */
	size_t (*route)(void *arg, const char *topic, uint32_t *flows, size_t max);
	void *route_arg;
	/** Called (from the committer thread, no lock held) after a commit that made
	 *  items due or freed space while sources were paused. Keep it short. It runs
	 *  before the calls committed by that commit return. It must not call outbox
	 *  write functions (they fail with BH_EINVAL there). */
	void (*notify)(void *arg);
	void *notify_arg;
};

/** Retry policy of one flow. Backoff: full jitter over
 *  min(max_backoff, min_backoff * 2^(attempt-1)), never earlier than retry_after.
 *  Dead after max_attempts attempts or once older than max_age (0 = no limit); the
 *  age counts from when the entry was queued (ingest, or dead-letter replay).
 *  A NULL policy means all defaults; negative values are refused (BH_EINVAL); a
 *  max_backoff below min_backoff is raised to it. */
struct bh_retry_policy {
	int max_attempts;           /**< default 10 */
	int64_t max_age_ms;         /**< default 7 days */
	int64_t min_backoff_ms;     /**< default 1 s */
	int64_t max_backoff_ms;     /**< default 1 h */
};

int bh_outbox_open(const struct bh_outbox_opts *opts, struct bh_outbox **out);
/** Stop the committer (after draining pending requests) and close the env. */
void bh_outbox_close(struct bh_outbox *ob);

/** Map a flow name to its stable id (created on first use, persisted), and set its
 *  retry policy for this process. Call at start-up, before ingest. Names are 1-64
 *  bytes without control characters. */
int bh_outbox_flow(struct bh_outbox *ob, const char *name, const struct bh_retry_policy *pol,
		   uint32_t *flow_id);
/** Name of a flow id known to this outbox (persisted names included), or NULL. */
const char *bh_outbox_flow_name(struct bh_outbox *ob, uint32_t flow_id);

/* ---- ingest ---- */

struct bh_outbox_rec {
	const char *topic;
	const char *key;            /**< idempotency key, unique per source */
	const char *body;
	size_t body_len;
	int64_t time_ms;            /**< 0 = now */
};

/**
 * Store records of `source` (dropping ones whose key the source already used), route
 * each to its flows (due now), and store cursor when not NULL — all in one committed
 * transaction. *n_new (optional) = records newly stored.
 * Returns 0, BH_EBUSY (map full at its maximum: nothing stored), BH_EINVAL,
 * BH_ESTOPPED, BH_EIO.
 */
int bh_outbox_ingest(struct bh_outbox *ob, const char *source, const struct bh_outbox_rec *recs,
		     size_t n, const char *cursor, size_t *n_new);
/** Copy the stored cursor of source. Returns its length, BH_ENOENT, BH_ETOOBIG. */
int bh_outbox_cursor_get(struct bh_outbox *ob, const char *source, char *buf, size_t len);
/** True while ingest is refused for lack of space (state of this process). */
bool bh_outbox_paused(struct bh_outbox *ob);

/* ---- delivery ---- */

struct bh_outbox_item {
	uint32_t flow_id;
	uint64_t seq;
	char id[32];                /**< envelope id: decimal seq */
	char *topic, *key, *source, *body;
	size_t body_len;
	int64_t time_ms;
	int attempt;                /**< this attempt's number, 1-based */
	int64_t first_attempt_ms;   /**< 0 on the first attempt */
};

/**
 * Claim up to max due items of flow_id (due time <= now, not claimed), in due order
 * then seq order. *next_due_ms = earliest due time among the flow's unclaimed items
 * left (INT64_MAX when none). Corrupt entries met on the way are moved to `corrupt`
 * and skipped. Returns 0 (n may be 0), BH_ENOMEM, BH_EIO.
 */
int bh_outbox_claim(struct bh_outbox *ob, uint32_t flow_id, size_t max,
		    struct bh_outbox_item **items, size_t *n, int64_t *next_due_ms);
void bh_outbox_items_free(struct bh_outbox_item *items, size_t n);

enum bh_outcome {
	BH_OUTCOME_OK = 0,
	BH_OUTCOME_RETRY = 1,
	BH_OUTCOME_REJECT = 2,
};

struct bh_outbox_xref {
	const char *ns, *key, *value;
};

struct bh_outbox_result {
	uint32_t flow_id;
	uint64_t seq;
	enum bh_outcome outcome;
	int64_t retry_after_ms;     /**< RETRY: not before now + this */
	const char *error;          /**< RETRY/REJECT reason (kept as last error) */
	const struct bh_outbox_xref *xrefs;   /**< OK only */
	size_t n_xrefs;
	const struct bh_outbox_rec *follow;   /**< OK only: follow-up records ... */
	size_t n_follow;
	const char *follow_source;            /**< ... ingested as from this source */
};

/**
 * Apply delivery results in one committed transaction and release their claims:
 * OK deletes the queue entry (and the record when no flow references it), writes the
 * xrefs, ingests the follow-ups and counts acked_total; RETRY reschedules with backoff
 * or moves to dead when the policy is exhausted; REJECT moves to dead. A result whose
 * queue entry no longer exists is ignored (counted nowhere; its outcome_out echoes
 * the outcome given). A result's claim is released whatever happens.
 * *outcome_out (optional, n entries) = what was done: OK, RETRY, or REJECT for dead.
 */
int bh_outbox_complete(struct bh_outbox *ob, const struct bh_outbox_result *res, size_t n,
		       enum bh_outcome *outcome_out);

/* ---- cross references ---- */

/** Returns the value length, BH_ENOENT or BH_ETOOBIG. */
int bh_outbox_xref_get(struct bh_outbox *ob, const char *ns, const char *key, char *buf,
		       size_t len);

/* ---- dead letters ---- */

struct bh_dead_info {
	char id[96];                /**< "<flow name>/<seq>" */
	uint32_t flow_id;
	uint64_t seq;
	char *topic, *key, *source, *body, *error;
	size_t body_len;
	int attempts;
	int64_t first_attempt_ms, last_attempt_ms, time_ms;
};

/** Call fn for each dead letter (key order); fn returns non-zero to stop. */
int bh_outbox_dead_foreach(struct bh_outbox *ob,
			   int (*fn)(void *arg, const struct bh_dead_info *d), void *arg);
/** Returns 0, BH_ENOENT, or BH_ECORRUPT (the letter was unreadable: moved aside). */
int bh_outbox_dead_get(struct bh_outbox *ob, const char *id, struct bh_dead_info *out);
void bh_outbox_dead_info_free(struct bh_dead_info *d);
/** Put a dead letter (id, or every one when id is NULL) back in its flow's queue with
 *  attempts reset, due now. *n = how many. Returns 0, BH_ENOENT. */
int bh_outbox_dead_replay(struct bh_outbox *ob, const char *id, size_t *n);
/** Delete a dead letter for good. Returns 0, BH_ENOENT. */
int bh_outbox_dead_drop(struct bh_outbox *ob, const char *id);

/* ---- sync log ---- */

/** Append one entry (JSON text); the oldest entries beyond log_cap are removed. */
int bh_outbox_log_append(struct bh_outbox *ob, const char *json);
/** Call fn for the last `last` entries (0 = all), oldest first; fn returns non-zero
 *  to stop. */
int bh_outbox_log_foreach(struct bh_outbox *ob, size_t last,
			  int (*fn)(void *arg, const char *json), void *arg);

/* ---- status ---- */

struct bh_outbox_flow_stats {
	uint32_t flow_id;
	const char *name;
	uint64_t queued;            /**< queue entries (due now or later, claimed or not) */
	uint64_t due_now;
	uint64_t dead;
	int64_t oldest_ms;          /**< time of the oldest queued record, 0 if none */
};

struct bh_outbox_stats {
	uint64_t records;           /**< stored envelopes */
	uint64_t corrupt;
	uint64_t acked_total;       /**< persisted count of OK completions ever */
	uint64_t map_size, map_used;   /**< bytes; map_used excludes LMDB's free pages */
	bool paused;                /**< ingest refused for lack of space in THIS process */
};

int bh_outbox_stats(struct bh_outbox *ob, struct bh_outbox_stats *st,
		    int (*flow_fn)(void *arg, const struct bh_outbox_flow_stats *fs), void *arg);

/* ---- test hooks ---- */

/** Write raw bytes under a key of a named table ("records", "queue"...), bypassing
 *  encoding — used by tests to plant corrupt entries. */
int bh_outbox_debug_put_raw(struct bh_outbox *ob, const char *table, const void *key,
			    size_t klen, const void *val, size_t vlen);
/** Number of write requests waiting for the committer (not the group being applied) —
 *  lets tests know when several requests will be committed as one group. */
size_t bh_outbox_debug_queued(struct bh_outbox *ob);

#endif
