/*
 * nssoap_plugin.c - the netsuite-soap endpoint plugin: an ERP (erp capability) over
 * SuiteTalk SOAP with Token-Based Authentication, a source of ERP change records
 * (item receipts, closed/cancelled RAs, flagged RAs), and a connection test
 * (diagnostics capability).
 *
 * Configuration ([endpoint NAME] plugin = netsuite-soap): see the map below. Secrets
 * (consumer_secret, token_secret) come from *_file / *_env and are never logged. The
 * engine's own `concurrency` key caps deliveries; `max_requests` caps this instance's
 * SOAP requests in flight (operations and polls together).
 *
 * Lifecycle: init allocates; configure checks the values and prepares the HTTP client,
 * the request semaphore and the item cache (no I/O: `backhaul test-connection` runs
 * after configure only); start does nothing more; stop makes retry loops give up;
 * destroy frees.
 *
 * Ownership: the context belongs to the core (init/destroy). Threading: see nssoap.h.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include <backhaul/diag.h>
#include <backhaul/erp.h>

#include "../common/http.h"
#include "nssoap.h"
#include "nssoap_tba.h"

static int nss_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct bh_nss *c = calloc(1, sizeof(*c));
	if (!c)
		return BH_ENOMEM;
	c->inst = inst;
	c->host = host;
	atomic_init(&c->stopping, false);
	*ctx = c;
	return BH_OK;
}

static bool version_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (n < 6 || n > 12 || v[4] != '_')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != 4 && !isdigit((unsigned char)v[i]))
			return false;
	return true;
}

static int nss_configure(void *ctx)
{
	struct bh_nss *c = ctx;
	char why[256], host[300];
	int rc;

	if (bh_nss_account_check(c->account, why, sizeof(why)) != BH_OK) {
		bh_plg_error(c->host, c->inst, "%s", why);
		return BH_ECONFIG;
	}
	if (!version_ok(c->version)) {
		bh_plg_error(c->host, c->inst, "version '%s' must look like 2023_2", c->version);
		return BH_ECONFIG;
	}
	if (!c->consumer_secret || !c->token_secret) {
		bh_plg_error(c->host, c->inst,
			     "consumer_secret and token_secret are required (use consumer_secret_file / _env)");
		return BH_ECONFIG;
	}
	if (c->base_url && *c->base_url) {
		size_t n = strlen(c->base_url);
		while (n && c->base_url[n - 1] == '/')
			n--;
		if (n >= sizeof(c->base) || (strncmp(c->base_url, "http://", 7) && strncmp(c->base_url, "https://", 8))) {
			bh_plg_error(c->host, c->inst, "base_url '%s' must be an http(s) URL", c->base_url);
			return BH_ECONFIG;
		}
		snprintf(c->base, sizeof(c->base), "%.*s", (int)n, c->base_url);
	} else {
		if (bh_nss_account_host(c->account, host, sizeof(host)) != BH_OK) {
			bh_plg_error(c->host, c->inst, "account id '%s' is too long", c->account);
			return BH_ECONFIG;
		}
		snprintf(c->base, sizeof(c->base), "https://%s", host);
	}
	snprintf(c->url, sizeof(c->url), "%s/services/NetSuitePort_%s", c->base, c->version);
	if (!strcmp(c->sku_field, "") || !strcmp(c->flag_field, "") || !strcmp(c->shopify_field, "")) {
		bh_plg_error(c->host, c->inst, "sku_field, flag_field and shopify_order_field must not be empty");
		return BH_ECONFIG;
	}
	bh_nss_ns_init(&c->ns, c->version);
	xmlInitParser();
	if ((rc = bh_http_client_new(c->timeout_ms, (size_t)c->max_requests, &c->http)) != BH_OK)
		return rc;
	if ((rc = bh_nss_sem_init(&c->sem, (int)c->max_requests)) != BH_OK)
		return rc;
	c->sem_ready = true;
	if ((rc = bh_nss_items_new((size_t)c->item_cache_size, c->item_cache_ttl_ms, &c->items)) != BH_OK)
		return rc;
	bh_plg_info(c->host, c->inst, "SuiteTalk %s at %s, account %s, %lld requests at most",
		    c->version, c->url, c->account, (long long)c->max_requests);
	return BH_OK;
}

static void nss_stop(void *ctx)
{
	struct bh_nss *c = ctx;
	atomic_store(&c->stopping, true);
}

static void nss_destroy(void *ctx)
{
	struct bh_nss *c = ctx;
	if (!c)
		return;
	bh_http_client_free(c->http);
	if (c->sem_ready)
		bh_nss_sem_destroy(&c->sem);
	bh_nss_items_free(c->items);
	free(c);
}

static const struct bh_erp_ops erp_ops = {
	.size = sizeof(struct bh_erp_ops),
	.find_sales_order = bh_nss_find_sales_order,
	.upsert_customer = bh_nss_upsert_customer,
	.upsert_sales_order = bh_nss_upsert_sales_order,
	.create_return_authorization = bh_nss_create_ra,
	.get_return_authorization = bh_nss_get_ra,
	.create_item_receipt = bh_nss_create_receipt,
	.create_refund = bh_nss_create_refund,
	.close_return_authorization = bh_nss_close_ra,
	.changes = bh_nss_changes,
	.related_transactions = bh_nss_related,
	.check_items = bh_nss_check_items,
};

static const struct bh_diag_ops diag_ops = {
	.size = sizeof(struct bh_diag_ops),
	.test_connection = bh_nss_test_connection,
};

static const void *nss_capability(void *ctx, const char *name)
{
	(void)ctx;
	if (!strcmp(name, BH_CAP_ERP))
		return &erp_ops;
	if (!strcmp(name, BH_CAP_DIAG))
		return &diag_ops;
	return NULL;
}

#define O(f) offsetof(struct bh_nss, f)
static const struct bh_cfg_entry nss_config[] = {
	{BH_CFG_STR, "account", NULL, BH_CFG_REQUIRED, O(account), 0, 0, NULL,
	 "NetSuite account id as in the TBA realm: 1234567, or 1234567_SB1 for a sandbox"},
	{BH_CFG_STR, "consumer_key", NULL, BH_CFG_REQUIRED, O(consumer_key), 0, 0, NULL,
	 "integration record's consumer key"},
	{BH_CFG_SECRET, "consumer_secret", NULL, BH_CFG_REQUIRED, O(consumer_secret), 0, 0, NULL,
	 "integration record's consumer secret (consumer_secret_file = PATH or _env = VAR)"},
	{BH_CFG_STR, "token_id", NULL, BH_CFG_REQUIRED, O(token_id), 0, 0, NULL,
	 "access token id"},
	{BH_CFG_SECRET, "token_secret", NULL, BH_CFG_REQUIRED, O(token_secret), 0, 0, NULL,
	 "access token secret (token_secret_file = PATH or _env = VAR)"},
	{BH_CFG_STR, "base_url", NULL, 0, O(base_url), 0, 0, NULL,
	 "override https://<account-host>.suitetalk.api.netsuite.com (simulator, proxy)"},
	{BH_CFG_STR, "version", "2023_2", 0, O(version), 0, 0, NULL,
	 "SuiteTalk endpoint version (NetSuitePort_<version>, namespaces *_<version>)"},
	{BH_CFG_STR, "sku_field", "itemId", 0, O(sku_field), 0, 0, NULL,
	 "item field holding the SKU: itemId or a custitem_* script id"},
	{BH_CFG_STR, "flag_field", "custbody_bh_review_flag", 0, O(flag_field), 0, 0, NULL,
	 "RA checkbox body field that flags a return for manual review"},
	{BH_CFG_STR, "shopify_order_field", "custbody_bh_shopify_order_id", 0, O(shopify_field), 0, 0,
	 NULL, "sales order body field holding the Shopify order id"},
	{BH_CFG_STR, "ra_prefix", "loop-ra-", 0, O(ra_prefix), 0, 0, NULL,
	 "external id prefix of the RAs the engine creates (change feeds report only these)"},
	{BH_CFG_STR, "gift_card_item", "GIFT-CARD", 0, O(gift_card_item), 0, 0, NULL,
	 "SKU of the gift card item a refund's bonus credit is issued on"},
	{BH_CFG_STR, "bonus_item", "RETURN-BONUS", 0, O(bonus_item), 0, 0, NULL,
	 "SKU of the item (return incentive expense) a refund's bonus is charged to"},
	{BH_CFG_INT, "max_requests", "5", 0, O(max_requests), 1, 100, NULL,
	 "SOAP requests in flight at most (account concurrency share; polls included)"},
	{BH_CFG_DURATION, "timeout", "60s", 0, O(timeout_ms), 100, 900000, NULL,
	 "time limit of one SOAP request"},
	{BH_CFG_INT, "retries", "2", 0, O(retries), 0, 10, NULL,
	 "re-attempts of a transient failure inside one operation (writes re-read first)"},
	{BH_CFG_DURATION, "retry_backoff", "500ms", 0, O(retry_backoff_ms), 0, 60000, NULL,
	 "base of the exponential backoff (full jitter) between re-attempts"},
	{BH_CFG_INT, "page_size", "100", 0, O(page_size), 5, 1000, NULL,
	 "search page size (searchPreferences/pageSize)"},
	{BH_CFG_INT, "item_cache_size", "2048", 0, O(item_cache_size), 1, 1000000, NULL,
	 "SKU -> item entries kept"},
	{BH_CFG_DURATION, "item_cache_ttl", "15m", 0, O(item_cache_ttl_ms), 0, 86400000, NULL,
	 "how long a SKU -> item answer is trusted"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "netsuite-soap", .version = "1.0.0",
		 .description = "Oracle NetSuite over SuiteTalk SOAP (TBA): erp capability, ERP change source",
		 .license = "MIT", .kind = BH_KIND_ENDPOINT, .config = nss_config,
		 .init = nss_init, .configure = nss_configure, .stop = nss_stop,
		 .destroy = nss_destroy, .poll = bh_nss_poll, .capability = nss_capability);
