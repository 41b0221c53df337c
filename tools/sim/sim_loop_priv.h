/*
 * sim_loop_priv.h - internals of the Loop Returns simulator (sim_loop*.c only).
 *
 * Purpose: the state of one simulated Loop shop (returns, per-order unit bookkeeping,
 * webhook subscriptions, API keys and their rate windows, the processing queue) and the
 * helpers the sim_loop*.c files share. Nothing here is used outside tools/sim/sim_loop*.c;
 * the only exported service symbol is bh_sim_service_loop (sim_loop.c).
 *
 * Ownership: struct bh_loop owns everything reachable from it. Strings are malloc'd and
 * freed with their owner. Rendered JSON caches (bh_loop_return.cache) belong to the
 * return and are dropped (bh_loop_touch) on every change.
 *
 * Threading: every field of struct bh_loop (and everything it owns, settings included)
 * is guarded by bh_loop.lock, except the worker fields (guarded by worker_lock). Calls
 * into other services (bh_sim_control_call) and
 * webhook sends (bh_sim_webhook_send) are made with no lock held: outbound deliveries are
 * collected in a struct bh_loop_outbox under the lock and flushed after unlocking.
 */
#ifndef BH_SIM_LOOP_PRIV_H
#define BH_SIM_LOOP_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim.h"

struct json_object;

/* Return states. "review" is the spelling of the list filter and of the processing
 * webhook's return_state; the admin calls it "needs review". */
enum bh_loop_state {
	BH_LOOP_OPEN = 0,
	BH_LOOP_CLOSED,
	BH_LOOP_CANCELLED,
	BH_LOOP_EXPIRED,
	BH_LOOP_REVIEW,
	BH_LOOP_N_STATES
};

enum bh_loop_outcome {
	BH_LOOP_OUT_REFUND = 0,       /* back to the original payment methods */
	BH_LOOP_OUT_CREDIT,           /* store credit (+ optional bonus) */
	BH_LOOP_OUT_EXCHANGE,         /* new exchange order in Shopify */
	BH_LOOP_OUT_GIFT_CARD,        /* refund issued as a new gift card */
};

/* How store credit is delivered (setting "credit_method"). */
enum bh_loop_credit_method {
	BH_LOOP_CREDIT_GIFT_CARD = 0, /* a Shopify gift card; value in "gift_card" */
	BH_LOOP_CREDIT_STORE_CREDIT,  /* Shopify store credit; refunds[] gateway shopify_store_credit */
};

/** One returned unit (Loop has no quantity field: one entry per unit). */
struct bh_loop_line {
	int64_t id;                   /* Loop line_item_id */
	int64_t provider_line_item_id;
	int64_t product_id;           /* 0 when the order had none */
	int64_t variant_id;
	char *sku;
	char *title;
	char *barcode;
	int64_t price;                /* cents, per unit */
	int64_t discount;             /* cents, this unit's share of the line's allocations */
	int64_t tax;                  /* cents, this unit's share of the line's tax */
	int slot;                     /* which unit of the Shopify line this is (0-based) */
	char *reason;
	char *parent_reason;          /* NULL -> JSON null */
	char *comment;
	char *exchange_variant;       /* "" when none */
	bool exchange;                /* this unit is swapped for an exchange item */
	bool removed;                 /* removed through /remove */
	int64_t returned_ms;
};

/** One exchange item (the new variant the shopper gets). */
struct bh_loop_exchange {
	int64_t id;                   /* exchange_id */
	char *sku;
	char *title;
	int64_t product_id;
	int64_t variant_id;
	int64_t price;
	int64_t discount;
	int64_t tax;
};

/** A money amount per payment gateway (original tenders, refunds). */
struct bh_loop_gw {
	char *gateway;
	int64_t amount;
};

struct bh_loop_note {
	int64_t id;
	char *content;
	int64_t created_ms;
};

/** Per Shopify line item: units bought and which of them are in a live return. */
struct bh_loop_oline {
	int64_t id;                   /* Shopify line item id */
	int quantity;
	unsigned char *used;          /* quantity flags: 1 = unit taken by a return */
};

/** What the simulator knows about one Shopify order (the Loop "order"). */
struct bh_loop_order {
	int64_t provider_id;          /* Shopify order id (exact) */
	int64_t loop_id;              /* Loop's own order id */
	char *name;                   /* "#1001" */
	struct bh_loop_oline *lines;
	size_t n_lines;
	struct bh_loop_gw *refunded;  /* cumulative refunds per gateway over all returns */
	size_t n_refunded;
	int n_exchange_orders;        /* for naming EXC1004, EXC1004-2, ... */
	int64_t *returns;             /* return ids on this order, oldest first */
	size_t n_returns;
};

struct bh_loop_return {
	int64_t id;
	enum bh_loop_state state;
	enum bh_loop_outcome outcome;
	bool leftover_credit;         /* exchange: remaining value as credit, not refund */
	int64_t created_ms;
	int64_t updated_ms;
	int64_t edited_ms;            /* 0 -> null */
	struct bh_loop_order *order;  /* owned by bh_loop.orders */
	char *order_name;
	int64_t order_number;         /* Shopify "number" (name - 1000) */
	int64_t provider_order_number;/* Shopify "order_number" */
	char *currency;
	char *email;
	char *first_name;
	char *last_name;
	int64_t customer_id;
	struct {
		char *name, *company, *address1, *address2, *city, *state, *zip,
			*country, *country_code, *phone;
	} addr;
	bool is_gift;
	char *tax_title;              /* from the first returned line (exchange tax lines) */
	char *tax_rate;               /* decimal text, e.g. "0.08" ("" when untaxed) */
	int64_t tax_rate_ppm;
	int64_t handling_fee;
	int64_t bonus;
	struct bh_loop_line *lines;
	size_t n_lines;
	struct bh_loop_exchange *exchanges;
	size_t n_exchanges;
	struct bh_loop_gw *tenders;   /* original order tenders (snapshot at creation) */
	size_t n_tenders;
	struct bh_loop_gw *refunds;   /* refunds[] once processed */
	size_t n_refunds;
	struct bh_loop_gw *forced_refunds; /* control-given split, applied at processing */
	size_t n_forced_refunds;
	int64_t exchange_order_id;    /* 0 -> null */
	char *exchange_order_name;
	int64_t gift_card_id;         /* Shopify gift card id, 0 -> null */
	char *carrier;
	char *tracking_number;
	char *label_status;
	char *label_url;              /* NULL -> null */
	int64_t label_updated_ms;
	struct bh_loop_note *notes;
	size_t n_notes;
	/* outcomes{} timestamps (0 -> null) */
	int64_t processed_ms, refund_processed_ms, gift_card_processed_ms, exchange_processed_ms;
	bool queued;                  /* in the processing queue or being processed */
	int fail_next;                /* configured processing failures still to produce */
	char *fail_message;
	char *process_details;        /* JSON text of the last process body (object) or NULL */
	char *cache;                  /* rendered JSON object, NULL when stale */
	size_t cache_len;
};

/* A webhook subscription (Programmatic Webhooks API or the control port). */
struct bh_loop_hook {
	int64_t id;
	char *topic;
	char *trigger;
	char *url;
	bool active;
};

/* One API key and its sliding 60-second window of request times. */
struct bh_loop_key {
	char *key;
	int64_t *ring;                /* capacity = rate limit */
	size_t cap, head, count;
};

/* A delivery the simulator sent (kept for inspection through the control port). */
struct bh_loop_delivery {
	int64_t seq;
	char *trigger;
	char *url;
	char *body;
	char *signature;
	int64_t return_id;
};

/* A processing job. */
struct bh_loop_job {
	int64_t return_id;
	int64_t due_ms;               /* monotonic */
	char source[16];
};

/* Generic int64 -> pointer open-addressing map (no deletion needed). */
struct bh_loop_map {
	int64_t *keys;
	void **vals;
	size_t cap, n;
};

struct bh_loop_settings {
	int rate_limit;               /* requests per minute per key; 0 = unlimited */
	int process_delay_ms;
	char *exchange_prefix;
	bool credit_gift_card;        /* create a Shopify gift card for credit outcomes */
	enum bh_loop_credit_method credit_method;
	char *exchange_credit_gateway;
	char *upsell_gateway;
	bool allow_flagged_processing;
	int action_error_status;      /* HTTP status of action refusals (Loop: 200) */
	int64_t shop_id;
	bool webhook_dup;             /* deliver every webhook twice */
	bool label_at_create;
	bool shopify_refund;          /* issue the refund in Shopify at processing */
	char *webhook_secret;
};

struct bh_loop {
	pthread_mutex_t lock;
	struct bh_loop_settings set;
	struct bh_loop_key *keys;
	size_t n_keys;
	struct bh_loop_return **returns;  /* index = id - first_return_id */
	size_t n_returns, cap_returns;
	int64_t first_return_id;
	int64_t next_line_id, next_loop_order_id, next_exchange_id, next_note_id, next_hook_id;
	int64_t tracking_seq;
	struct bh_loop_map orders;        /* provider order id -> struct bh_loop_order* */
	struct bh_loop_map names;         /* fnv64(order name without '#') -> struct bh_loop_order* */
	struct bh_loop_hook *hooks;
	size_t n_hooks;
	struct bh_loop_delivery *deliv;   /* ring */
	size_t deliv_cap, deliv_head, deliv_count;
	int64_t deliv_seq;
	/* processing worker */
	pthread_mutex_t worker_lock;
	pthread_cond_t worker_cond;
	pthread_t worker;
	bool worker_running, worker_stop;
	struct bh_loop_job *jobs;
	size_t n_jobs, cap_jobs;
	int jobs_active;                  /* popped, still being processed */
};

/* Outbound deliveries gathered under the lock, sent after unlocking. */
struct bh_loop_outbox {
	struct {
		char *url;
		char *body;
		size_t len;
		char *sig;
	} *items;
	size_t n, cap;
	bool dup;
};

/* --- util (sim_loop_util.c) --- */
int bh_loop_money_parse(const char *s, int64_t *cents);
void bh_loop_money_fmt(int64_t cents, char *buf, size_t len);
int bh_loop_json_money(struct json_object *o, int64_t *cents);
int bh_loop_json_int64(struct json_object *o, int64_t *v);
int bh_loop_rate_ppm(const char *s, int64_t *ppm);
int64_t bh_loop_now_ms(void);
int64_t bh_loop_mono_ms(void);
int bh_loop_time_parse(const char *s, int64_t *ms);
void bh_loop_fmt_iso(int64_t ms, char *buf, size_t len);
void bh_loop_fmt_plain(int64_t ms, char *buf, size_t len);
char *bh_loop_strdup(const char *s);
uint64_t bh_loop_fnv64(const char *s);
char *bh_loop_json_text(struct json_object *o, size_t *len);
void bh_loop_reply(struct bh_sim_resp *resp, int status, struct json_object *o);
void bh_loop_reply_raw(struct bh_sim_resp *resp, int status, const char *json, size_t len);
void bh_loop_reply_error(struct bh_sim_resp *resp, int status, const char *code,
			 const char *message);
void bh_loop_reply_validation(struct bh_sim_resp *resp, const char *field,
			      const char *message);
char *bh_loop_b64url(const void *data, size_t len);
unsigned char *bh_loop_b64url_decode(const char *s, size_t *len);
char *bh_loop_urlencode(const char *s);
int bh_loop_map_put(struct bh_loop_map *m, int64_t key, void *val);
void *bh_loop_map_get(const struct bh_loop_map *m, int64_t key);
void bh_loop_map_free(struct bh_loop_map *m);

/* --- store (sim_loop_store.c) --- */
const char *bh_loop_state_name(enum bh_loop_state s);
int bh_loop_state_parse(const char *s, enum bh_loop_state *out);
const char *bh_loop_outcome_name(enum bh_loop_outcome o);
struct bh_loop_return *bh_loop_find(struct bh_loop *s, int64_t id);
struct bh_loop_order *bh_loop_order_get(struct bh_loop *s, int64_t provider_id);
struct bh_loop_order *bh_loop_order_by_name(struct bh_loop *s, const char *name);
void bh_loop_touch(struct bh_loop_return *r, int64_t now_ms);
void bh_loop_release_units(struct bh_loop_return *r);
int bh_loop_add_return(struct bh_loop *s, struct bh_loop_return *r);
void bh_loop_return_free(struct bh_loop_return *r);
void bh_loop_order_free(struct bh_loop_order *o);
const char *bh_loop_render(struct bh_loop *s, struct bh_loop_return *r, size_t *len);
struct json_object *bh_loop_render_obj(struct bh_loop *s, struct bh_loop_return *r);

struct bh_loop_amounts {
	int64_t product, discount, tax, total;
	int64_t credit;
	int64_t ex_product, ex_discount, ex_tax, ex_total, ex_credit;
	int64_t gift_card, fee, refund, upsell;
};
void bh_loop_amounts(const struct bh_loop_return *r, struct bh_loop_amounts *a);
void bh_loop_refunds_clear(struct bh_loop_return *r);
int bh_loop_allocate_refunds(struct bh_loop_return *r, enum bh_loop_credit_method method);

/* --- webhooks (sim_loop_hooks.c) --- */
void bh_loop_emit(struct bh_loop *s, struct bh_loop_outbox *ob, struct bh_loop_return *r,
		  const char *trigger);
void bh_loop_emit_processing_failed(struct bh_loop *s, struct bh_loop_outbox *ob,
				    struct bh_loop_return *r, const char *message,
				    const char *source);
void bh_loop_outbox_flush(struct bh_loop_outbox *ob);
struct json_object *bh_loop_hook_obj(const struct bh_loop *s, const struct bh_loop_hook *h);
bool bh_loop_topic_valid(const char *t);
bool bh_loop_trigger_valid(const char *t);
void bh_loop_deliveries_clear(struct bh_loop *s);

/* --- actions shared by the API and the control port (sim_loop_actions.c) --- */
enum bh_loop_act { BH_LOOP_ACT_PROCESS, BH_LOOP_ACT_CANCEL, BH_LOOP_ACT_FLAG, BH_LOOP_ACT_CLOSE };
void bh_loop_action(struct bh_loop *s, int64_t id, enum bh_loop_act act, const char *source,
		    const char *body, struct bh_sim_resp *resp);
void bh_loop_worker_start(struct bh_loop *s);
void bh_loop_worker_stop(struct bh_loop *s);
void bh_loop_enqueue(struct bh_loop *s, int64_t return_id, const char *source);
void bh_loop_process_now(struct bh_loop *s, int64_t return_id, const char *source);
bool bh_loop_worker_idle(struct bh_loop *s);

/* --- public API (sim_loop_api.c) and control port (sim_loop_ctl.c) --- */
void bh_loop_api_handle(struct bh_loop *s, const struct bh_sim_req *req,
			struct bh_sim_resp *resp);
void bh_loop_ctl_handle(struct bh_loop *s, const struct bh_sim_req *req,
			struct bh_sim_resp *resp);
int bh_loop_apply_settings(struct bh_loop *s, struct json_object *o, char *err, size_t errlen);
int bh_loop_set_keys(struct bh_loop *s, struct json_object *o, char *err, size_t errlen);
void bh_loop_reset(struct bh_loop *s);
int bh_loop_hook_add_ctl(struct bh_loop *s, const char *topic, const char *trigger,
			 const char *url, bool active, int64_t *id);
int bh_loop_create_return(struct bh_loop *s, struct json_object *body,
			  struct bh_sim_resp *resp);

/* the service descriptor (sim_loop.c) */
extern const struct bh_sim_service bh_sim_service_loop;

#endif
