/*
 * loop_source.c - poll() of the `loop` source: the Detailed Returns List by updated_at.
 *
 * One poll covers [cursor, now] (first run: [now - lookback, now]) in windows of at most
 * `window` (Loop refuses ranges over 120 days). In each window every configured state
 * is asked on its own (without `state` Loop lists only open, closed and expired), with
 * paginate=true and pageSize=`page_size`, following nextPageUrl until it is null. Loop
 * documents no order inside a window, so the cursor moves only when a whole window is
 * done: the records of its last page and the new cursor commit together; earlier
 * pages' records commit as they come (a crash re-reads the window; the engine drops
 * the keys it already has).
 *
 * The cursor is an RFC 3339 UTC time, the `from` of the next poll (inclusive). After a
 * finished window it becomes the window's end; after the last window (ending now) the
 * later of the newest updated_at seen and now - `overlap`, so a clock of ours running
 * ahead of Loop's by less than `overlap` loses nothing. It never moves backwards.
 *
 * Ownership: pages and records are local to the call. Threading: runs on the source
 * thread only (never concurrently with itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/errors.h>

#include "http.h"
#include "loop.h"
#include "loop_records.h"
#include "loop_time.h"

#define MAX_PAGES 100000

struct page_out {
	struct bh_loop_recs *rs;  /* one set per return */
	size_t n_rs;
	struct bh_emit *flat;
	size_t n_flat;
};

static void page_out_free(struct page_out *po)
{
	for (size_t i = 0; i < po->n_rs; i++)
		bh_loop_recs_free(&po->rs[i]);
	free(po->rs);
	free(po->flat);
	memset(po, 0, sizeof(*po));
}

/* Records of one page; *max_seen = newest updated_at. */
static int page_records(struct bh_loop *lp, json_object *arr, struct page_out *po,
			int64_t *max_seen)
{
	size_t n = json_object_array_length(arr);
	char err[256];

	if (n == 0)
		return BH_OK;
	po->rs = calloc(n, sizeof(*po->rs));
	po->flat = calloc(n * BH_LOOP_MAX_RECS, sizeof(*po->flat));
	if (!po->rs || !po->flat)
		return BH_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct bh_loop_info info;
		int rc = bh_loop_records(json_object_array_get_idx(arr, i), NULL, &po->rs[i], &info,
					 err, sizeof(err));
		po->n_rs = i + 1;
		if (rc != 0) {
			bh_plg_error(lp->host, lp->inst, "poll: %s; the cursor stays until it is fixed",
				     err);
			return rc;
		}
		if (info.dup_units)
			bh_plg_warn(lp->host, lp->inst,
				    "return %s lists %u unit(s) twice with the same line_item_id; "
				    "counted once", info.id, info.dup_units);
		if (info.updated_ms > *max_seen)
			*max_seen = info.updated_ms;
		for (size_t k = 0; k < po->rs[i].n; k++)
			po->flat[po->n_flat++] = po->rs[i].e[k];
	}
	return BH_OK;
}

int bh_loop_poll(void *ctx)
{
	struct bh_loop *lp = ctx;
	const struct bh_host *h = lp->host;
	char cur[64], from_q[40], to_q[40], cursor_txt[40] = "";
	int64_t now = h->now_ms(), from, old_cursor = 0;
	int rc = BH_OK;
	long long n_returns = 0, n_new = 0, n_windows = 0;

	int n = h->cursor_get(lp->inst, cur, sizeof(cur));
	if (n > 0 && bh_loop_time_parse(cur, &old_cursor) == 0) {
		from = old_cursor;
	} else if (n > 0 || n == BH_ENOENT || n == BH_ETOOBIG) {
		if (n != BH_ENOENT)
			bh_plg_warn(h, lp->inst, "stored cursor is not a time; starting %lld ms back",
				    (long long)lp->lookback_ms);
		from = now - lp->lookback_ms;
	} else {
		return n;
	}
	int64_t to = now > from ? now : from;

	for (int64_t w_start = from;;) {
		int64_t w_end = w_start + lp->window_ms;
		bool last = w_end >= to;
		int64_t max_seen = 0;
		if (last)
			w_end = to;
		n_windows++;
		bh_loop_time_fmt_query(w_start, from_q, sizeof(from_q));
		bh_loop_time_fmt_query(w_end, to_q, sizeof(to_q));
		char *fe = bh_http_escape(from_q), *te = bh_http_escape(to_q);
		if (!fe || !te) {
			free(fe);
			free(te);
			return BH_ENOMEM;
		}
		for (size_t s = 0; s < lp->n_states && rc == 0; s++) {
			char *url = malloc(512);
			if (!url) {
				rc = BH_ENOMEM;
				break;
			}
			snprintf(url, 512,
				 "warehouse/return/list?filter=updated_at&from=%s&to=%s&state=%s"
				 "&paginate=true&pageSize=%lld",
				 fe, te, lp->states[s], (long long)lp->page_size);
			for (int pages = 0; url && rc == 0; pages++) {
				struct bh_status st;
				json_object *j = NULL, *arr = NULL, *nx = NULL;
				char *next = NULL;
				struct page_out po = {0};

				if (pages >= MAX_PAGES) {
					bh_plg_error(h, lp->inst, "poll: more than %d pages for state %s",
						     MAX_PAGES, lp->states[s]);
					rc = BH_EPROTO;
					break;
				}
				rc = bh_loop_request(lp, "GET", url, NULL, 0, &j, &st);
				if (rc != 0) {
					bh_plg_warn(h, lp->inst, "poll: listing %s returns failed: %s %s",
						    lp->states[s], st.code, st.message);
					break;
				}
				if (j && json_object_is_type(j, json_type_array)) {
					arr = j; /* an unpaginated answer is a bare array */
				} else if (j && json_object_is_type(j, json_type_object) &&
					   json_object_object_get_ex(j, "returns", &arr) &&
					   json_object_is_type(arr, json_type_array)) {
					if (json_object_object_get_ex(j, "nextPageUrl", &nx) && nx &&
					    json_object_is_type(nx, json_type_string) &&
					    *json_object_get_string(nx))
						next = strdup(json_object_get_string(nx));
				} else {
					bh_plg_error(h, lp->inst,
						     "poll: the returns list of state %s is neither "
						     "{\"returns\":[...]} nor an array", lp->states[s]);
					json_object_put(j);
					rc = BH_EPROTO;
					break;
				}
				if (next && strcmp(next, url) == 0) {
					bh_plg_error(h, lp->inst, "poll: nextPageUrl repeats the page");
					free(next);
					json_object_put(j);
					rc = BH_EPROTO;
					break;
				}
				rc = page_records(lp, arr, &po, &max_seen);
				n_returns += (long long)json_object_array_length(arr);
				bool final = !next && s + 1 == lp->n_states;
				const char *cursor = NULL;
				if (rc == 0 && final) {
					/* Loop filtered by to: a later updated_at would be bogus */
					int64_t seen = max_seen < to ? max_seen : to;
					int64_t c = last ? (seen > to - lp->overlap_ms
								    ? seen : to - lp->overlap_ms)
							 : w_end;
					if (c < old_cursor)
						c = old_cursor;
					bh_loop_time_fmt(c, cursor_txt, sizeof(cursor_txt));
					cursor = cursor_txt;
					old_cursor = c;
				}
				if (rc == 0 && (po.n_flat || cursor)) {
					int e = h->emit(lp->inst, po.flat, po.n_flat, cursor);
					if (e < 0) {
						bh_plg_warn(h, lp->inst, "poll: records not stored (%d); "
							    "the next poll reads this window again", e);
						rc = e;
					} else {
						n_new += e;
					}
				}
				page_out_free(&po);
				json_object_put(j);
				free(url);
				url = next;
			}
			free(url);
		}
		free(fe);
		free(te);
		if (rc != 0 || last)
			break;
		w_start = w_end;
	}
	h->counter_add(lp->inst, "polled_returns", n_returns);
	if (rc == 0)
		bh_plg_info(h, lp->inst, "poll: %lld return(s) in %lld window(s), %lld new record(s); "
			    "cursor %s", n_returns, n_windows, n_new, cursor_txt);
	return rc;
}
