/*
 * shopify_auth.c - the Admin API access token of a shopify instance.
 *
 * Either a static Admin API token (SECRET access_token), or the client-credentials
 * grant (client_id + SECRET client_secret): POST {base}/admin/oauth/access_token with
 * grant_type=client_credentials, answer {"access_token","scope","expires_in"}. The
 * token is refreshed ahead of its expiry (refresh_margin before it, and never later
 * than half its lifetime), and at once when Shopify answers 401 to it (revoked, or the
 * clocks disagree). Tokens and secrets never reach a log line or a status message.
 *
 * Threading: tok_lock guards the cached token. One thread fetches while the others wait
 * on the lock and then reuse what it fetched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "shopify.h"

static void forget(struct bh_shopify *s)
{
	if (s->token) {
		OPENSSL_cleanse(s->token, strlen(s->token));
		free(s->token);
		s->token = NULL;
	}
}

void bh_shopify_auth_free(struct bh_shopify *s)
{
	forget(s);
	free(s->token_scope);
	s->token_scope = NULL;
}

/* Fetch a new token; tok_lock held. */
static int fetch(struct bh_shopify *s, struct bh_status *st)
{
	struct bh_http_response r;
	json_object *j = NULL;
	char *id = bh_http_escape(s->client_id), *sec = bh_http_escape(s->client_secret);
	char *form = NULL;
	const char *hdr[] = {"Content-Type: application/x-www-form-urlencoded",
			     "Accept: application/json", NULL};
	int rc = BH_ENOMEM;
	size_t n;

	if (!id || !sec)
		goto out;
	n = strlen(id) + strlen(sec) + 64;
	form = malloc(n);
	if (!form)
		goto out;
	snprintf(form, n, "grant_type=client_credentials&client_id=%s&client_secret=%s", id, sec);
	if (bh_http_request(s->http, "POST", s->token_url, hdr, form, strlen(form), &r) != BH_OK)
		goto out;
	if (r.status == 0) {
		bh_shopify_status(st, 0, "UNREACHABLE", "token endpoint %s unreachable: %s",
				  s->token_url, r.error);
		rc = BH_ERETRY;
	} else if (r.status == 429 || r.status >= 500) {
		bh_shopify_status(st, (int)r.status, "TOKEN_UNAVAILABLE",
				  "token endpoint answered HTTP %ld", r.status);
		if (st)
			st->retry_after_ms = bh_http_retry_after_ms(&r);
		rc = BH_ERETRY;
	} else if (r.status != 200) {
		const char *e, *d;
		j = json_tokener_parse(r.body);
		e = bh_shopify_str(j, "error");
		d = bh_shopify_str(j, "error_description");
		bh_shopify_status(st, (int)r.status, e ? e : "TOKEN_REFUSED",
				  "client credentials refused (HTTP %ld%s%s%s%s): check client_id and "
				  "client_secret",
				  r.status, e ? ", " : "", e ? e : "", d ? ": " : "", d ? d : "");
		rc = BH_EAUTH;
	} else {
		const char *tok, *scope;
		json_object *exp;
		int64_t ttl_ms, early;
		j = json_tokener_parse(r.body);
		tok = bh_shopify_str(j, "access_token");
		scope = bh_shopify_str(j, "scope");
		exp = bh_shopify_get(j, "expires_in");
		if (!tok || !*tok) {
			bh_shopify_status(st, 200, "TOKEN_MALFORMED",
					  "token endpoint answered without access_token");
			rc = BH_EPROTO;
			goto resp;
		}
		forget(s);
		s->token = strdup(tok);
		free(s->token_scope);
		s->token_scope = scope ? strdup(scope) : NULL;
		ttl_ms = exp && (json_object_is_type(exp, json_type_int) ||
				 json_object_is_type(exp, json_type_double))
				 ? json_object_get_int64(exp) * 1000
				 : 0;
		if (ttl_ms <= 0)
			ttl_ms = 86400000; /* no expiry given: refresh daily */
		early = ttl_ms - s->refresh_margin_ms;
		if (early < ttl_ms / 2)
			early = ttl_ms / 2;
		s->token_refresh_mono = s->host->mono_ms() + early;
		s->host->counter_add(s->inst, "token_refreshes", 1);
		bh_plg_info(s->host, s->inst, "client-credentials token obtained (valid %llds)",
			    (long long)(ttl_ms / 1000));
		rc = s->token ? BH_OK : BH_ENOMEM;
	}
resp:
	json_object_put(j);
	bh_http_response_clear(&r);
out:
	if (form) {
		OPENSSL_cleanse(form, strlen(form));
		free(form);
	}
	if (sec) {
		OPENSSL_cleanse(sec, strlen(sec));
		free(sec);
	}
	free(id);
	return rc;
}

int bh_shopify_token(struct bh_shopify *s, const char *stale, char *buf, size_t len,
		     struct bh_status *st)
{
	int rc = BH_OK;
	if (!s->client_credentials) {
		if (stale) {
			bh_shopify_status(st, 401, "UNAUTHORIZED",
					  "Shopify refused the access token (HTTP 401): wrong or revoked "
					  "access_token");
			return BH_EAUTH;
		}
		snprintf(buf, len, "%s", s->access_token);
		return BH_OK;
	}
	pthread_mutex_lock(&s->tok_lock);
	bool need = !s->token || s->host->mono_ms() >= s->token_refresh_mono ||
		    (stale && strcmp(stale, s->token) == 0);
	if (need)
		rc = fetch(s, st);
	if (rc == BH_OK)
		snprintf(buf, len, "%s", s->token);
	pthread_mutex_unlock(&s->tok_lock);
	return rc;
}

void bh_shopify_token_scope(struct bh_shopify *s, char *buf, size_t len)
{
	pthread_mutex_lock(&s->tok_lock);
	snprintf(buf, len, "%s", s->token_scope ? s->token_scope : "");
	pthread_mutex_unlock(&s->tok_lock);
}
