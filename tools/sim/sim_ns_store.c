/*
 * sim_ns_store.c - the NetSuite simulator's account: records, indexes, credentials,
 * nonces, concurrency slots, derived statuses, and the write rules (add / update /
 * upsert / initialize and the operator actions). Posting is in sim_ns_gl.c.
 *
 * Ownership: NetSuite service helper. See sim_ns_store.h for the API contract.
 * Threading: one mutex (ns->mu) guards everything except the concurrency counters,
 * which are C11 atomics. Functions here assume the caller holds the lock unless the
 * header says otherwise.
 *
 * Write rule, in short: a candidate record (a new draft, or a merged copy for updates)
 * is completed and validated against the current state without side effects
 * (prepare()), then its effects on its createdFrom source are applied (quantities
 * received / billed / applied), its GL is posted, and it is committed. An update first
 * withdraws the old version's effects and restores them if the new version fails.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <backhaul/errors.h>

#include "sim_ns_store.h"
#include "sim_ns_util.h"

#define ID_BASE 100
#define NONCE_TTL_MS (10 * 60 * 1000)

struct bh_sim_ns {
	pthread_mutex_t mu;
	char *account, *version, *sku_field, *flag_field, *shopify_field;
	bool ra_requires_approval;
	atomic_int conc_in_use;
	atomic_int conc_limit;
	atomic_int conc_held;
	int64_t clock_offset_ms;

	struct bh_sim_ns_rec **recs; /* recs[i]->id == ID_BASE + i */
	size_t n_recs, cap_recs;
	int64_t *items;              /* item ids, creation order */
	size_t n_items, cap_items;
	struct bh_sim_ns_map eid;    /* "<group>:<lower eid>" -> id */
	struct bh_sim_ns_map nonces; /* "<ck>\x1f<token>\x1f<nonce>" -> first use ms */
	int64_t nonce_prune_at;
	int64_t tranid_seq[BH_SIM_NS_T_COUNT];

	struct bh_sim_ns_account *accts;
	size_t n_accts, cap_accts;
	struct bh_sim_ns_cred *creds;
	size_t n_creds, cap_creds;
	void *soap_slot;
};

/* ------------------------------------------------------------------ small helpers */

static void set_err(struct bh_sim_ns_err *err, const char *code, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_err(struct bh_sim_ns_err *err, const char *code, const char *field,
		    const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

static bool is_set(int64_t v)
{
	return v != BH_SIM_NS_UNSET;
}

static int64_t or0(int64_t v)
{
	return v == BH_SIM_NS_UNSET ? 0 : v;
}

static bool ref_set(int64_t v)
{
	return v != BH_SIM_NS_UNSET && v != 0;
}

int bh_sim_ns_str_set(char **field, const char *value)
{
	char *c = NULL;
	if (value && !(c = strdup(value)))
		return BH_ENOMEM;
	free(*field);
	*field = c;
	return BH_OK;
}

static void cf_free(struct bh_sim_ns_cf *cf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cf[i].script_id);
		free(cf[i].value);
	}
	free(cf);
}

int bh_sim_ns_cf_set(struct bh_sim_ns_cf **cf, size_t *n, const char *script_id,
		     enum bh_sim_ns_cf_type type, const char *value)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcasecmp((*cf)[i].script_id, script_id) == 0) {
			if (bh_sim_ns_str_set(&(*cf)[i].value, value) != BH_OK)
				return BH_ENOMEM;
			(*cf)[i].type = type;
			return BH_OK;
		}
	}
	struct bh_sim_ns_cf *g = realloc(*cf, (*n + 1) * sizeof(**cf));
	if (!g)
		return BH_ENOMEM;
	*cf = g;
	struct bh_sim_ns_cf *e = &g[*n];
	memset(e, 0, sizeof(*e));
	e->type = type;
	if (!(e->script_id = strdup(script_id)) || (value && !(e->value = strdup(value)))) {
		free(e->script_id);
		return BH_ENOMEM;
	}
	(*n)++;
	return BH_OK;
}

const struct bh_sim_ns_cf *bh_sim_ns_cf_get(const struct bh_sim_ns_cf *cf, size_t n,
					     const char *script_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(cf[i].script_id, script_id) == 0)
			return &cf[i];
	return NULL;
}

static void line_init(struct bh_sim_ns_line *l)
{
	memset(l, 0, sizeof(*l));
	l->line = l->item = l->order_line = l->quantity = BH_SIM_NS_UNSET;
	l->rate = l->amount = l->tax = l->tax_code = l->location = BH_SIM_NS_UNSET;
	l->is_taxable = l->is_closed = l->item_receive = l->restock = -1;
}

static void line_clear(struct bh_sim_ns_line *l)
{
	free(l->description);
	cf_free(l->cf, l->n_cf);
}

struct bh_sim_ns_rec *bh_sim_ns_rec_new(enum bh_sim_ns_type type)
{
	struct bh_sim_ns_rec *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->type = type;
	r->is_person = r->is_inactive = r->cancelled = r->lines_replace_all = -1;
	r->cost = r->price = r->tax_rate_ppm = r->income_account = BH_SIM_NS_UNSET;
	r->entity = r->created_from = r->tran_date_ms = r->location = BH_SIM_NS_UNSET;
	r->shipping_cost = r->ship_method = r->discount_item = r->discount_total =
		BH_SIM_NS_UNSET;
	r->tax_item = r->account = BH_SIM_NS_UNSET;
	return r;
}

void bh_sim_ns_rec_free(struct bh_sim_ns_rec *r)
{
	if (!r)
		return;
	free(r->external_id);
	free(r->entity_id);
	free(r->first_name);
	free(r->last_name);
	free(r->company_name);
	free(r->email);
	free(r->phone);
	free(r->item_id);
	free(r->display_name);
	free(r->tran_id);
	free(r->memo);
	free(r->other_ref_num);
	free(r->currency);
	free(r->order_status);
	free(r->discount_rate);
	free(r->payment_method);
	for (size_t i = 0; i < r->n_lines; i++)
		line_clear(&r->lines[i]);
	free(r->lines);
	free(r->apply);
	cf_free(r->cf, r->n_cf);
	free(r->children);
	free(r->gl);
	for (size_t i = 0; i < r->n_null_fields; i++)
		free(r->null_fields[i]);
	free(r->null_fields);
	free(r);
}

struct bh_sim_ns_line *bh_sim_ns_rec_add_line(struct bh_sim_ns_rec *r)
{
	struct bh_sim_ns_line *g = realloc(r->lines, (r->n_lines + 1) * sizeof(*g));
	if (!g)
		return NULL;
	r->lines = g;
	line_init(&g[r->n_lines]);
	return &g[r->n_lines++];
}

int bh_sim_ns_rec_null_field(struct bh_sim_ns_rec *r, const char *name)
{
	char **g = realloc(r->null_fields, (r->n_null_fields + 1) * sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	r->null_fields = g;
	if (!(g[r->n_null_fields] = strdup(name)))
		return BH_ENOMEM;
	r->n_null_fields++;
	return BH_OK;
}

struct bh_sim_ns_line *bh_sim_ns_line_get(const struct bh_sim_ns_rec *r, int64_t line)
{
	for (size_t i = 0; i < r->n_lines; i++)
		if (r->lines[i].line == line)
			return &r->lines[i];
	return NULL;
}

static char *dup_or_null(const char *s, bool *fail)
{
	if (!s)
		return NULL;
	char *c = strdup(s);
	if (!c)
		*fail = true;
	return c;
}

static struct bh_sim_ns_cf *cf_copy(const struct bh_sim_ns_cf *cf, size_t n, bool *fail)
{
	if (!n)
		return NULL;
	struct bh_sim_ns_cf *c = calloc(n, sizeof(*c));
	if (!c) {
		*fail = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		c[i].type = cf[i].type;
		c[i].script_id = dup_or_null(cf[i].script_id, fail);
		c[i].value = dup_or_null(cf[i].value, fail);
	}
	return c;
}

struct bh_sim_ns_rec *bh_sim_ns_rec_copy(const struct bh_sim_ns_rec *r)
{
	bool fail = false;
	struct bh_sim_ns_rec *c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	*c = *r;
	c->external_id = dup_or_null(r->external_id, &fail);
	c->entity_id = dup_or_null(r->entity_id, &fail);
	c->first_name = dup_or_null(r->first_name, &fail);
	c->last_name = dup_or_null(r->last_name, &fail);
	c->company_name = dup_or_null(r->company_name, &fail);
	c->email = dup_or_null(r->email, &fail);
	c->phone = dup_or_null(r->phone, &fail);
	c->item_id = dup_or_null(r->item_id, &fail);
	c->display_name = dup_or_null(r->display_name, &fail);
	c->tran_id = dup_or_null(r->tran_id, &fail);
	c->memo = dup_or_null(r->memo, &fail);
	c->other_ref_num = dup_or_null(r->other_ref_num, &fail);
	c->currency = dup_or_null(r->currency, &fail);
	c->order_status = dup_or_null(r->order_status, &fail);
	c->discount_rate = dup_or_null(r->discount_rate, &fail);
	c->payment_method = dup_or_null(r->payment_method, &fail);
	c->lines = NULL;
	c->apply = NULL;
	c->cf = NULL;
	c->children = NULL;
	c->gl = NULL;
	c->null_fields = NULL;
	c->n_null_fields = 0;
	if (r->n_lines) {
		c->lines = calloc(r->n_lines, sizeof(*c->lines));
		if (!c->lines) {
			c->n_lines = 0;
			fail = true;
		} else {
			for (size_t i = 0; i < r->n_lines; i++) {
				c->lines[i] = r->lines[i];
				c->lines[i].description = dup_or_null(r->lines[i].description, &fail);
				c->lines[i].cf = cf_copy(r->lines[i].cf, r->lines[i].n_cf, &fail);
				if (!c->lines[i].cf)
					c->lines[i].n_cf = 0;
			}
		}
	}
	if (r->n_apply) {
		c->apply = malloc(r->n_apply * sizeof(*c->apply));
		if (c->apply)
			memcpy(c->apply, r->apply, r->n_apply * sizeof(*c->apply));
		else {
			c->n_apply = 0;
			fail = true;
		}
	}
	c->cf = cf_copy(r->cf, r->n_cf, &fail);
	if (!c->cf)
		c->n_cf = 0;
	if (r->n_children) {
		c->children = malloc(r->n_children * sizeof(int64_t));
		if (c->children)
			memcpy(c->children, r->children, r->n_children * sizeof(int64_t));
		else {
			c->n_children = 0;
			fail = true;
		}
	}
	if (r->n_gl) {
		c->gl = malloc(r->n_gl * sizeof(*c->gl));
		if (c->gl)
			memcpy(c->gl, r->gl, r->n_gl * sizeof(*c->gl));
		else {
			c->n_gl = 0;
			fail = true;
		}
	}
	if (fail) {
		bh_sim_ns_rec_free(c);
		return NULL;
	}
	return c;
}

/* ------------------------------------------------------------------ account state */

static const char *opt_str(struct json_object *opts, const char *key, const char *def)
{
	struct json_object *v;
	if (opts && json_object_object_get_ex(opts, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return def;
}

static const struct {
	const char *name;
	enum bh_sim_ns_acct_kind kind;
} std_chart[] = {
	{"Payment Clearing", BH_SIM_NS_A_ASSET},
	{"Accounts Receivable", BH_SIM_NS_A_ASSET},
	{"Inventory", BH_SIM_NS_A_ASSET},
	{"Sales Tax Payable", BH_SIM_NS_A_LIABILITY},
	{"Gift Card Liability", BH_SIM_NS_A_LIABILITY},
	{"Sales", BH_SIM_NS_A_INCOME},
	{"Sales Returns", BH_SIM_NS_A_CONTRA_INCOME},
	{"Restocking Fee Income", BH_SIM_NS_A_INCOME},
	{"Cost of Goods Sold", BH_SIM_NS_A_EXPENSE},
	{"Return Incentive Expense", BH_SIM_NS_A_EXPENSE},
};

struct bh_sim_ns *bh_sim_ns_new(struct json_object *opts)
{
	struct bh_sim_ns *ns = calloc(1, sizeof(*ns));
	struct json_object *v;
	if (!ns)
		return NULL;
	pthread_mutex_init(&ns->mu, NULL);
	atomic_init(&ns->conc_in_use, 0);
	atomic_init(&ns->conc_held, 0);
	atomic_init(&ns->conc_limit, 5);
	if (opts && json_object_object_get_ex(opts, "concurrency_limit", &v))
		atomic_store(&ns->conc_limit, json_object_get_int(v));
	if (opts && json_object_object_get_ex(opts, "ra_requires_approval", &v))
		ns->ra_requires_approval = json_object_get_boolean(v);
	ns->account = strdup(opt_str(opts, "account", "1234567_SB1"));
	ns->version = strdup(opt_str(opts, "version", "2023_2"));
	ns->sku_field = strdup(opt_str(opts, "sku_field", "itemId"));
	ns->flag_field = strdup(opt_str(opts, "flag_field", "custbody_bh_review_flag"));
	ns->shopify_field = strdup(opt_str(opts, "shopify_field", "custbody_bh_shopify_order_id"));
	if (!ns->account || !ns->version || !ns->sku_field || !ns->flag_field ||
	    !ns->shopify_field)
		goto fail;
	for (size_t i = 0; i < sizeof(std_chart) / sizeof(std_chart[0]); i++)
		if (!bh_sim_ns_account_add(ns, std_chart[i].name, std_chart[i].kind))
			goto fail;
	if (opts && json_object_object_get_ex(opts, "accounts", &v) &&
	    json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *a = json_object_array_get_idx(v, i), *n, *k;
			if (!json_object_object_get_ex(a, "name", &n))
				continue;
			enum bh_sim_ns_acct_kind kind = BH_SIM_NS_A_INCOME;
			if (json_object_object_get_ex(a, "kind", &k) &&
			    bh_sim_ns_acct_kind_parse(json_object_get_string(k)))
				kind = bh_sim_ns_acct_kind_parse(json_object_get_string(k));
			if (!bh_sim_ns_account_add(ns, json_object_get_string(n), kind))
				goto fail;
		}
	}
	if (bh_sim_ns_cred_add(ns, ns->account,
			       opt_str(opts, "consumer_key", "bh-sim-consumer-key"),
			       opt_str(opts, "consumer_secret", "bh-sim-consumer-secret"),
			       opt_str(opts, "token_id", "bh-sim-token-id"),
			       opt_str(opts, "token_secret", "bh-sim-token-secret"), NULL, 0) != BH_OK)
		goto fail;
	for (int t = 0; t < BH_SIM_NS_T_COUNT; t++)
		ns->tranid_seq[t] = 1000;
	return ns;
fail:
	bh_sim_ns_free(ns);
	return NULL;
}

static void cred_clear(struct bh_sim_ns_cred *c)
{
	free(c->account);
	free(c->consumer_key);
	free(c->consumer_secret);
	free(c->token_id);
	free(c->token_secret);
	for (size_t i = 0; i < c->n_deny; i++)
		free(c->deny[i]);
	free(c->deny);
}

void bh_sim_ns_free(struct bh_sim_ns *ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < ns->n_recs; i++)
		bh_sim_ns_rec_free(ns->recs[i]);
	free(ns->recs);
	free(ns->items);
	bh_sim_ns_map_free(&ns->eid);
	bh_sim_ns_map_free(&ns->nonces);
	for (size_t i = 0; i < ns->n_accts; i++)
		free(ns->accts[i].name);
	free(ns->accts);
	for (size_t i = 0; i < ns->n_creds; i++)
		cred_clear(&ns->creds[i]);
	free(ns->creds);
	free(ns->account);
	free(ns->version);
	free(ns->sku_field);
	free(ns->flag_field);
	free(ns->shopify_field);
	pthread_mutex_destroy(&ns->mu);
	free(ns);
}

void *bh_sim_ns_soap_slot(const struct bh_sim_ns *ns)
{
	return ns->soap_slot;
}

void bh_sim_ns_set_soap_slot(struct bh_sim_ns *ns, void *soap)
{
	ns->soap_slot = soap;
}

void bh_sim_ns_lock(struct bh_sim_ns *ns)
{
	pthread_mutex_lock(&ns->mu);
}

void bh_sim_ns_unlock(struct bh_sim_ns *ns)
{
	pthread_mutex_unlock(&ns->mu);
}

int64_t bh_sim_ns_now_ms(const struct bh_sim_ns *ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ns->clock_offset_ms;
}

void bh_sim_ns_set_clock_offset(struct bh_sim_ns *ns, int64_t offset_ms)
{
	ns->clock_offset_ms = offset_ms;
}

const char *bh_sim_ns_account_id(const struct bh_sim_ns *ns)
{
	return ns->account;
}

const char *bh_sim_ns_version(const struct bh_sim_ns *ns)
{
	return ns->version;
}

const char *bh_sim_ns_sku_field(const struct bh_sim_ns *ns)
{
	return ns->sku_field;
}

const char *bh_sim_ns_flag_field(const struct bh_sim_ns *ns)
{
	return ns->flag_field;
}

const char *bh_sim_ns_shopify_field(const struct bh_sim_ns *ns)
{
	return ns->shopify_field;
}

/* ------------------------------------------------------------------ concurrency */

int bh_sim_ns_conc_acquire(struct bh_sim_ns *ns)
{
	int limit = atomic_load(&ns->conc_limit);
	int held = atomic_load(&ns->conc_held);
	int cur = atomic_fetch_add(&ns->conc_in_use, 1);
	if (cur + held >= limit) {
		atomic_fetch_sub(&ns->conc_in_use, 1);
		return BH_EBUSY;
	}
	return BH_OK;
}

void bh_sim_ns_conc_release(struct bh_sim_ns *ns)
{
	atomic_fetch_sub(&ns->conc_in_use, 1);
}

int bh_sim_ns_conc_limit(const struct bh_sim_ns *ns)
{
	return atomic_load(&((struct bh_sim_ns *)ns)->conc_limit);
}

void bh_sim_ns_conc_set(struct bh_sim_ns *ns, int limit, int held)
{
	if (limit >= 0)
		atomic_store(&ns->conc_limit, limit);
	if (held >= 0)
		atomic_store(&ns->conc_held, held);
}

int bh_sim_ns_conc_in_use(const struct bh_sim_ns *ns)
{
	struct bh_sim_ns *m = (struct bh_sim_ns *)ns;
	return atomic_load(&m->conc_in_use) + atomic_load(&m->conc_held);
}

/* ------------------------------------------------------------------ credentials */

int bh_sim_ns_cred_add(struct bh_sim_ns *ns, const char *account, const char *consumer_key,
		       const char *consumer_secret, const char *token_id,
		       const char *token_secret, const char *const *deny, size_t n_deny)
{
	struct bh_sim_ns_cred c = {0};
	if (!account || !consumer_key || !consumer_secret || !token_id || !token_secret)
		return BH_EINVAL;
	c.account = strdup(account);
	c.consumer_key = strdup(consumer_key);
	c.consumer_secret = strdup(consumer_secret);
	c.token_id = strdup(token_id);
	c.token_secret = strdup(token_secret);
	if (n_deny && !(c.deny = calloc(n_deny, sizeof(char *))))
		goto nomem;
	for (size_t i = 0; i < n_deny; i++, c.n_deny++)
		if (!(c.deny[i] = strdup(deny[i])))
			goto nomem;
	if (!c.account || !c.consumer_key || !c.consumer_secret || !c.token_id || !c.token_secret)
		goto nomem;
	for (size_t i = 0; i < ns->n_creds; i++) {
		if (strcmp(ns->creds[i].consumer_key, consumer_key) == 0 &&
		    strcmp(ns->creds[i].token_id, token_id) == 0) {
			cred_clear(&ns->creds[i]);
			ns->creds[i] = c;
			return BH_OK;
		}
	}
	if (ns->n_creds == ns->cap_creds) {
		size_t cap = ns->cap_creds ? ns->cap_creds * 2 : 4;
		struct bh_sim_ns_cred *g = realloc(ns->creds, cap * sizeof(*g));
		if (!g)
			goto nomem;
		ns->creds = g;
		ns->cap_creds = cap;
	}
	ns->creds[ns->n_creds++] = c;
	return BH_OK;
nomem:
	cred_clear(&c);
	return BH_ENOMEM;
}

size_t bh_sim_ns_cred_count(const struct bh_sim_ns *ns)
{
	return ns->n_creds;
}

const struct bh_sim_ns_cred *bh_sim_ns_cred_at(const struct bh_sim_ns *ns, size_t i)
{
	return i < ns->n_creds ? &ns->creds[i] : NULL;
}

const struct bh_sim_ns_cred *bh_sim_ns_cred_find(const struct bh_sim_ns *ns, const char *account,
						 const char *consumer_key, const char *token_id)
{
	if (!account || !consumer_key || !token_id)
		return NULL;
	for (size_t i = 0; i < ns->n_creds; i++) {
		const struct bh_sim_ns_cred *c = &ns->creds[i];
		if (strcmp(c->account, account) == 0 && strcmp(c->consumer_key, consumer_key) == 0 &&
		    strcmp(c->token_id, token_id) == 0)
			return c;
	}
	return NULL;
}

bool bh_sim_ns_cred_allows(const struct bh_sim_ns_cred *c, enum bh_sim_ns_type t)
{
	const char *name = bh_sim_ns_type_name(t);
	if (!c || !name)
		return true;
	for (size_t i = 0; i < c->n_deny; i++)
		if (strcmp(c->deny[i], name) == 0 || strcmp(c->deny[i], "*") == 0)
			return false;
	return true;
}

bool bh_sim_ns_tba_time_ok(const struct bh_sim_ns *ns, int64_t timestamp)
{
	int64_t now = bh_sim_ns_now_ms(ns) / 1000;
	int64_t d = now - timestamp;
	return d <= 300 && d >= -300;
}

int bh_sim_ns_nonce_use(struct bh_sim_ns *ns, const char *consumer_key, const char *token_id,
			const char *nonce, int64_t timestamp)
{
	char key[512];
	int64_t now = bh_sim_ns_now_ms(ns), seen;
	(void)timestamp;
	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s", consumer_key ? consumer_key : "",
		 token_id ? token_id : "", nonce ? nonce : "");
	if (bh_sim_ns_map_get(&ns->nonces, key, &seen) && now - seen < NONCE_TTL_MS)
		return BH_EEXIST;
	if (now >= ns->nonce_prune_at) {
		/* forget expired nonces at most once a minute (O(n) each time) */
		bh_sim_ns_map_prune(&ns->nonces, now - NONCE_TTL_MS);
		ns->nonce_prune_at = now + 60 * 1000;
	}
	return bh_sim_ns_map_put(&ns->nonces, key, now);
}

/* ------------------------------------------------------------------ accounts */

int64_t bh_sim_ns_account_add(struct bh_sim_ns *ns, const char *name,
			      enum bh_sim_ns_acct_kind kind)
{
	const struct bh_sim_ns_account *a = bh_sim_ns_account_find(ns, name);
	if (a)
		return a->id;
	if (ns->n_accts == ns->cap_accts) {
		size_t cap = ns->cap_accts ? ns->cap_accts * 2 : 16;
		struct bh_sim_ns_account *g = realloc(ns->accts, cap * sizeof(*g));
		if (!g)
			return 0;
		ns->accts = g;
		ns->cap_accts = cap;
	}
	struct bh_sim_ns_account *n = &ns->accts[ns->n_accts];
	if (!(n->name = strdup(name)))
		return 0;
	n->kind = kind;
	n->id = (int64_t)ns->n_accts + 1;
	ns->n_accts++;
	return n->id;
}

const struct bh_sim_ns_account *bh_sim_ns_accounts(const struct bh_sim_ns *ns, size_t *n)
{
	*n = ns->n_accts;
	return ns->accts;
}

const struct bh_sim_ns_account *bh_sim_ns_account_get(const struct bh_sim_ns *ns, int64_t id)
{
	if (id < 1 || (size_t)id > ns->n_accts)
		return NULL;
	return &ns->accts[id - 1];
}

const struct bh_sim_ns_account *bh_sim_ns_account_find(const struct bh_sim_ns *ns,
							const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ns->n_accts; i++)
		if (strcasecmp(ns->accts[i].name, name) == 0)
			return &ns->accts[i];
	return NULL;
}

/* ------------------------------------------------------------------ lookups */

struct bh_sim_ns_rec *bh_sim_ns_get(struct bh_sim_ns *ns, enum bh_sim_ns_type t, int64_t id)
{
	if (id < ID_BASE || (uint64_t)(id - ID_BASE) >= ns->n_recs)
		return NULL;
	struct bh_sim_ns_rec *r = ns->recs[id - ID_BASE];
	if (t != BH_SIM_NS_T_NONE && r->type != t)
		return NULL;
	return r;
}

static void eid_key(char *buf, size_t len, enum bh_sim_ns_group g, const char *eid)
{
	char low[400];
	bh_sim_ns_lower(low, eid, sizeof(low));
	snprintf(buf, len, "%d:%s", (int)g, low);
}

static struct bh_sim_ns_rec *find_eid_group(struct bh_sim_ns *ns, enum bh_sim_ns_group g,
					    const char *eid)
{
	char key[420];
	int64_t id;
	if (!eid)
		return NULL;
	eid_key(key, sizeof(key), g, eid);
	if (!bh_sim_ns_map_get(&ns->eid, key, &id))
		return NULL;
	return bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
}

struct bh_sim_ns_rec *bh_sim_ns_find_eid(struct bh_sim_ns *ns, enum bh_sim_ns_type t,
					  const char *external_id)
{
	struct bh_sim_ns_rec *r = find_eid_group(ns, bh_sim_ns_type_group(t), external_id);
	return (r && r->type == t) ? r : NULL;
}

const char *bh_sim_ns_item_sku(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *item)
{
	if (strcmp(ns->sku_field, "itemId") == 0)
		return item->item_id;
	const struct bh_sim_ns_cf *cf = bh_sim_ns_cf_get(item->cf, item->n_cf, ns->sku_field);
	return cf ? cf->value : NULL;
}

struct bh_sim_ns_rec *bh_sim_ns_item_by_sku(struct bh_sim_ns *ns, const char *sku)
{
	if (!sku)
		return NULL;
	for (size_t i = 0; i < ns->n_items; i++) {
		struct bh_sim_ns_rec *it = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, ns->items[i]);
		const char *s = it ? bh_sim_ns_item_sku(ns, it) : NULL;
		if (s && strcasecmp(s, sku) == 0)
			return it;
	}
	return NULL;
}

size_t bh_sim_ns_count(const struct bh_sim_ns *ns)
{
	return ns->n_recs;
}

struct bh_sim_ns_rec *bh_sim_ns_at(struct bh_sim_ns *ns, size_t i)
{
	return i < ns->n_recs ? ns->recs[i] : NULL;
}

struct bh_sim_ns_rec *bh_sim_ns_find_shopify_order(struct bh_sim_ns *ns, const char *order_id)
{
	if (!order_id || !*order_id)
		return NULL;
	for (size_t i = 0; i < ns->n_recs; i++) {
		struct bh_sim_ns_rec *r = ns->recs[i];
		if (r->type != BH_SIM_NS_T_SALES_ORDER)
			continue;
		const struct bh_sim_ns_cf *cf = bh_sim_ns_cf_get(r->cf, r->n_cf, ns->shopify_field);
		if (cf && cf->value && strcmp(cf->value, order_id) == 0)
			return r;
	}
	for (size_t i = 0; i < ns->n_recs; i++) {
		struct bh_sim_ns_rec *r = ns->recs[i];
		if (r->type == BH_SIM_NS_T_SALES_ORDER && r->other_ref_num &&
		    strcmp(r->other_ref_num, order_id) == 0)
			return r;
	}
	return NULL;
}

static const char *type_label(enum bh_sim_ns_type t)
{
	switch (t) {
	case BH_SIM_NS_T_SALES_ORDER: return "Sales Order";
	case BH_SIM_NS_T_CASH_SALE: return "Cash Sale";
	case BH_SIM_NS_T_INVOICE: return "Invoice";
	case BH_SIM_NS_T_ITEM_FULFILLMENT: return "Item Fulfillment";
	case BH_SIM_NS_T_RETURN_AUTHORIZATION: return "Return Authorization";
	case BH_SIM_NS_T_ITEM_RECEIPT: return "Item Receipt";
	case BH_SIM_NS_T_CREDIT_MEMO: return "Credit Memo";
	case BH_SIM_NS_T_CASH_REFUND: return "Cash Refund";
	case BH_SIM_NS_T_CUSTOMER_REFUND: return "Customer Refund";
	default: return "";
	}
}

const char *bh_sim_ns_ref_name(const struct bh_sim_ns_rec *r, char *buf, size_t len)
{
	switch (bh_sim_ns_type_group(r->type)) {
	case BH_SIM_NS_G_ENTITY:
		snprintf(buf, len, "%s", r->entity_id ? r->entity_id : "");
		break;
	case BH_SIM_NS_G_ITEM:
		snprintf(buf, len, "%s", r->item_id ? r->item_id : "");
		break;
	case BH_SIM_NS_G_TRANSACTION:
		snprintf(buf, len, "%s #%s", type_label(r->type), r->tran_id ? r->tran_id : "");
		break;
	default:
		snprintf(buf, len, "%s", "");
	}
	return buf;
}

/* ------------------------------------------------------------------ item helpers */

static struct bh_sim_ns_rec *item_get(struct bh_sim_ns *ns, int64_t id)
{
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	return (r && bh_sim_ns_type_group(r->type) == BH_SIM_NS_G_ITEM) ? r : NULL;
}

/** Lines whose item must be physically received / fulfilled. */
static bool receivable(struct bh_sim_ns *ns, int64_t item)
{
	struct bh_sim_ns_rec *it = item_get(ns, item);
	return it && (it->kind == BH_SIM_NS_K_INVENTORY || it->kind == BH_SIM_NS_K_NONINVENTORY);
}

/* ------------------------------------------------------------------ statuses */

struct ra_state {
	bool any_open, all_closed;
	int64_t qty, received, billed;          /* over open lines, receivable only */
	int64_t qty_all, billed_all;            /* over open lines, every line */
};

static void ra_state(struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r, struct ra_state *s)
{
	memset(s, 0, sizeof(*s));
	s->all_closed = r->n_lines > 0;
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_sim_ns_line *l = &r->lines[i];
		if (l->is_closed == 1)
			continue;
		s->all_closed = false;
		s->any_open = true;
		s->qty_all += or0(l->quantity);
		s->billed_all += l->qty_billed;
		if (receivable(ns, l->item)) {
			s->qty += or0(l->quantity);
			s->received += l->qty_received;
			s->billed += l->qty_billed;
		}
	}
}

enum st {
	ST_NONE, ST_RA_A, ST_RA_B, ST_RA_C, ST_RA_D, ST_RA_E, ST_RA_F, ST_RA_G, ST_RA_H,
	ST_SO_A, ST_SO_B, ST_SO_C, ST_SO_D, ST_SO_E, ST_SO_F, ST_SO_G, ST_SO_H,
	ST_CS_B, ST_INV_A, ST_INV_B, ST_IF_C, ST_CM_A, ST_CM_B, ST_CR_NONE
};

static const struct {
	const char *text, *search, *letter;
} st_tab[] = {
	[ST_NONE] = {"", NULL, NULL},
	[ST_RA_A] = {"Pending Approval", "_returnAuthorizationPendingApproval", "A"},
	[ST_RA_B] = {"Pending Receipt", "_returnAuthorizationPendingReceipt", "B"},
	[ST_RA_C] = {"Cancelled", "_returnAuthorizationCancelled", "C"},
	[ST_RA_D] = {"Partially Received", "_returnAuthorizationPartiallyReceived", "D"},
	[ST_RA_E] = {"Pending Refund/Partially Received",
		     "_returnAuthorizationPendingRefundPartiallyReceived", "E"},
	[ST_RA_F] = {"Pending Refund", "_returnAuthorizationPendingRefund", "F"},
	[ST_RA_G] = {"Refunded", "_returnAuthorizationRefunded", "G"},
	[ST_RA_H] = {"Closed", "_returnAuthorizationClosed", "H"},
	[ST_SO_A] = {"Pending Approval", "_salesOrderPendingApproval", "A"},
	[ST_SO_B] = {"Pending Fulfillment", "_salesOrderPendingFulfillment", "B"},
	[ST_SO_C] = {"Cancelled", "_salesOrderCancelled", "C"},
	[ST_SO_D] = {"Partially Fulfilled", "_salesOrderPartiallyFulfilled", "D"},
	[ST_SO_E] = {"Pending Billing/Partially Fulfilled",
		     "_salesOrderPendingBillingPartiallyFulfilled", "E"},
	[ST_SO_F] = {"Pending Billing", "_salesOrderPendingBilling", "F"},
	[ST_SO_G] = {"Billed", "_salesOrderBilled", "G"},
	[ST_SO_H] = {"Closed", "_salesOrderClosed", "H"},
	[ST_CS_B] = {"Not Deposited", "_cashSaleNotDeposited", "B"},
	[ST_INV_A] = {"Open", "_invoiceOpen", "A"},
	[ST_INV_B] = {"Paid In Full", "_invoicePaidInFull", "B"},
	[ST_IF_C] = {"Shipped", "_itemFulfillmentShipped", "C"},
	[ST_CM_A] = {"Open", "_creditMemoOpen", "A"},
	[ST_CM_B] = {"Fully Applied", "_creditMemoFullyApplied", "B"},
	[ST_CR_NONE] = {"", NULL, NULL},
};

static bool pending_approval(const struct bh_sim_ns_rec *r)
{
	return r->order_status && strcmp(r->order_status, "_pendingApproval") == 0;
}

static enum st status_of(struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r)
{
	switch (r->type) {
	case BH_SIM_NS_T_RETURN_AUTHORIZATION: {
		struct ra_state s;
		if (r->cancelled == 1)
			return ST_RA_C;
		ra_state(ns, r, &s);
		if (s.all_closed)
			return ST_RA_H;
		if (pending_approval(r))
			return ST_RA_A;
		if (s.qty_all > 0 && s.billed_all >= s.qty_all && s.received >= s.qty)
			return ST_RA_G;
		if (s.received == 0)
			return ST_RA_B;
		if (s.received >= s.qty)
			return ST_RA_F;
		return s.billed < s.received ? ST_RA_E : ST_RA_D;
	}
	case BH_SIM_NS_T_SALES_ORDER: {
		int64_t qty = 0, ful = 0, qty_all = 0, billed_all = 0;
		bool all_closed = r->n_lines > 0;
		if (r->cancelled == 1)
			return ST_SO_C;
		if (pending_approval(r))
			return ST_SO_A;
		for (size_t i = 0; i < r->n_lines; i++) {
			const struct bh_sim_ns_line *l = &r->lines[i];
			if (l->is_closed == 1)
				continue;
			all_closed = false;
			qty_all += or0(l->quantity);
			billed_all += l->qty_billed;
			if (receivable(ns, l->item)) {
				qty += or0(l->quantity);
				ful += l->qty_received;
			}
		}
		if (all_closed)
			return ST_SO_H;
		if (ful == 0 && qty > 0)
			return ST_SO_B;
		if (ful < qty)
			return billed_all < ful ? ST_SO_E : ST_SO_D;
		return billed_all >= qty_all ? ST_SO_G : ST_SO_F;
	}
	case BH_SIM_NS_T_CASH_SALE:
		return ST_CS_B;
	case BH_SIM_NS_T_INVOICE:
		return ST_INV_A;
	case BH_SIM_NS_T_ITEM_FULFILLMENT:
		return ST_IF_C;
	case BH_SIM_NS_T_CREDIT_MEMO:
		return (r->applied >= r->total && r->total >= 0) ? ST_CM_B : ST_CM_A;
	default:
		return ST_NONE;
	}
}

const char *bh_sim_ns_status_text(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r)
{
	return st_tab[status_of((struct bh_sim_ns *)ns, r)].text;
}

const char *bh_sim_ns_status_search(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r)
{
	return st_tab[status_of((struct bh_sim_ns *)ns, r)].search;
}

const char *bh_sim_ns_status_letter(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r)
{
	return st_tab[status_of((struct bh_sim_ns *)ns, r)].letter;
}

const char *bh_sim_ns_order_status(const struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r)
{
	switch (r->type) {
	case BH_SIM_NS_T_RETURN_AUTHORIZATION:
		return pending_approval(r) ? "_pendingApproval" : "_pendingReceipt";
	case BH_SIM_NS_T_SALES_ORDER:
		switch (status_of((struct bh_sim_ns *)ns, r)) {
		case ST_SO_A: return "_pendingApproval";
		case ST_SO_B: return "_pendingFulfillment";
		case ST_SO_C: return "_cancelled";
		case ST_SO_D: return "_partiallyFulfilled";
		case ST_SO_E: return "_pendingBillingPartFulfilled";
		case ST_SO_F: return "_pendingBilling";
		case ST_SO_G: return "_fullyBilled";
		case ST_SO_H: return "_closed";
		default: return "_undefined";
		}
	default:
		return NULL;
	}
}

/* ------------------------------------------------------------------ storage */

static int store_append(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r)
{
	if (ns->n_recs == ns->cap_recs) {
		size_t cap = ns->cap_recs ? ns->cap_recs * 2 : 256;
		struct bh_sim_ns_rec **g = realloc(ns->recs, cap * sizeof(*g));
		if (!g)
			return BH_ENOMEM;
		ns->recs = g;
		ns->cap_recs = cap;
	}
	if (bh_sim_ns_type_group(r->type) == BH_SIM_NS_G_ITEM) {
		if (ns->n_items == ns->cap_items) {
			size_t cap = ns->cap_items ? ns->cap_items * 2 : 64;
			int64_t *g = realloc(ns->items, cap * sizeof(*g));
			if (!g)
				return BH_ENOMEM;
			ns->items = g;
			ns->cap_items = cap;
		}
	}
	if (r->external_id) {
		char key[420];
		eid_key(key, sizeof(key), bh_sim_ns_type_group(r->type), r->external_id);
		if (bh_sim_ns_map_put(&ns->eid, key, r->id) != BH_OK)
			return BH_ENOMEM;
	}
	if (bh_sim_ns_type_group(r->type) == BH_SIM_NS_G_ITEM)
		ns->items[ns->n_items++] = r->id;
	ns->recs[ns->n_recs++] = r;
	return BH_OK;
}

static int add_child(struct bh_sim_ns_rec *src, int64_t id)
{
	for (size_t i = 0; i < src->n_children; i++)
		if (src->children[i] == id)
			return BH_OK;
	int64_t *g = realloc(src->children, (src->n_children + 1) * sizeof(*g));
	if (!g)
		return BH_ENOMEM;
	src->children = g;
	g[src->n_children++] = id;
	return BH_OK;
}

/* ------------------------------------------------------------------ source rules */

/** Which source types a type may be created from (initialize / createdFrom). */
static bool pair_ok(enum bh_sim_ns_type to, enum bh_sim_ns_type from)
{
	switch (to) {
	case BH_SIM_NS_T_RETURN_AUTHORIZATION:
		return from == BH_SIM_NS_T_SALES_ORDER || from == BH_SIM_NS_T_CASH_SALE ||
		       from == BH_SIM_NS_T_INVOICE;
	case BH_SIM_NS_T_ITEM_RECEIPT:
		return from == BH_SIM_NS_T_RETURN_AUTHORIZATION;
	case BH_SIM_NS_T_CREDIT_MEMO:
		return from == BH_SIM_NS_T_RETURN_AUTHORIZATION || from == BH_SIM_NS_T_INVOICE;
	case BH_SIM_NS_T_CASH_REFUND:
		return from == BH_SIM_NS_T_RETURN_AUTHORIZATION || from == BH_SIM_NS_T_CASH_SALE;
	case BH_SIM_NS_T_CUSTOMER_REFUND:
		return from == BH_SIM_NS_T_CREDIT_MEMO;
	case BH_SIM_NS_T_CASH_SALE:
	case BH_SIM_NS_T_INVOICE:
	case BH_SIM_NS_T_ITEM_FULFILLMENT:
		return from == BH_SIM_NS_T_SALES_ORDER;
	default:
		return false;
	}
}

static const char *lower_type(enum bh_sim_ns_type t, char *buf, size_t len)
{
	bh_sim_ns_lower(buf, bh_sim_ns_type_name(t) ? bh_sim_ns_type_name(t) : "", len);
	return buf;
}

static int init_ref_err(struct bh_sim_ns_err *err, enum bh_sim_ns_type to, int64_t ref)
{
	char low[64];
	set_err(err, "INVALID_INITIALIZE_REF", "createdFrom",
		"You can not initialize %s: invalid reference %lld.",
		lower_type(to, low, sizeof(low)), (long long)ref);
	return BH_EREJECT;
}

/** Quantity of source line `line` of `src` already on other RAs (excluding `self`). */
static int64_t returned_qty(struct bh_sim_ns *ns, const struct bh_sim_ns_rec *src, int64_t line,
			    int64_t self)
{
	int64_t q = 0;
	for (size_t c = 0; c < src->n_children; c++) {
		struct bh_sim_ns_rec *ra = bh_sim_ns_get(ns, BH_SIM_NS_T_RETURN_AUTHORIZATION,
							 src->children[c]);
		if (!ra || ra->id == self || ra->cancelled == 1)
			continue;
		for (size_t i = 0; i < ra->n_lines; i++) {
			const struct bh_sim_ns_line *l = &ra->lines[i];
			if (or0(l->order_line) != line)
				continue;
			/* a closed line gives back what it did not receive */
			q += l->is_closed == 1 ? l->qty_received : or0(l->quantity);
		}
	}
	return q;
}

/** Source line quantity still open for a derived record of type `to`. */
static int64_t open_qty(struct bh_sim_ns *ns, enum bh_sim_ns_type to,
			const struct bh_sim_ns_rec *src, const struct bh_sim_ns_line *sl,
			int64_t self)
{
	if (sl->is_closed == 1)
		return 0;
	int64_t q = or0(sl->quantity);
	switch (to) {
	case BH_SIM_NS_T_RETURN_AUTHORIZATION:
		return q - returned_qty(ns, src, sl->line, self);
	case BH_SIM_NS_T_ITEM_RECEIPT:
	case BH_SIM_NS_T_ITEM_FULFILLMENT:
		return q - sl->qty_received;
	case BH_SIM_NS_T_CREDIT_MEMO:
	case BH_SIM_NS_T_CASH_REFUND:
	case BH_SIM_NS_T_CASH_SALE:
	case BH_SIM_NS_T_INVOICE:
		if (src->type == BH_SIM_NS_T_RETURN_AUTHORIZATION ||
		    src->type == BH_SIM_NS_T_SALES_ORDER)
			return q - sl->qty_billed;
		return q;
	default:
		return q;
	}
}

static bool line_applies(struct bh_sim_ns *ns, enum bh_sim_ns_type to,
			 const struct bh_sim_ns_line *sl)
{
	if (to == BH_SIM_NS_T_ITEM_RECEIPT || to == BH_SIM_NS_T_ITEM_FULFILLMENT)
		return receivable(ns, sl->item);
	return true;
}

/** Check that the source is in a state that allows deriving `to` from it. */
static int source_state_ok(struct bh_sim_ns *ns, enum bh_sim_ns_type to,
			   const struct bh_sim_ns_rec *src, struct bh_sim_ns_err *err)
{
	enum st s = status_of(ns, src);
	if (!pair_ok(to, src->type)) {
		char a[64], b[64];
		set_err(err, "INVALID_INITIALIZE_ARG", "type",
			"You can not initialize %s from %s.", lower_type(to, a, sizeof(a)),
			lower_type(src->type, b, sizeof(b)));
		return BH_EREJECT;
	}
	if (s == ST_RA_A || s == ST_RA_C || s == ST_RA_H || s == ST_SO_A || s == ST_SO_C ||
	    s == ST_SO_H)
		return init_ref_err(err, to, src->id);
	return BH_OK;
}

/* ------------------------------------------------------------------ prepare */

static int check_ref(struct bh_sim_ns *ns, int64_t id, enum bh_sim_ns_group g, const char *what,
		     const char *field, int64_t entity, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, id);
	if (r && bh_sim_ns_type_group(r->type) == g)
		return BH_OK;
	if (ref_set(entity))
		set_err(err, "INVALID_KEY_OR_REF", field,
			"Invalid %s reference key %lld for entity %lld.", what, (long long)id,
			(long long)entity);
	else
		set_err(err, "INVALID_KEY_OR_REF", field, "Invalid %s reference key %lld.", what,
			(long long)id);
	return BH_EREJECT;
}

static bool needs_entity(enum bh_sim_ns_type t)
{
	return t == BH_SIM_NS_T_SALES_ORDER || t == BH_SIM_NS_T_CASH_SALE ||
	       t == BH_SIM_NS_T_INVOICE || t == BH_SIM_NS_T_RETURN_AUTHORIZATION ||
	       t == BH_SIM_NS_T_CREDIT_MEMO || t == BH_SIM_NS_T_CASH_REFUND ||
	       t == BH_SIM_NS_T_CUSTOMER_REFUND;
}

static bool has_money_lines(enum bh_sim_ns_type t)
{
	return t != BH_SIM_NS_T_ITEM_RECEIPT && t != BH_SIM_NS_T_ITEM_FULFILLMENT &&
	       t != BH_SIM_NS_T_CUSTOMER_REFUND;
}

/** Quantity a candidate line takes from its source line (closed lines keep only what
 *  they received). */
static int64_t line_claim(const struct bh_sim_ns_rec *r, const struct bh_sim_ns_line *l)
{
	if (l->is_closed == 1)
		return r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION ? l->qty_received : 0;
	return or0(l->quantity) > 0 ? or0(l->quantity) : 0;
}

/**
 * Link the candidate's lines to the source's lines: an explicit orderLine must exist;
 * a line without one is matched by item to the first source line with room left
 * (after the explicitly linked lines took theirs). When no line has room, returns,
 * credits and refunds keep it unlinked (an extra line such as a bonus), the others link
 * it to the first line of that item so the quantity check reports the over-use.
 * Defaults a missing quantity to what is still open. Sets order_line (0 = unlinked).
 */
static int link_lines(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r, const struct bh_sim_ns_rec *src,
		      struct bh_sim_ns_err *err)
{
	int64_t self = r->id;
	int64_t *claimed = calloc(src->n_lines + 1, sizeof(int64_t));
	if (!claimed)
		return BH_ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r->n_lines; i++) {
			struct bh_sim_ns_line *l = &r->lines[i];
			size_t k = src->n_lines;
			bool explicit_link = ref_set(l->order_line);
			if (explicit_link != (pass == 0))
				continue;
			if (explicit_link) {
				for (k = 0; k < src->n_lines; k++)
					if (src->lines[k].line == l->order_line)
						break;
				if (k == src->n_lines) {
					set_err(err, "USER_ERROR", "item.orderLine",
						"The line %lld does not exist on the %s it is created from.",
						(long long)l->order_line, type_label(src->type));
					free(claimed);
					return BH_EREJECT;
				}
				if (ref_set(l->item) && src->lines[k].item != l->item) {
					set_err(err, "USER_ERROR", "item.item",
						"The item %lld does not match line %lld of the source transaction.",
						(long long)l->item, (long long)l->order_line);
					free(claimed);
					return BH_EREJECT;
				}
				if (!ref_set(l->item))
					l->item = src->lines[k].item;
			} else {
				size_t first = src->n_lines;
				for (size_t j = 0; j < src->n_lines; j++) {
					const struct bh_sim_ns_line *sl = &src->lines[j];
					if (sl->item != l->item || sl->is_closed == 1)
						continue;
					if (first == src->n_lines)
						first = j;
					int64_t room = open_qty(ns, r->type, src, sl, self) - claimed[j];
					int64_t want = is_set(l->quantity) ? l->quantity : 1;
					if (room > 0 && room >= want) {
						k = j;
						break;
					}
				}
				if (k == src->n_lines && first != src->n_lines &&
				    r->type != BH_SIM_NS_T_CREDIT_MEMO && r->type != BH_SIM_NS_T_CASH_REFUND)
					k = first;
			}
			if (k == src->n_lines) {
				l->order_line = 0;
				continue;
			}
			const struct bh_sim_ns_line *sl = &src->lines[k];
			l->order_line = sl->line;
			if (!is_set(l->quantity) && !is_set(l->amount)) {
				int64_t room = open_qty(ns, r->type, src, sl, self) - claimed[k];
				l->quantity = room > 0 ? room : 0;
			}
			if (l->is_closed < 0)
				l->is_closed = 0;
			claimed[k] += line_claim(r, l);
		}
	}
	free(claimed);
	return BH_OK;
}

static int64_t tax_from_rate(int64_t amount, int64_t ppm)
{
	return bh_sim_ns_mul_div_round(amount, ppm, 1000000);
}

static int prepare_entity(struct bh_sim_ns_rec *r, struct bh_sim_ns_err *err)
{
	if (!r->entity_id) {
		char buf[300];
		if (r->company_name)
			snprintf(buf, sizeof(buf), "%s", r->company_name);
		else if (r->first_name || r->last_name)
			snprintf(buf, sizeof(buf), "%s%s%s", r->first_name ? r->first_name : "",
				 r->first_name && r->last_name ? " " : "",
				 r->last_name ? r->last_name : "");
		else if (r->email)
			snprintf(buf, sizeof(buf), "%s", r->email);
		else {
			set_err(err, "USER_ERROR", "companyName",
				"Please enter value(s) for: Company Name");
			return BH_EREJECT;
		}
		if (bh_sim_ns_str_set(&r->entity_id, buf) != BH_OK)
			return BH_ENOMEM;
	}
	if (r->is_person < 0)
		r->is_person = (r->first_name || r->last_name) && !r->company_name;
	if (r->is_inactive < 0)
		r->is_inactive = 0;
	return BH_OK;
}

static int prepare_item(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r, struct bh_sim_ns_err *err)
{
	if (!r->item_id) {
		set_err(err, "USER_ERROR", "itemId", "Please enter value(s) for: Item Name/Number");
		return BH_EREJECT;
	}
	if (r->kind == BH_SIM_NS_K_NONE) {
		switch (r->type) {
		case BH_SIM_NS_T_INVENTORY_ITEM: r->kind = BH_SIM_NS_K_INVENTORY; break;
		case BH_SIM_NS_T_DISCOUNT_ITEM: r->kind = BH_SIM_NS_K_DISCOUNT; break;
		case BH_SIM_NS_T_SALES_TAX_ITEM: r->kind = BH_SIM_NS_K_TAX; break;
		case BH_SIM_NS_T_GIFT_CERT_ITEM: r->kind = BH_SIM_NS_K_GIFTCARD; break;
		default: r->kind = BH_SIM_NS_K_NONINVENTORY; break;
		}
	}
	if (!ref_set(r->income_account)) {
		switch (r->kind) {
		case BH_SIM_NS_K_GIFTCARD: r->income_account = BH_SIM_NS_ACCT_GIFT_CARD; break;
		case BH_SIM_NS_K_FEE: r->income_account = BH_SIM_NS_ACCT_RESTOCKING_FEE; break;
		case BH_SIM_NS_K_TAX: r->income_account = BH_SIM_NS_ACCT_SALES_TAX; break;
		default: r->income_account = BH_SIM_NS_ACCT_SALES; break;
		}
	} else if (!bh_sim_ns_account_get(ns, r->income_account)) {
		set_err(err, "INVALID_KEY_OR_REF", "incomeAccount",
			"Invalid incomeaccount reference key %lld.", (long long)r->income_account);
		return BH_EREJECT;
	}
	if (!is_set(r->cost))
		r->cost = 0;
	if (!is_set(r->price))
		r->price = 0;
	if (!is_set(r->tax_rate_ppm))
		r->tax_rate_ppm = 0;
	if (r->is_inactive < 0)
		r->is_inactive = 0;
	return BH_OK;
}

/* Complete and validate a transaction candidate. No side effects on the store. */
static int prepare_tran(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *src = NULL;
	int64_t self = r->id;
	int rc;

	if (ref_set(r->created_from)) {
		src = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, r->created_from);
		if (!src || bh_sim_ns_type_group(src->type) != BH_SIM_NS_G_TRANSACTION) {
			set_err(err, "INVALID_KEY_OR_REF", "createdFrom",
				"Invalid createdfrom reference key %lld.", (long long)r->created_from);
			return BH_EREJECT;
		}
		if (!self && (rc = source_state_ok(ns, r->type, src, err)) != BH_OK)
			return rc;
		if (!ref_set(r->entity))
			r->entity = src->entity;
		if (!r->currency && src->currency && bh_sim_ns_str_set(&r->currency, src->currency))
			return BH_ENOMEM;
	} else {
		r->created_from = 0;
		if (r->type == BH_SIM_NS_T_ITEM_RECEIPT || r->type == BH_SIM_NS_T_ITEM_FULFILLMENT) {
			set_err(err, "USER_ERROR", "createdFrom",
				"Please enter value(s) for: Created From");
			return BH_EREJECT;
		}
	}
	if (needs_entity(r->type) && !ref_set(r->entity)) {
		set_err(err, "USER_ERROR", "entity", "Please enter value(s) for: %s",
			r->type == BH_SIM_NS_T_CUSTOMER_REFUND ? "Customer" : "Customer");
		return BH_EREJECT;
	}
	if (ref_set(r->entity) &&
	    (rc = check_ref(ns, r->entity, BH_SIM_NS_G_ENTITY, "entity", "entity", 0, err)))
		return rc;
	if (!ref_set(r->entity))
		r->entity = 0;
	if (!r->currency && bh_sim_ns_str_set(&r->currency, "USD"))
		return BH_ENOMEM;
	if (!is_set(r->tran_date_ms))
		r->tran_date_ms = bh_sim_ns_now_ms(ns);
	if (r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION || r->type == BH_SIM_NS_T_SALES_ORDER) {
		if (r->order_status) {
			bool ok = strcmp(r->order_status, "_pendingApproval") == 0 ||
				  (r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION
					   ? strcmp(r->order_status, "_pendingReceipt") == 0
					   : strcmp(r->order_status, "_pendingFulfillment") == 0);
			if (!ok) {
				set_err(err, "INVALID_FLD_VALUE", "orderStatus",
					"You have entered an Invalid Field Value %s for the following field: orderStatus",
					r->order_status);
				return BH_EREJECT;
			}
		} else if (r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION &&
			   bh_sim_ns_str_set(&r->order_status, ns->ra_requires_approval
									 ? "_pendingApproval"
									 : "_pendingReceipt"))
			return BH_ENOMEM;
	}
	if (r->cancelled < 0)
		r->cancelled = 0;
	if (ref_set(r->ship_method) &&
	    (rc = check_ref(ns, r->ship_method, BH_SIM_NS_G_ITEM, "shipmethod", "shipMethod", 0, err)))
		return rc;
	if (ref_set(r->discount_item) &&
	    (rc = check_ref(ns, r->discount_item, BH_SIM_NS_G_ITEM, "discountitem", "discountItem",
			    0, err)))
		return rc;
	if (ref_set(r->tax_item) &&
	    (rc = check_ref(ns, r->tax_item, BH_SIM_NS_G_ITEM, "taxitem", "taxItem", 0, err)))
		return rc;

	/* customer refund: apply list of credit memos */
	if (r->type == BH_SIM_NS_T_CUSTOMER_REFUND) {
		if (!r->n_apply && src) {
			int64_t left = src->total - src->applied;
			if (left <= 0)
				return init_ref_err(err, r->type, src->id);
			r->apply = malloc(sizeof(*r->apply));
			if (!r->apply)
				return BH_ENOMEM;
			r->apply[0].doc = src->id;
			r->apply[0].amount = left;
			r->n_apply = 1;
		}
		if (!r->n_apply) {
			set_err(err, "USER_ERROR", "applyList",
				"You must enter at least one line item for this transaction.");
			return BH_EREJECT;
		}
		r->total = 0;
		for (size_t i = 0; i < r->n_apply; i++) {
			struct bh_sim_ns_rec *cm = bh_sim_ns_get(ns, BH_SIM_NS_T_CREDIT_MEMO,
								 r->apply[i].doc);
			if (!cm) {
				set_err(err, "INVALID_KEY_OR_REF", "applyList.doc",
					"Invalid doc reference key %lld.", (long long)r->apply[i].doc);
				return BH_EREJECT;
			}
			if (cm->entity != r->entity) {
				set_err(err, "INVALID_KEY_OR_REF", "applyList.doc",
					"Invalid doc reference key %lld for entity %lld.",
					(long long)r->apply[i].doc, (long long)r->entity);
				return BH_EREJECT;
			}
			if (r->apply[i].amount <= 0 ||
			    r->apply[i].amount > cm->total - cm->applied) {
				set_err(err, "USER_ERROR", "applyList.amount",
					"The amount applied (%lld cents) exceeds the credit memo's remaining %lld cents.",
					(long long)r->apply[i].amount,
					(long long)(cm->total - cm->applied));
				return BH_EREJECT;
			}
			r->total += r->apply[i].amount;
		}
		r->subtotal = r->total;
		r->tax_total = 0;
		return BH_OK;
	}

	/* lines: default from the source when none were given */
	if (!r->n_lines && src) {
		struct bh_sim_ns_rec *init = NULL;
		if ((rc = bh_sim_ns_initialize(ns, r->type, src, NULL, &init, err)) != BH_OK)
			return rc;
		r->lines = init->lines;
		r->n_lines = init->n_lines;
		init->lines = NULL;
		init->n_lines = 0;
		if (!is_set(r->shipping_cost))
			r->shipping_cost = init->shipping_cost;
		bh_sim_ns_rec_free(init);
	}
	if (!r->n_lines) {
		set_err(err, "USER_ERROR", "item",
			"You must enter at least one line item for this transaction.");
		return BH_EREJECT;
	}

	/* item receipts keep only the lines received */
	if (r->type == BH_SIM_NS_T_ITEM_RECEIPT) {
		size_t w = 0;
		for (size_t i = 0; i < r->n_lines; i++) {
			if (r->lines[i].item_receive != 0 &&
			    (!is_set(r->lines[i].quantity) || r->lines[i].quantity > 0))
				r->lines[w++] = r->lines[i];
			else
				line_clear(&r->lines[i]);
		}
		r->n_lines = w;
		if (!w) {
			set_err(err, "USER_ERROR", "item.itemReceive",
				"You must enter at least one line item for this transaction.");
			return BH_EREJECT;
		}
	}

	int64_t max_line = 0;
	for (size_t i = 0; i < r->n_lines; i++) {
		struct bh_sim_ns_line *l = &r->lines[i];
		if (!ref_set(l->item) && !(src && ref_set(l->order_line))) {
			set_err(err, "USER_ERROR", "item.item", "Please enter value(s) for: Item");
			return BH_EREJECT;
		}
		if (ref_set(l->item) &&
		    (rc = check_ref(ns, l->item, BH_SIM_NS_G_ITEM, "item", "item.item", r->entity, err)))
			return rc;
		if (is_set(l->line) && l->line > max_line)
			max_line = l->line;
	}
	if (src && (rc = link_lines(ns, r, src, err)) != BH_OK)
		return rc;

	r->subtotal = r->tax_total = 0;
	for (size_t i = 0; i < r->n_lines; i++) {
		struct bh_sim_ns_line *l = &r->lines[i];
		struct bh_sim_ns_line *sl = (src && ref_set(l->order_line))
						    ? bh_sim_ns_line_get(src, l->order_line)
						    : NULL;
		if (!is_set(l->line))
			l->line = ++max_line;
		if (l->is_closed < 0)
			l->is_closed = 0;
		if (!ref_set(l->order_line))
			l->order_line = 0;
		if (r->type == BH_SIM_NS_T_ITEM_RECEIPT || r->type == BH_SIM_NS_T_ITEM_FULFILLMENT) {
			if (!sl) {
				set_err(err, "USER_ERROR", "item.orderLine",
					"The item %lld is not on the %s it is created from.",
					(long long)l->item, type_label(src->type));
				return BH_EREJECT;
			}
			if (!receivable(ns, l->item)) {
				set_err(err, "USER_ERROR", "item.item",
					"The item %lld cannot be %s.", (long long)l->item,
					r->type == BH_SIM_NS_T_ITEM_RECEIPT ? "received" : "fulfilled");
				return BH_EREJECT;
			}
			if (l->item_receive < 0)
				l->item_receive = 1;
			if (l->restock < 0)
				l->restock = 1;
		}
		if (!is_set(l->quantity))
			l->quantity = 1;
		if (l->quantity < 0) {
			set_err(err, "INVALID_FLD_VALUE", "item.quantity",
				"You have entered an Invalid Field Value %lld for the following field: quantity",
				(long long)l->quantity);
			return BH_EREJECT;
		}
		l->qty_received = l->qty_received > 0 ? l->qty_received : 0;
		l->qty_billed = l->qty_billed > 0 ? l->qty_billed : 0;

		if (has_money_lines(r->type)) {
			struct bh_sim_ns_rec *it = item_get(ns, l->item);
			if (!is_set(l->rate)) {
				if (is_set(l->amount) && l->quantity > 0)
					l->rate = bh_sim_ns_mul_div_round(l->amount, 1, l->quantity);
				else
					l->rate = sl && is_set(sl->rate) ? sl->rate : it->price;
			}
			if (!is_set(l->amount)) {
				if (sl && l->quantity == sl->quantity && l->rate == sl->rate)
					l->amount = sl->amount;
				else
					l->amount = l->rate * l->quantity;
			}
			if (ref_set(l->tax_code)) {
				struct bh_sim_ns_rec *tc = item_get(ns, l->tax_code);
				if (!tc || tc->kind != BH_SIM_NS_K_TAX) {
					set_err(err, "INVALID_KEY_OR_REF", "item.taxCode",
						"Invalid taxcode reference key %lld.",
						(long long)l->tax_code);
					return BH_EREJECT;
				}
				if (!is_set(l->tax))
					l->tax = tax_from_rate(l->amount, tc->tax_rate_ppm);
			} else {
				l->tax_code = sl && ref_set(sl->tax_code) ? sl->tax_code : 0;
			}
			if (!is_set(l->tax) && sl && is_set(sl->tax) && sl->tax) {
				l->tax = (l->amount == sl->amount)
						 ? sl->tax
						 : bh_sim_ns_mul_div_round(sl->tax, l->amount,
									   sl->amount ? sl->amount : 1);
			}
			if (!is_set(l->tax) && l->is_taxable == 1 && ref_set(r->tax_item)) {
				struct bh_sim_ns_rec *ti = item_get(ns, r->tax_item);
				l->tax = tax_from_rate(l->amount, ti ? ti->tax_rate_ppm : 0);
			}
			if (!is_set(l->tax))
				l->tax = 0;
			if (l->is_taxable < 0)
				l->is_taxable = l->tax != 0;
			r->subtotal += l->amount;
			r->tax_total += l->tax;
		} else {
			struct bh_sim_ns_rec *it = item_get(ns, l->item);
			if (!is_set(l->rate))
				l->rate = it ? it->cost : 0;
			l->amount = is_set(l->amount) ? l->amount : 0;
			l->tax = 0;
			if (l->is_taxable < 0)
				l->is_taxable = 0;
		}
		if (!is_set(l->tax_code))
			l->tax_code = 0;
		if (!is_set(l->location))
			l->location = 0;
		if (l->item_receive < 0)
			l->item_receive = 1;
		if (l->restock < 0)
			l->restock = 0;
	}

	/* quantity budgets against the source */
	if (src) {
		for (size_t i = 0; i < src->n_lines; i++) {
			struct bh_sim_ns_line *sl = &src->lines[i];
			int64_t want = 0;
			for (size_t j = 0; j < r->n_lines; j++)
				if (r->lines[j].order_line == sl->line)
					want += line_claim(r, &r->lines[j]);
			if (!want)
				continue;
			if (r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION && !receivable(ns, sl->item))
				continue;
			int64_t open = open_qty(ns, r->type, src, sl, self);
			if (want <= open)
				continue;
			struct bh_sim_ns_rec *it = item_get(ns, sl->item);
			const char *sku = it ? bh_sim_ns_item_sku(ns, it) : NULL;
			switch (r->type) {
			case BH_SIM_NS_T_RETURN_AUTHORIZATION:
				set_err(err, "USER_ERROR", "item.quantity",
					"You cannot return more than was sold: %lld of %s requested, %lld left to return on line %lld of %s #%s.",
					(long long)want, sku ? sku : "item", (long long)(open > 0 ? open : 0),
					(long long)sl->line, type_label(src->type),
					src->tran_id ? src->tran_id : "");
				return BH_EREJECT;
			case BH_SIM_NS_T_ITEM_RECEIPT:
				set_err(err, "USER_ERROR", "item.quantity",
					"You cannot receive more than was authorized: %lld of %s requested, %lld left on line %lld.",
					(long long)want, sku ? sku : "item", (long long)(open > 0 ? open : 0),
					(long long)sl->line);
				return BH_EREJECT;
			case BH_SIM_NS_T_CREDIT_MEMO:
			case BH_SIM_NS_T_CASH_REFUND:
				if (open <= 0) {
					set_err(err, "TRANS_ALREADY_REFUNDED", "item.quantity",
						"This transaction has already been refunded (line %lld of %s #%s).",
						(long long)sl->line, type_label(src->type),
						src->tran_id ? src->tran_id : "");
					return BH_EREJECT;
				}
				set_err(err, "USER_ERROR", "item.quantity",
					"You cannot refund more than was authorized: %lld requested, %lld left on line %lld.",
					(long long)want, (long long)open, (long long)sl->line);
				return BH_EREJECT;
			default:
				set_err(err, "USER_ERROR", "item.quantity",
					"The quantity %lld exceeds the %lld still open on line %lld.",
					(long long)want, (long long)(open > 0 ? open : 0),
					(long long)sl->line);
				return BH_EREJECT;
			}
		}
	}

	/* body amounts */
	if (has_money_lines(r->type)) {
		if (!is_set(r->shipping_cost))
			r->shipping_cost = 0;
		if (r->discount_rate && !is_set(r->discount_total)) {
			const char *d = r->discount_rate;
			size_t n = strlen(d);
			int64_t v;
			if (n && d[n - 1] == '%') {
				char tmp[64];
				snprintf(tmp, sizeof(tmp), "%.*s", (int)(n - 1), d);
				if (bh_sim_ns_money_parse(tmp, &v) != BH_OK)
					goto bad_discount;
				/* v is the percentage in hundredths */
				r->discount_total = bh_sim_ns_mul_div_round(r->subtotal, v, 10000);
			} else {
				if (bh_sim_ns_money_parse(d, &v) != BH_OK)
					goto bad_discount;
				r->discount_total = v;
			}
			if (r->discount_total > 0)
				r->discount_total = -r->discount_total;
		}
		if (!is_set(r->discount_total))
			r->discount_total = 0;
		r->total = r->subtotal + r->tax_total + r->shipping_cost + r->discount_total;
	} else {
		r->shipping_cost = or0(r->shipping_cost);
		r->discount_total = or0(r->discount_total);
		r->total = 0;
	}
	r->ship_method = or0(r->ship_method);
	r->discount_item = or0(r->discount_item);
	r->tax_item = or0(r->tax_item);
	r->location = or0(r->location);
	if (!is_set(r->account))
		r->account = 0;
	else if (r->account && !bh_sim_ns_account_get(ns, r->account)) {
		set_err(err, "INVALID_KEY_OR_REF", "account", "Invalid account reference key %lld.",
			(long long)r->account);
		return BH_EREJECT;
	}
	return BH_OK;
bad_discount:
	set_err(err, "INVALID_FLD_VALUE", "discountRate",
		"You have entered an Invalid Field Value %s for the following field: discountRate",
		r->discount_rate);
	return BH_EREJECT;
}

static int prepare(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r, struct bh_sim_ns_err *err)
{
	switch (bh_sim_ns_type_group(r->type)) {
	case BH_SIM_NS_G_ENTITY:
		return prepare_entity(r, err);
	case BH_SIM_NS_G_ITEM:
		return prepare_item(ns, r, err);
	case BH_SIM_NS_G_TRANSACTION:
		return prepare_tran(ns, r, err);
	default:
		set_err(err, "INVALID_RCRD_TYPE", "type", "Invalid record type.");
		return BH_EINVAL;
	}
}

/* ------------------------------------------------------------------ effects */

/** Apply (sign +1) or withdraw (-1) a record's effects on its source transaction. */
static void effects(struct bh_sim_ns *ns, const struct bh_sim_ns_rec *r, int sign)
{
	if (r->type == BH_SIM_NS_T_CUSTOMER_REFUND) {
		for (size_t i = 0; i < r->n_apply; i++) {
			struct bh_sim_ns_rec *cm = bh_sim_ns_get(ns, BH_SIM_NS_T_CREDIT_MEMO,
								 r->apply[i].doc);
			if (cm) {
				cm->applied += sign * r->apply[i].amount;
				cm->modified_ms = bh_sim_ns_now_ms(ns);
			}
		}
		return;
	}
	if (!ref_set(r->created_from))
		return;
	struct bh_sim_ns_rec *src = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, r->created_from);
	if (!src)
		return;
	bool touched = false;
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_sim_ns_line *l = &r->lines[i];
		struct bh_sim_ns_line *sl = ref_set(l->order_line) ? bh_sim_ns_line_get(src, l->order_line)
								   : NULL;
		if (!sl)
			continue;
		switch (r->type) {
		case BH_SIM_NS_T_ITEM_RECEIPT:
		case BH_SIM_NS_T_ITEM_FULFILLMENT:
			sl->qty_received += sign * l->quantity;
			touched = true;
			break;
		case BH_SIM_NS_T_CREDIT_MEMO:
		case BH_SIM_NS_T_CASH_REFUND:
		case BH_SIM_NS_T_CASH_SALE:
		case BH_SIM_NS_T_INVOICE:
			if (src->type == BH_SIM_NS_T_RETURN_AUTHORIZATION ||
			    src->type == BH_SIM_NS_T_SALES_ORDER) {
				sl->qty_billed += sign * l->quantity;
				touched = true;
			}
			break;
		default:
			break;
		}
	}
	if (touched || r->type == BH_SIM_NS_T_RETURN_AUTHORIZATION)
		src->modified_ms = bh_sim_ns_now_ms(ns);
}

/* ------------------------------------------------------------------ add / update */

static bool perm_ok(const struct bh_sim_ns_cred *perm, enum bh_sim_ns_type t,
		    struct bh_sim_ns_err *err)
{
	if (bh_sim_ns_cred_allows(perm, t))
		return true;
	static const char *const labels[BH_SIM_NS_T_COUNT] = {
		[BH_SIM_NS_T_CUSTOMER] = "Lists -> Customers",
		[BH_SIM_NS_T_INVENTORY_ITEM] = "Lists -> Items",
		[BH_SIM_NS_T_NON_INVENTORY_ITEM] = "Lists -> Items",
		[BH_SIM_NS_T_OTHER_CHARGE_ITEM] = "Lists -> Items",
		[BH_SIM_NS_T_GIFT_CERT_ITEM] = "Lists -> Items",
		[BH_SIM_NS_T_DISCOUNT_ITEM] = "Lists -> Items",
		[BH_SIM_NS_T_SALES_TAX_ITEM] = "Lists -> Items",
		[BH_SIM_NS_T_SALES_ORDER] = "Transactions -> Sales Order",
		[BH_SIM_NS_T_CASH_SALE] = "Transactions -> Cash Sale",
		[BH_SIM_NS_T_INVOICE] = "Transactions -> Invoice",
		[BH_SIM_NS_T_ITEM_FULFILLMENT] = "Transactions -> Item Fulfillment",
		[BH_SIM_NS_T_RETURN_AUTHORIZATION] = "Transactions -> Return Authorization",
		[BH_SIM_NS_T_ITEM_RECEIPT] = "Transactions -> Item Receipt",
		[BH_SIM_NS_T_CREDIT_MEMO] = "Transactions -> Credit Memo",
		[BH_SIM_NS_T_CASH_REFUND] = "Transactions -> Cash Refund",
		[BH_SIM_NS_T_CUSTOMER_REFUND] = "Transactions -> Customer Refund",
	};
	set_err(err, "INSUFFICIENT_PERMISSION", "",
		"Permission Violation: You need  the '%s' permission to access this page. Please contact your account administrator.",
		(t > 0 && t < BH_SIM_NS_T_COUNT && labels[t]) ? labels[t] : "Lists -> Records");
	return false;
}

static int commit_new(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r, struct bh_sim_ns_err *err)
{
	int rc;
	int64_t now = bh_sim_ns_now_ms(ns);
	r->id = ID_BASE + (int64_t)ns->n_recs;
	r->created_ms = now;
	r->modified_ms = now;
	if (bh_sim_ns_type_group(r->type) == BH_SIM_NS_G_TRANSACTION) {
		if (!r->tran_id) {
			char buf[64];
			snprintf(buf, sizeof(buf), "%s%lld", bh_sim_ns_type_tranid_prefix(r->type),
				 (long long)++ns->tranid_seq[r->type]);
			if (bh_sim_ns_str_set(&r->tran_id, buf) != BH_OK)
				return BH_ENOMEM;
		}
		if ((rc = bh_sim_ns_gl_post(ns, r, err)) != BH_OK)
			return rc;
	}
	if (ref_set(r->created_from)) {
		struct bh_sim_ns_rec *src = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, r->created_from);
		if (src && add_child(src, r->id) != BH_OK)
			return BH_ENOMEM;
	}
	if ((rc = store_append(ns, r)) != BH_OK)
		return rc;
	effects(ns, r, +1);
	/* a customer refund is also a child of each credit memo it applies */
	for (size_t i = 0; i < r->n_apply; i++) {
		struct bh_sim_ns_rec *cm = bh_sim_ns_get(ns, BH_SIM_NS_T_NONE, r->apply[i].doc);
		if (cm && add_child(cm, r->id) != BH_OK)
			return BH_ENOMEM;
	}
	return BH_OK;
}

static int clear_draft_only(struct bh_sim_ns_rec *r)
{
	for (size_t i = 0; i < r->n_null_fields; i++)
		free(r->null_fields[i]);
	free(r->null_fields);
	r->null_fields = NULL;
	r->n_null_fields = 0;
	r->lines_replace_all = -1;
	r->lines_given = false;
	return BH_OK;
}

int bh_sim_ns_add(struct bh_sim_ns *ns, struct bh_sim_ns_rec *draft,
		  const struct bh_sim_ns_cred *perm, int64_t *id, struct bh_sim_ns_err *err)
{
	int rc;
	if (!draft) {
		set_err(err, "UNEXPECTED_ERROR", "", "An unexpected error occurred.");
		return BH_ENOMEM;
	}
	if (bh_sim_ns_type_group(draft->type) == BH_SIM_NS_G_NONE) {
		set_err(err, "INVALID_RCRD_TYPE", "type", "Invalid record type.");
		rc = BH_EINVAL;
		goto fail;
	}
	if (!perm_ok(perm, draft->type, err)) {
		rc = BH_EAUTH;
		goto fail;
	}
	if (draft->external_id && find_eid_group(ns, bh_sim_ns_type_group(draft->type),
						 draft->external_id)) {
		set_err(err, "DUP_RCRD", "externalId", "This record already exists");
		rc = BH_EEXIST;
		goto fail;
	}
	draft->id = 0;
	clear_draft_only(draft);
	if ((rc = prepare(ns, draft, err)) != BH_OK)
		goto fail;
	if ((rc = commit_new(ns, draft, err)) != BH_OK)
		goto fail;
	if (id)
		*id = draft->id;
	return BH_OK;
fail:
	if (rc == BH_ENOMEM && err && !err->code)
		set_err(err, "UNEXPECTED_ERROR", "", "An unexpected error occurred.");
	bh_sim_ns_rec_free(draft);
	return rc;
}

/* Merge a draft line's set fields into a stored line. */
static int merge_line(struct bh_sim_ns_line *dst, struct bh_sim_ns_line *src)
{
#define M(f) do { if (is_set(src->f)) dst->f = src->f; } while (0)
#define B(f) do { if (src->f >= 0) dst->f = src->f; } while (0)
	bool item_changed = is_set(src->item) && src->item != dst->item;
	M(item);
	M(order_line);
	M(quantity);
	M(rate);
	M(amount);
	M(tax);
	M(tax_code);
	M(location);
	B(is_taxable);
	B(is_closed);
	B(item_receive);
	B(restock);
#undef M
#undef B
	/* a changed quantity or rate recomputes the amount unless one was sent */
	if ((is_set(src->quantity) || is_set(src->rate) || item_changed) && !is_set(src->amount))
		dst->amount = BH_SIM_NS_UNSET;
	if ((is_set(src->quantity) || is_set(src->rate) || is_set(src->amount) || item_changed) &&
	    !is_set(src->tax) && !ref_set(src->tax_code))
		dst->tax = BH_SIM_NS_UNSET;
	if (src->description) {
		free(dst->description);
		dst->description = src->description;
		src->description = NULL;
	}
	for (size_t i = 0; i < src->n_cf; i++)
		if (bh_sim_ns_cf_set(&dst->cf, &dst->n_cf, src->cf[i].script_id, src->cf[i].type,
				     src->cf[i].value) != BH_OK)
			return BH_ENOMEM;
	return BH_OK;
}

static void null_field(struct bh_sim_ns_rec *m, const char *name)
{
	if (strcasecmp(name, "memo") == 0) {
		free(m->memo);
		m->memo = NULL;
	} else if (strcasecmp(name, "otherRefNum") == 0) {
		free(m->other_ref_num);
		m->other_ref_num = NULL;
	} else if (strcasecmp(name, "email") == 0) {
		free(m->email);
		m->email = NULL;
	} else if (strcasecmp(name, "phone") == 0) {
		free(m->phone);
		m->phone = NULL;
	} else if (strcasecmp(name, "shippingCost") == 0) {
		m->shipping_cost = 0;
	} else if (strcasecmp(name, "discountRate") == 0 || strcasecmp(name, "discountItem") == 0) {
		free(m->discount_rate);
		m->discount_rate = NULL;
		m->discount_total = BH_SIM_NS_UNSET;
		m->discount_item = 0;
	} else {
		/* custom fields by script id */
		for (size_t i = 0; i < m->n_cf; i++) {
			if (strcasecmp(m->cf[i].script_id, name) == 0) {
				free(m->cf[i].value);
				m->cf[i].value = NULL;
			}
		}
	}
}

/* Build the merged candidate of an update: a copy of the stored record with the
 * draft's set fields applied. */
static int merge(struct bh_sim_ns *ns, const struct bh_sim_ns_rec *cur, struct bh_sim_ns_rec *d,
		 struct bh_sim_ns_rec **out)
{
	struct bh_sim_ns_rec *m = bh_sim_ns_rec_copy(cur);
	(void)ns;
	if (!m)
		return BH_ENOMEM;
	free(m->gl);
	m->gl = NULL;
	m->n_gl = 0;
#define S(f) do { if (d->f) { free(m->f); m->f = d->f; d->f = NULL; } } while (0)
#define I(f) do { if (is_set(d->f)) m->f = d->f; } while (0)
#define B(f) do { if (d->f >= 0) m->f = d->f; } while (0)
	S(external_id);
	S(entity_id);
	S(first_name);
	S(last_name);
	S(company_name);
	S(email);
	S(phone);
	S(item_id);
	S(display_name);
	S(tran_id);
	S(memo);
	S(other_ref_num);
	S(currency);
	S(order_status);
	S(payment_method);
	if (d->discount_rate) {
		free(m->discount_rate);
		m->discount_rate = d->discount_rate;
		d->discount_rate = NULL;
		m->discount_total = BH_SIM_NS_UNSET;
	}
	I(cost);
	I(price);
	I(tax_rate_ppm);
	I(income_account);
	I(entity);
	I(created_from);
	I(tran_date_ms);
	I(location);
	I(shipping_cost);
	I(ship_method);
	I(discount_item);
	I(discount_total);
	I(tax_item);
	I(account);
	B(is_person);
	B(is_inactive);
	if (d->kind != BH_SIM_NS_K_NONE)
		m->kind = d->kind;
#undef S
#undef I
#undef B
	for (size_t i = 0; i < d->n_cf; i++)
		if (bh_sim_ns_cf_set(&m->cf, &m->n_cf, d->cf[i].script_id, d->cf[i].type,
				     d->cf[i].value) != BH_OK)
			goto nomem;
	for (size_t i = 0; i < d->n_null_fields; i++)
		null_field(m, d->null_fields[i]);
	if (d->n_apply) {
		free(m->apply);
		m->apply = d->apply;
		m->n_apply = d->n_apply;
		d->apply = NULL;
		d->n_apply = 0;
	}
	if (d->lines_given || d->n_lines) {
		if (d->lines_replace_all != 0) {
			/* replace: keep the stored read-only quantities of lines that stay */
			for (size_t i = 0; i < d->n_lines; i++) {
				struct bh_sim_ns_line *old = is_set(d->lines[i].line)
								     ? bh_sim_ns_line_get(m, d->lines[i].line)
								     : NULL;
				if (old) {
					struct bh_sim_ns_line nl = *old;
					nl.description = old->description ? strdup(old->description) : NULL;
					nl.cf = NULL;
					nl.n_cf = 0;
					for (size_t k = 0; k < old->n_cf; k++)
						bh_sim_ns_cf_set(&nl.cf, &nl.n_cf, old->cf[k].script_id,
								 old->cf[k].type, old->cf[k].value);
					if (merge_line(&nl, &d->lines[i]) != BH_OK) {
						line_clear(&nl);
						goto nomem;
					}
					line_clear(&d->lines[i]);
					d->lines[i] = nl;
				} else {
					d->lines[i].qty_received = 0;
					d->lines[i].qty_billed = 0;
				}
			}
			for (size_t i = 0; i < m->n_lines; i++)
				line_clear(&m->lines[i]);
			free(m->lines);
			m->lines = d->lines;
			m->n_lines = d->n_lines;
			d->lines = NULL;
			d->n_lines = 0;
		} else {
			for (size_t i = 0; i < d->n_lines; i++) {
				struct bh_sim_ns_line *old = is_set(d->lines[i].line)
								     ? bh_sim_ns_line_get(m, d->lines[i].line)
								     : NULL;
				if (old) {
					if (merge_line(old, &d->lines[i]) != BH_OK)
						goto nomem;
				} else {
					struct bh_sim_ns_line *nl = bh_sim_ns_rec_add_line(m);
					if (!nl)
						goto nomem;
					*nl = d->lines[i];
					nl->qty_received = nl->qty_billed = 0;
					line_init(&d->lines[i]);
				}
			}
		}
	}
	*out = m;
	return BH_OK;
nomem:
	bh_sim_ns_rec_free(m);
	return BH_ENOMEM;
}

/* Move the contents of `from` into the stored record `to` (same id), freeing the old. */
static void replace_contents(struct bh_sim_ns_rec *to, struct bh_sim_ns_rec *from)
{
	struct bh_sim_ns_rec old = *to;
	*to = *from;
	/* the children list is maintained on the stored record */
	free(to->children);
	to->children = old.children;
	to->n_children = old.n_children;
	old.children = NULL;
	old.n_children = 0;
	*from = old;
	bh_sim_ns_rec_free(from);
}

static int do_update(struct bh_sim_ns *ns, struct bh_sim_ns_rec *cur, struct bh_sim_ns_rec *draft,
		     struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *m = NULL;
	int rc;
	char old_eid[400] = "";
	bool had_eid = cur->external_id != NULL;

	if (draft->created_from != BH_SIM_NS_UNSET && draft->created_from != cur->created_from &&
	    bh_sim_ns_type_group(cur->type) == BH_SIM_NS_G_TRANSACTION) {
		set_err(err, "USER_ERROR", "createdFrom",
			"You cannot change the transaction a record was created from.");
		return BH_EREJECT;
	}
	if (had_eid)
		snprintf(old_eid, sizeof(old_eid), "%s", cur->external_id);
	if (draft->external_id && (!had_eid || strcasecmp(draft->external_id, old_eid) != 0)) {
		if (find_eid_group(ns, bh_sim_ns_type_group(cur->type), draft->external_id)) {
			set_err(err, "DUP_RCRD", "externalId", "This record already exists");
			return BH_EEXIST;
		}
	}
	if ((rc = merge(ns, cur, draft, &m)) != BH_OK) {
		set_err(err, "UNEXPECTED_ERROR", "", "An unexpected error occurred.");
		return rc;
	}
	m->id = cur->id;
	effects(ns, cur, -1);
	if ((rc = prepare(ns, m, err)) != BH_OK ||
	    (bh_sim_ns_type_group(m->type) == BH_SIM_NS_G_TRANSACTION &&
	     (rc = bh_sim_ns_gl_post(ns, m, err)) != BH_OK)) {
		effects(ns, cur, +1);
		bh_sim_ns_rec_free(m);
		return rc;
	}
	if (m->external_id && (!had_eid || strcasecmp(m->external_id, old_eid) != 0)) {
		char key[420];
		if (had_eid) {
			eid_key(key, sizeof(key), bh_sim_ns_type_group(cur->type), old_eid);
			bh_sim_ns_map_del(&ns->eid, key);
		}
		eid_key(key, sizeof(key), bh_sim_ns_type_group(cur->type), m->external_id);
		if (bh_sim_ns_map_put(&ns->eid, key, cur->id) != BH_OK) {
			effects(ns, cur, +1);
			bh_sim_ns_rec_free(m);
			set_err(err, "UNEXPECTED_ERROR", "", "An unexpected error occurred.");
			return BH_ENOMEM;
		}
	}
	m->modified_ms = bh_sim_ns_now_ms(ns);
	if (m->modified_ms <= cur->modified_ms)
		m->modified_ms = cur->modified_ms + 1;
	replace_contents(cur, m);
	effects(ns, cur, +1);
	return BH_OK;
}

int bh_sim_ns_update(struct bh_sim_ns *ns, struct bh_sim_ns_rec *draft,
		     const struct bh_sim_ns_cred *perm, int64_t *id, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *cur = NULL;
	int rc;
	if (!draft) {
		set_err(err, "UNEXPECTED_ERROR", "", "An unexpected error occurred.");
		return BH_ENOMEM;
	}
	if (!perm_ok(perm, draft->type, err)) {
		rc = BH_EAUTH;
		goto out;
	}
	if (draft->id > 0)
		cur = bh_sim_ns_get(ns, draft->type, draft->id);
	else if (draft->external_id)
		cur = bh_sim_ns_find_eid(ns, draft->type, draft->external_id);
	if (!cur) {
		set_err(err, "RCRD_DSNT_EXIST", "", "That record does not exist.");
		rc = BH_ENOENT;
		goto out;
	}
	if (draft->id <= 0 && draft->external_id) {
		/* matched by externalId: it is not a change of externalId */
		free(draft->external_id);
		draft->external_id = NULL;
	}
	if ((rc = do_update(ns, cur, draft, err)) == BH_OK && id)
		*id = cur->id;
out:
	bh_sim_ns_rec_free(draft);
	return rc;
}

int bh_sim_ns_upsert(struct bh_sim_ns *ns, struct bh_sim_ns_rec *draft,
		     const struct bh_sim_ns_cred *perm, int64_t *id, bool *created,
		     struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *cur;
	int rc;
	if (created)
		*created = false;
	if (!draft) {
		set_err(err, "UNEXPECTED_ERROR", "", "An unexpected error occurred.");
		return BH_ENOMEM;
	}
	if (draft->id > 0) {
		set_err(err, "USER_ERROR", "internalId", "You cannot set internalId with upsert.");
		bh_sim_ns_rec_free(draft);
		return BH_EINVAL;
	}
	if (!draft->external_id || !*draft->external_id) {
		set_err(err, "USER_ERROR", "externalId",
			"This operation requires a value for externalId.");
		bh_sim_ns_rec_free(draft);
		return BH_EINVAL;
	}
	cur = bh_sim_ns_find_eid(ns, draft->type, draft->external_id);
	if (!cur) {
		struct bh_sim_ns_rec *other = find_eid_group(ns, bh_sim_ns_type_group(draft->type),
							     draft->external_id);
		if (other) {
			/* same group, other type: externalIds are unique per group */
			set_err(err, "DUP_RCRD", "externalId", "This record already exists");
			bh_sim_ns_rec_free(draft);
			return BH_EEXIST;
		}
		rc = bh_sim_ns_add(ns, draft, perm, id, err);
		if (rc == BH_OK && created)
			*created = true;
		return rc;
	}
	if (!perm_ok(perm, draft->type, err)) {
		bh_sim_ns_rec_free(draft);
		return BH_EAUTH;
	}
	free(draft->external_id);
	draft->external_id = NULL;
	rc = do_update(ns, cur, draft, err);
	if (rc == BH_OK && id)
		*id = cur->id;
	bh_sim_ns_rec_free(draft);
	return rc;
}

/* ------------------------------------------------------------------ initialize */

int bh_sim_ns_initialize(struct bh_sim_ns *ns, enum bh_sim_ns_type to,
			 const struct bh_sim_ns_rec *from, const struct bh_sim_ns_cred *perm,
			 struct bh_sim_ns_rec **out, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *r;
	int rc;
	*out = NULL;
	if (!perm_ok(perm, to, err))
		return BH_EAUTH;
	if ((rc = source_state_ok(ns, to, from, err)) != BH_OK)
		return rc;
	if (!(r = bh_sim_ns_rec_new(to)))
		return BH_ENOMEM;
	r->entity = from->entity;
	r->created_from = from->id;
	if (from->currency && bh_sim_ns_str_set(&r->currency, from->currency))
		goto nomem;
	if (from->location)
		r->location = from->location;
	if (to == BH_SIM_NS_T_CUSTOMER_REFUND) {
		int64_t left = from->total - from->applied;
		if (left <= 0) {
			bh_sim_ns_rec_free(r);
			return init_ref_err(err, to, from->id);
		}
		if (!(r->apply = malloc(sizeof(*r->apply))))
			goto nomem;
		r->apply[0].doc = from->id;
		r->apply[0].amount = left;
		r->n_apply = 1;
		r->total = left;
		*out = r;
		return BH_OK;
	}
	bool any_billed = false;
	for (size_t i = 0; i < from->n_lines; i++) {
		const struct bh_sim_ns_line *sl = &from->lines[i];
		if (sl->qty_billed)
			any_billed = true;
		if (!line_applies(ns, to, sl))
			continue;
		int64_t q = open_qty(ns, to, from, sl, 0);
		if (q <= 0)
			continue;
		struct bh_sim_ns_line *l = bh_sim_ns_rec_add_line(r);
		if (!l)
			goto nomem;
		l->item = sl->item;
		l->order_line = sl->line;
		l->quantity = q;
		l->location = sl->location;
		if (sl->description && !(l->description = strdup(sl->description)))
			goto nomem;
		if (to == BH_SIM_NS_T_ITEM_RECEIPT || to == BH_SIM_NS_T_ITEM_FULFILLMENT) {
			l->item_receive = 1;
			l->restock = 1;
			continue;
		}
		int64_t sq = or0(sl->quantity);
		l->rate = sl->rate;
		l->amount = (q == sq || !sq) ? sl->amount : bh_sim_ns_mul_div_round(sl->amount, q, sq);
		l->tax = (q == sq || !sq) ? sl->tax : bh_sim_ns_mul_div_round(sl->tax, q, sq);
		l->tax_code = sl->tax_code;
		l->is_taxable = sl->is_taxable;
	}
	if (!r->n_lines) {
		bh_sim_ns_rec_free(r);
		return init_ref_err(err, to, from->id);
	}
	if ((to == BH_SIM_NS_T_CASH_SALE || to == BH_SIM_NS_T_INVOICE) && !any_billed) {
		r->shipping_cost = from->shipping_cost;
		r->ship_method = from->ship_method;
		r->discount_item = from->discount_item;
		r->discount_total = from->discount_total;
	}
	if (to == BH_SIM_NS_T_RETURN_AUTHORIZATION &&
	    bh_sim_ns_str_set(&r->order_status,
			      ns->ra_requires_approval ? "_pendingApproval" : "_pendingReceipt"))
		goto nomem;
	/* totals for display (the record is not saved) */
	r->subtotal = r->tax_total = 0;
	for (size_t i = 0; i < r->n_lines; i++) {
		r->subtotal += or0(r->lines[i].amount);
		r->tax_total += or0(r->lines[i].tax);
	}
	r->total = r->subtotal + r->tax_total + or0(r->shipping_cost) + or0(r->discount_total);
	*out = r;
	return BH_OK;
nomem:
	bh_sim_ns_rec_free(r);
	set_err(err, "UNEXPECTED_ERROR", "", "An unexpected error occurred.");
	return BH_ENOMEM;
}

/* ------------------------------------------------------------------ operator actions */

static int derive_and_add(struct bh_sim_ns *ns, enum bh_sim_ns_type to, int64_t from_id,
			  enum bh_sim_ns_type from_type, bool restock, int64_t *id,
			  struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *src = bh_sim_ns_get(ns, from_type, from_id), *d = NULL;
	int rc;
	if (!src) {
		set_err(err, "RCRD_DSNT_EXIST", "", "That record does not exist.");
		return BH_ENOENT;
	}
	if ((rc = bh_sim_ns_initialize(ns, to, src, NULL, &d, err)) != BH_OK)
		return rc;
	if (to == BH_SIM_NS_T_ITEM_RECEIPT)
		for (size_t i = 0; i < d->n_lines; i++)
			d->lines[i].restock = restock ? 1 : 0;
	return bh_sim_ns_add(ns, d, NULL, id, err);
}

int bh_sim_ns_bill(struct bh_sim_ns *ns, int64_t sales_order, bool as_invoice, int64_t *id,
		   struct bh_sim_ns_err *err)
{
	return derive_and_add(ns, as_invoice ? BH_SIM_NS_T_INVOICE : BH_SIM_NS_T_CASH_SALE,
			      sales_order, BH_SIM_NS_T_SALES_ORDER, false, id, err);
}

int bh_sim_ns_fulfill(struct bh_sim_ns *ns, int64_t sales_order, int64_t *id,
		      struct bh_sim_ns_err *err)
{
	return derive_and_add(ns, BH_SIM_NS_T_ITEM_FULFILLMENT, sales_order,
			      BH_SIM_NS_T_SALES_ORDER, false, id, err);
}

int bh_sim_ns_ra_receive(struct bh_sim_ns *ns, int64_t ra, bool restock, int64_t *id,
			 struct bh_sim_ns_err *err)
{
	return derive_and_add(ns, BH_SIM_NS_T_ITEM_RECEIPT, ra, BH_SIM_NS_T_RETURN_AUTHORIZATION,
			      restock, id, err);
}

static struct bh_sim_ns_rec *ra_get(struct bh_sim_ns *ns, int64_t ra, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *r = bh_sim_ns_get(ns, BH_SIM_NS_T_RETURN_AUTHORIZATION, ra);
	if (!r)
		set_err(err, "RCRD_DSNT_EXIST", "", "That record does not exist.");
	return r;
}

static void touch(struct bh_sim_ns *ns, struct bh_sim_ns_rec *r)
{
	int64_t now = bh_sim_ns_now_ms(ns);
	r->modified_ms = now > r->modified_ms ? now : r->modified_ms + 1;
}

int bh_sim_ns_ra_close(struct bh_sim_ns *ns, int64_t ra, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *r = ra_get(ns, ra, err);
	bool changed = false;
	if (!r)
		return BH_ENOENT;
	for (size_t i = 0; i < r->n_lines; i++) {
		if (r->lines[i].is_closed != 1) {
			r->lines[i].is_closed = 1;
			changed = true;
		}
	}
	if (changed)
		touch(ns, r);
	return BH_OK;
}

int bh_sim_ns_ra_cancel(struct bh_sim_ns *ns, int64_t ra, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *r = ra_get(ns, ra, err);
	if (!r)
		return BH_ENOENT;
	if (r->cancelled == 1)
		return BH_OK;
	if (status_of(ns, r) != ST_RA_A) {
		set_err(err, "CANT_CANCEL_APPRVD_RETRN_AUTH", "",
			"You cannot cancel this return authorization because it has already been approved.");
		return BH_EREJECT;
	}
	r->cancelled = 1;
	touch(ns, r);
	return BH_OK;
}

int bh_sim_ns_ra_approve(struct bh_sim_ns *ns, int64_t ra, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *r = ra_get(ns, ra, err);
	if (!r)
		return BH_ENOENT;
	if (status_of(ns, r) != ST_RA_A) {
		set_err(err, "USER_ERROR", "orderStatus",
			"This return authorization is not pending approval.");
		return BH_EREJECT;
	}
	if (bh_sim_ns_str_set(&r->order_status, "_pendingReceipt") != BH_OK)
		return BH_ENOMEM;
	touch(ns, r);
	return BH_OK;
}

int bh_sim_ns_ra_flag(struct bh_sim_ns *ns, int64_t ra, bool value, struct bh_sim_ns_err *err)
{
	struct bh_sim_ns_rec *r = ra_get(ns, ra, err);
	if (!r)
		return BH_ENOENT;
	if (bh_sim_ns_cf_set(&r->cf, &r->n_cf, ns->flag_field, BH_SIM_NS_CF_BOOLEAN,
			     value ? "true" : "false") != BH_OK)
		return BH_ENOMEM;
	touch(ns, r);
	return BH_OK;
}
