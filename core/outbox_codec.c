/*
 * outbox_codec.c - big-endian keys and versioned envelopes of the outbox
 * (see outbox_codec.h for the layouts).
 *
 * Ownership: callers own every buffer. Threading: pure functions, no state.
 */
#include <string.h>

#include "err.h"
#include "outbox_codec.h"

void bh_ob_put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

void bh_ob_put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

void bh_ob_put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

uint16_t bh_ob_get_u16(const unsigned char *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

uint32_t bh_ob_get_u32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | p[i];
	return v;
}

uint64_t bh_ob_get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void bh_ob_qkey(unsigned char k[BH_OB_QKEY_LEN], uint32_t flow, uint64_t seq)
{
	bh_ob_put_u32(k, flow);
	bh_ob_put_u64(k + 4, seq);
}

void bh_ob_duekey(unsigned char k[BH_OB_DUEKEY_LEN], uint32_t flow, int64_t due_ms, uint64_t seq)
{
	bh_ob_put_u32(k, flow);
	bh_ob_put_u64(k + 4, due_ms < 0 ? 0 : (uint64_t)due_ms);
	bh_ob_put_u64(k + 12, seq);
}

int bh_ob_duekey_parse(const void *k, size_t len, uint32_t *flow, int64_t *due_ms,
		       uint64_t *seq)
{
	const unsigned char *p = k;
	if (len != BH_OB_DUEKEY_LEN)
		return BH_ECORRUPT;
	uint64_t due = bh_ob_get_u64(p + 4);
	*flow = bh_ob_get_u32(p);
	*due_ms = due > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)due;
	*seq = bh_ob_get_u64(p + 12);
	return BH_OK;
}

static void put_header(unsigned char *p, char kind)
{
	memcpy(p, BH_OB_MAGIC, 4);
	p[4] = BH_OB_FORMAT;
	p[5] = (unsigned char)kind;
	p[6] = 0;
	p[7] = 0;
}

static int check_header(const unsigned char *p, size_t len, char kind, const char **why)
{
	if (len < BH_OB_HDR_LEN) {
		*why = "truncated envelope header";
		return BH_ECORRUPT;
	}
	if (memcmp(p, BH_OB_MAGIC, 4) != 0) {
		*why = "bad magic";
		return BH_ECORRUPT;
	}
	if (p[4] != BH_OB_FORMAT) {
		*why = "unknown format version";
		return BH_ECORRUPT;
	}
	if (p[5] != (unsigned char)kind) {
		*why = "wrong envelope kind";
		return BH_ECORRUPT;
	}
	return BH_OK;
}

size_t bh_ob_rec_size(size_t nflows, size_t topic_len, size_t key_len, size_t source_len,
		      size_t body_len)
{
	return BH_OB_HDR_LEN + 8 + 2 + 4 * nflows + 16 + topic_len + key_len + source_len +
	       body_len;
}

void bh_ob_rec_encode(unsigned char *dst, int64_t time_ms, const uint32_t *flows,
		      size_t nflows, const char *topic, size_t topic_len, const char *key,
		      size_t key_len, const char *source, size_t source_len, const char *body,
		      size_t body_len)
{
	unsigned char *p = dst;
	put_header(p, BH_OB_KIND_REC);
	p += BH_OB_HDR_LEN;
	bh_ob_put_u64(p, (uint64_t)time_ms);
	p += 8;
	bh_ob_put_u16(p, (uint16_t)nflows);
	p += 2;
	for (size_t i = 0; i < nflows; i++, p += 4)
		bh_ob_put_u32(p, flows[i]);
	bh_ob_put_u32(p, (uint32_t)topic_len);
	bh_ob_put_u32(p + 4, (uint32_t)key_len);
	bh_ob_put_u32(p + 8, (uint32_t)source_len);
	bh_ob_put_u32(p + 12, (uint32_t)body_len);
	p += 16;
	memcpy(p, topic, topic_len);
	p += topic_len;
	memcpy(p, key, key_len);
	p += key_len;
	memcpy(p, source, source_len);
	p += source_len;
	if (body_len)
		memcpy(p, body, body_len);
}

int bh_ob_rec_decode(const void *v, size_t len, struct bh_ob_recv *out, const char **why)
{
	const unsigned char *p = v;
	int rc = check_header(p, len, BH_OB_KIND_REC, why);
	if (rc)
		return rc;
	size_t off = BH_OB_HDR_LEN;
	if (len < off + 10)
		goto truncated;
	out->time_ms = (int64_t)bh_ob_get_u64(p + off);
	out->nflows = bh_ob_get_u16(p + off + 8);
	off += 10;
	if (out->nflows > BH_OB_MAX_FLOWS || len < off + 4u * out->nflows + 16)
		goto truncated;
	out->flows = p + off;
	off += 4u * out->nflows;
	out->topic_len = bh_ob_get_u32(p + off);
	out->key_len = bh_ob_get_u32(p + off + 4);
	out->source_len = bh_ob_get_u32(p + off + 8);
	out->body_len = bh_ob_get_u32(p + off + 12);
	off += 16;
	/* 64-bit sum of four 32-bit lengths cannot overflow */
	if ((uint64_t)off + out->topic_len + out->key_len + out->source_len + out->body_len !=
	    (uint64_t)len)
		goto truncated;
	out->topic = (const char *)p + off;
	off += out->topic_len;
	out->key = (const char *)p + off;
	off += out->key_len;
	out->source = (const char *)p + off;
	off += out->source_len;
	out->body = (const char *)p + off;
	return BH_OK;
truncated:
	*why = "truncated or inconsistent record envelope";
	return BH_ECORRUPT;
}

uint32_t bh_ob_recv_flow(const struct bh_ob_recv *r, size_t i)
{
	return bh_ob_get_u32(r->flows + 4 * i);
}

size_t bh_ob_qst_size(size_t err_len)
{
	return BH_OB_HDR_LEN + 4 + 4 * 8 + 4 + err_len;
}

void bh_ob_qst_encode(unsigned char *dst, const struct bh_ob_qst *q)
{
	unsigned char *p = dst;
	put_header(p, BH_OB_KIND_QST);
	p += BH_OB_HDR_LEN;
	bh_ob_put_u32(p, q->attempts);
	bh_ob_put_u64(p + 4, (uint64_t)q->queued_ms);
	bh_ob_put_u64(p + 12, (uint64_t)q->due_ms);
	bh_ob_put_u64(p + 20, (uint64_t)q->first_ms);
	bh_ob_put_u64(p + 28, (uint64_t)q->last_ms);
	bh_ob_put_u32(p + 36, q->err_len);
	if (q->err_len)
		memcpy(p + 40, q->err, q->err_len);
}

int bh_ob_qst_decode(const void *v, size_t len, struct bh_ob_qst *out, const char **why)
{
	const unsigned char *p = v;
	int rc = check_header(p, len, BH_OB_KIND_QST, why);
	if (rc)
		return rc;
	p += BH_OB_HDR_LEN;
	if (len < bh_ob_qst_size(0))
		goto truncated;
	out->attempts = bh_ob_get_u32(p);
	out->queued_ms = (int64_t)bh_ob_get_u64(p + 4);
	out->due_ms = (int64_t)bh_ob_get_u64(p + 12);
	out->first_ms = (int64_t)bh_ob_get_u64(p + 20);
	out->last_ms = (int64_t)bh_ob_get_u64(p + 28);
	out->err_len = bh_ob_get_u32(p + 36);
	if ((uint64_t)bh_ob_qst_size(0) + out->err_len != (uint64_t)len)
		goto truncated;
	out->err = (const char *)p + 40;
	return BH_OK;
truncated:
	*why = "truncated or inconsistent delivery state";
	return BH_ECORRUPT;
}

void bh_ob_hex(char *out, const void *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}
