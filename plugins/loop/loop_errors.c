/*
 * loop_errors.c - classification of Loop's answers (see loop_errors.h).
 *
 * Ownership: bodies are borrowed. Threading: pure functions.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <backhaul/errors.h>

#include "loop_errors.h"

static const char *str_member(json_object *o, const char *k)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &v) ||
	    !v)
		return NULL;
	if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int))
		return json_object_get_string(v);
	return NULL;
}

static int numeric(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* the first message of a Laravel validation map {"field":["msg", ...]} */
static const char *first_validation_msg(json_object *errors)
{
	if (!errors || !json_object_is_type(errors, json_type_object))
		return NULL;
	json_object_object_foreach(errors, k, v) {
		(void)k;
		if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
			json_object *m = json_object_array_get_idx(v, 0);
			if (json_object_is_type(m, json_type_string))
				return json_object_get_string(m);
		}
		if (json_object_is_type(v, json_type_string))
			return json_object_get_string(v);
	}
	return NULL;
}

void bh_loop_error_text(json_object *body, char *code, size_t clen, char *msg, size_t mlen)
{
	const char *c = NULL, *m = NULL;
	json_object *e;

	if (clen)
		code[0] = '\0';
	if (mlen)
		msg[0] = '\0';
	if (!body)
		return;
	if (json_object_is_type(body, json_type_string)) {
		m = json_object_get_string(body);
	} else if (json_object_is_type(body, json_type_object)) {
		if (json_object_object_get_ex(body, "errors", &e) && e) {
			if (json_object_is_type(e, json_type_object)) {
				c = str_member(e, "code");
				m = str_member(e, "message");
				if (!m)
					m = first_validation_msg(e);
			} else if (json_object_is_type(e, json_type_string)) {
				m = json_object_get_string(e);
			} else if (json_object_is_type(e, json_type_array) &&
				   json_object_array_length(e) > 0) {
				json_object *f = json_object_array_get_idx(e, 0);
				m = json_object_is_type(f, json_type_string) ? json_object_get_string(f)
									     : str_member(f, "message");
			}
		}
		if (json_object_object_get_ex(body, "error", &e) && e &&
		    json_object_is_type(e, json_type_object)) {
			/* the 401 body has the roles of code and http_code swapped */
			const char *a = str_member(e, "code"), *b = str_member(e, "http_code");
			if (!c)
				c = (a && !numeric(a)) ? a : (b && !numeric(b)) ? b : a;
			if (!m)
				m = str_member(e, "message");
		}
		if (!m)
			m = str_member(body, "message");
		if (!m)
			m = str_member(body, "content");
	}
	if (c && clen)
		snprintf(code, clen, "%s", c);
	if (m && mlen)
		snprintf(msg, mlen, "%s", m);
}

static int class_of_code(const char *code, int dflt)
{
	if (strcmp(code, "UNEXPECTED_ERROR") == 0)
		return BH_ERETRY;
	if (strcmp(code, "NOT_AUTHORIZED") == 0 || strcmp(code, "GEN-UNAUTHORIZED") == 0)
		return BH_EAUTH;
	if (strcmp(code, "NOT_FOUND") == 0 || strcmp(code, "ORDER_NOT_FOUND") == 0)
		return BH_ENOENT;
	return dflt;
}

int bh_loop_classify(long status, json_object *body, const char *transport_msg,
		     struct bh_status *st)
{
	char code[64], msg[256];
	json_object *e;

	st->http_status = (int)status;
	if (status == 0) {
		snprintf(st->code, sizeof(st->code), "TRANSPORT");
		snprintf(st->message, sizeof(st->message), "Loop did not answer: %s",
			 transport_msg && *transport_msg ? transport_msg : "transport error");
		return BH_ERETRY;
	}
	bh_loop_error_text(body, code, sizeof(code), msg, sizeof(msg));
	if (status >= 200 && status < 300) {
		/* errors inside a 2xx body: Loop's spec models refusals on HTTP 200 */
		if (!body || !json_object_is_type(body, json_type_object) ||
		    !json_object_object_get_ex(body, "errors", &e) || !e)
			return BH_OK;
		snprintf(st->code, sizeof(st->code), "%s", code[0] ? code : "REFUSED");
		snprintf(st->message, sizeof(st->message), "%s",
			 msg[0] ? msg : "Loop answered with an error body");
		return class_of_code(st->code, BH_EREJECT);
	}
	if (code[0])
		snprintf(st->code, sizeof(st->code), "%s", code);
	else
		snprintf(st->code, sizeof(st->code), "HTTP_%ld", status);
	if (status == 401 || status == 403) {
		snprintf(st->message, sizeof(st->message),
			 "the API key was refused (%ld): a wrong or revoked key, or a valid key "
			 "without the scope this call needs (Loop answers %ld for a missing scope "
			 "too)%s%s",
			 status, status, msg[0] ? "; Loop said: " : "", msg);
		return BH_EAUTH;
	}
	snprintf(st->message, sizeof(st->message), "%s", msg[0] ? msg : "HTTP error");
	if (status == 429) {
		snprintf(st->code, sizeof(st->code), "RATE_LIMITED");
		return BH_ERETRY;
	}
	if (status >= 500)
		return BH_ERETRY;
	if (status == 404)
		return BH_ENOENT;
	return class_of_code(st->code, BH_EREJECT);
}

int bh_loop_action_refusal(json_object *body, struct bh_status *st)
{
	char code[64], msg[256];
	bh_loop_error_text(body, code, sizeof(code), msg, sizeof(msg));
	snprintf(st->code, sizeof(st->code), "%s", code[0] ? code : "REFUSED");
	snprintf(st->message, sizeof(st->message), "%s",
		 msg[0] ? msg : (body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN)
				      : "Loop did not confirm the action"));
	return class_of_code(st->code, BH_EREJECT);
}
