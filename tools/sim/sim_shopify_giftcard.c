/*
 * sim_shopify_giftcard.c - gift cards (control POST /gift_cards, REST gift_cards.json,
 * GraphQL giftCard): building from JSON, the REST shape, freeing. A card without a code
 * gets 16 random hex characters (OpenSSL); last_characters are its last four.
 *
 * Ownership: a gift card owns its strings. Threading: data lock held (exclusive to
 * create, shared to read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include <backhaul/errors.h>

#include "sim_shopify_model.h"

/* ------------------------------------------------------------------ gift cards */

void bh_shp_giftcard_free(struct bh_shp_giftcard *g)
{
	if (!g)
		return;
	free(g->code);
	free(g->currency);
	free(g->note);
	free(g->expires_on);
	free(g);
}

int bh_shp_giftcard_from_json(struct bh_shp_svc *s, struct json_object *body,
			      struct bh_shp_giftcard **out, char *err, size_t errlen)
{
	struct json_object *in = bh_shp_jget(body, "gift_card");
	struct bh_shp_giftcard *g;
	int rc;
	if (!in)
		in = body;
	if (!in || !json_object_is_type(in, json_type_object)) {
		snprintf(err, errlen, "body must be a gift_card object");
		return BH_EINVAL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	if ((rc = bh_shp_ji64(in, "id", &g->id)) < 0)
		goto bad_id;
	if (rc == 0 || g->id <= 0)
		g->id = bh_shp_next_id(s);
	if (bh_shp_jmoney(in, "initial_value", &g->initial_value) != 1 &&
	    bh_shp_jmoney(in, "amount", &g->initial_value) != 1 && bh_shp_jmoney(in, "value", &g->initial_value) != 1) {
		snprintf(err, errlen, "initial_value is required (an exact amount)");
		bh_shp_giftcard_free(g);
		return BH_EINVAL;
	}
	if (g->initial_value <= 0) {
		snprintf(err, errlen, "initial_value must be positive");
		bh_shp_giftcard_free(g);
		return BH_EINVAL;
	}
	rc = bh_shp_jmoney(in, "balance", &g->balance);
	if (rc != 1)
		g->balance = g->initial_value;
	g->currency = bh_shp_dup_or(in, "currency", s->currency);
	g->note = bh_shp_jdup(in, "note");
	g->expires_on = bh_shp_jdup(in, "expires_on");
	bh_shp_ji64(in, "customer_id", &g->customer_id);
	bh_shp_ji64(in, "order_id", &g->order_id);
	bh_shp_ji64(in, "line_item_id", &g->line_item_id);
	g->code = bh_shp_jdup(in, "code");
	if (!g->code && !bh_shp_jstr(in, "last_characters")) {
		static const char alnum[] = "abcdef0123456789";
		unsigned char rnd[16];
		g->code = malloc(17);
		if (!g->code || RAND_bytes(rnd, sizeof(rnd)) != 1) {
			bh_shp_giftcard_free(g);
			return BH_ENOMEM;
		}
		for (int i = 0; i < 16; i++)
			g->code[i] = alnum[rnd[i] & 15];
		g->code[16] = 0;
	}
	if (g->code) {
		size_t l = strlen(g->code);
		snprintf(g->last_characters, sizeof(g->last_characters), "%s",
			 g->code + (l > 4 ? l - 4 : 0));
	} else {
		snprintf(g->last_characters, sizeof(g->last_characters), "%s",
			 bh_shp_jstr(in, "last_characters"));
	}
	{
		struct perr e = {err, errlen};
		if (bh_shp_parse_time_member(in, "created_at", &g->created, &e) ||
		    bh_shp_parse_time_member(in, "updated_at", &g->updated, &e) ||
		    bh_shp_parse_time_member(in, "disabled_at", &g->disabled, &e)) {
			bh_shp_giftcard_free(g);
			return BH_EINVAL;
		}
	}
	if (!g->created.set)
		bh_shp_now_time(s, &g->created);
	if (!g->updated.set)
		g->updated = g->created;
	*out = g;
	return 0;
bad_id:
	snprintf(err, errlen, "id: not an integer");
	bh_shp_giftcard_free(g);
	return BH_EINVAL;
}

struct json_object *bh_shp_giftcard_rest(const struct bh_shp_giftcard *g, bool with_code)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(g->id));
	json_object_object_add(o, "balance", bh_shp_jmoney_str(g->balance));
	bh_shp_add_time(o, "created_at", &g->created);
	bh_shp_add_time(o, "updated_at", &g->updated);
	json_object_object_add(o, "currency", bh_shp_jstr_or_null(g->currency));
	json_object_object_add(o, "initial_value", bh_shp_jmoney_str(g->initial_value));
	bh_shp_add_time(o, "disabled_at", &g->disabled);
	json_object_object_add(o, "line_item_id",
			       g->line_item_id ? json_object_new_int64(g->line_item_id) : NULL);
	json_object_object_add(o, "api_client_id", NULL);
	json_object_object_add(o, "user_id", NULL);
	json_object_object_add(o, "customer_id",
			       g->customer_id ? json_object_new_int64(g->customer_id) : NULL);
	json_object_object_add(o, "note", bh_shp_jstr_or_null(g->note));
	json_object_object_add(o, "expires_on", bh_shp_jstr_or_null(g->expires_on));
	json_object_object_add(o, "template_suffix", NULL);
	json_object_object_add(o, "last_characters", json_object_new_string(g->last_characters));
	json_object_object_add(o, "order_id", g->order_id ? json_object_new_int64(g->order_id) : NULL);
	json_object_object_add(o, "admin_graphql_api_id", bh_shp_gid_json("GiftCard", g->id));
	if (with_code && g->code)
		json_object_object_add(o, "code", json_object_new_string(g->code));
	return o;
}
