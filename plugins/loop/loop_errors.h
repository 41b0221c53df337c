/*
 * loop_errors.h - how the `loop` plugin reads Loop's answers: success, or which BH_E*
 * code with Loop's own code and message.
 *
 * Loop's error bodies come in several shapes, sometimes with HTTP 200 (Loop's spec
 * models action refusals on 200, so the body decides, not only the status):
 *   {"errors":{"message":"...","code":"UNPROCESSABLE_RETURN"}}     documented shape
 *   {"error":{"code":"401","http_code":"GEN-UNAUTHORIZED","message":"Unauthorized."}}
 *   {"message":"...","errors":{"to":["..."]}}                      validation (422)
 *   {"message":"..."} / {"content":"..."}                          plain refusals
 * Classification:
 *   transport error, timeout, 429, 5xx, code UNEXPECTED_ERROR     -> BH_ERETRY
 *   401, 403, code NOT_AUTHORIZED                                 -> BH_EAUTH
 *   404, code NOT_FOUND / ORDER_NOT_FOUND                         -> BH_ENOENT
 *   any other error (4xx, an "errors" member in a 2xx body)       -> BH_EREJECT
 * When Loop gives no code, the code is "HTTP_<status>" (or "REFUSED" on a 2xx).
 * Pure functions; thread-safe.
 */
#ifndef BH_LOOP_ERRORS_H
#define BH_LOOP_ERRORS_H

#include <stddef.h>

#include <json-c/json.h>

#include <backhaul/capability.h>

/** Loop's code and message from an error body (empty strings when absent). */
void bh_loop_error_text(json_object *body, char *code, size_t clen, char *msg, size_t mlen);
/**
 * Classify one answer: status is the HTTP status (0 = transport error, with
 * transport_msg), body the parsed JSON (NULL when empty or not JSON). Returns 0 when
 * nothing is wrong, else the BH_E* code, with st->code / st->message / st->http_status
 * filled (retry_after_ms is the caller's business).
 */
int bh_loop_classify(long status, json_object *body, const char *transport_msg,
		     struct bh_status *st);
/** A refusal in an action's answer (anything but `true`): BH_EREJECT, or the class of
 *  an "errors" code; st filled. */
int bh_loop_action_refusal(json_object *body, struct bh_status *st);

#endif
