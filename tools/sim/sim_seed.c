/*
 * sim_seed.c - deterministic seed data: catalog, customers and Shopify orders.
 *
 * Purpose: POST /control/seed, `backhaul-sim --seed N` and `--print-seed N` produce a
 * realistic data set from a seed: apparel and home-goods SKUs ("TEE-BLK-M") with
 * decimal-string prices and costs, special NetSuite items (gift card, restocking fee,
 * shipping, discount, tax), customers, and orders in Shopify REST shape with line and
 * order discounts, 8 % tax, shipping, split tenders (card + gift card), gift-card
 * purchases, and Shopify-sized ids (order and line item ids cross 2^53 about half-way,
 * so both sides of the double-precision limit are exercised).
 *
 * Determinism: a xoshiro256** PRNG seeded through splitmix64 from opts.seed; no clock,
 * no rand(), no hash-order iteration; json-c keeps insertion order and rates are
 * serialised from fixed text. Same options -> byte-identical JSON.
 *
 * Money (integer cents internally, decimal strings out; never floating point):
 *   - Discounts are computed per unit. A percentage discount gives each unit
 *     round_half_up(unit price x pct); a line-level discount applies first and an
 *     order-level percentage code then applies to the reduced unit price. A line's
 *     allocation is quantity x its unit discount. Fixed-amount codes ("SAVE5") are only
 *     generated for orders whose lines all have quantity 1; they are split across the
 *     lines in proportion to their net amounts by the largest-remainder method (ties to
 *     the earlier line), so the allocations add up to the code's amount exactly.
 *   - Tax is computed per unit on the discounted unit price, rounded half up to the
 *     cent, and multiplied by the quantity: line tax = qty x round_half_up((price -
 *     unit discounts) x rate). Gift-card lines and shipping are not taxed.
 *   - total_line_items_price = sum(price x qty); total_discounts = sum(allocations);
 *     subtotal_price = total_line_items_price - total_discounts; total_tax = sum(line
 *     tax); total_price = subtotal_price + total_tax + shipping. Tenders add up to
 *     total_price exactly.
 *
 * Threading: generation is pure (no shared state). Apply uses bh_sim_control_call.
 */
#include "sim_seed.h"
#include "sim.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#define TWO_POW_53 9007199254740992LL

/* ------------------------------------------------------------------------ PRNG */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), n > 0 (rejection sampling: no modulo bias). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;

	do {
		x = rng_next(r);
	} while (x >= limit);
	return x % n;
}

/* True with probability pct/100. */
static bool rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

/* ----------------------------------------------------------------------- catalog */

struct product {
	const char *code, *title;
	int64_t price, cost;    /* cents */
	bool sized;
};

static const struct product products[] = {
	{ "TEE", "Classic Tee", 4000, 1500, true },
	{ "HOODIE", "Pullover Hoodie", 6000, 2400, true },
	{ "JACKET", "Rain Jacket", 10000, 4200, true },
	{ "SWEATER", "Merino Sweater", 8500, 3300, true },
	{ "SHORTS", "Trail Shorts", 4500, 1750, true },
	{ "JEANS", "Slim Jeans", 7000, 2700, true },
	{ "CAP", "Dad Cap", 2500, 900, false },
	{ "MUG", "Stoneware Mug", 1200, 425, false },
	{ "BEANIE", "Rib Beanie", 2200, 750, false },
	{ "TOTE", "Canvas Tote", 1800, 600, false },
	{ "SOCKS", "Wool Socks", 1400, 480, false },
	{ "CANDLE", "Soy Candle", 2400, 840, false },
	{ "BLANKET", "Throw Blanket", 8900, 3500, false },
	{ "PILLOW", "Linen Pillow Cover", 3200, 1100, false },
};
#define N_PRODUCTS (sizeof(products) / sizeof(products[0]))

static const char *const colors[][2] = {
	{ "BLK", "Black" }, { "WHT", "White" }, { "NVY", "Navy" },
	{ "GRY", "Grey" },  { "OLV", "Olive" }, { "RED", "Red" },
};
#define N_COLORS (sizeof(colors) / sizeof(colors[0]))

static const char *const sizes[] = { "S", "M", "L", "XL" };
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* Scenario SKUs (SCENARIOS.md) come first so small catalogs still have them. */
static const char *const anchors[] = {
	"TEE-BLK-M", "TEE-BLK-L", "MUG-WHT", "HOODIE-GRY-M", "CAP-BLK", "JACKET-NVY-M",
};
#define N_ANCHORS (sizeof(anchors) / sizeof(anchors[0]))

#define MAX_ITEMS 192 /* 6 sized x 6 colors x 4 sizes + 8 x 6 colors */

struct sku {
	char sku[24];
	char title[48];
	char variant_title[24];
	int64_t price, cost;
	int64_t product_id, variant_id;
};

static void make_sku(struct sku *s, size_t p, size_t c, int sz, const int64_t *product_ids)
{
	const struct product *pr = &products[p];

	memset(s, 0, sizeof(*s));
	if (pr->sized) {
		snprintf(s->sku, sizeof(s->sku), "%s-%s-%s", pr->code, colors[c][0], sizes[sz]);
		snprintf(s->variant_title, sizeof(s->variant_title), "%s / %s", colors[c][1],
			 sizes[sz]);
	} else {
		snprintf(s->sku, sizeof(s->sku), "%s-%s", pr->code, colors[c][0]);
		snprintf(s->variant_title, sizeof(s->variant_title), "%s", colors[c][1]);
	}
	snprintf(s->title, sizeof(s->title), "%s", pr->title);
	s->price = pr->price + (pr->sized && sz == 3 ? 200 : 0);
	s->cost = pr->cost + (pr->sized && sz == 3 ? 75 : 0);
	s->product_id = product_ids[p];
	/* Variant ids: a stable 14-digit id per (product, color, size). */
	s->variant_id = 44000000000000LL + (int64_t)p * 1000000 + (int64_t)c * 1000 +
			(pr->sized ? sz : 0) * 10 + 7;
}

/* ------------------------------------------------------------------------ helpers */

static struct json_object *money(int64_t cents)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s%" PRId64 ".%02" PRId64, cents < 0 ? "-" : "",
		 (cents < 0 ? -cents : cents) / 100, (cents < 0 ? -cents : cents) % 100);
	return json_object_new_string(buf);
}

static int64_t round_half_up_ppm(int64_t cents, unsigned ppm)
{
	return (cents * (int64_t)ppm + 500000) / 1000000;
}

static void fmt_time(int64_t epoch, char *buf, size_t n)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static void rate_text(unsigned ppm, char *buf, size_t n)
{
	/* 80000 -> "0.08", 82500 -> "0.0825" */
	char frac[8];
	int len;

	snprintf(frac, sizeof(frac), "%06u", ppm % 1000000);
	len = 6;
	while (len > 1 && frac[len - 1] == '0')
		frac[--len] = '\0';
	snprintf(buf, n, "%u.%s", ppm / 1000000, frac);
}

static struct json_object *rate_json(unsigned ppm)
{
	char buf[24];

	rate_text(ppm, buf, sizeof(buf));
	return json_object_new_double_s(strtod(buf, NULL), buf);
}

void bh_sim_seed_defaults(struct bh_sim_seed_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 42;
	o->items = 40;
	o->orders = 200;
	o->customers = 60;
	o->start = 1793491200; /* 2026-11-01T00:00:00Z */
	o->order_name_start = 1001;
	o->tax_ppm = 80000;
}

static int parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int parse_rate(const char *s, unsigned *ppm)
{
	unsigned long whole = 0, frac = 0;
	int digits = 0;
	const char *p = s;

	if (!*p)
		return -1;
	while (*p >= '0' && *p <= '9')
		whole = whole * 10 + (unsigned long)(*p++ - '0');
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && digits < 6) {
			frac = frac * 10 + (unsigned long)(*p++ - '0');
			digits++;
		}
	}
	if (*p || whole > 0)
		return -1; /* digits beyond 6 decimals, junk, or a rate >= 100 % */
	while (digits++ < 6)
		frac *= 10;
	*ppm = (unsigned)frac;
	return 0;
}

static int get_count(struct json_object *v, const char *key, unsigned max, unsigned *out,
		     char *err, size_t errlen)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "%s must be an integer", key);
		return -1;
	}
	n = json_object_get_int64(v);
	if (n < 0 || n > (int64_t)max) {
		snprintf(err, errlen, "%s must be between 0 and %u", key, max);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

int bh_sim_seed_opts_from_json(struct bh_sim_seed_opts *o, struct json_object *j,
			       char *err, size_t errlen)
{
	struct json_object_iterator it, end;

	if (!j)
		return 0;
	if (!json_object_is_type(j, json_type_object)) {
		snprintf(err, errlen, "seed options must be a JSON object");
		return -1;
	}
	it = json_object_iter_begin(j);
	end = json_object_iter_end(j);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);

		if (strcmp(key, "seed") == 0) {
			if (!json_object_is_type(v, json_type_int) ||
			    json_object_get_int64(v) < 0) {
				snprintf(err, errlen, "seed must be a non-negative integer");
				return -1;
			}
			o->seed = (uint64_t)json_object_get_int64(v);
		} else if (strcmp(key, "items") == 0) {
			if (get_count(v, key, MAX_ITEMS, &o->items, err, errlen))
				return -1;
		} else if (strcmp(key, "orders") == 0) {
			if (get_count(v, key, 100000, &o->orders, err, errlen))
				return -1;
		} else if (strcmp(key, "customers") == 0) {
			if (get_count(v, key, 100000, &o->customers, err, errlen))
				return -1;
		} else if (strcmp(key, "order_name_start") == 0) {
			if (get_count(v, key, 999999999, &o->order_name_start, err, errlen))
				return -1;
		} else if (strcmp(key, "start") == 0) {
			if (!json_object_is_type(v, json_type_string) ||
			    parse_time(json_object_get_string(v), &o->start) != 0) {
				snprintf(err, errlen,
					 "start must be a UTC time like 2026-11-01T00:00:00Z");
				return -1;
			}
		} else if (strcmp(key, "tax_rate") == 0) {
			if (!json_object_is_type(v, json_type_string) ||
			    parse_rate(json_object_get_string(v), &o->tax_ppm) != 0) {
				snprintf(err, errlen,
					 "tax_rate must be a decimal string below 1, e.g. \"0.08\"");
				return -1;
			}
		} else {
			snprintf(err, errlen, "unknown seed option '%s'", key);
			return -1;
		}
	}
	return 0;
}

/* -------------------------------------------------------------------- generation */

static const char *const first_names[] = {
	"Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Chloe", "Lucas", "Nora", "Mateo",
	"Ivy", "Owen", "Leah", "Caleb", "Ruby", "Elias", "Hana", "Jonah", "Sofia", "Theo",
	"Amara", "Felix", "Iris", "Milo", "Priya", "Oscar", "Lena", "Arjun", "Clara", "Kai",
};
static const char *const last_names[] = {
	"Nguyen", "Garcia", "Smith", "Okafor", "Kowalski", "Tanaka", "Silva", "Muller",
	"Haddad", "Johnson", "Rossi", "Kim", "Dubois", "Patel", "Larsen", "Moreau", "Chen",
	"Novak", "Brown", "Alvarez", "Ibrahim", "Walsh", "Sato", "Fischer", "Costa",
	"Reyes", "Olsen", "Bauer", "Singh", "Murphy",
};
#define N_FIRST (sizeof(first_names) / sizeof(first_names[0]))
#define N_LAST (sizeof(last_names) / sizeof(last_names[0]))

struct customer {
	int64_t id;
	char first[16], last[16], email[64];
};

struct gen {
	struct rng r;
	const struct bh_sim_seed_opts *o;
	struct sku *skus;
	size_t n_skus;
	struct customer *cust;
	int64_t next_line_id;
	int64_t next_txn_id;
	int64_t next_gift_card_id;
};

static void lower_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
	dst[i] = '\0';
}

static struct json_object *tax_lines_json(int64_t tax, unsigned ppm)
{
	struct json_object *a = json_object_new_array();
	struct json_object *t;

	if (tax <= 0)
		return a;
	t = json_object_new_object();
	json_object_object_add(t, "title", json_object_new_string("Sales Tax"));
	json_object_object_add(t, "rate", rate_json(ppm));
	json_object_object_add(t, "price", money(tax));
	json_object_array_add(a, t);
	return a;
}

static void build_catalog(struct gen *g)
{
	int64_t product_ids[N_PRODUCTS];
	size_t total = 0, n_take;
	struct sku *all = calloc(MAX_ITEMS, sizeof(*all));
	bool *used = calloc(MAX_ITEMS, sizeof(*used));

	for (size_t p = 0; p < N_PRODUCTS; p++)
		product_ids[p] = 7800000000000LL + (int64_t)p * 1000003 +
				 (int64_t)rng_below(&g->r, 1000);
	for (size_t p = 0; p < N_PRODUCTS; p++)
		for (size_t c = 0; c < N_COLORS; c++)
			for (int sz = 0; sz < (products[p].sized ? (int)N_SIZES : 1); sz++)
				make_sku(&all[total++], p, c, sz, product_ids);

	g->skus = calloc(MAX_ITEMS, sizeof(*g->skus));
	n_take = g->o->items < total ? g->o->items : total;
	/* Anchors first (in their fixed order), then a deterministic shuffle of the rest. */
	for (size_t a = 0; a < N_ANCHORS && g->n_skus < n_take; a++)
		for (size_t i = 0; i < total; i++)
			if (!used[i] && strcmp(all[i].sku, anchors[a]) == 0) {
				g->skus[g->n_skus++] = all[i];
				used[i] = true;
				break;
			}
	{
		size_t rest_n = 0;
		size_t *rest = calloc(total, sizeof(*rest));

		for (size_t i = 0; i < total; i++)
			if (!used[i])
				rest[rest_n++] = i;
		for (size_t i = rest_n; i > 1; i--) {
			size_t j = (size_t)rng_below(&g->r, i);
			size_t t = rest[i - 1];

			rest[i - 1] = rest[j];
			rest[j] = t;
		}
		for (size_t i = 0; i < rest_n && g->n_skus < n_take; i++)
			g->skus[g->n_skus++] = all[rest[i]];
		free(rest);
	}
	free(all);
	free(used);
}

static struct json_object *items_json(const struct gen *g)
{
	static const char *const special[][3] = {
		{ "GIFT-CARD", "Gift Card", "giftcard" },
		{ "RESTOCKING-FEE", "Restocking Fee", "fee" },
		{ "SHIPPING", "Shipping", "shipping" },
		{ "DISCOUNT", "Discount", "discount" },
		{ "SALES-TAX", "Sales Tax", "tax" },
	};
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < g->n_skus; i++) {
		const struct sku *s = &g->skus[i];
		struct json_object *it = json_object_new_object();
		char name[96];

		snprintf(name, sizeof(name), "%s - %s", s->title, s->variant_title);
		json_object_object_add(it, "sku", json_object_new_string(s->sku));
		json_object_object_add(it, "name", json_object_new_string(name));
		json_object_object_add(it, "type", json_object_new_string("inventory"));
		json_object_object_add(it, "cost", money(s->cost));
		json_object_object_add(it, "price", money(s->price));
		json_object_array_add(a, it);
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		struct json_object *it = json_object_new_object();

		json_object_object_add(it, "sku", json_object_new_string(special[i][0]));
		json_object_object_add(it, "name", json_object_new_string(special[i][1]));
		json_object_object_add(it, "type", json_object_new_string(special[i][2]));
		json_object_object_add(it, "cost", money(0));
		json_object_object_add(it, "price", money(0));
		json_object_array_add(a, it);
	}
	return a;
}

static struct json_object *customers_json(struct gen *g)
{
	struct json_object *a = json_object_new_array();
	int64_t id = 6800000000000LL;

	g->cust = calloc(g->o->customers ? g->o->customers : 1, sizeof(*g->cust));
	for (unsigned i = 0; i < g->o->customers; i++) {
		struct customer *c = &g->cust[i];
		struct json_object *j = json_object_new_object();
		char f[16], l[16];

		id += 1000 + (int64_t)rng_below(&g->r, 5000000);
		c->id = id;
		snprintf(c->first, sizeof(c->first), "%s",
			 first_names[rng_below(&g->r, N_FIRST)]);
		snprintf(c->last, sizeof(c->last), "%s", last_names[rng_below(&g->r, N_LAST)]);
		lower_copy(f, sizeof(f), c->first);
		lower_copy(l, sizeof(l), c->last);
		snprintf(c->email, sizeof(c->email), "%s.%s%u@example.com", f, l, i + 1);
		json_object_object_add(j, "id", json_object_new_int64(c->id));
		json_object_object_add(j, "email", json_object_new_string(c->email));
		json_object_object_add(j, "first_name", json_object_new_string(c->first));
		json_object_object_add(j, "last_name", json_object_new_string(c->last));
		json_object_array_add(a, j);
	}
	return a;
}

/* One order line while the order is being built. */
struct line {
	const struct sku *s;        /* NULL: gift card purchase */
	int64_t price;
	int qty;
	int64_t unit_line_disc;     /* line-level automatic discount per unit */
	int64_t unit_code_disc;     /* order-level percentage code per unit */
	int64_t code_alloc;         /* order-level allocation for the whole line */
	int64_t tax;
};

static struct json_object *discount_app(const char *type, const char *title_or_code,
					const char *value, const char *value_type,
					const char *method, const char *selection)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "target_type", json_object_new_string("line_item"));
	json_object_object_add(d, "type", json_object_new_string(type));
	json_object_object_add(d, "value", json_object_new_string(value));
	json_object_object_add(d, "value_type", json_object_new_string(value_type));
	json_object_object_add(d, "allocation_method", json_object_new_string(method));
	json_object_object_add(d, "target_selection", json_object_new_string(selection));
	json_object_object_add(d, strcmp(type, "discount_code") == 0 ? "code" : "title",
			       json_object_new_string(title_or_code));
	return d;
}

static struct json_object *allocation(int64_t amount, int index)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "amount", money(amount));
	json_object_object_add(a, "discount_application_index", json_object_new_int(index));
	return a;
}

static struct json_object *transaction(struct gen *g, const char *gateway, int64_t amount,
				       const char *when)
{
	struct json_object *t = json_object_new_object();

	g->next_txn_id += 1 + (int64_t)rng_below(&g->r, 900000);
	json_object_object_add(t, "id", json_object_new_int64(g->next_txn_id));
	json_object_object_add(t, "kind", json_object_new_string("sale"));
	json_object_object_add(t, "status", json_object_new_string("success"));
	json_object_object_add(t, "gateway", json_object_new_string(gateway));
	json_object_object_add(t, "amount", money(amount));
	json_object_object_add(t, "currency", json_object_new_string("USD"));
	json_object_object_add(t, "processed_at", json_object_new_string(when));
	if (strcmp(gateway, "gift_card") == 0) {
		struct json_object *rc = json_object_new_object();
		char last4[8];

		g->next_gift_card_id += 1 + (int64_t)rng_below(&g->r, 100000);
		snprintf(last4, sizeof(last4), "%04" PRId64, g->next_gift_card_id % 10000);
		json_object_object_add(rc, "gift_card_id",
				       json_object_new_int64(g->next_gift_card_id));
		json_object_object_add(rc, "gift_card_last_characters",
				       json_object_new_string(last4));
		json_object_object_add(t, "receipt", rc);
	}
	return t;
}

static struct json_object *make_order(struct gen *g, unsigned idx, int64_t order_id,
				      int64_t created)
{
	static const int64_t gift_card_values[] = { 2500, 5000, 10000 };
	static const int64_t gift_tender_values[] = { 1000, 2500, 5000 };
	struct json_object *o = json_object_new_object();
	struct json_object *apps = json_object_new_array();
	struct json_object *lines_j = json_object_new_array();
	struct json_object *ship_j = json_object_new_array();
	struct json_object *codes_j = json_object_new_array();
	struct json_object *txns = json_object_new_array();
	struct json_object *gateways = json_object_new_array();
	struct line lines[6];
	int n = 0, n_merch, auto_index = -1, code_index = -1;
	unsigned r;
	bool all_qty1 = true;
	int64_t items_total = 0, disc_total = 0, tax_total = 0, ship_total = 0, total;
	int64_t merch_net = 0;
	char when[40], name[24], gid[64];
	const struct customer *c = NULL;

	fmt_time(created, when, sizeof(when));
	memset(lines, 0, sizeof(lines));

	/* Lines: 1-4 distinct SKUs, quantity 1-3. */
	r = (unsigned)rng_below(&g->r, 100);
	n_merch = r < 50 ? 1 : r < 80 ? 2 : r < 95 ? 3 : 4;
	if ((size_t)n_merch > g->n_skus)
		n_merch = (int)g->n_skus;
	for (int i = 0; i < n_merch; i++) {
		const struct sku *s;
		bool dup;

		do {
			s = &g->skus[rng_below(&g->r, g->n_skus)];
			dup = false;
			for (int k = 0; k < n; k++)
				dup = dup || lines[k].s == s;
		} while (dup);
		lines[n].s = s;
		lines[n].price = s->price;
		r = (unsigned)rng_below(&g->r, 100);
		lines[n].qty = r < 70 ? 1 : r < 90 ? 2 : 3;
		if (lines[n].qty != 1)
			all_qty1 = false;
		n++;
	}
	/* A gift card purchase now and then (or the only line when the catalog is empty). */
	if (rng_pct(&g->r, 4) || n == 0) {
		lines[n].s = NULL;
		lines[n].price = gift_card_values[rng_below(&g->r, 3)];
		lines[n].qty = 1;
		n++;
	}

	/* Line-level automatic discount: 15 % off some lines. */
	for (int i = 0; i < n; i++) {
		if (!lines[i].s || !rng_pct(&g->r, 15))
			continue;
		if (auto_index < 0) {
			auto_index = (int)json_object_array_length(apps);
			json_object_array_add(apps, discount_app("automatic", "Seasonal 15% off",
								 "15.0", "percentage", "each",
								 "entitled"));
		}
		lines[i].unit_line_disc = round_half_up_ppm(lines[i].price, 150000);
	}

	/* Order-level code on about a quarter of the orders. */
	if (n > 0 && rng_pct(&g->r, 25)) {
		bool fixed = all_qty1 && rng_pct(&g->r, 30);

		for (int i = 0; i < n; i++)
			if (lines[i].s)
				merch_net += (lines[i].price - lines[i].unit_line_disc) *
					     lines[i].qty;
		if (fixed && merch_net > 2000) {
			int64_t amount = merch_net > 6000 && rng_pct(&g->r, 50) ? 1000 : 500;
			const char *code = amount == 1000 ? "TAKE10" : "SAVE5";
			int64_t given = 0, rem[6] = { 0 };

			code_index = (int)json_object_array_length(apps);
			json_object_array_add(apps, discount_app("discount_code", code,
								 amount == 1000 ? "10.0" : "5.0",
								 "fixed_amount", "across", "all"));
			/* Largest remainder, proportional to net line amounts. */
			for (int i = 0; i < n; i++) {
				int64_t net;

				if (!lines[i].s)
					continue;
				net = (lines[i].price - lines[i].unit_line_disc) * lines[i].qty;
				lines[i].code_alloc = amount * net / merch_net;
				rem[i] = amount * net % merch_net;
				given += lines[i].code_alloc;
			}
			while (given < amount) {
				int best = -1;

				for (int i = 0; i < n; i++)
					if (lines[i].s && (best < 0 || rem[i] > rem[best]))
						best = i;
				lines[best].code_alloc++;
				rem[best] = -1;
				given++;
			}
			for (int i = 0; i < n; i++)
				if (lines[i].s)
					lines[i].unit_code_disc = lines[i].code_alloc; /* qty 1 */
			{
				struct json_object *dc = json_object_new_object();

				json_object_object_add(dc, "code", json_object_new_string(code));
				json_object_object_add(dc, "amount", money(amount));
				json_object_object_add(dc, "type",
						       json_object_new_string("fixed_amount"));
				json_object_array_add(codes_j, dc);
			}
		} else if (merch_net > 0) {
			int64_t sum = 0;

			code_index = (int)json_object_array_length(apps);
			json_object_array_add(apps, discount_app("discount_code", "WELCOME10",
								 "10.0", "percentage", "across",
								 "all"));
			for (int i = 0; i < n; i++) {
				if (!lines[i].s)
					continue;
				lines[i].unit_code_disc = round_half_up_ppm(
					lines[i].price - lines[i].unit_line_disc, 100000);
				lines[i].code_alloc = lines[i].unit_code_disc * lines[i].qty;
				sum += lines[i].code_alloc;
			}
			{
				struct json_object *dc = json_object_new_object();

				json_object_object_add(dc, "code",
						       json_object_new_string("WELCOME10"));
				json_object_object_add(dc, "amount", money(sum));
				json_object_object_add(dc, "type",
						       json_object_new_string("percentage"));
				json_object_array_add(codes_j, dc);
			}
		}
	}

	/* Lines out, with per-unit tax. */
	for (int i = 0; i < n; i++) {
		struct line *l = &lines[i];
		struct json_object *li = json_object_new_object();
		struct json_object *allocs = json_object_new_array();
		int64_t unit_net = l->price - l->unit_line_disc - l->unit_code_disc;
		char title[96];

		g->next_line_id += 1 + (int64_t)rng_below(&g->r, 999);
		l->tax = l->s ? round_half_up_ppm(unit_net, g->o->tax_ppm) * l->qty : 0;
		items_total += l->price * l->qty;
		if (l->unit_line_disc) {
			json_object_array_add(allocs, allocation(l->unit_line_disc * l->qty,
								 auto_index));
			disc_total += l->unit_line_disc * l->qty;
		}
		if (l->code_alloc) {
			json_object_array_add(allocs, allocation(l->code_alloc, code_index));
			disc_total += l->code_alloc;
		}
		tax_total += l->tax;
		snprintf(gid, sizeof(gid), "gid://shopify/LineItem/%" PRId64, g->next_line_id);
		json_object_object_add(li, "id", json_object_new_int64(g->next_line_id));
		json_object_object_add(li, "admin_graphql_api_id", json_object_new_string(gid));
		if (l->s) {
			snprintf(title, sizeof(title), "%s - %s", l->s->title,
				 l->s->variant_title);
			json_object_object_add(li, "variant_id",
					       json_object_new_int64(l->s->variant_id));
			json_object_object_add(li, "product_id",
					       json_object_new_int64(l->s->product_id));
			json_object_object_add(li, "sku", json_object_new_string(l->s->sku));
			json_object_object_add(li, "title", json_object_new_string(l->s->title));
			json_object_object_add(li, "variant_title",
					       json_object_new_string(l->s->variant_title));
			json_object_object_add(li, "name", json_object_new_string(title));
		} else {
			json_object_object_add(li, "variant_id", NULL);
			json_object_object_add(li, "product_id", NULL);
			json_object_object_add(li, "sku", json_object_new_string("GIFT-CARD"));
			json_object_object_add(li, "title", json_object_new_string("Gift Card"));
			json_object_object_add(li, "variant_title", NULL);
			json_object_object_add(li, "name", json_object_new_string("Gift Card"));
		}
		json_object_object_add(li, "quantity", json_object_new_int(l->qty));
		json_object_object_add(li, "price", money(l->price));
		json_object_object_add(li, "gift_card", json_object_new_boolean(!l->s));
		json_object_object_add(li, "taxable", json_object_new_boolean(l->s != NULL));
		json_object_object_add(li, "requires_shipping",
				       json_object_new_boolean(l->s != NULL));
		json_object_object_add(li, "fulfillment_service",
				       json_object_new_string("manual"));
		json_object_object_add(li, "tax_lines", tax_lines_json(l->tax, g->o->tax_ppm));
		json_object_object_add(li, "discount_allocations", allocs);
		json_object_array_add(lines_j, li);
	}

	/* Shipping (untaxed) when something ships. */
	if (n_merch > 0 && rng_pct(&g->r, 85)) {
		struct json_object *sl = json_object_new_object();
		int64_t price;
		const char *title, *code;

		r = (unsigned)rng_below(&g->r, 100);
		if (items_total - disc_total >= 10000 || r < 15) {
			price = 0;
			title = "Free Shipping";
			code = "FREE";
		} else if (r < 75) {
			price = 500;
			title = "Standard Shipping";
			code = "STANDARD";
		} else {
			price = 1500;
			title = "Express Shipping";
			code = "EXPRESS";
		}
		g->next_line_id += 1 + (int64_t)rng_below(&g->r, 999);
		json_object_object_add(sl, "id", json_object_new_int64(g->next_line_id));
		json_object_object_add(sl, "title", json_object_new_string(title));
		json_object_object_add(sl, "code", json_object_new_string(code));
		json_object_object_add(sl, "source", json_object_new_string("shopify"));
		json_object_object_add(sl, "price", money(price));
		json_object_object_add(sl, "discounted_price", money(price));
		json_object_object_add(sl, "tax_lines", json_object_new_array());
		json_object_object_add(sl, "discount_allocations", json_object_new_array());
		json_object_array_add(ship_j, sl);
		ship_total += price;
	}
	total = items_total - disc_total + tax_total + ship_total;

	/* Tenders: mostly card; some split with a gift card; some gift card only. */
	r = (unsigned)rng_below(&g->r, 100);
	if (total > 0) {
		int64_t gift = 0;

		if (r < 4)
			gift = total;
		else if (r < 16)
			gift = gift_tender_values[rng_below(&g->r, 3)];
		if (gift > total)
			gift = total;
		if (gift > 0) {
			json_object_array_add(txns, transaction(g, "gift_card", gift, when));
			json_object_array_add(gateways, json_object_new_string("gift_card"));
		}
		if (total - gift > 0) {
			json_object_array_add(txns, transaction(g, "shopify_payments",
								total - gift, when));
			json_object_array_add(gateways,
					      json_object_new_string("shopify_payments"));
		}
	}

	if (g->o->customers)
		c = &g->cust[rng_below(&g->r, g->o->customers)];

	snprintf(name, sizeof(name), "#%u", g->o->order_name_start + idx);
	snprintf(gid, sizeof(gid), "gid://shopify/Order/%" PRId64, order_id);
	json_object_object_add(o, "id", json_object_new_int64(order_id));
	json_object_object_add(o, "admin_graphql_api_id", json_object_new_string(gid));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "order_number",
			       json_object_new_int64((int64_t)g->o->order_name_start + idx));
	json_object_object_add(o, "number", json_object_new_int64((int64_t)idx + 1));
	if (c) {
		json_object_object_add(o, "email", json_object_new_string(c->email));
	} else {
		char guest[48];

		snprintf(guest, sizeof(guest), "guest%u@example.com", idx + 1);
		json_object_object_add(o, "email", json_object_new_string(guest));
	}
	json_object_object_add(o, "created_at", json_object_new_string(when));
	json_object_object_add(o, "updated_at", json_object_new_string(when));
	json_object_object_add(o, "processed_at", json_object_new_string(when));
	json_object_object_add(o, "currency", json_object_new_string("USD"));
	json_object_object_add(o, "presentment_currency", json_object_new_string("USD"));
	json_object_object_add(o, "financial_status", json_object_new_string("paid"));
	json_object_object_add(o, "fulfillment_status", NULL);
	json_object_object_add(o, "source_name", json_object_new_string("web"));
	json_object_object_add(o, "test", json_object_new_boolean(0));
	json_object_object_add(o, "taxes_included", json_object_new_boolean(0));
	json_object_object_add(o, "tags", json_object_new_string(""));
	json_object_object_add(o, "total_line_items_price", money(items_total));
	json_object_object_add(o, "total_discounts", money(disc_total));
	json_object_object_add(o, "subtotal_price", money(items_total - disc_total));
	json_object_object_add(o, "total_tax", money(tax_total));
	{
		struct json_object *set = json_object_new_object();
		struct json_object *shop = json_object_new_object();
		struct json_object *pres = json_object_new_object();

		json_object_object_add(shop, "amount", money(ship_total));
		json_object_object_add(shop, "currency_code", json_object_new_string("USD"));
		json_object_object_add(pres, "amount", money(ship_total));
		json_object_object_add(pres, "currency_code", json_object_new_string("USD"));
		json_object_object_add(set, "shop_money", shop);
		json_object_object_add(set, "presentment_money", pres);
		json_object_object_add(o, "total_shipping_price_set", set);
	}
	json_object_object_add(o, "total_price", money(total));
	json_object_object_add(o, "tax_lines", tax_lines_json(tax_total, g->o->tax_ppm));
	json_object_object_add(o, "payment_gateway_names", gateways);
	json_object_object_add(o, "discount_codes", codes_j);
	json_object_object_add(o, "discount_applications", apps);
	if (c) {
		struct json_object *cj = json_object_new_object();

		json_object_object_add(cj, "id", json_object_new_int64(c->id));
		json_object_object_add(cj, "email", json_object_new_string(c->email));
		json_object_object_add(cj, "first_name", json_object_new_string(c->first));
		json_object_object_add(cj, "last_name", json_object_new_string(c->last));
		json_object_object_add(o, "customer", cj);
	} else {
		json_object_object_add(o, "customer", NULL);
	}
	json_object_object_add(o, "line_items", lines_j);
	json_object_object_add(o, "shipping_lines", ship_j);
	json_object_object_add(o, "transactions", txns);
	return o;
}

struct json_object *bh_sim_seed_generate(const struct bh_sim_seed_opts *o, char *err,
					 size_t errlen)
{
	struct gen g;
	struct json_object *root, *orders;
	char when[40], rate[24];
	int64_t created, order_id;

	if (o->items > MAX_ITEMS) {
		snprintf(err, errlen, "at most %u items", (unsigned)MAX_ITEMS);
		return NULL;
	}
	memset(&g, 0, sizeof(g));
	g.o = o;
	rng_init(&g.r, o->seed);
	/* Ids rise with time and cross 2^53 about half-way through the orders. */
	order_id = TWO_POW_53 - (int64_t)(o->orders / 2) * 1500000;
	g.next_line_id = TWO_POW_53 - (int64_t)o->orders * 1500;
	g.next_txn_id = 8100000000000LL;
	g.next_gift_card_id = 5200000000LL;

	root = json_object_new_object();
	fmt_time(o->start, when, sizeof(when));
	rate_text(o->tax_ppm, rate, sizeof(rate));
	json_object_object_add(root, "seed", json_object_new_int64((int64_t)o->seed));
	json_object_object_add(root, "start", json_object_new_string(when));
	json_object_object_add(root, "tax_rate", json_object_new_string(rate));
	build_catalog(&g);
	json_object_object_add(root, "items", items_json(&g));
	json_object_object_add(root, "customers", customers_json(&g));

	orders = json_object_new_array();
	created = o->start;
	for (unsigned i = 0; i < o->orders; i++) {
		order_id += 1000000 + (int64_t)rng_below(&g.r, 1000001);
		json_object_array_add(orders, make_order(&g, i, order_id, created));
		created += 120 + (int64_t)rng_below(&g.r, 2580);
	}
	json_object_object_add(root, "orders", orders);
	free(g.skus);
	free(g.cust);
	return root;
}

/* ------------------------------------------------------------------------- apply */

static int call_json(const char *svc, const char *path, struct json_object *body,
		     struct json_object **answer, char *err, size_t errlen)
{
	struct bh_sim_resp resp;
	const char *text = json_object_to_json_string_ext(
		body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = -1;

	*answer = NULL;
	if (bh_sim_control_call(svc, "POST", path, NULL, text, &resp) != 0) {
		snprintf(err, errlen, "%s is not registered", svc);
		return -1;
	}
	if (resp.status < 200 || resp.status > 299) {
		snprintf(err, errlen, "%s POST %s answered %d: %.300s", svc, path, resp.status,
			 resp.body ? resp.body : "");
		goto out;
	}
	*answer = json_tokener_parse(resp.body ? resp.body : "");
	if (!*answer) {
		snprintf(err, errlen, "%s POST %s answered non-JSON", svc, path);
		goto out;
	}
	rc = 0;
out:
	bh_sim_resp_clear(&resp);
	return rc;
}

#define ORDER_BATCH 100

int bh_sim_seed_apply(struct json_object *data, struct json_object **result, char *err,
		      size_t errlen)
{
	struct json_object *items = NULL, *orders = NULL, *customers = NULL, *seed = NULL;
	struct json_object *res, *items_out, *orders_out, *skipped;
	int rc = -1;

	*result = NULL;
	if (!json_object_object_get_ex(data, "items", &items) ||
	    !json_object_object_get_ex(data, "orders", &orders) ||
	    !json_object_is_type(items, json_type_array) ||
	    !json_object_is_type(orders, json_type_array)) {
		snprintf(err, errlen, "seed data lacks items or orders");
		return -1;
	}
	json_object_object_get_ex(data, "customers", &customers);
	json_object_object_get_ex(data, "seed", &seed);
	res = json_object_new_object();
	items_out = json_object_new_array();
	orders_out = json_object_new_array();
	skipped = json_object_new_array();
	json_object_object_add(res, "seed", seed ? json_object_get(seed) : NULL);
	json_object_object_add(res, "items", items_out);
	json_object_object_add(res, "orders", orders_out);
	json_object_object_add(res, "customers",
			       json_object_new_int64(customers ? (int64_t)json_object_array_length(
									 customers)
							       : 0));
	json_object_object_add(res, "skipped", skipped);

	if (bh_sim_registry_service("netsuite")) {
		struct json_object *body = json_object_new_object(), *ans = NULL, *ids = NULL;
		int bad;

		json_object_object_add(body, "items", json_object_get(items));
		bad = call_json("netsuite", "/items", body, &ans, err, errlen);
		json_object_put(body);
		if (bad)
			goto out;
		if (!json_object_object_get_ex(ans, "internal_ids", &ids) ||
		    !json_object_is_type(ids, json_type_array) ||
		    json_object_array_length(ids) != json_object_array_length(items)) {
			snprintf(err, errlen, "netsuite POST /items: no internal_ids per item");
			json_object_put(ans);
			goto out;
		}
		for (size_t i = 0; i < json_object_array_length(items); i++) {
			struct json_object *e = json_object_new_object(), *sku = NULL;

			json_object_object_get_ex(json_object_array_get_idx(items, i), "sku",
						  &sku);
			json_object_object_add(e, "sku", sku ? json_object_get(sku) : NULL);
			json_object_object_add(e, "internal_id",
					       json_object_get(json_object_array_get_idx(ids, i)));
			json_object_array_add(items_out, e);
		}
		json_object_put(ans);
	} else {
		json_object_array_add(skipped, json_object_new_string("netsuite"));
	}

	if (bh_sim_registry_service("shopify")) {
		size_t n = json_object_array_length(orders);

		for (size_t off = 0; off < n; off += ORDER_BATCH) {
			struct json_object *body = json_object_new_object();
			struct json_object *batch = json_object_new_array();
			struct json_object *ans = NULL, *ids = NULL, *names = NULL;
			size_t end = off + ORDER_BATCH < n ? off + ORDER_BATCH : n;
			int bad;

			for (size_t i = off; i < end; i++)
				json_object_array_add(
					batch, json_object_get(json_object_array_get_idx(orders, i)));
			json_object_object_add(body, "orders", batch);
			bad = call_json("shopify", "/orders", body, &ans, err, errlen);
			json_object_put(body);
			if (bad)
				goto out;
			if (!json_object_object_get_ex(ans, "ids", &ids) ||
			    !json_object_object_get_ex(ans, "names", &names) ||
			    json_object_array_length(ids) != end - off) {
				snprintf(err, errlen, "shopify POST /orders: no ids per order");
				json_object_put(ans);
				goto out;
			}
			for (size_t i = 0; i < end - off; i++) {
				struct json_object *e = json_object_new_object();

				json_object_object_add(
					e, "id", json_object_get(json_object_array_get_idx(ids, i)));
				json_object_object_add(
					e, "name",
					json_object_get(json_object_array_get_idx(names, i)));
				json_object_array_add(orders_out, e);
			}
			json_object_put(ans);
		}
	} else {
		json_object_array_add(skipped, json_object_new_string("shopify"));
	}
	*result = res;
	res = NULL;
	rc = 0;
out:
	json_object_put(res);
	return rc;
}
