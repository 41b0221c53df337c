/*
 * sim_ns_util.c - pure helpers of the NetSuite simulator: money in cents, whole
 * quantities, NetSuite's xsd:dateTime in the account time zone (America/Los_Angeles),
 * type/kind name tables, and a small string-keyed hash map used by the store.
 *
 * Ownership: NetSuite service helper. Threading: everything here is pure (no shared
 * state) except a struct bh_sim_ns_map, which its owner guards.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <backhaul/errors.h>

#include "sim_ns_store.h"
#include "sim_ns_util.h"

/* ------------------------------------------------------------------ money */

int bh_sim_ns_money_parse(const char *s, int64_t *cents)
{
	const char *p = s;
	bool neg = false;
	int64_t whole = 0, frac = 0;
	int nfrac = 0;
	bool any = false, round_up = false;

	if (!s)
		return BH_EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (isdigit((unsigned char)*p)) {
		if (whole > (INT64_MAX / 100 - 9) / 10)
			return BH_EINVAL;
		whole = whole * 10 + (*p++ - '0');
		any = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (nfrac < 2)
				frac = frac * 10 + (*p - '0');
			else if (nfrac == 2)
				round_up = *p >= '5';
			nfrac++;
			p++;
			any = true;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	if (!any || *p)
		return BH_EINVAL;
	if (nfrac == 1)
		frac *= 10;
	int64_t v = whole * 100 + frac + (round_up ? 1 : 0);
	*cents = neg ? -v : v;
	return BH_OK;
}

char *bh_sim_ns_money_fmt(int64_t cents, char *buf, size_t len)
{
	uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	snprintf(buf, len, "%s%llu.%02llu", cents < 0 ? "-" : "", (unsigned long long)(a / 100),
		 (unsigned long long)(a % 100));
	return buf;
}

int bh_sim_ns_qty_parse(const char *s, int64_t *qty)
{
	int64_t c;
	if (bh_sim_ns_money_parse(s, &c) != BH_OK || c % 100 != 0)
		return BH_EINVAL;
	/* refuse "1.004" that rounded to a whole number */
	const char *dot = strchr(s, '.');
	if (dot)
		for (const char *q = dot + 1; *q && isdigit((unsigned char)*q); q++)
			if (*q != '0')
				return BH_EINVAL;
	*qty = c / 100;
	return BH_OK;
}

int64_t bh_sim_ns_mul_div_round(int64_t a, int64_t b, int64_t d)
{
	__int128 p = (__int128)a * b;
	__int128 q = p / d, r = p % d;
	if (r < 0)
		r = -r;
	if (2 * r >= (d < 0 ? -d : d))
		q += ((p < 0) != (d < 0)) ? -1 : 1;
	return (int64_t)q;
}

/* ------------------------------------------------------------------ time */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Day (of month) of the n-th Sunday of a month. */
static unsigned nth_sunday(int64_t y, unsigned m, unsigned n)
{
	int64_t days = days_from_civil(y, m, 1);
	int wd = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday (4) */
	unsigned first = (unsigned)((7 - wd) % 7) + 1;
	return first + 7 * (n - 1);
}

/* Pacific offset in seconds (-8h or -7h) at a UTC instant (US rules since 2007). */
static int pacific_offset(int64_t utc_s)
{
	int64_t days = utc_s >= 0 ? utc_s / 86400 : (utc_s - 86399) / 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	/* DST from 2:00 PST (10:00 UTC) on the 2nd Sunday of March to 2:00 PDT (09:00 UTC)
	 * on the 1st Sunday of November. */
	int64_t start = days_from_civil(y, 3, nth_sunday(y, 3, 2)) * 86400 + 10 * 3600;
	int64_t end = days_from_civil(y, 11, nth_sunday(y, 11, 1)) * 86400 + 9 * 3600;
	return (utc_s >= start && utc_s < end) ? -7 * 3600 : -8 * 3600;
}

char *bh_sim_ns_time_fmt(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int frac = (int)(ms - s * 1000);
	int off = pacific_offset(s);
	int64_t local = s + off;
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t sod = local - days * 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d-%02d:00", (long long)y, m, d,
		 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), frac, -off / 3600);
	return buf;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int bh_sim_ns_time_parse(const char *s, int64_t *ms)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
	bool have_zone = false;
	int zone = 0;

	if (!s)
		return BH_EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return BH_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return BH_EINVAL;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return BH_EINVAL;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &se))
				return BH_EINVAL;
			if (*p == '.') {
				int n = 0;
				p++;
				while (isdigit((unsigned char)*p)) {
					if (n < 3)
						frac = frac * 10 + (*p - '0');
					n++;
					p++;
				}
				if (n == 0)
					return BH_EINVAL;
				for (; n < 3; n++)
					frac *= 10;
			}
		}
	}
	if (*p == 'Z') {
		have_zone = true;
		p++;
	} else if (*p == '+' || *p == '-') {
		int zh, zm;
		int sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &zh))
			return BH_EINVAL;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &zm))
			return BH_EINVAL;
		zone = sign * (zh * 3600 + zm * 60);
		have_zone = true;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p || h > 24 || mi > 59 || se > 60)
		return BH_EINVAL;
	int64_t local = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
			mi * 60 + se;
	if (!have_zone) {
		/* the account's time zone: try standard time, then check which applies */
		zone = pacific_offset(local + 8 * 3600);
	}
	*ms = (local - zone) * 1000 + frac;
	return BH_OK;
}

/* ------------------------------------------------------------------ names */

static const struct {
	const char *name, *suiteql, *search, *prefix;
	enum bh_sim_ns_group group;
} type_tab[BH_SIM_NS_T_COUNT] = {
	[BH_SIM_NS_T_CUSTOMER] = {"customer", NULL, NULL, "", BH_SIM_NS_G_ENTITY},
	[BH_SIM_NS_T_INVENTORY_ITEM] = {"inventoryItem", NULL, NULL, "", BH_SIM_NS_G_ITEM},
	[BH_SIM_NS_T_NON_INVENTORY_ITEM] = {"nonInventorySaleItem", NULL, NULL, "", BH_SIM_NS_G_ITEM},
	[BH_SIM_NS_T_OTHER_CHARGE_ITEM] = {"otherChargeSaleItem", NULL, NULL, "", BH_SIM_NS_G_ITEM},
	[BH_SIM_NS_T_GIFT_CERT_ITEM] = {"giftCertificateItem", NULL, NULL, "", BH_SIM_NS_G_ITEM},
	[BH_SIM_NS_T_DISCOUNT_ITEM] = {"discountItem", NULL, NULL, "", BH_SIM_NS_G_ITEM},
	[BH_SIM_NS_T_SALES_TAX_ITEM] = {"salesTaxItem", NULL, NULL, "", BH_SIM_NS_G_ITEM},
	[BH_SIM_NS_T_SALES_ORDER] = {"salesOrder", "SalesOrd", "_salesOrder", "SO", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_CASH_SALE] = {"cashSale", "CashSale", "_cashSale", "CS", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_INVOICE] = {"invoice", "CustInvc", "_invoice", "INV", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_ITEM_FULFILLMENT] = {"itemFulfillment", "ItemShip", "_itemFulfillment", "IF", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_RETURN_AUTHORIZATION] = {"returnAuthorization", "RtnAuth", "_returnAuthorization", "RMA", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_ITEM_RECEIPT] = {"itemReceipt", "ItemRcpt", "_itemReceipt", "IR", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_CREDIT_MEMO] = {"creditMemo", "CustCred", "_creditMemo", "CM", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_CASH_REFUND] = {"cashRefund", "CashRfnd", "_cashRefund", "CR", BH_SIM_NS_G_TRANSACTION},
	[BH_SIM_NS_T_CUSTOMER_REFUND] = {"customerRefund", "CustRfnd", "_customerRefund", "CRF", BH_SIM_NS_G_TRANSACTION},
};

const char *bh_sim_ns_type_name(enum bh_sim_ns_type t)
{
	return (t > 0 && t < BH_SIM_NS_T_COUNT) ? type_tab[t].name : NULL;
}

enum bh_sim_ns_type bh_sim_ns_type_parse(const char *name)
{
	if (!name)
		return BH_SIM_NS_T_NONE;
	for (int t = 1; t < BH_SIM_NS_T_COUNT; t++)
		if (strcmp(type_tab[t].name, name) == 0)
			return (enum bh_sim_ns_type)t;
	return BH_SIM_NS_T_NONE;
}

enum bh_sim_ns_group bh_sim_ns_type_group(enum bh_sim_ns_type t)
{
	return (t > 0 && t < BH_SIM_NS_T_COUNT) ? type_tab[t].group : BH_SIM_NS_G_NONE;
}

const char *bh_sim_ns_type_suiteql(enum bh_sim_ns_type t)
{
	return (t > 0 && t < BH_SIM_NS_T_COUNT) ? type_tab[t].suiteql : NULL;
}

const char *bh_sim_ns_type_search(enum bh_sim_ns_type t)
{
	return (t > 0 && t < BH_SIM_NS_T_COUNT) ? type_tab[t].search : NULL;
}

enum bh_sim_ns_type bh_sim_ns_type_from_search(const char *value)
{
	if (!value)
		return BH_SIM_NS_T_NONE;
	for (int t = 1; t < BH_SIM_NS_T_COUNT; t++)
		if (type_tab[t].search && strcmp(type_tab[t].search, value) == 0)
			return (enum bh_sim_ns_type)t;
	return BH_SIM_NS_T_NONE;
}

const char *bh_sim_ns_type_tranid_prefix(enum bh_sim_ns_type t)
{
	return (t > 0 && t < BH_SIM_NS_T_COUNT) ? type_tab[t].prefix : "";
}

static const char *const kind_names[] = {
	[BH_SIM_NS_K_NONE] = "",
	[BH_SIM_NS_K_INVENTORY] = "inventory",
	[BH_SIM_NS_K_NONINVENTORY] = "noninventory",
	[BH_SIM_NS_K_GIFTCARD] = "giftcard",
	[BH_SIM_NS_K_FEE] = "fee",
	[BH_SIM_NS_K_DISCOUNT] = "discount",
	[BH_SIM_NS_K_SHIPPING] = "shipping",
	[BH_SIM_NS_K_TAX] = "tax",
};

enum bh_sim_ns_item_kind bh_sim_ns_kind_parse(const char *name)
{
	if (!name)
		return BH_SIM_NS_K_NONE;
	for (size_t k = 1; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (strcasecmp(kind_names[k], name) == 0)
			return (enum bh_sim_ns_item_kind)k;
	return BH_SIM_NS_K_NONE;
}

const char *bh_sim_ns_kind_name(enum bh_sim_ns_item_kind k)
{
	return (k < sizeof(kind_names) / sizeof(kind_names[0])) ? kind_names[k] : "";
}

static const char *const acct_kind_names[] = {
	[BH_SIM_NS_A_ASSET] = "asset",
	[BH_SIM_NS_A_LIABILITY] = "liability",
	[BH_SIM_NS_A_INCOME] = "income",
	[BH_SIM_NS_A_CONTRA_INCOME] = "contra-income",
	[BH_SIM_NS_A_EXPENSE] = "expense",
};

enum bh_sim_ns_acct_kind bh_sim_ns_acct_kind_parse(const char *s)
{
	if (!s)
		return 0;
	for (int k = 1; k <= BH_SIM_NS_A_EXPENSE; k++)
		if (strcasecmp(acct_kind_names[k], s) == 0)
			return (enum bh_sim_ns_acct_kind)k;
	return 0;
}

const char *bh_sim_ns_acct_kind_name(enum bh_sim_ns_acct_kind k)
{
	return (k >= BH_SIM_NS_A_ASSET && k <= BH_SIM_NS_A_EXPENSE) ? acct_kind_names[k] : "";
}

/* ------------------------------------------------------------------ hash map */

static char map_tomb;

static uint64_t map_hash(const char *k)
{
	uint64_t h = 1469598103934665603ull;
	for (; *k; k++) {
		h ^= (unsigned char)*k;
		h *= 1099511628211ull;
	}
	return h;
}

void bh_sim_ns_map_free(struct bh_sim_ns_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != &map_tomb)
			free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct bh_sim_ns_map_slot *map_find(const struct bh_sim_ns_map *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = map_hash(key) & (m->cap - 1);
	for (;;) {
		struct bh_sim_ns_map_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->key != &map_tomb && strcmp(s->key, key) == 0)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

bool bh_sim_ns_map_get(const struct bh_sim_ns_map *m, const char *key, int64_t *val)
{
	struct bh_sim_ns_map_slot *s = map_find(m, key);
	if (!s)
		return false;
	if (val)
		*val = s->val;
	return true;
}

static int map_rehash(struct bh_sim_ns_map *m, size_t cap, int64_t drop_below)
{
	struct bh_sim_ns_map_slot *old = m->slots;
	size_t oldcap = m->cap;
	struct bh_sim_ns_map_slot *n = calloc(cap, sizeof(*n));
	if (!n)
		return BH_ENOMEM;
	m->slots = n;
	m->cap = cap;
	m->n = 0;
	m->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		char *k = old[i].key;
		if (!k || k == &map_tomb)
			continue;
		if (old[i].val < drop_below) {
			free(k);
			continue;
		}
		size_t j = map_hash(k) & (cap - 1);
		while (n[j].key)
			j = (j + 1) & (cap - 1);
		n[j].key = k;
		n[j].val = old[i].val;
		m->n++;
		m->used++;
	}
	free(old);
	return BH_OK;
}

int bh_sim_ns_map_put(struct bh_sim_ns_map *m, const char *key, int64_t val)
{
	struct bh_sim_ns_map_slot *s = map_find(m, key);
	if (s) {
		s->val = val;
		return BH_OK;
	}
	if ((m->used + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap : 64;
		while ((m->n + 1) * 2 > cap)
			cap *= 2;
		if ((m->n + 1) * 4 > cap)
			cap *= 2;
		if (map_rehash(m, cap, INT64_MIN) != BH_OK)
			return BH_ENOMEM;
	}
	char *k = strdup(key);
	if (!k)
		return BH_ENOMEM;
	size_t i = map_hash(key) & (m->cap - 1);
	while (m->slots[i].key && m->slots[i].key != &map_tomb)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].key)
		m->used++;
	m->slots[i].key = k;
	m->slots[i].val = val;
	m->n++;
	return BH_OK;
}

void bh_sim_ns_map_del(struct bh_sim_ns_map *m, const char *key)
{
	struct bh_sim_ns_map_slot *s = map_find(m, key);
	if (!s)
		return;
	free(s->key);
	s->key = &map_tomb;
	m->n--;
}

int bh_sim_ns_map_prune(struct bh_sim_ns_map *m, int64_t drop_below)
{
	if (!m->cap)
		return BH_OK;
	return map_rehash(m, m->cap, drop_below);
}

void bh_sim_ns_lower(char *dst, const char *src, size_t len)
{
	size_t i = 0;
	for (; src[i] && i + 1 < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = 0;
}
