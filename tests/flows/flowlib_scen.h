/*
 * flowlib_scen.h - canonical record bodies for the flow tests (header-only): order/1 and
 * return/1 texts built from a few fields, and the SCENARIOS.md data (S1-S7, S13).
 *
 * Every builder writes into the caller's buffer and returns it. Not thread-safe only in
 * the sense that buffers are the caller's.
 */
#ifndef FLOWLIB_SCEN_H
#define FLOWLIB_SCEN_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* One return line (line_item_id, sku, qty, price, discount, tax, refund). */
__attribute__((unused)) static const char *scen_rline(char *b, size_t n, const char *line_id,
						       const char *sku, int qty, const char *price,
						       const char *disc, const char *tax,
						       const char *refund)
{
	snprintf(b, n, "{\"line_item_id\":\"%s\",\"sku\":\"%s\",\"title\":\"%s\",\"quantity\":%d,"
		 "\"price\":\"%s\",\"discount\":\"%s\",\"tax\":\"%s\",\"refund\":\"%s\","
		 "\"outcome\":\"refund\",\"portal_line_ids\":[\"1\"]}", line_id, sku, sku, qty, price, disc,
		 tax, refund);
	return b;
}

/* totals: gross, discount, tax, total, refund, credit, gift_card, exchange, upsell, fee,
 * bonus */
__attribute__((unused)) static const char *scen_totals(char *b, size_t n, const char *gross,
							const char *disc, const char *tax,
							const char *total, const char *refund,
							const char *credit, const char *gift,
							const char *exch, const char *upsell,
							const char *fee, const char *bonus)
{
	snprintf(b, n, "{\"gross\":\"%s\",\"discount\":\"%s\",\"tax\":\"%s\",\"total\":\"%s\","
		 "\"refund\":\"%s\",\"credit\":\"%s\",\"gift_card\":\"%s\",\"exchange\":\"%s\","
		 "\"upsell\":\"%s\",\"handling_fee\":\"%s\",\"bonus\":\"%s\"}", gross, disc, tax, total,
		 refund, credit, gift, exch, upsell, fee, bonus);
	return b;
}

__attribute__((unused)) static const char *scen_return(char *b, size_t n, const char *rid,
						       const char *state, const char *oid,
						       const char *oname, const char *lines,
						       const char *totals, const char *refunds)
{
	snprintf(b, n, "{\"schema\":\"return/1\",\"id\":\"%s\",\"state\":\"%s\",\"trigger\":\"x\","
		 "\"created_at\":\"2026-11-03T09:00:00Z\",\"updated_at\":\"2026-11-03T09:00:00Z\","
		 "\"currency\":\"USD\",\"order\":{\"portal_order_id\":\"9%s\",\"storefront_order_id\":"
		 "\"%s\",\"name\":\"%s\"},\"customer\":{\"email\":\"a@example.com\"},\"outcome\":"
		 "\"refund\",\"lines\":[%s],\"totals\":%s,\"refunds\":[%s],\"exchange\":null,"
		 "\"flagged\":false}", rid, state, oid, oid, oname, lines, totals, refunds ? refunds : "");
	return b;
}

/* One order line (id, sku, qty, price, discount, tax). */
__attribute__((unused)) static const char *scen_oline(char *b, size_t n, const char *id,
						       const char *sku, int qty, const char *price,
						       const char *disc, const char *tax)
{
	snprintf(b, n, "{\"id\":\"%s\",\"sku\":\"%s\",\"title\":\"%s\",\"quantity\":%d,\"price\":\"%s\","
		 "\"discount\":\"%s\",\"tax\":\"%s\",\"tax_lines\":[]}", id, sku, sku, qty, price, disc,
		 tax);
	return b;
}

/* order/1: id, name, updated_at, lines, subtotal, discount, shipping, tax, total,
 * tenders (JSON fragment), exchange (JSON value or "null") */
__attribute__((unused)) static const char *scen_order(char *b, size_t n, const char *id,
						      const char *name, const char *updated,
						      const char *lines, const char *subtotal,
						      const char *disc, const char *ship,
						      const char *tax, const char *total,
						      const char *tenders, const char *exchange)
{
	snprintf(b, n, "{\"schema\":\"order/1\",\"id\":\"%s\",\"name\":\"%s\",\"number\":1,"
		 "\"created_at\":\"2026-11-01T10:00:00Z\",\"updated_at\":\"%s\",\"cancelled_at\":null,"
		 "\"currency\":\"USD\",\"financial_status\":\"paid\",\"tags\":[],\"customer\":{\"id\":"
		 "\"7000000000000001\",\"email\":\"a@example.com\",\"first_name\":\"Ada\","
		 "\"last_name\":\"Lovelace\"},\"lines\":[%s],\"shipping\":[{\"title\":\"Standard\","
		 "\"price\":\"%s\",\"tax\":\"0.00\"}],\"discounts\":[],\"totals\":{\"subtotal\":\"%s\","
		 "\"discount\":\"%s\",\"shipping\":\"%s\",\"tax\":\"%s\",\"total\":\"%s\",\"refunded\":"
		 "\"0.00\"},\"tenders\":[%s],\"exchange\":%s}", id, name, updated, lines, ship, subtotal,
		 disc, ship, tax, total, tenders, exchange ? exchange : "null");
	return b;
}

/* S1: order #1001 (id 5001), 1 x TEE-BLK-M 40.00 + 3.20, shipping 5.00, card. */
#define S1_OID "5001"
__attribute__((unused)) static const char *scen_s1_order(char *b, size_t n)
{
	char l[512];
	return scen_order(b, n, S1_OID, "#1001", "2026-11-01T10:00:05Z",
			  scen_oline(l, sizeof(l), "14001", "TEE-BLK-M", 1, "40.00", "0.00", "3.20"),
			  "40.00", "0.00", "5.00", "3.20", "48.20",
			  "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"48.20\"}", NULL);
}

/* S1's return rid in state; closed adds the card refund split. fee > 0 gives S7. */
__attribute__((unused)) static const char *scen_s1_return(char *b, size_t n, const char *rid,
							  const char *state, bool fee)
{
	char l[512], t[512], rf[128];
	snprintf(rf, sizeof(rf), "{\"gateway\":\"shopify_payments\",\"amount\":\"%s\"}",
		 fee ? "38.20" : "43.20");
	return scen_return(b, n, rid, state, S1_OID, "#1001",
			   scen_rline(l, sizeof(l), "14001", "TEE-BLK-M", 1, "40.00", "0.00", "3.20",
				      "43.20"),
			   scen_totals(t, sizeof(t), "40.00", "0.00", "3.20", "43.20",
				       fee ? "38.20" : "43.20", "0.00", "0.00", "0.00", "0.00",
				       fee ? "5.00" : "0.00", "0.00"),
			   !strcmp(state, "closed") ? rf : "");
}

/* S3: order #1003 (id 5003), HOODIE-GRY-M 60.00 + 4.80; store credit 64.80 + bonus 5.00. */
#define S3_OID "5003"
__attribute__((unused)) static const char *scen_s3_order(char *b, size_t n)
{
	char l[512];
	return scen_order(b, n, S3_OID, "#1003", "2026-11-01T10:00:05Z",
			  scen_oline(l, sizeof(l), "14003", "HOODIE-GRY-M", 1, "60.00", "0.00", "4.80"),
			  "60.00", "0.00", "0.00", "4.80", "64.80",
			  "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"64.80\"}", NULL);
}

__attribute__((unused)) static const char *scen_s3_return(char *b, size_t n, const char *rid,
							  const char *state)
{
	char l[512], t[512];
	return scen_return(b, n, rid, state, S3_OID, "#1003",
			   scen_rline(l, sizeof(l), "14003", "HOODIE-GRY-M", 1, "60.00", "0.00", "4.80",
				      "64.80"),
			   scen_totals(t, sizeof(t), "60.00", "0.00", "4.80", "64.80", "0.00", "64.80",
				       "0.00", "0.00", "0.00", "0.00", "5.00"),
			   "");
}

/* S13: order #1013 (id 5013), 2 x TEE-BLK-M 40.00 + 3.20 each; a return of qty units. */
#define S13_OID "5013"
__attribute__((unused)) static const char *scen_s13_order(char *b, size_t n)
{
	char l[512];
	return scen_order(b, n, S13_OID, "#1013", "2026-11-01T10:00:05Z",
			  scen_oline(l, sizeof(l), "14013", "TEE-BLK-M", 2, "40.00", "0.00", "6.40"),
			  "80.00", "0.00", "0.00", "6.40", "86.40",
			  "{\"gateway\":\"shopify_payments\",\"kind\":\"card\",\"amount\":\"86.40\"}", NULL);
}

__attribute__((unused)) static const char *scen_s13_return(char *b, size_t n, const char *rid,
							   int qty)
{
	char l[512], t[512], g[16], x[16], tot[16];
	snprintf(g, sizeof(g), "%d.00", 40 * qty);
	snprintf(x, sizeof(x), "%d.%02d", 320 * qty / 100, 320 * qty % 100);
	snprintf(tot, sizeof(tot), "%d.%02d", 4320 * qty / 100, 4320 * qty % 100);
	return scen_return(b, n, rid, "open", S13_OID, "#1013",
			   scen_rline(l, sizeof(l), "14013", "TEE-BLK-M", qty, "40.00", "0.00", x, tot),
			   scen_totals(t, sizeof(t), g, "0.00", x, tot, tot, "0.00", "0.00", "0.00",
				       "0.00", "0.00", "0.00"),
			   "");
}

#endif
