/*
 * sim_shopify_gql_exec.c - execution of a validated GraphQL query over the Shopify
 * simulator's orders and gift cards: field collection (aliases, fragments, @include /
 * @skip, merged selections), connections, the root fields (orders, order, ordersCount,
 * giftCards, giftCard, shop, node: Order, GiftCard or Refund), dispatch to the
 * resolvers (sim_shopify_gql_order.c, sim_shopify_gql_parts.c) and the actual cost.
 *
 * Shapes: ids are gid strings ("gid://shopify/Order/450789469", exact for any int64),
 * legacyResourceId the decimal string of the id; DateTime in UTC ("2008-01-10T16:00:00Z");
 * money as MoneyBag {shopMoney, presentmentMoney} of MoneyV2 {amount: Decimal string
 * ("199.0", "3.34"; "199.00" with gql_fixed_decimals), currencyCode}; enums upper case
 * (kind SALE, status SUCCESS, displayFinancialStatus PARTIALLY_REFUNDED). LineItem
 * discountedUnitPriceSet takes off line-level discounts only (allocations whose
 * application targets "entitled"/"explicit" lines); ...AfterAllDiscountsSet all of
 * them; unit figures are rounded half away from zero to the cent.
 * Orders connections page on the store's indexes (sortKey ID, CREATED_AT, UPDATED_AT,
 * PROCESSED_AT, RELEVANCE = ID; reverse), nested connections on the order's arrays.
 * Actual cost: +1 per object returned, +2 per connection, plain lists their static cost.
 *
 * Ownership: answers are fresh json-c objects; scratch memory is the request arena.
 * Threading: runs with the data lock held shared.
 */
#include "sim_shopify_gql_exec.h"

static struct json_object *exec_selset(struct bh_shp_gctx *c, const struct gv *obj,
				       const struct bh_gql_selset *const *sets, size_t nsets);

static void path_push(struct bh_shp_gctx *c, const char *k)
{
	if (c->depth < sizeof(c->path) / sizeof(c->path[0]))
		c->path[c->depth] = k;
	c->depth++;
}

void bh_shp_gx_error(struct bh_shp_gctx *c, const struct bh_gql_sel *s, const char *msg)
{
	bh_shp_gql_error(c, msg, s->line, s->col, true);
}

/* ---------------------------------------------------------------- collection */

static bool applies(const struct bh_gtype *obj, const char *cond)
{
	const struct bh_gtype *t;
	if (!cond)
		return true;
	t = bh_shp_gql_type(cond);
	return t && bh_shp_gql_possible(t, obj);
}

static void collect(struct bh_shp_gctx *c, const struct bh_gtype *t, const struct bh_gql_selset *ss,
		    struct group *g, size_t *ng, size_t cap, int depth)
{
	if (!ss || depth > 64)
		return;
	for (size_t i = 0; i < ss->n; i++) {
		const struct bh_gql_sel *s = &ss->items[i];
		if (!bh_shp_gql_included(c, s->dirs, s->ndirs))
			continue;
		if (s->kind == BH_GQL_FIELD) {
			const char *key = s->alias ? s->alias : s->name;
			size_t k;
			for (k = 0; k < *ng; k++)
				if (strcmp(g[k].key, key) == 0)
					break;
			if (k == *ng) {
				if (*ng == cap)
					continue;
				g[k].key = key;
				g[k].n = 0;
				(*ng)++;
			}
			if (g[k].n < 8)
				g[k].sels[g[k].n++] = s;
		} else if (s->kind == BH_GQL_INLINE) {
			if (applies(t, s->type_cond))
				collect(c, t, s->sel, g, ng, cap, depth + 1);
		} else {
			const struct bh_gql_frag *f = bh_shp_gql_frag(c, s->name);
			if (f && applies(t, f->type_cond))
				collect(c, t, f->sel, g, ng, cap, depth + 1);
		}
	}
}

/* Execute the merged sub-selections of a group on a child object. */
struct json_object *bh_shp_gx_child(struct bh_shp_gctx *c, const struct group *g, const struct gv *v,
				 bool counted)
{
	const struct bh_gql_selset *sets[8];
	size_t n = 0;
	if (counted && !c->suspend)
		c->actual++;
	for (size_t i = 0; i < g->n; i++)
		if (g->sels[i]->sel)
			sets[n++] = g->sels[i]->sel;
	return exec_selset(c, v, sets, n);
}

/* A plain list: counted once at its static cost, items not counted. */
struct json_object *bh_shp_gx_plain_list(struct bh_shp_gctx *c, const struct group *g,
				      const struct bh_gfield *f, const struct gv *items, size_t n)
{
	struct json_object *a = json_object_new_array_ext((int)n);
	if (!c->suspend)
		c->actual += 1 + bh_shp_gql_sel_cost(c, f->type, g->sels[0]->sel);
	c->suspend++;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, bh_shp_gx_child(c, g, &items[i], false));
	c->suspend--;
	return a;
}

/* ---------------------------------------------------------------- connections */

const char *bh_shp_gx_arg_text(struct bh_shp_gctx *c, const struct bh_gql_sel *s, const char *name)
{
	const struct bh_gql_value *v = bh_shp_gql_arg(c, s, name);
	return v && v->text ? v->text : NULL;
}

bool bh_shp_gx_arg_bool(struct bh_shp_gctx *c, const struct bh_gql_sel *s, const char *name)
{
	const struct bh_gql_value *v = bh_shp_gql_arg(c, s, name);
	return v && v->kind == BH_GQL_V_BOOL && v->b;
}

/* Page an in-memory array (ids give the cursors). NULL + error on a bad cursor. */
struct conn *bh_shp_gx_array_conn(struct bh_shp_gctx *c, const struct bh_gql_sel *s, struct gv *all,
			       const int64_t *ids, size_t n)
{
	struct conn *cn = bh_gql_alloc(c->a, sizeof(*cn));
	bool last, reverse = bh_shp_gx_arg_bool(c, s, "reverse");
	int size = bh_shp_gql_page_size(c, s, &last);
	const char *after = bh_shp_gx_arg_text(c, s, "after"), *before = bh_shp_gx_arg_text(c, s, "before");
	size_t lo = 0, hi = n, *ord;
	if (!cn || size < 0)
		return NULL;
	ord = bh_gql_alloc(c->a, (n + 1) * sizeof(size_t));
	if (!ord)
		return NULL;
	for (size_t i = 0; i < n; i++)
		ord[i] = reverse ? n - 1 - i : i;
	for (int pass = 0; pass < 2; pass++) {
		const char *cur = pass ? before : after;
		int64_t id, val;
		size_t k;
		if (!cur)
			continue;
		if (bh_shp_cursor_parse(cur, false, &id, &val)) {
			bh_shp_gx_error(c, s, "Invalid cursor for current pagination sort.");
			return NULL;
		}
		for (k = 0; k < n && ids[ord[k]] != id; k++)
			;
		if (k == n) {
			bh_shp_gx_error(c, s, "Invalid cursor for current pagination sort.");
			return NULL;
		}
		if (pass)
			hi = k < hi ? k : hi;
		else
			lo = k + 1;
	}
	if (lo > hi)
		lo = hi;
	if (!last) {
		size_t end = lo + (size_t)size < hi ? lo + (size_t)size : hi;
		cn->next = end < hi || (before && hi < n);
		cn->prev = lo > 0;
		hi = end;
	} else {
		size_t start = hi - lo > (size_t)size ? hi - (size_t)size : lo;
		cn->prev = start > lo || lo > 0;
		cn->next = hi < n;
		lo = start;
	}
	cn->n = hi - lo;
	cn->items = bh_gql_alloc(c->a, (cn->n + 1) * sizeof(*cn->items));
	cn->cursors = bh_gql_alloc(c->a, (cn->n + 1) * sizeof(*cn->cursors));
	if (!cn->items || !cn->cursors)
		return NULL;
	for (size_t i = 0; i < cn->n; i++) {
		size_t k = ord[lo + i];
		cn->items[i] = all[k];
		cn->cursors[i] = bh_shp_cursor_make(c, ids[k], ids[k], false);
	}
	return cn;
}

static bool order_filter(const struct bh_shp_order *o, void *ud)
{
	return bh_shp_search_order(ud, o);
}

static struct conn *orders_conn(struct bh_shp_gctx *c, const struct bh_gql_sel *s)
{
	struct bh_shp_svc *sv = c->s;
	struct conn *cn = bh_gql_alloc(c->a, sizeof(*cn));
	struct bh_shp_search *q = bh_gql_alloc(c->a, sizeof(*q));
	struct bh_shp_page_req pr;
	struct bh_shp_page pg;
	const char *sk = bh_shp_gx_arg_text(c, s, "sortKey"), *qs = bh_shp_gx_arg_text(c, s, "query");
	const char *after = bh_shp_gx_arg_text(c, s, "after"), *before = bh_shp_gx_arg_text(c, s, "before");
	enum bh_shp_sfield sf = SF_ID;
	bool last, is_time;
	int size = bh_shp_gql_page_size(c, s, &last);
	char m[160];

	if (!cn || !q || size < 0)
		return NULL;
	memset(&pr, 0, sizeof(pr));
	if (!sk || strcmp(sk, "ID") == 0 || strcmp(sk, "RELEVANCE") == 0) {
		pr.key = BH_SHP_SORT_ID;
	} else if (strcmp(sk, "CREATED_AT") == 0) {
		pr.key = BH_SHP_SORT_CREATED;
		sf = SF_CREATED;
	} else if (strcmp(sk, "UPDATED_AT") == 0) {
		pr.key = BH_SHP_SORT_UPDATED;
		sf = SF_UPDATED;
	} else if (strcmp(sk, "PROCESSED_AT") == 0) {
		pr.key = BH_SHP_SORT_PROCESSED;
		sf = SF_PROCESSED;
	} else {
		snprintf(m, sizeof(m),
			 "sortKey %s is not supported by backhaul-sim (ID, CREATED_AT, UPDATED_AT, "
			 "PROCESSED_AT, RELEVANCE are)",
			 sk);
		bh_shp_gx_error(c, s, m);
		return NULL;
	}
	is_time = pr.key != BH_SHP_SORT_ID;
	memset(q, 0, sizeof(*q));
	if (qs)
		bh_shp_search_parse(c, qs, false, s->alias ? s->alias : s->name, q);
	bh_shp_search_range(q, sf, &pr.has_min, &pr.min, &pr.has_max, &pr.max);
	pr.desc = bh_shp_gx_arg_bool(c, s, "reverse");
	pr.backward = last;
	pr.limit = (size_t)size;
	pr.filter = q->n ? order_filter : NULL;
	pr.ud = q;
	if ((!last && after) || (last && before)) {
		if (bh_shp_cursor_parse(last ? before : after, is_time, &pr.cur_id, &pr.cur_value)) {
			bh_shp_gx_error(c, s, "Invalid cursor for current pagination sort.");
			return NULL;
		}
		pr.has_cursor = true;
	}
	if (size == 0) {
		memset(cn, 0, sizeof(*cn));
		return cn;
	}
	if (bh_shp_store_page(sv, &pr, &pg))
		return NULL;
	cn->n = pg.n;
	cn->next = pg.more_after;
	cn->prev = pg.more_before;
	cn->items = bh_gql_alloc(c->a, (pg.n + 1) * sizeof(*cn->items));
	cn->cursors = bh_gql_alloc(c->a, (pg.n + 1) * sizeof(*cn->cursors));
	for (size_t i = 0; cn->items && cn->cursors && i < pg.n; i++) {
		cn->items[i] = gx_mk(VK_ORDER, "Order", pg.items[i], pg.items[i]);
		cn->cursors[i] = bh_shp_cursor_make(c, pg.items[i]->id,
						    bh_shp_sort_value(pg.items[i], pr.key), is_time);
	}
	free(pg.items);
	if (!cn->items || !cn->cursors)
		return NULL;
	return cn;
}

static struct conn *giftcards_conn(struct bh_shp_gctx *c, const struct bh_gql_sel *s)
{
	const struct bh_shp_svc *sv = c->s;
	const char *sk = bh_shp_gx_arg_text(c, s, "sortKey"), *qs = bh_shp_gx_arg_text(c, s, "query");
	struct bh_shp_search q;
	struct gv *all = bh_gql_alloc(c->a, (sv->ngcs + 1) * sizeof(*all));
	int64_t *ids = bh_gql_alloc(c->a, (sv->ngcs + 1) * sizeof(*ids));
	size_t n = 0;
	if (!all || !ids)
		return NULL;
	if (sk && strcmp(sk, "ID") != 0 && strcmp(sk, "RELEVANCE") != 0) {
		char m[120];
		snprintf(m, sizeof(m), "sortKey %s is not supported by backhaul-sim (ID, RELEVANCE are)",
			 sk);
		bh_shp_gx_error(c, s, m);
		return NULL;
	}
	memset(&q, 0, sizeof(q));
	if (qs)
		bh_shp_search_parse(c, qs, true, s->alias ? s->alias : s->name, &q);
	for (size_t i = 0; i < sv->ngcs; i++) {
		if (!bh_shp_search_giftcard(&q, sv->gcs[i]))
			continue;
		all[n] = gx_mk(VK_GIFT, "GiftCard", NULL, sv->gcs[i]);
		ids[n++] = sv->gcs[i]->id;
	}
	return bh_shp_gx_array_conn(c, s, all, ids, n);
}

/* ---------------------------------------------------------------- id lookups */

/* "gid://shopify/<Type>/<n>" -> type (static buffer in caller) and id */
static bool parse_gid(const char *s, char *type, size_t tl, int64_t *id)
{
	const char *p, *sl;
	char *end;
	if (!s || strncmp(s, "gid://shopify/", 14) != 0)
		return false;
	p = s + 14;
	sl = strchr(p, '/');
	if (!sl || sl == p || (size_t)(sl - p) >= tl)
		return false;
	memcpy(type, p, (size_t)(sl - p));
	type[sl - p] = 0;
	*id = strtoll(sl + 1, &end, 10);
	return sl[1] && (*end == 0 || *end == '?');
}

static bool gid_arg(struct bh_shp_gctx *c, const struct bh_gql_sel *s, char *type, size_t tl,
		    int64_t *id)
{
	const char *v = bh_shp_gx_arg_text(c, s, "id");
	if (parse_gid(v, type, tl, id))
		return true;
	{
		char m[200];
		struct json_object *e;
		snprintf(m, sizeof(m), "Invalid global id '%s'", v ? v : "");
		e = bh_shp_gql_error(c, m, s->line, s->col, true);
		bh_shp_gql_error_ext(e, "argumentLiteralsIncompatible", "typeName", "CoercionError",
				     NULL);
	}
	return false;
}

struct json_object *bh_shp_gx_conn_value(struct bh_shp_gctx *c, const struct group *g,
				      const struct bh_gfield *f, struct conn *cn)
{
	struct gv v;
	if (!cn)
		return NULL;
	if (!c->suspend)
		c->actual += 2;
	v = gx_mk(VK_CONN, f->type->name, NULL, NULL);
	v.cn = cn;
	return bh_shp_gx_child(c, g, &v, false);
}

static struct json_object *conn_field(struct bh_shp_gctx *c, const struct gv *obj,
				      const struct bh_gfield *f, const struct group *g)
{
	const struct conn *cn = obj->cn;
	struct json_object *a;
	struct gv v;
	switch (f->id) {
	case R_C_EDGES:
		a = json_object_new_array_ext((int)cn->n);
		for (size_t i = 0; i < cn->n; i++) {
			memset(&v, 0, sizeof(v));
			v.k = VK_EDGE;
			v.type = f->type;
			v.cn = obj->cn;
			v.i = i;
			json_object_array_add(a, bh_shp_gx_child(c, g, &v, false));
		}
		return a;
	case R_C_NODES:
		a = json_object_new_array_ext((int)cn->n);
		for (size_t i = 0; i < cn->n; i++)
			json_object_array_add(a, bh_shp_gx_child(c, g, &cn->items[i], true));
		return a;
	case R_C_PAGEINFO:
		v = gx_mk(VK_PAGEINFO, "PageInfo", NULL, NULL);
		v.cn = obj->cn;
		return bh_shp_gx_child(c, g, &v, false);
	case R_E_CURSOR:
		return gx_jstr(cn->cursors[obj->i]);
	case R_E_NODE:
		return bh_shp_gx_child(c, g, &cn->items[obj->i], true);
	case R_PI_NEXT:
		return json_object_new_boolean(cn->next);
	case R_PI_PREV:
		return json_object_new_boolean(cn->prev);
	case R_PI_START:
		return cn->n ? gx_jstr(cn->cursors[0]) : NULL;
	case R_PI_END:
		return cn->n ? gx_jstr(cn->cursors[cn->n - 1]) : NULL;
	default:
		return NULL;
	}
}

static struct json_object *root_field(struct bh_shp_gctx *c, const struct bh_gfield *f,
				      const struct group *g)
{
	const struct bh_gql_sel *s = g->sels[0];
	struct bh_shp_svc *sv = c->s;
	char type[48];
	int64_t id;
	struct gv v;
	switch (f->id) {
	case R_Q_ORDERS: {
		struct conn *cn = orders_conn(c, s);
		if (!cn)
			c->failed = true; /* non-null field: data becomes null */
		return bh_shp_gx_conn_value(c, g, f, cn);
	}
	case R_Q_GIFTCARDS: {
		struct conn *cn = giftcards_conn(c, s);
		if (!cn)
			c->failed = true;
		return bh_shp_gx_conn_value(c, g, f, cn);
	}
	case R_Q_ORDER:
	case R_Q_GIFTCARD:
	case R_Q_NODE: {
		const struct bh_shp_order *o;
		const struct bh_shp_giftcard *gc;
		if (!gid_arg(c, s, type, sizeof(type), &id))
			return NULL;
		if (f->id != R_Q_GIFTCARD && strcmp(type, "Order") == 0 &&
		    (o = bh_shp_store_get(sv, id))) {
			v = gx_mk(VK_ORDER, "Order", o, o);
		} else if (f->id != R_Q_ORDER && strcmp(type, "GiftCard") == 0 &&
			   (gc = bh_shp_giftcard_get(sv, id))) {
			v = gx_mk(VK_GIFT, "GiftCard", NULL, gc);
		} else if (f->id == R_Q_NODE && strcmp(type, "Refund") == 0) {
			/* rare (paging a refund's connections): a scan over the orders */
			const struct bh_shp_refund *r = NULL;
			for (size_t i = 0; i < sv->norders && !r; i++) {
				o = sv->idx[BH_SHP_SORT_ID][i];
				for (size_t k = 0; k < o->nrefunds && !r; k++)
					if (o->refunds[k].id == id)
						r = &o->refunds[k];
			}
			if (!r)
				return NULL;
			v = gx_mk(VK_REFUND, "Refund", o, r);
		} else {
			return NULL;
		}
		break;
	}
	case R_Q_ORDERS_COUNT: {
		const char *qs = bh_shp_gx_arg_text(c, s, "query");
		const struct bh_gql_value *lim = bh_shp_gql_arg(c, s, "limit");
		int64_t limit = lim && lim->kind == BH_GQL_V_INT ? strtoll(lim->text, NULL, 10) : 10000;
		struct bh_shp_search q;
		int64_t n = 0;
		memset(&q, 0, sizeof(q));
		if (qs)
			bh_shp_search_parse(c, qs, false, s->alias ? s->alias : s->name, &q);
		for (size_t i = 0; i < sv->norders; i++)
			n += bh_shp_search_order(&q, sv->idx[BH_SHP_SORT_ID][i]);
		v = gx_mk(VK_COUNT, "Count", NULL, NULL);
		v.n = limit >= 0 && n > limit ? limit : n;
		v.s1 = limit >= 0 && n > limit ? "AT_LEAST" : "EXACT";
		break;
	}
	case R_Q_SHOP:
		v = gx_mk(VK_SHOP, "Shop", NULL, NULL);
		break;
	default:
		return NULL;
	}
	return bh_shp_gx_child(c, g, &v, true);
}

/* ---------------------------------------------------------------- dispatch */

static struct json_object *resolve(struct bh_shp_gctx *c, const struct gv *obj,
				   const struct bh_gfield *f, const struct group *g)
{
	switch (obj->k) {
	case VK_ROOT:
		return root_field(c, f, g);
	case VK_ORDER:
		return bh_shp_gx_order_field(c, obj, f, g);
	case VK_LINE:
		return bh_shp_gx_line_field(c, obj, f, g);
	case VK_TXN:
		return bh_shp_gx_txn_field(c, obj, f, g);
	case VK_REFUND:
		return bh_shp_gx_refund_field(c, obj, f, g);
	case VK_CONN:
	case VK_EDGE:
	case VK_PAGEINFO:
		return conn_field(c, obj, f, g);
	case VK_CUST:
	case VK_ADDR:
	case VK_ATTR:
	case VK_GIFT:
	case VK_SHOP:
	case VK_COUNT:
	case VK_MONEYBAG:
	case VK_MONEY:
		return bh_shp_gx_other_field(c, obj, f, g);
	default:
		return bh_shp_gx_misc_field(c, obj, f, g);
	}
}

static struct json_object *exec_selset(struct bh_shp_gctx *c, const struct gv *obj,
				       const struct bh_gql_selset *const *sets, size_t nsets)
{
	struct group groups[96];
	size_t ng = 0;
	struct json_object *out = json_object_new_object();
	if (!obj->type)
		return out;
	for (size_t i = 0; i < nsets; i++)
		collect(c, obj->type, sets[i], groups, &ng, sizeof(groups) / sizeof(groups[0]), 0);
	for (size_t i = 0; i < ng; i++) {
		const struct bh_gql_sel *s = groups[i].sels[0];
		const struct bh_gfield *f;
		path_push(c, groups[i].key);
		if (strcmp(s->name, "__typename") == 0) {
			json_object_object_add(out, groups[i].key,
					       json_object_new_string(obj->type->name));
		} else if ((f = bh_shp_gql_field(obj->type, s->name)) != NULL) {
			json_object_object_add(out, groups[i].key, resolve(c, obj, f, &groups[i]));
		}
		c->depth--;
	}
	return out;
}

struct json_object *bh_shp_gql_execute(struct bh_shp_gctx *c)
{
	struct gv root;
	const struct bh_gql_selset *sets[1];
	struct json_object *data;
	memset(&root, 0, sizeof(root));
	root.k = VK_ROOT;
	root.type = bh_shp_gql_root(c->op->kind);
	sets[0] = c->op->sel;
	c->depth = 0;
	data = exec_selset(c, &root, sets, 1);
	if (c->failed) {
		json_object_put(data);
		return NULL;
	}
	return data;
}
