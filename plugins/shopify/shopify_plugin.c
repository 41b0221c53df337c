/*
 * shopify_plugin.c - the `shopify` endpoint plugin: descriptor, config map, lifecycle
 * and capabilities (storefront, diagnostics). See shopify.h for the file map.
 *
 * conf.d example:
 *   [endpoint shopify]
 *   plugin = shopify
 *   shop = mystore                       # or base_url = https://mystore.myshopify.com
 *   access_token_file = /etc/backhaul/shopify-token
 *   webhook_path = /webhooks/shopify
 *   webhook_secret_file = /etc/backhaul/shopify-webhook-secret
 *   poll_interval = 5m
 *
 * Ownership: the context is allocated in init and freed in destroy; config values are
 * the core's. Threading: see shopify.h; init/configure/start/stop/destroy on the main
 * thread.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shopify.h"

static int sp_init(bh_instance *inst, const struct bh_host *host, void **ctx)
{
	struct bh_shopify *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	if (!s)
		return BH_ENOMEM;
	s->inst = inst;
	s->host = host;
	pthread_mutex_init(&s->tok_lock, NULL);
	pthread_mutex_init(&s->stop_lock, NULL);
	pthread_mutex_init(&s->wh_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	s->locks_ready = true;
	atomic_init(&s->page_cap, 250);
	*ctx = s;
	return BH_OK;
}

static bool version_ok(const char *v)
{
	if (strcmp(v, "unstable") == 0)
		return true;
	if (strlen(v) != 7 || v[4] != '-')
		return false;
	for (int i = 0; i < 7; i++)
		if (i != 4 && !isdigit((unsigned char)v[i]))
			return false;
	return true;
}

static char *cat(const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s%s%s%s", a, b, c, d);
	return p;
}

#define CFG_ERR(...)                                                                     \
	do {                                                                             \
		bh_plg_error(s->host, s->inst, __VA_ARGS__);                             \
		return BH_ECONFIG;                                                       \
	} while (0)

static const char *nonempty(const char *v)
{
	return v && *v ? v : NULL;
}

static int sp_configure(void *ctx)
{
	struct bh_shopify *s = ctx;
	char t[32];
	size_t n;

	if (!!s->base_url == !!s->shop)
		CFG_ERR("set exactly one of shop (mystore or mystore.myshopify.com) and base_url");
	if (s->base_url) {
		if (strncmp(s->base_url, "https://", 8) != 0 && strncmp(s->base_url, "http://", 7) != 0)
			CFG_ERR("base_url must start with https:// (or http:// for a local simulator)");
		s->root = strdup(s->base_url);
	} else {
		for (const char *p = s->shop; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
				CFG_ERR("shop must look like mystore or mystore.myshopify.com, not '%s'",
					s->shop);
		s->root = strchr(s->shop, '.') ? cat("https://", s->shop, "", "")
					      : cat("https://", s->shop, ".myshopify.com", "");
	}
	if (!s->root)
		return BH_ENOMEM;
	n = strlen(s->root);
	while (n > 0 && s->root[n - 1] == '/')
		s->root[--n] = '\0';
	if (!version_ok(s->api_version))
		CFG_ERR("api_version must look like 2026-10 (or be 'unstable'), not '%s'", s->api_version);
	s->gql_url = cat(s->root, "/admin/api/", s->api_version, "/graphql.json");
	s->token_url = cat(s->root, "/admin/oauth/access_token", "", "");
	if (!s->gql_url || !s->token_url)
		return BH_ENOMEM;

	if (s->access_token && (s->client_id || s->client_secret))
		CFG_ERR("set either access_token or client_id + client_secret, not both");
	if (!s->access_token && !(s->client_id && s->client_secret))
		CFG_ERR("no credentials: set access_token (access_token_file/_env) or client_id + "
			"client_secret (client_secret_file/_env)");
	s->client_credentials = !s->access_token;

	if (s->webhook_path) {
		if (s->webhook_path[0] != '/')
			CFG_ERR("webhook_path must start with '/', not '%s'", s->webhook_path);
		if (!s->webhook_secret && !s->client_secret)
			CFG_ERR("webhook_path needs webhook_secret (the app's client secret that signs "
				"webhooks)");
	}
	if (s->start_at && bh_shopify_time_utc(s->start_at, t, sizeof(t)) != BH_OK)
		CFG_ERR("start_at must be an RFC 3339 time such as 2026-11-01T00:00:00Z, not '%s'",
			s->start_at);
	s->map.exc_prefix = nonempty(s->map.exc_prefix);
	s->map.exc_tag = nonempty(s->map.exc_tag);
	if (!s->map.exc_original_prefix)
		s->map.exc_original_prefix = "";
	if (!s->map.exc_prefix && !s->map.exc_tag)
		bh_plg_info(s->host, s->inst, "exchange orders are not recognised (no prefix, no tag)");
	atomic_store(&s->page_cap, (int)s->page_size);
	if (bh_http_client_new((long)s->timeout_ms, 8, &s->http) != BH_OK)
		return BH_ENOMEM;
	if (s->webhook_path && bh_http_client_new((long)s->webhook_budget_ms, 4, &s->http_hook) != BH_OK)
		return BH_ENOMEM;
	return BH_OK;
}

static int sp_start(void *ctx)
{
	struct bh_shopify *s = ctx;
	int rc;
	if (s->webhook_path) {
		s->wh_ids = calloc(BH_SHOPIFY_WH_IDS, sizeof(*s->wh_ids));
		if (!s->wh_ids)
			return BH_ENOMEM;
		rc = s->host->http_route(s->inst, "POST", s->webhook_path, bh_shopify_webhook, s);
		if (rc) {
			bh_plg_error(s->host, s->inst, "cannot listen for webhooks on %s (%s)",
				     s->webhook_path,
				     rc == BH_EEXIST ? "path taken" : "listener disabled");
			return rc;
		}
	}
	if (s->client_credentials) {
		struct bh_status st;
		char tok[512];
		memset(&st, 0, sizeof(st));
		/* warm the token; a failure here is retried on first use */
		if (bh_shopify_token(s, NULL, tok, sizeof(tok), &st) != BH_OK)
			bh_plg_warn(s->host, s->inst, "no access token yet: %s", st.message);
		memset(tok, 0, sizeof(tok));
	}
	return BH_OK;
}

static void sp_stop(void *ctx)
{
	struct bh_shopify *s = ctx;
	pthread_mutex_lock(&s->stop_lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->stop_cond);
	pthread_mutex_unlock(&s->stop_lock);
}

static void sp_destroy(void *ctx)
{
	struct bh_shopify *s = ctx;
	if (!s)
		return;
	bh_http_client_free(s->http);
	bh_http_client_free(s->http_hook);
	if (s->locks_ready) {
		bh_shopify_auth_free(s);
		pthread_mutex_destroy(&s->tok_lock);
		pthread_mutex_destroy(&s->stop_lock);
		pthread_mutex_destroy(&s->wh_lock);
		pthread_cond_destroy(&s->stop_cond);
	}
	free(s->wh_ids);
	free(s->root);
	free(s->gql_url);
	free(s->token_url);
	free(s);
}

static const void *sp_capability(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, BH_CAP_STOREFRONT) == 0)
		return &bh_shopify_storefront_ops;
	if (strcmp(name, BH_CAP_DIAG) == 0)
		return &bh_shopify_diag_ops;
	return NULL;
}

#define O(f) offsetof(struct bh_shopify, f)
static const struct bh_cfg_entry sp_config[] = {
	{BH_CFG_STR, "shop", NULL, 0, O(shop), 0, 0, NULL,
	 "shop handle or domain (mystore, mystore.myshopify.com); or set base_url"},
	{BH_CFG_STR, "base_url", NULL, 0, O(base_url), 0, 0, NULL,
	 "Admin API base URL instead of shop (e.g. a simulator: http://127.0.0.1:8080)"},
	{BH_CFG_STR, "api_version", "2026-10", 0, O(api_version), 0, 0, NULL,
	 "GraphQL Admin API version (YYYY-MM)"},
	{BH_CFG_SECRET, "access_token", NULL, 0, O(access_token), 0, 0, NULL,
	 "Admin API access token (shpat_...); or client_id + client_secret"},
	{BH_CFG_STR, "client_id", NULL, 0, O(client_id), 0, 0, NULL,
	 "app client id for the client-credentials grant"},
	{BH_CFG_SECRET, "client_secret", NULL, 0, O(client_secret), 0, 0, NULL,
	 "app client secret (client-credentials grant; also signs webhooks)"},
	{BH_CFG_DURATION, "token_refresh_margin", "5m", 0, O(refresh_margin_ms), 0, 86400000, NULL,
	 "refresh a client-credentials token this long before it expires"},
	{BH_CFG_DURATION, "timeout", "30s", 0, O(timeout_ms), 100, 600000, NULL,
	 "timeout of one HTTP request"},
	{BH_CFG_INT, "page_size", "25", 0, O(page_size), 1, 250, NULL,
	 "orders per page (reduced automatically to Shopify's query cost limit)"},
	{BH_CFG_INT, "line_items_page", "20", 0, O(line_page), 1, 250, NULL,
	 "line items fetched per query (more are fetched with further queries)"},
	{BH_CFG_INT, "max_retries", "3", 0, O(max_retries), 0, 20, NULL,
	 "poll: retries of one request after 429, 5xx or a timeout"},
	{BH_CFG_DURATION, "retry_backoff", "1s", 0, O(retry_backoff_ms), 1, 600000, NULL,
	 "poll: first retry delay when Shopify advises none (doubles each time)"},
	{BH_CFG_DURATION, "max_wait", "60s", 0, O(max_wait_ms), 0, 3600000, NULL,
	 "poll: longest single wait for a retry or a throttled query"},
	{BH_CFG_DURATION, "call_max_wait", "2s", 0, O(call_wait_ms), 0, 600000, NULL,
	 "capability calls: longest throttled wait inline (longer: retry later)"},
	{BH_CFG_DURATION, "poll_overlap", "5m", 0, O(poll_overlap_ms), 0, 86400000, NULL,
	 "poll: also re-read orders updated this long before the cursor (late or same-second "
	 "updates; what was seen before is dropped by its key)"},
	{BH_CFG_STR, "start_at", NULL, 0, O(start_at), 0, 0, NULL,
	 "first poll: orders updated at or after this RFC 3339 time (default: all)"},
	{BH_CFG_STR, "webhook_path", NULL, 0, O(webhook_path), 0, 0, NULL,
	 "listener path for orders/* and refunds/create webhooks (unset: poll only)"},
	{BH_CFG_SECRET, "webhook_secret", NULL, 0, O(webhook_secret), 0, 0, NULL,
	 "secret that signs webhooks (default: client_secret)"},
	{BH_CFG_SECRET, "webhook_secret_previous", NULL, 0, O(webhook_secret_previous), 0, 0, NULL,
	 "previous webhook secret, still accepted during a rotation"},
	{BH_CFG_DURATION, "webhook_timeout", "4s", 0, O(webhook_budget_ms), 100, 60000, NULL,
	 "time a webhook may spend reading the order back (Shopify waits 5 s)"},
	{BH_CFG_STR, "exchange_name_prefix", "EXC", 0, O(map.exc_prefix), 0, 0, NULL,
	 "name prefix of exchange orders made by the returns portal (EXC1004)"},
	{BH_CFG_STR, "exchange_tag", NULL, 0, O(map.exc_tag), 0, 0, NULL,
	 "tag marking exchange orders (in addition to the name prefix)"},
	{BH_CFG_STR, "exchange_original_prefix", "#", 0, O(map.exc_original_prefix), 0, 0, NULL,
	 "prefix of the original order's name: EXC1004 -> #1004"},
	{BH_CFG_STR, "exchange_return_attribute", "loop_return_id", 0, O(map.exc_return_attr), 0, 0,
	 NULL, "order attribute holding the return id of an exchange order"},
	{BH_CFG_LIST, "gift_card_gateways", "gift_card", 0, O(map.gift_card_gateways), 0, 0, NULL,
	 "payment gateways whose tenders are gift cards"},
	{BH_CFG_LIST, "store_credit_gateways", "shopify_store_credit,store_credit", 0,
	 O(map.store_credit_gateways), 0, 0, NULL, "payment gateways whose tenders are store credit"},
	{BH_CFG_LIST, "other_gateways", "manual,cash,cash_on_delivery,bank_deposit,money_order", 0,
	 O(map.other_gateways), 0, 0, NULL,
	 "payment gateways that are neither cards nor gift cards (tender kind other)"},
	{0},
};

BH_PLUGIN_DEFINE(.name = "shopify", .version = "1.0.0",
		 .description = "Shopify orders: GraphQL Admin API poll and webhooks, storefront "
				"capability",
		 .license = "MIT", .kind = BH_KIND_ENDPOINT, .config = sp_config, .init = sp_init,
		 .configure = sp_configure, .start = sp_start, .stop = sp_stop,
		 .destroy = sp_destroy, .poll = bh_shopify_poll, .capability = sp_capability);
