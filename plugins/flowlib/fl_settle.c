/*
 * fl_settle.c - where a return's value goes: cash back to the original payment, gift
 * card, store credit, exchange credit, handling fee, bonus (see flowlib.h and
 * shared/SCENARIOS.md S1-S7).
 *
 * Ownership: flowlib. Threading: pure functions.
 */
#include <string.h>

#include "fl_priv.h"

static bool is_gift_card(const char *gw)
{
	return gw && !strcmp(gw, "gift_card");
}

static bool is_store_credit(const char *gw)
{
	return gw && (!strcmp(gw, "shopify_store_credit") || !strcmp(gw, "store_credit"));
}

/* round(v * num / den) half away from zero, for v, num >= 0 and den > 0 */
static int64_t share(int64_t v, int64_t num, int64_t den)
{
	__int128 p = (__int128)v * num;
	return (int64_t)((p + den / 2) / den);
}

int bh_fl_settle_return(const struct bh_fl_return *r, const struct bh_fl_paid *paid,
			bool strict, struct bh_fl_settle *s, char *err, size_t errlen)
{
	char b1[32], b2[32];
	const struct bh_fl_return_totals *t = &r->totals;
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < r->n_lines; i++) {
		const struct bh_fl_return_line *l = &r->lines[i];
		s->items_total += bh_fl_line_amount(l->price, l->quantity, l->discount) + l->tax;
	}
	s->cash = t->refund;
	s->gift_card = t->gift_card;
	s->store_credit = t->credit;
	s->exchange_credit = t->exchange - t->upsell;
	s->fee = t->handling_fee;
	s->bonus = t->bonus;
	if (s->exchange_credit < 0)
		return bh_fl_err(err, errlen, "return %s: upsell %s exceeds the exchange value %s", r->id,
				 bh_fl_money(t->upsell, b1, sizeof(b1)),
				 bh_fl_money(t->exchange, b2, sizeof(b2)));

	if (r->n_refunds > 0) {
		int64_t gc = 0, sc = 0, cash = 0;
		for (size_t i = 0; i < r->n_refunds; i++) {
			const struct bh_fl_refund_split *f = &r->refunds[i];
			if (is_gift_card(f->gateway))
				gc += f->amount;
			else if (is_store_credit(f->gateway))
				sc += f->amount;
			else
				cash += f->amount;
		}
		if (cash + gc + sc == t->refund) {
			/* the refund total includes every gateway's share */
			s->cash = cash;
			s->gift_card += gc;
			s->store_credit += sc;
			s->from_refunds = true;
		} else if (cash + gc == t->refund && (sc == t->credit || sc == t->credit + t->bonus)) {
			/* store-credit entries are the credit already counted in totals.credit
			 * (with or without the merchant's bonus) */
			s->cash = cash;
			s->gift_card += gc;
			s->from_refunds = true;
		} else if (strict) {
			return bh_fl_err(err, errlen, "return %s does not reconcile: refunds[] add up to %s "
					 "but totals.refund is %s", r->id,
					 bh_fl_money(cash + gc + sc, b1, sizeof(b1)),
					 bh_fl_money(t->refund, b2, sizeof(b2)));
		}
	}
	if (!s->from_refunds && paid && paid->known && s->cash > 0) {
		int64_t den = paid->card + paid->gift_card + paid->store_credit + paid->other;
		if (den > 0 && (paid->gift_card > 0 || paid->store_credit > 0)) {
			int64_t g = share(s->cash, paid->gift_card, den);
			int64_t c = share(s->cash, paid->store_credit, den);
			if (g + c > s->cash)
				c = s->cash - g;
			s->cash -= g + c;
			s->gift_card += g;
			s->store_credit += c;
			s->from_paid = true;
		}
	}
	int64_t out = s->cash + s->gift_card + s->store_credit + s->exchange_credit + s->fee;
	if (out != s->items_total)
		return bh_fl_err(err, errlen, "return %s does not reconcile: refund, credits and fee add up to "
				 "%s but the returned lines are worth %s", r->id, bh_fl_money(out, b1, sizeof(b1)),
				 bh_fl_money(s->items_total, b2, sizeof(b2)));
	return BH_OK;
}
