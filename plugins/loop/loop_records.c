/*
 * loop_records.c - records derived from one Loop return (see loop_records.h).
 *
 * Ownership: the Loop object is borrowed; bodies belong to the record set.
 * Threading: no shared state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/errors.h>

#include "loop_records.h"

enum kind { K_CREATED, K_UPDATED, K_CLOSED, K_CANCELLED, K_FAILED };

static const char *const topics[] = {
	"portal.return.created", "portal.return.updated", "portal.return.closed",
	"portal.return.cancelled", "portal.return.processing_failed",
};
static const char *const triggers[] = {
	"return.created", "return.updated", "return.closed", "return.updated",
	"return.processing.failed",
};

static int add(struct bh_loop_recs *rs, enum kind k, json_object *body,
	       const struct bh_loop_info *info)
{
	char key[128];
	switch (k) {
	case K_CREATED:
		snprintf(key, sizeof(key), "return:%s:created", info->id);
		break;
	case K_UPDATED:
		snprintf(key, sizeof(key), "return:%s:%s:%s", info->id, info->state, info->updated_at);
		break;
	case K_CLOSED:
		snprintf(key, sizeof(key), "return:%s:closed", info->id);
		break;
	case K_CANCELLED:
		snprintf(key, sizeof(key), "return:%s:cancelled", info->id);
		break;
	case K_FAILED:
		snprintf(key, sizeof(key), "return:%s:failed:%s", info->id, info->updated_at);
		break;
	}
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->key[i], key) == 0)
			return BH_OK;
	if (rs->n >= BH_LOOP_MAX_RECS)
		return BH_EINVAL;
	json_object_object_add(body, "trigger", json_object_new_string(triggers[k]));
	char *text = strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	if (!text)
		return BH_ENOMEM;
	size_t i = rs->n++;
	snprintf(rs->key[i], sizeof(rs->key[i]), "%s", key);
	rs->body[i] = text;
	rs->e[i] = (struct bh_emit){
		.topic = topics[k],
		.key = rs->key[i],
		.body = text,
		.time_ms = k == K_CREATED && info->created_ms ? info->created_ms : info->updated_ms,
	};
	return BH_OK;
}

static int from_state(struct bh_loop_recs *rs, json_object *body, const struct bh_loop_info *info)
{
	if (strcmp(info->state, "closed") == 0)
		return add(rs, K_CLOSED, body, info);
	if (strcmp(info->state, "cancelled") == 0)
		return add(rs, K_CANCELLED, body, info);
	return BH_OK;
}

int bh_loop_records(json_object *lr, const char *trigger, struct bh_loop_recs *rs,
		    struct bh_loop_info *info, char *err, size_t errlen)
{
	struct bh_loop_info local;
	json_object *body = NULL;
	if (!info)
		info = &local;
	int rc = bh_loop_map_return(lr, NULL, false, NULL, info, &body, err, errlen);
	if (rc != 0)
		return rc;
	if (!trigger) {
		rc = add(rs, K_CREATED, body, info);
		if (rc == 0 && info->updated_ms > info->created_ms)
			rc = add(rs, K_UPDATED, body, info);
	} else if (strcmp(trigger, "return.created") == 0) {
		rc = add(rs, K_CREATED, body, info);
	} else if (strcmp(trigger, "return.closed") == 0) {
		rc = add(rs, K_CLOSED, body, info);
	} else {
		rc = add(rs, K_UPDATED, body, info);
	}
	if (rc == 0)
		rc = from_state(rs, body, info);
	json_object_put(body);
	if (rc == BH_EINVAL)
		snprintf(err, errlen, "too many records for one return");
	return rc;
}

int bh_loop_record_failed(json_object *lr, const char *message, struct bh_loop_recs *rs,
			  struct bh_loop_info *info, char *err, size_t errlen)
{
	struct bh_loop_info local;
	json_object *body = NULL;
	if (!info)
		info = &local;
	int rc = bh_loop_map_return(lr, NULL, true, message, info, &body, err, errlen);
	if (rc != 0)
		return rc;
	rc = add(rs, K_FAILED, body, info);
	json_object_put(body);
	return rc;
}

void bh_loop_recs_free(struct bh_loop_recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->body[i]);
	rs->n = 0;
}
