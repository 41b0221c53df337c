/*
 * loop_actions.c - the `portal` and `diagnostics` capabilities of the `loop` plugin.
 *
 * portal (sdk/include/backhaul/portal.h):
 *   get_return      Get Return Details -> canonical return/1 ("trigger": null)
 *   process         POST warehouse/return/{id}/process. Loop answers `true` when the
 *                   processing is QUEUED; success here means queued, never done: the
 *                   outcome comes as portal.return.closed or
 *                   portal.return.processing_failed (webhook), or by re-reading.
 *   cancel/flag/close  POST .../cancel|flag|close
 *   note            POST .../note {"content"}
 *   find_returns    the returns of one order (loop_find.c)
 * Loop answers refusals with an error body, often on HTTP 200 ({"errors":{"message",
 * "code"}}, {"message"}, {"content"}); anything but `true` is a refusal: BH_EREJECT
 * with Loop's code ("REFUSED" when it gives none) and message.
 * Idempotence from the caller's view: after a refusal the return is read back, and
 * cancel of a cancelled return, flag of one in review, close of a closed one, and
 * process of a closed return Loop reports as processed, succeed without effect.
 * A note is written only when no note with the same text is on the return yet (read
 * before write, also before each retry), so a redelivered record adds it once. Loop
 * takes notes of fewer than 255 characters: a text over 254 bytes is cut at a
 * character boundary to 251 bytes and "…" (logged).
 * In dry-run mode the actions are logged and not sent.
 *
 * diagnostics (diag.h): reachable, authentication, permission:returns (one small
 * Detailed Returns List request) and, with webhooks configured, webhook +
 * permission:webhooks (the subscriptions Loop has for our path).
 *
 * Ownership: *out is malloc'd for the caller. Threading: every operation may run
 * concurrently on worker threads; nothing here is shared but the API layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/diag.h>
#include <backhaul/errors.h>
#include <backhaul/portal.h>

#include "loop.h"
#include "loop_errors.h"
#include "loop_map.h"
#include "loop_time.h"

#define NOTE_MAX_BYTES 254

static int bad_id(struct bh_status *st)
{
	snprintf(st->code, sizeof(st->code), "BAD_ID");
	snprintf(st->message, sizeof(st->message), "a Loop return id is a decimal number");
	return BH_EREJECT;
}

static int lp_get_return(void *ctx, const char *return_id, char **out, struct bh_status *st)
{
	struct bh_loop *lp = ctx;
	json_object *ret = NULL, *body = NULL;
	struct bh_loop_info info;
	char err[256];

	*out = NULL;
	int rc = bh_loop_fetch_return(lp, return_id, 0, &ret, st);
	if (rc != 0)
		return rc;
	rc = bh_loop_map_return(ret, NULL, false, NULL, &info, &body, err, sizeof(err));
	if (rc == 0) {
		*out = strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
		rc = *out ? BH_OK : BH_ENOMEM;
	} else {
		snprintf(st->code, sizeof(st->code), "BAD_RETURN");
		snprintf(st->message, sizeof(st->message), "%s", err);
	}
	json_object_put(body);
	json_object_put(ret);
	return rc;
}

/* After a refusal: is the return already where the action would put it? */
static int settle(struct bh_loop *lp, const char *id, const char *verb, const char *want_state,
		  int rc, struct bh_status *st)
{
	struct bh_status st2;
	struct bh_loop_info info;
	json_object *ret = NULL;
	char err[128];

	if (rc != BH_EREJECT || bh_loop_fetch_return(lp, id, 0, &ret, &st2) != 0)
		return rc;
	if (bh_loop_return_info(ret, &info, err, sizeof(err)) == 0) {
		bool done = want_state ? strcmp(info.state, want_state) == 0
				       : strcmp(info.state, "closed") == 0 && info.was_processed;
		if (done) {
			bh_plg_info(lp->host, lp->inst, "%s return %s: already %s (Loop said: %s); "
				    "nothing to do", verb, id, want_state ? want_state : "processed",
				    st->message);
			snprintf(st->code, sizeof(st->code), "ALREADY_DONE");
			rc = BH_OK;
		}
	}
	json_object_put(ret);
	return rc;
}

static int action(struct bh_loop *lp, const char *id, const char *verb, const char *want_state,
		  struct bh_status *st)
{
	char path[96];
	json_object *j = NULL;

	memset(st, 0, sizeof(*st));
	if (!bh_loop_id_ok(id))
		return bad_id(st);
	if (lp->host->dry_run(lp->inst)) {
		bh_plg_info(lp->host, lp->inst, "dry run: would %s return %s", verb, id);
		return BH_OK;
	}
	snprintf(path, sizeof(path), "warehouse/return/%s/%s", id, verb);
	int rc = bh_loop_request(lp, "POST", path, "", 0, &j, st);
	if (rc == 0 && !(j && json_object_is_type(j, json_type_boolean) && json_object_get_boolean(j)))
		rc = bh_loop_action_refusal(j, st);
	json_object_put(j);
	rc = settle(lp, id, verb, want_state, rc, st);
	if (rc == 0)
		bh_plg_info(lp->host, lp->inst, "%s return %s: %s", verb, id,
			    strcmp(verb, "process") == 0 ? "queued by Loop" : "done");
	else if (rc == BH_EREJECT)
		bh_plg_warn(lp->host, lp->inst, "%s return %s refused by Loop: %s %s", verb, id,
			    st->code, st->message);
	return rc;
}

static int lp_process(void *ctx, const char *id, struct bh_status *st)
{
	return action(ctx, id, "process", NULL, st);
}

static int lp_cancel(void *ctx, const char *id, struct bh_status *st)
{
	return action(ctx, id, "cancel", "cancelled", st);
}

static int lp_flag(void *ctx, const char *id, struct bh_status *st)
{
	return action(ctx, id, "flag", "review", st);
}

static int lp_close(void *ctx, const char *id, struct bh_status *st)
{
	return action(ctx, id, "close", "closed", st);
}

/* Cut text to at most NOTE_MAX_BYTES bytes at a UTF-8 boundary, "…" replacing the tail.
 * Loop says "less than 255 characters"; counting bytes keeps any text under it. */
static char *note_text(const char *text, bool *cut)
{
	size_t n = strlen(text), keep = NOTE_MAX_BYTES - 3;
	*cut = n > NOTE_MAX_BYTES;
	if (!*cut)
		return strdup(text);
	while (keep > 0 && ((unsigned char)text[keep] & 0xC0) == 0x80)
		keep--; /* do not split a character */
	char *o = malloc(keep + 4);
	if (!o)
		return NULL;
	memcpy(o, text, keep);
	memcpy(o + keep, "\xE2\x80\xA6", 4); /* U+2026 and the NUL */
	return o;
}

/* 1 when a note with this exact content is on the return, 0 when not, or an error. */
static int note_present(struct bh_loop *lp, const char *id, const char *content,
			struct bh_status *st)
{
	char path[96];
	json_object *j = NULL, *notes;

	snprintf(path, sizeof(path), "warehouse/return/%s/notes", id);
	int rc = bh_loop_request(lp, "GET", path, NULL, 0, &j, st);
	if (rc == BH_EREJECT && st->http_status == 422)
		return 0; /* Loop answers 422 `false` when the return has no notes */
	if (rc != 0)
		return rc;
	int found = 0;
	if (j && json_object_object_get_ex(j, "notes", &notes) &&
	    json_object_is_type(notes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(notes) && !found; i++) {
			json_object *c, *n = json_object_array_get_idx(notes, i);
			found = json_object_object_get_ex(n, "content", &c) &&
				json_object_is_type(c, json_type_string) &&
				strcmp(json_object_get_string(c), content) == 0;
		}
	}
	json_object_put(j);
	return found;
}

static int lp_note(void *ctx, const char *id, const char *text, struct bh_status *st)
{
	struct bh_loop *lp = ctx;
	char path[96];
	bool cut;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!bh_loop_id_ok(id))
		return bad_id(st);
	if (!text || !*text) {
		snprintf(st->code, sizeof(st->code), "EMPTY_NOTE");
		snprintf(st->message, sizeof(st->message), "a note needs some text");
		return BH_EREJECT;
	}
	char *content = note_text(text, &cut);
	if (!content)
		return BH_ENOMEM;
	if (cut)
		bh_plg_warn(lp->host, lp->inst, "note on return %s cut to %d bytes (Loop's limit)",
			    id, NOTE_MAX_BYTES);
	if (lp->host->dry_run(lp->inst)) {
		bh_plg_info(lp->host, lp->inst, "dry run: would add a note to return %s", id);
		free(content);
		return BH_OK;
	}
	json_object *b = json_object_new_object();
	json_object_object_add(b, "content", json_object_new_string(content));
	const char *body = json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN);
	snprintf(path, sizeof(path), "warehouse/return/%s/note", id);
	for (int a = 0;; a++) {
		rc = note_present(lp, id, content, st);
		if (rc == 1) {
			snprintf(st->code, sizeof(st->code), "ALREADY_DONE");
			rc = BH_OK;
			break;
		}
		if (rc != 0)
			break;
		json_object *j = NULL;
		/* one attempt: a retry must look for the note first (it may have been written) */
		rc = bh_loop_request(lp, "POST", path, body, BH_LOOP_REQ_NO_RETRY, &j, st);
		if (rc == 0 && !(j && json_object_is_type(j, json_type_boolean) &&
				 json_object_get_boolean(j)))
			rc = bh_loop_action_refusal(j, st);
		json_object_put(j);
		if (rc != BH_ERETRY || a >= lp->retries)
			break;
		int64_t wait = st->retry_after_ms > lp->retry_backoff_ms ? st->retry_after_ms
									  : lp->retry_backoff_ms << a;
		if (wait > lp->max_retry_wait_ms || !bh_loop_sleep(lp, wait))
			break;
	}
	json_object_put(b);
	free(content);
	return rc;
}

static const struct bh_portal_ops portal_ops = {
	.size = sizeof(struct bh_portal_ops),
	.get_return = lp_get_return,
	.process = lp_process,
	.cancel = lp_cancel,
	.flag = lp_flag,
	.close = lp_close,
	.note = lp_note,
	.find_returns = bh_loop_find_returns,
};

const void *bh_loop_portal_ops(void)
{
	return &portal_ops;
}

/* ------------------------------------------------------------- diagnostics --- */

static void check(json_object *arr, const char *name, bool ok, const char *detail)
{
	json_object *c = json_object_new_object();
	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "ok", json_object_new_boolean(ok));
	json_object_object_add(c, "detail", json_object_new_string(detail));
	json_object_array_add(arr, c);
}

static void check_webhooks(struct bh_loop *lp, json_object *arr)
{
	static const char *const needed[] = {"return.created", "return.updated", "return.closed",
					     "return.processing.failed"};
	char d[1400], missing[160] = "";
	struct bh_status st;
	json_object *j = NULL, *hooks;

	snprintf(d, sizeof(d), "webhooks are accepted on %s, signed with webhook_secret%s",
		 lp->webhook_path,
		 lp->webhook_secret_previous ? " or webhook_secret_previous (rotation)" : "");
	check(arr, "webhook", true, d);
	int rc = bh_loop_request(lp, "GET", "webhooks", NULL, BH_LOOP_REQ_NO_RETRY, &j, &st);
	if (rc == BH_EAUTH) {
		snprintf(d, sizeof(d),
			 "cannot list Loop's webhook subscriptions (%d): the key has no Developer "
			 "Tools scope. Not needed when the subscriptions were made in the Loop admin: "
			 "make sure return.created, return.updated, return.closed and "
			 "return.processing.failed are active and point at ...%s", st.http_status,
			 lp->webhook_path);
		check(arr, "permission:webhooks", true, d);
		return;
	}
	if (rc != 0 || !j || !json_object_object_get_ex(j, "webhooks", &hooks) ||
	    !json_object_is_type(hooks, json_type_array)) {
		snprintf(d, sizeof(d), "cannot list Loop's webhook subscriptions: %s %s", st.code,
			 st.message);
		check(arr, "permission:webhooks", true, d);
		json_object_put(j);
		return;
	}
	for (size_t k = 0; k < sizeof(needed) / sizeof(needed[0]); k++) {
		bool found = false;
		for (size_t i = 0; i < json_object_array_length(hooks) && !found; i++) {
			json_object *hk = json_object_array_get_idx(hooks, i), *v;
			const char *trig = json_object_object_get_ex(hk, "trigger", &v) && v
						   ? json_object_get_string(v) : "";
			const char *url = json_object_object_get_ex(hk, "url", &v) && v
						  ? json_object_get_string(v) : "";
			const char *status = json_object_object_get_ex(hk, "status", &v) && v
						     ? json_object_get_string(v) : "";
			size_t ul = strlen(url), pl = strlen(lp->webhook_path);
			found = strcmp(trig, needed[k]) == 0 && strcmp(status, "active") == 0 &&
				ul >= pl && strcmp(url + ul - pl, lp->webhook_path) == 0;
		}
		if (!found)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? ", " : "", needed[k]);
	}
	if (missing[0])
		snprintf(d, sizeof(d),
			 "no active subscription to ...%s for: %s (add them in Loop admin > "
			 "Developer Tools, or POST /webhooks with status \"active\"; without them "
			 "changes arrive only with the next poll)",
			 lp->webhook_path, missing);
	else
		snprintf(d, sizeof(d), "active subscriptions for return.created, return.updated, "
			 "return.closed and return.processing.failed point at ...%s", lp->webhook_path);
	check(arr, "permission:webhooks", true, d);
	json_object_put(j);
}

static int lp_test_connection(void *ctx, char **out, struct bh_status *st)
{
	struct bh_loop *lp = ctx;
	json_object *root = json_object_new_object(), *arr = json_object_new_array(), *j = NULL;
	char path[256], from_q[40], to_q[40], d[1400];
	int64_t now = lp->host->now_ms();

	json_object_object_add(root, "checks", arr);
	bh_loop_time_fmt_query(now - 60000, from_q, sizeof(from_q));
	bh_loop_time_fmt_query(now, to_q, sizeof(to_q));
	/* ':' is safe in a query string; the times hold nothing else to escape */
	snprintf(path, sizeof(path),
		 "warehouse/return/list?filter=updated_at&from=%s&to=%s&paginate=true&pageSize=1",
		 from_q, to_q);
	int rc = bh_loop_request(lp, "GET", path, NULL, BH_LOOP_REQ_NO_RETRY, &j, st);
	json_object_put(j);
	if (st->http_status == 0 && rc != 0) {
		snprintf(d, sizeof(d), "cannot reach %s: %s", lp->api_base, st->message);
		check(arr, "reachable", false, d);
		rc = BH_ERETRY;
		goto done;
	}
	snprintf(d, sizeof(d), "Loop answered HTTP %d at %s", st->http_status, lp->api_base);
	check(arr, "reachable", true, d);
	if (rc == BH_EAUTH) {
		snprintf(d, sizeof(d),
			 "the API key was refused (%d): check api_key (api_key_file / api_key_env); "
			 "a revoked or mistyped key is the usual cause. Loop answers %d also for a "
			 "valid key that lacks a scope, so if the key is right, give it the Returns "
			 "scope", st->http_status, st->http_status);
		check(arr, "authentication", false, d);
		check(arr, "permission:returns", false,
		      "not verified: Loop does not tell a wrong key from a missing Returns scope "
		      "(both 401). The flows need the Returns scope: Detailed Returns List, Get "
		      "Return Details, Process, Cancel, Flag, Close, Notes");
		goto done;
	}
	if (rc == BH_ENOENT) {
		snprintf(d, sizeof(d), "Loop answered 404 for %s/warehouse/return/list: check "
			 "base_url and api_version (\"v1\" or a dated version such as \"2026-07\")",
			 lp->api_base);
		check(arr, "authentication", false, d);
		rc = BH_EREJECT;
		goto done;
	}
	if (rc == BH_ERETRY) {
		snprintf(d, sizeof(d), "not verified: Loop answered %d (%s %s); try again%s",
			 st->http_status, st->code, st->message,
			 st->http_status == 429 ? " in a minute (300 requests per minute per key)" : "");
		check(arr, "authentication", st->http_status == 429, st->http_status == 429
		      ? "the API key was accepted (the request was rate limited)" : d);
		check(arr, "permission:returns", false, d);
		goto done;
	}
	check(arr, "authentication", true, "the API key was accepted");
	if (rc != 0) {
		snprintf(d, sizeof(d), "the Detailed Returns List was refused: %s %s", st->code,
			 st->message);
		check(arr, "permission:returns", false, d);
		goto done;
	}
	check(arr, "permission:returns", true,
	      "the Detailed Returns List answered: the key has the Returns scope (which also "
	      "covers Get Return Details, Process, Cancel, Flag, Close and Notes)");
	if (lp->webhook_path)
		check_webhooks(lp, arr);
done:
	*out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	if (!*out)
		return BH_ENOMEM;
	return rc;
}

static const struct bh_diag_ops diag_ops = {
	.size = sizeof(struct bh_diag_ops),
	.test_connection = lp_test_connection,
};

const void *bh_loop_diag_ops(void)
{
	return &diag_ops;
}
