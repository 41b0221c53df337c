/*
 * nsr_plugin.c - the netsuite-rest endpoint plugin: an ERP (erp capability) over the
 * NetSuite REST record API v1 and SuiteQL with token-based authentication (OAuth 1.0a,
 * HMAC-SHA256), a source of ERP change records (item receipts, closed/cancelled RAs,
 * flagged RAs), and a connection test (diagnostics capability).
 *
 * Configuration ([endpoint NAME] plugin = netsuite-rest): see the map below. The keys
 * are netsuite-soap's where they mean the same (account, consumer_key, consumer_secret,
 * token_id, token_secret, base_url, sku_field, flag_field, shopify_order_field,
 * ra_prefix, gift_card_item, bonus_item, max_requests, timeout, retries, retry_backoff,
 * page_size, item_cache_size, item_cache_ttl; `version` is accepted and unused), so
 * switching `plugin = netsuite-soap` to `plugin = netsuite-rest` is the only change a
 * deployment makes. Secrets come from *_file / *_env and are never logged.
 * The base URL follows NetSuite's host rules (account 1234567_SB1 ->
 * https://1234567-sb1.suitetalk.api.netsuite.com) unless base_url overrides it.
 *
 * Lifecycle: init allocates and prepares the locks; configure checks the values and
 * creates the HTTP client (no I/O: `backhaul test-connection` runs after configure
 * only); stop makes back-off loops give up; destroy frees.
 *
 * Ownership: the context belongs to the core (init/destroy). Threading: see nsr.h.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <backhaul/diag.h>
#include <backhaul/erp.h>

#include "../common/http.h"
#include "nsr.h"

static int nsr_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct bh_nsr *c = calloc(1, sizeof(*c));
	if (!c)
		return BH_ENOMEM;
	c->inst = inst;
	c->host = host;
	atomic_init(&c->stopping, false);
	if (pthread_mutex_init(&c->gate_lock, NULL) != 0) {
		free(c);
		return BH_ENOMEM;
	}
	if (pthread_cond_init(&c->gate_cond, NULL) != 0) {
		pthread_mutex_destroy(&c->gate_lock);
		free(c);
		return BH_ENOMEM;
	}
	if (pthread_mutex_init(&c->items_lock, NULL) != 0) {
		pthread_cond_destroy(&c->gate_cond);
		pthread_mutex_destroy(&c->gate_lock);
		free(c);
		return BH_ENOMEM;
	}
	*ctx = c;
	return BH_OK;
}

/* A field id usable as a SuiteQL column: letters, digits and '_'. */
static bool field_ok(const char *f)
{
	if (!f || !*f)
		return false;
	for (; *f; f++)
		if (!((*f >= 'a' && *f <= 'z') || (*f >= 'A' && *f <= 'Z') || (*f >= '0' && *f <= '9') ||
		      *f == '_'))
			return false;
	return true;
}

static int nsr_configure(void *ctx)
{
	struct bh_nsr *c = ctx;
	int rc;

	if (!bh_nsr_account_id_valid(c->account)) {
		bh_plg_error(c->host, c->inst,
			     "account id '%s' must look like 1234567 or 1234567_SB1 (upper case, "
			     "underscore before SB)", c->account ? c->account : "");
		return BH_ECONFIG;
	}
	if (!c->consumer_secret || !c->token_secret) {
		bh_plg_error(c->host, c->inst, "consumer_secret and token_secret are required "
			     "(use consumer_secret_file / _env and token_secret_file / _env)");
		return BH_ECONFIG;
	}
	if (c->base_url && *c->base_url) {
		size_t n = strlen(c->base_url);
		while (n && c->base_url[n - 1] == '/')
			n--;
		if (n >= sizeof(c->base) || (strncmp(c->base_url, "http://", 7) != 0 &&
					     strncmp(c->base_url, "https://", 8) != 0)) {
			bh_plg_error(c->host, c->inst, "base_url '%s' must be an http(s) URL",
				     c->base_url);
			return BH_ECONFIG;
		}
		snprintf(c->base, sizeof(c->base), "%.*s", (int)n, c->base_url);
	} else if (bh_nsr_account_base_url(c->account, c->base, sizeof(c->base)) != 0) {
		bh_plg_error(c->host, c->inst, "account id '%s' is too long", c->account);
		return BH_ECONFIG;
	}
	if (!field_ok(c->sku_field) || !field_ok(c->flag_field) ||
	    !field_ok(c->shopify_order_field)) {
		bh_plg_error(c->host, c->inst, "sku_field, flag_field and shopify_order_field must "
			     "be field ids (letters, digits, '_')");
		return BH_ECONFIG;
	}
	if (!c->ra_prefix || !*c->ra_prefix || !c->gift_card_item || !*c->gift_card_item ||
	    !c->bonus_item || !*c->bonus_item) {
		bh_plg_error(c->host, c->inst, "ra_prefix, gift_card_item and bonus_item must not be "
			     "empty");
		return BH_ECONFIG;
	}
	bh_nsr_column(c->sku_col, sizeof(c->sku_col), c->sku_field);
	bh_nsr_column(c->flag_col, sizeof(c->flag_col), c->flag_field);
	bh_nsr_column(c->shopify_col, sizeof(c->shopify_col), c->shopify_order_field);
	c->cred = (struct bh_nsr_cred){.realm = c->account,
				       .consumer_key = c->consumer_key,
				       .consumer_secret = c->consumer_secret,
				       .token = c->token_id,
				       .token_secret = c->token_secret};
	if ((rc = bh_http_client_new(c->timeout_ms, (size_t)c->max_requests, &c->http)) != BH_OK)
		return rc;
	bh_plg_info(c->host, c->inst, "NetSuite REST at %s, account %s, %lld requests at most",
		    c->base, c->account, (long long)c->max_requests);
	return BH_OK;
}

static void nsr_stop(void *ctx)
{
	struct bh_nsr *c = ctx;
	atomic_store(&c->stopping, true);
}

static void nsr_destroy(void *ctx)
{
	struct bh_nsr *c = ctx;
	if (!c)
		return;
	bh_http_client_free(c->http);
	bh_nsr_items_clear(c);
	pthread_mutex_destroy(&c->items_lock);
	pthread_cond_destroy(&c->gate_cond);
	pthread_mutex_destroy(&c->gate_lock);
	free(c);
}

static const struct bh_erp_ops erp_ops = {
	.size = sizeof(struct bh_erp_ops),
	.find_sales_order = bh_nsr_find_sales_order,
	.upsert_customer = bh_nsr_upsert_customer,
	.upsert_sales_order = bh_nsr_upsert_sales_order,
	.create_return_authorization = bh_nsr_create_ra,
	.get_return_authorization = bh_nsr_get_ra,
	.create_item_receipt = bh_nsr_create_receipt,
	.create_refund = bh_nsr_create_refund,
	.close_return_authorization = bh_nsr_close_ra,
	.changes = bh_nsr_changes,
	.related_transactions = bh_nsr_related,
	.check_items = bh_nsr_check_items,
};

static const struct bh_diag_ops diag_ops = {
	.size = sizeof(struct bh_diag_ops),
	.test_connection = bh_nsr_test_connection,
};

static const void *nsr_capability(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, BH_CAP_ERP) == 0)
		return &erp_ops;
	if (strcmp(name, BH_CAP_DIAG) == 0)
		return &diag_ops;
	return NULL;
}

#define O(f) offsetof(struct bh_nsr, f)
static const struct bh_cfg_entry nsr_config[] = {
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
	 "SuiteTalk SOAP version; not used by REST (accepted so conf.d can switch transports)"},
	{BH_CFG_STR, "sku_field", "itemId", 0, O(sku_field), 0, 0, NULL,
	 "item field holding the SKU: itemId or a custitem_* script id"},
	{BH_CFG_STR, "flag_field", "custbody_bh_review_flag", 0, O(flag_field), 0, 0, NULL,
	 "RA checkbox body field that flags a return for manual review"},
	{BH_CFG_STR, "shopify_order_field", "custbody_bh_shopify_order_id", 0,
	 O(shopify_order_field), 0, 0, NULL, "sales order body field holding the Shopify order id"},
	{BH_CFG_STR, "ra_prefix", "loop-ra-", 0, O(ra_prefix), 0, 0, NULL,
	 "external id prefix of the RAs the engine creates (change feeds report only these)"},
	{BH_CFG_STR, "gift_card_item", "GIFT-CARD", 0, O(gift_card_item), 0, 0, NULL,
	 "SKU of the gift card item a refund's bonus credit is issued on"},
	{BH_CFG_STR, "bonus_item", "RETURN-BONUS", 0, O(bonus_item), 0, 0, NULL,
	 "SKU of the item (return incentive expense) a refund's bonus is charged to"},
	{BH_CFG_INT, "max_requests", "5", 0, O(max_requests), 1, 100, NULL,
	 "REST requests in flight at most (account concurrency share; polls included)"},
	{BH_CFG_DURATION, "timeout", "60s", 0, O(timeout_ms), 100, 900000, NULL,
	 "time limit of one REST request"},
	{BH_CFG_INT, "retries", "2", 0, O(retries), 0, 10, NULL,
	 "re-attempts of a transient failure inside one operation (writes re-read first)"},
	{BH_CFG_DURATION, "retry_backoff", "500ms", 0, O(retry_backoff_ms), 0, 60000, NULL,
	 "base of the exponential backoff (full jitter) between re-attempts"},
	{BH_CFG_INT, "page_size", "100", 0, O(page_size), 5, 1000, NULL,
	 "SuiteQL page size of the change feeds (limit)"},
	{BH_CFG_INT, "item_cache_size", "2048", 0, O(item_cache_size), 1, 1000000, NULL,
	 "SKU -> item entries kept"},
	{BH_CFG_DURATION, "item_cache_ttl", "15m", 0, O(item_cache_ttl_ms), 0, 86400000, NULL,
	 "how long a SKU -> item answer is trusted"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "netsuite-rest", .version = "1.0.0",
		 .description = "Oracle NetSuite over the REST record API and SuiteQL (TBA): erp "
				"capability, ERP change source",
		 .license = "MIT", .kind = BH_KIND_ENDPOINT, .config = nsr_config,
		 .init = nsr_init, .configure = nsr_configure, .stop = nsr_stop,
		 .destroy = nsr_destroy, .poll = bh_nsr_poll, .capability = nsr_capability);
