/*
 * outbox_codec.h - on-disk encoding of the outbox: big-endian key builders and the
 * versioned envelopes stored as values (core-private, used only by core/outbox*.c).
 *
 * ENVELOPE HEADER (8 bytes, every record and queue/dead state value)
 *   "BHOX" magic, format version (1), kind ('R' record, 'Q' delivery state), 2 bytes 0.
 * RECORD ('R')
 *   time_ms i64 | nflows u16 | flows u32[nflows] | topic_len u32 | key_len u32 |
 *   source_len u32 | body_len u32 | topic | key | source | body
 *   Records are immutable: the flows list says which queue/dead entries may reference
 *   the record, so no reference counter is ever rewritten.
 * DELIVERY STATE ('Q', values of `queue` and `dead`)
 *   attempts u32 | queued_ms i64 | due_ms i64 | first_ms i64 | last_ms i64 |
 *   err_len u32 | err
 * All integers are big-endian. Decoders check magic, version, kind and every length,
 * and return BH_ECORRUPT with a short static reason otherwise.
 *
 * Ownership: decoded views point into the caller's buffer (an LMDB value, valid until
 * the transaction ends). Threading: pure functions, no state.
 */
#ifndef BH_OUTBOX_CODEC_H
#define BH_OUTBOX_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define BH_OB_MAGIC "BHOX"
#define BH_OB_FORMAT 1
#define BH_OB_KIND_REC 'R'
#define BH_OB_KIND_QST 'Q'
#define BH_OB_HDR_LEN 8
#define BH_OB_MAX_FLOWS 64

/* key sizes */
#define BH_OB_QKEY_LEN 12    /* flow u32 | seq u64 */
#define BH_OB_DUEKEY_LEN 20  /* flow u32 | due u64 | seq u64 */

void bh_ob_put_u16(unsigned char *p, uint16_t v);
void bh_ob_put_u32(unsigned char *p, uint32_t v);
void bh_ob_put_u64(unsigned char *p, uint64_t v);
uint16_t bh_ob_get_u16(const unsigned char *p);
uint32_t bh_ob_get_u32(const unsigned char *p);
uint64_t bh_ob_get_u64(const unsigned char *p);

void bh_ob_qkey(unsigned char k[BH_OB_QKEY_LEN], uint32_t flow, uint64_t seq);
void bh_ob_duekey(unsigned char k[BH_OB_DUEKEY_LEN], uint32_t flow, int64_t due_ms, uint64_t seq);
/** Split a due key; returns 0 or BH_ECORRUPT when the length is wrong. */
int bh_ob_duekey_parse(const void *k, size_t len, uint32_t *flow, int64_t *due_ms,
		       uint64_t *seq);

/** A decoded record, pointing into the stored value. */
struct bh_ob_recv {
	int64_t time_ms;
	uint16_t nflows;
	const unsigned char *flows;  /**< nflows big-endian u32 */
	const char *topic, *key, *source, *body;
	uint32_t topic_len, key_len, source_len, body_len;
};

size_t bh_ob_rec_size(size_t nflows, size_t topic_len, size_t key_len, size_t source_len,
		      size_t body_len);
/** Encode into dst (bh_ob_rec_size bytes). */
void bh_ob_rec_encode(unsigned char *dst, int64_t time_ms, const uint32_t *flows,
		      size_t nflows, const char *topic, size_t topic_len, const char *key,
		      size_t key_len, const char *source, size_t source_len, const char *body,
		      size_t body_len);
int bh_ob_rec_decode(const void *p, size_t len, struct bh_ob_recv *out, const char **why);
uint32_t bh_ob_recv_flow(const struct bh_ob_recv *r, size_t i);

/** A delivery state (queue or dead entry). */
struct bh_ob_qst {
	uint32_t attempts;
	int64_t queued_ms, due_ms, first_ms, last_ms;
	const char *err;             /**< not NUL-terminated */
	uint32_t err_len;
};

size_t bh_ob_qst_size(size_t err_len);
void bh_ob_qst_encode(unsigned char *dst, const struct bh_ob_qst *q);
int bh_ob_qst_decode(const void *p, size_t len, struct bh_ob_qst *out, const char **why);

/** Lowercase hex of len bytes into out (2*len+1 bytes). */
void bh_ob_hex(char *out, const void *p, size_t len);

#endif
